/*
 * NAME
 *	verification 3
 * SUMMARY
 *	one verification per domain per window, shared by a pass
 * DESCRIPTION
 *	pass_verify_domains() gives each domain of the due set a
 *	verification: the store's own when it is younger than verify_window
 *	(the domains record says when; the verification is read back from
 *	the verifications database and its JSON rebuilt into a result),
 *	otherwise a fresh one (verify_domains(), or the test hook), at most
 *	LIMIT_PASS_VERIFY_CHUNK domains in memory at a time. A fresh result is
 *	stored (verify_result_json) together with the domain record
 *	(verdict, first_failing, last_healthy, last_mx) in one transaction.
 *
 *	pass_verify_from_json() reads back what verify_result_json() wrote
 *	(our own trusted text, parsed strictly anyway: duplicate keys refused,
 *	strings bounded). pass_verify_failing_nodes() names the MTA resolver
 *	nodes that gave no usable route (for the flush hook's %r).
 * DIAGNOSTICS
 *	A verifier failure leaves the domain without a verification: its
 *	messages stay due and are tried next pass (delay only).
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "util/log.h"
#include "pass/pass_int.h"

/* Fresh verdicts and answers by resolver role, for the metrics. */
static void pass_verify_count(struct pass_stats *st,
			      const struct verify_result *r)
{
	if ((unsigned)r->verdict < PASS_VERDICT_SLOTS)
		st->verdicts[r->verdict]++;
	for (size_t i = 0; i < r->nanswers; i++)
		if ((unsigned)r->answers[i].role < PASS_ROLE_SLOTS)
			st->answers_by_role[r->answers[i].role]++;
}

static void jstr(json_t *o, const char *key, char *dst, size_t len)
{
	json_t *v = json_object_get(o, key);

	snprintf(dst, len, "%s", json_is_string(v) ? json_string_value(v) : "");
}

static json_int_t jint(json_t *o, const char *key, json_int_t dflt)
{
	json_t *v = json_object_get(o, key);

	return json_is_integer(v) ? json_integer_value(v) : dflt;
}

static int parse_kind(const char *name, enum verify_kind *out)
{
	for (int k = VERIFY_KIND_MX; k <= VERIFY_KIND_MX_NOADDR; k++)
		if (strcmp(verify_kind_name((enum verify_kind)k), name) == 0) {
			*out = (enum verify_kind)k;
			return 0;
		}
	return -1;
}

static int parse_role(const char *name, enum verify_role *out)
{
	for (int r = VERIFY_ROLE_MTA; r <= VERIFY_ROLE_AUTHORITATIVE; r++)
		if (strcmp(verify_role_name((enum verify_role)r), name) == 0) {
			*out = (enum verify_role)r;
			return 0;
		}
	return -1;
}

int pass_verify_from_json(const char *text, struct verify_result *out)
{
	json_error_t jerr;
	json_t *o = json_loads(text, JSON_REJECT_DUPLICATES, &jerr), *ans;
	char name[64];
	size_t i;
	json_t *a;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(o))
		goto bad;
	jstr(o, "domain", out->domain, sizeof(out->domain));
	jstr(o, "verdict", name, sizeof(name));
	if (verify_verdict_parse(name, &out->verdict) < 0)
		goto bad;
	jstr(o, "detail", out->detail, sizeof(out->detail));
	jstr(o, "best_mx", out->best_mx, sizeof(out->best_mx));
	out->checked_at = jint(o, "checked_at_unix", 0);
	out->queries = (uint64_t)jint(o, "queries", 0);
	ans = json_object_get(o, "answers");
	if (!json_is_array(ans))
		goto bad;
	json_array_foreach(ans, i, a)
	{
		struct verify_answer *v;
		json_t *mx, *m;
		size_t j;

		if (out->nanswers == LIMIT_VERIFY_ANSWERS)
			break;
		v = &out->answers[out->nanswers];
		jstr(a, "role", name, sizeof(name));
		if (parse_role(name, &v->role) < 0)
			goto bad;
		jstr(a, "kind", name, sizeof(name));
		if (parse_kind(name, &v->kind) < 0)
			goto bad;
		jstr(a, "server", v->server, sizeof(v->server));
		jstr(a, "transport", name, sizeof(name));
		v->transport =
		    strcmp(name, "tcp") == 0 ? VERIFY_TCP : VERIFY_UDP;
		v->status = (int)jint(a, "status", 0);
		v->rcode = (int)jint(a, "rcode", -1);
		v->ttl = (uint32_t)jint(a, "ttl", 0);
		v->neg_ttl = jint(a, "neg_ttl", -1);
		v->truncated = json_is_true(json_object_get(a, "truncated"));
		v->ms = (uint32_t)jint(a, "ms", 0);
		jstr(a, "reason", v->reason, sizeof(v->reason));
		mx = json_object_get(a, "mx");
		json_array_foreach(mx, j, m)
		{
			if (v->nmx == LIMIT_VERIFY_MX)
				break;
			v->mx[v->nmx].preference =
			    (uint16_t)jint(m, "preference", 0);
			jstr(m, "host", v->mx[v->nmx].host,
			     sizeof(v->mx[0].host));
			v->mx[v->nmx].naddrs = (unsigned)jint(m, "naddrs", 0);
			v->nmx++;
		}
		out->nanswers++;
	}
	json_decref(o);
	return 0;
