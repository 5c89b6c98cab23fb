/*
 * test_classify - the classifier against the shipped rules and a real corpus.
 *
 * The corpus test loads policy/retryd.ini (which includes
 * policy/classifier.ini) through policy_load(), exactly as retryd does,
 * and runs every line of tests/data/bounce-corpus.tsv (LABELS<TAB>TEXT,
 * real wordings of Microsoft, Google, Yahoo/AOL, Apple, GMX/web.de,
 * Postfix, Exim ...) through it: the category must be the label, or one
 * of the two of "A|B" where docs/classifier-labels.md finds both
 * defensible; the corpus must hold at least 250 texts covering every
 * category (counted by first label).
 *
 * Then the code-vs-wording cases: a 5.4.4 is routing whatever else the
 * text says; a 550 5.1.1 "mailbox unavailable" is mailbox-unknown; texts
 * no rule matches fall back on the enhanced status code; the status and
 * permanent fields; general wording of client libraries and resolvers; arbitrary bytes; hand-built policies for first-match,
 * case, bad rules and the PCRE2 match limit.
 *
 * Files are found by srcdir_fx_path() ($RETRYD_SRCDIR, default: the
 * current directory).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "classify/classify.h"
#include "classify_fx.h"
#include "srcdir_fx.h"

#define CORPUS_LINE 4096 /* longest corpus line accepted */

/* The shipped policy and its classifier, loaded once for the group. */
struct shipped {
	struct policy *p;
	struct classifier *c;
};

static int shipped_setup(void **state)
{
	static struct shipped s;
	static char err[8192];

	if (policy_load(srcdir_fx_path("policy/retryd.ini"), &s.p, err,
			sizeof(err)) != 0) {
		fprintf(stderr, "policy_load: %s\n", err);
		return -1;
	}
	if (classify_new(s.p, &s.c, err, sizeof(err)) != 0) {
		fprintf(stderr, "classify_new: %s\n", err);
		return -1;
	}
	*state = &s;
	return 0;
}

static int shipped_teardown(void **state)
{
	struct shipped *s = *state;

	classify_free(s->c);
	policy_free(s->p);
	return 0;
}

static const char *cat_of(const struct classifier *c, const char *text)
{
	return classify_category_name(
	    classify_text(c, text, strlen(text)).category);
}

/*
 * corpus_labels - parse LABELS ("A" or "A|B", two different categories)
 * into want[0..1]; @return how many, 0 when malformed
 */
static int corpus_labels(char *labels, enum classify_category want[2])
{
	char *bar = strchr(labels, '|');

	if (bar != NULL)
		*bar = '\0';
	if (classify_category_parse(labels, &want[0]) != 0)
		return 0;
	if (bar == NULL)
		return 1;
	if (classify_category_parse(bar + 1, &want[1]) != 0 ||
	    want[1] == want[0])
		return 0;
	return 2;
}

/* Every corpus line comes out as (one of) its labels; every category is
 * present. */
static void test_corpus(void **state)
{
	struct shipped *s = *state;
	char line[CORPUS_LINE + 2];
	unsigned per[CLASSIFY_OTHER + 1];
	size_t lineno = 0, total = 0, wrong = 0;
	FILE *fp = fopen(srcdir_fx_path("tests/data/bounce-corpus.tsv"), "r");

	assert_non_null(fp);
	assert_true(s->p->nrules >= 20);
	memset(per, 0, sizeof(per));
	while (fgets(line, sizeof(line), fp) != NULL) {
		enum classify_category want[2];
		struct classify_result r;
		char *tab, *text;
		size_t len = strlen(line);
		int nwant;

		lineno++;
		assert_true(len > 0 &&
			    line[len - 1] == '\n'); /* not too long */
		line[--len] = '\0';
		if (len == 0 || line[0] == '#')
			continue;
		tab = strchr(line, '\t');
		assert_non_null(tab);
		*tab = '\0';
		text = tab + 1;
		nwant = corpus_labels(line, want);
		if (nwant == 0)
			fail_msg("corpus line %zu: bad label '%s'", lineno,
				 line);
		r = classify_text(s->c, text, strlen(text));
		if (r.category != want[0] &&
		    (nwant < 2 || r.category != want[1])) {
			print_message(
			    "corpus line %zu: want %s%s%s, got %s (rule "
			    "%d%s%s): "
			    "%s\n",
			    lineno, line, nwant > 1 ? "|" : "",
			    nwant > 1 ? classify_category_name(want[1]) : "",
			    classify_category_name(r.category), r.rule,
			    r.rule >= 0 ? " " : "",
			    r.rule >= 0 ? s->p->rules[r.rule].regex : "", text);
			wrong++;
		}
		per[want[0]]++;
		total++;
	}
	fclose(fp);
	print_message("corpus: %zu texts, %zu wrong\n", total, wrong);
	for (int k = CLASSIFY_ROUTING; k <= CLASSIFY_OTHER; k++) {
		print_message("  %-18s %u\n",
			      classify_category_name((enum classify_category)k),
			      per[k]);
		assert_true(per[k] >= 5);
	}
	assert_true(total >= 250);
	assert_int_equal(wrong, 0);
}

/* A corpus label is one category or two different ones, nothing else. */
static void test_corpus_labels(void **state)
{
	static const struct {
		const char *labels;
		int n;
	} cases[] = {
	    {"routing", 1},
	    {"other|policy-reputation", 2},
	    {"mailbox-unknown|mailbox-unknown", 0},
	    {"routing|", 0},
	    {"|routing", 0},
	    {"routing|other|content", 0},
	    {"Routing", 0},
	    {"", 0},
	};
	enum classify_category want[2];
	char buf[64];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(buf, sizeof(buf), "%s", cases[i].labels);
		assert_int_equal(corpus_labels(buf, want), cases[i].n);
	}
	snprintf(buf, sizeof(buf), "other|policy-reputation");
	assert_int_equal(corpus_labels(buf, want), 2);
	assert_int_equal(want[0], CLASSIFY_OTHER);
	assert_int_equal(want[1], CLASSIFY_POLICY_REPUTATION);
}

/* A 5.4.4 is routing, never mailbox, whatever the rest of the text says. */
static void test_544_is_routing(void **state)
{
	struct shipped *s = *state;

	assert_string_equal(cat_of(s->c,
				   "554 5.4.4 Recipient address rejected: "
				   "User unknown"),
			    "routing");
	assert_string_equal(cat_of(s->c,
				   "550 5.4.4 <anna@outlook.com>: recipient "
				   "does not exist here"),
			    "routing");
	assert_string_equal(cat_of(s->c, "status=bounced (said: 550 5.4.4 "
					 "mailbox unavailable)"),
			    "routing");
	assert_string_equal(cat_of(s->c, "450 4.4.4 RecipientNotFound"),
			    "routing");
	/* ... but an IP address or a longer code is not a 5.4.4 */
	assert_string_equal(cat_of(s->c, "host mx[10.5.4.4] said: 550 5.1.1 "
					 "User unknown"),
			    "mailbox-unknown");
	assert_string_equal(cat_of(s->c, "550 5.4.41 user unknown"),
			    "mailbox-unknown");
}

/* "mailbox unavailable": the 550 wording and 5.1.1 say unknown. */
static void test_mailbox_unavailable(void **state)
{
	struct shipped *s = *state;

	assert_string_equal(cat_of(s->c,
				   "550 5.1.1 Requested action not taken: "
				   "mailbox unavailable"),
			    "mailbox-unknown");
	assert_string_equal(cat_of(s->c,
				   "550 5.1.1 <anna@example.com>... Mailbox "
				   "unavailable"),
			    "mailbox-unknown");
	assert_string_equal(cat_of(s->c,
				   "550 5.5.0 Requested action not taken: "
				   "mailbox unavailable"),
			    "mailbox-unknown");
	/* 450's wording is transient and says nothing about existence */
	assert_string_equal(cat_of(s->c, "450 4.2.0 Requested mail action not "
					 "taken: mailbox unavailable"),
			    "other");
	assert_string_equal(cat_of(s->c,
				   "550 5.2.1 <anna@example.com>... Mailbox "
				   "unavailable"),
			    "mailbox-disabled");
}

