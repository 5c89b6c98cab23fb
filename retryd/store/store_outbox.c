/*
 * NAME
 *	store_outbox 3
 * SUMMARY
 *	the fleet outbox: evidence and verifications waiting to be shipped
 *	to PostgreSQL, written in the transaction that commits them
 * SYNOPSIS
 *	#include "store/store.h"
 * DESCRIPTION
 *	outbox.db exists only on a host with a [fleet] database: it is opened
 *	(created) by store_outbox_enable(). From then on store_add_evidence()
 *	and store_add_verification() also put a copy of the record they
 *	write here, in the same Berkeley DB transaction, so a record is in
 *	the outbox exactly when it is committed locally (Promise 1 of the
 *	fleet: exactly once, with ON CONFLICT on (host_id, seq) upstream).
 *
 *	Keys: "M" -> the meta record (format, next seq, counts, dropped);
 *	"E" BE64(seq) -> an evidence record as evidence.db encodes it;
 *	"V" BE64(seq) -> a verification as verifications.db encodes it.
 *	seq comes from one counter in the meta record, read with a write
 *	lock (DB_RMW) inside the writing transaction: unique per host and
 *	never reused, even when the outbox is empty. The counter starts at
 *	the creation time << 24, so a state directory made afresh for the
 *	same host_id does not reuse the seqs of the one it replaces.
 *
 *	Bound: at LIMIT_OUTBOX_RECORDS records (or the max given) the oldest verification is
 *	deleted for each new record (counted in dropped); evidence is never
 *	dropped (with no verification left the outbox grows past the bound
 *	with evidence only, and the daemon logs it).
 * DIAGNOSTICS
 *	A record that does not decode is logged, skipped by the walk and
 *	removed with its batch (it can never be shipped).
 */
#include "store/store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/store_codec.h"
#include "util/log.h"

#define OUTBOX_META_VERSION 1
#define OUTBOX_META_LEN	    (1 + 8 * 4)
#define OUTBOX_KEY_LEN	    9
#define OUTBOX_SEQ_SHIFT    24 /* initial seq = creation time << 24 */

struct outbox_meta {
	uint64_t next_seq;
	uint64_t evidence, verifications, dropped;
};

static void outbox_key(uint8_t key[OUTBOX_KEY_LEN], char kind, uint64_t seq)
{
	key[0] = (uint8_t)kind;
	store_codec_put_be64(key + 1, seq);
}

static int outbox_meta_get(struct store *st, DB_TXN *tid, u_int32_t flags,
			   struct outbox_meta *m, char *err, size_t errlen)
{
	uint8_t buf[OUTBOX_META_LEN];
	DBT k, v;
	int ret;

	memset(&k, 0, sizeof(k));
	memset(&v, 0, sizeof(v));
	k.data = "M";
	k.size = 1;
	v.data = buf;
	v.ulen = sizeof(buf);
	v.flags = DB_DBT_USERMEM;
	memset(m, 0, sizeof(*m));
	ret = st->outbox->get(st->outbox, tid, &k, &v, flags);
	if (ret == DB_NOTFOUND) {
		m->next_seq = ((uint64_t)time(NULL) << OUTBOX_SEQ_SHIFT) + 1;
		return 0;
	}
	if (ret != 0)
		return store_fail(st, err, errlen, "outbox", "get meta", ret);
	if (v.size != OUTBOX_META_LEN || buf[0] != OUTBOX_META_VERSION) {
		snprintf(err, errlen,
			 "store: outbox: meta record of an unknown format "
			 "(move outbox.db aside to start a new outbox)");
		return STORE_EBADRECORD;
	}
	m->next_seq = store_codec_get_be64(buf + 1);
	m->evidence = store_codec_get_be64(buf + 9);
	m->verifications = store_codec_get_be64(buf + 17);
	m->dropped = store_codec_get_be64(buf + 25);
	return 0;
}

static int outbox_meta_put(struct store *st, DB_TXN *tid,
			   const struct outbox_meta *m, char *err,
			   size_t errlen)
{
	uint8_t buf[OUTBOX_META_LEN];
	DBT k, v;
	int ret;

	buf[0] = OUTBOX_META_VERSION;
	store_codec_put_be64(buf + 1, m->next_seq);
	store_codec_put_be64(buf + 9, m->evidence);
	store_codec_put_be64(buf + 17, m->verifications);
	store_codec_put_be64(buf + 25, m->dropped);
	memset(&k, 0, sizeof(k));
	memset(&v, 0, sizeof(v));
	k.data = "M";
	k.size = 1;
	v.data = buf;
	v.size = sizeof(buf);
	ret = st->outbox->put(st->outbox, tid, &k, &v, 0);
	return ret ? store_fail(st, err, errlen, "outbox", "put meta", ret) : 0;
}

