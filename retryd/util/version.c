/*
 * NAME
 *	version 3
 * SUMMARY
 *	retryd --version, retryctl --version
 * DESCRIPTION
 *	Prints the program's version, the MTA plugin API (ABI) it loads,
 *	and the version of each library as the running process sees it:
 *	Berkeley DB (db_version), getdns (getdns_get_version and its API
 *	version), PCRE2 (pcre2_config) and jansson (jansson_version_str).
 *	inih has no run-time version call: its version is the one the
 *	build compiled against (pkg-config, RETRYD_INIH_VERSION), marked
 *	"(build)".
 * DIAGNOSTICS
 *	version_print returns -1 when fp cannot be written.
 */
#include "util/version.h"

#include <db.h>
#include <getdns/getdns_extra.h>
#include <jansson.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "plugins/plugin.h"

#ifndef RETRYD_INIH_VERSION
#define RETRYD_INIH_VERSION "unknown"
#endif

#define VERSION_PCRE2_MAX 64 /* bytes of PCRE2's version string */

int version_print(FILE *fp, const char *prog)
{
	char pcre[VERSION_PCRE2_MAX] = "unknown";
	int major, minor, patch;

	if (pcre2_config(PCRE2_CONFIG_VERSION, NULL) <= (int)sizeof(pcre))
		pcre2_config(PCRE2_CONFIG_VERSION, pcre);
	fprintf(fp, "%s %s\n", prog, RETRYD_VERSION);
	fprintf(fp, "plugin API %d\n", MTA_PLUGIN_ABI);
	db_version(&major, &minor, &patch);
	fprintf(fp, "libdb %d.%d.%d\n", major, minor, patch);
	fprintf(fp, "getdns %s (API %s)\n", getdns_get_version(),
		getdns_get_api_version());
	fprintf(fp, "inih %s (build)\n", RETRYD_INIH_VERSION);
	fprintf(fp, "PCRE2 %s\n", pcre);
	fprintf(fp, "jansson %s\n", jansson_version_str());
	return fflush(fp) == 0 && !ferror(fp) ? 0 : -1;
}
