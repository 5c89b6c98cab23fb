/*
 * NAME
 *	exim_known 3
 * SUMMARY
 *	a compact set of Exim message ids (hashes), for spool discovery
 * SYNOPSIS
 *	#include "exim_known.h"
 * DESCRIPTION
 *	See exim_known.h: 64-bit FNV-1a hashes in an open-addressing table
 *	(linear probing, a power of two of slots, at most half full), at
 *	most LIMIT_EXIM_KNOWN ids.
 * DIAGNOSTICS
 *	exim_known_add() returns -1 when memory runs out (the set is left
 *	as it was).
 */
#include <stdlib.h>
#include <string.h>

#include "util/limits.h"
#include "exim_known.h"

#define EXIM_KNOWN_FIRST 1024 /* slots of a new set */

static uint64_t known_hash(const char *id)
{
	uint64_t h = 14695981039346656037ULL;

	for (const unsigned char *p = (const unsigned char *)id; *p; p++)
		h = (h ^ *p) * 1099511628211ULL;
	return h ? h : 1;
}

static void known_put(uint64_t *slot, size_t nslot, uint64_t h)
{
	size_t i = (size_t)h & (nslot - 1);

	while (slot[i] != 0 && slot[i] != h)
		i = (i + 1) & (nslot - 1);
	slot[i] = h;
}

static int known_grow(struct exim_known *k)
{
	size_t nslot = k->nslot ? k->nslot * 2 : EXIM_KNOWN_FIRST;
	uint64_t *slot = calloc(nslot, sizeof(*slot));

	if (slot == NULL)
		return -1;
	for (size_t i = 0; i < k->nslot; i++)
		if (k->slot[i] != 0)
			known_put(slot, nslot, k->slot[i]);
	free(k->slot);
	k->slot = slot;
	k->nslot = nslot;
	return 0;
}

int exim_known_add(struct exim_known *k, const char *id)
{
	uint64_t h = known_hash(id);

	if (exim_known_has(k, id) || k->n >= LIMIT_EXIM_KNOWN)
		return 0;
	if (2 * (k->n + 1) > k->nslot && known_grow(k) < 0)
		return -1;
	known_put(k->slot, k->nslot, h);
	k->n++;
	return 0;
}

int exim_known_has(const struct exim_known *k, const char *id)
{
	uint64_t h = known_hash(id);
	size_t i;

	if (k->nslot == 0)
		return 0;
	for (i = (size_t)h & (k->nslot - 1); k->slot[i] != 0;
	     i = (i + 1) & (k->nslot - 1))
		if (k->slot[i] == h)
			return 1;
	return 0;
}

void exim_known_free(struct exim_known *k)
{
	free(k->slot);
	memset(k, 0, sizeof(*k));
}
