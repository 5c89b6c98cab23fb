/*
 * test_pass_domhold - the held-domains file Exim's hold_domains reads
 * (pass/pass_domhold.c).
 *
 * In a fresh temp directory (umask 077, as a daemon may run): open
 * creates a missing file empty, mode 0644 anyway (Exim must read it);
 * add writes the domains sorted and unique under the comment header and
 * rewrites nothing when all were held; a domain that is not strict LDH
 * is refused and changes nothing, in memory or in the file; a write that
 * fails (the file's directory removed) changes nothing in memory; open reads a file back (a restart
 * keeps holding), comments and blank lines skipped; a line that is not
 * a domain is refused with its line number; replace drops domains and
 * leaves the file alone when the set is the same; LIMIT_HELD_DOMAINS is
 * enforced; insert builds a set in memory only. The pass's use of it
 * (pass_domhold_glue.c): a file that cannot be opened is tried once per
 * pass, and opened in the next pass once it can be.
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

#include "pass/pass_domhold.h"
#include "pass/pass_int.h"
#include "policy/policy.h"
#include "tmpdir_fx.h"

static char dir[64];
static char path[256];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_pass_domhold.XXXXXX");
	umask(077);
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/held-domains", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	umask(022);
	return tmpdir_fx_remove(dir);
}

/* The file's domain lines joined by ' ' (comments and blanks left out). */
static void domains_of(char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	char line[512];

	assert_non_null(f);
	buf[0] = '\0';
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '\0' || line[0] == '#')
			continue;
		if (buf[0])
			strncat(buf, " ", len - strlen(buf) - 1);
		strncat(buf, line, len - strlen(buf) - 1);
	}
	fclose(f);
}

