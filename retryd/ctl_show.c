/*
 * NAME
 *	ctl_show 3
 * SUMMARY
 *	retryctl show ADDRESS|QUEUEID [--json]
 * SYNOPSIS
 *	#include "ctl.h"
 * DESCRIPTION
 *	show QUEUEID prints the message (under any MTA name) with all its
 *	recipients and their states. show ADDRESS (anything with an '@')
 *	prints whether the address is suppressed (and why), the policy's
 *	suppression criteria, every message holding it (any state, done
 *	included) and its evidence records, oldest first. The argument is
 *	checked (length, no control byte) before it is used.
 *
 *	--json prints one object: {"queue_id", "messages": [...]} or
 *	{"address", "suppressed": null | {since, reason, evidence},
 *	"criteria", "messages": [...], "evidence": [...]}. Each message
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
#include "ctl.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ctl_table.h"
#include "log.h"

#define SHOW_TEXT_WIDTH 60 /* evidence text shown in the table */
#define SHOW_DNS_WIDTH	60 /* evidence DNS summary shown in the table */

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

/* ---- show ADDRESS: evidence and suppression ---- */

struct show_evidence {
	struct ctl_table *table;
	json_t *array;
	size_t n;
	int failed; /* out of memory */
};

static const struct ctl_table_col evidence_cols[] = {
    {"TIME", 0, 0},
    {"QUEUE ID", 0, 0},
    {"HOST", 0, 0},
    {"VERDICT", 0, 0},
    {"OUTCOME", 0, 0},
    {"DSN", 0, 0},
    {"CATEGORY", 0, 0},
    {"TEXT", SHOW_TEXT_WIDTH, 0},
    {"DNS", SHOW_DNS_WIDTH, 0},
};

static int show_evidence_one(const struct store_evidence *ev, void *arg)
{
	struct show_evidence *se = arg;
	char when[40];

	ctl_format_iso(ev->time, when, sizeof(when));
	se->n++;
	if (se->array) {
		json_t *o = json_object();

		if (o == NULL)
			return se->failed = -1;
		json_object_set_new(o, "time", ctl_json_time(ev->time));
		json_object_set_new(o, "queue_id",
				    ctl_json_string(ev->queue_id));
		json_object_set_new(o, "host", ctl_json_string(ev->host_id));
		json_object_set_new(o, "verdict", ctl_json_string(ev->verdict));
		json_object_set_new(
		    o, "outcome", json_string(store_outcome_name(ev->outcome)));
		json_object_set_new(o, "dsn", ctl_json_string(ev->dsn));
		json_object_set_new(o, "text", ctl_json_string(ev->text));
		json_object_set_new(o, "category",
				    ctl_json_string(ev->category));
		json_object_set_new(o, "dns", ctl_json_string(ev->dns));
		if (json_array_append_new(se->array, o) < 0)
			return se->failed = -1;
		return 0;
	} else {
		const char *cells[9] = {when,
					ev->queue_id[0] ? ev->queue_id : NULL,
					ev->host_id[0] ? ev->host_id : NULL,
					ev->verdict[0] ? ev->verdict : NULL,
					store_outcome_name(ev->outcome),
					ev->dsn[0] ? ev->dsn : NULL,
					ev->category[0] ? ev->category : NULL,
					ev->text[0] ? ev->text : NULL,
					ev->dns[0] ? ev->dns : NULL};

		if (ctl_table_add(se->table, cells) < 0)
			return se->failed = -1;
		return 0;
	}
}

/*
 * The policy's suppression criteria. The suppression engine (later
 * work) replaces this with an explanation of which criteria the
 * evidence above meets and which it does not; until then the criteria
 * are shown as configured, so the operator can compare by hand.
 */
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

static int show_address(const struct ctl_context *ctx, struct store *st,
			struct show_walk *w, int as_json)
{
	struct store_suppressed sup;
	struct show_evidence se = {0};
	json_t *doc = NULL, *msgs = NULL;
	FILE *out = ctx->out;
	char err[512], when[40];
	int found = 0, ret;

