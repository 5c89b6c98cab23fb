/*
 * test_plugin_pos - the outcome position of the real plugins (postfix.so
 * and exim.so, the ASan build's, dlopen()ed as retryd does) over a real
 * log file, as a parsing instance (the privilege-separated daemon's: the
 * log is opened through the host): the plugin saves no file any more;
 * outcomes() returns the position after what it read; seek() to an
 * earlier position reads the same outcomes again (what a restart after
 * a kill before the commit does); a position of another plugin or log
 * kind is refused; an old position file (an upgrade) is what tell()
 * gives at first, and the first seek() removes it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plugins/plugin.h"
#include "plugins/postfix_log.h"
#include "plugins/exim_log.h"
#include "tmpdir_fx.h"

struct fx {
	char dir[64], log[128], old[128];
	void *so;
	const struct mta_plugin *pl;
	struct mta_host host;
};

static int host_open(void *arg, enum mta_file which, const char *id, char *err,
		     size_t errlen)
{
	struct fx *f = arg;
	int fd;

	if (which != MTA_FILE_LOG) {
		errno = ENOENT;
		snprintf(err, errlen, "no rotated log here");
		return -1;
	}
	if ((fd = open(f->log, O_RDONLY | O_CLOEXEC)) < 0)
		snprintf(err, errlen, "%s: %s", f->log, strerror(errno));
	return fd;
}

static void append(struct fx *f, const char *text)
{
	FILE *fp = fopen(f->log, "a");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static struct fx *fx_new(const char *name, const char *oldname)
{
	struct fx *f = calloc(1, sizeof(*f));
	const char *b = getenv("RETRYD_ASAN_BUILD");
	char so[512];
	mta_plugin_entry_fn entry;

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_plugin_pos.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->log, sizeof(f->log), "%s/mainlog", f->dir);
	snprintf(f->old, sizeof(f->old), "%s/%s", f->dir, oldname);
	snprintf(so, sizeof(so), "%s/plugins/%s.so", b ? b : "build/asan",
		 name);
	f->so = dlopen(so, RTLD_NOW | RTLD_LOCAL);
	if (f->so == NULL)
		fail_msg("%s (make asan builds it)", dlerror());
	entry = (mta_plugin_entry_fn)dlsym(f->so, MTA_PLUGIN_SYMBOL);
	assert_non_null(entry);
	f->pl = entry();
	assert_int_equal(f->pl->abi, MTA_PLUGIN_ABI);
	assert_non_null(f->pl->outcomes_tell);
	assert_non_null(f->pl->outcomes_seek);
	f->host.arg = f;
	f->host.open_file = host_open;
	return f;
}

static void fx_free(struct fx *f)
{
	dlclose(f->so);
	assert_int_equal(tmpdir_fx_remove(f->dir), 0);
	free(f);
}

static void *fx_open(struct fx *f, const char *binary)
{
	struct mta_config cfg = {.binary = binary,
				 .log_file = f->log,
				 .state_dir = f->dir,
				 .host = &f->host};
	void *st = NULL;
	char err[512];

	if (f->pl->open(&cfg, &st, err, sizeof(err)) < 0)
		fail_msg("open: %s", err);
	return st;
}

static size_t fx_read(struct fx *f, void *st, struct mta_pos *pos,
		      char *first_id, size_t idlen)
{
	struct mta_outcomes out;
	char err[512];
	size_t n;

	memset(&out, 0, sizeof(out));
	if (f->pl->outcomes(st, NULL, 0, &out, err, sizeof(err)) < 0)
		fail_msg("outcomes: %s", err);
	n = out.n;
	if (first_id)
		snprintf(first_id, idlen, "%s", n ? out.items[0].queue_id : "");
	*pos = out.pos;
	assert_true(pos->len > 0);
	assert_int_equal(out.more, 0);
	f->pl->outcomes_free(&out);
	return n;
}

/* Both plugins, the same story: @param l1 and @param l2 are one outcome
 * line each, for @param id1 and @param id2. */
