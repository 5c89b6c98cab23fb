/*
 * NAME
 *	tmpdir_fx 3h
 * SUMMARY
 *	the unit tests' temporary directories: make one, remove it whole
 * DESCRIPTION
 *	Every unit test that touches files works in a directory of its
 *	own under /tmp. tmpdir_fx_remove() removes such a tree without a
 *	shell (nftw, depth first, symlinks not followed), so a test never
 *	hands a path to system(). tmpdir_fx_append() adds text to a
 *	file in such a directory (a log the test writes line by line);
 *	tmpdir_fx_count() counts what a directory holds.
 * DIAGNOSTICS
 *	tmpdir_fx_remove() returns -1 and names the first path it could
 *	not remove on stderr; the tree may then be left in part.
 */
#ifndef TESTS_TMPDIR_FX_H
#define TESTS_TMPDIR_FX_H

#include <stddef.h>

/** Remove the directory tree @param dir; 0, or -1 (reported). */
int tmpdir_fx_remove(const char *dir);

/** Append @param text to the file @param path (created if missing);
 * aborts the test if the file cannot be written. */
void tmpdir_fx_append(const char *path, const char *text);

/** The entries of directory @param dir whose names do not start with a
 * dot; aborts the test if it cannot be read. */
size_t tmpdir_fx_count(const char *dir);

#endif
