# pass — one daemon pass and each of its steps
pass_SRCS :=
pass_SRCS += retryd/pass/pass.c
pass_SRCS += retryd/pass/pass_adopt.c
pass_SRCS += retryd/pass/pass_ctx.c
pass_SRCS += retryd/pass/pass_due.c
pass_SRCS += retryd/pass/pass_giveback.c
pass_SRCS += retryd/pass/pass_hooks.c
pass_SRCS += retryd/pass/pass_outcome.c
pass_SRCS += retryd/pass/pass_reconcile.c
pass_SRCS += retryd/pass/pass_retention.c
pass_SRCS += retryd/pass/pass_suppress.c
pass_SRCS += retryd/pass/pass_util.c
pass_SRCS += retryd/pass/pass_verify.c
pass_SRCS += retryd/pass/pass_sentinel.c
pass_SRCS += retryd/pass/pass_journal.c
pass_SRCS += retryd/pass/pass_watch.c
pass_SRCS += retryd/pass/pass_listing.c
