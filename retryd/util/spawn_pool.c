/*
 * NAME
 *	spawn_pool 3
 * SUMMARY
 *	run commands (hooks) beside the caller: a bounded number at once,
 *	each in its own process group, waited for by exit, the whole group
 *	killed at the deadline, output captured with a cap
 * SYNOPSIS
 *	#include "util/spawn_pool.h"
 * DESCRIPTION
 *	spawn_pool_start() forks a child that makes itself a process group
 *	leader, resets its signal mask and dispositions, takes /dev/null as
 *	standard input and one pipe as standard output and error, switches
 *	to the configured user (setgroups, setgid, setuid: only a root
 *	caller can) and executes the argv with exactly the environment it
 *	is given (execve; a bare name is looked up in that environment's
 *	PATH). It returns at once: the caller goes on with its work.
 *
 *	spawn_pool_reap() polls the children's pidfds and pipes. A child is
 *	done when it EXITS, not when its pipe closes: a background process
 *	it left (`notify &`) keeps the pipe open but cannot hold us. When
 *	the leader has exited, what it wrote is drained and its whole
 *	process group is killed (SIGKILL), so nothing it started outlives
 *	it: no orphan. A child still running at its deadline has its whole
 *	group killed and is reaped. Output beyond out_max is read and
 *	dropped (the child never blocks on a full pipe); every buffer is
 *	freed once the end was reported, on every path. Only the pool's own
 *	pids are waited for (never waitpid(-1)).
 *
 *	Owns: the children, their pipes and buffers, until they are
 *	reported; spawn_pool_free() kills and reaps whatever still runs.
 * DIAGNOSTICS
 *	An exec that fails in the child ends it with 127 (not found) or 126
 *	(not executable, cannot switch user) and "spawn: ..." in its output.
 * SECURITY
 *	No shell; the environment is the caller's fixed list, nothing
 *	inherited; the descriptors are close-on-exec.
 */
#include "util/spawn_pool.h"
#include "util/monotime.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SPAWN_POOL_NOPIDFD_POLL_MS 10 /* waitpid polling without pidfd */
#define SPAWN_POOL_PWBUF	   16384

struct pool_child {
	pid_t pid;
	int pidfd; /* -1: none (old kernel): waitpid is polled */
	int outfd; /* -1 once closed */
	int64_t start, deadline;
	char *buf;
	size_t len, max;
	int truncated;
	int tag;
	char *label;
};

struct spawn_pool {
	struct pool_child *c;
	struct pollfd *pfd; /* 2 per child */
	unsigned max, n;
};

struct spawn_pool *spawn_pool_new(unsigned max)
{
	struct spawn_pool *p = calloc(1, sizeof(*p));

	if (p == NULL || max == 0)
		return free(p), NULL;
	p->c = calloc(max, sizeof(*p->c));
	p->pfd = calloc(2 * (size_t)max, sizeof(*p->pfd));
	if (p->c == NULL || p->pfd == NULL) {
		free(p->c);
		free(p->pfd);
		free(p);
		return NULL;
	}
	p->max = max;
	return p;
}

size_t spawn_pool_busy(const struct spawn_pool *p, int tag)
{
	size_t n = 0;

	for (unsigned i = 0; i < p->n; i++)
		if (tag < 0 || p->c[i].tag == tag)
			n++;
	return n;
}

/* In the child: a message on stderr (the pipe), then exit. */
static void __attribute__((noreturn))
pool_child_fail(const char *what, const char *name, int code)
{
	char msg[512];
	int n = snprintf(msg, sizeof(msg), "spawn: %s %s: %s\n", what, name,
			 strerror(errno));

	if (n > 0 && write(2, msg, (size_t)n) < 0)
		_exit(code);
	_exit(code);
}

/* In the child, between fork and exec: only simple system calls. */
static void __attribute__((noreturn))
pool_child_exec(char *const argv[], const struct spawn_pool_opts *o, int outw,
		const struct passwd *pw)
{
	char *const empty[] = {NULL};
	struct sigaction dfl;
	sigset_t none;
	int in;

	setpgid(0, 0);
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	for (int s = 1; s < NSIG; s++)
		sigaction(s, &dfl, NULL); /* EINVAL for KILL/STOP: fine */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if ((in = open("/dev/null", O_RDONLY)) < 0 || dup2(in, 0) < 0 ||
	    dup2(outw, 1) < 0 || dup2(outw, 2) < 0)
		_exit(126);
	if (pw != NULL && (setgroups(1, &pw->pw_gid) < 0 ||
			   setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0))
		pool_child_fail("cannot switch to user", pw->pw_name, 126);
	if (strchr(argv[0], '/'))
		execve(argv[0], argv, o->envp ? o->envp : empty);
	else
		execvpe(argv[0], argv, o->envp ? o->envp : empty);
	pool_child_fail("exec", argv[0], errno == ENOENT ? 127 : 126);
}

