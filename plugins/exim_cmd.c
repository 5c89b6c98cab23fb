/*
 * NAME
 *	exim_cmd 3
 * SUMMARY
 *	running exim commands for exim.so and confirming what they did
 * SYNOPSIS
 *	#include "exim_cmd.h"
 * DESCRIPTION
 *	exim_run() runs "exim [-C config] OPT IDS..." with spawn_run() (argv,
 *	never a shell). Exit codes are not trusted (1 when any id of a
 *	batch failed, 0 for an unknown id under -M/-Mg):
 *	exim_stdout_action() confirms -Mf/-Mt from their output ("Message ID
 *	is now frozen"), exim_log_action() confirms -M/-Mg from the main log
 *	lines logged for each id while the command ran. Both run up to
 *	LIMIT_BATCH_IDS ids per process (Exim reads no ids from stdin) and
 *	refuse a batch with one invalid id (exim_id_valid()) before
 *	anything runs. Both split a call into up to
 *	EXIM_ACTION_PARALLEL processes at once (one thread waits for each,
 *	joined before it returns), at least EXIM_ACTION_SLICE ids each.
 *	For -M, each exim delivers its ids one after the other (a fork, a
 *	routing and an SMTP session each): eight at once deliver a
 *	recovered domain's mail about as fast as the MTA's own parallel
 *	queue runners would; exim_log_action() confirms them all from the
 *	main log once every process ended. For -Mf/-Mt:
 *	every -Mf/-Mt rewrites the message's spool header and fsyncs it and
 *	the spool directory, and concurrent fsyncs share the file system's
 *	journal commits (measured on a real Exim 4.96: 1,000 freezes 13.0 s
 *	in one process, 3.0 s in eight). Different ids never touch the same
 *	spool file, and Exim locks each message while it rewrites it.
 *	Where a batch's time goes (strace and perf, Exim 4.96 on ext4, 2
 *	cores): per id, Exim's own work only (open and lock -D, read -H,
 *	write hdr.ID, fsync, rename, fsync input/, one main log line); this
 *	side adds one argv and one stdout line per id. One process: ~0.34
 *	ms of CPU an id (mostly kernel), 1.6 ms of wall (waiting on the
 *	fsyncs); eight: ~0.55 ms of CPU an id; sixteen: ~0.85 ms and slower
 *	in wall time (4,000 ids: 6.6 s against 4.1 s; 32 and 64 slower
 *	still): the fsyncs of one spool directory contend, so more than
 *	EXIM_ACTION_PARALLEL at once does not pay. One exim per id costs
 *	~25 ms of CPU (exec, its shared libraries, the configuration).
 *	A struct exim_batch is the sorted set of requested ids, each
 *	marked once when confirmed.
 *
 *	Owns: nothing past a call; argv and batches are freed before return.
 * DIAGNOSTICS
 *	"exim -Mf: ..." in err; unexpected output lines are logged masked.
 * SECURITY
 *	argv only, never a shell. Ids are validated (they never start with
 *	'-'). Texts from exim's output are masked before they are logged.
 */
#include "exim_cmd.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/log.h"
#include "exim_id.h"
#include "plugin.h"

long exim_tzoff(void)
{
	time_t now = time(NULL);
	struct tm tm;

	return localtime_r(&now, &tm) ? tm.tm_gmtoff : 0;
}

static int exim_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void exim_batch_free(struct exim_batch *b)
{
	free(b->ids);
	free(b->seen);
	memset(b, 0, sizeof(*b));
}

int exim_batch_init(struct exim_batch *b, const char *const *ids, size_t n)
{
	memset(b, 0, sizeof(*b));
	b->ids = calloc(n ? n : 1, sizeof(*b->ids));
	b->seen = calloc(n ? n : 1, 1);
	if (b->ids == NULL || b->seen == NULL) {
		exim_batch_free(b);
		return -1;
	}
	memcpy(b->ids, ids, n * sizeof(*ids));
	qsort(b->ids, n, sizeof(*b->ids), exim_cmp);
	b->n = n;
	return 0;
}

