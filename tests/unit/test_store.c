/*
 * test_store - the Berkeley DB store against a real environment.
 *
 * Every test gets a fresh state directory under /tmp (removed after).
 * Covers messages and the due index (order, bounds, many per second,
 * unscheduled messages, moves and deletes, callbacks that write), the
 * evidence order and pruning, domains, verifications, suppressed
 * addresses, a 1,000-message transaction that aborts, bad records.
 * Crashes, concurrent processes and a full disk: test_store_proc.c.
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
#include "store/store_int.h"
#include "store_fx.h"

static struct store_message *mk_msg(const char *qid, int64_t next,
				    size_t nrcpts)
{
	struct store_message *m = store_message_new(nrcpts);

	strcpy(m->mta, "postfix");
	snprintf(m->queue_id, sizeof(m->queue_id), "%s", qid);
	strcpy(m->sender, "list@example.org");
	strcpy(m->domain, "hotmail.com");
	strcpy(m->group, "microsoft");
	m->state = STORE_MSG_HELD;
	m->arrival = 1700000000;
	m->first_failure = 1700000010;
	m->adopted_at = 1700000020;
	m->next_attempt = next;
	m->attempts = 1;
	strcpy(m->last_verdict, "local-path");
	snprintf(m->last_reason, sizeof(m->last_reason), "reason of %s", qid);
	for (size_t i = 0; i < nrcpts; i++) {
		snprintf(m->rcpts[i].address, sizeof(m->rcpts[i].address),
			 "r%zu.%s@hotmail.com", i, qid);
		m->rcpts[i].state = STORE_RCPT_PENDING;
	}
	return m;
}

static void put(struct store *st, struct store_txn *txn, const char *qid,
		int64_t next)
{
	struct store_message *m = mk_msg(qid, next, 2);
	char err[512];
	int rc = store_put_message(st, txn, m, err, sizeof(err));

	if (rc != STORE_OK)
		fail_msg("put %s: %s", qid, err);
	store_message_free(m);
}

/* Collects what a message walk saw. */
struct seen {
	size_t n;
	int64_t last_next;
	int ordered;
	char qids[4096][LIMIT_QUEUE_ID + 1];
	struct store *st; /* for callbacks that write */
	int64_t move_to;
};

static int seen_msg(const struct store_message *m, void *arg)
{
	struct seen *s = arg;

	if (m->next_attempt < s->last_next)
		s->ordered = 0;
	s->last_next = m->next_attempt;
	if (s->n < 4096)
		strcpy(s->qids[s->n], m->queue_id);
	s->n++;
	if (s->move_to) {
		struct store_message *c = store_message_new(m->nrcpts);
		char err[512];

		memcpy(c, m, sizeof(*m) + m->nrcpts * sizeof(m->rcpts[0]));
		c->next_attempt = s->move_to;
		assert_int_equal(
		    store_put_message(s->st, NULL, c, err, sizeof(err)),
		    STORE_OK);
		store_message_free(c);
	}
	return 0;
}

static struct seen *walk_due(struct store *st, int64_t due_by, size_t limit)
{
	struct seen *s = calloc(1, sizeof(*s));
	char err[512];

	s->ordered = 1;
	assert_int_equal(
	    store_walk_due(st, due_by, limit, seen_msg, s, err, sizeof(err)),
	    STORE_OK);
	return s;
}

static struct seen *walk_all(struct store *st)
{
	struct seen *s = calloc(1, sizeof(*s));
	char err[512];

	s->ordered = 1;
	assert_int_equal(store_walk_messages(st, seen_msg, s, err, sizeof(err)),
			 STORE_OK);
	return s;
}

static void test_message_put_get_del(void **state)
{
	struct store_fx *fx = *state;
	struct store_message *m = mk_msg("3F2A1B9C0D", 1700000300, 3), *got;
	char err[512];

	assert_int_equal(store_get_message(fx->st, NULL, "postfix",
					   "3F2A1B9C0D", &got, err,
					   sizeof(err)),
			 STORE_NOTFOUND);
	assert_null(got);
	assert_int_equal(store_put_message(fx->st, NULL, m, err, sizeof(err)),
			 STORE_OK);
	assert_int_equal(store_get_message(fx->st, NULL, "postfix",
					   "3F2A1B9C0D", &got, err,
					   sizeof(err)),
			 STORE_OK);
	assert_int_equal(got->nrcpts, 3);
	assert_memory_equal(got, m, sizeof(*m) + 3 * sizeof(m->rcpts[0]));
	store_message_free(got);
	/* Replace. */
	m->state = STORE_MSG_ATTEMPTING;
	m->attempts = 2;
	strcpy(m->rcpts[2].dsn, "5.1.1");
	assert_int_equal(store_put_message(fx->st, NULL, m, err, sizeof(err)),
			 STORE_OK);
	assert_int_equal(store_get_message(fx->st, NULL, "postfix",
					   "3F2A1B9C0D", &got, err,
					   sizeof(err)),
			 STORE_OK);
	assert_int_equal(got->state, STORE_MSG_ATTEMPTING);
	assert_string_equal(got->rcpts[2].dsn, "5.1.1");
	store_message_free(got);
	/* Same queue id, other MTA: a different message. */
	assert_int_equal(store_get_message(fx->st, NULL, "exim", "3F2A1B9C0D",
					   &got, err, sizeof(err)),
			 STORE_NOTFOUND);
	assert_int_equal(store_del_message(fx->st, NULL, "postfix",
					   "3F2A1B9C0D", err, sizeof(err)),
			 STORE_OK);
	assert_int_equal(store_del_message(fx->st, NULL, "postfix",
					   "3F2A1B9C0D", err, sizeof(err)),
			 STORE_NOTFOUND);
	assert_int_equal(store_get_message(fx->st, NULL, "postfix",
					   "3F2A1B9C0D", &got, err,
					   sizeof(err)),
			 STORE_NOTFOUND);
	/* Refused keys. */
	assert_int_equal(store_get_message(fx->st, NULL, "postfix", "", &got,
					   err, sizeof(err)),
			 STORE_ERROR);
	assert_non_null(strstr(err, "messages"));
	store_message_free(m);
}

