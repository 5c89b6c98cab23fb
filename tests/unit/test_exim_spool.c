/*
 * test_exim_spool - Exim's spool as a discovery source (issue 13).
 * The -H parser (exim_spool_hdr_parse) on a real Exim 4.96 file, on the
 * layout's variants (ACL variables with newlines, DSN and older
 * recipient data, a non-recipients tree, the null sender, quoted
 * addresses with spaces) and on hostile texts (every cut of a good file,
 * lengths past the end, bounds, control bytes): refused, never read
 * past the text. Spool specs (exim_spool_parts). The known set. The walk
 * (exim_spool_discover) over fake spools, split or not: deferred messages
 * told with their msglog reasons, frozen ones held, never-deferred and
 * known ones left alone, junk names ignored, symbolic links, directories
 * and FIFOs named like -H files refused (partial). Discovery after a log
 * gap (exim_discover): the spool covers it once the known set is ready.
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

#include "util/limits.h"
#include "plugins/exim_discover.h"
#include "plugins/exim_id.h"
#include "plugins/exim_known.h"
#include "plugins/exim_queue.h"
#include "plugins/exim_spool.h"
#include "tmpdir_fx.h"
#include "listing_fx.h"

#define ID1 "1xaAuy-0005e4-0U"
#define ID2 "1xaAuz-0005e9-1a"
#define ID3 "1xaAv0-0005eF-2b"
#define ID4 "1xaAv1-0005eK-3c"
#define ID5 "1xaAv2-0005eP-4d"

/* A real Exim 4.96 -H file (the lab's), frozen. */
#define HEAD(id)                                                               \
	id "-H\nroot 0 0\n<sender@senders.test>\n1796558436 0\n"               \
	   "-received_time_usec .152061\n"                                     \
	   "-received_time_complete 1796558436.296144\n"                       \
	   "--helo_name e2e.test\n-ident root\n"                               \
	   "-received_protocol local-smtp\n-body_linecount 1\n"                \
	   "-max_received_linelength 32\n-allow_unqualified_recipient\n"       \
	   "-allow_unqualified_sender\n"
#define HEADERS                                                                \
	"215P Received: from root (helo=e2e.test)\n\tby x with local-smtp "    \
	"(Exim 4.96)\n032T To: <r0-00001@windowslive.test>\n"
#define REAL(id)                                                               \
	HEAD(id)                                                               \
	"-frozen 1796558516\n-tls_resumption A\nXX\n1\n"                       \
	"r0-00001@windowslive.test\n\n" HEADERS
#define PLAIN(id, rcpt) HEAD(id) "XX\n1\n" rcpt "\n\n" HEADERS

static int parse(const char *text, size_t len, const char *id,
		 struct mta_message *m)
{
	const char *why;
	char *copy =
	    malloc(len ? len : 1); /* exact size: ASan sees overreads */
	int rc;

	assert_non_null(copy);
	memcpy(copy, text, len);
	rc = exim_spool_hdr_parse(copy, len, id, m, &why);
	free(copy);
	if (rc < 0)
		assert_true(why[0] != '\0');
	return rc;
}

static void test_hdr_real(void **state)
{
	static const char text[] = REAL(ID1);
	struct mta_message m;
	int64_t t;

	(void)state;
	assert_int_equal(parse(text, sizeof(text) - 1, ID1, &m), 0);
	assert_string_equal(m.queue_id, ID1);
	assert_string_equal(m.sender, "sender@senders.test");
	assert_int_equal(m.held, 1);
	assert_int_equal(m.nrcpts, 1);
	assert_string_equal(m.rcpts[0].address, "r0-00001@windowslive.test");
	assert_string_equal(m.rcpts[0].reason, "");
	assert_int_equal(exim_id_time(ID1, &t), 0);
	assert_true(m.arrival == t);
	free(m.rcpts);

	/* another id's file: refused */
	assert_int_equal(parse(text, sizeof(text) - 1, ID2, &m), -1);
	assert_null(m.rcpts);
}

