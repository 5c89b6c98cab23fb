/*
 * NAME
 *	big_queue 3
 * SUMMARY
 *	a fake MTA queue of thousands of deferred messages (unit tests)
 * DESCRIPTION
 *	See big_queue.h. Every method asserts (cmocka) that an id it is
 *	handed is one of the queue's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/limits.h"
#include "big_queue.h"
#include "fake_mta.h"

int big_queue_other(const struct big_queue *q, size_t i)
{
	return q->other_every && i % q->other_every == 7;
}

void big_queue_id(size_t i, char *id, size_t idlen)
{
	snprintf(id, idlen, "%05X%06zX", 0xABCDEu, i);
}

size_t big_queue_index(const char *id)
{
	return strtoul(id + 5, NULL, 16);
}

static size_t big_checked(const struct big_queue *q, const char *id)
{
	size_t k = big_queue_index(id);

	assert_true(k < q->n);
	return k;
}

static void big_tell(const struct big_queue *q, size_t i, struct mta_message *m,
		     struct mta_rcpt *r)
{
	memset(m, 0, sizeof(*m));
	memset(r, 0, sizeof(*r));
	big_queue_id(i, m->queue_id, sizeof(m->queue_id));
	snprintf(m->sender, sizeof(m->sender), "s%zu@senders.test", i);
	snprintf(r->address, sizeof(r->address), "u%zu@%s", i,
		 big_queue_other(q, i) ? "other.test" : "example.test");
	snprintf(r->reason, sizeof(r->reason), "%s", BIG_QUEUE_ROUTING);
	m->arrival = q->arrival;
	m->held = q->held[i];
	m->deferred = 1;
	m->nrcpts = 1;
	m->rcpts = r;
}

static int big_scan_each(void *state, mta_message_fn fn, void *arg,
			 int *complete, size_t *skipped, char *err,
			 size_t errlen)
{
	struct big_queue *q = state;
	struct mta_message m;
	struct mta_rcpt r;

	q->scans++;
	for (size_t k = 0; k < q->n; k++) {
		size_t i = (k * 7919u + 13u) % q->n; /* scrambled */

		if (q->sent[i])
			continue; /* delivered: gone from the queue */
		big_tell(q, i, &m, &r);
		if (fn(arg, &m) < 0)
			return -1;
	}
	*complete = 1;
	*skipped = 0;
	return 0;
}

static int big_discover(void *state, mta_message_fn fn, void *arg, int *gap,
			char *err, size_t errlen)
{
	struct big_queue *q = state;
	struct mta_message m;
	struct mta_rcpt r;

	*gap = 0;
	for (size_t k = 0; k < q->nnews; k++) {
		big_tell(q, q->news[k], &m, &r);
		if (fn(arg, &m) < 0)
			return -1;
	}
	q->nnews = 0;
	return 0;
}

static int big_hold(void *state, const char *const *ids, size_t n, size_t *done,
		    char *err, size_t errlen)
{
	struct big_queue *q = state;

	for (size_t i = 0; i < n; i++) {
		size_t k = big_checked(q, ids[i]);

		q->holds[k]++;
		q->held[k] = 1;
	}
	*done = n;
	return 0;
}

static int big_deliver(void *state, const char *const *ids, size_t n,
		       size_t *done, char *err, size_t errlen)
{
	struct big_queue *q = state;

	for (size_t i = 0; i < n; i++) {
		size_t k = big_checked(q, ids[i]);

		q->delivered[k]++;
		q->held[k] = 0;
	}
	*done = n;
	return 0;
}

/* What the MTA logged: each delivered message sent, once. */
static int big_outcomes(void *state, const char *const *ids, size_t n,
			struct mta_outcomes *out, char *err, size_t errlen)
{
	struct big_queue *q = state;

	memset(out, 0, sizeof(*out));
	out->items = calloc(LIMIT_OUTCOMES_PER_CALL, sizeof(*out->items));
	assert_non_null(out->items);
	for (size_t i = 0; i < q->n; i++) {
		struct mta_outcome *o = &out->items[out->n];

		if (!q->delivered[i] || q->sent[i])
			continue;
		if (out->n == LIMIT_OUTCOMES_PER_CALL) {
			out->more = 1;
			break;
		}
		q->sent[i] = 1;
		big_queue_id(i, o->queue_id, sizeof(o->queue_id));
		snprintf(o->address, sizeof(o->address), "u%zu@%s", i,
			 big_queue_other(q, i) ? "other.test" : "example.test");
		o->status = MTA_OUTCOME_DELIVERED;
		snprintf(o->dsn, sizeof(o->dsn), "2.0.0");
		out->n++;
	}
	return 0;
}

void big_queue_plugin(struct mta_plugin *p)
{
	*p = fake_discover_plugin;
	p->scan = NULL;
	p->scan_each = big_scan_each;
	p->discover = big_discover;
	p->hold = big_hold;
	p->deliver = big_deliver;
	p->outcomes = big_outcomes;
}
