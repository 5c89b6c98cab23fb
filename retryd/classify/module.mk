# classify — bounce text classification (PCRE2 rules)
classify_SRCS :=
classify_SRCS += retryd/classify/classify.c
classify_SRCS += retryd/classify/classify_guard.c
classify_SRCS += retryd/classify/classify_literal.c
classify_SRCS += retryd/classify/classify_name.c
classify_SRCS += retryd/classify/classify_norm.c
classify_SRCS += retryd/classify/classify_prefilter.c
