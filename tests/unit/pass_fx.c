/*
 * NAME
 *	pass_fx 3
 * SUMMARY
 *	the fixture of the daemon-pass unit tests
 * SYNOPSIS
 *	#include "pass_fx.h"
 * DESCRIPTION
 *	fx_new() makes the temp directory, fx_start() loads the test's
 *	policy, opens a real store and wires the fake MTA and the verify
 *	hook into a daemon context (pass_ctx_init, seed 42), fx_teardown()
 *	undoes it all. fx_get() and fx_state() read the store.
 *
 *	Owns: the fixture from fx_new() to fx_teardown().
 * DIAGNOSTICS
 *	Failures to build the fixture fail the running cmocka test
 *	(fail_msg, assert_non_null); a temp dir that cannot be removed is
 *	reported on stderr.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pass_fx.h"
#include "tmpdir_fx.h"

void fx_write_file(const char *path, const char *text, mode_t mode)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	chmod(path, mode);
}

struct fx *fx_new(const char *prefix)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	char path[512];

	assert_non_null(fx);
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/%s.XXXXXX", prefix);
	assert_non_null(mkdtemp(fx->dir));
	snprintf(path, sizeof(path), "%s/state", fx->dir);
	mkdir(path, 0700);
	return fx;
}

void fx_start(struct fx *fx, const char *ini, pass_verify_fn verify)
{
	char path[512], err[4096];

	snprintf(path, sizeof(path), "%s/retryd.ini", fx->dir);
	fx_write_file(path, ini, 0644);
	if (policy_load(path, &fx->policy, err, sizeof(err)) < 0)
		fail_msg("policy: %s", err);
	snprintf(path, sizeof(path), "%s/state", fx->dir);
	if (store_open(path, STORE_OPEN_DAEMON, 1u << 20, &fx->store, err,
		       sizeof(err)) != STORE_OK)
		fail_msg("store: %s", err);
	fx->mta.complete = 1;
	fx->mta.store = fx->store;
	fx->mta.mta = fx->policy->mta;
	fx->dns.verdict = VERDICT_HEALTHY;
	fx->ctx.store = fx->store;
	fx->ctx.plugin = &fake_plugin;
	fx->ctx.plugin_state = &fx->mta;
	fx->ctx.verify = verify;
	fx->ctx.verify_arg = &fx->dns;
	if (pass_ctx_init(&fx->ctx, fx->policy, 42, err, sizeof(err)) < 0)
		fail_msg("ctx: %s", err);
}

struct fx *fx_new_short(const char *prefix, const struct mta_plugin *plugin)
{
	return fx_new_tier(prefix, plugin, "0s every 5m");
}

struct fx *fx_new_tier(const char *prefix, const struct mta_plugin *plugin,
		       const char *tier)
{
	struct fx *fx = fx_new(prefix);
	char ini[2048];

	snprintf(ini, sizeof(ini),
		 "[retryd]\nmta = postfix\nstate_dir = %s/state\n"
		 "plugin_dir = %s\nscan_interval = 30s\nhost_id = test-host\n"
		 "[resolvers]\nmta = 127.0.9.54\nindependent = 127.0.9.55\n"
		 "verify_window = 60s\n"
		 "[backoff]\ntier = %s\ngive_up = 5d\njitter = 0%%\n"
		 "[classifier]\n"
		 "rule = routing /Host or domain name not found/i\n",
		 fx->dir, fx->dir, tier);
	fx_start(fx, ini, fx_verify);
	fx->ctx.plugin = plugin;
	return fx;
}

int fx_verify(void *arg, const char *const *domains, size_t n, int64_t now,
	      struct verify_result *out, char *err, size_t errlen)
{
	struct fake_dns *d = arg;

	d->calls++;
	for (size_t i = 0; i < n; i++) {
		memset(&out[i], 0, sizeof(out[i]));
		snprintf(out[i].domain, sizeof(out[i].domain), "%s",
			 domains[i]);
		out[i].checked_at = now;
		out[i].verdict = d->fail && strcmp(domains[i], d->fail) == 0
				     ? VERDICT_DOMAIN
				     : d->verdict;
	}
	return 0;
}

int fx_teardown(void **state)
{
	struct fx *fx = *state;

	pass_ctx_free(&fx->ctx);
	store_close(fx->store);
	policy_free(fx->policy);
	(void)tmpdir_fx_remove(fx->dir);
	free(fx);
	return 0;
}

struct store_message *fx_get(struct fx *fx, const char *id)
{
	struct store_message *m = NULL;
	char err[256];

	if (store_get_message(fx->store, NULL, fx->policy->mta, id, &m, err,
			      sizeof(err)) != STORE_OK)
		return NULL;
	return m;
}

enum store_msg_state fx_state(struct fx *fx, const char *id)
{
	struct store_message *m = fx_get(fx, id);
	enum store_msg_state s = m ? m->state : 0;

	store_message_free(m);
	return s;
}
