/*
 * NAME
 *	postfix_clone 1
 * SUMMARY
 *	test tool: multiply one deferred Postfix message into many real ones
 * SYNOPSIS
 *	postfix_clone QUEUE_FILE DEFER_LOG COUNT
 * DESCRIPTION
 *	QUEUE_FILE is a message of a Postfix deferred queue
 *	(QUEUE/deferred/H/ID), DEFER_LOG its defer log (QUEUE/defer/H/ID).
 *	Writes COUNT copies of both beside them, byte for byte, with the
 *	owner, group, mode, access and modification times of the originals
 *	(a deferred message's modification time is its next retry time; mode
 *	0700 marks it complete). Each copy gets a temporary name that keeps
 *	the id's time part and carries an impossible inode number (at least
 *	2^44 for short ids, at least 51^10 in eleven base-51 digits for
 *	long ones), so it can
 *	never be another message's real name; then `postsuper -s` (short
 *	ids) or `postsuper -S` (long ids, enable_long_queue_ids = yes)
 *	renames every copy and its defer log to the queue id that matches the
 *	copy's inode, as after restoring a queue from backup (Postfix's
 *	postsuper.c fix_queue_id). The time part, hence the hash directory
 *	(hash_queue_depth), is the original's, so the copies belong in the
 *	same directories.
 *
 *	Copies carry the original's headers (Message-ID, Received with the
 *	original's id): Postfix does not care; the queue ids differ.
 *	Run it while nothing scans the deferred queue (Postfix may run; the
 *	lab's queue_run_delay is an hour): a queue manager picking up a copy
 *	before postsuper renamed it would deliver it under its temporary id.
 *	tests/bench/postfix_fill.sh drives it.
 * DIAGNOSTICS
 *	"postfix_clone: what: reason" and exit 1 (copies written so far stay:
 *	they are complete messages); exit 2 on bad usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CLONE_FILE_MAX	 (4 * 1024 * 1024) /* a template larger: refused */
#define CLONE_COUNT_MAX	 16000000ul	   /* copies of one template */
#define CLONE_NAME	 256
#define CLONE_SHORT_TIME 5  /* short id: 5 hex digits of microseconds */
#define CLONE_LONG_TIME	 10 /* long id: at least 10 characters of time */

/* one template file: its bytes and its attributes */
struct clone_src {
	const char *path;
	char *dir;  /* its directory (allocated) */
	char *data; /* its bytes (allocated) */
	size_t len;
	struct stat st;
};

static int clone_fail(const char *what, const char *why)
{
	fprintf(stderr, "postfix_clone: %s: %s\n", what, why);
	return -1;
}

/* clone_read: the template's bytes and attributes into src. */
static int clone_read(struct clone_src *src, const char *path)
{
	int fd;
	ssize_t n;
	const char *slash;

	memset(src, 0, sizeof(*src));
	src->path = path;
	if ((fd = open(path, O_RDONLY)) < 0 || fstat(fd, &src->st) < 0)
		return clone_fail(path, strerror(errno));
	if (!S_ISREG(src->st.st_mode) || src->st.st_size > CLONE_FILE_MAX) {
		close(fd);
		return clone_fail(path, "not a regular file of at most 4 MiB");
	}
	src->len = (size_t)src->st.st_size;
	src->data = malloc(src->len + 1);
	n = src->data ? read(fd, src->data, src->len) : -1;
	close(fd);
	if (n < 0 || (size_t)n != src->len)
		return clone_fail(path, n < 0 ? strerror(errno) : "short read");
	slash = strrchr(path, '/');
	src->dir = slash ? strndup(path, (size_t)(slash - path)) : strdup(".");
	return src->dir ? 0 : clone_fail(path, "out of memory");
}

/* clone_long_inum: eleven base-51 digits of Postfix's safe alphabet (no
 * vowels, no 'z') for VALUE into out. */
