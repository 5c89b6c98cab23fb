/*
 * NAME
 *	postfix_cmd 3
 * SUMMARY
 *	running postqueue and postsuper for postfix.so: hold/release
 *	batches and the flush (deliver) step
 * SYNOPSIS
 *	#include "postfix_cmd.h"
 * DESCRIPTION
 *	postfix_run() runs "PROG [-c DIR] OPT [ARG]" with spawn_run().
 *
 *	postfix_super() runs "postsuper OPT -" with the ids on standard
 *	input one a line, one process per LIMIT_BATCH_IDS ids. postsuper
 *	exits 0 whatever happened: an id counts as done only when postsuper
 *	reported it ("ID: placed on hold", "ID: released from hold").
 *
 *	postfix_flush() runs "postqueue -i ID" for every id, a few at once
 *	(spawn_run_all, POSTFIX_FLUSH_CONCURRENCY, overridden by
 *	RETRYD_POSTFIX_FLUSH_CONCURRENCY): -i (the flush server's
 *	send_file: the deferred file's time set to now, moved to incoming,
 *	the queue manager told) is the only way to have exactly these
 *	messages tried now; postqueue takes one -i per process and confirms
 *	nothing.
 *
 *	postfix_check_ids() refuses a batch with one id that is not a
 *	Postfix queue id; postfix_first_line() and postfix_log_stderr()
 *	turn the commands' stderr into masked, bounded text.
 *
 *	Owns: nothing past a call; argv, inputs and statuses are freed
 *	before return.
 * DIAGNOSTICS
 *	"postsuper -h: ...", "postqueue -i ID: ... (N of M ids not
 *	flushed; ...)" in err; warning/fatal/error lines from the commands'
 *	stderr are logged masked (a few per call).
 * SECURITY
 *	argv only, never a shell. Callers validate every id first
 *	(postfix_check_ids(): ALL, -x, a vowel, a newline refused). Every
 *	command has a timeout.
 */
#include "postfix_cmd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "plugin.h"
#include "postfix_id.h"

int postfix_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* First line of @param s, masked and bounded, for an error message. */
const char *postfix_first_line(const char *s, char *buf, size_t len)
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
void postfix_log_stderr(const char *what, const char *s)
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
int postfix_check_ids(const char *what, const char *const *ids, size_t n,
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

/* PROG [-c DIR] OPT [ARG] into @param argv (6 slots). */
static void postfix_argv(const struct postfix_state *st, const char *prog,
			 const char *opt, const char *arg, char *argv[6])
{
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
}

/* Run a Postfix command: PROG [-c DIR] OPT [ARG]. */
int postfix_run(const struct postfix_state *st, const char *prog,
		const char *opt, const char *arg, const char *input,
		size_t inputlen, int timeout_ms, struct spawn_result *res,
		char *err, size_t errlen)
{
	char *argv[6];

	postfix_argv(st, prog, opt, arg, argv);
	return spawn_run(argv, input, inputlen, timeout_ms, res, err, errlen);
}

int postfix_run_stream(const struct postfix_state *st, const char *prog,
		       const char *opt, int timeout_ms, spawn_out_fn fn,
		       void *arg, struct spawn_result *res, char *err,
		       size_t errlen)
{
	char *argv[6];

	postfix_argv(st, prog, opt, NULL, argv);
	return spawn_run_stream(argv, NULL, 0, timeout_ms, fn, arg, res, err,
				errlen);
}

/*
 * postsuper OPT - over @param ids in batches; count the ids postsuper
 * reported with one of @param phrases.
 */
int postfix_super(struct postfix_state *st, const char *opt,
		  const char *const *phrases, size_t nphrases,
		  const char *const *ids, size_t n, size_t *done, char *err,
		  size_t errlen)
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
#define POSTFIX_FLUSH_SOCKET_ENV                                               \
	"RETRYD_POSTFIX_FLUSH_SOCKET" /* 0: postqueue -i */

static int postfix_flush_spawn(struct postfix_state *st, const char *const *ids,
			       size_t n, char *err, size_t errlen);

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
int postfix_flush(struct postfix_state *st, const char *const *ids, size_t n,
		  char *err, size_t errlen)
{
	const char *env = getenv(POSTFIX_FLUSH_SOCKET_ENV);
	size_t done = 0;

	if (st->flush_socket && n > 0 && !(env && strcmp(env, "0") == 0)) {
		if (postfix_flush_socket(st, ids, n, &done, err, errlen) == 0)
			return 0;
		log_warn_limited("postfix-flush-socket", 300,
				 "%.300s: postqueue -i for the %zu ids left",
				 err, n - done);
	}
	return postfix_flush_spawn(st, ids + done, n - done, err, errlen);
}

/* "postqueue -i" per id (the fallback and RETRYD_POSTFIX_FLUSH_SOCKET=0) */
static int postfix_flush_spawn(struct postfix_state *st, const char *const *ids,
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
