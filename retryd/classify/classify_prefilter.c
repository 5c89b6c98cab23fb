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
 *	them, ASCII case folded, each cut to its first PREFILTER_DEPTH (16)
 *	bytes, or PREFILTER_SHORT (12) when the states of that would not fit
 *	16 bits (a piece of a required literal is required too; the
 *	automaton stays small; a longer piece leaves fewer rules to run),
 *	over byte classes (prefilter_byte_rep): a letter (either
 *	case), digit, space or '.' of some literal has its own class, the
 *	other ASCII bytes share one, bytes above 0x7f share 8; a byte whose
 *	class no literal holds is class 0. A shared class only lets the
 *	automaton see a literal where a sibling byte stands (more
 *	candidates, never fewer) and keeps the rows narrow.
 *
 *	The table, while the states fit 16 bits (PREFILTER_NARROW): each
 *	state has an 8-byte record (struct prefilter_state), a row number
 *	and up to PREFILTER_EXC exceptions (a class and the state it leads
 *	to); on class c the next state is the exception's on c, else entry
 *	c of the row (rows16, a 16-bit state number per class). The first
 *	states breadth first that fit PREFILTER_DENSE bytes of rows (the
 *	shallow states a text visits most) have a row of their own and no
 *	exception. A deeper state shares the row of the nearest state on
 *	its failure path that has one, and its exceptions are its trie
 *	children and those its failure path adds before that row (a text
 *	there goes where the failure state would); one that would need
 *	more than PREFILTER_EXC gets a row of its own. Most deep states have
 *	one child: the 1,189 shipped rules' 42,523 states take 634,328 bytes
 *	(3,064 rows of 48 classes and the records) where a row each would
 *	take 4,082,208, and the scan reads a record and a row entry a byte, no
 *	branch. Past 65,536 states every state has a row of 32-bit numbers
 *	and no record. States are numbered those where some set ends first
 *	(quiet_at on: none), each part breadth first: one compare tells a
 *	hit, and such a state lists the sets met there (merged along the
 *	failure links at build time) as (word, bits) pairs of the
 *	candidate set: one OR a word, not one a set.
 *
 *	classify_prefilter_scan() walks the text once, byte by byte (a text
 *	of twice the cut or more as two halves at once,
 *	prefilter_walk), and marks the sets it meets: set number a of rule
 *	r is bit r of layer a.
 *	A rule is a candidate when every layer has its bit: each of its sets
 *	was met (a layer where the rule has no set has the bit always; a
 *	rule without sets has every bit always). A rule not marked cannot
 *	match, so the classifier skips its regex. The scan allocates
 *	nothing and reads each byte once (as many bytes as the cut twice).
 *
 *	Owns: the tables, freed by classify_prefilter_free().
 * DIAGNOSTICS
 *	classify_prefilter_new() returns NULL only when out of memory.
 */
#include <stdlib.h>
#include <string.h>

#include "classify/classify_int.h"

#define PREFILTER_DEPTH	 16    /* a literal's first bytes only: a small table */
#define PREFILTER_SHORT	 12    /* the same when those states pass 16 bits */
#define PREFILTER_NARROW 65536 /* states a 16-bit transition can name */
#define PREFILTER_DENSE	 (48 * 1024) /* bytes of rows for the shallow states */
#define PREFILTER_NOKID	 0xff	     /* no class */
#define PREFILTER_EXC	 2	     /* a state's transitions besides its row */

/*
 * A state of the 16-bit table: on class c it goes to kid[j] where
 * cls[j] == c, else to rows16[row * nclasses + c] (its own full row, or
 * the row of the nearest state with one on its failure path).
 */
struct prefilter_state {
	uint16_t row;
	uint16_t kid[PREFILTER_EXC];
	uint8_t cls[PREFILTER_EXC];
};

