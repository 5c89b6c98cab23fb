/*
 * test_exim_queue - the exim -bp parser and the msglog reason merge.
 * The samples were captured from the lab's Exim 4.96 (tests/lab/exim.sh):
 * a message with delivered (D), deferred and bounced recipients, a
 * frozen bounce, a frozen message, a bounce (<>) still queued.
 * test_memory_per_message bounds what a listing of 10,000 one-recipient
 * messages costs (the daemon held 64 MB at 10k held on Exim: each
 * message's recipient array started at 4 slots of 769 bytes), and that
 * exim_queue_parse_each (the daemon's scan_each) holds one at a time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "plugins/exim_id.h"
#include "plugins/exim_queue.h"
#include "heap_fx.h"

static const char bp_sample[] =
    " 0m   288 1xXVIy-0002DP-12 <alice@lab.test>\n"
    "        D good@ok.test\n"
    "          later@nowhere.test\n"
    "        D gone@hard.test\n"
    "          full@soft.test\n"
    "\n"
    " 0m  1.7K 1xXVIy-0002Du-1H <> *** frozen ***\n"
    "          alice@lab.test\n"
    "\n"
    " 0m   284 1xXVIy-0002Df-19 <bob@lab.test> *** frozen ***\n"
    "          two@nowhere.test\n"
    "          three@nowhere.test\n"
    "\n"
    " 0m   255 1xXVIy-0002DX-16 <>\n"
    "          one@nowhere.test\n"
    "\n";

static const char msglog_sample[] =
    "2026-11-29 03:10:20 Received from alice@lab.test U=root P=local S=288\n"
    "2026-11-29 03:10:20 H=127.10.0.28 [127.10.0.28] Connection refused\n"
    "2026-11-29 03:10:20 good@ok.test: remote_smtp transport succeeded\n"
    "2026-11-29 03:10:20 later@nowhere.test R=lab_route T=remote_smtp defer "
    "(111): Connection refused\n"
    "2026-11-29 03:10:20 H=127.10.0.26 [127.10.0.26] SMTP error from remote "
    "mail server after RCPT TO:<gone@hard.test>: 550 5.1.1 Recipient address "
    "rejected: User unknown\n"
    "2026-11-29 03:10:20 H=127.10.0.27 [127.10.0.27] SMTP error from remote "
    "mail server after RCPT TO:<full@soft.test>: 452 4.2.2 Mailbox full\n"
    "2026-11-29 03:10:20 full@soft.test R=lab_route T=remote_smtp defer (-44) "
    "H=127.10.0.27 [127.10.0.27]: SMTP error from remote mail server after "
    "RCPT TO:<full@soft.test>: 452 4.2.2 Mailbox full\n"
    "2026-11-29 03:10:20 gone@hard.test R=lab_route T=remote_smtp "
    "H=127.10.0.26 [127.10.0.26]: SMTP error from remote mail server after "
    "RCPT TO:<gone@hard.test>: 550 5.1.1 Recipient address rejected: User "
    "unknown\n";

struct bad_log {
	size_t n;
	size_t lines[64];
};

static void record_bad(void *ctx, size_t lineno, const char *why)
{
	struct bad_log *b = ctx;

	assert_non_null(why);
	if (b->n < 64)
		b->lines[b->n] = lineno;
	b->n++;
}

static int parse(const char *text, struct mta_listing *l, struct bad_log *b)
{
	char err[256];

	memset(b, 0, sizeof(*b));
	return exim_queue_parse(text, strlen(text), l, record_bad, b, err,
				sizeof(err));
}

static void test_real_sample(void **state)
{
	struct mta_listing l;
	struct bad_log b;
	int64_t t;

	(void)state;
	assert_int_equal(parse(bp_sample, &l, &b), 0);
	assert_int_equal(b.n, 0);
	assert_int_equal(l.skipped, 0);
	assert_int_equal(l.n, 4);

	assert_string_equal(l.msgs[0].queue_id, "1xXVIy-0002DP-12");
	assert_string_equal(l.msgs[0].sender, "alice@lab.test");
	assert_false(l.msgs[0].held);
	assert_int_equal(l.msgs[0].nrcpts, 2); /* the D ones are gone */
	assert_string_equal(l.msgs[0].rcpts[0].address, "later@nowhere.test");
	assert_string_equal(l.msgs[0].rcpts[1].address, "full@soft.test");
	assert_string_equal(l.msgs[0].rcpts[0].reason, "");
	assert_int_equal(exim_id_time("1xXVIy-0002DP-12", &t), 0);
	assert_int_equal(l.msgs[0].arrival, t);

	assert_string_equal(l.msgs[1].sender, "");
	assert_true(l.msgs[1].held);
	assert_int_equal(l.msgs[1].nrcpts, 1);

	assert_string_equal(l.msgs[2].sender, "bob@lab.test");
	assert_true(l.msgs[2].held);
	assert_int_equal(l.msgs[2].nrcpts, 2);
	assert_string_equal(l.msgs[2].rcpts[1].address, "three@nowhere.test");

	assert_false(l.msgs[3].held);
	assert_string_equal(l.msgs[3].rcpts[0].address, "one@nowhere.test");
	exim_queue_free(&l);
	assert_null(l.msgs);
}

