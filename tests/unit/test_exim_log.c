/*
 * test_exim_log - Exim main log / msglog line parsing and the incremental
 * reader (rotation, truncation, partial and overlong lines, cursor files).
 * Log lines were captured from the lab's Exim 4.96; variants (+pid,
 * +millisec, log_timezone, 4.97 ids) follow Exim's documented formats.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "plugins/exim_log.h"
#include "tmpdir_fx.h"

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

static enum exim_log_kind P(const char *line, struct exim_log_entry *e)
{
	return exim_log_parse(line, strlen(line), 0, e);
}

static void test_delivered(void **state)
{
	struct exim_log_entry e;

	(void)state;
	assert_int_equal(P("2026-11-29 03:10:20 1xXVIy-0002DP-12 => "
			   "good@ok.test R=lab_route T=remote_smtp "
			   "H=127.10.0.25 [127.10.0.25] C=\"250 2.0.0 Ok\"",
			   &e),
			 EXIM_LOG_DELIVERED);
	assert_string_equal(e.id, "1xXVIy-0002DP-12");
	assert_string_equal(e.address, "good@ok.test");
	assert_string_equal(e.dsn, "2.0.0");
	assert_string_equal(e.text, "250 2.0.0 Ok");
	assert_int_equal(e.time, utc(2026, 11, 29, 3, 10, 20));

	assert_int_equal(
	    P("2026-11-29 03:04:36 1xXVDQ-0001hi-0T -> u2@live.test "
	      "R=lab_route T=remote_smtp H=127.10.0.25 [127.10.0.25] C=\"250 "
	      "2.0.0 Ok: queued as 4Xy\"",
	      &e),
	    EXIM_LOG_ADDITIONAL);
	assert_string_equal(e.address, "u2@live.test");
	assert_string_equal(e.text, "250 2.0.0 Ok: queued as 4Xy");

	/* continued connection (*), no C= (log_selector -smtp_confirmation) */
	assert_int_equal(
	    P("2026-11-29 03:04:36 1xXVDQ-0001hq-0Y => u3@outlook.test "
	      "R=lab_route T=remote_smtp H=127.10.0.25 [127.10.0.25]*",
	      &e),
	    EXIM_LOG_DELIVERED);
	assert_string_equal(e.dsn, "");
	assert_string_equal(e.text, "");

	/* redirected: the original address in <> is the envelope recipient */
	assert_int_equal(
	    P("2026-11-29 03:04:36 1xXVDQ-0001hq-0Y => real@x.test "
	      "<alias@y.test> R=r T=t H=h [1.2.3.4] C=\"250 OK\"",
	      &e),
	    EXIM_LOG_DELIVERED);
	assert_string_equal(e.address, "alias@y.test");
	assert_string_equal(e.dsn, "");

	/* 4.97 id, +pid, +millisec, log_timezone */
	assert_int_equal(P("2026-11-29 05:10:20.123 +0200 [4711] "
			   "16VDhn-000000001bo-D342 => q@x.test R=r T=t H=h "
			   "[::1]:25 C=\"250 2.0.0 \\\"quoted\\\" ok\" QT=1s",
			   &e),
			 EXIM_LOG_DELIVERED);
	assert_string_equal(e.id, "16VDhn-000000001bo-D342");
	assert_int_equal(e.time, utc(2026, 11, 29, 3, 10, 20));
	assert_string_equal(e.text, "250 2.0.0 \\\"quoted\\\" ok");
	/* quoted local part with a space */
	assert_int_equal(P("2026-11-29 03:10:20 1xXVIy-0002DP-12 => \"john "
			   "doe\"@x.test R=r T=t C=\"250 2.1.5 Ok\"",
			   &e),
			 EXIM_LOG_DELIVERED);
	assert_string_equal(e.address, "\"john doe\"@x.test");
	assert_string_equal(e.dsn, "2.1.5");
}

