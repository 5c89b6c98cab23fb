/*
 * bench_pass - what one daemon pass costs when the store keeps a million
 * finished messages.
 *
 *	bench_pass DIR [DONE [LIVE [DUE]]]
 *
 * Fills a fresh store in DIR with DONE done messages (default 1,000,000)
 * and LIVE held ones (default 10,000, keys spread among the done ones),
 * LIVE/DUE groups of DUE messages falling due 10 minutes apart, then runs
 * the real pass (pass_run: scan, reconcile, outcomes, adopt, due, verify,
 * attempt, retention) against an in-process MTA whose listing holds the
 * live messages, which delivers what it is asked to and reports those
 * outcomes on the next pass (its no-op and free methods are those of
 * tests/unit/fake_mta.c), and against injected healthy verdicts
 * (100 domains). Pass 0 attempts the first group; passes 1..3 each apply
 * the previous group's outcomes (1,000 messages done) and attempt the
 * next: their median is the figure. The store uses the daemon's default
 * Berkeley DB cache.
 *
 * "Before" is measured over the same store: the walk over every message
 * (store_walk_messages) that each pass made before the state index, and
 * the due selection with a record fetch per message (store_walk_due).
 * Also printed: page requests to the cache per pass, RSS, and what
 * store_walk_live_ids reads. Figures only, no pass/fail.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/log.h"
#include "pass/pass.h"
#include "store/store_int.h"
#include "../unit/fake_mta.h"

#define BENCH_T0	1700000000LL
#define BENCH_GROUP_GAP 300 /* seconds between due groups (< the 1h interval) */
#define BENCH_DOMAINS	100
#define BENCH_PASSES	4 /* pass 0, then the 3 the median is of */
#define BENCH_TXN	1000

/* ---------- the in-process MTA ---------- */

struct bench_mta {
	struct mta_message *msgs; /* every live message */
	struct mta_rcpt *rcpts;
	unsigned char *delivered; /* asked to deliver, outcome not read yet */
	unsigned char *gone;	  /* delivered and reported: left the queue */
	struct mta_message *view; /* the listing handed out */
	size_t n;
	int64_t now; /* the pass's wall time: outcomes' time */
	size_t held_calls, delivered_ids, released_ids;
};

static size_t bench_index(const struct bench_mta *b, const char *id)
{
	unsigned long long v = strtoull(id, NULL, 16);
	size_t j = (size_t)((v - 1) / 200);

	return v % 2 == 1 && j < b->n ? j : (size_t)-1;
}

static int b_valid_id(const char *id)
{
	size_t n = strlen(id);

	return n == 10 && strspn(id, "0123456789ABCDEF") == n;
}

static int b_scan(void *state, struct mta_listing *out, char *err,
		  size_t errlen)
{
	struct bench_mta *b = state;
	size_t k = 0;

	for (size_t j = 0; j < b->n; j++)
		if (!b->gone[j])
			b->view[k++] = b->msgs[j];
	out->msgs = b->view;
	out->n = k;
	out->complete = 1;
	out->skipped = 0;
	return 0;
}

static int b_hold(void *state, const char *const *ids, size_t n, size_t *done,
		  char *err, size_t errlen)
{
	struct bench_mta *b = state;

	b->held_calls++;
	*done = n;
	return 0;
}

static int b_deliver(void *state, const char *const *ids, size_t n,
		     size_t *done, char *err, size_t errlen)
{
	struct bench_mta *b = state;

	for (size_t i = 0; i < n; i++) {
		size_t j = bench_index(b, ids[i]);
		if (j != (size_t)-1) {
			b->delivered[j] = 1;
			b->msgs[j].held = b->msgs[j].deferred = 0;
		}
	}
	b->delivered_ids += n;
	*done = n;
	return 0;
}

static int b_release(void *state, const char *const *ids, size_t n,
		     size_t *done, char *err, size_t errlen)
{
	struct bench_mta *b = state;

	b->released_ids += n;
	*done = n;
	return 0;
}

static int b_giveback(void *state, const char *const *ids, size_t n,
		      enum mta_giveback how, size_t *done, char *err,
		      size_t errlen)
{
	*done = n;
	return 0;
}

static int b_outcomes(void *state, const char *const *ids, size_t n,
		      struct mta_outcomes *out, char *err, size_t errlen)
{
	struct bench_mta *b = state;

	out->items = calloc(n + 1, sizeof(*out->items));
	out->n = 0;
	if (out->items == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		size_t j = bench_index(b, ids[i]);
		struct mta_outcome *o;

		if (j == (size_t)-1 || !b->delivered[j])
			continue;
		o = &out->items[out->n++];
		snprintf(o->queue_id, sizeof(o->queue_id), "%s", ids[i]);
		snprintf(o->address, sizeof(o->address), "%s",
			 b->rcpts[j].address);
		o->status = MTA_OUTCOME_DELIVERED;
		snprintf(o->dsn, sizeof(o->dsn), "2.0.0");
		snprintf(o->text, sizeof(o->text), "250 2.0.0 Ok: queued");
		o->time = b->now;
		b->delivered[j] = 0;
		b->gone[j] = 1;
	}
	return 0;
}

