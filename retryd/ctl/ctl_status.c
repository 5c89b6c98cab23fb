/*
 * NAME
 *	ctl_status 3
 * SUMMARY
 *	retryctl status [--json]: is retryd well, in one look (Nagios style)
 * DESCRIPTION
 *	Whether the daemon runs (the pid holding state_dir/retryd.lock, or
 *	else the pid of state_dir/retryd.status when /proc says it is a
 *	retryd), its mode, the last pass (time, duration, result) from
 *	retryd.status, the live messages by state and by group and verdict,
 *	the oldest failure among them, suppressed addresses, in a fleet the
 *	outbox (records waiting for the [fleet] database, JSON "outbox",
 *	null otherwise), hook failures since the daemon started, the store's size and the free space of its
 *	file system. The first line is a plugin line ("RETRYD OK - ...").
 *
 *	Exit status, as Nagios plugins: 0 OK; 1 WARNING (hook failures,
 *	less than CTL_STATUS_FREE_WARN % free); 2 CRITICAL
 *	(no daemon, no pass for 3 scan intervals + 60 s, the last pass
 *	could not read the store, less than CTL_STATUS_FREE_CRIT % free).
 * DIAGNOSTICS
 *	A store that cannot be joined is CRITICAL, with the reason.
 */
#include "ctl/ctl.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <jansson.h>

#include "ctl/ctl_table.h"
#include "status/status.h"

#define CTL_STATUS_FREE_WARN 10 /* % free on the store's file system */
#define CTL_STATUS_FREE_CRIT 2
#define CTL_STATUS_LINE	     256 /* bytes of a retryd.status line */

struct ctl_status {
	long pid;      /* running daemon, 0: none */
	char mode[16]; /* from the status file, "" unknown */
	int64_t last_pass;
	double duration;
	char result[32];
	unsigned long long hook_failures;
	unsigned long long store_bytes;
	unsigned long long free_bytes;
	double free_pct;
	int census_ok;
	char census_err[256];
	struct status_census census;
};

