/*
 * NAME
 *	preflight 3
 * SUMMARY
 *	retryd -c FILE --preflight: will this policy work on this host?
 * DESCRIPTION
 *	After the policy itself loaded, checks what it points at, without
 *	changing anything (no store is opened, no state written):
 *	- the MTA plugin loads from plugin_dir and its listing command
 *	  (postqueue -j, exim -bp) runs and completes;
 *	- the MTA log is readable and advancing (preflight_log.c: the file,
 *	  or the journal with log_file = journal:);
 *	- state_dir is a writable directory (or its parent is, to create it)
 *	  with at least PREFLIGHT_MIN_FREE_MB free;
 *	- each hook's program exists and is executable;
 *	- each resolver ([resolvers] mta and independent) answers a query
 *	  for "localhost. A" over UDP, and over TCP when tcp = yes, within
 *	  timeout;
 *	- the canaries find no resolver on the path that lies or intercepts
 *	  (preflight_canary.c).
 *	Each problem is one "FILE:LINE: message" line naming the key that
 *	points there (the top file and line 0 when the key is a default).
 * DIAGNOSTICS
 *	Exit status: 0; 78 (EX_CONFIG) when a key points at something
 *	missing or of the wrong kind; else 69 (EX_UNAVAILABLE) when the
 *	environment cannot work (command fails, resolver silent, no room).
 */
#include "daemon/preflight_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "daemon/plugin_load.h"

void preflight_problem(struct preflight *pf, int config, const char *section,
		       const char *key, const char *fmt, ...)
{
	const char *file;
	int line = policy_key_where(pf->p, section, key, &file);
	va_list ap;

	fprintf(pf->err, "%s:%d: [%s] %s: ", file, line, section, key);
	va_start(ap, fmt);
	vfprintf(pf->err, fmt, ap);
	va_end(ap);
	fputc('\n', pf->err);
	if (config)
		pf->config++;
	else
		pf->unavailable++;
}

static void preflight_plugin(struct preflight *pf)
{
	const struct policy *p = pf->p;
	const char *sect = strcmp(p->mta, "exim") == 0 ? "exim" : "postfix";
	struct plugin_handle h;
	struct mta_listing l;
	struct policy *q;
	char err[1024] = "";

	/* A copy without state_dir: the plugin then keeps no log cursor, so
	 * nothing is written (and a state_dir not made yet is no error). */
	if ((q = malloc(sizeof(*q))) == NULL) {
		preflight_problem(pf, 0, "retryd", "plugin_dir",
				  "out of memory");
		return;
	}
	memcpy(q, p, sizeof(*q));
	q->state_dir = NULL;
	memset(&h, 0, sizeof(h));
	if (plugin_load(q, &h, err, sizeof(err)) < 0) {
		preflight_problem(pf, 1, "retryd", "plugin_dir", "%s", err);
		plugin_unload(&h);
		free(q);
		return;
	}
	memset(&l, 0, sizeof(l));
	err[0] = '\0'; /* plugin_load may leave text there on success */
	if (h.pl->scan(h.state, &l, err, sizeof(err)) < 0 || !l.complete) {
		preflight_problem(pf, 0, sect,
				  strcmp(sect, "exim") == 0 ? "binary"
							    : "config_dir",
				  "the MTA's queue listing failed: %s",
				  err[0] ? err : "incomplete listing");
	} else {
		fprintf(pf->out,
			"preflight: %s plugin: queue listed, %zu "
			"messages\n",
			p->mta, l.n);
		pf->listed = 1;
		for (size_t i = 0; i < l.n; i++)
			if (l.msgs[i].arrival > pf->newest_arrival)
				pf->newest_arrival = l.msgs[i].arrival;
	}
	h.pl->listing_free(&l);
	plugin_unload(&h);
	free(q);
}

static void preflight_state_dir(struct preflight *pf)
{
	const char *dir = pf->p->state_dir;
	char parent[4096];
	const char *check = dir;
	struct statvfs vfs;
	struct stat sb;

	if (stat(dir, &sb) != 0) {
		char *slash;

		snprintf(parent, sizeof(parent), "%s", dir);
		slash = strrchr(parent, '/');
		if (slash == parent)
			slash[1] = '\0';
		else if (slash)
			*slash = '\0';
		check = parent;
	} else if (!S_ISDIR(sb.st_mode)) {
		preflight_problem(pf, 1, "retryd", "state_dir",
				  "%s: not a directory", dir);
		return;
	}
	if (access(check, W_OK | X_OK) != 0) {
		preflight_problem(pf, 0, "retryd", "state_dir",
				  "%s: not writable: %s", check,
				  strerror(errno));
		return;
	}
	if (statvfs(check, &vfs) == 0 &&
	    (unsigned long long)vfs.f_bavail * vfs.f_frsize <
		(unsigned long long)PREFLIGHT_MIN_FREE_MB * 1024 * 1024) {
		preflight_problem(pf, 0, "retryd", "state_dir",
				  "%s: less than %d MB free", check,
				  PREFLIGHT_MIN_FREE_MB);
		return;
	}
	fprintf(pf->out, "preflight: state_dir %s writable%s\n", dir,
		check == dir ? "" : " (will be created)");
}

