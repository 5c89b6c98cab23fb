/*
 * NAME
 *	plugin 3h
 * SUMMARY
 *	the interface every MTA adapter (postfix.so, exim.so) implements
 * DESCRIPTION
 *	retryd dlopen()s PLUGIN_DIR/NAME.so and calls its one exported
 *	symbol, retryd_plugin(), which returns a static vtable. The daemon
 *	checks abi == MTA_PLUGIN_ABI before any other call.
 *
 *	Every batch call takes validated queue ids; the plugin validates them
 *	again with its own alphabet (mta_plugin.valid_id) and refuses the
 *	whole batch if one is bad. External commands run with argv (never a
 *	shell); ids go on stdin, one per line, where the MTA allows it.
 *	Exit codes of postsuper/exim are not trusted: plugins read what the
 *	command printed and the MTA's log.
 *
 *	Ownership: the plugin owns its state (open .. close). Listings and
 *	outcome arrays are allocated by the plugin and freed with the
 *	matching *_free function of the same vtable.
 *
 *	Privilege separation: started as root, retryd opens the plugin
 *	twice. The privileged helper's instance (cfg->host == NULL) runs the
 *	MTA verbs and, for the other instance, only two primitives: list_raw
 *	(run the MTA's fixed listing command, return its bytes unread) and
 *	open_file (open the MTA's log, a rotated log, or a message's log
 *	read-only, chosen by kind, never by path). The unprivileged daemon's
 *	instance (cfg->host set) parses: scan and outcomes get their bytes
 *	through cfg->host, which asks the helper for those primitives. So
 *	nothing read from the MTA is parsed as root.
 */
#ifndef RETRYD_PLUGIN_H
#define RETRYD_PLUGIN_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "util/limits.h"

#define MTA_PLUGIN_ABI                                                         \
	5 /* 2: host, list_raw, open_file, discover;
	   * 3: scan_each, list_stream;
	   * 4: outcome positions kept by the host;
	   * 5: discover tells each message (no listing) */
#define MTA_PLUGIN_SYMBOL "retryd_plugin"

/* The files a parsing instance may have opened for it, by kind. */
enum mta_file {
	MTA_FILE_LOG = 1,    /* log_file */
	MTA_FILE_LOG_1 = 2,  /* log_file.1 (rotated) */
	MTA_FILE_LOG_0 = 3,  /* log_file.0 (rotated) */
	MTA_FILE_MSGLOG = 4, /* the message log of one queue id (exim) */
	/* postfix: the deferred queue directory or a defer log, read for
	 * discovery after a gap in the log. @param id of open_file is a
	 * spec, never a path: for the directory 0..MTA_QDIR_DEPTH hash
	 * characters [0-9A-Za-z] naming the subdirectory (NULL: the top),
	 * for the defer log "HASH.ID" or "ID" (HASH as above, ID a queue
	 * id). The privileged side builds the path from its own
	 * queue_directory. */
	MTA_FILE_QDIR_DEFERRED = 5, /* QUEUE_DIR/deferred[/H...] */
	MTA_FILE_DEFER_LOG = 6,	    /* QUEUE_DIR/defer[/H...]/ID */
	/* exim: the same two kinds and specs for the spool, read for
	 * discovery after a gap in the main log: the input directory
	 * (spec NULL, or its split subdirectory "H") and a message's -H
	 * file ("ID" or "H.ID"). */
	MTA_FILE_SPOOL_INPUT = MTA_FILE_QDIR_DEFERRED, /* SPOOL/input[/H] */
	MTA_FILE_SPOOL_HEADER = MTA_FILE_DEFER_LOG /* SPOOL/input[/H]/ID-H */
};
#define MTA_QDIR_DEPTH 4 /* hash levels a queue directory spec may name */

/* A listing command's result, unread (malloc'd; mta_raw_free it). */
struct mta_raw {
	char *out; /* stdout, NUL-terminated; outlen bytes */
	size_t outlen;
	int out_truncated; /* longer than the bound: listing incomplete */
	char *err;	   /* stderr, NUL-terminated, may be NULL */
	int exited, exit_code, signal;
};

/**
 * Told each chunk of a listing command's output as it arrives (@param p,
 * @param n bytes, valid for the call only). @return 0, or -1: stop.
 */
typedef int (*mta_bytes_fn)(void *arg, const char *p, size_t n);

