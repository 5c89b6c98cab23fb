/*
 * bench_store - fill a fresh store and time the due selection.
 *
 * Usage: bench_store STATE_DIR [MESSAGES]
 *
 * Inserts MESSAGES (default 1,000,000) pending messages, one recipient
 * each, realistic field sizes, next attempts spread over 5 days, 1,000
 * per transaction (checkpointing every 100 transactions as the daemon
 * would), then selects the 10,000 earliest due with store_walk_due.
 * Prints inserts/s, the selection time in ms and the peak RSS (VmHWM)
 * after each phase. Measures only: no pass/fail on a number. Leaves the
 * store in STATE_DIR (closed cleanly) for bench_store.sh. MESSAGES 0
 * reuses the store already in STATE_DIR (selection only).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../retryd/store.h"

#define BENCH_BATCH  1000
#define BENCH_SPREAD (5 * 86400)
#define BENCH_SELECT 10000
#define BENCH_BASE   1700000000

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Peak and current resident set, kB, from /proc/self/status. */
static void print_rss(const char *phase)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long hwm = -1, rss = -1;

	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "VmHWM:", 6) == 0)
			hwm = strtol(line + 6, NULL, 10);
		else if (strncmp(line, "VmRSS:", 6) == 0)
			rss = strtol(line + 6, NULL, 10);
	}
	fclose(f);
	printf("bench_store: rss after %s: VmHWM %.1f MB, VmRSS %.1f MB\n",
	       phase, hwm / 1024.0, rss / 1024.0);
}

static const char *domains[] = {
    "hotmail.com",   "outlook.com",  "live.com",    "msn.com",
    "hotmail.co.uk", "hotmail.fr",   "outlook.de",  "live.nl",
    "contoso.com",   "fabrikam.net", "example.org", "northwind.io",
};

/* A deterministic, well mixed 64-bit sequence (splitmix64). */
static uint64_t mix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void fill_message(struct store_message *m, uint64_t i, uint64_t *rng)
{
	uint64_t r = mix(rng);
	const char *dom = domains[r % (sizeof(domains) / sizeof(domains[0]))];
	int64_t arrival = BENCH_BASE - (int64_t)(r >> 40) % 86400;

	strcpy(m->mta, "postfix");
	/* Postfix long-id shape; i keeps it unique, r spreads the keys. */
	snprintf(m->queue_id, sizeof(m->queue_id), "4%c%05lXz%07lX",
		 'B' + (int)(r % 20), (unsigned long)((r >> 8) & 0xfffff),
		 (unsigned long)i);
	snprintf(m->sender, sizeof(m->sender),
		 "bounces+%06lu@newsletter.example-shop.com",
		 (unsigned long)(r % 1000000));
	snprintf(m->domain, sizeof(m->domain), "%s", dom);
	strcpy(m->group, strstr(dom, "o") ? "microsoft" : "");
	m->state = STORE_MSG_HELD;
	m->arrival = arrival;
	m->first_failure = arrival + 30;
	m->adopted_at = arrival + 60;
	m->next_attempt = BENCH_BASE + (int64_t)(mix(rng) % BENCH_SPREAD);
	m->last_attempt = arrival + 300;
	m->attempts = (uint32_t)(r % 12);
	strcpy(m->last_verdict, "local-path");
	snprintf(m->last_reason, sizeof(m->last_reason),
		 "Host or domain name not found. Name service error for "
		 "name=%s type=MX: Host found but no data record of requested "
		 "type",
		 dom);
	snprintf(m->rcpts[0].address, sizeof(m->rcpts[0].address),
		 "firstname.lastname%lu@%s", (unsigned long)(r % 9999991), dom);
	m->rcpts[0].state = STORE_RCPT_PENDING;
	strcpy(m->rcpts[0].dsn, "4.4.4");
	snprintf(m->rcpts[0].reason, sizeof(m->rcpts[0].reason),
		 "Host or domain name not found (%s)", dom);
}

struct select_state {
	size_t n;
	int64_t last;
	int ordered;
};

static int count_due(const struct store_message *m, void *arg)
{
	struct select_state *s = arg;

	if (m->next_attempt < s->last)
		s->ordered = 0;
	s->last = m->next_attempt;
	s->n++;
	return 0;
}

int main(int argc, char **argv)
{
	struct store *st;
	struct store_message *m = store_message_new(1);
	struct store_txn *txn;
	uint64_t total = 1000000, rng = 42;
	char err[1024];
	double t0, t1;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: bench_store STATE_DIR [MESSAGES]\n");
		return 2;
	}
	if (argc == 3)
		total = strtoull(argv[2], NULL, 10);
	if (store_open(argv[1], STORE_OPEN_DAEMON, 0, &st, err, sizeof(err)) !=
	    STORE_OK) {
		fprintf(stderr, "bench_store: %s\n", err);
		return 1;
	}
	print_rss("open");

	t0 = now_s();
	for (uint64_t i = 0; i < total;) {
		if (store_txn_begin(st, &txn, err, sizeof(err)) != STORE_OK)
			goto fail;
		for (int k = 0; k < BENCH_BATCH && i < total; k++, i++) {
			fill_message(m, i, &rng);
			if (store_put_message(st, txn, m, err, sizeof(err)) !=
			    STORE_OK) {
				store_txn_abort(txn);
				goto fail;
			}
		}
		if (store_txn_commit(txn, err, sizeof(err)) != STORE_OK)
			goto fail;
		if ((i / BENCH_BATCH) % 100 == 0 &&
		    store_checkpoint(st, err, sizeof(err)) != STORE_OK)
			goto fail;
	}
	t1 = now_s();
	if (total == 0)
		goto select;
	printf("bench_store: inserted %llu messages (%d per txn) in %.2f s: "
	       "%.0f inserts/s\n",
	       (unsigned long long)total, BENCH_BATCH, t1 - t0,
	       (double)total / (t1 - t0));
	print_rss("insert");
select:

	for (int round = 1; round <= 3; round++) {
		struct select_state s = {0, 0, 1};

		t0 = now_s();
		if (store_walk_due(st, BENCH_BASE + BENCH_SPREAD, BENCH_SELECT,
				   count_due, &s, err, sizeof(err)) != STORE_OK)
			goto fail;
		t1 = now_s();
		printf("bench_store: select %zu earliest due (limit %d), run "
		       "%d: %.1f ms%s\n",
		       s.n, BENCH_SELECT, round, (t1 - t0) * 1000,
		       s.ordered ? "" : " (OUT OF ORDER)");
	}
	print_rss("select");

	t0 = now_s();
	if (store_checkpoint(st, err, sizeof(err)) != STORE_OK)
		goto fail;
	store_close(st);
	printf("bench_store: checkpoint + close: %.2f s\n", now_s() - t0);
	store_message_free(m);
	return 0;
fail:
	fprintf(stderr, "bench_store: %s\n", err);
	store_close(st);
	store_message_free(m);
	return 1;
}
