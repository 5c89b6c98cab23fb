/*
 * NAME
 *	observe 3h
 * SUMMARY
 *	observe mode as a layer at the MTA verb boundary
 */
#ifndef RETRYD_OBSERVE_H
#define RETRYD_OBSERVE_H

#include <stddef.h>

#include "plugins/plugin.h"

/* The layer: a copy of the real vtable with the queue verbs replaced.
 * Fields are private to observe.c. */
struct observe {
	struct mta_plugin vt; /* what the pass calls */
	const struct mta_plugin *real;
	void *real_state;
	int on; /* 1: observe; 0: every call goes to the real plugin */
	char (*ids)[LIMIT_QUEUE_ID + 1]; /* "held" in observe mode, sorted */
	size_t nids, cap;
};

/**
 * Put the layer in front of @param real (its state @param state); the
 * pass then calls &o->vt with state @param o. @param on: observe mode.
 */
void observe_init(struct observe *o, const struct mta_plugin *real, void *state,
		  int on);

/** Switch mode (reload). Observe -> act forgets the pretended holds:
 *  the next pass sees those messages not held and holds them for real. */
void observe_set(struct observe *o, int on);

/** Release what the layer owns. */
void observe_free(struct observe *o);

#endif
