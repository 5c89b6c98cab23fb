/*
 * NAME
 *	store_codec 3h
 * SUMMARY
 *	binary record and key formats of the store (pure, no Berkeley DB)
 * DESCRIPTION
 *	Every value starts with STORE_FORMAT_VERSION. Integers are big-endian;
 *	strings are a BE16 length then the bytes (no NUL inside, bounded by
 *	the field's limit in limits.h); the verification's answers text is a
 *	BE32 length. A message value carries next_attempt at a fixed offset
 *	(STORE_CODEC_DUE_OFFSET) so the due index reads it without decoding.
 *
 *	Decoders take (buf, len) from untrusted storage and are strict: a
 *	truncated value, trailing bytes, an unknown version, an over-long or
 *	NUL-containing string, an unknown enum value or an empty key field is
 *	refused with a reason in err. Encoders refuse a struct whose strings
 *	are not terminated within their arrays or whose enums are unknown.
 *
 *	Keys (see store.h): messages "MTA\0QUEUEID"; evidence "ADDRESS\0"
 *	BE64(time) BE32(seq); verifications "DOMAIN\0" BE64(time); domains
 *	and suppressed: the bare name. Key builders return the key length, or
 *	0 when a part is empty, too long or the buffer too small.
 */
#ifndef RETRYD_STORE_CODEC_H
#define RETRYD_STORE_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* Offset and size of BE64(next_attempt) inside an encoded message. */
#define STORE_CODEC_DUE_OFFSET 1
#define STORE_CODEC_DUE_SIZE   8

/* Largest keys, for callers' buffers. */
#define STORE_CODEC_MESSAGE_KEY_MAX	 (LIMIT_MTA_NAME + 1 + LIMIT_QUEUE_ID)
#define STORE_CODEC_EVIDENCE_KEY_MAX	 (LIMIT_ADDRESS + 1 + 8 + 4)
#define STORE_CODEC_VERIFICATION_KEY_MAX (LIMIT_DOMAIN + 1 + 8)
#define STORE_CODEC_STATE_KEY_MAX	 (1 + 8 + STORE_CODEC_MESSAGE_KEY_MAX)

/** A growing output buffer; the caller frees data (free(3)). */
struct store_codec_buf {
	uint8_t *data;
	size_t len;
	size_t cap;
};

/*
 * Encoders append one value to @param out (which may start empty, all
 * zero). @return 0, or -1 with @param err saying why (nothing useful is
 * left in out then; the caller still frees it).
 */
int store_codec_message_encode(const struct store_message *m,
			       struct store_codec_buf *out, char *err,
			       size_t errlen);
int store_codec_evidence_encode(const struct store_evidence *ev,
				struct store_codec_buf *out, char *err,
				size_t errlen);
int store_codec_domain_encode(const struct store_domain *d,
			      struct store_codec_buf *out, char *err,
			      size_t errlen);
int store_codec_verification_encode(const struct store_verification *v,
				    struct store_codec_buf *out, char *err,
				    size_t errlen);
int store_codec_suppressed_encode(const struct store_suppressed *s,
				  struct store_codec_buf *out, char *err,
				  size_t errlen);

/*
 * Decoders. @return 0, or -1 with @param err saying why.
 * message: *out is a new message the caller frees (store_message_free).
 * verification: out->answers is malloc'd; the caller frees it.
 */
int store_codec_message_decode(const void *buf, size_t len,
			       struct store_message **out, char *err,
			       size_t errlen);
int store_codec_evidence_decode(const void *buf, size_t len,
				struct store_evidence *out, char *err,
				size_t errlen);
int store_codec_domain_decode(const void *buf, size_t len,
			      struct store_domain *out, char *err,
			      size_t errlen);
int store_codec_verification_decode(const void *buf, size_t len,
				    struct store_verification *out, char *err,
				    size_t errlen);
int store_codec_suppressed_decode(const void *buf, size_t len,
				  struct store_suppressed *out, char *err,
				  size_t errlen);

/**
 * The due-index key of an encoded message: @return 1 and the BE64 bytes'
 * position in *offset when the value has a known version and
 * next_attempt > 0; 0 when it must not be indexed.
 */
int store_codec_message_due(const void *buf, size_t len, size_t *offset);

/**
 * The state of an encoded message and when it finished: the later of
 * adopted_at and last_attempt (never negative), read in place without
 * decoding the recipients. @return 0, or -1 when the value is not a
 * message of a known version (it must not be indexed).
 */
int store_codec_message_peek(const void *buf, size_t len,
			     enum store_msg_state *state, int64_t *finished);

/**
 * The state-index key of a message (store_state.c): u8 state, then for
 * DONE BE64(finished), then the primary key @param pkey. Live messages
 * sort first, by state then key; DONE ones by finishing time.
 * @return the key length, or 0 when refused.
 */
size_t store_codec_state_key(enum store_msg_state state, int64_t finished,
			     const void *pkey, size_t pklen, uint8_t *key,
			     size_t cap);

/* Key builders: @return the key length, 0 when refused. */
size_t store_codec_message_key(const char *mta, const char *queue_id,
			       uint8_t *key, size_t cap);
size_t store_codec_evidence_key(const char *address, int64_t time, uint32_t seq,
				uint8_t *key, size_t cap);
size_t store_codec_verification_key(const char *domain, int64_t time,
				    uint8_t *key, size_t cap);
/** "NAME\0": the prefix every evidence/verification key of NAME has. */
size_t store_codec_name_prefix(const char *name, size_t max, uint8_t *key,
			       size_t cap);

/** Big-endian helpers (also used by the store shell). */
void store_codec_put_be64(uint8_t *p, uint64_t v);
uint64_t store_codec_get_be64(const uint8_t *p);
void store_codec_put_be32(uint8_t *p, uint32_t v);
uint32_t store_codec_get_be32(const uint8_t *p);

#endif
