/*
 * NAME
 *	classify_prefilter 3
 * SUMMARY
 *	one pass over a text says which classifier rules may match it
 * SYNOPSIS
 *	#include "classify/classify_int.h"
 * DESCRIPTION
 *	classify_prefilter_new() takes every rule's literal sets
 *	(classify_literal_sets: up to CLASSIFY_LIT_AND sets, a match holds a
 *	literal of each) and builds one Aho-Corasick automaton over all of
 *	them, ASCII case folded, each cut to its first PREFILTER_DEPTH bytes
 *	(a piece of a required literal is required too; the table stays a
 *	third of the size), as a full transition table over byte
 *	classes (prefilter_byte_rep): a letter (either case), digit, space
 *	or '.' of some literal has its own class, the other ASCII bytes
 *	share one, bytes above 0x7f share 8; a byte whose class no literal
 *	holds is class 0. A shared class only lets the automaton see a
 *	literal where a sibling byte stands (more candidates, never fewer)
 *	and keeps the table small. A transition holds its target state's
 *	number: 16 bits while the states fit (PREFILTER_NARROW, half the
 *	table of 32-bit entries), else 32. States are numbered breadth first
 *	(the shallow states a text visits most share a few pages), those
 *	where no literal ends before those where one does: one compare
 *	tells a hit, and such a state lists the sets met there (merged
 *	along the failure links at build time).
 *
 *	classify_prefilter_scan() walks the text once, byte by byte (a text
 *	of 2 * PREFILTER_DEPTH bytes or more as two halves at once,
 *	prefilter_walk), and marks the sets it meets: set number a of rule
 *	r is bit r of layer a.
 *	A rule is a candidate when every layer has its bit: each of its sets
 *	was met (a layer where the rule has no set has the bit always; a
 *	rule without sets has every bit always). A rule not marked cannot
 *	match, so the classifier skips its regex. The scan allocates
 *	nothing and reads each byte once (PREFILTER_DEPTH bytes twice).
 *
 *	Owns: the tables, freed by classify_prefilter_free().
 * DIAGNOSTICS
 *	classify_prefilter_new() returns NULL only when out of memory.
 */
#include <stdlib.h>
#include <string.h>

#include "classify/classify_int.h"

#define PREFILTER_DEPTH	 12    /* a literal's first bytes only: a small table */
#define PREFILTER_NARROW 65536 /* states a 16-bit transition can name */

struct classify_prefilter {
	size_t rwords;		/* 64-bit words of a rule set */
	size_t nwords;		/* CLASSIFY_LIT_AND * rwords: all layers */
	size_t nstates;		/* automaton states, 0 is the root */
	size_t nclasses;	/* byte classes, 0 is "in no literal" */
	size_t first_hit;	/* states from here on have sets met there */
	size_t filtered;	/* rules with a literal set */
	unsigned char cls[256]; /* byte -> class (case folded) */
	uint16_t *delta16; /* [state * nclasses + class] -> state, or NULL */
	uint32_t *delta32; /* the same when a state needs more than 16 bits */
	uint32_t *hit_at;  /* [state - first_hit + 1]: its sets in hit[] */
	uint32_t *hit;	   /* the bits of the sets met at each state */
	uint64_t *always;  /* [nwords]: sets taken as met (see new) */
	/* build time only (freed by prefilter_lists) */
	uint32_t *delta;	/* [state * nclasses + class] -> state */
	uint64_t *out;		/* [state * nwords]: sets met here */
	unsigned char *has_out; /* [state]: out is not empty */
	uint32_t *order;	/* the states breadth first, root first */
};

void classify_prefilter_free(struct classify_prefilter *pf)
{
	if (pf == NULL)
		return;
	free(pf->delta16);
	free(pf->delta32);
	free(pf->hit_at);
	free(pf->hit);
	free(pf->always);
	free(pf->delta);
	free(pf->out);
	free(pf->has_out);
	free(pf->order);
	free(pf);
}

size_t classify_prefilter_words(const struct classify_prefilter *pf)
{
	return pf->nwords;
}

size_t classify_prefilter_filtered(const struct classify_prefilter *pf)
{
	return pf->filtered;
}

size_t classify_prefilter_bytes(const struct classify_prefilter *pf,
				size_t *states, size_t *classes)
{
	if (states != NULL)
		*states = pf->nstates;
	if (classes != NULL)
		*classes = pf->nclasses;
	return pf->nstates * pf->nclasses *
	       (pf->delta16 != NULL ? sizeof(uint16_t) : sizeof(uint32_t));
}

