/*
 * NAME
 *	postfix_log 3
 * SUMMARY
 *	parse Postfix delivery log lines; follow the log across rotations
 * DESCRIPTION
 *	postfix_log_parse() is pure: it finds the payload after an optional
 *	date (syslog "Mmm dd hh:mm:ss" or RFC 3339), host and "prog[pid]: ",
 *	then reads a delivery line ("ID: to=<A>, ..., dsn=D, status=S (T)")
 *	or a message expiry ("ID: from=<S>, status=expired, returned to
 *	sender"). Texts are bounded (LIMIT_*) and masked.
 *
 *	postfix_log_follow() owns one descriptor and a line buffer for the
 *	duration of the call; postfix_log_pos_save() writes with
 *	atomic_file_write() (run as root: the file gets its directory's
 *	owner, the dropped daemon's user).
 * DIAGNOSTICS
 *	Malformed delivery lines come back as POSTFIX_LOG_MALFORMED with a
 *	reason; the reader logs overlong lines (with their byte offset),
 *	truncations and rotations, and returns "log FILE: why" in err.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/atomic_file.h"
#include "util/log.h"
#include "postfix_id.h"
#include "postfix_log.h"
#include "mta_file.h"

#define POSTFIX_LOG_CHUNK     65536
#define POSTFIX_LOG_POS_MAGIC "postfix-log-pos 1"

/* ---- pure parser ---- */

/* Parse exactly @param n digits at @param p. @return the value or -1. */
static int postfix_log_digits(const char *p, size_t n)
{
	int v = 0;

	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)p[i]))
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v;
}

/* "Mmm dd hh:mm:ss " at @param p: @return bytes used (16) or 0. */
static size_t postfix_log_syslog_date(const char *p, size_t len, int64_t now,
				      long tzoff, int64_t *t)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	struct tm tm, nowtm;
	time_t local_now = (time_t)(now + tzoff);
	const char *m;
	int day, hh, mi, ss;

	if (len < 16 || p[3] != ' ' || p[6] != ' ' || p[9] != ':' ||
	    p[12] != ':' || p[15] != ' ')
		return 0;
	m = memmem(months, sizeof(months) - 1, p, 3);
	if (m == NULL || (m - months) % 3 != 0)
		return 0;
	day = p[4] == ' ' ? postfix_log_digits(p + 5, 1)
			  : postfix_log_digits(p + 4, 2);
	hh = postfix_log_digits(p + 7, 2);
	mi = postfix_log_digits(p + 10, 2);
	ss = postfix_log_digits(p + 13, 2);
	if (day < 1 || day > 31 || hh < 0 || hh > 23 || mi < 0 || mi > 59 ||
	    ss < 0 || ss > 60)
		return 0;
	if (gmtime_r(&local_now, &nowtm) == NULL)
		return 0;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = nowtm.tm_year;
	tm.tm_mon = (int)((m - months) / 3);
	tm.tm_mday = day;
	tm.tm_hour = hh;
	tm.tm_min = mi;
	tm.tm_sec = ss;
	*t = (int64_t)timegm(&tm) - tzoff;
	if (*t > now + 86400) { /* December's lines read in January */
		tm.tm_year--;
		*t = (int64_t)timegm(&tm) - tzoff;
	}
	return 16;
}

/* "YYYY-MM-DDThh:mm:ss[.frac](Z|+hh:mm) " at @param p: bytes used or 0. */
static size_t postfix_log_iso_date(const char *p, size_t len, int64_t *t)
{
	struct tm tm;
	size_t i = 19;
	long off = 0;

	if (len < 21 || p[4] != '-' || p[7] != '-' || p[10] != 'T' ||
	    p[13] != ':' || p[16] != ':')
		return 0;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = postfix_log_digits(p, 4) - 1900;
	tm.tm_mon = postfix_log_digits(p + 5, 2) - 1;
	tm.tm_mday = postfix_log_digits(p + 8, 2);
	tm.tm_hour = postfix_log_digits(p + 11, 2);
	tm.tm_min = postfix_log_digits(p + 14, 2);
	tm.tm_sec = postfix_log_digits(p + 17, 2);
	if (tm.tm_year < 0 || tm.tm_mon < 0 || tm.tm_mon > 11 ||
	    tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour < 0 ||
	    tm.tm_hour > 23 || tm.tm_min < 0 || tm.tm_min > 59 ||
	    tm.tm_sec < 0 || tm.tm_sec > 60)
		return 0;
	if (i < len && p[i] == '.') {
		i++;
		while (i < len && isdigit((unsigned char)p[i]) && i < 30)
			i++;
	}
	if (i < len && p[i] == 'Z') {
		i++;
	} else if (i + 6 <= len && (p[i] == '+' || p[i] == '-') &&
		   p[i + 3] == ':') {
		int h = postfix_log_digits(p + i + 1, 2);
		int m = postfix_log_digits(p + i + 4, 2);
		if (h < 0 || h > 23 || m < 0 || m > 59)
			return 0;
		off = (h * 3600L + m * 60L) * (p[i] == '-' ? -1 : 1);
		i += 6;
	} else {
		return 0;
	}
	if (i >= len || p[i] != ' ')
		return 0;
	*t = (int64_t)timegm(&tm) - off;
	return i + 1;
}

