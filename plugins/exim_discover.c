/*
 * NAME
 *	exim_discover 3
 * SUMMARY
 *	incremental discovery for exim.so: new deferrals from the main log
 * SYNOPSIS
 *	#include "exim_discover.h"
 * DESCRIPTION
 *	exim_discover() reads Exim's main log (or the journal) from its own
 *	cursor (STATE_DIR/exim-discover.cursor, apart from the outcome
 *	reader's exim-log.cursor) and returns, as a listing that is never
 *	complete, the messages deferred since the last call:
 *
 *	    ID <= SENDER ...                 the sender (<> : "")
 *	    ID == ADDR ... defer (N): TEXT   a pending recipient, its reason;
 *	                                     arrival = the time in the id
 *	    ID => / -> / ** ADDR ...         that recipient no longer pending
 *	    ID frozen by U / Frozen ... / Message is frozen   held
 *	    ID unfrozen by U / Unfrozen by ...                not held
 *	    ID Completed / cancelled by U    left out (gone, or bouncing)
 *
 *	No listing is spawned and, with no gap, no message's spool file or
 *	msglog is opened: the cost is the log written since the last call,
 *	not the number of queued messages. At most LIMIT_DISCOVER_MESSAGES ids are
 *	gathered per call; reading stops there and goes on next call.
 *
 *	Lines may have been missed when there is no saved cursor (first
 *	start, damaged file: reading starts at the end of the log), the log
 *	rotated and the old file (LOG.0, LOG.1) is gone, or it was
 *	truncated. Then the spool is read instead (exim_spool.c: the names
 *	in the input directory, and the -H file and msglog of each message
 *	the daemon was not told of) and *gap stays 0 when that read
 *	everything. *gap is 1, and the caller reconciles with a full
 *	listing, when it did not (a -H file unreadable or malformed, the
 *	table full, the directory unreadable) or when no complete full
 *	listing has told the known ids yet (at start: the daemon makes one
 *	anyway). *gap = 1 on entry says the caller lists everything anyway
 *	(plugin.h): the spool is not read and a gap is told as such. Every
 *	message told, here or by the full listing (exim.c), is added to the
 *	known set.
 *
 *	Under privilege separation this runs in the daemon's parsing
 *	instance (cfg->host): the log is opened by the privileged helper
 *	(exim_log_follow_host), parsed here, unprivileged. The cursor file
 *	is written only here, by the daemon's user.
 *
 *	Owns: the call's table (mta_discover.c); the listing it returns until
 *	listing_free (exim_queue_free).
 * DIAGNOSTICS
 *	"exim discover: ..." in err: the log cannot be read, the cursor
 *	cannot be saved, memory ran out (the cursor is then not advanced).
 *	Malformed lines are skipped silently here: the outcome reader,
 *	which reads the same lines, logs them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "exim_discover.h"
#include "exim_id.h"
#include "exim_log.h"
#include "exim_queue.h"
#include "exim_spool.h"

#define EXIM_DISCOVER_CURSOR	     "exim-discover.cursor"
#define EXIM_DISCOVER_JOURNAL_CURSOR "exim-discover-journal.cursor"

struct exim_discover_ctx {
	struct mta_discover t;
	long tzoff;
};

static int exim_discover_prefix(const char *p, size_t n, const char *word)
{
	size_t w = strlen(word);

	return n >= w && memcmp(p, word, w) == 0;
}

/* "<= SENDER ...": the sender, kept for a deferral later in the call. */
static void exim_discover_sender(struct mta_discover *t, const char *id,
				 const char *p, size_t n)
{
	const char *end = memchr(p, ' ', n);
	size_t len = end ? (size_t)(end - p) : n;
	struct mta_discover_msg *m;

	if (len == 0 || len > LIMIT_ADDRESS)
		return;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)p[i] <= 0x20 || p[i] == 0x7f)
			return;
	if ((m = mta_discover_get(t, id, 1)) == NULL)
		return;
	if (len == 2 && memcmp(p, "<>", 2) == 0)
		len = 0; /* the null sender (a bounce) */
	mta_discover_sender(t, m, p, len);
}

