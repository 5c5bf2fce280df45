#!/usr/bin/env bats
# Failures through the whole stack, with real processes on loopback: a
# pg_auto_failover monitor, a primary and a synchronous standby
# (scripts/ha), two `quan serve` on the multi-host URL
# (target_session_attrs=read-write), and haproxy in front of them
# (examples/haproxy.cfg) checking GET /readyz. Applications are rushed
# through haproxy by several clients while a server or the primary is
# killed with kill -9. The tests run in order on one formation.

load ha

setup_file() {
	export QUAN=${QUAN:-$BATS_TEST_DIRNAME/../../build/quan}
	export ROOT=$BATS_TEST_DIRNAME/../..
	export QUAN_NOW=2025-11-20T10:00:00+08:00
	export DIR
	DIR=$(mktemp -d /tmp/quan-ha-test-XXXXXX)
	chmod 755 "$DIR"
	ha_up "$DIR"
}

teardown_file() {
	ha_down "$DIR"
}

# raw PORT TEXT: send TEXT (printf escapes) on one connection; prints the
# status lines of the answers.
raw() {
	exec 5<>"/dev/tcp/127.0.0.1/$1"
	printf "$2" >&5
	timeout 5 cat <&5 | tr -d '\r' | grep -a '^HTTP/' || true
	exec 5>&-
}

@test "/healthz and /readyz need no token, through haproxy and on each server" {
	for u in "$LB" "http://127.0.0.1:$Q1" "http://127.0.0.1:$Q2"; do
		[ "$(curl -s -o /dev/null -w '%{http_code}' "$u/healthz")" = 200 ]
		run curl -s -w ' %{http_code}' "$u/readyz"
		[ "$output" = '{"status":"ready","store":"postgres"} 200' ]
	done
	[ "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$LB/readyz")" = 405 ]
}

@test "through haproxy: a NUL in a header is refused with 400; a bare LF is one header line" {
	local port=${LB##*:}
	run raw "$port" 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\0b\r\nConnection: close\r\n\r\n'
	[[ "$output" == "HTTP/1.1 400"* ]]
	run raw "$port" 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-\0A: b\r\nConnection: close\r\n\r\n'
	[[ "$output" == "HTTP/1.1 400"* ]]
	# A bare LF ends a header line for haproxy, which forwards the request
	# written anew with CRLF: the line after it is a header of its own (here
	# the token, so the answer is 200, not 401), and one request is one
	# answer.
	run raw "$port" "GET /v1/me HTTP/1.1\r\nHost: x\r\nX-A: a\nAuthorization: Bearer $TOKEN\r\nConnection: close\r\n\r\n"
	[ "$output" = "HTTP/1.1 200 OK" ]
	run raw "$port" 'GET /healthz HTTP/1.1\nHost: x\nConnection: close\n\n'
	[ "$output" = "HTTP/1.1 200 OK" ]
}

@test "haproxy sends a request again after a server closed without an answer only with an Idempotency-Key" {
	# A second haproxy, from examples/haproxy.cfg, in front of quan1 and of
	# a server that passes the health check but closes every other
	# connection without an answer, as a server dying mid-request does.
	local port hole cfg=$DIR/retry.cfg tmpl codes_plain="" codes_keyed="" k
	port=$(free_port)
	hole=$(free_port "$port")
	sed -e "s|@LISTEN@|127.0.0.1:$port|" -e "s|@QUAN1@|127.0.0.1:$Q1|" \
		-e "s|@QUAN2@|127.0.0.1:$hole|" -e "s|@STATS@|$DIR/retry.sock|" \
		"$ROOT/examples/haproxy.cfg" >"$cfg"
	cat >>"$cfg" <<-CFG

		frontend hole
			bind 127.0.0.1:$hole
			http-request return status 200 if { path /readyz }
			http-request reject
	CFG
	"$(command -v haproxy || echo /usr/sbin/haproxy)" -D -p "$DIR/retry.pid" -f "$cfg" \
		</dev/null 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-
	LB=http://127.0.0.1:$port lb_ready 10
	tmpl=$(app_template)
	for k in 1 2 3 4 5 6; do
		codes_plain+=" $(app_body "$tmpl" "HOLE-$k" $((700000 + k)) |
			curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
				-H 'Content-Type: application/json' --data-binary @- \
				"http://127.0.0.1:$port/v1/applications")"
	done
	for k in 1 2 3 4 5 6; do
		codes_keyed+=" $(app_body "$tmpl" "HOLEK-$k" $((710000 + k)) |
			curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
				-H 'Content-Type: application/json' -H "Idempotency-Key: HOLEK-$k" \
				--data-binary @- "http://127.0.0.1:$port/v1/applications")"
	done
	kill "$(cat "$DIR/retry.pid")"
	echo "without a key:$codes_plain; with one:$codes_keyed"
	# Round robin: without a key, what reached the closing server is
	# answered 502 (the client decides), never sent again, and the rest
	# 201; with a key, everything is 201.
	[[ "$codes_plain" == *" 502"* ]]
	[[ "$codes_plain" == *" 201"* ]]
	[ "$codes_keyed" = " 201 201 201 201 201 201" ]
}

