/*
 * NAME
 *	fleet_ship 3
 * SUMMARY
 *	the outbox to PostgreSQL, in batches, exactly once
 * SYNOPSIS
 *	#include "fleet/fleet.h"
 *	int fleet_ship(struct fleet *f, struct store *st, int64_t now,
 *	size_t *shipped, char *err, size_t errlen);
 * DESCRIPTION
 *	A batch is the oldest LIMIT_FLEET_BATCH records of one kind
 *	(evidence first, then verifications), sent as one multi-row
 *	INSERT ... ON CONFLICT (host_id, seq) DO NOTHING, an autocommitted
 *	statement. Only once it committed are its records removed from the
 *	outbox: a crash in between ships the batch again, and the conflict
 *	clause stores it once. Text is masked to printable ASCII first (a
 *	byte the database's encoding refuses would stop the outbox for
 *	ever).
 *
 *	Then the host's row in fleet_hosts says when it was last seen and
 *	what is still waiting in its outbox.
 * DIAGNOSTICS
 *	A failed batch stays in the outbox; the error is returned.
 */
#include "fleet/fleet_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"

#define SHIP_EV_COLS 11
#define SHIP_V_COLS  6
#define SHIP_NUM     24 /* bytes of a decimal int64 with NUL */

struct ship_batch {
	const char *host;
	size_t n, ncols;
	const char **params; /* n * ncols, pointing into strs */
	char **strs;	     /* owned copies, n * ncols */
	uint64_t seqs[LIMIT_FLEET_BATCH];
	size_t nseqs;
	int failed; /* out of memory */
};

/* A masked copy: printable ASCII only, others '?'. */
static char *ship_mask(const char *s)
{
	size_t n = strlen(s);
	char *c = malloc(n + 1);

	if (c == NULL)
		return NULL;
	for (size_t i = 0; i <= n; i++)
		c[i] =
		    (i == n) ? '\0'
		    : ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			? '?'
			: s[i];
	return c;
}

static void ship_set(struct ship_batch *b, size_t col, const char *v)
{
	size_t i = b->n * b->ncols + col;

	b->strs[i] = ship_mask(v);
	if (b->strs[i] == NULL)
		b->failed = 1;
	b->params[i] = b->strs[i];
}

static int ship_one(uint64_t seq, const struct store_evidence *ev,
		    const struct store_verification *v, void *arg)
{
	struct ship_batch *b = arg;
	char num[SHIP_NUM];

	if (b->n >= LIMIT_FLEET_BATCH)
		return 1;
	ship_set(b, 0, b->host);
	snprintf(num, sizeof(num), "%llu", (unsigned long long)seq);
	ship_set(b, 1, num);
	if (ev != NULL) {
		ship_set(b, 2, ev->address);
		ship_set(b, 3, fleet_i64(ev->time, num, sizeof(num)));
		ship_set(b, 4, ev->queue_id);
		ship_set(b, 5, ev->verdict);
		ship_set(b, 6, store_outcome_name(ev->outcome));
		ship_set(b, 7, ev->dsn);
		ship_set(b, 8, ev->text);
		ship_set(b, 9, ev->category);
		ship_set(b, 10, ev->dns);
	} else {
		ship_set(b, 2, v->domain);
		ship_set(b, 3, fleet_i64(v->time, num, sizeof(num)));
		ship_set(b, 4, v->verdict);
		ship_set(b, 5, v->answers ? v->answers : "");
	}
	b->n++;
	return 0;
}

/* "INSERT INTO T (cols) VALUES ($1,...),(...) ON CONFLICT DO NOTHING". */
static char *ship_sql(const char *head, size_t n, size_t ncols)
{
	size_t cap = strlen(head) + n * ncols * 8 + n * 4 + 64, len;
	char *sql = malloc(cap);
	size_t p = 1;

	if (sql == NULL)
		return NULL;
	len = (size_t)snprintf(sql, cap, "%s", head);
	for (size_t r = 0; r < n; r++) {
		len +=
		    (size_t)snprintf(sql + len, cap - len, "%s(", r ? "," : "");
		for (size_t c = 0; c < ncols; c++)
			len += (size_t)snprintf(sql + len, cap - len, "%s$%zu",
						c ? "," : "", p++);
		len += (size_t)snprintf(sql + len, cap - len, ")");
	}
	snprintf(sql + len, cap - len,
		 " ON CONFLICT (host_id, seq) DO NOTHING");
	return sql;
}

static void ship_batch_free(struct ship_batch *b)
{
	for (size_t i = 0; b->strs && i < LIMIT_FLEET_BATCH * b->ncols; i++)
		free(b->strs[i]);
	free(b->strs);
	free(b->params);
}

