/*
 * NAME
 *	store_message 3
 * SUMMARY
 *	messages and the due index
 * SYNOPSIS
 *	#include "store/store.h"
 * DESCRIPTION
 *	Messages live in messages.db under "MTA\0QUEUEID". The due index
 *	(due.db, DB_DUP|DB_DUPSORT) is a Berkeley DB secondary: every put
 *	and delete of a message updates it in the same transaction, so the
 *	index cannot disagree with the primary. store_walk_due() positions a
 *	cursor on the first index key and reads forward to due_by: O(log n)
 *	to find the start and O(1) per message, in chunks committed before
 *	any callback runs.
 *
 *	A callback that reschedules a message to a time still <= due_by may
 *	meet that message again later in the same walk (the walk is not a
 *	snapshot); the limit bounds such a walk.
 * DIAGNOSTICS
 *	A record that does not decode is logged ("store: messages: record
 *	KEY: bad format") and skipped by walks; store_get_message refuses
 *	it. Nothing is ever deleted because it is unreadable.
 */
#include "store/store_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_codec.h"

struct msg_op {
	const uint8_t *key;
	size_t klen;
	const uint8_t *val;
	size_t vlen;
	struct store_message *out;
};

static int msg_key(const char *mta, const char *queue_id, uint8_t *key,
		   size_t *klen, char *err, size_t errlen)
{
	*klen = store_codec_message_key(mta, queue_id, key,
					STORE_CODEC_MESSAGE_KEY_MAX);
	if (*klen == 0) {
		snprintf(err, errlen,
			 "store: messages: key: mta or queue id empty or too "
			 "long");
		return -1;
	}
	return 0;
}

static int msg_put_op(struct store *st, DB_TXN *tid, void *arg, char *err,
		      size_t errlen)
{
	struct msg_op *o = arg;
	DBT k, v;
	int ret;

	memset(&k, 0, sizeof(k));
	memset(&v, 0, sizeof(v));
	k.data = (void *)o->key;
	k.size = (u_int32_t)o->klen;
	v.data = (void *)o->val;
	v.size = (u_int32_t)o->vlen;
	if ((ret = st->messages->put(st->messages, tid, &k, &v, 0)) != 0)
		return store_fail(st, err, errlen, "messages", "put", ret);
	return 0;
}

int store_put_message(struct store *st, struct store_txn *txn,
		      const struct store_message *m, char *err, size_t errlen)
{
	struct store_codec_buf buf = {NULL, 0, 0};
	uint8_t key[STORE_CODEC_MESSAGE_KEY_MAX];
	struct msg_op o;
	char why[200];
	int rc;

	memset(&o, 0, sizeof(o));
	if (msg_key(m->mta, m->queue_id, key, &o.klen, err, errlen) != 0)
		return STORE_ERROR;
	if (store_codec_message_encode(m, &buf, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "store: messages: put: %s", why);
		free(buf.data);
		return STORE_ERROR;
	}
	o.key = key;
	o.val = buf.data;
	o.vlen = buf.len;
	rc = store_run(st, txn, 0, msg_put_op, &o, err, errlen);
	free(buf.data);
	return rc;
}

static int msg_get_op(struct store *st, DB_TXN *tid, void *arg, char *err,
		      size_t errlen)
{
	struct msg_op *o = arg;
	DBT k, v;
	int ret;
	char why[200];

	memset(&k, 0, sizeof(k));
	memset(&v, 0, sizeof(v));
	k.data = (void *)o->key;
	k.size = (u_int32_t)o->klen;
	v.flags = DB_DBT_MALLOC;
	ret = st->messages->get(st->messages, tid, &k, &v, 0);
	if (ret == DB_NOTFOUND)
		return ret;
	if (ret != 0)
		return store_fail(st, err, errlen, "messages", "get", ret);
	ret = store_codec_message_decode(v.data, v.size, &o->out, why,
					 sizeof(why));
	free(v.data);
	if (ret != 0) {
		char kp[101];

		snprintf(err, errlen,
			 "store: messages: record %.100s: bad "
			 "format (%s)",
			 store_key_printable(o->key, o->klen, kp, sizeof(kp)),
			 why);
		return STORE_EBADRECORD;
	}
	return 0;
}

