/*
 * NAME
 *	exim_spool 3
 * SUMMARY
 *	Exim's spool for exim.so: msglogs, -H files, and discovery from
 *	the input directory after a gap in the main log
 * SYNOPSIS
 *	#include "exim_spool.h"
 * DESCRIPTION
 *	exim_spool_open() opens a spool file by kind, never by path: a
 *	message's msglog (SPOOL/msglog[/H]/ID), the input directory
 *	(SPOOL/input, or its split_spool_directory subdirectory input/H)
 *	or a message's -H file (input[/H]/ID-H). A parsing instance asks
 *	the privileged helper (which re-checks the spec, priv_qspec_ok, and
 *	calls this same function in its own instance); the helper's
 *	instance builds the path under the spool_directory exim -bP gave at
 *	open and opens it one component at a time with O_NOFOLLOW
 *	(mta_file_open_parts): no symbolic link is followed below the spool.
 *
 *	exim_spool_msglog_reasons() reads the last LIMIT_MSGLOG_TAIL bytes
 *	of a msglog for each recipient's last defer reason (the full
 *	listing does the same for every message not frozen).
 *
 *	exim_spool_discover() is discovery after a gap in the main log
 *	(lines rotated away or truncated): instead of a full listing
 *	(exim -bpr, which reads every -H file), it reads the NAMES in the
 *	input directory (and in its one-character subdirectories when the
 *	spool is split; Exim itself looks in both) and, for each "ID-H"
 *	whose id is valid and not known (exim_known.h: told by the last
 *	complete full listing or by a discovery since), reads that -H file
 *	(at most LIMIT_EXIM_SPOOL_HEADER bytes; exim_spool_hdr.c) and, when
 *	not frozen, its msglog's defer reasons. A message that is frozen or
 *	has deferrals goes into the call's table as its == lines would
 *	have; one never deferred yet (in delivery, or queued) is left to
 *	the log. Cost: one readdir of the input directory plus one -H (and
 *	msglog) per message unknown to the daemon, not a process listing
 *	every message.
 *
 *	A -H file that vanished meanwhile (delivered) is skipped. One that
 *	cannot be opened or is malformed is logged and makes the call
 *	partial (the caller then reconciles with a full listing, so
 *	nothing is lost); so does a full table (LIMIT_DISCOVER_MESSAGES).
 *
 *	Owns: the descriptors, directory streams and texts of one call.
 * DIAGNOSTICS
 *	"exim spool: input/ID-H: WHY (a full listing reconciles)" (warn);
 *	err "spool: input[/H]: why" when a directory cannot be read.
 * SECURITY
 *	The daemon's instance never names a path: it sends a spec the
 *	helper re-checks and exim_spool_parts() checks again. Names read
 *	from the directories are used only when they are a valid Exim id
 *	with "-H", or one base-62 character (a split subdirectory). The
 *	-H text is parsed as hostile (exim_spool_hdr.c), unprivileged.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/limits.h"
#include "util/log.h"
#include "exim_id.h"
#include "exim_queue.h"
#include "exim_spool.h"

/* 1 for [0-9A-Za-z]: a split spool's subdirectory name. */
static int spool_hash_char(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
	       (c >= 'a' && c <= 'z');
}

int exim_spool_parts(enum mta_file which, const char *spec,
		     char parts[][MTA_FILE_PART], size_t *n)
{
	size_t len = spec ? strnlen(spec, EXIM_SPOOL_SPEC + 1) : 0;
	const char *id = spec;

	*n = 0;
	if (len > EXIM_SPOOL_SPEC)
		return -1;
	if (which == MTA_FILE_SPOOL_INPUT) {
		if (len > 1 || (len == 1 && !spool_hash_char(spec[0])))
			return -1;
	} else if (which == MTA_FILE_SPOOL_HEADER) {
		if (len > 2 && spec[1] == '.') {
			if (!spool_hash_char(spec[0]))
				return -1;
			id = spec + 2;
		}
		if (len == 0 || !exim_id_valid(id))
			return -1;
	} else {
		return -1;
	}
	snprintf(parts[(*n)++], MTA_FILE_PART, "input");
	if (spec != NULL && id != spec) {
		parts[*n][0] = spec[0];
		parts[(*n)++][1] = '\0';
	} else if (which == MTA_FILE_SPOOL_INPUT && len == 1) {
		parts[*n][0] = spec[0];
		parts[(*n)++][1] = '\0';
	}
	if (which == MTA_FILE_SPOOL_HEADER)
		snprintf(parts[(*n)++], MTA_FILE_PART, "%s-H", id);
	return 0;
}

