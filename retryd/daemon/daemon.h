/*
 * NAME
 *	daemon 3h
 * SUMMARY
 *	the retryd main loop: scan, adopt, verify, attempt, record
 * DESCRIPTION
 *	main.c loads and checks the policy, then hands over to daemon_run(),
 *	which owns everything from there on: the store, the MTA plugin,
 *	the verifier, the control socket, signals and reloads of
 *	@param policy_file. The caller keeps ownership of @param p (the
 *	policy loaded at start); a reload loads a new one and swaps it whole.
 */
#ifndef RETRYD_DAEMON_H
#define RETRYD_DAEMON_H

#include "policy/policy.h"

/**
 * Run in the foreground until told to stop (@param once == 0), or do one
 * full pass and return (@param once == 1).
 * @return the process exit status (0 on a clean stop).
 */
int daemon_run(const char *policy_file, const struct policy *p, int once);

#endif
