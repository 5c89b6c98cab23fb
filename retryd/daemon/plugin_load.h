/*
 * NAME
 *	plugin_load 3h
 * SUMMARY
 *	load the MTA adapter: dlopen PLUGIN_DIR/MTA.so, check its ABI, open it
 * DESCRIPTION
 *	plugin_load() resolves the one exported symbol (retryd_plugin),
 *	refuses a plugin whose abi is not MTA_PLUGIN_ABI or whose vtable
 *	has a NULL entry, fills struct mta_config from the policy and calls
 *	the plugin's open(). The config strings point into the policy: the
 *	daemon reopens the plugin before it frees a replaced policy.
 */
#ifndef RETRYD_PLUGIN_LOAD_H
#define RETRYD_PLUGIN_LOAD_H

#include <stddef.h>

#include "plugins/plugin.h"
#include "policy/policy.h"

struct plugin_handle {
	void *dl;		     /* dlopen handle */
	const struct mta_plugin *pl; /* the plugin's static vtable */
	void *state;		     /* from pl->open */
	struct mta_config cfg;	     /* strings owned by the policy */
};

/** Pure: the [postfix] or [exim] settings of @param p as a mta_config. */
void plugin_config_fill(const struct policy *p, struct mta_config *cfg);

/**
 * Load and open the plugin named by @param p (mta, plugin_dir).
 * @return 0 with @param h filled (free with plugin_unload), or -1 with
 * @param err saying what failed and what to check.
 */
int plugin_load(const struct policy *p, struct plugin_handle *h, char *err,
		size_t errlen);

/** Re-open the plugin's state with the settings of @param p. */
int plugin_reopen(struct plugin_handle *h, const struct policy *p, char *err,
		  size_t errlen);

/** Close the plugin's state and unload it. NULL fields are fine. */
void plugin_unload(struct plugin_handle *h);

#endif
