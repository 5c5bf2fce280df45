#!/usr/bin/env bats
# GET /healthz and GET /readyz, the probes a balancer uses (haproxy in
# examples/haproxy.cfg), on SQLite or PostgreSQL (QUAN_TEST_DB); and on
# PostgreSQL, a database that stops taking writes (as a primary demoted to
# a standby does) and takes them again. tests/ha runs real failovers.

load db

setup() {
	QUAN=${QUAN:-$BATS_TEST_DIRNAME/../../build/quan}
	ROOT=$BATS_TEST_DIRNAME/../..
	TMP=$(mktemp -d)
	DB=$(new_db "$TMP/office.db")
	export QUAN_NOW=2025-11-20T10:00:00+08:00
	"$QUAN" init --db "$DB" --policy "$ROOT/policies/shanghai-2025.yaml" --by admin >/dev/null 2>&1
	T=$("$QUAN" user add --db "$DB" ada --role administrator 2>/dev/null)
	serve_bg "$TMP/serve" "$DB"
	PID=$SERVE_PID
}

teardown() {
	kill "$PID" 2>/dev/null || true
	wait 2>/dev/null || true
	drop_db "$DB"
	rm -rf "$TMP"
}

# code METHOD PATH: the status of the answer, its body in $TMP/body.
code() {
	curl -s -o "$TMP/body" -w '%{http_code}' -X "$1" "$URL$2"
}

# apply REF: POST one application (sh-compute-rent.json with client_ref
# REF); prints the status.
apply() {
	sed -E -e "s/\"client_ref\": *\"[^\"]*\"/\"client_ref\": \"$1\"/" \
		-e "s/\"number\": *\"[^\"]*\"/\"number\": \"HT-$1\"/" \
		"$ROOT/examples/applications/sh-compute-rent.json" >"$TMP/app.json"
	curl -s -o "$TMP/body" -w '%{http_code}' -H "Authorization: Bearer $T" \
		-H 'Content-Type: application/json' --data-binary "@$TMP/app.json" \
		"$URL/v1/applications"
}

@test "healthz and readyz answer 200 with no token; other methods 405, parameters 400" {
	[ "$(code GET /healthz)" = 200 ]
	[ "$(cat "$TMP/body")" = '{"status":"alive"}' ]
	[ "$(code GET /readyz)" = 200 ]
	backend=sqlite
	is_pg "$DB" && backend=postgres
	[ "$(cat "$TMP/body")" = "{\"status\":\"ready\",\"store\":\"$backend\"}" ]
	[ "$(code POST /readyz)" = 405 ]
	[ "$(code DELETE /healthz)" = 405 ]
	[ "$(code GET '/readyz?verbose=1')" = 400 ]
	[ "$(code GET /healthz/x)" = 404 ]
	# The probes write nothing.
	[ "$(sql "$DB" "select count(*) from events where action like '%ready%'")" = 0 ]
}

@test "postgres: a database that takes no writes is 503 on readyz and on a write, never 500; both recover" {
	is_pg "$DB" || skip "PostgreSQL only (QUAN_TEST_DB)"
	local name=${DB##*/} admin=${DB%/*}/postgres
	[ "$(apply HEALTH-1)" = 201 ]
	# Read-only from now on, as a demoted primary is: every new session
	# of the database, and quan's sessions ended so that it reconnects.
	psql -X -q "$admin" -c "ALTER DATABASE $name SET default_transaction_read_only = on" \
		-c "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
			WHERE datname = '$name' AND pid <> pg_backend_pid()" >/dev/null
	[ "$(code GET /readyz)" = 503 ]
	grep -q '"not_ready"' "$TMP/body"
	grep -q 'takes no writes' "$TMP/body"
	[ "$(code GET /healthz)" = 200 ]
	for i in 2 3 4; do
		got=$(apply "HEALTH-$i")
		echo "write $i: $got $(cat "$TMP/body")"
		[ "$got" = 503 ]
	done
	[ "$(sql "$DB" "select count(*) from applications")" = 1 ]
	# Writable again, without ending quan's sessions: quan drops each
	# connection that was refused a write and makes it again. A reader's
	# session opened while the database was read-only answers the probe
	# 503 once, then is made again too.
	psql -X -q "$admin" -c "ALTER DATABASE $name RESET default_transaction_read_only" >/dev/null
	for _ in 1 2 3 4 5 6; do
		[ "$(code GET /readyz)" = 200 ] && break
	done
	[ "$(code GET /readyz)" = 200 ]
	[ "$(apply HEALTH-5)" = 201 ]
	[ "$(apply HEALTH-2)" = 201 ]
	[ "$(sql "$DB" "select count(*) from applications")" = 3 ]
	"$QUAN" ledger check --db "$DB" >/dev/null
	"$QUAN" audit verify --db "$DB" >/dev/null
}
