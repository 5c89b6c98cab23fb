/*
 * mta_file.h — open an MTA log (or a rotated one) by kind, directly or
 * through the privileged helper; open a file below a queue directory one
 * component at a time; read a small file whole. Shared by the Postfix
 * and Exim plugins.
 */
#ifndef RETRYD_PLUGINS_MTA_FILE_H
#define RETRYD_PLUGINS_MTA_FILE_H

#include <stddef.h>

#include "plugin.h"

/**
 * Open @param path (MTA_FILE_LOG), PATH.1 (MTA_FILE_LOG_1) or PATH.0
 * (MTA_FILE_LOG_0) read-only: itself when @param host is NULL, else
 * through the host (the privileged helper opens it and passes the
 * descriptor). @param label names the log in messages ("log", "exim log").
 * @return the descriptor, or -1 with errno (ENOENT: not there) and
 * "LABEL PATH: why" in @param err.
 */
int mta_file_open(const char *label, const char *path,
		  const struct mta_host *host, enum mta_file which, char *err,
		  size_t errlen);

#define MTA_FILE_PART 32 /* bytes of one path component below a queue dir */

/**
 * Open @param base/parts[0]/.../parts[n-1] one component at a time
 * (openat, O_NOFOLLOW: no symbolic link is followed below @param base);
 * the last one as a directory when @param dir, else as a file
 * (O_NONBLOCK: a FIFO planted there cannot block). @return the
 * descriptor, or -1 with errno.
 */
int mta_file_open_parts(const char *base, char parts[][MTA_FILE_PART], size_t n,
			int dir);

/**
 * Read at most @param max bytes of @param fd, NUL-terminated; *@param
 * len gets the length, *@param cut 1 when the file had more.
 * @return the malloc'd text, or NULL (out of memory).
 */
char *mta_file_slurp(int fd, size_t max, size_t *len, int *cut);

#endif
