/*
 * NAME
 *	ctl_store 3
 * SUMMARY
 *	retryctl's access to the daemon's store, and checks of store keys
 * SYNOPSIS
 *	#include "ctl/ctl.h"
 * DESCRIPTION
 *	ctl_store_open() joins the Berkeley DB environment in the policy's
 *	state_dir with STORE_OPEN_JOIN: never with recovery, which only the
 *	daemon may run (a second process recovering under a live daemon
 *	corrupts the environment). ctl_store_missing() lets read-only
 *	commands show an empty store when retryd never ran, without
 *	creating a state directory as a side effect of a listing.
 *
 *	ctl_check_arg() vets a key the operator typed (an address, a queue
 *	id) before it reaches the store or a log line.
 *
 *	Berkeley DB 5.3 panics the environment for everyone when a process
 *	registered in it dies attached (a ^C, a SIGTERM). So from the moment
 *	retryctl joins the store, SIGINT, SIGTERM, SIGHUP and SIGQUIT are
 *	blocked; main() calls ctl_store_detached() after the command returned (and closed
 *	the store), and only then does a pending signal end the process.
 *	SIGPIPE is ignored by main(): `retryctl list | head` gets EPIPE.
 *
 *	Owns nothing: the caller closes the store.
 * DIAGNOSTICS
 *	"retryctl: CMD: store: open DIR: ..." with the store's next step
 *	(start retryd, or run db5.3_recover -h DIR).
 */
#include "ctl/ctl.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>

#include "util/log.h"

/* The signals deferred while retryctl is attached to the store. */
static void ctl_attached_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGQUIT);
}

void ctl_store_detached(void)
{
	sigset_t attached;

	ctl_attached_signals(&attached);
	sigprocmask(SIG_UNBLOCK, &attached, NULL);
}

struct store *ctl_store_open(const struct ctl_context *ctx, const char *cmd)
{
	struct store *st = NULL;
	char err[1024];
	sigset_t attached;

	ctl_attached_signals(&attached);
	sigprocmask(SIG_BLOCK, &attached, NULL);
	if (store_open(ctx->policy->state_dir, STORE_OPEN_JOIN, 0, &st, err,
		       sizeof(err)) != STORE_OK) {
		fprintf(stderr, "retryctl: %s: %s\n", cmd, err);
		return NULL;
	}
	return st;
}

int ctl_store_missing(const struct ctl_context *ctx)
{
	struct stat sb;

	return stat(ctx->policy->state_dir, &sb) != 0 && errno == ENOENT;
}

int ctl_check_arg(const char *cmd, const char *what, const char *arg,
		  size_t max)
{
	char shown[101];
	size_t n = strnlen(arg, max + 1);
	const char *why = NULL;

	if (n == 0)
		why = "empty";
	else if (n > max)
		why = "too long";
	else if (arg[0] == '-')
		why = "starts with '-'";
	for (size_t i = 0; why == NULL && i < n; i++)
		if ((unsigned char)arg[i] < 0x20 || arg[i] == 0x7f)
			why = "contains a control character";
	if (why == NULL)
		return 0;
	fprintf(stderr, "retryctl: %s: bad %s: %s: %s\n", cmd, what, why,
		log_printable(shown, sizeof(shown), arg));
	return -1;
}
