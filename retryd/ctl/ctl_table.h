/*
 * NAME
 *	ctl_table 3h
 * SUMMARY
 *	retryctl output helpers: an aligned text table, times for humans
 * DESCRIPTION
 *	A ctl_table collects rows of text cells and prints them aligned
 *	under a header line, each column as wide as its widest cell (up to
 *	the column's limit: longer cells are cut and end in "..."). Every
 *	cell is copied with unprintable bytes masked as '?', so text from
 *	the MTA or the network can never drive the operator's terminal.
 *	The ctl_format_* helpers write times the way every command shows
 *	them: ages ("2h05m"), relative due times ("in 4m", "due") and ISO
 *	8601 UTC ("2024-05-01T10:00:00Z"). The ctl_json_* helpers do the
 *	same for --json: text that is not valid UTF-8 is masked rather than
 *	dropped, and long arrays are streamed, not built in memory.
 */
#ifndef RETRYD_CTL_TABLE_H
#define RETRYD_CTL_TABLE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

/* How one column looks. */
struct ctl_table_col {
	const char *header; /* e.g. "QUEUE ID" */
	size_t max;	    /* widest cell shown, 0 = no limit */
	int right;	    /* 1: right-aligned (numbers) */
};

struct ctl_table;

/**
 * A table with @param ncols columns described by @param cols (copied).
 * @return a table the caller frees with ctl_table_free, or NULL (ENOMEM).
 */
struct ctl_table *ctl_table_new(const struct ctl_table_col *cols, size_t ncols);

/**
 * Append a row of exactly ncols cells (NULL prints as "-"); the cells
 * are copied, masked and cut to the column's limit.
 * @return 0, or -1 when out of memory.
 */
int ctl_table_add(struct ctl_table *t, const char *const *cells);

/** Rows added so far. */
size_t ctl_table_rows(const struct ctl_table *t);

/**
 * Print the header and every row to @param out, prefixed by
 * @param indent (may be ""), columns two spaces apart, no trailing
 * blanks. A table without rows prints its header only.
 */
void ctl_table_print(const struct ctl_table *t, FILE *out, const char *indent);

/** Free the table and its cells. NULL is fine. */
void ctl_table_free(struct ctl_table *t);

/** A duration for humans: "42s", "12m", "2h05m", "3d04h". */
void ctl_format_age(int64_t seconds, char *buf, size_t len);

/**
 * When @param when happens seen from @param now: "due" when at or
 * before now, "in 4m" after it, "-" when @param when is 0 (not set).
 */
void ctl_format_due(int64_t when, int64_t now, char *buf, size_t len);

/** ISO 8601 UTC ("2024-05-01T10:00:00Z"); "-" when @param when is 0. */
void ctl_format_iso(int64_t when, char *buf, size_t len);

/**
 * A JSON string for @param text: as is when valid UTF-8, else masked
 * to printable ASCII. @return a new reference (NULL only on ENOMEM).
 */
json_t *ctl_json_string(const char *text);

/** ISO 8601 UTC string for @param when, or JSON null when 0. */
json_t *ctl_json_time(int64_t when);

/** A JSON array written element by element: "[", a,b,..., "]\n". */
struct ctl_json_stream {
	FILE *out;
	size_t n;
	int failed; /* an element could not be encoded */
};

void ctl_json_stream_begin(struct ctl_json_stream *s, FILE *out);
/** Write @param item (reference stolen; NULL marks the stream failed). */
void ctl_json_stream_add(struct ctl_json_stream *s, json_t *item);
/** Close the array. @return 0, or -1 when any element failed. */
int ctl_json_stream_end(struct ctl_json_stream *s);

/** Print @param j compactly with a newline. @return 0 or -1. */
int ctl_json_print(FILE *out, const json_t *j);

#endif
