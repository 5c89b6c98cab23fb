/*
 * NAME
 *	postfix 3
 * SUMMARY
 *	the Postfix adapter (postfix.so): scan, hold, release, deliver,
 *	give back, outcomes
 * SYNOPSIS
 *	retryd_plugin() -> struct mta_plugin
 * DESCRIPTION
 *	scan runs "postqueue [-c DIR] -j" and parses it (postfix_queue.c);
 *	the listing is complete only when postqueue exited 0, its output was
 *	not cut and ended with a newline.
 *
 *	hold = "postsuper -h -", release = "postsuper -H -", ids on standard
 *	input one a line, one process per LIMIT_BATCH_IDS ids. postsuper
 *	exits 0 whatever happened: an id counts as done only when postsuper
 *	reported it ("ID: placed on hold", "ID: released from hold").
 *
 *	deliver = release, then "postqueue -i ID" for every id, a few at
 *	once (spawn_run_all, POSTFIX_FLUSH_CONCURRENCY): -H keeps the
 *	old next-retry time, and -i (the flush server's send_file: the
 *	deferred file's time set to now, moved to incoming, the queue
 *	manager told) is the only way to have exactly these messages tried
 *	now; "postqueue -f" and "-s SITE" flush others too and "postsuper
 *	-r" gives new queue ids. postqueue takes one -i per process.
 *	done = ids released from hold (postqueue -i confirms nothing).
 *
 *	give back: RELEASE = -H; BOUNCE and EXPIRE = "postsuper -f -"
 *	(expire and release from hold in one step; -e alone leaves a held
 *	message held) then "postqueue -i" per id, so Postfix returns the
 *	message to its sender now. done = ids postsuper reported expired or
 *	released.
 *
 *	outcomes reads the log incrementally (postfix_log.c) from a position
 *	kept in STATE_DIR/postfix-log.offset; with no such file yet, reading
 *	starts at the end of the log as it is at open() (and that position
 *	is saved at once).
 *
 *	Ownership: the state from open() until close(); listings and
 *	outcomes until their *_free().
 * DIAGNOSTICS
 *	"postsuper -h: ..." and the like in err; skipped listing lines and
 *	malformed log lines are logged (masked, bounded, rate-limited).
 * SECURITY
 *	argv only, never a shell; postqueue and postsuper are found in PATH
 *	or /usr/sbin at open(). Every id is checked with postfix_id_valid()
 *	first and a batch with one bad id (ALL, -x, a vowel, a newline) is
 *	refused before anything runs. Every command has a timeout.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../retryd/log.h"
#include "../retryd/spawn.h"
#include "plugin.h"
#include "postfix_id.h"
#include "postfix_log.h"
#include "postfix_queue.h"

#define POSTFIX_TIMEOUT_LIST_MS	 300000 /* postqueue -j of a big queue */
#define POSTFIX_TIMEOUT_SUPER_MS 120000 /* postsuper of one batch */
#define POSTFIX_TIMEOUT_FLUSH_MS 10000	/* postqueue -i of one id */
#define POSTFIX_POS_FILE	 "postfix-log.offset"
#define POSTFIX_DEFAULT_LOG	 "/var/log/mail.log"

struct postfix_state {
	char *postqueue; /* absolute paths */
	char *postsuper;
	char *config_dir; /* NULL: Postfix's default */
	char *log_file;
	char *pos_file; /* NULL: no state_dir, position kept in memory */
	struct postfix_log_pos pos;
};

/* ---- helpers ---- */

