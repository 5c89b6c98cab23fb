/*
 * NAME
 *	hooks 3
 * SUMMARY
 *	run the policy's flush_resolver and escalate hooks, write reports
 * DESCRIPTION
 *	pass_hooks_flush() runs [hooks] flush_resolver once for each MTA resolver
 *	node that failed in the domain's verification (%r = "IP:PORT", %d =
 *	the domain); when the verification names none, every [resolvers] mta
 *	address is flushed. pass_hooks_escalate() runs [hooks] escalate once per
 *	domain per failure: only when domains.last_escalated is older than
 *	the first failure of the oldest due message of the domain; %f is the
 *	proof bundle of report.h (report_write_file) under STATE_DIR/reports
 *	(temp file, fsync, rename). Hooks run with spawn_run(): a fixed argv, never a shell,
 *	killed after LIMIT_HOOK_TIMEOUT_MS. pass_hooks_exec() is that runner;
 *	with privilege separation (ctx->hook_fn set) the privileged helper
 *	runs it with the templates of its own policy (retryd/priv/).
 * DIAGNOSTICS
 *	A failing hook is logged (exit status and the start of its stderr),
 *	never fatal. Owns: the report files it writes.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/log.h"
#include "pass/pass_int.h"
#include "report/report.h"
#include "util/spawn.h"

int pass_hooks_exec(char *const tmpl[], const char *what, const char *domain,
		    const char *resolver, const char *file)
{
	char **argv = spawn_argv_expand(tmpl, domain, resolver, file);
	struct spawn_result res;
	char err[256], text[201];
	int ok;

	if (argv == NULL) {
		log_warn("%s hook for %s: not run (out of memory, or a word "
			 "from data would start with -)",
			 what, domain);
		return -1;
	}
	if (spawn_run(argv, NULL, 0, LIMIT_HOOK_TIMEOUT_MS, &res, err,
		      sizeof(err)) < 0) {
		log_warn("%s hook for %s (%s): %.200s", what, domain,
			 resolver ? resolver : "-", err);
		spawn_argv_free(argv);
		return -1;
	}
	ok = res.exited && res.exit_code == 0;
	if (ok)
		log_info("%s hook for %s (%s): done", what, domain,
			 resolver ? resolver : "-");
	else
		log_warn(
		    "%s hook for %s (%s): %s %d: %.200s", what, domain,
		    resolver ? resolver : "-", res.exited ? "exit" : "signal",
		    res.exited ? res.exit_code : res.signal,
		    log_printable(text, sizeof(text), res.err ? res.err : ""));
	spawn_result_free(&res);
	spawn_argv_free(argv);
	return ok ? 0 : -1;
}

/* Run a hook here, or through ctx->hook_fn (the privileged helper). */
static int hooks_run(struct pass_ctx *ctx, char *const tmpl[], const char *what,
		     const char *domain, const char *resolver, const char *file)
{
	int rc;

	ctx->stats.hooks_run++;
	if (ctx->hook_fn != NULL)
		rc = ctx->hook_fn(ctx->hook_arg, what, domain, resolver, file);
	else
		rc = pass_hooks_exec(tmpl, what, domain, resolver, file);
	if (rc < 0)
		ctx->stats.hooks_failed++;
	return rc;
}

int pass_hooks_flush(struct pass_ctx *ctx, const struct pass_domain *d)
{
	const struct policy *p = ctx->policy;
	int rc = 0;

	if (p->hook_flush_resolver == NULL)
		return 0;
	if (p->observe) { /* the MTA's resolver is the MTA's: not touched */
		log_info("observe: would run the flush_resolver hook for %s",
			 d->name);
		return 0;
	}
	if (d->nnodes == 0) {
		for (size_t i = 0; i < p->resolvers_mta.n; i++)
			rc |= hooks_run(ctx, p->hook_flush_resolver,
					"flush_resolver", d->name,
					p->resolvers_mta.items[i].text, NULL);
		return rc;
	}
	for (size_t i = 0; i < d->nnodes; i++)
		rc |= hooks_run(ctx, p->hook_flush_resolver, "flush_resolver",
				d->name, d->nodes[i], NULL);
	return rc;
}

int pass_hooks_escalate(struct pass_ctx *ctx, const struct pass_domain *d,
			int64_t now)
{
	struct store_domain sd;
	char dir[PATH_MAX], path[PATH_MAX], err[256];
	int rc, n;

	if (ctx->policy->hook_escalate == NULL)
		return 0;
	memset(&sd, 0, sizeof(sd));
	rc = store_get_domain(ctx->store, NULL, d->name, &sd, err, sizeof(err));
	if (rc == STORE_NOTFOUND)
		snprintf(sd.domain, sizeof(sd.domain), "%s", d->name);
	else if (rc != STORE_OK)
		return -1;
	if (sd.last_escalated > 0 && sd.last_escalated >= d->episode)
		return 0; /* already escalated for this failure */
	n = snprintf(dir, sizeof(dir), "%s/reports", ctx->state_dir);
	if (n < 0 || (size_t)n >= sizeof(dir)) {
		log_warn("escalate %s: state_dir path too long", d->name);
		return -1;
	}
	if (mkdir(dir, 0750) < 0 && errno != EEXIST) {
		log_warn("escalate %s: mkdir %s: %s", d->name, dir,
			 strerror(errno));
		return -1;
	}
	/* The proof bundle covers the whole failure, at least the last day. */
	if (report_write_file(
		ctx->store, ctx->policy, d->name,
		d->episode > 0 && d->episode < now - 86400 ? d->episode
							   : now - 86400,
		now, dir, path, sizeof(path), err, sizeof(err)) != 0) {
		log_warn("escalate %s: report: %.200s", d->name, err);
		return -1;
	}
	/* Record first: a crash after the hook must not escalate twice. */
	sd.last_escalated = now;
	if (store_put_domain(ctx->store, NULL, &sd, err, sizeof(err)) !=
	    STORE_OK) {
		log_warn("escalate %s: %.200s", d->name, err);
		return -1;
	}
	log_info("escalate %s: verdict=%s, report %s", d->name,
		 verify_verdict_name(d->verdict), path);
	hooks_run(ctx, ctx->policy->hook_escalate, "escalate", d->name, NULL,
		  path);
	return 0;
}
