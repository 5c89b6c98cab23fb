/*
 * NAME
 *	notify 3h
 * SUMMARY
 *	sd_notify(3) without libsystemd: READY=1, WATCHDOG=1, STOPPING=1
 */
#ifndef RETRYD_NOTIFY_H
#define RETRYD_NOTIFY_H

#include <stdint.h>

/** Send @param state to $NOTIFY_SOCKET; nothing when it is unset.
 *  @return 0 (sent or nothing to do) or -1 (errno). */
int notify_send(const char *state);

/** Half of $WATCHDOG_USEC in milliseconds (when it is for this pid), or 0
 *  when systemd's watchdog is off. */
int64_t notify_watchdog_ms(void);

#endif
