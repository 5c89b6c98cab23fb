/*
 * NAME
 *	exim 3
 * SUMMARY
 *	the Exim 4 adapter (exim.so): scan, freeze, thaw, deliver, give back
 * SYNOPSIS
 *	retryd_plugin() -> struct mta_plugin
 * DESCRIPTION
 *	scan runs "exim -bpr" (4.96 has no -bpj; exipick needs perl and is
 *	slower) and reads the msglog (spool/msglog/ID, its last
 *	LIMIT_MSGLOG_TAIL bytes) of each listed message not frozen for the
 *	last defer reason of every recipient (a frozen one is held: its
 *	reasons are not needed). The arrival time is the one encoded in the
 *	message id.
 *
 *	hold = exim -Mf, release = -Mt, deliver = -M (it thaws too), give
 *	back: RELEASE = -Mt; BOUNCE and EXPIRE = -Mg (Exim has no expire:
 *	giving up bounces at once; logged). exim_cmd.c runs these commands
 *	(up to LIMIT_BATCH_IDS ids per process, on argv; a batch with one
 *	bad id is refused before anything runs) and confirms what they did:
 *	-Mf/-Mt from their output, -M/-Mg from the main log, never from the
 *	exit code.
 *
 *	The listing (exim_list.c) is streamed by the privileged helper
 *	(list_stream: it keeps none of it) and collected whole by the
 *	instance that parses it, up to LIMIT_EXIM_LISTING bytes.
 *
 *	discover (exim_discover.c) reads new deferrals (== lines) from the
 *	main log from its own cursor (STATE_DIR/exim-discover.cursor): no
 *	listing, no msglog opened; after a gap in the log it reads the
 *	spool's input directory instead (exim_spool.c: the -H files of the
 *	messages not known, those this instance's last complete full
 *	listing and discoveries did not tell). scan, open_file's msglogs
 *	and the spool's input directory and -H files: exim_spool.c.
 *
 *	outcomes reads the main log incrementally from a cursor (device,
 *	inode, offset; or a journal cursor) and saves nothing: it returns
 *	the cursor after what it read (tag EXL1 or EXJ1) for retryd to
 *	commit with the outcomes and hand back (outcomes_seek). Before that,
 *	outcomes_tell gives the cursor of the old file
 *	STATE_DIR/exim-log.cursor (or exim-journal.cursor) when there is
 *	one (an upgrade: removed at the first seek), else the end of the
 *	log as it was at open().
 *	Ownership: the state from open() until close(); listings and
 *	outcomes until their *_free().
 * DIAGNOSTICS
 *	"exim -Mf: ..." in err; malformed listing and log lines are logged
 *	with their line number and skipped.
 * SECURITY
 *	argv only, never a shell. Ids are validated (they never start with
 *	'-'). Texts from the spool and the log are masked before use.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/log.h"
#include "util/spawn.h"
#include "exim_cmd.h"
#include "exim_discover.h"
#include "exim_id.h"
#include "exim_log.h"
#include "mta_file.h"
#include "mta_pos.h"
#include "exim_queue.h"
#include "exim_spool.h"
#include "plugin.h"

#define EXIM_CURSOR_FILE    "exim-log.cursor"
#define EXIM_JOURNAL_CURSOR "exim-journal.cursor"
#define EXIM_POS_TAG_FILE   "EXL1"
#define EXIM_POS_TAG_JRNL   "EXJ1"

/* ---- open / close ---- */

static void exim_close(void *state)
{
	struct exim_state *st = state;

	if (st == NULL)
		return;
	free(st->binary);
	free(st->config);
	free(st->log_file);
	free(st->cursor_file);
	free(st->dcursor_file);
	free(st->spool);
	exim_known_free(&st->known);
	exim_known_free(&st->known_next);
	free(st);
}

/* spool_directory and split_spool_directory from exim -bP. */
static int exim_spool_settings(struct exim_state *st, char *err, size_t errlen)
{
	static const char *const names[] = {"spool_directory",
					    "split_spool_directory"};
	struct spawn_result res;
	char msg[256];
	char *line, *save = NULL;

	if (exim_run(st, "-bP", names, 2, EXIM_TIMEOUT_ACTION_MS, &res, err,
		     errlen) < 0) {
		spawn_result_free(&res);
		return -1;
	}
	for (line = strtok_r(res.out, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "spool_directory = ", 18) == 0 &&
		    line[18] == '/')
			st->spool = strdup(line + 18);
		else if (strcmp(line, "split_spool_directory") == 0)
			st->split_spool = 1;
	}
	if (st->spool == NULL) {
		snprintf(err, errlen,
			 "exim -bP spool_directory: no answer (exit %d: %s)",
			 res.exit_code, exim_stderr(&res, msg, sizeof(msg)));
		spawn_result_free(&res);
		return -1;
	}
	spawn_result_free(&res);
	return 0;
}

