/*
 * NAME
 *	spawn 3
 * SUMMARY
 *	run an external command with a fixed argv, never a shell
 * SYNOPSIS
 *	#include "spawn.h"
 * DESCRIPTION
 *	spawn_run() creates three close-on-exec pipes, starts the child with
 *	posix_spawn(p) (the pipes dup'ed onto 0, 1 and 2 in the child only),
 *	then multiplexes with poll(): it writes the input, reads stdout and
 *	stderr into growing buffers (bounded by SPAWN_OUTPUT_MAX and
 *	SPAWN_ERROR_MAX; the excess is read and dropped so the child never
 *	blocks on a full pipe) and finally reaps the child. A deadline on
 *	the monotonic clock kills a child that runs too long.
 *
 *	Owns: the pipes and the child until spawn_run returns; the result
 *	buffers until spawn_result_free().
 * DIAGNOSTICS
 *	-1 with a message when the command cannot be started, a pipe fails,
 *	or the deadline passes (the child is then killed and reaped).
 * SECURITY
 *	No shell, no word splitting, no globbing. SIGPIPE from a child that
 *	stops reading is turned into EPIPE (MSG_NOSIGNAL is not available
 *	for pipes; SIGPIPE is blocked around the write).
 */
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
			struct timespec nap = { 0, 2000000 };
			nanosleep(&nap, NULL);
		}
	}
}

int spawn_run(char *const argv[], const char *input, size_t inputlen,
	      int timeout_ms, struct spawn_result *res, char *errbuf,
	      size_t errlen)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, err[2] = { -1, -1 };
	struct spawn_buffer ob = { .max = SPAWN_OUTPUT_MAX };
	struct spawn_buffer eb = { .max = SPAWN_ERROR_MAX };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t child_mask, child_def;
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
	/* The child starts with no signal blocked and default dispositions
	 * (the daemon blocks SIGHUP/SIGTERM/SIGINT for its signalfd). */
	posix_spawnattr_init(&attr);
	sigemptyset(&child_mask);
	sigemptyset(&child_def);
	sigaddset(&child_def, SIGHUP);
	sigaddset(&child_def, SIGTERM);
	sigaddset(&child_def, SIGINT);
	sigaddset(&child_def, SIGPIPE);
	posix_spawnattr_setsigmask(&attr, &child_mask);
	posix_spawnattr_setsigdefault(&attr, &child_def);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	rc = strchr(argv[0], '/')
		     ? posix_spawn(&pid, argv[0], &fa, &attr, argv, environ)
		     : posix_spawnp(&pid, argv[0], &fa, &attr, argv, environ);
	posix_spawnattr_destroy(&attr);
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
			pfd[nfd++] = (struct pollfd){ in[1], POLLOUT, 0 };
		if (out[0] >= 0)
			pfd[nfd++] = (struct pollfd){ out[0], POLLIN, 0 };
		if (err[0] >= 0)
			pfd[nfd++] = (struct pollfd){ err[0], POLLIN, 0 };
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
		struct timespec zero = { 0, 0 };
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
		snprintf(errbuf, errlen, "spawn %s: no answer within %d ms; killed",
			 argv[0], timeout_ms);
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
			case 'd': val = domain ? domain : ""; break;
			case 'r': val = resolver ? resolver : ""; break;
			case 'f': val = file ? file : ""; break;
			case '%': val = "%"; break;
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
