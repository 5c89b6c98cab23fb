/*
 * NAME
 *	pass_domhold_glue 3
 * SUMMARY
 *	the pass's use of the held-domains file (Exim holding by domain)
 * DESCRIPTION
 *	pass_domhold_on() says whether mail is held by domain: mta = exim,
 *	[exim] held_domains_file set, mode = act (observe touches nothing).
 *	It opens the set (pass_domhold_open: the file's domains) at first
 *	use and again when a reload names another file; a file that cannot
 *	be opened or read is logged and mail is held by freezing meanwhile:
 *	one attempt per pass (stats.domhold_unopened, reset with the pass's
 *	stats), not one per message the listing and adoption ask about.
 *
 *	pass_domhold_hold() is what adoption and re-hold do instead of
 *	plugin->hold (exim -Mf): the messages' domains are added to the file
 *	before their records say HELD. When that fails (the file cannot be
 *	written, more than LIMIT_HELD_DOMAINS) the caller freezes them.
 *
 *	pass_domhold_eligible(): a message the MTA listed deferred, not
 *	frozen, with a recipient in a held domain (Exim logged it "domain is
 *	held" and never tried it: new mail for a domain retryd holds) is
 *	retryd's to adopt, for that domain, whatever its delay reason.
 *
 *	pass_domhold_rebuild() sets the file to the domains of the HELD
 *	records (pass_watch.c's walk of them): domains whose mail all left
 *	are dropped there and only there.
 * DIAGNOSTICS
 *	Errors are logged (rate-limited) and never fatal: the fallback is
 *	freezing, and a rebuild that fails keeps the old (larger) set.
 */
#include <string.h>

#include "pass/pass_int.h"
#include "util/log.h"

#define DOMHOLD_LOG_INTERVAL 300

int pass_domhold_on(struct pass_ctx *ctx)
{
	const struct policy *p = ctx->policy;
	const char *path = p->exim_held_domains_file;
	char err[512];

	if (path == NULL || p->observe || strcmp(p->mta, "exim") != 0)
		return 0;
	if (ctx->domhold.path[0] != '\0' &&
	    strcmp(ctx->domhold.path, path) == 0)
		return 1;
	if (ctx->stats.domhold_unopened)
		return 0; /* this pass tried already */
	pass_domhold_free(&ctx->domhold);
	if (pass_domhold_open(&ctx->domhold, path, err, sizeof(err)) < 0) {
		ctx->stats.domhold_unopened = 1;
		log_warn_limited("domhold-open", DOMHOLD_LOG_INTERVAL,
				 "held_domains_file: %.400s: holding by "
				 "freezing meanwhile",
				 err);
		return 0;
	}
	log_info("held_domains_file %.300s: %zu domains held by domain", path,
		 ctx->domhold.n);
	return 1;
}

int pass_domhold_hold(struct pass_ctx *ctx, const char *const *domains,
		      size_t n)
{
	char err[512];

	if (!pass_domhold_on(ctx))
		return -1;
	if (pass_domhold_add(&ctx->domhold, domains, n, err, sizeof(err)) < 0) {
		log_warn_limited("domhold-add", DOMHOLD_LOG_INTERVAL,
				 "held_domains_file: %.400s: holding by "
				 "freezing instead",
				 err);
		return -1;
	}
	return 0;
}

int pass_domhold_eligible(struct pass_ctx *ctx, const struct mta_message *m,
			  char *domain, size_t domainlen)
{
	/* on first: after a restart the first listing must already see
	 * what the file holds (else every held message is "found
	 * released" and held again) */
	if (!m->deferred || m->held || m->nrcpts == 0 ||
	    m->nrcpts > LIMIT_RCPTS_PER_MESSAGE || !pass_domhold_on(ctx) ||
	    ctx->domhold.n == 0)
		return 0;
	for (size_t i = 0; i < m->nrcpts; i++) {
		char dom[LIMIT_DOMAIN + 1];

		if (pass_address_domain(m->rcpts[i].address, dom,
					sizeof(dom)) == 0 &&
		    pass_domhold_has(&ctx->domhold, dom)) {
			snprintf(domain, domainlen, "%s", dom);
			return 1;
		}
	}
	return 0;
}

void pass_domhold_rebuild(struct pass_ctx *ctx, const struct pass_domhold *set)
{
	char err[512];
	size_t before = ctx->domhold.n;

	if (!pass_domhold_on(ctx))
		return;
	if (pass_domhold_replace(&ctx->domhold, (const char *const *)set->names,
				 set->n, err, sizeof(err)) < 0) {
		log_warn_limited("domhold-rebuild", DOMHOLD_LOG_INTERVAL,
				 "held_domains_file: %.400s (the old set is "
				 "kept)",
				 err);
		return;
	}
	if (ctx->domhold.n != before)
		log_info("held_domains_file: %zu domains held (was %zu)",
			 ctx->domhold.n, before);
}

int pass_domhold_hold_ids(struct pass_ctx *ctx, const char *const *ids,
			  const char *const *domains, size_t n, size_t *done,
			  char *err, size_t errlen)
{
	if (pass_domhold_hold(ctx, domains, n) == 0) { /* it asks _on */
		*done = n; /* Exim reads the file at its next look */
		return 0;
	}
	return ctx->plugin->hold(ctx->plugin_state, ids, n, done, err, errlen);
}
