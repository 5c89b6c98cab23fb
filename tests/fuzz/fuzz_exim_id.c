/*
 * NAME
 *	fuzz_exim_id 1
 * SUMMARY
 *	libFuzzer target: Exim message id validation (exim_id_valid,
 *	exim_id_time)
 * DESCRIPTION
 *	The input, NUL-terminated, is checked against an independent
 *	reading of the two id forms (TTTTTT-PPPPPP-SS and
 *	TTTTTT-PPPPPPPPPPP-SSSS, base 62): both must agree, a valid id
 *	never starts with '-' and never holds a byte outside [0-9A-Za-z-]
 *	(ids go on exim's command line and stdin), and exim_id_time()
 *	succeeds exactly for valid ids with a time below 62^6.
 * DIAGNOSTICS
 *	abort() with the id on stderr when a property does not hold.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugins/exim_id.h"

static int fuzz_b62(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
	       (c >= 'a' && c <= 'z');
}

/* The id forms spelled out as pictures: 'x' a base-62 digit. */
static int fuzz_matches(const char *id, const char *picture)
{
	if (strlen(id) != strlen(picture))
		return 0;
	for (size_t i = 0; picture[i]; i++)
		if (picture[i] == 'x' ? !fuzz_b62(id[i]) : id[i] != picture[i])
			return 0;
	return 1;
}

static void fuzz_fail(const char *why, const char *id)
{
	fprintf(stderr, "fuzz_exim_id: %s: '%.60s'\n", why, id);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char id[64];
	int64_t when = -1;
	int valid, want;

	if (size >= sizeof(id))
		return 0;
	memcpy(id, data, size);
	id[size] = 0;
	valid = exim_id_valid(id);
	want = fuzz_matches(id, "xxxxxx-xxxxxx-xx") ||
	       fuzz_matches(id, "xxxxxx-xxxxxxxxxxx-xxxx");
	if (valid != want)
		fuzz_fail(valid ? "accepted a non-id" : "refused an id", id);
	if (valid && (id[0] == '-' ||
		      strspn(id, "0123456789-"
				 "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				 "abcdefghijklmnopqrstuvwxyz") != strlen(id)))
		fuzz_fail("valid id with a forbidden byte", id);
	if ((exim_id_time(id, &when) == 0) != valid)
		fuzz_fail("exim_id_time disagrees with exim_id_valid", id);
	if (valid && (when < 0 || when >= 56800235584LL)) /* 62^6 */
		fuzz_fail("time out of range", id);
	return 0;
}
