/*
 * NAME
 *	postfix_cmd 3h
 * SUMMARY
 *	running postqueue and postsuper for postfix.so (internal)
 * DESCRIPTION
 *	Shared by postfix.c (the plugin's methods) and postfix_cmd.c only:
 *	the plugin state, the command timeouts and the command runners
 *	(postsuper in batches, postqueue -i for the flush).
 *
 *	Ownership: struct postfix_state belongs to postfix.c (open() to
 *	close()); a spawn result filled by postfix_run() to its caller
 *	(spawn_result_free()).
 */
#ifndef RETRYD_POSTFIX_CMD_H
#define RETRYD_POSTFIX_CMD_H

#include <stddef.h>

#include "util/spawn.h"
#include "log_journal.h"
#include "mta_file.h"
#include "plugin.h"
#include "postfix_id.h"
#include "postfix_log.h"

/* postqueue -j of a big queue: 1,000,000 held took 260-300 s on the lab
 * box at load 3-10 and more than 300 s at load 14-16 (killed, listed
 * again at once, never done: bench_scale 16:27, 02e9832) */
#define POSTFIX_TIMEOUT_LIST_MS	 1800000
#define POSTFIX_TIMEOUT_SUPER_MS 120000 /* postsuper of one batch */
#define POSTFIX_TIMEOUT_FLUSH_MS 10000	/* postqueue -i of one id */

struct postfix_state {
	char *postqueue; /* absolute paths */
	char *postsuper;
	char *config_dir; /* NULL: Postfix's default */
	char *log_file;
	char *pos_file; /* the old position file (read at open, removed at
			 * the first outcomes_seek); NULL: none */
	struct postfix_log_pos pos;
	int journal;			/* log_file is "journal:[DIR]" */
	const char *journal_dir;	/* in log_file; NULL: system journal */
	struct log_journal_cursor jcur; /* journal: the position */
	const struct mta_host *host;	/* a parsing instance: its source */
	char *dpos_file; /* discovery's own position (postfix_discover.c) */
	struct postfix_log_pos dpos;
	int dgap; /* no saved discovery position: the first call says gap */
	char *flush_socket; /* QUEUE_DIRECTORY/public/flush; NULL: unknown */
	char *queue_dir;    /* QUEUE_DIRECTORY; NULL: unknown */
};

#define POSTFIX_QDIR_PART MTA_FILE_PART /* bytes of one path component */
#define POSTFIX_QDIR_SPEC (MTA_QDIR_DEPTH + 1 + POSTFIX_ID_MAX)

struct mta_discover;
struct mta_discover_msg;

/**
 * Check the spec of @param which (plugin.h: MTA_FILE_QDIR_DEFERRED or
 * MTA_FILE_DEFER_LOG) and split it into the path components under
 * QUEUE_DIR (at most MTA_QDIR_DEPTH + 2) in @param parts, *@param n of
 * them. Pure. @return 0, or -1: not a spec of that kind.
 */
int postfix_qdir_parts(enum mta_file which, const char *spec,
		       char parts[][POSTFIX_QDIR_PART], size_t *n);
/** Open what a spec names: itself, or through st->host. @return the
 *  descriptor, or -1 with errno and err. */
int postfix_qdir_open(const struct postfix_state *st, enum mta_file which,
		      const char *spec, char *err, size_t errlen);
/** The records of one defer log (@param text, cut in place) into the
 *  table as deferred recipients of @param m. */
void postfix_qdir_records(struct mta_discover *t, struct mta_discover_msg *m,
			  char *text);
/**
 * Every message of deferred/ with the recipients of its defer log into
 * @param t (postfix_qdir.c). @return 0 all read, 1 not all (the bound,
 * a defer log missing), -1 with err.
 */
int postfix_qdir_discover(const struct postfix_state *st,
			  struct mta_discover *t, char *err, size_t errlen);

/** Load (or start at the log's end) the discovery position. */
int postfix_discover_open(struct postfix_state *st, const char *state_dir,
			  char *err, size_t errlen);
/** The plugin's discover method (postfix_discover.c): each message
 *  deferred since the last call told to @param fn. */
