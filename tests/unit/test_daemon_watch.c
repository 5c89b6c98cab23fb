/*
 * test_daemon_watch - the SIGTERM bound of the daemon's watchdog (issue
 * #10, part 3): a daemon whose main loop is stuck (here: never reads its
 * signals, as one blocked in the store would) still exits after a
 * SIGTERM, with DAEMON_WATCH_EX_STUCK, once the grace has passed (the
 * test shortens the 60 s grace through the struct); a daemon that stops
 * by itself in time exits with its own status. Each case runs in a
 * forked child; the parent's wait is bounded (a hang fails the test).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "daemon/daemon_watch.h"
#include "util/log.h"

#define GRACE_MS 300

/* The child: the watchdog on a signalfd; @param stuck: never read the
 * forwarded signals (a main loop blocked elsewhere). */
static void child(int stuck)
{
	struct daemon_watch w;
	sigset_t set;
	char err[256];
	int sfd;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if ((sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK)) < 0 ||
	    daemon_watch_start(&w, sfd, NULL, err, sizeof(err)) < 0)
		_exit(2);
	atomic_store(&w.stop_grace, GRACE_MS);
	if (write(1, "r", 1) != 1)
		_exit(2);
	for (;;) {
		struct timespec nap = {0, 20 * 1000000L};

		nanosleep(&nap, NULL);
		if (!stuck && daemon_watch_signal(&w) == SIGTERM) {
			daemon_watch_stop(&w);
			_exit(0);
		}
	}
}

/* Fork the child, wait until it runs, SIGTERM it, @return its status. */
static int run(int stuck)
{
	int pp[2], st = -1;
	char c;
	pid_t pid;

	assert_int_equal(pipe(pp), 0);
	if ((pid = fork()) == 0) {
		close(pp[0]);
		dup2(pp[1], 1);
		child(stuck);
	}
	close(pp[1]);
	assert_int_equal(read(pp[0], &c, 1), 1);
	close(pp[0]);
	kill(pid, SIGTERM);
	for (int i = 0; i < 2000; i++) { /* at most 20 s */
		if (waitpid(pid, &st, WNOHANG) == pid)
			return st;
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	fail_msg("the child did not exit after SIGTERM");
	return -1;
}

static void test_stuck_loop_exits_after_grace(void **state)
{
	int st;

	(void)state;
	st = run(1);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), DAEMON_WATCH_EX_STUCK);
}

static void test_loop_that_stops_exits_itself(void **state)
{
	int st;

	(void)state;
	st = run(0);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_stuck_loop_exits_after_grace),
	    cmocka_unit_test(test_loop_that_stops_exits_itself),
	};

	log_open("test_daemon_watch", LOG_DEST_STDERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
