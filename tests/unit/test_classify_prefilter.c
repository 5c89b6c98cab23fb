/*
 * test_classify_prefilter - the literal prefilter never hides the rule
 * that decides.
 *
 * classify_literal_set(): the literals read from a regex are really in
 * every match (runs cut at quantifiers, optional groups and classes give
 * nothing, a mandatory group gives one literal per alternative, unknown
 * constructs give no set at all). classify_literal_sets(): the sets a
 * regex needs all of (runs and mandatory groups of one alternative;
 * alternatives lend theirs to the union), never from an optional part,
 * an empty branch or a lookaround. classify_text() with the prefilter and
 * classify_text_each() (every regex in order) decide by the same rule for
 * hand-made tricky rules and texts, and for every text of the corpus and
 * of the client translations through the shipped rules after
 * deterministic mutations (case flips, cuts, inserted and replaced bytes).
 *
 * Files are found by srcdir_fx_path() ($RETRYD_SRCDIR, default: the
 * current directory).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "classify/classify.h"
#include "classify_fx.h"
#include "classify/classify_int.h"
#include "srcdir_fx.h"

#define MUT_LINE   8192 /* longest corpus line read */
#define MUT_ROUNDS 12	/* mutations per corpus text */
#define PF_CUT	   16 /* PREFILTER_DEPTH: a literal's bytes in the automaton */

/* set_is - the literal set of @param re is exactly @param want ("a,b") */
static void set_is(const char *re, const char *want)
{
	struct classify_literals s;
	char got[4096] = "";

	if (classify_literal_set(re, &s) < 0) {
		if (want != NULL)
			fail_msg("/%s/: no literal set, want '%s'", re, want);
		return;
	}
	for (size_t i = 0; i < s.n; i++)
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%.*s",
			 i ? "," : "", (int)s.len[i], (const char *)s.lit[i]);
	if (want == NULL)
		fail_msg("/%s/: literal set '%s', want none", re, got);
	if (strcmp(got, want) != 0)
		fail_msg("/%s/: literal set '%s', want '%s'", re, got, want);
}

/*
 * sets_are - every required set of @param re (classify_literal_sets),
 * "a,b|c": a match holds a or b, and c. NULL: none.
 */
static void sets_are(const char *re, const char *want)
{
	struct classify_cnf all;
	char got[8192] = "";

	if (classify_literal_sets(re, &all) == 0) {
		if (want != NULL)
			fail_msg("/%s/: no literal sets, want '%s'", re, want);
		return;
	}
	for (size_t a = 0; a < all.n; a++)
		for (size_t i = 0; i < all.set[a].n; i++)
			snprintf(got + strlen(got), sizeof(got) - strlen(got),
				 "%s%.*s",
				 i   ? ","
				 : a ? "|"
				     : "",
				 (int)all.set[a].len[i],
				 (const char *)all.set[a].lit[i]);
	if (want == NULL)
		fail_msg("/%s/: literal sets '%s', want none", re, got);
	if (strcmp(got, want) != 0)
		fail_msg("/%s/: literal sets '%s', want '%s'", re, got, want);
}

