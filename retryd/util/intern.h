/*
 * NAME
 *	intern 3h
 * SUMMARY
 *	a set of strings kept once each (repeated delay reasons)
 * DESCRIPTION
 *	intern_str() returns the one copy of a string the table keeps, so a
 *	text repeated by thousands of listed recipients ("Host or domain
 *	name not found...") costs its bytes once. Pure: no I/O, no global.
 *
 *	Ownership: the table owns every string it returned until
 *	intern_free(); callers never free them.
 */
#ifndef RETRYD_INTERN_H
#define RETRYD_INTERN_H

#include <stddef.h>

struct intern;

/** An empty table. @return it, or NULL: out of memory. */
struct intern *intern_new(void);
/**
 * The table's copy of @param s (@param len bytes, no NUL inside),
 * NUL-terminated, added when new. @return it, or NULL: out of memory.
 */
const char *intern_str(struct intern *t, const char *s, size_t len);
/** Distinct strings kept, and their bytes (for the figures). */
size_t intern_count(const struct intern *t, size_t *bytes);
void intern_free(struct intern *t);

#endif
