/*
 * test_pass_suppress - suppression wired into the daemon's pass, against
 * a real Berkeley DB store in a temp dir, a scripted in-process MTA
 * plugin (a test double of the plugin interface, fake_mta.c),
 * injected verdicts and a fixed clock.
 *
 * What is real: the store, policy_load, backoff, the classifier (rules
 * from the policy below), suppress_decide(). What is faked: the MTA
 * (listings and outcomes scripted here) and the DNS verdicts.
 *
 * The policy: min_failures = 3, min_span = 10m, categories
 * mailbox-unknown (the "never" fixture also lists routing, null-mx,
 * rate-limit and connection, which must still never count), tiers every
 * 5m. Attempts land 5-6 minutes apart, so the third counted failure is
 * the first that spans 10m: suppression must happen exactly then.
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
#include <sys/stat.h>
#include <unistd.h>

#include "util/log.h"
#include "pass/pass.h"
#include "pass/pass_int.h"
#include "fake_mta.h"
#include "pass_fx.h"
#include "pass/pass_suppress.h"

#define T0 1700000000LL

/* ---------- injected verdicts ---------- */

static int fake_verify(void *arg, const char *const *domains, size_t n,
		       int64_t now, struct verify_result *out, char *err,
		       size_t errlen)
{
	struct fake_dns *d = arg;

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
		r->queries = 1;
		a = &r->answers[r->nanswers++];
		a->role = VERIFY_ROLE_INDEPENDENT;
		snprintf(a->server, sizeof(a->server), "127.0.9.55:53");
		a->transport = VERIFY_UDP;
		a->neg_ttl = -1;
		a->kind = d->verdict == VERDICT_LOCAL_PATH ? VERIFY_KIND_NODATA
							   : VERIFY_KIND_MX;
		a->nmx = a->kind == VERIFY_KIND_MX;
		a->mx[0].preference = 10;
		snprintf(a->mx[0].host, sizeof(a->mx[0].host), "mx1.%s",
			 domains[i]);
		a->mx[0].naddrs = 1;
		a->ttl = 300;
	}
	return 0;
}

/* ---------- fixture ---------- */

static int fx_setup_with(void **state, const char *categories,
			 const char *on_suppress)
{
	struct fx *fx = fx_new("test_pass_suppress");
	char ini[4096];

	snprintf(
	    ini, sizeof(ini),
	    "[retryd]\nmta = postfix\nstate_dir = %s/state\nplugin_dir = %s\n"
	    "scan_interval = 30s\nhost_id = test-host\n"
	    "[resolvers]\nmta = 127.0.9.54\nindependent = 127.0.9.55\n"
	    "verify_window = 60s\n"
	    "[backoff]\ntier = 0s every 5m\ngive_up = 5d\njitter = 0%%\n"
	    "[suppression]\ncategories = %s\nmin_failures = 3\n"
	    "min_span = 10m\nrequire_healthy_dns = yes\non_suppress = %s\n"
	    "[classifier]\n"
	    "rule = null-mx /nullMX|does not accept mail/i\n"
	    "rule = routing /no mail hosts|unable to route|Host or domain name "
	    "not found/i\n"
	    "rule = rate-limit /too many|rate limit/i\n"
	    "rule = mailbox-unknown /user unknown|recipient not found/i\n"
	    "rule = mailbox-full /mailbox full|over quota/i\n",
	    fx->dir, fx->dir, categories, on_suppress);
	fx_start(fx, ini, fake_verify);
	*state = fx;
	return 0;
}

static int fx_setup(void **state)
{
	return fx_setup_with(state, "mailbox-unknown, mailbox-disabled",
			     "bounce");
}

static int fx_setup_never(void **state)
{
	return fx_setup_with(
	    state, "mailbox-unknown, routing, null-mx, rate-limit, connection",
	    "bounce");
}

static int fx_setup_release(void **state)
{
	return fx_setup_with(state, "mailbox-unknown", "release");
}

static enum store_rcpt_state fx_rcpt(struct fx *fx, const char *id,
				     const char *addr)
{
	struct store_message *m = fx_get(fx, id);
	enum store_rcpt_state s = 0;

	for (size_t r = 0; m && r < m->nrcpts; r++)
		if (strcmp(m->rcpts[r].address, addr) == 0)
			s = m->rcpts[r].state;
	store_message_free(m);
	return s;
}

