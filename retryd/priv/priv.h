/*
 * NAME
 *	priv 3h
 * SUMMARY
 *	the privileged helper and its socketpair protocol
 * DESCRIPTION
 *	retryd runs as two processes. The daemon (unprivileged, [retryd]
 *	user) owns the store and does DNS, classification and reports. The
 *	helper, forked by priv_start() before the daemon drops its
 *	privileges, keeps root and its own copy of the policy and of the MTA
 *	plugin, and does only what needs root: the MTA verbs (hold, deliver,
 *	release, hand back), the MTA listing and log reading, the hooks of
 *	its own policy (run beside, at most LIMIT_HOOKS_RUNNING at once: the
 *	daemon waits for them only with PRIV_HOOK_WAIT), and a reload of its
 *	own policy.
 *
 *	The daemon reaches it only over a SOCK_SEQPACKET socketpair, one
 *	request frame at a time, answered by reply frames ending in END.
 *	A request is a struct priv_hdr and a payload of fixed-size slots;
 *	its length must match the header exactly and stay under
 *	PRIV_FRAME_MAX. Ids are re-validated by the helper: NUL inside the
 *	slot, 1..LIMIT_QUEUE_ID characters of [A-Za-z0-9-], no leading '-',
 *	and the plugin's own valid_id(); one bad id refuses the whole frame.
 *	No path and no argv ever crosses: a hook request names the hook
 *	(flush or escalate) and its %d / %r values (checked) and the report
 *	file by its base name under the helper's own state_dir/reports.
 */
#ifndef RETRYD_PRIV_H
#define RETRYD_PRIV_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "plugins/plugin.h"
#include "policy/policy.h"
#include "util/spawn_pool.h"

#define PRIV_MAGIC	     0x52505631u /* "RPV1" */
#define PRIV_FRAME_MAX	     65536	 /* bytes in any frame, either way */
#define PRIV_ID_SLOT	     (LIMIT_QUEUE_ID + 1)
#define PRIV_IDS_PER_FRAME   1000 /* ids per request (= LIMIT_PASS_BATCH) */
#define PRIV_RCPTS_PER_FRAME 64	  /* recipients per listing frame */
#define PRIV_OUTS_PER_FRAME  64	  /* outcomes per reply frame */
#define PRIV_ERR_MAX	     512  /* bytes of error text in END */
#define PRIV_RESOLVER_MAX    64	  /* "IP:PORT", "[v6]:PORT" */
#define PRIV_REPORT_MAX	     128  /* base name of a report file */

enum priv_verb {
	PRIV_HOLD = 1,
	PRIV_DELIVER = 2,
	PRIV_RELEASE = 3,
	PRIV_GIVEBACK = 4,   /* arg: enum mta_giveback */
	PRIV_SCAN = 5,	     /* no payload */
	PRIV_OUTCOMES = 6,   /* ids (count 0: every id) */
	PRIV_HOOK = 7,	     /* arg: enum priv_hook; struct priv_hook_req */
	PRIV_RELOAD = 8,     /* no payload: the helper re-reads its policy */
	PRIV_LIST = 9,	     /* no payload: the listing command's raw bytes */
	PRIV_OPEN = 10,	     /* arg: enum mta_file (MSGLOG: one id slot;
			    * QDIR_DEFERRED: 0 or 1 spec slot, DEFER_LOG: 1); the
			    * END carries the descriptor */
	PRIV_POS = 11,	     /* arg: enum priv_pos; SEEK: one struct mta_pos */
	PRIV_HOOK_WAIT = 12, /* arg: enum priv_hook (0: any); one uint32_t:
			      * ms; END done = hooks still running */
};

/* The outcome position of the helper's instance (a journal log only). */
enum priv_pos { PRIV_POS_TELL = 1, PRIV_POS_SEEK = 2 };

enum priv_hook { PRIV_HOOK_FLUSH = 1, PRIV_HOOK_ESCALATE = 2 };

