/*
 * NAME
 *	postfix_queue 3
 * SUMMARY
 *	postqueue -j output -> struct mta_listing (pure parser)
 * DESCRIPTION
 *	Owns nothing beyond the listing it fills: messages and their
 *	recipient arrays, freed with postfix_queue_free(). Each line is one
 *	jansson parse with JSON_REJECT_DUPLICATES (a duplicate key such as
 *	{"queue_id":"A1","queue_id":"ALL"} is an error, not "last one
 *	wins"); strings with "\u0000" are refused by jansson because
 *	JSON_ALLOW_NUL is never given.
 *
 *	The parser is a stream (postfix_queue_stream_*): bytes are fed as
 *	they come, in chunks cut anywhere; only the line a chunk cut is kept
 *	(at most LIMIT_LISTING_LINE bytes), each message is told to the
 *	caller's function as soon as its line ends, and nothing else is
 *	kept, so a listing of any length is parsed in bounded memory.
 *	postfix_queue_parse() is the stream with a collector: the whole
 *	listing in memory, duplicate queue ids resolved after the last line
 *	(the later line wins).
 * DIAGNOSTICS
 *	Every skipped line goes to the caller's callback with its line
 *	number; -1 only when memory runs out.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "postfix_id.h"
#include "postfix_queue.h"

int postfix_queue_address_ok(const char *s, size_t len)
{
	if (len > LIMIT_ADDRESS)
		return 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f)
			return 0;
	}
	return 1;
}

/* Copy a reason, truncated to LIMIT_REASON, control bytes masked. */
static void postfix_queue_reason(char *dst, const char *src, size_t len)
{
	if (len > LIMIT_REASON)
		len = LIMIT_REASON;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)src[i];
		dst[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	dst[len] = '\0';
}

static void postfix_queue_msg_free(struct mta_message *m)
{
	free(m->rcpts);
	m->rcpts = NULL;
	m->nrcpts = 0;
}

/* The string member @param key of @param o, or NULL (absent / not a string). */
static const char *postfix_queue_str(json_t *o, const char *key, size_t *len)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_string(v))
		return NULL;
	*len = json_string_length(v);
	return json_string_value(v);
}

/*
 * Fill @param m from one parsed object. @return NULL, or the static
 * reason the line is refused (m's recipients then freed).
 */
static const char *postfix_queue_object(json_t *o, struct mta_message *m)
{
	const char *s;
	size_t len, i;
	json_t *v, *rcpts;

	if (!json_is_object(o))
		return "not a JSON object";
	if ((s = postfix_queue_str(o, "queue_id", &len)) == NULL)
		return "queue_id missing or not a string";
	if (!postfix_id_valid_n(s, len) || strlen(s) != len)
		return "bad queue id";
	memcpy(m->queue_id, s, len);
	m->queue_id[len] = '\0';

	if ((s = postfix_queue_str(o, "queue_name", &len)) == NULL)
		return "queue_name missing or not a string";
	if (strcmp(s, "deferred") == 0)
		m->deferred = 1;
	else if (strcmp(s, "hold") == 0)
		m->held = 1;
	else if (strcmp(s, "active") != 0 && strcmp(s, "incoming") != 0 &&
		 strcmp(s, "maildrop") != 0)
		return "unknown queue_name";

	v = json_object_get(o, "arrival_time");
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return "arrival_time missing or not a non-negative integer";
	m->arrival = (int64_t)json_integer_value(v);

	if ((s = postfix_queue_str(o, "sender", &len)) == NULL)
		return "sender missing or not a string";
	if (!postfix_queue_address_ok(s, len))
		return "bad sender";
	if (strcmp(s, "MAILER-DAEMON") == 0)
		len = 0; /* showq's name for the null sender */
	memcpy(m->sender, s, len);
	m->sender[len] = '\0';

	rcpts = json_object_get(o, "recipients");
	if (!json_is_array(rcpts))
		return "recipients missing or not an array";
	if (json_array_size(rcpts) > LIMIT_RCPTS_PER_MESSAGE)
		return "more than LIMIT_RCPTS_PER_MESSAGE recipients";
	if (json_array_size(rcpts) > 0) {
		m->rcpts = calloc(json_array_size(rcpts), sizeof(*m->rcpts));
		if (m->rcpts == NULL)
			return "out of memory";
	}
	json_array_foreach(rcpts, i, v)
	{
		struct mta_rcpt *r = &m->rcpts[i];
		json_t *dr;

		if (!json_is_object(v) ||
		    (s = postfix_queue_str(v, "address", &len)) == NULL) {
			postfix_queue_msg_free(m);
			return "recipient without an address string";
		}
		if (len == 0 || !postfix_queue_address_ok(s, len)) {
			postfix_queue_msg_free(m);
			return "bad recipient address";
		}
		memcpy(r->address, s, len);
		r->address[len] = '\0';
		dr = json_object_get(v, "delay_reason");
		if (dr != NULL && !json_is_string(dr)) {
			postfix_queue_msg_free(m);
			return "delay_reason not a string";
		}
		if (dr != NULL)
			postfix_queue_reason(r->reason, json_string_value(dr),
					     json_string_length(dr));
		m->nrcpts = i + 1;
	}
	return NULL;
}

