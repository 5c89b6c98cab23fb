/*
 * NAME
 *	store_journal 3
 * SUMMARY
 *	the hold journal: an append-only, fsynced list of what retryd holds,
 *	readable when the store is not (retryctl release --all)
 * SYNOPSIS
 *	#include "store/store_journal.h"
 * DESCRIPTION
 *	Before retryd holds a batch (adoption, re-hold) it appends one line
 *	per queue id to state_dir/hold.journal,
 *	    hold MTA QUEUE_ID UNIX_TIME
 *	and fsyncs the file; a batch that cannot be journaled is not held
 *	(no-space mode). The journal is a superset of what retryd holds: it
 *	is never edited when a message leaves, only compacted: when it grows
 *	past LIMIT_JOURNAL_COMPACT and past twice what the held messages
 *	need (so a million held messages do not rewrite it every listing)
 *	the daemon rewrites it line by line (temp file, fsync, rename) with
 *	the ids the MTA still lists as held.
 *
 *	Whoever reads it must intersect it with the MTA's own list of held
 *	messages: an id in the journal that the MTA does not hold is gone
 *	already, and a held message not in the journal was held by someone
 *	else and is never touched.
 *
 *	A line is taken only when whole and well-formed (a crash or a full
 *	disk can leave a partial last line): anything else is skipped.
 * DIAGNOSTICS
 *	-1 with "hold journal PATH: what: why" in err.
 */
#include "store/store_journal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/atomic_file.h"

#define JOURNAL_TAG  "hold"
#define JOURNAL_LINE (LIMIT_MTA_NAME + LIMIT_QUEUE_ID + 48)

static int journal_path(const char *dir, char *path, size_t len, char *err,
			size_t errlen)
{
	if ((size_t)snprintf(path, len, "%s/%s", dir, STORE_JOURNAL_FILE) >=
	    len) {
		snprintf(err, errlen, "hold journal: state_dir name too long");
		return -1;
	}
	return 0;
}

/* A queue id as every plugin writes it: [0-9A-Za-z], bounded. */
static int journal_id_ok(const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || n > LIMIT_QUEUE_ID)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = id[i];
		if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
		      (c >= 'a' && c <= 'z') || c == '-'))
			return 0;
	}
	return id[0] != '-';
}

/* Write all of @param buf; @return 0 or -1 (errno). */
static int journal_write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, buf, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = ENOSPC;
			return -1;
		}
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

int store_journal_append(const char *dir, const char *mta,
			 const char *const *ids, size_t n, int64_t now,
			 char *err, size_t errlen)
{
	char path[LIMIT_PATH + 1], *buf;
	size_t len = 0, cap = n * JOURNAL_LINE + 1;
	int fd, rc = -1;

	if (n == 0)
		return 0;
	if (journal_path(dir, path, sizeof(path), err, errlen) < 0)
		return -1;
	if ((buf = malloc(cap)) == NULL) {
		snprintf(err, errlen, "hold journal %s: out of memory", path);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		len +=
		    (size_t)snprintf(buf + len, cap - len, "%s %s %s %lld\n",
				     JOURNAL_TAG, mta, ids[i], (long long)now);
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
		  0640);
	if (fd < 0) {
		snprintf(err, errlen, "hold journal %s: open: %s", path,
			 strerror(errno));
	} else if (journal_write_all(fd, buf, len) < 0 || fsync(fd) < 0) {
		snprintf(err, errlen, "hold journal %s: write: %s", path,
			 strerror(errno));
	} else {
		rc = 0;
	}
	if (fd >= 0 && close(fd) < 0 && rc == 0) {
		snprintf(err, errlen, "hold journal %s: close: %s", path,
			 strerror(errno));
		rc = -1;
	}
	free(buf);
	return rc;
}

static int journal_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

int store_journal_ids_add(struct store_journal_ids *j, const char *id)
{
	if (j->n == j->cap) {
		size_t cap = j->cap ? j->cap * 2 : 256;
		void *p = realloc(j->ids, cap * sizeof(*j->ids));

		if (p == NULL)
			return -1;
		j->ids = p;
		j->cap = cap;
	}
	snprintf(j->ids[j->n++], sizeof(j->ids[0]), "%s", id);
	return 0;
}

void store_journal_ids_sort(struct store_journal_ids *j)
{
	size_t w = 0;

	if (j->n == 0)
		return;
	qsort(j->ids, j->n, sizeof(j->ids[0]), journal_cmp);
	for (size_t i = 1; i < j->n; i++)
		if (strcmp(j->ids[i], j->ids[w]) != 0)
			memcpy(j->ids[++w], j->ids[i], sizeof(j->ids[0]));
	j->n = w + 1;
}

