/*
 * NAME
 *	postfix 3
 * SUMMARY
 *	the Postfix adapter (postfix.so): scan, hold, release, deliver,
 *	give back, outcomes
 * SYNOPSIS
 *	retryd_plugin() -> struct mta_plugin
 * DESCRIPTION
 *	The plugin's methods; the commands run in postfix_cmd.c.
 *
 *	scan_each runs "postqueue [-c DIR] -j" and parses its output as it
 *	comes (the stream of postfix_queue.c), telling each message to the
 *	caller: nothing of the listing is kept, so it has no length bound.
 *	The listing is complete only when postqueue exited 0 and its output
 *	parsed cleanly to a final newline. scan is the same, collected.
 *
 *	discover (postfix_discover.c) reads new deferrals from the log from
 *	its own position (STATE_DIR/postfix-discover.offset): no listing.
 *
 *	hold = "postsuper -h -", release = "postsuper -H -"
 *	(postfix_super(): done = ids postsuper reported).
 *
 *	deliver = postfix_deliver_now(): each hold file's time set to now,
 *	release, then one deferred queue scan asked of the queue manager
 *	(postfix_kick.c); the ids it could not do so go through the flush
 *	service one by one, the request of "postqueue -i ID"
 *	(postfix_flush()). -H alone keeps the old next-retry time;
 *	"postqueue -f" and "-s SITE" flush others too and "postsuper -r"
 *	gives new queue ids. done = ids released from hold.
 *
 *	give back: RELEASE = -H; BOUNCE and EXPIRE = "postsuper -f -"
 *	(expire and release from hold in one step; -e alone leaves a held
 *	message held) then "postqueue -i" per id, so Postfix returns the
 *	message to its sender now. done = ids postsuper reported expired or
 *	released.
 *
 *	A parsing instance (cfg->host set: the unprivileged daemon) gets the
 *	listing's bytes and the log's descriptors from the host and runs
 *	nothing; list_raw and open_file are what the host's other side (the
 *	privileged helper's instance) does for it.
 *
 *	outcomes reads the log incrementally (postfix_log.c) and saves
 *	nothing: it returns the position after what it read (tag PFL1: the
 *	file's device, inode and offset; PFJ1: a journal cursor) and retryd
 *	commits it with the outcomes, then hands it back (outcomes_seek).
 *	Before that, outcomes_tell gives the position of the old position
 *	file STATE_DIR/postfix-log.offset (or postfix-journal.cursor) when
 *	there is one (an upgrade: it is removed at the first seek), else the
 *	end of the log as it was at open().
 *
 *	Owns: the state (struct postfix_state) from open() until close();
 *	listings and outcomes until their *_free().
 * DIAGNOSTICS
 *	"postsuper -h: ..." and the like in err; skipped listing lines and
 *	malformed log lines are logged (masked, bounded, rate-limited).
 * SECURITY
 *	argv only, never a shell; postqueue and postsuper are found in PATH
 *	or /usr/sbin at open(). Every id is checked with postfix_id_valid()
 *	first and a batch with one bad id (ALL, -x, a vowel, a newline) is
 *	refused before anything runs. Every command has a timeout.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/log.h"
#include "util/spawn.h"
#include "plugin.h"
#include "postfix_cmd.h"
#include "postfix_id.h"
#include "postfix_log.h"
#include "mta_file.h"
#include "mta_pos.h"
#include "mta_raw.h"
#include "postfix_queue.h"

#define POSTFIX_POS_FILE       "postfix-log.offset"
#define POSTFIX_JOURNAL_CURSOR "postfix-journal.cursor"
#define POSTFIX_JOURNAL_IDENT  "postfix"
#define POSTFIX_DEFAULT_LOG    "/var/log/mail.log"
#define POSTFIX_POS_TAG_FILE   "PFL1"
#define POSTFIX_POS_TAG_JRNL   "PFJ1"

/* ---- helpers ---- */

/* Find @param name in PATH, then /usr/sbin. @return a malloc'd path. */
static char *postfix_which(const char *name)
{
	const char *path = getenv("PATH");
	char *copy = strdup(path ? path : ""), *save = NULL, *dir,
	     *found = NULL;
	char buf[4096];

	for (dir = copy ? strtok_r(copy, ":", &save) : NULL; dir && !found;
	     dir = strtok_r(NULL, ":", &save)) {
		if (dir[0] != '/')
			continue; /* never a relative PATH entry */
		snprintf(buf, sizeof(buf), "%s/%s", dir, name);
		if (access(buf, X_OK) == 0)
			found = strdup(buf);
	}
	free(copy);
	if (!found) {
		snprintf(buf, sizeof(buf), "/usr/sbin/%s", name);
		if (access(buf, X_OK) == 0)
			found = strdup(buf);
	}
	return found;
}

