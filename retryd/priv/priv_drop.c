/*
 * NAME
 *	priv_drop 3
 * SUMMARY
 *	fork the privileged helper, then drop the daemon to [retryd] user
 * SYNOPSIS
 *	#include "priv/priv.h"
 * DESCRIPTION
 *	priv_start() makes a SOCK_SEQPACKET socketpair and forks. The child
 *	(the helper) keeps root, closes every other descriptor but its end
 *	and stderr, asks to die with its parent (PR_SET_PDEATHSIG), ignores
 *	the daemon's stop and reload signals (the daemon forwards a reload
 *	as a request) and serves until EOF, then exits.
 *
 *	priv_drop() looks the user up, makes state_dir and what is in it
 *	(one level, and reports/) owned by user:group with dirs 0750 and
 *	files 0640 (the group may read: monitoring), sets umask 027, then
 *	setgroups/setgid/setuid and checks that root cannot be regained.
 *	Then PR_SET_NO_NEW_PRIVS and the seccomp filter of priv_seccomp.c
 *	(architecture checked first; execve and execveat fail with EPERM):
 *	the daemon runs no program (the helper runs the hooks and the MTA
 *	commands).
 * DIAGNOSTICS
 *	-1 with what failed; the daemon then exits before touching the store.
 * SECURITY
 *	Files the helper writes in state_dir (the plugin's log cursors) stay
 *	root's; the store's files are the user's.
 */
#include "priv/priv.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/log.h"

/* Close every descriptor above 2 except @param keep. */
static void priv_close_others(int keep)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int dfd = d ? dirfd(d) : -1;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		int fd = atoi(e->d_name);

		if (e->d_name[0] >= '0' && e->d_name[0] <= '9' && fd > 2 &&
		    fd != keep && fd != dfd)
			close(fd);
	}
	closedir(d);
}

int priv_start(struct priv_server *s, pid_t *pid, char *err, size_t errlen)
{
	int sv[2];
	sigset_t set;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		snprintf(err, errlen, "helper: socketpair: %s",
			 strerror(errno));
		return -1;
	}
	if ((*pid = fork()) < 0) {
		snprintf(err, errlen, "helper: fork: %s", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (*pid == 0) {
		close(sv[0]);
		priv_close_others(sv[1]);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() == 1)
			_exit(0); /* the daemon is already gone */
		sigemptyset(&set);
		sigaddset(&set, SIGHUP);
		sigaddset(&set, SIGTERM);
		sigaddset(&set, SIGINT);
		sigprocmask(SIG_BLOCK, &set, NULL);
		_exit(priv_serve(sv[1], s) < 0 ? 1 : 0);
	}
	close(sv[1]);
	return sv[0];
}

/* Give @param path to uid:gid with @param mode (no symlink followed). */
static int priv_own(int dirfd, const char *name, uid_t uid, gid_t gid,
		    char *err, size_t errlen)
{
	struct stat st;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		snprintf(err, errlen, "%.300s: %s", name, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
		return 0; /* sockets, symlinks: left alone */
	if (fchownat(dirfd, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0 ||
	    fchmodat(dirfd, name, S_ISDIR(st.st_mode) ? 0750 : 0640, 0) < 0) {
		snprintf(err, errlen, "%.300s: %s", name, strerror(errno));
		return -1;
	}
	return 0;
}

/* state_dir and its entries (and those of reports/) to uid:gid. */
static int priv_own_state(const char *dir, uid_t uid, gid_t gid, char *err,
			  size_t errlen)
{
	const char *sub[] = {".", "reports"};

	if (mkdir(dir, 0750) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "state_dir %.300s: %s", dir,
			 strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < 2; i++) {
		char path[LIMIT_PATH + 1];
		DIR *d;
		struct dirent *e;
		int rc = 0;

		snprintf(path, sizeof(path), "%s/%s", dir, sub[i]);
		if ((d = opendir(path)) == NULL) {
			if (errno == ENOENT && i > 0)
				continue;
			snprintf(err, errlen, "state_dir %.300s: %s", path,
				 strerror(errno));
			return -1;
		}
		while (rc == 0 && (e = readdir(d)) != NULL)
			if (strcmp(e->d_name, "..") != 0)
				rc = priv_own(dirfd(d), e->d_name, uid, gid,
					      err, errlen);
		closedir(d);
		if (rc < 0)
			return -1;
	}
	return 0;
}

int priv_drop(const char *user, const char *state_dir, char *err, size_t errlen)
{
	struct passwd *pw = getpwnam(user);
	uid_t uid;
	gid_t gid;

	if (pw == NULL) {
		snprintf(err, errlen,
			 "user %.40s: no such user (create it: useradd -r "
			 "-U -s /usr/sbin/nologin %.40s, or set [retryd] "
			 "user)",
			 user, user);
		return -1;
	}
	uid = pw->pw_uid;
	gid = pw->pw_gid;
	if (uid == 0) {
		snprintf(err, errlen, "user %.40s is root: refused", user);
		return -1;
	}
	if (priv_own_state(state_dir, uid, gid, err, errlen) < 0)
		return -1;
	umask(027);
	if (setgroups(1, &gid) < 0 || setresgid(gid, gid, gid) < 0 ||
	    setresuid(uid, uid, uid) < 0) {
		snprintf(err, errlen, "dropping to %.40s: %s", user,
			 strerror(errno));
		return -1;
	}
	if (setuid(0) == 0 || seteuid(0) == 0) {
		snprintf(err, errlen, "dropping to %.40s: root came back",
			 user);
		return -1;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		snprintf(err, errlen, "no_new_privs: %s", strerror(errno));
		return -1;
	}
	if (priv_seccomp_apply() < 0)
		log_warn("seccomp (no exec) not available: %s",
			 strerror(errno));
	return 0;
}