static int postfix_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Find @param name in PATH, then /usr/sbin. @return a malloc'd path. */
static char *postfix_which(const char *name)
{
	const char *path = getenv("PATH");
	char *copy = strdup(path ? path : ""), *save = NULL, *dir,
	     *found = NULL;
	char buf[4096];

	for (dir = copy ? strtok_r(copy, ":", &save) : NULL; dir && !found;
	     dir = strtok_r(NULL, ":", &save)) {
		if (dir[0] != '/')
			continue; /* never a relative PATH entry */
		snprintf(buf, sizeof(buf), "%s/%s", dir, name);
		if (access(buf, X_OK) == 0)
			found = strdup(buf);
	}
	free(copy);
	if (!found) {
		snprintf(buf, sizeof(buf), "/usr/sbin/%s", name);
		if (access(buf, X_OK) == 0)
			found = strdup(buf);
	}
	return found;
}

/* First line of @param s, masked and bounded, for an error message. */
static const char *postfix_first_line(const char *s, char *buf, size_t len)
{
	char line[256];
	size_t n = s ? strcspn(s, "\n") : 0;

	if (n >= sizeof(line))
		n = sizeof(line) - 1;
	memcpy(line, s ? s : "", n);
	line[n] = '\0';
	return log_printable(buf, len, n ? line : "(no message)");
}

/* Log postsuper/postqueue warnings and fatals (they also go to the log). */
static void postfix_log_stderr(const char *what, const char *s)
{
	size_t shown = 0;

	for (const char *p = s; p && *p && shown < 5;) {
		size_t n = strcspn(p, "\n");
		if (memmem(p, n, ": warning: ", 11) ||
		    memmem(p, n, ": fatal: ", 9) ||
		    memmem(p, n, ": error: ", 9)) {
			char line[256], masked[256];
			size_t k = n < sizeof(line) - 1 ? n : sizeof(line) - 1;
			memcpy(line, p, k);
			line[k] = '\0';
			log_warn("%s: %.200s", what,
				 log_printable(masked, sizeof(masked), line));
			shown++;
		}
		p += n + (p[n] == '\n');
	}
}

/* Refuse the whole batch when one id is not a Postfix queue id. */
static int postfix_check_ids(const char *what, const char *const *ids, size_t n,
			     char *err, size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		if (!postfix_id_valid(ids[i])) {
			char masked[64];
			snprintf(err, errlen,
				 "%s: refused: \"%.40s\" is not a "
				 "Postfix queue id (batch of %zu not run)",
				 what,
				 log_printable(masked, sizeof(masked),
					       ids[i] ? ids[i] : "(null)"),
				 n);
			return -1;
		}
	}
	return 0;
}

/* Run a Postfix command: PROG [-c DIR] OPT [ARG]. */
static int postfix_run(const struct postfix_state *st, const char *prog,
		       const char *opt, const char *arg, const char *input,
		       size_t inputlen, int timeout_ms,
		       struct spawn_result *res, char *err, size_t errlen)
{
	char *argv[6];
	int k = 0;

	argv[k++] = (char *)prog;
	if (st->config_dir) {
		argv[k++] = (char *)"-c";
		argv[k++] = st->config_dir;
	}
	argv[k++] = (char *)opt;
	if (arg)
		argv[k++] = (char *)arg;
	argv[k] = NULL;
	return spawn_run(argv, input, inputlen, timeout_ms, res, err, errlen);
}

/*
 * postsuper OPT - over @param ids in batches; count the ids postsuper
 * reported with one of @param phrases.
 */