/* Sets a regex needs all of, and constructs that must give none. */
static void test_literal_and_sets(void **state)
{
	(void)state;
	sets_are("(unable to|cannot) lock\\b",
		 "unable to lock,cannot lock|unable to,cannot");
	sets_are("mailbox (is )?(in use|busy)",
		 "mailbox is in use,mailbox is busy,mailbox in use,mailbox busy"
		 "|in use,busy");
	/* each alternative lends its sets: A1 u B1, then A2 u B2 */
	sets_are("abc (def|ghi)|jklm nop",
		 "abc def,abc ghi,jklm nop|def,ghi,jklm nop");
	/* at most CLASSIFY_LIT_AND, the longest first, a tie keeps order */
	sets_are("aaaa\\d bbb\\d ccccc\\d dd\\d ee\\d", " ccccc|aaaa| bbb| dd");
	sets_are("(abc|def)\\d(abc|def)", "abc,def"); /* the same set once */
	/* an optional or zero-width part is required by nothing */
	sets_are("abcd(efgh)?ijk", "abcdefghijk,abcdijk"); /* both ways */
	sets_are("abcd(efgh)*ijk", "abcd|ijk");
	sets_are("abcd(efgh){0,2}ijk", "abcd|ijk");
	sets_are("(abc|)xyz", "xyz"); /* an empty branch */
	sets_are("(|abc)xyz", "xyz");
	sets_are("abc|(def|)", NULL);
	sets_are("abcd|", NULL);
	/* a positive lookaround's text is in the subject: required */
	sets_are("(?<=abcd)efg", "abcd|efg");
	sets_are("(?<!abcd)efg|hij", "efg,hij");
	sets_are("(?<=abcd|wxyz)", "abcd,wxyz");
	sets_are("foo(?=barx)", "barx|foo");
	sets_are("^(?=.*(read|write) err).*(spam|virus)",
		 "read err,write err|read,write|spam,virus");
	sets_are("(?<!abcd)efg", "efg"); /* a negative one is not */
	sets_are("(?!abcd)efg", "efg");
	sets_are("(?!abcd)", NULL);
	sets_are("(?i)abc(?-i)def", "abc|def"); /* an option cuts the run */
	/* bytes above 0x7f: as they are, never case folded */
	sets_are("caf\xc3\xa9 (ferm\xc3\xa9|clos)",
		 "caf\xc3\xa9 ferm\xc3\xa9,caf\xc3\xa9 clos|ferm\xc3\xa9,clos");
	sets_are("\xc3\x89T\xc3\x89|x", NULL);
	sets_are("\xc3\x89T\xc3\x89", "\xc3\x89t\xc3\x89");
	/* a set too wide for one alternative leaves the other sets */
	sets_are("(aaa|bbb|ccc) zzzz|yyyyy (ddd|eee)",
		 "aaa zzzz,bbb zzzz,ccc zzzz,yyyyy ddd,yyyyy eee"
		 "|aaa,bbb,ccc,ddd,eee");
}

static void test_literal_sets(void **state)
{
	(void)state;
	set_is("User Unknown", "user unknown");
	set_is("no such user|unknown user", "no such user,unknown user");
	set_is("colou?r blind", "colour blind,color blind"); /* both ways */
	set_is("abcd+efgh", "defgh"); /* "ab+c" is no "abc" */
	sets_are("abcd+efgh", "defgh|abcd");
	set_is("mail(box)? full", "mailbox full,mail full"); /* optional */
	set_is("(NXDOMAIN|SERVFAIL)", "nxdomain,servfail");
	set_is("\\b(no such|unknown) host\\b", "no such host,unknown host");
	set_is("(?<![\\d.])5\\.1\\.[78](?!\\.?\\d)", "5.1.7,5.1.8");
	set_is("[sS]ize", "size"); /* a class of a few letters */
	set_is("x[a-c]yz", NULL);  /* a range: not read */
	set_is("abc[^d]efg", "abc");
	set_is("e-?mails? (is )?full",
	       "e-mails is full,e-mails full,e-mail is full,e-mail full,"
	       "emails is full,emails full,email is full,email full");
	set_is("x{2}yz", NULL); /* nothing of 3 */
	set_is("abc{2,3}defg", "defg");
	set_is("\\d+ hops", " hops");
	set_is("(?i:quota)|(?-i:Box Full)", "quota,box full");
	set_is("(?<name>over)quota", "overquota");
	set_is("a.b|longer", NULL); /* one alternative bare */
	set_is("\\Qa.b\\E", NULL);  /* not read: no set */
	set_is("\\x41bcd", NULL);
	set_is("(a)\\1xyz", NULL);
	set_is("(?x) a b c", NULL);
	set_is("(*UTF)abc", NULL);
	set_is("[[:alpha:]]abc", NULL);
	set_is("(?(1)a|b)abc", NULL);
	set_is("caf\xc3\xa9 ferm", "caf\xc3\xa9 ferm"); /* bytes, no case */
	set_is("(\xe7\x94\xa8\xe6\x88\xb7|x)\xe4\xb8\x8d",
	       "\xe7\x94\xa8\xe6\x88\xb7\xe4\xb8\x8d,x\xe4\xb8\x8d");
	set_is("a\\.b\\/cd", "a.b/cd");
	set_is("[abc]def|ghi[^]x]jkl", "adef,bdef,cdef,ghi");
	set_is("(abc", NULL); /* unbalanced */
	set_is("abc)", NULL);
}