/* The due index holds exactly the scheduled messages of the primary. */
static void assert_index_agrees(struct store *st)
{
	struct seen *all = walk_all(st), *due;
	size_t scheduled = 0;
	char err[512];

	for (size_t i = 0; i < all->n && i < 4096; i++) {
		struct store_message *m;

		assert_int_equal(store_get_message(st, NULL, "postfix",
						   all->qids[i], &m, err,
						   sizeof(err)),
				 STORE_OK);
		scheduled += m->next_attempt > 0;
		store_message_free(m);
	}
	due = walk_due(st, INT64_MAX, 0);
	assert_int_equal(due->n, scheduled);
	assert_true(due->ordered);
	free(all);
	free(due);
}

static void test_due_walk_order_and_bounds(void **state)
{
	struct store_fx *fx = *state;
	struct seen *s;
	char qid[32], err[512];

	/* 5 seconds x 10 messages, inserted out of order; plus unscheduled
	 * and far-future ones. */
	for (int i = 49; i >= 0; i--) {
		snprintf(qid, sizeof(qid), "Q%02d", i);
		put(fx->st, NULL, qid, 1000 + i % 5);
	}
	put(fx->st, NULL, "ZERO1", 0);
	put(fx->st, NULL, "ZERO2", 0);
	put(fx->st, NULL, "NEG", -5);
	put(fx->st, NULL, "FUTURE", 999999);
	s = walk_due(fx->st, 1002, 0);
	assert_int_equal(s->n, 30);
	assert_true(s->ordered);
	assert_true(s->last_next == 1002);
	free(s);
	s = walk_due(fx->st, 999, 0);
	assert_int_equal(s->n, 0);
	free(s);
	s = walk_due(fx->st, 0, 0);
	assert_int_equal(s->n, 0);
	free(s);
	s = walk_due(fx->st, 1002, 7); /* limit: the 7 earliest */
	assert_int_equal(s->n, 7);
	assert_true(s->last_next == 1000);
	free(s);
	s = walk_due(fx->st, 1001, 10);
	assert_int_equal(s->n, 10);
	assert_true(s->last_next == 1000);
	free(s);
	s = walk_due(fx->st, INT64_MAX, 0);
	assert_int_equal(s->n, 51); /* not ZERO1, ZERO2, NEG */
	assert_string_equal(s->qids[50], "FUTURE");
	free(s);
	assert_index_agrees(fx->st);

	/* Update moves the index entry; 0 removes it; delete removes it. */
	put(fx->st, NULL, "Q04", 1001);	 /* was 1004 */
	put(fx->st, NULL, "Q00", 0);	 /* was 1000 */
	put(fx->st, NULL, "ZERO1", 999); /* was unscheduled */
	assert_int_equal(
	    store_del_message(fx->st, NULL, "postfix", "Q05", err, sizeof(err)),
	    STORE_OK); /* was 1000 */
	s = walk_due(fx->st, 1000, 0);
	assert_int_equal(s->n, 1 + 8);
	assert_string_equal(s->qids[0], "ZERO1");
	for (size_t i = 0; i < s->n; i++) {
		assert_string_not_equal(s->qids[i], "Q00");
		assert_string_not_equal(s->qids[i], "Q05");
	}
	free(s);
	s = walk_due(fx->st, 1001, 0);
	assert_int_equal(s->n, 1 + 8 + 11);
	free(s);
	assert_index_agrees(fx->st);
}

