/*
 * NAME
 *	intern 3
 * SUMMARY
 *	a set of strings kept once each
 * DESCRIPTION
 *	Open addressing with linear probing over a power-of-two table of
 *	pointers, grown (doubled, rehashed) at half full; FNV-1a hashes.
 *	Each string is one allocation owned by the table.
 * DIAGNOSTICS
 *	NULL when memory runs out; the table stays usable.
 */
#include "util/intern.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define INTERN_FIRST_SLOTS 64

struct intern {
	char **slot;
	size_t nslots; /* a power of two */
	size_t n, bytes;
};

static uint64_t intern_hash(const char *s, size_t len)
{
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ull;
	}
	return h;
}

struct intern *intern_new(void)
{
	struct intern *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->nslots = INTERN_FIRST_SLOTS;
	if ((t->slot = calloc(t->nslots, sizeof(*t->slot))) == NULL) {
		free(t);
		return NULL;
	}
	return t;
}

/* Double the table. @return 0, or -1 (the old one kept). */
static int intern_grow(struct intern *t)
{
	size_t nslots = t->nslots * 2;
	char **slot = calloc(nslots, sizeof(*slot));

	if (slot == NULL)
		return -1;
	for (size_t i = 0; i < t->nslots; i++) {
		size_t k;

		if (t->slot[i] == NULL)
			continue;
		k = intern_hash(t->slot[i], strlen(t->slot[i])) & (nslots - 1);
		while (slot[k] != NULL)
			k = (k + 1) & (nslots - 1);
		slot[k] = t->slot[i];
	}
	free(t->slot);
	t->slot = slot;
	t->nslots = nslots;
	return 0;
}

const char *intern_str(struct intern *t, const char *s, size_t len)
{
	size_t k;
	char *copy;

	if (2 * (t->n + 1) > t->nslots && intern_grow(t) < 0)
		return NULL;
	k = intern_hash(s, len) & (t->nslots - 1);
	for (; t->slot[k] != NULL; k = (k + 1) & (t->nslots - 1))
		if (strncmp(t->slot[k], s, len) == 0 && t->slot[k][len] == '\0')
			return t->slot[k];
	if ((copy = malloc(len + 1)) == NULL)
		return NULL;
	memcpy(copy, s, len);
	copy[len] = '\0';
	t->slot[k] = copy;
	t->n++;
	t->bytes += len + 1;
	return copy;
}

size_t intern_count(const struct intern *t, size_t *bytes)
{
	if (bytes)
		*bytes = t ? t->bytes : 0;
	return t ? t->n : 0;
}

void intern_free(struct intern *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->nslots; i++)
		free(t->slot[i]);
	free(t->slot);
	free(t);
}
