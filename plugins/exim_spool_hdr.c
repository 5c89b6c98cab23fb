/*
 * NAME
 *	exim_spool_hdr 3
 * SUMMARY
 *	parse the envelope part of an Exim 4.96 spool -H file
 * SYNOPSIS
 *	#include "exim_spool.h"
 * DESCRIPTION
 *	exim_spool_hdr_parse() reads what spool discovery needs from the
 *	text of SPOOL/input/ID-H (layout of Exim 4.96's spool_out.c, read
 *	back as its spool_in.c does):
 *
 *	    ID-H                         the file's own name
 *	    LOGIN UID GID
 *	    <SENDER>                     "<>": the null sender
 *	    TIME WARNINGS
 *	    -NAME [VALUE]                options, one a line; "--" before
 *	                                 NAME: a tainted value; "-frozen T"
 *	                                 says frozen; "-aclc NAME LEN",
 *	                                 "-aclm NAME LEN" and "-acl N LEN"
 *	                                 are followed by LEN bytes of value
 *	                                 (newlines allowed) and a newline
 *	    XX | [YN][YN] ADDRESS...     the non-recipients tree (delivered
 *	                                 or failed), preorder: each node's
 *	                                 two letters say whether a left and
 *	                                 a right subtree follow
 *	    COUNT
 *	    RECIPIENT [DATA]             COUNT lines; DATA, read backwards
 *	                                 from the end, is "SP DIGITS" (early
 *	                                 Exim 4), "SP D,D,D" (Exim 3) or
 *	                                 "... #FLAGS" (bit 1: "SP ERRORS_TO
 *	                                 SP LEN,PNO", bit 2: "SP ORCPT SP
 *	                                 LEN,DSN" before it)
 *	    (empty line)                 then the headers, not read here
 *
 *	The pending recipients are those not in the non-recipients tree.
 *	Pure: no I/O, no clock, no globals; the text is never trusted:
 *	every count and length is checked against the text's end and the
 *	bounds of util/limits.h, and addresses must be printable.
 * DIAGNOSTICS
 *	-1 with a static reason in *why (the caller names the file): the
 *	first line is not "ID-H", a line is cut by the end of the text, a
 *	field is malformed, a bound is passed. 1: more pending recipients
 *	than LIMIT_RCPTS_PER_MESSAGE (not adopted, left to Exim, as the
 *	listing does). -2: out of memory.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/limits.h"
#include "exim_id.h"
#include "exim_spool.h"

struct hdr_cur {
	const char *p, *end;
};

struct hdr_name {
	const char *s;
	size_t n;
};

/* The next line (without its newline). @return 0, or -1 at the end. */
static int hdr_line(struct hdr_cur *c, const char **line, size_t *n)
{
	const char *nl = memchr(c->p, '\n', (size_t)(c->end - c->p));

	if (nl == NULL)
		return -1;
	*line = c->p;
	*n = (size_t)(nl - c->p);
	c->p = nl + 1;
	return 0;
}

/* Decimal digits of @param s (at most @param n), into *v. @return the
 * number of digits read (0: none, or a value over @param max). */
static size_t hdr_num(const char *s, size_t n, size_t max, size_t *v)
{
	size_t i = 0;

	*v = 0;
	while (i < n && isdigit((unsigned char)s[i])) {
		*v = *v * 10 + (size_t)(s[i] - '0');
		if (*v > max)
			return 0;
		i++;
	}
	return i;
}

static int hdr_printable(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f)
			return 0;
	return 1;
}

/* "-acl... LEN": skip the LEN bytes of value and the newline. */
static int hdr_acl_skip(struct hdr_cur *c, const char *l, size_t n)
{
	const char *sp = l + n;
	size_t len;

	while (sp > l && isdigit((unsigned char)sp[-1]))
		sp--;
	if (sp == l + n || sp == l || sp[-1] != ' ' ||
	    hdr_num(sp, (size_t)(l + n - sp), LIMIT_EXIM_SPOOL_HEADER, &len) !=
		(size_t)(l + n - sp) ||
	    len > (size_t)(c->end - c->p))
		return -1;
	c->p += len;
	if (c->p < c->end && *c->p == '\n')
		c->p++;
	return 0;
}

