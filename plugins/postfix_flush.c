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
 *	parsing) per id: about 2 ms of CPU each on the lab box. Up to
 *	POSTFIX_FLUSH_PARALLEL connections are in flight at once (poll):
 *	master runs that many flush processes side by side, so a release of
 *	thousands is not one round trip after the other.
 *
 *	postfix_flush_dir() finds QUEUE_DIRECTORY once at open()
 *	("postconf -h queue_directory"), kept for postfix_qdir.c too.
 *
 *	Owns: at most POSTFIX_FLUSH_PARALLEL sockets during one call.
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
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/log.h"
#include "postfix_cmd.h"

#define POSTFIX_FLUSH_IO_MS 10000 /* one request's socket timeouts */
/* Requests in flight at once. The flush server takes one request per
 * connection (single_server) but master runs up to process_limit of
 * them: many connections at once are served in parallel. */
#define POSTFIX_FLUSH_PARALLEL 16
#define POSTFIX_FLUSH_ANSWER   256 /* bytes of an announcement or answer */

static const char postfix_flush_hello[] = "protocol\0queue_flush_protocol\0";

/* One request in flight: its connection, its id, what came back. */
struct flush_conn {
	int fd; /* -1: free */
	size_t idx;
	int asked; /* the request was sent: the status is awaited */
	size_t len;
	char buf[POSTFIX_FLUSH_ANSWER];
};

/* 1 when @param c holds a whole attribute list ("\0\0" ends it). */
static int flush_list_done(const struct flush_conn *c)
{
	/* names and values here are never empty */
	return c->len >= 2 && memmem(c->buf, c->len, "\0\0", 2) != NULL;
}

