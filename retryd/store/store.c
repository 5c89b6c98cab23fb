/*
 * NAME
 *	store 3
 * SUMMARY
 *	transactions, deadlock policy, errors and chunked walks of the store
 * SYNOPSIS
 *	#include "store/store.h"
 * DESCRIPTION
 *	The plumbing every store call goes through (store_int.h):
 *
 *	store_run() gives an operation its transaction. With a caller
 *	transaction a deadlock or lock timeout returns STORE_RETRY and dooms
 *	the transaction (its commit aborts). Without one, the call runs in
 *	its own transaction, retried on deadlock a few times; reads use
 *	read-committed isolation.
 *
 *	store_walk_raw() reads a key range in chunks: each chunk is copied
 *	under a short read-committed transaction that is committed before
 *	any callback runs, so callbacks may call other store functions
 *	(even writes) without deadlocking against the walk. The next chunk
 *	starts just after the last key copied. A walk is therefore not one
 *	snapshot: records changed during the walk may be seen old or new.
 *	store_run_chunk() is the one begin/read/commit/retry-on-deadlock
 *	loop of every chunked walk (this one, the due, message and state
 *	index walks).
 *
 *	Also owns store_txn_begin/commit/abort.
 * DIAGNOSTICS
 *	Every error names the database and the operation with db_strerror()
 *	and Berkeley DB's own message; ENOSPC becomes STORE_NOSPACE, and so
 *	does EIO (Berkeley DB's answer when a cache full of dirty pages
 *	cannot write any of them out: a full disk, or a failing one; the
 *	no-space mode is the safe answer to both); a
 *	panic (DB_RUNRECOVERY) says to restart retryd, which recovers.
 */
#include "store/store_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"

int store_code(int ret)
{
	switch (ret) {
	case 0:
		return STORE_OK;
	case DB_NOTFOUND:
	case DB_KEYEMPTY:
		return STORE_NOTFOUND;
	case DB_LOCK_DEADLOCK:
	case DB_LOCK_NOTGRANTED:
		return STORE_RETRY;
	case ENOSPC:
	case EDQUOT:
	case EIO: /* the cache could not write its dirty pages (BDB3017) */
		return STORE_NOSPACE;
	default:
		return STORE_ERROR;
	}
}

int store_fail(struct store *st, char *err, size_t errlen, const char *db,
	       const char *what, int ret)
{
	const char *why =
	    ret == STORE_EBADRECORD ? "bad record" : db_strerror(ret);
	const char *next = "";

	if (ret == DB_RUNRECOVERY && st)
		st->panicked = 1;
	if (ret == DB_RUNRECOVERY)
		next = " (the store needs recovery: restart retryd, which "
		       "recovers it, or run db5.3_recover -h STATE_DIR)";
	else if (ret == ENOSPC || ret == EDQUOT)
		next = " (disk full: free space in the state directory; "
		       "nothing of this transaction was written)";
	else if (ret == EIO)
		next = " (pages could not be written: disk full, or a "
		       "failing disk: check the state directory's file system; "
		       "nothing of this transaction was written)";
	if (ret == STORE_EBADRECORD) {
		/* err already holds the codec's reason: prefix it. */
		char inner[512];

		snprintf(inner, sizeof(inner), "%s", err);
		snprintf(err, errlen, "store: %s: %s: %s", db, what, inner);
	} else if (st && st->bdb_msg[0]) {
		snprintf(err, errlen, "store: %s: %s: %s%s [%s]", db, what, why,
			 next, st->bdb_msg);
	} else {
		snprintf(err, errlen, "store: %s: %s: %s%s", db, what, why,
			 next);
	}
	if (st)
		st->bdb_msg[0] = 0;
	return ret;
}

char *store_key_printable(const void *key, size_t len, char *buf, size_t cap)
{
	const uint8_t *k = key;
	size_t i, o = 0;

	for (i = 0; i < len && o + 1 < cap; i++) {
		uint8_t c = k[i];

		buf[o++] = c == 0		     ? '/'
			   : (c >= 0x20 && c < 0x7f) ? (char)c
						     : '?';
	}
	if (cap)
		buf[o < cap ? o : cap - 1] = 0;
	return buf;
}

