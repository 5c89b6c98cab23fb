/*
 * NAME
 *	priv_helper 3
 * SUMMARY
 *	the privileged helper: serve the daemon's MTA verbs, listing, log
 *	outcomes, hooks and reload, and nothing else
 * SYNOPSIS
 *	#include "priv/priv.h"
 * DESCRIPTION
 *	priv_serve() reads one request frame at a time and answers it with
 *	reply frames ending in PRIV_R_END. Id verbs (hold, deliver, release,
 *	giveback, outcomes) carry only id slots: every id is re-validated
 *	(priv_id_ok: alphabet, length, no leading '-', the plugin's own
 *	valid_id) and one bad id refuses the whole frame. A hook request
 *	names which hook of the helper's OWN policy to run and its %d / %r
 *	values; the report file is a base name joined to the helper's own
 *	state_dir/reports; the hook runs beside (a spawn_pool of
 *	LIMIT_HOOKS_RUNNING, reaped between requests, killed at its deadline)
 *	and the answer comes once it started. HOOK_WAIT waits a bounded time
 *	for the running hooks of one kind (the pass's wait for its flush
 *	hooks). A reload re-reads the helper's own policy file.
 *	Scan and outcomes are sent back as fixed-size records; outcomes end
 *	with the reading position (PRIV_R_POS), which the daemon commits
 *	with them and hands back with POS SEEK (POS TELL: the position the
 *	helper's instance started from).
 *
 *	For the daemon's parsing instance of the plugin (plugin.h): LIST
 *	runs the plugin's listing command (list_stream: each chunk of its
 *	stdout sent on as it is read, nothing kept; or list_raw) and sends
 *	its stdout and stderr back unread, in chunks, then how it ended; OPEN opens one
 *	of the MTA's files by kind (the log, log.1, log.0, or the message
 *	log of a re-validated id: the plugin makes the path) and passes the
 *	descriptor. The helper then parses nothing the MTA wrote.
 *
 *	Owns: nothing beyond one request: the listing and outcomes are freed
 *	once sent.
 * DIAGNOSTICS
 *	A refused frame is answered with END status -1 and the reason, and
 *	logged (rate-limited); the helper carries on. It stops at EOF (the
 *	daemon exited) or on a socket error.
 * SECURITY
 *	Runs as root. Reads the daemon's frames only through the checks of
 *	priv_proto.c. SCAN and OUTCOMES (the plugin parsing as root) are
 *	only used when the plugin has no parsing instance (journal logs).
 */
#include "priv/priv.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/log.h"
#include "util/spawn.h"

#define PRIV_HOOK_REAP_MS	50   /* reaping hooks between requests */
#define PRIV_HOOK_WAIT_SLACK_MS 2000 /* HOOK_WAIT: past the hook deadline */

/* Answer with END. @return 0, or -1 when the socket failed. */
static int priv_helper_end(int fd, int status, size_t done, int complete,
			   size_t skipped, const char *err)
{
	struct priv_end e;

	memset(&e, 0, sizeof(e));
	e.status = status;
	e.done = (uint32_t)done;
	e.complete = complete;
	e.skipped = (uint32_t)skipped;
	snprintf(e.err, sizeof(e.err), "%s", err ? err : "");
	return priv_send(fd, PRIV_R_END, 0, 1, &e, sizeof(e));
}

static int priv_helper_refuse(int fd, const char *why)
{
	log_warn_limited("priv-refused", 60, "helper: request refused: %s",
			 why);
	return priv_helper_end(fd, -1, 0, 0, 0, why);
}

/* Check the id slots of a request. @return 1 all good, 0 refused. */
static int priv_helper_ids(const struct priv_server *s,
			   const struct priv_hdr *h, size_t len,
			   const char **ids, char *why, size_t whylen)
{
	const char *slots = (const char *)(h + 1);

	if (h->count > PRIV_IDS_PER_FRAME ||
	    len != sizeof(*h) + (size_t)h->count * PRIV_ID_SLOT) {
		snprintf(why, whylen, "bad frame size for %u ids", h->count);
		return 0;
	}
	for (uint32_t i = 0; i < h->count; i++) {
		const char *slot = slots + (size_t)i * PRIV_ID_SLOT;

		if (!priv_id_ok(slot, s->pl)) {
			char shown[PRIV_ID_SLOT + 1];

			snprintf(why, whylen, "bad queue id \"%s\"",
				 log_printable(shown, sizeof(shown), slot));
			return 0;
		}
		ids[i] = slot;
	}
	return 1;
}

