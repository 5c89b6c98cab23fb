/*
 * NAME
 *	export 3
 * SUMMARY
 *	MTA tables and list-hygiene files from the policy and the store
 * SYNOPSIS
 *	#include "export/export.h"
 * DESCRIPTION
 *	Generators for `retryctl export`. The Postfix status filter and
 *	the Exim domain list are derived from the policy's groups, so they
 *	follow every policy change once regenerated; the suppressed tables
 *	are streamed record by record.
 *
 *	Names become regular expressions through export_name_regex(),
 *	which accepts only [a-z0-9._-] and the policy's two '*' forms:
 *	anything else is refused, so no policy text can add a
 *	metacharacter to a table. Addresses that a table format could
 *	misread (a key without '@', whitespace, a comment character) are
 *	skipped and counted, never written: a Postfix access key without a
 *	local part would reject a whole domain.
 *
 *	Pure: no I/O besides the FILE * given, no clock, no globals.
 *	Owns nothing.
 * DIAGNOSTICS
 *	"group G: domain 'X': ..." for a name that cannot be exported.
 */
#include "export/export.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

/* One DNS label in the generated expressions. */
#define EXPORT_LABEL "[-_a-z0-9]+"

/*
 * The public suffixes a "name.*" item matches: one label, or two whose
 * first is one of these second-level labels. Kept equal to
 * policy_group.c's list (test_export checks both agree).
 */
#define EXPORT_SUFFIX                                                          \
	"(\\." EXPORT_LABEL "|\\.(co|com|net|org|ac|gov|edu|ne|or|gen|ltd|"    \
	"plc|me|nom|biz|info)\\." EXPORT_LABEL ")"

/* What the Postfix filter rewrites (smtp(8) text after the status). */
#define EXPORT_PF_TEXT                                                         \
	"Host or domain name not found\\. Name service error for name="

int export_format_parse(const char *name, enum export_format *out)
{
	static const struct {
		const char *name;
		enum export_format f;
	} names[] = {{"postfix", EXPORT_POSTFIX},
		     {"postfix-transport", EXPORT_POSTFIX_TRANSPORT},
		     {"exim", EXPORT_EXIM},
		     {"csv", EXPORT_CSV},
		     {"json", EXPORT_JSON}};

	for (size_t i = 0; name && i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(name, names[i].name) == 0) {
			*out = names[i].f;
			return 0;
		}
	return -1;
}

/* Append @param s to buf at *used; @return -1 when it does not fit. */
static int export_cat(char *buf, size_t buflen, size_t *used, const char *s)
{
	size_t n = strlen(s);

	if (*used + n + 1 > buflen)
		return -1;
	memcpy(buf + *used, s, n + 1);
	*used += n;
	return 0;
}

int export_name_regex(const char *item, int is_mx, char *buf, size_t buflen,
		      char *err, size_t errlen)
{
	size_t len = strlen(item), used = 0, start = 0, end = len;
	int lead_star = 0, tail_star = 0;
	const char *why = NULL;

	if (len == 0 || len > LIMIT_DOMAIN)
		why = "empty or too long";
	for (size_t i = 0; why == NULL && i < len; i++) {
		char c = item[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '-' || c == '_' || c == '*'))
			why = "only a-z 0-9 . - _ and the policy's '*' "
			      "forms can be exported";
	}
	if (why == NULL && is_mx && len > 2 && item[0] == '*' &&
	    item[1] == '.') {
		lead_star = 1;
		start = 2;
	} else if (why == NULL && !is_mx && len > 2 && item[len - 1] == '*' &&
		   item[len - 2] == '.') {
		tail_star = 1;
		end = len - 2;
	}
	for (size_t i = start; why == NULL && i < end; i++)
		if (item[i] == '*')
			why = is_mx ? "'*' only as the first label (*.suffix)"
				    : "'*' only as the last label (name.*)";
	for (size_t i = start; why == NULL && i < end; i++)
		if (item[i] == '.' &&
		    (i == start || i + 1 == end || item[i + 1] == '.'))
			why = "empty label";
	if (why == NULL && (item[start] == '.' || end <= start))
		why = "empty label";
	if (why != NULL) {
		snprintf(err, errlen, "'%.80s': %s", item, why);
		return -1;
	}
	buf[0] = '\0';
	/* mx "*.suffix": at least one label; domains: the name and below. */
	if (export_cat(buf, buflen, &used,
		       lead_star ? "(" EXPORT_LABEL "\\.)+"
		       : is_mx	 ? ""
				 : "(" EXPORT_LABEL "\\.)*") < 0)
		goto long_;
	for (size_t i = start; i < end; i++) {
		char one[3] = {item[i], 0, 0};

		if (item[i] == '.') {
			one[0] = '\\';
			one[1] = '.';
		}
		if (export_cat(buf, buflen, &used, one) < 0)
			goto long_;
	}
	if (tail_star && export_cat(buf, buflen, &used, EXPORT_SUFFIX) < 0)
		goto long_;
	return 0;
