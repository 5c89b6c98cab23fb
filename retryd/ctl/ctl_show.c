/*
 * NAME
 *	ctl_show 3
 * SUMMARY
 *	retryctl show ADDRESS|QUEUEID [--json]
 * SYNOPSIS
 *	#include "ctl/ctl.h"
 * DESCRIPTION
 *	show QUEUEID prints the message (under any MTA name) with all its
 *	recipients and their states. show ADDRESS (anything with an '@')
 *	prints whether the address is suppressed (since when, why), the
 *	decision suppress_decide() makes now over the same evidence with
 *	the loaded policy ("not yet: 2 of 3 failures over 5m of 1d; 1
 *	excluded: DNS was local-path at ..."), the policy's criteria, every
 *	message holding it (any state, done included) and its evidence
 *	records, oldest first, each marked: counted, excluded (why), not a
 *	failure, or reset by a later delivery, and with what decided its
 *	category under the loaded policy: the rule as FILE:LINE (a shipped
 *	rule: "classifier.ini (built in):LINE") or the status-code fallback,
 *	as retryctl classify --explain says ("(now X)" when today's rules
 *	give another category than the one recorded); where a guarded rule
 *	matched first and stepped aside because an address guard matched,
 *	a line under the table says which (TIME QUEUEID: "guarded rule
 *	FILE:LINE stepped aside: guard FILE:LINE matched"; JSON:
 *	"stepped_aside", absent otherwise). The argument is checked
 *	(length, no control byte) before it is used.
 *
 *	--json prints one object: {"queue_id", "messages": [...]} or
 *	{"address", "suppressed": null | {since, reason, evidence},
 *	"criteria", "suppression": {suppressed, since, reason,
 *	criteria_met, explanation, counted, needed, span, min_span,
 *	first_counted, last_counted, reset_at, excluded: [{time, queue_id,
 *	why}]}, "messages": [...], "evidence": [... each with "suppression"
 *	(counted|excluded|not-a-failure|reset), "why", "decided_by",
 *	"stepped_aside" (only where one did) and "category_now"]}. Each message
 *	has queue_id, mta, state, sender, domain, group, arrival,
 *	first_failure, age_seconds, adopted_at, attempts, last_attempt,
 *	next_attempt, last_verdict, last_reason and recipients[] (address,
 *	state, dsn, reason); times ISO 8601 UTC or null.
 *
 *	Owns: the store handle and copies of the matching messages.
 * DIAGNOSTICS
 *	Exit 0; 1 when the store cannot be read or nothing is known about
 *	the argument; 2 on bad usage or a malformed argument
 *	("retryctl: show: bad address: ...").
 */
#include "ctl/ctl.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "classify/classify.h"
#include "ctl/ctl_table.h"
#include "util/log.h"
#include "suppress/suppress.h"

#define SHOW_TEXT_WIDTH 60 /* evidence text shown in the table */
#define SHOW_DNS_WIDTH	60 /* evidence DNS summary shown in the table */
#define SHOW_RULE_WIDTH 48 /* the rule (FILE:LINE) or fallback shown */

/* Seconds since the first failure, 0 when unknown or in the future. */
static int64_t show_age(const struct ctl_context *ctx,
			const struct store_message *m)
{
	return m->first_failure && ctx->now > m->first_failure
		   ? ctx->now - m->first_failure
		   : 0;
}

struct show_walk {
	const struct ctl_context *ctx;
	const char *queue_id; /* show QUEUEID, or */
	const char *address;  /* show ADDRESS */
	struct store_message **msgs;
	size_t nmsgs;
	int failed;
};

