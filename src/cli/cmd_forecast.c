/*
 * cmd_forecast.c - `quan forecast`: when each pool of an office runs dry,
 * a projection of its own arrivals so far (sim/forecast.h). Reads only.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "office/office.h"
#include "sim/forecast.h"

static const char usage[] =
	"usage: quan forecast --db DB [--json] [--runs N] [--seed S]\n"
	"                     [--horizon DAYS] [--chips FILE]\n"
	"For each pool and fiscal year of the office, the day it runs dry: a\n"
	"projection of the office's own arrivals so far. Each of N seeded runs\n"
	"(default 200) resamples the gaps between the applications received\n"
	"and the amounts they asked, from the office's clock on, until the\n"
	"fiscal year or the windows end (or --horizon DAYS from now). Prints\n"
	"the median day and the 80 % interval (10th to 90th percentile), or\n"
	"that the pool does not run dry within the span. The same seed gives\n"
	"the same forecast (default 1). Under waitlist fit a pool is dry\n"
	"when less than the smallest ask seen is left, and the first\n"
	"refusal is given beside it. Reads the office, writes nothing.\n";

static int number(const char *flag, const char *s, long long lo, long long hi,
		  long long *out)
{
	char *end;
	long long v;

	v = strtoll(s, &end, 10);
	if (!*s || *end || v < lo || v > hi) {
		fprintf(stderr,
			"quan: %s: '%s' is not a whole number in %lld..%lld\n",
			flag, s, lo, hi);
		return -1;
	}
	*out = v;
	return 0;
}

static void print_text(const struct forecast *f)
{
	char b[3][MONEY_TEXT_MAX], d[3][DATE_TEXT_MAX];

	printf("forecast: a projection of this office's own arrivals so far, %d runs, seed %llu\n",
	       f->opt.runs, (unsigned long long)f->opt.seed);
	printf("%-14s %-10s %-4s %16s %16s %8s  %s\n", "program", "pool",
	       "year", "budget", "left", "arrivals", "runs dry");
	for (size_t i = 0; i < f->n; i++) {
		const struct forecast_pool *p = &f->pools[i];

		printf("%-14s %-10s %-4d %16s %16s %8ld  ", p->program, p->pool,
		       p->year, money_format(p->budget, b[0]),
		       money_format(p->left, b[1]), p->arrivals);
		switch (p->status) {
		case FORECAST_RUNS_DRY:
			printf("%s (80 %%: %s to %s)\n",
			       date_format(p->p50, d[0]),
			       date_format(p->p10, d[1]),
			       p->p90 == FORECAST_NONE
				       ? "later"
				       : date_format(p->p90, d[2]));
			break;
		case FORECAST_BEYOND:
			printf("not within the horizon (to %s)\n",
			       date_format(p->until, d[0]));
			break;
		case FORECAST_NEVER:
			printf("never in the fiscal year (to %s)\n",
			       date_format(p->until, d[0]));
			break;
		case FORECAST_DRY:
			printf("dry already: applications wait since %s\n",
			       date_format(p->dry_since, d[0]));
			break;
		case FORECAST_CLOSED:
			printf("closed: its fiscal year or windows are over\n");
			break;
		default:
			printf("no applications yet to project from\n");
		}
		/* waitlist: fit: the first refusal comes before dry */
		if (p->fit && p->status != FORECAST_DRY &&
		    p->r50 != FORECAST_NONE)
			printf("%-14s %-10s %-4d   waitlist fit: first refusal %s (80 %%: %s to %s); dry when what is left is below the smallest ask\n",
			       "", "", p->year, date_format(p->r50, d[0]),
			       date_format(p->r10, d[1]),
			       p->r90 == FORECAST_NONE
				       ? "later"
				       : date_format(p->r90, d[2]));
	}
	(void)b[2];
}

int cmd_forecast(int argc, char **argv)
{
	const char *db = NULL, *chips_path = NULL;
	struct forecast_opts opt = {FORECAST_RUNS_DEFAULT, 1, 0, 0};
	struct chip_catalog *chips = NULL;
	struct forecast f = {0};
	struct office off;
	struct qerr e;
	bool json = false;
	int rc;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		long long v;

		if (cli_is_help(a)) {
			fputs(usage, stdout);
			return 0;
		}
		if (!strcmp(a, "--json")) {
			json = true;
			continue;
		}
		if (i + 1 >= argc) {
			fprintf(stderr,
				"quan: unknown option or missing value '%s'\n\n%s",
				a, usage);
			return EXIT_BAD_INPUT;
		}
		if (!strcmp(a, "--db")) {
			db = argv[++i];
		} else if (!strcmp(a, "--chips")) {
			chips_path = argv[++i];
		} else if (!strcmp(a, "--runs")) {
			if (number(a, argv[++i], 1, FORECAST_RUNS_MAX, &v))
				return EXIT_BAD_INPUT;
			opt.runs = (int)v;
		} else if (!strcmp(a, "--seed")) {
			if (number(a, argv[++i], 0, INT64_MAX, &v))
				return EXIT_BAD_INPUT;
			opt.seed = (uint64_t)v;
		} else if (!strcmp(a, "--horizon")) {
			if (number(a, argv[++i], 1, FORECAST_HORIZON_MAX, &v))
				return EXIT_BAD_INPUT;
			opt.horizon_days = (int)v;
		} else {
			fprintf(stderr, "quan: unknown option '%s'\n\n%s", a,
				usage);
			return EXIT_BAD_INPUT;
		}
	}
	if (!db) {
		fputs(usage, stderr);
		return EXIT_BAD_INPUT;
	}
	if ((rc = cli_load_chips(chips_path, &chips)))
		return rc;
	qerr_clear(&e);
	if (office_open(&off, db, chips, &e)) {
		fprintf(stderr, "quan: %s\n", e.msg);
		chips_free(chips);
		return EXIT_BAD_INPUT;
	}
	opt.now = cli_now();
	rc = forecast_office(&off, &opt, &f, &e);
	if (!rc && json) {
		json_t *j = forecast_json(&f, 0);
		char *t =
			j ? json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER)
			  : NULL;

		if (t)
			puts(t);
		else
			rc = qerr_set(&e, Q_ERR_NOMEM, "", "out of memory");
		free(t);
		json_decref(j);
	} else if (!rc) {
		print_text(&f);
	}
	forecast_release(&f);
	office_close(&off);
	chips_free(chips);
	if (rc) {
		fprintf(stderr, "quan: %s\n", e.msg);
		return cli_exit_for(rc);
	}
	return 0;
}
