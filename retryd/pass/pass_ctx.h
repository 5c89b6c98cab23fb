/*
 * NAME
 *	pass_ctx 3h
 * SUMMARY
 *	the context of the daemon's passes: what one pass needs and what it
 *	remembers for the next
 * DESCRIPTION
 *	struct pass_ctx carries everything a pass needs (the loaded policy,
 *	the store, the MTA plugin, the classifier, the verifier) and what one
 *	pass remembers for the next: ids missing from the last complete
 *	listing, held ids that are not ours and were logged, the pruning
 *	cursor. The daemon loop (daemon/daemon.c) and the unit tests fill it;
 *	pass_ctx_init() and pass_ctx_set_policy() own the classifier and the
 *	verifier of a policy (pass_ctx.c).
 *
 *	The verifier is reached through a function pointer so tests can
 *	inject verdicts; the daemon leaves it NULL and gets verify_domains().
 */
#ifndef RETRYD_PASS_CTX_H
#define RETRYD_PASS_CTX_H

#include <stddef.h>
#include <stdint.h>

#include "plugins/plugin.h"
#include "classify/classify.h"
#include "policy/policy.h"
#include "store/store.h"
#include "dns/verify.h"
#include "pass/pass_domhold.h"

/** Verify @param n domains into @param out (see verify_domains). */
typedef int (*pass_verify_fn)(void *arg, const char *const *domains, size_t n,
			      int64_t now, struct verify_result *out, char *err,
			      size_t errlen);

/* A sorted set of queue ids (bounded by LIMIT_PASS_TRACKED). */
struct pass_idset {
	char (*ids)[LIMIT_QUEUE_ID + 1];
	size_t n, cap;
};

/* What one pass did: the summary line, and what the tests look at. */
#define PASS_VERDICT_SLOTS 8 /* > every enum verify_verdict */
#define PASS_ROLE_SLOTS	   4 /* > every enum verify_role */

struct pass_stats {
	size_t scanned; /* messages in the listing */
	int complete;	/* the listing was complete */
	size_t adopted;
	size_t due;
	size_t domains_verified; /* fresh verifications (not reused) */
	uint64_t queries;	 /* DNS queries of those verifications */
	size_t attempted;	 /* messages released for delivery */
	size_t delivered;	 /* recipients delivered */
	size_t deferred;	 /* recipients deferred again */
	size_t bounced;		 /* recipients bounced by the MTA */
	size_t waited;		 /* messages rescheduled without attempt */
	size_t given_back; /* messages handed back (bounce/expire/release) */
	size_t released;   /* messages released because the disk is full */
	size_t gone;	   /* marked done: absent from 2 complete listings */
	size_t reheld;	   /* held again (deferred again, found released) */
	size_t hooks_run;
	size_t hooks_failed; /* hooks that did not start or exited non-zero */
	size_t verdicts[PASS_VERDICT_SLOTS];	   /* fresh ones, by verdict */
	uint64_t answers_by_role[PASS_ROLE_SLOTS]; /* DNS answers, by role */
	int nospace;	 /* the store said ENOSPC during this pass */
	size_t expired;	 /* done messages deleted by retention */
	size_t pruned;	 /* old verifications deleted */
	int incremental; /* discovery from the MTA log, no full listing */
	int capped;	 /* a per-pass cap was hit: run the next pass now */
	int domhold_unopened; /* the held-domains file failed to open: this
			       * pass holds by freezing, tried again next */
};

/* Domains with held mail, verified once per window (pass_watch.c). */
struct pass_watch_dom {
	char name[LIMIT_DOMAIN + 1];
	int64_t next_check;  /* next verification */
	int attemptable;     /* last verdict was attemptable */
	int known;	     /* a verdict was seen (the baseline) */
	int64_t verified_at; /* time of the verification it last used */
	int healing; /* turned attemptable: its held mail being made due */
};

struct pass_watch {
	struct pass_watch_dom *d;
	size_t n, cap;
	int loaded;	   /* filled from the HELD records */
	int64_t loaded_at; /* when (rebuilt every LIMIT_WATCH_RELOAD_S) */
	int dirty;	   /* held mail left: rebuild after a window */
	size_t cursor;	   /* failing domains re-verified early from here */
	int64_t load_ms;   /* how long the last rebuild took */
	int healing;	   /* some domain's held mail is being made due */
	size_t heal_made;  /* made due since that healing began */
	char heal_after[LIMIT_QUEUE_ID + 1]; /* HELD ids after this next */
};

