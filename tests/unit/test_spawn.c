/*
 * test_spawn - spawn_run and spawn_argv_expand against real commands.
 *
 * Runs /bin/cat, /bin/sh (as a program under test, never to interpret
 * our strings), printf and sleep; checks stdin feeding, output capture,
 * exit codes, signals, timeouts, and that placeholders never split words.
 * spawn_run_all: results in argv order whatever the finishing order, the
 * concurrency bound (children record their lifetimes, the overlap is
 * computed), deadlines, missing commands, stop on failure, stdin/stdout
 * on /dev/null, bounded stderr, the signal reset, 500 children with every
 * one reaped and no descriptor left open.
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
#include <sys/wait.h>
#include <unistd.h>

#include "util/spawn.h"
#include "tmpdir_fx.h"

static void test_spawn_feeds_stdin_and_captures_stdout(void **state)
{
	char *argv[] = {"cat", NULL};
	struct spawn_result res;
	char err[256];
	size_t big = 3u << 20; /* larger than any pipe buffer */
	char *input = malloc(big);

	(void)state;
	for (size_t i = 0; i < big; i++)
		input[i] = (char)('a' + i % 26);
	assert_int_equal(
	    spawn_run(argv, input, big, 10000, &res, err, sizeof(err)), 0);
	assert_true(res.exited);
	assert_int_equal(res.exit_code, 0);
	assert_int_equal(res.outlen, big);
	assert_memory_equal(res.out, input, big);
	spawn_result_free(&res);
	free(input);
}

static void test_spawn_reports_exit_code_and_stderr(void **state)
{
	char *argv[] = {"/bin/sh", "-c", "echo oops >&2; exit 3", NULL};
	struct spawn_result res;
	char err[256];

	(void)state;
	assert_int_equal(spawn_run(argv, NULL, 0, 5000, &res, err, sizeof(err)),
			 0);
	assert_true(res.exited);
	assert_int_equal(res.exit_code, 3);
	assert_string_equal(res.err, "oops\n");
	assert_string_equal(res.out, "");
	spawn_result_free(&res);
}

static void test_spawn_reports_signal(void **state)
{
	char *argv[] = {"/bin/sh", "-c", "kill -TERM $$", NULL};
	struct spawn_result res;
	char err[256];

	(void)state;
	assert_int_equal(spawn_run(argv, NULL, 0, 5000, &res, err, sizeof(err)),
			 0);
	assert_false(res.exited);
	assert_int_equal(res.signal, SIGTERM);
	spawn_result_free(&res);
}

static void test_spawn_kills_past_deadline(void **state)
{
	char *argv[] = {"sleep", "30", NULL};
	struct spawn_result res;
	char err[256];

	(void)state;
	assert_int_equal(spawn_run(argv, NULL, 0, 200, &res, err, sizeof(err)),
			 -1);
	assert_non_null(strstr(err, "no answer within 200 ms"));
	spawn_result_free(&res);
}

static void test_spawn_missing_command(void **state)
{
	char *argv[] = {"/nonexistent/retryd-test-cmd", NULL};
	struct spawn_result res;
	char err[256];

	(void)state;
	assert_int_equal(spawn_run(argv, NULL, 0, 1000, &res, err, sizeof(err)),
			 -1);
	assert_non_null(strstr(err, "/nonexistent/retryd-test-cmd"));
}

static void test_spawn_child_not_reading_stdin(void **state)
{
	char *argv[] = {"true", NULL};
	struct spawn_result res;
	char err[256];
	size_t big = 1u << 20;
	char *input = calloc(1, big);

	(void)state;
	assert_int_equal(
	    spawn_run(argv, input, big, 5000, &res, err, sizeof(err)), 0);
	assert_true(res.exited);
	assert_int_equal(res.exit_code, 0);
	spawn_result_free(&res);
	free(input);
}

static void test_spawn_expand_never_splits(void **state)
{
	char *tmpl[] = {"printf", "%s|\\n", "%d", "at %r", "100%%", "%f", NULL};
	char **argv;
	struct spawn_result res;
	char err[256];

	(void)state;
	argv = spawn_argv_expand(tmpl, "evil.test; rm -rf / $(id)",
				 "127.0.0.54:53", NULL);
	assert_non_null(argv);
	assert_string_equal(argv[2], "evil.test; rm -rf / $(id)");
	assert_string_equal(argv[3], "at 127.0.0.54:53");
	assert_string_equal(argv[4], "100%");
	assert_string_equal(argv[5], "");
	assert_null(argv[6]);
	assert_int_equal(spawn_run(argv, NULL, 0, 5000, &res, err, sizeof(err)),
			 0);
	assert_string_equal(res.out,
			    "evil.test; rm -rf / $(id)|\nat 127.0.0.54:53|\n"
			    "100%|\n|\n");
	spawn_result_free(&res);
	spawn_argv_free(argv);
}

