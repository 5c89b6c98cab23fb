/*
 * NAME
 *	mta_file 3
 * SUMMARY
 *	open an MTA log file, or its rotated .1/.0, by kind
 * DESCRIPTION
 *	mta_file_open() is the one opener of MTA logs for both plugins: a
 *	parsing instance (a host given) asks the privileged helper, which
 *	chooses the file by kind and passes the descriptor; a plugin on its
 *	own opens PATH, PATH.1 or PATH.0 read-only itself.
 *
 *	mta_file_open_parts() opens a file or directory below a queue
 *	directory (Postfix's deferred/ and defer logs, Exim's input/ and -H
 *	files) one component at a time with O_NOFOLLOW; mta_file_slurp()
 *	reads such a file whole, up to a bound.
 *
 *	Owns nothing: descriptors and texts are the caller's.
 * DIAGNOSTICS
 *	"LABEL PATH: strerror" (errno kept), "LABEL PATH: name too long"
 *	(ENAMETOOLONG), "LABEL: no such file kind N" (EINVAL).
 */
#include <errno.h>
#include <stdlib.h>
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

int mta_file_open_parts(const char *base, char parts[][MTA_FILE_PART], size_t n,
			int dir)
{
	int fd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC), next;

	for (size_t i = 0; i < n && fd >= 0; i++) {
		int last = i + 1 == n;

		next = openat(fd, parts[i],
			      O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
				  (!last || dir ? O_DIRECTORY : O_NONBLOCK));
		close(fd);
		fd = next;
	}
	return fd;
}

char *mta_file_slurp(int fd, size_t max, size_t *len, int *cut)
{
	size_t cap = 4096;
	char *buf = malloc(cap + 1);
	ssize_t r = 1;

	*len = 0;
	*cut = 0;
	while (buf != NULL && *len < max) {
		if (*len == cap) {
			char *nb = realloc(buf, cap * 2 + 1);

			if (nb == NULL) {
				free(buf);
				return NULL;
			}
			buf = nb;
			cap *= 2;
		}
		r = read(fd, buf + *len, (cap < max ? cap : max) - *len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		*len += (size_t)r;
	}
	if (buf == NULL)
		return NULL;
	if (*len == max && r > 0) { /* full: is there more? */
		char c;

		while ((r = read(fd, &c, 1)) < 0 && errno == EINTR)
			;
		*cut = r > 0;
	}
	buf[*len] = '\0';
	return buf;
}