/* Keep a copy of each message that has the id or holds the address. */
static int show_collect(const struct store_message *m, void *arg)
{
	struct show_walk *w = arg;
	struct store_message *copy, **grown;
	int match = 0;

	if (w->queue_id)
		match = strcmp(m->queue_id, w->queue_id) == 0;
	for (size_t i = 0; w->address && !match && i < m->nrcpts; i++)
		match = strcmp(m->rcpts[i].address, w->address) == 0;
	if (!match)
		return 0;
	grown = reallocarray(w->msgs, w->nmsgs + 1, sizeof(*grown));
	if (grown == NULL || (copy = store_message_new(m->nrcpts)) == NULL) {
		if (grown)
			w->msgs = grown;
		w->failed = 1;
		return -1;
	}
	w->msgs = grown;
	memcpy(copy, m, sizeof(*m) + m->nrcpts * sizeof(m->rcpts[0]));
	w->msgs[w->nmsgs++] = copy;
	return 0;
}

static json_t *show_message_json(const struct ctl_context *ctx,
				 const struct store_message *m)
{
	json_t *o = json_object(), *rcpts = json_array();

	if (o == NULL || rcpts == NULL) {
		json_decref(o);
		json_decref(rcpts);
		return NULL;
	}
	json_object_set_new(o, "queue_id", ctl_json_string(m->queue_id));
	json_object_set_new(o, "mta", ctl_json_string(m->mta));
	json_object_set_new(o, "state",
			    json_string(store_msg_state_name(m->state)));
	json_object_set_new(o, "sender", ctl_json_string(m->sender));
	json_object_set_new(o, "domain", ctl_json_string(m->domain));
	json_object_set_new(
	    o, "group", m->group[0] ? ctl_json_string(m->group) : json_null());
	json_object_set_new(o, "arrival", ctl_json_time(m->arrival));
	json_object_set_new(o, "first_failure",
			    ctl_json_time(m->first_failure));
	json_object_set_new(o, "age_seconds",
			    json_integer((json_int_t)show_age(ctx, m)));
	json_object_set_new(o, "adopted_at", ctl_json_time(m->adopted_at));
	json_object_set_new(o, "attempts", json_integer(m->attempts));
	json_object_set_new(o, "last_attempt", ctl_json_time(m->last_attempt));
	json_object_set_new(o, "next_attempt", ctl_json_time(m->next_attempt));
	json_object_set_new(o, "last_verdict",
			    ctl_json_string(m->last_verdict));
	json_object_set_new(o, "last_reason", ctl_json_string(m->last_reason));
	for (size_t i = 0; i < m->nrcpts; i++) {
		json_t *r = json_object();

		if (r == NULL)
			continue;
		json_object_set_new(r, "address",
				    ctl_json_string(m->rcpts[i].address));
		json_object_set_new(
		    r, "state",
		    json_string(store_rcpt_state_name(m->rcpts[i].state)));
		json_object_set_new(r, "dsn", ctl_json_string(m->rcpts[i].dsn));
		json_object_set_new(r, "reason",
				    ctl_json_string(m->rcpts[i].reason));
		json_array_append_new(rcpts, r);
	}
	json_object_set_new(o, "recipients", rcpts);
	return o;
}

/* "  label:  value" with the value masked. */
static void show_field(FILE *out, const char *label, const char *value)
{
	char shown[LIMIT_REASON + 1];

	fprintf(out, "  %-14s %s\n", label,
		value && value[0] ? log_printable(shown, sizeof(shown), value)
				  : "-");
}

