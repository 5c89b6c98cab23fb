/*
 * NAME
 *	mta_discover 3h
 * SUMMARY
 *	the messages one discovery call gathers from an MTA log (both plugins)
 * DESCRIPTION
 *	postfix_discover.c and exim_discover.c read their MTA's log line by
 *	line and note, per queue id, the sender, the arrival, the pending
 *	recipients with their last delay reason, the held flag and whether
 *	the message left the queue. This table keeps those notes for one
 *	call (an id hash, at most LIMIT_DISCOVER_MESSAGES ids) and turns the
 *	messages still pending into a struct mta_listing (never complete).
 *	Pure: no I/O, no clock.
 *
 *	Ownership: the table owns its entries until mta_discover_free();
 *	mta_discover_output() moves the recipients into the listing, which
 *	the plugin's listing_free (postfix_queue_free, exim_queue_free)
 *	frees.
 */
#ifndef RETRYD_PLUGINS_MTA_DISCOVER_H
#define RETRYD_PLUGINS_MTA_DISCOVER_H

#include <stddef.h>
#include <stdint.h>

#include "plugin.h"

struct mta_discover_msg {
	char id[LIMIT_QUEUE_ID + 1];
	char sender[LIMIT_ADDRESS + 1];
	int64_t arrival; /* 0: unknown */
	int held, removed;
	size_t nrcpts, cap;
	struct mta_rcpt *rcpts;
};

struct mta_discover {
	struct mta_discover_msg *m;
	size_t n, cap;
	uint32_t *slot; /* index + 1, 0 free; size nslot (power of 2) */
	size_t nslot;
	int nomem; /* an allocation failed: the call must not advance */
};

/**
 * The entry of @param id; created (zeroed) when @param create.
 * @return NULL when absent (create = 0), when LIMIT_DISCOVER_MESSAGES ids
 * are gathered already, or out of memory (then d->nomem is set).
 */
struct mta_discover_msg *mta_discover_get(struct mta_discover *d,
					  const char *id, int create);

/**
 * @param address of @param m was deferred with @param reason; @param
 * arrival (0: unknown) lowers the message's arrival. A message marked
 * removed is taken as a new one with the same id (ids are reused).
 */
void mta_discover_defer(struct mta_discover *d, struct mta_discover_msg *m,
			const char *address, const char *reason,
			int64_t arrival);

/** @param address of @param m is no longer pending (sent, bounced). */
void mta_discover_settle(struct mta_discover_msg *m, const char *address);

/** 1 when the table holds LIMIT_DISCOVER_MESSAGES ids or ran out of
 *  memory: the reader stops after this line. */
int mta_discover_full(const struct mta_discover *d);

/**
 * The messages not removed with a pending recipient into @param out
 * (zeroed first; deferred = 1; recipients moved).
 * @return 0, or -1 out of memory.
 */
int mta_discover_output(struct mta_discover *d, struct mta_listing *out);

/** Free the table (what was not moved into a listing). */
void mta_discover_free(struct mta_discover *d);

#endif
