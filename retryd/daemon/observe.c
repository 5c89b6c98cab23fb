/*
 * NAME
 *	observe 3
 * SUMMARY
 *	[retryd] mode = observe: everything but the MTA's queue
 * DESCRIPTION
 *	The pass calls the MTA through a vtable. In observe mode this layer
 *	stands in front of the real plugin: scan, scan_each, discover, valid_id and
 *	outcomes go through (the queue listing and the log are only read), while hold,
 *	deliver, release and giveback are logged as "observe: would hold
 *	ID", "would attempt", "would release", "would hand back (bounce|
 *	expire|release)" and reported done, so the pass goes on to verify,
 *	classify and record evidence exactly as in act mode.
 *
 *	To keep the pass's view consistent, the ids it "held" are kept here
 *	and shown held in the next listings (until released or handed back,
 *	or absent from a complete listing). The MTA meanwhile retries those
 *	messages itself; what it logs about them is read as their outcome.
 *	Switching to act (a reload) forgets the pretended holds: the pass's
 *	reconciliation sees held records listed as not held and holds them
 *	for real. Switching from act to observe leaves messages already
 *	held in the MTA held: release them first (retryctl release --all).
 *
 *	Owns: the set of pretended holds (memory only: after a restart the
 *	pass holds them again, logged as would hold).
 * DIAGNOSTICS
 *	Out of memory while remembering an id: logged; that id shows as not
 *	held next pass and is "held" again.
 */
#include "daemon/observe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"

typedef char observe_id[LIMIT_QUEUE_ID + 1];

static int observe_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

static void observe_add(struct observe *o, const char *const *ids, size_t n)
{
	size_t k = 0;

	if (o->nids + n > o->cap) {
		size_t cap = o->nids + n + 64;
		void *p = realloc(o->ids, cap * sizeof(observe_id));

		if (p == NULL) {
			log_error("observe: out of memory");
			return;
		}
		o->ids = p;
		o->cap = cap;
	}
	for (size_t i = 0; i < n; i++)
		snprintf(o->ids[o->nids + i], sizeof(observe_id), "%s", ids[i]);
	o->nids += n;
	qsort(o->ids, o->nids, sizeof(observe_id), observe_cmp);
	for (size_t i = 0; i < o->nids; i++) /* drop duplicates */
		if (k == 0 || strcmp(o->ids[k - 1], o->ids[i]) != 0)
			memmove(o->ids[k++], o->ids[i], sizeof(observe_id));
	o->nids = k;
}

static void observe_drop(struct observe *o, const char *const *ids, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		observe_id *hit = o->nids
				      ? bsearch(ids[i], o->ids, o->nids,
						sizeof(observe_id), observe_cmp)
				      : NULL;

		if (hit == NULL)
			continue;
		memmove(hit, hit + 1,
			(size_t)(o->ids + o->nids - (hit + 1)) *
			    sizeof(observe_id));
		o->nids--;
	}
}

static void observe_log(const char *what, const char *const *ids, size_t n)
{
	for (size_t i = 0; i < n; i++)
		log_info("observe: would %s %s", what, ids[i]);
}

static int observe_scan(void *state, struct mta_listing *out, char *err,
			size_t errlen)
{
	struct observe *o = state;
	unsigned char *seen;
	size_t kept = 0;

	if (o->real->scan(o->real_state, out, err, errlen) < 0)
		return -1;
	if (!o->on)
		return 0;
	seen = o->nids ? calloc(o->nids, 1) : NULL;
	for (size_t i = 0; i < out->n; i++) {
		observe_id *hit =
		    o->nids ? bsearch(out->msgs[i].queue_id, o->ids, o->nids,
				      sizeof(observe_id), observe_cmp)
			    : NULL;

		if (hit == NULL)
			continue;
		out->msgs[i].held = 1;
		if (seen)
			seen[hit - o->ids] = 1;
	}
	if (out->complete && seen) { /* forget ids the MTA no longer has */
		for (size_t k = 0; k < o->nids; k++)
			if (seen[k])
				memmove(o->ids[kept++], o->ids[k],
					sizeof(observe_id));
		o->nids = kept;
	}
	free(seen);
	return 0;
}

/* One message of the real streamed listing, shown held when pretended. */
struct observe_each {
	struct observe *o;
	mta_message_fn fn;
	void *arg;
	unsigned char *seen; /* by pretended id */
};

static int observe_each_one(void *arg, const struct mta_message *m)
{
	struct observe_each *e = arg;
	struct observe *o = e->o;
	observe_id *hit = o->on && o->nids
			      ? bsearch(m->queue_id, o->ids, o->nids,
					sizeof(observe_id), observe_cmp)
			      : NULL;
	struct mta_message shown;

	if (hit == NULL)
		return e->fn(e->arg, m);
	if (e->seen)
		e->seen[hit - o->ids] = 1;
	shown = *m; /* the recipients are the real listing's */
	shown.held = 1;
	return e->fn(e->arg, &shown);
}

