/*
 * NAME
 *	preflight 3h
 * SUMMARY
 *	retryd --preflight: check what the policy points at
 */
#ifndef RETRYD_PREFLIGHT_H
#define RETRYD_PREFLIGHT_H

#include <stdio.h>

#include "policy/policy.h"

#define PREFLIGHT_EX_UNAVAILABLE 69 /* sysexits EX_UNAVAILABLE */
#define PREFLIGHT_MIN_FREE_MB	 64 /* free space state_dir needs */
#define PREFLIGHT_LOG_SLACK_S	 60 /* arrival after the last log write */

/**
 * Check the host against @param p: the plugin loads and its listing
 * command runs, the MTA log (file or journal) is readable and advancing,
 * state_dir is writable with room, hooks are executable, each resolver
 * answers over UDP (and TCP when [resolvers] tcp = yes), the canaries
 * find no intercepting resolver. Problems go to @param err_fp as
 * "FILE:LINE: message" (the key to blame), what was checked to
 * @param out_fp. @return 0, POLICY_EX_CONFIG when a key points at
 * something missing or wrong, or PREFLIGHT_EX_UNAVAILABLE when the
 * environment cannot work (command fails, resolver silent, no room).
 */
int preflight_run(const struct policy *p, FILE *out_fp, FILE *err_fp);

#endif
