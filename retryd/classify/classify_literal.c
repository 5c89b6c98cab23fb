/*
 * NAME
 *	classify_literal 3
 * SUMMARY
 *	the literals a classifier rule cannot match without
 * SYNOPSIS
 *	#include "classify/classify_int.h"
 * DESCRIPTION
 *	classify_literal_set() reads a rule's regex (PCRE2 syntax) and finds,
 *	for each of its top-level alternatives, a run of plain characters
 *	that every match of that alternative contains (or, where an
 *	alternative holds a mandatory group, one such run for each
 *	alternative of the group). The result is a set of ASCII-folded
 *	literals: a text containing none of them, compared without case, can
 *	match no alternative, so the rule need not run on it.
 *
 *	The reading is conservative: a character followed by ?, * or {
 *	leaves the run, a group followed by ?, * or { contributes nothing,
 *	lookarounds and classes break a run. A byte above 0x7f is a plain
 *	byte of a run: rules are compiled without PCRE2_UTF and with the
 *	library's default (C locale) tables, where such a byte has no other
 *	case, and the scan compares it unfolded. Any construct it
 *	does not know for sure (\Q, \x, back references, (*VERB), (?x),
 *	conditionals, recursion) makes the whole rule "no literal set": it
 *	then runs on every text. Literals shorter than CLASSIFY_LIT_MIN are
 *	not used; longer runs are cut to CLASSIFY_LIT_MAX bytes (a piece of
 *	a required run is required too).
 *
 *	Pure: no allocation, no I/O. Owns nothing.
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

/* literal_offer_run - the current run as a one-literal candidate */
static void literal_offer_run(struct classify_literals *best,
			      const unsigned char *run, size_t len)
{
	struct classify_literals one;

	if (len < CLASSIFY_LIT_MIN)
		return;
	one.n = 1;
	one.len[0] = len;
	memcpy(one.lit[0], run, len);
	if (literal_better(&one, best))
		*best = one;
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
			 struct classify_literals *out, int *bad);

/*
 * literal_group - @param i just after '('. Reads the group; @return 1
 * when its body is plain (capturing, (?:, (?|, (?>, (?flags:, named),
 * 0 when it is a zero-width or option construct; *bad for the unknown.
 */
static int literal_group(const char *s, size_t *i, int depth,
			 struct classify_literals *body, int *bad)
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
			struct classify_literals *best, int *bad)
{
	unsigned char run[CLASSIFY_LIT_MAX];
	size_t rl = 0;

	best->n = 0;
	while (!*bad && s[*i] != '\0' && s[*i] != '|' && s[*i] != ')') {
		unsigned char ch = (unsigned char)s[*i];

		if (ch == '(') {
			struct classify_literals body;
			int plain;

			literal_offer_run(best, run, rl);
			rl = 0;
			(*i)++;
			plain = literal_group(s, i, depth, &body, bad);
			if (!literal_skip_quant(s, i) && plain && !*bad &&
			    literal_better(&body, best))
				*best = body;
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
 * literal_alts - alternatives up to ')' (consumed) or the end. @param out:
 * the union of their sets, or n = 0 when one has none or it is too big.
 */
static void literal_alts(const char *s, size_t *i, int depth,
			 struct classify_literals *out, int *bad)
{
	int none = 0;

	out->n = 0;
	if (depth > CLASSIFY_LIT_DEPTH) {
		*bad = 1;
		return;
	}
	for (;;) {
		struct classify_literals alt;

		literal_seq(s, i, depth, &alt, bad);
		if (*bad)
			return;
		if (alt.n == 0 || out->n + alt.n > CLASSIFY_LIT_SET)
			none = 1;
		for (size_t k = 0; !none && k < alt.n; k++) {
			out->len[out->n] = alt.len[k];
			memcpy(out->lit[out->n], alt.lit[k], alt.len[k]);
			out->n++;
		}
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
	if (none)
		out->n = 0;
}

int classify_literal_set(const char *regex, struct classify_literals *out)
{
	size_t i = 0;
	int bad = 0;

	literal_alts(regex, &i, 0, out, &bad);
	if (bad || regex[i] != '\0')
		out->n = 0;
	return out->n > 0 ? 0 : -1;
}
