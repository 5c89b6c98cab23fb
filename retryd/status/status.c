/*
 * NAME
 *	status 3
 * SUMMARY
 *	count what retryd holds: by state, by group and verdict, oldest
 * DESCRIPTION
 *	status_census() walks the state index for live messages (never the
 *	done ones a store keeps by the million), fetches each record for its
 *	group, last verdict and first failure, and counts the suppressed
 *	table. Messages that vanish during the walk are skipped.
 *
 *	Owns: nothing after the call (the id list is freed).
 * DIAGNOSTICS
 *	A store error: -1 and the message in err.
 */
#include "status/status.h"

#include <stdlib.h>
#include <string.h>

struct status_ids {
	char (*mta)[LIMIT_MTA_NAME + 1];
	char (*id)[LIMIT_QUEUE_ID + 1];
	size_t n, cap;
};

static int status_collect(enum store_msg_state state, int64_t finished,
			  const char *mta, const char *queue_id, void *arg)
{
	struct status_ids *ids = arg;

	(void)state;
	(void)finished;
	if (ids->n == ids->cap) {
		size_t cap = ids->cap ? ids->cap * 2 : 256;
		void *a = realloc(ids->mta, cap * sizeof(*ids->mta));
		void *b;

		if (a == NULL)
			return -1;
		ids->mta = a;
		if ((b = realloc(ids->id, cap * sizeof(*ids->id))) == NULL)
			return -1;
		ids->id = b;
		ids->cap = cap;
	}
	snprintf(ids->mta[ids->n], sizeof(ids->mta[0]), "%s", mta);
	snprintf(ids->id[ids->n], sizeof(ids->id[0]), "%s", queue_id);
	ids->n++;
	return 0;
}

static void status_count(struct status_census *c, const struct store_message *m)
{
	size_t i;

	c->live++;
	if ((unsigned)m->state < STATUS_STATE_SLOTS)
		c->by_state[m->state]++;
	if (m->first_failure > 0 &&
	    (c->oldest_failure == 0 || m->first_failure < c->oldest_failure))
		c->oldest_failure = m->first_failure;
	for (i = 0; i < c->nbuckets; i++)
		if (strcmp(c->buckets[i].group, m->group) == 0 &&
		    strcmp(c->buckets[i].verdict, m->last_verdict) == 0)
			break;
	if (i == c->nbuckets) {
		if (c->nbuckets == STATUS_BUCKETS) {
			c->other++;
			return;
		}
		snprintf(c->buckets[i].group, sizeof(c->buckets[i].group), "%s",
			 m->group);
		snprintf(c->buckets[i].verdict, sizeof(c->buckets[i].verdict),
			 "%s", m->last_verdict);
		c->nbuckets++;
	}
	c->buckets[i].n++;
}

static int status_suppressed(const struct store_suppressed *s, void *arg)
{
	(void)s;
	((struct status_census *)arg)->suppressed++;
	return 0;
}

int status_census(struct store *st, struct status_census *c, char *err,
		  size_t errlen)
{
	struct status_ids ids = {0};
	int rc = -1;

	memset(c, 0, sizeof(*c));
	if (store_walk_live_ids(st, STORE_STATES_LIVE, status_collect, &ids,
				err, errlen) != STORE_OK)
		goto out;
	for (size_t i = 0; i < ids.n; i++) {
		struct store_message *m = NULL;
		int r = store_get_message(st, NULL, ids.mta[i], ids.id[i], &m,
					  err, errlen);

		if (r == STORE_NOTFOUND)
			continue;
		if (r != STORE_OK)
			goto out;
		if (m->state != STORE_MSG_DONE)
			status_count(c, m);
		store_message_free(m);
	}
	if (store_walk_suppressed(st, status_suppressed, c, err, errlen) !=
	    STORE_OK)
		goto out;
	if (store_outbox_enabled(st)) {
		struct store_outbox_stat ob;

		if (store_outbox_stat(st, &ob, err, errlen) != STORE_OK)
			goto out;
		c->fleet = 1;
		c->outbox_evidence = ob.evidence;
		c->outbox_verifications = ob.verifications;
		c->outbox_dropped = ob.dropped;
	}
	rc = 0;
out:
	free(ids.mta);
	free(ids.id);
	return rc;
}

void status_totals_add(struct status_totals *t, const struct pass_stats *s)
{
	t->passes++;
	for (size_t i = 0; i < PASS_VERDICT_SLOTS; i++)
		t->verdicts[i] += s->verdicts[i];
	for (size_t i = 0; i < PASS_ROLE_SLOTS; i++)
		t->answers_by_role[i] += s->answers_by_role[i];
	t->hook_failures += s->hooks_failed;
	t->delivered += s->delivered;
	t->bounced += s->bounced;
	t->given_back += s->given_back;
}
