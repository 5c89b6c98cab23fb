/*
 * NAME
 *	fake_mta 3h
 * SUMMARY
 *	a scripted in-process MTA plugin for the daemon-pass unit tests
 * DESCRIPTION
 *	A test double of the plugin interface (plugins/plugin.h): the
 *	listing is the messages a test adds with fake_add(), outcomes are
 *	the ones it scripts with fake_outcome() (handed out once, on the
 *	next outcomes() call), and every hold, deliver, release and
 *	giveback is recorded as a struct fake_call for the test to inspect.
 *	A giveback looks in the store (fake_mta.store) and says whether the
 *	daemon committed first: every record GIVEBACK_INTENT and each
 *	suppressed recipient's suppression record already written.
 *
 *	Used by test_pass and test_pass_suppress; bench_pass shares the
 *	no-op and free methods with its own large-scale double.
 *
 *	Ownership: the test owns the struct fake_mta (plain memory, zero it
 *	to start); listings point into it, outcome arrays are malloc'd and
 *	freed by fake_outcomes_free().
 * DIAGNOSTICS
 *	Overflowing FAKE_MAX messages or outcomes or FAKE_CALLS_MAX calls
 *	fails the running cmocka test.
 */
#ifndef TESTS_FAKE_MTA_H
#define TESTS_FAKE_MTA_H

#include <stddef.h>
#include <stdint.h>

#include "plugins/plugin.h"
#include "store/store.h"

#define FAKE_MAX       32 /* messages listed, outcomes scripted */
#define FAKE_RCPTS     2  /* recipients per message */
#define FAKE_CALLS_MAX 64 /* hold/deliver/release/giveback calls */
#define FAKE_LOG       64 /* outcomes in the positional log */

struct fake_call {
	char op[16];   /* hold, deliver, release, giveback */
	char ids[256]; /* space-separated */
	int how;
	int committed; /* giveback: every record was GIVEBACK_INTENT and its
			* suppressed recipients were recorded before */
};

struct fake_mta {
	struct mta_message msgs[FAKE_MAX];
	struct mta_rcpt rcpts[FAKE_MAX][FAKE_RCPTS];
	size_t n;
	int complete;
	struct fake_call calls[FAKE_CALLS_MAX];
	size_t ncalls;
	struct mta_outcome outcomes[FAKE_MAX];
	size_t nout;
	struct store *store; /* to look at what was committed before acting */
	const char *mta;
	/* fake_log_plugin: an append-only outcome log read from rpos */
	struct mta_outcome log[FAKE_LOG];
	size_t nlog, rpos;
	size_t log_per_call; /* nonzero: outcomes() hands out at most this
			      * many, "more" set while some are left */
	/* nonzero: deliver() logs each recipient delivered at this time
	 * before it returns, as exim -M does */
	int64_t deliver_logs_at;
	/* fake_discover_plugin: full listings made, discoveries, a gap
	 * the next discovery reports (then cleared), and *gap on entry of
	 * the last discovery (1: a full listing follows anyway) */
	size_t scans, discovers;
	int gap, gap_in;
};

/** The plugin; its state is a struct fake_mta. */
extern const struct mta_plugin fake_plugin;

/**
 * fake_plugin whose outcomes come from an append-only log (fake_log_add)
 * read from a position, as a real plugin reads the MTA's log: outcomes()
 * returns what follows rpos and the new position, outcomes_tell() and
 * outcomes_seek() give and set it. Nothing is saved by the plugin.
 */
extern const struct mta_plugin fake_log_plugin;
/**
 * fake_plugin with an incremental discovery (as postfix.so reads its
 * log): discover() finds nothing new and reports fake_mta.gap once;
 * full listings are counted in fake_mta.scans.
 */
extern const struct mta_plugin fake_discover_plugin;
/** Append an outcome to the positional log (as the MTA logs a line). */
void fake_log_add(struct fake_mta *f, const char *id, const char *rcpt,
		  enum mta_outcome_status st, const char *dsn, const char *text,
		  int64_t t);

/** The listed message @param id, or NULL. */
struct mta_message *fake_find(struct fake_mta *f, const char *id);
/** Take @param id out of the listing (the MTA bounced or delivered it). */
void fake_remove(struct fake_mta *f, const char *id);
/** How many calls of @param op were made. */
size_t fake_count(const struct fake_mta *f, const char *op);
/** The last call of @param op, or NULL. */
const struct fake_call *fake_last(const struct fake_mta *f, const char *op);
/** Was @param id handed to deliver() at any time? */
int fake_delivered_id(const struct fake_mta *f, const char *id);

/**
 * List a deferred message with one recipient, or two (@param rcpt2 not
 * NULL), both deferred with @param reason.
 */
void fake_add(struct fake_mta *f, const char *id, const char *rcpt1,
	      const char *rcpt2, const char *reason, int64_t arrival);
/**
 * Script an outcome for the next outcomes() call; a DEFERRED one puts a
 * listed message back in the deferred queue.
 */
void fake_outcome(struct fake_mta *f, const char *id, const char *rcpt,
		  enum mta_outcome_status st, const char *dsn, const char *text,
		  int64_t t);

/* Methods any in-process double can use as they are. */
int fake_open(const struct mta_config *cfg, void **state, char *err,
	      size_t errlen);
void fake_close(void *state);
void fake_listing_free(struct mta_listing *l);
void fake_outcomes_free(struct mta_outcomes *o);

#endif
