#!/usr/bin/env bats
# End-to-end: the server's edge over real loopback sockets. TLS, request
# rates, slowloris, the memory held by request bodies, request-smuggling
# framing, the bearer scheme's case and a NUL in a path. Each test starts
# its own `quan serve` with the limits it probes, scaled down (a
# per-address limit of 50 against 300 connections, not 16 000); the hostile
# clients are tests/e2e/tools/edge.py.

load db

setup_file() {
	export QUAN=${QUAN:-$BATS_TEST_DIRNAME/../../build/quan}
	export ROOT=$BATS_TEST_DIRNAME/../..
	export TOOL=$BATS_TEST_DIRNAME/tools/edge.py
	export DIR=$(mktemp -d)
	export DB=$(new_db "$DIR/office.db")
	export QUAN_NOW=2025-11-20T10:00:00+08:00
	"$QUAN" init --db "$DB" --policy "$ROOT/policies/shanghai-2025.yaml" --by admin >/dev/null
	export T_ADMIN=$("$QUAN" user add --db "$DB" ada --role administrator)
}

teardown_file() {
	drop_db "$DB"
	rm -rf "$DIR"
}

teardown() {
	local f
	for f in serve haproxy; do
		[ -f "$DIR/$f.pid" ] && kill "$(cat "$DIR/$f.pid")" 2>/dev/null || true
		rm -f "$DIR/$f.pid"
	done
}

# serve ARGS...: `quan serve` on the office with ARGS; sets $URL, $PORT
# and $PID.
serve() {
	serve_bg "$DIR/serve" "$DB" "$@" || return 1
	PID=$SERVE_PID
}

