/*
 * NAME
 *	ctl_shape 3
 * SUMMARY
 *	retryctl shape [--group G] [--by domain|verdict|host] [--json]
 * SYNOPSIS
 *	#include "ctl/ctl.h"
 * DESCRIPTION
 *	The shape of the mail retryd holds, as Postfix's qshape shows a
 *	queue: one row per recipient domain (--by domain, the default), per
 *	current verdict of that domain (--by verdict) or per last-known MX
 *	host of that domain (--by host: the Microsoft-hosted domains of one
 *	provider fall in one row), and one column per age bucket of the
 *	failure, in minutes: T (total), 5, 10, 20, 40, 80, 160, 320, 640,
 *	1280, 1280+. The column N counts the messages whose failure is at
 *	least the previous column's bound old (0 for the first) and under N
 *	minutes; 1280+ those of 1280 minutes and more. A message counts once in each row one of its
 *	pending recipients falls in (recipients are described by their own
 *	domain: ctl_rcpt.c). Each row also gives its current verdict (the
 *	domain's; for a host, the verdict of its domains, or "mixed"). Rows
 *	come by total, largest first, after the TOTAL row. --group keeps
 *	recipients whose domain is in the policy group.
 *
 *	--json prints {by, buckets[], total {T, counts[]}, rows[] {key,
 *	verdict, T, counts[]}}.
 *
 *	Owns: the store handle, the domain cache and the rows.
 * DIAGNOSTICS
 *	Exit 0; 1 when the store cannot be read; 2 on bad usage.
 */
#include "ctl/ctl.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ctl/ctl_table.h"

#define SHAPE_BUCKETS 11 /* 5 10 20 40 80 160 320 640 1280 1280+ and T */

/* Upper bounds in minutes; the last bucket has none. */
static const int64_t shape_bounds[SHAPE_BUCKETS - 1] = {
    5, 10, 20, 40, 80, 160, 320, 640, 1280, -1};
static const char *const shape_names[SHAPE_BUCKETS - 1] = {
    "5", "10", "20", "40", "80", "160", "320", "640", "1280", "1280+"};

enum shape_by { SHAPE_BY_DOMAIN, SHAPE_BY_VERDICT, SHAPE_BY_HOST };

struct shape_walk {
	const struct ctl_context *ctx;
	const struct ctl_domains *domains;
	const char *group;
	enum shape_by by;
	json_t *rows; /* key -> {verdict, counts[10]} */
	int64_t total[SHAPE_BUCKETS - 1];
	int failed;
};

/* The bucket of a failure @param age_s seconds old. */
static int shape_bucket(int64_t age_s)
{
	for (int b = 0; b < SHAPE_BUCKETS - 2; b++)
		if (age_s < shape_bounds[b] * 60)
			return b;
	return SHAPE_BUCKETS - 2;
}

/* The row of @param key, created with zero counts. */
static json_t *shape_row(struct shape_walk *w, const char *key,
			 const char *verdict)
{
	json_t *row = json_object_get(w->rows, key), *counts;
	const char *old;

	if (row != NULL) {
		old = json_string_value(json_object_get(row, "verdict"));
		if (old && strcmp(old, verdict) != 0)
			json_object_set_new(row, "verdict",
					    json_string("mixed"));
		return row;
	}
	counts = json_array();
	for (int b = 0; counts && b < SHAPE_BUCKETS - 1; b++)
		json_array_append_new(counts, json_integer(0));
	row = json_pack("{s:o, s:o}", "verdict", ctl_json_string(verdict),
			"counts", counts);
	if (row == NULL || json_object_set_new(w->rows, key, row) < 0)
		return NULL;
	return row;
}

