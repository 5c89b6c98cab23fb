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

#define CTL_EXIT_OK	0
#define CTL_EXIT_ERROR	1
#define CTL_EXIT_USAGE	2
#define CTL_EXIT_NOPERM 77 /* EX_NOPERM: a write by a read-only user */

struct ctl_context {
	const struct policy *policy; /* loaded, never NULL */
	FILE *out;		     /* stdout */
	int64_t now;		     /* wall clock at start, for ages */
	int readonly; /* not the store's owner nor root: group member */
};

/**
 * Who may do what with the store in @param state_dir: root and the
 * directory's owner may write; anyone else (a member of its group)
 * only reads. @return 1 for read-only, 0 for read-write (also when the
 * directory does not exist yet).
 */
int ctl_store_readonly(const char *state_dir);

/**
 * Join the daemon's store read-mostly (no recovery); read-only
 * (STORE_OPEN_READ) when ctx->readonly. Run as root, the file system
 * identity (setfsuid/setfsgid) becomes the owner of state_dir until
 * ctl_store_detached(), so nothing root-owned is left in the store.
 * On failure prints "retryctl: CMD: ..." with the next step and
 * @return NULL. The caller closes the returned store with store_close().
 */
struct store *ctl_store_open(const struct ctl_context *ctx, const char *cmd);

/**
 * Deliver the signals ctl_store_open() deferred (SIGINT, SIGTERM, SIGHUP,
 * SIGQUIT) and give root back its own file system identity. Call once
 * the command closed its store.
 */
void ctl_store_detached(void);

/**
 * Take the state_dir writer lock for write command @param cmd, waiting
 * at most LIMIT_CTL_WRITER_WAIT_MS. @return CTL_EXIT_OK and *@param fd
 * (store_unlock() it when done), or the exit status after printing why
 * (STORE_LOCK_EX_BUSY: "state_dir X is in use by pid N").
 */
int ctl_store_lock_writer(const struct ctl_context *ctx, const char *cmd,
			  int *fd);

struct plugin_handle;
struct store_journal_ids;
/**
 * Release the messages the MTA holds whose id is in the hold journal and
 * not in @param skip (NULL: none skipped), ctl_release_journal.c.
 * @return how many, or -1 (printed).
 */
long ctl_release_journal(struct ctl_context *ctx, struct plugin_handle *ph,
			 const struct store_journal_ids *skip);

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

/* ctl_rcpt.c: one recipient as the listings show it. */
struct ctl_rcpt_view {
	char domain[LIMIT_DOMAIN + 1]; /* the recipient's, normalised */
	const char *group;	       /* "" when in no group */
	const char *verdict;	       /* the domain's current verdict, or "" */
	const char *mx;		       /* the domain's last MX host, or "" */
	const char *reason;	       /* the recipient's own last reason */
};
struct ctl_domains;
/** @param d lowercase, without trailing dots, into @param out. */
void ctl_domain_normalise(const char *d, char *out, size_t len);
/** Lowercase @param address's domain without trailing dot (the message's
 * domain when the address has none) into @param out. */
void ctl_rcpt_domain(const struct store_message *m, const char *address,
		     char *out, size_t len);
/** Every domain record of @param st (NULL: none), read once. @return a
 * cache freed with ctl_domains_free(), or NULL with @param err. */
struct ctl_domains *ctl_domains_load(const struct ctl_context *ctx,
				     struct store *st, char *err,
				     size_t errlen);
void ctl_domains_free(struct ctl_domains *c);
/** @param r of @param m as listed; pointers in @param out live as long
 * as @param c and @param m. */
void ctl_domains_view(const struct ctl_domains *c,
		      const struct store_message *m, const struct store_rcpt *r,
		      struct ctl_rcpt_view *out);

/* retryd/ctl_list.c, retryd/ctl_show.c */
int ctl_list(struct ctl_context *ctx, int argc, char **argv);
/** retryctl status [--json]: exit 0 OK, 1 WARNING, 2 CRITICAL. */
int ctl_status(struct ctl_context *ctx, int argc, char **argv);
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
/* retryd/ctl_shape.c */
int ctl_shape(struct ctl_context *ctx, int argc, char **argv);
/* retryd/ctl/ctl_fleet.c */
int ctl_fleet(struct ctl_context *ctx, int argc, char **argv);
/** report|list|diagnose with --fleet: the shared tables' view. */
int ctl_fleet_view(struct ctl_context *ctx, int argc, char **argv);
/**
 * The fleet-wide half of unsuppress (nothing without [fleet]): clear the
 * shared decision, ship @param st's outbox. Prints what it did. @return
 * a CTL_EXIT_* code.
 */
int ctl_fleet_unsuppress(struct ctl_context *ctx, struct store *st,
			 const char *address);

#endif
