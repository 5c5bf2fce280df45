/*
 * cmd_compare.c - `quan compare`: a firm's planned year under every city's
 * program, side by side (engine/compare.h, docs/compare.md).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/cli.h"
#include "core/textwidth.h"
#include "core/file.h"
#include "engine/compare.h"
#include "engine/lang.h"

static const char usage[] =
	"usage: quan compare --profile FIRM.yaml [--json] [--policy FILE]...\n"
	"                    [--costs FILE] [--chips FILE] [--lang en|zh]\n"
	"Decide the firm's planned year (compute, model API spend, corpus)\n"
	"under each program, add its operating costs in that city (office\n"
	"rent, salaries, electricity: data/costs.yaml, each figure with its\n"
	"source or marked as an assumption), and rank the cities by net cost\n"
	"= planned spend + operating costs - subsidies. Without --policy,\n"
	"every policy in the bundled policies/ directory. The profile format\n"
	"is in docs/compare.md.\n"
	"--lang zh (or LC_ALL, LC_MESSAGES or LANG starting zh) gives the\n"
	"rules' texts and the cities' names in Chinese (in --json, in the\n"
	"English keys' place).\n";

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every *.yaml of dir, sorted, into paths (malloc'd each). */
static int policy_dir(const char *dir, char **paths, size_t max, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	*n = 0;
	if (!d) {
		fprintf(stderr, "quan: cannot read the policy directory '%s'\n",
			dir);
		return EXIT_BAD_INPUT;
	}
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);

		if (de->d_name[0] == '.' || l < 6 ||
		    strcmp(de->d_name + l - 5, ".yaml"))
			continue;
		if (*n == max) {
			fprintf(stderr,
				"quan: more than %zu policies in '%s'\n", max,
				dir);
			closedir(d);
			return EXIT_BAD_INPUT;
		}
		paths[*n] = malloc(strlen(dir) + l + 2);
		if (!paths[*n])
			break;
		snprintf(paths[*n], strlen(dir) + l + 2, "%s/%s", dir,
			 de->d_name);
		(*n)++;
	}
	closedir(d);
	qsort(paths, *n, sizeof(*paths), by_name);
	return 0;
}

static const char *s(json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));

	return v ? v : "";
}

static void print_rule(const char *what, json_t *r)
{
	if (r)
		printf("          %s %s: %s (%s)\n", what, s(r, "rule"),
		       s(r, "says"), s(r, "at"));
}

static void print_cost(const char *what, json_t *c)
{
	printf("    %-12s %16s = %s %s x %lld %s   [%s, %s]\n", what,
	       s(c, "amount"), s(c, "rate"), s(c, "unit"),
	       (long long)json_integer_value(json_object_get(c, "quantity")),
	       s(c, "quantity_unit"), s(c, "source"), s(c, "as_of"));
	if (json_is_string(json_object_get(c, "assumption")))
		printf("    %-12s assumption: %s\n", "", s(c, "assumption"));
}

