/*
 * NAME
 *	exim_log 3
 * SUMMARY
 *	parse Exim main log and message log lines; follow the main log
 * DESCRIPTION
 *	The parsers are pure: one line in, one struct exim_log_entry out.
 *	What each delivery line carries:
 *
 *	=> and ->: the address (the original one when Exim shows it in
 *	<angle brackets> after a rewritten or redirected one) and the
 *	server's confirmation C="250 2.0.0 Ok" as text, 2.0.0 as dsn.
 *	==: the text after "defer (N): " or after the "H=host [ip]: " that
 *	follows it ("SMTP error from remote mail server after RCPT TO:<x>:
 *	451 4.2.0 ...", "host lookup did not complete").
 *	**: the text after the address and its R=/T=/H= fields
 *	("Unrouteable address", "SMTP error ...: 550 5.1.1 ...").
 *
 *	exim_log_follow() owns nothing between calls: the caller keeps the
 *	cursor and decides when to save it.
 * DIAGNOSTICS
 *	Parsers return EXIM_LOG_MALFORMED with the reason in e->text.
 *	The reader logs overlong lines, truncation and a lost rotation
 *	with the file and line number, and carries on.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/atomic_file.h"
#include "util/log.h"
#include "exim_id.h"
#include "exim_log.h"
#include "mta_file.h"

#define EXIM_LOG_READ_CHUNK   65536
#define EXIM_LOG_CURSOR_MAGIC "retryd-exim-log-cursor 1"

/* Copy [p, end) into dst (size dstlen), controls and non-ASCII as '?'. */
static void exim_log_copy_masked(char *dst, size_t dstlen, const char *p,
				 const char *end)
{
	size_t n = 0;

	for (; p < end && n + 1 < dstlen; p++, n++)
		dst[n] = (*p >= 0x20 && *p < 0x7f) ? *p : '?';
	dst[n] = '\0';
}

static enum exim_log_kind exim_log_bad(struct exim_log_entry *e,
				       const char *why)
{
	e->kind = EXIM_LOG_MALFORMED;
	snprintf(e->text, sizeof(e->text), "%s", why);
	return EXIM_LOG_MALFORMED;
}