/*
 * prefilter_byte_rep - the byte whose class @param ch shares: letters
 * (case folded), digits, space and '.' their own; every other ASCII byte
 * '!' (punctuation seldom tells rules apart: the corpus texts keep 5.0
 * candidate rules each, as with a class per byte); bytes above 0x7f 8
 * classes by their low bits. A shared class only adds candidates, never
 * hides one, and a narrower row keeps the table small (47 classes, not 69).
 */
static unsigned char prefilter_byte_rep(unsigned char ch)
{
	ch = classify_literal_fold(ch);
	if (ch >= 0x80)
		return (unsigned char)(0x80 | (ch & 0x07));
	if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == ' ' ||
	    ch == '.')
		return ch;
	return '!';
}

/* prefilter_cut - how many of a literal's @param len bytes go into the
 * automaton: the first PREFILTER_DEPTH (a piece of a required literal is
 * required too) */
static size_t prefilter_cut(size_t len)
{
	return len < PREFILTER_DEPTH ? len : PREFILTER_DEPTH;
}

/*
 * prefilter_classes - the byte classes of every literal's part in the
 * automaton (prefilter_cut); @return the number of states a trie of them
 * needs at most.
 */
static size_t prefilter_classes(struct classify_prefilter *pf,
				const struct classify_cnf *sets, size_t n)
{
	size_t states = 1;

	pf->nclasses = 1;
	memset(pf->cls, 0, sizeof(pf->cls));
	for (size_t r = 0; r < n; r++)
		for (size_t a = 0; a < sets[r].n; a++)
			for (size_t k = 0; k < sets[r].set[a].n; k++) {
				const struct classify_literals *l =
				    &sets[r].set[a];

				size_t cut = prefilter_cut(l->len[k]);

				states += cut;
				for (size_t j = 0; j < cut; j++) {
					unsigned char ch =
					    prefilter_byte_rep(l->lit[k][j]);

					if (pf->cls[ch] == 0)
						pf->cls[ch] =
						    (unsigned char)
							pf->nclasses++;
				}
			}
	for (unsigned ch = 0; ch <= 0xff; ch++)
		pf->cls[ch] = pf->cls[prefilter_byte_rep((unsigned char)ch)];
	return states;
}

/* prefilter_insert - one literal of the set with bit @param r */
static void prefilter_insert(struct classify_prefilter *pf,
			     const unsigned char *lit, size_t len, size_t r)
{
	uint32_t st = 0;

	len = prefilter_cut(len);
	for (size_t j = 0; j < len; j++) {
		uint32_t *next =
		    &pf->delta[st * pf->nclasses + pf->cls[lit[j]]];

		if (*next == 0)
			*next = (uint32_t)pf->nstates++;
		st = *next;
	}
	pf->out[st * pf->nwords + r / 64] |= (uint64_t)1 << (r % 64);
	pf->has_out[st] = 1;
}

/*
 * prefilter_links - breadth first: failure links become transitions
 * (a full DFA) and each state's rule set takes in its failure state's.
 * Keeps the breadth-first order in pf->order. @return 0, or -1 when out
 * of memory.
 */
static int prefilter_links(struct classify_prefilter *pf)
{
	uint32_t *fail = calloc(pf->nstates, sizeof(*fail));
	uint32_t *queue = calloc(pf->nstates, sizeof(*queue));
	size_t head = 1, tail = 1, nc = pf->nclasses;

	pf->order = queue;
	if (fail == NULL || queue == NULL) {
		free(fail);
		return -1;
	}
	queue[0] = 0; /* the root */
	for (size_t c = 0; c < nc; c++)
		if (pf->delta[c] != 0)
			queue[tail++] = pf->delta[c]; /* fail = root */
	while (head < tail) {
		uint32_t s = queue[head++];

		for (size_t w = 0; w < pf->nwords; w++)
			pf->out[s * pf->nwords + w] |=
			    pf->out[fail[s] * pf->nwords + w];
		pf->has_out[s] |= pf->has_out[fail[s]];
		for (size_t c = 0; c < nc; c++) {
			uint32_t *t = &pf->delta[s * nc + c];
			uint32_t via = pf->delta[fail[s] * nc + c];

			if (*t == 0) {
				*t = via;
			} else {
				fail[*t] = via;
				queue[tail++] = *t;
			}
		}
	}
	free(fail);
	return 0;
}

/*
 * prefilter_number - the scan's numbering of the states (@return it,
 * [old] -> new, or NULL when out of memory; pf->order becomes [new] ->
 * old): the states where no set ends first, then those where some do
 * (first_hit on: one compare tells a hit), each part breadth first from
 * the root, so that the rows a text visits most (the shallow states) lie
 * together in a few pages.
 */
