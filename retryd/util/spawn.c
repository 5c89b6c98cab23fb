/*
 * NAME
 *	spawn 3
 * SUMMARY
 *	run an external command with a fixed argv, never a shell
 * SYNOPSIS
 *	#include "util/spawn.h"
 * DESCRIPTION
 *	spawn_run() creates three close-on-exec pipes, starts the child with
 *	posix_spawn(p) (the pipes dup'ed onto 0, 1 and 2 in the child only),
 *	then multiplexes with poll(): it writes the input, reads stdout and
 *	stderr into growing buffers (bounded by SPAWN_OUTPUT_MAX and
 *	SPAWN_ERROR_MAX; the excess is read and dropped so the child never
 *	blocks on a full pipe) and finally reaps the child. A deadline on
 *	the monotonic clock kills a child that runs too long.
 *
 *	spawn_run_all() keeps up to N children running from a list of
 *	argvs, started in order into N slots. Each slot has the child's
 *	stderr pipe (non-blocking on our side) and a pidfd; one poll()
 *	waits on all of them and on the nearest deadline, so a slot is
 *	refilled as soon as its child is reaped. Without pidfd (kernels
 *	before 5.3) waitpid(WNOHANG) is polled every millisecond. Only the
 *	batch's own pids are waited for (never waitpid(-1)).
 *
 *	Owns: the pipes and the children until spawn_run/spawn_run_all
 *	returns; the result buffers until spawn_result_free().
 * DIAGNOSTICS
 *	-1 with a message when the command cannot be started, a pipe fails,
 *	or the deadline passes (the child is then killed and reaped).
 *	spawn_run_all reports each command in its own spawn_status and
 *	fails as a whole (-1) only for a bad concurrency or no memory.
 * SECURITY
 *	No shell, no word splitting, no globbing. SIGPIPE from a child that
 *	stops reading is turned into EPIPE (MSG_NOSIGNAL is not available
 *	for pipes; SIGPIPE is blocked around the write).
 */
#include "util/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

struct spawn_buffer {
	char *data;
	size_t len;
	size_t cap;
	size_t max;
	int truncated;
};

static int64_t spawn_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Append up to max bytes; the rest is counted as truncated and dropped. */
static int spawn_buffer_add(struct spawn_buffer *b, const char *p, size_t n)
{
	size_t room = b->max - b->len;

	if (n > room) {
		b->truncated = 1;
		n = room;
	}
	if (n == 0)
		return 0;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *grown;

		while (cap < b->len + n + 1)
			cap *= 2;
		grown = realloc(b->data, cap);
		if (!grown)
			return -1;
		b->data = grown;
		b->cap = cap;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = 0;
	return 0;
}

/* Make sure a buffer is a valid (possibly empty) C string. */
static int spawn_buffer_finish(struct spawn_buffer *b)
{
	if (b->data)
		return 0;
	b->data = calloc(1, 1);
	return b->data ? 0 : -1;
}

static void spawn_close(int *fd)
{
	if (*fd >= 0) {
		close(*fd);
		*fd = -1;
	}
}

/* Wait for pid; on deadline expiry kill it. @return 0, or -1 on timeout. */
static int spawn_reap(pid_t pid, int64_t deadline, int *status)
{
	for (;;) {
		pid_t r = waitpid(pid, status, deadline ? WNOHANG : 0);

		if (r == pid)
			return 0;
		if (r < 0 && errno != EINTR)
			return 0;
		if (deadline && spawn_now_ms() >= deadline) {
			kill(pid, SIGKILL);
			while (waitpid(pid, status, 0) < 0 && errno == EINTR)
				;
			return -1;
		}
		if (r == 0) {
			struct timespec nap = {0, 2000000};
			nanosleep(&nap, NULL);
		}
	}
}

/*
 * posix_spawn(p) @param argv with @param fa. The child starts with no
 * signal blocked and default dispositions (the daemon blocks
 * SIGHUP/SIGTERM/SIGINT for its signalfd and ignores SIGPIPE).
 * @return 0 or an errno value.
 */
