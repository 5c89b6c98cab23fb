/*
 * NAME
 *	priv_client 3
 * SUMMARY
 *	the daemon's side of the helper: a plugin vtable that asks the
 *	helper, plus hook and reload requests
 * SYNOPSIS
 *	#include "priv/priv.h"
 * DESCRIPTION
 *	priv_client_plugin has the shape of an MTA plugin so the pass needs
 *	no change: hold, deliver, release, giveback and outcomes send the
 *	ids in frames of at most PRIV_IDS_PER_FRAME fixed-size slots (the
 *	done counts add up); scan and outcomes rebuild the listing and the
 *	outcome array from the helper's records (strings cut inside their
 *	slots, counts bounded by LIMIT_LISTING_MESSAGES and
 *	LIMIT_OUTCOMES_PER_CALL). valid_id is the real plugin's, which the
 *	daemon loaded before the drop. With a parsing instance, scan_each
 *	is that instance's: the host's list_stream hands it each chunk of
 *	the helper's PRIV_R_OUT frames as it arrives (no whole listing
 *	anywhere, no length bound).
 *
 *	Owns: the listing and outcome arrays it returns (freed by the
 *	vtable's listing_free / outcomes_free); the socket is the caller's.
 * DIAGNOSTICS
 *	-1 with "helper: ..." when the helper refused or the socket failed;
 *	a helper that went away is an error of every later call.
 */
#include "priv/priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/spawn.h"

struct priv_client {
	int fd;
	const struct mta_plugin *pl;
	struct mta_plugin vt; /* priv_client_plugin with pl's valid_id */
	void *buf;	      /* PRIV_FRAME_MAX */
	struct mta_host host; /* for pl's parsing instance */
	void *parser;	      /* that instance, or NULL */
};

static int pc_host_list(void *arg, struct mta_raw *raw, char *err,
			size_t errlen);
static int pc_host_open(void *arg, enum mta_file which, const char *id,
			char *err, size_t errlen);
static int pc_host_list_stream(void *arg, mta_bytes_fn fn, void *fnarg,
			       struct mta_raw *raw, char *err, size_t errlen);

static int pc_valid_id(const char *id);
extern const struct mta_plugin priv_client_plugin;

const struct mta_plugin *priv_client_vtable(const struct priv_client *c)
{
	return &c->vt;
}

struct priv_client *priv_client_new(int fd, const struct mta_plugin *pl)
{
	struct priv_client *c = calloc(1, sizeof(*c));

	if (c == NULL || (c->buf = malloc(PRIV_FRAME_MAX)) == NULL) {
		free(c);
		return NULL;
	}
	c->fd = fd;
	c->pl = pl;
	c->vt = priv_client_plugin;
	c->vt.valid_id = pl->valid_id;
	if (pl->outcomes_tell == NULL || pl->outcomes_seek == NULL) {
		c->vt.outcomes_tell = NULL;
		c->vt.outcomes_seek = NULL;
	}
	c->host.arg = c;
	c->host.list = pc_host_list;
	c->host.open_file = pc_host_open;
	c->host.list_stream = pc_host_list_stream;
	return c;
}

const struct mta_host *priv_client_host(struct priv_client *c)
{
	return &c->host;
}

static int pc_discover(void *state, mta_message_fn fn, void *arg, int *gap,
		       char *err, size_t errlen);
static int pc_scan_each(void *state, mta_message_fn fn, void *arg,
			int *complete, size_t *skipped, char *err,
			size_t errlen);

void priv_client_set_parser(struct priv_client *c, void *state)
{
	c->parser = state;
	c->vt.discover = state && c->pl->discover != NULL ? pc_discover : NULL;
	c->vt.scan_each =
	    state && c->pl->scan_each != NULL ? pc_scan_each : NULL;
	/* what scan and outcomes return is then the plugin's to free */
	c->vt.listing_free =
	    state ? c->pl->listing_free : priv_client_plugin.listing_free;
	c->vt.outcomes_free =
	    state ? c->pl->outcomes_free : priv_client_plugin.outcomes_free;
}

