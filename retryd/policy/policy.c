/*
 * NAME
 *	policy 3
 * SUMMARY
 *	load the INI policy: inih behind a line-checking reader, includes,
 *	sections, defaults, cross-checks
 * SYNOPSIS
 *	#include "policy/policy.h"
 *
 *	int policy_load(const char *path, struct policy **out, char *err,
 *			size_t errlen);
 *	void policy_free(struct policy *p);
 * DESCRIPTION
 *	inih (Debian r55) is fed through ini_parse_stream() with our own
 *	reader, which counts lines and refuses, before inih sees them, every
 *	line inih would misread: longer than LIMIT_INI_LINE (inih splits it
 *	and the tail becomes a key), a section or key name of more than
 *	LIMIT_INI_NAME bytes (inih cuts section names at 49), an indented
 *	line (inih glues it to the previous value), NUL or control bytes,
 *	a header without ']' or with text after it, a line without '='.
 *	Sections are tracked by the reader; the handler looks keys up in
 *	policy_keys[] (policy_keys.c), refuses repeats of keys that may not
 *	repeat and hands the value to the key's parser.
 *
 *	include = PATH is read at once, relative to the including file's
 *	directory, at most LIMIT_INI_INCLUDE_DEPTH deep, refusing cycles.
 *	Keys before any section header of an included file belong to the
 *	section the include = line is in. A section may appear only once in
 *	all files together, except [classifier] (its rules accumulate, in
 *	order, so local rules can precede the included shipped ones).
 *
 *	This file owns the struct policy while loading it; on success the
 *	caller owns it (policy_free).
 * DIAGNOSTICS
 *	Every problem is one "FILE:LINE: message" line in the caller's
 *	buffer; loading goes on to find them all, then fails as a whole.
 */
#include "policy/policy.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Debian's libinih 55 is built with INI_HANDLER_LINENO=1 although its
 * ini.h says 0 (seen in the library's code: every handler call loads a
 * 5th argument). Match the library; the line number used is our own. */
#define INI_HANDLER_LINENO 1
#include <ini.h>

#include "util/log.h"
#include "policy/policy_int.h"
#include "policy/policy_load.h"

/* policy_load_error - append "FILE:LINE: message\n" to the error buffer */
void policy_load_error(struct load_state *ls, const char *file, int line,
		       const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ls->nerrors++;
	if (ls->errlen == 0 || ls->errtrunc)
		return;
	n = line > 0 ? snprintf(ls->err + ls->errused, ls->errlen - ls->errused,
				"%s:%d: %s\n", file, line, msg)
		     : snprintf(ls->err + ls->errused, ls->errlen - ls->errused,
				"%s: %s\n", file, msg);
	if (n < 0 || (size_t)n >= ls->errlen - ls->errused) {
		ls->err[ls->errused] = '\0';
		ls->errtrunc = 1;
		return;
	}
	ls->errused += (size_t)n;
}

/* keep_path - a file name that lives as long as the load */
static const char *keep_path(struct load_state *ls, const char *path)
{
	struct load_path *lp = malloc(sizeof(*lp) + strlen(path) + 1);

	if (lp == NULL)
		return NULL;
	strcpy(lp->path, path);
	lp->next = ls->paths;
	ls->paths = lp;
	return lp->path;
}

