/*
 * bench_mem - the parts of a Postfix queue that bench_mem.sh gives a real
 * retryd daemon when it measures memory with many held messages.
 *
 *	bench_mem seed STATE_DIR N [FIRST [CACHE_MB]]
 *		a real retryd store with N messages retryd holds (state
 *		held, one recipient, domain BENCH_MEM_DOMAIN, next attempt
 *		in 50 minutes: nothing due), ids bench_mem_id(FIRST..FIRST+N-1),
 *		written in transactions of 1,000 as the daemon writes them;
 *		a new environment gets a CACHE_MB Berkeley DB cache (0: the
 *		default), as the daemon's store_cache_mb would give it
 *	bench_mem postqueue N D HELD [ARGS...]
 *		a stand-in for "postqueue -j": N + D lines in Postfix 3.7's
 *		format (one recipient, a routing delay reason, ~360 bytes a
 *		message as the real one): the N seeded ids in queue "hold",
 *		then the D ids the maillog tells, "deferred" until
 *		postsuper held them (listed in the file HELD); other
 *		arguments (-c DIR -j) ignored
 *	bench_mem postsuper HELD [ARGS...]
 *		a stand-in for "postsuper -h -" / "-H -": every id read on
 *		stdin is reported on stderr as Postfix does ("postsuper: ID:
 *		placed on hold" / "released from hold"); held ids are added
 *		to the file HELD
 *	bench_mem maillog FIRST N
 *		N "status=deferred" lines of the Postfix log (one message
 *		each, ids from FIRST, sender line first) for the daemon's
 *		incremental discovery
 *
 * Nothing here measures: bench_mem.sh runs the daemon as it is deployed
 * (privilege separation) with these in PATH and reads its peak RSS.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/store.h"

#define BENCH_MEM_DOMAIN "windowslive.test"
#define BENCH_MEM_TXN	 1000
#define BENCH_MEM_REASON                                                       \
	"Host or domain name not found. Name service error for "               \
	"name=windowslive.test type=MX: Host not found, try again"

/* Short Postfix ids: 11 upper-case hex digits, unique per index. */
static void bench_mem_id(char *buf, size_t len, size_t i)
{
	snprintf(buf, len, "%05X%06zX", 0xB0E5Du + (unsigned)(i >> 24),
		 i & 0xFFFFFF);
}

static int seed(const char *dir, size_t n, size_t first, size_t cache_mb)
{
	struct store_message *m = store_message_new(1);
	struct store *st = NULL;
	struct store_txn *txn = NULL;
	int64_t now = time(NULL);
	char err[1024];

	if (m == NULL || store_open(dir, STORE_OPEN_DAEMON, cache_mb << 20, &st,
				    err, sizeof(err)) != STORE_OK) {
		fprintf(stderr, "bench_mem: seed: %s\n",
			m ? err : "out of memory");
		return 1;
	}
	for (size_t i = 0; i < n; i++) {
		if (i % BENCH_MEM_TXN == 0 &&
		    ((txn &&
		      store_txn_commit(txn, err, sizeof(err)) != STORE_OK) ||
		     store_txn_begin(st, &txn, err, sizeof(err)) != STORE_OK))
			goto fail;
		memset(m, 0, sizeof(*m) + sizeof(m->rcpts[0]));
		strcpy(m->mta, "postfix");
		bench_mem_id(m->queue_id, sizeof(m->queue_id), first + i);
		strcpy(m->sender, "list@lab.test");
		strcpy(m->domain, BENCH_MEM_DOMAIN);
		strcpy(m->group, "microsoft");
		m->state = STORE_MSG_HELD;
		m->arrival = m->first_failure = now - 600;
		m->adopted_at = now - 500;
		m->next_attempt = now + 3000;
		m->nrcpts = 1;
		snprintf(m->rcpts[0].address, sizeof(m->rcpts[0].address),
			 "u%zu@" BENCH_MEM_DOMAIN, first + i);
		m->rcpts[0].state = STORE_RCPT_PENDING;
		strcpy(m->rcpts[0].reason, BENCH_MEM_REASON);
		if (store_put_message(st, txn, m, err, sizeof(err)) != STORE_OK)
			goto fail;
	}
	if (txn && store_txn_commit(txn, err, sizeof(err)) != STORE_OK)
		goto fail;
	store_message_free(m);
	store_close(st);
	return 0;
fail:
	fprintf(stderr, "bench_mem: seed: %s\n", err);
	store_message_free(m);
	store_close(st);
	return 1;
}