static void test_due_walk_many_per_second(void **state)
{
	struct store_fx *fx = *state;
	struct store_txn *txn;
	struct seen *s;
	char qid[32], err[512];

	/* More than a walk chunk in each second. */
	assert_int_equal(store_txn_begin(fx->st, &txn, err, sizeof(err)),
			 STORE_OK);
	for (int i = 0; i < 1500; i++) {
		snprintf(qid, sizeof(qid), "M%04d", (i * 7919) % 1500);
		put(fx->st, txn, qid, 2000 + i % 3);
	}
	assert_int_equal(store_txn_commit(txn, err, sizeof(err)), STORE_OK);
	s = walk_due(fx->st, 2001, 0);
	assert_int_equal(s->n, 1000);
	assert_true(s->ordered);
	/* Each once: within a second, primary key order. */
	for (size_t i = 1; i < s->n; i++)
		assert_true(strcmp(s->qids[i - 1], s->qids[i]) != 0);
	free(s);
	s = walk_due(fx->st, 2002, 1234);
	assert_int_equal(s->n, 1234);
	free(s);

	/* Callbacks may write: reschedule every due message past due_by. */
	s = calloc(1, sizeof(*s));
	s->ordered = 1;
	s->st = fx->st;
	s->move_to = 5000;
	assert_int_equal(
	    store_walk_due(fx->st, 2002, 0, seen_msg, s, err, sizeof(err)),
	    STORE_OK);
	assert_int_equal(s->n, 1500);
	free(s);
	s = walk_due(fx->st, 4999, 0);
	assert_int_equal(s->n, 0);
	free(s);
	s = walk_due(fx->st, 5000, 0);
	assert_int_equal(s->n, 1500);
	free(s);
	assert_index_agrees(fx->st);
}

static int stop_at_3(const struct store_message *m, void *arg)
{
	int *n = arg;

	(void)m;
	return ++*n == 3 ? 42 : 0;
}

static void test_walk_stops_on_callback(void **state)
{
	struct store_fx *fx = *state;
	char err[512];
	int n = 0;

	put(fx->st, NULL, "A", 10);
	put(fx->st, NULL, "B", 11);
	put(fx->st, NULL, "C", 12);
	put(fx->st, NULL, "D", 13);
	assert_int_equal(
	    store_walk_due(fx->st, 100, 0, stop_at_3, &n, err, sizeof(err)),
	    42);
	assert_int_equal(n, 3);
	n = 0;
	assert_int_equal(
	    store_walk_messages(fx->st, stop_at_3, &n, err, sizeof(err)), 42);
}

static void test_batch_abort_then_commit(void **state)
{
	struct store_fx *fx = *state;
	struct store_txn *txn;
	struct store_message *m;
	struct seen *s;
	char qid[32], err[512];

	for (int round = 0; round < 2; round++) {
		assert_int_equal(
		    store_txn_begin(fx->st, &txn, err, sizeof(err)), STORE_OK);
		for (int i = 0; i < 1000; i++) {
			snprintf(qid, sizeof(qid), "ADOPT%04d", i);
			put(fx->st, txn, qid, 3000 + i % 60);
		}
		/* Visible inside the transaction. */
		assert_int_equal(store_get_message(fx->st, txn, "postfix",
						   "ADOPT0999", &m, err,
						   sizeof(err)),
				 STORE_OK);
		store_message_free(m);
		if (round == 0) {
			store_txn_abort(txn);
			s = walk_all(fx->st);
			assert_int_equal(s->n, 0);
			free(s);
			s = walk_due(fx->st, INT64_MAX, 0);
			assert_int_equal(s->n, 0);
			free(s);
		} else {
			assert_int_equal(
			    store_txn_commit(txn, err, sizeof(err)), STORE_OK);
		}
	}
	s = walk_all(fx->st);
	assert_int_equal(s->n, 1000);
	free(s);
	assert_index_agrees(fx->st);
}

/* ---- the due ids (index only) ---- */

/* What store_walk_due_ids handed out. */
struct ids_seen {
	size_t n;
	int ordered;
	int64_t last_next;
	int64_t nexts[4096];
	char mtas[4096][LIMIT_MTA_NAME + 1];
	char qids[4096][LIMIT_QUEUE_ID + 1];
	struct store *st; /* for callbacks that write */
	int del;	  /* delete each message handed out */
	int64_t move_to;  /* or reschedule it there */
	size_t stop_at;	  /* return 7 at this count (0: never) */
};

static int ids_seen(int64_t next, const char *mta, const char *qid, void *arg)
{
	struct ids_seen *s = arg;
	char err[512];

	if (next < s->last_next)
		s->ordered = 0;
	s->last_next = next;
	if (s->n < 4096) {
		s->nexts[s->n] = next;
		snprintf(s->mtas[s->n], sizeof(s->mtas[0]), "%s", mta);
		snprintf(s->qids[s->n], sizeof(s->qids[0]), "%s", qid);
	}
	s->n++;
	if (s->del)
		assert_int_equal(
		    store_del_message(s->st, NULL, mta, qid, err, sizeof(err)),
		    STORE_OK);
	if (s->move_to) {
		struct store_message *m;

		assert_int_equal(store_get_message(s->st, NULL, mta, qid, &m,
						   err, sizeof(err)),
				 STORE_OK);
		m->next_attempt = s->move_to;
		assert_int_equal(
		    store_put_message(s->st, NULL, m, err, sizeof(err)),
		    STORE_OK);
		store_message_free(m);
	}
	return s->stop_at && s->n == s->stop_at ? 7 : 0;
}

