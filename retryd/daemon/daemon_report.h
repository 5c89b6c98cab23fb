/*
 * NAME
 *	daemon_report 3h
 * SUMMARY
 *	after each pass: the summary line (quiet when idle), the status
 *	file retryctl status reads, the metrics file
 */
#ifndef RETRYD_DAEMON_REPORT_H
#define RETRYD_DAEMON_REPORT_H

#include <stdint.h>

#include "pass/pass_ctx.h"
#include "policy/policy.h"
#include "status/status.h"
#include "store/store.h"

#define DAEMON_IDLE_LOG_MS (600 * 1000)	   /* an idle pass logged this often */
#define DAEMON_STATUS_FILE "retryd.status" /* in state_dir */

struct daemon_report {
	struct status_totals totals;
	int64_t idle_logged_ms; /* monotonic, when an idle pass was logged */
	size_t idle_scanned;	/* its numbers */
	int idle_complete;
	int idle_known;	     /* idle_scanned/complete are a full listing's */
	int metrics_failing; /* the metrics file could not be written */
};

/**
 * Account for the pass that just ended (@param ok: it could read the
 * store) and took @param seconds; @param wall and @param mono_ms: now.
 * Logs the summary unless the pass changed nothing and its numbers are
 * those of the idle pass logged less than DAEMON_IDLE_LOG_MS ago.
 */
void daemon_report_pass(struct daemon_report *r, const struct policy *p,
			struct store *st, const struct pass_stats *s, int ok,
			double seconds, int64_t wall, int64_t mono_ms);

#endif
