/*
 * NAME
 *	spawn_pool 3h
 * SUMMARY
 *	commands run beside the caller, a bounded number at once, each in
 *	its own process group (hooks)
 * DESCRIPTION
 *	See spawn_pool.c. Ownership: the pool owns its children, their
 *	pipes and their captured output; a spawn_pool_end passed to the
 *	caller's function is valid only during the call.
 */
#ifndef RETRYD_SPAWN_POOL_H
#define RETRYD_SPAWN_POOL_H

#include <stddef.h>

#include "util/spawn.h"

struct spawn_pool;

struct spawn_pool_opts {
	char *const *envp; /* the child's whole environment (NULL: empty) */
	const char *user;  /* run as this user (NULL: as we are) */
	size_t out_max;	   /* bytes of stdout+stderr kept; the rest dropped */
	int timeout_ms;	   /* then the whole group is killed (0: none) */
	int tag;	   /* the caller's kind of command (spawn_pool_busy) */
	const char *label; /* for the caller's log line (copied) */
};

/* How one command ended, handed to a spawn_pool_fn. */
struct spawn_pool_end {
	const char *label;
	int tag;
	enum spawn_end end; /* EXITED, SIGNALED, TIMED_OUT or LOST */
	int exit_code;
	int signal;
	const char *out; /* stdout+stderr, NUL-terminated, bounded */
	size_t outlen;
	int truncated;
	long ms; /* how long it ran */
};

typedef void (*spawn_pool_fn)(const struct spawn_pool_end *e, void *arg);

/** A pool running at most @param max children at once; NULL: no memory. */
struct spawn_pool *spawn_pool_new(unsigned max);

/**
 * Start @param argv (argv[0] absolute, or looked up in the PATH of
 * opts->envp) in its own process group, stdin /dev/null, stdout and
 * stderr into one captured pipe. @return 0, 1 when the pool is full
 * (nothing started), or -1 with @param err (fork or pipe failed, the
 * user is unknown). A command that cannot be executed (missing, not
 * executable, cannot switch user) still starts: it ends with exit 126 or
 * 127 and says why in its output.
 */
int spawn_pool_start(struct spawn_pool *p, char *const argv[],
		     const struct spawn_pool_opts *o, char *err, size_t errlen);

/** How many children with @param tag (-1: any) are running. */
size_t spawn_pool_busy(const struct spawn_pool *p, int tag);

/**
 * Reap what ended (calling @param fn for each), kill the groups past
 * their deadline, waiting at most @param wait_ms (0: only what is done
 * now) until no child with @param tag (-1: any) runs.
 */
void spawn_pool_reap(struct spawn_pool *p, int tag, int wait_ms,
		     spawn_pool_fn fn, void *arg);

/** Kill every group still running, reap, report (fn may be NULL), free. */
void spawn_pool_free(struct spawn_pool *p, spawn_pool_fn fn, void *arg);

#endif
