# backoff — duration-based backoff (pure)
backoff_SRCS :=
backoff_SRCS += retryd/backoff/backoff.c
