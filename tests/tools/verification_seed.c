/*
 * NAME
 *	verification_seed 1
 * SUMMARY
 *	test tool: store verifier JSON lines as verifications in a real store
 * SYNOPSIS
 *	verification_seed [-b SECONDS]... STATE_DIR < json-lines
 * DESCRIPTION
 *	Reads verify_result_json() objects, one per line (what verify_tool
 *	prints after asking real resolvers), and stores each as a
 *	store_verification: domain, verdict and time from the object's
 *	"domain", "verdict" and "checked_at_unix", the line itself as the
 *	answers text, exactly as the daemon does. Each -b SECONDS stores
 *	every line that many seconds earlier (several -b: a history of the
 *	same answers over time); without -b, at its own time. Opens the store
 *like the daemon (creating it when missing); run it while no daemon uses
 *STATE_DIR. DIAGNOSTICS "verification_seed: stdin:LINE: message", exit 1; 2 on
 *bad usage.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "store/store.h"

#define SEED_MAX_BACK 16

int main(int argc, char **argv)
{
	long long back[SEED_MAX_BACK + 1] = {0};
	size_t nback = 0, cap = 0;
	struct store *st = NULL;
	char err[512], *line = NULL;
	unsigned lineno = 0;
	ssize_t len;
	int i;

	for (i = 1; i + 1 < argc && strcmp(argv[i], "-b") == 0; i += 2) {
		char *end;

		errno = 0;
		back[nback] = strtoll(argv[i + 1], &end, 10);
		if (errno || *end || end == argv[i + 1] || back[nback] < 0 ||
		    nback == SEED_MAX_BACK) {
			fprintf(stderr, "verification_seed: bad -b %s\n",
				argv[i + 1]);
			return 2;
		}
		nback++;
	}
	if (nback == 0)
		nback = 1; /* back[0] = 0: the line's own time */
	if (i + 1 != argc) {
		fprintf(stderr, "usage: verification_seed [-b SECONDS]... "
				"STATE_DIR < json-lines\n");
		return 2;
	}
	if (store_open(argv[i], STORE_OPEN_DAEMON, 0, &st, err, sizeof(err)) !=
	    STORE_OK) {
		fprintf(stderr, "verification_seed: %s\n", err);
		return 1;
	}
	while ((len = getline(&line, &cap, stdin)) > 0) {
		struct store_verification v;
		json_error_t jerr;
		json_t *o;
		const char *d, *vd;
		json_t *t;

		lineno++;
		if (line[len - 1] == '\n')
			line[--len] = '\0';
		if (len == 0)
			continue;
		o = json_loads(line, JSON_REJECT_DUPLICATES, &jerr);
		d = json_string_value(json_object_get(o, "domain"));
		vd = json_string_value(json_object_get(o, "verdict"));
		t = json_object_get(o, "checked_at_unix");
		if (d == NULL || vd == NULL || !json_is_integer(t) ||
		    strlen(d) > LIMIT_DOMAIN || strlen(vd) > LIMIT_VERDICT) {
			fprintf(stderr,
				"verification_seed: stdin:%u: not a "
				"verifier result\n",
				lineno);
			json_decref(o);
			store_close(st);
			return 1;
		}
		memset(&v, 0, sizeof(v));
		strcpy(v.domain, d);
		strcpy(v.verdict, vd);
		v.answers = line;
		for (size_t b = 0; b < nback; b++) {
			v.time = (int64_t)json_integer_value(t) - back[b];
			if (store_add_verification(st, NULL, &v, err,
						   sizeof(err)) != STORE_OK) {
				fprintf(stderr,
					"verification_seed: stdin:%u: "
					"%s\n",
					lineno, err);
				json_decref(o);
				store_close(st);
				return 1;
			}
		}
		json_decref(o);
	}
	free(line);
	store_close(st);
	return 0;
}
