/*
 * NAME
 *	exim_queue 3h
 * SUMMARY
 *	parse the output of exim -bp / -bpr into a struct mta_listing
 * DESCRIPTION
 *	One entry per message:
 *
 *	    AGE SIZE ID <SENDER>[ *** frozen ***]
 *	            RECIPIENT          (8 spaces, ' ' or 'D', a space)
 *	            D DELIVERED-RECIPIENT
 *	    (blank line)
 *
 *	Only undelivered recipients are kept. The arrival time comes from
 *	the id (exact seconds), not from the rounded age. Pure: no I/O, no
 *	clock; malformed lines are reported through a callback with their
 *	line number and the entry they belong to is skipped.
 *
 *	exim_queue_parse_each() tells each entry to a callback instead and
 *	keeps nothing (the daemon's scan_each).
 *
 *	exim_queue_apply_msglog() takes the text of a message's msglog and
 *	fills each recipient's last defer reason.
 */
#ifndef RETRYD_EXIM_QUEUE_H
#define RETRYD_EXIM_QUEUE_H

#include <stddef.h>

#include "plugin.h"

/** Told about each malformed line (@param why is static text). */
typedef void (*exim_queue_bad_fn)(void *ctx, size_t lineno, const char *why);

/**
 * Parse @param len bytes of -bp output into @param out (zeroed first;
 * free with exim_queue_free). Entries with a malformed line, more than
 * LIMIT_RCPTS_PER_MESSAGE undelivered recipients or no undelivered
 * recipient at all are left out; the first two are counted in
 * out->skipped. out->complete is left 0 for the caller to set.
 * @return 0; 1 when LIMIT_LISTING_MESSAGES stopped the parse early;
 * -1 on allocation failure (with @param err).
 */
int exim_queue_parse(const char *text, size_t len, struct mta_listing *out,
		     exim_queue_bad_fn bad, void *ctx, char *err,
		     size_t errlen);

/** Told each entry exim_queue_parse_each() keeps (@param m valid for the
 * call only; it may change m's reasons). @return 0, or -1: stop. */
typedef int (*exim_queue_each_fn)(void *arg, struct mta_message *m);

/**
 * As exim_queue_parse(), but each entry is told to @param fn as soon as
 * its last line is read and freed after: nothing of the listing is kept
 * (a listing of any size costs one message). @param told and
 * @param skipped: entries told and left out.
 * @return 0; 1 when @param fn said stop or LIMIT_LISTING_MESSAGES was
 * reached (the rest not told); -1 on allocation failure (with err).
 */
int exim_queue_parse_each(const char *text, size_t len, exim_queue_each_fn fn,
			  void *arg, size_t *told, size_t *skipped,
			  exim_queue_bad_fn bad, void *ctx, char *err,
			  size_t errlen);

/** Free what exim_queue_parse() allocated; @param l may be empty. */
void exim_queue_free(struct mta_listing *l);

/**
 * Fill the reason of each recipient of @param m from the last defer line
 * for it in @param msglog (@param len bytes; a partial first line is
 * ignored when @param partial). Sets m->deferred when any was found.
 * @param tzoff as for exim_log_parse().
 */
void exim_queue_apply_msglog(struct mta_message *m, const char *msglog,
			     size_t len, int partial, long tzoff);

#endif
