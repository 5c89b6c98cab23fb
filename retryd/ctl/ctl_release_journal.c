/*
 * NAME
 *	ctl_release_journal 3
 * SUMMARY
 *	retryctl release --all without the store: the hold journal
 * DESCRIPTION
 *	ctl_release_journal() gives back to the MTA every message the MTA
 *	lists as held whose queue id is in state_dir/hold.journal (what
 *	retryd journaled before each hold, store_journal.c) and not in
 *	@param skip (ids the store accounts for: released by the store path
 *	already, or known there as not held by retryd). A held message
 *	that is not in the journal was held by someone else: never touched.
 *
 *	ctl_release() runs it after the store path of `release --all`, and
 *	alone when the store cannot be opened or read (deleted, corrupted
 *	beyond recovery): then no daemon may run (the daemon lock on
 *	state_dir is taken, never waited for), so nothing is held again
 *	behind our back.
 *
 *	One line per message, "ID: released (hold journal)".
 * DIAGNOSTICS
 *	"retryctl: release: ..." on stderr; @return the number released, or
 *	-1 when the journal or the listing cannot be read or a release
 *	failed.
 */
#include <stdio.h>
#include <string.h>

#include "ctl/ctl.h"
#include "daemon/plugin_load.h"
#include "store/store_journal.h"

#define RELEASE_J_BATCH LIMIT_PASS_BATCH

/* Release @param n ids in one MTA command. @return 0 or -1. */
static int release_j_batch(struct ctl_context *ctx, struct plugin_handle *ph,
			   const char *const *ids, size_t n)
{
	char err[1024];
	size_t done = 0;

	if (n == 0)
		return 0;
	if (ph->pl->release(ph->state, ids, n, &done, err, sizeof(err)) < 0) {
		fprintf(stderr, "retryctl: release: %s (run it again)\n", err);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		fprintf(ctx->out, "%s: released (hold journal)\n", ids[i]);
	return 0;
}

long ctl_release_journal(struct ctl_context *ctx, struct plugin_handle *ph,
			 const struct store_journal_ids *skip)
{
	struct store_journal_ids j;
	struct mta_listing l = {0};
	const char *batch[RELEASE_J_BATCH];
	size_t nb = 0;
	long released = 0, rc = 0;
	char err[1024];

	if (store_journal_read(ctx->policy->state_dir, ctx->policy->mta, &j,
			       err, sizeof(err)) < 0) {
		fprintf(stderr, "retryctl: release: %s\n", err);
		return -1;
	}
	if (j.n == 0) {
		store_journal_ids_free(&j);
		return 0;
	}
	if (ph->pl->scan(ph->state, &l, err, sizeof(err)) < 0) {
		fprintf(stderr, "retryctl: release: MTA listing: %s\n", err);
		store_journal_ids_free(&j);
		return -1;
	}
	for (size_t i = 0; i < l.n && rc == 0; i++) {
		const struct mta_message *m = &l.msgs[i];

		if (!m->held || !ph->pl->valid_id(m->queue_id) ||
		    !store_journal_has(&j, m->queue_id) ||
		    (skip && store_journal_has(skip, m->queue_id)))
			continue;
		batch[nb++] = m->queue_id;
		if (nb == RELEASE_J_BATCH) {
			rc = release_j_batch(ctx, ph, batch, nb);
			released += rc == 0 ? (long)nb : 0;
			nb = 0;
		}
	}
	if (rc == 0 && nb > 0) {
		rc = release_j_batch(ctx, ph, batch, nb);
		released += rc == 0 ? (long)nb : 0;
	}
	ph->pl->listing_free(&l);
	store_journal_ids_free(&j);
	return rc < 0 ? -1 : released;
}
