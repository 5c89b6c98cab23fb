/*
 * NAME
 *	pass_int 3h
 * SUMMARY
 *	private plumbing shared by the pass's files (not an interface)
 * DESCRIPTION
 *	Only the pass module's own files (retryd/pass/pass_*.c) and its unit
 *	tests include this. It declares the listing index, the id lists, the
 *	transaction runner, the per-domain verification record of a pass and
 *	the steps pass_run() calls.
 */
#ifndef RETRYD_PASS_INT_H
#define RETRYD_PASS_INT_H

#include <stddef.h>
#include <stdint.h>

#include "backoff/backoff.h"
#include "pass/pass.h"

struct intern;

/* Prefixes of store_message.last_reason that mark a decision. */
#define PASS_REASON_GIVEBACK "giveback:" /* + bounce|expire|release */
#define PASS_REASON_OPERATOR "released by operator"
#define PASS_REASON_GONE     "gone:"

/* A message with no outcome this many scan intervals after its release
 * is looked up in the listing (re-held when deferred and not held),
 * unless outcomes of other messages still arrive (the MTA works through
 * a big release: RECONCILE_OUTCOME_WAIT_MAX, pass_reconcile.h). */
#define PASS_OUTCOME_WAIT_INTERVALS 2
/* Failing watched domains verified again sooner than verify_window (at
 * the next scan) per pass; the others wait for their window. */
#define PASS_WATCH_EARLY LIMIT_PASS_VERIFY_CHUNK
/* A healed domain's held mail made due per pass (what the next pass's due
 * step releases), looking at most PASS_HEAL_WALK held ids a pass. */
#define PASS_HEAL_DUE  LIMIT_PASS_DUE
#define PASS_HEAL_WALK (10 * LIMIT_PASS_BATCH)
/* The watched set rebuilt (O(held)) at most every this many times its
 * own last duration after held mail left. */
#define PASS_WATCH_COST_FACTOR 100
#define PASS_OUTCOME_CALLS_RELEASING                                           \
	1 /* outcome calls per pass while a cap keeps releasing */

/* Full listings at most every this many times their own duration (1%
 * of the time), whatever reconcile_interval or a step asks. */
#define PASS_RECONCILE_COST_FACTOR 100

/* What pass_scan_decide() looks at (pass_scan.c). */
struct pass_scan_input {
	int64_t now;	      /* wall seconds */
	int64_t last_full;    /* wall time of the last full listing, 0: none */
	int64_t full_cost_ms; /* how long that one took */
	unsigned since_full;  /* passes since it */
	int want_full;	      /* start, reload, incomplete, adoption cap */
	int want_reconcile;   /* a step waits for a listing */
	int64_t scan_interval, reconcile_interval;
	unsigned reconcile_every; /* 0: off */
};

/*
 * The MTA's listing as the pass keeps it (pass_listing.c): built while
 * the listing streams in, each message reduced to its queue id and
 * flags, so a million held messages cost ~30 bytes each. Only messages
 * the pass may adopt (deferred, not held, eligible) keep their sender
 * and recipients (struct pass_cand: addresses at their size, delay
 * reasons interned), at most LIMIT_LISTING_CANDIDATES.
 */
struct pass_cand_rcpt {
	const char *address; /* in the candidate's block */
	const char *reason;  /* interned (l->reasons), "" when unknown */
};

struct pass_cand {
	const char *sender; /* in the block */
	int64_t arrival;
	size_t nrcpts;
	struct pass_cand_rcpt *rcpts; /* the block: rcpts, then the texts */
};

/* One message of the MTA listing, indexed by queue id. */
/* 8 bytes a listed message (a million: 8 MB, with the ids ~20 MB). */
struct pass_lentry {
	uint32_t id;			 /* offset of its queue id in l->ids */
	uint32_t cand : 27;		 /* 1 + its index in l->cand, or 0 */
	uint32_t held : 1, deferred : 1; /* OR of duplicate listings */
	uint32_t domheld : 1; /* not frozen, but a recipient's domain is in the
			       * held-domains file (pass_domhold.c): Exim
			       * does not try it */
	uint32_t known : 1;   /* a live (not done) store record exists */
	uint32_t journaled : 1; /* kept by this pass's journal compaction */
};

struct pass_listing {
	char *ids; /* the queue ids, NUL-terminated, one after another */
	size_t idslen, idscap;
	struct pass_lentry *e; /* sorted by queue id, valid ids only */
	size_t n, cap;
	struct pass_cand *cand;
	size_t ncand, candcap;
	struct intern *reasons; /* delay reasons of the candidates */
	struct pass_ctx *ctx;	/* while it is built */
	size_t skipped;		/* malformed entries (the plugin's count) */
	int complete;
	int ok;		 /* the scan itself succeeded */
	int incremental; /* discovered from the log, not a full listing */
	int cand_cut;	 /* candidates neither kept nor in the backlog */
	int spill;	 /* candidates past the limit go to the backlog */
};

