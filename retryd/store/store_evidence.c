/*
 * NAME
 *	store_evidence 3
 * SUMMARY
 *	per-recipient evidence: append, prune, read back oldest first
 * SYNOPSIS
 *	#include "store/store.h"
 * DESCRIPTION
 *	Evidence lives in evidence.db under "ADDRESS\0" BE64(time) BE32(seq),
 *	so one address's records form a contiguous key range in time order.
 *	seq tells apart records of the same address and second: inside the
 *	writing transaction the last key of that (address, second) is read
 *	with a write lock (DB_RMW) and seq is its seq + 1, so concurrent
 *	writers serialise on that page instead of colliding. After the
 *	append, records beyond LIMIT_EVIDENCE_PER_RCPT for the address are
 *	deleted oldest first in the same transaction (counted with bulk
 *	reads, whole pages a call: a recipient with a thousand records costs
 *	an append a few calls, not a thousand cursor steps).
 *
 *	store_evidence_fill() is the one place a record is filled (the
 *	pass's wait, outcome, hand-back and suppression steps, retryctl
 *	release and unsuppress all call it).
 * DIAGNOSTICS
 *	A record that does not decode is logged and skipped by the walk.
 *	More than 2^32 records for one address and second is refused.
 */
#include "store/store_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_codec.h"

#define EV_COPY(dst, src) snprintf((dst), sizeof(dst), "%s", (src) ? (src) : "")

void store_evidence_fill(struct store_evidence *ev,
			 const struct store_evidence_src *src, const char *fmt,
			 ...)
{
	va_list ap;

	memset(ev, 0, sizeof(*ev));
	EV_COPY(ev->address, src->address);
	ev->time = src->time;
	EV_COPY(ev->queue_id, src->queue_id);
	EV_COPY(ev->host_id, src->host_id);
	EV_COPY(ev->verdict, src->verdict);
	ev->outcome = src->outcome;
	EV_COPY(ev->dsn, src->dsn);
	EV_COPY(ev->category, src->category);
	EV_COPY(ev->dns, src->dns);
	va_start(ap, fmt);
	vsnprintf(ev->text, sizeof(ev->text), fmt, ap);
	va_end(ap);
}

struct ev_op {
	const struct store_evidence *ev;
	const uint8_t *val;
	size_t vlen;
};

/* The next free seq for (address, time), read under a write lock. */
static int ev_next_seq(struct store *st, DBC *c, const uint8_t *prefix,
		       size_t plen, uint32_t *seq, char *err, size_t errlen)
{
	uint8_t probe[STORE_CODEC_EVIDENCE_KEY_MAX];
	DBT k, v;
	int ret;

	memcpy(probe, prefix, plen);
	memset(probe + plen, 0xff, 4);
	memset(&k, 0, sizeof(k));
	memset(&v, 0, sizeof(v));
	k.data = probe;
	k.size = (u_int32_t)(plen + 4);
	k.ulen = sizeof(probe);
	k.flags = DB_DBT_USERMEM;
	v.flags = DB_DBT_PARTIAL | DB_DBT_USERMEM; /* keys only */
	*seq = 0;
	ret = c->get(c, &k, &v, DB_SET_RANGE | DB_RMW);
	if (ret == 0) {
		if (k.size == plen + 4 && memcmp(k.data, prefix, plen) == 0) {
			snprintf(err, errlen,
				 "store: evidence: add: too many records in "
				 "one second");
			return STORE_EBADRECORD;
		}
		ret = c->get(c, &k, &v, DB_PREV | DB_RMW);
	} else if (ret == DB_NOTFOUND) {
		ret = c->get(c, &k, &v, DB_LAST | DB_RMW);
	}
	if (ret == DB_NOTFOUND)
		return 0;
	if (ret != 0)
		return store_fail(st, err, errlen, "evidence", "find seq", ret);
	if (k.size == plen + 4 && memcmp(k.data, prefix, plen) == 0)
		*seq = store_codec_get_be32((uint8_t *)k.data + plen) + 1;
	return 0;
}