static int shape_message(const struct store_message *m, void *arg)
{
	struct shape_walk *w = arg;
	const char *seen[LIMIT_RCPTS_PER_MESSAGE];
	size_t nseen = 0;
	int64_t age = m->first_failure ? w->ctx->now - m->first_failure : 0;
	int b = shape_bucket(age < 0 ? 0 : age), counted = 0;

	if (m->state == STORE_MSG_DONE)
		return 0;
	for (size_t i = 0; i < m->nrcpts && nseen < LIMIT_RCPTS_PER_MESSAGE;
	     i++) {
		struct ctl_rcpt_view v;
		const char *key, *verdict;
		json_t *row, *c;
		size_t k;

		if (m->rcpts[i].state != STORE_RCPT_PENDING)
			continue;
		ctl_domains_view(w->domains, m, &m->rcpts[i], &v);
		if (w->group && strcmp(v.group, w->group) != 0)
			continue;
		verdict = v.verdict && v.verdict[0] ? v.verdict : "-";
		key = w->by == SHAPE_BY_VERDICT ? verdict
		      : w->by == SHAPE_BY_HOST	? (v.mx[0] ? v.mx : "-")
						: v.domain;
		if ((row = shape_row(w, key, verdict)) == NULL)
			return w->failed = -1;
		/* the row's own key, stable while the row lives */
		key = json_object_iter_key(json_object_iter_at(w->rows, key));
		for (k = 0; k < nseen && seen[k] != key; k++)
			;
		if (k < nseen)
			continue;
		seen[nseen++] = key;
		c = json_array_get(json_object_get(row, "counts"), (size_t)b);
		json_integer_set(c, json_integer_value(c) + 1);
		counted = 1;
	}
	if (counted)
		w->total[b]++;
	return 0;
}

static json_int_t shape_sum(const json_t *counts)
{
	json_int_t t = 0;
	const json_t *c;
	size_t i;

	json_array_foreach(counts, i, c) t += json_integer_value(c);
	return t;
}

/* Rows by total, largest first; ties by key. */
static int shape_cmp(const void *a, const void *b)
{
	const json_t *ra = *(json_t *const *)a, *rb = *(json_t *const *)b;
	json_int_t ta = json_integer_value(json_object_get(ra, "T")),
		   tb = json_integer_value(json_object_get(rb, "T"));

	if (ta != tb)
		return ta > tb ? -1 : 1;
	return strcmp(json_string_value(json_object_get(ra, "key")),
		      json_string_value(json_object_get(rb, "key")));
}

/* The rows as a sorted array of {key, verdict, T, counts}. */
static json_t *shape_sorted(const struct shape_walk *w)
{
	size_t n = json_object_size(w->rows), i = 0;
	json_t **v = calloc(n + 1, sizeof(*v)), *out = json_array(), *row;
	const char *key;

	if (v == NULL || out == NULL) {
		free(v);
		json_decref(out);
		return NULL;
	}
	json_object_foreach(w->rows, key, row) v[i++] =
	    json_pack("{s:s, s:O, s:I, s:O}", "key", key, "verdict",
		      json_object_get(row, "verdict"), "T",
		      shape_sum(json_object_get(row, "counts")), "counts",
		      json_object_get(row, "counts"));
	qsort(v, n, sizeof(*v), shape_cmp);
	for (i = 0; i < n; i++)
		json_array_append_new(out, v[i]);
	free(v);
	return out;
}

static int shape_print_json(const struct shape_walk *w, json_t *rows, FILE *out)
{
	static const char *const by[] = {"domain", "verdict", "host"};
	json_t *names = json_array(), *total = json_array(), *doc;
	json_int_t t = 0;
	int rc;

	for (int b = 0; b < SHAPE_BUCKETS - 1; b++) {
		json_array_append_new(names, json_string(shape_names[b]));
		json_array_append_new(total, json_integer(w->total[b]));
		t += w->total[b];
	}
	doc = json_pack("{s:s, s:o, s:{s:I, s:o}, s:O}", "by", by[w->by],
			"buckets", names, "total", "T", t, "counts", total,
			"rows", rows);
	rc = doc == NULL || json_dumpf(doc, out, JSON_INDENT(2)) < 0 ||
		     fputc('\n', out) == EOF
		 ? -1
		 : 0;
	json_decref(doc);
	return rc;
}