/* section_open - a [header] line: find or create what it names */
static void section_open(struct load_frame *f, const char *name)
{
	struct load_state *ls = f->ls;
	struct policy *p = ls->p;
	char q[64];

	f->sect = LOAD_SECT_BAD;
	if (strncmp(name, "group", 5) == 0 &&
	    (name[5] == ' ' || name[5] == '\t' || name[5] == '\0')) {
		const char *g = name + 5 + strspn(name + 5, " \t");

		if (*g == '\0' || policy_check_group_name(g) < 0) {
			policy_load_error(
			    ls, f->path, f->line,
			    "bad group name '%.40s': write [group "
			    "NAME], NAME of 1-%d "
			    "characters a-z 0-9 - _",
			    log_printable(q, sizeof(q), g),
			    LIMIT_POLICY_GROUP_NAME);
			return;
		}
		for (size_t i = 0; i < p->ngroups; i++)
			if (strcmp(p->groups[i].name, g) == 0) {
				policy_load_error(
				    ls, f->path, f->line,
				    "duplicate section [group %s] "
				    "(first at %s:%d)",
				    g, ls->groups[i].file, p->groups[i].line);
				return;
			}
		if (p->ngroups == LIMIT_POLICY_GROUPS) {
			policy_load_error(ls, f->path, f->line,
					  "too many groups (at most %d)",
					  LIMIT_POLICY_GROUPS);
			return;
		}
		f->group = p->ngroups++;
		snprintf(p->groups[f->group].name, sizeof(p->groups[0].name),
			 "%s", g);
		p->groups[f->group].line = f->line;
		ls->groups[f->group].file = f->path;
		f->sect = LOAD_SECT_GROUP;
		return;
	}
	for (int s = LOAD_SECT_RETRYD; s < LOAD_SECT_GROUP; s++) {
		if (strcmp(name, load_section_names[s]) != 0)
			continue;
		if (ls->sect_seen[s].line > 0 && s != LOAD_SECT_CLASSIFIER) {
			policy_load_error(
			    ls, f->path, f->line,
			    "duplicate section [%s] (first at %s:%d)", name,
			    ls->sect_seen[s].file, ls->sect_seen[s].line);
			return;
		}
		if (ls->sect_seen[s].line == 0)
			ls->sect_seen[s] = (struct load_loc){f->path, f->line};
		f->sect = (enum load_sect)s;
		return;
	}
	policy_load_error(
	    ls, f->path, f->line,
	    "unknown section [%.48s] (retryd, postfix, exim, resolvers, "
	    "backoff, "
	    "group NAME, suppression, classifier, hooks, sentinel)",
	    log_printable(q, sizeof(q), name));
}

/* name_end - where inih ends a key name: '=', ':' or an inline comment */
static size_t name_end(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] == '=' || s[i] == ':')
			return i;
		if (s[i] == ';' && i > 0 &&
		    (s[i - 1] == ' ' || s[i - 1] == '\t'))
			return i;
	}
	return i;
}

/* name_end_bracket - where inih ends a section name: ']' or a comment */
static size_t name_end_bracket(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] == ']')
			return i;
		if (s[i] == ';' && i > 0 &&
		    (s[i - 1] == ' ' || s[i - 1] == '\t'))
			return i;
	}
	return i;
}

/*
 * check_line - decide what inih may see of one line. @return 1 to pass
 * the line on, 0 to pass a blank line (comment, blank, header handled
 * here, or a refused line whose error is recorded).
 */
static int check_line(struct load_frame *f, char *s, size_t len)
{
	struct load_state *ls = f->ls;
	size_t n;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			policy_load_error(ls, f->path, f->line,
					  "%s byte 0x%02x in line",
					  c == 0 ? "NUL" : "control", c);
			return 0;
		}
	}
	if (s[0] == ' ' || s[0] == '\t') {
		s += strspn(s, " \t");
		if (*s == '\0' || *s == ';' || *s == '#')
			return 0;
		policy_load_error(
		    ls, f->path, f->line,
		    "indented line: continuation lines are not supported "
		    "(remove the leading blanks)");
		return 0;
	}
	if (*s == '\0' || *s == ';' || *s == '#')
		return 0;
	if (*s == '[') {
		char *end = s + 1 + name_end_bracket(s + 1);
		char *after;

		if (*end != ']') {
			policy_load_error(ls, f->path, f->line,
					  "section header without ']'");
			f->sect = LOAD_SECT_BAD;
			return 0;
		}
		*end = '\0';
		after = end + 1 + strspn(end + 1, " \t");
		if (*after != '\0' && *after != ';' && *after != '#') {
			policy_load_error(ls, f->path, f->line,
					  "text after the section header");
			f->sect = LOAD_SECT_BAD;
			return 0;
		}
		s++;
		s += strspn(s, " \t");
		for (n = strlen(s);
		     n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'); n--)
			s[n - 1] = '\0';
		if (n > LIMIT_INI_NAME) {
			policy_load_error(ls, f->path, f->line,
					  "section name longer than %d bytes",
					  LIMIT_INI_NAME);
			f->sect = LOAD_SECT_BAD;
			return 0;
		}
		section_open(f, s);
		return 0;
	}
	n = name_end(s);
	if (s[n] != '=' && s[n] != ':') {
		policy_load_error(ls, f->path, f->line,
				  "expected 'key = value'");
		return 0;
	}
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n == 0) {
		policy_load_error(ls, f->path, f->line,
				  "missing key name before '='");
		return 0;
	}
	if (n > LIMIT_INI_NAME) {
		policy_load_error(ls, f->path, f->line,
				  "key name longer than %d bytes",
				  LIMIT_INI_NAME);
		return 0;
	}
	return 1;
}