/* log_file = journal:[DIR]: load the saved cursor, or start at the end. */
static int exim_journal_init(struct exim_state *st, char *err, size_t errlen)
{
	int rc = st->cursor_file ? log_journal_cursor_load(
				       st->cursor_file, &st->jcur, err, errlen)
				 : 0;

	if (rc < 0)
		log_warn("exim: %.300s: starting at the end of the journal",
			 err);
	if (rc > 0)
		return 0;
	return log_journal_cursor_end(st->journal_dir, &st->jcur, err, errlen);
}

static int exim_open(const struct mta_config *cfg, void **state, char *err,
		     size_t errlen)
{
	struct exim_state *st;
	int rc;

	*state = NULL;
	if (cfg->binary == NULL || cfg->binary[0] != '/' ||
	    (cfg->host == NULL && access(cfg->binary, X_OK) < 0)) {
		snprintf(err, errlen,
			 "exim: binary \"%.200s\" is not an executable"
			 " absolute path",
			 cfg->binary ? cfg->binary : "");
		return -1;
	}
	if (cfg->log_file == NULL ||
	    (cfg->log_file[0] != '/' &&
	     strncmp(cfg->log_file, LOG_JOURNAL_PREFIX,
		     strlen(LOG_JOURNAL_PREFIX)) != 0)) {
		snprintf(err, errlen,
			 "exim: log_file must be an absolute path"
			 " (the main log, where outcomes are read)"
			 " or journal:[DIR]");
		return -1;
	}
	if ((st = calloc(1, sizeof(*st))) == NULL ||
	    (st->binary = strdup(cfg->binary)) == NULL ||
	    (cfg->config && (st->config = strdup(cfg->config)) == NULL) ||
	    (st->log_file = strdup(cfg->log_file)) == NULL ||
	    (cfg->state_dir &&
	     asprintf(&st->cursor_file, "%s/%s", cfg->state_dir,
		      log_journal_source(cfg->log_file, &st->journal_dir)
			  ? EXIM_JOURNAL_CURSOR
			  : EXIM_CURSOR_FILE) < 0)) {
		if (st != NULL)
			st->cursor_file = NULL;
		exim_close(st);
		snprintf(err, errlen, "exim: out of memory");
		return -1;
	}
	st->host = cfg->host;
	st->journal = log_journal_source(st->log_file, &st->journal_dir);
	if (st->host && st->journal) {
		snprintf(err, errlen,
			 "exim: log_file %.200s: a journal is read by the "
			 "privileged helper, not by a parsing instance",
			 st->log_file);
		exim_close(st);
		return -1;
	}
	/* A parsing instance runs nothing: the helper's instance knows
	 * the spool (it opens the message logs). */
	if (st->host == NULL && exim_spool_settings(st, err, errlen) < 0) {
		exim_close(st);
		return -1;
	}
	if (exim_discover_open(st, cfg->state_dir, err, errlen) < 0) {
		exim_close(st);
		return -1;
	}
	if (st->journal) {
		if (exim_journal_init(st, err, errlen) < 0) {
			exim_close(st);
			return -1;
		}
		*state = st;
		return 0;
	}
	rc = st->cursor_file
		 ? exim_log_cursor_load(st->cursor_file, &st->cur, err, errlen)
		 : 0;
	if (rc < 0)
		log_warn("exim: %.300s: starting at the end of %.200s "
			 "(outcomes logged meanwhile are settled by the "
			 "listing)",
			 err, st->log_file);
	if (rc <= 0)
		rc = exim_log_cursor_end_host(st->log_file, st->host, &st->cur,
					      err, errlen);
	if (rc < 0) {
		exim_close(st);
		return -1;
	}
	*state = st;
	return 0;
}

static int exim_valid_id(const char *id)
{
	return exim_id_valid(id);
}

/* ---- scan ---- */