/* Delete the oldest verification; *gone = 1 when there was one. */
static int outbox_drop_oldest(struct store *st, DB_TXN *tid, int *gone,
			      char *err, size_t errlen)
{
	uint8_t kbuf[OUTBOX_KEY_LEN];
	DBC *c;
	DBT k, v;
	int ret, cret;

	*gone = 0;
	outbox_key(kbuf, 'V', 0);
	memset(&k, 0, sizeof(k));
	memset(&v, 0, sizeof(v));
	k.data = kbuf;
	k.size = sizeof(kbuf);
	k.ulen = sizeof(kbuf);
	k.flags = DB_DBT_USERMEM;
	v.flags = DB_DBT_PARTIAL | DB_DBT_USERMEM;
	if ((ret = st->outbox->cursor(st->outbox, tid, &c, 0)) != 0)
		return store_fail(st, err, errlen, "outbox", "cursor", ret);
	ret = c->get(c, &k, &v, DB_SET_RANGE | DB_RMW);
	if (ret == 0 && k.size == OUTBOX_KEY_LEN && kbuf[0] == 'V') {
		if ((ret = c->del(c, 0)) == 0)
			*gone = 1;
	} else if (ret == 0 || ret == DB_NOTFOUND) {
		ret = 0;
	}
	cret = c->close(c);
	if (ret == 0)
		ret = cret;
	return ret ? store_fail(st, err, errlen, "outbox", "drop", ret) : 0;
}

int store_outbox_put_op(struct store *st, DB_TXN *tid, char kind,
			const void *val, size_t vlen, char *err, size_t errlen)
{
	struct outbox_meta m;
	uint8_t key[OUTBOX_KEY_LEN];
	DBT k, v;
	int ret, gone;

	if (st->outbox == NULL)
		return 0;
	if ((ret = outbox_meta_get(st, tid, DB_RMW, &m, err, errlen)) != 0)
		return ret;
	if (m.evidence + m.verifications >= st->outbox_max) {
		if ((ret = outbox_drop_oldest(st, tid, &gone, err, errlen)))
			return ret;
		if (gone) {
			m.verifications--;
			m.dropped++;
		} else if (kind == 'V') {
			m.dropped++; /* only evidence left: not this one */
			return outbox_meta_put(st, tid, &m, err, errlen);
		}
	}
	outbox_key(key, kind, m.next_seq++);
	memset(&k, 0, sizeof(k));
	memset(&v, 0, sizeof(v));
	k.data = key;
	k.size = sizeof(key);
	v.data = (void *)val;
	v.size = (u_int32_t)vlen;
	if ((ret = st->outbox->put(st->outbox, tid, &k, &v, DB_NOOVERWRITE)))
		return store_fail(st, err, errlen, "outbox", "put", ret);
	if (kind == 'E')
		m.evidence++;
	else
		m.verifications++;
	return outbox_meta_put(st, tid, &m, err, errlen);
}

int store_outbox_enable(struct store *st, size_t max, char *err, size_t errlen)
{
	DB_TXN *tid;
	DB *db;
	int ret;

	if (st->outbox != NULL)
		return STORE_OK;
	if ((ret = st->env->txn_begin(st->env, NULL, &tid, 0)) != 0)
		return store_code(
		    store_fail(st, err, errlen, "outbox", "begin", ret));
	if ((ret = db_create(&db, st->env, 0)) != 0) {
		tid->abort(tid);
		return store_code(
		    store_fail(st, err, errlen, "outbox", "create", ret));
	}
	ret = db->open(db, tid, "outbox.db", NULL, DB_BTREE,
		       DB_CREATE | DB_THREAD, 0600);
	if (ret != 0) {
		db->close(db, 0);
		tid->abort(tid);
		return store_code(
		    store_fail(st, err, errlen, "outbox", "open", ret));
	}
	if ((ret = tid->commit(tid, 0)) != 0) {
		db->close(db, 0);
		return store_code(
		    store_fail(st, err, errlen, "outbox", "commit open", ret));
	}
	st->outbox = db;
	st->outbox_max = max ? max : LIMIT_OUTBOX_RECORDS;
	return STORE_OK;
}

int store_outbox_enabled(const struct store *st)
{
	return st->outbox != NULL;
}

struct outbox_stat_op {
	struct store_outbox_stat *out;
};

