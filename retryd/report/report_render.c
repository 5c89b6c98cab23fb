/*
 * NAME
 *	report_render 3
 * SUMMARY
 *	the proof report as text for people and as one HTML page
 * SYNOPSIS
 *	#include "report/report.h"
 * DESCRIPTION
 *	report_print_text() and report_print_html() render the document of
 *	report_json(): window, duration class and next action first, then
 *	the domains, the verdicts over time, every verification shown with
 *	each resolver's answer, the resolver nodes, the sending hosts and
 *	the sample of affected recipients.
 *
 *	Text is masked to printable ASCII; in HTML every string is escaped
 *	(& < > " ') and the page loads nothing from anywhere: one file to
 *	attach to a ticket.
 *
 *	Pure: writes only to the FILE * given. Owns nothing.
 * DIAGNOSTICS
 *	-1 when the stream reports a write error.
 */
#include "report/report.h"

#include <string.h>

/* The string field @param k of @param o ("-" when missing or empty). */
static const char *rr_str(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s && *s ? s : "-";
}

static long long rr_int(const json_t *o, const char *k)
{
	return (long long)json_integer_value(json_object_get(o, k));
}

/* Print @param s with every byte outside printable ASCII as '?'. */
static void rr_text(FILE *out, const char *s, size_t max)
{
	for (size_t i = 0; s[i] && i < max; i++) {
		unsigned char c = (unsigned char)s[i];

		fputc(c >= 0x20 && c < 0x7f ? c : '?', out);
	}
}

/* "2h05m" style age, "-" when unknown. */
static void rr_age(const json_t *v, char *buf, size_t len)
{
	long long s = (long long)json_integer_value(v);

	if (!json_is_integer(v) || s < 0)
		snprintf(buf, len, "-");
	else if (s < 3600)
		snprintf(buf, len, "%lldm%02llds", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, len, "%lldh%02lldm", s / 3600, s % 3600 / 60);
	else
		snprintf(buf, len, "%lldd%02lldh", s / 86400, s % 86400 / 3600);
}

/* One answer on one line: "mta 127.0.0.54:53/udp NOERROR nodata ...". */
static void rr_answer_text(FILE *out, const json_t *a)
{
	const json_t *mx = json_object_get(a, "mx"), *m;
	size_t i;

	fputs("    ", out);
	rr_text(out, rr_str(a, "role"), 16);
	fputc(' ', out);
	rr_text(out, rr_str(a, "server"), 64);
	fputc('/', out);
	rr_text(out, rr_str(a, "transport"), 4);
	fputc(' ', out);
	rr_text(out, rr_str(a, "rcode_name"), 16);
	fputc(' ', out);
	rr_text(out, rr_str(a, "kind"), 16);
	json_array_foreach(mx, i, m)
	{
		fprintf(out,
			"%s%lld:", i ? "," : " mx=", rr_int(m, "preference"));
		rr_text(out, rr_str(m, "host"), LIMIT_DOMAIN);
	}
	fprintf(out, " ttl=%lld", rr_int(a, "ttl"));
	if (json_is_integer(json_object_get(a, "neg_ttl")))
		fprintf(out, " neg_ttl=%lld", rr_int(a, "neg_ttl"));
	if (strcmp(rr_str(a, "reason"), "-") != 0) {
		fputs(" (", out);
		rr_text(out, rr_str(a, "reason"), 128);
		fputc(')', out);
	}
	fputc('\n', out);
}

