/*
 * NAME
 *	report_html 3
 * SUMMARY
 *	the proof report as one self-contained page people can look at
 * SYNOPSIS
 *	#include "report/report.h"
 * DESCRIPTION
 *	report_print_html() renders the document of report_json() as one
 *	HTML file with inline CSS and inline SVG, no script and nothing
 *	loaded from anywhere (it works offline and as a mail attachment):
 *
 *	1. the summary: four sentences, what fails, where, since when and
 *	   what next (report_summary.c);
 *	2. the legend (answer classes, verdicts, duration classes);
 *	3. a timeline per domain (report_svg.c), failing domains first, at
 *	   most LIMIT_REPORT_TIMELINES and LIMIT_REPORT_HTML_RUNS segments
 *	   in all; the others are listed by name;
 *	4. the messages held and the attempts over time, the attempts by
 *	   sending host;
 *	5. the proof, folded in <details>: domains, verdicts over time, the
 *	   verifications with each resolver's raw answer (at most
 *	   LIMIT_REPORT_HTML_ANSWERS rows; the JSON format has them all),
 *	   resolver nodes, sending hosts, the affected recipients with
 *	   their queue ids and timestamps.
 *
 *	Every string from the store is escaped (& < > " ') and control
 *	bytes are shown as '?'.
 *
 *	Pure: writes only to the FILE * given. Owns nothing.
 * DIAGNOSTICS
 *	-1 when the stream reports a write error.
 */
#include <string.h>

#include "report/report_int.h"

static const char report_css[] =
    "body{font-family:sans-serif;margin:1em;color:#222;max-width:1000px}"
    "h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.4em}"
    ".meta{color:#555}"
    ".observe{background:#fff3cd;border:2px solid #d9822b;padding:.5em;"
    "font-weight:bold}"
    "dl.summary{display:grid;grid-template-columns:8em auto;gap:.3em 1em;"
    "background:#f6f6f2;border-left:4px solid #d9822b;padding:.6em}"
    "dl.summary dt{font-weight:bold}dl.summary dd{margin:0}"
    "figure{margin:.6em 0}figcaption{font-weight:bold;margin-bottom:.2em}"
    "svg text{font:11px monospace;fill:#222}"
    "svg text.tick{fill:#777;font-size:10px}line.tick{stroke:#ddd}"
    "svg text.ttl{fill:#fff;font-size:10px}"
    "svg rect{fill:#777}"
    ".a-usable,.v-healthy,.o-delivered{fill:#2e9e48}"
    ".a-negative,.v-local-path,.o-deferred{fill:#d9822b}"
    ".a-null,.v-null-mx{fill:#8b1a1a}.o-bounced,.v-domain{fill:#c0392b}"
    ".a-transient,.v-unverified,.o-no_attempt{fill:#9aa0a6}"
    ".a-filtered,.v-filtered{fill:#7b3fb3}.a-mixed,.v-mixed{fill:#c7b300}"
    ".v-propagation{fill:#e3c800}.v-transport{fill:#2f6fb3}"
    ".v-dns-outage{fill:#555}"
    "rect.run{stroke:#fff;stroke-width:.5}"
    ".shade .d1{fill:#fff7e0}.shade .d2{fill:#ffeccc}.shade .d3{fill:#ffe0e0}"
    ".d1{fill:#f5d76e}.d2{fill:#f0a04b}.d3{fill:#d9534f}"
    "polygon.held{fill:#9fc5e8;stroke:#2f6fb3}"
    "table{border-collapse:collapse;margin:.4em 0 1em}"
    "td,th{border:1px solid #bbb;padding:1px 5px;font:12px monospace;"
    "text-align:left;vertical-align:top}"
    "details{margin:.3em 0}summary{cursor:pointer;font-weight:bold}";

void report_html_text(FILE *out, const char *s)
{
	for (; s && *s; s++)
		switch (*s) {
		case '&':
			fputs("&amp;", out);
			break;
		case '<':
			fputs("&lt;", out);
			break;
		case '>':
			fputs("&gt;", out);
			break;
		case '"':
			fputs("&quot;", out);
			break;
		case '\'':
			fputs("&#39;", out);
			break;
		default:
			if ((unsigned char)*s < 0x20 || *s == 0x7f)
				fputc('?', out);
			else
				fputc(*s, out);
		}
}

/* The string field @param k of @param o ("-" when missing or empty). */
static const char *rh_str(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s && *s ? s : "-";
}

static long long rh_int(const json_t *o, const char *k)
{
	return (long long)json_integer_value(json_object_get(o, k));
}