static void show_message_text(const struct ctl_context *ctx, FILE *out,
			      const struct store_message *m)
{
	static const struct ctl_table_col cols[] = {{"RECIPIENT", 0, 0},
						    {"STATE", 0, 0},
						    {"DSN", 0, 0},
						    {"REASON", 0, 0}};
	char a[40], b[40], line[160];
	struct ctl_table *t = ctl_table_new(cols, 4);

	fprintf(out, "message %s (%s)\n", m->queue_id, m->mta);
	show_field(out, "state:", store_msg_state_name(m->state));
	show_field(out, "sender:", m->sender[0] ? m->sender : "<>");
	show_field(out, "domain:", m->domain);
	show_field(out, "group:", m->group);
	ctl_format_iso(m->arrival, a, sizeof(a));
	show_field(out, "arrival:", a);
	ctl_format_iso(m->first_failure, a, sizeof(a));
	ctl_format_age(show_age(ctx, m), b, sizeof(b));
	snprintf(line, sizeof(line), "%s (%s ago)", a, b);
	show_field(out, "first failure:", m->first_failure ? line : NULL);
	ctl_format_iso(m->adopted_at, a, sizeof(a));
	show_field(out, "adopted:", a);
	ctl_format_iso(m->last_attempt, a, sizeof(a));
	snprintf(line, sizeof(line), "%u (last %s)", (unsigned)m->attempts, a);
	show_field(out, "attempts:", line);
	ctl_format_iso(m->next_attempt, a, sizeof(a));
	ctl_format_due(m->next_attempt, ctx->now, b, sizeof(b));
	snprintf(line, sizeof(line), "%s (%s)", a, b);
	show_field(out, "next attempt:", m->next_attempt ? line : NULL);
	show_field(out, "last verdict:", m->last_verdict);
	show_field(out, "last reason:", m->last_reason);
	fprintf(out, "  recipients:\n");
	for (size_t i = 0; t && i < m->nrcpts; i++) {
		const char *cells[4] = {
		    m->rcpts[i].address,
		    store_rcpt_state_name(m->rcpts[i].state),
		    m->rcpts[i].dsn[0] ? m->rcpts[i].dsn : NULL,
		    m->rcpts[i].reason[0] ? m->rcpts[i].reason : NULL};

		ctl_table_add(t, cells);
	}
	if (t)
		ctl_table_print(t, out, "    ");
	ctl_table_free(t);
}

/* ---- show ADDRESS: evidence and the suppression decision ---- */

/* The address's evidence, oldest first: the newest LIMIT_EVIDENCE_PER_RCPT
 * (what the store keeps, and what the daemon decides on). */
struct show_evidence {
	struct store_evidence *ev;
	size_t n, cap, dropped;
	int failed; /* out of memory */
};

static int show_evidence_one(const struct store_evidence *ev, void *arg)
{
	struct show_evidence *se = arg;

	if (se->n == LIMIT_EVIDENCE_PER_RCPT) {
		memmove(&se->ev[0], &se->ev[1],
			(se->n - 1) * sizeof(se->ev[0]));
		se->n--;
		se->dropped++;
	}
	if (se->n == se->cap) {
		size_t cap = se->cap ? se->cap * 2 : 16;
		struct store_evidence *grown;

		if (cap > LIMIT_EVIDENCE_PER_RCPT)
			cap = LIMIT_EVIDENCE_PER_RCPT;
		grown = reallocarray(se->ev, cap, sizeof(*grown));
		if (grown == NULL)
			return se->failed = -1;
		se->ev = grown;
		se->cap = cap;
	}
	se->ev[se->n++] = *ev;
	return 0;
}

static const struct ctl_table_col evidence_cols[] = {
    {"TIME", 0, 0},
    {"SUPPRESSION", 0, 0},
    {"QUEUE ID", 0, 0},
    {"HOST", 0, 0},
    {"VERDICT", 0, 0},
    {"OUTCOME", 0, 0},
    {"DSN", 0, 0},
    {"CATEGORY", 0, 0},
    {"DECIDED BY", SHOW_RULE_WIDTH, 0},
    {"TEXT", SHOW_TEXT_WIDTH, 0},
    {"DNS", SHOW_DNS_WIDTH, 0},
};

static const char *show_mark_name(enum suppress_mark m)
{
	switch (m) {
	case SUPPRESS_COUNTED:
		return "counted";
	case SUPPRESS_NOT_FAILURE:
		return "not-a-failure";
	case SUPPRESS_RESET:
		return "reset";
	default:
		return "excluded";
	}
}

