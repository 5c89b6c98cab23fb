/*
 * test_priv - the privileged helper's protocol over a real socketpair.
 *
 * priv_serve() runs in a forked child around a recording fake plugin
 * (postfix-like ids: uppercase hex, 6..12). The test sends frames by hand
 * and through priv_client: good ids reach the plugin; malformed ids
 * ("ALL", "-x", too long, bad alphabet, no NUL in the slot), garbage
 * bytes, an oversized frame, a short frame, a wrong magic, a frame whose
 * size does not match its count, an unknown verb, an unknown hand-back and
 * a hook with a path or bad values are each refused with END -1, and the
 * plugin never sees them (it writes what it got to a pipe the test reads).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "priv/priv.h"
#include "pass/pass.h"

static int rec_fd = -1; /* the child's end of the record pipe */

static int fk_valid(const char *id)
{
	size_t n = strlen(id);

	if (n < 6 || n > 12)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((id[i] >= '0' && id[i] <= '9') ||
		      (id[i] >= 'A' && id[i] <= 'F')))
			return 0;
	return 1;
}

static int fk_act(const char *op, const char *const *ids, size_t n,
		  size_t *done)
{
	char line[64 * 1024];
	size_t used = (size_t)snprintf(line, sizeof(line), "%s", op);

	for (size_t i = 0; i < n && used < sizeof(line) - 40; i++)
		used += (size_t)snprintf(line + used, sizeof(line) - used,
					 " %s", ids[i]);
	line[used++] = '\n';
	if (write(rec_fd, line, used) < 0)
		return -1;
	*done = n;
	return 0;
}

static int fk_hold(void *s, const char *const *ids, size_t n, size_t *done,
		   char *err, size_t errlen)
{
	return fk_act("hold", ids, n, done);
}

static int fk_release(void *s, const char *const *ids, size_t n, size_t *done,
		      char *err, size_t errlen)
{
	return fk_act("release", ids, n, done);
}

static int fk_giveback(void *s, const char *const *ids, size_t n,
		       enum mta_giveback how, size_t *done, char *err,
		       size_t errlen)
{
	return fk_act("giveback", ids, n, done);
}

static int fk_scan(void *s, struct mta_listing *out, char *err, size_t errlen)
{
	static struct mta_rcpt r[70];
	static struct mta_message m[2];

	memset(out, 0, sizeof(*out));
	snprintf(m[0].queue_id, sizeof(m[0].queue_id), "ABC123");
	m[0].nrcpts = 70; /* more than one recipients frame */
	m[0].rcpts = r;
	for (size_t i = 0; i < 70; i++)
		snprintf(r[i].address, sizeof(r[i].address), "r%zu@x.test", i);
	snprintf(m[1].queue_id, sizeof(m[1].queue_id), "DEF456");
	m[1].held = 1;
	out->msgs = m;
	out->n = 2;
	out->complete = 1;
	return 0;
}

static void fk_listing_free(struct mta_listing *l)
{
}

static int fk_outcomes(void *s, const char *const *ids, size_t n,
		       struct mta_outcomes *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	return 0;
}

static void fk_outcomes_free(struct mta_outcomes *o)
{
}

#define FK_LIST_BYTES 100000 /* more than one frame */

static int fk_list_raw(void *s, struct mta_raw *raw, char *err, size_t errlen)
{
	memset(raw, 0, sizeof(*raw));
	raw->out = malloc(FK_LIST_BYTES + 1);
	raw->err = strdup("postqueue: warning: x");
	for (size_t i = 0; i < FK_LIST_BYTES; i++)
		raw->out[i] = (char)('a' + i % 26);
	raw->out[FK_LIST_BYTES] = '\0';
	raw->outlen = FK_LIST_BYTES;
	raw->exited = 1;
	raw->exit_code = 3;
	return 0;
}

/* A file whose content says what was asked ("log 4 ABC123"). */
static int fk_open_file(void *s, enum mta_file which, const char *id, char *err,
			size_t errlen)
{
	char line[64];
	int n = snprintf(line, sizeof(line), "log %d %s", (int)which,
			 id ? id : "-");
	FILE *fp = tmpfile();
	int fd;

	if (write(rec_fd, "open\n", 5) < 0 || fp == NULL)
		return -1;
	fwrite(line, 1, (size_t)n, fp);
	fflush(fp);
	fd = dup(fileno(fp));
	fclose(fp);
	lseek(fd, 0, SEEK_SET);
	return fd;
}

