/*
 * NAME
 *	classify_literal 3
 * SUMMARY
 *	the literals a classifier rule cannot match without
 * SYNOPSIS
 *	#include "classify/classify_int.h"
 * DESCRIPTION
 *	classify_literal_sets() reads a rule's regex (PCRE2 syntax) and finds
 *	up to CLASSIFY_LIT_AND sets of ASCII-folded literals that every
 *	match contains one of each: a text lacking, compared without case,
 *	every literal of one set cannot match, so the rule need not run on
 *	it. Within one alternative, the strings that may stand before the
 *	current place grow along it: a character appends to each, a group
 *	or class whose strings are few and known multiplies them ("(read|
 *	write) error" gives "read error,write error"; "e-?mails?", "[78]"),
 *	zero-width assertions (\b, ^) keep them; anything else (a repeat, an
 *	unknown group, a wide class, more than CLASSIFY_LIT_PROD strings)
 *	offers them as a required set and starts over. Each set of a
 *	mandatory group, and of a positive lookaround (its text is in the
 *	subject), is required too. The alternative keeps its best sets (the
 *	longest shortest literal first, then the fewest literals; a literal
 *	holding another of its set is dropped). Alternatives A (sets A1, A2
 *	...) and B give the sets A1 u B1, A2 u B2 ... (one with fewer sets
 *	lends its last). classify_literal_set() gives the best set alone.
 *
 *	The reading is conservative: a character or group followed by * or
 *	{ ends the strings, as do negative lookarounds, option settings and
 *	classes with a range, an escape or more than CLASSIFY_LIT_CLASS
 *	characters; an alternative without a set (an empty branch, or
 *	nothing of CLASSIFY_LIT_MIN bytes) leaves its alternation without
 *	one. A byte above 0x7f is a plain
 *	byte of a run: rules are compiled without PCRE2_UTF and with the
 *	library's default (C locale) tables, where such a byte has no other
 *	case, and the scan compares it unfolded. Any construct it
 *	does not know for sure (\Q, \x, back references, (*VERB), (?x),
 *	conditionals, recursion) makes the whole rule "no literal set": it
 *	then runs on every text. Literals shorter than CLASSIFY_LIT_MIN are
 *	not used; longer runs are cut to CLASSIFY_LIT_MAX bytes (a piece of
 *	a required run is required too).
 *
 *	Pure: no allocation, no I/O. Owns nothing. The reading recurses
 *	once per group level (at most CLASSIFY_LIT_DEPTH) with a few sets on
 *	the stack at each: some 35 KiB a level.
 * DIAGNOSTICS
 *	None: a regex it cannot read gets no literal set (n = 0), never a
 *	wrong one. tests/unit/test_classify_corpus.c checks that the
 *	prefiltered classifier gives every corpus text (and mutated texts)
 *	the same rule as trying every rule in order.
 */
#include <string.h>

#include "classify/classify_int.h"

/* classify_literal_fold - ASCII lower case; bytes above 0x7f unchanged */
unsigned char classify_literal_fold(unsigned char ch)
{
	return ch >= 'A' && ch <= 'Z' ? (unsigned char)(ch - 'A' + 'a') : ch;
}

/* literal_min - the shortest literal of a set (0 for an empty set) */
static size_t literal_min(const struct classify_literals *s)
{
	size_t m = 0;

	for (size_t i = 0; i < s->n; i++)
		if (i == 0 || s->len[i] < m)
			m = s->len[i];
	return m;
}

/* literal_better - 1 if @param a filters better than @param b */
static int literal_better(const struct classify_literals *a,
			  const struct classify_literals *b)
{
	size_t ma = literal_min(a), mb = literal_min(b);

	if (a->n == 0 || ma < CLASSIFY_LIT_MIN)
		return 0;
	if (b->n == 0 || ma > mb)
		return 1;
	return ma == mb && a->n < b->n;
}

