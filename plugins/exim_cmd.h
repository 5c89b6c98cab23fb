/*
 * NAME
 *	exim_cmd 3h
 * SUMMARY
 *	running exim commands and confirming what they did (exim.so internals)
 * DESCRIPTION
 *	Shared by exim.c (the plugin's methods), exim_cmd.c,
 *	exim_discover.c and exim_spool.c only: the plugin state, the timeouts, the batch of
 *	requested ids and the command runners with their confirmation
 *	(stdout for -Mf/-Mt, the main log for -M/-Mg).
 *
 *	Ownership: struct exim_state belongs to exim.c (open() to close());
 *	a struct exim_batch to its caller (exim_batch_free()); a spawn
 *	result filled by exim_run() to its caller (spawn_result_free(), also
 *	after a failure).
 */
#ifndef RETRYD_EXIM_CMD_H
#define RETRYD_EXIM_CMD_H

#include <stddef.h>

#include "util/spawn.h"
#include "exim_known.h"
#include "exim_log.h"
#include "log_journal.h"
#include "plugin.h"

#define EXIM_TIMEOUT_LIST_MS	300000	/* exim -bpr of a big queue */
#define EXIM_TIMEOUT_ACTION_MS	120000	/* -Mf / -Mt / -Mg of one batch */
#define EXIM_TIMEOUT_DELIVER_MS 1800000 /* -M: real deliveries, one by one */
#define EXIM_ACTION_PARALLEL	8	/* -Mf/-Mt/-M/-Mg processes at once */
#define EXIM_ACTION_SLICE	32	/* ids at least per such process */
#define EXIM_JOURNAL_IDENT	"exim"	/* SYSLOG_IDENTIFIER prefix */

struct exim_state {
	char *binary;
	char *config; /* NULL: Exim's default */
	char *log_file;
	char *cursor_file; /* the old cursor file (read at open, removed
			    * at the first outcomes_seek); NULL: none */
	char *spool;
	int split_spool;
	struct exim_log_cursor cur;
	int journal;			/* log_file is "journal:[DIR]" */
	const char *journal_dir;	/* in log_file; NULL: system journal */
	struct log_journal_cursor jcur; /* journal: the position */
	const struct mta_host *host;	/* a parsing instance: its source */
	/* discovery (exim_discover.c): its own position, apart */
	char *dcursor_file; /* NULL: no state_dir, kept in memory */
	struct exim_log_cursor dcur;
	struct log_journal_cursor djcur;
	int dgap; /* no saved position: the first call says gap */
	/* spool discovery after a gap (exim_spool.c): the ids told by the
	 * last complete full listing and by discoveries since; known_ready
	 * once a complete full listing filled it (before: a gap means a
	 * full listing); known_next is filled by the listing under way */
	struct exim_known known, known_next;
	int known_ready;
};

/* The requested ids of one call, sorted, with a seen mark each. */
struct exim_batch {
	const char **ids;
	unsigned char *seen;
	size_t n;
	size_t marked;
};

/** The local time's offset from UTC now, in seconds (0 when unknown). */
long exim_tzoff(void);

/**
 * Copy and sort @param ids (@param n of them) into @param b.
 * @return 0, or -1 (out of memory; @param b is empty).
 */
int exim_batch_init(struct exim_batch *b, const char *const *ids, size_t n);
/** Free what exim_batch_init() allocated. */
void exim_batch_free(struct exim_batch *b);
/** @return 1 when @param id is in the batch (and marks it seen), else 0. */
int exim_batch_mark(struct exim_batch *b, const char *id);

/**
 * Refuse the whole batch when one id is not an Exim id.
 * @return 0, or -1 with "exim WHAT: invalid message id ..." in @param err.
 */
int exim_check_ids(const char *what, const char *const *ids, size_t n,
		   char *err, size_t errlen);

/**
 * Run "exim [-C config] OPT IDS..." (argv, no shell).
 * @return 0 when it ran, whatever its exit code; -1 with a reason.
 */
int exim_run(const struct exim_state *st, const char *opt,
	     const char *const *ids, size_t n, int timeout_ms,
	     struct spawn_result *res, char *err, size_t errlen);

/**
 * Run "exim [-C config] OPT" with its standard output streamed to
 * @param fn (spawn_run_stream: nothing kept, no output bound).
 * @return 0 when it ran, whatever its exit code; -1 with a reason.
 */
int exim_run_stream(const struct exim_state *st, const char *opt,
		    int timeout_ms, spawn_out_fn fn, void *arg,
		    struct spawn_result *res, char *err, size_t errlen);

/* exim_list.c: the listing, exim -bpr */

/** The plugin's list_raw: exim -bpr's bytes unread (the host's list in
 *  a parsing instance). @return 0, or -1 with err. */
int exim_list_raw(void *state, struct mta_raw *raw, char *err, size_t errlen);
/** The plugin's list_stream: exim -bpr's bytes to @param fn as they come
 *  (the host's list_stream in a parsing instance). */
int exim_list_stream(void *state, mta_bytes_fn fn, void *arg,
		     struct mta_raw *raw, char *err, size_t errlen);
/**
 * The whole of exim -bpr in @param res (res->out, outlen; out_truncated
 * when longer than LIMIT_EXIM_LISTING: the listing is then incomplete),
 * streamed from the helper when it can, checked (exit 0).
 * @return 0, or -1 with err (@param res freed).
 */
int exim_list_bytes(struct exim_state *st, struct spawn_result *res, char *err,
		    size_t errlen);

/** The first line of @param res's stderr, masked, in @param buf. */
const char *exim_stderr(const struct spawn_result *res, char *buf, size_t len);

/**
 * exim OPT ids in batches of at most LIMIT_BATCH_IDS, up to
 * EXIM_ACTION_PARALLEL processes at once; an id counts as done
 * (in @param done) when a line says "Message ID <ok1>" or
 * "Message ID <ok2>"; other lines are logged.
 * @return 0, or -1 (bad id, out of memory, could not run).
 */
int exim_stdout_action(struct exim_state *st, const char *opt, const char *ok1,
		       const char *ok2, const char *const *ids, size_t n,
		       size_t *done, char *err, size_t errlen);

/**
 * exim OPT ids in batches of LIMIT_BATCH_IDS, each split among up to
 * EXIM_ACTION_PARALLEL processes at once; an id counts as done when
 * the main log gained a line of one of @param kinds (bit per enum
 * exim_log_kind) for it while the command ran (even one killed on
 * timeout).
 * @return 0, or -1 (bad id, out of memory, could not run or read the log).
 */
int exim_log_action(struct exim_state *st, const char *opt, unsigned kinds,
		    int timeout_ms, const char *const *ids, size_t n,
		    size_t *done, char *err, size_t errlen);

#endif