static struct ids_seen *walk_ids(struct store *st, int64_t due_by, size_t limit)
{
	struct ids_seen *s = calloc(1, sizeof(*s));
	char err[512];

	s->ordered = 1;
	assert_int_equal(store_walk_due_ids(st, due_by, limit, ids_seen, s, err,
					    sizeof(err)),
			 STORE_OK);
	return s;
}

/*
 * The ids walk lists exactly what store_walk_due delivers, in the same
 * order, with each message's own next_attempt.
 */
static void assert_ids_match(struct store *st, int64_t due_by, size_t limit)
{
	struct ids_seen *ids = walk_ids(st, due_by, limit);
	struct seen *full = walk_due(st, due_by, limit);
	char err[512];

	assert_int_equal(ids->n, full->n);
	assert_true(ids->ordered);
	for (size_t i = 0; i < ids->n && i < 4096; i++) {
		struct store_message *m;

		assert_string_equal(ids->qids[i], full->qids[i]);
		assert_string_equal(ids->mtas[i], "postfix");
		assert_int_equal(store_get_message(st, NULL, ids->mtas[i],
						   ids->qids[i], &m, err,
						   sizeof(err)),
				 STORE_OK);
		assert_true(m->next_attempt == ids->nexts[i]);
		assert_true(m->next_attempt > 0 && m->next_attempt <= due_by);
		store_message_free(m);
	}
	free(ids);
	free(full);
}

static void test_due_ids_order_bounds_limit(void **state)
{
	struct store_fx *fx = *state;
	struct ids_seen *s;
	char qid[32], err[512];

	for (int i = 49; i >= 0; i--) {
		snprintf(qid, sizeof(qid), "Q%02d", i);
		put(fx->st, NULL, qid, 1000 + i % 5);
	}
	put(fx->st, NULL, "ZERO1", 0);
	put(fx->st, NULL, "NEG", -5);
	put(fx->st, NULL, "FUTURE", 999999);
	s = walk_ids(fx->st, 1002, 0);
	assert_int_equal(s->n, 30);
	assert_true(s->ordered);
	assert_true(s->nexts[0] == 1000 && s->nexts[29] == 1002);
	/* Within a second: key order (Q00 Q05 Q10 ... for second 1000). */
	assert_string_equal(s->qids[0], "Q00");
	assert_string_equal(s->qids[1], "Q05");
	free(s);
	s = walk_ids(fx->st, 999, 0);
	assert_int_equal(s->n, 0);
	free(s);
	s = walk_ids(fx->st, 0, 0);
	assert_int_equal(s->n, 0);
	free(s);
	s = walk_ids(fx->st, -1, 0);
	assert_int_equal(s->n, 0);
	free(s);
	s = walk_ids(fx->st, INT64_MAX, 0); /* not ZERO1, not NEG */
	assert_int_equal(s->n, 51);
	assert_string_equal(s->qids[50], "FUTURE");
	for (size_t i = 0; i < s->n; i++) {
		assert_string_not_equal(s->qids[i], "ZERO1");
		assert_string_not_equal(s->qids[i], "NEG");
	}
	free(s);
	for (size_t limit = 0; limit <= 52; limit += 7) {
		s = walk_ids(fx->st, INT64_MAX, limit);
		assert_int_equal(s->n, limit == 0 || limit > 51 ? 51 : limit);
		free(s);
		assert_ids_match(fx->st, INT64_MAX, limit);
		assert_ids_match(fx->st, 1003, limit);
	}

	/* Updates move entries, 0 removes one, delete removes one. */
	put(fx->st, NULL, "Q04", 1001);	 /* was 1004 */
	put(fx->st, NULL, "Q00", 0);	 /* was 1000 */
	put(fx->st, NULL, "ZERO1", 999); /* was unscheduled */
	assert_int_equal(
	    store_del_message(fx->st, NULL, "postfix", "Q05", err, sizeof(err)),
	    STORE_OK);
	s = walk_ids(fx->st, 1000, 0);
	assert_int_equal(s->n, 1 + 8);
	assert_string_equal(s->qids[0], "ZERO1");
	assert_true(s->nexts[0] == 999);
	for (size_t i = 0; i < s->n; i++) {
		assert_string_not_equal(s->qids[i], "Q00");
		assert_string_not_equal(s->qids[i], "Q05");
	}
	free(s);
	assert_ids_match(fx->st, 1000, 0);
	assert_ids_match(fx->st, 1001, 0);
	assert_ids_match(fx->st, INT64_MAX, 0);
	assert_ids_match(fx->st, INT64_MAX, 10);
}

