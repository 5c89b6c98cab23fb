/*
 * test_store_proc - the store with real processes, crashes and a full disk.
 *
 * - SIGKILL: a child writes transactions of 10 messages in DAEMON mode and
 *   reports each committed batch through a pipe; the parent kills it with
 *   SIGKILL, checks that JOIN opens the crashed store through failchk
 *   (no hang, no recovery, every reported batch there), reopens in DAEMON mode
 * (recovery) and finds every reported record intact and the due index in step.
 * - A JOIN reader beside a writing daemon (two processes): reads see the
 *   writer's progress, and a small JOIN write lands.
 * - A reader killed while attached: the next opener's failchk frees it
 *   (no panic); the daemon's failchk too, and it keeps writing.
 * - JOIN on a missing store creates an empty one; JOIN and DAEMON opening
 *   a fresh directory at the same moment all succeed; a JOIN waits at
 *   the gate while another process opens (creates) the environment, and
 *   an empty __db.register (an opener that died) is a fresh store.
 * - The is-alive answer: an attached process is alive; a zombie, a reaped
 *   pid and a live process that is not attached (a reused pid) are not.
 * - A process killed (fault point) in failchk while it holds the region
 *   mutex: JOIN and READ come back with the next step, the daemon's open
 *   recovers; a running daemon's failchk comes back, panicked, and its
 *   reopen recovers. Also with the dead holder left a zombie.
 * - Every open in a child is bounded (alarm): a hang fails the test.
 * - Disk full: a small tmpfs, filled; writes return STORE_NOSPACE, nothing
 *   half-written; after freeing space the store works again and holds
 *   every committed record. Skipped only when mount(2) is refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "store/store.h"
#include "store/store_int.h" /* store_alive_pid */
#include "tmpdir_fx.h"

#define CRASH_MIN_BATCHES 30
/* The regions' blocks are reserved at open (about 11 MB with a small
 * cache, store_region.c): the test file systems leave room for them. */
#define STORE_PROC_TMPFS "24m"
#define GROWTH_CACHE	 (8u << 20) /* a cache that grows on a full disk */
#define GROWTH_BATCHES	 300	    /* of 10 messages: pages for it to read */
#define RELEASE_BATCHES	 20 /* of 10 held messages, released when full */
#define GATE_WATCH_NAPS	 30 /* of 50 ms: a joiner held at the gate */
#define OPEN_BOUND_S	 30 /* an open in a child longer than this: hung */

/* Message i of batch b, with content derived from (b, i). */
static struct store_message *batch_msg(char tag, int b, int i)
{
	struct store_message *m = store_message_new(1 + (size_t)i % 3);

	strcpy(m->mta, "postfix");
	snprintf(m->queue_id, sizeof(m->queue_id), "%c%06dM%d", tag, b, i);
	snprintf(m->sender, sizeof(m->sender), "s%d.%d@example.org", b, i);
	strcpy(m->domain, "hotmail.com");
	m->state = STORE_MSG_HELD;
	m->arrival = 1700000000 + b;
	m->next_attempt = 10000 + b % 100;
	m->attempts = (uint32_t)(b * 10 + i);
	snprintf(m->last_reason, sizeof(m->last_reason), "batch %d item %d", b,
		 i);
	for (size_t r = 0; r < m->nrcpts; r++) {
		snprintf(m->rcpts[r].address, sizeof(m->rcpts[r].address),
			 "u%zu.%d.%d@hotmail.com", r, b, i);
		m->rcpts[r].state = STORE_RCPT_PENDING;
	}
	return m;
}

/*
 * One transaction of the 10 messages of batch @param b, in @param state;
 * @return the first non-OK code.
 */
static int put_batch(struct store *st, char tag, int b,
		     enum store_msg_state state, char *err, size_t errlen)
{
	struct store_txn *txn;
	int rc = store_txn_begin(st, &txn, err, errlen);

	if (rc != STORE_OK)
		return rc;
	for (int i = 0; i < 10 && rc == STORE_OK; i++) {
		struct store_message *m = batch_msg(tag, b, i);

		m->state = state;
		rc = store_put_message(st, txn, m, err, errlen);
		store_message_free(m);
	}
	if (rc != STORE_OK) {
		store_txn_abort(txn);
		return rc;
	}
	return store_txn_commit(txn, err, errlen);
}

static int write_batch_once(struct store *st, char tag, int b, char *err,
			    size_t errlen)
{
	return put_batch(st, tag, b, STORE_MSG_HELD, err, errlen);
}

/*
 * One batch in one transaction. With several writers (and two secondary
 * indexes) Berkeley DB may pick this transaction as a deadlock victim:
 * STORE_RETRY, and the store.h contract is to abort and run it again.
 */
static int write_batch(struct store *st, char tag, int b, char *err,
		       size_t errlen)
{
	int rc = STORE_RETRY;

	for (int tries = 0; rc == STORE_RETRY && tries < 100; tries++)
		rc = write_batch_once(st, tag, b, err, errlen);
	return rc;
}

static void assert_batch_intact(struct store *st, char tag, int b)
{
	char err[512];

	for (int i = 0; i < 10; i++) {
		struct store_message *want = batch_msg(tag, b, i), *got;
		size_t size =
		    sizeof(*want) + want->nrcpts * sizeof(want->rcpts[0]);

		if (store_get_message(st, NULL, "postfix", want->queue_id, &got,
				      err, sizeof(err)) != STORE_OK)
			fail_msg("batch %c%d item %d missing: %s", tag, b, i,
				 err);
		assert_int_equal(got->nrcpts, want->nrcpts);
		assert_memory_equal(got, want, size);
		store_message_free(got);
		store_message_free(want);
	}
}