/* ---- spawn_run_all ---- */

/* Open descriptors of this process (to prove none is left behind). */
static int count_fds(void)
{
	return (int)tmpdir_fx_count("/proc/self/fd") - 1; /* the DIR's own */
}

/* 1 when this process has no child left (every one reaped). */
static int no_children_left(void)
{
	return waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD;
}

/* A vector of n argvs built from one template: "%i" -> index. */
static char ***make_argvs(char *const tmpl[], size_t n)
{
	char ***v = calloc(n, sizeof(*v));
	size_t words = 0;

	while (tmpl[words])
		words++;
	assert_non_null(v);
	for (size_t i = 0; i < n; i++) {
		v[i] = calloc(words + 1, sizeof(**v));
		assert_non_null(v[i]);
		for (size_t w = 0; w < words; w++) {
			char buf[256];
			if (strcmp(tmpl[w], "%i") == 0)
				snprintf(buf, sizeof(buf), "%zu", i);
			else
				snprintf(buf, sizeof(buf), "%s", tmpl[w]);
			v[i][w] = strdup(buf);
		}
	}
	return v;
}

static void free_argvs(char ***v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		spawn_argv_free(v[i]);
	free(v);
}

static void test_all_results_in_argv_order(void **state)
{
	/* child i sleeps 100 + (12 - i) * 20 ms: later ones end first */
	char *tmpl[] = {"/bin/sh", "-c",
			"sleep 0.$(( 100 + (12 - $0) * 20 ))"
			"; echo \"child $0\" >&2; exit $(( $0 + 1 ))",
			"%i", NULL};
	size_t n = 12;
	char ***v = make_argvs(tmpl, n);
	struct spawn_status st[12];
	char err[256];

	(void)state;
	assert_int_equal(spawn_run_all(v, n, 4, 10000, 0, st, err, sizeof(err)),
			 0);
	for (size_t i = 0; i < n; i++) {
		char want[32];
		snprintf(want, sizeof(want), "child %zu\n", i);
		assert_int_equal(st[i].end, SPAWN_EXITED);
		assert_int_equal(st[i].exit_code, (int)i + 1);
		assert_string_equal(st[i].err, want);
		assert_int_equal(st[i].errlen, strlen(want));
		assert_false(spawn_status_ok(&st[i]));
	}
	assert_true(no_children_left());
	free_argvs(v, n);
}

/*
 * Each child writes "START STOP" (ns, taken inside the child) to its file;
 * the recorded interval lies within the child's life, so the largest
 * overlap of the intervals is at most the number of children alive.
 */
static int max_overlap(const char *dir, size_t n)
{
	long long start[64], stop[64];
	int best = 0;

	assert_true(n <= 64);
	for (size_t i = 0; i < n; i++) {
		char path[512];
		FILE *f;
		snprintf(path, sizeof(path), "%s/%zu", dir, i);
		f = fopen(path, "r");
		assert_non_null(f);
		assert_int_equal(fscanf(f, "%lld %lld", &start[i], &stop[i]),
				 2);
		fclose(f);
		unlink(path);
	}
	for (size_t i = 0; i < n; i++) { /* alive at start[i] */
		int alive = 0;
		for (size_t j = 0; j < n; j++)
			alive += start[j] <= start[i] && stop[j] >= start[i];
		if (alive > best)
			best = alive;
	}
	return best;
}

static void overlap_run(unsigned k, size_t n, int *seen)
{
	char dir[] = "/tmp/test_spawn.XXXXXX";
	char *tmpl[] = {"/bin/sh",
			"-c",
			"a=$(date +%s%N); sleep 0.15; b=$(date +%s%N); "
			"echo \"$a $b\" >\"$0/$1\"",
			dir,
			"%i",
			NULL};
	char ***v;
	struct spawn_status st[64];
	char err[256];

	assert_non_null(mkdtemp(dir));
	v = make_argvs(tmpl, n);
	assert_int_equal(spawn_run_all(v, n, k, 20000, 0, st, err, sizeof(err)),
			 0);
	for (size_t i = 0; i < n; i++)
		assert_true(spawn_status_ok(&st[i]));
	*seen = max_overlap(dir, n);
	rmdir(dir);
	free_argvs(v, n);
}

