/*
 * NAME
 *	pass_ctx 3
 * SUMMARY
 *	set up, switch and free the context of the daemon's passes
 * DESCRIPTION
 *	pass_ctx_init() fills struct pass_ctx for a policy; on reload
 *	pass_ctx_set_policy() builds the new classifier and verifier first
 *	and swaps them in only when both exist, so a bad policy changes
 *	nothing. pass_ctx_free() frees what these allocated, never the store
 *	or the plugin (the daemon owns those).
 * DIAGNOSTICS
 *	Failures fill err and return -1; the one line logged here is the
 *	note, once per process, that the classifier runs without PCRE2 JIT.
 */
#include <string.h>

#include "pass/pass_int.h"
#include "util/log.h"

int pass_ctx_init(struct pass_ctx *ctx, const struct policy *p, uint64_t seed,
		  char *err, size_t errlen)
{
	ctx->policy = NULL;
	ctx->classifier = NULL;
	ctx->verifier = NULL;
	ctx->rng = seed ? seed : 0x2545f4914f6cdd1dull;
	memset(&ctx->missing_prev, 0, sizeof(ctx->missing_prev));
	memset(&ctx->foreign_prev, 0, sizeof(ctx->foreign_prev));
	memset(&ctx->stats, 0, sizeof(ctx->stats));
	ctx->jit_noted = 0;
	ctx->prune_cursor[0] = '\0';
	ctx->want_full = 1; /* a full listing at start */
	ctx->want_reconcile = 0;
	ctx->since_full = 0;
	ctx->last_full = 0;
	ctx->full_cost_ms = 0;
	ctx->last_outcome = 0;
	memset(&ctx->watch, 0, sizeof(ctx->watch));
	memset(&ctx->domhold, 0, sizeof(ctx->domhold));
	memset(&ctx->pos, 0, sizeof(ctx->pos));
	snprintf(ctx->state_dir, sizeof(ctx->state_dir), "%s",
		 p->state_dir ? p->state_dir : ".");
	ctx->hooks = NULL;
	if (pass_hooks_init(ctx, err, errlen) < 0)
		return -1;
	if (pass_ctx_set_policy(ctx, p, err, errlen) < 0) {
		pass_hooks_stop(ctx);
		return -1;
	}
	return 0;
}

/* Once per process: say when the classifier runs without PCRE2's JIT (no
 * executable memory under MemoryDenyWriteExecute=yes): same decisions,
 * slower; nothing to fix unless millions of texts a minute are classified. */
static void pass_ctx_note_jit(struct pass_ctx *ctx, const struct classifier *c)
{
	size_t total, jit = classify_rules_jit(c, &total);

	if (ctx->jit_noted || jit == total)
		return;
	ctx->jit_noted = 1;
	log_info("classifier: %zu of %zu rules run without PCRE2 JIT (no "
		 "executable memory here, e.g. systemd "
		 "MemoryDenyWriteExecute=yes, or a PCRE2 built without it): "
		 "same decisions, about 4x slower per text",
		 total - jit, total);
}

int pass_ctx_set_policy(struct pass_ctx *ctx, const struct policy *p, char *err,
			size_t errlen)
{
	struct classifier *c = NULL;
	struct verifier *v = NULL;

	if (classify_new(p, &c, err, errlen) < 0)
		return -1;
	if (ctx->verify == NULL && verifier_new(p, &v, err, errlen) < 0) {
		classify_free(c);
		return -1;
	}
	pass_ctx_note_jit(ctx, c);
	classify_free(ctx->classifier);
	verifier_free(ctx->verifier);
	ctx->classifier = c;
	ctx->verifier = v;
	ctx->policy = p;
	ctx->pos_synced = 0; /* a reload reopens the plugin: seek again */
	/* and a full listing next: with discovery from the log a reload
	 * from observe to act would not see that what observe only pretended
	 * to hold is not held in the MTA (reconcile holds it again) */
	ctx->want_full = 1;
	return 0;
}

void pass_ctx_free(struct pass_ctx *ctx)
{
	classify_free(ctx->classifier);
	verifier_free(ctx->verifier);
	ctx->classifier = NULL;
	ctx->verifier = NULL;
	pass_idset_free(&ctx->missing_prev);
	pass_idset_free(&ctx->foreign_prev);
	pass_hooks_stop(ctx);
	pass_watch_free(&ctx->watch);
	pass_domhold_free(&ctx->domhold);
	pass_backlog_drop(ctx);
}
