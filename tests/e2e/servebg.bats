#!/usr/bin/env bats
# serve_bg (tests/e2e/db.bash), the start of `quan serve` every end-to-end
# file with a server uses: a server that listens gives its URL, port and
# pid; one that exits first fails at once, naming what it said on stderr.
# On SQLite, or PostgreSQL with QUAN_TEST_DB (scripts/pg run).

load db

setup() {
	QUAN=${QUAN:-$BATS_TEST_DIRNAME/../../build/quan}
	ROOT=$BATS_TEST_DIRNAME/../..
	TMP=$(mktemp -d)
	DB=$(new_db "$TMP/office.db")
	export QUAN_NOW=2025-11-20T10:00:00+08:00
	"$QUAN" init --db "$DB" --policy "$ROOT/policies/shanghai-2025.yaml" --by admin >/dev/null 2>&1
}

teardown() {
	[ -f "$TMP/serve.pid" ] && kill "$(cat "$TMP/serve.pid")" 2>/dev/null || true
	wait 2>/dev/null || true
	drop_db "$DB"
	rm -rf "$TMP"
}

@test "serve_bg: a server that listens gives URL, PORT and its pid; it runs with the caller's QUAN_NOW" {
	QUAN_NOW=2025-11-21T09:00:00+08:00 serve_bg "$TMP/serve" "$DB"
	[[ "$URL" == http://127.0.0.1:* ]]
	[ "$PORT" = "${URL##*:}" ]
	[ "$PORT" -gt 0 ]
	[ "$(cat "$TMP/serve.pid")" = "$SERVE_PID" ]
	kill -0 "$SERVE_PID"
	[ "$(curl -s -o /dev/null -w '%{http_code}' "$URL/healthz")" = 200 ]
	grep -q 2025-11-21T09:00:00 "$TMP/serve.err"
}

@test "serve_bg: a server that exits before listening fails at once, printing its stderr" {
	SECONDS=0
	run serve_bg "$TMP/serve" "$DB" --tls-cert "$TMP/cert.pem"
	[ "$status" -eq 1 ]
	[[ "$output" == *"exited before it was listening"* ]]
	[[ "$output" == *"--tls-key go together"* ]]
	[ "$SECONDS" -lt 10 ]
}
