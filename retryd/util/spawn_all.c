/*
 * NAME
 *	spawn_all 3
 * SUMMARY
 *	spawn_run_all: a batch of commands with bounded concurrency
 * SYNOPSIS
 *	#include "util/spawn.h"
 * DESCRIPTION
 *	spawn_run_all() keeps up to N children running from a list of
 *	argvs, started in order into N slots, in three named steps per
 *	round: fill the free slots, wait (one poll() on every slot's stderr
 *	pipe and pidfd and the nearest deadline), collect (drain, reap the
 *	ended, kill the late). A slot is refilled as soon as its child is
 *	reaped. Without pidfd (kernels before 5.3) waitpid(WNOHANG) is
 *	polled every millisecond. Only the batch's own pids are waited for
 *	(never waitpid(-1)).
 *
 *	Owns: the pipes and the children until spawn_run_all returns.
 * DIAGNOSTICS
 *	Each command is reported in its own spawn_status; the call fails as
 *	a whole (-1) only for a bad concurrency or no memory.
 */
#include "util/spawn.h"
#include "util/spawn_int.h"
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
	sl->deadline = timeout_ms > 0 ? monotime_ms() + timeout_ms : 0;
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

/* One spawn_run_all(): its slots, where it is in the list, its flags. */
struct spawn_all {
	struct spawn_slot *slots;
	struct pollfd *pfd; /* 2 per slot */
	unsigned concurrency;
	char **const *argvs;
	size_t n, next, running;
	int timeout_ms_each, flags, stop;
	struct spawn_status *st;
};

/*
 * Step 1: fill every free slot. A command that cannot start does not
 * take its slot, so the next one is tried in the same slot (else a round
 * of failed starts would end the run early).
 */
static void spawn_all_fill(struct spawn_all *a)
{
	for (unsigned k = 0; k < a->concurrency && !a->stop && a->next < a->n;
	     k++) {
		if (a->slots[k].busy)
			continue;
		while (!a->stop && a->next < a->n) {
			size_t i = a->next++;

			if (spawn_slot_start(&a->slots[k], i, a->argvs[i],
					     a->timeout_ms_each,
					     &a->st[i]) == 0) {
				a->running++;
				break;
			}
			if (a->flags & SPAWN_ALL_STOP_ON_FAILURE)
				a->stop = 1;
		}
	}
}

/* Step 2: wait for a pipe, an exit or the nearest deadline. */
static void spawn_all_wait(struct spawn_all *a)
{
	int64_t now = monotime_ms();
	int nfd = 0, wait_ms = -1;

	for (unsigned k = 0; k < a->concurrency; k++) {
		struct spawn_slot *sl = &a->slots[k];

		if (!sl->busy)
			continue;
		if (sl->errfd >= 0)
			a->pfd[nfd++] = (struct pollfd){sl->errfd, POLLIN, 0};
		if (sl->pidfd >= 0)
			a->pfd[nfd++] = (struct pollfd){sl->pidfd, POLLIN, 0};
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
	if (poll(a->pfd, (nfds_t)nfd, wait_ms) < 0 && errno != EINTR) {
		struct timespec nap = {0, 1000000};
		nanosleep(&nap, NULL); /* then check every child */
	}
}

/* Step 3: drain every slot, reap the ended, kill the late. */
static void spawn_all_collect(struct spawn_all *a)
{
	int64_t now = monotime_ms();

	for (unsigned k = 0; k < a->concurrency; k++) {
		struct spawn_slot *sl = &a->slots[k];
		struct spawn_status *s;

		if (!sl->busy)
			continue;
		s = &a->st[sl->idx];
		spawn_slot_drain(sl, s);
		if (!spawn_slot_check(sl, s, now))
			continue;
		a->running--;
		if ((a->flags & SPAWN_ALL_STOP_ON_FAILURE) &&
		    !spawn_status_ok(s))
			a->stop = 1;
	}
}

int spawn_run_all(char **const argvs[], size_t n, unsigned concurrency,
		  int timeout_ms_each, int flags, struct spawn_status *st,
		  char *errbuf, size_t errlen)
{
	struct spawn_all a = {.concurrency = concurrency,
			      .argvs = argvs,
			      .n = n,
			      .timeout_ms_each = timeout_ms_each,
			      .flags = flags,
			      .st = st};

	if (concurrency < 1 || concurrency > SPAWN_ALL_CONCURRENCY_MAX) {
		snprintf(errbuf, errlen, "spawn: concurrency %u not in 1..%u",
			 concurrency, SPAWN_ALL_CONCURRENCY_MAX);
		return -1;
	}
	if (n > 0)
		memset(st, 0, n * sizeof(*st));
	a.slots = calloc(concurrency, sizeof(*a.slots));
	a.pfd = calloc(2 * (size_t)concurrency, sizeof(*a.pfd));
	if (!a.slots || !a.pfd) {
		free(a.slots);
		free(a.pfd);
		snprintf(errbuf, errlen, "spawn: out of memory");
		return -1;
	}
	for (;;) {
		spawn_all_fill(&a);
		if (a.running == 0)
			break;
		spawn_all_wait(&a);
		spawn_all_collect(&a);
	}
	free(a.slots);
	free(a.pfd);
	return 0;
}
