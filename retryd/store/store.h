/*
 * NAME
 *	store 3h
 * SUMMARY
 *	the Berkeley DB state: messages, due index, evidence, domains,
 *	verifications, suppressed addresses
 * DESCRIPTION
 *	One transactional Berkeley DB 5.3 environment in state_dir. Only the
 *	daemon opens it with recovery (STORE_OPEN_DAEMON); retryctl joins it
 *	without recovery (STORE_OPEN_JOIN) and reads (or makes small writes
 *	such as unsuppress) while the daemon runs.
 *
 *	Databases (all B-trees; every value starts with a format version):
 *	  messages       key "MTA\0QUEUEID"   -> struct store_message
 *	  due (2ndary)   key BE64(next_attempt) -> messages primary key
 *	  state (2ndary) key u8 state + primary key (live), or
 *	                 6 + BE64(finished) + primary key (done) -> primary key
 *	  evidence       key "ADDRESS\0" BE64(time) BE32(seq) -> store_evidence
 *	  domains        key DOMAIN           -> struct store_domain
 *	  verifications  key "DOMAIN\0" BE64(time) -> struct store_verification
 *	  suppressed     key ADDRESS          -> struct store_suppressed
 *	  events         key "E" DOMAIN "\0" BE64(time) NODE "\0" | "W" DOMAIN "\0"
 *	                 -> the sentinel's JSON text (store_event.c)
 *	  positions      key NAME ("postfix:outcomes") -> a log reader's position
 *	                 (store_position.c; written with what was read)
 *
 *	Every write happens inside a store_txn; a NULL txn means "one
 *	auto-committed transaction for this call". Deadlocks are retried
 *	inside the store where the call owns the transaction; with a caller
 *	transaction STORE_RETRY is returned and the caller aborts and retries.
 *	Times are wall-clock seconds (recorded, never used as timers).
 */
#ifndef RETRYD_STORE_H
#define RETRYD_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "util/limits.h"

#define STORE_FORMAT_VERSION 1

/* Return codes of store functions. */
#define STORE_OK       0
#define STORE_NOTFOUND 1
#define STORE_RETRY    2    /* deadlock/lock timeout: abort txn and retry */
#define STORE_ERROR    (-1) /* err buffer says why */
#define STORE_NOSPACE  (-2) /* disk full (ENOSPC): stop adopting, resume later */

enum store_open_mode {
	STORE_OPEN_DAEMON, /* create if missing, run recovery, checkpoints */
	STORE_OPEN_JOIN,   /* join the running environment, no recovery */
	STORE_OPEN_READ,   /* JOIN with read-only handles, create nothing
			    * (a member of the store's group) */
};

/* Where a message is in retryd's hands. Intents are the *_INTENT states. */
enum store_msg_state {
	STORE_MSG_ADOPT_INTENT = 1,    /* recorded; hold not yet confirmed */
	STORE_MSG_HELD = 2,	       /* held in the MTA by us, waiting */
	STORE_MSG_RELEASE_INTENT = 3,  /* about to release + deliver */
	STORE_MSG_ATTEMPTING = 4,      /* released; waiting for the outcome */
	STORE_MSG_GIVEBACK_INTENT = 5, /* about to hand back (bounce/expire) */
	STORE_MSG_DONE = 6, /* delivered/bounced/given back: kept for show */
};

enum store_rcpt_state {
	STORE_RCPT_PENDING = 1,
	STORE_RCPT_DELIVERED = 2,
	STORE_RCPT_BOUNCED = 3,
	STORE_RCPT_SUPPRESSED = 4,
	STORE_RCPT_GIVEN_BACK = 5,
};

struct store_rcpt {
	char address[LIMIT_ADDRESS + 1];
	enum store_rcpt_state state;
	char dsn[LIMIT_DSN + 1];       /* last DSN code seen, "" if none */
	char reason[LIMIT_REASON + 1]; /* last reason text, truncated */
};

