/*
 * NAME
 *	report_svg 3
 * SUMMARY
 *	the report page's pictures: legend, timelines, activity, hosts
 * SYNOPSIS
 *	#include "report/report_int.h"
 * DESCRIPTION
 *	Inline SVG drawn from the document of report_json(), styled by the
 *	page's CSS classes (a-CLASS for an answer class, v-VERDICT for a
 *	verdict, d1 d2 d3 for the duration classes), no script, nothing
 *	loaded from anywhere.
 *
 *	report_svg_legend() draws every answer class, every verdict the
 *	verifier knows (verify_verdict_name(), so a new verdict appears by
 *	itself) and the three duration shades.
 *
 *	report_svg_timeline() draws one domain: a time axis over the
 *	window, the duration classes of each failure episode (<1 h, 1-4 h,
 *	>4 h from its start; an episode is a stretch of failing verdicts,
 *	ended by a healthy or a merged run) as shaded spans and as a row, the verdict band on top and
 *	one lane per resolver below it (MTA nodes, independent resolvers,
 *	authoritative servers). A run is drawn from its first answer to the
 *	next run's first answer (an answer holds until another is seen);
 *	its tooltip (<title>) gives the kind, the count, the times and the
 *	TTLs, and a wide enough run prints its TTL or negative TTL.
 *
 *	report_svg_activity() draws the messages held over the window as an
 *	area and the attempts' outcomes per bucket as bars;
 *	report_svg_hosts() the attempts by sending host as stacked bars.
 *
 *	Pure: writes only to the FILE * given. Owns nothing.
 */
#include <string.h>
#include <time.h>

#include "dns/verify.h"
#include "report/report_int.h"

#define SVG_W	    960 /* width of every picture, px */
#define SVG_LABEL   250 /* lane labels on the left */
#define SVG_PLOT    (SVG_W - SVG_LABEL - 10)
#define SVG_ROW	    18 /* lane height + gap */
#define SVG_BAR	    14
#define SVG_MIN_RUN 2.0 /* px: the narrowest run drawn */
#define SVG_TICKS   6

static int64_t svg_int(const json_t *o, const char *k)
{
	return (int64_t)json_integer_value(json_object_get(o, k));
}

static double svg_x(int64_t t, int64_t since, int64_t until)
{
	double span = until > since ? (double)(until - since) : 1.0;

	if (t < since)
		t = since;
	if (t > until)
		t = until;
	return SVG_LABEL + (double)(t - since) * SVG_PLOT / span;
}

/* "2026-12-05 21:08" (UTC) for the axis and tooltips. */
static void svg_time(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%d %H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "-");
}

/* A CSS class suffix: [a-z0-9-] only (verdict names are ours, but the
 * store's text is not trusted). */
