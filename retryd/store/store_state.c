/*
 * NAME
 *	store_state 3
 * SUMMARY
 *	the state index: live messages by state, done ones by age
 * SYNOPSIS
 *	#include "store/store.h"
 * DESCRIPTION
 *	state.db is a Berkeley DB secondary of messages.db (associated in
 *	store_env.c, so every put and delete of a message updates it in the
 *	same transaction). Its key is the state byte and the primary key for
 *	a live message, or 6 (DONE), BE64(finished) and the primary key for
 *	a done one (store_codec_state_key()); the value is the primary key.
 *	Live messages therefore sort first, grouped by state, and done ones
 *	follow oldest first: the daemon's pass walks only what is live, and
 *	retention finds the old done ones with a range scan, whatever the
 *	number of done messages kept for show.
 *
 *	store_walk_state_ids_after() walks one MTA's ids of one live state
 *	after a given id, at most a limit: a long walk (the domain watch
 *	making a healed domain's held mail due) resumes in bounded steps.
 *
 *	All three walks read the index through a plain read-only handle on
 *	state.db opened per walk (as store_due.c does for due.db: a cursor
 *	on the associated secondary would fetch every primary record), in
 *	chunks read under short read-committed transactions committed before
 *	any callback runs, so callbacks may write to the store. A walk is a
 *	key range [start, end) and reads nothing past its end or its limit.
 *	Keys are unique, so the chunked walk resumes exactly after the last
 *	key read. The walks are not snapshots.
 *
 *	Owns the handle for the duration of one walk.
 * DIAGNOSTICS
 *	An entry whose value is not "MTA\0QUEUEID" or whose key does not
 *	match it is logged ("store: state: record KEY: bad format") and
 *	skipped. Berkeley DB errors: "store: state: walk: ...".
 */
#include "store/store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_codec.h"

struct state_walk {
	store_state_id_fn fn;
	void *arg;
	size_t limit, seen; /* limit 0: no limit */
};

static int state_index_open(struct store *st, DB **out)
{
	DB *db;
	int ret;

	*out = NULL;
	if ((ret = db_create(&db, st->env, 0)) != 0)
		return ret;
	if ((ret = db->open(db, NULL, "state.db", NULL, DB_BTREE,
			    DB_RDONLY | DB_THREAD | DB_AUTO_COMMIT, 0)) != 0) {
		db->close(db, 0);
		return ret;
	}
	*out = db;
	return 0;
}

/* Split and check one entry; call back. */
static int state_one(struct state_walk *w, const uint8_t *key, size_t klen,
		     const uint8_t *val, size_t vlen)
{
	uint8_t want[STORE_CODEC_STATE_KEY_MAX];
	char pk[STORE_CODEC_MESSAGE_KEY_MAX + 1];
	const char *nul;
	enum store_msg_state state;
	int64_t finished = 0;
	size_t mlen;

	if (klen < 1 || vlen == 0 || vlen > STORE_CODEC_MESSAGE_KEY_MAX)
		goto bad;
	state = (enum store_msg_state)key[0];
	if (state == STORE_MSG_DONE) {
		if (klen < 9)
			goto bad;
		finished = (int64_t)store_codec_get_be64(key + 1);
	}
	if (store_codec_state_key(state, finished, val, vlen, want,
				  sizeof(want)) != klen ||
	    memcmp(want, key, klen) != 0)
		goto bad;
	memcpy(pk, val, vlen);
	pk[vlen] = '\0';
	nul = memchr(pk, '\0', vlen);
	mlen = nul ? (size_t)(nul - pk) : 0;
	if (nul == NULL || mlen == 0 || mlen > LIMIT_MTA_NAME ||
	    vlen - mlen - 1 == 0 || vlen - mlen - 1 > LIMIT_QUEUE_ID ||
	    memchr(nul + 1, '\0', vlen - mlen - 1) != NULL)
		goto bad;
	return w->fn(state, finished, pk, nul + 1, w->arg);
bad:
	store_log_bad("state", key, klen, "not a state index entry");
	return 0;
}

/*
 * Copy up to @param want entries with pos <= key < end (pos itself
 * skipped when @param after) into ch under tid. Reads nothing past the
 * first key at or after end: a bounded walk costs what it returns.
 */
static int state_read_chunk(DB *index, DB_TXN *tid, const uint8_t *pos,
			    size_t poslen, int after, const uint8_t *end,
			    size_t endlen, size_t want, struct store_chunk *ch,
			    int *done)
{
	uint8_t kbuf[STORE_CODEC_STATE_KEY_MAX],
	    vbuf[STORE_CODEC_MESSAGE_KEY_MAX];
	DBC *c;
	DBT k, v;
	int ret, cret, flag = DB_SET_RANGE;

	if ((ret = index->cursor(index, tid, &c, DB_READ_COMMITTED)) != 0)
		return ret;
	memset(&k, 0, sizeof(k));
	memset(&v, 0, sizeof(v));
	k.data = kbuf;
	k.ulen = sizeof(kbuf);
	k.flags = DB_DBT_USERMEM;
	v.data = vbuf;
	v.ulen = sizeof(vbuf);
	v.flags = DB_DBT_USERMEM;
	memcpy(kbuf, pos, poslen);
	k.size = (u_int32_t)poslen;
	*done = 0;
	while (ch->n < want && !store_chunk_full(ch)) {
		size_t n;

		if ((ret = c->get(c, &k, &v, flag)) != 0)
			break;
		flag = DB_NEXT;
		n = k.size < endlen ? k.size : endlen;
		if (memcmp(kbuf, end, n) > 0 ||
		    (memcmp(kbuf, end, n) == 0 && k.size >= endlen)) {
			*done = 1;
			break;
		}
		if (after && k.size == poslen && memcmp(kbuf, pos, poslen) == 0)
			continue;
		if ((ret = store_chunk_add(ch, kbuf, k.size, vbuf, v.size)) !=
		    0)
			break;
	}
	if (ret == DB_NOTFOUND) {
		*done = 1;
		ret = 0;
	}
	cret = c->close(c);
	return ret ? ret : cret;
}

