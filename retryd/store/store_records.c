/*
 * NAME
 *	store_records 3
 * SUMMARY
 *	domains, verifications and suppressed addresses
 * SYNOPSIS
 *	#include "store/store.h"
 * DESCRIPTION
 *	domains.db and suppressed.db map a bare name to one record;
 *	verifications.db keeps a history under "DOMAIN\0" BE64(time), so
 *	one domain's verifications since a time are a key range scan (a
 *	second verification of a domain in the same second replaces the
 *	first). Walks copy records out in chunks (store_walk_raw) and call
 *	back with no lock held; records are valid only during the call.
 *	store_prune_verifications() bounds that history: a cursor deletes a
 *	domain's verifications older than a time, oldest first, then jumps
 *	to the next domain, a bounded number of steps per call.
 * DIAGNOSTICS
 *	Records that do not decode, or do not match their key, are logged
 *	and skipped by walks, refused by gets (STORE_ERROR), never deleted.
 */
#include "store/store_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_codec.h"

/* A name used as a whole key: 1..max bytes. */
static int rec_name_key(const char *name, size_t max, const char *dbname,
			size_t *klen, char *err, size_t errlen)
{
	size_t n = name ? strnlen(name, max + 1) : 0;

	if (n == 0 || n > max) {
		snprintf(err, errlen, "store: %s: key empty or too long",
			 dbname);
		return -1;
	}
	*klen = n;
	return 0;
}

static int rec_encode_failed(const char *dbname, const char *why,
			     struct store_codec_buf *buf, char *err,
			     size_t errlen)
{
	snprintf(err, errlen, "store: %s: put: %s", dbname, why);
	free(buf->data);
	return STORE_ERROR;
}

static int rec_bad(const char *dbname, const void *key, size_t klen,
		   const char *why, char *err, size_t errlen)
{
	char kp[101];

	snprintf(err, errlen, "store: %s: record %.100s: bad format (%s)",
		 dbname, store_key_printable(key, klen, kp, sizeof(kp)), why);
	return STORE_ERROR;
}

/* ---- domains ---- */

int store_put_domain(struct store *st, struct store_txn *txn,
		     const struct store_domain *d, char *err, size_t errlen)
{
	struct store_codec_buf buf = {NULL, 0, 0};
	size_t klen;
	char why[200];
	int rc;

	if (rec_name_key(d->domain, LIMIT_DOMAIN, "domains", &klen, err,
			 errlen) != 0)
		return STORE_ERROR;
	if (store_codec_domain_encode(d, &buf, why, sizeof(why)) != 0)
		return rec_encode_failed("domains", why, &buf, err, errlen);
	rc = store_kv_put(st, txn, st->domains, "domains", d->domain, klen,
			  buf.data, buf.len, err, errlen);
	free(buf.data);
	return rc;
}

int store_get_domain(struct store *st, struct store_txn *txn,
		     const char *domain, struct store_domain *out, char *err,
		     size_t errlen)
{
	uint8_t *val;
	size_t klen, vlen;
	char why[200];
	int rc;

	memset(out, 0, sizeof(*out));
	if (rec_name_key(domain, LIMIT_DOMAIN, "domains", &klen, err, errlen) !=
	    0)
		return STORE_ERROR;
	rc = store_kv_get(st, txn, st->domains, "domains", domain, klen, &val,
			  &vlen, err, errlen);
	if (rc != STORE_OK)
		return rc;
	rc = store_codec_domain_decode(val, vlen, out, why, sizeof(why));
	free(val);
	if (rc == 0 && strcmp(out->domain, domain) != 0) {
		snprintf(why, sizeof(why), "key does not match the record");
		rc = -1;
	}
	if (rc != 0) {
		memset(out, 0, sizeof(*out));
		return rec_bad("domains", domain, klen, why, err, errlen);
	}
	return STORE_OK;
}

struct rec_walk {
	union {
		store_domain_fn domain;
		store_verification_fn verification;
		store_suppressed_fn suppressed;
	} fn;
	void *arg;
	int64_t since;
};