static int count_one(const struct store_message *m, void *arg)
{
	(void)m;
	++*(size_t *)arg;
	return 0;
}

static size_t count_all(struct store *st)
{
	size_t n = 0;
	char err[512];

	assert_int_equal(
	    store_walk_messages(st, count_one, &n, err, sizeof(err)), STORE_OK);
	return n;
}

static size_t count_due(struct store *st)
{
	size_t n = 0;
	char err[512];

	assert_int_equal(
	    store_walk_due(st, INT64_MAX, 0, count_one, &n, err, sizeof(err)),
	    STORE_OK);
	return n;
}

static void open_ok(const char *dir, enum store_open_mode mode, size_t cache,
		    struct store **st)
{
	char err[1024];

	if (store_open(dir, mode, cache, st, err, sizeof(err)) != STORE_OK)
		fail_msg("store_open %s: %s", dir, err);
}

static void make_dirs(char *base, size_t cap, char *dir, size_t dcap)
{
	snprintf(base, cap, "/tmp/test_store_proc.XXXXXX");
	assert_non_null(mkdtemp(base));
	snprintf(dir, dcap, "%s/state", base);
}

/* Child: write batches forever, reporting each committed one. */
static void __attribute__((noreturn))
writer_child(const char *dir, char tag, int report, int stop)
{
	struct store *st;
	char err[512];

	if (store_open(dir, STORE_OPEN_DAEMON, 0, &st, err, sizeof(err)) !=
	    STORE_OK) {
		fprintf(stderr, "child: %s\n", err);
		_exit(2);
	}
	for (int b = 0; b < 100000; b++) {
		struct pollfd pfd = {stop, POLLIN, 0};

		if (write_batch(st, tag, b, err, sizeof(err)) != STORE_OK) {
			fprintf(stderr, "child: batch %d: %s\n", b, err);
			_exit(3);
		}
		if (write(report, &b, sizeof(b)) != sizeof(b))
			_exit(4);
		if (stop >= 0 && poll(&pfd, 1, 0) > 0)
			break;
	}
	store_close(st);
	_exit(0);
}

/*
 * Open in @param mode in a child, bounded by OPEN_BOUND_S (alarm): a hung
 * open fails the test instead of hanging it. @return how many messages it
 * sees, or -1 when it was refused (then @param err says why).
 */
static long open_count(const char *dir, enum store_open_mode mode, char *err,
		       size_t errlen)
{
	int p[2], status;
	long n = -1;
	ssize_t r;
	pid_t pid;

	assert_int_equal(pipe(p), 0);
	if ((pid = fork()) == 0) {
		struct store *st;
		char e[1024];

		alarm(OPEN_BOUND_S);
		if (store_open(dir, mode, 0, &st, e, sizeof(e)) != STORE_OK) {
			if (write(p[1], e, strlen(e)) < 0)
				_exit(2);
			_exit(1);
		}
		n = (long)count_all(st);
		store_close(st);
		if (write(p[1], &n, sizeof(n)) != sizeof(n))
			_exit(2);
		_exit(0);
	}
	close(p[1]);
	memset(err, 0, errlen);
	r = read(p[0], err, errlen - 1);
	close(p[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFSIGNALED(status))
		fail_msg("%s open of %s: killed by signal %d (%s after %d s: "
			 "it hung)",
			 mode == STORE_OPEN_JOIN   ? "JOIN"
			 : mode == STORE_OPEN_READ ? "READ"
						   : "DAEMON",
			 dir, WTERMSIG(status),
			 WTERMSIG(status) == SIGALRM ? "the alarm" : "not",
			 OPEN_BOUND_S);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 1)
		return -1;
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(r, sizeof(n));
	memcpy(&n, err, sizeof(n));
	err[0] = 0;
	return n;
}

static long join_count(const char *dir, char *err, size_t errlen)
{
	return open_count(dir, STORE_OPEN_JOIN, err, errlen);
}

static void test_sigkill_then_recovery(void **state)
{
	char base[64], dir[80], err[1024];
	struct store *st;
	int p[2], b, last = -1, status;
	long jn;
	size_t n;
	pid_t pid;

	(void)state;
	make_dirs(base, sizeof(base), dir, sizeof(dir));
	assert_int_equal(pipe(p), 0);
	if ((pid = fork()) == 0) {
		close(p[0]);
		writer_child(dir, 'K', p[1], -1);
	}
	close(p[1]);
	while (last < CRASH_MIN_BATCHES &&
	       read(p[0], &b, sizeof(b)) == sizeof(b))
		last = b;
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	/* Reports still in the pipe were committed too. */
	while (read(p[0], &b, sizeof(b)) == sizeof(b))
		last = b;
	close(p[0]);
	assert_true(last >= CRASH_MIN_BATCHES);

	/*
	 * JOIN neither hangs nor recovers. Berkeley DB's failchk (DB_FAILCHK
	 * with DB_REGISTER) aborts the dead writer's open transaction and
	 * frees its locks: the committed batches are all there. When the
	 * writer died inside Berkeley DB holding a region mutex, failchk
	 * cannot help: JOIN refuses and says what to do (start retryd).
	 */
	if ((jn = join_count(dir, err, sizeof(err))) < 0) {
		assert_non_null(strstr(err, "start retryd"));
		assert_non_null(strstr(err, "db5.3_recover -h"));
	} else {
		assert_true(jn >= (long)(last + 1) * 10);
	}

	open_ok(dir, STORE_OPEN_DAEMON, 0, &st);
	for (b = 0; b <= last; b++)
		assert_batch_intact(st, 'K', b);
	/* At most one more batch committed without being reported. */
	n = count_all(st);
	assert_true(n == (size_t)(last + 1) * 10 ||
		    n == (size_t)(last + 2) * 10);
	assert_int_equal(count_due(st), n);
	store_close(st);

	/* After recovery JOIN works. */
	open_ok(dir, STORE_OPEN_JOIN, 0, &st);
	assert_int_equal(count_all(st), n);
	store_close(st);
	tmpdir_fx_remove(base);
}