/* Texts that no shipped rule matches fall back on the enhanced code. */
static void test_fallback_by_code(void **state)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
	    {"550 5.1.1 <x@example.com>... Rejected", "mailbox-unknown"},
	    {"550 5.1.10 <x@example.com>", "null-mx"},
	    {"450 4.1.8 <s@example.org>", "policy-reputation"},
	    {"450 4.1.1 <x@example.com>: temporarily rejected", "other"},
	    {"550 5.2.1 <x@example.com>", "mailbox-disabled"},
	    {"552 5.2.2 <x@example.com>", "mailbox-full"},
	    {"452 4.2.2 <x@example.com>", "mailbox-full"},
	    {"421 4.7.0 go away", "policy-reputation"},
	    {"550 5.7.1 go away", "policy-reputation"},
	    {"550 5.7.26 go away", "authentication"},
	    {"421 4.7.28 go away", "rate-limit"},
	    {"550 5.7.28 go away", "rate-limit"},
	    {"554 5.7.8 go away", "authentication"},
	    {"550 5.7.20 go away", "authentication"},
	    {"450 4.7.27 go away", "policy-reputation"},
	    {"452 4.5.3 go away", "rate-limit"},
	    {"451 4.4.1 go away", "connection"},
	    {"554 5.1.2 <x@example.invalid>", "routing"},
	    {"554 5.6.0 go away", "content"},
	    {"552 5.3.4 go away", "content"},
	    {"451 4.3.0 go away", "other"},
	    {"250 2.0.0 Ok: queued as 4A7B2C0D99", "other"},
	    {"554 go away", "other"},
	    {"", "other"},
	    /* a generic first code gives way to a later specific one */
	    {"554 5.4.0 <mx.example.net #4.4.1>", "connection"},
	    {"550 5.0.0 <x@example.com>... (#5.1.1)", "mailbox-unknown"},
	    {"550 5.7.0 go away 5.7.26", "authentication"},
	    /* ... of the same subject, or any after x.0.0; never a 4.1.1 */
	    {"550 5.7.0 go away 5.1.1", "policy-reputation"},
	    {"550 5.0.0 go away 4.1.1", "other"},
	    {"550 5.1.2 <x@example.invalid> 5.1.1", "routing"},
	    /* the lastresort block's fallback rules never read a text where
	     * a code stands, also after a quoted-printable space */
	    {"550 5.7.1 the link was lost", "policy-reputation"},
	    {"550=205.7.1=20the link was lost", "policy-reputation"},
	    {"reply 4.2.2 the link was lost", "mailbox-full"},
	    {"451 4.3.0 loop", "other"},
	};
	struct shipped *s = *state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct classify_result r =
		    classify_text(s->c, cases[i].text, strlen(cases[i].text));

		if (strcmp(classify_category_name(r.category), cases[i].want) !=
		    0)
			fail_msg("'%s': want %s, got %s (rule %d)",
				 cases[i].text, cases[i].want,
				 classify_category_name(r.category), r.rule);
		assert_int_equal(r.rule, -1);
	}
	/* No classifier at all: the code alone decides. */
	assert_string_equal(cat_of(NULL, "550 5.1.1 x"), "mailbox-unknown");

	assert_string_equal(cat_of(NULL, "User unknown"), "other");
}

/* After a generic first code: status stays it, explain names both. */
static void test_specific_code(void **state)
{
	static const char t[] = "554 5.4.0 <mx.example.net #4.4.1>";
	struct shipped *s = *state;
	struct classify_result r = classify_text(s->c, t, strlen(t));
	char buf[CLASSIFY_EXPLAIN_LEN];

	assert_string_equal(r.status, "5.4.0");
	assert_string_equal(r.code, "4.4.1");
	assert_int_equal(r.permanent, 1);
	assert_string_equal(classify_explain(s->c, &r, buf, sizeof(buf)),
			    "status code 4.4.1 (after 5.4.0)");
	r = classify_text(s->c, "552 5.2.2 x", 11);
	assert_string_equal(r.code, "5.2.2");
	assert_string_equal(classify_explain(s->c, &r, buf, sizeof(buf)),
			    "status code 5.2.2");
}

/*
 * The guard (classify_guard.c): a 5.1.1 or 5.2.1 decides only when its
 * reply holds no word of another category. No classifier: the code alone.
 */
static void test_guard(void **state)
{
	static const struct {
		const char *text, *want, *word;
	} cases[] = {
	    {"550 5.2.1 Subject is Mandatory.", "other", "subject"},
	    {"550 5.1.1 IP address literals are not supported", "other", "ip"},
	    {"552 5.1.1 Recipient over-quota", "other", "over"},
	    {"550 5.2.1 Mailbox unavailable. Your IP 192.0.2.1 is blacklisted",
	     "other", "ip"},
	    {"550 5.1.1 <>: Sender address rejected", "other", "sender"},
	    /* the sending side by other names: login, originator, the
	     * sender in other languages (ASCII words only) */
	    {"535 5.2.1 SASL login disabled", "other", "sasl"},
	    {"550 5.1.1 Unknown originator", "other", "originator"},
	    {"550 5.1.1 Absender unbekannt", "other", "absender"},
	    {"550 5.1.1 remitente desconocido", "other", "remitente"},
	    /* the recipient address's form is other whatever the code */
	    {"550 5.1.1 recipient address contains illegal characters", "other",
	     "characters"},
	    {"553 5.1.1 Bad address syntax", "other", "syntax"},
	    /* qmail: the code at the end, the words before it */
	    {"550 Quota exceeded (#5.1.1)", "other", "quota"},
	    {"550 Sorry, no mailbox here by that name. (#5.1.1)",
	     "mailbox-unknown", ""},
	    /* words that agree, and no words */
	    {"550 5.1.1 <x@example.com>... User unknown", "mailbox-unknown",
	     ""},
	    {"550 5.2.1 <x@example.com>: Account disabled", "mailbox-disabled",
	     ""},
	    {"550 5.1.1", "mailbox-unknown", ""},
	    /* addresses, host names, URLs are not words */
	    {"550 5.1.1 <spam@quota.example> unknown", "mailbox-unknown", ""},
	    {"550 5.1.1 spam@quota.example unknown", "mailbox-unknown", ""},
	    {"550 5.1.1 see https://example.com/spam/quota", "mailbox-unknown",
	     ""},
	    /* only the reply that carries the code */
	    {"550 5.1.1 <x@example.com>... User unknown 554 5.7.1 spam",
	     "mailbox-unknown", ""},
	    {"550 5.0.0 greylisted 550 5.1.1 <x@example.com>... unknown",
	     "mailbox-unknown", ""},
	    /* a later specific code at the end: the words before it */
	    {"550 5.0.0 Quota exceeded (#5.1.1)", "other", "quota"},
	    /* not an address-level code: no guard */
	    {"552 5.2.2 quota", "mailbox-full", ""},
	    /* a non-ASCII word is no other-category word */
	    {"550 5.2.1 Konto niedost\xc4\x99pne", "mailbox-disabled", ""},
	    /* RFC 7504: the host (521) or domain (556) does not accept
	     * mail; an enhanced code under it names no mailbox */
	    {"521 5.2.1 : (CON:B1) http://example.com/errors/conb1.html",
	     "other", "521"},
	    {"556-5.1.1 example.net", "other", "556"},
	    {"5521 5.2.1 mailbox off", "mailbox-disabled", ""},
	    {"550 5.2.1 521 5.2.1", "mailbox-disabled", ""},
	    /* a word longer than CLASSIFY_WORD_LEN is in no list */
	    {"550 5.1.1 spamspamspamspamspamspamspamspamspamspam",
	     "mailbox-unknown", ""},
	};
	char buf[CLASSIFY_EXPLAIN_LEN];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct classify_result r =
		    classify_text(NULL, cases[i].text, strlen(cases[i].text));

		if (strcmp(classify_category_name(r.category), cases[i].want) !=
			0 ||
		    strcmp(r.guard, cases[i].word) != 0)
			fail_msg("'%s': want %s '%s', got %s '%s'",
				 cases[i].text, cases[i].want, cases[i].word,
				 classify_category_name(r.category), r.guard);
	}
	{
		static const char t[] = "550 5.2.1 Subject is Mandatory.";
		struct classify_result r = classify_text(NULL, t, strlen(t));

		assert_string_equal(
		    classify_explain(NULL, &r, buf, sizeof(buf)),
		    "status code 5.2.1 not trusted: its reply "
		    "says 'subject'");
		assert_string_equal(r.status, "5.2.1");
		assert_int_equal(r.permanent, 1);
	}
	(void)state;
}

/*
 * Wording of client libraries, resolvers and services that name their
 * reason in general words (written from their error strings, not from
 * the corpus): the words decide, never the fallback.
 */
