/*
 * test_lang.c - Chinese throughout (issue 13): the Accept-Language test,
 * the swap of every text for its Chinese, a policy's says_zh read beside
 * its says, and every bundled policy giving each of its texts in Chinese.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include "engine/errzh.h"
#include "engine/lang.h"
#include "policy/policy.h"

static void test_wants_zh(void **state)
{
	(void)state;
	assert_true(lang_wants_zh("zh"));
	assert_true(lang_wants_zh("zh-CN"));
	assert_true(lang_wants_zh(" ZH-cn,en;q=0.5"));
	assert_true(lang_wants_zh("zh;q=0.9"));
	assert_false(lang_wants_zh(NULL));
	assert_false(lang_wants_zh(""));
	assert_false(lang_wants_zh("en-GB,zh;q=0.8"));
	assert_false(lang_wants_zh("zu"));
	assert_false(lang_wants_zh("zhx"));
}

/* Quality values are weighed: the higher wins; of equals, the first
 * named; q=0 refuses; "*" is another language. */
static void test_wants_zh_quality(void **state)
{
	(void)state;
	assert_true(lang_wants_zh("en;q=0.5, zh-CN;q=0.9"));
	assert_true(lang_wants_zh("en;q=0.5,zh-CN"));
	assert_true(lang_wants_zh("fr;q=0.9, zh"));
	assert_true(lang_wants_zh("de;q=0.3,ZH-cn;q=0.7"));
	assert_true(lang_wants_zh("zh;q=1.0, en;q=0.999"));
	assert_true(lang_wants_zh("en;q=0.001,zh;q=0.002"));
	assert_true(lang_wants_zh("en ; q=0.5 , zh ; q=0.6"));
	assert_true(lang_wants_zh("zh-Hans-CN"));
	assert_false(lang_wants_zh("zh;q=0.1, en"));
	assert_false(lang_wants_zh("zh;q=0"));
	assert_false(lang_wants_zh("zh;q=0.000"));
	assert_false(lang_wants_zh("en, zh"));
	assert_false(lang_wants_zh("fr, zh;q=1"));
	assert_false(lang_wants_zh("*"));
	assert_false(lang_wants_zh("zh;q=0.5, *;q=0.9"));
	assert_false(lang_wants_zh("zh;q=2")); /* malformed: refused */
	assert_false(lang_wants_zh(","));
	assert_false(lang_wants_zh(";q=0.9"));
	assert_true(lang_wants_zh("zh-CN;q=0.5,en-US;q=0.5"));
	/* whatever comes, no crash: a long list */
	assert_true(lang_wants_zh(",,, ,zh,, ,"));
}

/* Every catalogue entry says something in Chinese; the field and the
 * first quoted name are kept; an unknown code still has a sentence. */
static void test_errors_in_chinese(void **state)
{
	char buf[512], small[14];

	(void)state;
	assert_true(errzh_count() > 30);
	for (size_t i = 0; i < errzh_count(); i++) {
		const char *m = errzh_message(errzh_code(i), NULL, "", buf,
					      sizeof(buf));
		bool cjk = false;

		for (const unsigned char *p = (const unsigned char *)m; *p; p++)
			cjk |= *p >= 0xE4 && *p <= 0xE9;
		assert_true(cjk);
	}
	assert_string_equal(errzh_message("missing_field", "measure",
					  "measure: required", buf,
					  sizeof(buf)),
			    "字段 measure：必填，不能缺少");
	assert_string_equal(
		errzh_message("conflict", "state",
			      "application 'SH-2025-000001' is awarded: only a "
			      "reserved application can be approved",
			      buf, sizeof(buf)),
		"申请 SH-2025-000001 已批准，不能再作此操作");
	assert_string_equal(errzh_message("not_found", "id", "no such route",
					  buf, sizeof(buf)),
			    "未找到");
	assert_string_equal(errzh_message("csrf", NULL, "X-CSRF-Token: ...",
					  buf, sizeof(buf)),
			    "缺少或不符的跨站请求校验令牌：请重新登录后再试");
	assert_string_equal(
		errzh_message("no_such_code", NULL, "x", buf, sizeof(buf)),
		"请求未能完成");
	/* a number the sentence needs is kept */
	assert_string_equal(
		errzh_message(
			"too_many_attempts", NULL,
			"too many failed sign-ins: try again in 30 seconds",
			buf, sizeof(buf)),
		"登录失败次数过多，请 30 秒后再试");
	assert_string_equal(
		errzh_message("too_large", NULL,
			      "body: more than 4096 bytes is refused", buf,
			      sizeof(buf)),
		"请求内容超过 4096 字节的上限，已拒绝");
	/* the second name and the date are kept where the sentence needs
	 * them: the notice's end, the measure and the application */
	assert_string_equal(
		errzh_message("conflict", "state",
			      "notice 'shanghai-2025-notice-1' runs until "
			      "2025-10-09 (5 working days): it can be closed "
			      "from the day after",
			      buf, sizeof(buf)),
		"公示 shanghai-2025-notice-1 至 2025-10-09 "
		"结束，次日起方可结束公示");
	assert_string_equal(
		errzh_message(
			"conflict", "state",
			"application 'SH-2025-000007' is in public notice "
			"'shanghai-2025-notice-2' until 2025-10-09: it can "
			"be paid from the day after",
			buf, sizeof(buf)),
		"申请 SH-2025-000007 正在公示 shanghai-2025-notice-2 "
		"中，公示至 2025-10-09，次日起方可付款");
	assert_string_equal(
		errzh_message("conflict", "state",
			      "measure 'corpus' requires a public notice of 5 "
			      "working days before payment: application "
			      "'SH-2025-000009' has been in none (quan notice "
			      "open)",
			      buf, sizeof(buf)),
		"支持措施 corpus 要求付款前公示：申请 SH-2025-000009 "
		"尚未公示（quan notice open）");
	/* an amount refused for what it is, not for its spelling */
	assert_string_equal(
		errzh_message("invalid_money", "amount",
			      "amount: only 150000.00 was paid to "
			      "'SH-2025-000001' and not yet recovered",
			      buf, sizeof(buf)),
		"申请 SH-2025-000001 已付且未追回的金额仅为 150000.00 元");
	assert_string_equal(
		errzh_message("invalid_money", "amount",
			      "amount: only 10.50 of the award of "
			      "'SH-2025-000002' is left to pay",
			      buf, sizeof(buf)),
		"申请 SH-2025-000002 的资助尚待支付的金额仅为 10.50 元");
	/* a slot with nothing to fill takes its space along */
	assert_string_equal(errzh_message("conflict", NULL,
					  "can be closed from the day after",
					  buf, sizeof(buf)),
			    "公示至结束，次日起方可结束公示");
	/* truncation never cuts a character: 13 bytes and the NUL hold 4 */
	errzh_message("no_such_code", NULL, "x", small, sizeof(small));
	assert_string_equal(small, "请求未能");
}

