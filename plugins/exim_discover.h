/*
 * NAME
 *	exim_discover 3h
 * SUMMARY
 *	incremental discovery for exim.so: new deferrals from the main log
 * DESCRIPTION
 *	exim_discover_each() is the plugin's discover method (see plugin.h
 *	and exim_discover.c), exim_discover() the same into a listing;
 *	exim_discover_line() is its pure part, one main log line into the
 *	call's table, for the unit tests.
 */
#ifndef RETRYD_EXIM_DISCOVER_H
#define RETRYD_EXIM_DISCOVER_H

#include <stddef.h>

#include "exim_cmd.h"
#include "mta_discover.h"

/**
 * Note one main log line (@param len bytes, no newline) in @param t.
 * @param tzoff as for exim_log_parse().
 * @return 1 when the table is full (stop after this line), else 0.
 */
int exim_discover_line(struct mta_discover *t, const char *line, size_t len,
		       long tzoff);

/**
 * Load the discovery position of @param st (STATE_DIR/exim-discover.cursor,
 * or exim-discover-journal.cursor for a journal; @param state_dir NULL:
 * kept in memory), or start at the end of the log: the first call then
 * says gap. Writes nothing. @return 0, or -1 with @param err.
 */
int exim_discover_open(struct exim_state *st, const char *state_dir, char *err,
		       size_t errlen);

/** The plugin's discover method: each message deferred since the last
 *  call told to @param fn; the position saved only when all were told. */
int exim_discover_each(void *state, mta_message_fn fn, void *arg, int *gap,
		       char *err, size_t errlen);
/** The same into @param out (never complete; exim_queue_free it). */
int exim_discover(void *state, struct mta_listing *out, int *gap, char *err,
		  size_t errlen);

#endif
