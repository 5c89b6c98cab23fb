# policy — the INI policy: reader, typed keys, groups, printer
policy_SRCS :=
policy_SRCS += retryd/policy/policy.c
policy_SRCS += retryd/policy/policy_group.c
policy_SRCS += retryd/policy/policy_keys.c
policy_SRCS += retryd/policy/policy_list.c
policy_SRCS += retryd/policy/policy_parse.c
policy_SRCS += retryd/policy/policy_print.c
policy_SRCS += retryd/policy/policy_builtin.c

# policy_builtin.c embeds policy/classifier.ini with .incbin: rebuild on change.
$(B)/obj/retryd/policy/policy_builtin.o: policy/classifier.ini
$(BA)/obj/retryd/policy/policy_builtin.o: policy/classifier.ini
$(BF)/obj/retryd/policy/policy_builtin.o: policy/classifier.ini
