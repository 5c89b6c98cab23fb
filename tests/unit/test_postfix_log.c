/*
 * test_postfix_log - Postfix log lines (real ones from the lab Postfix
 * 3.7 and LAB-NOTES, syslog / RFC 3339 / no prefix / bare, junk,
 * injections) to outcomes; the incremental reader over a real file:
 * append, partial line, rotation, truncation, overlong lines, positions.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "plugins/postfix_log.h"
#include "tmpdir_fx.h"

/* 2026-11-29 04:00:00 UTC, the lab box's clock when the lines were logged */
#define NOW 1795924800LL

static int64_t utc(int y, int mo, int d, int h, int mi, int s)
{
	struct tm tm = {.tm_year = y - 1900,
			.tm_mon = mo - 1,
			.tm_mday = d,
			.tm_hour = h,
			.tm_min = mi,
			.tm_sec = s};
	return (int64_t)timegm(&tm);
}

static enum postfix_log_kind parse(const char *line,
				   struct postfix_log_entry *e)
{
	return postfix_log_parse(line, strlen(line), NOW, 0, e);
}

static void test_real_lines(void **state)
{
	struct postfix_log_entry e;
	(void)state;

	assert_int_equal(
	    parse(
		"Nov 29 03:34:45 mta11 postfix-lab11/smtp[23080]: A1E2DA7254D: "
		"to=<u1@hotmail.test>, relay=none, delay=0.04, "
		"delays=0.03/0.01/0/0, "
		"dsn=4.4.1, status=deferred (connect to "
		"127.11.0.25[127.11.0.25]:25: "
		"Connection refused)",
		&e),
	    POSTFIX_LOG_RCPT);
	assert_string_equal(e.id, "A1E2DA7254D");
	assert_string_equal(e.address, "u1@hotmail.test");
	assert_int_equal(e.status, MTA_OUTCOME_DEFERRED);
	assert_string_equal(e.dsn, "4.4.1");
	assert_string_equal(
	    e.text,
	    "connect to 127.11.0.25[127.11.0.25]:25: Connection refused");
	assert_int_equal(e.time, utc(2026, 11, 29, 3, 34, 45));

	assert_int_equal(
	    parse(
		"Nov 29 03:36:21 mta10 postfix-lab10/smtp[32708]: 73C05A72F3C: "
		"to=<r4@hotmail.test>, relay=127.10.0.25[127.10.0.25]:25, "
		"delay=0.74, "
		"delays=0.74/0/0/0, dsn=2.0.0, status=sent (250 2.0.0 Ok)",
		&e),
	    POSTFIX_LOG_RCPT);
	assert_int_equal(e.status, MTA_OUTCOME_DELIVERED);
	assert_string_equal(e.dsn, "2.0.0");
	assert_string_equal(e.text, "250 2.0.0 Ok");

	assert_int_equal(
	    parse("Nov 29 03:38:35 mta10 postfix-lab10/smtp[12490]: "
		  "4jcXtg2HXMz1bZ9g: "
		  "to=<x@mta10.lab.test>, orig_to=<x>, relay=none, delay=0.01, "
		  "delays=0.01/0/0/0, dsn=4.4.1, status=deferred (connect to "
		  "127.10.0.25[127.10.0.25]:25: Connection refused)",
		  &e),
	    POSTFIX_LOG_RCPT);
	assert_string_equal(e.id, "4jcXtg2HXMz1bZ9g");
	assert_string_equal(e.address, "x@mta10.lab.test");

	/* LAB-NOTES: stale NODATA at the MTA's resolver */
	assert_int_equal(
	    parse("Nov 29 03:40:00 mx postfix/smtp[1]: 3E55BA72F28: "
		  "to=<u@d.test>, "
		  "relay=none, delay=0.1, delays=0.1/0/0/0, dsn=5.4.4, "
		  "status=bounced "
		  "(Host or domain name not found. Name service error for "
		  "name=d.test "
		  "type=A: Host found but no data record of requested type)",
		  &e),
	    POSTFIX_LOG_RCPT);
	assert_int_equal(e.status, MTA_OUTCOME_BOUNCED);
	assert_string_equal(e.dsn, "5.4.4");
	assert_string_equal(
	    e.text, "Host or domain name not found. Name service error for "
		    "name=d.test type=A: Host found but no data record of "
		    "requested type");

	/* whole-message expiry (postsuper -f, or maximal_queue_lifetime) */
	assert_int_equal(
	    parse(
		"Nov 29 03:42:51 mta10 postfix-lab10/qmgr[21592]: 91163A74182: "
		"from=<>, status=force-expired, returned to sender",
		&e),
	    POSTFIX_LOG_EXPIRED);
	assert_string_equal(e.id, "91163A74182");
	assert_string_equal(e.address, "");
	assert_int_equal(e.status, MTA_OUTCOME_BOUNCED);
	assert_string_equal(e.text, "force-expired, returned to sender");
	assert_int_equal(
	    parse("Nov 29 03:42:51 mx postfix/qmgr[2]: 91163A74182: "
		  "from=<s3@lab.test>, status=expired, returned to sender",
		  &e),
	    POSTFIX_LOG_EXPIRED);
	assert_string_equal(e.text, "expired, returned to sender");

	/* per-recipient expired */
	assert_int_equal(
	    parse("91163A74182: to=<a@b.test>, relay=none, delay=1, "
		  "delays=1/0/0/0, dsn=4.4.1, status=expired (gave up)",
		  &e),
	    POSTFIX_LOG_RCPT);
	assert_int_equal(e.status, MTA_OUTCOME_BOUNCED);
}

