/*
 * NAME
 *	store_key 3
 * SUMMARY
 *	the store's key layouts and the names of its enums
 * SYNOPSIS
 *	#include "store/store_codec.h"
 * DESCRIPTION
 *	Pure code: builds "MTA\0QUEUEID", "ADDRESS\0" BE64(time) BE32(seq),
 *	"DOMAIN\0" BE64(time) and "NAME\0" prefixes (declared in
 *	store_codec.h), and names the store's enums for listings and logs.
 * DIAGNOSTICS
 *	Key builders return 0 for an empty or over-long part, a negative
 *	time, or a buffer too small.
 */
#include "store/store_codec.h"

#include <string.h>

/* ---- keys ---- */

/* Append "NAME" (1..max bytes) to key at *len; 0 when refused. */
static int codec_key_name(const char *name, size_t max, uint8_t *key,
			  size_t cap, size_t *len)
{
	size_t n = name ? strnlen(name, max + 1) : 0;

	if (n == 0 || n > max || cap - *len < n)
		return 0;
	memcpy(key + *len, name, n);
	*len += n;
	return 1;
}

size_t store_codec_name_prefix(const char *name, size_t max, uint8_t *key,
			       size_t cap)
{
	size_t len = 0;

	if (!codec_key_name(name, max, key, cap, &len) || len >= cap)
		return 0;
	key[len++] = 0;
	return len;
}

size_t store_codec_message_key(const char *mta, const char *queue_id,
			       uint8_t *key, size_t cap)
{
	size_t len = store_codec_name_prefix(mta, LIMIT_MTA_NAME, key, cap);

	if (len == 0 ||
	    !codec_key_name(queue_id, LIMIT_QUEUE_ID, key, cap, &len))
		return 0;
	return len;
}

size_t store_codec_evidence_key(const char *address, int64_t time, uint32_t seq,
				uint8_t *key, size_t cap)
{
	size_t len = store_codec_name_prefix(address, LIMIT_ADDRESS, key, cap);

	if (len == 0 || time < 0 || cap - len < 12)
		return 0;
	store_codec_put_be64(key + len, (uint64_t)time);
	store_codec_put_be32(key + len + 8, seq);
	return len + 12;
}

size_t store_codec_verification_key(const char *domain, int64_t time,
				    uint8_t *key, size_t cap)
{
	size_t len = store_codec_name_prefix(domain, LIMIT_DOMAIN, key, cap);

	if (len == 0 || time < 0 || cap - len < 8)
		return 0;
	store_codec_put_be64(key + len, (uint64_t)time);
	return len + 8;
}

/* ---- names ---- */

const char *store_msg_state_name(enum store_msg_state s)
{
	switch (s) {
	case STORE_MSG_ADOPT_INTENT:
		return "adopt-intent";
	case STORE_MSG_HELD:
		return "held";
	case STORE_MSG_RELEASE_INTENT:
		return "release-intent";
	case STORE_MSG_ATTEMPTING:
		return "attempting";
	case STORE_MSG_GIVEBACK_INTENT:
		return "giveback-intent";
	case STORE_MSG_DONE:
		return "done";
	}
	return "unknown";
}

const char *store_rcpt_state_name(enum store_rcpt_state s)
{
	switch (s) {
	case STORE_RCPT_PENDING:
		return "pending";
	case STORE_RCPT_DELIVERED:
		return "delivered";
	case STORE_RCPT_BOUNCED:
		return "bounced";
	case STORE_RCPT_SUPPRESSED:
		return "suppressed";
	case STORE_RCPT_GIVEN_BACK:
		return "given-back";
	}
	return "unknown";
}

const char *store_outcome_name(enum store_outcome o)
{
	switch (o) {
	case STORE_OUTCOME_NONE:
		return "none";
	case STORE_OUTCOME_DELIVERED:
		return "delivered";
	case STORE_OUTCOME_DEFERRED:
		return "deferred";
	case STORE_OUTCOME_BOUNCED:
		return "bounced";
	}
	return "unknown";
}
