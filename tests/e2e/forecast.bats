#!/usr/bin/env bats
# End-to-end: `quan forecast`, when each pool of a live office runs dry, as
# a projection of its own arrivals; it reads the office and writes nothing.

load db

setup() {
	QUAN=${QUAN:-$BATS_TEST_DIRNAME/../../build/quan}
	ROOT=$BATS_TEST_DIRNAME/../..
	TMP=$(mktemp -d)
	DB=$(new_db "$TMP/office.db")
	export QUAN_NOW=2025-11-20T10:00:00+08:00
	"$QUAN" init --db "$DB" --policy "$ROOT/policies/shanghai-2025.yaml" --by admin >/dev/null 2>&1
	"$QUAN" demo --db "$DB" --count 300 >/dev/null 2>&1
}

teardown() {
	drop_db "$DB"
	rm -rf "$TMP"
}

@test "forecast: every pool and year, deterministic for a seed, the store untouched" {
	before=$(sql "$DB" "SELECT (SELECT count(*) FROM events) || '/' || (SELECT count(*) FROM transfers) || '/' || (SELECT max(updated_at) FROM applications)")
	run "$QUAN" forecast --db "$DB" --json --runs 100 --seed 5
	[ "$status" -eq 0 ]
	echo "$output" >"$TMP/a.json"
	[ "$(jq -r '.projection' "$TMP/a.json" | grep -c projection)" -eq 1 ]
	[ "$(jq '.pools | length' "$TMP/a.json")" -eq "$("$QUAN" report --db "$DB" --json 2>/dev/null | jq '.pools | length')" ]
	# The demo's corpus pool has a waitlist: dry already.
	[ "$(jq -r '.pools[] | select(.pool == "corpus") | .status' "$TMP/a.json")" = dry ]
	# The model pool has money to spare at this pace.
	[ "$(jq -r '.pools[] | select(.pool == "model") | .status' "$TMP/a.json")" = never ]
	"$QUAN" forecast --db "$DB" --json --runs 100 --seed 5 >"$TMP/b.json" 2>/dev/null
	cmp "$TMP/a.json" "$TMP/b.json"
	after=$(sql "$DB" "SELECT (SELECT count(*) FROM events) || '/' || (SELECT count(*) FROM transfers) || '/' || (SELECT max(updated_at) FROM applications)")
	[ "$before" = "$after" ]
}

@test "forecast: a pool spending its budget runs dry, with a median inside its 80 % interval" {
	# An office whose model pool is small for its pace: the demo leaves
	# about 26 M of 145 M by 2025-11-20, at about 1 M a day.
	SMALL=$TMP/small.yaml
	sed -e 's/"300000000.00"/"145000000.00"/' "$ROOT/policies/shanghai-2025.yaml" >"$SMALL"
	DB2=$(new_db "$TMP/office2.db")
	"$QUAN" init --db "$DB2" --policy "$SMALL" --by admin >/dev/null 2>&1
	"$QUAN" demo --db "$DB2" --count 300 >/dev/null 2>&1
	run "$QUAN" forecast --db "$DB2" --json
	[ "$status" -eq 0 ]
	m=$(echo "$output" | jq -c '.pools[] | select(.pool == "model")')
	[ "$(echo "$m" | jq -r .status)" = runs_dry ]
	p10=$(echo "$m" | jq -r .dry_on.p10)
	p50=$(echo "$m" | jq -r .dry_on.p50)
	p90=$(echo "$m" | jq -r '.dry_on.p90 // "9999-12-31"')
	[[ "$p10" < "$p50" || "$p10" = "$p50" ]]
	[[ "$p50" < "$p90" || "$p50" = "$p90" ]]
	[[ "$p50" > "2025-11-20" ]]
	# Within a horizon too short for it: not within the horizon.
	run "$QUAN" forecast --db "$DB2" --horizon 1
	[ "$status" -eq 0 ]
	echo "$output" | grep -E '^shanghai-2025 +model .*not within the horizon'
	drop_db "$DB2"
}

@test "forecast: usage, --help and bad numbers" {
	run "$QUAN" forecast --help
	[ "$status" -eq 0 ]
	[[ "$output" == usage:* ]]
	run "$QUAN" forecast
	[ "$status" -eq 1 ]
	run "$QUAN" forecast --db "$DB" --runs 0
	[ "$status" -eq 1 ]
	[[ "$output" == *"--runs"* ]]
	run "$QUAN" forecast --db "$DB" --horizon x
	[ "$status" -eq 1 ]
}
