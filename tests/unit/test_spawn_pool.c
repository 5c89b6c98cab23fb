/*
 * test_spawn_pool - hooks that cannot hurt: real commands in a bounded
 * pool, each in its own process group.
 *
 * - A hook that leaves a background child (`sleep 30 &`): ends when the
 *   hook exits (not at the deadline), and the child is killed: no orphan.
 * - A never-ending hook (and its child): killed with its whole group at
 *   the deadline, reported TIMED_OUT once.
 * - A hook printing 10 MB: kept up to the cap, the rest read and dropped
 *   (it never blocks), exit 0, truncated.
 * - A hook that is not executable, or missing: exit 126 / 127 with the
 *   reason in its output, reported once.
 * - The environment is exactly the one given (nothing of ours); a user
 *   to run as (nobody) when we are root.
 * - The bound: a full pool starts nothing more; free() kills and reports
 *   what still runs. Every end is reported exactly once; ASan checks that
 *   every buffer is freed on every path.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/spawn_pool.h"

#define ENDS_MAX 16

struct ends {
	size_t n;
	struct {
		enum spawn_end end;
		int code, sig, truncated, tag;
		size_t outlen;
		long ms;
		char out[512];
	} e[ENDS_MAX];
};

static void record(const struct spawn_pool_end *e, void *arg)
{
	struct ends *r = arg;

	assert_true(r->n < ENDS_MAX);
	r->e[r->n].end = e->end;
	r->e[r->n].code = e->exit_code;
	r->e[r->n].sig = e->signal;
	r->e[r->n].truncated = e->truncated;
	r->e[r->n].tag = e->tag;
	r->e[r->n].outlen = e->outlen;
	r->e[r->n].ms = e->ms;
	snprintf(r->e[r->n].out, sizeof(r->e[0].out), "%s", e->out);
	r->n++;
}

static char *envp[] = {"PATH=/usr/bin:/bin", "LANG=C", "RETRYD_HOOK=test",
		       NULL};

static struct spawn_pool_opts opts(int timeout_ms, size_t out_max)
{
	struct spawn_pool_opts o = {.envp = envp,
				    .out_max = out_max,
				    .timeout_ms = timeout_ms,
				    .tag = 1,
				    .label = "test hook"};
	return o;
}

/* 1 when process @param pid is gone or a zombie (not running). */
static int gone(long pid)
{
	char path[64], buf[512], *p;
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if ((fp = fopen(path, "r")) == NULL)
		return 1;
	p = fgets(buf, sizeof(buf), fp);
	fclose(fp);
	if (p == NULL || (p = strrchr(buf, ')')) == NULL)
		return 1;
	return p[2] == 'Z' || p[2] == 'X';
}

static void test_background_child_no_orphan(void **state)
{
	char *argv[] = {"/bin/sh", "-c", "sleep 30 & echo $!", NULL};
	struct spawn_pool *p = spawn_pool_new(4);
	struct spawn_pool_opts o = opts(20000, 4096);
	struct ends r = {0};
	char err[256];
	long bg;

	(void)state;
	assert_int_equal(spawn_pool_start(p, argv, &o, err, sizeof(err)), 0);
	spawn_pool_reap(p, -1, 15000, record, &r);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.e[0].end, SPAWN_EXITED);
	assert_int_equal(r.e[0].code, 0);
	/* ended at the hook's exit, far from the 20 s deadline */
	assert_true(r.e[0].ms < 15000);
	bg = atol(r.e[0].out);
	assert_true(bg > 0);
	for (int i = 0; i < 100 && !gone(bg); i++)
		usleep(20000);
	assert_true(gone(bg));
	assert_int_equal(spawn_pool_busy(p, -1), 0);
	spawn_pool_free(p, record, &r);
	assert_int_equal(r.n, 1); /* reported once */
}

static void test_never_ending_group_killed(void **state)
{
	char *argv[] = {"/bin/sh", "-c", "sleep 1000 & echo $!; sleep 1000",
			NULL};
	struct spawn_pool *p = spawn_pool_new(4);
	struct spawn_pool_opts o = opts(300, 4096);
	struct ends r = {0};
	char err[256];
	long bg;

	(void)state;
	assert_int_equal(spawn_pool_start(p, argv, &o, err, sizeof(err)), 0);
	spawn_pool_reap(p, -1, 10000, record, &r);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.e[0].end, SPAWN_TIMED_OUT);
	bg = atol(r.e[0].out);
	assert_true(bg > 0);
	for (int i = 0; i < 100 && !gone(bg); i++)
		usleep(20000);
	assert_true(gone(bg));
	spawn_pool_free(p, record, &r);
	assert_int_equal(r.n, 1);
}