static void test_all_concurrency_bound(void **state)
{
	int seen;

	(void)state;
	overlap_run(1, 6, &seen);
	assert_int_equal(seen, 1); /* one at a time */
	overlap_run(3, 15, &seen);
	print_message("15 children, concurrency 3: at most %d alive at once\n",
		      seen);
	assert_in_range(seen, 2, 3); /* overlapped, never beyond 3 */
	overlap_run(8, 8, &seen);
	print_message("8 children, concurrency 8: %d alive at once\n", seen);
	assert_in_range(seen, 2, 8);
	assert_true(no_children_left());
}

static void test_all_kills_past_deadline(void **state)
{
	char *slow[] = {"sleep", "30", NULL};
	char *fast[] = {"true", NULL};
	char **v[] = {slow, fast, slow, fast};
	struct spawn_status st[4];
	char err[256];

	(void)state;
	assert_int_equal(spawn_run_all(v, 4, 2, 300, 0, st, err, sizeof(err)),
			 0);
	assert_int_equal(st[0].end, SPAWN_TIMED_OUT);
	assert_true(spawn_status_ok(&st[1]));
	assert_int_equal(st[2].end, SPAWN_TIMED_OUT);
	assert_true(spawn_status_ok(&st[3]));
	assert_false(spawn_status_ok(&st[0]));
	assert_true(no_children_left());
}

static void test_all_missing_command(void **state)
{
	char *ok[] = {"true", NULL};
	char *missing[] = {"/nonexistent/retryd-test-cmd", NULL};
	char *missing_path[] = {"retryd-no-such-cmd-in-path", NULL};
	char *empty[] = {NULL};
	char **v[] = {ok, missing, ok, missing_path, empty, ok};
	struct spawn_status st[6];
	char err[256];

	(void)state;
	assert_int_equal(spawn_run_all(v, 6, 2, 5000, 0, st, err, sizeof(err)),
			 0);
	assert_true(spawn_status_ok(&st[0]));
	assert_int_equal(st[1].end, SPAWN_START_FAILED);
	assert_non_null(strstr(st[1].err, "/nonexistent/retryd-test-cmd: "
					  "No such file or directory"));
	assert_true(spawn_status_ok(&st[2]));
	assert_int_equal(st[3].end, SPAWN_START_FAILED);
	assert_non_null(strstr(st[3].err, "retryd-no-such-cmd-in-path"));
	assert_int_equal(st[4].end, SPAWN_START_FAILED);
	assert_true(spawn_status_ok(&st[5]));
	assert_true(no_children_left());
}

/*
 * Regression: when every free slot's command failed to start in one
 * round while nothing else ran, the run ended and the rest never ran.
 * Concurrency 2 with the first two both unstartable triggers it always.
 */
static void test_all_failed_starts_do_not_end_the_run(void **state)
{
	char *ok[] = {"true", NULL};
	char *missing[] = {"/nonexistent/retryd-test-cmd", NULL};
	char *empty[] = {NULL};
	char **v[] = {missing, empty, missing, ok, ok};
	struct spawn_status st[5];
	char err[256];

	(void)state;
	assert_int_equal(spawn_run_all(v, 5, 2, 5000, 0, st, err, sizeof(err)),
			 0);
	assert_int_equal(st[0].end, SPAWN_START_FAILED);
	assert_int_equal(st[1].end, SPAWN_START_FAILED);
	assert_int_equal(st[2].end, SPAWN_START_FAILED);
	assert_true(spawn_status_ok(&st[3]));
	assert_true(spawn_status_ok(&st[4]));
	assert_true(no_children_left());
}

