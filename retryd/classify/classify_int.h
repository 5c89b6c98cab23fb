/*
 * NAME
 *	classify_int 3h
 * SUMMARY
 *	inside the classify module: rule literals and the literal prefilter
 * DESCRIPTION
 *	classify_literal.c finds the literals a rule cannot match without;
 *	classify_prefilter.c scans a text once for all of them (Aho-Corasick,
 *	ASCII case folded) and says which rules may match; classify_guard.c
 *	says whether an address-level status code's words say something else;
 *	classify_norm.c keeps the report part of a whole bounce;
 *	classify_name.c says whether a match lies inside a name. Only
 *	classify.c uses this header.
 */
#ifndef RETRYD_CLASSIFY_INT_H
#define RETRYD_CLASSIFY_INT_H

#include <stddef.h>
#include <stdint.h>

#define CLASSIFY_LIT_MIN   3  /* shorter literals filter too little */
#define CLASSIFY_LIT_MAX   32 /* a longer run is cut: a piece still filters */
#define CLASSIFY_LIT_SET   64 /* literals per rule at most, else no filter */
#define CLASSIFY_LIT_DEPTH 16 /* group nesting read */
#define CLASSIFY_LIT_AND   4  /* required sets kept per rule, at most */
#define CLASSIFY_LIT_PROD  16 /* strings a run multiplies into, at most */
#define CLASSIFY_LIT_CLASS 8  /* characters of a class read as strings */

struct classify_literals {
	size_t n; /* 0: no usable set, the rule runs on every text */
	size_t len[CLASSIFY_LIT_SET];
	unsigned char lit[CLASSIFY_LIT_SET][CLASSIFY_LIT_MAX];
};

/* Sets a rule needs all of: a match holds a literal of each. */
struct classify_cnf {
	size_t n; /* 0: none known, the rule runs on every text */
	struct classify_literals set[CLASSIFY_LIT_AND]; /* best first */
};

unsigned char classify_literal_fold(unsigned char ch);

/**
 * The literal set of @param regex (PCRE2 syntax, between the slashes).
 * @return 0 and @param out (n > 0), or -1 when the rule has no set.
 */
int classify_literal_set(const char *regex, struct classify_literals *out);

/**
 * Up to CLASSIFY_LIT_AND literal sets every match of @param regex meets
 * each of (a text lacking every literal of one set cannot match), best
 * filter first. @return their number in @param out, 0 when none.
 */
size_t classify_literal_sets(const char *regex, struct classify_cnf *out);

struct classify_prefilter;

/**
 * Build the prefilter for @param n rules (@param regexes in order).
 * @return the prefilter (caller frees with classify_prefilter_free), or
 * NULL when out of memory.
 */
struct classify_prefilter *classify_prefilter_new(const char *const *regexes,
						  size_t n);

/**
 * classify_prefilter_new() with a row of their own for the first states
 * breadth first that fit @param dense_max bytes of rows (the others share
 * the row of a state on their failure path, plus up to two exceptions,
 * or get one of their own when they need more; the scan gives the same
 * candidates): tests reach the deeper states' walk with small rule sets
 * through it. (size_t)-1: a row for every state.
 */
struct classify_prefilter *
classify_prefilter_new_dense(const char *const *regexes, size_t n,
			     size_t dense_max);
void classify_prefilter_free(struct classify_prefilter *pf);

/** 64-bit words of a candidate set (and its scratch) for this prefilter. */
size_t classify_prefilter_words(const struct classify_prefilter *pf);

/**
 * Set in @param cand (classify_prefilter_words() words; the first ones
 * are the rule set, the rest scratch) the bit of every rule that may
 * match @param text: the rules without a literal set, and those with a
 * literal of each of their sets in the text.
 */
void classify_prefilter_scan(const struct classify_prefilter *pf,
			     const char *text, size_t len, uint64_t *cand);

/** How many rules have a literal set (the others always run). */
size_t classify_prefilter_filtered(const struct classify_prefilter *pf);

/**
 * The bytes of the scan's transition table; its automaton's states in
 * @param states and byte classes in @param classes (either may be NULL).
 */
size_t classify_prefilter_bytes(const struct classify_prefilter *pf,
				size_t *states, size_t *classes);

/**
 * The first word of the reply that carries the status code at
 * [@param code_start, @param code_end) of @param text that belongs to
 * another category's wording (quota, sender, policy ...; classify_guard.c).
 * @return its length, copied lower case and NUL-terminated (cut to
 * @param outlen - 1) to @param out; 0 when the reply's words are silent.
 */
size_t classify_guard_word(const char *text, size_t len, size_t code_start,
			   size_t code_end, char *out, size_t outlen);

/**
 * Does the match [@param ms, @param me) of @param text (@param len bytes)
 * lie wholly inside one address, URL or host name token (classify_name.c)?
 * @return 0 (no: the match counts), 1 (it does not count: an address, or
 * any name when @param addr, for an address-level rule) or 2 (a URL or
 * host name: it counts only when no rule matches outside names).
 */
int classify_name_in(const char *text, size_t len, size_t ms, size_t me,
		     int addr);

/**
 * Copy to @param out (@param cap bytes) the report part of @param text
 * (@param len bytes) in plain letters (classify_norm.c): cut before the
 * returned message, quoted Subject lines emptied, invisible characters
 * dropped, look-alike letters inside ASCII words made ASCII.
 * @return the copy's length (never more than @param len), or (size_t)-1
 * when @param len is more than @param cap (nothing copied).
 */
size_t classify_norm(const char *text, size_t len, char *out, size_t cap);

#endif
