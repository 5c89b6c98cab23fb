/*
 * NAME
 *	store_alive 3
 * SUMMARY
 *	Berkeley DB's is-alive question answered honestly
 * SYNOPSIS
 *	#include "store/store_int.h"
 * DESCRIPTION
 *	Berkeley DB 5.3 asks the is-alive callback (store_env.c) whether the
 *	process that registered a thread, a locker, a transaction or a mutex
 *	is still there. store_alive_pid() answers for another process:
 *	  - gone (kill(pid, 0) says ESRCH): dead;
 *	  - a zombie ('Z' or 'X' in /proc/PID/stat): dead; a killed process
 *	    not yet reaped answers signal 0, but holds nothing;
 *	  - alive but not mapping this environment's main region file
 *	    (__db.001, by device and inode, in /proc/PID/maps): dead. Only a
 *	    process attached to the environment can hold its mutexes, locks
 *	    or transactions, so a pid reused by an unrelated process (pid_max
 *	    is 32768 here, and make check forks a lot) or one attached to an
 *	    older copy of the regions (before a recovery) is not taken for
 *	    the holder. Chosen over comparing start times: the mutexes carry
 *	    no time, while the mapping is the attachment itself.
 *	When /proc cannot tell (not mounted, another user's process without
 *	the right to read its maps), kill(pid, 0) alone decides, as before.
 *
 *	Owns nothing.
 * DIAGNOSTICS
 *	None: a verdict.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "store/store_int.h"

#define STORE_ALIVE_LINE 1024 /* bytes of a /proc line read */

/* The state letter of /proc/@param pid/stat, 0 when unreadable. */
static char alive_proc_state(pid_t pid)
{
	char path[64], line[STORE_ALIVE_LINE], *close_paren;
	FILE *f;
	char state = 0;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((f = fopen(path, "re")) == NULL)
		return 0;
	/* "pid (comm) S ...": comm may hold spaces and parentheses */
	if (fgets(line, sizeof(line), f) != NULL &&
	    (close_paren = strrchr(line, ')')) != NULL && close_paren[1] == ' ')
		state = close_paren[2];
	fclose(f);
	return state;
}

/*
 * Does @param pid map the file @param sb (device, inode)? @return 1, 0,
 * or -1 when its maps cannot be read.
 */
static int alive_maps_file(pid_t pid, const struct stat *sb)
{
	char path[64], line[STORE_ALIVE_LINE];
	FILE *f;
	int found = 0;

	snprintf(path, sizeof(path), "/proc/%ld/maps", (long)pid);
	if ((f = fopen(path, "re")) == NULL)
		return -1;
	while (!found && fgets(line, sizeof(line), f) != NULL) {
		unsigned maj, min;
		unsigned long long ino;

		/* "lo-hi perms offset maj:min inode path" */
		if (sscanf(line, "%*s %*s %*s %x:%x %llu", &maj, &min, &ino) ==
			3 &&
		    ino == (unsigned long long)sb->st_ino &&
		    makedev(maj, min) == sb->st_dev)
			found = 1;
		/* a line longer than the buffer: skip its tail */
		while (strchr(line, '\n') == NULL &&
		       fgets(line, sizeof(line), f) != NULL)
			;
	}
	if (ferror(f))
		found = -1;
	fclose(f);
	return found;
}

int store_alive_pid(const char *dir, pid_t pid)
{
	char region[STORE_DIR_MAX + 16];
	struct stat sb;
	char state;

	if (pid == getpid())
		return 1;
	if (kill(pid, 0) != 0 && errno != EPERM)
		return 0;
	state = alive_proc_state(pid);
	if (state == 'Z' || state == 'X')
		return 0;
	snprintf(region, sizeof(region), "%s/__db.001", dir);
	if (state == 0 || stat(region, &sb) != 0)
		return 1; /* /proc cannot tell: signal 0 decides */
	return alive_maps_file(pid, &sb) != 0; /* unreadable: alive */
}
