#!/usr/bin/env bats
# End-to-end: `quan simulate` against the office itself, reforms, and the
# application CSV shared with `quan apply --csv`.

load db

bats_require_minimum_version 1.5.0

setup() {
	QUAN=${QUAN:-$BATS_TEST_DIRNAME/../../build/quan}
	ROOT=$BATS_TEST_DIRNAME/../..
	SH=$ROOT/policies/shanghai-2025.yaml
	HAND=$BATS_TEST_DIRNAME/simulate/hand.csv
	REFORM=$ROOT/examples/reforms/shanghai-rent-40.yaml
	TMP=$(mktemp -d)
	DB=$(new_db "$TMP/office.db")
	# Shanghai with pools small enough to run dry on 2000 applications.
	SMALL=$TMP/shanghai-small.yaml
	sed -e 's/"600000000.00"/"60000000.00"/' -e 's/"300000000.00"/"20000000.00"/' "$SH" >"$SMALL"
}

teardown() {
	drop_db "$DB"
	rm -rf "$TMP"
}

# id,state,fen of each row of a simulation's --csv.
sim_states() {
	tail -n +2 "$1" | awk -F, '{gsub(/"/, "", $1); a = $6; gsub(/\./, "", a); sub(/^0+/, "", a); if (a == "") a = "0"; print $1 "," $7 "," a}'
}

@test "simulate: the office's own states, to the fen, from the office and from CSV" {
	"$QUAN" simulate --policy "$SMALL" --synthetic 2000 --seed 7 \
		--write-population "$TMP/pop.csv" --csv "$TMP/synthetic.csv" >/dev/null
	"$QUAN" init --db "$DB" --policy "$SMALL" --by admin >/dev/null
	QUAN_NOW=2026-01-01T00:00:00+08:00 run "$QUAN" apply --db "$DB" --by admin --csv "$TMP/pop.csv"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | grep -c waitlisted)" -gt 100 ]
	sql "$DB" "SELECT id || ',' || state || ',' || requested FROM applications ORDER BY seq" >"$TMP/office"
	[ "$(wc -l <"$TMP/office")" -eq 2000 ]
	"$QUAN" simulate --policy "$SMALL" --from-db "$DB" --csv "$TMP/db.csv" --json >"$TMP/db.json"
	sim_states "$TMP/db.csv" >"$TMP/fromdb"
	diff "$TMP/office" "$TMP/fromdb"
	"$QUAN" simulate --policy "$SMALL" --population "$TMP/pop.csv" --csv "$TMP/pop-sim.csv" >/dev/null
	diff <(cut -d, -f2- "$TMP/office") <(sim_states "$TMP/pop-sim.csv" | cut -d, -f2-)
	diff <(cut -d, -f2- "$TMP/synthetic.csv") <(cut -d, -f2- "$TMP/pop-sim.csv")
	# The office's own sums, pool by pool: awarded = what it reserved.
	reserved=$(sql "$DB" "SELECT COALESCE(SUM(requested), 0) FROM applications WHERE state = 'reserved'")
	awarded=$(jq -r '[.pools[].awarded | sub("\\."; "") | tonumber] | add' "$TMP/db.json")
	[ "$reserved" -eq "$awarded" ]
	# The simulation wrote nothing: the office is as it was.
	sql "$DB" "SELECT id || ',' || state || ',' || requested FROM applications ORDER BY seq" | diff "$TMP/office" -
	jq -e '.pools[] | select(.pool == "compute") | .dry_on != null and .waitlisted > 0' "$TMP/db.json"
}

@test "simulate --json: the contract's fields" {
	run "$QUAN" simulate --policy "$SH" --synthetic 500 --seed 1 --json
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.pools | length == 5'
	echo "$output" | jq -e '.pools[0] | (.program == "shanghai-2025") and (.pool == "compute") and (.year == 2025)
		and (.budget == "600000000.00") and (.demand | test("^[0-9]+\\.[0-9]{2}$"))
		and (.awarded | type == "string") and has("dry_on") and (.served | type == "number")
		and (.waitlisted | type == "number") and (.refused | type == "number")'
}

@test "simulate: a reform that changes nothing gives the baseline, byte for byte" {
	cat >"$TMP/noop.yaml" <<'YAML'
reform: no-change
program: shanghai-2025
changes:
  - measure: compute-rent
    condition: registered-in-city
    when: applicant.registered_city == "shanghai"
YAML
	"$QUAN" simulate --policy "$SMALL" --synthetic 1500 --seed 3 --csv "$TMP/a.csv" >"$TMP/a.txt"
	"$QUAN" simulate --policy "$SMALL" --synthetic 1500 --seed 3 --reform "$TMP/noop.yaml" \
		--csv "$TMP/b.csv" >"$TMP/b.txt"
	diff "$TMP/a.csv" "$TMP/b.csv"
	diff <(tail -n +2 "$TMP/a.txt") <(tail -n +2 "$TMP/b.txt")
	run "$QUAN" simulate --policy "$SMALL" --synthetic 1500 --seed 3 --reform "$TMP/noop.yaml" --compare --json
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '[.pools[].difference | .demand == "0.00" and .awarded == "0.00" and .served == 0] | all'
}

