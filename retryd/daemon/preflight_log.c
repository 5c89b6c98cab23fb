/*
 * NAME
 *	preflight_log 3
 * SUMMARY
 *	retryd --preflight: is the MTA log there, readable and advancing?
 * DESCRIPTION
 *	preflight_log() checks [postfix] or [exim] log_file, where retryd
 *	reads the outcome of every delivery it asks for:
 *	- a file: it exists, is a regular file and opens for reading;
 *	- "journal:" or "journal:DIR": the journal opens, and one of its
 *	  LIMIT_PREFLIGHT_JOURNAL_SCAN newest entries comes from the MTA
 *	  (SYSLOG_IDENTIFIER starting with "postfix" or "exim");
 *	then that it advances: when the MTA's queue holds a message that
 *	arrived more than PREFLIGHT_LOG_SLACK_S after the log's last write
 *	(the file's mtime, the newest MTA entry's time), the MTA logged
 *	that arrival somewhere else: a maillog_file or syslog file that is
 *	not this one, a rotated file, a journal the MTA does not write to.
 *	With an empty queue there is nothing to compare: the age of the last
 *	write is only shown.
 * DIAGNOSTICS
 *	Through preflight_problem(): a missing file or journal directory,
 *	or not a regular file, is a policy problem (78); unreadable, no MTA
 *	entry in the journal, or not advancing is the environment (69).
 */
#include "daemon/preflight_int.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-journal.h>

#define PREFLIGHT_JOURNAL_PREFIX "journal:"
#define PREFLIGHT_IDENT_FIELD	 "SYSLOG_IDENTIFIER="

/* The file @param path: @return 0 and *@param last (its mtime), or -1. */
static int preflight_log_file(struct preflight *pf, const char *sect,
			      const char *path, int64_t *last)
{
	struct stat sb;
	int fd;

	if (stat(path, &sb) != 0) {
		preflight_problem(pf, 1, sect, "log_file", "%s: %s", path,
				  strerror(errno));
		return -1;
	}
	if (!S_ISREG(sb.st_mode)) {
		preflight_problem(pf, 1, sect, "log_file",
				  "%s: not a regular file", path);
		return -1;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		preflight_problem(pf, 0, sect, "log_file", "%s: %s", path,
				  strerror(errno));
		return -1;
	}
	close(fd);
	*last = sb.st_mtime;
	return 0;
}

/* 1 when the current entry's SYSLOG_IDENTIFIER starts with @param ident. */
static int preflight_journal_is(sd_journal *j, const char *ident)
{
	size_t fl = strlen(PREFLIGHT_IDENT_FIELD), il = strlen(ident), n;
	const void *d;

	return sd_journal_get_data(j, "SYSLOG_IDENTIFIER", &d, &n) >= 0 &&
	       n >= fl + il && memcmp((const char *)d + fl, ident, il) == 0;
}

/* The journal (@param dir, NULL: the system's): @return 0 and *@param last
 * (the newest MTA entry's time), or -1. */
static int preflight_journal(struct preflight *pf, const char *sect,
			     const char *dir, const char *ident, int64_t *last)
{
	sd_journal *j = NULL;
	uint64_t usec = 0;
	size_t n = 0;
	int r, found = 0;

	if (dir && access(dir, R_OK | X_OK) != 0) {
		preflight_problem(pf, 1, sect, "log_file", "journal:%s: %s",
				  dir, strerror(errno));
		return -1;
	}
	r = dir ? sd_journal_open_directory(&j, dir, 0)
		: sd_journal_open(&j, SD_JOURNAL_LOCAL_ONLY);
	if (r < 0) {
		preflight_problem(pf, 0, sect, "log_file",
				  "the journal%s%s cannot be opened: %s",
				  dir ? " in " : "", dir ? dir : "",
				  strerror(-r));
		return -1;
	}
	for (r = sd_journal_seek_tail(j) < 0 ? -1 : sd_journal_previous(j);
	     r > 0 && n < LIMIT_PREFLIGHT_JOURNAL_SCAN;
	     r = sd_journal_previous(j), n++)
		if (preflight_journal_is(j, ident) &&
		    sd_journal_get_realtime_usec(j, &usec) >= 0) {
			found = 1;
			break;
		}
	sd_journal_close(j);
	if (!found) {
		preflight_problem(
		    pf, 0, sect, "log_file",
		    "the journal%s%s has no entry from %s among its %zu "
		    "newest (does the MTA log to the journal? may this "
		    "user read it: group systemd-journal or adm?)",
		    dir ? " in " : "", dir ? dir : "", ident, n);
		return -1;
	}
	*last = (int64_t)(usec / 1000000);
	fprintf(pf->out, "preflight: log_file journal:%s readable\n",
		dir ? dir : "");
	return 0;
}

void preflight_log(struct preflight *pf)
{
	const struct policy *p = pf->p;
	int exim = strcmp(p->mta, "exim") == 0;
	const char *path = exim ? p->exim_log_file : p->postfix_log_file;
	const char *sect = exim ? "exim" : "postfix";
	size_t jl = strlen(PREFLIGHT_JOURNAL_PREFIX);
	int64_t last = 0, now = (int64_t)time(NULL);

	if (strncmp(path, PREFLIGHT_JOURNAL_PREFIX, jl) == 0) {
		if (preflight_journal(pf, sect, path[jl] ? path + jl : NULL,
				      sect, &last) < 0)
			return;
	} else if (preflight_log_file(pf, sect, path, &last) < 0) {
		return;
	}
	if (pf->listed && pf->newest_arrival > last + PREFLIGHT_LOG_SLACK_S) {
		preflight_problem(
		    pf, 0, sect, "log_file",
		    "%s is not advancing: last written %llds ago, but a "
		    "message arrived in the queue %llds after that (is it "
		    "where the MTA logs now? maillog_file, syslog, rotation)",
		    path, (long long)(now - last),
		    (long long)(pf->newest_arrival - last));
		return;
	}
	fprintf(pf->out, "preflight: log_file %s last written %llds ago%s\n",
		path, (long long)(now - last),
		!pf->listed || pf->newest_arrival == 0
		    ? " (empty queue: not compared with arrivals)"
		    : ", after the newest arrival: advancing");
}
