#include "engine/errzh.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

/* One entry: the code, a phrase its English message contains (NULL: any),
 * and the Chinese. In the Chinese, "{id}" stands for the first quoted name
 * of the English message, "{n}" for its first number (an entry with {n}
 * names a phrase that comes with one). The first entry that matches is taken, so a
 * code's phrases come before its general sentence. */
static const struct {
	const char *code, *phrase, *zh;
} table[] = {
	/* an application's fields */
	{"invalid_money", "decimal string",
	 "类型不正确：金额应写成字符串，例如 \"100.00\""},
	{"invalid_money", "can be paid (milestones",
	 "资助 {id} 目前至多可支付 {money} 元（分期款由里程碑登记）"},
	{"invalid_money", "can be recovered",
	 "资助 {id} 目前至多可追回 {money} 元"},
	{"invalid_money", "is left to pay",
	 "申请 {id} 的资助尚待支付的金额仅为 {money} 元"},
	{"invalid_money", "not yet recovered",
	 "申请 {id} 已付且未追回的金额仅为 {money} 元"},
	{"invalid_money", "must be more than 0.00", "金额须大于 0.00 元"},
	{"invalid_money", "already paid",
	 "按结算价值，{id} 的资助将低于已支付的金额：多付部分须以追回处理"},
	{"invalid_money", "is not negative", "结算价值不能为负数"},
	{"invalid_money", NULL,
	 "金额格式不正确：应为以元计的十进制字符串，最多两位小数，例如 "
	 "\"100.00\""},
	{"invalid_rate", NULL,
	 "比例格式不正确：应为百分比（如 20%）或基点（如 2000）"},
	{"invalid_date", NULL, "日期或时间格式不正确"},
	{"invalid_uscc", NULL, "统一社会信用代码不正确"},
	{"invalid_json", NULL, "请求内容无法解析：格式不正确"},
	{"unknown_field", NULL, "不是此请求的字段"},
	{"missing_field", NULL, "必填，不能缺少"},
	{"wrong_type", "decimal string",
	 "类型不正确：金额应写成字符串，例如 \"100.00\""},
	{"wrong_type", NULL, "类型不正确"},
	{"unknown_chip", NULL, "芯片型号不在芯片目录中"},
	{"unknown_measure", NULL, "政策中没有此支持措施"},
	{"unknown_program", NULL, "本办公室没有此项目"},
	{"overflow", NULL, "数值过大，超出可计算的范围"},
	{"invalid", "client_ref",
	 "同一企业以同一 client_ref 提交了不同内容的申请"},
	{"invalid", NULL, "输入不正确"},
	{"policy_error", NULL, "政策文件有误"},
	{"decision_error", NULL, "政策无法对此申请作出决定"},
	/* not found, not allowed */
	{"not_found", NULL, "未找到 {id}"},
	{"forbidden", "different approver",
	 "{id} 已作第一次审批：该奖励需由另一位审批人确认"},
	{"forbidden", NULL, "当前角色无权执行此操作"},
	{"method_not_allowed", NULL, "此地址不接受该请求方法"},
	{"bad_path", NULL, "请求地址不正确"},
	/* states */
	{"conflict", "is awarded", "申请 {id} 已批准，不能再作此操作"},
	{"conflict", "is rejected", "申请 {id} 已驳回，不能再作此操作"},
	{"conflict", "is withdrawn", "申请 {id} 已撤回，不能再作此操作"},
	{"conflict", "is expired", "申请 {id} 已过期，不能再作此操作"},
	{"conflict", "is ineligible", "申请 {id} 不符合条件，不能作此操作"},
	{"conflict", "has expired", "申请 {id} 的预留已过期，不能再批准"},
	{"conflict", "second approval confirms",
	 "{id} 已批准第一次金额：第二次审批只能确认或调低该金额，不能调高"},
	{"conflict", "in public notice",
	 "申请 {id} 正在公示 {id2} 中，公示至 {date}，次日起方可付款"},
	{"conflict", "requires a public notice",
	 "支持措施 {id} 要求付款前公示：申请 {id2} 尚未公示（quan notice "
	 "open）"},
	{"conflict", "can be closed from the day after",
	 "公示 {id} 至 {date} 结束，次日起方可结束公示"},
	{"conflict", "open objection",
	 "申请 {id} 有未决的异议，须先由审核人处理"},
	{"conflict", "exceeds_credits", "资金池余额不足"},
	{"conflict", "client_ref",
	 "同一企业以同一 client_ref 提交了不同内容的申请"},
	{"conflict", "idempotency",
	 "同一幂等键已用于另一个请求，不能用于不同内容"},
	{"conflict", NULL, "申请或记录的当前状态不允许此操作"},
	/* signing in */
	{"unauthorized", NULL, "未登录，或令牌无效"},
	{"wrong_password", NULL, "用户名或密码不正确"},
	{"disabled", NULL, "该用户已停用"},
	{"token_expired", NULL, "令牌已过期，请管理员重新签发"},
	{"too_many_attempts", "try again in",
	 "登录失败次数过多，请 {n} 秒后再试"},
	{"too_many_attempts", NULL, "登录失败次数过多，请稍后再试"},
	{"csrf", NULL, "缺少或不符的跨站请求校验令牌：请重新登录后再试"},
	/* limits */
	{"rate_limited", NULL, "请求过于频繁，请稍后再试"},
	{"too_large", "body: more than", "请求内容超过 {n} 字节的上限，已拒绝"},
	{"too_large", NULL, "内容超过大小上限，已拒绝"},
	{"busy", NULL, "服务器繁忙，请稍后再试"},
	{"time_limit", NULL, "请求超时，请稍后再试"},
	{"bad_framing", NULL, "请求的报文格式不正确"},
	{"not_ready", NULL, "服务尚未就绪，请稍后再试"},
	{"unavailable", NULL, "服务暂不可用，请稍后再试"},
	{"io_error", NULL, "数据库暂不可用，请稍后再试"},
	{"out_of_memory", NULL, "服务器内存不足"},
	{"internal", NULL, "服务器内部错误"},
};