int exim_batch_mark(struct exim_batch *b, const char *id)
{
	const char **hit =
	    bsearch(&id, b->ids, b->n, sizeof(*b->ids), exim_cmp);

	if (hit == NULL)
		return 0;
	size_t i = (size_t)(hit - b->ids);
	if (!b->seen[i]) {
		b->seen[i] = 1;
		b->marked++;
	}
	return 1;
}

int exim_check_ids(const char *what, const char *const *ids, size_t n,
		   char *err, size_t errlen)
{
	char shown[64];

	for (size_t i = 0; i < n; i++) {
		if (!exim_id_valid(ids[i])) {
			log_printable(shown, sizeof(shown),
				      ids[i] ? ids[i] : "(null)");
			snprintf(err, errlen,
				 "exim %s: invalid message id \"%.40s\":"
				 " batch refused",
				 what, shown);
			return -1;
		}
	}
	return 0;
}

/* argv: binary [-C config] opts... ids... NULL. Free with free(). */
static char **exim_argv(const struct exim_state *st, const char *opt,
			const char *const *ids, size_t n)
{
	char **argv = calloc(n + 5, sizeof(*argv));
	size_t k = 0;

	if (argv == NULL)
		return NULL;
	argv[k++] = st->binary;
	if (st->config != NULL) {
		argv[k++] = (char *)"-C";
		argv[k++] = st->config;
	}
	argv[k++] = (char *)opt;
	for (size_t i = 0; i < n; i++)
		argv[k++] = (char *)ids[i];
	argv[k] = NULL;
	return argv;
}

int exim_run(const struct exim_state *st, const char *opt,
	     const char *const *ids, size_t n, int timeout_ms,
	     struct spawn_result *res, char *err, size_t errlen)
{
	char why[256];
	char **argv = exim_argv(st, opt, ids, n);
	int rc;

	memset(res, 0, sizeof(*res));
	if (argv == NULL) {
		snprintf(err, errlen, "exim %s: out of memory", opt);
		return -1;
	}
	rc = spawn_run(argv, NULL, 0, timeout_ms, res, why, sizeof(why));
	free(argv);
	if (rc < 0)
		snprintf(err, errlen, "exim %s: %s", opt, why);
	return rc;
}

int exim_run_stream(const struct exim_state *st, const char *opt,
		    int timeout_ms, spawn_out_fn fn, void *arg,
		    struct spawn_result *res, char *err, size_t errlen)
{
	char why[256];
	char **argv = exim_argv(st, opt, NULL, 0);
	int rc;

	memset(res, 0, sizeof(*res));
	if (argv == NULL) {
		snprintf(err, errlen, "exim %s: out of memory", opt);
		return -1;
	}
	rc = spawn_run_stream(argv, NULL, 0, timeout_ms, fn, arg, res, why,
			      sizeof(why));
	free(argv);
	if (rc < 0)
		snprintf(err, errlen, "exim %s: %s", opt, why);
	return rc;
}

const char *exim_stderr(const struct spawn_result *res, char *buf, size_t len)
{
	const char *e = res->err ? res->err : "";
	const char *nl = strchr(e, '\n');
	char line[512];
	size_t n = nl ? (size_t)(nl - e) : strlen(e);

	if (n >= sizeof(line))
		n = sizeof(line) - 1;
	memcpy(line, e, n);
	line[n] = '\0';
	return log_printable(buf, len, line);
}

/* ---- freeze / thaw: confirmed from what exim printed ---- */

/* Run @param fn on each of the @param nw items (@param size bytes
 * each) at once, one thread each, the first here (and any the system
 * refuses); all joined before return. */
static void exim_threads(void *(*fn)(void *), void *items, size_t size,
			 size_t nw)
{
	pthread_t th[EXIM_ACTION_PARALLEL];
	int started[EXIM_ACTION_PARALLEL];

	for (size_t i = 0; i < nw; i++)
		started[i] =
		    i > 0 && pthread_create(&th[i], NULL, fn,
					    (char *)items + i * size) == 0;
	for (size_t i = 0; i < nw; i++)
		if (!started[i])
			fn((char *)items + i * size);
	for (size_t i = 0; i < nw; i++)
		if (started[i])
			pthread_join(th[i], NULL);
}

