#!/usr/bin/env bats
# End-to-end: the policy language of issue 11 through the real `quan`, on the
# small invented program of tests/policies-lang.

setup() {
	QUAN=${QUAN:-$BATS_TEST_DIRNAME/../../build/quan}
	ROOT=$BATS_TEST_DIRNAME/../..
	LP=$ROOT/tests/policies-lang/lang-2025.yaml
	LA=$ROOT/tests/policies-lang/app.json
	TMP=$(mktemp -d)
	export QUAN_NOW=2025-09-01T10:00:00+08:00
}

teardown() {
	rm -rf "$TMP"
}

@test "estimate shows each funder's share, marks the external one, and says the lists were not read" {
	run "$QUAN" estimate --policy "$LP" "$LA"
	[ "$status" -eq 0 ]
	[[ "$output" == *"amount     100000.00 yuan"* ]]
	[[ "$output" == *"compute.funder.city: 50000.00 yuan"* ]]
	[[ "$output" == *"compute.funder.district: 50000.00 yuan (external: not the pool's)"* ]]
	[[ "$output" == *"none of the policy's supplier lists"* ]]
}

@test "estimate --json carries pool_amount and the external share" {
	sed 's/"200000.00"/"200000.03"/' "$LA" >"$TMP/app.json"
	run "$QUAN" estimate --json --policy "$LP" "$TMP/app.json"
	[ "$status" -eq 0 ]
	[[ "$output" == *'"pool_amount": "50000.01"'* ]]
	[[ "$output" == *'"external": true'* ]]
}

@test "a model service signed the day before its date is refused, naming the dated kind" {
	sed -e 's/"rent"/"api"/' -e 's/2025-08-01/2025-06-12/' "$LA" >"$TMP/app.json"
	run "$QUAN" estimate --policy "$LP" "$TMP/app.json"
	[ "$status" -eq 0 ]
	[[ "$output" == *"not met    compute.kind.api"* ]]
	[[ "$output" == *"failed: api contracts signed from 2025-06-13"* ]]
}

@test "a declared applicant kind that the USCC contradicts is an input error" {
	sed 's/"uscc": "91310115MA1K4ABCDD",/"uscc": "12310000425012345C", "kind": "enterprise",/' \
		"$LA" >"$TMP/app.json"
	run "$QUAN" estimate --policy "$LP" "$TMP/app.json"
	[ "$status" -eq 1 ]
	[[ "$output" == *"applicant.kind: declared 'enterprise', but the USCC '12310000425012345C' registers kind 'institution'"* ]]
}

@test "policy check: a window before the program's text, file:line:column" {
	sed 's/opens: 2025-03-01T00:00:00+08:00/opens: 2024-12-31T00:00:00+08:00/' \
		"$LP" >"$TMP/early.yaml"
	run "$QUAN" policy check "$TMP/early.yaml"
	[ "$status" -eq 2 ]
	[[ "$output" == *"early.yaml:47:14: the window reaches back to 2024-12-31, before 2025-01-01, the earliest date 'retroactive_to' allows"* ]]
	grep -v '^retroactive_to\|^  date: 2025-01-01\|^  source: text\|^  says: "contracts' \
		"$LP" >"$TMP/late.yaml"
	run "$QUAN" policy check "$TMP/late.yaml"
	[ "$status" -eq 2 ]
	[[ "$output" == *"late.yaml:"*"'from' reaches back to 2025-01-01, before the program's text was published on 2025-03-01 (source 'text')"* ]]
}

@test "policy check: a malformed industry code and an undeclared list, file:line:column" {
	sed -e 's/"I65", "C"/"I65", "I66"/' -e 's/supplier_on("partners")/supplier_on("partner")/' \
		"$LP" >"$TMP/bad.yaml"
	run "$QUAN" policy check "$TMP/bad.yaml"
	[ "$status" -eq 2 ]
	[[ "$output" == *"bad.yaml:55:69: "*"'I66': division 66 is not in section I, which holds 63-65"* ]]
	[[ "$output" == *"bad.yaml:59:27: "*"unknown supplier list \"partner\""* ]]
}

@test "policy check refuses a source url that is a site's root, file:line:column" {
	sed 's|    document: "测试〔2025〕1号"|    url: "https://www.example.gov.cn/index.html"|' \
		"$LP" >"$TMP/root.yaml"
	run "$QUAN" policy check "$TMP/root.yaml"
	[ "$status" -eq 2 ]
	[[ "$output" == *"root.yaml:12:11: url 'https://www.example.gov.cn/index.html' is a site's root page"* ]]
	sed 's|    document: "测试〔2025〕1号"|    url: "https://www.example.gov.cn/art/2025/3/1/art_1.html"|' \
		"$LP" >"$TMP/article.yaml"
	run "$QUAN" policy check "$TMP/article.yaml"
	[ "$status" -eq 0 ]
}