/* ---- open / close ---- */

static void postfix_close(void *state)
{
	struct postfix_state *st = state;

	if (st == NULL)
		return;
	free(st->postqueue);
	free(st->postsuper);
	free(st->config_dir);
	free(st->log_file);
	free(st->pos_file);
	free(st->dpos_file);
	free(st->flush_socket);
	free(st->queue_dir);
	free(st);
}

/* log_file = journal:[DIR]: the old saved cursor, or the end. */
static int postfix_journal_init(struct postfix_state *st, char *err,
				size_t errlen)
{
	int rc = st->pos_file ? log_journal_cursor_load(st->pos_file, &st->jcur,
							err, errlen)
			      : 0;

	if (rc < 0)
		log_warn("postfix: %.300s: starting at the end of the journal",
			 err);
	if (rc > 0)
		return 0;
	return log_journal_cursor_end(st->journal_dir, &st->jcur, err, errlen);
}

static int postfix_open(const struct mta_config *cfg, void **state, char *err,
			size_t errlen)
{
	struct postfix_state *st = calloc(1, sizeof(*st));
	int rc;

	*state = NULL;
	if (st == NULL) {
		snprintf(err, errlen, "postfix: out of memory");
		return -1;
	}
	st->postqueue = postfix_which("postqueue");
	st->postsuper = postfix_which("postsuper");
	if (!st->postqueue || !st->postsuper) {
		snprintf(err, errlen,
			 "postfix: %s not found in PATH or /usr/sbin "
			 "(is Postfix installed?)",
			 st->postqueue ? "postsuper" : "postqueue");
		goto fail;
	}
	if (cfg->config_dir && cfg->config_dir[0] == '-') {
		snprintf(err, errlen,
			 "postfix: config_dir must not start with '-'");
		goto fail;
	}
	st->host = cfg->host;
	st->config_dir = cfg->config_dir ? strdup(cfg->config_dir) : NULL;
	st->log_file =
	    strdup(cfg->log_file ? cfg->log_file : POSTFIX_DEFAULT_LOG);
	st->journal =
	    st->log_file && log_journal_source(st->log_file, &st->journal_dir);
	if (cfg->state_dir) {
		size_t l =
		    strlen(cfg->state_dir) + sizeof(POSTFIX_JOURNAL_CURSOR) + 2;
		if ((st->pos_file = malloc(l)) != NULL)
			snprintf(st->pos_file, l, "%s/%s", cfg->state_dir,
				 st->journal ? POSTFIX_JOURNAL_CURSOR
					     : POSTFIX_POS_FILE);
	}
	if ((cfg->config_dir && !st->config_dir) || !st->log_file ||
	    (cfg->state_dir && !st->pos_file)) {
		snprintf(err, errlen, "postfix: out of memory");
		goto fail;
	}
	if (st->journal && st->host) {
		snprintf(err, errlen,
			 "postfix: log_file %.200s: a journal is read by the "
			 "privileged helper, not by a parsing instance",
			 st->log_file);
		goto fail;
	}
	if (st->journal) {
		if (postfix_journal_init(st, err, errlen) < 0)
			goto fail;
		*state = st;
		return 0;
	}
	rc = st->pos_file
		 ? postfix_log_pos_load(st->pos_file, &st->pos, err, errlen)
		 : 0;
	if (rc < 0)
		log_warn(
		    "postfix: %.300s: starting at the end of %.200s "
		    "(outcomes logged meanwhile are settled by the listing)",
		    err, st->log_file);
	if (rc <= 0 && postfix_log_pos_end(st->log_file, st->host, &st->pos,
					   err, errlen) < 0)
		goto fail;
	if (postfix_discover_open(st, cfg->state_dir, err, errlen) < 0 ||
	    postfix_flush_dir(st, err, errlen) < 0)
		goto fail;
	*state = st;
	return 0;
fail:
	postfix_close(st);
	return -1;
}

static int postfix_valid_id(const char *id)
{
	return postfix_id_valid(id);
}

/* ---- scan ---- */

struct postfix_scan_ctx {
	size_t reported;
	struct postfix_queue_stream *stream;
	int failed; /* the parser or its caller said stop */
	char *err;
	size_t errlen;
};

static void postfix_scan_bad(void *ctx, size_t lineno, const char *id,
			     const char *why)
{
	struct postfix_scan_ctx *c = ctx;

	if (c->reported++ < 20)
		log_warn("postqueue -j: line %zu%s%s: %s: skipped", lineno,
			 id[0] ? ", queue id " : "", id, why);
	else if (c->reported == 21)
		log_warn(
		    "postqueue -j: more lines skipped (counted, not shown)");
}