/* One exim OPT process for @param k ids; confirmed ones in *done. */
static int exim_stdout_batch(const struct exim_state *st, const char *opt,
			     const char *ok1, const char *ok2,
			     const char *const *ids, size_t k, size_t *done,
			     char *err, size_t errlen)
{
	struct exim_batch b;
	struct spawn_result res;
	char *line, *save = NULL, shown[160];

	if (exim_batch_init(&b, ids, k) < 0) {
		snprintf(err, errlen, "exim %s: out of memory", opt);
		return -1;
	}
	if (exim_run(st, opt, ids, k, EXIM_TIMEOUT_ACTION_MS, &res, err,
		     errlen) < 0) {
		spawn_result_free(&res);
		exim_batch_free(&b);
		return -1;
	}
	for (line = strtok_r(res.out, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		char id[LIMIT_QUEUE_ID + 1];
		const char *sp;
		size_t idl;

		if (strncmp(line, "Message ", 8) == 0 &&
		    (sp = strchr(line + 8, ' ')) != NULL &&
		    (idl = (size_t)(sp - line - 8)) <= LIMIT_QUEUE_ID) {
			memcpy(id, line + 8, idl);
			id[idl] = '\0';
			if ((strcmp(sp + 1, ok1) == 0 ||
			     strcmp(sp + 1, ok2) == 0) &&
			    exim_batch_mark(&b, id))
				continue;
		}
		log_warn("exim %s: %.150s", opt,
			 log_printable(shown, sizeof(shown), line));
	}
	*done += b.marked;
	spawn_result_free(&res);
	exim_batch_free(&b);
	return 0;
}

/* What one worker thread of exim_stdout_action does: the chunks first,
 * first + step, ... of chunk ids each. */
struct exim_worker {
	const struct exim_state *st;
	const char *opt, *ok1, *ok2;
	const char *const *ids;
	size_t n, chunk, first, step;
	size_t done;
	int failed;
	char err[256];
};

static void *exim_worker_run(void *arg)
{
	struct exim_worker *w = arg;

	for (size_t c = w->first; c * w->chunk < w->n && !w->failed;
	     c += w->step) {
		size_t at = c * w->chunk;
		size_t k = w->n - at < w->chunk ? w->n - at : w->chunk;

		if (exim_stdout_batch(w->st, w->opt, w->ok1, w->ok2,
				      w->ids + at, k, &w->done, w->err,
				      sizeof(w->err)) < 0)
			w->failed = 1;
	}
	return NULL;
}

int exim_stdout_action(struct exim_state *st, const char *opt, const char *ok1,
		       const char *ok2, const char *const *ids, size_t n,
		       size_t *done, char *err, size_t errlen)
{
	struct exim_worker w[EXIM_ACTION_PARALLEL];
	size_t nw = (n + EXIM_ACTION_SLICE - 1) / EXIM_ACTION_SLICE;
	int rc = 0;

	*done = 0;
	if (exim_check_ids(opt, ids, n, err, errlen) < 0)
		return -1;
	if (nw > EXIM_ACTION_PARALLEL)
		nw = EXIM_ACTION_PARALLEL;
	if (nw == 0)
		return 0;
	for (size_t i = 0; i < nw; i++) {
		size_t chunk = (n + nw - 1) / nw;

		w[i] = (struct exim_worker){
		    .st = st,
		    .opt = opt,
		    .ok1 = ok1,
		    .ok2 = ok2,
		    .ids = ids,
		    .n = n,
		    .chunk = chunk < LIMIT_BATCH_IDS ? chunk : LIMIT_BATCH_IDS,
		    .first = i,
		    .step = nw};
	}
	exim_threads(exim_worker_run, w, sizeof(w[0]), nw);
	for (size_t i = 0; i < nw; i++) {
		*done += w[i].done;
		if (w[i].failed && rc == 0) {
			snprintf(err, errlen, "%s", w[i].err);
			rc = -1;
		}
	}
	return rc;
}

/* ---- deliver / give up: confirmed from the main log ---- */

struct exim_confirm {
	struct exim_batch *b;
	unsigned kinds; /* bit per enum exim_log_kind */
	long tzoff;
};

static int exim_confirm_line(void *ctx, const char *line, size_t len,
			     int64_t lineno)
{
	struct exim_confirm *c = ctx;
	struct exim_log_entry e;

	(void)lineno;
	if (exim_log_parse(line, len, c->tzoff, &e) > 0 &&
	    (c->kinds & (1u << e.kind)))
		exim_batch_mark(c->b, e.id);
	return 0;
}

/* One exim OPT process of exim_log_action's, on its own thread. */
struct exim_runner {
	const struct exim_state *st;
	const char *opt;
	const char *const *ids;
	size_t k;
	int timeout_ms, rc;
	char err[256];
};

static void *exim_runner_run(void *arg)
{
	struct exim_runner *r = arg;
	struct spawn_result res;

	r->rc = exim_run(r->st, r->opt, r->ids, r->k, r->timeout_ms, &res,
			 r->err, sizeof(r->err));
	spawn_result_free(&res);
	return NULL;
}

/* @param k ids in up to EXIM_ACTION_PARALLEL processes at once, at
 * least EXIM_ACTION_SLICE ids each. @return 0, or -1 (the first error). */
static int exim_run_parallel(const struct exim_state *st, const char *opt,
			     const char *const *ids, size_t k, int timeout_ms,
			     char *err, size_t errlen)
{
	struct exim_runner r[EXIM_ACTION_PARALLEL];
	size_t nw = (k + EXIM_ACTION_SLICE - 1) / EXIM_ACTION_SLICE, at = 0;
	int rc = 0;

	if (nw > EXIM_ACTION_PARALLEL)
		nw = EXIM_ACTION_PARALLEL;
	for (size_t i = 0; i < nw; i++) {
		size_t part = (k - at) / (nw - i);

		r[i] = (struct exim_runner){.st = st,
					    .opt = opt,
					    .ids = ids + at,
					    .k = part,
					    .timeout_ms = timeout_ms};
		at += part;
	}
	exim_threads(exim_runner_run, r, sizeof(r[0]), nw);
	for (size_t i = 0; i < nw; i++) {
		if (r[i].rc < 0 && rc == 0) {
			snprintf(err, errlen, "%s", r[i].err);
			rc = -1;
		}
	}
	return rc;
}

int exim_log_action(struct exim_state *st, const char *opt, unsigned kinds,
		    int timeout_ms, const char *const *ids, size_t n,
		    size_t *done, char *err, size_t errlen)
{
	*done = 0;
	if (exim_check_ids(opt, ids, n, err, errlen) < 0)
		return -1;
	for (size_t at = 0; at < n; at += LIMIT_BATCH_IDS) {
		size_t k = n - at < LIMIT_BATCH_IDS ? n - at : LIMIT_BATCH_IDS;
		struct exim_batch b;
		struct exim_confirm c = {
		    .b = &b, .kinds = kinds, .tzoff = exim_tzoff()};
		struct exim_log_cursor before;
		char why[256];
		int rc;

		if (exim_log_cursor_end(st->log_file, &before, err, errlen) < 0)
			return -1;
		if (exim_batch_init(&b, ids + at, k) < 0) {
			snprintf(err, errlen, "exim %s: out of memory", opt);
			return -1;
		}
		rc = exim_run_parallel(st, opt, ids + at, k, timeout_ms, err,
				       errlen);
		/* even after a timeout: count what was done before the kill */
		if (exim_log_follow(st->log_file, &before, exim_confirm_line,
				    &c, why, sizeof(why)) < 0) {
			if (rc == 0)
				snprintf(err, errlen, "exim %s: confirming: %s",
					 opt, why);
			rc = -1;
		}
		*done += b.marked;
		exim_batch_free(&b);
		if (rc < 0)
			return -1;
	}
	return 0;
}
