/*
 * NAME
 *	status_metrics 3
 * SUMMARY
 *	the Prometheus textfile ([retryd] metrics_file)
 * DESCRIPTION
 *	status_metrics_print() writes the text exposition format (version
 *	0.0.4) for node_exporter's textfile collector: gauges of what the
 *	store holds now (retryd_held_messages{group,verdict},
 *	retryd_messages{state}, retryd_oldest_held_seconds,
 *	retryd_suppressed_addresses; in a fleet
 *	retryd_fleet_outbox_records{kind} and
 *	retryd_fleet_outbox_dropped_total), of the last pass
 *	(retryd_pass_duration_seconds, retryd_last_pass_timestamp_seconds,
 *	retryd_observe_mode) and counters since the daemon started
 *	(retryd_passes_total, retryd_verdicts_total{verdict},
 *	retryd_dns_queries_total{role} — answers received, one per query
 *	sent —, retryd_hook_failures_total, retryd_recipients_total{outcome}).
 *	status_metrics_write() puts it in place atomically (atomic_file:
 *	temp file, fsync, rename), so the collector never reads half a file.
 * DIAGNOSTICS
 *	-1 with "metrics_file PATH: ..." in err.
 */
#include "status/status.h"

#include <stdio.h>
#include <string.h>

#include "dns/verify.h"
#include "util/atomic_file.h"

static const char *status_state_names[STATUS_STATE_SLOTS] = {
    NULL,	  "adopt_intent",    "held", "release_intent",
    "attempting", "giveback_intent", NULL,   NULL,
};

static int status_head(FILE *fp, const char *name, const char *type,
		       const char *help)
{
	return fprintf(fp, "# HELP %s %s\n# TYPE %s %s\n", name, help, name,
		       type) < 0
		   ? -1
		   : 0;
}

/* Label values here are group names, verdicts, roles: [a-z0-9_-] by
 * construction; anything else is replaced so the line stays valid. */
static const char *status_label(char *buf, size_t len, const char *v)
{
	size_t i;

	for (i = 0; v[i] && i + 1 < len; i++)
		buf[i] =
		    (v[i] == '"' || v[i] == '\\' || v[i] == '\n') ? '_' : v[i];
	buf[i] = '\0';
	return buf;
}

static int status_print_now(FILE *fp, const struct status_census *c,
			    int64_t now)
{
	char g[64], v[64];

	status_head(fp, "retryd_held_messages", "gauge",
		    "Messages retryd holds, by group and last DNS verdict.");
	for (size_t i = 0; i < c->nbuckets; i++)
		fprintf(
		    fp,
		    "retryd_held_messages{group=\"%s\",verdict=\"%s\"} %zu\n",
		    status_label(g, sizeof(g), c->buckets[i].group),
		    status_label(v, sizeof(v), c->buckets[i].verdict),
		    c->buckets[i].n);
	if (c->other)
		fprintf(
		    fp,
		    "retryd_held_messages{group=\"other\",verdict=\"other\"} "
		    "%zu\n",
		    c->other);
	status_head(fp, "retryd_messages", "gauge",
		    "Live messages in the store, by state.");
	for (size_t s = 0; s < STATUS_STATE_SLOTS; s++)
		if (status_state_names[s])
			fprintf(fp, "retryd_messages{state=\"%s\"} %zu\n",
				status_state_names[s], c->by_state[s]);
	status_head(fp, "retryd_oldest_held_seconds", "gauge",
		    "Age of the oldest failure among held messages (0: none).");
	fprintf(fp, "retryd_oldest_held_seconds %lld\n",
		(long long)(c->oldest_failure && now > c->oldest_failure
				? now - c->oldest_failure
				: 0));
	status_head(fp, "retryd_suppressed_addresses", "gauge",
		    "Addresses in the suppressed table.");
	fprintf(fp, "retryd_suppressed_addresses %zu\n", c->suppressed);
	if (c->fleet) {
		status_head(fp, "retryd_fleet_outbox_records", "gauge",
			    "Records waiting in the outbox for the [fleet] "
			    "database, by kind.");
		fprintf(fp,
			"retryd_fleet_outbox_records{kind=\"evidence\"} %llu\n"
			"retryd_fleet_outbox_records{kind=\"verification\"} "
			"%llu\n",
			(unsigned long long)c->outbox_evidence,
			(unsigned long long)c->outbox_verifications);
		status_head(
		    fp, "retryd_fleet_outbox_dropped_total", "counter",
		    "Verifications dropped at the outbox bound (evidence "
		    "never is).");
		fprintf(fp, "retryd_fleet_outbox_dropped_total %llu\n",
			(unsigned long long)c->outbox_dropped);
	}
	status_head(fp, "retryd_sentinel_last_run_timestamp_seconds", "gauge",
		    "When the sentinel last checked the watched domains (0: "
		    "never).");
	fprintf(fp, "retryd_sentinel_last_run_timestamp_seconds %lld\n",
		(long long)c->sentinel_last_run);
	status_head(fp, "retryd_sentinel_node_failing", "gauge",
		    "1 when a watched domain's MTA resolver node gave no "
		    "usable route at the sentinel's last check.");
	for (size_t i = 0; i < c->nsentinel; i++)
		fprintf(
		    fp,
		    "retryd_sentinel_node_failing{domain=\"%s\",node=\"%s\","
		    "verdict=\"%s\"} %d\n",
		    c->sentinel[i].domain, c->sentinel[i].node,
		    c->sentinel[i].verdict,
		    strcmp(c->sentinel[i].answer, "mx") != 0 &&
			strcmp(c->sentinel[i].answer, "implicit") != 0);
	status_head(fp, "retryd_sentinel_negative_ttl_seconds", "gauge",
		    "Negative TTL a watched domain's MTA resolver node has "
		    "left for its negative answer.");
	for (size_t i = 0; i < c->nsentinel; i++)
		if (c->sentinel[i].neg_left >= 0)
			fprintf(fp,
				"retryd_sentinel_negative_ttl_seconds{domain="
				"\"%s\",node=\"%s\"} %lld\n",
				c->sentinel[i].domain, c->sentinel[i].node,
				(long long)c->sentinel[i].neg_left);
	return ferror(fp) ? -1 : 0;
}