struct postfix_queue_stream {
	mta_message_fn fn; /* told each message */
	void *arg;
	postfix_queue_bad_fn bad;
	void *ctx;
	char
	    *line; /* a line cut by a chunk's end: at most LIMIT_LISTING_LINE */
	size_t linelen;
	int overlong;	 /* skipping the rest of a line too long */
	size_t lineno;	 /* lines seen */
	size_t messages; /* messages told */
	size_t skipped;
	int cut;     /* LIMIT_LISTING_MESSAGES reached, or fn said stop */
	int stopped; /* fn said stop */
};

struct postfix_queue_stream *postfix_queue_stream_new(mta_message_fn fn,
						      void *arg,
						      postfix_queue_bad_fn bad,
						      void *ctx)
{
	struct postfix_queue_stream *s = calloc(1, sizeof(*s));

	if (s == NULL || (s->line = malloc(LIMIT_LISTING_LINE)) == NULL) {
		free(s);
		return NULL;
	}
	s->fn = fn;
	s->arg = arg;
	s->bad = bad;
	s->ctx = ctx;
	return s;
}

void postfix_queue_stream_free(struct postfix_queue_stream *s)
{
	if (s == NULL)
		return;
	free(s->line);
	free(s);
}

static void postfix_queue_skip(struct postfix_queue_stream *s, const char *id,
			       const char *why)
{
	s->bad(s->ctx, s->lineno, id, why);
	s->skipped++;
}

/* Parse one whole line; tell or report it. @return -1: out of memory. */
static int postfix_queue_line(struct postfix_queue_stream *s, const char *p,
			      size_t len)
{
	struct mta_message m;
	json_error_t jerr;
	const char *why;
	json_t *o;
	int rc;

	if (s->cut)
		return 0;
	if (s->messages >= LIMIT_LISTING_MESSAGES) {
		s->bad(s->ctx, s->lineno, "",
		       "LIMIT_LISTING_MESSAGES reached: listing cut");
		s->cut = 1;
		return 0;
	}
	memset(&m, 0, sizeof(m));
	o = json_loadb(p, len, JSON_REJECT_DUPLICATES, &jerr);
	if (o == NULL) {
		postfix_queue_skip(s, "",
				   "not valid JSON (or a duplicate key)");
		return 0;
	}
	why = postfix_queue_object(o, &m);
	json_decref(o);
	if (why != NULL) {
		if (strcmp(why, "out of memory") == 0)
			return -1;
		postfix_queue_skip(s, m.queue_id, why);
		return 0;
	}
	rc = s->fn(s->arg, &m);
	postfix_queue_msg_free(&m);
	if (rc < 0)
		s->cut = s->stopped = 1;
	else
		s->messages++;
	return 0;
}

/* One line's bytes (whole when @param nl): kept until its newline comes. */
static int postfix_queue_piece(struct postfix_queue_stream *s, const char *p,
			       size_t n, int nl)
{
	if (!s->overlong && s->linelen + n > LIMIT_LISTING_LINE) {
		s->overlong = 1; /* reported at its end, with its number */
		s->linelen = 0;
	}
	if (!nl) {
		if (!s->overlong) {
			memcpy(s->line + s->linelen, p, n);
			s->linelen += n;
		}
		return 0;
	}
	s->lineno++;
	if (s->overlong) {
		s->overlong = 0;
		if (!s->cut)
			postfix_queue_skip(
			    s, "", "line longer than LIMIT_LISTING_LINE");
		return 0;
	}
	if (s->linelen == 0)
		return postfix_queue_line(s, p, n);
	memcpy(s->line + s->linelen, p, n);
	n += s->linelen;
	s->linelen = 0;
	return postfix_queue_line(s, s->line, n);
}