/* literal_same - 1 if the two sets hold the same literals in order */
static int literal_same(const struct classify_literals *a,
			const struct classify_literals *b)
{
	if (a->n != b->n)
		return 0;
	for (size_t k = 0; k < a->n; k++)
		if (a->len[k] != b->len[k] ||
		    memcmp(a->lit[k], b->lit[k], a->len[k]) != 0)
			return 0;
	return 1;
}

/* literal_holds - does @param a (length @param al) hold @param b */
static int literal_holds(const unsigned char *a, size_t al,
			 const unsigned char *b, size_t bl)
{
	for (size_t k = 0; k + bl <= al; k++)
		if (memcmp(a + k, b, bl) == 0)
			return 1;
	return 0;
}

/*
 * literal_reduce - @param in without the literals that hold another one
 * of it ({"abcxyz", "xyz"} is met exactly when "xyz" is), nor repeats:
 * the same filter with fewer literals, in @param out.
 */
static void literal_reduce(const struct classify_literals *in,
			   struct classify_literals *out)
{
	out->n = 0;
	for (size_t k = 0; k < in->n; k++) {
		size_t j;

		for (j = 0; j < in->n; j++)
			if (j != k &&
			    (in->len[j] < in->len[k] ||
			     (in->len[j] == in->len[k] && j < k)) &&
			    literal_holds(in->lit[k], in->len[k], in->lit[j],
					  in->len[j]))
				break;
		if (j == in->n) {
			out->len[out->n] = in->len[k];
			memcpy(out->lit[out->n++], in->lit[k], in->len[k]);
		}
	}
}

/*
 * literal_offer - @param set is required (every match holds one of its
 * literals): keep it among the CLASSIFY_LIT_AND best of @param all, best
 * first. A set with a literal shorter than CLASSIFY_LIT_MIN is dropped.
 */
static void literal_offer(struct classify_cnf *all,
			  const struct classify_literals *given)
{
	struct classify_literals reduced, *set = &reduced;
	size_t at;

	if (given->n == 0 || literal_min(given) < CLASSIFY_LIT_MIN)
		return;
	literal_reduce(given, &reduced);
	for (size_t k = 0; k < all->n; k++)
		if (literal_same(&all->set[k], set))
			return;
	for (at = 0; at < all->n; at++)
		if (literal_better(set, &all->set[at]))
			break;
	if (at == CLASSIFY_LIT_AND)
		return;
	if (all->n < CLASSIFY_LIT_AND)
		all->n++;
	memmove(&all->set[at + 1], &all->set[at],
		(all->n - 1 - at) * sizeof(all->set[0]));
	all->set[at] = *set;
}

/* literal_skip_class - @param i at '['; @return index after the ']' */
static size_t literal_skip_class(const char *s, size_t i, int *bad)
{
	i++;
	if (s[i] == '^')
		i++;
	if (s[i] == ']')
		i++;
	while (s[i] != '\0' && s[i] != ']') {
		if (s[i] == '\\' && s[i + 1] != '\0')
			i++;
		else if (s[i] == '[' && s[i + 1] == ':')
			*bad = 1; /* POSIX class: not read */
		i++;
	}
	if (s[i] == '\0')
		*bad = 1;
	return s[i] ? i + 1 : i;
}

/*
 * literal_skip_quant - after an atom: skip a quantifier.
 * @return 1 if the atom may be absent (?, *, {), else 0.
 */
static int literal_skip_quant(const char *s, size_t *i)
{
	int optional = 0;

	if (s[*i] == '?' || s[*i] == '*') {
		optional = 1;
		(*i)++;
	} else if (s[*i] == '+') {
		(*i)++;
	} else if (s[*i] == '{') {
		size_t j = *i + 1;

		while (s[j] >= '0' && s[j] <= '9')
			j++;
		if (s[j] == ',')
			j++;
		while (s[j] >= '0' && s[j] <= '9')
			j++;
		if (s[j] != '}' || j == *i + 1)
			return 1; /* a literal '{': treat as optional */
		optional = 1;	  /* {0,n} or {n}: not worth telling apart */
		*i = j + 1;
	} else {
		return 0;
	}
	if (s[*i] == '?' || s[*i] == '+')
		(*i)++; /* lazy or possessive */
	return optional;
}