static void test_prefixes(void **state)
{
	static const char payload[] =
	    "A1E2DA7254D: to=<u@x.test>, relay=none, "
	    "delay=0, delays=0/0/0/0, dsn=4.4.1, status=deferred (refused)";
	char line[512];
	struct postfix_log_entry e;
	(void)state;

	/* RFC 3339 (rsyslog), with an offset */
	snprintf(line, sizeof(line),
		 "2026-11-29T05:34:45.123456+02:00 mx postfix/smtp[1]: %s",
		 payload);
	assert_int_equal(parse(line, &e), POSTFIX_LOG_RCPT);
	assert_int_equal(e.time, utc(2026, 11, 29, 3, 34, 45));
	snprintf(line, sizeof(line),
		 "2026-11-29T03:34:45Z mx postfix/smtp[1]: %s", payload);
	assert_int_equal(parse(line, &e), POSTFIX_LOG_RCPT);
	assert_int_equal(e.time, utc(2026, 11, 29, 3, 34, 45));
	/* no syslog date/host */
	snprintf(line, sizeof(line), "postfix/smtp[123]: %s", payload);
	assert_int_equal(parse(line, &e), POSTFIX_LOG_RCPT);
	assert_int_equal(e.time, 0);
	assert_string_equal(e.id, "A1E2DA7254D");
	/* bare payload */
	assert_int_equal(parse(payload, &e), POSTFIX_LOG_RCPT);
	assert_string_equal(e.address, "u@x.test");
	/* space-padded day; local time one hour east of UTC */
	snprintf(line, sizeof(line), "Nov  3 04:34:45 mx postfix/smtp[1]: %s",
		 payload);
	assert_int_equal(postfix_log_parse(line, strlen(line), NOW, 3600, &e),
			 POSTFIX_LOG_RCPT);
	assert_int_equal(e.time, utc(2026, 11, 3, 3, 34, 45));
	/* December's line read on the 1st of January */
	snprintf(line, sizeof(line), "Dec 31 23:59:59 mx postfix/smtp[1]: %s",
		 payload);
	assert_int_equal(postfix_log_parse(line, strlen(line),
					   utc(2027, 1, 1, 0, 0, 10), 0, &e),
			 POSTFIX_LOG_RCPT);
	assert_int_equal(e.time, utc(2026, 12, 31, 23, 59, 59));
}

