/*
 * test_store_lock - one daemon per state_dir, and dead processes never
 * block the living (real processes, real Berkeley DB).
 *
 * - The daemon lock: a second taker is refused at once with the first
 *   one's pid ("state_dir X is in use by pid N"), and gets it once the
 *   first one is gone (even by SIGKILL); the pid is in the lock file.
 * - The writer lock: waited for (bounded); refused when it stays taken.
 * - A process SIGKILLed while attached with an open transaction holding
 *   write locks: a writer of the daemon blocked behind it is released by
 *   store_failchk() (the watchdog's call), commits, and the store is not
 *   panicked; without failchk it would wait for the lock timeout and
 *   fail (STORE_RETRY) for ever.
 * - store_cache_mb applies to an existing environment: made with 16 MB,
 *   opened by the daemon asking 4 MB, its regions are made again (the
 *   data stays); with a retryctl (JOIN) attached they stay as they are.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store/store.h"
#include "tmpdir_fx.h"

static void make_dir(char *base, size_t cap)
{
	snprintf(base, cap, "/tmp/test_store_lock.XXXXXX");
	assert_non_null(mkdtemp(base));
}

/* Fork a child that takes @param kind and signals on @param ready. */
static pid_t lock_child(const char *dir, enum store_lock_kind kind, int hold_ms)
{
	int p[2];
	pid_t pid;
	char x;

	assert_int_equal(pipe(p), 0);
	if ((pid = fork()) == 0) {
		char err[256];
		long holder;
		int fd;

		close(p[0]);
		if (store_lock(dir, kind, 0, &fd, &holder, err, sizeof(err)) !=
		    STORE_LOCK_OK)
			_exit(1);
		if (write(p[1], "l", 1) != 1)
			_exit(2);
		if (hold_ms < 0)
			for (;;)
				pause();
		usleep((useconds_t)hold_ms * 1000);
		_exit(0);
	}
	close(p[1]);
	assert_int_equal(read(p[0], &x, 1), 1);
	close(p[0]);
	return pid;
}

static void test_daemon_lock(void **state)
{
	char base[64], err[256], want[128], path[96], text[32];
	long holder = -1;
	int fd = -1, status;
	pid_t first;
	FILE *fp;

	(void)state;
	make_dir(base, sizeof(base));
	first = lock_child(base, STORE_LOCK_DAEMON, -1);
	assert_int_equal(store_lock(base, STORE_LOCK_DAEMON, 0, &fd, &holder,
				    err, sizeof(err)),
			 STORE_LOCK_BUSY);
	assert_int_equal(fd, -1);
	assert_int_equal(holder, (long)first);
	snprintf(want, sizeof(want), "state_dir %s is in use by pid %ld", base,
		 (long)first);
	assert_string_equal(err, want);
	snprintf(path, sizeof(path), "%s/retryd.lock", base);
	assert_non_null(fp = fopen(path, "r"));
	assert_non_null(fgets(text, sizeof(text), fp));
	fclose(fp);
	assert_int_equal(atol(text), (long)first);
	/* The writer lock is another byte: free. */
	assert_int_equal(store_lock(base, STORE_LOCK_WRITER, 0, &fd, &holder,
				    err, sizeof(err)),
			 STORE_LOCK_OK);
	store_unlock(fd);
	/* SIGKILL: the kernel drops the lock; no stale lock file. */
	kill(first, SIGKILL);
	assert_int_equal(waitpid(first, &status, 0), first);
	assert_int_equal(store_lock(base, STORE_LOCK_DAEMON, 0, &fd, &holder,
				    err, sizeof(err)),
			 STORE_LOCK_OK);
	store_unlock(fd);
	(void)tmpdir_fx_remove(base);
}

static void test_writer_lock_waits(void **state)
{
	char base[64], err[256];
	long holder;
	int fd, status;
	pid_t w;

	(void)state;
	make_dir(base, sizeof(base));
	/* Held for 300 ms: a 10 s wait gets it. */
	w = lock_child(base, STORE_LOCK_WRITER, 300);
	assert_int_equal(store_lock(base, STORE_LOCK_WRITER, 10000, &fd,
				    &holder, err, sizeof(err)),
			 STORE_LOCK_OK);
	store_unlock(fd);
	assert_int_equal(waitpid(w, &status, 0), w);
	/* Held for ever: a 200 ms wait is refused, naming the holder. */
	w = lock_child(base, STORE_LOCK_WRITER, -1);
	assert_int_equal(store_lock(base, STORE_LOCK_WRITER, 200, &fd, &holder,
				    err, sizeof(err)),
			 STORE_LOCK_BUSY);
	assert_int_equal(holder, (long)w);
	kill(w, SIGKILL);
	assert_int_equal(waitpid(w, &status, 0), w);
	(void)tmpdir_fx_remove(base);
}

static struct store_message *attach_msg(void)
{
	struct store_message *m = store_message_new(1);

	strcpy(m->mta, "postfix");
	strcpy(m->queue_id, "ABCDEF1234");
	strcpy(m->domain, "hotmail.test");
	strcpy(m->rcpts[0].address, "a@hotmail.test");
	m->rcpts[0].state = STORE_RCPT_PENDING;
	m->state = STORE_MSG_HELD;
	m->next_attempt = 1000;
	return m;
}

struct writer_arg {
	struct store *st;
	int rc;
	char err[512];
};

