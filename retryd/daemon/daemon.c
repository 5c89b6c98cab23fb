/*
 * NAME
 *	daemon 3
 * SUMMARY
 *	the run loop: store, plugin, signals, timers, passes, reload
 * SYNOPSIS
 *	#include "daemon/daemon.h"
 *	int daemon_run(const char *policy_file, const struct policy *p,
 *	    int once);
 * DESCRIPTION
 *	daemon_run() takes the state_dir lock (one daemon per state_dir:
 *	a second one exits 75 naming the first one's pid), loads the MTA
 *	plugin, started as root forks the
 *	privileged helper and drops to [retryd] user (daemon_priv.c), opens
 *	the store (STORE_OPEN_DAEMON: recovery runs here and only here), then
 *	runs a pass every
 *	scan_interval and a store checkpoint every DAEMON_CHECKPOINT_MS,
 *	both timed on CLOCK_MONOTONIC; wall time is only handed to the pass
 *	to be recorded and compared. A wall clock that moved differently
 *	from the monotonic one is logged; the pass clamps next attempts and
 *	takes at most LIMIT_PASS_DUE due messages per pass (Promise 6).
 *	A pass costs what the live and due messages cost, not what the store
 *	keeps: it reads the state and due indexes, never every message, and
 *	deletes a bounded batch of old done messages and old verifications
 *	(retention.c), so with the checkpoints' log removal the disk stays
 *	bounded too (Promise 4).
 *
 *	Signals are read from a signalfd by the watchdog thread
 *	(daemon_watch.c), which forwards them to this loop and also runs
 *	Berkeley DB's failchk and bounds a stop: SIGTERM and SIGINT end the
 *	loop after the current pass (or the watchdog ends the process when
 *	the pass does not end in time); SIGHUP reloads the policy file: a
 *	file with errors is refused, each FILE:LINE error logged, and the
 *	old policy kept; so is a reload that changes mta, plugin_dir or
 *	state_dir (they need a restart). A panicked store is closed and
 *	opened again with recovery before the next pass (daemon_reopen).
 *
 *	The pass reaches the MTA through the observe layer (observe.c):
 *	with mode = observe nothing changes the queue; a reload switches.
 *
 *	--once: one pass, then the outcomes of what it released are awaited
 *	for at most DAEMON_ONCE_OUTCOME_WAIT_MS, then the summary line.
 *
 *	Owns: the store handle, the plugin, every policy loaded by a reload
 *	(the one passed in belongs to the caller), the signalfd.
 * DIAGNOSTICS
 *	A store that cannot be opened or recovered is fatal with the next
 *	step to take, before any mail action (Promise 7): return 1. Except
 *	a full disk (STORE_NOSPACE, even a crash's recovery on a full disk):
 *	retryd stays up, takes no mail action, and opens the store with
 *	recovery at the first pass after space came back (Promise 4).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "daemon/daemon.h"
#include "daemon/daemon_watch.h"
#include "fleet/fleet.h"
#include "util/log.h"
#include "util/monotime.h"
#include "pass/pass.h"
#include "daemon/daemon_report.h"
#include "daemon/notify.h"
#include "daemon/observe.h"
#include "daemon/plugin_load.h"
#include "daemon/daemon_priv.h"
#include "store/store.h"

#define DAEMON_CHECKPOINT_MS	    5000  /* store checkpoint period */
#define DAEMON_CLOCK_JUMP_S	    30	  /* wall vs monotonic drift logged */
#define DAEMON_ONCE_OUTCOME_WAIT_MS 10000 /* --once: wait for outcomes */
#define DAEMON_ONCE_OUTCOME_POLL_MS 100

struct daemon {
	const char *policy_file;
	const struct policy *policy; /* current */
	struct policy *owned;	     /* current, when loaded by a reload */
	struct store *store;
	struct plugin_handle plugin;
	struct observe observe; /* the pass calls the plugin through it */
	struct pass_ctx ctx;
	struct daemon_report report;
	struct daemon_priv priv; /* the helper, when running as root */
	int separated;		 /* priv is in use */
	struct fleet *fleet;	 /* NULL without [fleet] database */
	int sfd;
	int lockfd; /* STORE_LOCK_DAEMON on state_dir, for our whole life */
	struct daemon_watch watch; /* signals, failchk, bounded stop */
};

