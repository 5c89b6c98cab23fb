/*
 * test_postfix_discover - incremental discovery over a real log file:
 * deferrals with sender and arrival (line time - delay), a recipient
 * delivered later is no longer pending, a removed message is left out,
 * a hold noted, a position saved and reloaded, a gap on first start,
 * on truncation and on a rotation whose old file is gone, and the
 * per-call bound. After a gap, the deferred queue directory
 * (postfix_qdir.c): specs split into path components (and refused when
 * path-like, too deep or with a bad id), defer log records, a walk of a
 * hashed deferred/ on a real directory tree (a missing defer log leaves
 * the walk partial, a symbolic link below the queue directory is not
 * followed), and postfix_discover() reading the queue directory instead
 * of asking for a full listing after the log was truncated, but not
 * when the caller lists everything anyway (*gap = 1 on entry).
 * Told one by one (postfix_discover_each): a full
 * table of LIMIT_DISCOVER_MESSAGES messages costs ~100 bytes each plus
 * their addresses, not a listing of fixed 768-byte recipient slots;
 * a callback that says stop leaves the position where it was.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "plugins/mta_discover.h"
#include "plugins/postfix_cmd.h"
#include "plugins/postfix_queue.h"
#include "heap_fx.h"
#include "tmpdir_fx.h"
#include "listing_fx.h"

struct fx {
	char dir[64], log[128];
	struct postfix_state st;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char err[256];

	snprintf(f->dir, sizeof(f->dir), "/tmp/test_pfdisc.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->log, sizeof(f->log), "%s/maillog", f->dir);
	tmpdir_fx_append(
	    f->log, "Dec  5 10:00:00 h postfix/master[1]: daemon started\n");
	f->st.log_file = f->log;
	assert_int_equal(
	    postfix_discover_open(&f->st, f->dir, err, sizeof(err)), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	free(f->st.dpos_file);
	assert_int_equal(tmpdir_fx_remove(f->dir), 0);
	free(f);
	return 0;
}

#define DEFER(id, rcpt, delay, why)                                            \
	"2026-12-05T10:00:10.000000+00:00 h postfix/smtp[9]: " id              \
	": to=<" rcpt ">, relay=none, delay=" delay                            \
	", delays=0/0/0/0, dsn=4.4.3, status=deferred (" why ")\n"

static void test_deferrals(void **state)
{
	struct fx *f = *state;
	struct mta_listing l;
	const struct mta_message *m;
	char err[256];
	int gap;

	tmpdir_fx_append(
	    f->log, "2026-12-05T10:00:09.000000+00:00 h postfix/qmgr[8]: "
		    "4AB1C2D3E4F: from=<alice@senders.test>, size=300, nrcpt=2 "
		    "(queue active)\n");
	tmpdir_fx_append(f->log, DEFER("4AB1C2D3E4F", "u1@hotmail.test", "70.5",
				       "Host or domain name not found"));
	tmpdir_fx_append(f->log, DEFER("4AB1C2D3E4F", "u2@hotmail.test", "70.5",
				       "Host or domain name not found"));
	tmpdir_fx_append(f->log, DEFER("5BC2D3E4F5A", "v@live.test", "3",
				       "connect to mx: Connection refused"));
	tmpdir_fx_append(f->log,
			 DEFER("6CD3E4F5A6B", "w@corp.test", "1", "no route"));
	tmpdir_fx_append(
	    f->log, "2026-12-05T10:00:11.000000+00:00 h postfix/smtp[9]: "
		    "4AB1C2D3E4F: to=<u2@hotmail.test>, relay=mx[1.2.3.4]:25, "
		    "delay=71, delays=0/0/0/0, dsn=2.0.0, status=sent (ok)\n");
	tmpdir_fx_append(
	    f->log, "2026-12-05T10:00:12.000000+00:00 h postfix/postsuper[7]: "
		    "6CD3E4F5A6B: removed\n");
	tmpdir_fx_append(
	    f->log, "2026-12-05T10:00:12.000000+00:00 h postfix/postsuper[7]: "
		    "5BC2D3E4F5A: placed on hold\n");
	gap = 0;
	assert_int_equal(postfix_discover(&f->st, &l, &gap, err, sizeof(err)),
			 0);
	assert_int_equal(gap, 1); /* first call: no saved position before */
	assert_int_equal(l.complete, 0);
	assert_int_equal(l.n, 2);
	m = listing_fx_find(&l, "4AB1C2D3E4F");
	assert_non_null(m);
	assert_string_equal(m->sender, "alice@senders.test");
	assert_int_equal(m->nrcpts, 1); /* u2 was delivered */
	assert_string_equal(m->rcpts[0].address, "u1@hotmail.test");
	assert_string_equal(m->rcpts[0].reason,
			    "Host or domain name not found");
	assert_int_equal(m->deferred, 1);
	assert_int_equal(m->held, 0);
	assert_int_equal(m->arrival, 1796464810LL - 70);
	m = listing_fx_find(&l, "5BC2D3E4F5A");
	assert_non_null(m);
	assert_int_equal(m->held, 1);
	assert_null(listing_fx_find(&l, "6CD3E4F5A6B")); /* removed */
	postfix_queue_free(&l);

	/* nothing new: empty, no gap; the position was saved */
	gap = 0;
	assert_int_equal(postfix_discover(&f->st, &l, &gap, err, sizeof(err)),
			 0);
	assert_int_equal(gap, 0);
	assert_int_equal(l.n, 0);
	postfix_queue_free(&l);

	/* a restart loads the saved position: no gap, nothing again */
	free(f->st.dpos_file);
	memset(&f->st, 0, sizeof(f->st));
	f->st.log_file = f->log;
	assert_int_equal(
	    postfix_discover_open(&f->st, f->dir, err, sizeof(err)), 0);
	tmpdir_fx_append(f->log,
			 DEFER("7DE4F5A6B7C", "x@msn.test", "2", "not found"));
	gap = 0;
	assert_int_equal(postfix_discover(&f->st, &l, &gap, err, sizeof(err)),
			 0);
	assert_int_equal(gap, 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.msgs[0].queue_id, "7DE4F5A6B7C");
	assert_string_equal(l.msgs[0].sender, "");
	postfix_queue_free(&l);
}

