/*
 * NAME
 *	exim_spool 3h
 * SUMMARY
 *	exim.so's reading of Exim's spool: message logs, -H files, and
 *	discovery from the input directory after a gap in the main log
 * DESCRIPTION
 *	exim_spool.c opens spool files by kind (plugin.h: MTA_FILE_MSGLOG,
 *	MTA_FILE_SPOOL_INPUT, MTA_FILE_SPOOL_HEADER), itself or through the
 *	privileged helper, and walks the input directory for messages not
 *	yet known (exim_known.h); exim_spool_hdr.c is the pure -H parser.
 */
#ifndef RETRYD_EXIM_SPOOL_H
#define RETRYD_EXIM_SPOOL_H

#include <stddef.h>

#include "exim_cmd.h"
#include "mta_discover.h"
#include "mta_file.h"
#include "plugin.h"

#define EXIM_SPOOL_SPEC 48 /* bytes of a spec: "H.ID" */

/**
 * Parse the envelope of the -H file text (@param len bytes) of @param id
 * into @param m (zeroed first): sender, arrival (from the id), held =
 * frozen, the pending recipients (m->rcpts malloc'd: free it; no
 * reasons). @return 0; 1 more than LIMIT_RCPTS_PER_MESSAGE pending;
 * -1 malformed, with a static reason in *@param why; -2 out of memory.
 */
int exim_spool_hdr_parse(const char *text, size_t len, const char *id,
			 struct mta_message *m, const char **why);

/**
 * Check the spec of @param which (MTA_FILE_SPOOL_INPUT: NULL or one
 * [0-9A-Za-z]; MTA_FILE_SPOOL_HEADER: "ID" or "H.ID") and split it into
 * path components under the spool ("input" [, "H"] [, "ID-H"]).
 * @return 0, or -1 (refused).
 */
int exim_spool_parts(enum mta_file which, const char *spec,
		     char parts[][MTA_FILE_PART], size_t *n);

/**
 * Open a spool file of kind @param which (MTA_FILE_MSGLOG: @param spec is
 * the id) read-only: through the host in a parsing instance, else below
 * the spool_directory exim -bP gave (no symbolic link followed).
 * @return the descriptor, or -1 with errno (ENOENT: not there) and err.
 */
int exim_spool_open(const struct exim_state *st, enum mta_file which,
		    const char *spec, char *err, size_t errlen);

/**
 * The last defer reason of each recipient of @param m from the last
 * LIMIT_MSGLOG_TAIL bytes of its msglog (@param buf holds that many);
 * m->deferred = 1 when one was found. Nothing when there is none.
 */
void exim_spool_msglog_reasons(const struct exim_state *st,
			       struct mta_message *m, char *buf, long tzoff);

/**
 * Read the input directory (and its split subdirectories): each message
 * whose id is neither in st->known nor in @param t has its -H file read
 * (and its msglog when not frozen); one that is frozen or has deferrals
 * goes into @param t as the log would have put it. *@param nread gets
 * the number of -H files read.
 * @return 0 when everything was read; 1 when something was not (a -H
 * file unreadable or malformed: logged; the table full): the caller
 * reconciles with a full listing; -1 with "spool: why" in err when the
 * directory cannot be read or memory ran out (t->nomem).
 */
int exim_spool_discover(struct exim_state *st, struct mta_discover *t,
			size_t *nread, char *err, size_t errlen);

#endif