static void test_ten_megabytes_capped(void **state)
{
	char *argv[] = {
	    "/bin/sh", "-c",
	    "head -c 10000000 /dev/zero | tr '\\0' x; echo done >&2", NULL};
	struct spawn_pool *p = spawn_pool_new(4);
	struct spawn_pool_opts o = opts(20000, 4096);
	struct ends r = {0};
	char err[256];

	(void)state;
	assert_int_equal(spawn_pool_start(p, argv, &o, err, sizeof(err)), 0);
	spawn_pool_reap(p, -1, 20000, record, &r);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.e[0].end, SPAWN_EXITED);
	assert_int_equal(r.e[0].code, 0);
	assert_int_equal(r.e[0].outlen, 4096);
	assert_true(r.e[0].truncated);
	assert_int_equal(r.e[0].out[0], 'x');
	spawn_pool_free(p, NULL, NULL);
}

static void test_not_executable_and_missing(void **state)
{
	char path[] = "/tmp/test_spawn_pool.XXXXXX";
	char *argv1[] = {path, NULL};
	char *argv2[] = {"/nonexistent/retryd-hook", NULL};
	struct spawn_pool *p = spawn_pool_new(4);
	struct spawn_pool_opts o = opts(5000, 4096);
	struct ends r = {0};
	char err[256];
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "#!/bin/sh\necho hi\n", 18), 18);
	close(fd);
	chmod(path, 0644);
	assert_int_equal(spawn_pool_start(p, argv1, &o, err, sizeof(err)), 0);
	spawn_pool_reap(p, -1, 5000, record, &r);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.e[0].end, SPAWN_EXITED);
	assert_int_equal(r.e[0].code, 126);
	assert_non_null(strstr(r.e[0].out, "Permission denied"));
	assert_int_equal(spawn_pool_start(p, argv2, &o, err, sizeof(err)), 0);
	spawn_pool_reap(p, -1, 5000, record, &r);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.e[1].code, 127);
	assert_non_null(strstr(r.e[1].out, "/nonexistent/retryd-hook"));
	unlink(path);
	spawn_pool_free(p, NULL, NULL);
}

static void test_fixed_environment_and_user(void **state)
{
	char *argv[] = {"env", NULL};
	char *idu[] = {"id", "-u", NULL};
	struct spawn_pool *p = spawn_pool_new(4);
	struct spawn_pool_opts o = opts(5000, 4096);
	struct ends r = {0};
	char err[256];

	(void)state;
	setenv("RETRYD_TEST_SECRET", "leak", 1);
	assert_int_equal(spawn_pool_start(p, argv, &o, err, sizeof(err)), 0);
	spawn_pool_reap(p, -1, 5000, record, &r);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.e[0].out,
			    "PATH=/usr/bin:/bin\nLANG=C\nRETRYD_HOOK=test\n");
	o.user = "retryd-no-such-user";
	assert_int_equal(spawn_pool_start(p, idu, &o, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "unknown user"));
	if (geteuid() == 0) {
		o.user = "nobody";
		assert_int_equal(spawn_pool_start(p, idu, &o, err, sizeof(err)),
				 0);
		spawn_pool_reap(p, -1, 5000, record, &r);
		assert_int_equal(r.n, 2);
		assert_string_equal(r.e[1].out, "65534\n");
	}
	spawn_pool_free(p, NULL, NULL);
}

static void test_bound_and_free(void **state)
{
	char *argv[] = {"sleep", "1000", NULL};
	struct spawn_pool *p = spawn_pool_new(2);
	struct spawn_pool_opts o = opts(60000, 4096);
	struct ends r = {0};
	char err[256];

	(void)state;
	assert_int_equal(spawn_pool_start(p, argv, &o, err, sizeof(err)), 0);
	o.tag = 2;
	assert_int_equal(spawn_pool_start(p, argv, &o, err, sizeof(err)), 0);
	assert_int_equal(spawn_pool_start(p, argv, &o, err, sizeof(err)), 1);
	assert_int_equal(spawn_pool_busy(p, -1), 2);
	assert_int_equal(spawn_pool_busy(p, 1), 1);
	/* Waiting for tag 1 only: bounded by wait_ms, nothing ends. */
	spawn_pool_reap(p, 1, 100, record, &r);
	assert_int_equal(r.n, 0);
	spawn_pool_free(p, record, &r);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.e[0].end, SPAWN_TIMED_OUT);
	assert_int_equal(r.e[1].end, SPAWN_TIMED_OUT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_background_child_no_orphan),
	    cmocka_unit_test(test_never_ending_group_killed),
	    cmocka_unit_test(test_ten_megabytes_capped),
	    cmocka_unit_test(test_not_executable_and_missing),
	    cmocka_unit_test(test_fixed_environment_and_user),
	    cmocka_unit_test(test_bound_and_free),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
