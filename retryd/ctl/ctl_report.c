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

int ctl_report(struct ctl_context *ctx, int argc, char **argv)
{
	const char *since_text = NULL, *domain = NULL, *group = NULL,
		   *format = "text";
	enum report_scope_kind kind = REPORT_SCOPE_ALL;
	char name[LIMIT_DOMAIN + 1] = "", err[600];
	int64_t since = REPORT_DEFAULT_SINCE;
	struct store *st = NULL;
	json_t *doc;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--since") == 0 && i + 1 < argc)
			since_text = argv[++i];
		else if (strcmp(argv[i], "--domain") == 0 && i + 1 < argc)
			domain = argv[++i];
		else if (strcmp(argv[i], "--group") == 0 && i + 1 < argc)
			group = argv[++i];
		else if (strcmp(argv[i], "--format") == 0 && i + 1 < argc)
			format = argv[++i];
		else if (strcmp(argv[i], "--json") == 0)
			format = "json";
		else {
			fprintf(stderr,
				"retryctl: report: bad argument: %.100s\n%s",
				argv[i], REPORT_USAGE);
			return CTL_EXIT_USAGE;
		}
	}
	if ((domain && group) ||
	    (strcmp(format, "text") != 0 && strcmp(format, "json") != 0 &&
	     strcmp(format, "html") != 0)) {
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
			name[n] = (char)tolower((unsigned char)domain[n]);
		name[n] = '\0';
		if (n > 1 && name[n - 1] == '.')
			name[n - 1] = '\0';
		kind = REPORT_SCOPE_DOMAIN;
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
		snprintf(name, sizeof(name), "%s", group);
		kind = REPORT_SCOPE_GROUP;
	}
	since = ctx->now - since;
	if (ctl_store_missing(ctx)) {
		struct report *r = report_new(kind, name, ctx->policy->host_id,
					      since, ctx->now, NULL);

		doc = r ? report_json(r) : NULL;
		report_free(r);
		snprintf(err, sizeof(err), "out of memory");
	} else {
		if ((st = ctl_store_open(ctx, "report")) == NULL)
			return CTL_EXIT_ERROR;
		doc = report_collect(st, ctx->policy, kind, name, since,
				     ctx->now, NULL, err, sizeof(err));
		store_close(st);
	}
	if (doc == NULL) {
		fprintf(stderr, "retryctl: report: %s\n", err);
		return CTL_EXIT_ERROR;
	}
	if (strcmp(format, "json") == 0)
		rc = json_dumpf(doc, ctx->out, JSON_INDENT(2)) < 0 ||
			     fputc('\n', ctx->out) == EOF
			 ? -1
			 : 0;
	else if (strcmp(format, "html") == 0)
		rc = report_print_html(doc, ctx->out);
	else
		rc = report_print_text(doc, ctx->out);
	json_decref(doc);
	return rc < 0 ? CTL_EXIT_ERROR : CTL_EXIT_OK;
}
