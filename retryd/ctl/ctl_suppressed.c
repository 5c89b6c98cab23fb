/*
 * NAME
 *	ctl_suppressed 3
 * SUMMARY
 *	retryctl suppressed [--json]; retryctl unsuppress ADDRESS
 * SYNOPSIS
 *	#include "ctl/ctl.h"
 * DESCRIPTION
 *	suppressed lists the suppressed addresses in key order: address,
 *	since when (ISO 8601 UTC), and the reason the criteria gave. --json
 *	prints an array of {address, since, reason, evidence}.
 *
 *	unsuppress ADDRESS reads the record and deletes it in one store
 *	transaction, prints what it removed and logs the action to stderr.
 *	It only changes the suppressed table: the exported lookup tables
 *	catch up when they are next exported.
 *
 *	Owns: the store handle, per command.
 * DIAGNOSTICS
 *	Exit 0; 1 when the address is not suppressed or the store fails; 2
 *	on bad usage or a malformed address.
 */
#include "ctl/ctl.h"

#include <time.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ctl/ctl_table.h"
#include "util/log.h"
#include "suppress/suppress.h"

#define SUPPRESSED_REASON_WIDTH 80 /* reason shown in the table */

struct suppressed_walk {
	struct ctl_table *table;
	struct ctl_json_stream json;
	int as_json;
	int failed;
};

static int suppressed_one(const struct store_suppressed *s, void *arg)
{
	struct suppressed_walk *w = arg;
	char since[40];

	if (w->as_json) {
		json_t *o = json_object();

		if (o != NULL) {
			json_object_set_new(o, "address",
					    ctl_json_string(s->address));
			json_object_set_new(o, "since", ctl_json_time(s->time));
			json_object_set_new(o, "reason",
					    ctl_json_string(s->reason));
			json_object_set_new(o, "evidence",
					    ctl_json_string(s->evidence));
		}
		ctl_json_stream_add(&w->json, o);
		return 0;
	}
	ctl_format_iso(s->time, since, sizeof(since));
	{
		const char *cells[3] = {s->address, since,
					s->reason[0] ? s->reason : NULL};

		if (ctl_table_add(w->table, cells) < 0)
			return w->failed = -1;
	}
	return 0;
}

int ctl_suppressed(struct ctl_context *ctx, int argc, char **argv)
{
	static const struct ctl_table_col cols[] = {
	    {"ADDRESS", 0, 0},
	    {"SINCE", 0, 0},
	    {"REASON", SUPPRESSED_REASON_WIDTH, 0}};
	struct suppressed_walk w = {0};
	struct store *st = NULL;
	char err[512];
	int rc = CTL_EXIT_OK, ret = STORE_OK;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			w.as_json = 1;
		} else {
			fprintf(stderr,
				"usage: retryctl suppressed [--json]\n");
			return CTL_EXIT_USAGE;
		}
	}
	if (!ctl_store_missing(ctx) &&
	    (st = ctl_store_open(ctx, "suppressed")) == NULL)
		return CTL_EXIT_ERROR;
	if (!w.as_json && (w.table = ctl_table_new(cols, 3)) == NULL) {
		fprintf(stderr, "retryctl: suppressed: out of memory\n");
		store_close(st);
		return CTL_EXIT_ERROR;
	}
	if (w.as_json)
		ctl_json_stream_begin(&w.json, ctx->out);
	if (st != NULL)
		ret = store_walk_suppressed(st, suppressed_one, &w, err,
					    sizeof(err));
	if (ret != STORE_OK) {
		fprintf(stderr, "retryctl: suppressed: %s\n",
			w.failed ? "out of memory" : err);
		rc = CTL_EXIT_ERROR;
	}
	if (w.as_json && ctl_json_stream_end(&w.json) < 0) {
		fprintf(stderr, "retryctl: suppressed: cannot encode JSON\n");
		rc = CTL_EXIT_ERROR;
	}
	if (!w.as_json)
		ctl_table_print(w.table, ctx->out, "");
	ctl_table_free(w.table);
	store_close(st);
	return rc;
}

/*
 * Read and delete @param address in one transaction.
 * @return STORE_OK (and *old), STORE_NOTFOUND, STORE_RETRY or an error.
 */
