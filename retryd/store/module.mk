# store — the Berkeley DB store: environment, records, indexes
store_SRCS :=
store_SRCS += retryd/store/store.c
store_SRCS += retryd/store/store_codec.c
store_SRCS += retryd/store/store_due.c
store_SRCS += retryd/store/store_env.c
store_SRCS += retryd/store/store_evidence.c
store_SRCS += retryd/store/store_key.c
store_SRCS += retryd/store/store_lock.c
store_SRCS += retryd/store/store_message.c
store_SRCS += retryd/store/store_records.c
store_SRCS += retryd/store/store_state.c
store_SRCS += retryd/store/store_event.c
store_SRCS += retryd/store/store_outbox.c
store_SRCS += retryd/store/store_journal.c
store_SRCS += retryd/store/store_gate.c
store_SRCS += retryd/store/store_region.c
store_SRCS += retryd/store/store_position.c
