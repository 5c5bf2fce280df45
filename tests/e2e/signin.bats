#!/usr/bin/env bats
# Sign-in end to end: passwords, sessions in cookies with a CSRF token,
# expiry, backoff, the trusted proxy, and users managed over HTTP. Each
# test that counts failures signs in as a name of its own.

load db

start_server() {
	local name=$1 db=$2
	shift 2
	local URL PORT SERVE_PID # the caller's URL stays; this one goes to the file
	serve_bg "$DIR/$name" "$db" "$@" || return 1
	echo "$URL" >"$DIR/$name.url"
}

setup_file() {
	export QUAN=${QUAN:-$BATS_TEST_DIRNAME/../../build/quan}
	export ROOT=$BATS_TEST_DIRNAME/../..
	export DIR=$(mktemp -d)
	export DB=$(new_db "$DIR/office.db")
	export QUAN_NOW=2025-11-20T10:00:00+08:00
	"$QUAN" init --db "$DB" --policy "$ROOT/policies/shanghai-2025.yaml" --by admin >/dev/null 2>&1
	echo 'Ada-pass-2025' | "$QUAN" user add --db "$DB" ada --role administrator --password-stdin >/dev/null 2>&1
	echo 'Rita-pass-2025' | "$QUAN" user add --db "$DB" rita --role reviewer --password-stdin >/dev/null 2>&1
	export T_ADMIN=$("$QUAN" user add --db "$DB" ada-bot --role administrator 2>/dev/null)
	export T_REVIEWER=$("$QUAN" user add --db "$DB" rita-bot --role reviewer 2>/dev/null)
	start_server serve "$DB" --trusted-proxy 127.0.0.1
	export URL=$(cat "$DIR/serve.url")
}

teardown_file() {
	kill "$(cat "$DIR/serve.pid")" 2>/dev/null || true
	wait 2>/dev/null || true
	drop_db "$DB"
	rm -rf "$DIR"
}

# sign_in NAME PASSWORD [curl args...]: sets $code and $body; the cookie in
# $DIR/NAME.jar, the CSRF token in $csrf.
sign_in() {
	local n=$1 p=$2
	shift 2
	code=$(curl -s -o "$DIR/body" -D "$DIR/headers" -w '%{http_code}' -c "$DIR/$n.jar" \
		-X POST "$URL/v1/session" -H 'Content-Type: application/json' \
		--data-binary "{\"name\":\"$n\",\"password\":\"$p\"}" "$@")
	body=$(cat "$DIR/body")
	csrf=$(jq -r '.csrf // empty' <<<"$body")
}