struct store_message {
	char mta[LIMIT_MTA_NAME + 1];
	char queue_id[LIMIT_QUEUE_ID + 1];
	char sender[LIMIT_ADDRESS + 1];
	char domain[LIMIT_DOMAIN + 1]; /* routing domain the schedule follows */
	char group[LIMIT_POLICY_GROUP_NAME + 1]; /* "" when in no group */
	enum store_msg_state state;
	int64_t arrival;       /* MTA arrival time */
	int64_t first_failure; /* when the failure was first seen */
	int64_t adopted_at;
	int64_t next_attempt; /* due index key; 0 = not scheduled */
	int64_t last_attempt; /* 0 = never */
	uint32_t attempts;
	char last_verdict[LIMIT_VERDICT + 1];
	char last_reason[LIMIT_REASON + 1];
	size_t nrcpts;		   /* <= LIMIT_RCPTS_PER_MESSAGE */
	struct store_rcpt rcpts[]; /* flexible: use store_message_new */
};

enum store_outcome {
	STORE_OUTCOME_NONE = 0, /* no attempt made (verdict said wait) */
	STORE_OUTCOME_DELIVERED = 1,
	STORE_OUTCOME_DEFERRED = 2,
	STORE_OUTCOME_BOUNCED = 3,
};

/* One attempt (or decision) for one recipient: the evidence. */
struct store_evidence {
	char address[LIMIT_ADDRESS + 1];
	int64_t time;
	char queue_id[LIMIT_QUEUE_ID + 1];
	char host_id[LIMIT_HOST_ID + 1];
	char verdict[LIMIT_VERDICT + 1]; /* DNS verdict at the attempt */
	enum store_outcome outcome;
	char dsn[LIMIT_DSN + 1];
	char text[LIMIT_REASON + 1];
	char category[LIMIT_CATEGORY + 1]; /* classifier category, "" if none */
	char dns[LIMIT_EVIDENCE_DNS + 1];  /* each resolver's answer, summary */
};

struct store_domain {
	char domain[LIMIT_DOMAIN + 1];
	int64_t last_verified;		 /* 0 = never */
	char verdict[LIMIT_VERDICT + 1]; /* of the last verification */
	int64_t first_failing; /* start of the current failure, 0 = none */
	int64_t last_healthy;  /* 0 = never seen healthy */
	char last_mx[LIMIT_DOMAIN + 1]; /* best MX host last seen, "" if none */
	int64_t last_escalated;		/* 0 = never */
};

/* One verification as measured; answers is the verifier's JSON text. */
struct store_verification {
	char domain[LIMIT_DOMAIN + 1];
	int64_t time;
	char verdict[LIMIT_VERDICT + 1];
	char *answers; /* owned by the struct; NUL-terminated */
};

struct store_suppressed {
	char address[LIMIT_ADDRESS + 1];
	int64_t time;
	char reason[LIMIT_REASON + 1]; /* criteria met, human readable */
	char
	    evidence[LIMIT_EVIDENCE_DNS + 1]; /* summary of the evidence used */
};

struct store;
struct store_txn;

/**
 * Open (creating when DAEMON) the environment in @param dir.
 * @param cache_bytes Berkeley DB cache size (0: a sensible default, 16 MB).
 * @return STORE_OK and *out (caller closes with store_close), or
 * STORE_ERROR with @param err telling the operator what to do next
 * (e.g. a failed recovery: "run db5.3_recover -h DIR, or move DIR aside").
 */
int store_open(const char *dir, enum store_open_mode mode, size_t cache_bytes,
	       struct store **out, char *err, size_t errlen);

/** Close everything; a daemon store checkpoints first. NULL is fine. */
void store_close(struct store *st);

