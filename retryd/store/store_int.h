/*
 * NAME
 *	store_int 3h
 * SUMMARY
 *	private plumbing shared by the store's files (not an interface)
 * DESCRIPTION
 *	Only retryd/store*.c include this. It declares the store handle,
 *	the transaction wrapper, the runner that gives every call its
 *	transaction and deadlock policy, the error formatter and the chunked
 *	walk helpers.
 */
#ifndef RETRYD_STORE_INT_H
#define RETRYD_STORE_INT_H

#include <db.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "store/store.h"

/* A record that fails to decode (not a Berkeley DB code: those are
 * -30800..-30999, errno values are positive). */
#define STORE_EBADRECORD (-1000)

#define STORE_DIR_MAX 4096 /* bytes of a state_dir path, with NUL */

#define STORE_GUARD_WAIT_MS  30000 /* a live mutex holder waited for, guarded */
#define STORE_GUARD_WAIT_FNS 4	   /* Berkeley DB functions that wait */

struct store_guard_range {
	uintptr_t lo, hi; /* [lo, hi) of a function's code */
};

/*
 * A way out of a Berkeley DB call that waits on a mutex whose holder died
 * (store_alive.c). The caller owns it (on its stack) and does:
 *	if (sigsetjmp(g.jb, 0) != 0) { fired: see st->fired }
 *	store_guard_arm(st, &g); ... Berkeley DB call ...; store_guard_disarm(st);
 */
struct store_guard {
	sigjmp_buf jb;
	pthread_t thread; /* the one thread it catches */
	struct store_guard_range waits[STORE_GUARD_WAIT_FNS];
	pid_t run_pid;	   /* the pid asked about in a row... */
	unsigned run_n;	   /* ...this many times */
	int run_wait;	   /* 1: from a mutex wait */
	int64_t run_since; /* when the wait was recognised */
	pid_t cache_pid;   /* the last verdict */
	int cache_alive;
	int64_t cache_at;
};

/* Why a guard fired: written in the store, not in the jumped-over frame. */
struct store_guard_exit {
	pid_t holder;	   /* whose mutex was waited on */
	int dead;	   /* 1: holder dead; 0: alive, held too long */
	int64_t waited_ms; /* how long a live holder was waited for */
};

struct store {
	DB_ENV *env;
	DB *messages;
	DB *due;
	DB *state; /* secondary: live ids by state, done ids by time */
	DB *evidence;
	DB *domains;
	DB *verifications;
	DB *suppressed;
	DB *events;	   /* the sentinel's (store_event.c) */
	DB *outbox;	   /* NULL unless store_outbox_enable() (fleet) */
	DB *positions;	   /* NULL until first used (store_position.c) */
	size_t outbox_max; /* records kept before verifications drop */
	enum store_open_mode mode;
	char dir[STORE_DIR_MAX];
	char bdb_msg[256]; /* Berkeley DB's last own error text, "" if none */
	int panicked;	   /* DB_RUNRECOVERY seen: close and reopen */
	_Atomic(struct store_guard *) guard; /* armed: store_alive.c */
	struct store_guard_exit fired;	     /* the last time it fired */
	unsigned freed;	     /* failchk messages since the last store_failchk */
	char freed_msg[160]; /* the first of them */
};

struct store_txn {
	struct store *st;
	DB_TXN *tid;
	int doomed; /* a deadlock happened inside: commit must abort */
};

/**
 * One operation of a store call, run inside transaction @param tid.
 * @return 0, DB_NOTFOUND, or a Berkeley DB / errno code (or
 * STORE_EBADRECORD) after filling @param err with store_fail().
 */
typedef int (*store_op_fn)(struct store *st, DB_TXN *tid, void *arg, char *err,
			   size_t errlen);

/**
 * Run @param op in the caller's transaction (@param txn non-NULL: a
 * deadlock returns STORE_RETRY and dooms txn) or in an auto-committed
 * one retried on deadlock up to LIMIT_STORE_DEADLOCK_TRIES times.
 * @param readonly: the auto transaction is read-committed.
 * @return a STORE_* code.
 */
int store_run(struct store *st, struct store_txn *txn, int readonly,
	      store_op_fn op, void *arg, char *err, size_t errlen);

/**
 * Read one chunk of a walk under @param tid. @return 0 or a Berkeley DB /
 * errno code (nothing filled in err: store_run_chunk reports it).
 */
typedef int (*store_chunk_fn)(DB_TXN *tid, void *arg);

/**
 * The one transaction-retry driver of the chunked walks: run @param read
 * in its own read-committed transaction, committed before the caller's
 * callbacks run. On a deadlock or lock timeout @param reset (may be NULL)
 * puts the caller's position back and the read is retried, at most
 * LIMIT_STORE_DEADLOCK_TRIES times. @return STORE_OK, or STORE_NOSPACE,
 * STORE_RETRY or STORE_ERROR with @param err ("store: DB: walk: ...").
 */
int store_run_chunk(struct store *st, const char *dbname, store_chunk_fn read,
		    void (*reset)(void *arg), void *arg, char *err,
		    size_t errlen);

/** Map a Berkeley DB / errno code to a STORE_* code. */
int store_code(int ret);

/**
 * Fill @param err with "store: DB: WHAT: reason" (adding Berkeley DB's
 * own message and the next step for damage). @return @param ret.
 */