static void test_general_wording(void **state)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
	    {"lookup example.com on 127.0.0.53:53: server misbehaving",
	     "routing"},
	    {"java.net.UnknownHostException: smtp.example.com", "routing"},
	    {"Error: getaddrinfo ENOTFOUND smtp.example.com", "routing"},
	    {"Error: getaddrinfo EAI_AGAIN smtp.example.com", "routing"},
	    {"Unable to resolve mx.example.com", "routing"},
	    {"smtplib.SMTPServerDisconnected: Connection unexpectedly closed",
	     "connection"},
	    {"Error: Greeting never received", "connection"},
	    {"connection lost", "connection"},
	    {"SMTP Error: Could not authenticate.", "authentication"},
	    {"Failed to authenticate on SMTP server with username \"u\"",
	     "authentication"},
	    {"451 4.7.1 You have exceeded your messaging limits", "rate-limit"},
	    {"550 5.2.1 <a@example.com>: mail receiving disabled",
	     "mailbox-disabled"},
	    {"550 Delivery is not allowed to this address.",
	     "policy-reputation"},
	    {"535 5.7.8 Your account has been disabled", "policy-reputation"},
	    {"554 5.7.1 Sending account disabled", "policy-reputation"},
	    {"550 Your email account is suspended", "policy-reputation"},
	    /* the sender's account expired or not active: never the
	     * recipient's mailbox */
	    {"451 Your user account is expired, please renew",
	     "policy-reputation"},
	    {"554 The sending account is not active", "policy-reputation"},
	    {"550 5.7.1 Sender mailbox disabled", "policy-reputation"},
	    {"451 Temporary failure: login account expired",
	     "policy-reputation"},
	    /* the sender's or the client's name unknown: the sender is
	     * refused, whatever 5.1.x code comes with it; a LOGIN's (SMTP
	     * AUTH, SASL) user unknown is a failed authentication
	     * (docs/classifier-labels.md: the check's name decides) */
	    {"550 5.1.0 Sender user unknown", "policy-reputation"},
	    {"550 MAIL FROM address unknown", "policy-reputation"},
	    {"550 SMTP AUTH user unknown", "authentication"},
	    {"550 Client user not recognized", "policy-reputation"},
	    {"550 Your e-mail address is not valid for sending",
	     "policy-reputation"},
	    {"550 your recipient address is unknown", "mailbox-unknown"},
	    {"452 4.2.2 Insufficient space in the mailbox", "mailbox-full"},
	    {"530 5.7.0 You must be authenticated", "authentication"},
	    {"421 4.7.0 Try again later, unusual volume", "rate-limit"},
	    {"550 5.6.0 Bare LF not allowed", "content"},
	    {"550 5.1.1 Recipient no longer on this server", "mailbox-unknown"},
	    {"550 Destinatario desconocido", "mailbox-unknown"},
	    {"451 4.7.1 Ratelimit exceeded for sender", "rate-limit"},
	    {"Malformed answer from server", "other"},
	    {"553 5.1.2 <a b@example.com>: bad address syntax", "other"},
	    {"MX lookup failed for example.com", "routing"},
	    {"DNS resolution failed for example.com", "routing"},
	    {"No mail exchanger found for example.com", "routing"},
	    {"Network unreachable", "connection"},
	    {"failed to connect to mx.example.com", "connection"},
	    {"421 4.3.2 Too many open connections", "rate-limit"},
	    {"450 4.7.1 Sending rate exceeded", "rate-limit"},
	    {"550 5.7.1 Message rejected due to content policy", "content"},
	    {"550 Rejected: message contains a prohibited file type",
	     "content"},
	    {"550 HELO argument does not match calling host",
	     "policy-reputation"},
	    {"550 message sending for this account is disabled",
	     "policy-reputation"},
	    {"451 auth error.", "authentication"},
	    {"553 host denies relay.", "policy-reputation"},
	    {"550 Destinataire inconnu", "mailbox-unknown"},
	    {"550 Postfach existiert nicht", "mailbox-unknown"},
	    {"552 Postfach voll", "mailbox-full"},
	    {"550 El usuario no existe", "mailbox-unknown"},
	    {"550 Utente sconosciuto", "mailbox-unknown"},
	    {"550 Gebruiker onbekend", "mailbox-unknown"},
	    {"550 \xd0\x9d\xd0\xb5\xd1\x82 "
	     "\xd1\x82\xd0\xb0\xd0\xba\xd0\xbe\xd0\xb3\xd0\xbe "
	     "\xd0\xbf\xd0\xbe\xd0\xbb\xd1\x8c\xd0\xb7\xd0\xbe\xd0\xb2\xd0\xb0"
	     "\xd1\x82\xd0\xb5\xd0\xbb\xd1\x8f",
	     "mailbox-unknown"},
	    {"550 Recipient is not known", "mailbox-unknown"},
	    {"Not delivering to unsubscribed address", "policy-reputation"},
	    {"Not delivering to a user who marked your messages as spam",
	     "policy-reputation"},
	    {"451 4.7.1 Rate of messages from you exceeded", "rate-limit"},
	    {"421 4.7.0 Exceeded concurrent session limit", "rate-limit"},
	    {"No MX or A records for example.com", "routing"},
	    {"You do not have permission to send to this recipient.",
	     "policy-reputation"},
	    {"The email address you entered couldn't be found.",
	     "mailbox-unknown"},
	    {"the recipient's email system could not be contacted.",
	     "connection"},
	    {"the recipient's server rejected the message from your IP address",
	     "policy-reputation"},
	    {"the recipient's email provider requires senders to be "
	     "authenticated",
	     "authentication"},
	    {"you've exceeded the number of messages you can send in a day",
	     "rate-limit"},
	    {"421 Service not available, closing transmission channel",
	     "other"},
	    /* an AUTH reply names the user logging in, not a recipient */
	    {"535 5.7.8 Invalid user or password", "authentication"},
	    {"535 auth_ldap - invalid user", "authentication"},
	    {"538 Encryption required for requested authentication mechanism",
	     "authentication"},
	    {"550 DomainKeys signature validation failed", "authentication"},
	    /* the server's own failures: nothing about the sender or mail */
	    {"451 4.3.0 DKIM signing failed", "other"},
	    {"451 Unable to scan for viruses, try later", "other"},
	    {"451 4.4.3 Temporary error checking recipient", "other"},
	    {"550 Message is not RFC 5322 compliant", "content"},
	    {"554 Error: invalid line ending in DATA", "content"},
	    {"552 Password-protected archives are not accepted", "content"},
	    {"550 Bounce messages must have one recipient only",
	     "policy-reputation"},
	    {"554 Your karma is too low", "policy-reputation"},
	    {"554 You talked before the SMTP greeting", "policy-reputation"},
	    {"553 5.1.7 Sender address syntax error", "policy-reputation"},
	    {"No valid route to remote MX for example.com", "routing"},
	    {"Temporary failure in MX lookup", "routing"},
	    {"501 5.1.2 Malformed recipient domain", "routing"},
	    {"550 5.1.2 Bad destination system address", "routing"},
	    {"No route to host", "connection"},
	    {"550 5.2.1 Subject is required", "content"},
	    {"554 5.7.0 Refusing to deliver a quarantined message", "content"},
	    {"554 Message header size exceeds policy limit", "content"},
	    {"500 5.0.0 Bare CRLF not allowed", "content"},
	    {"451 Spam scanner timed out", "other"},
	    {"451 4.3.0 Internal error while checking the message", "other"},
	    {"451 4.3.0 table lookup failure", "other"},
	    {"553 5.1.3 Malformed address", "other"},
	    {"550 5.1.1 Address literals are not accepted",
	     "policy-reputation"},
	    {"550 You talked too soon", "policy-reputation"},
	    {"452 4.5.3 null reverse path allows one recipient only",
	     "policy-reputation"},
	    {"451 4.3.0 sender domain disabled", "policy-reputation"},
	    {"450 4.2.1 recipient domain temporarily disabled", "other"},
	    {"550 5.2.1 the user or domain is disabled", "mailbox-disabled"},
	    {"Could not find the MX of example.com", "routing"},
	    {"No SMTP servers available for example.com", "routing"},
	    {"550 5.1.1 The domain no longer exists", "routing"},
	    {"Error: the server does not support REQUIRETLS", "authentication"},
	    {"Error: unexpected socket close", "connection"},
	    {"421 Too many unknown commands", "rate-limit"},
	    {"450 4.7.3 Organization queue quota exceeded", "rate-limit"},
	    {"Mail held: send limit (500) reached", "rate-limit"},
	    {"530 5.7.0 Please authenticate first", "authentication"},
	    {"501 5.7.1 DSN support is disabled", "other"},
	    {"550 5.6.7 SMTPUTF8 is required for this address", "other"},
	    {"553 Requested action not taken: mailbox name not allowed",
	     "other"},
	    {"421 4.7.0 Error: too many TLS sessions from 192.0.2.1",
	     "rate-limit"},
	    {"MessagingException: Unknown SMTP host: mx.example.com",
	     "routing"},
	    {"SmtpException: Exception reading response", "connection"},
	    {"500 Line length exceeded", "content"},
	    {"550 5.2.1 This account is disabled", "mailbox-disabled"},
	    {"550 SPF: 192.0.2.1 is not allowed to send for example.org",
	     "authentication"},
	    {"451 DNS error while checking the SPF record", "authentication"},
	    {"550 Line length is over 998 octets", "content"},
	    {"501 Illegal characters in address", "other"},
	    {"550 Too many invalid recipients", "rate-limit"},
	    {"552 Message line is too long", "content"},
	    {"554 5.7.1 Matched map: FORBIDDEN_FILE_EXTENSION", "content"},
	    {"554 DT:SPM mx1, please see the help page", "content"},
	    {"Error: expected at least TLS1_2 but got TLS_NONE", "connection"},
	    {"data: unexpected EOF", "connection"},
	    {"Das Postfach des Empf\xc3\xa4ngers ist voll", "mailbox-full"},
	    {"432 4.3.2 Concurrent connections limit exceeded", "rate-limit"},
	    {"La bo\xc3\xaete aux lettres du destinataire est pleine",
	     "mailbox-full"},
	    {"550 Bo\xc3\xaete aux lettres introuvable", "mailbox-unknown"},
	    {"Amazon SES has suppressed sending to this address because it "
	     "has a recent history of bouncing as an invalid address.",
	     "policy-reputation"},
	    /* a bare refusal that ends the text names no reason: other */
	    {"554 Message refused", "other"},
	    {"550 5.0.0 Message rejected.", "other"},
	    {"541 5.4.1 Mail rejected by destination domain", "other"},
	    {"554 Your message was rejected (in reply to end of DATA command)",
	     "other"},
	    {"550 Message rejected because of a blocked sender",
	     "policy-reputation"},
	    {"socket.gaierror: [Errno -3] Temporary failure in name resolution",
	     "routing"},
	    {"dial tcp: lookup mx.example.com on 127.0.0.11:53: read udp "
	     "172.17.0.2:41111->127.0.0.11:53: i/o timeout",
	     "routing"},
	    {"Error: queryMx ENODATA example.com", "routing"},
	    {"Error: queryA ETIMEOUT smtp.example.com", "routing"},
	    {"An existing connection was forcibly closed by the remote host.",
	     "connection"},
	    {"SMTP connect() failed.", "connection"},
	    {"550 5.5.0 <>: Data command rejected: Multi-recipient bounce",
	     "policy-reputation"},
	    {"550 5.4.6 Mail sent limit exceeded", "rate-limit"},
	    {"550 5.7.703 messages to x@example.com exceed the limit for "
	     "number of recipients",
	     "rate-limit"},
	    {"452 4.5.3 Domain policy size per transaction exceeded",
	     "rate-limit"},
	    {"451 Internal resource temporarily unavailable - "
	     "https://community.mimecast.com/docs/DOC-1369#451",
	     "rate-limit"},
	    {"554 Maximum email size exceeded", "content"},
	    {"454 4.5.0 SMTP protocol violation, no commands allowed to "
	     "pipeline after STARTTLS.",
	     "other"},
	    {"451 Message temporarily deferred due to unresolvable RFC.5321 "
	     "from domain",
	     "policy-reputation"},
	    {"550 black ip.", "policy-reputation"},
	    {"555 helohost error.", "policy-reputation"},
	    {"556 remote ip check error.", "policy-reputation"},
	    {"501 from domain not trusted", "policy-reputation"},
	    {"451 out of allow RCPT numbers.", "rate-limit"},
	    {"554 a loop was found in the mail exchanger list", "routing"},
	    {"The SMTP server has unexpectedly disconnected.", "connection"},
	    /* Cyrus LMTP, IndiMail qmail */
	    {"451 4.3.0 error connecting to the policy service", "other"},
	    {"temporary failure: unable to connect to clamd daemon", "other"},
	    {"550 5.7.1 Rejected: example.org does not designate 2001:db8::1 "
	     "as permitted sender",
	     "authentication"},
	    {"504 5.5.2 HELO must be an FQDN", "policy-reputation"},
	    {"550 Rejected: non-FQDN EHLO", "policy-reputation"},
	    {"501 5.5.2 invalid authentication mechanism", "authentication"},
	    {"554 5.6.0 Invalid message format", "content"},
	    {"421 4.4.1 no connection with the remote server", "connection"},
	    {"451 4.3.0 Server temporarily unavailable", "other"},
	    {"451 4.5.0 backend sent bad protocol", "other"},
	    /* Python aiosmtplib, asyncio */
	    {"SMTPConnectError: Error connecting to mx.example.net on port "
	     "587",
	     "connection"},
	    {"OSError: [Errno 111] Connect call failed ('198.51.100.7', 587)",
	     "connection"},
	    /* DMA, Haraka, Rspamd, vSMTP, ClamSMTP */
	    {"delivery failed: cannot open '/home/u/Maildir/tmp/x': Read-only "
	     "file system",
	     "other"},
	    {"451 4.3.0 rspamd timed out", "other"},
	    {"451 4.3.0 clamd connection failed", "other"},
	    {"503 5.5.1 STARTTLS already started", "other"},
	    {"504 5.7.4 Unrecognized authentication mechanism",
	     "authentication"},
	    {"554 5.7.1 ICAP threat detected: Eicar-Test-Signature", "content"},
	    {"552 Rejected: nested archive", "content"},
	    {"554 5.7.1 Insufficient authorization to relay",
	     "policy-reputation"},
	    /* Exim, Postfix, Mailu */
	    {"the DNS operator has installed an invalid MX record", "routing"},
	    {"host lookup for mail.example.net done insecurely", "routing"},
	    {"lookup failed for all hosts in dnslookup router", "routing"},
	    {"smtp transport found host mail.example.net to be local",
	     "routing"},
	    {"status=deferred (unable to find primary relay for "
	     "smarthost.example.net)",
	     "routing"},
	    {"Malformed LMTP reply after DATA", "other"},
	    {"451 4.3.5 Server configuration error", "other"},
	    {"cannot append message to file /var/mail/u: file is executable",
	     "other"},
	    {"451 4.7.1 Try again later (clamd not ready)", "other"},
	    {"write to mx.example.net failed: Broken pipe", "connection"},
	    {"554 5.7.1 Rejected (auth-failed)", "authentication"},
	    {"554 5.7.1 Malicious attachment", "content"},
	    {"no server was found that supports REQUIRETLS", "authentication"},
	    /* amavisd-new, Go net/smtp */
	    {"554 5.7.1 Rejected by next-hop MTA on relaying", "other"},
	    {"554 5.7.1 Rejected by next-hop MTA on relaying, from "
	     "MTA(smtp:[192.0.2.1]:10025): 550 5.1.1 <u@example.com>: "
	     "Recipient address rejected: User unknown in local recipient "
	     "table",
	     "mailbox-unknown"},
	    {"smtp: refusing to send AUTH over an unencrypted connection",
	     "connection"},
	    /* this host's own files and commands, a client's protocol slip */
	    {"mail to command is restricted", "other"},
	    {"451 4.3.0 read error on /etc/aliases.db", "other"},
	    {"500 5.5.2 Command line is too long", "other"},
	    {"TLS attempted on a non-TLS port", "other"},
	    /* wording families of public bounce-category lists (PowerMTA's
	     * default patterns, KumoMTA's community rules) */
	    {"550 recipient <u@example.com> not valid", "mailbox-unknown"},
	    {"550 The address you wrote to was not recognised",
	     "mailbox-unknown"},
	    {"550 User jdoe unknown", "mailbox-unknown"},
	    {"553 sorry, no mail-box exists for u", "mailbox-unknown"},
	    {"550 The recipient does not have a mailbox on this host",
	     "mailbox-unknown"},
	    {"550 Address has been permanently deactivated",
	     "mailbox-disabled"},
	    {"550 Account is not active", "mailbox-disabled"},
	    {"550 Conta inativa", "mailbox-disabled"},
	    {"552 mailbox limit exeeded for this address", "mailbox-full"},
	    {"550 DmarcFail: message refused", "authentication"},
	    {"554 5.4.0 MailLoop", "routing"},
	    {"defer (-1): remote host address is the local host", "routing"},
	    {"553 Sender Domain Resolve Fail", "policy-reputation"},
	    {"550 This IP isn't allowed to relay", "policy-reputation"},
	    {"550 Sender is on the recipient's deny list", "policy-reputation"},
	    {"delivery failed: Permission denied (euid=8)", "other"},
	    {"delivery to program is restricted", "other"},
	    {"421 Pipelining not allowed", "other"},
	    /* the words over an x.4.4 code */
	    {"451 4.4.4 delivery to example.com throttled, retry in 2s",
	     "rate-limit"},
	    /* Momentum's documented replies, Postfix's SPF pointer */
	    {"550 Rejected, see https://www.openspf.net/Why?s=mfrom",
	     "authentication"},
	    {"451 4.3.0 system resources exhausted, try later", "other"},
	    {"450 4.4.5 concurrency limit exceeded for example.com",
	     "rate-limit"},
	    {"None of the MX hosts for example.com could be reached",
	     "connection"},
	    {"553 forbidden sender host mail.example.org", "policy-reputation"},
	    {"554 Malformed MIME structure", "content"},
	    {"521 5.2.1 Example will not accept this message",
	     "policy-reputation"},
	    {"SASL: no authenticator found", "authentication"},
	    {"SMTP session failed: write error", "connection"},
	    {"Routing failure for example.com", "routing"},
	    {"451 DNS resolving failed for example.com", "routing"},
	    {"421 The client IP 192.0.2.7 was filtered", "policy-reputation"},
	    {"unexpected end of stream", "connection"},
	    {"550 5.1.1 Disabled mailbox", "mailbox-disabled"},
	    {"550 Relay attempt denied", "policy-reputation"},
	    {"550 Recipient not local, relaying denied here",
	     "policy-reputation"},
	    {"550 Sender address does not match the authenticated user",
	     "policy-reputation"},
	    {"553 From address is not valid", "policy-reputation"},
	    {"554 Duplicate mail refused", "content"},
	    {"552 5.3.4 too long message lines", "content"},
	    /* the SENDER's account quota is a sending limit, not a full box */
	    {"452 Your account has exceeded its daily message quota",
	     "rate-limit"},
	    {"550 Your message was rejected by the receiving mail system",
	     "other"},
	    {"554 Message refused. Please contact the postmaster.", "other"},
	    /* a server's reply saying it is all the same a refusal */
	    {"554 Permission denied", "policy-reputation"},
	    /* no other rule, no code: the lastresort block's fallback rules
	     * (an IP address is not a code) */
	    {"the link was lost", "connection"},
	    {"the link was lost (192.0.2.45)", "connection"},
	    {"loop", "routing"},
	    /* ... which, like any rule, look on past a word in an address */
	    {"<lost@example.org>: the link was lost", "connection"},
	};
	struct shipped *s = *state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct classify_result r =
		    classify_text(s->c, cases[i].text, strlen(cases[i].text));

		if (strcmp(classify_category_name(r.category), cases[i].want) !=
			0 ||
		    r.rule < 0)
			fail_msg("'%s': want %s by a rule, got %s (rule %d)",
				 cases[i].text, cases[i].want,
				 classify_category_name(r.category), r.rule);
	}
	/* Localised words need a recipient noun: the sender's is not one. */
	assert_string_equal(
	    cat_of(s->c, "550 Adresse de l'expediteur inconnue"),
	    "policy-reputation");
	/* The sender's address or account switched off is not the
	 * recipient's. */
	assert_string_equal(cat_of(s->c, "550 Sender address disabled"),
			    "policy-reputation");
	assert_string_equal(
	    cat_of(s->c, "550 message sending for this account is disabled"),
	    "policy-reputation");
	/* "malformed" alone says nothing of the message */
	assert_string_equal(cat_of(s->c, "451 malformed value in router "
					 "configuration"),
			    "other");
	/* A queue's maximum age is no message size: its code decides. */
	assert_string_equal(
	    cat_of(s->c, "554 5.4.7 message lifetime exceeds max_age=5d"),
	    "other");
	/* A syntactically invalid recipient says nothing of the mailbox. */
	assert_string_equal(cat_of(s->c, "550 syntactically invalid recipient"),
			    "other");
}