static void clone_long_inum(char *out, uint64_t value)
{
	static const char alpha[] =
	    "0123456789BCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxy";
	int i;

	for (i = 10; i >= 0; i--) {
		out[i] = alpha[value % 51];
		value /= 51;
	}
	out[11] = 0;
}

/* clone_name: the temporary name of copy I of template ID (inode INO)
 * into out; -1 when ID is neither a short nor a long queue id. */
static int clone_name(char *out, const char *id, uint64_t ino, uint64_t i)
{
	const char *z = strrchr(id, 'z');
	char inum[16];
	size_t len = strlen(id);

	if (z && z - id >= CLONE_LONG_TIME) {
		/* long: TIME z INODE, INODE >= 51^10 > 2^32 inodes, < 51^11 */
		clone_long_inum(inum,
				119042423827613001ull + ino * 16777216ull + i);
		snprintf(out, CLONE_NAME, "%.*sz%s", (int)(z - id), id, inum);
		return 0;
	}
	if (len <= CLONE_SHORT_TIME || strspn(id, "0123456789ABCDEF") != len)
		return -1;
	snprintf(out, CLONE_NAME, "%.*s%llX", CLONE_SHORT_TIME, id,
		 (unsigned long long)((1ull << 44) + ino * 16777216ull + i));
	return 0;
}

/* clone_write: one copy of SRC named NAME in its directory. */
static int clone_write(const struct clone_src *src, const char *name)
{
	char path[2 * CLONE_NAME + 4096];
	struct timespec times[2] = {src->st.st_atim, src->st.st_mtim};
	int fd, ok;

	snprintf(path, sizeof(path), "%s/%s", src->dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0)
		return clone_fail(path, strerror(errno));
	ok = write(fd, src->data, src->len) == (ssize_t)src->len &&
	     fchown(fd, src->st.st_uid, src->st.st_gid) == 0 &&
	     fchmod(fd, src->st.st_mode & 07777) == 0 &&
	     futimens(fd, times) == 0;
	if (!ok) {
		clone_fail(path, strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	return close(fd) == 0 ? 0 : clone_fail(path, strerror(errno));
}

int main(int argc, char **argv)
{
	struct clone_src q, d;
	const char *id, *did;
	char name[CLONE_NAME], *end;
	unsigned long count, i;

	if (argc != 4) {
		fprintf(stderr,
			"usage: postfix_clone QUEUE_FILE DEFER_LOG COUNT\n");
		return 2;
	}
	errno = 0;
	count = strtoul(argv[3], &end, 10);
	if (errno || *end || end == argv[3] || count > CLONE_COUNT_MAX) {
		fprintf(stderr, "postfix_clone: COUNT: 0 to %lu\n",
			CLONE_COUNT_MAX);
		return 2;
	}
	id = strrchr(argv[1], '/') ? strrchr(argv[1], '/') + 1 : argv[1];
	did = strrchr(argv[2], '/') ? strrchr(argv[2], '/') + 1 : argv[2];
	if (strcmp(id, did) != 0 || strlen(id) >= CLONE_NAME - 16) {
		fprintf(stderr, "postfix_clone: %s and %s: not one queue id\n",
			argv[1], argv[2]);
		return 2;
	}
	if (clone_read(&q, argv[1]) < 0 || clone_read(&d, argv[2]) < 0)
		return 1;
	if (clone_name(name, id, q.st.st_ino, 0) < 0) {
		clone_fail(id, "not a Postfix queue id (short or long)");
		return 1;
	}
	if (!(q.st.st_mode & S_IXUSR)) {
		clone_fail(argv[1],
			   "not a complete message (mode without 0100)");
		return 1;
	}
	/* the defer log first: a copy never lacks its reasons */
	for (i = 0; i < count; i++) {
		clone_name(name, id, q.st.st_ino, i);
		if (clone_write(&d, name) < 0 || clone_write(&q, name) < 0)
			return 1;
	}
	free(q.data), free(q.dir), free(d.data), free(d.dir);
	return 0;
}