int report_print_text(const json_t *doc, FILE *out)
{
	const json_t *scope = json_object_get(doc, "scope"),
		     *win = json_object_get(doc, "window"),
		     *dur = json_object_get(doc, "duration"),
		     *act = json_object_get(doc, "action"),
		     *msgs = json_object_get(doc, "messages"), *v, *a;
	char age[32];
	size_t i, j;

	fprintf(out, "retryd proof report\n");
	fputs("scope:      ", out);
	rr_text(out, rr_str(scope, "kind"), 16);
	fputc(' ', out);
	rr_text(out, rr_str(scope, "name"), LIMIT_DOMAIN);
	fputs("\nhost:       ", out);
	rr_text(out, rr_str(doc, "host_id"), LIMIT_HOST_ID);
	fprintf(out, "\ngenerated:  %s\nwindow:     %s .. %s\n",
		rr_str(doc, "generated_at"), rr_str(win, "since"),
		rr_str(win, "until"));
	rr_age(json_object_get(dur, "failing_for"), age, sizeof(age));
	fprintf(out, "duration:   %s (failing since %s, for %s)\n",
		rr_str(dur, "class"), rr_str(dur, "first_failing"), age);
	fprintf(out, "action:     %s: ", rr_str(act, "code"));
	rr_text(out, rr_str(act, "text"), 1200);
	fputs("\n\ndomains:\n", out);
	json_array_foreach(json_object_get(doc, "domains"), i, v)
	{
		rr_age(json_object_get(v, "failing_for"), age, sizeof(age));
		fputs("  ", out);
		rr_text(out, rr_str(v, "domain"), LIMIT_DOMAIN);
		fprintf(out,
			" verdict=%s class=%s failing_since=%s for=%s "
			"last_healthy=%s last_mx=",
			rr_str(v, "verdict"), rr_str(v, "duration_class"),
			rr_str(v, "first_failing"), age,
			rr_str(v, "last_healthy"));
		rr_text(out, rr_str(v, "last_mx"), LIMIT_DOMAIN);
		fputc('\n', out);
	}
	fputs("\nverdicts over time:\n", out);
	json_array_foreach(json_object_get(doc, "verdicts"), i, v)
	{
		fputs("  ", out);
		rr_text(out, rr_str(v, "domain"), LIMIT_DOMAIN);
		fprintf(out, " %s x%lld first=%s last=%s\n",
			rr_str(v, "verdict"), rr_int(v, "count"),
			rr_str(v, "first_seen"), rr_str(v, "last_seen"));
	}
	fprintf(out,
		"\nverifications: %lld in the window, %lld shown, "
		"%lld unreadable\n",
		rr_int(doc, "verifications_total"),
		rr_int(doc, "verifications_shown"),
		rr_int(doc, "verifications_unreadable"));
	json_array_foreach(json_object_get(doc, "verifications"), i, v)
	{
		fprintf(out, "  %s ", rr_str(v, "checked_at"));
		rr_text(out, rr_str(v, "domain"), LIMIT_DOMAIN);
		fprintf(out, " %s: ", rr_str(v, "verdict"));
		rr_text(out, rr_str(v, "detail"), 256);
		fputc('\n', out);
		json_array_foreach(json_object_get(v, "answers"), j, a)
		    rr_answer_text(out, a);
	}
	fputs("\nresolver nodes (answers in the window):\n", out);
	json_array_foreach(json_object_get(doc, "resolver_nodes"), i, v)
	{
		const char *k;
		json_t *n;

		fprintf(out, "  %s ", rr_str(v, "role"));
		rr_text(out, rr_str(v, "server"), 64);
		fprintf(out, " failed %lld of %lld", rr_int(v, "failed"),
			rr_int(v, "answers"));
		json_object_foreach(json_object_get(v, "failures"), k, n)
		{
			fputc(' ', out);
			rr_text(out, k, 16);
			fprintf(out, "=%lld", (long long)json_integer_value(n));
		}
		fputc('\n', out);
	}
	fputs("\nsending hosts (evidence in the window):\n", out);
	json_array_foreach(json_object_get(doc, "sending_hosts"), i, v)
	{
		fputs("  ", out);
		rr_text(out, rr_str(v, "host_id"), LIMIT_HOST_ID);
		fprintf(out,
			" attempts=%lld delivered=%lld deferred=%lld "
			"bounced=%lld no_attempt=%lld\n",
			rr_int(v, "attempts"), rr_int(v, "delivered"),
			rr_int(v, "deferred"), rr_int(v, "bounced"),
			rr_int(v, "no_attempt"));
	}
	fprintf(out,
		"\naffected: %lld messages, %lld recipients (sample of "
		"%lld)\n",
		rr_int(msgs, "total"), rr_int(msgs, "recipients_total"),
		rr_int(msgs, "sample_size"));
	json_array_foreach(json_object_get(msgs, "sample"), i, v)
	{
		fputs("  ", out);
		rr_text(out, rr_str(v, "mta"), 16);
		fputc(' ', out);
		rr_text(out, rr_str(v, "queue_id"), LIMIT_QUEUE_ID);
		fputc(' ', out);
		rr_text(out, rr_str(v, "recipient"), LIMIT_ADDRESS);
		fprintf(out, " %s first_failure=%s attempts=%lld\n",
			rr_str(v, "state"), rr_str(v, "first_failure"),
			rr_int(v, "attempts"));
	}
	return fflush(out) != 0 || ferror(out) ? -1 : 0;
}

