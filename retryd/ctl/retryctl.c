/*
 * NAME
 *	retryctl 1
 * SUMMARY
 *	retryd's control tool: look at and act on what retryd holds
 * SYNOPSIS
 *	retryctl [-c FILE] COMMAND [ARGS...]
 *	retryctl -h | --help
 *	retryctl --version
 * DESCRIPTION
 *	Reads the policy (-c FILE, default /etc/retryd/retryd.ini), then
 *	runs one command from the table below with the remaining
 *	arguments. Commands that need the store join the daemon's Berkeley
 *	DB environment without recovery (ctl_store_open); none of them
 *	changes mail by itself except where it says so.
 *
 *	COMMAND -h | --help prints that command's usage.
 *
 *	Owns: the loaded policy for the run, and the command table.
 * DIAGNOSTICS
 *	Exit 0 on success; 1 when an operation fails; 2 on bad usage (with
 *	a usage line); 78 (EX_CONFIG) when the policy has errors, each
 *	printed as FILE:LINE: message. A failed write to stdout exits 1.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl/ctl.h"
#include "util/log.h"
#include "util/version.h"

#define RETRYCTL_POLICY_ERRORS 16384 /* bytes of policy errors reported */

struct retryctl_command {
	const char *name;
	int (*run)(struct ctl_context *ctx, int argc, char **argv);
	const char *usage; /* arguments after the name */
	const char *summary;
	int writes; /* changes the store: refused to read-only users */
};

/* Every command retryctl knows, with its usage and one-line summary. */
static const struct retryctl_command retryctl_commands[] = {
    {"status", ctl_status, "[--json]",
     "is retryd well: daemon, last pass, held, store (exit 0/1/2)", 0},
    {"list", ctl_list, "[--group G] [--domain D] [--due] [--json]",
     "pending recipients of held messages (with --fleet [--since DUR]: "
     "every host's)",
     0},
    {"show", ctl_show, "ADDRESS|QUEUEID [--json]",
     "a message, or an address with its evidence", 0},
    {"diagnose", ctl_diagnose,
     "DOMAIN | --group NAME [--json] | DOMAIN --fleet [--since DUR]",
     "verify a domain's mail route freshly, now", 0},
    {"suppressed", ctl_suppressed, "[--json]", "suppressed addresses", 0},
    {"sentinel", ctl_sentinel, "[--events] [--since DUR] [--json]",
     "what the sentinel saw at each MTA resolver node, and did", 0},
    {"unsuppress", ctl_unsuppress, "ADDRESS",
     "remove an address from the suppressed table", 1},
    {"classify", ctl_classify, "[--json] [TEXT...]",
     "classify bounce texts (one per line on stdin when no TEXT)", 0},
    {"release", ctl_release, "ID... | --all",
     "hand messages back to the MTA now", 1},
    {"export", ctl_export,
     "postfix-filter | exim-domains [--inline] | suppressed "
     "[--format postfix|postfix-transport|exim|csv|json] [-o FILE]",
     "write MTA tables generated from the policy and the store", 0},
    {"shape", ctl_shape, "[--group G] [--by domain|verdict|host] [--json]",
     "held mail by domain and age of the failure (qshape's buckets)", 0},
    {"report", ctl_report,
     "[--since DUR] [--domain D | --group G] [--format text|json|html] "
     "| --fleet [--since DUR] [--json]",
     "what happened, with timestamped proof", 0},
    {"fleet", ctl_fleet,
     "init | status [--json] | sync | export postfix-pgsql|exim-pgsql "
     "[-o FILE]",
     "the shared PostgreSQL tier: schema, hosts, outbox, lookup tables", 1},
};

#define RETRYCTL_NCOMMANDS                                                     \
	(sizeof(retryctl_commands) / sizeof(retryctl_commands[0]))

static void retryctl_help(FILE *fp)
{
	fprintf(fp,
		"usage: retryctl [-c FILE] COMMAND [ARGS...]\n"
		"  -c FILE    policy file (default %s)\n"
		"  -h, --help this help; COMMAND --help: its usage\n"
		"  --version  version, plugin API, linked libraries\n"
		"commands:\n",
		POLICY_DEFAULT_FILE);
	for (size_t i = 0; i < RETRYCTL_NCOMMANDS; i++)
		fprintf(fp, "  %-10s %s\n  %-10s   %s\n",
			retryctl_commands[i].name, retryctl_commands[i].usage,
			"", retryctl_commands[i].summary);
}

