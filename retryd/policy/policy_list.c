/*
 * NAME
 *	policy_list 3
 * SUMMARY
 *	pure parsers for policy lists and words: domains, mx patterns,
 *	categories, resolver lists, hook argv, names
 * SYNOPSIS
 *	#include "policy/policy_int.h"
 * DESCRIPTION
 *	Lists are comma- and/or blank-separated; a doubled or trailing comma
 *	is an error, never an empty item. Host names are lower-cased and
 *	checked label by label; '*' is allowed only as the last label of a
 *	domain ("hotmail.*") or the first of an mx pattern ("*.suffix").
 *	Hooks are split on blanks with no quoting, so a placeholder such as
 *	%d is always one argv word. No I/O, no globals; what is returned is
 *	malloc'd and owned by the caller.
 * DIAGNOSTICS
 *	-1 with a short message in the caller's buffer (without FILE:LINE).
 */
#include "policy/policy_int.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
/* check_host - a host name or pattern; @param kind says where '*' may go */
static int check_host(char *item, enum policy_list_kind kind, char *msg,
		      size_t msglen)
{
	char q[64];
	size_t len = strlen(item), nlabels = 0;
	char *label = item;

	for (char *s = item; *s != '\0'; s++)
		*s = (char)tolower((unsigned char)*s);
	if (len > LIMIT_DOMAIN)
		goto bad;
	for (;;) {
		size_t ll = strcspn(label, ".");
		int last = label[ll] == '\0';

		if (ll == 0 || ll > 63)
			goto bad;
		if (ll == 1 && label[0] == '*') {
			/* domains: "name.*" (last label); mx: "*.suffix"
			 * (first) */
			if (kind == POLICY_LIST_DOMAINS &&
			    !(last && nlabels > 0))
				goto bad;
			if (kind == POLICY_LIST_MX && !(nlabels == 0 && !last))
				goto bad;
		} else {
			for (size_t i = 0; i < ll; i++)
				if (!isalnum((unsigned char)label[i]) &&
				    label[i] != '-' && label[i] != '_')
					goto bad;
		}
		nlabels++;
		if (last)
			break;
		label += ll + 1;
	}
	return 0;
bad:
	snprintf(msg, msglen,
		 kind == POLICY_LIST_DOMAINS
		     ? "bad domain '%.60s' (a host name, or NAME.* for any "
		       "public suffix)"
		     : "bad mx pattern '%.60s' (a host name, or *.SUFFIX)",
		 log_printable(q, sizeof(q), item));
	return -1;
}

void policy_strlist_free(struct policy_strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->items[i]);
	free(l->items);
	l->items = NULL;
	l->n = 0;
}

/*
 * list_next - the next item of a comma- and/or blank-separated list.
 * @return the item length (0 at the end), -1 on an empty item ("a,,b").
 */
static long list_next(const char **sp, const char **item)
{
	const char *s = *sp;
	size_t len;

	s += strspn(s, " \t");
	if (*s == '\0')
		return 0;
	if (*s == ',')
		return -1;
	*item = s;
	len = strcspn(s, ", \t");
	s += len;
	s += strspn(s, " \t");
	if (*s == ',') {
		s++;
		s += strspn(s, " \t");
		if (*s == '\0' || *s == ',')
			return -1;
	}
	*sp = s;
	return (long)len;
}

int policy_parse_list(const char *text, enum policy_list_kind kind,
		      struct policy_strlist *out, char *msg, size_t msglen)
{
	struct policy_strlist l = {NULL, 0};
	const char *s = text, *item = NULL;
	char q[64];
	long len;

	if (kind == POLICY_LIST_CATEGORIES && strcmp(text, "none") == 0) {
		*out = l;
		return 0;
	}
	while ((len = list_next(&s, &item)) != 0) {
		char *copy;

		if (len < 0) {
			snprintf(msg, msglen,
				 "empty list item (a doubled or trailing ',')");
			goto fail;
		}
		if (l.n == LIMIT_POLICY_LIST) {
			snprintf(msg, msglen,
				 "too many list items (at most %d)",
				 LIMIT_POLICY_LIST);
			goto fail;
		}
		if (l.n % 16 == 0) {
			char **grown =
			    realloc(l.items, (l.n + 16) * sizeof(*grown));

			if (grown == NULL)
				goto oom;
			l.items = grown;
		}
		if ((copy = strndup(item, (size_t)len)) == NULL)
			goto oom;
		l.items[l.n++] = copy;
		if (kind == POLICY_LIST_CATEGORIES) {
			if (!policy_category_known(copy)) {
				snprintf(msg, msglen,
					 "unknown category '%.30s'",
					 log_printable(q, sizeof(q), copy));
				goto fail;
			}
		} else if (check_host(copy, kind, msg, msglen) < 0) {
			goto fail;
		}
	}
	if (l.n == 0) {
		snprintf(msg, msglen,
			 kind == POLICY_LIST_CATEGORIES
			     ? "empty list (write 'none' for no categories)"
			     : "empty list");
		goto fail;
	}
	*out = l;
	return 0;
oom:
	snprintf(msg, msglen, "out of memory");
fail:
	policy_strlist_free(&l);
	return -1;
}

