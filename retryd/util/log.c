/*
 * NAME
 *	log 3
 * SUMMARY
 *	the process log: stderr or syslog, Postfix style
 * DESCRIPTION
 *	Owns the log destination and a small table of rate-limit slots.
 *	Lines are "ident: level: text" on stderr, or syslog(3) with the
 *	matching priority. Nothing here allocates.
 * DIAGNOSTICS
 *	None: logging never fails visibly.
 */
#include "util/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#define LOG_LIMIT_SLOTS 32

struct log_limit_slot {
	const char *key;
	time_t last;
	unsigned long suppressed;
};

static struct {
	char ident[32];
	enum log_dest dest;
	int verbose;
	struct log_limit_slot slots[LOG_LIMIT_SLOTS];
} log_state = {"retryd", LOG_DEST_STDERR, 0, {{0}}};

void log_open(const char *ident, enum log_dest dest)
{
	snprintf(log_state.ident, sizeof(log_state.ident), "%s", ident);
	log_state.dest = dest;
	if (dest == LOG_DEST_SYSLOG)
		openlog(log_state.ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

void log_set_verbose(int verbose)
{
	log_state.verbose = verbose;
}

static void log_vline(int priority, const char *level, const char *fmt,
		      va_list ap) __attribute__((format(printf, 3, 0)));

static void log_vline(int priority, const char *level, const char *fmt,
		      va_list ap)
{
	char line[2048];

	vsnprintf(line, sizeof(line), fmt, ap);
	if (log_state.dest == LOG_DEST_SYSLOG)
		syslog(priority, "%s%s%s", level ? level : "",
		       level ? ": " : "", line);
	else
		fprintf(stderr, "%s: %s%s%s\n", log_state.ident,
			level ? level : "", level ? ": " : "", line);
}

void log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vline(LOG_INFO, NULL, fmt, ap);
	va_end(ap);
}

void log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vline(LOG_WARNING, "warning", fmt, ap);
	va_end(ap);
}

void log_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vline(LOG_ERR, "error", fmt, ap);
	va_end(ap);
}

void log_fatal(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vline(LOG_CRIT, "fatal", fmt, ap);
	va_end(ap);
	exit(status);
}

void log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!log_state.verbose)
		return;
	va_start(ap, fmt);
	log_vline(LOG_DEBUG, "debug", fmt, ap);
	va_end(ap);
}

/* Find or claim the slot for key; the oldest slot is reused when full. */
static struct log_limit_slot *log_limit_slot_for(const char *key)
{
	struct log_limit_slot *oldest = &log_state.slots[0];

	for (size_t i = 0; i < LOG_LIMIT_SLOTS; i++) {
		struct log_limit_slot *s = &log_state.slots[i];
		if (s->key && strcmp(s->key, key) == 0)
			return s;
		if (!s->key) {
			s->key = key;
			return s;
		}
		if (s->last < oldest->last)
			oldest = s;
	}
	oldest->key = key;
	oldest->last = 0;
	oldest->suppressed = 0;
	return oldest;
}

void log_warn_limited(const char *key, int interval_s, const char *fmt, ...)
{
	struct timespec now;
	struct log_limit_slot *slot = log_limit_slot_for(key);
	char line[1536];
	va_list ap;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (slot->last && now.tv_sec - slot->last < interval_s) {
		slot->suppressed++;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (slot->suppressed)
		log_warn("%s (%lu similar messages suppressed)", line,
			 slot->suppressed);
	else
		log_warn("%s", line);
	slot->last = now.tv_sec ? now.tv_sec : 1;
	slot->suppressed = 0;
}

char *log_printable(char *dst, size_t dstlen, const char *src)
{
	size_t i = 0;

	if (dstlen == 0)
		return dst;
	for (; src && src[i] && i + 1 < dstlen; i++) {
		unsigned char c = (unsigned char)src[i];
		dst[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	dst[i] = 0;
	return dst;
}