/* The user to switch to: @return 0 (pw filled), or -1 with err. */
static int pool_user(const char *user, struct passwd *pw, char *buf,
		     size_t buflen, char *err, size_t errlen)
{
	struct passwd *found = NULL;
	int rc = getpwnam_r(user, pw, buf, buflen, &found);

	if (found == NULL) {
		snprintf(err, errlen, "unknown user %.64s%s%s", user,
			 rc ? ": " : "", rc ? strerror(rc) : "");
		return -1;
	}
	return 0;
}

int spawn_pool_start(struct spawn_pool *p, char *const argv[],
		     const struct spawn_pool_opts *o, char *err, size_t errlen)
{
	struct passwd pwent, *pw = NULL;
	char *pwbuf = NULL;
	struct pool_child *c;
	int outp[2];
	pid_t pid;

	if (argv == NULL || argv[0] == NULL) {
		snprintf(err, errlen, "spawn: empty argv");
		return -1;
	}
	if (p->n == p->max)
		return 1;
	if (o->user != NULL) {
		if ((pwbuf = malloc(SPAWN_POOL_PWBUF)) == NULL ||
		    pool_user(o->user, &pwent, pwbuf, SPAWN_POOL_PWBUF, err,
			      errlen) < 0) {
			if (pwbuf == NULL)
				snprintf(err, errlen, "out of memory");
			free(pwbuf);
			return -1;
		}
		pw = &pwent;
	}
	if (pipe2(outp, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "spawn %s: pipe: %s", argv[0],
			 strerror(errno));
		free(pwbuf);
		return -1;
	}
	if ((pid = fork()) < 0) {
		snprintf(err, errlen, "spawn %s: fork: %s", argv[0],
			 strerror(errno));
		close(outp[0]);
		close(outp[1]);
		free(pwbuf);
		return -1;
	}
	if (pid == 0)
		pool_child_exec(argv, o, outp[1], pw);
	free(pwbuf);
	setpgid(pid, pid); /* also here: no race with a kill of the group */
	close(outp[1]);
	fcntl(outp[0], F_SETFL, fcntl(outp[0], F_GETFL) | O_NONBLOCK);
	c = &p->c[p->n++];
	memset(c, 0, sizeof(*c));
	c->pid = pid;
#ifdef SYS_pidfd_open
	c->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
#else
	c->pidfd = -1;
#endif
	c->outfd = outp[0];
	c->start = monotime_ms();
	c->deadline = o->timeout_ms > 0 ? c->start + o->timeout_ms : 0;
	c->max = o->out_max;
	c->tag = o->tag;
	c->label = strdup(o->label ? o->label : argv[0]);
	return 0;
}

/* Read what the pipe holds now (keep up to max); close it at EOF. */
static void pool_drain(struct pool_child *c)
{
	char chunk[16384];

	while (c->outfd >= 0) {
		ssize_t r = read(c->outfd, chunk, sizeof(chunk));
		size_t n, room;

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN)
			return;
		if (r <= 0) {
			close(c->outfd);
			c->outfd = -1;
			return;
		}
		n = (size_t)r;
		room = c->max - c->len;
		if (n > room) {
			c->truncated = 1;
			n = room;
		}
		if (n == 0)
			continue;
		if (c->buf == NULL && (c->buf = malloc(c->max + 1)) == NULL) {
			c->truncated = 1;
			continue;
		}
		memcpy(c->buf + c->len, chunk, n);
		c->len += n;
	}
}