void priv_client_free(struct priv_client *c)
{
	if (c != NULL)
		free(c->buf);
	free(c);
}

/* Read the next reply frame. @return its header, or NULL (err filled). */
static const struct priv_hdr *
priv_client_next(struct priv_client *c, size_t *plen, char *err, size_t errlen)
{
	ssize_t n = priv_recv(c->fd, c->buf);

	if (n <= 0) {
		snprintf(err, errlen, "helper: %s",
			 n == 0 ? "gone (end of file)" : strerror(errno));
		return NULL;
	}
	*plen = (size_t)n - sizeof(struct priv_hdr);
	return c->buf;
}

/* Take an END frame. @return its status (-1 with err), done in *done. */
static int priv_client_end(const struct priv_hdr *h, size_t plen,
			   struct priv_end *e, char *err, size_t errlen)
{
	if (h->verb != PRIV_R_END || plen != sizeof(*e)) {
		snprintf(err, errlen, "helper: unexpected reply");
		return -1;
	}
	memcpy(e, h + 1, sizeof(*e));
	e->err[sizeof(e->err) - 1] = '\0';
	if (e->status != 0) {
		snprintf(err, errlen, "%s", e->err);
		return -1;
	}
	return 0;
}

/* Send @param ids in frames; @return 0 or -1, *done summed. */
static int priv_client_ids(struct priv_client *c, uint32_t verb, uint32_t arg,
			   const char *const *ids, size_t n, size_t *done,
			   char *err, size_t errlen)
{
	char *slots = calloc(PRIV_IDS_PER_FRAME, PRIV_ID_SLOT);
	int rc = 0;

	*done = 0;
	if (slots == NULL) {
		snprintf(err, errlen, "helper: out of memory");
		return -1;
	}
	for (size_t i = 0; i < n && rc == 0; i += PRIV_IDS_PER_FRAME) {
		size_t k =
		    n - i < PRIV_IDS_PER_FRAME ? n - i : PRIV_IDS_PER_FRAME;
		const struct priv_hdr *h;
		struct priv_end e;
		size_t plen;

		memset(slots, 0, k * PRIV_ID_SLOT);
		for (size_t j = 0; j < k; j++)
			snprintf(slots + j * PRIV_ID_SLOT, PRIV_ID_SLOT, "%s",
				 ids[i + j]);
		if (priv_send(c->fd, verb, arg, (uint32_t)k, slots,
			      k * PRIV_ID_SLOT) < 0) {
			snprintf(err, errlen, "helper: %s", strerror(errno));
			rc = -1;
		} else if ((h = priv_client_next(c, &plen, err, errlen)) ==
			   NULL) {
			rc = -1;
		} else {
			rc = priv_client_end(h, plen, &e, err, errlen);
			*done += e.done;
		}
	}
	free(slots);
	return rc;
}

static int pc_open(const struct mta_config *cfg, void **state, char *err,
		   size_t errlen)
{
	snprintf(err, errlen, "helper: the client is made by priv_client_new");
	return -1;
}

static void pc_close(void *state)
{
}

static int pc_valid_id(const char *id)
{
	(void)id;
	return 0; /* replaced by the real plugin's in priv_client_vtable */
}

static int pc_hold(void *state, const char *const *ids, size_t n, size_t *done,
		   char *err, size_t errlen)
{
	return priv_client_ids(state, PRIV_HOLD, 0, ids, n, done, err, errlen);
}

static int pc_deliver(void *state, const char *const *ids, size_t n,
		      size_t *done, char *err, size_t errlen)
{
	return priv_client_ids(state, PRIV_DELIVER, 0, ids, n, done, err,
			       errlen);
}