/* The option lines; the first other line in *l. */
static int hdr_options(struct hdr_cur *c, int *frozen, const char **l,
		       size_t *n, const char **why)
{
	for (;;) {
		const char *v;
		size_t vn;

		if (hdr_line(c, l, n) < 0)
			return *why = "cut short in the options", -1;
		if (*n == 0 || (*l)[0] != '-')
			return 0;
		v = *l + 1;
		vn = *n - 1;
		if (vn > 0 && v[0] == '-') { /* tainted */
			v++;
			vn--;
		}
		if (vn > 0 && v[0] == '(') { /* a quoter's name (4.97) */
			const char *q = memchr(v, ')', vn);

			if (q == NULL)
				return *why = "bad option line", -1;
			vn -= (size_t)(q + 1 - v);
			v = q + 1;
		}
		if ((vn > 5 && (memcmp(v, "aclc ", 5) == 0 ||
				memcmp(v, "aclm ", 5) == 0)) ||
		    (vn > 4 && memcmp(v, "acl ", 4) == 0)) {
			if (hdr_acl_skip(c, v, vn) < 0)
				return *why = "bad ACL variable", -1;
		} else if (vn >= 6 && memcmp(v, "frozen", 6) == 0) {
			*frozen = 1;
		}
	}
}

/* The non-recipients tree from its first line @param l: names into
 * *@param t (malloc'd, at most LIMIT_EXIM_SPOOL_RCPTS). */
static int hdr_tree(struct hdr_cur *c, const char *l, size_t n,
		    struct hdr_name **t, size_t *nt, const char **why)
{
	size_t pending = 1, cap = 0;

	*nt = 0;
	if (n == 2 && memcmp(l, "XX", 2) == 0)
		return 0;
	while (pending > 0) {
		if (*nt > 0 && hdr_line(c, &l, &n) < 0)
			return *why = "cut short in the non-recipients", -1;
		if (n < 3 || (l[0] != 'Y' && l[0] != 'N') ||
		    (l[1] != 'Y' && l[1] != 'N') || l[2] != ' ')
			return *why = "bad non-recipients tree", -1;
		if (*nt == LIMIT_EXIM_SPOOL_RCPTS)
			return *why = "too many non-recipients", -1;
		if (*nt == cap) {
			size_t ncap = cap ? cap * 2 : 8;
			struct hdr_name *nn = realloc(*t, ncap * sizeof(*nn));

			if (nn == NULL)
				return -2;
			*t = nn;
			cap = ncap;
		}
		(*t)[*nt].s = l + 3;
		(*t)[(*nt)++].n = n - 3;
		pending += (l[0] == 'Y') + (l[1] == 'Y') - 1;
	}
	return 0;
}

/* Step back over [0-9,-] from *p, read "LEN,..." after it, then over
 * LEN bytes and the space before: the next field's end. */
static int hdr_back_field(const char *l, long *p)
{
	size_t len;

	do
		(*p)--;
	while (*p >= 0 &&
	       (isdigit((unsigned char)l[*p]) || l[*p] == ',' || l[*p] == '-'));
	if (*p < 0 ||
	    hdr_num(l + *p + 1, 10, LIMIT_EXIM_SPOOL_HEADER, &len) == 0)
		return -1;
	*p -= (long)len;
	return *p >= 1 ? 0 : -1;
}

/* The address part of recipient line @param l (spool_in.c's reading,
 * backwards from the end). @return its length, or 0 when malformed. */
static size_t hdr_rcpt_len(const char *l, size_t n)
{
	long p = (long)n - 1;
	size_t flags;

	while (p >= 0 && isdigit((unsigned char)l[p]))
		p--;
	if (p < 0 || p == (long)n - 1)
		return n;  /* no trailing digits: all address */
	if (l[p] == ',') { /* Exim 3: SP D,D,D */
		while (p > 0 && (isdigit((unsigned char)l[p]) || l[p] == ','))
			p--;
		return l[p] == ' ' ? (size_t)p : n;
	}
	if (l[p] == ' ')
		return (size_t)p;
	if (l[p] != '#')
		return n;
	if (hdr_num(l + p + 1, n - (size_t)p - 1, 255, &flags) == 0)
		return 0;
	if ((flags & 1) && hdr_back_field(l, &p) < 0)
		return 0;
	if (--p < 1) /* the space before the data */
		return 0;
	if ((flags & 2) && (hdr_back_field(l, &p) < 0 || --p < 1))
		return 0;
	return (size_t)p;
}

