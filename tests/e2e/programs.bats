#!/usr/bin/env bats
# End-to-end: one office holding several programs (Shanghai 2025, Hangzhou
# 2024, Shenzhen 2024): init with several policies, program add, reports
# per program and overall, and the domestic share of subsidised compute.

load db

bats_require_minimum_version 1.5.0

setup() {
	QUAN=${QUAN:-$BATS_TEST_DIRNAME/../../build/quan}
	ROOT=$BATS_TEST_DIRNAME/../..
	P=$ROOT/policies
	EX=$ROOT/examples/applications
	TMP=$(mktemp -d)
	DB=$TMP/office.db
	# The office's clock: inside every window of the three programs, after
	# every example's contract was signed.
	export QUAN_NOW=2025-11-20T10:00:00+08:00
}

teardown() {
	rm -rf "$TMP"
}

three() {
	"$QUAN" init --db "$DB" --policy "$P/shanghai-2025.yaml" --policy "$P/hangzhou-2024.yaml" --by admin >/dev/null
	"$QUAN" program add --db "$DB" --policy "$P/shenzhen-2024.yaml" --by admin >/dev/null
	hz_lists "$DB"
}

@test "init loads several programs, program add one more; each is funded once" {
	run "$QUAN" init --db "$DB" --policy "$P/shanghai-2025.yaml" --policy "$P/hangzhou-2024.yaml" --by admin
	[ "$status" -eq 0 ]
	[ "$(grep -c 'loaded as a new version' <<<"$output")" -eq 2 ]
	run "$QUAN" program add --db "$DB" --policy "$P/shenzhen-2024.yaml" --by admin
	[ "$status" -eq 0 ]
	[[ "$output" == *"shenzhen-2024.yaml loaded as a new version"* ]]
	run "$QUAN" program add --db "$DB" --policy "$P/shenzhen-2024.yaml" --by admin
	[[ "$output" == *"already loaded"* ]]
	run "$QUAN" program add --db "$DB" --policy "$P/shenzhen-2024.yaml"
	[ "$status" -eq 1 ]
	run --separate-stderr "$QUAN" report --db "$DB" --json
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r '.programs | map(.program) | join(",")')" = hangzhou-2024,shanghai-2025,shenzhen-2024 ]
	# Budgets: Hangzhou 250 M x 2 years; Shanghai 600 + 300 + 100 M, the
	# institute 500 M committed for 2025-2029 and R&D 200 M; Shenzhen (500 + 50 + 100 M) x 2.
	[ "$(echo "$output" | jq -r '.programs[] | select(.program == "hangzhou-2024") | .budget')" = 500000000.00 ]
	[ "$(echo "$output" | jq -r '.programs[] | select(.program == "shanghai-2025") | .budget')" = 1700000000.00 ]
	[ "$(echo "$output" | jq -r '.programs[] | select(.program == "shenzhen-2024") | .budget')" = 1300000000.00 ]
	[ "$(echo "$output" | jq -r .total.budget)" = 3500000000.00 ]
	[ "$(echo "$output" | jq -r .total.available)" = 3500000000.00 ]
	run "$QUAN" ledger check --db "$DB"
	[ "$status" -eq 0 ]
}

