/*
 * NAME
 *	mta_file 3
 * SUMMARY
 *	open an MTA log file, or its rotated .1/.0, by kind
 * DESCRIPTION
 *	mta_file_open() is the one opener of MTA logs for both plugins: a
 *	parsing instance (a host given) asks the privileged helper, which
 *	chooses the file by kind and passes the descriptor; a plugin on its
 *	own opens PATH, PATH.1 or PATH.0 read-only itself. Owns nothing: the
 *	descriptor is the caller's.
 * DIAGNOSTICS
 *	"LABEL PATH: strerror" (errno kept), "LABEL PATH: name too long"
 *	(ENAMETOOLONG), "LABEL: no such file kind N" (EINVAL).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/limits.h"
#include "mta_file.h"

int mta_file_open(const char *label, const char *path,
		  const struct mta_host *host, enum mta_file which, char *err,
		  size_t errlen)
{
	char name[LIMIT_PATH + 1];
	int fd;

	if (host != NULL)
		return host->open_file(host->arg, which, NULL, err, errlen);
	if (which == MTA_FILE_LOG_1 || which == MTA_FILE_LOG_0) {
		if ((size_t)snprintf(name, sizeof(name), "%s%s", path,
				     which == MTA_FILE_LOG_1 ? ".1" : ".0") >=
		    sizeof(name)) {
			snprintf(err, errlen, "%s %.200s: name too long", label,
				 path);
			errno = ENAMETOOLONG;
			return -1;
		}
		path = name;
	} else if (which != MTA_FILE_LOG) {
		snprintf(err, errlen, "%s: no such file kind %d", label,
			 (int)which);
		errno = EINVAL;
		return -1;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		snprintf(err, errlen, "%s %.300s: %s", label, path,
			 strerror(errno));
	return fd;
}
