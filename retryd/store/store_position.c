/*
 * NAME
 *	store_position 3
 * SUMMARY
 *	the positions database: where the readers of the MTA's log stand
 * SYNOPSIS
 *	#include "store/store.h"
 * DESCRIPTION
 *	positions.db holds, per name ("postfix:outcomes"), the opaque
 *	position an MTA plugin returned with the outcomes it read (plugin.h,
 *	struct mta_pos). The pass writes it in the SAME transaction as the
 *	evidence of those outcomes, so after any crash the log is read again
 *	from exactly after the last outcome recorded: each outcome is
 *	recorded once. Value: a format byte, then the plugin's bytes (at most
 *	STORE_POSITION_MAX).
 *
 *	The database is opened on first use (created by a writer; a
 *	read-only opener finds nothing when it does not exist yet), so a
 *	store made before it needs no upgrade step. The handle is closed
 *	with the environment.
 * DIAGNOSTICS
 *	A name or position over its bound is refused (STORE_ERROR); a
 *	record with another format byte is logged and reads as none.
 */
#include "store/store_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define POSITION_FORMAT 1
#define POSITION_DB	"positions.db"

/* Open positions.db once (its own transaction). @return a STORE_* code. */
static int position_open(struct store *st, char *err, size_t errlen)
{
	DB_TXN *tid;
	DB *db;
	int ret, ro = st->mode == STORE_OPEN_READ;

	if (st->positions != NULL)
		return STORE_OK;
	if ((ret = st->env->txn_begin(st->env, NULL, &tid, 0)) != 0)
		return store_code(
		    store_fail(st, err, errlen, "positions", "begin", ret));
	if ((ret = db_create(&db, st->env, 0)) != 0) {
		tid->abort(tid);
		return store_code(
		    store_fail(st, err, errlen, "positions", "create", ret));
	}
	ret =
	    db->open(db, tid, POSITION_DB, NULL, DB_BTREE,
		     ro ? DB_RDONLY | DB_THREAD : DB_CREATE | DB_THREAD, 0640);
	if (ret != 0) {
		db->close(db, 0);
		tid->abort(tid);
		if (ro && ret == ENOENT)
			return STORE_NOTFOUND;
		return store_code(
		    store_fail(st, err, errlen, "positions", "open", ret));
	}
	if ((ret = tid->commit(tid, 0)) != 0) {
		db->close(db, 0);
		return store_code(
		    store_fail(st, err, errlen, "positions", "commit", ret));
	}
	st->positions = db;
	return STORE_OK;
}

static int position_name_ok(const char *name, size_t *len, char *err,
			    size_t errlen)
{
	*len = strnlen(name, STORE_POSITION_NAME_MAX + 1);
	if (*len == 0 || *len > STORE_POSITION_NAME_MAX) {
		snprintf(err, errlen, "store: positions: bad name");
		return -1;
	}
	return 0;
}

int store_put_position(struct store *st, struct store_txn *txn,
		       const char *name, const void *pos, size_t len, char *err,
		       size_t errlen)
{
	uint8_t val[1 + STORE_POSITION_MAX];
	size_t klen;
	int rc;

	if (position_name_ok(name, &klen, err, errlen) < 0)
		return STORE_ERROR;
	if (len > STORE_POSITION_MAX) {
		snprintf(err, errlen, "store: positions: %zu bytes is too long",
			 len);
		return STORE_ERROR;
	}
	if ((rc = position_open(st, err, errlen)) != STORE_OK)
		return rc == STORE_NOTFOUND ? STORE_ERROR : rc;
	val[0] = POSITION_FORMAT;
	memcpy(val + 1, pos, len);
	return store_kv_put(st, txn, st->positions, "positions", name, klen,
			    val, len + 1, err, errlen);
}

int store_get_position(struct store *st, struct store_txn *txn,
		       const char *name, void *pos, size_t cap, size_t *len,
		       char *err, size_t errlen)
{
	uint8_t *val = NULL;
	size_t klen, vlen = 0;
	int rc;

	*len = 0;
	if (position_name_ok(name, &klen, err, errlen) < 0)
		return STORE_ERROR;
	if ((rc = position_open(st, err, errlen)) != STORE_OK)
		return rc;
	rc = store_kv_get(st, txn, st->positions, "positions", name, klen, &val,
			  &vlen, err, errlen);
	if (rc != STORE_OK)
		return rc;
	if (vlen < 1 || val[0] != POSITION_FORMAT || vlen - 1 > cap) {
		store_log_bad("positions", name, klen, "unknown format");
		free(val);
		return STORE_NOTFOUND;
	}
	memcpy(pos, val + 1, vlen - 1);
	*len = vlen - 1;
	free(val);
	return STORE_OK;
}
