#!/usr/bin/env bats
# End-to-end: `quan compare` on the bundled example profile. The figures of
# Shanghai and Hangzhou are recomputed here by hand, in fen, from the rates
# and caps published in the policy files and the figures of data/costs.yaml,
# and must match the output exactly.

setup() {
	QUAN=${QUAN:-$BATS_TEST_DIRNAME/../../build/quan}
	ROOT=$BATS_TEST_DIRNAME/../..
	PROFILE=$ROOT/examples/profiles/startup.yaml
	COSTS=$ROOT/data/costs.yaml
	TMP=$(mktemp -d)
}

teardown() {
	rm -rf "$TMP"
}

# fen -> "1234.56"
yuan() {
	printf '%d.%02d' $(($1 / 100)) $(($1 % 100))
}

# "1234.56" or "1234" -> fen
fen() {
	local w=${1%%.*} f=00
	[[ $1 == *.* ]] && f=${1#*.}0 && f=${f:0:2}
	echo $((10#$w * 100 + 10#$f))
}

# The percentage of the rate row $3 of measure $2 in policy file $1 (as
# written there: "rate: 30%"), as basis points.
rate_bp() {
	local pct
	pct=$(awk -v m="$2" -v r="$3" '
		/^  - id: / { inm = ($3 == m); next }
		inm && $1 == "-" && $2 == "id:" { inrow = ($3 == r); next }
		inm && inrow && $1 == "rate:" { print $2; exit }' "$1")
	pct=${pct%\%}
	echo $(($(fen "$pct") * 100 / 100))
}

# The limit of cap $3 of measure $2 in policy file $1, in fen.
cap_fen() {
	fen "$(awk -v m="$2" -v c="$3" '
		/^  - id: / { inm = ($3 == m); next }
		inm && $1 == "-" && $2 == "id:" { inc = ($3 == c); next }
		inm && inc && $1 == "limit:" { print $2; exit }' "$1")"
}

# A figure of city $1 in data/costs.yaml: block $2 (office_rent ...), key $3.
cost_fen() {
	fen "$(awk -v c="$1" -v b="$2" -v k="$3:" '
		/^  - id: / { inc = ($3 == c); next }
		inc && $1 == b":" { inb = 1; next }
		inc && inb && $1 == k { gsub(/"/, "", $2); print $2; exit }
		inc && /^    [a-z_]+:/ { inb = 0 }' "$COSTS")"
}

# amount x bp / 10000, rounded down (money_scale).
pct_of() {
	echo $(($1 * $2 / 10000))
}

run_compare() {
	run "$QUAN" compare --profile "$PROFILE" --json
	[ "$status" -eq 0 ]
	echo "$output" >"$TMP/out.json"
}

city() { # program, jq path
	jq -r --arg p "$1" ".cities[] | select(.program == \$p) | $2" "$TMP/out.json"
}

@test "compare: Shanghai and Hangzhou recomputed by hand from the policy files, to the fen" {
	run_compare
	SH=$ROOT/policies/shanghai-2025.yaml
	HZ=$ROOT/policies/hangzhou-2024.yaml

	# The plan (examples/profiles/startup.yaml): 128 Ascend 910C x 4000 h
	# x 9.10 yuan rented for 12 months; a 600 k model API contract; a
	# 400 k corpus; 12 people, 300 m2, 50 000 kWh.
	rent=$((128 * 4000 * 910))
	model=60000000
	corpus=40000000
	spend=$((rent + model + corpus))
	[ "$(city shanghai-2025 .planned_spend)" = "$(yuan $spend)" ]

	# Shanghai: the early/small voucher pays 100 % of (at most) one year
	# of rent and beats the 30 % rent voucher on the same contract.
	early=$(pct_of $rent "$(rate_bp "$SH" compute-early ceiling)")
	plain=$(pct_of $rent "$(rate_bp "$SH" compute-rent ceiling)")
	[ "$early" -eq "$rent" ]
	[ "$(city shanghai-2025 '.items[0].measure')" = compute-early ]
	[ "$(city shanghai-2025 '.items[0].subsidy')" = "$(yuan $early)" ]
	[ "$(city shanghai-2025 '.items[0].decisions[] | select(.measure == "compute-rent") | .amount')" = "$(yuan $plain)" ]
	[ "$(city shanghai-2025 '.items[0].decisions[] | select(.measure == "compute-rent") | .counted')" = false ]
	# The model voucher: 50 %, under its 5 M cap per contract.
	sh_model=$(pct_of $model "$(rate_bp "$SH" model ceiling)")
	[ "$sh_model" -lt "$(cap_fen "$SH" model per-contract)" ]
	[ "$(city shanghai-2025 '.items[1].subsidy')" = "$(yuan $sh_model)" ]
	[ "$(city shanghai-2025 '.items[1].decisions[0].rate_rule.rule')" = model.rate.ceiling ]
	# The corpus voucher: 30 %, under its 5 M cap.
	sh_corpus=$(pct_of $corpus "$(rate_bp "$SH" corpus ceiling)")
	[ "$(city shanghai-2025 '.items[2].subsidy')" = "$(yuan $sh_corpus)" ]
	sh_sub=$((early + sh_model + sh_corpus))
	[ "$(city shanghai-2025 .subsidies)" = "$(yuan $sh_sub)" ]
	[ "$sh_sub" -eq 507920000 ]

	# Hangzhou 2024 (the 2025 revision in force on 2025-09-01): domestic
	# compute 30 %; the SME 50 % row needs compute contracts of at most
	# 500 k a year, and this one is 4.66 M; the 8 M yearly cap does not
	# bind. Hangzhou has no model or corpus voucher.
	hz_rent=$(pct_of $rent "$(rate_bp "$HZ" compute domestic-or-registered-model)")
	[ "$hz_rent" -lt "$(cap_fen "$HZ" compute per-applicant-year)" ]
	[ "$(city hangzhou-2024 '.items[0].subsidy')" = "$(yuan $hz_rent)" ]
	[ "$(city hangzhou-2024 '.items[0].decisions[0].rate_rule.rule')" = compute.rate.domestic-or-registered-model ]
	[ "$(city hangzhou-2024 '.items[1].measure')" = null ]
	[ "$(city hangzhou-2024 '.items[2].measure')" = null ]
	[ "$(city hangzhou-2024 .subsidies)" = "$(yuan $hz_rent)" ]
	[ "$hz_rent" -eq 139776000 ]

	# Operating costs from data/costs.yaml: rent per m2 x 300, salary x 12,
	# electricity per MWh x 50 000 kWh / 1000.
	for c in shanghai:shanghai-2025 hangzhou:hangzhou-2024; do
		id=${c%%:*} prog=${c#*:}
		office=$(($(cost_fen $id office_rent per_m2_year) * 300))
		salaries=$(($(cost_fen $id engineer_salary per_year) * 12))
		power=$(($(cost_fen $id electricity per_mwh) * 50000 / 1000))
		[ "$(city $prog .costs.office.amount)" = "$(yuan $office)" ]
		[ "$(city $prog .costs.salaries.amount)" = "$(yuan $salaries)" ]
		[ "$(city $prog .costs.electricity.amount)" = "$(yuan $power)" ]
		[ "$(city $prog .operating_costs)" = "$(yuan $((office + salaries + power)))" ]
		eval "op_$id=$((office + salaries + power))"
	done
	[ "$op_shanghai" -eq 441288000 ]
	[ "$op_hangzhou" -eq 364863000 ]

	# Net cost = spend + operating costs - subsidies.
	[ "$(city shanghai-2025 .net_cost)" = "$(yuan $((spend + op_shanghai - sh_sub)))" ]
	[ "$(city hangzhou-2024 .net_cost)" = "$(yuan $((spend + op_hangzhou - hz_rent)))" ]

	# The trade-off: Shanghai's subsidies are richer, Hangzhou's costs lower.
	[ "$sh_sub" -gt "$hz_rent" ]
	[ "$op_hangzhou" -lt "$op_shanghai" ]
}

@test "compare: the ranking, the winner and why, in words" {
	run_compare
	[ "$(jq -r .winner "$TMP/out.json")" = shanghai-2025 ]
	[ "$(jq -r '.cities[0].rank' "$TMP/out.json")" = 1 ]
	[ "$(jq -r '.cities | length' "$TMP/out.json")" = 8 ] # one per bundled program
	# ranked by net cost, ascending
	jq -e '[.cities[].net_cost | tonumber] | . == sort' "$TMP/out.json"
	[ "$(jq -r .why.runner_up "$TMP/out.json")" = chengdu-2025 ]
	[ "$(jq -r .why.basis "$TMP/out.json")" = subsidies ]
	[[ "$(jq -r .why.text "$TMP/out.json")" == *"compute-early"*"outweighs operating costs"*"higher"* ]]
	# every assumption is marked as one
	[ "$(jq -r '.cities[] | select(.city == "hangzhou") | .costs.salaries.is_assumption' "$TMP/out.json" | head -1)" = true ]
	[ "$(jq -r '.cities[] | select(.city == "hangzhou") | .costs.office.is_assumption' "$TMP/out.json" | head -1)" = false ]

	run "$QUAN" compare --profile "$PROFILE"
	[ "$status" -eq 0 ]
	[[ "$output" == *"why: shanghai-2025 (Shanghai) has the lowest net cost"* ]]
	[[ "$output" == *"assumption:"* ]]
}

@test "compare: only the policies given, and a policy whose city is unknown" {
	run "$QUAN" compare --profile "$PROFILE" --json \
		--policy "$ROOT/policies/shanghai-2025.yaml" --policy "$ROOT/policies/hangzhou-2024.yaml"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r '.cities | map(.program) | join(",")')" = shanghai-2025,hangzhou-2024 ]
	[ "$(echo "$output" | jq -r '.why.subsidies_diff')" = +3681440.00 ]
	[ "$(echo "$output" | jq -r '.why.operating_diff')" = -764250.00 ]

	sed 's/^program: shanghai-2025/program: suzhou-2025/' "$ROOT/policies/shanghai-2025.yaml" >"$TMP/suzhou.yaml"
	run "$QUAN" compare --profile "$PROFILE" --policy "$TMP/suzhou.yaml"
	[ "$status" -eq 1 ]
	[[ "$output" == *"no city in the cost table lists program 'suzhou-2025'"* ]]
}

@test "compare: a bad profile is refused naming the field" {
	sed 's/price_per_hour: "9.10"/price_per_hour: 9.1O/' "$PROFILE" >"$TMP/p.yaml"
	run "$QUAN" compare --profile "$TMP/p.yaml"
	[ "$status" -eq 1 ]
	[[ "$output" == *"plan.compute[0].price_per_hour"* ]]
	sed 's/head_count: 12/head_cuont: 12/' "$PROFILE" >"$TMP/p.yaml"
	run "$QUAN" compare --profile "$TMP/p.yaml"
	[ "$status" -eq 1 ]
	[[ "$output" == *"unknown field 'head_cuont'"* ]]
	sed 's/chip: ascend-910c/chip: ascend-999/' "$PROFILE" >"$TMP/p.yaml"
	run "$QUAN" compare --profile "$TMP/p.yaml"
	[ "$status" -eq 1 ]
	[[ "$output" == *"ascend-999"* ]]
}