/* The index bench_mem_id() made @param id of; (size_t)-1: not one. */
static size_t bench_mem_index(const char *id)
{
	char hi[6];

	if (strlen(id) != 11)
		return (size_t)-1;
	memcpy(hi, id, 5);
	hi[5] = '\0';
	return ((size_t)(strtoul(hi, NULL, 16) - 0xB0E5Du) << 24) |
	       strtoul(id + 5, NULL, 16);
}

static void postqueue_line(size_t i, int held, long long arrival)
{
	char id[32];

	bench_mem_id(id, sizeof(id), i);
	printf("{\"queue_name\": \"%s\", \"queue_id\": \"%s\", "
	       "\"arrival_time\": %lld, \"message_size\": 270, "
	       "\"forced_expire\": false, \"sender\": \"list@lab.test\", "
	       "\"recipients\": [{\"address\": \"u%zu@" BENCH_MEM_DOMAIN
	       "\", \"delay_reason\": \"" BENCH_MEM_REASON "\"}]}\n",
	       held ? "hold" : "deferred", id, arrival, i);
}

/* N held, then D deferred ones (held once postsuper held them). */
static int postqueue(size_t n, size_t d, const char *held)
{
	long long arrival = (long long)time(NULL) - 600;
	unsigned char *on = calloc(d + 1, 1);
	FILE *f = fopen(held, "r");
	char id[64];

	if (on == NULL)
		return 1;
	while (f && fgets(id, sizeof(id), f) != NULL) {
		size_t i;

		id[strcspn(id, "\n")] = '\0';
		if ((i = bench_mem_index(id)) >= n && i < n + d)
			on[i - n] = 1;
	}
	if (f)
		fclose(f);
	for (size_t i = 0; i < n + d; i++)
		postqueue_line(i, i < n || on[i - n], arrival);
	free(on);
	return fflush(stdout) != 0;
}

static int postsuper(const char *held, int argc, char **argv)
{
	const char *what = "placed on hold";
	char line[256];
	size_t n = 0;
	FILE *f;

	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "-H") == 0)
			what = "released from hold";
	if ((f = fopen(held, "a")) == NULL) {
		perror(held);
		return 1;
	}
	while (fgets(line, sizeof(line), stdin) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '\0')
			continue;
		fprintf(stderr, "postsuper: %s: %s\n", line, what);
		if (strcmp(what, "placed on hold") == 0)
			fprintf(f, "%s\n", line);
		n++;
	}
	if (fclose(f) != 0)
		return 1;
	fprintf(stderr, "postsuper: %s: %zu messages\n", what, n);
	return 0;
}

static int maillog(size_t first, size_t n)
{
	char stamp[64], id[32];
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%b %e %H:%M:%S", &tm);
	for (size_t i = first; i < first + n; i++) {
		bench_mem_id(id, sizeof(id), i);
		printf("%s lab postfix/qmgr[100]: %s: from=<list@lab.test>, "
		       "size=270, nrcpt=1 (queue active)\n",
		       stamp, id);
		printf(
		    "%s lab postfix/smtp[101]: %s: to=<u%zu@" BENCH_MEM_DOMAIN
		    ">, relay=none, delay=600, delays=600/0/0/0, "
		    "dsn=4.4.3, status=deferred (" BENCH_MEM_REASON ")\n",
		    stamp, id, i);
	}
	return fflush(stdout) != 0;
}

int main(int argc, char **argv)
{
	if (argc >= 4 && strcmp(argv[1], "seed") == 0)
		return seed(argv[2], strtoul(argv[3], NULL, 10),
			    argc > 4 ? strtoul(argv[4], NULL, 10) : 0,
			    argc > 5 ? strtoul(argv[5], NULL, 10) : 0);
	if (argc >= 5 && strcmp(argv[1], "postqueue") == 0)
		return postqueue(strtoul(argv[2], NULL, 10),
				 strtoul(argv[3], NULL, 10), argv[4]);
	if (argc >= 3 && strcmp(argv[1], "postsuper") == 0)
		return postsuper(argv[2], argc - 2, argv + 2);
	if (argc >= 4 && strcmp(argv[1], "maillog") == 0)
		return maillog(strtoul(argv[2], NULL, 10),
			       strtoul(argv[3], NULL, 10));
	fprintf(stderr, "usage: bench_mem seed DIR N [FIRST [CACHE_MB]] | "
			"postqueue N D HELD "
			"| postsuper HELD | maillog FIRST N\n");
	return 2;
}