/** The queue id of @param e. */
static inline const char *pass_lentry_id(const struct pass_listing *l,
					 const struct pass_lentry *e)
{
	return l->ids + e->id;
}

/* The verification a pass uses for one domain. */
struct pass_domain {
	char name[LIMIT_DOMAIN + 1];
	int have;	/* a verification is available */
	int fresh;	/* made in this pass (not reused) */
	int want_fresh; /* asked: a fresh one, even with a stored one younger
			 * than verify_window (the watch, failing domain) */
	enum verify_verdict verdict;
	int64_t checked_at;
	char detail[256];
	char best_mx[LIMIT_DOMAIN + 1];
	char summary[LIMIT_EVIDENCE_DNS + 1];
	char nodes[LIMIT_POLICY_RESOLVERS][64]; /* failing MTA nodes IP:PORT */
	size_t nnodes;
	int escalate;	 /* a due message's tier says escalate */
	int64_t episode; /* first failure of the oldest due message */
	size_t nmsgs;	 /* due messages of this domain */
};

/* pass_util.c */
int pass_idset_add(struct pass_idset *s, const char *id);
void pass_idset_sort(struct pass_idset *s);
int pass_idset_has(const struct pass_idset *s, const char *id);
void pass_idset_clear(struct pass_idset *s);
void pass_idset_free(struct pass_idset *s);
/** Pointers to the ids of @param s (caller frees the array). */
const char **pass_idset_ptrs(const struct pass_idset *s);

/* pass_scan.c */
/** Pure: does this pass make a full listing? @return 1 yes, 0: the
 *  discovery from the log (a gap in it still makes it a full one). */
int pass_scan_decide(const struct pass_scan_input *in);
/** Fill @param l: the discovery or a full listing (pass_scan_decide). */
void pass_scan(struct pass_ctx *ctx, struct pass_listing *l, int64_t now);

/* pass_backlog.c: adoptable messages for the next passes, on disk */
/** Append @param m. @return 0, or -1 (logged; the backlog is dropped:
 *  a full listing is needed for what it held). */
int pass_backlog_put(struct pass_ctx *ctx, const struct mta_message *m);
/** The oldest message not read yet into @param m (m->rcpts allocated:
 *  free it). @return 1; 0 at the end (the file is closed); -1 (logged,
 *  dropped). */
int pass_backlog_next(struct pass_ctx *ctx, struct mta_message *m);
/** Messages written and not read yet. */
size_t pass_backlog_left(const struct pass_ctx *ctx);
/** Drop the backlog (a full listing supersedes it; ctx freed). */
void pass_backlog_drop(struct pass_ctx *ctx);

/* pass_listing.c */
/** The plugin's full listing (streamed when it can) into @param l.
 *  @return 0, or -1 (logged; l->ok = 0, nothing concluded). */
int pass_listing_scan(struct pass_ctx *ctx, struct pass_listing *l);
/** The same for the pass's own full listing: the adoption backlog is
 *  dropped and candidates past LIMIT_LISTING_CANDIDATES go to a new one. */
int pass_listing_scan_spill(struct pass_ctx *ctx, struct pass_listing *l);
/** The plugin's incremental discovery into @param l (never complete);
 *  *gap = 1 on entry: a full listing follows anyway (plugin.h); on
 *  return 1 when lines may have been missed. @return 0, or -1 (logged). */
int pass_listing_discover(struct pass_ctx *ctx, struct pass_listing *l,
			  int *gap);
struct pass_lentry *pass_listing_find(const struct pass_listing *l,
				      const char *id);
void pass_listing_free(struct pass_ctx *ctx, struct pass_listing *l);
/**
 * The candidate of @param e as a message (rcpts allocated; free them
 * with free(m->rcpts)). @return 0, or -1: no candidate / no memory.
 */
int pass_listing_message(const struct pass_listing *l,
			 const struct pass_lentry *e, struct mta_message *m);

/* pass_update_fn's value that deletes the record (retention). */
#define PASS_UPDATE_DELETE 2

/**
 * Called for each message of an update transaction with a fresh copy
 * @param m of the stored record (i = its index in the id list).
 * @return 1: write m back, PASS_UPDATE_DELETE: delete the record,
 * 0: leave it, -1: abort (err filled).
 * Must be idempotent: a deadlock retries the whole transaction.
 */
typedef int (*pass_update_fn)(struct pass_ctx *ctx, struct store_txn *txn,
			      struct store_message *m, size_t i, void *arg,
			      char *err, size_t errlen);