int status_metrics_print(FILE *fp, const struct status_census *c,
			 const struct status_totals *t, int64_t now)
{
	status_print_now(fp, c, now);
	status_head(fp, "retryd_pass_duration_seconds", "gauge",
		    "Duration of the last pass.");
	fprintf(fp, "retryd_pass_duration_seconds %.6f\n", t->last_duration);
	status_head(fp, "retryd_last_pass_timestamp_seconds", "gauge",
		    "When the last pass ended (Unix time).");
	fprintf(fp, "retryd_last_pass_timestamp_seconds %lld\n",
		(long long)t->last_pass);
	status_head(
	    fp, "retryd_observe_mode", "gauge",
	    "1 in observe mode (the queue is never changed), 0 in act.");
	fprintf(fp, "retryd_observe_mode %d\n", t->observe);
	status_head(fp, "retryd_passes_total", "counter",
		    "Passes since retryd started.");
	fprintf(fp, "retryd_passes_total %llu\n",
		(unsigned long long)t->passes);
	status_head(fp, "retryd_verdicts_total", "counter",
		    "Fresh domain verifications, by verdict.");
	for (int v = 1; v < PASS_VERDICT_SLOTS; v++)
		if (strcmp(verify_verdict_name((enum verify_verdict)v),
			   "unknown") != 0)
			fprintf(fp,
				"retryd_verdicts_total{verdict=\"%s\"} %llu\n",
				verify_verdict_name((enum verify_verdict)v),
				(unsigned long long)t->verdicts[v]);
	status_head(fp, "retryd_dns_queries_total", "counter",
		    "DNS queries answered or timed out, by resolver role.");
	for (int r = 1; r < PASS_ROLE_SLOTS; r++)
		fprintf(fp, "retryd_dns_queries_total{role=\"%s\"} %llu\n",
			verify_role_name((enum verify_role)r),
			(unsigned long long)t->answers_by_role[r]);
	status_head(fp, "retryd_hook_failures_total", "counter",
		    "Hooks that could not run or exited non-zero.");
	fprintf(fp, "retryd_hook_failures_total %llu\n",
		(unsigned long long)t->hook_failures);
	status_head(fp, "retryd_recipients_total", "counter",
		    "Recipients of held messages, by outcome.");
	fprintf(fp, "retryd_recipients_total{outcome=\"delivered\"} %llu\n",
		(unsigned long long)t->delivered);
	fprintf(fp, "retryd_recipients_total{outcome=\"bounced\"} %llu\n",
		(unsigned long long)t->bounced);
	fprintf(fp, "retryd_recipients_total{outcome=\"given_back\"} %llu\n",
		(unsigned long long)t->given_back);
	return ferror(fp) ? -1 : 0;
}

int status_metrics_write(const char *path, const struct status_census *c,
			 const struct status_totals *t, int64_t now, char *err,
			 size_t errlen)
{
	struct atomic_file af;

	if (atomic_file_open(&af, path, 0644, err, errlen) < 0)
		return -1;
	if (status_metrics_print(af.fp, c, t, now) < 0) {
		snprintf(err, errlen, "metrics_file %.200s: write error", path);
		atomic_file_abort(&af);
		return -1;
	}
	return atomic_file_commit(&af, err, errlen);
}