/* <td>escaped</td> for each string key, <td>n</td> for each int key. */
static void rh_cells(FILE *out, const json_t *o, const char *const *keys)
{
	for (; *keys; keys++) {
		const json_t *v = json_object_get(o, *keys);

		fputs("<td>", out);
		if (json_is_integer(v))
			fprintf(out, "%lld", (long long)json_integer_value(v));
		else
			report_html_text(out, rh_str(o, *keys));
		fputs("</td>", out);
	}
}

/* <details><summary>TITLE</summary><table> with a header row. */
static void rh_fold(FILE *out, const char *id, const char *title,
		    const char *const *cols)
{
	fprintf(out, "<details id=\"%s\"><summary>", id);
	report_html_text(out, title);
	fputs("</summary>\n<table><tr>", out);
	for (; cols && *cols; cols++) {
		fputs("<th>", out);
		report_html_text(out, *cols);
		fputs("</th>", out);
	}
	fputs("</tr>\n", out);
}

/* One folded table of @param rows with @param cols. */
static void rh_table(FILE *out, const char *id, const char *title,
		     const json_t *rows, const char *const *cols)
{
	const json_t *v;
	size_t i;

	rh_fold(out, id, title, cols);
	json_array_foreach(rows, i, v)
	{
		fputs("<tr>", out);
		rh_cells(out, v, cols);
		fputs("</tr>\n", out);
	}
	fputs("</table></details>\n", out);
}

static void rh_head(FILE *out, const json_t *doc)
{
	const json_t *scope = json_object_get(doc, "scope"),
		     *win = json_object_get(doc, "window");

	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta "
	      "charset=\"utf-8\">\n<title>retryd proof report: ",
	      out);
	report_html_text(out, rh_str(scope, "kind"));
	fputc(' ', out);
	report_html_text(out, rh_str(scope, "name"));
	fprintf(out, "</title>\n<style>%s</style>\n</head><body>\n",
		report_css);
	fputs("<h1>retryd proof report: ", out);
	report_html_text(out, rh_str(scope, "kind"));
	fputc(' ', out);
	report_html_text(out, rh_str(scope, "name"));
	fputs("</h1>\n", out);
	if (strcmp(rh_str(doc, "mode"), "observe") == 0)
		fputs(
		    "<p class=\"observe\" role=\"alert\">" REPORT_OBSERVE_BANNER
		    "</p>\n",
		    out);
	fputs("<p class=\"meta\">host ", out);
	report_html_text(out, rh_str(doc, "host_id"));
	fputs(" &middot; window ", out);
	report_html_text(out, rh_str(win, "since"));
	fputs(" .. ", out);
	report_html_text(out, rh_str(win, "until"));
	fprintf(out, " &middot; %lld verifications, %lld messages</p>\n",
		rh_int(doc, "verifications_total"),
		rh_int(json_object_get(doc, "messages"), "total"));
}

static void rh_summary(FILE *out, const json_t *doc)
{
	static const char *const q[] = {"What fails", "Where", "Since when",
					"What next"};
	char s[4][REPORT_SENTENCE];

	report_summary(doc, s[0], s[1], s[2], s[3], sizeof(s[0]));
	fputs("<section id=\"summary\"><dl class=\"summary\">\n", out);
	for (int i = 0; i < 4; i++) {
		fprintf(out, "<dt>%s</dt><dd>", q[i]);
		report_html_text(out, s[i]);
		fputs("</dd>\n", out);
	}
	fputs("</dl></section>\n", out);
}

/* The domain record of @param name in the document, or NULL. */
static const json_t *rh_domain(const json_t *doc, const char *name)
{
	const json_t *d;
	size_t i;

	json_array_foreach(json_object_get(doc, "domains"), i, d)
	{
		if (strcmp(rh_str(d, "domain"), name) == 0)
			return d;
	}
	return NULL;
}

/* Draw the timelines of failing (@param failing 1) or healthy domains.
 * @param budget: segments left; @param shown: timelines drawn. */