/*
 * How many records the address has: whole pages per call (bulk reads),
 * not one cursor step per record: an address with its
 * LIMIT_EVIDENCE_PER_RCPT records (a busy recipient) is counted at every
 * append.
 */
static int ev_count(struct store *st, DBC *c, const uint8_t *prefix,
		    size_t plen, size_t *n, char *err, size_t errlen)
{
	uint8_t kbuf[STORE_CODEC_EVIDENCE_KEY_MAX];
	uint8_t *bulk = malloc(LIMIT_STORE_EVIDENCE_BULK);
	int ret = 0, flag = DB_SET_RANGE, more = 1;
	DBT k, d;

	*n = 0;
	if (bulk == NULL)
		return store_fail(st, err, errlen, "evidence", "count", ENOMEM);
	memcpy(kbuf, prefix, plen);
	memset(&k, 0, sizeof(k));
	k.data = kbuf;
	k.size = (u_int32_t)plen;
	k.ulen = sizeof(kbuf);
	k.flags = DB_DBT_USERMEM;
	while (more) {
		void *p;

		memset(&d, 0, sizeof(d));
		d.data = bulk;
		d.ulen = LIMIT_STORE_EVIDENCE_BULK;
		d.flags = DB_DBT_USERMEM;
		if ((ret = c->get(c, &k, &d, flag | DB_MULTIPLE_KEY)) != 0)
			break;
		flag = DB_NEXT;
		DB_MULTIPLE_INIT(p, &d);
		for (;;) {
			u_int8_t *kp, *dp;
			u_int32_t kl, dl;

			DB_MULTIPLE_KEY_NEXT(p, &d, kp, kl, dp, dl);
			(void)dp; /* the key tells the address */
			(void)dl;
			if (p == NULL)
				break;
			if (kl < plen || memcmp(kp, prefix, plen) != 0) {
				more = 0; /* the next address */
				break;
			}
			(*n)++;
		}
	}
	free(bulk);
	if (ret != 0 && ret != DB_NOTFOUND)
		return store_fail(st, err, errlen, "evidence", "count", ret);
	return 0;
}

/* Delete the oldest records of the address beyond the limit. */
static int ev_prune(struct store *st, DBC *c, const uint8_t *prefix,
		    size_t plen, char *err, size_t errlen)
{
	uint8_t kbuf[STORE_CODEC_EVIDENCE_KEY_MAX];
	DBT k, v;
	size_t n, extra;
	int ret, flag;

	if ((ret = ev_count(st, c, prefix, plen, &n, err, errlen)) != 0)
		return ret;
	if (n <= LIMIT_EVIDENCE_PER_RCPT)
		return 0;
	memset(&k, 0, sizeof(k));
	memset(&v, 0, sizeof(v));
	k.data = kbuf;
	k.ulen = sizeof(kbuf);
	k.flags = DB_DBT_USERMEM;
	v.flags = DB_DBT_PARTIAL | DB_DBT_USERMEM; /* keys only */
	extra = n - LIMIT_EVIDENCE_PER_RCPT;
	memcpy(kbuf, prefix, plen);
	k.size = (u_int32_t)plen;
	for (flag = DB_SET_RANGE; extra > 0; extra--, flag = DB_NEXT) {
		if ((ret = c->get(c, &k, &v, flag | DB_RMW)) != 0 ||
		    (ret = c->del(c, 0)) != 0)
			return store_fail(st, err, errlen, "evidence", "prune",
					  ret);
	}
	return 0;
}

