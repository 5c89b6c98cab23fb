/*
 * test_spawn - spawn_run and spawn_argv_expand against real commands.
 *
 * Runs /bin/cat, /bin/sh (as a program under test, never to interpret
 * our strings), printf and sleep; checks stdin feeding, output capture,
 * exit codes, signals, timeouts, and that placeholders never split words.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "../../retryd/spawn.h"

static void test_spawn_feeds_stdin_and_captures_stdout(void **state)
{
	char *argv[] = { "cat", NULL };
	struct spawn_result res;
	char err[256];
	size_t big = 3u << 20; /* larger than any pipe buffer */
	char *input = malloc(big);

	(void)state;
	for (size_t i = 0; i < big; i++)
		input[i] = (char)('a' + i % 26);
	assert_int_equal(spawn_run(argv, input, big, 10000, &res, err,
				   sizeof(err)), 0);
	assert_true(res.exited);
	assert_int_equal(res.exit_code, 0);
	assert_int_equal(res.outlen, big);
	assert_memory_equal(res.out, input, big);
	spawn_result_free(&res);
	free(input);
}

static void test_spawn_reports_exit_code_and_stderr(void **state)
{
	char *argv[] = { "/bin/sh", "-c", "echo oops >&2; exit 3", NULL };
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
	char *argv[] = { "/bin/sh", "-c", "kill -TERM $$", NULL };
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
	char *argv[] = { "sleep", "30", NULL };
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
	char *argv[] = { "/nonexistent/retryd-test-cmd", NULL };
	struct spawn_result res;
	char err[256];

	(void)state;
	assert_int_equal(spawn_run(argv, NULL, 0, 1000, &res, err, sizeof(err)),
			 -1);
	assert_non_null(strstr(err, "/nonexistent/retryd-test-cmd"));
}

static void test_spawn_child_not_reading_stdin(void **state)
{
	char *argv[] = { "true", NULL };
	struct spawn_result res;
	char err[256];
	size_t big = 1u << 20;
	char *input = calloc(1, big);

	(void)state;
	assert_int_equal(spawn_run(argv, input, big, 5000, &res, err,
				   sizeof(err)), 0);
	assert_true(res.exited);
	assert_int_equal(res.exit_code, 0);
	spawn_result_free(&res);
	free(input);
}

static void test_spawn_expand_never_splits(void **state)
{
	char *tmpl[] = { "printf", "%s|\\n", "%d", "at %r", "100%%", "%f",
			 NULL };
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spawn_feeds_stdin_and_captures_stdout),
		cmocka_unit_test(test_spawn_reports_exit_code_and_stderr),
		cmocka_unit_test(test_spawn_reports_signal),
		cmocka_unit_test(test_spawn_kills_past_deadline),
		cmocka_unit_test(test_spawn_missing_command),
		cmocka_unit_test(test_spawn_child_not_reading_stdin),
		cmocka_unit_test(test_spawn_expand_never_splits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
