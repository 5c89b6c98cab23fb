/*
 * NAME
 *	postfix_qdir 3
 * SUMMARY
 *	discovery from Postfix's deferred queue directory after a log gap
 * SYNOPSIS
 *	#include "postfix_cmd.h"
 * DESCRIPTION
 *	When lines of the log may be missing (no saved position, the log
 *	truncated, or rotated with the old file gone), postfix_discover()
 *	reads the deferred queue instead of asking for a full listing:
 *	postfix_qdir_discover() lists the names in QUEUE_DIR/deferred and
 *	its hash subdirectories (one character each, hash_queue_depth
 *	levels, at most MTA_QDIR_DEPTH), and for each queue id reads its
 *	defer log QUEUE_DIR/defer/SAME-HASH/ID, the "name=value" records
 *	Postfix's bounce daemon keeps per deferred recipient:
 *
 *	    recipient=ADDRESS        a pending recipient
 *	    reason=TEXT              why it was deferred
 *	    (an empty line ends a record)
 *
 *	Each becomes a deferred recipient of the discovery table, as a
 *	"status=deferred" log line would (arrival and sender unknown). Only
 *	deferred/ is read: hold/ holds what retryd (or an operator) held,
 *	which the daemon knows or must not adopt, and a message released
 *	meanwhile is back in deferred/. A message in active/ or incoming/
 *	is logged again when it is deferred next.
 *
 *	A spec names a directory or a defer log, never a path (plugin.h):
 *	postfix_qdir_parts() checks it and splits it into the path
 *	components under QUEUE_DIR ("deferred", "A", "B" or "defer", "A",
 *	"ID"). postfix_qdir_open() opens them one by one (openat,
 *	O_NOFOLLOW: no symbolic link is followed below QUEUE_DIR) when the
 *	plugin runs things itself, or asks the privileged helper, whose own
 *	instance of this plugin does the same from its own queue_directory
 *	(postconf -h queue_directory at open).
 *
 *	Owns: the descriptors and the directory stream of one call.
 * DIAGNOSTICS
 *	postfix_qdir_discover() returns 1 when the queue was not read to
 *	the end (LIMIT_DISCOVER_MESSAGES ids gathered, a defer log missing
 *	or unreadable): the caller then keeps the gap and reconciles with a
 *	full listing; -1 with "deferred queue: why" in err when it cannot
 *	be read at all.
 * SECURITY
 *	The daemon's instance never names a path: it sends a spec the
 *	helper re-checks (priv_qspec_ok) and this file checks again before
 *	building the path. Names read from the directories are used only
 *	when they are a valid queue id or a single hash character.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/limits.h"
#include "mta_discover.h"
#include "mta_file.h"
#include "postfix_cmd.h"
#include "postfix_id.h"
#include "postfix_queue.h"

/* 1 for [0-9A-Za-z]: one hash level's directory name. */
static int qdir_hash_char(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
	       (c >= 'a' && c <= 'z');
}

int postfix_qdir_parts(enum mta_file which, const char *spec,
		       char parts[][POSTFIX_QDIR_PART], size_t *n)
{
	const char *dot = NULL, *id = NULL;
	size_t h, len = spec ? strnlen(spec, POSTFIX_QDIR_SPEC + 1) : 0;

	*n = 0;
	if (len > POSTFIX_QDIR_SPEC ||
	    (which != MTA_FILE_QDIR_DEFERRED && which != MTA_FILE_DEFER_LOG))
		return -1;
	if (which == MTA_FILE_DEFER_LOG) {
		if (len == 0)
			return -1;
		dot = memchr(spec, '.', len);
		id = dot ? dot + 1 : spec;
		if (!postfix_id_valid(id) || (dot && dot == spec))
			return -1;
	}
	h = which == MTA_FILE_DEFER_LOG ? (dot ? (size_t)(dot - spec) : 0)
					: len;
	if (h > MTA_QDIR_DEPTH)
		return -1;
	snprintf(parts[(*n)++], POSTFIX_QDIR_PART, "%s",
		 which == MTA_FILE_DEFER_LOG ? "defer" : "deferred");
	for (size_t i = 0; i < h; i++) {
		if (!qdir_hash_char(spec[i]))
			return -1;
		parts[*n][0] = spec[i];
		parts[(*n)++][1] = '\0';
	}
	if (id != NULL)
		snprintf(parts[(*n)++], POSTFIX_QDIR_PART, "%s", id);
	return 0;
}

