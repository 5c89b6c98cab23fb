/*
 * bench_trace - what the trace from the root hints costs (issue 11).
 *
 * usage: bench_trace RESOLVER HINTS [DOMAINS]
 *
 * Verifies DOMAINS (default 1000) dNNNNN.bench.test names twice with
 * authoritative = yes and one independent RESOLVER: (a) the NS found
 * through the resolver (no root hints), (b) the NS found by tracing from
 * the lab root in HINTS. Prints, for each: the whole batch (domains/s),
 * queries per domain, and for (b) the trace's own queries per domain and
 * its time per domain (mean, median, 95th percentile); then 50 domains
 * one at a time (the latency one verification adds). Figures only.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "dns/verify.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

static void run(const char *label, struct policy *p, char **names, size_t n)
{
	struct verifier *v = NULL;
	struct verify_result *res = calloc(n, sizeof(*res));
	uint32_t *ms = calloc(n, sizeof(*ms));
	char err[256];
	double t0, dt, one;
	uint64_t q = 0, tq = 0, tms = 0;
	size_t ok = 0, traced = 0, single = n < 50 ? n : 50;

	if (res == NULL || ms == NULL ||
	    verifier_new(p, &v, err, sizeof(err)) < 0) {
		fprintf(stderr, "bench_trace: %s\n",
			res && ms ? err : "out of memory");
		exit(1);
	}
	t0 = now_s();
	verify_domains(v, (const char *const *)names, n, (int64_t)time(NULL),
		       res, err, sizeof(err));
	dt = now_s() - t0;
	for (size_t i = 0; i < n; i++) {
		ok += res[i].verdict == VERDICT_HEALTHY;
		q += res[i].queries;
		tq += res[i].trace_queries;
		tms += res[i].trace_ms;
		if (strncmp(res[i].ns_path, "trace from", 10) == 0)
			ms[traced++] = res[i].trace_ms;
	}
	printf("%s: %zu domains in %.3f s = %.0f domains/s, %.1f queries "
	       "per domain (%zu healthy)\n",
	       label, n, dt, (double)n / dt, (double)q / (double)n, ok);
	if (traced > 0) {
		qsort(ms, traced, sizeof(*ms), cmp_u32);
		printf("%s: trace found the servers for %zu/%zu; %.2f trace "
		       "queries per domain; trace time per domain mean %.1f "
		       "ms, median %u ms, p95 %u ms (%zu concurrent)\n",
		       label, traced, n, (double)tq / (double)n,
		       (double)tms / (double)n, ms[traced / 2],
		       ms[traced * 95 / 100], n);
	}
	t0 = now_s();
	for (size_t i = 0; i < single; i++)
		verify_domains(v, (const char *const *)&names[i], 1,
			       (int64_t)time(NULL), res, err, sizeof(err));
	one = (now_s() - t0) / (double)single;
	printf("%s: one domain at a time: %.2f ms per verification "
	       "(canaries included), %llu queries, %llu by the trace\n",
	       label, one * 1000.0, (unsigned long long)res[0].queries,
	       (unsigned long long)res[0].trace_queries);
	verifier_free(v);
	free(res);
	free(ms);
}

int main(int argc, char **argv)
{
	static struct policy p;
	size_t n = argc > 3 ? (size_t)strtoul(argv[3], NULL, 10) : 1000;
	char **names;

	if (argc < 3 || n == 0) {
		fprintf(stderr,
			"usage: bench_trace RESOLVER HINTS [DOMAINS]\n");
		return 2;
	}
	names = calloc(n, sizeof(*names));
	for (size_t i = 0; names && i < n; i++) {
		names[i] = malloc(32);
		snprintf(names[i], 32, "d%05zu.bench.test", i + 1);
	}
	p.authoritative = 1;
	p.tcp = 0;
	p.timeout_ms = 2000;
	p.resolvers_independent.n = 1;
	p.resolvers_independent.items[0].family = AF_INET;
	inet_pton(AF_INET, argv[1], p.resolvers_independent.items[0].addr);
	p.resolvers_independent.items[0].port = 53;
	snprintf(p.resolvers_independent.items[0].text, 64, "%s:53", argv[1]);
	run("NS via resolver", &p, names, n);
	p.root_hints = argv[2];
	run("trace from root", &p, names, n);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return 0;
}
