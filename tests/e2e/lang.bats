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

# An office holding the invented program, with the supplier (no racks, no
# PFLOPS) eligible only through the named list "partners".
lang_office() {
	"$QUAN" init --db "$TMP/o.db" --policy "$LP" --by admin >/dev/null
	sed -e 's/"racks": 1000/"racks": 10/' -e "s/HT-2025-0001/$1/" "$LA" >"$TMP/$1.json"
}

@test "the office looks the supplier up on the program's named list, and records what it found" {
	lang_office HT-L1
	run "$QUAN" apply --db "$TMP/o.db" --by a "$TMP/HT-L1.json"
	[ "$status" -eq 0 ]
	[[ "$output" == *"LANG-2025-000001"*"ineligible"* ]]
	printf 'uscc,name,reason,source\n91310104MA1FR5T2K1,示例算力中心有限公司,算力伙伴,测试〔2025〕1号\n' >"$TMP/p.csv"
	run "$QUAN" lists import --db "$TMP/o.db" --list partners --by admin "$TMP/p.csv"
	[ "$status" -eq 0 ]
	[[ "$output" == *"1 listed firms imported to list partners"* ]]
	lang_office HT-L2
	run "$QUAN" apply --db "$TMP/o.db" --by a "$TMP/HT-L2.json"
	[ "$status" -eq 0 ]
	[[ "$output" == *"LANG-2025-000002"*"reserved"* ]]
	run "$QUAN" show --db "$TMP/o.db" --json LANG-2025-000002
	[[ "$output" == *'"supplier_lists": ['*'"partners"'* ]]
	# The replay re-decides with the lists it recorded: the same.
	run "$QUAN" audit replay --db "$TMP/o.db"
	[ "$status" -eq 0 ]
	[[ "$output" == *"2 applications re-decided, 0 differ"* ]]
	# An unknown list name is refused by the office, not by SQL.
	run "$QUAN" lists import --db "$TMP/o.db" --list nobody --by admin "$TMP/p.csv"
	[ "$status" -eq 1 ]
	[[ "$output" == *"unknown list 'nobody'"* ]]
}

@test "the pool is charged the city's share only; the district's is the decision's" {
	lang_office HT-L3
	sed -i 's/"racks": 10/"racks": 1000/' "$TMP/HT-L3.json"
	sed -i 's/"200000.00"/"200000.03"/' "$TMP/HT-L3.json"
	run "$QUAN" apply --db "$TMP/o.db" --by a "$TMP/HT-L3.json"
	[ "$status" -eq 0 ]
	[[ "$output" == *"reserved"* ]]
	# 50 % of 200 000.03 = 100 000.01 (rounded half up at the fen... by the
	# one rule); the city takes the odd fen: 50 000.01, the district
	# 50 000.00.
	run "$QUAN" report --db "$TMP/o.db" --json
	[[ "$output" == *'"reserved": "50000.01"'* ]]
	[[ "$output" == *'"available": "99949999.99"'* ]]
	run "$QUAN" show --db "$TMP/o.db" --json LANG-2025-000001
	[[ "$output" == *'"pool_amount": "50000.01"'* ]]
	run "$QUAN" review --db "$TMP/o.db" LANG-2025-000001 --approve --by r
	[ "$status" -eq 0 ]
	run "$QUAN" report --db "$TMP/o.db" --json
	[[ "$output" == *'"awarded": "50000.01"'* ]]
	run "$QUAN" ledger check --db "$TMP/o.db"
	[ "$status" -eq 0 ]
}

@test "policy check: priority must name another program, and carry its words" {
	sed 's/^    allocation: first-come-first-served$/&\n    priority: { holders_of: lang-2025, says: "x", source: text }/' "$LP" >"$TMP/self.yaml"
	run "$QUAN" policy check "$TMP/self.yaml"
	[ "$status" -eq 2 ]
	[[ "$output" == *"self.yaml:"*"'holders_of' names this program itself"* ]]
	sed 's/^    allocation: first-come-first-served$/&\n    priority: { holders_of: other-2025 }/' "$LP" >"$TMP/bare.yaml"
	run "$QUAN" policy check "$TMP/bare.yaml"
	[ "$status" -eq 2 ]
	[[ "$output" == *"says"* ]]
	sed 's/^    allocation: first-come-first-served$/&\n    priority: { holders_of: other-2025, says: "x", source: text }/' "$LP" >"$TMP/ok.yaml"
	run "$QUAN" policy check "$TMP/ok.yaml"
	[ "$status" -eq 0 ]
}

@test "settlement on a jointly funded measure releases the pool's own share of the cut" {
	lang_office HT-L4
	sed -i 's/"racks": 10/"racks": 1000/' "$TMP/HT-L4.json"
	sed -i 's/"200000.00"/"200000.03"/' "$TMP/HT-L4.json"
	"$QUAN" apply --db "$TMP/o.db" --by a "$TMP/HT-L4.json" >/dev/null
	"$QUAN" review --db "$TMP/o.db" LANG-2025-000001 --approve --by r >/dev/null
	# Settled at 100 000.00: 50 % = 50 000.00, the city's half 25 000.00;
	# the pool had awarded 50 000.01, so 25 000.01 returns to it.
	run "$QUAN" settle --db "$TMP/o.db" LANG-2025-000001 --value 100000.00 --invoice FP-1 --by r
	[ "$status" -eq 0 ]
	run "$QUAN" report --db "$TMP/o.db" --json
	[[ "$output" == *'"awarded": "25000.00"'* ]]
	[[ "$output" == *'"available": "99975000.00"'* ]]
	run "$QUAN" ledger check --db "$TMP/o.db"
	[ "$status" -eq 0 ]
}