static int priv_helper_scan(int fd, struct priv_server *s)
{
	struct mta_listing l;
	char err[PRIV_ERR_MAX];
	int rc = 0;

	memset(&l, 0, sizeof(l));
	if (s->pl->scan(s->state, &l, err, sizeof(err)) < 0)
		return priv_helper_end(fd, -1, 0, 0, 0, err);
	for (size_t i = 0; i < l.n && rc == 0; i++) {
		const struct mta_message *m = &l.msgs[i];
		struct priv_msg pm;

		memset(&pm, 0, sizeof(pm));
		snprintf(pm.queue_id, sizeof(pm.queue_id), "%s", m->queue_id);
		snprintf(pm.sender, sizeof(pm.sender), "%s", m->sender);
		pm.arrival = m->arrival;
		pm.held = m->held;
		pm.deferred = m->deferred;
		pm.nrcpts = (uint32_t)m->nrcpts;
		rc = priv_send(fd, PRIV_R_MSG, 0, 1, &pm, sizeof(pm));
		for (size_t r = 0; r < m->nrcpts && rc == 0;
		     r += PRIV_RCPTS_PER_FRAME) {
			size_t k = m->nrcpts - r < PRIV_RCPTS_PER_FRAME
				       ? m->nrcpts - r
				       : PRIV_RCPTS_PER_FRAME;

			rc = priv_send(fd, PRIV_R_RCPTS, 0, (uint32_t)k,
				       &m->rcpts[r], k * sizeof(m->rcpts[0]));
		}
	}
	if (rc == 0)
		rc = priv_helper_end(fd, 0, l.n, l.complete, l.skipped, "");
	s->pl->listing_free(&l);
	return rc;
}

static int priv_helper_outcomes(int fd, struct priv_server *s, const char **ids,
				size_t n)
{
	struct mta_outcomes o;
	char err[PRIV_ERR_MAX];
	int rc = 0;

	memset(&o, 0, sizeof(o));
	if (s->pl->outcomes(s->state, ids, n, &o, err, sizeof(err)) < 0)
		return priv_helper_end(fd, -1, 0, 0, 0, err);
	for (size_t i = 0; i < o.n && rc == 0; i += PRIV_OUTS_PER_FRAME) {
		size_t k = o.n - i < PRIV_OUTS_PER_FRAME ? o.n - i
							 : PRIV_OUTS_PER_FRAME;

		rc = priv_send(fd, PRIV_R_OUTS, 0, (uint32_t)k, &o.items[i],
			       k * sizeof(o.items[0]));
	}
	if (rc == 0)
		rc = priv_send(fd, PRIV_R_POS, 0, 1, &o.pos, sizeof(o.pos));
	if (rc == 0)
		rc = priv_helper_end(fd, 0, o.n, o.more, 0, "");
	s->pl->outcomes_free(&o);
	return rc;
}

/* The outcome position of the helper's instance: tell or seek. */
static int priv_helper_pos(int fd, struct priv_server *s,
			   const struct priv_hdr *h, size_t len)
{
	struct mta_pos pos;
	char err[PRIV_ERR_MAX];

	if (s->pl->outcomes_tell == NULL || s->pl->outcomes_seek == NULL)
		return priv_helper_refuse(fd, "the plugin keeps no position");
	if (h->arg == PRIV_POS_TELL && len == sizeof(*h) && h->count == 0) {
		if (s->pl->outcomes_tell(s->state, &pos, err, sizeof(err)) < 0)
			return priv_helper_end(fd, -1, 0, 0, 0, err);
		if (priv_send(fd, PRIV_R_POS, 0, 1, &pos, sizeof(pos)) < 0)
			return -1;
		return priv_helper_end(fd, 0, 0, 0, 0, "");
	}
	if (h->arg != PRIV_POS_SEEK || len != sizeof(*h) + sizeof(pos) ||
	    h->count != 1)
		return priv_helper_refuse(fd, "bad position frame");
	memcpy(&pos, h + 1, sizeof(pos));
	if (pos.len > sizeof(pos.data))
		return priv_helper_refuse(fd, "bad position length");
	if (s->pl->outcomes_seek(s->state, &pos, err, sizeof(err)) < 0)
		return priv_helper_end(fd, -1, 0, 0, 0, err);
	return priv_helper_end(fd, 0, 0, 0, 0, "");
}

/* Send @param len bytes of @param data as @param kind chunks. */
static int priv_helper_chunks(int fd, uint32_t kind, const char *data,
			      size_t len)
{
	const size_t max = PRIV_FRAME_MAX - sizeof(struct priv_hdr);
	int rc = 0;

	for (size_t i = 0; i < len && rc == 0; i += max)
		rc = priv_send(fd, kind, 0, 1, data + i,
			       len - i < max ? len - i : max);
	return rc;
}