/*
 * load_reader - the ini_reader: one whole line per call, counted, checked
 * and never split. A refused line reaches inih as a blank line.
 */
static char *load_reader(char *str, int num, void *stream)
{
	struct load_frame *f = stream;
	char buf[LIMIT_INI_LINE + 2];
	size_t len = 0, total = 0;
	int c, last = 0;

	while ((c = getc(f->fp)) != EOF && c != '\n') {
		if (len < sizeof(buf) - 1)
			buf[len++] = (char)c;
		total++;
		last = c;
	}
	if (c == EOF && total == 0) {
		if (ferror(f->fp))
			policy_load_error(f->ls, f->path, f->line + 1,
					  "read error: %s", strerror(errno));
		return NULL;
	}
	f->line++;
	if (last == '\r') {
		total--;
		if (len > total)
			len = total;
	}
	if (f->line == 1 && len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0) {
		memmove(buf, buf + 3,
			len - 3); /* a UTF-8 BOM, as inih allows */
		len -= 3;
		total -= 3;
	}
	buf[len] = '\0';
	if (total > LIMIT_INI_LINE) {
		policy_load_error(
		    f->ls, f->path, f->line,
		    "line longer than %d bytes (%zu): split the value or "
		    "shorten the comment",
		    LIMIT_INI_LINE, total);
		len = 0;
	} else if (len + 2 > (size_t)num) {
		policy_load_error(
		    f->ls, f->path, f->line,
		    "line longer than the INI parser's buffer (%d bytes)",
		    num - 2);
		len = 0;
	} else if (!check_line(f, buf, len)) {
		len = 0;
	}
	if (len > 0)
		memcpy(str, buf, len);
	str[len] = '\n';
	str[len + 1] = '\0';
	return str;
}

/* load_file - parse one open file; nested for include = */
static void load_file(struct load_state *ls, FILE *fp, const char *path,
		      struct load_frame *parent)
{
	struct load_frame f;
	struct stat st;
	int rc;

	memset(&f, 0, sizeof(f));
	f.ls = ls;
	f.fp = fp;
	f.path = path;
	f.parent = parent;
	f.sect = LOAD_SECT_NONE;
	if (parent != NULL) {
		f.inherit = load_frame_section(parent);
		f.inherit_group = load_frame_group(parent);
	} else {
		f.inherit = LOAD_SECT_NONE;
	}
	if (fstat(fileno(fp), &st) == 0) {
		f.dev = st.st_dev;
		f.ino = st.st_ino;
	}
	rc = ini_parse_stream(load_reader, &f, policy_load_handler, &f);
	if (rc > 0)
		policy_load_error(ls, path, rc, "syntax error");
}

