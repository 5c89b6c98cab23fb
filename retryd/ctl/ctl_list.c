/*
 * NAME
 *	ctl_list 3
 * SUMMARY
 *	retryctl list [--group G] [--domain D] [--due] [--json]
 * SYNOPSIS
 *	#include "ctl/ctl.h"
 * DESCRIPTION
 *	list prints one row per pending recipient of every message retryd
 *	holds (any state but done). Each row tells the truth about its own
 *	recipient (ctl_rcpt.c), not about the message's routing domain: queue
 *	id, recipient, the recipient's domain (lowercase, no trailing dot),
 *	that domain's policy group and current verdict, the age of the
 *	failure, attempts, the next attempt relative to now, and the
 *	recipient's own last reason (cut in the table, whole in JSON).
 *	--group keeps recipients whose domain is in the group, --domain
 *	recipients of that domain (case and a trailing dot ignored), --due keeps
 *	messages whose next attempt has come, read from the due index
 *	(earliest first) instead of a walk over every message.
 *	A state_dir that does not exist yet lists as empty.
 *
 *	--json prints an array of objects (queue_id, mta, recipient,
 *	domain, group, state, first_failure, age_seconds, attempts,
 *	next_attempt, last_verdict, last_reason; times ISO 8601 UTC, null
 *	when unset; group null when none), streamed one object at a time.
 *
 *	Owns: the store handle and the table being built.
 * DIAGNOSTICS
 *	Exit 0; 1 when the store cannot be read; 2 on bad usage or a
 *	malformed --group/--domain ("retryctl: list: bad ...").
 */
#include "ctl/ctl.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ctl/ctl_table.h"

#define LIST_REASON_WIDTH 48 /* last reason shown in the table */

struct list_walk {
	const struct ctl_context *ctx;
	const struct ctl_domains *domains;
	const char *group;
	char domain[LIMIT_DOMAIN + 1]; /* --domain normalised, "" = any */
	struct ctl_table *table;       /* human output, or */
	struct ctl_json_stream json;   /* --json output */
	int as_json;
	int failed; /* out of memory in a callback */
};

static const struct ctl_table_col list_cols[] = {
    {"QUEUE ID", 0, 0}, {"RECIPIENT", 0, 0}, {"DOMAIN", 0, 0},
    {"GROUP", 0, 0},	{"AGE", 0, 1},	     {"ATTEMPTS", 0, 1},
    {"NEXT", 0, 0},	{"VERDICT", 0, 0},   {"REASON", LIST_REASON_WIDTH, 0},
};

static int64_t list_age(const struct ctl_context *ctx,
			const struct store_message *m)
{
	return m->first_failure && ctx->now > m->first_failure
		   ? ctx->now - m->first_failure
		   : 0;
}

static json_t *list_row_json(const struct ctl_context *ctx,
			     const struct store_message *m,
			     const struct store_rcpt *r,
			     const struct ctl_rcpt_view *v)
{
	json_t *o = json_object();

	if (o == NULL)
		return NULL;
	json_object_set_new(o, "queue_id", ctl_json_string(m->queue_id));
	json_object_set_new(o, "mta", ctl_json_string(m->mta));
	json_object_set_new(o, "recipient", ctl_json_string(r->address));
	json_object_set_new(o, "domain", ctl_json_string(v->domain));
	json_object_set_new(
	    o, "group", v->group[0] ? ctl_json_string(v->group) : json_null());
	json_object_set_new(o, "state",
			    json_string(store_msg_state_name(m->state)));
	json_object_set_new(o, "first_failure",
			    ctl_json_time(m->first_failure));
	json_object_set_new(o, "age_seconds",
			    json_integer((json_int_t)list_age(ctx, m)));
	json_object_set_new(o, "attempts", json_integer(m->attempts));
	json_object_set_new(o, "next_attempt", ctl_json_time(m->next_attempt));
	json_object_set_new(o, "last_verdict", ctl_json_string(v->verdict));
	json_object_set_new(o, "last_reason", ctl_json_string(v->reason));
	return o;
}