enum priv_reply_kind {
	PRIV_R_END = 1,	  /* struct priv_end */
	PRIV_R_MSG = 2,	  /* struct priv_msg, then its PRIV_R_RCPTS */
	PRIV_R_RCPTS = 3, /* count x struct mta_rcpt */
	PRIV_R_OUTS = 4,  /* count x struct mta_outcome */
	PRIV_R_OUT = 5,	  /* listing: a chunk of stdout, unread */
	PRIV_R_ERR = 6,	  /* listing: a chunk of stderr, unread */
	PRIV_R_EXIT = 7,  /* listing: struct priv_exit */
	PRIV_R_POS = 8,	  /* outcomes, POS TELL: struct mta_pos */
};

struct priv_exit {
	int32_t exited, exit_code, signal, out_truncated;
};

struct priv_hdr {
	uint32_t magic;
	uint32_t verb; /* request: enum priv_verb; reply: priv_reply_kind */
	uint32_t arg;
	uint32_t count; /* slots in the payload */
};

struct priv_hook_req {
	char domain[LIMIT_DOMAIN + 1];
	char resolver[PRIV_RESOLVER_MAX]; /* "" for escalate */
	char report[PRIV_REPORT_MAX];	  /* "" for flush */
};

struct priv_msg {
	char queue_id[PRIV_ID_SLOT];
	char sender[LIMIT_ADDRESS + 1];
	int64_t arrival;
	int32_t held, deferred;
	uint32_t nrcpts;
};

struct priv_end {
	int32_t status; /* 0, or -1 with err */
	uint32_t done;
	int32_t complete; /* scan; outcomes: more to read (mta_outcomes) */
	uint32_t skipped; /* scan */
	char err[PRIV_ERR_MAX];
};

/** Start a hook template of the helper's policy as [hooks] user in
 *  @param pool, tagged @param tag (the pass's runner, pass_hooks_begin).
 *  @return 0 started, 1 the pool is full, -1 not started (logged). */
typedef int (*priv_hook_fn)(struct spawn_pool *pool, char *const tmpl[],
			    const char *user, const char *what, int tag,
			    const char *domain, const char *resolver,
			    const char *file);

/* What the helper serves: its own plugin, policy and hook runner. */
struct priv_server {
	const struct mta_plugin *pl;
	void *state;
	const struct policy *policy;
	priv_hook_fn hook;
	/** Re-read the policy file; may replace pl/state/policy. */
	int (*reload)(struct priv_server *s, char *err, size_t errlen);
	void *reload_arg;
	spawn_pool_fn hook_end; /* logs how a hook ended (NULL: nothing) */
};

/* The END text of a hook the helper did not start (it logged why). */
#define PRIV_HOOK_NOT_STARTED "hook not started (logged by the helper)"

/* priv_proto.c: pure checks shared by both sides. */

/** 1 when @param slot (PRIV_ID_SLOT bytes) holds an acceptable id. */
int priv_id_ok(const char *slot, const struct mta_plugin *pl);
/**
 * 1 when @param slot (PRIV_ID_SLOT bytes) is a spec of @param which
 * (MTA_FILE_QDIR_DEFERRED: 0..MTA_QDIR_DEPTH of [0-9A-Za-z]; or
 * MTA_FILE_DEFER_LOG: that, a '.', and an id priv_id_ok() accepts; or
 * the id alone). Never a path: no '/', no "..".
 */
int priv_qspec_ok(const char *slot, unsigned which,
		  const struct mta_plugin *pl);
/** 1 for a domain: 1..LIMIT_DOMAIN of [A-Za-z0-9.-_], no leading '-'/'.'. */
int priv_domain_ok(const char *s, size_t cap);
/** 1 for a resolver "IP:PORT" / "[v6]:PORT" of [0-9A-Fa-f.:[]]. */
int priv_resolver_ok(const char *s, size_t cap);
/** 1 for a report base name: [A-Za-z0-9._-], no leading '.', no '/'. */
int priv_report_ok(const char *s, size_t cap);

/** Send one frame (header + payload). @return 0, or -1 (errno). */
int priv_send(int fd, uint32_t verb, uint32_t arg, uint32_t count,
	      const void *payload, size_t len);
/**
 * Receive one frame into @param buf (PRIV_FRAME_MAX bytes). @return its
 * length (>= sizeof(struct priv_hdr), magic checked), 0 at EOF, or -1:
 * a short, oversized (truncated) or foreign frame, or an I/O error.
 */
