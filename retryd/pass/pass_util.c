/*
 * NAME
 *	pass_util 3
 * SUMMARY
 *	plumbing of the pass: id sets, update transactions, the jitter
 *	source, per-recipient log lines
 * DESCRIPTION
 *	pass_update() runs a read-modify-write (or delete) over many message
 *	records in one transaction, retried on deadlock (the listing index
 *	is pass_listing.c). Owns: id set storage until pass_idset_free().
 * DIAGNOSTICS
 *	Store failures are logged once here with what was being done;
 *	ENOSPC sets ctx->nospace and is logged rate-limited.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/statvfs.h>
#include <string.h>

#include "util/log.h"
#include "pass/pass_int.h"
#include "dns/verify_answer.h"

#define PASS_NOSPACE_LOG_INTERVAL 300 /* seconds between ENOSPC warnings */

int pass_idset_add(struct pass_idset *s, const char *id)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		void *p;

		if (s->cap >= LIMIT_PASS_TRACKED)
			return -1;
		if (cap > LIMIT_PASS_TRACKED)
			cap = LIMIT_PASS_TRACKED;
		if ((p = realloc(s->ids, cap * sizeof(*s->ids))) == NULL)
			return -1;
		s->ids = p;
		s->cap = cap;
	}
	snprintf(s->ids[s->n++], sizeof(s->ids[0]), "%s", id);
	return 0;
}