void store_log_bad(const char *dbname, const void *key, size_t klen,
		   const char *why)
{
	char k[101];
	char w[201];

	store_key_printable(key, klen, k, sizeof(k));
	log_warn("store: %s: record %.100s: bad format (%.200s)", dbname, k,
		 log_printable(w, sizeof(w), why));
}

/* ---- transactions ---- */

int store_txn_begin(struct store *st, struct store_txn **out, char *err,
		    size_t errlen)
{
	struct store_txn *t = calloc(1, sizeof(*t));
	int ret;

	*out = NULL;
	if (t == NULL) {
		snprintf(err, errlen,
			 "store: begin transaction: out of memory");
		return STORE_ERROR;
	}
	if ((ret = st->env->txn_begin(st->env, NULL, &t->tid, 0)) != 0) {
		free(t);
		store_fail(st, err, errlen, "environment", "begin transaction",
			   ret);
		return store_code(ret) == STORE_NOSPACE ? STORE_NOSPACE
							: STORE_ERROR;
	}
	t->st = st;
	*out = t;
	return STORE_OK;
}

int store_txn_commit(struct store_txn *txn, char *err, size_t errlen)
{
	struct store *st = txn->st;
	int ret;

	if (txn->doomed) {
		txn->tid->abort(txn->tid);
		free(txn);
		snprintf(err, errlen,
			 "store: commit: transaction lost a "
			 "deadlock earlier: aborted, retry it");
		return STORE_RETRY;
	}
	/* The handle is gone after commit, whatever it returns. */
	ret = txn->tid->commit(txn->tid, 0);
	free(txn);
	if (ret == 0)
		return STORE_OK;
	store_fail(st, err, errlen, "environment", "commit", ret);
	ret = store_code(ret);
	return ret == STORE_NOSPACE || ret == STORE_RETRY ? ret : STORE_ERROR;
}

void store_txn_abort(struct store_txn *txn)
{
	if (txn == NULL)
		return;
	txn->tid->abort(txn->tid);
	free(txn);
}

int store_run(struct store *st, struct store_txn *txn, int readonly,
	      store_op_fn op, void *arg, char *err, size_t errlen)
{
	DB_TXN *tid;
	int ret, code;

	if (txn != NULL) {
		ret = op(st, txn->tid, arg, err, errlen);
		code = store_code(ret);
		if (code == STORE_RETRY)
			txn->doomed = 1;
		return ret == STORE_EBADRECORD ? STORE_ERROR : code;
	}
	for (int try = 1;; try++) {
		ret = st->env->txn_begin(st->env, NULL, &tid,
					 readonly ? DB_READ_COMMITTED : 0);
		if (ret != 0) {
			store_fail(st, err, errlen, "environment",
				   "begin transaction", ret);
			code = store_code(ret);
			return code == STORE_NOSPACE ? code : STORE_ERROR;
		}
		ret = op(st, tid, arg, err, errlen);
		if (ret == 0 || ret == DB_NOTFOUND) {
			int cret = tid->commit(tid, 0);

			if (cret != 0) {
				store_fail(st, err, errlen, "environment",
					   "commit", cret);
				ret = cret;
			}
		} else {
			tid->abort(tid);
		}
		code = store_code(ret);
		if (code == STORE_RETRY && try < LIMIT_STORE_DEADLOCK_TRIES)
			continue;
		return ret == STORE_EBADRECORD ? STORE_ERROR : code;
	}
}

int store_run_chunk(struct store *st, const char *dbname, store_chunk_fn read,
		    void (*reset)(void *arg), void *arg, char *err,
		    size_t errlen)
{
	for (int tries = 1;; tries++) {
		DB_TXN *tid;
		int ret, code;

		ret =
		    st->env->txn_begin(st->env, NULL, &tid, DB_READ_COMMITTED);
		if (ret == 0) {
			ret = read(tid, arg);
			if (ret == 0)
				ret = tid->commit(tid, 0);
			else
				tid->abort(tid);
		}
		if (ret == 0)
			return STORE_OK;
		if (reset != NULL)
			reset(arg);
		code = store_code(ret);
		if (code == STORE_RETRY && tries < LIMIT_STORE_DEADLOCK_TRIES)
			continue;
		store_fail(st, err, errlen, dbname, "walk", ret);
		return code == STORE_NOSPACE || code == STORE_RETRY
			   ? code
			   : STORE_ERROR;
	}
}

/* ---- chunks ---- */