static int list_row_table(struct list_walk *w, const struct store_message *m,
			  const struct store_rcpt *r,
			  const struct ctl_rcpt_view *v)
{
	char age[32], attempts[16], next[40];
	const char *cells[9];

	ctl_format_age(list_age(w->ctx, m), age, sizeof(age));
	snprintf(attempts, sizeof(attempts), "%u", (unsigned)m->attempts);
	ctl_format_due(m->next_attempt, w->ctx->now, next, sizeof(next));
	cells[0] = m->queue_id;
	cells[1] = r->address;
	cells[2] = v->domain;
	cells[3] = v->group[0] ? v->group : NULL;
	cells[4] = m->first_failure ? age : NULL;
	cells[5] = attempts;
	cells[6] = next;
	cells[7] = v->verdict[0] ? v->verdict : NULL;
	cells[8] = v->reason[0] ? v->reason : NULL;
	return ctl_table_add(w->table, cells);
}

static int list_message(const struct store_message *m, void *arg)
{
	struct list_walk *w = arg;

	if (m->state == STORE_MSG_DONE)
		return 0;
	for (size_t i = 0; i < m->nrcpts; i++) {
		const struct store_rcpt *r = &m->rcpts[i];
		struct ctl_rcpt_view v;

		if (r->state != STORE_RCPT_PENDING)
			continue;
		ctl_domains_view(w->domains, m, r, &v);
		if (w->group && strcmp(v.group, w->group) != 0)
			continue;
		if (w->domain[0] && strcmp(v.domain, w->domain) != 0)
			continue;
		if (w->as_json)
			ctl_json_stream_add(&w->json,
					    list_row_json(w->ctx, m, r, &v));
		else if (list_row_table(w, m, r, &v) < 0)
			return w->failed = -1;
	}
	return 0;
}

static int list_usage(void)
{
	fprintf(stderr, "usage: retryctl list [--group G] [--domain D] "
			"[--due] [--json]\n");
	return CTL_EXIT_USAGE;
}

int ctl_list(struct ctl_context *ctx, int argc, char **argv)
{
	struct list_walk w = {.ctx = ctx};
	struct ctl_domains *domains = NULL;
	const char *domain = NULL;
	struct store *st = NULL;
	char err[512];
	int due = 0, ret = STORE_OK, rc = CTL_EXIT_OK;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			w.as_json = 1;
		else if (strcmp(argv[i], "--due") == 0)
			due = 1;
		else if (strcmp(argv[i], "--group") == 0 && i + 1 < argc)
			w.group = argv[++i];
		else if (strcmp(argv[i], "--domain") == 0 && i + 1 < argc)
			domain = argv[++i];
		else
			return list_usage();
	}
	if (w.group && ctl_check_arg("list", "group", w.group,
				     LIMIT_POLICY_GROUP_NAME) < 0)
		return list_usage();
	if (domain && ctl_check_arg("list", "domain", domain, LIMIT_DOMAIN) < 0)
		return list_usage();
	if (domain)
		ctl_domain_normalise(domain, w.domain, sizeof(w.domain));
	if (w.group && policy_group_named(ctx->policy, w.group) == NULL)
		fprintf(stderr,
			"retryctl: list: note: the policy has no "
			"group %s\n",
			w.group);

	if (!ctl_store_missing(ctx) &&
	    (st = ctl_store_open(ctx, "list")) == NULL)
		return CTL_EXIT_ERROR;
	if ((domains = ctl_domains_load(ctx, st, err, sizeof(err))) == NULL) {
		fprintf(stderr, "retryctl: list: %s\n", err);
		store_close(st);
		return CTL_EXIT_ERROR;
	}
	w.domains = domains;
	if (!w.as_json && (w.table = ctl_table_new(
			       list_cols, sizeof(list_cols) /
					      sizeof(list_cols[0]))) == NULL) {
		fprintf(stderr, "retryctl: list: out of memory\n");
		ctl_domains_free(domains);
		store_close(st);
		return CTL_EXIT_ERROR;
	}
	if (w.as_json)
		ctl_json_stream_begin(&w.json, ctx->out);
	if (st != NULL && due)
		ret = store_walk_due(st, ctx->now, 0, list_message, &w, err,
				     sizeof(err));
	else if (st != NULL)
		ret =
		    store_walk_messages(st, list_message, &w, err, sizeof(err));
	if (ret != STORE_OK) {
		fprintf(stderr, "retryctl: list: %s\n",
			w.failed ? "out of memory" : err);
		rc = CTL_EXIT_ERROR;
	}
	if (w.as_json && ctl_json_stream_end(&w.json) < 0) {
		fprintf(stderr, "retryctl: list: cannot encode JSON\n");
		rc = CTL_EXIT_ERROR;
	}
	if (!w.as_json)
		ctl_table_print(w.table, ctx->out, "");
	ctl_table_free(w.table);
	ctl_domains_free(domains);
	store_close(st);
	return rc;
}
