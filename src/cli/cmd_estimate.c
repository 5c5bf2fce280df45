/*
 * cmd_estimate.c - `quan estimate`: decide applications with no database.
 *
 * Several --policy files may be given; each application is decided under
 * the policy of its `program`. Without a database, yearly caps per
 * applicant count this contract alone, and the output says so.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "engine/app.h"
#include "engine/decide.h"
#include "engine/lang.h"
#include "engine/render.h"

#define MAX_POLICIES 16

static const char usage[] =
	"usage: quan estimate --policy FILE [--policy FILE...] [--chips FILE]\n"
	"                     [--at TIME] [--on-list ID...] [--json | --table]\n"
	"                     [--lang en|zh]\n"
	"                     APPLICATION.json...\n"
	"\n"
	"Decide each application under the policy of its program, without a\n"
	"database: yearly caps per applicant count this contract alone.\n"
	"The application is taken as received now, or at --at TIME (like\n"
	"2025-09-01T10:00:00+08:00): the window and fiscal year follow it.\n"
	"Without a database the supplier is on none of a program's named\n"
	"supplier lists, unless --on-list ID (repeatable) says it is on ID.\n"
	"One application prints its explanation; several print a table.\n"
	"--json prints the decision (an array for several applications).\n"
	"--lang zh gives the labels, the policy's texts and the trace in\n"
	"Chinese (in --json, in the English keys' place); without it, LC_ALL,\n"
	"LC_MESSAGES or LANG starting 'zh' does the same. The default is\n"
	"English.\n"
	"Exit: 0 decided (eligible or not), 1 bad input, 2 bad policy.\n";

struct opts {
	const char *policies[MAX_POLICIES];
	int npolicies;
	const char *chips;
	const char *at;
	const char *lists[POLICY_MAX_LISTS];
	int nlists;
	int json, table;
	const char *lang; /* "zh" or "en" */
	char **apps;
	int napps;
};

/* Options may stand before or after the application files; `--` ends
 * them. The application paths are gathered in argv's own storage. */
static int parse_opts(int argc, char **argv, struct opts *o)
{
	int only_files = 0;

	memset(o, 0, sizeof(*o));
	o->apps = argv + 1;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (only_files || a[0] != '-' || !a[1]) {
			o->apps[o->napps++] = argv[i];
		} else if (!strcmp(a, "--")) {
			only_files = 1;
		} else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			fputs(usage, stdout);
			exit(0);
		} else if (!strcmp(a, "--policy") && i + 1 < argc) {
			if (o->npolicies == MAX_POLICIES) {
				fprintf(stderr,
					"quan estimate: at most %d policies\n",
					MAX_POLICIES);
				return -1;
			}
			o->policies[o->npolicies++] = argv[++i];
		} else if (!strcmp(a, "--chips") && i + 1 < argc) {
			o->chips = argv[++i];
		} else if (!strcmp(a, "--at") && i + 1 < argc) {
			o->at = argv[++i];
		} else if (!strcmp(a, "--on-list") && i + 1 < argc) {
			if (o->nlists == POLICY_MAX_LISTS) {
				fprintf(stderr,
					"quan estimate: at most %d --on-list\n",
					POLICY_MAX_LISTS);
				return -1;
			}
			o->lists[o->nlists++] = argv[++i];
		} else if (!strcmp(a, "--json")) {
			o->json = 1;
		} else if (!strcmp(a, "--table")) {
			o->table = 1;
		} else if (!strcmp(a, "--lang") && i + 1 < argc) {
			o->lang = argv[++i]; /* checked by cmd_estimate */
		} else {
			fprintf(stderr,
				"quan estimate: unknown option '%s' (or it needs a value)\n\n%s",
				a, usage);
			return -1;
		}
	}
	if (!o->npolicies || !o->napps) {
		fputs(usage, stderr);
		return -1;
	}
	return 0;
}

/* The bits of p's named lists that --on-list names. */
static uint64_t lists_of(const struct policy *p, const struct opts *o)
{
	uint64_t bits = 0;

	for (int i = 0; i < o->nlists; i++) {
		int k = policy_find_list(p, o->lists[i], strlen(o->lists[i]));

		if (k >= 0)
			bits |= (uint64_t)1 << k;
	}
	return bits;
}

/* What names an estimated application (no office numbered it): its
 * client_ref, or its file. */
static const char *label(const struct application *a, const char *file)
{
	return a->client_ref ? a->client_ref : file;
}