static uint32_t *prefilter_number(struct classify_prefilter *pf)
{
	uint32_t *num = calloc(pf->nstates, sizeof(*num));
	uint32_t *old = calloc(pf->nstates, sizeof(*old));
	size_t next = 0;

	if (num == NULL || old == NULL) {
		free(num);
		free(old);
		return NULL;
	}
	for (int hit = 0; hit <= 1; hit++) {
		if (hit)
			pf->first_hit = next;
		for (size_t k = 0; k < pf->nstates; k++)
			if ((pf->has_out[pf->order[k]] != 0) == hit) {
				old[next] = pf->order[k];
				num[pf->order[k]] = (uint32_t)next++;
			}
	}
	free(pf->order);
	pf->order = old;
	return num;
}

/*
 * prefilter_lists - each state's sets as a list of bits (a scan touches
 * only the sets met, not every word) and the scan's table: 16-bit
 * transitions when every state fits (PREFILTER_NARROW), else 32-bit;
 * both hold the target state's number (prefilter_number). Frees the
 * build-time tables. @return 0, or -1 when out of memory.
 */
static int prefilter_lists(struct classify_prefilter *pf)
{
	size_t total = 0, at = 0, nc = pf->nclasses, nhit;
	uint32_t *num = prefilter_number(pf);

	if (num == NULL)
		return -1;
	nhit = pf->nstates - pf->first_hit;
	for (size_t i = 0; i < pf->nstates * pf->nwords; i++)
		total += (size_t)__builtin_popcountll(pf->out[i]);
	pf->hit_at = calloc(nhit + 1, sizeof(*pf->hit_at));
	pf->hit = calloc(total + 1, sizeof(*pf->hit));
	if (pf->nstates <= PREFILTER_NARROW)
		pf->delta16 = calloc(pf->nstates * nc, sizeof(*pf->delta16));
	else
		pf->delta32 = calloc(pf->nstates * nc, sizeof(*pf->delta32));
	if (pf->hit_at == NULL || pf->hit == NULL ||
	    (pf->delta16 == NULL && pf->delta32 == NULL)) {
		free(num);
		return -1;
	}
	for (size_t k = pf->first_hit; k < pf->nstates; k++) {
		size_t st = pf->order[k]; /* the state numbered k */

		pf->hit_at[k - pf->first_hit] = (uint32_t)at;
		for (size_t w = 0; w < pf->nwords; w++)
			for (uint64_t m = pf->out[st * pf->nwords + w]; m != 0;
			     m &= m - 1)
				pf->hit[at++] =
				    (uint32_t)(w * 64 +
					       (size_t)__builtin_ctzll(m));
	}
	pf->hit_at[nhit] = (uint32_t)at;
	for (size_t st = 0; st < pf->nstates; st++)
		for (size_t c = 0; c < nc; c++) {
			uint32_t t = num[pf->delta[st * nc + c]];

			if (pf->delta16 != NULL)
				pf->delta16[num[st] * nc + c] = (uint16_t)t;
			else
				pf->delta32[num[st] * nc + c] = t;
		}
	free(num);
	free(pf->delta);
	free(pf->out);
	free(pf->has_out);
	free(pf->order);
	pf->delta = NULL;
	pf->out = NULL;
	pf->has_out = NULL;
	pf->order = NULL;
	return 0;
}

struct classify_prefilter *classify_prefilter_new(const char *const *regexes,
						  size_t n)
{
	struct classify_prefilter *pf = calloc(1, sizeof(*pf));
	struct classify_cnf *sets = calloc(n ? n : 1, sizeof(*sets));
	size_t max_states;

	if (pf == NULL || sets == NULL)
		goto fail;
	/*
	 * Layer a (bits a * rwords * 64 + r) is rule r's set number a; a
	 * rule without such a set has the bit always; a rule without any
	 * set has every bit always (it runs on every text).
	 */
	pf->rwords = n / 64 + 1;
	pf->nwords = CLASSIFY_LIT_AND * pf->rwords;
	if ((pf->always = calloc(pf->nwords, sizeof(uint64_t))) == NULL)
		goto fail;
	for (size_t r = 0; r < n; r++) {
		classify_literal_sets(regexes[r], &sets[r]);
		pf->filtered += sets[r].n > 0;
		for (size_t a = sets[r].n; a < CLASSIFY_LIT_AND; a++)
			pf->always[a * pf->rwords + r / 64] |= (uint64_t)1
							       << (r % 64);
		if (sets[r].n == 0)
			pf->always[r / 64] |= (uint64_t)1 << (r % 64);
	}
	max_states = prefilter_classes(pf, sets, n);
	if (max_states > UINT32_MAX)
		goto fail; /* not addressable: treated as out of memory */
	pf->delta = calloc(max_states * pf->nclasses, sizeof(*pf->delta));
	pf->out = calloc(max_states * pf->nwords, sizeof(*pf->out));
	pf->has_out = calloc(max_states, 1);
	if (pf->delta == NULL || pf->out == NULL || pf->has_out == NULL)
		goto fail;
	pf->nstates = 1;
	for (size_t r = 0; r < n; r++)
		for (size_t a = 0; a < sets[r].n; a++) {
			const struct classify_literals *l = &sets[r].set[a];

			for (size_t k = 0; k < l->n; k++)
				prefilter_insert(pf, l->lit[k], l->len[k],
						 a * pf->rwords * 64 + r);
		}
	if (prefilter_links(pf) < 0 || prefilter_lists(pf) < 0)
		goto fail;
	free(sets);
	return pf;
fail:
	free(sets);
	classify_prefilter_free(pf);
	return NULL;
}

