/*
 * NAME
 *	pass_domhold 3
 * SUMMARY
 *	hold Exim mail by domain (hold_domains) instead of freezing each
 *	message: the held-domains file
 * DESCRIPTION
 *	With [exim] held_domains_file set, retryd holds a message by listing
 *	its domain in that file, which Exim reads as `domainlist retryd_held
 *	= FILE` with `hold_domains = +retryd_held` (contrib/exim/README.exim).
 *	Exim then neither routes nor delivers a held address: every queue run
 *	logs it deferred ("== A defer (-23): domain is held") and sets no
 *	retry item, so its retry rules never time it out (Exim 4.96
 *	deliver.c, retry.c; checked on a real Exim, tests/e2e/
 *	exim_domhold.t). retryd's deliver (exim -M) is a forced delivery,
 *	which hold_domains does not stop: due mail is delivered while its
 *	domain stays held. Holding the mail of a domain costs one write of
 *	this file, not one exim -Mf (two fsyncs) per message.
 *
 *	The file is one domain a line (strict LDH, sorted) under a comment
 *	header, replaced atomically (atomic_file: temp file, fsync, rename,
 *	directory fsync) and made mode 0644 whatever the umask: every Exim
 *	process reads the old list or the new one, whole. It is the record
 *	of what is held: pass_domhold_open() reads it back (a restart keeps
 *	holding), and a domain leaves it only through pass_domhold_replace()
 *	with the set rebuilt from the store's HELD records (pass_watch.c).
 *	A missing file would make every Exim delivery fail ("failed to
 *	open"): open creates it empty. At most LIMIT_HELD_DOMAINS domains;
 *	the caller holds the mail of more by freezing.
 *
 *	pass_domhold_add(), _replace() and _has() work on struct
 *	pass_domhold alone (tests/unit/test_pass_domhold.c); the pass calls
 *	them through pass_domhold_glue.c.
 *
 *	Owns: the names until pass_domhold_free().
 * DIAGNOSTICS
 *	"PATH: line N: not a domain retryd writes" for a line that is not
 *	one; atomic_file's errors for a write. A failure leaves the memory
 *	and the file as they were.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dns/verify.h"
#include "pass/pass_domhold.h"
#include "util/atomic_file.h"

#define DOMHOLD_MODE 0644
#define DOMHOLD_HEADER                                                         \
	"# Written by retryd: the domains it holds mail for (Exim\n"           \
	"# hold_domains = +retryd_held). Do not edit while retryd runs.\n"

void pass_domhold_free(struct pass_domhold *h)
{
	for (size_t i = 0; i < h->n; i++)
		free(h->names[i]);
	free(h->names);
	memset(h, 0, sizeof(*h));
}

/* Index of @param name in the sorted set, or where it would go (*found). */
static size_t domhold_find(const struct pass_domhold *h, const char *name,
			   int *found)
{
	size_t lo = 0, hi = h->n;

	*found = 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(h->names[mid], name);

		if (c == 0) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int pass_domhold_has(const struct pass_domhold *h, const char *domain)
{
	int found;

	if (h->n == 0)
		return 0;
	(void)domhold_find(h, domain, &found);
	return found;
}

/* Insert a copy of @param name (valid, absent) at @param at. */
static int domhold_insert(struct pass_domhold *h, size_t at, const char *name)
{
	char *copy;

	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 16;
		char **p = realloc(h->names, cap * sizeof(*p));

		if (p == NULL)
			return -1;
		h->names = p;
		h->cap = cap;
	}
	if ((copy = strdup(name)) == NULL)
		return -1;
	memmove(h->names + at + 1, h->names + at,
		(h->n - at) * sizeof(*h->names));
	h->names[at] = copy;
	h->n++;
	return 0;
}

/* 1 when @param name is a domain as retryd writes it (strict LDH). */
static int domhold_valid(const char *name)
{
	char ldh[LIMIT_DOMAIN + 1];

	return verify_domain_ldh(name, ldh, sizeof(ldh)) == 0 &&
	       strcmp(ldh, name) == 0;
}

/* Replace the file with the names of @param h. */
static int domhold_write(const struct pass_domhold *h, char *err, size_t errlen)
{
	struct atomic_file af;
	int bad = 0;

	if (atomic_file_open(&af, h->path, DOMHOLD_MODE, err, errlen) < 0)
		return -1;
	if (fchmod(fileno(af.fp), DOMHOLD_MODE) < 0) {
		snprintf(err, errlen, "%s: chmod: %s", h->path,
			 strerror(errno));
		atomic_file_abort(&af);
		return -1;
	}
	bad = fputs(DOMHOLD_HEADER, af.fp) < 0;
	for (size_t i = 0; i < h->n && !bad; i++)
		bad = fprintf(af.fp, "%s\n", h->names[i]) < 0;
	if (bad) {
		snprintf(err, errlen, "%s: write: %s", h->path,
			 strerror(errno));
		atomic_file_abort(&af);
		return -1;
	}
	return atomic_file_commit(&af, err, errlen);
}