static const struct mta_plugin fk = {
    .abi = MTA_PLUGIN_ABI,
    .name = "fake",
    .valid_id = fk_valid,
    .scan = fk_scan,
    .listing_free = fk_listing_free,
    .hold = fk_hold,
    .deliver = fk_hold,
    .release = fk_release,
    .giveback = fk_giveback,
    .outcomes = fk_outcomes,
    .outcomes_free = fk_outcomes_free,
    .list_raw = fk_list_raw,
    .open_file = fk_open_file,
};

static int fk_hook(struct spawn_pool *pool, char *const tmpl[],
		   const char *user, const char *what, int tag,
		   const char *domain, const char *resolver, const char *file)
{
	char line[512];
	int n = snprintf(line, sizeof(line), "hook %s %s %s %s\n", what, domain,
			 resolver ? resolver : "-", file ? file : "-");

	return write(rec_fd, line, (size_t)n) < 0 ? -1 : 0;
}

struct fx {
	int fd;	 /* the daemon's end */
	int rec; /* what the plugin got */
	pid_t pid;
	struct priv_client *c;
};

static char *hook_tmpl[] = {"/bin/true", NULL};
/* The real runner's hooks (setup_real): a flush hook that takes 2 s and
 * then leaves a mark, an escalate hook that never ends. */
static char *slow_tmpl[] = {
    "/bin/sh", "-c", "sleep 2; : >/tmp/test_priv_hook.$1", "sh", "%d", NULL};
static char *endless_tmpl[] = {"/bin/sleep", "600", NULL};

static int setup_with(void **state, int real)
{
	static struct policy p;
	struct fx *f = calloc(1, sizeof(*f));
	int sv[2], pp[2];

	p.hook_flush_resolver = real ? slow_tmpl : hook_tmpl;
	p.hook_escalate = real ? endless_tmpl : hook_tmpl;
	p.state_dir = "/var/lib/retryd-test";
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) < 0 || pipe(pp) < 0)
		return -1;
	if ((f->pid = fork()) == 0) {
		struct priv_server s = {&fk,  NULL, &p,	 fk_hook,
					NULL, NULL, NULL};

		if (real) {
			s.hook = pass_hooks_begin;
			s.hook_end = pass_hooks_report;
		}

		close(sv[0]);
		close(pp[0]);
		rec_fd = pp[1];
		_exit(priv_serve(sv[1], &s) < 0 ? 1 : 0);
	}
	close(sv[1]);
	close(pp[1]);
	f->fd = sv[0];
	f->rec = pp[0];
	fcntl(f->rec, F_SETFL, O_NONBLOCK);
	f->c = priv_client_new(f->fd, &fk);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	int st;

	priv_client_free(f->c);
	close(f->fd);
	waitpid(f->pid, &st, 0);
	close(f->rec);
	free(f);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static int setup(void **state)
{
	return setup_with(state, 0);
}

static int setup_real(void **state)
{
	return setup_with(state, 1);
}

/* What the plugin recorded so far. */
static const char *recorded(struct fx *f)
{
	static char buf[8192];
	ssize_t n = read(f->rec, buf, sizeof(buf) - 1);

	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

/* Read one reply: @return END's status, err in @param why. */
static int end_of(struct fx *f, char *why)
{
	char *buf = malloc(PRIV_FRAME_MAX);
	const struct priv_hdr *h = (const void *)buf;
	struct priv_end e;
	ssize_t n = priv_recv(f->fd, buf);

	assert_true(n == (ssize_t)(sizeof(*h) + sizeof(e)));
	assert_int_equal(h->verb, PRIV_R_END);
	memcpy(&e, h + 1, sizeof(e));
	strcpy(why, e.err);
	free(buf);
	return e.status;
}

static int send_ids(struct fx *f, uint32_t verb, uint32_t arg,
		    const char *const *ids, size_t n, char *why)
{
	char slots[8][PRIV_ID_SLOT];

	memset(slots, 0, sizeof(slots));
	for (size_t i = 0; i < n; i++)
		strncpy(slots[i], ids[i], PRIV_ID_SLOT);
	assert_int_equal(
	    priv_send(f->fd, verb, arg, (uint32_t)n, slots, n * PRIV_ID_SLOT),
	    0);
	return end_of(f, why);
}

static void test_good_ids_reach_the_plugin(void **state)
{
	struct fx *f = *state;
	const char *ids[] = {"ABC123", "0123456789AB"};
	size_t done = 0;
	char err[256];

	assert_int_equal(f->c ? 0 : -1, 0);
	assert_int_equal(priv_client_vtable(f->c)->hold(f->c, ids, 2, &done,
							err, sizeof(err)),
			 0);
	assert_int_equal(done, 2);
	assert_string_equal(recorded(f), "hold ABC123 0123456789AB\n");
}

static void test_bad_ids_refused(void **state)
{
	struct fx *f = *state;
	const char *bad[] = {
	    "ALL",    "-x",	"ABCDEF0123456789ABCDEF0123456789",
	    "ABC12;", "abc123", "ABC 12",
	    ""};
	char why[PRIV_ERR_MAX];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *two[] = {"ABC123", bad[i]};

		assert_int_equal(send_ids(f, PRIV_HOLD, 0, two, 2, why), -1);
		assert_non_null(strstr(why, "bad queue id"));
	}
	/* An id filling its slot with no NUL. */
	{
		char slot[PRIV_ID_SLOT];

		memset(slot, 'A', sizeof(slot));
		assert_int_equal(
		    priv_send(f->fd, PRIV_RELEASE, 0, 1, slot, sizeof(slot)),
		    0);
		assert_int_equal(end_of(f, why), -1);
	}
	assert_string_equal(recorded(f), "");
}