/*
 * Walk the entries in [start, end), at most w->limit (0: all), chunk by
 * chunk, each read under its own read-committed transaction committed
 * before the callbacks run. @return a STORE_* code or the callback's.
 */
/* One step of state_walk for store_run_chunk. */
struct state_step {
	DB *index;
	const uint8_t *pos;
	size_t poslen;
	int after;
	const uint8_t *end;
	size_t endlen;
	size_t want;
	struct store_chunk *ch;
	int *done;
};

static int state_step_read(DB_TXN *tid, void *arg)
{
	struct state_step *s = arg;

	return state_read_chunk(s->index, tid, s->pos, s->poslen, s->after,
				s->end, s->endlen, s->want, s->ch, s->done);
}

static void state_step_reset(void *arg)
{
	struct state_step *s = arg;

	store_chunk_clear(s->ch);
	*s->done = 0;
}

static int state_walk(struct store *st, const uint8_t *start, size_t startlen,
		      int after, const uint8_t *end, size_t endlen,
		      struct state_walk *w, char *err, size_t errlen)
{
	uint8_t pos[STORE_CODEC_STATE_KEY_MAX];
	size_t poslen = startlen;
	struct store_chunk *ch;
	DB *index;
	int ret, rc = STORE_OK, done = 0;

	if ((ch = calloc(1, sizeof(*ch))) == NULL) {
		snprintf(err, errlen, "store: state: walk: out of memory");
		return STORE_ERROR;
	}
	if ((ret = state_index_open(st, &index)) != 0) {
		free(ch);
		store_fail(st, err, errlen, "state", "open index", ret);
		return store_code(ret) == STORE_NOSPACE ? STORE_NOSPACE
							: STORE_ERROR;
	}
	memcpy(pos, start, startlen);
	while (!done && rc == STORE_OK) {
		size_t want = w->limit ? w->limit - w->seen : SIZE_MAX;
		struct state_step ss = {index,	pos,  poslen, after, end,
					endlen, want, ch,     &done};

		if (want == 0)
			break;
		rc = store_run_chunk(st, "state", state_step_read,
				     state_step_reset, &ss, err, errlen);
		if (rc != STORE_OK)
			break;
		if (ch->n == 0)
			break;
		memcpy(pos, ch->items[ch->n - 1].key,
		       ch->items[ch->n - 1].klen);
		poslen = ch->items[ch->n - 1].klen;
		after = 1;
		for (size_t i = 0; i < ch->n && rc == STORE_OK; i++) {
			struct store_chunk_item *it = &ch->items[i];

			w->seen++;
			rc = state_one(w, it->key, it->klen, it->val, it->vlen);
		}
		store_chunk_clear(ch);
	}
	free(ch);
	index->close(index, DB_NOSYNC);
	return rc;
}

int store_walk_live_ids(struct store *st, unsigned states, store_state_id_fn fn,
			void *arg, char *err, size_t errlen)
{
	struct state_walk w = {fn, arg, 0, 0};
	int rc = STORE_OK;

	/* One range per run of consecutive states: one descent each. */
	for (unsigned s = STORE_MSG_ADOPT_INTENT;
	     s < STORE_MSG_DONE && rc == STORE_OK; s++) {
		uint8_t start = (uint8_t)s, end;

		if (!(states & STORE_STATE_BIT(s)))
			continue;
		while (s + 1 < STORE_MSG_DONE &&
		       (states & STORE_STATE_BIT(s + 1)))
			s++;
		end = (uint8_t)(s + 1);
		rc = state_walk(st, &start, 1, 0, &end, 1, &w, err, errlen);
	}
	return rc;
}

int store_walk_done_ids(struct store *st, int64_t before, size_t limit,
			store_state_id_fn fn, void *arg, char *err,
			size_t errlen)
{
	struct state_walk w = {fn, arg, limit, 0};
	uint8_t start = STORE_MSG_DONE, end[9];

	if (before <= 0)
		return STORE_OK;
	end[0] = STORE_MSG_DONE;
	store_codec_put_be64(end + 1, (uint64_t)before);
	return state_walk(st, &start, 1, 0, end, sizeof(end), &w, err, errlen);
}

int store_walk_state_ids_after(struct store *st, enum store_msg_state state,
			       const char *mta, const char *after, size_t limit,
			       store_state_id_fn fn, void *arg, char *err,
			       size_t errlen)
{
	struct state_walk w = {fn, arg, limit, 0};
	uint8_t start[STORE_CODEC_STATE_KEY_MAX], end[1 + LIMIT_MTA_NAME + 1];
	size_t mlen = strlen(mta), alen = strlen(after);

	if (state < STORE_MSG_ADOPT_INTENT || state >= STORE_MSG_DONE ||
	    mlen == 0 || mlen > LIMIT_MTA_NAME || alen > LIMIT_QUEUE_ID) {
		snprintf(err, errlen, "store: state: walk: bad range");
		return STORE_ERROR;
	}
	/* [state MTA \0 after, state MTA \1): this MTA's ids after @after */
	start[0] = end[0] = (uint8_t)state;
	memcpy(start + 1, mta, mlen);
	memcpy(end + 1, mta, mlen);
	start[1 + mlen] = 0;
	end[1 + mlen] = 1;
	memcpy(start + 2 + mlen, after, alen);
	return state_walk(st, start, 2 + mlen + alen, 1, end, 2 + mlen, &w, err,
			  errlen);
}
