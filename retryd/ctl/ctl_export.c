/*
 * NAME
 *	ctl_export 3
 * SUMMARY
 *	retryctl export postfix-filter | exim-domains [--inline] |
 *	suppressed [--format postfix|postfix-transport|exim|csv|json]  [-o FILE]
 * SYNOPSIS
 *	#include "ctl/ctl.h"
 * DESCRIPTION
 *	postfix-filter writes the smtp_delivery_status_filter regexp table
 *	for the policy's watched domains; exim-domains the domain list for
 *	fail_defer_domains (a list file, or --inline one config line);
 *	suppressed the suppressed addresses as a Postfix
 *	check_recipient_access source (postmap it), an Exim lsearch file,
 *	CSV or JSON. The default format is the policy's mta.
 *
 *	Output goes to stdout, or with -o FILE to FILE.tmp.PID in the same
 *	directory, fsync'ed and renamed over FILE: a reader (postmap, Exim)
 *	sees the old table or the new one, never half of one. On any error
 *	the old FILE stays as it was.
 *
 *	Owns: the store handle and the temp file, per command.
 * DIAGNOSTICS
 *	Exit 0; 1 when the store or the write fails or a policy name cannot
 *	be exported; 2 on bad usage. Addresses a table format cannot carry
 *	safely are skipped and counted on stderr.
 */
#include "ctl/ctl.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "export/export.h"
#include "util/atomic_file.h"

#define EXPORT_USAGE                                                           \
	"usage: retryctl export postfix-filter [-o FILE]\n"                    \
	"       retryctl export exim-domains [--inline] [-o FILE]\n"           \
	"       retryctl export suppressed [--format "                         \
	"postfix|postfix-transport|exim|csv|json] "                            \
	"[-o FILE]\n"

/* Where the output goes: stdout, or a temp file renamed at the end. */
struct export_out {
	FILE *fp;
	const char *path; /* NULL: stdout */
	struct atomic_file af;
};

static int export_out_open(struct export_out *o, const char *path, FILE *std)
{
	char err[512];

	o->path = path;
	if (path == NULL) {
		o->fp = std;
		return 0;
	}
	if (atomic_file_open(&o->af, path, 0644, err, sizeof(err)) < 0) {
		fprintf(stderr, "retryctl: export: %s\n", err);
		return -1;
	}
	o->fp = o->af.fp;
	return 0;
}

/* Commit (@param ok) or discard the output. @return 0 or -1. */
static int export_out_close(struct export_out *o, int ok)
{
	char err[512];

	if (o->path == NULL)
		return ok ? 0 : -1;
	if (!ok) {
		atomic_file_abort(&o->af);
		return -1;
	}
	if (atomic_file_commit(&o->af, err, sizeof(err)) < 0) {
		fprintf(stderr, "retryctl: export: %s\n", err);
		return -1;
	}
	return 0;
}

static int export_suppressed_one(const struct store_suppressed *s, void *arg)
{
	return export_suppressed_add(arg, s) < 0 ? -1 : 0;
}

static int export_suppressed_cmd(struct ctl_context *ctx, FILE *out,
				 enum export_format fmt)
{
	struct export_sink sink;
	struct store *st = NULL;
	char err[512];
	int rc = STORE_OK;

	if (!ctl_store_missing(ctx) &&
	    (st = ctl_store_open(ctx, "export")) == NULL)
		return -1;
	export_suppressed_begin(&sink, out, fmt, ctx->now);
	if (st != NULL)
		rc = store_walk_suppressed(st, export_suppressed_one, &sink,
					   err, sizeof(err));
	store_close(st);
	ctl_store_detached(); /* root again for the output file */
	if (export_suppressed_end(&sink) < 0 || rc != STORE_OK) {
		fprintf(stderr, "retryctl: export: %s\n",
			rc != STORE_OK ? err : "write failed");
		return -1;
	}
	if (sink.skipped > 0)
		fprintf(stderr,
			"retryctl: export: %zu address(es) skipped: not safe "
			"as a key of this table format (see retryctl "
			"suppressed)\n",
			sink.skipped);
	return 0;
}

int ctl_export(struct ctl_context *ctx, int argc, char **argv)
{
	const char *what = NULL, *path = NULL, *fmtname = NULL;
	enum export_format fmt;
	struct export_out o;
	int inline_list = 0, rc;
	char err[512];

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-o") == 0 && i + 1 < argc)
			path = argv[++i];
		else if (strcmp(argv[i], "--format") == 0 && i + 1 < argc)
			fmtname = argv[++i];
		else if (strcmp(argv[i], "--inline") == 0)
			inline_list = 1;
		else if (argv[i][0] != '-' && what == NULL)
			what = argv[i];
		else {
			fprintf(stderr,
				"retryctl: export: bad argument: %.100s\n%s",
				argv[i], EXPORT_USAGE);
			return CTL_EXIT_USAGE;
		}
	}
	if (what == NULL ||
	    (strcmp(what, "postfix-filter") != 0 &&
	     strcmp(what, "exim-domains") != 0 &&
	     strcmp(what, "suppressed") != 0) ||
	    (fmtname != NULL && strcmp(what, "suppressed") != 0) ||
	    (inline_list && strcmp(what, "exim-domains") != 0)) {
		fprintf(stderr, "%s", EXPORT_USAGE);
		return CTL_EXIT_USAGE;
	}
	if (fmtname == NULL)
		fmtname = ctx->policy->mta;
	if (export_format_parse(fmtname, &fmt) < 0) {
		fprintf(stderr, "retryctl: export: unknown format: %.40s\n%s",
			fmtname, EXPORT_USAGE);
		return CTL_EXIT_USAGE;
	}
	if (path != NULL && ctl_check_arg("export", "file", path, 4000) < 0)
		return CTL_EXIT_USAGE;
	if (export_out_open(&o, path, ctx->out) < 0)
		return CTL_EXIT_ERROR;
	if (strcmp(what, "suppressed") == 0) {
		rc = export_suppressed_cmd(ctx, o.fp, fmt);
	} else {
		rc = strcmp(what, "postfix-filter") == 0
			 ? export_postfix_filter(ctx->policy, ctx->policy->file,
						 o.fp, err, sizeof(err))
			 : export_exim_domains(ctx->policy, ctx->policy->file,
					       inline_list, o.fp, err,
					       sizeof(err));
		if (rc < 0)
			fprintf(stderr, "retryctl: export: %s\n", err);
	}
	if (export_out_close(&o, rc == 0) < 0 || rc < 0)
		return CTL_EXIT_ERROR;
	return CTL_EXIT_OK;
}
