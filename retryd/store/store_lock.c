/*
 * NAME
 *	store_lock 3
 * SUMMARY
 *	one daemon per state_dir, and retryctl writers in turn: fcntl locks
 *	on state_dir/retryd.lock
 * SYNOPSIS
 *	#include "store/store.h"
 * DESCRIPTION
 *	The lock file state_dir/retryd.lock (0640, created when missing;
 *	root gives it to the owner of state_dir)
 *	carries two fcntl(2) record locks, each on one byte:
 *	  STORE_LOCK_DAEMON (byte 0): taken by retryd for its whole life
 *	  and by `retryctl release --all` when it works from the hold
 *	  journal alone (no daemon may run then). Never waited for: a
 *	  second taker is told at once who holds it. The holder writes its
 *	  pid into the file (best effort: on a full disk the lock still
 *	  holds, and fcntl's F_GETLK names the holder anyway).
 *	  STORE_LOCK_WRITER (byte 1): taken by retryctl's writing commands
 *	  (release, unsuppress) for the command's duration, waited for at
 *	  most @param wait_ms, so two operators' writes run in turn and
 *	  none can hang.
 *	The locks are process locks: the kernel drops them when the
 *	process dies, however it dies, so a stale lock file never blocks a
 *	restart. They are not inherited by children (hooks, MTA commands),
 *	and the descriptor is close-on-exec.
 *
 *	Owns the returned descriptor until store_unlock().
 * DIAGNOSTICS
 *	STORE_LOCK_BUSY with the holder's pid: the caller prints
 *	"state_dir X is in use by pid N" and exits 75 (EX_TEMPFAIL).
 *	STORE_LOCK_ERROR: err says why (cannot create the directory or the
 *	file).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store/store.h"

#define STORE_LOCK_FILE	    "retryd.lock"
#define STORE_LOCK_POLL_MS  50
#define STORE_LOCK_PID_TEXT 24

static void lock_range(struct flock *fl, enum store_lock_kind kind, short type)
{
	memset(fl, 0, sizeof(*fl));
	fl->l_type = type;
	fl->l_whence = SEEK_SET;
	fl->l_start = kind == STORE_LOCK_DAEMON ? 0 : 1;
	fl->l_len = 1;
}

/* The pid holding @param kind: F_GETLK, else the pid written in the file. */
static long lock_holder(int fd, enum store_lock_kind kind)
{
	struct flock fl;
	char buf[STORE_LOCK_PID_TEXT];
	ssize_t n;

	lock_range(&fl, kind, F_WRLCK);
	if (fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK &&
	    fl.l_pid > 0)
		return (long)fl.l_pid;
	if (kind != STORE_LOCK_DAEMON ||
	    (n = pread(fd, buf, sizeof(buf) - 1, 0)) <= 0)
		return 0;
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

/*
 * Root creating the file gives it to the owner of state_dir (the user
 * retryd runs as), so a root retryctl never leaves a root-owned lock
 * file the daemon or a group member cannot open. Best effort.
 */
static void lock_give(int fd, const char *dir)
{
	struct stat d, f;

	if (geteuid() != 0 || stat(dir, &d) != 0 || fstat(fd, &f) != 0)
		return;
	if (f.st_uid != d.st_uid || f.st_gid != d.st_gid)
		(void)!fchown(fd, d.st_uid, d.st_gid);
}

/* Write our pid into the file (best effort: a full disk keeps the lock). */
static void lock_write_pid(int fd)
{
	char buf[STORE_LOCK_PID_TEXT];
	int n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());

	if (ftruncate(fd, 0) == 0 && pwrite(fd, buf, (size_t)n, 0) == n)
		(void)fdatasync(fd);
}

int store_lock(const char *dir, enum store_lock_kind kind, int wait_ms,
	       int *fd_out, long *holder, char *err, size_t errlen)
{
	char path[STORE_LOCK_DIR_MAX + sizeof(STORE_LOCK_FILE) + 2];
	struct timespec nap = {0, STORE_LOCK_POLL_MS * 1000000L};
	struct flock fl;
	int fd;

	*fd_out = -1;
	*holder = 0;
	if (strlen(dir) >= STORE_LOCK_DIR_MAX) {
		snprintf(err, errlen, "state_dir name too long");
		return STORE_LOCK_ERROR;
	}
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "create state_dir %s: %s", dir,
			 strerror(errno));
		return STORE_LOCK_ERROR;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, STORE_LOCK_FILE);
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640)) <
	    0) {
		snprintf(err, errlen, "open %s: %s", path, strerror(errno));
		return STORE_LOCK_ERROR;
	}
	lock_give(fd, dir);
	for (int waited = 0;; waited += STORE_LOCK_POLL_MS) {
		lock_range(&fl, kind, F_WRLCK);
		if (fcntl(fd, F_SETLK, &fl) == 0)
			break;
		if (errno != EAGAIN && errno != EACCES && errno != EINTR) {
			snprintf(err, errlen, "lock %s: %s", path,
				 strerror(errno));
			close(fd);
			return STORE_LOCK_ERROR;
		}
		if (waited >= wait_ms) {
			*holder = lock_holder(fd, kind);
			snprintf(err, errlen,
				 "state_dir %s is in use by pid %ld", dir,
				 *holder);
			close(fd);
			return STORE_LOCK_BUSY;
		}
		nanosleep(&nap, NULL);
	}
	if (kind == STORE_LOCK_DAEMON)
		lock_write_pid(fd);
	*fd_out = fd;
	return STORE_LOCK_OK;
}

void store_unlock(int fd)
{
	if (fd >= 0)
		close(fd); /* drops every fcntl lock of this file */
}