static void test_deferred(void **state)
{
	struct exim_log_entry e;

	(void)state;
	assert_int_equal(
	    P("2026-11-29 03:10:24 1xXVJ2-0002Ea-21 == u1@hotmail.test "
	      "R=dnslookup defer (-1): host lookup did not complete",
	      &e),
	    EXIM_LOG_DEFERRED);
	assert_string_equal(e.address, "u1@hotmail.test");
	assert_string_equal(e.text, "host lookup did not complete");
	assert_string_equal(e.dsn, "");

	assert_int_equal(
	    P("2026-11-29 03:10:20 1xXVIy-0002DP-12 == full@soft.test "
	      "R=lab_route T=remote_smtp defer (-44) H=127.10.0.27 "
	      "[127.10.0.27]: SMTP error from remote mail server after RCPT "
	      "TO:<full@soft.test>: 452 4.2.2 Mailbox full",
	      &e),
	    EXIM_LOG_DEFERRED);
	assert_string_equal(e.text,
			    "SMTP error from remote mail server after RCPT "
			    "TO:<full@soft.test>: 452 4.2.2 Mailbox full");
	assert_string_equal(e.dsn, "4.2.2");

	assert_int_equal(
	    P("2026-11-29 03:10:20 1xXVIy-0002DP-12 == later@nowhere.test "
	      "R=lab_route T=remote_smtp defer (111): Connection refused",
	      &e),
	    EXIM_LOG_DEFERRED);
	assert_string_equal(e.text, "Connection refused");

	assert_int_equal(
	    P("2026-11-29 03:10:20 1xXVIy-0002DP-12 == u@hotmail.test "
	      "R=dnslookup defer (-1): missing MX, or all MXs point to missing "
	      "A records, and defer requested",
	      &e),
	    EXIM_LOG_DEFERRED);
	assert_string_equal(e.text, "missing MX, or all MXs point to missing A "
				    "records, and defer requested");
}

static void test_failed(void **state)
{
	struct exim_log_entry e;

	(void)state;
	assert_int_equal(
	    P("2026-11-29 03:10:20 1xXVIy-0002DP-12 ** gone@hard.test "
	      "R=lab_route T=remote_smtp H=127.10.0.26 [127.10.0.26]: SMTP "
	      "error from remote mail server after RCPT TO:<gone@hard.test>: "
	      "550 5.1.1 Recipient address rejected: User unknown",
	      &e),
	    EXIM_LOG_FAILED);
	assert_string_equal(e.address, "gone@hard.test");
	assert_string_equal(e.dsn, "5.1.1");
	assert_string_equal(e.text, "SMTP error from remote mail server after "
				    "RCPT TO:<gone@hard.test>: 550 5.1.1 "
				    "Recipient address rejected: User unknown");

	assert_int_equal(P("2026-11-29 03:10:24 1xXVJ2-0002Eo-2C ** "
			   "alice@lab.test: Unrouteable address",
			   &e),
			 EXIM_LOG_FAILED);
	assert_string_equal(e.address, "alice@lab.test");
	assert_string_equal(e.text, "Unrouteable address");
	assert_string_equal(e.dsn, "");

	assert_int_equal(
	    P("2026-11-29 03:10:24 1xXVJ2-0002Eo-2C ** u@null.test "
	      "R=dnslookup: an MX or SRV record indicated no SMTP service",
	      &e),
	    EXIM_LOG_FAILED);
	assert_string_equal(e.address, "u@null.test");
	assert_string_equal(e.text,
			    "an MX or SRV record indicated no SMTP service");
}

static void test_other_kinds(void **state)
{
	struct exim_log_entry e;

	(void)state;
	assert_int_equal(
	    P("2026-11-29 03:04:36 1xXVDQ-0001hi-0T Completed", &e),
	    EXIM_LOG_COMPLETED);
	assert_string_equal(e.id, "1xXVDQ-0001hi-0T");
	assert_int_equal(
	    P("2026-11-29 03:04:53 1xXVDh-0001lJ-1O cancelled by root", &e),
	    EXIM_LOG_CANCELLED);
	assert_string_equal(e.text, "cancelled by root");
	assert_string_equal(e.address, "");
	/* valid lines of no interest */
	assert_int_equal(P("2026-11-29 03:04:36 exim user lost privilege for "
			   "using -C option",
			   &e),
			 EXIM_LOG_OTHER);
	assert_int_equal(P("2026-11-29 03:10:20 1xXVIy-0002DP-12 <= "
			   "alice@lab.test U=root P=local S=288",
			   &e),
			 EXIM_LOG_OTHER);
	assert_int_equal(P("2026-11-29 03:10:20 1xXVIy-0002DP-12 H=127.10.0.28 "
			   "[127.10.0.28] Connection refused",
			   &e),
			 EXIM_LOG_OTHER);
	assert_int_equal(P("2026-11-29 03:04:36 1xXVDQ-0001hq-0Y Unfrozen by "
			   "forced delivery",
			   &e),
			 EXIM_LOG_OTHER);
	assert_int_equal(
	    P("2026-11-29 03:04:36 1xXVDQ-0001hq-0Y *> x@y R=r T=t", &e),
	    EXIM_LOG_OTHER);
	assert_int_equal(P("2026-11-29 03:04:36 Start queue run: pid=12", &e),
			 EXIM_LOG_OTHER);
	/* a hostile "id" is not an id */
	assert_int_equal(P("2026-11-29 03:04:36 -Mf => x@y R=r", &e),
			 EXIM_LOG_OTHER);
	assert_string_equal(e.id, "");
}

