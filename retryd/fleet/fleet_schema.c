/*
 * NAME
 *	fleet_schema 3
 * SUMMARY
 *	the shared tables, created and migrated by `retryctl fleet init`
 * SYNOPSIS
 *	#include "fleet/fleet.h"
 *	int fleet_schema_init(struct fleet *f, int *from, char *err, size_t
 *	errlen);
 * DESCRIPTION
 *	retryd_schema holds the version. Migration N takes the schema from
 *	N-1 to N; fleet_schema_init() applies the missing ones in order, in
 *	one transaction, under a transaction advisory lock (two hosts
 *	running init at once: the second waits, then finds nothing to do).
 *	The daemon never migrates: it checks the version and waits for an
 *	operator (fleet_ready).
 *
 *	Version 1:
 *	  fleet_hosts          host_id -> last seen, outbox sizes
 *	  fleet_evidence       (host_id, seq) -> one evidence record
 *	  fleet_verifications  (host_id, seq) -> one verification
 *	  fleet_suppressed     address -> decision, cleared_at/by, rev
 *	Times are Unix seconds (bigint) as the hosts recorded them;
 *	ingested_at is PostgreSQL's clock, for "what arrived lately".
 * DIAGNOSTICS
 *	A version newer than this retryd knows is refused.
 */
#include "fleet/fleet_int.h"

#include <stdio.h>
#include <string.h>

#define FLEET_SCHEMA_LOCK "7264797266" /* advisory lock key ("rdyrf") */

static const char *const fleet_migration_1[] = {
    "CREATE TABLE retryd_schema (version integer NOT NULL, "
    "applied_at timestamptz NOT NULL DEFAULT now())",
    "CREATE TABLE fleet_hosts (host_id text PRIMARY KEY, "
    "last_seen bigint NOT NULL, outbox_evidence bigint NOT NULL DEFAULT 0, "
    "outbox_verifications bigint NOT NULL DEFAULT 0, "
    "outbox_dropped bigint NOT NULL DEFAULT 0, "
    "shipped bigint NOT NULL DEFAULT 0)",
    "CREATE TABLE fleet_evidence (host_id text NOT NULL, seq bigint NOT "
    "NULL, address text NOT NULL, time bigint NOT NULL, queue_id text NOT "
    "NULL, verdict text NOT NULL, outcome text NOT NULL, dsn text NOT "
    "NULL, reason text NOT NULL, category text NOT NULL, dns text NOT "
    "NULL, ingested_at timestamptz NOT NULL DEFAULT now(), "
    "PRIMARY KEY (host_id, seq))",
    "CREATE INDEX fleet_evidence_address ON fleet_evidence (address, time)",
    "CREATE INDEX fleet_evidence_ingested ON fleet_evidence (ingested_at)",
    "CREATE TABLE fleet_verifications (host_id text NOT NULL, seq bigint "
    "NOT NULL, domain text NOT NULL, time bigint NOT NULL, verdict text NOT "
    "NULL, answers text NOT NULL, ingested_at timestamptz NOT NULL DEFAULT "
    "now(), PRIMARY KEY (host_id, seq))",
    "CREATE INDEX fleet_verifications_domain ON fleet_verifications "
    "(domain, time)",
    "CREATE INDEX fleet_verifications_time ON fleet_verifications (time)",
    "CREATE SEQUENCE fleet_suppressed_rev",
    "CREATE TABLE fleet_suppressed (address text PRIMARY KEY, time bigint "
    "NOT NULL, reason text NOT NULL, evidence text NOT NULL, decided_by "
    "text NOT NULL, cleared_at bigint, cleared_by text, rev bigint NOT "
    "NULL DEFAULT nextval('fleet_suppressed_rev'))",
    "CREATE INDEX fleet_suppressed_rev_idx ON fleet_suppressed (rev)",
    NULL,
};

static const char *const *const fleet_migrations[FLEET_SCHEMA_VERSION] = {
    fleet_migration_1,
};

static int fleet_schema_exec(struct fleet *f, const char *sql, char *err,
			     size_t errlen)
{
	PGresult *r =
	    fleet_exec(f, "init", sql, 0, NULL, PGRES_COMMAND_OK, err, errlen);

	PQclear(r);
	return r ? 0 : -1;
}

static int fleet_schema_found(struct fleet *f, int *from, char *err,
			      size_t errlen)
{
	PGresult *r;

	r = fleet_exec(f, "init", "SELECT to_regclass('retryd_schema') IS NULL",
		       0, NULL, PGRES_TUPLES_OK, err, errlen);
	if (r == NULL)
		return -1;
	*from = 0;
	if (strcmp(PQgetvalue(r, 0, 0), "t") != 0) {
		PQclear(r);
		r = fleet_exec(f, "init",
			       "SELECT coalesce(max(version), 0) FROM "
			       "retryd_schema",
			       0, NULL, PGRES_TUPLES_OK, err, errlen);
		if (r == NULL)
			return -1;
		*from = (int)fleet_cell_i64(r, 0, 0);
	}
	PQclear(r);
	return 0;
}

int fleet_schema_init(struct fleet *f, int *from, char *err, size_t errlen)
{
	char sql[128];

	*from = 0;
	if (fleet_connect_only(f, err, errlen) < 0 ||
	    fleet_begin(f, err, errlen) < 0)
		return -1;
	{
		PGresult *r = fleet_exec(
		    f, "init",
		    "SELECT pg_advisory_xact_lock(" FLEET_SCHEMA_LOCK ")", 0,
		    NULL, PGRES_TUPLES_OK, err, errlen);

		if (r == NULL)
			goto fail;
		PQclear(r);
	}
	if (fleet_schema_found(f, from, err, errlen) < 0)
		goto fail;
	if (*from > FLEET_SCHEMA_VERSION) {
		snprintf(err, errlen,
			 "fleet: init: the database has schema version %d, "
			 "newer than this retryd's %d: upgrade retryd",
			 *from, FLEET_SCHEMA_VERSION);
		goto fail;
	}
	for (int v = *from + 1; v <= FLEET_SCHEMA_VERSION; v++) {
		for (const char *const *s = fleet_migrations[v - 1]; *s; s++)
			if (fleet_schema_exec(f, *s, err, errlen) < 0)
				goto fail;
		snprintf(sql, sizeof(sql),
			 "INSERT INTO retryd_schema (version) VALUES (%d)", v);
		if (fleet_schema_exec(f, sql, err, errlen) < 0)
			goto fail;
	}
	if (fleet_commit(f, err, errlen) < 0)
		return -1;
	f->schema_ok = 1;
	return 0;
fail:
	fleet_rollback(f);
	return -1;
}