/* The privileged primitive: run "postqueue -j", keep its bytes unread. */
static int postfix_list_raw(void *state, struct mta_raw *raw, char *err,
			    size_t errlen)
{
	struct postfix_state *st = state;
	struct spawn_result res;

	memset(raw, 0, sizeof(*raw));
	if (st->host != NULL)
		return st->host->list(st->host->arg, raw, err, errlen);
	if (postfix_run(st, st->postqueue, "-j", NULL, NULL, 0,
			POSTFIX_TIMEOUT_LIST_MS, &res, err, errlen) < 0)
		return -1;
	mta_raw_take(raw, &res);
	return 0;
}

static int postfix_open_file(void *state, enum mta_file which, const char *id,
			     char *err, size_t errlen)
{
	struct postfix_state *st = state;

	if (which == MTA_FILE_QDIR_DEFERRED || which == MTA_FILE_DEFER_LOG)
		return postfix_qdir_open(st, which, id, err, errlen);
	if (st->journal) {
		snprintf(err, errlen, "postfix: the log is a journal");
		errno = EINVAL;
		return -1;
	}
	return mta_file_open("log", st->log_file, st->host, which, err, errlen);
}

/* The privileged primitive streamed: "postqueue -j" to @param fn. */
static int postfix_list_stream(void *state, mta_bytes_fn fn, void *arg,
			       struct mta_raw *raw, char *err, size_t errlen)
{
	struct postfix_state *st = state;
	struct spawn_result res;

	memset(raw, 0, sizeof(*raw));
	if (st->host != NULL) {
		if (st->host->list_stream == NULL) {
			snprintf(err, errlen,
				 "postqueue -j: no streamed listing");
			return -1;
		}
		return st->host->list_stream(st->host->arg, fn, arg, raw, err,
					     errlen);
	}
	if (postfix_run_stream(st, st->postqueue, "-j", POSTFIX_TIMEOUT_LIST_MS,
			       fn, arg, &res, err, errlen) < 0)
		return -1;
	free(res.out);
	mta_raw_take_status(raw, &res);
	return 0;
}

/* postqueue's bytes into the stream parser. */
static int postfix_scan_feed(void *arg, const char *p, size_t n)
{
	struct postfix_scan_ctx *c = arg;

	if (postfix_queue_stream_feed(c->stream, p, n, c->err, c->errlen) < 0) {
		c->failed = 1;
		return -1;
	}
	return 0;
}

static int postfix_scan_each(void *state, mta_message_fn fn, void *arg,
			     int *complete, size_t *skipped, char *err,
			     size_t errlen)
{
	struct postfix_state *st = state;
	struct postfix_scan_ctx ctx = {.err = err, .errlen = errlen};
	struct mta_raw res;
	char buf[300];
	int clean;

	*complete = 0;
	*skipped = 0;
	err[0] = '\0';
	ctx.stream = postfix_queue_stream_new(fn, arg, postfix_scan_bad, &ctx);
	if (ctx.stream == NULL) {
		snprintf(err, errlen, "postqueue -j: out of memory");
		return -1;
	}
	if (postfix_list_stream(st, postfix_scan_feed, &ctx, &res, err,
				errlen) < 0) {
		postfix_queue_stream_free(ctx.stream);
		return -1;
	}
	clean = postfix_queue_stream_end(ctx.stream, skipped);
	postfix_queue_stream_free(ctx.stream);
	postfix_log_stderr("postqueue -j", res.err);
	if (ctx.failed && err[0] != '\0') { /* out of memory */
		mta_raw_free(&res);
		return -1;
	}
	if (!ctx.failed &&
	    (!res.exited || res.exit_code != 0 || res.signal != 0))
		log_error(
		    "postqueue -j: %s (exit %d, signal %d): listing incomplete",
		    postfix_first_line(res.err, buf, sizeof(buf)),
		    res.exited ? res.exit_code : -1, res.signal);
	*complete = clean && !ctx.failed && res.exited && res.exit_code == 0;
	mta_raw_free(&res);
	return 0;
}

/* The whole listing in memory (preflight, retryctl): scan_each collected. */
static int postfix_scan(void *state, struct mta_listing *out, char *err,
			size_t errlen)
{
	struct postfix_queue_collector c = {.out = out};

	memset(out, 0, sizeof(*out));
	if (postfix_scan_each(state, postfix_queue_collect, &c, &out->complete,
			      &out->skipped, err, errlen) < 0 ||
	    c.nomem || postfix_queue_dedup(out) < 0) {
		if (c.nomem || err[0] == '\0')
			snprintf(err, errlen, "postqueue -j: out of memory");
		postfix_queue_free(out);
		return -1;
	}
	return 0;
}

