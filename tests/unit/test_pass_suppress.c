/*
 * test_pass_suppress - suppression wired into the daemon's pass, against
 * a real Berkeley DB store in a temp dir, a scripted in-process MTA
 * plugin (a test double of the plugin interface, as in test_pass.c),
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

#include "../../retryd/log.h"
#include "../../retryd/pass.h"
#include "../../retryd/pass_int.h"
#include "../../retryd/suppress_act.h"

#define T0 1700000000LL
#define FAKE_MAX 16
#define FAKE_RCPTS 2
#define CALLS_MAX 64

/* ---------- the scripted MTA ---------- */

struct fake_call {
	char op[16];   /* hold, deliver, release, giveback */
	char ids[256]; /* space-separated */
	int how;
	int committed; /* giveback: every record was GIVEBACK_INTENT and its
			* suppressed recipients were recorded before */
};

struct fake_mta {
	struct mta_message msgs[FAKE_MAX];
	struct mta_rcpt rcpts[FAKE_MAX][FAKE_RCPTS];
	size_t n;
	int complete;
	struct fake_call calls[CALLS_MAX];
	size_t ncalls;
	struct mta_outcome outcomes[FAKE_MAX];
	size_t nout;
	struct store *store;
	const char *mta;
};

static struct mta_message *fake_find(struct fake_mta *f, const char *id)
{
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->msgs[i].queue_id, id) == 0)
			return &f->msgs[i];
	return NULL;
}

static void fake_remove(struct fake_mta *f, const char *id)
{
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->msgs[i].queue_id, id) == 0) {
			f->msgs[i] = f->msgs[f->n - 1];
			memcpy(f->rcpts[i], f->rcpts[f->n - 1], sizeof(f->rcpts[i]));
			f->msgs[i].rcpts = f->rcpts[i];
			f->n--;
			return;
		}
}

static struct fake_call *fake_record(struct fake_mta *f, const char *op,
				     const char *const *ids, size_t n)
{
	struct fake_call *c = &f->calls[f->ncalls++];

	assert_true(f->ncalls <= CALLS_MAX);
	memset(c, 0, sizeof(*c));
	snprintf(c->op, sizeof(c->op), "%s", op);
	for (size_t i = 0; i < n; i++) {
		strncat(c->ids, ids[i], sizeof(c->ids) - strlen(c->ids) - 2);
		if (i + 1 < n)
			strcat(c->ids, " ");
	}
	return c;
}

static size_t fake_count(const struct fake_mta *f, const char *op)
{
	size_t k = 0;

	for (size_t i = 0; i < f->ncalls; i++)
		k += strcmp(f->calls[i].op, op) == 0;
	return k;
}

static const struct fake_call *fake_last(const struct fake_mta *f,
					 const char *op)
{
	for (size_t i = f->ncalls; i > 0; i--)
		if (strcmp(f->calls[i - 1].op, op) == 0)
			return &f->calls[i - 1];
	return NULL;
}

/* Was @param id handed to deliver() at any time? */
static int fake_delivered_id(const struct fake_mta *f, const char *id)
{
	for (size_t i = 0; i < f->ncalls; i++)
		if (strcmp(f->calls[i].op, "deliver") == 0 &&
		    strstr(f->calls[i].ids, id) != NULL)
			return 1;
	return 0;
}

static int fake_open(const struct mta_config *cfg, void **state, char *err,
		     size_t errlen)
{
	return 0;
}
static void fake_close(void *state) {}

static int fake_valid_id(const char *id)
{
	size_t n = strlen(id);

	if (n < 6 || n > 12)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)id[i]) || islower((unsigned char)id[i]))
			return 0;
	return 1;
}

static int fake_scan(void *state, struct mta_listing *out, char *err,
		     size_t errlen)
{
	struct fake_mta *f = state;

	out->msgs = f->msgs;
	out->n = f->n;
	out->complete = f->complete;
	out->skipped = 0;
	return 0;
}
static void fake_listing_free(struct mta_listing *l) {}

static int fake_hold(void *state, const char *const *ids, size_t n,
		     size_t *done, char *err, size_t errlen)
{
	struct fake_mta *f = state;

	fake_record(f, "hold", ids, n);
	*done = 0;
	for (size_t i = 0; i < n; i++) {
		struct mta_message *m = fake_find(f, ids[i]);
		if (m) {
			m->held = 1;
			(*done)++;
		}
	}
	return 0;
}

