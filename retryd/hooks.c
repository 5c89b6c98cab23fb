/*
 * NAME
 *	hooks 3
 * SUMMARY
 *	run the policy's flush_resolver and escalate hooks, write reports
 * DESCRIPTION
 *	hooks_flush() runs [hooks] flush_resolver once for each MTA resolver
 *	node that failed in the domain's verification (%r = "IP:PORT", %d =
 *	the domain); when the verification names none, every [resolvers] mta
 *	address is flushed. hooks_escalate() runs [hooks] escalate once per
 *	domain per failure: only when domains.last_escalated is older than
 *	the first failure of the oldest due message of the domain; %f is a
 *	text report written under STATE_DIR/reports (temp file, fsync,
 *	rename). Hooks run with spawn_run(): a fixed argv, never a shell,
 *	killed after LIMIT_HOOK_TIMEOUT_MS.
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

#include "log.h"
#include "pass_int.h"
#include "spawn.h"

static int hooks_run(struct daemon_ctx *ctx, char *const tmpl[],
		     const char *what, const char *domain, const char *resolver,
		     const char *file)
{
	char **argv = spawn_argv_expand(tmpl, domain, resolver, file);
	struct spawn_result res;
	char err[256], text[201];
	int ok;

	if (argv == NULL) {
		log_warn("%s hook for %s: out of memory", what, domain);
		return -1;
	}
	ctx->stats.hooks_run++;
	if (spawn_run(argv, NULL, 0, LIMIT_HOOK_TIMEOUT_MS, &res, err, sizeof(err)) < 0) {
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
		log_warn("%s hook for %s (%s): %s %d: %.200s", what, domain,
			 resolver ? resolver : "-",
			 res.exited ? "exit" : "signal",
			 res.exited ? res.exit_code : res.signal,
			 log_printable(text, sizeof(text), res.err ? res.err : ""));
	spawn_result_free(&res);
	spawn_argv_free(argv);
	return ok ? 0 : -1;
}

int hooks_flush(struct daemon_ctx *ctx, const struct pass_domain *d)
{
	const struct policy *p = ctx->policy;
	int rc = 0;

	if (p->hook_flush_resolver == NULL)
		return 0;
	if (d->nnodes == 0) {
		for (size_t i = 0; i < p->resolvers_mta.n; i++)
			rc |= hooks_run(ctx, p->hook_flush_resolver, "flush_resolver",
					d->name, p->resolvers_mta.items[i].text, NULL);
		return rc;
	}
	for (size_t i = 0; i < d->nnodes; i++)
		rc |= hooks_run(ctx, p->hook_flush_resolver, "flush_resolver",
				d->name, d->nodes[i], NULL);
	return rc;
}

static void iso8601(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t <= 0 || gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "-");
}

/* The report text: what an on-call engineer needs, with timestamps. */
static int report_text(struct daemon_ctx *ctx, const struct pass_domain *d,
		       const struct store_domain *sd, int64_t now, char *buf,
		       size_t len)
{
	char t_now[32], t_chk[32], t_ff[32], t_ep[32], t_ok[32];
	size_t used;
	int n;

	iso8601(now, t_now, sizeof(t_now));
	iso8601(d->checked_at, t_chk, sizeof(t_chk));
	iso8601(sd->first_failing, t_ff, sizeof(t_ff));
	iso8601(d->episode, t_ep, sizeof(t_ep));
	iso8601(sd->last_healthy, t_ok, sizeof(t_ok));
	n = snprintf(buf, len,
		     "retryd escalation report\n"
		     "domain: %s\n"
		     "host: %s\n"
		     "generated: %s\n"
		     "verdict: %s (%s)\n"
		     "verified at: %s\n"
		     "oldest failure of a waiting message: %s (%lld s ago)\n"
		     "domain failing since: %s\n"
		     "last seen healthy: %s\n"
		     "messages due for this domain in this pass: %zu\n"
		     "best mx: %s\n"
		     "answers (role server/transport rcode kind mx ttl neg):\n",
		     d->name, ctx->policy->host_id, t_now,
		     verify_verdict_name(d->verdict), d->detail, t_chk, t_ep,
		     (long long)(now - d->episode), t_ff, t_ok, d->nmsgs,
		     d->best_mx[0] ? d->best_mx : "-");
	if (n < 0 || (size_t)n >= len)
		return -1;
	used = (size_t)n;
	for (const char *s = d->summary; *s && used + 4 < len;) {
		const char *e = strstr(s, "; ");
		size_t l = e ? (size_t)(e - s) : strlen(s);

		if (used + l + 4 >= len)
			break;
		buf[used++] = ' ';
		buf[used++] = ' ';
		memcpy(buf + used, s, l);
		used += l;
		buf[used++] = '\n';
		s += l + (e ? 2 : 0);
	}
	buf[used] = '\0';
	return 0;
}