static void preflight_hook(struct preflight *pf, char **argv, const char *key)
{
	if (argv == NULL)
		return;
	if (access(argv[0], X_OK) != 0)
		preflight_problem(pf, 1, "hooks", key, "%s: not executable: %s",
				  argv[0], strerror(errno));
	else
		fprintf(pf->out, "preflight: %s hook %s executable\n", key,
			argv[0]);
}

/* "localhost. IN A": every resolver answers it from its own data. */
static const unsigned char preflight_query[] = {
    0x52, 0x44, 0x01, 0x00, 0,	 1,   0,   0,	0, 0, 0, 0, 9, 'l',
    'o',  'c',	'a',  'l',  'h', 'o', 's', 't', 0, 0, 1, 0, 1};

/* Wait for @param fd to be readable (or writable) within @param ms. */
static int preflight_wait(int fd, short ev, int ms)
{
	struct pollfd pfd = {fd, ev, 0};

	return poll(&pfd, 1, ms) == 1 && (pfd.revents & ev) ? 0 : -1;
}

static int preflight_reply_ok(const unsigned char *r, ssize_t n)
{
	return n >= 12 && r[0] == preflight_query[0] &&
	       r[1] == preflight_query[1] && (r[2] & 0x80);
}

/* @return NULL when the resolver answered over @param tcp, else why. */
static const char *preflight_ask(const struct policy_resolver *r, int tcp,
				 int ms)
{
	struct sockaddr_storage ss;
	socklen_t len;
	unsigned char buf[2 + sizeof(preflight_query)], reply[512];
	ssize_t n;
	int fd;
	const char *why = NULL;

	memset(&ss, 0, sizeof(ss));
	if (r->family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, r->addr, 16);
		s6->sin6_port = htons(r->port);
		len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, r->addr, 4);
		s4->sin_port = htons(r->port);
		len = sizeof(*s4);
	}
	fd = socket(
	    r->family,
	    (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return strerror(errno);
	if (connect(fd, (struct sockaddr *)&ss, len) < 0 &&
	    errno != EINPROGRESS) {
		why = strerror(errno);
	} else if (tcp && preflight_wait(fd, POLLOUT, ms) < 0) {
		why = "no TCP connection";
	} else {
		buf[0] = 0;
		buf[1] = sizeof(preflight_query);
		memcpy(buf + 2, preflight_query, sizeof(preflight_query));
		if (send(fd, tcp ? buf : buf + 2,
			 sizeof(preflight_query) + (tcp ? 2 : 0),
			 MSG_NOSIGNAL) < 0)
			why = strerror(errno);
		else if (preflight_wait(fd, POLLIN, ms) < 0)
			why = "no answer";
		else if ((n = recv(fd, reply, sizeof(reply), 0)) < 0)
			why = strerror(errno);
		else if (!preflight_reply_ok(tcp ? reply + 2 : reply,
					     tcp ? n - 2 : n))
			why = "not a DNS answer";
	}
	close(fd);
	return why;
}

static void preflight_resolvers(struct preflight *pf, const char *key,
				const struct policy_resolver_list *l)
{
	int ms = (int)pf->p->timeout_ms;

	for (size_t i = 0; i < l->n; i++) {
		for (int tcp = 0; tcp <= (pf->p->tcp ? 1 : 0); tcp++) {
			const char *why = preflight_ask(&l->items[i], tcp, ms);

			if (why)
				preflight_problem(
				    pf, 0, "resolvers", key, "%s over %s: %s",
				    l->items[i].text, tcp ? "TCP" : "UDP", why);
			else
				fprintf(pf->out,
					"preflight: resolver %s (%s) answers "
					"over %s\n",
					l->items[i].text, key,
					tcp ? "TCP" : "UDP");
		}
	}
}

int preflight_run(const struct policy *p, FILE *out_fp, FILE *err_fp)
{
	struct preflight pf = {p, out_fp, err_fp, 0, 0, 0, 0};

	preflight_plugin(&pf);
	preflight_log(&pf);
	preflight_state_dir(&pf);
	preflight_hook(&pf, p->hook_flush_resolver, "flush_resolver");
	preflight_hook(&pf, p->hook_escalate, "escalate");
	preflight_resolvers(&pf, "mta", &p->resolvers_mta);
	preflight_resolvers(&pf, "independent", &p->resolvers_independent);
	preflight_canaries(&pf);
	if (pf.config)
		return POLICY_EX_CONFIG;
	if (pf.unavailable)
		return PREFLIGHT_EX_UNAVAILABLE;
	fprintf(out_fp, "preflight: ok\n");
	return 0;
}