static int outbox_stat_op(struct store *st, DB_TXN *tid, void *arg, char *err,
			  size_t errlen)
{
	struct outbox_stat_op *o = arg;
	struct outbox_meta m;
	int ret;

	if ((ret = outbox_meta_get(st, tid, 0, &m, err, errlen)) != 0)
		return ret;
	o->out->evidence = m.evidence;
	o->out->verifications = m.verifications;
	o->out->dropped = m.dropped;
	o->out->next_seq = m.next_seq;
	return 0;
}

int store_outbox_stat(struct store *st, struct store_outbox_stat *out,
		      char *err, size_t errlen)
{
	struct outbox_stat_op o = {out};

	memset(out, 0, sizeof(*out));
	if (st->outbox == NULL)
		return STORE_OK;
	return store_run(st, NULL, 1, outbox_stat_op, &o, err, errlen);
}

struct outbox_walk {
	store_outbox_fn fn;
	void *arg;
	char kind;
	size_t left;
	uint64_t *seqs;
	size_t nseqs;
};

static int outbox_walk_one(struct store *st, const uint8_t *key, size_t klen,
			   const uint8_t *val, size_t vlen, void *arg)
{
	struct outbox_walk *w = arg;
	struct store_evidence ev;
	struct store_verification v;
	uint64_t seq;
	char why[200];
	int rc;

	(void)st;
	if (w->left == 0)
		return 1;
	if (klen != OUTBOX_KEY_LEN) {
		store_log_bad("outbox", key, klen, "key of a bad length");
		return 0;
	}
	seq = store_codec_get_be64(key + 1);
	w->left--;
	w->seqs[w->nseqs++] = seq;
	if (w->kind == 'E') {
		if (store_codec_evidence_decode(val, vlen, &ev, why,
						sizeof(why))) {
			store_log_bad("outbox", key, klen, why);
			return 0;
		}
		return w->fn(seq, &ev, NULL, w->arg);
	}
	if (store_codec_verification_decode(val, vlen, &v, why, sizeof(why))) {
		store_log_bad("outbox", key, klen, why);
		return 0;
	}
	rc = w->fn(seq, NULL, &v, w->arg);
	free(v.answers);
	return rc;
}

int store_outbox_walk(struct store *st, enum store_outbox_kind kind,
		      size_t limit, uint64_t *seqs, size_t *nseqs,
		      store_outbox_fn fn, void *arg, char *err, size_t errlen)
{
	struct outbox_walk w = {fn, arg, (char)kind, limit, seqs, 0};
	uint8_t prefix[1] = {(uint8_t)kind};
	int rc;

	*nseqs = 0;
	if (st->outbox == NULL)
		return STORE_OK;
	rc = store_walk_raw(st, st->outbox, "outbox", prefix, 1, prefix, 1,
			    outbox_walk_one, &w, err, errlen);
	*nseqs = w.nseqs;
	return rc == 1 ? STORE_OK : rc;
}

struct outbox_remove_op {
	char kind;
	const uint64_t *seqs;
	size_t n;
};

static int outbox_remove_op(struct store *st, DB_TXN *tid, void *arg, char *err,
			    size_t errlen)
{
	struct outbox_remove_op *o = arg;
	struct outbox_meta m;
	uint8_t key[OUTBOX_KEY_LEN];
	uint64_t gone = 0;
	DBT k;
	int ret;

	if ((ret = outbox_meta_get(st, tid, DB_RMW, &m, err, errlen)) != 0)
		return ret;
	for (size_t i = 0; i < o->n; i++) {
		outbox_key(key, o->kind, o->seqs[i]);
		memset(&k, 0, sizeof(k));
		k.data = key;
		k.size = sizeof(key);
		ret = st->outbox->del(st->outbox, tid, &k, 0);
		if (ret == DB_NOTFOUND)
			continue; /* shipped by another process meanwhile */
		if (ret != 0)
			return store_fail(st, err, errlen, "outbox", "delete",
					  ret);
		gone++;
	}
	if (o->kind == 'E')
		m.evidence = m.evidence > gone ? m.evidence - gone : 0;
	else
		m.verifications =
		    m.verifications > gone ? m.verifications - gone : 0;
	return outbox_meta_put(st, tid, &m, err, errlen);
}

int store_outbox_remove(struct store *st, enum store_outbox_kind kind,
			const uint64_t *seqs, size_t n, char *err,
			size_t errlen)
{
	struct outbox_remove_op o = {(char)kind, seqs, n};

	if (st->outbox == NULL || n == 0)
		return STORE_OK;
	return store_run(st, NULL, 0, outbox_remove_op, &o, err, errlen);
}
