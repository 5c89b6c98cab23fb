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
 *	call (an id hash, at most LIMIT_DISCOVER_MESSAGES ids) and tells the
 *	messages still pending one by one (mta_discover_each). Everything is
 *	kept at its real size: addresses in one allocation each, senders and
 *	delay reasons interned (a deferral wave repeats them), ~100 bytes a
 *	message plus its addresses; a struct mta_message with its fixed
 *	recipient slots exists only for the message being told.
 *	Pure: no I/O, no clock.
 *
 *	Ownership: the table owns its entries and strings until
 *	mta_discover_free(); what mta_discover_each() tells is valid for the
 *	call only.
 */
#ifndef RETRYD_PLUGINS_MTA_DISCOVER_H
#define RETRYD_PLUGINS_MTA_DISCOVER_H

#include <stddef.h>
#include <stdint.h>

#include "plugin.h"
#include "util/intern.h"

struct mta_discover_rcpt {
	char *address;	    /* malloc'd, its real size */
	const char *reason; /* interned in the table's strings */
};

struct mta_discover_msg {
	char id[LIMIT_QUEUE_ID + 1];
	const char *sender; /* interned; NULL: not seen ("") */
	int64_t arrival;    /* 0: unknown */
	int held, removed;
	uint32_t nrcpts, cap;
	struct mta_discover_rcpt *rcpts;
};

struct mta_discover {
	struct mta_discover_msg *m;
	size_t n, cap;
	uint32_t *slot; /* index + 1, 0 free; size nslot (power of 2) */
	size_t nslot;
	struct intern *strings; /* senders and reasons */
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

/** The sender of @param m: @param len bytes of @param s (checked by the
 *  caller); out of memory sets d->nomem. */
void mta_discover_sender(struct mta_discover *d, struct mta_discover_msg *m,
			 const char *s, size_t len);

/** @param address of @param m is no longer pending (sent, bounced). */
void mta_discover_settle(struct mta_discover_msg *m, const char *address);

/** 1 when the table holds LIMIT_DISCOVER_MESSAGES ids or ran out of
 *  memory: the reader stops after this line. */
int mta_discover_full(const struct mta_discover *d);

/**
 * Tell @param fn each message not removed with a pending recipient
 * (deferred = 1), in the order first seen. @return 0, or -1: fn said
 * stop, or out of memory (d->nomem set).
 */
int mta_discover_each(struct mta_discover *d, mta_message_fn fn, void *arg);

/**
 * An mta_message_fn that appends a deep copy of each message to the
 * struct mta_listing @param arg (free it with the plugin's
 * listing_free). @return 0, or -1 out of memory.
 */
int mta_discover_collect(void *arg, const struct mta_message *m);

/** Free the table (what was not moved into a listing). */
void mta_discover_free(struct mta_discover *d);

#endif