static void print_text(json_t *j)
{
	json_t *cities = json_object_get(j, "cities"), *c, *firm;
	char city[96];
	size_t i, k, m;

	firm = json_object_get(j, "firm");
	printf("%s (%s): contracts signed %s\n\n", s(firm, "name"),
	       s(firm, "uscc"), s(j, "signed_on"));
	printf("%-4s %-15s %-20s %16s %16s %16s %16s\n", "rank", "program",
	       "city", "planned spend", "subsidies", "operating costs",
	       "net cost");
	json_array_foreach(cities, i, c) printf(
		"%-4lld %-15s %s %16s %16s %16s %16s\n",
		(long long)json_integer_value(json_object_get(c, "rank")),
		s(c, "program"),
		textwidth_pad(city, sizeof(city), s(c, "city_name"), 20),
		s(c, "planned_spend"), s(c, "subsidies"),
		s(c, "operating_costs"), s(c, "net_cost"));
	json_array_foreach(cities, i, c)
	{
		json_t *items = json_object_get(c, "items"), *it, *costs;

		printf("\n%lld. %s (%s)\n",
		       (long long)json_integer_value(
			       json_object_get(c, "rank")),
		       s(c, "program"), s(c, "city_name"));
		json_array_foreach(items, k, it)
		{
			json_t *ds = json_object_get(it, "decisions"), *d;

			printf("  %s %s %s: subsidy %s%s%s\n", s(it, "item"),
			       s(it, "kind"), s(it, "value"), s(it, "subsidy"),
			       json_is_string(json_object_get(it, "measure"))
				       ? " by "
				       : " (no measure pays)",
			       s(it, "measure"));
			json_array_foreach(ds, m, d)
			{
				json_t *caps = json_object_get(d, "caps"), *x;
				size_t q;

				printf("      %-14s %-12s rate %-6s amount %16s%s\n",
				       s(d, "measure"),
				       json_is_true(
					       json_object_get(d, "eligible"))
					       ? "eligible"
					       : "not eligible",
				       s(d, "rate"), s(d, "amount"),
				       json_is_true(
					       json_object_get(d, "counted"))
					       ? "  (counted)"
					       : "");
				print_rule("rate",
					   json_object_get(d, "rate_rule"));
				json_array_foreach(caps, q, x)
				{
					print_rule("cap", x);
					printf("          limit %s, cut %s\n",
					       s(x, "limit"), s(x, "cut"));
				}
				json_array_foreach(
					json_object_get(d, "not_met"), q, x)
					print_rule("not met", x);
			}
		}
		costs = json_object_get(c, "costs");
		printf("  operating costs %s\n", s(c, "operating_costs"));
		print_cost("office", json_object_get(costs, "office"));
		print_cost("salaries", json_object_get(costs, "salaries"));
		print_cost("electricity",
			   json_object_get(costs, "electricity"));
	}
	if (json_is_object(json_object_get(j, "why")))
		printf("\nwhy: %s\n", s(json_object_get(j, "why"), "text"));
	printf("richest subsidies: %s (%s); lowest operating costs: %s (%s)\n",
	       s(json_object_get(j, "richest"), "program"),
	       s(json_object_get(j, "richest"), "subsidies"),
	       s(json_object_get(j, "cheapest"), "program"),
	       s(json_object_get(j, "cheapest"), "operating_costs"));
	printf("\nnotes:\n");
	json_array_foreach(json_object_get(j, "notes"), i, c)
		printf("  - %s\n", json_string_value(c));
}

int cli_compare_load(struct cost_table **costs, struct policy **pols, size_t *n)
{
	const char *costs_path = getenv("QUAN_COSTS");
	char *paths[COMPARE_MAX_PROGRAMS];
	size_t npaths = 0;
	struct qerr e;
	char *text = NULL;
	size_t len = 0;
	int rc;

	*n = 0;
	*costs = NULL;
	if (!costs_path)
		costs_path = QUAN_DATADIR "/costs.yaml";
	qerr_clear(&e);
	if (file_read(costs_path, COSTS_MAX_BYTES, "a cost table", &text, &len,
		      &e) ||
	    costs_load_buf(costs_path, text, len, costs, &e)) {
		fprintf(stderr, "quan: %s\n", e.msg);
		free(text);
		return EXIT_BAD_INPUT;
	}
	free(text);
	rc = policy_dir(QUAN_POLICYDIR, paths, COMPARE_MAX_PROGRAMS, &npaths);
	for (size_t i = 0; !rc && i < npaths; i++)
		if (!(rc = cli_load_policy(paths[i], &pols[*n])))
			(*n)++;
	for (size_t i = 0; i < npaths; i++)
		free(paths[i]);
	return rc;
}

