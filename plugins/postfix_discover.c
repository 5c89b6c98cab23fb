/*
 * NAME
 *	postfix_discover 3
 * SUMMARY
 *	incremental discovery for postfix.so: new deferrals from the log
 * SYNOPSIS
 *	#include "postfix_cmd.h"
 * DESCRIPTION
 *	postfix_discover_each() reads the Postfix log from its own position
 *	(STATE_DIR/postfix-discover.offset, apart from the outcome reader's)
 *	and tells a callback, one by one, the messages that were deferred
 *	since the last call (postfix_discover(): the same into a listing,
 *	never complete):
 *
 *	    ID: from=<S>, size=N, nrcpt=K (queue active)   sender
 *	    ID: to=<A>, ..., delay=D, ..., status=deferred (REASON)
 *	                          a pending recipient and its reason;
 *	                          arrival = line time - delay
 *	    ID: to=<A>, ..., status=sent|bounced|expired   no longer pending
 *	    ID: placed on hold / released from hold         held flag
 *	    ID: removed                                     left out
 *
 *	No queue listing is spawned: the cost is the log written since the
 *	last call, not the number of queued messages. At most
 *	LIMIT_DISCOVER_MESSAGES distinct ids are gathered per call; the
 *	reading stops there and the next call goes on from that line.
 *
 *	*gap is 1 when lines may have been missed: no saved position (first
 *	start, damaged file: reading starts at the end of the log), the log
 *	rotated and the old file is gone, or it was truncated. Then the
 *	deferred queue directory is read instead (postfix_qdir.c: its
 *	names and each message's defer log) and *gap stays 0 when that
 *	read everything; otherwise (the bound, a defer log missing, the
 *	directory unreadable) the caller reconciles with a full listing
 *	(postqueue -j). *gap = 1 on entry says the caller lists everything
 *	anyway (the first pass after a start, a reload): the directory is
 *	not read (at 1,000,000 deferred, a million defer logs opened for
 *	nothing) and a gap is told as such.
 *
 *	The position is saved only when every message was told (a callback
 *	that says stop, out of memory: the same lines are read again).
 *
 *	Owns: the id table for the length of a call; postfix_discover()'s
 *	listing until listing_free (postfix_queue_free).
 * DIAGNOSTICS
 *	"discover: ..." in err: the log cannot be read, the position cannot
 *	be saved, memory ran out (the position is then not advanced).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/log.h"
#include "mta_discover.h"
#include "plugin.h"
#include "postfix_cmd.h"
#include "postfix_log.h"
#include "postfix_queue.h"

#define POSTFIX_DISCOVER_POS_FILE "postfix-discover.offset"

struct disc {
	struct mta_discover t;
	int64_t now;
	long tzoff;
};

static void disc_deferred(struct disc *d, struct mta_discover_msg *m,
			  const struct postfix_log_entry *e)
{
	int64_t arrival = 0;

	if (e->time > 0 && e->delay >= 0 && e->delay <= e->time)
		arrival = e->time - e->delay;
	mta_discover_defer(&d->t, m, e->address, e->text, arrival);
}

/* "from=<S>, size=..." (qmgr): the sender, kept for a later deferral. */
static void disc_sender(struct disc *d, const struct postfix_log_entry *e)
{
	const char *p = e->payload + 6, *end = e->payload + e->payloadlen;
	const char *q = memmem(p, (size_t)(end - p), ">, size=", 8);
	struct mta_discover_msg *m;

	if (q == NULL || !postfix_queue_address_ok(p, (size_t)(q - p)) ||
	    (m = mta_discover_get(&d->t, e->id, 1)) == NULL)
		return;
	mta_discover_sender(&d->t, m, p, (size_t)(q - p));
}

static int disc_is(const struct postfix_log_entry *e, const char *word)
{
	return e->payloadlen == strlen(word) &&
	       memcmp(e->payload, word, e->payloadlen) == 0;
}

static int disc_line(void *ctx, const char *line, size_t len, int64_t lineno)
{
	struct disc *d = ctx;
	struct postfix_log_entry e;
	struct mta_discover_msg *m;

	(void)lineno;
	switch (postfix_log_parse(line, len, d->now, d->tzoff, &e)) {
	case POSTFIX_LOG_RCPT:
		if (e.status == MTA_OUTCOME_DEFERRED) {
			if ((m = mta_discover_get(&d->t, e.id, 1)) != NULL)
				disc_deferred(d, m, &e);
		} else if ((m = mta_discover_get(&d->t, e.id, 0)) != NULL) {
			mta_discover_settle(m, e.address);
		}
		break;
	case POSTFIX_LOG_OTHER:
		if (e.payload == NULL)
			break;
		if (e.payloadlen > 6 && memcmp(e.payload, "from=<", 6) == 0) {
			disc_sender(d, &e);
		} else if ((m = mta_discover_get(&d->t, e.id, 0)) != NULL) {
			if (disc_is(&e, "removed"))
				m->removed = 1;
			else if (disc_is(&e, "placed on hold"))
				m->held = 1;
			else if (disc_is(&e, "released from hold"))
				m->held = 0;
		}
		break;
	default:
		break;
	}
	/* full: stop after the line that filled it; the rest next call */
	return mta_discover_full(&d->t);
}

