/*
 * NAME
 *	policy_keys 3
 * SUMMARY
 *	the policy schema as a typed table: sections, keys, defaults,
 *	value setters and the checks across keys
 * SYNOPSIS
 *	#include "policy/policy_load.h"
 * DESCRIPTION
 *	policy_keys[] names every key of every section, whether it may
 *	repeat, and the setter that parses its value (policy_parse.c) into
 *	the struct policy. policy_load_handler() is inih's handler: it finds the
 *	key, refuses an unknown or repeated one, and calls the setter.
 *	policy_new_defaults() fills every default that needs no I/O;
 *	policy_load_finish() reads the rest (resolv.conf, host name) and checks
 *	what one key alone cannot: tiers against give_up, groups that
 *	match nothing.
 * DIAGNOSTICS
 *	Through policy_load_error(): "FILE:LINE: message", loading goes on.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/log.h"
#include "policy/policy_int.h"
#include "policy/policy_load.h"

const char *const load_section_names[LOAD_SECT_COUNT] = {
    "",	       "retryd",      "postfix",    "exim",  "resolvers",
    "backoff", "suppression", "classifier", "hooks", "sentinel",
    "fleet",   "group",	      "?",
};

struct key_ctx {
	struct load_state *ls;
	struct policy *p;
	struct policy_group *g;	  /* LOAD_SECT_GROUP only */
	struct policy_backoff *b; /* [backoff] or the group's */
	struct load_backoff_track *bt;
	struct load_loc loc;
	size_t off; /* of the char * field, set_path */
};

typedef int (*key_setter)(struct key_ctx *k, const char *v, char *msg,
			  size_t msglen);

struct key_def {
	enum load_sect sect;
	const char *name;
	int repeat;
	key_setter set;
	size_t off;
};

static int set_path(struct key_ctx *k, const char *v, char *msg, size_t msglen)
{
	char **field = (char **)((char *)k->p + k->off);
	char *copy;

	if (v[0] != '/') {
		snprintf(msg, msglen, "must be an absolute path");
		return -1;
	}
	if ((copy = strdup(v)) == NULL) {
		snprintf(msg, msglen, "out of memory");
		return -1;
	}
	free(*field);
	*field = copy;
	return 0;
}

/* log_file: an absolute path, or "journal:" / "journal:/DIR" (the systemd
 * journal, plugins/log_journal.h). */
static int set_log_source(struct key_ctx *k, const char *v, char *msg,
			  size_t msglen)
{
	static const char jp[] = "journal:";

	if (strncmp(v, jp, sizeof(jp) - 1) == 0 && v[sizeof(jp) - 1] != '\0' &&
	    v[sizeof(jp) - 1] != '/') {
		snprintf(msg, msglen,
			 "journal:DIR needs an absolute DIR (or journal: "
			 "alone for the system journal)");
		return -1;
	}
	if (strncmp(v, jp, sizeof(jp) - 1) == 0) {
		char *copy = strdup(v);
		char **field = (char **)((char *)k->p + k->off);

		if (copy == NULL) {
			snprintf(msg, msglen, "out of memory");
			return -1;
		}
		free(*field);
		*field = copy;
		return 0;
	}
	return set_path(k, v, msg, msglen);
}

/* socket: obsolete (retryctl joins the store; there is no control socket).
 * Accepted and ignored so that older policies still load. */
static int set_ignored(struct key_ctx *k, const char *v, char *msg,
		       size_t msglen)
{
	return 0;
}

static int set_mode(struct key_ctx *k, const char *v, char *msg, size_t msglen)
{
	if (strcmp(v, "act") == 0 || strcmp(v, "observe") == 0) {
		k->p->observe = v[0] == 'o';
		return 0;
	}
	snprintf(msg, msglen, "must be act or observe");
	return -1;
}

static int set_mta(struct key_ctx *k, const char *v, char *msg, size_t msglen)
{
	if (strcmp(v, "postfix") != 0 && strcmp(v, "exim") != 0) {
		snprintf(msg, msglen, "unknown mta (postfix or exim)");
		return -1;
	}
	snprintf(k->p->mta, sizeof(k->p->mta), "%s", v);
	return 0;
}

static int set_duration(const char *v, int64_t *out, int64_t min, char *msg,
			size_t msglen)
{
	int64_t d;

	if (policy_parse_duration(v, &d) < 0) {
		snprintf(msg, msglen,
			 "bad duration (use e.g. 30s, 5m, 1h30m, 4d; at most "
			 "3650d)");
		return -1;
	}
	if (d < min) {
		snprintf(msg, msglen, "must be longer than 0s");
		return -1;
	}
	*out = d;
	return 0;
}

static int set_scan_interval(struct key_ctx *k, const char *v, char *msg,
			     size_t msglen)
{
	return set_duration(v, &k->p->scan_interval, 1, msg, msglen);
}