/**
 * Has the environment panicked (Berkeley DB returned DB_RUNRECOVERY, e.g.
 * because another process found that a registered process died)? Every
 * call then fails: the daemon must store_close() and store_open() again
 * (DAEMON mode runs recovery); retryctl should report and exit.
 */
int store_needs_reopen(const struct store *st);

/**
 * Free what processes that died attached held: abort their transactions,
 * release their locks (DB_ENV->failchk). Safe from another thread while
 * the store is in use. *@param freed gets how many things were freed
 * (Berkeley DB's messages; @param err then holds the first one).
 * @return STORE_OK, or STORE_ERROR with @param err; when failchk could
 * not clean up, the environment is panicked and store_needs_reopen() is
 * true.
 */
int store_failchk(struct store *st, unsigned *freed, char *err, size_t errlen);

/** Checkpoint and remove logs no longer needed (daemon, every few s). */
int store_checkpoint(struct store *st, char *err, size_t errlen);

/** Begin a transaction. @return STORE_OK or STORE_ERROR. */
int store_txn_begin(struct store *st, struct store_txn **out, char *err,
		    size_t errlen);
/** Commit; @return STORE_OK, STORE_NOSPACE or STORE_ERROR. Frees txn. */
int store_txn_commit(struct store_txn *txn, char *err, size_t errlen);
/** Abort; frees txn. */
void store_txn_abort(struct store_txn *txn);

/** Allocate a message with room for @param nrcpts recipients (zeroed). */
struct store_message *store_message_new(size_t nrcpts);
void store_message_free(struct store_message *m);

/* Messages. put replaces and keeps the due index in step. */
int store_put_message(struct store *st, struct store_txn *txn,
		      const struct store_message *m, char *err, size_t errlen);
/** @param out receives a message the caller frees (store_message_free). */
int store_get_message(struct store *st, struct store_txn *txn, const char *mta,
		      const char *queue_id, struct store_message **out,
		      char *err, size_t errlen);
int store_del_message(struct store *st, struct store_txn *txn, const char *mta,
		      const char *queue_id, char *err, size_t errlen);

/**
 * Called for each message; the message is only valid during the call.
 * Return 0 to go on, non-zero to stop the walk (that value is returned).
 */
typedef int (*store_message_fn)(const struct store_message *m, void *arg);

/** Every message, in key order (read-only, no transaction needed). */
int store_walk_messages(struct store *st, store_message_fn fn, void *arg,
			char *err, size_t errlen);

/**
 * Messages with 0 < next_attempt <= @param due_by, earliest first, at
 * most @param limit (0 = no limit): an index range scan, O(log n + k),
 * plus one record fetch per message (in key order, batch by batch).
 * A scheduler that only needs to pick the due set should use
 * store_walk_due_ids(), which reads no record.
 */
int store_walk_due(struct store *st, int64_t due_by, size_t limit,
		   store_message_fn fn, void *arg, char *err, size_t errlen);

/**
 * Called for each entry of store_walk_due_ids(): the message's key and
 * its next attempt. The strings are only valid during the call. Return
 * 0 to go on, non-zero to stop the walk (that value is returned).
 */
typedef int (*store_due_id_fn)(int64_t next_attempt, const char *mta,
			       const char *queue_id, void *arg);

/**
 * The identities of the messages with 0 < next_attempt <= @param due_by,
 * in the order store_walk_due() delivers them (next_attempt, then key),
 * at most @param limit (0 = no limit), read from the due index alone:
 * O(log n + k) with sequential index pages and no message record read.
 * The caller fetches each message (store_get_message) when it handles
 * it, and must expect STORE_NOTFOUND or a changed next_attempt if the
 * message moved meanwhile. A record that does not decode is still
 * listed here (store_walk_due skips it; store_get_message refuses it).
 */
int store_walk_due_ids(struct store *st, int64_t due_by, size_t limit,
		       store_due_id_fn fn, void *arg, char *err, size_t errlen);