static void write_file(const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* @param h opened on a fresh file, then holding @param a. */
static void open_fresh(struct pass_domhold *h, const char *const *a, size_t n)
{
	char err[256];

	unlink(path);
	assert_int_equal(pass_domhold_open(h, path, err, sizeof(err)), 0);
	assert_int_equal(pass_domhold_add(h, a, n, err, sizeof(err)), 0);
}

static void test_open_creates_0644(void **state)
{
	struct pass_domhold h;
	struct stat st;
	char err[256], buf[512];

	(void)state;
	unlink(path);
	assert_int_equal(pass_domhold_open(&h, path, err, sizeof(err)), 0);
	assert_int_equal(h.n, 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	domains_of(buf, sizeof(buf));
	assert_string_equal(buf, "");
	pass_domhold_free(&h);
}

static void test_add_sorted_unique(void **state)
{
	struct pass_domhold h;
	const char *a[] = {"outlook.test", "hotmail.test", "outlook.test"};
	const char *b[] = {"hotmail.test"};
	const char *c[] = {"live.test", "Bad.Test"};
	const char *d[] = {"-x.test"};
	struct stat st1, st2;
	char err[256], buf[512];

	(void)state;
	open_fresh(&h, a, 3);
	assert_int_equal(h.n, 2);
	domains_of(buf, sizeof(buf));
	assert_string_equal(buf, "hotmail.test outlook.test");
	assert_true(pass_domhold_has(&h, "hotmail.test"));
	assert_false(pass_domhold_has(&h, "live.test"));
	/* all held already: the file is not rewritten (same inode) */
	assert_int_equal(stat(path, &st1), 0);
	assert_int_equal(pass_domhold_add(&h, b, 1, err, sizeof(err)), 0);
	assert_int_equal(stat(path, &st2), 0);
	assert_int_equal(st1.st_ino, st2.st_ino);
	/* not strict LDH (upper case, leading hyphen): nothing changes */
	assert_int_equal(pass_domhold_add(&h, c, 2, err, sizeof(err)), -1);
	assert_non_null(strstr(err, path));
	assert_int_equal(pass_domhold_add(&h, d, 1, err, sizeof(err)), -1);
	assert_int_equal(h.n, 2);
	assert_false(pass_domhold_has(&h, "live.test"));
	domains_of(buf, sizeof(buf));
	assert_string_equal(buf, "hotmail.test outlook.test");
	pass_domhold_free(&h);
}

static void test_write_fails_nothing_changes(void **state)
{
	struct pass_domhold h;
	const char *a[] = {"hotmail.test"};
	char err[256], sub[128];

	(void)state;
	snprintf(sub, sizeof(sub), "%s/sub", dir);
	assert_int_equal(mkdir(sub, 0755), 0);
	snprintf(path, sizeof(path), "%s/held", sub);
	assert_int_equal(pass_domhold_open(&h, path, err, sizeof(err)), 0);
	unlink(path);
	assert_int_equal(rmdir(sub), 0);
	assert_int_equal(pass_domhold_add(&h, a, 1, err, sizeof(err)), -1);
	assert_non_null(strstr(err, sub));
	assert_int_equal(h.n, 0);
	assert_false(pass_domhold_has(&h, "hotmail.test"));
	pass_domhold_free(&h);
	snprintf(path, sizeof(path), "%s/held-domains", dir);
}

static void test_open_reads_back(void **state)
{
	struct pass_domhold h;
	char err[256];

	(void)state;
	write_file("# a comment\n\nlive.test\nhotmail.test\nlive.test\n");
	assert_int_equal(pass_domhold_open(&h, path, err, sizeof(err)), 0);
	assert_int_equal(h.n, 2);
	assert_string_equal(h.names[0], "hotmail.test");
	assert_string_equal(h.names[1], "live.test");
	pass_domhold_free(&h);

	write_file("hotmail.test\n*.outlook.test\n");
	assert_int_equal(pass_domhold_open(&h, path, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "line 2"));
	assert_int_equal(h.n, 0);
	pass_domhold_free(&h);
}

static void test_replace(void **state)
{
	struct pass_domhold h, set;
	const char *a[] = {"a.test", "b.test", "c.test"};
	struct stat st1, st2;
	char err[256], buf[512];

	(void)state;
	open_fresh(&h, a, 3);
	memset(&set, 0, sizeof(set));
	assert_int_equal(pass_domhold_insert(&set, "c.test"), 0);
	assert_int_equal(pass_domhold_insert(&set, "a.test"), 0);
	assert_int_equal(pass_domhold_insert(&set, "a.test"), 0);
	assert_int_equal(pass_domhold_insert(&set, "Not LDH"), -1);
	assert_int_equal(set.n, 2);
	assert_int_equal(pass_domhold_replace(&h,
					      (const char *const *)set.names,
					      set.n, err, sizeof(err)),
			 0);
	domains_of(buf, sizeof(buf));
	assert_string_equal(buf, "a.test c.test");
	assert_false(pass_domhold_has(&h, "b.test"));
	/* the same set: the file is left alone */
	assert_int_equal(stat(path, &st1), 0);
	assert_int_equal(pass_domhold_replace(&h,
					      (const char *const *)set.names,
					      set.n, err, sizeof(err)),
			 0);
	assert_int_equal(stat(path, &st2), 0);
	assert_int_equal(st1.st_ino, st2.st_ino);
	/* empty: nothing held */
	assert_int_equal(pass_domhold_replace(&h, NULL, 0, err, sizeof(err)),
			 0);
	domains_of(buf, sizeof(buf));
	assert_string_equal(buf, "");
	assert_int_equal(h.n, 0);
	pass_domhold_free(&set);
	pass_domhold_free(&h);
}

static void test_limit(void **state)
{
	struct pass_domhold h;
	char err[256], name[32];
	const char *one[1] = {name};

	(void)state;
	unlink(path);
	assert_int_equal(pass_domhold_open(&h, path, err, sizeof(err)), 0);
	for (int i = 0; i < LIMIT_HELD_DOMAINS; i++) {
		snprintf(name, sizeof(name), "d%05d.test", i);
		assert_int_equal(pass_domhold_insert(&h, name), 0);
	}
	snprintf(name, sizeof(name), "over.test");
	assert_int_equal(pass_domhold_insert(&h, name), -1);
	assert_int_equal(pass_domhold_add(&h, one, 1, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "more than"));
	assert_int_equal(h.n, LIMIT_HELD_DOMAINS);
	pass_domhold_free(&h);
}

/* A file that cannot be opened (its directory is missing): one attempt
 * in a pass, whatever the number of messages that ask; the next pass
 * (its stats reset, as pass_run does) opens it once it can be. */
static void test_glue_open_fails_once_per_pass(void **state)
{
	struct pass_ctx ctx;
	struct policy *p;
	char ini[320], sub[128], err[512];
	FILE *f;

	(void)state;
	snprintf(ini, sizeof(ini), "%s/retryd.ini", dir);
	snprintf(sub, sizeof(sub), "%s/sub", dir);
	f = fopen(ini, "w");
	assert_non_null(f);
	fprintf(f,
		"[retryd]\nmta = exim\n\n[exim]\nheld_domains_file = "
		"%s/held-domains\n",
		sub);
	fclose(f);
	assert_int_equal(policy_load(ini, &p, err, sizeof(err)), 0);
	memset(&ctx, 0, sizeof(ctx));
	ctx.policy = p;
	assert_int_equal(pass_domhold_on(&ctx), 0);
	assert_int_equal(ctx.stats.domhold_unopened, 1);
	assert_int_equal(mkdir(sub, 0700), 0);
	/* the rest of this pass holds by freezing without trying again */
	assert_int_equal(pass_domhold_on(&ctx), 0);
	assert_int_equal(access(p->exim_held_domains_file, F_OK), -1);
	memset(&ctx.stats, 0, sizeof(ctx.stats)); /* the next pass */
	assert_int_equal(pass_domhold_on(&ctx), 1);
	assert_int_equal(access(p->exim_held_domains_file, F_OK), 0);
	assert_int_equal(ctx.stats.domhold_unopened, 0);
	pass_domhold_free(&ctx.domhold);
	policy_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_open_creates_0644),
	    cmocka_unit_test(test_add_sorted_unique),
	    cmocka_unit_test(test_write_fails_nothing_changes),
	    cmocka_unit_test(test_open_reads_back),
	    cmocka_unit_test(test_replace),
	    cmocka_unit_test(test_limit),
	    cmocka_unit_test(test_glue_open_fails_once_per_pass),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