/**
 * Read-modify-write the records of @param ids in ONE transaction.
 * Missing records are skipped. @return STORE_OK, STORE_NOSPACE (then
 * ctx->nospace is set) or STORE_ERROR (logged).
 */
int pass_update(struct pass_ctx *ctx, const char *const *ids, size_t n,
		pass_update_fn fn, void *arg, const char *what);

/** A last write in pass_update_then()'s transaction. @return a STORE_*
 *  code (err filled when not STORE_OK). */
typedef int (*pass_then_fn)(struct pass_ctx *ctx, struct store_txn *txn,
			    void *arg, char *err, size_t errlen);

/** pass_update() that also runs @param then (may be NULL) in the same
 *  transaction, after the records: they commit together or not at all. */
int pass_update_then(struct pass_ctx *ctx, const char *const *ids, size_t n,
		     pass_update_fn fn, void *arg, pass_then_fn then,
		     void *then_arg, const char *what);

/**
 * Free space in state_dir against LIMIT_STORE_RESERVE: below it, the
 * no-space mode (ctx->nospace, logged rate-limited). @return 0 or -1.
 */
int pass_space_check(struct pass_ctx *ctx);

/** Commit helper: abort on @param rc != OK; map and log failures. */
int pass_commit(struct pass_ctx *ctx, struct store_txn *txn, int rc,
		const char *what, const char *err);

uint32_t pass_random32(struct pass_ctx *ctx);

/** The domain of @param address in strict LDH form (verify_domain_ldh:
 *  anything else is left to the MTA, never verified, never given to a
 *  hook). @return 0, or -1. */
int pass_address_domain(const char *address, char *out, size_t outlen);

