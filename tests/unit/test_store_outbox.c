/*
 * test_store_outbox — the fleet outbox (store_outbox.c): records enter it
 * exactly when their transaction commits, seqs are unique and never
 * reused (even after draining or reopening), removal is idempotent, the
 * bound drops the oldest verifications and never evidence, and nothing
 * is queued on a store without the outbox enabled.
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

static void add_ev(struct store *st, struct store_txn *txn, const char *addr,
		   int64_t t)
{
	struct store_evidence *ev = calloc(1, sizeof(*ev));
	char err[512];

	snprintf(ev->address, sizeof(ev->address), "%s", addr);
	ev->time = t;
	ev->outcome = STORE_OUTCOME_DEFERRED;
	snprintf(ev->category, sizeof(ev->category), "mailbox-unknown");
	snprintf(ev->host_id, sizeof(ev->host_id), "hostA");
	assert_int_equal(store_add_evidence(st, txn, ev, err, sizeof(err)),
			 STORE_OK);
	free(ev);
}

static void add_v(struct store *st, const char *domain, int64_t t)
{
	struct store_verification v = {.time = t};
	char err[512];

	snprintf(v.domain, sizeof(v.domain), "%s", domain);
	snprintf(v.verdict, sizeof(v.verdict), "healthy");
	v.answers = "{\"answers\": []}";
	assert_int_equal(store_add_verification(st, NULL, &v, err, sizeof(err)),
			 STORE_OK);
}

struct seen {
	uint64_t seq[64];
	char what[64][80];
	size_t n;
};

static int seen_one(uint64_t seq, const struct store_evidence *ev,
		    const struct store_verification *v, void *arg)
{
	struct seen *s = arg;

	s->seq[s->n] = seq;
	snprintf(s->what[s->n], sizeof(s->what[0]), "%.40s@%lld",
		 ev ? ev->address : v->domain,
		 (long long)(ev ? ev->time : v->time));
	s->n++;
	return 0;
}

static void walk(struct store *st, enum store_outbox_kind k, struct seen *s)
{
	uint64_t seqs[64];
	size_t n;
	char err[512];

	memset(s, 0, sizeof(*s));
	assert_int_equal(store_outbox_walk(st, k, 64, seqs, &n, seen_one, s,
					   err, sizeof(err)),
			 STORE_OK);
	assert_int_equal(n, s->n);
}

static void test_not_enabled_queues_nothing(void **state)
{
	struct store_fx *fx = *state;
	struct store_outbox_stat os;
	char err[512];

	add_ev(fx->st, NULL, "a@x.test", 100);
	assert_int_equal(store_outbox_enable(fx->st, 0, err, sizeof(err)),
			 STORE_OK);
	assert_int_equal(store_outbox_stat(fx->st, &os, err, sizeof(err)),
			 STORE_OK);
	assert_int_equal(os.evidence, 0);
}

static void test_same_transaction(void **state)
{
	struct store_fx *fx = *state;
	struct store_outbox_stat os;
	struct store_txn *txn;
	struct seen s;
	char err[512];

	assert_int_equal(store_outbox_enable(fx->st, 0, err, sizeof(err)),
			 STORE_OK);
	/* aborted: neither the evidence nor its outbox copy */
	assert_int_equal(store_txn_begin(fx->st, &txn, err, sizeof(err)),
			 STORE_OK);
	add_ev(fx->st, txn, "gone@x.test", 100);
	store_txn_abort(txn);
	walk(fx->st, STORE_OUTBOX_EVIDENCE, &s);
	assert_int_equal(s.n, 0);
	/* committed: both, once each */
	assert_int_equal(store_txn_begin(fx->st, &txn, err, sizeof(err)),
			 STORE_OK);
	add_ev(fx->st, txn, "gone@x.test", 100);
	add_ev(fx->st, txn, "gone@x.test", 100); /* same second: seq 1 */
	assert_int_equal(store_txn_commit(txn, err, sizeof(err)), STORE_OK);
	add_v(fx->st, "x.test", 101);
	walk(fx->st, STORE_OUTBOX_EVIDENCE, &s);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.what[0], "gone@x.test@100");
	assert_true(s.seq[1] == s.seq[0] + 1);
	walk(fx->st, STORE_OUTBOX_VERIFICATION, &s);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.what[0], "x.test@101");
	assert_int_equal(store_outbox_stat(fx->st, &os, err, sizeof(err)),
			 STORE_OK);
	assert_int_equal(os.evidence, 2);
	assert_int_equal(os.verifications, 1);
}

