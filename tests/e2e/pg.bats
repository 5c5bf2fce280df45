#!/usr/bin/env bats
# End-to-end on PostgreSQL only (skipped unless QUAN_TEST_DB names a
# server, as `scripts/pg run` sets it): several `quan serve` processes on
# one database, the database server going away and coming back, and
# `quan migrate` from SQLite.

load db

setup() {
	[ -n "${QUAN_TEST_DB:-}" ] || skip "QUAN_TEST_DB is not set (scripts/pg run)"
	QUAN=${QUAN:-$BATS_TEST_DIRNAME/../../build/quan}
	ROOT=$BATS_TEST_DIRNAME/../..
	SH=$ROOT/policies/shanghai-2025.yaml
	EX=$ROOT/examples/applications
	TMP=$(mktemp -d)
	DB=$(new_db "$TMP/office.db")
	PIDS=()
	# The office's clock, for every command and server: inside Shanghai
	# 2025's window, after the contracts here were signed.
	export QUAN_NOW=2025-11-20T10:00:00+08:00
}

teardown() {
	[ -n "${QUAN_TEST_DB:-}" ] || return 0
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	# A test that took the server away brings it back for the next one.
	if [ -n "${QUAN_PG_DIR:-}" ] && ! pg_isready -q -d "$QUAN_TEST_DB/postgres"; then
		"$ROOT/scripts/pg" resume "$QUAN_PG_DIR" 3>&- || true
	fi
	drop_db "$DB"
	rm -rf "$TMP"
}

# Shanghai with the corpus pool cut to $1 yuan. The duplicate-claim screen is
# off: the races submit copies of one contract.
small_policy() {
	sed -E -e "/^  - id: corpus$/,/^  - id:/ s/2025: \"100000000.00\"/2025: \"$1\"/" \
		-e "/^  duplicate-claim:$/,/action:/ s/action: block/action: off/" \
		"$SH" >"$TMP/small.yaml"
}

# Corpus applications C$1..C$2 (client_ref) of 300 000.00 each (90 000.00 at 30 %).
many() {
	for i in $(seq "$1" "$2"); do
		sed -E -e "s/\"client_ref\": *\"[^\"]*\"/\"client_ref\": \"C$i\"/" \
			-e "s/\"number\": *\"[^\"]*\"/\"number\": \"HT-C$i\"/" \
			-e "s/\"value\": *\"[0-9.]+\"/\"value\": \"300000.00\"/" \
			"$EX/sh-corpus.json" >"$TMP/C$i.json"
	done
}

# serve N: start server N on DB; its URL in $TMP/url$N.
serve() {
	local URL PORT SERVE_PID # the caller's URL stays; this one goes to the file
	serve_bg "$TMP/serve$1" "$DB" || return 1
	PIDS+=("$SERVE_PID")
	echo "$URL" >"$TMP/url$1"
}

# post N I: POST C$I to server N; prints "C$I CODE STATE NUMBER" (the
# office's number, when it gave one).
post() {
	local code
	code=$(curl -s -m 20 -o "$TMP/r$2" -w '%{http_code}' -X POST \
		-H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
		--data-binary "@$TMP/C$2.json" "$(cat "$TMP/url$1")/v1/applications")
	echo "C$2 $code $(jq -r '.state // .error.code // empty' "$TMP/r$2" 2>/dev/null) $(jq -r '.id // empty' "$TMP/r$2" 2>/dev/null)"
}

@test "three servers on one database race for the last yuan: no overspend, nothing acknowledged lost" {
	small_policy 1000000.00
	"$QUAN" init --db "$DB" --policy "$TMP/small.yaml" --by admin >/dev/null
	TOKEN=$("$QUAN" user add --db "$DB" ada --role administrator)
	events=$(sql "$DB" 'select count(*) from events')
	many 1 90
	serve 1
	serve 2
	serve 3
	for n in 1 2 3; do
		(for i in $(seq "$n" 3 90); do post "$n" "$i"; done) >"$TMP/acks$n" &
	done
	wait "${!}" 2>/dev/null || true
	sleep 0.2
	while [ "$(cat "$TMP"/acks* | wc -l)" -lt 90 ]; do sleep 0.1; done
	cat "$TMP"/acks*
	# Every application answered 201, 11 x 90 000.00 reserved, the rest waitlisted.
	[ "$(cat "$TMP"/acks* | grep -c ' 201 ')" -eq 90 ]
	[ "$(cat "$TMP"/acks* | grep -c ' 201 reserved')" -eq 11 ]
	[ "$(cat "$TMP"/acks* | grep -c ' 201 waitlisted')" -eq 79 ]
	# each acknowledged under its own number, recorded under it with its client_ref
	while read -r ref code _ id; do
		[ "$(sql "$DB" "select client_ref from applications where id = '$id'")" = "$ref" ]
	done < <(awk '$2 == 201' "$TMP"/acks*)
	# three servers, one numbering: 90 numbers, none given twice
	[ "$(awk '$2 == 201 {print $4}' "$TMP"/acks* | grep -cE '^SH-2025-[0-9]{6}$')" -eq 90 ]
	[ "$(awk '$2 == 201 {print $4}' "$TMP"/acks* | sort -u | wc -l)" -eq 90 ]
	[ "$(sql "$DB" "select count(*) from applications where state = 'reserved'")" -eq 11 ]
	run "$QUAN" report --db "$DB" --json
	[[ "$output" == *'"reserved": "990000.00"'* ]]
	[[ "$output" == *'"available": "10000.00"'* ]]
	run "$QUAN" ledger check --db "$DB"
	[ "$status" -eq 0 ]
	run "$QUAN" audit verify --db "$DB"
	[ "$status" -eq 0 ]
	# one event per application, in one chain
	[[ "$output" == *"$((events + 90)) events, chain intact"* ]]
}

