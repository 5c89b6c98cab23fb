/*
 * NAME
 *	plugin_load 3
 * SUMMARY
 *	dlopen the MTA adapter named by the policy and check it
 * DESCRIPTION
 *	PLUGIN_DIR/MTA.so is opened with RTLD_NOW (every symbol resolved up
 *	front, so a broken plugin fails at start, not mid-pass). The MTA
 *	name must be a plain word ([a-z0-9_-]): no path ever comes from it.
 *	Owns: the dlopen handle and the plugin state until plugin_unload().
 * DIAGNOSTICS
 *	"plugin /usr/lib/retryd/postfix.so: ..." with dlerror() or the
 *	plugin's own open() error.
 */
#include "daemon/plugin_load.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

void plugin_config_fill(const struct policy *p, struct mta_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->state_dir = p->state_dir;
	if (strcmp(p->mta, "exim") == 0) {
		cfg->binary = p->exim_binary;
		cfg->config = p->exim_config;
		cfg->log_file = p->exim_log_file;
	} else {
		cfg->config_dir = p->postfix_config_dir;
		cfg->log_file = p->postfix_log_file;
	}
}

static int plugin_name_ok(const char *name)
{
	if (name[0] == '\0')
		return 0;
	for (const char *s = name; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		      *s == '_' || *s == '-'))
			return 0;
	return 1;
}

static int plugin_vtable_ok(const struct mta_plugin *pl)
{
	return pl->open && pl->close && pl->valid_id && pl->scan &&
	       pl->listing_free && pl->hold && pl->deliver && pl->release &&
	       pl->giveback && pl->outcomes && pl->outcomes_free;
}

int plugin_load(const struct policy *p, struct plugin_handle *h, char *err,
		size_t errlen)
{
	char path[PATH_MAX];
	mta_plugin_entry_fn entry;
	int n;

	memset(h, 0, sizeof(*h));
	if (!plugin_name_ok(p->mta)) {
		snprintf(err, errlen,
			 "plugin: mta = \"%.40s\" is not a plugin name",
			 p->mta);
		return -1;
	}
	n = snprintf(path, sizeof(path), "%s/%s.so",
		     p->plugin_dir ? p->plugin_dir : ".", p->mta);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		snprintf(err, errlen, "plugin: plugin_dir path too long");
		return -1;
	}
	if ((h->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		snprintf(err, errlen,
			 "plugin %s: %s (check plugin_dir and mta)", path,
			 dlerror());
		return -1;
	}
	*(void **)&entry = dlsym(h->dl, MTA_PLUGIN_SYMBOL);
	if (entry == NULL || (h->pl = entry()) == NULL) {
		snprintf(err, errlen, "plugin %s: no usable %s symbol", path,
			 MTA_PLUGIN_SYMBOL);
		goto fail;
	}
	if (h->pl->abi != MTA_PLUGIN_ABI) {
		snprintf(err, errlen,
			 "plugin %s: ABI %u, retryd needs %u (rebuild "
			 "the plugin with this retryd)",
			 path, h->pl->abi, MTA_PLUGIN_ABI);
		goto fail;
	}
	if (!plugin_vtable_ok(h->pl)) {
		snprintf(err, errlen, "plugin %s: incomplete vtable", path);
		goto fail;
	}
	plugin_config_fill(p, &h->cfg);
	if (h->pl->open(&h->cfg, &h->state, err, errlen) < 0)
		goto fail;
	return 0;
fail:
	dlclose(h->dl);
	memset(h, 0, sizeof(*h));
	return -1;
}

int plugin_reopen(struct plugin_handle *h, const struct policy *p, char *err,
		  size_t errlen)
{
	struct mta_config cfg;
	void *state = NULL;

	plugin_config_fill(p, &cfg);
	if (h->pl->open(&cfg, &state, err, errlen) < 0)
		return -1;
	h->pl->close(h->state);
	h->state = state;
	h->cfg = cfg;
	return 0;
}

void plugin_unload(struct plugin_handle *h)
{
	if (h->pl && h->state)
		h->pl->close(h->state);
	if (h->dl)
		dlclose(h->dl);
	memset(h, 0, sizeof(*h));
}
