/*
 * NAME
 *	classify_prefilter 3
 * SUMMARY
 *	one pass over a text says which classifier rules may match it
 * SYNOPSIS
 *	#include "classify/classify_int.h"
 * DESCRIPTION
 *	classify_prefilter_new() takes every rule's literal set
 *	(classify_literal_set) and builds one Aho-Corasick automaton over all
 *	of them, ASCII case folded, as a full transition table over the
 *	byte classes that occur in some literal (every other byte is one
 *	class). Each state carries the set of rules whose literal ends there
 *	(merged along the failure links at build time).
 *
 *	classify_prefilter_scan() walks the text once, byte by byte, and ORs
 *	in the rule sets of the states it passes: afterwards every rule that
 *	could match is marked, those without a literal set always. A rule not
 *	marked cannot match, so the classifier skips its regex. The scan
 *	allocates nothing and reads each byte once.
 *
 *	Owns: the tables, freed by classify_prefilter_free().
 * DIAGNOSTICS
 *	classify_prefilter_new() returns NULL only when out of memory.
 */
#include <stdlib.h>
#include <string.h>

#include "classify/classify_int.h"

struct classify_prefilter {
	size_t nwords;		/* 64-bit words of a rule set */
	size_t nstates;		/* automaton states, 0 is the root */
	size_t nclasses;	/* byte classes, 0 is "in no literal" */
	size_t filtered;	/* rules with a literal set */
	unsigned char cls[256]; /* byte -> class (case folded) */
	uint32_t *delta;	/* [state * nclasses + class] -> state */
	uint64_t *out;		/* [state * nwords]: rules ending here */
	unsigned char *has_out; /* [state]: out is not empty */
	uint64_t *always;	/* [nwords]: rules without a literal set */
};

void classify_prefilter_free(struct classify_prefilter *pf)
{
	if (pf == NULL)
		return;
	free(pf->delta);
	free(pf->out);
	free(pf->has_out);
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
 * prefilter_classes - the byte classes of every literal; @return the
 * number of states a trie of them needs at most.
 */
static size_t prefilter_classes(struct classify_prefilter *pf,
				const struct classify_literals *sets, size_t n)
{
	size_t states = 1;

	pf->nclasses = 1;
	memset(pf->cls, 0, sizeof(pf->cls));
	for (size_t r = 0; r < n; r++)
		for (size_t k = 0; k < sets[r].n; k++) {
			states += sets[r].len[k];
			for (size_t j = 0; j < sets[r].len[k]; j++) {
				unsigned char ch = sets[r].lit[k][j];

				if (pf->cls[ch] == 0)
					pf->cls[ch] =
					    (unsigned char)pf->nclasses++;
			}
		}
	for (unsigned ch = 'A'; ch <= 'Z'; ch++)
		pf->cls[ch] = pf->cls[classify_literal_fold((unsigned char)ch)];
	return states;
}

/* prefilter_insert - one literal of rule @param r into the trie */
static void prefilter_insert(struct classify_prefilter *pf,
			     const unsigned char *lit, size_t len, size_t r)
{
	uint32_t st = 0;

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

struct classify_prefilter *classify_prefilter_new(const char *const *regexes,
						  size_t n)
{
	struct classify_prefilter *pf = calloc(1, sizeof(*pf));
	struct classify_literals *sets = calloc(n ? n : 1, sizeof(*sets));
	size_t max_states;

	if (pf == NULL || sets == NULL)
		goto fail;
	pf->nwords = n / 64 + 1;
	if ((pf->always = calloc(pf->nwords, sizeof(uint64_t))) == NULL)
		goto fail;
	for (size_t r = 0; r < n; r++)
		if (classify_literal_set(regexes[r], &sets[r]) < 0)
			pf->always[r / 64] |= (uint64_t)1 << (r % 64);
		else
			pf->filtered++;
	max_states = prefilter_classes(pf, sets, n);
	pf->delta = calloc(max_states * pf->nclasses, sizeof(*pf->delta));
	pf->out = calloc(max_states * pf->nwords, sizeof(*pf->out));
	pf->has_out = calloc(max_states, 1);
	if (pf->delta == NULL || pf->out == NULL || pf->has_out == NULL)
		goto fail;
	pf->nstates = 1;
	for (size_t r = 0; r < n; r++)
		for (size_t k = 0; k < sets[r].n; k++)
			prefilter_insert(pf, sets[r].lit[k], sets[r].len[k], r);
	if (prefilter_links(pf) < 0)
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
	size_t nc = pf->nclasses, nw = pf->nwords;
	uint32_t st = 0;

	memcpy(cand, pf->always, nw * sizeof(*cand));
	for (size_t i = 0; i < len; i++) {
		st = delta[st * nc + pf->cls[p[i]]];
		if (pf->has_out[st])
			for (size_t w = 0; w < nw; w++)
				cand[w] |= pf->out[st * nw + w];
	}
}
