/*
 * test_report - the proof bundle, from a real Berkeley DB store.
 *
 * A local-path incident is written into a fresh store in a temp dir
 * through store.h, with verifications serialized by the verifier's own
 * verify_result_json(): the MTA's resolver node 127.0.9.54 answers
 * NODATA three times while its pool mate, the independent resolver and
 * the authoritative server give the MX. report_collect() must give
 * exactly the window, domains, verdicts over time, answers, node and
 * host counts, affected messages and the 1h-4h "check-local-path"
 * action naming the failing node; records outside the window or the
 * scope must stay out. Also: unreadable verification JSON (duplicate
 * keys, wrong types) is counted, the duration classes and actions,
 * HTML escaping, and report_write_file() (path, content, size cut, no
 * temp file left).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "report/report.h"
#include "dns/verify.h"
#include "tmpdir_fx.h"

#define NOW	 1714600000LL /* 2024-05-01T21:46:40Z */
#define NODE_BAD "127.0.9.54:53"

struct fixture {
	char dir[64];
	char state[80];
	struct store *st;
	struct policy *p;
};

static void add_answer(struct verify_result *r, enum verify_role role,
		       const char *server, enum verify_kind kind,
		       const char *mx, uint32_t ttl, int64_t neg)
{
	struct verify_answer *a = &r->answers[r->nanswers++];

	a->role = role;
	snprintf(a->server, sizeof(a->server), "%s", server);
	a->transport = VERIFY_UDP;
	a->rcode = 0;
	a->kind = kind;
	a->ttl = ttl;
	a->neg_ttl = neg;
	if (mx != NULL) {
		a->nmx = 1;
		a->mx[0].preference = 10;
		snprintf(a->mx[0].host, sizeof(a->mx[0].host), "%s", mx);
		a->mx[0].naddrs = 1;
	}
}

/* A verification as the daemon stores it (verify_result_json). */
static void put_verification(struct store *st, const char *domain, int64_t t,
			     enum verify_verdict verdict, const char *detail,
			     int bad_node)
{
	struct verify_result *r = calloc(1, sizeof(*r));
	struct store_verification v = {.time = t};
	char err[256];

	snprintf(r->domain, sizeof(r->domain), "%s", domain);
	r->checked_at = t;
	r->verdict = verdict;
	snprintf(r->detail, sizeof(r->detail), "%s", detail);
	if (bad_node)
		add_answer(r, VERIFY_ROLE_MTA, NODE_BAD, VERIFY_KIND_NODATA,
			   NULL, 0, 300);
	else
		add_answer(r, VERIFY_ROLE_MTA, NODE_BAD, VERIFY_KIND_MX,
			   "mx1.hotmail.test", 300, -1);
	add_answer(r, VERIFY_ROLE_MTA, "127.0.9.64:53", VERIFY_KIND_MX,
		   "mx1.hotmail.test", 300, -1);
	add_answer(r, VERIFY_ROLE_INDEPENDENT, "127.0.9.55:53", VERIFY_KIND_MX,
		   "mx1.hotmail.test", 300, -1);
	add_answer(r, VERIFY_ROLE_AUTHORITATIVE, "127.0.9.53:53",
		   VERIFY_KIND_MX, "mx1.hotmail.test", 3600, -1);
	snprintf(v.domain, sizeof(v.domain), "%s", domain);
	snprintf(v.verdict, sizeof(v.verdict), "%s",
		 verify_verdict_name(verdict));
	v.answers = verify_result_json(r);
	assert_non_null(v.answers);
	assert_int_equal(store_add_verification(st, NULL, &v, err, sizeof(err)),
			 STORE_OK);
	free(v.answers);
	free(r);
}

static void put_message(struct store *st, const char *qid, const char *domain,
			const char *group, enum store_msg_state state,
			int64_t adopted, int64_t last_attempt,
			const char *const *rcpts)
{
	size_t n = 0;
	struct store_message *m;
	char err[256];

	while (rcpts[n])
		n++;
	m = store_message_new(n);
	strcpy(m->mta, "postfix");
	snprintf(m->queue_id, sizeof(m->queue_id), "%s", qid);
	strcpy(m->sender, "news@sender.test");
	snprintf(m->domain, sizeof(m->domain), "%s", domain);
	snprintf(m->group, sizeof(m->group), "%s", group);
	m->state = state;
	m->arrival = adopted - 60;
	m->first_failure = NOW - 7200;
	m->adopted_at = adopted;
	m->next_attempt = state == STORE_MSG_DONE ? 0 : NOW + 300;
	m->last_attempt = last_attempt;
	m->attempts = 2;
	for (size_t i = 0; i < n; i++) {
		snprintf(m->rcpts[i].address, sizeof(m->rcpts[i].address), "%s",
			 rcpts[i]);
		m->rcpts[i].state = STORE_RCPT_PENDING;
	}
	assert_int_equal(store_put_message(st, NULL, m, err, sizeof(err)),
			 STORE_OK);
	store_message_free(m);
}

