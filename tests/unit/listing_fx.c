/*
 * NAME
 *	listing_fx 3
 * SUMMARY
 *	find a message of a plugin's listing by queue id (unit tests)
 * DESCRIPTION
 *	A linear walk of struct mta_listing; owns nothing.
 */
#include <string.h>

#include "listing_fx.h"

const struct mta_message *listing_fx_find(const struct mta_listing *l,
					  const char *id)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->msgs[i].queue_id, id) == 0)
			return &l->msgs[i];
	return NULL;
}