static int64_t daemon_wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec;
}

/* Log every "FILE:LINE: message" line of @param err. */
static void daemon_log_lines(const char *prefix, const char *err)
{
	const char *s = err;

	while (*s) {
		const char *e = strchr(s, '\n');
		int len = e ? (int)(e - s) : (int)strlen(s);

		if (len > 0)
			log_error("%s%.*s", prefix, len > 400 ? 400 : len, s);
		if (!e)
			break;
		s = e + 1;
	}
}

static int daemon_same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

static void daemon_reload(struct daemon *d)
{
	struct policy *np = NULL;
	char *err = calloc(1, 16384);
	const struct policy *old = d->policy;

	if (err == NULL)
		return;
	if (policy_load(d->policy_file, &np, err, 16384) < 0) {
		log_error("reload of %s refused; the running policy is kept:",
			  d->policy_file);
		daemon_log_lines("reload: ", err);
		free(err);
		return;
	}
	if (strcmp(np->mta, old->mta) != 0 ||
	    !daemon_same(np->plugin_dir, old->plugin_dir) ||
	    !daemon_same(np->state_dir, old->state_dir) ||
	    !daemon_same(np->fleet_database, old->fleet_database)) {
		log_error(
		    "reload of %s refused: mta, plugin_dir, state_dir and "
		    "[fleet] database change only with a restart; the running "
		    "policy is kept",
		    d->policy_file);
		policy_free(np);
		free(err);
		return;
	}
	if (pass_ctx_set_policy(&d->ctx, np, err, 16384) < 0) {
		log_error("reload of %s refused: %.400s", d->policy_file, err);
		policy_free(np);
		free(err);
		return;
	}
	if ((d->separated ? daemon_priv_reload(&d->priv, np, err, 16384)
			  : plugin_reopen(&d->plugin, np, err, 16384)) < 0) {
		log_error("reload of %s refused: %.400s", d->policy_file, err);
		if (pass_ctx_set_policy(&d->ctx, old, err, 16384) < 0)
			log_fatal(1,
				  "reload: cannot go back to the running "
				  "policy: %.400s",
				  err);
		policy_free(np);
		free(err);
		return;
	}
	if (!d->separated)
		d->observe.real_state = d->plugin.state;
	if (np->observe != old->observe)
		log_info("mode: %s (was %s)", np->observe ? "observe" : "act",
			 old->observe ? "observe" : "act");
	observe_set(&d->observe, np->observe);
	if (d->fleet != NULL)
		fleet_set_policy(d->fleet, np);
	policy_free(d->owned);
	d->owned = np;
	d->policy = np;
	log_info("reloaded %s", d->policy_file);
	free(err);
}

/* Read pending signals. @return 1 when asked to stop. */
static int daemon_signals(struct daemon *d)
{
	int stop = 0;
	int signo;

	while ((signo = daemon_watch_signal(&d->watch)) != 0) {
		if (signo == SIGHUP) {
			notify_send("RELOADING=1");
			daemon_reload(d);
			notify_send("READY=1");
		} else if (signo == SIGTERM || signo == SIGINT) {
			log_info("signal %d: stopping", signo);
			stop = 1;
		}
	}
	return stop;
}

static void daemon_once_outcomes(struct daemon *d)
{
	int64_t deadline = monotime_ms() + DAEMON_ONCE_OUTCOME_WAIT_MS;
	long left = 1;

	if (d->ctx.stats.attempted == 0)
		return;
	while (left > 0 && monotime_ms() < deadline) {
		struct timespec nap = {0,
				       DAEMON_ONCE_OUTCOME_POLL_MS * 1000000L};

		nanosleep(&nap, NULL);
		left = pass_collect_outcomes(&d->ctx, daemon_wall());
	}
	if (left > 0)
		log_info("once: %ld messages still wait for an outcome (read "
			 "next run)",
			 left);
}