/* The same queue id under two MTAs: two messages, each with its MTA. */
static void test_due_ids_two_mtas(void **state)
{
	struct store_fx *fx = *state;
	struct store_message *m = mk_msg("1xXQMR-0004tV-1a", 50, 1);
	struct ids_seen *s;
	char err[512];

	assert_int_equal(store_put_message(fx->st, NULL, m, err, sizeof(err)),
			 STORE_OK);
	strcpy(m->mta, "exim");
	assert_int_equal(store_put_message(fx->st, NULL, m, err, sizeof(err)),
			 STORE_OK);
	store_message_free(m);
	s = walk_ids(fx->st, 50, 0);
	assert_int_equal(s->n, 2);
	assert_string_equal(s->mtas[0], "exim"); /* "exim\0" < "postfix\0" */
	assert_string_equal(s->mtas[1], "postfix");
	assert_string_equal(s->qids[0], "1xXQMR-0004tV-1a");
	assert_string_equal(s->qids[1], "1xXQMR-0004tV-1a");
	free(s);
}

/*
 * More than a read batch, in one second and across seconds: each id
 * once, in order, resumed exactly; also when the callback deletes or
 * reschedules what it is handed (the last key read is then gone when the
 * next batch resumes).
 */
static void test_due_ids_many_and_writing_callbacks(void **state)
{
	struct store_fx *fx = *state;
	struct store_txn *txn;
	struct ids_seen *s;
	char qid[32], err[512];
	const int n = 2 * LIMIT_STORE_DUE_BATCH + 500;

	assert_int_equal(store_txn_begin(fx->st, &txn, err, sizeof(err)),
			 STORE_OK);
	for (int i = 0; i < n; i++) {
		snprintf(qid, sizeof(qid), "M%05d", (i * 7919) % n);
		/* Most in one second, so batches end inside it. */
		put(fx->st, txn, qid, i % 10 == 0 ? 3001 : 3000);
	}
	assert_int_equal(store_txn_commit(txn, err, sizeof(err)), STORE_OK);
	s = walk_ids(fx->st, 3001, 0);
	assert_int_equal(s->n, n);
	assert_true(s->ordered);
	for (size_t i = 1; i < s->n; i++)
		if (s->nexts[i] == s->nexts[i - 1])
			assert_true(strcmp(s->qids[i - 1], s->qids[i]) < 0);
	free(s);
	assert_ids_match(fx->st, 3001, 0);
	assert_ids_match(fx->st, 3000, 0);
	assert_ids_match(fx->st, 3001, LIMIT_STORE_DUE_BATCH + 1);
	s = walk_ids(fx->st, 3001, LIMIT_STORE_DUE_BATCH);
	assert_int_equal(s->n, LIMIT_STORE_DUE_BATCH);
	free(s);

	/* Stop value comes back. */
	s = calloc(1, sizeof(*s));
	s->stop_at = LIMIT_STORE_DUE_BATCH + 3;
	assert_int_equal(
	    store_walk_due_ids(fx->st, 3001, 0, ids_seen, s, err, sizeof(err)),
	    7);
	assert_int_equal(s->n, LIMIT_STORE_DUE_BATCH + 3);
	free(s);

	/* Reschedule everything past due_by while walking: each once. */
	s = calloc(1, sizeof(*s));
	s->ordered = 1;
	s->st = fx->st;
	s->move_to = 5000;
	assert_int_equal(
	    store_walk_due_ids(fx->st, 3001, 0, ids_seen, s, err, sizeof(err)),
	    STORE_OK);
	assert_int_equal(s->n, n);
	free(s);
	s = walk_ids(fx->st, 4999, 0);
	assert_int_equal(s->n, 0);
	free(s);

	/* Delete everything while walking: each once, nothing left. */
	s = calloc(1, sizeof(*s));
	s->ordered = 1;
	s->st = fx->st;
	s->del = 1;
	assert_int_equal(
	    store_walk_due_ids(fx->st, 5000, 0, ids_seen, s, err, sizeof(err)),
	    STORE_OK);
	assert_int_equal(s->n, n);
	for (size_t i = 1; i < s->n; i++)
		assert_true(strcmp(s->qids[i - 1], s->qids[i]) < 0);
	free(s);
	s = walk_ids(fx->st, INT64_MAX, 0);
	assert_int_equal(s->n, 0);
	free(s);
	assert_index_agrees(fx->st);

	/* A batch ends on the last entry of a second, which the callback
	 * deletes: the next batch starts at the next second. */
	assert_int_equal(store_txn_begin(fx->st, &txn, err, sizeof(err)),
			 STORE_OK);
	for (int i = 0; i < LIMIT_STORE_DUE_BATCH + 10; i++) {
		snprintf(qid, sizeof(qid), "E%05d", i);
		put(fx->st, txn, qid, i < LIMIT_STORE_DUE_BATCH ? 6000 : 6001);
	}
	assert_int_equal(store_txn_commit(txn, err, sizeof(err)), STORE_OK);
	s = calloc(1, sizeof(*s));
	s->ordered = 1;
	s->st = fx->st;
	s->del = 1;
	assert_int_equal(
	    store_walk_due_ids(fx->st, 6001, 0, ids_seen, s, err, sizeof(err)),
	    STORE_OK);
	assert_int_equal(s->n, LIMIT_STORE_DUE_BATCH + 10);
	assert_true(s->nexts[LIMIT_STORE_DUE_BATCH] == 6001);
	free(s);
}

/*
 * A record that does not decode: walk_due skips it, the ids walk lists
 * it (it reads no record) and store_get_message refuses it.
 */