static void test_hdr_variants(void **state)
{
	/* an ACL variable whose value holds what looks like an envelope,
	 * a tree of three delivered addresses, recipient data of every
	 * kind, a quoted local part with a space, the null sender */
	static const char text[] =
	    ID2 "-H\nexim 101 103\n<>\n1796558436 0\n"
		"-aclm foo 21\nXX\n1\nfake@x.test\n\nabc\n"
		"--aclc bar 3\nx\ny\n-acl 3 0\n\n-frozen 1796558516\n"
		"YY d1@live.test\nNN d2@live.test\nNN d3@live.test\n"
		"8\n"
		"d1@live.test\n"
		"a1@live.test ORC 3,0 ERR 3,-1#3\n"
		"a2@live.test errors@x.test 13,2#1\n"
		"d2@live.test 2\n"
		"a3@live.test 1,2,3\n"
		"\"a b\"@live.test\n"
		"a5@10.0.0.1\n"
		"d3@live.test rfc822;x 8,4  0,-1#3\n"
		"\n" HEADERS;
	static const char *const want[] = {"a1@live.test", "a2@live.test",
					   "a3@live.test", "\"a b\"@live.test",
					   "a5@10.0.0.1"};
	struct mta_message m;

	(void)state;
	assert_int_equal(parse(text, sizeof(text) - 1, ID2, &m), 0);
	assert_string_equal(m.sender, "");
	assert_int_equal(m.held, 1);
	assert_int_equal(m.nrcpts, 5);
	for (size_t i = 0; i < 5; i++)
		assert_string_equal(m.rcpts[i].address, want[i]);
	free(m.rcpts);
}

static void test_hdr_cuts(void **state)
{
	static const char text[] = PLAIN(ID1, "a@live.test");
	size_t env = strstr(text, "\n\n") - text + 2;
	struct mta_message m;

	(void)state;
	for (size_t len = 0; len < sizeof(text) - 1; len++) {
		int rc = parse(text, len, ID1, &m);

		assert_int_equal(rc, len < env ? -1 : 0);
		if (rc == 0)
			assert_int_equal(m.nrcpts, 1);
		free(m.rcpts);
	}
}

static void test_hdr_hostile(void **state)
{
	static const char *const bad[] = {
	    "",
	    ID1 "-D\nroot 0 0\n<>\n1 0\nXX\n1\na@b\n\n",
	    ID1 "-H\n\n<>\n1 0\nXX\n1\na@b\n\n",
	    ID1 "-H\nroot 0 0\nsender\n1 0\nXX\n1\na@b\n\n",
	    ID1 "-H\nroot 0 0\n<>\nnow 0\nXX\n1\na@b\n\n",
	    ID1 "-H\nroot 0 0\n<>\n1 0\n-aclc x 999\nabc\nXX\n1\na@b\n\n",
	    ID1 "-H\nroot 0 0\n<>\n1 0\n-aclc x 99999999999999999999\nXX\n",
	    ID1 "-H\nroot 0 0\n<>\n1 0\n-aclc x\nXX\n1\na@b\n\n",
	    ID1 "-H\nroot 0 0\n<>\n1 0\n--(quoter\nXX\n1\na@b\n\n",
	    ID1 "-H\nroot 0 0\n<>\n1 0\nYY a@b\nNN c@d\n1\na@b\n\n",
	    ID1 "-H\nroot 0 0\n<>\n1 0\nXY a@b\n1\na@b\n\n",
	    ID1 "-H\nroot 0 0\n<>\n1 0\nXX\n16385\na@b\n\n",
	    ID1 "-H\nroot 0 0\n<>\n1 0\nXX\n-1\na@b\n\n",
	    ID1 "-H\nroot 0 0\n<>\n1 0\nXX\n2\na@b\n\n",
	    ID1 "-H\nroot 0 0\n<>\n1 0\nXX\n1\na@b\nheaders\n",
	    ID1 "-H\nroot 0 0\n<>\n1 0\nXX\n1\na\001b@c\n\n",
	    ID1 "-H\nroot 0 0\n<>\n1 0\nXX\n1\n\n\n",
	    ID1 "-H\nroot 0 0\n<>\n1 0\nXX\n1\na@b 999,0#1\n\n",
	    ID1 "-H\nroot 0 0\n<>\n1 0\nXX\n1\n 3,-1#1\n\n",
	    ID1 "-H\nroot 0 0\n<>\n1 0\nXX\n1\na@b x 1,0#3\n\n",
	    ID1 "-H\nroot 0 0\n<>\n1 0\nXX\n1\na@b #999\n\n",
	    ID1 "-H\nroot 0 0\n<a\tb>\n1 0\nXX\n1\na@b\n\n",
	};
	struct mta_message m;
	char *big;
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		print_message("hostile %zu\n", i);
		assert_int_equal(parse(bad[i], strlen(bad[i]), ID1, &m), -1);
		assert_null(m.rcpts);
	}
	/* NUL bytes in an address */
	{
		static const char nul[] =
		    ID1 "-H\nroot 0 0\n<>\n1 0\nXX\n1\na\0b@c\n\n";

		assert_int_equal(parse(nul, sizeof(nul) - 1, ID1, &m), -1);
	}
	/* a sender and an address longer than LIMIT_ADDRESS */
	big = malloc(4 * LIMIT_ADDRESS + 200);
	assert_non_null(big);
	n = (size_t)sprintf(big,
			    ID1 "-H\nroot 0 0\n<%0*d>\n1 0\nXX\n1\na@b\n\n",
			    LIMIT_ADDRESS + 1, 0);
	assert_int_equal(parse(big, n, ID1, &m), -1);
	n = (size_t)sprintf(big, ID1 "-H\nroot 0 0\n<>\n1 0\nXX\n1\n%0*d\n\n",
			    LIMIT_ADDRESS + 1, 0);
	assert_int_equal(parse(big, n, ID1, &m), -1);
	free(big);
}

