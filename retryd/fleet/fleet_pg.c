/*
 * NAME
 *	fleet_pg 3
 * SUMMARY
 *	the PostgreSQL session: non-blocking connect with a deadline,
 *	statements with text parameters, the schema check
 * SYNOPSIS
 *	#include "fleet/fleet.h"
 * DESCRIPTION
 *	fleet_ready() connects with PQconnectStartParams() and drives
 *	PQconnectPoll() under poll() until FLEET_CONNECT_MS has passed: a
 *	database host that drops packets costs the daemon that long, once
 *	per interval, never a TCP timeout. The session runs with
 *	statement_timeout = FLEET_STATEMENT_MS and TCP keepalives, as
 *	application_name retryd/HOST_ID. The schema version must be
 *	FLEET_SCHEMA_VERSION: an older or missing one asks the operator to
 *	run `retryctl fleet init`.
 *
 *	Owns: the connection. Every result is the caller's (PQclear).
 * DIAGNOSTICS
 *	Errors fill err as "fleet: WHAT: libpq's message (first line)".
 *	A failed connection drops the session and defers the next try by
 *	one [fleet] interval.
 */
#include "fleet/fleet_int.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/log.h"

int64_t fleet_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct fleet *fleet_new(const struct policy *p)
{
	struct fleet *f = calloc(1, sizeof(*f));

	if (f != NULL)
		f->p = p;
	return f;
}

void fleet_set_policy(struct fleet *f, const struct policy *p)
{
	if (f->p->fleet_database == NULL || p->fleet_database == NULL ||
	    strcmp(f->p->fleet_database, p->fleet_database) != 0)
		fleet_disconnect(f);
	f->p = p;
}

void fleet_disconnect(struct fleet *f)
{
	if (f->conn != NULL)
		PQfinish(f->conn);
	f->conn = NULL;
	f->schema_ok = 0;
}

void fleet_close(struct fleet *f)
{
	if (f == NULL)
		return;
	fleet_disconnect(f);
	free(f);
}

void *fleet_conn(struct fleet *f)
{
	return f->conn;
}

/* libpq's message, first line only, bounded. */
static void fleet_pq_error(const char *what, const char *msg, char *err,
			   size_t errlen)
{
	size_t n = strcspn(msg ? msg : "", "\n");

	snprintf(err, errlen, "fleet: %s: %.*s", what, (int)(n > 300 ? 300 : n),
		 msg && *msg ? msg : "unknown error");
}

/* Drive a started connection until OK, failure or the deadline. */
static int fleet_connect_poll(PGconn *c, int64_t deadline, char *err,
			      size_t errlen)
{
	PostgresPollingStatusType st = PGRES_POLLING_WRITING;

	for (;;) {
		struct pollfd pfd;
		int64_t left = deadline - fleet_mono_ms();
		int rc;

		if (st == PGRES_POLLING_OK)
			return 0;
		if (st == PGRES_POLLING_FAILED) {
			fleet_pq_error("connect", PQerrorMessage(c), err,
				       errlen);
			return -1;
		}
		if (left <= 0) {
			snprintf(err, errlen,
				 "fleet: connect: no answer within %d ms",
				 FLEET_CONNECT_MS);
			return -1;
		}
		pfd.fd = PQsocket(c);
		pfd.events = st == PGRES_POLLING_READING ? POLLIN : POLLOUT;
		pfd.revents = 0;
		if (pfd.fd < 0) {
			fleet_pq_error("connect", PQerrorMessage(c), err,
				       errlen);
			return -1;
		}
		rc = poll(&pfd, 1, (int)left);
		if (rc < 0 && errno != EINTR) {
			snprintf(err, errlen, "fleet: connect: poll: %s",
				 strerror(errno));
			return -1;
		}
		if (rc > 0)
			st = PQconnectPoll(c);
	}
}

static int fleet_connect(struct fleet *f, char *err, size_t errlen)
{
	char appname[LIMIT_HOST_ID + 16], options[64];
	const char *keys[] = {"dbname",	    "application_name", "options",
			      "keepalives", "keepalives_idle",	NULL};
	const char *vals[] = {
	    f->p->fleet_database, appname, options, "1", "30", NULL};
	PGconn *c;

	snprintf(appname, sizeof(appname), "retryd/%s", f->p->host_id);
	snprintf(options, sizeof(options), "-c statement_timeout=%d",
		 FLEET_STATEMENT_MS);
	c = PQconnectStartParams(keys, vals, 1);
	if (c == NULL) {
		snprintf(err, errlen, "fleet: connect: out of memory");
		return -1;
	}
	if (PQstatus(c) == CONNECTION_BAD ||
	    fleet_connect_poll(c, fleet_mono_ms() + FLEET_CONNECT_MS, err,
			       errlen) < 0) {
		if (PQstatus(c) == CONNECTION_BAD && err[0] == '\0')
			fleet_pq_error("connect", PQerrorMessage(c), err,
				       errlen);
		PQfinish(c);
		return -1;
	}
	f->conn = c;
	return 0;
}

