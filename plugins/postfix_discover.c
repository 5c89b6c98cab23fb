/*
 * NAME
 *	postfix_discover 3
 * SUMMARY
 *	incremental discovery for postfix.so: new deferrals from the log
 * SYNOPSIS
 *	#include "postfix_cmd.h"
 * DESCRIPTION
 *	postfix_discover() reads the Postfix log from its own position
 *	(STATE_DIR/postfix-discover.offset, apart from the outcome reader's)
 *	and returns, as a listing that is never complete, the messages that
 *	were deferred since the last call:
 *
 *	    ID: from=<S>, size=N, nrcpt=K (queue active)   sender
 *	    ID: to=<A>, ..., delay=D, ..., status=deferred (REASON)
 *	                          a pending recipient and its reason;
 *	                          arrival = line time - delay
 *	    ID: to=<A>, ..., status=sent|bounced|expired   no longer pending
 *	    ID: placed on hold / released from hold         held flag
 *	    ID: removed                                     left out
 *
 *	No queue listing is spawned: the cost is the log written since the
 *	last call, not the number of queued messages. At most
 *	LIMIT_DISCOVER_MESSAGES distinct ids are gathered per call; the
 *	reading stops there and the next call goes on from that line.
 *
 *	*gap is 1 when lines may have been missed: no saved position (first
 *	start, damaged file: reading starts at the end of the log), the log
 *	rotated and the old file is gone, or it was truncated. The caller
 *	then reconciles with a full listing (postqueue -j).
 *
 *	Owns: the id table for the length of a call; the listing it returns
 *	until listing_free (postfix_queue_free).
 * DIAGNOSTICS
 *	"discover: ..." in err: the log cannot be read, the position cannot
 *	be saved, memory ran out (the position is then not advanced).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/log.h"
#include "plugin.h"
#include "postfix_cmd.h"
#include "postfix_log.h"
#include "postfix_queue.h"

#define POSTFIX_DISCOVER_POS_FILE "postfix-discover.offset"

struct disc_msg {
	char id[LIMIT_QUEUE_ID + 1];
	char sender[LIMIT_ADDRESS + 1];
	int64_t arrival;
	int held, removed;
	size_t nrcpts, cap;
	struct mta_rcpt *rcpts;
};

struct disc {
	struct disc_msg *m;
	size_t n, cap;
	uint32_t *slot; /* index + 1, 0 free; size nslot (power of 2) */
	size_t nslot;
	int64_t now;
	long tzoff;
	int nomem;
};

static uint32_t disc_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static int disc_rehash(struct disc *d, size_t nslot)
{
	uint32_t *slot = calloc(nslot, sizeof(*slot));

	if (slot == NULL)
		return -1;
	for (size_t i = 0; i < d->n; i++) {
		size_t k = disc_hash(d->m[i].id) & (nslot - 1);
		while (slot[k])
			k = (k + 1) & (nslot - 1);
		slot[k] = (uint32_t)(i + 1);
	}
	free(d->slot);
	d->slot = slot;
	d->nslot = nslot;
	return 0;
}

/* The entry of @param id; created when @param create. NULL: none/full. */
static struct disc_msg *disc_get(struct disc *d, const char *id, int create)
{
	size_t k;
	struct disc_msg *m;

	if (d->nslot && (k = disc_hash(id) & (d->nslot - 1), 1))
		for (; d->slot[k]; k = (k + 1) & (d->nslot - 1))
			if (strcmp(d->m[d->slot[k] - 1].id, id) == 0)
				return &d->m[d->slot[k] - 1];
	if (!create || d->n >= LIMIT_DISCOVER_MESSAGES)
		return NULL;
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 256;
		struct disc_msg *nm = realloc(d->m, cap * sizeof(*nm));
		if (nm == NULL)
			return NULL;
		d->m = nm;
		d->cap = cap;
	}
	if ((d->n + 1) * 2 > d->nslot &&
	    disc_rehash(d, d->nslot ? d->nslot * 2 : 512) < 0)
		return NULL;
	m = &d->m[d->n];
	memset(m, 0, sizeof(*m));
	snprintf(m->id, sizeof(m->id), "%s", id);
	k = disc_hash(id) & (d->nslot - 1);
	while (d->slot[k])
		k = (k + 1) & (d->nslot - 1);
	d->slot[k] = (uint32_t)(++d->n);
	return m;
}