/* prefilter_mark - the sets met at hit state @param st, into @param cand */
static inline void prefilter_mark(const struct classify_prefilter *pf,
				  size_t st, uint64_t *cand)
{
	const uint32_t *h = pf->hit + pf->hit_at[st - pf->first_hit];
	const uint32_t *end = pf->hit + pf->hit_at[st - pf->first_hit + 1];

	for (; h < end; h++)
		cand[*h / 64] |= (uint64_t)1 << (*h % 64);
}

/* prefilter_next - the transition at @param at of the table in use (the
 * other is NULL: once inlined, the compiler keeps one load) */
static inline __attribute__((always_inline)) size_t
prefilter_next(const uint16_t *d16, const uint32_t *d32, size_t at)
{
	return d16 != NULL ? d16[at] : d32[at];
}

/*
 * prefilter_walk - the automaton over @param p (@param len bytes), marking
 * the sets met in @param cand. A text of 2 * PREFILTER_DEPTH bytes or more
 * is walked as two halves at once: the loads of one walk wait on the
 * cache while the other's go on. The second walk starts PREFILTER_DEPTH
 * bytes before its half and marks nothing there: no literal part is
 * longer (prefilter_cut), so by its half it is in the state a walk from
 * the start would be in, and each position's sets are marked once.
 */
static inline __attribute__((always_inline)) void
prefilter_walk(const struct classify_prefilter *pf, const uint16_t *d16,
	       const uint32_t *d32, const unsigned char *p, size_t len,
	       uint64_t *cand)
{
	size_t nc = pf->nclasses, first_hit = pf->first_hit;
	size_t half = len / 2, from, k = 0, a = 0, b = 0;

	if (half < PREFILTER_DEPTH) {
		for (; k < len; k++) {
			a = prefilter_next(d16, d32, a * nc + pf->cls[p[k]]);
			if (a >= first_hit)
				prefilter_mark(pf, a, cand);
		}
		return;
	}
	from = half - PREFILTER_DEPTH;
	for (; k < half; k++) {
		a = prefilter_next(d16, d32, a * nc + pf->cls[p[k]]);
		b = prefilter_next(d16, d32, b * nc + pf->cls[p[from + k]]);
		if (a >= first_hit)
			prefilter_mark(pf, a, cand);
		if (b >= first_hit && k >= PREFILTER_DEPTH)
			prefilter_mark(pf, b, cand);
	}
	for (; from + k < len; k++) {
		b = prefilter_next(d16, d32, b * nc + pf->cls[p[from + k]]);
		if (b >= first_hit)
			prefilter_mark(pf, b, cand);
	}
}

void classify_prefilter_scan(const struct classify_prefilter *pf,
			     const char *text, size_t len, uint64_t *cand)
{
	const unsigned char *p = (const unsigned char *)text;
	size_t nw = pf->nwords, rw = pf->rwords;

	memcpy(cand, pf->always, nw * sizeof(*cand));
	/* one walk per entry width: each keeps its load in the loop */
	if (pf->delta16 != NULL)
		prefilter_walk(pf, pf->delta16, NULL, p, len, cand);
	else
		prefilter_walk(pf, NULL, pf->delta32, p, len, cand);
	/* a rule stays a candidate only when each of its sets was met */
	for (size_t a = 1; a < CLASSIFY_LIT_AND; a++)
		for (size_t w = 0; w < rw; w++)
			cand[w] &= cand[a * rw + w];
}
