/*
 * NAME
 *	spawn 3
 * SUMMARY
 *	run an external command with a fixed argv, never a shell
 * SYNOPSIS
 *	#include "util/spawn.h"
#include "util/spawn_int.h"
 * DESCRIPTION
 *	spawn_run() runs one MTA command in four named steps: start (three
 *	close-on-exec pipes, posix_spawn(p) with the pipes dup'ed onto 0, 1
 *	and 2 in the child only), io (poll(): write the input, read stdout
 *	and stderr into growing buffers bounded by SPAWN_OUTPUT_MAX and
 *	SPAWN_ERROR_MAX; the excess is read and dropped so the child never
 *	blocks on a full pipe), reap (a deadline on the monotonic clock
 *	kills a child that runs too long) and result (the buffers handed
 *	over, or freed on every failing path).
 *	spawn_run_stream() is the same with standard output handed to a
 *	function chunk by chunk as it arrives (nothing of it kept: no
 *	bound, the listing of a queue of any size).
 *
 *	spawn_all.c runs batches (spawn_run_all); spawn_pool.c runs hooks
 *	beside the caller, each in its own process group.
 *
 *	Owns: the pipes and the child until spawn_run returns; the result
 *	buffers until spawn_result_free().
 * DIAGNOSTICS
 *	-1 with a message when the command cannot be started, a pipe fails,
 *	or the deadline passes (the child is then killed and reaped, and
 *	nothing is left for the caller to free).
 * SECURITY
 *	No shell, no word splitting, no globbing. SIGPIPE from a child that
 *	stops reading is turned into EPIPE (MSG_NOSIGNAL is not available
 *	for pipes; SIGPIPE is blocked around the write).
 */
#include "util/spawn.h"
#include "util/monotime.h"

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

