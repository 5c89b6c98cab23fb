/*
 * NAME
 *	spawn 3h
 * SUMMARY
 *	run an external command with a fixed argv, never a shell
 * DESCRIPTION
 *	spawn_run() starts argv[0] (an absolute path, or a name looked up in
 *	PATH) with posix_spawn, writes @param input to its standard input,
 *	collects standard output and standard error (each bounded; the rest
 *	is read and discarded so the child never blocks), waits for it and
 *	reports how it ended. spawn_run_all() runs a batch of commands with
 *	bounded concurrency. Nothing is passed through sh; no argument is
 *	ever split or expanded. The environment is inherited.
 *
 *	Ownership: the caller owns argv and input; spawn_result buffers are
 *	allocated here and freed with spawn_result_free(); spawn_status
 *	arrays belong to the caller and hold nothing to free.
 */
#ifndef RETRYD_SPAWN_H
#define RETRYD_SPAWN_H

#include <stddef.h>

#define SPAWN_OUTPUT_MAX (64u << 20) /* bytes of stdout kept */
#define SPAWN_ERROR_MAX	 (64u << 10) /* bytes of stderr kept */

struct spawn_result {
	int exited; /* 1: exited normally, status in exit_code */
	int exit_code;
	int signal; /* when killed by a signal, else 0 */
	char *out;  /* NUL-terminated stdout (maybe truncated) */
	size_t outlen;
	int out_truncated;
	int out_stopped; /* spawn_run_stream: out_fn said stop (child killed) */
	char *err;	 /* NUL-terminated stderr (maybe truncated) */
	size_t errlen;
};

/**
 * Run @param argv (NULL-terminated), feeding @param input (may be NULL)
 * of @param inputlen bytes, waiting at most @param timeout_ms (0: no
 * limit; the child is killed with SIGKILL past it).
 * @return 0 when the child was run and waited for (see @param res for
 * how it ended), -1 when it could not be started or timed out, with
 * @param errbuf saying why.
 */
int spawn_run(char *const argv[], const char *input, size_t inputlen,
	      int timeout_ms, struct spawn_result *res, char *errbuf,
	      size_t errlen);

/**
 * Told each chunk of a child's standard output as it is read (@param p,
 * @param n bytes, valid for the call only). @return 0, or -1: stop (the
 * child is killed; its output is not read further).
 */
typedef int (*spawn_out_fn)(void *arg, const char *p, size_t n);

/**
 * spawn_run() with standard output streamed to @param out_fn instead of
 * kept (res->out is "", res->outlen 0; no SPAWN_OUTPUT_MAX bound);
 * res->out_stopped is 1 when out_fn asked to stop. Standard error is
 * kept as by spawn_run(). @return as spawn_run().
 */
int spawn_run_stream(char *const argv[], const char *input, size_t inputlen,
		     int timeout_ms, spawn_out_fn out_fn, void *out_arg,
		     struct spawn_result *res, char *errbuf, size_t errlen);

void spawn_result_free(struct spawn_result *res);

#define SPAWN_ALL_ERROR_MAX                                                    \
	1024u /* bytes of one child's stderr kept by spawn_run_all */
#define SPAWN_ALL_CONCURRENCY_MAX 64u /* children at once in spawn_run_all */

/* spawn_run_all flags */
#define SPAWN_ALL_STOP_ON_FAILURE 0x1 /* after a failure start no more */

enum spawn_end {
	SPAWN_NOT_RUN = 0,  /* never started (a failure stopped the batch) */
	SPAWN_START_FAILED, /* could not be started; err says why */
	SPAWN_EXITED,	    /* exited; status in exit_code */
	SPAWN_SIGNALED,	    /* killed by a signal, in signal */
	SPAWN_TIMED_OUT,    /* running at its deadline: killed and reaped */
	SPAWN_LOST, /* reaped by someone else: how it ended is unknown */
};

struct spawn_status {
	enum spawn_end end;
	int exit_code;
	int signal;
	size_t errlen;
	int err_truncated;
	char err[SPAWN_ALL_ERROR_MAX + 1]; /* stderr (NUL-terminated, bounded),
					      or why it could not start */
};

/**
 * Run the @param n commands @param argvs (each NULL-terminated) with at
 * most @param concurrency (1..SPAWN_ALL_CONCURRENCY_MAX) children at
 * once, started in order. Each child gets /dev/null as standard input
 * and output; its standard error is kept up to SPAWN_ALL_ERROR_MAX
 * bytes (the rest read and dropped). A child still running
 * @param timeout_ms_each after its start (0: no limit) is killed with
 * SIGKILL. Every child started is reaped before return. With
 * SPAWN_ALL_STOP_ON_FAILURE in @param flags, once a command fails (did
 * not start, exited non-zero, died or timed out) no further one is
 * started: those stay SPAWN_NOT_RUN.
 * @param st (n entries, owned by the caller) receives how command i
 * ended in st[i].
 * @return 0 when the batch ran (see st), -1 when it could not be set up
 * (bad concurrency, out of memory; nothing started), with @param errbuf
 * saying why.
 */
int spawn_run_all(char **const argvs[], size_t n, unsigned concurrency,
		  int timeout_ms_each, int flags, struct spawn_status *st,
		  char *errbuf, size_t errlen);

/** 1 when @param st ran and exited 0. */
int spawn_status_ok(const struct spawn_status *st);

/**
 * Expand a hook argv template: each word is copied, with "%d" replaced by
 * @param domain, "%r" by @param resolver, "%f" by @param file and "%%"
 * by "%" (a NULL value expands to ""). Words are never split. A word that
 * starts with a placeholder and would start with '-' is refused (data is
 * never an option).
 * @return a NULL-terminated vector the caller frees with spawn_argv_free,
 * or NULL on allocation failure or a refused word.
 */
char **spawn_argv_expand(char *const tmpl[], const char *domain,
			 const char *resolver, const char *file);
void spawn_argv_free(char **argv);

#endif