/* [retryd] max_hold: the longest any message stays held, from adoption */
static int set_max_hold(struct key_ctx *k, const char *v, char *msg,
			size_t msglen)
{
	return set_duration(v, &k->p->max_hold, 1, msg, msglen);
}

/* [retryd] user: a portable user name ([a-z_][a-z0-9_-]*), or "" (stay) */
static int set_user(struct key_ctx *k, const char *v, char *msg, size_t msglen)
{
	size_t n = strlen(v);
	int ok = n <= LIMIT_USER_NAME &&
		 (n == 0 || (v[0] >= 'a' && v[0] <= 'z') || v[0] == '_');

	for (size_t i = 0; ok && i < n; i++)
		ok = (v[i] >= 'a' && v[i] <= 'z') ||
		     (v[i] >= '0' && v[i] <= '9') || v[i] == '_' || v[i] == '-';
	if (!ok) {
		snprintf(msg, msglen,
			 "bad user (1-%d characters a-z 0-9 _ -, starting "
			 "with a letter or _)",
			 LIMIT_USER_NAME);
		return -1;
	}
	snprintf(k->p->user, sizeof(k->p->user), "%s", v);
	return 0;
}

static int set_reconcile_every(struct key_ctx *k, const char *v, char *msg,
			       size_t msglen)
{
	if (policy_parse_uint(v, 0, LIMIT_POLICY_RECONCILE_EVERY,
			      &k->p->reconcile_every) < 0) {
		snprintf(msg, msglen,
			 "bad reconcile_every (a number 0-%d; 0: by time "
			 "only, reconcile_interval)",
			 LIMIT_POLICY_RECONCILE_EVERY);
		return -1;
	}
	return 0;
}

/* [retryd] reconcile_interval: a full listing at least this often */
static int set_reconcile_interval(struct key_ctx *k, const char *v, char *msg,
				  size_t msglen)
{
	return set_duration(v, &k->p->reconcile_interval, 1, msg, msglen);
}

static int set_store_cache_mb(struct key_ctx *k, const char *v, char *msg,
			      size_t msglen)
{
	if (policy_parse_uint(v, 1, LIMIT_POLICY_STORE_CACHE_MB,
			      &k->p->store_cache_mb) < 0) {
		snprintf(msg, msglen, "bad store_cache_mb (a number 1-%d)",
			 LIMIT_POLICY_STORE_CACHE_MB);
		return -1;
	}
	return 0;
}

static int set_host_id(struct key_ctx *k, const char *v, char *msg,
		       size_t msglen)
{
	if (policy_check_host_id(v) < 0) {
		snprintf(msg, msglen,
			 "bad host_id (1-%d characters A-Z a-z 0-9 . - _)",
			 LIMIT_HOST_ID);
		return -1;
	}
	snprintf(k->p->host_id, sizeof(k->p->host_id), "%s", v);
	return 0;
}

static int set_resolvers_mta(struct key_ctx *k, const char *v, char *msg,
			     size_t msglen)
{
	return policy_parse_resolver_list(v, &k->p->resolvers_mta, msg, msglen);
}

static int set_resolvers_indep(struct key_ctx *k, const char *v, char *msg,
			       size_t msglen)
{
	return policy_parse_resolver_list(v, &k->p->resolvers_independent, msg,
					  msglen);
}

static int set_bool(int *out, const char *v, char *msg, size_t msglen)
{
	if (policy_parse_bool(v, out) < 0) {
		snprintf(msg, msglen,
			 "bad boolean (yes, no, true, false, on, off, 1, 0)");
		return -1;
	}
	return 0;
}

static int set_authoritative(struct key_ctx *k, const char *v, char *msg,
			     size_t msglen)
{
	return set_bool(&k->p->authoritative, v, msg, msglen);
}

static int set_tcp(struct key_ctx *k, const char *v, char *msg, size_t msglen)
{
	return set_bool(&k->p->tcp, v, msg, msglen);
}

static int set_timeout(struct key_ctx *k, const char *v, char *msg,
		       size_t msglen)
{
	int64_t d;

	if (set_duration(v, &d, 1, msg, msglen) < 0)
		return -1;
	k->p->timeout_ms = d * 1000;
	return 0;
}

static int set_verify_window(struct key_ctx *k, const char *v, char *msg,
			     size_t msglen)
{
	return set_duration(v, &k->p->verify_window, 0, msg, msglen);
}

