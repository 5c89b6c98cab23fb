/*
 * NAME
 *	fleet_suppress 3
 * SUMMARY
 *	fleet-wide suppression: the same criteria over every host's
 *	evidence, shared decisions, pulled into each host's store
 * SYNOPSIS
 *	#include "fleet/fleet.h"
 * DESCRIPTION
 *	fleet_suppress_evaluate() reads, through a server-side cursor, the
 *	evidence of every candidate address from every host, ordered by
 *	address then time, and hands each address's records (the latest
 *	LIMIT_FLEET_EVIDENCE) to suppress_decide(), the pure rule the
 *	daemon uses for its own evidence: address-level categories,
 *	min_failures, min_span, and a DNS verdict of healthy at each
 *	failure as measured by the host that made the attempt. A delivery
 *	or an operator reset on any host restarts the count everywhere.
 *	Candidates: addresses with a failure of a listed category ingested
 *	within the window (every such address with window 0), not
 *	suppressed now; evidence older than a fleet-wide clear is left out.
 *
 *	fleet_suppress_pull() copies decisions changed since the last pull
 *	(fleet_suppressed.rev) into the local store: active ones missing
 *	locally are added ("fleet: ..."), cleared ones are removed when the
 *	local decision is not newer than the clear. Every
 *	FLEET_FULL_PULL_ROUNDS rounds the whole table is read again.
 * DIAGNOSTICS
 *	Errors fill err; the transaction is rolled back; nothing local is
 *	changed by a failed evaluation.
 */
#include "fleet/fleet_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suppress/suppress.h"
#include "util/log.h"

#define FLEET_FETCH	       2000 /* rows per FETCH of the cursor */
#define FLEET_FULL_PULL_ROUNDS 30   /* a whole pull every N daemon rounds */
#define FLEET_NUM	       24
#define FLEET_STR_(x)	       #x
#define FLEET_STR(x)	       FLEET_STR_(x)

struct eval_state {
	struct fleet *f;
	struct suppress_criteria c;
	struct store_evidence *ev; /* LIMIT_FLEET_EVIDENCE */
	enum suppress_mark *marks;
	size_t n;
	char address[LIMIT_ADDRESS + 1];
	int64_t now;
	size_t decided, evaluated;
};

static enum store_outcome eval_outcome(const char *name)
{
	if (strcmp(name, "delivered") == 0)
		return STORE_OUTCOME_DELIVERED;
	if (strcmp(name, "deferred") == 0)
		return STORE_OUTCOME_DEFERRED;
	if (strcmp(name, "bounced") == 0)
		return STORE_OUTCOME_BOUNCED;
	return STORE_OUTCOME_NONE;
}

/* Which hosts made the counted failures, "A, B" in @param buf. */
static void eval_hosts(const struct eval_state *s, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < s->n; i++) {
		const char *h = s->ev[i].host_id;
		int seen = 0;

		if (s->marks[i] != SUPPRESS_COUNTED)
			continue;
		for (size_t j = 0; j < i && !seen; j++)
			seen = s->marks[j] == SUPPRESS_COUNTED &&
			       strcmp(s->ev[j].host_id, h) == 0;
		if (!seen && used < len)
			used += (size_t)snprintf(buf + used, len - used, "%s%s",
						 used ? ", " : "", h);
	}
}

static int eval_decide(struct eval_state *s, char *err, size_t errlen)
{
	struct suppress_decision d;
	char reason[LIMIT_REASON + 1], hosts[256], when[FLEET_NUM];
	const char *params[5];
	PGresult *r;

	if (s->n == 0)
		return 0;
	s->evaluated++;
	if (!suppress_decide(&s->c, s->ev, s->n, s->marks, &d))
		return 0;
	eval_hosts(s, hosts, sizeof(hosts));
	snprintf(reason, sizeof(reason), "%.300s (fleet-wide; from %.150s)",
		 d.explanation, hosts);
	params[0] = s->address;
	params[1] = fleet_i64(s->now, when, sizeof(when));
	params[2] = reason;
	params[3] = hosts;
	params[4] = s->f->p->host_id;
	r = fleet_exec(
	    s->f, "suppress: decide",
	    "INSERT INTO fleet_suppressed (address, time, reason, evidence, "
	    "decided_by) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (address) DO "
	    "UPDATE SET time = excluded.time, reason = excluded.reason, "
	    "evidence = excluded.evidence, decided_by = excluded.decided_by, "
	    "cleared_at = NULL, cleared_by = NULL, rev = "
	    "nextval('fleet_suppressed_rev') WHERE fleet_suppressed.cleared_at "
	    "IS NOT NULL",
	    5, params, PGRES_COMMAND_OK, err, errlen);
	if (r == NULL)
		return -1;
	if (strcmp(PQcmdTuples(r), "1") == 0) {
		s->decided++;
		log_info("fleet: suppress %.254s: %.400s", s->address, reason);
	}
	PQclear(r);
	return 0;
}