/* temp -> fsync -> rename -> fsync dir. @return 0 or -1. */
static int report_write(const char *dir, const char *path, const char *text)
{
	char tmp[PATH_MAX];
	size_t len = strlen(text), off = 0;
	int fd, dfd, n;

	n = snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640)) < 0)
		return -1;
	while (off < len) {
		ssize_t w = write(fd, text + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	if (off != len || fsync(fd) < 0) {
		close(fd);
		unlink(tmp);
		return -1;
	}
	close(fd);
	if (rename(tmp, path) < 0) {
		unlink(tmp);
		return -1;
	}
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
}

int hooks_escalate(struct daemon_ctx *ctx, const struct pass_domain *d,
		   int64_t now)
{
	struct store_domain sd;
	char dir[PATH_MAX], path[PATH_MAX], safe[80], err[256];
	char *text;
	size_t i;
	int rc, n1, n2;

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
	for (i = 0; d->name[i] && i + 1 < sizeof(safe); i++)
		safe[i] = (d->name[i] >= 'a' && d->name[i] <= 'z') ||
				  (d->name[i] >= '0' && d->name[i] <= '9') ||
				  d->name[i] == '.' || d->name[i] == '-'
			      ? d->name[i]
			      : '_';
	safe[i] = '\0';
	n1 = snprintf(dir, sizeof(dir), "%s/reports", ctx->state_dir);
	n2 = snprintf(path, sizeof(path), "%s/escalate-%s-%lld.txt", dir, safe,
		      (long long)now);
	if (n1 < 0 || n2 < 0 || (size_t)n1 >= sizeof(dir) ||
	    (size_t)n2 + 16 >= sizeof(path)) {
		log_warn("escalate %s: state_dir path too long", d->name);
		return -1;
	}
	if (mkdir(dir, 0750) < 0 && errno != EEXIST) {
		log_warn("escalate %s: mkdir %s: %s", d->name, dir, strerror(errno));
		return -1;
	}
	if ((text = malloc(LIMIT_REPORT_BYTES)) == NULL)
		return -1;
	if (report_text(ctx, d, &sd, now, text, LIMIT_REPORT_BYTES) < 0 ||
	    report_write(dir, path, text) < 0) {
		log_warn("escalate %s: cannot write %s: %s", d->name, path,
			 strerror(errno));
		free(text);
		return -1;
	}
	free(text);
	/* Record first: a crash after the hook must not escalate twice. */
	sd.last_escalated = now;
	if (store_put_domain(ctx->store, NULL, &sd, err, sizeof(err)) != STORE_OK) {
		log_warn("escalate %s: %.200s", d->name, err);
		return -1;
	}
	log_info("escalate %s: verdict=%s, report %s", d->name,
		 verify_verdict_name(d->verdict), path);
	hooks_run(ctx, ctx->policy->hook_escalate, "escalate", d->name, NULL, path);
	return 0;
}