bad:
	json_decref(o);
	return -1;
}

size_t pass_verify_failing_nodes(const struct verify_result *r,
				 char nodes[][64], size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < r->nanswers; i++) {
		const struct verify_answer *a = &r->answers[i];
		size_t j;

		if (a->role != VERIFY_ROLE_MTA || a->kind == VERIFY_KIND_MX ||
		    a->kind == VERIFY_KIND_IMPLICIT)
			continue;
		for (j = 0; j < n; j++)
			if (strcmp(nodes[j], a->server) == 0)
				break;
		if (j == n && n < max)
			snprintf(nodes[n++], 64, "%s", a->server);
	}
	return n;
}

static void domain_fill(struct pass_domain *d, const struct verify_result *r,
			int fresh)
{
	d->have = 1;
	d->fresh = fresh;
	d->verdict = r->verdict;
	d->checked_at = r->checked_at;
	snprintf(d->detail, sizeof(d->detail), "%s", r->detail);
	snprintf(d->best_mx, sizeof(d->best_mx), "%s", r->best_mx);
	verify_result_summary(r, d->summary, sizeof(d->summary));
	d->nnodes =
	    pass_verify_failing_nodes(r, d->nodes, LIMIT_POLICY_RESOLVERS);
}

struct find_at {
	int64_t at;
	struct verify_result *out;
	int found;
};

static int find_at_one(const struct store_verification *v, void *arg)
{
	struct find_at *f = arg;

	if (v->time != f->at)
		return v->time > f->at; /* past it: stop */
	if (v->answers && pass_verify_from_json(v->answers, f->out) == 0) {
		f->found = 1;
		return 1;
	}
	return 0;
}

/* Load @param domain's verification made at @param at. */
static int verification_load(struct pass_ctx *ctx, const char *domain,
			     int64_t at, struct verify_result *out)
{
	struct find_at f = {.at = at, .out = out};
	char err[256];

	if (store_walk_verifications(ctx->store, domain, at, find_at_one, &f,
				     err, sizeof(err)) < 0)
		return -1;
	return f.found ? 0 : -1;
}

struct find_before {
	int64_t at;
	char *answers; /* copy of the newest candidate's JSON */
};

static int find_before_one(const struct store_verification *v, void *arg)
{
	struct find_before *f = arg;

	if (v->time > f->at)
		return 1;
	if (v->answers) {
		free(f->answers);
		f->answers = strdup(v->answers);
	}
	return 0;
}

int pass_verify_summary(struct pass_ctx *ctx, const char *domain, int64_t at,
			char *buf, size_t buflen)
{
	struct find_before f = {.at = at};
	struct verify_result *r;
	char err[256];
	int rc = -1;

	buf[0] = '\0';
	if (store_walk_verifications(
		ctx->store, domain, at - ctx->policy->verify_window,
		find_before_one, &f, err, sizeof(err)) < 0 ||
	    f.answers == NULL) {
		free(f.answers);
		return -1;
	}
	if ((r = malloc(sizeof(*r))) != NULL &&
	    pass_verify_from_json(f.answers, r) == 0) {
		verify_result_summary(r, buf, buflen);
		rc = 0;
	}
	free(r);
	free(f.answers);
	return rc;
}

