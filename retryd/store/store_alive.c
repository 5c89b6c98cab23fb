/*
 * NAME
 *	store_alive 3
 * SUMMARY
 *	Berkeley DB's is-alive question answered honestly, and a way out of
 *	its mutex wait when the holder is dead
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
 *	the right to read its maps, or this process's own mapping of
 *	__db.001 not found the same way: a file system whose /proc device
 *	and inode differ from stat's), kill(pid, 0) alone decides, as before.
 *	Under a guard an answer is kept STORE_ALIVE_CACHE_MS for the same pid.
 *
 *	The way out. Berkeley DB 5.3.28's __db_pthread_mutex_prep() (static
 *	in src/mutex/mut_pthread.c, called by __db_pthread_mutex_lock and
 *	_unlock) waits, while DB_ENV_FAILCHK is set (during failchk, and
 *	during an open with DB_FAILCHK that found a dead registered
 *	process), by try-locking the mutex and asking is_alive(holder) in a
 *	loop. When the holder is dead, a thread with no thread slot yet or
 *	in failchk state sets DB_RUNRECOVERY but does not leave the loop
 *	(no break; 18.1 has one): it spins for ever. Any other thread blocks
 *	in pthread_mutex_lock for ever. Either way only the callback ever
 *	runs again. So an opener or failchk arms a guard (store_guard_arm,
 *	after a sigsetjmp) around the Berkeley DB call, and the callback
 *	(store_alive_ask), when it was called from that wait (a return
 *	address, from backtrace(3), inside one of Berkeley DB's mutex lock
 *	functions, whose ranges dlsym(3) and dladdr1(3) give at each arm)
 *	and the holder is dead, or has been waited for longer than
 *	STORE_GUARD_WAIT_MS, jumps back to the guard with siglongjmp. The
 *	caller then panics the environment and never uses the handle again
 *	(store_env.c). Outside a guard (the daemon's main thread) the
 *	callback answers and returns, as Berkeley DB expects. While a live
 *	holder is waited for under a guard, each question sleeps
 *	STORE_GUARD_NAP_US instead of letting Berkeley DB spin hot.
 *
 *	The guard belongs to its caller's stack frame; st->guard points at
 *	it while armed, and only the thread that armed it is caught (the
 *	daemon's main thread may ask too while the watchdog runs failchk:
 *	DB_ENV_FAILCHK is a flag of the whole handle). Owns nothing else.
 * DIAGNOSTICS
 *	None: a verdict, or a jump to the guard. Without the symbols of
 *	Berkeley DB's mutex functions (a static or other build) no wait is
 *	recognised and the guard never fires (the old behaviour).
 */
#include <dlfcn.h>
#include <errno.h>
#include <execinfo.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "store/store_int.h"
#include "util/monotime.h"
#ifdef RETRYD_TEST_FAULTS
#include "util/fault.h"
#endif

#define STORE_ALIVE_CACHE_MS 100  /* a verdict reused for the same pid */
#define STORE_ALIVE_STREAK   64	  /* same question in a row: maybe a wait */
#define STORE_ALIVE_FRAMES   10	  /* return addresses looked at */
#define STORE_ALIVE_LINE     1024 /* bytes of a /proc line read */
#define STORE_GUARD_NAP_US   1000 /* sleep per question on a live holder */

/* Berkeley DB functions whose is_alive calls are mutex waits: the
 * pthread build (Debian's), the test-and-set and hybrid ones. */
static const char *const alive_wait_fns[STORE_GUARD_WAIT_FNS] = {
    "__db_pthread_mutex_lock",
    "__db_pthread_mutex_unlock",
    "__db_tas_mutex_lock",
    "__db_hybrid_mutex_suspend",
};

/* The address range of the exported function @param name, or {0, 0}. */
static struct store_guard_range alive_resolve(const char *name)
{
	struct store_guard_range r = {0, 0};
	const ElfW(Sym) *sym = NULL;
	void *p = dlsym(RTLD_DEFAULT, name);
	Dl_info info;

	if (p != NULL &&
	    dladdr1(p, &info, (void **)&sym, RTLD_DL_SYMENT) != 0 &&
	    sym != NULL && sym->st_size > 0) {
		r.lo = (uintptr_t)p;
		r.hi = r.lo + sym->st_size;
	}
	return r;
}