static void test_other_and_junk(void **state)
{
	static const char *const other[] = {
	    "Nov 29 03:34:45 mta11 postfix-lab11/qmgr[21927]: A1E2DA7254D: "
	    "from=<alice@lab.test>, size=270, nrcpt=2 (queue active)",
	    "Nov 29 03:34:45 mta11 postfix-lab11/smtp[23080]: connect to "
	    "127.11.0.25[127.11.0.25]:25: Connection refused",
	    "Nov 29 03:34:45 mta11 postfix-lab11/qmgr[21927]: A1E2DA7254D: "
	    "removed",
	    "Nov 29 03:36:21 mta10 postfix-lab10/postsuper[383]: 3E55BA72F28: "
	    "placed on hold",
	    "Nov 29 03:34:45 mta11 postfix-lab11/cleanup[1]: A1E2DA7254D: "
	    "message-id=<x]: B453BA72B2C: to=<v@x>, relay=none, delay=0, "
	    "delays=0, dsn=2.0.0, status=sent (faked)>",
	    /* an injected delivery line inside a logged header */
	    "Nov 29 03:34:45 mx postfix/cleanup[1]: A1E2DA7254D: warning: "
	    "header Subject: x]: B453BA72B2C: to=<v@x>, relay=none, delay=0, "
	    "delays=0, dsn=2.0.0, status=sent (faked) from local; from=<a@b> "
	    "to=<c@d>",
	    /* verify probes are not deliveries */
	    "B453BA72B2C: to=<v@x>, relay=none, delay=0, delays=0/0/0/0, "
	    "dsn=2.0.0, status=deliverable (ok)",
	    /* ids postfix never makes */
	    "Nov 29 03:34:45 mx postfix/smtp[1]: ALL: to=<v@x>, relay=none, "
	    "delay=0, delays=0, dsn=2.0.0, status=sent (x)",
	    "Nov 29 03:34:45 mx postfix/smtp[1]: a1e2da7254d: to=<v@x>, "
	    "relay=none, delay=0, delays=0, dsn=2.0.0, status=sent (x)",
	    /* a date but no program: not a Postfix line */
	    "Nov 29 03:34:45 mx B453BA72B2C: to=<v@x>, relay=none, delay=0, "
	    "delays=0, dsn=2.0.0, status=sent (x)",
	    "",
	    "garbage",
	    "\x01\x02\x03",
	    "Nov 29 03:34:45",
	    "]: ]: ]:",
	};
	struct postfix_log_entry e;
	(void)state;

	for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++)
		if (postfix_log_parse(other[i], strlen(other[i]), NOW, 0, &e) !=
		    POSTFIX_LOG_OTHER)
			fail_msg("line #%zu not OTHER (kind %d)", i, e.kind);
}

static void test_malformed(void **state)
{
	static const char *const bad[] = {
	    "A1E2DA7254D: to=<u@x>, relay=none, dsn=9.9.9, status=sent (x)",
	    "A1E2DA7254D: to=<u@x>, relay=none, dsn=2.0, status=sent (x)",
	    "A1E2DA7254D: to=<u@x>, relay=none, dsn=2.0.0.0, status=sent (x)",
	    "A1E2DA7254D: to=<u@x>, relay=none, status=sent (x)",
	    "A1E2DA7254D: to=<u@x>, relay=none, dsn=2.0.0",
	    "A1E2DA7254D: to=<u@x> relay=none, dsn=2.0.0, status=sent (x)",
	    "A1E2DA7254D: to=<u@x>, relay=none, dsn=2.0.0, status=sent (x",
	    "A1E2DA7254D: to=<u@x>, relay=none, dsn=2.0.0, status=sent x",
	    "A1E2DA7254D: to=<u\x01@x>, relay=none, dsn=2.0.0, status=sent (x)",
	    "A1E2DA7254D: to=<>, relay=none, dsn=2.0.0, status=sent (x)",
	    "A1E2DA7254D: to=<u@x>, orig_to=u, relay=none, dsn=2.0.0, "
	    "status=sent (x)",
	    "A1E2DA7254D: to=<u@x>, Relay=none, dsn=2.0.0, status=sent (x)",
	};
	struct postfix_log_entry e;
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (postfix_log_parse(bad[i], strlen(bad[i]), NOW, 0, &e) !=
		    POSTFIX_LOG_MALFORMED)
			fail_msg("line #%zu not MALFORMED (kind %d)", i,
				 e.kind);
		assert_non_null(e.why);
	}
}

