/*
 * NAME
 *	report_summary 3
 * SUMMARY
 *	the report's four answers: what fails, where, since when, what next
 * SYNOPSIS
 *	#include "report/report_int.h"
 * DESCRIPTION
 *	report_summary() reads the document of report_json() and writes one
 *	sentence for each question the runbook asks first: which domains
 *	fail and how much mail waits (what), which resolvers fail: only the
 *	MTA's nodes, or independent and authoritative servers too (where),
 *	the start of the earliest current failure and its duration class
 *	(since when), and the document's next action (what next).
 *
 *	Pure: no I/O. Sentences are cut at @param len bytes.
 */
#include <stdarg.h>
#include <string.h>

#include "report/report_int.h"

static long long rs_int(const json_t *o, const char *k)
{
	return (long long)json_integer_value(json_object_get(o, k));
}

/* Append to @param buf (NUL-terminated, @param len bytes) safely. */
static void rs_cat(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void rs_cat(char *buf, size_t len, const char *fmt, ...)
{
	size_t used = strlen(buf);
	va_list ap;

	if (used + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

static void rs_what(const json_t *doc, char *buf, size_t len)
{
	const json_t *msgs = json_object_get(doc, "messages"), *d;
	size_t i, failing = 0;

	buf[0] = '\0';
	json_array_foreach(json_object_get(doc, "domains"), i, d)
	{
		if (!json_is_integer(json_object_get(d, "failing_for")))
			continue;
		if (failing < 5)
			rs_cat(
			    buf, len, "%s%.64s (%.24s)", failing ? ", " : "",
			    json_string_value(json_object_get(d, "domain")),
			    json_string_value(json_object_get(d, "verdict")));
		failing++;
	}
	if (failing == 0) {
		snprintf(buf, len,
			 "Nothing is failing: no domain in scope has a failure "
			 "in progress (%lld verifications in the window, %lld "
			 "messages).",
			 rs_int(doc, "verifications_total"),
			 rs_int(msgs, "total"));
		return;
	}
	{
		char list[600];

		snprintf(list, sizeof(list), "%s", buf);
		snprintf(buf, len,
			 "%zu domain%s failing: %s%s; %lld messages "
			 "for %lld recipients affected.",
			 failing, failing == 1 ? "" : "s", list,
			 failing > 5 ? " and more" : "", rs_int(msgs, "total"),
			 rs_int(msgs, "recipients_total"));
	}
}

static void rs_where(const json_t *doc, char *buf, size_t len)
{
	const json_t *n;
	size_t i, nmta = 0, nind = 0, nauth = 0;
	char mta[400] = "";

	json_array_foreach(json_object_get(doc, "resolver_nodes"), i, n)
	{
		const char *role =
		    json_string_value(json_object_get(n, "role"));

		if (rs_int(n, "failed") == 0 || role == NULL)
			continue;
		if (strcmp(role, "mta") == 0) {
			if (nmta < 4)
				rs_cat(mta, sizeof(mta),
				       "%s%.64s (%lld of %lld answers failed)",
				       nmta ? ", " : "",
				       json_string_value(
					   json_object_get(n, "server")),
				       rs_int(n, "failed"),
				       rs_int(n, "answers"));
			nmta++;
		} else if (strcmp(role, "independent") == 0)
			nind++;
		else
			nauth++;
	}
	if (nmta + nind + nauth == 0)
		snprintf(buf, len,
			 "Nowhere in this window: every resolver and "
			 "authoritative server asked gave a usable answer.");
	else if (nind + nauth == 0)
		snprintf(buf, len,
			 "Only at the MTA's resolver: node%s %s; the "
			 "independent resolvers and the authoritative servers "
			 "gave the MX.",
			 nmta == 1 ? "" : "s", mta);
	else
		snprintf(buf, len,
			 "Beyond the local path: %zu independent resolver%s "
			 "and %zu authoritative server%s failed too%s%s.",
			 nind, nind == 1 ? "" : "s", nauth,
			 nauth == 1 ? "" : "s", nmta ? "; MTA nodes: " : "",
			 mta);
}

void report_summary(const json_t *doc, char *what, char *where, char *since,
		    char *next, size_t len)
{
	const json_t *dur = json_object_get(doc, "duration"),
		     *act = json_object_get(doc, "action");
	const char *ff =
		       json_string_value(json_object_get(dur, "first_failing")),
		   *text = json_string_value(json_object_get(act, "text"));
	long long s = rs_int(dur, "failing_for");

	rs_what(doc, what, len);
	rs_where(doc, where, len);
	if (ff != NULL)
		snprintf(since, len,
			 "Since %s, for %lldh%02lldm (duration class %s).", ff,
			 s / 3600, s % 3600 / 60,
			 json_string_value(json_object_get(dur, "class")));
	else
		snprintf(since, len, "No failure is in progress.");
	snprintf(next, len, "%s%s", text ? text : "no action", ".");
	if (next[0] >= 'a' && next[0] <= 'z')
		next[0] = (char)(next[0] - 'a' + 'A');
}
