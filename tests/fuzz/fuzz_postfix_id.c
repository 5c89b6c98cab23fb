/*
 * NAME
 *	fuzz_postfix_id 1
 * SUMMARY
 *	libFuzzer target: Postfix queue id validation (postfix_id_valid,
 *	postfix_id_valid_n)
 * DESCRIPTION
 *	Ids go to postsuper on stdin, where "ALL" means every message and a
 *	leading '-' is an option. Besides the sanitizers: the two entry
 *	points agree (C string vs bytes), a valid id is 1..POSTFIX_ID_MAX
 *	bytes of [0-9A-Za-z] only (so never ALL: lower-case-free short ids
 *	are hex, and "ALL" is not hex nor a long id with its 'z'), never
 *	starts with '-', and is not "ALL".
 * DIAGNOSTICS
 *	abort() with the id on stderr when a property does not hold.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugins/postfix_id.h"

static void fuzz_fail(const char *why, const char *id, size_t n)
{
	fprintf(stderr, "fuzz_postfix_id: %s: '%.*s'\n", why, (int)n, id);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char id[64], *exact;
	int v, vn;

	if (size >= sizeof(id))
		return 0;
	memcpy(id, data, size);
	id[size] = 0;
	if ((exact = malloc(size ? size : 1)) == NULL)
		abort();
	memcpy(exact, data, size); /* exact size: ASan sees over-reads */
	v = postfix_id_valid(id);
	vn = postfix_id_valid_n(exact, size);
	if (memchr(data, 0, size) == NULL && v != vn)
		fuzz_fail("postfix_id_valid and _n disagree", id, size);
	if (vn && (size == 0 || size > POSTFIX_ID_MAX ||
		   strspn(id, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
			      "abcdefghijklmnopqrstuvwxyz") != size))
		fuzz_fail("accepted bytes outside [0-9A-Za-z]", id, size);
	if ((v || vn) && (id[0] == '-' || strcmp(id, "ALL") == 0))
		fuzz_fail("accepted an id postsuper would misread", id, size);
	free(exact);
	return 0;
}