static int set_tier(struct key_ctx *k, const char *v, char *msg, size_t msglen)
{
	struct policy_backoff *b = k->b;
	struct policy_tier t;
	char a[32], prev[32];

	if (!k->bt->tiers_set) { /* the first tier replaces the defaults */
		b->ntiers = 0;
		k->bt->tiers_set = 1;
	}
	if (policy_parse_tier(v, &t, msg, msglen) < 0)
		return -1;
	if (b->ntiers == LIMIT_POLICY_TIERS) {
		snprintf(msg, msglen, "too many tiers (at most %d)",
			 LIMIT_POLICY_TIERS);
		return -1;
	}
	b->tiers[b->ntiers] = t;
	k->bt->tier[b->ntiers] = k->loc;
	b->ntiers++;
	policy_format_duration(t.after, a, sizeof(a));
	if (b->ntiers == 1 && t.after != 0) {
		snprintf(msg, msglen, "the first tier must start at 0s, not %s",
			 a);
		return -1;
	}
	if (b->ntiers > 1 && t.after <= b->tiers[b->ntiers - 2].after) {
		policy_format_duration(b->tiers[b->ntiers - 2].after, prev,
				       sizeof(prev));
		snprintf(
		    msg, msglen,
		    "tiers must start at increasing ages: %s is not after %s",
		    a, prev);
		return -1;
	}
	return 0;
}

static int set_give_up(struct key_ctx *k, const char *v, char *msg,
		       size_t msglen)
{
	k->bt->give_up = k->loc;
	return set_duration(v, &k->b->give_up, 1, msg, msglen);
}

static int set_jitter(struct key_ctx *k, const char *v, char *msg,
		      size_t msglen)
{
	k->bt->jitter = k->loc;
	if (policy_parse_percent(v, &k->b->jitter_percent) < 0) {
		snprintf(msg, msglen,
			 "bad jitter (a percentage 0-50, e.g. 10%%)");
		return -1;
	}
	return 0;
}

static int set_list(struct policy_strlist *l, enum policy_list_kind kind,
		    const char *v, char *msg, size_t msglen)
{
	struct policy_strlist n;

	if (policy_parse_list(v, kind, &n, msg, msglen) < 0)
		return -1;
	policy_strlist_free(l);
	*l = n;
	return 0;
}

static int set_canary(struct key_ctx *k, const char *v, char *msg,
		      size_t msglen)
{
	struct policy_strlist *l = &k->p->canaries;

	if (set_list(l, POLICY_LIST_DOMAINS, v, msg, msglen) < 0)
		return -1;
	for (size_t i = 0; i < l->n; i++)
		if (strlen(l->items[i]) > LIMIT_VERIFY_PROBE_NAME ||
		    strchr(l->items[i], '*') != NULL) {
			snprintf(msg, msglen,
				 "bad canary '%.60s' (a host name of at most "
				 "%d characters)",
				 l->items[i], LIMIT_VERIFY_PROBE_NAME);
			policy_strlist_free(l);
			return -1;
		}
	if (l->n > LIMIT_POLICY_CANARIES) {
		snprintf(msg, msglen, "too many canaries (at most %d)",
			 LIMIT_POLICY_CANARIES);
		policy_strlist_free(l);
		return -1;
	}
	return 0;
}

static int set_domains(struct key_ctx *k, const char *v, char *msg,
		       size_t msglen)
{
	return set_list(&k->g->domains, POLICY_LIST_DOMAINS, v, msg, msglen);
}

static int set_mx(struct key_ctx *k, const char *v, char *msg, size_t msglen)
{
	return set_list(&k->g->mx, POLICY_LIST_MX, v, msg, msglen);
}

static int set_watch(struct key_ctx *k, const char *v, char *msg, size_t msglen)
{
	return set_bool(&k->g->watch, v, msg, msglen);
}

static int set_watch_names(struct key_ctx *k, const char *v, char *msg,
			   size_t msglen)
{
	size_t i;

	if (set_list(&k->g->watch_names, POLICY_LIST_DOMAINS, v, msg, msglen) <
	    0)
		return -1;
	for (i = 0; i < k->g->watch_names.n; i++)
		if (strchr(k->g->watch_names.items[i], '*') != NULL) {
			snprintf(msg, msglen,
				 "watch_names: '%.100s' is a pattern; name "
				 "concrete domains (e.g. hotmail.co.uk)",
				 k->g->watch_names.items[i]);
			return -1;
		}
	return 0;
}

static int set_sentinel_enabled(struct key_ctx *k, const char *v, char *msg,
				size_t msglen)
{
	return set_bool(&k->p->sentinel_enabled, v, msg, msglen);
}

static int set_sentinel_interval(struct key_ctx *k, const char *v, char *msg,
				 size_t msglen)
{
	return set_duration(v, &k->p->sentinel_interval, 1, msg, msglen);
}

static int set_categories(struct key_ctx *k, const char *v, char *msg,
			  size_t msglen)
{
	return set_list(&k->p->suppress_categories, POLICY_LIST_CATEGORIES, v,
			msg, msglen);
}

static int set_min_failures(struct key_ctx *k, const char *v, char *msg,
			    size_t msglen)
{
	if (policy_parse_uint(v, 1, LIMIT_POLICY_MIN_FAILURES,
			      &k->p->min_failures) < 0) {
		snprintf(msg, msglen, "bad min_failures (a number 1-%d)",
			 LIMIT_POLICY_MIN_FAILURES);
		return -1;
	}
	return 0;
}