static void test_garbage_and_hostile(void **state)
{
	static const char text[] =
	    "garbage at the top\n"				      /* 1 */
	    "          orphan@x.test\n"				      /* 2 */
	    " 0m   288 -Mf <a@x.test>\n"			      /* 3 */
	    "          r1@x.test\n"				      /* 4 */
	    "\n"						      /* 5 */
	    " 0m   288 ALL <a@x.test>\n"			      /* 6 */
	    "          r2@x.test\n"				      /* 7 */
	    "\n"						      /* 8 */
	    " 0m   288 1xXVIy-0002DP-12 *** spool format error ***\n" /* 9 */
	    "\n"						      /* 10 */
	    " 2h  1.2M 1xXVIy-0002Df-19 <ok@x.test>\n"		      /* 11 */
	    "          good@x.test\n"				      /* 12 */
	    "\n"						      /* 13 */
	    " 1d   300 1xXVIy-0002DX-16 <ctl@x.test>\n"		      /* 14 */
	    "          bad\x01rcpt@x.test\n"			      /* 15 */
	    "\n"						      /* 16 */
	    "123d   300 1xXVIy-0002Du-1H <a@x.test>\n"		      /* 17 */
	    "          fine@x.test\n"				      /* 18 */
	    "  ??? not a recipient line\n"			      /* 19 */
	    "\n"						      /* 20 */
	    " 5m   300 1xXVIy-0002Dz-1I <a@x.test>\n"		      /* 21 */
	    "        D done@x.test\n"; /* 22: no undelivered */
	struct mta_listing l;
	struct bad_log b;

	(void)state;
	assert_int_equal(parse(text, &l, &b), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.msgs[0].queue_id, "1xXVIy-0002Df-19");
	assert_string_equal(l.msgs[0].rcpts[0].address, "good@x.test");
	/* every bad line reported with its number (line 2 belongs to the
	 * broken entry of line 1 and goes with it) */
	assert_int_equal(b.n, 6);
	assert_int_equal(b.lines[0], 1);
	assert_int_equal(b.lines[1], 3);
	assert_int_equal(b.lines[2], 6);
	assert_int_equal(b.lines[3], 9);
	assert_int_equal(b.lines[4], 15);
	assert_int_equal(b.lines[5], 19);
	/* entries lost: garbage, -Mf, ALL, spool error, ctl, line 17 */
	assert_int_equal(l.skipped, 6);
	exim_queue_free(&l);
}

static void test_long_lines(void **state)
{
	size_t big = LIMIT_LISTING_LINE + 10;
	char *text = malloc(big + 200);
	struct mta_listing l;
	struct bad_log b;
	size_t n;

	(void)state;
	assert_non_null(text);
	n = (size_t)sprintf(
	    text, " 0m   300 1xXVIy-0002DX-16 <a@x.test>\n          ");
	memset(text + n, 'a', big);
	n += big;
	n += (size_t)sprintf(text + n,
			     "\n\n 0m   300 1xXVIy-0002DP-12 <a@x.test>\n"
			     "          ok@x.test\n");
	text[n] = '\0';
	assert_int_equal(parse(text, &l, &b), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.msgs[0].queue_id, "1xXVIy-0002DP-12");
	assert_int_equal(l.skipped, 1);
	assert_int_equal(b.n, 1);
	assert_int_equal(b.lines[0], 2);
	exim_queue_free(&l);

	/* an address longer than LIMIT_ADDRESS but a short line */
	n = (size_t)sprintf(
	    text, " 0m   300 1xXVIy-0002DX-16 <a@x.test>\n          ");
	memset(text + n, 'b', LIMIT_ADDRESS + 1);
	n += LIMIT_ADDRESS + 1;
	strcpy(text + n, "\n");
	assert_int_equal(parse(text, &l, &b), 0);
	assert_int_equal(l.n, 0);
	assert_int_equal(l.skipped, 1);
	exim_queue_free(&l);
	free(text);
}

