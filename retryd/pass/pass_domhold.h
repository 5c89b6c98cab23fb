/*
 * NAME
 *	pass_domhold 3h
 * SUMMARY
 *	hold Exim mail by domain: the held-domains file Exim's hold_domains
 *	reads, instead of one exim -Mf per message
 * DESCRIPTION
 *	See pass_domhold.c.
 */
#ifndef RETRYD_PASS_DOMHOLD_H
#define RETRYD_PASS_DOMHOLD_H

#include <stddef.h>

#include "util/limits.h"

struct pass_domhold {
	char path[LIMIT_PATH + 1]; /* "": not open */
	char **names;		   /* sorted, unique: what the file says */
	size_t n, cap;
};

/**
 * Open @param h on the file @param path: read the domains it lists (the
 * file is their only record: a restart keeps holding them), or create it
 * empty when there is none. @return 0, or -1 with @param err ("PATH:
 * line N: ..." for a line that is not a domain retryd writes).
 */
int pass_domhold_open(struct pass_domhold *h, const char *path, char *err,
		      size_t errlen);

/** 1 when @param domain (lower case) is held. */
int pass_domhold_has(const struct pass_domhold *h, const char *domain);

/**
 * Hold @param domains too: the file is rewritten (atomically) when one
 * was not held yet. @return 0, or -1 with @param err: then nothing
 * changed, in memory or in the file.
 */
int pass_domhold_add(struct pass_domhold *h, const char *const *domains,
		     size_t n, char *err, size_t errlen);

/**
 * Hold exactly @param domains (the domains with held mail, rebuilt from
 * the store): the file is rewritten when that differs from what it
 * says. @return 0, or -1 with @param err: then nothing changed.
 */
int pass_domhold_replace(struct pass_domhold *h, const char *const *domains,
			 size_t n, char *err, size_t errlen);

/**
 * Put @param domain into the set @param h in memory only (a set being
 * built for pass_domhold_replace). @return 0, or -1: not a domain
 * retryd writes, more than LIMIT_HELD_DOMAINS, or out of memory.
 */
int pass_domhold_insert(struct pass_domhold *h, const char *domain);

void pass_domhold_free(struct pass_domhold *h);

#endif