/* One line: "hold MTA ID TIME\n" for @param mta. @return 1 taken, 0 not. */
static int journal_parse(const char *line, const char *mta, char *id)
{
	char tag[8], m[LIMIT_MTA_NAME + 2], qid[LIMIT_QUEUE_ID + 2];
	long long t;
	int end = -1;

	if (strchr(line, '\n') == NULL)
		return 0; /* partial last line */
	if (sscanf(line, "%7s %16s %32s %lld\n%n", tag, m, qid, &t, &end) !=
		4 ||
	    end != (int)strlen(line) || strcmp(tag, JOURNAL_TAG) != 0 ||
	    strcmp(m, mta) != 0 || !journal_id_ok(qid) || t < 0)
		return 0;
	strcpy(id, qid);
	return 1;
}

long store_journal_read(const char *dir, const char *mta,
			struct store_journal_ids *out, char *err, size_t errlen)
{
	char path[LIMIT_PATH + 1], line[JOURNAL_LINE + 2],
	    id[LIMIT_QUEUE_ID + 2];
	FILE *fp;
	int bad = 0;

	memset(out, 0, sizeof(*out));
	if (journal_path(dir, path, sizeof(path), err, errlen) < 0)
		return -1;
	if ((fp = fopen(path, "re")) == NULL) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "hold journal %s: %s", path,
			 strerror(errno));
		return -1;
	}
	while (!bad && fgets(line, sizeof(line), fp) != NULL) {
		if (strchr(line, '\n') == NULL && !feof(fp)) {
			int c; /* an overlong line: skip the rest of it */
			while ((c = fgetc(fp)) != EOF && c != '\n')
				;
			continue;
		}
		if (!journal_parse(line, mta, id))
			continue;
		if (out->n >= LIMIT_JOURNAL_IDS) {
			snprintf(err, errlen,
				 "hold journal %s: more than %d ids", path,
				 LIMIT_JOURNAL_IDS);
			bad = 1;
		} else if (store_journal_ids_add(out, id) < 0) {
			snprintf(err, errlen, "hold journal %s: out of memory",
				 path);
			bad = 1;
		}
		if (out->n >= 2 * LIMIT_PASS_BATCH && out->n == out->cap)
			store_journal_ids_sort(
			    out); /* repeated ids: keep it small */
	}
	if (!bad && ferror(fp)) {
		snprintf(err, errlen, "hold journal %s: read error", path);
		bad = 1;
	}
	fclose(fp);
	if (bad) {
		store_journal_ids_free(out);
		return -1;
	}
	store_journal_ids_sort(out);
	return (long)out->n;
}

int store_journal_has(const struct store_journal_ids *j, const char *id)
{
	return j->n > 0 && bsearch(id, j->ids, j->n, sizeof(j->ids[0]),
				   journal_cmp) != NULL;
}

void store_journal_ids_free(struct store_journal_ids *j)
{
	free(j->ids);
	memset(j, 0, sizeof(*j));
}

int store_journal_compact(const char *dir, const char *mta,
			  int (*keep)(const char *id, void *arg), void *arg,
			  size_t min_bytes, int64_t now, char *err,
			  size_t errlen)
{
	char path[LIMIT_PATH + 1], line[JOURNAL_LINE + 2],
	    id[LIMIT_QUEUE_ID + 2];
	struct atomic_file af;
	struct stat sb;
	FILE *fp;

	if (journal_path(dir, path, sizeof(path), err, errlen) < 0)
		return -1;
	if (min_bytes < LIMIT_JOURNAL_COMPACT)
		min_bytes = LIMIT_JOURNAL_COMPACT;
	if (stat(path, &sb) != 0 || sb.st_size <= (off_t)min_bytes)
		return 0;
	if ((fp = fopen(path, "re")) == NULL) {
		snprintf(err, errlen, "hold journal %s: %s", path,
			 strerror(errno));
		return -1;
	}
	if (atomic_file_open(&af, path, 0640, err, errlen) < 0) {
		fclose(fp);
		return -1;
	}
	/* line by line: memory does not grow with the journal */
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (strchr(line, '\n') == NULL && !feof(fp)) {
			int c; /* an overlong line: skip the rest of it */
			while ((c = fgetc(fp)) != EOF && c != '\n')
				;
			continue;
		}
		if (journal_parse(line, mta, id) && keep(id, arg))
			fprintf(af.fp, "%s %s %s %lld\n", JOURNAL_TAG, mta, id,
				(long long)now);
	}
	if (ferror(fp)) {
		fclose(fp);
		snprintf(err, errlen, "hold journal %s: read error", path);
		atomic_file_abort(&af);
		return -1;
	}
	fclose(fp);
	return atomic_file_commit(&af, err, errlen) < 0 ? -1 : 1;
}
