/*
 * NAME
 *	store_due 3
 * SUMMARY
 *	the due set's identities, read from the due index alone
 * SYNOPSIS
 *	#include "store/store.h"
 * DESCRIPTION
 *	store_walk_due_ids() hands out (next_attempt, mta, queue_id) of the
 *	messages due by a time, earliest first, without reading a message
 *	record: what a scheduler selects before it fetches each message as
 *	it handles it. store_walk_due() (store_message.c) pays one random
 *	fetch of a record per message on top, since the due order is
 *	unrelated to key order.
 *
 *	The index is read through a plain read-only handle on due.db,
 *	opened per walk: a cursor on the associated secondary would fetch
 *	the primary record of every entry (DBC->get on a secondary is a
 *	pget) and Berkeley DB refuses bulk reads on a secondary (EINVAL).
 *	This handle reads whole index pages per call (DB_MULTIPLE_KEY), in
 *	batches of LIMIT_STORE_DUE_BATCH under short read-committed
 *	transactions committed before any callback runs, so callbacks may
 *	write to the store. Like store_walk_due() the walk is not a
 *	snapshot: each batch resumes just after the last entry read.
 *
 *	Owns the handle and the batch for the duration of one walk.
 * DIAGNOSTICS
 *	An index entry that is not "MTA\0QUEUEID" is logged ("store: due:
 *	record KEY: bad format") and skipped; one of an impossible size
 *	ends the walk after logging. Berkeley DB errors are returned as by
 *	store_walk_due() ("store: due: walk: ...").
 */
#include "store/store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_codec.h"

/*
 * One due index entry, BE64(next_attempt) -> "MTA\0QUEUEID". key holds
 * the primary key and a NUL: key is the MTA, key + mlen + 1 the queue
 * id, both terminated.
 */
struct due_id {
	uint64_t due;
	uint8_t klen;
	uint8_t mlen;
	uint8_t key[STORE_CODEC_MESSAGE_KEY_MAX + 1];
};

/* Where the next batch starts: just after (due, key). */
struct due_pos {
	int set; /* 0: at the first entry */
	uint64_t due;
	uint8_t key[STORE_CODEC_MESSAGE_KEY_MAX];
	size_t klen;
};

struct due_batch {
	struct due_id ids[LIMIT_STORE_DUE_BATCH];
	size_t n;
	struct due_pos pos;
	int end; /* no entry <= due_by is left after pos */
	uint8_t bulk[LIMIT_STORE_DUE_BULK];
};

static void due_pos_set(struct due_pos *pos, uint64_t due, const void *key,
			size_t klen)
{
	pos->set = 1;
	pos->due = due;
	memcpy(pos->key, key, klen);
	pos->klen = klen;
}

/*
 * A plain handle on due.db. A cursor on the associated secondary fetches
 * the primary record of every entry it reads (DBC->get on a secondary is
 * a pget) and refuses bulk reads; this handle reads index pages only. It
 * is read-only and opened per walk (tens of microseconds): the index
 * itself is written only through the associated handle.
 */
static int due_index_open(struct store *st, DB **out)
{
	DB *db;
	int ret;

	*out = NULL;
	if ((ret = db_create(&db, st->env, 0)) != 0)
		return ret;
	if ((ret = db->set_flags(db, DB_DUP | DB_DUPSORT)) != 0 ||
	    (ret = db->open(db, NULL, "due.db", NULL, DB_BTREE,
			    DB_RDONLY | DB_THREAD | DB_AUTO_COMMIT, 0)) != 0) {
		db->close(db, 0);
		return ret;
	}
	*out = db;
	return 0;
}

/*
 * Take one index entry into the batch and move pos past it. @return 1
 * taken, 0 skipped (logged), -1 past due_by or unusable (the walk ends).
 */
static int due_take(struct due_batch *b, const uint8_t *sk, size_t sklen,
		    const uint8_t *pk, size_t pklen, uint64_t due_by)
{
	struct due_id *id = &b->ids[b->n];
	const uint8_t *nul = pklen ? memchr(pk, 0, pklen) : NULL;
	size_t mlen = nul ? (size_t)(nul - pk) : 0;
	uint64_t due;

	if (sklen != 8 || pklen > STORE_CODEC_MESSAGE_KEY_MAX) {
		/* Berkeley DB wrote these from valid keys: damage. */
		store_log_bad("due", pk, pklen, "index entry of a wrong size");
		return -1;
	}
	if ((due = store_codec_get_be64(sk)) > due_by)
		return -1;
	due_pos_set(&b->pos, due, pk, pklen);
	if (nul == NULL || mlen == 0 || mlen > LIMIT_MTA_NAME ||
	    pklen - mlen - 1 == 0 || pklen - mlen - 1 > LIMIT_QUEUE_ID ||
	    memchr(nul + 1, 0, pklen - mlen - 1) != NULL) {
		store_log_bad("due", pk, pklen, "not a message key");
		return 0;
	}
	id->due = due;
	id->klen = (uint8_t)pklen;
	id->mlen = (uint8_t)mlen;
	memcpy(id->key, pk, pklen);
	id->key[pklen] = 0;
	b->n++;
	return 1;
}

static void dbt_user(DBT *t, void *data, size_t size, size_t cap)
{
	memset(t, 0, sizeof(*t));
	t->data = data;
	t->size = (u_int32_t)size;
	t->ulen = (u_int32_t)cap;
	t->flags = DB_DBT_USERMEM;
}

/*
 * Read up to want entries <= due_by after b->pos into b (emptied first)
 * under tid: position the cursor, then read whole index pages at a time
 * (DB_MULTIPLE_KEY).
 */
