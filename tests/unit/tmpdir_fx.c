/*
 * NAME
 *	tmpdir_fx 3
 * SUMMARY
 *	remove a unit test's temporary directory tree without a shell;
 *	append to a file in it; count what a directory holds
 * DESCRIPTION
 *	Walks the tree depth first with nftw(3) (FTW_PHYS: a symlink is
 *	removed, never followed) and removes each entry. Owns nothing
 *	beyond the walk.
 * DIAGNOSTICS
 *	The first entry that cannot be removed is named on stderr with
 *	errno's text; the walk goes on and the call returns -1.
 */
#define _XOPEN_SOURCE 700
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>

#include "tmpdir_fx.h"

/* nftw has no argument pointer: one walk at a time, counted here. */
static int tmpdir_fx_failures;

static int tmpdir_fx_remove_one(const char *path, const struct stat *sb,
				int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	if (remove(path) != 0 && errno != ENOENT) {
		if (tmpdir_fx_failures++ == 0)
			fprintf(stderr, "cannot remove %s: %s\n", path,
				strerror(errno));
	}
	return 0;
}

int tmpdir_fx_remove(const char *dir)
{
	tmpdir_fx_failures = 0;
	if (nftw(dir, tmpdir_fx_remove_one, 16, FTW_DEPTH | FTW_PHYS) != 0 &&
	    errno != ENOENT) {
		fprintf(stderr, "cannot walk %s: %s\n", dir, strerror(errno));
		return -1;
	}
	return tmpdir_fx_failures ? -1 : 0;
}

void tmpdir_fx_append(const char *path, const char *text)
{
	FILE *fp = fopen(path, "a");

	if (fp == NULL || fputs(text, fp) == EOF || fclose(fp) != 0) {
		fprintf(stderr, "cannot append to %s: %s\n", path,
			strerror(errno));
		abort();
	}
}

size_t tmpdir_fx_count(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	if (d == NULL) {
		fprintf(stderr, "cannot read %s: %s\n", dir, strerror(errno));
		abort();
	}
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}