int store_get_message(struct store *st, struct store_txn *txn, const char *mta,
		      const char *queue_id, struct store_message **out,
		      char *err, size_t errlen)
{
	uint8_t key[STORE_CODEC_MESSAGE_KEY_MAX];
	struct msg_op o;
	int rc;

	*out = NULL;
	memset(&o, 0, sizeof(o));
	if (msg_key(mta, queue_id, key, &o.klen, err, errlen) != 0)
		return STORE_ERROR;
	o.key = key;
	rc = store_run(st, txn, 1, msg_get_op, &o, err, errlen);
	if (rc == STORE_OK)
		*out = o.out;
	else
		store_message_free(o.out);
	return rc;
}

static int msg_del_op(struct store *st, DB_TXN *tid, void *arg, char *err,
		      size_t errlen)
{
	struct msg_op *o = arg;
	DBT k;
	int ret;

	memset(&k, 0, sizeof(k));
	k.data = (void *)o->key;
	k.size = (u_int32_t)o->klen;
	ret = st->messages->del(st->messages, tid, &k, 0);
	if (ret != 0 && ret != DB_NOTFOUND)
		return store_fail(st, err, errlen, "messages", "delete", ret);
	return ret;
}

int store_del_message(struct store *st, struct store_txn *txn, const char *mta,
		      const char *queue_id, char *err, size_t errlen)
{
	uint8_t key[STORE_CODEC_MESSAGE_KEY_MAX];
	struct msg_op o;

	memset(&o, 0, sizeof(o));
	if (msg_key(mta, queue_id, key, &o.klen, err, errlen) != 0)
		return STORE_ERROR;
	o.key = key;
	return store_run(st, txn, 0, msg_del_op, &o, err, errlen);
}

/* ---- walks ---- */

struct msg_walk {
	store_message_fn fn;
	void *arg;
	size_t keyoff; /* bytes before the primary key in a chunk item key */
};

/* Decode, check against the key, call back; bad records are skipped. */
static int msg_deliver(const struct msg_walk *w, const uint8_t *key,
		       size_t klen, const uint8_t *val, size_t vlen)
{
	struct store_message *m;
	uint8_t want[STORE_CODEC_MESSAGE_KEY_MAX];
	size_t wlen;
	char why[200];
	int rc;

	if (store_codec_message_decode(val, vlen, &m, why, sizeof(why)) != 0) {
		store_log_bad("messages", key, klen, why);
		return 0;
	}
	wlen = store_codec_message_key(m->mta, m->queue_id, want, sizeof(want));
	if (wlen != klen || memcmp(want, key, klen) != 0) {
		store_log_bad("messages", key, klen,
			      "key does not match the record");
		store_message_free(m);
		return 0;
	}
	rc = w->fn(m, w->arg);
	store_message_free(m);
	return rc;
}

static int msg_walk_one(struct store *st, const uint8_t *key, size_t klen,
			const uint8_t *val, size_t vlen, void *arg)
{
	(void)st;
	return msg_deliver(arg, key, klen, val, vlen);
}

int store_walk_messages(struct store *st, store_message_fn fn, void *arg,
			char *err, size_t errlen)
{
	struct msg_walk w = {fn, arg, 0};

	return store_walk_raw(st, st->messages, "messages", NULL, 0, NULL, 0,
			      msg_walk_one, &w, err, errlen);
}

/*
 * Copy the next chunk of the due index into ch. Each item's key is
 * BE64(next_attempt) followed by the primary key, so the walk can resume
 * exactly after it: DB_GET_BOTH_RANGE within the same second, else the
 * next second (DB_SET_RANGE).
 */
static int due_read_chunk(struct store *st, DB_TXN *tid, const uint8_t *pos,
			  size_t poslen, uint64_t due_by, size_t want,
			  struct store_chunk *ch, int *end)
{
	DBC *c;
	DBT sk, pk, pv;
	uint8_t skbuf[8];
	uint8_t item[8 + STORE_CODEC_MESSAGE_KEY_MAX];
	int ret, flag = DB_FIRST;

