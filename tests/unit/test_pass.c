/*
 * test_pass - the daemon's pass against a real Berkeley DB store in a
 * temp dir, a scripted in-process MTA plugin (a test double of the
 * plugin interface, fake_mta.c), injected verdicts and a fixed clock.
 *
 * What is real: the store (store.c on disk), policy_load, backoff,
 * classifier, spawn (the hooks are real scripts that append their argv
 * to a file). What is faked: the MTA (listings and outcomes scripted
 * here) and the DNS verdicts (the pass's verify hook).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <errno.h>
#include <unistd.h>

#include "util/log.h"
#include "pass/pass.h"
#include "pass/pass_int.h"
#include "pass/pass_reconcile.h"
#include "store/store_int.h" /* the cache statistics of the cost test */
#include "fake_mta.h"
#include "pass_fx.h"

#define T0 1700000000LL

/* ---------- injected verdicts ---------- */

static int fake_verify(void *arg, const char *const *domains, size_t n,
		       int64_t now, struct verify_result *out, char *err,
		       size_t errlen)
{
	struct fake_dns *d = arg;

	d->calls++;
	for (size_t i = 0; i < n; i++) {
		struct verify_result *r = &out[i];
		struct verify_answer *a;

		memset(r, 0, sizeof(*r));
		snprintf(r->domain, sizeof(r->domain), "%s", domains[i]);
		r->checked_at = now;
		r->verdict = d->verdict;
		snprintf(r->detail, sizeof(r->detail), "scripted %s",
			 verify_verdict_name(d->verdict));
		snprintf(r->best_mx, sizeof(r->best_mx), "mx1.%s", domains[i]);
		r->queries = 2;
		a = &r->answers[r->nanswers++];
		a->role = VERIFY_ROLE_MTA;
		snprintf(a->server, sizeof(a->server), "127.0.9.54:53");
		a->transport = VERIFY_UDP;
		a->rcode = 0;
		a->neg_ttl = -1;
		a->kind = d->verdict == VERDICT_LOCAL_PATH ? VERIFY_KIND_NODATA
			  : d->verdict == VERDICT_NULL_MX  ? VERIFY_KIND_NULL_MX
							   : VERIFY_KIND_MX;
		if (a->kind == VERIFY_KIND_NODATA)
			a->neg_ttl = 300;
		a = &r->answers[r->nanswers++];
		a->role = VERIFY_ROLE_INDEPENDENT;
		snprintf(a->server, sizeof(a->server), "127.0.9.55:53");
		a->transport = VERIFY_UDP;
		a->rcode = 0;
		a->neg_ttl = -1;
		a->kind = d->verdict == VERDICT_NULL_MX ? VERIFY_KIND_NULL_MX
							: VERIFY_KIND_MX;
		a->nmx = 1;
		a->mx[0].preference = 10;
		snprintf(a->mx[0].host, sizeof(a->mx[0].host), "mx1.%s",
			 domains[i]);
		a->mx[0].naddrs = 1;
		a->ttl = 300;
	}
	return 0;
}

/* ---------- fixture ---------- */

