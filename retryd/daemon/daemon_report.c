/*
 * NAME
 *	daemon_report 3
 * SUMMARY
 *	what the daemon tells after each pass
 * DESCRIPTION
 *	daemon_report_pass() is called once per pass:
 *	- the "pass: ..." summary line, except for an idle pass (one that
 *	  changed nothing: pass_stats_idle) with the same numbers as the
 *	  idle pass last logged, less than DAEMON_IDLE_LOG_MS ago (an idle
 *	  retryd logs one line per 10 minutes, not one per scan_interval;
 *	  an idle pass that read only the log and found nothing new counts
 *	  as the same);
 *	- state_dir/retryd.status, "key value" lines retryctl status reads:
 *	  pid, mode, last_pass, duration, result, passes, hook_failures;
 *	- [retryd] metrics_file, when set: the Prometheus textfile
 *	  (status_metrics_write), from a census of the store.
 *	Both files are written to a temporary name, synced and renamed.
 *
 *	Owns: the counters since start (struct daemon_report).
 * DIAGNOSTICS
 *	A file that cannot be written is logged once until it works again
 *	(log_warn_limited); the pass itself is never affected.
 */
#include "daemon/daemon_report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pass/pass.h"
#include "util/atomic_file.h"
#include "util/log.h"

static void daemon_report_summary(struct daemon_report *r,
				  const struct pass_stats *s, int ok,
				  int64_t mono_ms)
{
	if (!ok)
		return; /* the pass logged its error */
	if (!pass_stats_idle(s)) {
		pass_log_summary(s);
		r->idle_logged_ms = 0;
		r->idle_known = 0; /* the queue changed */
		return;
	}
	/* An idle pass that read the log and found nothing new is the same
	 * as the last idle one; a full listing compares its numbers. */
	if (r->idle_logged_ms != 0 &&
	    mono_ms - r->idle_logged_ms < DAEMON_IDLE_LOG_MS) {
		if (s->incremental && s->scanned == 0)
			return;
		if (!s->incremental && !r->idle_known) {
			/* the first full one after a logged log-only one */
			r->idle_scanned = s->scanned;
			r->idle_complete = s->complete;
			r->idle_known = 1;
			return;
		}
		if (!s->incremental && s->scanned == r->idle_scanned &&
		    s->complete == r->idle_complete)
			return;
	}
	pass_log_summary(s);
	r->idle_logged_ms = mono_ms ? mono_ms : 1;
	if (!s->incremental) {
		r->idle_scanned = s->scanned;
		r->idle_complete = s->complete;
		r->idle_known = 1;
	}
}

static int daemon_report_status(const struct daemon_report *r,
				const struct policy *p, char *err,
				size_t errlen)
{
	const struct status_totals *t = &r->totals;
	struct atomic_file af;
	char path[LIMIT_PATH + 1];

	snprintf(path, sizeof(path), "%s/%s", p->state_dir, DAEMON_STATUS_FILE);
	if (atomic_file_open(&af, path, 0640, err, errlen) < 0)
		return -1;
	fprintf(af.fp,
		"pid %ld\nmode %s\nlast_pass %lld\nduration %.6f\nresult %s\n"
		"passes %llu\nhook_failures %llu\n",
		(long)getpid(), p->observe ? "observe" : "act",
		(long long)t->last_pass, t->last_duration,
		t->last_ok ? "ok" : "store-error",
		(unsigned long long)t->passes,
		(unsigned long long)t->hook_failures);
	return atomic_file_commit(&af, err, errlen);
}

void daemon_report_pass(struct daemon_report *r, const struct policy *p,
			struct store *st, const struct pass_stats *s, int ok,
			double seconds, int64_t wall, int64_t mono_ms)
{
	struct status_census *c;
	char err[512];

	daemon_report_summary(r, s, ok, mono_ms);
	status_totals_add(&r->totals, s);
	r->totals.last_pass = wall;
	r->totals.last_duration = seconds;
	r->totals.last_ok = ok;
	r->totals.observe = p->observe;
	if (daemon_report_status(r, p, err, sizeof(err)) < 0)
		log_warn_limited("status-file", 3600, "status file %s", err);
	if (p->metrics_file == NULL)
		return;
	if ((c = malloc(sizeof(*c))) == NULL)
		return;
	if (status_census(st, c, err, sizeof(err)) < 0 ||
	    status_sentinel(st, c, wall, err, sizeof(err)) < 0 ||
	    status_metrics_write(p->metrics_file, c, &r->totals, wall, err,
				 sizeof(err)) < 0) {
		if (!r->metrics_failing)
			log_warn("metrics: %.400s (retried after each pass)",
				 err);
		r->metrics_failing = 1;
	} else if (r->metrics_failing) {
		log_info("metrics: %s written again", p->metrics_file);
		r->metrics_failing = 0;
	}
	free(c);
}
