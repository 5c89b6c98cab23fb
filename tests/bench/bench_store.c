/*
 * bench_store - fill a fresh store and time the due selection.
 *
 * Usage: bench_store STATE_DIR [MESSAGES [CACHE_MB]]
 *
 * Inserts MESSAGES (default 1,000,000) pending messages, one recipient
 * each, realistic field sizes, next attempts spread over 5 days, 1,000
 * per transaction (checkpointing every 100 transactions as the daemon
 * would), then selects the 10,000 earliest due three ways, side by side:
 *   ids      store_walk_due_ids: the due index alone (what a scheduler
 *            selects; it fetches each message when it handles it)
 *   records  store_walk_due: the index plus one record fetch per message
 *   fetched  store_walk_due_ids, then store_get_message for each id
 * Each is timed cold and warm, median of 5 of each, the three
 * interleaved: cold = the first run after reopening the store with its
 * Berkeley DB cache emptied (environment regions removed; the database
 * files stay in the OS page cache), warm = the run right after. Peak RSS
 * (VmHWM, reset before each way where the kernel allows) and the pages
 * Berkeley DB read into its cache are printed per way. CACHE_MB sets
 * the Berkeley DB cache for the selection (default: the store's, 16 MB).
 * Measures only: no pass/fail on a number. Leaves the store in STATE_DIR
 * (closed cleanly) for bench_store.sh. MESSAGES 0 reuses the store
 * already in STATE_DIR (selection only).
 */
#include <db.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/store.h"
#include "store/store_codec.h"
#include "store/store_int.h"

#define BENCH_BATCH  1000
#define BENCH_SPREAD (5 * 86400)
#define BENCH_SELECT 10000
#define BENCH_BASE   1700000000
#define BENCH_RUNS   5 /* cold and warm runs of each way; the median is shown */
#define BENCH_WAYS   3

static double cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Peak and current resident set, kB, from /proc/self/status. */
static void read_rss(long *hwm, long *rss)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];

	*hwm = *rss = -1;
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "VmHWM:", 6) == 0)
			*hwm = strtol(line + 6, NULL, 10);
		else if (strncmp(line, "VmRSS:", 6) == 0)
			*rss = strtol(line + 6, NULL, 10);
	}
	fclose(f);
}

static void print_rss(const char *phase)
{
	long hwm, rss;

	read_rss(&hwm, &rss);
	printf("bench_store: rss after %s: VmHWM %.1f MB, VmRSS %.1f MB\n",
	       phase, hwm / 1024.0, rss / 1024.0);
}