static int pc_release(void *state, const char *const *ids, size_t n,
		      size_t *done, char *err, size_t errlen)
{
	return priv_client_ids(state, PRIV_RELEASE, 0, ids, n, done, err,
			       errlen);
}

static int pc_giveback(void *state, const char *const *ids, size_t n,
		       enum mta_giveback how, size_t *done, char *err,
		       size_t errlen)
{
	return priv_client_ids(state, PRIV_GIVEBACK, (uint32_t)how, ids, n,
			       done, err, errlen);
}

static void pc_listing_free_own(struct mta_listing *l)
{
	for (size_t i = 0; l->msgs && i < l->n; i++)
		free(l->msgs[i].rcpts);
	free(l->msgs);
	memset(l, 0, sizeof(*l));
}

/* Add one PRIV_R_MSG record to @param l. @return 0 or -1. */
static int pc_scan_msg(struct mta_listing *l, size_t *cap,
		       const struct priv_msg *pm)
{
	struct mta_message *m;

	if (l->n == LIMIT_LISTING_MESSAGES ||
	    pm->nrcpts > LIMIT_RCPTS_PER_MESSAGE * 4u)
		return -1;
	if (l->n == *cap) {
		size_t nc = *cap ? *cap * 2 : 256;
		struct mta_message *nm = realloc(l->msgs, nc * sizeof(*nm));

		if (nm == NULL)
			return -1;
		l->msgs = nm;
		*cap = nc;
	}
	m = &l->msgs[l->n];
	memset(m, 0, sizeof(*m));
	memcpy(m->queue_id, pm->queue_id, sizeof(m->queue_id));
	m->queue_id[sizeof(m->queue_id) - 1] = '\0';
	memcpy(m->sender, pm->sender, sizeof(m->sender));
	m->sender[sizeof(m->sender) - 1] = '\0';
	m->arrival = pm->arrival;
	m->held = pm->held;
	m->deferred = pm->deferred;
	if (pm->nrcpts &&
	    (m->rcpts = calloc(pm->nrcpts, sizeof(*m->rcpts))) == NULL)
		return -1;
	m->nrcpts = 0; /* filled by the PRIV_R_RCPTS frames */
	l->n++;
	return (int)pm->nrcpts;
}

/* Discovery is parsing: only by the daemon's parsing instance (without
 * one: an error, and the pass makes a full listing). */
static int pc_discover(void *state, mta_message_fn fn, void *arg, int *gap,
		       char *err, size_t errlen)
{
	struct priv_client *c = state;

	/* *gap on entry goes to the parser as it is (plugin.h) */
	if (c->parser == NULL || c->pl->discover == NULL) {
		snprintf(err, errlen, "discover: no parsing instance");
		return -1;
	}
	return c->pl->discover(c->parser, fn, arg, gap, err, errlen);
}

/* The streamed listing: parsed here as the helper's bytes come. */
static int pc_scan_each(void *state, mta_message_fn fn, void *arg,
			int *complete, size_t *skipped, char *err,
			size_t errlen)
{
	struct priv_client *c = state;

	*complete = 0;
	*skipped = 0;
	if (c->parser == NULL || c->pl->scan_each == NULL) {
		snprintf(err, errlen, "scan: no parsing instance");
		return -1;
	}
	return c->pl->scan_each(c->parser, fn, arg, complete, skipped, err,
				errlen);
}