/* Hand rules whose literals are tricky: both ways agree on every text. */
static void test_hand_equivalence(void **state)
{
	static const char *const rx[] = {
	    "colou?r blind",
	    "abcd+efgh",
	    "mail(box)? full",
	    "x{2}yz",
	    "(?i)QUOTA",
	    "(NXDOMAIN|SERVFAIL)",
	    "5\\.1\\.[78]",
	    "\\d+ hops",
	    "(unable to|cannot) lock\\b",
	    "abc (def|ghi)|jklm nop",
	    "caf\xc3\xa9 (ferm\xc3\xa9|clos)",
	    "mailbox (is )?(in use|busy)",
	    "^(?=.*(read|write) err).*(spam|virus)",
	    "(?<=mail)box (full|over)",
	    "e-?mails? (is )?(full|over)",
	    "[sz]ize [78]x",
	    "recipient address rejected: user",
	};
	static const char *const texts[] = {
	    "color blind",
	    "COLOUR BLIND",
	    "abcddddefgh",
	    "abcefgh",
	    "mail full",
	    "MAILBOX FULL",
	    "xxyz",
	    "xyz",
	    "over quota",
	    "servfail",
	    "550 5.1.8 sender",
	    "12 hops",
	    "hops",
	    "",
	    "\xff\x80",
	    "Mail Full of quota",
	    "cannot lock",
	    "lock: cannot",
	    "Unable To LOCK it",
	    "ABC GHI",
	    "abc xyz def",
	    "xx jklm nop",
	    "caf\xc3\xa9 clos",
	    "caf\xc3\x89 clos", /* a byte sharing its class with \xa9 */
	    "CAF\xc3\xa9 FERM\xc3\xa9",
	    "mailbox is busy",
	    "mailbox busy",
	    "busy mailbox",
	    "Read error then spam",
	    "spam, then a write error",
	    "read err",
	    "write spam error",
	    "MAILBOX FULL",
	    "mail box over",
	    "E-Mails is Over",
	    "emails full",
	    "email is  full",
	    "Size 8x",
	    "zize 7X",
	    "size 9x",
	    "Recipient address rejected: user unknown",
	    "recipient address rejected: USER",
	    "recipient addresses rejected: user",
	};
	struct policy *p = calloc(1, sizeof(*p));
	struct classifier *c;
	char err[256];

	(void)state;
	assert_non_null(p);
	for (size_t i = 0; i < sizeof(rx) / sizeof(rx[0]); i++) {
		snprintf(p->rules[i].category, sizeof(p->rules[i].category),
			 "%s", i % 2 ? "content" : "routing");
		p->rules[i].regex = strdup(rx[i]);
		p->rules[i].caseless = i % 3 == 0;
		p->rules[i].file = strdup("hand.ini");
		p->rules[i].line = (int)i + 1;
	}
	p->nrules = sizeof(rx) / sizeof(rx[0]);
	assert_int_equal(classify_new(p, &c, err, sizeof(err)), 0);
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct classify_result a, b;

		a = classify_text(c, texts[i], strlen(texts[i]));
		b = classify_text_each(c, texts[i], strlen(texts[i]));
		if (a.rule != b.rule)
			fail_msg("'%s': prefilter rule %d, each %d", texts[i],
				 a.rule, b.rule);
	}
	/* the texts do reach rules (the comparison is not all -1) */
	assert_int_equal(classify_text(c, "COLOUR BLIND", 12).rule, 0);
	assert_int_equal(classify_text(c, "abcddddefgh", 11).rule, 1);
	assert_int_equal(classify_text(c, "cannot lock", 11).rule, 8);
	assert_int_equal(classify_text(c, "ABC GHI", 7).rule, 9);
	assert_int_equal(classify_text(c, "caf\xc3\xa9 clos", 10).rule, 10);
	assert_int_equal(classify_text(c, "busy mailbox", 12).rule, -1);
	classify_free(c);
	for (size_t i = 0; i < p->nrules; i++) {
		free(p->rules[i].regex);
		free(p->rules[i].file);
	}
	free(p);
}