static void exim_scan_bad(void *ctx, size_t lineno, const char *why)
{
	(void)ctx;
	log_warn("exim -bpr:%zu: %s; entry skipped", lineno, why);
}

static int exim_open_file(void *state, enum mta_file which, const char *id,
			  char *err, size_t errlen)
{
	struct exim_state *st = state;

	if (which == MTA_FILE_MSGLOG || which == MTA_FILE_SPOOL_INPUT ||
	    which == MTA_FILE_SPOOL_HEADER)
		return exim_spool_open(st, which, id, err, errlen);
	if (st->journal) {
		snprintf(err, errlen, "exim: the log is a journal");
		errno = EINVAL;
		return -1;
	}
	return mta_file_open("exim log", st->log_file, st->host, which, err,
			     errlen);
}

/* Complete unless the parse stopped (rc 1) or the output was cut. */
static int exim_scan_complete(int rc, const struct spawn_result *res)
{
	if (rc == 0 && !res->out_truncated)
		return 1;
	log_warn("exim -bpr: listing cut short (%s): marked incomplete",
		 rc ? "too many messages, or the pass said stop"
		    : "output over the spawn limit");
	return 0;
}

static int exim_scan(void *state, struct mta_listing *out, char *err,
		     size_t errlen)
{
	struct exim_state *st = state;
	struct spawn_result res;
	char *buf;
	long tzoff = exim_tzoff();
	int rc;

	memset(out, 0, sizeof(*out));
	if (exim_list_bytes(st, &res, err, errlen) < 0)
		return -1;
	rc = exim_queue_parse(res.out, res.outlen, out, exim_scan_bad, NULL,
			      err, errlen);
	if (rc < 0) {
		spawn_result_free(&res);
		return -1;
	}
	out->complete = exim_scan_complete(rc, &res);
	spawn_result_free(&res);
	if ((buf = malloc(LIMIT_MSGLOG_TAIL)) == NULL) {
		exim_queue_free(out);
		snprintf(err, errlen, "exim scan: out of memory");
		return -1;
	}
	/* a frozen message is held (by retryd, or by someone else: then
	 * never adopted): its reasons are not needed */
	for (size_t i = 0; i < out->n; i++)
		if (!out->msgs[i].held)
			exim_spool_msglog_reasons(st, &out->msgs[i], buf,
						  tzoff);
	free(buf);
	return 0;
}

struct exim_each {
	struct exim_state *st;
	mta_message_fn fn;
	void *arg;
	char *buf; /* LIMIT_MSGLOG_TAIL bytes */
	long tzoff;
	int known_nomem;
};

/* One parsed entry: its msglog's reasons unless frozen, then told. The
 * listing's bytes are all read by now: opening the msglog through the
 * helper cannot interleave with them. */
static int exim_scan_one(void *arg, struct mta_message *m)
{
	struct exim_each *c = arg;

	if (!m->held)
		exim_spool_msglog_reasons(c->st, m, c->buf, c->tzoff);
	if (c->fn(c->arg, m) < 0)
		return -1;
	/* told: known to the daemon (spool discovery skips it) */
	if ((m->held || m->deferred) &&
	    exim_known_add(&c->st->known_next, m->queue_id) < 0)
		c->known_nomem = 1;
	return 0;
}

/* After a full listing: a complete one's ids replace the known set. */
static void exim_scan_known(struct exim_state *st, int complete, int nomem)
{
	if (complete && !nomem) {
		exim_known_free(&st->known);
		st->known = st->known_next;
		memset(&st->known_next, 0, sizeof(st->known_next));
		st->known_ready = 1;
		return;
	}
	exim_known_free(&st->known_next);
}

/* The full listing told message by message: only exim -bpr's bytes are
 * kept (about 100 a message), never the parsed listing (with its
 * 769-byte recipient slots, ~1.1 KB a message). */
static int exim_scan_each(void *state, mta_message_fn fn, void *arg,
			  int *complete, size_t *skipped, char *err,
			  size_t errlen)
{
	struct exim_state *st = state;
	struct exim_each c = {
	    .st = st, .fn = fn, .arg = arg, .tzoff = exim_tzoff()};
	struct spawn_result res;
	size_t told;
	int rc;

	*complete = 0;
	*skipped = 0;
	if (exim_list_bytes(st, &res, err, errlen) < 0)
		return -1;
	if ((c.buf = malloc(LIMIT_MSGLOG_TAIL)) == NULL) {
		spawn_result_free(&res);
		snprintf(err, errlen, "exim scan: out of memory");
		return -1;
	}
	rc =
	    exim_queue_parse_each(res.out, res.outlen, exim_scan_one, &c, &told,
				  skipped, exim_scan_bad, NULL, err, errlen);
	free(c.buf);
	if (rc >= 0)
		*complete = exim_scan_complete(rc, &res);
	exim_scan_known(st, rc >= 0 && *complete, c.known_nomem);
	spawn_result_free(&res);
	return rc < 0 ? -1 : 0;
}