static void postfix_listing_free(struct mta_listing *l)
{
	postfix_queue_free(l);
}

/* ---- hold, release, deliver, give back ---- */

static const char *const postfix_held[] = {"placed on hold"};
static const char *const postfix_released[] = {"released from hold"};
static const char *const postfix_expired[] = {"expired", "released from hold"};

static int postfix_hold(void *state, const char *const *ids, size_t n,
			size_t *done, char *err, size_t errlen)
{
	*done = 0;
	if (postfix_check_ids("postsuper -h", ids, n, err, errlen) < 0)
		return -1;
	return postfix_super(state, "-h", postfix_held, 1, ids, n, done, err,
			     errlen);
}

static int postfix_release(void *state, const char *const *ids, size_t n,
			   size_t *done, char *err, size_t errlen)
{
	*done = 0;
	if (postfix_check_ids("postsuper -H", ids, n, err, errlen) < 0)
		return -1;
	return postfix_super(state, "-H", postfix_released, 1, ids, n, done,
			     err, errlen);
}

static int postfix_deliver(void *state, const char *const *ids, size_t n,
			   size_t *done, char *err, size_t errlen)
{
	*done = 0;
	if (postfix_check_ids("deliver", ids, n, err, errlen) < 0)
		return -1;
	return postfix_deliver_now(state, ids, n, done, err, errlen);
}

static int postfix_giveback(void *state, const char *const *ids, size_t n,
			    enum mta_giveback how, size_t *done, char *err,
			    size_t errlen)
{
	*done = 0;
	if (postfix_check_ids("giveback", ids, n, err, errlen) < 0)
		return -1;
	if (how == MTA_GIVEBACK_RELEASE)
		return postfix_super(state, "-H", postfix_released, 1, ids, n,
				     done, err, errlen);
	if (how != MTA_GIVEBACK_BOUNCE && how != MTA_GIVEBACK_EXPIRE) {
		snprintf(err, errlen, "giveback: unknown mode %d", (int)how);
		return -1;
	}
	if (postfix_super(state, "-f", postfix_expired, 2, ids, n, done, err,
			  errlen) < 0)
		return -1;
	return postfix_flush(state, ids, n, err, errlen);
}

/* ---- outcomes ---- */

struct postfix_collect {
	const char **sorted; /* requested ids, NULL: every id */
	size_t n;
	struct mta_outcomes *out;
	size_t cap;
	int64_t now;
	long tzoff;
	int nomem;
};

static int postfix_collect_line(void *ctx, const char *line, size_t len,
				int64_t lineno)
{
	struct postfix_collect *c = ctx;
	struct postfix_log_entry e;
	struct mta_outcome *o;
	const char *key;

	switch (postfix_log_parse(line, len, c->now, c->tzoff, &e)) {
	case POSTFIX_LOG_MALFORMED: {
		char text[121], masked[121];
		size_t k = len < sizeof(text) - 1 ? len : sizeof(text) - 1;
		memcpy(text, line, k);
		text[k] = '\0';
		log_warn_limited("postfix-log-malformed", 60,
				 "postfix log: %s: skipped: %.120s", e.why,
				 log_printable(masked, sizeof(masked), text));
		return 0;
	}
	case POSTFIX_LOG_RCPT:
	case POSTFIX_LOG_EXPIRED:
		break;
	default:
		return 0;
	}
	(void)lineno;
	key = e.id;
	if (c->sorted &&
	    !bsearch(&key, c->sorted, c->n, sizeof(*c->sorted), postfix_cmp))
		return 0;
	if (c->out->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		o = realloc(c->out->items, cap * sizeof(*o));
		if (o == NULL) {
			c->nomem = 1;
			return 1;
		}
		c->out->items = o;
		c->cap = cap;
	}
	o = &c->out->items[c->out->n++];
	memset(o, 0, sizeof(*o));
	snprintf(o->queue_id, sizeof(o->queue_id), "%s", e.id);
	snprintf(o->address, sizeof(o->address), "%s", e.address);
	o->status = e.status;
	snprintf(o->dsn, sizeof(o->dsn), "%s", e.dsn);
	snprintf(o->text, sizeof(o->text), "%s", e.text);
	o->time = e.time;
	return c->out->n >= LIMIT_OUTCOMES_PER_CALL; /* the rest next call */
}

static void postfix_outcomes_free(struct mta_outcomes *o)
{
	if (o == NULL)
		return;
	free(o->items);
	o->items = NULL;
	o->n = 0;
}

