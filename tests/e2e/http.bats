#!/usr/bin/env bats
# End-to-end over real HTTP on loopback: `quan serve` on a fresh office
# (SQLite, or PostgreSQL when QUAN_TEST_DB is set), driven with curl. One server per file, and
# a second on its own office whose clock reads a date after Shanghai's window closed; each test
# uses its own client_refs, and takes the office's numbers from its answers.

load db

# start_server NAME DB: `quan serve` on DB (with the QUAN_NOW of the
# environment); its URL in $DIR/NAME.url, its pid in $DIR/NAME.pid.
start_server() {
	local URL PORT SERVE_PID # the caller's URL stays; this one goes to the file
	serve_bg "$DIR/$1" "$2" --web "$DIR/web" || return 1
	echo "$URL" >"$DIR/$1.url"
}

setup_file() {
	export QUAN=${QUAN:-$BATS_TEST_DIRNAME/../../build/quan}
	export ROOT=$BATS_TEST_DIRNAME/../..
	export EX=$ROOT/examples/applications
	export DIR=$(mktemp -d)
	export DB=$(new_db "$DIR/office.db")
	# The office's clock starts inside Shanghai 2025's window, after every
	# contract here was signed, and moves on from there.
	export QUAN_NOW=2025-11-20T10:00:00+08:00
	# Shanghai with the corpus pool cut to 1 M yuan (so it can run out); the
	# policy itself asks two approvers above 1 M yuan.
	sed -E -e "/^  - id: corpus$/,/^  - id:/ s/2025: \"100000000.00\"/2025: \"1000000.00\"/" \
		"$ROOT/policies/shanghai-2025.yaml" >"$DIR/small.yaml"
	"$QUAN" init --db "$DB" --policy "$DIR/small.yaml" --by admin >/dev/null
	export T_ADMIN=$("$QUAN" user add --db "$DB" ada --role administrator)
	export T_REVIEWER=$("$QUAN" user add --db "$DB" rita --role reviewer)
	export T_REVIEWER2=$("$QUAN" user add --db "$DB" rob --role reviewer)
	export T_FINANCE=$("$QUAN" user add --db "$DB" fay --role finance)
	export T_AUDITOR=$("$QUAN" user add --db "$DB" otto --role auditor)
	# The applicant of sh-compute-rent.json, and another firm.
	export T_APPLICANT=$("$QUAN" user add --db "$DB" firm-a --role applicant --uscc 91310115MA1K4ABCDD)
	export T_ANALYST=$("$QUAN" user add --db "$DB" ana --role analyst)
	export T_OTHER=$("$QUAN" user add --db "$DB" firm-b --role applicant --uscc 91310000MA1FL8WR2F)
	start_server serve "$DB"
	export URL=$(cat "$DIR/serve.url")
	mkdir -p "$DIR/web"
	echo '<!doctype html><title>quan</title>' >"$DIR/web/index.html"

	# The late office: the same program, its clock in March 2026.
	export LATE=2026-03-02T10:00:00+08:00
	export DB2=$(new_db "$DIR/late.db")
	QUAN_NOW=$LATE "$QUAN" init --db "$DB2" --policy "$ROOT/policies/shanghai-2025.yaml" --by admin >/dev/null 2>&1
	export T_LATE=$(QUAN_NOW=$LATE "$QUAN" user add --db "$DB2" lea --role administrator)
	QUAN_NOW=$LATE start_server late "$DB2"
	export URL2=$(cat "$DIR/late.url")
}

teardown_file() {
	kill "$(cat "$DIR/serve.pid")" "$(cat "$DIR/late.pid")" 2>/dev/null || true
	wait 2>/dev/null || true
	drop_db "$DB"
	drop_db "$DB2"
	rm -rf "$DIR"
}