int exim_spool_open(const struct exim_state *st, enum mta_file which,
		    const char *spec, char *err, size_t errlen)
{
	char parts[4][MTA_FILE_PART];
	size_t n;
	int fd;

	if (st->host != NULL)
		return st->host->open_file(st->host->arg, which, spec, err,
					   errlen);
	if (which == MTA_FILE_MSGLOG) {
		if (spec == NULL || !exim_id_valid(spec))
			goto refused;
		n = 0;
		snprintf(parts[n++], MTA_FILE_PART, "msglog");
		if (st->split_spool)
			snprintf(parts[n++], MTA_FILE_PART, "%c",
				 spec[EXIM_ID_TIME_LEN - 1]);
		snprintf(parts[n++], MTA_FILE_PART, "%s", spec);
	} else if (exim_spool_parts(which, spec, parts, &n) < 0) {
		goto refused;
	}
	if (st->spool == NULL) {
		snprintf(err, errlen, "exim: spool_directory unknown");
		errno = ENOENT;
		return -1;
	}
	fd = mta_file_open_parts(st->spool, parts, n,
				 which == MTA_FILE_SPOOL_INPUT);
	if (fd < 0) {
		int e = errno;

		snprintf(err, errlen, "%.300s/%s%s%s%s%s: %s", st->spool,
			 parts[0], n > 1 ? "/" : "", n > 1 ? parts[1] : "",
			 n > 2 ? "/" : "", n > 2 ? parts[2] : "", strerror(e));
		errno = e;
	}
	return fd;
refused:
	snprintf(err, errlen, "exim: spool file spec \"%.60s\" refused",
		 spec ? spec : "");
	errno = EINVAL;
	return -1;
}

void exim_spool_msglog_reasons(const struct exim_state *st,
			       struct mta_message *m, char *buf, long tzoff)
{
	struct stat sb;
	off_t from = 0;
	ssize_t got;
	char why[256];
	int fd;

	fd =
	    exim_spool_open(st, MTA_FILE_MSGLOG, m->queue_id, why, sizeof(why));
	if (fd < 0)
		return; /* gone meanwhile, or message_logs = false */
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return;
	}
	if (sb.st_size > LIMIT_MSGLOG_TAIL)
		from = sb.st_size - LIMIT_MSGLOG_TAIL;
	got = pread(fd, buf, LIMIT_MSGLOG_TAIL, from);
	close(fd);
	if (got > 0)
		exim_queue_apply_msglog(m, buf, (size_t)got, from > 0, tzoff);
}

/* The walk of one call. */
struct swalk {
	struct exim_state *st;
	struct mta_discover *t;
	char *buf; /* LIMIT_MSGLOG_TAIL bytes */
	long tzoff;
	int partial;
	size_t nread;
};

/* The -H text of @param id (input[/hash]), or NULL: *gone when it left. */
static char *spool_read_hdr(struct swalk *w, const char *hash, const char *id,
			    size_t *len, int *gone)
{
	char spec[EXIM_SPOOL_SPEC + 1], why[400];
	struct stat sb;
	char *text;
	int fd, cut = 0;

	*gone = 0;
	snprintf(spec, sizeof(spec), "%s%s%s", hash, hash[0] ? "." : "", id);
	if ((fd = exim_spool_open(w->st, MTA_FILE_SPOOL_HEADER, spec, why,
				  sizeof(why))) < 0) {
		if (errno == ENOENT)
			*gone = 1; /* delivered meanwhile */
		else
			log_warn("exim spool: %s (a full listing reconciles)",
				 why);
		return NULL;
	}
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		log_warn("exim spool: input/%s-H: not a regular file (a full "
			 "listing reconciles)",
			 id);
		return NULL;
	}
	text = mta_file_slurp(fd, LIMIT_EXIM_SPOOL_HEADER, len, &cut);
	close(fd);
	if (text == NULL)
		w->t->nomem = 1;
	w->nread++;
	return text;
}