/* mutate - deterministic change number @param round of @param s */
static size_t mutate(char *s, size_t len, unsigned round, uint32_t *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	size_t at = len ? (*seed >> 8) % len : 0;

	switch (round % 4) {
	case 0: /* flip the case of every letter from at */
		for (size_t i = at; i < len; i++)
			if ((s[i] | 0x20) >= 'a' && (s[i] | 0x20) <= 'z')
				s[i] ^= 0x20;
		return len;
	case 1: /* cut */
		return at;
	case 2: /* replace one byte */
		if (len)
			s[at] = (char)(*seed >> 16);
		return len;
	default: /* insert a byte */
		if (len + 1 >= MUT_LINE)
			return len;
		memmove(s + at + 1, s + at, len - at);
		s[at] = (char)(*seed >> 20);
		return len + 1;
	}
}

/*
 * big_literal - literal @param k of set @param a of rule @param r:
 * @param min to min + 3 pseudo-random lower-case letters (no two alike in
 * practice), into @param out (min + 4 bytes); @return its length.
 */
static size_t big_literal(size_t r, size_t a, size_t k, size_t min, char *out)
{
	uint32_t x = (uint32_t)(r * 7919 + a * 104729 + k * 1299709 + 1);
	size_t len = min + (r + k) % 4;

	for (size_t i = 0; i < len; i++) {
		x = x * 1103515245u + 12345u;
		out[i] = (char)('a' + (x >> 16) % 26);
	}
	out[len] = '\0';
	return len;
}

static int big_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * big_trie - the states of a trie of the first PF_CUT bytes of the
 * @param n strings @param s (sorted here): the root and each distinct
 * prefix.
 */
static size_t big_trie(char **s, size_t n)
{
	size_t states = 1;

	qsort(s, n, sizeof(*s), big_cmp);
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(s[i]) < PF_CUT ? strlen(s[i]) : PF_CUT;
		size_t same = 0;

		while (i > 0 && same < len && s[i][same] == s[i - 1][same])
			same++;
		states += len - same;
	}
	return states;
}

/*
 * big_check - @param nrules rules, each "(L|L...)\d(L|L...)\d(L|L...)" of
 * @param nlit literals a set of @param min to min + 3 bytes: the table's
 * entries are @param width bytes (2 while the states fit 16 bits: rows for
 * some states and an 8-byte record each, smaller than a row each; else 4:
 * a row each), and a rule is a candidate exactly for a text holding a
 * literal of each of its three sets. @return the states a trie of the
 * literals' first PF_CUT bytes has.
 */
static size_t big_check(size_t nrules, size_t nlit, size_t min, size_t width)
{
	enum { BIG_RULES = 64 };
	static char rx[BIG_RULES][3 * 64 * 21 + 16];
	static char *all[BIG_RULES * 3 * 64];
	const char *rxp[BIG_RULES];
	struct classify_prefilter *pf;
	size_t states = 0, classes = 0, bytes, nall = 0, trie;
	char lit[3][24], text[256];
	uint64_t *cand;

	assert_true(nrules <= BIG_RULES && nlit <= CLASSIFY_LIT_SET &&
		    min <= 20);
	for (size_t r = 0; r < nrules; r++) {
		char *w = rx[r];

		for (size_t a = 0; a < 3; a++) {
			*w++ = '(';
			for (size_t k = 0; k < nlit; k++) {
				all[nall++] = w;
				w += big_literal(r, a, k, min, w);
				*w++ = k + 1 < nlit ? '|' : ')';
			}
			w += a < 2 ? sprintf(w, "\\d") : 0;
		}
		rxp[r] = rx[r];
	}
	pf = classify_prefilter_new(rxp, nrules);
	/* the literals alone, NUL-terminated in place of '|', ')', '\\' */
	for (size_t i = 0; i < nall; i++)
		all[i][strspn(all[i], "abcdefghijklmnopqrstuvwxyz")] = '\0';
	trie = big_trie(all, nall);
	assert_non_null(pf);
	assert_int_equal(classify_prefilter_filtered(pf), nrules);
	bytes = classify_prefilter_bytes(pf, &states, &classes);
	if (width == 4)
		assert_int_equal(bytes, states * classes * width);
	else
		assert_true(bytes < states * classes * width);
	printf("# %zu rules of 3 x %zu literals of %zu-%zu bytes: %zu "
	       "states (%zu with %d-byte pieces), %zu classes, %zu-byte "
	       "transitions, %zu bytes\n",
	       nrules, nlit, min, min + 3, states, trie, PF_CUT, classes, width,
	       bytes);
	assert_true(width == 2 ? states <= 65536 : states > 65536);
	cand = calloc(classify_prefilter_words(pf), sizeof(*cand));
	assert_non_null(cand);
	for (size_t r = 0; r < nrules; r++)
		for (size_t miss = 0; miss <= 3; miss++) {
			/* a literal of each set, upper case, in noise; miss < 3
			 * leaves set miss out */
			size_t k = (r * 5 + miss) % nlit;

			for (size_t a = 0; a < 3; a++) {
				big_literal(r, a, k, min, lit[a]);
				for (char *u = lit[a]; *u; u++)
					*u = (char)(*u - 'a' + 'A');
			}
			/* a pad of 0-47 bytes moves the scan's halfway point
			 * (prefilter_walk) across every literal */
			snprintf(
			    text, sizeof(text), "%.*s5.1.1 %s; %s, %s!",
			    (int)((r * 4 + miss) % 48),
			    "################################################",
			    miss == 0 ? "x" : lit[0], miss == 1 ? "y" : lit[1],
			    miss == 2 ? "z" : lit[2]);
			classify_prefilter_scan(pf, text, strlen(text), cand);
			for (size_t o = 0; o < nrules; o++)
				if ((o == r && miss == 3) !=
				    ((cand[o / 64] >> (o % 64)) & 1))
					fail_msg(
					    "rule %zu: candidate %d on "
					    "'%s'",
					    o,
					    (int)((cand[o / 64] >> (o % 64)) &
						  1),
					    text);
		}
	free(cand);
	classify_prefilter_free(pf);
	return trie;
}