static void expect_status(const char *text, size_t len, const char *status,
			  int permanent)
{
	struct classify_result r = classify_text(NULL, text, len);

	if (strcmp(r.status, status) != 0 || r.permanent != permanent)
		fail_msg("'%.*s': want '%s'/%d, got '%s'/%d", (int)len, text,
			 status, permanent, r.status, r.permanent);
}

/* The enhanced code: first real one, not an IP, not Yahoo's 4.16.55.1. */
static void test_status(void **state)
{
	(void)state;
	expect_status("550 5.1.1 User unknown", 22, "5.1.1", 1);
	expect_status("550-5.7.26 x", 12, "5.7.26", 1);
	expect_status("421 4.7.0 [TSS04] ... - 4.16.55.1; see", 38, "4.7.0", 0);
	expect_status("4.16.55.1 only", 14, "", 0);
	expect_status("host mx[192.0.2.44] said: 550 5.1.1 x", 37, "5.1.1", 1);
	expect_status("[2.5.4.4] said: 451 4.4.2 x", 27, "4.4.2", 0);
	expect_status("Resources temporarily unavailable [#4.16.1].", 44,
		      "4.16.1", 0);
	expect_status("dsn=5.4.4, status=bounced", 25, "5.4.4", 1);
	expect_status("550 5.1.100 x", 13, "5.1.100", 1);
	expect_status("550 5.1.1000 x", 14, "", 0);
	expect_status("v5.1.1 and 3.1.1", 16, "", 0);
	/* a quoted-printable space separates; digits alone do not */
	expect_status("550=205.1.1=20User=20unknown", 28, "5.1.1", 1);
	expect_status("550 x205.1.1 and 1205.1.1", 25, "", 0);
	/* inside a name: after '@', or glued to a letter after it */
	expect_status("unknown alias <a@4.4.4am.example>", 33, "", 0);
	expect_status("host 5.4.4b.example down", 24, "", 0);
	expect_status("Giving up (#5.1.1)", 18, "5.1.1", 1);
	expect_status("no code here", 12, "", 0);
	expect_status("550 5.1.", 8, "", 0);
	/* len bounds the text: the code past it is not seen */
	expect_status("550 5.1.1 x", 7, "", 0);
	expect_status("550 5.1.1 x", 9, "5.1.1", 1);
	expect_status(NULL, 0, "", 0);
}

