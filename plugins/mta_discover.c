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
 *	the MTA anyway). Shared by postfix_discover.c and exim_discover.c.
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

void mta_discover_defer(struct mta_discover *d, struct mta_discover_msg *m,
			const char *address, const char *reason,
			int64_t arrival)
{
	struct mta_rcpt *r = NULL;

	if (m->removed) { /* an id used again: a new message */
		m->removed = m->held = 0;
		m->nrcpts = 0;
		m->arrival = 0;
	}
	for (size_t i = 0; i < m->nrcpts && !r; i++)
		if (strcmp(m->rcpts[i].address, address) == 0)
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
		snprintf(r->address, sizeof(r->address), "%s", address);
	}
	snprintf(r->reason, sizeof(r->reason), "%s", reason);
	if (arrival > 0 && (m->arrival == 0 || arrival < m->arrival))
		m->arrival = arrival;
}

void mta_discover_settle(struct mta_discover_msg *m, const char *address)
{
	for (size_t i = 0; i < m->nrcpts; i++)
		if (strcmp(m->rcpts[i].address, address) == 0) {
			m->rcpts[i] = m->rcpts[--m->nrcpts];
			return;
		}
}

int mta_discover_full(const struct mta_discover *d)
{
	return d->nomem || d->n >= LIMIT_DISCOVER_MESSAGES;
}

int mta_discover_output(struct mta_discover *d, struct mta_listing *out)
{
	size_t k = 0;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < d->n; i++)
		k += !d->m[i].removed && d->m[i].nrcpts > 0;
	if (k && (out->msgs = calloc(k, sizeof(*out->msgs))) == NULL)
		return -1;
	for (size_t i = 0; i < d->n; i++) {
		struct mta_discover_msg *m = &d->m[i];
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

void mta_discover_free(struct mta_discover *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->m[i].rcpts);
	free(d->m);
	free(d->slot);
	memset(d, 0, sizeof(*d));
}
