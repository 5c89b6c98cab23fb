/*
 * NAME
 *	classify_fx 3h
 * SUMMARY
 *	the classifier tests' fixture: the built-in and the shipped rules
 * DESCRIPTION
 *	classify_fx_setup() loads two policies and a classifier for each: a
 *	short policy written from the man page, without [classifier] (so the
 *	rules compiled into retryd), and the shipped policy/retryd.ini. The
 *	corpus and the adversarial tests run every text through both.
 *	classify_fx_labels() parses a LABELS field, one category or two
 *	("a" or "a|b"); srcdir_fx_path() (srcdir_fx.h) names the files.
 * DIAGNOSTICS
 *	classify_fx_setup() returns -1 and says why on stderr.
 */
#ifndef TESTS_CLASSIFY_FX_H
#define TESTS_CLASSIFY_FX_H

#include "classify/classify.h"

struct classify_fx {
	struct policy *minimal, *shipped; /* owned by the fixture */
	struct classifier *cmin, *cship;  /* built-in rules, shipped */
};

/** cmocka group setup: *state becomes the fixture (static storage). */
int classify_fx_setup(void **state);

/** cmocka group teardown: frees what classify_fx_setup() made. */
int classify_fx_teardown(void **state);

/** Parse @param s ("a" or "a|b", modified) into @param out.
 * @return how many categories (1-2), 0 when a name is unknown. */
int classify_fx_labels(char *s, enum classify_category out[2]);

/** @return 1 for the address-level categories (mailbox-unknown,
 * mailbox-disabled), else 0. */
int classify_fx_is_address(enum classify_category c);

/** Split one line of a tab-separated data file, as fgets() read it into
 * @param line (modified), into at most @param n fields in @param f, the
 * last one taking the rest of the line. @param eof is feof() of the file.
 * @return -1 when the line was cut (longer than fgets' buffer), 0 for a
 * '#' comment or a blank line, else the number of fields. */
int classify_fx_fields(char *line, int eof, char *f[], int n);

#endif
