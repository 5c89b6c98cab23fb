/*
 * NAME
 *	fleet_int 3h
 * SUMMARY
 *	private plumbing shared by the fleet module's files (not an interface)
 */
#ifndef RETRYD_FLEET_INT_H
#define RETRYD_FLEET_INT_H

#include <libpq-fe.h>

#include "fleet/fleet.h"

struct fleet {
	const struct policy *p;
	PGconn *conn;	     /* NULL when not connected */
	int schema_ok;	     /* the schema version was checked */
	int64_t next_try_ms; /* monotonic: no connect before (after a fail) */
	int64_t pulled_rev;  /* fleet_suppressed rev already pulled */
	unsigned rounds;     /* daemon rounds, for the periodic full pull */
};

/** Monotonic milliseconds. */
int64_t fleet_mono_ms(void);

/** Drop the connection (after an error); the next use reconnects. */
void fleet_disconnect(struct fleet *f);

/**
 * Run @param sql with text parameters; @return the result when its
 * status is @param want (caller PQclear()s), else NULL with @param err
 * ("fleet: WHAT: message"); a broken connection is dropped.
 */
PGresult *fleet_exec(struct fleet *f, const char *what, const char *sql, int n,
		     const char *const *params, ExecStatusType want, char *err,
		     size_t errlen);

/** Connected, whatever the schema (fleet init). @return 0 or -1. */
int fleet_connect_only(struct fleet *f, char *err, size_t errlen);

/** BEGIN / COMMIT / ROLLBACK. @return 0 or -1 (err filled). */
int fleet_begin(struct fleet *f, char *err, size_t errlen);
int fleet_commit(struct fleet *f, char *err, size_t errlen);
void fleet_rollback(struct fleet *f);

/** A decimal int64 as text, in @param buf. @return buf. */
char *fleet_i64(int64_t v, char *buf, size_t len);
/** Parse a decimal int64 cell; 0 when empty or bad. */
int64_t fleet_cell_i64(const PGresult *r, int row, int col);

#endif