static int set_min_span(struct key_ctx *k, const char *v, char *msg,
			size_t msglen)
{
	return set_duration(v, &k->p->min_span, 0, msg, msglen);
}

static int set_require_healthy(struct key_ctx *k, const char *v, char *msg,
			       size_t msglen)
{
	return set_bool(&k->p->require_healthy_dns, v, msg, msglen);
}

static int set_on_suppress(struct key_ctx *k, const char *v, char *msg,
			   size_t msglen)
{
	if (strcmp(v, "bounce") == 0)
		k->p->on_suppress = POLICY_SUPPRESS_BOUNCE;
	else if (strcmp(v, "release") == 0)
		k->p->on_suppress = POLICY_SUPPRESS_RELEASE;
	else {
		snprintf(msg, msglen, "bad on_suppress (bounce or release)");
		return -1;
	}
	return 0;
}

/*
 * rule_locate - @param r (a rule or an address guard, its regex parsed)
 * takes the FILE and LINE of the key being read, for errors and --explain.
 * @return 0, or -1 with @param r's regex freed ("out of memory").
 */
static int rule_locate(struct key_ctx *k, struct policy_rule *r, char *msg,
		       size_t msglen)
{
	if ((r->file = strdup(k->loc.file)) == NULL) {
		free(r->regex);
		snprintf(msg, msglen, "out of memory");
		return -1;
	}
	r->line = k->loc.line;
	return 0;
}

/*
 * add_rule - rule =, (@param kind RULE_FALLBACK) fallback_rule = or
 * (RULE_GUARDED) guarded_rule = CATEGORY /REGEX/: all count against
 * LIMIT_POLICY_RULES. A fallback rule reads only a text no rule matched and
 * no status code decides (classify.c): a word there is weak evidence, so it
 * may never name an address-level category. A guarded rule is one whose
 * words could be the sender's or a login account's: it decides only where
 * no address_guard matches, so it must name an address-level category.
 */
enum rule_kind { RULE_PLAIN, RULE_FALLBACK, RULE_GUARDED };

static int add_rule(struct key_ctx *k, const char *v, enum rule_kind kind,
		    char *msg, size_t msglen)
{
	int address;

	struct policy *p = k->p;
	struct policy_rule r;

	if (p->nrules == LIMIT_POLICY_RULES) {
		snprintf(msg, msglen,
			 "too many rules (at most %d, local and built-in "
			 "together)",
			 LIMIT_POLICY_RULES);
		return -1;
	}
	memset(&r, 0, sizeof(r));
	if (policy_parse_rule(v, &r, msg, msglen) < 0)
		return -1;
	address = strcmp(r.category, "mailbox-unknown") == 0 ||
		  strcmp(r.category, "mailbox-disabled") == 0;
	if (kind == RULE_FALLBACK && address) {
		snprintf(msg, msglen,
			 "'%s' is address-level: a fallback rule's words "
			 "are too weak to suppress a recipient (use rule =)",
			 r.category);
		free(r.regex);
		return -1;
	}
	if (kind == RULE_GUARDED && !address) {
		snprintf(msg, msglen,
			 "'%s' is not address-level: the address guards "
			 "only keep mailbox-unknown and mailbox-disabled "
			 "rules from deciding (use rule =)",
			 r.category);
		free(r.regex);
		return -1;
	}
	r.fallback = kind == RULE_FALLBACK;
	r.guarded = kind == RULE_GUARDED;
	if (rule_locate(k, &r, msg, msglen) < 0)
		return -1;
	p->rules[p->nrules++] = r;
	return 0;
}

static int set_rule(struct key_ctx *k, const char *v, char *msg, size_t msglen)
{
	return add_rule(k, v, RULE_PLAIN, msg, msglen);
}

static int set_fallback_rule(struct key_ctx *k, const char *v, char *msg,
			     size_t msglen)
{
	return add_rule(k, v, RULE_FALLBACK, msg, msglen);
}

static int set_guarded_rule(struct key_ctx *k, const char *v, char *msg,
			    size_t msglen)
{
	return add_rule(k, v, RULE_GUARDED, msg, msglen);
}

/*
 * set_address_guard - address_guard = /REGEX/flags (repeats): where one
 * matches a text outside a name, no guarded_rule decides it (classify.c):
 * words about the sender's address or a login account, written once
 * instead of a lookahead copied into every such rule. A guard that matches
 * an empty text would keep every guarded rule from deciding: refused.
 */
