/*
 * NAME
 *	ctl 3h
 * SUMMARY
 *	retryctl subcommands: one function per command, one file per group
 * DESCRIPTION
 *	retryctl.c parses the global options (-c FILE), loads the policy and
 *	dispatches to a ctl_* function with the remaining arguments
 *	(argv[0] is the command name). A command opens the store itself with
 *	ctl_store_open() only if it needs it.
 *
 *	Exit codes: CTL_EXIT_OK, CTL_EXIT_ERROR (operation failed),
 *	CTL_EXIT_USAGE (bad arguments), POLICY_EX_CONFIG (bad policy).
 *	Output goes to ctx->out; diagnostics to stderr as
 *	"retryctl: COMMAND: message".
 */
#ifndef RETRYD_CTL_H
#define RETRYD_CTL_H

#include <stdio.h>

#include "policy/policy.h"
#include "store/store.h"

#define CTL_EXIT_OK    0
#define CTL_EXIT_ERROR 1
#define CTL_EXIT_USAGE 2

struct ctl_context {
	const struct policy *policy; /* loaded, never NULL */
	FILE *out;		     /* stdout */
	int64_t now;		     /* wall clock at start, for ages */
};

/**
 * Join the daemon's store read-mostly (no recovery). On failure prints
 * "retryctl: CMD: ..." with the next step and @return NULL.
 * The caller closes the returned store with store_close().
 */
struct store *ctl_store_open(const struct ctl_context *ctx, const char *cmd);

/**
 * Deliver the signals ctl_store_open() deferred (SIGINT, SIGTERM, SIGHUP,
 * SIGQUIT). Call once the command returned and closed its store.
 */
void ctl_store_detached(void);

/**
 * 1 when the policy's state_dir does not exist (retryd never ran):
 * read-only commands then show an empty store instead of creating one.
 */
int ctl_store_missing(const struct ctl_context *ctx);

/**
 * Check a command-line key before any use: @param arg non-empty, at
 * most @param max bytes, no control byte, not starting with '-'. On
 * failure prints "retryctl: CMD: bad WHAT: ..." and @return -1.
 */
int ctl_check_arg(const char *cmd, const char *what, const char *arg,
		  size_t max);

/* retryd/ctl_list.c, retryd/ctl_show.c */
int ctl_list(struct ctl_context *ctx, int argc, char **argv);
int ctl_show(struct ctl_context *ctx, int argc, char **argv);
/* retryd/ctl/ctl_sentinel.c */
int ctl_sentinel(struct ctl_context *ctx, int argc, char **argv);

/* retryd/ctl_suppressed.c */
int ctl_suppressed(struct ctl_context *ctx, int argc, char **argv);
int ctl_unsuppress(struct ctl_context *ctx, int argc, char **argv);
/* retryd/ctl_diagnose.c */
int ctl_diagnose(struct ctl_context *ctx, int argc, char **argv);
/* retryd/ctl_classify.c */
int ctl_classify(struct ctl_context *ctx, int argc, char **argv);
/* retryd/ctl_release.c */
int ctl_release(struct ctl_context *ctx, int argc, char **argv);
/* retryd/ctl_export.c */
int ctl_export(struct ctl_context *ctx, int argc, char **argv);
/* retryd/ctl_report.c */
int ctl_report(struct ctl_context *ctx, int argc, char **argv);

#endif
