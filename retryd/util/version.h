/*
 * NAME
 *	version 3h
 * SUMMARY
 *	retryd's version and the versions of the libraries it runs with
 */
#ifndef RETRYD_VERSION_H
#define RETRYD_VERSION_H

#include <stdio.h>

#define RETRYD_VERSION "0.9.0"

/* version_print - write "PROG VERSION" and one line per linked library
 * (plugin API, Berkeley DB, getdns, inih, PCRE2, jansson) to fp.
 * Returns 0, or -1 when writing failed (errno set). */
int version_print(FILE *fp, const char *prog);

#endif