static void test_bad_frames_refused(void **state)
{
	struct fx *f = *state;
	char *big = calloc(1, PRIV_FRAME_MAX + 4096);
	struct priv_hdr h = {PRIV_MAGIC, PRIV_HOLD, 0, 3};
	const char *one[] = {"ABC123"};
	char why[PRIV_ERR_MAX];

	/* garbage bytes */
	memset(big, 0xa5, 64);
	assert_true(send(f->fd, big, 64, 0) == 64);
	assert_int_equal(end_of(f, why), -1);
	/* a short frame */
	assert_true(send(f->fd, big, 3, 0) == 3);
	assert_int_equal(end_of(f, why), -1);
	assert_string_equal(why, "bad frame size");
	/* oversized: refused whole, never half read */
	memcpy(big, &h, sizeof(h));
	assert_true(send(f->fd, big, PRIV_FRAME_MAX + 4096, 0) ==
		    PRIV_FRAME_MAX + 4096);
	assert_int_equal(end_of(f, why), -1);
	assert_string_equal(why, "bad frame size");
	/* count and size disagree */
	memset(big + sizeof(h), 0, 2 * PRIV_ID_SLOT);
	strcpy(big + sizeof(h), "ABC123");
	assert_true(send(f->fd, big, sizeof(h) + 2 * PRIV_ID_SLOT, 0) > 0);
	assert_int_equal(end_of(f, why), -1);
	/* unknown verbs, an unknown hand-back */
	assert_int_equal(send_ids(f, 99, 0, one, 1, why), -1);
	assert_string_equal(why, "unknown verb");
	assert_int_equal(send_ids(f, 0, 0, one, 1, why), -1);
	assert_int_equal(send_ids(f, PRIV_GIVEBACK, 7, one, 1, why), -1);
	assert_string_equal(why, "unknown hand-back");
	/* no ids at all */
	assert_int_equal(send_ids(f, PRIV_DELIVER, 0, one, 0, why), -1);
	/* scan with a payload, reload without a reload function */
	assert_int_equal(send_ids(f, PRIV_SCAN, 0, one, 1, why), -1);
	assert_int_equal(send_ids(f, PRIV_RELOAD, 0, one, 0, why), -1);
	assert_string_equal(recorded(f), "");
	/* and the helper still serves */
	assert_int_equal(
	    send_ids(f, PRIV_GIVEBACK, MTA_GIVEBACK_BOUNCE, one, 1, why), 0);
	assert_string_equal(recorded(f), "giveback ABC123\n");
	free(big);
}

/*
 * The helper runs hooks beside (the real runner, pass_hooks_begin): it
 * answers once a hook started, not when it ended; the pass's wait for
 * its flush hooks is bounded and does not wait for other kinds; at most
 * LIMIT_HOOKS_RUNNING at once; what still runs is killed at EOF.
 */
