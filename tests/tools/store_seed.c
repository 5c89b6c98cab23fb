/*
 * NAME
 *	store_seed 1
 * SUMMARY
 *	test tool: write records into a real retryd store from stdin
 * SYNOPSIS
 *	store_seed STATE_DIR < records
 * DESCRIPTION
 *	Opens (creating it when missing) the Berkeley DB store in STATE_DIR
 *	as the daemon would, writes one record per input line and closes
 *	it, so command-line tests can run retryctl against a real store.
 *	Blank lines and lines starting with '#' are skipped. Each line is a
 *	kind followed by KEY=VALUE words:
 *
 *	message id=ID [mta=postfix] [sender=A] [domain=D] [group=G]
 *		[state=held] [arrival=T] [first_failure=T] [adopted_at=T]
 *		[next_attempt=T] [last_attempt=T] [attempts=N] [verdict=V]
 *		[reason=TEXT] rcpt=ADDR [rstate=pending] [rdsn=X]
 *		[rreason=TEXT] [rcpt=ADDR ...]
 *	evidence address=ADDR time=T [id=ID] [host=H] [verdict=V]
 *		[outcome=none|delivered|deferred|bounced] [dsn=X] [text=TEXT]
 *		[category=C] [dns=TEXT]
 *	suppressed address=ADDR time=T [reason=TEXT] [evidence=TEXT]
 *	domain domain=D [last_verified=T] [verdict=V] [first_failing=T]
 *		[last_healthy=T] [last_mx=H] [last_escalated=T]
 *
 *	rstate, rdsn and rreason apply to the rcpt before them. A message's
 *	domain defaults to its first recipient's. Message states: adopt-intent,
 *	held, release-intent, attempting, giveback-intent, done; recipient
 *	states: pending, delivered, bounced, suppressed, given-back.
 *	A time T is seconds since the epoch, "now", or now+DUR / now-DUR
 *	with DUR like 90, 4m, 2h5m, 3d. A VALUE is a word or "a quoted
 *	text" (no '"' inside); %XX in either stands for the byte 0xXX.
 *	A value longer than its field is an error, never cut.
 * DIAGNOSTICS
 *	"store_seed: stdin:LINE: message" and exit 1; exit 2 on bad usage.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/store.h"

#define SEED_LINE 16384

struct seed {
	struct store *st;
	int64_t now;
	unsigned line;
	char err[1024];
};

static int seed_fail(struct seed *s, const char *what, const char *detail)
{
	fprintf(stderr, "store_seed: stdin:%u: %s%s%s\n", s->line, what,
		detail ? ": " : "", detail ? detail : "");
	return -1;
}

/* "90", "4m", "2h5m", "3d" -> seconds. */
static int seed_duration(const char *p, int64_t *out)
{
	int64_t total = 0;

	if (*p == 0)
		return -1;
	while (*p) {
		char *end;
		long long n;
		int64_t unit = 1;

		errno = 0;
		if (!isdigit((unsigned char)*p))
			return -1;
		n = strtoll(p, &end, 10);
		if (errno || end == p)
			return -1;
		switch (*end) {
		case 's':
			unit = 1;
			end++;
			break;
		case 'm':
			unit = 60;
			end++;
			break;
		case 'h':
			unit = 3600;
			end++;
			break;
		case 'd':
			unit = 86400;
			end++;
			break;
		case 0:
			break;
		default:
			return -1;
		}
		total += (int64_t)n * unit;
		p = end;
	}
	*out = total;
	return 0;
}

static int seed_time(struct seed *s, const char *v, int64_t *out)
{
	int64_t d;
	char *end;

	if (strcmp(v, "now") == 0) {
		*out = s->now;
		return 0;
	}
	if (strncmp(v, "now+", 4) == 0 || strncmp(v, "now-", 4) == 0) {
		if (seed_duration(v + 4, &d) < 0)
			return seed_fail(s, "bad duration", v);
		*out = v[3] == '+' ? s->now + d : s->now - d;
		return 0;
	}
	errno = 0;
	*out = strtoll(v, &end, 10);
	if (errno || end == v || *end)
		return seed_fail(s, "bad time", v);
	return 0;
}

static int seed_uint(struct seed *s, const char *v, uint32_t *out)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(v, &end, 10);
	if (errno || end == v || *end || n > UINT32_MAX || v[0] == '-')
		return seed_fail(s, "bad number", v);
	*out = (uint32_t)n;
	return 0;
}

