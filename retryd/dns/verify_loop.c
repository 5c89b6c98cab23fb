/*
 * NAME
 *	verify_loop 3
 * SUMMARY
 *	one poll() event loop shared by many getdns contexts
 * SYNOPSIS
 *	#include "dns/verify_loop.h"
 * DESCRIPTION
 *	Implements getdns_eventloop_vmt: schedule() records an event (file
 *	descriptor with read/write callbacks, and/or a timeout in ms) in a
 *	slot; clear() frees the slot; run_once() polls every scheduled
 *	descriptor until the nearest deadline and fires the callbacks.
 *
 *	Each schedule gets a sequence number; one round fires only events
 *	scheduled before the round started and still scheduled when their
 *	turn comes (a callback may clear or reschedule any event). Deadlines
 *	use CLOCK_MONOTONIC.
 *
 *	Owns: the slot and pollfd arrays. The getdns_eventloop_event
 *	structures belong to getdns; ev->ev holds slot index + 1.
 * DIAGNOSTICS
 *	schedule() returns GETDNS_RETURN_MEMORY_ERROR when out of memory;
 *	poll() failing with EINTR is retried by the next round.
 */
#include "dns/verify_loop.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define VERIFY_LOOP_FOREVER INT64_MAX

struct verify_slot {
	getdns_eventloop_event *ev; /* NULL: free */
	int fd;
	int64_t deadline; /* monotonic ms, or VERIFY_LOOP_FOREVER */
	uint64_t seq;
	size_t next_free;
};

struct verify_loop {
	getdns_eventloop base; /* first: getdns hands us this pointer */
	struct verify_slot *slots;
	size_t nslots, cap;
	size_t free_head; /* index + 1 of a free slot, 0: none */
	size_t active;
	uint64_t seq;
	struct pollfd *pfd;
	size_t *pslot;
	uint64_t *pseq;
	size_t pcap;
};

static int64_t verify_loop_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void verify_loop_cleanup(getdns_eventloop *base)
{
	(void)base; /* the verifier owns the loop, not the context */
}

static getdns_return_t verify_loop_clear(getdns_eventloop *base,
					 getdns_eventloop_event *ev)
{
	struct verify_loop *l = (struct verify_loop *)base;
	size_t idx;

	if (ev == NULL || ev->ev == NULL)
		return GETDNS_RETURN_GOOD;
	idx = (size_t)(uintptr_t)ev->ev - 1;
	if (idx >= l->nslots || l->slots[idx].ev != ev)
		return GETDNS_RETURN_GENERIC_ERROR;
	l->slots[idx].ev = NULL;
	l->slots[idx].next_free = l->free_head;
	l->free_head = idx + 1;
	l->active--;
	ev->ev = NULL;
	return GETDNS_RETURN_GOOD;
}

static getdns_return_t verify_loop_schedule(getdns_eventloop *base, int fd,
					    uint64_t timeout,
					    getdns_eventloop_event *ev)
{
	struct verify_loop *l = (struct verify_loop *)base;
	struct verify_slot *s;
	size_t idx;

	if (ev == NULL)
		return GETDNS_RETURN_INVALID_PARAMETER;
	if (ev->ev != NULL)
		(void)verify_loop_clear(base, ev);
	if (l->free_head != 0) {
		idx = l->free_head - 1;
		l->free_head = l->slots[idx].next_free;
	} else {
		if (l->nslots == l->cap) {
			size_t ncap = l->cap ? l->cap * 2 : 64;
			struct verify_slot *ns =
			    realloc(l->slots, ncap * sizeof(*ns));

			if (ns == NULL)
				return GETDNS_RETURN_MEMORY_ERROR;
			l->slots = ns;
			l->cap = ncap;
		}
		idx = l->nslots++;
	}
	s = &l->slots[idx];
	s->ev = ev;
	s->fd = fd;
	s->deadline = timeout == (uint64_t)-1 || timeout > INT32_MAX
			  ? VERIFY_LOOP_FOREVER
			  : verify_loop_now() + (int64_t)timeout;
	s->seq = ++l->seq;
	s->next_free = 0;
	ev->ev = (void *)(uintptr_t)(idx + 1);
	l->active++;
	return GETDNS_RETURN_GOOD;
}

/* Is slot @idx still the event scheduled as @seq (not cleared since)? */
static getdns_eventloop_event *verify_loop_live(struct verify_loop *l,
						size_t idx, uint64_t seq)
{
	if (idx >= l->nslots || l->slots[idx].ev == NULL ||
	    l->slots[idx].seq != seq)
		return NULL;
	return l->slots[idx].ev;
}