static int fx_suppressed(struct fx *fx, const char *addr,
			 struct store_suppressed *out)
{
	struct store_suppressed s;
	char err[256];
	int rc = store_get_suppressed(fx->store, NULL, addr, out ? out : &s,
				      err, sizeof(err));

	assert_true(rc == STORE_OK || rc == STORE_NOTFOUND);
	return rc == STORE_OK;
}

struct ev_count {
	size_t n, none, text_hits;
	const char *text;
};

static int ev_count_one(const struct store_evidence *ev, void *arg)
{
	struct ev_count *c = arg;

	c->n++;
	c->none += ev->outcome == STORE_OUTCOME_NONE;
	if (c->text && strstr(ev->text, c->text))
		c->text_hits++;
	return 0;
}

static struct ev_count fx_evidence(struct fx *fx, const char *addr,
				   const char *text)
{
	struct ev_count c = {.text = text};
	char err[256];

	assert_int_equal(store_walk_evidence(fx->store, addr, ev_count_one, &c,
					     err, sizeof(err)),
			 STORE_OK);
	return c;
}

#define ROUTING                                                                \
	"Host or domain name not found. Name service error for "               \
	"name=example.test type=A: Host found but no data record of "          \
	"requested type"
/* what Postfix logs for a 550 5.1.10 under soft_bounce: deferred, 4.1.10 */
#define NOTFOUND                                                               \
	"host mx1.example.test[127.0.9.25] said: 550 5.1.10 "                  \
	"RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address " \
	"lookup (in reply to RCPT TO command)"
#define BAD  "gone@example.test"
#define GOOD "alice@example.test"
#define Q1   "A1B2C3D4"
#define Q2   "B1B2C3D4"
#define Q3   "C1B2C3D4"

/* Adopt @param id (with rcpts) at @param t. */
static void fx_adopt(struct fx *fx, const char *id, const char *r1,
		     const char *r2, int64_t t)
{
	fake_add(&fx->mta, id, r1, r2, ROUTING, t - 60);
	assert_int_equal(pass_run(&fx->ctx, t), 0);
	assert_int_equal(fx_state(fx, id), STORE_MSG_HELD);
}

/*
 * Run the pass at @param id's next attempt: it must be released for
 * delivery. @return the attempt time.
 */
static int64_t fx_attempt(struct fx *fx, const char *id)
{
	struct store_message *m = fx_get(fx, id);
	size_t before = fake_count(&fx->mta, "deliver");
	int64_t t;

	assert_non_null(m);
	assert_int_equal(m->state, STORE_MSG_HELD);
	t = m->next_attempt;
	store_message_free(m);
	assert_true(t > 0);
	assert_int_equal(pass_run(&fx->ctx, t), 0);
	assert_int_equal(fake_count(&fx->mta, "deliver"), before + 1);
	assert_non_null(strstr(fake_last(&fx->mta, "deliver")->ids, id));
	assert_int_equal(fx_state(fx, id), STORE_MSG_ATTEMPTING);
	return t;
}

/* The outcomes scripted so far are read by the next pass (t + 30). */
static void fx_outcomes(struct fx *fx, int64_t t)
{
	assert_int_equal(pass_run(&fx->ctx, t + 30), 0);
}

/* ---------- tests ---------- */

/* Three 5.1.10 while healthy, spanning 10m: suppressed at the third, the
 * message handed back to bounce after the commit. */
