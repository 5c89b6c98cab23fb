/*
 * NAME
 *	report_render 3
 * SUMMARY
 *	the proof report as text for people
 * SYNOPSIS
 *	#include "report/report.h"
 * DESCRIPTION
 *	report_print_text() renders the document of report_json() for a
 *	terminal or the escalate hook's file: window, duration class and
 *	next action first, then the domains, the verdicts over time, every
 *	verification shown with each resolver's answer, the resolver
 *	nodes, the sending hosts and the sample of affected recipients.
 *	Text is masked to printable ASCII. The page is report_html.c.
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

/* Scope, window, duration and the next action. */
static void rr_text_head(FILE *out, const json_t *doc)
{
	const json_t *scope = json_object_get(doc, "scope"),
		     *win = json_object_get(doc, "window"),
		     *dur = json_object_get(doc, "duration"),
		     *act = json_object_get(doc, "action");
	char age[32];

	fprintf(out, "retryd proof report\n");
	if (strcmp(rr_str(doc, "mode"), "observe") == 0)
		fputs(REPORT_OBSERVE_BANNER "\n", out);
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
	fputc('\n', out);
}

/* The domains and their verdicts over time. */
static void rr_text_domains(FILE *out, const json_t *doc)
{
	const json_t *v;
	char age[32];
	size_t i;

	fputs("\ndomains:\n", out);
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
}

/* Every verification kept, with each answer. */
static void rr_text_verifications(FILE *out, const json_t *doc)
{
	const json_t *v, *a;
	size_t i, j;

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
}

/* Resolver nodes and sending hosts. */
static void rr_text_nodes(FILE *out, const json_t *doc)
{
	const json_t *v;
	size_t i;

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
}

/* The affected messages: totals and the sample. */
static void rr_text_affected(FILE *out, const json_t *doc)
{
	const json_t *msgs = json_object_get(doc, "messages"), *v;
	size_t i;

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
}

int report_print_text(const json_t *doc, FILE *out)
{
	rr_text_head(out, doc);
	rr_text_domains(out, doc);
	rr_text_verifications(out, doc);
	rr_text_nodes(out, doc);
	report_sentinel_print_text(out, doc);
	rr_text_affected(out, doc);
	return fflush(out) != 0 || ferror(out) ? -1 : 0;
}