/* The table cell: "counted", "excluded: DNS local-path", ... */
static const char *show_mark_short(enum suppress_mark m,
				   const struct store_evidence *ev, char *buf,
				   size_t len)
{
	switch (m) {
	case SUPPRESS_COUNTED:
		return "counted";
	case SUPPRESS_NOT_FAILURE:
		return "not a failure";
	case SUPPRESS_RESET:
		return "reset by a later delivery";
	case SUPPRESS_EXCLUDED_NEVER:
		snprintf(buf, len, "excluded: %.23s never counts",
			 ev->category);
		return buf;
	case SUPPRESS_EXCLUDED_CATEGORY:
		return ev->category[0] ? "excluded: category not listed"
				       : "excluded: no category";
	case SUPPRESS_EXCLUDED_DNS:
		snprintf(buf, len, "excluded: DNS %.15s",
			 ev->verdict[0] && strcmp(ev->verdict, "-") != 0
			     ? ev->verdict
			     : "not verified");
		return buf;
	}
	return "?";
}

static json_t *show_evidence_json(const struct suppress_criteria *c,
				  const struct store_evidence *ev,
				  enum suppress_mark mark)
{
	json_t *o = json_object();
	char why[SUPPRESS_WHY];

	if (o == NULL)
		return NULL;
	json_object_set_new(o, "time", ctl_json_time(ev->time));
	json_object_set_new(o, "queue_id", ctl_json_string(ev->queue_id));
	json_object_set_new(o, "host", ctl_json_string(ev->host_id));
	json_object_set_new(o, "verdict", ctl_json_string(ev->verdict));
	json_object_set_new(o, "outcome",
			    json_string(store_outcome_name(ev->outcome)));
	json_object_set_new(o, "dsn", ctl_json_string(ev->dsn));
	json_object_set_new(o, "text", ctl_json_string(ev->text));
	json_object_set_new(o, "category", ctl_json_string(ev->category));
	json_object_set_new(o, "dns", ctl_json_string(ev->dns));
	json_object_set_new(o, "suppression",
			    json_string(show_mark_name(mark)));
	json_object_set_new(o, "why",
			    ctl_json_string(suppress_mark_explain(
				c, ev, mark, why, sizeof(why))));
	return o;
}

static int show_evidence_row(struct ctl_table *t,
			     const struct store_evidence *ev,
			     enum suppress_mark mark, const char *decided,
			     enum classify_category now)
{
	char when[40], mk[64], by[SHOW_RULE_WIDTH + 64];
	const char *cells[11] = {when,
				 show_mark_short(mark, ev, mk, sizeof(mk)),
				 ev->queue_id[0] ? ev->queue_id : NULL,
				 ev->host_id[0] ? ev->host_id : NULL,
				 ev->verdict[0] ? ev->verdict : NULL,
				 store_outcome_name(ev->outcome),
				 ev->dsn[0] ? ev->dsn : NULL,
				 ev->category[0] ? ev->category : NULL,
				 by,
				 ev->text[0] ? ev->text : NULL,
				 ev->dns[0] ? ev->dns : NULL};

	/* The rule the loaded policy matches today; when it gives another
	 * category than the one recorded, say so. */
	if (ev->text[0] && strcmp(classify_category_name(now), ev->category))
		snprintf(by, sizeof(by), "%.*s (now %s)", SHOW_RULE_WIDTH,
			 decided, classify_category_name(now));
	else
		snprintf(by, sizeof(by), "%.*s", SHOW_RULE_WIDTH, decided);
	ctl_format_iso(ev->time, when, sizeof(when));
	return ctl_table_add(t, cells);
}