int postfix_flush_connect(const char *path, int io_ms, char *why, size_t whylen)
{
	struct sockaddr_un sa;
	struct timeval tv = {io_ms / 1000, (io_ms % 1000) * 1000};
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(why, whylen, "path too long");
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		snprintf(why, whylen, "socket: %s", strerror(errno));
		return -1;
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (const struct sockaddr *)&sa, sizeof(sa)) < 0) {
		snprintf(why, whylen, "connect: %s", strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* Open a connection for ids[idx]. @return 0, or -1 with why. */
static int flush_open(struct flush_conn *c, const char *path, size_t idx,
		      char *why, size_t whylen)
{
	c->idx = idx;
	c->asked = 0;
	c->len = 0;
	c->fd = postfix_flush_connect(path, POSTFIX_FLUSH_IO_MS, why, whylen);
	return c->fd < 0 ? -1 : 0;
}

/*
 * @param c is readable: read, and at the end of a list send the request
 * (after the announcement) or take the status. @return 0 more to come,
 * 1 answered (status 0), 2 refused by the server (why), -1 error (why).
 */
static int flush_step(struct flush_conn *c, const char *id, char *why,
		      size_t whylen)
{
	char req[96];
	ssize_t got = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
	int n;

	if (got < 0 && errno == EINTR)
		return 0;
	if (got <= 0) {
		snprintf(why, whylen, "%s: %s",
			 c->asked ? "no status answer"
				  : "no flush protocol announcement",
			 got < 0 ? strerror(errno) : "connection closed");
		return -1;
	}
	c->len += (size_t)got;
	if (!flush_list_done(c)) {
		if (c->len < sizeof(c->buf))
			return 0;
		snprintf(why, whylen, "answer longer than %d bytes",
			 POSTFIX_FLUSH_ANSWER);
		return -1;
	}
	if (!c->asked) {
		if (c->len != sizeof(postfix_flush_hello) ||
		    memcmp(c->buf, postfix_flush_hello, c->len) != 0) {
			snprintf(why, whylen,
				 "no flush protocol announcement "
				 "(unexpected text)");
			return -1;
		}
		n = snprintf(req, sizeof(req),
			     "request%csend_file%cqueue_id%c%s%c%c", 0, 0, 0,
			     id, 0, 0);
		if (write(c->fd, req, (size_t)n) != n) {
			snprintf(why, whylen, "write: %s", strerror(errno));
			return -1;
		}
		c->asked = 1;
		c->len = 0;
		return 0;
	}
	if (c->len < 9 || memcmp(c->buf, "status", 7) != 0) {
		snprintf(why, whylen, "no status answer (unexpected text)");
		return -1;
	}
	if (strcmp(c->buf + 7, "0") == 0)
		return 1;
	snprintf(why, whylen, "status %.8s", c->buf + 7);
	return 2;
}

static void flush_close_all(struct flush_conn *c, size_t k)
{
	for (size_t i = 0; i < k; i++)
		if (c[i].fd >= 0) {
			close(c[i].fd);
			c[i].fd = -1;
		}
}

/* The lowest id not answered: the fallback starts there. */
static size_t flush_first_open(const struct flush_conn *c, size_t k,
			       size_t next)
{
	size_t low = next;

	for (size_t i = 0; i < k; i++)
		if (c[i].fd >= 0 && c[i].idx < low)
			low = c[i].idx;
	return low;
}

/* Wait for one readable connection. @return 0, or -1 (why). */
static int flush_wait(struct flush_conn *c, size_t k, struct pollfd *pfd,
		      char *why, size_t whylen)
{
	int r;

	for (size_t i = 0; i < k; i++)
		pfd[i] = (struct pollfd){c[i].fd, POLLIN, 0}; /* -1: ignored */
	while ((r = poll(pfd, k, POSTFIX_FLUSH_IO_MS)) < 0 && errno == EINTR)
		;
	if (r <= 0) {
		snprintf(why, whylen, "%s",
			 r == 0 ? "no answer in time" : strerror(errno));
		return -1;
	}
	return 0;
}

int postfix_flush_socket(struct postfix_state *st, const char *const *ids,
			 size_t n, size_t *done, char *err, size_t errlen)
{
	struct flush_conn c[POSTFIX_FLUSH_PARALLEL];
	struct pollfd pfd[POSTFIX_FLUSH_PARALLEL];
	size_t k = n < POSTFIX_FLUSH_PARALLEL ? n : POSTFIX_FLUSH_PARALLEL;
	size_t next = 0, active = 0, refused = 0;
	char why[200];

	*done = 0;
	if (st->flush_socket == NULL) {
		snprintf(err, errlen, "flush socket: unknown");
		return -1;
	}
	for (size_t i = 0; i < k; i++)
		c[i].fd = -1;
	while (next < n || active > 0) {
		for (size_t i = 0; i < k && next < n; i++) {
			if (c[i].fd >= 0)
				continue;
			if (flush_open(&c[i], st->flush_socket, next, why,
				       sizeof(why)) < 0)
				goto fail;
			next++;
			active++;
		}
		if (flush_wait(c, k, pfd, why, sizeof(why)) < 0)
			goto fail;
		for (size_t i = 0; i < k; i++) {
			int r;

			if (c[i].fd < 0 || pfd[i].revents == 0)
				continue;
			if ((r = flush_step(&c[i], ids[c[i].idx], why,
					    sizeof(why))) < 0)
				goto fail;
			if (r == 0)
				continue;
			if (r == 2 && refused++ < 3)
				log_warn("flush %s: %s", ids[c[i].idx], why);
			close(c[i].fd); /* answered: no fallback for it */
			c[i].fd = -1;
			active--;
		}
	}
	*done = n;
	return 0;
fail:
	*done = flush_first_open(c, k, next);
	flush_close_all(c, k);
	snprintf(err, errlen, "flush socket %.200s: %s", st->flush_socket, why);
	return -1;
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
		st->queue_dir = strdup(res.out); /* postfix_qdir.c */
	}
	spawn_result_free(&res);
	return 0;
}
