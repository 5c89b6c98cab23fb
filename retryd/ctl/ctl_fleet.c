/*
 * NAME
 *	ctl_fleet 3
 * SUMMARY
 *	retryctl fleet init|status|sync|export, the --fleet views, and the
 *	fleet-wide half of unsuppress
 * SYNOPSIS
 *	retryctl fleet init
 *	retryctl fleet status [--json]
 *	retryctl fleet sync
 *	retryctl fleet export postfix-pgsql|exim-pgsql [-o FILE]
 *	retryctl report --fleet [--since DUR] [--json]
 *	retryctl list --fleet [--since DUR] [--json]
 *	retryctl diagnose DOMAIN --fleet [--since DUR] [--json]
 * DESCRIPTION
 *	init creates or migrates the shared schema (versioned). status shows
 *	this host's outbox (from its store) and every host as the database
 *	last heard of it. sync does one daemon round now: ship the outbox,
 *	decide fleet-wide, pull the decisions. export writes MTA lookup
 *	configuration that reads fleet_suppressed directly. The views read
 *	the shared tables only (fleet_view.c); the default window is 1 h
 *	(24 h for list).
 *
 *	ctl_fleet_unsuppress() clears an address fleet-wide and ships this
 *	host's outbox at once, so the operator-reset evidence reaches the
 *	other hosts' decisions as well.
 * DIAGNOSTICS
 *	"retryctl: fleet: ..." with libpq's reason; exit 1. Without a
 *	[fleet] database every fleet command says so and exits 1.
 */
#include <fcntl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl/ctl.h"
#include "util/atomic_file.h"
#include "fleet/fleet.h"
#include "util/log.h"

#define CTL_FLEET_SINCE	     3600  /* default window of the views */
#define CTL_FLEET_LIST_SINCE 86400 /* default window of list --fleet */

static struct fleet *ctl_fleet_new(const struct ctl_context *ctx,
				   const char *cmd)
{
	struct fleet *f;

	if (ctx->policy->fleet_database == NULL) {
		fprintf(stderr,
			"retryctl: %s: no [fleet] database in %s: this host "
			"is not in a fleet\n",
			cmd, ctx->policy->file);
		return NULL;
	}
	if ((f = fleet_new(ctx->policy)) == NULL)
		fprintf(stderr, "retryctl: %s: out of memory\n", cmd);
	return f;
}

static int ctl_fleet_init(struct ctl_context *ctx, struct fleet *f)
{
	char err[512];
	int from;

	if (fleet_schema_init(f, &from, err, sizeof(err)) < 0) {
		fprintf(stderr, "retryctl: fleet init: %s\n", err);
		return CTL_EXIT_ERROR;
	}
	if (from == FLEET_SCHEMA_VERSION)
		fprintf(ctx->out, "fleet schema: version %d, up to date\n",
			from);
	else
		fprintf(ctx->out, "fleet schema: version %d -> %d\n", from,
			FLEET_SCHEMA_VERSION);
	return CTL_EXIT_OK;
}

static int ctl_fleet_status(struct ctl_context *ctx, struct fleet *f, int json)
{
	struct store_outbox_stat os;
	struct store *st = NULL;
	char err[512];
	int rc = CTL_EXIT_OK;

	memset(&os, 0, sizeof(os));
	if (!ctl_store_missing(ctx)) {
		if ((st = ctl_store_open(ctx, "fleet status")) == NULL)
			return CTL_EXIT_ERROR;
		if (store_outbox_stat(st, &os, err, sizeof(err)) != STORE_OK) {
			fprintf(stderr, "retryctl: fleet status: %s\n", err);
			rc = CTL_EXIT_ERROR;
		}
		store_close(st);
	}
	if (!json)
		fprintf(ctx->out,
			"this host: %s, outbox: %llu evidence, %llu "
			"verifications waiting, %llu verifications dropped\n",
			ctx->policy->host_id, (unsigned long long)os.evidence,
			(unsigned long long)os.verifications,
			(unsigned long long)os.dropped);
	else
		fprintf(ctx->out,
			"{\"host\": \"%s\", \"outbox_evidence\": %llu, "
			"\"outbox_verifications\": %llu, \"outbox_dropped\": "
			"%llu, \"fleet\":\n",
			ctx->policy->host_id, (unsigned long long)os.evidence,
			(unsigned long long)os.verifications,
			(unsigned long long)os.dropped);
	if (fleet_view_status(f, ctx->out, json, ctx->now, err, sizeof(err)) <
	    0) {
		fprintf(stderr, "retryctl: fleet status: %s\n", err);
		if (json)
			fprintf(ctx->out, "null\n");
		rc = CTL_EXIT_ERROR;
	}
	if (json)
		fprintf(ctx->out, "}\n");
	return rc;
}

