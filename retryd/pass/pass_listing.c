/*
 * NAME
 *	pass_listing 3
 * SUMMARY
 *	the pass's index of the MTA's queue, built while the listing streams
 * DESCRIPTION
 *	pass_listing_scan() asks the plugin for its full listing: with
 *	scan_each the messages come one by one as postqueue writes them and
 *	nothing of the listing is kept by anyone; otherwise (a plugin
 *	without it) the plugin's whole listing is read and freed at once.
 *	pass_listing_discover() is told the plugin's discovery the same way,
 *	message by message (a listing_add that fails: the discovery stops
 *	and its log position stays, a full listing follows).
 *	Each message becomes an index entry: its queue id (in one string
 *	block) and its held / deferred flags. A message the pass could
 *	adopt (deferred, not held, pass_adopt_eligible) also keeps its
 *	sender and recipients in one allocation at their real size, the
 *	delay reasons interned: at most LIMIT_LISTING_CANDIDATES of them.
 *	More go to the adoption backlog (pass_backlog.c) when the listing
 *	is the pass's own (pass_listing_scan_spill, pass_listing_discover):
 *	the next passes adopt them without listing again; without one
 *	(l->cand_cut) the adoption goes on at the next full listing.
 *	Ids the plugin's valid_id refuses are logged and left out. At the
 *	end the entries are sorted by queue id; a message listed twice is
 *	merged (flags or'ed, the later listing's candidate kept), sorted in
 *	place (no scratch copy). LIMIT_LISTING_MESSAGES bounds the index
 *	(8-byte entries + the ids, ~20 bytes a message): past it the
 *	listing is partial.
 *
 *	Owns: the index, the id block, the candidates and the reasons until
 *	pass_listing_free().
 * DIAGNOSTICS
 *	Out of memory: the listing is partial (logged), never wrong.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/intern.h"
#include "util/log.h"
#include "pass/pass_int.h"

/* Room for @param more bytes of ids. @return 0 or -1. */
static int listing_ids_room(struct pass_listing *l, size_t more)
{
	size_t cap = l->idscap ? l->idscap : 65536;
	char *p;

	if (l->idslen + more <= l->idscap)
		return 0;
	while (cap < l->idslen + more)
		cap *= 2;
	if (cap > UINT32_MAX || (p = realloc(l->ids, cap)) == NULL)
		return -1;
	l->ids = p;
	l->idscap = cap;
	return 0;
}

/* Keep @param m's sender and recipients: one block, reasons interned. */
static int listing_cand(struct pass_listing *l, const struct mta_message *m,
			uint32_t *cand)
{
	struct pass_cand *c;
	size_t size, slen = strnlen(m->sender, LIMIT_ADDRESS);
	char *p;

	if (l->ncand >= LIMIT_LISTING_CANDIDATES) {
		/* the next passes adopt it from the backlog, or (no backlog:
		 * never written, disk full) from the next full listing */
		if (!l->spill || l->cand_cut || pass_backlog_put(l->ctx, m) < 0)
			l->cand_cut = 1;
		return 0;
	}
	if (l->ncand == l->candcap) {
		size_t cap = l->candcap ? l->candcap * 2 : 256;
		void *nc = realloc(l->cand, cap * sizeof(*l->cand));
		if (nc == NULL)
			return -1;
		l->cand = nc;
		l->candcap = cap;
	}
	if (l->reasons == NULL && (l->reasons = intern_new()) == NULL)
		return -1;
	size = m->nrcpts * sizeof(struct pass_cand_rcpt) + slen + 1;
	for (size_t i = 0; i < m->nrcpts; i++)
		size += strnlen(m->rcpts[i].address, LIMIT_ADDRESS) + 1;
	c = &l->cand[l->ncand];
	if ((c->rcpts = malloc(size)) == NULL)
		return -1;
	p = (char *)(c->rcpts + m->nrcpts);
	c->sender = memcpy(p, m->sender, slen);
	p[slen] = '\0';
	p += slen + 1;
	for (size_t i = 0; i < m->nrcpts; i++) {
		const struct mta_rcpt *r = &m->rcpts[i];
		size_t alen = strnlen(r->address, LIMIT_ADDRESS);

		c->rcpts[i].address = memcpy(p, r->address, alen);
		p[alen] = '\0';
		p += alen + 1;
		c->rcpts[i].reason = intern_str(
		    l->reasons, r->reason, strnlen(r->reason, LIMIT_REASON));
		if (c->rcpts[i].reason == NULL) {
			free(c->rcpts);
			return -1;
		}
	}
	c->nrcpts = m->nrcpts;
	c->arrival = m->arrival;
	*cand = (uint32_t)++l->ncand;
	return 0;
}

