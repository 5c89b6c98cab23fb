/*
 * NAME
 *	atomic_file 3
 * SUMMARY
 *	temp file, fsync, rename, fsync the directory: the one atomic writer
 * SYNOPSIS
 *	#include "util/atomic_file.h"
 * DESCRIPTION
 *	atomic_file_open() creates PATH.tmp.PID.N beside the target with
 *	O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC (a name that exists, a symlink
 *	planted there included, is never opened: the next N is tried, at
 *	most ATOMIC_FILE_TRIES times). atomic_file_commit() flushes, fsyncs
 *	and closes the file, renames it over the target (so a reader sees
 *	the old or the new file whole) and fsyncs the directory so the new
 *	name survives a crash. Every writer outside Berkeley DB (reports,
 *	exported tables, the MTA log cursors) goes through here.
 *	atomic_file_read() is the one reader of such a small state file
 *	(a log position): absent is not an error, too long is.
 *
 *	Owns: the temp file and its FILE until commit or abort.
 * DIAGNOSTICS
 *	-1 with "PATH: step: strerror" in err; the temp file is removed and
 *	the target is untouched. A directory that cannot be fsync'ed after
 *	the rename is not an error (the data is written; only the name may
 *	be lost to a crash).
 * SECURITY
 *	O_NOFOLLOW|O_EXCL on the temp name; rename() replaces a symlink at
 *	the target, never follows it.
 */
#include "util/atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <string.h>
#include <unistd.h>

#define ATOMIC_FILE_TRIES 16 /* temp names tried when one exists */

/* The directory part of @param path ("." when none). */
static void atomic_file_dir(const char *path, char *dir, size_t dirlen)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		snprintf(dir, dirlen, ".");
	else if (slash == path)
		snprintf(dir, dirlen, "/");
	else
		snprintf(dir, dirlen, "%.*s", (int)(slash - path), path);
}

int atomic_file_open(struct atomic_file *af, const char *path, mode_t mode,
		     char *err, size_t errlen)
{
	int fd = -1;

	af->fp = NULL;
	af->tmp[0] = '\0';
	if (strlen(path) > LIMIT_PATH) {
		snprintf(err, errlen, "%.200s...: path too long", path);
		return -1;
	}
	snprintf(af->path, sizeof(af->path), "%s", path);
	for (int i = 0; i < ATOMIC_FILE_TRIES && fd < 0; i++) {
		snprintf(af->tmp, sizeof(af->tmp), "%s.tmp.%ld.%d", path,
			 (long)getpid(), i);
		fd = open(af->tmp,
			  O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			  mode);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	if (fd < 0) {
		snprintf(err, errlen, "%.400s: create: %s", af->tmp,
			 strerror(errno));
		return -1;
	}
	/* exactly @param mode, whatever the umask (the daemon's is 027) */
	(void)fchmod(fd, mode);
	if ((af->fp = fdopen(fd, "w")) == NULL) {
		snprintf(err, errlen, "%.400s: %s", af->tmp, strerror(errno));
		close(fd);
		unlink(af->tmp);
		return -1;
	}
	return 0;
}

void atomic_file_abort(struct atomic_file *af)
{
	if (af->fp != NULL) {
		fclose(af->fp);
		af->fp = NULL;
		unlink(af->tmp);
	}
}

int atomic_file_commit(struct atomic_file *af, char *err, size_t errlen)
{
	char dir[LIMIT_PATH + 1];
	const char *step = NULL;
	int dfd, saved = 0;

	if (fflush(af->fp) != 0)
		step = "write";
	else if (fsync(fileno(af->fp)) < 0)
		step = "fsync";
	saved = errno;
	if (fclose(af->fp) != 0 && step == NULL) {
		step = "close";
		saved = errno;
	}
	af->fp = NULL;
	if (step == NULL && rename(af->tmp, af->path) < 0) {
		step = "rename";
		saved = errno;
	}
	if (step != NULL) {
		snprintf(err, errlen, "%.400s: %s: %s", af->tmp, step,
			 strerror(saved));
		unlink(af->tmp);
		return -1;
	}
	atomic_file_dir(af->path, dir, sizeof(dir));
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	return 0;
}

int atomic_file_read(const char *path, char *buf, size_t cap, size_t *len,
		     char *err, size_t errlen)
{
	ssize_t got = 0;
	size_t n = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	*len = 0;
	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0) {
		snprintf(err, errlen, "%.400s: %s", path, strerror(errno));
		return -1;
	}
	while (n < cap && (got = read(fd, buf + n, cap - n)) > 0)
		n += (size_t)got;
	close(fd);
	if (got < 0) {
		snprintf(err, errlen, "%.400s: %s", path, strerror(errno));
		return -1;
	}
	if (n == cap) {
		snprintf(err, errlen, "%.400s: longer than %zu bytes", path,
			 cap - 1);
		return -1;
	}
	buf[n] = '\0';
	*len = n;
	return 1;
}

int atomic_file_write(const char *path, const void *data, size_t len,
		      mode_t mode, char *err, size_t errlen)
{
	struct atomic_file af;

	if (atomic_file_open(&af, path, mode, err, errlen) < 0)
		return -1;
	if (len > 0 && fwrite(data, 1, len, af.fp) != len) {
		snprintf(err, errlen, "%.400s: write: %s", af.tmp,
			 strerror(errno));
		atomic_file_abort(&af);
		return -1;
	}
	return atomic_file_commit(&af, err, errlen);
}