static void literal_alts(const char *s, size_t *i, int depth,
			 struct classify_cnf *out,
			 struct classify_literals *exact, int *bad);

/* literal_empty - @param p becomes {""}: the empty string alone */
static void literal_empty(struct classify_literals *p)
{
	p->n = 1;
	p->len[0] = 0;
}

/*
 * literal_cat - @param p becomes every p + g (@param g a set of strings,
 * "" allowed). @return -1 (p unchanged) when the product would hold more
 * than CLASSIFY_LIT_PROD strings or one longer than CLASSIFY_LIT_MAX.
 */
static int literal_cat(struct classify_literals *p,
		       const struct classify_literals *g)
{
	struct classify_literals r;

	if (p->n * g->n > CLASSIFY_LIT_PROD || g->n == 0)
		return -1;
	r.n = 0;
	for (size_t a = 0; a < p->n; a++)
		for (size_t b = 0; b < g->n; b++) {
			if (p->len[a] + g->len[b] > CLASSIFY_LIT_MAX)
				return -1;
			memcpy(r.lit[r.n], p->lit[a], p->len[a]);
			memcpy(r.lit[r.n] + p->len[a], g->lit[b], g->len[b]);
			r.len[r.n++] = p->len[a] + g->len[b];
		}
	*p = r;
	return 0;
}

/* literal_add - @param p gets the string @param lit unless it has it */
static void literal_add(struct classify_literals *p, const unsigned char *lit,
			size_t len)
{
	for (size_t k = 0; k < p->n; k++)
		if (p->len[k] == len && memcmp(p->lit[k], lit, len) == 0)
			return;
	p->len[p->n] = len;
	memcpy(p->lit[p->n++], lit, len);
}

/*
 * literal_class_set - @param i at '[': a class of a few plain characters
 * ("[78]", "[sz]", no range, escape or negation) as the set of its
 * characters, folded, in @param g; @return 0, or -1 (g.n = 0) for any
 * other class. @param i is left alone.
 */
static int literal_class_set(const char *s, size_t i,
			     struct classify_literals *g)
{
	g->n = 0;
	for (i++; s[i] != ']'; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == ' ') ||
		    g->n == CLASSIFY_LIT_CLASS) {
			g->n = 0;
			return -1;
		}
		ch = classify_literal_fold(ch);
		literal_add(g, &ch, 1);
	}
	return g->n > 0 ? 0 : -1;
}

/*
 * literal_group - @param i just after '('. Reads the group; @return 1
 * when its body is plain (capturing, (?:, (?|, (?>, (?flags:, named),
 * 2 for a positive lookaround (its text is in the subject, though not in
 * the match), 0 for a negative one or an option construct; *bad for the
 * unknown. @param exact gets the strings the body can match (n = 0: not
 * known).
 */
static int literal_group(const char *s, size_t *i, int depth,
			 struct classify_cnf *body,
			 struct classify_literals *exact, int *bad)
{
	int plain = 1;

	exact->n = 0;
	if (s[*i] == '*') {
		*bad = 1;
		return 0;
	}
	if (s[*i] == '?') {
		char k = s[*i + 1];

		if (k == ':' || k == '|' || k == '>') {
			*i += 2;
		} else if (k == '=' || k == '!') {
			*i += 2, plain = k == '=' ? 2 : 0;
		} else if (k == '<' && (s[*i + 2] == '=' || s[*i + 2] == '!')) {
			plain = s[*i + 2] == '=' ? 2 : 0;
			*i += 3;
		} else if (k == '#') {
			while (s[*i] != '\0' && s[*i] != ')')
				(*i)++;
			if (s[*i] == ')')
				(*i)++;
			return 0;
		} else if (k == '<' || (k == 'P' && s[*i + 2] == '<')) {
			while (s[*i] != '\0' && s[*i] != '>')
				(*i)++;
			if (s[*i] == '>')
				(*i)++;
		} else {
			size_t j = *i + 1;

			while (strchr("imnsJU-^", s[j]) != NULL && s[j] != '\0')
				j++;
			if (j == *i + 1 || (s[j] != ':' && s[j] != ')')) {
				*bad = 1; /* (?x, (?(, (?R, (?1, (?&, (?' ... */
				return 0;
			}
			if (s[j] == ')') {
				*i = j + 1; /* an option setting: no body */
				return 0;
			}
			*i = j + 1;
		}
	}
	literal_alts(s, i, depth + 1, body, exact, bad);
	if (plain != 1)
		exact->n = 0;
	return plain;
}