static int pc_scan(void *state, struct mta_listing *out, char *err,
		   size_t errlen)
{
	struct priv_client *c = state;
	size_t cap = 0, plen, want = 0;
	const struct priv_hdr *h;
	struct priv_end e;

	if (c->parser != NULL) /* parsed here, from the helper's bytes */
		return c->pl->scan(c->parser, out, err, errlen);
	memset(out, 0, sizeof(*out));
	if (priv_send(c->fd, PRIV_SCAN, 0, 0, NULL, 0) < 0) {
		snprintf(err, errlen, "helper: %s", strerror(errno));
		return -1;
	}
	while ((h = priv_client_next(c, &plen, err, errlen)) != NULL) {
		struct mta_message *m = out->n ? &out->msgs[out->n - 1] : NULL;
		int r;

		if (h->verb == PRIV_R_END)
			break;
		if (h->verb == PRIV_R_MSG && plen == sizeof(struct priv_msg) &&
		    want == 0) {
			if ((r = pc_scan_msg(out, &cap,
					     (const void *)(h + 1))) < 0)
				goto bad;
			want = (size_t)r;
		} else if (h->verb == PRIV_R_RCPTS && m != NULL &&
			   h->count <= want &&
			   plen == h->count * sizeof(struct mta_rcpt)) {
			memcpy(m->rcpts + m->nrcpts, h + 1, plen);
			for (size_t i = 0; i < h->count; i++) {
				struct mta_rcpt *rc = &m->rcpts[m->nrcpts + i];
				rc->address[sizeof(rc->address) - 1] = '\0';
				rc->reason[sizeof(rc->reason) - 1] = '\0';
			}
			m->nrcpts += h->count;
			want -= h->count;
		} else {
			goto bad;
		}
	}
	if (h == NULL || want != 0 ||
	    priv_client_end(h, plen, &e, err, errlen) < 0) {
		pc_listing_free_own(out);
		return -1;
	}
	out->complete = e.complete;
	out->skipped = e.skipped;
	return 0;
bad:
	snprintf(err, errlen, "helper: malformed listing reply");
	pc_listing_free_own(out);
	/* The stream is out of step: the next call fails on it too. */
	return -1;
}

static void pc_outcomes_free_own(struct mta_outcomes *o)
{
	free(o->items);
	memset(o, 0, sizeof(*o));
}

static int pc_outcomes(void *state, const char *const *ids, size_t n,
		       struct mta_outcomes *out, char *err, size_t errlen)
{
	struct priv_client *c = state;
	char *slots;
	size_t plen, cap = 0;
	const struct priv_hdr *h;
	struct priv_end e;

	if (c->parser != NULL) /* parsed here, from the helper's log fd */
		return c->pl->outcomes(c->parser, ids, n, out, err, errlen);
	memset(out, 0, sizeof(*out));
	/* More ids than one frame holds: ask for every id (the caller keeps
	 * its own; one call, so one position for all of them). */
	if (n > PRIV_IDS_PER_FRAME)
		n = 0;
	if ((slots = calloc(n + 1, PRIV_ID_SLOT)) == NULL) {
		snprintf(err, errlen, "helper: out of memory");
		return -1;
	}
	for (size_t j = 0; j < n; j++)
		snprintf(slots + j * PRIV_ID_SLOT, PRIV_ID_SLOT, "%s", ids[j]);
	if (priv_send(c->fd, PRIV_OUTCOMES, 0, (uint32_t)n, slots,
		      n * PRIV_ID_SLOT) < 0) {
		free(slots);
		snprintf(err, errlen, "helper: %s", strerror(errno));
		return -1;
	}
	free(slots);
	while ((h = priv_client_next(c, &plen, err, errlen)) != NULL &&
	       (h->verb == PRIV_R_OUTS || h->verb == PRIV_R_POS)) {
		struct mta_outcome *ni;

		if (h->verb == PRIV_R_POS) {
			if (plen != sizeof(out->pos) || h->count != 1)
				goto bad;
			memcpy(&out->pos, h + 1, sizeof(out->pos));
			if (out->pos.len > sizeof(out->pos.data))
				goto bad;
			continue;
		}
		if (plen != h->count * sizeof(struct mta_outcome) ||
		    out->n + h->count > LIMIT_OUTCOMES_PER_CALL)
			goto bad;
		if (out->n + h->count > cap) {
			cap = (out->n + h->count) * 2;
			if ((ni = realloc(out->items, cap * sizeof(*ni))) ==
			    NULL)
				goto bad;
			out->items = ni;
		}
		memcpy(out->items + out->n, h + 1, plen);
		for (size_t i = 0; i < h->count; i++) {
			struct mta_outcome *o = &out->items[out->n + i];
			o->queue_id[sizeof(o->queue_id) - 1] = '\0';
			o->address[sizeof(o->address) - 1] = '\0';
			o->dsn[sizeof(o->dsn) - 1] = '\0';
			o->text[sizeof(o->text) - 1] = '\0';
		}
		out->n += h->count;
	}
	if (h == NULL || priv_client_end(h, plen, &e, err, errlen) < 0) {
		pc_outcomes_free_own(out);
		return -1;
	}
	out->more = e.complete != 0;
	return 0;
bad:
	snprintf(err, errlen, "helper: malformed outcomes reply");
	pc_outcomes_free_own(out);
	return -1;
}