/* One batch of @param kind: *n gets the records removed (0: empty). */
static int ship_batch_run(struct fleet *f, struct store *st,
			  enum store_outbox_kind kind, size_t *n, char *err,
			  size_t errlen)
{
	static const char ev_head[] =
	    "INSERT INTO fleet_evidence (host_id, seq, address, time, "
	    "queue_id, verdict, outcome, dsn, reason, category, dns) VALUES ";
	static const char v_head[] =
	    "INSERT INTO fleet_verifications (host_id, seq, domain, time, "
	    "verdict, answers) VALUES ";
	struct ship_batch b;
	PGresult *r = NULL;
	char *sql = NULL;
	int rc = -1;

	*n = 0;
	memset(&b, 0, sizeof(b));
	b.host = f->p->host_id;
	b.ncols = kind == STORE_OUTBOX_EVIDENCE ? SHIP_EV_COLS : SHIP_V_COLS;
	b.strs = calloc(LIMIT_FLEET_BATCH * b.ncols, sizeof(*b.strs));
	b.params = calloc(LIMIT_FLEET_BATCH * b.ncols, sizeof(*b.params));
	if (b.strs == NULL || b.params == NULL) {
		snprintf(err, errlen, "fleet: ship: out of memory");
		goto out;
	}
	if (store_outbox_walk(st, kind, LIMIT_FLEET_BATCH, b.seqs, &b.nseqs,
			      ship_one, &b, err, errlen) != STORE_OK)
		goto out;
	if (b.failed) {
		snprintf(err, errlen, "fleet: ship: out of memory");
		goto out;
	}
	if (b.n > 0) {
		sql = ship_sql(kind == STORE_OUTBOX_EVIDENCE ? ev_head : v_head,
			       b.n, b.ncols);
		if (sql == NULL) {
			snprintf(err, errlen, "fleet: ship: out of memory");
			goto out;
		}
		r = fleet_exec(f, "ship", sql, (int)(b.n * b.ncols), b.params,
			       PGRES_COMMAND_OK, err, errlen);
		if (r == NULL)
			goto out;
	}
	/* committed upstream (or nothing decodable): now leave the outbox */
	if (store_outbox_remove(st, kind, b.seqs, b.nseqs, err, errlen) !=
	    STORE_OK)
		goto out;
	*n = b.nseqs;
	rc = 0;
out:
	PQclear(r);
	free(sql);
	ship_batch_free(&b);
	return rc;
}

static int ship_host_row(struct fleet *f, struct store *st, int64_t now,
			 size_t shipped, char *err, size_t errlen)
{
	struct store_outbox_stat os;
	char a[SHIP_NUM], b[SHIP_NUM], c[SHIP_NUM], d[SHIP_NUM], e[SHIP_NUM];
	const char *params[6];
	PGresult *r;

	if (store_outbox_stat(st, &os, err, errlen) != STORE_OK)
		return -1;
	params[0] = f->p->host_id;
	params[1] = fleet_i64(now, a, sizeof(a));
	params[2] = fleet_i64((int64_t)os.evidence, b, sizeof(b));
	params[3] = fleet_i64((int64_t)os.verifications, c, sizeof(c));
	params[4] = fleet_i64((int64_t)os.dropped, d, sizeof(d));
	params[5] = fleet_i64((int64_t)shipped, e, sizeof(e));
	r = fleet_exec(
	    f, "host row",
	    "INSERT INTO fleet_hosts (host_id, last_seen, outbox_evidence, "
	    "outbox_verifications, outbox_dropped, shipped) VALUES "
	    "($1, $2, $3, $4, $5, $6) ON CONFLICT (host_id) DO UPDATE SET "
	    "last_seen = excluded.last_seen, outbox_evidence = "
	    "excluded.outbox_evidence, outbox_verifications = "
	    "excluded.outbox_verifications, outbox_dropped = "
	    "excluded.outbox_dropped, shipped = fleet_hosts.shipped + "
	    "excluded.shipped",
	    6, params, PGRES_COMMAND_OK, err, errlen);
	PQclear(r);
	return r ? 0 : -1;
}

int fleet_ship(struct fleet *f, struct store *st, int64_t now, size_t *shipped,
	       char *err, size_t errlen)
{
	enum store_outbox_kind kind = STORE_OUTBOX_EVIDENCE;
	size_t n;

	*shipped = 0;
	if (fleet_ready(f, err, errlen) < 0)
		return -1;
	for (int i = 0; i < LIMIT_FLEET_BATCHES; i++) {
		if (ship_batch_run(f, st, kind, &n, err, errlen) < 0)
			return -1;
		*shipped += n;
		if (n == 0 && kind == STORE_OUTBOX_EVIDENCE)
			kind = STORE_OUTBOX_VERIFICATION;
		else if (n == 0)
			break;
	}
	return ship_host_row(f, st, now, *shipped, err, errlen);
}
