/*
 * test_store_state - the state index (store_state.c) and verification
 * pruning (store_records.c) against a real Berkeley DB store in a temp
 * dir: live ids by state without the done ones, one MTA's ids of one
 * state after an id (bounded, resumable), done ids oldest first
 * with a time bound and a limit, the index following every put and
 * delete in the same transaction (an aborted one leaves it as it was),
 * and the pruning cursor that deletes only old verifications, a bounded
 * number of steps per call, resuming where it stopped.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "store/store_codec.h"
#include "store_fx.h"

#define T0 1700000000LL

static void put(struct store *st, struct store_txn *txn, const char *mta,
		const char *qid, enum store_msg_state s, int64_t adopted,
		int64_t last)
{
	struct store_message *m = store_message_new(1);
	char err[512];

	snprintf(m->mta, sizeof(m->mta), "%s", mta);
	snprintf(m->queue_id, sizeof(m->queue_id), "%s", qid);
	strcpy(m->domain, "example.test");
	m->state = s;
	m->arrival = m->first_failure = adopted - 60;
	m->adopted_at = adopted;
	m->last_attempt = last;
	m->next_attempt = s == STORE_MSG_HELD ? adopted + 300 : 0;
	m->nrcpts = 1;
	strcpy(m->rcpts[0].address, "user@example.test");
	m->rcpts[0].state = STORE_RCPT_PENDING;
	if (store_put_message(st, txn, m, err, sizeof(err)) != STORE_OK)
		fail_msg("put %s: %s", qid, err);
	store_message_free(m);
}

/* What a walk saw, as "state:mta/qid[@finished]" joined by spaces. */
struct seen {
	char text[16384];
	size_t n;
	size_t stop_after; /* 0: never stop */
};

static int seen_one(enum store_msg_state state, int64_t finished,
		    const char *mta, const char *qid, void *arg)
{
	struct seen *s = arg;
	char one[128];

	if (finished)
		snprintf(one, sizeof(one), "%s%d:%s/%s@%lld", s->n ? " " : "",
			 (int)state, mta, qid, (long long)(finished - T0));
	else
		snprintf(one, sizeof(one), "%s%d:%s/%s", s->n ? " " : "",
			 (int)state, mta, qid);
	strncat(s->text, one, sizeof(s->text) - strlen(s->text) - 1);
	s->n++;
	return s->stop_after && s->n >= s->stop_after ? 7 : 0;
}

static const char *live(struct store *st, unsigned states)
{
	static struct seen s;
	char err[512];

	memset(&s, 0, sizeof(s));
	assert_int_equal(
	    store_walk_live_ids(st, states, seen_one, &s, err, sizeof(err)),
	    STORE_OK);
	return s.text;
}

static const char *done(struct store *st, int64_t before, size_t limit)
{
	static struct seen s;
	char err[512];

	memset(&s, 0, sizeof(s));
	assert_int_equal(store_walk_done_ids(st, before, limit, seen_one, &s,
					     err, sizeof(err)),
			 STORE_OK);
	return s.text;
}

static void test_codec_peek_and_key(void **state)
{
	struct store_message *m = store_message_new(1);
	struct store_codec_buf buf = {NULL, 0, 0};
	enum store_msg_state s;
	int64_t fin;
	uint8_t key[STORE_CODEC_STATE_KEY_MAX];
	char err[200];

	(void)state;
	strcpy(m->mta, "postfix");
	strcpy(m->queue_id, "ABC123");
	strcpy(m->sender, "s@example.org");
	strcpy(m->group, "microsoft");
	m->state = STORE_MSG_DONE;
	m->adopted_at = T0;
	m->last_attempt = T0 + 50;
	m->nrcpts = 1;
	strcpy(m->rcpts[0].address, "u@example.test");
	m->rcpts[0].state = STORE_RCPT_DELIVERED;
	assert_int_equal(store_codec_message_encode(m, &buf, err, sizeof(err)),
			 0);
	assert_int_equal(store_codec_message_peek(buf.data, buf.len, &s, &fin),
			 0);
	assert_int_equal(s, STORE_MSG_DONE);
	assert_int_equal(fin, T0 + 50);
	/* truncated anywhere before the times: refused (not indexed) */
	for (size_t n = 0; n < 1 + 8 + 2 * 5 + 7 + 6 + 13 + 9 + 1 + 32; n++)
		assert_int_equal(
		    store_codec_message_peek(buf.data, n, &s, &fin), -1);
	buf.data[0] = STORE_FORMAT_VERSION + 1;
	assert_int_equal(store_codec_message_peek(buf.data, buf.len, &s, &fin),
			 -1);
	assert_int_equal(store_codec_state_key(STORE_MSG_DONE, T0, "a\0b", 3,
					       key, sizeof(key)),
			 1 + 8 + 3);
	assert_int_equal(key[0], STORE_MSG_DONE);
	assert_int_equal(store_codec_get_be64(key + 1), (uint64_t)T0);
	assert_memory_equal(key + 9, "a\0b", 3);
	assert_int_equal(store_codec_state_key(STORE_MSG_HELD, T0, "a\0b", 3,
					       key, sizeof(key)),
			 1 + 3);
	assert_int_equal(
	    store_codec_state_key(0, T0, "a\0b", 3, key, sizeof(key)), 0);
	assert_int_equal(
	    store_codec_state_key(STORE_MSG_HELD, T0, "a\0b", 3, key, 3), 0);
	free(buf.data);
	store_message_free(m);
}