static int set_address_guard(struct key_ctx *k, const char *v, char *msg,
			     size_t msglen)
{
	struct policy *p = k->p;
	struct policy_rule g;

	if (p->nguards == LIMIT_POLICY_GUARDS) {
		snprintf(msg, msglen,
			 "too many address guards (at most %d, local and "
			 "built-in together)",
			 LIMIT_POLICY_GUARDS);
		return -1;
	}
	memset(&g, 0, sizeof(g));
	if (policy_parse_regex(v, &g, msg, msglen) < 0)
		return -1;
	if (policy_regex_matches_empty(g.regex, g.caseless)) {
		snprintf(msg, msglen,
			 "the regex matches an empty text: it would keep "
			 "every address-level rule from deciding");
		free(g.regex);
		return -1;
	}
	if (rule_locate(k, &g, msg, msglen) < 0)
		return -1;
	p->guards[p->nguards++] = g;
	return 0;
}

static int set_builtin_rules(struct key_ctx *k, const char *v, char *msg,
			     size_t msglen)
{
	return set_bool(&k->p->builtin_rules, v, msg, msglen);
}

static int set_hook(char ***field, const char *v, char *msg, size_t msglen)
{
	char **argv;

	if (policy_parse_hook(v, &argv, msg, msglen) < 0)
		return -1;
	policy_argv_free(*field);
	*field = argv;
	return 0;
}

static int set_flush_resolver(struct key_ctx *k, const char *v, char *msg,
			      size_t msglen)
{
	return set_hook(&k->p->hook_flush_resolver, v, msg, msglen);
}

static int set_escalate(struct key_ctx *k, const char *v, char *msg,
			size_t msglen)
{
	return set_hook(&k->p->hook_escalate, v, msg, msglen);
}

/* A portable user name: [a-z_][a-z0-9_-]*, at most LIMIT_USER_NAME. */
static int set_hook_user(struct key_ctx *k, const char *v, char *msg,
			 size_t msglen)
{
	size_t n = strlen(v);
	int ok = n > 0 && n <= LIMIT_USER_NAME &&
		 (v[0] == '_' || (v[0] >= 'a' && v[0] <= 'z'));

	for (size_t i = 1; ok && i < n; i++)
		ok = v[i] == '_' || v[i] == '-' ||
		     (v[i] >= 'a' && v[i] <= 'z') ||
		     (v[i] >= '0' && v[i] <= '9');
	if (!ok) {
		snprintf(msg, msglen,
			 "bad user (1-%d characters a-z 0-9 _ -, not starting "
			 "with a digit or '-')",
			 LIMIT_USER_NAME);
		return -1;
	}
	snprintf(k->p->hook_user, sizeof(k->p->hook_user), "%s", v);
	return 0;
}

/* [fleet] database: a libpq URL, postgresql:// or postgres://, printable,
 * no space (libpq reads the rest: host, port, dbname, parameters). */
static int set_fleet_database(struct key_ctx *k, const char *v, char *msg,
			      size_t msglen)
{
	char *copy;

	if (strncmp(v, "postgresql://", 13) != 0 &&
	    strncmp(v, "postgres://", 11) != 0) {
		snprintf(msg, msglen, "database must be a postgresql:// URL");
		return -1;
	}
	if (strlen(v) > LIMIT_FLEET_URL) {
		snprintf(msg, msglen, "database URL longer than %d bytes",
			 LIMIT_FLEET_URL);
		return -1;
	}
	for (const char *c = v; *c; c++) {
		if ((unsigned char)*c <= ' ' || (unsigned char)*c >= 0x7f) {
			snprintf(msg, msglen,
				 "database URL with a space or control "
				 "byte (percent-encode it)");
			return -1;
		}
	}
	if ((copy = strdup(v)) == NULL) {
		snprintf(msg, msglen, "out of memory");
		return -1;
	}
	free(k->p->fleet_database);
	k->p->fleet_database = copy;
	return 0;
}

static int set_fleet_interval(struct key_ctx *k, const char *v, char *msg,
			      size_t msglen)
{
	return set_duration(v, &k->p->fleet_interval, 1, msg, msglen);
}

#define OFF(f) offsetof(struct policy, f)