static void test_three_not_found_suppress_and_bounce(void **state)
{
	struct fx *fx = *state;
	struct store_suppressed s;
	struct ev_count ec;
	int64_t t[3];

	fx_adopt(fx, Q1, BAD, NULL, T0);
	for (int k = 0; k < 3; k++) {
		t[k] = fx_attempt(fx, Q1);
		fake_outcome(&fx->mta, Q1, BAD, MTA_OUTCOME_DEFERRED, "4.1.10",
			     NOTFOUND, t[k] + 1);
		fx_outcomes(fx, t[k]);
		if (k < 2) {
			/* not yet: 1 then 2 of 3, or span too short */
			assert_false(fx_suppressed(fx, BAD, NULL));
			assert_int_equal(fx_state(fx, Q1), STORE_MSG_HELD);
			assert_int_equal(fx_rcpt(fx, Q1, BAD),
					 STORE_RCPT_PENDING);
			assert_int_equal(fake_count(&fx->mta, "giveback"), 0);
		}
	}
	assert_true(t[2] + 1 - (t[0] + 1) >= 600); /* the span is met at 3 */
	assert_true(fx_suppressed(fx, BAD, &s));
	assert_int_equal(s.time, t[2] + 30);
	assert_non_null(
	    strstr(s.reason, "suppress: 3 of 3 failures (mailbox-unknown)"));
	assert_non_null(strstr(s.reason, "DNS healthy each time"));
	assert_non_null(strstr(s.evidence, "3 counted:"));
	assert_non_null(
	    strstr(s.evidence, "4.1.10 mailbox-unknown " Q1 " (healthy)"));
	/* handed back to bounce, only after the commit */
	assert_int_equal(fake_count(&fx->mta, "giveback"), 1);
	assert_string_equal(fake_last(&fx->mta, "giveback")->ids, Q1);
	assert_int_equal(fake_last(&fx->mta, "giveback")->how,
			 MTA_GIVEBACK_BOUNCE);
	assert_true(fake_last(&fx->mta, "giveback")->committed);
	assert_int_equal(fx_state(fx, Q1), STORE_MSG_DONE);
	assert_int_equal(fx_rcpt(fx, Q1, BAD), STORE_RCPT_SUPPRESSED);
	ec = fx_evidence(fx, BAD, "suppressed since");
	assert_int_equal(ec.n, 4); /* 3 failures + the decision */
	assert_int_equal(ec.text_hits, 1);
	assert_null(fake_find(&fx->mta, Q1)); /* the MTA bounced it */
	/* nothing more happens to it */
	assert_int_equal(pass_run(&fx->ctx, t[2] + 400), 0);
	assert_int_equal(fake_count(&fx->mta, "giveback"), 1);
	assert_int_equal(fake_count(&fx->mta, "deliver"), 3);
}

/* Routing (5.4.4), null-MX and rate-limit failures never suppress, even
 * listed in categories, however many and however long. */
static void test_routing_never_suppresses(void **state)
{
	struct fx *fx = *state;
	static const char *const texts[] = {
	    ROUTING,
	    "host mx1.example.test said: 421 4.7.0 too many connections",
	    "Domain example.test does not accept mail (nullMX)",
	};
	static const char *const dsns[] = {"4.4.4", "4.7.0", "4.1.0"};

	fx_adopt(fx, Q1, BAD, NULL, T0);
	for (int k = 0; k < 6; k++) {
		int64_t t = fx_attempt(fx, Q1);

		fake_outcome(&fx->mta, Q1, BAD, MTA_OUTCOME_DEFERRED,
			     dsns[k % 3], texts[k % 3], t + 1);
		fx_outcomes(fx, t);
		assert_false(fx_suppressed(fx, BAD, NULL));
		assert_int_equal(fx_state(fx, Q1), STORE_MSG_HELD);
	}
	assert_int_equal(fake_count(&fx->mta, "giveback"), 0);
	assert_int_equal(fx_evidence(fx, BAD, NULL).n, 6);
	assert_int_equal(fx_rcpt(fx, Q1, BAD), STORE_RCPT_PENDING);
}

/* Two failures while healthy and one while the MTA's resolver was bad
 * (local-path): not yet. The next healthy one completes the criteria. */
static void test_local_path_failure_does_not_count(void **state)
{
	struct fx *fx = *state;
	struct store_suppressed s;
	int64_t t;

	fx_adopt(fx, Q1, BAD, NULL, T0);
	for (int k = 0; k < 3; k++) {
		fx->dns.verdict = k == 2 ? VERDICT_LOCAL_PATH : VERDICT_HEALTHY;
		t = fx_attempt(fx, Q1);
		fake_outcome(&fx->mta, Q1, BAD, MTA_OUTCOME_DEFERRED, "4.1.10",
			     NOTFOUND, t + 1);
		fx_outcomes(fx, t);
	}
	assert_false(fx_suppressed(fx, BAD, NULL));
	assert_int_equal(fx_state(fx, Q1), STORE_MSG_HELD);
	assert_int_equal(fake_count(&fx->mta, "giveback"), 0);
	fx->dns.verdict = VERDICT_HEALTHY;
	t = fx_attempt(fx, Q1);
	fake_outcome(&fx->mta, Q1, BAD, MTA_OUTCOME_DEFERRED, "4.1.10",
		     NOTFOUND, t + 1);
	fx_outcomes(fx, t);
	assert_true(fx_suppressed(fx, BAD, &s));
	assert_non_null(strstr(s.reason, "suppress: 3 of 3"));
	assert_non_null(strstr(s.reason, "1 excluded: DNS was local-path at"));
	assert_int_equal(fake_count(&fx->mta, "giveback"), 1);
}