/* Reset VmHWM to the current RSS (Linux >= 4.0); 0 when done. */
static int reset_hwm(void)
{
	FILE *f = fopen("/proc/self/clear_refs", "w");
	int ok;

	if (f == NULL)
		return -1;
	ok = fputs("5", f) >= 0;
	return fclose(f) == 0 && ok ? 0 : -1;
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

/* What one selection saw: count, order, and the ids for comparison. */
struct select_state {
	size_t n;
	int64_t last;
	int ordered;
	char (*ids)[STORE_CODEC_MESSAGE_KEY_MAX + 1]; /* "mta/queue_id" */
};

static void select_add(struct select_state *s, int64_t next, const char *mta,
		       const char *qid)
{
	if (next < s->last)
		s->ordered = 0;
	s->last = next;
	if (s->n < BENCH_SELECT)
		snprintf(s->ids[s->n], sizeof(s->ids[0]), "%s/%s", mta, qid);
	s->n++;
}

static int count_due(const struct store_message *m, void *arg)
{
	select_add(arg, m->next_attempt, m->mta, m->queue_id);
	return 0;
}

static int count_due_id(int64_t next, const char *mta, const char *qid,
			void *arg)
{
	select_add(arg, next, mta, qid);
	return 0;
}

/* The due ids, then each message fetched by key, as the daemon does. */
struct fetch_state {
	struct select_state *s;
	struct store *st;
	int rc;
	char *err;
	size_t errlen;
};

static int fetch_due_id(int64_t next, const char *mta, const char *qid,
			void *arg)
{
	struct fetch_state *f = arg;
	struct store_message *m;

	(void)next;
	f->rc = store_get_message(f->st, NULL, mta, qid, &m, f->err, f->errlen);
	if (f->rc != STORE_OK)
		return f->rc;
	count_due(m, f->s);
	store_message_free(m);
	return 0;
}

static const char *way_names[BENCH_WAYS] = {
    "ids only (store_walk_due_ids)     ",
    "records (store_walk_due)          ",
    "ids, then store_get_message each  ",
};

/* Pages Berkeley DB has read into its cache so far (cache misses). */
static unsigned long cache_misses(struct store *st)
{
	DB_MPOOL_STAT *ms;
	unsigned long n;

	if (st->env->memp_stat(st->env, &ms, NULL, 0) != 0)
		return 0;
	n = (unsigned long)ms->st_cache_miss;
	free(ms);
	return n;
}

/*
 * One selection: wall time in ms[0], CPU time in ms[1], pages read into
 * the Berkeley DB cache in ms[2].
 */
static int run_way(struct store *st, int way, struct select_state *s,
		   double ms[3], char *err, size_t errlen)
{
	int64_t due_by = BENCH_BASE + BENCH_SPREAD;
	unsigned long m0 = cache_misses(st);
	double t0 = now_s(), c0 = cpu_s();
	int rc;

	s->n = 0;
	s->last = 0;
	s->ordered = 1;
	if (way == 0)
		rc = store_walk_due_ids(st, due_by, BENCH_SELECT, count_due_id,
					s, err, errlen);
	else if (way == 1)
		rc = store_walk_due(st, due_by, BENCH_SELECT, count_due, s, err,
				    errlen);
	else {
		struct fetch_state f = {s, st, STORE_OK, err, errlen};

		rc = store_walk_due_ids(st, due_by, BENCH_SELECT, fetch_due_id,
					&f, err, errlen);
	}
	ms[0] = (now_s() - t0) * 1000;
	ms[1] = (cpu_s() - c0) * 1000;
	ms[2] = (double)(cache_misses(st) - m0);
	return rc;
}

/*
 * Close the store, remove its environment regions (the Berkeley DB
 * cache goes with them; the databases stay) and open it again.
 */
static int reopen_cold(const char *dir, size_t cache, struct store **st,
		       char *err, size_t errlen)
{
	DB_ENV *env;
	int ret;

	store_close(*st);
	*st = NULL;
	if ((ret = db_env_create(&env, 0)) != 0 ||
	    (ret = env->remove(env, dir, 0)) != 0) {
		snprintf(err, errlen, "remove environment regions: %s",
			 db_strerror(ret));
		return STORE_ERROR;
	}
	return store_open(dir, STORE_OPEN_DAEMON, cache, st, err, errlen);
}

static int cmp_ms(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* "median ms (min-max)" of n runs of column col. */
static const char *median(double (*t)[3], int n, int col, char *buf, size_t cap)
{
	double v[BENCH_RUNS];

	for (int i = 0; i < n; i++)
		v[i] = t[i][col];
	qsort(v, (size_t)n, sizeof(v[0]), cmp_ms);
	if (col == 2)
		snprintf(buf, cap, "%6.0f    (%.0f-%.0f)", v[n / 2], v[0],
			 v[n - 1]);
	else
		snprintf(buf, cap, "%6.1f ms (%.1f-%.1f)", v[n / 2], v[0],
			 v[n - 1]);
	return buf;
}

/* Time the three ways, interleaved; print medians, RSS, agreement. */
static int select_phase(const char *dir, size_t cache, struct store **st,
			char *err, size_t errlen)
{
	static char ids[BENCH_WAYS][BENCH_SELECT]
		       [STORE_CODEC_MESSAGE_KEY_MAX + 1];
	double cold[BENCH_WAYS][BENCH_RUNS][3], warm[BENCH_WAYS][BENCH_RUNS][3];
	char b1[64], b2[64], b3[64], b4[64], b5[64], b6[64];
	long peak[BENCH_WAYS] = {0}, hwm, rss;
	size_t count[BENCH_WAYS] = {0};
	int ordered[BENCH_WAYS] = {1, 1, 1}, hwm_reset = 1, same = 1;

	for (int r = 0; r < BENCH_RUNS; r++) {
		for (int w = 0; w < BENCH_WAYS; w++) {
			struct select_state s = {0, 0, 1, ids[w]};

			if (reopen_cold(dir, cache, st, err, errlen) !=
			    STORE_OK)
				return -1;
			if (reset_hwm() != 0)
				hwm_reset = 0;
			if (run_way(*st, w, &s, cold[w][r], err, errlen) !=
				STORE_OK ||
			    run_way(*st, w, &s, warm[w][r], err, errlen) !=
				STORE_OK)
				return -1;
			read_rss(&hwm, &rss);
			if (hwm > peak[w])
				peak[w] = hwm;
			count[w] = s.n;
			ordered[w] &= s.ordered;
		}
	}
	printf("bench_store: select the %d earliest due, Berkeley DB cache "
	       "%zu MB, wall and CPU time, median (min-max) of %d (cold: first "
	       "run after reopening with the cache emptied; warm: the run "
	       "after):\n",
	       BENCH_SELECT, (cache ? cache : LIMIT_STORE_CACHE_DEFAULT) >> 20,
	       BENCH_RUNS);
	for (int w = 0; w < BENCH_WAYS; w++) {
		printf(
		    "bench_store:   %s cold %s  warm %s\n"
		    "bench_store:   %*s  cpu %s       %s\n"
		    "bench_store:   %*s  pages read into the cache %s  %s\n"
		    "bench_store:   %*s  peak RSS %.1f MB%s, %zu selected%s\n",
		    way_names[w], median(cold[w], BENCH_RUNS, 0, b1, 64),
		    median(warm[w], BENCH_RUNS, 0, b2, 64),
		    (int)strlen(way_names[w]), "",
		    median(cold[w], BENCH_RUNS, 1, b3, 64),
		    median(warm[w], BENCH_RUNS, 1, b4, 64),
		    (int)strlen(way_names[w]), "",
		    median(cold[w], BENCH_RUNS, 2, b5, 64),
		    median(warm[w], BENCH_RUNS, 2, b6, 64),
		    (int)strlen(way_names[w]), "", peak[w] / 1024.0,
		    hwm_reset ? "" : " (process peak)", count[w],
		    ordered[w] ? ", in due order" : ", OUT OF ORDER");
		if (count[w] != count[0])
			same = 0;
	}
	for (size_t i = 0; same && i < count[0] && i < BENCH_SELECT; i++)
		for (int w = 1; w < BENCH_WAYS; w++)
			if (strcmp(ids[w][i], ids[0][i]) != 0)
				same = 0;
	printf("bench_store:   the three ways list the same ids in the same "
	       "order: %s\n",
	       same ? "yes" : "NO");
	return 0;
}

int main(int argc, char **argv)
{
	struct store *st;
	struct store_message *m = store_message_new(1);
	struct store_txn *txn;
	uint64_t total = 1000000, rng = 42;
	size_t cache = 0;
	char err[1024];
	double t0, t1;

	if (argc < 2 || argc > 4) {
		fprintf(stderr,
			"usage: bench_store STATE_DIR [MESSAGES [CACHE_MB]]\n");
		return 2;
	}
	if (argc >= 3)
		total = strtoull(argv[2], NULL, 10);
	if (argc == 4)
		cache = (size_t)strtoul(argv[3], NULL, 10) << 20;
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
	if (total > 0) {
		printf("bench_store: inserted %llu messages (%d per txn) in "
		       "%.2f s: %.0f inserts/s\n",
		       (unsigned long long)total, BENCH_BATCH, t1 - t0,
		       (double)total / (t1 - t0));
		print_rss("insert");
	}

	if (select_phase(argv[1], cache, &st, err, sizeof(err)) != 0)
		goto fail;
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