static int postfix_super(struct postfix_state *st, const char *opt,
			 const char *const *phrases, size_t nphrases,
			 const char *const *ids, size_t n, size_t *done,
			 char *err, size_t errlen)
{
	*done = 0;
	for (size_t off = 0; off < n; off += LIMIT_BATCH_IDS) {
		size_t k =
		    n - off < LIMIT_BATCH_IDS ? n - off : LIMIT_BATCH_IDS;
		const char **sorted = malloc(k * sizeof(*sorted));
		unsigned char *seen = calloc(k, 1);
		char *input = malloc(k * (POSTFIX_ID_MAX + 1) + 1);
		struct spawn_result res;
		size_t len = 0;
		char what[32], buf[300];

		snprintf(what, sizeof(what), "postsuper %s", opt);
		if (!sorted || !seen || !input) {
			free(sorted);
			free(seen);
			free(input);
			snprintf(err, errlen, "%s: out of memory", what);
			return -1;
		}
		for (size_t i = 0; i < k; i++) {
			size_t l = strlen(ids[off + i]);
			sorted[i] = ids[off + i];
			memcpy(input + len, ids[off + i], l);
			len += l;
			input[len++] = '\n';
		}
		qsort(sorted, k, sizeof(*sorted), postfix_cmp);
		if (postfix_run(st, st->postsuper, opt, "-", input, len,
				POSTFIX_TIMEOUT_SUPER_MS, &res, err,
				errlen) < 0) {
			free(sorted);
			free(seen);
			free(input);
			return -1;
		}
		*done += postfix_id_confirm(res.err, res.errlen, phrases,
					    nphrases, sorted, k, seen);
		postfix_log_stderr(what, res.err);
		free(sorted);
		free(seen);
		free(input);
		if (!res.exited || res.exit_code != 0) {
			snprintf(err, errlen, "%s: %s (exit %d, signal %d)",
				 what,
				 postfix_first_line(res.err, buf, sizeof(buf)),
				 res.exited ? res.exit_code : -1, res.signal);
			spawn_result_free(&res);
			return -1;
		}
		spawn_result_free(&res);
	}
	return 0;
}

/*
 * Children at once for "postqueue -i". Measured on the 2-core lab box
 * (busy: load 4-10 from other work), 1,000 held messages, deliver call,
 * medians: relay down (tried and deferred again) 1: 4.1/3.8 s, 2: 3.1/2.7,
 * 4: 2.8/2.4, 8: 2.8/2.4, 16: 2.9/2.4 (two sweeps); relay up (smtp-sink,
 * all delivered when the call returns) 1: 6.9 s, 2: 5.8, 4: 5.4, 8: 5.0
 * (one sweep, load ~10; 8 vs 4 within the noise). Beyond 4 the
 * CPUs are saturated (postqueue, flush, qmgr, smtp): 4 gets that for the
 * fewest processes. RETRYD_POSTFIX_FLUSH_CONCURRENCY (1..
 * SPAWN_ALL_CONCURRENCY_MAX) overrides it for a bigger box or a
 * benchmark; 1 is the old one-at-a-time behaviour.
 */
#define POSTFIX_FLUSH_CONCURRENCY 4
#define POSTFIX_FLUSH_ENV	  "RETRYD_POSTFIX_FLUSH_CONCURRENCY"
#define POSTFIX_FLUSH_CHUNK	  500 /* ids per spawn_run_all (statuses held) */
#define POSTFIX_FLUSH_WARN_RUNS	  5   /* runs whose stderr is logged per call */

/* The flush concurrency: the override when it is valid, else the default. */
static unsigned postfix_flush_concurrency(void)
{
	const char *v = getenv(POSTFIX_FLUSH_ENV);
	char *end;
	long k;

	if (v == NULL || v[0] == '\0')
		return POSTFIX_FLUSH_CONCURRENCY;
	errno = 0;
	k = strtol(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || k < 1 ||
	    k > (long)SPAWN_ALL_CONCURRENCY_MAX) {
		char masked[64];
		log_warn_limited(
		    "postfix-flush-env", 3600,
		    "%s=\"%.20s\": not a number in 1..%u; "
		    "using %d",
		    POSTFIX_FLUSH_ENV, log_printable(masked, sizeof(masked), v),
		    SPAWN_ALL_CONCURRENCY_MAX, POSTFIX_FLUSH_CONCURRENCY);
		return POSTFIX_FLUSH_CONCURRENCY;
	}
	return (unsigned)k;
}