static int spawn_start(pid_t *pid, char *const argv[],
		       const posix_spawn_file_actions_t *fa)
{
	posix_spawnattr_t attr;
	sigset_t child_mask, child_def;
	int rc;

	posix_spawnattr_init(&attr);
	sigemptyset(&child_mask);
	sigemptyset(&child_def);
	sigaddset(&child_def, SIGHUP);
	sigaddset(&child_def, SIGTERM);
	sigaddset(&child_def, SIGINT);
	sigaddset(&child_def, SIGPIPE);
	posix_spawnattr_setsigmask(&attr, &child_mask);
	posix_spawnattr_setsigdefault(&attr, &child_def);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK |
					    POSIX_SPAWN_SETSIGDEF);
	rc = strchr(argv[0], '/')
		 ? posix_spawn(pid, argv[0], fa, &attr, argv, environ)
		 : posix_spawnp(pid, argv[0], fa, &attr, argv, environ);
	posix_spawnattr_destroy(&attr);
	return rc;
}

int spawn_run(char *const argv[], const char *input, size_t inputlen,
	      int timeout_ms, struct spawn_result *res, char *errbuf,
	      size_t errlen)
{
	int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1};
	struct spawn_buffer ob = {.max = SPAWN_OUTPUT_MAX};
	struct spawn_buffer eb = {.max = SPAWN_ERROR_MAX};
	posix_spawn_file_actions_t fa;
	int64_t deadline = timeout_ms > 0 ? spawn_now_ms() + timeout_ms : 0;
	size_t written = 0;
	int timed_out = 0, status = 0, rc;
	sigset_t pipe_set, old_set;
	pid_t pid;

	memset(res, 0, sizeof(*res));
	if (!argv || !argv[0]) {
		snprintf(errbuf, errlen, "spawn: empty argv");
		return -1;
	}
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 ||
	    pipe2(err, O_CLOEXEC) < 0) {
		snprintf(errbuf, errlen, "spawn %s: pipe: %s", argv[0],
			 strerror(errno));
		goto fail_pipes;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_adddup2(&fa, err[1], 2);
	rc = spawn_start(&pid, argv, &fa);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0) {
		snprintf(errbuf, errlen, "spawn %s: %s", argv[0], strerror(rc));
		goto fail_pipes;
	}
	spawn_close(&in[0]);
	spawn_close(&out[1]);
	spawn_close(&err[1]);
	if (!input || inputlen == 0)
		spawn_close(&in[1]);
	else
		fcntl(in[1], F_SETFL, fcntl(in[1], F_GETFL) | O_NONBLOCK);

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old_set);

	while (out[0] >= 0 || err[0] >= 0) {
		struct pollfd pfd[3];
		int nfd = 0, wait_ms = -1;
		char chunk[65536];

		if (deadline) {
			int64_t left = deadline - spawn_now_ms();
			if (left <= 0) {
				timed_out = 1;
				break;
			}
			wait_ms = (int)left;
		}
		if (in[1] >= 0)
			pfd[nfd++] = (struct pollfd){in[1], POLLOUT, 0};
		if (out[0] >= 0)
			pfd[nfd++] = (struct pollfd){out[0], POLLIN, 0};
		if (err[0] >= 0)
			pfd[nfd++] = (struct pollfd){err[0], POLLIN, 0};
		if (poll(pfd, nfd, wait_ms) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (int i = 0; i < nfd; i++) {
			if (!pfd[i].revents)
				continue;
			if (pfd[i].fd == in[1]) {
				ssize_t w = write(in[1], input + written,
						  inputlen - written);
				if (w > 0)
					written += (size_t)w;
				if ((w < 0 && errno != EAGAIN &&
				     errno != EINTR) ||
				    written == inputlen)
					spawn_close(&in[1]);
				continue;
			}
			ssize_t r = read(pfd[i].fd, chunk, sizeof(chunk));
			if (r < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (r <= 0) {
				if (pfd[i].fd == out[0])
					spawn_close(&out[0]);
				else
					spawn_close(&err[0]);
				continue;
			}
			if (spawn_buffer_add(pfd[i].fd == out[0] ? &ob : &eb,
					     chunk, (size_t)r) < 0)
				kill(pid, SIGKILL); /* out of memory */
		}
	}
	{
		/* Drop a pending SIGPIPE raised by our write, then restore. */
		struct timespec zero = {0, 0};
		sigset_t pending;
		sigpending(&pending);
		if (sigismember(&pending, SIGPIPE))
			sigtimedwait(&pipe_set, NULL, &zero);
		pthread_sigmask(SIG_SETMASK, &old_set, NULL);
	}
	spawn_close(&in[1]);
	spawn_close(&out[0]);
	spawn_close(&err[0]);
	if (timed_out) {
		kill(pid, SIGKILL);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	} else if (spawn_reap(pid, deadline, &status) < 0) {
		timed_out = 1;
	}
	if (spawn_buffer_finish(&ob) < 0 || spawn_buffer_finish(&eb) < 0) {
		free(ob.data);
		free(eb.data);
		snprintf(errbuf, errlen, "spawn %s: out of memory", argv[0]);
		return -1;
	}
	res->out = ob.data;
	res->outlen = ob.len;
	res->out_truncated = ob.truncated;
	res->err = eb.data;
	res->errlen = eb.len;
	if (WIFEXITED(status)) {
		res->exited = 1;
		res->exit_code = WEXITSTATUS(status);
	} else if (WIFSIGNALED(status)) {
		res->signal = WTERMSIG(status);
	}
	if (timed_out) {
		snprintf(errbuf, errlen,
			 "spawn %s: no answer within %d ms; killed", argv[0],
			 timeout_ms);
		return -1;
	}
	return 0;

fail_pipes:
	spawn_close(&in[0]);
	spawn_close(&in[1]);
	spawn_close(&out[0]);
	spawn_close(&out[1]);
	spawn_close(&err[0]);
	spawn_close(&err[1]);
	return -1;
}

/* ---- spawn_run_all: a batch with bounded concurrency ---- */

struct spawn_slot {
	int busy;
	size_t idx; /* the command (index into argvs and st) */
	pid_t pid;
	int errfd; /* stderr read end (non-blocking), -1 once closed */
	int pidfd; /* readable when the child exits; -1: none (old kernel) */
	int64_t deadline; /* 0: none */
};

int spawn_status_ok(const struct spawn_status *st)
{
	return st->end == SPAWN_EXITED && st->exit_code == 0;
}

/* A pollable handle on the child's exit, or -1 (then waitpid is polled). */
static int spawn_pidfd(pid_t pid)
{
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, pid, 0); /* close-on-exec */
#else
	(void)pid;
	return -1;
#endif
}

