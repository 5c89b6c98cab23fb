/*
 * NAME
 *	pass_fx 3h
 * SUMMARY
 *	the fixture of the daemon-pass unit tests: temp dir, policy, store
 * DESCRIPTION
 *	A struct fx is one test's world: a temp directory with state/ in
 *	it, the policy loaded from the INI text the test wrote, a real
 *	Berkeley DB store, the scripted MTA (fake_mta.h), the injected
 *	verdict and the daemon context wired to them. Used by test_pass and
 *	test_pass_suppress; each brings its own INI and verify hook.
 *
 *	Ownership: fx_new() returns a fixture for fx_teardown() to free
 *	(with the temp directory); fx_get() returns a record for
 *	store_message_free().
 * DIAGNOSTICS
 *	A fixture that cannot be built fails the running cmocka test.
 */
#ifndef TESTS_PASS_FX_H
#define TESTS_PASS_FX_H

#include <sys/types.h>

#include "pass/pass.h"
#include "fake_mta.h"

/* The injected verdict; calls is counted by hooks that care. */
struct fake_dns {
	enum verify_verdict verdict;
	unsigned calls;
	const char *fail; /* this domain: VERDICT_DOMAIN (fx_verify) */
};

struct fx {
	char dir[256];
	struct policy *policy;
	struct store *store;
	struct fake_mta mta;
	struct fake_dns dns;
	struct pass_ctx ctx;
};

/** Write @param text to @param path and give it @param mode. */
void fx_write_file(const char *path, const char *text, mode_t mode);

/** A new fixture in a fresh /tmp/@param prefix.XXXXXX with state/ in it. */
struct fx *fx_new(const char *prefix);

/**
 * Write @param ini as DIR/retryd.ini, load it, open the store in
 * DIR/state, and wire the fake MTA (complete listings) and @param verify
 * (verdict HEALTHY to start) into the daemon context.
 */
void fx_start(struct fx *fx, const char *ini, pass_verify_fn verify);

/** A verify hook: @param arg's (struct fake_dns) verdict for every
 *  domain but its fail one (VERDICT_DOMAIN), nothing more (calls
 *  counted). */
int fx_verify(void *arg, const char *const *domains, size_t n, int64_t now,
	      struct verify_result *out, char *err, size_t errlen);

/**
 * A new fixture in /tmp/@param prefix.XXXXXX started with the short
 * policy of the outcome and scan tests (scan_interval 30s, one tier
 * "0s every 5m", give_up 5d, one routing rule), fx_verify, and
 * @param plugin as the MTA (its state: fx->mta).
 */
struct fx *fx_new_short(const char *prefix, const struct mta_plugin *plugin);
/** The same with the one tier @param tier (e.g. "0s every 1h"). */
struct fx *fx_new_tier(const char *prefix, const struct mta_plugin *plugin,
		       const char *tier);

/** cmocka teardown: free the context, store, policy and temp dir. */
int fx_teardown(void **state);

/** The store's record of @param id, or NULL. */
struct store_message *fx_get(struct fx *fx, const char *id);
/** The state of @param id in the store (0 when it has no record). */
enum store_msg_state fx_state(struct fx *fx, const char *id);

#endif