@test "applications to three programs: per program, overall, and the domestic share" {
	three
	run "$QUAN" apply --db "$DB" --by applicant "$EX/sh-compute-rent.json" \
		"$EX/hz-compute-domestic.json" "$EX/hz-compute-sme.json" "$EX/sz-training.json"
	[ "$status" -eq 0 ]
	# each program numbers its own applications, from 1 in the fiscal year
	[ "$(numbers "$output" | xargs)" = "SH-2025-000001 HZ-2025-000001 HZ-2025-000002 SZ-2025-000001" ]
	run "$QUAN" review --db "$DB" SH-2025-000001 --approve --by reviewer
	[ "$status" -eq 0 ]
	run --separate-stderr "$QUAN" report --db "$DB" --json
	[ "$status" -eq 0 ]
	echo "$output" >"$TMP/r.json"
	# Shanghai 360 000 awarded; Hangzhou 900 000 + 80 000 (the SME contract
	# at the 2024 measures' 20 %: the 50 % SME rate is the 2025 document's)
	# and Shenzhen 1 800 000 reserved.
	[ "$(jq -r '.programs[] | select(.program == "shanghai-2025") | .awarded' "$TMP/r.json")" = 360000.00 ]
	[ "$(jq -r '.programs[] | select(.program == "hangzhou-2024") | .reserved' "$TMP/r.json")" = 980000.00 ]
	[ "$(jq -r '.programs[] | select(.program == "shenzhen-2024") | .reserved' "$TMP/r.json")" = 1800000.00 ]
	[ "$(jq -r .total.reserved "$TMP/r.json")" = 2780000.00 ]
	[ "$(jq -r .total.awarded "$TMP/r.json")" = 360000.00 ]
	[ "$(jq -r .total.applications.reserved "$TMP/r.json")" = 3 ]
	# the pools array keeps its shape, with the cumulative totals beside the balances
	[ "$(jq -r '.pools[0] | keys | join(",")' "$TMP/r.json")" = applications,available,awarded,budget,commitment,paid,pool,program,recovered,reserved,totals,treasury,year ]
	# Shanghai's institute pool is one row: 500 M committed for 2025-2029.
	[ "$(jq -r '.pools[] | select(.pool == "institute") | "\(.year) \(.commitment.from)-\(.commitment.until) \(.budget)"' "$TMP/r.json")" = "2025 2025-2029 500000000.00" ]
	[ "$(jq -r '[.pools[] | select(.pool == "compute") | .commitment] | unique | join(",")' "$TMP/r.json")" = "" ]

	# Domestic share: every subsidy is on a domestic chip but Hangzhou's
	# SME contract (H100, 80 000): 3 060 000 of 3 140 000 = 9745 bp.
	# Hours: Shanghai 64 x 4000 x 0.65 = 166 400 domestic.
	[ "$(jq -r .self_reliance.total.subsidy "$TMP/r.json")" = 3140000.00 ]
	[ "$(jq -r .self_reliance.total.domestic_subsidy "$TMP/r.json")" = 3060000.00 ]
	[ "$(jq -r .self_reliance.total.share_yuan_bp "$TMP/r.json")" = 9745 ]
	[ "$(jq -r .self_reliance.total.share_yuan "$TMP/r.json")" = 97.45% ]
	[ "$(jq -r '.self_reliance.months[] | select(.month == "2025-08") | .domestic_h100_hours' "$TMP/r.json")" = 166400 ]
	[ "$(jq -r .self_reliance.forecast_2027.share_bp "$TMP/r.json")" = 5500 ]

	run "$QUAN" report --db "$DB"
	[[ "$output" == *"all programs"*"3500000000.00"* ]]
	[[ "$output" == *"domestic chips in subsidised compute"* ]]
	[[ "$output" == *"forecast: domestic chips 55%"* ]]
	run "$QUAN" ledger check --db "$DB"
	[ "$status" -eq 0 ]
}

@test "one number prefix, one program: init and program add refuse a second program with a prefix the office holds" {
	# Hangzhou 2024 (HZ) and 2025 (HZ25) live side by side, numbered apart.
	run "$QUAN" init --db "$DB" --policy "$P/hangzhou-2024.yaml" --policy "$P/hangzhou-2025.yaml" --by admin
	[ "$status" -eq 0 ]
	hz_lists "$DB"
	run "$QUAN" apply --db "$DB" --by a "$EX/hz-compute-sme.json" "$EX/hz2025-compute.json"
	[ "$status" -eq 0 ]
	[ "$(numbers "$output" | xargs)" = "HZ-2025-000001 HZ25-2025-000001" ]

	sed -E 's/^program: shenzhen-2024/program: shenzhen-clash/; s/^number_prefix: SZ /number_prefix: HZ25 /' \
		"$P/shenzhen-2024.yaml" >"$TMP/clash.yaml"
	grep -q '^number_prefix: HZ25 ' "$TMP/clash.yaml"
	grep -q '^program: shenzhen-clash' "$TMP/clash.yaml"
	events=$(sqlite3 "$DB" 'select count(*) from events')
	run "$QUAN" program add --db "$DB" --policy "$TMP/clash.yaml" --by admin
	[ "$status" -eq 1 ]
	[[ "$output" == *"number_prefix 'HZ25' is already the prefix of program 'hangzhou-2025'"* ]]
	run "$QUAN" init --db "$DB" --policy "$TMP/clash.yaml" --by admin
	[ "$status" -eq 1 ]
	[[ "$output" == *"number_prefix 'HZ25'"* ]]
	[ "$(sqlite3 "$DB" 'select count(*) from events')" -eq "$events" ]
	run --separate-stderr "$QUAN" report --db "$DB" --json
	[ "$(jq -r '.programs | map(.program) | join(",")' <<<"$output")" = hangzhou-2024,hangzhou-2025 ]

	# in one init, the second of two such programs is refused
	run "$QUAN" init --db "$TMP/two.db" --policy "$P/shenzhen-2024.yaml" --policy "$TMP/clash.yaml" --policy "$P/hangzhou-2025.yaml" --by admin
	[ "$status" -eq 1 ]
	[[ "$output" == *"already the prefix of program"* ]]
}