static int shape_print_table(const struct shape_walk *w, json_t *rows,
			     FILE *out)
{
	static const char *const first[] = {"DOMAIN", "VERDICT", "MX HOST"};
	struct ctl_table_col cols[SHAPE_BUCKETS + 2];
	char cells[SHAPE_BUCKETS][24];
	const char *cp[SHAPE_BUCKETS + 2];
	struct ctl_table *t;
	const json_t *row;
	json_int_t sum = 0;
	size_t i;
	int rc;

	cols[0] = (struct ctl_table_col){first[w->by], 0, 0};
	cols[1] = (struct ctl_table_col){"VERDICT", 0, 0};
	cols[2] = (struct ctl_table_col){"T", 0, 1};
	for (int b = 0; b < SHAPE_BUCKETS - 1; b++)
		cols[3 + b] = (struct ctl_table_col){shape_names[b], 0, 1};
	if ((t = ctl_table_new(cols, SHAPE_BUCKETS + 2)) == NULL)
		return -1;
	for (int b = 0; b < SHAPE_BUCKETS - 1; b++) {
		snprintf(cells[1 + b], sizeof(cells[0]), "%lld",
			 (long long)w->total[b]);
		sum += w->total[b];
	}
	snprintf(cells[0], sizeof(cells[0]), "%lld", (long long)sum);
	cp[0] = "TOTAL";
	cp[1] = "";
	for (int b = 0; b < SHAPE_BUCKETS; b++)
		cp[2 + b] = cells[b];
	rc = ctl_table_add(t, cp);
	json_array_foreach(rows, i, row)
	{
		cp[0] = json_string_value(json_object_get(row, "key"));
		cp[1] = json_string_value(json_object_get(row, "verdict"));
		snprintf(
		    cells[0], sizeof(cells[0]), "%lld",
		    (long long)json_integer_value(json_object_get(row, "T")));
		for (int b = 0; b < SHAPE_BUCKETS - 1; b++)
			snprintf(
			    cells[1 + b], sizeof(cells[0]), "%lld",
			    (long long)json_integer_value(json_array_get(
				json_object_get(row, "counts"), (size_t)b)));
		if (rc == 0)
			rc = ctl_table_add(t, cp);
	}
	if (rc == 0)
		ctl_table_print(t, out, "");
	ctl_table_free(t);
	return rc;
}

static int shape_usage(void)
{
	fprintf(stderr, "usage: retryctl shape [--group G] "
			"[--by domain|verdict|host] [--json]\n");
	return CTL_EXIT_USAGE;
}

/* Parse the arguments into @param w. @return 0 or -1 (usage printed). */
static int shape_args(struct shape_walk *w, int argc, char **argv, int *as_json)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			*as_json = 1;
		else if (strcmp(argv[i], "--group") == 0 && i + 1 < argc)
			w->group = argv[++i];
		else if (strcmp(argv[i], "--by") == 0 && i + 1 < argc) {
			const char *b = argv[++i];

			if (strcmp(b, "domain") == 0)
				w->by = SHAPE_BY_DOMAIN;
			else if (strcmp(b, "verdict") == 0)
				w->by = SHAPE_BY_VERDICT;
			else if (strcmp(b, "host") == 0)
				w->by = SHAPE_BY_HOST;
			else
				return -1;
		} else
			return -1;
	}
	if (w->group && ctl_check_arg("shape", "group", w->group,
				      LIMIT_POLICY_GROUP_NAME) < 0)
		return -1;
	if (w->group && policy_group_named(w->ctx->policy, w->group) == NULL) {
		fprintf(stderr, "retryctl: shape: no group '%s' in %s\n",
			w->group, w->ctx->policy->file);
		return -1;
	}
	return 0;
}

int ctl_shape(struct ctl_context *ctx, int argc, char **argv)
{
	struct shape_walk w = {.ctx = ctx};
	struct ctl_domains *domains = NULL;
	struct store *st = NULL;
	json_t *rows = NULL;
	char err[512];
	int as_json = 0, rc = CTL_EXIT_ERROR;

	if (shape_args(&w, argc, argv, &as_json) < 0)
		return shape_usage();
	if (!ctl_store_missing(ctx) &&
	    (st = ctl_store_open(ctx, "shape")) == NULL)
		return CTL_EXIT_ERROR;
	if ((domains = ctl_domains_load(ctx, st, err, sizeof(err))) == NULL ||
	    (w.rows = json_object()) == NULL) {
		fprintf(stderr, "retryctl: shape: %s\n",
			domains ? "out of memory" : err);
		goto out;
	}
	w.domains = domains;
	if (st != NULL && store_walk_messages(st, shape_message, &w, err,
					      sizeof(err)) != STORE_OK) {
		fprintf(stderr, "retryctl: shape: %s\n",
			w.failed ? "out of memory" : err);
		goto out;
	}
	if ((rows = shape_sorted(&w)) == NULL ||
	    (as_json ? shape_print_json(&w, rows, ctx->out)
		     : shape_print_table(&w, rows, ctx->out)) < 0) {
		fprintf(stderr, "retryctl: shape: cannot print\n");
		goto out;
	}
	rc = CTL_EXIT_OK;
out:
	json_decref(rows);
	json_decref(w.rows);
	ctl_domains_free(domains);
	store_close(st);
	return rc;
}
