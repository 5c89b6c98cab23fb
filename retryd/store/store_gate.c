/*
 * NAME
 *	store_gate 3
 * SUMMARY
 *	one process at a time through the environment's open: a flock(2)
 *	on state_dir itself
 * SYNOPSIS
 *	#include "store/store_int.h"
 * DESCRIPTION
 *	Berkeley DB creates __db.register (empty) before it takes its own
 *	lock on that file, and an opener that finds the file empty demands
 *	recovery. A retryctl joining a fresh state_dir while the daemon (or
 *	another retryctl) is creating it could see that empty file without
 *	passing DB_RECOVER and be refused with DB_RUNRECOVERY: the flaky
 *	"JOIN and DAEMON at once" case of test_store_proc. Every opener
 *	therefore holds an exclusive flock on the state directory while
 *	the environment is opened (created, recovered, failchk'ed), so the
 *	decision "does an environment exist" and the open itself are never
 *	interleaved with another process's creation.
 *
 *	store_gate_enter() waits for the gate at most
 *	LIMIT_STORE_OPEN_WAIT_MS (a daemon recovering a large store holds it
 *	for the recovery), polling, so no opener can hang for ever behind a
 *	stuck one. flock locks belong to the open file description: closing
 *	this descriptor never drops the daemon's fcntl locks on retryd.lock
 *	(store_lock.c), and the kernel frees the gate when the holder dies,
 *	however it dies. A read-only opener that cannot open the directory
 *	(group member without read permission) goes through ungated: it
 *	never creates anything.
 *
 *	The caller owns the descriptor returned until store_gate_leave().
 * DIAGNOSTICS
 *	-1 with err: the directory cannot be locked, or another process
 *	kept the gate longer than the bound ("another process is opening
 *	the store").
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "store/store_int.h"
#include "util/limits.h"

#define STORE_GATE_POLL_MS 10

int store_gate_enter(const char *dir, int readonly, int *fd_out, char *err,
		     size_t errlen)
{
	struct timespec nap = {0, STORE_GATE_POLL_MS * 1000000L};
	int fd;

	*fd_out = -1;
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		if (readonly)
			return 0;
		snprintf(err, errlen, "store: open %s: %s", dir,
			 strerror(errno));
		return -1;
	}
	for (int waited = 0;; waited += STORE_GATE_POLL_MS) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			break;
		if (errno != EWOULDBLOCK && errno != EINTR) {
			snprintf(err, errlen, "store: lock %s: %s", dir,
				 strerror(errno));
			close(fd);
			return -1;
		}
		if (waited >= LIMIT_STORE_OPEN_WAIT_MS) {
			snprintf(err, errlen,
				 "store: open %s: another process has been "
				 "opening the store for %d s (a recovery?): "
				 "try again later",
				 dir, LIMIT_STORE_OPEN_WAIT_MS / 1000);
			close(fd);
			return -1;
		}
		nanosleep(&nap, NULL);
	}
	*fd_out = fd;
	return 0;
}

void store_gate_leave(int fd)
{
	if (fd >= 0)
		close(fd); /* drops the flock */
}
