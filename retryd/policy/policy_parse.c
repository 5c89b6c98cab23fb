/*
 * NAME
 *	policy_parse 3
 * SUMMARY
 *	pure parsers for single policy values: durations, resolver
 *	addresses, booleans, numbers, tiers, classifier rules
 * SYNOPSIS
 *	#include "policy/policy.h"
 *	#include "policy/policy_int.h"
 * DESCRIPTION
 *	Each parser takes one value as inih handed it (surrounding blanks
 *	already stripped) and either fills its output or fails. No I/O, no
 *	clock, no globals; nothing is half-filled on failure. Strings
 *	returned are malloc'd and owned by the caller. Lists and hooks:
 *	policy_list.c.
 * DIAGNOSTICS
 *	-1 with a short message in the caller's buffer (without FILE:LINE).
 *	Text from the input is quoted bounded and masked (log_printable).
 */
#include "policy/policy_int.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "util/log.h"

static const struct {
	char unit;
	int64_t seconds;
} duration_units[] = {{'d', 86400}, {'h', 3600}, {'m', 60}, {'s', 1}};
#define DURATION_UNITS (sizeof(duration_units) / sizeof(duration_units[0]))

static const char *const policy_categories[] = {
    "routing",	    "null-mx",		 "mailbox-unknown", "mailbox-disabled",
    "mailbox-full", "policy-reputation", "authentication",  "rate-limit",
    "connection",   "content",		 "other",
};

/* policy_parse_duration - "1h30m": units d h m s, largest first, each once */
int policy_parse_duration(const char *text, int64_t *out)
{
	const char *s = text;
	int64_t total = 0;
	size_t next = 0;

	if (text == NULL || *text == '\0')
		return -1;
	if (strcmp(text, "0") == 0) {
		*out = 0;
		return 0;
	}
	while (*s != '\0') {
		int64_t n = 0;
		int digits = 0;
		size_t u;

		for (; *s >= '0' && *s <= '9'; s++, digits++) {
			n = n * 10 + (*s - '0');
			if (n > LIMIT_POLICY_DURATION)
				return -1;
		}
		if (digits == 0)
			return -1;
		for (u = next; u < DURATION_UNITS; u++)
			if (duration_units[u].unit == *s)
				break;
		if (u == DURATION_UNITS)
			return -1; /* no unit, unknown unit, or out of order */
		if (n >
		    (LIMIT_POLICY_DURATION - total) / duration_units[u].seconds)
			return -1;
		total += n * duration_units[u].seconds;
		next = u + 1;
		s++;
	}
	*out = total;
	return 0;
}

/* policy_format_duration - canonical form: largest units first, zeros left out
 */
void policy_format_duration(int64_t seconds, char *buf, size_t buflen)
{
	size_t used = 0;
	uint64_t left;

	if (buflen == 0)
		return;
	buf[0] = '\0';
	if (seconds == 0) {
		snprintf(buf, buflen, "0s");
		return;
	}
	if (seconds < 0) {
		used = (size_t)snprintf(buf, buflen, "-");
		left = (uint64_t)(-(seconds + 1)) + 1;
	} else {
		left = (uint64_t)seconds;
	}
	for (size_t u = 0; u < DURATION_UNITS && used < buflen; u++) {
		uint64_t n = left / (uint64_t)duration_units[u].seconds;

		if (n == 0)
			continue;
		left -= n * (uint64_t)duration_units[u].seconds;
		used += (size_t)snprintf(buf + used, buflen - used, "%llu%c",
					 (unsigned long long)n,
					 duration_units[u].unit);
	}
}

static int parse_port(const char *s, uint16_t *out)
{
	unsigned long v = 0;

	if (*s == '\0' || strlen(s) > 5)
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (unsigned long)(*s - '0');
	}
	if (v < 1 || v > 65535)
		return -1;
	*out = (uint16_t)v;
	return 0;
}