int policy_parse_resolver_list(const char *text,
			       struct policy_resolver_list *out, char *msg,
			       size_t msglen)
{
	struct policy_resolver_list l;
	const char *s = text, *item = NULL;
	char one[INET6_ADDRSTRLEN + 16], q[64];
	long len;

	l.n = 0;
	while ((len = list_next(&s, &item)) != 0) {
		if (len < 0) {
			snprintf(msg, msglen,
				 "empty list item (a doubled or trailing ',')");
			return -1;
		}
		if (l.n == LIMIT_POLICY_RESOLVERS) {
			snprintf(msg, msglen, "too many resolvers (at most %d)",
				 LIMIT_POLICY_RESOLVERS);
			return -1;
		}
		snprintf(one, sizeof(one), "%.*s", (int)len, item);
		if ((size_t)len >= sizeof(one) ||
		    policy_parse_resolver(one, &l.items[l.n]) < 0) {
			snprintf(msg, msglen,
				 "bad resolver address '%.60s' (IP, IP:PORT or "
				 "[IPv6]:PORT, port 1-65535)",
				 log_printable(q, sizeof(q), one));
			return -1;
		}
		l.n++;
	}
	if (l.n == 0) {
		snprintf(msg, msglen, "empty resolver list");
		return -1;
	}
	*out = l;
	return 0;
}

void policy_argv_free(char **argv)
{
	if (argv == NULL)
		return;
	for (char **a = argv; *a != NULL; a++)
		free(*a);
	free(argv);
}

int policy_parse_hook(const char *text, char ***out, char *msg, size_t msglen)
{
	char copy[LIMIT_INI_LINE + 1], q[64];
	char *w[LIMIT_HOOK_ARGS + 1];
	char **argv;
	size_t n;

	snprintf(copy, sizeof(copy), "%s", text);
	n = policy_split_words(copy, w, LIMIT_HOOK_ARGS);
	if (n == 0) {
		snprintf(msg, msglen, "empty hook");
		return -1;
	}
	if (n > LIMIT_HOOK_ARGS) {
		snprintf(msg, msglen, "too many words (at most %d)",
			 LIMIT_HOOK_ARGS);
		return -1;
	}
	if (w[0][0] != '/') {
		snprintf(msg, msglen,
			 "the program must be an absolute path, not '%.60s'",
			 log_printable(q, sizeof(q), w[0]));
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		for (const char *p = strchr(w[i], '%'); p != NULL;
		     p = strchr(p + 2, '%'))
			if (p[1] != 'd' && p[1] != 'r' && p[1] != 'f' &&
			    p[1] != '%') {
				snprintf(msg, msglen,
					 "unknown placeholder in '%.60s' (%%d "
					 "domain, %%r resolver, %%f report "
					 "file, %%%% a %%)",
					 log_printable(q, sizeof(q), w[i]));
				return -1;
			}
	if ((argv = calloc(n + 1, sizeof(*argv))) == NULL)
		goto oom;
	for (size_t i = 0; i < n; i++)
		if ((argv[i] = strdup(w[i])) == NULL) {
			policy_argv_free(argv);
			goto oom;
		}
	*out = argv;
	return 0;
oom:
	snprintf(msg, msglen, "out of memory");
	return -1;
}

int policy_check_group_name(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > LIMIT_POLICY_GROUP_NAME)
		return -1;
	for (; *name != '\0'; name++)
		if (!((*name >= 'a' && *name <= 'z') ||
		      (*name >= '0' && *name <= '9') || *name == '-' ||
		      *name == '_'))
			return -1;
	return 0;
}

int policy_check_host_id(const char *text)
{
	size_t len = strlen(text);

	if (len == 0 || len > LIMIT_HOST_ID)
		return -1;
	for (; *text != '\0'; text++)
		if (!isalnum((unsigned char)*text) && *text != '.' &&
		    *text != '-' && *text != '_')
			return -1;
	return 0;
}