/* One pass, then its summary, status and metrics (daemon_report.c). */
static int daemon_pass(struct daemon *d, int64_t wall, int64_t mono)
{
	int ok = pass_run(&d->ctx, wall) == 0;
	int64_t end = monotime_ms();

	daemon_report_pass(&d->report, d->policy, d->store, &d->ctx.stats, ok,
			   (double)(end - mono) / 1000.0, daemon_wall(), end);
	return ok ? 0 : -1;
}

/*
 * The store panicked (a process died inside Berkeley DB, or failchk
 * could not clean up): close it and open it again with recovery, which
 * only the daemon may run. Until that works no pass runs (no mail
 * action on a store we cannot trust); it is tried again every pass.
 */
static void daemon_reopen(struct daemon *d)
{
	char err[1024];

	daemon_watch_store(&d->watch, NULL);
	if (d->store) {
		log_error("store %s panicked: closing it and opening it again "
			  "with recovery",
			  d->policy->state_dir);
		store_close(d->store);
		d->store = NULL;
		d->ctx.store = NULL;
	}
	if (store_open(d->policy->state_dir, STORE_OPEN_DAEMON,
		       (size_t)d->policy->store_cache_mb << 20, &d->store, err,
		       sizeof(err)) != STORE_OK) {
		log_warn_limited("store-reopen", 300,
				 "store %s: %.800s (no mail action until it "
				 "opens; retried every pass)",
				 d->policy->state_dir, err);
		d->store = NULL;
		return;
	}
	log_info("store %s recovered and reopened", d->policy->state_dir);
	d->ctx.store = d->store;
	daemon_watch_store(&d->watch, d->store);
}

static int daemon_loop(struct daemon *d)
{
	int64_t mono = monotime_ms();
	int64_t next_pass = mono, next_ckpt = mono + DAEMON_CHECKPOINT_MS;
	int64_t next_sentinel = mono;
	int64_t next_fleet = mono;
	int64_t last_wall = 0, last_mono = 0;
	int64_t watchdog_ms = notify_watchdog_ms(), next_dog = mono;
	char err[512];

	for (;;) {
		struct pollfd pfd = {daemon_watch_fd(&d->watch), POLLIN, 0};
		int64_t wait;

		mono = monotime_ms();
		if (mono >= next_pass) {
			int64_t wall = daemon_wall();

			if (last_mono) {
				int64_t drift = (wall - last_wall) -
						(mono - last_mono) / 1000;
				if (drift > DAEMON_CLOCK_JUMP_S ||
				    drift < -DAEMON_CLOCK_JUMP_S)
					log_warn("wall clock jumped by %+llds: "
						 "next attempts "
						 "are clamped, at most %d due "
						 "messages per pass",
						 (long long)drift,
						 LIMIT_PASS_DUE);
			}
			last_wall = wall;
			last_mono = mono;
			if (d->store && store_needs_reopen(d->store))
				daemon_reopen(d);
			if (d->store)
				daemon_pass(d, wall, mono);
			if (d->store == NULL || store_needs_reopen(d->store))
				daemon_reopen(d);
			mono = monotime_ms();
			next_pass =
			    d->ctx.stats.capped
				? mono /* a cap was hit: go on now */
				: mono + d->policy->scan_interval * 1000;
		}
		daemon_watch_beat(&d->watch);
		if (mono >= next_sentinel && d->store) {
			pass_sentinel_run(&d->ctx, daemon_wall());
			mono = monotime_ms();
			next_sentinel =
			    mono + d->policy->sentinel_interval * 1000;
		}
		if (mono >= next_ckpt && d->store) {
			if (store_checkpoint(d->store, err, sizeof(err)) !=
			    STORE_OK)
				log_warn_limited("checkpoint", 300, "%.400s",
						 err);
			next_ckpt = mono + DAEMON_CHECKPOINT_MS;
		}
		if (watchdog_ms > 0 && mono >= next_dog) {
			notify_send("WATCHDOG=1");
			next_dog = mono + watchdog_ms;
		}
		if (d->fleet != NULL && d->store && mono >= next_fleet) {
			/* outside any store transaction; bounded by the
			 * connect deadline and the statement timeout */
			fleet_tick(d->fleet, d->store, daemon_wall());
			mono = monotime_ms();
			next_fleet = mono + d->policy->fleet_interval * 1000;
		}
		wait = next_pass < next_ckpt ? next_pass : next_ckpt;
		if (d->policy->sentinel_enabled && next_sentinel < wait)
			wait = next_sentinel;
		if (watchdog_ms > 0 && next_dog < wait)
			wait = next_dog;
		if (d->fleet != NULL && next_fleet < wait)
			wait = next_fleet;
		wait -= monotime_ms();
		if (wait < 0)
			wait = 0;
		if (poll(&pfd, 1, (int)wait) < 0 && errno != EINTR) {
			log_error("poll: %s", strerror(errno));
			return 1;
		}
		if ((pfd.revents & POLLIN) && daemon_signals(d))
			return 0;
	}
}