/* The prefilter's table: 16-bit rows and records while every state
 * fits, a 32-bit row per state past 65,536 states; both scan alike.
 * Literals are cut to 16 bytes, or to 12 when the states of 16 would
 * pass 65,536 (the second set: 16-bit after all). */
static void test_table_width(void **state)
{
	(void)state;
	big_check(8, 16, 12, 2); /* some 5,000 states */
	assert_true(big_check(40, 44, 16, 2) > 65536);
	big_check(40, 64, 12, 4); /* some 100,000 states */
}

/* abc_text - text @param i: 0 to 99 bytes of a, b, c in either case,
 * now and then an x or a byte above 0x7f (in no literal), into @param
 * out; @return its length */
static size_t abc_text(size_t i, uint32_t *seed, char *out)
{
	static const char bytes[] = "abcABCabcabcx\xc3";
	size_t len = i % 100;

	for (size_t k = 0; k < len; k++) {
		*seed = *seed * 1103515245u + 12345u;
		out[k] = bytes[(*seed >> 16) % (sizeof(bytes) - 1)];
	}
	out[len] = '\0';
	return len;
}

/* abc_met - whether @param text holds a literal of @param set (its first
 * PF_CUT bytes, the prefilter's cut; ASCII case folded) */
static int abc_met(const struct classify_literals *set, const char *text)
{
	for (size_t k = 0; k < set->n; k++) {
		size_t cut = set->len[k] < PF_CUT ? set->len[k] : PF_CUT;

		for (const char *t = text; strlen(t) >= cut; t++)
			if (strncasecmp(t, (const char *)set->lit[k], cut) == 0)
				return 1;
	}
	return 0;
}

/*
 * The deep states' walk (records and failure paths, not a row each):
 * rules of literals over a, b and c (3 to 20 bytes, overlapping each
 * other's heads and tails: most steps out of a deep state are failure
 * transitions, some through other deep states) built with rows for every
 * state, for the root only and for a few states. On 20,000 texts of a,
 * b, c (either case) and bytes in no literal, 0 to 99 bytes (the two
 * halves' walk from 32 on), all three give the candidates a plain search
 * gives: a rule whose every set has a literal (its first PF_CUT bytes) in
 * the text.
 */
