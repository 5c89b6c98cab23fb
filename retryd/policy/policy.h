/*
 * NAME
 *	policy 3h
 * SUMMARY
 *	the loaded INI policy: typed settings with defaults
 * DESCRIPTION
 *	policy_load() reads one file (and its include = files) with inih and
 *	returns a fully validated, immutable struct policy, every key filled
 *	with its value or its default. The daemon keeps exactly one loaded
 *	policy and swaps it whole on reload. Schema: ../shared/DESIGN.md.
 *	All times are in seconds (int64_t) unless the name says _ms.
 */
#ifndef RETRYD_POLICY_H
#define RETRYD_POLICY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "util/limits.h"

#define POLICY_DEFAULT_FILE "/etc/retryd/retryd.ini"
#define POLICY_EX_CONFIG    78 /* sysexits EX_CONFIG */

/* What a backoff tier asks for besides a retry. */
enum policy_tier_action {
	POLICY_TIER_RETRY = 0, /* retry only */
	POLICY_TIER_CHECK_RESOLVER =
	    1,			  /* also check/flush the MTA's resolver */
	POLICY_TIER_ESCALATE = 2, /* also escalate with proof */
};

/* tier = AGE every INTERVAL [check-resolver|escalate] */
struct policy_tier {
	int64_t after; /* failure age where the tier starts */
	int64_t every; /* retry interval within the tier (>0) */
	enum policy_tier_action action;
};

struct policy_backoff {
	struct policy_tier
	    tiers[LIMIT_POLICY_TIERS]; /* sorted, tiers[0].after==0 */
	size_t ntiers;		       /* >= 1 */
	int64_t give_up;	 /* failure age at which we give up (>0) */
	unsigned jitter_percent; /* 0..50 */
};

/* A resolver address: IP, IP:PORT or [IPv6]:PORT. */
struct policy_resolver {
	int family;		/* AF_INET or AF_INET6 */
	unsigned char addr[16]; /* network order, 4 or 16 bytes used */
	uint16_t port;		/* host order, default 53 */
	char text[64];		/* as written canonically: 127.0.0.1:53 */
};

struct policy_resolver_list {
	struct policy_resolver items[LIMIT_POLICY_RESOLVERS];
	size_t n;
};

struct policy_strlist {
	char **items; /* owned by the policy */
	size_t n;
};

struct policy_group {
	char name[LIMIT_POLICY_GROUP_NAME + 1];
	struct policy_strlist domains; /* lower case; "hotmail.*" allowed */
	struct policy_strlist mx; /* lower case glob: *.olc.protection... */
	struct policy_backoff
	    backoff;	     /* the group's own, or a copy of default */
	int has_own_backoff; /* 1 when any tier/give_up/jitter set */
	int watch;	     /* [group] watch: the sentinel checks it */
	struct policy_strlist watch_names; /* concrete names for "x.*" */
	int line;			   /* where the section starts */
};

enum policy_on_suppress { POLICY_SUPPRESS_BOUNCE, POLICY_SUPPRESS_RELEASE };

/* rule = CATEGORY /REGEX/flags  (flags: i = caseless); fallback_rule = the
 * same, tried only after the status code (never address-level);
 * guarded_rule = the same, address-level only, deciding only a text no
 * address_guard matches */
struct policy_rule {
	char category[LIMIT_CATEGORY + 1];
	char *regex; /* owned; between the slashes */
	int caseless;
	char *file; /* owned; where the rule was written */
	int line;
	int builtin;  /* 1: one of the shipped rules compiled into retryd */
	int fallback; /* 1: fallback_rule: read only texts without a code */
	int guarded;  /* 1: guarded_rule: not where an address_guard matches */
};

/* address_guard = /REGEX/flags: where one matches the text (outside a
 * name), no guarded_rule decides (classify.c); category is "" */

struct policy {
	char *file; /* the top file as given */

	/* [retryd] */
	char mta[LIMIT_MTA_NAME + 1]; /* "postfix" | "exim" */
	char *plugin_dir;
	char *state_dir;
	int observe;	    /* mode = observe: record, never touch the queue */
	char *metrics_file; /* Prometheus textfile; NULL: none */
	int64_t scan_interval;
	unsigned reconcile_every;   /* also every N passes (0: off) */
	int64_t reconcile_interval; /* a full listing at least this often */
	unsigned store_cache_mb;    /* Berkeley DB cache (resident), MB */
	int64_t max_hold;	    /* never held longer (from adopted_at) */
	char host_id[LIMIT_HOST_ID + 1];
	char user[LIMIT_USER_NAME + 1]; /* the daemon drops to it ("": stay) */

