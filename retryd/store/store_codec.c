/*
 * NAME
 *	store_codec 3
 * SUMMARY
 *	encode and strictly decode the store's records and keys
 * SYNOPSIS
 *	#include "store/store_codec.h"
 * DESCRIPTION
 *	Pure code: no Berkeley DB, no I/O, no clock, no globals. The record
 *	layouts are written out field by field below, in the order they are
 *	stored; changing any of them needs a new STORE_FORMAT_VERSION.
 *	Also owns store_message_new/free and the enum name tables, which are
 *	pure too.
 * DIAGNOSTICS
 *	Decoders return -1 with "offset N: what is wrong" in err; encoders
 *	return -1 with the field that is out of bounds.
 */
#include "store/store_codec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- big-endian helpers ---- */

void store_codec_put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

uint64_t store_codec_get_be64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

void store_codec_put_be32(uint8_t *p, uint32_t v)
{
	for (int i = 3; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

uint32_t store_codec_get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* ---- writer ---- */

struct codec_writer {
	struct store_codec_buf *out;
	int failed;
	char *err;
	size_t errlen;
};

static void codec_fail(struct codec_writer *w, const char *field,
		       const char *why)
{
	if (!w->failed)
		snprintf(w->err, w->errlen, "%s: %s", field, why);
	w->failed = 1;
}

static void codec_put(struct codec_writer *w, const void *p, size_t n)
{
	struct store_codec_buf *b = w->out;

	if (w->failed)
		return;
	if (b->cap - b->len < n) {
		size_t cap = b->cap ? b->cap : 256;
		uint8_t *d;

		while (cap - b->len < n)
			cap *= 2;
		if ((d = realloc(b->data, cap)) == NULL) {
			codec_fail(w, "record", "out of memory");
			return;
		}
		b->data = d;
		b->cap = cap;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

static void codec_put_u8(struct codec_writer *w, unsigned v)
{
	uint8_t c = (uint8_t)v;

	codec_put(w, &c, 1);
}

static void codec_put_i64(struct codec_writer *w, int64_t v)
{
	uint8_t b[8];

	store_codec_put_be64(b, (uint64_t)v);
	codec_put(w, b, 8);
}

static void codec_put_u32(struct codec_writer *w, uint32_t v)
{
	uint8_t b[4];

	store_codec_put_be32(b, v);
	codec_put(w, b, 4);
}

/*
 * A string field held in a char array of size max+1: it must be
 * terminated within the array; @param nonempty for key fields.
 */
static void codec_put_str(struct codec_writer *w, const char *field,
			  const char *s, size_t max, int nonempty)
{
	size_t n = strnlen(s, max + 1);
	uint8_t b[2];

	if (n > max || (nonempty && n == 0)) {
		codec_fail(w, field,
			   n ? "too long or not terminated" : "empty");
		return;
	}
	b[0] = (uint8_t)(n >> 8);
	b[1] = (uint8_t)n;
	codec_put(w, b, 2);
	codec_put(w, s, n);
}

static int codec_writer_end(struct codec_writer *w)
{
	return w->failed ? -1 : 0;
}

/* ---- reader ---- */

struct codec_reader {
	const uint8_t *p;
	size_t len;
	size_t off;
	int failed;
	char *err;
	size_t errlen;
};

static void codec_bad(struct codec_reader *r, const char *why)
{
	if (!r->failed)
		snprintf(r->err, r->errlen, "offset %zu: %s", r->off, why);
	r->failed = 1;
}

static const uint8_t *codec_take(struct codec_reader *r, size_t n)
{
	const uint8_t *p;

	if (r->failed)
		return NULL;
	if (r->len - r->off < n) {
		codec_bad(r, "truncated");
		return NULL;
	}
	p = r->p + r->off;
	r->off += n;
	return p;
}

static unsigned codec_get_u8(struct codec_reader *r)
{
	const uint8_t *p = codec_take(r, 1);

	return p ? *p : 0;
}

static int64_t codec_get_i64(struct codec_reader *r)
{
	const uint8_t *p = codec_take(r, 8);

	return p ? (int64_t)store_codec_get_be64(p) : 0;
}

static uint32_t codec_get_u32(struct codec_reader *r)
{
	const uint8_t *p = codec_take(r, 4);

	return p ? store_codec_get_be32(p) : 0;
}

/* Into a char array of size max+1; always NUL-terminates dst. */
static void codec_get_str(struct codec_reader *r, const char *field, char *dst,
			  size_t max, int nonempty)
{
	const uint8_t *lp = codec_take(r, 2);
	const uint8_t *s;
	size_t n;
	char why[80];

	dst[0] = 0;
	if (lp == NULL)
		return;
	n = (size_t)lp[0] << 8 | lp[1];
	if (n > max) {
		snprintf(why, sizeof(why), "%s: length %zu over %zu", field, n,
			 max);
		codec_bad(r, why);
		return;
	}
	if (nonempty && n == 0) {
		snprintf(why, sizeof(why), "%s: empty", field);
		codec_bad(r, why);
		return;
	}
	if ((s = codec_take(r, n)) == NULL)
		return;
	if (memchr(s, 0, n) != NULL) {
		snprintf(why, sizeof(why), "%s: NUL byte inside", field);
		codec_bad(r, why);
		return;
	}
	memcpy(dst, s, n);
	dst[n] = 0;
}

static void codec_get_version(struct codec_reader *r)
{
	unsigned v = codec_get_u8(r);

	if (!r->failed && v != STORE_FORMAT_VERSION) {
		r->off = 0;
		codec_bad(r, "unknown format version");
	}
}

static int codec_reader_end(struct codec_reader *r)
{
	if (!r->failed && r->off != r->len)
		codec_bad(r, "trailing bytes");
	return r->failed ? -1 : 0;
}

#define CODEC_STR(w, name, field, nonempty)                                    \
	codec_put_str((w), name, (field), sizeof(field) - 1, (nonempty))
#define CODEC_GET_STR(r, name, field, nonempty)                                \
	codec_get_str((r), name, (field), sizeof(field) - 1, (nonempty))

/* ---- messages ---- */

struct store_message *store_message_new(size_t nrcpts)
{
	struct store_message *m;

	if (nrcpts > LIMIT_RCPTS_PER_MESSAGE)
		return NULL;
	m = calloc(1, sizeof(*m) + nrcpts * sizeof(m->rcpts[0]));
	if (m)
		m->nrcpts = nrcpts;
	return m;
}

void store_message_free(struct store_message *m)
{
	free(m);
}

static int codec_msg_state_ok(unsigned s)
{
	return s >= STORE_MSG_ADOPT_INTENT && s <= STORE_MSG_DONE;
}

static int codec_rcpt_state_ok(unsigned s)
{
	return s >= STORE_RCPT_PENDING && s <= STORE_RCPT_GIVEN_BACK;
}

/*
 * Layout: version, BE64 next_attempt, mta, queue_id, sender, domain,
 * group, u8 state, BE64 arrival, first_failure, adopted_at, last_attempt,
 * BE32 attempts, last_verdict, last_reason, BE16 nrcpts, then per
 * recipient: address, u8 state, dsn, reason.
 */
int store_codec_message_encode(const struct store_message *m,
			       struct store_codec_buf *out, char *err,
			       size_t errlen)
{
	struct codec_writer w = {out, 0, err, errlen};
	uint8_t n[2];

	if (!codec_msg_state_ok(m->state))
		codec_fail(&w, "state", "unknown value");
	if (m->nrcpts > LIMIT_RCPTS_PER_MESSAGE)
		codec_fail(&w, "recipients", "too many");
	codec_put_u8(&w, STORE_FORMAT_VERSION);
	codec_put_i64(&w, m->next_attempt);
	CODEC_STR(&w, "mta", m->mta, 1);
	CODEC_STR(&w, "queue_id", m->queue_id, 1);
	CODEC_STR(&w, "sender", m->sender, 0);
	CODEC_STR(&w, "domain", m->domain, 0);
	CODEC_STR(&w, "group", m->group, 0);
	codec_put_u8(&w, m->state);
	codec_put_i64(&w, m->arrival);
	codec_put_i64(&w, m->first_failure);
	codec_put_i64(&w, m->adopted_at);
	codec_put_i64(&w, m->last_attempt);
	codec_put_u32(&w, m->attempts);
	CODEC_STR(&w, "last_verdict", m->last_verdict, 0);
	CODEC_STR(&w, "last_reason", m->last_reason, 0);
	n[0] = (uint8_t)(m->nrcpts >> 8);
	n[1] = (uint8_t)m->nrcpts;
	codec_put(&w, n, 2);
	for (size_t i = 0; i < m->nrcpts && !w.failed; i++) {
		const struct store_rcpt *rc = &m->rcpts[i];

		if (!codec_rcpt_state_ok(rc->state))
			codec_fail(&w, "recipient state", "unknown value");
		CODEC_STR(&w, "recipient address", rc->address, 1);
		codec_put_u8(&w, rc->state);
		CODEC_STR(&w, "recipient dsn", rc->dsn, 0);
		CODEC_STR(&w, "recipient reason", rc->reason, 0);
	}
	return codec_writer_end(&w);
}

int store_codec_message_decode(const void *buf, size_t len,
			       struct store_message **out, char *err,
			       size_t errlen)
{
	struct codec_reader r = {buf, len, 0, 0, err, errlen};
	struct store_message head, *m;
	const uint8_t *np;
	size_t n;

	*out = NULL;
	memset(&head, 0, sizeof(head));
	codec_get_version(&r);
	head.next_attempt = codec_get_i64(&r);
	CODEC_GET_STR(&r, "mta", head.mta, 1);
	CODEC_GET_STR(&r, "queue_id", head.queue_id, 1);
	CODEC_GET_STR(&r, "sender", head.sender, 0);
	CODEC_GET_STR(&r, "domain", head.domain, 0);
	CODEC_GET_STR(&r, "group", head.group, 0);
	head.state = codec_get_u8(&r);
	if (!r.failed && !codec_msg_state_ok(head.state))
		codec_bad(&r, "state: unknown value");
	head.arrival = codec_get_i64(&r);
	head.first_failure = codec_get_i64(&r);
	head.adopted_at = codec_get_i64(&r);
	head.last_attempt = codec_get_i64(&r);
	head.attempts = codec_get_u32(&r);
	CODEC_GET_STR(&r, "last_verdict", head.last_verdict, 0);
	CODEC_GET_STR(&r, "last_reason", head.last_reason, 0);
	if ((np = codec_take(&r, 2)) == NULL)
		return codec_reader_end(&r);
	n = (size_t)np[0] << 8 | np[1];
	if (n > LIMIT_RCPTS_PER_MESSAGE) {
		codec_bad(&r, "recipients: too many");
		return codec_reader_end(&r);
	}
	/* Each recipient takes at least 8 bytes: refuse before allocating. */
	if ((len - r.off) / 8 < n) {
		codec_bad(&r, "recipients: truncated");
		return codec_reader_end(&r);
	}
	if ((m = store_message_new(n)) == NULL) {
		codec_bad(&r, "out of memory");
		return codec_reader_end(&r);
	}
	*m = head;
	m->nrcpts = n;
	for (size_t i = 0; i < n && !r.failed; i++) {
		struct store_rcpt *rc = &m->rcpts[i];

		CODEC_GET_STR(&r, "recipient address", rc->address, 1);
		rc->state = codec_get_u8(&r);
		if (!r.failed && !codec_rcpt_state_ok(rc->state))
			codec_bad(&r, "recipient state: unknown value");
		CODEC_GET_STR(&r, "recipient dsn", rc->dsn, 0);
		CODEC_GET_STR(&r, "recipient reason", rc->reason, 0);
	}
	if (codec_reader_end(&r) < 0) {
		store_message_free(m);
		return -1;
	}
	*out = m;
	return 0;
}

int store_codec_message_due(const void *buf, size_t len, size_t *offset)
{
	const uint8_t *p = buf;

	if (len < STORE_CODEC_DUE_OFFSET + STORE_CODEC_DUE_SIZE ||
	    p[0] != STORE_FORMAT_VERSION)
		return 0;
	if ((int64_t)store_codec_get_be64(p + STORE_CODEC_DUE_OFFSET) <= 0)
		return 0;
	*offset = STORE_CODEC_DUE_OFFSET;
	return 1;
}

/* Skip one BE16-length string at *off; @return 0, or -1 if truncated. */
static int codec_skip_str(const uint8_t *p, size_t len, size_t *off)
{
	size_t n;

	if (len - *off < 2)
		return -1;
	n = (size_t)p[*off] << 8 | p[*off + 1];
	*off += 2;
	if (len - *off < n)
		return -1;
	*off += n;
	return 0;
}

int store_codec_message_peek(const void *buf, size_t len,
			     enum store_msg_state *state, int64_t *finished)
{
	const uint8_t *p = buf;
	size_t off = STORE_CODEC_DUE_OFFSET + STORE_CODEC_DUE_SIZE;
	int64_t adopted, last;

	if (len < off || p[0] != STORE_FORMAT_VERSION)
		return -1;
	for (int i = 0; i < 5; i++) /* mta, queue_id, sender, domain, group */
		if (codec_skip_str(p, len, &off) < 0)
			return -1;
	if (len - off < 1 + 4 * 8 || !codec_msg_state_ok(p[off]))
		return -1;
	*state = (enum store_msg_state)p[off];
	adopted = (int64_t)store_codec_get_be64(p + off + 1 + 2 * 8);
	last = (int64_t)store_codec_get_be64(p + off + 1 + 3 * 8);
	*finished = last > adopted ? last : adopted;
	if (*finished < 0)
		*finished = 0;
	return 0;
}

size_t store_codec_state_key(enum store_msg_state state, int64_t finished,
			     const void *pkey, size_t pklen, uint8_t *key,
			     size_t cap)
{
	size_t head = state == STORE_MSG_DONE ? 1 + 8 : 1;

	if (!codec_msg_state_ok(state) || pklen == 0 ||
	    pklen > STORE_CODEC_MESSAGE_KEY_MAX || cap < head + pklen)
		return 0;
	key[0] = (uint8_t)state;
	if (state == STORE_MSG_DONE)
		store_codec_put_be64(key + 1,
				     (uint64_t)(finished > 0 ? finished : 0));
	memcpy(key + head, pkey, pklen);
	return head + pklen;
}

/* ---- evidence ---- */

static int codec_outcome_ok(unsigned o)
{
	return o <= STORE_OUTCOME_BOUNCED;
}

/*
 * Layout: version, address, BE64 time, queue_id, host_id, verdict,
 * u8 outcome, dsn, text, category, dns.
 */
int store_codec_evidence_encode(const struct store_evidence *ev,
				struct store_codec_buf *out, char *err,
				size_t errlen)
{
	struct codec_writer w = {out, 0, err, errlen};

	if (!codec_outcome_ok(ev->outcome))
		codec_fail(&w, "outcome", "unknown value");
	if (ev->time < 0)
		codec_fail(&w, "time", "negative");
	codec_put_u8(&w, STORE_FORMAT_VERSION);
	CODEC_STR(&w, "address", ev->address, 1);
	codec_put_i64(&w, ev->time);
	CODEC_STR(&w, "queue_id", ev->queue_id, 0);
	CODEC_STR(&w, "host_id", ev->host_id, 0);
	CODEC_STR(&w, "verdict", ev->verdict, 0);
	codec_put_u8(&w, ev->outcome);
	CODEC_STR(&w, "dsn", ev->dsn, 0);
	CODEC_STR(&w, "text", ev->text, 0);
	CODEC_STR(&w, "category", ev->category, 0);
	CODEC_STR(&w, "dns", ev->dns, 0);
	return codec_writer_end(&w);
}

int store_codec_evidence_decode(const void *buf, size_t len,
				struct store_evidence *out, char *err,
				size_t errlen)
{
	struct codec_reader r = {buf, len, 0, 0, err, errlen};

	memset(out, 0, sizeof(*out));
	codec_get_version(&r);
	CODEC_GET_STR(&r, "address", out->address, 1);
	out->time = codec_get_i64(&r);
	if (!r.failed && out->time < 0)
		codec_bad(&r, "time: negative");
	CODEC_GET_STR(&r, "queue_id", out->queue_id, 0);
	CODEC_GET_STR(&r, "host_id", out->host_id, 0);
	CODEC_GET_STR(&r, "verdict", out->verdict, 0);
	out->outcome = codec_get_u8(&r);
	if (!r.failed && !codec_outcome_ok(out->outcome))
		codec_bad(&r, "outcome: unknown value");
	CODEC_GET_STR(&r, "dsn", out->dsn, 0);
	CODEC_GET_STR(&r, "text", out->text, 0);
	CODEC_GET_STR(&r, "category", out->category, 0);
	CODEC_GET_STR(&r, "dns", out->dns, 0);
	return codec_reader_end(&r);
}

/* ---- domains ---- */

/*
 * Layout: version, domain, BE64 last_verified, verdict, BE64
 * first_failing, BE64 last_healthy, last_mx, BE64 last_escalated.
 */
int store_codec_domain_encode(const struct store_domain *d,
			      struct store_codec_buf *out, char *err,
			      size_t errlen)
{
	struct codec_writer w = {out, 0, err, errlen};

	codec_put_u8(&w, STORE_FORMAT_VERSION);
	CODEC_STR(&w, "domain", d->domain, 1);
	codec_put_i64(&w, d->last_verified);
	CODEC_STR(&w, "verdict", d->verdict, 0);
	codec_put_i64(&w, d->first_failing);
	codec_put_i64(&w, d->last_healthy);
	CODEC_STR(&w, "last_mx", d->last_mx, 0);
	codec_put_i64(&w, d->last_escalated);
	return codec_writer_end(&w);
}

int store_codec_domain_decode(const void *buf, size_t len,
			      struct store_domain *out, char *err,
			      size_t errlen)
{
	struct codec_reader r = {buf, len, 0, 0, err, errlen};

	memset(out, 0, sizeof(*out));
	codec_get_version(&r);
	CODEC_GET_STR(&r, "domain", out->domain, 1);
	out->last_verified = codec_get_i64(&r);
	CODEC_GET_STR(&r, "verdict", out->verdict, 0);
	out->first_failing = codec_get_i64(&r);
	out->last_healthy = codec_get_i64(&r);
	CODEC_GET_STR(&r, "last_mx", out->last_mx, 0);
	out->last_escalated = codec_get_i64(&r);
	return codec_reader_end(&r);
}

/* ---- verifications ---- */

/* Layout: version, domain, BE64 time, verdict, BE32 length + answers. */
int store_codec_verification_encode(const struct store_verification *v,
				    struct store_codec_buf *out, char *err,
				    size_t errlen)
{
	struct codec_writer w = {out, 0, err, errlen};
	const char *a = v->answers ? v->answers : "";
	size_t n = strnlen(a, LIMIT_STORE_ANSWERS + 1);

	if (n > LIMIT_STORE_ANSWERS)
		codec_fail(&w, "answers", "too long");
	if (v->time < 0)
		codec_fail(&w, "time", "negative");
	codec_put_u8(&w, STORE_FORMAT_VERSION);
	CODEC_STR(&w, "domain", v->domain, 1);
	codec_put_i64(&w, v->time);
	CODEC_STR(&w, "verdict", v->verdict, 0);
	codec_put_u32(&w, (uint32_t)n);
	codec_put(&w, a, n);
	return codec_writer_end(&w);
}

int store_codec_verification_decode(const void *buf, size_t len,
				    struct store_verification *out, char *err,
				    size_t errlen)
{
	struct codec_reader r = {buf, len, 0, 0, err, errlen};
	const uint8_t *s;
	uint32_t n;

	memset(out, 0, sizeof(*out));
	codec_get_version(&r);
	CODEC_GET_STR(&r, "domain", out->domain, 1);
	out->time = codec_get_i64(&r);
	if (!r.failed && out->time < 0)
		codec_bad(&r, "time: negative");
	CODEC_GET_STR(&r, "verdict", out->verdict, 0);
	n = codec_get_u32(&r);
	if (!r.failed && n > LIMIT_STORE_ANSWERS)
		codec_bad(&r, "answers: too long");
	if ((s = codec_take(&r, n)) != NULL && memchr(s, 0, n) != NULL)
		codec_bad(&r, "answers: NUL byte inside");
	if (codec_reader_end(&r) < 0)
		return -1;
	if ((out->answers = malloc(n + 1)) == NULL) {
		snprintf(err, errlen, "answers: out of memory");
		return -1;
	}
	memcpy(out->answers, s, n);
	out->answers[n] = 0;
	return 0;
}

/* ---- suppressed ---- */

/* Layout: version, address, BE64 time, reason, evidence. */
int store_codec_suppressed_encode(const struct store_suppressed *s,
				  struct store_codec_buf *out, char *err,
				  size_t errlen)
{
	struct codec_writer w = {out, 0, err, errlen};

	codec_put_u8(&w, STORE_FORMAT_VERSION);
	CODEC_STR(&w, "address", s->address, 1);
	codec_put_i64(&w, s->time);
	CODEC_STR(&w, "reason", s->reason, 0);
	CODEC_STR(&w, "evidence", s->evidence, 0);
	return codec_writer_end(&w);
}

int store_codec_suppressed_decode(const void *buf, size_t len,
				  struct store_suppressed *out, char *err,
				  size_t errlen)
{
	struct codec_reader r = {buf, len, 0, 0, err, errlen};

	memset(out, 0, sizeof(*out));
	codec_get_version(&r);
	CODEC_GET_STR(&r, "address", out->address, 1);
	out->time = codec_get_i64(&r);
	CODEC_GET_STR(&r, "reason", out->reason, 0);
	CODEC_GET_STR(&r, "evidence", out->evidence, 0);
	return codec_reader_end(&r);
}