/* One chunk of the listing's stdout, sent on as it comes (list_stream). */
struct priv_helper_out {
	int fd;
	size_t sent;
	int failed; /* the socket failed: stop the command */
};

static int priv_helper_out_chunk(void *arg, const char *p, size_t n)
{
	struct priv_helper_out *o = arg;

	if (priv_helper_chunks(o->fd, PRIV_R_OUT, p, n) < 0) {
		o->failed = 1;
		return -1;
	}
	o->sent += n;
	return 0;
}

/*
 * The listing command's bytes, unread: stdout (streamed as the command
 * writes it when the plugin can: nothing kept, no bound), stderr, how it
 * ended.
 */
static int priv_helper_list(int fd, struct priv_server *s)
{
	struct priv_helper_out o = {.fd = fd};
	struct mta_raw raw;
	struct priv_exit x;
	char err[PRIV_ERR_MAX];
	int rc;

	memset(&raw, 0, sizeof(raw));
	if (s->pl->list_stream != NULL) {
		if (s->pl->list_stream(s->state, priv_helper_out_chunk, &o,
				       &raw, err, sizeof(err)) < 0)
			return o.failed ? -1
					: priv_helper_end(fd, -1, 0, 0, 0, err);
		if (o.failed) {
			mta_raw_free(&raw);
			return -1;
		}
	} else if (s->pl->list_raw == NULL) {
		return priv_helper_refuse(fd, "the plugin has no raw listing");
	} else if (s->pl->list_raw(s->state, &raw, err, sizeof(err)) < 0) {
		return priv_helper_end(fd, -1, 0, 0, 0, err);
	}
	x.exited = raw.exited;
	x.exit_code = raw.exit_code;
	x.signal = raw.signal;
	x.out_truncated = raw.out_truncated;
	rc = raw.out != NULL
		 ? priv_helper_chunks(fd, PRIV_R_OUT, raw.out, raw.outlen)
		 : 0;
	if (rc == 0 && raw.err != NULL)
		rc = priv_helper_chunks(fd, PRIV_R_ERR, raw.err,
					strnlen(raw.err, SPAWN_OUTPUT_MAX));
	if (rc == 0)
		rc = priv_send(fd, PRIV_R_EXIT, 0, 1, &x, sizeof(x));
	if (rc == 0)
		rc = priv_helper_end(fd, 0, raw.out ? raw.outlen : o.sent, 0, 0,
				     "");
	mta_raw_free(&raw);
	return rc;
}

/* Open one of the MTA's files by kind; the END carries the descriptor. */
static int priv_helper_open(int fd, struct priv_server *s,
			    const struct priv_hdr *h, size_t len)
{
	const char *ids[1] = {NULL};
	struct priv_end e;
	char why[128];
	int f, rc;

	if (s->pl->open_file == NULL)
		return priv_helper_refuse(fd, "the plugin opens no file");
	if (h->arg == MTA_FILE_MSGLOG) {
		if (h->count != 1 ||
		    !priv_helper_ids(s, h, len, ids, why, sizeof(why)))
			return priv_helper_refuse(
			    fd, h->count != 1 ? "one id, please" : why);
	} else if (h->arg >= MTA_FILE_QDIR_DEFERRED &&
		   h->arg <= MTA_FILE_DEFER_LOG) {
		/* a spec, never a path: the plugin builds the path */
		ids[0] = (const char *)(h + 1);
		if (h->count > 1 ||
		    len != sizeof(*h) + h->count * PRIV_ID_SLOT ||
		    (h->count == 0 && h->arg == MTA_FILE_DEFER_LOG) ||
		    (h->count == 1 && !priv_qspec_ok(ids[0], h->arg, s->pl)))
			return priv_helper_refuse(fd, "bad queue file spec");
		if (h->count == 0)
			ids[0] = NULL;
	} else if (h->arg < MTA_FILE_LOG || h->arg > MTA_FILE_LOG_0 ||
		   len != sizeof(*h) || h->count != 0) {
		return priv_helper_refuse(fd, "bad open request");
	}
	memset(&e, 0, sizeof(e));
	f = s->pl->open_file(s->state, (enum mta_file)h->arg, ids[0], e.err,
			     sizeof(e.err));
	if (f < 0) {
		e.status = -1;
		e.done = (uint32_t)errno; /* ENOENT: not there (yet) */
		return priv_send(fd, PRIV_R_END, 0, 1, &e, sizeof(e));
	}
	rc = priv_send_fd(fd, PRIV_R_END, 0, 1, &e, sizeof(e), f);
	close(f);
	return rc;
}

