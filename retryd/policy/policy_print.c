/*
 * NAME
 *	policy_print 3
 * SUMMARY
 *	write the effective policy as INI that loads back to an equal one
 * SYNOPSIS
 *	#include "policy/policy.h"
 *
 *	int policy_print(const struct policy *p, FILE *fp);
 * DESCRIPTION
 *	Every key, defaults included, in schema order; durations in the
 *	canonical form of policy_format_duration(), lists comma-separated,
 *	resolvers without the default port, booleans yes/no, rules as
 *	"CATEGORY /REGEX/i". An unset optional key is printed as a comment.
 *	The output names no file, so printing a printed policy gives the
 *	same text. Every line stays within LIMIT_INI_LINE: when "key = a, b"
 *	would be longer, the line is written "key=a,b", which is never
 *	longer than the line it was read from. The built-in rules follow as
 *	comments ("; rule = ..."), within LIMIT_INI_LINE too (emit_comment:
 *	";rule=...", or ";" lines after it for a longer one), never cut; a
 *	rule or guard is printed as long as its regex (no fixed buffer).
 * DIAGNOSTICS
 *	-1 with errno: a write error, or E2BIG if a line cannot fit.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy.h"
#include "policy/policy_int.h"

#define PRINT_BUF (LIMIT_INI_LINE * 4)

/* emit - "key = value", or "key=value" when that is needed to fit */
static int emit(FILE *fp, const char *key, const char *pretty,
		const char *compact)
{
	if (strlen(key) + 3 + strlen(pretty) <= LIMIT_INI_LINE)
		return fprintf(fp, "%s = %s\n", key, pretty) < 0 ? -1 : 0;
	if (strlen(key) + 1 + strlen(compact) <= LIMIT_INI_LINE)
		return fprintf(fp, "%s=%s\n", key, compact) < 0 ? -1 : 0;
	errno = E2BIG;
	return -1;
}

static int emit1(FILE *fp, const char *key, const char *value)
{
	return emit(fp, key, value, value);
}

/* join - items with @param sep; "" and a too-long result end up too long */
static void join(char *buf, size_t len, const char *const *items, size_t n,
		 const char *sep)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s",
					 i > 0 ? sep : "", items[i]);
	if (used >= len) /* cannot fit: make emit() refuse it */
		memset(buf, 'x', len - 1);
}

static int emit_list(FILE *fp, const char *key, const char *const *items,
		     size_t n)
{
	char pretty[PRINT_BUF], compact[PRINT_BUF];

	join(pretty, sizeof(pretty), items, n, ", ");
	join(compact, sizeof(compact), items, n, ",");
	return emit(fp, key, pretty, compact);
}

static int emit_strlist(FILE *fp, const char *key,
			const struct policy_strlist *l)
{
	return emit_list(fp, key, (const char *const *)l->items, l->n);
}

static int emit_resolvers(FILE *fp, const char *key,
			  const struct policy_resolver_list *l)
{
	char text[LIMIT_POLICY_RESOLVERS][sizeof(l->items[0].text)];
	const char *items[LIMIT_POLICY_RESOLVERS];

	for (size_t i = 0; i < l->n; i++) {
		policy_format_resolver(&l->items[i], text[i], sizeof(text[i]));
		items[i] = text[i];
	}
	return emit_list(fp, key, items, l->n);
}

static int emit_duration(FILE *fp, const char *key, int64_t seconds)
{
	char d[32];

	policy_format_duration(seconds, d, sizeof(d));
	return emit1(fp, key, d);
}

static int emit_bool(FILE *fp, const char *key, int v)
{
	return emit1(fp, key, v ? "yes" : "no");
}

static int emit_argv(FILE *fp, const char *key, char *const *argv)
{
	size_t n = 0;

	if (argv == NULL)
		return fprintf(fp, "; %s is not set\n", key) < 0 ? -1 : 0;
	while (argv[n] != NULL)
		n++;
	{
		char words[PRINT_BUF];

		join(words, sizeof(words), (const char *const *)argv, n, " ");
		return emit1(fp, key, words);
	}
}

static int emit_backoff(FILE *fp, const struct policy_backoff *b)
{
	static const char *const action[] = {"", " check-resolver",
					     " escalate"};
	char line[96], a[32], e[32];

	for (size_t i = 0; i < b->ntiers; i++) {
		policy_format_duration(b->tiers[i].after, a, sizeof(a));
		policy_format_duration(b->tiers[i].every, e, sizeof(e));
		snprintf(line, sizeof(line), "%s every %s%s", a, e,
			 action[b->tiers[i].action]);
		if (emit1(fp, "tier", line) < 0)
			return -1;
	}
	snprintf(line, sizeof(line), "%u%%", b->jitter_percent);
	if (emit_duration(fp, "give_up", b->give_up) < 0 ||
	    emit1(fp, "jitter", line) < 0)
		return -1;
	return 0;
}

