# policy — the INI policy: reader, typed keys, groups, printer
policy_SRCS :=
policy_SRCS += retryd/policy/policy.c
policy_SRCS += retryd/policy/policy_group.c
policy_SRCS += retryd/policy/policy_keys.c
policy_SRCS += retryd/policy/policy_list.c
policy_SRCS += retryd/policy/policy_parse.c
policy_SRCS += retryd/policy/policy_print.c