/* Copy @param n bytes, masking control bytes, truncated to dstlen-1. */
static void postfix_log_copy(char *dst, size_t dstlen, const char *src,
			     size_t n)
{
	if (n > dstlen - 1)
		n = dstlen - 1;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)src[i];
		dst[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	dst[n] = '\0';
}

/* 1 for an address we accept from the log: bounded, no control bytes. */
static int postfix_log_address_ok(const char *s, size_t n)
{
	if (n == 0 || n > LIMIT_ADDRESS)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

/* 1 for an enhanced status code: [245].d{1,3}.d{1,3} */
static int postfix_log_dsn_ok(const char *s, size_t n)
{
	size_t i = 2, k;

	if (n < 5 || n > LIMIT_DSN ||
	    (s[0] != '2' && s[0] != '4' && s[0] != '5') || s[1] != '.')
		return 0;
	for (int part = 0; part < 2; part++) {
		for (k = 0; i < n && isdigit((unsigned char)s[i]); i++)
			k++;
		if (k < 1 || k > 3)
			return 0;
		if (part == 0 && (i >= n || s[i++] != '.'))
			return 0;
	}
	return i == n;
}

static enum postfix_log_kind postfix_log_bad(struct postfix_log_entry *e,
					     const char *why)
{
	e->kind = POSTFIX_LOG_MALFORMED;
	e->why = why;
	return e->kind;
}

/* "delay=12.3" up to @param end: whole seconds, or -1. */
static int64_t postfix_log_seconds(const char *v, const char *end)
{
	int64_t s = 0;
	const char *p = v;

	for (; p < end && isdigit((unsigned char)*p) && p - v < 12; p++)
		s = s * 10 + (*p - '0');
	if (p == v || (p < end && *p != '.'))
		return -1;
	return s;
}

/* "to=<A>, k=v, ..., dsn=D, status=S (T)" at @param p (after "ID: "). */
static enum postfix_log_kind postfix_log_rcpt(const char *p, const char *end,
					      struct postfix_log_entry *e)
{
	const char *a = p + 4, *q, *dsn = NULL, *st = NULL;
	size_t dsnlen = 0, stlen = 0;

	q = memmem(a, (size_t)(end - a), ">, ", 3);
	if (q == NULL || !postfix_log_address_ok(a, (size_t)(q - a)))
		return postfix_log_bad(e, "bad to=<address>");
	memcpy(e->address, a, (size_t)(q - a));
	e->address[q - a] = '\0';
	p = q + 1; /* at ", " */
	while (st == NULL) {
		const char *key, *eq, *v, *ve;

		if (end - p < 2 || p[0] != ',' || p[1] != ' ')
			return postfix_log_bad(e, "expected \", key=value\"");
		key = p + 2;
		for (eq = key;
		     eq < end && (islower((unsigned char)*eq) || *eq == '_');
		     eq++)
			;
		if (eq == key || eq >= end || *eq != '=')
			return postfix_log_bad(e, "expected key=");
		v = eq + 1;
		if ((size_t)(eq - key) == 7 && memcmp(key, "orig_to", 7) == 0) {
			if (v >= end || *v != '<' ||
			    (ve = memmem(v, (size_t)(end - v), ">, ", 3)) ==
				NULL)
				return postfix_log_bad(e,
						       "bad orig_to=<address>");
			ve++;
		} else if ((size_t)(eq - key) == 6 &&
			   memcmp(key, "status", 6) == 0) {
			for (ve = v; ve < end && *ve != ' '; ve++)
				;
			st = v;
			stlen = (size_t)(ve - v);
		} else {
			ve = memmem(v, (size_t)(end - v), ", ", 2);
			if (ve == NULL)
				return postfix_log_bad(e, "no status=");
			if ((size_t)(eq - key) == 3 &&
			    memcmp(key, "dsn", 3) == 0) {
				dsn = v;
				dsnlen = (size_t)(ve - v);
			} else if ((size_t)(eq - key) == 5 &&
				   memcmp(key, "delay", 5) == 0) {
				e->delay = postfix_log_seconds(v, ve);
			}
		}
		p = ve;
	}
	if (dsn == NULL || !postfix_log_dsn_ok(dsn, dsnlen))
		return postfix_log_bad(e, "missing or bad dsn=");
	memcpy(e->dsn, dsn, dsnlen);
	e->dsn[dsnlen] = '\0';
	if (stlen == 4 && memcmp(st, "sent", 4) == 0)
		e->status = MTA_OUTCOME_DELIVERED;
	else if (stlen == 8 && memcmp(st, "deferred", 8) == 0)
		e->status = MTA_OUTCOME_DEFERRED;
	else if ((stlen == 7 && memcmp(st, "bounced", 7) == 0) ||
		 (stlen == 7 && memcmp(st, "expired", 7) == 0))
		e->status = MTA_OUTCOME_BOUNCED;
	else
		return e
		    ->kind; /* deliverable, undeliverable...: not a delivery */
	/* p is after the status word: " (TEXT)" or the end */
	if (p < end) {
		if (end - p < 3 || p[0] != ' ' || p[1] != '(' || end[-1] != ')')
			return postfix_log_bad(e, "bad (text) after status=");
		postfix_log_copy(e->text, sizeof(e->text), p + 2,
				 (size_t)(end - 1 - (p + 2)));
	}
	e->kind = POSTFIX_LOG_RCPT;
	return e->kind;
}

/* "from=<S>, status=[force-]expired, returned to sender" */
static enum postfix_log_kind postfix_log_expired(const char *p, const char *end,
						 struct postfix_log_entry *e)
{
	static const char *const tails[] = {
	    ">, status=expired, returned to sender",
	    ">, status=force-expired, returned to sender",
	};

	for (size_t i = 0; i < 2; i++) {
		size_t n = strlen(tails[i]);
		if ((size_t)(end - p) >= n + 6 &&
		    memcmp(end - n, tails[i], n) == 0) {
			e->status = MTA_OUTCOME_BOUNCED;
			snprintf(e->text, sizeof(e->text), "%s", tails[i] + 10);
			e->kind = POSTFIX_LOG_EXPIRED;
			return e->kind;
		}
	}
	return e->kind; /* from=<...>, size=..., nrcpt=... (queue active) */
}

enum postfix_log_kind postfix_log_parse(const char *line, size_t len,
					int64_t now, long tzoff,
					struct postfix_log_entry *e)
{
	const char *p = line, *end = line + len, *sp, *c;
	size_t used;

	memset(e, 0, sizeof(*e));
	e->kind = POSTFIX_LOG_OTHER;
	e->delay = -1;
	if ((used = postfix_log_syslog_date(p, len, now, tzoff, &e->time)) == 0)
		used = postfix_log_iso_date(p, len, &e->time);
	if (used > 0) {
		p += used;
		/* the host name */
		sp = memchr(p, ' ', (size_t)(end - p));
		if (sp == NULL)
			return e->kind;
		p = sp + 1;
	}
	/* "prog[pid]: " (required after a date, optional otherwise) */
	sp = memchr(p, ' ', (size_t)(end - p));
	if (sp != NULL && sp - p >= 4 && sp[-1] == ':' && sp[-2] == ']')
		p = sp + 1;
	else if (used > 0)
		return e->kind;
	/* "ID: " */
	c = memchr(p, ':', (size_t)(end - p));
	if (c == NULL || end - c < 2 || c[1] != ' ' ||
	    !postfix_id_valid_n(p, (size_t)(c - p)))
		return e->kind;
	memcpy(e->id, p, (size_t)(c - p));
	e->id[c - p] = '\0';
	p = c + 2;
	e->payload = p;
	e->payloadlen = (size_t)(end - p);
	if (end - p > 4 && memcmp(p, "to=<", 4) == 0)
		return postfix_log_rcpt(p, end, e);
	if (end - p > 6 && memcmp(p, "from=<", 6) == 0)
		return postfix_log_expired(p, end, e);
	return e->kind;
}

/* ---- incremental reader ---- */

struct postfix_log_reader {
	char *line; /* LIMIT_LOG_LINE + 1 bytes */
	size_t used;
	int64_t lineno;
	postfix_log_line_fn fn;
	void *ctx;
	const char *path;
	const struct mta_host *host; /* NULL: open files here */
};

/*
 * Read @param fd from pos->offset to its end. @return 0, 1 when the
 * callback asked to stop, -1 on a read error (err set).
 */
static int postfix_log_read_fd(struct postfix_log_reader *r, int fd,
			       struct postfix_log_pos *pos, char *err,
			       size_t errlen)
{
	char *buf = malloc(POSTFIX_LOG_CHUNK);
	int64_t at = pos->offset; /* file offset of buf[0] */
	int rc = 0;

	if (buf == NULL) {
		snprintf(err, errlen, "log %s: out of memory", r->path);
		return -1;
	}
	r->used = 0;
	if (lseek(fd, (off_t)pos->offset, SEEK_SET) < 0) {
		snprintf(err, errlen, "log %s: seek: %s", r->path,
			 strerror(errno));
		free(buf);
		return -1;
	}
	for (;;) {
		ssize_t got = read(fd, buf, POSTFIX_LOG_CHUNK);
		size_t i = 0;

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			snprintf(err, errlen, "log %s: read: %s", r->path,
				 strerror(errno));
			rc = -1;
			break;
		}
		if (got == 0)
			break;
		while (i < (size_t)got) {
			char *nl = memchr(buf + i, '\n', (size_t)got - i);
			size_t seg =
			    nl ? (size_t)(nl - (buf + i)) : (size_t)got - i;

			if (pos->skipping) {
				if (nl)
					pos->skipping = 0;
			} else if (r->used + seg > LIMIT_LOG_LINE) {
				log_warn(
				    "log %.200s: line at byte %lld longer than "
				    "%d bytes: skipped",
				    r->path, (long long)(pos->offset),
				    LIMIT_LOG_LINE);
				r->used = 0;
				pos->skipping = nl == NULL;
			} else {
				memcpy(r->line + r->used, buf + i, seg);
				r->used += seg;
			}
			if (nl == NULL) {
				/* consumed only when skipping an overlong line
				 */
				if (pos->skipping)
					pos->offset = at + got;
				break;
			}
			i += seg + 1;
			pos->offset = at + (int64_t)i;
			if (r->used > 0 || seg == 0) {
				size_t n = r->used;
				r->used = 0;
				r->lineno++;
				if (seg == 0 && n == 0)
					continue; /* an empty line */
				if (r->fn(r->ctx, r->line, n, r->lineno) == 1) {
					rc = 1;
					goto out;
				}
			}
		}
		at += got;
	}
out:
	free(buf);
	return rc;
}

