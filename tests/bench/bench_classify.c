/*
 * NAME
 *	bench_classify 1
 * SUMMARY
 *	classifier throughput over the labelled corpus, rules compiled once
 * SYNOPSIS
 *	bench_classify POLICY CORPUS [LINES]
 * DESCRIPTION
 *	Loads POLICY with policy_load() (the shipped policy/retryd.ini
 *	includes policy/classifier.ini), compiles its rules once with
 *	classify_new(), reads the texts of CORPUS (CATEGORY<TAB>TEXT) and
 *	classifies them round-robin until LINES texts (default 1,000,000)
 *	have been classified. Prints texts/s, ns per text, the rule count,
 *	whether PCRE2 JIT is in use, and the share of texts that fell through
 *	every rule (the slowest path). Side by side, on the same lines: one
 *	plain PCRE2 alternation of all the rules (the reference), every
 *	rule's regex in order (classify_text_each, the previous way) and
 *	classify_text (literal prefilter, then only the rules that can
 *	match). Wall and CPU time are both shown:
 *	on a busy machine the wall rate drops, the CPU rate does not. A checksum
 *of the categories keeps the work from being optimised away. Target: >= 200,000
 *lines/s. Also the prefilter's table size and, over the corpus texts, the
 *candidate rules per text and the regexes run per text (the candidates up
 *to the deciding one). With BENCH_CLASSIFY_ONLY set in the environment the
 *reference and the previous way are skipped (quick side-by-side runs).
 *Prints figures; never fails on a number.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "classify/classify.h"
#include "classify/classify_int.h"

#define BENCH_TEXTS 4096 /* corpus texts kept */
#define BENCH_LINE  4096 /* longest corpus line */

