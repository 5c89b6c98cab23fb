/*
 * NAME
 *	verify_loop 3h
 * SUMMARY
 *	one poll() event loop shared by many getdns contexts
 * DESCRIPTION
 *	getdns runs one event loop per context by default, so queries on
 *	different contexts (one per server and transport) would run one
 *	context after another. A verify_loop implements getdns's event
 *	loop interface (getdns_eventloop_vmt) over poll(2); every context of
 *	a verifier is attached to the same loop with
 *	getdns_context_set_eventloop(), and verify_loop_run() drives all of
 *	their queries concurrently on the monotonic clock.
 *
 *	Ownership: the caller owns the loop; contexts attached to it must be
 *	destroyed before verify_loop_free(). The loop's cleanup method (called
 *	by getdns when a context goes away) does nothing.
 */
#ifndef RETRYD_VERIFY_LOOP_H
#define RETRYD_VERIFY_LOOP_H

#include <getdns/getdns_extra.h>

struct verify_loop;

/** @return a new loop or NULL (out of memory). */
struct verify_loop *verify_loop_new(void);
/** Free @param l; NULL is fine. */
void verify_loop_free(struct verify_loop *l);
/** The getdns view of @param l, for getdns_context_set_eventloop(). */
getdns_eventloop *verify_loop_getdns(struct verify_loop *l);
/** Run until no event is scheduled. */
void verify_loop_run(struct verify_loop *l);
/** Events scheduled now (for tests and assertions). */
size_t verify_loop_pending(const struct verify_loop *l);

#endif