size_t errzh_count(void)
{
	return sizeof(table) / sizeof(table[0]);
}

const char *errzh_code(size_t i)
{
	assert(i < errzh_count());
	return table[i].code;
}

/* Append at most len bytes of s to buf (size n, used *at), never cutting
 * a UTF-8 character. */
static void put(char *buf, size_t n, size_t *at, const char *s, size_t len)
{
	if (*at + len >= n) {
		len = n - 1 - *at;
		while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80)
			len--;
	}
	memcpy(buf + *at, s, len);
	*at += len;
	buf[*at] = '\0';
}

/* The k-th (from 1) '...' of en: start and length; 0 when none. */
static size_t quoted(const char *en, int k, const char **start)
{
	const char *a = en, *b;

	assert(k >= 1 && start);
	if (!en)
		return 0;
	for (;;) {
		a = strchr(a, '\'');
		b = a ? strchr(a + 1, '\'') : NULL;
		if (!b)
			return 0;
		if (--k == 0)
			break;
		a = b + 1;
	}
	if (b - a - 1 > 128)
		return 0;
	*start = a + 1;
	return (size_t)(b - a - 1);
}

/* The first amount of en (digits, a point, two digits): start and
 * length; 0 when none. */
static size_t first_money(const char *en, const char **start)
{
	for (const char *d = en; d && *d; d++) {
		size_t k = strspn(d, "0123456789");

		if (k && d[k] == '.' && strspn(d + k + 1, "0123456789") == 2 &&
		    (d == en || d[-1] < '0' || d[-1] > '9')) {
			*start = d;
			return k + 3;
		}
		if (k)
			d += k - 1;
	}
	return 0;
}

/* The first YYYY-MM-DD of en: start (10 bytes); NULL when none. */
static const char *first_date(const char *en)
{
	for (const char *d = en; d && *d; d++) {
		int ok = 1;

		for (int i = 0; i < 10 && ok; i++)
			ok = i == 4 || i == 7 ? d[i] == '-'
					      : d[i] >= '0' && d[i] <= '9';
		if (ok)
			return d;
	}
	return NULL;
}

char *errzh_message(const char *code, const char *field, const char *en,
		    char *buf, size_t n)
{
	const char *zh = "请求未能完成";
	const char *p;
	size_t at = 0;

	assert(buf && n > 0);
	buf[0] = '\0';
	for (size_t i = 0; code && i < errzh_count(); i++)
		if (!strcmp(code, table[i].code) &&
		    (!table[i].phrase || (en && strstr(en, table[i].phrase)))) {
			zh = table[i].zh;
			break;
		}
	if (field && field[0] && !strstr(zh, "{id}")) {
		put(buf, n, &at, "字段 ", strlen("字段 "));
		put(buf, n, &at, field, strlen(field));
		put(buf, n, &at, "：", strlen("："));
	}
	/* The slots: {id} and {id2} the first and second quoted names, {n}
	 * the first number, {money} the first amount, {date} the first date. A slot with nothing to
	 * put takes the space after it along. */
	while ((p = strchr(zh, '{'))) {
		const char *v = NULL;
		size_t vn = 0, skip;

		put(buf, n, &at, zh, (size_t)(p - zh));
		if (!strncmp(p, "{id}", 4)) {
			vn = quoted(en, 1, &v), skip = 4;
		} else if (!strncmp(p, "{id2}", 5)) {
			vn = quoted(en, 2, &v), skip = 5;
		} else if (!strncmp(p, "{money}", 7)) {
			vn = first_money(en, &v), skip = 7;
		} else if (!strncmp(p, "{date}", 6)) {
			v = first_date(en), vn = v ? 10 : 0, skip = 6;
		} else if (!strncmp(p, "{n}", 3)) {
			v = en ? en + strcspn(en, "0123456789") : "";
			vn = strspn(v, "0123456789"), skip = 3;
		} else {
			put(buf, n, &at, p, 1);
			zh = p + 1;
			continue;
		}
		if (vn)
			put(buf, n, &at, v, vn);
		else if (at && buf[at - 1] == ' ') /* nothing: no space */
			buf[--at] = '\0';
		zh = p + skip;
		if (!vn && *zh == ' ')
			zh++;
	}
	put(buf, n, &at, zh, strlen(zh));
	return buf;
}
