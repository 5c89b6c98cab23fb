# status — what retryd holds, counted: retryctl status and the metrics file
status_SRCS :=
status_SRCS += retryd/status/status.c
status_SRCS += retryd/status/status_metrics.c
status_SRCS += retryd/status/status_sentinel.c
