/*
 * NAME
 *	priv_proto 3
 * SUMMARY
 *	frames and value checks of the helper's socketpair protocol
 * SYNOPSIS
 *	#include "priv/priv.h"
 * DESCRIPTION
 *	priv_send() writes one frame (header and payload in one sendmsg on
 *	a SOCK_SEQPACKET socket, so a frame is never split or merged);
 *	priv_recv() reads one, with MSG_TRUNC to see a frame larger than
 *	PRIV_FRAME_MAX (refused, never half read). The *_ok checks are pure
 *	and run on the helper's side for every value the daemon sends.
 * DIAGNOSTICS
 *	-1 with errno: EMSGSIZE (oversized or short frame), EPROTO (wrong
 *	magic), or the socket's own error.
 * SECURITY
 *	The helper trusts nothing in a frame: sizes are checked against the
 *	header, strings must end inside their slot, ids are checked against
 *	the alphabet and the MTA plugin's validator.
 */
#include "priv/priv.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

int priv_id_ok(const char *slot, const struct mta_plugin *pl)
{
	size_t n = strnlen(slot, PRIV_ID_SLOT);

	if (n == 0 || n > LIMIT_QUEUE_ID || slot[0] == '-')
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = slot[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '-'))
			return 0;
	}
	return pl != NULL && pl->valid_id(slot) == 1;
}

/* 1 for [0-9A-Za-z]: a queue directory's hash character. */
static int priv_hash_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9');
}

int priv_qspec_ok(const char *slot, unsigned which, const struct mta_plugin *pl)
{
	size_t n = strnlen(slot, PRIV_ID_SLOT), h;
	const char *dot;

	if (n == PRIV_ID_SLOT)
		return 0;
	dot = which == MTA_FILE_DEFER_LOG ? memchr(slot, '.', n) : NULL;
	h = which == MTA_FILE_DEFER_LOG ? (dot ? (size_t)(dot - slot) : 0) : n;
	if (h > MTA_QDIR_DEPTH)
		return 0;
	for (size_t i = 0; i < h; i++)
		if (!priv_hash_char(slot[i]))
			return 0;
	if (which == MTA_FILE_QDIR_DEFERRED)
		return 1;
	/* the defer log: [HASH '.'] ID, the id as any other id */
	if (which != MTA_FILE_DEFER_LOG || (dot && h == 0))
		return 0;
	{
		char id[PRIV_ID_SLOT];

		memset(id, 0, sizeof(id));
		memcpy(id, slot + (dot ? h + 1 : 0), n - (dot ? h + 1 : 0));
		return priv_id_ok(id, pl);
	}
}

/* 1 when @param s ends inside @param cap and has only @param ok bytes. */
static int priv_charset_ok(const char *s, size_t cap, size_t min,
			   int (*ok)(char c))
{
	size_t n = strnlen(s, cap);

	if (n == cap || n < min)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!ok(s[i]))
			return 0;
	return 1;
}

static int priv_domain_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
}

static int priv_resolver_char(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	       (c >= 'A' && c <= 'F') || c == '.' || c == ':' || c == '[' ||
	       c == ']';
}

static int priv_report_char(char c)
{
	return priv_domain_char(c);
}

int priv_domain_ok(const char *s, size_t cap)
{
	return priv_charset_ok(s, cap, 1, priv_domain_char) &&
	       strlen(s) <= LIMIT_DOMAIN && s[0] != '-' && s[0] != '.';
}

int priv_resolver_ok(const char *s, size_t cap)
{
	return priv_charset_ok(s, cap, 1, priv_resolver_char);
}

int priv_report_ok(const char *s, size_t cap)
{
	return priv_charset_ok(s, cap, 1, priv_report_char) && s[0] != '.' &&
	       s[0] != '-';
}

int priv_send(int fd, uint32_t verb, uint32_t arg, uint32_t count,
	      const void *payload, size_t len)
{
	return priv_send_fd(fd, verb, arg, count, payload, len, -1);
}

int priv_send_fd(int fd, uint32_t verb, uint32_t arg, uint32_t count,
		 const void *payload, size_t len, int passfd)
{
	struct priv_hdr h = {PRIV_MAGIC, verb, arg, count};
	struct iovec iov[2] = {{&h, sizeof(h)}, {(void *)payload, len}};
	struct msghdr m = {.msg_iov = iov, .msg_iovlen = len ? 2 : 1};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	ssize_t n;

	if (passfd >= 0) {
		struct cmsghdr *c;

		memset(&ctl, 0, sizeof(ctl));
		m.msg_control = ctl.buf;
		m.msg_controllen = sizeof(ctl.buf);
		c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &passfd, sizeof(int));
	}

	if (sizeof(h) + len > PRIV_FRAME_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	do
		n = sendmsg(fd, &m, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	if ((size_t)n != sizeof(h) + len) {
		errno = EMSGSIZE;
		return -1;
	}
	return 0;
}

ssize_t priv_recv(int fd, void *buf)
{
	return priv_recv_fd(fd, buf, NULL);
}

/* The descriptor(s) of a received frame: keep one in *@param got. */
static void priv_take_fds(struct msghdr *m, int *got)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
		size_t k;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++) {
			int f;

			memcpy(&f, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (got != NULL && *got < 0)
				*got = f;
			else
				close(f); /* one per frame, never more */
		}
	}
}

ssize_t priv_recv_fd(int fd, void *buf, int *gotfd)
{
	const struct priv_hdr *h = buf;
	struct iovec iov = {buf, PRIV_FRAME_MAX};
	union {
		char buf[CMSG_SPACE(sizeof(int) * 4)];
		struct cmsghdr align;
	} ctl;
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
	ssize_t n;

	if (gotfd != NULL) {
		*gotfd = -1;
		m.msg_control = ctl.buf;
		m.msg_controllen = sizeof(ctl.buf);
	}
	do
		n = recvmsg(fd, &m, MSG_TRUNC | MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (gotfd != NULL)
		priv_take_fds(&m, gotfd);
	if (n <= 0)
		return n;
	if ((size_t)n > PRIV_FRAME_MAX || (size_t)n < sizeof(*h)) {
		errno = EMSGSIZE;
		return -1;
	}
	if (h->magic != PRIV_MAGIC) {
		errno = EPROTO;
		return -1;
	}
	return n;
}