int postfix_discover_each(void *state, mta_message_fn fn, void *arg, int *gap,
			  char *err, size_t errlen);
/** The same into @param out (never complete; free with
 *  postfix_queue_free). */
int postfix_discover(void *state, struct mta_listing *out, int *gap, char *err,
		     size_t errlen);

/** Connect to the Postfix service socket @param path (flush, or qmgr's
 *  trigger) with @param io_ms as its send timeout (postfix_flush.c).
 *  @return the descriptor, or -1 with why. */
int postfix_flush_connect(const char *path, int io_ms, char *why,
			  size_t whylen);
/** send_file over the flush socket for each id (postfix_flush.c).
 *  @return 0, or -1 (err) with *done ids answered before. */
int postfix_flush_socket(struct postfix_state *st, const char *const *ids,
			 size_t n, size_t *done, char *err, size_t errlen);
/**
 * Set the time of each held file of @param ids to now and ask for its
 * transport's unthrottling, as the flush server does (postfix_kick.c);
 * @param touched[i] = 1 for each one done. @return how many.
 */
size_t postfix_kick_touch(const struct postfix_state *st,
			  const char *const *ids, size_t n,
			  unsigned char *touched);

/** One deferred queue scan asked of the queue manager ("D" on its FIFO).
 *  @return 0, or -1 with why in err. */
int postfix_kick_scan(const struct postfix_state *st, char *err, size_t errlen);

/**
 * Deliver @param ids (validated) now: touched, released (postsuper -H),
 * one deferred scan; the others (and all when the scan cannot be asked)
 * flushed one by one. *@param done: ids released from hold.
 * @return 0, or -1 (err).
 */
int postfix_deliver_now(struct postfix_state *st, const char *const *ids,
			size_t n, size_t *done, char *err, size_t errlen);

/** Find the flush socket (postconf -h queue_directory). @return 0. */
int postfix_flush_dir(struct postfix_state *st, char *err, size_t errlen);

/** strcmp() on two (const char *) array elements, for qsort/bsearch. */
int postfix_cmp(const void *a, const void *b);

/**
 * The first line of @param s (may be NULL), masked and bounded, in
 * @param buf ("(no message)" when empty). @return @param buf.
 */
const char *postfix_first_line(const char *s, char *buf, size_t len);

/** Log the warning/fatal/error lines of @param s (at most 5), masked. */
void postfix_log_stderr(const char *what, const char *s);

/**
 * Refuse the whole batch when one id is not a Postfix queue id.
 * @return 0, or -1 with "WHAT: refused: ..." in @param err.
 */
int postfix_check_ids(const char *what, const char *const *ids, size_t n,
		      char *err, size_t errlen);

/**
 * Run "PROG [-c DIR] OPT [ARG]" (argv, no shell) with @param input on
 * standard input. @return 0 when it ran, whatever its exit code
 * (@param res then owned by the caller); -1 with a reason.
 */
int postfix_run(const struct postfix_state *st, const char *prog,
		const char *opt, const char *arg, const char *input,
		size_t inputlen, int timeout_ms, struct spawn_result *res,
		char *err, size_t errlen);
/** postfix_run() with stdout streamed to @param fn (spawn_run_stream). */
int postfix_run_stream(const struct postfix_state *st, const char *prog,
		       const char *opt, int timeout_ms, spawn_out_fn fn,
		       void *arg, struct spawn_result *res, char *err,
		       size_t errlen);

/**
 * "postsuper OPT -" over @param ids (already validated) in batches of
 * LIMIT_BATCH_IDS; @param done counts the ids postsuper reported with
 * one of @param phrases. @return 0, or -1 (out of memory, could not
 * run, postsuper failed).
 */
int postfix_super(struct postfix_state *st, const char *opt,
		  const char *const *phrases, size_t nphrases,
		  const char *const *ids, size_t n, size_t *done, char *err,
		  size_t errlen);

/**
 * "postqueue -i ID" for each of @param ids (already validated), a few
 * at once; no more are started after the first failure.
 * @return 0, or -1 with the count of ids not flushed in @param err.
 */
int postfix_flush(struct postfix_state *st, const char *const *ids, size_t n,
		  char *err, size_t errlen);

#endif