/**
 * Called for each entry of the state index walks: the message's state,
 * when it finished (DONE only, else 0) and its key. The strings are only
 * valid during the call. Return 0 to go on, non-zero to stop the walk
 * (that value is returned).
 */
typedef int (*store_state_id_fn)(enum store_msg_state state, int64_t finished,
				 const char *mta, const char *queue_id,
				 void *arg);

/* Bit of a state in the mask of store_walk_live_ids(). */
#define STORE_STATE_BIT(s) (1u << (s))
#define STORE_STATES_LIVE                                                      \
	(STORE_STATE_BIT(STORE_MSG_ADOPT_INTENT) |                             \
	 STORE_STATE_BIT(STORE_MSG_HELD) |                                     \
	 STORE_STATE_BIT(STORE_MSG_RELEASE_INTENT) |                           \
	 STORE_STATE_BIT(STORE_MSG_ATTEMPTING) |                               \
	 STORE_STATE_BIT(STORE_MSG_GIVEBACK_INTENT))

/**
 * The identities of the live messages whose state is in @param states
 * (STORE_STATE_BIT()s; DONE is ignored), by state then key, read from
 * the state index alone: O(log n + live), however many messages are
 * done. Like store_walk_due_ids() the walk is not a snapshot and reads
 * no record: the caller fetches what it handles (store_get_message) and
 * must expect STORE_NOTFOUND or another state by then.
 */
int store_walk_live_ids(struct store *st, unsigned states, store_state_id_fn fn,
			void *arg, char *err, size_t errlen);

/**
 * The identities of @param mta's messages in the live @param state whose
 * queue id sorts after @param after ("": from the first), in queue id
 * order, at most @param limit (0 = no limit), from the state index alone:
 * O(log n + k). A caller resumes a long walk in bounded steps by passing
 * the last id it saw. STORE_ERROR for DONE or a bad name.
 */
int store_walk_state_ids_after(struct store *st, enum store_msg_state state,
			       const char *mta, const char *after, size_t limit,
			       store_state_id_fn fn, void *arg, char *err,
			       size_t errlen);

/**
 * The identities of DONE messages that finished (the later of adopted_at
 * and last_attempt) before @param before, oldest first, at most @param
 * limit (0 = no limit), from the state index alone: O(log n + k).
 */
int store_walk_done_ids(struct store *st, int64_t before, size_t limit,
			store_state_id_fn fn, void *arg, char *err,
			size_t errlen);

/* What an evidence record says; NULL strings are stored empty. */
struct store_evidence_src {
	const char *address;
	int64_t time;
	const char *queue_id;
	const char *host_id;
	const char *verdict;
	enum store_outcome outcome;
	const char *dsn;
	const char *category;
	const char *dns;
};

/**
 * The one place an evidence record is filled: zero @param ev, copy
 * @param src in (each field cut at its bound) and format the text from
 * @param fmt. Pure: no I/O.
 */
void store_evidence_fill(struct store_evidence *ev,
			 const struct store_evidence_src *src, const char *fmt,
			 ...) __attribute__((format(printf, 3, 4)));

/* Evidence: appended per recipient, read back oldest first. */
int store_add_evidence(struct store *st, struct store_txn *txn,
		       const struct store_evidence *ev, char *err,
		       size_t errlen);
typedef int (*store_evidence_fn)(const struct store_evidence *ev, void *arg);
int store_walk_evidence(struct store *st, const char *address,
			store_evidence_fn fn, void *arg, char *err,
			size_t errlen);

/* Domains. */
int store_put_domain(struct store *st, struct store_txn *txn,
		     const struct store_domain *d, char *err, size_t errlen);
int store_get_domain(struct store *st, struct store_txn *txn,
		     const char *domain, struct store_domain *out, char *err,
		     size_t errlen);
typedef int (*store_domain_fn)(const struct store_domain *d, void *arg);
int store_walk_domains(struct store *st, store_domain_fn fn, void *arg,
		       char *err, size_t errlen);

