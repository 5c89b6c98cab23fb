/*
 * NAME
 *	store_journal 3h
 * SUMMARY
 *	the hold journal: what retryd holds, readable without the store
 * DESCRIPTION
 *	See store_journal.c.
 */
#ifndef RETRYD_STORE_JOURNAL_H
#define RETRYD_STORE_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "util/limits.h"

#define STORE_JOURNAL_FILE "hold.journal"

/* The ids read from a journal (sorted, distinct). */
struct store_journal_ids {
	char (*ids)[LIMIT_QUEUE_ID + 1];
	size_t n, cap;
};

/**
 * Append one line per id of @param ids ("hold MTA ID TIME") to
 * state_dir/hold.journal and fsync it, before they are held. @return 0,
 * or -1 with @param err (nothing may be held then).
 */
int store_journal_append(const char *dir, const char *mta,
			 const char *const *ids, size_t n, int64_t now,
			 char *err, size_t errlen);

/**
 * Read the ids journaled for @param mta. A damaged or partial line (a
 * crash or a full disk during an append) is skipped. @return the number
 * of ids (0 when there is no journal), or -1 with @param err.
 */
long store_journal_read(const char *dir, const char *mta,
			struct store_journal_ids *out, char *err,
			size_t errlen);

/** 1 when @param id is in @param j (sorted). */
int store_journal_has(const struct store_journal_ids *j, const char *id);

/** Add @param id to @param j (then store_journal_ids_sort). @return 0/-1. */
int store_journal_ids_add(struct store_journal_ids *j, const char *id);
/** Sort @param j and drop repeated ids (store_journal_has needs it). */
void store_journal_ids_sort(struct store_journal_ids *j);

void store_journal_ids_free(struct store_journal_ids *j);

/**
 * When the journal is larger than LIMIT_JOURNAL_COMPACT and than
 * @param min_bytes, rewrite it line by line (temp file, fsync, rename)
 * with the ids @param keep says are still held (keep is asked once per
 * line: it says no to an id already kept). @return 1 rewritten, 0
 * nothing to do, -1 with @param err.
 */
int store_journal_compact(const char *dir, const char *mta,
			  int (*keep)(const char *id, void *arg), void *arg,
			  size_t min_bytes, int64_t now, char *err,
			  size_t errlen);

#endif