/* The outcome position: the parsing instance's, or the helper's. */
static int pc_outcomes_tell(void *state, struct mta_pos *pos, char *err,
			    size_t errlen)
{
	struct priv_client *c = state;
	const struct priv_hdr *h;
	struct priv_end e;
	size_t plen;
	int got = 0;

	if (c->parser != NULL)
		return c->pl->outcomes_tell(c->parser, pos, err, errlen);
	memset(pos, 0, sizeof(*pos));
	if (priv_send(c->fd, PRIV_POS, PRIV_POS_TELL, 0, NULL, 0) < 0) {
		snprintf(err, errlen, "helper: %s", strerror(errno));
		return -1;
	}
	while ((h = priv_client_next(c, &plen, err, errlen)) != NULL &&
	       h->verb == PRIV_R_POS && !got) {
		if (plen != sizeof(*pos))
			break;
		memcpy(pos, h + 1, sizeof(*pos));
		got = pos->len <= sizeof(pos->data);
	}
	if (h == NULL)
		return -1;
	if (h->verb != PRIV_R_END) {
		snprintf(err, errlen, "helper: malformed position reply");
		return -1;
	}
	if (priv_client_end(h, plen, &e, err, errlen) < 0)
		return -1;
	if (!got) {
		snprintf(err, errlen, "helper: no position in the reply");
		return -1;
	}
	return 0;
}

static int pc_outcomes_seek(void *state, const struct mta_pos *pos, char *err,
			    size_t errlen)
{
	struct priv_client *c = state;
	const struct priv_hdr *h;
	struct priv_end e;
	size_t plen;

	if (c->parser != NULL)
		return c->pl->outcomes_seek(c->parser, pos, err, errlen);
	if (priv_send(c->fd, PRIV_POS, PRIV_POS_SEEK, 1, pos, sizeof(*pos)) <
	    0) {
		snprintf(err, errlen, "helper: %s", strerror(errno));
		return -1;
	}
	if ((h = priv_client_next(c, &plen, err, errlen)) == NULL)
		return -1;
	return priv_client_end(h, plen, &e, err, errlen);
}

const struct mta_plugin priv_client_plugin = {
    .abi = MTA_PLUGIN_ABI,
    .name = "priv",
    .open = pc_open,
    .close = pc_close,
    .valid_id = pc_valid_id,
    .scan = pc_scan,
    .listing_free = pc_listing_free_own,
    .hold = pc_hold,
    .deliver = pc_deliver,
    .release = pc_release,
    .giveback = pc_giveback,
    .outcomes = pc_outcomes,
    .outcomes_free = pc_outcomes_free_own,
    .outcomes_tell = pc_outcomes_tell,
    .outcomes_seek = pc_outcomes_seek,
};