static void test_due_ids_bad_record_listed(void **state)
{
	struct store_fx *fx = *state;
	struct store *st = fx->st;
	struct ids_seen *s;
	struct seen *full;
	DBT k, v;
	uint8_t junk[] = {STORE_FORMAT_VERSION, 0, 0, 0, 0, 0, 0, 0, 20, 0xff};

	put(st, NULL, "GOOD1", 10);
	put(st, NULL, "GOOD2", 30);
	memset(&k, 0, sizeof(k));
	memset(&v, 0, sizeof(v));
	k.data = "postfix\0BAD";
	k.size = 11;
	v.data = junk;
	v.size = sizeof(junk);
	assert_int_equal(
	    st->messages->put(st->messages, NULL, &k, &v, DB_AUTO_COMMIT), 0);
	s = walk_ids(st, 100, 0);
	assert_int_equal(s->n, 3);
	assert_string_equal(s->qids[0], "GOOD1");
	assert_string_equal(s->qids[1], "BAD");
	assert_true(s->nexts[1] == 20);
	assert_string_equal(s->qids[2], "GOOD2");
	free(s);
	full = walk_due(st, 100, 0);
	assert_int_equal(full->n, 2);
	free(full);
}

/* ---- evidence ---- */

struct ev_seen {
	size_t n;
	int64_t times[LIMIT_EVIDENCE_PER_RCPT + 10];
	char texts[LIMIT_EVIDENCE_PER_RCPT + 10][16];
	char addr[LIMIT_ADDRESS + 1];
	int wrong_addr;
};

static int ev_seen(const struct store_evidence *ev, void *arg)
{
	struct ev_seen *s = arg;

	if (strcmp(ev->address, s->addr) != 0)
		s->wrong_addr = 1;
	if (s->n < LIMIT_EVIDENCE_PER_RCPT + 10) {
		s->times[s->n] = ev->time;
		snprintf(s->texts[s->n], sizeof(s->texts[0]), "%.15s",
			 ev->text);
	}
	s->n++;
	return 0;
}

static void add_ev(struct store *st, struct store_txn *txn, const char *addr,
		   int64_t t, const char *text)
{
	struct store_evidence ev;
	char err[512];

	memset(&ev, 0, sizeof(ev));
	snprintf(ev.address, sizeof(ev.address), "%s", addr);
	ev.time = t;
	strcpy(ev.queue_id, "3F2A1B9C0D");
	strcpy(ev.host_id, "mx-out-1");
	strcpy(ev.verdict, "healthy");
	ev.outcome = STORE_OUTCOME_BOUNCED;
	strcpy(ev.dsn, "5.1.1");
	snprintf(ev.text, sizeof(ev.text), "%s", text);
	strcpy(ev.category, "mailbox-unknown");
	strcpy(ev.dns, "mta=ok ind=ok auth=ok");
	if (store_add_evidence(st, txn, &ev, err, sizeof(err)) != STORE_OK)
		fail_msg("add evidence: %s", err);
}

static struct ev_seen *walk_ev(struct store *st, const char *addr)
{
	struct ev_seen *s = calloc(1, sizeof(*s));
	char err[512];

	snprintf(s->addr, sizeof(s->addr), "%s", addr);
	assert_int_equal(
	    store_walk_evidence(st, addr, ev_seen, s, err, sizeof(err)),
	    STORE_OK);
	assert_false(s->wrong_addr);
	return s;
}

static void test_evidence_order(void **state)
{
	struct store_fx *fx = *state;
	struct ev_seen *s;

	add_ev(fx->st, NULL, "a@x.test", 200, "a200-1");
	add_ev(fx->st, NULL, "a@x.tes", 100, "prefix-only");
	add_ev(fx->st, NULL, "a@x.testy", 50, "longer");
	add_ev(fx->st, NULL, "a@x.test", 100, "a100-1");
	add_ev(fx->st, NULL, "a@x.test", 200, "a200-2");
	add_ev(fx->st, NULL, "a@x.test", 100, "a100-2");
	add_ev(fx->st, NULL, "a@x.test", 100, "a100-3");
	add_ev(fx->st, NULL, "b@x.test", 150, "b");
	s = walk_ev(fx->st, "a@x.test");
	assert_int_equal(s->n, 5);
	assert_string_equal(s->texts[0], "a100-1");
	assert_string_equal(s->texts[1], "a100-2");
	assert_string_equal(s->texts[2], "a100-3");
	assert_string_equal(s->texts[3], "a200-1");
	assert_string_equal(s->texts[4], "a200-2");
	free(s);
	s = walk_ev(fx->st, "a@x.tes");
	assert_int_equal(s->n, 1);
	free(s);
	s = walk_ev(fx->st, "nobody@x.test");
	assert_int_equal(s->n, 0);
	free(s);
}

