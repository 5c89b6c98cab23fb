/*
 * NAME
 *	test_pass_sentinel 1
 * SUMMARY
 *	the sentinel over a real store, scripted verdicts, a real hook
 * DESCRIPTION
 *	pass_sentinel_names(): watched groups only, patterns left out,
 *	watch_names in, each name once. pass_sentinel_run(): local-path at
 *	one node flushes that node only, re-checks and records a "fixed"
 *	event with the node's answer and negative TTL; a failure that
 *	flushing does not fix (dns-outage) begins once, escalates once when
 *	the group's escalate tier is reached (measured from the sentinel's
 *	first sighting), and ends when healthy; a disabled sentinel verifies
 *	nothing; no run ever calls the MTA.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pass/pass.h"
#include "fake_mta.h"
#include "pass_fx.h"

#define T0 1700000000LL

/* Scripted DNS: a verdict per call, the last one repeating. */
struct script {
	struct fake_dns dns; /* first: the fixture's verify_arg */
	enum verify_verdict seq[8];
	size_t nseq;
	unsigned names; /* domains verified, all calls */
};

static int script_verify(void *arg, const char *const *domains, size_t n,
			 int64_t now, struct verify_result *out, char *err,
			 size_t errlen)
{
	struct script *s = arg;
	enum verify_verdict v =
	    s->seq[s->dns.calls < s->nseq ? s->dns.calls : s->nseq - 1];

	s->dns.calls++;
	for (size_t i = 0; i < n; i++) {
		struct verify_result *r = &out[i];

		memset(r, 0, sizeof(*r));
		snprintf(r->domain, sizeof(r->domain), "%s", domains[i]);
		r->checked_at = now;
		r->verdict = strcmp(domains[i], "hotmail.test") == 0
				 ? v
				 : VERDICT_HEALTHY;
		snprintf(r->detail, sizeof(r->detail), "scripted");
		r->queries = 3;
		for (int node = 0; node < 2; node++) {
			struct verify_answer *a = &r->answers[r->nanswers++];
			int bad = node == 0 && r->verdict != VERDICT_HEALTHY;

			a->role = VERIFY_ROLE_MTA;
			snprintf(a->server, sizeof(a->server), "127.0.9.%d:53",
				 54 + node);
			a->transport = VERIFY_UDP;
			a->kind = bad ? VERIFY_KIND_NODATA : VERIFY_KIND_MX;
			a->neg_ttl = bad ? 240 : -1;
			a->nmx = bad ? 0 : 1;
		}
		s->names++;
	}
	return 0;
}

#define SENTINEL_INI                                                           \
	"[retryd]\nmta = postfix\nstate_dir = %s/state\nplugin_dir = %s\n"     \
	"host_id = test-host\n"                                                \
	"[resolvers]\nmta = 127.0.9.54, 127.0.9.55\nindependent = "            \
	"127.0.9.56\n"                                                         \
	"verify_window = 60s\n"                                                \
	"[backoff]\ntier = 0s every 5m\ntier = 4h every 1h escalate\n"         \
	"give_up = 5d\njitter = 0%%\n"                                         \
	"[sentinel]\nenabled = %s\ninterval = 60s\n"                           \
	"[group microsoft]\ndomains = hotmail.test, live.test, hotmail.*\n"    \
	"watch = yes\nwatch_names = hotmail.co.test, live.test\n"              \
	"[group other]\ndomains = other.test\n"                                \
	"[hooks]\nflush_resolver = %s/hook.sh flush %%r %%d\n"                 \
	"escalate = %s/hook.sh escalate %%d\n"

static struct script script;

static struct fx *sentinel_fx(const char *enabled)
{
	struct fx *fx = fx_new("test_pass_sentinel");
	char path[512], ini[4096];

	snprintf(path, sizeof(path), "%s/hook.sh", fx->dir);
	snprintf(ini, sizeof(ini), "#!/bin/sh\necho \"$*\" >> %s/hook.out\n",
		 fx->dir);
	fx_write_file(path, ini, 0755);
	snprintf(ini, sizeof(ini), SENTINEL_INI, fx->dir, fx->dir, enabled,
		 fx->dir, fx->dir);
	memset(&script, 0, sizeof(script));
	fx_start(fx, ini, script_verify);
	fx->ctx.verify_arg = &script;
	return fx;
}

static int setup_on(void **state)
{
	*state = sentinel_fx("yes");
	return 0;
}

static int setup_off(void **state)
{
	*state = sentinel_fx("no");
	return 0;
}

/* Lines of hook.out matching @param needle, once every hook ended. */
static int hook_lines(struct fx *fx, const char *needle)
{
	char path[512], line[512];
	FILE *fp;
	int n = 0;

	pass_hooks_wait(&fx->ctx, 10000); /* hooks run beside the pass */
	snprintf(path, sizeof(path), "%s/hook.out", fx->dir);
	if ((fp = fopen(path, "r")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), fp))
		n += strstr(line, needle) != NULL;
	fclose(fp);
	return n;
}

struct ev_seen {
	char text[8][1024];
	size_t n;
};

static int ev_collect(const struct store_event *ev, void *arg)
{
	struct ev_seen *s = arg;

	if (s->n < 8)
		snprintf(s->text[s->n++], sizeof(s->text[0]), "%s %s %s",
			 ev->domain, ev->node, ev->json);
	return 0;
}