long_:
	snprintf(err, errlen, "'%.80s': expression too long", item);
	return -1;
}

static void export_iso(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t <= 0 || gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "-");
}

static int export_group_err(const struct policy_group *g, const char *what,
			    const char *msg, char *err, size_t errlen)
{
	snprintf(err, errlen, "group %s: %s %.160s", g->name, what, msg);
	return -1;
}

static int export_write_failed(FILE *out, char *err, size_t errlen)
{
	if (fflush(out) != 0 || ferror(out)) {
		snprintf(err, errlen, "write failed");
		return -1;
	}
	return 0;
}

int export_postfix_filter(const struct policy *p, const char *source, FILE *out,
			  char *err, size_t errlen)
{
	char re[2 * LIMIT_DOMAIN + 64], why[200];
	size_t lines = 0;

	fprintf(out,
		"# retryd: Postfix smtp_delivery_status_filter for the watched "
		"domains.\n"
		"# Generated by `retryctl export postfix-filter` from %s.\n"
		"# Do not edit: regenerate after every policy change.\n"
		"#\n"
		"# main.cf:\n"
		"#   smtp_delivery_status_filter = "
		"regexp:/etc/postfix/retryd_status_filter\n"
		"#\n"
		"# Postfix queries \"ENHANCED-STATUS TEXT\"; these lines turn\n"
		"#   5.4.4 Host or domain name not found. Name service error "
		"for name=D type=T: ...\n"
		"# into 4.4.4 (deferred, so retryd can take the message over) "
		"only when D is\n"
		"# a watched domain, a subdomain of one, or matches a group's "
		"mx pattern.\n"
		"# Every other text is left alone, including a null MX "
		"(5.1.0 \"Domain D\n"
		"# does not accept mail (nullMX)\"), which must bounce.\n",
		source ? source : "the policy");
	for (size_t g = 0; g < p->ngroups; g++) {
		const struct policy_group *gr = &p->groups[g];

		if (gr->domains.n + gr->mx.n > 0)
			fprintf(out, "\n# group %s\n", gr->name);
		for (int kind = 0; kind < 2; kind++) {
			const struct policy_strlist *l =
			    kind ? &gr->mx : &gr->domains;

			for (size_t i = 0; i < l->n; i++) {
				if (export_name_regex(l->items[i], kind, re,
						      sizeof(re), why,
						      sizeof(why)) < 0)
					return export_group_err(
					    gr, kind ? "mx" : "domain", why,
					    err, errlen);
				fprintf(out,
					"/^5\\.4\\.4 (" EXPORT_PF_TEXT
					"%s type=[A-Z]+: .*)$/ 4.4.4 $1\n",
					re);
				lines++;
			}
		}
	}
	if (lines == 0)
		fprintf(out, "\n# (the policy watches no domains: nothing is "
			     "rewritten)\n");
	return export_write_failed(out, err, errlen);
}

