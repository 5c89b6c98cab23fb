/*
 * NAME
 *	store_env 3
 * SUMMARY
 *	open, recover, checkpoint and close the Berkeley DB environment
 * SYNOPSIS
 *	#include "store/store.h"
 * DESCRIPTION
 *	store_open() creates state_dir (0700) when missing and opens one
 *	transactional environment there (txn, lock, log, mpool; DB_THREAD;
 *	write-nosync commits, measured to survive SIGKILL; automatic log
 *	removal; deadlock detection at every conflict; lock and transaction
 *	timeouts), then the seven databases in one transaction, associating
 *	the due index and the state index (store_state.c) with messages.
 *
 *	Every opener registers (DB_REGISTER), so Berkeley DB itself knows
 *	whether a process died holding the environment:
 *	  STORE_OPEN_DAEMON adds DB_RECOVER: recovery runs when a registered
 *	  process died, or when no other process is attached; it is skipped
 *	  while a live process (a retryctl) is attached, so it never
 *	  recovers under anyone's feet.
 *	  STORE_OPEN_JOIN never recovers: when recovery is needed, Berkeley
 *	  DB returns DB_RUNRECOVERY at once (no hang) and the error says to
 *	  start retryd or run db5.3_recover.
 *	READ joins like JOIN but opens every database DB_RDONLY and creates
 *	nothing: the environment must exist. It is for a user in the store's
 *	group (monitoring): the databases and log files are 0640 and only
 *	the region files (__db.*, which every process attached to an
 *	environment must map read-write) are 0660. env_share_regions() sets
 *	those modes after each open by the store's owner.
 *
 *	JOIN creates a missing environment and empty databases, so an
 *	untouched state_dir lists as empty. Berkeley DB demands recovery
 *	whenever it creates __db.register, so JOIN adds DB_RECOVER only when
 *	that file does not exist yet (recovering an empty directory just
 *	creates it). Openers go through the environment's open one at a
 *	time (store_gate.c, a flock on state_dir): Berkeley DB creates
 *	__db.register empty before locking it, and a JOIN that found it
 *	then was refused with DB_RUNRECOVERY (the race seen in make check).
 *	A live registered process makes later openers skip recovery, and
 *	the databases are created inside a transaction (a concurrent
 *	creator waits on the file's handle lock, then opens the same file).
 *	Tested: a daemon and two retryctls opening a fresh directory at
 *	once; JOIN on an empty __db.register.
 *
 *	The cache size is fixed when Berkeley DB creates the regions: the
 *	daemon's open compares the region with the size asked and, when they
 *	differ and no other process is attached, removes the regions and
 *	opens again with recovery (env_recache): store_cache_mb applies to
 *	an existing state_dir at the next start.
 *
 *	Failure checking: every opener sets a thread table and an is-alive
 *	callback (store_alive.c: alive means it exists, is no zombie and
 *	maps this environment); JOIN opens with DB_FAILCHK, so a retryctl
 *	that died attached is cleaned up (its transaction aborted, its read
 *	locks freed) instead of making the next opener panic; both modes
 *	run failchk once opened, and the daemon calls store_failchk() every
 *	LIMIT_STORE_FAILCHK_MS from a watchdog thread (daemon_watch.c), so a
 *	process killed while attached blocks the daemon for at most that
 *	long. What failchk cannot free (a process that died inside Berkeley
 *	DB, or holding one of its mutexes) needs recovery: we panic the
 *	environment (DB_RUNRECOVERY everywhere, at once, for every attached
 *	process), and the daemon reopens it with recovery (at open: once,
 *	at once). Every DB_ENV->open and failchk runs under a guard
 *	(store_alive.c): when Berkeley DB would wait for ever on a mutex of
 *	a dead process, the callback jumps out, the environment is
 *	panicked, and the opener says to start retryd or run db5.3_recover
 *	(a half-open handle is left unclosed: its close would wait too).
 *	The DAEMON open keeps full recovery after a crash (never failchk
 *	alone: after a reboot the region files are stale).
 *
 *	Hazards (Berkeley DB 5.3.28, Debian's libdb5.3 built with pthread
 *	mutexes; read in its source and seen in test_store_proc):
 *	- One process may hold only one handle on an environment, and after
 *	  a JOIN refused for recovery the process keeps its registry slot:
 *	  it cannot open that environment again (retryctl exits anyway).
 *	- Any registered process that dies holding the environment (a
 *	  retryctl killed by ^C or SIGPIPE in `retryctl list | head`) makes
 *	  the next opener panic the environment: the daemon then gets
 *	  DB_RUNRECOVERY, store_needs_reopen() turns true, and it must
 *	  store_close() and store_open() again (DAEMON mode recovers).
 *	  retryctl should ignore SIGPIPE and close the store on SIGINT.
 *	- The txn, log and lock regions' mutex is the environment region's
 *	  (__txn_init, __log_init, __lock_region_init: mtx_region =
 *	  renv->mtx_regenv): every log write, transaction begin and commit
 *	  and thread-slot allocation takes that one mutex, so a writer
 *	  SIGKILLed mid-write may die holding it.
 *	- mut_pthread.c __db_pthread_mutex_prep (inside
 *	  __db_pthread_mutex_lock and _unlock), while DB_ENV_FAILCHK is set:
 *	  try-lock, and while busy ask is_alive(holder). Alive: try again at
 *	  once (a hot spin, no sleep). Dead: a thread with no thread slot
 *	  yet, or in failchk state, sets DB_RUNRECOVERY but has no break and
 *	  spins for ever (18.1 added the break); any other thread blocks in
 *	  pthread_mutex_lock for ever.
 *	- env_register.c __envreg_add, with DB_FAILCHK and a dead registered
 *	  process: it sets DB_ENV_FAILCHK, then __env_attach_regions (whose
 *	  ENV_ENTER allocates a thread slot under mtx_regenv, then
 *	  __env_ref_increment, __mutex_alloc...), and only then enters
 *	  failchk state and runs __env_failchk_int. A dead process holding
 *	  mtx_regenv thus hung the JOIN in the attach, at 90% CPU asking
 *	  is_alive about it (the make check hang, reproduced by
 *	  test_dead_region_holder: stack __envreg_register >
 *	  __env_attach_regions > __env_set_state > __db_pthread_mutex_lock).
 *	- env_failchk.c __env_failchk_int: __env_in_api first (no mutex; a
 *	  dead process still in the library: DB_RUNRECOVERY), then
 *	  __lock_failchk, __txn_failchk (is_alive per transaction under
 *	  TXN_SYSTEM_LOCK, i.e. mtx_regenv), __dbreg_failchk, __memp_failchk
 *	  and __mut_failchk, which frees only DB_MUTEX_PROCESS_ONLY mutexes:
 *	  a shared mutex held by a dead process is freed by recovery only.
 *	- db_err.c __db_failed (failchk's DB_RUNRECOVERY) does not panic the
 *	  environment: a later DB->close flushed the log (__db_refresh >
 *	  __memp_sync_int > __log_flush) and waited on the dead process's
 *	  mutex for ever. DB_PANIC_ENVIRONMENT (__env_set_flags >
 *	  __env_panic) takes no mutex, and a panicked handle's calls stop at
 *	  ENV_ENTER's PANIC_CHECK; its close only unregisters and closes
 *	  files (__env_close_pp).
 *	- kill(pid, 0) succeeds for a zombie and for a reused pid: such a
 *	  "live" holder kept failchk spinning (the daemon's watchdog too).
 *	- env_open.c __env_open: a JOIN (DB_REGISTER, no DB_RECOVER) that
 *	  finds the environment panicked and no dead registered process
 *	  retries with DB_RECOVER itself. Left as Berkeley DB does it.
 *
 *	Owns the DB_ENV and the DB handles until store_close().
 * DIAGNOSTICS
 *	A failed open says what to do next: start retryd or run
 *	db5.3_recover -h DIR; after a failed recovery, db5.3_recover -c or
 *	moving DIR aside. retryd then takes no mail action (fail closed).
 */