/* Why one postqueue -i run failed, for the error message. */
static void postfix_flush_why(const struct spawn_status *s, char *buf,
			      size_t len)
{
	const char *fatal;
	char line[300];

	switch (s->end) {
	case SPAWN_START_FAILED:
		snprintf(buf, len, "%s",
			 postfix_first_line(s->err, line, sizeof(line)));
		break;
	case SPAWN_TIMED_OUT:
		snprintf(buf, len, "no answer within %d ms; killed",
			 POSTFIX_TIMEOUT_FLUSH_MS);
		break;
	case SPAWN_SIGNALED:
		snprintf(buf, len, "killed by signal %d", s->signal);
		break;
	case SPAWN_LOST:
		snprintf(buf, len, "reaped elsewhere; outcome unknown");
		break;
	default: /* postqueue's fatal line says why, else its first line */
		fatal = strstr(s->err, ": fatal: ");
		while (fatal && fatal > s->err && fatal[-1] != '\n')
			fatal--;
		snprintf(buf, len, "%s (exit %d)",
			 postfix_first_line(fatal ? fatal : s->err, line,
					    sizeof(line)),
			 s->exit_code);
		break;
	}
}

/*
 * "postqueue -i ID" for each id, up to postfix_flush_concurrency() at
 * once: deliver exactly these now. After the first failure no more are
 * started (a broken flush service fails them all); the error counts the
 * ids not flushed.
 */
static int postfix_flush(struct postfix_state *st, const char *const *ids,
			 size_t n, char *err, size_t errlen)
{
	size_t chunk = n < POSTFIX_FLUSH_CHUNK ? n : POSTFIX_FLUSH_CHUNK;
	unsigned k = postfix_flush_concurrency();
	char ***argvs = calloc(chunk ? chunk : 1, sizeof(*argvs));
	char **words = calloc((chunk ? chunk : 1) * 6, sizeof(*words));
	struct spawn_status *res = calloc(chunk ? chunk : 1, sizeof(*res));
	size_t warned = 0, unshown = 0, failed = 0;
	const char *first_id = NULL;
	char why[400] = "";
	int rc = 0;

	if (!argvs || !words || !res) {
		snprintf(err, errlen,
			 "postqueue -i: out of memory (%zu ids "
			 "not flushed; they go at their next retry)",
			 n);
		rc = -1;
		goto out;
	}
	for (size_t off = 0; off < n && failed == 0; off += chunk) {
		size_t m = n - off < chunk ? n - off : chunk;

		for (size_t i = 0; i < m; i++) {
			char **w = &words[i * 6];
			int j = 0;

			w[j++] = st->postqueue;
			if (st->config_dir) {
				w[j++] = (char *)"-c";
				w[j++] = st->config_dir;
			}
			w[j++] = (char *)"-i";
			w[j++] = (char *)ids[off + i];
			w[j] = NULL;
			argvs[i] = w;
		}
		if (spawn_run_all(argvs, m, k, POSTFIX_TIMEOUT_FLUSH_MS,
				  SPAWN_ALL_STOP_ON_FAILURE, res, why,
				  sizeof(why)) < 0) {
			snprintf(err, errlen,
				 "postqueue -i: %s (%zu of %zu ids not "
				 "flushed; they go at their next retry)",
				 why, n - off, n);
			rc = -1;
			goto out;
		}
		for (size_t i = 0; i < m; i++) {
			if (res[i].end == SPAWN_NOT_RUN) {
				failed++;
				continue;
			}
			if (!spawn_status_ok(&res[i])) {
				if (failed++ == 0) {
					first_id = ids[off + i];
					postfix_flush_why(&res[i], why,
							  sizeof(why));
				}
			}
			if (res[i].errlen == 0 ||
			    res[i].end == SPAWN_START_FAILED)
				continue;
			if (warned < POSTFIX_FLUSH_WARN_RUNS) {
				postfix_log_stderr("postqueue -i", res[i].err);
				warned++;
			} else {
				unshown++;
			}
		}
		if (failed)
			failed += n - off - m; /* later chunks not run */
	}
	if (unshown)
		log_warn("postqueue -i: %zu more runs wrote to stderr "
			 "(not shown)",
			 unshown);
	if (failed) {
		snprintf(err, errlen,
			 "postqueue -i %s: %s (%zu of %zu ids not flushed; "
			 "they go at their next retry)",
			 first_id ? first_id : "?", why, failed, n);
		rc = -1;
	}
out:
	free(argvs);
	free(words);
	free(res);
	return rc;
}