static int priv_helper_hook(int fd, struct priv_server *s,
			    struct spawn_pool *pool, const struct priv_hdr *h,
			    size_t len)
{
	const struct priv_hook_req *q = (const void *)(h + 1);
	const struct policy *p = s->policy;
	char path[LIMIT_PATH + 1];
	int rc;

	if (len != sizeof(*h) + sizeof(*q) || h->count != 1)
		return priv_helper_refuse(fd, "bad hook frame size");
	if (!priv_domain_ok(q->domain, sizeof(q->domain)))
		return priv_helper_refuse(fd, "bad hook domain");
	if (h->arg == PRIV_HOOK_FLUSH) {
		if (!priv_resolver_ok(q->resolver, sizeof(q->resolver)))
			return priv_helper_refuse(fd, "bad hook resolver");
		if (p->hook_flush_resolver == NULL)
			return priv_helper_end(fd, 0, 0, 0, 0, "");
		rc = s->hook(pool, p->hook_flush_resolver, p->hook_user,
			     "flush_resolver", PRIV_HOOK_FLUSH, q->domain,
			     q->resolver, NULL);
	} else if (h->arg == PRIV_HOOK_ESCALATE) {
		if (!priv_report_ok(q->report, sizeof(q->report)))
			return priv_helper_refuse(fd, "bad report name");
		if (p->hook_escalate == NULL)
			return priv_helper_end(fd, 0, 0, 0, 0, "");
		if ((size_t)snprintf(path, sizeof(path), "%s/reports/%s",
				     p->state_dir, q->report) >= sizeof(path))
			return priv_helper_refuse(fd, "report path too long");
		rc = s->hook(pool, p->hook_escalate, p->hook_user, "escalate",
			     PRIV_HOOK_ESCALATE, q->domain, NULL, path);
	} else {
		return priv_helper_refuse(fd, "unknown hook");
	}
	/* started: it runs beside, the daemon goes on */
	return priv_helper_end(fd, rc == 0 ? 0 : -1, rc == 0, 0, 0,
			       rc == 0 ? "" : PRIV_HOOK_NOT_STARTED);
}

/* Wait a bounded time for the running hooks of one kind (0: any). */
static int priv_helper_hook_wait(int fd, struct priv_server *s,
				 struct spawn_pool *pool,
				 const struct priv_hdr *h, size_t len)
{
	uint32_t ms;

	if (len != sizeof(*h) + sizeof(ms) || h->count != 1 ||
	    h->arg > PRIV_HOOK_ESCALATE)
		return priv_helper_refuse(fd, "bad hook wait frame");
	memcpy(&ms, h + 1, sizeof(ms));
	if (ms > LIMIT_HOOK_TIMEOUT_MS + PRIV_HOOK_WAIT_SLACK_MS)
		ms = LIMIT_HOOK_TIMEOUT_MS + PRIV_HOOK_WAIT_SLACK_MS;
	spawn_pool_reap(pool, h->arg ? (int)h->arg : -1, (int)ms, s->hook_end,
			NULL);
	return priv_helper_end(
	    fd, 0, spawn_pool_busy(pool, h->arg ? (int)h->arg : -1), 0, 0, "");
}

/* The id verbs that act on the MTA. */
static int priv_helper_act(int fd, struct priv_server *s,
			   const struct priv_hdr *h, const char **ids)
{
	char err[PRIV_ERR_MAX] = "";
	size_t done = 0;
	int rc;

	switch (h->verb) {
	case PRIV_HOLD:
		rc = s->pl->hold(s->state, ids, h->count, &done, err,
				 sizeof(err));
		break;
	case PRIV_DELIVER:
		rc = s->pl->deliver(s->state, ids, h->count, &done, err,
				    sizeof(err));
		break;
	case PRIV_RELEASE:
		rc = s->pl->release(s->state, ids, h->count, &done, err,
				    sizeof(err));
		break;
	default: /* PRIV_GIVEBACK, arg checked by the caller */
		rc = s->pl->giveback(s->state, ids, h->count,
				     (enum mta_giveback)h->arg, &done, err,
				     sizeof(err));
		break;
	}
	return priv_helper_end(fd, rc < 0 ? -1 : 0, done, 0, 0, err);
}

