#!/usr/bin/env bats
# End-to-end over real HTTP on loopback: `quan serve` on a fresh office
# (SQLite, or PostgreSQL when QUAN_TEST_DB is set), driven with curl. One server per file; each test uses its own
# application ids.

load db

setup_file() {
	export QUAN=${QUAN:-$BATS_TEST_DIRNAME/../../build/quan}
	export ROOT=$BATS_TEST_DIRNAME/../..
	export EX=$ROOT/examples/applications
	export DIR=$(mktemp -d)
	export DB=$(new_db "$DIR/office.db")
	# Shanghai with the corpus pool cut to 1 M yuan (so it can run out),
	# and two approvers above 1 M yuan for the model voucher.
	sed -E -e "/^  - id: corpus$/,/^  - id:/ s/2025: \"100000000.00\"/2025: \"1000000.00\"/" \
		-e "s/^    pool: model$/    pool: model\n    second_approver_above: \"1000000.00\"/" \
		"$ROOT/policies/shanghai-2025.yaml" >"$DIR/small.yaml"
	"$QUAN" init --db "$DB" --policy "$DIR/small.yaml" --by admin >/dev/null
	export T_ADMIN=$("$QUAN" user add --db "$DB" ada --role administrator)
	export T_REVIEWER=$("$QUAN" user add --db "$DB" rita --role reviewer)
	export T_REVIEWER2=$("$QUAN" user add --db "$DB" rob --role reviewer)
	export T_FINANCE=$("$QUAN" user add --db "$DB" fay --role finance)
	export T_AUDITOR=$("$QUAN" user add --db "$DB" otto --role auditor)
	# The applicant of sh-compute-rent.json, and another firm.
	export T_APPLICANT=$("$QUAN" user add --db "$DB" firm-a --role applicant --uscc 91310115MA1K4ABCDD)
	export T_OTHER=$("$QUAN" user add --db "$DB" firm-b --role applicant --uscc 91310000MA1FL8WR2F)
	"$QUAN" serve --db "$DB" --listen 127.0.0.1:0 --web "$DIR/web" \
		>"$DIR/serve.out" 2>"$DIR/serve.err" 3>&- &
	echo $! >"$DIR/pid"
	for _ in $(seq 100); do
		grep -q listening "$DIR/serve.out" 2>/dev/null && break
		sleep 0.05
	done
	export URL=$(sed -n 's|^listening \(http://[^ ]*\)/$|\1|p' "$DIR/serve.out")
	mkdir -p "$DIR/web"
	echo '<!doctype html><title>quan</title>' >"$DIR/web/index.html"
}

teardown_file() {
	kill "$(cat "$DIR/pid")" 2>/dev/null || true
	wait 2>/dev/null || true
	drop_db "$DB"
	rm -rf "$DIR"
}

