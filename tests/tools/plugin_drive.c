/*
 * NAME
 *	plugin_drive 1
 * SUMMARY
 *	load an MTA plugin (.so) and run one of its operations
 * SYNOPSIS
 *	plugin_drive [--config-dir DIR] [--binary PATH] [--config FILE]
 *		[--log-file FILE] [--state-dir DIR] PLUGIN.so OP [ARG...]
 *
 *	OP: scan | scan-each | hold ID... | release ID... | deliver ID... |
 *	    giveback bounce|expire|release ID... | outcomes [ID...]
 * DESCRIPTION
 *	A test tool, MTA-neutral: the options fill struct mta_config, the
 *	plugin is dlopen()ed like retryd does (RTLD_NOW, ABI checked) and
 *	the results are printed as JSON lines on standard output:
 *
 *	  scan      one line per message {"queue_id", "sender", "arrival",
 *	            "held", "deferred", "rcpts": [{"address", "reason"}]},
 *	            then {"complete": BOOL, "n": N, "skipped": K}
 *	  scan-each the same lines from the plugin's scan_each (each
 *	            message as it is told)
 *	  batches   {"op": OP, "n": N, "done": D}
 *	  outcomes  one line per outcome {"queue_id", "address", "status":
 *	            "delivered"|"deferred"|"bounced", "dsn", "text", "time"},
 *	            then {"outcomes": N}
 *
 *	Ids are handed to the plugin exactly as given (the plugin must refuse
 *	bad ones itself). The plugin's log lines go to standard error.
 *
 *	With --state-dir, plugin_drive plays retryd's part of the outcome
 *	position (plugin ABI 4: the plugin saves none): it keeps it in
 *	STATE_DIR/plugin_drive.pos, hands it back (outcomes_seek) after
 *	open, takes the plugin's own (outcomes_tell) when there is none yet,
 *	and saves the one outcomes returns.
 * DIAGNOSTICS
 *	Exit 0 on success; 1 when the plugin call failed ({"op": OP,
 *	"error": "..."} on standard output, the message on standard error);
 *	2 on usage errors or when the plugin cannot be loaded.
 */
#include <dlfcn.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "plugins/plugin.h"
#include "util/log.h"

static void usage(void)
{
	fprintf(stderr,
		"usage: plugin_drive [--config-dir DIR] [--binary PATH] "
		"[--config FILE] [--log-file FILE] [--state-dir DIR] PLUGIN.so "
		"scan|scan-each|hold|release|deliver|giveback "
		"bounce|expire|release|"
		"outcomes [ID...]\n");
	exit(2);
}

/* A JSON string; bytes that are not valid UTF-8 are masked first. */
static json_t *drive_str(const char *s)
{
	json_t *j = json_string(s);
	char masked[4 * LIMIT_REASON];

	if (j == NULL)
		j = json_string(log_printable(masked, sizeof(masked), s));
	return j;
}

static void drive_print(json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT);

	if (s) {
		puts(s);
		free(s);
	}
	json_decref(o);
}

static int drive_fail(const char *op, const char *err)
{
	drive_print(json_pack("{s:s, s:o}", "op", op, "error", drive_str(err)));
	fprintf(stderr, "plugin_drive: %s: %s\n", op, err);
	return 1;
}

/* One message as a JSON line (scan and scan-each print the same). */
static int drive_msg(void *arg, const struct mta_message *m)
{
	json_t *rcpts = json_array();

	(void)arg;
	for (size_t r = 0; r < m->nrcpts; r++)
		json_array_append_new(
		    rcpts, json_pack("{s:o, s:o}", "address",
				     drive_str(m->rcpts[r].address), "reason",
				     drive_str(m->rcpts[r].reason)));
	drive_print(json_pack("{s:o, s:o, s:I, s:b, s:b, s:o}", "queue_id",
			      drive_str(m->queue_id), "sender",
			      drive_str(m->sender), "arrival",
			      (json_int_t)m->arrival, "held", m->held,
			      "deferred", m->deferred, "rcpts", rcpts));
	return 0;
}