/* The daemon's writer: one transaction writing the message. */
static void *writer_thread(void *p)
{
	struct writer_arg *a = p;
	struct store_message *m = attach_msg();
	struct store_txn *txn;

	a->rc = store_txn_begin(a->st, &txn, a->err, sizeof(a->err));
	if (a->rc == STORE_OK) {
		a->rc =
		    store_put_message(a->st, txn, m, a->err, sizeof(a->err));
		if (a->rc == STORE_OK)
			a->rc = store_txn_commit(txn, a->err, sizeof(a->err));
		else
			store_txn_abort(txn);
	}
	store_message_free(m);
	return NULL;
}

static void test_failchk_frees_dead_writer(void **state)
{
	char base[64], dir[80], err[512], x;
	struct writer_arg a = {0};
	struct store *st;
	unsigned freed = 0;
	pthread_t th;
	int p[2], status;
	pid_t child;

	(void)state;
	make_dir(base, sizeof(base));
	snprintf(dir, sizeof(dir), "%s/state", base);
	assert_int_equal(
	    store_open(dir, STORE_OPEN_DAEMON, 0, &st, err, sizeof(err)),
	    STORE_OK);
	assert_int_equal(pipe(p), 0);
	if ((child = fork()) == 0) {
		struct store *cs;
		struct store_txn *txn;
		struct store_message *m = attach_msg();

		if (store_open(dir, STORE_OPEN_JOIN, 0, &cs, err,
			       sizeof(err)) != STORE_OK ||
		    store_txn_begin(cs, &txn, err, sizeof(err)) != STORE_OK ||
		    store_put_message(cs, txn, m, err, sizeof(err)) !=
			STORE_OK ||
		    write(p[1], "a", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(p[1]);
	assert_int_equal(read(p[0], &x, 1), 1);
	close(p[0]);
	/* The daemon's writer blocks on the child's write locks. */
	a.st = st;
	assert_int_equal(pthread_create(&th, NULL, writer_thread, &a), 0);
	usleep(200 * 1000);
	kill(child, SIGKILL);
	assert_int_equal(waitpid(child, &status, 0), child);
	/* The watchdog's call: aborts the dead transaction. */
	if (store_failchk(st, &freed, err, sizeof(err)) != STORE_OK)
		fail_msg("failchk: %s", err);
	assert_true(freed > 0);
	pthread_join(th, NULL);
	if (a.rc != STORE_OK)
		fail_msg("writer: rc %d: %s", a.rc, a.err);
	assert_false(store_needs_reopen(st));
	store_close(st);
	(void)tmpdir_fx_remove(base);
}

/* Bytes the region files hold on disk (store_region.c reserves each one
 * over its whole mapped length at open: the cache region by its size). */
static long long regions_bytes(const char *dir)
{
	char path[128];
	long long sum = 0;

	for (int i = 1; i <= 9; i++) {
		struct stat sb;

		snprintf(path, sizeof(path), "%s/__db.%03d", dir, i);
		if (stat(path, &sb) == 0)
			sum += (long long)sb.st_blocks * 512;
	}
	return sum;
}

static void test_cache_size_applies(void **state)
{
	char base[64], dir[80], err[512], x;
	struct store_message *m = attach_msg(), *got = NULL;
	struct store *st;
	long long big, small;
	int p[2], q[2], status;
	pid_t child;

	(void)state;
	make_dir(base, sizeof(base));
	snprintf(dir, sizeof(dir), "%s/state", base);
	assert_int_equal(store_open(dir, STORE_OPEN_DAEMON, 16u << 20, &st, err,
				    sizeof(err)),
			 STORE_OK);
	assert_int_equal(store_put_message(st, NULL, m, err, sizeof(err)),
			 STORE_OK);
	store_close(st);
	big = regions_bytes(dir);
	assert_true(big > 18ll << 20); /* 16 MB + Berkeley DB's overhead */
	/* an existing environment, another size asked: made again */
	assert_int_equal(
	    store_open(dir, STORE_OPEN_DAEMON, 4u << 20, &st, err, sizeof(err)),
	    STORE_OK);
	small = regions_bytes(dir);
	assert_true(small < big - (10ll << 20));
	assert_int_equal(store_get_message(st, NULL, m->mta, m->queue_id, &got,
					   err, sizeof(err)),
			 STORE_OK); /* the data stayed */
	store_message_free(got);
	store_close(st);
	/* a process attached: the regions stay as they are */
	assert_int_equal(pipe(p), 0);
	assert_int_equal(pipe(q), 0);
	if ((child = fork()) == 0) {
		struct store *cs;

		if (store_open(dir, STORE_OPEN_JOIN, 0, &cs, err,
			       sizeof(err)) != STORE_OK ||
		    write(p[1], "a", 1) != 1 || read(q[0], &x, 1) != 1)
			_exit(1);
		store_close(cs);
		_exit(0);
	}
	assert_int_equal(read(p[0], &x, 1), 1);
	assert_int_equal(store_open(dir, STORE_OPEN_DAEMON, 16u << 20, &st, err,
				    sizeof(err)),
			 STORE_OK);
	assert_true(regions_bytes(dir) == small);
	assert_int_equal(write(q[1], "x", 1), 1);
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	store_close(st);
	store_message_free(m);
	close(p[0]), close(p[1]), close(q[0]), close(q[1]);
	(void)tmpdir_fx_remove(base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_daemon_lock),
	    cmocka_unit_test(test_writer_lock_waits),
	    cmocka_unit_test(test_failchk_frees_dead_writer),
	    cmocka_unit_test(test_cache_size_applies),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
