/*
 * NAME
 *	policy_load 3h
 * SUMMARY
 *	loader state shared by policy.c (reader, includes) and
 *	policy_keys.c (key table, defaults, cross-checks)
 * DESCRIPTION
 *	Internal to the policy loader; nothing else includes this.
 *	A load_state lives for one policy_load() call; a load_frame for one
 *	file being read (frames chain to the including file).
 */
#ifndef RETRYD_POLICY_LOAD_H
#define RETRYD_POLICY_LOAD_H

#include <stdio.h>
#include <sys/types.h>

#include "policy/policy.h"

enum load_sect {
	LOAD_SECT_NONE, /* before any header */
	LOAD_SECT_RETRYD,
	LOAD_SECT_POSTFIX,
	LOAD_SECT_EXIM,
	LOAD_SECT_RESOLVERS,
	LOAD_SECT_BACKOFF,
	LOAD_SECT_SUPPRESSION,
	LOAD_SECT_CLASSIFIER,
	LOAD_SECT_HOOKS,
	LOAD_SECT_SENTINEL,
	LOAD_SECT_FLEET,
	LOAD_SECT_GROUP, /* [group NAME]: one per group */
	LOAD_SECT_BAD,	 /* a refused header: its keys are skipped */
	LOAD_SECT_COUNT
};

extern const char *const load_section_names[LOAD_SECT_COUNT];

#define LOAD_KEYS 56 /* >= entries in policy_keys[] */

/* Where something was written. file is owned by the load_state. */
struct load_loc {
	const char *file;
	int line; /* 0: not written (default) */
};

/* What a backoff (the default or a group's) set explicitly, and where. */
struct load_backoff_track {
	int tiers_set;
	struct load_loc tier[LIMIT_POLICY_TIERS];
	struct load_loc give_up;
	struct load_loc jitter;
};

struct load_group_track {
	const char *file; /* where [group NAME] is */
	struct load_backoff_track b;
	struct load_loc seen[LOAD_KEYS];
};

struct load_path {
	struct load_path *next;
	char path[];
};

struct load_state {
	struct policy *p;
	char *err;
	size_t errlen, errused;
	int errtrunc;
	int nerrors;
	const char *resolv_conf;
	struct load_path *paths; /* every file name read, for locations */
	struct load_loc sect_seen[LOAD_SECT_COUNT];
	struct load_loc seen[LOAD_KEYS];
	struct load_backoff_track backoff;
	struct load_group_track groups[LIMIT_POLICY_GROUPS];
};

struct load_frame {
	struct load_state *ls;
	struct load_frame *parent; /* the including file, NULL at the top */
	FILE *fp;
	const char *path;
	int line; /* of the line being handled */
	dev_t dev;
	ino_t ino;
	enum load_sect sect;
	size_t group;		/* with LOAD_SECT_GROUP */
	enum load_sect inherit; /* the includer's section, for keys before */
	size_t inherit_group;	/* this file's first header */
};

void policy_load_error(struct load_state *ls, const char *file, int line,
		       const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/** The section the next key of @param f belongs to. */
static inline enum load_sect load_frame_section(const struct load_frame *f)
{
	return f->sect != LOAD_SECT_NONE ? f->sect : f->inherit;
}

static inline size_t load_frame_group(const struct load_frame *f)
{
	return f->sect != LOAD_SECT_NONE ? f->group : f->inherit_group;
}

/** The inih handler (user = the load_frame). */
int policy_load_handler(void *user, const char *section, const char *name,
			const char *value, int lineno);

/** Read the file named by include = @param value, seen in @param f. */
void policy_load_include(struct load_frame *f, const char *value);

/** A policy with every default except the resolv.conf ones and host_id. */
struct policy *policy_new_defaults(void);

/** Fill the remaining defaults and run the checks across keys. */
void policy_load_finish(struct load_state *ls);

#endif
