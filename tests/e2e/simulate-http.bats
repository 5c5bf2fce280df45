#!/usr/bin/env bats
# End-to-end over HTTP: GET /v1/forecast and POST /v1/simulate on a demo
# office (SQLite, or PostgreSQL when QUAN_TEST_DB is set), for the analyst
# role: its answers, its bounds, and a simulation stopped at its time limit
# while the server goes on serving.

load db

setup_file() {
	export QUAN=${QUAN:-$BATS_TEST_DIRNAME/../../build/quan}
	export ROOT=$BATS_TEST_DIRNAME/../..
	export DIR=$(mktemp -d)
	export DB=$(new_db "$DIR/office.db")
	export QUAN_NOW=2025-11-20T10:00:00+08:00
	"$QUAN" init --db "$DB" --policy "$ROOT/policies/shanghai-2025.yaml" --by admin >/dev/null 2>&1
	"$QUAN" demo --db "$DB" --count 120 >/dev/null 2>&1
	export T_ANALYST=$("$QUAN" user add --db "$DB" ana --role analyst 2>/dev/null)
	export T_ADMIN=$("$QUAN" user add --db "$DB" ada --role administrator 2>/dev/null)
	export T_AUDITOR=$("$QUAN" user add --db "$DB" otto --role auditor 2>/dev/null)
	export T_APPLICANT=$("$QUAN" user add --db "$DB" firm-a --role applicant --uscc 91310115MA1K4ABCDD 2>/dev/null)
	serve_bg "$DIR/serve" "$DB" --web "$DIR" --forecast-horizon 3660
	export URL
}

teardown_file() {
	kill "$(cat "$DIR/serve.pid")" 2>/dev/null || true
	wait 2>/dev/null || true
	drop_db "$DB"
	rm -rf "$DIR"
}

