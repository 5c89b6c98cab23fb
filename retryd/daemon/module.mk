# daemon — retryd: the long-lived process, its loop and the plugin loader
daemon_SRCS :=
daemon_SRCS += retryd/daemon/daemon.c
daemon_SRCS += retryd/daemon/plugin_load.c
daemon_SRCS += retryd/daemon/observe.c
daemon_SRCS += retryd/daemon/notify.c
daemon_SRCS += retryd/daemon/daemon_report.c
daemon_SRCS += retryd/daemon/preflight.c
daemon_SRCS += retryd/daemon/preflight_log.c
daemon_SRCS += retryd/daemon/preflight_canary.c
daemon_SRCS += retryd/daemon/daemon_priv.c
daemon_SRCS += retryd/daemon/daemon_watch.c