/** One Postfix-style log line per recipient action. */
void pass_log_rcpt(const char *queue_id, const char *address,
		   const char *domain, const char *verdict, const char *action,
		   const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/** Backoff for the message's group name. */
const struct policy_backoff *pass_backoff(const struct pass_ctx *ctx,
					  const char *group);

/** The largest retry interval of any backoff in the policy (jitter in). */
int64_t pass_max_interval(const struct policy *p);

/* pass_reconcile.c */
int pass_reconcile(struct pass_ctx *ctx, struct pass_listing *l, int64_t now,
		   struct pass_idset *attempting);

/* pass_adopt.c */
/**
 * Pure: should @param msg be adopted? Fills @param domain (the first
 * routing-failed recipient's domain). @return 1 yes, 0 no.
 */
int pass_adopt_eligible(const struct policy *p, const struct classifier *c,
			const struct mta_message *msg, char *domain,
			size_t domainlen);
int pass_adopt(struct pass_ctx *ctx, struct pass_listing *l, int64_t now);
/**
 * Hold @param ids again (deferred again, or found released): intent,
 * hold, HELD rescheduled from the original first_failure.
 */
int pass_rehold(struct pass_ctx *ctx, const char *const *ids, size_t n,
		int64_t now);

/* pass_due.c */
int pass_due(struct pass_ctx *ctx, struct pass_listing *l, int64_t now);

/* pass_verify.c */
/** Fill @param doms[i] for each domain: reuse or verify, store. */
int pass_verify_domains(struct pass_ctx *ctx, struct pass_domain *doms,
			size_t n, int64_t now);
/** Summary of @param domain's newest verification made at or before
 *  @param at (and within verify_window of it). @return 0, or -1: none. */
int pass_verify_summary(struct pass_ctx *ctx, const char *domain, int64_t at,
			char *buf, size_t buflen);
/** The stored verification of @param domain made at @param at (a
 *  domains record's last_verified). @return 0, or -1: none readable. */
int pass_verify_load(struct pass_ctx *ctx, const char *domain, int64_t at,
		     struct verify_result *out);
/** Verify @param d now whatever the window says, store the result and
 *  fill @param d and @param out. @return 0, or -1 (logged). */
int pass_verify_fresh(struct pass_ctx *ctx, struct pass_domain *d, int64_t now,
		      struct verify_result *out);
/** Rebuild a result from verify_result_json() text. @return 0 or -1. */
int pass_verify_from_json(const char *text, struct verify_result *out);
/** Failing MTA nodes of @param r (IP:PORT, distinct). */
size_t pass_verify_failing_nodes(const struct verify_result *r,
				 char nodes[][64], size_t max);

/* pass_outcome.c */
long pass_outcomes(struct pass_ctx *ctx, const struct pass_idset *ids,
		   int64_t now);
/** The same with the pass's listing @param l (NULL: none), which a
 *  hand-back of a suppressed recipient's message needs (Promise 1). */
/**
 * Hand the plugin the outcome position committed in the store (at the
 * first call after a start or a reload); with none yet, commit the
 * plugin's own (its old position file, or the end of the log) first.
 * @return 0, or -1 (logged: outcomes wait for the next pass).
 */
int pass_outcomes_sync(struct pass_ctx *ctx);
long pass_outcomes_listed(struct pass_ctx *ctx, const struct pass_idset *ids,
			  const struct pass_listing *l, int64_t now);

/* pass_giveback.c */
/**
 * Record the decision (GIVEBACK_INTENT + evidence, committed), then
 * hand @param ids back with @param how, then mark DONE. The caller has
 * checked that every id is in a complete listing made just before.
 */
int pass_giveback(struct pass_ctx *ctx, const char *const *ids, size_t n,
		  enum mta_giveback how, const char *verdict, const char *dns,
		  const char *why, int64_t now);
const char *pass_giveback_name(enum mta_giveback how);
/**
 * max_hold: release @param id (held since @param adopted_at) back to the
 * MTA through pass_giveback(), with one log line naming it and how long
 * it was held. The caller has checked the listing. @return 0 or -1.
 */
int pass_giveback_max_hold(struct pass_ctx *ctx, const char *id,
			   const char *verdict, int64_t adopted_at,
			   int64_t now);
/** Parse the "giveback:HOW" prefix of a reason. @return 0 or -1. */
int pass_giveback_parse(const char *reason, enum mta_giveback *how);

/* pass_retention.c */
/**
 * How long done messages are kept after their later of adoption and
 * last attempt: LIMIT_KEEP_DONE plus the policy's largest give_up (so
 * at least LIMIT_KEEP_DONE after they finished).
 */
int64_t pass_retention_keep_done(const struct policy *p);
/**
 * Delete done messages finished before now - pass_retention_keep_done() and
 * verifications older than LIMIT_KEEP_VERIFICATIONS, a bounded batch
 * of each per pass. Evidence and suppressed addresses are kept (the
 * proof). @return 0, or -1 (logged; only delays).
 */
int pass_retention(struct pass_ctx *ctx, int64_t now);

/* pass_journal.c */
/** Journal @param ids before they are held. @return 0, or -1 (logged,
 *  no-space mode): hold none of them. */
int pass_journal_hold(struct pass_ctx *ctx, const char *const *ids, size_t n,
		      int64_t now);
/** Compact a big hold journal to what complete listing @param l holds. */
void pass_journal_compact(struct pass_ctx *ctx, const struct pass_listing *l,
			  int64_t now);

/* pass_watch.c */
/** Watch @param domain (it has held mail now). */
void pass_watch_add(struct pass_ctx *ctx, const char *domain);
/** Verify watched domains once per window; healed ones: held mail due
 * (before the due step, which releases it in the same pass). */
void pass_watch_run(struct pass_ctx *ctx, int64_t now);
/** After the pass's mail steps: held mail left, the set is rebuilt later. */
void pass_watch_note(struct pass_ctx *ctx);
void pass_watch_free(struct pass_watch *w);

/* pass_domhold_glue.c: Exim holding by domain ([exim] held_domains_file) */
/** 1 when mail is held by domain (the set is open). */
int pass_domhold_on(struct pass_ctx *ctx);
/** Hold @param domains in the file. @return 0, or -1: freeze instead. */
int pass_domhold_hold(struct pass_ctx *ctx, const char *const *domains,
		      size_t n);
/** 1 when @param m (deferred, not frozen) has a recipient in a held
 *  domain: retryd's to adopt for that @param domain. */
int pass_domhold_eligible(struct pass_ctx *ctx, const struct mta_message *m,
			  char *domain, size_t domainlen);
/** The file set to @param set (the HELD records' domains). */
void pass_domhold_rebuild(struct pass_ctx *ctx, const struct pass_domhold *set);
/** Hold @param ids (of @param domains, same order): by domain when on
 *  and the file takes them, else plugin->hold. As plugin->hold. */
int pass_domhold_hold_ids(struct pass_ctx *ctx, const char *const *ids,
			  const char *const *domains, size_t n, size_t *done,
			  char *err, size_t errlen);

/* pass_hooks.c */
/** The hook runner of @param ctx (pass_ctx_init). @return 0 or -1. */
int pass_hooks_init(struct pass_ctx *ctx, char *err, size_t errlen);
/** Kill and reap every hook still running (pass_ctx_free). */
void pass_hooks_stop(struct pass_ctx *ctx);
/** Log the hooks that ended; kill those past their deadline. */
void pass_hooks_reap(struct pass_ctx *ctx);
/** Wait at most LIMIT_HOOK_FLUSH_WAIT_MS for the running flush hooks. */
void pass_hooks_settle(struct pass_ctx *ctx);
int pass_hooks_flush(struct pass_ctx *ctx, const struct pass_domain *d);
int pass_hooks_escalate(struct pass_ctx *ctx, const struct pass_domain *d,
			int64_t now);

#endif
