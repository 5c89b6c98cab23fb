/*
 * NAME
 *	exim_list 3
 * SUMMARY
 *	exim.so's full listing: exim -bpr run, streamed, collected
 * SYNOPSIS
 *	#include "exim_cmd.h"
 * DESCRIPTION
 *	exim_list_raw() (the plugin's list_raw) runs exim -bpr and keeps its
 *	bytes, up to spawn's output bound; exim_list_stream() (list_stream)
 *	runs it with the output told chunk by chunk, nothing kept, no bound:
 *	the privileged helper uses it, so the helper never holds a listing.
 *	In a parsing instance both ask the host.
 *
 *	exim_list_bytes() is what scan and scan_each read: the whole
 *	listing, collected from the stream (the helper's, or exim's own
 *	when the instance runs things itself) into one buffer of at most
 *	LIMIT_EXIM_LISTING bytes (about 100 a message: 5 million messages),
 *	past which exim is stopped and the listing marked incomplete. The
 *	parse needs it whole: the msglogs of the listed messages are opened
 *	through the same helper after the listing's last byte. A host with
 *	no list_stream gets list_raw's buffered bytes, as before.
 *
 *	Owns: the collected buffer until spawn_result_free().
 * DIAGNOSTICS
 *	"exim -bpr: exit N: STDERR" / "signal N" when exim did not exit 0
 *	(and was not stopped at the bound); "exim -bpr: out of memory".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/limits.h"
#include "exim_cmd.h"
#include "mta_raw.h"

int exim_list_raw(void *state, struct mta_raw *raw, char *err, size_t errlen)
{
	struct exim_state *st = state;
	struct spawn_result res;

	memset(raw, 0, sizeof(*raw));
	if (st->host != NULL)
		return st->host->list(st->host->arg, raw, err, errlen);
	if (exim_run(st, "-bpr", NULL, 0, EXIM_TIMEOUT_LIST_MS, &res, err,
		     errlen) < 0) {
		spawn_result_free(&res);
		return -1;
	}
	mta_raw_take(raw, &res);
	return 0;
}

int exim_list_stream(void *state, mta_bytes_fn fn, void *arg,
		     struct mta_raw *raw, char *err, size_t errlen)
{
	struct exim_state *st = state;
	struct spawn_result res;

	memset(raw, 0, sizeof(*raw));
	if (st->host != NULL) {
		if (st->host->list_stream == NULL) {
			snprintf(err, errlen, "exim -bpr: no streamed listing");
			return -1;
		}
		return st->host->list_stream(st->host->arg, fn, arg, raw, err,
					     errlen);
	}
	if (exim_run_stream(st, "-bpr", EXIM_TIMEOUT_LIST_MS, fn, arg, &res,
			    err, errlen) < 0) {
		spawn_result_free(&res);
		return -1;
	}
	free(res.out);
	mta_raw_take_status(raw, &res);
	return 0;
}

/* The collected listing. */
struct exim_collect {
	char *buf;
	size_t len, cap;
	int cut, nomem;
};

static int exim_list_chunk(void *arg, const char *p, size_t n)
{
	struct exim_collect *c = arg;

	if (n > LIMIT_EXIM_LISTING - c->len) {
		c->cut = 1; /* stop exim: the listing is incomplete */
		return -1;
	}
	if (c->len + n + 1 > c->cap) {
		size_t ncap = c->cap ? c->cap : 65536;
		char *nb;

		while (ncap < c->len + n + 1)
			ncap *= 2;
		if ((nb = realloc(c->buf, ncap)) == NULL) {
			c->nomem = 1;
			return -1;
		}
		c->buf = nb;
		c->cap = ncap;
	}
	memcpy(c->buf + c->len, p, n);
	c->len += n;
	c->buf[c->len] = '\0';
	return 0;
}

/* The stream collected into @param res. @return 0, or -1 with err. */
static int exim_list_collect(struct exim_state *st, struct spawn_result *res,
			     char *err, size_t errlen)
{
	struct exim_collect c = {0};
	struct mta_raw raw;

	memset(res, 0, sizeof(*res));
	if (exim_list_stream(st, exim_list_chunk, &c, &raw, err, errlen) < 0)
		goto fail;
	if (c.nomem || (c.buf == NULL && (c.buf = calloc(1, 1)) == NULL)) {
		snprintf(err, errlen, "exim -bpr: out of memory");
		goto fail;
	}
	res->out = c.buf;
	res->outlen = c.len;
	res->out_truncated = c.cut;
	res->err = raw.err;
	res->errlen = raw.err ? strlen(raw.err) : 0;
	res->exited = c.cut ? 1 : raw.exited; /* stopped at the bound */
	res->exit_code = c.cut ? 0 : raw.exit_code;
	res->signal = raw.signal;
	return 0;
fail:
	free(c.buf);
	mta_raw_free(&raw);
	return -1;
}

int exim_list_bytes(struct exim_state *st, struct spawn_result *res, char *err,
		    size_t errlen)
{
	struct mta_raw raw;
	char msg[256];

	if (st->host == NULL || st->host->list_stream != NULL) {
		if (exim_list_collect(st, res, err, errlen) < 0)
			return -1;
	} else {
		if (exim_list_raw(st, &raw, err, errlen) < 0)
			return -1;
		/* the same bytes seen as a spawn result (spawn_result_free
		 * frees what mta_raw_free would) */
		memset(res, 0, sizeof(*res));
		res->out = raw.out;
		res->outlen = raw.outlen;
		res->out_truncated = raw.out_truncated;
		res->err = raw.err;
		res->errlen = raw.err ? strlen(raw.err) : 0;
		res->exited = raw.exited;
		res->exit_code = raw.exit_code;
		res->signal = raw.signal;
	}
	if (!res->exited || res->exit_code != 0) {
		snprintf(err, errlen, "exim -bpr: %s %d: %s",
			 res->exited ? "exit" : "signal",
			 res->exited ? res->exit_code : res->signal,
			 exim_stderr(res, msg, sizeof(msg)));
		spawn_result_free(res);
		return -1;
	}
	return 0;
}
