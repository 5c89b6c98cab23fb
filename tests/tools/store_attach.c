/*
 * NAME
 *	store_attach 1
 * SUMMARY
 *	test tool: join a store, hold it the way a dying process would,
 *	and wait to be killed
 * SYNOPSIS
 *	store_attach STATE_DIR idle|txn|panic
 * DESCRIPTION
 *	Joins the Berkeley DB environment in STATE_DIR like retryctl
 *	(STORE_OPEN_JOIN). "idle" just stays attached; "txn" also begins a
 *	transaction and writes one message record in it (postfix queue id
 *	FFFFFFFFFF, never committed), so it holds write locks on the pages
 *	of the messages database and its indexes that every writer needs.
 *	Then prints "attached" on stdout and waits for a signal: the tests
 *	SIGKILL it to check that a process that died attached never blocks
 *	the daemon for longer than one failchk interval.
 *
 *	"panic" joins the environment with Berkeley DB's own API (not the
 *	store's), marks it panicked (DB_PANIC_ENVIRONMENT, what Berkeley
 *	DB does itself when a process dies where failchk cannot clean up),
 *	prints "panicked" and exits: every later call of every attached
 *	process returns DB_RUNRECOVERY, so the daemon must close the store
 *	and open it again with recovery.
 * DIAGNOSTICS
 *	"store_attach: ..." on stderr, exit 1; 2 on bad usage.
 */
#include <db.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"

/* Join the environment in @param dir and panic it; 0 or 1 (reported). */
static int store_attach_panic(const char *dir)
{
	DB_ENV *env = NULL;
	int ret;

	if ((ret = db_env_create(&env, 0)) != 0 ||
	    (ret = env->open(env, dir, DB_JOINENV, 0)) != 0 ||
	    (ret = env->set_flags(env, DB_PANIC_ENVIRONMENT, 1)) != 0) {
		fprintf(stderr, "store_attach: %s: %s\n", dir,
			db_strerror(ret));
		if (env)
			env->close(env, 0);
		return 1;
	}
	env->close(env, 0); /* DB_RUNRECOVERY now, by design */
	printf("panicked\n");
	return 0;
}

int main(int argc, char **argv)
{
	struct store *st = NULL;
	struct store_txn *txn = NULL;
	struct store_message *m;
	char err[1024];

	if (argc != 3 ||
	    (strcmp(argv[2], "idle") != 0 && strcmp(argv[2], "txn") != 0 &&
	     strcmp(argv[2], "panic") != 0)) {
		fprintf(stderr,
			"usage: store_attach STATE_DIR idle|txn|panic\n");
		return 2;
	}
	if (strcmp(argv[2], "panic") == 0)
		return store_attach_panic(argv[1]);
	if (store_open(argv[1], STORE_OPEN_JOIN, 0, &st, err, sizeof(err)) !=
	    STORE_OK) {
		fprintf(stderr, "store_attach: %s\n", err);
		return 1;
	}
	if (strcmp(argv[2], "txn") == 0) {
		if ((m = store_message_new(1)) == NULL ||
		    store_txn_begin(st, &txn, err, sizeof(err)) != STORE_OK) {
			fprintf(stderr, "store_attach: %s\n", err);
			return 1;
		}
		snprintf(m->mta, sizeof(m->mta), "postfix");
		snprintf(m->queue_id, sizeof(m->queue_id), "FFFFFFFFFF");
		snprintf(m->domain, sizeof(m->domain), "attach.test");
		snprintf(m->rcpts[0].address, sizeof(m->rcpts[0].address),
			 "a@attach.test");
		m->rcpts[0].state = STORE_RCPT_PENDING;
		m->state = STORE_MSG_HELD;
		m->next_attempt = 1;
		if (store_put_message(st, txn, m, err, sizeof(err)) !=
		    STORE_OK) {
			fprintf(stderr, "store_attach: %s\n", err);
			return 1;
		}
		store_message_free(m);
	}
	printf("attached\n");
	fflush(stdout);
	for (;;)
		pause();
}
