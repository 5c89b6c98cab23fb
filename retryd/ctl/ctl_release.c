/*
 * NAME
 *	ctl_release 3
 * SUMMARY
 *	retryctl release ID...|--all: give held messages back to the MTA
 * SYNOPSIS
 *	retryctl [-c FILE] release ID...
 *	retryctl [-c FILE] release --all
 * DESCRIPTION
 *	For uninstalling retryd, or taking one message out of its hands.
 *	Joins the daemon's store (STORE_OPEN_JOIN, never recovery), loads
 *	the MTA plugin named by the policy, and for every message recorded as
 *	held by retryd (ADOPT_INTENT, HELD, RELEASE_INTENT, GIVEBACK_INTENT):
 *	  1. in one transaction per batch: state GIVEBACK_INTENT, reason
 *	     "giveback:release: released by operator", an evidence record per
 *	     pending recipient;
 *	  2. plugin->release() for the batch (one MTA command);
 *	  3. state DONE, reason "released by operator".
 *	Ids are checked with the plugin's valid_id first. Messages being
 *	attempted (already released) and finished ones are left as they are.
 *
 *	Stopping retryd first is best (then nothing is adopted again while you
 *	uninstall). A running daemon is safe too: it never adopts again an id
 *	whose record says "released by operator" or "giveback:", and if step
 *	2 fails it replays the recorded release itself once the id is in a
 *	complete listing.
 *
 *	Prints one line per message and "released N messages".
 * DIAGNOSTICS
 *	"retryctl: release: ..." on stderr. Exit 0 when every asked id was
 *	released, 1 when one failed or was not held by retryd, 2 on usage.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl/ctl.h"
#include "util/log.h"
#include "daemon/plugin_load.h"
#include "store/store_journal.h"

#define RELEASE_BATCH	      LIMIT_PASS_BATCH
#define RELEASE_INTENT_REASON "giveback:release: released by operator"
#define RELEASE_DONE_REASON   "released by operator"

struct release_ids {
	char (*ids)[LIMIT_QUEUE_ID + 1];
	size_t n, cap;
};

static int release_add(struct release_ids *r, const char *id)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;
		void *p = realloc(r->ids, cap * sizeof(*r->ids));

		if (p == NULL)
			return -1;
		r->ids = p;
		r->cap = cap;
	}
	snprintf(r->ids[r->n++], sizeof(r->ids[0]), "%s", id);
	return 0;
}

static int release_held_state(enum store_msg_state s)
{
	return s == STORE_MSG_ADOPT_INTENT || s == STORE_MSG_HELD ||
	       s == STORE_MSG_RELEASE_INTENT || s == STORE_MSG_GIVEBACK_INTENT;
}

struct release_walk {
	const char *mta;
	struct release_ids *ids;
	struct store_journal_ids *known; /* every id of the store's mta */
	int oom;
};

static int release_collect(const struct store_message *m, void *arg)
{
	struct release_walk *w = arg;

	if (strcmp(m->mta, w->mta) != 0)
		return 0;
	if ((release_held_state(m->state) &&
	     release_add(w->ids, m->queue_id) < 0) ||
	    store_journal_ids_add(w->known, m->queue_id) < 0) {
		w->oom = 1;
		return 1;
	}
	return 0;
}

