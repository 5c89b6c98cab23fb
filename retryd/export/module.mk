# export — lookup tables for the MTA from the policy and the store
export_SRCS :=
export_SRCS += retryd/export/export.c
