/*
 * NAME
 *	srcdir_fx 3
 * SUMMARY
 *	the unit tests' way to name a file of the source tree (see srcdir_fx.h)
 * DESCRIPTION
 *	Owns four static path buffers, reused in turn.
 */
#include <stdio.h>
#include <stdlib.h>

#include "srcdir_fx.h"

const char *srcdir_fx_path(const char *rel)
{
	static char buf[4][2048];
	static int n;
	const char *env = getenv("RETRYD_SRCDIR");
	char *b = buf[n++ % 4];

	snprintf(b, sizeof(buf[0]), "%s/%s",
		 env != NULL && *env != '\0' ? env : ".", rel);
	return b;
}
