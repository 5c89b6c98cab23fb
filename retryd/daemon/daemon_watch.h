/*
 * NAME
 *	daemon_watch 3h
 * SUMMARY
 *	the daemon's watchdog thread: signals, failchk, bounded stop
 * DESCRIPTION
 *	See daemon_watch.c. Used by daemon.c only.
 */
#ifndef RETRYD_DAEMON_WATCH_H
#define RETRYD_DAEMON_WATCH_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

#define DAEMON_WATCH_EX_STUCK 75 /* exit status when the watchdog ends us */

struct daemon_watch {
	pthread_t thread;
	pthread_mutex_t mu; /* guards store (failchk vs reopen) */
	struct store *store;
	int sfd;     /* the signalfd (owned by the daemon) */
	int pipe[2]; /* signal numbers forwarded to the main loop */
	int wake[2]; /* daemon_watch_stop() wakes the thread */
	int started;
	atomic_int quit;
	atomic_llong stop_at;	 /* CLOCK_MONOTONIC ms of SIGTERM, 0 = none */
	atomic_llong beat;	 /* main loop's last heartbeat, ms */
	atomic_llong stop_grace; /* ms allowed between SIGTERM and exit */
};

/**
 * Start the watchdog on signalfd @param sfd and store @param st.
 * @return 0, or -1 with @param err.
 */
int daemon_watch_start(struct daemon_watch *w, int sfd, struct store *st,
		       char *err, size_t errlen);
/** The descriptor the main loop polls for forwarded signals. */
int daemon_watch_fd(const struct daemon_watch *w);
/** The next forwarded signal number, 0 when none is pending. */
int daemon_watch_signal(struct daemon_watch *w);
/** The main loop is alive (call once per loop turn). */
void daemon_watch_beat(struct daemon_watch *w);
/** Swap the store failchk runs on (NULL: none, while reopening). */
void daemon_watch_store(struct daemon_watch *w, struct store *st);
/** Stop and join the thread. Safe on a watchdog never started. */
void daemon_watch_stop(struct daemon_watch *w);

#endif