/* Copy @param v into a field of @param size bytes, refusing to cut. */
static int seed_copy(struct seed *s, char *dst, size_t size, const char *key,
		     const char *v)
{
	if (strlen(v) >= size)
		return seed_fail(s, "value too long for", key);
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}
#define SEED_COPY(s, field, key, v) seed_copy(s, field, sizeof(field), key, v)

/* Decode %XX in place. NUL may not be written. */
static int seed_unescape(char *v)
{
	char *w = v;

	for (char *r = v; *r; r++) {
		if (*r == '%' && isxdigit((unsigned char)r[1]) &&
		    isxdigit((unsigned char)r[2])) {
			char hex[3] = {r[1], r[2], 0};
			long b = strtol(hex, NULL, 16);

			if (b == 0)
				return -1;
			*w++ = (char)b;
			r += 2;
		} else {
			*w++ = *r;
		}
	}
	*w = 0;
	return 0;
}

/*
 * The next KEY=VALUE word of *@param pos: NUL-terminates both in the
 * line. @return 1 with *key and *val, 0 at the end, -1 on a syntax error.
 */
static int seed_next(struct seed *s, char **pos, char **key, char **val)
{
	char *p = *pos, *eq;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == 0)
		return 0;
	*key = p;
	if ((eq = strchr(p, '=')) == NULL)
		return seed_fail(s, "expected KEY=VALUE", p);
	*eq = 0;
	p = eq + 1;
	if (*p == '"') {
		char *close = strchr(p + 1, '"');

		if (close == NULL)
			return seed_fail(s, "unterminated quote", *key);
		*val = p + 1;
		*close = 0;
		p = close + 1;
	} else {
		*val = p;
		p += strcspn(p, " \t");
		if (*p)
			*p++ = 0;
	}
	if (seed_unescape(*val) < 0)
		return seed_fail(s, "%00 is not allowed", *key);
	*pos = p;
	return 1;
}

static int seed_msg_state(const char *v, enum store_msg_state *out)
{
	for (int i = STORE_MSG_ADOPT_INTENT; i <= STORE_MSG_DONE; i++)
		if (strcmp(v, store_msg_state_name((enum store_msg_state)i)) ==
		    0) {
			*out = (enum store_msg_state)i;
			return 0;
		}
	return -1;
}

static int seed_rcpt_state(const char *v, enum store_rcpt_state *out)
{
	for (int i = STORE_RCPT_PENDING; i <= STORE_RCPT_GIVEN_BACK; i++)
		if (strcmp(v, store_rcpt_state_name(
				  (enum store_rcpt_state)i)) == 0) {
			*out = (enum store_rcpt_state)i;
			return 0;
		}
	return -1;
}