static int drive_scan(const struct mta_plugin *p, void *st)
{
	struct mta_listing l;
	char err[1024];

	if (p->scan(st, &l, err, sizeof(err)) < 0)
		return drive_fail("scan", err);
	for (size_t i = 0; i < l.n; i++)
		drive_msg(NULL, &l.msgs[i]);
	drive_print(json_pack("{s:b, s:I, s:I}", "complete", l.complete, "n",
			      (json_int_t)l.n, "skipped",
			      (json_int_t)l.skipped));
	p->listing_free(&l);
	return 0;
}

static int drive_msg_count(void *arg, const struct mta_message *m)
{
	++*(size_t *)arg;
	return drive_msg(NULL, m);
}

/* The listing told message by message (scan_each), printed as scan does. */
static int drive_scan_each(const struct mta_plugin *p, void *st)
{
	char err[1024];
	size_t skipped = 0, n = 0;
	int complete = 0;

	if (p->scan_each == NULL)
		return drive_fail("scan-each", "the plugin has no scan_each");
	if (p->scan_each(st, drive_msg_count, &n, &complete, &skipped, err,
			 sizeof(err)) < 0)
		return drive_fail("scan-each", err);
	drive_print(json_pack("{s:b, s:I, s:I}", "complete", complete, "n",
			      (json_int_t)n, "skipped", (json_int_t)skipped));
	return 0;
}

static const char *drive_status(enum mta_outcome_status s)
{
	switch (s) {
	case MTA_OUTCOME_DELIVERED:
		return "delivered";
	case MTA_OUTCOME_DEFERRED:
		return "deferred";
	case MTA_OUTCOME_BOUNCED:
		return "bounced";
	}
	return "unknown";
}

/* The host's copy of the outcome position (see above). */
static int drive_pos_save(const char *dir, const struct mta_pos *pos)
{
	char path[4096];
	FILE *fp;
	int ok;

	if (dir == NULL)
		return 0;
	snprintf(path, sizeof(path), "%s/plugin_drive.pos", dir);
	if ((fp = fopen(path, "w")) == NULL)
		return -1;
	ok = fwrite(pos, sizeof(*pos), 1, fp) == 1;
	return fclose(fp) == 0 && ok ? 0 : -1;
}

static int drive_pos_start(const struct mta_plugin *p, void *st,
			   const char *dir)
{
	struct mta_pos pos;
	char path[4096], err[1024];
	FILE *fp;
	int got = 0;

	if (dir == NULL)
		return 0;
	snprintf(path, sizeof(path), "%s/plugin_drive.pos", dir);
	if ((fp = fopen(path, "r")) != NULL) {
		got = fread(&pos, sizeof(pos), 1, fp) == 1;
		fclose(fp);
	}
	if (!got && (p->outcomes_tell(st, &pos, err, sizeof(err)) < 0 ||
		     drive_pos_save(dir, &pos) < 0))
		return drive_fail("position", got ? "cannot save" : err);
	if (p->outcomes_seek(st, &pos, err, sizeof(err)) < 0)
		return drive_fail("position", err);
	return 0;
}

static int drive_outcomes(const struct mta_plugin *p, void *st,
			  const char *const *ids, size_t n, const char *dir)
{
	struct mta_outcomes o;
	char err[1024];

	if (p->outcomes(st, ids, n, &o, err, sizeof(err)) < 0)
		return drive_fail("outcomes", err);
	if (drive_pos_save(dir, &o.pos) < 0) {
		p->outcomes_free(&o);
		return drive_fail("outcomes", "cannot save the position");
	}
	for (size_t i = 0; i < o.n; i++) {
		const struct mta_outcome *x = &o.items[i];
		drive_print(json_pack(
		    "{s:o, s:o, s:s, s:o, s:o, s:I}", "queue_id",
		    drive_str(x->queue_id), "address", drive_str(x->address),
		    "status", drive_status(x->status), "dsn", drive_str(x->dsn),
		    "text", drive_str(x->text), "time", (json_int_t)x->time));
	}
	drive_print(json_pack("{s:I}", "outcomes", (json_int_t)o.n));
	p->outcomes_free(&o);
	return 0;
}

