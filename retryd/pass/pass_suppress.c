/*
 * NAME
 *	suppress_act 3
 * SUMMARY
 *	suppress recipients on stored evidence, then hand their messages back
 * SYNOPSIS
 *	#include "pass/pass_suppress.h"
 * DESCRIPTION
 *	pass_suppress_outcomes() runs after outcome.c committed the evidence
 *	of an outcome batch. For each address that got new failure evidence
 *	and is not suppressed yet, it reads the address's evidence (oldest
 *	first, at most LIMIT_EVIDENCE_PER_RCPT newest records) and asks
 *	suppress_decide() (pure). Then ONE transaction writes, for every
 *	address whose criteria are met, the store_suppressed record (time,
 *	the decision's explanation as reason, the counted evidence as
 *	summary) and marks SUPPRESSED every pending recipient of the batch's
 *	messages that is suppressed (new or old), each with an evidence
 *	record "suppressed since ..." (outcome NONE: never counted). A
 *	message left with no pending recipient gets GIVEBACK_INTENT in that
 *	same transaction ("giveback:bounce|release: recipient suppressed").
 *	Only after the commit is plugin->giveback() called (pass_giveback),
 *	and only for ids in a complete listing made just before: the pass's
 *	listing, or a fresh scan when there is none (retryd --once reads
 *	outcomes after its pass). An id not listed keeps its intent:
 *	reconcile replays it at the next complete listing (Promise 1).
 *
 *	The multi-recipient rule: a message is handed back only when none of
 *	its recipients is pending. A suppressed recipient beside pending ones
 *	stays in the message (no MTA can drop one recipient of a queued
 *	message without rewriting it): the message is held and retried for
 *	the others; when their outcomes are final and only suppressed
 *	recipients are left, outcome.c hands it back (pass_suppress_ready).
 *	A recipient the MTA bounced itself (5xx) is already final: its
 *	address is suppressed for future mail, nothing is handed back.
 *
 *	pass_suppress_known() does the same for messages we hold whose
 *	pending recipients were suppressed before (a newly adopted message,
 *	a due one): they are never attempted for that recipient alone.
 *	Routing, null-MX, DNS and rate-limit outcomes never suppress:
 *	suppress_decide() refuses them whatever the policy lists.
 *
 *	Owns: the evidence buffer for the length of a call.
 * DIAGNOSTICS
 *	Store errors are logged once ("suppress: ...") and only delay: the
 *	next failure evaluates the address again. Each suppression and each
 *	recipient marked is logged "QUEUEID: to=<ADDR>, domain=D, verdict=V,
 *	action=suppress, reason=...".
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "util/log.h"
#include "suppress/suppress.h"
#include "pass/pass_suppress.h"

/* Evidence records read for one decision (the store keeps no more). */
#define ACT_EVIDENCE_MAX LIMIT_EVIDENCE_PER_RCPT

/* An address whose criteria are met in this call. */
struct act_new {
	struct store_suppressed rec;
	char queue_id[LIMIT_QUEUE_ID + 1]; /* of its last counted failure */
	char verdict[LIMIT_VERDICT + 1];
	int marked; /* a recipient of the batch was marked */
};

/* One recipient marked, logged after the commit. */
struct act_mark {
	char queue_id[LIMIT_QUEUE_ID + 1];
	char address[LIMIT_ADDRESS + 1];
	char domain[LIMIT_DOMAIN + 1];
	char verdict[LIMIT_VERDICT + 1];
	char reason[LIMIT_REASON + 1]; /* the suppression's */
	int64_t since;
	size_t others; /* recipients still pending in its message */
};

struct act_marks {
	struct act_mark *v;
	size_t n, cap;
};

enum mta_giveback pass_suppress_how(const struct policy *p)
{
	return p->on_suppress == POLICY_SUPPRESS_RELEASE ? MTA_GIVEBACK_RELEASE
							 : MTA_GIVEBACK_BOUNCE;
}

int pass_suppress_ready(const struct store_message *m)
{
	size_t pending = 0, suppressed = 0;

	if (m->state == STORE_MSG_DONE || m->state == STORE_MSG_GIVEBACK_INTENT)
		return 0;
	for (size_t r = 0; r < m->nrcpts; r++) {
		pending += m->rcpts[r].state == STORE_RCPT_PENDING;
		suppressed += m->rcpts[r].state == STORE_RCPT_SUPPRESSED;
	}
	return pending == 0 && suppressed > 0;
}