static int rec_domain_one(struct store *st, const uint8_t *key, size_t klen,
			  const uint8_t *val, size_t vlen, void *arg)
{
	struct rec_walk *w = arg;
	struct store_domain d;
	char why[200];

	(void)st;
	if (store_codec_domain_decode(val, vlen, &d, why, sizeof(why)) != 0) {
		store_log_bad("domains", key, klen, why);
		return 0;
	}
	if (strlen(d.domain) != klen || memcmp(d.domain, key, klen) != 0) {
		store_log_bad("domains", key, klen,
			      "key does not match the record");
		return 0;
	}
	return w->fn.domain(&d, w->arg);
}

int store_walk_domains(struct store *st, store_domain_fn fn, void *arg,
		       char *err, size_t errlen)
{
	struct rec_walk w = {.fn.domain = fn, .arg = arg};

	return store_walk_raw(st, st->domains, "domains", NULL, 0, NULL, 0,
			      rec_domain_one, &w, err, errlen);
}

/* ---- verifications ---- */

struct rec_verification_op {
	const uint8_t *key;
	size_t klen;
	const uint8_t *val;
	size_t vlen;
};

/* The record, and the fleet's copy in the same transaction. */
static int rec_verification_put_op(struct store *st, DB_TXN *tid, void *arg,
				   char *err, size_t errlen)
{
	struct rec_verification_op *o = arg;
	DBT k, v;
	int ret;

	memset(&k, 0, sizeof(k));
	memset(&v, 0, sizeof(v));
	k.data = (void *)o->key;
	k.size = (u_int32_t)o->klen;
	v.data = (void *)o->val;
	v.size = (u_int32_t)o->vlen;
	ret = st->verifications->put(st->verifications, tid, &k, &v, 0);
	if (ret != 0)
		return store_fail(st, err, errlen, "verifications", "put", ret);
	return store_outbox_put_op(st, tid, STORE_OUTBOX_VERIFICATION, o->val,
				   o->vlen, err, errlen);
}

int store_add_verification(struct store *st, struct store_txn *txn,
			   const struct store_verification *v, char *err,
			   size_t errlen)
{
	struct store_codec_buf buf = {NULL, 0, 0};
	uint8_t key[STORE_CODEC_VERIFICATION_KEY_MAX];
	size_t klen;
	char why[200];
	int rc;

	klen =
	    store_codec_verification_key(v->domain, v->time, key, sizeof(key));
	if (klen == 0) {
		snprintf(err, errlen,
			 "store: verifications: key: domain "
			 "empty or too long, or time negative");
		return STORE_ERROR;
	}
	if (store_codec_verification_encode(v, &buf, why, sizeof(why)) != 0)
		return rec_encode_failed("verifications", why, &buf, err,
					 errlen);
	{
		struct rec_verification_op o = {key, klen, buf.data, buf.len};

		rc = store_run(st, txn, 0, rec_verification_put_op, &o, err,
			       errlen);
	}
	free(buf.data);
	return rc;
}

static int rec_verification_one(struct store *st, const uint8_t *key,
				size_t klen, const uint8_t *val, size_t vlen,
				void *arg)
{
	struct rec_walk *w = arg;
	struct store_verification v;
	uint8_t want[STORE_CODEC_VERIFICATION_KEY_MAX];
	size_t wlen;
	char why[200];
	int rc;

	(void)st;
	if (store_codec_verification_decode(val, vlen, &v, why, sizeof(why))) {
		store_log_bad("verifications", key, klen, why);
		return 0;
	}
	wlen =
	    store_codec_verification_key(v.domain, v.time, want, sizeof(want));
	if (wlen != klen || memcmp(want, key, klen) != 0) {
		store_log_bad("verifications", key, klen,
			      "key does not match the record");
		free(v.answers);
		return 0;
	}
	rc = v.time >= w->since ? w->fn.verification(&v, w->arg) : 0;
	free(v.answers);
	return rc;
}