#include "store/store_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <setjmp.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/log.h"
#include "store/store_codec.h"

#define STORE_FILE_MODE	     0640 /* databases, logs: the group may read */
#define STORE_REGION_MODE    0660 /* __db.*: every attached process maps rw */
#define STORE_FAILCHK_ROUNDS 3	  /* failchk calls while a mutex is busy */

/* Keep Berkeley DB's own message for the next error we format. */
static void env_errcall(const DB_ENV *env, const char *pfx, const char *msg)
{
	struct store *st = env->app_private;

	(void)pfx;
	if (st)
		snprintf(st->bdb_msg, sizeof(st->bdb_msg), "%s", msg);
}

/* failchk's informational lines ("Freeing read locks for locker..."). */
static void env_msgcall(const DB_ENV *env, const char *msg)
{
	struct store *st = env->app_private;

	if (st == NULL)
		return;
	if (st->freed++ == 0)
		snprintf(st->freed_msg, sizeof(st->freed_msg), "%s", msg);
	log_debug("store %s: %s", st->dir, msg);
}

/* A panic (another process found a dead one, or a fatal error). */
static void env_event(DB_ENV *env, u_int32_t event, void *info)
{
	struct store *st = env->app_private;

	(void)info;
	if (st && event == DB_EVENT_PANIC)
		st->panicked = 1;
}

