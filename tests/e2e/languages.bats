#!/usr/bin/env bats
# End-to-end: the reader's language (issue 13, "Chinese throughout"). Every
# CLI verb that prints texts follows --lang, or LC_ALL/LC_MESSAGES/LANG;
# every JSON answer over HTTP says its Content-Language and varies on
# Accept-Language (quality values weighed); and the API's errors come in
# Chinese, with their machine code unchanged. (tests/e2e/lang.bats is the
# policy language of issue 11.)

load db

bats_require_minimum_version 1.5.0

start_server() {
	local URL PORT SERVE_PID # the caller's URL stays; this one goes to the file
	serve_bg "$DIR/serve" "$DB" "$@" || return 1
	echo "$URL" >"$DIR/serve.url"
}

setup_file() {
	export QUAN=${QUAN:-$BATS_TEST_DIRNAME/../../build/quan}
	export ROOT=$BATS_TEST_DIRNAME/../..
	export EX=$ROOT/examples/applications
	export DIR=$(mktemp -d)
	export DB=$(new_db "$DIR/office.db")
	export QUAN_NOW=2025-11-20T10:00:00+08:00
	"$QUAN" init --db "$DB" --policy "$ROOT/policies/shanghai-2025.yaml" --by admin >/dev/null 2>&1
	# 1 and 4 under the second approver's threshold, 2, 3 and 5 above it
	# (the tests before "conflicts of state" keep 1 and 2 reserved)
	"$QUAN" apply --db "$DB" --by clerk "$EX/sh-compute-rent.json" "$EX/sh-model.json" \
		"$EX/sh-compute-early.json" "$EX/sh-corpus.json" "$EX/sh-institute.json" >/dev/null 2>&1
	echo 'Ada-pass-2025' | "$QUAN" user add --db "$DB" ada --role administrator --password-stdin >/dev/null 2>&1
	export T_REVIEWER=$("$QUAN" user add --db "$DB" rita-bot --role reviewer 2>/dev/null)
	export T_APPLICANT=$("$QUAN" user add --db "$DB" firm-a --role applicant --uscc 91310115MA1K4ABCDD 2>/dev/null)
	start_server --body-max 4096
	export URL=$(cat "$DIR/serve.url")
}

teardown_file() {
	kill "$(cat "$DIR/serve.pid")" 2>/dev/null || true
	wait 2>/dev/null || true
	drop_db "$DB"
	rm -rf "$DIR"
}