static void test_hooks_beside(void **state)
{
	struct fx *f = *state;
	char err[PRIV_ERR_MAX], dom[64], mark[128];
	size_t running = 99;

	snprintf(dom, sizeof(dom), "t%ld.test", (long)getpid());
	snprintf(mark, sizeof(mark), "/tmp/test_priv_hook.%s", dom);
	unlink(mark);
	assert_int_equal(priv_client_hook(f->c, PRIV_HOOK_FLUSH, dom,
					  "127.0.0.1:53", NULL, err,
					  sizeof(err)),
			 0);
	/* answered while the hook still sleeps: it has left no mark */
	assert_int_equal(access(mark, F_OK), -1);
	assert_int_equal(priv_client_hook_wait(f->c, PRIV_HOOK_FLUSH, 10000,
					       &running, err, sizeof(err)),
			 0);
	assert_int_equal(running, 0);
	assert_int_equal(access(mark, F_OK), 0); /* it ended: waited for */
	unlink(mark);
	/* never-ending hooks up to the cap; one more is not started */
	for (int i = 0; i < LIMIT_HOOKS_RUNNING; i++)
		assert_int_equal(priv_client_hook(f->c, PRIV_HOOK_ESCALATE, dom,
						  NULL, "r.txt", err,
						  sizeof(err)),
				 0);
	assert_int_equal(priv_client_hook(f->c, PRIV_HOOK_ESCALATE, dom, NULL,
					  "r.txt", err, sizeof(err)),
			 -1);
	assert_string_equal(err, PRIV_HOOK_NOT_STARTED);
	/* the flush wait does not wait for escalate hooks */
	assert_int_equal(priv_client_hook_wait(f->c, PRIV_HOOK_FLUSH, 10000,
					       &running, err, sizeof(err)),
			 0);
	assert_int_equal(running, 0);
	assert_int_equal(
	    priv_client_hook_wait(f->c, 0, 100, &running, err, sizeof(err)), 0);
	assert_int_equal(running, LIMIT_HOOKS_RUNNING);
	/* and the helper still serves while they run */
	assert_int_equal(priv_client_hook(f->c, 9, "a.test", "1.2.3.4", NULL,
					  err, sizeof(err)),
			 -1);
}

static void test_hooks_checked(void **state)
{
	struct fx *f = *state;
	char err[PRIV_ERR_MAX];

	assert_int_equal(priv_client_hook(f->c, PRIV_HOOK_FLUSH, "msn.test",
					  "127.0.0.1:53", NULL, err,
					  sizeof(err)),
			 0);
	assert_int_equal(priv_client_hook(f->c, PRIV_HOOK_ESCALATE, "msn.test",
					  NULL, "report-msn.test-1.txt", err,
					  sizeof(err)),
			 0);
	assert_string_equal(recorded(f),
			    "hook flush_resolver msn.test 127.0.0.1:53 -\n"
			    "hook escalate msn.test - "
			    "/var/lib/retryd-test/reports/"
			    "report-msn.test-1.txt\n");
	assert_int_equal(priv_client_hook(f->c, PRIV_HOOK_ESCALATE, "msn.test",
					  NULL, "../../etc/shadow", err,
					  sizeof(err)),
			 -1);
	assert_int_equal(priv_client_hook(f->c, PRIV_HOOK_ESCALATE, "msn.test",
					  NULL, "/etc/shadow", err,
					  sizeof(err)),
			 -1);
	assert_int_equal(priv_client_hook(f->c, PRIV_HOOK_FLUSH, "-rf",
					  "127.0.0.1", NULL, err, sizeof(err)),
			 -1);
	assert_int_equal(priv_client_hook(f->c, PRIV_HOOK_FLUSH, "a.test",
					  "1.2.3.4; rm", NULL, err,
					  sizeof(err)),
			 -1);
	assert_int_equal(priv_client_hook(f->c, 9, "a.test", "1.2.3.4", NULL,
					  err, sizeof(err)),
			 -1);
	assert_string_equal(recorded(f), "");
}

static void test_scan_round_trip(void **state)
{
	struct fx *f = *state;
	const struct mta_plugin *vt = priv_client_vtable(f->c);
	struct mta_listing l;
	char err[256];

	assert_int_equal(vt->scan(f->c, &l, err, sizeof(err)), 0);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.complete, 1);
	assert_string_equal(l.msgs[0].queue_id, "ABC123");
	assert_int_equal(l.msgs[0].nrcpts, 70);
	assert_string_equal(l.msgs[0].rcpts[69].address, "r69@x.test");
	assert_int_equal(l.msgs[1].held, 1);
	vt->listing_free(&l);
}

/*
 * The primitives of a parsing instance: the listing's bytes come back
 * unread (over several frames, with stderr and how it ended); files are
 * opened by kind and passed as descriptors; a message log needs a valid
 * id; a kind out of range or a path-like payload is refused.
 */