static void exim_listing_free(struct mta_listing *l)
{
	exim_queue_free(l);
}

/* ---- freeze / thaw: confirmed from what exim printed ---- */

static int exim_hold(void *state, const char *const *ids, size_t n,
		     size_t *done, char *err, size_t errlen)
{
	return exim_stdout_action(state, "-Mf", "is now frozen",
				  "is already frozen", ids, n, done, err,
				  errlen);
}

static int exim_release(void *state, const char *const *ids, size_t n,
			size_t *done, char *err, size_t errlen)
{
	return exim_stdout_action(state, "-Mt", "is no longer frozen",
				  "is not frozen", ids, n, done, err, errlen);
}

/* ---- deliver / give up: confirmed from the main log ---- */

static int exim_deliver(void *state, const char *const *ids, size_t n,
			size_t *done, char *err, size_t errlen)
{
	return exim_log_action(
	    state, "-M",
	    1u << EXIM_LOG_DELIVERED | 1u << EXIM_LOG_ADDITIONAL |
		1u << EXIM_LOG_DEFERRED | 1u << EXIM_LOG_FAILED |
		1u << EXIM_LOG_COMPLETED,
	    EXIM_TIMEOUT_DELIVER_MS, ids, n, done, err, errlen);
}

static int exim_giveback(void *state, const char *const *ids, size_t n,
			 enum mta_giveback how, size_t *done, char *err,
			 size_t errlen)
{
	if (how == MTA_GIVEBACK_RELEASE)
		return exim_release(state, ids, n, done, err, errlen);
	if (how == MTA_GIVEBACK_EXPIRE)
		log_info(
		    "exim has no expire: giving back %zu message(s) with -Mg"
		    " (bounce now)",
		    n);
	return exim_log_action(
	    state, "-Mg", 1u << EXIM_LOG_CANCELLED | 1u << EXIM_LOG_FAILED,
	    EXIM_TIMEOUT_ACTION_MS, ids, n, done, err, errlen);
}

/* ---- outcomes ---- */

struct exim_collect {
	struct exim_batch *b; /* NULL: every id */
	struct mta_outcomes *out;
	size_t cap;
	const char *path;
	long tzoff;
	int oom;
};

static int exim_collect_line(void *ctx, const char *line, size_t len,
			     int64_t lineno)
{
	struct exim_collect *c = ctx;
	struct exim_log_entry e;
	struct mta_outcome *o;
	enum mta_outcome_status status;

	switch (exim_log_parse(line, len, c->tzoff, &e)) {
	case EXIM_LOG_MALFORMED:
		log_warn("%s:%lld: %s; line skipped", c->path,
			 (long long)lineno, e.text);
		return 0;
	case EXIM_LOG_DELIVERED:
	case EXIM_LOG_ADDITIONAL:
		status = MTA_OUTCOME_DELIVERED;
		break;
	case EXIM_LOG_DEFERRED:
		status = MTA_OUTCOME_DEFERRED;
		break;
	case EXIM_LOG_FAILED:
	case EXIM_LOG_CANCELLED: /* 4.96 -Mg: address "" = whole message */
		status = MTA_OUTCOME_BOUNCED;
		break;
	default:
		return 0;
	}
	if (c->b != NULL && !exim_batch_mark(c->b, e.id))
		return 0;
	if (c->out->n == c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 16;
		o = realloc(c->out->items, ncap * sizeof(*o));
		if (o == NULL) {
			c->oom = 1;
			return -1;
		}
		c->out->items = o;
		c->cap = ncap;
	}
	o = &c->out->items[c->out->n++];
	memset(o, 0, sizeof(*o));
	snprintf(o->queue_id, sizeof(o->queue_id), "%s", e.id);
	snprintf(o->address, sizeof(o->address), "%s", e.address);
	snprintf(o->dsn, sizeof(o->dsn), "%s", e.dsn);
	snprintf(o->text, sizeof(o->text), "%s", e.text);
	o->status = status;
	o->time = e.time;
	return c->out->n >= LIMIT_OUTCOMES_PER_CALL ? 1 : 0;
}