void pass_suppress_intent(const struct pass_ctx *ctx, struct store_message *m)
{
	m->state = STORE_MSG_GIVEBACK_INTENT;
	m->next_attempt = 0;
	snprintf(m->last_reason, sizeof(m->last_reason),
		 "%s%s: recipient suppressed", PASS_REASON_GIVEBACK,
		 pass_giveback_name(pass_suppress_how(ctx->policy)));
}

/* "2026-11-29T10:42:07Z" (UTC) */
static const char *act_iso(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "%lld", (long long)t);
	return buf;
}

/* ---- reading the evidence ---- */

struct act_ring {
	struct store_evidence *ev; /* ACT_EVIDENCE_MAX slots */
	size_t n, next;		   /* records kept, next slot to write */
};

static int act_ring_add(const struct store_evidence *ev, void *arg)
{
	struct act_ring *r = arg;

	r->ev[r->next] = *ev;
	r->next = (r->next + 1) % ACT_EVIDENCE_MAX;
	if (r->n < ACT_EVIDENCE_MAX)
		r->n++;
	return 0;
}

static void act_reverse(struct store_evidence *ev, size_t a, size_t b)
{
	while (a + 1 < b) { /* [a, b) */
		struct store_evidence t = ev[a];
		ev[a++] = ev[--b];
		ev[b] = t;
	}
}

/* Oldest first in r->ev[0..n): rotate the full ring left by r->next. */
static void act_ring_order(struct act_ring *r)
{
	if (r->n < ACT_EVIDENCE_MAX || r->next == 0)
		return;
	act_reverse(r->ev, 0, r->next);
	act_reverse(r->ev, r->next, ACT_EVIDENCE_MAX);
	act_reverse(r->ev, 0, ACT_EVIDENCE_MAX);
	r->next = 0;
}

/* The counted evidence in one line: "3 counted: TIME DSN CATEGORY QID; ..." */
static void act_summary(const struct store_evidence *ev, size_t n,
			const enum suppress_mark *marks, unsigned counted,
			char *buf, size_t len)
{
	size_t used = (size_t)snprintf(buf, len, "%u counted:", counted);
	int first = 1;

	for (size_t i = 0; i < n && used < len; i++) {
		char when[32];

		if (marks[i] != SUPPRESS_COUNTED)
			continue;
		used += (size_t)snprintf(
		    buf + used, len - used, "%s %s %s %s %s (%s)",
		    first ? "" : ";", act_iso(ev[i].time, when, sizeof(when)),
		    ev[i].dsn[0] ? ev[i].dsn : "-", ev[i].category,
		    ev[i].queue_id, ev[i].verdict);
		first = 0;
	}
}

/* Decide for one address. @return 1 (out filled), 0 not met, -1 error. */
static int act_decide(struct pass_ctx *ctx, struct act_ring *ring,
		      enum suppress_mark *marks, const char *address,
		      int64_t now, struct act_new *out)
{
	struct suppress_criteria c;
	struct suppress_decision d;
	char err[512];

	ring->n = ring->next = 0;
	if (store_walk_evidence(ctx->store, address, act_ring_add, ring, err,
				sizeof(err)) != STORE_OK) {
		log_warn("suppress: evidence of %.100s: %.300s (decided later)",
			 address, err);
		return -1;
	}
	act_ring_order(ring);
	suppress_criteria_from_policy(ctx->policy, &c);
	if (!suppress_decide(&c, ring->ev, ring->n, marks, &d))
		return 0;
	memset(out, 0, sizeof(*out));
	snprintf(out->rec.address, sizeof(out->rec.address), "%s", address);
	out->rec.time = now;
	snprintf(out->rec.reason, sizeof(out->rec.reason), "%s", d.explanation);
	act_summary(ring->ev, ring->n, marks, d.counted, out->rec.evidence,
		    sizeof(out->rec.evidence));
	for (size_t i = ring->n; i > 0; i--)
		if (marks[i - 1] == SUPPRESS_COUNTED) {
			snprintf(out->queue_id, sizeof(out->queue_id), "%s",
				 ring->ev[i - 1].queue_id);
			snprintf(out->verdict, sizeof(out->verdict), "%s",
				 ring->ev[i - 1].verdict);
			break;
		}
	return 1;
}

/* ---- the one transaction ---- */