int cmd_compare(int argc, char **argv)
{
	const char *profile = NULL, *costs_path = NULL, *chips_path = NULL;
	char *paths[COMPARE_MAX_PROGRAMS];
	const char *given[COMPARE_MAX_PROGRAMS];
	struct policy *pols[COMPARE_MAX_PROGRAMS];
	size_t npaths = 0, ngiven = 0, npols = 0;
	struct chip_catalog *chips = NULL;
	struct cost_table *costs = NULL;
	struct profile pr;
	struct qerr e;
	char *text = NULL;
	size_t len = 0;
	json_t *out = NULL;
	const char *lang;
	int json = 0, rc = 0;

	if ((rc = cli_lang_take("compare", &argc, argv, &lang)))
		return rc;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char **slot = NULL;

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			fputs(usage, stdout);
			return 0;
		}
		if (!strcmp(a, "--json")) {
			json = 1;
			continue;
		}
		if (!strcmp(a, "--profile"))
			slot = &profile;
		else if (!strcmp(a, "--costs"))
			slot = &costs_path;
		else if (!strcmp(a, "--chips"))
			slot = &chips_path;
		else if (!strcmp(a, "--policy")) {
			if (ngiven == COMPARE_MAX_PROGRAMS) {
				fprintf(stderr, "quan: at most %d policies\n",
					COMPARE_MAX_PROGRAMS);
				return EXIT_BAD_INPUT;
			}
			slot = &given[ngiven++];
		}
		if (!slot || i + 1 >= argc) {
			fprintf(stderr, "quan: %s '%s'\n\n%s",
				slot ? "a value is needed after"
				     : "unknown option",
				a, usage);
			return EXIT_BAD_INPUT;
		}
		*slot = argv[++i];
	}
	if (!profile) {
		fprintf(stderr, "quan: --profile FILE is required\n\n%s",
			usage);
		return EXIT_BAD_INPUT;
	}
	qerr_clear(&e);
	if (file_read(profile, PROFILE_MAX_BYTES, "a profile", &text, &len,
		      &e) ||
	    profile_load_buf(profile, text, len, &pr, &e)) {
		fprintf(stderr, "quan: %s\n", e.msg);
		free(text);
		return EXIT_BAD_INPUT;
	}
	free(text);
	text = NULL;
	if (!costs_path)
		costs_path = getenv("QUAN_COSTS");
	if (!costs_path)
		costs_path = QUAN_DATADIR "/costs.yaml";
	if (file_read(costs_path, COSTS_MAX_BYTES, "a cost table", &text, &len,
		      &e) ||
	    costs_load_buf(costs_path, text, len, &costs, &e)) {
		fprintf(stderr, "quan: %s\n", e.msg);
		free(text);
		return EXIT_BAD_INPUT;
	}
	free(text);
	if ((rc = cli_load_chips(chips_path, &chips)))
		goto out;
	if (!ngiven) {
		if ((rc = policy_dir(QUAN_POLICYDIR, paths,
				     COMPARE_MAX_PROGRAMS, &npaths)))
			goto out;
		for (size_t i = 0; i < npaths; i++)
			given[ngiven++] = paths[i];
	}
	for (size_t i = 0; i < ngiven; i++) {
		if ((rc = cli_load_policy(given[i], &pols[npols])))
			goto out;
		npols++;
	}
	rc = compare_run(&pr, (const struct policy *const *)pols, npols, chips,
			 costs, &out, &e);
	if (rc) {
		fprintf(stderr, "quan: %s\n", e.msg);
		rc = cli_exit_for(rc);
		goto out;
	}
	if (cli_zh(lang) && lang_localize_zh(out)) {
		fputs("quan: out of memory\n", stderr);
		rc = EXIT_BAD_INPUT;
		goto out;
	}
	if (json) {
		char *t = json_dumps(out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

		if (t)
			puts(t);
		free(t);
	} else {
		print_text(out);
	}
out:
	json_decref(out);
	for (size_t i = 0; i < npols; i++)
		policy_free(pols[i]);
	for (size_t i = 0; i < npaths; i++)
		free(paths[i]);
	chips_free(chips);
	costs_free(costs);
	return rc;
}
