/*
 * NAME
 *	srcdir_fx 3h
 * SUMMARY
 *	the unit tests' way to name a file of the source tree
 * DESCRIPTION
 *	A unit test that reads shipped files (policy/retryd.ini, the
 *	classifier corpus, tests/data/...) names them relative to the
 *	repository root. srcdir_fx_path() puts them under $RETRYD_SRCDIR
 *	when it is set and not empty (tests/cli/corpus_baseline.t points
 *	it at a copy), else under the current directory (`make check` runs
 *	the tests from the root).
 * DIAGNOSTICS
 *	None: a name that does not fit is cut, and the open that follows
 *	fails naming it.
 */
#ifndef TESTS_SRCDIR_FX_H
#define TESTS_SRCDIR_FX_H

/** @return the path of @param rel (relative to the repository root) in
 * one of four static buffers: valid until the fourth call after. */
const char *srcdir_fx_path(const char *rel);

#endif
