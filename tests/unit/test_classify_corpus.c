/*
 * test_classify_corpus - the shipped rules against real bounce texts they
 * were not written against.
 *
 * tests/data/classifier-corpus.tsv holds real bounce and delay texts from
 * public collections (tests/tools/corpus_build.py and corpus_add.py with
 * the files of tests/data/corpus-src say which; each line
 * names its source file and provider), labelled with one category or two
 * where both are defensible:
 *
 *	SPLIT<TAB>LABELS<TAB>PROVIDER<TAB>SOURCE<TAB>TEXT
 *
 * SPLIT is "dev" (the rules were written against these) or "val" (only
 * measured: split by provider, so a provider's near-identical wording never
 * sits on both sides). Every text goes through a policy WITHOUT a
 * [classifier] section, i.e. through the rules compiled into retryd, and
 * must come out the same as through the shipped policy/retryd.ini.
 *
 * On the whole validation part: no text whose labels are not address-level
 * taken as mailbox-unknown/mailbox-disabled (that would suppress a good
 * address) and address-level recall >= 95%; the 97% accuracy target
 * is printed, met or not. The accuracy floor WANT_ACCURACY is a regression
 * gate held on the frozen baseline of validation texts
 * (tests/data/corpus-val-baseline.txt, tests/tools/corpus_baseline.py), every
 * one of which must still be a validation text: a rule change that loses
 * baseline texts fails, while a validation source added later (first contact
 * with wording no rule was written for) is measured and printed apart instead
 * of moving the gate. Every text must also be decided by the same rule with
 * and without the literal prefilter (classify_text_each). The figures, the
 * per-category confusion table and the per-provider table are printed (TAP
 * comments) for the closing note.
 *
 * Files are found by srcdir_fx_path() ($RETRYD_SRCDIR, default: the
 * current directory);
 * the fixture is classify_fx.c, shared with test_classify_adversarial.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "classify/classify.h"
#include "classify_fx.h"
#include "srcdir_fx.h"

#define CORPUS_LINE	 8192 /* longest corpus line accepted */
#define CORPUS_PROVIDERS 512  /* distinct providers counted (per split) */
#define NCAT		 (CLASSIFY_OTHER + 1)

#define WANT_MIN_TEXTS 1500
#define BASELINE_MAX   8192 /* ids in the frozen validation baseline */
/* The targets are 97% accuracy and 95% recall. The shipped rules
 * reached 94.22% (1,027 of 1,090) on the baseline texts when it was frozen,
 * 95.23% (1,038) on 2026-12-07 at 05:00, 95.41% (1,040) at 07:40, 95.96%
 * (1,046) at 10:40: the gate
 * is raised as they rise (a ratchet,
 * two texts below the figure reached), so a regression fails;
 * TARGET_ACCURACY is printed beside it for the whole validation part. */
#define WANT_ACCURACY	0.957
#define TARGET_ACCURACY 0.97
#define WANT_RECALL	0.95

/* fnv1a64 - FNV-1a 64 of SOURCE<TAB>TEXT: a corpus text's baseline id
 * (tests/tools/corpus_baseline.py computes the same) */
static uint64_t fnv1a64(const char *source, const char *text)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	const char *parts[3] = {source, "\t", text};

	for (int i = 0; i < 3; i++)
		for (const unsigned char *p = (const unsigned char *)parts[i];
		     *p; p++)
			h = (h ^ *p) * 0x100000001b3ULL;
	return h;
}

struct baseline {
	uint64_t id[BASELINE_MAX];
	unsigned char seen[BASELINE_MAX];
	size_t n;
};

/* baseline_load - the sorted ids of tests/data/corpus-val-baseline.txt */
static void baseline_load(struct baseline *b)
{
	const char *path = srcdir_fx_path("tests/data/corpus-val-baseline.txt");
	FILE *fp = fopen(path, "r");
	char line[256];
	size_t lineno = 0;

	assert_non_null(fp);
	b->n = 0;
	while (fgets(line, sizeof(line), fp) != NULL) {
		char *end;
		uint64_t id;

		lineno++;
		if (strchr(line, '\n') == NULL)
			fail_msg("%s:%zu: line too long or unterminated", path,
				 lineno);
		if (line[0] == '#')
			continue;
		id = strtoull(line, &end, 16);
		if (end != line + 16 || *end != '\n' || b->n >= BASELINE_MAX ||
		    (b->n > 0 && id <= b->id[b->n - 1]))
			fail_msg("%s:%zu: want one id of 16 hex digits per "
				 "line, sorted, at most %d",
				 path, lineno, BASELINE_MAX);
		b->id[b->n++] = id;
	}
	fclose(fp);
	memset(b->seen, 0, sizeof(b->seen));
}