static int act_marks_add(struct act_marks *ms, const struct store_message *m,
			 const struct store_rcpt *r,
			 const struct store_suppressed *s)
{
	struct act_mark *k;

	if (ms->n == ms->cap) {
		size_t cap = ms->cap ? ms->cap * 2 : 16;
		void *p = realloc(ms->v, cap * sizeof(*ms->v));

		if (p == NULL)
			return -1;
		ms->v = p;
		ms->cap = cap;
	}
	k = &ms->v[ms->n++];
	snprintf(k->queue_id, sizeof(k->queue_id), "%s", m->queue_id);
	snprintf(k->address, sizeof(k->address), "%s", r->address);
	snprintf(k->domain, sizeof(k->domain), "%s", m->domain);
	snprintf(k->verdict, sizeof(k->verdict), "%s",
		 m->last_verdict[0] ? m->last_verdict : "-");
	snprintf(k->reason, sizeof(k->reason), "%s", s->reason);
	k->since = s->time;
	k->others = 0;
	return 0;
}

/*
 * Mark the pending recipients of @param m that are suppressed (in
 * @param nw, or already in the store); GIVEBACK_INTENT when none is left
 * pending. @return 1 changed, 0 not, -1 error.
 */
static int act_mark(struct pass_ctx *ctx, struct store_txn *txn,
		    struct store_message *m, struct act_new *nw, size_t nnew,
		    int64_t now, struct act_marks *ms, int *intent, char *err,
		    size_t errlen)
{
	size_t first = ms->n, pending = 0;
	int changed = 0;

	*intent = 0;
	if (m->state == STORE_MSG_DONE || m->state == STORE_MSG_GIVEBACK_INTENT)
		return 0;
	for (size_t r = 0; r < m->nrcpts; r++) {
		struct store_rcpt *rc = &m->rcpts[r];
		struct store_suppressed old;
		const struct store_suppressed *s = NULL;
		struct store_evidence ev;
		char when[32];
		int got;

		if (rc->state != STORE_RCPT_PENDING)
			continue;
		for (size_t k = 0; k < nnew && s == NULL; k++)
			if (strcasecmp(nw[k].rec.address, rc->address) == 0) {
				s = &nw[k].rec;
				nw[k].marked = 1;
			}
		if (s == NULL) {
			got = store_get_suppressed(ctx->store, txn, rc->address,
						   &old, err, errlen);
			if (got == STORE_OK)
				s = &old;
			else if (got != STORE_NOTFOUND)
				return -1;
		}
		if (s == NULL) {
			pending++;
			continue;
		}
		rc->state = STORE_RCPT_SUPPRESSED;
		snprintf(rc->reason, sizeof(rc->reason),
			 "suppressed since %s: %.400s",
			 act_iso(s->time, when, sizeof(when)), s->reason);
		store_evidence_fill(
		    &ev,
		    &(struct store_evidence_src){
			.address = rc->address,
			.time = now,
			.queue_id = m->queue_id,
			.host_id = ctx->policy->host_id,
			.verdict = m->last_verdict[0] ? m->last_verdict : "-",
			.outcome = STORE_OUTCOME_NONE},
		    "retryd decided: %s", rc->reason);
		if (store_add_evidence(ctx->store, txn, &ev, err, errlen) !=
		    STORE_OK)
			return -1;
		if (act_marks_add(ms, m, rc, s) < 0) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		changed = 1;
	}
	for (size_t k = first; k < ms->n; k++)
		ms->v[k].others = pending;
	if (pass_suppress_ready(m)) {
		pass_suppress_intent(ctx, m);
		*intent = changed = 1;
	}
	return changed;
}

/*
 * ONE transaction: the new suppressed records, the marks, the intents.
 * @param intent (n entries) gets 1 per message now in GIVEBACK_INTENT.
 * @return STORE_OK or an error (logged).
 */
static int act_commit(struct pass_ctx *ctx, const char *const *ids, size_t n,
		      struct act_new *nw, size_t nnew, int64_t now,
		      struct act_marks *ms, unsigned char *intent)
{
	char err[512] = "";

	for (int tries = 0; tries < LIMIT_STORE_DEADLOCK_TRIES; tries++) {
		struct store_txn *txn;
		int rc = STORE_OK;

		ms->n = 0;
		memset(intent, 0, n);
		for (size_t k = 0; k < nnew; k++)
			nw[k].marked = 0;
		if (store_txn_begin(ctx->store, &txn, err, sizeof(err)) !=
		    STORE_OK) {
			log_error("suppress: %.400s", err);
			return STORE_ERROR;
		}
		for (size_t k = 0; k < nnew && rc == STORE_OK; k++)
			rc = store_put_suppressed(ctx->store, txn, &nw[k].rec,
						  err, sizeof(err));
		for (size_t i = 0; i < n && rc == STORE_OK; i++) {
			struct store_message *m = NULL;
			int in = 0, r;

			r = store_get_message(ctx->store, txn, ctx->policy->mta,
					      ids[i], &m, err, sizeof(err));
			if (r == STORE_NOTFOUND)
				continue;
			if (r != STORE_OK) {
				rc = r;
				break;
			}
			r = act_mark(ctx, txn, m, nw, nnew, now, ms, &in, err,
				     sizeof(err));
			if (r < 0)
				rc = STORE_ERROR;
			else if (r > 0)
				rc = store_put_message(ctx->store, txn, m, err,
						       sizeof(err));
			intent[i] = (unsigned char)in;
			store_message_free(m);
		}
		rc = pass_commit(ctx, txn, rc, "suppress: record", err);
		if (rc != STORE_RETRY)
			return rc;
	}
	log_error("suppress: record: store still deadlocked after %d tries",
		  LIMIT_STORE_DEADLOCK_TRIES);
	return STORE_ERROR;
}

