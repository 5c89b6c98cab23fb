/*
 * NAME
 *	domhold_tool 1
 * SUMMARY
 *	hold or release Exim mail by domain from the command line, with
 *	retryd's own held-domains file writer (bench helper)
 * SYNOPSIS
 *	domhold_tool FILE add DOMAIN...
 *	domhold_tool FILE set [DOMAIN...]
 * DESCRIPTION
 *	Opens FILE as the daemon does (pass_domhold_open: its domains read
 *	back, created empty when missing), then add holds the DOMAINs too
 *	(pass_domhold_add) and set makes the file hold exactly the DOMAINs,
 *	none to release them all (pass_domhold_replace): one atomic write
 *	when the set changes. tests/bench/bench_scale_exim.sh times it
 *	against exim -Mf/-Mt per id and batched.
 * DIAGNOSTICS
 *	Exit 0 done; 1 with the error on stderr; 2 on bad usage.
 */
#include <stdio.h>
#include <string.h>

#include "pass/pass_domhold.h"

int main(int argc, char **argv)
{
	struct pass_domhold h;
	char err[512];
	int rc;

	if (argc < 3 ||
	    (strcmp(argv[2], "add") != 0 && strcmp(argv[2], "set") != 0)) {
		fprintf(stderr, "usage: domhold_tool FILE add|set DOMAIN...\n");
		return 2;
	}
	if (pass_domhold_open(&h, argv[1], err, sizeof(err)) < 0) {
		fprintf(stderr, "domhold_tool: %s\n", err);
		return 1;
	}
	if (strcmp(argv[2], "add") == 0)
		rc = pass_domhold_add(&h, (const char *const *)argv + 3,
				      (size_t)(argc - 3), err, sizeof(err));
	else
		rc = pass_domhold_replace(&h, (const char *const *)argv + 3,
					  (size_t)(argc - 3), err, sizeof(err));
	if (rc < 0)
		fprintf(stderr, "domhold_tool: %s\n", err);
	pass_domhold_free(&h);
	return rc < 0 ? 1 : 0;
}