# call METHOD PATH TOKEN [BODY]: sets $code and $body.
call() {
	local args=(-s -o "$DIR/body" -w '%{http_code}' -X "$1" "$URL$2")
	[ -n "$3" ] && args+=(-H "Authorization: Bearer $3")
	[ $# -ge 4 ] && args+=(-H 'Content-Type: application/json' --data-binary "$4")
	code=$(curl "${args[@]}")
	body=$(cat "$DIR/body")
}

@test "GET /v1/forecast: the CLI's forecast, flagged within the server's horizon" {
	call GET /v1/forecast "$T_ANALYST"
	[ "$code" -eq 200 ]
	echo "$body" | jq -S 'del(.flag_within_days) | .pools |= map(del(.flagged))' >"$DIR/api.json"
	"$QUAN" forecast --db "$DB" --json 2>/dev/null | jq -S 'del(.flag_within_days) | .pools |= map(del(.flagged))' >"$DIR/cli.json"
	cmp "$DIR/api.json" "$DIR/cli.json"
	[ "$(echo "$body" | jq .flag_within_days)" -eq 3660 ]
	# Flagged: dry already, or a median inside the horizon.
	[ "$(echo "$body" | jq '[.pools[] | select(.flagged != (.status == "dry" or .dry_on.p50 != null))] | length')" -eq 0 ]
	call GET /v1/forecast "$T_AUDITOR"
	[ "$code" -eq 200 ]
	call GET /v1/forecast "$T_APPLICANT"
	[ "$code" -eq 403 ]
}

@test "POST /v1/simulate: the answer of quan simulate --json, for an analyst; an applicant is refused" {
	call POST /v1/simulate "$T_ANALYST" '{"program":"shanghai-2025","population":{"synthetic":500,"seed":3}}'
	[ "$code" -eq 200 ]
	echo "$body" | jq -S . >"$DIR/api.json"
	"$QUAN" simulate --policy "$ROOT/policies/shanghai-2025.yaml" --synthetic 500 --seed 3 --json | jq -S . >"$DIR/cli.json"
	cmp "$DIR/api.json" "$DIR/cli.json"
	call POST /v1/simulate "$T_APPLICANT" '{"program":"shanghai-2025","population":{"synthetic":5,"seed":3}}'
	[ "$code" -eq 403 ]
	call POST /v1/simulate "$T_AUDITOR" '{"program":"shanghai-2025","population":{"synthetic":5,"seed":3}}'
	[ "$code" -eq 403 ]
}

@test "POST /v1/simulate: a reform against the baseline, and the office's own applications" {
	reform=$(jq -Rs . <"$ROOT/examples/reforms/shanghai-rent-40.yaml")
	call POST /v1/simulate "$T_ANALYST" "{\"program\":\"shanghai-2025\",\"reform\":$reform,\"compare\":true,\"population\":{\"synthetic\":400,\"seed\":9}}"
	[ "$code" -eq 200 ]
	echo "$body" | jq -S . >"$DIR/api.json"
	"$QUAN" simulate --policy "$ROOT/policies/shanghai-2025.yaml" --reform "$ROOT/examples/reforms/shanghai-rent-40.yaml" \
		--compare --synthetic 400 --seed 9 --json | jq -S . >"$DIR/cli.json"
	cmp "$DIR/api.json" "$DIR/cli.json"
	[ "$(echo "$body" | jq -r '.pools[] | select(.pool == "compute") | .baseline.awarded != .awarded')" = true ]
	call POST /v1/simulate "$T_ADMIN" '{"program":"shanghai-2025","population":{"from_office":true}}'
	[ "$code" -eq 200 ]
	[ "$(echo "$body" | jq .applications)" -eq 120 ]
}

@test "POST /v1/simulate: bounds and unknown fields are 400 naming the limit" {
	call POST /v1/simulate "$T_ANALYST" '{"program":"shanghai-2025","population":{"synthetic":200001,"seed":1}}'
	[ "$code" -eq 400 ]
	[[ "$(echo "$body" | jq -r .error.message)" == *"at most 200000"* ]]
	call POST /v1/simulate "$T_ANALYST" '{"program":"shanghai-2025","population":{"synthetic":10,"seed":1},"time_limit_ms":10001}'
	[ "$code" -eq 400 ]
	[[ "$(echo "$body" | jq -r .error.message)" == *"10000"* ]]
	call POST /v1/simulate "$T_ANALYST" '{"program":"shanghai-2025","population":{"synthetic":10,"seed":1},"speed":"fast"}'
	[ "$code" -eq 400 ]
	[ "$(echo "$body" | jq -r .error.code)" = UNKNOWN_FIELD ] || [ "$(echo "$body" | jq -r .error.field)" = speed ]
	call POST /v1/simulate "$T_ANALYST" '{"program":"shanghai-2025","population":{"synthetic":10,"seed":1,"size":2}}'
	[ "$code" -eq 400 ]
	call POST /v1/simulate "$T_ANALYST" '{"program":"nowhere-2025","population":{"synthetic":10,"seed":1}}'
	[ "$code" -eq 422 ]
	call POST /v1/simulate "$T_ANALYST" '{"program":"shanghai-2025","reform":"reform: x\nprogram: other\nchanges: []\n","population":{"synthetic":10,"seed":1}}'
	[ "$code" -eq 422 ]
	[[ "$(echo "$body" | jq -r .error.message)" == reform:* ]]
}

@test "POST /v1/simulate: over its time limit it is stopped with 503, and the server goes on serving" {
	call POST /v1/simulate "$T_ANALYST" '{"program":"shanghai-2025","population":{"synthetic":200000,"seed":1},"time_limit_ms":1}'
	[ "$code" -eq 503 ]
	[ "$(echo "$body" | jq -r .error.code)" = time_limit ]
	call GET /v1/report "$T_ANALYST"
	[ "$code" -eq 200 ]
	call POST /v1/simulate "$T_ANALYST" '{"program":"shanghai-2025","population":{"synthetic":50,"seed":1}}'
	[ "$code" -eq 200 ]
}