int postfix_qdir_open(const struct postfix_state *st, enum mta_file which,
		      const char *spec, char *err, size_t errlen)
{
	char parts[MTA_QDIR_DEPTH + 2][POSTFIX_QDIR_PART];
	size_t n;
	int fd;

	if (st->host != NULL)
		return st->host->open_file(st->host->arg, which, spec, err,
					   errlen);
	if (postfix_qdir_parts(which, spec, parts, &n) < 0) {
		snprintf(err, errlen, "queue file spec \"%.40s\" refused",
			 spec ? spec : "");
		errno = EINVAL;
		return -1;
	}
	if (st->queue_dir == NULL) {
		snprintf(err, errlen, "queue_directory unknown (postconf)");
		errno = ENOENT;
		return -1;
	}
	fd = mta_file_open_parts(st->queue_dir, parts, n,
				 which == MTA_FILE_QDIR_DEFERRED);
	if (fd < 0)
		snprintf(err, errlen, "%.200s/%s/%.40s: %s", st->queue_dir,
			 parts[0], spec ? spec : "", strerror(errno));
	return fd;
}

/* One defer log's records into the table as deferred recipients. */
void postfix_qdir_records(struct mta_discover *t, struct mta_discover_msg *m,
			  char *text)
{
	char rcpt[LIMIT_ADDRESS + 1] = "", *reason = NULL, *line, *save = NULL;

	for (line = strtok_r(text, "\n", &save);;
	     line = strtok_r(NULL, "\n", &save)) {
		/* strtok_r skips empty lines: a record ends at the next
		 * recipient= or at the end */
		if (line == NULL || strncmp(line, "recipient=", 10) == 0) {
			if (rcpt[0])
				mta_discover_defer(t, m, rcpt,
						   reason ? reason : "", 0);
			rcpt[0] = '\0';
			reason = NULL;
			if (line == NULL)
				return;
			if (postfix_queue_address_ok(line + 10,
						     strlen(line + 10)))
				snprintf(rcpt, sizeof(rcpt), "%s", line + 10);
		} else if (strncmp(line, "reason=", 7) == 0) {
			reason = line + 7;
		}
	}
}

/* The walk of one call. */
struct qwalk {
	const struct postfix_state *st;
	struct mta_discover *t;
	int partial; /* something not read: the caller keeps the gap */
	char *err;
	size_t errlen;
};

static void qdir_message(struct qwalk *w, const char *hash, const char *id)
{
	char spec[POSTFIX_QDIR_SPEC + 1], why[256];
	struct mta_discover_msg *m;
	char *text;
	size_t len;
	int fd, cut;

	snprintf(spec, sizeof(spec), "%s%s%s", hash, hash[0] ? "." : "", id);
	if ((m = mta_discover_get(w->t, id, 1)) == NULL) {
		w->partial = 1; /* the bound, or out of memory */
		return;
	}
	if ((fd = postfix_qdir_open(w->st, MTA_FILE_DEFER_LOG, spec, why,
				    sizeof(why))) < 0) {
		w->partial = 1; /* moving, or no defer log: the listing */
		return;
	}
	text = mta_file_slurp(fd, LIMIT_DEFER_LOG_BYTES, &len, &cut);
	close(fd);
	if (text == NULL) {
		w->t->nomem = 1;
		return;
	}
	postfix_qdir_records(w->t, m, text);
	free(text);
}

/* deferred/HASH: queue ids, and the next hash level's directories. */
static int qdir_walk(struct qwalk *w, char *hash, size_t depth)
{
	int fd = postfix_qdir_open(w->st, MTA_FILE_QDIR_DEFERRED,
				   depth ? hash : NULL, w->err, w->errlen);
	struct dirent *de;
	DIR *d;
	int rc = 0;

	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0) {
			snprintf(w->err, w->errlen, "deferred/%s: %s", hash,
				 strerror(errno));
			close(fd);
		}
		return -1;
	}
	while (rc == 0 && !w->partial && !w->t->nomem &&
	       (de = readdir(d)) != NULL) {
		const char *name = de->d_name;

		if (postfix_id_valid(name))
			qdir_message(w, hash, name);
		else if (qdir_hash_char(name[0]) && name[1] == '\0' &&
			 depth == MTA_QDIR_DEPTH)
			w->partial = 1; /* deeper than we read: the listing */
		else if (qdir_hash_char(name[0]) && name[1] == '\0') {
			hash[depth] = name[0];
			hash[depth + 1] = '\0';
			rc = qdir_walk(w, hash, depth + 1);
			hash[depth] = '\0';
		}
	}
	closedir(d);
	return rc;
}

int postfix_qdir_discover(const struct postfix_state *st,
			  struct mta_discover *t, char *err, size_t errlen)
{
	struct qwalk w = {.st = st, .t = t, .err = err, .errlen = errlen};
	char hash[MTA_QDIR_DEPTH + 1] = "";

	if (qdir_walk(&w, hash, 0) < 0)
		return -1;
	if (t->nomem) {
		snprintf(err, errlen, "deferred queue: out of memory");
		return -1;
	}
	return w.partial;
}