/* Any byte may come from an MTA: NUL, invalid UTF-8, control bytes. */
static void test_arbitrary_bytes(void **state)
{
	struct shipped *s = *state;
	static const char t1[] =
	    "550 5.7.1 \xff\xfe\xc3( \x00 User unknown \x1b[0m";
	static const char t2[] =
	    "\xc3\x28\xa0\xa1 Name service error for name=x";
	char big[LIMIT_LOG_LINE];
	struct classify_result r;

	r = classify_text(s->c, t1, sizeof(t1) - 1);
	assert_string_equal(classify_category_name(r.category),
			    "mailbox-unknown");
	assert_string_equal(r.status, "5.7.1");
	r = classify_text(s->c, t2, sizeof(t2) - 1);
	assert_string_equal(classify_category_name(r.category), "routing");
	memset(big, 0xff, sizeof(big));
	memcpy(big + sizeof(big) - 20, "user unknown", 12);
	r = classify_text(s->c, big, sizeof(big));
	assert_string_equal(classify_category_name(r.category),
			    "mailbox-unknown");
}

/* A hand-built policy with the given rules ("fallback CATEGORY /RE/": a
 * fallback rule, "guarded CATEGORY /RE/": a guarded rule, "guard /RE/": an
 * address guard, not a rule), entry i at hand.ini:10+i; rules[] keeps the
 * rules in order, guards[] the guards. */
static struct policy *hand_policy(const char *const *rules, size_t n)
{
	struct policy *p = calloc(1, sizeof(*p));

	assert_non_null(p);
	for (size_t i = 0; i < n; i++) {
		int fb = strncmp(rules[i], "fallback ", 9) == 0;
		int gd = strncmp(rules[i], "guarded ", 8) == 0;
		int guard = strncmp(rules[i], "guard /", 7) == 0;
		const char *rule = rules[i] + (fb ? 9 : gd ? 8 : 0);
		const char *sp = strchr(rule, ' ');
		const char *re = sp + 2, *end = strrchr(re, '/');
		struct policy_rule *r =
		    guard ? &p->guards[p->nguards++] : &p->rules[p->nrules++];

		r->fallback = fb;
		r->guarded = gd;
		snprintf(r->category, sizeof(r->category), "%.*s",
			 guard ? 0 : (int)(sp - rule), rule);
		r->regex = strndup(re, (size_t)(end - re));
		r->caseless = end[1] == 'i';
		r->file = strdup("hand.ini");
		r->line = (int)i + 10;
	}
	return p;
}

static void hand_free(struct policy *p)
{
	for (size_t i = 0; i < p->nrules; i++) {
		free(p->rules[i].regex);
		free(p->rules[i].file);
	}
	for (size_t i = 0; i < p->nguards; i++) {
		free(p->guards[i].regex);
		free(p->guards[i].file);
	}
	free(p);
}

/* A classifier of hand_policy(@rules, @n), built or the test fails; the
 * policy is left in *@pp for hand_classifier_free(). */
static struct classifier *hand_classifier(const char *const *rules, size_t n,
					  struct policy **pp)
{
	struct classifier *c = NULL;
	char err[256];

	*pp = hand_policy(rules, n);
	if (classify_new(*pp, &c, err, sizeof(err)) != 0)
		fail_msg("classify_new: %s", err);
	return c;
}

static void hand_classifier_free(struct classifier *c, struct policy *p)
{
	classify_free(c);
	hand_free(p);
}

/* A text, the rule that must decide it (-1: none, the status code or
 * other) and the category it must get. */
struct rule_case {
	const char *text;
	int rule;
	enum classify_category want;
};

/* expect_rule_cases - every case decided by its rule and category, the
 * prefilter (classify_text) and every rule in order (classify_text_each)
 * agreeing on the rule, or the test fails naming the text. */
static void expect_rule_cases(struct classifier *c,
			      const struct rule_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct classify_result r =
		    classify_text(c, cases[i].text, strlen(cases[i].text));

		if (r.rule != cases[i].rule || r.category != cases[i].want ||
		    classify_text_each(c, cases[i].text, strlen(cases[i].text))
			    .rule != r.rule)
			fail_msg("'%s': rule %d (%s), want %d (%s)",
				 cases[i].text, r.rule,
				 classify_category_name(r.category),
				 cases[i].rule,
				 classify_category_name(cases[i].want));
	}
}

/* First matching rule wins; /i is honoured; no rules: code only. */
static void test_hand_rules(void **state)
{
	static const char *const rules[] = {
	    "content /virus/i",
	    "mailbox-full /quota/",
	    "other /virus|quota/i",
	};
	struct policy *p, *none;
	struct classifier *c = hand_classifier(rules, 3, &p);
	struct classify_result r;

	(void)state;
	r = classify_text(c, "VIRUS found", 11);
	assert_int_equal(r.category, CLASSIFY_CONTENT);
	assert_int_equal(r.rule, 0);
	r = classify_text(c, "over quota", 10);
	assert_int_equal(r.category, CLASSIFY_MAILBOX_FULL);
	assert_int_equal(r.rule, 1);
	r = classify_text(c, "over QUOTA", 10); /* rule 1 is case-sensitive */
	assert_int_equal(r.category, CLASSIFY_OTHER);
	assert_int_equal(r.rule, 2);
	r = classify_text(c, "552 5.2.2 full", 14);
	assert_int_equal(r.category, CLASSIFY_MAILBOX_FULL);
	assert_int_equal(r.rule, -1);
	hand_classifier_free(c, p);

	c = hand_classifier(NULL, 0, &none);
	assert_int_equal(classify_text(c, "550 5.1.1 x", 11).category,
			 CLASSIFY_MAILBOX_UNKNOWN);
	hand_classifier_free(c, none);
	classify_free(NULL);
}

/* An x.4.4 code (no mail host, unable to route) is never address-level: an
 * address-level rule that matches its words gives way to routing. */