static int ev_add_op(struct store *st, DB_TXN *tid, void *arg, char *err,
		     size_t errlen)
{
	struct ev_op *o = arg;
	uint8_t key[STORE_CODEC_EVIDENCE_KEY_MAX];
	size_t klen, alen;
	uint32_t seq;
	DBC *c;
	DBT k, v;
	int ret;

	klen = store_codec_evidence_key(o->ev->address, o->ev->time, 0, key,
					sizeof(key));
	alen = store_codec_name_prefix(o->ev->address, LIMIT_ADDRESS, key,
				       sizeof(key));
	if ((ret = st->evidence->cursor(st->evidence, tid, &c, 0)) != 0)
		return store_fail(st, err, errlen, "evidence", "cursor", ret);
	ret = ev_next_seq(st, c, key, klen - 4, &seq, err, errlen);
	if (ret == 0) {
		store_codec_put_be32(key + klen - 4, seq);
		memset(&k, 0, sizeof(k));
		memset(&v, 0, sizeof(v));
		k.data = key;
		k.size = (u_int32_t)klen;
		v.data = (void *)o->val;
		v.size = (u_int32_t)o->vlen;
		ret = st->evidence->put(st->evidence, tid, &k, &v,
					DB_NOOVERWRITE);
		if (ret != 0)
			store_fail(st, err, errlen, "evidence", "put", ret);
	}
	if (ret == 0)
		ret = ev_prune(st, c, key, alen, err, errlen);
	if (ret == 0) /* the fleet's copy, in this transaction */
		ret = store_outbox_put_op(st, tid, STORE_OUTBOX_EVIDENCE,
					  o->val, o->vlen, err, errlen);
	{
		int cret = c->close(c);

		if (ret == 0 && cret != 0)
			ret = store_fail(st, err, errlen, "evidence",
					 "close cursor", cret);
	}
	return ret;
}

int store_add_evidence(struct store *st, struct store_txn *txn,
		       const struct store_evidence *ev, char *err,
		       size_t errlen)
{
	struct store_codec_buf buf = {NULL, 0, 0};
	struct ev_op o = {ev, NULL, 0};
	char why[200];
	int rc;

	if (store_codec_evidence_encode(ev, &buf, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "store: evidence: add: %s", why);
		free(buf.data);
		return STORE_ERROR;
	}
	o.val = buf.data;
	o.vlen = buf.len;
	rc = store_run(st, txn, 0, ev_add_op, &o, err, errlen);
	free(buf.data);
	return rc;
}

struct ev_walk {
	store_evidence_fn fn;
	void *arg;
};

static int ev_walk_one(struct store *st, const uint8_t *key, size_t klen,
		       const uint8_t *val, size_t vlen, void *arg)
{
	struct ev_walk *w = arg;
	struct store_evidence ev;
	uint8_t want[STORE_CODEC_EVIDENCE_KEY_MAX];
	size_t wlen;
	char why[200];

	(void)st;
	if (store_codec_evidence_decode(val, vlen, &ev, why, sizeof(why))) {
		store_log_bad("evidence", key, klen, why);
		return 0;
	}
	wlen = store_codec_evidence_key(ev.address, ev.time, 0, want,
					sizeof(want));
	if (wlen != klen || memcmp(want, key, klen - 4) != 0) {
		store_log_bad("evidence", key, klen,
			      "key does not match the record");
		return 0;
	}
	return w->fn(&ev, w->arg);
}

int store_walk_evidence(struct store *st, const char *address,
			store_evidence_fn fn, void *arg, char *err,
			size_t errlen)
{
	uint8_t prefix[LIMIT_ADDRESS + 1];
	size_t plen = store_codec_name_prefix(address, LIMIT_ADDRESS, prefix,
					      sizeof(prefix));
	struct ev_walk w = {fn, arg};

	if (plen == 0) {
		snprintf(err, errlen,
			 "store: evidence: walk: address empty or too long");
		return STORE_ERROR;
	}
	return store_walk_raw(st, st->evidence, "evidence", prefix, plen,
			      prefix, plen, ev_walk_one, &w, err, errlen);
}