static void test_localize(void **state)
{
	json_error_t err;
	json_t *j = json_loads(
		"{\"note\": \"n\", \"note_zh\": \"注\", \"rule\": \"a.b\","
		" \"trace\": [{\"says\": \"s\", \"says_zh\": \"说\", \"words\": \"w\"},"
		" {\"words\": \"w\", \"words_zh\": \"词\", \"assumption\": \"a\","
		" \"assumption_zh\": 3}]}",
		0, &err);

	(void)state;
	assert_non_null(j);
	assert_int_equal(lang_localize_zh(j), 0);
	assert_string_equal(json_string_value(json_object_get(j, "note")),
			    "注");
	assert_string_equal(json_string_value(json_object_get(j, "rule")),
			    "a.b");
	json_t *t0 = json_array_get(json_object_get(j, "trace"), 0);
	json_t *t1 = json_array_get(json_object_get(j, "trace"), 1);
	assert_string_equal(json_string_value(json_object_get(t0, "says")),
			    "说");
	/* no words_zh: the English stays */
	assert_string_equal(json_string_value(json_object_get(t0, "words")),
			    "w");
	assert_string_equal(json_string_value(json_object_get(t1, "words")),
			    "词");
	/* a _zh that is not text is left alone */
	assert_string_equal(
		json_string_value(json_object_get(t1, "assumption")), "a");
	assert_string_equal(json_string_value(json_object_get(t0, "says_zh")),
			    "说");
	json_decref(j);
	/* a list of texts takes its Chinese twin's items (compare's notes) */
	j = json_loads("{\"notes\": [\"a\", \"b\"], \"notes_zh\": [\"甲\"],"
		       " \"ids\": [\"x\"], \"ids_zh\": \"y\"}",
		       0, &err);
	assert_non_null(j);
	assert_int_equal(lang_localize_zh(j), 0);
	assert_int_equal(json_array_size(json_object_get(j, "notes")), 1);
	assert_string_equal(json_string_value(json_array_get(
				    json_object_get(j, "notes"), 0)),
			    "甲");
	assert_int_equal(json_array_size(json_object_get(j, "notes_zh")), 1);
	/* an array with a text twin is left alone */
	assert_string_equal(
		json_string_value(json_array_get(json_object_get(j, "ids"), 0)),
		"x");
	json_decref(j);
}

static const char policy_head[] =
	"program: zh-2025\n"
	"number_prefix: ZH\n"
	"name: \"测试\"\n"
	"issuer: \"测试\"\n"
	"currency: CNY\n"
	"sources:\n"
	"  - id: t\n"
	"    title: \"t\"\n"
	"    document: \"测试〔2025〕1号\"\n"
	"    published: 2025-01-01\n"
	"published_in: t\n"
	"pools:\n"
	"  - id: p\n"
	"    name: \"池\"\n"
	"    budgets: {2025: \"1000.00\"}\n"
	"    rollover: false\n"
	"    source: t\n"
	"measures:\n"
	"  - id: m\n"
	"    name: \"措施\"\n"
	"    source: t\n"
	"    pool: p\n"
	"    kinds: [rent]\n"
	"    allocation: first-come-first-served\n"
	"    window: {opens: 2025-01-01T00:00:00+08:00, closes: 2025-12-31T00:00:00+08:00}\n"
	"    base: contract.value\n"
	"    rates:\n"
	"      hit: first\n"
	"      rows:\n"
	"        - id: r\n"
	"          rate: 10%\n"
	"          says: \"at most 10%\"\n";