/*
 * Berkeley DB asks whether a process that registered a thread, a lock, a
 * transaction or a mutex is still there (failchk, and its mutex waits
 * while failchk runs). store_alive.c answers: ours always is; another is
 * when it exists, is no zombie and maps this environment; and a wait on a
 * dead holder under a guard jumps out instead of returning.
 */
static int env_is_alive(DB_ENV *env, pid_t pid, db_threadid_t tid,
			u_int32_t flags)
{
	(void)tid;
	(void)flags;
#ifdef RETRYD_TEST_FAULTS
	/* die holding mtx_regenv (__txn_failchk holds it while it asks) */
	store_alive_fault("store-txn-failchk", "__txn_failchk");
#endif
	return store_alive_ask(env->app_private, pid);
}

/*
 * A guard fired (store_alive.c): Berkeley DB was waiting, for ever, on a
 * mutex of a dead process (or one held STORE_GUARD_WAIT_MS). Panic the
 * environment: every attached process gets DB_RUNRECOVERY at its next
 * call instead of waiting too, and the next daemon open recovers it.
 * @return DB_RUNRECOVERY, st->bdb_msg saying whose mutex.
 */
static int env_guard_fired(struct store *st)
{
	(void)st->env->set_flags(st->env, DB_PANIC_ENVIRONMENT, 1);
	st->panicked = 1;
	if (st->fired.dead)
		snprintf(st->bdb_msg, sizeof(st->bdb_msg),
			 "process %ld died holding a Berkeley DB mutex of the "
			 "store",
			 (long)st->fired.holder);
	else
		snprintf(
		    st->bdb_msg, sizeof(st->bdb_msg),
		    "process %ld has held a Berkeley DB mutex of the store "
		    "for %lld s (stopped?)",
		    (long)st->fired.holder,
		    (long long)st->fired.waited_ms / 1000);
	return DB_RUNRECOVERY;
}

/*
 * DB_ENV->failchk. A dead transaction's mutex may still be busy while
 * its abort frees it ("unable to destroy mutex", EBUSY): the next round
 * finishes the job.
 */
static int env_failchk_rounds(struct store *st)
{
	int ret = 0;

	for (int round = 0; round < STORE_FAILCHK_ROUNDS; round++)
		if ((ret = st->env->failchk(st->env, 0)) != EBUSY)
			break;
	return ret;
}

/*
 * failchk under a guard: a dead process's mutex panics, never hangs.
 * Berkeley DB's own DB_RUNRECOVERY from failchk (a process died inside
 * the library: __db_failed) does not panic the environment: the next
 * call, even a close, would wait on what the dead process held. So we
 * panic it here: every call of every attached process then returns
 * DB_RUNRECOVERY at once, and the daemon's next open recovers.
 */
static int env_failchk(struct store *st)
{
	struct store_guard g;
	int ret;

	st->freed = 0;
	if (sigsetjmp(g.jb, 0) != 0)
		return env_guard_fired(st);
	store_guard_arm(st, &g);
	ret = env_failchk_rounds(st);
	store_guard_disarm(st);
	if (ret == DB_RUNRECOVERY) {
		char msg[sizeof(st->bdb_msg)];

		/* keep failchk's reason, not "Environment panic set" */
		snprintf(msg, sizeof(msg), "%s", st->bdb_msg);
		(void)st->env->set_flags(st->env, DB_PANIC_ENVIRONMENT, 1);
		snprintf(st->bdb_msg, sizeof(st->bdb_msg), "%s", msg);
		st->panicked = 1;
	}
	return ret;
}

int store_failchk(struct store *st, unsigned *freed, char *err, size_t errlen)
{
	int ret = env_failchk(st);

	*freed = st->freed;
	snprintf(err, errlen, "%s", st->freed ? st->freed_msg : "");
	if (ret == 0)
		return STORE_OK;
	if (ret == DB_RUNRECOVERY)
		st->panicked = 1;
	store_fail(st, err, errlen, "environment",
		   "free what a dead process held (failchk)", ret);
	return STORE_ERROR;
}

int store_needs_reopen(const struct store *st)
{
	return st->panicked;
}