static void test_junk(void **state)
{
	struct exim_log_entry e;
	char big[LIMIT_LOG_LINE + 64];

	(void)state;
	assert_int_equal(P("", &e), EXIM_LOG_MALFORMED);
	assert_int_equal(P("garbage", &e), EXIM_LOG_MALFORMED);
	assert_int_equal(
	    P("2026-13-29 03:04:36 1xXVDQ-0001hq-0Y Completed", &e),
	    EXIM_LOG_MALFORMED);
	assert_int_equal(
	    P("2026-11-29 25:04:36 1xXVDQ-0001hq-0Y Completed", &e),
	    EXIM_LOG_MALFORMED);
	assert_int_equal(
	    P("2026-11-29T03:04:36 1xXVDQ-0001hq-0Y Completed", &e),
	    EXIM_LOG_MALFORMED);
	assert_int_equal(
	    P("2026-11-29 03:04:36 [123 1xXVDQ-0001hq-0Y Completed", &e),
	    EXIM_LOG_MALFORMED);
	/* flagged lines without a usable address */
	assert_int_equal(
	    P("2026-11-29 03:04:36 1xXVDQ-0001hq-0Y ==  R=x defer (1): y", &e),
	    EXIM_LOG_MALFORMED);
	assert_int_equal(
	    P("2026-11-29 03:04:36 1xXVDQ-0001hq-0Y => a\x01@b R=x", &e),
	    EXIM_LOG_MALFORMED);
	memset(big, 'a', sizeof(big));
	memcpy(big, "2026-11-29 03:04:36 1xXVDQ-0001hq-0Y == ", 40);
	big[40 + LIMIT_ADDRESS + 1] = ' ';
	assert_int_equal(exim_log_parse(big, 40 + LIMIT_ADDRESS + 20, 0, &e),
			 EXIM_LOG_MALFORMED);
	assert_int_equal(exim_log_parse(big, sizeof(big), 0, &e),
			 EXIM_LOG_MALFORMED);
	/* NUL inside */
	assert_int_equal(
	    exim_log_parse("2026-11-29 03:04:36 1xXVDQ-0001hq-0Y Com\0pleted",
			   46, 0, &e),
	    EXIM_LOG_MALFORMED);
	/* control bytes in the text are masked */
	assert_int_equal(
	    P("2026-11-29 03:04:36 1xXVDQ-0001hq-0Y ** a@b: evil\x1b[31m text",
	      &e),
	    EXIM_LOG_FAILED);
	assert_string_equal(e.text, "evil?[31m text");
	/* default offset applies when the line has none */
	assert_int_equal(
	    exim_log_parse(
		"2026-11-29 04:04:36 1xXVDQ-0001hq-0Y Completed",
		strlen("2026-11-29 04:04:36 1xXVDQ-0001hq-0Y Completed"), 3600,
		&e),
	    EXIM_LOG_COMPLETED);
	assert_int_equal(e.time, utc(2026, 11, 29, 3, 4, 36));
}

