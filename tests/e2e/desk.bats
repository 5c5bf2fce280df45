#!/usr/bin/env bats
# The auditor's desk over HTTP: the event log with its filters and paging,
# replay as a route, roles, and failed sign-ins in the audit chain (no
# password in them, and not one event per failure). On SQLite, or
# PostgreSQL with QUAN_TEST_DB (scripts/pg run).

load db

start_server() {
	serve_bg "$DIR/serve" "$DB" "$@"
}

setup_file() {
	export QUAN=${QUAN:-$BATS_TEST_DIRNAME/../../build/quan}
	export ROOT=$BATS_TEST_DIRNAME/../..
	export DIR=$(mktemp -d)
	export DB=$(new_db "$DIR/office.db")
	export QUAN_NOW=2025-11-20T10:00:00+08:00
	"$QUAN" init --db "$DB" --policy "$ROOT/policies/shanghai-2025.yaml" --by admin >/dev/null 2>&1
	"$QUAN" apply --db "$DB" --by applicant "$ROOT"/examples/applications/sh-*.json >/dev/null 2>&1
	"$QUAN" review --db "$DB" SH-2025-000003 --approve --by reviewer >/dev/null 2>&1
	echo 'Audrey-pass-2025' | "$QUAN" user add --db "$DB" audrey --role auditor --password-stdin >/dev/null 2>&1
	export T_ADMIN=$("$QUAN" user add --db "$DB" ada-bot --role administrator 2>/dev/null)
	export T_AUDITOR=$("$QUAN" user add --db "$DB" audrey-bot --role auditor 2>/dev/null)
	export T_REVIEWER=$("$QUAN" user add --db "$DB" rita-bot --role reviewer 2>/dev/null)
	export T_FINANCE=$("$QUAN" user add --db "$DB" fin-bot --role finance 2>/dev/null)
	start_server --trusted-proxy 127.0.0.1
	echo "$URL" >"$DIR/url"
}

teardown_file() {
	kill "$(cat "$DIR/serve.pid")" 2>/dev/null || true
	wait 2>/dev/null || true
	drop_db "$DB"
	rm -rf "$DIR"
}

setup() {
	URL=$(cat "$DIR/url")
}

