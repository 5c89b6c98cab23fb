/*
 * NAME
 *	pass 3h
 * SUMMARY
 *	one full pass of the daemon: scan, reconcile, adopt, due, verify,
 *	act, outcomes
 * DESCRIPTION
 *	pass_run() is one pass over struct pass_ctx (pass/pass_ctx.h); each
 *	step is a file of its own (pass_adopt.c, pass_due.c, ...). Nothing
 *	here reads a clock: every function takes the wall time "now" as a
 *	parameter.
 */
#ifndef RETRYD_PASS_H
#define RETRYD_PASS_H

#include <stddef.h>
#include <stdint.h>

#include "pass/pass_ctx.h"

/**
 * Run one full pass at wall time @param now. Errors of single steps
 * are logged and only delay; the summary line is logged at the end.
 * @return 0, or -1 when the store failed in a way that needs the
 * operator (the caller stops taking mail actions).
 */
int pass_run(struct pass_ctx *ctx, int64_t now);

/**
 * The sentinel (pass_sentinel.c): verify every watched domain at every
 * MTA resolver node, flush a node that serves a stale negative answer,
 * record what was seen. Touches no mail. @return 0, or -1 (out of memory).
 */
int pass_sentinel_run(struct pass_ctx *ctx, int64_t now);
/**
 * What is left at @param now of a negative TTL of @param ttl seconds seen
 * at @param seen_at: 0 once it ran out, -1 when @param ttl is (-1, none).
 * The one ageing rule of the sentinel's state, its views and its metrics.
 */
int64_t pass_sentinel_ttl_left(int64_t ttl, int64_t seen_at, int64_t now);
/** The watched domains of @param p (pointers into it), at most @param max. */
size_t pass_sentinel_names(const struct policy *p, const char **names,
			   size_t max);

/**
 * Read the outcomes of messages being attempted and apply them (also
 * done inside every pass). @return the number of messages still
 * waiting for an outcome, or -1.
 */
long pass_collect_outcomes(struct pass_ctx *ctx, int64_t now);

struct spawn_pool;
struct spawn_pool_end;

/**
 * Expand one hook template (%d, %r, %f) and start it in @param pool,
 * tagged @param tag (with privilege separation: the helper's runner): a
 * fixed argv and environment, its own process group killed after
 * LIMIT_HOOK_TIMEOUT_MS and when it exits, as @param user when not NULL
 * or "" (needs root). @return 0 started, 1 the pool is full, -1 not
 * started (each logged once).
 */
int pass_hooks_begin(struct spawn_pool *pool, char *const tmpl[],
		     const char *user, const char *what, int tag,
		     const char *domain, const char *resolver,
		     const char *file);

/** The one log line of a hook that ended (a spawn_pool_fn; @param arg:
 *  the pass context whose stats count a failure, or NULL). */
void pass_hooks_report(const struct spawn_pool_end *e, void *arg);

/** Log the summary line of @param s. */
void pass_log_summary(const struct pass_stats *s);

/** 1 when the pass @param s describes changed nothing (no adoption,
 *  attempt, outcome, hand-back, hook or fresh verification). */
int pass_stats_idle(const struct pass_stats *s);

/**
 * Wait at most @param wait_ms for every hook still running beside the
 * passes (--once before it exits; tests), logging each one that ends.
 */
void pass_hooks_wait(struct pass_ctx *ctx, int wait_ms);

#endif