/* More pending recipients than one message may have: left to Exim; a
 * tree deeper than the bound: refused. */
static void test_hdr_bounds(void **state)
{
	size_t cap = 64 * (LIMIT_EXIM_SPOOL_RCPTS + 2) + 200, n;
	char *t = malloc(cap);
	struct mta_message m;

	(void)state;
	assert_non_null(t);
	n = (size_t)sprintf(t, ID1 "-H\nroot 0 0\n<>\n1 0\nXX\n%d\n",
			    LIMIT_RCPTS_PER_MESSAGE + 1);
	for (int i = 0; i <= LIMIT_RCPTS_PER_MESSAGE; i++)
		n += (size_t)sprintf(t + n, "r%d@live.test\n", i);
	n += (size_t)sprintf(t + n, "\n");
	assert_int_equal(parse(t, n, ID1, &m), 1);
	assert_null(m.rcpts);

	n = (size_t)sprintf(t, ID1 "-H\nroot 0 0\n<>\n1 0\n");
	for (int i = 0; i <= LIMIT_EXIM_SPOOL_RCPTS; i++)
		n += (size_t)sprintf(t + n, "NY d%d@live.test\n", i);
	n += (size_t)sprintf(t + n, "NN last@live.test\n1\na@b\n\n");
	assert_int_equal(parse(t, n, ID1, &m), -1);
	free(t);
}

