/*
 * NAME
 *	verify_trace 3
 * SUMMARY
 *	the independent route to a domain's authoritative servers: a trace
 *	from the root hints (the seed's dig +trace), stub query by stub query
 * SYNOPSIS
 *	#include "dns/verify_int.h"
 * DESCRIPTION
 *	Finding NS through the recursive resolvers being judged is not
 *	independent: an interceptor answers for them. With [resolvers]
 *	root_hints = FILE, verify_trace_hints() reads the root servers'
 *	addresses (the A and AAAA records of a hints file in zone-file form,
 *	as /usr/share/dns/root.hints) and verify_trace_start() walks down
 *	the delegation chain for each domain on the verifier's own loop:
 *	it asks a server of the current zone (a root server first) the
 *	domain's NS; a referral (no AA, NS records in the authority section
 *	for a zone closer to the domain) moves to the glue addresses of the
 *	delegated servers; a referral without glue traces the NS host's
 *	address first (at most LIMIT_VERIFY_TRACE_GLUELESS levels deep); an
 *	authoritative reply (AA: the NS set, NODATA or NXDOMAIN) ends the
 *	trace, and every server of that zone is asked the domain's MX as an
 *	authoritative server (verify_ns_ask). A server that times out,
 *	fails, or refers sideways is skipped for the next one of its zone.
 *	At most LIMIT_VERIFY_TRACE_STEPS referrals are followed.
 *
 *	The result records the path: res->ns_path says "trace from root
 *	hints: authoritative answer from the ZONE servers (N referrals)"
 *	(ZONE: the last delegation followed) or why the trace failed and the
 *	resolver used instead (verify_ns_find); res->trace_queries and
 *	res->trace_ms measure the cost (make bench).
 *
 *	We chose our own iteration over getdns's recursing mode (libunbound):
 *	it runs on the verifier's shared poll loop with its timeouts and
 *	query count, has no cache to go stale, and has no built-in local
 *	zones (libunbound answers test. itself).
 *
 *	Owns: job->trace (malloc'd here, freed by verify.c at the end).
 * DIAGNOSTICS
 *	verify_trace_hints fails with FILE:LINE on an unreadable file, a
 *	bad address, or a file with no address. Trace failures are results
 *	(res->ns_path, job->note), never errors.
 */
#include "dns/verify_int.h"
#include "util/monotime.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <getdns/getdns.h>
#include <getdns/getdns_extra.h>

#include "dns/verify_answer.h"

