/*
 * NAME
 *	exim_queue 3
 * SUMMARY
 *	parse exim -bp output; merge message log defer reasons
 * DESCRIPTION
 *	Exim prints each message as a header line (age, size, id, sender in
 *	angle brackets, " *** frozen ***" when frozen), one line per
 *	recipient indented by eight spaces then ' ' or 'D' (delivered) and a
 *	space, then a blank line. A message whose spool file Exim could not
 *	read shows an error instead of the sender: that entry is skipped.
 *	Ownership: the listing, its messages and their recipient arrays
 *	belong to the caller after exim_queue_parse() and are released with
 *	exim_queue_free().
 * DIAGNOSTICS
 *	Through the bad() callback: "LINE: why". Nothing is fatal but
 *	running out of memory.
 * SECURITY
 *	Ids are checked with exim_id_valid(); addresses with controls,
 *	NUL or over LIMIT_ADDRESS bytes make the whole entry malformed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exim_id.h"
#include "exim_log.h"
#include "exim_queue.h"

#define EXIM_QUEUE_FROZEN " *** frozen ***"

struct exim_queue_parser {
	struct mta_listing *out;
	exim_queue_each_fn each; /* NULL: keep every entry in out */
	void *each_arg;
	int stopped; /* each said stop */
	size_t cap;
	struct mta_message cur; /* the entry being read */
	size_t rcap;
	int open; /* cur holds a header */
	int bad;  /* cur is malformed: drop it at its end */
	int toomany;
	exim_queue_bad_fn report;
	void *ctx;
};

static void exim_queue_msg_free(struct mta_message *m)
{
	free(m->rcpts);
	memset(m, 0, sizeof(*m));
}

void exim_queue_free(struct mta_listing *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->msgs[i].rcpts);
	free(l->msgs);
	memset(l, 0, sizeof(*l));
}

static int exim_queue_printable(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f)
			return 0;
	return 1;
}

/* Finish the current entry: keep it, or count it skipped. -1: ENOMEM. */
static int exim_queue_commit(struct exim_queue_parser *ps)
{
	struct mta_listing *out = ps->out;

	if (!ps->open)
		return 0;
	ps->open = 0;
	if (ps->bad || ps->toomany || ps->cur.nrcpts == 0) {
		if (ps->bad || ps->toomany)
			out->skipped++;
		exim_queue_msg_free(&ps->cur);
		return 0;
	}
	if (ps->each != NULL) { /* told, then gone: nothing kept */
		out->n++;
		if (ps->each(ps->each_arg, &ps->cur) < 0)
			ps->stopped = 1;
		exim_queue_msg_free(&ps->cur);
		return 0;
	}
	if (out->n == ps->cap) {
		size_t ncap = ps->cap ? ps->cap * 2 : 64;
		struct mta_message *m = realloc(out->msgs, ncap * sizeof(*m));
		if (m == NULL) {
			exim_queue_msg_free(&ps->cur);
			return -1;
		}
		out->msgs = m;
		ps->cap = ncap;
	}
	out->msgs[out->n++] = ps->cur;
	memset(&ps->cur, 0, sizeof(ps->cur));
	return 0;
}

static const char *exim_queue_skip(const char *p, const char *end, char c)
{
	while (p < end && *p == c)
		p++;
	return p;
}

/* The header line of an entry. 0: parsed; -1: malformed (why set). */
static int exim_queue_header(struct exim_queue_parser *ps, const char *p,
			     const char *end, const char **why)
{
	struct mta_message *m = &ps->cur;
	const char *q;
	size_t n;

	p = exim_queue_skip(p, end, ' ');
	for (q = p; q < end && *q >= '0' && *q <= '9'; q++)
		;
	if (q == p || q >= end || !strchr("smhdwy", *q) || *q == '\0' ||
	    q + 1 >= end || q[1] != ' ')
		return *why = "bad age field", -1;
	p = exim_queue_skip(q + 1, end, ' ');
	for (q = p; q < end && ((*q >= '0' && *q <= '9') || *q == '.'); q++)
		;
	if (q < end && (*q == 'K' || *q == 'M' || *q == 'G'))
		q++;
	if (q == p || q >= end || *q != ' ')
		return *why = "bad size field", -1;
	p = q + 1;
	q = memchr(p, ' ', (size_t)(end - p));
	n = q ? (size_t)(q - p) : 0;
	if (q == NULL || n > LIMIT_QUEUE_ID)
		return *why = "no message id", -1;
	memcpy(m->queue_id, p, n);
	m->queue_id[n] = '\0';
	if (!exim_id_valid(m->queue_id) ||
	    exim_id_time(m->queue_id, &m->arrival) < 0)
		return *why = "invalid message id", -1;
	p = q + 1;
	n = strlen(EXIM_QUEUE_FROZEN);
	if ((size_t)(end - p) > n &&
	    memcmp(end - n, EXIM_QUEUE_FROZEN, n) == 0 &&
	    *(end - n - 1) == '>') {
		m->held = 1;
		end -= n;
	}
	if (end - p < 2 || *p != '<' || end[-1] != '>')
		return *why = "no <sender> (spool read error?)", -1;
	p++, end--;
	if ((size_t)(end - p) > LIMIT_ADDRESS ||
	    !exim_queue_printable(p, (size_t)(end - p)))
		return *why = "bad sender address", -1;
	memcpy(m->sender, p, (size_t)(end - p));
	m->sender[end - p] = '\0';
	return 0;
}