static void test_too_many_recipients(void **state)
{
	size_t cap = 64 + (LIMIT_RCPTS_PER_MESSAGE + 1) * 40;
	char *text = malloc(cap);
	struct mta_listing l;
	struct bad_log b;
	size_t n;

	(void)state;
	assert_non_null(text);
	n = (size_t)sprintf(text, " 0m   300 1xXVIy-0002DX-16 <a@x.test>\n");
	for (int i = 0; i <= LIMIT_RCPTS_PER_MESSAGE; i++)
		n += (size_t)sprintf(text + n, "          r%d@x.test\n", i);
	assert_int_equal(parse(text, &l, &b), 0);
	assert_int_equal(l.n, 0); /* left to Exim, not adopted */
	assert_int_equal(l.skipped, 1);
	exim_queue_free(&l);
	free(text);
}

static void test_no_trailing_blank_and_nul(void **state)
{
	static const char text[] = " 0m   300 1xXVIy-0002DX-16 <a@x.test>\n"
				   "          a@x.test";
	static const char nul[] = " 0m   300 1xXVIy-0002DX-16 <a@x.test>\n"
				  "          a@x.test\0evil\n";
	struct mta_listing l;
	struct bad_log b;
	char err[64];

	(void)state;
	assert_int_equal(parse(text, &l, &b), 0);
	assert_int_equal(l.n, 1);
	exim_queue_free(&l);
	assert_int_equal(exim_queue_parse(nul, sizeof(nul) - 1, &l, record_bad,
					  &b, err, sizeof(err)),
			 0);
	assert_int_equal(l.n, 0);
	assert_int_equal(l.skipped, 1);
	exim_queue_free(&l);
	/* empty output: empty listing */
	assert_int_equal(parse("", &l, &b), 0);
	assert_int_equal(l.n, 0);
	exim_queue_free(&l);
}

static void test_frozen_lookalike_sender(void **state)
{
	/* a sender ending in "> *** frozen ***" is shown inside <> */
	static const char text[] =
	    " 0m   300 1xXVIy-0002DX-16 <x> *** frozen ***>\n"
	    "          a@x.test\n";
	struct mta_listing l;
	struct bad_log b;

	(void)state;
	assert_int_equal(parse(text, &l, &b), 0);
	assert_int_equal(l.n, 1);
	assert_false(l.msgs[0].held);
	assert_string_equal(l.msgs[0].sender, "x> *** frozen ***");
	exim_queue_free(&l);
}

static void test_msglog_reasons(void **state)
{
	struct mta_listing l;
	struct bad_log b;

	(void)state;
	assert_int_equal(parse(bp_sample, &l, &b), 0);
	exim_queue_apply_msglog(&l.msgs[0], msglog_sample,
				strlen(msglog_sample), 0, 0);
	assert_true(l.msgs[0].deferred);
	assert_string_equal(l.msgs[0].rcpts[0].reason, "Connection refused");
	assert_string_equal(l.msgs[0].rcpts[1].reason,
			    "SMTP error from remote mail server after RCPT "
			    "TO:<full@soft.test>: 452 4.2.2 Mailbox full");
	/* a later defer replaces an earlier one */
	static const char more[] =
	    "2026-11-29 04:00:00 later@nowhere.test R=dnslookup defer (-1): "
	    "host lookup did not complete\n";
	exim_queue_apply_msglog(&l.msgs[0], more, strlen(more), 0, 0);
	assert_string_equal(l.msgs[0].rcpts[0].reason,
			    "host lookup did not complete");
	/* partial: the first (cut) line is ignored */
	exim_queue_apply_msglog(&l.msgs[3], msglog_sample + 5,
				strlen(msglog_sample) - 5, 1, 0);
	assert_false(l.msgs[3].deferred);
	static const char cut[] = "ater@nowhere.test R=x defer (1): cut\n"
				  "2026-11-29 04:00:00 one@nowhere.test R=x "
				  "defer (111): Connection refused";
	exim_queue_apply_msglog(&l.msgs[3], cut, strlen(cut), 1, 0);
	assert_true(l.msgs[3].deferred);
	assert_string_equal(l.msgs[3].rcpts[0].reason, "Connection refused");
	exim_queue_free(&l);
}

struct each_log {
	size_t n, stop_at; /* told; say stop at this one (0: never) */
	size_t base, peak; /* heap before the parse; most seen in a call */
	char ids[8][32];
	size_t nrcpts[8];
	int held[8];
};

static int each_one(void *arg, struct mta_message *m)
{
	struct each_log *e = arg;
	size_t now = heap_fx_in_use() - e->base;

	if (now > e->peak)
		e->peak = now;
	if (e->n < 8) {
		snprintf(e->ids[e->n], sizeof(e->ids[0]), "%s", m->queue_id);
		e->nrcpts[e->n] = m->nrcpts;
		e->held[e->n] = m->held;
	}
	e->n++;
	return e->stop_at && e->n == e->stop_at ? -1 : 0;
}

static int parse_each(const char *text, struct each_log *e, size_t *told,
		      size_t *skipped, struct bad_log *b)
{
	char err[256];

	memset(b, 0, sizeof(*b));
	return exim_queue_parse_each(text, strlen(text), each_one, e, told,
				     skipped, record_bad, b, err, sizeof(err));
}