static void put_evidence(struct store *st, const char *addr, int64_t t,
			 const char *host, enum store_outcome o)
{
	struct store_evidence ev;
	char err[256];

	memset(&ev, 0, sizeof(ev));
	snprintf(ev.address, sizeof(ev.address), "%s", addr);
	ev.time = t;
	strcpy(ev.queue_id, "Q1");
	snprintf(ev.host_id, sizeof(ev.host_id), "%s", host);
	strcpy(ev.verdict, "local-path");
	ev.outcome = o;
	strcpy(ev.dsn, "4.4.4");
	assert_int_equal(store_add_evidence(st, NULL, &ev, err, sizeof(err)),
			 STORE_OK);
}

static int setup(void **state)
{
	static char *domains[] = {"hotmail.test", "live.test"};
	static const char *const q1[] = {"alice@hotmail.test",
					 "bob@hotmail.test", NULL};
	static const char *const q2[] = {"carol@hotmail.test", NULL};
	static const char *const q3[] = {"dave@example.org", NULL};
	static const char *const q4[] = {"erin@hotmail.test", NULL};
	struct fixture *fx = calloc(1, sizeof(*fx));
	struct store_domain d;
	char err[512];

	strcpy(fx->dir, "/tmp/test_report.XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(fx->state, sizeof(fx->state), "%s/state", fx->dir);
	assert_int_equal(store_open(fx->state, STORE_OPEN_DAEMON, 0, &fx->st,
				    err, sizeof(err)),
			 STORE_OK);
	fx->p = calloc(1, sizeof(*fx->p));
	strcpy(fx->p->host_id, "mx-out-1");
	fx->p->ngroups = 1;
	strcpy(fx->p->groups[0].name, "microsoft");
	fx->p->groups[0].domains.items = domains;
	fx->p->groups[0].domains.n = 2;

	memset(&d, 0, sizeof(d));
	strcpy(d.domain, "hotmail.test");
	d.last_verified = NOW - 60;
	strcpy(d.verdict, "local-path");
	d.first_failing = NOW - 7200;
	d.last_healthy = NOW - 10800;
	strcpy(d.last_mx, "mx1.hotmail.test");
	assert_int_equal(store_put_domain(fx->st, NULL, &d, err, sizeof(err)),
			 STORE_OK);
	memset(&d, 0, sizeof(d));
	strcpy(d.domain, "live.test");
	d.last_verified = NOW - 100;
	strcpy(d.verdict, "healthy");
	d.last_healthy = NOW - 100;
	assert_int_equal(store_put_domain(fx->st, NULL, &d, err, sizeof(err)),
			 STORE_OK);

	put_verification(fx->st, "hotmail.test", NOW - 30 * 3600,
			 VERDICT_HEALTHY, "old, outside the window", 0);
	put_verification(fx->st, "hotmail.test", NOW - 7200, VERDICT_LOCAL_PATH,
			 "mta node " NODE_BAD " NODATA", 1);
	put_verification(fx->st, "hotmail.test", NOW - 3600, VERDICT_LOCAL_PATH,
			 "mta node " NODE_BAD " NODATA", 1);
	put_verification(fx->st, "hotmail.test", NOW - 60, VERDICT_LOCAL_PATH,
			 "mta node " NODE_BAD " <NODATA> & \"stale\"", 1);
	put_verification(fx->st, "live.test", NOW - 100, VERDICT_HEALTHY,
			 "all agree", 0);

	put_message(fx->st, "AAA111", "hotmail.test", "microsoft",
		    STORE_MSG_HELD, NOW - 7000, NOW - 3500, q1);
	put_message(fx->st, "BBB222", "hotmail.test", "microsoft",
		    STORE_MSG_HELD, NOW - 6000, 0, q2);
	put_message(fx->st, "CCC333", "example.org", "", STORE_MSG_HELD,
		    NOW - 6000, 0, q3);
	put_message(fx->st, "DDD444", "hotmail.test", "microsoft",
		    STORE_MSG_DONE, NOW - 41 * 3600, NOW - 40 * 3600, q4);

	put_evidence(fx->st, "alice@hotmail.test", NOW - 30 * 3600, "mx-out-1",
		     STORE_OUTCOME_DEFERRED);
	put_evidence(fx->st, "alice@hotmail.test", NOW - 7000, "mx-out-1",
		     STORE_OUTCOME_DEFERRED);
	put_evidence(fx->st, "alice@hotmail.test", NOW - 3500, "mx-out-2",
		     STORE_OUTCOME_DEFERRED);
	put_evidence(fx->st, "bob@hotmail.test", NOW - 3500, "mx-out-1",
		     STORE_OUTCOME_NONE);
	put_evidence(fx->st, "carol@hotmail.test", NOW - 50, "mx-out-1",
		     STORE_OUTCOME_DELIVERED);
	put_evidence(fx->st, "dave@example.org", NOW - 50, "mx-out-9",
		     STORE_OUTCOME_BOUNCED);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	store_close(fx->st);
	(void)tmpdir_fx_remove(fx->dir);
	free(fx->p);
	free(fx);
	return 0;
}

static const char *str_at(const json_t *doc, const char *path)
{
	const json_t *v = doc;
	char buf[256], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *k = strtok_r(buf, ".", &save); k && v;
	     k = strtok_r(NULL, ".", &save))
		v = (k[0] >= '0' && k[0] <= '9')
			? json_array_get(v, strtoul(k, NULL, 10))
			: json_object_get(v, k);
	if (json_is_null(v))
		return "null";
	assert_true(json_is_string(v));
	return json_string_value(v);
}

