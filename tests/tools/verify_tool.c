/*
 * NAME
 *	verify_tool 1
 * SUMMARY
 *	run verify_domains() from the command line (lab test helper)
 * SYNOPSIS
 *	verify_tool [-m ADDR]... [-i ADDR]... [-a yes|no] [-t yes|no]
 *		[-T MS] [-R ROOT-HINTS] [-c CANARY]... [-s] DOMAIN...
 * DESCRIPTION
 *	Builds a struct policy holding only the [resolvers] settings
 *	(-m MTA node, -i independent resolver, -a authoritative, -t tcp,
 *	-T timeout in ms), verifies every DOMAIN in one verify_domains()
 *	call and prints one verify_result_json() object per line (-s: the
 *	verify_result_summary() line instead). Lets the lab scenarios test
 *	the verifier against real NSD and unbound without the policy loader.
 * DIAGNOSTICS
 *	Exit 0 whatever the verdicts; 2 on bad usage; 1 when the verifier
 *	itself fails.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "dns/verify.h"

static int tool_resolver(const char *text, struct policy_resolver *r)
{
	char host[64];
	const char *colon;
	char *end;
	long port = 53;

	memset(r, 0, sizeof(*r));
	if (text[0] == '[') {
		const char *close = strchr(text, ']');

		if (close == NULL || (size_t)(close - text - 1) >= sizeof(host))
			return -1;
		memcpy(host, text + 1, (size_t)(close - text - 1));
		host[close - text - 1] = '\0';
		colon = close[1] == ':' ? close + 1 : NULL;
		r->family = AF_INET6;
	} else {
		colon = strchr(text, ':');
		size_t n = colon ? (size_t)(colon - text) : strlen(text);

		if (n >= sizeof(host))
			return -1;
		memcpy(host, text, n);
		host[n] = '\0';
		r->family = AF_INET;
	}
	if (colon != NULL) {
		errno = 0;
		port = strtol(colon + 1, &end, 10);
		if (errno || *end || port < 1 || port > 65535)
			return -1;
	}
	if (inet_pton(r->family, host, r->addr) != 1)
		return -1;
	r->port = (uint16_t)port;
	snprintf(r->text, sizeof(r->text),
		 r->family == AF_INET6 ? "[%s]:%ld" : "%s:%ld", host, port);
	return 0;
}

static int tool_add(struct policy_resolver_list *l, const char *text)
{
	if (l->n >= LIMIT_POLICY_RESOLVERS ||
	    tool_resolver(text, &l->items[l->n]) < 0) {
		fprintf(stderr, "verify_tool: bad resolver: %s\n", text);
		return -1;
	}
	l->n++;
	return 0;
}

int main(int argc, char **argv)
{
	static struct policy p;
	struct verifier *v = NULL;
	struct verify_result *res;
	char err[256];
	int c, summary = 0;
	long ms;

	p.authoritative = 1;
	p.tcp = 0;
	p.timeout_ms = 500;
	static char *canaries[LIMIT_POLICY_CANARIES];

	while ((c = getopt(argc, argv, "m:i:a:t:T:sR:c:")) != -1) {
		switch (c) {
		case 'R':
			p.root_hints = optarg;
			break;
		case 'c':
			if (p.canaries.n >= LIMIT_POLICY_CANARIES)
				return 2;
			canaries[p.canaries.n++] = optarg;
			p.canaries.items = canaries;
			break;
		case 'm':
			if (tool_add(&p.resolvers_mta, optarg) < 0)
				return 2;
			break;
		case 'i':
			if (tool_add(&p.resolvers_independent, optarg) < 0)
				return 2;
			break;
		case 'a':
			p.authoritative = strcmp(optarg, "yes") == 0;
			break;
		case 't':
			p.tcp = strcmp(optarg, "yes") == 0;
			break;
		case 'T':
			ms = strtol(optarg, NULL, 10);
			if (ms < 1 || ms > 60000)
				return 2;
			p.timeout_ms = ms;
			break;
		case 's':
			summary = 1;
			break;
		default:
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr,
			"usage: verify_tool [-m ADDR] [-i ADDR] [-a yes|no] "
			"[-t yes|no] [-T MS] [-R ROOT-HINTS] [-c CANARY] [-s] "
			"DOMAIN...\n");
		return 2;
	}
	if (verifier_new(&p, &v, err, sizeof(err)) < 0) {
		fprintf(stderr, "verify_tool: %s\n", err);
		return 1;
	}
	res = calloc((size_t)(argc - optind), sizeof(*res));
	if (res == NULL ||
	    verify_domains(v, (const char *const *)argv + optind,
			   (size_t)(argc - optind), (int64_t)time(NULL), res,
			   err, sizeof(err)) < 0) {
		fprintf(stderr, "verify_tool: %s\n",
			res ? err : "out of memory");
		return 1;
	}
	for (int i = 0; i < argc - optind; i++) {
		if (summary) {
			char line[LIMIT_EVIDENCE_DNS];

			verify_result_summary(&res[i], line, sizeof(line));
			printf("%s %s | %s\n", res[i].domain,
			       verify_verdict_name(res[i].verdict), line);
		} else {
			char *j = verify_result_json(&res[i]);

			printf("%s\n", j ? j : "null");
			free(j);
		}
	}
	free(res);
	verifier_free(v);
	return 0;
}