# english TEXT: the English words left in TEXT, once the ids, USCCs, codes,
# field names and file:line references that a Chinese page may show are
# taken out.
english() {
	local t=${1//"${2:-NONE}"/}
	t=${t//"${3:-NONE}"/}
	sed -E -e 's/[A-Z]{2,}-[0-9]{4}-[0-9]{6}//g' -e 's/[^ (]+\.yaml:[0-9:]+//g' \
		-e 's/sha256:[0-9a-f]+//g' -e 's/[0-9A-Z]{18}//g' <<<"$t" |
		grep -oE '[A-Za-z][A-Za-z]+' || true
}

# req METHOD PATH LANG [curl args...]: sets $code, $body, $headers.
req() {
	local m=$1 p=$2 l=$3
	shift 3
	code=$(curl -s -o "$DIR/body" -D "$DIR/headers" -w '%{http_code}' -X "$m" "$URL$p" \
		${l:+-H "Accept-Language: $l"} "$@")
	body=$(cat "$DIR/body")
	headers=$(tr -d '\r' <"$DIR/headers")
}

@test "show, queue, list and apply follow --lang zh: states, reasons and rule texts in Chinese" {
	run --separate-stderr "$QUAN" show --db "$DB" SH-2025-000001 --lang zh
	[ "$status" -eq 0 ]
	[[ "$output" == *"状态      已预留"* ]]
	[[ "$output" == *"通过：在上海注册"* ]]
	[[ "$output" == *"资金划转"* && "$output" == *"历史"* ]]
	[[ "$output" == *"提交申请       clerk"* ]]
	# the lines a reader reads have no English left but ids, codes and file:line
	left=$(english "$(grep -vE '^ +#|^ +(reserve|award|release)/' <<<"$output" |
		sed -e 's/^SH-[^ ]* — [^ ]* \/ [^ ]*//' -e 's/^ *[a-z][a-z.-]* //')")
	[ -z "$left" ] || { echo "English left: $left"; echo "$output"; false; }
	run --separate-stderr "$QUAN" show --db "$DB" SH-2025-000001 --lang en
	[[ "$output" == *"state      reserved"* ]]
	[[ "$output" == *"passed: registered in Shanghai"* ]]
	# --json: the Chinese in the English keys' place, the _zh keys kept
	run --separate-stderr "$QUAN" show --db "$DB" SH-2025-000001 --json --lang zh
	[ "$(jq -r '.decision.trace[] | select(.rule | endswith("registered-in-city")) | .words' <<<"$output")" = "通过：在上海注册" ]
	run --separate-stderr "$QUAN" queue --db "$DB" shanghai-2025 --lang zh
	[ "$status" -eq 0 ]
	[[ "$output" == *"编号"*"统一社会信用代码"* ]]
	run --separate-stderr "$QUAN" list --db "$DB" --lang zh
	[ "$status" -eq 0 ]
	[[ "$output" == *"SH-2025-000001   已预留"* ]]
	run --separate-stderr "$QUAN" list --db "$DB" --json --lang zh
	[ "$status" -eq 0 ]
	[ "$(jq -r '.applications | length' <<<"$output")" -eq 5 ]
	run --separate-stderr "$QUAN" apply --db "$DB" --by clerk --lang zh "$EX/sh-compute-rent.json"
	[ "$status" -eq 0 ]
	[[ "$output" == "SH-2025-000001       已预留"*"（此前已提交）"* ]]
}

@test "review follows --lang zh: the state, the second approver awaited and the money in Chinese" {
	run --separate-stderr "$QUAN" review --db "$DB" SH-2025-000004 --approve --by rita --lang zh
	[ "$status" -eq 0 ]
	[ "$output" = "SH-2025-000004 已批准 900000.00（已批准 900000.00，已付 0.00，待付 900000.00，已追回 0.00）" ]
	run --separate-stderr "$QUAN" show --db "$DB" SH-2025-000004 --lang zh
	[[ "$output" == *"状态      已批准"* ]]
	[[ "$output" == *"审批      rita"* ]]
	[[ "$output" == *"批准           rita"* ]]
	# above the threshold: the first approval awaits a second approver
	run --separate-stderr "$QUAN" review --db "$DB" SH-2025-000003 --approve --by rita --lang zh
	[ "$status" -eq 0 ]
	[[ "$output" == "SH-2025-000003 已预留 360000.00：rita 已作第一次审批，待第二审批人确认入账"* ]]
	# several ids: each answered, in Chinese, the refusal's reason too
	run --separate-stderr "$QUAN" review --db "$DB" SH-2025-000002 SH-2025-000099 --approve --by rita --lang zh
	[ "$status" -eq 1 ]
	[[ "$output" == *"SH-2025-000002   待第二审批人确认"* ]]
	[[ "$output" == *"SH-2025-000099   被拒绝"*"未找到 SH-2025-000099"* ]]
	[[ "$output" == *"已批准 0，待第二审批人 1，被拒绝 1"* ]]
}

@test "the CLI's errors follow --lang too: a field, a missing application" {
	echo '{"program":"shanghai-2025"}' >"$DIR/bad.json"
	run --separate-stderr "$QUAN" apply --db "$DB" --by clerk --lang zh "$DIR/bad.json"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"bad.json: 字段 measure：必填，不能缺少"* ]]
	run --separate-stderr "$QUAN" apply --db "$DB" --by clerk --lang en "$DIR/bad.json"
	[[ "$stderr" == *"bad.json: missing field 'measure'"* ]] || { echo "$stderr"; false; }
	run --separate-stderr "$QUAN" show --db "$DB" SH-2025-000099 --lang zh
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"quan: 未找到申请 SH-2025-000099"* ]]
}

@test "LC_ALL, LC_MESSAGES or LANG choose Chinese when --lang is absent; --lang wins" {
	run --separate-stderr env LC_ALL= LC_MESSAGES= LANG=zh_CN.UTF-8 "$QUAN" show --db "$DB" SH-2025-000001
	[[ "$output" == *"状态      已预留"* ]]
	run --separate-stderr env LC_ALL=zh_CN.UTF-8 LANG=C "$QUAN" list --db "$DB"
	[[ "$output" == *"已预留"* ]]
	# LC_ALL comes first: an English LC_ALL beats a Chinese LANG
	run --separate-stderr env LC_ALL=C.UTF-8 LANG=zh_CN.UTF-8 "$QUAN" queue --db "$DB" shanghai-2025
	[[ "$output" == *"measure"* ]]
	run --separate-stderr env LC_ALL= LC_MESSAGES= LANG=zh_CN.UTF-8 "$QUAN" show --db "$DB" SH-2025-000001 --lang en
	[[ "$output" == *"state      reserved"* ]]
	run --separate-stderr env LC_ALL= LC_MESSAGES= LANG=C.UTF-8 "$QUAN" show --db "$DB" SH-2025-000001
	[[ "$output" == *"state      reserved"* ]]
}