static void print_explanation(const struct policy *p,
			      const struct application *a,
			      const struct decision *d, const char *file,
			      uint64_t lists, const char *lang)
{
	bool zh = !strcmp(lang, "zh");
#define L(en, cn) (zh ? (cn) : (en))

	char m1[MONEY_TEXT_MAX], r[RATE_TEXT_MAX], at[512], words[512];

	char when[DATETIME_TEXT_MAX];

	printf("%s — %s / %s\n", label(a, file), p->program,
	       p->measures[d->measure].id);
	printf(L("  received   %s (hypothetical: --at, or now)\n",
		 "  受理时间   %s（假设：--at 或当前时间）\n"),
	       datetime_format(a->received_at, when));
	printf(L("  policy     %s\n", "  政策       %s\n"), p->hash);
	printf(L("  eligible   %s\n", "  符合条件   %s\n"),
	       d->eligible ? L("yes", "是") : L("no", "否"));
	for (uint16_t i = 0; i < d->nreasons; i++) {
		const struct policy_rule *ru = &p->rules[d->reasons[i]];

		const char *says = policy_rule_says(ru, lang);

		printf(L("  not met    %s%s%s  (%s)\n",
			 "  未满足     %s%s%s  （%s）\n"),
		       ru->id, says ? L(": ", "：") : "", says ? says : "",
		       render_rule_at(p, d->reasons[i], at, sizeof(at)));
	}
	if (d->eligible) {
		const struct policy_rule *ru = &p->rules[d->rate_rule];

		printf(L("  base       %s yuan\n", "  基数       %s 元\n"),
		       money_format(d->base, m1));
		const char *says = policy_rule_says(ru, lang);

		printf(L("  rate       %s  by %s%s%s  (%s)\n",
			 "  比例       %s  依据 %s%s%s  （%s）\n"),
		       rate_format(d->rate, r), ru->id,
		       says ? L(": ", "：") : "", says ? says : "",
		       render_rule_at(p, d->rate_rule, at, sizeof(at)));
		printf(L("  gross      %s yuan\n", "  封顶前     %s 元\n"),
		       money_format(d->gross, m1));
		for (uint16_t i = 0; i < d->ncaps; i++) {
			char m2[MONEY_TEXT_MAX];

			printf(L("  cap        %s: limit %s, cut %s\n",
				 "  封顶       %s：上限 %s，核减 %s\n"),
			       p->rules[d->caps[i].rule].id,
			       money_format(d->caps[i].limit, m1),
			       money_format(d->caps[i].cut, m2));
		}
	}
	printf(L("  amount     %s yuan\n", "  补贴金额   %s 元\n"),
	       money_format(d->amount, m1));
	for (uint16_t i = 0; i < d->nflags; i++) {
		char m2[MONEY_TEXT_MAX], m3[MONEY_TEXT_MAX];

		printf(L("  flag       soft_cap_exceeded: %s limit %s, above it %s; a reviewer may approve up to %s yuan\n",
			 "  标记       soft_cap_exceeded：%s 上限 %s，超出 %s；审核人最多可批准 %s 元\n"),
		       p->rules[d->flags[i].rule].id,
		       money_format(d->flags[i].limit, m1),
		       money_format(d->flags[i].above, m2),
		       money_format(d->flags[i].up_to, m3));
	}
	if (d->review_up_to > d->amount)
		printf(L("  review     a reviewer may approve up to %s yuan\n",
			 "  审核       审核人最多可批准 %s 元\n"),
		       money_format(d->review_up_to, m1));
	for (uint16_t i = 0; i < d->nfunders; i++) {
		const struct policy_rule *ru = &p->rules[d->funders[i].rule];

		printf(L("  funder     %s: %s yuan%s%s%s\n",
			 "  出资方     %s：%s 元%s%s%s\n"),
		       ru->id, money_format(d->funders[i].amount, m1),
		       decision_funder_external(p, d, i)
			       ? L(" (external: not the pool's)",
				   "（外部出资：不由本资金池承担）")
			       : "",
		       policy_rule_says(ru, lang) ? "  " : "",
		       policy_rule_says(ru, lang) ? policy_rule_says(ru, lang)
						  : "");
	}
	/* Each rule with its place in the policy file, as `quan show` and
	 * the README give it: file:line:column. */
	printf(L("  trace\n", "  逐条规则\n"));
	for (uint16_t i = 0; i < d->ntrace; i++)
		printf("    %-44s %s  (%s)\n", p->rules[d->trace[i].rule].id,
		       zh ? render_trace_words_zh(p, &d->trace[i], words,
						  sizeof(words))
			  : render_trace_words(p, &d->trace[i], words,
					       sizeof(words)),
		       render_rule_at(p, d->trace[i].rule, at, sizeof(at)));
	if (d->yearly_caps_without_history)
		printf(L(
			"  note       no database: yearly caps per applicant count this contract alone\n",
			"  注         未连接数据库：每个申请人的年度上限只计本合同\n"));
	if (p->nlists && !lists)
		printf(L(
			"  note       no database: the supplier counts as on none of the policy's supplier lists (--on-list ID says otherwise)\n",
			"  注         未连接数据库：供应商视为不在政策的任何供应商名单上（--on-list ID 可另行指定）\n"));
	for (size_t k = 0; k < p->nlists; k++)
		if ((lists >> k) & 1)
			printf(L("  note       no database: the supplier counts as on list %s, as --on-list says\n",
				 "  注         未连接数据库：按 --on-list 所示，供应商视为在名单 %s 上\n"),
			       p->lists[k].id);
#undef L
}

