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
 *	Who writes: the store belongs to the user retryd runs as ([retryd]
 *	user), with group read. ctl_store_readonly() says whether the caller
 *	is neither root nor that owner (a monitoring user of the group):
 *	retryctl then refuses the commands that write, and opens the store
 *	STORE_OPEN_READ. Run as root, ctl_store_open() switches the file
 *	system uid/gid to the owner of state_dir before it touches the store
 *	(a Berkeley DB log file created by a root retryctl would be root's,
 *	and the daemon could not open it); ctl_store_detached() switches
 *	back. Commands that run MTA programs keep root for them (exec resets
 *	the file system ids to the effective ones).
 *
 *	ctl_store_lock_writer() takes state_dir's writer lock
 *	(store_lock.c) for a command that writes (release, unsuppress):
 *	two writers run in turn, and a writer waits at most
 *	LIMIT_CTL_WRITER_WAIT_MS, then exits 75 naming the other's pid.
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
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <unistd.h>

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

	if (geteuid() == 0) {
		setfsuid(0);
		setfsgid(getegid());
	}
	ctl_attached_signals(&attached);
	sigprocmask(SIG_UNBLOCK, &attached, NULL);
}

int ctl_store_readonly(const char *state_dir)
{
	struct stat sb;

	if (geteuid() == 0 || stat(state_dir, &sb) != 0)
		return 0;
	return sb.st_uid != geteuid();
}

/* Root: act on the store's files as their owner (never root's files). */
static int ctl_store_as_owner(const char *state_dir, const char *cmd)
{
	struct stat sb;

	if (geteuid() != 0 || stat(state_dir, &sb) != 0 || sb.st_uid == 0)
		return 0;
	setfsgid(sb.st_gid);
	setfsuid(sb.st_uid);
	if ((uid_t)setfsuid((uid_t)-1) != sb.st_uid) {
		fprintf(stderr,
			"retryctl: %s: cannot act as the owner (uid %u) of "
			"%.300s: refused (files made as root would be "
			"root's)\n",
			cmd, (unsigned)sb.st_uid, state_dir);
		return -1;
	}
	return 0;
}

struct store *ctl_store_open(const struct ctl_context *ctx, const char *cmd)
{
	struct store *st = NULL;
	char err[1024];
	sigset_t attached;

	ctl_attached_signals(&attached);
	sigprocmask(SIG_BLOCK, &attached, NULL);
	if (ctl_store_as_owner(ctx->policy->state_dir, cmd) < 0)
		return NULL;
	if (store_open(ctx->policy->state_dir,
		       ctx->readonly ? STORE_OPEN_READ : STORE_OPEN_JOIN, 0,
		       &st, err, sizeof(err)) != STORE_OK) {
		fprintf(stderr, "retryctl: %s: %s\n", cmd, err);
		return NULL;
	}
	/* in a fleet, what retryctl writes (unsuppress, release evidence)
	 * is queued for PostgreSQL in the same transaction, as the daemon's
	 * (a read-only caller writes nothing) */
	if (!ctx->readonly && ctx->policy->fleet_database != NULL &&
	    store_outbox_enable(st, 0, err, sizeof(err)) != STORE_OK) {
		fprintf(stderr, "retryctl: %s: %s\n", cmd, err);
		store_close(st);
		return NULL;
	}
	return st;
}

int ctl_store_lock_writer(const struct ctl_context *ctx, const char *cmd,
			  int *fd)
{
	char err[STORE_LOCK_DIR_MAX + 128];
	long holder;
	int rc =
	    store_lock(ctx->policy->state_dir, STORE_LOCK_WRITER,
		       LIMIT_CTL_WRITER_WAIT_MS, fd, &holder, err, sizeof(err));

	if (rc == STORE_LOCK_OK)
		return CTL_EXIT_OK;
	if (rc == STORE_LOCK_BUSY) {
		fprintf(stderr,
			"retryctl: %s: %s (another retryctl is writing; "
			"try again when it is done)\n",
			cmd, err);
		return STORE_LOCK_EX_BUSY;
	}
	fprintf(stderr, "retryctl: %s: %s\n", cmd, err);
	return CTL_EXIT_ERROR;
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
