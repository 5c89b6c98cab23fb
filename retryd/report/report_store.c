/*
 * NAME
 *	report_store 3
 * SUMMARY
 *	gather a report's records from the store; write the hook's file
 * SYNOPSIS
 *	#include "report/report.h"
 * DESCRIPTION
 *	report_collect() decides which domains a scope covers (one domain;
 *	the domains a policy group claims, by name or by last MX, plus the
 *	domains of messages filed under the group; or every domain that is
 *	failing or was verified in the window), then walks the store:
 *	domain records, every message (affected: still in retryd's hands,
 *	or attempted or adopted in the window), the verifications of each
 *	domain since the window start and the evidence of the affected
 *	recipients (at most LIMIT_REPORT_ADDRESSES of them).
 *
 *	report_write_file() renders the text report for the escalate hook
 *	and writes it with atomic_file_write() (util/atomic_file.c), cut at
 *	LIMIT_REPORT_BYTES on a line boundary when it is longer.
 *
 *	Owns: the report and the sets it builds, freed before returning.
 * DIAGNOSTICS
 *	"report: ..." with the store's or the system's reason.
 */
#include "report/report.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "util/atomic_file.h"

struct rs_walk {
	struct report *r;
	const struct policy *p;
	enum report_scope_kind kind;
	const char *name;
	const struct policy_group *group;
	int64_t since;
	json_t *domains;   /* set: domain -> true */
	json_t *addresses; /* set: address -> true */
};

/* Does domain @param d (with its last MX) belong to the scope? */
static int rs_domain_in(const struct rs_walk *w, const struct store_domain *d)
{
	switch (w->kind) {
	case REPORT_SCOPE_DOMAIN:
		return strcasecmp(d->domain, w->name) == 0;
	case REPORT_SCOPE_GROUP:
		return w->group != NULL &&
		       policy_group_for(w->p, d->domain,
					d->last_mx[0] ? d->last_mx : NULL) ==
			   w->group;
	case REPORT_SCOPE_ALL:
		break;
	}
	return d->first_failing > 0 || d->last_verified >= w->since;
}

static int rs_domain_one(const struct store_domain *d, void *arg)
{
	struct rs_walk *w = arg;

	if (!rs_domain_in(w, d))
		return 0;
	if (json_object_set_new(w->domains, d->domain, json_true()) < 0 ||
	    report_add_domain(w->r, d) < 0)
		return -1;
	return 0;
}

static int rs_message_one(const struct store_message *m, void *arg)
{
	struct rs_walk *w = arg;
	int in;

	switch (w->kind) {
	case REPORT_SCOPE_DOMAIN:
		in = strcasecmp(m->domain, w->name) == 0;
		break;
	case REPORT_SCOPE_GROUP:
		in = strcmp(m->group, w->name) == 0 ||
		     json_object_get(w->domains, m->domain) != NULL;
		break;
	default:
		in = 1;
	}
	if (!in || (m->state == STORE_MSG_DONE && m->last_attempt < w->since &&
		    m->adopted_at < w->since))
		return 0;
	if (json_object_size(w->domains) < LIMIT_REPORT_DOMAINS &&
	    json_object_set_new(w->domains, m->domain, json_true()) < 0)
		return -1;
	for (size_t i = 0; i < m->nrcpts; i++)
		if (json_object_size(w->addresses) < LIMIT_REPORT_ADDRESSES &&
		    json_object_set_new(w->addresses, m->rcpts[i].address,
					json_true()) < 0)
			return -1;
	return report_add_message(w->r, m);
}

static int rs_verification_one(const struct store_verification *v, void *arg)
{
	return report_add_verification(arg, v);
}

static int rs_evidence_one(const struct store_evidence *ev, void *arg)
{
	return report_add_evidence(arg, ev);
}

