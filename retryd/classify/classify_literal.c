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
 *	it. Within one alternative, each run of plain characters is such a
 *	set (of one literal) and so is each set of a mandatory group; the
 *	alternative keeps its best ones (the longest shortest literal first,
 *	then the fewest literals). Alternatives A (sets A1, A2 ...) and B
 *	give the sets A1 u B1, A2 u B2 ... (one with fewer sets lends its
 *	last). classify_literal_set() gives the best set alone.
 *
 *	The reading is conservative: a character followed by ?, * or {
 *	leaves the run, a group followed by ?, * or { contributes nothing,
 *	lookarounds and option settings contribute nothing and break a run,
 *	as do classes; an alternative without a set (an empty branch, or
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
 *	the stack at each: some 25 KiB a level.
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

/*
 * literal_offer - @param set is required (every match holds one of its
 * literals): keep it among the CLASSIFY_LIT_AND best of @param all, best
 * first. A set with a literal shorter than CLASSIFY_LIT_MIN is dropped.
 */
static void literal_offer(struct classify_cnf *all,
			  const struct classify_literals *set)
{
	size_t at;

	if (set->n == 0 || literal_min(set) < CLASSIFY_LIT_MIN)
		return;
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

/* literal_offer_run - the current run as a one-literal required set */
static void literal_offer_run(struct classify_cnf *best,
			      const unsigned char *run, size_t len)
{
	struct classify_literals one;

	if (len < CLASSIFY_LIT_MIN)
		return;
	one.n = 1;
	one.len[0] = len;
	memcpy(one.lit[0], run, len);
	literal_offer(best, &one);
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
			 struct classify_cnf *out, int *bad);

/*
 * literal_group - @param i just after '('. Reads the group; @return 1
 * when its body is plain (capturing, (?:, (?|, (?>, (?flags:, named),
 * 0 when it is a zero-width or option construct; *bad for the unknown.
 */
static int literal_group(const char *s, size_t *i, int depth,
			 struct classify_cnf *body, int *bad)
{
	int plain = 1;

	if (s[*i] == '*') {
		*bad = 1;
		return 0;
	}
	if (s[*i] == '?') {
		char k = s[*i + 1];

		if (k == ':' || k == '|' || k == '>') {
			*i += 2;
		} else if (k == '=' || k == '!') {
			*i += 2, plain = 0;
		} else if (k == '<' && (s[*i + 2] == '=' || s[*i + 2] == '!')) {
			*i += 3, plain = 0;
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
	literal_alts(s, i, depth + 1, body, bad);
	return plain;
}

/*
 * literal_seq - one alternative: from @param i up to '|', ')' or the end.
 * @param best gets the best literal set every match of it contains.
 */
static void literal_seq(const char *s, size_t *i, int depth,
			struct classify_cnf *best, int *bad)
{
	unsigned char run[CLASSIFY_LIT_MAX];
	size_t rl = 0;

	best->n = 0;
	while (!*bad && s[*i] != '\0' && s[*i] != '|' && s[*i] != ')') {
		unsigned char ch = (unsigned char)s[*i];

		if (ch == '(') {
			struct classify_cnf body;
			int plain;

			literal_offer_run(best, run, rl);
			rl = 0;
			(*i)++;
			body.n = 0;
			plain = literal_group(s, i, depth, &body, bad);
			if (!literal_skip_quant(s, i) && plain && !*bad)
				for (size_t k = 0; k < body.n; k++)
					literal_offer(best, &body.set[k]);
			continue;
		}
		if (ch == '[' || ch == '.' || ch == '^' || ch == '$' ||
		    (ch == '\\' && s[*i + 1] != '\0' &&
		     ((s[*i + 1] >= 'a' && s[*i + 1] <= 'z') ||
		      (s[*i + 1] >= 'A' && s[*i + 1] <= 'Z') ||
		      (s[*i + 1] >= '0' && s[*i + 1] <= '9')))) {
			literal_offer_run(best, run, rl);
			rl = 0;
			if (ch == '[') {
				*i = literal_skip_class(s, *i, bad);
			} else if (ch == '\\') {
				if (strchr("dDwWsShHvVbBAzZGRXK", s[*i + 1]) ==
				    NULL)
					*bad = 1; /* \x \Q \p \1 \k ... */
				*i += 2;
			} else {
				(*i)++;
			}
			literal_skip_quant(s, i);
			continue;
		}
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
		if (s[*i] == '?' || s[*i] == '*' || s[*i] == '{') {
			literal_skip_quant(s, i);
			literal_offer_run(best, run, rl);
			rl = 0; /* the optional char is in no run */
			continue;
		}
		if (rl == CLASSIFY_LIT_MAX) {
			literal_offer_run(best, run, rl);
			rl = 0;
		}
		run[rl++] = classify_literal_fold(ch);
		if (s[*i] == '+') {
			/* "ab+c" holds "ab", then "bc": the run ends here */
			literal_skip_quant(s, i);
			literal_offer_run(best, run, rl);
			rl = 0;
		}
	}
	literal_offer_run(best, run, rl);
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
			 struct classify_cnf *out, int *bad)
{
	struct classify_cnf alt, all;
	size_t width = 0;
	int none = 0, over[CLASSIFY_LIT_AND] = {0};

	out->n = 0;
	all.n = 0;
	if (depth > CLASSIFY_LIT_DEPTH) {
		*bad = 1;
		return;
	}
	for (int first = 1;; first = 0) {
		alt.n = 0;
		literal_seq(s, i, depth, &alt, bad);
		if (*bad)
			return;
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
	for (size_t k = 0; !none && k < width; k++)
		if (!over[k])
			literal_offer(out, &all.set[k]);
}

size_t classify_literal_sets(const char *regex, struct classify_cnf *out)
{
	size_t i = 0;
	int bad = 0;

	out->n = 0;
	literal_alts(regex, &i, 0, out, &bad);
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