/* Report child @param i as ended and free everything it had. */
static void pool_report(struct spawn_pool *p, unsigned i, enum spawn_end end,
			int status, spawn_pool_fn fn, void *arg)
{
	struct pool_child *c = &p->c[i];
	struct spawn_pool_end e;

	memset(&e, 0, sizeof(e));
	e.label = c->label ? c->label : "?";
	e.tag = c->tag;
	e.end = end;
	if (end == SPAWN_EXITED && WIFEXITED(status)) {
		e.exit_code = WEXITSTATUS(status);
	} else if (end == SPAWN_EXITED && WIFSIGNALED(status)) {
		e.end = SPAWN_SIGNALED;
		e.signal = WTERMSIG(status);
	}
	if (c->buf)
		c->buf[c->len] = '\0';
	e.out = c->buf ? c->buf : "";
	e.outlen = c->len;
	e.truncated = c->truncated;
	e.ms = (long)(monotime_ms() - c->start);
	if (fn)
		fn(&e, arg);
	if (c->outfd >= 0)
		close(c->outfd);
	if (c->pidfd >= 0)
		close(c->pidfd);
	free(c->buf);
	free(c->label);
	p->c[i] = p->c[--p->n];
}

/*
 * The leader exited (or must die): drain, kill the rest of its group,
 * report. @param kill_first: past the deadline, kill before reaping.
 */
static void pool_end(struct spawn_pool *p, unsigned i, int kill_first,
		     int status, spawn_pool_fn fn, void *arg)
{
	struct pool_child *c = &p->c[i];

	if (kill_first) {
		kill(-c->pid, SIGKILL);
		while (waitpid(c->pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	pool_drain(c);
	kill(-c->pid, SIGKILL); /* what it left behind: no orphan */
	pool_report(p, i, kill_first ? SPAWN_TIMED_OUT : SPAWN_EXITED, status,
		    fn, arg);
}

/* Check every child once: reap the exited, kill the late. */
static void pool_check(struct spawn_pool *p, spawn_pool_fn fn, void *arg)
{
	int64_t now = monotime_ms();

	for (unsigned i = 0; i < p->n;) {
		struct pool_child *c = &p->c[i];
		int status = 0;
		pid_t r;

		pool_drain(c);
		while ((r = waitpid(c->pid, &status, WNOHANG)) < 0 &&
		       errno == EINTR)
			;
		if (r == c->pid) {
			pool_end(p, i, 0, status, fn, arg);
		} else if (r < 0) {
			kill(-c->pid, SIGKILL);
			pool_report(p, i, SPAWN_LOST, 0, fn, arg);
		} else if (c->deadline && now >= c->deadline) {
			pool_end(p, i, 1, 0, fn, arg);
		} else {
			i++;
		}
	}
}

/* Wait at most @param wait_ms for any pipe or exit (or a deadline). */
static void pool_wait(struct spawn_pool *p, int64_t wait_ms)
{
	struct pollfd *pfd = p->pfd;
	int64_t now = monotime_ms();
	nfds_t n = 0;

	for (unsigned i = 0; i < p->n; i++) {
		struct pool_child *c = &p->c[i];

		if (c->outfd >= 0)
			pfd[n++] = (struct pollfd){c->outfd, POLLIN, 0};
		if (c->pidfd >= 0)
			pfd[n++] = (struct pollfd){c->pidfd, POLLIN, 0};
		else if (wait_ms > SPAWN_POOL_NOPIDFD_POLL_MS)
			wait_ms = SPAWN_POOL_NOPIDFD_POLL_MS;
		if (c->deadline && c->deadline - now < wait_ms)
			wait_ms = c->deadline > now ? c->deadline - now : 0;
	}
	if (poll(pfd, n, (int)wait_ms) < 0 && errno != EINTR) {
		struct timespec nap = {0, 1000000};
		nanosleep(&nap, NULL);
	}
}

void spawn_pool_reap(struct spawn_pool *p, int tag, int wait_ms,
		     spawn_pool_fn fn, void *arg)
{
	int64_t until = monotime_ms() + (wait_ms > 0 ? wait_ms : 0);

	for (;;) {
		int64_t left;

		pool_check(p, fn, arg);
		if (spawn_pool_busy(p, tag) == 0 ||
		    (left = until - monotime_ms()) <= 0)
			return;
		pool_wait(p, left);
	}
}

void spawn_pool_free(struct spawn_pool *p, spawn_pool_fn fn, void *arg)
{
	if (p == NULL)
		return;
	pool_check(p, fn, arg);
	while (p->n > 0)
		pool_end(p, 0, 1, 0, fn, arg);
	free(p->c);
	free(p->pfd);
	free(p);
}