	memset(&sup, 0, sizeof(sup));
	ret =
	    store_get_suppressed(st, NULL, w->address, &sup, err, sizeof(err));
	if (ret != STORE_OK && ret != STORE_NOTFOUND) {
		fprintf(stderr, "retryctl: show: %s\n", err);
		return CTL_EXIT_ERROR;
	}
	found = ret == STORE_OK || w->nmsgs > 0;
	if (as_json) {
		doc = json_object();
		msgs = json_array();
		se.array = json_array();
		json_object_set_new(doc, "address",
				    ctl_json_string(w->address));
	} else {
		se.table =
		    ctl_table_new(evidence_cols, sizeof(evidence_cols) /
						     sizeof(evidence_cols[0]));
	}
	if ((as_json && (!doc || !msgs || !se.array)) ||
	    (!as_json && !se.table)) {
		json_decref(doc);
		json_decref(msgs);
		json_decref(se.array);
		fprintf(stderr, "retryctl: show: out of memory\n");
		return CTL_EXIT_ERROR;
	}
	ret = store_walk_evidence(st, w->address, show_evidence_one, &se, err,
				  sizeof(err));
	if (ret != STORE_OK) {
		fprintf(stderr, "retryctl: show: %s\n",
			se.failed ? "out of memory" : err);
		json_decref(doc);
		json_decref(msgs);
		json_decref(se.array);
		ctl_table_free(se.table);
		return CTL_EXIT_ERROR;
	}
	found = found || se.n > 0;
	if (!found) {
		fprintf(stderr,
			"retryctl: show: nothing known about %s (no message, "
			"no evidence, not suppressed)\n",
			w->address);
		json_decref(doc);
		json_decref(msgs);
		json_decref(se.array);
		ctl_table_free(se.table);
		return CTL_EXIT_ERROR;
	}
	ctl_format_iso(sup.time, when, sizeof(when));
	if (as_json) {
		json_t *s = json_null();

		if (sup.address[0]) {
			s = json_object();
			json_object_set_new(s, "since",
					    ctl_json_time(sup.time));
			json_object_set_new(s, "reason",
					    ctl_json_string(sup.reason));
			json_object_set_new(s, "evidence",
					    ctl_json_string(sup.evidence));
		}
		json_object_set_new(doc, "suppressed", s);
		json_object_set_new(doc, "criteria",
				    show_criteria(ctx->policy, NULL));
		for (size_t i = 0; i < w->nmsgs; i++)
			json_array_append_new(
			    msgs, show_message_json(ctx, w->msgs[i]));
		json_object_set_new(doc, "messages", msgs);
		json_object_set_new(doc, "evidence", se.array);
		ret = ctl_json_print(out, doc);
		json_decref(doc);
		return ret < 0 ? CTL_EXIT_ERROR : CTL_EXIT_OK;
	}
	fprintf(out, "address %s\n", w->address);
	if (sup.address[0]) {
		char line[LIMIT_REASON + 64];

		snprintf(line, sizeof(line), "yes, since %s: %s", when,
			 sup.reason);
		show_field(out, "suppressed:", line);
		show_field(out, "on evidence:", sup.evidence);
	} else {
		show_field(out, "suppressed:", "no");
	}
	json_decref(show_criteria(ctx->policy, out));
	fprintf(out, "\n%zu message(s) holding it%s\n", w->nmsgs,
		w->nmsgs ? ":" : "");
	for (size_t i = 0; i < w->nmsgs; i++) {
		fputc('\n', out);
		show_message_text(ctx, out, w->msgs[i]);
	}
	fprintf(out, "\nevidence (%zu record(s), oldest first):\n", se.n);
	ctl_table_print(se.table, out, "  ");
	ctl_table_free(se.table);
	return CTL_EXIT_OK;
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