static void test_dsn(void **state)
{
	char d[LIMIT_DSN + 1];

	(void)state;
	exim_log_find_dsn("550 5.1.1 <x>: no", d, sizeof(d));
	assert_string_equal(d, "5.1.1");
	exim_log_find_dsn("550-5.1.10 RESOLVER.ADR.RecipientNotFound", d,
			  sizeof(d));
	assert_string_equal(d, "5.1.10");
	exim_log_find_dsn("after RCPT TO:<a@b>: 451 4.7.500 Server busy", d,
			  sizeof(d));
	assert_string_equal(d, "4.7.500");
	exim_log_find_dsn("1550 5.1.1 no", d, sizeof(d));
	assert_string_equal(d, "");
	exim_log_find_dsn("550 5.1.1234 no", d, sizeof(d));
	assert_string_equal(d, "");
	exim_log_find_dsn("550 no enhanced code", d, sizeof(d));
	assert_string_equal(d, "");
	exim_log_find_dsn("", d, sizeof(d));
	assert_string_equal(d, "");
}

static void test_msglog(void **state)
{
	struct exim_log_entry e;
	const char *l1 = "2026-11-29 03:10:20 later@nowhere.test R=lab_route "
			 "T=remote_smtp defer (111): Connection refused";
	const char *l2 = "2026-11-29 03:10:20 H=127.10.0.27 [127.10.0.27] SMTP "
			 "error from remote mail server after RCPT "
			 "TO:<full@soft.test>: 452 4.2.2 Mailbox full";
	const char *l3 =
	    "2026-11-29 03:10:20 good@ok.test: remote_smtp transport succeeded";

	(void)state;
	assert_int_equal(exim_log_parse_msglog(l1, strlen(l1), 0, &e), 1);
	assert_string_equal(e.address, "later@nowhere.test");
	assert_string_equal(e.text, "Connection refused");
	assert_int_equal(exim_log_parse_msglog(l2, strlen(l2), 0, &e), 0);
	assert_int_equal(exim_log_parse_msglog(l3, strlen(l3), 0, &e), 0);
	assert_int_equal(exim_log_parse_msglog("junk", 4, 0, &e), 0);
}

/* ---- the reader ---- */

struct seen {
	char lines[32][128];
	size_t n;
	int stop_after;
};

static int collect(void *ctx, const char *line, size_t len, int64_t lineno)
{
	struct seen *s = ctx;

	(void)lineno;
	if (s->n < 32)
		snprintf(s->lines[s->n], sizeof(s->lines[0]), "%.*s", (int)len,
			 line);
	s->n++;
	return s->stop_after && (int)s->n == s->stop_after ? 1 : 0;
}

static char dir[] = "/tmp/test_exim_log.XXXXXX";
static char logp[128], curp[128];

static void append(const char *path, const char *text)
{
	FILE *f = fopen(path, "a");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	(void)state;
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(logp, sizeof(logp), "%s/mainlog", dir);
	snprintf(curp, sizeof(curp), "%s/cursor", dir);
	return 0;
}

static int teardown(void **state)
{

	(void)state;
	return tmpdir_fx_remove(dir);
}