static int print_groups(const struct policy *p, FILE *fp)
{
	for (size_t i = 0; i < p->ngroups; i++) {
		const struct policy_group *g = &p->groups[i];

		if (fprintf(fp, "\n[group %s]\n", g->name) < 0)
			return -1;
		if (g->domains.n > 0 &&
		    emit_strlist(fp, "domains", &g->domains) < 0)
			return -1;
		if (g->mx.n > 0 && emit_strlist(fp, "mx", &g->mx) < 0)
			return -1;
		if (emit_bool(fp, "watch", g->watch) < 0 ||
		    (g->watch_names.n > 0 &&
		     emit_strlist(fp, "watch_names", &g->watch_names) < 0))
			return -1;
		if (g->has_own_backoff && emit_backoff(fp, &g->backoff) < 0)
			return -1;
	}
	return 0;
}

/*
 * emit_comment - "; key = value" as a comment (a built-in rule, which
 * loading the print adds again), within LIMIT_INI_LINE like every line:
 * ";key=value" when the spaced form is longer, and a value too long even
 * for that (a built-in line written compactly at LIMIT_INI_LINE bytes)
 * goes on over ";" lines. A comment is never cut: it is what retryd -t
 * shows of the rule.
 */
static int emit_comment(FILE *fp, const char *key, const char *value)
{
	size_t klen = strlen(key), vlen = strlen(value), n;

	if (2 + klen + 3 + vlen <= LIMIT_INI_LINE)
		return fprintf(fp, "; %s = %s\n", key, value) < 0 ? -1 : 0;
	n = LIMIT_INI_LINE - 2 - klen; /* ";key=" and the value's head */
	if (fprintf(fp, ";%s=%.*s\n", key, (int)(vlen < n ? vlen : n), value) <
	    0)
		return -1;
	for (size_t at = n; at < vlen; at += LIMIT_INI_LINE - 1)
		if (fprintf(fp, ";%.*s\n", LIMIT_INI_LINE - 1, value + at) < 0)
			return -1;
	return 0;
}

/*
 * print_rule - "CATEGORY /REGEX/flags" (@param r->category "": an address
 * guard's "/REGEX/flags"), as long as the regex is. @return it (caller
 * frees), or NULL with errno when out of memory.
 */
static char *print_rule(const struct policy_rule *r)
{
	char *buf = NULL;

	if (asprintf(&buf, "%s%s/%s/%s", r->category, r->category[0] ? " " : "",
		     r->regex, r->caseless ? "i" : "") < 0)
		return NULL;
	return buf;
}

/*
 * print_rules - local rules as rule = (fallback_rule =, guarded_rule =)
 * lines, local address guards as address_guard = lines; the built-in ones
 * follow as comments (loading the print adds them again).
 */
