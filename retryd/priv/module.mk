# priv — the privileged helper, its socketpair protocol and the drop
priv_SRCS :=
priv_SRCS += retryd/priv/priv_client.c
priv_SRCS += retryd/priv/priv_drop.c
priv_SRCS += retryd/priv/priv_helper.c
priv_SRCS += retryd/priv/priv_proto.c
priv_SRCS += retryd/priv/priv_seccomp.c