/* One request. @return 0, or -1 when the socket failed. */
static int priv_helper_one(int fd, struct priv_server *s,
			   struct spawn_pool *pool, const void *buf, size_t len)
{
	const struct priv_hdr *h = buf;
	const char *ids[PRIV_IDS_PER_FRAME];
	char why[128], err[PRIV_ERR_MAX];

	switch (h->verb) {
	case PRIV_HOLD:
	case PRIV_DELIVER:
	case PRIV_RELEASE:
	case PRIV_GIVEBACK:
		if (h->verb == PRIV_GIVEBACK && h->arg != MTA_GIVEBACK_BOUNCE &&
		    h->arg != MTA_GIVEBACK_EXPIRE &&
		    h->arg != MTA_GIVEBACK_RELEASE)
			return priv_helper_refuse(fd, "unknown hand-back");
		if (!priv_helper_ids(s, h, len, ids, why, sizeof(why)))
			return priv_helper_refuse(fd, why);
		if (h->count == 0)
			return priv_helper_refuse(fd, "no ids");
		return priv_helper_act(fd, s, h, ids);
	case PRIV_OUTCOMES:
		if (!priv_helper_ids(s, h, len, ids, why, sizeof(why)))
			return priv_helper_refuse(fd, why);
		log_warn_limited("priv-parse-log", 3600,
				 "helper: parsing the MTA's log as root (the "
				 "daemon has no parsing instance)");
		return priv_helper_outcomes(fd, s, ids, h->count);
	case PRIV_SCAN:
		if (len != sizeof(*h) || h->count != 0)
			return priv_helper_refuse(fd, "bad scan frame");
		log_warn_limited("priv-parse-list", 3600,
				 "helper: parsing the MTA's listing as root "
				 "(the daemon has no parsing instance)");
		return priv_helper_scan(fd, s);
	case PRIV_HOOK:
		return priv_helper_hook(fd, s, pool, h, len);
	case PRIV_HOOK_WAIT:
		return priv_helper_hook_wait(fd, s, pool, h, len);
	case PRIV_LIST:
		if (len != sizeof(*h) || h->count != 0)
			return priv_helper_refuse(fd, "bad list frame");
		return priv_helper_list(fd, s);
	case PRIV_OPEN:
		return priv_helper_open(fd, s, h, len);
	case PRIV_POS:
		return priv_helper_pos(fd, s, h, len);
	case PRIV_RELOAD:
		if (len != sizeof(*h) || h->count != 0 || s->reload == NULL)
			return priv_helper_refuse(fd, "bad reload frame");
		if (s->reload(s, err, sizeof(err)) < 0)
			return priv_helper_end(fd, -1, 0, 0, 0, err);
		return priv_helper_end(fd, 0, 0, 0, 0, "");
	default:
		return priv_helper_refuse(fd, "unknown verb");
	}
}

/*
 * Hooks run beside: while some run, wait for the next request at most
 * PRIV_HOOK_REAP_MS at a time, reaping (and draining, and killing at
 * their deadline) the hooks meanwhile. Returns when the socket has a
 * request (or EOF, or an error), or when no hook runs any more.
 */
static void priv_helper_idle(int fd, struct priv_server *s,
			     struct spawn_pool *pool)
{
	struct pollfd pfd = {fd, POLLIN, 0};

	while (spawn_pool_busy(pool, -1) > 0) {
		if (poll(&pfd, 1, 0) != 0)
			return; /* a request, EOF or an error: recv says */
		spawn_pool_reap(pool, -1, PRIV_HOOK_REAP_MS, s->hook_end, NULL);
	}
}

int priv_serve(int fd, struct priv_server *s)
{
	void *buf = malloc(PRIV_FRAME_MAX);
	struct spawn_pool *pool = spawn_pool_new(LIMIT_HOOKS_RUNNING);
	int rc = 0;

	if (buf == NULL || pool == NULL) {
		free(buf);
		spawn_pool_free(pool, NULL, NULL);
		return -1;
	}
	for (;;) {
		ssize_t n;

		priv_helper_idle(fd, s, pool);
		n = priv_recv(fd, buf);

		if (n == 0)
			break;
		if (n < 0 && (errno == EMSGSIZE || errno == EPROTO)) {
			if (priv_helper_refuse(fd, errno == EMSGSIZE
						       ? "bad frame size"
						       : "bad magic") < 0) {
				rc = -1;
				break;
			}
			continue;
		}
		if (n < 0 || priv_helper_one(fd, s, pool, buf, (size_t)n) < 0) {
			rc = -1;
			break;
		}
	}
	free(buf);
	spawn_pool_free(pool, s->hook_end, NULL); /* kills what still runs */
	return rc;
}