@test "TLS: a request over TLS is served; plaintext to the TLS port is refused" {
	openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
		-addext subjectAltName=IP:127.0.0.1 \
		-keyout "$DIR/key.pem" -out "$DIR/cert.pem" 2>/dev/null
	serve --tls-cert "$DIR/cert.pem" --tls-key "$DIR/key.pem"
	[[ $URL == https://* ]]
	run curl -s --cacert "$DIR/cert.pem" -w ' %{http_code}' \
		-H "Authorization: Bearer $T_ADMIN" "$URL/v1/me"
	[[ $output == *'"name":"ada"'*' 200' ]]
	# Plain HTTP to the same port: no HTTP answer at all.
	run curl -s -m 5 -w '%{http_code}' "http://127.0.0.1:$PORT/v1/me"
	[ "$status" -ne 0 ]
	[ "$output" = 000 ]
	# A certificate the client does not trust is not accepted.
	run curl -s -m 5 "$URL/v1/me"
	[ "$status" -eq 60 ]
	# TLS 1.2 and 1.3 are served; 1.1 is not, even to a client that would.
	run curl -s --cacert "$DIR/cert.pem" --tlsv1.2 --tls-max 1.2 -o /dev/null -w '%{http_code}' \
		-H "Authorization: Bearer $T_ADMIN" "$URL/v1/me"
	[ "$output" = 200 ]
	run sh -c "echo | openssl s_client -connect 127.0.0.1:$PORT -tls1_2 2>&1"
	[[ $output == *"Protocol  : TLSv1.2"* ]]
	run sh -c "echo | openssl s_client -connect 127.0.0.1:$PORT -tls1_1 -cipher DEFAULT@SECLEVEL=0 2>&1"
	[[ $output == *"Cipher is (NONE)"* ]]
}

@test "TLS: a session cookie is Secure over TLS, and not over plain HTTP" {
	printf 'Correct-horse-9\n' | "$QUAN" user add --db "$DB" sam --role reviewer --password-stdin
	serve --tls-cert "$DIR/cert.pem" --tls-key "$DIR/key.pem"
	run curl -s --cacert "$DIR/cert.pem" -D - -o /dev/null -H 'Content-Type: application/json' \
		--data '{"name":"sam","password":"Correct-horse-9"}' "$URL/v1/session"
	[[ $output == *"Set-Cookie: quan_session="*"; Secure"* ]] ||
		{ echo "$output"; cat "$DIR/serve.err"; false; }
	kill "$PID"
	serve
	run curl -s -D - -o /dev/null -H 'Content-Type: application/json' \
		--data '{"name":"sam","password":"Correct-horse-9"}' "$URL/v1/session"
	[[ $output == *"Set-Cookie: quan_session="* ]]
	[[ $output != *"Secure"* ]]
}

@test "TLS: a missing key, or a file that is not PEM, is refused at start" {
	run "$QUAN" serve --db "$DB" --listen 127.0.0.1:0 --tls-cert "$DIR/cert.pem"
	[ "$status" -eq 1 ]
	[[ $output == *"--tls-cert and --tls-key go together"* ]]
	echo nothing >"$DIR/bad.pem"
	run "$QUAN" serve --db "$DB" --listen 127.0.0.1:0 --tls-cert "$DIR/bad.pem" --tls-key "$DIR/key.pem"
	[ "$status" -eq 1 ]
	[[ $output == *"not a PEM certificate"* ]]
}

@test "rate limit per token: 429 with Retry-After once the burst is spent" {
	# One request a second, a burst of two. One curl sends all nine, the
	# last from another address, so that a loaded machine's slow process
	# starts do not refill the bucket between them.
	serve --rate-token 1
	local args=()
	for i in 1 2 3 4 5 6 7 8; do
		args+=(-o /dev/null -D "$DIR/heads.$i" -H "Authorization: Bearer $T_ADMIN" "$URL/v1/me" --next)
	done
	# Another address is not another token: still limited (same user).
	curl -s "${args[@]}" --interface 127.0.0.2 -o /dev/null -w '%{http_code}' \
		-H "Authorization: Bearer $T_ADMIN" "$URL/v1/me" >"$DIR/other" || true
	cat "$DIR"/heads.* >"$DIR/heads"
	[ "$(grep -c '^HTTP/1.1 200' "$DIR/heads")" -ge 2 ]
	[ "$(grep -c '^HTTP/1.1 429' "$DIR/heads")" -ge 4 ]
	grep -q '^Retry-After: [1-9]' "$DIR/heads"
	[ "$(cat "$DIR/other")" = 429 ]
	# After the wait it is served again.
	sleep 1.1
	run curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $T_ADMIN" "$URL/v1/me"
	[ "$output" = 200 ]
}

@test "rate limit per address: before authentication, so unknown tokens are limited too" {
	# One request a second, a burst of two: eight requests from one curl
	# on one connection come faster than that even on a loaded machine
	# (eight curls one after another did not, once).
	serve --rate-addr 1
	local urls=()
	for i in 1 2 3 4 5 6 7 8; do urls+=(-o /dev/null "$URL/v1/me"); done
	curl -s -w '%{http_code}\n' -H "Authorization: Bearer nope" "${urls[@]}" >"$DIR/codes" || true
	grep -q 401 "$DIR/codes"
	[ "$(grep -c 429 "$DIR/codes")" -ge 2 ]
	# Another address has its own allowance.
	run curl -s --interface 127.0.0.2 -o /dev/null -w '%{http_code}' \
		-H "Authorization: Bearer $T_ADMIN" "$URL/v1/me"
	[ "$output" = 200 ]
}

@test "slowloris: 300 trickling connections hold at most the per-address limit; others are served at once" {
	serve --conn-per-addr 50 --header-timeout 30
	python3 "$TOOL" trickle "$PORT" 300 127.0.0.1 6 >"$DIR/held" &
	local tp=$!
	sleep 3
	# An authenticated client from another address, while they trickle.
	# "At once": well inside the 30 s a held connection waits, with room
	# for a loaded machine (10 ms when idle).
	run curl -s -m 10 --interface 127.0.0.2 -o /dev/null -w '%{http_code} %{time_total}' \
		-H "Authorization: Bearer $T_ADMIN" "$URL/v1/me"
	wait $tp
	[ "${output% *}" = 200 ]
	awk -v t="${output#* }" 'BEGIN { exit !(t < 3) }'
	# The server held no more than 50 of the 300.
	[ "$(cat "$DIR/held")" -le 50 ]
	[ "$(cat "$DIR/held")" -ge 40 ]
}

@test "slowloris: connections trickling a byte a second are cut at --header-timeout, however they trickle" {
	serve --header-timeout 3
	# Never silent for a second, so libmicrohttpd's idle timeout alone
	# would keep every one of them for ever.
	python3 "$TOOL" trickle "$PORT" 40 127.0.0.1 6 >"$DIR/held" &
	local tp=$!
	sleep 1
	run curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $T_ADMIN" "$URL/v1/me"
	[ "$output" = 200 ]
	wait $tp
	[ "$(cat "$DIR/held")" -eq 0 ]
	run curl -s -H "Authorization: Bearer $T_ADMIN" "$URL/metrics"
	echo "$output" | grep -qx 'quan_header_deadline_cut_total 40'
	# A kept-alive connection is answered as ever when its next request
	# comes within the deadline, and the deadline starts again after each
	# answer: quiet for longer, it is closed.
	run python3 - "$PORT" "$T_ADMIN" <<'PY'
import http.client, sys, time
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]))
h = {"Authorization": "Bearer " + sys.argv[2]}
for pause in (0, 2):
    time.sleep(pause)
    c.request("GET", "/v1/me", headers=h)
    r = c.getresponse()
    r.read()
    print(r.status)
