/*
 * NAME
 *	ctl_report 3
 * SUMMARY
 *	retryctl report [--since DUR] [--domain D | --group G]
 *	[--format text|json|html]
 * SYNOPSIS
 *	#include "ctl/ctl.h"
 * DESCRIPTION
 *	Prints the proof bundle the runbook asks for when escalating, for
 *	one domain, one policy group or (by default) every domain failing or
 *	verified in the window: the window (default the last 24 h), every
 *	verification with each resolver's answer, the verdicts over time,
 *	the affected messages and recipients (a sample and the totals),
 *	counts by sending host and by resolver node, the duration class and
 *	the recommended next action. Formats: text (default), json (the
 *	document of report.h), html (one self-contained page).
 *
 *	A state directory that does not exist yet gives an empty report.
 *	Owns: the store handle and the document, per command.
 * DIAGNOSTICS
 *	Exit 0; 1 when the store fails; 2 on bad usage (bad duration,
 *	domain or format, unknown group).
 */
#include "ctl/ctl.h"

#include <ctype.h>
#include <string.h>

#include "report/report.h"

#define REPORT_USAGE                                                           \
	"usage: retryctl report [--since DUR] [--domain D | --group G] "       \
	"[--format text|json|html]\n"
#define REPORT_DEFAULT_SINCE (24 * 3600)

/* What the command line asks for. */
struct ctl_report_req {
	const char *format;
	enum report_scope_kind kind;
	char name[LIMIT_DOMAIN + 1];
	int64_t since; /* absolute */
};

/* Step 1: parse and check the arguments. @return 0, or an exit code. */
static int ctl_report_args(const struct ctl_context *ctx, int argc, char **argv,
			   struct ctl_report_req *q)
{
	const char *since_text = NULL, *domain = NULL, *group = NULL;
	int64_t since = REPORT_DEFAULT_SINCE;

	q->format = "text";
	q->kind = REPORT_SCOPE_ALL;
	q->name[0] = '\0';
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--since") == 0 && i + 1 < argc)
			since_text = argv[++i];
		else if (strcmp(argv[i], "--domain") == 0 && i + 1 < argc)
			domain = argv[++i];
		else if (strcmp(argv[i], "--group") == 0 && i + 1 < argc)
			group = argv[++i];
		else if (strcmp(argv[i], "--format") == 0 && i + 1 < argc)
			q->format = argv[++i];
		else if (strcmp(argv[i], "--json") == 0)
			q->format = "json";
		else {
			fprintf(stderr,
				"retryctl: report: bad argument: %.100s\n%s",
				argv[i], REPORT_USAGE);
			return CTL_EXIT_USAGE;
		}
	}
	if ((domain && group) ||
	    (strcmp(q->format, "text") != 0 && strcmp(q->format, "json") != 0 &&
	     strcmp(q->format, "html") != 0)) {
		fprintf(stderr, "%s", REPORT_USAGE);
		return CTL_EXIT_USAGE;
	}
	if (since_text != NULL &&
	    (policy_parse_duration(since_text, &since) < 0 || since <= 0)) {
		fprintf(stderr,
			"retryctl: report: bad duration: %.40s (e.g. "
			"30m, 4h, 2d)\n",
			since_text);
		return CTL_EXIT_USAGE;
	}
	if (domain != NULL) {
		size_t n;

		if (ctl_check_arg("report", "domain", domain, LIMIT_DOMAIN) < 0)
			return CTL_EXIT_USAGE;
		for (n = 0; domain[n]; n++)
			q->name[n] = (char)tolower((unsigned char)domain[n]);
		q->name[n] = '\0';
		if (n > 1 && q->name[n - 1] == '.')
			q->name[n - 1] = '\0';
		q->kind = REPORT_SCOPE_DOMAIN;
	} else if (group != NULL) {
		if (ctl_check_arg("report", "group", group,
				  LIMIT_POLICY_GROUP_NAME) < 0)
			return CTL_EXIT_USAGE;
		if (policy_group_named(ctx->policy, group) == NULL) {
			fprintf(stderr,
				"retryctl: report: no group '%s' in %s\n",
				group, ctx->policy->file);
			return CTL_EXIT_USAGE;
		}
		snprintf(q->name, sizeof(q->name), "%s", group);
		q->kind = REPORT_SCOPE_GROUP;
	}
	q->since = ctx->now - since;
	return 0;
}

/* Step 2: the document (empty when the store does not exist yet).
 * @return it, or NULL with @param err. */
static json_t *ctl_report_doc(struct ctl_context *ctx,
			      const struct ctl_report_req *q, char *err,
			      size_t errlen, int *store_failed)
{
	struct store *st;
	json_t *doc;

	if (ctl_store_missing(ctx)) {
		struct report *r =
		    report_new(q->kind, q->name, ctx->policy->host_id, q->since,
			       ctx->now, NULL);

		doc = r ? report_json(r) : NULL;
		report_free(r);
		snprintf(err, errlen, "out of memory");
		return doc;
	}
	if ((st = ctl_store_open(ctx, "report")) == NULL) {
		*store_failed = 1;
		return NULL;
	}
	doc = report_collect(st, ctx->policy, q->kind, q->name, q->since,
			     ctx->now, NULL, err, errlen);
	store_close(st);
	return doc;
}

/* Step 3: print @param doc in the format asked. @return 0 or -1. */
static int ctl_report_print(const struct ctl_report_req *q, const json_t *doc,
			    FILE *out)
{
	if (strcmp(q->format, "json") == 0)
		return json_dumpf(doc, out, JSON_INDENT(2)) < 0 ||
			       fputc('\n', out) == EOF
			   ? -1
			   : 0;
	if (strcmp(q->format, "html") == 0)
		return report_print_html(doc, out);
	return report_print_text(doc, out);
}

int ctl_report(struct ctl_context *ctx, int argc, char **argv)
{
	struct ctl_report_req q;
	char err[600] = "";
	int rc, store_failed = 0;
	json_t *doc;

	if ((rc = ctl_report_args(ctx, argc, argv, &q)) != 0)
		return rc;
	doc = ctl_report_doc(ctx, &q, err, sizeof(err), &store_failed);
	if (doc == NULL) {
		if (!store_failed)
			fprintf(stderr, "retryctl: report: %s\n", err);
		return CTL_EXIT_ERROR;
	}
	/* observe mode: the renderers open with a banner */
	if (ctx->policy->observe)
		json_object_set_new(doc, "mode", json_string("observe"));
	rc = ctl_report_print(&q, doc, ctx->out);
	json_decref(doc);
	return rc < 0 ? CTL_EXIT_ERROR : CTL_EXIT_OK;
}