static void test_deep_states(void **state)
{
	enum { ABC_RULES = 40 };
	static char rx[ABC_RULES][256];
	static struct classify_cnf sets[ABC_RULES];
	static const size_t dense[] = {(size_t)-1, 0, 200};
	const char *rxp[ABC_RULES];
	struct classify_prefilter *pf[3];
	size_t full = 0, met = 0;
	uint32_t seed = 7;
	char text[128];
	uint64_t *cand;

	(void)state;
	for (size_t r = 0; r < ABC_RULES; r++) {
		char *w = rx[r];
		size_t nsets = 1 + r % 3;

		for (size_t a = 0; a < nsets; a++) {
			size_t nlit = 1 + (r + a) % 3;

			*w++ = '(';
			for (size_t k = 0; k < nlit; k++) {
				size_t len = 3 + (r * 7 + a * 3 + k * 5) % 18;

				for (size_t j = 0; j < len; j++) {
					seed = seed * 1103515245u + 12345u;
					/* mostly "ab" repeats: shared heads
					 * and tails */
					*w++ = (seed >> 16) % 4 == 0
						   ? "abc"[(seed >> 20) % 3]
						   : "ab"[j % 2];
				}
				*w++ = k + 1 < nlit ? '|' : ')';
			}
			w += a + 1 < nsets ? sprintf(w, "\\d") : 0;
		}
		*w = '\0';
		rxp[r] = rx[r];
		assert_true(classify_literal_sets(rx[r], &sets[r]) > 0);
	}
	for (size_t v = 0; v < 3; v++) {
		pf[v] = classify_prefilter_new_dense(rxp, ABC_RULES, dense[v]);
		assert_non_null(pf[v]);
	}
	full = classify_prefilter_bytes(pf[0], NULL, NULL);
	assert_true(classify_prefilter_bytes(pf[1], NULL, NULL) < full);
	assert_true(classify_prefilter_bytes(pf[2], NULL, NULL) < full);
	cand = calloc(classify_prefilter_words(pf[0]), sizeof(*cand));
	assert_non_null(cand);
	for (size_t i = 0; i < 20000; i++) {
		size_t len = abc_text(i, &seed, text);

		for (size_t v = 0; v < 3; v++) {
			classify_prefilter_scan(pf[v], text, len, cand);
			for (size_t r = 0; r < ABC_RULES; r++) {
				int want = 1,
				    got = (cand[r / 64] >> (r % 64)) & 1;

				for (size_t a = 0; a < sets[r].n && want; a++)
					want = abc_met(&sets[r].set[a], text);
				if (got != want)
					fail_msg("rule %zu /%s/, rows for %zu "
						 "bytes: candidate %d on '%s'",
						 r, rx[r], dense[v], got, text);
				met += v == 0 && got;
			}
		}
	}
	printf("# %zu candidates on 20,000 texts of a, b, c; %zu bytes with "
	       "a row each\n",
	       met, full);
	assert_true(met > 1000);
	free(cand);
	for (size_t v = 0; v < 3; v++)
		classify_prefilter_free(pf[v]);
}

/*
 * candidates_alike - the shipped rules built with a row for every state,
 * for the root only and as classify_prefilter_new() builds them give the
 * same candidates on every text of @param path (its last field; texts in
 * many scripts: bytes above 0x7f). @return the texts compared.
 */
static size_t candidates_alike(const char *const *rxp, size_t n,
			       const char *path)
{
	static char line[MUT_LINE + 2];
	struct classify_prefilter *pf[3];
	uint64_t *cand[3];
	size_t words, checked = 0;
	FILE *fp = fopen(srcdir_fx_path(path), "r");

	assert_non_null(fp);
	pf[0] = classify_prefilter_new_dense(rxp, n, (size_t)-1);
	pf[1] = classify_prefilter_new_dense(rxp, n, 0);
	pf[2] = classify_prefilter_new(rxp, n);
	words = classify_prefilter_words(pf[0]);
	for (size_t v = 0; v < 3; v++) {
		assert_non_null(pf[v]);
		assert_non_null(cand[v] = calloc(words, sizeof(uint64_t)));
	}
	assert_true(classify_prefilter_bytes(pf[2], NULL, NULL) <
		    classify_prefilter_bytes(pf[0], NULL, NULL) / 4);
	while (fgets(line, sizeof(line), fp) != NULL) {
		char *tab = strrchr(line, '\t');

		if (line[0] == '#' || tab == NULL)
			continue;
		tab[strcspn(tab, "\n")] = '\0';
		for (size_t v = 0; v < 3; v++)
			classify_prefilter_scan(pf[v], tab + 1, strlen(tab + 1),
						cand[v]);
		/* the rule set: the first words (the rest is scratch) */
		if (memcmp(cand[0], cand[1], (n / 64 + 1) * 8) != 0 ||
		    memcmp(cand[0], cand[2], (n / 64 + 1) * 8) != 0)
			fail_msg("%s: candidates differ on '%s'", path,
				 tab + 1);
		checked++;
	}
	fclose(fp);
	for (size_t v = 0; v < 3; v++) {
		classify_prefilter_free(pf[v]);
		free(cand[v]);
	}
	return checked;
}

