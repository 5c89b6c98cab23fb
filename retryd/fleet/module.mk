# fleet — the optional PostgreSQL tier: outbox shipping, fleet-wide suppression, cross-host views
fleet_SRCS :=
fleet_SRCS += retryd/fleet/fleet_export.c
fleet_SRCS += retryd/fleet/fleet_pg.c
fleet_SRCS += retryd/fleet/fleet_schema.c
fleet_SRCS += retryd/fleet/fleet_ship.c
fleet_SRCS += retryd/fleet/fleet_suppress.c
fleet_SRCS += retryd/fleet/fleet_view.c