/* A request with no ids and only an END back. */
static int priv_client_simple(struct priv_client *c, uint32_t verb,
			      uint32_t arg, const void *payload, size_t len,
			      char *err, size_t errlen)
{
	const struct priv_hdr *h;
	struct priv_end e;
	size_t plen;

	if (priv_send(c->fd, verb, arg, payload ? 1 : 0, payload, len) < 0) {
		snprintf(err, errlen, "helper: %s", strerror(errno));
		return -1;
	}
	if ((h = priv_client_next(c, &plen, err, errlen)) == NULL)
		return -1;
	return priv_client_end(h, plen, &e, err, errlen);
}

int priv_client_hook(struct priv_client *c, enum priv_hook kind,
		     const char *domain, const char *resolver,
		     const char *report, char *err, size_t errlen)
{
	struct priv_hook_req q;

	memset(&q, 0, sizeof(q));
	snprintf(q.domain, sizeof(q.domain), "%s", domain);
	snprintf(q.resolver, sizeof(q.resolver), "%s",
		 resolver ? resolver : "");
	snprintf(q.report, sizeof(q.report), "%s", report ? report : "");
	return priv_client_simple(c, PRIV_HOOK, kind, &q, sizeof(q), err,
				  errlen);
}

int priv_client_hook_wait(struct priv_client *c, unsigned kind,
			  unsigned wait_ms, size_t *running, char *err,
			  size_t errlen)
{
	const struct priv_hdr *h;
	struct priv_end e;
	uint32_t ms = wait_ms;
	size_t plen;

	*running = 0;
	if (priv_send(c->fd, PRIV_HOOK_WAIT, kind, 1, &ms, sizeof(ms)) < 0) {
		snprintf(err, errlen, "helper: %s", strerror(errno));
		return -1;
	}
	if ((h = priv_client_next(c, &plen, err, errlen)) == NULL ||
	    priv_client_end(h, plen, &e, err, errlen) < 0)
		return -1;
	*running = e.done;
	return 0;
}

int priv_client_reload(struct priv_client *c, char *err, size_t errlen)
{
	return priv_client_simple(c, PRIV_RELOAD, 0, NULL, 0, err, errlen);
}

/* Append @param len bytes to *@param buf (at most @param max in all). */
static int pc_append(char **buf, size_t *n, const void *data, size_t len,
		     size_t max, int *cut)
{
	char *nb;

	if (*n + len > max) {
		*cut = 1;
		len = max - *n;
	}
	if ((nb = realloc(*buf, *n + len + 1)) == NULL)
		return -1;
	memcpy(nb + *n, data, len);
	*n += len;
	nb[*n] = '\0';
	*buf = nb;
	return 0;
}

/* The whole stdout kept (pc_host_list), up to SPAWN_OUTPUT_MAX. */
struct pc_kept {
	struct mta_raw *raw;
	int nomem;
};

static int pc_keep(void *arg, const char *p, size_t n)
{
	struct pc_kept *k = arg;

	if (pc_append(&k->raw->out, &k->raw->outlen, p, n, SPAWN_OUTPUT_MAX,
		      &k->raw->out_truncated) < 0) {
		k->nomem = 1;
		return -1;
	}
	return 0;
}

/* PRIV_LIST: the listing command's bytes, parsed by the caller. */
static int pc_host_list(void *arg, struct mta_raw *raw, char *err,
			size_t errlen)
{
	struct mta_raw got;
	struct pc_kept k = {.raw = &got};
	int cut;

	memset(&got, 0, sizeof(got));
	if (pc_host_list_stream(arg, pc_keep, &k, raw, err, errlen) < 0) {
		free(got.out);
		return -1;
	}
	cut = got.out_truncated;
	if (k.nomem || (got.out == NULL && (got.out = calloc(1, 1)) == NULL)) {
		snprintf(err, errlen,
			 "helper: out of memory for listing reply");
		free(got.out);
		mta_raw_free(raw);
		return -1;
	}
	raw->out = got.out;
	raw->outlen = got.outlen;
	raw->out_truncated |= cut;
	return 0;
}

