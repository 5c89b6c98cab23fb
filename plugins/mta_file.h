/*
 * mta_file.h — open an MTA log (or a rotated one) by kind, directly or
 * through the privileged helper; shared by the Postfix and Exim plugins.
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

#endif
