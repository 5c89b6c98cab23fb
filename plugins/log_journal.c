/*
 * NAME
 *	log_journal 3
 * SUMMARY
 *	read MTA log lines from the systemd journal after a saved cursor
 * DESCRIPTION
 *	log_journal_follow() opens the journal (sd_journal_open_directory()
 *	for "journal:DIR", sd_journal_open() for "journal:"), seeks to the
 *	saved cursor and steps past it when that entry still exists
 *	(sd_journal_test_cursor()); when it was vacuumed, sd-journal seeks to
 *	the nearest position and the entry found there is new. Each entry
 *	with a matching SYSLOG_IDENTIFIER becomes one line in the form the
 *	file parsers read; the cursor advances entry by entry, so a callback
 *	that stops leaves it just after the entry it stopped at. The journal
 *	is closed before returning: nothing is held between calls.
 *
 *	The cursor file is one line, "retryd-journal-cursor 1 CURSOR\n",
 *	written with atomic_file_write().
 * DIAGNOSTICS
 *	"journal DIR: what: strerror" in err when it cannot be opened or
 *	read; entries without MESSAGE are skipped; a message longer than
 *	LIMIT_LOG_LINE is skipped with a warning naming its cursor.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-journal.h>
#include <time.h>
#include <unistd.h>

#include "util/atomic_file.h"
#include "util/log.h"
#include "log_journal.h"

#define LOG_JOURNAL_MAGIC     "retryd-journal-cursor 1 "
#define LOG_JOURNAL_FIELD_MAX 256 /* bytes kept of a short field */

int log_journal_source(const char *log_file, const char **dir)
{
	size_t n = strlen(LOG_JOURNAL_PREFIX);

	if (log_file == NULL || strncmp(log_file, LOG_JOURNAL_PREFIX, n) != 0)
		return 0;
	*dir = log_file[n] != '\0' ? log_file + n : NULL;
	return 1;
}

static int log_journal_open(const char *dir, sd_journal **j, char *err,
			    size_t errlen)
{
	int r = dir ? sd_journal_open_directory(j, dir, 0)
		    : sd_journal_open(j, SD_JOURNAL_LOCAL_ONLY);

	if (r < 0)
		snprintf(err, errlen, "journal %s: open: %s",
			 dir ? dir : "(system)", strerror(-r));
	return r < 0 ? -1 : 0;
}

/* FIELD's value of the current entry: @return its length, -1 if none. */
static ssize_t log_journal_field(sd_journal *j, const char *field,
				 const char **val)
{
	const void *d;
	size_t n, fl = strlen(field);

	if (sd_journal_get_data(j, field, &d, &n) < 0 || n <= fl)
		return -1;
	*val = (const char *)d + fl + 1;
	return (ssize_t)(n - fl - 1);
}

/* Copy a short field, bounded and without spaces or controls. */
static void log_journal_short(sd_journal *j, const char *field, char *dst,
			      size_t dstlen, const char *dflt)
{
	const char *v;
	ssize_t n = log_journal_field(j, field, &v);
	size_t k = 0;

	if (n <= 0) {
		snprintf(dst, dstlen, "%s", dflt);
		return;
	}
	for (; k < (size_t)n && k + 1 < dstlen; k++)
		dst[k] =
		    ((unsigned char)v[k] <= ' ' || v[k] == 0x7f) ? '_' : v[k];
	dst[k] = '\0';
}

/*
 * The current entry as a line in @param style into @param line (size
 * LIMIT_LOG_LINE + 1). @return its length, 0 to skip the entry.
 */
static size_t log_journal_line(sd_journal *j, const char *ident,
			       enum log_journal_style style, char *line)
{
	char id[LOG_JOURNAL_FIELD_MAX], host[LOG_JOURNAL_FIELD_MAX];
	char pid[32], date[64];
	const char *msg;
	ssize_t mlen;
	uint64_t usec = 0;
	time_t sec;
	struct tm tm;
	int n;

	log_journal_short(j, "SYSLOG_IDENTIFIER", id, sizeof(id), "");
	if (strncmp(id, ident, strlen(ident)) != 0)
		return 0;
	if ((mlen = log_journal_field(j, "MESSAGE", &msg)) < 0 ||
	    sd_journal_get_realtime_usec(j, &usec) < 0)
		return 0;
	log_journal_short(j, "SYSLOG_PID", pid, sizeof(pid), "");
	if (pid[0] == '\0')
		log_journal_short(j, "_PID", pid, sizeof(pid), "0");
	log_journal_short(j, "_HOSTNAME", host, sizeof(host), "localhost");
	sec = (time_t)(usec / 1000000);
	if (gmtime_r(&sec, &tm) == NULL)
		return 0;
	if (style == LOG_JOURNAL_POSTFIX) {
		strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
		n = snprintf(line, LIMIT_LOG_LINE + 1,
			     "%s.%06u+00:00 %s %s[%s]: ", date,
			     (unsigned)(usec % 1000000), host, id, pid);
	} else {
		strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S", &tm);
		n = snprintf(line, LIMIT_LOG_LINE + 1, "%s +0000 ", date);
	}
	if (n < 0 || (size_t)n + (size_t)mlen > LIMIT_LOG_LINE) {
		log_warn("journal: message of %.64s longer than %d bytes: "
			 "skipped",
			 id, LIMIT_LOG_LINE);
		return 0;
	}
	memcpy(line + n, msg, (size_t)mlen);
	return (size_t)n + (size_t)mlen;
}