static void test_list_and_open(void **state)
{
	struct fx *f = *state;
	const struct mta_host *host = priv_client_host(f->c);
	struct mta_raw raw;
	char err[256], buf[64], why[256];
	ssize_t n;
	int fd;

	assert_int_equal(host->list(host->arg, &raw, err, sizeof(err)), 0);
	assert_int_equal(raw.outlen, FK_LIST_BYTES);
	assert_int_equal(raw.out[FK_LIST_BYTES - 1],
			 'a' + (FK_LIST_BYTES - 1) % 26);
	assert_string_equal(raw.err, "postqueue: warning: x");
	assert_int_equal(raw.exited, 1);
	assert_int_equal(raw.exit_code, 3);
	mta_raw_free(&raw);

	fd = host->open_file(host->arg, MTA_FILE_LOG_1, NULL, err, sizeof(err));
	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	assert_string_equal(buf, "log 2 -");
	close(fd);
	fd = host->open_file(host->arg, MTA_FILE_MSGLOG, "ABC123", err,
			     sizeof(err));
	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	assert_string_equal(buf, "log 4 ABC123");
	close(fd);
	assert_string_equal(recorded(f), "open\nopen\n");

	assert_int_equal(host->open_file(host->arg, MTA_FILE_MSGLOG, "ALL", err,
					 sizeof(err)),
			 -1);
	assert_non_null(strstr(err, "bad queue id"));
	assert_int_equal(
	    host->open_file(host->arg, MTA_FILE_MSGLOG, NULL, err, sizeof(err)),
	    -1);
	assert_int_equal(host->open_file(host->arg, (enum mta_file)99, NULL,
					 err, sizeof(err)),
			 -1);
	assert_int_equal(
	    priv_send(f->fd, PRIV_OPEN, MTA_FILE_LOG, 1, "/etc/shadow", 12), 0);
	assert_int_equal(end_of(f, why), -1);
	assert_int_equal(priv_send(f->fd, PRIV_LIST, 0, 1, "x", 1), 0);
	assert_int_equal(end_of(f, why), -1);
	assert_string_equal(recorded(f), "");
}

/* Read what the fake opened for (@param which, @param spec) into buf. */
static const char *open_read(const struct mta_host *host, enum mta_file which,
			     const char *spec, char *buf, size_t len)
{
	char err[256];
	int fd = host->open_file(host->arg, which, spec, err, sizeof(err));
	ssize_t n;

	if (fd < 0)
		return NULL;
	n = read(fd, buf, len - 1);
	buf[n > 0 ? n : 0] = '\0';
	close(fd);
	return buf;
}

/*
 * The queue-directory kinds (Postfix discovery after a log gap): a spec
 * of hash characters and an id reaches the plugin unchanged; anything
 * path-like, too deep, or with a bad id is refused before the plugin
 * is asked.
 */
static void test_open_queue_files(void **state)
{
	struct fx *f = *state;
	const struct mta_host *host = priv_client_host(f->c);
	static const struct {
		enum mta_file which;
		const char *spec, *seen;
	} good[] = {
	    {MTA_FILE_QDIR_DEFERRED, NULL, "log 5 -"},
	    {MTA_FILE_QDIR_DEFERRED, "A", "log 5 A"},
	    {MTA_FILE_QDIR_DEFERRED, "a9Z", "log 5 a9Z"},
	    {MTA_FILE_DEFER_LOG, "F.ABC123", "log 6 F.ABC123"},
	    {MTA_FILE_DEFER_LOG, "ABC123", "log 6 ABC123"},
	};
	static const struct {
		enum mta_file which;
		const char *spec;
	} bad[] = {
	    {MTA_FILE_QDIR_DEFERRED, ".."},
	    {MTA_FILE_QDIR_DEFERRED, "A/B"},
	    {MTA_FILE_QDIR_DEFERRED, "ABCDE"},
	    {MTA_FILE_QDIR_DEFERRED, "-"},
	    {MTA_FILE_QDIR_DEFERRED, "A.B"},
	    {MTA_FILE_DEFER_LOG, ""},
	    {MTA_FILE_DEFER_LOG, ".ABC123"},
	    {MTA_FILE_DEFER_LOG, "A.ALL"},
	    {MTA_FILE_DEFER_LOG, "A/B.ABC123"},
	    {MTA_FILE_DEFER_LOG, "ABCDE.ABC123"},
	    {MTA_FILE_DEFER_LOG, "../ABC123"},
	    {MTA_FILE_DEFER_LOG, "A.ABC123/x"},
	    {MTA_FILE_DEFER_LOG, "ABC123XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"},
	    {MTA_FILE_DEFER_LOG, NULL}, /* a defer log needs its spec */
	};
	char buf[64], err[256], why[256];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_string_equal(open_read(host, good[i].which, good[i].spec,
					      buf, sizeof(buf)),
				    good[i].seen);
	assert_string_equal(recorded(f), "open\nopen\nopen\nopen\nopen\n");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(host->open_file(host->arg, bad[i].which,
						 bad[i].spec, err, sizeof(err)),
				 -1);
	/* two slots are one too many */
	{
		char two[2 * PRIV_ID_SLOT] = "A";

		assert_int_equal(priv_send(f->fd, PRIV_OPEN,
					   MTA_FILE_QDIR_DEFERRED, 2, two,
					   sizeof(two)),
				 0);
		assert_int_equal(end_of(f, why), -1);
	}
	assert_string_equal(recorded(f), "");
}