# call METHOD PATH TOKEN [BODY|@FILE]: sets $code and $body. ($U: another
# server's URL.)
call() {
	local args=(-s -o "$DIR/body" -w '%{http_code}' -X "$1" "${U:-$URL}$2")
	[ -n "$3" ] && args+=(-H "Authorization: Bearer $3")
	[ $# -ge 4 ] && args+=(-H 'Content-Type: application/json' --data-binary "$4")
	code=$(curl "${args[@]}")
	body=$(cat "$DIR/body")
}

# A copy of example $1 with client_ref $2 (contract number HT-$2) and contract
# value $3; prints its path.
variant() {
	sed -E -e "s/\"client_ref\": *\"[^\"]*\"/\"client_ref\": \"$2\"/" \
		-e "s/\"number\": *\"[^\"]*\"/\"number\": \"HT-$2\"/" \
		-e "s/\"value\": *\"[0-9.]+\"/\"value\": \"$3\"/" \
		"$EX/$1" >"$DIR/$2.json"
	echo "$DIR/$2.json"
}

count_apps() {
	sql "$DB" 'SELECT COUNT(*) FROM applications'
}

count_events() {
	sql "$DB" 'SELECT COUNT(*) FROM events'
}

# The office's number in the answer ($body) to a POST of an application.
answered_id() {
	local id
	id=$(jq -r .id <<<"$body")
	[[ "$id" =~ ^SH-2025-[0-9]{6}$ ]] || { echo "no number in $body" >&2; return 1; }
	echo "$id"
}

@test "the server is listening and serves its OpenAPI document without a token" {
	[ -n "$URL" ]
	call GET /v1/openapi.json ""
	[ "$code" -eq 200 ]
	[ "$(echo "$body" | jq -r .openapi)" = "3.0.3" ]
	cmp -s "$DIR/body" "$ROOT/data/openapi.json"
}

@test "the whole life of an application through the API" {
	f=$(variant sh-compute-rent.json LIFE-1 1200000.00)
	call POST /v1/applications "$T_APPLICANT" "@$f"
	[ "$code" -eq 201 ]
	[ "$(echo "$body" | jq -r .state)" = reserved ]
	[ "$(echo "$body" | jq -r .amount)" = 360000.00 ]
	id=$(answered_id)
	first=$body
	# the same again is harmless: the same number, the same time of receipt
	call POST /v1/applications "$T_APPLICANT" "@$f"
	[ "$code" -eq 200 ]
	[ "$(echo "$body" | jq -r .existed)" = true ]
	[ "$(jq -c 'del(.existed)' <<<"$body")" = "$(jq -c 'del(.existed)' <<<"$first")" ]

	call GET "/v1/applications/$id" "$T_APPLICANT"
	[ "$code" -eq 200 ]
	[ "$(echo "$body" | jq -r .decision.rate)" = 30% ]
	[ "$(echo "$body" | jq -r '.decision.trace | length')" -gt 0 ]
	[ "$(echo "$body" | jq -r '.transfers[0].kind')" = pending ]

	call GET '/v1/applications?state=reserved' "$T_REVIEWER"
	[ "$code" -eq 200 ]
	echo "$body" | jq -e --arg id "$id" '.applications | map(.id) | index($id)'

	# A rate as the CLI takes it too: a percentage or basis points.
	call POST "/v1/applications/$id/approve" "$T_REVIEWER" '{"rate":"25.5"}'
	[ "$code" -eq 400 ]
	[ "$(echo "$body" | jq -r .error.field)" = rate ]
	call POST "/v1/applications/$id/approve" "$T_REVIEWER" '{"rate":"101%"}'
	[ "$code" -eq 400 ]
	call POST "/v1/applications/$id/approve" "$T_REVIEWER" '{"rate":"2500"}'
	[ "$code" -eq 200 ]
	[ "$(echo "$body" | jq -r .state)" = awarded ]
	[ "$(echo "$body" | jq -r .amount)" = 300000.00 ]
	# awarded twice: a conflict with its state
	call POST "/v1/applications/$id/approve" "$T_REVIEWER2" '{}'
	[ "$code" -eq 409 ]
	[ "$(echo "$body" | jq -r .error.code)" = conflict ]

	through_notice "$DB" shanghai-2025 >/dev/null # its 5-working-day notice (公示)
	call POST "/v1/applications/$id/disburse" "$T_FINANCE" '{"amount":"300000.01"}'
	[ "$code" -eq 400 ]
	[ "$(echo "$body" | jq -r .error.field)" = amount ]
	call POST "/v1/applications/$id/disburse" "$T_FINANCE" '{"amount":"200000.00"}'
	[ "$code" -eq 200 ]
	call POST "/v1/applications/$id/clawback" "$T_FINANCE" '{"amount":"50000.00","why":"price above the catalog"}'
	[ "$code" -eq 200 ]

	call GET "/v1/applications/$id" "$T_AUDITOR"
	[ "$(echo "$body" | jq -r .paid)" = 200000.00 ] # disbursed, before recoveries
	[ "$(echo "$body" | jq -r .recovered)" = 50000.00 ]
	[ "$(echo "$body" | jq -r .approved_by)" = rita ]
	# every change is in the audit chain under the user's name
	[ "$(echo "$body" | jq -r '[.history[] | .action + ":" + .who] | join(",")')" = \
		"apply:firm-a,approve:rita,disburse:fay,clawback:fay" ]

	call GET /v1/ledger/check "$T_AUDITOR"
	[ "$code" -eq 200 ]
	[ "$(echo "$body" | jq -r .ok)" = true ]
	call GET /v1/audit/verify "$T_AUDITOR"
	[ "$code" -eq 200 ]
	[ "$(echo "$body" | jq -r .ok)" = true ]
	# and the command line agrees with the server
	run "$QUAN" ledger check --db "$DB"
	[ "$status" -eq 0 ]
}

@test "withdraw, reject, and a pool that cannot cover an application: waitlisted, 201" {
	call POST /v1/applications "$T_ADMIN" "@$(variant sh-corpus.json CORP-1 3000000.00)"
	[ "$code" -eq 201 ]
	[ "$(echo "$body" | jq -r .state)" = reserved ] # 900 000.00 of 1 M
	corp1=$(answered_id)
	call POST /v1/applications "$T_ADMIN" "@$(variant sh-corpus.json CORP-2 2000000.00)"
	[ "$code" -eq 201 ]
	[ "$(echo "$body" | jq -r .state)" = waitlisted ]
	corp2=$(answered_id)
	[ "$corp2" != "$corp1" ]
	call POST "/v1/applications/$corp1/reject" "$T_REVIEWER" '{}'
	[ "$code" -eq 400 ]
	[ "$(echo "$body" | jq -r .error.field)" = why ]
	call POST "/v1/applications/$corp1/reject" "$T_REVIEWER" '{"why":""}'
	[ "$code" -eq 400 ]
	[ "$(echo "$body" | jq -r .error.code)" = missing_field ]
	call POST "/v1/applications/$corp1/reject" "$T_REVIEWER" '{"why":"incomplete"}'
	[ "$code" -eq 200 ]
	[ "$(echo "$body" | jq -r .state)" = rejected ]
	# the money came back and served the waitlist
	call GET "/v1/applications/$corp2" "$T_ADMIN"
	[ "$(echo "$body" | jq -r .state)" = reserved ]
	call POST "/v1/applications/$corp2/withdraw" "$T_ADMIN"
	[ "$code" -eq 200 ]
	[ "$(echo "$body" | jq -r .state)" = withdrawn ]
	call GET /v1/report "$T_FINANCE"
	[ "$(echo "$body" | jq -r '.pools[] | select(.pool=="corpus") | .available')" = 1000000.00 ]
}

@test "two approvers above the threshold must differ" {
	call POST /v1/applications "$T_ADMIN" "@$(variant sh-model.json BIG-1 4000000.00)"
	[ "$code" -eq 201 ]
	[ "$(echo "$body" | jq -r .state)" = reserved ]
	big=$(answered_id)
	call POST "/v1/applications/$big/approve" "$T_REVIEWER" '{}'
	[ "$code" -eq 200 ]
	[ "$(echo "$body" | jq -r .state)" = reserved ]
	call POST "/v1/applications/$big/approve" "$T_REVIEWER" '{}'
	[ "$code" -eq 403 ]
	[[ "$body" == *"second, different approver"* ]]
	call POST "/v1/applications/$big/approve" "$T_REVIEWER2" '{}'
	[ "$code" -eq 200 ]
	[ "$(echo "$body" | jq -r .state)" = awarded ]
}

@test "an estimate decides and saves nothing" {
	apps=$(count_apps)
	events=$(count_events)
	# An applicant estimates only for its own firm: a decision shows what
	# the firm holds already.
	call POST /v1/estimate "$T_OTHER" "@$(variant sh-model.json EST-1 1000000.00)"
	[ "$code" -eq 403 ]
	call POST /v1/estimate "$T_AUDITOR" "@$(variant sh-model.json EST-1 1000000.00)"
	[ "$code" -eq 200 ]
	[ "$(echo "$body" | jq -r .eligible)" = true ]
	[ "$(echo "$body" | jq -r .amount)" = 500000.00 ]
	# nobody numbered it; it is taken as received now, by the office's clock
	[ "$(echo "$body" | jq -r .application)" = null ]
	[ "$(echo "$body" | jq -r .client_ref)" = EST-1 ]
	[[ "$(echo "$body" | jq -r .received_at)" =~ ^2025-11-2[0-9]T[0-9]{2}:[0-9]{2}:[0-9]{2}\+08:00$ ]]
	[ "$(count_apps)" -eq "$apps" ]
	[ "$(count_events)" -eq "$events" ]
	[ "$(sql "$DB" "SELECT COUNT(*) FROM applications WHERE client_ref = 'EST-1'")" -eq 0 ]
	call GET /v1/applications/EST-1 "$T_ADMIN"
	[ "$code" -eq 404 ]
}

@test "an applicant sees and submits only its own applications" {
	call POST /v1/applications "$T_ADMIN" "@$(variant sh-compute-rent.json OWN-1 1000000.00)"
	[ "$code" -eq 201 ]
	own=$(answered_id)
	call GET "/v1/applications/$own" "$T_APPLICANT"
	[ "$code" -eq 200 ]
	# another firm: not found, exactly as for a number that does not exist
	call GET "/v1/applications/$own" "$T_OTHER"
	[ "$code" -eq 404 ]
	[ "$(echo "$body" | jq -r .error.code)" = not_found ]
	theirs=${body//$own/NUMBER}
	call GET /v1/applications/SH-2025-999999 "$T_OTHER"
	[ "$code" -eq 404 ]
	[ "${body//SH-2025-999999/NUMBER}" = "$theirs" ]
	call POST "/v1/applications/$own/withdraw" "$T_OTHER"
	[ "$code" -eq 404 ]
	theirs=${body//$own/NUMBER}
	call POST /v1/applications/SH-2025-999999/withdraw "$T_OTHER"
	[ "$code" -eq 404 ]
	[ "${body//SH-2025-999999/NUMBER}" = "$theirs" ]
	call GET /v1/applications "$T_OTHER"
	[ "$code" -eq 200 ]
	[ "$(echo "$body" | jq '[.applications[] | select(.uscc != "91310000MA1FL8WR2F")] | length')" -eq 0 ]
	call GET /v1/applications "$T_APPLICANT"
	echo "$body" | jq -e --arg id "$own" '.applications | map(.id) | index($id)'
	# filing for another firm is forbidden
	call POST /v1/applications "$T_OTHER" "@$(variant sh-compute-rent.json OWN-2 1000000.00)"
	[ "$code" -eq 403 ]
	[ "$(echo "$body" | jq -r .error.code)" = forbidden ]
}

@test "authorisation matrix: every route x every role is allowed or 403, as the OpenAPI document says" {
	call POST /v1/applications "$T_ADMIN" "@$(variant sh-compute-rent.json MATRIX-1 1000000.00)"
	[ "$code" -eq 201 ]
	matrix=$(answered_id)
	apps=$(count_apps)
	events=$(count_events)
	declare -A tokens=([administrator]=$T_ADMIN [reviewer]=$T_REVIEWER
		[finance]=$T_FINANCE [auditor]=$T_AUDITOR [applicant]=$T_APPLICANT
		[analyst]=$T_ANALYST)
	checked=0
	while IFS=$'\t' read -r method path roles; do
		# Served before routing, to anyone (health.bats).
		case "$path" in /v1/openapi.json | /healthz | /readyz) continue ;; esac
		p=${path//\{id\}/$matrix}
		for role in administrator reviewer finance auditor applicant analyst; do
			if [ "$method" = get ]; then
				call GET "$p" "${tokens[$role]}"
			else
				# A body no route accepts: allowed roles get 400,
				# and nothing changes.
				call "${method^^}" "$p" "${tokens[$role]}" '{"x_matrix":1}'
			fi
			if [[ ",$roles," == *",$role,"* ]]; then
				if [ "$code" != 200 ] && [ "$code" != 400 ]; then
					echo "$method $path as $role: $code $body"
					return 1
				fi
			elif [ "$code" != 403 ]; then
				echo "$method $path as $role: $code, expected 403"
				return 1
			fi
			checked=$((checked + 1))
		done
	done < <(jq -r '.paths | to_entries[] | .key as $p | .value | to_entries[]
		| select(.key != "parameters")
		| [.key, $p, (.value["x-roles"] | join(","))] | @tsv' "$ROOT/data/openapi.json")
	[ "$checked" -eq $((52 * 6)) ]
	[ "$(count_apps)" -eq "$apps" ]
	[ "$(count_events)" -eq "$events" ]
}

@test "a removed user's token stops working at once; the removal is audited" {
	t=$("$QUAN" user add --db "$DB" temp-clerk --role auditor)
	call GET /v1/me "$t"
	[ "$code" -eq 200 ]
	run "$QUAN" user remove --db "$DB" temp-clerk --by ada
	[ "$status" -eq 0 ]
	call GET /v1/me "$t"
	[ "$code" -eq 401 ]
	run "$QUAN" user remove --db "$DB" temp-clerk --by ada
	[ "$status" -eq 1 ]
	[[ "$output" == *"no user 'temp-clerk'"* ]]
	[ "$(sql "$DB" "select who || ':' || action from events where subject = 'temp-clerk' order by seq" | tr '\n' ' ')" = \
		"cli:user-add ada:user-remove " ]
}

@test "no token, an unknown token, an unknown route, a wrong method" {
	call GET /v1/report ""
	[ "$code" -eq 401 ]
	[ "$(echo "$body" | jq -r .error.code)" = unauthorized ]
	call GET /v1/report "qt_0000000000000000000000000000000000000000000000000000000000000000"
	[ "$code" -eq 401 ]
	call GET /v1/nothing "$T_ADMIN"
	[ "$code" -eq 404 ]
	call DELETE /v1/report "$T_ADMIN"
	[ "$code" -eq 405 ]
}

@test "a query parameter the OpenAPI document does not list for the route is 400, naming it" {
	call GET '/v1/applications?uscc=91310115MA1K4ABCDD' "$T_ADMIN"
	[ "$code" -eq 400 ]
	[ "$(echo "$body" | jq -r .error.code)" = unknown_field ]
	[ "$(echo "$body" | jq -r .error.field)" = uscc ]
	[[ "$(echo "$body" | jq -r .error.message)" == *"it takes: state program limit before"* ]]
	call GET '/v1/applications?state=reserved&program=shanghai-2025&limit=5' "$T_ADMIN"
	[ "$code" -eq 200 ]
	call GET '/v1/report?year=2025' "$T_ADMIN"
	[ "$code" -eq 400 ]
	[ "$(echo "$body" | jq -r .error.field)" = year ]
	call GET '/v1/burndown?program=shanghai-2025&pool=compute&year=2025' "$T_ADMIN"
	[ "$code" -eq 200 ]
	call GET '/v1/queue?program=shanghai-2025&sort=x' "$T_ADMIN"
	[ "$code" -eq 400 ]
	[ "$(echo "$body" | jq -r .error.field)" = sort ]
	call POST '/v1/estimate?at=2025-09-01T10:00:00%2B08:00&debug' "$T_ADMIN" "$(cat "$EX/sh-model.json")"
	[ "$code" -eq 400 ]
	[ "$(echo "$body" | jq -r .error.field)" = debug ]
	# The document itself takes none either.
	call GET '/v1/openapi.json?format=yaml' ""
	[ "$code" -eq 400 ]
	[ "$(echo "$body" | jq -r .error.field)" = format ]
	# Authentication comes first: no token is 401 whatever the query.
	call GET '/v1/applications?uscc=x' ""
	[ "$code" -eq 401 ]
}

@test "hostile input: each answered cleanly, nothing written, the server still serving" {
	apps=$(count_apps)
	events=$(count_events)
	f=$(variant sh-compute-rent.json HOSTILE-1 1000000.00)

	call POST /v1/applications "$T_ADMIN" '{"client_ref": "X", '
	[ "$code" -eq 400 ]
	[ "$(echo "$body" | jq -r .error.code)" = invalid_json ]

	head -c 100000000 /dev/zero | tr '\0' ' ' >"$DIR/big.json"
	call POST /v1/applications "$T_ADMIN" "@$DIR/big.json"
	[ "$code" -eq 413 ]
	[ "$(echo "$body" | jq -r .error.code)" = too_large ]
	rm -f "$DIR/big.json"

	call POST /v1/applications "$T_ADMIN" '{"applications": [1, 2, 3]}'
	[ "$code" -eq 400 ]
	call POST /v1/applications "$T_ADMIN" '[1, 2, 3]'
	[ "$code" -eq 400 ]
	[ "$(echo "$body" | jq -r .error.code)" = wrong_type ]

	sed -E 's/"value": "1000000.00"/"value": 1000000.00/' "$f" >"$DIR/num.json"
	call POST /v1/applications "$T_ADMIN" "@$DIR/num.json"
	[ "$code" -eq 400 ]
	[ "$(echo "$body" | jq -r .error.code)" = wrong_type ]
	[ "$(echo "$body" | jq -r .error.field)" = contract.value ]

	sed -E 's/"value": "1000000.00"/"value": "-5.00"/' "$f" >"$DIR/neg.json"
	call POST /v1/applications "$T_ADMIN" "@$DIR/neg.json"
	[ "$code" -eq 400 ]
	[ "$(echo "$body" | jq -r .error.code)" = invalid_money ]

	sed -E 's/"uscc": "91310115MA1K4ABCDD"/"uscc": "91310115MA1K4ABCDE"/' "$f" >"$DIR/uscc.json"
	call POST /v1/applications "$T_ADMIN" "@$DIR/uscc.json"
	[ "$code" -eq 400 ]
	[ "$(echo "$body" | jq -r .error.code)" = invalid_uscc ]

	sed -E 's/"program": /"surprise": 1, "program": /' "$f" >"$DIR/unk.json"
	call POST /v1/applications "$T_ADMIN" "@$DIR/unk.json"
	[ "$code" -eq 400 ]
	[ "$(echo "$body" | jq -r .error.code)" = unknown_field ]
	[ "$(echo "$body" | jq -r .error.field)" = surprise ]

	call POST "/v1/applications/$(sql "$DB" 'SELECT id FROM applications ORDER BY seq LIMIT 1')/disburse" "$T_FINANCE" '{"amount": 5}'
	[ "$code" -eq 400 ]
	[ "$(echo "$body" | jq -r .error.code)" = wrong_type ]

	# path traversal on static files, plain and percent-encoded
	for p in /../../etc/passwd /%2e%2e/%2e%2e/etc/passwd /..%2f..%2fetc/passwd /.hidden //etc/passwd; do
		code=$(curl -s --path-as-is -o "$DIR/body" -w '%{http_code}' "$URL$p")
		[ "$code" -eq 404 ]
		! grep -q root: "$DIR/body"
	done
	code=$(curl -s -o /dev/null -w '%{http_code}' "$URL/")
	[ "$code" -eq 200 ]

	[ "$(count_apps)" -eq "$apps" ]
	[ "$(count_events)" -eq "$events" ]
	call GET /v1/me "$T_ADMIN"
	[ "$code" -eq 200 ]
}

@test "10 000 idle connections do not stop the server answering" {
	ulimit -n "$(ulimit -Hn)"
	[ "$(ulimit -n)" -gt 10100 ]
	# They all come from 127.0.0.1, which holds at most --conn-per-addr
	# (256) of them; the client asking comes from another address.
	run node "$BATS_TEST_DIRNAME/tools/idle.mjs" "${URL##*:}" 10000 "$T_ADMIN" 127.0.0.2
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"opened=10000 failed=0 status=200"* ]]
	call GET /v1/me "$T_ADMIN"
	[ "$code" -eq 200 ]
}

@test "a slow client is cut off after the idle timeout; others are served meanwhile" {
	# Send half a request and stall; the server must not wait for ever.
	exec 5<>"/dev/tcp/127.0.0.1/${URL##*:}"
	printf 'POST /v1/estimate HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"client_ref"' >&5
	call GET /v1/me "$T_ADMIN"
	[ "$code" -eq 200 ]
	start=$(date +%s)
	timeout 30 cat <&5 >/dev/null || true
	exec 5<&-
	[ $(($(date +%s) - start)) -lt 25 ]
}

@test "POST /v1/compare: the example profile as JSON, for every role; a bad profile names the field" {
	cat >"$DIR/profile.json" <<'JSON'
{"firm": {"uscc": "91310115MA1K4ABCDD", "name": "示例智能科技有限公司", "sme": true,
          "startup": true, "registered_model": false, "head_count": 12, "office_m2": 300},
 "plan": {"signed_on": "2025-09-01", "electricity_kwh": 50000,
          "compute": [{"kind": "rent", "chip": "ascend-910c", "accelerators": 128, "hours": 4000,
                       "price_per_hour": "9.10", "term_months": 12}],
          "models": [{"kind": "api", "value": "600000.00", "term_months": 12, "uses_registered_model": true}],
          "corpus": [{"value": "400000.00", "term_months": 12}]}}
JSON
	for t in "$T_APPLICANT" "$T_AUDITOR"; do
		call POST /v1/compare "$t" "@$DIR/profile.json"
		[ "$code" -eq 200 ]
		[ "$(echo "$body" | jq -r .winner)" = shanghai-2025 ]
		[ "$(echo "$body" | jq -r '.cities[] | select(.program == "shanghai-2025") | .subsidies')" = 5079200.00 ]
		[ "$(echo "$body" | jq -r '.cities[] | select(.program == "hangzhou-2024") | .net_cost')" = 7910070.00 ]
	done
	sed 's/"value": "600000.00"/"value": 600000.00/' "$DIR/profile.json" >"$DIR/bad.json"
	call POST /v1/compare "$T_APPLICANT" "@$DIR/bad.json"
	[ "$code" -eq 400 ]
	[ "$(echo "$body" | jq -r .error.field)" = "plan.models[0].value" ]
	call POST /v1/compare "" "@$DIR/profile.json"
	[ "$code" -eq 401 ]
}

# --- the office's clock and numbers ----------------------------------------------

@test "the server announces a clock set by QUAN_NOW; POST answers the office's number, the client_ref and the time of receipt" {
	grep -q "WARNING: the office's clock is set by QUAN_NOW: it reads 2025-11-20T10:00:00+08:00 and moves on" "$DIR/serve.err"
	grep -q "WARNING: every audit event records it" "$DIR/serve.err"
	grep -q "it reads $LATE" "$DIR/late.err"

	call POST /v1/applications "$T_ADMIN" "@$(variant sh-compute-early.json STAMP-1 900000.00)"
	[ "$code" -eq 201 ]
	[ "$(jq -r 'keys_unsorted | join(",")' <<<"$body")" = id,client_ref,received_at,state,amount,existed ]
	id=$(answered_id)
	[ "$(jq -r .client_ref <<<"$body")" = STAMP-1 ]
	at=$(jq -r .received_at <<<"$body")
	[[ "$at" =~ ^2025-11-2[0-9]T[0-9]{2}:[0-9]{2}:[0-9]{2}\+08:00$ ]]
	# the clock moves on from QUAN_NOW, never back
	[ "$(date -d "$at" +%s)" -ge "$(date -d "$QUAN_NOW" +%s)" ]
	[ "$(date -d "$at" +%s)" -le $(($(date -d "$QUAN_NOW" +%s) + $(date +%s) - $(stat -c %Y "$DIR/serve.pid") + 5)) ]
	# numbered in order of arrival: after every number before it
	[ "$(sql "$DB" "SELECT COUNT(*) FROM applications WHERE id > '$id'")" -eq 0 ]

	# the list and the application show received_at as text, and the client_ref
	call GET /v1/applications "$T_AUDITOR"
	[ "$code" -eq 200 ]
	[ "$(jq -r --arg id "$id" '.applications[] | select(.id == $id) | .client_ref + " " + .received_at' <<<"$body")" = "STAMP-1 $at" ]
	[ "$(jq '[.applications[] | select(has("submitted_at"))] | length' <<<"$body")" -eq 0 ]
	call GET "/v1/applications/$id" "$T_AUDITOR"
	[ "$code" -eq 200 ]
	[ "$(jq -r '.id + " " + .client_ref + " " + .received_at + " " + (.fiscal_year | tostring)' <<<"$body")" = "$id STAMP-1 $at 2025" ]
	[ "$(jq -r '.decision.application + " " + .decision.received_at' <<<"$body")" = "$id $at" ]
	[ "$(jq '[.. | objects | select(has("submitted_at"))] | length' <<<"$body")" -eq 0 ]
	# the audit event records the clock and the time of receipt
	[[ "$(sql "$DB" "SELECT action || ' ' || who || ' ' || detail FROM events WHERE subject = '$id'")" == \
		"apply ada "*'"client_ref":"STAMP-1"'*'"clock":"QUAN_NOW"'*"\"received_at\":\"$at\""* ]]
	# So does every event the server and the office's verbs wrote on this
	# clock. (quan user add/remove write theirs unmarked: reported.)
	[ "$(sql "$DB" "SELECT COUNT(*) FROM events WHERE action IN ('apply', 'approve', 'reject', 'withdraw', 'disburse', 'clawback')")" -gt 0 ]
	[ "$(sql "$DB" "SELECT COUNT(*) FROM events WHERE action NOT IN ('user-add', 'user-remove') AND detail NOT LIKE '%\"clock\":\"QUAN_NOW\"%'")" -eq 0 ]
}

@test "a retry with the same client_ref and body answers the same number (200) and writes nothing; other bytes are 409; another firm's same client_ref is its own" {
	fa=$(variant sh-compute-rent.json SHARED-1 1100000.00)
	call POST /v1/applications "$T_APPLICANT" "@$fa"
	[ "$code" -eq 201 ]
	a=$(answered_id)
	first=$body
	apps=$(count_apps)
	events=$(count_events)
	transfers=$(sql "$DB" 'SELECT COUNT(*) FROM transfers')

	for _ in 1 2; do
		call POST /v1/applications "$T_APPLICANT" "@$fa"
		[ "$code" -eq 200 ]
		[ "$(jq -r .existed <<<"$body")" = true ]
		[ "$(jq -c 'del(.existed)' <<<"$body")" = "$(jq -c 'del(.existed)' <<<"$first")" ]
	done
	# an administrator filing the same bytes for the firm: the firm's key
	call POST /v1/applications "$T_ADMIN" "@$fa"
	[ "$code" -eq 200 ]
	[ "$(jq -r .id <<<"$body")" = "$a" ]
	[ "$(count_apps)" -eq "$apps" ]
	[ "$(count_events)" -eq "$events" ]
	[ "$(sql "$DB" 'SELECT COUNT(*) FROM transfers')" -eq "$transfers" ]

	# the same key, other bytes
	sed 's/"value": "1100000.00"/"value": "1100000.01"/' "$fa" >"$DIR/shared-other.json"
	call POST /v1/applications "$T_APPLICANT" "@$DIR/shared-other.json"
	[ "$code" -eq 409 ]
	[ "$(jq -r .error.code <<<"$body")" = conflict ]
	[ "$(jq -r .error.field <<<"$body")" = client_ref ]
	[ "$(count_apps)" -eq "$apps" ]
	[ "$(count_events)" -eq "$events" ]

	# Firm B uses firm A's client_ref: a different key, its own new number;
	# nothing in the answer speaks of A's application.
	fb=$(variant sh-corpus.json SHARED-1 100000.00)
	call POST /v1/applications "$T_OTHER" "@$fb"
	[ "$code" -eq 201 ]
	b=$(answered_id)
	[ "$b" != "$a" ]
	[ "$(jq -r '.client_ref + " " + (.existed | tostring)' <<<"$body")" = "SHARED-1 false" ]
	[[ "$body" != *"$a"* ]]
	call POST /v1/applications "$T_OTHER" "@$fb"
	[ "$code" -eq 200 ]
	[ "$(jq -r .id <<<"$body")" = "$b" ]
	# B's 409 is about B's own application only
	sed 's/"value": "100000.00"/"value": "100000.01"/' "$fb" >"$DIR/shared-b-other.json"
	call POST /v1/applications "$T_OTHER" "@$DIR/shared-b-other.json"
	[ "$code" -eq 409 ]
	[[ "$body" != *"$a"* ]] && [[ "$body" != *"$b"* ]]
	[[ "$body" != *"91310115MA1K4ABCDD"* ]]
	# and B's body under A's token is refused as another firm's (403), not 409
	call POST /v1/applications "$T_APPLICANT" "@$fb"
	[ "$code" -eq 403 ]

	# A's number, asked by B: 404, the very answer a number nobody holds gets
	call GET "/v1/applications/$a" "$T_OTHER"
	[ "$code" -eq 404 ]
	theirs=${body//$a/NUMBER}
	call GET /v1/applications/SH-2025-999998 "$T_OTHER"
	[ "$code" -eq 404 ]
	[ "${body//SH-2025-999998/NUMBER}" = "$theirs" ]
	call GET "/v1/applications/$b" "$T_APPLICANT"
	[ "$code" -eq 404 ]
	call GET "/v1/applications/$b" "$T_OTHER"
	[ "$code" -eq 200 ]
	[ "$(jq -r '.client_ref + " " + .uscc' <<<"$body")" = "SHARED-1 91310000MA1FL8WR2F" ]
	call GET /v1/applications "$T_OTHER"
	[ "$(jq --arg a "$a" '[.applications[] | select(.id == $a)] | length' <<<"$body")" -eq 0 ]
	[ "$(sql "$DB" "SELECT COUNT(*) FROM applications WHERE client_ref = 'SHARED-1'")" -eq 2 ]
}

@test "submitted_at, id or received_at in the body is an unknown field (400); the clock alone says when: after the window, ineligible" {
	U=$URL2
	apps=$(sql "$DB2" 'SELECT COUNT(*) FROM applications')
	events=$(sql "$DB2" 'SELECT COUNT(*) FROM events')
	f=$(variant sh-compute-rent.json LATE-1 1200000.00)
	for kv in submitted_at=2025-08-01T10:00:00+08:00 id=SH-2025-000001 received_at=2025-08-01T10:00:00+08:00; do
		sed "s/\"program\":/\"${kv%%=*}\": \"${kv#*=}\", \"program\":/" "$f" >"$DIR/claims.json"
		call POST /v1/applications "$T_LATE" "@$DIR/claims.json"
		[ "$code" -eq 400 ]
		[ "$(jq -r .error.code <<<"$body")" = unknown_field ]
		[ "$(jq -r .error.field <<<"$body")" = "${kv%%=*}" ]
		call POST /v1/estimate "$T_LATE" "@$DIR/claims.json"
		[ "$code" -eq 400 ]
		[ "$(jq -r .error.field <<<"$body")" = "${kv%%=*}" ]
	done
	[ "$(sql "$DB2" 'SELECT COUNT(*) FROM applications')" -eq "$apps" ]
	[ "$(sql "$DB2" 'SELECT COUNT(*) FROM events')" -eq "$events" ]

	# Without it: received in March 2026, after the window; recorded,
	# ineligible on the window, in fiscal year 2026.
	call POST /v1/applications "$T_LATE" "@$f"
	[ "$code" -eq 201 ]
	[ "$(jq -r '.state + " " + .amount' <<<"$body")" = "ineligible 0.00" ]
	id=$(jq -r .id <<<"$body")
	[[ "$id" =~ ^SH-2026-[0-9]{6}$ ]]
	[[ "$(jq -r .received_at <<<"$body")" == 2026-03-0[2-9]T* ]]
	call GET "/v1/applications/$id" "$T_LATE"
	[ "$(jq -r '(.fiscal_year | tostring) + " " + ([.decision.reasons[].rule] | join(","))' <<<"$body")" = "2026 compute-rent.window" ]

	# No import over HTTP: a received_at in the query is not a time of receipt.
	f=$(variant sh-model.json LATE-2 1000000.00)
	call POST "/v1/applications?received_at=2025-09-01T10:00:00%2B08:00" "$T_LATE" "@$f"
	if [ "$code" -eq 201 ]; then
		[ "$(jq -r .state <<<"$body")" = ineligible ]
		[[ "$(jq -r .received_at <<<"$body")" == 2026-03-0[2-9]T* ]]
	else
		[ "$code" -eq 400 ]
	fi
	[ "$(sql "$DB2" "SELECT COUNT(*) FROM events WHERE action = 'import'")" -eq 0 ]
	[ "$(sql "$DB2" "SELECT COUNT(*) FROM applications WHERE state <> 'ineligible'")" -eq 0 ]
	U=$URL2 call GET /v1/report "$T_LATE"
	[ "$(jq -r '[.pools[] | select(.program == "shanghai-2025" and .year == 2025)] | length > 0 and all(.available == .budget)' <<<"$body")" = true ]
}

@test "a contract signed after the day the office received the application is 400, naming contract.signed_on" {
	apps=$(count_apps)
	events=$(count_events)
	f=$(variant sh-compute-rent.json SIGNED-1 1000000.00)
	sed -i 's/"signed_on": "2025-08-15"/"signed_on": "2025-12-01"/' "$f"
	grep -q '"signed_on": "2025-12-01"' "$f"
	call POST /v1/applications "$T_APPLICANT" "@$f"
	[ "$code" -eq 400 ]
	[ "$(jq -r .error.field <<<"$body")" = contract.signed_on ]
	[[ "$(jq -r .error.message <<<"$body")" == *"signed on 2025-12-01, after the application was received on 2025-11-2"* ]]
	[ "$(count_apps)" -eq "$apps" ]
	[ "$(count_events)" -eq "$events" ]
	# estimated as if received on the day of signing, it is decided
	call POST "/v1/estimate?at=2025-12-01T09:00:00%2B08:00" "$T_APPLICANT" "@$f"
	[ "$code" -eq 200 ]
	[ "$(jq -r .eligible <<<"$body")" = true ]
}

@test "POST /v1/estimate?at= decides as if received then; the default is the office's clock" {
	f=$(variant sh-model.json EST-AT 1000000.00)
	# the last second of the window, and the first after it (UTC+8)
	call POST "/v1/estimate?at=2025-12-31T23:59:59%2B08:00" "$T_APPLICANT" "@$f"
	[ "$code" -eq 403 ] # sh-model is not firm-a's
	call POST "/v1/estimate?at=2025-12-31T23:59:59%2B08:00" "$T_AUDITOR" "@$f"
	[ "$code" -eq 200 ]
	[ "$(jq -r '.received_at + " " + (.eligible | tostring) + " " + .amount' <<<"$body")" = "2025-12-31T23:59:59+08:00 true 500000.00" ]
	call POST "/v1/estimate?at=2025-12-31T16:00:00Z" "$T_AUDITOR" "@$f"
	[ "$code" -eq 200 ]
	[ "$(jq -r '.received_at + " " + (.eligible | tostring) + " " + ([.reasons[].rule] | join(","))' <<<"$body")" = \
		"2026-01-01T00:00:00+08:00 false model.window" ]
	# no at: now, by the office's clock (inside the window)
	call POST /v1/estimate "$T_AUDITOR" "@$f"
	[ "$code" -eq 200 ]
	[ "$(jq -r .eligible <<<"$body")" = true ]
	[[ "$(jq -r .received_at <<<"$body")" == 2025-11-2* ]]
	# the late office's clock is past the window; at= takes it back
	U=$URL2 call POST /v1/estimate "$T_LATE" "@$f"
	[ "$(jq -r .eligible <<<"$body")" = false ]
	U=$URL2 call POST "/v1/estimate?at=2025-09-20T11:15:00%2B08:00" "$T_LATE" "@$f"
	[ "$(jq -r '.eligible | tostring' <<<"$body")" = true ]
	# before the contract was signed (2025-09-01), or not a time
	call POST "/v1/estimate?at=2025-08-31T23:59:59%2B08:00" "$T_AUDITOR" "@$f"
	[ "$code" -eq 400 ]
	[ "$(jq -r .error.field <<<"$body")" = contract.signed_on ]
	call POST "/v1/estimate?at=2025-09-01" "$T_AUDITOR" "@$f"
	[ "$code" -eq 400 ]
	[ "$(jq -r .error.field <<<"$body")" = at ]
	[ "$(sql "$DB" "SELECT COUNT(*) FROM applications WHERE client_ref = 'EST-AT'")" -eq 0 ]
}

@test "the OpenAPI document describes what the server answers: the application format, the POST answer, the list, the application, ?at=" {
	doc=$ROOT/data/openapi.json
	# the application: client_ref, no id, no submitted_at, nothing else
	[ "$(jq -r '.components.schemas.Application.additionalProperties' "$doc")" = false ]
	[ "$(jq -r '.components.schemas.Application.properties | keys | join(",")' "$doc")" = \
		applicant,client_ref,contract,measure,program,supplier ]
	[ "$(jq -r '.components.schemas.Application.required | sort | join(",")' "$doc")" = \
		applicant,contract,measure,program,supplier ]
	[ "$(jq -r '.components.schemas.Application.properties.client_ref | .pattern + " " + (.maxLength | tostring)' "$doc")" = \
		'^[A-Za-z0-9._-]{1,64}$ 64' ]
	# no schema anywhere has a submitted_at key (the words may name it, as
	# the field the office refuses)
	[ "$(jq '[.. | objects | select(has("submitted_at"))] | length' "$doc")" -eq 0 ]
	# ?at= on the estimate
	[ "$(jq -r '.paths["/v1/estimate"].post.parameters[] | select(.name == "at") | .in' "$doc")" = query ]

	# every key the server answers is documented, and every documented
	# required key is answered
	keys_ok() { # SCHEMA JSON
		local have want
		have=$(jq -r 'keys[]' <<<"$2" | sort)
		want=$(jq -r --arg s "$1" '.components.schemas[$s].properties | keys[]' "$doc" | sort)
		[ -z "$(comm -23 <(echo "$have") <(echo "$want"))" ] || { echo "$1: undocumented: $(comm -23 <(echo "$have") <(echo "$want") | xargs)"; return 1; }
		for k in $(jq -r --arg s "$1" '.components.schemas[$s].required[]' "$doc"); do
			grep -qx "$k" <<<"$have" || { echo "$1: $k not answered"; return 1; }
		done
	}
	call POST /v1/applications "$T_ADMIN" "@$(variant sh-compute-build.json DOC-1 2000000.00)"
	[ "$code" -eq 201 ]
	keys_ok Result "$body"
	id=$(answered_id)
	[ "$(jq -r '.components.schemas.Result.required | sort | join(",")' "$doc")" = amount,existed,id,received_at,state ]
	[ "$(jq -r '.paths["/v1/applications"].post.responses["200"].content["application/json"].schema["$ref"]' "$doc")" = \
		'#/components/schemas/Result' ]
	call GET /v1/applications "$T_ADMIN"
	keys_ok ApplicationSummary "$(jq -c --arg id "$id" '.applications[] | select(.id == $id)' <<<"$body")"
	[ "$(jq -r '.paths["/v1/applications"].get.responses["200"].content["application/json"].schema.properties.applications.items["$ref"]' "$doc")" = \
		'#/components/schemas/ApplicationSummary' ]
	call GET "/v1/applications/$id" "$T_ADMIN"
	keys_ok ApplicationView "$body"
	[ "$(jq -r '.paths["/v1/applications/{id}"].get.responses["200"].content["application/json"].schema["$ref"]' "$doc")" = \
		'#/components/schemas/ApplicationView' ]
	call POST "/v1/estimate?at=2025-09-15T09:00:00%2B08:00" "$T_ADMIN" "@$(variant sh-compute-build.json DOC-2 2000000.00)"
	[ "$code" -eq 200 ]
	[ "$(jq -r '.components.schemas.Decision.properties | has("application") and has("client_ref") and has("received_at")' "$doc")" = true ]
	for k in application client_ref received_at; do
		jq -e --arg k "$k" 'has($k)' <<<"$body" >/dev/null
	done
}

@test "POST /v1/applications/{id}/settle: the award decided again on the settled value, never up, the difference back to the pool" {
	# The model voucher: 50% of 1 800 000.00 = 900 000.00, one approver.
	call POST /v1/applications "$T_ADMIN" "@$(variant sh-model.json SETTLE-1 1800000.00)"
	[ "$code" -eq 201 ]
	[ "$(jq -r .amount <<<"$body")" = 900000.00 ]
	id=$(answered_id)
	call POST "/v1/applications/$id/settle" "$T_REVIEWER" '{"value":"1500000.00"}'
	[ "$code" -eq 409 ]
	[[ "$(jq -r .error.message <<<"$body")" == *"approve it at the approved value instead"* ]]
	call POST "/v1/applications/$id/approve" "$T_REVIEWER" '{}'
	[ "$code" -eq 200 ]
	[ "$(jq -r .amount <<<"$body")" = 900000.00 ]
	events=$(count_events)
	# Only a reviewer settles (as only a reviewer approves).
	call POST "/v1/applications/$id/settle" "$T_FINANCE" '{"value":"1500000.00"}'
	[ "$code" -eq 403 ]
	call POST "/v1/applications/$id/settle" "$T_REVIEWER" '{"value":"1500000.00","ref":"x"}'
	[ "$code" -eq 400 ]
	[ "$(jq -r .error.code <<<"$body")" = unknown_field ]
	call POST "/v1/applications/$id/settle" "$T_REVIEWER" '{}'
	[ "$code" -eq 400 ]
	[ "$(jq -r .error.field <<<"$body")" = value ]
	call POST "/v1/applications/$id/settle" "$T_REVIEWER" '{"value":1500000}'
	[ "$code" -eq 400 ]
	call POST "/v1/applications/$id/settle" "$T_REVIEWER" '{"value":"1500000.00","invoices":"FP-1"}'
	[ "$code" -eq 400 ]
	[ "$(jq -r .error.field <<<"$body")" = invoices ]
	call POST "/v1/applications/$id/settle" "$T_REVIEWER" '{"value":"1500000.00","invoices":[""]}'
	[ "$code" -eq 400 ]
	call POST "/v1/applications/$id/settle" "$T_REVIEWER" '{"value":"1800000.01"}'
	[ "$code" -eq 400 ]
	[ "$(jq -r .error.field <<<"$body")" = value ]
	[[ "$(jq -r .error.message <<<"$body")" == *"above the contract's face value 1800000.00: a larger incurred amount needs a new application"* ]]
	call POST "/v1/applications/NO-SUCH-1/settle" "$T_REVIEWER" '{"value":"1.00"}'
	[ "$code" -eq 404 ]
	[ "$(count_events)" -eq "$events" ]

	through_notice "$DB" shanghai-2025 >/dev/null # its 5-working-day notice (公示)
	call POST "/v1/applications/$id/disburse" "$T_FINANCE" '{"amount":"300000.00"}'
	[ "$code" -eq 200 ]
	# 50% of 500 000.00 = 250 000.00, below the 300 000.00 paid.
	call POST "/v1/applications/$id/settle" "$T_REVIEWER" '{"value":"500000.00"}'
	[ "$code" -eq 400 ]
	[[ "$(jq -r .error.message <<<"$body")" == *"less than the 300000.00 already paid"* ]]

	call GET /v1/report "$T_FINANCE"
	before=$(jq -r '.pools[] | select(.pool=="model") | .available' <<<"$body")
	# 50% of 1 234 567.89 = 617 283.945, rounded down: 617 283.94;
	# 900 000.00 - 617 283.94 = 282 716.06 back to the pool.
	call POST "/v1/applications/$id/settle" "$T_REVIEWER" '{"value":"1234567.89","invoices":["FP-001","FP-002"]}'
	[ "$code" -eq 200 ]
	# The settlement's figures, then the application's totals after it.
	[ "$(jq -c . <<<"$body")" = "{\"id\":\"$id\",\"state\":\"awarded\",\"value\":\"1234567.89\",\"face_value\":\"1800000.00\",\"awarded_before\":\"900000.00\",\"released\":\"282716.06\",\"invoices\":[\"FP-001\",\"FP-002\"],\"awarded\":\"617283.94\",\"paid\":\"300000.00\",\"recovered\":\"0.00\",\"remaining\":\"317283.94\",\"replayed\":false}" ]
	call GET /v1/report "$T_FINANCE"
	after=$(jq -r '.pools[] | select(.pool=="model") | .available' <<<"$body")
	[ $((10#${after/./} - 10#${before/./})) -eq 28271606 ] # in fen

	call GET "/v1/applications/$id" "$T_AUDITOR"
	[ "$(jq -r .awarded <<<"$body")" = 617283.94 ]
	[ "$(jq -r .decision.amount <<<"$body")" = 900000.00 ]
	[ "$(jq -r .settlement.decision.amount <<<"$body")" = 617283.94 ]
	[ "$(jq -r '.settlement.invoices | join(",")' <<<"$body")" = FP-001,FP-002 ]
	[ "$(jq -r '[.history[] | .action + ":" + .who] | join(",")' <<<"$body")" = \
		"apply:ada,approve:rita,disburse:fay,settle:rita" ]
	# The same settlement again releases nothing more.
	call POST "/v1/applications/$id/settle" "$T_REVIEWER" '{"value":"1234567.89"}'
	[ "$code" -eq 200 ]
	[ "$(jq -r .released <<<"$body")" = 0.00 ]
	[ "$(jq -r .awarded <<<"$body")" = 617283.94 ]

	call GET /v1/ledger/check "$T_AUDITOR"
	[ "$(jq -r .ok <<<"$body")" = true ]
	call GET /v1/audit/verify "$T_AUDITOR"
	[ "$(jq -r .ok <<<"$body")" = true ]
	run "$QUAN" audit replay --db "$DB"
	[ "$status" -eq 0 ]
}

# keyed METHOD PATH TOKEN KEY BODY: call with an Idempotency-Key header.
keyed() {
	code=$(curl -s -o "$DIR/body" -w '%{http_code}' -X "$1" "$URL$2" \
		-H "Authorization: Bearer $3" -H "Idempotency-Key: $4" \
		-H 'Content-Type: application/json' --data-binary "$5")
	body=$(cat "$DIR/body")
}

@test "the second approver confirms the first's amount or lowers it, never raises it" {
	# The model voucher, 50 % of 4 000 000.00: 2 000 000.00, above 1 M,
	# for firm-b (the example's own firm has other model contracts here,
	# which the split-contract screen would add this one to).
	jq '.applicant.uscc = "91310000MA1FL8WR2F"' "$(variant sh-model.json TWO-1 4000000.00)" >"$DIR/two.json"
	call POST /v1/applications "$T_ADMIN" "@$DIR/two.json"
	[ "$code" -eq 201 ]
	id=$(answered_id)
	call POST "/v1/applications/$id/approve" "$T_REVIEWER" '{"rate":"30%"}'
	[ "$code" -eq 200 ]
	[ "$(jq -r .state <<<"$body")" = reserved ]
	[ "$(jq -r .amount <<<"$body")" = 1200000.00 ]
	[ "$(jq -r .second_approval_needed <<<"$body")" = true ]
	# Higher than the first approved: refused, nothing written.
	events=$(count_events)
	call POST "/v1/applications/$id/approve" "$T_REVIEWER2" '{"rate":"40%"}'
	[ "$code" -eq 409 ]
	[[ "$(jq -r .error.message <<<"$body")" == *"confirms that amount or lowers it"* ]]
	[ "$(count_events)" -eq "$events" ]
	# No rate: the first's amount, in both names.
	call POST "/v1/applications/$id/approve" "$T_REVIEWER2" '{}'
	[ "$code" -eq 200 ]
	[ "$(jq -r .state <<<"$body")" = awarded ]
	[ "$(jq -r .amount <<<"$body")" = 1200000.00 ]
	[ "$(jq -r .first_approver <<<"$body")" = rita ]
	[ "$(jq -r .approved_by <<<"$body")" = rob ]
	call GET "/v1/applications/$id" "$T_AUDITOR"
	[ "$(jq -r .awarded <<<"$body")" = 1200000.00 ]
}

@test "Idempotency-Key: a retried disbursement pays once, another body under the key is 409, two at once pay once" {
	call POST /v1/applications "$T_ADMIN" "@$(variant sh-model.json KEY-1 3000000.00)"
	[ "$code" -eq 201 ]
	id=$(answered_id)
	keyed POST "/v1/applications/$id/approve" "$T_REVIEWER" ap-1 '{}'
	[ "$code" -eq 200 ]
	keyed POST "/v1/applications/$id/approve" "$T_REVIEWER2" ap-2 '{}'
	[ "$code" -eq 200 ]
	[ "$(jq -r .awarded <<<"$body")" = 1500000.00 ]

	through_notice "$DB" shanghai-2025 >/dev/null # its 5-working-day notice (公示)
	keyed POST "/v1/applications/$id/disburse" "$T_FINANCE" pay-1 '{"amount":"100000.00"}'
	[ "$code" -eq 200 ]
	first=$body
	[ "$(jq -r .amount <<<"$body")" = 100000.00 ]
	[ "$(jq -r .paid <<<"$body")" = 100000.00 ]
	[ "$(jq -r .remaining <<<"$body")" = 1400000.00 ]
	[ "$(jq -r .replayed <<<"$body")" = false ]
	# The answer was lost and the request is sent again: the same answer,
	# nothing paid, nothing written.
	events=$(count_events)
	keyed POST "/v1/applications/$id/disburse" "$T_FINANCE" pay-1 '{"amount":"100000.00"}'
	[ "$code" -eq 200 ]
	[ "$(jq -r .replayed <<<"$body")" = true ]
	[ "$(jq -c 'del(.replayed)' <<<"$body")" = "$(jq -c 'del(.replayed)' <<<"$first")" ]
	[ "$(count_events)" -eq "$events" ]
	# Another body under the same key: 409, nothing paid.
	keyed POST "/v1/applications/$id/disburse" "$T_FINANCE" pay-1 '{"amount":"100000.01"}'
	[ "$code" -eq 409 ]
	[ "$(jq -r .error.field <<<"$body")" = idempotency_key ]
	# A malformed key is 400.
	keyed POST "/v1/applications/$id/disburse" "$T_FINANCE" 'two words' '{"amount":"1.00"}'
	[ "$code" -eq 400 ]
	call GET "/v1/applications/$id" "$T_AUDITOR"
	[ "$(jq -r .paid <<<"$body")" = 100000.00 ]

	# Two identical requests at once, each on its own connection.
	for i in 1 2; do
		curl -s -o "$DIR/race-$i" -X POST "$URL/v1/applications/$id/disburse" \
			-H "Authorization: Bearer $T_FINANCE" -H 'Idempotency-Key: pay-2' \
			-H 'Content-Type: application/json' --data-binary '{"amount":"200000.00"}' &
	done
	wait
	[ "$(jq -r .paid "$DIR/race-1")" = 300000.00 ]
	[ "$(jq -r .paid "$DIR/race-2")" = 300000.00 ]
	[ "$(jq -s 'map(.replayed) | sort | join(",")' "$DIR/race-1" "$DIR/race-2")" = '"false,true"' ]
	call GET "/v1/applications/$id" "$T_AUDITOR"
	[ "$(jq -r .paid <<<"$body")" = 300000.00 ]
	[ "$(sql "$DB" "SELECT COUNT(*) FROM transfers WHERE ref = '$id' AND id LIKE 'disburse/%'")" -eq 2 ]

	# Without a key every request pays: the retry protection is the key's.
	call POST "/v1/applications/$id/disburse" "$T_FINANCE" '{"amount":"1.00"}'
	[ "$code" -eq 200 ]
	call POST "/v1/applications/$id/disburse" "$T_FINANCE" '{"amount":"1.00"}'
	[ "$(jq -r .paid <<<"$body")" = 300002.00 ]
	call GET /v1/ledger/check "$T_AUDITOR"
	[ "$(jq -r .ok <<<"$body")" = true ]
}

@test "POST /v1/applications: client_ref is the key; an Idempotency-Key that differs from it is 400, alone it stands for it" {
	f=$(variant sh-compute-rent.json IDEM-1 1000000.00)
	keyed POST /v1/applications "$T_APPLICANT" other-ref "$(cat "$f")"
	[ "$code" -eq 400 ]
	[[ "$(jq -r .error.message <<<"$body")" == *"client_ref"* ]]
	keyed POST /v1/applications "$T_APPLICANT" IDEM-1 "$(cat "$f")"
	[ "$code" -eq 201 ]
	# No client_ref in the body: the header is the reference.
	jq 'del(.client_ref) | .contract.number = "HT-IDEM-2" | .contract.value = "900000.00"' "$f" >"$DIR/noref.json"
	keyed POST /v1/applications "$T_APPLICANT" IDEM-2 "$(cat "$DIR/noref.json")"
	[ "$code" -eq 201 ]
	[ "$(jq -r .client_ref <<<"$body")" = IDEM-2 ]
	id=$(answered_id)
	keyed POST /v1/applications "$T_APPLICANT" IDEM-2 "$(cat "$DIR/noref.json")"
	[ "$code" -eq 200 ]
	[ "$(jq -r .existed <<<"$body")" = true ]
	[ "$(jq -r .id <<<"$body")" = "$id" ]
}

@test "ledger checks and audit verifies run one at a time off the request threads: 200 or 503 with Retry-After, never a wait for /v1/me" {
	for i in 1 2 3 4 5 6; do
		p=/v1/ledger/check
		[ "$i" -gt 3 ] && p=/v1/audit/verify
		curl -s -D "$DIR/check-$i.h" -o "$DIR/check-$i" -w '%{http_code}' \
			-H "Authorization: Bearer $T_AUDITOR" "$URL$p" >"$DIR/check-$i.code" &
	done
	call GET /v1/me "$T_AUDITOR"
	[ "$code" -eq 200 ]
	wait
	ok=0
	for i in 1 2 3 4 5 6; do
		c=$(cat "$DIR/check-$i.code")
		if [ "$c" -eq 200 ]; then
			ok=$((ok + 1))
			[ "$(jq -r .ok "$DIR/check-$i")" = true ]
		else
			[ "$c" -eq 503 ]
			[ "$(jq -r .error.code "$DIR/check-$i")" = busy ]
			grep -qi '^Retry-After: [0-9]' "$DIR/check-$i.h"
		fi
	done
	[ "$ok" -ge 1 ]
	# Once they are done, the next one runs.
	call GET /v1/ledger/check "$T_AUDITOR"
	[ "$code" -eq 200 ]
}

@test "GET /v1/report: the self-reliance section kept while nothing is written, and new as soon as something is" {
	call GET /v1/report "$T_FINANCE"
	[ "$code" -eq 200 ]
	before=$(jq -c .self_reliance.total <<<"$body")
	for _ in 1 2 3 4; do
		call GET /v1/report "$T_FINANCE"
		[ "$(jq -c .self_reliance.total <<<"$body")" = "$before" ]
	done
	call POST /v1/applications "$T_APPLICANT" "@$(variant sh-compute-rent.json SR-1 100000.00)"
	[ "$code" -eq 201 ]
	[ "$(jq -r .state <<<"$body")" = reserved ]
	for _ in 1 2 3 4; do
		call GET /v1/report "$T_FINANCE"
		[ "$(jq -c .self_reliance.total <<<"$body")" != "$before" ]
		[ "$(jq -r .self_reliance.total.applications <<<"$body")" -eq "$(($(jq -r .applications <<<"$before") + 1))" ]
	done
}