	if ((ret = st->due->cursor(st->due, tid, &c, DB_READ_COMMITTED)) != 0)
		return ret;
	memset(&sk, 0, sizeof(sk));
	memset(&pk, 0, sizeof(pk));
	memset(&pv, 0, sizeof(pv));
	sk.flags = pk.flags = pv.flags = DB_DBT_REALLOC;
	*end = 0;
	if (poslen > 0) {
		/* Resume: the same second, just after the last primary key. */
		sk.data = malloc(8);
		pk.data = malloc(poslen - 8 ? poslen - 8 : 1);
		if (sk.data == NULL || pk.data == NULL) {
			ret = ENOMEM;
			goto out;
		}
		memcpy(sk.data, pos, 8);
		sk.size = 8;
		memcpy(pk.data, pos + 8, poslen - 8);
		pk.size = (u_int32_t)(poslen - 8);
		ret = c->pget(c, &sk, &pk, &pv, DB_GET_BOTH_RANGE);
		if (ret == 0 && pk.size == poslen - 8 &&
		    memcmp(pk.data, pos + 8, poslen - 8) == 0)
			ret = c->pget(c, &sk, &pk, &pv, DB_NEXT);
		if (ret == DB_NOTFOUND) {
			/* Nothing left in that second: the next one. */
			uint64_t sec = store_codec_get_be64(pos);

			if (sec == UINT64_MAX) {
				*end = 1;
				ret = 0;
				goto out;
			}
			store_codec_put_be64(skbuf, sec + 1);
			memcpy(sk.data, skbuf, 8);
			sk.size = 8;
			ret = c->pget(c, &sk, &pk, &pv, DB_SET_RANGE);
		}
	} else {
		ret = c->pget(c, &sk, &pk, &pv, flag);
	}
	while (ret == 0) {
		if (sk.size != 8 || store_codec_get_be64(sk.data) > due_by ||
		    pk.size > STORE_CODEC_MESSAGE_KEY_MAX) {
			*end = 1;
			break;
		}
		memcpy(item, sk.data, 8);
		memcpy(item + 8, pk.data, pk.size);
		if ((ret = store_chunk_add(ch, item, 8 + pk.size, pv.data,
					   pv.size)) != 0)
			break;
		if (store_chunk_full(ch) || (want && ch->n >= want))
			break;
		ret = c->pget(c, &sk, &pk, &pv, DB_NEXT);
	}
	if (ret == DB_NOTFOUND) {
		*end = 1;
		ret = 0;
	}
out:
	free(sk.data);
	free(pk.data);
	free(pv.data);
	{
		int cret = c->close(c);

		if (ret == 0)
			ret = cret;
	}
	return ret;
}

/* One step of store_walk_due for store_run_chunk. */
struct msg_due_step {
	const uint8_t *pos;
	size_t poslen;
	uint64_t due_by;
	size_t want;
	struct store_chunk *ch;
	int *end;
	struct store *st;
};

static int msg_due_step_read(DB_TXN *tid, void *arg)
{
	struct msg_due_step *d = arg;

	return due_read_chunk(d->st, tid, d->pos, d->poslen, d->due_by, d->want,
			      d->ch, d->end);
}

static void msg_due_step_reset(void *arg)
{
	struct msg_due_step *d = arg;

	store_chunk_clear(d->ch);
	*d->end = 0;
}

int store_walk_due(struct store *st, int64_t due_by, size_t limit,
		   store_message_fn fn, void *arg, char *err, size_t errlen)
{
	struct msg_walk w = {fn, arg, 8};
	struct store_chunk *ch;
	uint8_t pos[8 + STORE_CODEC_MESSAGE_KEY_MAX];
	size_t poslen = 0, seen = 0;
	int end = 0, rc = STORE_OK;

	if (due_by <= 0)
		return STORE_OK;
	if ((ch = calloc(1, sizeof(*ch))) == NULL) {
		snprintf(err, errlen, "store: due: walk: out of memory");
		return STORE_ERROR;
	}
	while (!end && (limit == 0 || seen < limit)) {
		struct msg_due_step ds = {pos,
					  poslen,
					  (uint64_t)due_by,
					  limit ? limit - seen : 0,
					  ch,
					  &end,
					  st};

		rc = store_run_chunk(st, "due", msg_due_step_read,
				     msg_due_step_reset, &ds, err, errlen);
		if (rc != STORE_OK)
			break;
		if (ch->n > 0) {
			struct store_chunk_item *last = &ch->items[ch->n - 1];

			memcpy(pos, last->key, last->klen);
			poslen = last->klen;
		}
		for (size_t i = 0; i < ch->n && rc == STORE_OK; i++) {
			struct store_chunk_item *it = &ch->items[i];

			seen++;
			rc =
			    msg_deliver(&w, it->key + w.keyoff,
					it->klen - w.keyoff, it->val, it->vlen);
		}
		store_chunk_clear(ch);
		if (rc != STORE_OK)
			break;
	}
	free(ch);
	return rc;
}
