# util — log, spawn, limits: mechanisms every process shares
util_SRCS :=
util_SRCS += retryd/util/log.c
util_SRCS += retryd/util/spawn.c
util_SRCS += retryd/util/atomic_file.c
util_SRCS += retryd/util/version.c
util_SRCS += retryd/util/spawn_all.c
util_SRCS += retryd/util/spawn_argv.c
util_SRCS += retryd/util/spawn_pool.c
util_SRCS += retryd/util/intern.c
util_SRCS += retryd/util/monotime.c