static void test_live_ids_skip_done(void **state)
{
	struct store_fx *fx = *state;

	put(fx->st, NULL, "postfix", "B2", STORE_MSG_HELD, T0, 0);
	put(fx->st, NULL, "postfix", "A1", STORE_MSG_HELD, T0, 0);
	put(fx->st, NULL, "postfix", "C3", STORE_MSG_ATTEMPTING, T0, T0 + 5);
	put(fx->st, NULL, "exim", "D4", STORE_MSG_ADOPT_INTENT, T0, 0);
	put(fx->st, NULL, "postfix", "E5", STORE_MSG_GIVEBACK_INTENT, T0, 0);
	put(fx->st, NULL, "postfix", "F6", STORE_MSG_RELEASE_INTENT, T0, 0);
	for (int i = 0; i < 300; i++) {
		char q[16];
		snprintf(q, sizeof(q), "Z%04d", i);
		put(fx->st, NULL, "postfix", q, STORE_MSG_DONE, T0 - i, 0);
	}
	assert_string_equal(live(fx->st, STORE_STATES_LIVE),
			    "1:exim/D4 2:postfix/A1 2:postfix/B2 3:postfix/F6 "
			    "4:postfix/C3 5:postfix/E5");
	assert_string_equal(
	    live(fx->st, STORE_STATE_BIT(STORE_MSG_ATTEMPTING) |
			     STORE_STATE_BIT(STORE_MSG_RELEASE_INTENT)),
	    "3:postfix/F6 4:postfix/C3");
	/* DONE in the mask is ignored: live means live */
	assert_string_equal(live(fx->st, STORE_STATE_BIT(STORE_MSG_DONE)), "");
}

static const char *after(struct store *st, enum store_msg_state state,
			 const char *mta, const char *from, size_t limit)
{
	static struct seen s;
	char err[512];

	memset(&s, 0, sizeof(s));
	assert_int_equal(store_walk_state_ids_after(st, state, mta, from, limit,
						    seen_one, &s, err,
						    sizeof(err)),
			 STORE_OK);
	return s.text;
}

/* One MTA's ids of one state after a given id, in id order, bounded: a
 * long walk resumes where the last step stopped (the domain watch). */
static void test_state_ids_after(void **state)
{
	struct store_fx *fx = *state;
	char err[512];

	put(fx->st, NULL, "postfix", "B2", STORE_MSG_HELD, T0, 0);
	put(fx->st, NULL, "postfix", "A1", STORE_MSG_HELD, T0, 0);
	put(fx->st, NULL, "postfix", "C3", STORE_MSG_HELD, T0, 0);
	put(fx->st, NULL, "postfix", "B9", STORE_MSG_ATTEMPTING, T0, T0);
	put(fx->st, NULL, "postfixx", "A0", STORE_MSG_HELD, T0, 0);
	put(fx->st, NULL, "exim", "A5", STORE_MSG_HELD, T0, 0);
	put(fx->st, NULL, "postfix", "D4", STORE_MSG_DONE, T0, T0);
	assert_string_equal(after(fx->st, STORE_MSG_HELD, "postfix", "", 0),
			    "2:postfix/A1 2:postfix/B2 2:postfix/C3");
	assert_string_equal(after(fx->st, STORE_MSG_HELD, "postfix", "", 2),
			    "2:postfix/A1 2:postfix/B2");
	/* resumed after the last one seen; an id no longer there too */
	assert_string_equal(after(fx->st, STORE_MSG_HELD, "postfix", "B2", 2),
			    "2:postfix/C3");
	assert_string_equal(after(fx->st, STORE_MSG_HELD, "postfix", "B1", 0),
			    "2:postfix/B2 2:postfix/C3");
	assert_string_equal(after(fx->st, STORE_MSG_HELD, "postfix", "C3", 0),
			    "");
	assert_string_equal(
	    after(fx->st, STORE_MSG_ATTEMPTING, "postfix", "", 0),
	    "4:postfix/B9");
	assert_string_equal(after(fx->st, STORE_MSG_HELD, "exim", "", 0),
			    "2:exim/A5");
	/* DONE has no id order: refused */
	assert_int_equal(store_walk_state_ids_after(fx->st, STORE_MSG_DONE,
						    "postfix", "", 0, seen_one,
						    NULL, err, sizeof(err)),
			 STORE_ERROR);
}

