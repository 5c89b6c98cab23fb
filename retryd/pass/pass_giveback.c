/*
 * NAME
 *	giveback 3
 * SUMMARY
 *	hand messages back to the MTA: decision first, committed, then act
 * DESCRIPTION
 *	pass_giveback() is the only path to plugin->giveback() in the
 *	daemon. In ONE transaction it records, for each message, the state
 *	GIVEBACK_INTENT, the reason "giveback:HOW: why" and one evidence
 *	record per pending recipient (outcome NONE, the verdict and DNS
 *	summary that led to the decision). Only after that commit does it
 *	call the plugin (one call per batch), then it marks the messages
 *	DONE and their pending recipients given back. A record already in
 *	GIVEBACK_INTENT (a replay after a crash) gets no second evidence.
 *	Callers make sure every id was in a complete listing made just
 *	before (Promise 1).
 *	pass_giveback_max_hold() is the max_hold safety ([retryd] max_hold):
 *	a message held that long since retryd first held it (adopted_at) is
 *	released to the MTA, whatever its backoff says, with one log line
 *	"max_hold: ID held for D (max_hold M): released to the MTA".
 * DIAGNOSTICS
 *	A failed commit means no giveback; a failed plugin call leaves the
 *	intent, replayed by reconcile.
 */
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "pass/pass_int.h"

static const char *const giveback_names[] = {"bounce", "expire", "release"};

const char *pass_giveback_name(enum mta_giveback how)
{
	return (unsigned)how < 3 ? giveback_names[how] : "release";
}

int pass_giveback_parse(const char *reason, enum mta_giveback *how)
{
	size_t pl = strlen(PASS_REASON_GIVEBACK);

	if (strncmp(reason, PASS_REASON_GIVEBACK, pl) != 0)
		return -1;
	for (int i = 0; i < 3; i++) {
		size_t nl = strlen(giveback_names[i]);
		if (strncmp(reason + pl, giveback_names[i], nl) == 0 &&
		    (reason[pl + nl] == ':' || reason[pl + nl] == '\0')) {
			*how = (enum mta_giveback)i;
			return 0;
		}
	}
	return -1;
}

struct giveback_arg {
	enum mta_giveback how;
	const char *verdict, *dns, *why;
	int64_t now;
	unsigned char *ok;
	int second;
};

static int giveback_decide(struct pass_ctx *ctx, struct store_txn *txn,
			   struct store_message *m, size_t i, void *arg,
			   char *err, size_t errlen)
{
	struct giveback_arg *a = arg;

	a->ok[i] = 0;
	if (m->state == STORE_MSG_GIVEBACK_INTENT) {
		a->ok[i] = 1; /* decided before: replay without new evidence */
		return 0;
	}
	if (m->state == STORE_MSG_DONE)
		return 0;
	for (size_t r = 0; r < m->nrcpts; r++) {
		struct store_evidence ev;
		int rc;

		if (m->rcpts[r].state != STORE_RCPT_PENDING)
			continue;
		store_evidence_fill(&ev,
				    &(struct store_evidence_src){
					.address = m->rcpts[r].address,
					.time = a->now,
					.queue_id = m->queue_id,
					.host_id = ctx->policy->host_id,
					.verdict = a->verdict,
					.outcome = STORE_OUTCOME_NONE,
					.dns = a->dns},
				    "retryd decided: %s: %s",
				    pass_giveback_name(a->how), a->why);
		rc = store_add_evidence(ctx->store, txn, &ev, err, errlen);
		if (rc != STORE_OK)
			return -1;
	}
	m->state = STORE_MSG_GIVEBACK_INTENT;
	m->next_attempt = 0;
	snprintf(m->last_reason, sizeof(m->last_reason), "%s%s: %s",
		 PASS_REASON_GIVEBACK, pass_giveback_name(a->how), a->why);
	a->ok[i] = 1;
	return 1;
}

static int giveback_done(struct pass_ctx *ctx, struct store_txn *txn,
			 struct store_message *m, size_t i, void *arg,
			 char *err, size_t errlen)
{
	struct giveback_arg *a = arg;

	if (!a->ok[i] || m->state != STORE_MSG_GIVEBACK_INTENT)
		return 0;
	for (size_t r = 0; r < m->nrcpts; r++) {
		if (m->rcpts[r].state != STORE_RCPT_PENDING)
			continue;
		m->rcpts[r].state = STORE_RCPT_GIVEN_BACK;
		pass_log_rcpt(m->queue_id, m->rcpts[r].address, m->domain,
			      a->verdict,
			      a->how == MTA_GIVEBACK_BOUNCE   ? "bounce"
			      : a->how == MTA_GIVEBACK_EXPIRE ? "expire"
							      : "release",
			      "reason=%.200s", a->why);
	}
	m->state = STORE_MSG_DONE;
	return 1;
}

int pass_giveback(struct pass_ctx *ctx, const char *const *ids, size_t n,
		  enum mta_giveback how, const char *verdict, const char *dns,
		  const char *why, int64_t now)
{
	for (size_t off = 0; off < n; off += LIMIT_PASS_BATCH) {
		size_t k =
		    n - off < LIMIT_PASS_BATCH ? n - off : LIMIT_PASS_BATCH;
		unsigned char ok[LIMIT_PASS_BATCH];
		const char *give[LIMIT_PASS_BATCH];
		struct giveback_arg a = {.how = how,
					 .verdict = verdict,
					 .dns = dns,
					 .why = why,
					 .now = now,
					 .ok = ok};
		size_t ng = 0, done = 0;
		char err[512];

		memset(ok, 0, sizeof(ok));
		if (pass_update(ctx, ids + off, k, giveback_decide, &a,
				"giveback: record decision") != STORE_OK)
			return -1; /* not committed: no giveback */
		for (size_t i = 0; i < k; i++)
			if (ok[i])
				give[ng++] = ids[off + i];
		if (ng == 0)
			continue;
		if (ctx->plugin->giveback(ctx->plugin_state, give, ng, how,
					  &done, err, sizeof(err)) < 0) {
			log_error("giveback %s: %.400s (decision kept: "
				  "replayed next pass)",
				  pass_giveback_name(how), err);
			return -1;
		}
		a.second = 1;
		if (pass_update(ctx, ids + off, k, giveback_done, &a,
				"giveback: done") != STORE_OK)
			return -1;
		ctx->stats.given_back += ng;
	}
	return 0;
}

int pass_giveback_max_hold(struct pass_ctx *ctx, const char *id,
			   const char *verdict, int64_t adopted_at, int64_t now)
{
	char held[32], max[32], why[128], qid[LIMIT_QUEUE_ID + 1];
	const char *ids[1] = {id};

	policy_format_duration(now - adopted_at, held, sizeof(held));
	policy_format_duration(ctx->policy->max_hold, max, sizeof(max));
	snprintf(why, sizeof(why), "max_hold reached (held for %s)", held);
	if (pass_giveback(ctx, ids, 1, MTA_GIVEBACK_RELEASE, verdict, "", why,
			  now) < 0)
		return -1; /* logged; the message stays due */
	log_info("max_hold: %s held for %s (max_hold %s): released to the MTA",
		 log_printable(qid, sizeof(qid), id), held, max);
	return 0;
}