/* Verifications (history for reports). */
int store_add_verification(struct store *st, struct store_txn *txn,
			   const struct store_verification *v, char *err,
			   size_t errlen);
typedef int (*store_verification_fn)(const struct store_verification *v,
				     void *arg);
/** Verifications of @param domain (NULL: all) at or after @param since. */
int store_walk_verifications(struct store *st, const char *domain,
			     int64_t since, store_verification_fn fn, void *arg,
			     char *err, size_t errlen);
/**
 * Delete verifications older than @param before, in one transaction,
 * visiting at most @param steps keys: a domain's old ones are deleted
 * oldest first, then the cursor jumps to the next domain. @param cursor
 * (a domain, "" = the first) says where to start and receives where the
 * next call resumes ("" after the last domain). *@param deleted gets the
 * number deleted. O(log n) per step, whatever the history's size.
 */
int store_prune_verifications(struct store *st, int64_t before, size_t steps,
			      char *cursor, size_t cursorlen, size_t *deleted,
			      char *err, size_t errlen);

/*
 * The sentinel's events and watch state (events.db, store_event.c): the
 * text is the sentinel's own JSON, at most LIMIT_EVENT_TEXT bytes.
 */
struct store_event {
	char domain[LIMIT_DOMAIN + 1];	 /* "" for the run record */
	int64_t time;			 /* events only */
	char node[LIMIT_EVENT_NODE + 1]; /* events only; "" = domain-wide */
	const char *json; /* borrowed: valid during the call only */
};
typedef int (*store_event_fn)(const struct store_event *ev, void *arg);
/** Add (or replace: same domain, second and node) one event. */
int store_add_event(struct store *st, struct store_txn *txn,
		    const struct store_event *ev, char *err, size_t errlen);
/** @param domain's events at or after @param since; NULL: every domain. */
int store_walk_events(struct store *st, const char *domain, int64_t since,
		      store_event_fn fn, void *arg, char *err, size_t errlen);
/** The watch state of @param domain ("": the last run record). */
int store_put_watch(struct store *st, struct store_txn *txn, const char *domain,
		    const char *json, char *err, size_t errlen);
/** *json is malloc'd (caller frees) on STORE_OK; STORE_NOTFOUND: none. */
int store_get_watch(struct store *st, struct store_txn *txn, const char *domain,
		    char **json, char *err, size_t errlen);
/** Every watch state, the run record (domain "") first. */
int store_walk_watch(struct store *st, store_event_fn fn, void *arg, char *err,
		     size_t errlen);

/*
 * Positions of the MTA log readers (positions.db, store_position.c): an
 * opaque position per name, written in the caller's transaction so it
 * commits with what was read up to it.
 */
#define STORE_POSITION_MAX	1100 /* bytes of a position (MTA_POS_MAX) */
#define STORE_POSITION_NAME_MAX 64
int store_put_position(struct store *st, struct store_txn *txn,
		       const char *name, const void *pos, size_t len, char *err,
		       size_t errlen);
/** Copy the position of @param name (at most @param cap bytes) into
 *  @param pos. @return STORE_OK, STORE_NOTFOUND (none yet) or an error. */
int store_get_position(struct store *st, struct store_txn *txn,
		       const char *name, void *pos, size_t cap, size_t *len,
		       char *err, size_t errlen);

/* Suppressed addresses. */
int store_put_suppressed(struct store *st, struct store_txn *txn,
			 const struct store_suppressed *s, char *err,
			 size_t errlen);
int store_get_suppressed(struct store *st, struct store_txn *txn,
			 const char *address, struct store_suppressed *out,
			 char *err, size_t errlen);
int store_del_suppressed(struct store *st, struct store_txn *txn,
			 const char *address, char *err, size_t errlen);