/*
 * Lines may be missing (no saved position, truncation, rotation with the
 * old file gone): read deferred/ and the defer logs instead
 * (postfix_qdir.c). @return 0 when that covered it, 1 when the caller
 * must reconcile with a full listing, -1 out of memory.
 */
static int disc_gap(struct postfix_state *st, struct disc *d)
{
	char why[300];
	int rc;

	if (!st->dgap && !st->dpos.gap)
		return 0;
	rc = postfix_qdir_discover(st, &d->t, why, sizeof(why));
	if (d->t.nomem)
		return -1;
	if (rc == 0) {
		log_info("discover: lines of the log may be missing: read the "
			 "deferred queue directory instead of a full listing");
		return 0;
	}
	if (rc < 0)
		log_warn("discover: %.300s", why);
	return 1;
}

int postfix_discover_open(struct postfix_state *st, const char *state_dir,
			  char *err, size_t errlen)
{
	int rc = 0;

	st->dgap = 1;
	if (state_dir) {
		size_t l =
		    strlen(state_dir) + sizeof(POSTFIX_DISCOVER_POS_FILE) + 2;
		if ((st->dpos_file = malloc(l)) == NULL) {
			snprintf(err, errlen, "postfix: out of memory");
			return -1;
		}
		snprintf(st->dpos_file, l, "%s/%s", state_dir,
			 POSTFIX_DISCOVER_POS_FILE);
		rc =
		    postfix_log_pos_load(st->dpos_file, &st->dpos, err, errlen);
		if (rc < 0)
			log_warn("postfix: %.300s: discovery starts at the end "
				 "of the log (a full listing reconciles)",
				 err);
	}
	if (rc == 1) {
		st->dgap = 0;
		return 0;
	}
	return postfix_log_pos_end(st->log_file, st->host, &st->dpos, err,
				   errlen);
}

int postfix_discover_each(void *state, mta_message_fn fn, void *arg, int *gap,
			  char *err, size_t errlen)
{
	struct postfix_state *st = state;
	struct postfix_log_pos saved = st->dpos;
	int listing_follows = *gap;
	int gapped = 0;
	struct disc d;
	struct tm tm;
	time_t now = time(NULL);
	int rc;

	memset(&d, 0, sizeof(d));
	*gap = 0;
	d.now = (int64_t)now;
	d.tzoff = localtime_r(&now, &tm) ? tm.tm_gmtoff : 0;
	st->dpos.gap = 0;
	rc = postfix_log_follow(st->log_file, st->host, &st->dpos, disc_line,
				&d, err, errlen);
	if (rc == 0 && !d.t.nomem && listing_follows)
		gapped = st->dgap || st->dpos.gap; /* the listing covers it */
	else if (rc == 0 && !d.t.nomem && (gapped = disc_gap(st, &d)) < 0)
		d.t.nomem = 1;
	if (rc == 0 && !d.t.nomem && mta_discover_each(&d.t, fn, arg) < 0 &&
	    !d.t.nomem) {
		snprintf(err, errlen, "discover: stopped by the caller");
		rc = -1;
	}
	if (rc == 0 && d.t.nomem) {
		snprintf(err, errlen, "discover: out of memory");
		rc = -1;
	}
	if (rc == 0 && st->dpos_file)
		rc =
		    postfix_log_pos_save(st->dpos_file, &st->dpos, err, errlen);
	if (rc < 0) {
		st->dpos = saved; /* read again next time */
		mta_discover_free(&d.t);
		return -1;
	}
	mta_discover_free(&d.t);
	*gap = gapped;
	st->dgap = 0;
	return 0;
}

int postfix_discover(void *state, struct mta_listing *out, int *gap, char *err,
		     size_t errlen)
{
	memset(out, 0, sizeof(*out));
	if (postfix_discover_each(state, mta_discover_collect, out, gap, err,
				  errlen) < 0) {
		postfix_queue_free(out);
		return -1;
	}
	return 0;
}