/* Finish the rotated file (LOG.1 or LOG.0 still holding pos's inode). */
static int postfix_log_finish_old(struct postfix_log_reader *r,
				  struct postfix_log_pos *pos, char *err,
				  size_t errlen)
{
	static const enum mta_file rotated[] = {MTA_FILE_LOG_1, MTA_FILE_LOG_0};
	char why[256];
	struct stat st;

	for (size_t i = 0; i < 2; i++) {
		int fd, rc;
		fd = mta_file_open("log", r->path, r->host, rotated[i], why,
				   sizeof(why));
		if (fd < 0)
			continue;
		if (fstat(fd, &st) == 0 && (uint64_t)st.st_ino == pos->ino &&
		    (uint64_t)st.st_dev == pos->dev &&
		    st.st_size >= pos->offset) {
			rc = postfix_log_read_fd(r, fd, pos, err, errlen);
			close(fd);
			return rc;
		}
		close(fd);
	}
	pos->gap = 1; /* the rotated file is gone: its tail is lost */
	return 0;
}

int postfix_log_follow(const char *path, const struct mta_host *host,
		       struct postfix_log_pos *pos, postfix_log_line_fn fn,
		       void *ctx, char *err, size_t errlen)
{
	struct postfix_log_reader r = {
	    .fn = fn, .ctx = ctx, .path = path, .host = host};
	struct stat st;
	int fd, rc;

	fd = mta_file_open("log", path, host, MTA_FILE_LOG, err, errlen);
	if (fd < 0) {
		if (errno == ENOENT) {
			err[0] = '\0';
			return 0; /* not written yet */
		}
		return -1;
	}
	r.line = malloc(LIMIT_LOG_LINE + 1);
	if (r.line == NULL || fstat(fd, &st) < 0) {
		snprintf(err, errlen, "log %s: %s", path,
			 r.line ? strerror(errno) : "out of memory");
		close(fd);
		free(r.line);
		return -1;
	}
	if (pos->ino != 0 && ((uint64_t)st.st_ino != pos->ino ||
			      (uint64_t)st.st_dev != pos->dev)) {
		rc = postfix_log_finish_old(&r, pos, err, errlen);
		if (rc != 0) {
			close(fd);
			free(r.line);
			return rc < 0 ? -1
				      : 0; /* stopped: the rest next time */
		}
		log_info("log %.200s: rotated, reading the new file", path);
		pos->offset = 0;
		pos->skipping = 0;
	} else if (st.st_size < pos->offset) {
		log_warn(
		    "log %.200s: shorter than the position read (%lld < %lld):"
		    " truncated, reading it again from the start",
		    path, (long long)st.st_size, (long long)pos->offset);
		pos->offset = 0;
		pos->skipping = 0;
		pos->gap = 1;
	}
	pos->dev = (uint64_t)st.st_dev;
	pos->ino = (uint64_t)st.st_ino;
	rc = postfix_log_read_fd(&r, fd, pos, err, errlen);
	close(fd);
	free(r.line);
	return rc < 0 ? -1 : 0;
}