json_t *report_collect(struct store *st, const struct policy *p,
		       enum report_scope_kind kind, const char *name,
		       int64_t since, int64_t now,
		       const struct report_options *opt, char *err,
		       size_t errlen)
{
	struct rs_walk w = {.p = p, .kind = kind, .name = name, .since = since};
	struct store_domain sd;
	json_t *doc = NULL, *v;
	const char *key;
	char serr[512];
	int rc;

	if (kind == REPORT_SCOPE_GROUP &&
	    (w.group = policy_group_named(p, name)) == NULL) {
		snprintf(err, errlen, "report: no group '%.60s' in the policy",
			 name);
		return NULL;
	}
	w.r = report_new(kind, name, p ? p->host_id : "", since, now, opt);
	w.domains = json_object();
	w.addresses = json_object();
	if (w.r == NULL || w.domains == NULL || w.addresses == NULL) {
		snprintf(err, errlen, "report: out of memory");
		goto out;
	}
	if (kind == REPORT_SCOPE_DOMAIN) {
		rc = store_get_domain(st, NULL, name, &sd, serr, sizeof(serr));
		if (rc == STORE_OK)
			rc =
			    rs_domain_one(&sd, &w) < 0 ? STORE_ERROR : STORE_OK;
		else if (rc == STORE_NOTFOUND)
			rc = json_object_set_new(w.domains, name, json_true()) <
				     0
				 ? STORE_ERROR
				 : STORE_OK;
	} else {
		rc = store_walk_domains(st, rs_domain_one, &w, serr,
					sizeof(serr));
	}
	if (rc == STORE_OK)
		rc = store_walk_messages(st, rs_message_one, &w, serr,
					 sizeof(serr));
	json_object_foreach(w.domains, key, v)
	{
		if (rc != STORE_OK)
			break;
		rc = store_walk_verifications(st, key, since,
					      rs_verification_one, w.r, serr,
					      sizeof(serr));
	}
	json_object_foreach(w.addresses, key, v)
	{
		if (rc != STORE_OK)
			break;
		rc = store_walk_evidence(st, key, rs_evidence_one, w.r, serr,
					 sizeof(serr));
	}
	if (rc != STORE_OK) {
		snprintf(err, errlen, "report: %s",
			 rc == STORE_ERROR || rc == STORE_RETRY
			     ? serr
			     : "out of memory");
		goto out;
	}
	if ((doc = report_json(w.r)) == NULL)
		snprintf(err, errlen, "report: out of memory");
	else if (report_sentinel_collect(doc, st, p, kind, name, since, err,
					 errlen) < 0) {
		json_decref(doc);
		doc = NULL;
	}
out:
	json_decref(w.domains);
	json_decref(w.addresses);
	report_free(w.r);
	return doc;
}

int report_write_file(struct store *st, const struct policy *p,
		      const char *domain_or_group, int64_t since, int64_t now,
		      const char *dir, char *path_out, size_t pathlen,
		      char *err, size_t errlen)
{
	static const char cut[] = "[cut at the size limit: run `retryctl "
				  "report` for the whole report]\n";
	struct report_options opt = {.max_verifications = 10, .max_sample = 20};
	enum report_scope_kind kind = REPORT_SCOPE_DOMAIN;
	char safe[64], path[4200];
	char *text = NULL;
	size_t len = 0, i;
	FILE *mem;
	json_t *doc;
	int rc;

	if (p != NULL && policy_group_named(p, domain_or_group) != NULL)
		kind = REPORT_SCOPE_GROUP;
	doc = report_collect(st, p, kind, domain_or_group, since, now, &opt,
			     err, errlen);
	if (doc == NULL)
		return -1;
	if ((mem = open_memstream(&text, &len)) == NULL) {
		json_decref(doc);
		snprintf(err, errlen, "report: out of memory");
		return -1;
	}
	rc = report_print_text(doc, mem);
	json_decref(doc);
	if (fclose(mem) != 0 || rc < 0) {
		free(text);
		snprintf(err, errlen, "report: out of memory");
		return -1;
	}
	if (len > LIMIT_REPORT_BYTES) {
		len = LIMIT_REPORT_BYTES - sizeof(cut);
		while (len > 0 && text[len - 1] != '\n')
			len--;
		memcpy(text + len, cut, sizeof(cut) - 1);
		len += sizeof(cut) - 1;
	}
	for (i = 0; domain_or_group[i] && i + 1 < sizeof(safe); i++) {
		char c = domain_or_group[i];

		safe[i] = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
				  c == '.' || c == '-'
			      ? c
			      : '_';
	}
	safe[i] = '\0';
	if ((size_t)snprintf(path, sizeof(path), "%s/report-%s-%lld.txt", dir,
			     safe, (long long)now) >= sizeof(path) ||
	    strlen(path) >= pathlen) {
		free(text);
		snprintf(err, errlen, "report: %.100s: path too long", dir);
		return -1;
	}
	if (atomic_file_write(path, text, len, 0640, err, errlen) < 0) {
		free(text);
		return -1;
	}
	free(text);
	memcpy(path_out, path, strlen(path) + 1);
	return 0;
}