/* What the privileged side does for a parsing instance (see above). */
struct mta_host {
	void *arg;
	/** Run the listing command. @return 0, or -1 with err. */
	int (*list)(void *arg, struct mta_raw *raw, char *err, size_t errlen);
	/**
	 * Open @param which read-only (@param id: the queue id for
	 * MTA_FILE_MSGLOG, the spec for MTA_FILE_QDIR_DEFERRED and
	 * MTA_FILE_DEFER_LOG (above), else NULL). @return the descriptor (the caller
	 * closes it), or -1 with errno (ENOENT: no such file) and err.
	 */
	int (*open_file)(void *arg, enum mta_file which, const char *id,
			 char *err, size_t errlen);
	/**
	 * Run the listing command with its output streamed to @param fn,
	 * nothing kept (may be NULL: use list). @param raw gets stderr and
	 * how it ended (raw->out NULL). @return 0, or -1 with err.
	 */
	int (*list_stream)(void *arg, mta_bytes_fn fn, void *fnarg,
			   struct mta_raw *raw, char *err, size_t errlen);
};

/* Settings the daemon passes from the policy ([postfix] or [exim]). */
struct mta_config {
	const char *config_dir; /* postfix: -c DIR; NULL = default */
	const char *binary;	/* exim: the exim binary; postfix: unused */
	const char *config;	/* exim: -C FILE; NULL = default */
	const char *log_file;	/* where delivery outcomes are logged */
	const char *state_dir;	/* plugin may keep small state files here */
	/** NULL: run and open things itself; set: a parsing instance that
	 *  gets its bytes through host and runs nothing (no verbs). */
	const struct mta_host *host;
};

struct mta_rcpt {
	char address[LIMIT_ADDRESS + 1];
	char reason[LIMIT_REASON + 1]; /* last delay reason, "" if unknown */
};

struct mta_message {
	char queue_id[LIMIT_QUEUE_ID + 1];
	char sender[LIMIT_ADDRESS + 1];
	int64_t arrival; /* wall seconds */
	int held;	 /* on hold (postfix) / frozen (exim) */
	int deferred;	 /* in the deferred queue / has deferrals */
	size_t nrcpts;
	struct mta_rcpt *rcpts; /* nrcpts entries, owned by the listing */
};

/**
 * Told each message of a streamed listing as it is parsed (@param m and
 * what it points to are valid for the call only). @return 0, or -1:
 * stop (the listing is then incomplete).
 */
typedef int (*mta_message_fn)(void *arg, const struct mta_message *m);

struct mta_listing {
	struct mta_message *msgs;
	size_t n;
	int complete;	/* 1 only when the listing command finished cleanly */
	size_t skipped; /* malformed entries logged and skipped */
};

enum mta_outcome_status {
	MTA_OUTCOME_DELIVERED = 1,
	MTA_OUTCOME_DEFERRED = 2,
	MTA_OUTCOME_BOUNCED = 3,
};

struct mta_outcome {
	char queue_id[LIMIT_QUEUE_ID + 1];
	char address[LIMIT_ADDRESS + 1]; /* "": the whole message (Postfix logs
					  * an expiry once per message) */
	enum mta_outcome_status status;
	char dsn[LIMIT_DSN + 1]; /* "5.4.4"; "" when the MTA gave none */
	char text[LIMIT_REASON + 1];
	int64_t time; /* from the log line when it has one */
};

/*
 * Where the outcome reader stands in the MTA's log: opaque bytes that
 * only the plugin that made them reads (it checks their tag and size).
 * The host stores the one an outcomes() call returns in the SAME
 * transaction as those outcomes, and hands the last committed one back
 * (outcomes_seek): an outcome is then recorded exactly once, whatever
 * moment retryd is killed at.
 */
#define MTA_POS_MAX                                                            \
	1100 /* bytes; a journal cursor (LIMIT_JOURNAL_CURSOR) fits */
struct mta_pos {
	uint32_t len; /* 0: none */
	unsigned char data[MTA_POS_MAX];
};

struct mta_outcomes {
	struct mta_outcome *items;
	size_t n;
	struct mta_pos pos; /* the reading position after these outcomes */
	int more;	    /* stopped at LIMIT_OUTCOMES_PER_CALL: call again */
};

enum mta_giveback {
	MTA_GIVEBACK_BOUNCE, /* let the MTA bounce it now (null MX, suppressed) */
	MTA_GIVEBACK_EXPIRE, /* give-up: expire, the MTA returns it to sender */
	MTA_GIVEBACK_RELEASE, /* just hand back to the MTA's own scheduling */
};

/*
 * All int-returning calls: 0 on success, -1 on failure with a message
 * in err ("postsuper -h: ..."). A batch call reports in *done how many
 * ids the MTA confirmed (from its own output), which may be fewer than
 * asked (an id vanished meanwhile).
 */
struct mta_plugin {
	unsigned abi;
	const char *name;

	int (*open)(const struct mta_config *cfg, void **state, char *err,
		    size_t errlen);
	void (*close)(void *state);

	/** 1 when @param id is a syntactically valid queue id for this MTA. */
	int (*valid_id)(const char *id);