int store_chunk_add(struct store_chunk *ch, const void *key, size_t klen,
		    const void *val, size_t vlen)
{
	struct store_chunk_item *it = &ch->items[ch->n];
	uint8_t *p = malloc(klen + vlen + 1);

	if (p == NULL)
		return ENOMEM;
	memcpy(p, key, klen);
	memcpy(p + klen, val, vlen);
	it->key = p;
	it->klen = klen;
	it->val = p + klen;
	it->vlen = vlen;
	ch->n++;
	ch->bytes += klen + vlen;
	return 0;
}

int store_chunk_full(const struct store_chunk *ch)
{
	return ch->n >= LIMIT_STORE_WALK_CHUNK ||
	       ch->bytes >= LIMIT_STORE_WALK_BYTES;
}

void store_chunk_clear(struct store_chunk *ch)
{
	for (size_t i = 0; i < ch->n; i++)
		free(ch->items[i].key);
	ch->n = 0;
	ch->bytes = 0;
}

/* ---- raw walk ---- */

struct walk_pos {
	uint8_t *key; /* where the next chunk starts (NULL: first key) */
	size_t klen;
	int after; /* skip a record equal to key (it was seen) */
};

/* Copy the next chunk starting at pos into ch. */
static int walk_read_chunk(DB *db, DB_TXN *tid, const struct walk_pos *pos,
			   const void *prefix, size_t prefixlen,
			   struct store_chunk *ch, int *end)
{
	DBC *c;
	DBT k, v;
	int ret, flag;

	if ((ret = db->cursor(db, tid, &c, DB_READ_COMMITTED)) != 0)
		return ret;
	memset(&k, 0, sizeof(k));
	memset(&v, 0, sizeof(v));
	k.flags = DB_DBT_REALLOC;
	v.flags = DB_DBT_REALLOC;
	if (pos->key) {
		if ((k.data = malloc(pos->klen ? pos->klen : 1)) == NULL) {
			c->close(c);
			return ENOMEM;
		}
		memcpy(k.data, pos->key, pos->klen);
		k.size = (u_int32_t)pos->klen;
		flag = DB_SET_RANGE;
	} else {
		flag = DB_FIRST;
	}
	*end = 0;
	while ((ret = c->get(c, &k, &v, flag)) == 0) {
		flag = DB_NEXT;
		if (prefix && (k.size < prefixlen ||
			       memcmp(k.data, prefix, prefixlen) != 0)) {
			*end = 1;
			break;
		}
		if (pos->after && pos->key && k.size == pos->klen &&
		    memcmp(k.data, pos->key, pos->klen) == 0)
			continue;
		if ((ret = store_chunk_add(ch, k.data, k.size, v.data,
					   v.size)) != 0)
			break;
		if (store_chunk_full(ch))
			break;
	}
	if (ret == DB_NOTFOUND) {
		*end = 1;
		ret = 0;
	}
	free(k.data);
	free(v.data);
	{
		int cret = c->close(c);

		if (ret == 0)
			ret = cret;
	}
	return ret;
}

/* One step of store_walk_raw for store_run_chunk. */
struct walk_step {
	DB *db;
	const struct walk_pos *pos;
	const void *prefix;
	size_t prefixlen;
	struct store_chunk *ch;
	int *end;
};

static int walk_step_read(DB_TXN *tid, void *arg)
{
	struct walk_step *w = arg;

	return walk_read_chunk(w->db, tid, w->pos, w->prefix, w->prefixlen,
			       w->ch, w->end);
}

static void walk_step_reset(void *arg)
{
	struct walk_step *w = arg;

	store_chunk_clear(w->ch);
	*w->end = 0;
}