/* Keep what fits of a child's stderr; count the rest as truncated. */
static void spawn_status_add(struct spawn_status *st, const char *p, size_t n)
{
	size_t room = SPAWN_ALL_ERROR_MAX - st->errlen;

	if (n > room) {
		st->err_truncated = 1;
		n = room;
	}
	memcpy(st->err + st->errlen, p, n);
	st->errlen += n;
	st->err[st->errlen] = '\0';
}

/* Read what the pipe holds now; close it at end of file or error. */
static void spawn_slot_drain(struct spawn_slot *sl, struct spawn_status *st)
{
	char chunk[4096];

	while (sl->errfd >= 0) {
		ssize_t r = read(sl->errfd, chunk, sizeof(chunk));

		if (r > 0) {
			spawn_status_add(st, chunk, (size_t)r);
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN)
			return;
		spawn_close(&sl->errfd);
	}
}

/*
 * Start command @param argv into the free slot @param sl.
 * @return 0, or -1 with st marked SPAWN_START_FAILED.
 */
static int spawn_slot_start(struct spawn_slot *sl, size_t idx,
			    char *const argv[], int timeout_ms,
			    struct spawn_status *st)
{
	posix_spawn_file_actions_t fa;
	int errp[2] = {-1, -1}, rc;

	if (!argv || !argv[0]) {
		st->end = SPAWN_START_FAILED;
		snprintf(st->err, sizeof(st->err), "spawn: empty argv");
		st->errlen = strlen(st->err);
		return -1;
	}
	if (pipe2(errp, O_CLOEXEC) < 0) {
		st->end = SPAWN_START_FAILED;
		snprintf(st->err, sizeof(st->err), "spawn %s: pipe: %s",
			 argv[0], strerror(errno));
		st->errlen = strlen(st->err);
		return -1;
	}
	posix_spawn_file_actions_init(&fa);
	/* dup2 first: the pipe may sit on 0 or 1 when the caller closed them */
	posix_spawn_file_actions_adddup2(&fa, errp[1], 2);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	rc = spawn_start(&sl->pid, argv, &fa);
	posix_spawn_file_actions_destroy(&fa);
	close(errp[1]);
	if (rc != 0) {
		close(errp[0]);
		st->end = SPAWN_START_FAILED;
		snprintf(st->err, sizeof(st->err), "spawn %s: %s", argv[0],
			 strerror(rc));
		st->errlen = strlen(st->err);
		return -1;
	}
	/* non-blocking on our end only: the child's stderr stays blocking */
	fcntl(errp[0], F_SETFL, fcntl(errp[0], F_GETFL) | O_NONBLOCK);
	sl->busy = 1;
	sl->idx = idx;
	sl->errfd = errp[0];
	sl->pidfd = spawn_pidfd(sl->pid);
	sl->deadline = timeout_ms > 0 ? spawn_now_ms() + timeout_ms : 0;
	return 0;
}