/* Position @param j on the first entry after @param cur: @return >0 at
 * an entry, 0 at the end, -1 on error. */
static int log_journal_first(sd_journal *j,
			     const struct log_journal_cursor *cur)
{
	int r;

	if (cur->text[0] == '\0') {
		if ((r = sd_journal_seek_head(j)) < 0)
			return r;
		return sd_journal_next(j);
	}
	if ((r = sd_journal_seek_cursor(j, cur->text)) < 0)
		return r;
	if ((r = sd_journal_next(j)) <= 0)
		return r;
	if (sd_journal_test_cursor(j, cur->text) > 0)
		return sd_journal_next(j); /* consumed already */
	return r; /* that entry is gone (vacuumed): this one is new */
}

int log_journal_follow(const char *dir, const char *ident,
		       enum log_journal_style style,
		       struct log_journal_cursor *cur, log_journal_line_fn fn,
		       void *ctx, char *err, size_t errlen)
{
	sd_journal *j;
	char *line, *c;
	int64_t lineno = 0;
	int r, rc = 0;

	if ((line = malloc(LIMIT_LOG_LINE + 1)) == NULL) {
		snprintf(err, errlen, "journal: out of memory");
		return -1;
	}
	if (log_journal_open(dir, &j, err, errlen) < 0) {
		free(line);
		return -1;
	}
	for (r = log_journal_first(j, cur); r > 0; r = sd_journal_next(j)) {
		size_t n = log_journal_line(j, ident, style, line);
		int stop = n > 0 ? fn(ctx, line, n, ++lineno) : 0;

		if (stop < 0) {
			snprintf(err, errlen, "journal: line handler failed");
			rc = -1;
			break;
		}
		if (sd_journal_get_cursor(j, &c) < 0)
			break;
		snprintf(cur->text, sizeof(cur->text), "%s", c);
		free(c);
		if (stop == 1)
			break;
	}
	if (r < 0) {
		snprintf(err, errlen, "journal %s: read: %s",
			 dir ? dir : "(system)", strerror(-r));
		rc = -1;
	}
	sd_journal_close(j);
	free(line);
	return rc;
}

int log_journal_cursor_end(const char *dir, struct log_journal_cursor *cur,
			   char *err, size_t errlen)
{
	sd_journal *j;
	char *c;
	int r;

	cur->text[0] = '\0';
	if (log_journal_open(dir, &j, err, errlen) < 0)
		return -1;
	if ((r = sd_journal_seek_tail(j)) >= 0 &&
	    (r = sd_journal_previous(j)) > 0 &&
	    (r = sd_journal_get_cursor(j, &c)) >= 0) {
		snprintf(cur->text, sizeof(cur->text), "%s", c);
		free(c);
	}
	sd_journal_close(j);
	if (r < 0) {
		snprintf(err, errlen, "journal %s: seek to the end: %s",
			 dir ? dir : "(system)", strerror(-r));
		return -1;
	}
	return 0;
}

int log_journal_cursor_load(const char *file, struct log_journal_cursor *cur,
			    char *err, size_t errlen)
{
	char buf[LIMIT_JOURNAL_CURSOR + 64];
	size_t m = strlen(LOG_JOURNAL_MAGIC), got;
	int rc;

	if ((rc = atomic_file_read(file, buf, sizeof(buf), &got, err,
				   errlen)) <= 0)
		return rc;
	if (got <= m || buf[got - 1] != '\n' ||
	    memcmp(buf, LOG_JOURNAL_MAGIC, m) != 0 ||
	    got - m - 1 > LIMIT_JOURNAL_CURSOR) {
		snprintf(err, errlen, "%s: damaged journal cursor file", file);
		return -1;
	}
	buf[got - 1] = '\0';
	if (strchr(buf + m, '\n') != NULL || strchr(buf + m, ' ') != NULL) {
		snprintf(err, errlen, "%s: damaged journal cursor file", file);
		return -1;
	}
	memcpy(cur->text, buf + m, (size_t)got - m); /* with its NUL */
	return 1;
}

int log_journal_cursor_save(const char *file,
			    const struct log_journal_cursor *cur, char *err,
			    size_t errlen)
{
	char buf[LIMIT_JOURNAL_CURSOR + 64];
	int n = snprintf(buf, sizeof(buf), LOG_JOURNAL_MAGIC "%s\n", cur->text);

	return atomic_file_write(file, buf, (size_t)n, 0600, err, errlen);
}
