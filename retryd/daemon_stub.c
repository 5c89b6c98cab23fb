/*
 * NAME
 *	daemon_stub 3
 * SUMMARY
 *	placeholder daemon_run() until daemon.c exists (remove then)
 * DESCRIPTION
 *	Lets build/retryd link so that retryd -t works and can be tested.
 * DIAGNOSTICS
 *	Always says so on stderr and returns 1.
 */
#include <stdio.h>

#include "daemon.h"

int daemon_run(const char *policy_file, const struct policy *p, int once)
{
	(void)policy_file;
	(void)p;
	(void)once;
	fprintf(stderr, "retryd: daemon loop not built yet\n");
	return 1;
}