static const struct mta_plugin bench_plugin = {
    .abi = MTA_PLUGIN_ABI,
    .name = "bench",
    .open = fake_open,
    .close = fake_close,
    .valid_id = b_valid_id,
    .scan = b_scan,
    .listing_free = fake_listing_free,
    .hold = b_hold,
    .deliver = b_deliver,
    .release = b_release,
    .giveback = b_giveback,
    .outcomes = b_outcomes,
    .outcomes_free = fake_outcomes_free,
};

/* ---------- injected verdicts ---------- */

static int b_verify(void *arg, const char *const *domains, size_t n,
		    int64_t now, struct verify_result *out, char *err,
		    size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		struct verify_result *r = &out[i];
		struct verify_answer *a;

		memset(r, 0, sizeof(*r));
		snprintf(r->domain, sizeof(r->domain), "%s", domains[i]);
		r->checked_at = now;
		r->verdict = VERDICT_HEALTHY;
		snprintf(r->detail, sizeof(r->detail), "bench: healthy");
		snprintf(r->best_mx, sizeof(r->best_mx), "mx1.%s", domains[i]);
		r->queries = 1;
		a = &r->answers[r->nanswers++];
		a->role = VERIFY_ROLE_INDEPENDENT;
		snprintf(a->server, sizeof(a->server), "127.0.0.2:53");
		a->transport = VERIFY_UDP;
		a->neg_ttl = -1;
		a->kind = VERIFY_KIND_MX;
		a->nmx = 1;
		a->mx[0].preference = 10;
		snprintf(a->mx[0].host, sizeof(a->mx[0].host), "mx1.%s",
			 domains[i]);
		a->mx[0].naddrs = 1;
		a->ttl = 300;
	}
	return 0;
}

/* ---------- measuring ---------- */

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void rss_mb(double *hwm, double *rss)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];

	*hwm = *rss = -1;
	while (f && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "VmHWM:", 6) == 0)
			*hwm = strtol(line + 6, NULL, 10) / 1024.0;
		else if (strncmp(line, "VmRSS:", 6) == 0)
			*rss = strtol(line + 6, NULL, 10) / 1024.0;
	}
	if (f)
		fclose(f);
}

static void print_rss(const char *phase)
{
	double hwm, rss;

	rss_mb(&hwm, &rss);
	printf("bench_pass: rss %s: VmHWM %.1f MB, VmRSS %.1f MB\n", phase, hwm,
	       rss);
}