static int ctl_fleet_sync(struct ctl_context *ctx, struct fleet *f)
{
	size_t shipped = 0, decided = 0, evaluated = 0, added = 0, removed = 0;
	struct store *st;
	char err[512];
	int rc = CTL_EXIT_OK;

	if ((st = ctl_store_open(ctx, "fleet sync")) == NULL)
		return CTL_EXIT_ERROR;
	if (fleet_ship(f, st, ctx->now, &shipped, err, sizeof(err)) < 0 ||
	    fleet_suppress_evaluate(f, 2 * ctx->policy->fleet_interval + 60,
				    ctx->now, &decided, &evaluated, err,
				    sizeof(err)) < 0 ||
	    fleet_suppress_pull(f, st, &added, &removed, err, sizeof(err)) <
		0) {
		fprintf(stderr, "retryctl: fleet sync: %s\n", err);
		rc = CTL_EXIT_ERROR;
	} else {
		fprintf(ctx->out,
			"shipped=%zu, evaluated=%zu, decided=%zu, pulled=%zu, "
			"cleared=%zu\n",
			shipped, evaluated, decided, added, removed);
	}
	store_close(st);
	return rc;
}

static int ctl_fleet_export(struct ctl_context *ctx, int argc, char **argv)
{
	const char *path = NULL;
	char err[512];
	FILE *out = ctx->out;
	struct atomic_file af;
	int exim;

	if (argc < 3 || (strcmp(argv[2], "postfix-pgsql") != 0 &&
			 strcmp(argv[2], "exim-pgsql") != 0)) {
		fprintf(stderr, "usage: retryctl fleet export "
				"postfix-pgsql|exim-pgsql [-o FILE]\n");
		return CTL_EXIT_USAGE;
	}
	exim = strcmp(argv[2], "exim-pgsql") == 0;
	if (argc == 5 && strcmp(argv[3], "-o") == 0)
		path = argv[4];
	else if (argc != 3) {
		fprintf(stderr, "usage: retryctl fleet export "
				"postfix-pgsql|exim-pgsql [-o FILE]\n");
		return CTL_EXIT_USAGE;
	}
	/* temp file, fsync, rename (util/atomic_file.c): the MTA never reads
	 * half a file; mode 0640 whatever the umask (it may hold the
	 * password) */
	if (path != NULL) {
		if (atomic_file_open(&af, path, 0640, err, sizeof(err)) < 0) {
			fprintf(stderr, "retryctl: fleet export: %s\n", err);
			return CTL_EXIT_ERROR;
		}
		out = af.fp;
	}
	if (fleet_export_lookup(ctx->policy, exim, out, err, sizeof(err)) < 0) {
		fprintf(stderr, "retryctl: fleet export: %s\n", err);
		if (path != NULL)
			atomic_file_abort(&af);
		return CTL_EXIT_ERROR;
	}
	if (path != NULL && atomic_file_commit(&af, err, sizeof(err)) < 0) {
		fprintf(stderr, "retryctl: fleet export: %s\n", err);
		return CTL_EXIT_ERROR;
	}
	return CTL_EXIT_OK;
}

int ctl_fleet(struct ctl_context *ctx, int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "";
	struct fleet *f;
	int rc, json = argc == 3 && strcmp(argv[2], "--json") == 0;

	if (strcmp(sub, "init") != 0 && strcmp(sub, "status") != 0 &&
	    strcmp(sub, "sync") != 0 && strcmp(sub, "export") != 0) {
		fprintf(stderr, "usage: retryctl fleet init | status [--json] "
				"| sync | export postfix-pgsql|exim-pgsql [-o "
				"FILE]\n");
		return CTL_EXIT_USAGE;
	}
	if (strcmp(sub, "export") == 0)
		return ctl_fleet_export(ctx, argc, argv);
	if (argc > 2 && !(strcmp(sub, "status") == 0 && json)) {
		fprintf(stderr,
			"retryctl: fleet %s: unexpected argument: "
			"%.100s\n",
			sub, argv[2]);
		return CTL_EXIT_USAGE;
	}
	if ((f = ctl_fleet_new(ctx, "fleet")) == NULL)
		return CTL_EXIT_ERROR;
	if (strcmp(sub, "init") == 0)
		rc = ctl_fleet_init(ctx, f);
	else if (strcmp(sub, "status") == 0)
		rc = ctl_fleet_status(ctx, f, json);
	else
		rc = ctl_fleet_sync(ctx, f);
	fleet_close(f);
	return rc;
}