/* Record how the slot's child ended (status from waitpid) and free it. */
static void spawn_slot_finish(struct spawn_slot *sl, struct spawn_status *st,
			      int status, enum spawn_end end)
{
	spawn_slot_drain(sl, st); /* what it wrote before it went */
	spawn_close(&sl->errfd);  /* even if a grandchild still holds it */
	spawn_close(&sl->pidfd);
	st->end = end;
	if (end == SPAWN_EXITED && WIFEXITED(status)) {
		st->exit_code = WEXITSTATUS(status);
	} else if (end == SPAWN_EXITED && WIFSIGNALED(status)) {
		st->end = SPAWN_SIGNALED;
		st->signal = WTERMSIG(status);
	}
	sl->busy = 0;
}

/*
 * Reap the slot's child if it ended, or kill it past its deadline.
 * @return 1 when the slot was freed, else 0.
 */
static int spawn_slot_check(struct spawn_slot *sl, struct spawn_status *st,
			    int64_t now)
{
	int status = 0;
	pid_t r;

	while ((r = waitpid(sl->pid, &status, WNOHANG)) < 0 && errno == EINTR)
		;
	if (r == sl->pid) {
		spawn_slot_finish(sl, st, status, SPAWN_EXITED);
		return 1;
	}
	if (r < 0) { /* ECHILD: someone else reaped it */
		spawn_slot_finish(sl, st, 0, SPAWN_LOST);
		return 1;
	}
	if (sl->deadline && now >= sl->deadline) {
		kill(sl->pid, SIGKILL);
		while (waitpid(sl->pid, &status, 0) < 0 && errno == EINTR)
			;
		spawn_slot_finish(sl, st, status, SPAWN_TIMED_OUT);
		return 1;
	}
	return 0;
}