/* policy_load_include - include = VALUE, seen in frame @param f */
void policy_load_include(struct load_frame *f, const char *value)
{
	struct load_state *ls = f->ls;
	char full[4096];
	const char *slash = strrchr(f->path, '/'), *kept;
	struct stat st;
	int depth = 0;
	FILE *fp;

	for (struct load_frame *a = f; a->parent != NULL; a = a->parent)
		depth++;
	if (depth >= LIMIT_INI_INCLUDE_DEPTH) {
		policy_load_error(ls, f->path, f->line,
				  "include nested deeper than %d files",
				  LIMIT_INI_INCLUDE_DEPTH);
		return;
	}
	if (value[0] == '/' || slash == NULL)
		snprintf(full, sizeof(full), "%s", value);
	else if ((size_t)snprintf(full, sizeof(full), "%.*s/%s",
				  (int)(slash - f->path), f->path,
				  value) >= sizeof(full)) {
		policy_load_error(ls, f->path, f->line,
				  "include: path too long");
		return;
	}
	/* A device or FIFO would never end (/dev/zero) or block: refuse. */
	if (stat(full, &st) == 0 && !S_ISREG(st.st_mode) &&
	    !S_ISDIR(st.st_mode)) {
		policy_load_error(ls, f->path, f->line,
				  "include '%.200s': not a regular file", full);
		return;
	}
	if ((fp = fopen(full, "r")) == NULL) {
		policy_load_error(ls, f->path, f->line, "include '%.200s': %s",
				  full, strerror(errno));
		return;
	}
	if (fstat(fileno(fp), &st) < 0 || S_ISDIR(st.st_mode)) {
		policy_load_error(
		    ls, f->path, f->line, "include '%.200s': %s", full,
		    strerror(S_ISDIR(st.st_mode) ? EISDIR : errno));
		fclose(fp);
		return;
	}
	for (struct load_frame *a = f; a != NULL; a = a->parent)
		if (a->dev == st.st_dev && a->ino == st.st_ino) {
			policy_load_error(
			    ls, f->path, f->line,
			    "include '%.200s': include cycle (%s is "
			    "already being read)",
			    full, a->path);
			fclose(fp);
			return;
		}
	if ((kept = keep_path(ls, full)) == NULL) {
		policy_load_error(ls, f->path, f->line, "out of memory");
		fclose(fp);
		return;
	}
	load_file(ls, fp, kept, f);
	fclose(fp);
}

size_t policy_read_resolv_conf(const char *path,
			       struct policy_resolver_list *out)
{
	char line[512];
	size_t nread = 0;
	int skip = 0;
	FILE *fp = fopen(path, "r");

	out->n = 0;
	while (fp != NULL && fgets(line, sizeof(line), fp) != NULL) {
		int whole = strchr(line, '\n') != NULL;
		char *save = NULL, *w, *addr;

		if (skip) { /* the rest of an overlong line */
			skip = !whole;
			continue;
		}
		skip = !whole;
		w = strtok_r(line, " \t\r\n", &save);
		if (w == NULL || strcmp(w, "nameserver") != 0)
			continue;
		addr = strtok_r(NULL, " \t\r\n", &save);
		if (addr == NULL || out->n == LIMIT_POLICY_RESOLVERS ||
		    policy_parse_resolver(addr, &out->items[out->n]) < 0 ||
		    out->items[out->n].port != 53 || addr[0] == '[')
			continue; /* resolv.conf has no ports; a %scope fails
				     too */
		out->n++;
		nread++;
	}
	if (fp != NULL)
		fclose(fp);
	if (out->n == 0) {
		policy_parse_resolver("127.0.0.1", &out->items[0]);
		out->n = 1;
	}
	return nread;
}

/*
 * policy_load_builtin - after the operator's files, the shipped rules
 * compiled into retryd (unless builtin_rules = no), so they come after
 * every local rule and are there even when no file includes them.
 */
static void policy_load_builtin(struct load_state *ls)
{
	size_t len, before = ls->p->nrules, gbefore = ls->p->nguards;
	const char *text = policy_builtin_text(&len), *name;
	FILE *fp;

	if (!ls->p->builtin_rules || ls->nerrors > 0)
		return;
	if ((name = keep_path(ls, POLICY_BUILTIN_NAME)) == NULL ||
	    (fp = fmemopen((void *)text, len, "r")) == NULL) {
		policy_load_error(ls, POLICY_BUILTIN_NAME, 0, "out of memory");
		return;
	}
	load_file(ls, fp, name, NULL);
	fclose(fp);
	for (size_t i = before; i < ls->p->nrules; i++)
		ls->p->rules[i].builtin = 1;
	for (size_t i = gbefore; i < ls->p->nguards; i++)
		ls->p->guards[i].builtin = 1;
	ls->p->nrules_builtin = ls->p->nrules - before;
}

