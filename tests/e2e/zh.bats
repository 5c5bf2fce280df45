#!/usr/bin/env bats
# End-to-end: Chinese throughout (issue 13). Every bundled policy gives
# each text in Chinese too, `policy check` warns about one that does not,
# decisions carry both languages, and `Accept-Language: zh-CN` over real
# HTTP puts the Chinese in the English keys' place.

load db

bats_require_minimum_version 1.5.0

setup() {
	QUAN=${QUAN:-$BATS_TEST_DIRNAME/../../build/quan}
	ROOT=$BATS_TEST_DIRNAME/../..
	EX=$ROOT/examples/applications
	TMP=$(mktemp -d)
	export QUAN_NOW=2025-11-20T10:00:00+08:00
}

teardown() {
	[ -f "$TMP/serve.pid" ] && kill "$(cat "$TMP/serve.pid")" 2>/dev/null || true
	[ -n "${DB:-}" ] && drop_db "$DB"
	rm -rf "$TMP"
}

@test "every bundled policy gives every says and assumption in Chinese: policy check warns of none" {
	for f in "$ROOT"/policies/*.yaml; do
		run --separate-stderr "$QUAN" policy check "$f"
		[ "$status" -eq 0 ] || { echo "$f: $stderr"; false; }
		[[ "$stderr" != *warning* ]] || { echo "$f: $stderr"; false; }
	done
	# and the files say so, key by key
	for f in "$ROOT"/policies/*.yaml; do
		s=$(grep -c '^ *says:' "$f")
		z=$(grep -c '^ *says_zh:' "$f")
		a=$(grep -c '^ *assumption:' "$f")
		az=$(grep -c '^ *assumption_zh:' "$f")
		[ "$s" -eq "$z" ] && [ "$a" -eq "$az" ] || { echo "$f: $s says, $z says_zh, $a assumption, $az assumption_zh"; false; }
	done
}

@test "a text in English only is a warning at its file:line:column, not an error" {
	grep -v '^ *says_zh\|^ *assumption_zh' "$ROOT/policies/henan-2024.yaml" >"$TMP/en.yaml"
	run --separate-stderr "$QUAN" policy check "$TMP/en.yaml"
	[ "$status" -eq 0 ]
	[[ "$output" == *"en.yaml: ok"* ]]
	[[ "$stderr" == *"en.yaml:"*":"*": warning: rule 'compute.rate.fixed' says \""*"\" in English only: add 'says_zh' and 'says_zh_source'"* ]]
	[[ "$stderr" == *"warning: rule 'pool.compute' has an assumption in English only: add 'assumption_zh'"* ]]
}

@test "says_zh needs its source, and the source must be 'office' or one of the policy's" {
	grep -v '^ *says_zh_source' "$ROOT/policies/henan-2024.yaml" >"$TMP/nosrc.yaml"
	run "$QUAN" policy check "$TMP/nosrc.yaml"
	[ "$status" -eq 2 ]
	[[ "$output" == *"nosrc.yaml:"*"'says_zh' needs 'says_zh_source': 'office' for the office's own wording, or the id of the source it quotes"* ]]
	sed '0,/says_zh_source: office/s//says_zh_source: nowhere/' \
		"$ROOT/policies/henan-2024.yaml" >"$TMP/badsrc.yaml"
	run "$QUAN" policy check "$TMP/badsrc.yaml"
	[ "$status" -eq 2 ]
	[[ "$output" == *"badsrc.yaml:"*"unknown says_zh_source 'nowhere': use 'office' or a source id"* ]]
	sed '0,/^\( *\)says: .*/s//\1says_zh: "只有中文"/' \
		"$ROOT/policies/henan-2024.yaml" >"$TMP/onlyzh.yaml"
	run "$QUAN" policy check "$TMP/onlyzh.yaml"
	[ "$status" -eq 2 ]
	[[ "$output" == *"onlyzh.yaml:"* ]]
}