static void test_x44_never_address_level(void **state)
{
	static const char *const rules[] = {
	    "mailbox-unknown /user unknown/i",
	    "mailbox-disabled /disabled/i",
	};
	struct policy *p;
	struct classifier *c = hand_classifier(rules, 2, &p);
	struct classify_result r;

	(void)state;
	r = classify_text(c, "550 5.4.4 User unknown", 22);
	assert_int_equal(r.category, CLASSIFY_ROUTING);
	assert_int_equal(r.rule, -1);
	assert_string_equal(r.status, "5.4.4");
	r = classify_text(c, "451 4.4.4 account disabled", 26);
	assert_int_equal(r.category, CLASSIFY_ROUTING);
	r = classify_text(c, "550 5.1.1 User unknown", 22);
	assert_int_equal(r.category, CLASSIFY_MAILBOX_UNKNOWN);
	assert_int_equal(r.rule, 0);
	hand_classifier_free(c, p);
}

/* A whole bounce is read without its returned message (classify_norm.c):
 * the original's Subject and body are the sender's words. Quoted Subject
 * lines are empty, a line break with its blanks is one space, invisible
 * characters are dropped and look-alike letters in an ASCII word are
 * ASCII. */
static void test_whole_bounce_report(void **state)
{
	static const char *const rules[] = {
	    "other /\\bI am away\\b/i",
	    "content /\\bOPE\\b/",
	    "policy-reputation /\\bSender address/i",
	    "mailbox-full /quota/i",
	    "mailbox-unknown /user unknown/i",
	};
	static const struct {
		const char *text;
		enum classify_category want;
	} cases[] = {
	    /* the report decides, not the returned message or its Subject */
	    {"<b@example.net>: 552 5.2.2 quota\\n\\n------ This is a copy of "
	     "the message, including all the headers. ------\\nuser unknown",
	     CLASSIFY_MAILBOX_FULL},
	    {"550 5.1.1 User unknown\\n--- Below this line is a copy of the "
	     "message.\\nSubject: over quota",
	     CLASSIFY_MAILBOX_UNKNOWN},
	    {"Remote Server returned '552 quota'\\nOriginal message "
	     "headers:\\nSubject: user unknown",
	     CLASSIFY_MAILBOX_FULL},
	    {"451 4.3.0 try later\\nReturn-Path: <a@example.org>\\nuser "
	     "unknown",
	     CLASSIFY_OTHER},
	    {"Status: 4.4.1\nSubject: Re: user unknown\nconnect timed out",
	     CLASSIFY_CONNECTION},
	    {"The subject of the message is: user unknown\\n  Connection "
	     "refused",
	     CLASSIFY_OTHER},
	    {"Your mail with the subject\\n\\n    user unknown\\n\\nIs being "
	     "held",
	     CLASSIFY_OTHER},
	    /* a marker with nothing before it cuts nothing */
	    {"Return-Path: <a@example.org>\\n550 user unknown",
	     CLASSIFY_MAILBOX_UNKNOWN},
	    /* a word after a flattened line break is a word */
	    {"Subject: away\\nI am away until Monday. user unknown",
	     CLASSIFY_OTHER},
	    /* a folded line: the break and its blanks are one space */
	    {"550 User\\n        unknown", CLASSIFY_MAILBOX_UNKNOWN},
	    {"550 User \r\n\tunknown", CLASSIFY_MAILBOX_UNKNOWN},
	    /* invisible and look-alike letters */
	    {"550 Sen\xe2\x80\x8b"
	     "der address rejected: user unknown",
	     CLASSIFY_POLICY_REPUTATION},
	    {"550 \xd0\x85\xd0\xb5nder address rejected: user unknown",
	     CLASSIFY_POLICY_REPUTATION},
	    {"550 User\xc2\xa0unknown", CLASSIFY_MAILBOX_UNKNOWN},
	    /* a word wholly in Cyrillic is left alone, a mixed one is not */
	    {"550 \xd0\x9e\xd0\xa0\xd0\x95 user unknown",
	     CLASSIFY_MAILBOX_UNKNOWN},
	    {"550 \xd0\x9ePE user unknown", CLASSIFY_CONTENT},
	};
	struct policy *p;
	struct classifier *c = hand_classifier(rules, 5, &p);

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct classify_result r =
		    classify_text(c, cases[i].text, strlen(cases[i].text));

		if (r.category != cases[i].want)
			fail_msg("case %zu: got %s: %s", i,
				 classify_category_name(r.category),
				 cases[i].text);
	}
	hand_classifier_free(c, p);
}

/* Words wholly inside a name are not the reply's: every rule skips a match
 * inside an address and looks further on; a match inside a URL or host
 * name never counts for an address-level rule, and for another rule only
 * when no rule matches the reply's own words (a block list's host or a
 * help page may be the only reason given). */
static void test_words_in_names(void **state)
{
	static const char *const rules[] = {
	    "mailbox-unknown /user.unknown/i",
	    "mailbox-full /quota/i",
	    "other /spam/",
	};
	static const struct {
		const char *text;
		int rule;
	} cases[] = {
	    {"550 5.1.1 User unknown", 0},
	    {"550 <user.unknown@example.com>: spam", 2},
	    {"see https://example.net/kb/user-unknown for spam", 2},
	    {"550 5.7.1 spam (mx.user-unknown.example.net)", 2},
	    {"RESOLVER.User_Unknown.Rejected spam", 0},
	    {"<user-unknown@example.com>: User unknown", 0},
	    {"550 5.1.1 <quota@example.org>: user unknown", 0},
	    {"<quota@example.org>: spam", 2},
	    {"spam, see https://example.net/quota", 2},
	    {"mx.quota.example.net: spam", 2},
	    {"User unknown; see https://example.net/quota", 0},
	    {"550 see https://example.net/quota", 1},
	    {"mx.quota.example.net", 1},
	    {"https://example.net/user-unknown", -1},
	};
	struct policy *p;
	struct classifier *c = hand_classifier(rules, 3, &p);

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct classify_result r =
		    classify_text(c, cases[i].text, strlen(cases[i].text));

		if (r.rule != cases[i].rule ||
		    classify_text_each(c, cases[i].text, strlen(cases[i].text))
			    .rule != r.rule)
			fail_msg("'%s': rule %d, want %d", cases[i].text,
				 r.rule, cases[i].rule);
	}
	hand_classifier_free(c, p);
}

/*
 * Fallback rules (fallback_rule) read only a text that no rule matched (in
 * its words or in a name) and that holds no enhanced status code, whatever
 * the code says (a 2.0.0, a 5.0.0 that is other): in policy order wherever
 * written, a match in a name only when none matches the words, then other.
 * The prefilter filters them; --explain says "fallback rule FILE:LINE".
 */
static void test_fallback_rules(void **state)
{
	static const char *const rules[] = {
	    "fallback connection /\\blost\\b/i",
	    "mailbox-full /quota/i",
	    "fallback rate-limit /\\b(rate|lost)\\b/i",
	    "fallback routing /\\bloop\\b/i",
	};
	static const struct rule_case cases[] = {
	    /* no rule, no code: the first fallback rule that matches */
	    {"the link was lost", 0, CLASSIFY_CONNECTION},
	    {"LOST", 0, CLASSIFY_CONNECTION},
	    {"rate", 2, CLASSIFY_RATE_LIMIT},
	    {"a mail loop", 3, CLASSIFY_ROUTING},
	    {"nothing to read", -1, CLASSIFY_OTHER},
	    /* a rule wins over a fallback rule written before it */
	    {"over quota, the link was lost", 1, CLASSIFY_MAILBOX_FULL},
	    /* ... and so does a rule's match in a URL or host name */
	    {"see https://example.net/quota: the link was lost", 1,
	     CLASSIFY_MAILBOX_FULL},
	    /* an enhanced code keeps them out: it decides, other or not */
	    {"452 4.2.2 the link was lost", -1, CLASSIFY_MAILBOX_FULL},
	    {"550 5.0.0 the link was lost", -1, CLASSIFY_OTHER},
	    {"250 2.0.0 the link was lost", -1, CLASSIFY_OTHER},
	    {"550=205.7.1=20the link was lost", -1, CLASSIFY_POLICY_REPUTATION},
	    {"550 5.1.1 the link was lost", -1, CLASSIFY_MAILBOX_UNKNOWN},
	    /* ... what classify_find_status does not read as one does not */
	    {"the link was lost (192.0.2.45)", 0, CLASSIFY_CONNECTION},
	    {"the link was lost (v5.1.1)", 0, CLASSIFY_CONNECTION},
	    /* words in an address do not count: the rule looks on */
	    {"<lost@example.org>: mail loop", 3, CLASSIFY_ROUTING},
	    {"<lost@example.org>: lost", 0, CLASSIFY_CONNECTION},
	    /* a match in a URL counts only when none is in the words */
	    {"see https://example.net/lost: rate", 2, CLASSIFY_RATE_LIMIT},
	    {"see https://example.net/lost", 0, CLASSIFY_CONNECTION},
	};
	struct policy *p;
	struct classifier *c = hand_classifier(rules, 4, &p);
	struct classify_result r;
	char why[CLASSIFY_EXPLAIN_LEN];

	(void)state;
	assert_int_equal(classify_rules_filtered(c), 4);
	expect_rule_cases(c, cases, sizeof(cases) / sizeof(cases[0]));
	r = classify_text(c, "the link was lost", 17);
	assert_string_equal(classify_explain(c, &r, why, sizeof(why)),
			    "fallback rule hand.ini:10");
	r = classify_text(c, "over quota", 10);
	assert_string_equal(classify_explain(c, &r, why, sizeof(why)),
			    "hand.ini:11");
	r = classify_text(c, "550 5.0.0 the link was lost", 27);
	assert_string_equal(classify_explain(c, &r, why, sizeof(why)),
			    "status code 5.0.0");
	r = classify_text(c, "nothing", 7);
	assert_string_equal(classify_explain(c, &r, why, sizeof(why)),
			    "no rule, no status code");
	/* without a classifier the code alone decides, as before */
	assert_int_equal(classify_text(NULL, "the link was lost", 17).category,
			 CLASSIFY_OTHER);
	hand_classifier_free(c, p);
}