/* One row: address, host_id, time, verdict, outcome, dsn, reason,
 * category, queue_id. */
static int eval_row(struct eval_state *s, const PGresult *r, int i, char *err,
		    size_t errlen)
{
	struct store_evidence *e;

	if (strcmp(PQgetvalue(r, i, 0), s->address) != 0) {
		if (eval_decide(s, err, errlen) < 0)
			return -1;
		snprintf(s->address, sizeof(s->address), "%s",
			 PQgetvalue(r, i, 0));
		s->n = 0;
	}
	if (s->n == LIMIT_FLEET_EVIDENCE) { /* keep the latest */
		memmove(s->ev, s->ev + 1, (s->n - 1) * sizeof(*s->ev));
		s->n--;
	}
	e = &s->ev[s->n++];
	memset(e, 0, sizeof(*e));
	snprintf(e->address, sizeof(e->address), "%s", s->address);
	snprintf(e->host_id, sizeof(e->host_id), "%s", PQgetvalue(r, i, 1));
	e->time = fleet_cell_i64(r, i, 2);
	snprintf(e->verdict, sizeof(e->verdict), "%s", PQgetvalue(r, i, 3));
	e->outcome = eval_outcome(PQgetvalue(r, i, 4));
	snprintf(e->dsn, sizeof(e->dsn), "%s", PQgetvalue(r, i, 5));
	snprintf(e->text, sizeof(e->text), "%s", PQgetvalue(r, i, 6));
	snprintf(e->category, sizeof(e->category), "%s", PQgetvalue(r, i, 7));
	snprintf(e->queue_id, sizeof(e->queue_id), "%s", PQgetvalue(r, i, 8));
	return 0;
}

/* '{"a","b"}': the listed categories as a text[] literal. */
static char *eval_categories(const struct suppress_criteria *c)
{
	size_t cap = 4, len = 0;
	char *s;

	for (size_t i = 0; i < c->ncategories; i++)
		cap += strlen(c->categories[i]) + 4;
	if ((s = malloc(cap)) == NULL)
		return NULL;
	len += (size_t)snprintf(s, cap, "{");
	for (size_t i = 0; i < c->ncategories; i++)
		len += (size_t)snprintf(s + len, cap - len, "%s\"%s\"",
					i ? "," : "", c->categories[i]);
	snprintf(s + len, cap - len, "}");
	return s;
}

static int eval_cursor(struct eval_state *s, int64_t window, char *err,
		       size_t errlen)
{
	char win[FLEET_NUM], lim[FLEET_NUM], *cats = eval_categories(&s->c);
	const char *params[3] = {
	    fleet_i64(window, win, sizeof(win)), cats,
	    fleet_i64(window ? LIMIT_FLEET_CANDIDATES : INT64_MAX, lim,
		      sizeof(lim))};
	PGresult *r;

	if (cats == NULL) {
		snprintf(err, errlen, "fleet: suppress: out of memory");
		return -1;
	}
	r = fleet_exec(
	    s->f, "suppress: candidates",
	    "DECLARE fleet_eval NO SCROLL CURSOR FOR "
	    "SELECT e.address, e.host_id, e.time, e.verdict, e.outcome, "
	    "e.dsn, e.reason, e.category, e.queue_id FROM fleet_evidence e "
	    "JOIN (SELECT DISTINCT c.address FROM fleet_evidence c WHERE "
	    "($1::bigint = 0 OR c.ingested_at > now() - "
	    "make_interval(secs => $1::bigint)) AND c.category = "
	    "ANY($2::text[]) AND c.outcome IN ('bounced', 'deferred') "
	    "LIMIT $3::bigint) a ON a.address = e.address "
	    "LEFT JOIN fleet_suppressed s ON s.address = e.address "
	    "WHERE s.address IS NULL OR (s.cleared_at IS NOT NULL AND e.time "
	    "> s.cleared_at) ORDER BY e.address, e.time, e.host_id, e.seq",
	    3, params, PGRES_COMMAND_OK, err, errlen);
	free(cats);
	PQclear(r);
	return r ? 0 : -1;
}