int store_walk_verifications(struct store *st, const char *domain,
			     int64_t since, store_verification_fn fn, void *arg,
			     char *err, size_t errlen)
{
	struct rec_walk w = {.fn.verification = fn, .arg = arg, .since = since};
	uint8_t start[STORE_CODEC_VERIFICATION_KEY_MAX];
	size_t plen, slen;

	if (domain == NULL)
		return store_walk_raw(st, st->verifications, "verifications",
				      NULL, 0, NULL, 0, rec_verification_one,
				      &w, err, errlen);
	slen = store_codec_verification_key(domain, since > 0 ? since : 0,
					    start, sizeof(start));
	if (slen == 0) {
		snprintf(err, errlen,
			 "store: verifications: walk: domain "
			 "empty or too long");
		return STORE_ERROR;
	}
	plen = slen - 8;
	return store_walk_raw(st, st->verifications, "verifications", start,
			      slen, start, plen, rec_verification_one, &w, err,
			      errlen);
}

struct prune_op {
	int64_t before;
	size_t steps;
	const char *start;
	char next[LIMIT_DOMAIN + 1];
	size_t deleted;
};

/* Put "DOMAIN\x01" in k: the first key after every "DOMAIN\0..." one. */
static int prune_jump(DBT *k, size_t dlen)
{
	uint8_t *p = realloc(k->data, dlen + 1);

	if (p == NULL)
		return ENOMEM;
	p[dlen] = 1;
	k->data = p;
	k->size = (u_int32_t)(dlen + 1);
	return 0;
}

static int prune_op(struct store *st, DB_TXN *tid, void *arg, char *err,
		    size_t errlen)
{
	struct prune_op *o = arg;
	size_t slen = strlen(o->start);
	DBC *c;
	DBT k, v;
	int ret, cret, flag = slen ? DB_SET_RANGE : DB_FIRST;

	o->deleted = 0;
	o->next[0] = '\0';
	if ((ret = st->verifications->cursor(st->verifications, tid, &c, 0)) !=
	    0)
		return store_fail(st, err, errlen, "verifications", "prune",
				  ret);
	memset(&k, 0, sizeof(k));
	memset(&v, 0, sizeof(v));
	k.flags = DB_DBT_REALLOC;
	v.flags = DB_DBT_PARTIAL; /* the answers are not needed */
	if ((k.data = malloc(slen + 1)) == NULL) {
		c->close(c);
		return store_fail(st, err, errlen, "verifications", "prune",
				  ENOMEM);
	}
	memcpy(k.data, o->start, slen);
	k.size = (u_int32_t)slen;
	for (size_t step = 0;; step++) {
		const uint8_t *key;
		const uint8_t *nul;
		size_t dlen;

		if ((ret = c->get(c, &k, &v, flag)) != 0)
			break;
		key = k.data;
		nul = memchr(key, 0, k.size);
		dlen = nul ? (size_t)(nul - key) : 0;
		if (nul == NULL || dlen == 0 || dlen > LIMIT_DOMAIN ||
		    k.size != dlen + 1 + 8) {
			if (step >= o->steps)
				break;	/* the next call starts over */
			flag = DB_NEXT; /* not ours to judge: never deleted */
			continue;
		}
		if (step >= o->steps) {
			memcpy(o->next, key, dlen);
			o->next[dlen] = '\0';
			break;
		}
		if ((int64_t)store_codec_get_be64(nul + 1) < o->before) {
			if ((ret = c->del(c, 0)) != 0)
				break;
			o->deleted++;
			flag = DB_NEXT;
			continue;
		}
		if ((ret = prune_jump(&k, dlen)) != 0)
			break;
		flag = DB_SET_RANGE;
	}
	if (ret == DB_NOTFOUND)
		ret = 0;
	free(k.data);
	cret = c->close(c);
	if (ret == 0)
		ret = cret;
	if (ret != 0)
		return store_fail(st, err, errlen, "verifications", "prune",
				  ret);
	return 0;
}