/* The due index: BE64(next_attempt) read in place; 0 is not indexed. */
static int env_due_key(DB *sec, const DBT *key, const DBT *data, DBT *result)
{
	size_t off;

	(void)sec;
	(void)key;
	if (!store_codec_message_due(data->data, data->size, &off))
		return DB_DONOTINDEX;
	memset(result, 0, sizeof(*result));
	result->data = (uint8_t *)data->data + off;
	result->size = STORE_CODEC_DUE_SIZE;
	return 0;
}

/*
 * The state index (store_state.c): u8 state + primary key for a live
 * message, 6 + BE64(finished) + primary key for a done one. Unique keys
 * (the primary key is inside), built here: Berkeley DB frees them.
 */
static int env_state_key(DB *sec, const DBT *key, const DBT *data, DBT *result)
{
	enum store_msg_state state;
	int64_t finished;
	uint8_t buf[STORE_CODEC_STATE_KEY_MAX], *p;
	size_t n;

	(void)sec;
	if (store_codec_message_peek(data->data, data->size, &state,
				     &finished) != 0 ||
	    (n = store_codec_state_key(state, finished, key->data, key->size,
				       buf, sizeof(buf))) == 0)
		return DB_DONOTINDEX;
	if ((p = malloc(n)) == NULL)
		return ENOMEM;
	memcpy(p, buf, n);
	memset(result, 0, sizeof(*result));
	result->data = p;
	result->size = (u_int32_t)n;
	result->flags = DB_DBT_APPMALLOC;
	return 0;
}

static int env_open_db(struct store *st, DB_TXN *tid, DB **out,
		       const char *file, int dupsort, char *err, size_t errlen)
{
	DB *db;
	int ret;

	*out = NULL;
	if ((ret = db_create(&db, st->env, 0)) != 0)
		return store_fail(st, err, errlen, file, "create handle", ret);
	if (dupsort && (ret = db->set_flags(db, DB_DUP | DB_DUPSORT)) != 0) {
		db->close(db, 0);
		return store_fail(st, err, errlen, file, "set dupsort", ret);
	}
	ret = db->open(db, tid, file, NULL, DB_BTREE,
		       st->mode == STORE_OPEN_READ ? DB_RDONLY | DB_THREAD
						   : DB_CREATE | DB_THREAD,
		       STORE_FILE_MODE);
	if (ret != 0) {
		db->close(db, 0);
		return store_fail(st, err, errlen, file, "open", ret);
	}
	*out = db;
	return 0;
}

static void env_close_dbs(struct store *st)
{
	DB **dbs[] = {&st->due,	       &st->state,   &st->messages,
		      &st->evidence,   &st->domains, &st->verifications,
		      &st->suppressed, &st->events,  &st->outbox,
		      &st->positions};

	/* The secondaries first, then their primary, then the rest. */
	for (size_t i = 0; i < sizeof(dbs) / sizeof(dbs[0]); i++) {
		if (*dbs[i]) {
			(*dbs[i])->close(*dbs[i], 0);
			*dbs[i] = NULL;
		}
	}
}

/* stat() of @param file in the state directory @param dir. */
static int env_stat(const char *dir, const char *file, struct stat *sb)
{
	char path[STORE_DIR_MAX + 32];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return stat(path, sb);
}

/*
 * The associate() flags of the index in file: DB_CREATE (build it from
 * messages.db) only when the file does not exist yet, i.e. a new store
 * or the first open after an upgrade that added the index. Berkeley DB
 * builds ANY empty secondary given DB_CREATE, by walking every message
 * in the open's one transaction: a due index left empty by a finished
 * queue (every message done, none due) over ~60,000 kept messages ran
 * the lock table out (BDB2055) and retryd could not start. An existing
 * index was kept by every write since it was made, so it is used as it
 * is. A stat error other than ENOENT counts as existing: the open then
 * reports the real error. Left as it was: the first build after an
 * upgrade still walks every message in one transaction: a store of more
 * than ~60,000 messages made before an index existed would not open.
 */
static u_int32_t env_index_flags(const struct store *st, const char *file)
{
	struct stat sb;

	if (st->mode == STORE_OPEN_READ || env_stat(st->dir, file, &sb) == 0 ||
	    errno != ENOENT)
		return 0;
	return DB_CREATE;
}

