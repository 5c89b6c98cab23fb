/*
 * NAME
 *	log 3h
 * SUMMARY
 *	the process log: stderr or syslog, Postfix style
 * DESCRIPTION
 *	One log per process (the only global besides the loaded policy).
 *	log_open() picks the destination; the log_* functions format one line.
 *	Untrusted text must go through log_printable() and a bounded %.Ns.
 */
#ifndef RETRYD_LOG_H
#define RETRYD_LOG_H

#include <stddef.h>

enum log_dest { LOG_DEST_STDERR, LOG_DEST_SYSLOG };

/**
 * Choose where log lines go. @param ident program name shown in lines.
 * May be called again (e.g. after daemonizing). Never fails.
 */
void log_open(const char *ident, enum log_dest dest);

/** Informational line. */
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/** Something is wrong but retryd carries on. */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/** An operation failed; the caller will report or retry. */
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/** Unrecoverable: logs and exits with @param status. */
void log_fatal(int status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));
/** Debug lines, shown only after log_set_verbose(1). */
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_set_verbose(int verbose);

/**
 * Rate-limited warning: at most one line per @param interval_s seconds per
 * @param key (a static string naming the condition); suppressed lines are
 * counted and the count is reported with the next line that gets through.
 */
void log_warn_limited(const char *key, int interval_s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/**
 * Copy at most @param dstlen-1 bytes of @param src to @param dst, replacing
 * every byte that is not printable ASCII with '?'. Returns @param dst.
 * The caller owns both buffers.
 */
char *log_printable(char *dst, size_t dstlen, const char *src);

#endif
