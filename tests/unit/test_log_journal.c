/*
 * NAME
 *	test_log_journal
 * SUMMARY
 *	the journal line source against real journal files
 * DESCRIPTION
 *	Journal files are written by systemd-journal-remote from Journal
 *	Export Format input (this machine runs no journald), read back with
 *	log_journal_follow() and fed to the unchanged Postfix and Exim
 *	parsers. Shown: deliveries, deferrals and bounces of both MTAs come
 *	through with their ids and recipients; other programs' lines are
 *	not read; the cursor survives a save and load, and a second read
 *	returns only new entries; a new journal file plus the removal of
 *	the old one (rotation, vacuum) loses and duplicates nothing, also
 *	when the cursor's own file is removed; a callback that stops
 *	resumes just after its entry.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "plugins/exim_log.h"
#include "plugins/log_journal.h"
#include "plugins/postfix_log.h"
#include "tmpdir_fx.h"

#define JOURNAL_REMOTE "/lib/systemd/systemd-journal-remote"
#define BOOT_ID	       "4f1c0a6e2b8d4c3aa1e5f7b9c2d4e6f8"
#define MAX_SEEN       32

static char dir[64];
static char jdir[96];
static int64_t clock_usec = 1764975600000000LL; /* 2025-12-05 23:00 UTC */

struct seen {
	int n;
	int stop_after; /* 0: never stop */
	enum log_journal_style style;
	char text[MAX_SEEN][600]; /* "KIND ID ADDRESS DSN" */
};

/* Parse each line with the file reader's own parser. */
static int collect(void *ctx, const char *line, size_t len, int64_t lineno)
{
	struct seen *s = ctx;
	char *t;

	(void)lineno;
	assert_true(s->n < MAX_SEEN);
	t = s->text[s->n++];
	if (s->style == LOG_JOURNAL_POSTFIX) {
		struct postfix_log_entry e;
		enum postfix_log_kind k =
		    postfix_log_parse(line, len, 0, 0, &e);
		snprintf(t, 600, "%d %s %s %d %s", (int)k, e.id, e.address,
			 (int)e.status, e.dsn);
		if (k == POSTFIX_LOG_RCPT)
			assert_true(e.time == 1764975600 ||
				    e.time > 1764975600);
	} else {
		struct exim_log_entry e;
		enum exim_log_kind k = exim_log_parse(line, len, 0, &e);
		snprintf(t, 600, "%d %s %s %s", (int)k, e.id, e.address, e.dsn);
	}
	return s->stop_after > 0 && s->n >= s->stop_after ? 1 : 0;
}