/* ---- open / close ---- */

static void postfix_close(void *state)
{
	struct postfix_state *st = state;

	if (st == NULL)
		return;
	free(st->postqueue);
	free(st->postsuper);
	free(st->config_dir);
	free(st->log_file);
	free(st->pos_file);
	free(st);
}

static int postfix_open(const struct mta_config *cfg, void **state, char *err,
			size_t errlen)
{
	struct postfix_state *st = calloc(1, sizeof(*st));
	int rc;

	*state = NULL;
	if (st == NULL) {
		snprintf(err, errlen, "postfix: out of memory");
		return -1;
	}
	st->postqueue = postfix_which("postqueue");
	st->postsuper = postfix_which("postsuper");
	if (!st->postqueue || !st->postsuper) {
		snprintf(err, errlen,
			 "postfix: %s not found in PATH or /usr/sbin "
			 "(is Postfix installed?)",
			 st->postqueue ? "postsuper" : "postqueue");
		goto fail;
	}
	if (cfg->config_dir && cfg->config_dir[0] == '-') {
		snprintf(err, errlen,
			 "postfix: config_dir must not start with '-'");
		goto fail;
	}
	st->config_dir = cfg->config_dir ? strdup(cfg->config_dir) : NULL;
	st->log_file =
	    strdup(cfg->log_file ? cfg->log_file : POSTFIX_DEFAULT_LOG);
	if (cfg->state_dir) {
		size_t l =
		    strlen(cfg->state_dir) + sizeof(POSTFIX_POS_FILE) + 2;
		if ((st->pos_file = malloc(l)) != NULL)
			snprintf(st->pos_file, l, "%s/%s", cfg->state_dir,
				 POSTFIX_POS_FILE);
	}
	if ((cfg->config_dir && !st->config_dir) || !st->log_file ||
	    (cfg->state_dir && !st->pos_file)) {
		snprintf(err, errlen, "postfix: out of memory");
		goto fail;
	}
	rc = st->pos_file
		 ? postfix_log_pos_load(st->pos_file, &st->pos, err, errlen)
		 : 0;
	if (rc < 0)
		log_warn(
		    "postfix: %.300s: starting at the end of %.200s "
		    "(outcomes logged meanwhile are settled by the listing)",
		    err, st->log_file);
	if (rc <= 0) {
		if (postfix_log_pos_end(st->log_file, &st->pos, err, errlen) <
		    0)
			goto fail;
		if (st->pos_file && postfix_log_pos_save(st->pos_file, &st->pos,
							 err, errlen) < 0)
			goto fail;
	}
	*state = st;
	return 0;
fail:
	postfix_close(st);
	return -1;
}

static int postfix_valid_id(const char *id)
{
	return postfix_id_valid(id);
}

/* ---- scan ---- */

struct postfix_scan_ctx {
	size_t reported;
};

static void postfix_scan_bad(void *ctx, size_t lineno, const char *id,
			     const char *why)
{
	struct postfix_scan_ctx *c = ctx;

	if (c->reported++ < 20)
		log_warn("postqueue -j: line %zu%s%s: %s: skipped", lineno,
			 id[0] ? ", queue id " : "", id, why);
	else if (c->reported == 21)
		log_warn(
		    "postqueue -j: more lines skipped (counted, not shown)");
}