int fleet_suppress_evaluate(struct fleet *f, int64_t window, int64_t now,
			    size_t *decided, size_t *evaluated, char *err,
			    size_t errlen)
{
	struct eval_state s;
	PGresult *r = NULL;
	int rc = -1;

	*decided = *evaluated = 0;
	memset(&s, 0, sizeof(s));
	s.f = f;
	s.now = now;
	suppress_criteria_from_policy(f->p, &s.c);
	if (s.c.ncategories == 0)
		return 0; /* nothing can ever count */
	s.ev = calloc(LIMIT_FLEET_EVIDENCE, sizeof(*s.ev));
	s.marks = calloc(LIMIT_FLEET_EVIDENCE, sizeof(*s.marks));
	if (s.ev == NULL || s.marks == NULL) {
		snprintf(err, errlen, "fleet: suppress: out of memory");
		goto out;
	}
	if (fleet_ready(f, err, errlen) < 0 || fleet_begin(f, err, errlen) < 0)
		goto out;
	if (eval_cursor(&s, window, err, errlen) < 0)
		goto fail;
	for (;;) {
		int nrows;

		r = fleet_exec(
		    f, "suppress: fetch",
		    "FETCH " FLEET_STR(FLEET_FETCH) " FROM fleet_eval", 0, NULL,
		    PGRES_TUPLES_OK, err, errlen);
		if (r == NULL)
			goto fail;
		if ((nrows = PQntuples(r)) == 0)
			break;
		for (int i = 0; i < nrows; i++)
			if (eval_row(&s, r, i, err, errlen) < 0)
				goto fail;
		PQclear(r);
		r = NULL;
	}
	if (eval_decide(&s, err, errlen) < 0 || fleet_commit(f, err, errlen))
		goto fail;
	*decided = s.decided;
	*evaluated = s.evaluated;
	rc = 0;
	goto out;
fail:
	fleet_rollback(f);
out:
	PQclear(r);
	free(s.ev);
	free(s.marks);
	return rc;
}

/*
 * A fleet-wide clear, here: the local entry goes and an operator-reset
 * record is added in the same transaction, as `retryctl unsuppress` does
 * on the host where it ran, so this host's own older failures no longer
 * count toward suppressing the address again.
 */
static int pull_clear(struct store *st, const char *address, int64_t when,
		      const char *by, char *err, size_t errlen)
{
	struct store_evidence *ev = calloc(1, sizeof(*ev));
	struct store_txn *txn = NULL;
	int ret = STORE_RETRY;

	if (ev == NULL) {
		snprintf(err, errlen, "fleet: pull: out of memory");
		return -1;
	}
	store_evidence_fill(
	    ev,
	    &(struct store_evidence_src){.address = address,
					 .time = when,
					 .outcome = STORE_OUTCOME_NONE,
					 .category = SUPPRESS_OPERATOR_RESET},
	    "unsuppressed fleet-wide (cleared by %.63s)", by);
	for (int try = 0;
	     ret == STORE_RETRY && try < LIMIT_STORE_DEADLOCK_TRIES; try++) {
		if ((ret = store_txn_begin(st, &txn, err, errlen)) != STORE_OK)
			continue;
		ret = store_del_suppressed(st, txn, address, err, errlen);
		if (ret == STORE_OK)
			ret = store_add_evidence(st, txn, ev, err, errlen);
		if (ret != STORE_OK)
			store_txn_abort(txn);
		else
			ret = store_txn_commit(txn, err, errlen);
	}
	free(ev);
	return ret == STORE_OK ? 0 : -1;
}

/* Apply one fleet_suppressed row locally. */
static int pull_row(struct fleet *f, struct store *st, const PGresult *r, int i,
		    size_t *added, size_t *removed, char *err, size_t errlen)
{
	struct store_suppressed loc, rec;
	const char *address = PQgetvalue(r, i, 0);
	int cleared = !PQgetisnull(r, i, 5), rc;

	if (strlen(address) == 0 || strlen(address) > LIMIT_ADDRESS)
		return 0; /* not an address this store can hold */
	rc = store_get_suppressed(st, NULL, address, &loc, err, errlen);
	if (rc != STORE_OK && rc != STORE_NOTFOUND)
		return -1;
	if (cleared) {
		if (rc == STORE_NOTFOUND || loc.time > fleet_cell_i64(r, i, 5))
			return 0;
		if (pull_clear(st, address, fleet_cell_i64(r, i, 5),
			       PQgetvalue(r, i, 6), err, errlen) < 0)
			return -1;
		(*removed)++;
		log_info("fleet: unsuppress %.254s: cleared by %.63s", address,
			 PQgetvalue(r, i, 6));
		return 0;
	}
	if (rc == STORE_OK)
		return 0;
	memset(&rec, 0, sizeof(rec));
	snprintf(rec.address, sizeof(rec.address), "%s", address);
	rec.time = fleet_cell_i64(r, i, 1);
	snprintf(rec.reason, sizeof(rec.reason),
		 "fleet: %.400s (decided by %s)", PQgetvalue(r, i, 2),
		 PQgetvalue(r, i, 4));
	snprintf(rec.evidence, sizeof(rec.evidence), "fleet: from %s",
		 PQgetvalue(r, i, 3));
	(void)f;
	if (store_put_suppressed(st, NULL, &rec, err, errlen) != STORE_OK)
		return -1;
	(*added)++;
	return 0;
}

