/*
 * detail_zh.c - an audit event's detail in Chinese words (detail_zh.h).
 */
#include "engine/detail_zh.h"

#include <assert.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/lang.h"

/* The longest text a detail renders to; a longer one is cut with "…".
 * Details are small (a reason, a few figures), so this is never reached
 * by what the office writes. */
#define DETAIL_ZH_MAX 8192
/* Nesting deeper than this is shown as "{…}". */
#define DETAIL_ZH_DEPTH 8

/* The labels of web/static/i18n-zh.js's "dk." keys, sorted by key. */
static const struct {
	const char *key, *zh;
} labels[] = {
	{"address", "地址"},
	{"amount", "金额"},
	{"app", "申请"},
	{"approved_by", "批准人"},
	{"approver", "第一审批人"},
	{"at", "时间"},
	{"awarded", "已批准金额"},
	{"awarded_year", "批准年度"},
	{"batch", "拨付批次"},
	{"blocked", "已拦截"},
	{"budget", "预算"},
	{"by", "经办人"},
	{"change", "变动"},
	{"client_ref", "申请方编号"},
	{"clock", "时钟"},
	{"eligible", "符合条件"},
	{"file", "文件"},
	{"first_approver", "第一审批人"},
	{"flags", "标记"},
	{"from", "自"},
	{"grant", "资助"},
	{"history", "历史"},
	{"id", "编号"},
	{"imported", "导入"},
	{"invoices", "发票"},
	{"kind", "类型"},
	{"measure", "措施"},
	{"milestone", "里程碑"},
	{"name", "名称"},
	{"notice", "公示"},
	{"outcome", "结果"},
	{"paid", "已拨付"},
	{"password_mark", "密码标记"},
	{"path", "路径"},
	{"pools", "资金池"},
	{"priority", "优先"},
	{"program", "项目"},
	{"programs", "项目"},
	{"rate", "比例"},
	{"received_at", "收到时间"},
	{"recovered", "已追回"},
	{"ref", "幂等键"},
	{"released", "已释放"},
	{"remaining", "剩余"},
	{"replayed", "重放"},
	{"requested", "申请金额"},
	{"role", "角色"},
	{"rule", "规则"},
	{"seq", "序号"},
	{"settlement", "结算"},
	{"state", "状态"},
	{"supplier_lists", "供应商名单"},
	{"token_expires_at", "令牌到期时间"},
	{"tranche", "分期"},
	{"transfers", "转账"},
	{"uscc", "统一社会信用代码"},
	{"value", "金额"},
	{"why", "理由"},
	{"year", "年度"},
};

const char *detail_zh_label(const char *key)
{
	assert(sizeof(labels) / sizeof(labels[0]) > 0);
	if (!key)
		return NULL;
	for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++)
		if (!strcmp(key, labels[i].key))
			return labels[i].zh;
	return NULL;
}

size_t detail_zh_count(void)
{
	return sizeof(labels) / sizeof(labels[0]);
}

const char *detail_zh_key(size_t i)
{
	assert(i < detail_zh_count());
	return labels[i].key;
}

/* The audit actions' Chinese names, as the dashboard's "act." labels
 * (web/static/i18n.js, i18n-zh.js, evidence.js) give them. */
static const struct {
	const char *action, *zh;
} actions[] = {
	{"apply", "提交申请"},
	{"import", "导入"},
	{"approve", "批准"},
	{"approve-first", "第一审批"},
	{"reject", "驳回"},
	{"withdraw", "撤回"},
	{"expire", "过期"},
	{"disburse", "拨付"},
	{"clawback", "追回"},
	{"milestone", "里程碑"},
	{"reserve", "预留"},
	{"round-close", "评审轮次结束"},
	{"serve", "候补转入"},
	{"settle", "结算"},
	{"notice-open", "开始公示"},
	{"notice-close", "结束公示"},
	{"object", "提出异议"},
	{"uphold", "异议成立"},
	{"dismiss", "异议驳回"},
	{"fund", "资金池注资"},
	{"policy", "载入政策"},
	{"registry-import", "导入名录"},
	{"list-import", "导入清单"},
	{"clock", "演示时钟"},
	{"user-add", "添加用户"},
	{"user-change", "修改用户"},
	{"user-password", "重置密码"},
	{"user-remove", "删除用户"},
	{"user-token", "签发令牌"},
	{"sign-in", "登录"},
	{"sign-out", "退出登录"},
	{"sign-in-failed", "登录失败"},
	{"attach", "上传材料"},
	{"batch-new", "生成拨付批次"},
	{"voucher-paid", "凭证已付款"},
	{"reconcile", "银行对账"},
};

