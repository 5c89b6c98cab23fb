/*
 * NAME
 *	store_event 3
 * SUMMARY
 *	the sentinel's database: events by domain and time, watch state
 * SYNOPSIS
 *	#include "store/store.h"
 * DESCRIPTION
 *	events.db holds what the sentinel (pass_sentinel.c) saw and did, as
 *	JSON text written by it (the store only bounds and keys it):
 *	  'E' DOMAIN '\0' BE64(time) NODE '\0'   one event (a flush at a
 *	                         node, a verdict that began or ended)
 *	  'W' DOMAIN '\0'        the watch state of DOMAIN (last verdict,
 *	                         since when, each MTA node's answer)
 *	  'W' '\0'               the last sentinel run (domain "")
 *	so one domain's events since a time are one key range scan, and a
 *	second event for the same domain, second and node replaces the
 *	first. Walks copy records out in chunks (store_walk_raw) and call
 *	back with no lock held; records are valid only during the call.
 * DIAGNOSTICS
 *	A key or text over its bound is refused (STORE_ERROR, err says
 *	which); records with a key that does not parse are logged and
 *	skipped by walks, never deleted.
 */
#include "store/store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_codec.h"

#define EVENT_KEY_MAX (1 + LIMIT_DOMAIN + 1 + 8 + LIMIT_EVENT_NODE + 1)

/* 'KIND' DOMAIN '\0': @return the length, 0 when the domain is too long. */
static size_t event_prefix(char kind, const char *domain, uint8_t *key)
{
	size_t n = strnlen(domain, LIMIT_DOMAIN + 1);

	if (n > LIMIT_DOMAIN)
		return 0;
	key[0] = (uint8_t)kind;
	memcpy(key + 1, domain, n);
	key[1 + n] = 0;
	return n + 2;
}

static int event_text_ok(const char *json, char *err, size_t errlen)
{
	if (json == NULL ||
	    strnlen(json, LIMIT_EVENT_TEXT + 1) > LIMIT_EVENT_TEXT) {
		snprintf(err, errlen,
			 "store: events: text empty or over %d "
			 "bytes",
			 LIMIT_EVENT_TEXT);
		return -1;
	}
	return 0;
}

int store_add_event(struct store *st, struct store_txn *txn,
		    const struct store_event *ev, char *err, size_t errlen)
{
	uint8_t key[EVENT_KEY_MAX];
	size_t len = event_prefix('E', ev->domain, key);
	size_t nlen = strnlen(ev->node, LIMIT_EVENT_NODE + 1);

	if (len <= 2 || nlen > LIMIT_EVENT_NODE || ev->time < 0) {
		snprintf(err, errlen,
			 "store: events: bad key (domain, node "
			 "or time)");
		return STORE_ERROR;
	}
	if (event_text_ok(ev->json, err, errlen) < 0)
		return STORE_ERROR;
	store_codec_put_be64(key + len, (uint64_t)ev->time);
	len += 8;
	memcpy(key + len, ev->node, nlen);
	len += nlen;
	key[len++] = 0;
	return store_kv_put(st, txn, st->events, "events", key, len, ev->json,
			    strlen(ev->json) + 1, err, errlen);
}

int store_put_watch(struct store *st, struct store_txn *txn, const char *domain,
		    const char *json, char *err, size_t errlen)
{
	uint8_t key[EVENT_KEY_MAX];
	size_t len = event_prefix('W', domain, key);

	if (len == 0) {
		snprintf(err, errlen, "store: events: domain too long");
		return STORE_ERROR;
	}
	if (event_text_ok(json, err, errlen) < 0)
		return STORE_ERROR;
	return store_kv_put(st, txn, st->events, "events", key, len, json,
			    strlen(json) + 1, err, errlen);
}

int store_get_watch(struct store *st, struct store_txn *txn, const char *domain,
		    char **json, char *err, size_t errlen)
{
	uint8_t key[EVENT_KEY_MAX], *val = NULL;
	size_t len = event_prefix('W', domain, key), vlen = 0;
	int rc;

	*json = NULL;
	if (len == 0) {
		snprintf(err, errlen, "store: events: domain too long");
		return STORE_ERROR;
	}
	rc = store_kv_get(st, txn, st->events, "events", key, len, &val, &vlen,
			  err, errlen);
	if (rc != STORE_OK)
		return rc;
	if (vlen == 0 || val[vlen - 1] != 0) {
		free(val);
		store_log_bad("events", key, len, "text not terminated");
		snprintf(err, errlen, "store: events: bad watch record");
		return STORE_ERROR;
	}
	*json = (char *)val;
	return STORE_OK;
}

struct event_walk {
	char kind;
	int64_t since;
	store_event_fn fn;
	void *arg;
};

/* Split one raw record into a struct store_event; 0 when it does not parse. */
static int event_parse(const uint8_t *key, size_t klen, const uint8_t *val,
		       size_t vlen, char kind, struct store_event *ev)
{
	const uint8_t *z = memchr(key + 1, 0, klen - 1);
	size_t dlen, rest;

	memset(ev, 0, sizeof(*ev));
	if (z == NULL || vlen == 0 || val[vlen - 1] != 0)
		return 0;
	dlen = (size_t)(z - key - 1);
	if (dlen > LIMIT_DOMAIN)
		return 0;
	memcpy(ev->domain, key + 1, dlen);
	ev->json = (const char *)val;
	if (kind == 'W')
		return (size_t)(z - key) + 1 == klen;
	rest = klen - (size_t)(z - key) - 1;
	if (rest < 9 || key[klen - 1] != 0 || rest - 9 > LIMIT_EVENT_NODE)
		return 0;
	ev->time = (int64_t)store_codec_get_be64(z + 1);
	memcpy(ev->node, z + 9, rest - 9);
	return 1;
}

static int event_walk_one(struct store *st, const uint8_t *key, size_t klen,
			  const uint8_t *val, size_t vlen, void *arg)
{
	struct event_walk *w = arg;
	struct store_event ev;

	(void)st;
	if (!event_parse(key, klen, val, vlen, w->kind, &ev)) {
		store_log_bad("events", key, klen,
			      "key or text does not parse");
		return 0;
	}
	if (w->kind == 'E' && ev.time < w->since)
		return 0;
	return w->fn(&ev, w->arg);
}

static int event_walk(struct store *st, char kind, const char *domain,
		      int64_t since, store_event_fn fn, void *arg, char *err,
		      size_t errlen)
{
	struct event_walk w = {kind, since, fn, arg};
	uint8_t prefix[EVENT_KEY_MAX];
	size_t plen = 1;

	prefix[0] = (uint8_t)kind;
	if (domain != NULL &&
	    (plen = event_prefix(kind, domain, prefix)) == 0) {
		snprintf(err, errlen, "store: events: domain too long");
		return STORE_ERROR;
	}
	return store_walk_raw(st, st->events, "events", prefix, plen, prefix,
			      plen, event_walk_one, &w, err, errlen);
}

int store_walk_events(struct store *st, const char *domain, int64_t since,
		      store_event_fn fn, void *arg, char *err, size_t errlen)
{
	return event_walk(st, 'E', domain, since, fn, arg, err, errlen);
}

int store_walk_watch(struct store *st, store_event_fn fn, void *arg, char *err,
		     size_t errlen)
{
	return event_walk(st, 'W', NULL, 0, fn, arg, err, errlen);
}