/* Read the log (file or journal) from the position (saved by retryd). */
static int postfix_follow(struct postfix_state *st, struct postfix_collect *c,
			  char *err, size_t errlen)
{
	if (st->journal)
		return log_journal_follow(
		    st->journal_dir, POSTFIX_JOURNAL_IDENT, LOG_JOURNAL_POSTFIX,
		    &st->jcur, postfix_collect_line, c, err, errlen);
	return postfix_log_follow(st->log_file, st->host, &st->pos,
				  postfix_collect_line, c, err, errlen);
}

static int postfix_outcomes_tell(void *state, struct mta_pos *pos, char *err,
				 size_t errlen)
{
	struct postfix_state *st = state;
	struct postfix_log_pos p = st->pos;

	(void)err;
	(void)errlen;
	if (st->journal) {
		mta_pos_pack(pos, POSTFIX_POS_TAG_JRNL, &st->jcur,
			     sizeof(st->jcur));
		return 0;
	}
	p.gap = 0;
	mta_pos_pack(pos, POSTFIX_POS_TAG_FILE, &p, sizeof(p));
	return 0;
}

static int postfix_outcomes_seek(void *state, const struct mta_pos *pos,
				 char *err, size_t errlen)
{
	struct postfix_state *st = state;
	struct log_journal_cursor j;
	struct postfix_log_pos p;

	if (st->journal) {
		if (mta_pos_unpack(pos, POSTFIX_POS_TAG_JRNL, &j, sizeof(j),
				   "postfix", err, errlen) < 0)
			return -1;
		j.text[sizeof(j.text) - 1] = '\0';
		st->jcur = j;
	} else {
		if (mta_pos_unpack(pos, POSTFIX_POS_TAG_FILE, &p, sizeof(p),
				   "postfix", err, errlen) < 0)
			return -1;
		p.gap = 0;
		st->pos = p;
	}
	mta_pos_forget_file(st->pos_file); /* retryd keeps it from now on */
	free(st->pos_file);
	st->pos_file = NULL;
	return 0;
}

static int postfix_outcomes(void *state, const char *const *ids, size_t n,
			    struct mta_outcomes *out, char *err, size_t errlen)
{
	struct postfix_state *st = state;
	struct postfix_log_pos saved = st->pos;
	struct log_journal_cursor jsaved = st->jcur;
	struct postfix_collect c = {.out = out, .n = n};
	struct tm tm;
	time_t now = time(NULL);

	memset(out, 0, sizeof(*out));
	if (postfix_check_ids("outcomes", ids, n, err, errlen) < 0)
		return -1;
	c.now = (int64_t)now;
	c.tzoff = localtime_r(&now, &tm) ? tm.tm_gmtoff : 0;
	if (n > 0) {
		if ((c.sorted = malloc(n * sizeof(*c.sorted))) == NULL) {
			snprintf(err, errlen, "outcomes: out of memory");
			return -1;
		}
		memcpy(c.sorted, ids, n * sizeof(*c.sorted));
		qsort(c.sorted, n, sizeof(*c.sorted), postfix_cmp);
	}
	if (postfix_follow(st, &c, err, errlen) < 0 || c.nomem) {
		if (c.nomem)
			snprintf(err, errlen, "outcomes: out of memory");
		st->pos = saved; /* read again next time */
		st->jcur = jsaved;
		free(c.sorted);
		postfix_outcomes_free(out);
		return -1;
	}
	free(c.sorted);
	out->more = out->n >= LIMIT_OUTCOMES_PER_CALL;
	return postfix_outcomes_tell(st, &out->pos, err, errlen);
}

static const struct mta_plugin postfix_plugin = {
    .abi = MTA_PLUGIN_ABI,
    .name = "postfix",
    .open = postfix_open,
    .close = postfix_close,
    .valid_id = postfix_valid_id,
    .scan = postfix_scan,
    .scan_each = postfix_scan_each,
    .discover = postfix_discover_each,
    .listing_free = postfix_listing_free,
    .hold = postfix_hold,
    .deliver = postfix_deliver,
    .release = postfix_release,
    .giveback = postfix_giveback,
    .outcomes = postfix_outcomes,
    .outcomes_free = postfix_outcomes_free,
    .outcomes_tell = postfix_outcomes_tell,
    .outcomes_seek = postfix_outcomes_seek,
    .list_raw = postfix_list_raw,
    .list_stream = postfix_list_stream,
    .open_file = postfix_open_file,
};

const struct mta_plugin *retryd_plugin(void)
{
	return &postfix_plugin;
}