static int read_report(int fd)
{
	int b;

	assert_int_equal(read(fd, &b, sizeof(b)), sizeof(b));
	return b;
}

static void test_join_reader_beside_writer(void **state)
{
	char base[64], dir[80], err[1024];
	struct store *st;
	struct store_message *m;
	struct store_suppressed s, got;
	int rep[2], ctl[2], b, status;
	size_t first, second;
	pid_t pid;

	(void)state;
	make_dirs(base, sizeof(base), dir, sizeof(dir));
	assert_int_equal(pipe(rep), 0);
	assert_int_equal(pipe(ctl), 0);
	if ((pid = fork()) == 0) {
		close(rep[0]);
		close(ctl[1]);
		writer_child(dir, 'W', rep[1], ctl[0]);
	}
	close(rep[1]);
	close(ctl[0]);
	while ((b = read_report(rep[0])) < 3)
		;
	/* The daemon is attached and writing: join and read. */
	open_ok(dir, STORE_OPEN_JOIN, 0, &st);
	first = count_all(st);
	assert_true(first >= (size_t)(b + 1) * 10);
	assert_int_equal(store_get_message(st, NULL, "postfix", "W000000M0", &m,
					   err, sizeof(err)),
			 STORE_OK);
	assert_string_equal(m->last_reason, "batch 0 item 0");
	store_message_free(m);
	assert_true(count_due(st) >= first);
	memset(&s, 0, sizeof(s));
	strcpy(s.address, "x@hotmail.com");
	strcpy(s.reason, "set by retryctl");
	assert_int_equal(store_put_suppressed(st, NULL, &s, err, sizeof(err)),
			 STORE_OK);
	/* Wait for a batch committed after that count: the reader sees it. */
	while ((size_t)(b + 1) * 10 <= first)
		b = read_report(rep[0]);
	second = count_all(st);
	assert_true(second >= (size_t)(b + 1) * 10);
	assert_true(second > first);
	store_close(st);

	close(ctl[1]); /* the writer stops and closes cleanly */
	while (read(rep[0], &b, sizeof(b)) == sizeof(b))
		;
	close(rep[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	open_ok(dir, STORE_OPEN_DAEMON, 0, &st);
	assert_int_equal(store_get_suppressed(st, NULL, "x@hotmail.com", &got,
					      err, sizeof(err)),
			 STORE_OK);
	assert_int_equal(count_all(st), (size_t)(b + 1) * 10);
	store_close(st);
	tmpdir_fx_remove(base);
}

/* Exit codes of the daemon side of test_killed_reader_forces_reopen. */
static int check_batch(struct store *st, char tag, int b)
{
	char err[512];

	for (int i = 0; i < 10; i++) {
		struct store_message *want = batch_msg(tag, b, i), *got;
		size_t size =
		    sizeof(*want) + want->nrcpts * sizeof(want->rcpts[0]);
		int ok =
		    store_get_message(st, NULL, "postfix", want->queue_id, &got,
				      err, sizeof(err)) == STORE_OK &&
		    memcmp(got, want, size) == 0;

		if (got)
			store_message_free(got);
		store_message_free(want);
		if (!ok)
			return 0;
	}
	return 1;
}

/*
 * The daemon side, in a child: Berkeley DB cannot free the handles of a
 * panicked environment (every call returns DB_RUNRECOVERY, close too),
 * so that process leaks them once; LeakSanitizer must not see it here.
 */
static void __attribute__((noreturn))
reopen_child(const char *dir, int ready, int go)
{
	struct store *st;
	char err[1024], x;
	unsigned freed;

	if (store_open(dir, STORE_OPEN_DAEMON, 0, &st, err, sizeof(err)) !=
		STORE_OK ||
	    write_batch(st, 'P', 0, err, sizeof(err)) != STORE_OK ||
	    store_needs_reopen(st))
		_exit(10);
	if (write(ready, "d", 1) != 1 || read(go, &x, 1) != 1)
		_exit(11);
	/* The reader died attached: failchk frees it, no panic. */
	if (store_failchk(st, &freed, err, sizeof(err)) != STORE_OK)
		_exit(12);
	if (write_batch(st, 'P', 1, err, sizeof(err)) != STORE_OK ||
	    store_needs_reopen(st))
		_exit(13);
	store_close(st);
	if (store_open(dir, STORE_OPEN_DAEMON, 0, &st, err, sizeof(err)) !=
		STORE_OK ||
	    store_needs_reopen(st))
		_exit(14);
	if (!check_batch(st, 'P', 0) ||
	    write_batch(st, 'P', 1, err, sizeof(err)) != STORE_OK ||
	    !check_batch(st, 'P', 1))
		_exit(15);
	store_close(st);
	_exit(0);
}

/* A child that signals "ready" on one pipe, then waits for "go" on another. */
struct gated_child {
	pid_t pid;
	int ready; /* read end: one byte when the child is ready */
	int go;	   /* write end: one byte lets it go on */
};

/*
 * Fork @param body (a noreturn child: dir, ready fd, go fd) and return
 * once it said it is ready.
 */
static void gated_start(struct gated_child *c, const char *dir,
			void (*body)(const char *dir, int ready, int go))
{
	int ready[2], go[2];
	char x;

	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(go), 0);
	if ((c->pid = fork()) == 0) {
		close(ready[0]);
		close(go[1]);
		body(dir, ready[1], go[0]);
		_exit(99);
	}
	close(ready[1]);
	close(go[0]);
	c->ready = ready[0];
	c->go = go[1];
	assert_int_equal(read(c->ready, &x, 1), 1);
}

/* Let @param c go on and reap it: @return its wait status. */
static int gated_finish(struct gated_child *c)
{
	int status;

	assert_int_equal(write(c->go, "g", 1), 1);
	assert_int_equal(waitpid(c->pid, &status, 0), c->pid);
	close(c->go);
	close(c->ready);
	return status;
}

/*
 * A registered reader killed while attached (retryctl hit by ^C): the
 * next opener's failchk frees what it held (before failchk it panicked
 * the environment for everyone); the daemon's own failchk succeeds, it
 * is not panicked and keeps writing; a close and a reopen with recovery
 * still work.
 */
static void test_killed_reader_forces_reopen(void **state)
{
	char base[64], dir[80], err[1024], x;
	struct gated_child daemon;
	int p[2], status;
	pid_t reader;

	(void)state;
	make_dirs(base, sizeof(base), dir, sizeof(dir));
	gated_start(&daemon, dir, reopen_child);

	assert_int_equal(pipe(p), 0);
	if ((reader = fork()) == 0) {
		struct store *rd;

		if (store_open(dir, STORE_OPEN_JOIN, 0, &rd, err,
			       sizeof(err)) != STORE_OK)
			_exit(2);
		if (write(p[1], "r", 1) != 1)
			_exit(3);
		pause();
		_exit(0);
	}
	close(p[1]);
	assert_int_equal(read(p[0], &x, 1), 1);
	close(p[0]);
	assert_int_equal(kill(reader, SIGKILL), 0);
	assert_int_equal(waitpid(reader, &status, 0), reader);

	/* The next retryctl finds the dead reader: failchk, not a panic. */
	if (join_count(dir, err, sizeof(err)) < 10)
		fail_msg("join after a dead reader: %s", err);

	status = gated_finish(&daemon);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	tmpdir_fx_remove(base);
}

/*
 * Child: open @param dir in @param mode, commit batch @param b of tag
 * @param tag, leave a second batch's transaction open, report on
 * @param report, and run failchk with the test build's fault point set:
 * Berkeley DB's __txn_failchk asks is_alive about that open transaction
 * while holding the transaction region's mutex (which is the environment
 * region's, mtx_regenv, in 5.3), and the fault SIGKILLs us right there.
 * A daemon (or retryctl) killed in failchk: the next opener finds a
 * region mutex held by a dead process.
 */
static void __attribute__((noreturn))
die_holding_region_child(const char *dir, enum store_open_mode mode, char tag,
			 int b, int report)
{
	struct store *st;
	struct store_txn *txn;
	struct store_message *m;
	char err[1024];
	unsigned freed;

	if (store_open(dir, mode, 0, &st, err, sizeof(err)) != STORE_OK) {
		fprintf(stderr, "holder: %s\n", err);
		_exit(2);
	}
	if (write_batch(st, tag, b, err, sizeof(err)) != STORE_OK ||
	    store_txn_begin(st, &txn, err, sizeof(err)) != STORE_OK) {
		fprintf(stderr, "holder: %s\n", err);
		_exit(3);
	}
	m = batch_msg(tag, b + 1, 0);
	if (store_put_message(st, txn, m, err, sizeof(err)) != STORE_OK)
		_exit(4);
	store_message_free(m);
	if (write(report, "h", 1) != 1)
		_exit(5);
	setenv("RETRYD_FAULT", "store-txn-failchk", 1);
	store_failchk(st, &freed, err, sizeof(err));
	fprintf(stderr, "holder: the fault point did not fire: %s\n", err);
	_exit(6);
}

/*
 * Fork die_holding_region_child and wait until it is dead, killed by the
 * fault point. @param reap 0 leaves it a zombie (waitid WNOWAIT): the
 * caller reaps it with waitpid later. @return its pid.
 */
static pid_t die_holding_region(const char *dir, enum store_open_mode mode,
				char tag, int b, int reap)
{
	siginfo_t si;
	int p[2];
	char x;
	pid_t pid;

	assert_int_equal(pipe(p), 0);
	if ((pid = fork()) == 0) {
		close(p[0]);
		die_holding_region_child(dir, mode, tag, b, p[1]);
	}
	close(p[1]);
	assert_int_equal(read(p[0], &x, 1), 1);
	close(p[0]);
	memset(&si, 0, sizeof(si));
	assert_int_equal(
	    waitid(P_PID, (id_t)pid, &si, WEXITED | (reap ? 0 : WNOWAIT)), 0);
	if (si.si_code != CLD_KILLED || si.si_status != SIGKILL)
		fail_msg("the region holder was not killed by its fault point "
			 "(code %d, status %d)",
			 si.si_code, si.si_status);
	return pid;
}

static void assert_recovery_hint(const char *err, const char *dir)
{
	if (strstr(err, "start retryd") == NULL ||
	    strstr(err, "db5.3_recover -h") == NULL || strstr(err, dir) == NULL)
		fail_msg("refusal without its next step: %s", err);
}

/*
 * Regression (make check, session 17: test_sigkill_then_recovery's JOIN
 * spun 16 minutes in __db_pthread_mutex_lock asking is_alive about the
 * killed writer). A process killed while it holds the environment region
 * mutex: Berkeley DB 5.3's open with DB_REGISTER | DB_FAILCHK attaches
 * before its failchk and, waiting on that mutex with no thread slot yet,
 * loops for ever (DB_RUNRECOVERY set, no break). Now JOIN and READ come
 * back with the next step (start retryd, db5.3_recover -h DIR), also
 * while the dead holder is a zombie (kill(pid, 0) still succeeds); the
 * daemon's open recovers: the committed batch is there, the open
 * transaction is not; after that JOIN works. Every open is bounded.
 */
static void test_dead_region_holder(void **state)
{
	char base[64], dir[80], err[1024];
	int status;
	long n;
	pid_t holder;

	(void)state;
	make_dirs(base, sizeof(base), dir, sizeof(dir));
	holder = die_holding_region(dir, STORE_OPEN_DAEMON, 'Z', 0, 0);

	if ((n = open_count(dir, STORE_OPEN_JOIN, err, sizeof(err))) >= 0)
		fail_msg("JOIN opened a store whose region mutex a dead "
			 "process holds (%ld messages)",
			 n);
	printf("# JOIN: %s\n", err);
	assert_recovery_hint(err, dir);
	if ((n = open_count(dir, STORE_OPEN_READ, err, sizeof(err))) >= 0)
		fail_msg("READ opened it (%ld messages)", n);
	printf("# READ: %s\n", err);
	assert_recovery_hint(err, dir);

	assert_int_equal(waitpid(holder, &status, 0), holder);
	assert_int_equal(open_count(dir, STORE_OPEN_DAEMON, err, sizeof(err)),
			 10);
	assert_int_equal(open_count(dir, STORE_OPEN_JOIN, err, sizeof(err)),
			 10);
	tmpdir_fx_remove(base);

	/* The make check case: the holder reaped before the JOIN. */
	make_dirs(base, sizeof(base), dir, sizeof(dir));
	die_holding_region(dir, STORE_OPEN_DAEMON, 'R', 0, 1);
	if ((n = open_count(dir, STORE_OPEN_JOIN, err, sizeof(err))) >= 0)
		fail_msg("JOIN opened it (%ld messages)", n);
	assert_recovery_hint(err, dir);
	assert_int_equal(open_count(dir, STORE_OPEN_DAEMON, err, sizeof(err)),
			 10);
	tmpdir_fx_remove(base);

	/* The daemon first: its recovery touches no mutex of the dead. */
	make_dirs(base, sizeof(base), dir, sizeof(dir));
	die_holding_region(dir, STORE_OPEN_DAEMON, 'S', 0, 1);
	assert_int_equal(open_count(dir, STORE_OPEN_DAEMON, err, sizeof(err)),
			 10);
	tmpdir_fx_remove(base);
}

/* Child: attach to @param dir (or not, @param dir NULL), report, wait. */
static void __attribute__((noreturn))
attached_child(const char *dir, int report)
{
	struct store *st = NULL;
	char err[1024];

	if (dir != NULL && store_open(dir, STORE_OPEN_DAEMON, 0, &st, err,
				      sizeof(err)) != STORE_OK)
		_exit(2);
	if (write(report, "a", 1) != 1)
		_exit(3);
	pause();
	_exit(0);
}

static pid_t start_attached(const char *dir)
{
	int p[2];
	char x;
	pid_t pid;

	assert_int_equal(pipe(p), 0);
	if ((pid = fork()) == 0) {
		close(p[0]);
		attached_child(dir, p[1]);
	}
	close(p[1]);
	assert_int_equal(read(p[0], &x, 1), 1);
	close(p[0]);
	return pid;
}

/*
 * The is-alive answer (store_alive.c): a process attached to the
 * environment is alive; a live process that is not attached (what a
 * reused pid looks like), a zombie and a reaped pid are not.
 */
static void test_alive_honest(void **state)
{
	char base[64], dir[80];
	siginfo_t si;
	struct store *st;
	int status;
	pid_t attached, stranger;

	(void)state;
	make_dirs(base, sizeof(base), dir, sizeof(dir));
	attached = start_attached(dir);
	stranger = start_attached(NULL);
	/* this process maps no region yet: "not mapped" cannot be checked */
	assert_int_equal(store_alive_pid(dir, stranger), 1);
	open_ok(dir, STORE_OPEN_JOIN, 0, &st);
	assert_int_equal(store_alive_pid(dir, getpid()), 1);
	assert_int_equal(store_alive_pid(dir, attached), 1);
	assert_int_equal(store_alive_pid(dir, stranger), 0);
	assert_int_equal(kill(attached, SIGKILL), 0);
	assert_int_equal(waitid(P_PID, (id_t)attached, &si, WEXITED | WNOWAIT),
			 0);
	assert_int_equal(kill(attached, 0), 0); /* a zombie answers */
	assert_int_equal(store_alive_pid(dir, attached), 0);
	assert_int_equal(waitpid(attached, &status, 0), attached);
	assert_int_equal(store_alive_pid(dir, attached), 0);
	assert_int_equal(kill(stranger, SIGKILL), 0);
	assert_int_equal(waitpid(stranger, &status, 0), stranger);
	store_close(st);
	tmpdir_fx_remove(base);
}

/*
 * The daemon's side: a running daemon (a child) when a retryctl dies in
 * failchk holding the region mutex and stays a zombie. The daemon's
 * failchk (the watchdog's) must come back, not spin on the zombie's
 * mutex: an error, the store panicked; close and open again recover it,
 * and both committed batches are there. Bounded by alarm.
 */
static void __attribute__((noreturn))
failchk_daemon_child(const char *dir, int ready, int go)
{
	struct store *st;
	char err[1024], x;
	unsigned freed;
	int rc;

	alarm(OPEN_BOUND_S);
	if (store_open(dir, STORE_OPEN_DAEMON, 0, &st, err, sizeof(err)) !=
		STORE_OK ||
	    write_batch(st, 'D', 0, err, sizeof(err)) != STORE_OK)
		_exit(10);
	if (write(ready, "d", 1) != 1 || read(go, &x, 1) != 1)
		_exit(11);
	rc = store_failchk(st, &freed, err, sizeof(err));
	fprintf(stderr, "# daemon failchk: %s\n", err);
	if (rc == STORE_OK || !store_needs_reopen(st))
		_exit(12);
	store_close(st);
	if (store_open(dir, STORE_OPEN_DAEMON, 0, &st, err, sizeof(err)) !=
	    STORE_OK) {
		fprintf(stderr, "daemon reopen: %s\n", err);
		_exit(13);
	}
	if (!check_batch(st, 'D', 0) || !check_batch(st, 'Y', 0) ||
	    count_all(st) != 20)
		_exit(14);
	store_close(st);
	_exit(0);
}

static void test_daemon_failchk_dead_region_holder(void **state)
{
	char base[64], dir[80];
	struct gated_child daemon;
	int status;
	pid_t holder;

	(void)state;
	make_dirs(base, sizeof(base), dir, sizeof(dir));
	gated_start(&daemon, dir, failchk_daemon_child);
	holder = die_holding_region(dir, STORE_OPEN_JOIN, 'Y', 0, 0);
	status = gated_finish(&daemon);
	if (WIFSIGNALED(status))
		fail_msg("the daemon's failchk hung (killed by signal %d)",
			 WTERMSIG(status));
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(waitpid(holder, &status, 0), holder);
	tmpdir_fx_remove(base);
}

static void test_join_creates_empty_store(void **state)
{
	char base[64], dir[80], err[1024];
	struct store *st;

	(void)state;
	make_dirs(base, sizeof(base), dir, sizeof(dir));
	open_ok(dir, STORE_OPEN_JOIN, 0, &st);
	assert_int_equal(count_all(st), 0);
	assert_int_equal(count_due(st), 0);
	store_close(st);
	open_ok(dir, STORE_OPEN_DAEMON, 0, &st);
	assert_int_equal(write_batch(st, 'J', 0, err, sizeof(err)), STORE_OK);
	store_close(st);
	tmpdir_fx_remove(base);

	/* A daemon and two retryctls opening a fresh directory at once. */
	for (int round = 0; round < 4; round++) {
		pid_t pids[3];
		int go[2], status;

		make_dirs(base, sizeof(base), dir, sizeof(dir));
		assert_int_equal(pipe(go), 0);
		for (int c = 0; c < 3; c++) {
			if ((pids[c] = fork()) == 0) {
				char x;
				enum store_open_mode mode =
				    c == round % 3 ? STORE_OPEN_DAEMON
						   : STORE_OPEN_JOIN;

				close(go[1]);
				if (read(go[0], &x, 1) != 0)
					_exit(5);
				if (store_open(dir, mode, 0, &st, err,
					       sizeof(err)) != STORE_OK) {
					fprintf(stderr, "child %d: %s\n", c,
						err);
					_exit(2);
				}
				if (mode == STORE_OPEN_DAEMON &&
				    write_batch(st, 'R', c, err, sizeof(err)) !=
					STORE_OK) {
					fprintf(stderr, "child %d: %s\n", c,
						err);
					_exit(3);
				}
				count_all(st);
				store_close(st);
				_exit(0);
			}
		}
		close(go[0]);
		close(go[1]); /* all start now */
		for (int c = 0; c < 3; c++) {
			assert_int_equal(waitpid(pids[c], &status, 0), pids[c]);
			assert_true(WIFEXITED(status));
			assert_int_equal(WEXITSTATUS(status), 0);
		}
		open_ok(dir, STORE_OPEN_JOIN, 0, &st);
		assert_int_equal(count_all(st), 10);
		store_close(st);
		tmpdir_fx_remove(base);
	}
}

/*
 * Regression (flaky make check): Berkeley DB creates __db.register empty
 * before locking it, and a JOIN that found it so was refused with
 * DB_RUNRECOVERY while the creator was still building the environment.
 * Now openers pass the environment's open one at a time (a flock on
 * state_dir): a JOIN waits while the gate is held, and an empty
 * __db.register (an opener died before registering) is a fresh store.
 */
static void test_join_waits_for_creator(void **state)
{
	char base[64], dir[80], path[112], err[1024], x;
	struct timespec nap = {0, 50 * 1000000L};
	struct store *st;
	int fd, gate, p[2], status;
	pid_t pid;

	(void)state;
	make_dirs(base, sizeof(base), dir, sizeof(dir));
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(path, sizeof(path), "%s/__db.register", dir);
	assert_true((fd = open(path, O_WRONLY | O_CREAT, 0600)) >= 0);
	close(fd);
	/* A creator half-way: the gate held, __db.register empty. */
	assert_true((gate = open(dir, O_RDONLY | O_DIRECTORY)) >= 0);
	assert_int_equal(flock(gate, LOCK_EX), 0);
	assert_int_equal(pipe(p), 0);
	if ((pid = fork()) == 0) {
		close(p[0]);
		close(gate);
		if (write(p[1], "j", 1) != 1)
			_exit(4);
		if (store_open(dir, STORE_OPEN_JOIN, 0, &st, err,
			       sizeof(err)) != STORE_OK) {
			fprintf(stderr, "join: %s\n", err);
			_exit(2);
		}
		_exit(count_all(st) == 0 ? 0 : 3);
	}
	close(p[1]);
	assert_int_equal(read(p[0], &x, 1), 1);
	close(p[0]);
	/* Ungated, the joiner would have built the environment (or been
	 * refused) by now: it must be waiting, having created nothing. */
	snprintf(path, sizeof(path), "%s/__db.001", dir);
	for (int i = 0; i < GATE_WATCH_NAPS; i++) {
		nanosleep(&nap, NULL);
		assert_int_equal(waitpid(pid, &status, WNOHANG), 0);
		assert_int_equal(access(path, F_OK), -1);
	}
	close(gate);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	tmpdir_fx_remove(base);
}

/*
 * Fill the file system holding @param path until ENOSPC, then give back
 * @param headroom bytes so that some writes still fit.
 */
static void fill_disk(const char *path, off_t headroom)
{
	static char block[65536];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	size_t sizes[] = {sizeof(block), 4096, 1};
	off_t size = 0;

	assert_true(fd >= 0);
	for (size_t k = 0; k < 3; k++)
		while (write(fd, block, sizes[k]) == (ssize_t)sizes[k])
			size += (off_t)sizes[k];
	assert_int_equal(errno, ENOSPC);
	if (headroom > 0)
		assert_int_equal(
		    ftruncate(fd, size > headroom ? size - headroom : 0), 0);
	close(fd);
}

/* One store on the tmpfs at base: fill, hit NOSPACE, free, recover. */
static void disk_full_round(const char *base, off_t headroom)
{
	char dir[80], filler[80], err[1024];
	struct store *st;
	int rc = STORE_OK, b, committed_b = -1, nospace = 0;

	snprintf(dir, sizeof(dir), "%s/state", base);
	snprintf(filler, sizeof(filler), "%s/filler", base);
	open_ok(dir, STORE_OPEN_DAEMON, 256 << 10, &st);
	for (b = 0; b < 5; b++)
		assert_int_equal(write_batch(st, 'A', b, err, sizeof(err)),
				 STORE_OK);
	fill_disk(filler, headroom);

	/* Write until the disk says no; every OK batch counts as kept. */
	for (b = 0; b < 5000; b++) {
		rc = write_batch(st, 'B', b, err, sizeof(err));
		if (rc == STORE_NOSPACE) {
			nospace = 1;
			break;
		}
		if (rc != STORE_OK)
			break;
		committed_b = b;
	}
	if (!nospace)
		fail_msg("no STORE_NOSPACE after %d batches: rc %d: %s", b, rc,
			 err);
	printf("# headroom %ld: disk full after %d batches: %s\n",
	       (long)headroom, committed_b + 1, err);
	assert_non_null(strstr(err, "disk full"));
	/* Again, and a checkpoint: still no crash. */
	rc = write_batch(st, 'B', committed_b + 1, err, sizeof(err));
	assert_true(rc == STORE_NOSPACE || rc == STORE_OK);
	if (rc == STORE_OK)
		committed_b++;
	rc = store_checkpoint(st, err, sizeof(err));
	assert_true(rc == STORE_NOSPACE || rc == STORE_OK);

	/* Free the space: the same handle works again. */
	assert_int_equal(unlink(filler), 0);
	for (b = 0; b < 5; b++) {
		rc = write_batch(st, 'C', b, err, sizeof(err));
		if (rc != STORE_OK)
			fail_msg("after freeing space: %s", err);
	}
	assert_int_equal(store_checkpoint(st, err, sizeof(err)), STORE_OK);
	store_close(st);

	/* Reopen with recovery: everything committed is there, intact. */
	open_ok(dir, STORE_OPEN_DAEMON, 256 << 10, &st);
	for (b = 0; b < 5; b++) {
		assert_batch_intact(st, 'A', b);
		assert_batch_intact(st, 'C', b);
	}
	for (b = 0; b <= committed_b; b++)
		assert_batch_intact(st, 'B', b);
	assert_int_equal(count_all(st), (size_t)(10 + committed_b + 1) * 10);
	assert_int_equal(count_due(st), count_all(st));
	store_close(st);
	tmpdir_fx_remove(dir);
}

static void test_disk_full(void **state)
{
	char base[64], dir[80];

	(void)state;
	make_dirs(base, sizeof(base), dir, sizeof(dir));
	if (mount("tmpfs", base, "tmpfs", 0,
		  "size=" STORE_PROC_TMPFS ",mode=0700") != 0) {
		rmdir(base);
		skip(); /* not root, or no right to mount here */
	}
	disk_full_round(base, 0);
	disk_full_round(base, 300 << 10);
	assert_int_equal(umount(base), 0);
	tmpdir_fx_remove(base);
}

/* Child: a store with a big cache on a full disk, written until NOSPACE. */
static void __attribute__((noreturn)) growth_child(const char *dir)
{
	char filler[96], err[1024];
	struct store *st;
	int rc = STORE_OK;

	signal(SIGBUS, SIG_DFL); /* die of it: the parent sees the signal */
	snprintf(filler, sizeof(filler), "%s/../filler", dir);
	if (store_open(dir, STORE_OPEN_DAEMON, GROWTH_CACHE, &st, err,
		       sizeof(err)) != STORE_OK) {
		fprintf(stderr, "growth: %s\n", err);
		_exit(2);
	}
	for (int b = 0; b < GROWTH_BATCHES && rc == STORE_OK; b++)
		rc = write_batch(st, 'G', b, err, sizeof(err));
	store_close(st);
	if (rc != STORE_OK)
		_exit(4);
	/* A fresh cache (small region), then a full disk, then reads: the
	 * pages read in make the cache region grow, with no log write. */
	if (store_open(dir, STORE_OPEN_DAEMON, GROWTH_CACHE, &st, err,
		       sizeof(err)) != STORE_OK)
		_exit(5);
	fill_disk(filler, 0);
	if (count_all(st) != GROWTH_BATCHES * 10)
		_exit(6);
	for (int b = 0; b < 5000 && rc == STORE_OK; b++)
		rc = write_batch(st, 'H', b, err, sizeof(err));
	store_close(st);
	_exit(rc == STORE_NOSPACE ? 0 : 3);
}

/*
 * Regression (issue 10: SIGBUS in __env_alloc <- __memp_alloc on a full
 * tmpfs): the cache region starts small and grows into its mapped file
 * as pages are read; on a full file system that page fault was SIGBUS.
 * Now the region files' blocks are reserved at open: the writer gets
 * STORE_NOSPACE, and after space returns recovery opens the store.
 */
static void test_disk_full_cache_growth(void **state)
{
	char base[64], dir[80], filler[96];
	struct store *st;
	int status;
	pid_t pid;

	(void)state;
	make_dirs(base, sizeof(base), dir, sizeof(dir));
	if (mount("tmpfs", base, "tmpfs", 0, "size=40m,mode=0700") != 0) {
		rmdir(base);
		skip();
	}
	if ((pid = fork()) == 0)
		growth_child(dir);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFSIGNALED(status))
		fail_msg("the writer died of signal %d on a full disk",
			 WTERMSIG(status));
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	snprintf(filler, sizeof(filler), "%s/filler", base);
	assert_int_equal(unlink(filler), 0);
	open_ok(dir, STORE_OPEN_DAEMON, GROWTH_CACHE, &st);
	store_close(st);
	assert_int_equal(umount(base), 0);
	tmpdir_fx_remove(base);
}

