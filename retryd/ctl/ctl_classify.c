/*
 * NAME
 *	ctl_classify 3
 * SUMMARY
 *	retryctl classify [--json] [--explain] [TEXT...]: a bounce text's
 *	category
 * SYNOPSIS
 *	#include "ctl/ctl.h"
 * DESCRIPTION
 *	Compiles the loaded policy's [classifier] rules (classify_new) and
 *	classifies each TEXT argument or, without arguments, each line of
 *	standard input (a trailing CR is dropped). For each it prints
 *	"CATEGORY<TAB>TEXT", or with --json one object per line:
 *	{"category", "status" (enhanced code or null), "permanent", "text"}.
 *	With --explain each line also says what decided: the rule as FILE:LINE
 *	(a shipped rule: "classifier.ini (built in):LINE"), or "status code
 *	X.Y.Z" when no rule matched, or "no rule, no status code" (text:
 *	"CATEGORY<TAB>DECIDED-BY<TAB>TEXT"; JSON: "decided_by"). Where a
 *	guarded rule matched first and stepped aside because an address guard
 *	matched, a fourth field follows the text (a text never holds a tab:
 *	control bytes are masked): "guarded rule FILE:LINE stepped aside:
 *	guard FILE:LINE matched" (JSON: "stepped_aside"; the key is absent
 *	otherwise).
 *	Nothing else is read: no store, no daemon.
 *
 *	Input lines are bounded by LIMIT_LOG_LINE bytes: a longer line is
 *	reported on stderr with its line number and skipped, and reading
 *	goes on. Control bytes of a text are shown as '?' (NUL included);
 *	JSON strings are masked to printable ASCII when not valid UTF-8.
 *
 *	Owns: the classifier and one line buffer, for the command's run.
 * DIAGNOSTICS
 *	"retryctl: classify: line N: longer than 8192 bytes, skipped";
 *	exit 0, or 1 when a line was skipped, stdin could not be read or
 *	the rules did not compile; 2 on bad usage.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "classify/classify.h"
#include "ctl/ctl.h"
#include "ctl/ctl_table.h"

struct classify_run {
	const struct classifier *c;
	FILE *out;
	int as_json;
	int explain; /* --explain: what decided each category */
	int failed;
	char shown[LIMIT_LOG_LINE + 1]; /* the text, control bytes masked */
};

/* classify_one - classify and print one text of @param len bytes */
static void classify_one(struct classify_run *run, const char *text, size_t len)
{
	struct classify_result r = classify_text(run->c, text, len);
	char why[CLASSIFY_EXPLAIN_LEN], aside[CLASSIFY_EXPLAIN_LEN];

	classify_explain(run->c, &r, why, sizeof(why));
	classify_explain_aside(run->c, &r, aside, sizeof(aside));
	if (len > LIMIT_LOG_LINE)
		len = LIMIT_LOG_LINE;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)text[i];

		run->shown[i] = ch < 0x20 || ch == 0x7f ? '?' : (char)ch;
	}
	run->shown[len] = '\0';
	if (run->as_json) {
		json_t *o = json_object();

		if (o == NULL ||
		    json_object_set_new(
			o, "category",
			json_string(classify_category_name(r.category))) ||
		    json_object_set_new(o, "status",
					r.status[0] ? json_string(r.status)
						    : json_null()) ||
		    json_object_set_new(o, "permanent",
					json_boolean(r.permanent)) ||
		    (run->explain &&
		     json_object_set_new(o, "decided_by",
					 ctl_json_string(why))) ||
		    (run->explain && aside[0] != '\0' &&
		     json_object_set_new(o, "stepped_aside",
					 ctl_json_string(aside))) ||
		    json_object_set_new(o, "text",
					ctl_json_string(run->shown)) ||
		    ctl_json_print(run->out, o) < 0) {
			fprintf(stderr,
				"retryctl: classify: cannot encode JSON\n");
			run->failed = 1;
		}
		json_decref(o);
		return;
	}
	if (run->explain)
		fprintf(run->out, "%s\t%s\t%s%s%s\n",
			classify_category_name(r.category), why, run->shown,
			aside[0] != '\0' ? "\t" : "", aside);
	else
		fprintf(run->out, "%s\t%s\n",
			classify_category_name(r.category), run->shown);
}

/* classify_stdin - every line of stdin, bounded; @return 0 or -1 */
static int classify_stdin(struct classify_run *run, char *line)
{
	unsigned long lineno = 0;
	size_t len = 0;
	int too_long = 0, ch;

	for (;;) {
		ch = getchar();
		if (ch != EOF && ch != '\n') {
			if (len < LIMIT_LOG_LINE)
				line[len++] = (char)ch;
			else
				too_long = 1;
			continue;
		}
		if (ch == EOF && len == 0 && !too_long)
			break;
		lineno++;
		if (too_long) {
			fprintf(stderr,
				"retryctl: classify: line %lu: longer than "
				"%d bytes, skipped\n",
				lineno, LIMIT_LOG_LINE);
			run->failed = 1;
		} else {
			if (len > 0 && line[len - 1] == '\r')
				len--;
			classify_one(run, line, len);
		}
		len = 0;
		too_long = 0;
		if (ch == EOF)
			break;
	}
	if (ferror(stdin)) {
		fprintf(stderr, "retryctl: classify: reading stdin: %s\n",
			strerror(errno));
		return -1;
	}
	return 0;
}

int ctl_classify(struct ctl_context *ctx, int argc, char **argv)
{
	static struct classify_run run;
	static char line[LIMIT_LOG_LINE + 1];
	struct classifier *c = NULL;
	char err[512];
	int ntexts = 0, dashdash = 0;

	memset(&run, 0, sizeof(run));
	for (int i = 1; i < argc; i++) {
		if (!dashdash && strcmp(argv[i], "--") == 0)
			dashdash = 1;
		else if (!dashdash && strcmp(argv[i], "--json") == 0)
			run.as_json = 1;
		else if (!dashdash && strcmp(argv[i], "--explain") == 0)
			run.explain = 1;
		else if (!dashdash && argv[i][0] == '-' && argv[i][1] != '\0') {
			fprintf(stderr,
				"retryctl: classify: bad option: %.40s\n"
				"usage: retryctl classify [--json] [--explain] "
				"[TEXT...] "
				"(no TEXT: one per line on stdin)\n",
				argv[i]);
			return CTL_EXIT_USAGE;
		} else
			ntexts++;
	}
	if (classify_new(ctx->policy, &c, err, sizeof(err)) < 0) {
		fprintf(stderr, "retryctl: classify: %s\n", err);
		return CTL_EXIT_ERROR;
	}
	run.c = c;
	run.out = ctx->out;
	if (ntexts == 0) {
		if (classify_stdin(&run, line) < 0)
			run.failed = 1;
	} else {
		dashdash = 0;
		for (int i = 1, n = 0; i < argc; i++) {
			size_t len = strlen(argv[i]);

			if (!dashdash && strcmp(argv[i], "--") == 0) {
				dashdash = 1;
				continue;
			}
			if (!dashdash && (strcmp(argv[i], "--json") == 0 ||
					  strcmp(argv[i], "--explain") == 0))
				continue;
			n++;
			if (len > LIMIT_LOG_LINE) {
				fprintf(stderr,
					"retryctl: classify: TEXT %d: longer "
					"than %d bytes, skipped\n",
					n, LIMIT_LOG_LINE);
				run.failed = 1;
				continue;
			}
			classify_one(&run, argv[i], len);
		}
	}
	classify_free(c);
	return run.failed ? CTL_EXIT_ERROR : CTL_EXIT_OK;
}
