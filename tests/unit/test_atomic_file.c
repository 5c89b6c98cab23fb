/*
 * test_atomic_file - the one atomic writer (util/atomic_file.c).
 *
 * In a fresh temp directory: a write creates the file whole with the
 * mode asked (umask 0); a second write replaces it and leaves no temp
 * file; a symlink planted at the first temp name is neither followed nor
 * replaced (the next name is used); abort leaves the old file and no
 * temp; a write into a missing directory fails with the path named and
 * creates nothing; a symlink at the target is replaced, never followed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/atomic_file.h"
#include "tmpdir_fx.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_atomic_file.XXXXXX");
	umask(0);
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{

	(void)state;
	return tmpdir_fx_remove(dir);
}

static void slurp(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
}

static void test_write_replace_mode(void **state)
{
	char path[128], buf[64], err[256];
	struct stat st;

	(void)state;
	snprintf(path, sizeof(path), "%s/a", dir);
	assert_int_equal(
	    atomic_file_write(path, "one\n", 4, 0640, err, sizeof(err)), 0);
	slurp(path, buf, sizeof(buf));
	assert_string_equal(buf, "one\n");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(
	    atomic_file_write(path, "two\n", 4, 0600, err, sizeof(err)), 0);
	slurp(path, buf, sizeof(buf));
	assert_string_equal(buf, "two\n");
	assert_int_equal(tmpdir_fx_count(dir), 1);
	unlink(path);
}

/* The one reader of small state files: absent, read, too long. */
static void test_read(void **state)
{
	char path[128], buf[8], err[256];
	size_t len = 99;

	(void)state;
	snprintf(path, sizeof(path), "%s/r", dir);
	assert_int_equal(
	    atomic_file_read(path, buf, sizeof(buf), &len, err, sizeof(err)),
	    0);
	assert_int_equal(len, 0);
	assert_int_equal(
	    atomic_file_write(path, "1234567", 7, 0640, err, sizeof(err)), 0);
	assert_int_equal(
	    atomic_file_read(path, buf, sizeof(buf), &len, err, sizeof(err)),
	    1);
	assert_int_equal(len, 7);
	assert_string_equal(buf, "1234567");
	assert_int_equal(
	    atomic_file_write(path, "12345678", 8, 0640, err, sizeof(err)), 0);
	assert_int_equal(
	    atomic_file_read(path, buf, sizeof(buf), &len, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "longer than 7 bytes"));
	unlink(path);
}

static void test_planted_symlink_not_followed(void **state)
{
	char path[128], tmp0[160], victim[128], buf[64], err[256];
	struct stat st;

	(void)state;
	snprintf(path, sizeof(path), "%s/b", dir);
	snprintf(victim, sizeof(victim), "%s/victim", dir);
	snprintf(tmp0, sizeof(tmp0), "%s.tmp.%ld.0", path, (long)getpid());
	assert_int_equal(
	    atomic_file_write(victim, "keep", 4, 0600, err, sizeof(err)), 0);
	assert_int_equal(symlink(victim, tmp0), 0);
	assert_int_equal(
	    atomic_file_write(path, "new", 3, 0600, err, sizeof(err)), 0);
	slurp(victim, buf, sizeof(buf));
	assert_string_equal(buf, "keep");
	slurp(path, buf, sizeof(buf));
	assert_string_equal(buf, "new");
	assert_int_equal(lstat(tmp0, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	unlink(tmp0);
	unlink(victim);
	unlink(path);
}

static void test_symlink_target_replaced(void **state)
{
	char path[128], victim[128], buf[64], err[256];
	struct stat st;

	(void)state;
	snprintf(path, sizeof(path), "%s/c", dir);
	snprintf(victim, sizeof(victim), "%s/victim2", dir);
	assert_int_equal(
	    atomic_file_write(victim, "keep", 4, 0600, err, sizeof(err)), 0);
	assert_int_equal(symlink(victim, path), 0);
	assert_int_equal(
	    atomic_file_write(path, "new", 3, 0600, err, sizeof(err)), 0);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	slurp(victim, buf, sizeof(buf));
	assert_string_equal(buf, "keep");
	unlink(victim);
	unlink(path);
}

static void test_abort_and_failure(void **state)
{
	struct atomic_file af;
	char path[128], bad[128], buf[64], err[256];

	(void)state;
	snprintf(path, sizeof(path), "%s/d", dir);
	assert_int_equal(
	    atomic_file_write(path, "old", 3, 0600, err, sizeof(err)), 0);
	assert_int_equal(atomic_file_open(&af, path, 0600, err, sizeof(err)),
			 0);
	fputs("half", af.fp);
	atomic_file_abort(&af);
	slurp(path, buf, sizeof(buf));
	assert_string_equal(buf, "old");
	assert_int_equal(tmpdir_fx_count(dir), 1);
	snprintf(bad, sizeof(bad), "%s/missing/e", dir);
	assert_int_equal(atomic_file_write(bad, "x", 1, 0600, err, sizeof(err)),
			 -1);
	assert_non_null(strstr(err, "missing/e.tmp"));
	assert_int_equal(tmpdir_fx_count(dir), 1);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_write_replace_mode),
	    cmocka_unit_test(test_read),
	    cmocka_unit_test(test_planted_symlink_not_followed),
	    cmocka_unit_test(test_symlink_target_replaced),
	    cmocka_unit_test(test_abort_and_failure),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