/*
 * Load the plugin, then (as root with a [retryd] user) fork the
 * privileged helper and drop to the user, and only then create or open
 * the store, so its files are the user's. @return 0, or -1 (logged;
 * nothing left open).
 */
static int daemon_open(struct daemon *d, const char *policy_file,
		       const struct policy *p, int once, char *err,
		       size_t errlen)
{
	int rc;

	if (plugin_load(p, &d->plugin, err, errlen) < 0) {
		log_error("%.800s", err);
		return -1;
	}
	d->ctx.plugin = d->plugin.pl;
	d->ctx.plugin_state = d->plugin.state;
	if (getuid() == 0 && p->user[0] != '\0') {
		if (daemon_priv_start(&d->priv, policy_file, p, &d->plugin,
				      &d->ctx, err, errlen) < 0) {
			log_error("%.800s (no mail action taken)", err);
			plugin_unload(&d->plugin);
			return -1;
		}
		d->separated = 1;
	}
	rc =
	    store_open(p->state_dir, STORE_OPEN_DAEMON,
		       (size_t)p->store_cache_mb << 20, &d->store, err, errlen);
	if (rc == STORE_NOSPACE && !once) {
		/* a full disk (even after a crash): wait for space, the loop
		 * opens (recovers) the store when it can */
		log_warn("store %s: %.800s: waiting for space (no mail action "
			 "until the store opens; tried every pass)",
			 p->state_dir, err);
		d->store = NULL;
		return 0;
	}
	if (rc != STORE_OK) {
		log_error("store %s: %.800s (no mail action taken)",
			  p->state_dir, err);
		if (d->separated)
			daemon_priv_stop(&d->priv);
		plugin_unload(&d->plugin);
		return -1;
	}
	return 0;
}

/*
 * One daemon per state_dir: the lock is taken before the store is
 * touched (and before the helper is forked and privileges dropped, so
 * priv_drop gives the lock file to the user too), and never waited
 * for. @return 0, STORE_LOCK_EX_BUSY (another process has it) or 1.
 */
static int daemon_lock(struct daemon *d, const struct policy *p)
{
	char err[STORE_LOCK_DIR_MAX + 128];
	long holder;
	int rc = store_lock(p->state_dir, STORE_LOCK_DAEMON, 0, &d->lockfd,
			    &holder, err, sizeof(err));

	if (rc == STORE_LOCK_OK)
		return 0;
	log_error("%s%s", err,
		  rc == STORE_LOCK_BUSY ? ": not starting a second retryd"
					: ": no mail action taken");
	return rc == STORE_LOCK_BUSY ? STORE_LOCK_EX_BUSY : 1;
}