static void test_reader(void **state)
{
	struct exim_log_cursor c, c2;
	struct seen s;
	char err[256];

	(void)state;
	unlink(logp);
	/* no log yet: nothing, cursor stays empty */
	assert_int_equal(exim_log_cursor_end(logp, &c, err, sizeof(err)), 0);
	memset(&s, 0, sizeof(s));
	assert_int_equal(
	    exim_log_follow(logp, &c, collect, &s, err, sizeof(err)), 0);
	assert_int_equal(s.n, 0);

	append(logp, "one\ntwo\nthr");
	assert_int_equal(
	    exim_log_follow(logp, &c, collect, &s, err, sizeof(err)), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.lines[1], "two");
	assert_int_equal(c.offset, 8); /* the partial line is not consumed */

	append(logp, "ee\nfour\n");
	memset(&s, 0, sizeof(s));
	assert_int_equal(
	    exim_log_follow(logp, &c, collect, &s, err, sizeof(err)), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.lines[0], "three");
	assert_int_equal(c.lineno, 4);

	/* the cursor survives a restart */
	assert_int_equal(exim_log_cursor_save(curp, &c, err, sizeof(err)), 0);
	assert_int_equal(exim_log_cursor_load(curp, &c2, err, sizeof(err)), 1);
	assert_memory_equal(&c, &c2, sizeof(c));

	/* rotation: lines written to the old file before it moved are read,
	 * then the new file from its start */
	append(logp, "five\nsix-no-newline");
	char old[160];
	snprintf(old, sizeof(old), "%s.0", logp);
	assert_int_equal(rename(logp, old), 0);
	append(logp, "seven\n");
	memset(&s, 0, sizeof(s));
	assert_int_equal(
	    exim_log_follow(logp, &c2, collect, &s, err, sizeof(err)), 0);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.lines[0], "five");
	assert_string_equal(s.lines[1], "six-no-newline");
	assert_string_equal(s.lines[2], "seven");
	assert_int_equal(c2.offset, 6);

	/* rotated twice and the old file gone: start of the new one (the
	 * new file is made before the old one goes, so it cannot get the
	 * freed inode number back and look like the file already read) */
	unlink(old);
	assert_int_equal(rename(logp, old), 0);
	append(logp, "eight\n");
	unlink(old);
	memset(&s, 0, sizeof(s));
	assert_int_equal(
	    exim_log_follow(logp, &c2, collect, &s, err, sizeof(err)), 0);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.lines[0], "eight");

	/* truncation: read again from the start */
	assert_int_equal(truncate(logp, 0), 0);
	append(logp, "9\n");
	memset(&s, 0, sizeof(s));
	assert_int_equal(
	    exim_log_follow(logp, &c2, collect, &s, err, sizeof(err)), 0);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.lines[0], "9");

	/* stop early: the cursor points just after the last line taken */
	append(logp, "a\nb\nc\n");
	memset(&s, 0, sizeof(s));
	s.stop_after = 2;
	assert_int_equal(
	    exim_log_follow(logp, &c2, collect, &s, err, sizeof(err)), 0);
	assert_int_equal(s.n, 2);
	memset(&s, 0, sizeof(s));
	assert_int_equal(
	    exim_log_follow(logp, &c2, collect, &s, err, sizeof(err)), 0);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.lines[0], "c");
}

static void test_reader_overlong(void **state)
{
	struct exim_log_cursor c;
	struct seen s;
	char err[256];
	size_t big = 3 * LIMIT_LOG_LINE + 100000;
	char *line = malloc(big + 2);

	(void)state;
	assert_non_null(line);
	unlink(logp);
	memset(&c, 0, sizeof(c));
	append(logp, "before\n");
	memset(line, 'x', big);
	line[big] = '\n';
	line[big + 1] = '\0';
	append(logp, line);
	append(logp, "after\n");
	memset(&s, 0, sizeof(s));
	assert_int_equal(
	    exim_log_follow(logp, &c, collect, &s, err, sizeof(err)), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.lines[0], "before");
	assert_string_equal(s.lines[1], "after");
	assert_int_equal(c.lineno, 3);
	free(line);
}

static void test_cursor_damaged(void **state)
{
	struct exim_log_cursor c;
	char err[256];
	static const char *const bad[] = {
	    "",
	    "retryd-exim-log-cursor 1\n",
	    "retryd-exim-log-cursor 1\n1 2 3\n",
	    "retryd-exim-log-cursor 1\n1 2 -3 4\n",
	    "retryd-exim-log-cursor 1\n1 2 3 4\nx",
	    "retryd-exim-log-cursor 2\n1 2 3 4\n",
	    "retryd-exim-log-cursor 1\n1 2 99999999999999999999 4\n",
	};

	(void)state;
	unlink(curp);
	assert_int_equal(exim_log_cursor_load(curp, &c, err, sizeof(err)), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		unlink(curp);
		append(curp, bad[i]);
		if (exim_log_cursor_load(curp, &c, err, sizeof(err)) != -1)
			fail_msg("accepted damaged cursor #%zu", i);
		assert_non_null(strstr(err, "damaged"));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_delivered),
	    cmocka_unit_test(test_deferred),
	    cmocka_unit_test(test_failed),
	    cmocka_unit_test(test_other_kinds),
	    cmocka_unit_test(test_junk),
	    cmocka_unit_test(test_dsn),
	    cmocka_unit_test(test_msglog),
	    cmocka_unit_test(test_reader),
	    cmocka_unit_test(test_reader_overlong),
	    cmocka_unit_test(test_cursor_damaged),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