/* The shipped rules: rows for every state or for few, same candidates. */
static void test_rows_alike(void **state)
{
	static const char *const files[] = {
	    "tests/data/classifier-corpus.tsv",
	    "tests/data/classifier-translations.tsv",
	    "tests/data/classifier-adversarial.tsv"};
	struct policy *p;
	const char **rxp;
	char err[8192];
	size_t checked = 0;

	(void)state;
	assert_int_equal(policy_load(srcdir_fx_path("policy/retryd.ini"), &p,
				     err, sizeof(err)),
			 0);
	assert_non_null(rxp = calloc(p->nrules, sizeof(*rxp)));
	for (size_t i = 0; i < p->nrules; i++)
		rxp[i] = p->rules[i].regex;
	for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++)
		checked += candidates_alike(rxp, p->nrules, files[f]);
	printf("# %zu texts: the same candidates with a row for every state, "
	       "for the root only, and as built\n",
	       checked);
	assert_true(checked > 5000);
	free(rxp);
	policy_free(p);
}

/* mutations_check - every text of the data file @fp (its last field) and
 * its MUT_ROUNDS mutations go through @c with and without the prefilter:
 * same result; @decided counts those a rule decided.
 * @return the number of texts compared */
static size_t mutations_check(const struct classifier *c, FILE *fp,
			      uint32_t *seed, size_t *decided)
{
	static char line[MUT_LINE + 2], text[MUT_LINE + 2];
	size_t checked = 0;

	while (fgets(line, sizeof(line), fp) != NULL) {
		char *tab = strrchr(line, '\t');
		size_t len;

		if (line[0] == '#' || tab == NULL)
			continue;
		tab[strcspn(tab, "\n")] = '\0';
		for (unsigned round = 0; round <= MUT_ROUNDS; round++) {
			struct classify_result a, b;

			/* each round: the text with one change (none first) */
			len = strlen(tab + 1);
			memcpy(text, tab + 1, len + 1);
			if (round > 0)
				len = mutate(text, len, round, seed);
			a = classify_text(c, text, len);
			b = classify_text_each(c, text, len);
			if (memcmp(&a, &b, sizeof(a)) != 0)
				fail_msg("'%.*s': prefilter rule %d, each %d",
					 (int)len, text, a.rule, b.rule);
			checked++;
			*decided += a.rule >= 0;
		}
	}
	return checked;
}

/* The shipped rules, every corpus text and its mutations: same rule. */
static void test_corpus_mutations(void **state)
{
	/* the client translations too: other scripts, other bytes */
	static const char *const files[2] = {
	    "tests/data/classifier-corpus.tsv",
	    "tests/data/classifier-translations.tsv"};
	struct policy *p;
	struct classifier *c;
	char err[8192];
	uint32_t seed = 1;
	size_t checked = 0, decided = 0;
	FILE *fp;

	(void)state;
	assert_int_equal(policy_load(srcdir_fx_path("policy/retryd.ini"), &p,
				     err, sizeof(err)),
			 0);
	assert_int_equal(classify_new(p, &c, err, sizeof(err)), 0);
	/* every shipped rule is filtered: the speed depends on it */
	assert_int_equal(classify_rules_filtered(c), p->nrules);
	for (int file = 0; file < 2; file++) {
		fp = fopen(srcdir_fx_path(files[file]), "r");
		assert_non_null(fp);
		checked += mutations_check(c, fp, &seed, &decided);
		fclose(fp);
	}
	printf("# %zu texts compared (corpus, client translations and "
	       "mutations), %zu decided by "
	       "a rule\n",
	       checked, decided);
	assert_true(checked > 10000 && decided > checked / 2);
	classify_free(c);
	policy_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_literal_sets),
	    cmocka_unit_test(test_literal_and_sets),
	    cmocka_unit_test(test_hand_equivalence),
	    cmocka_unit_test(test_table_width),
	    cmocka_unit_test(test_deep_states),
	    cmocka_unit_test(test_rows_alike),
	    cmocka_unit_test(test_corpus_mutations),
	};

	return cmocka_run_group_tests_name("classify_prefilter", tests, NULL,
					   NULL);
}