@test "a decision carries each text in both languages, with the numbers in both" {
	run "$QUAN" estimate --json --policy "$ROOT/policies/shanghai-2025.yaml" "$EX/sh-compute-early.json"
	[ "$status" -eq 0 ]
	[[ "$output" == *'"words": "base 1200000.00 yuan"'* ]]
	[[ "$output" == *'"words_zh": "基数 1200000.00 元"'* ]]
	[[ "$output" == *'"words_zh": "分担 360000.00 元：市级承担金额的3/10：即租金的30%，为本市对租用算力的自身上限"'* ]]
	[[ "$output" == *'"says_zh": "市区协同给予最多1年、最高100%的租金补贴"'* ]]
	[[ "$output" == *'"says_zh_source": "sh-489"'* ]]
	[[ "$output" == *'"assumption_zh": "该比例为市级与区级合计上限；各自承担多少见下方出资方分担"'* ]]
	# every trace line of every bundled example has its Chinese, and no
	# English word is left in it but ids, codes and field names
	pols=()
	for f in "$ROOT"/policies/*.yaml; do pols+=(--policy "$f"); done
	n=0
	for a in "$EX"/*.json; do
		run --separate-stderr "$QUAN" estimate --json "${pols[@]}" "$a"
		[ "$status" -eq 0 ] || { echo "$a: $stderr"; false; }
		n=$((n + $(jq '.trace | length' <<<"$output")))
		left=$(jq -r '.trace[] | .words_zh // "MISSING"' <<<"$output" |
			grep -oE '[A-Za-z][A-Za-z]+' | grep -vE '^(GB|T|H100|FLOPS|P)$' || true)
		[ -z "$left" ] || { echo "$a: $left"; false; }
	done
	[ "$n" -gt 100 ]
}

@test "Accept-Language: zh-CN over HTTP answers in Chinese; without it, English" {
	DB=$(new_db "$TMP/office.db")
	"$QUAN" init --db "$DB" --policy "$ROOT/policies/shanghai-2025.yaml" --by admin >/dev/null
	T=$("$QUAN" user add --db "$DB" rita --role reviewer)
	A=$("$QUAN" user add --db "$DB" firm-a --role applicant --uscc 91310115MA1K4ABCDD)
	serve_bg "$TMP/serve" "$DB"
	body=$(curl -s -H "Authorization: Bearer $A" -H 'Content-Type: application/json' \
		-H 'Accept-Language: zh-CN,zh;q=0.9,en;q=0.5' \
		--data-binary @"$EX/sh-compute-rent.json" "$URL/v1/applications")
	id=$(jq -r .id <<<"$body")
	[[ "$id" == SH-2025-* ]] || { echo "$body"; false; }
	en=$(curl -s -H "Authorization: Bearer $T" "$URL/v1/applications/$id")
	zh=$(curl -s -H "Authorization: Bearer $T" -H 'Accept-Language: zh' "$URL/v1/applications/$id")
	[[ "$(jq -r '.decision.trace[] | select(.rule | endswith("registered-in-city")) | .says' <<<"$en")" == "registered in Shanghai" ]]
	[[ "$(jq -r '.decision.trace[] | select(.rule | endswith("registered-in-city")) | .says' <<<"$zh")" == "在上海注册" ]]
	# both carry the Chinese under its own key, so a client can show either
	[[ "$(jq -r '.decision.trace[] | select(.rule | endswith("registered-in-city")) | .says_zh' <<<"$en")" == "在上海注册" ]]
	[[ "$(jq -r '.decision.trace[] | select(.rule | endswith("registered-in-city")) | .words' <<<"$zh")" == "通过：在上海注册" ]]
	[[ "$(jq -r '.decision.trace[] | select(.rule | endswith("registered-in-city")) | .words' <<<"$en")" == "passed: registered in Shanghai" ]]
	# an English preference first keeps English
	en2=$(curl -s -H "Authorization: Bearer $T" -H 'Accept-Language: en-GB,zh;q=0.8' "$URL/v1/applications/$id")
	[ "$en2" = "$en" ]
}

@test "the CLI follows --lang, or LANG when --lang is not given" {
	A=$EX/sh-compute-early.json
	P=$ROOT/policies/shanghai-2025.yaml
	run env LC_ALL= LC_MESSAGES= LANG=C.UTF-8 "$QUAN" estimate --at 2025-09-01T10:00:00+08:00 --policy "$P" "$A"
	[ "$status" -eq 0 ]
	[[ "$output" == *"passed: registered in Shanghai"* ]]
	run env LC_ALL= LC_MESSAGES= LANG=C.UTF-8 "$QUAN" estimate --lang zh --at 2025-09-01T10:00:00+08:00 --policy "$P" "$A"
	[ "$status" -eq 0 ]
	[[ "$output" == *"通过：在上海注册"* ]]
	[[ "$output" == *"依据 compute-early.rate.ceiling：市区协同给予最多1年、最高100%的租金补贴"* ]]
	[[ "$output" == *"补贴金额   "*" 元"* && "$output" == *"逐条规则"* ]]
	run env LC_ALL= LC_MESSAGES= LANG=zh_CN.UTF-8 "$QUAN" estimate --json --at 2025-09-01T10:00:00+08:00 --policy "$P" "$A"
	[ "$status" -eq 0 ]
	[[ "$(jq -r '.trace[] | select(.rule | endswith("registered-in-city")) | .words' <<<"$output")" == "通过：在上海注册" ]]
	# --lang wins over LANG
	run env LANG=zh_CN.UTF-8 "$QUAN" estimate --lang en --json --at 2025-09-01T10:00:00+08:00 --policy "$P" "$A"
	[[ "$(jq -r '.trace[] | select(.rule | endswith("registered-in-city")) | .words' <<<"$output")" == "passed: registered in Shanghai" ]]
	run "$QUAN" estimate --lang fr --policy "$P" "$A"
	[ "$status" -eq 2 ]
	[[ "$output" == *"unknown language 'fr': use en or zh"* ]]
}