/*
 * literal_seq - one alternative: from @param i up to '|', ')' or the end.
 * @param best gets the best literal sets every match of it contains;
 * @param exact the strings it can match when they are few and known
 * (n = 0 otherwise). Along the way, prod holds the strings that may
 * stand just before the current place (one of them does, in every
 * match): a character appends to each, a group whose strings are known
 * ("(read|write) error", "e-?mails?", "5\.1\.[78]") multiplies them, and
 * whatever else (a class, a repeat, too many strings) offers them to
 * @param best as a set and starts over. Zero-width assertions (\b, ^)
 * keep them: the text on both sides is adjacent.
 */
static void literal_seq(const char *s, size_t *i, int depth,
			struct classify_cnf *best,
			struct classify_literals *exact, int *bad)
{
	struct classify_literals prod, g;
	int known = 1; /* prod holds every string the sequence can match */

	best->n = 0;
	literal_empty(&prod);
	while (!*bad && s[*i] != '\0' && s[*i] != '|' && s[*i] != ')') {
		unsigned char ch = (unsigned char)s[*i];
		int plain = 1;
		char q;

		g.n = 0;
		if (ch == '(') {
			struct classify_cnf body;

			(*i)++;
			body.n = 0;
			plain = literal_group(s, i, depth, &body, &g, bad);
			q = s[*i];
			if (!literal_skip_quant(s, i) && plain && !*bad)
				for (size_t k = 0; k < body.n; k++)
					literal_offer(best, &body.set[k]);
			if (plain == 0 || plain == 2) {
				/* a lookaround or an option: start over */
				literal_offer(best, &prod);
				literal_empty(&prod);
				known = 0;
				continue;
			}
		} else if (ch == '[') {
			literal_class_set(s, *i, &g);
			*i = literal_skip_class(s, *i, bad);
			q = s[*i];
			literal_skip_quant(s, i);
		} else if (ch == '^' || ch == '$' ||
			   (ch == '\\' && s[*i + 1] != '\0' &&
			    strchr("bBAzZGK", s[*i + 1]) != NULL)) {
			*i += ch == '\\' ? 2 : 1; /* zero width */
			literal_skip_quant(s, i);
			continue;
		} else if (ch == '.' ||
			   (ch == '\\' && s[*i + 1] != '\0' &&
			    ((s[*i + 1] >= 'a' && s[*i + 1] <= 'z') ||
			     (s[*i + 1] >= 'A' && s[*i + 1] <= 'Z') ||
			     (s[*i + 1] >= '0' && s[*i + 1] <= '9')))) {
			if (ch == '\\') {
				if (strchr("dDwWsShHvVRX", s[*i + 1]) == NULL)
					*bad = 1; /* \x \Q \p \1 \k ... */
				*i += 2;
			} else {
				(*i)++;
			}
			q = s[*i];
			literal_skip_quant(s, i);
		} else {
			if (ch == '\\') {
				if (s[*i + 1] == '\0') {
					*bad = 1;
					return;
				}
				ch = (unsigned char)s[++(*i)];
				if (ch >= 0x80) {
					*bad = 1;
					return;
				}
			}
			(*i)++;
			ch = classify_literal_fold(ch);
			g.n = 1;
			g.len[0] = 1;
			g.lit[0][0] = ch;
			q = s[*i];
			literal_skip_quant(s, i);
		}
		if (*bad)
			return;
		/* g: the strings this atom matches, n = 0 when not known */
		if (g.n > 0 && q == '?') {
			literal_add(&g, (const unsigned char *)"", 0);
			q = 0;
		}
		if (g.n > 0 && q != '*' && q != '{' && q != '+' && q != '?') {
			if (literal_cat(&prod, &g) == 0)
				continue;
			literal_offer(best, &prod);
			prod = g; /* the atom's strings start the next run */
			known = 0;
			continue;
		}
		/* a repeat ("ab+c" holds "ab", then "bc"), or not known */
		if (g.n > 0 && q == '+' && literal_cat(&prod, &g) == 0) {
			literal_offer(best, &prod);
			prod = g;
		} else {
			literal_offer(best, &prod);
			literal_empty(&prod);
		}
		known = 0;
	}
	literal_offer(best, &prod);
	if (known)
		*exact = prod;
	else
		exact->n = 0;
}