/* The policy's suppression criteria, as configured. */
static json_t *show_criteria(const struct policy *p, FILE *out)
{
	json_t *o = json_object(), *cats = json_array();
	char span[32], list[512] = "";
	size_t used = 0;

	policy_format_duration(p->min_span, span, sizeof(span));
	for (size_t i = 0; i < p->suppress_categories.n; i++) {
		const char *c = p->suppress_categories.items[i];

		json_array_append_new(cats, ctl_json_string(c));
		if (used < sizeof(list))
			used +=
			    (size_t)snprintf(list + used, sizeof(list) - used,
					     "%s%s", i ? ", " : "", c);
	}
	json_object_set_new(o, "categories", cats);
	json_object_set_new(o, "min_failures", json_integer(p->min_failures));
	json_object_set_new(o, "min_span_seconds",
			    json_integer((json_int_t)p->min_span));
	json_object_set_new(o, "require_healthy_dns",
			    json_boolean(p->require_healthy_dns));
	if (out != NULL)
		fprintf(out,
			"  criteria:      %u failures in categories [%s] over "
			"at least %s%s\n",
			p->min_failures, list, span,
			p->require_healthy_dns ? ", while DNS was healthy"
					       : "");
	return o;
}

/*
 * The "suppression" object: the store's record (suppressed, since,
 * reason) and the decision suppress_decide() makes now over the same
 * evidence (counted, needed, span, excluded[] with why).
 */
static json_t *show_suppression_json(const struct suppress_criteria *c,
				     const struct store_suppressed *sup,
				     const struct show_evidence *se,
				     const enum suppress_mark *marks,
				     const struct suppress_decision *d)
{
	json_t *o = json_object(), *ex = json_array();
	char why[SUPPRESS_WHY];

	if (o == NULL || ex == NULL) {
		json_decref(o);
		json_decref(ex);
		return NULL;
	}
	json_object_set_new(o, "suppressed", json_boolean(sup->address[0]));
	json_object_set_new(o, "since",
			    sup->address[0] ? ctl_json_time(sup->time)
					    : json_null());
	json_object_set_new(
	    o, "reason",
	    ctl_json_string(sup->address[0] ? sup->reason : d->explanation));
	json_object_set_new(o, "criteria_met", json_boolean(d->suppress));
	json_object_set_new(o, "explanation", ctl_json_string(d->explanation));
	json_object_set_new(o, "counted", json_integer(d->counted));
	json_object_set_new(
	    o, "needed", json_integer(c->min_failures ? c->min_failures : 1));
	json_object_set_new(
	    o, "span",
	    json_integer(d->counted ? (json_int_t)(d->last - d->first) : 0));
	json_object_set_new(o, "min_span",
			    json_integer((json_int_t)c->min_span));
	json_object_set_new(o, "first_counted",
			    d->counted ? ctl_json_time(d->first) : json_null());
	json_object_set_new(o, "last_counted",
			    d->counted ? ctl_json_time(d->last) : json_null());
	json_object_set_new(o, "reset_at",
			    d->reset_at ? ctl_json_time(d->reset_at)
					: json_null());
	for (size_t i = 0; i < se->n; i++) {
		json_t *e;

		if (strcmp(show_mark_name(marks[i]), "excluded") != 0)
			continue;
		if ((e = json_object()) == NULL)
			continue;
		json_object_set_new(e, "time", ctl_json_time(se->ev[i].time));
		json_object_set_new(e, "queue_id",
				    ctl_json_string(se->ev[i].queue_id));
		json_object_set_new(
		    e, "why",
		    ctl_json_string(suppress_mark_explain(
			c, &se->ev[i], marks[i], why, sizeof(why))));
		json_array_append_new(ex, e);
	}
	json_object_set_new(o, "excluded", ex);
	return o;
}