struct classify_prefilter {
	size_t rwords;		/* 64-bit words of a rule set */
	size_t nwords;		/* CLASSIFY_LIT_AND * rwords: all layers */
	size_t nstates;		/* automaton states */
	size_t nclasses;	/* byte classes, 0 is "in no literal" */
	size_t cut;		/* bytes of a literal in the automaton */
	size_t nrows;		/* full rows */
	size_t quiet_at;	/* states from here on have no sets met */
	size_t root;		/* the start state */
	size_t dense_max;	/* bytes of rows for the first states */
	size_t filtered;	/* rules with a literal set */
	unsigned char cls[256]; /* byte -> class (case folded) */
	uint16_t *rows16;	/* [row * nclasses + class] -> state, or NULL */
	struct prefilter_state *st; /* [state] (with rows16) */
	uint32_t *delta32;  /* [state * nclasses + class] past 16 bits */
	uint32_t *hit_at;   /* [state < quiet_at, + 1]: its sets at hit_*[] */
	uint16_t *hit_word; /* the sets met at each state: a word of cand */
	uint64_t *hit_mask; /* and its bits */
	uint64_t *always;   /* [nwords]: sets taken as met (see new) */
	/* build time only (freed by prefilter_free_build) */
	uint32_t *delta;	/* [state * nclasses + class] -> state */
	uint64_t *out;		/* [state * nwords]: sets met here */
	unsigned char *has_out; /* [state]: out is not empty */
	uint32_t *order;	/* the states breadth first, root first */
	uint32_t *fail;		/* [state]: failure link */
	unsigned char *depth;	/* [state]: bytes from the root */
};

/* prefilter_free_build - free the build-time tables (those an earlier cut's
 * trie left, or all of them once the lists are made), each left NULL */
static void prefilter_free_build(struct classify_prefilter *pf)
{
	free(pf->delta);
	free(pf->out);
	free(pf->has_out);
	free(pf->order);
	free(pf->fail);
	free(pf->depth);
	pf->delta = NULL;
	pf->out = NULL;
	pf->has_out = NULL;
	pf->order = NULL;
	pf->fail = NULL;
	pf->depth = NULL;
}

void classify_prefilter_free(struct classify_prefilter *pf)
{
	if (pf == NULL)
		return;
	free(pf->rows16);
	free(pf->st);
	free(pf->delta32);
	free(pf->hit_at);
	free(pf->hit_word);
	free(pf->hit_mask);
	free(pf->always);
	prefilter_free_build(pf);
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
	if (pf->rows16 == NULL)
		return pf->nstates * pf->nclasses * sizeof(uint32_t);
	return pf->nrows * pf->nclasses * sizeof(uint16_t) +
	       pf->nstates * sizeof(struct prefilter_state);
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
 * automaton: the first pf->cut (a piece of a required literal is
 * required too) */
static size_t prefilter_cut(const struct classify_prefilter *pf, size_t len)
{
	return len < pf->cut ? len : pf->cut;
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

				size_t cut = prefilter_cut(pf, l->len[k]);

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

	len = prefilter_cut(pf, len);
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
	unsigned char *depth = calloc(pf->nstates, 1);
	size_t head = 1, tail = 1, nc = pf->nclasses;

	pf->order = queue;
	pf->fail = fail;
	pf->depth = depth;
	if (fail == NULL || queue == NULL || depth == NULL)
		return -1;
	queue[0] = 0; /* the root */
	for (size_t c = 0; c < nc; c++)
		if (pf->delta[c] != 0) {
			queue[tail++] = pf->delta[c]; /* fail = root */
			depth[pf->delta[c]] = 1;
		}
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
				depth[*t] = (unsigned char)(depth[s] + 1);
				queue[tail++] = *t;
			}
		}
	}
	return 0;
}

/*
 * prefilter_number - the scan's numbering of the states (@return it,
 * [old] -> new, or NULL when out of memory): those where some set ends
 * first, then those where none does (quiet_at on: one compare tells a
 * hit), each part breadth first from the root. pf->order stays breadth
 * first.
 */
static uint32_t *prefilter_number(struct classify_prefilter *pf)
{
	uint32_t *num = calloc(pf->nstates, sizeof(*num));
	size_t next = 0;

	if (num == NULL)
		return NULL;
	for (int hit = 1; hit >= 0; hit--) {
		if (!hit)
			pf->quiet_at = next;
		for (size_t k = 0; k < pf->nstates; k++)
			if ((pf->has_out[pf->order[k]] != 0) == hit)
				num[pf->order[k]] = (uint32_t)next++;
	}
	pf->root = num[0];
	return num;
}

