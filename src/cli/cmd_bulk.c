/*
 * cmd_bulk.c - `quan review --approve ID ID ...`: bulk approval from the
 * command line, as POST /v1/applications/approve (office/bulk.h).
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "engine/lang.h"
#include "office/bulk.h"
#include "office/office.h"

static const char *str(json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));

	return v ? v : "";
}

int cli_review_bulk(const char *db, const char *chips, const char *const *ids,
		    size_t n, const char *rate_t, const char *key,
		    const char *by, bool json, const char *lang)
{
	bool zh = cli_zh(lang);
	struct chip_catalog *cat = NULL;
	struct office off;
	struct qerr e;
	rate_bp rate = -1;
	json_t *out = NULL, *r;
	size_t i;
	int rc;

	qerr_clear(&e);
	if (rate_t &&
	    rate_parse_given(rate_t, strlen(rate_t), &rate, "--rate", &e)) {
		fprintf(stderr, "quan: %s\n", e.msg);
		return EXIT_BAD_INPUT;
	}
	if ((rc = cli_load_chips(chips, &cat)))
		return rc;
	if (office_open(&off, db, cat, &e)) {
		fprintf(stderr, "quan: %s\n", e.msg);
		chips_free(cat);
		return EXIT_BAD_INPUT;
	}
	cli_clock_mark(&off);
	rc = office_approve_bulk(&off, ids, n, rate, key, by, cli_now(), &out,
				 &e);
	office_close(&off);
	chips_free(cat);
	if (rc) {
		fprintf(stderr, "quan: %s\n", e.msg);
		return cli_exit_for(e.code);
	}
	if (zh && lang_localize_zh(out)) {
		json_decref(out);
		fputs("quan: out of memory\n", stderr);
		return EXIT_BAD_INPUT;
	}
	if (json) {
		char *t = json_dumps(out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

		if (t)
			puts(t);
		free(t);
	} else {
		json_array_foreach(json_object_get(out, "results"), i, r)
		{
			json_t *err = json_object_get(r, "error");

			const char *outcome = str(r, "outcome");

			if (zh)
				outcome = !strcmp(outcome, "approved")
						  ? "已批准"
					  : !strcmp(outcome, "refused")
						  ? "被拒绝"
						  : lang_state_zh(outcome);
			printf("%-16s %-24s %s%s\n", str(r, "id"), outcome,
			       err ? "" : str(r, "amount"),
			       err ? str(err, "message") : "");
		}
		printf(zh ? "已批准 %lld，待第二审批人 %lld，被拒绝 %lld\n"
			  : "approved %lld, waiting for a second approver "
			    "%lld, refused %lld\n",
		       (long long)json_integer_value(
			       json_object_get(out, "approved")),
		       (long long)json_integer_value(
			       json_object_get(out, "waiting")),
		       (long long)json_integer_value(
			       json_object_get(out, "refused")));
	}
	/* Exit 0 only when every id was approved or waits for its second. */
	rc = json_integer_value(json_object_get(out, "refused"))
		     ? EXIT_BAD_INPUT
		     : 0;
	json_decref(out);
	return rc;
}