@test "the database server stops mid-stream: 503 while it is gone, served again after, nothing acknowledged lost" {
	[ -n "${QUAN_PG_DIR:-}" ] || skip "needs scripts/pg run (QUAN_PG_DIR)"
	"$QUAN" init --db "$DB" --policy "$SH" --by admin >/dev/null
	TOKEN=$("$QUAN" user add --db "$DB" ada --role administrator)
	many 1 400
	serve 1
	serve 2
	(for i in $(seq 1 400); do post $((i % 2 + 1)) "$i"; sleep 0.01; done) >"$TMP/acks" &
	stream=$!
	while [ "$(wc -l <"$TMP/acks")" -lt 60 ]; do sleep 0.05; done
	"$ROOT/scripts/pg" halt "$QUAN_PG_DIR"
	sleep 2
	"$ROOT/scripts/pg" resume "$QUAN_PG_DIR" 3>&-
	wait "$stream"
	awk '{print $2}' "$TMP/acks" | sort | uniq -c
	[ "$(wc -l <"$TMP/acks")" -eq 400 ]
	# Only 201 (on disk) or 503 (the database failed): never a hang (000)
	# nor a 500.
	[ "$(awk '$2 != 201 && $2 != 503' "$TMP/acks" | wc -l)" -eq 0 ]
	[ "$(grep -c ' 503 ' "$TMP/acks")" -ge 1 ]
	# Served again once the database is back: the last 50 all acknowledged.
	[ "$(tail -50 "$TMP/acks" | grep -c ' 201 ')" -eq 50 ]
	while read -r ref code _ id; do
		[ "$(sql "$DB" "select client_ref from applications where id = '$id'")" = "$ref" ]
	done < <(awk '$2 == 201' "$TMP/acks")
	[ "$(awk '$2 == 201 {print $4}' "$TMP/acks" | sort | uniq -d | wc -l)" -eq 0 ]
	run "$QUAN" ledger check --db "$DB"
	[ "$status" -eq 0 ]
	run "$QUAN" audit verify --db "$DB"
	[ "$status" -eq 0 ]
}

@test "migrate copies an office from SQLite with its ledger, users and audit chain; a non-empty target is refused" {
	"$QUAN" demo --db "$TMP/office.db" --count 120 --policy "$SH" >/dev/null
	"$QUAN" user add --db "$TMP/office.db" ada --role administrator >"$TMP/token"
	# What the screens look up travels too: the contracts, the registry,
	# the lists.
	printf 'uscc,controller_id,name,source\n91310115MA1K4ABCDD,110101197001010011,Li Wei,SAMR\n' >"$TMP/reg.csv"
	printf 'uscc,name,reason,source\n91310104MA1FR5T2K1,X,court ruling,creditchina\n' >"$TMP/list.csv"
	"$QUAN" registry import --db "$TMP/office.db" --by admin "$TMP/reg.csv" >/dev/null
	"$QUAN" lists import --db "$TMP/office.db" --by admin --list dishonest "$TMP/list.csv" >/dev/null
	run "$QUAN" migrate --from "$TMP/office.db" --to "$DB"
	[ "$status" -eq 0 ]
	[[ "$output" == *"120 applications, 1 users"* ]]
	[[ "$output" == *"120 contracts, 1 registry entries, 1 listings"* ]]
	[ "$(sql "$DB" "select string_agg(app_id || ':' || number || ':' || value || ':' || signed_on, ',' order by app_id) from contracts")" = \
		"$(sqlite3 "$TMP/office.db" "select group_concat(x) from (select app_id || ':' || number || ':' || value || ':' || signed_on as x from contracts order by app_id)")" ]
	run "$QUAN" audit verify --db "$DB"
	[ "$status" -eq 0 ]
	run "$QUAN" ledger check --db "$DB"
	[ "$status" -eq 0 ]
	[ "$("$QUAN" report --db "$DB" --json)" = "$("$QUAN" report --db "$TMP/office.db" --json)" ]
	[ "$(sql "$DB" "select string_agg(id, ',' order by seq) from applications")" = \
		"$(sqlite3 "$TMP/office.db" "select group_concat(id) from (select id from applications order by seq)")" ]
	# with their client_refs and times of receipt
	[ "$(sql "$DB" "select string_agg(id || ':' || coalesce(client_ref, '') || ':' || received_at || ':' || fiscal_year, ',' order by seq) from applications")" = \
		"$(sqlite3 "$TMP/office.db" "select group_concat(x) from (select id || ':' || coalesce(client_ref, '') || ':' || received_at || ':' || fiscal_year as x from applications order by seq)")" ]
	[ "$(sqlite3 "$TMP/office.db" "select count(distinct client_ref) || ' ' || count(distinct received_at) from applications")" = "120 120" ]
	[ "$(sql "$DB" "select string_agg(hash, ',' order by seq) from events")" = \
		"$(sqlite3 "$TMP/office.db" "select group_concat(hash) from (select hash from events order by seq)")" ]
	# The token still works against the copy.
	DB=$DB serve 1
	run curl -s -H "Authorization: Bearer $(cat "$TMP/token")" "$(cat "$TMP/url1")/v1/me"
	[[ "$output" == *'"ada"'* ]]
	run "$QUAN" migrate --from "$TMP/office.db" --to "$DB"
	[ "$status" -eq 1 ]
	[[ "$output" == *"not empty"* ]]
}
