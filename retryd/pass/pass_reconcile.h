/*
 * NAME
 *	reconcile 3h
 * SUMMARY
 *	what to do with one store record given the MTA's listing (pure)
 * DESCRIPTION
 *	pass_reconcile_decide() is the decision table of reconcile.c: no I/O,
 *	no clock, no global. Absence counts only in complete listings, and
 *	only when the id was also absent from the previous complete one.
 */
#ifndef RETRYD_RECONCILE_H
#define RETRYD_RECONCILE_H

#include <stdint.h>

#include "store/store.h"

enum reconcile_action {
	RECONCILE_NONE = 0,
	RECONCILE_GONE,	     /* absent from two complete listings: done */
	RECONCILE_MARK_HELD, /* it is held: record HELD, reschedule */
	RECONCILE_MARK_DUE, /* still held after a release intent: HELD, due now */
	RECONCILE_REHOLD,   /* deferred and not held: hold it again */
	RECONCILE_TO_ATTEMPTING, /* release intent, not held: wait for outcome */
	RECONCILE_GIVEBACK,	 /* committed giveback decision: replay it */
};

struct reconcile_input {
	enum store_msg_state state;
	int listed;	    /* the id is in this pass's listing */
	int held, deferred; /* as listed */
	int complete;	    /* the listing is complete */
	int missing_before; /* absent from the previous complete listing */
	int nospace;	    /* the store is out of space: no new holds */
	int64_t now, last_attempt, outcome_wait;
	int64_t last_outcome; /* an outcome last settled a message, 0: never */
};

/* An attempt with no outcome is overdue after outcome_wait... unless
 * outcomes still arrive (one settled a message within outcome_wait, or
 * within RECONCILE_OUTCOME_ARRIVING: a pass that releases 2,000 messages
 * on a loaded box takes longer than two short scan intervals): then
 * after RECONCILE_OUTCOME_WAIT_MAX. */
#define RECONCILE_OUTCOME_ARRIVING 60
#define RECONCILE_OUTCOME_WAIT_MAX 1800

enum reconcile_action pass_reconcile_decide(const struct reconcile_input *in);

/** Pure: has the ATTEMPTING record @param in waited for its outcome long
 *  enough for the listing to decide? @return 1 yes, 0 not yet. */
int pass_reconcile_overdue(const struct reconcile_input *in);

/** Pure: after a discovery (no listing), does @param in need a full
 *  listing to be settled? @return 1 yes (at the next reconciliation the
 *  cost bound allows), 0 no. */
int pass_reconcile_wants_listing(const struct reconcile_input *in);

#endif