/* A line about message @param id with no flag: sender, frozen, thawed. */
static void exim_discover_other(struct mta_discover *t, const char *id,
				const char *line, size_t len)
{
	size_t idlen = strlen(id);
	const char *p = memmem(line, len, id, idlen);
	struct mta_discover_msg *m;
	size_t n;

	if (p == NULL || (size_t)(p - line) + idlen + 1 >= len ||
	    p[idlen] != ' ')
		return;
	p += idlen + 1;
	n = len - (size_t)(p - line);
	if (exim_discover_prefix(p, n, "<= ")) {
		exim_discover_sender(t, id, p + 3, n - 3);
		return;
	}
	if ((m = mta_discover_get(t, id, 0)) == NULL)
		return;
	if (exim_discover_prefix(p, n, "frozen by ") ||
	    exim_discover_prefix(p, n, "Frozen") ||
	    exim_discover_prefix(p, n, "Message is frozen"))
		m->held = 1;
	else if (exim_discover_prefix(p, n, "unfrozen by ") ||
		 exim_discover_prefix(p, n, "Unfrozen by "))
		m->held = 0;
	else if (exim_discover_prefix(p, n, "removed by "))
		m->removed = 1;
}

int exim_discover_line(struct mta_discover *t, const char *line, size_t len,
		       long tzoff)
{
	struct exim_log_entry e;
	struct mta_discover_msg *m;
	int64_t arrival;

	switch (exim_log_parse(line, len, tzoff, &e)) {
	case EXIM_LOG_DEFERRED:
		if ((m = mta_discover_get(t, e.id, 1)) == NULL)
			break;
		if (exim_id_time(e.id, &arrival) < 0)
			arrival = 0;
		mta_discover_defer(t, m, e.address, e.text, arrival);
		break;
	case EXIM_LOG_DELIVERED:
	case EXIM_LOG_ADDITIONAL:
	case EXIM_LOG_FAILED:
		if ((m = mta_discover_get(t, e.id, 0)) != NULL)
			mta_discover_settle(m, e.address);
		break;
	case EXIM_LOG_COMPLETED:
	case EXIM_LOG_CANCELLED:
		if ((m = mta_discover_get(t, e.id, 0)) != NULL)
			m->removed = 1;
		break;
	case EXIM_LOG_OTHER:
		if (e.id[0] != '\0')
			exim_discover_other(t, e.id, line, len);
		break;
	default:
		break;
	}
	/* full: stop after the line that filled it; the rest next call */
	return mta_discover_full(t);
}

static int exim_discover_read(void *ctx, const char *line, size_t len,
			      int64_t lineno)
{
	struct exim_discover_ctx *c = ctx;

	(void)lineno;
	return exim_discover_line(&c->t, line, len, c->tzoff);
}

int exim_discover_open(struct exim_state *st, const char *state_dir, char *err,
		       size_t errlen)
{
	int rc = 0;

	st->dgap = 1;
	if (state_dir && asprintf(&st->dcursor_file, "%s/%s", state_dir,
				  st->journal ? EXIM_DISCOVER_JOURNAL_CURSOR
					      : EXIM_DISCOVER_CURSOR) < 0) {
		st->dcursor_file = NULL;
		snprintf(err, errlen, "exim: out of memory");
		return -1;
	}
	if (st->dcursor_file) {
		rc = st->journal
			 ? log_journal_cursor_load(st->dcursor_file, &st->djcur,
						   err, errlen)
			 : exim_log_cursor_load(st->dcursor_file, &st->dcur,
						err, errlen);
		if (rc < 0)
			log_warn("exim: %.300s: discovery starts at the end "
				 "of the log (a full listing reconciles)",
				 err);
	}
	if (rc == 1) {
		st->dgap = 0;
		return 0;
	}
	return st->journal ? log_journal_cursor_end(st->journal_dir, &st->djcur,
						    err, errlen)
			   : exim_log_cursor_end_host(st->log_file, st->host,
						      &st->dcur, err, errlen);
}

/*
 * Lines may be missing: read the spool instead (exim_spool.c). @return 0
 * when that covered it, 1 when the caller must reconcile with a full
 * listing, -1 out of memory.
 */