ssize_t priv_recv(int fd, void *buf);
/** priv_send() with @param passfd (>= 0) attached (SCM_RIGHTS). */
int priv_send_fd(int fd, uint32_t verb, uint32_t arg, uint32_t count,
		 const void *payload, size_t len, int passfd);
/**
 * priv_recv() that also takes a descriptor sent with the frame into
 * *@param gotfd (-1 when none; any other is closed). Only the daemon's
 * side uses it: the helper never accepts a descriptor.
 */
ssize_t priv_recv_fd(int fd, void *buf, int *gotfd);

/* priv_helper.c: the privileged side. */

/**
 * Serve requests on @param fd until EOF: each one validated, refused
 * (END with -1 and why) or performed through @param s. @return 0 at
 * EOF, -1 on an I/O error of the socket.
 */
int priv_serve(int fd, struct priv_server *s);

/* priv_client.c: the daemon's side. */

struct priv_client;

/**
 * The plugin vtable the daemon uses after the drop: every call becomes
 * a request to the helper; valid_id is the real plugin's. Its state is
 * the struct priv_client.
 */
extern const struct mta_plugin priv_client_plugin;

/** A client on @param fd checking ids with @param pl. NULL: no memory. */
struct priv_client *priv_client_new(int fd, const struct mta_plugin *pl);
void priv_client_free(struct priv_client *c);
/** The vtable for @param c: priv_client_plugin with the real valid_id. */
const struct mta_plugin *priv_client_vtable(const struct priv_client *c);
/** Ask the helper to start a hook (kind, %d, %r, report base name);
 *  it runs beside, the helper answers once it started. */
int priv_client_hook(struct priv_client *c, enum priv_hook kind,
		     const char *domain, const char *resolver,
		     const char *report, char *err, size_t errlen);
/**
 * Wait at most @param wait_ms (the helper caps it) for the hooks of
 * @param kind (0: every kind) the helper runs. *@param running gets how
 * many still run. @return 0, or -1 with err.
 */
int priv_client_hook_wait(struct priv_client *c, unsigned kind,
			  unsigned wait_ms, size_t *running, char *err,
			  size_t errlen);
/** Ask the helper to re-read its policy. @return 0, or -1 with err. */
int priv_client_reload(struct priv_client *c, char *err, size_t errlen);
/**
 * The host a parsing instance of the plugin is opened with: its list
 * and open_file ask the helper (PRIV_LIST, PRIV_OPEN). Valid as long
 * as @param c.
 */
const struct mta_host *priv_client_host(struct priv_client *c);
/**
 * From now on scan, outcomes and their frees go to @param state, an
 * instance of the real plugin opened with priv_client_host() (NULL:
 * back to asking the helper to parse, the old way).
 */
void priv_client_set_parser(struct priv_client *c, void *state);

/* priv_drop.c: starting the helper and dropping privileges. */

/**
 * Fork the helper serving @param s (it never returns there: it exits
 * at EOF). @return the daemon's end of the socketpair, or -1 with err;
 * *pid gets the helper's pid.
 */
int priv_start(struct priv_server *s, pid_t *pid, char *err, size_t errlen);

/**
 * Become @param user (its group too): state_dir (and its files) owned
 * by user:group, dirs 0750, files 0640; setgroups, setgid, setuid, then
 * no new privileges and no exec (seccomp) for this process.
 * @return 0, or -1 with err (nothing half-dropped is left running: the
 * caller exits).
 */
int priv_drop(const char *user, const char *state_dir, char *err,
	      size_t errlen);

/* priv_seccomp.c: the no-exec filter of the dropped daemon. */

struct sock_fprog;
/**
 * The filter: arch must be the build's (else kill), no x32 numbers
 * (else kill), execve/execveat fail with EPERM, the rest is allowed.
 * @return 0, or -1 (ENOSYS) for an architecture this build does not know.
 */
int priv_seccomp_prog(struct sock_fprog *prog);
/** Install it (no_new_privs must be set). @return 0, or -1 with errno. */
int priv_seccomp_apply(void);

#endif
