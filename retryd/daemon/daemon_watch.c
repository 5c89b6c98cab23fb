/*
 * NAME
 *	daemon_watch 3
 * SUMMARY
 *	the daemon's watchdog thread: reads signals, runs Berkeley DB's
 *	failchk, and bounds how long a stop or a panicked store may take
 * SYNOPSIS
 *	#include "daemon/daemon_watch.h"
 * DESCRIPTION
 *	The main loop may block where it cannot see a signal: inside a pass,
 *	or (before failchk) on a Berkeley DB mutex left locked by a process
 *	that died attached. So a second thread, started once the store is
 *	open, does three things every LIMIT_STORE_FAILCHK_MS at most:
 *	  1. reads the signalfd (the signals are blocked in every thread)
 *	     and forwards each signal number to the main loop over a pipe,
 *	     which the loop polls; a SIGTERM/SIGINT also starts the stop
 *	     clock;
 *	  2. store_failchk(): the transactions and locks of processes that
 *	     died attached are released, so they block the daemon for at
 *	     most one interval;
 *	  3. bounds: a stop asked DAEMON_WATCH_STOP_GRACE_MS ago that the
 *	     main loop has not finished, or a panicked store while the main
 *	     loop has not come round for DAEMON_WATCH_PANIC_GRACE_MS (stuck
 *	     on a dead process's mutex), ends the process with status
 *	     DAEMON_WATCH_EX_STUCK after one log line: the supervisor
 *	     restarts it and the store is recovered at start (DB_REGISTER
 *	     sees the dead registration). Held mail stays recorded: nothing
 *	     is lost, it is only delayed. The stop grace stays below the
 *	     unit's TimeoutStopSec (120 s), so SIGTERM always ends retryd in
 *	     time and never needs SIGKILL.
 *	The thread touches the store only under w->mu, which the main loop
 *	takes to swap the store (reopen after a panic).
 *
 *	Owns the thread and the pipe; not the signalfd nor the store.
 * DIAGNOSTICS
 *	"watchdog: ..." log lines; failchk errors are rate-limited by the
 *	store's panic flag (logged once per panic).
 */
#include "daemon/daemon_watch.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "util/log.h"
#include "util/monotime.h"

#define DAEMON_WATCH_STOP_GRACE_MS  60000 /* < TimeoutStopSec (120 s) */
#define DAEMON_WATCH_PANIC_GRACE_MS 60000 /* main loop stuck, store panicked */