typedef int (*store_suppressed_fn)(const struct store_suppressed *s, void *arg);
int store_walk_suppressed(struct store *st, store_suppressed_fn fn, void *arg,
			  char *err, size_t errlen);

/* One daemon per state_dir (store_lock.c). */
enum store_lock_kind {
	STORE_LOCK_DAEMON, /* retryd's life; never waited for */
	STORE_LOCK_WRITER, /* a retryctl write command, waited for */
};
#define STORE_LOCK_OK	   0
#define STORE_LOCK_BUSY	   1 /* held by *holder: exit STORE_LOCK_EX_BUSY */
#define STORE_LOCK_ERROR   (-1)
#define STORE_LOCK_EX_BUSY 75 /* EX_TEMPFAIL: in use by another process */
#define STORE_LOCK_DIR_MAX 4096

/**
 * Take lock @param kind on @param dir/retryd.lock, creating the
 * directory (0700) and the file when missing; wait at most
 * @param wait_ms for it. @return STORE_LOCK_OK and *@param fd_out (keep
 * it open while locked; store_unlock() it), STORE_LOCK_BUSY with
 * *@param holder (its pid, 0 if unknown) and @param err
 * "state_dir X is in use by pid N", or STORE_LOCK_ERROR with err.
 */
int store_lock(const char *dir, enum store_lock_kind kind, int wait_ms,
	       int *fd_out, long *holder, char *err, size_t errlen);
/** Release a lock taken by store_lock() (-1 is fine). */
void store_unlock(int fd);
/*
 * The fleet outbox (store_outbox.c): with a [fleet] database, every
 * evidence record and verification committed is also queued here in the
 * same transaction, to be shipped to PostgreSQL and removed.
 */
enum store_outbox_kind {
	STORE_OUTBOX_EVIDENCE = 'E',
	STORE_OUTBOX_VERIFICATION = 'V',
};

struct store_outbox_stat {
	uint64_t evidence;	/* records waiting */
	uint64_t verifications; /* records waiting */
	uint64_t dropped;	/* verifications dropped at the bound, ever */
	uint64_t next_seq;	/* the seq the next record gets */
};

/**
 * Open (create) outbox.db: from now on store_add_evidence() and
 * store_add_verification() queue what they write. @param max: records
 * kept before the oldest verifications are dropped (0: the default,
 * LIMIT_OUTBOX_RECORDS). @return a STORE_* code.
 */
int store_outbox_enable(struct store *st, size_t max, char *err, size_t errlen);
/** 1 when store_outbox_enable() was called on this handle. */
int store_outbox_enabled(const struct store *st);
/** Counts of the outbox (all zero when not enabled). */
int store_outbox_stat(struct store *st, struct store_outbox_stat *out,
		      char *err, size_t errlen);
/**
 * Called for each queued record: exactly one of @param ev, @param v is
 * set; both only valid during the call. Non-zero stops the walk.
 */
typedef int (*store_outbox_fn)(uint64_t seq, const struct store_evidence *ev,
			       const struct store_verification *v, void *arg);
/**
 * The oldest @param limit records of @param kind, by seq. @param seqs
 * (room for @param limit) receives every seq visited, *@param nseqs how
 * many, including records that did not decode (skipped, to be removed).
 */
int store_outbox_walk(struct store *st, enum store_outbox_kind kind,
		      size_t limit, uint64_t *seqs, size_t *nseqs,
		      store_outbox_fn fn, void *arg, char *err, size_t errlen);
/** Remove shipped records (missing ones are fine), one transaction. */
int store_outbox_remove(struct store *st, enum store_outbox_kind kind,
			const uint64_t *seqs, size_t n, char *err,
			size_t errlen);

/** Names of the enums, for listings and logs ("held", "delivered"). */
const char *store_msg_state_name(enum store_msg_state s);
const char *store_rcpt_state_name(enum store_rcpt_state s);
const char *store_outcome_name(enum store_outcome o);

#endif