static void act_log(const struct pass_ctx *ctx, const struct act_new *nw,
		    size_t nnew, const struct act_marks *ms)
{
	const char *how = pass_giveback_name(pass_suppress_how(ctx->policy));

	for (size_t k = 0; k < nnew; k++) {
		char dom[LIMIT_DOMAIN + 1] = "-", since[32];

		if (nw[k].marked)
			continue; /* logged with its message below */
		pass_address_domain(nw[k].rec.address, dom, sizeof(dom));
		pass_log_rcpt(nw[k].queue_id[0] ? nw[k].queue_id : "-",
			      nw[k].rec.address, dom, nw[k].verdict, "suppress",
			      "since=%s, reason=%.300s, then=nothing held",
			      act_iso(nw[k].rec.time, since, sizeof(since)),
			      nw[k].rec.reason);
	}
	for (size_t i = 0; i < ms->n; i++) {
		const struct act_mark *k = &ms->v[i];
		char since[32], then[64];

		if (k->others)
			snprintf(then, sizeof(then),
				 "held for %zu other pending recipient(s)",
				 k->others);
		else
			snprintf(then, sizeof(then), "%s", how);
		pass_log_rcpt(k->queue_id, k->address, k->domain, k->verdict,
			      "suppress", "since=%s, reason=%.300s, then=%s",
			      act_iso(k->since, since, sizeof(since)),
			      k->reason, then);
	}
}

/* Hand back the ids with intent, if listed complete (scan when no l). */
static int act_giveback(struct pass_ctx *ctx, const struct pass_listing *l,
			const char *const *ids, size_t n,
			const unsigned char *intent, int64_t now)
{
	struct pass_listing fresh;
	const struct pass_listing *use = l;
	const char **give;
	size_t k = 0, want = 0;
	int scanned = 0;

	for (size_t i = 0; i < n; i++)
		want += intent[i];
	if (want == 0)
		return 0;
	if (use == NULL || !use->complete) {
		pass_listing_scan(ctx, &fresh);
		use = &fresh;
		scanned = 1;
	}
	if ((give = calloc(want + 1, sizeof(*give))) != NULL && use->complete)
		for (size_t i = 0; i < n; i++)
			if (intent[i] && pass_listing_find(use, ids[i]) != NULL)
				give[k++] = ids[i];
	if (k < want)
		log_info("suppress: %zu of %zu hand-backs wait for a complete "
			 "listing that shows them",
			 want - k, want);
	if (k)
		pass_giveback(ctx, give, k, pass_suppress_how(ctx->policy), "-",
			      "", "recipient suppressed", now);
	free(give);
	if (scanned)
		pass_listing_free(ctx, &fresh);
	return (int)want;
}

int pass_suppress_outcomes(struct pass_ctx *ctx, const struct pass_listing *l,
			   const char *const *ids, size_t n,
			   const char *const *addrs, size_t naddrs, int64_t now,
			   unsigned char *settled)
{
	struct act_ring ring = {0};
	enum suppress_mark *marks = NULL;
	struct act_new *nw = NULL;
	struct act_marks ms = {0};
	unsigned char *intent = NULL;
	size_t nnew = 0;
	int ret = -1;

	if (naddrs == 0 && n == 0)
		return 0;
	if (naddrs) {
		ring.ev = calloc(ACT_EVIDENCE_MAX, sizeof(*ring.ev));
		marks = calloc(ACT_EVIDENCE_MAX, sizeof(*marks));
	}
	nw = calloc(naddrs + 1, sizeof(*nw));
	intent = calloc(n + 1, 1);
	if ((naddrs && (!ring.ev || !marks)) || !nw || !intent) {
		log_error(
		    "suppress: out of memory (decided at the next failure)");
		goto out;
	}
	for (size_t a = 0; a < naddrs; a++) {
		struct store_suppressed old;
		char err[256];
		int dup = 0;

		for (size_t k = 0; k < nnew && !dup; k++)
			dup = strcasecmp(nw[k].rec.address, addrs[a]) == 0;
		if (dup ||
		    store_get_suppressed(ctx->store, NULL, addrs[a], &old, err,
					 sizeof(err)) != STORE_NOTFOUND)
			continue; /* already suppressed (or unreadable: later) */
		if (act_decide(ctx, &ring, marks, addrs[a], now, &nw[nnew]) ==
		    1)
			nnew++;
	}
	if (act_commit(ctx, ids, n, nw, nnew, now, &ms, intent) != STORE_OK)
		goto out;
	act_log(ctx, nw, nnew, &ms);
	for (size_t i = 0; settled && i < n; i++)
		settled[i] = intent[i] |= settled[i];
	act_giveback(ctx, l, ids, n, intent, now);
	ret = (int)nnew;
out:
	free(ring.ev);
	free(marks);
	free(nw);
	free(ms.v);
	free(intent);
	return ret;
}