/*
 * prefilter_rec - the record of state @param s (old numbers) in @param
 * rec, given those of the shallower states: its trie children (the
 * transitions one byte deeper), and past them what its failure state
 * does: that state's row, or its record's row and exceptions. @return 0,
 * or -1 when that makes more than PREFILTER_EXC exceptions (then @param s
 * needs a row of its own).
 */
static int prefilter_rec(const struct classify_prefilter *pf,
			 struct prefilter_state *rec, const uint32_t *row_of,
			 const uint32_t *kid_of, size_t s, uint32_t *kids)
{
	struct prefilter_state r;
	size_t n = 0, f = pf->fail[s];

	memset(&r, 0, sizeof(r));
	memset(r.cls, PREFILTER_NOKID, sizeof(r.cls));
	for (size_t c = 0; c < pf->nclasses; c++) {
		uint32_t t = pf->delta[s * pf->nclasses + c];

		if (pf->depth[t] != pf->depth[s] + 1)
			continue;
		if (n == PREFILTER_EXC)
			return -1;
		r.cls[n] = (uint8_t)c;
		kids[n++] = t;
	}
	if (row_of[f] != UINT32_MAX) {
		r.row = (uint16_t)row_of[f];
	} else {
		r.row = rec[f].row;
		for (size_t j = 0; j < PREFILTER_EXC; j++) {
			int mine = rec[f].cls[j] == PREFILTER_NOKID;

			for (size_t i = 0; i < n && !mine; i++)
				mine = r.cls[i] == rec[f].cls[j];
			if (mine)
				continue;
			if (n == PREFILTER_EXC)
				return -1;
			r.cls[n] = rec[f].cls[j];
			kids[n++] = kid_of[f * PREFILTER_EXC + j];
		}
	}
	rec[s] = r;
	return 0;
}

/*
 * prefilter_rows - the 16-bit table: the first states breadth first that
 * fit pf->dense_max get a full row, so does every other state with more
 * than PREFILTER_EXC transitions its failure path's row does not give;
 * each state's record (struct prefilter_state) says its row and the
 * transitions that differ from it. @return 0, or -1 when out of memory.
 */
static int prefilter_rows(struct classify_prefilter *pf, const uint32_t *num)
{
	size_t nc = pf->nclasses, fit = pf->dense_max / (nc * sizeof(uint16_t));
	struct prefilter_state *rec = calloc(pf->nstates, sizeof(*rec));
	uint32_t *row_of = malloc(pf->nstates * sizeof(*row_of));
	uint32_t *kid_of = calloc(pf->nstates * PREFILTER_EXC, sizeof(*kid_of));
	int rc = -1;

	pf->st = calloc(pf->nstates, sizeof(*pf->st));
	if (rec == NULL || row_of == NULL || kid_of == NULL || pf->st == NULL)
		goto out;
	pf->nrows = 0;
	for (size_t k = 0; k < pf->nstates; k++) {
		size_t s = pf->order[k];

		row_of[s] = UINT32_MAX;
		if (k == 0 || k < fit ||
		    prefilter_rec(pf, rec, row_of, kid_of, s,
				  kid_of + s * PREFILTER_EXC) < 0) {
			row_of[s] = (uint32_t)pf->nrows++;
			memset(&rec[s], 0, sizeof(rec[s]));
			memset(rec[s].cls, PREFILTER_NOKID, sizeof(rec[s].cls));
			rec[s].row = (uint16_t)row_of[s];
		}
	}
	if ((pf->rows16 = calloc(pf->nrows * nc, sizeof(*pf->rows16))) == NULL)
		goto out;
	for (size_t s = 0; s < pf->nstates; s++) {
		struct prefilter_state *r = &pf->st[num[s]];

		*r = rec[s];
		for (size_t j = 0; j < PREFILTER_EXC; j++)
			if (r->cls[j] != PREFILTER_NOKID)
				r->kid[j] = (uint16_t)
				    num[kid_of[s * PREFILTER_EXC + j]];
		if (row_of[s] == UINT32_MAX)
			continue;
		for (size_t c = 0; c < nc; c++)
			pf->rows16[row_of[s] * nc + c] =
			    (uint16_t)num[pf->delta[s * nc + c]];
	}
	rc = 0;
out:
	free(rec);
	free(row_of);
	free(kid_of);
	return rc;
}