/* One listed message into the index (an mta_message_fn). */
static int listing_add(void *arg, const struct mta_message *m)
{
	struct pass_listing *l = arg;
	struct pass_ctx *ctx = l->ctx;
	char pid[LIMIT_QUEUE_ID * 4 + 1], domain[LIMIT_DOMAIN + 1];
	size_t idlen = strnlen(m->queue_id, LIMIT_QUEUE_ID);
	struct pass_lentry *e;

	if (!ctx->plugin->valid_id(m->queue_id)) {
		log_warn("scan: invalid queue id \"%.40s\" skipped",
			 log_printable(pid, sizeof(pid), m->queue_id));
		return 0;
	}
	if (l->n >= LIMIT_LISTING_MESSAGES) {
		log_warn("scan: more than %d messages listed; listing taken "
			 "as partial",
			 LIMIT_LISTING_MESSAGES);
		return -1;
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 1024;
		void *ne = realloc(l->e, cap * sizeof(*l->e));
		if (ne == NULL)
			goto nomem;
		l->e = ne;
		l->cap = cap;
	}
	if (listing_ids_room(l, idlen + 1) < 0)
		goto nomem;
	e = &l->e[l->n];
	memset(e, 0, sizeof(*e));
	e->id = (uint32_t)l->idslen;
	memcpy(l->ids + l->idslen, m->queue_id, idlen);
	l->ids[l->idslen + idlen] = '\0';
	l->idslen += idlen + 1;
	e->held = m->held != 0;
	e->deferred = m->deferred != 0;
	e->domheld = pass_domhold_eligible(ctx, m, domain, sizeof(domain));
	if (m->deferred && !m->held &&
	    (e->domheld || pass_adopt_eligible(ctx->policy, ctx->classifier, m,
					       domain, sizeof(domain)))) {
		uint32_t cand = 0;

		if (listing_cand(l, m, &cand) < 0)
			goto nomem;
		e->cand = cand;
	}
	l->n++;
	return 0;
nomem:
	log_warn("scan: out of memory for the listing index (%zu messages): "
		 "listing taken as partial",
		 l->n);
	return -1;
}

static int listing_cmp(const struct pass_lentry *x, const struct pass_lentry *y,
		       const char *ids)
{
	int c = strcmp(ids + x->id, ids + y->id);

	if (c)
		return c;
	return x->id < y->id ? -1 : x->id > y->id; /* the order listed */
}

#define LISTING_SORT_SMALL 16 /* partitions this small: insertion sort */
_Static_assert(LIMIT_LISTING_CANDIDATES < (1u << 27), "cand fits 27 bits");

static void listing_swap(struct pass_lentry *a, struct pass_lentry *b)
{
	struct pass_lentry t = *a;

	*a = *b;
	*b = t;
}

/*
 * Sort @param n entries in place (quicksort, median of three, the
 * smaller side first: log2(n) deep): glibc's qsort_r would malloc a
 * copy of the whole array (12 MB at a million) for its merge sort.
 */
static void listing_qsort(struct pass_lentry *e, size_t n, const char *ids)
{
	while (n > LISTING_SORT_SMALL) {
		size_t mid = n / 2, i = 0, j = n - 1;
		struct pass_lentry p;

		if (listing_cmp(&e[mid], &e[0], ids) < 0)
			listing_swap(&e[mid], &e[0]);
		if (listing_cmp(&e[n - 1], &e[0], ids) < 0)
			listing_swap(&e[n - 1], &e[0]);
		if (listing_cmp(&e[n - 1], &e[mid], ids) < 0)
			listing_swap(&e[n - 1], &e[mid]);
		p = e[mid];
		for (;;) { /* Hoare: e[0..j] <= p <= e[j+1..n) */
			while (listing_cmp(&e[i], &p, ids) < 0)
				i++;
			while (listing_cmp(&p, &e[j], ids) < 0)
				j--;
			if (i >= j)
				break;
			listing_swap(&e[i++], &e[j--]);
		}
		if (j + 1 < n - j - 1) {
			listing_qsort(e, j + 1, ids);
			e += j + 1;
			n -= j + 1;
		} else {
			listing_qsort(e + j + 1, n - j - 1, ids);
			n = j + 1;
		}
	}
	for (size_t i = 1; i < n; i++)
		for (size_t k = i;
		     k > 0 && listing_cmp(&e[k], &e[k - 1], ids) < 0; k--)
			listing_swap(&e[k], &e[k - 1]);
}