/* policy_parse_resolver - IP, IP:PORT, bare IPv6, [IPv6] or [IPv6]:PORT */
int policy_parse_resolver(const char *text, struct policy_resolver *out)
{
	struct policy_resolver r;
	char host[INET6_ADDRSTRLEN + 1], canon[INET6_ADDRSTRLEN];
	const char *port = NULL, *colon;
	size_t hl;

	memset(&r, 0, sizeof(r));
	r.port = 53;
	if (text == NULL)
		return -1;
	if (text[0] == '[') {
		const char *end = strchr(text, ']');

		if (end == NULL)
			return -1;
		if (end[1] == ':')
			port = end + 2;
		else if (end[1] != '\0')
			return -1;
		text++;
		hl = (size_t)(end - text);
		r.family = AF_INET6;
	} else if ((colon = strchr(text, ':')) != NULL &&
		   strchr(colon + 1, ':')) {
		hl = strlen(text);
		r.family = AF_INET6;
	} else if (colon != NULL) {
		hl = (size_t)(colon - text);
		port = colon + 1;
		r.family = AF_INET;
	} else {
		hl = strlen(text);
		r.family = AF_INET;
	}
	if (hl == 0 || hl >= sizeof(host))
		return -1;
	memcpy(host, text, hl);
	host[hl] = '\0';
	if (inet_pton(r.family, host, r.addr) != 1)
		return -1;
	if (port != NULL && parse_port(port, &r.port) < 0)
		return -1;
	inet_ntop(r.family, r.addr, canon, sizeof(canon));
	snprintf(r.text, sizeof(r.text),
		 r.family == AF_INET6 ? "[%s]:%u" : "%s:%u", canon,
		 (unsigned)r.port);
	*out = r;
	return 0;
}

/* policy_format_resolver - the shortest form that parses back the same */
void policy_format_resolver(const struct policy_resolver *r, char *buf,
			    size_t buflen)
{
	char canon[INET6_ADDRSTRLEN];

	inet_ntop(r->family, r->addr, canon, sizeof(canon));
	if (r->port == 53)
		snprintf(buf, buflen, "%s", canon);
	else
		snprintf(buf, buflen,
			 r->family == AF_INET6 ? "[%s]:%u" : "%s:%u", canon,
			 (unsigned)r->port);
}

