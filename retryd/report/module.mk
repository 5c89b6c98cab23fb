# report — the escalation proof report
report_SRCS :=
report_SRCS += retryd/report/report.c
report_SRCS += retryd/report/report_doc.c
report_SRCS += retryd/report/report_render.c
report_SRCS += retryd/report/report_store.c
report_SRCS += retryd/report/report_lanes.c
report_SRCS += retryd/report/report_html.c
report_SRCS += retryd/report/report_svg.c
report_SRCS += retryd/report/report_summary.c
report_SRCS += retryd/report/report_sentinel.c