static double now_s(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * bench_alternation - rules [@param from, @param to) of the policy joined
 * into one plain PCRE2 alternation, (?i:R1)|(?-i:R2)|..., compiled and JIT
 * compiled. @return the pattern, or NULL (@param errcode says why).
 */
static pcre2_code *bench_alternation(const struct policy *p, size_t from,
				     size_t to, int *errcode)
{
	size_t cap = 16, used = 0;
	char *alt = malloc(cap);
	pcre2_code *re = NULL;
	PCRE2_SIZE erroff;

	*errcode = PCRE2_ERROR_NOMEMORY;
	for (size_t i = from; alt != NULL && i < to; i++) {
		size_t need = strlen(p->rules[i].regex) + 16;

		if (used + need + 1 > cap) {
			char *grown = realloc(alt, cap = (used + need) * 2);

			if (grown == NULL) {
				free(alt);
				alt = NULL;
				break;
			}
			alt = grown;
		}
		used += (size_t)snprintf(
		    alt + used, cap - used, "%s(?%s:%s)", i > from ? "|" : "",
		    p->rules[i].caseless ? "i" : "-i", p->rules[i].regex);
	}
	if (alt != NULL &&
	    (re = pcre2_compile((PCRE2_SPTR)alt, PCRE2_ZERO_TERMINATED, 0,
				errcode, &erroff, NULL)) != NULL)
		pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
	free(alt);
	return re;
}

/*
 * bench_reference - the reference: every rule of the policy in plain PCRE2
 * alternations, matched per line until one matches (it says whether some
 * rule matches, not which one decides). One alternation where PCRE2 can
 * compile it; where the rules outgrow PCRE2's compiled pattern size (64 KiB
 * with the usual 2-byte links) they are split into 2, 4, ... alternations
 * of consecutive rules, and the figure says how many.
 */
static void bench_reference(const struct policy *p, char **texts,
			    const size_t *lens, size_t n, size_t lines)
{
	enum { BENCH_MAX_ALTS = 64 };
	pcre2_code *re[BENCH_MAX_ALTS];
	pcre2_match_data *md = NULL;
	size_t nalt = 1, made = 0;
	int errcode = 0, hits = 0;
	double c0, cpu;

	while (nalt <= BENCH_MAX_ALTS) {
		for (made = 0; made < nalt; made++) {
			re[made] = bench_alternation(
			    p, p->nrules * made / nalt,
			    p->nrules * (made + 1) / nalt, &errcode);
			if (re[made] == NULL)
				break;
		}
		if (made == nalt)
			break;
		while (made > 0)
			pcre2_code_free(re[--made]);
		if (errcode != PCRE2_ERROR_PATTERN_TOO_LARGE)
			break;
		nalt *= 2;
	}
	if (made == 0) {
		printf("reference: the alternation does not compile (PCRE2 "
		       "error %d)\n",
		       errcode);
		return;
	}
	md = pcre2_match_data_create(1, NULL);
	c0 = now_s(CLOCK_PROCESS_CPUTIME_ID);
	for (size_t i = 0; md != NULL && i < lines; i++)
		for (size_t a = 0; a < nalt; a++)
			if (pcre2_match(re[a], (PCRE2_SPTR)texts[i % n],
					lens[i % n], 0, 0, md, NULL) >= 0) {
				hits++;
				break;
			}
	cpu = now_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
	if (nalt == 1)
		printf("reference: one PCRE2 alternation of the same %zu rules "
		       "(JIT), ",
		       p->nrules);
	else
		printf("reference: %zu PCRE2 alternations of the same %zu "
		       "rules (JIT; one would exceed PCRE2's compiled pattern "
		       "size), tried in turn, ",
		       nalt, p->nrules);
	printf("%.3f s CPU, %.0f lines/s per core (%.1f%% of lines match "
	       "some rule)\n",
	       cpu, lines / cpu, 100.0 * hits / lines);
	pcre2_match_data_free(md);
	while (made > 0)
		pcre2_code_free(re[--made]);
}

/*
 * bench_runs - over the @param n corpus texts, the candidate rules the
 * prefilter leaves per text and the regexes classify_text runs per text:
 * the candidates up to the deciding rule, all of them when none decides
 * (the text as classify_text scans it: its report part, classify_norm).
 */
static void bench_runs(const struct policy *p, const struct classifier *c,
		       char **texts, const size_t *lens, size_t n)
{
	static char norm[BENCH_LINE];
	const char **rx = calloc(p->nrules + 1, sizeof(*rx));
	struct classify_prefilter *pf;
	size_t cand = 0, run = 0;
	uint64_t *set;

	for (size_t i = 0; rx != NULL && i < p->nrules; i++)
		rx[i] = p->rules[i].regex;
	if (rx == NULL ||
	    (pf = classify_prefilter_new(rx, p->nrules)) == NULL) {
		free(rx);
		return;
	}
	if ((set = calloc(classify_prefilter_words(pf), sizeof(*set))) != NULL)
		for (size_t i = 0; i < n; i++) {
			int rule = classify_text(c, texts[i], lens[i]).rule;
			size_t len = classify_norm(texts[i], lens[i], norm,
						   sizeof(norm));

			if (len == (size_t)-1)
				classify_prefilter_scan(pf, texts[i], lens[i],
							set);
			else
				classify_prefilter_scan(pf, norm, len, set);
			for (size_t r = 0; r < p->nrules; r++)
				if ((set[r / 64] >> (r % 64)) & 1) {
					cand++;
					run += rule < 0 || r <= (size_t)rule;
				}
		}
	printf("classify: %.3f candidate rules per corpus text, %.3f regexes "
	       "run per text\n",
	       (double)cand / n, (double)run / n);
	free(set);
	free(rx);
	classify_prefilter_free(pf);
}

/*
 * bench_each - the previous way: every rule's regex in order, no literal
 * prefilter (classify_text_each), on the same lines.
 */
static void bench_each(const struct classifier *c, char **texts,
		       const size_t *lens, size_t n, size_t lines)
{
	double c0 = now_s(CLOCK_PROCESS_CPUTIME_ID), cpu;
	size_t fell = 0;

	for (size_t i = 0; i < lines; i++)
		fell +=
		    classify_text_each(c, texts[i % n], lens[i % n]).rule < 0;
	cpu = now_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
	printf("previous: every rule's regex in order (JIT, no prefilter), "
	       "%.3f s CPU, %.0f lines/s per core (%zu fell through)\n",
	       cpu, lines / cpu, fell);
}

int main(int argc, char **argv)
{
	static char *texts[BENCH_TEXTS];
	static size_t lens[BENCH_TEXTS];
	char line[BENCH_LINE], err[8192];
	struct policy *p;
	struct classifier *c;
	size_t n = 0, lines = 1000000, fell = 0, differ = 0;
	size_t tbytes, tstates = 0, tclasses = 0;
	uint64_t sum = 0;
	uint32_t jit = 0;
	double t0, c0, dt, cpu;
	FILE *fp;

	if (argc < 3) {
		fprintf(stderr,
			"usage: bench_classify POLICY CORPUS [LINES]\n");
		return 2;
	}
	if (argc > 3 && (lines = strtoul(argv[3], NULL, 10)) == 0)
		lines = 1000000;
	if (policy_load(argv[1], &p, err, sizeof(err)) != 0 ||
	    classify_new(p, &c, err, sizeof(err)) != 0) {
		fprintf(stderr, "bench_classify: %s\n", err);
		return 1;
	}
	if ((fp = fopen(argv[2], "r")) == NULL) {
		perror(argv[2]);
		return 1;
	}
	while (n < BENCH_TEXTS && fgets(line, sizeof(line), fp) != NULL) {
		char *tab =
		    strrchr(line, '\t'); /* the text is the last field */

		if (line[0] == '#' || tab == NULL)
			continue;
		tab[strcspn(tab, "\n")] = '\0';
		texts[n] = strdup(tab + 1);
		lens[n] = strlen(tab + 1);
		n++;
	}
	fclose(fp);
	if (n == 0) {
		fprintf(stderr, "bench_classify: no texts in %s\n", argv[2]);
		return 1;
	}
	pcre2_config(PCRE2_CONFIG_JIT, &jit);

	if (getenv("BENCH_CLASSIFY_ONLY") == NULL) {
		bench_reference(p, texts, lens, n, lines);
		bench_each(c, texts, lens, n, lines);
	}
	t0 = now_s(CLOCK_MONOTONIC);
	c0 = now_s(CLOCK_PROCESS_CPUTIME_ID);
	for (size_t i = 0; i < lines; i++) {
		struct classify_result r =
		    classify_text(c, texts[i % n], lens[i % n]);

		sum += (uint64_t)r.category * (i % 7 + 1);
		fell += r.rule < 0;
	}
	dt = now_s(CLOCK_MONOTONIC) - t0;
	cpu = now_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
	for (size_t i = 0; i < n; i++)
		differ += classify_text(c, texts[i], lens[i]).rule !=
			  classify_text_each(c, texts[i], lens[i]).rule;

	printf("classify: %zu rules (PCRE2 JIT %s in the library, used by %zu "
	       "of them; literal prefilter on %zu of them), %zu corpus texts "
	       "repeated to %zu lines\n",
	       p->nrules, jit ? "on" : "off", classify_rules_jit(c, NULL),
	       classify_rules_filtered(c), n, lines);
	tbytes = classify_prefilter_size(c, &tstates, &tclasses);
	printf("classify: prefilter table %zu bytes (%zu states, %zu byte "
	       "classes)\n",
	       tbytes, tstates, tclasses);
	printf("classify: %.3f s wall, %.0f lines/s, %.0f ns/line\n", dt,
	       lines / dt, dt * 1e9 / lines);
	printf("classify: %.3f s CPU, %.0f lines/s per core (target >= 200000 "
	       "lines/s per core: %s; the wall figure is lower when other "
	       "work shares the CPU)\n",
	       cpu, lines / cpu, lines / cpu >= 200000 ? "met" : "NOT met");
	printf("classify: %.1f%% of lines fell through every rule to the "
	       "status code; %zu of %zu texts decided by another rule than "
	       "every-rule-in-order (must be 0) (checksum %llu)\n",
	       100.0 * fell / lines, differ, n, (unsigned long long)sum);
	bench_runs(p, c, texts, lens, n);
	for (size_t i = 0; i < n; i++)
		free(texts[i]);
	classify_free(c);
	policy_free(p);
	return 0;
}