static void rh_timelines_pass(FILE *out, const json_t *doc, int64_t since,
			      int failing, size_t *budget, size_t *shown,
			      json_t *skipped)
{
	const json_t *win = json_object_get(doc, "window"), *tl;
	int64_t until = rh_int(win, "until_unix");
	size_t i;

	json_array_foreach(json_object_get(doc, "timelines"), i, tl)
	{
		const char *name = rh_str(tl, "domain");
		const json_t *d = rh_domain(doc, name);
		int is_failing =
		    d && json_is_integer(json_object_get(d, "failing_for"));
		size_t cost =
		    json_array_size(json_object_get(tl, "verdict_runs"));
		const json_t *lane;
		size_t j;

		if (is_failing != failing)
			continue;
		json_array_foreach(json_object_get(tl, "lanes"), j, lane)
		    cost += json_array_size(json_object_get(lane, "runs"));
		if (*shown >= LIMIT_REPORT_TIMELINES || cost > *budget) {
			json_array_append_new(skipped, json_string(name));
			continue;
		}
		fputs("<figure class=\"domain-timeline\" data-domain=\"", out);
		report_html_text(out, name);
		fputs("\"><figcaption>", out);
		report_html_text(out, name);
		fputs(" &mdash; ", out);
		report_html_text(out, d ? rh_str(d, "verdict") : "-");
		if (is_failing) {
			fputs(", failing since ", out);
			report_html_text(out, rh_str(d, "first_failing"));
			fputs(" (", out);
			report_html_text(out, rh_str(d, "duration_class"));
			fputc(')', out);
		}
		if (rh_int(tl, "lanes_not_shown") > 0)
			fprintf(out, " (%lld more resolvers not drawn)",
				rh_int(tl, "lanes_not_shown"));
		fputs("</figcaption>\n", out);
		*budget -= report_svg_timeline(
		    out, tl, since, until,
		    is_failing ? until - rh_int(d, "failing_for") : 0);
		fputs("</figure>\n", out);
		(*shown)++;
	}
}

/* The timelines' common start: the first answer or the start of the
 * earliest failure, within the window, with a margin. */
static int64_t rh_extent(const json_t *doc)
{
	const json_t *win = json_object_get(doc, "window"), *tl, *d;
	int64_t since = rh_int(win, "since_unix"),
		until = rh_int(win, "until_unix"), first = until;
	size_t i;

	json_array_foreach(json_object_get(doc, "timelines"), i, tl)
	{
		int64_t t = rh_int(
		    json_array_get(json_object_get(tl, "verdict_runs"), 0),
		    "from");

		if (t > 0 && t < first)
			first = t;
	}
	json_array_foreach(json_object_get(doc, "domains"), i, d)
	{
		if (json_is_integer(json_object_get(d, "failing_for")) &&
		    until - rh_int(d, "failing_for") < first)
			first = until - rh_int(d, "failing_for");
	}
	first -= (until - first) / 20 + 60;
	return first < since ? since : first;
}

static void rh_timelines(FILE *out, const json_t *doc)
{
	size_t budget = LIMIT_REPORT_HTML_RUNS, shown = 0, i;
	json_t *skipped = json_array(), *v;
	int64_t since = rh_extent(doc);

	fputs("<section id=\"timelines\"><h2>Resolvers over time, per "
	      "domain</h2>\n",
	      out);
	report_svg_legend(out);
	rh_timelines_pass(out, doc, since, 1, &budget, &shown, skipped);
	rh_timelines_pass(out, doc, since, 0, &budget, &shown, skipped);
	if (shown == 0)
		fputs("<p>No verification in the window.</p>\n", out);
	if (json_array_size(skipped) > 0) {
		fprintf(out,
			"<p id=\"not-drawn\">%zu more domains not drawn (page "
			"budget): ",
			json_array_size(skipped));
		json_array_foreach(skipped, i, v)
		{
			if (i > 0)
				fputs(", ", out);
			report_html_text(out, json_string_value(v));
		}
		fputs(". Run <code>retryctl report --domain D --format "
		      "html</code> for one of them.</p>\n",
		      out);
	}
	json_decref(skipped);
	fputs("</section>\n", out);
}

static void rh_activity(FILE *out, const json_t *doc)
{
	fputs("<section id=\"activity-section\"><h2>Held messages and "
	      "attempts over time</h2>\n",
	      out);
	report_svg_activity(out, json_object_get(doc, "series"));
	fputs("<h2>Attempts by sending host</h2>\n", out);
	if (json_array_size(json_object_get(doc, "sending_hosts")) == 0)
		fputs("<p>No attempt in the window.</p>\n", out);
	else
		report_svg_hosts(out, json_object_get(doc, "sending_hosts"));
	fputs("</section>\n", out);
}

/* The answer fields shown as cells, between verdict and mx. */
static const char *const answer_cols[] = {"role",	"server", "transport",
					  "rcode_name", "kind",	  "ttl",
					  "neg_ttl",	"reason", NULL};