/* Forward pending signals to the main loop. */
static void watch_signals(struct daemon_watch *w)
{
	struct signalfd_siginfo si;

	while (read(w->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		uint32_t signo = si.ssi_signo;

		if ((signo == SIGTERM || signo == SIGINT) &&
		    atomic_load(&w->stop_at) == 0)
			atomic_store(&w->stop_at, monotime_ms());
		if (write(w->pipe[1], &signo, sizeof(signo)) !=
		    (ssize_t)sizeof(signo))
			log_error("watchdog: cannot forward signal %u: %s",
				  signo, strerror(errno));
	}
}

/* failchk on the current store; @return 1 when it is panicked. */
static int watch_failchk(struct daemon_watch *w, int *logged)
{
	char err[512];
	unsigned freed = 0;
	int panicked = 0;

	pthread_mutex_lock(&w->mu);
	if (w->store != NULL) {
		if (store_failchk(w->store, &freed, err, sizeof(err)) !=
		    STORE_OK) {
			if (!*logged)
				log_error("watchdog: %.400s", err);
			*logged = 1;
		} else if (freed) {
			log_warn("watchdog: failchk freed %u resources of "
				 "processes that died attached (%.200s)",
				 freed, err);
		}
		panicked = store_needs_reopen(w->store);
		if (!panicked)
			*logged = 0;
	}
	pthread_mutex_unlock(&w->mu);
	return panicked;
}

static void *watch_main(void *arg)
{
	struct daemon_watch *w = arg;
	int logged = 0;

	while (!atomic_load(&w->quit)) {
		struct pollfd pfd[2] = {{w->sfd, POLLIN, 0},
					{w->wake[0], POLLIN, 0}};
		int64_t now, stop_at;

		if (poll(pfd, 2, LIMIT_STORE_FAILCHK_MS) > 0 &&
		    (pfd[0].revents & POLLIN))
			watch_signals(w);
		if (atomic_load(&w->quit))
			break;
		int panicked = watch_failchk(w, &logged);
		now = monotime_ms();
		stop_at = atomic_load(&w->stop_at);
		if (stop_at && now - stop_at > atomic_load(&w->stop_grace)) {
			log_error("watchdog: asked to stop %llds ago and the "
				  "pass has not ended: exiting now (the store "
				  "is recovered at the next start; held mail "
				  "stays recorded)",
				  (long long)(now - stop_at) / 1000);
			_exit(DAEMON_WATCH_EX_STUCK);
		}
		if (panicked &&
		    now - atomic_load(&w->beat) > DAEMON_WATCH_PANIC_GRACE_MS) {
			log_error("watchdog: the store is panicked and the "
				  "main loop has been stuck for %llds: exiting "
				  "so that the next start recovers the store",
				  (long long)(now - atomic_load(&w->beat)) /
				      1000);
			_exit(DAEMON_WATCH_EX_STUCK);
		}
	}
	return NULL;
}

int daemon_watch_start(struct daemon_watch *w, int sfd, struct store *st,
		       char *err, size_t errlen)
{
	int rc;

	memset(w, 0, sizeof(*w));
	w->sfd = sfd;
	w->store = st;
	atomic_store(&w->beat, monotime_ms());
	atomic_store(&w->stop_grace, DAEMON_WATCH_STOP_GRACE_MS);
	if (pipe2(w->pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
		snprintf(err, errlen, "watchdog: pipe: %s", strerror(errno));
		return -1;
	}
	if (pipe2(w->wake, O_CLOEXEC | O_NONBLOCK) < 0) {
		snprintf(err, errlen, "watchdog: pipe: %s", strerror(errno));
		close(w->pipe[0]);
		close(w->pipe[1]);
		return -1;
	}
	pthread_mutex_init(&w->mu, NULL);
	if ((rc = pthread_create(&w->thread, NULL, watch_main, w)) != 0) {
		snprintf(err, errlen, "watchdog: thread: %s", strerror(rc));
		close(w->pipe[0]);
		close(w->pipe[1]);
		close(w->wake[0]);
		close(w->wake[1]);
		pthread_mutex_destroy(&w->mu);
		return -1;
	}
	w->started = 1;
	return 0;
}

int daemon_watch_fd(const struct daemon_watch *w)
{
	return w->pipe[0];
}

int daemon_watch_signal(struct daemon_watch *w)
{
	uint32_t signo;

	if (read(w->pipe[0], &signo, sizeof(signo)) != (ssize_t)sizeof(signo))
		return 0;
	return (int)signo;
}

void daemon_watch_beat(struct daemon_watch *w)
{
	atomic_store(&w->beat, monotime_ms());
}

void daemon_watch_store(struct daemon_watch *w, struct store *st)
{
	pthread_mutex_lock(&w->mu);
	w->store = st;
	pthread_mutex_unlock(&w->mu);
}

void daemon_watch_stop(struct daemon_watch *w)
{
	if (!w->started)
		return;
	atomic_store(&w->quit, 1);
	if (write(w->wake[1], "q", 1) != 1)
		log_warn("watchdog: wake: %s", strerror(errno));
	pthread_join(w->thread, NULL);
	close(w->pipe[0]);
	close(w->pipe[1]);
	close(w->wake[0]);
	close(w->wake[1]);
	pthread_mutex_destroy(&w->mu);
	w->started = 0;
}