@test "compare --lang zh gives the rules' texts and the cities in Chinese" {
	run --separate-stderr "$QUAN" compare --profile "$ROOT/examples/profiles/startup.yaml" --lang zh
	[ "$status" -eq 0 ] || { echo "$stderr"; false; }
	[[ "$output" == *"上海"* ]]
	run --separate-stderr "$QUAN" compare --profile "$ROOT/examples/profiles/startup.yaml" --json --lang zh
	[ "$status" -eq 0 ]
	says=$(jq -r '[.. | objects | select(has("says_zh")) | .says == .says_zh] | all' <<<"$output")
	[ "$says" = true ]
	run --separate-stderr "$QUAN" compare --profile "$ROOT/examples/profiles/startup.yaml" --json --lang en
	[ "$(jq -r '[.. | objects | select(has("says_zh") and .says_zh != .says)] | length' <<<"$output")" -gt 0 ]
}

@test "compare --lang zh is Chinese throughout: labels, units, assumptions, why and notes; sources stay cited as published" {
	local p=$ROOT/examples/profiles/startup.yaml ids left
	run --separate-stderr "$QUAN" compare --profile "$p" --json --lang en
	[ "$status" -eq 0 ]
	# the ids a Chinese page may show: programs, measures, items, rules
	ids=$(jq -r '[.. | objects | (.program?, .measure?, .item?, .rule?) | strings] | unique | .[]' <<<"$output")
	run --separate-stderr "$QUAN" compare --profile "$p" --lang zh
	[ "$status" -eq 0 ] || { echo "$stderr"; false; }
	[[ "$output" == *"排名"*"计划支出"*"运营成本"*"净成本"* ]]
	[[ "$output" == *"元/平方米/年 × 300 平方米"* ]]
	[[ "$output" == *"假设：全国人工智能工程师薪酬数字"* ]]
	[[ "$output" == *"原因：shanghai-2025（上海）净成本最低，比chengdu-2025（成都）低"* ]]
	[[ "$output" == *"说明："*"净成本 = 计划支出 + 运营成本 − 补贴"* ]]
	# a source title is a citation, in brackets, kept as published
	[[ "$output" == *"[Savills Research, Chengdu Office Q3/2025, 2025 Q3]"* ]]
	# no English left once the citations, file:line, ids and field names
	# (plan.signed_on, office_m2, data/costs.yaml) are taken out
	left=$(sed -E -e 's/\[[^]]*\]$//' -e 's/（[^（）]+\.yaml:[0-9:]+）//' \
		-e 's/[a-z]+(_[a-z0-9]+)+//g' -e 's#data/costs\.yaml|plan\.##g' <<<"$output")
	# the ids, longest first, taken out as they stand
	while IFS= read -r id; do
		left=${left//"$id"/}
	done < <(awk '{ print length, $0 }' <<<"$ids" | sort -rn | cut -d' ' -f2-)
	# (MaaS is in Hangzhou's published rule text, quoted as published)
	left=$(english "$left" | grep -vx MaaS || true)
	[ -z "$left" ] || { echo "English left: $left"; echo "$output"; false; }
	# the table's columns line up by display width, Chinese header included
	[ "$(sed -n 3,11p <<<"$output" | while IFS= read -r l; do printf '%s' "$l" | LC_ALL=C.UTF-8 wc -L; done | sort -u | wc -l)" -eq 1 ]
	# --json: the Chinese in the English keys' place, the _zh twins kept
	run --separate-stderr "$QUAN" compare --profile "$p" --json --lang zh
	jq -e '.notes == .notes_zh and .why.text == .why.text_zh and (.notes[0] | test("签订"))' <<<"$output"
	jq -e '[.cities[].costs[] | .unit == .unit_zh and .quantity_unit == .quantity_unit_zh and
		((.assumption // "") == (.assumption_zh // ""))] | all' <<<"$output"
	# the English reader keeps the English text, and the twins beside it
	run --separate-stderr "$QUAN" compare --profile "$p" --json --lang en
	jq -e '.notes != .notes_zh and (.why.text | test("outweighs")) and (.why.text_zh | test("净成本最低"))' <<<"$output"
	run --separate-stderr "$QUAN" compare --profile "$p"
	[[ "$output" == *"rank program         city                    planned spend"* ]]
	[[ "$output" == *"    office              738000.00 = 2460.00 yuan per m2 per year x 300 m2   [Cushman"* ]]
	[[ "$output" == *"notes:"*"  - net cost = planned spend + operating costs - subsidies"* ]]
	# over HTTP, Accept-Language: zh gives the same Chinese
	cat >"$DIR/profile.json" <<'JSON'
{"firm": {"uscc": "91310115MA1K4ABCDD", "name": "示例智能科技有限公司", "sme": true,
          "startup": true, "registered_model": false, "head_count": 12, "office_m2": 300},
 "plan": {"signed_on": "2025-09-01", "electricity_kwh": 50000,
          "compute": [{"kind": "rent", "chip": "ascend-910c", "accelerators": 128, "hours": 4000,
                       "price_per_hour": "9.10", "term_months": 12}],
          "models": [{"kind": "api", "value": "600000.00", "term_months": 12, "uses_registered_model": true}],
          "corpus": [{"value": "400000.00", "term_months": 12}]}}
JSON
	req POST /v1/compare zh -H "Authorization: Bearer $T_APPLICANT" -H 'Content-Type: application/json' --data-binary "@$DIR/profile.json"
	[ "$code" = 200 ] || { echo "$code $body"; false; }
	jq -e '(.notes[0] | test("签订")) and (.why.text | test("净成本最低")) and (.cities[0].costs.office.unit == "元/平方米/年")' <<<"$body"
}

@test "a --lang other than en or zh is an error naming it (exit 2), on every verb that takes it" {
	for v in "show --db $DB SH-2025-000001" "queue --db $DB shanghai-2025" "list --db $DB" \
		"apply --db $DB --by clerk $EX/sh-model.json" "review --db $DB SH-2025-000002 --approve --by rita" \
		"compare --profile $ROOT/examples/profiles/startup.yaml" \
		"estimate --policy $ROOT/policies/shanghai-2025.yaml $EX/sh-model.json"; do
		run --separate-stderr "$QUAN" $v --lang fr
		[ "$status" -eq 2 ] || { echo "$v: $status $stderr"; false; }
		[[ "$stderr" == *"unknown language 'fr': use en or zh"* ]] || { echo "$v: $stderr"; false; }
	done
	# nothing was approved by the refused review
	run "$QUAN" show --db "$DB" SH-2025-000002 --lang en
	[[ "$output" == *"state      reserved"* ]]
}

@test "every verb that takes --lang says so in its --help, and so does quan(1)" {
	for v in show queue list apply review compare estimate withdraw disburse \
		clawback settle milestone expire report letter init "program add" \
		"ledger check" "audit verify" "audit replay" "round close" \
		"notice open" "objection add"; do
		run "$QUAN" $v --help
		[ "$status" -eq 0 ]
		[[ "$output" == *"--lang en|zh"* ]] || { echo "$v"; false; }
	done
	for v in show queue list apply review compare estimate; do
		run "$QUAN" "$v" --help
		[ "$status" -eq 0 ]
		[[ "$output" == *"--lang en|zh"* ]] || { echo "$v"; false; }
	done
	for v in show queue list apply review compare estimate; do
		sed -n "/^\.B $v\b/,/^\.TP\|^\.SH/p" "$ROOT/doc/quan.1" | grep -q 'lang' ||
			{ echo "quan.1: $v lacks --lang"; false; }
	done
}

@test "every JSON answer says its Content-Language and varies on Accept-Language" {
	req GET /v1/applications/SH-2025-000001 "" -H "Authorization: Bearer $T_REVIEWER"
	[ "$code" -eq 200 ]
	grep -qx 'Content-Language: en' <<<"$headers"
	grep -qx 'Vary: Accept-Language' <<<"$headers"
	req GET /v1/applications/SH-2025-000001 zh-CN -H "Authorization: Bearer $T_REVIEWER"
	grep -qx 'Content-Language: zh-CN' <<<"$headers"
	grep -qx 'Vary: Accept-Language' <<<"$headers"
	[[ "$body" == *"在上海注册"* ]]
	# an error too
	req GET /v1/applications/SH-2025-999999 zh -H "Authorization: Bearer $T_REVIEWER"
	[ "$code" -eq 404 ]
	grep -qx 'Content-Language: zh-CN' <<<"$headers"
	grep -qx 'Vary: Accept-Language' <<<"$headers"
	# a public route, unauthenticated
	req GET /v1/programs zh
	grep -qx 'Content-Language: zh-CN' <<<"$headers"
}

@test "Accept-Language quality values are weighed" {
	for h in 'en;q=0.5, zh-CN;q=0.9' 'zh-CN,zh;q=0.9,en;q=0.8' 'fr;q=0.9, zh' 'de;q=0.3,ZH-cn;q=0.7' 'zh-Hans-CN'; do
		req GET /v1/applications/SH-2025-000001 "$h" -H "Authorization: Bearer $T_REVIEWER"
		grep -qx 'Content-Language: zh-CN' <<<"$headers" || { echo "$h"; false; }
		[[ "$body" == *'"words":"通过：在上海注册"'* ]] || { echo "$h"; false; }
	done
	# of equal qualities, the range named first
	for h in 'en-GB,zh;q=0.8' 'zh;q=0.1, en' 'zh;q=0' 'en, zh' 'fr, zh;q=1' '*' 'zh;q=0.5, *;q=0.9'; do
		req GET /v1/applications/SH-2025-000001 "$h" -H "Authorization: Bearer $T_REVIEWER"
		grep -qx 'Content-Language: en' <<<"$headers" || { echo "$h"; false; }
		[[ "$body" == *'"words":"passed: registered in Shanghai"'* ]] || { echo "$h"; false; }
	done
}

# zh_error STATUS CODE [NAME]: the last answer is that error, in Chinese,
# its code unchanged, with no English left but the field, ids, codes and
# the user's NAME.
zh_error() {
	[ "$code" -eq "$1" ] || { echo "$code $body"; return 1; }
	[ "$(jq -r .error.code <<<"$body")" = "$2" ] || { echo "$body"; return 1; }
	local msg field
	msg=$(jq -r .error.message <<<"$body")
	field=$(jq -r '.error.field // "NONE"' <<<"$body")
	[ "$msg" = "$(jq -r .error.message_zh <<<"$body")" ] || { echo "$body"; return 1; }
	left=$(english "$msg" "$field" "${3:-}")
	[ -z "$left" ] || { echo "English left in '$msg': $left"; return 1; }
}

@test "errors come in Chinese when asked, with the code and the field unchanged; in English otherwise" {
	# validation of an application's fields: the field named
	req POST /v1/applications zh-CN -H "Authorization: Bearer $T_APPLICANT" \
		-H 'Content-Type: application/json' --data-binary '{"program":"shanghai-2025"}'
	zh_error 400 missing_field
	[ "$(jq -r .error.field <<<"$body")" = measure ]
	[[ "$(jq -r .error.message <<<"$body")" == "字段 measure："* ]]
	jq '.contract.value = 1200000' "$EX/sh-compute-rent.json" >"$DIR/num.json"
	req POST /v1/applications zh -H "Authorization: Bearer $T_APPLICANT" \
		-H 'Content-Type: application/json' --data-binary @"$DIR/num.json"
	zh_error 400 wrong_type
	[[ "$(jq -r .error.message <<<"$body")" == "字段 contract.value："*'"100.00"'* ]]
	# the same in English keeps the English message, the Chinese beside it
	req POST /v1/applications en -H "Authorization: Bearer $T_APPLICANT" \
		-H 'Content-Type: application/json' --data-binary @"$DIR/num.json"
	[ "$code" -eq 400 ]
	[[ "$(jq -r .error.message <<<"$body")" == *"decimal string"* ]]
	[[ "$(jq -r .error.message_zh <<<"$body")" == *"类型不正确"* ]]
	# not found, with the id kept
	req GET /v1/applications/SH-2025-999999 zh -H "Authorization: Bearer $T_REVIEWER"
	zh_error 404 not_found
	[ "$(jq -r .error.message <<<"$body")" = "未找到 SH-2025-999999" ]
	# forbidden by role
	req GET /v1/report zh -H "Authorization: Bearer $T_APPLICANT"
	zh_error 403 forbidden
	# an unknown query parameter
	req GET '/v1/applications?uscc=1' zh -H "Authorization: Bearer $T_REVIEWER"
	[ "$code" -eq 400 ]
	[[ "$(jq -r .error.message <<<"$body")" != *[a-z][a-z][a-z][a-z]*[a-z]\ [a-z]* ]]
}

@test "conflicts of state in Chinese: approved already, a second approver awaited" {
	req POST /v1/applications/SH-2025-000001/approve zh -H "Authorization: Bearer $T_REVIEWER"
	[ "$code" -eq 200 ] || { echo "$body"; false; }
	req POST /v1/applications/SH-2025-000001/approve zh -H "Authorization: Bearer $T_REVIEWER"
	zh_error 409 conflict
	[ "$(jq -r .error.message <<<"$body")" = "申请 SH-2025-000001 已批准，不能再作此操作" ]
	req POST /v1/applications/SH-2025-000001/approve "" -H "Authorization: Bearer $T_REVIEWER"
	[[ "$(jq -r .error.message <<<"$body")" == *"is awarded"* ]]
	# above the threshold the same approver cannot give the second approval
	req POST /v1/applications/SH-2025-000005/approve zh -H "Authorization: Bearer $T_REVIEWER"
	[ "$code" -eq 200 ] || { echo "$body"; false; }
	req POST /v1/applications/SH-2025-000005/approve zh -H "Authorization: Bearer $T_REVIEWER"
	zh_error 403 forbidden rita-bot
	[ "$(jq -r .error.message <<<"$body")" = "rita-bot 已作第一次审批：该奖励需由另一位审批人确认" ]
}

@test "sign-in failures, CSRF, body too large and the rate limit in Chinese" {
	req POST /v1/session zh-CN -H 'Content-Type: application/json' \
		--data-binary '{"name":"ada","password":"wrong-pass-1"}'
	zh_error 401 wrong_password
	req GET /v1/me zh -H 'Authorization: Bearer qt_nosuchtoken'
	zh_error 401 unauthorized
	# a signed-in change without its CSRF token
	curl -s -c "$DIR/ada.jar" -o /dev/null -X POST "$URL/v1/session" -H 'Content-Type: application/json' \
		--data-binary '{"name":"ada","password":"Ada-pass-2025"}'
	req POST /v1/applications/SH-2025-000001/withdraw zh -b "$DIR/ada.jar"
	zh_error 403 csrf
	# a body over --body-max
	head -c 5000 /dev/zero | tr '\0' ' ' >"$DIR/big"
	req POST /v1/applications zh -H "Authorization: Bearer $T_APPLICANT" \
		-H 'Content-Type: application/json' --data-binary @"$DIR/big"
	zh_error 413 too_large
	[ "$(jq -r .error.message <<<"$body")" = "请求内容超过 4096 字节的上限，已拒绝" ]
	# failed sign-ins back off: the wait in seconds kept in the Chinese
	for i in 1 2 3 4 5 6; do
		req POST /v1/session zh -H 'Content-Type: application/json' \
			--data-binary "{\"name\":\"ada\",\"password\":\"wrong-pass-$i\"}"
		[ "$code" -eq 429 ] && break
	done
	req POST /v1/session zh -H 'Content-Type: application/json' \
		--data-binary '{"name":"ada","password":"Ada-pass-2025"}'
	zh_error 429 too_many_attempts
	wait_s=$(sed -n 's/^[Rr]etry-[Aa]fter: *//p' <<<"$headers")
	[ "$(jq -r .error.message <<<"$body")" = "登录失败次数过多，请 $wait_s 秒后再试" ]
	# the rate limit, on a server of its own
	kill "$(cat "$DIR/serve.pid")"
	wait 2>/dev/null || true
	start_server --rate-addr 1
	URL=$(cat "$DIR/serve.url")
	for _ in $(seq 10); do
		req GET /v1/programs zh
		[ "$code" -eq 429 ] && break
	done
	zh_error 429 rate_limited
	grep -qi '^retry-after:' <<<"$headers"
}

@test "show --lang zh gives each history line's detail in Chinese words, as the dashboard does" {
	"$QUAN" withdraw --db "$DB" SH-2025-000005 --by rita >/dev/null 2>&1
	run --separate-stderr "$QUAN" show --db "$DB" SH-2025-000005 --lang zh
	[ "$status" -eq 0 ]
	hist=$(sed -n '/^  历史$/,$p' <<<"$output" | grep -E '^ +#')
	[ "$(wc -l <<<"$hist")" -ge 2 ]
	# no JSON, and no English key left: each key by its Chinese label
	[[ "$hist" != *'"'* && "$hist" != *'{"'* ]] || { echo "$hist"; false; }
	! grep -E '[A-Za-z_]+：' <<<"$hist" || { echo "$hist"; false; }
	[[ "$hist" == *"状态：已撤回"* ]] || { echo "$hist"; false; }
	[[ "$hist" == *"符合条件：是"* && "$hist" == *"已释放："* ]]
	[[ "$hist" == *"撤回           rita"* ]]
	# the demo clock's notice on stderr follows --lang too
	[[ "$stderr" == "quan: 本办公室的时钟由 QUAN_NOW 设为 2025-11-20T10:00:00+08:00，不是系统时间" ]] || { echo "$stderr"; false; }
	# the English reader still gets the stored detail as it is
	run --separate-stderr "$QUAN" show --db "$DB" SH-2025-000005 --lang en
	[[ "$output" == *'"state": "withdrawn"'* || "$output" == *'"state":"withdrawn"'* ]] || { echo "$output"; false; }
}

@test "tables with Chinese labels line up: padded by display width, not bytes" {
	# the column after the action starts at the same terminal column on
	# every history line, whatever the action's Chinese name (提交申请,
	# 第一审批 and 撤回: 12, 12 and 6 bytes)
	"$QUAN" withdraw --db "$DB" SH-2025-000005 --by rita >/dev/null 2>&1 || true
	run --separate-stderr "$QUAN" show --db "$DB" SH-2025-000005 --lang zh
	[[ "$output" == *"撤回"* && "$output" == *"提交申请"* ]]
	cols=$(grep -E '^ +#' <<<"$output" | sed -E 's/^( +#[0-9]+ +[^ ]+ +).*/\1/' |
		while IFS= read -r l; do
		printf '%s\n' "$l" | LC_ALL=C.UTF-8 wc -L; done | sort -u)
	[ "$(wc -l <<<"$cols")" -eq 1 ] || { echo "$output"; echo "$cols"; false; }
	# the queue's Chinese header is as wide as its English one
	zh=$("$QUAN" queue --db "$DB" shanghai-2025 --lang zh 2>/dev/null | head -1 | sed 's/ *优先$//' | LC_ALL=C.UTF-8 wc -L)
	en=$("$QUAN" queue --db "$DB" shanghai-2025 --lang en 2>/dev/null | head -1 | sed 's/ *priority$//' | LC_ALL=C.UTF-8 wc -L)
	[ "$zh" -eq "$en" ] || { echo "zh $zh en $en"; false; }
	# apply's state column: the amount ends at the same column in both
	zh=$("$QUAN" apply --db "$DB" --by clerk --lang zh "$EX/sh-model.json" 2>/dev/null | sed -E 's/(\.[0-9]{2}).*/\1/' | LC_ALL=C.UTF-8 wc -L)
	en=$("$QUAN" apply --db "$DB" --by clerk --lang en "$EX/sh-model.json" 2>/dev/null | sed -E 's/(\.[0-9]{2}).*/\1/' | LC_ALL=C.UTF-8 wc -L)
	[ "$zh" -eq "$en" ] || { echo "zh $zh en $en"; false; }
}

@test "the verbs whose output is figures give their states and errors in --lang zh, as their --help says" {
	run --separate-stderr "$QUAN" report --db "$DB" --lang zh
	[ "$status" -eq 0 ]
	[[ "$output" == *" 已预留:"* ]] || { echo "$output"; false; }
	[[ "$output" != *" reserved:"* ]]
	run --separate-stderr "$QUAN" report --db "$DB" --lang en
	[[ "$output" == *" reserved:"* ]]
	# a refused withdrawal and a missing application, in Chinese
	run --separate-stderr "$QUAN" withdraw --db "$DB" SH-2025-000005 --by rita --lang zh
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"quan: 申请 SH-2025-000005 已撤回，不能再作此操作"* ]] || { echo "$stderr"; false; }
	run --separate-stderr "$QUAN" disburse --db "$DB" SH-2025-000099 1.00 --by fay --lang zh
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"quan: 未找到 SH-2025-000099"* ]] || { echo "$stderr"; false; }
}
