/*
 * NAME
 *	bench_verify 1
 * SUMMARY
 *	verifier throughput against a real NSD, beside raw getdns rates
 * SYNOPSIS
 *	bench_verify ADDR [DOMAINS]
 * DESCRIPTION
 *	ADDR serves bench.test with dNNNNN.bench.test MX records (see
 *	bench_verify.sh). Measures, in one run against the same server:
 *	the raw asynchronous getdns MX rate (one stub UDP context, at most
 *	LIMIT_VERIFY_INFLIGHT in flight, getdns's own event loop), the
 *	one-at-a-time rate (getdns_general_sync), then verify_domains() over
 *	DOMAINS distinct domains (independent = ADDR, authoritative = no,
 *	tcp = no): domains/s, queries/s and the ratio to the raw rate. Last,
 *	100,000 due messages over 10 domains go through
 *	verify_unique_domains() and one verify_domains() call.
 *	Prints figures; never fails on a number.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <getdns/getdns_extra.h>

#include "dns/verify.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static getdns_context *stub(const char *addr)
{
	getdns_context *ctx = NULL;
	getdns_dict *up = getdns_dict_create();
	getdns_list *ups = getdns_list_create();
	getdns_transport_list_t tr = GETDNS_TRANSPORT_UDP;
	uint8_t a[4];
	getdns_bindata type = {4, (uint8_t *)"IPv4"}, data = {4, a};

	inet_pton(AF_INET, addr, a);
	getdns_context_create(&ctx, 0);
	getdns_dict_set_bindata(up, "address_type", &type);
	getdns_dict_set_bindata(up, "address_data", &data);
	getdns_list_set_dict(ups, 0, up);
	getdns_context_set_resolution_type(ctx, GETDNS_RESOLUTION_STUB);
	getdns_context_set_upstream_recursive_servers(ctx, ups);
	getdns_context_set_dns_transport_list(ctx, 1, &tr);
	getdns_context_set_timeout(ctx, 2000);
	getdns_dict_destroy(up);
	getdns_list_destroy(ups);
	return ctx;
}

struct raw {
	getdns_context *ctx;
	char **names;
	size_t n, next, done, good;
};

static void raw_cb(getdns_context *ctx, getdns_callback_type_t t,
		   getdns_dict *resp, void *arg, getdns_transaction_t tid);

static void raw_issue(struct raw *r)
{
	getdns_transaction_t tid;

	if (r->next < r->n)
		getdns_general(r->ctx, r->names[r->next++], GETDNS_RRTYPE_MX,
			       NULL, r, &tid, raw_cb);
}

static void raw_cb(getdns_context *ctx, getdns_callback_type_t t,
		   getdns_dict *resp, void *arg, getdns_transaction_t tid)
{
	struct raw *r = arg;
	uint32_t status = 0;

	(void)ctx;
	(void)tid;
	if (t == GETDNS_CALLBACK_COMPLETE &&
	    getdns_dict_get_int(resp, "status", &status) == 0 && status == 900)
		r->good++;
	r->done++;
	getdns_dict_destroy(resp);
	raw_issue(r);
}

int main(int argc, char **argv)
{
	static struct policy p;
	size_t n = argc > 2 ? (size_t)strtoul(argv[2], NULL, 10) : 10000,
	       sync_n;
	char **names, err[256];
	struct raw r = {0};
	struct verifier *v = NULL;
	struct verify_result *res;
	double t0, raw_qps, sync_qps, dt;
	uint64_t q0;
	size_t ok = 0;

	if (argc < 2 || n == 0) {
		fprintf(stderr, "usage: bench_verify ADDR [DOMAINS]\n");
		return 2;
	}
	names = calloc(n, sizeof(*names));
	for (size_t i = 0; i < n; i++) {
		names[i] = malloc(32);
		snprintf(names[i], 32, "d%05zu.bench.test", i + 1);
	}

	/* Raw asynchronous getdns rate. */
	r.ctx = stub(argv[1]);
	r.names = names;
	r.n = n;
	t0 = now_s();
	for (size_t i = 0; i < LIMIT_VERIFY_INFLIGHT; i++)
		raw_issue(&r);
	getdns_context_run(r.ctx);
	dt = now_s() - t0;
	raw_qps = (double)r.done / dt;
	printf("raw async getdns:    %zu MX queries in %.3f s = %.0f q/s (%zu "
	       "good, %d in flight)\n",
	       r.done, dt, raw_qps, r.good, LIMIT_VERIFY_INFLIGHT);

	/* One at a time. */
	sync_n = n < 3000 ? n : 3000;
	t0 = now_s();
	for (size_t i = 0; i < sync_n; i++) {
		getdns_dict *resp = NULL;

		getdns_general_sync(r.ctx, names[i], GETDNS_RRTYPE_MX, NULL,
				    &resp);
		getdns_dict_destroy(resp);
	}
	dt = now_s() - t0;
	sync_qps = (double)sync_n / dt;
	printf("one-at-a-time getdns: %zu MX queries in %.3f s = %.0f q/s\n",
	       sync_n, dt, sync_qps);
	getdns_context_destroy(r.ctx);

	/* The verifier. */
	p.authoritative = 0;
	p.tcp = 0;
	p.timeout_ms = 2000;
	p.resolvers_independent.n = 1;
	p.resolvers_independent.items[0].family = AF_INET;
	inet_pton(AF_INET, argv[1], p.resolvers_independent.items[0].addr);
	p.resolvers_independent.items[0].port = 53;
	snprintf(p.resolvers_independent.items[0].text, 64, "%s:53", argv[1]);
	if (verifier_new(&p, &v, err, sizeof(err)) < 0) {
		fprintf(stderr, "bench_verify: %s\n", err);
		return 1;
	}
	res = calloc(n, sizeof(*res));
	if (res == NULL) {
		fprintf(stderr, "bench_verify: out of memory\n");
		return 1;
	}
	q0 = verifier_queries(v);
	t0 = now_s();
	verify_domains(v, (const char *const *)names, n, (int64_t)time(NULL),
		       res, err, sizeof(err));
	dt = now_s() - t0;
	for (size_t i = 0; i < n; i++)
		ok += res[i].verdict == VERDICT_HEALTHY;
	printf("verifier:            %zu domains in %.3f s = %.0f domains/s, "
	       "%llu queries = %.0f q/s"
	       " (%zu healthy)\n",
	       n, dt, (double)n / dt,
	       (unsigned long long)(verifier_queries(v) - q0),
	       (double)(verifier_queries(v) - q0) / dt, ok);
	printf("ratio verifier/raw:  %.0f%% (queries/s; target >= 50%%)\n",
	       100.0 * ((double)(verifier_queries(v) - q0) / dt) / raw_qps);

	/* 100,000 due messages over 10 domains. */
	{
		size_t due = 100000, uniq = 0;
		const char **in = malloc(due * sizeof(*in)),
			   **u = malloc(due * sizeof(*u));

		for (size_t i = 0; i < due; i++)
			in[i] = names[i % 10];
		t0 = now_s();
		verify_unique_domains(in, due, u, &uniq);
		dt = now_s() - t0;
		q0 = verifier_queries(v);
		verify_domains(v, u, uniq, (int64_t)time(NULL), res, err,
			       sizeof(err));
		printf("dedup:               %zu due messages -> %zu domains "
		       "in %.1f ms -> %llu DNS queries\n",
		       due, uniq, dt * 1000,
		       (unsigned long long)(verifier_queries(v) - q0));
		free(in);
		free(u);
	}
	free(res);
	verifier_free(v);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return 0;
}
