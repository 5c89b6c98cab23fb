/*
 * NAME
 *	exim_known 3h
 * SUMMARY
 *	the set of message ids exim.so has told the daemon (spool discovery)
 * DESCRIPTION
 *	After a gap in the main log, spool discovery (exim_spool.c) reads
 *	the -H file only of the messages whose ids are not in this set:
 *	those the last complete full listing or a discovery told. It keeps
 *	a 64-bit hash per id (FNV-1a; 0 means a free slot), open addressing
 *	at most half full: 16 bytes an id. At most LIMIT_EXIM_KNOWN ids:
 *	past that nothing is added, which only means more -H files read.
 *	Two ids with the same hash (about one chance in 10^8 among a
 *	million ids) would make the second look known: its deferral, if
 *	only in a lost part of the log, then waits for the next full
 *	listing (reconcile_interval). Pure: no I/O.
 *
 *	Ownership: the set's slots until exim_known_free().
 */
#ifndef RETRYD_EXIM_KNOWN_H
#define RETRYD_EXIM_KNOWN_H

#include <stddef.h>
#include <stdint.h>

struct exim_known {
	uint64_t *slot;
	size_t nslot, n;
};

/** Add @param id. @return 0 (also when full: not added), -1 out of memory. */
int exim_known_add(struct exim_known *k, const char *id);
/** 1 when @param id was added (or one with the same hash), else 0. */
int exim_known_has(const struct exim_known *k, const char *id);
/** Empty the set and free its slots. */
void exim_known_free(struct exim_known *k);

#endif
