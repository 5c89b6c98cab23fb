/*
 * NAME
 *	retryd 8
 * SUMMARY
 *	take over the retries of deferred mail, re-verifying DNS first
 * SYNOPSIS
 *	retryd [-c FILE] -t
 *	retryd [-c FILE] --preflight
 *	retryd [-c FILE] [-f] [--once] [-v]
 *	retryd --version
 * DESCRIPTION
 *	-c FILE  the policy (default /etc/retryd/retryd.ini).
 *	-t       check the policy and print the effective settings (defaults
 *	         filled in, includes expanded) on stdout, then exit.
 *	--preflight  check the policy, then what it points at on this host
 *	         (preflight.c): plugin and MTA listing, log file, state_dir,
 *	         hooks, resolvers over UDP/TCP; exit 0, 78 or 69.
 *	-f       run in the foreground, logging to stderr (without -f the log
 *	         goes to syslog; retryd never forks itself: run it under
 *	         systemd or another supervisor).
 *	--once   one full pass (scan, adopt, verify, attempt, record), then
 *	         exit; logs to stderr.
 *	-v       verbose (debug) log lines.
 *	-h       this help.
 *	--version  the version, the plugin API and the linked libraries.
 *
 *	This file only parses the command line and loads the policy; the
 *	daemon itself is daemon_run() (daemon.h).
 * DIAGNOSTICS
 *	Policy errors: one "FILE:LINE: message" line each on stderr, exit 78
 *	(EX_CONFIG). A bad command line: usage on stderr, exit 64
 *	(EX_USAGE). Cannot write the -t output: exit 74 (EX_IOERR).
 */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/daemon.h"
#include "daemon/preflight.h"
#include "util/log.h"
#include "util/version.h"
#include "policy/policy.h"

#define MAIN_EX_USAGE 64
#define MAIN_EX_IOERR 74
#define MAIN_ERRBUF   65536 /* policy errors reported at once */
/* Allocations this big come straight from mmap (see main()). */
#define MAIN_MMAP_THRESHOLD (256 * 1024)

static void usage(FILE *fp)
{
	fprintf(fp,
		"usage: retryd [-c FILE] -t          check the policy, print "
		"the effective one\n"
		"       retryd [-c FILE] --preflight check the policy and what "
		"it points at\n"
		"       retryd [-c FILE] [-f] [-v]   run (-f: foreground log "
		"on stderr)\n"
		"       retryd [-c FILE] --once [-v] one full pass, then exit\n"
		"       retryd --version             version and libraries\n"
		"  -c FILE  policy file (default %s)\n",
		POLICY_DEFAULT_FILE);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"once", no_argument, NULL, 'o'},
	    {"preflight", no_argument, NULL, 'P'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	const char *file = POLICY_DEFAULT_FILE;
	int check = 0, foreground = 0, once = 0, verbose = 0, c, status;
	struct policy *p = NULL;
	char *err;

	while ((c = getopt_long(argc, argv, "c:tfvh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			file = optarg;
			break;
		case 't':
			check = check ? check : 1;
			break;
		case 'P':
			check = 2;
			break;
		case 'f':
			foreground = 1;
			break;
		case 'o':
			once = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			return version_print(stdout, "retryd") < 0
				   ? MAIN_EX_IOERR
				   : 0;
		default:
			usage(stderr);
			return MAIN_EX_USAGE;
		}
	}
	if (optind < argc || (check && (foreground || once))) {
		fprintf(stderr, "retryd: %s\n",
			optind < argc ? "unexpected argument"
				      : "-t/--preflight cannot be combined "
					"with -f or --once");
		usage(stderr);
		return MAIN_EX_USAGE;
	}
	/* The big buffers of a pass (the listing index, a discovery table)
	 * straight from mmap: they grow by mremap instead of a copy beside
	 * the old block, and go back to the system when freed. glibc's
	 * dynamic threshold would move them onto the heap after the first
	 * free: at a million listed messages ~20 MB more at the peak. */
	mallopt(M_MMAP_THRESHOLD, MAIN_MMAP_THRESHOLD);
	log_open("retryd", check || foreground || once ? LOG_DEST_STDERR
						       : LOG_DEST_SYSLOG);
	log_set_verbose(verbose);
	if ((err = malloc(MAIN_ERRBUF)) == NULL) {
		fprintf(stderr, "retryd: out of memory\n");
		return 1;
	}
	if (policy_load(file, &p, err, MAIN_ERRBUF) < 0) {
		fputs(err, stderr);
		if (!check && !foreground && !once) /* stderr may go nowhere */
			log_error("policy %s has errors: run retryd -c %s -t",
				  file, file);
		free(err);
		return POLICY_EX_CONFIG;
	}
	free(err);
	if (check == 2) {
		status = preflight_run(p, stdout, stderr);
	} else if (check) {
		status = 0;
		if (policy_print(p, stdout) < 0) {
			fprintf(stderr, "retryd: writing the policy: %s\n",
				strerror(errno));
			status = MAIN_EX_IOERR;
		}
	} else {
		status = daemon_run(file, p, once);
	}
	policy_free(p);
	return status;
}