static int env_open_dbs(struct store *st, char *err, size_t errlen)
{
	DB_TXN *tid;
	int ret;

	/* Asked before the databases are opened (DB_CREATE makes them). */
	u_int32_t build_due = env_index_flags(st, "due.db");
	u_int32_t build_state = env_index_flags(st, "state.db");

	if ((ret = st->env->txn_begin(st->env, NULL, &tid, 0)) != 0)
		return store_fail(st, err, errlen, "environment",
				  "begin transaction", ret);
	if ((ret = env_open_db(st, tid, &st->messages, "messages.db", 0, err,
			       errlen)) != 0 ||
	    (ret = env_open_db(st, tid, &st->due, "due.db", 1, err, errlen)) !=
		0 ||
	    (ret = env_open_db(st, tid, &st->state, "state.db", 0, err,
			       errlen)) != 0 ||
	    (ret = env_open_db(st, tid, &st->evidence, "evidence.db", 0, err,
			       errlen)) != 0 ||
	    (ret = env_open_db(st, tid, &st->domains, "domains.db", 0, err,
			       errlen)) != 0 ||
	    (ret = env_open_db(st, tid, &st->verifications, "verifications.db",
			       0, err, errlen)) != 0 ||
	    (ret = env_open_db(st, tid, &st->suppressed, "suppressed.db", 0,
			       err, errlen)) != 0 ||
	    (ret = env_open_db(st, tid, &st->events, "events.db", 0, err,
			       errlen)) != 0)
		goto fail;
	ret = st->messages->associate(st->messages, tid, st->due, env_due_key,
				      build_due);
	if (ret != 0) {
		store_fail(st, err, errlen, "due", "associate", ret);
		goto fail;
	}
	ret = st->messages->associate(st->messages, tid, st->state,
				      env_state_key, build_state);
	if (ret != 0) {
		store_fail(st, err, errlen, "state", "associate", ret);
		goto fail;
	}
	if ((ret = tid->commit(tid, 0)) != 0) {
		store_fail(st, err, errlen, "environment", "commit open", ret);
		env_close_dbs(st);
		return ret;
	}
	return 0;
fail:
	tid->abort(tid);
	env_close_dbs(st);
	return ret;
}

static int env_configure(struct store *st, size_t cache_bytes, char *err,
			 size_t errlen)
{
	DB_ENV *env = st->env;
	int ret;

	env->app_private = st;
	env->set_errcall(env, env_errcall);
	env->set_msgcall(env, env_msgcall);
	env->set_event_notify(env, env_event);
	if (cache_bytes == 0)
		cache_bytes = LIMIT_STORE_CACHE_DEFAULT;
	if ((ret = env->set_cachesize(env, (u_int32_t)(cache_bytes >> 30),
				      (u_int32_t)(cache_bytes & 0x3fffffff),
				      1)) != 0)
		return store_fail(st, err, errlen, "environment",
				  "set cache size", ret);
	if ((ret = env->set_lk_detect(env, DB_LOCK_DEFAULT)) != 0 ||
	    (ret = env->set_timeout(env, LIMIT_STORE_LOCK_TIMEOUT_MS * 1000u,
				    DB_SET_LOCK_TIMEOUT)) != 0 ||
	    (ret = env->set_timeout(env, LIMIT_STORE_TXN_TIMEOUT_MS * 1000u,
				    DB_SET_TXN_TIMEOUT)) != 0)
		return store_fail(st, err, errlen, "environment",
				  "set lock detection", ret);
	/* A batch of adoptions locks a page per record it touches. */
	if ((ret = env->set_lk_max_locks(env, LIMIT_STORE_LOCKS)) != 0 ||
	    (ret = env->set_lk_max_objects(env, LIMIT_STORE_LOCKS)) != 0)
		return store_fail(st, err, errlen, "environment",
				  "set lock table size", ret);
	/* failchk: a process that died attached never blocks the living. */
	/* The thread table allocated whole at creation (written by
	 * DB_REGION_INIT), never grown later on a full file system. */
	if ((ret = env->set_thread_count(env, LIMIT_STORE_THREADS)) != 0 ||
	    (ret = env->set_memory_init(env, DB_MEM_THREAD,
					LIMIT_STORE_THREADS)) != 0 ||
	    (ret = env->set_isalive(env, env_is_alive)) != 0)
		return store_fail(st, err, errlen, "environment",
				  "set failure checking", ret);
	if ((ret = env->set_flags(env, DB_TXN_WRITE_NOSYNC, 1)) != 0)
		return store_fail(st, err, errlen, "environment",
				  "set write-nosync", ret);
	/* Write the region files whole when creating them: a page first
	 * touched on a full file system would be SIGBUS, not ENOSPC. */
	if ((ret = env->set_flags(env, DB_REGION_INIT, 1)) != 0)
		return store_fail(st, err, errlen, "environment",
				  "set region init", ret);
	if ((ret = env->set_lg_filemode(env, STORE_FILE_MODE)) != 0)
		return store_fail(st, err, errlen, "environment",
				  "set log file mode", ret);
	if ((ret = env->log_set_config(env, DB_LOG_AUTO_REMOVE, 1)) != 0)
		return store_fail(st, err, errlen, "environment",
				  "set log auto-remove", ret);
	/* Each log file written whole when created (not a sparse file):
	 * on a full disk, commits go on into its blocks (a release) until
	 * the next file is needed. */
	if ((ret = env->log_set_config(env, DB_LOG_ZERO, 1)) != 0)
		return store_fail(st, err, errlen, "environment",
				  "set log zero", ret);
	return 0;
}