static void test_index_follows_puts_and_deletes(void **state)
{
	struct store_fx *fx = *state;
	struct store_txn *txn;
	char err[512];

	put(fx->st, NULL, "postfix", "A1", STORE_MSG_HELD, T0, 0);
	put(fx->st, NULL, "postfix", "B2", STORE_MSG_HELD, T0, 0);
	assert_string_equal(live(fx->st, STORE_STATES_LIVE),
			    "2:postfix/A1 2:postfix/B2");
	/* HELD -> DONE moves the entry, finished = last attempt */
	put(fx->st, NULL, "postfix", "A1", STORE_MSG_DONE, T0, T0 + 40);
	assert_string_equal(live(fx->st, STORE_STATES_LIVE), "2:postfix/B2");
	assert_string_equal(done(fx->st, T0 + 100, 0), "6:postfix/A1@40");
	/* adopted again (a reused queue id): live again, not done */
	put(fx->st, NULL, "postfix", "A1", STORE_MSG_ADOPT_INTENT, T0 + 50, 0);
	assert_string_equal(done(fx->st, T0 + 100, 0), "");
	assert_string_equal(live(fx->st, STORE_STATES_LIVE),
			    "1:postfix/A1 2:postfix/B2");
	/* an aborted transaction leaves the index as it was */
	assert_int_equal(store_txn_begin(fx->st, &txn, err, sizeof(err)),
			 STORE_OK);
	put(fx->st, txn, "postfix", "B2", STORE_MSG_DONE, T0, T0);
	store_txn_abort(txn);
	assert_string_equal(live(fx->st, STORE_STATES_LIVE),
			    "1:postfix/A1 2:postfix/B2");
	/* a delete removes the entry */
	assert_int_equal(
	    store_del_message(fx->st, NULL, "postfix", "B2", err, sizeof(err)),
	    STORE_OK);
	assert_string_equal(live(fx->st, STORE_STATES_LIVE), "1:postfix/A1");
}

static void test_done_ids_oldest_first_bounded(void **state)
{
	struct store_fx *fx = *state;
	struct store_txn *txn;
	struct seen s;
	char err[512];

	assert_int_equal(store_txn_begin(fx->st, &txn, err, sizeof(err)),
			 STORE_OK);
	/* 600 done ones, finished T0+0..T0+599, keys in another order */
	for (int i = 0; i < 600; i++) {
		char q[16];
		snprintf(q, sizeof(q), "Q%04d", (i * 7919) % 600);
		put(fx->st, txn, "postfix", q, STORE_MSG_DONE, T0 - 1000,
		    T0 + (i * 7919) % 600);
	}
	put(fx->st, txn, "postfix", "LIVE1", STORE_MSG_HELD, T0 - 5000, 0);
	assert_int_equal(store_txn_commit(txn, err, sizeof(err)), STORE_OK);

	assert_string_equal(
	    done(fx->st, T0 + 3, 0),
	    "6:postfix/Q0000@0 6:postfix/Q0001@1 6:postfix/Q0002@2");
	assert_string_equal(done(fx->st, T0 + 600, 2),
			    "6:postfix/Q0000@0 6:postfix/Q0001@1");
	assert_string_equal(done(fx->st, T0, 0), "");
	assert_string_equal(done(fx->st, 0, 0), "");
	/* across walk chunks: every one before the bound, in time order */
	memset(&s, 0, sizeof(s));
	assert_int_equal(store_walk_done_ids(fx->st, T0 + 500, 0, seen_one, &s,
					     err, sizeof(err)),
			 STORE_OK);
	assert_int_equal(s.n, 500);
	assert_non_null(
	    strstr(s.text, "6:postfix/Q0498@498 6:postfix/Q0499@499"));
	assert_null(strstr(s.text, "LIVE1"));
	/* a callback's non-zero value stops the walk and is returned */
	memset(&s, 0, sizeof(s));
	s.stop_after = 4;
	assert_int_equal(store_walk_done_ids(fx->st, T0 + 600, 0, seen_one, &s,
					     err, sizeof(err)),
			 7);
	assert_int_equal(s.n, 4);
}