const char *detail_zh_action(const char *action)
{
	assert(sizeof(actions) / sizeof(actions[0]) > 0);
	if (!action)
		return NULL;
	for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		if (!strcmp(action, actions[i].action))
			return actions[i].zh;
	return NULL;
}

size_t detail_zh_action_count(void)
{
	return sizeof(actions) / sizeof(actions[0]);
}

const char *detail_zh_action_key(size_t i)
{
	assert(i < detail_zh_action_count());
	return actions[i].action;
}

/* A bounded text being built; full is set once something did not fit. */
struct zbuf {
	char *p;
	size_t len, cap;
	int full;
};

static void zput(struct zbuf *b, const char *s)
{
	size_t n = strlen(s);

	assert(b->len < b->cap);
	if (b->full)
		return;
	if (n >= b->cap - b->len) {
		b->full = 1;
		return;
	}
	memcpy(b->p + b->len, s, n + 1);
	b->len += n;
}

static void pairs(struct zbuf *b, json_t *o, int depth);

/* One value v of key k (NULL inside an array of k). */
static void value(struct zbuf *b, const char *k, json_t *v, int depth)
{
	char num[64];
	json_t *x;
	size_t i;

	switch (json_typeof(v)) {
	case JSON_NULL:
		zput(b, "—");
		break;
	case JSON_TRUE:
		zput(b, "是");
		break;
	case JSON_FALSE:
		zput(b, "否");
		break;
	case JSON_INTEGER:
		snprintf(num, sizeof(num), "%lld",
			 (long long)json_integer_value(v));
		zput(b, num);
		break;
	case JSON_STRING:
		if (k && (!strcmp(k, "state") || !strcmp(k, "outcome")))
			zput(b, lang_state_zh(json_string_value(v)));
		else
			zput(b, json_string_value(v));
		break;
	case JSON_ARRAY:
		zput(b, "[");
		json_array_foreach(v, i, x)
		{
			if (i)
				zput(b, ", ");
			value(b, k, x, depth + 1);
		}
		zput(b, "]");
		break;
	case JSON_OBJECT:
		zput(b, "{");
		pairs(b, v, depth + 1);
		zput(b, "}");
		break;
	default: { /* JSON_REAL: the office writes none; show it as JSON */
		char *t = json_dumps(v, JSON_ENCODE_ANY);

		zput(b, t ? t : "?");
		free(t);
		break;
	}
	}
}

/* The pairs of object o, "label：value" joined by " · "; a key ending in
 * _zh is not shown, its text stands in its English sibling's place. */
static void pairs(struct zbuf *b, json_t *o, int depth)
{
	const char *k;
	json_t *v;
	int n = 0;

	if (depth > DETAIL_ZH_DEPTH) {
		zput(b, "…");
		return;
	}
	json_object_foreach(o, k, v)
	{
		size_t kl = strlen(k);
		char zk[256];
		json_t *zv;
		const char *label = detail_zh_label(k);

		if (kl > 3 && !strcmp(k + kl - 3, "_zh"))
			continue;
		snprintf(zk, sizeof(zk), "%s_zh", k);
		zv = json_object_get(o, zk);
		if (n++)
			zput(b, " · ");
		zput(b, label ? label : k);
		zput(b, "：");
		value(b, k, json_is_string(zv) ? zv : v, depth);
	}
}

char *detail_zh_text(const char *detail)
{
	struct zbuf b = {0};
	json_error_t err;
	json_t *j;

	if (!detail)
		return strdup("");
	j = json_loads(detail, JSON_DECODE_ANY, &err);
	if (!json_is_object(j)) {
		json_decref(j);
		return strdup(detail);
	}
	b.cap = DETAIL_ZH_MAX;
	b.p = malloc(b.cap);
	if (!b.p) {
		json_decref(j);
		return NULL;
	}
	b.p[0] = '\0';
	pairs(&b, j, 0);
	json_decref(j);
	if (b.full) {
		/* room is left: "…" is 3 bytes and a full buffer stopped
		 * before the piece that did not fit */
		b.full = 0;
		if (b.cap - b.len > 3)
			zput(&b, "…");
	}
	assert(b.len < b.cap);
	return b.p;
}