static int hdr_name_cmp(const void *a, const void *b)
{
	const struct hdr_name *x = a, *y = b;
	size_t n = x->n < y->n ? x->n : y->n;
	int c = memcmp(x->s, y->s, n);

	return c ? c : (x->n > y->n) - (x->n < y->n);
}

/* The COUNT recipient lines: the pending ones into @param m. */
static int hdr_rcpts(struct hdr_cur *c, struct hdr_name *t, size_t nt,
		     struct mta_message *m, const char **why)
{
	const char *l;
	size_t n, count, cap = 0;

	if (hdr_line(c, &l, &n) < 0 || n == 0 ||
	    hdr_num(l, n, LIMIT_EXIM_SPOOL_RCPTS, &count) != n)
		return *why = "bad recipient count", -1;
	if (nt > 1)
		qsort(t, nt, sizeof(*t), hdr_name_cmp);
	for (size_t i = 0; i < count; i++) {
		struct hdr_name a;

		if (hdr_line(c, &l, &n) < 0)
			return *why = "cut short in the recipients", -1;
		a.s = l;
		a.n = hdr_rcpt_len(l, n);
		if (a.n == 0 || a.n > LIMIT_ADDRESS || !hdr_printable(l, a.n))
			return *why = "bad recipient address", -1;
		if (nt > 0 &&
		    bsearch(&a, t, nt, sizeof(*t), hdr_name_cmp) != NULL)
			continue; /* delivered or failed */
		if (m->nrcpts == LIMIT_RCPTS_PER_MESSAGE)
			return 1;
		if (m->nrcpts == cap) {
			size_t ncap = cap ? cap * 2 : 1;
			struct mta_rcpt *r =
			    realloc(m->rcpts, ncap * sizeof(*r));
			if (r == NULL)
				return -2;
			m->rcpts = r;
			cap = ncap;
		}
		memset(&m->rcpts[m->nrcpts], 0, sizeof(m->rcpts[0]));
		memcpy(m->rcpts[m->nrcpts++].address, l, a.n);
	}
	if (hdr_line(c, &l, &n) < 0 || n != 0)
		return *why = "no empty line after the recipients", -1;
	return 0;
}

/* Lines 1-4: the name, the user, the sender. */
static int hdr_head(struct hdr_cur *c, const char *id, struct mta_message *m,
		    const char **why)
{
	size_t idlen = strlen(id), n, t;
	const char *l;

	if (hdr_line(c, &l, &n) < 0 || n != idlen + 2 ||
	    memcmp(l, id, idlen) != 0 || memcmp(l + idlen, "-H", 2) != 0)
		return *why = "first line is not ID-H", -1;
	if (hdr_line(c, &l, &n) < 0 || n == 0)
		return *why = "no user line", -1;
	if (hdr_line(c, &l, &n) < 0 || n < 2 || l[0] != '<' || l[n - 1] != '>')
		return *why = "bad sender line", -1;
	if (n - 2 > LIMIT_ADDRESS || !hdr_printable(l + 1, n - 2))
		return *why = "bad sender address", -1;
	memcpy(m->sender, l + 1, n - 2);
	m->sender[n - 2] = '\0';
	if (hdr_line(c, &l, &n) < 0 || hdr_num(l, n, (size_t)-1 / 10, &t) == 0)
		return *why = "bad time line", -1;
	return 0;
}

int exim_spool_hdr_parse(const char *text, size_t len, const char *id,
			 struct mta_message *m, const char **why)
{
	struct hdr_cur c = {.p = text, .end = text + len};
	struct hdr_name *t = NULL;
	const char *l;
	size_t n, nt;
	int frozen = 0, rc;

	memset(m, 0, sizeof(*m));
	*why = "";
	if (!exim_id_valid(id))
		return *why = "not an Exim id", -1;
	snprintf(m->queue_id, sizeof(m->queue_id), "%s", id);
	if (exim_id_time(id, &m->arrival) < 0)
		m->arrival = 0;
	if (hdr_head(&c, id, m, why) < 0 ||
	    hdr_options(&c, &frozen, &l, &n, why) < 0)
		return -1;
	m->held = frozen;
	rc = hdr_tree(&c, l, n, &t, &nt, why);
	if (rc == 0)
		rc = hdr_rcpts(&c, t, nt, m, why);
	free(t);
	if (rc != 0) {
		free(m->rcpts);
		m->rcpts = NULL;
		m->nrcpts = 0;
	}
	return rc;
}