/* Any suppressed address at all? (Then no message needs a look.) */
static int act_any_one(const struct store_suppressed *s, void *arg)
{
	*(int *)arg = 1;
	return 1;
}

static int act_any(struct pass_ctx *ctx)
{
	char err[256];
	int any = 0;

	store_walk_suppressed(ctx->store, act_any_one, &any, err, sizeof(err));
	return any;
}

/* Has @param id a pending recipient that is suppressed? (read only) */
static int act_hit(struct pass_ctx *ctx, const char *id)
{
	struct store_message *m = NULL;
	char err[256];
	int hit = 0;

	if (store_get_message(ctx->store, NULL, ctx->policy->mta, id, &m, err,
			      sizeof(err)) != STORE_OK)
		return 0;
	if (m->state == STORE_MSG_HELD || m->state == STORE_MSG_ADOPT_INTENT)
		for (size_t r = 0; r < m->nrcpts && !hit; r++) {
			struct store_suppressed s;

			hit = m->rcpts[r].state == STORE_RCPT_PENDING &&
			      store_get_suppressed(ctx->store, NULL,
						   m->rcpts[r].address, &s, err,
						   sizeof(err)) == STORE_OK;
		}
	store_message_free(m);
	return hit;
}

int pass_suppress_known(struct pass_ctx *ctx, const struct pass_listing *l,
			const char *const *ids, size_t n, int64_t now)
{
	const char **hit;
	unsigned char *settled;
	size_t k = 0;
	int ret = 0;

	if (n == 0 || ctx->nospace || !act_any(ctx))
		return 0;
	hit = calloc(n + 1, sizeof(*hit));
	settled = calloc(n + 1, 1);
	if (hit == NULL || settled == NULL) {
		free(hit);
		free(settled);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if (act_hit(ctx, ids[i]))
			hit[k++] = ids[i];
	for (size_t off = 0; off < k && ret >= 0; off += LIMIT_PASS_BATCH) {
		size_t c =
		    k - off < LIMIT_PASS_BATCH ? k - off : LIMIT_PASS_BATCH;

		memset(settled, 0, c);
		if (pass_suppress_outcomes(ctx, l, hit + off, c, NULL, 0, now,
					   settled) < 0)
			ret = -1;
		for (size_t i = 0; i < c && ret >= 0; i++)
			ret += settled[i];
	}
	free(hit);
	free(settled);
	return ret;
}

struct act_due {
	const char *mta;
	struct pass_idset ids;
};

static int act_due_one(int64_t next, const char *mta, const char *id, void *arg)
{
	struct act_due *d = arg;

	if (strcmp(mta, d->mta) == 0)
		pass_idset_add(&d->ids, id);
	return 0;
}

int pass_suppress_due(struct pass_ctx *ctx, const struct pass_listing *l,
		      int64_t now)
{
	struct act_due d = {.mta = ctx->policy->mta};
	const char **ids;
	char err[512];
	int ret;

	if (ctx->nospace || !act_any(ctx))
		return 0;
	if (store_walk_due_ids(ctx->store, now, LIMIT_PASS_DUE, act_due_one, &d,
			       err, sizeof(err)) < 0) {
		log_error("suppress: due: %.400s", err);
		pass_idset_free(&d.ids);
		return -1;
	}
	if ((ids = pass_idset_ptrs(&d.ids)) == NULL) {
		pass_idset_free(&d.ids);
		return -1;
	}
	ret = pass_suppress_known(ctx, l, ids, d.ids.n, now);
	free(ids);
	pass_idset_free(&d.ids);
	return ret;
}