static void test_gaps(void **state)
{
	struct fx *f = *state;
	struct mta_listing l;
	char err[256], old[160];
	int gap;

	gap = 0;
	assert_int_equal(postfix_discover(&f->st, &l, &gap, err, sizeof(err)),
			 0);
	postfix_queue_free(&l);
	tmpdir_fx_append(f->log,
			 DEFER("4AB1C2D3E4F", "u1@hotmail.test", "1", "x"));
	gap = 0;
	assert_int_equal(postfix_discover(&f->st, &l, &gap, err, sizeof(err)),
			 0);
	assert_int_equal(gap, 0);
	assert_int_equal(l.n, 1);
	postfix_queue_free(&l);

	/* truncated: a gap */
	assert_int_equal(truncate(f->log, 0), 0);
	tmpdir_fx_append(f->log, DEFER("5BC2D3E4F5A", "v@live.test", "1", "y"));
	gap = 0;
	assert_int_equal(postfix_discover(&f->st, &l, &gap, err, sizeof(err)),
			 0);
	assert_int_equal(gap, 1);
	postfix_queue_free(&l);

	/* rotated, the old file kept as .1: no gap, its tail is read */
	tmpdir_fx_append(f->log, DEFER("6CD3E4F5A6B", "w@live.test", "1", "z"));
	snprintf(old, sizeof(old), "%s.1", f->log);
	assert_int_equal(rename(f->log, old), 0);
	tmpdir_fx_append(f->log, DEFER("7DE4F5A6B7C", "x@live.test", "1", "z"));
	gap = 0;
	assert_int_equal(postfix_discover(&f->st, &l, &gap, err, sizeof(err)),
			 0);
	assert_int_equal(gap, 0);
	assert_int_equal(l.n, 2);
	postfix_queue_free(&l);

	/* rotated and the old file gone: a gap */
	tmpdir_fx_append(f->log, DEFER("8EF5A6B7C8D", "y@live.test", "1", "z"));
	assert_int_equal(unlink(old), 0);
	assert_int_equal(rename(f->log, old), 0);
	/* the new file made while the old one exists: never its inode */
	tmpdir_fx_append(f->log, DEFER("9FA6B7C8D9E", "z@live.test", "1", "z"));
	assert_int_equal(unlink(old), 0);
	gap = 0;
	assert_int_equal(postfix_discover(&f->st, &l, &gap, err, sizeof(err)),
			 0);
	assert_int_equal(gap, 1);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.msgs[0].queue_id, "9FA6B7C8D9E");
	postfix_queue_free(&l);
}