static char *read_file(const char *path)
{
	static char buf[8192];
	FILE *fp = fopen(path, "r");
	size_t n;

	if (fp == NULL)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

static int fx_setup(void **state)
{
	struct fx *fx = fx_new("test_pass");
	char path[512], ini[4096];

	snprintf(path, sizeof(path), "%s/hook.sh", fx->dir);
	snprintf(ini, sizeof(ini), "#!/bin/sh\necho \"$*\" >> %s/hook.out\n",
		 fx->dir);
	fx_write_file(path, ini, 0755);
	snprintf(
	    ini, sizeof(ini),
	    "[retryd]\nmta = postfix\nstate_dir = %s/state\nplugin_dir = %s\n"
	    "scan_interval = 30s\nhost_id = test-host\n"
	    "[resolvers]\nmta = 127.0.9.54\nindependent = 127.0.9.55\n"
	    "verify_window = 60s\n"
	    "[backoff]\ntier = 0s every 5m\ntier = 1h every 15m "
	    "check-resolver\n"
	    "tier = 4h every 1h escalate\ngive_up = 5d\njitter = 0%%\n"
	    "[classifier]\n"
	    "rule = null-mx /nullMX|does not accept mail/i\n"
	    "rule = routing /no mail hosts|unable to route|Host or domain name "
	    "not found/i\n"
	    "rule = mailbox-unknown /user unknown|recipient not found/i\n"
	    "[hooks]\nflush_resolver = %s/hook.sh flush %%r %%d\n"
	    "escalate = %s/hook.sh escalate %%d %%f\n",
	    fx->dir, fx->dir, fx->dir, fx->dir);
	fx_start(fx, ini, fake_verify);
	*state = fx;
	return 0;
}

struct ev_list {
	struct store_evidence ev[16];
	size_t n;
};

static int ev_collect(const struct store_evidence *ev, void *arg)
{
	struct ev_list *l = arg;

	if (l->n < 16)
		l->ev[l->n++] = *ev;
	return 0;
}

static void fx_evidence(struct fx *fx, const char *addr, struct ev_list *l)
{
	char err[256];

	memset(l, 0, sizeof(*l));
	assert_int_equal(store_walk_evidence(fx->store, addr, ev_collect, l,
					     err, sizeof(err)),
			 STORE_OK);
}

#define ROUTING                                                                \
	"Host or domain name not found. Name service error for "               \
	"name=example.test type=A: Host found but no data record of "          \
	"requested type"
#define RCPT "user@example.test"
#define QID  "A1B2C3D4"

/* adopt at T0 (arrival T0-60), attempt at T0+300 */
static void fx_adopt_one(struct fx *fx)
{
	fake_add(&fx->mta, QID, RCPT, NULL, ROUTING, T0 - 60);
	assert_int_equal(pass_run(&fx->ctx, T0), 0);
	assert_int_equal(fx_state(fx, QID), STORE_MSG_HELD);
}

/* ---------- tests ---------- */

/* The domain watch: held mail not due is made due when its domain heals
 * (verified although nothing is due). A failing domain is verified
 * afresh at the next scan, not a verify_window later: its healing is seen
 * within a scan_interval (fails with a check only once per window). */
static void test_watch_heal_makes_due(void **state)
{
	struct fx *fx = *state;
	struct store_message *m;
	unsigned calls;

	fx->dns.verdict = VERDICT_DOMAIN;
	fake_add(&fx->mta, "CCCCCC01", "a@example.test", NULL, ROUTING,
		 T0 - 60);
	fake_add(&fx->mta, "CCCCCC02", "b@example.test", NULL, ROUTING,
		 T0 - 60);
	assert_int_equal(pass_run(&fx->ctx, T0), 0);
	assert_int_equal(fx->ctx.stats.adopted, 2);
	calls = fx->dns.calls;
	/* before the next scan: no new verification, nothing due */
	assert_int_equal(pass_run(&fx->ctx, T0 + 10), 0);
	assert_int_equal(fx->dns.calls, calls);
	assert_int_equal(fx->ctx.stats.capped, 0);
	/* the domain heals; one scan later (half the window, the stored
	 * verification still young): verified afresh, its held mail made
	 * due and released in that same pass (the due step follows the
	 * watch); all of it in one step: no next pass asked for */
	fx->dns.verdict = VERDICT_HEALTHY;
	assert_int_equal(pass_run(&fx->ctx, T0 + 30), 0);
	assert_true(fx->dns.calls > calls);
	assert_int_equal(fx->ctx.stats.due, 2);
	assert_int_equal(fx->ctx.stats.attempted, 2);
	assert_int_equal(fx->ctx.stats.capped, 0);
	m = fx_get(fx, "CCCCCC01");
	assert_non_null(m);
	assert_int_equal(m->state, STORE_MSG_ATTEMPTING);
	store_message_free(m);
	assert_int_equal(fx_state(fx, "CCCCCC02"), STORE_MSG_ATTEMPTING);
	assert_int_equal(pass_run(&fx->ctx, T0 + 31), 0);
	assert_int_equal(fx->ctx.stats.attempted, 0);
}

/* Failing watched domains verified before their window: at most
 * PASS_WATCH_EARLY a pass, the others at their window (the DNS cost of
 * watching stays bounded whatever the number of failing domains). */
static void test_watch_early_bounded(void **state)
{
	struct fx *fx = *state;
	const size_t n = PASS_WATCH_EARLY + 4;
	char id[16], rcpt[64];

	fx->dns.verdict = VERDICT_DOMAIN;
	for (size_t i = 0; i < n; i++) {
		snprintf(id, sizeof(id), "DDDD%04X", (unsigned)i);
		snprintf(rcpt, sizeof(rcpt), "u@d%zu.test", i);
		fake_add(&fx->mta, id, rcpt, NULL, ROUTING, T0 - 60);
	}
	assert_int_equal(pass_run(&fx->ctx, T0), 0);
	assert_int_equal(fx->ctx.stats.adopted, n);
	assert_int_equal(fx->ctx.watch.n, n);
	/* a scan later, half the window: only PASS_WATCH_EARLY afresh */
	assert_int_equal(pass_run(&fx->ctx, T0 + 30), 0);
	assert_int_equal(fx->ctx.stats.domains_verified, PASS_WATCH_EARLY);
	/* the window passed for the 4 others; 16 early ones again */
	assert_int_equal(pass_run(&fx->ctx, T0 + 60), 0);
	assert_int_equal(fx->ctx.stats.domains_verified, n);
}

static void test_adopt_holds_routing_only(void **state)
{
	struct fx *fx = *state;
	struct store_message *m;

	fake_add(&fx->mta, "BBBBBB01", "x@other.test", NULL,
		 "4.2.2 mailbox full", T0 - 60);
	fake_add(&fx->mta, "BBBBBB02", "y@example.test", NULL, ROUTING,
		 T0 - 60);
	fx->mta.msgs[1].held = 1; /* held by someone else: not ours */
	fx_adopt_one(fx);
	m = fx_get(fx, QID);
	assert_non_null(m);
	assert_int_equal(m->first_failure, T0 - 60);
	assert_string_equal(m->domain, "example.test");
	assert_int_equal(m->next_attempt, T0 + 300);
	assert_int_equal(m->rcpts[0].state, STORE_RCPT_PENDING);
	store_message_free(m);
	assert_int_equal(fake_count(&fx->mta, "hold"), 1);
	assert_string_equal(fake_last(&fx->mta, "hold")->ids, QID);
	assert_null(fx_get(fx, "BBBBBB01"));
	assert_null(fx_get(fx, "BBBBBB02"));
	assert_int_equal(fx->ctx.stats.adopted, 1);
	/* a second pass adopts nothing more and holds nothing again */
	assert_int_equal(pass_run(&fx->ctx, T0 + 30), 0);
	assert_int_equal(fake_count(&fx->mta, "hold"), 1);
	assert_int_equal(fake_count(&fx->mta, "release"), 0);
}

static void test_attempt_then_delivered(void **state)
{
	struct fx *fx = *state;
	struct ev_list evs;

	fx_adopt_one(fx);
	assert_int_equal(pass_run(&fx->ctx, T0 + 300), 0);
	assert_int_equal(fake_count(&fx->mta, "deliver"), 1);
	assert_int_equal(fx_state(fx, QID), STORE_MSG_ATTEMPTING);
	assert_int_equal(fx->ctx.stats.domains_verified, 1);
	fake_outcome(&fx->mta, QID, RCPT, MTA_OUTCOME_DELIVERED, "2.0.0",
		     "250 2.0.0 Ok: queued", T0 + 301);
	assert_int_equal(pass_run(&fx->ctx, T0 + 330), 0);
	assert_int_equal(fx_state(fx, QID), STORE_MSG_DONE);
	assert_int_equal(fx->ctx.stats.delivered, 1);
	fx_evidence(fx, RCPT, &evs);
	assert_int_equal(evs.n, 1);
	assert_int_equal(evs.ev[0].outcome, STORE_OUTCOME_DELIVERED);
	assert_string_equal(evs.ev[0].verdict, "healthy");
	assert_string_equal(evs.ev[0].host_id, "test-host");
	assert_string_equal(evs.ev[0].queue_id, QID);
	assert_non_null(strstr(evs.ev[0].dns, "127.0.9.55:53"));
	assert_int_equal(fake_count(&fx->mta, "giveback"), 0);
}

static void test_deferred_again_is_reheld_from_first_failure(void **state)
{
	struct fx *fx = *state;
	struct store_message *m;
	struct ev_list evs;

	fx_adopt_one(fx);
	assert_int_equal(pass_run(&fx->ctx, T0 + 300), 0);
	fake_find(&fx->mta, QID)->deferred = 1; /* back in the deferred queue */
	fake_outcome(&fx->mta, QID, RCPT, MTA_OUTCOME_DEFERRED, "4.4.4",
		     ROUTING, T0 + 301);
	assert_int_equal(pass_run(&fx->ctx, T0 + 330), 0);
	m = fx_get(fx, QID);
	assert_int_equal(m->state, STORE_MSG_HELD);
	assert_int_equal(m->first_failure, T0 - 60);
	assert_int_equal(m->next_attempt, T0 + 330 + 300);
	assert_int_equal(m->attempts, 1);
	store_message_free(m);
	assert_int_equal(fake_count(&fx->mta, "hold"), 2);
	fx_evidence(fx, RCPT, &evs);
	assert_int_equal(evs.n, 1);
	assert_int_equal(evs.ev[0].outcome, STORE_OUTCOME_DEFERRED);
	assert_string_equal(evs.ev[0].category, "routing");
	/* the domain watch's verification at adoption (T0), the due step's
	 * at T0+300, reused within verify_window at T0+330 */
	assert_int_equal(fx->dns.calls, 2);
}

static void test_local_path_runs_flush_hook(void **state)
{
	struct fx *fx = *state;
	char path[300];
	const char *out;

	fx->dns.verdict = VERDICT_LOCAL_PATH;
	fx_adopt_one(fx);
	assert_int_equal(pass_run(&fx->ctx, T0 + 300), 0);
	snprintf(path, sizeof(path), "%s/hook.out", fx->dir);
	out = read_file(path);
	assert_non_null(out);
	assert_string_equal(out, "flush 127.0.9.54:53 example.test\n");
	assert_int_equal(fake_count(&fx->mta, "deliver"), 1);
	assert_int_equal(fx_state(fx, QID), STORE_MSG_ATTEMPTING);
}

static void test_domain_and_outage_never_deliver(void **state)
{
	struct fx *fx = *state;
	enum verify_verdict v[2] = {VERDICT_DOMAIN, VERDICT_DNS_OUTAGE};
	struct ev_list evs;
	struct store_message *m;

	fx_adopt_one(fx);
	for (int i = 0; i < 2; i++) {
		int64_t t = T0 + 300 + i * 300;
		fx->dns.verdict = v[i];
		assert_int_equal(pass_run(&fx->ctx, t), 0);
		assert_int_equal(fake_count(&fx->mta, "deliver"), 0);
		m = fx_get(fx, QID);
		assert_int_equal(m->state, STORE_MSG_HELD);
		assert_int_equal(m->next_attempt, t + 300);
		assert_string_equal(m->last_verdict, verify_verdict_name(v[i]));
		store_message_free(m);
	}
	fx_evidence(fx, RCPT, &evs);
	assert_int_equal(evs.n, 2);
	assert_int_equal(evs.ev[0].outcome, STORE_OUTCOME_NONE);
	assert_string_equal(evs.ev[0].verdict, "domain");
	assert_string_equal(evs.ev[1].verdict, "dns-outage");
}

static void test_null_mx_bounces_after_commit(void **state)
{
	struct fx *fx = *state;
	const struct fake_call *c;
	struct ev_list evs;
	struct store_message *m;

	fx->dns.verdict = VERDICT_NULL_MX;
	fx_adopt_one(fx);
	/* a partial listing: the bounce waits */
	fx->mta.complete = 0;
	assert_int_equal(pass_run(&fx->ctx, T0 + 300), 0);
	assert_int_equal(fake_count(&fx->mta, "giveback"), 0);
	fx->mta.complete = 1;
	assert_int_equal(pass_run(&fx->ctx, T0 + 330), 0);
	c = fake_last(&fx->mta, "giveback");
	assert_non_null(c);
	assert_int_equal(c->how, MTA_GIVEBACK_BOUNCE);
	assert_int_equal(c->committed, 1);
	assert_int_equal(fake_count(&fx->mta, "deliver"), 0);
	m = fx_get(fx, QID);
	assert_int_equal(m->state, STORE_MSG_DONE);
	assert_int_equal(m->rcpts[0].state, STORE_RCPT_GIVEN_BACK);
	assert_non_null(strstr(m->last_reason, "giveback:bounce"));
	store_message_free(m);
	fx_evidence(fx, RCPT, &evs);
	assert_int_equal(evs.n, 1);
	assert_string_equal(evs.ev[0].verdict, "null-mx");
}

static void test_give_up_expires(void **state)
{
	struct fx *fx = *state;
	const struct fake_call *c;

	fx->dns.verdict = VERDICT_DOMAIN;
	fx_adopt_one(fx);
	assert_int_equal(pass_run(&fx->ctx, T0 + 5 * 86400 - 120), 0);
	assert_int_equal(fake_count(&fx->mta, "giveback"), 0);
	assert_int_equal(pass_run(&fx->ctx, T0 + 5 * 86400), 0);
	c = fake_last(&fx->mta, "giveback");
	assert_non_null(c);
	assert_int_equal(c->how, MTA_GIVEBACK_EXPIRE);
	assert_int_equal(c->committed, 1);
	assert_int_equal(fx_state(fx, QID), STORE_MSG_DONE);
	/* it left the queue: not adopted again, nothing else given back */
	assert_int_equal(pass_run(&fx->ctx, T0 + 5 * 86400 + 30), 0);
	assert_int_equal(fake_count(&fx->mta, "giveback"), 1);
}

/* max_hold: held 6d since adoption, give_up far off (its failure clock
 * restarted): released to the MTA, the record DONE, whatever the backoff */
static void test_max_hold_releases(void **state)
{
	struct fx *fx = *state;
	struct store_message *m = NULL;
	const struct fake_call *c;
	int64_t t = T0 + 6 * 86400;
	char err[256];

	fx->dns.verdict = VERDICT_DOMAIN;
	fx_adopt_one(fx);
	assert_int_equal(store_get_message(fx->store, NULL, fx->policy->mta,
					   QID, &m, err, sizeof(err)),
			 STORE_OK);
	m->first_failure = t - 600; /* give_up (5d) far off */
	m->next_attempt = t - 30;
	assert_int_equal(
	    store_put_message(fx->store, NULL, m, err, sizeof(err)), STORE_OK);
	store_message_free(m);
	m = NULL;
	assert_int_equal(pass_run(&fx->ctx, t - 30), 0); /* 6d - 30s: waits */
	assert_int_equal(fake_count(&fx->mta, "giveback"), 0);
	assert_int_equal(fx_state(fx, QID), STORE_MSG_HELD);
	assert_int_equal(pass_run(&fx->ctx, t + 600), 0);
	c = fake_last(&fx->mta, "giveback");
	assert_non_null(c);
	assert_string_equal(c->ids, QID);
	assert_int_equal(c->how, MTA_GIVEBACK_RELEASE);
	assert_int_equal(c->committed, 1);
	assert_int_equal(fake_count(&fx->mta, "deliver"), 0);
	assert_int_equal(fx_state(fx, QID), STORE_MSG_DONE);
	assert_int_equal(store_get_message(fx->store, NULL, fx->policy->mta,
					   QID, &m, err, sizeof(err)),
			 STORE_OK);
	assert_non_null(strstr(m->last_reason,
			       "giveback:release: max_hold reached (held for"));
	store_message_free(m);
	assert_int_equal(pass_run(&fx->ctx, t + 1200), 0);
	assert_int_equal(fake_count(&fx->mta, "giveback"), 1);
}

static void test_gone_needs_two_complete_listings(void **state)
{
	struct fx *fx = *state;

	fx_adopt_one(fx);
	fake_remove(&fx->mta, QID);
	fx->mta.complete = 0;
	for (int i = 1; i <= 3; i++) {
		assert_int_equal(pass_run(&fx->ctx, T0 + i), 0);
		assert_int_equal(fx_state(fx, QID), STORE_MSG_HELD);
	}
	fx->mta.complete = 1;
	assert_int_equal(pass_run(&fx->ctx, T0 + 10), 0);
	assert_int_equal(fx_state(fx, QID), STORE_MSG_HELD);
	fx->mta.complete = 0; /* a partial one in between changes nothing */
	assert_int_equal(pass_run(&fx->ctx, T0 + 11), 0);
	assert_int_equal(fx_state(fx, QID), STORE_MSG_HELD);
	fx->mta.complete = 1;
	assert_int_equal(pass_run(&fx->ctx, T0 + 12), 0);
	assert_int_equal(fx_state(fx, QID), STORE_MSG_DONE);
	assert_int_equal(fake_count(&fx->mta, "giveback"), 0);
}

static void test_reappearing_id_is_not_gone(void **state)
{
	struct fx *fx = *state;
	struct mta_message saved;

	fx_adopt_one(fx);
	saved = fx->mta.msgs[0];
	fake_remove(&fx->mta, QID);
	assert_int_equal(pass_run(&fx->ctx, T0 + 10), 0);
	fx->mta.msgs[0] = saved;
	fx->mta.msgs[0].rcpts = fx->mta.rcpts[0];
	fx->mta.n = 1;
	assert_int_equal(pass_run(&fx->ctx, T0 + 20), 0);
	fake_remove(&fx->mta, QID);
	assert_int_equal(pass_run(&fx->ctx, T0 + 30), 0);
	assert_int_equal(fx_state(fx, QID), STORE_MSG_HELD);
}

static void put_record(struct fx *fx, const char *id, enum store_msg_state st)
{
	struct store_message *m = store_message_new(1);
	char err[256];

	snprintf(m->mta, sizeof(m->mta), "%s", fx->policy->mta);
	snprintf(m->queue_id, sizeof(m->queue_id), "%s", id);
	snprintf(m->domain, sizeof(m->domain), "example.test");
	m->state = st;
	m->arrival = m->first_failure = m->adopted_at = T0 - 60;
	m->nrcpts = 1;
	snprintf(m->rcpts[0].address, sizeof(m->rcpts[0].address), RCPT);
	m->rcpts[0].state = STORE_RCPT_PENDING;
	assert_int_equal(
	    store_put_message(fx->store, NULL, m, err, sizeof(err)), STORE_OK);
	store_message_free(m);
}

static void test_crash_between_intent_and_hold(void **state)
{
	struct fx *fx = *state;
	struct store_message *m;

	/* crash after the intent commit, before the hold */
	put_record(fx, QID, STORE_MSG_ADOPT_INTENT);
	fake_add(&fx->mta, QID, RCPT, NULL, ROUTING, T0 - 60);
	/* crash after the hold, before HELD was recorded */
	put_record(fx, "C0FFEE01", STORE_MSG_ADOPT_INTENT);
	fake_add(&fx->mta, "C0FFEE01", RCPT, NULL, ROUTING, T0 - 60);
	fx->mta.msgs[1].held = 1;
	assert_int_equal(pass_run(&fx->ctx, T0), 0);
	assert_int_equal(fake_count(&fx->mta, "hold"), 1);
	assert_string_equal(fake_last(&fx->mta, "hold")->ids, QID);
	assert_int_equal(fx_state(fx, QID), STORE_MSG_HELD);
	m = fx_get(fx, "C0FFEE01");
	assert_int_equal(m->state, STORE_MSG_HELD);
	assert_true(m->next_attempt > T0);
	store_message_free(m);
	/* idempotent: nothing more on the next pass */
	assert_int_equal(pass_run(&fx->ctx, T0 + 1), 0);
	assert_int_equal(fake_count(&fx->mta, "hold"), 1);
}

static void test_giveback_intent_replayed(void **state)
{
	struct fx *fx = *state;
	struct store_message *m = NULL;
	const struct fake_call *c;
	char err[256];

	put_record(fx, QID, STORE_MSG_GIVEBACK_INTENT);
	assert_int_equal(store_get_message(fx->store, NULL, fx->policy->mta,
					   QID, &m, err, sizeof(err)),
			 STORE_OK);
	snprintf(m->last_reason, sizeof(m->last_reason),
		 "giveback:expire: test");
	assert_int_equal(
	    store_put_message(fx->store, NULL, m, err, sizeof(err)), STORE_OK);
	store_message_free(m);
	fake_add(&fx->mta, QID, RCPT, NULL, ROUTING, T0 - 60);
	fx->mta.msgs[0].held = 1;
	fx->mta.complete = 0;
	assert_int_equal(pass_run(&fx->ctx, T0), 0);
	assert_int_equal(fake_count(&fx->mta, "giveback"), 0);
	fx->mta.complete = 1;
	assert_int_equal(pass_run(&fx->ctx, T0 + 1), 0);
	c = fake_last(&fx->mta, "giveback");
	assert_non_null(c);
	assert_int_equal(c->how, MTA_GIVEBACK_EXPIRE);
	assert_int_equal(fx_state(fx, QID), STORE_MSG_DONE);
}

static void test_found_released_is_held_again(void **state)
{
	struct fx *fx = *state;

	fx_adopt_one(fx);
	fake_find(&fx->mta, QID)->held = 0; /* someone ran postsuper -H */
	assert_int_equal(pass_run(&fx->ctx, T0 + 30), 0);
	assert_int_equal(fake_count(&fx->mta, "hold"), 2);
	assert_int_equal(fx_state(fx, QID), STORE_MSG_HELD);
	assert_int_equal(fx->ctx.stats.adopted, 0);
}

static void test_no_outcome_then_listing_decides(void **state)
{
	struct fx *fx = *state;

	fx_adopt_one(fx);
	assert_int_equal(pass_run(&fx->ctx, T0 + 300), 0);
	fake_find(&fx->mta, QID)->deferred = 1; /* deferred, outcome lost */
	assert_int_equal(pass_run(&fx->ctx, T0 + 330), 0);
	assert_int_equal(fx_state(fx, QID), STORE_MSG_ATTEMPTING); /* waits */
	assert_int_equal(pass_run(&fx->ctx, T0 + 300 + 61), 0);
	assert_int_equal(fx_state(fx, QID), STORE_MSG_HELD);
	assert_int_equal(fake_count(&fx->mta, "hold"), 2);
}

static void test_escalate_once_with_report(void **state)
{
	struct fx *fx = *state;
	char path[300], *out, file[300];

	fx->dns.verdict = VERDICT_DOMAIN;
	fake_add(&fx->mta, QID, RCPT, NULL, ROUTING, T0 - 5 * 3600);
	assert_int_equal(pass_run(&fx->ctx, T0), 0);
	assert_int_equal(pass_run(&fx->ctx, T0 + 3600), 0);
	assert_int_equal(pass_run(&fx->ctx, T0 + 7200), 0);
	pass_hooks_wait(&fx->ctx, 10000); /* escalate runs beside the pass */
	snprintf(path, sizeof(path), "%s/hook.out", fx->dir);
	out = read_file(path);
	assert_non_null(out);
	assert_int_equal(sscanf(out, "escalate example.test %299s", file), 1);
	assert_null(strstr(out + 1, "\nescalate")); /* once */
	out = read_file(file);
	assert_non_null(out);
	/* the full proof bundle of report.h, with the stored answers */
	if (strstr(out, "retryd proof report") == NULL ||
	    strstr(out, "example.test") == NULL ||
	    strstr(out, "127.0.9.55:53") == NULL)
		fprintf(stderr, "report was:\n%s\n", out);
	assert_non_null(strstr(out, "retryd proof report"));
	assert_non_null(strstr(out, "scope:      domain example.test"));
	assert_non_null(strstr(out, " domain x"));
	assert_non_null(strstr(out, "127.0.9.55:53"));
}

static void test_clock_jump_back_is_clamped(void **state)
{
	struct fx *fx = *state;
	struct store_message *m;
	int64_t back = T0 - 30 * 86400;

	fx->dns.verdict = VERDICT_DOMAIN;
	fx_adopt_one(fx);
	assert_int_equal(pass_run(&fx->ctx, back), 0);
	m = fx_get(fx, QID);
	assert_true(m->next_attempt <= back + 3600 + 1);
	store_message_free(m);
}

/* Fill the file system holding @param dir. @return the filler's path. */
static void fill_disk(const char *path)
{
	static char block[65536];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	memset(block, 'x', sizeof(block));
	while (write(fd, block, sizeof(block)) > 0)
		;
	/* the last partial blocks too */
	while (write(fd, block, 512) > 0)
		;
	close(fd);
}

/*
 * Rewrite one unrelated domain record until the store says ENOSPC: a
 * full file system still takes a commit whose log records fit the log
 * file's last page, so the pass's first failing write would depend on
 * the log's layout. The same record each time: only the log grows (new
 * cache pages in the mapped region of a full tmpfs would be SIGBUS).
 * After one ENOSPC every commit fails until space is back.
 */
static void fill_store_log(struct store *st)
{
	struct store_domain d;
	char err[512];
	int rc = STORE_OK;

	memset(&d, 0, sizeof(d));
	snprintf(d.domain, sizeof(d.domain), "filler.invalid");
	snprintf(d.verdict, sizeof(d.verdict), "healthy");
	for (int i = 0; i < 100000 && rc == STORE_OK; i++) {
		d.last_verified = T0 + i;
		rc = store_put_domain(st, NULL, &d, err, sizeof(err));
	}
	assert_int_equal(rc, STORE_NOSPACE);
}

static void test_store_full_releases_and_resumes(void **state)
{
	struct fx *fx = *state;
	char small[300], statedir[320], filler[320], err[1024];
	struct store *st = NULL;

	snprintf(small, sizeof(small), "%s/small", fx->dir);
	mkdir(small, 0700);
	if (unshare(CLONE_NEWNS) < 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("tmpfs", small, "tmpfs", 0, "size=32m") < 0)
		skip(); /* needs root and mount namespaces */
	snprintf(statedir, sizeof(statedir), "%s/state", small);
	snprintf(filler, sizeof(filler), "%s/filler", small);
	mkdir(statedir, 0700);
	assert_int_equal(store_open(statedir, STORE_OPEN_DAEMON, 1u << 20, &st,
				    err, sizeof(err)),
			 STORE_OK);
	fx->ctx.store = st;
	fx->mta.store = st;
	fake_add(&fx->mta, QID, RCPT, NULL, ROUTING, T0 - 60);
	assert_int_equal(pass_run(&fx->ctx, T0), 0);
	assert_int_equal(fake_count(&fx->mta, "hold"), 1);

	fill_disk(filler);
	fill_store_log(st);
	fake_add(&fx->mta, "DDDDDD01", "z@example.test", NULL, ROUTING,
		 T0 - 60);
	assert_int_equal(pass_run(&fx->ctx, T0 + 300), 0);
	assert_int_equal(fx->ctx.stats.nospace, 1);
	assert_int_equal(fx->ctx.stats.adopted, 0);
	assert_int_equal(fake_count(&fx->mta, "hold"),
			 1); /* new one not held */
	assert_int_equal(fake_count(&fx->mta, "deliver"), 0);
	assert_int_equal(fake_count(&fx->mta, "release"),
			 1); /* due one given back */
	assert_string_equal(fake_last(&fx->mta, "release")->ids, QID);

	unlink(filler);
	assert_int_equal(pass_run(&fx->ctx, T0 + 330), 0);
	assert_int_equal(fx->ctx.stats.nospace, 0);
	assert_int_equal(fx->ctx.stats.adopted, 1); /* resumed */
	assert_int_equal(fx->ctx.stats.reheld, 1);  /* ours again */
	fx->ctx.store = fx->store;
	fx->mta.store = fx->store;
	store_close(st);
	umount2(small, MNT_DETACH);
}

/* ---------- scale: no walk over done messages; retention ---------- */

/* Berkeley DB page requests (cache hits + misses) so far. */
static uint64_t fx_page_gets(struct store *st)
{
	DB_MPOOL_STAT *gsp = NULL;
	uint64_t n;

	assert_int_equal(st->env->memp_stat(st->env, &gsp, NULL, 0), 0);
	n = (uint64_t)gsp->st_cache_hit + gsp->st_cache_miss;
	free(gsp);
	return n;
}

/* A done (or any) record with the given times, in @param txn. */
static void put_done(struct fx *fx, struct store_txn *txn, const char *id,
		     const char *rcpt, int64_t adopted, int64_t last)
{
	struct store_message *m = store_message_new(1);
	char err[256];

	snprintf(m->mta, sizeof(m->mta), "%s", fx->policy->mta);
	snprintf(m->queue_id, sizeof(m->queue_id), "%s", id);
	snprintf(m->domain, sizeof(m->domain), "example.test");
	m->state = STORE_MSG_DONE;
	m->arrival = m->first_failure = adopted - 60;
	m->adopted_at = adopted;
	m->last_attempt = last;
	m->nrcpts = 1;
	snprintf(m->rcpts[0].address, sizeof(m->rcpts[0].address), "%s", rcpt);
	m->rcpts[0].state = STORE_RCPT_DELIVERED;
	snprintf(m->last_reason, sizeof(m->last_reason), "delivered");
	assert_int_equal(store_put_message(fx->store, txn, m, err, sizeof(err)),
			 STORE_OK);
	store_message_free(m);
}

/* @param n done messages with ids PREFIX%05X, finished at @param t. */
static void put_many_done(struct fx *fx, const char *prefix, size_t n,
			  int64_t t)
{
	struct store_txn *txn = NULL;
	char err[256], id[32];

	for (size_t i = 0; i < n; i++) {
		if (i % 1000 == 0) {
			if (txn)
				assert_int_equal(
				    store_txn_commit(txn, err, sizeof(err)),
				    STORE_OK);
			assert_int_equal(
			    store_txn_begin(fx->store, &txn, err, sizeof(err)),
			    STORE_OK);
		}
		snprintf(id, sizeof(id), "%s%05zX", prefix, i);
		put_done(fx, txn, id, "old@example.test", t, t);
	}
	if (txn)
		assert_int_equal(store_txn_commit(txn, err, sizeof(err)),
				 STORE_OK);
}

static int count_msg(const struct store_message *m, void *arg)
{
	(*(size_t *)arg)++;
	return 0;
}

#define LIVE_N 8

/*
 * The pass reads the same number of store pages with 10,000 done
 * messages in the store as with none (it walks the live ids of the state
 * index, not the messages), while one walk over the messages reads
 * hundreds more: the measure is sensitive. Then gone detection and the
 * replay of an intent still work among the done records.
 */
static void test_pass_cost_ignores_done(void **state)
{
	struct fx *fx = *state;
	uint64_t g0, p_empty, p_full, walk;
	size_t nmsg = 0;
	char err[256], id[16];

	for (int i = 0; i < LIVE_N; i++) {
		snprintf(id, sizeof(id), "%X%07X", 1 + i * 2, i);
		fake_add(&fx->mta, id, RCPT, NULL, ROUTING, T0 - 60);
	}
	assert_int_equal(pass_run(&fx->ctx, T0), 0);
	assert_int_equal(fx->ctx.stats.adopted, LIVE_N);
	assert_int_equal(pass_run(&fx->ctx, T0 + 1), 0);
	g0 = fx_page_gets(fx->store);
	assert_int_equal(pass_run(&fx->ctx, T0 + 2), 0);
	p_empty = fx_page_gets(fx->store) - g0;

	/* done ones all around the live keys, finished an hour ago */
	put_many_done(fx, "", 10000, T0 - 3600);
	assert_int_equal(pass_run(&fx->ctx, T0 + 3), 0);
	g0 = fx_page_gets(fx->store);
	assert_int_equal(pass_run(&fx->ctx, T0 + 4), 0);
	p_full = fx_page_gets(fx->store) - g0;
	assert_int_equal(fx->ctx.stats.expired, 0); /* not old enough */

	g0 = fx_page_gets(fx->store);
	assert_int_equal(
	    store_walk_messages(fx->store, count_msg, &nmsg, err, sizeof(err)),
	    STORE_OK);
	walk = fx_page_gets(fx->store) - g0;
	assert_int_equal(nmsg, 10000 + LIVE_N);
	print_message("page gets: pass %llu (no done), %llu (10,000 done); "
		      "one walk over the messages %llu\n",
		      (unsigned long long)p_empty, (unsigned long long)p_full,
		      (unsigned long long)walk);
	/* the index trees are a level deeper; nothing grows with the count */
	assert_true(walk >= 5000);
	assert_true(p_full <= p_empty + p_empty / 2);
	assert_true(p_full * 50 < walk);

	/* gone still needs two complete listings, among the done ones */
	snprintf(id, sizeof(id), "%X%07X", 1, 0);
	fake_remove(&fx->mta, id);
	assert_int_equal(pass_run(&fx->ctx, T0 + 5), 0);
	assert_int_equal(fx_state(fx, id), STORE_MSG_HELD);
	assert_int_equal(pass_run(&fx->ctx, T0 + 6), 0);
	assert_int_equal(fx_state(fx, id), STORE_MSG_DONE);
	assert_int_equal(fx->ctx.stats.gone, 1);
	/* an intent (crash after the hold) is replayed among them */
	put_record(fx, "C0FFEE01", STORE_MSG_ADOPT_INTENT);
	fake_add(&fx->mta, "C0FFEE01", RCPT, NULL, ROUTING, T0 - 60);
	fake_find(&fx->mta, "C0FFEE01")->held = 1;
	assert_int_equal(pass_run(&fx->ctx, T0 + 7), 0);
	assert_int_equal(fx_state(fx, "C0FFEE01"), STORE_MSG_HELD);
	assert_int_equal(fx->ctx.stats.adopted, 0);
}

static void add_verification(struct fx *fx, const char *domain, int64_t t)
{
	struct store_verification v;
	char err[256];

	memset(&v, 0, sizeof(v));
	snprintf(v.domain, sizeof(v.domain), "%s", domain);
	v.time = t;
	snprintf(v.verdict, sizeof(v.verdict), "healthy");
	v.answers = "{}";
	assert_int_equal(
	    store_add_verification(fx->store, NULL, &v, err, sizeof(err)),
	    STORE_OK);
}

static int count_ver(const struct store_verification *v, void *arg)
{
	(*(size_t *)arg)++;
	return 0;
}

static size_t fx_verifications(struct fx *fx, const char *domain)
{
	size_t n = 0;
	char err[256];

	assert_int_equal(store_walk_verifications(fx->store, domain, 0,
						  count_ver, &n, err,
						  sizeof(err)),
			 STORE_OK);
	return n;
}

/*
 * Retention deletes exactly the done messages older than LIMIT_KEEP_DONE
 * + give_up, LIMIT_RETENTION_BATCH per pass; never a live one, a recent
 * done one, evidence or a suppressed address; and verifications older
 * than LIMIT_KEEP_VERIFICATIONS.
 */
static void test_retention_deletes_only_old_done(void **state)
{
	struct fx *fx = *state;
	int64_t keep = pass_retention_keep_done(fx->policy);
	int64_t now = T0 + 60 * 86400;
	struct store_suppressed sup;
	struct store_evidence ev;
	struct store_message *m;
	struct ev_list evs;
	size_t nmsg = 0;
	char err[256];

	assert_int_equal(keep, LIMIT_KEEP_DONE + 5 * 86400);
	/* old enough: BATCH + 5 of them; one finished just inside the period */
	put_many_done(fx, "E", LIMIT_RETENTION_BATCH + 5, now - keep - 1);
	put_done(fx, NULL, "ABCDEF01", "kept@example.test", now - keep - 86400,
		 now - keep + 100); /* adopted long ago, attempted later */
	/* a live message adopted long ago, listed held: never retention's */
	fake_add(&fx->mta, "ABCDEF02", RCPT, NULL, ROUTING, now - 4 * 86400);
	assert_int_equal(pass_run(&fx->ctx, now - 4 * 86400 + 60), 0);
	assert_int_equal(fx_state(fx, "ABCDEF02"), STORE_MSG_HELD);
	/* the old ones' proof */
	memset(&ev, 0, sizeof(ev));
	snprintf(ev.address, sizeof(ev.address), "old@example.test");
	ev.time = now - keep - 10;
	snprintf(ev.queue_id, sizeof(ev.queue_id), "E00000");
	snprintf(ev.verdict, sizeof(ev.verdict), "healthy");
	ev.outcome = STORE_OUTCOME_BOUNCED;
	assert_int_equal(
	    store_add_evidence(fx->store, NULL, &ev, err, sizeof(err)),
	    STORE_OK);
	memset(&sup, 0, sizeof(sup));
	snprintf(sup.address, sizeof(sup.address), "old@example.test");
	sup.time = now - keep - 5;
	snprintf(sup.reason, sizeof(sup.reason), "test");
	assert_int_equal(
	    store_put_suppressed(fx->store, NULL, &sup, err, sizeof(err)),
	    STORE_OK);
	/* verifications: two too old, one recent */
	add_verification(fx, "example.test",
			 now - LIMIT_KEEP_VERIFICATIONS - 100);
	add_verification(fx, "example.test",
			 now - LIMIT_KEEP_VERIFICATIONS - 1);
	add_verification(fx, "other.test",
			 now - LIMIT_KEEP_VERIFICATIONS + 100);

	assert_int_equal(pass_run(&fx->ctx, now), 0);
	assert_int_equal(fx->ctx.stats.expired, LIMIT_RETENTION_BATCH);
	assert_int_equal(fx->ctx.stats.pruned, 2);
	assert_int_equal(pass_run(&fx->ctx, now + 30), 0);
	assert_int_equal(fx->ctx.stats.expired, 5);
	assert_int_equal(pass_run(&fx->ctx, now + 60), 0);
	assert_int_equal(fx->ctx.stats.expired, 0);

	assert_int_equal(
	    store_walk_messages(fx->store, count_msg, &nmsg, err, sizeof(err)),
	    STORE_OK);
	assert_int_equal(nmsg, 2); /* the recent done one and the live one */
	m = fx_get(fx, "ABCDEF01");
	assert_non_null(m);
	assert_int_equal(m->state, STORE_MSG_DONE);
	store_message_free(m);
	/* due at now: attempted, still live */
	assert_int_equal(fx_state(fx, "ABCDEF02"), STORE_MSG_ATTEMPTING);
	fx_evidence(fx, "old@example.test", &evs);
	assert_int_equal(evs.n, 1);
	assert_int_equal(store_get_suppressed(fx->store, NULL,
					      "old@example.test", &sup, err,
					      sizeof(err)),
			 STORE_OK);
	/* the two old ones went; the one this pass made for ABCDEF02 stays,
	 * with the domain watch's at adoption (now - 4d + 60); none after:
	 * the watch, rebuilt at now, has no held mail of the domain left */
	assert_int_equal(fx_verifications(fx, "example.test"), 2);
	assert_int_equal(fx_verifications(fx, "other.test"), 1);
	/* the kept one goes once it is old enough too */
	assert_int_equal(pass_run(&fx->ctx, now + 101), 0);
	assert_int_equal(fx->ctx.stats.expired, 1);
	assert_null(fx_get(fx, "ABCDEF01"));
}

static void test_reconcile_decide_table(void **state)
{
	struct reconcile_input in = {.state = STORE_MSG_HELD, .complete = 1};

	assert_int_equal(pass_reconcile_decide(&in), RECONCILE_NONE);
	in.missing_before = 1;
	assert_int_equal(pass_reconcile_decide(&in), RECONCILE_GONE);
	in.complete = 0;
	assert_int_equal(pass_reconcile_decide(&in), RECONCILE_NONE);
	in = (struct reconcile_input){
	    .state = STORE_MSG_HELD, .listed = 1, .deferred = 1, .complete = 0};
	assert_int_equal(pass_reconcile_decide(&in), RECONCILE_REHOLD);
	in.nospace = 1;
	assert_int_equal(pass_reconcile_decide(&in), RECONCILE_NONE);
	in = (struct reconcile_input){
	    .state = STORE_MSG_GIVEBACK_INTENT, .listed = 1, .held = 1};
	assert_int_equal(pass_reconcile_decide(&in), RECONCILE_NONE);
	in.complete = 1;
	assert_int_equal(pass_reconcile_decide(&in), RECONCILE_GIVEBACK);
	in = (struct reconcile_input){
	    .state = STORE_MSG_RELEASE_INTENT, .listed = 1, .held = 1};
	assert_int_equal(pass_reconcile_decide(&in), RECONCILE_MARK_DUE);
	in.held = 0;
	assert_int_equal(pass_reconcile_decide(&in), RECONCILE_TO_ATTEMPTING);
	in = (struct reconcile_input){.state = STORE_MSG_ATTEMPTING,
				      .listed = 1,
				      .deferred = 1,
				      .now = 100,
				      .last_attempt = 90,
				      .outcome_wait = 60};
	assert_int_equal(pass_reconcile_decide(&in), RECONCILE_NONE);
	in.now = 200;
	assert_int_equal(pass_reconcile_decide(&in), RECONCILE_REHOLD);
	in = (struct reconcile_input){
	    .state = STORE_MSG_DONE, .complete = 1, .missing_before = 1};
	assert_int_equal(pass_reconcile_decide(&in), RECONCILE_NONE);
}

static void test_adopt_eligible_pure(void **state)
{
	struct fx *fx = *state;
	struct mta_rcpt r[2];
	struct mta_message m = {.deferred = 1, .nrcpts = 2, .rcpts = r};
	char dom[LIMIT_DOMAIN + 1];

	memset(r, 0, sizeof(r));
	snprintf(r[0].address, sizeof(r[0].address), "a@full.test");
	snprintf(r[0].reason, sizeof(r[0].reason), "mailbox full");
	snprintf(r[1].address, sizeof(r[1].address), "b@Route.TEST");
	snprintf(r[1].reason, sizeof(r[1].reason), "no mail hosts for domain");
	assert_int_equal(pass_adopt_eligible(fx->policy, fx->ctx.classifier, &m,
					     dom, sizeof(dom)),
			 1);
	assert_string_equal(dom, "route.test");
	m.held = 1;
	assert_int_equal(pass_adopt_eligible(fx->policy, fx->ctx.classifier, &m,
					     dom, sizeof(dom)),
			 0);
	m.held = 0;
	snprintf(r[1].reason, sizeof(r[1].reason),
		 "Domain does not accept mail (nullMX)");
	assert_int_equal(pass_adopt_eligible(fx->policy, fx->ctx.classifier, &m,
					     dom, sizeof(dom)),
			 0); /* null-mx outside a group */
	snprintf(r[1].address, sizeof(r[1].address), "bad@-bad..test");
	snprintf(r[1].reason, sizeof(r[1].reason), "no mail hosts");
	assert_int_equal(pass_adopt_eligible(fx->policy, fx->ctx.classifier, &m,
					     dom, sizeof(dom)),
			 0);
}

static void test_verification_json_round_trip(void **state)
{
	struct fake_dns d = {.verdict = VERDICT_LOCAL_PATH};
	const char *names[1] = {"example.test"};
	struct verify_result *a = calloc(1, sizeof(*a)),
			     *b = calloc(1, sizeof(*b));
	char sa[LIMIT_EVIDENCE_DNS + 1], sb[LIMIT_EVIDENCE_DNS + 1],
	    nodes[4][64];
	char *json;

	(void)state;
	fake_verify(&d, names, 1, T0, a, NULL, 0);
	json = verify_result_json(a);
	assert_non_null(json);
	assert_int_equal(pass_verify_from_json(json, b), 0);
	assert_int_equal(b->verdict, VERDICT_LOCAL_PATH);
	assert_int_equal(b->checked_at, T0);
	verify_result_summary(a, sa, sizeof(sa));
	verify_result_summary(b, sb, sizeof(sb));
	assert_string_equal(sa, sb);
	assert_int_equal(pass_verify_failing_nodes(b, nodes, 4), 1);
	assert_string_equal(nodes[0], "127.0.9.54:53");
	assert_int_equal(
	    pass_verify_from_json("{\"verdict\":\"healthy\",\"verdict\":"
				  "\"domain\",\"answers\":[]}",
				  b),
	    -1);
	assert_int_equal(pass_verify_from_json("not json", b), -1);
	free(json);
	free(a);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_watch_early_bounded, fx_setup,
					    fx_teardown),
	    cmocka_unit_test_setup_teardown(test_watch_heal_makes_due, fx_setup,
					    fx_teardown),
	    cmocka_unit_test_setup_teardown(test_adopt_holds_routing_only,
					    fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_attempt_then_delivered,
					    fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(
		test_deferred_again_is_reheld_from_first_failure, fx_setup,
		fx_teardown),
	    cmocka_unit_test_setup_teardown(test_local_path_runs_flush_hook,
					    fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(
		test_domain_and_outage_never_deliver, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_null_mx_bounces_after_commit,
					    fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_give_up_expires, fx_setup,
					    fx_teardown),
	    cmocka_unit_test_setup_teardown(test_max_hold_releases, fx_setup,
					    fx_teardown),
	    cmocka_unit_test_setup_teardown(
		test_gone_needs_two_complete_listings, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_reappearing_id_is_not_gone,
					    fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_crash_between_intent_and_hold,
					    fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_giveback_intent_replayed,
					    fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_found_released_is_held_again,
					    fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(
		test_no_outcome_then_listing_decides, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_escalate_once_with_report,
					    fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_clock_jump_back_is_clamped,
					    fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_adopt_eligible_pure, fx_setup,
					    fx_teardown),
	    cmocka_unit_test_setup_teardown(
		test_store_full_releases_and_resumes, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_pass_cost_ignores_done,
					    fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(
		test_retention_deletes_only_old_done, fx_setup, fx_teardown),
	    cmocka_unit_test(test_reconcile_decide_table),
	    cmocka_unit_test(test_verification_json_round_trip),
	};

	log_open("test_pass", LOG_DEST_STDERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
