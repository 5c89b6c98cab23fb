/*
 * NAME
 *	postfix_kick 3
 * SUMMARY
 *	deliver released mail now without one flush request per id: the
 *	hold files' time set to now, then ONE deferred queue scan asked of
 *	the queue manager
 * SYNOPSIS
 *	#include "postfix_cmd.h"
 * DESCRIPTION
 *	postsuper -H moves a held file to deferred/ with its time unchanged:
 *	the queue manager's next-retry time, often an hour ahead, so only a
 *	flush (send_file per id, postfix_flush.c) or "postqueue -f" (every
 *	deferred message) had it tried now. send_file costs one connection
 *	and one flush process turn per id: ~1.7 s per 1,000 ids on the lab
 *	box under load, longer than Postfix takes to deliver them.
 *
 *	postfix_kick_touch(), BEFORE postsuper -H, does to each held file
 *	what the flush server's flush_one_file() does to a deferred one:
 *	QUEUE_DIR/hold/ID (openat below hold/, O_NOFOLLOW, a regular file
 *	whose owner bits say it is complete: MAIL_QUEUE_STAT_READY) gets its
 *	access and modification times set to now (due now) and the
 *	group-read bit (MAIL_QUEUE_STAT_UNTHROTTLE: the queue manager
 *	unthrottles the message's transport and destination when it reads
 *	it, as after a flush). postsuper -H's rename keeps both.
 *	postfix_kick_scan() then sends "D" (QMGR_REQ_SCAN_DEFERRED, qmgr(8)
 *	TRIGGERS) to the queue manager's QUEUE_DIR/public/qmgr, as
 *	"postkick public qmgr D" does (a UNIX socket in Postfix 3's
 *	master.cf: connect and write; a FIFO in older ones: write). One
 *	deferred queue scan, as its own periodic one, moves every deferred
 *	file whose time has come to the active queue: these, and only others
 *	that were due anyway. No "A"
 *	(time stamps ignored) and no "F" (every dead destination forgotten):
 *	postqueue -f's effects on other mail are not taken. The scan reads
 *	the deferred directory once (qmgr coalesces triggers while a scan
 *	runs); what retryd holds is in hold/, not there.
 *
 *	An id whose hold file cannot be touched (hold/ hashed by
 *	hash_queue_names, moved meanwhile, not permitted: not running as
 *	root; logged, rate-limited) and every id when the trigger cannot
 *	be sent (no queue manager, public/qmgr missing) are flushed one by
 *	one as before (postfix_flush()); RETRYD_POSTFIX_KICK=0 flushes every
 *	id that way (a comparison, tests/lab/postfix_plugin.t).
 *
 *	Owns: two descriptors during a call.
 * DIAGNOSTICS
 *	postfix_kick_scan(): -1 with "qmgr trigger PATH: why" in err.
 *	Untouched ids and a trigger not sent: a warning (rate-limited), and
 *	those ids are flushed.
 * SECURITY
 *	Runs where postsuper runs (the privileged helper). Ids were
 *	validated by the caller (postfix_check_ids); no symbolic link is
 *	followed below QUEUE_DIR, only regular files are changed, only
 *	their times and one permission bit that Postfix's own flush server
 *	sets.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/log.h"
#include "postfix_cmd.h"

/* global/mail_queue.h: a complete queue file; the unthrottle request */
#define POSTFIX_STAT_READY	   (S_IRUSR | S_IWUSR | S_IXUSR)
#define POSTFIX_STAT_UNTHROTTLE	   S_IRGRP
#define POSTFIX_QMGR_SCAN_DEFERRED "D"	 /* qmgr(8) TRIGGERS */
#define POSTFIX_KICK_IO_MS	   10000 /* the trigger's socket write */
#define POSTFIX_KICK_ENV	   "RETRYD_POSTFIX_KICK" /* 0: flush each id */

static const char *const postfix_kick_released[] = {"released from hold"};

/* Touch one held file under @param hold. @return 1 touched, 0 not. */
static int kick_touch_one(int hold, const char *id)
{
	int fd =
	    openat(hold, id,
		   O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	struct stat sb;
	int ok = 0;

	if (fd < 0)
		return 0;
	if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) &&
	    (sb.st_mode & POSTFIX_STAT_READY) == POSTFIX_STAT_READY &&
	    futimens(fd, NULL) == 0 &&
	    fchmod(fd, (sb.st_mode & 07777) | POSTFIX_STAT_UNTHROTTLE) == 0)
		ok = 1;
	close(fd);
	return ok;
}

