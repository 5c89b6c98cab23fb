/*
 * NAME
 *	mta_discover 3
 * SUMMARY
 *	the table of one discovery call: ids, pending recipients, held, gone
 * SYNOPSIS
 *	#include "mta_discover.h"
 * DESCRIPTION
 *	An open-addressing hash of queue ids (FNV-1a, linear probing, kept
 *	at most half full) over an array of entries, so a log line finds
 *	its message in O(1) whatever the number of ids gathered. Recipients
 *	grow one array per message, at most LIMIT_RCPTS_PER_MESSAGE (more:
 *	the extra ones are not noted, and adoption leaves such a message to
 *	the MTA anyway), each address in its own allocation at its real
 *	size; senders and delay reasons are interned. mta_discover_each()
 *	builds one struct mta_message (fixed slots) at a time to tell it:
 *	20,000 messages cost ~2 MB, not the ~22 MB of a listing of them.
 *	Shared by postfix_discover.c and exim_discover.c.
 * DIAGNOSTICS
 *	Out of memory sets d->nomem; the caller reports it and does not
 *	advance its log position.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mta_discover.h"

static uint32_t mta_discover_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static int mta_discover_rehash(struct mta_discover *d, size_t nslot)
{
	uint32_t *slot = calloc(nslot, sizeof(*slot));

	if (slot == NULL)
		return -1;
	for (size_t i = 0; i < d->n; i++) {
		size_t k = mta_discover_hash(d->m[i].id) & (nslot - 1);
		while (slot[k])
			k = (k + 1) & (nslot - 1);
		slot[k] = (uint32_t)(i + 1);
	}
	free(d->slot);
	d->slot = slot;
	d->nslot = nslot;
	return 0;
}

/* Room for one more entry (array and hash). -1: out of memory. */
static int mta_discover_grow(struct mta_discover *d)
{
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 256;
		struct mta_discover_msg *nm = realloc(d->m, cap * sizeof(*nm));
		if (nm == NULL)
			return -1;
		d->m = nm;
		d->cap = cap;
	}
	if ((d->n + 1) * 2 > d->nslot &&
	    mta_discover_rehash(d, d->nslot ? d->nslot * 2 : 512) < 0)
		return -1;
	return 0;
}

struct mta_discover_msg *mta_discover_get(struct mta_discover *d,
					  const char *id, int create)
{
	struct mta_discover_msg *m;
	size_t k;

	if (d->nslot) {
		for (k = mta_discover_hash(id) & (d->nslot - 1); d->slot[k];
		     k = (k + 1) & (d->nslot - 1))
			if (strcmp(d->m[d->slot[k] - 1].id, id) == 0)
				return &d->m[d->slot[k] - 1];
	}
	if (!create || d->n >= LIMIT_DISCOVER_MESSAGES)
		return NULL;
	if (mta_discover_grow(d) < 0) {
		d->nomem = 1;
		return NULL;
	}
	m = &d->m[d->n];
	memset(m, 0, sizeof(*m));
	snprintf(m->id, sizeof(m->id), "%s", id);
	k = mta_discover_hash(id) & (d->nslot - 1);
	while (d->slot[k])
		k = (k + 1) & (d->nslot - 1);
	d->slot[k] = (uint32_t)(++d->n);
	return m;
}

/* @param s (at most @param max bytes) interned. NULL: out of memory. */
static const char *mta_discover_intern(struct mta_discover *d, const char *s,
				       size_t max)
{
	if (d->strings == NULL && (d->strings = intern_new()) == NULL)
		return NULL;
	return intern_str(d->strings, s, strnlen(s, max));
}

/* A new pending recipient of @param m. NULL: bound reached or no memory. */
static struct mta_discover_rcpt *
mta_discover_rcpt_add(struct mta_discover *d, struct mta_discover_msg *m,
		      const char *address)
{
	struct mta_discover_rcpt *r;

	if (m->nrcpts >= LIMIT_RCPTS_PER_MESSAGE)
		return NULL;
	if (m->nrcpts == m->cap) {
		uint32_t cap = m->cap ? m->cap * 2 : 1;
		r = realloc(m->rcpts, cap * sizeof(*r));
		if (r == NULL)
			goto nomem;
		m->rcpts = r;
		m->cap = cap;
	}
	r = &m->rcpts[m->nrcpts];
	if ((r->address = strndup(address, LIMIT_ADDRESS)) == NULL)
		goto nomem;
	r->reason = "";
	m->nrcpts++;
	return r;
nomem:
	d->nomem = 1;
	return NULL;
}

static void mta_discover_rcpts_free(struct mta_discover_msg *m)
{
	for (uint32_t i = 0; i < m->nrcpts; i++)
		free(m->rcpts[i].address);
	m->nrcpts = 0;
}

