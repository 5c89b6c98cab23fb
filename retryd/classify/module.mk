# classify — bounce text classification (PCRE2 rules)
classify_SRCS :=
classify_SRCS += retryd/classify/classify.c