int store_prune_verifications(struct store *st, int64_t before, size_t steps,
			      char *cursor, size_t cursorlen, size_t *deleted,
			      char *err, size_t errlen)
{
	struct prune_op o;
	int rc;

	memset(&o, 0, sizeof(o));
	*deleted = 0;
	o.before = before;
	o.steps = steps;
	o.start = cursor;
	rc = store_run(st, NULL, 0, prune_op, &o, err, errlen);
	if (rc == STORE_OK) {
		*deleted = o.deleted;
		snprintf(cursor, cursorlen, "%s", o.next);
	}
	return rc;
}

/* ---- suppressed ---- */

int store_put_suppressed(struct store *st, struct store_txn *txn,
			 const struct store_suppressed *s, char *err,
			 size_t errlen)
{
	struct store_codec_buf buf = {NULL, 0, 0};
	size_t klen;
	char why[200];
	int rc;

	if (rec_name_key(s->address, LIMIT_ADDRESS, "suppressed", &klen, err,
			 errlen) != 0)
		return STORE_ERROR;
	if (store_codec_suppressed_encode(s, &buf, why, sizeof(why)) != 0)
		return rec_encode_failed("suppressed", why, &buf, err, errlen);
	rc = store_kv_put(st, txn, st->suppressed, "suppressed", s->address,
			  klen, buf.data, buf.len, err, errlen);
	free(buf.data);
	return rc;
}

int store_get_suppressed(struct store *st, struct store_txn *txn,
			 const char *address, struct store_suppressed *out,
			 char *err, size_t errlen)
{
	uint8_t *val;
	size_t klen, vlen;
	char why[200];
	int rc;

	memset(out, 0, sizeof(*out));
	if (rec_name_key(address, LIMIT_ADDRESS, "suppressed", &klen, err,
			 errlen) != 0)
		return STORE_ERROR;
	rc = store_kv_get(st, txn, st->suppressed, "suppressed", address, klen,
			  &val, &vlen, err, errlen);
	if (rc != STORE_OK)
		return rc;
	rc = store_codec_suppressed_decode(val, vlen, out, why, sizeof(why));
	free(val);
	if (rc == 0 && strcmp(out->address, address) != 0) {
		snprintf(why, sizeof(why), "key does not match the record");
		rc = -1;
	}
	if (rc != 0) {
		memset(out, 0, sizeof(*out));
		return rec_bad("suppressed", address, klen, why, err, errlen);
	}
	return STORE_OK;
}

int store_del_suppressed(struct store *st, struct store_txn *txn,
			 const char *address, char *err, size_t errlen)
{
	size_t klen;

	if (rec_name_key(address, LIMIT_ADDRESS, "suppressed", &klen, err,
			 errlen) != 0)
		return STORE_ERROR;
	return store_kv_del(st, txn, st->suppressed, "suppressed", address,
			    klen, err, errlen);
}

static int rec_suppressed_one(struct store *st, const uint8_t *key, size_t klen,
			      const uint8_t *val, size_t vlen, void *arg)
{
	struct rec_walk *w = arg;
	struct store_suppressed s;
	char why[200];

	(void)st;
	if (store_codec_suppressed_decode(val, vlen, &s, why, sizeof(why))) {
		store_log_bad("suppressed", key, klen, why);
		return 0;
	}
	if (strlen(s.address) != klen || memcmp(s.address, key, klen) != 0) {
		store_log_bad("suppressed", key, klen,
			      "key does not match the record");
		return 0;
	}
	return w->fn.suppressed(&s, w->arg);
}

int store_walk_suppressed(struct store *st, store_suppressed_fn fn, void *arg,
			  char *err, size_t errlen)
{
	struct rec_walk w = {.fn.suppressed = fn, .arg = arg};

	return store_walk_raw(st, st->suppressed, "suppressed", NULL, 0, NULL,
			      0, rec_suppressed_one, &w, err, errlen);
}