/* Step 1 (@param done 0) or step 3 (@param done 1) for one batch. */
static int release_mark(struct store *st, const struct ctl_context *ctx,
			const char *const *ids, size_t n, int done,
			unsigned char *ok, char *err, size_t errlen)
{
	for (int tries = 0; tries < LIMIT_STORE_DEADLOCK_TRIES; tries++) {
		struct store_txn *txn;
		int rc = STORE_OK;

		if (store_txn_begin(st, &txn, err, errlen) != STORE_OK)
			return STORE_ERROR;
		for (size_t i = 0; i < n && rc == STORE_OK; i++) {
			struct store_message *m = NULL;

			if (!done)
				ok[i] = 0;
			else if (!ok[i])
				continue;
			rc = store_get_message(st, txn, ctx->policy->mta,
					       ids[i], &m, err, errlen);
			if (rc == STORE_NOTFOUND) {
				rc = STORE_OK;
				continue;
			}
			if (rc != STORE_OK)
				break;
			if (!done && release_held_state(m->state)) {
				for (size_t r = 0;
				     r < m->nrcpts && rc == STORE_OK; r++) {
					struct store_evidence ev;

					if (m->rcpts[r].state !=
					    STORE_RCPT_PENDING)
						continue;
					store_evidence_fill(
					    &ev,
					    &(struct store_evidence_src){
						.address = m->rcpts[r].address,
						.time = ctx->now,
						.queue_id = m->queue_id,
						.host_id = ctx->policy->host_id,
						.verdict = "-",
						.outcome = STORE_OUTCOME_NONE},
					    "released by operator "
					    "(retryctl release)");
					rc = store_add_evidence(st, txn, &ev,
								err, errlen);
				}
				m->state = STORE_MSG_GIVEBACK_INTENT;
				m->next_attempt = 0;
				snprintf(m->last_reason, sizeof(m->last_reason),
					 "%s", RELEASE_INTENT_REASON);
				ok[i] = 1;
				if (rc == STORE_OK)
					rc = store_put_message(st, txn, m, err,
							       errlen);
			} else if (done &&
				   m->state == STORE_MSG_GIVEBACK_INTENT) {
				for (size_t r = 0; r < m->nrcpts; r++)
					if (m->rcpts[r].state ==
					    STORE_RCPT_PENDING)
						m->rcpts[r].state =
						    STORE_RCPT_GIVEN_BACK;
				m->state = STORE_MSG_DONE;
				snprintf(m->last_reason, sizeof(m->last_reason),
					 "%s", RELEASE_DONE_REASON);
				rc = store_put_message(st, txn, m, err, errlen);
			}
			store_message_free(m);
		}
		if (rc != STORE_OK) {
			store_txn_abort(txn);
			if (rc == STORE_RETRY)
				continue;
			return rc;
		}
		rc = store_txn_commit(txn, err, errlen);
		if (rc != STORE_RETRY)
			return rc;
	}
	snprintf(err, errlen, "store: still deadlocked");
	return STORE_ERROR;
}

/*
 * The store cannot be opened or read: release what the hold journal
 * names and the MTA holds, with no daemon running (its lock is taken).
 */
static int release_journal_only(struct ctl_context *ctx,
				struct plugin_handle *ph)
{
	char err[LIMIT_PATH + 128];
	long holder, n;
	int lockfd, rc;

	rc = store_lock(ctx->policy->state_dir, STORE_LOCK_DAEMON, 0, &lockfd,
			&holder, err, sizeof(err));
	if (rc != STORE_LOCK_OK) {
		fprintf(stderr, "retryctl: release: %s%s\n", err,
			rc == STORE_LOCK_BUSY
			    ? " (retryd runs: stop it, then run this again)"
			    : "");
		return rc == STORE_LOCK_BUSY ? STORE_LOCK_EX_BUSY
					     : CTL_EXIT_ERROR;
	}
	fprintf(stderr, "retryctl: release: the store cannot be used: "
			"releasing what the hold journal names\n");
	n = ctl_release_journal(ctx, ph, NULL);
	store_unlock(lockfd);
	if (n < 0)
		return CTL_EXIT_ERROR;
	fprintf(ctx->out, "released %ld message%s (hold journal)\n", n,
		n == 1 ? "" : "s");
	return CTL_EXIT_OK;
}

static int release_usage(void)
{
	fprintf(stderr, "usage: retryctl [-c FILE] release ID...|--all\n");
	return CTL_EXIT_USAGE;
}