static void test_bound(void **state)
{
	struct fx *f = *state;
	struct mta_listing l;
	char err[256], line[300];
	FILE *fp = fopen(f->log, "a");
	int gap;
	size_t total = 0;

	gap = 0;
	assert_int_equal(postfix_discover(&f->st, &l, &gap, err, sizeof(err)),
			 0);
	postfix_queue_free(&l);
	assert_non_null(fp);
	for (int i = 0; i < LIMIT_DISCOVER_MESSAGES + 10; i++) {
		snprintf(line, sizeof(line),
			 DEFER("%s%06X", "u@live.test", "1", "q"), "1BCDF", i);
		fputs(line, fp);
	}
	fclose(fp);
	gap = 0;
	assert_int_equal(postfix_discover(&f->st, &l, &gap, err, sizeof(err)),
			 0);
	assert_int_equal(l.n, LIMIT_DISCOVER_MESSAGES);
	total += l.n;
	postfix_queue_free(&l);
	gap = 0;
	assert_int_equal(postfix_discover(&f->st, &l, &gap, err, sizeof(err)),
			 0);
	total += l.n; /* the rest in the next call */
	postfix_queue_free(&l);
	assert_int_equal(total, LIMIT_DISCOVER_MESSAGES + 10);
}

/* ---- the deferred queue directory after a log gap (postfix_qdir.c) ---- */

#define ID1 "4AB1C2D3E4F"
#define ID2 "9FA6B7C8D9E"

static void put(const struct fx *f, const char *rel, const char *text)
{
	char path[256];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", f->dir, rel);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static void mkd(const struct fx *f, const char *rel)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", f->dir, rel);
	assert_int_equal(mkdir(path, 0700), 0);
}

static int setup_qdir(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/test_pfqdir.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->st.queue_dir = f->dir;
	mkd(f, "deferred");
	mkd(f, "deferred/4");
	mkd(f, "deferred/9");
	mkd(f, "defer");
	mkd(f, "defer/4");
	mkd(f, "defer/9");
	put(f, "deferred/4/" ID1, "queue file\n");
	put(f, "deferred/9/" ID2, "queue file\n");
	put(f, "deferred/4/not-an-id", "");
	put(f, "defer/4/" ID1,
	    "recipient=a@hotmail.test\noffset=250\nstatus=4.4.3\n"
	    "action=delayed\nreason=Host or domain name not found\n\n"
	    "recipient=b@live.test\nreason=connect to mx: refused\n\n"
	    "recipient=ctl\001x\nreason=x\n\nrecipient=\nreason=y\n");
	*state = f;
	return 0;
}

