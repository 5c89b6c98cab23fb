/*
 * NAME
 *	ctl_table 3
 * SUMMARY
 *	retryctl output helpers: an aligned text table, times for humans
 * SYNOPSIS
 *	#include "ctl/ctl_table.h"
 * DESCRIPTION
 *	Rows are kept in memory until ctl_table_print() knows every
 *	column's width. Cells are masked to printable ASCII (so one byte is
 *	one column on the terminal) and cut to the column's limit, which
 *	bounds each row; the number of rows is the caller's listing.
 *
 *	Owns: the copied headers' layout and every copied cell.
 * DIAGNOSTICS
 *	ctl_table_add() fails only when out of memory.
 */
#include "ctl/ctl_table.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/log.h"

#define CTL_TABLE_ELLIPSIS "..."

struct ctl_table {
	struct ctl_table_col *cols;
	size_t ncols;
	char **cells; /* nrows * ncols, row-major */
	size_t nrows;
	size_t cap;    /* rows allocated */
	size_t *width; /* per column */
};

struct ctl_table *ctl_table_new(const struct ctl_table_col *cols, size_t ncols)
{
	struct ctl_table *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->cols = calloc(ncols ? ncols : 1, sizeof(*t->cols));
	t->width = calloc(ncols ? ncols : 1, sizeof(*t->width));
	if (t->cols == NULL || t->width == NULL) {
		ctl_table_free(t);
		return NULL;
	}
	memcpy(t->cols, cols, ncols * sizeof(*cols));
	t->ncols = ncols;
	for (size_t c = 0; c < ncols; c++)
		t->width[c] = strlen(cols[c].header);
	return t;
}

/* A masked copy of @param text cut to @param max bytes (0: no limit). */
static char *ctl_table_cell(const char *text, size_t max)
{
	size_t n = strlen(text), keep = n;
	char *cell;

	if (max && n > max)
		keep = max;
	if ((cell = malloc(keep + 1)) == NULL)
		return NULL;
	log_printable(cell, keep + 1, text);
	if (max && n > max) {
		size_t el = strlen(CTL_TABLE_ELLIPSIS);

		if (max > el)
			memcpy(cell + max - el, CTL_TABLE_ELLIPSIS, el);
	}
	return cell;
}

int ctl_table_add(struct ctl_table *t, const char *const *cells)
{
	if (t->nrows == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		char **grown =
		    reallocarray(t->cells, cap * t->ncols, sizeof(*grown));

		if (grown == NULL)
			return -1;
		t->cells = grown;
		t->cap = cap;
	}
	for (size_t c = 0; c < t->ncols; c++) {
		char *cell =
		    ctl_table_cell(cells[c] ? cells[c] : "-", t->cols[c].max);
		size_t w;

		if (cell == NULL) {
			for (size_t k = 0; k < c; k++)
				free(t->cells[t->nrows * t->ncols + k]);
			return -1;
		}
		t->cells[t->nrows * t->ncols + c] = cell;
		if ((w = strlen(cell)) > t->width[c])
			t->width[c] = w;
	}
	t->nrows++;
	return 0;
}

size_t ctl_table_rows(const struct ctl_table *t)
{
	return t->nrows;
}

/* One line: cells two spaces apart, the last one not padded. */
static void ctl_table_line(const struct ctl_table *t, FILE *out,
			   const char *indent, const char *const *cells)
{
	fputs(indent, out);
	for (size_t c = 0; c < t->ncols; c++) {
		int w = (int)t->width[c];
		int last = c + 1 == t->ncols;

		if (t->cols[c].right)
			fprintf(out, "%*s", w, cells[c]);
		else if (last)
			fputs(cells[c], out);
		else
			fprintf(out, "%-*s", w, cells[c]);
		if (!last)
			fputs("  ", out);
	}
	fputc('\n', out);
}

void ctl_table_print(const struct ctl_table *t, FILE *out, const char *indent)
{
	const char **heads = calloc(t->ncols ? t->ncols : 1, sizeof(*heads));

	if (heads == NULL)
		return;
	for (size_t c = 0; c < t->ncols; c++)
		heads[c] = t->cols[c].header;
	ctl_table_line(t, out, indent, heads);
	free(heads);
	for (size_t r = 0; r < t->nrows; r++)
		ctl_table_line(t, out, indent,
			       (const char *const *)&t->cells[r * t->ncols]);
}

void ctl_table_free(struct ctl_table *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t->cols);
	free(t->width);
	free(t);
}

void ctl_format_age(int64_t s, char *buf, size_t len)
{
	if (s < 0)
		s = 0;
	if (s < 60)
		snprintf(buf, len, "%llds", (long long)s);
	else if (s < 3600)
		snprintf(buf, len, "%lldm", (long long)(s / 60));
	else if (s < 86400)
		snprintf(buf, len, "%lldh%02lldm", (long long)(s / 3600),
			 (long long)(s % 3600 / 60));
	else
		snprintf(buf, len, "%lldd%02lldh", (long long)(s / 86400),
			 (long long)(s % 86400 / 3600));
}

void ctl_format_due(int64_t when, int64_t now, char *buf, size_t len)
{
	char age[32];

	if (when == 0) {
		snprintf(buf, len, "-");
	} else if (when <= now) {
		snprintf(buf, len, "due");
	} else {
		ctl_format_age(when - now, age, sizeof(age));
		snprintf(buf, len, "in %s", age);
	}
}

void ctl_format_iso(int64_t when, char *buf, size_t len)
{
	time_t t = (time_t)when;
	struct tm tm;

	if (when == 0)
		snprintf(buf, len, "-");
	else if (gmtime_r(&t, &tm) == NULL ||
		 strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "%lld", (long long)when);
}

json_t *ctl_json_string(const char *text)
{
	json_t *j = json_string(text);
	char *masked;
	size_t n;

	if (j != NULL)
		return j;
	n = strlen(text) + 1;
	if ((masked = malloc(n)) == NULL)
		return NULL;
	j = json_string(log_printable(masked, n, text));
	free(masked);
	return j;
}

json_t *ctl_json_time(int64_t when)
{
	char iso[40];

	if (when == 0)
		return json_null();
	ctl_format_iso(when, iso, sizeof(iso));
	return json_string(iso);
}

void ctl_json_stream_begin(struct ctl_json_stream *s, FILE *out)
{
	s->out = out;
	s->n = 0;
	s->failed = 0;
	fputc('[', out);
}

void ctl_json_stream_add(struct ctl_json_stream *s, json_t *item)
{
	char *text = item
			 ? json_dumps(item, JSON_COMPACT | JSON_PRESERVE_ORDER |
						JSON_ENCODE_ANY)
			 : NULL;

	if (text == NULL) {
		s->failed = 1;
	} else {
		fprintf(s->out, "%s%s", s->n ? "," : "", text);
		s->n++;
	}
	free(text);
	json_decref(item);
}

int ctl_json_stream_end(struct ctl_json_stream *s)
{
	fputs("]\n", s->out);
	return s->failed ? -1 : 0;
}

int ctl_json_print(FILE *out, const json_t *j)
{
	char *text =
	    j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;

	if (text == NULL)
		return -1;
	fprintf(out, "%s\n", text);
	free(text);
	return 0;
}