	/* [postfix] */
	char *postfix_config_dir;
	char *postfix_log_file;

	/* [exim] */
	char *exim_binary;
	char *exim_config; /* NULL when not set */
	char *exim_log_file;
	char *exim_held_domains_file; /* NULL: hold by freezing (-Mf); set:
				       * hold by domain (hold_domains) */

	/* [resolvers] */
	struct policy_resolver_list resolvers_mta;
	struct policy_resolver_list resolvers_independent;
	int authoritative;
	int tcp;
	int64_t timeout_ms;
	int64_t verify_window;
	char *root_hints; /* hints file for the trace; NULL: none */
	struct policy_strlist canaries; /* names that must always resolve */

	/* [backoff] */
	struct policy_backoff backoff;

	/* [sentinel] */
	int sentinel_enabled;
	int64_t sentinel_interval;

	/* [group NAME] */
	struct policy_group groups[LIMIT_POLICY_GROUPS];
	size_t ngroups;

	/* [suppression] */
	struct policy_strlist suppress_categories;
	unsigned min_failures;
	int64_t min_span;
	int require_healthy_dns;
	enum policy_on_suppress on_suppress;

	/* [classifier] */
	/* local, then built in; rule, fallback_rule and guarded_rule lines in
	 * file order */
	struct policy_rule rules[LIMIT_POLICY_RULES];
	size_t nrules;
	size_t nrules_builtin; /* the last nrules_builtin of rules[] */
	/* address_guard lines, local then built in, in file order */
	struct policy_rule guards[LIMIT_POLICY_GUARDS];
	size_t nguards;
	int builtin_rules; /* builtin_rules = yes (default) | no */

	/* [hooks]: argv vectors, NULL-terminated, NULL when unset */
	char **hook_flush_resolver; /* may contain %r and %d */
	char **hook_escalate;	    /* may contain %d, %f (report file) */
	char hook_user[LIMIT_USER_NAME + 1]; /* run hooks as; "" = as retryd */

	/* where each key outside [group] sections was written */
	struct policy_key_at *keys_at;
	size_t nkeys_at;

	/* [fleet] */
	char *fleet_database;	/* postgresql:// URL; NULL: a single host */
	int64_t fleet_interval; /* seconds between ship/pull rounds */
};

/* A key's location: section and key names, FILE:LINE (owned). */
struct policy_key_at {
	char section[LIMIT_POLICY_GROUP_NAME + 1];
	char key[LIMIT_POLICY_GROUP_NAME + 1];
	char *file;
	int line;
};

/**
 * Where [section] key was written. @return its line and sets *file, or 0
 * (not written: the default applies) with *file = the top policy file.
 */
int policy_key_where(const struct policy *p, const char *section,
		     const char *key, const char **file);

/**
 * Load and validate @param path.
 * @param out receives a policy the caller owns (policy_free) on success.
 * @param err receives every error, one "FILE:LINE: message\n" each.
 * @return 0 on success, -1 on any error (then *out is NULL: no partial load).
 */
int policy_load(const char *path, struct policy **out, char *err,
		size_t errlen);

/** Release everything @param p owns. NULL is fine. */
void policy_free(struct policy *p);

/**
 * Write the effective policy, defaults filled in, as INI that
 * policy_load() reads back to an equal policy. @return 0 or -1 (errno).
 */
int policy_print(const struct policy *p, FILE *fp);

/**
 * The group @param domain belongs to: by name (exact, subdomain, or a
 * "name.*" pattern matching any public suffix) first, then by
 * @param mx_host (the domain's last-known MX host, may be NULL) matching
 * one of a group's mx globs. @return a group inside @param p, or NULL.
 */
const struct policy_group *policy_group_for(const struct policy *p,
					    const char *domain,
					    const char *mx_host);

/** Find a group by name. @return NULL when there is none. */
const struct policy_group *policy_group_named(const struct policy *p,
					      const char *name);

/** The backoff for @param g, or the default one when @param g is NULL. */
const struct policy_backoff *policy_backoff_for(const struct policy *p,
						const struct policy_group *g);

/**
 * Parse a duration: "30s", "5m", "1h30m", "4d", "0s"; bare "0" allowed.
 * @return 0 and *out seconds, or -1 on any malformed or overflowing value.
 */
int policy_parse_duration(const char *text, int64_t *out);

/** Format @param seconds as the shortest duration text ("1h30m"). */
void policy_format_duration(int64_t seconds, char *buf, size_t buflen);

/**
 * Parse a resolver address (IP, IP:PORT, [IPv6]:PORT) into @param out.
 * @return 0 or -1.
 */
int policy_parse_resolver(const char *text, struct policy_resolver *out);

#endif