/* A good recipient beside the bad one in the same message: delivered at
 * the first attempt, never suppressed; the bad one is, and the message
 * (nothing else pending) goes back to bounce. */
static void test_good_beside_bad_is_delivered(void **state)
{
	struct fx *fx = *state;
	struct ev_count ec;

	fx_adopt(fx, Q1, GOOD, BAD, T0);
	for (int k = 0; k < 3; k++) {
		int64_t t = fx_attempt(fx, Q1);

		if (k == 0)
			fake_outcome(&fx->mta, Q1, GOOD, MTA_OUTCOME_DELIVERED,
				     "2.0.0", "250 2.0.0 Ok: queued as 4XyZ",
				     t + 1);
		fake_outcome(&fx->mta, Q1, BAD, MTA_OUTCOME_DEFERRED, "4.1.10",
			     NOTFOUND, t + 1);
		fx_outcomes(fx, t);
		assert_int_equal(fx_rcpt(fx, Q1, GOOD), STORE_RCPT_DELIVERED);
	}
	assert_true(fx_suppressed(fx, BAD, NULL));
	assert_false(fx_suppressed(fx, GOOD, NULL));
	assert_int_equal(fx_rcpt(fx, Q1, BAD), STORE_RCPT_SUPPRESSED);
	assert_int_equal(fx_rcpt(fx, Q1, GOOD), STORE_RCPT_DELIVERED);
	assert_int_equal(fake_count(&fx->mta, "giveback"), 1);
	assert_true(fake_last(&fx->mta, "giveback")->committed);
	ec = fx_evidence(fx, GOOD, NULL);
	assert_int_equal(ec.n, 1); /* one delivery, nothing else */
}

/* The bad one is suppressed while another recipient of the message is
 * still pending (mailbox full): the message is NOT handed back, it is
 * held and retried for the other; once that one is delivered and only
 * the suppressed recipient is left, it goes back to bounce. */
static void test_suppressed_rides_along_until_others_final(void **state)
{
	struct fx *fx = *state;
	int64_t t;

	fx_adopt(fx, Q1, GOOD, BAD, T0);
	for (int k = 0; k < 3; k++) {
		t = fx_attempt(fx, Q1);
		fake_outcome(
		    &fx->mta, Q1, GOOD, MTA_OUTCOME_DEFERRED, "4.2.2",
		    "host mx1.example.test said: 452 4.2.2 mailbox full",
		    t + 1);
		fake_outcome(&fx->mta, Q1, BAD, MTA_OUTCOME_DEFERRED, "4.1.10",
			     NOTFOUND, t + 1);
		fx_outcomes(fx, t);
	}
	assert_true(fx_suppressed(fx, BAD, NULL));
	assert_int_equal(fx_rcpt(fx, Q1, BAD), STORE_RCPT_SUPPRESSED);
	assert_int_equal(fx_rcpt(fx, Q1, GOOD), STORE_RCPT_PENDING);
	assert_int_equal(fx_state(fx, Q1), STORE_MSG_HELD); /* held for GOOD */
	assert_int_equal(fake_count(&fx->mta, "giveback"), 0);
	/* next attempt: GOOD delivered, BAD (still in the queue file) deferred */
	t = fx_attempt(fx, Q1);
	fake_outcome(&fx->mta, Q1, GOOD, MTA_OUTCOME_DELIVERED, "2.0.0",
		     "250 2.0.0 Ok", t + 1);
	fake_outcome(&fx->mta, Q1, BAD, MTA_OUTCOME_DEFERRED, "4.1.10",
		     NOTFOUND, t + 1);
	fx_outcomes(fx, t);
	assert_int_equal(fx_rcpt(fx, Q1, GOOD), STORE_RCPT_DELIVERED);
	assert_int_equal(fake_count(&fx->mta, "giveback"), 1);
	assert_int_equal(fake_last(&fx->mta, "giveback")->how,
			 MTA_GIVEBACK_BOUNCE);
	assert_true(fake_last(&fx->mta, "giveback")->committed);
	assert_int_equal(fx_state(fx, Q1), STORE_MSG_DONE);
	assert_false(fx_suppressed(fx, GOOD, NULL));
}