int verify_trace_hints(struct verifier *v, const char *path, char *err,
		       size_t errlen)
{
	FILE *fp = fopen(path, "r");
	char line[512];
	unsigned lineno = 0;

	if (fp == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	v->nroots = 0;
	while (fgets(line, sizeof(line), fp) != NULL) {
		char *tok[6], *save = NULL, *c = strchr(line, ';');
		size_t nt = 0;
		struct verify_addr *a;

		lineno++;
		if (c != NULL)
			*c = '\0';
		for (char *t = strtok_r(line, " \t\r\n", &save);
		     t != NULL && nt < 6; t = strtok_r(NULL, " \t\r\n", &save))
			tok[nt++] = t;
		/* NAME [TTL] [IN] A|AAAA ADDRESS */
		if (nt < 3)
			continue;
		if (strcasecmp(tok[nt - 2], "A") != 0 &&
		    strcasecmp(tok[nt - 2], "AAAA") != 0)
			continue;
		if (v->nroots >= LIMIT_ROOT_HINTS)
			break;
		a = &v->roots[v->nroots];
		a->family =
		    strcasecmp(tok[nt - 2], "A") == 0 ? AF_INET : AF_INET6;
		if (inet_pton(a->family, tok[nt - 1], a->addr) != 1) {
			snprintf(err, errlen, "%s:%u: bad address '%.60s'",
				 path, lineno, tok[nt - 1]);
			fclose(fp);
			return -1;
		}
		v->nroots++;
	}
	fclose(fp);
	if (v->nroots == 0) {
		snprintf(err, errlen, "%s: no root server address (A/AAAA)",
			 path);
		return -1;
	}
	return 0;
}

static size_t verify_trace_labels(const char *name)
{
	size_t n = 1;

	if (strcmp(name, ".") == 0)
		return 0;
	for (; *name; name++)
		n += *name == '.';
	return n;
}

/* 1 when @zone is @name or one of its parents ("." is everyone's). */
static int verify_trace_under(const char *name, const char *zone)
{
	size_t ln = strlen(name), lz = strlen(zone);

	if (strcmp(zone, ".") == 0 || strcmp(name, zone) == 0)
		return 1;
	return ln > lz && name[ln - lz - 1] == '.' &&
	       strcmp(name + ln - lz, zone) == 0;
}

/* The owner name of @rr, normalized; @return 0 or -1. */
static int verify_trace_name(const getdns_dict *rr, const char *field,
			     char *out, size_t outlen)
{
	getdns_bindata *b = NULL;
	char *fqdn = NULL;
	int rc;

	if (getdns_dict_get_bindata(rr, field, &b) != GETDNS_RETURN_GOOD ||
	    getdns_convert_dns_name_to_fqdn(b, &fqdn) != GETDNS_RETURN_GOOD ||
	    fqdn == NULL)
		return -1;
	rc = verify_name_normalize(fqdn, out, outlen);
	free(fqdn);
	return rc;
}

static void verify_trace_fail(struct verify_job *job, const char *why)
{
	struct verify_result *res = job->res;

	res->trace_ms = (uint32_t)(monotime_ms() - job->trace->started_ms);
	snprintf(res->ns_path, sizeof(res->ns_path), "trace failed (%.70s)",
		 why);
	snprintf(job->note, sizeof(job->note), "trace: %.80s", why);
	snprintf(job->zone, sizeof(job->zone), "%s", res->domain);
	verify_ns_find(job); /* the fallback, recorded in ns_path */
}

static int verify_trace_push(struct verify_job *job, const char *host);

/* Ask the next server of the top frame; pop or fail when none is left. */
static void verify_trace_send(struct verify_job *job)
{
	struct verify_trace *t = job->trace;

	for (;;) {
		struct verify_trace_frame *f = &t->f[t->depth];
		struct verify_ctx *vc;

		while (f->next < f->nsrv) {
			vc = verify_ns_ctx(job, &f->srv[f->next]);
			if (vc != NULL) {
				verify_send_tagged(job, vc, VQ_TRACE, 0,
						   f->qname, f->qtype);
				return;
			}
			f->next++;
		}
		if (t->depth == 0) {
			char why[96];

			snprintf(why, sizeof(why),
				 "no answer from the %.40s "
				 "servers",
				 f->zone);
			verify_trace_fail(job, why);
			return;
		}
		/* this NS host failed: the parent tries its next one */
		t->depth--;
		f = &t->f[t->depth];
		if (++f->nexthost < f->nhosts &&
		    verify_trace_push(job, f->hosts[f->nexthost]) == 0)
			continue;
		f->next++; /* the referring server is no help */
	}
}

/* A new top frame tracing the address of @host from the root. */
static int verify_trace_push(struct verify_job *job, const char *host)
{
	struct verify_trace *t = job->trace;
	struct verify_trace_frame *f;

	if (t->depth + 1 >= sizeof(t->f) / sizeof(t->f[0]))
		return -1;
	f = &t->f[++t->depth];
	memset(f, 0, sizeof(*f));
	snprintf(f->qname, sizeof(f->qname), "%s", host);
	f->qtype = GETDNS_RRTYPE_A;
	snprintf(f->zone, sizeof(f->zone), ".");
	for (size_t i = 0; i < job->v->nroots && f->nsrv < LIMIT_VERIFY_NS; i++)
		f->srv[f->nsrv++] = job->v->roots[i];
	return 0;
}

void verify_trace_start(struct verify_job *job)
{
	struct verify_trace *t = calloc(1, sizeof(*t));
	struct verify_trace_frame *f;

	if (t == NULL) {
		snprintf(job->note, sizeof(job->note), "trace: out of memory");
		verify_ns_find(job);
		return;
	}
	job->trace = t;
	t->started_ms = monotime_ms();
	f = &t->f[0];
	snprintf(f->qname, sizeof(f->qname), "%s", job->res->domain);
	f->qtype = GETDNS_RRTYPE_NS;
	snprintf(f->zone, sizeof(f->zone), ".");
	for (size_t i = 0; i < job->v->nroots && f->nsrv < LIMIT_VERIFY_NS; i++)
		f->srv[f->nsrv++] = job->v->roots[i];
	verify_trace_send(job);
}

/* Addresses (A) of @section records owned by @owner (NULL: any owner
 * in @hosts) into @out. */
static size_t verify_trace_addrs(const getdns_dict *reply, const char *section,
				 char hosts[][LIMIT_DOMAIN + 1], size_t nhosts,
				 struct verify_addr *out, size_t cap)
{
	getdns_list *l = NULL;
	size_t n = 0, got = 0;

	if (getdns_dict_get_list(reply, section, &l) != GETDNS_RETURN_GOOD ||
	    getdns_list_get_length(l, &n) != GETDNS_RETURN_GOOD)
		return 0;
	for (size_t i = 0; i < n && got < cap; i++) {
		getdns_dict *rr = NULL;
		getdns_bindata *b = NULL;
		uint32_t type = 0;
		char owner[LIMIT_DOMAIN + 2];
		int ours = 0;

		if (getdns_list_get_dict(l, i, &rr) != GETDNS_RETURN_GOOD ||
		    getdns_dict_get_int(rr, "type", &type) !=
			GETDNS_RETURN_GOOD ||
		    type != GETDNS_RRTYPE_A ||
		    verify_trace_name(rr, "name", owner, sizeof(owner)) < 0 ||
		    getdns_dict_get_bindata(rr, "/rdata/ipv4_address", &b) !=
			GETDNS_RETURN_GOOD ||
		    b->size != 4)
			continue;
		for (size_t h = 0; h < nhosts; h++)
			ours |= strcmp(hosts[h], owner) == 0;
		if (!ours)
			continue;
		out[got].family = AF_INET;
		memcpy(out[got].addr, b->data, 4);
		got++;
	}
	return got;
}

/* A referral in @reply for a zone below f->zone: the cut and its NS
 * host names into f->cut / f->hosts. @return the number of hosts. */
static size_t verify_trace_referral(const getdns_dict *reply,
				    struct verify_trace_frame *f)
{
	getdns_list *l = NULL;
	size_t n = 0;

	f->nhosts = 0;
	f->nexthost = 0;
	f->cut[0] = '\0';
	if (getdns_dict_get_list(reply, "authority", &l) !=
		GETDNS_RETURN_GOOD ||
	    getdns_list_get_length(l, &n) != GETDNS_RETURN_GOOD)
		return 0;
	for (size_t i = 0; i < n && f->nhosts < LIMIT_VERIFY_NS; i++) {
		getdns_dict *rr = NULL;
		uint32_t type = 0;
		char owner[LIMIT_DOMAIN + 2], host[LIMIT_DOMAIN + 2];

		if (getdns_list_get_dict(l, i, &rr) != GETDNS_RETURN_GOOD ||
		    getdns_dict_get_int(rr, "type", &type) !=
			GETDNS_RETURN_GOOD ||
		    type != GETDNS_RRTYPE_NS ||
		    verify_trace_name(rr, "name", owner, sizeof(owner)) < 0 ||
		    verify_trace_name(rr, "/rdata/nsdname", host,
				      sizeof(host)) < 0 ||
		    strcmp(host, ".") == 0)
			continue;
		/* closer to the name than the zone we asked, and above it */
		if (!verify_trace_under(f->qname, owner) ||
		    verify_trace_labels(owner) <= verify_trace_labels(f->zone))
			continue;
		if (f->cut[0] == '\0')
			snprintf(f->cut, sizeof(f->cut), "%.*s", LIMIT_DOMAIN,
				 owner);
		else if (strcmp(f->cut, owner) != 0)
			continue;
		snprintf(f->hosts[f->nhosts++], sizeof(f->hosts[0]), "%.*s",
			 LIMIT_DOMAIN, host);
	}
	return f->nhosts;
}

/* Move frame @f down to zone @cut served by @addrs. */
static void verify_trace_descend(struct verify_job *job,
				 struct verify_trace_frame *f, const char *cut,
				 const struct verify_addr *addrs, size_t n)
{
	snprintf(f->zone, sizeof(f->zone), "%s", cut);
	memcpy(f->srv, addrs, n * sizeof(*addrs));
	f->nsrv = n;
	f->next = 0;
	if (++job->trace->steps > LIMIT_VERIFY_TRACE_STEPS) {
		verify_trace_fail(job, "too many referrals");
		return;
	}
	verify_trace_send(job);
}

/* The trace reached the servers of f->zone for the domain: ask them. */
static void verify_trace_done(struct verify_job *job,
			      const struct verify_trace_frame *f,
			      const char *what)
{
	struct verify_result *res = job->res;

	res->trace_ms = (uint32_t)(monotime_ms() - job->trace->started_ms);
	snprintf(res->ns_path, sizeof(res->ns_path),
		 "trace from root hints: authoritative answer from the %.60s "
		 "servers%s (%u referrals)",
		 f->zone, what, job->trace->steps);
	for (size_t i = 0; i < f->nsrv; i++)
		verify_ns_ask(job, &f->srv[i]);
}

/* An NS host's address came back (top frame, AA): the parent descends. */
static void verify_trace_host_found(struct verify_job *job,
				    const getdns_dict *reply)
{
	struct verify_trace *t = job->trace;
	struct verify_trace_frame *f = &t->f[t->depth], *p;
	struct verify_addr addrs[LIMIT_VERIFY_NS];
	char host[1][LIMIT_DOMAIN + 1];
	size_t n;

	snprintf(host[0], sizeof(host[0]), "%s", f->qname);
	n = verify_trace_addrs(reply, "answer", host, 1, addrs,
			       LIMIT_VERIFY_NS);
	t->depth--;
	p = &t->f[t->depth];
	if (n == 0) {
		if (++p->nexthost < p->nhosts &&
		    verify_trace_push(job, p->hosts[p->nexthost]) == 0) {
			verify_trace_send(job);
			return;
		}
		p->next++;
		verify_trace_send(job);
		return;
	}
	verify_trace_descend(job, p, p->cut, addrs, n);
}

void verify_trace_on_reply(struct verify_query *q, const getdns_dict *response,
			   getdns_callback_type_t cbtype)
{
	struct verify_job *job = q->job;
	struct verify_trace *t = job->trace;
	struct verify_trace_frame *f;
	struct verify_reply rep;
	getdns_dict *reply = NULL;
	struct verify_addr glue[LIMIT_VERIFY_NS];
	size_t n;

	if (t == NULL)
		return;
	f = &t->f[t->depth];
	verify_answer_parse(response, cbtype, f->qname, f->qtype, &rep);
	if (response == NULL ||
	    getdns_dict_get_dict(response, "/replies_tree/0", &reply) !=
		GETDNS_RETURN_GOOD ||
	    (rep.kind != VERIFY_KIND_IMPLICIT &&
	     rep.kind != VERIFY_KIND_NODATA &&
	     rep.kind != VERIFY_KIND_NXDOMAIN)) {
		f->next++; /* no use: the next server of this zone */
		verify_trace_send(job);
		return;
	}
	if (rep.aa) {
		if (t->depth > 0) {
			verify_trace_host_found(job, reply);
			return;
		}
		verify_trace_done(
		    job, f,
		    rep.kind == VERIFY_KIND_NXDOMAIN ? " say NXDOMAIN" : "");
		return;
	}
	if (rep.kind != VERIFY_KIND_NODATA ||
	    verify_trace_referral(reply, f) == 0) {
		f->next++; /* lame or sideways: the next server */
		verify_trace_send(job);
		return;
	}
	n = verify_trace_addrs(reply, "additional", f->hosts, f->nhosts, glue,
			       LIMIT_VERIFY_NS);
	if (n > 0) {
		char cut[LIMIT_DOMAIN + 1];

		snprintf(cut, sizeof(cut), "%s", f->cut);
		verify_trace_descend(job, f, cut, glue, n);
		return;
	}
	if (verify_trace_push(job, f->hosts[0]) < 0) {
		f->next++;
		verify_trace_send(job);
		return;
	}
	verify_trace_send(job);
}