/* baseline_find - the index of @id, -1 when not in the baseline */
static long baseline_find(const struct baseline *b, uint64_t id)
{
	size_t lo = 0, hi = b->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (b->id[mid] == id)
			return (long)mid;
		if (b->id[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

struct provider_row {
	char name[48];
	unsigned n, ok;
};

struct split_stats {
	unsigned n, ok, false_addr, nonaddr, addr, addr_found, fragments;
	unsigned confusion[NCAT][NCAT]; /* [first label][got] */
	struct provider_row prov[CORPUS_PROVIDERS];
	size_t nprov;
};

static struct provider_row *provider_of(struct split_stats *st,
					const char *name)
{
	for (size_t i = 0; i < st->nprov; i++)
		if (strcmp(st->prov[i].name, name) == 0)
			return &st->prov[i];
	assert_true(st->nprov < CORPUS_PROVIDERS);
	snprintf(st->prov[st->nprov].name, sizeof(st->prov[0].name), "%s",
		 name);
	return &st->prov[st->nprov++];
}

/* count - one text of a split: want labels, got category */
static void count(struct split_stats *st, const enum classify_category *want,
		  int nwant, enum classify_category got, const char *prov)
{
	struct provider_row *pr = provider_of(st, prov);
	int ok = got == want[0] || (nwant == 2 && got == want[1]);
	int want_addr = classify_fx_is_address(want[0]) ||
			(nwant == 2 && classify_fx_is_address(want[1]));
	int all_addr = classify_fx_is_address(want[0]) &&
		       (nwant == 1 || classify_fx_is_address(want[1]));

	st->n++;
	st->ok += ok;
	pr->n++;
	pr->ok += ok;
	st->confusion[want[0]][got]++;
	st->nonaddr += !want_addr;
	if (classify_fx_is_address(got) && !want_addr)
		st->false_addr++;
	if (all_addr) {
		st->addr++;
		st->addr_found += classify_fx_is_address(got);
	}
}

static void print_tables(const char *name, const struct split_stats *st)
{
	printf(
	    "# %s: %u texts (%u full texts, %u wording fragments), "
	    "accuracy %.1f%% (%u wrong), non-address taken as address-level: "
	    "%u of %u (%.2f%%), address-level recall %.1f%% (%u/%u)\n",
	    name, st->n, st->n - st->fragments, st->fragments,
	    st->n ? 100.0 * st->ok / st->n : 0.0, st->n - st->ok,
	    st->false_addr, st->nonaddr,
	    st->nonaddr ? 100.0 * st->false_addr / st->nonaddr : 0.0,
	    st->addr ? 100.0 * st->addr_found / st->addr : 0.0, st->addr_found,
	    st->addr);
	printf("# %s confusion (rows: first label, columns: got; "
	       "ro nx mu md mf pr au rl co ct ot)\n",
	       name);
	for (int w = 1; w < NCAT; w++) {
		unsigned sum = 0;

		for (int g = 1; g < NCAT; g++)
			sum += st->confusion[w][g];
		if (sum == 0)
			continue;
		printf("#   %-18s", classify_category_name(w));
		for (int g = 1; g < NCAT; g++)
			printf(" %2u", st->confusion[w][g]);
		printf("\n");
	}
	printf("# %s by provider (texts, right, wrong):\n", name);
	for (size_t i = 0; i < st->nprov; i++)
		printf("#   %-24s %4u %4u %3u\n", st->prov[i].name,
		       st->prov[i].n, st->prov[i].ok,
		       st->prov[i].n - st->prov[i].ok);
}

/* The whole corpus: measure both parts, assert on the validation part. */
static void test_corpus_validation(void **state)
{
	struct classify_fx *fx = *state;
	static struct split_stats dev, val, val_base, val_new;
	static struct baseline base;
	static char line[CORPUS_LINE + 2];
	size_t lineno = 0, total = 0, base_seen = 0;
	FILE *fp =
	    fopen(srcdir_fx_path("tests/data/classifier-corpus.tsv"), "r");

	assert_non_null(fp);
	memset(&dev, 0, sizeof(dev));
	memset(&val, 0, sizeof(val));
	memset(&val_base, 0, sizeof(val_base));
	memset(&val_new, 0, sizeof(val_new));
	baseline_load(&base);
	while (fgets(line, sizeof(line), fp) != NULL) {
		char *f[5];
		enum classify_category want[2];
		struct classify_result rmin, rship;
		int nwant, nf = classify_fx_fields(line, feof(fp), f, 5);

		lineno++;
		if (nf < 0)
			fail_msg("corpus line %zu: longer than %d bytes",
				 lineno, CORPUS_LINE);
		if (nf == 0)
			continue;
		if (nf != 5)
			fail_msg("corpus line %zu: want 5 tab-separated fields",
				 lineno);
		if ((nwant = classify_fx_labels(f[1], want)) == 0)
			fail_msg("corpus line %zu: bad labels '%s'", lineno,
				 f[1]);
		rmin = classify_text(fx->cmin, f[4], strlen(f[4]));
		rship = classify_text(fx->cship, f[4], strlen(f[4]));
		/* the literal prefilter skips no rule that would decide */
		if (classify_text_each(fx->cmin, f[4], strlen(f[4])).rule !=
		    rmin.rule)
			fail_msg("corpus line %zu: the prefilter changes the "
				 "deciding rule",
				 lineno);
		/* no [classifier] classifies like the shipped policy */
		if (rmin.category != rship.category)
			fail_msg("corpus line %zu: minimal policy says %s, "
				 "shipped policy %s",
				 lineno, classify_category_name(rmin.category),
				 classify_category_name(rship.category));
		if (strcmp(f[0], "val") == 0) {
			long bi = baseline_find(&base, fnv1a64(f[3], f[4]));

			count(&val, want, nwant, rmin.category, f[2]);
			val.fragments += strcmp(f[2], "fragment") == 0;
			if (bi >= 0 && !base.seen[bi]) {
				base.seen[bi] = 1;
				base_seen++;
			}
			count(bi >= 0 ? &val_base : &val_new, want, nwant,
			      rmin.category, f[2]);
		} else if (strcmp(f[0], "dev") == 0) {
			count(&dev, want, nwant, rmin.category, f[2]);
			dev.fragments += strcmp(f[2], "fragment") == 0;
		} else
			fail_msg("corpus line %zu: split '%s' (dev or val)",
				 lineno, f[0]);
		total++;
	}
	fclose(fp);
	print_tables("development", &dev);
	print_tables("validation", &val);
	printf("# validation accuracy target %.0f%%: %s\n",
	       100 * TARGET_ACCURACY,
	       val.ok >= TARGET_ACCURACY * val.n ? "met" : "NOT met");
	printf("# validation baseline (floor %.1f%%): %u texts, %u right "
	       "(%.2f%%); added since: %u texts, %u right (%.2f%%)\n",
	       100 * WANT_ACCURACY, val_base.n, val_base.ok,
	       val_base.n ? 100.0 * val_base.ok / val_base.n : 0.0, val_new.n,
	       val_new.ok, val_new.n ? 100.0 * val_new.ok / val_new.n : 0.0);
	for (size_t i = 0; i < base.n; i++)
		if (!base.seen[i])
			printf("# baseline id %016llx is no validation text "
			       "any more\n",
			       (unsigned long long)base.id[i]);
	/* 1,500 real texts: full texts only, the wording fragments of
	 * sisimai's phrase lists (development) do not count */
	assert_true(total - dev.fragments - val.fragments >= WANT_MIN_TEXTS);
	/* a validation part of at least a third of the real texts (the
	 * fragments are development material, not texts) */
	assert_true(val.n * 3 >= total - dev.fragments - val.fragments);
	/* the floor, like for like: every baseline text still there */
	assert_int_equal(base_seen, base.n);
	assert_true(val_base.ok >= WANT_ACCURACY * val_base.n);
	assert_int_equal(val.false_addr, 0);
	assert_true(val.addr > 0 && val.addr_found >= WANT_RECALL * val.addr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_corpus_validation),
	};

	return cmocka_run_group_tests_name(
	    "classify_corpus", tests, classify_fx_setup, classify_fx_teardown);
}
