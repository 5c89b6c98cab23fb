/*
 * NAME
 *	ctl_sentinel 3
 * SUMMARY
 *	retryctl sentinel [--events] [--since DUR] [--json]
 * SYNOPSIS
 *	#include "ctl/ctl.h"
 * DESCRIPTION
 *	Shows what the sentinel (pass_sentinel.c) last saw: when it last ran
 *	(domains, queries, milliseconds), then one row per watched domain and
 *	MTA resolver node: the domain's verdict, since when it fails, the
 *	node's answer and, for a negative answer, the negative TTL the node
 *	has left now (what it had at the check, less the time since).
 *	--events lists the events instead (flushes with the node, its answer
 *	and negative TTL and whether the flush fixed it; failures that began
 *	or ended), the last day unless --since says otherwise. --json prints
 *	{"run", "domains": [...], "events": [...]} with both.
 *
 *	Owns: the store handle, per command.
 * DIAGNOSTICS
 *	Exit 0; 1 when the store fails; 2 on bad usage. A record whose JSON
 *	does not parse is skipped with a warning on stderr.
 */
#include "ctl/ctl.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ctl/ctl_table.h"
#include "pass/pass.h"

#define SENTINEL_DEFAULT_SINCE 86400 /* --events: the last day */

struct sentinel_view {
	const struct ctl_context *ctx;
	json_t *run;	 /* the run record, or NULL */
	json_t *domains; /* array of watch states */
	json_t *events;	 /* array of events */
};

static json_t *sentinel_parse(const struct store_event *ev)
{
	json_t *o = json_loads(ev->json, JSON_REJECT_DUPLICATES, NULL);

	if (!json_is_object(o)) {
		fprintf(stderr,
			"retryctl: sentinel: record of '%.100s' does not "
			"parse: skipped\n",
			ev->domain);
		json_decref(o);
		return NULL;
	}
	return o;
}

static int sentinel_watch_one(const struct store_event *ev, void *arg)
{
	struct sentinel_view *v = arg;
	json_t *o = sentinel_parse(ev);

	if (o == NULL)
		return 0;
	if (ev->domain[0] == '\0') {
		json_decref(v->run);
		v->run = o;
	} else {
		json_array_append_new(v->domains, o);
	}
	return 0;
}

static int sentinel_event_one(const struct store_event *ev, void *arg)
{
	struct sentinel_view *v = arg;
	json_t *o = sentinel_parse(ev);

	if (o != NULL)
		json_array_append_new(v->events, o);
	return 0;
}

static int64_t jint(const json_t *o, const char *key, int64_t dflt)
{
	const json_t *x = json_object_get(o, key);

	return json_is_integer(x) ? json_integer_value(x) : dflt;
}

static const char *jstr(const json_t *o, const char *key)
{
	const json_t *x = json_object_get(o, key);

	return json_is_string(x) ? json_string_value(x) : "";
}

/* Each node's negative TTL as it stands now: "neg_ttl_left_now". */
static void sentinel_age_nodes(json_t *state, int64_t now)
{
	int64_t at = jint(state, "last_run", now);
	json_t *nodes = json_object_get(state, "nodes"), *n;
	size_t i;

	json_array_foreach(nodes, i, n)
	{
		int64_t left = pass_sentinel_ttl_left(
		    jint(n, "neg_ttl_left", -1), at, now);

		if (left >= 0)
			json_object_set_new(n, "neg_ttl_left_now",
					    json_integer(left));
	}
}

static void sentinel_print_run(const struct sentinel_view *v, FILE *out)
{
	char when[40];

	if (v->run == NULL) {
		fprintf(out,
			"sentinel: never run (enabled = %s, %zu watched "
			"domains in the policy)\n",
			v->ctx->policy->sentinel_enabled ? "yes" : "no",
			json_array_size(v->domains));
		return;
	}
	ctl_format_iso(jint(v->run, "last_run", 0), when, sizeof(when));
	fprintf(out,
		"sentinel: last run %s: %lld domains, %lld queries, %lld ms "
		"(every %llds)\n",
		when, (long long)jint(v->run, "domains", 0),
		(long long)jint(v->run, "queries", 0),
		(long long)jint(v->run, "ms", 0),
		(long long)jint(v->run, "interval", 0));
}

static int sentinel_print_domains(const struct sentinel_view *v, FILE *out)
{
	static const struct ctl_table_col cols[] = {
	    {"DOMAIN", 0, 0}, {"VERDICT", 0, 0}, {"SINCE", 0, 0},
	    {"NODE", 0, 0},   {"ANSWER", 0, 0},	 {"NEG-TTL-LEFT", 0, 1}};
	struct ctl_table *t = ctl_table_new(cols, 6);
	json_t *d, *n;
	size_t i, j;

	if (t == NULL)
		return -1;
	json_array_foreach(v->domains, i, d)
	{
		char since[40] = "-", left[24];
		json_t *nodes = json_object_get(d, "nodes");

		if (jint(d, "since", 0) > 0)
			ctl_format_iso(jint(d, "since", 0), since,
				       sizeof(since));
		json_array_foreach(nodes, j, n)
		{
			const char *cells[6] = {
			    jstr(d, "domain"), jstr(d, "verdict"), since,
			    jstr(n, "node"),   jstr(n, "answer"),  "-"};

			if (jint(n, "neg_ttl_left_now", -1) >= 0) {
				snprintf(
				    left, sizeof(left), "%llds",
				    (long long)jint(n, "neg_ttl_left_now", 0));
				cells[5] = left;
			}
			if (ctl_table_add(t, cells) < 0) {
				ctl_table_free(t);
				return -1;
			}
		}
	}
	ctl_table_print(t, out, "");
	ctl_table_free(t);
	return 0;
}