static void test_text_bounds(void **state)
{
	char line[2048];
	struct postfix_log_entry e;
	int n;
	(void)state;

	n = snprintf(line, sizeof(line),
		     "A1E2DA7254D: to=<u@x>, relay=none, dsn=5.1.1, "
		     "status=bounced (");
	memset(line + n, 'T', 1000);
	snprintf(line + n + 1000, sizeof(line) - (size_t)n - 1000, ")");
	assert_int_equal(parse(line, &e), POSTFIX_LOG_RCPT);
	assert_int_equal(strlen(e.text), LIMIT_REASON);
	/* a control byte inside the text is masked, the line is kept */
	assert_int_equal(parse("A1E2DA7254D: to=<u@x>, relay=none, dsn=5.1.1, "
			       "status=bounced (user \x1b[1munknown)",
			       &e),
			 POSTFIX_LOG_RCPT);
	assert_string_equal(e.text, "user ?[1munknown");
	/* the text may hold anything, "status=" too: the first one counts */
	assert_int_equal(
	    parse("A1E2DA7254D: to=<u@x>, relay=none, dsn=4.4.1, "
		  "status=deferred (said: , dsn=2.0.0, status=sent (ok))",
		  &e),
	    POSTFIX_LOG_RCPT);
	assert_int_equal(e.status, MTA_OUTCOME_DEFERRED);
	assert_string_equal(e.dsn, "4.4.1");
}

/* ---- the incremental reader, on real files ---- */

struct lines {
	size_t n;
	char text[32][128];
	size_t stop_after; /* 0: never */
};

static int collect(void *ctx, const char *line, size_t len, int64_t lineno)
{
	struct lines *l = ctx;
	(void)lineno;
	if (l->n < 32)
		snprintf(l->text[l->n], sizeof(l->text[0]), "%.*s", (int)len,
			 line);
	l->n++;
	return l->stop_after && l->n >= l->stop_after;
}

static char dir[64];

static void path_of(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
}

static void append(const char *name, const char *text)
{
	char p[128];
	FILE *f;
	path_of(p, sizeof(p), name);
	f = fopen(p, "a");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void follow(struct postfix_log_pos *pos, struct lines *l)
{
	char p[128], err[256];
	memset(l->text, 0, sizeof(l->text));
	l->n = 0;
	path_of(p, sizeof(p), "maillog");
	assert_int_equal(
	    postfix_log_follow(p, NULL, pos, collect, l, err, sizeof(err)), 0);
}

static int setup_dir(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_postfix_log.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown_dir(void **state)
{
	(void)state;
	return tmpdir_fx_remove(dir);
}

static void test_reader_append_partial(void **state)
{
	struct postfix_log_pos pos = {0};
	struct lines l = {0};
	char p[128], err[256];
	(void)state;

	follow(&pos, &l); /* no file yet: nothing, no error */
	assert_int_equal(l.n, 0);
	append("maillog", "one\ntwo\nthr");
	follow(&pos, &l);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.text[0], "one");
	assert_string_equal(l.text[1], "two");
	assert_int_equal(pos.offset, 8);
	follow(&pos, &l);
	assert_int_equal(l.n, 0); /* the partial line waits */
	append("maillog", "ee\n\nfour\n");
	follow(&pos, &l);
	assert_int_equal(l.n, 2); /* the empty line is not handed out */
	assert_string_equal(l.text[0], "three");
	assert_string_equal(l.text[1], "four");

	/* the callback may stop early: the rest comes next time */
	append("maillog", "five\nsix\nseven\n");
	l.stop_after = 1;
	follow(&pos, &l);
	assert_int_equal(l.n, 1);
	l.stop_after = 0;
	follow(&pos, &l);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.text[0], "six");

	/* positions survive a restart: save, load */
	char posfile[128];
	struct postfix_log_pos back = {0};
	path_of(posfile, sizeof(posfile), "postfix-log.offset");
	assert_int_equal(postfix_log_pos_load(posfile, &back, err, sizeof(err)),
			 0);
	assert_int_equal(postfix_log_pos_save(posfile, &pos, err, sizeof(err)),
			 0);
	assert_int_equal(postfix_log_pos_load(posfile, &back, err, sizeof(err)),
			 1);
	assert_memory_equal(&back, &pos, sizeof(pos));
	append("postfix-log.offset", "junk");
	assert_int_equal(postfix_log_pos_load(posfile, &back, err, sizeof(err)),
			 -1);

	/* the end of the log, after its last complete line */
	append("maillog", "eight\nnin");
	path_of(p, sizeof(p), "maillog");
	assert_int_equal(postfix_log_pos_end(p, NULL, &back, err, sizeof(err)),
			 0);
	append("maillog", "e\nten\n");
	follow(&back, &l);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.text[0], "nine");
}