static int pass_id_cmp(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

void pass_idset_sort(struct pass_idset *s)
{
	if (s->n > 1)
		qsort(s->ids, s->n, sizeof(s->ids[0]), pass_id_cmp);
}

int pass_idset_has(const struct pass_idset *s, const char *id)
{
	return s->n > 0 && bsearch(id, s->ids, s->n, sizeof(s->ids[0]),
				   pass_id_cmp) != NULL;
}

void pass_idset_clear(struct pass_idset *s)
{
	s->n = 0;
}

void pass_idset_free(struct pass_idset *s)
{
	free(s->ids);
	memset(s, 0, sizeof(*s));
}

const char **pass_idset_ptrs(const struct pass_idset *s)
{
	const char **v = calloc(s->n + 1, sizeof(*v));

	for (size_t i = 0; v && i < s->n; i++)
		v[i] = s->ids[i];
	return v;
}

int pass_space_check(struct pass_ctx *ctx)
{
	struct statvfs sv;
	uint64_t avail;

	if (statvfs(ctx->state_dir, &sv) < 0)
		return 0; /* cannot tell: the commits will say ENOSPC */
	avail = (uint64_t)sv.f_bavail * sv.f_frsize;
	if (avail >= LIMIT_STORE_RESERVE)
		return 0;
	if (!ctx->nospace)
		log_warn_limited(
		    "store-reserve", PASS_NOSPACE_LOG_INTERVAL,
		    "store: %llu KB free in %s, below the %u KB reserve: not "
		    "adopting, giving due messages back to the MTA; free "
		    "space there and retryd resumes by itself",
		    (unsigned long long)(avail >> 10), ctx->state_dir,
		    LIMIT_STORE_RESERVE >> 10);
	ctx->nospace = 1;
	return -1;
}

int pass_commit(struct pass_ctx *ctx, struct store_txn *txn, int rc,
		const char *what, const char *err)
{
	char cerr[512];

	if (rc != STORE_OK) {
		store_txn_abort(txn);
	} else {
		rc = store_txn_commit(txn, cerr, sizeof(cerr));
		err = cerr;
	}
	if (rc == STORE_NOSPACE) {
		ctx->nospace = 1;
		log_warn_limited(
		    "store-nospace", PASS_NOSPACE_LOG_INTERVAL,
		    "%s: store: no space left on device: not adopting, "
		    "giving due messages back to the MTA; free space in %s "
		    "and retryd resumes by itself",
		    what, ctx->state_dir);
	} else if (rc != STORE_OK && rc != STORE_RETRY) {
		log_error("%s: %.400s", what, err);
	}
	return rc;
}

int pass_update(struct pass_ctx *ctx, const char *const *ids, size_t n,
		pass_update_fn fn, void *arg, const char *what)
{
	return pass_update_then(ctx, ids, n, fn, arg, NULL, NULL, what);
}

int pass_update_then(struct pass_ctx *ctx, const char *const *ids, size_t n,
		     pass_update_fn fn, void *arg, pass_then_fn then,
		     void *then_arg, const char *what)
{
	char err[512] = "";
	int rc = STORE_ERROR;

	for (int tries = 0; tries < LIMIT_STORE_DEADLOCK_TRIES; tries++) {
		struct store_txn *txn;

		if (store_txn_begin(ctx->store, &txn, err, sizeof(err)) !=
		    STORE_OK) {
			log_error("%s: %.400s", what, err);
			return STORE_ERROR;
		}
		rc = STORE_OK;
		for (size_t i = 0; i < n && rc == STORE_OK; i++) {
			struct store_message *m = NULL;
			int r =
			    store_get_message(ctx->store, txn, ctx->policy->mta,
					      ids[i], &m, err, sizeof(err));

			if (r == STORE_NOTFOUND)
				continue;
			if (r != STORE_OK) {
				rc = r;
				break;
			}
			r = fn(ctx, txn, m, i, arg, err, sizeof(err));
			if (r < 0)
				rc = STORE_ERROR;
			else if (r == PASS_UPDATE_DELETE)
				rc = store_del_message(ctx->store, txn, m->mta,
						       m->queue_id, err,
						       sizeof(err));
			else if (r > 0)
				rc = store_put_message(ctx->store, txn, m, err,
						       sizeof(err));
			store_message_free(m);
		}
		if (rc == STORE_OK && then != NULL)
			rc = then(ctx, txn, then_arg, err, sizeof(err));
		rc = pass_commit(ctx, txn, rc, what, err);
		if (rc != STORE_RETRY)
			return rc;
	}
	log_error("%s: store: still deadlocked after %d tries", what,
		  LIMIT_STORE_DEADLOCK_TRIES);
	return STORE_ERROR;
}

uint32_t pass_random32(struct pass_ctx *ctx)
{
	uint64_t x = ctx->rng ? ctx->rng : 0x9e3779b97f4a7c15ull;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	ctx->rng = x;
	return (uint32_t)(x >> 32);
}

int pass_address_domain(const char *address, char *out, size_t outlen)
{
	const char *at = strrchr(address, '@');

	if (at == NULL || at == address || at[1] == '\0')
		return -1;
	return verify_domain_ldh(at + 1, out, outlen);
}

void pass_log_rcpt(const char *queue_id, const char *address,
		   const char *domain, const char *verdict, const char *action,
		   const char *fmt, ...)
{
	char qid[LIMIT_QUEUE_ID + 1], addr[LIMIT_ADDRESS + 1];
	char dom[LIMIT_DOMAIN + 1], more[600] = "";
	va_list ap;

	if (fmt && *fmt) {
		va_start(ap, fmt);
		vsnprintf(more, sizeof(more), fmt, ap);
		va_end(ap);
	}
	log_info("%s: to=<%.100s>, domain=%.100s, verdict=%s, action=%s%s%s",
		 log_printable(qid, sizeof(qid), queue_id),
		 log_printable(addr, sizeof(addr), address),
		 log_printable(dom, sizeof(dom), domain), verdict, action,
		 more[0] ? ", " : "", more);
}

const struct policy_backoff *pass_backoff(const struct pass_ctx *ctx,
					  const char *group)
{
	const struct policy_group *g = NULL;

	if (group && *group)
		g = policy_group_named(ctx->policy, group);
	return policy_backoff_for(ctx->policy, g);
}

static int64_t pass_backoff_max(const struct policy_backoff *b)
{
	int64_t m = 0;

	for (size_t i = 0; i < b->ntiers; i++)
		if (b->tiers[i].every > m)
			m = b->tiers[i].every;
	return m + m * (int64_t)b->jitter_percent / 100 + 1;
}

int64_t pass_max_interval(const struct policy *p)
{
	int64_t m = pass_backoff_max(&p->backoff);

	for (size_t i = 0; i < p->ngroups; i++) {
		int64_t g = pass_backoff_max(&p->groups[i].backoff);
		if (g > m)
			m = g;
	}
	return m;
}
