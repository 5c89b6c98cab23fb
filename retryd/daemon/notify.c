/*
 * NAME
 *	notify 3
 * SUMMARY
 *	the systemd notification protocol, one datagram at a time
 * DESCRIPTION
 *	Type=notify services tell systemd they are ready (READY=1), alive
 *	(WATCHDOG=1, at least every WatchdogSec) and stopping (STOPPING=1)
 *	with a datagram to the AF_UNIX socket named by $NOTIFY_SOCKET (a
 *	path, or "@name" for the abstract namespace). No libsystemd.
 * DIAGNOSTICS
 *	-1 with errno; the caller logs once.
 */
#include "daemon/notify.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int notify_send(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa;
	socklen_t len;
	size_t n;
	int fd, rc;

	if (path == NULL || path[0] == '\0')
		return 0;
	n = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || n >= sizeof(sa.sun_path)) {
		errno = EINVAL;
		return -1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, n);
	if (path[0] == '@')
		sa.sun_path[0] = '\0';
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	rc = sendto(fd, state, strlen(state), MSG_NOSIGNAL,
		    (struct sockaddr *)&sa, len) < 0
		 ? -1
		 : 0;
	close(fd);
	return rc;
}

int64_t notify_watchdog_ms(void)
{
	const char *usec = getenv("WATCHDOG_USEC");
	const char *pid = getenv("WATCHDOG_PID");
	char *end;
	long long v;

	if (usec == NULL)
		return 0;
	if (pid != NULL && strtol(pid, NULL, 10) != (long)getpid())
		return 0;
	v = strtoll(usec, &end, 10);
	if (*end != '\0' || v <= 0)
		return 0;
	return v / 2000; /* half the period, in ms */
}