/* n decimal digits at p, or -1. */
static int exim_log_digits(const char *p, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t exim_log_days(int y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

/*
 * "YYYY-MM-DD HH:MM:SS[.f+][ +ZZZZ] " at p: the time and where the rest
 * starts, or NULL.
 */
static const char *exim_log_date(const char *p, const char *end, long tzoff,
				 int64_t *when)
{
	int y, mo, d, h, mi, s;

	if (end - p < 20 || p[4] != '-' || p[7] != '-' || p[10] != ' ' ||
	    p[13] != ':' || p[16] != ':')
		return NULL;
	y = exim_log_digits(p, 4);
	mo = exim_log_digits(p + 5, 2);
	d = exim_log_digits(p + 8, 2);
	h = exim_log_digits(p + 11, 2);
	mi = exim_log_digits(p + 14, 2);
	s = exim_log_digits(p + 17, 2);
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 ||
	    h > 23 || mi < 0 || mi > 59 || s < 0 || s > 60)
		return NULL;
	p += 19;
	if (*p == '.') { /* log_selector +millisec */
		const char *q = ++p;
		while (p < end && *p >= '0' && *p <= '9' && p - q < 6)
			p++;
		if (p == q)
			return NULL;
	}
	if (end - p >= 6 && p[0] == ' ' && (p[1] == '+' || p[1] == '-') &&
	    exim_log_digits(p + 2, 4) >= 0) { /* log_timezone */
		int zh = exim_log_digits(p + 2, 2),
		    zm = exim_log_digits(p + 4, 2);
		if (zh > 23 || zm > 59)
			return NULL;
		tzoff = (p[1] == '-' ? -1 : 1) * (long)(zh * 3600 + zm * 60);
		p += 6;
	}
	if (p >= end || *p != ' ')
		return NULL;
	*when =
	    exim_log_days(y, mo, d) * 86400 + h * 3600 + mi * 60 + s - tzoff;
	return p + 1;
}

/*
 * One address token at p (a quoted local part may hold spaces). Stores
 * it masked-free (refused if it has controls) in dst; returns the end of
 * the token or NULL.
 */
static const char *exim_log_token(const char *p, const char *end, char *dst,
				  size_t dstlen)
{
	const char *q = p;
	int quoted = 0;
	size_t n;

	for (; q < end; q++) {
		if (*q == '"' && (q == p || q[-1] != '\\'))
			quoted = !quoted;
		else if (*q == ' ' && !quoted)
			break;
		if ((unsigned char)*q < 0x20 || *q == 0x7f)
			return NULL;
	}
	n = (size_t)(q - p);
	if (n == 0 || n >= dstlen)
		return NULL;
	memcpy(dst, p, n);
	dst[n] = '\0';
	return q;
}

static const char *exim_log_find(const char *p, const char *end,
				 const char *needle)
{
	size_t n = strlen(needle);

	for (; end - p >= (long)n; p++)
		if (memcmp(p, needle, n) == 0)
			return p;
	return NULL;
}

void exim_log_find_dsn(const char *text, char *dsn, size_t dsnlen)
{
	const char *t = text;

	dsn[0] = '\0';
	for (; *t; t++) {
		const char *c = t + 4, *q;
		int a, b;

		if (t > text && (t[-1] >= '0' && t[-1] <= '9'))
			continue;
		if (!strchr("245", t[0]) || t[0] == '\0' ||
		    exim_log_digits(t + 1, 2) < 0 ||
		    (t[3] != ' ' && t[3] != '-'))
			continue;
		if (*c == '\0' || !strchr("245", *c) || c[1] != '.')
			continue;
		for (q = c + 2, a = 0; *q >= '0' && *q <= '9' && a < 4; q++)
			a++;
		if (a == 0 || a > 3 || *q != '.')
			continue;
		for (q++, b = 0; *q >= '0' && *q <= '9' && b < 4; q++)
			b++;
		if (b == 0 || b > 3 || (*q != '\0' && *q != ' '))
			continue;
		if ((size_t)(q - c) < dsnlen) {
			memcpy(dsn, c, (size_t)(q - c));
			dsn[q - c] = '\0';
		}
		return;
	}
}

/* The text of a defer: after "defer (N)" and the next ": ". */
static void exim_log_defer_text(const char *p, const char *end,
				struct exim_log_entry *e)
{
	const char *d = exim_log_find(p, end, " defer (");
	const char *t;

	if (d != NULL) {
		const char *close = memchr(d, ')', (size_t)(end - d));
		p = close != NULL ? close + 1 : d;
	}
	t = exim_log_find(p, end, ": ");
	if (t != NULL)
		p = t + 2;
	while (p < end && *p == ' ')
		p++;
	exim_log_copy_masked(e->text, sizeof(e->text), p, end);
}

/* Address, then "<original>" if Exim shows one. */
static const char *exim_log_address(const char *p, const char *end,
				    struct exim_log_entry *e)
{
	char orig[LIMIT_ADDRESS + 1];
	const char *q;

	p = exim_log_token(p, end, e->address, sizeof(e->address));
	if (p == NULL)
		return NULL;
	if (end - p > 2 && p[0] == ' ' && p[1] == '<') {
		q = exim_log_token(p + 1, end, orig, sizeof(orig));
		size_t n = q ? strlen(orig) : 0;
		if (q != NULL && n > 2 && orig[n - 1] == '>') {
			orig[n - 1] = '\0';
			snprintf(e->address, sizeof(e->address), "%s",
				 orig + 1);
			p = q;
		}
	}
	return p;
}

enum exim_log_kind exim_log_parse(const char *line, size_t len, long tzoff,
				  struct exim_log_entry *e)
{
	const char *p = line, *end = line + len, *q;

	memset(e, 0, sizeof(*e));
	if (len > LIMIT_LOG_LINE || memchr(line, '\0', len) != NULL ||
	    memchr(line, '\n', len) != NULL)
		return exim_log_bad(e, "overlong line or NUL/LF inside");
	if ((p = exim_log_date(p, end, tzoff, &e->time)) == NULL)
		return exim_log_bad(e, "no date at the start of the line");
	if (p < end && *p == '[') { /* log_selector +pid */
		q = memchr(p, ']', (size_t)(end - p));
		if (q == NULL || q + 1 >= end || q[1] != ' ')
			return exim_log_bad(e, "unterminated [pid]");
		p = q + 2;
	}
	q = memchr(p, ' ', (size_t)(end - p));
	if (q == NULL || (size_t)(q - p) > LIMIT_QUEUE_ID)
		return e->kind = EXIM_LOG_OTHER;
	memcpy(e->id, p, (size_t)(q - p));
	e->id[q - p] = '\0';
	if (!exim_id_valid(e->id)) {
		e->id[0] = '\0';
		return e->kind = EXIM_LOG_OTHER; /* a line about no message */
	}
	p = q + 1;
	if (end - p == 9 && memcmp(p, "Completed", 9) == 0)
		return e->kind = EXIM_LOG_COMPLETED;
	if (end - p > 13 && memcmp(p, "cancelled by ", 13) == 0) {
		exim_log_copy_masked(e->text, sizeof(e->text), p, end);
		return e->kind = EXIM_LOG_CANCELLED;
	}
	if (end - p < 4 || p[2] != ' ')
		return e->kind = EXIM_LOG_OTHER;
	if (memcmp(p, "=> ", 3) == 0)
		e->kind = EXIM_LOG_DELIVERED;
	else if (memcmp(p, "-> ", 3) == 0)
		e->kind = EXIM_LOG_ADDITIONAL;
	else if (memcmp(p, "== ", 3) == 0)
		e->kind = EXIM_LOG_DEFERRED;
	else if (memcmp(p, "** ", 3) == 0)
		e->kind = EXIM_LOG_FAILED;
	else
		return e->kind = EXIM_LOG_OTHER; /* <=, *>, Frozen, ... */
	enum exim_log_kind kind = e->kind;
	if ((p = exim_log_address(p + 3, end, e)) == NULL)
		return exim_log_bad(e, "bad or overlong address");
	size_t alen = strlen(e->address);
	if (kind == EXIM_LOG_FAILED && alen > 1 && e->address[alen - 1] == ':')
		e->address[alen - 1] = '\0'; /* "** u@d: Unrouteable address" */
	if (kind == EXIM_LOG_DELIVERED || kind == EXIM_LOG_ADDITIONAL) {
		const char *c = exim_log_find(p, end, " C=\"");
		if (c != NULL) {
			c += 4;
			for (q = c; q < end && !(*q == '"' && q[-1] != '\\');
			     q++)
				;
			exim_log_copy_masked(e->text, sizeof(e->text), c, q);
		}
	} else if (kind == EXIM_LOG_DEFERRED) {
		exim_log_defer_text(p, end, e);
	} else {
		if (p[-1] == ':' && p < end)
			p++;
		else if ((q = exim_log_find(p, end, ": ")) != NULL)
			p = q + 2;
		while (p < end && *p == ' ')
			p++;
		exim_log_copy_masked(e->text, sizeof(e->text), p, end);
	}
	exim_log_find_dsn(e->text, e->dsn, sizeof(e->dsn));
	return e->kind = kind;
}

int exim_log_parse_msglog(const char *line, size_t len, long tzoff,
			  struct exim_log_entry *e)
{
	const char *p = line, *end = line + len;

	memset(e, 0, sizeof(*e));
	if (len > LIMIT_LOG_LINE || memchr(line, '\0', len) != NULL)
		return 0;
	if ((p = exim_log_date(p, end, tzoff, &e->time)) == NULL)
		return 0;
	if (exim_log_find(p, end, " defer (") == NULL)
		return 0;
	if ((p = exim_log_address(p, end, e)) == NULL ||
	    strchr(e->address, '@') == NULL || e->address[0] == '<' ||
	    strncmp(e->address, "H=", 2) == 0)
		return 0;
	exim_log_defer_text(p, end, e);
	exim_log_find_dsn(e->text, e->dsn, sizeof(e->dsn));
	e->kind = EXIM_LOG_DEFERRED;
	return 1;
}

/* ---- incremental reader ---- */

/*
 * Read whole lines of fd from cur->offset. @param final: the file will
 * not grow (a rotated file): its unterminated last line is consumed too.
 * Returns 0 at the end, 1 when fn asked to stop, -1 on error.
 */
static int exim_log_read_fd(int fd, const char *path,
			    struct exim_log_cursor *cur, int final,
			    exim_log_line_fn fn, void *ctx, char *err,
			    size_t errlen)
{
	size_t cap = (size_t)LIMIT_LOG_LINE + 1 + EXIM_LOG_READ_CHUNK;
	char *buf = malloc(cap);
	size_t have = 0, start;
	int64_t pos = cur->offset; /* file offset of buf[0] */
	int skipping = 0, rc = 0;

	if (buf == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	for (;;) {
		ssize_t r =
		    pread(fd, buf + have, cap - have, (off_t)(pos + have));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(err, errlen, "%s: read: %s", path,
				 strerror(errno));
			free(buf);
			return -1;
		}
		if (r == 0)
			break;
		have += (size_t)r;
		start = 0;
		for (;;) {
			char *nl = memchr(buf + start, '\n', have - start);
			size_t len;
			if (nl == NULL)
				break;
			len = (size_t)(nl - (buf + start));
			if (skipping || len > LIMIT_LOG_LINE) {
				log_warn("%s:%" PRId64
					 ": line longer than %d bytes, skipped",
					 path, cur->lineno + 1, LIMIT_LOG_LINE);
				skipping = 0;
				rc = 0;
			} else {
				rc = fn(ctx, buf + start, len, cur->lineno + 1);
				if (rc < 0) {
					free(buf);
					return -1;
				}
			}
			cur->lineno++;
			start = (size_t)(nl + 1 - buf);
			cur->offset = pos + (int64_t)start;
			if (rc == 1) {
				free(buf);
				return 1;
			}
		}
		if (have - start > LIMIT_LOG_LINE) {
			skipping =
			    1; /* drop what we have of an overlong line */
			pos += (int64_t)have;
			have = 0;
		} else {
			memmove(buf, buf + start, have - start);
			pos += (int64_t)start;
			have -= start;
		}
	}
	if (final && (have > 0 || skipping)) {
		if (!skipping)
			rc = fn(ctx, buf, have, cur->lineno + 1);
		if (rc >= 0) {
			cur->lineno++;
			cur->offset = pos + (int64_t)have;
		}
	}
	free(buf);
	return rc < 0 ? -1 : rc;
}

int exim_log_follow(const char *path, struct exim_log_cursor *cur,
		    exim_log_line_fn fn, void *ctx, char *err, size_t errlen)
{
	return exim_log_follow_host(path, NULL, cur, fn, ctx, err, errlen);
}

int exim_log_follow_host(const char *path, const struct mta_host *host,
			 struct exim_log_cursor *cur, exim_log_line_fn fn,
			 void *ctx, char *err, size_t errlen)
{
	static const enum mta_file rotated[] = {MTA_FILE_LOG_0, MTA_FILE_LOG_1};
	static const char *const suffix[] = {".0", ".1"};
	struct stat st;
	int fd, rc;

	fd = mta_file_open("exim log", path, host, MTA_FILE_LOG, err, errlen);
	if (fd < 0 && errno == ENOENT) {
		err[0] = '\0';
		return 0; /* nothing logged yet */
	}
	if (fd < 0 || fstat(fd, &st) < 0) {
		if (fd >= 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			close(fd);
		}
		return -1;
	}
	if (cur->ino != 0 && (cur->ino != (uint64_t)st.st_ino ||
			      cur->dev != (uint64_t)st.st_dev)) {
		int found = 0;
		for (size_t i = 0; i < sizeof(rotated) / sizeof(rotated[0]);
		     i++) {
			char old[4096], why[256];
			struct stat ost;
			int ofd;
			snprintf(old, sizeof(old), "%s%s", path, suffix[i]);
			if ((ofd = mta_file_open("exim log", path, host,
						 rotated[i], why,
						 sizeof(why))) < 0)
				continue;
			if (fstat(ofd, &ost) == 0 &&
			    (uint64_t)ost.st_ino == cur->ino &&
			    (uint64_t)ost.st_dev == cur->dev) {
				found = 1;
				rc = exim_log_read_fd(ofd, old, cur, 1, fn, ctx,
						      err, errlen);
				close(ofd);
				if (rc !=
				    0) { /* stopped, or failed, in the old file */
					close(fd);
					return rc < 0 ? -1 : 0;
				}
				break;
			}
			close(ofd);
		}
		if (!found) {
			cur->gap = 1;
			log_warn("%s: rotated, and the old file (%s.0, %s.1) "
				 "is gone:"
				 " lines after line %" PRId64
				 " of it were not read",
				 path, path, path, cur->lineno);
		}
		cur->ino = 0;
	}
	if (cur->ino == 0) {
		cur->dev = (uint64_t)st.st_dev;
		cur->ino = (uint64_t)st.st_ino;
		cur->offset = 0;
		cur->lineno = 0;
	} else if ((int64_t)st.st_size < cur->offset) {
		log_warn("%s: truncated (size %lld < offset %" PRId64
			 "), reading from the start",
			 path, (long long)st.st_size, cur->offset);
		cur->offset = 0;
		cur->lineno = 0;
		cur->gap = 1;
	}
	rc = exim_log_read_fd(fd, path, cur, 0, fn, ctx, err, errlen);
	close(fd);
	return rc < 0 ? -1 : 0;
}

int exim_log_cursor_end(const char *path, struct exim_log_cursor *cur,
			char *err, size_t errlen)
{
	return exim_log_cursor_end_host(path, NULL, cur, err, errlen);
}

int exim_log_cursor_end_host(const char *path, const struct mta_host *host,
			     struct exim_log_cursor *cur, char *err,
			     size_t errlen)
{
	struct stat st;
	int fd;

	memset(cur, 0, sizeof(*cur));
	if ((fd = mta_file_open("exim log", path, host, MTA_FILE_LOG, err,
				errlen)) < 0) {
		if (errno == ENOENT) {
			err[0] = '\0';
			return 0; /* start at the beginning once it exists */
		}
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	cur->dev = (uint64_t)st.st_dev;
	cur->ino = (uint64_t)st.st_ino;
	cur->offset = (int64_t)st.st_size;
	cur->lineno = 0; /* line numbers count from here */
	return 0;
}

int exim_log_cursor_load(const char *file, struct exim_log_cursor *cur,
			 char *err, size_t errlen)
{
	char buf[256];
	unsigned long long v[4];
	char *p, *q;
	size_t n;
	int rc;

	memset(cur, 0, sizeof(*cur));
	if ((rc = atomic_file_read(file, buf, sizeof(buf), &n, err, errlen)) <=
	    0)
		return rc;
	p = buf;
	if (strncmp(p, EXIM_LOG_CURSOR_MAGIC "\n",
		    sizeof(EXIM_LOG_CURSOR_MAGIC)) != 0)
		goto bad;
	p += sizeof(EXIM_LOG_CURSOR_MAGIC);
	for (int i = 0; i < 4; i++) {
		if (*p < '0' || *p > '9')
			goto bad;
		errno = 0;
		v[i] = strtoull(p, &q, 10);
		if (errno != 0 || q == p || *q != (i < 3 ? ' ' : '\n'))
			goto bad;
		p = q + 1;
	}
	if (*p != '\0' || v[2] > INT64_MAX || v[3] > INT64_MAX)
		goto bad;
	cur->dev = v[0];
	cur->ino = v[1];
	cur->offset = (int64_t)v[2];
	cur->lineno = (int64_t)v[3];
	return 1;
bad:
	snprintf(err, errlen,
		 "%s: damaged log cursor (remove it to restart"
		 " from the end of the log)",
		 file);
	return -1;
}

int exim_log_cursor_save(const char *file, const struct exim_log_cursor *cur,
			 char *err, size_t errlen)
{
	char buf[256];
	int n;

	n = snprintf(buf, sizeof(buf),
		     EXIM_LOG_CURSOR_MAGIC "\n%llu %llu %lld %lld\n",
		     (unsigned long long)cur->dev, (unsigned long long)cur->ino,
		     (long long)cur->offset, (long long)cur->lineno);
	return atomic_file_write(file, buf, (size_t)n, 0600, err, errlen);
}