int daemon_run(const char *policy_file, const struct policy *p, int once)
{
	struct daemon d;
	sigset_t set, old;
	uint64_t seed = 0;
	char err[1024];
	int rc = 1;

	memset(&d, 0, sizeof(d));
	d.policy_file = policy_file;
	d.policy = p;
	d.sfd = -1;
	d.lockfd = -1;
	/* Block the stop/reload signals before touching the store: a SIGTERM
	 * during recovery or plugin loading is read later from the signalfd,
	 * never kills us half-way (a process dying attached panics BDB). */
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (sigprocmask(SIG_BLOCK, &set, &old) < 0) {
		log_error("sigprocmask: %s", strerror(errno));
		return 1;
	}
	if ((rc = daemon_lock(&d, p)) != 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		return rc;
	}
	rc = 1;
	if (daemon_open(&d, policy_file, p, once, err, sizeof(err)) < 0) {
		store_unlock(d.lockfd);
		sigprocmask(SIG_SETMASK, &old, NULL);
		return 1;
	}
	if (p->fleet_database != NULL &&
	    ((d.store != NULL &&
	      store_outbox_enable(d.store, 0, err, sizeof(err)) != STORE_OK) ||
	     (d.fleet = fleet_new(p)) == NULL)) {
		if (d.fleet == NULL && store_outbox_enabled(d.store))
			snprintf(err, sizeof(err), "out of memory");
		log_error("fleet: %.800s (no mail action taken)", err);
		if (d.separated)
			daemon_priv_stop(&d.priv);
		plugin_unload(&d.plugin);
		store_close(d.store);
		sigprocmask(SIG_SETMASK, &old, NULL);
		return 1;
	}
	if (getrandom(&seed, sizeof(seed), 0) != (ssize_t)sizeof(seed))
		seed = (uint64_t)monotime_ms() ^ (uint64_t)getpid() << 32;
	d.ctx.store = d.store;
	/* observe wraps the verbs the daemon uses: the plugin's, or the
	 * privileged helper's client when separated */
	observe_init(&d.observe, d.ctx.plugin, d.ctx.plugin_state, p->observe);
	d.ctx.plugin = &d.observe.vt;
	d.ctx.plugin_state = &d.observe;
	if (pass_ctx_init(&d.ctx, p, seed, err, sizeof(err)) < 0) {
		log_error("%.800s", err);
		goto out;
	}
	if ((d.sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK)) < 0) {
		log_error("signalfd: %s", strerror(errno));
		goto out_ctx;
	}
	if (daemon_watch_start(&d.watch, d.sfd, d.store, err, sizeof(err)) <
	    0) {
		log_error("%.800s", err);
		close(d.sfd);
		goto out_ctx;
	}
	log_info(
	    "started: mta=%s, mode=%s, state_dir=%s, scan_interval=%llds%s",
	    p->mta, p->observe ? "observe" : "act", p->state_dir,
	    (long long)p->scan_interval, once ? ", once" : "");
	if (notify_send("READY=1") < 0)
		log_warn("NOTIFY_SOCKET: %s", strerror(errno));
	if (once) {
		int64_t start = monotime_ms();

		pass_sentinel_run(&d.ctx, daemon_wall());
		if (pass_run(&d.ctx, daemon_wall()) == 0) {
			pass_hooks_wait(&d.ctx, LIMIT_HOOK_TIMEOUT_MS);
			daemon_once_outcomes(&d);
			/* the first summary is always logged (tests read it) */
			daemon_report_pass(
			    &d.report, d.policy, d.store, &d.ctx.stats, 1,
			    (double)(monotime_ms() - start) / 1000.0,
			    daemon_wall(), monotime_ms());
			rc = 0;
		}
		if (d.fleet != NULL)
			fleet_tick(d.fleet, d.store, daemon_wall());
	} else {
		rc = daemon_loop(&d);
	}
	notify_send("STOPPING=1");
	daemon_watch_stop(&d.watch);
	close(d.sfd);
out_ctx:
	pass_ctx_free(&d.ctx);
out:
	observe_free(&d.observe);
	if (d.separated)
		daemon_priv_stop(&d.priv);
	fleet_close(d.fleet);
	plugin_unload(&d.plugin);
	store_close(d.store);
	store_unlock(d.lockfd);
	policy_free(d.owned);
	sigprocmask(SIG_SETMASK, &old, NULL);
	log_info("stopped");
	return rc;
}