static unsigned long long page_gets(struct store *st)
{
	DB_MPOOL_STAT *g = NULL;
	unsigned long long n = 0;

	if (st->env->memp_stat(st->env, &g, NULL, 0) == 0) {
		n = (unsigned long long)g->st_cache_hit + g->st_cache_miss;
		free(g);
	}
	return n;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median3(double a, double b, double c)
{
	double v[3] = {a, b, c};

	qsort(v, 3, sizeof(v[0]), cmp_double);
	return v[1];
}

static void die(const char *what, const char *err)
{
	fprintf(stderr, "bench_pass: %s: %s\n", what, err);
	exit(1);
}

/* ---------- filling ---------- */

static void fill_rcpt(struct store_message *m, size_t j, int done)
{
	snprintf(m->rcpts[0].address, sizeof(m->rcpts[0].address),
		 "user%zu@d%03zu.example", j, j % BENCH_DOMAINS);
	m->rcpts[0].state = done ? STORE_RCPT_DELIVERED : STORE_RCPT_PENDING;
	snprintf(m->rcpts[0].reason, sizeof(m->rcpts[0].reason),
		 "Host or domain name not found");
}

static void fill(struct store *st, struct bench_mta *b, size_t ndone,
		 size_t nlive, size_t ndue)
{
	struct store_message *m = store_message_new(1);
	struct store_txn *txn = NULL;
	size_t total = ndone + nlive, d = 0, l = 0;
	char err[512];

	/* key order: a live key after every (ndone / nlive) done ones */
	for (size_t i = 0; i < total; i++) {
		int live =
		    l < nlive && (d >= ndone || (i + 1) * nlive / total > l);
		unsigned long long v = live ? 200ull * l + 1 : 2ull * d;

		if (i % BENCH_TXN == 0) {
			if (txn &&
			    store_txn_commit(txn, err, sizeof(err)) != STORE_OK)
				die("fill: commit", err);
			if (store_txn_begin(st, &txn, err, sizeof(err)) !=
			    STORE_OK)
				die("fill: begin", err);
		}
		memset(m, 0, sizeof(*m) + sizeof(m->rcpts[0]));
		strcpy(m->mta, "postfix");
		snprintf(m->queue_id, sizeof(m->queue_id), "%010llX", v);
		strcpy(m->sender, "list@example.org");
		m->nrcpts = 1;
		if (live) {
			size_t j = l++;
			struct mta_message *mm = &b->msgs[j];

			snprintf(m->domain, sizeof(m->domain), "d%03zu.example",
				 j % BENCH_DOMAINS);
			m->state = STORE_MSG_HELD;
			m->arrival = m->first_failure = BENCH_T0 - 3600;
			m->adopted_at = BENCH_T0 - 3500;
			m->next_attempt =
			    BENCH_T0 + (int64_t)(j / ndue) * BENCH_GROUP_GAP +
			    1;
			fill_rcpt(m, j, 0);
			snprintf(mm->queue_id, sizeof(mm->queue_id), "%s",
				 m->queue_id);
			snprintf(mm->sender, sizeof(mm->sender), "%s",
				 m->sender);
			mm->arrival = m->arrival;
			mm->held = mm->deferred = 1;
			mm->nrcpts = 1;
			mm->rcpts = &b->rcpts[j];
			snprintf(b->rcpts[j].address,
				 sizeof(b->rcpts[j].address), "%s",
				 m->rcpts[0].address);
			snprintf(b->rcpts[j].reason, sizeof(b->rcpts[j].reason),
				 "%s", m->rcpts[0].reason);
		} else {
			size_t j = d++;

			snprintf(m->domain, sizeof(m->domain), "d%03zu.example",
				 j % BENCH_DOMAINS);
			m->state = STORE_MSG_DONE;
			m->arrival = m->first_failure = BENCH_T0 - 86400 - 600;
			m->adopted_at = BENCH_T0 - 86400 - 500;
			m->last_attempt =
			    BENCH_T0 - 86400 + (int64_t)(j % 3600);
			m->attempts = 1;
			strcpy(m->last_verdict, "healthy");
			strcpy(m->last_reason, "delivered");
			fill_rcpt(m, j, 1);
		}
		if (store_put_message(st, txn, m, err, sizeof(err)) != STORE_OK)
			die("fill: put", err);
	}
	if (txn && store_txn_commit(txn, err, sizeof(err)) != STORE_OK)
		die("fill: commit", err);
	b->n = nlive;
	store_message_free(m);
}

/* ---------- the old walks, over the same store ---------- */

static int count_one(const struct store_message *m, void *arg)
{
	(*(size_t *)arg)++;
	return 0;
}

static int count_id(enum store_msg_state s, int64_t f, const char *mta,
		    const char *qid, void *arg)
{
	(*(size_t *)arg)++;
	return 0;
}

static void measure_walks(struct store *st, int64_t now, double pass_ms)
{
	double t[3], u[3], w[3];
	size_t n = 0, k = 0, live = 0;
	char err[512];

	for (int r = 0; r < 3; r++) {
		double s = now_ms();

		n = 0;
		if (store_walk_messages(st, count_one, &n, err, sizeof(err)) !=
		    STORE_OK)
			die("walk messages", err);
		t[r] = now_ms() - s;
		s = now_ms();
		k = 0;
		if (store_walk_due(st, now, LIMIT_PASS_DUE, count_one, &k, err,
				   sizeof(err)) != STORE_OK)
			die("walk due", err);
		u[r] = now_ms() - s;
		s = now_ms();
		live = 0;
		if (store_walk_live_ids(st, STORE_STATES_LIVE, count_id, &live,
					err, sizeof(err)) != STORE_OK)
			die("walk live ids", err);
		w[r] = now_ms() - s;
	}
	printf("bench_pass: before: every pass walked all %zu messages "
	       "(store_walk_messages): %.0f ms (median of 3), plus the due "
	       "selection with a fetch each (store_walk_due, %zu): %.1f ms\n",
	       n, median3(t[0], t[1], t[2]), k, median3(u[0], u[1], u[2]));
	printf("bench_pass: after: the live ids from the state index "
	       "(store_walk_live_ids, %zu): %.1f ms (median of 3)\n",
	       live, median3(w[0], w[1], w[2]));
	printf("bench_pass: before, estimated: one pass = %.0f ms (this "
	       "pass - the live walk + the full walk)\n",
	       pass_ms - median3(w[0], w[1], w[2]) + median3(t[0], t[1], t[2]));
}

int main(int argc, char **argv)
{
	size_t ndone = argc > 2 ? strtoul(argv[2], NULL, 10) : 1000000;
	size_t nlive = argc > 3 ? strtoul(argv[3], NULL, 10) : 10000;
	size_t ndue = argc > 4 ? strtoul(argv[4], NULL, 10) : 1000;
	struct bench_mta b;
	struct policy *p = NULL;
	struct store *st = NULL;
	struct pass_ctx ctx;
	double ms[BENCH_PASSES], t0;
	unsigned long long gets[BENCH_PASSES];
	char path[4200], ini[9000], err[4096];
	FILE *f;

	if (argc < 2 || nlive == 0 || ndue == 0 || ndue > LIMIT_PASS_DUE ||
	    nlive < ndue * BENCH_PASSES) {
		fprintf(stderr,
			"usage: bench_pass DIR [DONE [LIVE [DUE]]] "
			"(LIVE >= %d * DUE, DUE <= %d)\n",
			BENCH_PASSES, LIMIT_PASS_DUE);
		return 2;
	}
	log_open("bench_pass", LOG_DEST_STDERR);
	snprintf(path, sizeof(path), "%s/retryd.ini", argv[1]);
	snprintf(
	    ini, sizeof(ini),
	    "[retryd]\nmta = postfix\nstate_dir = %s/state\nplugin_dir = %s\n"
	    "scan_interval = 30s\nhost_id = bench\n"
	    "[resolvers]\nmta = 127.0.0.1\nindependent = 127.0.0.2\n"
	    "verify_window = 60s\n"
	    "[backoff]\ntier = 0s every 1h\ngive_up = 5d\njitter = 0%%\n"
	    "[classifier]\nrule = routing /no mail hosts|Host or domain name "
	    "not found/i\n",
	    argv[1], argv[1]);
	if ((f = fopen(path, "w")) == NULL || fputs(ini, f) < 0 || fclose(f))
		die("policy", path);
	if (policy_load(path, &p, err, sizeof(err)) < 0)
		die("policy", err);
	snprintf(path, sizeof(path), "%s/state", argv[1]);
	if (store_open(path, STORE_OPEN_DAEMON, 0, &st, err, sizeof(err)) !=
	    STORE_OK)
		die("store", err);

	memset(&b, 0, sizeof(b));
	b.msgs = calloc(nlive, sizeof(*b.msgs));
	b.view = calloc(nlive, sizeof(*b.view));
	b.rcpts = calloc(nlive, sizeof(*b.rcpts));
	b.delivered = calloc(nlive, 1);
	b.gone = calloc(nlive, 1);
	if (!b.msgs || !b.view || !b.rcpts || !b.delivered || !b.gone)
		die("memory", "out of memory");
	t0 = now_ms();
	fill(st, &b, ndone, nlive, ndue);
	printf("bench_pass: store: %zu done + %zu held (%zu due per pass), "
	       "filled in %.1f s\n",
	       ndone, nlive, ndue, (now_ms() - t0) / 1e3);
	print_rss("after the fill");

	memset(&ctx, 0, sizeof(ctx));
	ctx.store = st;
	ctx.plugin = &bench_plugin;
	ctx.plugin_state = &b;
	ctx.verify = b_verify;
	if (pass_ctx_init(&ctx, p, 42, err, sizeof(err)) < 0)
		die("ctx", err);
	for (int k = 0; k < BENCH_PASSES; k++) {
		int64_t now = BENCH_T0 + (int64_t)k * BENCH_GROUP_GAP + 1;
		unsigned long long g = page_gets(st);

		b.now = now;
		t0 = now_ms();
		if (pass_run(&ctx, now) < 0)
			die("pass", "failed (see the log)");
		ms[k] = now_ms() - t0;
		gets[k] = page_gets(st) - g;
		printf(
		    "bench_pass: pass %d: %.1f ms, %llu cache page requests; "
		    "scanned=%zu due=%zu attempted=%zu delivered=%zu "
		    "verified=%zu expired=%zu\n",
		    k, ms[k], gets[k], ctx.stats.scanned, ctx.stats.due,
		    ctx.stats.attempted, ctx.stats.delivered,
		    ctx.stats.domains_verified, ctx.stats.expired);
	}
	printf("bench_pass: after: one pass (outcomes of %zu + %zu attempted, "
	       "%zu listed): %.1f ms (median of passes 1-3)\n",
	       ndue, ndue, nlive, median3(ms[1], ms[2], ms[3]));
	print_rss("after the passes");
	measure_walks(st,
		      BENCH_T0 + (int64_t)BENCH_PASSES * BENCH_GROUP_GAP + 1,
		      median3(ms[1], ms[2], ms[3]));
	print_rss("after the old walks");

	pass_ctx_free(&ctx);
	store_close(st);
	policy_free(p);
	free(b.msgs);
	free(b.view);
	free(b.rcpts);
	free(b.delivered);
	free(b.gone);
	return 0;
}