static void svg_class(FILE *out, const char *s)
{
	for (size_t i = 0; s[i] && i < 32; i++) {
		char c = s[i];

		fputc((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ? c
								       : '-',
		      out);
	}
}

static void svg_swatch(FILE *out, double x, const char *cls, const char *name,
		       const char *label)
{
	fprintf(out,
		"<rect x=\"%.0f\" y=\"4\" width=\"14\" height=\"14\" "
		"class=\"%s",
		x, cls);
	svg_class(out, name);
	fprintf(out, "\"/><text x=\"%.0f\" y=\"16\">", x + 18);
	report_html_text(out, label);
	fputs("</text>", out);
}

void report_svg_legend(FILE *out)
{
	static const char *const answers[][2] = {
	    {"usable", "usable MX"},
	    {"negative", "negative (NXDOMAIN, "
			 "NODATA)"},
	    {"null", "null MX"},
	    {"transient", "transient (timeout, "
			  "SERVFAIL...)"},
	    {"filtered", "filtered"},
	    {"mixed", "mixed (merged runs)"},
	};
	double x = 0;

	fputs("<svg class=\"legend\" id=\"legend-answers\" width=\"960\" "
	      "height=\"22\" role=\"img\" aria-label=\"answer colours\">",
	      out);
	for (size_t i = 0; i < sizeof(answers) / sizeof(answers[0]); i++) {
		svg_swatch(out, x, "a-", answers[i][0], answers[i][1]);
		x += 30 + 7.0 * (double)strlen(answers[i][1]);
	}
	fputs("</svg>\n<svg class=\"legend\" id=\"legend-verdicts\" "
	      "width=\"960\" height=\"22\" role=\"img\" aria-label=\"verdict "
	      "colours\">",
	      out);
	x = 0;
	for (int v = 1; v < 64; v++) {
		const char *name = verify_verdict_name((enum verify_verdict)v);

		if (strcmp(name, "unknown") == 0)
			continue;
		svg_swatch(out, x, "v-", name, name);
		x += 30 + 7.0 * (double)strlen(name);
	}
	fputs("</svg>\n<svg class=\"legend\" id=\"legend-durations\" "
	      "width=\"960\" height=\"22\" role=\"img\" aria-label=\"duration "
	      "classes\">",
	      out);
	svg_swatch(out, 0, "d1", "", "failing < 1 h");
	svg_swatch(out, 130, "d2", "", "failing 1-4 h");
	svg_swatch(out, 260, "d3", "", "failing > 4 h");
	fputs("</svg>\n", out);
}

/* The time axis: SVG_TICKS labelled ticks over the window. */
static void svg_axis(FILE *out, int64_t since, int64_t until, double y,
		     double h)
{
	char when[40];

	for (int i = 0; i <= SVG_TICKS; i++) {
		int64_t t = since + (until - since) * i / SVG_TICKS;
		double x = svg_x(t, since, until);

		svg_time(t, when, sizeof(when));
		fprintf(out,
			"<line class=\"tick\" x1=\"%.1f\" y1=\"%.0f\" "
			"x2=\"%.1f\" y2=\"%.0f\"/><text class=\"tick\" "
			"x=\"%.1f\" y=\"%.0f\" text-anchor=\"%s\">%.11s</text>",
			x, y, x, y + h, x, y + h + 12,
			i == 0		 ? "start"
			: i == SVG_TICKS ? "end"
					 : "middle",
			when + 5);
	}
}

/* Shade [@param s, @param e] by the time since @param s0 (the start of
 * the failure episode): <1 h d1, 1-4 h d2, >4 h d3. */
static void svg_episode(FILE *out, int64_t s0, int64_t e, int64_t since,
			int64_t until, double y, double h)
{
	static const int64_t edge[] = {0, 3600, 4 * 3600, INT64_MAX / 4};

	for (int c = 0; c < 3; c++) {
		int64_t a = s0 + edge[c], b = s0 + edge[c + 1];
		double x0, x1;

		if (b > e)
			b = e;
		if (a >= b || b < since || a > until)
			continue;
		x0 = svg_x(a, since, until);
		x1 = svg_x(b, since, until);
		if (x1 - x0 < 0.5)
			continue;
		fprintf(out,
			"<rect class=\"d%d\" x=\"%.1f\" y=\"%.0f\" "
			"width=\"%.1f\" height=\"%.0f\"><title>failing %s"
			"</title></rect>",
			c + 1, x0, y, x1 - x0, h,
			c == 0	 ? "< 1 h"
			: c == 1 ? "1-4 h"
				 : "> 4 h");
	}
}

/* The failure episodes of a domain from its verdict runs. */
static void svg_episodes(FILE *out, const json_t *vruns, int64_t first_failing,
			 int64_t since, int64_t until, int64_t last, double y,
			 double h)
{
	int64_t start = 0;
	const json_t *run;
	size_t i;

	json_array_foreach(vruns, i, run)
	{
		const char *cls = report_get_str(run, "class");
		/* a merged run may hold healthy checks: it ends an episode */
		int failing = strcmp(cls, "healthy") && strcmp(cls, "mixed");
		int64_t from = svg_int(run, "from");

		if (failing && start == 0)
			start =
			    i == 0 && first_failing > 0 && first_failing < from
				? first_failing
				: from;
		else if (!failing && start != 0) {
			svg_episode(out, start, from, since, until, y, h);
			start = 0;
		}
	}
	if (start != 0)
		svg_episode(out, start, last, since, until, y, h);
}

/* One row of runs at @param y. @return the number of segments drawn. */
static size_t svg_runs(FILE *out, const json_t *runs, const char *prefix,
		       const char *label, int64_t since, int64_t until,
		       int64_t last, double y)
{
	char a[40], b[40];
	const json_t *run;
	size_t i, n = json_array_size(runs);

	json_array_foreach(runs, i, run)
	{
		const json_t *next = json_array_get(runs, i + 1);
		int64_t from = svg_int(run, "from"),
			to = next ? svg_int(next, "from") : last;
		double x0 = svg_x(from, since, until),
		       x1 = svg_x(to, since, until);
		int64_t tmin = svg_int(run, "ttl_min"),
			tmax = svg_int(run, "ttl_max"),
			neg = svg_int(run, "neg_ttl");

		if (x1 - x0 < SVG_MIN_RUN)
			x1 = x0 + SVG_MIN_RUN;
		fprintf(out, "<rect class=\"run %s", prefix);
		svg_class(out, report_get_str(run, "class"));
		fprintf(out,
			"\" x=\"%.1f\" y=\"%.0f\" width=\"%.1f\" "
			"height=\"%d\"><title>",
			x0, y, x1 - x0, SVG_BAR);
		svg_time(from, a, sizeof(a));
		svg_time(svg_int(run, "to"), b, sizeof(b));
		report_html_text(out, label);
		fputs(": ", out);
		report_html_text(out, report_get_str(run, "kind"));
		fprintf(out, " x%lld, %s .. %s", (long long)svg_int(run, "n"),
			a, b);
		if (tmin >= 0)
			fprintf(out, ", ttl %lld..%lld", (long long)tmin,
				(long long)tmax);
		if (neg >= 0)
			fprintf(out, ", negative ttl %lld", (long long)neg);
		fputs("</title></rect>", out);
		if (x1 - x0 >= 70 && (tmin >= 0 || neg >= 0))
			fprintf(out,
				"<text class=\"ttl\" x=\"%.1f\" "
				"y=\"%.0f\">%s %lld</text>",
				x0 + 3, y + SVG_BAR - 3,
				neg >= 0 ? "neg ttl" : "ttl",
				(long long)(neg >= 0 ? neg : tmin));
	}
	return n;
}

static void svg_label(FILE *out, double y, const char *cls, const char *role,
		      const char *server, const char *tr)
{
	fprintf(out, "<text class=\"%s\" x=\"0\" y=\"%.0f\">", cls,
		y + SVG_BAR - 3);
	report_html_text(out, role);
	if (server != NULL) {
		fputc(' ', out);
		report_html_text(out, server);
		fputc('/', out);
		report_html_text(out, tr);
	}
	fputs("</text>", out);
}

size_t report_svg_timeline(FILE *out, const json_t *tl, int64_t since,
			   int64_t until, int64_t first_failing)
{
	const json_t *vruns = json_object_get(tl, "verdict_runs"),
		     *lanes = json_object_get(tl, "lanes"), *lane, *run;
	size_t nl = json_array_size(lanes), i, drawn;
	double h = (double)(nl + 2) * SVG_ROW + 4;
	int64_t last = 0;
	char label[160];

	json_array_foreach(vruns, i, run) if (svg_int(run, "to") > last) last =
	    svg_int(run, "to");
	if (last < since)
		last = since;
	fprintf(out,
		"<svg class=\"timeline\" width=\"%d\" height=\"%.0f\" "
		"viewBox=\"0 0 %d %.0f\" role=\"img\">",
		SVG_W, h + 16, SVG_W, h + 16);
	fputs("<g class=\"shade\">", out);
	svg_episodes(out, vruns, first_failing, since, until, last, 0, h);
	fputs("</g>", out);
	svg_axis(out, since, until, 0, h);
	fputs("<g class=\"band\">", out);
	svg_label(out, 2, "lane-label band-label", "verdict", NULL, NULL);
	drawn = svg_runs(out, vruns, "v-", "verdict", since, until, last, 2);
	fputs("</g><g class=\"duration\">", out);
	svg_label(out, 2 + SVG_ROW, "lane-label", "failing for", NULL, NULL);
	svg_episodes(out, vruns, first_failing, since, until, last, 2 + SVG_ROW,
		     SVG_BAR);
	fputs("</g>", out);
	json_array_foreach(lanes, i, lane)
	{
		double y = 2 + (double)(i + 2) * SVG_ROW;
		const char *role = report_get_str(lane, "role"),
			   *server = report_get_str(lane, "server"),
			   *tr = report_get_str(lane, "transport");

		fprintf(out, "<g class=\"lane\" data-role=\"");
		report_html_text(out, role ? role : "-");
		fputs("\">", out);
		svg_label(out, y, "lane-label", role ? role : "-",
			  server ? server : "-", tr ? tr : "-");
		snprintf(label, sizeof(label), "%.16s %.64s/%.4s",
			 role ? role : "-", server ? server : "-",
			 tr ? tr : "-");
		drawn += svg_runs(out, json_object_get(lane, "runs"), "a-",
				  label, since, until, last, y);
		fputs("</g>", out);
	}
	fputs("</svg>\n", out);
	return drawn;
}

/* The bucket values of series key @param k and their maximum. */
static int64_t svg_max(const json_t *series, const char *const *keys)
{
	int64_t max = 0;
	const json_t *v;
	size_t i;

	for (; *keys; keys++)
		json_array_foreach(json_object_get(series, *keys), i, v)
		{
			if (json_integer_value(v) > max)
				max = json_integer_value(v);
		}
	return max;
}

void report_svg_activity(FILE *out, const json_t *series)
{
	static const char *const held[] = {"held", NULL};
	static const char *const outs[] = {"delivered", "deferred", "bounced",
					   NULL};
	const json_t *v;
	int64_t hmax = svg_max(series, held), omax = svg_max(series, outs);
	size_t nb = json_array_size(json_object_get(series, "held")), i;
	double bw = nb ? (double)SVG_PLOT / (double)nb : 1, top = 10, hh = 80,
	       oy = 110, oh = 50;

	fputs("<svg class=\"activity\" id=\"activity\" width=\"960\" "
	      "height=\"190\" role=\"img\" aria-label=\"held messages and "
	      "attempts over time\">",
	      out);
	fprintf(out,
		"<text class=\"lane-label\" x=\"0\" y=\"%.0f\">held messages "
		"(max %lld)</text><polygon class=\"held\" points=\"%d,%.0f",
		top + 12, (long long)hmax, SVG_LABEL, top + hh);
	json_array_foreach(json_object_get(series, "held"), i, v)
	{
		double y =
		    top + hh -
		    (hmax ? (double)json_integer_value(v) * hh / (double)hmax
			  : 0);

		fprintf(out, " %.1f,%.1f %.1f,%.1f", SVG_LABEL + (double)i * bw,
			y, SVG_LABEL + (double)(i + 1) * bw, y);
	}
	fprintf(out, " %d,%.0f\"/>", SVG_LABEL + SVG_PLOT, top + hh);
	fprintf(out,
		"<text class=\"lane-label\" x=\"0\" y=\"%.0f\">attempts: "
		"delivered, deferred, bounced (max %lld)</text>",
		oy + 12, (long long)omax);
	for (i = 0; i < nb; i++) {
		double y = oy + oh;

		for (const char *const *k = outs; *k; k++) {
			int64_t n = json_integer_value(
			    json_array_get(json_object_get(series, *k), i));
			double hgt = omax ? (double)n * oh / (double)omax : 0;

			if (n == 0)
				continue;
			y -= hgt;
			fprintf(out,
				"<rect class=\"o-%s\" x=\"%.1f\" y=\"%.1f\" "
				"width=\"%.1f\" height=\"%.1f\"><title>%s "
				"%lld</title></rect>",
				*k, SVG_LABEL + (double)i * bw + 1, y,
				bw > 2 ? bw - 2 : bw, hgt, *k, (long long)n);
		}
	}
	svg_axis(out, svg_int(series, "start_unix"),
		 svg_int(series, "end_unix"), top, oy + oh - top);
	fputs("</svg>\n", out);
}

void report_svg_hosts(FILE *out, const json_t *hosts)
{
	static const char *const outs[] = {"delivered", "deferred", "bounced",
					   "no_attempt", NULL};
	const json_t *h;
	int64_t max = 1;
	size_t i, n = json_array_size(hosts);

	json_array_foreach(hosts, i, h)
	{
		int64_t t = 0;

		for (const char *const *k = outs; *k; k++)
			t += svg_int(h, *k);
		if (t > max)
			max = t;
	}
	fprintf(out,
		"<svg class=\"hosts\" id=\"hosts\" width=\"960\" "
		"height=\"%zu\" role=\"img\" aria-label=\"attempts by sending "
		"host\">",
		n * SVG_ROW + 4);
	json_array_foreach(hosts, i, h)
	{
		double x = SVG_LABEL, y = 2 + (double)i * SVG_ROW;

		fprintf(out, "<text class=\"lane-label\" x=\"0\" y=\"%.0f\">",
			y + SVG_BAR - 3);
		report_html_text(out, report_get_str(h, "host_id"));
		fprintf(out, " (%lld attempts)</text>",
			(long long)svg_int(h, "attempts"));
		for (const char *const *k = outs; *k; k++) {
			double w =
			    (double)svg_int(h, *k) * SVG_PLOT / (double)max;

			if (w <= 0)
				continue;
			fprintf(out,
				"<rect class=\"o-%s\" x=\"%.1f\" y=\"%.0f\" "
				"width=\"%.1f\" height=\"%d\"><title>%s "
				"%lld</title></rect>",
				*k, x, y, w, SVG_BAR, *k,
				(long long)svg_int(h, *k));
			x += w;
		}
	}
	fputs("</svg>\n", out);
}