int postfix_queue_stream_feed(struct postfix_queue_stream *s, const char *p,
			      size_t n, char *err, size_t errlen)
{
	const char *end = p + n;

	while (p < end && !s->cut) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t k = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (postfix_queue_piece(s, p, k, nl != NULL) < 0) {
			snprintf(err, errlen,
				 "postqueue -j: out of memory at line %zu",
				 s->lineno);
			return -1;
		}
		p = nl ? nl + 1 : end;
	}
	return s->stopped ? -1 : 0;
}

int postfix_queue_stream_end(struct postfix_queue_stream *s, size_t *skipped)
{
	int complete = !s->cut;

	if (!s->cut && (s->linelen > 0 || s->overlong)) {
		s->lineno++;
		postfix_queue_skip(s, "", "partial last line (no newline)");
		complete = 0;
	}
	s->linelen = 0;
	s->overlong = 0;
	*skipped = s->skipped;
	return complete;
}

int postfix_queue_collect(void *arg, const struct mta_message *m)
{
	struct postfix_queue_collector *c = arg;
	struct mta_listing *out = c->out;
	struct mta_message *dst;

	if (out->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		struct mta_message *nm = realloc(out->msgs, cap * sizeof(*nm));
		if (nm == NULL)
			return c->nomem = -1;
		out->msgs = nm;
		c->cap = cap;
	}
	dst = &out->msgs[out->n];
	*dst = *m;
	dst->rcpts = NULL;
	if (m->nrcpts > 0) {
		dst->rcpts = malloc(m->nrcpts * sizeof(*dst->rcpts));
		if (dst->rcpts == NULL)
			return c->nomem = -1;
		memcpy(dst->rcpts, m->rcpts, m->nrcpts * sizeof(*dst->rcpts));
	}
	out->n++;
	return 0;
}

/* A message's place in the listing, sorted by queue id then position. */
struct postfix_queue_key {
	const char *id;
	size_t pos;
};

static int postfix_queue_cmp(const void *a, const void *b)
{
	const struct postfix_queue_key *x = a, *y = b;
	int c = strcmp(x->id, y->id);

	if (c)
		return c;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

int postfix_queue_dedup(struct mta_listing *out)
{
	struct postfix_queue_key *key;
	struct mta_message *msgs;
	size_t k = 0;

	if (out->n < 2)
		return 0;
	key = malloc(out->n * sizeof(*key));
	msgs = malloc(out->n * sizeof(*msgs));
	if (key == NULL || msgs == NULL) {
		free(key);
		free(msgs);
		return -1;
	}
	for (size_t i = 0; i < out->n; i++) {
		key[i].id = out->msgs[i].queue_id;
		key[i].pos = i;
	}
	qsort(key, out->n, sizeof(*key), postfix_queue_cmp);
	for (size_t i = 0; i < out->n; i++) {
		struct mta_message *m = &out->msgs[key[i].pos];
		if (i + 1 < out->n && strcmp(key[i].id, key[i + 1].id) == 0) {
			postfix_queue_msg_free(m); /* a later line follows */
			continue;
		}
		msgs[k++] = *m;
	}
	free(key);
	free(out->msgs);
	out->msgs = msgs;
	out->n = k;
	return 0;
}

int postfix_queue_parse(const char *text, size_t len, struct mta_listing *out,
			postfix_queue_bad_fn bad, void *ctx, char *err,
			size_t errlen)
{
	struct postfix_queue_collector c = {.out = out};
	struct postfix_queue_stream *s;
	int complete;

	memset(out, 0, sizeof(*out));
	if ((s = postfix_queue_stream_new(postfix_queue_collect, &c, bad,
					  ctx)) == NULL) {
		snprintf(err, errlen, "postqueue -j: out of memory");
		return -1;
	}
	if (postfix_queue_stream_feed(s, text, len, err, errlen) < 0) {
		if (c.nomem)
			snprintf(err, errlen,
				 "postqueue -j: out of memory at line %zu",
				 s->lineno);
		postfix_queue_stream_free(s);
		postfix_queue_free(out);
		return -1;
	}
	complete = postfix_queue_stream_end(s, &out->skipped);
	postfix_queue_stream_free(s);
	if (postfix_queue_dedup(out) < 0) {
		snprintf(err, errlen, "postqueue -j: out of memory");
		postfix_queue_free(out);
		return -1;
	}
	out->complete = complete;
	return 0;
}

void postfix_queue_free(struct mta_listing *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->n; i++)
		free(l->msgs[i].rcpts);
	free(l->msgs);
	memset(l, 0, sizeof(*l));
}
