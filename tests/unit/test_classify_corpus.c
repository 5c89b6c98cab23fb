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
 * tests/data/classifier-translations.tsv (same format, written by
 * corpus_add.py) holds the translations of mail clients' own UI strings
 * (po/XX.po, PHPMailer's language files): retryd reads what an MTA records,
 * never a client's translated message, so they count in neither part. They
 * are measured as a third set, both splits together (its validation texts
 * are still never read to write rules): printed the same way, no text
 * taken as address-level that is not, and an accuracy floor.
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
/* The client translations (tests/data/classifier-translations.tsv), a set
 * apart: 356 texts, 54.21% (193) right on 2026-12-07, session 14 (floor:
 * that figure rounded down). No rule is written for them (they never
 * reach retryd); the floor only catches a rule change that breaks many. */
#define WANT_TRANSLATIONS_MIN	   300
#define WANT_TRANSLATIONS_ACCURACY 0.54

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

/* One labelled text of a data file, classified. */
struct corpus_text {
	const char *split, *provider, *source, *text;
	enum classify_category want[2];
	int nwant;
	enum classify_category got; /* through the built-in rules */
};

/* corpus_read - classify every text of the data file @path (tests/data,
 * SPLIT LABELS PROVIDER SOURCE TEXT) and hand each to @take; fails the
 * test on a malformed line, a text the prefilter decides by another rule,
 * or one the shipped policy classifies otherwise than the built-in rules.
 * @return the number of texts */
static size_t corpus_read(const struct classify_fx *fx, const char *path,
			  void (*take)(void *arg, const struct corpus_text *t),
			  void *arg)
{
	static char line[CORPUS_LINE + 2];
	size_t lineno = 0, total = 0;
	FILE *fp = fopen(srcdir_fx_path(path), "r");

	if (fp == NULL)
		fail_msg("%s: cannot open", srcdir_fx_path(path));
	while (fgets(line, sizeof(line), fp) != NULL) {
		char *f[5];
		struct corpus_text t;
		struct classify_result rmin, rship;
		int nf = classify_fx_fields(line, feof(fp), f, 5);

		lineno++;
		if (nf < 0)
			fail_msg("%s:%zu: longer than %d bytes", path, lineno,
				 CORPUS_LINE);
		if (nf == 0)
			continue;
		if (nf != 5)
			fail_msg("%s:%zu: want 5 tab-separated fields", path,
				 lineno);
		if ((t.nwant = classify_fx_labels(f[1], t.want)) == 0)
			fail_msg("%s:%zu: bad labels '%s'", path, lineno, f[1]);
		if (strcmp(f[0], "val") != 0 && strcmp(f[0], "dev") != 0)
			fail_msg("%s:%zu: split '%s' (dev or val)", path,
				 lineno, f[0]);
		rmin = classify_text(fx->cmin, f[4], strlen(f[4]));
		rship = classify_text(fx->cship, f[4], strlen(f[4]));
		/* the literal prefilter skips no rule that would decide */
		if (classify_text_each(fx->cmin, f[4], strlen(f[4])).rule !=
		    rmin.rule)
			fail_msg("%s:%zu: the prefilter changes the deciding "
				 "rule",
				 path, lineno);
		/* no [classifier] classifies like the shipped policy */
		if (rmin.category != rship.category)
			fail_msg("%s:%zu: minimal policy says %s, shipped "
				 "policy %s",
				 path, lineno,
				 classify_category_name(rmin.category),
				 classify_category_name(rship.category));
		t.split = f[0];
		t.provider = f[2];
		t.source = f[3];
		t.text = f[4];
		t.got = rmin.category;
		take(arg, &t);
		total++;
	}
	fclose(fp);
	return total;
}

/* The corpus's parts, and the validation part split by the baseline. */
struct corpus_parts {
	struct split_stats dev, val, val_base, val_new;
	struct baseline base;
	size_t base_seen;
};

/* corpus_take - count one corpus text in its part */
static void corpus_take(void *arg, const struct corpus_text *t)
{
	struct corpus_parts *cp = arg;
	int fragment = strcmp(t->provider, "fragment") == 0;

	if (strcmp(t->split, "val") == 0) {
		long bi = baseline_find(&cp->base, fnv1a64(t->source, t->text));

		count(&cp->val, t->want, t->nwant, t->got, t->provider);
		cp->val.fragments += fragment;
		if (bi >= 0 && !cp->base.seen[bi]) {
			cp->base.seen[bi] = 1;
			cp->base_seen++;
		}
		count(bi >= 0 ? &cp->val_base : &cp->val_new, t->want, t->nwant,
		      t->got, t->provider);
	} else {
		count(&cp->dev, t->want, t->nwant, t->got, t->provider);
		cp->dev.fragments += fragment;
	}
}

/* translations_take - count one client translation (either split) */
static void translations_take(void *arg, const struct corpus_text *t)
{
	count(arg, t->want, t->nwant, t->got, t->provider);
}

/* The whole corpus: measure both parts, assert on the validation part. */
static void test_corpus_validation(void **state)
{
	struct classify_fx *fx = *state;
	static struct corpus_parts cp;
	struct split_stats *dev = &cp.dev, *val = &cp.val;
	size_t total;

	memset(&cp, 0, sizeof(cp));
	baseline_load(&cp.base);
	total = corpus_read(fx, "tests/data/classifier-corpus.tsv", corpus_take,
			    &cp);
	print_tables("development", dev);
	print_tables("validation", val);
	printf("# validation accuracy target %.0f%%: %s\n",
	       100 * TARGET_ACCURACY,
	       val->ok >= TARGET_ACCURACY * val->n ? "met" : "NOT met");
	printf("# validation baseline (floor %.1f%%): %u texts, %u right "
	       "(%.2f%%); added since: %u texts, %u right (%.2f%%)\n",
	       100 * WANT_ACCURACY, cp.val_base.n, cp.val_base.ok,
	       cp.val_base.n ? 100.0 * cp.val_base.ok / cp.val_base.n : 0.0,
	       cp.val_new.n, cp.val_new.ok,
	       cp.val_new.n ? 100.0 * cp.val_new.ok / cp.val_new.n : 0.0);
	for (size_t i = 0; i < cp.base.n; i++)
		if (!cp.base.seen[i])
			printf("# baseline id %016llx is no validation text "
			       "any more\n",
			       (unsigned long long)cp.base.id[i]);
	/* 1,500 real texts: full texts only, the wording fragments of
	 * sisimai's phrase lists (development) do not count */
	assert_true(total - dev->fragments - val->fragments >= WANT_MIN_TEXTS);
	/* a validation part of at least a third of the real texts (the
	 * fragments are development material, not texts) */
	assert_true(val->n * 3 >= total - dev->fragments - val->fragments);
	/* the floor, like for like: every baseline text still there */
	assert_int_equal(cp.base_seen, cp.base.n);
	assert_true(cp.val_base.ok >= WANT_ACCURACY * cp.val_base.n);
	assert_int_equal(val->false_addr, 0);
	assert_true(val->addr > 0 &&
		    val->addr_found >= WANT_RECALL * val->addr);
}

/* The client translations, a set apart: measured, never address-level. */
static void test_corpus_translations(void **state)
{
	struct classify_fx *fx = *state;
	static struct split_stats tr;

	memset(&tr, 0, sizeof(tr));
	corpus_read(fx, "tests/data/classifier-translations.tsv",
		    translations_take, &tr);
	print_tables("client translations", &tr);
	assert_true(tr.n >= WANT_TRANSLATIONS_MIN);
	assert_int_equal(tr.false_addr, 0);
	assert_true(tr.ok >= WANT_TRANSLATIONS_ACCURACY * tr.n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_corpus_validation),
	    cmocka_unit_test(test_corpus_translations),
	};

	return cmocka_run_group_tests_name(
	    "classify_corpus", tests, classify_fx_setup, classify_fx_teardown);
}