/* Is one of our callers (past frame 0) inside one of @param r? */
static int alive_called_from(const struct store_guard_range *r, size_t nr)
{
	void *frames[STORE_ALIVE_FRAMES];
	int n = backtrace(frames, STORE_ALIVE_FRAMES);

	for (int f = 1; f < n; f++) {
		uintptr_t pc = (uintptr_t)frames[f];

		for (size_t i = 0; i < nr; i++)
			if (pc > r[i].lo && pc <= r[i].hi)
				return 1;
	}
	return 0;
}

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
	switch (alive_maps_file(pid, &sb)) {
	case 0:
		/*
		 * Not mapped: trusted only when this process's own mapping
		 * of the region reads the same way. Where /proc's device and
		 * inode disagree with stat(2) (a file system that reports
		 * them differently), a live holder must not turn dead: its
		 * locks and transactions would be taken from under it.
		 */
		return alive_maps_file(getpid(), &sb) != 1;
	case 1:
		return 1;
	default:
		return 1; /* unreadable: signal 0 decides */
	}
}

void store_guard_arm(struct store *st, struct store_guard *g)
{
	void *warm[2];

	memset(g->waits, 0, sizeof(g->waits));
	for (size_t i = 0; i < STORE_GUARD_WAIT_FNS; i++)
		g->waits[i] = alive_resolve(alive_wait_fns[i]);
	/* backtrace(3) loads its unwinder on first use: here, not inside
	 * Berkeley DB */
	(void)backtrace(warm, 2);
	g->thread = pthread_self();
	g->run_pid = g->cache_pid = 0;
	g->run_n = 0;
	g->run_wait = 0;
	g->run_since = g->cache_at = 0;
	atomic_store(&st->guard, g);
}

void store_guard_disarm(struct store *st)
{
	atomic_store(&st->guard, NULL);
}

/* Leave through the guard: Berkeley DB would never return. */
static void __attribute__((noreturn))
guard_escape(struct store *st, struct store_guard *g, pid_t holder, int dead,
	     int64_t waited)
{
	st->fired.holder = holder;
	st->fired.dead = dead;
	st->fired.waited_ms = waited;
	atomic_store(&st->guard, NULL);
	siglongjmp(g->jb, 1);
}

/* A question under this thread's guard @param g: see DESCRIPTION. */
static int guard_ask(struct store *st, struct store_guard *g, pid_t pid)
{
	struct timespec nap = {0, STORE_GUARD_NAP_US * 1000L};
	int64_t now = monotime_ms();
	int alive;

	if (g->cache_pid == pid && now - g->cache_at < STORE_ALIVE_CACHE_MS) {
		alive = g->cache_alive;
	} else {
		alive = store_alive_pid(st->dir, pid);
		g->cache_pid = pid;
		g->cache_alive = alive;
		g->cache_at = now;
	}
	if (g->run_pid != pid) {
		g->run_pid = pid;
		g->run_n = 0;
		g->run_wait = 0;
	}
	g->run_n++;
	/*
	 * Where is Berkeley DB asking from? A dead answer is the last one a
	 * wait ever gets: look every time (dead records are few). A live
	 * answer repeated is a wait, or a scan of one process's many
	 * records: look every STORE_ALIVE_STREAK questions until a wait.
	 */
	if (!alive || (!g->run_wait && g->run_n % STORE_ALIVE_STREAK == 0)) {
		int wait = alive_called_from(g->waits, STORE_GUARD_WAIT_FNS);

		if (wait && !g->run_wait)
			g->run_since = now;
		g->run_wait = wait;
	}
	if (!g->run_wait)
		return alive;
	if (!alive)
		guard_escape(st, g, pid, 1, 0);
	if (now - g->run_since > STORE_GUARD_WAIT_MS)
		guard_escape(st, g, pid, 0, now - g->run_since);
	nanosleep(&nap, NULL);
	return alive;
}

int store_alive_ask(struct store *st, pid_t pid)
{
	struct store_guard *g = atomic_load(&st->guard);

	if (g != NULL && pthread_equal(g->thread, pthread_self()))
		return guard_ask(st, g, pid);
	return store_alive_pid(st->dir, pid);
}

#ifdef RETRYD_TEST_FAULTS
void store_alive_fault(const char *name, const char *bdb_fn)
{
	const char *want = getenv("RETRYD_FAULT");
	struct store_guard_range r;

	if (want == NULL || strcmp(want, name) != 0)
		return;
	r = alive_resolve(bdb_fn);
	if (r.lo != 0 && alive_called_from(&r, 1))
		FAULT_POINT(name);
}
#endif
