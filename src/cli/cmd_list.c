/*
 * cmd_list.c - `quan list`: the review queue's search from the command
 * line, the same parameters as GET /v1/applications (office/search.h).
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/textwidth.h"
#include "core/money.h"
#include "engine/lang.h"
#include "office/office.h"
#include "office/search.h"
#include "office/view.h"

static const char usage[] =
	"usage: quan list --db DB [PROGRAM] [--q TEXT] [--uscc-prefix P]\n"
	"         [--measure M] [--state S] [--flag yes|no]\n"
	"         [--amount-min YUAN] [--amount-max YUAN]\n"
	"         [--received-from DAY] [--received-to DAY]\n"
	"         [--sort received|-received|amount|-amount]\n"
	"         [--limit N] [--after CURSOR] [--json] [--lang en|zh]\n"
	"Search the office's applications, as GET /v1/applications does:\n"
	"the firm's name holding TEXT (two Chinese characters are enough), the\n"
	"USCC beginning with P, and the filters given; oldest received first\n"
	"(first come, first served) unless --sort says otherwise. A full page\n"
	"ends with 'next: CURSOR' (\"next_after\" with --json): pass it as\n"
	"--after, with the same options, for the next.\n"
	"--lang zh (or LC_ALL, LC_MESSAGES or LANG starting zh) names the\n"
	"states and texts in Chinese (in --json, in the English keys' place).\n";

struct listed {
	struct office *o;
	const struct search *sr;
	json_t *arr;
	char next[SEARCH_CURSOR_MAX];
};

static int one(void *arg, const struct store_app *a)
{
	struct listed *l = arg;

	json_array_append_new(l->arr, view_app_summary(l->o, a, cli_now()));
	search_cursor(l->sr, a, l->next);
	return 0;
}

static const char *js(json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));

	return v ? v : "";
}

/* --amount-min -> amount_min; NULL when arg is not an option of ours. */
static const char *param_of(const char *arg, char *buf, size_t cap)
{
	size_t n;

	if (strncmp(arg, "--", 2) || strlen(arg + 2) >= cap)
		return NULL;
	n = strlen(arg + 2);
	for (size_t i = 0; i <= n; i++)
		buf[i] = arg[2 + i] == '-' ? '_' : arg[2 + i];
	for (size_t i = 0; search_params[i]; i++)
		if (!strcmp(buf, search_params[i]))
			return search_params[i];
	return NULL;
}

int cmd_list(int argc, char **argv)
{
	const char *db = NULL, *program = NULL, *state = NULL, *chips = NULL;
	struct chip_catalog *cat = NULL;
	struct search sr;
	struct office off;
	struct listed l;
	struct qerr e;
	bool json = false;
	size_t i;
	json_t *a;
	const char *lang;
	int rc = Q_OK;

	for (int k = 1; k < argc; k++)
		if (cli_is_help(argv[k])) {
			fputs(usage, stdout);
			return 0;
		}
	if ((rc = cli_lang_take("list", &argc, argv, &lang)))
		return rc;

	search_init(&sr);
	qerr_clear(&e);
	for (int k = 1; k < argc && !rc; k++) {
		char buf[32];
		const char *p = param_of(argv[k], buf, sizeof(buf));
		bool more = k + 1 < argc;

		if (cli_is_help(argv[k])) {
			fputs(usage, stdout);
			return 0;
		} else if (!strcmp(argv[k], "--json")) {
			json = true;
		} else if (p || !strcmp(argv[k], "--db") ||
			   !strcmp(argv[k], "--state") ||
			   !strcmp(argv[k], "--limit") ||
			   !strcmp(argv[k], "--chips")) {
			const char *v = more ? argv[++k] : NULL;

			if (!v)
				rc = qerr_set(&e, Q_ERR_INVALID, "",
					      "%s needs a value", argv[k]);
			else if (p)
				rc = search_set(&sr, p, v, &e);
			else if (!strcmp(argv[k - 1], "--db"))
				db = v;
			else if (!strcmp(argv[k - 1], "--chips"))
				chips = v;
			else if (!strcmp(argv[k - 1], "--state"))
				state = v;
			else {
				char *end;

				sr.q.limit = strtol(v, &end, 10);
				if (*end || sr.q.limit < 1 || sr.q.limit > 1000)
					rc = qerr_set(&e, Q_ERR_INVALID,
						      "limit",
						      "--limit: 1 to 1000");
			}
		} else if (argv[k][0] != '-' && !program) {
			program = argv[k];
		} else {
			fputs(usage, stderr);
			return EXIT_BAD_INPUT;
		}
	}
	if (!rc && !db) {
		fputs(usage, stderr);
		return EXIT_BAD_INPUT;
	}
	if (!rc && state) {
		for (int k = 0; k < APP__STATE_COUNT; k++)
			if (!strcmp(state, app_state_name(k)))
				sr.q.state = k;
		if (sr.q.state < 0)
			rc = qerr_set(&e, Q_ERR_INVALID, "state",
				      "--state: not a state of an application");
	}
	if (!rc)
		rc = search_finish(&sr, &e);
	if (rc) {
		fprintf(stderr, "quan: %s\n", e.msg);
		return EXIT_BAD_INPUT;
	}
	sr.q.program = program;
	if ((rc = cli_load_chips(chips, &cat)))
		return rc;
	if (office_open(&off, db, cat, &e)) {
		fprintf(stderr, "quan: %s\n", e.msg);
		chips_free(cat);
		return EXIT_BAD_INPUT;
	}
	cli_clock_mark_in(&off, lang);
	l = (struct listed){&off, &sr, json_array(), ""};
	rc = l.arr ? store_app_search(off.store, &sr.q, one, &l, &e)
		   : qerr_set(&e, Q_ERR_NOMEM, "", "out of memory");
	if (!rc && cli_zh(lang) && lang_localize_zh(l.arr))
		rc = qerr_set(&e, Q_ERR_NOMEM, "", "out of memory");
	if (!rc && json) {
		json_t *out = json_pack("{s:O}", "applications", l.arr);

		if (out && (long)json_array_size(l.arr) == sr.q.limit)
			json_object_set_new(out, "next_after",
					    json_string(l.next));
		if (out) {
			char *t = json_dumps(out, JSON_INDENT(2) |
							  JSON_PRESERVE_ORDER);

			if (t)
				puts(t);
			free(t);
		}
		json_decref(out);
	} else if (!rc) {
		json_array_foreach(l.arr, i, a)
		{
			char st[64];

			printf("%-16s %s %-16s %-18s %14s  %-25s %s\n",
			       js(a, "id"),
			       textwidth_pad(st, sizeof(st),
					     cli_zh(lang) ? lang_state_zh(js(
								    a, "state"))
							  : js(a, "state"),
					     10),
			       js(a, "measure"), js(a, "uscc"),
			       js(a, "requested"), js(a, "received_at"),
			       js(a, "name"));
		}
		if ((long)json_array_size(l.arr) == sr.q.limit)
			printf(cli_zh(lang) ? "下一页：%s\n" : "next: %s\n",
			       l.next);
	}
	json_decref(l.arr);
	office_close(&off);
	chips_free(cat);
	if (rc) {
		fprintf(stderr, "quan: %s\n", e.msg);
		return cli_exit_for(e.code);
	}
	return 0;
}
