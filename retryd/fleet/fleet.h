/*
 * NAME
 *	fleet 3h
 * SUMMARY
 *	the optional fleet tier on PostgreSQL: shipping the outbox,
 *	fleet-wide suppression, cross-host views
 * DESCRIPTION
 *	With [fleet] database = postgresql://..., each host ships the
 *	evidence and verifications its store queued in the outbox (same
 *	Berkeley DB transaction as the record) to shared tables, keyed
 *	(host_id, seq) with ON CONFLICT DO NOTHING: a batch shipped twice
 *	(crash between the PostgreSQL commit and the outbox removal) is
 *	stored once. Suppression is then decided over every host's
 *	evidence with the same pure rules (suppress_decide), decisions go
 *	to fleet_suppressed, and every host pulls them into its own store.
 *
 *	PostgreSQL is never on the path of local work: the connection is
 *	made non-blocking with a deadline (FLEET_CONNECT_MS), every
 *	statement has a server-side timeout, nothing runs inside a store
 *	transaction, and after a failure the next try waits one interval.
 *
 *	Berkeley DB stays the source of truth: the fleet tables only ever
 *	receive copies; losing them loses no local state.
 */
#ifndef RETRYD_FLEET_H
#define RETRYD_FLEET_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "policy/policy.h"
#include "store/store.h"

#define FLEET_SCHEMA_VERSION 1
#define FLEET_CONNECT_MS     2000  /* non-blocking connect deadline */
#define FLEET_STATEMENT_MS   10000 /* statement_timeout of our session */

struct fleet; /* one PostgreSQL session and its round state */

/**
 * A fleet handle for @param p (p->fleet_database must be set; p must
 * outlive the handle). Connects lazily. @return NULL only when out of
 * memory. Free with fleet_close().
 */
struct fleet *fleet_new(const struct policy *p);
void fleet_close(struct fleet *f);
/** Point the handle at a reloaded policy (same database or not). */
void fleet_set_policy(struct fleet *f, const struct policy *p);

/**
 * Connected with the expected schema? Connects (non-blocking, deadline
 * FLEET_CONNECT_MS) when not. @return 0, or -1 with @param err.
 */
int fleet_ready(struct fleet *f, char *err, size_t errlen);

/** The PostgreSQL connection (a PGconn *) of a ready handle. */
void *fleet_conn(struct fleet *f);

/**
 * Create or migrate the schema to FLEET_SCHEMA_VERSION (retryctl fleet
 * init): one transaction, under an advisory lock. *@param from gets the
 * version found (0: none). @return 0, or -1 with @param err.
 */
int fleet_schema_init(struct fleet *f, int *from, char *err, size_t errlen);

/**
 * Ship the outbox: at most LIMIT_FLEET_BATCHES batches of
 * LIMIT_FLEET_BATCH records, each one INSERT ... ON CONFLICT DO NOTHING
 * committed before its records leave the outbox; then this host's row
 * in fleet_hosts (last seen, outbox sizes). *@param shipped counts the
 * records shipped. @return 0 (all shipped or the tick's share), or -1.
 */
int fleet_ship(struct fleet *f, struct store *st, int64_t now, size_t *shipped,
	       char *err, size_t errlen);

/**
 * Fleet-wide suppression: decide, with the policy's criteria, for every
 * address with counting evidence ingested in the last @param window
 * seconds (0: every address), over every host's evidence; record new
 * decisions in fleet_suppressed. *@param decided counts them and
 * *@param evaluated the addresses looked at. @return 0 or -1.
 */
int fleet_suppress_evaluate(struct fleet *f, int64_t window, int64_t now,
			    size_t *decided, size_t *evaluated, char *err,
			    size_t errlen);

/**
 * Pull fleet_suppressed into the local store: active decisions missing
 * locally are added, cleared ones removed (when cleared after the
 * local decision). *@param added / *@param removed count. @return 0/-1.
 */
int fleet_suppress_pull(struct fleet *f, struct store *st, size_t *added,
			size_t *removed, char *err, size_t errlen);

/**
 * Clear @param address fleet-wide (retryctl unsuppress): the shared
 * decision is marked cleared by this host at @param now, so every host
 * removes it at its next pull. @return 0 or -1.
 */
int fleet_suppress_clear(struct fleet *f, const char *address, int64_t now,
			 char *err, size_t errlen);

/**
 * One daemon round: ship, evaluate, pull; logs what it did and, rate
 * limited, why it could not. Never blocks longer than the connect
 * deadline plus the statements' timeouts; after a failure the next
 * round waits an interval. Call outside any store transaction.
 */
void fleet_tick(struct fleet *f, struct store *st, int64_t now);

/* Views (fleet_view.c): text or JSON on @param out. @return 0 or -1. */
int fleet_view_status(struct fleet *f, FILE *out, int json, int64_t now,
		      char *err, size_t errlen);
int fleet_view_report(struct fleet *f, FILE *out, int json, int64_t since,
		      int64_t now, char *err, size_t errlen);
int fleet_view_diagnose(struct fleet *f, FILE *out, int json,
			const char *domain, int64_t since, char *err,
			size_t errlen);
int fleet_view_list(struct fleet *f, FILE *out, int json, int64_t since,
		    char *err, size_t errlen);

/**
 * Lookup-table configuration reading fleet_suppressed directly:
 * @param exim 0: a Postfix pgsql: table file (postfix-pgsql);
 * 1: Exim's hide pgsql_servers line and ${lookup pgsql} condition.
 * @return 0, or -1 with @param err (URL without host or dbname).
 */
int fleet_export_lookup(const struct policy *p, int exim, FILE *out, char *err,
			size_t errlen);

#endif