/* The operator's next step after a failed environment open. */
static void env_open_error(struct store *st, int ret, const char *dir,
			   char *err, size_t errlen)
{
	char msg[300];

	snprintf(msg, sizeof(msg), "%s", st->bdb_msg);
	st->bdb_msg[0] = 0;
	if (ret == DB_RUNRECOVERY && st->mode != STORE_OPEN_DAEMON) {
		snprintf(err, errlen,
			 "store: open %s: the store needs recovery (a process "
			 "using it died): start retryd (it recovers the store) "
			 "or run db5.3_recover -h %s [%s]",
			 dir, dir, msg);
	} else if (ret == DB_RUNRECOVERY || st->mode == STORE_OPEN_DAEMON) {
		snprintf(err, errlen,
			 "store: open %s with recovery: %s [%s]: run "
			 "db5.3_recover -h %s (or db5.3_recover -c -h %s), or "
			 "move %s aside to start with an empty store; no mail "
			 "action is taken until the store opens",
			 dir, db_strerror(ret), msg, dir, dir, dir);
	} else {
		snprintf(err, errlen, "store: open %s: %s [%s]", dir,
			 db_strerror(ret), msg);
	}
}

/*
 * Has an environment ever been created in dir? Berkeley DB asks for
 * recovery whenever it finds __db.register missing or empty, so JOIN may
 * pass DB_RECOVER only then: recovery of an empty directory just creates
 * the environment. Asked inside the gate (store_gate.c), so no other
 * process is half-way through creating it: an empty file is the trace of
 * an opener that died (or hit a full disk) before registering, and
 * nobody registered means nobody is attached.
 */
static int env_exists(const char *dir)
{
	struct stat sb;

	if (env_stat(dir, "__db.register", &sb) != 0)
		return errno != ENOENT;
	return sb.st_size > 0;
}

/*
 * The store's owner (or root acting as it) makes the region files
 * group-writable (0660): a process of the group (STORE_OPEN_READ) must
 * map them read-write to attach. Everything else stays 0640. Files not
 * owned by the directory's owner are left alone.
 */
static void env_share_regions(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	struct stat db;

	if (d == NULL)
		return;
	while (fstat(dirfd(d), &db) == 0 && (e = readdir(d)) != NULL) {
		struct stat sb;

		if (strncmp(e->d_name, "__db.", 5) != 0 ||
		    fstatat(dirfd(d), e->d_name, &sb, AT_SYMLINK_NOFOLLOW) <
			0 ||
		    !S_ISREG(sb.st_mode) || sb.st_uid != db.st_uid)
			continue;
		if ((sb.st_mode & 07777) != STORE_REGION_MODE &&
		    fchmodat(dirfd(d), e->d_name, STORE_REGION_MODE, 0) < 0)
			log_warn("store: %s/%s: chmod 0660: %s (members of "
				 "the group cannot read the store)",
				 dir, e->d_name, strerror(errno));
	}
	closedir(d);
}

/* Cache bytes as Berkeley DB reports them (its overhead added): before
 * the open what the handle asks for, after it what the region has. */
static unsigned long long env_cache_of(DB_ENV *env)
{
	u_int32_t gb = 0, b = 0;
	int n = 0;

	if (env->get_cachesize(env, &gb, &b, &n) != 0)
		return 0;
	return ((unsigned long long)gb << 30) + b;
}

#define ENV_CACHE_SLACK (1u << 20) /* sizes closer than this: the same */

