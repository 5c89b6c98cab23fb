/*
 * NAME
 *	fake_mta 3
 * SUMMARY
 *	a scripted in-process MTA plugin for the daemon-pass unit tests
 * SYNOPSIS
 *	#include "fake_mta.h"
 * DESCRIPTION
 *	The plugin methods over a struct fake_mta: scan() hands out the
 *	listed messages as they are, hold/deliver/release change the listed
 *	messages' held and deferred flags and record the call, giveback()
 *	records whether the daemon committed GIVEBACK_INTENT (and each
 *	suppressed recipient's record) before calling and, but for RELEASE,
 *	takes the messages out of the listing; outcomes() hands out the
 *	scripted outcomes once. valid_id() takes 6 to 12 uppercase hex
 *	characters. fake_log_plugin reads outcomes from an append-only log
 *	from a position it returns and is handed back (plugin ABI 4).
 *
 *	Owns nothing: the state is the caller's struct fake_mta; an outcome
 *	array is freed by fake_outcomes_free().
 * DIAGNOSTICS
 *	Too many messages, outcomes or calls fail the running cmocka test
 *	(assert_true). Methods never report an error.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_mta.h"

struct mta_message *fake_find(struct fake_mta *f, const char *id)
{
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->msgs[i].queue_id, id) == 0)
			return &f->msgs[i];
	return NULL;
}

void fake_remove(struct fake_mta *f, const char *id)
{
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->msgs[i].queue_id, id) == 0) {
			f->msgs[i] = f->msgs[f->n - 1];
			memcpy(f->rcpts[i], f->rcpts[f->n - 1],
			       sizeof(f->rcpts[i]));
			f->msgs[i].rcpts = f->rcpts[i];
			f->n--;
			return;
		}
}

static struct fake_call *fake_record(struct fake_mta *f, const char *op,
				     const char *const *ids, size_t n)
{
	struct fake_call *c = &f->calls[f->ncalls++];

	assert_true(f->ncalls <= FAKE_CALLS_MAX);
	memset(c, 0, sizeof(*c));
	snprintf(c->op, sizeof(c->op), "%s", op);
	for (size_t i = 0; i < n; i++) {
		strncat(c->ids, ids[i], sizeof(c->ids) - strlen(c->ids) - 2);
		if (i + 1 < n)
			strcat(c->ids, " ");
	}
	return c;
}

size_t fake_count(const struct fake_mta *f, const char *op)
{
	size_t k = 0;

	for (size_t i = 0; i < f->ncalls; i++)
		k += strcmp(f->calls[i].op, op) == 0;
	return k;
}

const struct fake_call *fake_last(const struct fake_mta *f, const char *op)
{
	for (size_t i = f->ncalls; i > 0; i--)
		if (strcmp(f->calls[i - 1].op, op) == 0)
			return &f->calls[i - 1];
	return NULL;
}

int fake_delivered_id(const struct fake_mta *f, const char *id)
{
	for (size_t i = 0; i < f->ncalls; i++)
		if (strcmp(f->calls[i].op, "deliver") == 0 &&
		    strstr(f->calls[i].ids, id) != NULL)
			return 1;
	return 0;
}

int fake_open(const struct mta_config *cfg, void **state, char *err,
	      size_t errlen)
{
	return 0;
}
void fake_close(void *state)
{
}

static int fake_valid_id(const char *id)
{
	size_t n = strlen(id);

	if (n < 6 || n > 12)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)id[i]) ||
		    islower((unsigned char)id[i]))
			return 0;
	return 1;
}

static int fake_scan(void *state, struct mta_listing *out, char *err,
		     size_t errlen)
{
	struct fake_mta *f = state;

	out->msgs = f->msgs;
	out->n = f->n;
	out->complete = f->complete;
	out->skipped = 0;
	f->scans++;
	return 0;
}

static int fake_discover(void *state, mta_message_fn fn, void *arg, int *gap,
			 char *err, size_t errlen)
{
	struct fake_mta *f = state;

	f->gap_in = *gap;
	*gap = f->gap;
	f->gap = 0;
	f->discovers++;
	return 0;
}
void fake_listing_free(struct mta_listing *l)
{
}

static int fake_hold(void *state, const char *const *ids, size_t n,
		     size_t *done, char *err, size_t errlen)
{
	struct fake_mta *f = state;

	fake_record(f, "hold", ids, n);
	*done = 0;
	for (size_t i = 0; i < n; i++) {
		struct mta_message *m = fake_find(f, ids[i]);
		if (m) {
			m->held = 1;
			(*done)++;
		}
	}
	return 0;
}

static int fake_deliver(void *state, const char *const *ids, size_t n,
			size_t *done, char *err, size_t errlen)
{
	struct fake_mta *f = state;

	fake_record(f, "deliver", ids, n);
	for (size_t i = 0; i < n; i++) {
		struct mta_message *m = fake_find(f, ids[i]);
		if (m)
			m->held = m->deferred = 0;
		for (size_t j = 0; m && f->deliver_logs_at && j < m->nrcpts;
		     j++)
			fake_log_add(f, ids[i], m->rcpts[j].address,
				     MTA_OUTCOME_DELIVERED, "2.0.0",
				     "250 2.0.0 Ok", f->deliver_logs_at);
	}
	*done = n;
	return 0;
}

static int fake_release(void *state, const char *const *ids, size_t n,
			size_t *done, char *err, size_t errlen)
{
	struct fake_mta *f = state;

	fake_record(f, "release", ids, n);
	for (size_t i = 0; i < n; i++) {
		struct mta_message *m = fake_find(f, ids[i]);
		if (m)
			m->held = 0;
	}
	*done = n;
	return 0;
}

static int fake_giveback(void *state, const char *const *ids, size_t n,
			 enum mta_giveback how, size_t *done, char *err,
			 size_t errlen)
{
	struct fake_mta *f = state;
	struct fake_call *c = fake_record(f, "giveback", ids, n);

	c->how = how;
	c->committed = 1;
	for (size_t i = 0; i < n; i++) {
		struct store_message *m = NULL;
		char e[256];

		if (store_get_message(f->store, NULL, f->mta, ids[i], &m, e,
				      sizeof(e)) != STORE_OK ||
		    m->state != STORE_MSG_GIVEBACK_INTENT)
			c->committed = 0;
		for (size_t r = 0; m && r < m->nrcpts; r++) {
			struct store_suppressed s;

			if (m->rcpts[r].state == STORE_RCPT_SUPPRESSED &&
			    store_get_suppressed(f->store, NULL,
						 m->rcpts[r].address, &s, e,
						 sizeof(e)) != STORE_OK)
				c->committed = 0;
		}
		store_message_free(m);
		if (how != MTA_GIVEBACK_RELEASE)
			fake_remove(f, ids[i]);
		else if (fake_find(f, ids[i]))
			fake_find(f, ids[i])->held = 0;
	}
	*done = n;
	return 0;
}

static int fake_outcomes(void *state, const char *const *ids, size_t n,
			 struct mta_outcomes *out, char *err, size_t errlen)
{
	struct fake_mta *f = state;

	out->items = calloc(f->nout + 1, sizeof(*out->items));
	out->n = 0;
	for (size_t i = 0; i < f->nout; i++)
		out->items[out->n++] = f->outcomes[i];
	f->nout = 0;
	return 0;
}

void fake_outcomes_free(struct mta_outcomes *o)
{
	free(o->items);
	o->items = NULL;
	o->n = 0;
}

static void fake_log_pos(size_t at, struct mta_pos *pos)
{
	memset(pos, 0, sizeof(*pos));
	memcpy(pos->data, "FAKE", 4);
	memcpy(pos->data + 4, &at, sizeof(at));
	pos->len = 4 + sizeof(at);
}

static int fake_log_outcomes(void *state, const char *const *ids, size_t n,
			     struct mta_outcomes *out, char *err, size_t errlen)
{
	struct fake_mta *f = state;

	out->items = calloc(f->nlog + 1, sizeof(*out->items));
	out->n = 0;
	for (; f->rpos < f->nlog &&
	       (f->log_per_call == 0 || out->n < f->log_per_call);
	     f->rpos++)
		out->items[out->n++] = f->log[f->rpos];
	out->more = f->rpos < f->nlog;
	fake_log_pos(f->rpos, &out->pos);
	return 0;
}

static int fake_log_tell(void *state, struct mta_pos *pos, char *err,
			 size_t errlen)
{
	fake_log_pos(((struct fake_mta *)state)->rpos, pos);
	return 0;
}

static int fake_log_seek(void *state, const struct mta_pos *pos, char *err,
			 size_t errlen)
{
	struct fake_mta *f = state;
	size_t at;

	if (pos->len != 4 + sizeof(at) || memcmp(pos->data, "FAKE", 4) != 0) {
		snprintf(err, errlen, "fake: not a position of ours");
		return -1;
	}
	memcpy(&at, pos->data + 4, sizeof(at));
	assert_true(at <= f->nlog);
	f->rpos = at;
	return 0;
}

const struct mta_plugin fake_plugin = {
    .abi = MTA_PLUGIN_ABI,
    .name = "fake",
    .open = fake_open,
    .close = fake_close,
    .valid_id = fake_valid_id,
    .scan = fake_scan,
    .listing_free = fake_listing_free,
    .hold = fake_hold,
    .deliver = fake_deliver,
    .release = fake_release,
    .giveback = fake_giveback,
    .outcomes = fake_outcomes,
    .outcomes_free = fake_outcomes_free,
};

static void fake_fill(struct mta_outcome *o, const char *id, const char *rcpt,
		      enum mta_outcome_status st, const char *dsn,
		      const char *text, int64_t t)
{
	memset(o, 0, sizeof(*o));
	snprintf(o->queue_id, sizeof(o->queue_id), "%s", id);
	snprintf(o->address, sizeof(o->address), "%s", rcpt);
	o->status = st;
	snprintf(o->dsn, sizeof(o->dsn), "%s", dsn);
	snprintf(o->text, sizeof(o->text), "%s", text);
	o->time = t;
}

const struct mta_plugin fake_log_plugin = {
    .abi = MTA_PLUGIN_ABI,
    .name = "fake-log",
    .open = fake_open,
    .close = fake_close,
    .valid_id = fake_valid_id,
    .scan = fake_scan,
    .listing_free = fake_listing_free,
    .hold = fake_hold,
    .deliver = fake_deliver,
    .release = fake_release,
    .giveback = fake_giveback,
    .outcomes = fake_log_outcomes,
    .outcomes_free = fake_outcomes_free,
    .outcomes_tell = fake_log_tell,
    .outcomes_seek = fake_log_seek,
};

void fake_log_add(struct fake_mta *f, const char *id, const char *rcpt,
		  enum mta_outcome_status st, const char *dsn, const char *text,
		  int64_t t)
{
	assert_true(f->nlog < FAKE_LOG);
	fake_fill(&f->log[f->nlog++], id, rcpt, st, dsn, text, t);
}

void fake_add(struct fake_mta *f, const char *id, const char *rcpt1,
	      const char *rcpt2, const char *reason, int64_t arrival)
{
	struct mta_message *m = &f->msgs[f->n];

	assert_true(f->n < FAKE_MAX);
	memset(m, 0, sizeof(*m));
	snprintf(m->queue_id, sizeof(m->queue_id), "%s", id);
	snprintf(m->sender, sizeof(m->sender), "sender@example.org");
	m->arrival = arrival;
	m->deferred = 1;
	m->rcpts = f->rcpts[f->n];
	memset(m->rcpts, 0, sizeof(f->rcpts[0]));
	snprintf(m->rcpts[0].address, sizeof(m->rcpts[0].address), "%s", rcpt1);
	snprintf(m->rcpts[0].reason, sizeof(m->rcpts[0].reason), "%s", reason);
	m->nrcpts = 1;
	if (rcpt2) {
		snprintf(m->rcpts[1].address, sizeof(m->rcpts[1].address), "%s",
			 rcpt2);
		snprintf(m->rcpts[1].reason, sizeof(m->rcpts[1].reason), "%s",
			 reason);
		m->nrcpts = 2;
	}
	f->n++;
}

void fake_outcome(struct fake_mta *f, const char *id, const char *rcpt,
		  enum mta_outcome_status st, const char *dsn, const char *text,
		  int64_t t)
{
	assert_true(f->nout < FAKE_MAX);
	fake_fill(&f->outcomes[f->nout++], id, rcpt, st, dsn, text, t);
	/* a deferred or bounced-for-one recipient leaves it in the queue */
	if (st == MTA_OUTCOME_DEFERRED && fake_find(f, id))
		fake_find(f, id)->deferred = 1;
}

const struct mta_plugin fake_discover_plugin = {
    .abi = MTA_PLUGIN_ABI,
    .name = "fake-discover",
    .open = fake_open,
    .close = fake_close,
    .valid_id = fake_valid_id,
    .scan = fake_scan,
    .discover = fake_discover,
    .listing_free = fake_listing_free,
    .hold = fake_hold,
    .deliver = fake_deliver,
    .release = fake_release,
    .giveback = fake_giveback,
    .outcomes = fake_outcomes,
    .outcomes_free = fake_outcomes_free,
};
