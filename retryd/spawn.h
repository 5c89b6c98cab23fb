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
 *	reports how it ended. Nothing is passed through sh; no argument is
 *	ever split or expanded. The environment is inherited.
 *
 *	Ownership: the caller owns argv and input; spawn_result buffers are
 *	allocated here and freed with spawn_result_free().
 */
#ifndef RETRYD_SPAWN_H
#define RETRYD_SPAWN_H

#include <stddef.h>

#define SPAWN_OUTPUT_MAX (64u << 20) /* bytes of stdout kept */
#define SPAWN_ERROR_MAX (64u << 10)  /* bytes of stderr kept */

struct spawn_result {
	int exited;         /* 1: exited normally, status in exit_code */
	int exit_code;
	int signal;         /* when killed by a signal, else 0 */
	char *out;          /* NUL-terminated stdout (maybe truncated) */
	size_t outlen;
	int out_truncated;
	char *err;          /* NUL-terminated stderr (maybe truncated) */
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

void spawn_result_free(struct spawn_result *res);

/**
 * Expand a hook argv template: each word is copied, with "%d" replaced by
 * @param domain, "%r" by @param resolver, "%f" by @param file and "%%"
 * by "%" (a NULL value expands to ""). Words are never split.
 * @return a NULL-terminated vector the caller frees with spawn_argv_free,
 * or NULL on allocation failure.
 */
char **spawn_argv_expand(char *const tmpl[], const char *domain,
			 const char *resolver, const char *file);
void spawn_argv_free(char **argv);

#endif
