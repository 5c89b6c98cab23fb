/*
 * mta_raw.h — a listing command's spawn result handed over as the
 * struct mta_raw (plugin.h) a list_raw / list_stream call returns;
 * shared by the Postfix and Exim plugins.
 */
#ifndef RETRYD_PLUGINS_MTA_RAW_H
#define RETRYD_PLUGINS_MTA_RAW_H

#include "util/spawn.h"
#include "plugin.h"

/**
 * Move the exit status and stderr of @param res into @param raw (stdout
 * is the caller's: streamed away, or taken by mta_raw_take).
 */
static inline void mta_raw_take_status(struct mta_raw *raw,
				       struct spawn_result *res)
{
	raw->err = res->err;
	raw->exited = res->exited;
	raw->exit_code = res->exit_code;
	raw->signal = res->signal;
	res->err = NULL;
}

/** Move all of @param res (stdout, stderr, status) into @param raw. */
static inline void mta_raw_take(struct mta_raw *raw, struct spawn_result *res)
{
	raw->out = res->out;
	raw->outlen = res->outlen;
	raw->out_truncated = res->out_truncated;
	res->out = NULL;
	mta_raw_take_status(raw, res);
}

#endif