/*
 * prefilter_hits - each state's sets as (word, bits) pairs, in state
 * number order (@param num: [old] -> new): a scan touches only the words
 * of the sets met, one OR a word (the rules that share a literal often
 * share a word). @return 0, or -1 when out of memory.
 */
static int prefilter_hits(struct classify_prefilter *pf, const uint32_t *num)
{
	size_t total = 0, at = 0;
	uint32_t *old = calloc(pf->quiet_at + 1, sizeof(*old));

	for (size_t i = 0; i < pf->nstates * pf->nwords; i++)
		total += pf->out[i] != 0;
	pf->hit_at = calloc(pf->quiet_at + 1, sizeof(*pf->hit_at));
	pf->hit_word = calloc(total + 1, sizeof(*pf->hit_word));
	pf->hit_mask = calloc(total + 1, sizeof(*pf->hit_mask));
	if (old == NULL || pf->hit_at == NULL || pf->hit_word == NULL ||
	    pf->hit_mask == NULL) {
		free(old);
		return -1;
	}
	for (size_t st = 0; st < pf->nstates; st++)
		if (num[st] < pf->quiet_at)
			old[num[st]] = (uint32_t)st;
	for (size_t k = 0; k < pf->quiet_at; k++) {
		const uint64_t *out = pf->out + old[k] * pf->nwords;

		pf->hit_at[k] = (uint32_t)at;
		for (size_t w = 0; w < pf->nwords; w++)
			if (out[w] != 0) {
				pf->hit_word[at] = (uint16_t)w;
				pf->hit_mask[at++] = out[w];
			}
	}
	pf->hit_at[pf->quiet_at] = (uint32_t)at;
	free(old);
	return 0;
}

/*
 * prefilter_lists - the scan's tables: the sets met at each state
 * (prefilter_hits), then rows and records (prefilter_rows) while every
 * state fits 16 bits (PREFILTER_NARROW), else a row of 32-bit numbers per
 * state; all hold the target state's number (prefilter_number). Frees the
 * build-time tables. @return 0, or -1 when out of memory.
 */
static int prefilter_lists(struct classify_prefilter *pf)
{
	size_t nc = pf->nclasses;
	uint32_t *num = prefilter_number(pf);
	int rc = -1;

	if (num == NULL || prefilter_hits(pf, num) < 0)
		goto out;
	if (pf->nstates <= PREFILTER_NARROW) {
		if (prefilter_rows(pf, num) < 0)
			goto out;
	} else {
		pf->delta32 = calloc(pf->nstates * nc, sizeof(*pf->delta32));
		if (pf->delta32 == NULL)
			goto out;
		for (size_t st = 0; st < pf->nstates; st++)
			for (size_t c = 0; c < nc; c++)
				pf->delta32[num[st] * nc + c] =
				    num[pf->delta[st * nc + c]];
	}
	rc = 0;
out:
	free(num);
	prefilter_free_build(pf);
	return rc;
}

/*
 * prefilter_trie - the byte classes and the trie of every rule's literal
 * sets (@param sets, @param n rules), each literal cut to pf->cut bytes
 * (the trie of an earlier cut freed). @return 0, or -1 when out of memory
 * or not addressable.
 */
static int prefilter_trie(struct classify_prefilter *pf,
			  const struct classify_cnf *sets, size_t n)
{
	size_t max_states = prefilter_classes(pf, sets, n);

	prefilter_free_build(pf);
	if (max_states > UINT32_MAX || pf->nwords > UINT16_MAX ||
	    (pf->delta =
		 calloc(max_states * pf->nclasses, sizeof(*pf->delta))) == NULL)
		return -1;
	pf->out = calloc(max_states * pf->nwords, sizeof(*pf->out));
	pf->has_out = calloc(max_states, 1);
	if (pf->out == NULL || pf->has_out == NULL)
		return -1;
	pf->nstates = 1;
	for (size_t r = 0; r < n; r++)
		for (size_t a = 0; a < sets[r].n; a++) {
			const struct classify_literals *l = &sets[r].set[a];

			for (size_t k = 0; k < l->n; k++)
				prefilter_insert(pf, l->lit[k], l->len[k],
						 a * pf->rwords * 64 + r);
		}
	return 0;
}