/* The pid holding an fcntl lock on state_dir/retryd.lock, or 0. */
static long ctl_status_lock_pid(const char *dir)
{
	char path[4200];
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
	int fd;

	snprintf(path, sizeof(path), "%s/retryd.lock", dir);
	if ((fd = open(path, O_RDWR | O_CLOEXEC)) < 0 &&
	    (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	fl.l_type = F_RDLCK;
	if (fcntl(fd, F_GETLK, &fl) < 0 || fl.l_type == F_UNLCK)
		fl.l_pid = 0;
	close(fd);
	return fl.l_pid;
}

static int ctl_status_is_retryd(long pid)
{
	char path[64], comm[32] = "";
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
	if ((fp = fopen(path, "r")) == NULL)
		return 0;
	if (fgets(comm, sizeof(comm), fp) == NULL)
		comm[0] = '\0';
	fclose(fp);
	return strncmp(comm, "retryd", 6) == 0;
}

static void ctl_status_file(const char *dir, struct ctl_status *s)
{
	char path[4200], line[CTL_STATUS_LINE], key[32], val[64];
	long pid = 0;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/retryd.status", dir);
	if ((fp = fopen(path, "r")) == NULL)
		return;
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (sscanf(line, "%31s %63s", key, val) != 2)
			continue;
		if (strcmp(key, "pid") == 0)
			pid = strtol(val, NULL, 10);
		else if (strcmp(key, "mode") == 0)
			snprintf(s->mode, sizeof(s->mode), "%.15s", val);
		else if (strcmp(key, "last_pass") == 0)
			s->last_pass = strtoll(val, NULL, 10);
		else if (strcmp(key, "duration") == 0)
			s->duration = strtod(val, NULL);
		else if (strcmp(key, "result") == 0)
			snprintf(s->result, sizeof(s->result), "%.31s", val);
		else if (strcmp(key, "hook_failures") == 0)
			s->hook_failures = strtoull(val, NULL, 10);
	}
	fclose(fp);
	if (s->pid == 0 && pid > 0 && ctl_status_is_retryd(pid))
		s->pid = pid;
}

static void ctl_status_disk(const char *dir, struct ctl_status *s)
{
	char path[4200];
	struct statvfs vfs;
	struct dirent *e;
	struct stat sb;
	DIR *d;

	if (statvfs(dir, &vfs) == 0 && vfs.f_blocks > 0) {
		s->free_bytes = (unsigned long long)vfs.f_bavail * vfs.f_frsize;
		s->free_pct =
		    100.0 * (double)vfs.f_bavail / (double)vfs.f_blocks;
	}
	if ((d = opendir(dir)) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (lstat(path, &sb) == 0 && S_ISREG(sb.st_mode))
			s->store_bytes += (unsigned long long)sb.st_size;
	}
	closedir(d);
}

/* @return 0, 1 or 2 and the reason in @param why. */
static int ctl_status_level(const struct ctl_context *ctx,
			    const struct ctl_status *s, char *why, size_t len)
{
	int64_t stale = 3 * ctx->policy->scan_interval + 60;

	if (s->pid == 0)
		return snprintf(why, len, "retryd is not running"), 2;
	if (!s->census_ok)
		return snprintf(why, len, "store: %s", s->census_err), 2;
	if (s->last_pass == 0 || ctx->now - s->last_pass > stale)
		return snprintf(why, len, "no pass for over %llds",
				(long long)stale),
		       2;
	if (strcmp(s->result, "ok") != 0)
		return snprintf(why, len, "last pass: %s", s->result), 2;
	if (s->free_pct > 0 && s->free_pct < CTL_STATUS_FREE_CRIT)
		return snprintf(why, len, "%.1f%% free", s->free_pct), 2;
	if (s->free_pct > 0 && s->free_pct < CTL_STATUS_FREE_WARN)
		return snprintf(why, len, "%.1f%% free", s->free_pct), 1;
	if (s->hook_failures > 0)
		return snprintf(why, len, "%llu hook failures",
				s->hook_failures),
		       1;
	return snprintf(why, len, "running"), 0;
}

static const char *const ctl_status_levels[] = {"OK", "WARNING", "CRITICAL"};
static const char *const ctl_status_states[STATUS_STATE_SLOTS] = {
    NULL,	  "adopt_intent",    "held", "release_intent",
    "attempting", "giveback_intent", NULL,   NULL,
};

/* The fleet outbox (null without a [fleet] database). */
static json_t *ctl_status_outbox_json(const struct status_census *c)
{
	json_t *o;

	if (!c->fleet)
		return json_null();
	o = json_object();
	json_object_set_new(o, "evidence",
			    json_integer((json_int_t)c->outbox_evidence));
	json_object_set_new(o, "verifications",
			    json_integer((json_int_t)c->outbox_verifications));
	json_object_set_new(o, "dropped",
			    json_integer((json_int_t)c->outbox_dropped));
	return o;
}

static int ctl_status_json(const struct ctl_context *ctx,
			   const struct ctl_status *s, int level,
			   const char *why)
{
	const struct status_census *c = &s->census;
	json_t *o = json_object(), *st = json_object(), *g = json_array();
	int rc;

	json_object_set_new(o, "status", json_string(ctl_status_levels[level]));
	json_object_set_new(o, "reason", ctl_json_string(why));
	json_object_set_new(o, "running", json_boolean(s->pid != 0));
	json_object_set_new(o, "pid",
			    s->pid ? json_integer(s->pid) : json_null());
	json_object_set_new(
	    o, "mode",
	    ctl_json_string(s->mode[0]
				? s->mode
				: (ctx->policy->observe ? "observe" : "act")));
	json_object_set_new(o, "last_pass", ctl_json_time(s->last_pass));
	json_object_set_new(o, "last_pass_age",
			    s->last_pass ? json_integer(ctx->now - s->last_pass)
					 : json_null());
	json_object_set_new(o, "last_pass_duration", json_real(s->duration));
	json_object_set_new(o, "last_pass_result",
			    ctl_json_string(s->result[0] ? s->result : "none"));
	json_object_set_new(o, "held", json_integer((json_int_t)c->live));
	for (size_t i = 0; i < STATUS_STATE_SLOTS; i++)
		if (ctl_status_states[i])
			json_object_set_new(
			    st, ctl_status_states[i],
			    json_integer((json_int_t)c->by_state[i]));
	json_object_set_new(o, "by_state", st);
	for (size_t i = 0; i < c->nbuckets; i++) {
		json_t *b = json_object();

		json_object_set_new(b, "group",
				    ctl_json_string(c->buckets[i].group));
		json_object_set_new(b, "verdict",
				    ctl_json_string(c->buckets[i].verdict));
		json_object_set_new(b, "messages",
				    json_integer((json_int_t)c->buckets[i].n));
		json_array_append_new(g, b);
	}
	json_object_set_new(o, "by_group_verdict", g);
	json_object_set_new(o, "oldest_held_age",
			    c->oldest_failure
				? json_integer(ctx->now - c->oldest_failure)
				: json_null());
	json_object_set_new(o, "suppressed",
			    json_integer((json_int_t)c->suppressed));
	json_object_set_new(o, "outbox", ctl_status_outbox_json(c));
	json_object_set_new(o, "hook_failures",
			    json_integer((json_int_t)s->hook_failures));
	json_object_set_new(o, "store_bytes",
			    json_integer((json_int_t)s->store_bytes));
	json_object_set_new(o, "free_bytes",
			    json_integer((json_int_t)s->free_bytes));
	json_object_set_new(o, "free_percent", json_real(s->free_pct));
	{
		json_t *sn = json_object(), *rows = json_array();

		json_object_set_new(sn, "last_run",
				    ctl_json_time(c->sentinel_last_run));
		json_object_set_new(
		    sn, "domains",
		    json_integer((json_int_t)c->sentinel_domains));
		for (size_t i = 0; i < c->nsentinel; i++) {
			const struct status_sentinel_row *r = &c->sentinel[i];
			json_t *row = json_object();

			json_object_set_new(row, "domain",
					    json_string(r->domain));
			json_object_set_new(row, "node", json_string(r->node));
			json_object_set_new(row, "verdict",
					    json_string(r->verdict));
			json_object_set_new(row, "answer",
					    json_string(r->answer));
			json_object_set_new(row, "neg_ttl_left",
					    r->neg_left < 0
						? json_null()
						: json_integer(r->neg_left));
			json_array_append_new(rows, row);
		}
		json_object_set_new(sn, "nodes", rows);
		json_object_set_new(o, "sentinel", sn);
	}
	rc = ctl_json_print(ctx->out, o);
	json_decref(o);
	return rc;
}

/* The sentinel: last run, then each watched domain's node not healthy. */
static void ctl_status_sentinel_text(const struct ctl_context *ctx,
				     const struct status_census *c, FILE *fp)
{
	char age[32] = "never";

	if (c->sentinel_last_run) {
		ctl_format_age(ctx->now - c->sentinel_last_run, age,
			       sizeof(age));
		strncat(age, " ago", sizeof(age) - strlen(age) - 1);
	}
	fprintf(fp, "sentinel:    last run %s, %zu watched domains\n", age,
		c->sentinel_domains);
	for (size_t i = 0; i < c->nsentinel; i++) {
		const struct status_sentinel_row *r = &c->sentinel[i];

		if (strcmp(r->verdict, "healthy") == 0)
			continue;
		fprintf(fp, "  %s at %s: %s, answer %s", r->domain, r->node,
			r->verdict, r->answer);
		if (r->neg_left >= 0)
			fprintf(fp, ", negative TTL left %llds",
				(long long)r->neg_left);
		fputc('\n', fp);
	}
}

static int ctl_status_text(const struct ctl_context *ctx,
			   const struct ctl_status *s, int level,
			   const char *why)
{
	const struct status_census *c = &s->census;
	char age[32] = "-", oldest[32] = "-";
	FILE *fp = ctx->out;

	if (s->last_pass)
		ctl_format_age(ctx->now - s->last_pass, age, sizeof(age));
	if (c->oldest_failure)
		ctl_format_age(ctx->now - c->oldest_failure, oldest,
			       sizeof(oldest));
	fprintf(fp, "RETRYD %s - %s | held=%zu suppressed=%zu\n",
		ctl_status_levels[level], why, c->live, c->suppressed);
	if (s->pid)
		fprintf(fp, "daemon:      running, pid %ld, mode %s\n", s->pid,
			s->mode[0] ? s->mode : "?");
	else
		fprintf(fp, "daemon:      not running\n");
	fprintf(fp, "last pass:   %s ago, %.3fs, %s\n", age, s->duration,
		s->result[0] ? s->result : "none");
	fprintf(fp, "held:        %zu (", c->live);
	for (size_t i = 0, first = 1; i < STATUS_STATE_SLOTS; i++)
		if (ctl_status_states[i] && c->by_state[i]) {
			fprintf(fp, "%s%s %zu", first ? "" : ", ",
				ctl_status_states[i], c->by_state[i]);
			first = 0;
		}
	fprintf(fp, "), oldest failure %s ago\n", oldest);
	for (size_t i = 0; i < c->nbuckets; i++)
		fprintf(fp, "  group %-14s verdict %-12s %zu\n",
			c->buckets[i].group[0] ? c->buckets[i].group : "-",
			c->buckets[i].verdict[0] ? c->buckets[i].verdict : "-",
			c->buckets[i].n);
	fprintf(fp, "suppressed:  %zu addresses\n", c->suppressed);
	if (c->fleet)
		fprintf(fp,
			"outbox:      %llu evidence, %llu verifications "
			"waiting for the fleet database (%llu verifications "
			"dropped)\n",
			(unsigned long long)c->outbox_evidence,
			(unsigned long long)c->outbox_verifications,
			(unsigned long long)c->outbox_dropped);
	fprintf(fp, "hooks:       %llu failures since start\n",
		s->hook_failures);
	fprintf(fp, "store:       %llu KiB in %s, %llu MiB free (%.1f%%)\n",
		s->store_bytes / 1024, ctx->policy->state_dir,
		s->free_bytes / (1024 * 1024), s->free_pct);
	ctl_status_sentinel_text(ctx, c, fp);
	return ferror(fp) ? -1 : 0;
}

int ctl_status(struct ctl_context *ctx, int argc, char **argv)
{
	struct ctl_status *s;
	struct store *st;
	char why[300];
	int as_json = 0, level, rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			as_json = 1;
			continue;
		}
		fprintf(stderr, "retryctl: status: unknown argument: %.100s\n",
			argv[i]);
		return CTL_EXIT_USAGE;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return CTL_EXIT_ERROR;
	s->pid = ctl_status_lock_pid(ctx->policy->state_dir);
	ctl_status_file(ctx->policy->state_dir, s);
	ctl_status_disk(ctx->policy->state_dir, s);
	if (ctl_store_missing(ctx)) {
		snprintf(s->census_err, sizeof(s->census_err),
			 "%s does not exist (retryd never ran)",
			 ctx->policy->state_dir);
	} else if ((st = ctl_store_open(ctx, "status")) != NULL) {
		s->census_ok =
		    status_census(st, &s->census, s->census_err,
				  sizeof(s->census_err)) == 0 &&
		    status_sentinel(st, &s->census, ctx->now, s->census_err,
				    sizeof(s->census_err)) == 0;
		store_close(st);
		ctl_store_detached();
	} else {
		snprintf(s->census_err, sizeof(s->census_err),
			 "cannot join the store");
	}
	level = ctl_status_level(ctx, s, why, sizeof(why));
	rc = as_json ? ctl_status_json(ctx, s, level, why)
		     : ctl_status_text(ctx, s, level, why);
	free(s);
	return rc < 0 ? CTL_EXIT_ERROR : level;
}