# call METHOD PATH TOKEN [BODY|@FILE]: sets $code and $body.
call() {
	local args=(-s -o "$DIR/body" -w '%{http_code}' -X "$1" "$URL$2")
	[ -n "$3" ] && args+=(-H "Authorization: Bearer $3")
	[ $# -ge 4 ] && args+=(-H 'Content-Type: application/json' --data-binary "$4")
	code=$(curl "${args[@]}")
	body=$(cat "$DIR/body")
}

# A copy of example $1 with id $2 and contract value $3; prints its path.
variant() {
	sed -E -e "s/\"id\": *\"[^\"]*\"/\"id\": \"$2\"/" \
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
	# the same again is harmless
	call POST /v1/applications "$T_APPLICANT" "@$f"
	[ "$code" -eq 200 ]
	[ "$(echo "$body" | jq -r .existed)" = true ]

	call GET /v1/applications/LIFE-1 "$T_APPLICANT"
	[ "$code" -eq 200 ]
	[ "$(echo "$body" | jq -r .decision.rate)" = 30% ]
	[ "$(echo "$body" | jq -r '.decision.trace | length')" -gt 0 ]
	[ "$(echo "$body" | jq -r '.transfers[0].kind')" = pending ]

	call GET '/v1/applications?state=reserved' "$T_REVIEWER"
	[ "$code" -eq 200 ]
	echo "$body" | jq -e '.applications | map(.id) | index("LIFE-1")'

	call POST /v1/applications/LIFE-1/approve "$T_REVIEWER" '{"rate":"25%"}'
	[ "$code" -eq 200 ]
	[ "$(echo "$body" | jq -r .state)" = awarded ]
	[ "$(echo "$body" | jq -r .amount)" = 300000.00 ]
	# awarded twice: a conflict with its state
	call POST /v1/applications/LIFE-1/approve "$T_REVIEWER2" '{}'
	[ "$code" -eq 409 ]
	[ "$(echo "$body" | jq -r .error.code)" = conflict ]

	call POST /v1/applications/LIFE-1/disburse "$T_FINANCE" '{"amount":"300000.01"}'
	[ "$code" -eq 400 ]
	[ "$(echo "$body" | jq -r .error.field)" = amount ]
	call POST /v1/applications/LIFE-1/disburse "$T_FINANCE" '{"amount":"200000.00"}'
	[ "$code" -eq 200 ]
	call POST /v1/applications/LIFE-1/clawback "$T_FINANCE" '{"amount":"50000.00","why":"price above the catalog"}'
	[ "$code" -eq 200 ]

	call GET /v1/applications/LIFE-1 "$T_AUDITOR"
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
	call POST /v1/applications "$T_ADMIN" "@$(variant sh-corpus.json CORP-2 2000000.00)"
	[ "$code" -eq 201 ]
	[ "$(echo "$body" | jq -r .state)" = waitlisted ]
	call POST /v1/applications/CORP-1/reject "$T_REVIEWER" '{}'
	[ "$code" -eq 400 ]
	[ "$(echo "$body" | jq -r .error.field)" = why ]
	call POST /v1/applications/CORP-1/reject "$T_REVIEWER" '{"why":""}'
	[ "$code" -eq 400 ]
	[ "$(echo "$body" | jq -r .error.code)" = missing_field ]
	call POST /v1/applications/CORP-1/reject "$T_REVIEWER" '{"why":"incomplete"}'
	[ "$code" -eq 200 ]
	[ "$(echo "$body" | jq -r .state)" = rejected ]
	# the money came back and served the waitlist
	call GET /v1/applications/CORP-2 "$T_ADMIN"
	[ "$(echo "$body" | jq -r .state)" = reserved ]
	call POST /v1/applications/CORP-2/withdraw "$T_ADMIN"
	[ "$code" -eq 200 ]
	[ "$(echo "$body" | jq -r .state)" = withdrawn ]
	call GET /v1/report "$T_FINANCE"
	[ "$(echo "$body" | jq -r '.pools[] | select(.pool=="corpus") | .available')" = 1000000.00 ]
}

@test "two approvers above the threshold must differ" {
	call POST /v1/applications "$T_ADMIN" "@$(variant sh-model.json BIG-1 4000000.00)"
	[ "$code" -eq 201 ]
	[ "$(echo "$body" | jq -r .state)" = reserved ]
	call POST /v1/applications/BIG-1/approve "$T_REVIEWER" '{}'
	[ "$code" -eq 200 ]
	[ "$(echo "$body" | jq -r .state)" = reserved ]
	call POST /v1/applications/BIG-1/approve "$T_REVIEWER" '{}'
	[ "$code" -eq 403 ]
	[[ "$body" == *"second, different approver"* ]]
	call POST /v1/applications/BIG-1/approve "$T_REVIEWER2" '{}'
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
	[ "$(count_apps)" -eq "$apps" ]
	[ "$(count_events)" -eq "$events" ]
	call GET /v1/applications/EST-1 "$T_ADMIN"
	[ "$code" -eq 404 ]
}

@test "an applicant sees and submits only its own applications" {
	call POST /v1/applications "$T_ADMIN" "@$(variant sh-compute-rent.json OWN-1 1000000.00)"
	[ "$code" -eq 201 ]
	call GET /v1/applications/OWN-1 "$T_APPLICANT"
	[ "$code" -eq 200 ]
	# another firm: not found, as for an id that does not exist
	call GET /v1/applications/OWN-1 "$T_OTHER"
	[ "$code" -eq 404 ]
	[ "$(echo "$body" | jq -r .error.code)" = not_found ]
	call POST /v1/applications/OWN-1/withdraw "$T_OTHER"
	[ "$code" -eq 404 ]
	call GET /v1/applications "$T_OTHER"
	[ "$code" -eq 200 ]
	[ "$(echo "$body" | jq '[.applications[] | select(.uscc != "91310000MA1FL8WR2F")] | length')" -eq 0 ]
	call GET /v1/applications "$T_APPLICANT"
	echo "$body" | jq -e '.applications | map(.id) | index("OWN-1")'
	# filing for another firm is forbidden
	call POST /v1/applications "$T_OTHER" "@$(variant sh-compute-rent.json OWN-2 1000000.00)"
	[ "$code" -eq 403 ]
	[ "$(echo "$body" | jq -r .error.code)" = forbidden ]
}

@test "authorisation matrix: every route x every role is allowed or 403, as the OpenAPI document says" {
	call POST /v1/applications "$T_ADMIN" "@$(variant sh-compute-rent.json MATRIX-1 1000000.00)"
	[ "$code" -eq 201 ]
	apps=$(count_apps)
	events=$(count_events)
	declare -A tokens=([administrator]=$T_ADMIN [reviewer]=$T_REVIEWER
		[finance]=$T_FINANCE [auditor]=$T_AUDITOR [applicant]=$T_APPLICANT)
	checked=0
	while IFS=$'\t' read -r method path roles; do
		[ "$path" = /v1/openapi.json ] && continue
		p=${path//\{id\}/MATRIX-1}
		for role in administrator reviewer finance auditor applicant; do
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
	[ "$checked" -eq $((19 * 5)) ]
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

@test "hostile input: each answered cleanly, nothing written, the server still serving" {
	apps=$(count_apps)
	events=$(count_events)
	f=$(variant sh-compute-rent.json HOSTILE-1 1000000.00)

	call POST /v1/applications "$T_ADMIN" '{"id": "X", '
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

	call POST /v1/applications/MATRIX-1/disburse "$T_FINANCE" '{"amount": 5}'
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
	run node "$BATS_TEST_DIRNAME/tools/idle.mjs" "${URL##*:}" 10000 "$T_ADMIN"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"opened=10000 failed=0 status=200"* ]]
	call GET /v1/me "$T_ADMIN"
	[ "$code" -eq 200 ]
}

@test "a slow client is cut off after the idle timeout; others are served meanwhile" {
	# Send half a request and stall; the server must not wait for ever.
	exec 5<>"/dev/tcp/127.0.0.1/${URL##*:}"
	printf 'POST /v1/estimate HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"id"' >&5
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
