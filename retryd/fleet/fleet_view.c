/*
 * NAME
 *	fleet_view 3
 * SUMMARY
 *	cross-host views: fleet status, the fleet report with its
 *	cross-host verdicts, diagnose side by side, the fleet list
 * SYNOPSIS
 *	#include "fleet/fleet.h"
 * DESCRIPTION
 *	fleet_view_report() reads every host's verifications since a time,
 *	per domain and host, and gives each domain a cross-host verdict:
 *	  local-path   failing from some hosts while the others verified it
 *	               healthy in the same window: the fault is on those
 *	               hosts' path; each is named with the resolver node(s)
 *	               that failed there (the "mta" answers that gave no
 *	               usable MX in its latest failing verification);
 *	  everywhere   failing from every host that verified it;
 *	  healthy      healthy from every host.
 *	fleet_view_diagnose() prints the latest verification of one domain
 *	per host side by side; fleet_view_list() the latest evidence per
 *	recipient and host whose outcome is still open (deferred, none);
 *	fleet_view_status() the hosts (last seen, outbox sizes as each last
 *	reported them) and the shared tables' sizes.
 *
 *	Text for operators or JSON (jansson) for tools; untrusted text is
 *	printed bounded.
 */
#include "fleet/fleet_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#define VIEW_NUM   24
#define VIEW_NODES 256 /* bytes of a host's failing node list */
#define VIEW_ROWS  "1000"

static void view_time(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t <= 0 || gmtime_r(&tt, &tm) == NULL)
		snprintf(buf, len, "-");
	else
		strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The MTA resolver nodes that gave no usable MX, "a, b" (or ""). */
static void view_failing_nodes(const char *answers, char *buf, size_t len)
{
	json_t *root = json_loads(answers, JSON_REJECT_DUPLICATES, NULL);
	json_t *arr = root ? json_object_get(root, "answers") : NULL, *a;
	size_t i, used = 0;

	buf[0] = '\0';
	json_array_foreach(arr, i, a)
	{
		const char *role =
		    json_string_value(json_object_get(a, "role"));
		const char *kind =
		    json_string_value(json_object_get(a, "kind"));
		const char *srv =
		    json_string_value(json_object_get(a, "server"));

		if (!role || !kind || !srv || strcmp(role, "mta") != 0 ||
		    strcmp(kind, "mx") == 0 || strcmp(kind, "implicit-mx") == 0)
			continue;
		if (strstr(buf, srv) == NULL && used < len)
			used +=
			    (size_t)snprintf(buf + used, len - used, "%s%.64s",
					     used ? ", " : "", srv);
	}
	json_decref(root);
}

static int view_dump(FILE *out, json_t *j)
{
	int rc = j ? json_dumpf(j, out, JSON_INDENT(2)) : -1;

	json_decref(j);
	return rc < 0 || fputc('\n', out) == EOF ? -1 : 0;
}

