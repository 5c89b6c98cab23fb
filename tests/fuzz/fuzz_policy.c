/*
 * NAME
 *	fuzz_policy 1
 * SUMMARY
 *	libFuzzer target: the INI policy loader (policy_load)
 * DESCRIPTION
 *	The loader reads files (inih through its own line reader), so each
 *	input is written to DIR/retryd.ini in a private temp directory that
 *	also holds two small files to include (inc/rules.ini,
 *	inc/sections.ini) and a fixed resolv.conf, then loaded with
 *	policy_load_from(). Besides the sanitizers, an accepted policy must
 *	print (policy_print) as INI that loads back, and printing that again
 *	must give the same text (policy_print's promise: a fixed point).
 *	The printed copies go to a second temp directory the input cannot
 *	name.
 *
 *	Owns the two temp directories (removed at exit).
 * DIAGNOSTICS
 *	abort() with the loader's errors on stderr when a property does
 *	not hold.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy/policy.h"
#include "policy/policy_int.h"

static char fuzz_dir[64] = "/tmp/fuzz_policy.XXXXXX";
static char fuzz_out[64] = "/tmp/fuzz_policy_out.XXXXXX";
static char fuzz_file[128], fuzz_resolv[128], fuzz_p1[128], fuzz_p2[128];
static pid_t fuzz_pid;

static void fuzz_write(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd < 0 || write(fd, data, len) != (ssize_t)len || close(fd) < 0) {
		perror(path);
		abort();
	}
}

static void fuzz_cleanup(void)
{
	const char *dir[] = {fuzz_dir, fuzz_out};
	const char *files[] = {
	    "retryd.ini", "resolv.conf", "inc/rules.ini", "inc/sections.ini",
	    "inc",	  "p1.ini",	 "p2.ini"};
	char path[256];

	if (getpid() != fuzz_pid)
		return;
	for (size_t d = 0; d < 2; d++) {
		for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
			snprintf(path, sizeof(path), "%s/%s", dir[d], files[i]);
			if (unlink(path) < 0)
				rmdir(path);
		}
		rmdir(dir[d]);
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char rules[] =
	    "[classifier]\n"
	    "rule = mailbox-unknown /5\\.1\\.1|user unknown/i\n"
	    "rule = routing /no mail hosts/\n";
	static const char sections[] = "state_dir = /var/lib/retryd-fuzz\n"
				       "[backoff]\n"
				       "tier = 0s every 10m\n"
				       "[group inc]\n"
				       "domains = inc.test\n";
	static const char resolv[] = "nameserver 127.0.0.53\n";
	char path[256];

	(void)argc;
	(void)argv;
	if (mkdtemp(fuzz_dir) == NULL || mkdtemp(fuzz_out) == NULL) {
		perror("mkdtemp");
		abort();
	}
	fuzz_pid = getpid();
	atexit(fuzz_cleanup);
	snprintf(path, sizeof(path), "%s/inc", fuzz_dir);
	if (mkdir(path, 0700) < 0) {
		perror(path);
		abort();
	}
	snprintf(path, sizeof(path), "%s/inc/rules.ini", fuzz_dir);
	fuzz_write(path, rules, sizeof(rules) - 1);
	snprintf(path, sizeof(path), "%s/inc/sections.ini", fuzz_dir);
	fuzz_write(path, sections, sizeof(sections) - 1);
	snprintf(fuzz_resolv, sizeof(fuzz_resolv), "%s/resolv.conf", fuzz_dir);
	fuzz_write(fuzz_resolv, resolv, sizeof(resolv) - 1);
	snprintf(fuzz_file, sizeof(fuzz_file), "%s/retryd.ini", fuzz_dir);
	snprintf(fuzz_p1, sizeof(fuzz_p1), "%s/p1.ini", fuzz_out);
	snprintf(fuzz_p2, sizeof(fuzz_p2), "%s/p2.ini", fuzz_out);
	return 0;
}

/* Print @param p to @param path; @return the text (malloc'd) */
static char *fuzz_print(const struct policy *p, const char *path, size_t *len)
{
	FILE *fp = fopen(path, "w+");
	char *text;
	long n;

	if (fp == NULL || policy_print(p, fp) < 0 || fflush(fp) != 0) {
		perror("fuzz_policy: policy_print of an accepted policy");
		abort();
	}
	n = ftell(fp);
	if (n < 0 || (text = malloc((size_t)n + 1)) == NULL) {
		perror("fuzz_policy: ftell");
		abort();
	}
	rewind(fp);
	if (fread(text, 1, (size_t)n, fp) != (size_t)n) {
		perror("fuzz_policy: reading the printed policy");
		abort();
	}
	text[n] = 0;
	fclose(fp);
	*len = (size_t)n;
	return text;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char err[8192];
	struct policy *p = NULL, *q = NULL;
	char *t1, *t2;
	size_t n1, n2;

	fuzz_write(fuzz_file, data, size);
	if (policy_load_from(fuzz_file, fuzz_resolv, &p, err, sizeof(err)) <
	    0) {
		if (p != NULL || err[0] == 0) {
			fprintf(stderr, "fuzz_policy: refused without error "
					"text, or with a policy\n");
			abort();
		}
		return 0;
	}
	t1 = fuzz_print(p, fuzz_p1, &n1);
	if (policy_load_from(fuzz_p1, fuzz_resolv, &q, err, sizeof(err)) < 0) {
		fprintf(stderr,
			"fuzz_policy: the printed policy does not load:\n%s"
			"--- printed:\n%s",
			err, t1);
		abort();
	}
	t2 = fuzz_print(q, fuzz_p2, &n2);
	if (n1 != n2 || memcmp(t1, t2, n1) != 0) {
		fprintf(stderr,
			"fuzz_policy: printing is not a fixed point\n"
			"--- first:\n%s--- second:\n%s",
			t1, t2);
		abort();
	}
	free(t1);
	free(t2);
	policy_free(q);
	policy_free(p);
	return 0;
}
