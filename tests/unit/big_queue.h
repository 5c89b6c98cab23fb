/*
 * big_queue - a fake MTA queue of thousands of deferred messages for the
 * pass tests at scale (test_pass_backlog, test_pass_heal): each message
 * one recipient u<i>@example.test (or @other.test, every other_every-th
 * from the 8th when other_every is set), routing-deferred; a streamed
 * listing (scan_each, scrambled order, delivered and sent ones left
 * out), discovery of the indexes in news, hold, deliver and the
 * delivered outcomes (LIMIT_OUTCOMES_PER_CALL a call). The plugin's
 * state is the struct big_queue (ctx.plugin_state).
 */
#ifndef RETRYD_TEST_BIG_QUEUE_H
#define RETRYD_TEST_BIG_QUEUE_H

#include <stddef.h>

#include "plugins/plugin.h"

#define BIG_QUEUE_MAX 25000
#define BIG_QUEUE_ROUTING                                                      \
	"Host or domain name not found. Name service error for "               \
	"name=example.test type=A: Host found but no data record of "          \
	"requested type"

struct big_queue {
	size_t n;	    /* messages, <= BIG_QUEUE_MAX */
	size_t other_every; /* 0: every one of example.test */
	int64_t arrival;
	unsigned char held[BIG_QUEUE_MAX], holds[BIG_QUEUE_MAX];
	unsigned char delivered[BIG_QUEUE_MAX], sent[BIG_QUEUE_MAX];
	size_t scans, news[4], nnews; /* news: discovered next */
};

/** Is message @param i of other.test? */
int big_queue_other(const struct big_queue *q, size_t i);
/** The queue id of message @param i (in @param id, 16 bytes). */
void big_queue_id(size_t i, char *id, size_t idlen);
/** The message index of queue id @param id. */
size_t big_queue_index(const char *id);
/** @param p: fake_discover_plugin with the big queue's methods. */
void big_queue_plugin(struct mta_plugin *p);

#endif
