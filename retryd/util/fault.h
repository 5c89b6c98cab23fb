/*
 * NAME
 *	fault 3h
 * SUMMARY
 *	fault points of the test build: die at a named point on request
 * DESCRIPTION
 *	FAULT_POINT("name") does nothing in the release build. Built with
 *	-DRETRYD_TEST_FAULTS (the ASan build the tests run), it kills the
 *	process with SIGKILL when the environment variable RETRYD_FAULT is
 *	"name", after one log line "fault point NAME: SIGKILL", so a test
 *	can stop retryd at an exact moment (between reading outcomes and
 *	committing them, for one) instead of guessing it with timing.
 */
#ifndef RETRYD_FAULT_H
#define RETRYD_FAULT_H

#ifdef RETRYD_TEST_FAULTS
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"

static inline void fault_point(const char *name)
{
	const char *want = getenv("RETRYD_FAULT");

	if (want == NULL || strcmp(want, name) != 0)
		return;
	log_warn("fault point %s: SIGKILL", name);
	raise(SIGKILL);
}
#define FAULT_POINT(name) fault_point(name)
#else
#define FAULT_POINT(name) ((void)0)
#endif

#endif