/* Store a fresh result and the domain record, one transaction. */
static void verification_store(struct pass_ctx *ctx,
			       const struct verify_result *r, int64_t now)
{
	struct store_verification v;
	struct store_domain d;
	struct store_txn *txn;
	char err[512];
	int rc;

	memset(&v, 0, sizeof(v));
	snprintf(v.domain, sizeof(v.domain), "%s", r->domain);
	v.time = r->checked_at;
	snprintf(v.verdict, sizeof(v.verdict), "%s",
		 verify_verdict_name(r->verdict));
	if ((v.answers = verify_result_json(r)) == NULL)
		return;
	for (int tries = 0; tries < LIMIT_STORE_DEADLOCK_TRIES; tries++) {
		if (store_txn_begin(ctx->store, &txn, err, sizeof(err)) !=
		    STORE_OK)
			break;
		memset(&d, 0, sizeof(d));
		rc = store_get_domain(ctx->store, txn, r->domain, &d, err,
				      sizeof(err));
		if (rc == STORE_NOTFOUND) {
			memset(&d, 0, sizeof(d));
			snprintf(d.domain, sizeof(d.domain), "%s", r->domain);
			rc = STORE_OK;
		}
		if (rc == STORE_OK) {
			d.last_verified = r->checked_at;
			snprintf(d.verdict, sizeof(d.verdict), "%s", v.verdict);
			if (r->verdict == VERDICT_HEALTHY) {
				d.first_failing = 0;
				d.last_healthy = now;
			} else if (d.first_failing == 0) {
				d.first_failing = now;
			}
			if (r->best_mx[0])
				snprintf(d.last_mx, sizeof(d.last_mx), "%s",
					 r->best_mx);
			rc = store_put_domain(ctx->store, txn, &d, err,
					      sizeof(err));
		}
		if (rc == STORE_OK)
			rc = store_add_verification(ctx->store, txn, &v, err,
						    sizeof(err));
		if (pass_commit(ctx, txn, rc, "verification: store", err) !=
		    STORE_RETRY)
			break;
	}
	free(v.answers);
}

static int verify_call(struct pass_ctx *ctx, const char *const *names, size_t n,
		       int64_t now, struct verify_result *out, char *err,
		       size_t errlen)
{
	if (ctx->verify)
		return ctx->verify(ctx->verify_arg, names, n, now, out, err,
				   errlen);
	return verify_domains(ctx->verifier, names, n, now, out, err, errlen);
}

int pass_verify_load(struct pass_ctx *ctx, const char *domain, int64_t at,
		     struct verify_result *out)
{
	return verification_load(ctx, domain, at, out);
}

int pass_verify_fresh(struct pass_ctx *ctx, struct pass_domain *d, int64_t now,
		      struct verify_result *out)
{
	const char *names[1] = {d->name};
	char err[512];

	memset(out, 0, sizeof(*out));
	if (verify_call(ctx, names, 1, now, out, err, sizeof(err)) < 0) {
		log_error("verify %s: %.400s", d->name, err);
		return -1;
	}
	snprintf(out->domain, sizeof(out->domain), "%s", d->name);
	domain_fill(d, out, 1);
	verification_store(ctx, out, now);
	ctx->stats.domains_verified++;
	ctx->stats.queries += out->queries;
	return 0;
}

int pass_verify_domains(struct pass_ctx *ctx, struct pass_domain *doms,
			size_t n, int64_t now)
{
	struct verify_result *res =
	    calloc(LIMIT_PASS_VERIFY_CHUNK, sizeof(*res));
	const char *names[LIMIT_PASS_VERIFY_CHUNK];
	size_t idx[LIMIT_PASS_VERIFY_CHUNK], k = 0;
	char err[512];

	if (res == NULL)
		return -1;
	for (size_t i = 0; i <= n; i++) {
		if (i < n) {
			struct store_domain d;
			struct pass_domain *pd = &doms[i];

			memset(&d, 0, sizeof(d));
			if (!pd->want_fresh &&
			    store_get_domain(ctx->store, NULL, pd->name, &d,
					     err, sizeof(err)) == STORE_OK &&
			    d.last_verified > 0 && d.last_verified <= now &&
			    now - d.last_verified <
				ctx->policy->verify_window &&
			    verification_load(ctx, pd->name, d.last_verified,
					      &res[0]) == 0) {
				domain_fill(pd, &res[0], 0);
				continue;
			}
			names[k] = pd->name;
			idx[k++] = i;
			if (k < LIMIT_PASS_VERIFY_CHUNK)
				continue;
		}
		if (k == 0)
			continue;
		memset(res, 0, k * sizeof(*res));
		if (verify_call(ctx, names, k, now, res, err, sizeof(err)) <
		    0) {
			log_error("verify: %.400s (these domains wait for the "
				  "next pass)",
				  err);
		} else {
			for (size_t j = 0; j < k; j++) {
				/* the result is for the name asked, whatever it says */
				snprintf(res[j].domain, sizeof(res[j].domain),
					 "%s", names[j]);
				domain_fill(&doms[idx[j]], &res[j], 1);
				verification_store(ctx, &res[j], now);
				ctx->stats.domains_verified++;
				ctx->stats.queries += res[j].queries;
				pass_verify_count(&ctx->stats, &res[j]);
			}
		}
		k = 0;
	}
	free(res);
	return 0;
}
