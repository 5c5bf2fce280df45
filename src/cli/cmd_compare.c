/*
 * cmd_compare.c - `quan compare`: a firm's planned year under every city's
 * program, side by side (engine/compare.h, docs/compare.md).
 */
#include <assert.h>
#include <dirent.h>
#include <stdbool.h>
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
	"--lang zh (or LC_ALL, LC_MESSAGES or LANG starting zh) prints it\n"
	"all in Chinese: labels, rules' texts, cities, units, assumptions,\n"
	"why and notes; source titles stay as published (in --json, the\n"
	"Chinese in the English keys' place, the _zh twins kept).\n";

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

/* en, or zh under --lang zh. */
#define TR(zh_on, en, zh) ((zh_on) ? (zh) : (en))

/* t right-aligned in width columns, into out (n bytes). */
static const char *rpad(char *out, size_t n, const char *t, size_t width)
{
	size_t w = textwidth(t), k = 0;

	assert(n > 0 && t);
	while (w + k < width && k + 1 < n)
		out[k++] = ' ';
	snprintf(out + k, n - k, "%s", t);
	return out;
}

/* A contract kind in words (the JSON keeps the kind's code). */
static const char *kind_words(const char *kind, bool zh)
{
	static const struct {
		const char *en, *zh;
	} kinds[] = {
		{"rent", "租用算力"},
		{"buy", "购买"},
		{"build", "自建"},
		{"api", "接口调用"},
		{"private-deployment", "私有化部署"},
		{"corpus", "语料"},
		{"grant", "资助"},
	};

	assert(kind);
	for (size_t i = 0; zh && i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strcmp(kind, kinds[i].en))
			return kinds[i].zh;
	return kind;
}

static void print_rule(const char *what, json_t *r, bool zh)
{
	if (r)
		printf(TR(zh, "          %s %s: %s (%s)\n",
			  "          %s %s：%s（%s）\n"),
		       what, s(r, "rule"), s(r, "says"), s(r, "at"));
}

static void print_cost(const char *what, json_t *c, bool zh)
{
	char w[64];

	printf("    %s %16s = %s %s %s %lld %s   [%s, %s]\n",
	       textwidth_pad(w, sizeof(w), what, 12), s(c, "amount"),
	       s(c, "rate"), s(c, "unit"), TR(zh, "x", "×"),
	       (long long)json_integer_value(json_object_get(c, "quantity")),
	       s(c, "quantity_unit"), s(c, "source"), s(c, "as_of"));
	if (json_is_string(json_object_get(c, "assumption")))
		printf("    %-12s %s%s\n", "", TR(zh, "assumption: ", "假设："),
		       s(c, "assumption"));
}

static void print_decision(json_t *d, bool zh)
{
	json_t *caps = json_object_get(d, "caps"), *x;
	bool ok = json_is_true(json_object_get(d, "eligible"));
	char el[64];
	size_t q;

	printf("      %-14s %s %s %-6s %s %16s%s\n", s(d, "measure"),
	       textwidth_pad(el, sizeof(el),
			     ok ? TR(zh, "eligible", "符合条件")
				: TR(zh, "not eligible", "不符合条件"),
			     12),
	       TR(zh, "rate", "比例"), s(d, "rate"), TR(zh, "amount", "金额"),
	       s(d, "amount"),
	       json_is_true(json_object_get(d, "counted"))
		       ? TR(zh, "  (counted)", "  （计入）")
		       : "");
	print_rule(TR(zh, "rate", "比例"), json_object_get(d, "rate_rule"), zh);
	json_array_foreach(caps, q, x)
	{
		print_rule(TR(zh, "cap", "上限"), x, zh);
		printf(TR(zh, "          limit %s, cut %s\n",
			  "          限额 %s，削减 %s\n"),
		       s(x, "limit"), s(x, "cut"));
	}
	json_array_foreach(json_object_get(d, "not_met"), q, x)
		print_rule(TR(zh, "not met", "未满足"), x, zh);
}

static void print_header(bool zh)
{
	static const char *const en[7] = {
		"rank",	     "program",		"city",	   "planned spend",
		"subsidies", "operating costs", "net cost"};
	static const char *const cn[7] = {"排名",     "项目", "城市",
					  "计划支出", "补贴", "运营成本",
					  "净成本"};
	const char *const *h = zh ? cn : en;
	char b[7][64];

	printf("%s %s %s %s %s %s %s\n", textwidth_pad(b[0], 64, h[0], 4),
	       textwidth_pad(b[1], 64, h[1], 15),
	       textwidth_pad(b[2], 64, h[2], 20), rpad(b[3], 64, h[3], 16),
	       rpad(b[4], 64, h[4], 16), rpad(b[5], 64, h[5], 16),
	       rpad(b[6], 64, h[6], 16));
}

static void print_text(json_t *j, bool zh)
{
	json_t *cities = json_object_get(j, "cities"), *c, *firm;
	char city[96];
	size_t i, k, m;

	firm = json_object_get(j, "firm");
	printf(TR(zh, "%s (%s): contracts signed %s\n\n",
		  "%s（%s）：合同签订日 %s\n\n"),
	       s(firm, "name"), s(firm, "uscc"), s(j, "signed_on"));
	print_header(zh);
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

		printf(TR(zh, "\n%lld. %s (%s)\n", "\n%lld. %s（%s）\n"),
		       (long long)json_integer_value(
			       json_object_get(c, "rank")),
		       s(c, "program"), s(c, "city_name"));
		json_array_foreach(items, k, it)
		{
			json_t *d;
			bool paid =
				json_is_string(json_object_get(it, "measure"));

			if (paid)
				printf(TR(zh, "  %s %s %s: subsidy %s by %s\n",
					  "  %s %s %s：补贴 %s，由 %s 支付\n"),
				       s(it, "item"),
				       kind_words(s(it, "kind"), zh),
				       s(it, "value"), s(it, "subsidy"),
				       s(it, "measure"));
			else
				printf(TR(zh,
					  "  %s %s %s: subsidy %s (no measure "
					  "pays)\n",
					  "  %s %s %s：补贴 %s（无措施支付）\n"),
				       s(it, "item"),
				       kind_words(s(it, "kind"), zh),
				       s(it, "value"), s(it, "subsidy"));
			json_array_foreach(json_object_get(it, "decisions"), m,
					   d) print_decision(d, zh);
		}
		costs = json_object_get(c, "costs");
		printf(TR(zh, "  operating costs %s\n", "  运营成本 %s\n"),
		       s(c, "operating_costs"));
		print_cost(TR(zh, "office", "办公室租金"),
			   json_object_get(costs, "office"), zh);
		print_cost(TR(zh, "salaries", "工资"),
			   json_object_get(costs, "salaries"), zh);
		print_cost(TR(zh, "electricity", "电费"),
			   json_object_get(costs, "electricity"), zh);
	}
	if (json_is_object(json_object_get(j, "why")))
		printf(TR(zh, "\nwhy: %s\n", "\n原因：%s\n"),
		       s(json_object_get(j, "why"), "text"));
	printf(TR(zh,
		  "richest subsidies: %s (%s); lowest operating costs: %s "
		  "(%s)\n",
		  "补贴最多：%s（%s）；运营成本最低：%s（%s）\n"),
	       s(json_object_get(j, "richest"), "program"),
	       s(json_object_get(j, "richest"), "subsidies"),
	       s(json_object_get(j, "cheapest"), "program"),
	       s(json_object_get(j, "cheapest"), "operating_costs"));
	printf(TR(zh, "\nnotes:\n", "\n说明：\n"));
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
		print_text(out, cli_zh(lang));
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