/* One recipient line of the current entry. */
static int exim_queue_rcpt(struct exim_queue_parser *ps, const char *p,
			   const char *end, const char **why)
{
	struct mta_message *m = &ps->cur;
	size_t n;

	if (end - p > 10 && memcmp(p, "       +D ", 10) == 0)
		return 0; /* -bpa: a delivered child address */
	if (end - p <= 10 || memcmp(p, "        ", 8) != 0 ||
	    (p[8] != ' ' && p[8] != 'D') || p[9] != ' ')
		return *why = "not a recipient line", -1;
	if (p[8] == 'D')
		return 0;
	p += 10;
	n = (size_t)(end - p);
	if (*p == ' ' || n > LIMIT_ADDRESS || !exim_queue_printable(p, n))
		return *why = "bad recipient address", -1;
	if (m->nrcpts == LIMIT_RCPTS_PER_MESSAGE) {
		ps->toomany = 1;
		return 0;
	}
	if (m->nrcpts == ps->rcap) {
		/* one slot first: nearly every message has one recipient, and
		 * a slot is 769 bytes (4 at first cost 30 MB at 10k) */
		size_t ncap = ps->rcap ? ps->rcap * 2 : 1;
		struct mta_rcpt *r = realloc(m->rcpts, ncap * sizeof(*r));
		if (r == NULL)
			return *why = NULL, -2;
		m->rcpts = r;
		ps->rcap = ncap;
	}
	memset(&m->rcpts[m->nrcpts], 0, sizeof(m->rcpts[0]));
	memcpy(m->rcpts[m->nrcpts].address, p, n);
	m->nrcpts++;
	return 0;
}

static int exim_queue_run(struct exim_queue_parser *ps_, const char *text,
			  size_t len, char *err, size_t errlen)
{
	struct exim_queue_parser ps = *ps_;
	struct mta_listing *out = ps.out;
	exim_queue_bad_fn bad = ps.report;
	void *ctx = ps.ctx;
	const char *p = text, *end = text + len;
	size_t lineno = 0;

	memset(out, 0, sizeof(*out));
	while (p < end && !ps.stopped) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		const char *why = NULL;
		size_t n = (size_t)(eol - p);
		int rc = 0;

		lineno++;
		if (n > LIMIT_LISTING_LINE || memchr(p, '\0', n) != NULL) {
			why = "overlong line or NUL inside";
			rc = -1;
		} else if (n == 0) {
			rc = exim_queue_commit(&ps) < 0 ? -2 : 0;
		} else if (n > 1 && p[0] == ' ' && p[1] == ' ') {
			/* headers start with at most one space ("%2d" age) */
			if (!ps.open) {
				why = "recipient outside a message";
				rc = -3;
			} else {
				rc = exim_queue_rcpt(&ps, p, eol, &why);
			}
		} else {
			if (exim_queue_commit(&ps) < 0) {
				rc = -2;
			} else {
				if (out->n >= LIMIT_LISTING_MESSAGES)
					return 1;
				ps.open = 1;
				ps.bad = ps.toomany = 0;
				ps.rcap = 0;
				rc = exim_queue_header(&ps, p, eol, &why);
			}
		}
		if (rc == -2) {
			snprintf(err, errlen, "exim -bp: out of memory");
			exim_queue_msg_free(&ps.cur);
			exim_queue_free(out);
			return -1;
		}
		if (rc < 0) {
			ps.bad |= ps.open;
			if (rc == -3 || !ps.open)
				out->skipped++;
			if (bad != NULL)
				bad(ctx, lineno, why);
		}
		p = nl ? nl + 1 : end;
	}
	if (exim_queue_commit(&ps) < 0) {
		snprintf(err, errlen, "exim -bp: out of memory");
		exim_queue_free(out);
		return -1;
	}
	return ps.stopped ? 1 : 0;
}

int exim_queue_parse(const char *text, size_t len, struct mta_listing *out,
		     exim_queue_bad_fn bad, void *ctx, char *err, size_t errlen)
{
	struct exim_queue_parser ps = {.out = out, .report = bad, .ctx = ctx};

	return exim_queue_run(&ps, text, len, err, errlen);
}

int exim_queue_parse_each(const char *text, size_t len, exim_queue_each_fn fn,
			  void *arg, size_t *told, size_t *skipped,
			  exim_queue_bad_fn bad, void *ctx, char *err,
			  size_t errlen)
{
	struct mta_listing counts;
	struct exim_queue_parser ps = {.out = &counts,
				       .each = fn,
				       .each_arg = arg,
				       .report = bad,
				       .ctx = ctx};
	int rc = exim_queue_run(&ps, text, len, err, errlen);

	*told = counts.n;
	*skipped = counts.skipped;
	return rc;
}

void exim_queue_apply_msglog(struct mta_message *m, const char *msglog,
			     size_t len, int partial, long tzoff)
{
	const char *p = msglog, *end = msglog + len;
	struct exim_log_entry e;

	if (partial) { /* we started mid-file: drop the first line */
		const char *nl = memchr(p, '\n', len);
		p = nl ? nl + 1 : end;
	}
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;

		if (exim_log_parse_msglog(p, (size_t)(eol - p), tzoff, &e)) {
			for (size_t i = 0; i < m->nrcpts; i++) {
				if (strcmp(m->rcpts[i].address, e.address) ==
				    0) {
					snprintf(m->rcpts[i].reason,
						 sizeof(m->rcpts[i].reason),
						 "%s", e.text);
					m->deferred = 1;
				}
			}
		}
		p = nl ? nl + 1 : end;
	}
}