static struct policy *load(const char *tail, struct diag_list *d)
{
	char buf[4096];
	struct policy *p = NULL;
	int n = snprintf(buf, sizeof(buf), "%s%s", policy_head, tail);

	assert_true(n > 0 && (size_t)n < sizeof(buf));
	diag_init(d);
	if (policy_load_buf("zh.yaml", buf, (size_t)n, &p, d))
		return NULL;
	return p;
}

static const struct policy_rule *rule(const struct policy *p, const char *id)
{
	for (size_t i = 0; i < p->nrules; i++)
		if (!strcmp(p->rules[i].id, id))
			return &p->rules[i];
	fail_msg("no rule '%s'", id);
	return NULL;
}

static void test_policy_reads_zh(void **state)
{
	struct diag_list d;
	struct policy *p;
	const struct policy_rule *r;

	(void)state;
	p = load("          says_zh: \"最高10%\"\n"
		 "          says_zh_source: t\n"
		 "          source: t\n"
		 "          assumption: \"a reading\"\n"
		 "          assumption_zh: \"一种理解\"\n",
		 &d);
	assert_non_null(p);
	r = rule(p, "m.rate.r");
	assert_string_equal(r->says_zh, "最高10%");
	assert_string_equal(r->zh_source, "t");
	assert_string_equal(r->assumption_zh, "一种理解");
	assert_string_equal(policy_rule_says(r, "zh"), "最高10%");
	assert_string_equal(policy_rule_says(r, "en"), "at most 10%");
	diag_release(&d);
	assert_int_equal(policy_check_zh(p, &d), 0);
	diag_release(&d);
	policy_free(p);

	/* English only: loads, and policy_check_zh warns at the rule */
	p = load("          source: t\n", &d);
	assert_non_null(p);
	diag_release(&d);
	assert_int_equal(policy_check_zh(p, &d), 1);
	assert_int_equal(d.items[0].line, 30);
	assert_non_null(strstr(d.items[0].msg, "warning: rule 'm.rate.r'"));
	/* without Chinese, the Chinese reader gets the English */
	assert_string_equal(policy_rule_says(rule(p, "m.rate.r"), "zh"),
			    "at most 10%");
	diag_release(&d);
	policy_free(p);

	/* a Chinese text without its source, or its English, is refused */
	assert_null(load("          says_zh: \"最高10%\"\n"
			 "          source: t\n",
			 &d));
	assert_non_null(
		strstr(d.items[0].msg, "'says_zh' needs 'says_zh_source'"));
	diag_release(&d);
	assert_null(load("          source: t\n"
			 "          assumption_zh: \"一种理解\"\n",
			 &d));
	assert_non_null(
		strstr(d.items[0].msg, "'assumption_zh' without 'assumption'"));
	diag_release(&d);
	assert_null(load("          says_zh: \"最高10%\"\n"
			 "          says_zh_source: elsewhere\n"
			 "          source: t\n",
			 &d));
	assert_non_null(
		strstr(d.items[0].msg, "unknown says_zh_source 'elsewhere'"));
	diag_release(&d);
}

/* Every bundled policy: every rule that says something says it in Chinese
 * too, and every assumption is given in Chinese. */
static void test_bundled_policies_have_chinese(void **state)
{
	DIR *dir = opendir(QUAN_POLICYDIR);
	struct dirent *de;
	int files = 0;

	(void)state;
	assert_non_null(dir);
	while ((de = readdir(dir))) {
		char path[512];
		struct diag_list d;
		struct policy *p = NULL;
		size_t n = strlen(de->d_name);

		if (n < 6 || strcmp(de->d_name + n - 5, ".yaml"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", QUAN_POLICYDIR,
			 de->d_name);
		diag_init(&d);
		assert_int_equal(policy_load(path, &p, &d), 0);
		for (size_t i = 0; i < p->nrules; i++) {
			const struct policy_rule *r = &p->rules[i];

			if (r->says && !r->says_zh)
				fail_msg("%s: rule '%s' has no says_zh", path,
					 r->id);
			if (r->assumption && !r->assumption_zh)
				fail_msg("%s: rule '%s' has no assumption_zh",
					 path, r->id);
			if (r->says_zh && !r->zh_source)
				fail_msg("%s: rule '%s' has no says_zh_source",
					 path, r->id);
		}
		assert_int_equal(policy_check_zh(p, &d), 0);
		diag_release(&d);
		policy_free(p);
		files++;
	}
	closedir(dir);
	assert_true(files >= 8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wants_zh),
		cmocka_unit_test(test_wants_zh_quality),
		cmocka_unit_test(test_errors_in_chinese),
		cmocka_unit_test(test_localize),
		cmocka_unit_test(test_policy_reads_zh),
		cmocka_unit_test(test_bundled_policies_have_chinese),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
