/*
 * NAME
 *	spawn_argv 3
 * SUMMARY
 *	expand a hook's argv template (%d, %r, %f, %%), never splitting words
 * SYNOPSIS
 *	#include "util/spawn.h"
 * DESCRIPTION
 *	spawn_argv_expand() copies each word of the template, replacing the
 *	placeholders inside it; a value never becomes more than one word.
 *	Owns nothing: the caller frees the vector with spawn_argv_free().
 * DIAGNOSTICS
 *	NULL when memory runs out.
 */
#include "util/spawn.h"

#include <stdlib.h>
#include <string.h>

/* Append src to a growing string; @return 0 or -1. */
static int spawn_word_append(char **word, size_t *len, const char *src,
			     size_t n)
{
	char *grown = realloc(*word, *len + n + 1);

	if (!grown)
		return -1;
	memcpy(grown + *len, src, n);
	*len += n;
	grown[*len] = 0;
	*word = grown;
	return 0;
}

static char *spawn_word_expand(const char *tmpl, const char *domain,
			       const char *resolver, const char *file)
{
	char *word = calloc(1, 1);
	size_t len = 0;

	for (const char *p = tmpl; word && *p; p++) {
		const char *val = NULL;
		int rc;

		if (*p == '%' && p[1]) {
			switch (p[1]) {
			case 'd':
				val = domain ? domain : "";
				break;
			case 'r':
				val = resolver ? resolver : "";
				break;
			case 'f':
				val = file ? file : "";
				break;
			case '%':
				val = "%";
				break;
			}
		}
		if (val) {
			rc = spawn_word_append(&word, &len, val, strlen(val));
			p++;
		} else {
			rc = spawn_word_append(&word, &len, p, 1);
		}
		if (rc < 0) {
			free(word);
			return NULL;
		}
	}
	return word;
}

char **spawn_argv_expand(char *const tmpl[], const char *domain,
			 const char *resolver, const char *file)
{
	size_t n = 0;
	char **argv;

	while (tmpl && tmpl[n])
		n++;
	argv = calloc(n + 1, sizeof(*argv));
	if (!argv)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		argv[i] = spawn_word_expand(tmpl[i], domain, resolver, file);
		/* a word made from data is never an option */
		if (argv[i] && i > 0 && argv[i][0] == '-' &&
		    tmpl[i][0] == '%') {
			free(argv[i]);
			argv[i] = NULL;
		}
		if (!argv[i]) {
			spawn_argv_free(argv);
			return NULL;
		}
	}
	return argv;
}

void spawn_argv_free(char **argv)
{
	if (!argv)
		return;
	for (size_t i = 0; argv[i]; i++)
		free(argv[i]);
	free(argv);
}