/*
 * DB_ENV->open under a guard. When it fires (a dead process's mutex,
 * store_alive.c), the handle is left as it is: half-open, and its close
 * would wait on the same mutex. The environment is panicked and our
 * fcntl locks on __db.register are dropped (Berkeley DB holds the
 * registry's exclusive lock while it registers us; closing any
 * descriptor of a file drops all of a process's fcntl locks on it), so
 * the next opener does not wait for our exit. The handle leaks once.
 * @return DB_ENV->open's code, or DB_RUNRECOVERY with st->env NULL.
 */
static int env_open_env(struct store *st, u_int32_t flags)
{
	char path[STORE_DIR_MAX + 16];
	struct store_guard g;
	int ret, fd;

	if (sigsetjmp(g.jb, 0) != 0) {
		env_guard_fired(st);
		snprintf(path, sizeof(path), "%s/__db.register", st->dir);
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0)
			close(fd);
		st->env = NULL;
		return DB_RUNRECOVERY;
	}
	store_guard_arm(st, &g);
	ret = st->env->open(st->env, st->dir, flags, STORE_FILE_MODE);
	store_guard_disarm(st);
	return ret;
}

/*
 * A new handle on st (the old one closed by the caller), opened with
 * @param flags, then failchk. @return 0 or a Berkeley DB code.
 */
static int env_create_open(struct store *st, u_int32_t flags,
			   size_t cache_bytes, char *err, size_t errlen)
{
	int ret;

	if ((ret = db_env_create(&st->env, 0)) != 0) {
		st->env = NULL;
		snprintf(err, errlen, "store: open %s: db_env_create: %s",
			 st->dir, db_strerror(ret));
		return ret;
	}
	if ((ret = env_configure(st, cache_bytes, err, errlen)) != 0)
		return ret;
	ret = env_open_env(st, flags);
	return ret == 0 ? env_failchk(st) : ret;
}

/*
 * Berkeley DB sizes the cache region once, when it creates the
 * environment: a daemon asking another store_cache_mb would keep the old
 * size for ever. When the region differs from @param want and no other
 * process is attached, the daemon removes the regions (databases and
 * logs stay) and opens again with recovery, which makes them with the
 * size asked. With a process attached (a retryctl) remove says EBUSY and
 * the size stays until a start with none (logged). Called in the gate.
 */
static int env_recache(struct store *st, unsigned long long want,
		       u_int32_t flags, size_t cache_bytes, char *err,
		       size_t errlen)
{
	unsigned long long have = env_cache_of(st->env);
	DB_ENV *tmp;
	int ret;

	if (want == 0 || have == 0 ||
	    (have > want ? have - want : want - have) < ENV_CACHE_SLACK)
		return 0;
	st->env->close(st->env, 0);
	st->env = NULL;
	if ((ret = db_env_create(&tmp, 0)) == 0)
		ret = tmp->remove(tmp, st->dir, 0); /* frees tmp */
	if (ret == 0)
		log_info("store: %s: cache region made again for the cache "
			 "asked (%llu MB, it was %llu MB)",
			 st->dir, want >> 20, have >> 20);
	else
		log_warn("store: %s: the cache stays %llu MB, not the %llu MB "
			 "asked: %s (another process attached; it applies at "
			 "a start with none)",
			 st->dir, have >> 20, want >> 20, db_strerror(ret));
	return env_create_open(st, flags | DB_RECOVER, cache_bytes, err,
			       errlen);
}

/*
 * Open (create, recover) the environment and run failchk, alone inside
 * the gate; the daemon's with the cache asked (env_recache). When the
 * daemon's failchk finds what only recovery mends (a process that died
 * inside Berkeley DB, or holding one of its mutexes: the environment is
 * then panicked), the daemon closes and opens again with recovery, once.
 * @return 0, or a non-zero code with @param err filled.
 */