/* Write the entries (ident, message pairs) as journal file NAME. */
static void write_journal(const char *name, const char *const *kv, size_t n)
{
	char in[128], out[160];
	FILE *f;
	pid_t pid;
	int status;

	snprintf(in, sizeof(in), "%s/in.export", dir);
	snprintf(out, sizeof(out), "--output=%s/%s.journal", jdir, name);
	assert_non_null(f = fopen(in, "w"));
	for (size_t i = 0; i + 1 < n; i += 2) {
		clock_usec += 1000000;
		fprintf(
		    f,
		    "__REALTIME_TIMESTAMP=%lld\n__MONOTONIC_TIMESTAMP=%lld\n"
		    "_BOOT_ID=%s\n_HOSTNAME=mx1\n_PID=%zu\n"
		    "SYSLOG_IDENTIFIER=%s\nMESSAGE=%s\n\n",
		    (long long)clock_usec, (long long)(clock_usec / 1000),
		    BOOT_ID, 100 + i, kv[i], kv[i + 1]);
	}
	assert_int_equal(fclose(f), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char *argv[] = {JOURNAL_REMOTE, out, in, NULL};
		freopen("/dev/null", "w", stderr);
		execv(argv[0], argv);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void remove_journal(const char *name)
{
	char p[160];
	snprintf(p, sizeof(p), "%s/%s.journal", jdir, name);
	assert_int_equal(unlink(p), 0);
}

static int follow(const char *ident, enum log_journal_style style,
		  struct log_journal_cursor *cur, struct seen *s)
{
	char err[256];
	int stop = s->stop_after;

	memset(s, 0, sizeof(*s));
	s->style = style;
	s->stop_after = stop;
	assert_int_equal(log_journal_follow(jdir, ident, style, cur, collect, s,
					    err, sizeof(err)),
			 0);
	return s->n;
}

#define PF_SENT                                                                \
	"A1E2DA7254D: to=<u1@ok.test>, relay=127.11.0.25[127.11.0.25]:25, "    \
	"delay=0.1, delays=0/0/0/0.1, dsn=2.0.0, status=sent (250 2.0.0 Ok)"
#define PF_DEFER                                                               \
	"B2E2DA7254E: to=<u2@hotmail.test>, relay=none, delay=0.04, "          \
	"delays=0.03/0.01/0/0, dsn=4.4.1, status=deferred (connect to "        \
	"127.11.0.25[127.11.0.25]:25: Connection refused)"
#define PF_BOUNCE                                                              \
	"C3E2DA7254F: to=<u3@gone.test>, relay=127.11.0.25[127.11.0.25]:25, "  \
	"delay=1, delays=0/0/0/1, dsn=5.1.1, status=bounced (host said: "      \
	"550 5.1.1 No such user)"
#define EX_SENT                                                                \
	"1xXVIy-0002DP-12 => good@ok.test R=lab_route T=remote_smtp "          \
	"H=127.10.0.25 [127.10.0.25] C=\"250 2.0.0 Ok\""
#define EX_DEFER                                                               \
	"1xXVJ2-0002Ea-21 == u1@hotmail.test R=dnslookup defer (-1): "         \
	"host lookup did not complete"
#define EX_FAIL                                                                \
	"1xXVJ3-0002Eb-22 ** bad@gone.test R=lab_route T=remote_smtp "         \
	"H=127.10.0.25 [127.10.0.25]: SMTP error from remote mail server "     \
	"after RCPT TO:<bad@gone.test>: 550 5.1.1 No such user"

static void test_lines_and_cursor(void **state)
{
	static const char *const first[] = {
	    "postfix/smtp", PF_SENT,
	    "postfix/smtp", PF_DEFER,
	    "exim",	    EX_SENT,
	    "sshd",	    PF_SENT,
	    "postfix/qmgr", "A1E2DA7254D: removed",
	    "postfix/smtp", PF_BOUNCE,
	    "exim",	    EX_DEFER,
	    "exim",	    EX_FAIL,
	};
	static const char *const later[] = {"postfix/smtp", PF_DEFER, "exim",
					    EX_SENT};
	struct log_journal_cursor cur = {{0}}, xcur = {{0}}, loaded;
	struct seen s = {0};
	char file[160], err[256];

	(void)state;
	write_journal("a", first, 16);
	assert_int_equal(follow("postfix", LOG_JOURNAL_POSTFIX, &cur, &s), 4);
	assert_string_equal(s.text[0], "1 A1E2DA7254D u1@ok.test 1 2.0.0");
	assert_string_equal(s.text[1], "1 B2E2DA7254E u2@hotmail.test 2 4.4.1");
	assert_string_equal(s.text[2], "0 A1E2DA7254D  0 ");
	assert_string_equal(s.text[3], "1 C3E2DA7254F u3@gone.test 3 5.1.1");
	assert_int_equal(follow("exim", LOG_JOURNAL_EXIM, &xcur, &s), 3);
	assert_string_equal(s.text[0], "1 1xXVIy-0002DP-12 good@ok.test 2.0.0");
	assert_string_equal(s.text[1], "3 1xXVJ2-0002Ea-21 u1@hotmail.test ");
	assert_string_equal(s.text[2],
			    "4 1xXVJ3-0002Eb-22 bad@gone.test 5.1.1");

	/* saved and loaded through the atomic writer */
	snprintf(file, sizeof(file), "%s/postfix-journal.cursor", dir);
	assert_int_equal(
	    log_journal_cursor_load(file, &loaded, err, sizeof(err)), 0);
	assert_int_equal(log_journal_cursor_save(file, &cur, err, sizeof(err)),
			 0);
	memset(&loaded, 0, sizeof(loaded));
	assert_int_equal(
	    log_journal_cursor_load(file, &loaded, err, sizeof(err)), 1);
	assert_string_equal(loaded.text, cur.text);
	assert_int_equal(follow("postfix", LOG_JOURNAL_POSTFIX, &loaded, &s),
			 0);

	/* a second read returns only new entries */
	write_journal("b", later, 4);
	assert_int_equal(follow("postfix", LOG_JOURNAL_POSTFIX, &loaded, &s),
			 1);
	assert_string_equal(s.text[0], "1 B2E2DA7254E u2@hotmail.test 2 4.4.1");
	assert_int_equal(follow("exim", LOG_JOURNAL_EXIM, &xcur, &s), 1);
	assert_string_equal(s.text[0], "1 1xXVIy-0002DP-12 good@ok.test 2.0.0");

	/* a damaged cursor file is refused with its name */
	{
		FILE *f = fopen(file, "w");
		assert_non_null(f);
		fputs("garbage\n", f);
		fclose(f);
		assert_int_equal(
		    log_journal_cursor_load(file, &loaded, err, sizeof(err)),
		    -1);
		assert_non_null(strstr(err, "damaged"));
	}
	remove_journal("a");
	remove_journal("b");
}

/* id of the Nth test message: hex, a valid Postfix queue id */
static void msg(char *buf, size_t len, int n)
{
	snprintf(buf, len,
		 "%010X: to=<r%d@ok.test>, relay=x[127.0.0.1]:25, delay=1, "
		 "delays=0/0/0/1, dsn=2.0.0, status=sent (250 Ok)",
		 0xA0000000u + (unsigned)n, n);
}

static void write_range(const char *name, int from, int to)
{
	static char m[16][300];
	const char *kv[32];
	size_t k = 0;

	for (int i = from; i <= to; i++) {
		msg(m[i - from], sizeof(m[0]), i);
		kv[k++] = "postfix/smtp";
		kv[k++] = m[i - from];
	}
	write_journal(name, kv, k);
}

/* Entries FROM..TO were read, in order, and nothing else. */
static void assert_range(const struct seen *s, int from, int to)
{
	assert_int_equal(s->n, to - from + 1);
	for (int i = from; i <= to; i++) {
		char want[64];
		snprintf(want, sizeof(want), "1 %010X r%d@ok.test 1 2.0.0",
			 0xA0000000u + (unsigned)i, i);
		assert_string_equal(s->text[i - from], want);
	}
}

static void test_rotation_and_vacuum(void **state)
{
	struct log_journal_cursor cur = {{0}};
	struct seen s = {0};
	char err[256];

	(void)state;
	/* an empty journal directory: the end is "", read from the head */
	assert_int_equal(log_journal_cursor_end(jdir, &cur, err, sizeof(err)),
			 0);
	assert_string_equal(cur.text, "");
	write_range("r1", 1, 3);
	follow("postfix", LOG_JOURNAL_POSTFIX, &cur, &s);
	assert_range(&s, 1, 3);

	/* rotation: a new file beside the old one */
	write_range("r2", 4, 5);
	follow("postfix", LOG_JOURNAL_POSTFIX, &cur, &s);
	assert_range(&s, 4, 5);

	/* the old file vacuumed, a third one written */
	remove_journal("r1");
	write_range("r3", 6, 6);
	follow("postfix", LOG_JOURNAL_POSTFIX, &cur, &s);
	assert_range(&s, 6, 6);

	/* the cursor's own file vacuumed before the next read */
	write_range("r4", 7, 9);
	remove_journal("r2");
	remove_journal("r3");
	s.stop_after = 2; /* a full batch: stop after 7 and 8 */
	follow("postfix", LOG_JOURNAL_POSTFIX, &cur, &s);
	assert_range(&s, 7, 8);
	s.stop_after = 0;
	follow("postfix", LOG_JOURNAL_POSTFIX, &cur, &s);
	assert_range(&s, 9, 9);
	follow("postfix", LOG_JOURNAL_POSTFIX, &cur, &s);
	assert_int_equal(s.n, 0);

	/* starting at the end skips what is there */
	write_range("r5", 10, 11);
	assert_int_equal(log_journal_cursor_end(jdir, &cur, err, sizeof(err)),
			 0);
	follow("postfix", LOG_JOURNAL_POSTFIX, &cur, &s);
	assert_int_equal(s.n, 0);
	remove_journal("r4");
	remove_journal("r5");
}

static void test_source(void **state)
{
	const char *d = "x";

	(void)state;
	assert_int_equal(log_journal_source("/var/log/mail.log", &d), 0);
	assert_int_equal(log_journal_source("journal:", &d), 1);
	assert_null(d);
	assert_int_equal(log_journal_source("journal:/var/log/journal", &d), 1);
	assert_string_equal(d, "/var/log/journal");
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_log_journal.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(jdir, sizeof(jdir), "%s/j", dir);
	return mkdir(jdir, 0700);
}

static int teardown(void **state)
{
	(void)state;
	return tmpdir_fx_remove(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_source),
	    cmocka_unit_test_setup_teardown(test_lines_and_cursor, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_rotation_and_vacuum, setup,
					    teardown),
	};

	if (access(JOURNAL_REMOTE, X_OK) != 0) {
		printf(
		    "1..0 # SKIP %s not installed (systemd-journal-remote)\n",
		    JOURNAL_REMOTE);
		return 0;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