int store_fail(struct store *st, char *err, size_t errlen, const char *db,
	       const char *what, int ret);

/** @param key as printable text: NUL shown as '/', others masked. */
char *store_key_printable(const void *key, size_t len, char *buf, size_t cap);

/* Records copied out of a cursor so callbacks run with no lock held. */
struct store_chunk_item {
	uint8_t *key; /* key and value share one allocation */
	size_t klen;
	uint8_t *val;
	size_t vlen;
};

struct store_chunk {
	struct store_chunk_item items[LIMIT_STORE_WALK_CHUNK];
	size_t n;
	size_t bytes;
};

/** Copy one record in; @return 0, or ENOMEM. */
int store_chunk_add(struct store_chunk *ch, const void *key, size_t klen,
		    const void *val, size_t vlen);
/** Is the chunk full (by count or bytes)? */
int store_chunk_full(const struct store_chunk *ch);
/** Free the items from @param from on and empty the chunk. */
void store_chunk_clear(struct store_chunk *ch);

/** Called for each record of a raw walk. Non-zero stops the walk. */
typedef int (*store_raw_fn)(struct store *st, const uint8_t *key, size_t klen,
			    const uint8_t *val, size_t vlen, void *arg);

/**
 * Walk @param db in key order from @param start (NULL: the first key)
 * while keys begin with @param prefix (NULL: to the end), in chunks read
 * under read-committed transactions; @param fn runs with no lock held.
 * @return STORE_OK, the callback's non-zero value, or a STORE_* error.
 */
int store_walk_raw(struct store *st, DB *db, const char *dbname,
		   const void *start, size_t startlen, const void *prefix,
		   size_t prefixlen, store_raw_fn fn, void *arg, char *err,
		   size_t errlen);

/* Single records keyed by bytes (domains, verifications, suppressed). */
int store_kv_put(struct store *st, struct store_txn *txn, DB *db,
		 const char *dbname, const void *key, size_t klen,
		 const void *val, size_t vlen, char *err, size_t errlen);
/** *val is malloc'd (caller frees) on STORE_OK. */
int store_kv_get(struct store *st, struct store_txn *txn, DB *db,
		 const char *dbname, const void *key, size_t klen,
		 uint8_t **val, size_t *vlen, char *err, size_t errlen);
int store_kv_del(struct store *st, struct store_txn *txn, DB *db,
		 const char *dbname, const void *key, size_t klen, char *err,
		 size_t errlen);

/**
 * Queue a copy of a record just written (@param kind 'E' evidence or
 * 'V' verification, @param val its encoded value) in the outbox, in
 * transaction @param tid. Does nothing when the outbox is not enabled.
 * @return 0 or a Berkeley DB code (store_fail() filled @param err).
 */
int store_outbox_put_op(struct store *st, DB_TXN *tid, char kind,
			const void *val, size_t vlen, char *err, size_t errlen);

/**
 * Wait (at most LIMIT_STORE_OPEN_WAIT_MS) for the exclusive right to open
 * the environment in @param dir (store_gate.c). @param readonly: a
 * directory that cannot be opened lets the caller in ungated.
 * @return 0 with *@param fd_out (-1 when ungated; the caller passes it to
 * store_gate_leave()), or -1 with @param err.
 */
int store_gate_enter(const char *dir, int readonly, int *fd_out, char *err,
		     size_t errlen);
/** Let the next opener in (closes @param fd; -1 is ignored). */
void store_gate_leave(int fd);

/**
 * Give every region file of the environment in @param dir that this
 * process maps its disk blocks over the whole mapping (store_region.c),
 * so a region that grows later never faults on a full disk.
 * @return STORE_OK, STORE_NOSPACE or STORE_ERROR with @param err.
 */
int store_region_reserve(const char *dir, char *err, size_t errlen);

/**
 * Berkeley DB's is-alive question for the store @param st: is @param pid
 * (not us) still attached? Zombies and processes that do not map the
 * environment count as dead (store_alive.c). Under the calling thread's
 * guard, a question asked from inside a mutex wait about a dead holder
 * (or one waited for STORE_GUARD_WAIT_MS) jumps to the guard instead of
 * returning. @return 1 alive, 0 dead.
 */
int store_alive_ask(struct store *st, pid_t pid);

/**
 * Is process @param pid alive and attached to the environment in
 * @param dir (maps dir/__db.001)? When /proc cannot tell, signal 0
 * decides. Our own pid: 1. @return 1 or 0.
 */
int store_alive_pid(const char *dir, pid_t pid);

/** Arm @param g (after its sigsetjmp) for this thread on @param st. */
void store_guard_arm(struct store *st, struct store_guard *g);
/** Disarm the guard of @param st (after the guarded call returned). */
void store_guard_disarm(struct store *st);

#ifdef RETRYD_TEST_FAULTS
/**
 * Test build: SIGKILL this process (fault.h) when RETRYD_FAULT is
 * @param name and we were called from Berkeley DB's function @param bdb_fn.
 */
void store_alive_fault(const char *name, const char *bdb_fn);
#endif

/** Log a record that does not decode (the walk skips it). */
void store_log_bad(const char *dbname, const void *key, size_t klen,
		   const char *why);

#endif