/* The verifications with each resolver's raw answer. */
static void rh_verifications(FILE *out, const json_t *doc)
{
	static const char *const acols[] = {
	    "checked_at", "verdict",	"role", "server",
	    "transport",  "rcode_name", "kind", "ttl",
	    "neg_ttl",	  "reason",	"mx",	NULL};
	const json_t *v, *a, *m;
	size_t i, j, k, rows = 0;
	char title[200];

	snprintf(title, sizeof(title),
		 "Verifications: %lld in the window, %lld kept, %lld "
		 "unreadable",
		 rh_int(doc, "verifications_total"),
		 rh_int(doc, "verifications_shown"),
		 rh_int(doc, "verifications_unreadable"));
	rh_fold(out, "proof-verifications", title, NULL);
	fputs("</table>\n", out);
	json_array_foreach(json_object_get(doc, "verifications"), i, v)
	{
		if (rows >= LIMIT_REPORT_HTML_ANSWERS) {
			fputs("<p>More verifications are in <code>retryctl "
			      "report --format json</code>.</p>\n",
			      out);
			break;
		}
		fputs("<p>", out);
		report_html_text(out, rh_str(v, "domain"));
		fputs(": ", out);
		report_html_text(out, rh_str(v, "detail"));
		fputs("</p>\n<table><tr>", out);
		for (const char *const *c = acols; *c; c++)
			fprintf(out, "<th>%s</th>", *c);
		fputs("</tr>\n", out);
		json_array_foreach(json_object_get(v, "answers"), j, a)
		{
			fputs("<tr><td>", out);
			report_html_text(out, rh_str(v, "checked_at"));
			fputs("</td><td>", out);
			report_html_text(out, rh_str(v, "verdict"));
			fputs("</td>", out);
			rh_cells(out, a, answer_cols);
			fputs("<td>", out);
			json_array_foreach(json_object_get(a, "mx"), k, m)
			{
				fprintf(out, "%s%lld ", k ? ", " : "",
					rh_int(m, "preference"));
				report_html_text(out, rh_str(m, "host"));
			}
			fputs("</td></tr>\n", out);
			rows++;
		}
		fputs("</table>\n", out);
	}
	fputs("</details>\n", out);
}

static void rh_proof(FILE *out, const json_t *doc)
{
	static const char *const dcols[] = {
	    "domain",	     "verdict",	    "duration_class",
	    "first_failing", "failing_for", "last_healthy",
	    "last_verified", "last_mx",	    NULL};
	static const char *const vcols[] = {"domain",	  "verdict",   "count",
					    "first_seen", "last_seen", NULL};
	static const char *const ncols[] = {"role", "server", "answers",
					    "failed", NULL};
	static const char *const hcols[] = {
	    "host_id", "attempts",   "delivered", "deferred",
	    "bounced", "no_attempt", NULL};
	static const char *const scols[] = {
	    "mta",   "queue_id",      "recipient", "domain",
	    "state", "first_failure", "attempts",  NULL};
	static const char *const ecols[] = {
	    "at",     "domain",	      "kind",	"verdict", "node",
	    "answer", "neg_ttl_left", "result", "after",   NULL};
	const json_t *msgs = json_object_get(doc, "messages");
	char title[160];

	fputs("<section id=\"proof\"><h2>Proof for escalation</h2>\n", out);
	rh_table(out, "proof-domains", "Domains",
		 json_object_get(doc, "domains"), dcols);
	rh_table(out, "proof-verdicts", "Verdicts over time",
		 json_object_get(doc, "verdicts"), vcols);
	rh_verifications(out, doc);
	rh_table(out, "proof-nodes", "Resolver nodes (answers in the window)",
		 json_object_get(doc, "resolver_nodes"), ncols);
	rh_table(out, "proof-hosts", "Sending hosts (evidence in the window)",
		 json_object_get(doc, "sending_hosts"), hcols);
	if (json_array_size(json_object_get(doc, "sentinel_events")) > 0)
		rh_table(
		    out, "proof-sentinel",
		    "Sentinel events (watched domains at each MTA resolver "
		    "node)",
		    json_object_get(doc, "sentinel_events"), ecols);
	snprintf(title, sizeof(title),
		 "Affected: %lld messages, %lld recipients (sample of %lld)",
		 rh_int(msgs, "total"), rh_int(msgs, "recipients_total"),
		 rh_int(msgs, "sample_size"));
	rh_table(out, "proof-sample", title, json_object_get(msgs, "sample"),
		 scols);
	fputs("</section>\n", out);
}

int report_print_html(const json_t *doc, FILE *out)
{
	rh_head(out, doc);
	rh_summary(out, doc);
	rh_timelines(out, doc);
	rh_activity(out, doc);
	rh_proof(out, doc);
	fputs("</body></html>\n", out);
	return fflush(out) != 0 || ferror(out) ? -1 : 0;
}
