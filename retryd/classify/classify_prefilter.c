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
 *	classes: each byte of some literal below 0x80 has its own class,
 *	bytes above 0x7f share 16 classes, every other byte is class 0. A
 *	shared class only lets the automaton see a literal where a sibling
 *	byte stands (more candidates, never fewer) and keeps the table
 *	small enough for the cache. A transition holds its target's row in
 *	the table, flagged when some literal ends there; such a state lists
 *	the sets met there (merged along the failure links at build time).
 *
 *	classify_prefilter_scan() walks the text once, byte by byte, and
 *	marks the sets it meets: set number a of rule r is bit r of layer a.
 *	A rule is a candidate when every layer has its bit: each of its sets
 *	was met (a layer where the rule has no set has the bit always; a
 *	rule without sets has every bit always). A rule not marked cannot
 *	match, so the classifier skips its regex. The scan allocates
 *	nothing and reads each byte once.
 *
 *	Owns: the tables, freed by classify_prefilter_free().
 * DIAGNOSTICS
 *	classify_prefilter_new() returns NULL only when out of memory.
 */
#include <stdlib.h>
#include <string.h>

#include "classify/classify_int.h"

#define PREFILTER_HIT	0x80000000u /* a transition's flag: sets end there */
#define PREFILTER_DEPTH 12 /* a literal's first bytes only: a small table */

struct classify_prefilter {
	size_t rwords;		/* 64-bit words of a rule set */
	size_t nwords;		/* CLASSIFY_LIT_AND * rwords: all layers */
	size_t nstates;		/* automaton states, 0 is the root */
	size_t nclasses;	/* byte classes, 0 is "in no literal" */
	size_t filtered;	/* rules with a literal set */
	unsigned char cls[256]; /* byte -> class (case folded) */
	uint32_t *delta;	/* [row + class] -> row (| PREFILTER_HIT) */
	uint64_t *out;		/* [state * nwords]: sets met here (build) */
	unsigned char *has_out; /* [state]: out is not empty */
	uint32_t *hit_at;	/* [state + 1]: its sets in hit[], in order */
	uint32_t *hit;		/* the bits of the sets met at each state */
	uint64_t *always;	/* [nwords]: sets taken as met (see new) */
};

void classify_prefilter_free(struct classify_prefilter *pf)
{
	if (pf == NULL)
		return;
	free(pf->delta);
	free(pf->out);
	free(pf->has_out);
	free(pf->hit_at);
	free(pf->hit);
	free(pf->always);
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

/*
 * prefilter_byte_rep - the byte whose class @param ch shares. Bytes above
 * 0x7f share 16 classes (by their low bits): the table stays small enough
 * for the cache, and a shared class only adds candidates, never hides one.
 */
static unsigned char prefilter_byte_rep(unsigned char ch)
{
	return ch < 0x80 ? ch : (unsigned char)(0x80 | (ch & 0x0f));
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
	for (unsigned ch = 'A'; ch <= 'Z'; ch++)
		pf->cls[ch] = pf->cls[classify_literal_fold((unsigned char)ch)];
	for (unsigned ch = 0x80; ch <= 0xff; ch++)
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
 * @return 0, or -1 when out of memory.
 */
static int prefilter_links(struct classify_prefilter *pf)
{
	uint32_t *fail = calloc(pf->nstates, sizeof(*fail));
	uint32_t *queue = calloc(pf->nstates, sizeof(*queue));
	size_t head = 0, tail = 0, nc = pf->nclasses;

	if (fail == NULL || queue == NULL) {
		free(fail);
		free(queue);
		return -1;
	}
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
	free(queue);
	return 0;
}

/*
 * prefilter_lists - each state's sets as a list of bits (a scan touches
 * only the sets met, not every word); frees the build-time bitsets.
 * @return 0, or -1 when out of memory.
 */
static int prefilter_lists(struct classify_prefilter *pf)
{
	size_t total = 0, at = 0;

	for (size_t i = 0; i < pf->nstates * pf->nwords; i++)
		total += (size_t)__builtin_popcountll(pf->out[i]);
	pf->hit_at = calloc(pf->nstates + 1, sizeof(*pf->hit_at));
	pf->hit = calloc(total + 1, sizeof(*pf->hit));
	if (pf->hit_at == NULL || pf->hit == NULL)
		return -1;
	for (size_t st = 0; st < pf->nstates; st++) {
		pf->hit_at[st] = (uint32_t)at;
		for (size_t w = 0; w < pf->nwords; w++)
			for (uint64_t m = pf->out[st * pf->nwords + w]; m != 0;
			     m &= m - 1)
				pf->hit[at++] =
				    (uint32_t)(w * 64 +
					       (size_t)__builtin_ctzll(m));
	}
	pf->hit_at[pf->nstates] = (uint32_t)at;
	/* a transition holds its target's row, flagged when sets end there */
	for (size_t i = 0; i < pf->nstates * pf->nclasses; i++) {
		uint32_t t = pf->delta[i];

		pf->delta[i] = t * (uint32_t)pf->nclasses |
			       (pf->has_out[t] ? PREFILTER_HIT : 0);
	}
	free(pf->out);
	pf->out = NULL;
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
	if (max_states * pf->nclasses >= PREFILTER_HIT)
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

void classify_prefilter_scan(const struct classify_prefilter *pf,
			     const char *text, size_t len, uint64_t *cand)
{
	const unsigned char *p = (const unsigned char *)text;
	const uint32_t *delta = pf->delta;
	size_t nw = pf->nwords, rw = pf->rwords;
	uint32_t st = 0;

	memcpy(cand, pf->always, nw * sizeof(*cand));
	for (size_t i = 0; i < len; i++) {
		st = delta[(st & ~PREFILTER_HIT) + pf->cls[p[i]]];
		if (st & PREFILTER_HIT) {
			size_t s = (st & ~PREFILTER_HIT) / pf->nclasses;

			for (uint32_t h = pf->hit_at[s]; h < pf->hit_at[s + 1];
			     h++)
				cand[pf->hit[h] / 64] |= (uint64_t)1
							 << (pf->hit[h] % 64);
		}
	}
	/* a rule stays a candidate only when each of its sets was met */
	for (size_t a = 1; a < CLASSIFY_LIT_AND; a++)
		for (size_t w = 0; w < rw; w++)
			cand[w] &= cand[a * rw + w];
}
