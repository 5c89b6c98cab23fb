# ctl — retryctl: one file per command
ctl_SRCS :=
ctl_SRCS += retryd/ctl/ctl_classify.c
ctl_SRCS += retryd/ctl/ctl_diagnose.c
ctl_SRCS += retryd/ctl/ctl_export.c
ctl_SRCS += retryd/ctl/ctl_list.c
ctl_SRCS += retryd/ctl/ctl_release.c
ctl_SRCS += retryd/ctl/ctl_report.c
ctl_SRCS += retryd/ctl/ctl_show.c
ctl_SRCS += retryd/ctl/ctl_store.c
ctl_SRCS += retryd/ctl/ctl_suppressed.c
ctl_SRCS += retryd/ctl/ctl_table.c
ctl_SRCS += retryd/ctl/ctl_sentinel.c
ctl_SRCS += retryd/ctl/ctl_rcpt.c
ctl_SRCS += retryd/ctl/ctl_shape.c
ctl_SRCS += retryd/ctl/ctl_status.c
ctl_SRCS += retryd/ctl/ctl_fleet.c
ctl_SRCS += retryd/ctl/ctl_release_journal.c
