/*
 * NAME
 *	daemon_priv 3
 * SUMMARY
 *	start the privileged helper, drop privileges, route MTA verbs and
 *	hooks through the helper
 * SYNOPSIS
 *	#include "daemon/daemon_priv.h"
 * DESCRIPTION
 *	The helper gets a priv_server over the plugin the daemon loaded as
 *	root, the policy it was started with, pass_hooks_begin() as its hook
 *	runner and daemon_priv_reload() to re-read its own policy file on a
 *	reload. After the fork this process drops to [retryd] user
 *	(priv_drop) and talks to the helper only through the socketpair: the
 *	pass's plugin becomes priv_client_plugin and its hooks
 *	daemon_priv_hook(), which sends the hook's name, %d, %r and the
 *	report's base name (the helper joins it to its own state_dir).
 *
 *	The daemon then opens the plugin a second time, as a parsing
 *	instance (plugin.h: cfg->host = priv_client_host()): the listing's
 *	bytes and the log's descriptors come from the helper, and the
 *	daemon parses them, unprivileged (priv_client_set_parser). Only a
 *	journal log_file is still read and parsed by the helper.
 * DIAGNOSTICS
 *	Failures before the drop are returned with what to check; a hook
 *	the helper refused or that failed is logged.
 */
#include "daemon/daemon_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/log.h"

/* In the helper: re-read the policy file and reopen the plugin. */
static int daemon_priv_helper_reload(struct priv_server *s, char *err,
				     size_t errlen)
{
	struct daemon_priv *dp = s->reload_arg;
	struct policy *np = NULL;
	char *big = calloc(1, 16384);

	if (big == NULL) {
		snprintf(err, errlen, "helper: out of memory");
		return -1;
	}
	if (policy_load(dp->policy_file, &np, big, 16384) < 0) {
		snprintf(err, errlen, "helper: %.400s", big);
		free(big);
		return -1;
	}
	free(big);
	if (plugin_reopen(dp->h, np, err, errlen) < 0) {
		policy_free(np);
		return -1;
	}
	s->state = dp->h->state;
	s->policy = np;
	policy_free(dp->owned);
	dp->owned = np;
	return 0;
}

/* The pass's hook runner after the drop: ask the helper. */
static int daemon_priv_hook(void *arg, const char *what, const char *domain,
			    const char *resolver, const char *file)
{
	struct daemon_priv *dp = arg;
	enum priv_hook kind = strcmp(what, "escalate") == 0 ? PRIV_HOOK_ESCALATE
							    : PRIV_HOOK_FLUSH;
	const char *base = file ? strrchr(file, '/') : NULL;
	char err[PRIV_ERR_MAX];

	if (priv_client_hook(dp->client, kind, domain, resolver,
			     base ? base + 1 : file, err, sizeof(err)) < 0) {
		if (strcmp(err, PRIV_HOOK_NOT_STARTED) != 0)
			log_warn("%s hook for %s: %.400s", what, domain, err);
		return -1;
	}
	return 0;
}

/* The pass's wait for its hooks after the drop: the helper waits. */
static void daemon_priv_hook_wait(void *arg, int flush, int wait_ms)
{
	struct daemon_priv *dp = arg;
	char err[PRIV_ERR_MAX];
	size_t running = 0;

	if (priv_client_hook_wait(dp->client, flush ? PRIV_HOOK_FLUSH : 0,
				  wait_ms > 0 ? (unsigned)wait_ms : 0, &running,
				  err, sizeof(err)) < 0)
		log_warn("hooks: %.400s", err);
}

/*
 * After the drop: open the plugin again here as a parsing instance (its
 * bytes and log descriptors come from the helper), so the listing and
 * the log are parsed unprivileged. Not for a journal log (the helper
 * reads it) nor a plugin without the primitives. @return 0 or -1.
 */
static int daemon_priv_parser(struct daemon_priv *dp, const struct policy *p,
			      char *err, size_t errlen)
{
	struct mta_config cfg;
	void *state = NULL;

	plugin_config_fill(p, &cfg);
	cfg.host = priv_client_host(dp->client);
	if (dp->h->pl->list_raw == NULL || dp->h->pl->open_file == NULL ||
	    (cfg.log_file && strncmp(cfg.log_file, "journal:", 8) == 0)) {
		log_warn("the MTA's listing and log are parsed by the "
			 "privileged helper (%s)",
			 dp->h->pl->list_raw ? "log_file is a journal"
					     : "the plugin has no raw listing");
		state = NULL;
	} else if (dp->h->pl->open(&cfg, &state, err, errlen) < 0) {
		return -1;
	}
	priv_client_set_parser(dp->client, state);
	if (dp->parser != NULL)
		dp->h->pl->close(dp->parser);
	dp->parser = state;
	return 0;
}

int daemon_priv_reload(struct daemon_priv *dp, const struct policy *np,
		       char *err, size_t errlen)
{
	if (priv_client_reload(dp->client, err, errlen) < 0)
		return -1;
	return daemon_priv_parser(dp, np, err, errlen);
}

int daemon_priv_start(struct daemon_priv *dp, const char *policy_file,
		      const struct policy *p, struct plugin_handle *h,
		      struct pass_ctx *ctx, char *err, size_t errlen)
{
	memset(dp, 0, sizeof(*dp));
	dp->fd = -1;
	dp->h = h;
	dp->policy_file = policy_file;
	dp->srv.pl = h->pl;
	dp->srv.state = h->state;
	dp->srv.policy = p;
	dp->srv.hook = pass_hooks_begin;
	dp->srv.hook_end = pass_hooks_report;
	dp->srv.reload = daemon_priv_helper_reload;
	dp->srv.reload_arg = dp;
	if ((dp->fd = priv_start(&dp->srv, &dp->pid, err, errlen)) < 0)
		return -1;
	if (priv_drop(p->user, p->state_dir, err, errlen) < 0 ||
	    (dp->client = priv_client_new(dp->fd, h->pl)) == NULL) {
		if (dp->client == NULL && err[0] == '\0')
			snprintf(err, errlen, "out of memory");
		daemon_priv_stop(dp);
		return -1;
	}
	if (daemon_priv_parser(dp, p, err, errlen) < 0) {
		daemon_priv_stop(dp);
		return -1;
	}
	ctx->plugin = priv_client_vtable(dp->client);
	ctx->plugin_state = dp->client;
	ctx->hook_fn = daemon_priv_hook;
	ctx->hook_wait_fn = daemon_priv_hook_wait;
	ctx->hook_arg = dp;
	log_info("running as %s; privileged helper pid %ld", p->user,
		 (long)dp->pid);
	return 0;
}

void daemon_priv_stop(struct daemon_priv *dp)
{
	if (dp->fd >= 0)
		close(dp->fd);
	dp->fd = -1;
	if (dp->pid > 0)
		while (waitpid(dp->pid, NULL, 0) < 0 && errno == EINTR)
			;
	dp->pid = 0;
	if (dp->parser != NULL)
		dp->h->pl->close(dp->parser);
	dp->parser = NULL;
	priv_client_free(dp->client);
	dp->client = NULL;
}