static void test_remove_and_never_reuse(void **state)
{
	struct store_fx *fx = *state;
	struct store_outbox_stat os;
	struct seen s;
	uint64_t last;
	char err[512];

	assert_int_equal(store_outbox_enable(fx->st, 0, err, sizeof(err)),
			 STORE_OK);
	add_ev(fx->st, NULL, "a@x.test", 100);
	add_ev(fx->st, NULL, "b@x.test", 100);
	walk(fx->st, STORE_OUTBOX_EVIDENCE, &s);
	assert_int_equal(s.n, 2);
	last = s.seq[1];
	assert_int_equal(store_outbox_remove(fx->st, STORE_OUTBOX_EVIDENCE,
					     s.seq, s.n, err, sizeof(err)),
			 STORE_OK);
	/* removing again (another process shipped it too) is fine */
	assert_int_equal(store_outbox_remove(fx->st, STORE_OUTBOX_EVIDENCE,
					     s.seq, s.n, err, sizeof(err)),
			 STORE_OK);
	assert_int_equal(store_outbox_stat(fx->st, &os, err, sizeof(err)),
			 STORE_OK);
	assert_int_equal(os.evidence, 0);
	/* reopen: the next seq still follows the last one */
	store_close(fx->st);
	assert_int_equal(store_open(fx->dir, STORE_OPEN_DAEMON, 0, &fx->st, err,
				    sizeof(err)),
			 STORE_OK);
	assert_int_equal(store_outbox_enable(fx->st, 0, err, sizeof(err)),
			 STORE_OK);
	add_ev(fx->st, NULL, "c@x.test", 100);
	walk(fx->st, STORE_OUTBOX_EVIDENCE, &s);
	assert_int_equal(s.n, 1);
	assert_true(s.seq[0] == last + 1);
}

static void test_bound_drops_verifications_only(void **state)
{
	struct store_fx *fx = *state;
	struct store_outbox_stat os;
	struct seen s;
	char err[512];

	assert_int_equal(store_outbox_enable(fx->st, 4, err, sizeof(err)),
			 STORE_OK);
	add_v(fx->st, "v1.test", 1);
	add_v(fx->st, "v2.test", 2);
	add_ev(fx->st, NULL, "a@x.test", 3);
	add_ev(fx->st, NULL, "b@x.test", 4);
	/* full: a new evidence record drops the oldest verification */
	add_ev(fx->st, NULL, "c@x.test", 5);
	walk(fx->st, STORE_OUTBOX_VERIFICATION, &s);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.what[0], "v2.test@2");
	/* a new verification drops the older one */
	add_v(fx->st, "v3.test", 6);
	walk(fx->st, STORE_OUTBOX_VERIFICATION, &s);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.what[0], "v3.test@6");
	/* evidence only beyond the bound: kept, all of it */
	add_ev(fx->st, NULL, "d@x.test", 7);
	add_ev(fx->st, NULL, "e@x.test", 8);
	walk(fx->st, STORE_OUTBOX_EVIDENCE, &s);
	assert_int_equal(s.n, 5);
	walk(fx->st, STORE_OUTBOX_VERIFICATION, &s);
	assert_int_equal(s.n, 0);
	/* a verification arriving then is the one dropped */
	add_v(fx->st, "v4.test", 9);
	walk(fx->st, STORE_OUTBOX_VERIFICATION, &s);
	assert_int_equal(s.n, 0);
	assert_int_equal(store_outbox_stat(fx->st, &os, err, sizeof(err)),
			 STORE_OK);
	assert_int_equal(os.evidence, 5);
	assert_int_equal(os.dropped, 4); /* v1, v2, v3, v4 */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_not_enabled_queues_nothing,
					    store_fx_setup, store_fx_teardown),
	    cmocka_unit_test_setup_teardown(test_same_transaction,
					    store_fx_setup, store_fx_teardown),
	    cmocka_unit_test_setup_teardown(test_remove_and_never_reuse,
					    store_fx_setup, store_fx_teardown),
	    cmocka_unit_test_setup_teardown(test_bound_drops_verifications_only,
					    store_fx_setup, store_fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