# as NAME METHOD PATH [BODY]: with NAME's session cookie and CSRF token.
as() {
	local args=(-s -o "$DIR/body" -D "$DIR/headers" -w '%{http_code}' -b "$DIR/$1.jar" -X "$2" "$URL$3")
	[ -n "${CSRF-$csrf}" ] && args+=(-H "X-CSRF-Token: ${CSRF-$csrf}")
	[ $# -ge 4 ] && args+=(-H 'Content-Type: application/json' --data-binary "$4")
	code=$(curl "${args[@]}")
	body=$(cat "$DIR/body")
}

bearer() {
	local args=(-s -o "$DIR/body" -D "$DIR/headers" -w '%{http_code}' -X "$1" "$URL$2" -H "Authorization: Bearer $3")
	[ $# -ge 4 ] && args+=(-H 'Content-Type: application/json' --data-binary "$4")
	code=$(curl "${args[@]}")
	body=$(cat "$DIR/body")
}

@test "sign in with a name and password: an HttpOnly SameSite=Strict cookie and a CSRF token; /v1/me; sign out" {
	sign_in ada Ada-pass-2025
	[ "$code" -eq 200 ]
	[ "$(jq -r .role <<<"$body")" = administrator ]
	[[ "$csrf" == qc_* ]]
	grep -i '^set-cookie: quan_session=qs_' "$DIR/headers" | grep -q 'HttpOnly; SameSite=Strict'
	! grep -i '^set-cookie:' "$DIR/headers" | grep -q Secure
	as ada GET /v1/me
	[ "$code" -eq 200 ]
	[ "$(jq -r .signed_in_with <<<"$body")" = session ]
	[ "$(jq -r .csrf <<<"$body")" = "$csrf" ]
	as ada GET /v1/report
	[ "$code" -eq 200 ]
	as ada DELETE /v1/session
	[ "$code" -eq 200 ]
	as ada GET /v1/me
	[ "$code" -eq 401 ]
	[[ "$(jq -r .error.message <<<"$body")" == *"sign in again"* ]]
	# The audit chain holds both, and still verifies.
	[ "$(sql "$DB" "select count(*) from events where subject = 'ada' and action = 'sign-in'")" -ge 1 ]
	[ "$(sql "$DB" "select count(*) from events where subject = 'ada' and action = 'sign-out'")" -ge 1 ]
	run "$QUAN" audit verify --db "$DB"
	[ "$status" -eq 0 ]
}

@test "a change made with the session cookie without its X-CSRF-Token is 403, and nothing changes" {
	sign_in ada Ada-pass-2025
	[ "$code" -eq 200 ]
	CSRF= as ada POST /v1/users '{"name":"csrf-victim","role":"auditor"}'
	[ "$code" -eq 403 ]
	[ "$(jq -r .error.code <<<"$body")" = csrf ]
	CSRF=qc_0000000000000000000000000000000000000000000000000000000000000000 \
		as ada POST /v1/users '{"name":"csrf-victim","role":"auditor"}'
	[ "$code" -eq 403 ]
	[ "$(sql "$DB" "select count(*) from users where name = 'csrf-victim'")" -eq 0 ]
	as ada POST /v1/users '{"name":"csrf-victim","role":"auditor"}'
	[ "$code" -eq 201 ]
}

@test "a wrong password and an unknown name are the same 401" {
	sign_in rita wrong-pass-1
	[ "$code" -eq 401 ]
	[ "$(jq -r .error.message <<<"$body")" = "wrong name or password" ]
	sign_in nobody-here wrong-pass-1
	[ "$code" -eq 401 ]
	[ "$(jq -r .error.message <<<"$body")" = "wrong name or password" ]
	[ ! -s "$DIR/rita.jar" ] || ! grep -q qs_ "$DIR/rita.jar"
}

@test "failed sign-ins back off: after 5 failures for one name, 429 with Retry-After, even with the right password" {
	echo 'Bo-pass-2025' | "$QUAN" user add --db "$DB" bo --role auditor --password-stdin
	for i in 1 2 3 4 5 6; do
		sign_in bo "wrong-pass-$i" -H "X-Forwarded-For: 198.51.100.$i"
		[ "$code" -eq 401 ]
	done
	sign_in bo Bo-pass-2025 -H "X-Forwarded-For: 198.51.100.99"
	[ "$code" -eq 429 ]
	grep -qi '^retry-after: [0-9]' "$DIR/headers"
	[ "$(jq -r .error.code <<<"$body")" = too_many_attempts ]
}

@test "failed sign-ins back off per address too; the address is X-Forwarded-For only from the trusted proxy" {
	for i in 1 2 3 4 5 6; do
		sign_in "nobody-$i" wrong-pass-1 -H 'X-Forwarded-For: 203.0.113.7'
		[ "$code" -eq 401 ]
	done
	# Another name from the same address: refused.
	sign_in rita Rita-pass-2025 -H 'X-Forwarded-For: 203.0.113.7'
	[ "$code" -eq 429 ]
	# From another address it goes in, and the audit records that address.
	sign_in rita Rita-pass-2025 -H 'X-Forwarded-For: 10.1.2.3, 203.0.113.8'
	[ "$code" -eq 200 ]
	[[ "$(sql "$DB" "select detail from events where action = 'sign-in' and subject = 'rita' order by seq desc limit 1")" == *'"address":"203.0.113.8"'* ]]
}

@test "a server without a trusted proxy takes the socket's address, whatever X-Forwarded-For says" {
	start_server plain "$DB"
	URL=$(cat "$DIR/plain.url") sign_in rita Rita-pass-2025 -H 'X-Forwarded-For: 192.0.2.55'
	kill "$(cat "$DIR/plain.pid")"
	[ "$code" -eq 200 ]
	[[ "$(sql "$DB" "select detail from events where action = 'sign-in' and subject = 'rita' order by seq desc limit 1")" == *'"address":"127.0.0.1"'* ]]
}

@test "an expired session is 401: the office's clock moves past the idle limit" {
	sign_in rita Rita-pass-2025
	[ "$code" -eq 200 ]
	as rita GET /v1/me
	[ "$code" -eq 200 ]
	# The same office, its clock 9 hours on: past the 8-hour idle limit.
	QUAN_NOW=2025-11-20T19:00:00+08:00 start_server later "$DB"
	code=$(curl -s -o "$DIR/body" -w '%{http_code}' -b "$DIR/rita.jar" "$(cat "$DIR/later.url")/v1/me")
	kill "$(cat "$DIR/later.pid")"
	[ "$code" -eq 401 ]
	[[ "$(jq -r .error.message <"$DIR/body")" == "this session expired: sign in again" ]]
}

@test "an expired API token is 401 with a clear message; rotated in place, the new one works and the old one does not" {
	t=$("$QUAN" user add --db "$DB" short-bot --role auditor --expires 1)
	bearer GET /v1/me "$t"
	[ "$code" -eq 200 ]
	[ "$(jq -r .token_expires_at <<<"$body")" = 2025-11-21T10:00:00+08:00 ]
	QUAN_NOW=2025-11-22T10:00:00+08:00 start_server later2 "$DB"
	code=$(curl -s -o "$DIR/body" -w '%{http_code}' -H "Authorization: Bearer $t" "$(cat "$DIR/later2.url")/v1/me")
	[ "$code" -eq 401 ]
	[ "$(jq -r .error.code <"$DIR/body")" = token_expired ]
	[[ "$(jq -r .error.message <"$DIR/body")" == *"expired at 2025-11-21T10:00:00+08:00"* ]]
	t2=$(QUAN_NOW=2025-11-22T10:00:00+08:00 "$QUAN" user token --db "$DB" short-bot --by ada 2>/dev/null)
	code=$(curl -s -o "$DIR/body" -w '%{http_code}' -H "Authorization: Bearer $t2" "$(cat "$DIR/later2.url")/v1/me")
	[ "$code" -eq 200 ]
	code=$(curl -s -o "$DIR/body" -w '%{http_code}' -H "Authorization: Bearer $t" "$(cat "$DIR/later2.url")/v1/me")
	kill "$(cat "$DIR/later2.pid")"
	[ "$code" -eq 401 ]
	[ "$(sql "$DB" "select count(*) from events where subject = 'short-bot' and action = 'user-token'")" -eq 1 ]
}

@test "an administrator manages users over HTTP; others get 403; a duplicate is 409; every change audited" {
	bearer POST /v1/users "$T_REVIEWER" '{"name":"fay","role":"finance","password":"Fay-pass-2025"}'
	[ "$code" -eq 403 ]
	bearer GET /v1/users "$T_REVIEWER"
	[ "$code" -eq 403 ]
	bearer POST /v1/users "$T_ADMIN" '{"name":"fay","role":"finance","password":"short"}'
	[ "$code" -eq 400 ]
	[ "$(jq -r .error.field <<<"$body")" = password ]
	bearer POST /v1/users "$T_ADMIN" '{"name":"fay","role":"finance","password":"Fay-pass-2025"}'
	[ "$code" -eq 201 ]
	[ "$(jq -r .password <<<"$body")" = true ]
	[ "$(jq -r '.token // "none"' <<<"$body")" = none ]
	bearer POST /v1/users "$T_ADMIN" '{"name":"fay","role":"auditor"}'
	[ "$code" -eq 409 ]
	[ "$(jq -r .error.message <<<"$body")" = "a user 'fay' exists already" ]
	sign_in fay Fay-pass-2025
	[ "$code" -eq 200 ]
	[ "$(jq -r .role <<<"$body")" = finance ]
	# Reset her password: her session ends, the new password works.
	bearer POST /v1/users/fay/password "$T_ADMIN" '{"password":"Fay-new-2026"}'
	[ "$code" -eq 200 ]
	as fay GET /v1/me
	[ "$code" -eq 401 ]
	sign_in fay Fay-pass-2025
	[ "$code" -eq 401 ]
	sign_in fay Fay-new-2026
	[ "$code" -eq 200 ]
	# A new role, then disabled: she cannot sign in.
	bearer PATCH /v1/users/fay "$T_ADMIN" '{"role":"auditor"}'
	[ "$code" -eq 200 ]
	[ "$(jq -r .role <<<"$body")" = auditor ]
	bearer PATCH /v1/users/fay "$T_ADMIN" '{"disabled":true}'
	[ "$code" -eq 200 ]
	sign_in fay Fay-new-2026
	[ "$code" -eq 403 ]
	bearer GET /v1/users "$T_ADMIN"
	[ "$code" -eq 200 ]
	[ "$(jq -r '.users[] | select(.name == "fay") | .disabled' <<<"$body")" = true ]
	# An administrator does not remove themselves.
	bearer DELETE /v1/users/ada-bot "$T_ADMIN"
	[ "$code" -eq 409 ]
	bearer DELETE /v1/users/fay "$T_ADMIN"
	[ "$code" -eq 200 ]
	bearer DELETE /v1/users/fay "$T_ADMIN"
	[ "$code" -eq 404 ]
	[ "$(sql "$DB" "select who || ':' || action from events where subject = 'fay' and action like 'user-%' order by seq" | tr '\n' ' ')" = \
		"ada-bot:user-add ada-bot:user-password ada-bot:user-change ada-bot:user-change ada-bot:user-remove " ]
	run "$QUAN" audit verify --db "$DB"
	[ "$status" -eq 0 ]
}

@test "passwords come from standard input, checked; the lowered hashing setting is refused in production" {
	run sh -c "echo short | '$QUAN' user add --db '$DB' weak --role auditor --password-stdin"
	[ "$status" -ne 0 ]
	[[ "$output" == *"password: at least 8 characters"* ]]
	run sh -c "echo 'Good-pass-1' | '$QUAN' user password --db '$DB' rita-bot --by ada"
	[ "$status" -eq 0 ]
	run env QUAN_PWHASH=test "$QUAN" serve --db "$DB" --listen 127.0.0.1:0
	[ "$status" -ne 0 ]
	[[ "$output" == *"refused outside a test build"* ]]
	run sh -c "echo 'Good-pass-1' | QUAN_PWHASH=test '$QUAN' user add --db '$DB' weak --role auditor --password-stdin"
	[ "$status" -ne 0 ]
}