static const struct key_def policy_keys[] = {
    {LOAD_SECT_RETRYD, "mta", 0, set_mta, 0},
    {LOAD_SECT_RETRYD, "plugin_dir", 0, set_path, OFF(plugin_dir)},
    {LOAD_SECT_RETRYD, "state_dir", 0, set_path, OFF(state_dir)},
    {LOAD_SECT_RETRYD, "socket", 0, set_ignored, 0},
    {LOAD_SECT_RETRYD, "mode", 0, set_mode, 0},
    {LOAD_SECT_RETRYD, "metrics_file", 0, set_path, OFF(metrics_file)},
    {LOAD_SECT_RETRYD, "scan_interval", 0, set_scan_interval, 0},
    {LOAD_SECT_RETRYD, "reconcile_every", 0, set_reconcile_every, 0},
    {LOAD_SECT_RETRYD, "reconcile_interval", 0, set_reconcile_interval, 0},
    {LOAD_SECT_RETRYD, "store_cache_mb", 0, set_store_cache_mb, 0},
    {LOAD_SECT_RETRYD, "max_hold", 0, set_max_hold, 0},
    {LOAD_SECT_RETRYD, "host_id", 0, set_host_id, 0},
    {LOAD_SECT_RETRYD, "user", 0, set_user, 0},
    {LOAD_SECT_POSTFIX, "config_dir", 0, set_path, OFF(postfix_config_dir)},
    {LOAD_SECT_POSTFIX, "log_file", 0, set_log_source, OFF(postfix_log_file)},
    {LOAD_SECT_EXIM, "binary", 0, set_path, OFF(exim_binary)},
    {LOAD_SECT_EXIM, "config", 0, set_path, OFF(exim_config)},
    {LOAD_SECT_EXIM, "log_file", 0, set_log_source, OFF(exim_log_file)},
    {LOAD_SECT_EXIM, "held_domains_file", 0, set_path,
     OFF(exim_held_domains_file)},
    {LOAD_SECT_RESOLVERS, "mta", 0, set_resolvers_mta, 0},
    {LOAD_SECT_RESOLVERS, "independent", 0, set_resolvers_indep, 0},
    {LOAD_SECT_RESOLVERS, "authoritative", 0, set_authoritative, 0},
    {LOAD_SECT_RESOLVERS, "tcp", 0, set_tcp, 0},
    {LOAD_SECT_RESOLVERS, "timeout", 0, set_timeout, 0},
    {LOAD_SECT_RESOLVERS, "verify_window", 0, set_verify_window, 0},
    {LOAD_SECT_RESOLVERS, "root_hints", 0, set_path, OFF(root_hints)},
    {LOAD_SECT_RESOLVERS, "canary", 0, set_canary, 0},
    {LOAD_SECT_BACKOFF, "tier", 1, set_tier, 0},
    {LOAD_SECT_BACKOFF, "give_up", 0, set_give_up, 0},
    {LOAD_SECT_BACKOFF, "jitter", 0, set_jitter, 0},
    {LOAD_SECT_GROUP, "domains", 0, set_domains, 0},
    {LOAD_SECT_GROUP, "mx", 0, set_mx, 0},
    {LOAD_SECT_GROUP, "watch", 0, set_watch, 0},
    {LOAD_SECT_GROUP, "watch_names", 0, set_watch_names, 0},
    {LOAD_SECT_SENTINEL, "enabled", 0, set_sentinel_enabled, 0},
    {LOAD_SECT_SENTINEL, "interval", 0, set_sentinel_interval, 0},
    {LOAD_SECT_GROUP, "tier", 1, set_tier, 0},
    {LOAD_SECT_GROUP, "give_up", 0, set_give_up, 0},
    {LOAD_SECT_GROUP, "jitter", 0, set_jitter, 0},
    {LOAD_SECT_SUPPRESSION, "categories", 0, set_categories, 0},
    {LOAD_SECT_SUPPRESSION, "min_failures", 0, set_min_failures, 0},
    {LOAD_SECT_SUPPRESSION, "min_span", 0, set_min_span, 0},
    {LOAD_SECT_SUPPRESSION, "require_healthy_dns", 0, set_require_healthy, 0},
    {LOAD_SECT_SUPPRESSION, "on_suppress", 0, set_on_suppress, 0},
    {LOAD_SECT_CLASSIFIER, "rule", 1, set_rule, 0},
    {LOAD_SECT_CLASSIFIER, "fallback_rule", 1, set_fallback_rule, 0},
    {LOAD_SECT_CLASSIFIER, "guarded_rule", 1, set_guarded_rule, 0},
    {LOAD_SECT_CLASSIFIER, "address_guard", 1, set_address_guard, 0},
    {LOAD_SECT_CLASSIFIER, "builtin_rules", 0, set_builtin_rules, 0},
    {LOAD_SECT_HOOKS, "flush_resolver", 0, set_flush_resolver, 0},
    {LOAD_SECT_HOOKS, "escalate", 0, set_escalate, 0},
    {LOAD_SECT_HOOKS, "user", 0, set_hook_user, 0},
    {LOAD_SECT_FLEET, "database", 0, set_fleet_database, 0},
    {LOAD_SECT_FLEET, "interval", 0, set_fleet_interval, 0},
};
#define POLICY_NKEYS (sizeof(policy_keys) / sizeof(policy_keys[0]))
_Static_assert(POLICY_NKEYS <= LOAD_KEYS, "LOAD_KEYS too small");

static size_t key_index(enum load_sect s, const char *name)
{
	for (size_t i = 0; i < POLICY_NKEYS; i++)
		if (policy_keys[i].sect == s &&
		    strcmp(policy_keys[i].name, name) == 0)
			return i;
	return POLICY_NKEYS;
}

