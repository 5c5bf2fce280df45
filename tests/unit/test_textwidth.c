/*
 * test_textwidth.c - terminal columns of UTF-8 text (core/textwidth.h), and
 * a history detail in Chinese words (engine/detail_zh.h) with the same
 * labels as the dashboard's (web/static/i18n-zh.js).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/textwidth.h"
#include "engine/detail_zh.h"

static void test_width(void **state)
{
	(void)state;
	assert_int_equal(textwidth(""), 0);
	assert_int_equal(textwidth("reserved"), 8);
	/* three bytes each, two columns each */
	assert_int_equal(strlen("已预留"), 9);
	assert_int_equal(textwidth("已预留"), 6);
	/* fullwidth punctuation is wide, as a terminal draws it */
	assert_int_equal(textwidth("（此前）"), 8);
	assert_int_equal(textwidth("SH-2025 批准"), 12);
	/* a combining accent takes no column; an invalid byte takes one */
	assert_int_equal(textwidth("e\xcc\x81"), 1);
	assert_int_equal(textwidth("a\xff"), 2);
	assert_int_equal(textwidth("\xe4"), 1); /* cut sequence */
}

static void test_pad(void **state)
{
	char b[32];

	(void)state;
	/* the bug this fixes: "%-10s" of 已预留 is one column wide short of
	 * ten by three, since it counts 9 bytes */
	assert_string_equal(textwidth_pad(b, sizeof(b), "已预留", 10),
			    "已预留    ");
	assert_int_equal(textwidth(b), 10);
	assert_string_equal(textwidth_pad(b, sizeof(b), "awarded", 10),
			    "awarded   ");
	/* as wide or wider: as it is */
	assert_string_equal(textwidth_pad(b, sizeof(b), "统一社会信用代码", 4),
			    "统一社会信用代码");
	/* a small buffer cuts at a whole character, never inside one */
	assert_string_equal(textwidth_pad(b, 8, "已预留", 10), "已预 ");
	assert_string_equal(textwidth_pad(b, 1, "abc", 3), "");
}

static void test_detail_text(void **state)
{
	char *t;

	(void)state;
	t = detail_zh_text("{\"why\":\"late\",\"why_zh\":\"逾期\","
			   "\"amount\":\"100.00\",\"state\":\"awarded\","
			   "\"eligible\":false,\"seq\":7,\"x_code\":null}");
	assert_non_null(t);
	assert_string_equal(t, "理由：逾期 · 金额：100.00 · 状态：已批准 · "
			       "符合条件：否 · 序号：7 · x_code：—");
	free(t);
	t = detail_zh_text("{\"app\":{\"state\":\"reserved\"},"
			   "\"transfers\":[\"a\",\"b\"]}");
	assert_string_equal(t, "申请：{状态：已预留} · 转账：[a, b]");
	free(t);
	/* not an object: as it is */
	t = detail_zh_text("plain words");
	assert_string_equal(t, "plain words");
	free(t);
	t = detail_zh_text(NULL);
	assert_string_equal(t, "");
	free(t);
}

/* Each "'PREFIXkey': 'value'" line of web/static/FILE whose value is
 * Chinese (the zh dictionary), checked against look; the number seen. */
static size_t check_labels(const char *file, const char *prefix,
			   const char *(*look)(const char *))
{
	char path[512], line[512], pat[32];
	size_t seen = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/../web/static/%s", QUAN_DATADIR, file);
	snprintf(pat, sizeof(pat), "'%s", prefix);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		char *k = strstr(line, pat), *e, *v, *ve;

		if (!k)
			continue;
		k += strlen(pat);
		e = strchr(k, '\'');
		assert_non_null(e);
		*e = '\0';
		v = strchr(e + 1, '\'');
		assert_non_null(v);
		v++;
		ve = strchr(v, '\'');
		assert_non_null(ve);
		*ve = '\0';
		if (!((unsigned char)v[0] & 0x80))
			continue; /* the English dictionary */
		if (!look(k) || strcmp(look(k), v))
			fail_msg("%s: %s%s: dashboard '%s', quan show '%s'",
				 file, prefix, k, v,
				 look(k) ? look(k) : "(none)");
		seen++;
	}
	fclose(f);
	return seen;
}

/* Every Chinese "dk." label (a detail's key) and "act." name (an audit
 * action) of the dashboard is in quan's tables with the same words, and
 * the tables have none the dashboard lacks, so that `quan show --lang zh`
 * and the dashboard's history say the same. */
static void test_labels_match_dashboard(void **state)
{
	struct dirent *de;
	size_t acts;
	DIR *dir;

	(void)state;
	assert_int_equal(check_labels("i18n-zh.js", "dk.", detail_zh_label),
			 detail_zh_count());
	for (size_t i = 0; i + 1 < detail_zh_count(); i++)
		assert_true(strcmp(detail_zh_key(i), detail_zh_key(i + 1)) < 0);
	/* every script of the dashboard: a page's own file (evidence.js)
	 * may name the actions it adds */
	dir = opendir(QUAN_DATADIR "/../web/static");
	assert_non_null(dir);
	acts = 0;
	while ((de = readdir(dir))) {
		size_t n = strlen(de->d_name);

		if (n > 3 && !strcmp(de->d_name + n - 3, ".js"))
			acts += check_labels(de->d_name, "act.",
					     detail_zh_action);
	}
	closedir(dir);
	assert_int_equal(acts, detail_zh_action_count());
	/* the actions the office writes with hyphens, never underscores */
	assert_string_equal(detail_zh_action("approve-first"), "第一审批");
	assert_string_equal(detail_zh_action("notice-close"), "结束公示");
	assert_null(detail_zh_action("approve_first"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_width),
		cmocka_unit_test(test_pad),
		cmocka_unit_test(test_detail_text),
		cmocka_unit_test(test_labels_match_dashboard),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
