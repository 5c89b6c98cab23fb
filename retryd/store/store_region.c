/*
 * NAME
 *	store_region 3
 * SUMMARY
 *	give the Berkeley DB region files their disk blocks up front, so a
 *	full file system is ENOSPC, never SIGBUS
 * SYNOPSIS
 *	#include "store/store_int.h"
 * DESCRIPTION
 *	Berkeley DB 5.3 maps each region file (state_dir/__db.NNN) at its
 *	maximum size but writes only its initial size (DB_REGION_INIT);
 *	the cache region starts at a few hundred KB and the main region
 *	(locks, transactions) below its maximum. A region grows by writing
 *	one byte at its new end (__db_file_extend: a sparse file) and then
 *	touching the new pages through the mapping. On a full file system
 *	(tmpfs, ext4) that page fault has no block to get: SIGBUS inside
 *	__env_alloc, the crash of issue 10.
 *
 *	store_region_reserve() finds this process's mappings of the
 *	environment's region files in /proc/self/maps and fallocate(2)s
 *	each file over its whole mapped length with FALLOC_FL_KEEP_SIZE:
 *	the blocks exist, the file size does not change (Berkeley DB
 *	compares the main region file's size with the region's own size
 *	when a process joins). Growing a region then writes and touches
 *	blocks that are already there. The cost is disk space: the regions'
 *	maximum (about 30 MB with the default 16 MB cache) is taken at open.
 *	Every opener that may write runs it after the environment is open
 *	(a region created by another process is covered too: blocks
 *	belong to the file).
 * DIAGNOSTICS
 *	STORE_NOSPACE when the blocks cannot be had (the store must not be
 *	used: a later growth would be a crash); STORE_ERROR with err when
 *	a region file cannot be opened. Without /proc/self/maps (or on a
 *	file system without fallocate, EOPNOTSUPP) the store is used
 *	unprotected, with a warning (at debug level for EOPNOTSUPP):
 *	nothing better can be done there.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store_int.h"
#include "util/log.h"

#define STORE_REGION_MAPS "/proc/self/maps"

/* Reserve @param len bytes of the region file @param path. */
static int region_allocate(const char *path, unsigned long long len, char *err,
			   size_t errlen)
{
	int fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	int rc = STORE_OK;

	if (fd < 0) {
		if (errno == ENOENT || errno == EACCES)
			return STORE_OK; /* gone (recovery) or not ours */
		snprintf(err, errlen, "store: open %s: %s", path,
			 strerror(errno));
		return STORE_ERROR;
	}
	if (fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, (off_t)len) != 0) {
		if (errno == EOPNOTSUPP) {
			log_debug("store: %s: no fallocate here (%s): region "
				  "growth on a full disk may crash",
				  path, strerror(errno));
		} else {
			snprintf(err, errlen,
				 "store: reserve %llu KB for the region file "
				 "%s: %s (disk full: free space in the state "
				 "directory)",
				 len >> 10, path, strerror(errno));
			rc = errno == ENOSPC || errno == EDQUOT ? STORE_NOSPACE
								: STORE_ERROR;
		}
	}
	close(fd);
	return rc;
}

int store_region_reserve(const char *dir, char *err, size_t errlen)
{
	char real[PATH_MAX], line[PATH_MAX + 256];
	size_t rlen;
	FILE *f;
	int rc = STORE_OK;

	if (realpath(dir, real) == NULL) {
		snprintf(err, errlen, "store: %s: %s", dir, strerror(errno));
		return STORE_ERROR;
	}
	rlen = strlen(real);
	if ((f = fopen(STORE_REGION_MAPS, "re")) == NULL) {
		/* no /proc: the store still works, unprotected */
		log_warn("store: %s: %s: the region files' space is not "
			 "reserved (a full disk may crash retryd)",
			 STORE_REGION_MAPS, strerror(errno));
		return STORE_OK;
	}
	while (rc == STORE_OK && fgets(line, sizeof(line), f) != NULL) {
		unsigned long long start, end, off;
		char *path = strchr(line, '/');
		size_t n;

		if (path == NULL ||
		    sscanf(line, "%llx-%llx %*s %llx", &start, &end, &off) !=
			3 ||
		    strncmp(path, real, rlen) != 0 ||
		    strncmp(path + rlen, "/__db.", 6) != 0)
			continue;
		n = strcspn(path, "\n");
		path[n] = '\0';
		if (strchr(path + rlen + 1, '/') != NULL ||
		    strstr(path, " (deleted)") != NULL)
			continue;
		rc = region_allocate(path, off + (end - start), err, errlen);
	}
	fclose(f);
	return rc;
}