/* One message the daemon does not know: its -H file, maybe its msglog. */
static void spool_message(struct swalk *w, const char *hash, const char *id)
{
	struct mta_discover_msg *dm;
	struct mta_message m;
	const char *why;
	size_t len;
	char *text;
	int rc, gone;

	if ((text = spool_read_hdr(w, hash, id, &len, &gone)) == NULL) {
		w->partial |= !gone;
		return;
	}
	rc = exim_spool_hdr_parse(text, len, id, &m, &why);
	free(text);
	if (rc == -2) {
		w->t->nomem = 1;
		return;
	}
	if (rc < 0) {
		log_warn("exim spool: input/%s%s%s-H: %s (a full listing "
			 "reconciles)",
			 hash, hash[0] ? "/" : "", id, why);
		w->partial = 1;
		return;
	}
	if (rc == 0 && !m.held)
		exim_spool_msglog_reasons(w->st, &m, w->buf, w->tzoff);
	if (rc == 0 && (m.held || m.deferred) && m.nrcpts > 0) {
		if ((dm = mta_discover_get(w->t, id, 1)) == NULL) {
			w->partial = 1; /* the bound, or out of memory */
		} else {
			mta_discover_sender(w->t, dm, m.sender,
					    strlen(m.sender));
			for (size_t i = 0; i < m.nrcpts; i++)
				mta_discover_defer(w->t, dm, m.rcpts[i].address,
						   m.rcpts[i].reason,
						   m.arrival);
			dm->held = m.held;
		}
	}
	free(m.rcpts);
}

/* input[/hash]: the -H names, and (at the top) the split subdirectories. */
static int spool_walk(struct swalk *w, const char *hash, char *err,
		      size_t errlen)
{
	char id[LIMIT_QUEUE_ID + 1];
	struct dirent *de;
	DIR *d;
	int fd, rc = 0;

	fd = exim_spool_open(w->st, MTA_FILE_SPOOL_INPUT, hash[0] ? hash : NULL,
			     err, errlen);
	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0) {
			snprintf(err, errlen, "spool: input/%s: %s", hash,
				 strerror(errno));
			close(fd);
		}
		return -1;
	}
	while (rc == 0 && !w->t->nomem && !mta_discover_full(w->t) &&
	       (de = readdir(d)) != NULL) {
		const char *name = de->d_name;
		size_t n = strnlen(name, sizeof(id) + 2);

		if (n > 2 && n - 2 < sizeof(id) &&
		    memcmp(name + n - 2, "-H", 2) == 0) {
			memcpy(id, name, n - 2);
			id[n - 2] = '\0';
			if (exim_id_valid(id) &&
			    !exim_known_has(&w->st->known, id) &&
			    mta_discover_get(w->t, id, 0) == NULL)
				spool_message(w, hash, id);
		} else if (hash[0] == '\0' && n == 1 &&
			   spool_hash_char(name[0])) {
			rc = spool_walk(w, name, err, errlen);
		}
	}
	if (mta_discover_full(w->t))
		w->partial = 1;
	closedir(d);
	return rc;
}

int exim_spool_discover(struct exim_state *st, struct mta_discover *t,
			size_t *nread, char *err, size_t errlen)
{
	struct swalk w = {.st = st, .t = t, .tzoff = exim_tzoff()};
	int rc;

	*nread = 0;
	if ((w.buf = malloc(LIMIT_MSGLOG_TAIL)) == NULL) {
		t->nomem = 1;
		snprintf(err, errlen, "spool: out of memory");
		return -1;
	}
	rc = spool_walk(&w, "", err, errlen);
	free(w.buf);
	*nread = w.nread;
	if (rc == 0 && t->nomem) {
		snprintf(err, errlen, "spool: out of memory");
		rc = -1;
	}
	return rc < 0 ? -1 : w.partial;
}
