/*
 * NAME
 *	postfix_queue 3h
 * SUMMARY
 *	parse the output of "postqueue -j" into a struct mta_listing
 * DESCRIPTION
 *	One JSON object a line (Postfix 3.1+):
 *
 *	    {"queue_name": "deferred", "queue_id": "A1E2DA7254D",
 *	     "arrival_time": 1700000000, "message_size": 270,
 *	     "forced_expire": false, "sender": "alice@example.com",
 *	     "recipients": [{"address": "u1@hotmail.com",
 *	                     "delay_reason": "connect to ...: refused"}]}
 *
 *	Kept: queue_name (deferred, hold, active, incoming, maildrop),
 *	queue_id, arrival_time, sender, recipients[] {address, delay_reason};
 *	other members are ignored. Each line is parsed with jansson and
 *	JSON_REJECT_DUPLICATES (never JSON_ALLOW_NUL, so "\u0000" is refused).
 *	A line that is not such an object, has a bad queue id, a bad address,
 *	a wrong type, more than LIMIT_RCPTS_PER_MESSAGE recipients or more
 *	than LIMIT_LISTING_LINE bytes is reported through a callback with its
 *	line number and skipped (counted in out->skipped). A message listed
 *	twice (it moved between queues during the listing) is kept once: the
 *	later line wins, whole. The sender "MAILER-DAEMON" (no domain) is how
 *	showq prints the null sender: it becomes "". Addresses that showq
 *	masked ('?' for unprintable bytes) are kept as text.
 *
 *	Pure: no I/O, no clock, no global.
 */
#ifndef RETRYD_POSTFIX_QUEUE_H
#define RETRYD_POSTFIX_QUEUE_H

#include <stddef.h>

#include "plugin.h"

/**
 * Told about each skipped line: @param lineno (from 1), @param id the
 * queue id when one was read ("" otherwise), @param why static text.
 */
typedef void (*postfix_queue_bad_fn)(void *ctx, size_t lineno, const char *id,
				     const char *why);

struct postfix_queue_stream;

/**
 * A stream parser telling each message to @param fn (and each skipped
 * line to @param bad). @return it (free with postfix_queue_stream_free),
 * or NULL: out of memory.
 */
struct postfix_queue_stream *postfix_queue_stream_new(mta_message_fn fn,
						      void *arg,
						      postfix_queue_bad_fn bad,
						      void *ctx);
/**
 * Feed @param n more bytes (cut anywhere). @return 0, or -1: out of
 * memory (err) or fn said stop (err untouched).
 */
int postfix_queue_stream_feed(struct postfix_queue_stream *s, const char *p,
			      size_t n, char *err, size_t errlen);
/**
 * The end of the output: a last line without its newline is skipped.
 * *@param skipped gets the lines skipped. @return 1 when the listing was
 * parsed cleanly to its end (every line ended, LIMIT_LISTING_MESSAGES not
 * reached, fn never said stop), else 0.
 */
int postfix_queue_stream_end(struct postfix_queue_stream *s, size_t *skipped);
void postfix_queue_stream_free(struct postfix_queue_stream *s);

/* A collector: the mta_message_fn that appends to a listing (deep copy). */
struct postfix_queue_collector {
	struct mta_listing *out;
	size_t cap;
	int nomem; /* -1 after an allocation failure */
};
int postfix_queue_collect(void *arg, const struct mta_message *m);
/** Keep one message per queue id, the later one. @return 0 or -1. */
int postfix_queue_dedup(struct mta_listing *out);

/**
 * Parse @param len bytes of postqueue -j output into @param out (zeroed
 * first; free with postfix_queue_free). out->complete is 1 only when
 * the text ended with a newline (or was empty), no line was cut and
 * LIMIT_LISTING_MESSAGES was not reached; the caller also clears it
 * when postqueue did not exit 0 or its output was truncated.
 * @return 0, or -1 on allocation failure with @param err (out is then
 * freed and empty).
 */
int postfix_queue_parse(const char *text, size_t len, struct mta_listing *out,
			postfix_queue_bad_fn bad, void *ctx, char *err,
			size_t errlen);

/** Free what postfix_queue_parse() allocated; @param l may be empty. */
void postfix_queue_free(struct mta_listing *l);

/**
 * 1 when @param s (@param len bytes) is acceptable as an address or a
 * sender: at most LIMIT_ADDRESS bytes, no byte below 0x20 and no DEL
 * (so no CR, LF or NUL). "" is accepted (the null sender).
 */
int postfix_queue_address_ok(const char *s, size_t len);

#endif
