/*
 * NAME
 *	spawn_int 3h
 * SUMMARY
 *	helpers shared by spawn.c and spawn_all.c (not an interface)
 */
#ifndef RETRYD_SPAWN_INT_H
#define RETRYD_SPAWN_INT_H

#include <spawn.h>
#include <stdint.h>
#include <sys/types.h>

/** Close *@param fd if open and set it to -1. */
void spawn_close(int *fd);
/**
 * posix_spawn(p) @param argv with @param fa, no signal blocked and
 * default dispositions in the child. @return 0 or an errno value.
 */
int spawn_start(pid_t *pid, char *const argv[],
		const posix_spawn_file_actions_t *fa);

#endif
