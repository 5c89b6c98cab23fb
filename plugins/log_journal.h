/*
 * NAME
 *	log_journal 3h
 * SUMMARY
 *	the systemd journal as a source of MTA log lines, with a saved cursor
 * DESCRIPTION
 *	An outcome reader whose log_file is "journal:" (the local system
 *	journal) or "journal:DIR" (the journal files in DIR, e.g. a
 *	systemd-journal-remote output or /var/log/journal/MACHINE-ID) reads
 *	entries through sd-journal instead of a file, and hands each one
 *	whose SYSLOG_IDENTIFIER starts with a prefix ("postfix", "exim") to
 *	the same line callback the file reader uses, as a synthesised line:
 *
 *	    LOG_JOURNAL_POSTFIX: 2026-12-05T23:01:02.000000+00:00 HOST IDENT[PID]: MESSAGE
 *	    LOG_JOURNAL_EXIM:    2026-12-05 23:01:02 +0000 MESSAGE
 *
 *	(times from __REALTIME_TIMESTAMP, in UTC). The position is the
 *	cursor of the last entry consumed ("" before any). The journal is
 *	opened afresh on each call, so files written or removed since
 *	(rotation, vacuum) are seen; a cursor whose entry was vacuumed
 *	seeks to the nearest later entry, which is then read.
 */
#ifndef RETRYD_LOG_JOURNAL_H
#define RETRYD_LOG_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "util/limits.h"

#define LOG_JOURNAL_PREFIX "journal:"

enum log_journal_style {
	LOG_JOURNAL_POSTFIX, /* RFC 3339 date, host, ident[pid]: */
	LOG_JOURNAL_EXIM,    /* Exim's main log date with zone */
};

struct log_journal_cursor {
	char text[LIMIT_JOURNAL_CURSOR + 1]; /* "" : from the head */
};

/** Same contract as postfix_log_line_fn / exim_log_line_fn. */
typedef int (*log_journal_line_fn)(void *ctx, const char *line, size_t len,
				   int64_t lineno);

/**
 * @return 1 when @param log_file names the journal (then @param dir is
 * the directory after "journal:", NULL for the system journal), else 0.
 */
int log_journal_source(const char *log_file, const char **dir);

/**
 * Read the entries after @param cur whose SYSLOG_IDENTIFIER starts with
 * @param ident, calling @param fn with a line in @param style.
 * @param cur is advanced past what was consumed.
 * @return 0, or -1 with @param err when the journal cannot be read.
 */
int log_journal_follow(const char *dir, const char *ident,
		       enum log_journal_style style,
		       struct log_journal_cursor *cur, log_journal_line_fn fn,
		       void *ctx, char *err, size_t errlen);

/** Set @param cur to the journal's last entry ("" when it is empty). */
int log_journal_cursor_end(const char *dir, struct log_journal_cursor *cur,
			   char *err, size_t errlen);

/** @return 1 loaded, 0 no file yet, -1 damaged or unreadable (err). */
int log_journal_cursor_load(const char *file, struct log_journal_cursor *cur,
			    char *err, size_t errlen);
/** Save with atomic_file_write(): temp file, fsync, rename. */
int log_journal_cursor_save(const char *file,
			    const struct log_journal_cursor *cur, char *err,
			    size_t errlen);

#endif