static void disc_deferred(struct disc *d, struct disc_msg *m,
			  const struct postfix_log_entry *e)
{
	struct mta_rcpt *r = NULL;

	if (m->removed) { /* an id used again: a new message */
		m->removed = m->held = 0;
		m->nrcpts = 0;
		m->arrival = 0;
	}
	for (size_t i = 0; i < m->nrcpts && !r; i++)
		if (strcmp(m->rcpts[i].address, e->address) == 0)
			r = &m->rcpts[i];
	if (r == NULL) {
		if (m->nrcpts >= LIMIT_RCPTS_PER_MESSAGE)
			return;
		if (m->nrcpts == m->cap) {
			size_t cap = m->cap ? m->cap * 2 : 1;
			struct mta_rcpt *nr =
			    realloc(m->rcpts, cap * sizeof(*nr));
			if (nr == NULL) {
				d->nomem = 1;
				return;
			}
			m->rcpts = nr;
			m->cap = cap;
		}
		r = &m->rcpts[m->nrcpts++];
		snprintf(r->address, sizeof(r->address), "%s", e->address);
	}
	snprintf(r->reason, sizeof(r->reason), "%s", e->text);
	if (e->time > 0 && e->delay >= 0 && e->delay <= e->time &&
	    (m->arrival == 0 || e->time - e->delay < m->arrival))
		m->arrival = e->time - e->delay;
}

static void disc_settled(struct disc_msg *m, const char *address)
{
	for (size_t i = 0; i < m->nrcpts; i++)
		if (strcmp(m->rcpts[i].address, address) == 0) {
			m->rcpts[i] = m->rcpts[--m->nrcpts];
			return;
		}
}

/* "from=<S>, size=..." (qmgr): the sender, kept for a later deferral. */
static void disc_sender(struct disc *d, const struct postfix_log_entry *e)
{
	const char *p = e->payload + 6, *end = e->payload + e->payloadlen;
	const char *q = memmem(p, (size_t)(end - p), ">, size=", 8);
	struct disc_msg *m;

	if (q == NULL || !postfix_queue_address_ok(p, (size_t)(q - p)) ||
	    (m = disc_get(d, e->id, 1)) == NULL)
		return;
	memcpy(m->sender, p, (size_t)(q - p));
	m->sender[q - p] = '\0';
}

static int disc_is(const struct postfix_log_entry *e, const char *word)
{
	return e->payloadlen == strlen(word) &&
	       memcmp(e->payload, word, e->payloadlen) == 0;
}

static int disc_line(void *ctx, const char *line, size_t len, int64_t lineno)
{
	struct disc *d = ctx;
	struct postfix_log_entry e;
	struct disc_msg *m;

	(void)lineno;
	switch (postfix_log_parse(line, len, d->now, d->tzoff, &e)) {
	case POSTFIX_LOG_RCPT:
		if (e.status == MTA_OUTCOME_DEFERRED) {
			if ((m = disc_get(d, e.id, 1)) == NULL)
				d->nomem = 1;
			else
				disc_deferred(d, m, &e);
		} else if ((m = disc_get(d, e.id, 0)) != NULL) {
			disc_settled(m, e.address);
		}
		break;
	case POSTFIX_LOG_OTHER:
		if (e.payload == NULL)
			break;
		if (e.payloadlen > 6 && memcmp(e.payload, "from=<", 6) == 0) {
			disc_sender(d, &e);
		} else if ((m = disc_get(d, e.id, 0)) != NULL) {
			if (disc_is(&e, "removed"))
				m->removed = 1;
			else if (disc_is(&e, "placed on hold"))
				m->held = 1;
			else if (disc_is(&e, "released from hold"))
				m->held = 0;
		}
		break;
	default:
		break;
	}
	/* full: stop after the line that filled it; the rest next call */
	return d->nomem || d->n >= LIMIT_DISCOVER_MESSAGES ? 1 : 0;
}

