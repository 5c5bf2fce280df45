/*
 * cmd_policy.c - `quan policy check|test|fields`.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "policy/fields.h"

static const char usage[] =
	"usage: quan policy check FILE...\n"
	"       quan policy test TESTFILE...\n"
	"       quan policy fields\n"
	"\n"
	"check: report every problem as file:line:column: message (exit 2), or\n"
	"       print the policy's summary and content hash (exit 0); a text\n"
	"       without its Chinese (says_zh, assumption_zh) is a warning.\n"
	"test:  run YAML policy tests (docs/policy-tests.md); exit 1 if any\n"
	"       fails.\n"
	"fields: the facts that conditions may read, with their types.\n";

static void print_summary(const struct policy *p)
{
	char a[MONEY_TEXT_MAX];
	char d1[DATE_TEXT_MAX];
	size_t nassume = 0;

	for (size_t i = 0; i < p->nrules; i++)
		nassume += p->rules[i].assumption != NULL;
	for (size_t i = 0; i < p->nparams; i++)
		nassume += p->params[i].assumption != NULL;
	printf("%s: ok\n", p->path);
	printf("  program   %s — %s\n", p->program, p->name);
	printf("  issuer    %s\n", p->issuer);
	printf("  numbers   %s-YEAR-NNNNNN\n", p->number_prefix);
	if (p->published_in >= 0) {
		printf("  text      %s, published %s",
		       p->sources[p->published_in].id,
		       date_format(p->published, d1));
		if (p->retroactive_to < p->published)
			printf(", reaching back to %s",
			       date_format(p->retroactive_to, d1));
		printf("\n");
	}
	for (size_t i = 0; i < p->nlists; i++)
		printf("  list      %s — %s\n", p->lists[i].id,
		       p->lists[i].name);
	printf("  currency  %s, %zu sources, %zu parameters, %zu rules, %zu assumptions\n",
	       p->currency, p->nsources, p->nparams, p->nrules, nassume);
	for (size_t i = 0; i < p->npools; i++) {
		const struct policy_pool *pl = &p->pools[i];

		printf("  pool      %-10s", pl->id);
		if (pl->commitment)
			printf(" %d-%d: %s committed", pl->commit_from,
			       pl->commit_until,
			       money_format(pl->budgets[0].amount, a));
		for (size_t j = 0; !pl->commitment && j < pl->nbudgets; j++)
			printf(" %d: %s", pl->budgets[j].year,
			       money_format(pl->budgets[j].amount, a));
		printf("\n");
	}
	for (size_t i = 0; i < p->nmeasures; i++) {
		const struct policy_measure *m = &p->measures[i];

		printf("  measure   %-14s pool %-10s kinds", m->id,
		       p->pools[m->pool].id);
		for (int k = 0; k < KIND__COUNT; k++) {
			if (!(m->kinds & (1u << k)))
				continue;
			printf(" %s", kind_name((enum contract_kind)k));
			if (m->kind_from[k] != INT32_MIN)
				printf(" from %s",
				       date_format(m->kind_from[k], d1));
			if (m->kind_until[k] != INT32_MAX)
				printf(" until %s",
				       date_format(m->kind_until[k], d1));
		}
		if (m->from != INT32_MIN)
			printf(", signed from %s", date_format(m->from, d1));
		if (m->until != INT32_MAX)
			printf(", signed until %s", date_format(m->until, d1));
		printf("; %zu conditions, %zu rates (%s), %zu caps, %s",
		       m->nconds, m->nrows,
		       m->hit == HIT_FIRST ? "first"
		       : m->hit == HIT_MAX ? "max"
					   : "unique",
		       m->ncaps,
		       m->alloc == ALLOC_FCFS ? "first come first served"
					      : "pro-rata round");
		if (m->notice_days > 0)
			printf(", notice of %d working days", m->notice_days);
		printf("\n");
	}
	printf("  hash      %s\n", p->hash);
}

/* The files checked together are taken for programs of one office: two
 * programs with one number prefix would be refused there, so here too. */
#define CHECK_PREFIXES 64

static int policy_check(int argc, char **argv)
{
	char prefix[CHECK_PREFIXES][POLICY_PREFIX_MAX + 1];
	char program[CHECK_PREFIXES][72];
	const char *file[CHECK_PREFIXES];
	int worst = 0, n = 0;

	if (argc < 2) {
		fputs(usage, stderr);
		return EXIT_BAD_INPUT;
	}
	for (int i = 1; i < argc; i++) {
		struct policy *p = NULL;
		int rc = cli_load_policy(argv[i], &p);

		if (rc) {
			worst = rc > worst ? rc : worst;
			continue;
		}
		{
			struct diag_list d = DIAG_LIST_INIT;

			/* What an auditor needs beyond a policy that loads:
			 * sources that lead to their texts. */
			if (policy_check_sources(p, &d))
				rc = EXIT_BAD_POLICY;
			/* A text without its Chinese is a warning: the
			 * policy still loads and decides. */
			policy_check_zh(p, &d);
			diag_print(&d, stderr);
			diag_release(&d);
		}
		for (int k = 0; k < n; k++)
			if (!strcmp(prefix[k], p->number_prefix) &&
			    strcmp(program[k], p->program)) {
				fprintf(stderr,
					"%s: number_prefix '%s' is also the prefix of program '%s' (%s): one office cannot hold both\n",
					argv[i], p->number_prefix, program[k],
					file[k]);
				rc = EXIT_BAD_POLICY;
			}
		if (n < CHECK_PREFIXES) {
			snprintf(prefix[n], sizeof(prefix[n]), "%s",
				 p->number_prefix);
			snprintf(program[n], sizeof(program[n]), "%s",
				 p->program);
			file[n++] = argv[i];
		}
		if (rc) {
			worst = rc > worst ? rc : worst;
			policy_free(p);
			continue;
		}
		print_summary(p);
		policy_free(p);
	}
	return worst;
}

static int policy_fields(void)
{
	for (int i = 0; i < F__COUNT; i++)
		printf("%-34s %-7s%s %s\n", field_table[i].name,
		       qtype_name(field_table[i].type),
		       field_table[i].nullable ? "?" : " ", field_table[i].doc);
	printf("param.NAME                         the policy's dated parameters\n");
	printf("industry_in(S, [\"I65\", \"C\"])       bool     S lies within one of the GB/T 4754 codes\n");
	printf("supplier_on(\"LIST\")                bool     the supplier is on the policy's named list\n");
	return 0;
}

int cmd_policy(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_BAD_INPUT : 0;
	}
	if (!strcmp(argv[1], "check"))
		return policy_check(argc - 1, argv + 1);
	if (!strcmp(argv[1], "test"))
		return cmd_policy_test(argc - 1, argv + 1);
	if (!strcmp(argv[1], "fields"))
		return policy_fields();
	fprintf(stderr, "quan policy: unknown subcommand '%s'\n\n%s", argv[1],
		usage);
	return EXIT_BAD_INPUT;
}