static long long int_at(const json_t *doc, const char *path)
{
	const json_t *v = doc;
	char buf[256], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *k = strtok_r(buf, ".", &save); k && v;
	     k = strtok_r(NULL, ".", &save))
		v = (k[0] >= '0' && k[0] <= '9')
			? json_array_get(v, strtoul(k, NULL, 10))
			: json_object_get(v, k);
	assert_true(json_is_integer(v));
	return (long long)json_integer_value(v);
}

static void test_domain_report_json(void **state)
{
	struct fixture *fx = *state;
	char err[512];
	json_t *doc =
	    report_collect(fx->st, fx->p, REPORT_SCOPE_DOMAIN, "hotmail.test",
			   NOW - 86400, NOW, NULL, err, sizeof(err));

	assert_non_null(doc);
	assert_string_equal(str_at(doc, "scope.kind"), "domain");
	assert_string_equal(str_at(doc, "scope.name"), "hotmail.test");
	assert_string_equal(str_at(doc, "host_id"), "mx-out-1");
	assert_string_equal(str_at(doc, "generated_at"),
			    "2024-05-01T21:46:40Z");
	assert_string_equal(str_at(doc, "window.since"),
			    "2024-04-30T21:46:40Z");
	assert_string_equal(str_at(doc, "window.until"),
			    "2024-05-01T21:46:40Z");
	/* domains: only the scope's */
	assert_int_equal(json_array_size(json_object_get(doc, "domains")), 1);
	assert_string_equal(str_at(doc, "domains.0.domain"), "hotmail.test");
	assert_string_equal(str_at(doc, "domains.0.verdict"), "local-path");
	assert_string_equal(str_at(doc, "domains.0.first_failing"),
			    "2024-05-01T19:46:40Z");
	assert_string_equal(str_at(doc, "domains.0.last_healthy"),
			    "2024-05-01T18:46:40Z");
	assert_string_equal(str_at(doc, "domains.0.last_mx"),
			    "mx1.hotmail.test");
	assert_string_equal(str_at(doc, "domains.0.last_escalated"), "null");
	assert_int_equal(int_at(doc, "domains.0.failing_for"), 7200);
	assert_string_equal(str_at(doc, "domains.0.duration_class"), "1h-4h");
	assert_string_equal(str_at(doc, "duration.class"), "1h-4h");
	assert_int_equal(int_at(doc, "duration.failing_for"), 7200);
	/* verdicts over time: the old healthy one is outside the window */
	assert_int_equal(json_array_size(json_object_get(doc, "verdicts")), 1);
	assert_string_equal(str_at(doc, "verdicts.0.verdict"), "local-path");
	assert_int_equal(int_at(doc, "verdicts.0.count"), 3);
	assert_string_equal(str_at(doc, "verdicts.0.first_seen"),
			    "2024-05-01T19:46:40Z");
	assert_string_equal(str_at(doc, "verdicts.0.last_seen"),
			    "2024-05-01T21:45:40Z");
	/* every verification in the window, each resolver's answer */
	assert_int_equal(int_at(doc, "verifications_total"), 3);
	assert_int_equal(int_at(doc, "verifications_shown"), 3);
	assert_int_equal(int_at(doc, "verifications_unreadable"), 0);
	assert_string_equal(str_at(doc, "verifications.0.checked_at"),
			    "2024-05-01T19:46:40Z");
	assert_string_equal(str_at(doc, "verifications.2.detail"),
			    "mta node " NODE_BAD " <NODATA> & \"stale\"");
	assert_string_equal(str_at(doc, "verifications.0.answers.0.role"),
			    "mta");
	assert_string_equal(str_at(doc, "verifications.0.answers.0.server"),
			    NODE_BAD);
	assert_string_equal(str_at(doc, "verifications.0.answers.0.transport"),
			    "udp");
	assert_int_equal(int_at(doc, "verifications.0.answers.0.rcode"), 0);
	assert_string_equal(str_at(doc, "verifications.0.answers.0.rcode_name"),
			    "NOERROR");
	assert_string_equal(str_at(doc, "verifications.0.answers.0.kind"),
			    "nodata");
	assert_int_equal(int_at(doc, "verifications.0.answers.0.neg_ttl"), 300);
	assert_int_equal(
	    json_array_size(json_object_get(
		json_array_get(
		    json_object_get(
			json_array_get(json_object_get(doc, "verifications"),
				       0),
			"answers"),
		    0),
		"mx")),
	    0);
	assert_string_equal(str_at(doc, "verifications.0.answers.3.role"),
			    "authoritative");
	assert_string_equal(str_at(doc, "verifications.0.answers.3.mx.0.host"),
			    "mx1.hotmail.test");
	assert_int_equal(
	    int_at(doc, "verifications.0.answers.3.mx.0.preference"), 10);
	assert_int_equal(int_at(doc, "verifications.0.answers.3.ttl"), 3600);
	assert_string_equal(str_at(doc, "verifications.0.answers.3.neg_ttl"),
			    "null");
	/* resolver nodes: which failed how often */
	assert_int_equal(
	    json_array_size(json_object_get(doc, "resolver_nodes")), 4);
	assert_string_equal(str_at(doc, "resolver_nodes.0.server"), NODE_BAD);
	assert_int_equal(int_at(doc, "resolver_nodes.0.answers"), 3);
	assert_int_equal(int_at(doc, "resolver_nodes.0.failed"), 3);
	assert_int_equal(int_at(doc, "resolver_nodes.0.failures.nodata"), 3);
	assert_string_equal(str_at(doc, "resolver_nodes.1.server"),
			    "127.0.9.64:53");
	assert_int_equal(int_at(doc, "resolver_nodes.1.failed"), 0);
	assert_int_equal(int_at(doc, "resolver_nodes.3.answers"), 3);
	assert_int_equal(
	    json_array_size(json_object_get(doc, "failing_mta_nodes")), 1);
	assert_string_equal(str_at(doc, "failing_mta_nodes.0"), NODE_BAD);
	/* affected messages: AAA111 and BBB222, not the other domain's, not
	 * the one done 40 h ago */
	assert_int_equal(int_at(doc, "messages.total"), 2);
	assert_int_equal(int_at(doc, "messages.recipients_total"), 3);
	assert_int_equal(int_at(doc, "messages.sample_size"), 3);
	assert_string_equal(str_at(doc, "messages.sample.0.queue_id"),
			    "AAA111");
	assert_string_equal(str_at(doc, "messages.sample.0.recipient"),
			    "alice@hotmail.test");
	assert_string_equal(str_at(doc, "messages.sample.0.state"), "pending");
	assert_string_equal(str_at(doc, "messages.sample.0.first_failure"),
			    "2024-05-01T19:46:40Z");
	assert_string_equal(str_at(doc, "messages.sample.2.recipient"),
			    "carol@hotmail.test");
	/* sending hosts, from the evidence in the window only */
	assert_int_equal(json_array_size(json_object_get(doc, "sending_hosts")),
			 2);
	assert_string_equal(str_at(doc, "sending_hosts.0.host_id"), "mx-out-1");
	assert_int_equal(int_at(doc, "sending_hosts.0.attempts"), 2);
	assert_int_equal(int_at(doc, "sending_hosts.0.deferred"), 1);
	assert_int_equal(int_at(doc, "sending_hosts.0.delivered"), 1);
	assert_int_equal(int_at(doc, "sending_hosts.0.no_attempt"), 1);
	assert_string_equal(str_at(doc, "sending_hosts.1.host_id"), "mx-out-2");
	assert_int_equal(int_at(doc, "sending_hosts.1.attempts"), 1);
	/* the next step names the failing node */
	assert_string_equal(str_at(doc, "action.code"), "check-local-path");
	assert_non_null(strstr(str_at(doc, "action.text"),
			       "failing MTA resolver nodes: " NODE_BAD
			       " (3 of 3 answers failed)"));
	json_decref(doc);
}

