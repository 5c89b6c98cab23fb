/*
 * NAME
 *	postfix_log 3h
 * SUMMARY
 *	Postfix delivery log lines; an incremental log reader
 * DESCRIPTION
 *	postfix_log_parse() reads one line, in any of these forms:
 *
 *	    Nov 29 03:34:45 HOST postfix/smtp[23080]: PAYLOAD   (syslog,
 *	                                          and Postfix's maillog_file)
 *	    2024-03-03T12:34:56.123456+01:00 HOST postfix/smtp[123]: PAYLOAD
 *	                                          (rsyslog RFC 3339 format)
 *	    postfix/smtp[123]: PAYLOAD            (no syslog prefix)
 *	    PAYLOAD                               (bare)
 *
 *	where PAYLOAD is one of
 *
 *	    ID: to=<ADDR>, [orig_to=<A>,] relay=..., ..., dsn=X.Y.Z,
 *	        status=sent|deferred|bounced|expired (TEXT)
 *	    ID: from=<SENDER>, status=expired, returned to sender
 *	    ID: from=<SENDER>, status=force-expired, returned to sender
 *
 *	The program name is not checked (syslog_name varies); the first
 *	"]: " ends the prefix, so text that a remote party got logged later
 *	in a line cannot pose as a delivery line. The expiry lines concern
 *	the whole message: their address is "". Pure: time (@param now) and
 *	the local zone offset are parameters.
 *
 *	postfix_log_follow() is the shell part: it reads whole lines from a
 *	position (device, inode, offset) to the end of the log. When the
 *	inode changed (rotation) it first finishes the old file if it is
 *	still there as LOG.1 or LOG.0 with the old inode, then reads the new
 *	file from its start; when the file is shorter than the offset
 *	(truncation) it starts over at 0. A partial last line is left for
 *	the next call; a line longer than LIMIT_LOG_LINE is skipped with a
 *	warning. Positions are saved temp file -> fsync -> rename.
 */
#ifndef RETRYD_POSTFIX_LOG_H
#define RETRYD_POSTFIX_LOG_H

#include <stddef.h>
#include <stdint.h>

#include "plugin.h"

enum postfix_log_kind {
	POSTFIX_LOG_MALFORMED = -1, /* a delivery line that does not parse */
	POSTFIX_LOG_OTHER = 0,	    /* any other line */
	POSTFIX_LOG_RCPT,	    /* ID: to=<...>, ..., status=... */
	POSTFIX_LOG_EXPIRED,	    /* ID: from=<...>, status=expired, ... */
};

struct postfix_log_entry {
	enum postfix_log_kind kind;
	int64_t time; /* seconds since the epoch; 0: none */
	char id[LIMIT_QUEUE_ID + 1];
	char address[LIMIT_ADDRESS + 1]; /* "" for a whole message */
	enum mta_outcome_status status;
	char dsn[LIMIT_DSN + 1];     /* "5.1.1", "" when none */
	char text[LIMIT_REASON + 1]; /* masked: control bytes become '?' */
	const char *why;	     /* MALFORMED: static text */
	int64_t delay;		     /* RCPT: whole seconds of delay=, -1 */
	const char *payload;	     /* after "ID: " when an id was read */
	size_t payloadlen;
};

/**
 * Parse one line (@param len bytes, no newline) into @param e.
 * @param now the current wall time (a syslog date has no year: the one
 * that puts it at most a day after @param now is taken), @param tzoff
 * seconds east of UTC for dates without a zone.
 * @return the kind (also in e->kind).
 */
enum postfix_log_kind postfix_log_parse(const char *line, size_t len,
					int64_t now, long tzoff,
					struct postfix_log_entry *e);

/* ---- incremental reader (I/O) ---- */

struct postfix_log_pos {
	uint64_t dev;
	uint64_t ino;	/* 0: no file seen yet, start at its beginning */
	int64_t offset; /* bytes consumed */
	int skipping;	/* inside an overlong line: skip to its newline */
	int gap;	/* set by postfix_log_follow() when lines may have been
			 * lost (rotated file gone, truncation); never saved,
			 * the caller clears it */
};

/**
 * Called for each complete line (no newline). Return 0 to go on, 1 to
 * stop after this line (the position then points just after it).
 */
typedef int (*postfix_log_line_fn)(void *ctx, const char *line, size_t len,
				   int64_t lineno);

/**
 * Read from @param pos to the end of @param path, calling @param fn;
 * files are opened with mta_file_open(@param host).
 * @param pos is advanced past what was consumed.
 * @return 0 (also when the log does not exist yet), or -1 with
 * @param err when it cannot be read.
 */
int postfix_log_follow(const char *path, const struct mta_host *host,
		       struct postfix_log_pos *pos, postfix_log_line_fn fn,
		       void *ctx, char *err, size_t errlen);

/** Set @param pos to the current end of @param path (zero if absent). */
int postfix_log_pos_end(const char *path, const struct mta_host *host,
			struct postfix_log_pos *pos, char *err, size_t errlen);

/**
 * Load a position saved by postfix_log_pos_save(). @return 1 loaded, 0
 * no file yet, -1 on a damaged or unreadable file (with @param err).
 */
int postfix_log_pos_load(const char *file, struct postfix_log_pos *pos,
			 char *err, size_t errlen);
/** Save @param pos: temp file, fsync, rename, fsync of the directory. */
int postfix_log_pos_save(const char *file, const struct postfix_log_pos *pos,
			 char *err, size_t errlen);

#endif
