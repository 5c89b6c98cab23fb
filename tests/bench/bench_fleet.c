/*
 * bench_fleet — the fleet tier's figures (issue 15), in one run:
 *   1. local Berkeley DB evidence commits, without and with the outbox
 *      copy in the same transaction (records/s);
 *   2. shipping that outbox to PostgreSQL (fleet_ship: multi-row INSERT
 *      ... ON CONFLICT DO NOTHING batches, then the outbox removal),
 *      records/s per host;
 *   3. fleet-wide suppression over GEN evidence records generated in
 *      PostgreSQL (another host's): fleet_suppress_evaluate() with window
 *      0 reads every address's evidence through the cursor and decides.
 * usage: bench_fleet POLICY N GEN
 *   POLICY a policy with state_dir, host_id, [suppression] and [fleet]
 *   N      evidence records committed locally and shipped
 *   GEN    evidence records generated upstream for the evaluation
 * Figures only; never pass/fail on a number.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "fleet/fleet.h"
#include "policy/policy.h"
#include "store/store.h"

#define BENCH_TXN_RECORDS 100	/* evidence records per transaction */
#define BENCH_GEN_CHUNK	  50000 /* generated rows per INSERT statement */

static double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* N evidence records, BENCH_TXN_RECORDS per transaction. */
static double bench_commit(struct store *st, const char *tag, long n)
{
	struct store_evidence *ev = calloc(1, sizeof(*ev));
	struct store_txn *txn;
	char err[512];
	double t0 = bench_now();

	for (long i = 0; i < n; i += BENCH_TXN_RECORDS) {
		if (store_txn_begin(st, &txn, err, sizeof(err)) != STORE_OK)
			goto fail;
		for (long j = i; j < n && j < i + BENCH_TXN_RECORDS; j++) {
			snprintf(ev->address, sizeof(ev->address),
				 "%s%ld@bench.test", tag, j % 50000);
			ev->time = 1700000000 + j;
			snprintf(ev->queue_id, sizeof(ev->queue_id), "Q%lX", j);
			snprintf(ev->verdict, sizeof(ev->verdict), "healthy");
			ev->outcome = STORE_OUTCOME_DEFERRED;
			snprintf(ev->dsn, sizeof(ev->dsn), "4.1.1");
			snprintf(ev->text, sizeof(ev->text),
				 "450 4.1.1 <%s>: Recipient address rejected: "
				 "User unknown",
				 ev->address);
			snprintf(ev->category, sizeof(ev->category),
				 "mailbox-unknown");
			snprintf(ev->dns, sizeof(ev->dns),
				 "mta 127.0.0.54 mx 10 mx1.bench.test");
			if (store_add_evidence(st, txn, ev, err, sizeof(err)) !=
			    STORE_OK) {
				store_txn_abort(txn);
				goto fail;
			}
		}
		if (store_txn_commit(txn, err, sizeof(err)) != STORE_OK)
			goto fail;
	}
	free(ev);
	return bench_now() - t0;
fail:
	fprintf(stderr, "bench_fleet: commit: %s\n", err);
	free(ev);
	exit(1);
}

/* One statement of the generator: rows [from, to). */
static void bench_generate_chunk(struct fleet *f, long from, long to)
{
	char sql[1024];
	PGresult *r;

	/* 5 records per address, an hour apart; one address in 20 fails 3
	 * times while healthy (suppressed), the others fail twice then are
	 * delivered. */
	snprintf(sql, sizeof(sql),
		 "INSERT INTO fleet_evidence (host_id, seq, address, time, "
		 "queue_id, verdict, outcome, dsn, reason, category, dns) "
		 "SELECT 'bench-gen', g, 'u' || (g / 5) || '@gen.test', "
		 "1700000000 + (g %% 5) * 3600, 'Q' || g, 'healthy', CASE WHEN "
		 "g %% 5 >= 2 AND (g / 5) %% 20 <> 0 THEN 'delivered' ELSE "
		 "'deferred' END, '4.1.1', 'User unknown', 'mailbox-unknown', "
		 "'' FROM generate_series(%ld, %ld) g ON CONFLICT DO NOTHING",
		 from, to - 1);
	r = PQexec(fleet_conn(f), sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		fprintf(stderr, "bench_fleet: generate %ld-%ld: %s", from, to,
			PQresultErrorMessage(r));
		exit(1);
	}
	PQclear(r);
}