static void test_all_stop_on_failure(void **state)
{
	char *ok[] = {"true", NULL};
	char *bad[] = {"false", NULL};
	char *missing[] = {"/nonexistent/retryd-test-cmd", NULL};
	char **v1[] = {ok, bad, ok, ok};
	char **v2[] = {ok, missing, ok};
	struct spawn_status st[4];
	char err[256];

	(void)state;
	assert_int_equal(spawn_run_all(v1, 4, 1, 5000,
				       SPAWN_ALL_STOP_ON_FAILURE, st, err,
				       sizeof(err)),
			 0);
	assert_true(spawn_status_ok(&st[0]));
	assert_int_equal(st[1].end, SPAWN_EXITED);
	assert_int_equal(st[1].exit_code, 1);
	assert_int_equal(st[2].end, SPAWN_NOT_RUN);
	assert_int_equal(st[3].end, SPAWN_NOT_RUN);
	assert_int_equal(spawn_run_all(v2, 3, 1, 5000,
				       SPAWN_ALL_STOP_ON_FAILURE, st, err,
				       sizeof(err)),
			 0);
	assert_true(spawn_status_ok(&st[0]));
	assert_int_equal(st[1].end, SPAWN_START_FAILED);
	assert_int_equal(st[2].end, SPAWN_NOT_RUN);
	/* without the flag the rest still runs */
	assert_int_equal(spawn_run_all(v1, 4, 1, 5000, 0, st, err, sizeof(err)),
			 0);
	assert_int_equal(st[1].exit_code, 1);
	assert_true(spawn_status_ok(&st[2]));
	assert_true(spawn_status_ok(&st[3]));
}

static void test_all_stdio_and_bounded_stderr(void **state)
{
	char *fds[] = {
	    "/bin/sh", "-c",
	    "a=$(readlink /proc/$$/fd/0); b=$(readlink /proc/$$/fd/1)"
	    "; echo \"$a $b\" >&2; echo out",
	    NULL};
	/* 200 KB on stderr: more than a pipe holds, far more than kept */
	char *loud[] = {"/bin/sh", "-c",
			"head -c 204800 /dev/zero | tr '\\0' x >&2", NULL};
	char **v[] = {fds, loud};
	struct spawn_status st[2];
	char err[256];

	(void)state;
	assert_int_equal(spawn_run_all(v, 2, 2, 10000, 0, st, err, sizeof(err)),
			 0);
	assert_true(spawn_status_ok(&st[0]));
	assert_string_equal(st[0].err, "/dev/null /dev/null\n");
	assert_true(spawn_status_ok(&st[1]));
	assert_int_equal(st[1].errlen, SPAWN_ALL_ERROR_MAX);
	assert_true(st[1].err_truncated);
	assert_int_equal(strlen(st[1].err), SPAWN_ALL_ERROR_MAX);
	assert_int_equal(st[1].err[0], 'x');
}

static void test_all_signals_reset_in_child(void **state)
{
	/* the daemon blocks SIGTERM (signalfd); a child must not inherit it */
	char *term[] = {"/bin/sh", "-c", "kill -TERM $$; exit 7", NULL};
	char *killed[] = {"/bin/sh", "-c", "kill -KILL $$", NULL};
	char **v[] = {term, killed};
	struct spawn_status st[2];
	sigset_t set, old;
	char err[256];

	(void)state;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, &old);
	assert_int_equal(spawn_run_all(v, 2, 2, 5000, 0, st, err, sizeof(err)),
			 0);
	sigprocmask(SIG_SETMASK, &old, NULL);
	assert_int_equal(st[0].end, SPAWN_SIGNALED);
	assert_int_equal(st[0].signal, SIGTERM);
	assert_int_equal(st[1].end, SPAWN_SIGNALED);
	assert_int_equal(st[1].signal, SIGKILL);
}

static void test_all_bad_concurrency(void **state)
{
	char *ok[] = {"true", NULL};
	char **v[] = {ok};
	struct spawn_status st[1];
	char err[256];

	(void)state;
	assert_int_equal(spawn_run_all(v, 1, 0, 0, 0, st, err, sizeof(err)),
			 -1);
	assert_non_null(strstr(err, "concurrency 0 not in 1..64"));
	assert_int_equal(spawn_run_all(v, 1, SPAWN_ALL_CONCURRENCY_MAX + 1, 0,
				       0, st, err, sizeof(err)),
			 -1);
	assert_int_equal(spawn_run_all(v, 0, 4, 0, 0, NULL, err, sizeof(err)),
			 0); /* nothing to do */
}

static void test_all_500_children(void **state)
{
	char *tmpl[] = {"/bin/sh", "-c", "echo \"$0\" >&2; exit $(( $0 % 7 ))",
			"%i", NULL};
	size_t n = 500;
	char ***v = make_argvs(tmpl, n);
	struct spawn_status *st = calloc(n, sizeof(*st));
	int fds_before = count_fds();
	char err[256];

	(void)state;
	assert_non_null(st);
	assert_int_equal(
	    spawn_run_all(v, n, 16, 20000, 0, st, err, sizeof(err)), 0);
	for (size_t i = 0; i < n; i++) {
		char want[32];
		snprintf(want, sizeof(want), "%zu\n", i);
		assert_int_equal(st[i].end, SPAWN_EXITED);
		assert_int_equal(st[i].exit_code, (int)(i % 7));
		assert_string_equal(st[i].err, want);
	}
	assert_int_equal(count_fds(), fds_before);
	assert_true(no_children_left());
	free(st);
	free_argvs(v, n);
}