static int fake_deliver(void *state, const char *const *ids, size_t n,
			size_t *done, char *err, size_t errlen)
{
	struct fake_mta *f = state;

	fake_record(f, "deliver", ids, n);
	for (size_t i = 0; i < n; i++) {
		struct mta_message *m = fake_find(f, ids[i]);
		if (m)
			m->held = m->deferred = 0;
	}
	*done = n;
	return 0;
}

static int fake_release(void *state, const char *const *ids, size_t n,
			size_t *done, char *err, size_t errlen)
{
	struct fake_mta *f = state;

	fake_record(f, "release", ids, n);
	for (size_t i = 0; i < n; i++) {
		struct mta_message *m = fake_find(f, ids[i]);
		if (m)
			m->held = 0;
	}
	*done = n;
	return 0;
}

static int fake_giveback(void *state, const char *const *ids, size_t n,
			 enum mta_giveback how, size_t *done, char *err,
			 size_t errlen)
{
	struct fake_mta *f = state;
	struct fake_call *c = fake_record(f, "giveback", ids, n);

	c->how = how;
	c->committed = 1;
	for (size_t i = 0; i < n; i++) {
		struct store_message *m = NULL;
		char e[256];

		if (store_get_message(f->store, NULL, f->mta, ids[i], &m, e,
				      sizeof(e)) != STORE_OK ||
		    m->state != STORE_MSG_GIVEBACK_INTENT)
			c->committed = 0;
		for (size_t r = 0; m && r < m->nrcpts; r++) {
			struct store_suppressed s;

			if (m->rcpts[r].state == STORE_RCPT_SUPPRESSED &&
			    store_get_suppressed(f->store, NULL,
						 m->rcpts[r].address, &s, e,
						 sizeof(e)) != STORE_OK)
				c->committed = 0;
		}
		store_message_free(m);
		if (how != MTA_GIVEBACK_RELEASE)
			fake_remove(f, ids[i]);
		else if (fake_find(f, ids[i]))
			fake_find(f, ids[i])->held = 0;
	}
	*done = n;
	return 0;
}

static int fake_outcomes(void *state, const char *const *ids, size_t n,
			 struct mta_outcomes *out, char *err, size_t errlen)
{
	struct fake_mta *f = state;

	out->items = calloc(f->nout + 1, sizeof(*out->items));
	out->n = 0;
	for (size_t i = 0; i < f->nout; i++)
		out->items[out->n++] = f->outcomes[i];
	f->nout = 0;
	return 0;
}

static void fake_outcomes_free(struct mta_outcomes *o)
{
	free(o->items);
	o->items = NULL;
	o->n = 0;
}

static const struct mta_plugin fake_plugin = {
    .abi = MTA_PLUGIN_ABI,
    .name = "fake",
    .open = fake_open,
    .close = fake_close,
    .valid_id = fake_valid_id,
    .scan = fake_scan,
    .listing_free = fake_listing_free,
    .hold = fake_hold,
    .deliver = fake_deliver,
    .release = fake_release,
    .giveback = fake_giveback,
    .outcomes = fake_outcomes,
    .outcomes_free = fake_outcomes_free,
};

/* A deferred message with one or two recipients, both routing-deferred. */
static void fake_add(struct fake_mta *f, const char *id, const char *rcpt1,
		     const char *rcpt2, const char *reason, int64_t arrival)
{
	struct mta_message *m = &f->msgs[f->n];

	assert_true(f->n < FAKE_MAX);
	memset(m, 0, sizeof(*m));
	snprintf(m->queue_id, sizeof(m->queue_id), "%s", id);
	snprintf(m->sender, sizeof(m->sender), "sender@example.org");
	m->arrival = arrival;
	m->deferred = 1;
	m->rcpts = f->rcpts[f->n];
	memset(m->rcpts, 0, sizeof(f->rcpts[0]));
	snprintf(m->rcpts[0].address, sizeof(m->rcpts[0].address), "%s", rcpt1);
	snprintf(m->rcpts[0].reason, sizeof(m->rcpts[0].reason), "%s", reason);
	m->nrcpts = 1;
	if (rcpt2) {
		snprintf(m->rcpts[1].address, sizeof(m->rcpts[1].address), "%s",
			 rcpt2);
		snprintf(m->rcpts[1].reason, sizeof(m->rcpts[1].reason), "%s",
			 reason);
		m->nrcpts = 2;
	}
	f->n++;
}