time.sleep(4.5)
c.sock.settimeout(1)
print("closed" if c.sock.recv(1) == b"" else "open")
PY
	[ "$output" = "$(printf '200\n200\nclosed')" ]
}

@test "slowloris: a connection silent before its headers are in is closed after --header-timeout" {
	serve --header-timeout 2
	run python3 "$TOOL" silent "$PORT"
	awk -v t="$output" 'BEGIN { exit !(t >= 1.5 && t < 5) }'
}

@test "bodies in flight: 200 declared 1 MiB bodies hold at most --bodies-max; the rest get 503; memory goes back" {
	serve --bodies-max 8388608
	local before after
	before=$(awk '/^VmRSS:/ { print $2 }' "/proc/$PID/status")
	run python3 "$TOOL" bodies "$PORT" 200 "$T_ADMIN" 1048576 "$PID"
	echo "$output (before: $before kB)"
	[[ $output == "held=8 refused503=192 "* ]]
	local rss=${output##*rss_kb=}
	# 8 MiB of bodies, not 200: well under 200 MB.
	[ "$rss" -lt $((before + 40000)) ]
	sleep 1
	after=$(awk '/^VmRSS:/ { print $2 }' "/proc/$PID/status")
	[ "$after" -lt $((before + 16000)) ]
	# Served as ever afterwards.
	run curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $T_ADMIN" "$URL/v1/me"
	[ "$output" = 200 ]
}

@test "bodies in flight: the memory of 64 MiB of bodies, four times over, goes back to the system" {
	# AddressSanitizer's allocator keeps freed memory in quarantine.
	if ldd "$QUAN" | grep -q libasan; then skip "RSS is AddressSanitizer's under ASan"; fi
	serve --bodies-max 67108864
	local before after
	before=$(awk '/^VmRSS:/ { print $2 }' "/proc/$PID/status")
	for round in 1 2 3 4; do
		run python3 "$TOOL" bodies "$PORT" 100 "$T_ADMIN" 1048576 "$PID"
		echo "round $round: $output (before: $before kB)"
		[[ $output == "held=64 refused503=36 "* ]]
		# Until the server has let go of every body (a loaded machine
		# takes longer than a second to close 100 connections).
		for _ in $(seq 300); do
			curl -s -H "Authorization: Bearer $T_ADMIN" "$URL/metrics" |
				grep -qx 'quan_bodies_inflight_bytes 0' && break
			sleep 0.1
		done
	done
	after=$(awk '/^VmRSS:/ { print $2 }' "/proc/$PID/status")
	echo "after: $after kB"
	# Within 4 MB of where it started (glibc's sliding mmap threshold
	# kept up to 65 MB after four rounds here).
	[ "$after" -lt $((before + 4000)) ]
}

@test "smuggling: two Content-Length headers, or Content-Length with chunked, get 400 and a closed connection" {
	serve
	local req
	req=$(printf 'POST /v1/estimate HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 40\r\n\r\n{}' | od -An -tx1 | tr -d ' \n')
	run python3 "$TOOL" raw "$PORT" "$req"
	[ "$output" = "400 closed" ]
	req=$(printf 'POST /v1/estimate HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n' | od -An -tx1 | tr -d ' \n')
	run python3 "$TOOL" raw "$PORT" "$req"
	[ "$output" = "400 closed" ]
	# One Content-Length is read as ever (400: {} is no application), and
	# the connection stays open.
	req=$(printf 'POST /v1/estimate HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Length: 2\r\n\r\n{}' "$T_ADMIN" | od -An -tx1 | tr -d ' \n')
	run python3 "$TOOL" raw "$PORT" "$req"
	[ "$output" = "400 open" ]
}

@test "the bearer scheme is case-insensitive; %00 in a path is refused" {
	serve
	for scheme in bearer BEARER Bearer bEaReR; do
		run curl -s -o /dev/null -w '%{http_code}' -H "Authorization: $scheme $T_ADMIN" "$URL/v1/me"
		[ "$output" = 200 ]
	done
	run curl -s -w ' %{http_code}' -H "Authorization: Bearer $T_ADMIN" "$URL/v1/applications/SH-2025-000001%00x"
	[[ $output == *'"bad_path"'*' 400' ]]
	run curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $T_ADMIN" "$URL/v1/applications?state=%00"
	[ "$output" = 400 ]
}

@test "serve refuses limits out of range" {
	run "$QUAN" serve --db "$DB" --rate-addr -1
	[ "$status" -eq 1 ]
	run "$QUAN" serve --db "$DB" --header-timeout 0
	[ "$status" -eq 1 ]
	run "$QUAN" serve --db "$DB" --bodies-max 12
	[ "$status" -eq 1 ]
}

@test "GET /metrics: requests by route and status, latency, the writer, pool balances; for administrator, auditor and analyst" {
	serve
	local t_aud t_rev
	t_aud=$("$QUAN" user add --db "$DB" metrics-otto --role auditor)
	t_rev=$("$QUAN" user add --db "$DB" metrics-rita --role reviewer)
	curl -s -o /dev/null -H "Authorization: Bearer $T_ADMIN" "$URL/v1/me"
	curl -s -o /dev/null "$URL/v1/me"
	curl -s -o /dev/null -H "Authorization: Bearer $T_ADMIN" -H 'Content-Type: application/json' \
		--data-binary @"$ROOT/examples/applications/sh-compute-rent.json" "$URL/v1/applications"
	run curl -s -D "$DIR/mh" -H "Authorization: Bearer $t_aud" "$URL/metrics"
	grep -qi '^Content-Type: text/plain; version=0.0.4' "$DIR/mh"
	echo "$output" | grep -qx 'quan_http_requests_total{method="GET",route="/v1/me",status="200"} 1'
	echo "$output" | grep -qx 'quan_http_requests_total{method="GET",route="/v1/me",status="401"} 1'
	echo "$output" | grep -qx 'quan_http_requests_total{method="POST",route="/v1/applications",status="201"} 1'
	echo "$output" | grep -qx 'quan_http_request_duration_seconds_count{method="POST",route="/v1/applications"} 1'
	echo "$output" | grep -qx 'quan_http_request_duration_seconds_bucket{method="GET",route="/v1/me",le="+Inf"} 2'
	echo "$output" | grep -qx 'quan_writer_queue 0'
	echo "$output" | grep -qx 'quan_writer_batch_size_count 1'
	# The pools' balances, from the ledger, in fen: what the report says.
	local avail
	avail=$(curl -s -H "Authorization: Bearer $t_aud" "$URL/v1/report" |
		jq -r '.pools[] | select(.available != .budget) | "\(.program) \(.pool) \(.year) \(.available)"' | head -1)
	[ -n "$avail" ]
	read -r prog pool year yuan <<<"$avail"
	echo "$output" | grep -qx "quan_pool_fen{program=\"$prog\",pool=\"$pool\",year=\"$year\",account=\"available\"} ${yuan/./}"
	# Every line is a comment or "name{labels} integer-or-decimal".
	! echo "$output" | grep -vE '^(# (HELP|TYPE) .*|[a-z_]+(\{[^}]*\})? -?[0-9]+(\.[0-9]+)?)$'
	# Who may read it.
	run curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $t_rev" "$URL/metrics"
	[ "$output" = 403 ]
	run curl -s -o /dev/null -w '%{http_code}' "$URL/metrics"
	[ "$output" = 401 ]
}

@test "--access-log: one JSON line per request, route patterns, no token, USCC, password or path" {
	serve --access-log "$DIR/access.log"
	printf 'Correct-horse-9\n' | "$QUAN" user add --db "$DB" log-sam --role reviewer --password-stdin >/dev/null
	curl -s -o "$DIR/app.json" -H "Authorization: Bearer $T_ADMIN" -H 'Content-Type: application/json' \
		--data-binary @"$ROOT/examples/applications/sh-compute-rent.json" "$URL/v1/applications"
	local id
	id=$(jq -r .id "$DIR/app.json")
	[ -n "$id" ] && [ "$id" != null ]
	curl -s -o /dev/null -H "Authorization: bearer $T_ADMIN" "$URL/v1/applications/$id"
	curl -s -o /dev/null -H "Authorization: Bearer $T_ADMIN" "$URL/v1/applications?state=reserved"
	curl -s -o /dev/null -H "Authorization: Bearer wrong-$T_ADMIN" "$URL/v1/me"
	curl -s -o /dev/null -H 'Content-Type: application/json' \
		--data '{"name":"log-sam","password":"Correct-horse-9"}' "$URL/v1/session"
	kill "$PID"
	wait "$PID" 2>/dev/null || true
	cat "$DIR/access.log"
	[ "$(wc -l <"$DIR/access.log")" -eq 5 ]
	# Each line is a JSON object with these keys and no others.
	jq -e -s 'all(.[]; (keys == ["bytes","method","role","route","status","time","us"]) and (.us | type == "number"))' "$DIR/access.log"
	[ "$(jq -r -s '.[1].route' "$DIR/access.log")" = "/v1/applications/{id}" ]
	# 201, or 200 when an earlier test filed the same client_ref
	[[ "$(jq -r -s '.[0].status' "$DIR/access.log")" == 20[01] ]]
	[ "$(jq -r -s '.[3].status' "$DIR/access.log")" = 401 ]
	! grep -qF "$T_ADMIN" "$DIR/access.log"
	! grep -qF 91310115MA1K4ABCDD "$DIR/access.log"
	! grep -qF 91310104MA1FR5T2K1 "$DIR/access.log"
	! grep -qF Correct-horse-9 "$DIR/access.log"
	! grep -qF log-sam "$DIR/access.log"
	! grep -qF "$id" "$DIR/access.log"
	! grep -qF 127.0.0.1 "$DIR/access.log"
}

# haproxy PORT BACKEND_PORT: haproxy in front, as a deployment puts it, with
# the rule of the README that refuses a NUL inside a header value.
start_haproxy() {
	cat >"$DIR/haproxy.cfg" <<CFG
global
  maxconn 1000
defaults
  mode http
  timeout connect 2s
  timeout client 5s
  timeout server 5s
  timeout http-request 5s
frontend fe
  bind 127.0.0.1:$1
  option forwardfor
  http-request deny deny_status 400 if { req.hdrs,hex -m reg ^([0-9A-F][0-9A-F])*00 }
  default_backend be
backend be
  server quan 127.0.0.1:$2
CFG
	haproxy -f "$DIR/haproxy.cfg" -D -p "$DIR/haproxy.pid"
}

@test "smuggling through haproxy: bare LF is re-sent with CRLF, NUL in a header is refused, CL with chunked is reframed" {
	command -v haproxy || skip "haproxy is not installed (scripts/bootstrap installs it)"
	serve --trusted-proxy 127.0.0.1
	local hp
	hp=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	start_haproxy "$hp" "$PORT"
	sleep 0.3
	hexof() { printf "$1" | od -An -tx1 | tr -d ' \n'; }
	# Bare LF: haproxy reads it and sends quan CRLF; quan answers.
	run python3 "$TOOL" raw "$hp" "$(hexof "GET /v1/me HTTP/1.1\nHost: x\nAuthorization: Bearer $T_ADMIN\n\n")"
	[[ $output == "200 "* ]]
	# NUL in a header value (quan's libmicrohttpd would read 'a'): refused.
	run python3 "$TOOL" raw "$hp" "$(hexof "GET /v1/me HTTP/1.1\r\nHost: x\r\nX-A: a\0b\r\nAuthorization: Bearer $T_ADMIN\r\n\r\n")"
	[[ $output == "400 "* ]]
	# ... but not a value whose hex merely contains 00 across two bytes.
	run python3 "$TOOL" raw "$hp" "$(hexof "GET /v1/me HTTP/1.1\r\nHost: x\r\nX-A: \x10\x0b\r\nAuthorization: Bearer $T_ADMIN\r\n\r\n")"
	[[ $output == "200 "* ]]
	# NUL in a header name: haproxy refuses it of itself.
	run python3 "$TOOL" raw "$hp" "$(hexof "GET /v1/me HTTP/1.1\r\nHost: x\r\nX-\0A: b\r\n\r\n")"
	[[ $output == "400 "* ]]
	# Two Content-Length headers: 400.
	run python3 "$TOOL" raw "$hp" "$(hexof 'POST /v1/estimate HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 40\r\n\r\n{}')"
	[[ $output == "400 "* ]]
	# Content-Length with chunked: haproxy drops the length and sends one
	# framing, so quan reads the same request haproxy did (401: no token).
	run python3 "$TOOL" raw "$hp" "$(hexof 'POST /v1/estimate HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n')"
	[[ $output == "401 "* ]]
}