/*
 * literal_union - @param into gets the literals of @param from; @return
 * -1 (into unchanged) when the union would exceed CLASSIFY_LIT_SET.
 */
static int literal_union(struct classify_literals *into,
			 const struct classify_literals *from)
{
	if (into->n + from->n > CLASSIFY_LIT_SET)
		return -1;
	for (size_t k = 0; k < from->n; k++) {
		into->len[into->n] = from->len[k];
		memcpy(into->lit[into->n], from->lit[k], from->len[k]);
		into->n++;
	}
	return 0;
}

/*
 * literal_alts - alternatives up to ')' (consumed) or the end. @param out:
 * required sets of the whole alternation, or n = 0 when an alternative
 * has none. Alternative A needs each of its sets A1, A2 ... and B needs
 * B1, B2 ...: a match of either holds one of A1 u B1, and one of A2 u B2
 * (an alternative with fewer sets lends its last one).
 */
static void literal_alts(const char *s, size_t *i, int depth,
			 struct classify_cnf *out,
			 struct classify_literals *exact, int *bad)
{
	struct classify_cnf alt, all;
	struct classify_literals ex;
	size_t width = 0;
	int none = 0, over[CLASSIFY_LIT_AND] = {0}, known = 1;

	out->n = 0;
	all.n = 0;
	exact->n = 0;
	if (depth > CLASSIFY_LIT_DEPTH) {
		*bad = 1;
		return;
	}
	for (int first = 1;; first = 0) {
		alt.n = 0;
		literal_seq(s, i, depth, &alt, &ex, bad);
		if (*bad)
			return;
		if (ex.n == 0 || exact->n + ex.n > CLASSIFY_LIT_PROD)
			known = 0;
		for (size_t k = 0; known && k < ex.n; k++)
			literal_add(exact, ex.lit[k], ex.len[k]);
		if (alt.n == 0)
			none = 1;
		for (size_t k = 0; !none && k < CLASSIFY_LIT_AND; k++) {
			const struct classify_literals *from =
			    &alt.set[k < alt.n ? k : alt.n - 1];

			if (first)
				all.set[k].n = 0;
			if (!over[k] && literal_union(&all.set[k], from) < 0)
				over[k] = 1;
		}
		if (alt.n > width)
			width = alt.n;
		if (s[*i] == '|') {
			(*i)++;
			continue;
		}
		if (s[*i] == ')') {
			if (depth == 0)
				*bad = 1; /* unbalanced */
			(*i)++;
		} else if (depth > 0) {
			*bad = 1; /* unclosed group */
		}
		break;
	}
	if (!known)
		exact->n = 0;
	for (size_t k = 0; !none && k < width; k++)
		if (!over[k])
			literal_offer(out, &all.set[k]);
}

size_t classify_literal_sets(const char *regex, struct classify_cnf *out)
{
	size_t i = 0;
	int bad = 0;

	struct classify_literals exact;

	out->n = 0;
	literal_alts(regex, &i, 0, out, &exact, &bad);
	if (bad || regex[i] != '\0')
		out->n = 0;
	return out->n;
}

int classify_literal_set(const char *regex, struct classify_literals *out)
{
	struct classify_cnf all;

	if (classify_literal_sets(regex, &all) == 0) {
		out->n = 0;
		return -1;
	}
	*out = all.set[0];
	return 0;
}