static void show_suppression_text(FILE *out, const struct store_suppressed *sup,
				  const struct suppress_decision *d)
{
	char when[40], line[LIMIT_REASON + 64];

	if (sup->address[0]) {
		ctl_format_iso(sup->time, when, sizeof(when));
		snprintf(line, sizeof(line), "yes, since %s: %s", when,
			 sup->reason);
		show_field(out, "suppressed:", line);
		show_field(out, "on evidence:", sup->evidence);
	} else {
		show_field(out, "suppressed:", "no");
	}
	show_field(out, "decision:", d->explanation);
	if (sup->address[0] && !d->suppress)
		fprintf(out,
			"  %-14s the evidence kept now does not meet the "
			"criteria (policy changed or evidence pruned); the "
			"record stays until: retryctl unsuppress ADDRESS\n",
			"note:");
	else if (!sup->address[0] && d->suppress)
		fprintf(out,
			"  %-14s the criteria are met: retryd suppresses it "
			"at its next counted failure\n",
			"note:");
}

/* What show ADDRESS gathers before printing (show_address_1_read). */
struct show_addr {
	struct store_suppressed sup;
	struct show_evidence se;
	struct suppress_criteria crit;
	struct suppress_decision dec;
	enum suppress_mark *marks; /* one per evidence record */
	char (
	    *decided)[CLASSIFY_EXPLAIN_LEN]; /* rule or fallback, per record */
	/* guarded rules that stepped aside for an address guard, per record
	 * ("" none; classify_explain_aside) */
	char (*aside)[CLASSIFY_EXPLAIN_LEN];
	enum classify_category *now; /* what the rules say today, per record */
};

/*
 * show_address_explain - run each evidence text through the loaded policy's
 * classifier (local rules, then the built-in ones) and keep what decided:
 * the rule as FILE:LINE or the fallback, as retryctl classify --explain.
 */
static int show_address_explain(const struct ctl_context *ctx,
				struct show_addr *a)
{
	struct classifier *c = NULL;
	char err[512];

	a->decided = calloc(a->se.n + 1, sizeof(*a->decided));
	a->aside = calloc(a->se.n + 1, sizeof(*a->aside));
	a->now = calloc(a->se.n + 1, sizeof(*a->now));
	if (a->decided == NULL || a->aside == NULL || a->now == NULL) {
		fprintf(stderr, "retryctl: show: out of memory\n");
		return -1;
	}
	if (classify_new(ctx->policy, &c, err, sizeof(err)) < 0) {
		fprintf(stderr, "retryctl: show: %s\n", err);
		return -1;
	}
	for (size_t i = 0; i < a->se.n; i++) {
		const struct store_evidence *ev = &a->se.ev[i];
		struct classify_result r =
		    classify_text(c, ev->text, strlen(ev->text));

		a->now[i] = r.category;
		if (ev->text[0] == '\0')
			snprintf(a->decided[i], sizeof(a->decided[i]),
				 "no text");
		else
			classify_explain(c, &r, a->decided[i],
					 sizeof(a->decided[i]));
		classify_explain_aside(c, &r, a->aside[i], sizeof(a->aside[i]));
	}
	classify_free(c);
	return 0;
}

/* show_address_1_read - suppression record, evidence, decision; -1 printed */
static int show_address_1_read(const struct ctl_context *ctx, struct store *st,
			       const struct show_walk *w, struct show_addr *a)
{
	char err[512];
	int ret;

	ret = store_get_suppressed(st, NULL, w->address, &a->sup, err,
				   sizeof(err));
	if (ret != STORE_OK && ret != STORE_NOTFOUND) {
		fprintf(stderr, "retryctl: show: %s\n", err);
		return -1;
	}
	ret = store_walk_evidence(st, w->address, show_evidence_one, &a->se,
				  err, sizeof(err));
	if (ret != STORE_OK || a->se.failed) {
		fprintf(stderr, "retryctl: show: %s\n",
			a->se.failed ? "out of memory" : err);
		return -1;
	}
	if (a->sup.address[0] == '\0' && w->nmsgs == 0 && a->se.n == 0) {
		fprintf(stderr,
			"retryctl: show: nothing known about %s (no message, "
			"no evidence, not suppressed)\n",
			w->address);
		return -1;
	}
	if ((a->marks = calloc(a->se.n + 1, sizeof(*a->marks))) == NULL) {
		fprintf(stderr, "retryctl: show: out of memory\n");
		return -1;
	}
	suppress_criteria_from_policy(ctx->policy, &a->crit);
	suppress_decide(&a->crit, a->se.ev, a->se.n, a->marks, &a->dec);
	return show_address_explain(ctx, a);
}