static int unsuppress_txn(struct store *st, const char *address,
			  struct store_suppressed *old, char *err,
			  size_t errlen)
{
	struct store_txn *txn;
	int ret;

	if ((ret = store_txn_begin(st, &txn, err, errlen)) != STORE_OK)
		return ret;
	ret = store_get_suppressed(st, txn, address, old, err, errlen);
	if (ret == STORE_OK)
		ret = store_del_suppressed(st, txn, address, err, errlen);
	if (ret == STORE_OK) {
		/* The operator vouches for the address: restart the count, or
		 * the old evidence would suppress it again at the next failure. */
		struct store_evidence *ev = calloc(1, sizeof(*ev));

		if (ev == NULL) {
			store_txn_abort(txn);
			snprintf(err, errlen, "out of memory");
			return STORE_ERROR;
		}
		store_evidence_fill(
		    ev,
		    &(struct store_evidence_src){.address = address,
						 .time = (int64_t)time(NULL),
						 .outcome = STORE_OUTCOME_NONE,
						 .category =
						     SUPPRESS_OPERATOR_RESET},
		    "unsuppressed by the operator (retryctl unsuppress)");
		ret = store_add_evidence(st, txn, ev, err, errlen);
		free(ev);
	}
	if (ret != STORE_OK) {
		store_txn_abort(txn);
		return ret;
	}
	return store_txn_commit(txn, err, errlen);
}

int ctl_unsuppress(struct ctl_context *ctx, int argc, char **argv)
{
	struct store_suppressed old;
	struct store *st;
	char err[512], since[40], reason[201];
	int ret, lockfd, fleet_rc = CTL_EXIT_OK;

	if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: retryctl unsuppress ADDRESS\n");
		return CTL_EXIT_USAGE;
	}
	if (ctl_check_arg("unsuppress", "address", argv[1], LIMIT_ADDRESS) < 0)
		return CTL_EXIT_USAGE;
	if (ctl_store_missing(ctx)) {
		fprintf(stderr,
			"retryctl: unsuppress: %s is not suppressed "
			"(no store in %s yet)\n",
			argv[1], ctx->policy->state_dir);
		return CTL_EXIT_ERROR;
	}
	if ((ret = ctl_store_lock_writer(ctx, "unsuppress", &lockfd)) !=
	    CTL_EXIT_OK)
		return ret;
	if ((st = ctl_store_open(ctx, "unsuppress")) == NULL) {
		store_unlock(lockfd);
		return CTL_EXIT_ERROR;
	}
	memset(&old, 0, sizeof(old));
	ret = STORE_RETRY;
	for (int try = 0;
	     ret == STORE_RETRY && try < LIMIT_STORE_DEADLOCK_TRIES; try++)
		ret = unsuppress_txn(st, argv[1], &old, err, sizeof(err));
	if (ctx->policy->fleet_database != NULL &&
	    (ret == STORE_OK || ret == STORE_NOTFOUND)) {
		/* in a fleet: cleared on every host, found here or not */
		int frc = ctl_fleet_unsuppress(ctx, st, argv[1]);

		if (ret == STORE_NOTFOUND) {
			store_close(st);
			store_unlock(lockfd);
			return frc;
		}
		if (frc != CTL_EXIT_OK)
			fleet_rc = frc;
	}
	store_close(st);
	store_unlock(lockfd);
	if (ret == STORE_NOTFOUND) {
		fprintf(stderr, "retryctl: unsuppress: %s is not suppressed\n",
			argv[1]);
		return CTL_EXIT_ERROR;
	}
	if (ret != STORE_OK) {
		fprintf(stderr, "retryctl: unsuppress: %s: %s\n", argv[1],
			ret == STORE_RETRY ? "the store stayed busy; try again"
					   : err);
		return CTL_EXIT_ERROR;
	}
	ctl_format_iso(old.time, since, sizeof(since));
	log_printable(reason, sizeof(reason),
		      old.reason[0] ? old.reason : "no reason recorded");
	fprintf(ctx->out, "unsuppressed %s (suppressed since %s: %s)\n",
		argv[1], since, reason);
	log_info("unsuppress: removed %s from the suppressed table "
		 "(suppressed since %s)",
		 argv[1], since);
	return fleet_rc;
}