static void test_reader_rotation(void **state)
{
	struct postfix_log_pos pos = {0};
	struct lines l = {0};
	char a[128], b[128];
	(void)state;

	path_of(a, sizeof(a), "maillog");
	path_of(b, sizeof(b), "maillog.1");
	unlink(a);
	append("maillog", "old1\nold2\n");
	follow(&pos, &l);
	assert_int_equal(l.n, 2);
	/* rotate: the writer still appends to the old file, then a new one */
	assert_int_equal(rename(a, b), 0);
	append("maillog.1", "old3\n");
	append("maillog", "new1\nnew2\n");
	follow(&pos, &l);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.text[0], "old3");
	assert_string_equal(l.text[1], "new1");
	assert_string_equal(l.text[2], "new2");

	/* rotated away entirely (no LOG.1 with the inode): new file from 0 */
	unlink(b);
	assert_int_equal(rename(a, b), 0);
	unlink(b);
	append("maillog", "fresh\n");
	follow(&pos, &l);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.text[0], "fresh");
}

static void test_reader_truncation(void **state)
{
	struct postfix_log_pos pos = {0};
	struct lines l = {0};
	char a[128];
	(void)state;

	path_of(a, sizeof(a), "maillog");
	unlink(a);
	append("maillog", "aaaaaaaaaa\nbbbbbbbbbb\n");
	follow(&pos, &l);
	assert_int_equal(l.n, 2);
	assert_int_equal(truncate(a, 0), 0); /* copytruncate */
	append("maillog", "c\n");
	follow(&pos, &l);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.text[0], "c");
}

static void test_reader_overlong(void **state)
{
	struct postfix_log_pos pos = {0};
	struct lines l = {0};
	char a[128];
	char *big = malloc(LIMIT_LOG_LINE + 200);
	(void)state;

	path_of(a, sizeof(a), "maillog");
	unlink(a);
	memset(big, 'x', LIMIT_LOG_LINE + 100);
	big[LIMIT_LOG_LINE + 100] = '\0';
	append("maillog", "ok1\n");
	append("maillog", big);
	append("maillog", "\nok2\n");
	follow(&pos, &l);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.text[0], "ok1");
	assert_string_equal(l.text[1], "ok2");

	/* an overlong line still being written: skipped across calls */
	append("maillog", big);
	follow(&pos, &l);
	assert_int_equal(l.n, 0);
	assert_int_equal(pos.skipping, 1);
	append("maillog", "tail of the long line\nok3\n");
	follow(&pos, &l);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.text[0], "ok3");

	/* exactly LIMIT_LOG_LINE bytes is accepted */
	big[LIMIT_LOG_LINE] = '\0';
	append("maillog", big);
	append("maillog", "\n");
	follow(&pos, &l);
	assert_int_equal(l.n, 1);
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_real_lines),
	    cmocka_unit_test(test_prefixes),
	    cmocka_unit_test(test_other_and_junk),
	    cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_text_bounds),
	    cmocka_unit_test(test_reader_append_partial),
	    cmocka_unit_test(test_reader_rotation),
	    cmocka_unit_test(test_reader_truncation),
	    cmocka_unit_test(test_reader_overlong),
	};
	return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