/* show_address_2_json - the whole address as one JSON object */
static int show_address_2_json(const struct ctl_context *ctx,
			       const struct show_walk *w,
			       const struct show_addr *a)
{
	json_t *doc = json_object(), *msgs = json_array(), *evs = json_array(),
	       *s = json_null();
	int ret;

	if (a->sup.address[0]) {
		s = json_object();
		json_object_set_new(s, "since", ctl_json_time(a->sup.time));
		json_object_set_new(s, "reason",
				    ctl_json_string(a->sup.reason));
		json_object_set_new(s, "evidence",
				    ctl_json_string(a->sup.evidence));
	}
	json_object_set_new(doc, "address", ctl_json_string(w->address));
	json_object_set_new(doc, "suppressed", s);
	json_object_set_new(doc, "criteria", show_criteria(ctx->policy, NULL));
	json_object_set_new(doc, "suppression",
			    show_suppression_json(&a->crit, &a->sup, &a->se,
						  a->marks, &a->dec));
	for (size_t i = 0; i < w->nmsgs; i++)
		json_array_append_new(msgs, show_message_json(ctx, w->msgs[i]));
	for (size_t i = 0; i < a->se.n; i++) {
		json_t *o =
		    show_evidence_json(&a->crit, &a->se.ev[i], a->marks[i]);

		if (o != NULL) {
			json_object_set_new(o, "decided_by",
					    ctl_json_string(a->decided[i]));
			if (a->aside[i][0] != '\0')
				json_object_set_new(
				    o, "stepped_aside",
				    ctl_json_string(a->aside[i]));
			json_object_set_new(
			    o, "category_now",
			    json_string(classify_category_name(a->now[i])));
		}
		json_array_append_new(evs, o);
	}
	json_object_set_new(doc, "messages", msgs);
	json_object_set_new(doc, "evidence", evs);
	ret = ctl_json_print(ctx->out, doc);
	json_decref(doc);
	return ret < 0 ? CTL_EXIT_ERROR : CTL_EXIT_OK;
}

/* show_address_3_text - suppression, criteria, messages, evidence table */
static int show_address_3_text(const struct ctl_context *ctx,
			       const struct show_walk *w,
			       const struct show_addr *a)
{
	struct ctl_table *t;
	FILE *out = ctx->out;

	t = ctl_table_new(evidence_cols,
			  sizeof(evidence_cols) / sizeof(evidence_cols[0]));
	for (size_t i = 0; t && i < a->se.n; i++)
		if (show_evidence_row(t, &a->se.ev[i], a->marks[i],
				      a->decided[i], a->now[i]) < 0) {
			ctl_table_free(t);
			t = NULL;
		}
	if (t == NULL) {
		fprintf(stderr, "retryctl: show: out of memory\n");
		return CTL_EXIT_ERROR;
	}
	fprintf(out, "address %s\n", w->address);
	show_suppression_text(out, &a->sup, &a->dec);
	json_decref(show_criteria(ctx->policy, out));
	fprintf(out, "\n%zu message(s) holding it%s\n", w->nmsgs,
		w->nmsgs ? ":" : "");
	for (size_t i = 0; i < w->nmsgs; i++) {
		fputc('\n', out);
		show_message_text(ctx, out, w->msgs[i]);
	}
	fprintf(out, "\nevidence (%zu record(s), oldest first%s):\n", a->se.n,
		a->se.dropped ? "; older ones not read" : "");
	ctl_table_print(t, out, "  ");
	ctl_table_free(t);
	/* what the DECIDED BY cell cannot hold: a guarded rule that matched
	 * first and stepped aside for an address guard */
	for (size_t i = 0; i < a->se.n; i++) {
		char when[40];

		if (a->aside[i][0] == '\0')
			continue;
		ctl_format_iso(a->se.ev[i].time, when, sizeof(when));
		fprintf(out, "  %s %s: %s\n", when,
			a->se.ev[i].queue_id[0] ? a->se.ev[i].queue_id : "-",
			a->aside[i]);
	}
	return CTL_EXIT_OK;
}