/* The real listing streamed (or, without, listed and told one by one). */
static int observe_scan_each(void *state, mta_message_fn fn, void *arg,
			     int *complete, size_t *skipped, char *err,
			     size_t errlen)
{
	struct observe *o = state;
	struct observe_each e = {.o = o, .fn = fn, .arg = arg};
	struct mta_listing l;
	int rc = 0;

	if (o->on && o->nids)
		e.seen = calloc(o->nids, 1);
	if (o->real->scan_each != NULL) {
		rc = o->real->scan_each(o->real_state, observe_each_one, &e,
					complete, skipped, err, errlen);
	} else if ((rc = o->real->scan(o->real_state, &l, err, errlen)) == 0) {
		*complete = l.complete;
		*skipped = l.skipped;
		for (size_t i = 0; i < l.n; i++)
			if (observe_each_one(&e, &l.msgs[i]) < 0) {
				*complete = 0;
				break;
			}
		o->real->listing_free(&l);
	}
	if (rc == 0 && *complete && e.seen) { /* forget what the MTA lost */
		size_t kept = 0;
		for (size_t k = 0; k < o->nids; k++)
			if (e.seen[k])
				memmove(o->ids[kept++], o->ids[k],
					sizeof(observe_id));
		o->nids = kept;
	}
	free(e.seen);
	return rc;
}

/* The real discovery; in observe the pretended holds show held (the
 * MTA keeps deferring them itself, so the log lists them again). */
static int observe_discover(void *state, mta_message_fn fn, void *arg, int *gap,
			    char *err, size_t errlen)
{
	struct observe *o = state;
	struct observe_each e = {.o = o, .fn = fn, .arg = arg};

	if (o->real->discover == NULL) { /* gone with a reload */
		snprintf(err, errlen, "discover: not available");
		return -1;
	}
	return o->real->discover(o->real_state, observe_each_one, &e, gap, err,
				 errlen);
}

static int observe_hold(void *state, const char *const *ids, size_t n,
			size_t *done, char *err, size_t errlen)
{
	struct observe *o = state;

	if (!o->on)
		return o->real->hold(o->real_state, ids, n, done, err, errlen);
	observe_log("hold", ids, n);
	observe_add(o, ids, n);
	*done = n;
	return 0;
}

static int observe_deliver(void *state, const char *const *ids, size_t n,
			   size_t *done, char *err, size_t errlen)
{
	struct observe *o = state;

	if (!o->on)
		return o->real->deliver(o->real_state, ids, n, done, err,
					errlen);
	observe_log("attempt", ids, n);
	*done = n;
	return 0;
}

static int observe_release(void *state, const char *const *ids, size_t n,
			   size_t *done, char *err, size_t errlen)
{
	struct observe *o = state;

	if (!o->on)
		return o->real->release(o->real_state, ids, n, done, err,
					errlen);
	observe_log("release", ids, n);
	observe_drop(o, ids, n);
	*done = n;
	return 0;
}

static int observe_giveback(void *state, const char *const *ids, size_t n,
			    enum mta_giveback how, size_t *done, char *err,
			    size_t errlen)
{
	struct observe *o = state;

	if (!o->on)
		return o->real->giveback(o->real_state, ids, n, how, done, err,
					 errlen);
	observe_log(how == MTA_GIVEBACK_BOUNCE	 ? "hand back (bounce)"
		    : how == MTA_GIVEBACK_EXPIRE ? "hand back (expire)"
						 : "hand back (release)",
		    ids, n);
	observe_drop(o, ids, n);
	*done = n;
	return 0;
}

static int observe_outcomes(void *state, const char *const *ids, size_t n,
			    struct mta_outcomes *out, char *err, size_t errlen)
{
	struct observe *o = state;

	return o->real->outcomes(o->real_state, ids, n, out, err, errlen);
}

static int observe_outcomes_tell(void *state, struct mta_pos *pos, char *err,
				 size_t errlen)
{
	struct observe *o = state;

	return o->real->outcomes_tell(o->real_state, pos, err, errlen);
}

static int observe_outcomes_seek(void *state, const struct mta_pos *pos,
				 char *err, size_t errlen)
{
	struct observe *o = state;

	return o->real->outcomes_seek(o->real_state, pos, err, errlen);
}

void observe_init(struct observe *o, const struct mta_plugin *real, void *state,
		  int on)
{
	memset(o, 0, sizeof(*o));
	o->real = real;
	o->real_state = state;
	o->on = on;
	o->vt = *real;
	o->vt.scan = observe_scan;
	o->vt.scan_each = observe_scan_each;
	o->vt.hold = observe_hold;
	o->vt.deliver = observe_deliver;
	o->vt.release = observe_release;
	o->vt.giveback = observe_giveback;
	o->vt.outcomes = observe_outcomes;
	o->vt.outcomes_tell =
	    real->outcomes_tell ? observe_outcomes_tell : NULL;
	o->vt.outcomes_seek =
	    real->outcomes_seek ? observe_outcomes_seek : NULL;
	o->vt.discover = real->discover != NULL ? observe_discover : NULL;
}

void observe_set(struct observe *o, int on)
{
	if (o->on && !on)
		o->nids = 0;
	o->on = on;
}

void observe_free(struct observe *o)
{
	free(o->ids);
	o->ids = NULL;
	o->nids = o->cap = 0;
}