/*
 * The shipped login guard's words: a login or authentication word, in a
 * compound too (SmtpAuthenticationError, smtp_auth, BadCredentials), makes
 * the guarded rule step aside; "author", "authority", "authorized" (a
 * permission, not a login: "you do not have authorization to see it" comes
 * with an unknown mailbox) and "log" ending another word (blogin, dialog
 * in) or before another word ("the log indicates") do not.
 */
static void shipped_login_guard(const struct shipped *s)
{
	static const char base[] =
	    "550 bob@example.com is not a registered user";
	static const struct {
		const char *tail;
		int aside; /* 1: the guarded rule steps aside */
	} cases[] = {
	    {"", 0},
	    {" (see the author)", 0},
	    {" (authority)", 0},
	    {"; you do not have authorization to see it", 0},
	    {" (blogin)", 0},
	    {": dialog in progress", 0},
	    {": the log indicates it", 0},
	    {": LOGIN", 1},
	    {": log in first", 1},
	    {": log into the portal", 1},
	    {" (fixed_login)", 1},
	    {" (SmtpAuthenticationError)", 1},
	    {": smtp_auth_disabled", 1},
	    {": AUTH", 1},
	    {": BadCredentials", 1},
	    {": passwd", 1},
	};
	char text[160];
	struct classify_result r;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text), "%s%s", base, cases[i].tail);
		r = classify_text(s->c, text, strlen(text));
		if ((r.naside > 0) != cases[i].aside ||
		    (!cases[i].aside &&
		     (r.rule < 0 || !s->p->rules[r.rule].guarded)))
			fail_msg("'%s': %s (rule %d, %d stepped aside), want "
				 "%s",
				 text, classify_category_name(r.category),
				 r.rule, r.naside,
				 cases[i].aside
				     ? "the guarded rule to step aside"
				     : "a guarded rule to decide");
	}
}

/*
 * Two gates read sender and login words: the status code's word guard
 * (classify_guard.c, the engine's own list, for a bare 5.1.1/5.2.1) and
 * the shipped address guards (policy/classifier.ini, for guarded rules).
 * Not one job (classify_guard.c says why), but one vocabulary for the
 * login words and a deliberate split of the sender words: this table pins
 * both sides, so a word added to or dropped from one fails here until the
 * other side is decided too.
 */
static void test_guard_vocabulary(void **state)
{
	struct shipped *s = *state;
	static const struct {
		const char *word;
		int code;  /* 1: a 5.1.1 whose reply says it is not trusted */
		int guard; /* 1: a guarded rule steps aside */
	} words[] = {
	    /* the login words: the same in both */
	    {"login", 1, 1},
	    {"logon", 1, 1},
	    {"sasl", 1, 1},
	    {"auth", 1, 1},
	    {"authentication", 1, 1},
	    {"authenticated", 1, 1},
	    {"password", 1, 1},
	    {"passwords", 1, 1},
	    {"passwd", 1, 1},
	    {"credential", 1, 1},
	    {"credentials", 1, 1},
	    /* a permission or a writer, not a login: neither */
	    {"author", 0, 0},
	    {"authority", 0, 0},
	    {"authorized", 0, 0},
	    /* the sender's own word: both */
	    {"sender", 1, 1},
	    {"senders", 1, 1},
	    /* read with a guarded rule's recipient words only */
	    {"from", 0, 1},
	    {"sending", 0, 1},
	    {"your account", 0, 1},
	    /* any language's reply to a code; the guarded rules are English
	     * wordings and other languages' rules keep their own lookaheads */
	    {"absender", 1, 0},
	    {"afzender", 1, 0},
	    {"expediteur", 1, 0},
	    {"mittente", 1, 0},
	    {"remetente", 1, 0},
	    {"remitente", 1, 0},
	    {"originator", 1, 0},
	    {"origin", 1, 0},
	    {"return", 1, 0},
	    {"mailfrom", 1, 0},
	};
	char text[160];
	struct classify_result r;

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		snprintf(text, sizeof(text), "550 5.1.1 <a@example.org>: %s",
			 words[i].word);
		r = classify_text(NULL, text, strlen(text));
		if ((r.category == CLASSIFY_OTHER) != words[i].code ||
		    (words[i].code && strcmp(r.guard, words[i].word) != 0))
			fail_msg(
			    "'%s': %s (guard '%s'): classify_guard.c's list "
			    "and this table differ; decide the address "
			    "guards (policy/classifier.ini) too",
			    text, classify_category_name(r.category), r.guard);
		snprintf(text, sizeof(text),
			 "550 bob@example.com is not a registered user: %s",
			 words[i].word);
		r = classify_text(s->c, text, strlen(text));
		if ((r.naside > 0) != words[i].guard)
			fail_msg(
			    "'%s': %d guarded rules stepped aside: the "
			    "address guards (policy/classifier.ini) and this "
			    "table differ; decide classify_guard.c's list too",
			    text, r.naside);
	}
}

/*
 * The shipped address guards (policy/classifier.ini's address_guard lines)
 * and its guarded rules: the same recipient words decide mailbox-unknown,
 * by a guarded rule, until the text says they are the sender's or a
 * login's; then no guarded rule decides.
 */
static void test_shipped_address_guard(void **state)
{
	struct shipped *s = *state;
	static const char *const rcpt[] = {
	    "550 bob@example.com is not a registered user",
	    "554 delivery error: no mailbox is associated with this address",
	    "550 5.1.1 recipient record not found",
	};
	static const char *const sender[] = {
	    "550 The sender bob@example.com is not a registered user",
	    "554 your account: no mailbox is associated with this address",
	    "550 login failed: recipient record not found",
	};
	struct classify_result r;

	assert_true(s->p->nguards >= 2);
	for (size_t i = 0; i < sizeof(rcpt) / sizeof(rcpt[0]); i++) {
		r = classify_text(s->c, rcpt[i], strlen(rcpt[i]));
		if (r.category != CLASSIFY_MAILBOX_UNKNOWN || r.rule < 0 ||
		    !s->p->rules[r.rule].guarded)
			fail_msg("'%s': %s (rule %d), want mailbox-unknown by "
				 "a guarded rule",
				 rcpt[i], classify_category_name(r.category),
				 r.rule);
		r = classify_text(s->c, sender[i], strlen(sender[i]));
		if (r.category == CLASSIFY_MAILBOX_UNKNOWN ||
		    r.category == CLASSIFY_MAILBOX_DISABLED)
			fail_msg("'%s': %s (rule %d), want no address-level "
				 "category",
				 sender[i], classify_category_name(r.category),
				 r.rule);
	}
	shipped_login_guard(s);
}

/*
 * The hand-written rules of test_address_guard and test_explain_aside:
 * four rules (0-3; two guarded), then two address guards. The first
 * GUARD_RULES_NRULES alone are the same rules without the guards.
 */
static const char *const guard_rules[] = {
    "guarded mailbox-unknown /\\bno such user\\b/i",
    "mailbox-unknown /\\buser unknown\\b/i",
    "other /\\bno such\\b/i",
    "guarded mailbox-disabled /\\baccount disabled\\b/i",
    "guard /\\bsender\\b/i",
    "guard /\\blog ?in\\b/i",
};
#define GUARD_RULES_NRULES 4

/*
 * Address guards (address_guard) keep guarded rules (guarded_rule) from
 * deciding a text about the sender's address or a login account: the text
 * goes on to the next rules, then the status code. A plain address-level
 * rule is not guarded; a guard's match inside a name does not count. The
 * "sender" cases fail without the guard (the guarded rule decides them
 * mailbox-unknown, as the unguarded classifier below shows).
 */
