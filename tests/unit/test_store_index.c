/*
 * test_store_index - the secondary indexes (due.db, state.db) at open,
 * against a real Berkeley DB store in a temp dir: a store whose due
 * index is empty while messages.db is large (every message done, as
 * after a whole queue's recovery) opens again (it was refused with
 * "Lock table is out of available lock entries": the empty index was
 * rebuilt by walking every message in the open's one transaction); the
 * index still follows every put after that reopen; a store opened for
 * the first time builds its indexes from nothing.
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
#include "store_fx.h"

#define T0 1700000000LL
/* Done messages (~1 KB each): their pages far outnumber the lock
 * table's LIMIT_STORE_LOCKS entries, so one walk of them in one
 * transaction cannot hold its locks. */
#define MANY_DONE 80000
#define PER_TXN	  1000

static void put(struct store *st, struct store_txn *txn, unsigned n,
		enum store_msg_state s, int64_t next)
{
	struct store_message *m = store_message_new(1);
	char err[512];

	snprintf(m->mta, sizeof(m->mta), "postfix");
	snprintf(m->queue_id, sizeof(m->queue_id), "Q%08X", n);
	strcpy(m->domain, "example.test");
	m->state = s;
	m->arrival = m->first_failure = T0;
	m->adopted_at = T0 + 1;
	m->last_attempt = T0 + 2;
	m->next_attempt = next;
	memset(m->last_reason, 'r', LIMIT_REASON);
	m->last_reason[LIMIT_REASON] = '\0';
	m->nrcpts = 1;
	snprintf(m->rcpts[0].address, sizeof(m->rcpts[0].address),
		 "user%u@example.test", n);
	m->rcpts[0].state = STORE_RCPT_DELIVERED;
	snprintf(m->rcpts[0].reason, sizeof(m->rcpts[0].reason), "%u %.280s", n,
		 m->last_reason);
	if (store_put_message(st, txn, m, err, sizeof(err)) != STORE_OK)
		fail_msg("put %u: %s", n, err);
	store_message_free(m);
}

static int count_due(int64_t next, const char *mta, const char *qid, void *arg)
{
	(void)next;
	(void)mta;
	(void)qid;
	(*(unsigned *)arg)++;
	return 0;
}

static unsigned due_now(struct store *st)
{
	unsigned n = 0;
	char err[512];

	if (store_walk_due_ids(st, T0 + 1000, 100, count_due, &n, err,
			       sizeof(err)) != STORE_OK)
		fail_msg("walk due: %s", err);
	return n;
}

static void reopen(struct store_fx *fx)
{
	char err[512];

	store_close(fx->st);
	fx->st = NULL;
	if (store_open(fx->dir, STORE_OPEN_DAEMON, 0, &fx->st, err,
		       sizeof(err)) != STORE_OK)
		fail_msg("reopen: %s", err);
}

static void test_empty_due_index_large_store_reopens(void **state)
{
	struct store_fx *fx = *state;
	struct store_txn *txn;
	char err[512];

	for (unsigned n = 0; n < MANY_DONE; n += PER_TXN) {
		assert_int_equal(
		    store_txn_begin(fx->st, &txn, err, sizeof(err)), STORE_OK);
		for (unsigned i = n; i < n + PER_TXN; i++)
			put(fx->st, txn, i, STORE_MSG_DONE, 0);
		assert_int_equal(store_txn_commit(txn, err, sizeof(err)),
				 STORE_OK);
	}
	assert_int_equal(due_now(fx->st), 0);
	reopen(fx);
	assert_int_equal(due_now(fx->st), 0);
	/* the index still follows puts after the reopen */
	assert_int_equal(store_txn_begin(fx->st, &txn, err, sizeof(err)),
			 STORE_OK);
	put(fx->st, txn, MANY_DONE, STORE_MSG_HELD, T0 + 500);
	assert_int_equal(store_txn_commit(txn, err, sizeof(err)), STORE_OK);
	assert_int_equal(due_now(fx->st), 1);
	reopen(fx);
	assert_int_equal(due_now(fx->st), 1);
}

/* A new store: the indexes are made with the databases and follow. */
static void test_new_store_indexes(void **state)
{
	struct store_fx *fx = *state;
	struct store_txn *txn;
	char err[512];

	assert_int_equal(due_now(fx->st), 0);
	assert_int_equal(store_txn_begin(fx->st, &txn, err, sizeof(err)),
			 STORE_OK);
	put(fx->st, txn, 1, STORE_MSG_HELD, T0 + 500);
	put(fx->st, txn, 2, STORE_MSG_HELD, T0 + 5000);
	assert_int_equal(store_txn_commit(txn, err, sizeof(err)), STORE_OK);
	assert_int_equal(due_now(fx->st), 1);
	reopen(fx);
	assert_int_equal(due_now(fx->st), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		test_empty_due_index_large_store_reopens, store_fx_setup,
		store_fx_teardown),
	    cmocka_unit_test_setup_teardown(test_new_store_indexes,
					    store_fx_setup, store_fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