/* gen records of another host in PostgreSQL, BENCH_GEN_CHUNK rows per
 * statement: each stays well inside the session's statement_timeout
 * (FLEET_STATEMENT_MS, the daemon's own), which the evaluation below is
 * measured under. */
static double bench_generate(struct fleet *f, long gen)
{
	double t0 = bench_now();
	PGresult *r;

	for (long g = 0; g < gen; g += BENCH_GEN_CHUNK)
		bench_generate_chunk(
		    f, g,
		    g + BENCH_GEN_CHUNK < gen ? g + BENCH_GEN_CHUNK : gen);
	r = PQexec(fleet_conn(f), "ANALYZE fleet_evidence");
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		fprintf(stderr, "bench_fleet: analyze: %s",
			PQresultErrorMessage(r));
		exit(1);
	}
	PQclear(r);
	return bench_now() - t0;
}

int main(int argc, char **argv)
{
	struct policy *p = NULL;
	struct store *st;
	struct fleet *f;
	char err[2048];
	size_t shipped, total = 0, decided, evaluated;
	long n, gen;
	double t_plain, t_outbox, t_ship, t_eval, t_gen;
	int from;

	if (argc != 4) {
		fprintf(stderr, "usage: bench_fleet POLICY N GEN\n");
		return 2;
	}
	n = atol(argv[2]);
	gen = atol(argv[3]);
	if (policy_load(argv[1], &p, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	if (store_open(p->state_dir, STORE_OPEN_DAEMON, 0, &st, err,
		       sizeof(err)) != STORE_OK) {
		fprintf(stderr, "bench_fleet: %s\n", err);
		return 1;
	}
	f = fleet_new(p);
	if (fleet_schema_init(f, &from, err, sizeof(err)) < 0) {
		fprintf(stderr, "bench_fleet: %s\n", err);
		return 1;
	}

	t_plain = bench_commit(st, "plain", n);
	if (store_outbox_enable(st, (size_t)n + 1, err, sizeof(err)) !=
	    STORE_OK) {
		fprintf(stderr, "bench_fleet: %s\n", err);
		return 1;
	}
	t_outbox = bench_commit(st, "fleet", n);
	{
		double t0 = bench_now();

		do {
			if (fleet_ship(f, st, 1700000000, &shipped, err,
				       sizeof(err)) < 0) {
				fprintf(stderr, "bench_fleet: %s\n", err);
				return 1;
			}
			total += shipped;
		} while (shipped > 0);
		t_ship = bench_now() - t0;
	}
	printf("bench_fleet: %ld evidence records, %d per transaction, one "
	       "host:\n",
	       n, BENCH_TXN_RECORDS);
	printf("  local BDB commits, no outbox:        %9.0f records/s\n",
	       (double)n / t_plain);
	printf("  local BDB commits + outbox copy:     %9.0f records/s\n",
	       (double)n / t_outbox);
	printf("  shipped to PostgreSQL (%d/batch):   %9.0f records/s (%zu "
	       "records, %.2f s)\n",
	       LIMIT_FLEET_BATCH, (double)total / t_ship, total, t_ship);

	t_gen = bench_generate(f, gen);
	{
		double t0 = bench_now();

		if (fleet_suppress_evaluate(f, 0, 1700100000, &decided,
					    &evaluated, err, sizeof(err)) < 0) {
			fprintf(stderr, "bench_fleet: %s\n", err);
			return 1;
		}
		t_eval = bench_now() - t0;
	}
	printf("bench_fleet: fleet-wide suppression evaluation over %ld "
	       "evidence records (%ld generated for another host in %.1f s + "
	       "%zu shipped), statement_timeout %d ms as in the daemon:\n"
	       "  %zu addresses evaluated, %zu suppressed: %.2f s (%.0f "
	       "records/s)\n",
	       gen + (long)total, gen, t_gen, total, FLEET_STATEMENT_MS,
	       evaluated, decided, t_eval,
	       (double)(gen + (long)total) / t_eval);
	fleet_close(f);
	store_close(st);
	policy_free(p);
	return 0;
}