static int drive_batch(const struct mta_plugin *p, void *st, const char *op,
		       const char *how, const char *const *ids, size_t n)
{
	size_t done = 0;
	char err[1024];
	int rc;

	if (strcmp(op, "hold") == 0)
		rc = p->hold(st, ids, n, &done, err, sizeof(err));
	else if (strcmp(op, "release") == 0)
		rc = p->release(st, ids, n, &done, err, sizeof(err));
	else if (strcmp(op, "deliver") == 0)
		rc = p->deliver(st, ids, n, &done, err, sizeof(err));
	else {
		enum mta_giveback g;
		if (strcmp(how, "bounce") == 0)
			g = MTA_GIVEBACK_BOUNCE;
		else if (strcmp(how, "expire") == 0)
			g = MTA_GIVEBACK_EXPIRE;
		else if (strcmp(how, "release") == 0)
			g = MTA_GIVEBACK_RELEASE;
		else
			usage();
		rc = p->giveback(st, ids, n, g, &done, err, sizeof(err));
	}
	if (rc < 0)
		return drive_fail(op, err);
	drive_print(json_pack("{s:s, s:I, s:I}", "op", op, "n", (json_int_t)n,
			      "done", (json_int_t)done));
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"config-dir", required_argument, NULL, 'd'},
	    {"binary", required_argument, NULL, 'b'},
	    {"config", required_argument, NULL, 'c'},
	    {"log-file", required_argument, NULL, 'l'},
	    {"state-dir", required_argument, NULL, 's'},
	    {NULL, 0, NULL, 0},
	};
	struct mta_config cfg = {0};
	const struct mta_plugin *p;
	mta_plugin_entry_fn entry;
	const char *op, *how = NULL;
	void *dl, *st = NULL;
	char err[1024];
	int c, rc;

	log_open("plugin_drive", LOG_DEST_STDERR);
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			cfg.config_dir = optarg;
			break;
		case 'b':
			cfg.binary = optarg;
			break;
		case 'c':
			cfg.config = optarg;
			break;
		case 'l':
			cfg.log_file = optarg;
			break;
		case 's':
			cfg.state_dir = optarg;
			break;
		default:
			usage();
		}
	}
	if (argc - optind < 2)
		usage();
	if ((dl = dlopen(argv[optind], RTLD_NOW | RTLD_LOCAL)) == NULL) {
		fprintf(stderr, "plugin_drive: %s\n", dlerror());
		return 2;
	}
	entry = (mta_plugin_entry_fn)dlsym(dl, MTA_PLUGIN_SYMBOL);
	if (entry == NULL || (p = entry()) == NULL ||
	    p->abi != MTA_PLUGIN_ABI) {
		fprintf(stderr, "plugin_drive: %s: no %s or wrong ABI\n",
			argv[optind], MTA_PLUGIN_SYMBOL);
		return 2;
	}
	op = argv[optind + 1];
	optind += 2;
	if (strcmp(op, "giveback") == 0) {
		if (optind >= argc)
			usage();
		how = argv[optind++];
	}
	if (p->open(&cfg, &st, err, sizeof(err)) < 0) {
		fprintf(stderr, "plugin_drive: open: %s\n", err);
		return 2;
	}
	if (drive_pos_start(p, st, cfg.state_dir) != 0) {
		p->close(st);
		return 1;
	}
	const char *const *ids = (const char *const *)(argv + optind);
	size_t n = (size_t)(argc - optind);
	if (strcmp(op, "scan") == 0 && n == 0)
		rc = drive_scan(p, st);
	else if (strcmp(op, "scan-each") == 0 && n == 0)
		rc = drive_scan_each(p, st);
	else if (strcmp(op, "outcomes") == 0)
		rc = drive_outcomes(p, st, ids, n, cfg.state_dir);
	else if (strcmp(op, "hold") == 0 || strcmp(op, "release") == 0 ||
		 strcmp(op, "deliver") == 0 || strcmp(op, "giveback") == 0)
		rc = drive_batch(p, st, op, how, ids, n);
	else
		usage();
	p->close(st);
	dlclose(dl);
	return rc;
}