void mta_discover_defer(struct mta_discover *d, struct mta_discover_msg *m,
			const char *address, const char *reason,
			int64_t arrival)
{
	struct mta_discover_rcpt *r = NULL;
	const char *why;

	if (m->removed) { /* an id used again: a new message */
		m->removed = m->held = 0;
		mta_discover_rcpts_free(m);
		m->arrival = 0;
	}
	for (uint32_t i = 0; i < m->nrcpts && !r; i++)
		if (strcmp(m->rcpts[i].address, address) == 0)
			r = &m->rcpts[i];
	if (r == NULL && (r = mta_discover_rcpt_add(d, m, address)) == NULL)
		return;
	if ((why = mta_discover_intern(d, reason, LIMIT_REASON)) == NULL) {
		d->nomem = 1;
		return;
	}
	r->reason = why;
	if (arrival > 0 && (m->arrival == 0 || arrival < m->arrival))
		m->arrival = arrival;
}

void mta_discover_sender(struct mta_discover *d, struct mta_discover_msg *m,
			 const char *s, size_t len)
{
	char buf[LIMIT_ADDRESS + 1];

	if (len > LIMIT_ADDRESS)
		return;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if ((m->sender = mta_discover_intern(d, buf, LIMIT_ADDRESS)) == NULL)
		d->nomem = 1;
}

void mta_discover_settle(struct mta_discover_msg *m, const char *address)
{
	for (uint32_t i = 0; i < m->nrcpts; i++)
		if (strcmp(m->rcpts[i].address, address) == 0) {
			free(m->rcpts[i].address);
			m->rcpts[i] = m->rcpts[--m->nrcpts];
			return;
		}
}

int mta_discover_full(const struct mta_discover *d)
{
	return d->nomem || d->n >= LIMIT_DISCOVER_MESSAGES;
}

int mta_discover_each(struct mta_discover *d, mta_message_fn fn, void *arg)
{
	struct mta_message *o = malloc(sizeof(*o));
	struct mta_rcpt *rcpts = NULL;
	uint32_t rcap = 0;
	int rc = 0;

	if (o == NULL)
		goto nomem;
	for (size_t i = 0; i < d->n && rc == 0; i++) {
		const struct mta_discover_msg *m = &d->m[i];

		if (m->removed || m->nrcpts == 0)
			continue;
		if (m->nrcpts > rcap) {
			struct mta_rcpt *nr =
			    realloc(rcpts, m->nrcpts * sizeof(*nr));
			if (nr == NULL)
				goto nomem;
			rcpts = nr;
			rcap = m->nrcpts;
		}
		memset(o, 0, sizeof(*o));
		snprintf(o->queue_id, sizeof(o->queue_id), "%s", m->id);
		snprintf(o->sender, sizeof(o->sender), "%s",
			 m->sender ? m->sender : "");
		o->arrival = m->arrival;
		o->held = m->held;
		o->deferred = 1;
		o->nrcpts = m->nrcpts;
		o->rcpts = rcpts;
		for (uint32_t k = 0; k < m->nrcpts; k++) {
			snprintf(rcpts[k].address, sizeof(rcpts[k].address),
				 "%s", m->rcpts[k].address);
			snprintf(rcpts[k].reason, sizeof(rcpts[k].reason), "%s",
				 m->rcpts[k].reason);
		}
		rc = fn(arg, o) < 0 ? -1 : 0;
	}
	free(rcpts);
	free(o);
	return rc;
nomem:
	d->nomem = 1;
	free(rcpts);
	free(o);
	return -1;
}

int mta_discover_collect(void *arg, const struct mta_message *m)
{
	struct mta_listing *out = arg;
	struct mta_message *dst;

	/* capacity: the next power of two from 16 (grown when n is one) */
	if (out->n >= 16 && (out->n & (out->n - 1)) == 0) {
		void *nm = realloc(out->msgs, 2 * out->n * sizeof(*dst));
		if (nm == NULL)
			return -1;
		out->msgs = nm;
	} else if (out->msgs == NULL &&
		   (out->msgs = malloc(16 * sizeof(*dst))) == NULL) {
		return -1;
	}
	dst = &out->msgs[out->n];
	*dst = *m;
	dst->rcpts = NULL;
	if (m->nrcpts > 0) {
		dst->rcpts = malloc(m->nrcpts * sizeof(*dst->rcpts));
		if (dst->rcpts == NULL)
			return -1;
		memcpy(dst->rcpts, m->rcpts, m->nrcpts * sizeof(*dst->rcpts));
	}
	out->n++;
	return 0;
}

void mta_discover_free(struct mta_discover *d)
{
	for (size_t i = 0; i < d->n; i++) {
		mta_discover_rcpts_free(&d->m[i]);
		free(d->m[i].rcpts);
	}
	intern_free(d->strings);
	free(d->m);
	free(d->slot);
	memset(d, 0, sizeof(*d));
}
