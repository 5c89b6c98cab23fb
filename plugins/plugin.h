/*
 * NAME
 *	plugin 3h
 * SUMMARY
 *	the interface every MTA adapter (postfix.so, exim.so) implements
 * DESCRIPTION
 *	retryd dlopen()s PLUGIN_DIR/NAME.so and calls its one exported
 *	symbol, retryd_plugin(), which returns a static vtable. The daemon
 *	checks abi == MTA_PLUGIN_ABI before any other call.
 *
 *	Every batch call takes validated queue ids; the plugin validates them
 *	again with its own alphabet (mta_plugin.valid_id) and refuses the
 *	whole batch if one is bad. External commands run with argv (never a
 *	shell); ids go on stdin, one per line, where the MTA allows it.
 *	Exit codes of postsuper/exim are not trusted: plugins read what the
 *	command printed and the MTA's log.
 *
 *	Ownership: the plugin owns its state (open .. close). Listings and
 *	outcome arrays are allocated by the plugin and freed with the
 *	matching *_free function of the same vtable.
 */
#ifndef RETRYD_PLUGIN_H
#define RETRYD_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#include "util/limits.h"

#define MTA_PLUGIN_ABI	  1
#define MTA_PLUGIN_SYMBOL "retryd_plugin"

/* Settings the daemon passes from the policy ([postfix] or [exim]). */
struct mta_config {
	const char *config_dir; /* postfix: -c DIR; NULL = default */
	const char *binary;	/* exim: the exim binary; postfix: unused */
	const char *config;	/* exim: -C FILE; NULL = default */
	const char *log_file;	/* where delivery outcomes are logged */
	const char *state_dir;	/* plugin may keep small state files here */
};

struct mta_rcpt {
	char address[LIMIT_ADDRESS + 1];
	char reason[LIMIT_REASON + 1]; /* last delay reason, "" if unknown */
};

struct mta_message {
	char queue_id[LIMIT_QUEUE_ID + 1];
	char sender[LIMIT_ADDRESS + 1];
	int64_t arrival; /* wall seconds */
	int held;	 /* on hold (postfix) / frozen (exim) */
	int deferred;	 /* in the deferred queue / has deferrals */
	size_t nrcpts;
	struct mta_rcpt *rcpts; /* nrcpts entries, owned by the listing */
};

struct mta_listing {
	struct mta_message *msgs;
	size_t n;
	int complete;	/* 1 only when the listing command finished cleanly */
	size_t skipped; /* malformed entries logged and skipped */
};

enum mta_outcome_status {
	MTA_OUTCOME_DELIVERED = 1,
	MTA_OUTCOME_DEFERRED = 2,
	MTA_OUTCOME_BOUNCED = 3,
};

struct mta_outcome {
	char queue_id[LIMIT_QUEUE_ID + 1];
	char address[LIMIT_ADDRESS + 1]; /* "": the whole message (Postfix logs
					  * an expiry once per message) */
	enum mta_outcome_status status;
	char dsn[LIMIT_DSN + 1]; /* "5.4.4"; "" when the MTA gave none */
	char text[LIMIT_REASON + 1];
	int64_t time; /* from the log line when it has one */
};

struct mta_outcomes {
	struct mta_outcome *items;
	size_t n;
};

enum mta_giveback {
	MTA_GIVEBACK_BOUNCE, /* let the MTA bounce it now (null MX, suppressed) */
	MTA_GIVEBACK_EXPIRE, /* give-up: expire, the MTA returns it to sender */
	MTA_GIVEBACK_RELEASE, /* just hand back to the MTA's own scheduling */
};

/*
 * All int-returning calls: 0 on success, -1 on failure with a message
 * in err ("postsuper -h: ..."). A batch call reports in *done how many
 * ids the MTA confirmed (from its own output), which may be fewer than
 * asked (an id vanished meanwhile).
 */
struct mta_plugin {
	unsigned abi;
	const char *name;

	int (*open)(const struct mta_config *cfg, void **state, char *err,
		    size_t errlen);
	void (*close)(void *state);

	/** 1 when @param id is a syntactically valid queue id for this MTA. */
	int (*valid_id)(const char *id);

	/** Deferred and held messages, with recipients and last reasons. */
	int (*scan)(void *state, struct mta_listing *out, char *err,
		    size_t errlen);
	void (*listing_free)(struct mta_listing *l);

	/** Hold (postfix -h / exim freeze) a batch. */
	int (*hold)(void *state, const char *const *ids, size_t n, size_t *done,
		    char *err, size_t errlen);
	/** Release from hold and deliver now, in as few processes as possible. */
	int (*deliver)(void *state, const char *const *ids, size_t n,
		       size_t *done, char *err, size_t errlen);
	/** Release from hold only (no delivery forced). */
	int (*release)(void *state, const char *const *ids, size_t n,
		       size_t *done, char *err, size_t errlen);
	/** Hand back to the MTA to bounce or expire. */
	int (*giveback)(void *state, const char *const *ids, size_t n,
			enum mta_giveback how, size_t *done, char *err,
			size_t errlen);

	/**
	 * Outcomes logged since the last call for any of @param ids
	 * (n == 0: for every id), read incrementally from the MTA log;
	 * the read offset survives rotation and restarts (state_dir).
	 */
	int (*outcomes)(void *state, const char *const *ids, size_t n,
			struct mta_outcomes *out, char *err, size_t errlen);
	void (*outcomes_free)(struct mta_outcomes *o);
};

/** The one symbol a plugin exports. */
typedef const struct mta_plugin *(*mta_plugin_entry_fn)(void);
const struct mta_plugin *retryd_plugin(void);

#endif