int fleet_view_status(struct fleet *f, FILE *out, int json, int64_t now,
		      char *err, size_t errlen)
{
	PGresult *r, *t;
	json_t *hosts = json ? json_array() : NULL;
	char seen[32];

	if (fleet_ready(f, err, errlen) < 0)
		return -1;
	t = fleet_exec(
	    f, "status",
	    "SELECT (SELECT max(version) FROM retryd_schema), "
	    "(SELECT count(*) FROM fleet_evidence), (SELECT count(*) "
	    "FROM fleet_verifications), (SELECT count(*) FROM "
	    "fleet_suppressed WHERE cleared_at IS NULL)",
	    0, NULL, PGRES_TUPLES_OK, err, errlen);
	if (t == NULL)
		return -1;
	r = fleet_exec(f, "status",
		       "SELECT host_id, last_seen, outbox_evidence, "
		       "outbox_verifications, outbox_dropped, shipped FROM "
		       "fleet_hosts ORDER BY host_id LIMIT " VIEW_ROWS,
		       0, NULL, PGRES_TUPLES_OK, err, errlen);
	if (r == NULL) {
		PQclear(t);
		return -1;
	}
	if (!json)
		fprintf(out,
			"fleet: schema %s, evidence %s, verifications %s, "
			"suppressed %s\n%-20s %-20s %8s %9s %9s %8s %10s\n",
			PQgetvalue(t, 0, 0), PQgetvalue(t, 0, 1),
			PQgetvalue(t, 0, 2), PQgetvalue(t, 0, 3), "HOST",
			"LAST SEEN", "AGE", "OUTBOX-EV", "OUTBOX-V", "DROPPED",
			"SHIPPED");
	for (int i = 0; i < PQntuples(r); i++) {
		int64_t last = fleet_cell_i64(r, i, 1);

		view_time(last, seen, sizeof(seen));
		if (json)
			json_array_append_new(
			    hosts,
			    json_pack("{s:s, s:I, s:I, s:I, s:I, s:I}", "host",
				      PQgetvalue(r, i, 0), "last_seen",
				      (json_int_t)last, "outbox_evidence",
				      (json_int_t)fleet_cell_i64(r, i, 2),
				      "outbox_verifications",
				      (json_int_t)fleet_cell_i64(r, i, 3),
				      "outbox_dropped",
				      (json_int_t)fleet_cell_i64(r, i, 4),
				      "shipped",
				      (json_int_t)fleet_cell_i64(r, i, 5)));
		else
			fprintf(out, "%-20.63s %-20s %7llds %9s %9s %8s %10s\n",
				PQgetvalue(r, i, 0), seen,
				(long long)(now - last), PQgetvalue(r, i, 2),
				PQgetvalue(r, i, 3), PQgetvalue(r, i, 4),
				PQgetvalue(r, i, 5));
	}
	if (json) {
		json_t *o = json_pack(
		    "{s:I, s:I, s:I, s:I, s:o}", "schema",
		    (json_int_t)fleet_cell_i64(t, 0, 0), "evidence",
		    (json_int_t)fleet_cell_i64(t, 0, 1), "verifications",
		    (json_int_t)fleet_cell_i64(t, 0, 2), "suppressed",
		    (json_int_t)fleet_cell_i64(t, 0, 3), "hosts", hosts);
		PQclear(r);
		PQclear(t);
		return view_dump(out, o);
	}
	PQclear(r);
	PQclear(t);
	return 0;
}

/* One domain's hosts in the report (rows [from, to) of r). */
static int view_report_domain(FILE *out, json_t *arr, const PGresult *r,
			      int from, int to)
{
	char nodes[VIEW_NODES], failing[1024] = "", healthy[1024] = "";
	size_t nf = 0, nh = 0, uf = 0, uh = 0;
	const char *verdict;
	json_t *hosts = arr ? json_array() : NULL;

	for (int i = from; i < to; i++) {
		const char *host = PQgetvalue(r, i, 1);
		int64_t fails = fleet_cell_i64(r, i, 2);

		if (fails > 0) {
			view_failing_nodes(PQgetvalue(r, i, 5), nodes,
					   sizeof(nodes));
			nf++;
			if (uf < sizeof(failing))
				uf += (size_t)snprintf(
				    failing + uf, sizeof(failing) - uf,
				    "%s%.63s (%s%s%s)", uf ? "; " : "", host,
				    PQgetvalue(r, i, 4),
				    nodes[0] ? " at resolver node " : "",
				    nodes);
		} else if (fleet_cell_i64(r, i, 3) > 0) {
			nh++;
			if (uh < sizeof(healthy))
				uh += (size_t)snprintf(
				    healthy + uh, sizeof(healthy) - uh,
				    "%s%.63s", uh ? ", " : "", host);
		}
		if (hosts)
			json_array_append_new(
			    hosts,
			    json_pack("{s:s, s:I, s:I, s:s, s:s}", "host", host,
				      "failing", (json_int_t)fails, "healthy",
				      (json_int_t)fleet_cell_i64(r, i, 3),
				      "failing_verdict", PQgetvalue(r, i, 4),
				      "failing_nodes", fails > 0 ? nodes : ""));
	}
	verdict = nf == 0 ? "healthy" : nh > 0 ? "local-path" : "everywhere";
	if (arr)
		return json_array_append_new(
		    arr, json_pack("{s:s, s:s, s:s, s:s, s:o}", "domain",
				   PQgetvalue(r, from, 0), "fleet_verdict",
				   verdict, "failing_from", failing,
				   "healthy_from", healthy, "hosts", hosts));
	if (nf == 0)
		return fprintf(out, "%-30.254s healthy from %s\n",
			       PQgetvalue(r, from, 0), healthy) < 0;
	if (nh > 0)
		return fprintf(out,
			       "%-30.254s local-path of %s; healthy from %s "
			       "in the same window: the fault is on the "
			       "failing hosts' path, not the domain\n",
			       PQgetvalue(r, from, 0), failing, healthy) < 0;
	return fprintf(out,
		       "%-30.254s failing from every host that verified it: "
		       "%s\n",
		       PQgetvalue(r, from, 0), failing) < 0;
}