size_t postfix_kick_touch(const struct postfix_state *st,
			  const char *const *ids, size_t n,
			  unsigned char *touched)
{
	int qd, hold;
	size_t k = 0;

	memset(touched, 0, n);
	if (st->queue_dir == NULL || n == 0)
		return 0;
	if ((qd = open(st->queue_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return 0;
	hold =
	    openat(qd, "hold", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	close(qd);
	if (hold < 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		touched[i] = (unsigned char)kick_touch_one(hold, ids[i]);
		k += touched[i];
	}
	close(hold);
	return k;
}

/* Write the trigger to a FIFO (qmgr "fifo" in master.cf). */
static const char *kick_fifo(const char *path)
{
	/* O_NONBLOCK: fails (ENXIO) at once when nothing reads the FIFO */
	int fd = open(path, O_WRONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
	const char *why = NULL;

	if (fd < 0)
		return strerror(errno);
	if (write(fd, POSTFIX_QMGR_SCAN_DEFERRED, 1) != 1)
		why = strerror(errno);
	close(fd);
	return why;
}

/* Connect and write the trigger (qmgr "unix", Postfix 3's default), as
 * Postfix's unix_trigger() does; the queue manager reads it and closes.
 * @return NULL, or why not (in @param why). */
static const char *kick_unix(const char *path, char *why, size_t whylen)
{
	int fd = postfix_flush_connect(path, POSTFIX_KICK_IO_MS, why, whylen);

	if (fd < 0)
		return why;
	if (write(fd, POSTFIX_QMGR_SCAN_DEFERRED, 1) != 1)
		snprintf(why, whylen, "write: %s", strerror(errno));
	else
		why = NULL;
	close(fd);
	return why;
}

int postfix_kick_scan(const struct postfix_state *st, char *err, size_t errlen)
{
	char path[4096];
	struct stat sb;
	char buf[200];
	const char *why;

	if (st->queue_dir == NULL) {
		snprintf(err, errlen, "qmgr trigger: queue_directory unknown");
		return -1;
	}
	snprintf(path, sizeof(path), "%s/public/qmgr", st->queue_dir);
	if (lstat(path, &sb) < 0)
		why = strerror(errno);
	else if (S_ISFIFO(sb.st_mode))
		why = kick_fifo(path);
	else if (S_ISSOCK(sb.st_mode))
		why = kick_unix(path, buf, sizeof(buf));
	else
		why = "neither a FIFO nor a socket";
	if (why == NULL)
		return 0;
	snprintf(err, errlen, "qmgr trigger %.300s: %s", path, why);
	return -1;
}

int postfix_deliver_now(struct postfix_state *st, const char *const *ids,
			size_t n, size_t *done, char *err, size_t errlen)
{
	unsigned char *touched = calloc(n ? n : 1, 1);
	const char **left = calloc(n + 1, sizeof(*left));
	size_t nt = 0, nleft = 0;
	const char *kick;
	char why[400];
	int rc = -1;

	*done = 0;
	if (touched == NULL || left == NULL) {
		snprintf(err, errlen, "deliver: out of memory");
		goto out;
	}
	kick = getenv(POSTFIX_KICK_ENV);
	if (kick == NULL || strcmp(kick, "0") != 0)
		nt = postfix_kick_touch(st, ids, n, touched);
	if (postfix_super(st, "-H", postfix_kick_released, 1, ids, n, done, err,
			  errlen) < 0)
		goto out;
	if (nt > 0 && postfix_kick_scan(st, why, sizeof(why)) < 0) {
		log_warn_limited("postfix-kick", 300,
				 "%.300s: the %zu ids flushed one by one", why,
				 nt);
		memset(touched, 0, n);
	}
	for (size_t i = 0; i < n; i++)
		if (!touched[i])
			left[nleft++] = ids[i];
	if (nleft && nleft < n)
		log_warn_limited(
		    "postfix-touch", 3600,
		    "%zu of %zu hold files could not be touched "
		    "(hold/ hashed? not root?): flushed one by one",
		    nleft, n);
	rc = nleft ? postfix_flush(st, left, nleft, err, errlen) : 0;
out:
	free(touched);
	free(left);
	return rc;
}