# call METHOD PATH TOKEN [BODY]: sets $code and $body.
call() {
	local args=(-s -o "$DIR/body" -D "$DIR/headers" -w '%{http_code}' -X "$1" "$URL$2")
	[ -n "$3" ] && args+=(-H "Authorization: Bearer $3")
	[ $# -ge 4 ] && args+=(-H 'Content-Type: application/json' --data-binary "$4")
	code=$(curl "${args[@]}")
	body=$(cat "$DIR/body")
}

# sign_in NAME PASSWORD [ADDRESS]: from ADDRESS (through the trusted proxy),
# a fresh one each time unless given, so that one test's failures do not
# lock the next test's address.
sign_in() {
	local addr=${3:-198.51.100.$((RANDOM % 250 + 1))}
	code=$(curl -s -o "$DIR/body" -w '%{http_code}' -X POST "$URL/v1/session" \
		-H 'Content-Type: application/json' -H "X-Forwarded-For: $addr" \
		--data-binary "{\"name\":\"$1\",\"password\":\"$2\"}")
	body=$(cat "$DIR/body")
}

@test "the event log: every event in chain order, with its detail as JSON" {
	call GET /v1/audit/events "$T_AUDITOR"
	[ "$code" -eq 200 ]
	total=$(sql "$DB" "select count(*) from events")
	[ "$(jq '.events | length' <<<"$body")" -eq "$total" ]
	[ "$(jq '[.events[].seq] == ([.events[].seq] | sort)' <<<"$body")" = true ]
	[ "$(jq -r '.events[0].action' <<<"$body")" = "$(sql "$DB" "select action from events where seq = 1")" ]
	[ "$(jq -r '.events[0].hash' <<<"$body")" = "$(sql "$DB" "select hash from events where seq = 1")" ]
	[[ "$(jq -r '.events[0].at' <<<"$body")" == *+08:00 ]]
	[ "$(jq -r .next_after <<<"$body")" = null ]
	# As the OpenAPI document says: the page's keys, and each event's within AuditEvent's.
	doc=$ROOT/data/openapi.json
	[ "$(jq -r 'keys | join(",")' <<<"$body")" = "$(jq -r '.components.schemas.AuditEvents.properties | keys | join(",")' "$doc")" ]
	allowed=$(jq -c '.components.schemas.AuditEvent.properties | keys' "$doc")
	[ "$(jq --argjson k "$allowed" '[.events[] | keys[] | select(. as $x | $k | index($x) | not)] | length' <<<"$body")" -eq 0 ]
}

@test "the event log pages with after= and limit=, and the pages join up" {
	total=$(sql "$DB" "select count(*) from events")
	seen=0 after=0
	while :; do
		call GET "/v1/audit/events?limit=3&after=$after" "$T_AUDITOR"
		[ "$code" -eq 200 ]
		n=$(jq '.events | length' <<<"$body")
		[ "$n" -le 3 ]
		[ "$n" -eq 0 ] || [ "$(jq '.events[0].seq' <<<"$body")" -gt "$after" ]
		seen=$((seen + n))
		next=$(jq -r .next_after <<<"$body")
		[ "$next" = null ] && break
		[ "$n" -eq 3 ]
		after=$next
	done
	[ "$seen" -eq "$total" ]
}

@test "the event log filters by kind, application, user and dates" {
	call GET "/v1/audit/events?kind=approve" "$T_AUDITOR"
	[ "$code" -eq 200 ]
	[ "$(jq '.events | length' <<<"$body")" -eq "$(sql "$DB" "select count(*) from events where action = 'approve'")" ]
	[ "$(jq '[.events[] | select(.action != "approve")] | length' <<<"$body")" -eq 0 ]
	[ "$(jq '.events | length' <<<"$body")" -ge 1 ]
	call GET "/v1/audit/events?app=SH-2025-000003" "$T_AUDITOR"
	[ "$(jq '[.events[] | select(.subject != "SH-2025-000003")] | length' <<<"$body")" -eq 0 ]
	[ "$(jq '.events | length' <<<"$body")" -ge 2 ]
	call GET "/v1/audit/events?by=reviewer&app=SH-2025-000003" "$T_AUDITOR"
	[ "$(jq -r '[.events[].action] | join(",")' <<<"$body")" = approve ]
	# QUAN_NOW is 2025-11-20 in the office's calendar.
	call GET "/v1/audit/events?from=2025-11-20&to=2025-11-20" "$T_AUDITOR"
	[ "$(jq '.events | length' <<<"$body")" -ge 1 ]
	call GET "/v1/audit/events?to=2025-11-19" "$T_AUDITOR"
	[ "$(jq '.events | length' <<<"$body")" -eq 0 ]
	call GET "/v1/audit/events?from=2025-11-21" "$T_AUDITOR"
	[ "$(jq '.events | length' <<<"$body")" -eq 0 ]
	call GET "/v1/audit/events?from=2025-11-20T09:59:00%2B08:00&to=2025-11-20T10:01:00%2B08:00" "$T_AUDITOR"
	[ "$(jq '.events | length' <<<"$body")" -ge 1 ]
	call GET "/v1/audit/events?kind=no-such-kind" "$T_AUDITOR"
	[ "$code" -eq 200 ]
	[ "$(jq '.events | length' <<<"$body")" -eq 0 ]
}

@test "the event log refuses bad bounds and unknown parameters" {
	call GET "/v1/audit/events?from=2025-13-01" "$T_AUDITOR"
	[ "$code" -eq 400 ]
	call GET "/v1/audit/events?limit=0" "$T_AUDITOR"
	[ "$code" -eq 400 ]
	call GET "/v1/audit/events?limit=501" "$T_AUDITOR"
	[ "$code" -eq 400 ]
	call GET "/v1/audit/events?after=-1" "$T_AUDITOR"
	[ "$code" -eq 400 ]
	call GET "/v1/audit/events?after=x" "$T_AUDITOR"
	[ "$code" -eq 400 ]
	call GET "/v1/audit/events?user=ada" "$T_AUDITOR"
	[ "$code" -eq 400 ]
	call GET "/v1/audit/replay?limit=0" "$T_AUDITOR"
	[ "$code" -eq 400 ]
}

@test "the desk's routes are for the auditor and the administrator only" {
	for p in /v1/audit/events /v1/audit/replay; do
		call GET "$p" "$T_ADMIN"
		[ "$code" -eq 200 ]
		call GET "$p" "$T_REVIEWER"
		[ "$code" -eq 403 ]
		call GET "$p" "$T_FINANCE"
		[ "$code" -eq 403 ]
		call GET "$p" ""
		[ "$code" -eq 401 ]
	done
}

@test "replay as a route: every application replayed, none differs" {
	call GET /v1/audit/replay "$T_AUDITOR"
	echo "$body"
	[ "$code" -eq 200 ]
	[ "$(jq -r .ok <<<"$body")" = true ]
	[ "$(jq .replayed <<<"$body")" -eq "$(sql "$DB" "select count(*) from applications")" ]
	[ "$(jq .differ <<<"$body")" -eq 0 ]
	[ "$(jq '.problems | length' <<<"$body")" -eq 0 ]
	[ "$(jq -r 'keys | join(",")' <<<"$body")" = "$(jq -r '.components.schemas.ReplayResult.properties | keys | join(",")' "$ROOT/data/openapi.json")" ]
}

@test "a failed sign-in is audited: the name, the reason and a mark of the address, never the password" {
	before=$(sql "$DB" "select count(*) from events")
	sign_in audrey 'Wrong-secret-XYZZY' 127.0.0.9
	[ "$code" -eq 401 ]
	sign_in nobody-here 'Another-secret-PLUGH'
	[ "$code" -eq 401 ]
	[ "$(sql "$DB" "select count(*) from events")" -eq $((before + 2)) ]
	call GET "/v1/audit/events?kind=sign-in-failed&app=audrey" "$T_AUDITOR"
	[ "$(jq '.events | length' <<<"$body")" -eq 1 ]
	ev=$(jq -c '.events[0]' <<<"$body")
	echo "$ev"
	[ "$(jq -r .who <<<"$ev")" = anonymous ]
	[ "$(jq -r .detail.reason <<<"$ev")" = wrong_password ]
	[ "$(jq -r .detail.address_kind <<<"$ev")" = loopback ]
	[[ "$(jq -r .detail.address_mark <<<"$ev")" =~ ^[0-9a-f]{16}$ ]]
	[ "$(jq -r .detail.failures <<<"$ev")" -eq 1 ]
	call GET "/v1/audit/events?kind=sign-in-failed&app=nobody-here" "$T_AUDITOR"
	[ "$(jq -r '.events[0].detail.reason' <<<"$body")" = unknown_user ]
	# Neither the password nor the address is anywhere in the chain.
	[ "$(sql "$DB" "select count(*) from events where detail like '%XYZZY%' or detail like '%PLUGH%' or detail like '%127.0.0.9%' and action = 'sign-in-failed'")" -eq 0 ]
	run "$QUAN" audit verify --db "$DB"
	[ "$status" -eq 0 ]
}

@test "a flood of failures for one name is one event per backoff window, with the count" {
	before=$(sql "$DB" "select count(*) from events where action = 'sign-in-failed' and subject = 'flood'")
	[ "$before" -eq 0 ]
	# Five free failures, then a lock: the first and the lock are audited.
	for i in $(seq 6); do
		sign_in flood "wrong-$i" "10.9.0.$i"
		[ "$code" -eq 401 ]
	done
	# Locked now: refused before the password is looked at, and not audited.
	for i in $(seq 10); do
		sign_in flood "wrong-again-$i"
		[ "$code" -eq 429 ]
	done
	[ "$(sql "$DB" "select count(*) from events where action = 'sign-in-failed' and subject = 'flood'")" -eq 2 ]
	call GET "/v1/audit/events?kind=sign-in-failed&app=flood" "$T_AUDITOR"
	[ "$(jq -r '[.events[].detail.failures] | join(",")' <<<"$body")" = 1,6 ]
	[ "$(jq -r '.events[1].detail.locked_for' <<<"$body")" -gt 0 ]
	run "$QUAN" audit verify --db "$DB"
	[ "$status" -eq 0 ]
}

@test "a disabled user's sign-in is audited as such" {
	echo 'Dora-pass-2025' | "$QUAN" user add --db "$DB" dora --role reviewer --password-stdin >/dev/null 2>&1
	call PATCH /v1/users/dora "$T_ADMIN" '{"disabled":true}'
	[ "$code" -eq 200 ]
	sign_in dora Dora-pass-2025
	[ "$code" -eq 403 ]
	call GET "/v1/audit/events?kind=sign-in-failed&app=dora" "$T_AUDITOR"
	[ "$(jq -r '.events[0].detail.reason' <<<"$body")" = disabled ]
}

@test "replay and verify name the discrepancy once the database is tampered with" {
	sqlx "$DB" 'drop trigger if exists events_immutable; drop trigger if exists events_kept' \
		'drop trigger if exists events_immutable on events; drop trigger if exists events_kept on events'
	sql "$DB" "update events set subject = 'SH-2025-000099' where seq = (select max(seq) from events where action = 'approve')" >/dev/null
	call GET /v1/audit/verify "$T_AUDITOR"
	echo "$body"
	[ "$code" -eq 200 ]
	[ "$(jq -r .ok <<<"$body")" = false ]
	[ "$(jq -r .why <<<"$body")" != "" ]
	[ "$(jq .bad_seq <<<"$body")" -ge 1 ]
	# The stored application edited: its decision replays differently.
	sql "$DB" "update applications set json = replace(json, '\"value\": \"1200000.00\"', '\"value\": \"600000.00\"') where id = 'SH-2025-000003'" >/dev/null
	call GET /v1/audit/replay "$T_AUDITOR"
	echo "$body"
	[ "$code" -eq 200 ]
	[ "$(jq -r .ok <<<"$body")" = false ]
	[ "$(jq .differ <<<"$body")" -eq 1 ]
	[[ "$(jq -r '.problems[0]' <<<"$body")" == "SH-2025-000003: the decision comes out differently; recorded: eligible yes, amount 360000.00; now: eligible yes, amount 180000.00" ]]
	call GET "/v1/audit/replay?limit=1" "$T_AUDITOR"
	[ "$(jq -r .cut <<<"$body")" = false ]
}

@test "replay runs one at a time with the other checks: 200 or 503 with Retry-After, never a wait for /v1/me" {
	for i in 1 2 3 4 5 6; do
		p=/v1/audit/replay
		[ "$i" -gt 3 ] && p=/v1/audit/verify
		curl -s -o "$DIR/c$i.body" -D "$DIR/c$i.headers" -w '%{http_code}' \
			-H "Authorization: Bearer $T_AUDITOR" "$URL$p" >"$DIR/c$i.code" &
	done
	call GET /v1/me "$T_AUDITOR"
	[ "$code" -eq 200 ]
	wait
	for i in 1 2 3 4 5 6; do
		c=$(cat "$DIR/c$i.code")
		echo "$i: $c $(cat "$DIR/c$i.body")"
		if [ "$c" = 503 ]; then
			grep -qi '^retry-after: [1-9]' "$DIR/c$i.headers"
			[ "$(jq -r .error.code "$DIR/c$i.body")" = busy ]
		else
			[ "$c" = 200 ]
		fi
	done
}
