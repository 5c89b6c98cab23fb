/*
 * NAME
 *	exim_log 3h
 * SUMMARY
 *	Exim main log and message log lines; an incremental main log reader
 * DESCRIPTION
 *	exim_log_parse() reads one main log line:
 *
 *	    DATE TIME[.mmm] [+ZZZZ] [[PID]] ID => addr ... C="250 2.0.0 Ok"
 *	    ...                           ID -> addr ...   (same transaction)
 *	    ...                           ID == addr ... defer (N): text
 *	    ...                           ID ** addr...: text
 *	    ...                           ID Completed
 *	    ...                           ID cancelled by USER   (-Mg)
 *
 *	exim_log_parse_msglog() reads one line of a message log (spool
 *	msglog/ID), which carries no id and no flag: "DATE addr ... defer
 *	(N): text". Both are pure: time and input are parameters.
 *
 *	exim_log_follow() is the shell part: it reads whole lines from a
 *	cursor (device, inode, offset) to the end of the log, following
 *	one rotation (LOG.0 or LOG.1 still holding the old inode) and
 *	starting over after a truncation. Cursors are saved temp file ->
 *	fsync -> rename by exim_log_cursor_save().
 */
#ifndef RETRYD_EXIM_LOG_H
#define RETRYD_EXIM_LOG_H

#include <stddef.h>
#include <stdint.h>

#include "plugin.h"

#include "util/limits.h"

enum exim_log_kind {
	EXIM_LOG_MALFORMED =
	    -1,		     /* junk, or a flagged line that does not parse */
	EXIM_LOG_OTHER = 0,  /* a valid line of no interest */
	EXIM_LOG_DELIVERED,  /* => */
	EXIM_LOG_ADDITIONAL, /* -> delivered in the same transaction */
	EXIM_LOG_DEFERRED,   /* == */
	EXIM_LOG_FAILED,     /* ** */
	EXIM_LOG_COMPLETED,  /* Completed */
	EXIM_LOG_CANCELLED,  /* cancelled by USER (-Mg, 4.96 logs no **) */
};

struct exim_log_entry {
	enum exim_log_kind kind;
	int64_t time;		     /* seconds since the epoch */
	char id[LIMIT_QUEUE_ID + 1]; /* "" for lines without an id */
	char address[LIMIT_ADDRESS + 1];
	char dsn[LIMIT_DSN + 1];     /* "5.1.1", "" when none */
	char text[LIMIT_REASON + 1]; /* masked: controls become '?' */
};

/**
 * Parse one main log line (@param len bytes, no newline) into @param e.
 * @param tzoff seconds east of UTC for lines without their own +ZZZZ.
 * @return the kind (also in e->kind); EXIM_LOG_MALFORMED with e->text
 * saying why.
 */
enum exim_log_kind exim_log_parse(const char *line, size_t len, long tzoff,
				  struct exim_log_entry *e);

/**
 * Parse one message log line. @return 1 when it is a defer of one
 * address (e->kind = EXIM_LOG_DEFERRED, e->address, e->text, e->dsn),
 * 0 for any other line.
 */
int exim_log_parse_msglog(const char *line, size_t len, long tzoff,
			  struct exim_log_entry *e);

/** Enhanced status code ("5.1.1") in @param text, or "" in @param dsn. */
void exim_log_find_dsn(const char *text, char *dsn, size_t dsnlen);

/* ---- incremental reader (I/O) ---- */

struct exim_log_cursor {
	uint64_t dev;
	uint64_t ino;	/* 0: no position yet, start at the beginning */
	int64_t offset; /* bytes consumed: always just after a newline */
	int64_t lineno; /* lines consumed (from where reading began) */
	int gap;	/* set (never cleared) by exim_log_follow*() when lines
		  * were lost: rotated and the old file gone, or truncated;
		  * not saved */
};

/**
 * Called for each complete line (no newline). Return 0 to go on, 1 to
 * stop after this line (the cursor then points just after it), -1 on
 * a fatal error (the cursor is left before this line).
 */
typedef int (*exim_log_line_fn)(void *ctx, const char *line, size_t len,
				int64_t lineno);

/**
 * Read from @param cur to the end of @param path, calling @param fn;
 * lines longer than LIMIT_LOG_LINE are logged with their line number
 * and skipped. @param cur is advanced past what was consumed.
 * @return 0, or -1 with @param err when the log cannot be read.
 */
int exim_log_follow(const char *path, struct exim_log_cursor *cur,
		    exim_log_line_fn fn, void *ctx, char *err, size_t errlen);

/** Set @param cur to the current end of @param path. */
int exim_log_cursor_end(const char *path, struct exim_log_cursor *cur,
			char *err, size_t errlen);

/**
 * exim_log_follow() and exim_log_cursor_end() that open the log (and
 * PATH.0, PATH.1) with mta_file_open(@param host): a parsing instance
 * gets the descriptors from the privileged helper.
 */
int exim_log_follow_host(const char *path, const struct mta_host *host,
			 struct exim_log_cursor *cur, exim_log_line_fn fn,
			 void *ctx, char *err, size_t errlen);
int exim_log_cursor_end_host(const char *path, const struct mta_host *host,
			     struct exim_log_cursor *cur, char *err,
			     size_t errlen);
/**
 * Load a cursor saved by exim_log_cursor_save(). @return 1 loaded, 0 no
 * file yet, -1 on a damaged or unreadable file (with @param err).
 */
int exim_log_cursor_load(const char *file, struct exim_log_cursor *cur,
			 char *err, size_t errlen);
int exim_log_cursor_save(const char *file, const struct exim_log_cursor *cur,
			 char *err, size_t errlen);

#endif