static void test_evidence_prune(void **state)
{
	struct store_fx *fx = *state;
	struct store_txn *txn;
	struct ev_seen *s;
	char text[16], err[512];

	/* the next address in key order: never counted as this one's */
	for (int i = 0; i < 3; i++)
		add_ev(fx->st, NULL, "full@x.test2", 1000 + i, "next");
	assert_int_equal(store_txn_begin(fx->st, &txn, err, sizeof(err)),
			 STORE_OK);
	for (int i = 0; i < LIMIT_EVIDENCE_PER_RCPT + 5; i++) {
		snprintf(text, sizeof(text), "e%d", i);
		add_ev(fx->st, txn, "full@x.test", 1000 + i / 3, text);
	}
	assert_int_equal(store_txn_commit(txn, err, sizeof(err)), STORE_OK);
	add_ev(fx->st, NULL, "other@x.test", 1, "other");
	s = walk_ev(fx->st, "full@x.test");
	assert_int_equal(s->n, LIMIT_EVIDENCE_PER_RCPT);
	assert_string_equal(s->texts[0], "e5"); /* e0..e4 pruned */
	assert_string_equal(s->texts[LIMIT_EVIDENCE_PER_RCPT - 1], "e1004");
	for (size_t i = 1; i < s->n; i++)
		assert_true(s->times[i - 1] <= s->times[i]);
	free(s);
	add_ev(fx->st, NULL, "full@x.test", 5000, "newest");
	s = walk_ev(fx->st, "full@x.test");
	assert_int_equal(s->n, LIMIT_EVIDENCE_PER_RCPT);
	assert_string_equal(s->texts[0], "e6");
	assert_string_equal(s->texts[LIMIT_EVIDENCE_PER_RCPT - 1], "newest");
	free(s);
	s = walk_ev(fx->st, "other@x.test");
	assert_int_equal(s->n, 1);
	free(s);
	s = walk_ev(fx->st, "full@x.test2");
	assert_int_equal(s->n, 3);
	free(s);
}

/* ---- domains, verifications, suppressed ---- */

static int count_domain(const struct store_domain *d, void *arg)
{
	(void)d;
	++*(int *)arg;
	return 0;
}

struct v_seen {
	int n;
	int64_t times[16];
	char domains[16][32];
};

static int v_seen(const struct store_verification *v, void *arg)
{
	struct v_seen *s = arg;

	s->times[s->n] = v->time;
	snprintf(s->domains[s->n], sizeof(s->domains[0]), "%.31s", v->domain);
	assert_non_null(strstr(v->answers, v->domain));
	s->n++;
	return 0;
}

static void test_domains_and_verifications(void **state)
{
	struct store_fx *fx = *state;
	struct store_domain d, got;
	struct store_verification v;
	struct v_seen vs;
	const char *names[] = {"hotmail.com", "live.com", "msn.com"};
	char answers[128], err[512];
	int n = 0;

	for (int i = 0; i < 3; i++) {
		memset(&d, 0, sizeof(d));
		strcpy(d.domain, names[i]);
		d.last_verified = 100 + i;
		strcpy(d.verdict, "healthy");
		strcpy(d.last_mx, "mx.example.test");
		assert_int_equal(
		    store_put_domain(fx->st, NULL, &d, err, sizeof(err)),
		    STORE_OK);
		for (int t = 0; t < 4; t++) {
			memset(&v, 0, sizeof(v));
			strcpy(v.domain, names[i]);
			v.time = 1000 + t * 10;
			strcpy(v.verdict, "local-path");
			snprintf(answers, sizeof(answers),
				 "{\"domain\":\"%s\",\"t\":%d}", names[i], t);
			v.answers = answers;
			assert_int_equal(store_add_verification(fx->st, NULL,
								&v, err,
								sizeof(err)),
					 STORE_OK);
		}
	}
	assert_int_equal(
	    store_get_domain(fx->st, NULL, "live.com", &got, err, sizeof(err)),
	    STORE_OK);
	assert_true(got.last_verified == 101);
	assert_string_equal(got.last_mx, "mx.example.test");
	assert_int_equal(store_get_domain(fx->st, NULL, "outlook.com", &got,
					  err, sizeof(err)),
			 STORE_NOTFOUND);
	assert_int_equal(
	    store_walk_domains(fx->st, count_domain, &n, err, sizeof(err)),
	    STORE_OK);
	assert_int_equal(n, 3);

	memset(&vs, 0, sizeof(vs));
	assert_int_equal(store_walk_verifications(fx->st, "live.com", 1015,
						  v_seen, &vs, err,
						  sizeof(err)),
			 STORE_OK);
	assert_int_equal(vs.n, 2);
	assert_true(vs.times[0] == 1020 && vs.times[1] == 1030);
	assert_string_equal(vs.domains[0], "live.com");
	memset(&vs, 0, sizeof(vs));
	assert_int_equal(store_walk_verifications(fx->st, NULL, 1030, v_seen,
						  &vs, err, sizeof(err)),
			 STORE_OK);
	assert_int_equal(vs.n, 3);
	memset(&vs, 0, sizeof(vs));
	assert_int_equal(store_walk_verifications(fx->st, "live.co", 0, v_seen,
						  &vs, err, sizeof(err)),
			 STORE_OK);
	assert_int_equal(vs.n, 0);
}