int policy_parse_bool(const char *text, int *out)
{
	static const char *const yes[] = {"yes", "true", "on", "1"};
	static const char *const no[] = {"no", "false", "off", "0"};

	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(text, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(text, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return -1;
}

int policy_parse_uint(const char *text, unsigned min, unsigned max,
		      unsigned *out)
{
	unsigned long v = 0;

	if (*text == '\0')
		return -1;
	for (const char *s = text; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (unsigned long)(*s - '0');
		if (v > max)
			return -1;
	}
	if (v < min)
		return -1;
	*out = (unsigned)v;
	return 0;
}

int policy_parse_percent(const char *text, unsigned *out)
{
	char num[8];
	size_t len = strlen(text);

	if (len > 0 && text[len - 1] == '%')
		len--;
	if (len == 0 || len >= sizeof(num))
		return -1;
	memcpy(num, text, len);
	num[len] = '\0';
	return policy_parse_uint(num, 0, 50, out);
}

/* policy_split_words - blank-separated words, in place; max + 1: too many */
size_t policy_split_words(char *text, char **words, size_t max)
{
	size_t n = 0;
	char *save = NULL, *w;

	for (w = strtok_r(text, " \t", &save); w != NULL;
	     w = strtok_r(NULL, " \t", &save)) {
		if (n == max)
			return max + 1;
		words[n++] = w;
	}
	return n;
}

static const char *quoted(char *buf, size_t len, const char *text)
{
	return log_printable(buf, len, text);
}

int policy_parse_tier(const char *text, struct policy_tier *out, char *msg,
		      size_t msglen)
{
	char copy[LIMIT_INI_LINE + 1], q[64];
	char *w[5];
	size_t n;
	struct policy_tier t = {0, 0, POLICY_TIER_RETRY};

	snprintf(copy, sizeof(copy), "%s", text);
	n = policy_split_words(copy, w, 4);
	if (n < 3 || n > 4 || strcmp(w[1], "every") != 0) {
		snprintf(
		    msg, msglen,
		    "expected 'AGE every INTERVAL [check-resolver|escalate]'");
		return -1;
	}
	if (policy_parse_duration(w[0], &t.after) < 0) {
		snprintf(msg, msglen,
			 "bad age '%.40s' (use e.g. 0s, 30m, 1h30m)",
			 quoted(q, sizeof(q), w[0]));
		return -1;
	}
	if (policy_parse_duration(w[2], &t.every) < 0) {
		snprintf(msg, msglen, "bad interval '%.40s' (use e.g. 5m, 1h)",
			 quoted(q, sizeof(q), w[2]));
		return -1;
	}
	if (t.every == 0) {
		snprintf(msg, msglen, "'every' must be longer than 0s");
		return -1;
	}
	if (n == 4) {
		if (strcmp(w[3], "check-resolver") == 0)
			t.action = POLICY_TIER_CHECK_RESOLVER;
		else if (strcmp(w[3], "escalate") == 0)
			t.action = POLICY_TIER_ESCALATE;
		else {
			snprintf(msg, msglen,
				 "unknown action '%.40s' (use check-resolver "
				 "or escalate)",
				 quoted(q, sizeof(q), w[3]));
			return -1;
		}
	}
	*out = t;
	return 0;
}

int policy_category_known(const char *name)
{
	for (size_t i = 0;
	     i < sizeof(policy_categories) / sizeof(policy_categories[0]); i++)
		if (strcmp(name, policy_categories[i]) == 0)
			return 1;
	return 0;
}

int policy_parse_regex(const char *text, struct policy_rule *out, char *msg,
		       size_t msglen)
{
	char q[64];
	const char *s = text, *re, *last, *flags;
	size_t rl;
	int caseless = 0, errcode;
	PCRE2_SIZE erroff;
	pcre2_code *code;

	if (*s != '/') {
		snprintf(msg, msglen, "expected '/REGEX/flags'");
		return -1;
	}
	re = s + 1;
	last = strrchr(re, '/');
	if (last == NULL) {
		snprintf(msg, msglen,
			 "missing closing '/' after the regex"
			 " (note: ';' after a blank starts a comment)");
		return -1;
	}
	for (flags = last + 1; *flags != '\0'; flags++) {
		if (*flags != 'i' || caseless) {
			snprintf(msg, msglen,
				 "bad flags '%.20s' (only 'i' is allowed)",
				 quoted(q, sizeof(q), last + 1));
			return -1;
		}
		caseless = 1;
	}
	rl = (size_t)(last - re);
	if (rl == 0) {
		snprintf(msg, msglen, "empty regex");
		return -1;
	}
	code = pcre2_compile((PCRE2_SPTR)re, rl, caseless ? PCRE2_CASELESS : 0,
			     &errcode, &erroff, NULL);
	if (code == NULL) {
		PCRE2_UCHAR emsg[160];

		pcre2_get_error_message(errcode, emsg, sizeof(emsg));
		snprintf(msg, msglen, "bad regex at offset %zu: %s",
			 (size_t)erroff, (const char *)emsg);
		return -1;
	}
	pcre2_code_free(code);
	out->regex = strndup(re, rl);
	if (out->regex == NULL) {
		snprintf(msg, msglen, "out of memory");
		return -1;
	}
	out->caseless = caseless;
	return 0;
}

int policy_regex_matches_empty(const char *regex, int caseless)
{
	pcre2_code *code;
	pcre2_match_data *md;
	int errcode, rc = -1;
	PCRE2_SIZE erroff;

	code = pcre2_compile((PCRE2_SPTR)regex, PCRE2_ZERO_TERMINATED,
			     caseless ? PCRE2_CASELESS : 0, &errcode, &erroff,
			     NULL);
	if (code == NULL)
		return 0;
	if ((md = pcre2_match_data_create_from_pattern(code, NULL)) != NULL)
		rc = pcre2_match(code, (PCRE2_SPTR) "", 0, 0, 0, md, NULL);
	pcre2_match_data_free(md);
	pcre2_code_free(code);
	return rc >= 0;
}

int policy_parse_rule(const char *text, struct policy_rule *out, char *msg,
		      size_t msglen)
{
	char cat[LIMIT_CATEGORY + 2], q[64];
	const char *s = text;
	size_t cl;

	cl = strcspn(s, " \t");
	if (cl == 0 || cl >= sizeof(cat)) {
		snprintf(msg, msglen, "expected 'CATEGORY /REGEX/flags'");
		return -1;
	}
	memcpy(cat, s, cl);
	cat[cl] = '\0';
	if (!policy_category_known(cat)) {
		snprintf(msg, msglen,
			 "unknown category '%.30s' (routing, null-mx, "
			 "mailbox-unknown, "
			 "mailbox-disabled, mailbox-full, policy-reputation, "
			 "authentication, "
			 "rate-limit, connection, content, other)",
			 quoted(q, sizeof(q), cat));
		return -1;
	}
	s += cl;
	s += strspn(s, " \t");
	if (*s != '/') {
		snprintf(
		    msg, msglen,
		    "the regex must be written /REGEX/ after the category");
		return -1;
	}
	if (policy_parse_regex(s, out, msg, msglen) < 0)
		return -1;
	memcpy(out->category, cat, cl + 1);
	return 0;
}