@test "simulate: the 40 % reform by hand, to the fen" {
	sed 's/"600000000.00"/"10000.00"/' "$SH" >"$TMP/tiny.yaml"
	# Baseline, 30 %, a pool of 10 000.00: 3000.00, 3703.70 (12345.67 x
	# 30 % = 3703.701, down), 2999.99 (2999.997); h4 is registered in
	# Hangzhou; h5's 300.00 finds 296.31 left and waits.
	"$QUAN" simulate --policy "$TMP/tiny.yaml" --population "$HAND" --csv "$TMP/base.csv" --json >"$TMP/base.json"
	[ "$(sim_states "$TMP/base.csv" | tr '\n' ' ')" = "h1,reserved,300000 h2,reserved,370370 h3,reserved,299999 h4,ineligible,0 h5,waitlisted,30000 " ]
	jq -e '.pools[0] | .awarded == "9703.69" and .demand == "10003.69" and .dry_on == "2025-10-05" and .served == 3 and .waitlisted == 1 and .refused == 1' "$TMP/base.json"
	jq -e '.pools[0].refused_by_rule["compute-rent.eligibility.registered-in-city"] == 1' "$TMP/base.json"
	# The reform, 40 % for contracts signed from 2025-09-01: h1 (signed
	# 2025-08-15) keeps 30 %; h2 4938.26 (4938.268); h3 asks 3999.99
	# (3999.996) against 2061.74 left and waits; h5 (400.00) waits
	# behind it: no overtaking.
	"$QUAN" simulate --policy "$TMP/tiny.yaml" --population "$HAND" --reform "$REFORM" --csv "$TMP/ref.csv" >/dev/null
	[ "$(sim_states "$TMP/ref.csv" | tr '\n' ' ')" = "h1,reserved,300000 h2,reserved,493826 h3,waitlisted,399999 h4,ineligible,0 h5,waitlisted,40000 " ]
	run "$QUAN" simulate --policy "$TMP/tiny.yaml" --population "$HAND" --reform "$REFORM" --compare --json
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.pools[0] | .awarded == "7938.26" and .baseline.awarded == "9703.69" and .dry_on == "2025-10-03" and .difference.awarded == "-1765.43" and .difference.served == -1'
}

@test "simulate: reform errors at file:line:column" {
	printf 'reform: x\nprogram: shanghai-2025\nchanges:\n  - measure: compute-rentt\n    rates: {}\n' >"$TMP/r1.yaml"
	run "$QUAN" simulate --policy "$SH" --population "$HAND" --reform "$TMP/r1.yaml"
	[ "$status" -eq 2 ]
	[[ "$output" == *"r1.yaml:4:14: the policy has no measure 'compute-rentt'"* ]]
	printf 'reform: x\nprogram: shanghai-2025\nchanges:\n  - measure: compute-rent\n    condition: registered-in-city\n    when: applicant.nope == 1\n' >"$TMP/r2.yaml"
	run "$QUAN" simulate --policy "$SH" --population "$HAND" --reform "$TMP/r2.yaml"
	[ "$status" -eq 2 ]
	[[ "$output" == *"r2.yaml:4:5: this change makes the policy invalid: unknown field 'applicant.nope'"* ]]
	printf 'reform: x\nprogram: hangzhou-2025\nchanges:\n  - parameter: p\n    values: {2025-01-01: 1}\n    colour: red\n' >"$TMP/r3.yaml"
	run "$QUAN" simulate --policy "$SH" --population "$HAND" --reform "$TMP/r3.yaml"
	[ "$status" -eq 2 ]
	[[ "$output" == *"r3.yaml:2:10: the reform is of program 'hangzhou-2025'"* ]]
	[[ "$output" == *"r3.yaml:6:5: unknown key 'colour' in a change"* ]]
}

@test "simulate and apply --csv: CSV errors name the line and the column" {
	sed 's/,10000.00,2025-08-15/,-10000.00,2025-08-15/' "$HAND" >"$TMP/neg.csv"
	run "$QUAN" simulate --policy "$SH" --population "$TMP/neg.csv"
	[ "$status" -eq 1 ]
	[[ "$output" == *"neg.csv:2:20: column 'value': contract.value: '-10000.00' is negative"* ]]
	sed 's/^h2\(.*\)91310115MA1K4ABCDD/h2\191310115MA1K4ABCDX/' "$HAND" >"$TMP/uscc.csv"
	run "$QUAN" simulate --policy "$SH" --population "$TMP/uscc.csv"
	[ "$status" -eq 1 ]
	[[ "$output" == *"uscc.csv:3:5: column 'applicant_uscc': applicant.uscc:"*"check character"* ]]
	sed '1s/,sme,/,smee,/' "$HAND" >"$TMP/col.csv"
	run "$QUAN" simulate --policy "$SH" --population "$TMP/col.csv"
	[ "$status" -eq 1 ]
	[[ "$output" == *"col.csv:1:9: unknown column 'smee'"* ]]
	# A population needs every arrival time; an import does not.
	sed '3s/2025-10-02T09:00:00+08:00//' "$HAND" >"$TMP/noat.csv"
	run "$QUAN" simulate --policy "$SH" --population "$TMP/noat.csv"
	[ "$status" -eq 1 ]
	[[ "$output" == *"noat.csv:3:4: column 'received_at': empty"* ]]
	"$QUAN" init --db "$DB" --policy "$SH" --by admin >/dev/null
	QUAN_NOW=2025-11-20T10:00:00+08:00 run "$QUAN" apply --db "$DB" --by admin --csv "$TMP/uscc.csv"
	[ "$status" -eq 1 ]
	[[ "$output" == *"uscc.csv:3:5: column 'applicant_uscc'"* ]]
	[ "$(echo "$output" | grep -c reserved)" -eq 3 ]
}

@test "simulate --help exits 0; a bad command line exits 1" {
	run "$QUAN" simulate --help
	[ "$status" -eq 0 ]
	[[ "$output" == usage:* ]]
	run "$QUAN" simulate --policy "$SH"
	[ "$status" -eq 1 ]
	run "$QUAN" simulate --policy "$SH" --synthetic 10 --seed 1 --compare
	[ "$status" -eq 1 ]
}
