/*
 * NAME
 *	pass_hooks 3
 * SUMMARY
 *	run the policy's flush_resolver and escalate hooks beside the pass,
 *	write reports
 * DESCRIPTION
 *	pass_hooks_flush() starts [hooks] flush_resolver once for each MTA
 *	resolver node that failed in the domain's verification (%r =
 *	"IP:PORT", %d = the domain); when the verification names none,
 *	every [resolvers] mta address is flushed. pass_hooks_escalate()
 *	starts [hooks] escalate once per domain per failure: only when
 *	domains.last_escalated is older than the first failure of the oldest
 *	due message of the domain; %f is the proof bundle of report.h
 *	(report_write_file) under STATE_DIR/reports (temp file, fsync,
 *	rename).
 *
 *	Hooks never block the pass: they run beside it in ctx->hooks (a
 *	spawn_pool of LIMIT_HOOKS_RUNNING), each in its own process group,
 *	with a fixed argv (never a shell) and a fixed environment (PATH,
 *	LANG=C and RETRYD_* context: nothing of retryd's), as [hooks] user
 *	when set, killed with its whole group after LIMIT_HOOK_TIMEOUT_MS;
 *	whatever it leaves running when it exits is killed too.
 *	pass_hooks_settle() lets the pass wait at most
 *	LIMIT_HOOK_FLUSH_WAIT_MS for this pass's flush hooks before it
 *	attempts (a flushed cache is what the attempt needs); a slower one
 *	goes on beside. pass_hooks_reap() (every pass) logs the hooks that
 *	ended: one line per hook run. A hook that cannot start because
 *	LIMIT_HOOKS_RUNNING already run is skipped (logged, rate-limited);
 *	the next verification starts it again.
 *
 *	With privilege separation (ctx->hook_fn set) the daemon runs no
 *	program: the privileged helper starts each hook with the templates
 *	of its own policy through pass_hooks_begin(), the same runner
 *	(process group, environment, user, cap of LIMIT_HOOKS_RUNNING,
 *	deadline) in its own pool, answers at once, and logs its end with
 *	pass_hooks_report(); pass_hooks_settle() and pass_hooks_wait() then
 *	ask it to wait (ctx->hook_wait_fn), with the same bounds
 *	(retryd/priv/).
 * DIAGNOSTICS
 *	One line per hook: "HOOK hook for DOMAIN (RESOLVER): done" or
 *	"...: exit N|signal N|timed out after N ms: OUTPUT" (the first 200
 *	bytes, masked). Never fatal. Owns: the report files it writes.
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
#include "util/spawn_pool.h"

/* Tags of the pool's children (the helper's are enum priv_hook's). */
#define HOOKS_TAG_FLUSH	   1
#define HOOKS_TAG_ESCALATE 2
#define HOOKS_ENV_MAX	   8
#define HOOKS_PATH                                                             \
	"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* A hook's fixed environment: PATH, LANG=C and RETRYD_* context. */
struct hooks_env {
	char hook[64], dom[LIMIT_DOMAIN + 16], res[96], ver[64];
	char rep[PATH_MAX + 16];
	char *envp[HOOKS_ENV_MAX];
};

void pass_hooks_report(const struct spawn_pool_end *e, void *arg)
{
	struct pass_ctx *ctx = arg;
	char text[201];

	log_printable(text, sizeof(text), e->out);
	if (e->end == SPAWN_EXITED && e->exit_code == 0) {
		log_info("%s: done", e->label);
		return;
	}
	if (ctx)
		ctx->stats.hooks_failed++;
	if (e->end == SPAWN_TIMED_OUT) {
		log_warn("%s: timed out after %ld ms: killed with its process "
			 "group: %s",
			 e->label, e->ms, text);
	} else if (e->end == SPAWN_EXITED) {
		log_warn("%s: exit %d: %s", e->label, e->exit_code, text);
	} else if (e->end == SPAWN_SIGNALED) {
		log_warn("%s: signal %d: %s", e->label, e->signal, text);
	} else {
		log_warn("%s: reaped elsewhere, end unknown", e->label);
	}
}

/* "NAME=value" into @param buf; @return buf. */
static char *pass_hooks_var(char *buf, size_t len, const char *name,
			    const char *value)
{
	snprintf(buf, len, "%s=%s", name, value ? value : "");
	return buf;
}

static void pass_hooks_env(struct hooks_env *v, const char *what,
			   const char *domain, const char *verdict,
			   const char *resolver, const char *file)
{
	size_t n = 0;

	v->envp[n++] = (char *)HOOKS_PATH;
	v->envp[n++] = (char *)"LANG=C";
	v->envp[n++] =
	    pass_hooks_var(v->hook, sizeof(v->hook), "RETRYD_HOOK", what);
	v->envp[n++] =
	    pass_hooks_var(v->dom, sizeof(v->dom), "RETRYD_DOMAIN", domain);
	v->envp[n++] =
	    pass_hooks_var(v->res, sizeof(v->res), "RETRYD_RESOLVER", resolver);
	v->envp[n++] =
	    pass_hooks_var(v->ver, sizeof(v->ver), "RETRYD_VERDICT", verdict);
	v->envp[n++] =
	    pass_hooks_var(v->rep, sizeof(v->rep), "RETRYD_REPORT", file);
	v->envp[n] = NULL;
}