/* Run the classic BPF program on @param d (LD W ABS, JEQ, JGE, RET only). */
static uint32_t bpf_run(const struct sock_fprog *p,
			const struct seccomp_data *d)
{
	uint32_t a = 0;

	for (unsigned pc = 0; pc < p->len; pc++) {
		const struct sock_filter *f = &p->filter[pc];

		switch (f->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			assert_true(f->k + 4 <= sizeof(*d));
			memcpy(&a, (const char *)d + f->k, 4);
			break;
		case BPF_JMP | BPF_JEQ | BPF_K:
			pc += a == f->k ? f->jt : f->jf;
			break;
		case BPF_JMP | BPF_JGE | BPF_K:
			pc += a >= f->k ? f->jt : f->jf;
			break;
		case BPF_RET | BPF_K:
			return f->k;
		default:
			fail_msg("unexpected BPF op %#x", f->code);
		}
	}
	fail_msg("fell off the end of the filter");
	return 0;
}

/*
 * The filter checks the architecture before the number: an i386 execve
 * (11, made with int 0x80 on x86_64) or an x32 one kills the process;
 * the native execve and execveat get EPERM; getpid is allowed.
 */
static void test_seccomp_checks_arch_first(void **state)
{
	struct sock_fprog p;
	struct seccomp_data d;

	(void)state;
#if !defined(__x86_64__)
	skip();
#endif
	assert_int_equal(priv_seccomp_prog(&p), 0);
	memset(&d, 0, sizeof(d));
	d.arch = AUDIT_ARCH_X86_64;
	d.nr = SYS_getpid;
	assert_int_equal(bpf_run(&p, &d), SECCOMP_RET_ALLOW);
	d.nr = SYS_execve;
	assert_int_equal(bpf_run(&p, &d), SECCOMP_RET_ERRNO | EPERM);
	d.nr = SYS_execveat;
	assert_int_equal(bpf_run(&p, &d), SECCOMP_RET_ERRNO | EPERM);
	d.nr = 0x40000000u | 520; /* x32 execve */
	assert_int_equal(bpf_run(&p, &d), SECCOMP_RET_KILL_PROCESS);
	d.arch = AUDIT_ARCH_I386;
	d.nr = 11; /* i386 execve */
	assert_int_equal(bpf_run(&p, &d), SECCOMP_RET_KILL_PROCESS);
	d.nr = SYS_getpid;
	assert_int_equal(bpf_run(&p, &d), SECCOMP_RET_KILL_PROCESS);
}

/* In a real process: exec fails with EPERM, an x32 syscall is killed. */
static void test_seccomp_in_the_kernel(void **state)
{
	int status;
	pid_t pid;

	(void)state;
#if !defined(__x86_64__)
	skip();
#endif
	if ((pid = fork()) == 0) {
		char *argv[] = {"/bin/true", NULL};

		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
		    priv_seccomp_apply() < 0)
			_exit(10);
		execv(argv[0], argv);
		if (errno != EPERM)
			_exit(11);
		syscall(0x40000000L | SYS_getpid); /* x32: killed here */
		_exit(12);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGSYS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_good_ids_reach_the_plugin,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_ids_refused, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_bad_frames_refused, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_hooks_beside, setup_real,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_hooks_checked, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_scan_round_trip, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_open_queue_files, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_list_and_open, setup,
					    teardown),
	    cmocka_unit_test(test_seccomp_checks_arch_first),
	    cmocka_unit_test(test_seccomp_in_the_kernel),
	};
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