/* What the sentinel did since the daemon started (never reset by a pass). */
#define PASS_VERDICTS 16 /* > every enum verify_verdict value */
struct pass_sentinel_stats {
	uint64_t runs;
	uint64_t flushes;		  /* flush hooks run for a node */
	uint64_t verdicts[PASS_VERDICTS]; /* by enum verify_verdict */
};
struct spawn_pool;
struct pass_backlog;

struct pass_ctx {
	const struct policy *policy; /* swapped whole on reload */
	struct store *store;
	const struct mta_plugin *plugin;
	void *plugin_state;
	struct classifier *classifier; /* owned (pass_ctx_set_policy) */
	int jit_noted; /* "rules run without JIT" logged once already */
	struct verifier *verifier; /* owned; NULL when verify is set */
	pass_verify_fn verify;	   /* test hook; NULL: the verifier */
	void *verify_arg;
	char state_dir[4096]; /* reports go under state_dir/reports */
	uint64_t rng;	      /* xorshift state for the jitter */
	int nospace;	      /* set when a commit said ENOSPC */
	struct pass_idset
	    missing_prev; /* live ids absent from the last complete listing */
	struct pass_idset foreign_prev; /* held ids not ours, already logged */
	struct pass_stats stats;	/* of the last pass */
	struct pass_sentinel_stats sentinel; /* since start */
	/* Hooks run elsewhere (the privileged helper) when set; @param what
	 * is "flush_resolver" or "escalate". NULL: run here. */
	int (*hook_fn)(void *arg, const char *what, const char *domain,
		       const char *resolver, const char *file);
	/* ... and waited for there: at most @param wait_ms for the flush
	 * hooks (@param flush) or every hook. NULL: here. */
	void (*hook_wait_fn)(void *arg, int flush, int wait_ms);
	void *hook_arg;
	struct spawn_pool *hooks; /* hooks running beside the pass (owned) */
	int want_full; /* the next pass makes a full listing (start, reload,
			* gap, incomplete, adoption cap without a backlog) */
	struct pass_backlog *backlog; /* candidates for the next passes'
				       * adoptions (pass_backlog.c), owned */
	int want_reconcile;   /* a step waits for a listing: the next one
			       * the cost bound allows (pass_scan.c) */
	unsigned since_full;  /* passes since the last full listing */
	int64_t last_full;    /* wall time of the last full listing, 0: none */
	int64_t full_cost_ms; /* how long it took (monotonic) */
	int64_t last_outcome; /* wall time an outcome last settled a message */
	int releasing; /* the last pass hit a cap: this one goes on releasing,
			* outcomes read at most PASS_OUTCOME_CALLS_RELEASING */
	struct pass_watch watch;     /* domains with held mail */
	struct pass_domhold domhold; /* Exim: held by domain (pass_domhold.c) */
	char prune_cursor[LIMIT_DOMAIN +
			  1]; /* verification pruning resumes here */
	/* The outcome reader's position as last committed with outcomes
	 * (pass_outcome.c); pos_synced: the plugin reads from it (cleared
	 * by a reload, which reopens the plugin). */
	struct mta_pos pos;
	int pos_synced;
};

/**
 * Fill @param ctx for @param p: compile the classifier and (unless
 * ctx->verify is already set) create the verifier. The caller has set
 * store, plugin and plugin_state. @return 0, or -1 with @param err.
 */
int pass_ctx_init(struct pass_ctx *ctx, const struct policy *p, uint64_t seed,
		  char *err, size_t errlen);

/**
 * Switch @param ctx to policy @param p (reload): new classifier and
 * verifier first; on any failure nothing changes and -1 is returned.
 */
int pass_ctx_set_policy(struct pass_ctx *ctx, const struct policy *p, char *err,
			size_t errlen);

/** Free what pass_ctx_init allocated (not the store or the plugin). */
void pass_ctx_free(struct pass_ctx *ctx);

#endif