int policy_load_handler(void *user, const char *section, const char *name,
			const char *value, int lineno)
{
	struct load_frame *f = user;
	struct load_state *ls = f->ls;
	enum load_sect s = load_frame_section(f);
	struct key_ctx k;
	struct load_loc *seen;
	char qn[64], qs[64], msg[400];
	size_t i;

	(void)section; /* ours is tracked by the reader, never cut */
	(void)lineno;  /* inih counts its reads; we count lines */
	log_printable(qn, sizeof(qn), name);
	if (strcmp(name, "include") == 0) {
		if (s == LOAD_SECT_BAD)
			return 1;
		if (*value == '\0')
			policy_load_error(ls, f->path, f->line,
					  "include: no file named");
		else
			policy_load_include(f, value);
		return 1;
	}
	if (s == LOAD_SECT_BAD)
		return 1;
	if (s == LOAD_SECT_NONE) {
		policy_load_error(
		    ls, f->path, f->line,
		    "key '%s' outside any section (start one, e.g. [retryd])",
		    qn);
		return 1;
	}
	memset(&k, 0, sizeof(k));
	k.ls = ls;
	k.p = ls->p;
	k.loc = (struct load_loc){f->path, f->line};
	if (s == LOAD_SECT_GROUP) {
		size_t gi = load_frame_group(f);

		k.g = &ls->p->groups[gi];
		k.b = &k.g->backoff;
		k.bt = &ls->groups[gi].b;
		seen = ls->groups[gi].seen;
		snprintf(qs, sizeof(qs), "group %s", k.g->name);
	} else {
		k.b = &ls->p->backoff;
		k.bt = &ls->backoff;
		seen = ls->seen;
		snprintf(qs, sizeof(qs), "%s", load_section_names[s]);
	}
	if ((i = key_index(s, name)) == POLICY_NKEYS) {
		policy_load_error(ls, f->path, f->line,
				  "unknown key '%s' in [%s]", qn, qs);
		return 1;
	}
	if (!policy_keys[i].repeat && seen[i].line > 0) {
		policy_load_error(
		    ls, f->path, f->line,
		    "duplicate key '%s' in [%s] (first at %s:%d); only "
		    "tier, rule, "
		    "fallback_rule, guarded_rule, address_guard and include "
		    "may repeat",
		    qn, qs, seen[i].file, seen[i].line);
		return 1;
	}
	seen[i] = k.loc;
	if (*value == '\0') {
		policy_load_error(ls, f->path, f->line, "key '%s' has no value",
				  qn);
		return 1;
	}
	k.off = policy_keys[i].off;
	if (policy_keys[i].set(&k, value, msg, sizeof(msg)) < 0)
		policy_load_error(ls, f->path, f->line, "%s: %s", qn, msg);
	return 1;
}

struct policy *policy_new_defaults(void)
{
	static const struct policy_tier tiers[] = {
	    {0, 5 * 60, POLICY_TIER_RETRY},
	    {3600, 15 * 60, POLICY_TIER_CHECK_RESOLVER},
	    {4 * 3600, 3600, POLICY_TIER_ESCALATE},
	};
	struct policy *p = calloc(1, sizeof(*p));
	char msg[128];

	if (p == NULL)
		return NULL;
	snprintf(p->mta, sizeof(p->mta), "postfix");
	p->plugin_dir = strdup("/usr/lib/retryd");
	p->state_dir = strdup("/var/lib/retryd");
	p->scan_interval = 30;
	p->max_hold = 6 * 86400; /* the default give_up (5d) and a day */
	snprintf(p->user, sizeof(p->user), "retryd");
	p->fleet_interval = 10;
	p->reconcile_every = 0;	      /* by time only */
	p->reconcile_interval = 3600; /* a full listing at least hourly */
	p->store_cache_mb = LIMIT_STORE_CACHE_DEFAULT >> 20;
	p->postfix_config_dir = strdup("/etc/postfix");
	p->postfix_log_file = strdup("/var/log/mail.log");
	p->exim_binary = strdup("/usr/sbin/exim4");
	p->exim_log_file = strdup("/var/log/exim4/mainlog");
	policy_parse_resolver_list("1.1.1.1, 9.9.9.9",
				   &p->resolvers_independent, msg, sizeof(msg));
	p->authoritative = 1;
	p->tcp = 1;
	p->timeout_ms = 2000;
	p->verify_window = 60;
	p->sentinel_enabled = 1;
	p->sentinel_interval = 60;
	memcpy(p->backoff.tiers, tiers, sizeof(tiers));
	p->backoff.ntiers = sizeof(tiers) / sizeof(tiers[0]);
	p->backoff.give_up = 5 * 86400;
	p->backoff.jitter_percent = 10;
	p->min_failures = 3;
	p->builtin_rules = 1;
	p->min_span = 86400;
	p->require_healthy_dns = 1;
	p->on_suppress = POLICY_SUPPRESS_BOUNCE;
	if (policy_parse_list("mailbox-unknown, mailbox-disabled",
			      POLICY_LIST_CATEGORIES, &p->suppress_categories,
			      msg, sizeof(msg)) < 0 ||
	    !p->plugin_dir || !p->state_dir || !p->postfix_config_dir ||
	    !p->postfix_log_file || !p->exim_binary || !p->exim_log_file) {
		policy_free(p);
		return NULL;
	}
	return p;
}