int fleet_view_report(struct fleet *f, FILE *out, int json, int64_t since,
		      int64_t now, char *err, size_t errlen)
{
	char s[VIEW_NUM], when[32];
	const char *params[1] = {fleet_i64(since, s, sizeof(s))};
	json_t *arr = json ? json_array() : NULL;
	PGresult *r;
	int from = 0, n, rc = 0;

	if (fleet_ready(f, err, errlen) < 0)
		return -1;
	r = fleet_exec(
	    f, "report",
	    "SELECT domain, host_id, count(*) FILTER (WHERE verdict <> "
	    "'healthy'), count(*) FILTER (WHERE verdict = 'healthy'), "
	    "coalesce((array_agg(verdict ORDER BY time DESC) FILTER (WHERE "
	    "verdict <> 'healthy'))[1], ''), coalesce((array_agg(answers ORDER "
	    "BY time DESC) FILTER (WHERE verdict <> 'healthy'))[1], '') FROM "
	    "fleet_verifications WHERE time >= $1::bigint GROUP BY domain, "
	    "host_id ORDER BY domain, host_id",
	    1, params, PGRES_TUPLES_OK, err, errlen);
	if (r == NULL) {
		json_decref(arr);
		return -1;
	}
	n = PQntuples(r);
	view_time(since, when, sizeof(when));
	if (!json)
		fprintf(out,
			"fleet report since %s (%lld s), %d domain/host "
			"pairs\n",
			when, (long long)(now - since), n);
	for (int i = 1; i <= n && rc == 0; i++) {
		if (i < n &&
		    strcmp(PQgetvalue(r, i, 0), PQgetvalue(r, from, 0)) == 0)
			continue;
		rc = view_report_domain(out, arr, r, from, i);
		from = i;
	}
	PQclear(r);
	if (json)
		return view_dump(out,
				 json_pack("{s:I, s:o}", "since",
					   (json_int_t)since, "domains", arr));
	return rc ? -1 : 0;
}