static void fake_outcome(struct fake_mta *f, const char *id, const char *rcpt,
			 enum mta_outcome_status st, const char *dsn,
			 const char *text, int64_t t)
{
	struct mta_outcome *o = &f->outcomes[f->nout++];

	assert_true(f->nout <= FAKE_MAX);
	memset(o, 0, sizeof(*o));
	snprintf(o->queue_id, sizeof(o->queue_id), "%s", id);
	snprintf(o->address, sizeof(o->address), "%s", rcpt);
	o->status = st;
	snprintf(o->dsn, sizeof(o->dsn), "%s", dsn);
	snprintf(o->text, sizeof(o->text), "%s", text);
	o->time = t;
	/* a deferred or bounced-for-one recipient leaves it in the queue */
	if (st == MTA_OUTCOME_DEFERRED && fake_find(f, id))
		fake_find(f, id)->deferred = 1;
}

/* ---------- injected verdicts ---------- */

struct fake_dns {
	enum verify_verdict verdict;
};

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

struct fx {
	char dir[256];
	struct policy *policy;
	struct store *store;
	struct fake_mta mta;
	struct fake_dns dns;
	struct daemon_ctx ctx;
};

static void write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static int fx_setup_with(void **state, const char *categories,
			 const char *on_suppress)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	char path[512], ini[4096], err[4096];

	snprintf(fx->dir, sizeof(fx->dir), "/tmp/test_pass_suppress.XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(path, sizeof(path), "%s/state", fx->dir);
	mkdir(path, 0700);
	snprintf(ini, sizeof(ini),
		 "[retryd]\nmta = postfix\nstate_dir = %s/state\nplugin_dir = %s\n"
		 "scan_interval = 30s\nhost_id = test-host\n"
		 "[resolvers]\nmta = 127.0.9.54\nindependent = 127.0.9.55\n"
		 "verify_window = 60s\n"
		 "[backoff]\ntier = 0s every 5m\ngive_up = 5d\njitter = 0%%\n"
		 "[suppression]\ncategories = %s\nmin_failures = 3\n"
		 "min_span = 10m\nrequire_healthy_dns = yes\non_suppress = %s\n"
		 "[classifier]\n"
		 "rule = null-mx /nullMX|does not accept mail/i\n"
		 "rule = routing /no mail hosts|unable to route|Host or domain name not found/i\n"
		 "rule = rate-limit /too many|rate limit/i\n"
		 "rule = mailbox-unknown /user unknown|recipient not found/i\n"
		 "rule = mailbox-full /mailbox full|over quota/i\n",
		 fx->dir, fx->dir, categories, on_suppress);
	snprintf(path, sizeof(path), "%s/retryd.ini", fx->dir);
	write_file(path, ini);
	if (policy_load(path, &fx->policy, err, sizeof(err)) < 0)
		fail_msg("policy: %s", err);
	snprintf(path, sizeof(path), "%s/state", fx->dir);
	if (store_open(path, STORE_OPEN_DAEMON, 1u << 20, &fx->store, err,
		       sizeof(err)) != STORE_OK)
		fail_msg("store: %s", err);
	fx->mta.complete = 1;
	fx->mta.store = fx->store;
	fx->mta.mta = fx->policy->mta;
	fx->dns.verdict = VERDICT_HEALTHY;
	fx->ctx.store = fx->store;
	fx->ctx.plugin = &fake_plugin;
	fx->ctx.plugin_state = &fx->mta;
	fx->ctx.verify = fake_verify;
	fx->ctx.verify_arg = &fx->dns;
	if (pass_ctx_init(&fx->ctx, fx->policy, 42, err, sizeof(err)) < 0)
		fail_msg("ctx: %s", err);
	*state = fx;
	return 0;
}

static int fx_setup(void **state)
{
	return fx_setup_with(state, "mailbox-unknown, mailbox-disabled", "bounce");
}

static int fx_setup_never(void **state)
{
	return fx_setup_with(state,
			     "mailbox-unknown, routing, null-mx, rate-limit, connection",
			     "bounce");
}

static int fx_setup_release(void **state)
{
	return fx_setup_with(state, "mailbox-unknown", "release");
}

static int fx_teardown(void **state)
{
	struct fx *fx = *state;
	char cmd[600];

	pass_ctx_free(&fx->ctx);
	store_close(fx->store);
	policy_free(fx->policy);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", fx->dir);
	free(fx);
	return 0;
}