int postfix_log_pos_end(const char *path, const struct mta_host *host,
			struct postfix_log_pos *pos, char *err, size_t errlen)
{
	struct stat st;
	char buf[4096];
	int fd;

	memset(pos, 0, sizeof(*pos));
	fd = mta_file_open("log", path, host, MTA_FILE_LOG, err, errlen);
	if (fd < 0) {
		if (errno == ENOENT) {
			err[0] = '\0';
			return 0;
		}
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		snprintf(err, errlen, "log %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	pos->dev = (uint64_t)st.st_dev;
	pos->ino = (uint64_t)st.st_ino;
	pos->offset = st.st_size;
	/* stop after the last newline, so no tail of a line is read as a line
	 */
	if (st.st_size > 0) {
		off_t from = st.st_size > (off_t)sizeof(buf)
				 ? st.st_size - (off_t)sizeof(buf)
				 : 0;
		ssize_t got = pread(fd, buf, (size_t)(st.st_size - from), from);
		char *nl = got > 0 ? memrchr(buf, '\n', (size_t)got) : NULL;
		if (nl != NULL)
			pos->offset = (int64_t)from + (nl - buf) + 1;
		else if (from == 0)
			pos->offset = 0;
		else
			pos->skipping = 1; /* mid-line: skip to its end */
	}
	close(fd);
	return 0;
}

int postfix_log_pos_load(const char *file, struct postfix_log_pos *pos,
			 char *err, size_t errlen)
{
	char buf[256];
	unsigned long long dev, ino;
	long long off;
	int skip, n = -1, rc;
	size_t got;

	if ((rc = atomic_file_read(file, buf, sizeof(buf), &got, err,
				   errlen)) <= 0)
		return rc;
	if (sscanf(buf, POSTFIX_LOG_POS_MAGIC " %llu %llu %lld %d\n%n", &dev,
		   &ino, &off, &skip, &n) != 4 ||
	    n < 0 || (size_t)n != got || off < 0 || (skip != 0 && skip != 1)) {
		snprintf(err, errlen, "%s: damaged position file", file);
		return -1;
	}
	pos->dev = dev;
	pos->ino = ino;
	pos->offset = off;
	pos->skipping = skip;
	return 1;
}

/*
 * Run as root (the privileged helper), a replaced position file would
 * be root's: it gets the owner of its directory (state_dir, the dropped
 * daemon's user), as every file there must be.
 */
static void postfix_log_pos_owner(const char *file)
{
	char dir[LIMIT_PATH + 1];
	const char *slash = strrchr(file, '/');
	struct stat st;

	if (geteuid() != 0 || slash == NULL ||
	    (size_t)(slash - file) >= sizeof(dir))
		return;
	memcpy(dir, file, (size_t)(slash - file));
	dir[slash - file] = '\0';
	if (stat(dir[0] ? dir : "/", &st) == 0 && st.st_uid != 0 &&
	    lchown(file, st.st_uid, st.st_gid) < 0)
		log_warn("%s: chown: %s", file, strerror(errno));
}

int postfix_log_pos_save(const char *file, const struct postfix_log_pos *pos,
			 char *err, size_t errlen)
{
	char buf[256];
	int n;

	n = snprintf(buf, sizeof(buf),
		     POSTFIX_LOG_POS_MAGIC " %llu %llu %lld %d\n",
		     (unsigned long long)pos->dev, (unsigned long long)pos->ino,
		     (long long)pos->offset, pos->skipping);
	if (atomic_file_write(file, buf, (size_t)n, 0600, err, errlen) < 0)
		return -1;
	postfix_log_pos_owner(file);
	return 0;
}