static void print_row(const char *file, const struct policy *p,
		      const struct application *a, const struct decision *d)
{
	char m1[MONEY_TEXT_MAX], m2[MONEY_TEXT_MAX], r[RATE_TEXT_MAX];
	const char *why = "";

	if (d->nreasons)
		why = p->rules[d->reasons[0]].id;
	else if (d->ncaps)
		why = p->rules[d->caps[d->ncaps - 1].rule].id;
	else if (d->rate_rule >= 0)
		why = p->rules[d->rate_rule].id;
	printf("%-20s %-14s %-15s %-4s %6s %16s %16s  %s\n", label(a, file),
	       p->program, p->measures[d->measure].id,
	       d->eligible ? "yes" : "no", rate_format(d->rate, r),
	       money_format(d->gross, m1), money_format(d->amount, m2), why);
}

static struct policy *policy_for(struct policy **ps, int n, const char *prog)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(ps[i]->program, prog))
			return ps[i];
	return NULL;
}

int cmd_estimate(int argc, char **argv)
{
	struct opts o;
	struct policy *ps[MAX_POLICIES] = {0};
	struct chip_catalog *chips = NULL;
	json_t *all = NULL;
	int worst = 0;
	int rc;

	int64_t at = cli_now();

	if (parse_opts(argc, argv, &o))
		return EXIT_BAD_INPUT;
	if ((rc = cli_lang_arg("estimate", o.lang, &o.lang)))
		return rc;
	if (o.at) {
		struct qerr e;

		qerr_clear(&e);
		if (datetime_parse(o.at, strlen(o.at), &at, NULL, "--at", &e)) {
			fprintf(stderr, "quan: %s\n", e.msg);
			return EXIT_BAD_INPUT;
		}
	}
	for (int i = 0; i < o.npolicies; i++) {
		rc = cli_load_policy(o.policies[i], &ps[i]);
		if (rc) {
			worst = rc;
			goto out;
		}
	}
	/* A list no policy declares is a typo, not "on no list". */
	for (int i = 0; i < o.nlists; i++) {
		bool known = false;

		for (int k = 0; k < o.npolicies && !known; k++)
			known = policy_find_list(ps[k], o.lists[i],
						 strlen(o.lists[i])) >= 0;
		if (!known) {
			fprintf(stderr,
				"quan: --on-list '%s' is not a supplier list of the policies given\n",
				o.lists[i]);
			worst = EXIT_BAD_INPUT;
			goto out;
		}
	}
	rc = cli_load_chips(o.chips, &chips);
	if (rc) {
		worst = rc;
		goto out;
	}
	if (o.napps > 1 || o.table)
		o.table = !o.json;
	if (o.json && o.napps > 1)
		all = json_array();
	if (o.table)
		printf("%-20s %-14s %-15s %-4s %6s %16s %16s  %s\n",
		       "application", "program", "measure", "elig", "rate",
		       "gross", "amount", "decided by");
	for (int i = 0; i < o.napps; i++) {
		struct application a;
		struct decision d;
		struct qerr e;
		struct policy *p = NULL;
		json_t *j = NULL;

		qerr_clear(&e);
		rc = app_load_file(o.apps[i], &a, &e);
		if (rc == Q_OK) {
			rc = app_receive(&a, at, &e);
		}
		if (rc == Q_OK) {
			p = policy_for(ps, o.npolicies, a.program);
			if (!p)
				rc = qerr_set(
					&e, Q_ERR_UNKNOWN_PROGRAM, "program",
					"program: no policy given for '%.64s'",
					a.program);
		}
		if (rc == Q_OK)
			rc = decide_listed(p, &a, chips, NULL, lists_of(p, &o),
					   &d, &e);
		if (rc) {
			fprintf(stderr, "%s: %s\n", o.apps[i], e.msg);
			if (o.json)
				j = render_error_json(&e);
			worst = cli_exit_for(rc) > worst ? cli_exit_for(rc)
							 : worst;
		} else if (o.json) {
			j = render_decision_json(p, &a, &d);
			if (j && !strcmp(o.lang, "zh") && lang_localize_zh(j)) {
				json_decref(j);
				j = NULL;
			}
		} else if (o.table) {
			print_row(o.apps[i], p, &a, &d);
		} else {
			print_explanation(p, &a, &d, o.apps[i], lists_of(p, &o),
					  o.lang);
		}
		if (j && all) {
			json_array_append_new(all, j);
		} else if (j) {
			char *s = json_dumps(j, JSON_INDENT(2) |
							JSON_PRESERVE_ORDER);

			if (s)
				puts(s);
			free(s);
			json_decref(j);
		}
		app_release(&a);
	}
	if (all) {
		char *s = json_dumps(all, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

		if (s)
			puts(s);
		free(s);
		json_decref(all);
	}
	if (o.table)
		printf("no database: yearly caps per applicant count each contract alone\n");
out:
	for (int i = 0; i < o.npolicies; i++)
		policy_free(ps[i]);
	chips_free(chips);
	return worst;
}
