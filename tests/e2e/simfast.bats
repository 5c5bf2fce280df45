#!/usr/bin/env bats
# End-to-end: `quan simulate --threads N` makes, screens and builds the
# facts of applications on N threads and allocates once, in arrival order
# (src/sim/pipe.h): every figure and every row is the same, byte for byte,
# whatever N, and whether a decision was made ahead (its measure reads no
# history) or in turn.

bats_require_minimum_version 1.5.0

setup() {
	QUAN=${QUAN:-$BATS_TEST_DIRNAME/../../build/quan}
	ROOT=$BATS_TEST_DIRNAME/../..
	SH=$ROOT/policies/shanghai-2025.yaml
	REFORM=$ROOT/examples/reforms/shanghai-rent-40.yaml
	TMP=$(mktemp -d)
	# Small pools, so that they run dry and the waitlist matters; and
	# every cap per applicant-year, so that each applicant's history
	# (what it asked before) cuts its later awards.
	YEARLY=$TMP/shanghai-yearly.yaml
	sed -e 's/"600000000.00"/"60000000.00"/' -e 's/"300000000.00"/"20000000.00"/' \
		-e 's/per: contract/per: applicant-year/' "$SH" >"$YEARLY"
}

teardown() {
	rm -rf "$TMP"
}

# Run simulate with --threads 1 and with --threads N for each N given,
# and compare the JSON and the CSV byte for byte.
same_for_threads() {
	local args=("${@:2}")

	"$QUAN" simulate "${args[@]}" --threads 1 --json --csv "$TMP/1.csv" >"$TMP/1.json"
	[ "$(jq '.applications' "$TMP/1.json")" -gt 0 ]
	[ "$(wc -l <"$TMP/1.csv")" -gt 1 ]
	for n in $1; do
		"$QUAN" simulate "${args[@]}" --threads "$n" --json --csv "$TMP/$n.csv" >"$TMP/$n.json"
		cmp "$TMP/1.json" "$TMP/$n.json"
		cmp "$TMP/1.csv" "$TMP/$n.csv"
	done
	# Without --csv a measure that reads no history is decided on the
	# threads, ahead of its turn: the same document.
	"$QUAN" simulate "${args[@]}" --threads 2 --json >"$TMP/nocsv.json"
	cmp "$TMP/1.json" "$TMP/nocsv.json"
}

@test "simfast: 1, 2 and 3 threads give the same --json and CSV, synthetic" {
	# 30 000 applications: many blocks of 1024, more than the ring holds.
	same_for_threads "2 3" --policy "$SH" --synthetic 30000 --seed 11
	jq -e '[.pools[] | .served] | add > 0' "$TMP/2.json"
}

@test "simfast: the same with yearly caps and pools that run dry" {
	same_for_threads "2" --policy "$YEARLY" --synthetic 30000 --seed 5
	jq -e '.pools[] | select(.pool == "compute") | .dry_on != null and .waitlisted > 0' "$TMP/2.json"
}

@test "simfast: the same for --compare (two simulations in step)" {
	same_for_threads "2" --policy "$SH" --reform "$REFORM" --compare --synthetic 20000 --seed 3
	jq -e '[.pools[] | .difference.awarded | tonumber | . != 0] | any' "$TMP/2.json"
}

@test "simfast: the same from a population CSV (parsed on the threads)" {
	"$QUAN" simulate --policy "$YEARLY" --synthetic 5000 --seed 9 \
		--write-population "$TMP/pop.csv" >/dev/null
	same_for_threads "2 4" --policy "$YEARLY" --population "$TMP/pop.csv"
}

@test "simfast: --threads takes 1 to 64" {
	for bad in 0 65 x 2x -1; do
		run "$QUAN" simulate --policy "$SH" --synthetic 10 --seed 1 --threads "$bad"
		[ "$status" -eq 1 ]
		[[ "$output" == *"--threads takes 1 to 64"* ]]
	done
}