static void test_address_guard(void **state)
{
	static const struct rule_case cases[] = {
	    /* no guard matches: the guarded rule decides */
	    {"550 no such user here", 0, CLASSIFY_MAILBOX_UNKNOWN},
	    {"550 account disabled", 3, CLASSIFY_MAILBOX_DISABLED},
	    /* a guard matches: the guarded rule steps aside, the next rule
	     * that matches decides */
	    {"550 sender <a@example.org>: no such user", 2, CLASSIFY_OTHER},
	    {"550 SENDER: no such user", 2, CLASSIFY_OTHER},
	    {"your login account disabled", -1, CLASSIFY_OTHER},
	    /* ... then the status code, with its own word guard */
	    {"550 5.2.1 login account disabled", -1, CLASSIFY_OTHER},
	    {"550 5.1.1 sender verified; account disabled", -1, CLASSIFY_OTHER},
	    /* a plain address-level rule is not guarded */
	    {"550 sender ok, user unknown", 1, CLASSIFY_MAILBOX_UNKNOWN},
	    /* a guard's words inside a name do not count */
	    {"<sender@example.org>: no such user", 0, CLASSIFY_MAILBOX_UNKNOWN},
	    {"see https://example.net/login: account disabled", 3,
	     CLASSIFY_MAILBOX_DISABLED},
	    {"mx.login.example.net: no such user", 0, CLASSIFY_MAILBOX_UNKNOWN},
	    /* the guard reads the whole text, before or after the words */
	    {"no such user (sender: a@example.org)", 2, CLASSIFY_OTHER},
	};
	struct policy *p, *bare;
	struct classifier *c = hand_classifier(
			      guard_rules,
			      sizeof(guard_rules) / sizeof(guard_rules[0]), &p),
			  *unguarded;
	struct classify_result r;
	char why[CLASSIFY_EXPLAIN_LEN];

	(void)state;
	assert_int_equal(p->nrules, GUARD_RULES_NRULES);
	assert_int_equal(p->nguards, 2);
	expect_rule_cases(c, cases, sizeof(cases) / sizeof(cases[0]));
	r = classify_text(c, "550 sender: no such user", 24);
	assert_string_equal(classify_explain(c, &r, why, sizeof(why)),
			    "hand.ini:12");
	/* the same rules without the guards: the guarded rule decides */
	unguarded = hand_classifier(guard_rules, GUARD_RULES_NRULES, &bare);
	r = classify_text(unguarded, "550 sender: no such user", 24);
	assert_int_equal(r.rule, 0);
	assert_int_equal(r.category, CLASSIFY_MAILBOX_UNKNOWN);
	hand_classifier_free(unguarded, bare);
	hand_classifier_free(c, p);
}

/* The result names the guarded rules that matched and stepped aside, and
 * the guard that made them; classify_explain_aside() says it (retryctl
 * classify --explain's fourth field, show's note), "" when none did. */
static void test_explain_aside(void **state)
{
	static const char *const many[] = {
	    "guarded mailbox-unknown /a/",
	    "guarded mailbox-unknown /b/",
	    "guarded mailbox-unknown /c/",
	    "guarded mailbox-disabled /d/",
	    "guarded mailbox-unknown /e/",
	    "guarded mailbox-unknown /f/",
	    "content /f/",
	    "guard /sender/",
	};
	struct policy *p;
	struct classifier *c = hand_classifier(
	    guard_rules, sizeof(guard_rules) / sizeof(guard_rules[0]), &p);
	struct classify_result r;
	char why[CLASSIFY_EXPLAIN_LEN], small[20];
	const char *t;

	(void)state;
	t = "550 sender <a@example.org>: no such user";
	r = classify_text(c, t, strlen(t));
	assert_int_equal(r.rule, 2);
	assert_int_equal(r.naside, 1);
	assert_int_equal(r.aside[0], 0);
	assert_int_equal(r.aside_guard, 0);
	assert_string_equal(classify_explain(c, &r, why, sizeof(why)),
			    "hand.ini:12");
	assert_string_equal(classify_explain_aside(c, &r, why, sizeof(why)),
			    "guarded rule hand.ini:10 stepped aside: guard "
			    "hand.ini:14 matched");
	/* the status code decides after it: still said */
	t = "550 5.2.1 your login account disabled";
	r = classify_text(c, t, strlen(t));
	assert_int_equal(r.rule, -1);
	assert_int_equal(r.category, CLASSIFY_OTHER);
	assert_string_equal(classify_explain_aside(c, &r, why, sizeof(why)),
			    "guarded rule hand.ini:13 stepped aside: guard "
			    "hand.ini:15 matched");
	/* nothing stepped aside: "" */
	for (size_t i = 0; i < 3; i++) {
		static const char *const none[] = {
		    "550 no such user here",
		    "<sender@example.org>: no such user", "nothing at all"};

		r = classify_text(c, none[i], strlen(none[i]));
		assert_int_equal(r.naside, 0);
		assert_int_equal(r.aside_guard, -1);
		assert_string_equal(
		    classify_explain_aside(c, &r, why, sizeof(why)), "");
	}
	assert_string_equal(classify_explain_aside(NULL, &r, why, sizeof(why)),
			    "");
	/* the same text with and without the prefilter: the same result */
	t = "550 sender: no such user";
	r = classify_text(c, t, strlen(t));
	{
		struct classify_result e = classify_text_each(c, t, strlen(t));

		assert_memory_equal(&r, &e, sizeof(r));
	}
	/* a cut buffer is still terminated */
	assert_int_equal(
	    strlen(classify_explain_aside(c, &r, small, sizeof(small))),
	    sizeof(small) - 1);
	hand_classifier_free(c, p);

	/* past CLASSIFY_ASIDE_MAX, how many more */
	c = hand_classifier(many, 8, &p);
	t = "abcdef from the sender";
	r = classify_text(c, t, strlen(t));
	assert_int_equal(r.rule, 6);
	assert_int_equal(r.naside, 6);
	assert_string_equal(classify_explain_aside(c, &r, why, sizeof(why)),
			    "guarded rules hand.ini:10, hand.ini:11, "
			    "hand.ini:12, hand.ini:13 and 2 more stepped "
			    "aside: guard hand.ini:17 matched");
	hand_classifier_free(c, p);
}

/* A bad rule is refused with the file and line it came from; a fallback
 * rule may not be address-level, a guarded rule must be; a bad address
 * guard is refused at its line too. */
static void test_bad_rules(void **state)
{
	static const char *const badcat[] = {"routing /x/", "spam /y/"};
	static const char *const badre[] = {"routing /(unclosed/i"};
	static const char *const badfb[] = {"fallback routing /x/",
					    "fallback mailbox-disabled /y/"};
	static const char *const badgd[] = {"guarded mailbox-unknown /x/",
					    "guarded routing /y/"};
	static const char *const badguard[] = {"mailbox-unknown /x/",
					       "guard /(sender/i"};
	struct policy *p;
	struct classifier *c = (struct classifier *)1;
	char err[256];

	(void)state;
	p = hand_policy(badcat, 2);
	assert_int_equal(classify_new(p, &c, err, sizeof(err)), -1);
	assert_null(c);
	assert_non_null(strstr(err, "hand.ini:11: "));
	assert_non_null(strstr(err, "unknown category 'spam'"));
	hand_free(p);
	p = hand_policy(badre, 1);
	assert_int_equal(classify_new(p, &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "hand.ini:10: rule: bad regex"));
	hand_free(p);
	p = hand_policy(badfb, 2);
	assert_int_equal(classify_new(p, &c, err, sizeof(err)), -1);
	assert_non_null(
	    strstr(err, "hand.ini:11: fallback_rule: 'mailbox-disabled' is "
			"address-level"));
	hand_free(p);
	p = hand_policy(badgd, 2);
	assert_int_equal(classify_new(p, &c, err, sizeof(err)), -1);
	assert_non_null(strstr(
	    err, "hand.ini:11: guarded_rule: 'routing' is not address-level"));
	hand_free(p);
	p = hand_policy(badguard, 2);
	assert_int_equal(classify_new(p, &c, err, sizeof(err)), -1);
	assert_null(c);
	assert_non_null(strstr(err, "hand.ini:11: address_guard: bad regex"));
	hand_free(p);
}

/* Catastrophic backtracking stops at the match limit: no match, no hang. */
static void test_match_limit(void **state)
{
	static const char *const rules[] = {"content /^(a+)+$/", "other /b$/"};
	struct policy *p;
	struct classifier *c = hand_classifier(rules, 2, &p);
	char text[64];
	struct classify_result r;

	(void)state;
	memset(text, 'a', sizeof(text));
	text[sizeof(text) - 1] = 'b';
	r = classify_text(c, text, sizeof(text));
	assert_int_equal(r.rule, 1); /* rule 0 gave up, rule 1 matched */
	hand_classifier_free(c, p);
}

static void test_names(void **state)
{
	(void)state;
	for (int k = CLASSIFY_ROUTING; k <= CLASSIFY_OTHER; k++) {
		enum classify_category back;

		assert_int_equal(
		    classify_category_parse(
			classify_category_name((enum classify_category)k),
			&back),
		    0);
		assert_int_equal(back, k);
	}
	assert_string_equal(classify_category_name(CLASSIFY_NULL_MX),
			    "null-mx");
	assert_string_equal(classify_category_name((enum classify_category)99),
			    "other");
	assert_int_equal(
	    classify_category_parse("spam", &(enum classify_category){0}), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_corpus),
	    cmocka_unit_test(test_corpus_labels),
	    cmocka_unit_test(test_544_is_routing),
	    cmocka_unit_test(test_mailbox_unavailable),
	    cmocka_unit_test(test_fallback_by_code),
	    cmocka_unit_test(test_specific_code),
	    cmocka_unit_test(test_guard),
	    cmocka_unit_test(test_general_wording),
	    cmocka_unit_test(test_arbitrary_bytes),
	    cmocka_unit_test(test_status),
	    cmocka_unit_test(test_x44_never_address_level),
	    cmocka_unit_test(test_hand_rules),
	    cmocka_unit_test(test_words_in_names),
	    cmocka_unit_test(test_whole_bounce_report),
	    cmocka_unit_test(test_fallback_rules),
	    cmocka_unit_test(test_address_guard),
	    cmocka_unit_test(test_explain_aside),
	    cmocka_unit_test(test_shipped_address_guard),
	    cmocka_unit_test(test_guard_vocabulary),
	    cmocka_unit_test(test_bad_rules),
	    cmocka_unit_test(test_match_limit),
	    cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests_name("classify", tests, shipped_setup,
					   shipped_teardown);
}