static int retryctl_usage(void)
{
	fprintf(stderr, "usage: retryctl [-c FILE] COMMAND [ARGS...] "
			"(retryctl --help lists the commands)\n");
	return CTL_EXIT_USAGE;
}

static const struct retryctl_command *retryctl_find(const char *name)
{
	for (size_t i = 0; i < RETRYCTL_NCOMMANDS; i++)
		if (strcmp(retryctl_commands[i].name, name) == 0)
			return &retryctl_commands[i];
	return NULL;
}

/* report, list and diagnose with --fleet read the shared tables. */
static int retryctl_wants_fleet(const struct retryctl_command *cmd, int argc,
				char **argv)
{
	if (strcmp(cmd->name, "report") != 0 && strcmp(cmd->name, "list") &&
	    strcmp(cmd->name, "diagnose") != 0)
		return 0;
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--fleet") == 0)
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0}};
	const char *file = POLICY_DEFAULT_FILE;
	const struct retryctl_command *cmd;
	struct ctl_context ctx;
	struct policy *policy = NULL;
	char *err;
	int c, rc;

	log_open("retryctl", LOG_DEST_STDERR);
	signal(SIGPIPE,
	       SIG_IGN); /* a closed pipe is a write error, not death */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+c:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			file = optarg;
			break;
		case 'h':
			retryctl_help(stdout);
			return CTL_EXIT_OK;
		case 'V':
			return version_print(stdout, "retryctl") < 0
				   ? CTL_EXIT_ERROR
				   : CTL_EXIT_OK;
		default:
			fprintf(stderr, "retryctl: bad option: %s\n",
				argv[optind - 1]);
			return retryctl_usage();
		}
	}
	if (optind >= argc)
		return retryctl_usage();
	if ((cmd = retryctl_find(argv[optind])) == NULL) {
		char shown[64];

		fprintf(stderr, "retryctl: unknown command: %s\n",
			log_printable(shown, sizeof(shown), argv[optind]));
		return retryctl_usage();
	}
	if (optind + 1 < argc && (strcmp(argv[optind + 1], "-h") == 0 ||
				  strcmp(argv[optind + 1], "--help") == 0)) {
		printf("usage: retryctl %s %s\n", cmd->name, cmd->usage);
		return CTL_EXIT_OK;
	}

	if ((err = calloc(1, RETRYCTL_POLICY_ERRORS)) == NULL) {
		fprintf(stderr, "retryctl: out of memory\n");
		return CTL_EXIT_ERROR;
	}
	if (policy_load(file, &policy, err, RETRYCTL_POLICY_ERRORS) != 0) {
		size_t n = strlen(err);

		fprintf(stderr, "%s%s", err,
			n && err[n - 1] != '\n' ? "\n" : "");
		free(err);
		return POLICY_EX_CONFIG;
	}
	free(err);

	ctx.policy = policy;
	ctx.out = stdout;
	ctx.now = (int64_t)time(NULL);
	ctx.readonly = ctl_store_readonly(policy->state_dir);
	if (ctx.readonly && cmd->writes) {
		fprintf(stderr,
			"retryctl: %s: refused: it changes the store, and "
			"only root or the owner of %.300s may (you may run the "
			"read-only commands: status, list, show, suppressed, "
			"sentinel, shape, report, export)\n",
			cmd->name, policy->state_dir);
		policy_free(policy);
		return CTL_EXIT_NOPERM;
	}
	rc = retryctl_wants_fleet(cmd, argc - optind, argv + optind)
		 ? ctl_fleet_view(&ctx, argc - optind, argv + optind)
		 : cmd->run(&ctx, argc - optind, argv + optind);
	policy_free(policy);
	ctl_store_detached(); /* a ^C deferred while attached ends us now */
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "retryctl: %s: write error on stdout: %s\n",
			cmd->name, strerror(errno));
		return CTL_EXIT_ERROR;
	}
	return rc;
}