static int seed_message(struct seed *s, char *pos)
{
	struct store_message *m = store_message_new(LIMIT_RCPTS_PER_MESSAGE);
	struct store_rcpt *r = NULL;
	char *k, *v;
	int got, rc = -1;

	if (m == NULL)
		return seed_fail(s, "out of memory", NULL);
	m->nrcpts = 0; /* room for the limit; counted as rcpt= come */
	snprintf(m->mta, sizeof(m->mta), "postfix");
	m->state = STORE_MSG_HELD;
	while ((got = seed_next(s, &pos, &k, &v)) == 1) {
		int bad = 0;

		if (strcmp(k, "id") == 0)
			bad = SEED_COPY(s, m->queue_id, k, v);
		else if (strcmp(k, "mta") == 0)
			bad = SEED_COPY(s, m->mta, k, v);
		else if (strcmp(k, "sender") == 0)
			bad = SEED_COPY(s, m->sender, k, v);
		else if (strcmp(k, "domain") == 0)
			bad = SEED_COPY(s, m->domain, k, v);
		else if (strcmp(k, "group") == 0)
			bad = SEED_COPY(s, m->group, k, v);
		else if (strcmp(k, "verdict") == 0)
			bad = SEED_COPY(s, m->last_verdict, k, v);
		else if (strcmp(k, "reason") == 0)
			bad = SEED_COPY(s, m->last_reason, k, v);
		else if (strcmp(k, "state") == 0)
			bad = seed_msg_state(v, &m->state) < 0
				  ? seed_fail(s, "bad message state", v)
				  : 0;
		else if (strcmp(k, "arrival") == 0)
			bad = seed_time(s, v, &m->arrival);
		else if (strcmp(k, "first_failure") == 0)
			bad = seed_time(s, v, &m->first_failure);
		else if (strcmp(k, "adopted_at") == 0)
			bad = seed_time(s, v, &m->adopted_at);
		else if (strcmp(k, "next_attempt") == 0)
			bad = seed_time(s, v, &m->next_attempt);
		else if (strcmp(k, "last_attempt") == 0)
			bad = seed_time(s, v, &m->last_attempt);
		else if (strcmp(k, "attempts") == 0)
			bad = seed_uint(s, v, &m->attempts);
		else if (strcmp(k, "rcpt") == 0) {
			if (m->nrcpts == LIMIT_RCPTS_PER_MESSAGE) {
				bad = seed_fail(s, "too many rcpt", NULL);
			} else {
				r = &m->rcpts[m->nrcpts++];
				r->state = STORE_RCPT_PENDING;
				bad = SEED_COPY(s, r->address, k, v);
			}
		} else if (r == NULL && k[0] == 'r' &&
			   (strcmp(k, "rstate") == 0 ||
			    strcmp(k, "rdsn") == 0 ||
			    strcmp(k, "rreason") == 0))
			bad = seed_fail(s, "no rcpt before", k);
		else if (strcmp(k, "rstate") == 0)
			bad = seed_rcpt_state(v, &r->state) < 0
				  ? seed_fail(s, "bad recipient state", v)
				  : 0;
		else if (strcmp(k, "rdsn") == 0)
			bad = SEED_COPY(s, r->dsn, k, v);
		else if (strcmp(k, "rreason") == 0)
			bad = SEED_COPY(s, r->reason, k, v);
		else
			bad = seed_fail(s, "unknown message key", k);
		if (bad)
			goto out;
	}
	if (got < 0)
		goto out;
	if (m->queue_id[0] == 0 || m->nrcpts == 0) {
		seed_fail(s,
			  "a message needs id= and at least one rcpt=", NULL);
		goto out;
	}
	if (m->domain[0] == 0) {
		const char *at = strrchr(m->rcpts[0].address, '@');

		snprintf(m->domain, sizeof(m->domain), "%s", at ? at + 1 : "");
	}
	if (store_put_message(s->st, NULL, m, s->err, sizeof(s->err)) !=
	    STORE_OK) {
		seed_fail(s, "store", s->err);
		goto out;
	}
	rc = 0;
out:
	store_message_free(m);
	return rc;
}

static int seed_evidence(struct seed *s, char *pos)
{
	struct store_evidence ev;
	char *k, *v;
	int got;

	memset(&ev, 0, sizeof(ev));
	while ((got = seed_next(s, &pos, &k, &v)) == 1) {
		int bad = 0;

		if (strcmp(k, "address") == 0)
			bad = SEED_COPY(s, ev.address, k, v);
		else if (strcmp(k, "time") == 0)
			bad = seed_time(s, v, &ev.time);
		else if (strcmp(k, "id") == 0)
			bad = SEED_COPY(s, ev.queue_id, k, v);
		else if (strcmp(k, "host") == 0)
			bad = SEED_COPY(s, ev.host_id, k, v);
		else if (strcmp(k, "verdict") == 0)
			bad = SEED_COPY(s, ev.verdict, k, v);
		else if (strcmp(k, "dsn") == 0)
			bad = SEED_COPY(s, ev.dsn, k, v);
		else if (strcmp(k, "text") == 0)
			bad = SEED_COPY(s, ev.text, k, v);
		else if (strcmp(k, "category") == 0)
			bad = SEED_COPY(s, ev.category, k, v);
		else if (strcmp(k, "dns") == 0)
			bad = SEED_COPY(s, ev.dns, k, v);
		else if (strcmp(k, "outcome") == 0) {
			int o;

			for (o = STORE_OUTCOME_NONE; o <= STORE_OUTCOME_BOUNCED;
			     o++)
				if (strcmp(v, store_outcome_name(
						  (enum store_outcome)o)) == 0)
					break;
			if (o > STORE_OUTCOME_BOUNCED)
				bad = seed_fail(s, "bad outcome", v);
			else
				ev.outcome = (enum store_outcome)o;
		} else
			bad = seed_fail(s, "unknown evidence key", k);
		if (bad)
			return -1;
	}
	if (got < 0)
		return -1;
	if (ev.address[0] == 0 || ev.time == 0)
		return seed_fail(s, "evidence needs address= and time=", NULL);
	if (store_add_evidence(s->st, NULL, &ev, s->err, sizeof(s->err)) !=
	    STORE_OK)
		return seed_fail(s, "store", s->err);
	return 0;
}

