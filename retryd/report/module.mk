# report — the escalation proof report
report_SRCS :=
report_SRCS += retryd/report/report.c
report_SRCS += retryd/report/report_doc.c
report_SRCS += retryd/report/report_render.c
report_SRCS += retryd/report/report_store.c