int export_exim_domains(const struct policy *p, const char *source,
			int inline_list, FILE *out, char *err, size_t errlen)
{
	char re[2 * LIMIT_DOMAIN + 64], why[200];
	size_t items = 0;

	fprintf(out,
		"# retryd: the watched domains, for Exim's dnslookup router.\n"
		"# Generated by `retryctl export exim-domains` from %s.\n"
		"# Do not edit: regenerate after every policy change.\n",
		source ? source : "the policy");
	if (!inline_list)
		fprintf(out,
			"#\n"
			"# Use this file as a domain list (its lines are not "
			"expanded):\n"
			"#   fail_defer_domains = "
			"/etc/exim4/retryd-domains\n");
	for (size_t g = 0; g < p->ngroups; g++) {
		const struct policy_group *gr = &p->groups[g];

		if (gr->mx.n > 0)
			fprintf(out,
				"# group %s: mx patterns cannot be matched by "
				"fail_defer_domains (it sees the routed "
				"domain);\n# list such domains under "
				"domains =:",
				gr->name);
		for (size_t i = 0; i < gr->mx.n; i++)
			fprintf(out, " %.100s", gr->mx.items[i]);
		if (gr->mx.n > 0)
			fputc('\n', out);
	}
	if (inline_list)
		fprintf(out, "fail_defer_domains =");
	for (size_t g = 0; g < p->ngroups; g++) {
		const struct policy_group *gr = &p->groups[g];

		if (!inline_list && gr->domains.n > 0)
			fprintf(out, "# group %s\n", gr->name);
		for (size_t i = 0; i < gr->domains.n; i++) {
			const char *d = gr->domains.items[i];
			size_t dl = strlen(d);

			if (export_name_regex(d, 0, re, sizeof(re), why,
					      sizeof(why)) < 0)
				return export_group_err(gr, "domain", why, err,
							errlen);
			if (dl > 2 && d[dl - 1] == '*') {
				/* "name.*": a regex item, caseless in Exim. */
				if (inline_list)
					fprintf(out, "%s \\N^%s$\\N",
						items ? " :" : "", re);
				else
					fprintf(out, "^%s$\n", re);
				items++;
			} else if (inline_list) {
				fprintf(out, "%s %s : *.%s", items ? " :" : "",
					d, d);
				items += 2;
			} else {
				fprintf(out, "%s\n*.%s\n", d, d);
				items += 2;
			}
		}
	}
	if (inline_list)
		fputc('\n', out);
	if (items == 0)
		fprintf(out, "# (the policy watches no domains)\n");
	return export_write_failed(out, err, errlen);
}

/* ---- suppressed addresses ---- */

/* Printable ASCII copy, at most @param max bytes; '?' for the rest. */
static void export_mask(char *dst, size_t dstlen, const char *src, size_t max)
{
	size_t n = 0;

	for (; src[n] != '\0' && n < max && n + 1 < dstlen; n++) {
		unsigned char c = (unsigned char)src[n];

		dst[n] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	dst[n] = '\0';
}

/* 0 when @param a is safe as a table key for @param f. */
static int export_key_ok(const char *a, enum export_format f)
{
	const char *at = strrchr(a, '@');
	size_t n = strnlen(a, LIMIT_ADDRESS + 1);

	if (n == 0 || n > LIMIT_ADDRESS || at == NULL || at == a ||
	    at[1] == '\0' || a[0] == '#')
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)a[i];

		if (c <= 0x20 || c == 0x7f)
			return -1;
		if ((f == EXPORT_EXIM || f == EXPORT_POSTFIX_TRANSPORT) &&
		    (c == ':' || c == '"'))
			return -1;
	}
	return 0;
}

void export_suppressed_begin(struct export_sink *s, FILE *out,
			     enum export_format format, int64_t now)
{
	char when[32];

	memset(s, 0, sizeof(*s));
	s->out = out;
	s->format = format;
	export_iso(now, when, sizeof(when));
	switch (format) {
	case EXPORT_POSTFIX:
		fprintf(out,
			"# retryd: suppressed recipients, generated %s by "
			"`retryctl export suppressed`.\n"
			"# Build the table after every export:\n"
			"#   postmap hash:/etc/postfix/retryd_suppressed\n"
			"# main.cf:\n"
			"#   smtpd_recipient_restrictions = ..., "
			"check_recipient_access hash:/etc/postfix/"
			"retryd_suppressed, ...\n",
			when);
		break;
	case EXPORT_POSTFIX_TRANSPORT:
		fprintf(out,
			"# retryd: suppressed recipients as a transport table, "
			"generated %s by\n"
			"# `retryctl export suppressed --format "
			"postfix-transport`: also stops mail\n"
			"# submitted locally (sendmail(1), pickup), which "
			"smtpd never checks.\n"
			"#   postmap hash:/etc/postfix/retryd_transport\n"
			"#   postconf -e \"transport_maps = "
			"hash:/etc/postfix/retryd_transport, "
			"$(postconf -h transport_maps)\"\n",
			when);
		break;
	case EXPORT_EXIM:
		fprintf(out,
			"# retryd: suppressed recipients, generated %s by "
			"`retryctl export suppressed`.\n"
			"# In the RCPT ACL:\n"
			"#   deny recipients = lsearch;/etc/exim4/"
			"retryd-suppressed\n"
			"#        message = 5.1.1 recipient suppressed by "
			"retryd: $recipient_data\n",
			when);
		break;
	case EXPORT_CSV:
		fputs("address,since,reason\r\n", out);
		break;
	case EXPORT_JSON:
		fputc('[', out);
		break;
	}
}