static int exim_outcomes_tell(void *state, struct mta_pos *pos, char *err,
			      size_t errlen)
{
	struct exim_state *st = state;

	(void)err;
	(void)errlen;
	if (st->journal)
		mta_pos_pack(pos, EXIM_POS_TAG_JRNL, &st->jcur,
			     sizeof(st->jcur));
	else
		mta_pos_pack(pos, EXIM_POS_TAG_FILE, &st->cur, sizeof(st->cur));
	return 0;
}

static int exim_outcomes_seek(void *state, const struct mta_pos *pos, char *err,
			      size_t errlen)
{
	struct exim_state *st = state;
	struct log_journal_cursor j;
	struct exim_log_cursor c;

	if (st->journal) {
		if (mta_pos_unpack(pos, EXIM_POS_TAG_JRNL, &j, sizeof(j),
				   "exim", err, errlen) < 0)
			return -1;
		j.text[sizeof(j.text) - 1] = '\0';
		st->jcur = j;
	} else {
		if (mta_pos_unpack(pos, EXIM_POS_TAG_FILE, &c, sizeof(c),
				   "exim", err, errlen) < 0)
			return -1;
		st->cur = c;
	}
	mta_pos_forget_file(st->cursor_file); /* retryd keeps it from now on */
	free(st->cursor_file);
	st->cursor_file = NULL;
	return 0;
}

static int exim_outcomes(void *state, const char *const *ids, size_t n,
			 struct mta_outcomes *out, char *err, size_t errlen)
{
	struct exim_state *st = state;
	struct exim_batch b;
	struct exim_collect c = {
	    .out = out, .path = st->log_file, .tzoff = exim_tzoff()};
	struct exim_log_cursor cur = st->cur;
	struct log_journal_cursor jcur = st->jcur;
	char why[256];

	memset(out, 0, sizeof(*out));
	if (n > 0) {
		if (exim_check_ids("outcomes", ids, n, err, errlen) < 0)
			return -1;
		if (exim_batch_init(&b, ids, n) < 0) {
			snprintf(err, errlen, "exim outcomes: out of memory");
			return -1;
		}
		c.b = &b;
	}
	if ((st->journal
		 ? log_journal_follow(st->journal_dir, EXIM_JOURNAL_IDENT,
				      LOG_JOURNAL_EXIM, &jcur,
				      exim_collect_line, &c, why, sizeof(why))
		 : exim_log_follow_host(st->log_file, st->host, &cur,
					exim_collect_line, &c, why,
					sizeof(why))) < 0) {
		if (c.oom)
			snprintf(err, errlen, "exim outcomes: out of memory");
		else
			snprintf(err, errlen, "exim outcomes: %s", why);
		if (c.b)
			exim_batch_free(&b);
		free(out->items);
		memset(out, 0, sizeof(*out));
		return -1;
	}
	if (c.b)
		exim_batch_free(&b);
	st->cur = cur;
	st->jcur = jcur;
	out->more = out->n >= LIMIT_OUTCOMES_PER_CALL;
	return exim_outcomes_tell(st, &out->pos, err, errlen);
}

static void exim_outcomes_free(struct mta_outcomes *o)
{
	free(o->items);
	memset(o, 0, sizeof(*o));
}

static const struct mta_plugin exim_plugin = {
    .abi = MTA_PLUGIN_ABI,
    .name = "exim",
    .open = exim_open,
    .close = exim_close,
    .valid_id = exim_valid_id,
    .scan = exim_scan,
    .discover = exim_discover_each,
    .listing_free = exim_listing_free,
    .scan_each = exim_scan_each,
    .hold = exim_hold,
    .deliver = exim_deliver,
    .release = exim_release,
    .giveback = exim_giveback,
    .outcomes = exim_outcomes,
    .outcomes_free = exim_outcomes_free,
    .outcomes_tell = exim_outcomes_tell,
    .outcomes_seek = exim_outcomes_seek,
    .list_raw = exim_list_raw,
    .list_stream = exim_list_stream,
    .open_file = exim_open_file,
};

const struct mta_plugin *retryd_plugin(void)
{
	return &exim_plugin;
}
