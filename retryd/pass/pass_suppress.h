/*
 * NAME
 *	suppress_act 3h
 * SUMMARY
 *	the daemon's side of suppression: decide over the store's evidence,
 *	commit, then give back (private to the pass, like pass_int.h)
 * DESCRIPTION
 *	The rule for a message with several recipients: a message is handed
 *	back (per [suppression] on_suppress) only when none of its
 *	recipients is still pending; a suppressed recipient beside pending
 *	ones rides along with them (an MTA cannot drop one recipient from a
 *	queued message) and the message is handed back once the others are
 *	final. See suppress_act.c.
 */
#ifndef RETRYD_SUPPRESS_ACT_H
#define RETRYD_SUPPRESS_ACT_H

#include <stddef.h>
#include <stdint.h>

#include "pass/pass_int.h"

/**
 * After outcomes were committed for the messages @param ids: decide for
 * each address of @param addrs (the addresses that got new failure
 * evidence) with suppress_decide() over its stored evidence; in ONE
 * transaction record the newly suppressed addresses and mark the
 * pending recipients of @param ids that are suppressed (new or old);
 * then hand back the messages left with no pending recipient, when
 * their id is in a complete listing (@param l, or a fresh scan when
 * @param l is NULL or partial). @param settled (n entries, may be NULL)
 * is in and out: 1 on entry marks a message the caller already put in
 * GIVEBACK_INTENT for a suppressed recipient (handed back here too); on
 * return 1 marks each message that waits for or got its hand-back: the
 * caller must not hold it again. @return the number of addresses
 * suppressed now, or -1 (logged; only delays).
 */
int pass_suppress_outcomes(struct pass_ctx *ctx, const struct pass_listing *l,
			   const char *const *ids, size_t n,
			   const char *const *addrs, size_t naddrs, int64_t now,
			   unsigned char *settled);

/**
 * Messages @param ids (held by us: just adopted, or due) whose pending
 * recipients are already suppressed: mark them (evidence "suppressed
 * since ..."), never attempt them, and hand back the messages left with
 * no pending recipient (same listing rule). @return messages handed
 * back or waiting to be, or -1.
 */
int pass_suppress_known(struct pass_ctx *ctx, const struct pass_listing *l,
			const char *const *ids, size_t n, int64_t now);

/** pass_suppress_known() over the due set (at most LIMIT_PASS_DUE). */
int pass_suppress_due(struct pass_ctx *ctx, const struct pass_listing *l,
		      int64_t now);

/**
 * Pure: 1 when @param m is live, has no pending recipient and at least
 * one suppressed one (the MTA still has it for that recipient): it is
 * to be handed back per on_suppress. Else 0.
 */
int pass_suppress_ready(const struct store_message *m);

/** Record the hand-back decision in @param m (GIVEBACK_INTENT). */
void pass_suppress_intent(const struct pass_ctx *ctx, struct store_message *m);

/** What on_suppress asks of the MTA: BOUNCE or RELEASE. */
enum mta_giveback pass_suppress_how(const struct policy *p);

#endif