static int print_rules(const struct policy *p, FILE *fp)
{
	size_t nlocal = p->nrules - p->nrules_builtin, nfallback = 0;
	size_t nguarded = 0;

	for (size_t i = 0; i < p->nrules; i++) {
		nfallback += p->rules[i].fallback ? 1 : 0;
		nguarded += p->rules[i].guarded ? 1 : 0;
	}
	if (fprintf(fp,
		    "\n[classifier]\n; %zu rules: %zu local, %zu built in "
		    "(policy/classifier.ini compiled into retryd); %zu of "
		    "them fallback rules, %zu guarded rules\n",
		    p->nrules, nlocal, p->nrules_builtin, nfallback,
		    nguarded) < 0 ||
	    emit1(fp, "builtin_rules", p->builtin_rules ? "yes" : "no") < 0)
		return -1;
	if (fprintf(fp,
		    "; %zu address guards (no guarded_rule decides a text one "
		    "matches)\n",
		    p->nguards) < 0)
		return -1;
	for (size_t i = 0; i < p->nguards; i++) {
		const struct policy_rule *g = &p->guards[i];

		char *rule = print_rule(g);
		int rc = rule == NULL ? -1
			 : g->builtin ? emit_comment(fp, "address_guard", rule)
				      : emit1(fp, "address_guard", rule);

		free(rule);
		if (rc < 0)
			return -1;
	}
	for (size_t i = 0; i < p->nrules; i++) {
		const struct policy_rule *r = &p->rules[i];
		const char *key = r->fallback  ? "fallback_rule"
				  : r->guarded ? "guarded_rule"
					       : "rule";

		char *rule = print_rule(r);
		int rc = rule == NULL ? -1
			 : r->builtin ? emit_comment(fp, key, rule)
				      : emit1(fp, key, rule);

		free(rule);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* [fleet], the URL's password masked. */
static int print_fleet(const struct policy *p, FILE *fp)
{
	const char *u = p->fleet_database, *at, *colon, *start;

	if (fprintf(fp, "\n[fleet]\n") < 0)
		return -1;
	if (u == NULL)
		return fprintf(fp, "; database is not set: a single host\n") < 0
			   ? -1
			   : 0;
	start = strstr(u, "://") + 3;
	at = strchr(start, '@');
	colon = at ? memchr(start, ':', (size_t)(at - start)) : NULL;
	if (colon != NULL) {
		if (fprintf(fp, "database = %.*s:***%s\n", (int)(colon - u), u,
			    at) < 0)
			return -1;
	} else if (emit1(fp, "database", u) < 0) {
		return -1;
	}
	return emit_duration(fp, "interval", p->fleet_interval);
}

int policy_print(const struct policy *p, FILE *fp)
{
	if (fprintf(fp,
		    "; retryd effective policy (retryd -t): defaults filled in,"
		    " includes expanded\n\n[retryd]\n") < 0 ||
	    emit1(fp, "mta", p->mta) < 0 ||
	    emit1(fp, "plugin_dir", p->plugin_dir) < 0 ||
	    emit1(fp, "state_dir", p->state_dir) < 0 ||
	    emit1(fp, "mode", p->observe ? "observe" : "act") < 0 ||
	    (p->metrics_file != NULL
		 ? emit1(fp, "metrics_file", p->metrics_file)
		 : (fprintf(fp, "; metrics_file is not set\n") < 0 ? -1 : 0)) <
		0 ||
	    emit_duration(fp, "scan_interval", p->scan_interval) < 0 ||
	    fprintf(fp, "reconcile_every = %u\n", p->reconcile_every) < 0 ||
	    emit_duration(fp, "reconcile_interval", p->reconcile_interval) <
		0 ||
	    fprintf(fp, "store_cache_mb = %u\n", p->store_cache_mb) < 0 ||
	    emit_duration(fp, "max_hold", p->max_hold) < 0 ||
	    emit1(fp, "host_id", p->host_id) < 0 ||
	    emit1(fp, "user", p->user) < 0)
		return -1;
	if (fprintf(fp, "\n[postfix]\n") < 0 ||
	    emit1(fp, "config_dir", p->postfix_config_dir) < 0 ||
	    emit1(fp, "log_file", p->postfix_log_file) < 0)
		return -1;
	if (fprintf(fp, "\n[exim]\n") < 0 ||
	    emit1(fp, "binary", p->exim_binary) < 0 ||
	    (p->exim_config != NULL
		 ? emit1(fp, "config", p->exim_config)
		 : (fprintf(fp, "; config is not set\n") < 0 ? -1 : 0)) < 0 ||
	    emit1(fp, "log_file", p->exim_log_file) < 0 ||
	    (p->exim_held_domains_file != NULL
		 ? emit1(fp, "held_domains_file", p->exim_held_domains_file)
		 : (fprintf(fp, "; held_domains_file is not set: hold "
				"by freezing\n") < 0
			? -1
			: 0)) < 0)
		return -1;
	if (fprintf(fp, "\n[resolvers]\n") < 0 ||
	    emit_resolvers(fp, "mta", &p->resolvers_mta) < 0 ||
	    emit_resolvers(fp, "independent", &p->resolvers_independent) < 0 ||
	    emit_bool(fp, "authoritative", p->authoritative) < 0 ||
	    emit_bool(fp, "tcp", p->tcp) < 0 ||
	    emit_duration(fp, "timeout", p->timeout_ms / 1000) < 0 ||
	    emit_duration(fp, "verify_window", p->verify_window) < 0 ||
	    (p->root_hints != NULL
		 ? emit1(fp, "root_hints", p->root_hints)
		 : (fprintf(fp, "; root_hints is not set (no trace)\n") < 0
			? -1
			: 0)) < 0 ||
	    (p->canaries.n > 0 ? emit_strlist(fp, "canary", &p->canaries) : 0) <
		0)
		return -1;
	if (fprintf(fp, "\n[backoff]\n") < 0 ||
	    emit_backoff(fp, &p->backoff) < 0)
		return -1;
	if (fprintf(fp, "\n[sentinel]\n") < 0 ||
	    emit_bool(fp, "enabled", p->sentinel_enabled) < 0 ||
	    emit_duration(fp, "interval", p->sentinel_interval) < 0 ||
	    print_groups(p, fp) < 0)
		return -1;
	if (fprintf(fp, "\n[suppression]\n") < 0 ||
	    (p->suppress_categories.n > 0
		 ? emit_strlist(fp, "categories", &p->suppress_categories)
		 : emit1(fp, "categories", "none")) < 0 ||
	    fprintf(fp, "min_failures = %u\n", p->min_failures) < 0 ||
	    emit_duration(fp, "min_span", p->min_span) < 0 ||
	    emit_bool(fp, "require_healthy_dns", p->require_healthy_dns) < 0 ||
	    emit1(fp, "on_suppress",
		  p->on_suppress == POLICY_SUPPRESS_RELEASE ? "release"
							    : "bounce") < 0)
		return -1;
	if (print_rules(p, fp) < 0 || fprintf(fp, "\n[hooks]\n") < 0 ||
	    emit_argv(fp, "flush_resolver", p->hook_flush_resolver) < 0 ||
	    emit_argv(fp, "escalate", p->hook_escalate) < 0 ||
	    (p->hook_user[0] && emit1(fp, "user", p->hook_user) < 0))
		return -1;
	if (print_fleet(p, fp) < 0)
		return -1;
	if (fflush(fp) == EOF || ferror(fp)) {
		if (errno == 0)
			errno = EIO;
		return -1;
	}
	return 0;
}