/*
 * PRIV_LIST streamed: each stdout chunk to @param fn as its frame comes,
 * nothing kept. After fn says stop the frames are still read to the END
 * (the socket stays in step) and given to no one.
 */
static int pc_host_list_stream(void *arg, mta_bytes_fn fn, void *fnarg,
			       struct mta_raw *raw, char *err, size_t errlen)
{
	struct priv_client *c = arg;
	const struct priv_hdr *h;
	struct priv_exit x;
	struct priv_end e;
	size_t plen, errn = 0;
	int got_exit = 0, errcut = 0, bad = 0, stopped = 0;

	memset(raw, 0, sizeof(*raw));
	if (priv_send(c->fd, PRIV_LIST, 0, 0, NULL, 0) < 0) {
		snprintf(err, errlen, "helper: %s", strerror(errno));
		return -1;
	}
	while ((h = priv_client_next(c, &plen, err, errlen)) != NULL &&
	       h->verb != PRIV_R_END) {
		if (h->verb == PRIV_R_OUT && !got_exit) {
			if (!stopped && !bad &&
			    fn(fnarg, (const char *)(h + 1), plen) < 0)
				stopped = 1;
		} else if (h->verb == PRIV_R_ERR && !got_exit) {
			bad |= pc_append(&raw->err, &errn, h + 1, plen,
					 SPAWN_ERROR_MAX, &errcut) < 0;
		} else if (h->verb == PRIV_R_EXIT && plen == sizeof(x) &&
			   !got_exit) {
			memcpy(&x, h + 1, sizeof(x));
			got_exit = 1;
		} else {
			bad = 1;
		}
	}
	if (h == NULL || priv_client_end(h, plen, &e, err, errlen) < 0 ||
	    !got_exit || bad) {
		if (h != NULL && bad)
			snprintf(err, errlen,
				 "helper: malformed listing reply");
		else if (h != NULL && !got_exit && e.status == 0)
			snprintf(err, errlen, "helper: listing without exit");
		mta_raw_free(raw);
		return -1;
	}
	raw->exited = x.exited;
	raw->exit_code = x.exit_code;
	raw->signal = x.signal;
	raw->out_truncated = x.out_truncated;
	return 0;
}

/* PRIV_OPEN: a descriptor of one of the MTA's files, chosen by kind. */
static int pc_host_open(void *arg, enum mta_file which, const char *id,
			char *err, size_t errlen)
{
	struct priv_client *c = arg;
	char slot[PRIV_ID_SLOT];
	struct priv_end e;
	const struct priv_hdr *h = NULL;
	ssize_t n;
	int f = -1;

	memset(slot, 0, sizeof(slot));
	if (id != NULL && strlen(id) >= sizeof(slot)) {
		snprintf(err, errlen, "helper: name too long to ask for");
		errno = ENAMETOOLONG;
		return -1;
	}
	if (id != NULL)
		snprintf(slot, sizeof(slot), "%s", id);
	if (priv_send(c->fd, PRIV_OPEN, (uint32_t)which, id ? 1 : 0,
		      id ? slot : NULL, id ? sizeof(slot) : 0) < 0 ||
	    (n = priv_recv_fd(c->fd, c->buf, &f)) <= 0) {
		snprintf(err, errlen, "helper: %s",
			 errno ? strerror(errno) : "gone (end of file)");
		if (f >= 0)
			close(f);
		errno = EIO;
		return -1;
	}
	h = c->buf;
	if (priv_client_end(h, (size_t)n - sizeof(*h), &e, err, errlen) < 0 ||
	    f < 0) {
		if (f >= 0)
			close(f);
		if (e.status == 0 && f < 0)
			snprintf(err, errlen, "helper: open without a file");
		errno = e.status != 0 && e.done != 0 ? (int)e.done : EIO;
		return -1;
	}
	return f;
}