/* Three 5xx bounces by the MTA itself, one per message: the address is
 * suppressed (nothing to hand back: the MTA bounced each). A message
 * held meanwhile for it is handed back at its due time without an
 * attempt; a message adopted later is handed back at once, with
 * evidence "suppressed since"; a later message with a good recipient
 * beside it is attempted for the good one only. */
static void test_mta_bounces_then_known_suppressed(void **state)
{
	struct fx *fx = *state;
	static const char *const ids[3] = {"D1000001", "D1000002", "D1000003"};
	int64_t t = T0;
	struct ev_count ec;

	for (int k = 0; k < 3; k++) {
		int64_t a;

		fx_adopt(fx, ids[k], BAD, NULL, t);
		a = fx_attempt(fx, ids[k]);
		if (k == 2) { /* held for BAD before the 3rd outcome is read */
			fake_add(&fx->mta, Q2, BAD, NULL, ROUTING, a - 60);
			assert_int_equal(pass_run(&fx->ctx, a + 10), 0);
			assert_int_equal(fx_state(fx, Q2), STORE_MSG_HELD);
		}
		fake_outcome(&fx->mta, ids[k], BAD, MTA_OUTCOME_BOUNCED,
			     "5.1.10", NOTFOUND, a + 1);
		fake_remove(&fx->mta, ids[k]); /* the MTA bounced it */
		fx_outcomes(fx, a);
		assert_int_equal(fx_state(fx, ids[k]), STORE_MSG_DONE);
		assert_int_equal(fx_suppressed(fx, BAD, NULL), k == 2);
		t = a + 60;
	}
	assert_int_equal(fake_count(&fx->mta, "giveback"), 0);
	assert_int_equal(fx_state(fx, Q2), STORE_MSG_HELD);
	/* Q2 at its due time: handed back, never attempted */
	{
		struct store_message *m = fx_get(fx, Q2);
		int64_t due = m->next_attempt;

		store_message_free(m);
		assert_int_equal(pass_run(&fx->ctx, due), 0);
		assert_false(fake_delivered_id(&fx->mta, Q2));
		assert_int_equal(fake_count(&fx->mta, "giveback"), 1);
		assert_string_equal(fake_last(&fx->mta, "giveback")->ids, Q2);
		assert_true(fake_last(&fx->mta, "giveback")->committed);
		assert_int_equal(fx_state(fx, Q2), STORE_MSG_DONE);
		t = due + 60;
	}
	/* a newly adopted message for BAD alone: back at once, no attempt */
	fake_add(&fx->mta, Q3, BAD, NULL, ROUTING, t - 60);
	assert_int_equal(pass_run(&fx->ctx, t), 0);
	assert_int_equal(fake_count(&fx->mta, "giveback"), 2);
	assert_string_equal(fake_last(&fx->mta, "giveback")->ids, Q3);
	assert_int_equal(fake_last(&fx->mta, "giveback")->how,
			 MTA_GIVEBACK_BOUNCE);
	assert_false(fake_delivered_id(&fx->mta, Q3));
	assert_int_equal(fx_rcpt(fx, Q3, BAD), STORE_RCPT_SUPPRESSED);
	ec = fx_evidence(fx, BAD, "suppressed since");
	assert_int_equal(ec.text_hits, 2); /* Q2 and Q3 */
	/* a later message to GOOD and BAD: adopted, held for GOOD only */
	fake_add(&fx->mta, Q1, GOOD, BAD, ROUTING, t);
	assert_int_equal(pass_run(&fx->ctx, t + 60), 0);
	assert_int_equal(fx_state(fx, Q1), STORE_MSG_HELD);
	assert_int_equal(fx_rcpt(fx, Q1, BAD), STORE_RCPT_SUPPRESSED);
	assert_int_equal(fx_rcpt(fx, Q1, GOOD), STORE_RCPT_PENDING);
	assert_int_equal(fake_count(&fx->mta, "giveback"), 2);
	t = fx_attempt(fx, Q1);
	fake_outcome(&fx->mta, Q1, GOOD, MTA_OUTCOME_DELIVERED, "2.0.0",
		     "250 2.0.0 Ok", t + 1);
	fake_outcome(&fx->mta, Q1, BAD, MTA_OUTCOME_BOUNCED, "5.1.10", NOTFOUND,
		     t + 1);
	fake_remove(&fx->mta, Q1);
	fx_outcomes(fx, t);
	assert_int_equal(fx_state(fx, Q1), STORE_MSG_DONE);
	assert_int_equal(fx_rcpt(fx, Q1, GOOD), STORE_RCPT_DELIVERED);
	assert_int_equal(fake_count(&fx->mta, "giveback"), 2); /* MTA bounced */
	assert_false(fx_suppressed(fx, GOOD, NULL));
}