static int postfix_scan(void *state, struct mta_listing *out, char *err,
			size_t errlen)
{
	struct postfix_state *st = state;
	struct postfix_scan_ctx ctx = {0};
	struct spawn_result res;
	char buf[300];

	memset(out, 0, sizeof(*out));
	if (postfix_run(st, st->postqueue, "-j", NULL, NULL, 0,
			POSTFIX_TIMEOUT_LIST_MS, &res, err, errlen) < 0)
		return -1;
	if (postfix_queue_parse(res.out, res.outlen, out, postfix_scan_bad,
				&ctx, err, errlen) < 0) {
		spawn_result_free(&res);
		return -1;
	}
	postfix_log_stderr("postqueue -j", res.err);
	if (!res.exited || res.exit_code != 0) {
		log_error(
		    "postqueue -j: %s (exit %d, signal %d): listing incomplete",
		    postfix_first_line(res.err, buf, sizeof(buf)),
		    res.exited ? res.exit_code : -1, res.signal);
		out->complete = 0;
	}
	if (res.out_truncated) {
		log_error("postqueue -j: output longer than %u bytes: listing "
			  "incomplete",
			  SPAWN_OUTPUT_MAX);
		out->complete = 0;
	}
	spawn_result_free(&res);
	return 0;
}

static void postfix_listing_free(struct mta_listing *l)
{
	postfix_queue_free(l);
}

/* ---- hold, release, deliver, give back ---- */

static const char *const postfix_held[] = {"placed on hold"};
static const char *const postfix_released[] = {"released from hold"};
static const char *const postfix_expired[] = {"expired", "released from hold"};

static int postfix_hold(void *state, const char *const *ids, size_t n,
			size_t *done, char *err, size_t errlen)
{
	*done = 0;
	if (postfix_check_ids("postsuper -h", ids, n, err, errlen) < 0)
		return -1;
	return postfix_super(state, "-h", postfix_held, 1, ids, n, done, err,
			     errlen);
}

static int postfix_release(void *state, const char *const *ids, size_t n,
			   size_t *done, char *err, size_t errlen)
{
	*done = 0;
	if (postfix_check_ids("postsuper -H", ids, n, err, errlen) < 0)
		return -1;
	return postfix_super(state, "-H", postfix_released, 1, ids, n, done,
			     err, errlen);
}

static int postfix_deliver(void *state, const char *const *ids, size_t n,
			   size_t *done, char *err, size_t errlen)
{
	*done = 0;
	if (postfix_check_ids("deliver", ids, n, err, errlen) < 0)
		return -1;
	if (postfix_super(state, "-H", postfix_released, 1, ids, n, done, err,
			  errlen) < 0)
		return -1;
	return postfix_flush(state, ids, n, err, errlen);
}

static int postfix_giveback(void *state, const char *const *ids, size_t n,
			    enum mta_giveback how, size_t *done, char *err,
			    size_t errlen)
{
	*done = 0;
	if (postfix_check_ids("giveback", ids, n, err, errlen) < 0)
		return -1;
	if (how == MTA_GIVEBACK_RELEASE)
		return postfix_super(state, "-H", postfix_released, 1, ids, n,
				     done, err, errlen);
	if (how != MTA_GIVEBACK_BOUNCE && how != MTA_GIVEBACK_EXPIRE) {
		snprintf(err, errlen, "giveback: unknown mode %d", (int)how);
		return -1;
	}
	if (postfix_super(state, "-f", postfix_expired, 2, ids, n, done, err,
			  errlen) < 0)
		return -1;
	return postfix_flush(state, ids, n, err, errlen);
}

/* ---- outcomes ---- */

struct postfix_collect {
	const char **sorted; /* requested ids, NULL: every id */
	size_t n;
	struct mta_outcomes *out;
	size_t cap;
	int64_t now;
	long tzoff;
	int nomem;
};