/*
 * A full disk must not stop a release (DESIGN.md promise 4: keep serving
 * release): giving held messages back changes records that exist, and
 * the log file's blocks are written whole when it is created
 * (DB_LOG_ZERO), so those commits need no new block. Records committed
 * on the full disk are there after space returns and recovery.
 */
static void test_disk_full_release(void **state)
{
	char base[64], dir[80], filler[96], err[1024];
	struct store *st;
	struct store_message *m;

	(void)state;
	make_dirs(base, sizeof(base), dir, sizeof(dir));
	if (mount("tmpfs", base, "tmpfs", 0,
		  "size=" STORE_PROC_TMPFS ",mode=0700") != 0) {
		rmdir(base);
		skip();
	}
	snprintf(filler, sizeof(filler), "%s/filler", base);
	open_ok(dir, STORE_OPEN_DAEMON, 1u << 20, &st);
	for (int b = 0; b < RELEASE_BATCHES; b++)
		assert_int_equal(write_batch(st, 'R', b, err, sizeof(err)),
				 STORE_OK);
	assert_int_equal(store_checkpoint(st, err, sizeof(err)), STORE_OK);
	fill_disk(filler, 0);
	for (int b = 0; b < RELEASE_BATCHES; b++)
		if (put_batch(st, 'R', b, STORE_MSG_GIVEBACK_INTENT, err,
			      sizeof(err)) != STORE_OK)
			fail_msg("release %d on a full disk: %s", b, err);
	store_close(st);
	assert_int_equal(unlink(filler), 0);
	open_ok(dir, STORE_OPEN_DAEMON, 1u << 20, &st);
	for (int b = 0; b < RELEASE_BATCHES; b++) {
		for (int i = 0; i < 10; i++) {
			char id[32];

			snprintf(id, sizeof(id), "R%06dM%d", b, i);
			assert_int_equal(store_get_message(st, NULL, "postfix",
							   id, &m, err,
							   sizeof(err)),
					 STORE_OK);
			assert_int_equal(m->state, STORE_MSG_GIVEBACK_INTENT);
			store_message_free(m);
		}
	}
	store_close(st);
	assert_int_equal(umount(base), 0);
	tmpdir_fx_remove(base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sigkill_then_recovery),
	    cmocka_unit_test(test_join_reader_beside_writer),
	    cmocka_unit_test(test_join_creates_empty_store),
	    cmocka_unit_test(test_join_waits_for_creator),
	    cmocka_unit_test(test_killed_reader_forces_reopen),
	    cmocka_unit_test(test_dead_region_holder),
	    cmocka_unit_test(test_daemon_failchk_dead_region_holder),
	    cmocka_unit_test(test_alive_honest),
	    cmocka_unit_test(test_disk_full),
	    cmocka_unit_test(test_disk_full_cache_growth),
	    cmocka_unit_test(test_disk_full_release),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