static int seed_suppressed(struct seed *s, char *pos)
{
	struct store_suppressed sup;
	char *k, *v;
	int got;

	memset(&sup, 0, sizeof(sup));
	while ((got = seed_next(s, &pos, &k, &v)) == 1) {
		int bad = 0;

		if (strcmp(k, "address") == 0)
			bad = SEED_COPY(s, sup.address, k, v);
		else if (strcmp(k, "time") == 0)
			bad = seed_time(s, v, &sup.time);
		else if (strcmp(k, "reason") == 0)
			bad = SEED_COPY(s, sup.reason, k, v);
		else if (strcmp(k, "evidence") == 0)
			bad = SEED_COPY(s, sup.evidence, k, v);
		else
			bad = seed_fail(s, "unknown suppressed key", k);
		if (bad)
			return -1;
	}
	if (got < 0)
		return -1;
	if (sup.address[0] == 0 || sup.time == 0)
		return seed_fail(s,
				 "suppressed needs address= and time=", NULL);
	if (store_put_suppressed(s->st, NULL, &sup, s->err, sizeof(s->err)) !=
	    STORE_OK)
		return seed_fail(s, "store", s->err);
	return 0;
}

static int seed_domain(struct seed *s, char *pos)
{
	struct store_domain d;
	char *k, *v;
	int got;

	memset(&d, 0, sizeof(d));
	while ((got = seed_next(s, &pos, &k, &v)) == 1) {
		int bad = 0;

		if (strcmp(k, "domain") == 0)
			bad = SEED_COPY(s, d.domain, k, v);
		else if (strcmp(k, "verdict") == 0)
			bad = SEED_COPY(s, d.verdict, k, v);
		else if (strcmp(k, "last_mx") == 0)
			bad = SEED_COPY(s, d.last_mx, k, v);
		else if (strcmp(k, "last_verified") == 0)
			bad = seed_time(s, v, &d.last_verified);
		else if (strcmp(k, "first_failing") == 0)
			bad = seed_time(s, v, &d.first_failing);
		else if (strcmp(k, "last_healthy") == 0)
			bad = seed_time(s, v, &d.last_healthy);
		else if (strcmp(k, "last_escalated") == 0)
			bad = seed_time(s, v, &d.last_escalated);
		else
			bad = seed_fail(s, "unknown domain key", k);
		if (bad)
			return -1;
	}
	if (got < 0)
		return -1;
	if (d.domain[0] == 0)
		return seed_fail(s, "domain needs domain=", NULL);
	if (store_put_domain(s->st, NULL, &d, s->err, sizeof(s->err)) !=
	    STORE_OK)
		return seed_fail(s, "store", s->err);
	return 0;
}

int main(int argc, char **argv)
{
	struct seed s = {0};
	char *line;
	int rc = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: store_seed STATE_DIR < records\n");
		return 2;
	}
	if ((line = malloc(SEED_LINE)) == NULL)
		return 1;
	s.now = (int64_t)time(NULL);
	if (store_open(argv[1], STORE_OPEN_DAEMON, 0, &s.st, s.err,
		       sizeof(s.err)) != STORE_OK) {
		fprintf(stderr, "store_seed: %s\n", s.err);
		free(line);
		return 1;
	}
	while (rc == 0 && fgets(line, SEED_LINE, stdin) != NULL) {
		size_t n = strlen(line);
		char *p, *kind;

		s.line++;
		if (n && line[n - 1] == '\n')
			line[--n] = 0;
		else if (!feof(stdin)) {
			rc = seed_fail(&s, "line too long", NULL);
			break;
		}
		p = line + strspn(line, " \t");
		if (*p == 0 || *p == '#')
			continue;
		kind = p;
		p += strcspn(p, " \t");
		if (*p)
			*p++ = 0;
		if (strcmp(kind, "message") == 0)
			rc = seed_message(&s, p);
		else if (strcmp(kind, "evidence") == 0)
			rc = seed_evidence(&s, p);
		else if (strcmp(kind, "suppressed") == 0)
			rc = seed_suppressed(&s, p);
		else if (strcmp(kind, "domain") == 0)
			rc = seed_domain(&s, p);
		else
			rc = seed_fail(&s, "unknown record kind", kind);
	}
	store_close(s.st);
	free(line);
	return rc == 0 ? 0 : 1;
}