/* Read @param fp's domains into @param h (empty). */
static int domhold_read(struct pass_domhold *h, FILE *fp, char *err,
			size_t errlen)
{
	char line[LIMIT_DOMAIN + 3];
	unsigned lineno = 0;

	while (fgets(line, sizeof(line), fp) != NULL) {
		size_t len = strlen(line);
		size_t at;
		int found;

		lineno++;
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		else if (!feof(fp)) {
			snprintf(err, errlen, "%s: line %u: too long", h->path,
				 lineno);
			return -1;
		}
		if (len == 0 || line[0] == '#')
			continue;
		if (!domhold_valid(line)) {
			snprintf(err, errlen,
				 "%s: line %u: not a domain retryd writes",
				 h->path, lineno);
			return -1;
		}
		at = domhold_find(h, line, &found);
		if (found)
			continue;
		if (h->n >= LIMIT_HELD_DOMAINS) {
			snprintf(err, errlen, "%s: more than %d domains",
				 h->path, LIMIT_HELD_DOMAINS);
			return -1;
		}
		if (domhold_insert(h, at, line) < 0) {
			snprintf(err, errlen, "%s: out of memory", h->path);
			return -1;
		}
	}
	if (ferror(fp)) {
		snprintf(err, errlen, "%s: read: %s", h->path, strerror(errno));
		return -1;
	}
	return 0;
}

int pass_domhold_open(struct pass_domhold *h, const char *path, char *err,
		      size_t errlen)
{
	FILE *fp;
	int rc;

	memset(h, 0, sizeof(*h));
	if (strlen(path) > LIMIT_PATH) {
		snprintf(err, errlen, "held_domains_file: path too long");
		return -1;
	}
	snprintf(h->path, sizeof(h->path), "%s", path);
	if ((fp = fopen(path, "re")) == NULL) {
		if (errno != ENOENT) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			h->path[0] = '\0';
			return -1;
		}
		if (domhold_write(h, err, errlen) < 0) {
			h->path[0] = '\0';
			return -1;
		}
		return 0;
	}
	rc = domhold_read(h, fp, err, errlen);
	fclose(fp);
	if (rc < 0) {
		pass_domhold_free(h);
		return -1;
	}
	return 0;
}

int pass_domhold_insert(struct pass_domhold *h, const char *domain)
{
	int found;
	size_t at = domhold_find(h, domain, &found);

	if (found)
		return 0;
	if (!domhold_valid(domain) || h->n >= LIMIT_HELD_DOMAINS)
		return -1;
	return domhold_insert(h, at, domain);
}

int pass_domhold_add(struct pass_domhold *h, const char *const *domains,
		     size_t n, char *err, size_t errlen)
{
	struct pass_domhold next = *h;
	size_t added = 0;

	/* on a copy of the pointer array: the set changes only once the
	 * file says so */
	next.names = NULL;
	next.n = next.cap = 0;
	for (size_t i = 0; i < h->n; i++)
		if (domhold_insert(&next, next.n, h->names[i]) < 0)
			goto nomem;
	for (size_t i = 0; i < n; i++) {
		int found;
		size_t at = domhold_find(&next, domains[i], &found);

		if (found)
			continue;
		if (!domhold_valid(domains[i])) {
			snprintf(err, errlen, "%s: not a domain retryd writes",
				 h->path);
			pass_domhold_free(&next);
			return -1;
		}
		if (next.n >= LIMIT_HELD_DOMAINS) {
			snprintf(err, errlen, "%s: more than %d domains",
				 h->path, LIMIT_HELD_DOMAINS);
			pass_domhold_free(&next);
			return -1;
		}
		if (domhold_insert(&next, at, domains[i]) < 0)
			goto nomem;
		added++;
	}
	if (added == 0) {
		pass_domhold_free(&next);
		return 0;
	}
	if (domhold_write(&next, err, errlen) < 0) {
		pass_domhold_free(&next);
		return -1;
	}
	pass_domhold_free(h);
	*h = next;
	return 0;
nomem:
	snprintf(err, errlen, "%s: out of memory", h->path);
	pass_domhold_free(&next);
	return -1;
}

int pass_domhold_replace(struct pass_domhold *h, const char *const *domains,
			 size_t n, char *err, size_t errlen)
{
	struct pass_domhold next;
	int same;

	memset(&next, 0, sizeof(next));
	snprintf(next.path, sizeof(next.path), "%s", h->path);
	for (size_t i = 0; i < n; i++)
		if (pass_domhold_insert(&next, domains[i]) < 0) {
			snprintf(err, errlen,
				 "%s: cannot hold \"%.100s\" (not a domain, "
				 "more than %d, or out of memory)",
				 h->path, domains[i], LIMIT_HELD_DOMAINS);
			pass_domhold_free(&next);
			return -1;
		}
	same = next.n == h->n;
	for (size_t i = 0; same && i < h->n; i++)
		same = strcmp(next.names[i], h->names[i]) == 0;
	if (!same && domhold_write(&next, err, errlen) < 0) {
		pass_domhold_free(&next);
		return -1;
	}
	pass_domhold_free(h);
	*h = next;
	return 0;
}