/* policy_load_from - policy_load with the resolv.conf to read as a parameter */
int policy_load_from(const char *path, const char *resolv_conf,
		     struct policy **out, char *err, size_t errlen)
{
	struct load_state *ls;
	struct stat st;
	FILE *fp = NULL;
	int ok;

	*out = NULL;
	if (errlen > 0)
		err[0] = '\0';
	if ((ls = calloc(1, sizeof(*ls))) == NULL) {
		snprintf(err, errlen, "%s: out of memory\n", path);
		return -1;
	}
	ls->err = err;
	ls->errlen = errlen;
	ls->resolv_conf = resolv_conf;
	if ((ls->p = policy_new_defaults()) == NULL ||
	    (ls->p->file = strdup(path)) == NULL) {
		policy_load_error(ls, path, 0, "out of memory");
	} else if ((fp = fopen(path, "r")) == NULL) {
		policy_load_error(ls, path, 0, "cannot open: %s",
				  strerror(errno));
	} else if (fstat(fileno(fp), &st) == 0 && S_ISDIR(st.st_mode)) {
		policy_load_error(ls, path, 0, "cannot read: %s",
				  strerror(EISDIR));
	} else {
		load_file(ls, fp, ls->p->file, NULL);
		policy_load_builtin(ls);
		policy_load_finish(ls);
	}
	if (fp != NULL)
		fclose(fp);
	ok = ls->nerrors == 0;
	if (ok)
		*out = ls->p;
	else
		policy_free(ls->p);
	while (ls->paths != NULL) {
		struct load_path *next = ls->paths->next;

		free(ls->paths);
		ls->paths = next;
	}
	free(ls);
	return ok ? 0 : -1;
}

int policy_load(const char *path, struct policy **out, char *err, size_t errlen)
{
	return policy_load_from(path, POLICY_RESOLV_CONF, out, err, errlen);
}

void policy_free(struct policy *p)
{
	if (p == NULL)
		return;
	free(p->file);
	free(p->plugin_dir);
	free(p->state_dir);
	free(p->metrics_file);
	for (size_t i = 0; i < p->nkeys_at; i++)
		free(p->keys_at[i].file);
	free(p->keys_at);
	free(p->postfix_config_dir);
	free(p->postfix_log_file);
	free(p->exim_binary);
	free(p->exim_config);
	free(p->exim_log_file);
	free(p->exim_held_domains_file);
	for (size_t i = 0; i < p->ngroups; i++) {
		policy_strlist_free(&p->groups[i].domains);
		policy_strlist_free(&p->groups[i].mx);
		policy_strlist_free(&p->groups[i].watch_names);
	}
	policy_strlist_free(&p->suppress_categories);
	policy_strlist_free(&p->canaries);
	free(p->root_hints);
	for (size_t i = 0; i < p->nrules; i++) {
		free(p->rules[i].regex);
		free(p->rules[i].file);
	}
	for (size_t i = 0; i < p->nguards; i++) {
		free(p->guards[i].regex);
		free(p->guards[i].file);
	}
	policy_argv_free(p->hook_flush_resolver);
	policy_argv_free(p->hook_escalate);
	free(p->fleet_database);
	free(p);
}

int policy_key_where(const struct policy *p, const char *section,
		     const char *key, const char **file)
{
	for (size_t i = 0; i < p->nkeys_at; i++)
		if (strcmp(p->keys_at[i].section, section) == 0 &&
		    strcmp(p->keys_at[i].key, key) == 0) {
			*file = p->keys_at[i].file;
			return p->keys_at[i].line;
		}
	*file = p->file;
	return 0;
}
