/*
 * NAME
 *	mta_pos 3
 * SUMMARY
 *	pack and check a plugin's outcome position; drop the old file
 * DESCRIPTION
 *	Since plugin ABI 4 a plugin saves no position: outcomes() returns
 *	it (struct mta_pos) and retryd commits it with the outcomes, then
 *	hands it back with outcomes_seek(). mta_pos_pack() and
 *	mta_pos_unpack() give it a tag ("PFL1": a Postfix log file, "PFJ1":
 *	the journal...) and check tag and size on the way back, so a
 *	position of another plugin or log kind is refused, never misread.
 *	mta_pos_forget_file() removes the position file of plugins before
 *	ABI 4, once its position has been taken into the store.
 *
 *	Owns nothing.
 * DIAGNOSTICS
 *	"LABEL: stored position is not ours (...)"; a file that cannot be
 *	removed is logged.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/log.h"
#include "mta_pos.h"

void mta_pos_pack(struct mta_pos *pos, const char *tag, const void *v,
		  size_t len)
{
	memset(pos, 0, sizeof(*pos));
	if (MTA_POS_TAG_LEN + len > sizeof(pos->data))
		return; /* cannot happen: checked by the callers' sizes */
	memcpy(pos->data, tag, MTA_POS_TAG_LEN);
	memcpy(pos->data + MTA_POS_TAG_LEN, v, len);
	pos->len = (uint32_t)(MTA_POS_TAG_LEN + len);
}

int mta_pos_unpack(const struct mta_pos *pos, const char *tag, void *v,
		   size_t len, const char *label, char *err, size_t errlen)
{
	if (pos->len != MTA_POS_TAG_LEN + len ||
	    memcmp(pos->data, tag, MTA_POS_TAG_LEN) != 0) {
		snprintf(err, errlen,
			 "%s: stored position is not ours (%u bytes, "
			 "expected %zu with tag %.4s)",
			 label, pos->len, MTA_POS_TAG_LEN + len, tag);
		return -1;
	}
	memcpy(v, pos->data + MTA_POS_TAG_LEN, len);
	return 0;
}

void mta_pos_forget_file(const char *file)
{
	if (file == NULL || unlink(file) == 0 || errno == ENOENT)
		return;
	log_warn("%s: %s (the position is kept in the store: the file is "
		 "ignored)",
		 file, strerror(errno));
}