/* Issue 11: a word made from data never starts with '-'. */
static void test_expand_refuses_option_word(void **state)
{
	char *tmpl[] = {"/bin/echo", "%d", "--", NULL};
	char *fixed[] = {"/bin/echo", "-n", "x%d", NULL};
	char **argv;

	(void)state;
	assert_null(spawn_argv_expand(tmpl, "-evil.test", NULL, NULL));
	argv = spawn_argv_expand(tmpl, "good.test", NULL, NULL);
	assert_non_null(argv);
	assert_string_equal(argv[1], "good.test");
	spawn_argv_free(argv);
	/* a fixed option of the template stays; "x-evil" is not an option */
	argv = spawn_argv_expand(fixed, "-evil", NULL, NULL);
	assert_non_null(argv);
	assert_string_equal(argv[1], "-n");
	assert_string_equal(argv[2], "x-evil");
	spawn_argv_free(argv);
}

struct counted {
	size_t bytes, calls, stop_after;
};

static int count_out(void *arg, const char *p, size_t n)
{
	struct counted *c = arg;

	(void)p;
	c->bytes += n;
	c->calls++;
	return c->stop_after && c->bytes >= c->stop_after ? -1 : 0;
}

/* Streamed stdout has no SPAWN_OUTPUT_MAX: 70 MiB all told, none kept. */
static void test_stream_past_output_max(void **state)
{
	char *argv[] = {"head", "-c", "73400320", "/dev/zero", NULL};
	struct spawn_result r;
	struct counted c = {0};
	char err[256];
	(void)state;

	assert_int_equal(spawn_run_stream(argv, NULL, 0, 60000, count_out, &c,
					  &r, err, sizeof(err)),
			 0);
	assert_int_equal(r.exited, 1);
	assert_int_equal(r.exit_code, 0);
	assert_int_equal(c.bytes, 73400320);
	assert_true(c.bytes > SPAWN_OUTPUT_MAX);
	assert_int_equal(r.outlen, 0);
	assert_int_equal(r.out_truncated, 0);
	assert_int_equal(r.out_stopped, 0);
	spawn_result_free(&r);
}

/* The function says stop: the child is killed, not read to its end. */
static void test_stream_stop_kills(void **state)
{
	char *argv[] = {"cat", "/dev/zero", NULL};
	struct spawn_result r;
	struct counted c = {.stop_after = 1 << 20};
	char err[256];
	(void)state;

	assert_int_equal(spawn_run_stream(argv, NULL, 0, 60000, count_out, &c,
					  &r, err, sizeof(err)),
			 0);
	assert_int_equal(r.out_stopped, 1);
	assert_int_equal(r.signal, SIGKILL);
	assert_true(c.bytes >= (1u << 20));
	spawn_result_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_expand_refuses_option_word),
	    cmocka_unit_test(test_spawn_feeds_stdin_and_captures_stdout),
	    cmocka_unit_test(test_spawn_reports_exit_code_and_stderr),
	    cmocka_unit_test(test_spawn_reports_signal),
	    cmocka_unit_test(test_spawn_kills_past_deadline),
	    cmocka_unit_test(test_spawn_missing_command),
	    cmocka_unit_test(test_spawn_child_not_reading_stdin),
	    cmocka_unit_test(test_spawn_expand_never_splits),
	    cmocka_unit_test(test_all_results_in_argv_order),
	    cmocka_unit_test(test_all_concurrency_bound),
	    cmocka_unit_test(test_all_kills_past_deadline),
	    cmocka_unit_test(test_all_missing_command),
	    cmocka_unit_test(test_all_failed_starts_do_not_end_the_run),
	    cmocka_unit_test(test_all_stop_on_failure),
	    cmocka_unit_test(test_all_stdio_and_bounded_stderr),
	    cmocka_unit_test(test_all_signals_reset_in_child),
	    cmocka_unit_test(test_all_bad_concurrency),
	    cmocka_unit_test(test_all_500_children),
	    cmocka_unit_test(test_stream_past_output_max),
	    cmocka_unit_test(test_stream_stop_kills),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
