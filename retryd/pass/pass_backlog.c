/*
 * NAME
 *	pass_backlog 3
 * SUMMARY
 *	adoptable messages a listing could not keep in memory, on disk for
 *	the next passes
 * DESCRIPTION
 *	A listing keeps at most LIMIT_LISTING_CANDIDATES adoptable messages
 *	whole in memory and a pass adopts at most LIMIT_PASS_ADOPT. What a
 *	listing told beyond that, and the candidates a capped adoption did
 *	not reach, are appended here, so the next passes adopt them without
 *	listing the whole queue again: a million deferred messages cost one
 *	full listing, not a hundred, and the memory stays that of one
 *	message.
 *
 *	The backlog is an unlinked file in the state directory (created with
 *	mkostemp, unlinked at once: nothing stays behind, even after a
 *	crash, except in the instant between the two), written at one offset
 *	and read at another, one record a message: queue id, sender,
 *	arrival, recipients with their delay reasons; a reason equal to the
 *	one written before is stored as a mark (a mass deferral repeats one
 *	text: ~70 bytes a message). A full listing supersedes it
 *	(pass_backlog_drop); read to its end it is closed.
 *
 *	What a record says is as old as the listing that told it: the
 *	adoption checks each message again against the store (a live record:
 *	not again) and the pass's own listing; a message that left the queue
 *	meanwhile is held in vain and settled by the next complete listings,
 *	as any adoption that races a delivery.
 *
 *	Owns: the file (ctx->backlog) until pass_backlog_drop().
 * DIAGNOSTICS
 *	A write or read error (disk full, a corrupt record) is logged once,
 *	the backlog is dropped and -1 returned: the caller asks for a full
 *	listing instead (the adoption goes on from there).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/log.h"
#include "pass/pass_int.h"

#define BACKLOG_SAME 0xFFFFu /* a reason length: same as the one before */

struct pass_backlog {
	FILE *f;
	off_t wpos, rpos; /* where the next record is written / read */
	int writing;	  /* the last operation was a write */
	size_t left;	  /* records written and not read yet */
	char wreason[LIMIT_REASON + 1]; /* the last reason written */
	char rreason[LIMIT_REASON + 1]; /* the last reason read */
};

void pass_backlog_drop(struct pass_ctx *ctx)
{
	if (ctx->backlog == NULL)
		return;
	if (ctx->backlog->f)
		fclose(ctx->backlog->f);
	free(ctx->backlog);
	ctx->backlog = NULL;
}

size_t pass_backlog_left(const struct pass_ctx *ctx)
{
	return ctx->backlog ? ctx->backlog->left : 0;
}

/* The unlinked file in the state directory. @return 0 or -1 (logged). */
static int backlog_open(struct pass_ctx *ctx)
{
	struct pass_backlog *b;
	char path[sizeof(ctx->state_dir) + 32];
	int fd;

	snprintf(path, sizeof(path), "%s/.adopt-backlog-XXXXXX",
		 ctx->state_dir);
	if ((b = calloc(1, sizeof(*b))) == NULL)
		return -1;
	if ((fd = mkostemp(path, O_CLOEXEC)) < 0) {
		log_warn("adopt: backlog file in %.300s: %s (a full listing "
			 "follows each capped adoption)",
			 ctx->state_dir, strerror(errno));
		free(b);
		return -1;
	}
	unlink(path);
	if ((b->f = fdopen(fd, "w+")) == NULL) {
		close(fd);
		free(b);
		return -1;
	}
	b->writing = 1;
	ctx->backlog = b;
	return 0;
}

static int backlog_str(FILE *f, const char *s, size_t len)
{
	unsigned short n = (unsigned short)len;

	return fwrite(&n, sizeof(n), 1, f) == 1 &&
		       (len == 0 || fwrite(s, len, 1, f) == 1)
		   ? 0
		   : -1;
}