/* Sort by queue id; merge an id listed twice (the later candidate). */
static void listing_sort(struct pass_listing *l)
{
	size_t k = 0;

	listing_qsort(l->e, l->n, l->ids);
	for (size_t i = 0; i < l->n; i++) {
		struct pass_lentry *p = k ? &l->e[k - 1] : NULL;

		if (p && strcmp(pass_lentry_id(l, p),
				pass_lentry_id(l, &l->e[i])) == 0) {
			p->held |= l->e[i].held;
			p->domheld |= l->e[i].domheld;
			p->deferred |= l->e[i].deferred;
			p->cand = l->e[i].cand;
			continue;
		}
		l->e[k++] = l->e[i];
	}
	l->n = k;
}

/* A plugin's whole listing told entry by entry, then freed. */
static void listing_from_raw(struct pass_ctx *ctx, struct pass_listing *l,
			     struct mta_listing *raw)
{
	for (size_t i = 0; i < raw->n; i++)
		if (listing_add(l, &raw->msgs[i]) < 0) {
			l->complete = 0;
			break;
		}
	l->skipped = raw->skipped;
	ctx->plugin->listing_free(raw);
}

static int listing_scan(struct pass_ctx *ctx, struct pass_listing *l, int spill)
{
	struct mta_listing raw;
	char err[512];
	int rc;

	memset(l, 0, sizeof(*l));
	l->ctx = ctx;
	l->spill = spill;
	if (ctx->plugin->scan_each != NULL)
		rc = ctx->plugin->scan_each(ctx->plugin_state, listing_add, l,
					    &l->complete, &l->skipped, err,
					    sizeof(err));
	else if ((rc = ctx->plugin->scan(ctx->plugin_state, &raw, err,
					 sizeof(err))) == 0) {
		l->complete = raw.complete;
		listing_from_raw(ctx, l, &raw);
	}
	if (rc < 0) {
		log_warn(
		    "scan: %.300s (nothing concluded from this pass's listing)",
		    err);
		pass_listing_free(ctx, l);
		return -1;
	}
	l->ok = 1;
	listing_sort(l);
	return 0;
}

int pass_listing_scan(struct pass_ctx *ctx, struct pass_listing *l)
{
	return listing_scan(ctx, l, 0);
}

int pass_listing_scan_spill(struct pass_ctx *ctx, struct pass_listing *l)
{
	pass_backlog_drop(ctx); /* this listing tells its messages again */
	return listing_scan(ctx, l, 1);
}

int pass_listing_discover(struct pass_ctx *ctx, struct pass_listing *l,
			  int *gap)
{
	char err[512];

	memset(l, 0, sizeof(*l));
	l->ctx = ctx;
	l->spill = 1;
	if (ctx->plugin->discover(ctx->plugin_state, listing_add, l, gap, err,
				  sizeof(err)) < 0) {
		log_warn("discover: %.300s (a full listing follows)", err);
		pass_listing_free(ctx, l);
		return -1;
	}
	l->complete = 0;
	l->incremental = 1;
	l->ok = 1;
	listing_sort(l);
	return 0;
}

struct pass_lentry *pass_listing_find(const struct pass_listing *l,
				      const char *id)
{
	size_t lo = 0, hi = l->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(id, pass_lentry_id(l, &l->e[mid]));

		if (c == 0)
			return &l->e[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

int pass_listing_message(const struct pass_listing *l,
			 const struct pass_lentry *e, struct mta_message *m)
{
	const struct pass_cand *c;

	memset(m, 0, sizeof(*m));
	if (e->cand == 0 || e->cand > l->ncand)
		return -1;
	c = &l->cand[e->cand - 1];
	if (c->nrcpts > 0 &&
	    (m->rcpts = calloc(c->nrcpts, sizeof(*m->rcpts))) == NULL)
		return -1;
	snprintf(m->queue_id, sizeof(m->queue_id), "%s", pass_lentry_id(l, e));
	snprintf(m->sender, sizeof(m->sender), "%s", c->sender);
	m->arrival = c->arrival;
	m->held = e->held;
	m->deferred = e->deferred;
	m->nrcpts = c->nrcpts;
	for (size_t i = 0; i < c->nrcpts; i++) {
		snprintf(m->rcpts[i].address, sizeof(m->rcpts[i].address), "%s",
			 c->rcpts[i].address);
		snprintf(m->rcpts[i].reason, sizeof(m->rcpts[i].reason), "%s",
			 c->rcpts[i].reason);
	}
	return 0;
}

void pass_listing_free(struct pass_ctx *ctx, struct pass_listing *l)
{
	(void)ctx;
	for (size_t i = 0; i < l->ncand; i++)
		free(l->cand[i].rcpts);
	free(l->cand);
	intern_free(l->reasons);
	free(l->ids);
	free(l->e);
	memset(l, 0, sizeof(*l));
}