/*
 * Start one hook in @param pool. @return 0, 1 (pool full), -1 (logged).
 */
static int pass_hooks_spawn(struct spawn_pool *pool, char *const tmpl[],
			    const char *user, const char *what, int tag,
			    const char *domain, const char *verdict,
			    const char *resolver, const char *file)
{
	char **argv = spawn_argv_expand(tmpl, domain, resolver, file);
	char label[LIMIT_DOMAIN + 128], err[256];
	struct hooks_env v;
	struct spawn_pool_opts o = {
	    .envp = v.envp,
	    .user = user && user[0] ? user : NULL,
	    .out_max = LIMIT_HOOK_OUTPUT,
	    .timeout_ms = LIMIT_HOOK_TIMEOUT_MS,
	    .tag = tag,
	    .label = label,
	};
	int rc;

	snprintf(label, sizeof(label), "%s hook for %s (%s)", what, domain,
		 resolver ? resolver : "-");
	if (argv == NULL) {
		log_warn("%s: not run (out of memory, or a word from data "
			 "would start with -)",
			 label);
		return -1;
	}
	pass_hooks_env(&v, what, domain, verdict, resolver, file);
	rc = pool ? spawn_pool_start(pool, argv, &o, err, sizeof(err)) : -1;
	spawn_argv_free(argv);
	if (rc == 1) {
		log_warn_limited("hooks-full", 60,
				 "%s: skipped: %d hooks already running (the "
				 "next verification starts it again)",
				 label, LIMIT_HOOKS_RUNNING);
		return 1;
	}
	if (rc < 0)
		log_warn("%s: %.200s", label, pool ? err : "no runner");
	return rc;
}

int pass_hooks_begin(struct spawn_pool *pool, char *const tmpl[],
		     const char *user, const char *what, int tag,
		     const char *domain, const char *resolver, const char *file)
{
	return pass_hooks_spawn(pool, tmpl, user, what, tag, domain, NULL,
				resolver, file);
}

/* Start one hook beside the pass, or ask the helper. @return 0 or -1. */
static int pass_hooks_start(struct pass_ctx *ctx, char *const tmpl[],
			    const char *what, int tag, const char *domain,
			    const char *verdict, const char *resolver,
			    const char *file)
{
	int rc;

	ctx->stats.hooks_run++;
	if (ctx->hook_fn != NULL) {
		rc = ctx->hook_fn(ctx->hook_arg, what, domain, resolver, file);
		if (rc < 0)
			ctx->stats.hooks_failed++;
		return rc;
	}
	rc = pass_hooks_spawn(ctx->hooks, tmpl, ctx->policy->hook_user, what,
			      tag, domain, verdict, resolver, file);
	if (rc != 0) {
		ctx->stats.hooks_failed++;
		return -1;
	}
	return 0;
}

void pass_hooks_reap(struct pass_ctx *ctx)
{
	if (ctx->hooks)
		spawn_pool_reap(ctx->hooks, -1, 0, pass_hooks_report, ctx);
}

void pass_hooks_settle(struct pass_ctx *ctx)
{
	if (ctx->hook_wait_fn != NULL)
		ctx->hook_wait_fn(ctx->hook_arg, 1, LIMIT_HOOK_FLUSH_WAIT_MS);
	else if (ctx->hooks)
		spawn_pool_reap(ctx->hooks, HOOKS_TAG_FLUSH,
				LIMIT_HOOK_FLUSH_WAIT_MS, pass_hooks_report,
				ctx);
}

void pass_hooks_wait(struct pass_ctx *ctx, int wait_ms)
{
	if (ctx->hook_wait_fn != NULL)
		ctx->hook_wait_fn(ctx->hook_arg, 0, wait_ms);
	else if (ctx->hooks)
		spawn_pool_reap(ctx->hooks, -1, wait_ms, pass_hooks_report,
				ctx);
}

int pass_hooks_init(struct pass_ctx *ctx, char *err, size_t errlen)
{
	if ((ctx->hooks = spawn_pool_new(LIMIT_HOOKS_RUNNING)) == NULL) {
		snprintf(err, errlen, "hooks: out of memory");
		return -1;
	}
	return 0;
}

void pass_hooks_stop(struct pass_ctx *ctx)
{
	spawn_pool_free(ctx->hooks, pass_hooks_report, NULL);
	ctx->hooks = NULL;
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
			rc |= pass_hooks_start(
			    ctx, p->hook_flush_resolver, "flush_resolver",
			    HOOKS_TAG_FLUSH, d->name,
			    verify_verdict_name(d->verdict),
			    p->resolvers_mta.items[i].text, NULL);
		return rc;
	}
	for (size_t i = 0; i < d->nnodes; i++)
		rc |= pass_hooks_start(ctx, p->hook_flush_resolver,
				       "flush_resolver", HOOKS_TAG_FLUSH,
				       d->name, verify_verdict_name(d->verdict),
				       d->nodes[i], NULL);
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
	pass_hooks_start(ctx, ctx->policy->hook_escalate, "escalate",
			 HOOKS_TAG_ESCALATE, d->name,
			 verify_verdict_name(d->verdict), NULL, path);
	return 0;
}
