/*
 * NAME
 *	listing_fx 3h
 * SUMMARY
 *	the unit tests' lookup of a message in a plugin's listing
 * DESCRIPTION
 *	listing_fx_find() returns the message with a queue id in a struct
 *	mta_listing (what scan and discover fill), or NULL: the one linear
 *	lookup the plugin tests share.
 */
#ifndef TESTS_LISTING_FX_H
#define TESTS_LISTING_FX_H

#include "plugins/plugin.h"

/** The message @param id of @param l, or NULL. */
const struct mta_message *listing_fx_find(const struct mta_listing *l,
					  const char *id);

#endif
