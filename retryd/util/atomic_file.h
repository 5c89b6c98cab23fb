/*
 * NAME
 *	atomic_file 3h
 * SUMMARY
 *	write a file so a reader sees the old or the new whole, never a part
 * DESCRIPTION
 *	The one writer of every file retryd keeps outside Berkeley DB
 *	(reports, exported tables, the MTA log cursors): a temp file in the
 *	same directory created with O_CREAT|O_EXCL|O_NOFOLLOW, written,
 *	fsync'ed, renamed over the target, then the directory fsync'ed.
 *
 *	atomic_file_open() / atomic_file_commit() / atomic_file_abort() for a
 *	writer that streams through stdio; atomic_file_write() for one buffer.
 */
#ifndef RETRYD_ATOMIC_FILE_H
#define RETRYD_ATOMIC_FILE_H

#include <stdio.h>
#include <sys/types.h>

#include "util/limits.h"

struct atomic_file {
	FILE *fp;		       /* write here between open and commit */
	char path[LIMIT_PATH + 1];     /* the target */
	char tmp[LIMIT_PATH + 32 + 1]; /* the temp file beside it */
};

/**
 * Create a fresh temp file beside @param path with @param mode (umask
 * applies) and open af->fp on it. @return 0, or -1 with @param err
 * ("PATH: what: why"); nothing is left behind then.
 */
int atomic_file_open(struct atomic_file *af, const char *path, mode_t mode,
		     char *err, size_t errlen);

/**
 * Flush, fsync and close af->fp, rename the temp file over the target and
 * fsync the directory. On any failure the temp file is removed and the
 * target is untouched. @return 0, or -1 with @param err.
 */
int atomic_file_commit(struct atomic_file *af, char *err, size_t errlen);

/** Close and remove the temp file; the target is untouched. */
void atomic_file_abort(struct atomic_file *af);

/**
 * Read the small file @param path (a saved position) into @param buf:
 * at most @param cap - 1 bytes, NUL-terminated, *@param len of them.
 * @return 1 read, 0 no such file, -1 with @param err ("PATH: why";
 * a longer file is an error too).
 */
int atomic_file_read(const char *path, char *buf, size_t cap, size_t *len,
		     char *err, size_t errlen);

/**
 * Replace @param path with the @param len bytes at @param data.
 * @return 0, or -1 with @param err (the old file is untouched).
 */
int atomic_file_write(const char *path, const void *data, size_t len,
		      mode_t mode, char *err, size_t errlen);

#endif
