/*
 * NAME
 *	exim_id 3h
 * SUMMARY
 *	Exim message ids: strict validation and the arrival time they carry
 * DESCRIPTION
 *	Exim 4.96 and earlier: 16 characters, TTTTTT-PPPPPP-SS (base 62:
 *	seconds, pid, fraction), e.g. 1xXQMR-0004tV-1a. Exim 4.97 and later:
 *	23 characters, TTTTTT-PPPPPPPPPPP-SSSS, e.g. 16VDhn-000000001bo-D342.
 *	Base 62 is 0-9A-Za-z (base 36, on case-insensitive file systems, is a
 *	subset). Pure functions: no I/O, no globals.
 */
#ifndef RETRYD_EXIM_ID_H
#define RETRYD_EXIM_ID_H

#include <stdint.h>

#define EXIM_ID_LEN_OLD	 16 /* 4.96 and earlier */
#define EXIM_ID_LEN_NEW	 23 /* 4.97 and later */
#define EXIM_ID_TIME_LEN 6

/** 1 when @param id is exactly one Exim message id of either form. */
int exim_id_valid(const char *id);

/**
 * The arrival time (seconds since the epoch) encoded in the first six
 * base-62 digits of a valid @param id.
 * @return 0 and *@param when, or -1 when @param id is not valid.
 */
int exim_id_time(const char *id, int64_t *when);

#endif