/* One RFC 4180 field: quoted when it holds , " CR or LF. */
static void export_csv_field(FILE *out, const char *v)
{
	if (strpbrk(v, ",\"\r\n") == NULL) {
		fputs(v, out);
		return;
	}
	fputc('"', out);
	for (; *v; v++) {
		if (*v == '"')
			fputc('"', out);
		fputc(*v, out);
	}
	fputc('"', out);
}

/* A JSON string: as is when valid UTF-8, else masked to ASCII. */
static json_t *export_json_str(const char *v)
{
	char masked[LIMIT_EVIDENCE_DNS + 1];
	json_t *j = json_string(v);

	if (j != NULL)
		return j;
	export_mask(masked, sizeof(masked), v, sizeof(masked) - 1);
	return json_string(masked);
}

int export_suppressed_add(struct export_sink *s,
			  const struct store_suppressed *rec)
{
	char reason[EXPORT_REASON_MAX + 1], when[32];

	if (s->format != EXPORT_CSV && s->format != EXPORT_JSON &&
	    export_key_ok(rec->address, s->format) < 0) {
		s->skipped++;
		return 1;
	}
	export_iso(rec->time, when, sizeof(when));
	switch (s->format) {
	case EXPORT_POSTFIX:
		export_mask(reason, sizeof(reason), rec->reason,
			    EXPORT_REASON_MAX);
		fprintf(s->out,
			"%s REJECT 5.1.1 recipient suppressed by retryd: %s\n",
			rec->address, reason[0] ? reason : "suppressed");
		break;
	case EXPORT_POSTFIX_TRANSPORT:
		export_mask(reason, sizeof(reason), rec->reason,
			    EXPORT_REASON_MAX);
		for (char *c = reason; *c; c++) /* one word-free nexthop */
			if (*c == ':')
				*c = ';';
		fprintf(s->out,
			"%s error:5.1.1 recipient suppressed by retryd: %s\n",
			rec->address, reason[0] ? reason : "suppressed");
		break;
	case EXPORT_EXIM:
		export_mask(reason, sizeof(reason), rec->reason,
			    EXPORT_REASON_MAX);
		fprintf(s->out, "%s: %s\n", rec->address,
			reason[0] ? reason : "suppressed");
		break;
	case EXPORT_CSV:
		export_csv_field(s->out, rec->address);
		fputc(',', s->out);
		export_csv_field(s->out, when);
		fputc(',', s->out);
		export_csv_field(s->out, rec->reason);
		fputs("\r\n", s->out);
		break;
	case EXPORT_JSON: {
		json_t *o = json_object();
		char *text;

		if (o == NULL) {
			s->failed = 1;
			return -1;
		}
		json_object_set_new(o, "address",
				    export_json_str(rec->address));
		json_object_set_new(o, "since", json_string(when));
		json_object_set_new(o, "since_unix", json_integer(rec->time));
		json_object_set_new(o, "reason", export_json_str(rec->reason));
		json_object_set_new(o, "evidence",
				    export_json_str(rec->evidence));
		text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
		json_decref(o);
		if (text == NULL) {
			s->failed = 1;
			return -1;
		}
		fprintf(s->out, "%s\n%s", s->written ? "," : "", text);
		free(text);
		break;
	}
	}
	s->written++;
	return ferror(s->out) ? (s->failed = 1, -1) : 0;
}

int export_suppressed_end(struct export_sink *s)
{
	if (s->format == EXPORT_JSON)
		fputs(s->written ? "\n]\n" : "]\n", s->out);
	if (fflush(s->out) != 0 || ferror(s->out))
		s->failed = 1;
	return s->failed ? -1 : 0;
}
