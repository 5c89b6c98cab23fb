# dns — fresh DNS verification (getdns) and the verdict
dns_SRCS :=
dns_SRCS += retryd/dns/verdict.c
dns_SRCS += retryd/dns/verify.c
dns_SRCS += retryd/dns/verify_answer.c
dns_SRCS += retryd/dns/verify_json.c
dns_SRCS += retryd/dns/verify_loop.c
dns_SRCS += retryd/dns/verify_ns.c
dns_SRCS += retryd/dns/verify_trace.c
dns_SRCS += retryd/dns/verify_canary.c