/* check_backoff - every tier must start before give_up */
static void check_backoff(struct load_state *ls, const struct policy_backoff *b,
			  const struct load_backoff_track *bt)
{
	char a[32], g[32];

	if (!bt->tiers_set && bt->give_up.line == 0)
		return; /* all inherited: checked with the default backoff */
	policy_format_duration(b->give_up, g, sizeof(g));
	for (size_t i = 0; i < b->ntiers; i++) {
		if (b->tiers[i].after < b->give_up)
			continue;
		policy_format_duration(b->tiers[i].after, a, sizeof(a));
		if (bt->tiers_set) {
			policy_load_error(
			    ls, bt->tier[i].file, bt->tier[i].line,
			    "tier at %s starts at or after give_up (%s)", a, g);
			continue;
		}
		policy_load_error(
		    ls, bt->give_up.file, bt->give_up.line,
		    "give_up (%s) must be later than every tier (one "
		    "starts at %s)",
		    g, a);
		return;
	}
}

/* default_host_id - the host name, cut and masked to a valid host_id */
static void default_host_id(char *out, size_t outlen)
{
	char host[256];
	size_t i;

	if (gethostname(host, sizeof(host)) < 0 || host[0] == '\0')
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	for (i = 0; host[i] != '\0' && i < LIMIT_HOST_ID && i + 1 < outlen;
	     i++) {
		char c = host[i];

		out[i] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
				 (c >= '0' && c <= '9') || c == '.' || c == '-'
			     ? c
			     : '_';
	}
	out[i] = '\0';
}

/* Keep where each key outside [group] was written (policy_key_where). */
static void keep_locations(struct load_state *ls)
{
	struct policy *p = ls->p;
	struct policy_key_at *at;

	if ((p->keys_at = calloc(POLICY_NKEYS, sizeof(*at))) == NULL) {
		policy_load_error(ls, p->file, 0, "out of memory");
		return;
	}
	for (size_t i = 0; i < POLICY_NKEYS; i++) {
		if (policy_keys[i].sect == LOAD_SECT_GROUP ||
		    ls->seen[i].line == 0)
			continue;
		at = &p->keys_at[p->nkeys_at];
		snprintf(at->section, sizeof(at->section), "%s",
			 load_section_names[policy_keys[i].sect]);
		snprintf(at->key, sizeof(at->key), "%s", policy_keys[i].name);
		if ((at->file = strdup(ls->seen[i].file)) == NULL) {
			policy_load_error(ls, p->file, 0, "out of memory");
			return;
		}
		at->line = ls->seen[i].line;
		p->nkeys_at++;
	}
}

void policy_load_finish(struct load_state *ls)
{
	struct policy *p = ls->p;

	keep_locations(ls);

	if (ls->seen[key_index(LOAD_SECT_RESOLVERS, "mta")].line == 0)
		policy_read_resolv_conf(ls->resolv_conf, &p->resolvers_mta);
	if (ls->seen[key_index(LOAD_SECT_RETRYD, "host_id")].line == 0)
		default_host_id(p->host_id, sizeof(p->host_id));
	check_backoff(ls, &p->backoff, &ls->backoff);
	for (size_t i = 0; i < p->ngroups; i++) {
		struct policy_group *g = &p->groups[i];
		const struct load_backoff_track *bt = &ls->groups[i].b;

		if (ls->groups[i]
			    .seen[key_index(LOAD_SECT_GROUP, "domains")]
			    .line == 0 &&
		    ls->groups[i].seen[key_index(LOAD_SECT_GROUP, "mx")].line ==
			0)
			policy_load_error(
			    ls, ls->groups[i].file, g->line,
			    "[group %s] has neither domains nor mx: it "
			    "would match "
			    "nothing",
			    g->name);
		g->has_own_backoff = bt->tiers_set || bt->give_up.line > 0 ||
				     bt->jitter.line > 0;
		if (!bt->tiers_set) {
			memcpy(g->backoff.tiers, p->backoff.tiers,
			       sizeof(g->backoff.tiers));
			g->backoff.ntiers = p->backoff.ntiers;
		}
		if (bt->give_up.line == 0)
			g->backoff.give_up = p->backoff.give_up;
		if (bt->jitter.line == 0)
			g->backoff.jitter_percent = p->backoff.jitter_percent;
		if (g->has_own_backoff)
			check_backoff(ls, &g->backoff, bt);
	}
}