int fleet_suppress_pull(struct fleet *f, struct store *st, size_t *added,
			size_t *removed, char *err, size_t errlen)
{
	char rev[FLEET_NUM];
	const char *params[1] = {rev};
	PGresult *r;
	int64_t top = f->pulled_rev;

	*added = *removed = 0;
	if (fleet_ready(f, err, errlen) < 0)
		return -1;
	fleet_i64(f->pulled_rev, rev, sizeof(rev));
	r = fleet_exec(f, "suppress: pull",
		       "SELECT address, time, reason, evidence, decided_by, "
		       "cleared_at, cleared_by, rev FROM fleet_suppressed "
		       "WHERE rev > $1::bigint ORDER BY rev",
		       1, params, PGRES_TUPLES_OK, err, errlen);
	if (r == NULL)
		return -1;
	for (int i = 0; i < PQntuples(r); i++) {
		if (pull_row(f, st, r, i, added, removed, err, errlen) < 0) {
			PQclear(r);
			return -1;
		}
		if (fleet_cell_i64(r, i, 7) > top)
			top = fleet_cell_i64(r, i, 7);
	}
	PQclear(r);
	f->pulled_rev = top;
	return 0;
}

int fleet_suppress_clear(struct fleet *f, const char *address, int64_t now,
			 char *err, size_t errlen)
{
	char when[FLEET_NUM];
	const char *params[3] = {address, fleet_i64(now, when, sizeof(when)),
				 f->p->host_id};
	PGresult *r;

	if (fleet_ready(f, err, errlen) < 0)
		return -1;
	r = fleet_exec(
	    f, "unsuppress",
	    "INSERT INTO fleet_suppressed (address, time, reason, evidence, "
	    "decided_by, cleared_at, cleared_by) VALUES ($1, $2, "
	    "'unsuppressed', '', $3, $2, $3) ON CONFLICT (address) DO UPDATE "
	    "SET cleared_at = $2, cleared_by = $3, rev = "
	    "nextval('fleet_suppressed_rev')",
	    3, params, PGRES_COMMAND_OK, err, errlen);
	PQclear(r);
	return r ? 0 : -1;
}

void fleet_tick(struct fleet *f, struct store *st, int64_t now)
{
	size_t shipped = 0, decided = 0, evaluated = 0, added = 0, removed = 0;
	char err[512];

	if (fleet_mono_ms() < f->next_try_ms)
		return;
	if (!store_outbox_enabled(st) &&
	    store_outbox_enable(st, 0, err, sizeof(err)) != STORE_OK)
		goto fail;
	if (f->rounds++ % FLEET_FULL_PULL_ROUNDS == 0)
		f->pulled_rev = 0;
	if (fleet_ship(f, st, now, &shipped, err, sizeof(err)) < 0 ||
	    fleet_suppress_evaluate(f, 2 * f->p->fleet_interval + 60, now,
				    &decided, &evaluated, err,
				    sizeof(err)) < 0 ||
	    fleet_suppress_pull(f, st, &added, &removed, err, sizeof(err)) < 0)
		goto fail;
	if (shipped || decided || added || removed)
		log_info("fleet: shipped=%zu, evaluated=%zu, decided=%zu, "
			 "pulled=%zu, cleared=%zu",
			 shipped, evaluated, decided, added, removed);
	return;
fail:
	log_warn_limited("fleet", 60,
			 "%.400s (local work goes on; next try "
			 "in %llds)",
			 err, (long long)f->p->fleet_interval);
	f->next_try_ms = fleet_mono_ms() + f->p->fleet_interval * 1000;
}