/* ---- HTML ---- */

static void rr_html(FILE *out, const char *s)
{
	for (; *s; s++)
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

/* <td>escaped</td> for each string key, <td>n</td> for each int key. */
static void rr_cells(FILE *out, const json_t *o, const char *const *keys)
{
	for (; *keys; keys++) {
		const json_t *v = json_object_get(o, *keys);

		fputs("<td>", out);
		if (json_is_integer(v))
			fprintf(out, "%lld", (long long)json_integer_value(v));
		else
			rr_html(out, rr_str(o, *keys));
		fputs("</td>", out);
	}
}

static void rr_row(FILE *out, const json_t *o, const char *const *keys)
{
	fputs("<tr>", out);
	rr_cells(out, o, keys);
	fputs("</tr>\n", out);
}

static void rr_head(FILE *out, const char *title, const char *const *cols)
{
	fputs("<h2>", out);
	rr_html(out, title);
	fputs("</h2>\n<table><tr>", out);
	for (; *cols; cols++) {
		fputs("<th>", out);
		rr_html(out, *cols);
		fputs("</th>", out);
	}
	fputs("</tr>\n", out);
}

int report_print_html(const json_t *doc, FILE *out)
{
	static const char *const dcols[] = {
	    "domain",	   "verdict",	   "duration_class", "first_failing",
	    "failing_for", "last_healthy", "last_mx",	     NULL};
	static const char *const vcols[] = {"domain",	  "verdict",   "count",
					    "first_seen", "last_seen", NULL};
	static const char *const acols[] = {"role",	  "server", "transport",
					    "rcode_name", "kind",   "ttl",
					    "neg_ttl",	  "reason", NULL};
	static const char *const ncols[] = {"role", "server", "answers",
					    "failed", NULL};
	static const char *const hcols[] = {
	    "host_id", "attempts",   "delivered", "deferred",
	    "bounced", "no_attempt", NULL};
	static const char *const scols[] = {
	    "mta",	     "queue_id", "recipient", "state",
	    "first_failure", "attempts", NULL};
	const json_t *scope = json_object_get(doc, "scope"),
		     *win = json_object_get(doc, "window"),
		     *dur = json_object_get(doc, "duration"),
		     *act = json_object_get(doc, "action"),
		     *msgs = json_object_get(doc, "messages"), *v, *a;
	size_t i, j;

	fputs("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">\n"
	      "<title>retryd proof report: ",
	      out);
	rr_html(out, rr_str(scope, "name"));
	fputs("</title>\n<style>body{font-family:sans-serif;margin:1em}"
	      "table{border-collapse:collapse;margin-bottom:1em}"
	      "td,th{border:1px solid #999;padding:2px 6px;"
	      "font-family:monospace;text-align:left}"
	      ".action{font-weight:bold}</style>\n</head><body>\n"
	      "<h1>retryd proof report</h1>\n<table>\n",
	      out);
	fputs("<tr><th>scope</th><td>", out);
	rr_html(out, rr_str(scope, "kind"));
	fputs(" ", out);
	rr_html(out, rr_str(scope, "name"));
	fputs("</td></tr>\n<tr><th>host</th><td>", out);
	rr_html(out, rr_str(doc, "host_id"));
	fputs("</td></tr>\n<tr><th>window</th><td>", out);
	rr_html(out, rr_str(win, "since"));
	fputs(" .. ", out);
	rr_html(out, rr_str(win, "until"));
	fputs("</td></tr>\n<tr><th>duration</th><td>", out);
	rr_html(out, rr_str(dur, "class"));
	fputs(" (failing since ", out);
	rr_html(out, rr_str(dur, "first_failing"));
	fputs(")</td></tr>\n<tr><th>action</th><td class=\"action\">", out);
	rr_html(out, rr_str(act, "code"));
	fputs(": ", out);
	rr_html(out, rr_str(act, "text"));
	fputs("</td></tr>\n</table>\n", out);

	rr_head(out, "domains", dcols);
	json_array_foreach(json_object_get(doc, "domains"), i, v)
	    rr_row(out, v, dcols);
	fputs("</table>\n", out);
	rr_head(out, "verdicts over time", vcols);
	json_array_foreach(json_object_get(doc, "verdicts"), i, v)
	    rr_row(out, v, vcols);
	fputs("</table>\n", out);
	fprintf(out,
		"<h2>verifications</h2>\n<p>%lld in the window, %lld "
		"shown, %lld unreadable</p>\n",
		rr_int(doc, "verifications_total"),
		rr_int(doc, "verifications_shown"),
		rr_int(doc, "verifications_unreadable"));
	json_array_foreach(json_object_get(doc, "verifications"), i, v)
	{
		fputs("<h3>", out);
		rr_html(out, rr_str(v, "checked_at"));
		fputs(" ", out);
		rr_html(out, rr_str(v, "domain"));
		fputs(" ", out);
		rr_html(out, rr_str(v, "verdict"));
		fputs(": ", out);
		rr_html(out, rr_str(v, "detail"));
		fputs("</h3>\n<table><tr>", out);
		for (const char *const *c = acols; *c; c++)
			fprintf(out, "<th>%s</th>", *c);
		fputs("<th>mx</th></tr>\n", out);
		json_array_foreach(json_object_get(v, "answers"), j, a)
		{
			const json_t *m;
			size_t k;

			fputs("<tr>", out);
			rr_cells(out, a, acols);
			fputs("<td>", out);
			json_array_foreach(json_object_get(a, "mx"), k, m)
			{
				fprintf(out, "%s%lld ", k ? ", " : "",
					rr_int(m, "preference"));
				rr_html(out, rr_str(m, "host"));
			}
			fputs("</td></tr>\n", out);
		}
		fputs("</table>\n", out);
	}
	rr_head(out, "resolver nodes", ncols);
	json_array_foreach(json_object_get(doc, "resolver_nodes"), i, v)
	    rr_row(out, v, ncols);
	fputs("</table>\n", out);
	rr_head(out, "sending hosts", hcols);
	json_array_foreach(json_object_get(doc, "sending_hosts"), i, v)
	    rr_row(out, v, hcols);
	fputs("</table>\n", out);
	fprintf(out,
		"<h2>affected</h2>\n<p>%lld messages, %lld recipients "
		"(sample of %lld)</p>\n",
		rr_int(msgs, "total"), rr_int(msgs, "recipients_total"),
		rr_int(msgs, "sample_size"));
	rr_head(out, "sample", scols);
	json_array_foreach(json_object_get(msgs, "sample"), i, v)
	    rr_row(out, v, scols);
	fputs("</table>\n</body></html>\n", out);
	return fflush(out) != 0 || ferror(out) ? -1 : 0;
}