int ctl_fleet_view(struct ctl_context *ctx, int argc, char **argv)
{
	const char *cmd = argv[0], *domain = NULL;
	int64_t since =
	    strcmp(cmd, "list") == 0 ? CTL_FLEET_LIST_SINCE : CTL_FLEET_SINCE;
	char err[512];
	struct fleet *f;
	int json = 0, rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--fleet") == 0)
			continue;
		if (strcmp(argv[i], "--json") == 0 ||
		    (strcmp(argv[i], "--format") == 0 && i + 1 < argc &&
		     strcmp(argv[i + 1], "json") == 0)) {
			json = 1;
			i += argv[i][2] == 'f';
		} else if (strcmp(argv[i], "--since") == 0 && i + 1 < argc) {
			if (policy_parse_duration(argv[++i], &since) < 0 ||
			    since <= 0) {
				fprintf(stderr,
					"retryctl: %s: bad --since: %.40s\n",
					cmd, argv[i]);
				return CTL_EXIT_USAGE;
			}
		} else if (strcmp(cmd, "diagnose") == 0 && domain == NULL &&
			   argv[i][0] != '-') {
			domain = argv[i];
		} else {
			fprintf(stderr,
				"usage: retryctl %s%s --fleet [--since DUR] "
				"[--json]\n",
				cmd, strcmp(cmd, "diagnose") ? "" : " DOMAIN");
			return CTL_EXIT_USAGE;
		}
	}
	if (strcmp(cmd, "diagnose") == 0 &&
	    (domain == NULL ||
	     ctl_check_arg(cmd, "domain", domain, LIMIT_DOMAIN) < 0)) {
		fprintf(stderr, "usage: retryctl diagnose DOMAIN --fleet\n");
		return CTL_EXIT_USAGE;
	}
	if ((f = ctl_fleet_new(ctx, cmd)) == NULL)
		return CTL_EXIT_ERROR;
	if (strcmp(cmd, "report") == 0)
		rc = fleet_view_report(f, ctx->out, json, ctx->now - since,
				       ctx->now, err, sizeof(err));
	else if (strcmp(cmd, "list") == 0)
		rc = fleet_view_list(f, ctx->out, json, ctx->now - since, err,
				     sizeof(err));
	else
		rc = fleet_view_diagnose(f, ctx->out, json, domain,
					 ctx->now - since, err, sizeof(err));
	fleet_close(f);
	if (rc < 0) {
		fprintf(stderr, "retryctl: %s --fleet: %s\n", cmd, err);
		return CTL_EXIT_ERROR;
	}
	return CTL_EXIT_OK;
}

int ctl_fleet_unsuppress(struct ctl_context *ctx, struct store *st,
			 const char *address)
{
	struct fleet *f;
	size_t shipped = 0;
	char err[512];
	int rc = CTL_EXIT_OK;

	if (ctx->policy->fleet_database == NULL)
		return CTL_EXIT_OK;
	if ((f = ctl_fleet_new(ctx, "unsuppress")) == NULL)
		return CTL_EXIT_ERROR;
	if (fleet_suppress_clear(f, address, ctx->now, err, sizeof(err)) < 0 ||
	    fleet_ship(f, st, ctx->now, &shipped, err, sizeof(err)) < 0) {
		fprintf(stderr,
			"retryctl: unsuppress: %s: not cleared fleet-wide "
			"(%s): run it again when the database answers\n",
			address, err);
		rc = CTL_EXIT_ERROR;
	} else {
		fprintf(ctx->out, "unsuppressed %s fleet-wide\n", address);
	}
	fleet_close(f);
	return rc;
}
