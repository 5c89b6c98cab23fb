/*
 * NAME
 *	classify_fx 3
 * SUMMARY
 *	the classifier tests' fixture (see classify_fx.h)
 * DESCRIPTION
 *	The short policy is written to a directory of its own under /tmp,
 *	loaded, and removed again before any test runs.
 * DIAGNOSTICS
 *	A policy or classifier that cannot be made is reported on stderr and
 *	fails the group setup.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "classify_fx.h"
#include "srcdir_fx.h"

int classify_fx_fields(char *line, int eof, char *f[], int n)
{
	size_t len = strlen(line);
	char *save = NULL;
	int nf = 0;

	if (len > 0 && line[len - 1] != '\n' && !eof)
		return -1;
	line[strcspn(line, "\n")] = '\0';
	if (line[0] == '#' || line[0] == '\0')
		return 0;
	for (char *t = strtok_r(line, "\t", &save); t && nf < n;
	     t = strtok_r(NULL, nf < n - 1 ? "\t" : "", &save))
		f[nf++] = t;
	return nf;
}

int classify_fx_setup(void **state)
{
	static struct classify_fx fx;
	static char err[8192];
	char dir[64], path[128];
	FILE *fp;
	int rc = 0;

	snprintf(dir, sizeof(dir), "/tmp/classify_fx.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	/* A short policy written from the man page: no [classifier]. */
	snprintf(path, sizeof(path), "%s/retryd.ini", dir);
	if ((fp = fopen(path, "w")) == NULL) {
		rmdir(dir);
		return -1;
	}
	fputs("[retryd]\nmta = postfix\n\n[suppression]\nmin_failures = 2\n",
	      fp);
	fclose(fp);
	if (policy_load(path, &fx.minimal, err, sizeof(err)) != 0 ||
	    policy_load(srcdir_fx_path("policy/retryd.ini"), &fx.shipped, err,
			sizeof(err)) != 0 ||
	    classify_new(fx.minimal, &fx.cmin, err, sizeof(err)) != 0 ||
	    classify_new(fx.shipped, &fx.cship, err, sizeof(err)) != 0) {
		fprintf(stderr, "setup: %s\n", err);
		rc = -1;
	}
	unlink(path);
	rmdir(dir);
	if (rc == 0)
		*state = &fx;
	return rc;
}

int classify_fx_teardown(void **state)
{
	struct classify_fx *fx = *state;

	if (fx == NULL) /* the setup failed */
		return 0;
	classify_free(fx->cmin);
	classify_free(fx->cship);
	policy_free(fx->minimal);
	policy_free(fx->shipped);
	return 0;
}

int classify_fx_labels(char *s, enum classify_category out[2])
{
	char *bar = strchr(s, '|');
	int n = 1;

	if (bar != NULL) {
		*bar = '\0';
		if (strchr(bar + 1, '|') != NULL ||
		    classify_category_parse(bar + 1, &out[1]) < 0)
			return 0;
		n = 2;
	}
	return classify_category_parse(s, &out[0]) < 0 ? 0 : n;
}

int classify_fx_is_address(enum classify_category c)
{
	return c == CLASSIFY_MAILBOX_UNKNOWN || c == CLASSIFY_MAILBOX_DISABLED;
}