static void test_parts(void **state)
{
	char parts[MTA_QDIR_DEPTH + 2][POSTFIX_QDIR_PART];
	static const char *const bad_dirs[] = {"..",  "A/B", "ABCDE",
					       "A.B", "-",   "A B"};
	static const char *const bad_logs[] = {
	    "",		  ".",	     "." ID1,	    "A.ALL", "A/B." ID1,
	    "ABCDE." ID1, "../" ID1, "A." ID1 "/x", "A",     ".."};
	size_t n;

	(void)state;
	assert_int_equal(
	    postfix_qdir_parts(MTA_FILE_QDIR_DEFERRED, NULL, parts, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(parts[0], "deferred");
	assert_int_equal(
	    postfix_qdir_parts(MTA_FILE_QDIR_DEFERRED, "Ab", parts, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(parts[1], "A");
	assert_string_equal(parts[2], "b");
	assert_int_equal(
	    postfix_qdir_parts(MTA_FILE_DEFER_LOG, "4." ID1, parts, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(parts[0], "defer");
	assert_string_equal(parts[1], "4");
	assert_string_equal(parts[2], ID1);
	assert_int_equal(postfix_qdir_parts(MTA_FILE_DEFER_LOG, ID1, parts, &n),
			 0);
	assert_int_equal(n, 2);
	for (size_t i = 0; i < sizeof(bad_dirs) / sizeof(bad_dirs[0]); i++)
		assert_int_equal(postfix_qdir_parts(MTA_FILE_QDIR_DEFERRED,
						    bad_dirs[i], parts, &n),
				 -1);
	for (size_t i = 0; i < sizeof(bad_logs) / sizeof(bad_logs[0]); i++)
		assert_int_equal(postfix_qdir_parts(MTA_FILE_DEFER_LOG,
						    bad_logs[i], parts, &n),
				 -1);
	assert_int_equal(postfix_qdir_parts(MTA_FILE_LOG, NULL, parts, &n), -1);
	assert_int_equal(postfix_qdir_parts(MTA_FILE_MSGLOG, ID1, parts, &n),
			 -1);
}

static void test_walk(void **state)
{
	struct fx *f = *state;
	struct mta_discover t;
	struct mta_listing l;
	const struct mta_message *m;
	char err[256], from[256], to[256];

	/* ID2 has no defer log (yet): not everything was read */
	memset(&t, 0, sizeof(t));
	assert_int_equal(postfix_qdir_discover(&f->st, &t, err, sizeof(err)),
			 1);
	mta_discover_free(&t);

	put(f, "defer/9/" ID2, "recipient=c@msn.test\nreason=timeout\n\n");
	memset(&t, 0, sizeof(t));
	assert_int_equal(postfix_qdir_discover(&f->st, &t, err, sizeof(err)),
			 0);
	memset(&l, 0, sizeof(l));
	assert_int_equal(mta_discover_each(&t, mta_discover_collect, &l), 0);
	mta_discover_free(&t);
	assert_int_equal(l.n, 2);
	m = listing_fx_find(&l, ID1);
	assert_non_null(m);
	assert_int_equal(m->nrcpts, 2);
	assert_string_equal(m->rcpts[0].address, "a@hotmail.test");
	assert_string_equal(m->rcpts[0].reason,
			    "Host or domain name not found");
	assert_string_equal(m->rcpts[1].address, "b@live.test");
	assert_int_equal(m->held, 0);
	m = listing_fx_find(&l, ID2);
	assert_non_null(m);
	assert_string_equal(m->rcpts[0].reason, "timeout");
	postfix_queue_free(&l);

	/* hash levels deeper than MTA_QDIR_DEPTH: not read, so partial */
	mkd(f, "deferred/4/A");
	mkd(f, "deferred/4/A/B");
	mkd(f, "deferred/4/A/B/C");
	memset(&t, 0, sizeof(t));
	assert_int_equal(postfix_qdir_discover(&f->st, &t, err, sizeof(err)),
			 0);
	mta_discover_free(&t);
	mkd(f, "deferred/4/A/B/C/D");
	memset(&t, 0, sizeof(t));
	assert_int_equal(postfix_qdir_discover(&f->st, &t, err, sizeof(err)),
			 1);
	mta_discover_free(&t);

	/* a hash directory that is a symbolic link: never followed */
	snprintf(from, sizeof(from), "%s/deferred/9", f->dir);
	snprintf(to, sizeof(to), "%s/deferred/9x", f->dir);
	assert_int_equal(rename(from, to), 0);
	assert_int_equal(symlink("9x", from), 0);
	memset(&t, 0, sizeof(t));
	assert_int_equal(postfix_qdir_discover(&f->st, &t, err, sizeof(err)),
			 -1);
	mta_discover_free(&t);

	/* no queue directory known: refused, never guessed */
	f->st.queue_dir = NULL;
	memset(&t, 0, sizeof(t));
	assert_int_equal(postfix_qdir_discover(&f->st, &t, err, sizeof(err)),
			 -1);
	assert_non_null(strstr(err, "queue_directory unknown"));
	mta_discover_free(&t);
}

/* One discovery call: it succeeds with *gap = @param want_gap. */
static void call(struct fx *f, struct mta_listing *l, int want_gap)
{
	char err[256];
	int gap;

	gap = 0;
	assert_int_equal(postfix_discover(&f->st, l, &gap, err, sizeof(err)),
			 0);
	assert_int_equal(gap, want_gap);
}

/* The qdir fixture with ID2's defer log, a maillog, opened with no saved
 * position (a first start). */
static void gap_open(struct fx *f)
{
	char err[256];

	put(f, "defer/9/" ID2, "recipient=c@msn.test\nreason=timeout\n\n");
	snprintf(f->log, sizeof(f->log), "%s/maillog", f->dir);
	put(f, "maillog", "Dec  5 10:00:00 h postfix/master[1]: started\n");
	f->st.log_file = f->log;
	assert_int_equal(
	    postfix_discover_open(&f->st, f->dir, err, sizeof(err)), 0);
}

/* A deferral written while the log was lost is found in deferred/. */
static void test_discover_gap(void **state)
{
	struct fx *f = *state;
	struct mta_listing l;

	gap_open(f);
	/* first call: no saved position, the queue directory covers it */
	call(f, &l, 0);
	assert_int_equal(l.n, 2);
	postfix_queue_free(&l);
	call(f, &l, 0);
	assert_int_equal(l.n, 0);
	postfix_queue_free(&l);

	/* truncated: read deferred/ again, no gap left for the caller */
	assert_int_equal(truncate(f->log, 0), 0);
	call(f, &l, 0);
	assert_non_null(listing_fx_find(&l, ID1));
	assert_non_null(listing_fx_find(&l, ID2));
	postfix_queue_free(&l);

	/* a defer log gone, then truncated again: the full listing decides */
	{
		char p[256];
		FILE *fp;

		snprintf(p, sizeof(p), "%s/defer/9/%s", f->dir, ID2);
		assert_int_equal(unlink(p), 0);
		fp = fopen(f->log, "a");
		assert_non_null(fp);
		fputs("Dec  5 10:00:01 h postfix/master[1]: x\n", fp);
		fclose(fp);
	}
	call(f, &l, 0);
	postfix_queue_free(&l);
	assert_int_equal(truncate(f->log, 0), 0);
	call(f, &l, 1);
	postfix_queue_free(&l);
}

/* A caller that lists everything anyway (*gap = 1 on entry: the first
 * pass after a start) is told the gap; deferred/ is not read. */
static void test_gap_listing_follows(void **state)
{
	struct fx *f = *state;
	struct mta_listing l;
	char err[256];
	int gap;

	gap_open(f);
	gap = 1;
	assert_int_equal(postfix_discover(&f->st, &l, &gap, err, sizeof(err)),
			 0);
	assert_int_equal(gap, 1);
	assert_int_equal(l.n, 0); /* reading deferred/ would find 2 */
	postfix_queue_free(&l);
	/* the gap was the listing's: the next call reads only the log */
	call(f, &l, 0);
	assert_int_equal(l.n, 0);
	postfix_queue_free(&l);
	/* truncated while a listing follows: told, still not read */
	assert_int_equal(truncate(f->log, 0), 0);
	gap = 1;
	assert_int_equal(postfix_discover(&f->st, &l, &gap, err, sizeof(err)),
			 0);
	assert_int_equal(gap, 1);
	assert_int_equal(l.n, 0);
	postfix_queue_free(&l);
}

struct told {
	size_t n, base, first; /* messages; heap before; heap at the 1st */
	size_t stop_at;	       /* say stop at this message (0: never) */
};

static int told_one(void *arg, const struct mta_message *m)
{
	struct told *t = arg;

	if (t->n++ == 0)
		t->first = heap_fx_in_use() - t->base;
	assert_int_equal(m->nrcpts, 1);
	assert_string_equal(m->rcpts[0].reason,
			    "Host or domain name not found. Name service error "
			    "for name=live.test type=MX: Host not found, try "
			    "again");
	return t->stop_at && t->n == t->stop_at ? -1 : 0;
}

static void test_each_memory_and_stop(void **state)
{
	struct fx *f = *state;
	struct told t = {0};
	char err[256], line[400];
	FILE *fp;
	int gap;

	gap = 0;
	assert_int_equal(
	    postfix_discover_each(&f->st, told_one, &t, &gap, err, sizeof(err)),
	    0);
	assert_non_null(fp = fopen(f->log, "a"));
	for (int i = 0; i < LIMIT_DISCOVER_MESSAGES; i++) {
		char id[16], rcpt[32];

		snprintf(id, sizeof(id), "1BCDF%06X", i);
		snprintf(rcpt, sizeof(rcpt), "u%06X@live.test", i);
		snprintf(line, sizeof(line),
			 DEFER("%s", "%s", "1",
			       "Host or domain name not found. Name service "
			       "error for name=live.test type=MX: Host not "
			       "found, try again"),
			 id, rcpt);
		fputs(line, fp);
	}
	fclose(fp);
	/* stopped at the 5th: nothing saved, all told again next call */
	t.stop_at = 5;
	gap = 0;
	assert_int_equal(
	    postfix_discover_each(&f->st, told_one, &t, &gap, err, sizeof(err)),
	    -1);
	assert_int_equal(t.n, 5);
	memset(&t, 0, sizeof(t));
	t.base = heap_fx_in_use();
	gap = 0;
	assert_int_equal(
	    postfix_discover_each(&f->st, told_one, &t, &gap, err, sizeof(err)),
	    0);
	assert_int_equal(t.n, LIMIT_DISCOVER_MESSAGES);
	/* the whole table is built when the first is told: ~100 B a
	 * message + its address, well under 200 (it was ~1,100) */
	print_message("discovery table: %zu bytes for %d messages\n", t.first,
		      LIMIT_DISCOVER_MESSAGES);
	assert_true(t.first < (size_t)LIMIT_DISCOVER_MESSAGES * 200);
	memset(&t, 0, sizeof(t));
	gap = 0;
	assert_int_equal(
	    postfix_discover_each(&f->st, told_one, &t, &gap, err, sizeof(err)),
	    0);
	assert_int_equal(t.n, 0); /* saved after the whole call */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_deferrals, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_gaps, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bound, setup, teardown),
	    cmocka_unit_test(test_parts),
	    cmocka_unit_test_setup_teardown(test_walk, setup_qdir, teardown),
	    cmocka_unit_test_setup_teardown(test_discover_gap, setup_qdir,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_gap_listing_follows,
					    setup_qdir, teardown),
	    cmocka_unit_test_setup_teardown(test_each_memory_and_stop, setup,
					    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