PGresult *fleet_exec(struct fleet *f, const char *what, const char *sql, int n,
		     const char *const *params, ExecStatusType want, char *err,
		     size_t errlen)
{
	PGresult *r;

	if (f->conn == NULL) {
		snprintf(err, errlen, "fleet: %s: not connected", what);
		return NULL;
	}
	r = PQexecParams(f->conn, sql, n, NULL, params, NULL, NULL, 0);
	if (r != NULL && PQresultStatus(r) == want)
		return r;
	fleet_pq_error(what,
		       r ? PQresultErrorMessage(r) : PQerrorMessage(f->conn),
		       err, errlen);
	PQclear(r);
	if (PQstatus(f->conn) != CONNECTION_OK)
		fleet_disconnect(f);
	return NULL;
}

static int fleet_simple(struct fleet *f, const char *sql, char *err,
			size_t errlen)
{
	PGresult *r =
	    fleet_exec(f, sql, sql, 0, NULL, PGRES_COMMAND_OK, err, errlen);

	PQclear(r);
	return r ? 0 : -1;
}

int fleet_begin(struct fleet *f, char *err, size_t errlen)
{
	return fleet_simple(f, "BEGIN", err, errlen);
}

int fleet_commit(struct fleet *f, char *err, size_t errlen)
{
	return fleet_simple(f, "COMMIT", err, errlen);
}

void fleet_rollback(struct fleet *f)
{
	char err[64];

	if (f->conn != NULL)
		fleet_simple(f, "ROLLBACK", err, sizeof(err));
}

char *fleet_i64(int64_t v, char *buf, size_t len)
{
	snprintf(buf, len, "%" PRId64, v);
	return buf;
}

int64_t fleet_cell_i64(const PGresult *r, int row, int col)
{
	const char *s = PQgetvalue(r, row, col);
	char *end;
	long long v;

	if (s == NULL || *s == '\0')
		return 0;
	errno = 0;
	v = strtoll(s, &end, 10);
	return (errno || *end) ? 0 : (int64_t)v;
}

/* The schema version, -1 on error, 0 when there is none. */
static int fleet_schema_version(struct fleet *f, char *err, size_t errlen)
{
	PGresult *r;
	int v = 0;

	r = fleet_exec(f, "schema version",
		       "SELECT to_regclass('retryd_schema') IS NULL", 0, NULL,
		       PGRES_TUPLES_OK, err, errlen);
	if (r == NULL)
		return -1;
	v = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
	PQclear(r);
	if (v)
		return 0;
	r = fleet_exec(f, "schema version",
		       "SELECT max(version) FROM retryd_schema", 0, NULL,
		       PGRES_TUPLES_OK, err, errlen);
	if (r == NULL)
		return -1;
	v = PQntuples(r) > 0 ? (int)fleet_cell_i64(r, 0, 0) : 0;
	PQclear(r);
	return v;
}

int fleet_ready(struct fleet *f, char *err, size_t errlen)
{
	int v;

	err[0] = '\0';
	if (f->conn != NULL && PQstatus(f->conn) != CONNECTION_OK)
		fleet_disconnect(f);
	if (f->conn == NULL && fleet_connect(f, err, errlen) < 0)
		return -1;
	if (f->schema_ok)
		return 0;
	if ((v = fleet_schema_version(f, err, errlen)) < 0)
		return -1;
	if (v != FLEET_SCHEMA_VERSION) {
		snprintf(err, errlen,
			 "fleet: schema version %d, retryd needs %d: run "
			 "`retryctl fleet init`",
			 v, FLEET_SCHEMA_VERSION);
		return -1;
	}
	f->schema_ok = 1;
	return 0;
}

int fleet_connect_only(struct fleet *f, char *err, size_t errlen)
{
	err[0] = '\0';
	if (f->conn != NULL && PQstatus(f->conn) != CONNECTION_OK)
		fleet_disconnect(f);
	if (f->conn == NULL)
		return fleet_connect(f, err, errlen);
	return 0;
}