/* Told one by one: the same entries, in order, as exim_queue_parse keeps;
 * a stop ends the parse (1); malformed entries are counted skipped. */
static void test_each(void **state)
{
	struct mta_listing l;
	struct each_log e = {0};
	struct bad_log b;
	size_t told, skipped;

	(void)state;
	assert_int_equal(parse(bp_sample, &l, &b), 0);
	assert_int_equal(parse_each(bp_sample, &e, &told, &skipped, &b), 0);
	assert_int_equal(told, l.n);
	assert_int_equal(e.n, l.n);
	assert_int_equal(skipped, 0);
	for (size_t i = 0; i < l.n; i++) {
		assert_string_equal(e.ids[i], l.msgs[i].queue_id);
		assert_int_equal(e.nrcpts[i], l.msgs[i].nrcpts);
		assert_int_equal(e.held[i], l.msgs[i].held);
	}
	exim_queue_free(&l);

	memset(&e, 0, sizeof(e));
	e.stop_at = 2;
	assert_int_equal(parse_each(bp_sample, &e, &told, &skipped, &b), 1);
	assert_int_equal(e.n, 2);
	assert_int_equal(told, 2);

	static const char broken[] = " 0m   288 1xXVIy-0002DP-12 <a@b.test>\n"
				     "          one@x.test\n"
				     "\n"
				     " 0m   288 not-an-id <a@b.test>\n"
				     "          two@x.test\n"
				     "\n";
	memset(&e, 0, sizeof(e));
	assert_int_equal(parse_each(broken, &e, &told, &skipped, &b), 0);
	assert_int_equal(told, 1);
	assert_int_equal(skipped, 1);
	assert_int_equal(b.n, 1);
}

/* A listing of MEM_N messages, one recipient each but one with three:
 * at most two message structs (array doubling) and one recipient slot
 * per message, plus 1 MiB for the allocator's own overhead. */
#define MEM_N 10000
static void test_memory_per_message(void **state)
{
	size_t len = (size_t)MEM_N * 128, off = 0, base, used, bound;
	char *text = malloc(len);
	struct mta_listing l;
	struct bad_log b;
	char id[32];

	(void)state;
	assert_non_null(text);
	for (int i = 0; i < MEM_N; i++) {
		snprintf(id, sizeof(id), "1xa7zW-%06d-1R", i);
		off += (size_t)snprintf(text + off, len - off,
					" 5m   373 %s <s@lab.test>%s\n"
					"          u%d@windowslive.test\n%s\n",
					id, i % 2 ? " *** frozen ***" : "", i,
					i == 77 ? "          v@x.test\n"
						  "          w@x.test\n"
						: "");
		assert_true(off < len);
	}
	base = heap_fx_in_use();
	assert_int_equal(parse(text, &l, &b), 0);
	used = heap_fx_in_use() - base;
	bound = (size_t)MEM_N *
		    (2 * sizeof(struct mta_message) + sizeof(struct mta_rcpt)) +
		((size_t)1 << 20);
	print_message("listing of %d: %zu bytes (bound %zu)\n", MEM_N, used,
		      bound);
	assert_true(used <= bound);
	assert_int_equal(l.n, MEM_N);
	assert_int_equal(b.n, 0);
	assert_true(l.msgs[1].held);
	assert_false(l.msgs[2].held);
	assert_int_equal(l.msgs[77].nrcpts, 3);
	assert_string_equal(l.msgs[77].rcpts[0].address,
			    "u77@windowslive.test");
	assert_string_equal(l.msgs[77].rcpts[2].address, "w@x.test");
	assert_string_equal(l.msgs[MEM_N - 1].rcpts[0].address,
			    "u9999@windowslive.test");
	exim_queue_free(&l);

	/* told one by one, the parse holds one message at a time */
	struct each_log e = {.base = heap_fx_in_use()};
	size_t told, skipped;
	char err[256];

	assert_int_equal(exim_queue_parse_each(text, strlen(text), each_one, &e,
					       &told, &skipped, record_bad, &b,
					       err, sizeof(err)),
			 0);
	print_message("told one by one: at most %zu bytes\n", e.peak);
	assert_int_equal(told, MEM_N);
	assert_true(e.peak <= 64 * 1024);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_real_sample),
	    cmocka_unit_test(test_garbage_and_hostile),
	    cmocka_unit_test(test_long_lines),
	    cmocka_unit_test(test_too_many_recipients),
	    cmocka_unit_test(test_no_trailing_blank_and_nul),
	    cmocka_unit_test(test_frozen_lookalike_sender),
	    cmocka_unit_test(test_msglog_reasons),
	    cmocka_unit_test(test_each),
	    cmocka_unit_test(test_memory_per_message),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