int store_walk_raw(struct store *st, DB *db, const char *dbname,
		   const void *start, size_t startlen, const void *prefix,
		   size_t prefixlen, store_raw_fn fn, void *arg, char *err,
		   size_t errlen)
{
	struct store_chunk *ch = calloc(1, sizeof(*ch));
	struct walk_pos pos = {NULL, 0, 0};
	int end = 0, rc = STORE_OK;

	if (ch == NULL) {
		snprintf(err, errlen, "store: %s: walk: out of memory", dbname);
		return STORE_ERROR;
	}
	if (start) {
		if ((pos.key = malloc(startlen ? startlen : 1)) == NULL) {
			free(ch);
			snprintf(err, errlen, "store: %s: walk: out of memory",
				 dbname);
			return STORE_ERROR;
		}
		memcpy(pos.key, start, startlen);
		pos.klen = startlen;
	}
	while (!end) {
		struct walk_step ws = {db, &pos, prefix, prefixlen, ch, &end};

		rc = store_run_chunk(st, dbname, walk_step_read,
				     walk_step_reset, &ws, err, errlen);
		if (rc != STORE_OK)
			break;
		if (ch->n > 0) {
			struct store_chunk_item *last = &ch->items[ch->n - 1];
			uint8_t *nk = realloc(pos.key, last->klen + 1);

			if (nk == NULL) {
				store_chunk_clear(ch);
				snprintf(err, errlen,
					 "store: %s: walk: out of memory",
					 dbname);
				rc = STORE_ERROR;
				break;
			}
			memcpy(nk, last->key, last->klen);
			pos.key = nk;
			pos.klen = last->klen;
			pos.after = 1;
		}
		for (size_t i = 0; i < ch->n && rc == STORE_OK; i++) {
			struct store_chunk_item *it = &ch->items[i];

			rc = fn(st, it->key, it->klen, it->val, it->vlen, arg);
		}
		store_chunk_clear(ch);
		if (rc != STORE_OK)
			break;
	}
	free(pos.key);
	free(ch);
	return rc;
}

/* ---- single records ---- */

struct kv_op {
	DB *db;
	const char *dbname;
	DBT k;
	DBT v;
};

static int kv_put_op(struct store *st, DB_TXN *tid, void *arg, char *err,
		     size_t errlen)
{
	struct kv_op *o = arg;
	int ret = o->db->put(o->db, tid, &o->k, &o->v, 0);

	return ret ? store_fail(st, err, errlen, o->dbname, "put", ret) : 0;
}

static int kv_get_op(struct store *st, DB_TXN *tid, void *arg, char *err,
		     size_t errlen)
{
	struct kv_op *o = arg;
	int ret;

	free(o->v.data); /* from an earlier, deadlocked try */
	o->v.data = NULL;
	ret = o->db->get(o->db, tid, &o->k, &o->v, 0);
	if (ret != 0 && ret != DB_NOTFOUND)
		return store_fail(st, err, errlen, o->dbname, "get", ret);
	return ret;
}

static int kv_del_op(struct store *st, DB_TXN *tid, void *arg, char *err,
		     size_t errlen)
{
	struct kv_op *o = arg;
	int ret = o->db->del(o->db, tid, &o->k, 0);

	if (ret != 0 && ret != DB_NOTFOUND)
		return store_fail(st, err, errlen, o->dbname, "delete", ret);
	return ret;
}

static void kv_init(struct kv_op *o, DB *db, const char *dbname,
		    const void *key, size_t klen)
{
	memset(o, 0, sizeof(*o));
	o->db = db;
	o->dbname = dbname;
	o->k.data = (void *)key;
	o->k.size = (u_int32_t)klen;
}

int store_kv_put(struct store *st, struct store_txn *txn, DB *db,
		 const char *dbname, const void *key, size_t klen,
		 const void *val, size_t vlen, char *err, size_t errlen)
{
	struct kv_op o;

	kv_init(&o, db, dbname, key, klen);
	o.v.data = (void *)val;
	o.v.size = (u_int32_t)vlen;
	return store_run(st, txn, 0, kv_put_op, &o, err, errlen);
}

int store_kv_get(struct store *st, struct store_txn *txn, DB *db,
		 const char *dbname, const void *key, size_t klen,
		 uint8_t **val, size_t *vlen, char *err, size_t errlen)
{
	struct kv_op o;
	int rc;

	kv_init(&o, db, dbname, key, klen);
	o.v.flags = DB_DBT_MALLOC;
	rc = store_run(st, txn, 1, kv_get_op, &o, err, errlen);
	if (rc != STORE_OK) {
		free(o.v.data);
		*val = NULL;
		*vlen = 0;
		return rc;
	}
	*val = o.v.data;
	*vlen = o.v.size;
	return rc;
}

int store_kv_del(struct store *st, struct store_txn *txn, DB *db,
		 const char *dbname, const void *key, size_t klen, char *err,
		 size_t errlen)
{
	struct kv_op o;

	kv_init(&o, db, dbname, key, klen);
	return store_run(st, txn, 0, kv_del_op, &o, err, errlen);
}
