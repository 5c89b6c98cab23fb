# suppress — suppression criteria over stored evidence (pure)
suppress_SRCS :=
suppress_SRCS += retryd/suppress/suppress.c