static struct ev_seen events(struct fx *fx)
{
	struct ev_seen s;
	char err[256];

	memset(&s, 0, sizeof(s));
	assert_int_equal(store_walk_events(fx->store, NULL, 0, ev_collect, &s,
					   err, sizeof(err)),
			 STORE_OK);
	return s;
}

static void test_names(void **state)
{
	struct fx *fx = *state;
	const char *names[8];
	size_t n = pass_sentinel_names(fx->policy, names, 8);

	assert_int_equal(n, 3);
	assert_string_equal(names[0], "hotmail.test");
	assert_string_equal(names[1], "live.test");
	assert_string_equal(names[2], "hotmail.co.test");
	assert_int_equal(pass_sentinel_names(fx->policy, names, 2), 2);
}

static void test_local_path_flushes_the_node(void **state)
{
	struct fx *fx = *state;
	struct ev_seen ev;
	char *w = NULL, err[256];

	script.seq[0] = VERDICT_LOCAL_PATH;
	script.seq[1] = VERDICT_HEALTHY;
	script.nseq = 2;
	assert_int_equal(pass_sentinel_run(&fx->ctx, T0), 0);
	assert_int_equal(script.names, 3 + 1); /* 3 watched, 1 re-check */
	assert_int_equal(hook_lines(fx, "flush 127.0.9.54:53 hotmail.test"), 1);
	assert_int_equal(hook_lines(fx, "127.0.9.55"), 0);
	assert_int_equal(hook_lines(fx, "live.test"), 0);
	ev = events(fx);
	assert_int_equal(ev.n, 1);
	assert_non_null(strstr(ev.text[0], "hotmail.test 127.0.9.54:53"));
	assert_non_null(strstr(ev.text[0], "\"kind\":\"flush\""));
	assert_non_null(strstr(ev.text[0], "\"answer\":\"nodata\""));
	assert_non_null(strstr(ev.text[0], "\"neg_ttl_left\":240"));
	assert_non_null(strstr(ev.text[0], "\"fixed\":true"));
	assert_int_equal(store_get_watch(fx->store, NULL, "hotmail.test", &w,
					 err, sizeof(err)),
			 STORE_OK);
	assert_non_null(strstr(w, "\"verdict\":\"healthy\""));
	assert_non_null(strstr(w, "\"since\":0"));
	free(w);
	assert_int_equal(
	    store_get_watch(fx->store, NULL, "", &w, err, sizeof(err)),
	    STORE_OK);
	assert_non_null(strstr(w, "\"domains\":3"));
	free(w);
	assert_int_equal(fx->mta.ncalls, 0); /* never touches mail */
	assert_int_equal(fx->ctx.sentinel.flushes, 1);

	/* Within the window the verification is shared: no new query. */
	assert_int_equal(pass_sentinel_run(&fx->ctx, T0 + 10), 0);
	assert_int_equal(script.names, 4);
}

static void test_outage_escalates_once_from_first_sighting(void **state)
{
	struct fx *fx = *state;
	struct ev_seen ev;

	script.seq[0] = VERDICT_DNS_OUTAGE;
	script.nseq = 1;
	assert_int_equal(pass_sentinel_run(&fx->ctx, T0), 0);
	assert_int_equal(hook_lines(fx, "escalate"), 0);
	assert_int_equal(hook_lines(fx, "flush"), 0); /* no flush hook */
	assert_int_equal(pass_sentinel_run(&fx->ctx, T0 + 3600), 0);
	assert_int_equal(hook_lines(fx, "escalate"), 0);
	assert_int_equal(pass_sentinel_run(&fx->ctx, T0 + 4 * 3600 + 60), 0);
	assert_int_equal(hook_lines(fx, "escalate hotmail.test"), 1);
	assert_int_equal(pass_sentinel_run(&fx->ctx, T0 + 5 * 3600), 0);
	assert_int_equal(hook_lines(fx, "escalate hotmail.test"), 1);
	ev = events(fx);
	assert_int_equal(ev.n, 1); /* began once, not every run */
	assert_non_null(strstr(ev.text[0], "\"kind\":\"began\""));
	assert_non_null(strstr(ev.text[0], "\"verdict\":\"dns-outage\""));

	script.seq[0] = VERDICT_HEALTHY;
	assert_int_equal(pass_sentinel_run(&fx->ctx, T0 + 6 * 3600), 0);
	ev = events(fx);
	assert_int_equal(ev.n, 2);
	assert_non_null(strstr(ev.text[1], "\"kind\":\"ended\""));
	assert_int_equal(fx->mta.ncalls, 0);
}

static void test_disabled_verifies_nothing(void **state)
{
	struct fx *fx = *state;

	script.seq[0] = VERDICT_LOCAL_PATH;
	script.nseq = 1;
	assert_int_equal(pass_sentinel_run(&fx->ctx, T0), 0);
	assert_int_equal(script.dns.calls, 0);
	assert_int_equal(hook_lines(fx, "flush"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_names, setup_on, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_local_path_flushes_the_node,
					    setup_on, fx_teardown),
	    cmocka_unit_test_setup_teardown(
		test_outage_escalates_once_from_first_sighting, setup_on,
		fx_teardown),
	    cmocka_unit_test_setup_teardown(test_disabled_verifies_nothing,
					    setup_off, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