static void disc_free(struct disc *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->m[i].rcpts);
	free(d->m);
	free(d->slot);
}

/* The pending messages of @param d into @param out (rcpts moved). */
static int disc_output(struct disc *d, struct mta_listing *out)
{
	size_t k = 0;

	for (size_t i = 0; i < d->n; i++)
		k += !d->m[i].removed && d->m[i].nrcpts > 0;
	if (k && (out->msgs = calloc(k, sizeof(*out->msgs))) == NULL)
		return -1;
	for (size_t i = 0; i < d->n; i++) {
		struct disc_msg *m = &d->m[i];
		struct mta_message *o;

		if (m->removed || m->nrcpts == 0)
			continue;
		o = &out->msgs[out->n++];
		snprintf(o->queue_id, sizeof(o->queue_id), "%s", m->id);
		snprintf(o->sender, sizeof(o->sender), "%s", m->sender);
		o->arrival = m->arrival;
		o->held = m->held;
		o->deferred = 1;
		o->nrcpts = m->nrcpts;
		o->rcpts = m->rcpts;
		m->rcpts = NULL;
	}
	return 0;
}

int postfix_discover_open(struct postfix_state *st, const char *state_dir,
			  char *err, size_t errlen)
{
	int rc = 0;

	st->dgap = 1;
	if (state_dir) {
		size_t l =
		    strlen(state_dir) + sizeof(POSTFIX_DISCOVER_POS_FILE) + 2;
		if ((st->dpos_file = malloc(l)) == NULL) {
			snprintf(err, errlen, "postfix: out of memory");
			return -1;
		}
		snprintf(st->dpos_file, l, "%s/%s", state_dir,
			 POSTFIX_DISCOVER_POS_FILE);
		rc =
		    postfix_log_pos_load(st->dpos_file, &st->dpos, err, errlen);
		if (rc < 0)
			log_warn("postfix: %.300s: discovery starts at the end "
				 "of the log (a full listing reconciles)",
				 err);
	}
	if (rc == 1) {
		st->dgap = 0;
		return 0;
	}
	return postfix_log_pos_end(st->log_file, st->host, &st->dpos, err,
				   errlen);
}

int postfix_discover(void *state, struct mta_listing *out, int *gap, char *err,
		     size_t errlen)
{
	struct postfix_state *st = state;
	struct postfix_log_pos saved = st->dpos;
	struct disc d;
	struct tm tm;
	time_t now = time(NULL);

	memset(out, 0, sizeof(*out));
	memset(&d, 0, sizeof(d));
	*gap = 0;
	d.now = (int64_t)now;
	d.tzoff = localtime_r(&now, &tm) ? tm.tm_gmtoff : 0;
	st->dpos.gap = 0;
	if (postfix_log_follow(st->log_file, st->host, &st->dpos, disc_line, &d,
			       err, errlen) < 0 ||
	    d.nomem || (d.nomem = disc_output(&d, out) < 0) ||
	    (st->dpos_file &&
	     postfix_log_pos_save(st->dpos_file, &st->dpos, err, errlen) < 0)) {
		if (d.nomem)
			snprintf(err, errlen, "discover: out of memory");
		st->dpos = saved; /* read again next time */
		disc_free(&d);
		postfix_queue_free(out);
		return -1;
	}
	disc_free(&d);
	*gap = st->dgap || st->dpos.gap;
	st->dgap = 0;
	return 0;
}