static int count_supp(const struct store_suppressed *s, void *arg)
{
	(void)s;
	++*(int *)arg;
	return 0;
}

static void test_suppressed(void **state)
{
	struct store_fx *fx = *state;
	struct store_suppressed s, got;
	char err[512];
	int n = 0;

	memset(&s, 0, sizeof(s));
	strcpy(s.address, "gone@hotmail.com");
	s.time = 1700000000;
	strcpy(s.reason, "5.1.1 x3 over 24h, DNS healthy");
	strcpy(s.evidence, "3 attempts");
	assert_int_equal(
	    store_put_suppressed(fx->st, NULL, &s, err, sizeof(err)), STORE_OK);
	strcpy(s.address, "gone2@hotmail.com");
	assert_int_equal(
	    store_put_suppressed(fx->st, NULL, &s, err, sizeof(err)), STORE_OK);
	assert_int_equal(store_get_suppressed(fx->st, NULL, "gone@hotmail.com",
					      &got, err, sizeof(err)),
			 STORE_OK);
	assert_string_equal(got.reason, s.reason);
	assert_int_equal(
	    store_walk_suppressed(fx->st, count_supp, &n, err, sizeof(err)),
	    STORE_OK);
	assert_int_equal(n, 2);
	assert_int_equal(store_del_suppressed(fx->st, NULL, "gone@hotmail.com",
					      err, sizeof(err)),
			 STORE_OK);
	assert_int_equal(store_get_suppressed(fx->st, NULL, "gone@hotmail.com",
					      &got, err, sizeof(err)),
			 STORE_NOTFOUND);
	assert_int_equal(store_del_suppressed(fx->st, NULL, "gone@hotmail.com",
					      err, sizeof(err)),
			 STORE_NOTFOUND);
	n = 0;
	assert_int_equal(
	    store_walk_suppressed(fx->st, count_supp, &n, err, sizeof(err)),
	    STORE_OK);
	assert_int_equal(n, 1);
}

/* A value that does not decode: walks skip it, get refuses it, it stays. */
static void test_bad_record_skipped_not_deleted(void **state)
{
	struct store_fx *fx = *state;
	struct store *st = fx->st;
	struct store_message *m;
	struct seen *s;
	DBT k, v;
	uint8_t junk[] = {STORE_FORMAT_VERSION, 0, 0, 0, 0, 0, 0, 0, 1, 0xff};
	char err[512];

	put(st, NULL, "GOOD1", 10);
	put(st, NULL, "GOOD2", 10);
	memset(&k, 0, sizeof(k));
	memset(&v, 0, sizeof(v));
	k.data = "postfix\0BAD";
	k.size = 11;
	v.data = junk;
	v.size = sizeof(junk);
	assert_int_equal(
	    st->messages->put(st->messages, NULL, &k, &v, DB_AUTO_COMMIT), 0);
	s = walk_all(st);
	assert_int_equal(s->n, 2);
	free(s);
	s = walk_due(st, 100, 0); /* indexed at 1, then skipped */
	assert_int_equal(s->n, 2);
	free(s);
	assert_int_equal(
	    store_get_message(st, NULL, "postfix", "BAD", &m, err, sizeof(err)),
	    STORE_ERROR);
	assert_non_null(
	    strstr(err, "messages: record postfix/BAD: bad format"));
	/* Still there. */
	memset(&v, 0, sizeof(v));
	v.flags = DB_DBT_MALLOC;
	assert_int_equal(st->messages->get(st->messages, NULL, &k, &v, 0), 0);
	assert_int_equal(v.size, sizeof(junk));
	free(v.data);
}

static void test_doomed_txn_refuses_commit(void **state)
{
	struct store_fx *fx = *state;
	struct store_txn *txn;
	char err[512];

	assert_int_equal(store_txn_begin(fx->st, &txn, err, sizeof(err)),
			 STORE_OK);
	put(fx->st, txn, "DOOM", 5);
	txn->doomed = 1; /* what store_run does after DB_LOCK_DEADLOCK */
	assert_int_equal(store_txn_commit(txn, err, sizeof(err)), STORE_RETRY);
	assert_int_equal(store_del_message(fx->st, NULL, "postfix", "DOOM", err,
					   sizeof(err)),
			 STORE_NOTFOUND);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f)                                                                   \
	cmocka_unit_test_setup_teardown(f, store_fx_setup, store_fx_teardown)
	    T(test_message_put_get_del),
	    T(test_due_walk_order_and_bounds),
	    T(test_due_walk_many_per_second),
	    T(test_walk_stops_on_callback),
	    T(test_batch_abort_then_commit),
	    T(test_due_ids_order_bounds_limit),
	    T(test_due_ids_two_mtas),
	    T(test_due_ids_many_and_writing_callbacks),
	    T(test_due_ids_bad_record_listed),
	    T(test_evidence_order),
	    T(test_evidence_prune),
	    T(test_domains_and_verifications),
	    T(test_suppressed),
	    T(test_bad_record_skipped_not_deleted),
	    T(test_doomed_txn_refuses_commit),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
