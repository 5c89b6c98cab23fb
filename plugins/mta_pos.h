/*
 * mta_pos.h — a plugin's outcome position as the opaque bytes of
 * struct mta_pos (plugin.h): a 4-byte tag, then the reader's own struct;
 * shared by the Postfix and Exim plugins.
 */
#ifndef RETRYD_PLUGINS_MTA_POS_H
#define RETRYD_PLUGINS_MTA_POS_H

#include <stddef.h>

#include "plugin.h"

#define MTA_POS_TAG_LEN 4

/** Fill @param pos with @param tag and the @param len bytes of @param v. */
void mta_pos_pack(struct mta_pos *pos, const char *tag, const void *v,
		  size_t len);

/**
 * Copy the bytes of @param pos into @param v when it carries @param tag
 * and exactly @param len bytes. @return 0, or -1 with "LABEL: ..." in
 * @param err (another plugin's, another log kind's, a damaged one).
 */
int mta_pos_unpack(const struct mta_pos *pos, const char *tag, void *v,
		   size_t len, const char *label, char *err, size_t errlen);

/**
 * The host keeps the position from now on: remove the plugin's old
 * position file @param file (NULL: none). A file already gone is fine;
 * another failure is logged (the file is then only ignored).
 */
void mta_pos_forget_file(const char *file);

#endif