/* A partial listing: the decision is committed (GIVEBACK_INTENT) but
 * the hand-back waits for a complete listing that shows the id. */
static void test_handback_waits_for_complete_listing(void **state)
{
	struct fx *fx = *state;
	int64_t t = 0;

	fx_adopt(fx, Q1, BAD, NULL, T0);
	for (int k = 0; k < 3; k++) {
		t = fx_attempt(fx, Q1);
		fake_outcome(&fx->mta, Q1, BAD, MTA_OUTCOME_DEFERRED, "4.1.10",
			     NOTFOUND, t + 1);
		fx->mta.complete = k < 2;
		fx_outcomes(fx, t);
	}
	assert_true(fx_suppressed(fx, BAD, NULL));
	assert_int_equal(fx_state(fx, Q1), STORE_MSG_GIVEBACK_INTENT);
	assert_int_equal(fake_count(&fx->mta, "giveback"), 0);
	assert_int_equal(fake_count(&fx->mta, "hold"), 3); /* not held again */
	fx->mta.complete = 1;
	assert_int_equal(pass_run(&fx->ctx, t + 60), 0);
	assert_int_equal(fake_count(&fx->mta, "giveback"), 1);
	assert_true(fake_last(&fx->mta, "giveback")->committed);
	assert_int_equal(fx_state(fx, Q1), STORE_MSG_DONE);
}

/* on_suppress = release: handed back to the MTA's own scheduling. */
static void test_on_suppress_release(void **state)
{
	struct fx *fx = *state;

	fx_adopt(fx, Q1, BAD, NULL, T0);
	for (int k = 0; k < 3; k++) {
		int64_t t = fx_attempt(fx, Q1);

		fake_outcome(&fx->mta, Q1, BAD, MTA_OUTCOME_DEFERRED, "4.1.10",
			     NOTFOUND, t + 1);
		fx_outcomes(fx, t);
	}
	assert_true(fx_suppressed(fx, BAD, NULL));
	assert_int_equal(fake_count(&fx->mta, "giveback"), 1);
	assert_int_equal(fake_last(&fx->mta, "giveback")->how,
			 MTA_GIVEBACK_RELEASE);
	assert_int_equal(fx_state(fx, Q1), STORE_MSG_DONE);
	assert_non_null(fake_find(&fx->mta, Q1)); /* still the MTA's */
}

/* The pure multi-recipient rule. */
static void test_ready_rule(void **state)
{
	struct store_message *m = store_message_new(2);

	m->nrcpts = 2;
	m->state = STORE_MSG_HELD;
	m->rcpts[0].state = STORE_RCPT_SUPPRESSED;
	m->rcpts[1].state = STORE_RCPT_PENDING;
	assert_false(pass_suppress_ready(m));
	m->rcpts[1].state = STORE_RCPT_DELIVERED;
	assert_true(pass_suppress_ready(m));
	m->rcpts[0].state = STORE_RCPT_BOUNCED;
	assert_false(pass_suppress_ready(m)); /* the MTA is done with it */
	m->rcpts[0].state = STORE_RCPT_SUPPRESSED;
	m->state = STORE_MSG_DONE;
	assert_false(pass_suppress_ready(m));
	m->state = STORE_MSG_GIVEBACK_INTENT;
	assert_false(pass_suppress_ready(m));
	store_message_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		test_three_not_found_suppress_and_bounce, fx_setup,
		fx_teardown),
	    cmocka_unit_test_setup_teardown(test_routing_never_suppresses,
					    fx_setup_never, fx_teardown),
	    cmocka_unit_test_setup_teardown(
		test_local_path_failure_does_not_count, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_good_beside_bad_is_delivered,
					    fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(
		test_suppressed_rides_along_until_others_final, fx_setup,
		fx_teardown),
	    cmocka_unit_test_setup_teardown(
		test_mta_bounces_then_known_suppressed, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(
		test_handback_waits_for_complete_listing, fx_setup,
		fx_teardown),
	    cmocka_unit_test_setup_teardown(test_on_suppress_release,
					    fx_setup_release, fx_teardown),
	    cmocka_unit_test(test_ready_rule),
	};

	log_open("test_pass_suppress", LOG_DEST_STDERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