static int release_run(struct ctl_context *ctx, struct store *st,
		       struct plugin_handle *ph, struct release_ids *want,
		       int all)
{
	size_t released = 0;
	int failed = 0;
	char err[1024];

	for (size_t off = 0; off < want->n; off += RELEASE_BATCH) {
		size_t k = want->n - off < RELEASE_BATCH ? want->n - off
							 : RELEASE_BATCH;
		const char *ids[RELEASE_BATCH], *give[RELEASE_BATCH];
		unsigned char ok[RELEASE_BATCH];
		size_t ng = 0, done = 0;

		for (size_t i = 0; i < k; i++)
			ids[i] = want->ids[off + i];
		if (release_mark(st, ctx, ids, k, 0, ok, err, sizeof(err)) !=
		    STORE_OK) {
			fprintf(stderr,
				"retryctl: release: %s (nothing released)\n",
				err);
			return CTL_EXIT_ERROR;
		}
		for (size_t i = 0; i < k; i++) {
			if (ok[i]) {
				give[ng++] = ids[i];
			} else if (!all) {
				fprintf(stderr,
					"retryctl: release: %s: not held by "
					"retryd\n",
					ids[i]);
				failed = 1;
			}
		}
		if (ng == 0)
			continue;
		if (ph->pl->release(ph->state, give, ng, &done, err,
				    sizeof(err)) < 0) {
			fprintf(
			    stderr,
			    "retryctl: release: %s (the release is recorded; "
			    "retryd replays it, or run this command again)\n",
			    err);
			return CTL_EXIT_ERROR;
		}
		if (release_mark(st, ctx, ids, k, 1, ok, err, sizeof(err)) !=
		    STORE_OK) {
			fprintf(stderr,
				"retryctl: release: %s (released in the MTA; "
				"the record is fixed by the next run)\n",
				err);
			failed = 1;
		}
		for (size_t i = 0; i < ng; i++)
			fprintf(ctx->out, "%s: released\n", give[i]);
		released += ng;
	}
	fprintf(ctx->out, "released %zu message%s\n", released,
		released == 1 ? "" : "s");
	return failed ? CTL_EXIT_ERROR : CTL_EXIT_OK;
}

int ctl_release(struct ctl_context *ctx, int argc, char **argv)
{
	struct release_ids want = {0};
	struct store_journal_ids known = {0};
	struct plugin_handle ph;
	struct store *st;
	char err[1024];
	int all = 0, rc, lockfd;

	if (argc < 2)
		return release_usage();
	if (strcmp(argv[1], "--all") == 0) {
		if (argc != 2)
			return release_usage();
		all = 1;
	}
	if (plugin_load(ctx->policy, &ph, err, sizeof(err)) < 0) {
		fprintf(stderr, "retryctl: release: %s\n", err);
		return CTL_EXIT_ERROR;
	}
	for (int i = 1; !all && i < argc; i++) {
		int bad = ctl_check_arg("release", "queue id", argv[i],
					LIMIT_QUEUE_ID) < 0;

		if (!bad && !ph.pl->valid_id(argv[i])) {
			fprintf(stderr,
				"retryctl: release: not a %s queue id: %.40s\n",
				ctx->policy->mta, argv[i]);
			bad = 1;
		}
		if (bad) {
			plugin_unload(&ph);
			free(want.ids);
			return CTL_EXIT_USAGE;
		}
		release_add(&want, argv[i]);
	}
	if ((rc = ctl_store_lock_writer(ctx, "release", &lockfd)) !=
	    CTL_EXIT_OK) {
		plugin_unload(&ph);
		free(want.ids);
		return rc;
	}
	if ((st = ctl_store_open(ctx, "release")) == NULL) {
		store_unlock(lockfd);
		rc = all ? release_journal_only(ctx, &ph) : CTL_EXIT_ERROR;
		plugin_unload(&ph);
		free(want.ids);
		return rc;
	}
	if (all) {
		struct release_walk w = {
		    .mta = ctx->policy->mta, .ids = &want, .known = &known};
		if (store_walk_messages(st, release_collect, &w, err,
					sizeof(err)) < 0 ||
		    w.oom) {
			fprintf(stderr, "retryctl: release: %s\n",
				w.oom ? "out of memory" : err);
			store_close(st);
			store_unlock(lockfd);
			/* the store cannot be read: the journal can */
			rc = w.oom ? CTL_EXIT_ERROR
				   : release_journal_only(ctx, &ph);
			goto out;
		}
		store_journal_ids_sort(&known);
	}
	rc = release_run(ctx, st, &ph, &want, all);
	if (all) { /* held by retryd, unknown to the store (a lost store) */
		long n = ctl_release_journal(ctx, &ph, &known);

		if (n < 0)
			rc = CTL_EXIT_ERROR;
		else if (n > 0)
			fprintf(ctx->out,
				"released %ld more message%s (hold journal)\n",
				n, n == 1 ? "" : "s");
	}
	store_close(st);
	store_unlock(lockfd);
out:
	store_journal_ids_free(&known);
	plugin_unload(&ph);
	free(want.ids);
	return rc;
}