static void story(struct fx *f, const char *binary, const char *l1,
		  const char *id1, const char *l2, const char *id2,
		  const char *other_so_tag)
{
	struct mta_pos start, p1, p2, foreign;
	char id[64], err[512];
	void *st;

	/* an upgrade: the old file says "from the start of the log" */
	append(f, l1);
	st = fx_open(f, binary);
	/* only the log and the old file, untouched */
	assert_int_equal(tmpdir_fx_count(f->dir), 2);
	assert_int_equal(f->pl->outcomes_tell(st, &start, err, sizeof(err)), 0);
	assert_int_equal(f->pl->outcomes_seek(st, &start, err, sizeof(err)), 0);
	assert_int_equal(access(f->old, F_OK), -1); /* taken into the store */
	assert_int_equal(fx_read(f, st, &p1, id, sizeof(id)), 1);
	assert_string_equal(id, id1);
	assert_int_equal(tmpdir_fx_count(f->dir),
			 1); /* no position file written */
	append(f, l2);
	assert_int_equal(fx_read(f, st, &p2, id, sizeof(id)), 1);
	assert_string_equal(id, id2);
	/* killed before committing p2: back to p1, the same outcome again */
	assert_int_equal(f->pl->outcomes_seek(st, &p1, err, sizeof(err)), 0);
	assert_int_equal(fx_read(f, st, &p2, id, sizeof(id)), 1);
	assert_string_equal(id, id2);
	assert_int_equal(fx_read(f, st, &p2, NULL, 0), 0);
	/* another plugin's or a damaged position is refused, not misread */
	foreign = p1;
	memcpy(foreign.data, other_so_tag, 4);
	assert_int_equal(f->pl->outcomes_seek(st, &foreign, err, sizeof(err)),
			 -1);
	foreign = p1;
	foreign.len--;
	assert_int_equal(f->pl->outcomes_seek(st, &foreign, err, sizeof(err)),
			 -1);
	f->pl->close(st);
	/* no old file: a fresh open starts at the end of the log */
	st = fx_open(f, binary);
	assert_int_equal(f->pl->outcomes_tell(st, &start, err, sizeof(err)), 0);
	assert_int_equal(start.len, p2.len); /* tag, device, inode, offset: */
	assert_memory_equal(start.data, p2.data, 4 + 3 * 8);
	f->pl->close(st);
}

static void test_postfix(void **state)
{
	struct fx *f;
	struct postfix_log_pos old = {0};
	char err[256];

	(void)state;
	if (access("/usr/sbin/postqueue", X_OK) != 0)
		skip(); /* the plugin needs Postfix's commands at open */
	f = fx_new("postfix", "postfix-log.offset");
	append(f, "Dec  5 10:00:00 h postfix/master[1]: daemon started\n");
	assert_int_equal(
	    postfix_log_pos_end(f->log, NULL, &old, err, sizeof(err)), 0);
	assert_int_equal(postfix_log_pos_save(f->old, &old, err, sizeof(err)),
			 0);
	story(f, NULL,
	      "Dec  5 10:00:01 h postfix/smtp[9]: 4AB1C2D3E4F: "
	      "to=<u@x.test>, relay=mx[1.2.3.4]:25, delay=1, "
	      "delays=0/0/0/0, dsn=2.0.0, status=sent (ok)\n",
	      "4AB1C2D3E4F",
	      "Dec  5 10:00:02 h postfix/smtp[9]: 5BC2D3E4F5A: "
	      "to=<v@x.test>, relay=none, delay=1, delays=0/0/0/0, "
	      "dsn=4.4.3, status=deferred (no route)\n",
	      "5BC2D3E4F5A", "EXL1");
	fx_free(f);
}

static void test_exim(void **state)
{
	struct fx *f = fx_new("exim", "exim-log.cursor");
	struct exim_log_cursor old = {0};
	char err[256];

	(void)state;
	append(f, "2026-12-05 10:00:00 exim 4.96 daemon started\n");
	assert_int_equal(exim_log_cursor_end(f->log, &old, err, sizeof(err)),
			 0);
	assert_int_equal(exim_log_cursor_save(f->old, &old, err, sizeof(err)),
			 0);
	story(f, "/usr/sbin/exim4",
	      "2026-12-05 10:00:01 1xXVIy-0002DP-12 => good@ok.test "
	      "R=lab_route T=remote_smtp H=127.10.0.25 [127.10.0.25] "
	      "C=\"250 2.0.0 Ok\"\n",
	      "1xXVIy-0002DP-12",
	      "2026-12-05 10:00:02 1xXVJ2-0002Ea-21 == u1@hotmail.test "
	      "R=dnslookup defer (-1): host lookup did not complete\n",
	      "1xXVJ2-0002Ea-21", "PFL1");
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_postfix),
	    cmocka_unit_test(test_exim),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