struct classify_prefilter *classify_prefilter_new(const char *const *regexes,
						  size_t n)
{
	return classify_prefilter_new_dense(regexes, n, PREFILTER_DENSE);
}

struct classify_prefilter *
classify_prefilter_new_dense(const char *const *regexes, size_t n,
			     size_t dense_max)
{
	struct classify_prefilter *pf = calloc(1, sizeof(*pf));
	struct classify_cnf *sets = calloc(n ? n : 1, sizeof(*sets));

	if (pf == NULL || sets == NULL)
		goto fail;
	pf->dense_max = dense_max;
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
	/* the longer cut filters better; the shorter keeps 16-bit numbers */
	pf->cut = PREFILTER_DEPTH;
	if (prefilter_trie(pf, sets, n) < 0)
		goto fail;
	if (pf->nstates > PREFILTER_NARROW &&
	    (pf->cut = PREFILTER_SHORT, prefilter_trie(pf, sets, n) < 0))
		goto fail;
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
	for (size_t k = pf->hit_at[st]; k < pf->hit_at[st + 1]; k++)
		cand[pf->hit_word[k]] |= pf->hit_mask[k];
}

/*
 * prefilter_next - the state after @param st on class @param c: with the
 * 16-bit table, its row's entry unless one of its record's exceptions is
 * on c (no branch: both are read); else the 32-bit full row (the other
 * pointer is NULL: once inlined, the compiler keeps one path).
 */
static inline __attribute__((always_inline)) size_t
prefilter_next(const struct classify_prefilter *pf,
	       const struct prefilter_state *sts, const uint16_t *r16,
	       const uint32_t *d32, size_t st, size_t c)
{
	size_t t;
	const struct prefilter_state *r;

	if (r16 == NULL)
		return d32[st * pf->nclasses + c];
	r = &sts[st];
	t = r16[(size_t)r->row * pf->nclasses + c];
	t = r->cls[0] == c ? r->kid[0] : t;
	t = r->cls[1] == c ? r->kid[1] : t;
	return t;
}

/*
 * prefilter_walk - the automaton over @param p (@param len bytes), marking
 * the sets met in @param cand. A text of 2 * pf->cut bytes or more
 * is walked as two halves at once: the loads of one walk wait on the
 * cache while the other's go on. The second walk starts pf->cut
 * bytes before its half and marks nothing there: no literal part is
 * longer (prefilter_cut), so by its half it is in the state a walk from
 * the start would be in, and each position's sets are marked once.
 */
static inline __attribute__((always_inline)) void
prefilter_walk(const struct classify_prefilter *pf,
	       const struct prefilter_state *sts, const uint16_t *d16,
	       const uint32_t *d32, const unsigned char *p, size_t len,
	       uint64_t *cand)
{
	size_t quiet_at = pf->quiet_at;
	size_t half = len / 2, from, k = 0, a = pf->root, b = pf->root;

	if (half < pf->cut) {
		for (; k < len; k++) {
			a = prefilter_next(pf, sts, d16, d32, a, pf->cls[p[k]]);
			if (a < quiet_at)
				prefilter_mark(pf, a, cand);
		}
		return;
	}
	from = half - pf->cut;
	for (; k < half; k++) {
		a = prefilter_next(pf, sts, d16, d32, a, pf->cls[p[k]]);
		b = prefilter_next(pf, sts, d16, d32, b, pf->cls[p[from + k]]);
		if (a < quiet_at)
			prefilter_mark(pf, a, cand);
		if (b < quiet_at && k >= pf->cut)
			prefilter_mark(pf, b, cand);
	}
	for (; from + k < len; k++) {
		b = prefilter_next(pf, sts, d16, d32, b, pf->cls[p[from + k]]);
		if (b < quiet_at)
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
	if (pf->rows16 != NULL)
		prefilter_walk(pf, pf->st, pf->rows16, NULL, p, len, cand);
	else
		prefilter_walk(pf, NULL, NULL, pf->delta32, p, len, cand);
	/* a rule stays a candidate only when each of its sets was met */
	for (size_t a = 1; a < CLASSIFY_LIT_AND; a++)
		for (size_t w = 0; w < rw; w++)
			cand[w] &= cand[a * rw + w];
}