int spawn_run_all(char **const argvs[], size_t n, unsigned concurrency,
		  int timeout_ms_each, int flags, struct spawn_status *st,
		  char *errbuf, size_t errlen)
{
	struct spawn_slot *slots;
	struct pollfd *pfd;
	size_t next = 0, running = 0;
	int stop = 0;

	if (concurrency < 1 || concurrency > SPAWN_ALL_CONCURRENCY_MAX) {
		snprintf(errbuf, errlen, "spawn: concurrency %u not in 1..%u",
			 concurrency, SPAWN_ALL_CONCURRENCY_MAX);
		return -1;
	}
	if (n > 0)
		memset(st, 0, n * sizeof(*st));
	slots = calloc(concurrency, sizeof(*slots));
	pfd = calloc(2 * (size_t)concurrency, sizeof(*pfd));
	if (!slots || !pfd) {
		free(slots);
		free(pfd);
		snprintf(errbuf, errlen, "spawn: out of memory");
		return -1;
	}
	for (;;) {
		int nfd = 0, wait_ms = -1;
		int64_t now;

		/* Fill every free slot; a command that cannot start does not
		 * take its slot, so try the next one in the same slot (else a
		 * round of failed starts would end the run early). */
		for (unsigned k = 0; k < concurrency && !stop && next < n;
		     k++) {
			if (slots[k].busy)
				continue;
			while (!stop && next < n) {
				size_t i = next++;

				if (spawn_slot_start(&slots[k], i, argvs[i],
						     timeout_ms_each,
						     &st[i]) == 0) {
					running++;
					break;
				}
				if (flags & SPAWN_ALL_STOP_ON_FAILURE)
					stop = 1;
			}
		}
		if (running == 0)
			break;
		now = spawn_now_ms();
		for (unsigned k = 0; k < concurrency; k++) {
			struct spawn_slot *sl = &slots[k];

			if (!sl->busy)
				continue;
			if (sl->errfd >= 0)
				pfd[nfd++] =
				    (struct pollfd){sl->errfd, POLLIN, 0};
			if (sl->pidfd >= 0)
				pfd[nfd++] =
				    (struct pollfd){sl->pidfd, POLLIN, 0};
			else if (wait_ms < 0 || wait_ms > 1)
				wait_ms = 1; /* no pidfd: poll waitpid */
			if (sl->deadline) {
				int64_t left = sl->deadline - now;
				if (left < 0)
					left = 0;
				if (wait_ms < 0 || left < wait_ms)
					wait_ms = (int)left;
			}
		}
		if (poll(pfd, (nfds_t)nfd, wait_ms) < 0 && errno != EINTR) {
			struct timespec nap = {0, 1000000};
			nanosleep(&nap, NULL); /* then check every child */
		}
		now = spawn_now_ms();
		for (unsigned k = 0; k < concurrency; k++) {
			struct spawn_slot *sl = &slots[k];
			struct spawn_status *s;

			if (!sl->busy)
				continue;
			s = &st[sl->idx];
			spawn_slot_drain(sl, s);
			if (!spawn_slot_check(sl, s, now))
				continue;
			running--;
			if ((flags & SPAWN_ALL_STOP_ON_FAILURE) &&
			    !spawn_status_ok(s))
				stop = 1;
		}
	}
	free(slots);
	free(pfd);
	return 0;
}

void spawn_result_free(struct spawn_result *res)
{
	if (!res)
		return;
	free(res->out);
	free(res->err);
	res->out = res->err = NULL;
}

/* Append src to a growing string; @return 0 or -1. */
static int spawn_word_append(char **word, size_t *len, const char *src,
			     size_t n)
{
	char *grown = realloc(*word, *len + n + 1);

	if (!grown)
		return -1;
	memcpy(grown + *len, src, n);
	*len += n;
	grown[*len] = 0;
	*word = grown;
	return 0;
}

static char *spawn_word_expand(const char *tmpl, const char *domain,
			       const char *resolver, const char *file)
{
	char *word = calloc(1, 1);
	size_t len = 0;

	for (const char *p = tmpl; word && *p; p++) {
		const char *val = NULL;
		int rc;

		if (*p == '%' && p[1]) {
			switch (p[1]) {
			case 'd':
				val = domain ? domain : "";
				break;
			case 'r':
				val = resolver ? resolver : "";
				break;
			case 'f':
				val = file ? file : "";
				break;
			case '%':
				val = "%";
				break;
			}
		}
		if (val) {
			rc = spawn_word_append(&word, &len, val, strlen(val));
			p++;
		} else {
			rc = spawn_word_append(&word, &len, p, 1);
		}
		if (rc < 0) {
			free(word);
			return NULL;
		}
	}
	return word;
}

char **spawn_argv_expand(char *const tmpl[], const char *domain,
			 const char *resolver, const char *file)
{
	size_t n = 0;
	char **argv;

	while (tmpl && tmpl[n])
		n++;
	argv = calloc(n + 1, sizeof(*argv));
	if (!argv)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		argv[i] = spawn_word_expand(tmpl[i], domain, resolver, file);
		/* a word made from data is never an option */
		if (argv[i] && i > 0 && argv[i][0] == '-' &&
		    tmpl[i][0] == '%') {
			free(argv[i]);
			argv[i] = NULL;
		}
		if (!argv[i]) {
			spawn_argv_free(argv);
			return NULL;
		}
	}
	return argv;
}

void spawn_argv_free(char **argv)
{
	if (!argv)
		return;
	for (size_t i = 0; argv[i]; i++)
		free(argv[i]);
	free(argv);
}