static int due_read_batch(DB *index, DB_TXN *tid, uint64_t due_by, size_t want,
			  struct due_batch *b)
{
	DBC *c;
	DBT k, d;
	uint8_t kbuf[8], dbuf[STORE_CODEC_MESSAGE_KEY_MAX];
	size_t taken = 0;
	int ret = 0, flag = DB_FIRST, cret;

	b->n = 0;
	if ((ret = index->cursor(index, tid, &c, DB_READ_COMMITTED)) != 0)
		return ret;
	if (b->pos.set) {
		/* Resume: the same second, just after the last key read. */
		store_codec_put_be64(kbuf, b->pos.due);
		memcpy(dbuf, b->pos.key, b->pos.klen);
		dbt_user(&k, kbuf, sizeof(kbuf), sizeof(kbuf));
		dbt_user(&d, dbuf, b->pos.klen, sizeof(dbuf));
		ret = c->get(c, &k, &d, DB_GET_BOTH_RANGE);
		flag = DB_NEXT;
		if (ret == 0 && (d.size != b->pos.klen ||
				 memcmp(dbuf, b->pos.key, d.size) != 0)) {
			/* The last key read is gone: this one follows it. */
			taken++;
			if (due_take(b, kbuf, k.size, dbuf, d.size, due_by) < 0)
				b->end = 1;
		} else if (ret == DB_NOTFOUND) {
			/* Nothing left in that second: the next one. */
			if (b->pos.due == UINT64_MAX)
				b->end = 1;
			store_codec_put_be64(kbuf, b->pos.due + 1);
			flag = DB_SET_RANGE;
			ret = 0;
		}
	}
	while (ret == 0 && !b->end && taken < want) {
		void *p;

		dbt_user(&k, kbuf, sizeof(kbuf), sizeof(kbuf));
		dbt_user(&d, b->bulk, 0, sizeof(b->bulk));
		if ((ret = c->get(c, &k, &d, flag | DB_MULTIPLE_KEY)) != 0)
			break;
		flag = DB_NEXT;
		DB_MULTIPLE_INIT(p, &d);
		while (taken < want) {
			u_int8_t *sk, *pk;
			u_int32_t sklen, pklen;

			DB_MULTIPLE_KEY_NEXT(p, &d, sk, sklen, pk, pklen);
			if (p == NULL)
				break;
			taken++;
			if (due_take(b, sk, sklen, pk, pklen, due_by) < 0) {
				b->end = 1;
				break;
			}
		}
	}
	if (ret == DB_NOTFOUND) {
		b->end = 1;
		ret = 0;
	}
	cret = c->close(c);
	return ret ? ret : cret;
}

/*
 * Fill b with the next batch under its own read-committed transaction,
 * committed before any callback runs; retried from the same place on
 * deadlock. @return a STORE_* code (err filled on errors).
 */
struct due_step_arg {
	DB *index;
	struct due_batch *b;
	struct due_pos start;
	uint64_t due_by;
	size_t want;
};

static int due_step_read(DB_TXN *tid, void *arg)
{
	struct due_step_arg *a = arg;

	return due_read_batch(a->index, tid, a->due_by, a->want, a->b);
}

static void due_step_reset(void *arg)
{
	struct due_step_arg *a = arg;

	a->b->n = 0;
	a->b->pos = a->start;
	a->b->end = 0;
}

static int due_step(struct store *st, DB *index, struct due_batch *b,
		    uint64_t due_by, size_t want, char *err, size_t errlen)
{
	struct due_step_arg a = {index, b, b->pos, due_by, want};

	return store_run_chunk(st, "due", due_step_read, due_step_reset, &a,
			       err, errlen);
}

/* Allocate a batch and open the index handle. @return a STORE_* code. */
static int due_walk_begin(struct store *st, struct due_batch **bp, DB **index,
			  char *err, size_t errlen)
{
	int ret;

	if ((*bp = calloc(1, sizeof(**bp))) == NULL) {
		snprintf(err, errlen, "store: due: walk: out of memory");
		return STORE_ERROR;
	}
	if ((ret = due_index_open(st, index)) != 0) {
		store_fail(st, err, errlen, "due", "open index", ret);
		free(*bp);
		*bp = NULL;
		return store_code(ret) == STORE_NOSPACE ? STORE_NOSPACE
							: STORE_ERROR;
	}
	return STORE_OK;
}

static void due_walk_end(struct due_batch *b, DB *index)
{
	free(b);
	/* Read-only: nothing of its own to flush. */
	if (index)
		index->close(index, DB_NOSYNC);
}

static size_t due_want(size_t limit, size_t seen)
{
	return limit && limit - seen < LIMIT_STORE_DUE_BATCH
		   ? limit - seen
		   : LIMIT_STORE_DUE_BATCH;
}

int store_walk_due_ids(struct store *st, int64_t due_by, size_t limit,
		       store_due_id_fn fn, void *arg, char *err, size_t errlen)
{
	struct due_batch *b;
	DB *index;
	size_t seen = 0;
	int rc;

	if (due_by <= 0)
		return STORE_OK;
	if ((rc = due_walk_begin(st, &b, &index, err, errlen)) != STORE_OK)
		return rc;
	while (!b->end && (limit == 0 || seen < limit)) {
		rc = due_step(st, index, b, (uint64_t)due_by,
			      due_want(limit, seen), err, errlen);
		for (size_t i = 0; i < b->n && rc == STORE_OK; i++) {
			struct due_id *id = &b->ids[i];

			seen++;
			rc = fn((int64_t)id->due, (const char *)id->key,
				(const char *)id->key + id->mlen + 1, arg);
		}
		b->n = 0;
		if (rc != STORE_OK)
			break;
	}
	due_walk_end(b, index);
	return rc;
}