	/** Deferred and held messages, with recipients and last reasons
	 *  (the full listing: reconciliation). */
	int (*scan)(void *state, struct mta_listing *out, char *err,
		    size_t errlen);
	/**
	 * Incremental discovery (may be NULL: every pass lists everything):
	 * the messages the MTA deferred since the last call, read from its
	 * log without listing the queue, told to @param fn one by one as
	 * scan_each does (held = 1 when the log shows it was put on hold
	 * since; a message the log shows removed is left out); nothing of
	 * them is kept past the call. The read position survives restarts
	 * (state_dir) and advances only when every message was told (fn
	 * said stop: -1, the same lines are read again next call).
	 * *gap = 1 when lines may have been missed since the last call (no
	 * saved position, the log rotated away or was truncated): the
	 * caller then runs a full listing. On entry *gap = 1 says the
	 * caller runs one anyway: a plugin need not read its queue to cover
	 * a gap (0 otherwise; set it before the call).
	 */
	int (*discover)(void *state, mta_message_fn fn, void *arg, int *gap,
			char *err, size_t errlen);
	void (*listing_free)(struct mta_listing *l);
	/**
	 * The full listing streamed (may be NULL: use scan): @param fn is
	 * told each message as it is parsed and nothing of the listing is
	 * kept, so memory does not grow with the queue. A message listed
	 * twice (it moved between queues) is told twice: the later wins.
	 * *complete = 1 only when the listing command exited 0, its output
	 * parsed cleanly to the end and fn never said stop; *skipped counts
	 * malformed entries (logged). @return 0, or -1 with err.
	 */
	int (*scan_each)(void *state, mta_message_fn fn, void *arg,
			 int *complete, size_t *skipped, char *err,
			 size_t errlen);

	/** Hold (postfix -h / exim freeze) a batch. */
	int (*hold)(void *state, const char *const *ids, size_t n, size_t *done,
		    char *err, size_t errlen);
	/** Release from hold and deliver now, in as few processes as possible. */
	int (*deliver)(void *state, const char *const *ids, size_t n,
		       size_t *done, char *err, size_t errlen);
	/** Release from hold only (no delivery forced). */
	int (*release)(void *state, const char *const *ids, size_t n,
		       size_t *done, char *err, size_t errlen);
	/** Hand back to the MTA to bounce or expire. */
	int (*giveback)(void *state, const char *const *ids, size_t n,
			enum mta_giveback how, size_t *done, char *err,
			size_t errlen);

	/**
	 * Outcomes logged since the last call for any of @param ids
	 * (n == 0: for every id), read incrementally from the MTA log,
	 * at most LIMIT_OUTCOMES_PER_CALL (out->more set: call again).
	 * The plugin saves nothing: out->pos is where it reads next, for
	 * the host to commit with the outcomes. The position follows
	 * rotation (device, inode, offset) or is a journal cursor.
	 */
	int (*outcomes)(void *state, const char *const *ids, size_t n,
			struct mta_outcomes *out, char *err, size_t errlen);
	void (*outcomes_free)(struct mta_outcomes *o);
	/**
	 * The position outcomes() reads from next. Right after open() it
	 * is the one of the plugin's old position file in state_dir when
	 * there is one (an upgrade), else the end of the log.
	 * @return 0, or -1 with err.
	 */
	int (*outcomes_tell)(void *state, struct mta_pos *pos, char *err,
			     size_t errlen);
	/**
	 * Read from @param pos (one outcomes() or outcomes_tell() made)
	 * next. From then on the host keeps the position: the plugin's old
	 * position file, if any, is removed. @return 0, or -1 with err (a
	 * position this plugin did not make).
	 */
	int (*outcomes_seek)(void *state, const struct mta_pos *pos, char *err,
			     size_t errlen);

	/* The privileged primitives a parsing instance's host asks for. */

	/** Run the listing command (postqueue -j, exim -bpr); free with
	 *  mta_raw_free(). @return 0, or -1 with err. */
	int (*list_raw)(void *state, struct mta_raw *raw, char *err,
			size_t errlen);
	/** list_raw streamed: the output to @param fn chunk by chunk as it
	 *  arrives, nothing kept, no bound (may be NULL); @param raw gets
	 *  stderr and how it ended (raw->out NULL). @return 0, or -1. */
	int (*list_stream)(void *state, mta_bytes_fn fn, void *fnarg,
			   struct mta_raw *raw, char *err, size_t errlen);
	/** Open one of the MTA's files read-only (struct mta_host). */
	int (*open_file)(void *state, enum mta_file which, const char *id,
			 char *err, size_t errlen);
};

/** Free what a list_raw / mta_host.list call filled. */
static inline void mta_raw_free(struct mta_raw *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
	r->outlen = 0;
}

/** The one symbol a plugin exports. */
typedef const struct mta_plugin *(*mta_plugin_entry_fn)(void);
const struct mta_plugin *retryd_plugin(void);

#endif