@test "one quan serve killed -9 mid-rush: haproxy moves the traffic, nothing acknowledged is lost" {
	local t0
	t0=$(date +%s%3N)
	rush_start "$DIR" 4 K
	sleep 3
	kill -9 "$(cat "$DIR/quan1.pid")"
	local killed
	killed=$(date +%s%3N)
	sleep 5
	rush_stop "$DIR"
	statuses "$DIR"
	# Every answer is a 201, or a 200: a request the dead server never
	# answered was sent again to the other (retry-on; it carries an
	# Idempotency-Key). When the dead server had committed it before dying,
	# the retry finds its client_ref with the same body and answers 200 with
	# the same application: at most one such replay per client, whose
	# request was in flight at the kill.
	[ -z "$(awk '$3 != 201 && $3 != 200' "$DIR/answers")" ]
	[ "$(awk '$3 == 200' "$DIR/answers" | wc -l)" -le 4 ]
	# client_ref made each request one application: no client_ref of the
	# rush is stored twice.
	[ -z "$(psql -X -q -At "$HA_DB" -c "select client_ref from applications where client_ref like 'K%' group by client_ref having count(*) > 1")" ]
	# Answers came after the kill, from the other server.
	[ "$(awk -v k="$killed" '$2 > k && $3 == 201' "$DIR/answers" | wc -l)" -gt 10 ]
	n=$(rush_check "$DIR")
	echo "# one server killed: checked $n acknowledged applications in the store" >&3
	"$QUAN" ledger check --db "$HA_DB" >/dev/null
	"$QUAN" audit verify --db "$HA_DB" >/dev/null
	quan_up "$DIR" 1
	lb_ready 10
	echo "# one server killed: $(wc -l <"$DIR/answers") answers in $(($(date +%s%3N) - t0)) ms" >&3
}

@test "the primary killed -9 mid-rush: only 201 or 503, writing resumes, every 201 is in the store" {
	local primary crashed resumed limit=${HA_RESUME_LIMIT_S:-40}
	primary=$("$ROOT/scripts/ha" primary "$HA_DIR")
	rush_start "$DIR" 4 P
	sleep 3
	crashed=$(date +%s%3N)
	"$ROOT/scripts/ha" crash "$HA_DIR" "$primary"
	# Rush on until writes have been taken again for 3 s, or the limit;
	# meanwhile a server's /readyz says whether it can write.
	local probes=""
	for _ in $(seq $((limit * 4))); do
		sleep 0.25
		probes+=" $(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$Q2/readyz")"
		resumed=$(awk -v c="$crashed" '$1 > c && $3 == 201 { print $2; exit }' "$DIR"/answers.* | sort -n | head -1)
		[ -n "$resumed" ] && [ $(($(date +%s%3N) - resumed)) -ge 3000 ] && break
	done
	rush_stop "$DIR"
	statuses "$DIR"
	[ -n "$resumed" ]
	# Only 201 and 503: never a 500, a 502 or a dropped answer.
	[ -z "$(awk '$3 != 201 && $3 != 503' "$DIR/answers")" ]
	resumed=$(awk -v c="$crashed" '$1 > c && $3 == 201 { print $2 }' "$DIR/answers" | sort -n | head -1)
	local secs=$(((resumed - crashed) / 1000))
	echo "# primary $primary killed: writes refused for ${secs} s ($(grep -c ' 503 ' "$DIR/answers") answers 503), $(grep -c ' 201 ' "$DIR/answers") answered 201" >&3
	[ "$secs" -le "$limit" ]
	# /readyz was 503 while there was no primary, and is 200 again on both.
	echo "# /readyz of a server, every 250 ms from the crash:$probes" >&3
	[[ "$probes" == *" 503"* ]]
	[[ "$probes" == *" 200" ]]
	[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$Q1/readyz")" = 200 ]
	n=$(rush_check "$DIR")
	echo "# checked $n acknowledged applications in the new primary" >&3
	"$QUAN" ledger check --db "$HA_DB" >/dev/null
	"$QUAN" audit verify --db "$HA_DB" >/dev/null
}