static void test_group_report(void **state)
{
	struct fixture *fx = *state;
	char err[512];
	json_t *doc =
	    report_collect(fx->st, fx->p, REPORT_SCOPE_GROUP, "microsoft",
			   NOW - 86400, NOW, NULL, err, sizeof(err));

	assert_non_null(doc);
	assert_string_equal(str_at(doc, "scope.kind"), "group");
	assert_int_equal(json_array_size(json_object_get(doc, "domains")), 2);
	assert_string_equal(str_at(doc, "domains.1.domain"), "live.test");
	assert_string_equal(str_at(doc, "domains.1.duration_class"), "none");
	assert_int_equal(int_at(doc, "verifications_total"), 4);
	assert_int_equal(int_at(doc, "messages.total"), 2);
	assert_string_equal(str_at(doc, "duration.class"), "1h-4h");
	json_decref(doc);
	assert_null(report_collect(fx->st, fx->p, REPORT_SCOPE_GROUP, "nosuch",
				   NOW - 86400, NOW, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "no group 'nosuch'"));
}

static void test_text_and_html(void **state)
{
	struct fixture *fx = *state;
	char err[512], *buf = NULL;
	size_t len = 0;
	FILE *fp;
	json_t *doc =
	    report_collect(fx->st, fx->p, REPORT_SCOPE_DOMAIN, "hotmail.test",
			   NOW - 86400, NOW, NULL, err, sizeof(err));

	assert_non_null(doc);
	fp = open_memstream(&buf, &len);
	assert_int_equal(report_print_text(doc, fp), 0);
	fclose(fp);
	assert_non_null(strstr(buf, "scope:      domain hotmail.test\n"));
	assert_non_null(strstr(buf, "window:     2024-04-30T21:46:40Z .. "
				    "2024-05-01T21:46:40Z\n"));
	assert_non_null(strstr(buf, "duration:   1h-4h (failing since "
				    "2024-05-01T19:46:40Z, for 2h00m)\n"));
	assert_non_null(strstr(buf, "action:     check-local-path: "));
	assert_non_null(
	    strstr(buf, "  hotmail.test local-path x3 first="
			"2024-05-01T19:46:40Z last=2024-05-01T21:45:40Z\n"));
	assert_non_null(strstr(buf, "    mta " NODE_BAD "/udp NOERROR nodata "
				    "ttl=0 neg_ttl=300\n"));
	assert_non_null(strstr(buf,
			       "    authoritative 127.0.9.53:53/udp NOERROR "
			       "mx mx=10:mx1.hotmail.test ttl=3600\n"));
	assert_non_null(
	    strstr(buf, "  mta " NODE_BAD " failed 3 of 3 nodata=3\n"));
	assert_non_null(strstr(buf, "  mx-out-1 attempts=2 delivered=1 "
				    "deferred=1 bounced=0 no_attempt=1\n"));
	assert_non_null(strstr(buf, "affected: 2 messages, 3 recipients "
				    "(sample of 3)\n"));
	assert_non_null(
	    strstr(buf, "  postfix AAA111 alice@hotmail.test pending"));
	free(buf);
	buf = NULL;
	fp = open_memstream(&buf, &len);
	assert_int_equal(report_print_html(doc, fp), 0);
	fclose(fp);
	assert_int_equal(strncmp(buf, "<!DOCTYPE html>", 15), 0);
	assert_non_null(strstr(buf, "&lt;NODATA&gt; &amp; &quot;stale&quot;"));
	assert_null(strstr(buf, "<NODATA>"));
	assert_null(strstr(buf, "http"));
	assert_non_null(strstr(buf, "</html>\n"));
	free(buf);
	json_decref(doc);
}