static int postfix_collect_line(void *ctx, const char *line, size_t len,
				int64_t lineno)
{
	struct postfix_collect *c = ctx;
	struct postfix_log_entry e;
	struct mta_outcome *o;
	const char *key;

	switch (postfix_log_parse(line, len, c->now, c->tzoff, &e)) {
	case POSTFIX_LOG_MALFORMED: {
		char text[121], masked[121];
		size_t k = len < sizeof(text) - 1 ? len : sizeof(text) - 1;
		memcpy(text, line, k);
		text[k] = '\0';
		log_warn_limited("postfix-log-malformed", 60,
				 "postfix log: %s: skipped: %.120s", e.why,
				 log_printable(masked, sizeof(masked), text));
		return 0;
	}
	case POSTFIX_LOG_RCPT:
	case POSTFIX_LOG_EXPIRED:
		break;
	default:
		return 0;
	}
	(void)lineno;
	key = e.id;
	if (c->sorted &&
	    !bsearch(&key, c->sorted, c->n, sizeof(*c->sorted), postfix_cmp))
		return 0;
	if (c->out->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		o = realloc(c->out->items, cap * sizeof(*o));
		if (o == NULL) {
			c->nomem = 1;
			return 1;
		}
		c->out->items = o;
		c->cap = cap;
	}
	o = &c->out->items[c->out->n++];
	memset(o, 0, sizeof(*o));
	snprintf(o->queue_id, sizeof(o->queue_id), "%s", e.id);
	snprintf(o->address, sizeof(o->address), "%s", e.address);
	o->status = e.status;
	snprintf(o->dsn, sizeof(o->dsn), "%s", e.dsn);
	snprintf(o->text, sizeof(o->text), "%s", e.text);
	o->time = e.time;
	return c->out->n >= LIMIT_OUTCOMES_PER_CALL; /* the rest next call */
}

static void postfix_outcomes_free(struct mta_outcomes *o)
{
	if (o == NULL)
		return;
	free(o->items);
	o->items = NULL;
	o->n = 0;
}

static int postfix_outcomes(void *state, const char *const *ids, size_t n,
			    struct mta_outcomes *out, char *err, size_t errlen)
{
	struct postfix_state *st = state;
	struct postfix_log_pos saved = st->pos;
	struct postfix_collect c = {.out = out, .n = n};
	struct tm tm;
	time_t now = time(NULL);

	memset(out, 0, sizeof(*out));
	if (postfix_check_ids("outcomes", ids, n, err, errlen) < 0)
		return -1;
	c.now = (int64_t)now;
	c.tzoff = localtime_r(&now, &tm) ? tm.tm_gmtoff : 0;
	if (n > 0) {
		if ((c.sorted = malloc(n * sizeof(*c.sorted))) == NULL) {
			snprintf(err, errlen, "outcomes: out of memory");
			return -1;
		}
		memcpy(c.sorted, ids, n * sizeof(*c.sorted));
		qsort(c.sorted, n, sizeof(*c.sorted), postfix_cmp);
	}
	if (postfix_log_follow(st->log_file, &st->pos, postfix_collect_line, &c,
			       err, errlen) < 0 ||
	    c.nomem ||
	    (st->pos_file &&
	     postfix_log_pos_save(st->pos_file, &st->pos, err, errlen) < 0)) {
		if (c.nomem)
			snprintf(err, errlen, "outcomes: out of memory");
		st->pos = saved; /* read again next time */
		free(c.sorted);
		postfix_outcomes_free(out);
		return -1;
	}
	free(c.sorted);
	return 0;
}

static const struct mta_plugin postfix_plugin = {
    .abi = MTA_PLUGIN_ABI,
    .name = "postfix",
    .open = postfix_open,
    .close = postfix_close,
    .valid_id = postfix_valid_id,
    .scan = postfix_scan,
    .listing_free = postfix_listing_free,
    .hold = postfix_hold,
    .deliver = postfix_deliver,
    .release = postfix_release,
    .giveback = postfix_giveback,
    .outcomes = postfix_outcomes,
    .outcomes_free = postfix_outcomes_free,
};

const struct mta_plugin *retryd_plugin(void)
{
	return &postfix_plugin;
}