int fleet_view_diagnose(struct fleet *f, FILE *out, int json,
			const char *domain, int64_t since, char *err,
			size_t errlen)
{
	char s[VIEW_NUM], when[32], nodes[VIEW_NODES];
	const char *params[2] = {domain, fleet_i64(since, s, sizeof(s))};
	json_t *arr = json ? json_array() : NULL;
	PGresult *r;

	if (fleet_ready(f, err, errlen) < 0) {
		json_decref(arr);
		return -1;
	}
	r = fleet_exec(f, "diagnose",
		       "SELECT DISTINCT ON (host_id) host_id, time, verdict, "
		       "answers FROM fleet_verifications WHERE domain = $1 AND "
		       "time >= $2::bigint ORDER BY host_id, time DESC",
		       2, params, PGRES_TUPLES_OK, err, errlen);
	if (r == NULL) {
		json_decref(arr);
		return -1;
	}
	if (!json)
		fprintf(out,
			"%.254s: latest verification per host\n%-20s "
			"%-20s %-12s %s\n",
			domain, "HOST", "CHECKED", "VERDICT",
			"FAILING MTA RESOLVER NODES");
	for (int i = 0; i < PQntuples(r); i++) {
		view_time(fleet_cell_i64(r, i, 1), when, sizeof(when));
		view_failing_nodes(PQgetvalue(r, i, 3), nodes, sizeof(nodes));
		if (json)
			json_array_append_new(
			    arr, json_pack(
				     "{s:s, s:I, s:s, s:s, s:o?}", "host",
				     PQgetvalue(r, i, 0), "time",
				     (json_int_t)fleet_cell_i64(r, i, 1),
				     "verdict", PQgetvalue(r, i, 2),
				     "failing_nodes", nodes, "result",
				     json_loads(PQgetvalue(r, i, 3), 0, NULL)));
		else
			fprintf(out, "%-20.63s %-20s %-12.32s %s\n",
				PQgetvalue(r, i, 0), when, PQgetvalue(r, i, 2),
				nodes[0] ? nodes : "-");
	}
	if (!json && PQntuples(r) == 0)
		fprintf(out, "no host verified %.254s since %s\n", domain,
			(view_time(since, when, sizeof(when)), when));
	PQclear(r);
	return json ? view_dump(out, arr) : 0;
}

int fleet_view_list(struct fleet *f, FILE *out, int json, int64_t since,
		    char *err, size_t errlen)
{
	char s[VIEW_NUM], when[32];
	const char *params[1] = {fleet_i64(since, s, sizeof(s))};
	json_t *arr = json ? json_array() : NULL;
	PGresult *r;

	if (fleet_ready(f, err, errlen) < 0) {
		json_decref(arr);
		return -1;
	}
	r = fleet_exec(
	    f, "list",
	    "SELECT * FROM (SELECT DISTINCT ON (address, host_id) address, "
	    "host_id, time, outcome, verdict, dsn, category, queue_id FROM "
	    "fleet_evidence WHERE time >= $1::bigint ORDER BY address, "
	    "host_id, time DESC, seq DESC) l WHERE outcome IN ('deferred', "
	    "'none') ORDER BY address, host_id LIMIT " VIEW_ROWS,
	    1, params, PGRES_TUPLES_OK, err, errlen);
	if (r == NULL) {
		json_decref(arr);
		return -1;
	}
	if (!json)
		fprintf(out, "%-40s %-16s %-20s %-9s %-11s %s\n", "RECIPIENT",
			"HOST", "LAST", "OUTCOME", "VERDICT", "DSN CATEGORY");
	for (int i = 0; i < PQntuples(r); i++) {
		view_time(fleet_cell_i64(r, i, 2), when, sizeof(when));
		if (json)
			json_array_append_new(
			    arr,
			    json_pack(
				"{s:s, s:s, s:I, s:s, s:s, s:s, s:s, s:s}",
				"address", PQgetvalue(r, i, 0), "host",
				PQgetvalue(r, i, 1), "time",
				(json_int_t)fleet_cell_i64(r, i, 2), "outcome",
				PQgetvalue(r, i, 3), "verdict",
				PQgetvalue(r, i, 4), "dsn", PQgetvalue(r, i, 5),
				"category", PQgetvalue(r, i, 6), "queue_id",
				PQgetvalue(r, i, 7)));
		else
			fprintf(out,
				"%-40.254s %-16.63s %-20s %-9s %-11.32s "
				"%.16s %.32s\n",
				PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), when,
				PQgetvalue(r, i, 3), PQgetvalue(r, i, 4),
				PQgetvalue(r, i, 5), PQgetvalue(r, i, 6));
	}
	PQclear(r);
	return json ? view_dump(out, arr) : 0;
}
