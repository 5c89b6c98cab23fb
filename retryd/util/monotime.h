/*
 * NAME
 *	monotime 3h
 * SUMMARY
 *	the one reading of CLOCK_MONOTONIC in milliseconds
 * DESCRIPTION
 *	Timeouts, intervals and durations are measured with monotime_ms():
 *	it never jumps with the wall clock. Wall time (time(2)) is only what
 *	is recorded and compared with the MTA's.
 */
#ifndef RETRYD_MONOTIME_H
#define RETRYD_MONOTIME_H

#include <stdint.h>

/** CLOCK_MONOTONIC in milliseconds. */
int64_t monotime_ms(void);

#endif
