/*
 * NAME
 *	ctl_stubs 3
 * SUMMARY
 *	placeholders for retryctl commands not written yet
 * SYNOPSIS
 *	#include "ctl.h"
 * DESCRIPTION
 *	Each function below stands in for a command whose own file does not
 *	exist yet, so retryctl links and its dispatch table stays complete.
 *	Whoever writes the real command (retryd/ctl_classify.c, ...) deletes
 *	its stub here in the same change; when none is left, delete this file
 *	and its RETRYCTL_SRCS line. (diagnose is real: retryd/ctl_diagnose.c.)
 * DIAGNOSTICS
 *	"retryctl: COMMAND: not available yet", exit 1.
 */
#include "ctl.h"

static int ctl_stub(const char *cmd)
{
	fprintf(stderr, "retryctl: %s: not available yet\n", cmd);
	return CTL_EXIT_ERROR;
}

/* stub: replaced by retryd/ctl_classify.c */
int ctl_classify(struct ctl_context *ctx, int argc, char **argv)
{
	return ctl_stub("classify");
}

/* stub: replaced by retryd/ctl_export.c */
int ctl_export(struct ctl_context *ctx, int argc, char **argv)
{
	return ctl_stub("export");
}

/* stub: replaced by retryd/ctl_report.c */
int ctl_report(struct ctl_context *ctx, int argc, char **argv)
{
	return ctl_stub("report");
}