static int exim_discover_gap(struct exim_state *st, struct exim_discover_ctx *c)
{
	char why[300];
	size_t nread;
	int rc;

	if (!st->known_ready)
		return 1; /* no complete full listing yet: it comes now */
	rc = exim_spool_discover(st, &c->t, &nread, why, sizeof(why));
	if (c->t.nomem)
		return -1;
	if (rc == 0) {
		log_info("discover: lines of the Exim log may be missing: "
			 "read the spool's input directory instead of a full "
			 "listing (%zu -H files of messages not known)",
			 nread);
		return 0;
	}
	if (rc < 0)
		log_warn("discover: %.300s", why);
	return 1;
}

/* What each told message passes through: then known to the daemon. */
struct exim_discover_tell {
	struct exim_state *st;
	mta_message_fn fn;
	void *arg;
};

static int exim_discover_told(void *arg, const struct mta_message *m)
{
	struct exim_discover_tell *t = arg;

	if (t->fn(t->arg, m) < 0)
		return -1;
	/* before the first complete full listing the set is not used (a
	 * gap means a full listing), which then tells this one too; out of
	 * memory: not added, its -H is read next time */
	if (t->st->known_ready)
		(void)exim_known_add(&t->st->known, m->queue_id);
	return 0;
}

/* Save the cursor of @param st. @return 0, or -1 with @param err. */
static int exim_discover_save(const struct exim_state *st, char *err,
			      size_t errlen)
{
	if (st->dcursor_file == NULL)
		return 0;
	return st->journal ? log_journal_cursor_save(st->dcursor_file,
						     &st->djcur, err, errlen)
			   : exim_log_cursor_save(st->dcursor_file, &st->dcur,
						  err, errlen);
}

int exim_discover_each(void *state, mta_message_fn fn, void *arg, int *gap,
		       char *err, size_t errlen)
{
	struct exim_state *st = state;
	struct exim_log_cursor saved = st->dcur;
	struct log_journal_cursor jsaved = st->djcur;
	struct exim_discover_tell tell = {.st = st, .fn = fn, .arg = arg};
	struct exim_discover_ctx c;
	char why[256];
	int rc, gapped = 0, listing_follows = *gap;

	memset(&c, 0, sizeof(c));
	c.tzoff = exim_tzoff();
	st->dcur.gap = 0;
	rc = st->journal
		 ? log_journal_follow(st->journal_dir, EXIM_JOURNAL_IDENT,
				      LOG_JOURNAL_EXIM, &st->djcur,
				      exim_discover_read, &c, why, sizeof(why))
		 : exim_log_follow_host(st->log_file, st->host, &st->dcur,
					exim_discover_read, &c, why,
					sizeof(why));
	if (rc == 0 && !c.t.nomem && listing_follows)
		gapped = st->dgap || st->dcur.gap; /* the listing covers it */
	else if (rc == 0 && !c.t.nomem && (st->dgap || st->dcur.gap) &&
		 (gapped = exim_discover_gap(st, &c)) < 0)
		c.t.nomem = 1;
	if (rc == 0 && !c.t.nomem &&
	    mta_discover_each(&c.t, exim_discover_told, &tell) < 0 &&
	    !c.t.nomem) {
		snprintf(why, sizeof(why), "stopped by the caller");
		rc = -1;
	}
	if (rc == 0 && c.t.nomem) {
		snprintf(why, sizeof(why), "out of memory");
		rc = -1;
	}
	if (rc == 0)
		rc = exim_discover_save(st, why, sizeof(why));
	if (rc < 0) {
		snprintf(err, errlen, "exim discover: %s", why);
		st->dcur = saved; /* read again next time */
		st->djcur = jsaved;
		mta_discover_free(&c.t);
		return -1;
	}
	mta_discover_free(&c.t);
	*gap = gapped;
	st->dgap = 0;
	return 0;
}

int exim_discover(void *state, struct mta_listing *out, int *gap, char *err,
		  size_t errlen)
{
	memset(out, 0, sizeof(*out));
	if (exim_discover_each(state, mta_discover_collect, out, gap, err,
			       errlen) < 0) {
		exim_queue_free(out);
		return -1;
	}
	return 0;
}