void spawn_close(int *fd)
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
		if (deadline && monotime_ms() >= deadline) {
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
int spawn_start(pid_t *pid, char *const argv[],
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

/* One spawn_run(): the child, its three pipes and what came back. */
struct spawn_io {
	int in[2], out[2], err[2];
	struct spawn_buffer ob, eb;
	const char *input;
	size_t inputlen, written;
	int64_t deadline; /* 0: none */
	pid_t pid;
	spawn_out_fn out_fn; /* stdout streamed to it, not kept (or NULL) */
	void *out_arg;
	int out_stopped; /* out_fn said stop: the child was killed */
};

static void spawn_io_close_all(struct spawn_io *io)
{
	for (int i = 0; i < 2; i++) {
		spawn_close(&io->in[i]);
		spawn_close(&io->out[i]);
		spawn_close(&io->err[i]);
	}
}

/* Step 1: three pipes and the child on them. @return 0 or -1 (errbuf). */
static int spawn_run_start(struct spawn_io *io, char *const argv[],
			   char *errbuf, size_t errlen)
{
	posix_spawn_file_actions_t fa;
	int rc;

	if (pipe2(io->in, O_CLOEXEC) < 0 || pipe2(io->out, O_CLOEXEC) < 0 ||
	    pipe2(io->err, O_CLOEXEC) < 0) {
		snprintf(errbuf, errlen, "spawn %s: pipe: %s", argv[0],
			 strerror(errno));
		return -1;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, io->in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, io->out[1], 1);
	posix_spawn_file_actions_adddup2(&fa, io->err[1], 2);
	rc = spawn_start(&io->pid, argv, &fa);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0) {
		snprintf(errbuf, errlen, "spawn %s: %s", argv[0], strerror(rc));
		return -1;
	}
	spawn_close(&io->in[0]);
	spawn_close(&io->out[1]);
	spawn_close(&io->err[1]);
	if (!io->input || io->inputlen == 0)
		spawn_close(&io->in[1]);
	else
		fcntl(io->in[1], F_SETFL,
		      fcntl(io->in[1], F_GETFL) | O_NONBLOCK);
	return 0;
}

/* One ready descriptor of step 2: feed stdin or read stdout/stderr. */
static void spawn_run_ready(struct spawn_io *io, int fd)
{
	char chunk[65536];
	ssize_t r;

	if (fd == io->in[1]) {
		ssize_t w = write(io->in[1], io->input + io->written,
				  io->inputlen - io->written);
		if (w > 0)
			io->written += (size_t)w;
		if ((w < 0 && errno != EAGAIN && errno != EINTR) ||
		    io->written == io->inputlen)
			spawn_close(&io->in[1]);
		return;
	}
	r = read(fd, chunk, sizeof(chunk));
	if (r < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (r <= 0) {
		spawn_close(fd == io->out[0] ? &io->out[0] : &io->err[0]);
		return;
	}
	if (fd == io->out[0] && io->out_fn != NULL) {
		if (!io->out_stopped &&
		    io->out_fn(io->out_arg, chunk, (size_t)r) < 0) {
			io->out_stopped = 1;
			kill(io->pid, SIGKILL); /* the rest is not wanted */
		}
		return;
	}
	if (spawn_buffer_add(fd == io->out[0] ? &io->ob : &io->eb, chunk,
			     (size_t)r) < 0)
		kill(io->pid, SIGKILL); /* out of memory */
}

/*
 * Step 2: feed the input, collect stdout and stderr until both close or
 * the deadline passes. @return 1 when the deadline passed.
 */
static int spawn_run_io(struct spawn_io *io)
{
	while (io->out[0] >= 0 || io->err[0] >= 0) {
		struct pollfd pfd[3];
		int nfd = 0, wait_ms = -1;

		if (io->deadline) {
			int64_t left = io->deadline - monotime_ms();
			if (left <= 0)
				return 1;
			wait_ms = (int)left;
		}
		if (io->in[1] >= 0)
			pfd[nfd++] = (struct pollfd){io->in[1], POLLOUT, 0};
		if (io->out[0] >= 0)
			pfd[nfd++] = (struct pollfd){io->out[0], POLLIN, 0};
		if (io->err[0] >= 0)
			pfd[nfd++] = (struct pollfd){io->err[0], POLLIN, 0};
		if (poll(pfd, nfd, wait_ms) < 0) {
			if (errno == EINTR)
				continue;
			return 0;
		}
		for (int i = 0; i < nfd; i++)
			if (pfd[i].revents)
				spawn_run_ready(io, pfd[i].fd);
	}
	return 0;
}

/* Step 3: reap the child (killed first when late). @return 1: late. */
static int spawn_run_reap(struct spawn_io *io, int timed_out, int *status)
{
	spawn_io_close_all(io);
	if (timed_out) {
		kill(io->pid, SIGKILL);
		while (waitpid(io->pid, status, 0) < 0 && errno == EINTR)
			;
		return 1;
	}
	return spawn_reap(io->pid, io->deadline, status) < 0;
}

/*
 * Step 4: hand the buffers over in @param res, or free them (every -1
 * path frees: the caller never owns a result it was not given).
 */
static int spawn_run_result(struct spawn_io *io, char *const argv[],
			    int timed_out, int status, int timeout_ms,
			    struct spawn_result *res, char *errbuf,
			    size_t errlen)
{
	if (timed_out || spawn_buffer_finish(&io->ob) < 0 ||
	    spawn_buffer_finish(&io->eb) < 0) {
		free(io->ob.data);
		free(io->eb.data);
		if (timed_out)
			snprintf(errbuf, errlen,
				 "spawn %s: no answer within %d ms; killed",
				 argv[0], timeout_ms);
		else
			snprintf(errbuf, errlen, "spawn %s: out of memory",
				 argv[0]);
		return -1;
	}
	res->out = io->ob.data;
	res->outlen = io->ob.len;
	res->out_truncated = io->ob.truncated;
	res->err = io->eb.data;
	res->errlen = io->eb.len;
	if (WIFEXITED(status)) {
		res->exited = 1;
		res->exit_code = WEXITSTATUS(status);
	} else if (WIFSIGNALED(status)) {
		res->signal = WTERMSIG(status);
	}
	return 0;
}

/* spawn_run() and spawn_run_stream(): @param out_fn NULL keeps stdout. */
static int spawn_run_any(char *const argv[], const char *input, size_t inputlen,
			 int timeout_ms, spawn_out_fn out_fn, void *out_arg,
			 struct spawn_result *res, char *errbuf, size_t errlen)
{
	struct spawn_io io = {
	    .in = {-1, -1},
	    .out = {-1, -1},
	    .err = {-1, -1},
	    .ob = {.max = SPAWN_OUTPUT_MAX},
	    .eb = {.max = SPAWN_ERROR_MAX},
	    .input = input,
	    .inputlen = inputlen,
	    .deadline = timeout_ms > 0 ? monotime_ms() + timeout_ms : 0,
	    .out_fn = out_fn,
	    .out_arg = out_arg,
	};
	struct timespec zero = {0, 0};
	sigset_t pipe_set, old_set, pending;
	int timed_out, status = 0;

	memset(res, 0, sizeof(*res));
	if (!argv || !argv[0]) {
		snprintf(errbuf, errlen, "spawn: empty argv");
		return -1;
	}
	if (spawn_run_start(&io, argv, errbuf, errlen) < 0) {
		spawn_io_close_all(&io);
		return -1;
	}
	/* SIGPIPE from a child that stops reading becomes EPIPE. */
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old_set);
	timed_out = spawn_run_io(&io);
	sigpending(&pending);
	if (sigismember(&pending, SIGPIPE))
		sigtimedwait(&pipe_set, NULL, &zero);
	pthread_sigmask(SIG_SETMASK, &old_set, NULL);
	timed_out = spawn_run_reap(&io, timed_out, &status);
	if (spawn_run_result(&io, argv, timed_out, status, timeout_ms, res,
			     errbuf, errlen) < 0)
		return -1;
	res->out_stopped = io.out_stopped;
	return 0;
}

int spawn_run(char *const argv[], const char *input, size_t inputlen,
	      int timeout_ms, struct spawn_result *res, char *errbuf,
	      size_t errlen)
{
	return spawn_run_any(argv, input, inputlen, timeout_ms, NULL, NULL, res,
			     errbuf, errlen);
}

int spawn_run_stream(char *const argv[], const char *input, size_t inputlen,
		     int timeout_ms, spawn_out_fn out_fn, void *out_arg,
		     struct spawn_result *res, char *errbuf, size_t errlen)
{
	if (out_fn == NULL) {
		snprintf(errbuf, errlen, "spawn: no output function");
		return -1;
	}
	return spawn_run_any(argv, input, inputlen, timeout_ms, out_fn, out_arg,
			     res, errbuf, errlen);
}

void spawn_result_free(struct spawn_result *res)
{
	if (!res)
		return;
	free(res->out);
	free(res->err);
	res->out = res->err = NULL;
}