static struct store_message *fx_get(struct fx *fx, const char *id)
{
	struct store_message *m = NULL;
	char err[256];

	if (store_get_message(fx->store, NULL, fx->policy->mta, id, &m, err,
			      sizeof(err)) != STORE_OK)
		return NULL;
	return m;
}

static enum store_msg_state fx_state(struct fx *fx, const char *id)
{
	struct store_message *m = fx_get(fx, id);
	enum store_msg_state s = m ? m->state : 0;

	store_message_free(m);
	return s;
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
#define BAD "gone@example.test"
#define GOOD "alice@example.test"
#define Q1 "A1B2C3D4"
#define Q2 "B1B2C3D4"
#define Q3 "C1B2C3D4"

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
			assert_int_equal(fx_rcpt(fx, Q1, BAD), STORE_RCPT_PENDING);
			assert_int_equal(fake_count(&fx->mta, "giveback"), 0);
		}
	}
	assert_true(t[2] + 1 - (t[0] + 1) >= 600); /* the span is met at 3 */
	assert_true(fx_suppressed(fx, BAD, &s));
	assert_int_equal(s.time, t[2] + 30);
	assert_non_null(strstr(s.reason, "suppress: 3 of 3 failures (mailbox-unknown)"));
	assert_non_null(strstr(s.reason, "DNS healthy each time"));
	assert_non_null(strstr(s.evidence, "3 counted:"));
	assert_non_null(strstr(s.evidence, "4.1.10 mailbox-unknown " Q1 " (healthy)"));
	/* handed back to bounce, only after the commit */
	assert_int_equal(fake_count(&fx->mta, "giveback"), 1);
	assert_string_equal(fake_last(&fx->mta, "giveback")->ids, Q1);
	assert_int_equal(fake_last(&fx->mta, "giveback")->how, MTA_GIVEBACK_BOUNCE);
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

		fake_outcome(&fx->mta, Q1, BAD, MTA_OUTCOME_DEFERRED, dsns[k % 3],
			     texts[k % 3], t + 1);
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
	fake_outcome(&fx->mta, Q1, BAD, MTA_OUTCOME_DEFERRED, "4.1.10", NOTFOUND,
		     t + 1);
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
				     "2.0.0", "250 2.0.0 Ok: queued as 4XyZ", t + 1);
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
		fake_outcome(&fx->mta, Q1, GOOD, MTA_OUTCOME_DEFERRED, "4.2.2",
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
	fake_outcome(&fx->mta, Q1, BAD, MTA_OUTCOME_DEFERRED, "4.1.10", NOTFOUND,
		     t + 1);
	fx_outcomes(fx, t);
	assert_int_equal(fx_rcpt(fx, Q1, GOOD), STORE_RCPT_DELIVERED);
	assert_int_equal(fake_count(&fx->mta, "giveback"), 1);
	assert_int_equal(fake_last(&fx->mta, "giveback")->how, MTA_GIVEBACK_BOUNCE);
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
		fake_outcome(&fx->mta, ids[k], BAD, MTA_OUTCOME_BOUNCED, "5.1.10",
			     NOTFOUND, a + 1);
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
	assert_int_equal(fake_last(&fx->mta, "giveback")->how, MTA_GIVEBACK_BOUNCE);
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
	assert_int_equal(fake_last(&fx->mta, "giveback")->how, MTA_GIVEBACK_RELEASE);
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
	assert_false(suppress_act_ready(m));
	m->rcpts[1].state = STORE_RCPT_DELIVERED;
	assert_true(suppress_act_ready(m));
	m->rcpts[0].state = STORE_RCPT_BOUNCED;
	assert_false(suppress_act_ready(m)); /* the MTA is done with it */
	m->rcpts[0].state = STORE_RCPT_SUPPRESSED;
	m->state = STORE_MSG_DONE;
	assert_false(suppress_act_ready(m));
	m->state = STORE_MSG_GIVEBACK_INTENT;
	assert_false(suppress_act_ready(m));
	store_message_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_three_not_found_suppress_and_bounce, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_routing_never_suppresses, fx_setup_never, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_local_path_failure_does_not_count, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_good_beside_bad_is_delivered, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_suppressed_rides_along_until_others_final, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_mta_bounces_then_known_suppressed, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_handback_waits_for_complete_listing, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_on_suppress_release, fx_setup_release, fx_teardown),
	    cmocka_unit_test(test_ready_rule),
	};

	log_open("test_pass_suppress", LOG_DEST_STDERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