/* One record. @return 0 or -1 (a write error). */
static int backlog_write(struct pass_backlog *b, const struct mta_message *m)
{
	unsigned short nr = (unsigned short)m->nrcpts;
	int rc;

	rc = backlog_str(b->f, m->queue_id,
			 strnlen(m->queue_id, LIMIT_QUEUE_ID));
	rc |= backlog_str(b->f, m->sender, strnlen(m->sender, LIMIT_ADDRESS));
	rc |= fwrite(&m->arrival, sizeof(m->arrival), 1, b->f) == 1 &&
		      fwrite(&nr, sizeof(nr), 1, b->f) == 1
		  ? 0
		  : -1;
	for (size_t i = 0; i < m->nrcpts && rc == 0; i++) {
		const struct mta_rcpt *r = &m->rcpts[i];
		size_t rlen = strnlen(r->reason, LIMIT_REASON);
		unsigned short same = BACKLOG_SAME;

		rc = backlog_str(b->f, r->address,
				 strnlen(r->address, LIMIT_ADDRESS));
		if (rc == 0 && strncmp(r->reason, b->wreason, rlen + 1) == 0)
			rc = fwrite(&same, sizeof(same), 1, b->f) == 1 ? 0 : -1;
		else if (rc == 0) {
			rc = backlog_str(b->f, r->reason, rlen);
			memcpy(b->wreason, r->reason, rlen);
			b->wreason[rlen] = '\0';
		}
	}
	return rc;
}

int pass_backlog_put(struct pass_ctx *ctx, const struct mta_message *m)
{
	struct pass_backlog *b;

	if (m->nrcpts > LIMIT_RCPTS_PER_MESSAGE)
		return -1; /* never adoptable */
	if (ctx->backlog == NULL && backlog_open(ctx) < 0)
		return -1;
	b = ctx->backlog;
	if (!b->writing && fseeko(b->f, b->wpos, SEEK_SET) < 0)
		goto fail;
	b->writing = 1;
	if (backlog_write(b, m) < 0 || (b->wpos = ftello(b->f)) < 0)
		goto fail;
	b->left++;
	return 0;
fail:
	log_warn("adopt: backlog write: %s (dropped: a full listing follows)",
		 strerror(errno));
	pass_backlog_drop(ctx);
	return -1;
}

/* A string of at most @param max bytes into @param out. */
static int backlog_read_str(FILE *f, char *out, size_t max)
{
	unsigned short n;

	if (fread(&n, sizeof(n), 1, f) != 1 || n > max ||
	    (n > 0 && fread(out, n, 1, f) != 1))
		return -1;
	out[n] = '\0';
	return 0;
}

/* One record into @param m (rcpts allocated). @return 0 or -1. */
static int backlog_read(struct pass_backlog *b, struct mta_message *m)
{
	unsigned short nr;

	memset(m, 0, sizeof(*m));
	if (backlog_read_str(b->f, m->queue_id, LIMIT_QUEUE_ID) < 0 ||
	    backlog_read_str(b->f, m->sender, LIMIT_ADDRESS) < 0 ||
	    fread(&m->arrival, sizeof(m->arrival), 1, b->f) != 1 ||
	    fread(&nr, sizeof(nr), 1, b->f) != 1 ||
	    nr > LIMIT_RCPTS_PER_MESSAGE)
		return -1;
	if (nr > 0 && (m->rcpts = calloc(nr, sizeof(*m->rcpts))) == NULL)
		return -1;
	m->nrcpts = nr;
	m->deferred = 1;
	for (size_t i = 0; i < nr; i++) {
		struct mta_rcpt *r = &m->rcpts[i];
		unsigned short rl;

		if (backlog_read_str(b->f, r->address, LIMIT_ADDRESS) < 0 ||
		    fread(&rl, sizeof(rl), 1, b->f) != 1)
			return -1;
		if (rl == BACKLOG_SAME) {
			memcpy(r->reason, b->rreason, sizeof(r->reason));
			continue;
		}
		if (rl > LIMIT_REASON ||
		    (rl > 0 && fread(r->reason, rl, 1, b->f) != 1))
			return -1;
		r->reason[rl] = '\0';
		memcpy(b->rreason, r->reason, (size_t)rl + 1);
	}
	return 0;
}

int pass_backlog_next(struct pass_ctx *ctx, struct mta_message *m)
{
	struct pass_backlog *b = ctx->backlog;

	memset(m, 0, sizeof(*m));
	if (b == NULL || b->left == 0) {
		pass_backlog_drop(ctx); /* read to its end: the disk back */
		return 0;
	}
	if (b->writing &&
	    (fflush(b->f) != 0 || fseeko(b->f, b->rpos, SEEK_SET) < 0))
		goto fail;
	b->writing = 0;
	errno = 0;
	if (backlog_read(b, m) < 0 || (b->rpos = ftello(b->f)) < 0) {
		free(m->rcpts);
		memset(m, 0, sizeof(*m));
		goto fail;
	}
	b->left--;
	return 1;
fail:
	log_warn("adopt: backlog read: %s (dropped: a full listing follows)",
		 errno ? strerror(errno) : "short or corrupt record");
	pass_backlog_drop(ctx);
	return -1;
}