static int env_open_gated(struct store *st, u_int32_t flags, size_t cache_bytes,
			  char *err, size_t errlen)
{
	unsigned long long want = env_cache_of(st->env);
	int gate, ret;

	if (store_gate_enter(st->dir, st->mode == STORE_OPEN_READ, &gate, err,
			     errlen) != 0)
		return EAGAIN;
	if (st->mode == STORE_OPEN_READ)
		flags &= ~(u_int32_t)DB_CREATE;
	else if (st->mode == STORE_OPEN_DAEMON || !env_exists(st->dir))
		flags |= DB_RECOVER;
	else
		flags |= DB_FAILCHK; /* a dead retryctl: failchk, no panic */
	ret = env_open_env(st, flags);
	/* a read-only opener (group member) cannot write the logs that
	 * cleaning up needs: the daemon's watchdog does it */
	if (ret == 0 && st->mode != STORE_OPEN_READ)
		ret = env_failchk(st);
	if (ret == DB_RUNRECOVERY && st->mode == STORE_OPEN_DAEMON &&
	    st->env != NULL) {
		log_warn("store: %s: %s: recovering it now", st->dir,
			 st->bdb_msg[0] ? st->bdb_msg
					: "failchk asks for recovery");
		st->bdb_msg[0] = 0;
		st->env->close(st->env, 0);
		st->env = NULL;
		ret = env_create_open(st, flags | DB_RECOVER, cache_bytes, err,
				      errlen);
	}
	if (ret == 0 && st->mode == STORE_OPEN_DAEMON)
		ret = env_recache(st, want, flags, cache_bytes, err, errlen);
	store_gate_leave(gate);
	if (ret != 0)
		env_open_error(st, ret, st->dir, err, errlen);
	return ret;
}

int store_open(const char *dir, enum store_open_mode mode, size_t cache_bytes,
	       struct store **out, char *err, size_t errlen)
{
	struct store *st;
	u_int32_t flags = DB_CREATE | DB_INIT_TXN | DB_INIT_LOCK | DB_INIT_LOG |
			  DB_INIT_MPOOL | DB_THREAD | DB_REGISTER;
	int ret;

	*out = NULL;
	if (strlen(dir) >= sizeof(st->dir)) {
		snprintf(err, errlen, "store: state directory name too long");
		return STORE_ERROR;
	}
	if (mode != STORE_OPEN_READ && mkdir(dir, 0700) != 0 &&
	    errno != EEXIST) {
		snprintf(err, errlen, "store: create state directory %s: %s",
			 dir, strerror(errno));
		return STORE_ERROR;
	}
	if ((st = calloc(1, sizeof(*st))) == NULL) {
		snprintf(err, errlen, "store: open %s: out of memory", dir);
		return STORE_ERROR;
	}
	st->mode = mode;
	snprintf(st->dir, sizeof(st->dir), "%s", dir);
	if ((ret = db_env_create(&st->env, 0)) != 0) {
		snprintf(err, errlen, "store: open %s: db_env_create: %s", dir,
			 db_strerror(ret));
		free(st);
		return STORE_ERROR;
	}
	if (env_configure(st, cache_bytes, err, errlen) != 0)
		goto fail;
	if ((ret = env_open_gated(st, flags, cache_bytes, err, errlen)) != 0)
		goto fail;
	for (int try = 1;; try++) {
		ret = env_open_dbs(st, err, errlen);
		if (store_code(ret) != STORE_RETRY ||
		    try >= LIMIT_STORE_DEADLOCK_TRIES)
			break;
	}
	if (ret != 0) {
		if (ret == DB_RUNRECOVERY)
			env_open_error(st, ret, dir, err, errlen);
		goto fail;
	}
	if (mode != STORE_OPEN_READ) {
		/* no region may grow into a hole later (SIGBUS) */
		if ((ret = store_region_reserve(dir, err, errlen)) != STORE_OK)
			goto fail_reserve;
		env_share_regions(dir);
	}
	/* Recovery of a crashed environment panics the old one first. */
	st->panicked = 0;
	*out = st;
	return STORE_OK;
fail:
	ret = store_code(ret) == STORE_NOSPACE ? STORE_NOSPACE : STORE_ERROR;
fail_reserve:
	env_close_dbs(st);
	if (st->env != NULL)
		st->env->close(st->env, 0);
	free(st);
	return ret;
}

int store_checkpoint(struct store *st, char *err, size_t errlen)
{
	int ret;

	if ((ret = st->env->txn_checkpoint(st->env, 0, 0, 0)) != 0) {
		store_fail(st, err, errlen, "environment", "checkpoint", ret);
		return store_code(ret) == STORE_NOSPACE ? STORE_NOSPACE
							: STORE_ERROR;
	}
	if ((ret = st->env->log_archive(st->env, NULL, DB_ARCH_REMOVE)) != 0) {
		store_fail(st, err, errlen, "environment", "remove old logs",
			   ret);
		return STORE_ERROR;
	}
	return STORE_OK;
}

void store_close(struct store *st)
{
	char err[512];

	if (st == NULL)
		return;
	if (st->mode == STORE_OPEN_DAEMON && !st->panicked &&
	    store_checkpoint(st, err, sizeof(err)) != STORE_OK)
		log_warn("%s", err);
	env_close_dbs(st);
	st->env->close(st->env, 0);
	free(st);
}