/* show_address - show ADDRESS: read, then print as JSON or text */
static int show_address(const struct ctl_context *ctx, struct store *st,
			struct show_walk *w, int as_json)
{
	struct show_addr a;
	int rc = CTL_EXIT_ERROR;

	memset(&a, 0, sizeof(a));
	if (show_address_1_read(ctx, st, w, &a) == 0)
		rc = as_json ? show_address_2_json(ctx, w, &a)
			     : show_address_3_text(ctx, w, &a);
	free(a.marks);
	free(a.decided);
	free(a.aside);
	free(a.now);
	free(a.se.ev);
	return rc;
}

static int show_usage(void)
{
	fprintf(stderr, "usage: retryctl show ADDRESS|QUEUEID [--json]\n");
	return CTL_EXIT_USAGE;
}

int ctl_show(struct ctl_context *ctx, int argc, char **argv)
{
	struct show_walk w = {.ctx = ctx};
	const char *key = NULL;
	struct store *st;
	char err[512];
	int as_json = 0, rc = CTL_EXIT_OK, ret;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			as_json = 1;
		else if (key == NULL && argv[i][0] != '-')
			key = argv[i];
		else
			return show_usage();
	}
	if (key == NULL)
		return show_usage();
	if (strchr(key, '@') != NULL) {
		if (ctl_check_arg("show", "address", key, LIMIT_ADDRESS) < 0)
			return CTL_EXIT_USAGE;
		w.address = key;
	} else {
		if (ctl_check_arg("show", "queue id", key, LIMIT_QUEUE_ID) < 0)
			return CTL_EXIT_USAGE;
		w.queue_id = key;
	}
	if (ctl_store_missing(ctx)) {
		fprintf(stderr,
			"retryctl: show: no store in %s yet: nothing "
			"known about %s\n",
			ctx->policy->state_dir, key);
		return CTL_EXIT_ERROR;
	}
	if ((st = ctl_store_open(ctx, "show")) == NULL)
		return CTL_EXIT_ERROR;
	ret = store_walk_messages(st, show_collect, &w, err, sizeof(err));
	if (ret != STORE_OK) {
		fprintf(stderr, "retryctl: show: %s\n",
			w.failed ? "out of memory" : err);
		rc = CTL_EXIT_ERROR;
	} else if (w.address) {
		rc = show_address(ctx, st, &w, as_json);
	} else if (w.nmsgs == 0) {
		fprintf(stderr, "retryctl: show: no message %s in the store\n",
			key);
		rc = CTL_EXIT_ERROR;
	} else if (as_json) {
		json_t *doc = json_object(), *msgs = json_array();

		json_object_set_new(doc, "queue_id", ctl_json_string(key));
		for (size_t i = 0; i < w.nmsgs; i++)
			json_array_append_new(
			    msgs, show_message_json(ctx, w.msgs[i]));
		json_object_set_new(doc, "messages", msgs);
		rc = ctl_json_print(ctx->out, doc) < 0 ? CTL_EXIT_ERROR
						       : CTL_EXIT_OK;
		json_decref(doc);
	} else {
		for (size_t i = 0; i < w.nmsgs; i++) {
			if (i)
				fputc('\n', ctx->out);
			show_message_text(ctx, ctx->out, w.msgs[i]);
		}
	}
	for (size_t i = 0; i < w.nmsgs; i++)
		store_message_free(w.msgs[i]);
	free(w.msgs);
	store_close(st);
	return rc;
}