static void add_verification(struct store *st, const char *domain, int64_t t)
{
	struct store_verification v;
	char err[512];

	memset(&v, 0, sizeof(v));
	snprintf(v.domain, sizeof(v.domain), "%s", domain);
	v.time = t;
	strcpy(v.verdict, "healthy");
	v.answers = "{}";
	assert_int_equal(store_add_verification(st, NULL, &v, err, sizeof(err)),
			 STORE_OK);
}

static int count_one(const struct store_verification *v, void *arg)
{
	(void)v;
	(*(size_t *)arg)++;
	return 0;
}

static size_t count_verifications(struct store *st, const char *domain)
{
	size_t n = 0;
	char err[512];

	assert_int_equal(store_walk_verifications(st, domain, 0, count_one, &n,
						  err, sizeof(err)),
			 STORE_OK);
	return n;
}

static void test_prune_verifications(void **state)
{
	struct store_fx *fx = *state;
	char cursor[256] = "";
	size_t deleted, total = 0;
	char err[512];

	/* a.test: 5 old, 3 new; ab.test (a's prefix + b): 2 old; b.test: 3 new */
	for (int i = 0; i < 5; i++)
		add_verification(fx->st, "a.test", T0 - 100 + i);
	for (int i = 0; i < 3; i++)
		add_verification(fx->st, "a.test", T0 + i);
	add_verification(fx->st, "a.testb", T0 - 50);
	add_verification(fx->st, "a.testb", T0 - 49);
	for (int i = 0; i < 3; i++)
		add_verification(fx->st, "b.test", T0 + 10 + i);

	/* 3 steps: 3 of a.test's old ones, then it stops at a.test */
	assert_int_equal(store_prune_verifications(fx->st, T0, 3, cursor,
						   sizeof(cursor), &deleted,
						   err, sizeof(err)),
			 STORE_OK);
	assert_int_equal(deleted, 3);
	assert_string_equal(cursor, "a.test");
	total += deleted;
	/* 3 more: a.test's last 2 old, a jump over its new ones, stop at a.testb */
	assert_int_equal(store_prune_verifications(fx->st, T0, 3, cursor,
						   sizeof(cursor), &deleted,
						   err, sizeof(err)),
			 STORE_OK);
	assert_int_equal(deleted, 2);
	assert_string_equal(cursor, "a.testb");
	total += deleted;
	/* the rest: a.testb's 2 old, b.test untouched, the end: cursor wraps */
	assert_int_equal(store_prune_verifications(fx->st, T0, 100, cursor,
						   sizeof(cursor), &deleted,
						   err, sizeof(err)),
			 STORE_OK);
	assert_int_equal(deleted, 2);
	assert_string_equal(cursor, "");
	total += deleted;
	assert_int_equal(total, 7);
	assert_int_equal(count_verifications(fx->st, "a.test"), 3);
	assert_int_equal(count_verifications(fx->st, "a.testb"), 0);
	assert_int_equal(count_verifications(fx->st, "b.test"), 3);
	/* nothing left to delete: a round deletes nothing */
	assert_int_equal(store_prune_verifications(fx->st, T0, 100, cursor,
						   sizeof(cursor), &deleted,
						   err, sizeof(err)),
			 STORE_OK);
	assert_int_equal(deleted, 0);
	assert_int_equal(count_verifications(fx->st, NULL), 6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_codec_peek_and_key),
	    cmocka_unit_test_setup_teardown(test_live_ids_skip_done,
					    store_fx_setup, store_fx_teardown),
	    cmocka_unit_test_setup_teardown(test_state_ids_after,
					    store_fx_setup, store_fx_teardown),
	    cmocka_unit_test_setup_teardown(test_index_follows_puts_and_deletes,
					    store_fx_setup, store_fx_teardown),
	    cmocka_unit_test_setup_teardown(test_done_ids_oldest_first_bounded,
					    store_fx_setup, store_fx_teardown),
	    cmocka_unit_test_setup_teardown(test_prune_verifications,
					    store_fx_setup, store_fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