static void test_parts(void **state)
{
	char parts[4][MTA_FILE_PART];
	static const char *const bad_dirs[] = {"..", "ab", "-", ".", "/"};
	static const char *const bad_hdrs[] = {"",
					       "x",
					       "A.",
					       ".." ID1,
					       "../" ID1,
					       "AB." ID1,
					       "-." ID1,
					       ID1 "-H",
					       ID1 "/x",
					       "A/" ID1,
					       "1xaAuy-0005e4-0",
					       ID1 "0"};
	size_t n;

	(void)state;
	assert_int_equal(
	    exim_spool_parts(MTA_FILE_SPOOL_INPUT, NULL, parts, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(parts[0], "input");
	assert_int_equal(exim_spool_parts(MTA_FILE_SPOOL_INPUT, "y", parts, &n),
			 0);
	assert_int_equal(n, 2);
	assert_string_equal(parts[1], "y");
	assert_int_equal(
	    exim_spool_parts(MTA_FILE_SPOOL_HEADER, "y." ID1, parts, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(parts[2], ID1 "-H");
	assert_int_equal(
	    exim_spool_parts(MTA_FILE_SPOOL_HEADER, ID1, parts, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(parts[1], ID1 "-H");
	for (size_t i = 0; i < sizeof(bad_dirs) / sizeof(bad_dirs[0]); i++)
		assert_int_equal(exim_spool_parts(MTA_FILE_SPOOL_INPUT,
						  bad_dirs[i], parts, &n),
				 -1);
	for (size_t i = 0; i < sizeof(bad_hdrs) / sizeof(bad_hdrs[0]); i++)
		assert_int_equal(exim_spool_parts(MTA_FILE_SPOOL_HEADER,
						  bad_hdrs[i], parts, &n),
				 -1);
	assert_int_equal(exim_spool_parts(MTA_FILE_MSGLOG, ID1, parts, &n), -1);
}

static void test_known(void **state)
{
	struct exim_known k;
	char id[32];

	(void)state;
	memset(&k, 0, sizeof(k));
	assert_int_equal(exim_known_has(&k, ID1), 0);
	for (unsigned i = 0; i < 5000; i++) {
		snprintf(id, sizeof(id), "1xaAuy-%06u-0U", i);
		assert_int_equal(exim_known_add(&k, id), 0);
		assert_int_equal(exim_known_add(&k, id), 0);
	}
	assert_int_equal(k.n, 5000);
	for (unsigned i = 0; i < 5000; i++) {
		snprintf(id, sizeof(id), "1xaAuy-%06u-0U", i);
		assert_int_equal(exim_known_has(&k, id), 1);
	}
	assert_int_equal(exim_known_has(&k, ID2), 0);
	exim_known_free(&k);
	assert_int_equal(exim_known_has(&k, "1xaAuy-000001-0U"), 0);
}

/* ---- the walk over a fake spool ---- */

struct fx {
	char dir[64], log[128];
	struct exim_state st;
};

/* @param rel (a file, or a directory when @param text is NULL) in the
 * fixture's directory. */
static void put(const struct fx *f, const char *rel, const char *text)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", f->dir, rel);
	if (text == NULL)
		assert_int_equal(mkdir(path, 0700), 0);
	else
		tmpdir_fx_append(path, text);
}

#define mkd(f, rel) put(f, rel, NULL)

#define MSGLOG_DEFER(rcpt)                                                     \
	"2026-12-06 12:00:05 Received from s@x.test U=root P=local-smtp "      \
	"S=377\n2026-12-06 12:00:05 " rcpt                                     \
	" R=dnslookup defer (-1): missing MX\n"

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/test_eximspool.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->st.spool = f->dir;
	mkd(f, "input");
	mkd(f, "msglog");
	/* deferred (its msglog says so), frozen, never deferred yet */
	put(f, "input/" ID1 "-H", PLAIN(ID1, "a@live.test"));
	put(f, "input/" ID1 "-D", ID1 "-D\nbody\n");
	put(f, "msglog/" ID1, MSGLOG_DEFER("a@live.test"));
	put(f, "input/" ID2 "-H", REAL(ID2));
	put(f, "input/" ID3 "-H", PLAIN(ID3, "c@live.test"));
	/* junk: not ids, a -D alone, Exim's temporary header */
	put(f, "input/" ID4 "-D", "");
	put(f, "input/hdr." ID4, "");
	put(f, "input/notanid-H", PLAIN(ID4, "x@live.test"));
	put(f, "input/" ID4 "-J", "");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	exim_known_free(&f->st.known);
	free(f->st.dcursor_file);
	assert_int_equal(tmpdir_fx_remove(f->dir), 0);
	free(f);
	return 0;
}

/* One walk: @return its result; the messages told in @param l. */
static int walk(struct fx *f, struct mta_listing *l, size_t *nread)
{
	struct mta_discover t;
	char err[256];
	int rc;

	memset(&t, 0, sizeof(t));
	memset(l, 0, sizeof(*l));
	rc = exim_spool_discover(&f->st, &t, nread, err, sizeof(err));
	assert_int_equal(mta_discover_each(&t, mta_discover_collect, l), 0);
	mta_discover_free(&t);
	return rc;
}

static void test_walk(void **state)
{
	struct fx *f = *state;
	const struct mta_message *m;
	struct mta_listing l;
	char from[256], to[256];
	size_t nread;

	assert_int_equal(walk(f, &l, &nread), 0);
	assert_int_equal(nread, 3);
	assert_int_equal(l.n, 2);
	m = listing_fx_find(&l, ID1);
	assert_non_null(m);
	assert_int_equal(m->held, 0);
	assert_int_equal(m->nrcpts, 1);
	assert_string_equal(m->rcpts[0].address, "a@live.test");
	assert_string_equal(m->rcpts[0].reason, "missing MX");
	assert_string_equal(m->sender, "sender@senders.test");
	m = listing_fx_find(&l, ID2);
	assert_non_null(m);
	assert_int_equal(m->held, 1);
	assert_null(listing_fx_find(&l, ID3)); /* never deferred: the log's */
	exim_queue_free(&l);

	/* known ids: their -H files are not read again */
	assert_int_equal(exim_known_add(&f->st.known, ID1), 0);
	assert_int_equal(exim_known_add(&f->st.known, ID2), 0);
	assert_int_equal(walk(f, &l, &nread), 0);
	assert_int_equal(nread, 1);
	assert_int_equal(l.n, 0);
	exim_queue_free(&l);

	/* malformed: logged, partial (a full listing reconciles) */
	put(f, "input/" ID4 "-H", ID4 "-H\nroot 0 0\n<>\n");
	assert_int_equal(walk(f, &l, &nread), 1);
	exim_queue_free(&l);

	/* a symbolic link, a directory, a FIFO named like a -H file */
	snprintf(from, sizeof(from), "%s/input/%s-H", f->dir, ID4);
	snprintf(to, sizeof(to), "%s/outside", f->dir);
	put(f, "outside", PLAIN(ID4, "d@live.test"));
	assert_int_equal(unlink(from), 0);
	assert_int_equal(symlink(to, from), 0);
	assert_int_equal(walk(f, &l, &nread), 1);
	assert_int_equal(l.n, 0);
	exim_queue_free(&l);
	assert_int_equal(unlink(from), 0);
	assert_int_equal(mkdir(from, 0700), 0);
	assert_int_equal(walk(f, &l, &nread), 1);
	exim_queue_free(&l);
	assert_int_equal(rmdir(from), 0);
	assert_int_equal(mkfifo(from, 0600), 0);
	assert_int_equal(walk(f, &l, &nread), 1);
	exim_queue_free(&l);
	assert_int_equal(unlink(from), 0);

	/* the input directory itself a symbolic link: not followed */
	snprintf(from, sizeof(from), "%s/input", f->dir);
	snprintf(to, sizeof(to), "%s/input2", f->dir);
	assert_int_equal(rename(from, to), 0);
	assert_int_equal(symlink("input2", from), 0);
	assert_int_equal(walk(f, &l, &nread), -1);
	exim_queue_free(&l);

	/* no spool known: refused, never guessed */
	f->st.spool = NULL;
	assert_int_equal(walk(f, &l, &nread), -1);
	exim_queue_free(&l);
	f->st.spool = f->dir;
}

/* split_spool_directory: input/H/ID-H and msglog/H/ID, H = id[5]. */
static void test_walk_split(void **state)
{
	struct fx *f = *state;
	const struct mta_message *m;
	struct mta_listing l;
	size_t nread;

	f->st.split_spool = 1;
	mkd(f, "input/2");
	mkd(f, "msglog/2");
	put(f, "input/2/" ID5 "-H", PLAIN(ID5, "e@live.test"));
	put(f, "msglog/2/" ID5, MSGLOG_DEFER("e@live.test"));
	mkd(f, "input/2/Q"); /* deeper: not read */
	assert_int_equal(exim_known_add(&f->st.known, ID2), 0);
	assert_int_equal(walk(f, &l, &nread), 0);
	m = listing_fx_find(&l, ID5);
	assert_non_null(m);
	assert_string_equal(m->rcpts[0].reason, "missing MX");
	/* ID1's msglog is looked for in msglog/y/ now: no reason, not told */
	assert_null(listing_fx_find(&l, ID1));
	exim_queue_free(&l);
}

/* A line read, then the log truncated: the next call has a gap. */
static void gap_now(struct fx *f)
{
	struct mta_listing l;
	char err[256];
	int gap;

	tmpdir_fx_append(f->log, "2026-12-06 12:00:01 queue run\n");
	gap = 0;
	assert_int_equal(exim_discover(&f->st, &l, &gap, err, sizeof(err)), 0);
	assert_int_equal(gap, 0);
	exim_queue_free(&l);
	assert_int_equal(truncate(f->log, 0), 0);
}

/* Discovery with a log gap: the spool covers it once a complete full
 * listing made the known set (known_ready); told ids become known. */
static void test_discover_gap(void **state)
{
	struct fx *f = *state;
	struct mta_listing l;
	char err[256];
	int gap;

	snprintf(f->log, sizeof(f->log), "%s/mainlog", f->dir);
	tmpdir_fx_append(f->log, "2026-12-06 12:00:00 exim started\n");
	f->st.log_file = f->log;
	assert_int_equal(exim_discover_open(&f->st, f->dir, err, sizeof(err)),
			 0);
	/* no full listing yet: the gap is left to one */
	gap = 0;
	assert_int_equal(exim_discover(&f->st, &l, &gap, err, sizeof(err)), 0);
	assert_int_equal(gap, 1);
	assert_int_equal(l.n, 0);
	exim_queue_free(&l);

	f->st.known_ready = 1;
	/* a full listing follows anyway (*gap = 1 on entry): no spool read */
	gap_now(f);
	gap = 1;
	assert_int_equal(exim_discover(&f->st, &l, &gap, err, sizeof(err)), 0);
	assert_int_equal(gap, 1);
	assert_int_equal(l.n, 0);
	exim_queue_free(&l);
	assert_int_equal(exim_known_has(&f->st.known, ID1), 0);
	gap_now(f);
	gap = 0;
	assert_int_equal(exim_discover(&f->st, &l, &gap, err, sizeof(err)), 0);
	assert_int_equal(gap, 0);
	assert_int_equal(l.n, 2);
	assert_non_null(listing_fx_find(&l, ID1));
	assert_non_null(listing_fx_find(&l, ID2));
	exim_queue_free(&l);
	assert_int_equal(exim_known_has(&f->st.known, ID1), 1);
	assert_int_equal(exim_known_has(&f->st.known, ID3), 0);

	/* another gap: nothing new to tell */
	gap_now(f);
	gap = 0;
	assert_int_equal(exim_discover(&f->st, &l, &gap, err, sizeof(err)), 0);
	assert_int_equal(gap, 0);
	assert_int_equal(l.n, 0);
	exim_queue_free(&l);

	/* a malformed -H: the gap goes to the full listing */
	put(f, "input/" ID4 "-H", "junk\n");
	gap_now(f);
	gap = 0;
	assert_int_equal(exim_discover(&f->st, &l, &gap, err, sizeof(err)), 0);
	assert_int_equal(gap, 1);
	exim_queue_free(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_hdr_real),
	    cmocka_unit_test(test_hdr_variants),
	    cmocka_unit_test(test_hdr_cuts),
	    cmocka_unit_test(test_hdr_hostile),
	    cmocka_unit_test(test_hdr_bounds),
	    cmocka_unit_test(test_parts),
	    cmocka_unit_test(test_known),
	    cmocka_unit_test_setup_teardown(test_walk, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_walk_split, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_discover_gap, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
