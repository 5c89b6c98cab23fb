/*
 * NAME
 *	monotime 3
 * SUMMARY
 *	CLOCK_MONOTONIC in milliseconds, for every timer of retryd
 * DESCRIPTION
 *	monotime_ms() reads CLOCK_MONOTONIC (Linux: it cannot fail with a
 *	valid clock id and pointer). Owns nothing.
 */
#include <time.h>

#include "util/monotime.h"

int64_t monotime_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