static int sentinel_print_events(const struct sentinel_view *v, FILE *out)
{
	static const struct ctl_table_col cols[] = {
	    {"TIME", 0, 0},	    {"DOMAIN", 0, 0}, {"EVENT", 0, 0},
	    {"VERDICT", 0, 0},	    {"NODE", 0, 0},   {"ANSWER", 0, 0},
	    {"NEG-TTL-LEFT", 0, 1}, {"RESULT", 0, 0}};
	struct ctl_table *t = ctl_table_new(cols, 8);
	json_t *e;
	size_t i;

	if (t == NULL)
		return -1;
	json_array_foreach(v->events, i, e)
	{
		char when[40], left[24] = "-";
		const json_t *fixed = json_object_get(e, "fixed");
		const char *result = !json_is_boolean(fixed) ? "-"
				     : json_is_true(fixed)   ? "fixed"
							     : "not fixed";
		const char *cells[8];

		ctl_format_iso(jint(e, "time", 0), when, sizeof(when));
		if (jint(e, "neg_ttl_left", -1) >= 0)
			snprintf(left, sizeof(left), "%llds",
				 (long long)jint(e, "neg_ttl_left", 0));
		cells[0] = when;
		cells[1] = jstr(e, "domain");
		cells[2] = jstr(e, "kind");
		cells[3] = jstr(e, "verdict");
		cells[4] = jstr(e, "node")[0] ? jstr(e, "node") : "-";
		cells[5] = jstr(e, "answer")[0] ? jstr(e, "answer") : "-";
		cells[6] = left;
		cells[7] = result;
		if (ctl_table_add(t, cells) < 0) {
			ctl_table_free(t);
			return -1;
		}
	}
	ctl_table_print(t, out, "");
	ctl_table_free(t);
	return 0;
}

static int sentinel_print_json(struct sentinel_view *v, FILE *out)
{
	json_t *o = json_object();
	int rc;

	json_object_set(o, "run", v->run ? v->run : json_null());
	json_object_set(o, "domains", v->domains);
	json_object_set(o, "events", v->events);
	rc = ctl_json_print(out, o);
	json_decref(o);
	return rc;
}

static int sentinel_usage(void)
{
	fprintf(stderr,
		"usage: retryctl sentinel [--events] [--since DUR] [--json]\n");
	return CTL_EXIT_USAGE;
}

int ctl_sentinel(struct ctl_context *ctx, int argc, char **argv)
{
	struct sentinel_view v = {ctx, NULL, json_array(), json_array()};
	int64_t since = SENTINEL_DEFAULT_SINCE;
	int as_json = 0, events = 0, rc = CTL_EXIT_OK, ret = STORE_OK;
	struct store *st = NULL;
	char err[512];
	size_t i;
	json_t *d;

	for (int a = 1; a < argc; a++) {
		if (strcmp(argv[a], "--json") == 0)
			as_json = 1;
		else if (strcmp(argv[a], "--events") == 0)
			events = 1;
		else if (strcmp(argv[a], "--since") == 0 && a + 1 < argc &&
			 policy_parse_duration(argv[a + 1], &since) == 0)
			a++;
		else {
			json_decref(v.domains);
			json_decref(v.events);
			return sentinel_usage();
		}
	}
	if (!ctl_store_missing(ctx) &&
	    (st = ctl_store_open(ctx, "sentinel")) == NULL) {
		json_decref(v.domains);
		json_decref(v.events);
		return CTL_EXIT_ERROR;
	}
	if (st != NULL)
		ret = store_walk_watch(st, sentinel_watch_one, &v, err,
				       sizeof(err));
	if (st != NULL && ret == STORE_OK && (events || as_json))
		ret =
		    store_walk_events(st, NULL, ctx->now - since,
				      sentinel_event_one, &v, err, sizeof(err));
	store_close(st);
	if (ret != STORE_OK) {
		fprintf(stderr, "retryctl: sentinel: %s\n", err);
		rc = CTL_EXIT_ERROR;
	}
	json_array_foreach(v.domains, i, d) sentinel_age_nodes(d, ctx->now);
	if (as_json) {
		if (sentinel_print_json(&v, ctx->out) < 0)
			rc = CTL_EXIT_ERROR;
	} else {
		sentinel_print_run(&v, ctx->out);
		if ((events ? sentinel_print_events(&v, ctx->out)
			    : sentinel_print_domains(&v, ctx->out)) < 0) {
			fprintf(stderr, "retryctl: sentinel: out of memory\n");
			rc = CTL_EXIT_ERROR;
		}
	}
	json_decref(v.run);
	json_decref(v.domains);
	json_decref(v.events);
	return rc;
}