@test "Zhengzhou's review queue puts holders of a Henan award first, and the money is the same" {
	"$QUAN" init --db "$DB" --policy "$P/henan-2024.yaml" --policy "$P/zhengzhou-2024.yaml" --by admin >/dev/null
	# Another Zhengzhou firm, which holds nothing, applies first.
	sed -e 's/91410100MA4HN0001W/91410100MA4HN00033/' -e 's/zz-compute-1/zz-other/' \
		-e 's/ZZ-SL-2024-0031/ZZ-SL-2024-0077/' "$EX/zz-compute.json" >"$TMP/other.json"
	run "$QUAN" apply --db "$DB" --by a "$TMP/other.json" "$EX/ha-compute.json" "$EX/zz-compute.json"
	[ "$status" -eq 0 ]
	# 20 % of 3 000 000.00 each, under the 1 M yearly cap.
	[[ "$output" == *"ZZ-2025-000001       reserved           600000.00"* ]]
	[[ "$output" == *"ZZ-2025-000002       reserved           600000.00"* ]]
	# Before the provincial award: oldest first, nobody has priority.
	run --separate-stderr "$QUAN" queue --db "$DB" zhengzhou-2024 --json
	[ "$status" -eq 0 ]
	[ "$(jq -r '[.[].id] | join(",")' <<<"$output")" = "ZZ-2025-000001,ZZ-2025-000002" ]
	[ "$(jq '[.[] | select(.priority)] | length' <<<"$output")" -eq 0 ]
	run "$QUAN" review --db "$DB" HA-2025-000001 --approve --by r
	[ "$status" -eq 0 ]
	run --separate-stderr "$QUAN" queue --db "$DB" zhengzhou-2024 --json
	[ "$status" -eq 0 ]
	[ "$(jq -r '[.[].id] | join(",")' <<<"$output")" = "ZZ-2025-000002,ZZ-2025-000001" ]
	[ "$(jq -r '.[0].priority.holds' <<<"$output")" = "HA-2025-000001" ]
	[ "$(jq -r '.[0].priority.rule' <<<"$output")" = "compute.priority" ]
	[ "$(jq -r '.[0].requested, .[1].requested' <<<"$output" | sort -u)" = "600000.00" ]
	run --separate-stderr "$QUAN" queue --db "$DB" zhengzhou-2024
	[[ "$(sed -n 2p <<<"$output")" == "1    ZZ-2025-000002"*"holds HA-2025-000001" ]]
	[[ "$(sed -n 3p <<<"$output")" == "2    ZZ-2025-000001"* ]]
	run "$QUAN" queue --db "$DB" nowhere-2025
	[ "$status" -eq 1 ]
	[[ "$output" == *"'nowhere-2025' is not a program of this office"* ]]
}

@test "Henan's rate is fixed: a reviewer cannot lower it, but may lower the approved value" {
	"$QUAN" init --db "$DB" --policy "$P/henan-2024.yaml" --by admin >/dev/null
	# 20 % of 1 234 567.89, rounded down to the fen
	run "$QUAN" apply --db "$DB" --by a "$EX/ha-compute.json"
	[[ "$output" == *"HA-2025-000001       reserved           246913.57"* ]]
	run "$QUAN" review --db "$DB" HA-2025-000001 --approve --rate 1000 --by r
	[ "$status" -eq 1 ]
	[[ "$output" == *"measure 'compute' pays a fixed rate of 2000 bp, not a ceiling"* ]]
	run "$QUAN" show --db "$DB" HA-2025-000001 --json
	[[ "$output" == *'"state": "reserved"'* ]]
	# 20 % of an approved 1 000 000.00
	run "$QUAN" review --db "$DB" HA-2025-000001 --approve --approved-value 1000000.00 --by r
	[ "$status" -eq 0 ]
	run "$QUAN" report --db "$DB" --json
	[[ "$output" == *'"awarded": "200000.00"'* ]]
}