static void test_write_file(void **state)
{
	struct fixture *fx = *state;
	char dir[128], path[4200], err[512], want[256], line[256];
	struct dirent *de;
	size_t files = 0;
	FILE *fp;
	DIR *dp;

	snprintf(dir, sizeof(dir), "%s/reports", fx->dir);
	assert_int_equal(mkdir(dir, 0750), 0);
	assert_int_equal(report_write_file(fx->st, fx->p, "hotmail.test",
					   NOW - 86400, NOW, dir, path,
					   sizeof(path), err, sizeof(err)),
			 0);
	snprintf(want, sizeof(want), "%s/report-hotmail.test-%lld.txt", dir,
		 (long long)NOW);
	assert_string_equal(path, want);
	assert_non_null(fp = fopen(path, "r"));
	assert_non_null(fgets(line, sizeof(line), fp));
	assert_string_equal(line, "retryd proof report\n");
	assert_non_null(fgets(line, sizeof(line), fp));
	assert_string_equal(line, "scope:      domain hotmail.test\n");
	fclose(fp);
	/* a group name selects the group */
	assert_int_equal(report_write_file(fx->st, fx->p, "microsoft",
					   NOW - 86400, NOW, dir, path,
					   sizeof(path), err, sizeof(err)),
			 0);
	assert_non_null(strstr(path, "/report-microsoft-"));
	assert_non_null(dp = opendir(dir));
	while ((de = readdir(dp)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		assert_null(strstr(de->d_name, ".tmp"));
		files++;
	}
	closedir(dp);
	assert_int_equal(files, 2);
	/* a missing directory is an error with the path, not a crash */
	assert_int_equal(report_write_file(fx->st, fx->p, "hotmail.test",
					   NOW - 86400, NOW, "/nonexistent/x",
					   path, sizeof(path), err,
					   sizeof(err)),
			 -1);
	assert_non_null(strstr(err, "/nonexistent/x/report-hotmail.test-"));
}

static void test_write_file_is_cut_at_limit(void **state)
{
	struct fixture *fx = *state;
	struct verify_result *r = calloc(1, sizeof(*r));
	struct store_verification v = {.time = NOW - 10};
	char dir[128], path[4200], err[512];
	struct stat sb;
	FILE *fp;
	char tail[200];

	/* three verifications (each within the store's bound) whose text
	 * is larger than the report file's limit */
	strcpy(r->domain, "big.test");
	r->verdict = VERDICT_LOCAL_PATH;
	for (size_t i = 0; i < 30; i++) {
		struct verify_answer *a = &r->answers[r->nanswers++];

		a->role = VERIFY_ROLE_MTA;
		snprintf(a->server, sizeof(a->server), "127.0.9.%zu:53", i);
		a->transport = VERIFY_UDP;
		a->kind = VERIFY_KIND_MX;
		a->neg_ttl = -1;
		a->nmx = LIMIT_VERIFY_MX;
		for (size_t j = 0; j < LIMIT_VERIFY_MX; j++)
			snprintf(a->mx[j].host, sizeof(a->mx[j].host),
				 "mx%zu.a-rather-long-host-name-for-the-test."
				 "big.test",
				 j);
	}
	strcpy(v.domain, "big.test");
	strcpy(v.verdict, "local-path");
	for (int k = 0; k < 3; k++) {
		v.time = r->checked_at = NOW - 10 - k;
		v.answers = verify_result_json(r);
		assert_int_equal(
		    store_add_verification(fx->st, NULL, &v, err, sizeof(err)),
		    STORE_OK);
		free(v.answers);
	}
	free(r);
	snprintf(dir, sizeof(dir), "%s", fx->dir);
	assert_int_equal(report_write_file(fx->st, fx->p, "big.test",
					   NOW - 86400, NOW, dir, path,
					   sizeof(path), err, sizeof(err)),
			 0);
	assert_int_equal(stat(path, &sb), 0);
	assert_true(sb.st_size <= LIMIT_REPORT_BYTES);
	assert_true(sb.st_size > LIMIT_REPORT_BYTES / 2);
	assert_non_null(fp = fopen(path, "r"));
	fseek(fp, -60, SEEK_END);
	assert_non_null(fgets(tail, sizeof(tail), fp));
	fclose(fp);
	assert_non_null(strstr(tail, "for the whole report]\n"));
}

/* ---- pure: unreadable JSON, duration classes, actions ---- */

static struct store_verification mkv(const char *domain, int64_t t,
				     const char *verdict, char *json)
{
	struct store_verification v = {.time = t, .answers = json};

	snprintf(v.domain, sizeof(v.domain), "%s", domain);
	snprintf(v.verdict, sizeof(v.verdict), "%s", verdict);
	return v;
}

static void test_unreadable_verifications(void **state)
{
	struct report *r =
	    report_new(REPORT_SCOPE_ALL, NULL, "h", 0, NOW, NULL);
	char dup[] = "{\"answers\":[],\"answers\":[{\"role\":\"mta\"}]}";
	char badtype[] =
	    "{\"answers\":[{\"role\":\"mta\",\"server\":\"s\","
	    "\"transport\":\"udp\",\"kind\":\"nodata\",\"rcode\":0,"
	    "\"ttl\":\"300\",\"neg_ttl\":null,\"mx\":[]}]}";
	char notjson[] = "{\"answers\":[";
	char good[] =
	    "{\"detail\":\"d\",\"answers\":[{\"role\":\"mta\","
	    "\"server\":\"s\",\"transport\":\"udp\",\"kind\":\"servfail\","
	    "\"rcode\":2,\"rcode_name\":\"SERVFAIL\",\"ttl\":0,"
	    "\"neg_ttl\":null,\"mx\":[]}]}";
	struct store_verification v;
	json_t *doc;

	(void)state;
	assert_non_null(r);
	v = mkv("a.test", NOW - 5, "dns-outage", dup);
	assert_int_equal(report_add_verification(r, &v), 0);
	v = mkv("a.test", NOW - 4, "dns-outage", badtype);
	assert_int_equal(report_add_verification(r, &v), 0);
	v = mkv("a.test", NOW - 3, "dns-outage", notjson);
	assert_int_equal(report_add_verification(r, &v), 0);
	v = mkv("a.test", NOW - 2, "dns-outage", NULL);
	assert_int_equal(report_add_verification(r, &v), 0);
	v = mkv("a.test", NOW - 1, "dns-outage", good);
	assert_int_equal(report_add_verification(r, &v), 0);
	v = mkv("a.test", NOW + 10, "dns-outage", good); /* after now */
	assert_int_equal(report_add_verification(r, &v), 0);
	doc = report_json(r);
	assert_int_equal(int_at(doc, "verifications_total"), 5);
	assert_int_equal(int_at(doc, "verifications_unreadable"), 4);
	assert_int_equal(int_at(doc, "verifications_shown"), 1);
	assert_int_equal(int_at(doc, "resolver_nodes.0.failures.servfail"), 1);
	assert_string_equal(str_at(doc, "scope.kind"), "all");
	assert_true(json_is_null(
	    json_object_get(json_object_get(doc, "scope"), "name")));
	json_decref(doc);
	report_free(r);
}

static void test_duration_classes(void **state)
{
	(void)state;
	assert_int_equal(report_duration_class(0, NOW), REPORT_DURATION_NONE);
	assert_int_equal(report_duration_class(NOW - 3599, NOW),
			 REPORT_DURATION_UNDER_1H);
	assert_int_equal(report_duration_class(NOW - 3600, NOW),
			 REPORT_DURATION_1H_4H);
	assert_int_equal(report_duration_class(NOW - 4 * 3600, NOW),
			 REPORT_DURATION_1H_4H);
	assert_int_equal(report_duration_class(NOW - 4 * 3600 - 1, NOW),
			 REPORT_DURATION_OVER_4H);
	assert_string_equal(report_duration_name(REPORT_DURATION_OVER_4H),
			    "over-4h");
}

/* The action for a failure of @param age at @param bad_role's server. */
static json_t *action_for(int64_t age, const char *bad_role)
{
	struct report *r = report_new(REPORT_SCOPE_DOMAIN, "x.test", "h",
				      NOW - 86400, NOW, NULL);
	struct store_domain d = {.first_failing = age ? NOW - age : 0};
	char json[512];
	struct store_verification v;
	json_t *doc;

	strcpy(d.domain, "x.test");
	strcpy(d.verdict, "local-path");
	assert_int_equal(report_add_domain(r, &d), 0);
	snprintf(json, sizeof(json),
		 "{\"answers\":[{\"role\":\"%s\",\"server\":\"127.0.9.54:53\","
		 "\"transport\":\"udp\",\"kind\":\"nodata\",\"rcode\":0,"
		 "\"rcode_name\":\"NOERROR\",\"ttl\":0,\"neg_ttl\":60,"
		 "\"mx\":[]}]}",
		 bad_role);
	v = mkv("x.test", NOW - 30, "local-path", json);
	assert_int_equal(report_add_verification(r, &v), 0);
	doc = report_json(r);
	report_free(r);
	return doc;
}

static void test_actions(void **state)
{
	json_t *doc;

	(void)state;
	doc = action_for(0, "mta");
	assert_string_equal(str_at(doc, "action.code"), "retry-and-watch");
	assert_non_null(strstr(str_at(doc, "action.text"), "no failure"));
	json_decref(doc);
	doc = action_for(600, "mta");
	assert_string_equal(str_at(doc, "action.code"), "retry-and-watch");
	assert_non_null(strstr(str_at(doc, "action.text"), "under 1 h"));
	json_decref(doc);
	doc = action_for(5 * 3600, "mta");
	assert_string_equal(str_at(doc, "action.code"), "escalate");
	assert_non_null(strstr(str_at(doc, "action.text"),
			       "only at the MTA's resolver nodes 127.0.9.54:53 "
			       "(1 of 1 answers failed): escalate to your DNS "
			       "team with this proof"));
	json_decref(doc);
	doc = action_for(5 * 3600, "authoritative");
	assert_string_equal(str_at(doc, "action.code"), "escalate");
	assert_non_null(strstr(str_at(doc, "action.text"),
			       "escalate to the domain's provider"));
	assert_int_equal(
	    json_array_size(json_object_get(doc, "failing_mta_nodes")), 0);
	json_decref(doc);
	doc = action_for(2 * 3600, "independent");
	assert_string_equal(str_at(doc, "action.code"), "check-local-path");
	assert_non_null(
	    strstr(str_at(doc, "action.text"), "no MTA resolver node failed"));
	json_decref(doc);
}

static void test_sample_is_bounded(void **state)
{
	struct report_options opt = {.max_sample = 5, .max_verifications = 2};
	struct report *r =
	    report_new(REPORT_SCOPE_ALL, NULL, "h", 0, NOW, &opt);
	struct store_message *m = store_message_new(4);
	char good[] = "{\"answers\":[]}";
	struct store_verification v;
	json_t *doc;

	(void)state;
	strcpy(m->domain, "x.test");
	m->nrcpts = 4;
	for (int i = 0; i < 4; i++)
		snprintf(m->rcpts[i].address, sizeof(m->rcpts[i].address),
			 "u%d@x.test", i);
	for (int i = 0; i < 3; i++)
		assert_int_equal(report_add_message(r, m), 0);
	for (int i = 0; i < 5; i++) {
		v = mkv("x.test", NOW - 100 + i, "healthy", good);
		assert_int_equal(report_add_verification(r, &v), 0);
	}
	doc = report_json(r);
	assert_int_equal(int_at(doc, "messages.total"), 3);
	assert_int_equal(int_at(doc, "messages.recipients_total"), 12);
	assert_int_equal(int_at(doc, "messages.sample_size"), 5);
	assert_int_equal(int_at(doc, "verifications_total"), 5);
	assert_int_equal(int_at(doc, "verifications_shown"), 2);
	/* the latest are kept */
	assert_string_equal(str_at(doc, "verifications.1.checked_at"),
			    "2024-05-01T21:45:04Z");
	json_decref(doc);
	store_message_free(m);
	report_free(r);
}

/* One answer of node @param server: kind and TTLs. */
static char *lane_json(const char *server, const char *kind, int ttl, int neg)
{
	char *j = malloc(600);
	char negs[16];

	snprintf(negs, sizeof(negs), "%d", neg);
	snprintf(j, 600,
		 "{\"answers\":[{\"role\":\"mta\",\"server\":\"%s\","
		 "\"transport\":\"udp\",\"rcode\":0,\"rcode_name\":"
		 "\"NOERROR\",\"kind\":\"%s\",\"mx\":[],\"ttl\":%d,"
		 "\"neg_ttl\":%s,\"reason\":\"\"}]}",
		 server, kind, ttl, neg < 0 ? "null" : negs);
	return j;
}

static void test_lanes_are_runs(void **state)
{
	struct report *r =
	    report_new(REPORT_SCOPE_ALL, NULL, "h", 0, NOW, NULL);
	const char *kinds[] = {"nodata", "nodata", "nodata", "mx", "mx"};
	struct store_verification v;
	json_t *doc;

	(void)state;
	for (int i = 0; i < 5; i++) {
		char *j = lane_json("127.0.9.54:53", kinds[i],
				    i < 3 ? 0 : 300 + i, i < 3 ? 900 : -1);

		v = mkv("x.test", NOW - 500 + i * 100,
			i < 3 ? "local-path" : "healthy", j);
		assert_int_equal(report_add_verification(r, &v), 0);
		free(j);
	}
	doc = report_json(r);
	assert_int_equal(int_at(doc, "timelines.0.lanes.0.runs.0.n"), 3);
	assert_string_equal(str_at(doc, "timelines.0.lanes.0.runs.0.class"),
			    "negative");
	assert_int_equal(int_at(doc, "timelines.0.lanes.0.runs.0.neg_ttl"),
			 900);
	assert_int_equal(int_at(doc, "timelines.0.lanes.0.runs.0.from"),
			 NOW - 500);
	assert_int_equal(int_at(doc, "timelines.0.lanes.0.runs.0.to"),
			 NOW - 300);
	assert_string_equal(str_at(doc, "timelines.0.lanes.0.runs.1.class"),
			    "usable");
	assert_int_equal(int_at(doc, "timelines.0.lanes.0.runs.1.ttl_min"),
			 303);
	assert_int_equal(int_at(doc, "timelines.0.lanes.0.runs.1.ttl_max"),
			 304);
	assert_int_equal(
	    json_array_size(json_object_get(
		json_array_get(json_object_get(doc, "timelines"), 0), "lanes")),
	    1);
	assert_string_equal(str_at(doc, "timelines.0.verdict_runs.0.class"),
			    "local-path");
	assert_int_equal(int_at(doc, "timelines.0.verdict_runs.1.n"), 2);
	json_decref(doc);
	report_free(r);
}

/* A flapping node: the runs stay bounded, merged runs say "mixed". */
static void test_lanes_are_bounded(void **state)
{
	struct report *r =
	    report_new(REPORT_SCOPE_ALL, NULL, "h", 0, NOW, NULL);
	struct store_verification v;
	json_t *doc, *runs;
	long long n = 0;
	size_t i;

	(void)state;
	for (int k = 0; k < 1000; k++) {
		char *j = lane_json("127.0.9.54:53", k % 2 ? "mx" : "nxdomain",
				    300, -1);

		v = mkv("x.test", NOW - 5000 + k, "local-path", j);
		assert_int_equal(report_add_verification(r, &v), 0);
		free(j);
	}
	doc = report_json(r);
	runs = json_object_get(
	    json_array_get(
		json_object_get(
		    json_array_get(json_object_get(doc, "timelines"), 0),
		    "lanes"),
		0),
	    "runs");
	assert_int_equal(json_array_size(runs), LIMIT_REPORT_RUNS);
	for (i = 0; i < json_array_size(runs); i++)
		n += json_integer_value(
		    json_object_get(json_array_get(runs, i), "n"));
	assert_int_equal(n, 1000); /* nothing lost in the merging */
	assert_string_equal(str_at(doc, "timelines.0.lanes.0.runs.0.class"),
			    "mixed");
	assert_int_equal(int_at(doc, "timelines.0.lanes.0.runs.0.from"),
			 NOW - 5000);
	json_decref(doc);
	report_free(r);
}

static void test_answer_classes(void **state)
{
	(void)state;
	assert_string_equal(report_answer_class("mx", "healthy", "mta"),
			    "usable");
	assert_string_equal(report_answer_class("implicit-mx", NULL, "mta"),
			    "usable");
	assert_string_equal(report_answer_class("nodata", "local-path", "mta"),
			    "negative");
	assert_string_equal(report_answer_class("nxdomain", "filtered", "mta"),
			    "filtered");
	assert_string_equal(
	    report_answer_class("nxdomain", "filtered", "authoritative"),
	    "negative");
	assert_string_equal(report_answer_class("null-mx", NULL, "mta"),
			    "null");
	assert_string_equal(report_answer_class("timeout", NULL, "mta"),
			    "transient");
	assert_string_equal(report_answer_class("servfail", NULL, "mta"),
			    "transient");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_domain_report_json, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_group_report, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_text_and_html, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_write_file, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_write_file_is_cut_at_limit,
					    setup, teardown),
	    cmocka_unit_test(test_unreadable_verifications),
	    cmocka_unit_test(test_duration_classes),
	    cmocka_unit_test(test_actions),
	    cmocka_unit_test(test_sample_is_bounded),
	    cmocka_unit_test(test_lanes_are_runs),
	    cmocka_unit_test(test_lanes_are_bounded),
	    cmocka_unit_test(test_answer_classes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
