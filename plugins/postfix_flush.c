/*
 * NAME
 *	postfix_flush 3
 * SUMMARY
 *	"postqueue -i ID" without a process: the flush service's send_file
 *	request spoken directly over its socket
 * SYNOPSIS
 *	#include "postfix_cmd.h"
 * DESCRIPTION
 *	postfix_flush_socket() asks Postfix's flush service
 *	(QUEUE_DIRECTORY/public/flush) to deliver each id now, exactly as
 *	postqueue -i does (global/flush_clnt.c flush_send_file() through
 *	mail_command_client()): the server announces
 *	"protocol\0queue_flush_protocol\0\0", the client sends
 *	"request\0send_file\0queue_id\0ID\0\0" (attr_print0), the server
 *	answers "status\0N\0\0" (0: done; the deferred file's time set to
 *	now, moved to incoming, the queue manager told). The flush server
 *	takes one request per connection (single_server), so each id is one
 *	connection; what is saved is the postqueue process (exec, main.cf
 *	parsing) per id: about 2 ms of CPU each on the lab box.
 *
 *	postfix_flush_dir() finds QUEUE_DIRECTORY once at open()
 *	("postconf -h queue_directory").
 *
 *	Owns: one socket at a time, closed before the next.
 * DIAGNOSTICS
 *	-1 with "flush socket PATH: why" in err when the service cannot be
 *	reached or answers out of protocol; *done tells how many ids were
 *	flushed before that (the caller falls back to postqueue -i for the
 *	rest).
 * SECURITY
 *	Ids were validated by the caller (postfix_check_ids); the request is
 *	built from them only. Every socket operation has a timeout.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/log.h"
#include "postfix_cmd.h"

#define POSTFIX_FLUSH_IO_MS  10000 /* one request's socket timeouts */
#define POSTFIX_FLUSH_ANSWER 256   /* bytes of an announcement or answer */

static const char postfix_flush_hello[] = "protocol\0queue_flush_protocol\0";

/* Read one attribute list (up to its empty name) into @param buf. */
static ssize_t flush_read_list(int fd, char *buf, size_t cap)
{
	size_t len = 0;

	while (len < cap) {
		ssize_t got = read(fd, buf + len, cap - len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return -1;
		len += (size_t)got;
		/* names and values here are never empty: "\0\0" ends it */
		if (len >= 2 && memmem(buf, len, "\0\0", 2) != NULL)
			return (ssize_t)len;
	}
	errno = EPROTO;
	return -1;
}

/* One send_file request. @return 0, 1 refused by the server, -1 error. */
static int flush_one(const struct sockaddr_un *sa, const char *id, char *why,
		     size_t whylen)
{
	struct timeval tv = {POSTFIX_FLUSH_IO_MS / 1000,
			     (POSTFIX_FLUSH_IO_MS % 1000) * 1000};
	char buf[POSTFIX_FLUSH_ANSWER], req[96];
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int n, rc = -1;
	ssize_t got;

	if (fd < 0) {
		snprintf(why, whylen, "socket: %s", strerror(errno));
		return -1;
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	n = snprintf(req, sizeof(req), "request%csend_file%cqueue_id%c%s%c%c",
		     0, 0, 0, id, 0, 0);
	if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0) {
		snprintf(why, whylen, "connect: %s", strerror(errno));
	} else if ((got = flush_read_list(fd, buf, sizeof(buf))) !=
		       (ssize_t)sizeof(postfix_flush_hello) ||
		   memcmp(buf, postfix_flush_hello,
			  sizeof(postfix_flush_hello)) != 0) {
		snprintf(why, whylen, "no flush protocol announcement (%s)",
			 got < 0 ? strerror(errno) : "unexpected text");
	} else if (write(fd, req, (size_t)n) != n) {
		snprintf(why, whylen, "write: %s", strerror(errno));
	} else if ((got = flush_read_list(fd, buf, sizeof(buf))) < 9 ||
		   memcmp(buf, "status", 7) != 0) {
		snprintf(why, whylen, "no status answer (%s)",
			 got < 0 ? strerror(errno) : "unexpected text");
	} else {
		rc = strcmp(buf + 7, "0") == 0 ? 0 : 1;
		if (rc)
			snprintf(why, whylen, "status %.8s", buf + 7);
	}
	close(fd);
	return rc;
}

int postfix_flush_socket(struct postfix_state *st, const char *const *ids,
			 size_t n, size_t *done, char *err, size_t errlen)
{
	struct sockaddr_un sa;
	char why[200];
	size_t refused = 0;

	*done = 0;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (st->flush_socket == NULL ||
	    strlen(st->flush_socket) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "flush socket: unknown");
		return -1;
	}
	memcpy(sa.sun_path, st->flush_socket, strlen(st->flush_socket) + 1);
	for (size_t i = 0; i < n; i++) {
		int rc = flush_one(&sa, ids[i], why, sizeof(why));
		if (rc < 0) {
			snprintf(err, errlen, "flush socket %.200s: %s",
				 st->flush_socket, why);
			return -1;
		}
		if (rc > 0 && refused++ < 3)
			log_warn("flush %s: %s", ids[i], why);
		(*done)++; /* answered: the rest need no fallback */
	}
	return 0;
}

int postfix_flush_dir(struct postfix_state *st, char *err, size_t errlen)
{
	struct spawn_result res;
	char *postconf, *slash, path[4096];
	size_t k;

	if ((slash = strrchr(st->postsuper, '/')) == NULL)
		return 0;
	snprintf(path, sizeof(path), "%.*s/postconf",
		 (int)(slash - st->postsuper), st->postsuper);
	if (access(path, X_OK) != 0)
		return 0; /* no socket: postqueue -i */
	postconf = path;
	if (postfix_run(st, postconf, "-h", "queue_directory", NULL, 0,
			POSTFIX_TIMEOUT_SUPER_MS, &res, err, errlen) < 0)
		return 0;
	k = res.out ? strcspn(res.out, "\n") : 0;
	if (res.exited && res.exit_code == 0 && k > 0 && res.out[0] == '/') {
		res.out[k] = '\0';
		snprintf(path, sizeof(path), "%s/public/flush", res.out);
		st->flush_socket = strdup(path);
	}
	spawn_result_free(&res);
	return 0;
}
