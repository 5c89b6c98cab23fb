/*
 * NAME
 *	daemon_priv 3h
 * SUMMARY
 *	privilege separation of the daemon: start the helper, drop, wire
 * DESCRIPTION
 *	daemon_priv_start() is called by daemon_run() as root with the MTA
 *	plugin loaded and before the store is opened: it forks the
 *	privileged helper (retryd/priv/) around the loaded plugin and the
 *	policy, drops this process to [retryd] user and gives the pass a
 *	plugin vtable and a hook runner that go through the helper.
 */
#ifndef RETRYD_DAEMON_PRIV_H
#define RETRYD_DAEMON_PRIV_H

#include <sys/types.h>

#include "daemon/plugin_load.h"
#include "pass/pass.h"
#include "priv/priv.h"

struct daemon_priv {
	struct priv_server srv;	 /* the helper's copy is the one used */
	struct plugin_handle *h; /* the loaded plugin (the helper's copy) */
	const char *policy_file; /* re-read by the helper on reload */
	struct policy *owned;	 /* the helper's reloaded policy */
	struct priv_client *client;
	void *parser; /* h->pl's parsing instance in the daemon, or NULL */
	pid_t pid;
	int fd;
};

/**
 * Fork the helper, drop to @param p's user, point @param ctx's plugin
 * and hooks at the helper. @return 0, or -1 with @param err (the caller
 * exits before opening the store).
 */
int daemon_priv_start(struct daemon_priv *dp, const char *policy_file,
		      const struct policy *p, struct plugin_handle *h,
		      struct pass_ctx *ctx, char *err, size_t errlen);

/**
 * Reload: the helper re-reads its policy, then the daemon's parsing
 * instance is reopened with @param np. @return 0, or -1 with err.
 */
int daemon_priv_reload(struct daemon_priv *dp, const struct policy *np,
		       char *err, size_t errlen);

/** Close the socket (the helper exits) and reap it. */
void daemon_priv_stop(struct daemon_priv *dp);

#endif