static int verify_loop_grow_poll(struct verify_loop *l)
{
	size_t ncap;
	void *p;

	if (l->pcap >= l->nslots)
		return 0;
	ncap = l->cap;
	if ((p = realloc(l->pfd, ncap * sizeof(*l->pfd))) == NULL)
		return -1;
	l->pfd = p;
	if ((p = realloc(l->pslot, ncap * sizeof(*l->pslot))) == NULL)
		return -1;
	l->pslot = p;
	if ((p = realloc(l->pseq, ncap * sizeof(*l->pseq))) == NULL)
		return -1;
	l->pseq = p;
	l->pcap = ncap;
	return 0;
}

static void verify_loop_run_once(getdns_eventloop *base, int blocking)
{
	struct verify_loop *l = (struct verify_loop *)base;
	uint64_t limit = l->seq;
	int64_t now = verify_loop_now(), nearest = VERIFY_LOOP_FOREVER;
	size_t i, n = 0, nslots = l->nslots;
	int timeout, rc;

	if (verify_loop_grow_poll(l) < 0)
		return;
	for (i = 0; i < nslots; i++) {
		struct verify_slot *s = &l->slots[i];

		if (s->ev == NULL)
			continue;
		if (s->deadline < nearest && s->ev->timeout_cb != NULL)
			nearest = s->deadline;
		if (s->fd < 0 ||
		    (s->ev->read_cb == NULL && s->ev->write_cb == NULL))
			continue;
		l->pfd[n].fd = s->fd;
		l->pfd[n].events = (short)((s->ev->read_cb ? POLLIN : 0) |
					   (s->ev->write_cb ? POLLOUT : 0));
		l->pfd[n].revents = 0;
		l->pslot[n] = i;
		l->pseq[n] = s->seq;
		n++;
	}
	if (!blocking)
		timeout = 0;
	else if (nearest == VERIFY_LOOP_FOREVER)
		timeout = n ? -1 : 0;
	else
		timeout = nearest <= now ? 0
					 : (int)(nearest - now > INT32_MAX
						     ? INT32_MAX
						     : nearest - now);
	rc = poll(l->pfd, n, timeout);
	if (rc < 0 && errno != EINTR)
		return;
	for (i = 0; rc > 0 && i < n; i++) {
		short re = l->pfd[i].revents;
		getdns_eventloop_event *ev;

		if (re == 0)
			continue;
		ev = verify_loop_live(l, l->pslot[i], l->pseq[i]);
		if (ev && ev->read_cb && (re & (POLLIN | POLLHUP | POLLERR)))
			ev->read_cb(ev->userarg);
		ev = verify_loop_live(l, l->pslot[i], l->pseq[i]);
		if (ev && ev->write_cb && (re & (POLLOUT | POLLHUP | POLLERR)))
			ev->write_cb(ev->userarg);
	}
	now = verify_loop_now();
	nslots = l->nslots;
	for (i = 0; i < nslots; i++) {
		struct verify_slot *s = &l->slots[i];
		getdns_eventloop_event *ev = s->ev;

		if (ev == NULL || s->seq > limit || s->deadline > now ||
		    ev->timeout_cb == NULL)
			continue;
		ev->timeout_cb(ev->userarg);
	}
}

static void verify_loop_run_all(getdns_eventloop *base)
{
	struct verify_loop *l = (struct verify_loop *)base;

	while (l->active > 0)
		verify_loop_run_once(base, 1);
}

static getdns_eventloop_vmt verify_loop_vmt = {
    verify_loop_cleanup, verify_loop_schedule, verify_loop_clear,
    verify_loop_run_all, verify_loop_run_once,
};

struct verify_loop *verify_loop_new(void)
{
	struct verify_loop *l = calloc(1, sizeof(*l));

	if (l != NULL)
		l->base.vmt = &verify_loop_vmt;
	return l;
}

void verify_loop_free(struct verify_loop *l)
{
	if (l == NULL)
		return;
	free(l->slots);
	free(l->pfd);
	free(l->pslot);
	free(l->pseq);
	free(l);
}

getdns_eventloop *verify_loop_getdns(struct verify_loop *l)
{
	return &l->base;
}

void verify_loop_run(struct verify_loop *l)
{
	verify_loop_run_all(&l->base);
}

size_t verify_loop_pending(const struct verify_loop *l)
{
	return l->active;
}
