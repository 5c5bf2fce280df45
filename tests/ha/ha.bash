# ha.bash - a pg_auto_failover formation (scripts/ha), two `quan serve` on
# it and haproxy in front (examples/haproxy.cfg, its addresses replaced),
# for tests/ha/*.bats and bench/failover. Real processes on loopback.
#
# ha_up DIR: everything started, the office initialised (QUAN_NOW must be
# set); exports HA_DB (the multi-host URL), LB (haproxy's URL), TOKEN (an
# administrator's), Q1/Q2 (each server's port).
# ha_down DIR: everything stopped, DIR removed.

free_port() {
	local p taken=" ${*//$'\n'/ } "
	for _ in $(seq 1 50); do
		# Below Linux's ephemeral range (32768-60999), where the local
		# end of any client's connection may hold the port at bind time;
		# never one of the ports given (chosen, not yet bound).
		p=$((20000 + RANDOM % 12000))
		[[ $taken == *" $p "* ]] && continue
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return
		fi
	done
	return 1
}

# quan_up DIR N: `quan serve` number N on its port Q<N>, its pid in
# DIR/quanN.pid; waits until it listens.
quan_up() {
	local dir=$1 n=$2 port seen=0
	port=$(cat "$dir/quan$n.port")
	[ ! -f "$dir/quan$n.out" ] || seen=$(wc -l <"$dir/quan$n.out")
	"$QUAN" serve --db "$HA_DB" --listen "127.0.0.1:$port" --trusted-proxy 127.0.0.1 \
		>>"$dir/quan$n.out" 2>>"$dir/quan$n.err" </dev/null 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
	echo $! >"$dir/quan$n.pid"
	disown $! # killed with kill -9 by the tests: no job notice
	for _ in $(seq 200); do
		# Its own word that it listens, not another's answer on a port
		# it could not take.
		tail -n +$((seen + 1)) "$dir/quan$n.out" | grep -q "^listening http://127.0.0.1:$port/" && return 0
		kill -0 "$(cat "$dir/quan$n.pid")" 2>/dev/null || break
		sleep 0.05
	done
	echo "quan serve $n did not start" >&2
	cat "$dir/quan$n.err" >&2
	return 1
}

# lb_ready: wait (up to $1 s, default 30) until haproxy answers /readyz 200.
lb_ready() {
	for _ in $(seq $((${1:-30} * 10))); do
		[ "$(curl -s -o /dev/null -w '%{http_code}' "$LB/readyz")" = 200 ] && return 0
		sleep 0.1
	done
	return 1
}

ha_up() {
	local dir=$1 out lport attempt n
	mkdir -p "$dir"
	out=$("$ROOT/scripts/ha" start "$dir/ha") || return 1
	export HA_DIR=$dir/ha
	export HA_DB
	HA_DB=$(sed -n 2p <<<"$out")
	"$QUAN" init --db "$HA_DB" --policy "$ROOT/policies/shanghai-2025.yaml" --by admin >/dev/null 2>&1
	export TOKEN
	TOKEN=$("$QUAN" user add --db "$HA_DB" ada --role administrator 2>/dev/null)
	# A port found free may be taken before it is bound (other tests and
	# clusters run on this machine too): then again, on another.
	for n in 1 2; do
		for attempt in 1 2 3; do
			free_port "$(cat "$dir"/quan*.port 2>/dev/null)" >"$dir/quan$n.port"
			quan_up "$dir" "$n" && break
			if ! grep -q 'cannot listen' "$dir/quan$n.err" || [ "$attempt" -eq 3 ]; then
				return 1
			fi
			: >"$dir/quan$n.err"
		done
	done
	export Q1 Q2
	Q1=$(cat "$dir/quan1.port")
	Q2=$(cat "$dir/quan2.port")
	for attempt in 1 2 3; do
		lport=$(free_port "$Q1" "$Q2")
		sed -e "s|@LISTEN@|127.0.0.1:$lport|" -e "s|@QUAN1@|127.0.0.1:$Q1|" \
			-e "s|@QUAN2@|127.0.0.1:$Q2|" -e "s|@STATS@|$dir/haproxy.sock|" \
			"$ROOT/examples/haproxy.cfg" >"$dir/haproxy.cfg"
		# /usr/sbin is not on every user's PATH.
		"$(command -v haproxy || echo /usr/sbin/haproxy)" -D -p "$dir/haproxy.pid" -f "$dir/haproxy.cfg" 2>"$dir/haproxy.log" \
			</dev/null 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- && break
		if ! grep -q 'cannot bind' "$dir/haproxy.log" || [ "$attempt" -eq 3 ]; then
			cat "$dir/haproxy.log" >&2
			return 1
		fi
	done
	export LB=http://127.0.0.1:$lport
	lb_ready 30
}

ha_down() {
	local dir=$1 f
	for f in "$dir/quan1.pid" "$dir/quan2.pid" "$dir/haproxy.pid"; do
		[ -f "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null
	done
	[ -d "$dir/ha" ] && "$ROOT/scripts/ha" stop "$dir/ha"
	rm -rf "$dir"
}

# --- applications ---------------------------------------------------------------
#
# app_template: sh-compute-rent.json with @REF@ for its client_ref (and
# contract number) and @USCC@ for the applicant's USCC.
# app_body TEMPLATE REF K: the application REF from firm number K, each
# firm its own valid USCC (uscc_of), so that no firm's history grows with
# the run (a firm's yearly sums are read at each of its applications).

app_template() {
	sed -E -e 's/"client_ref": *"[^"]*"/"client_ref": "@REF@"/' \
		-e 's/"number": *"[^"]*"/"number": "HT-@REF@"/' \
		-e 's/91310115MA1K4ABCDD/@USCC@/' \
		"$ROOT/examples/applications/sh-compute-rent.json"
}

USCC_CHARS=0123456789ABCDEFGHJKLMNPQRTUWXY
USCC_WEIGHTS=(1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28)

# uscc_of K: a Shanghai enterprise USCC (91310115MA + K in 7 digits) with
# its check character (GB 32100-2015), into $USCC.
uscc_of() {
	local s17 i c sum=0 pre
	printf -v s17 '91310115MA%07d' "$1"
	for i in $(seq 0 16); do
		c=${s17:i:1}
		pre=${USCC_CHARS%%"$c"*}
		sum=$((sum + ${#pre} * USCC_WEIGHTS[i]))
	done
	USCC=$s17${USCC_CHARS:$(((31 - sum % 31) % 31)):1}
}

app_body() {
	local b
	uscc_of "$3"
	b=${1//@REF@/$2}
	printf '%s' "${b//@USCC@/$USCC}"
}

# --- the rush ---------------------------------------------------------------------
#
# rush_start DIR W PREFIX: W workers POST applications through haproxy,
# each its own client_refs (PREFIX<w>-<k>, sent as the Idempotency-Key
# too, so that haproxy may send one again: examples/haproxy.cfg), until
# DIR/stop exists. Each answer is a line
# of DIR/answers.<w>: sent-ms answered-ms status client_ref id state.
# rush_stop DIR: stop them and wait; DIR/answers holds every line.

rush_worker() {
	local dir=$1 w=$2 ref=$3 k=0 t0 t1 code body tmpl id state
	tmpl=$(app_template)
	while [ ! -e "$dir/stop" ]; do
		k=$((k + 1))
		t0=$(date +%s%3N)
		code=$(curl -s -o "$dir/body.$w" -w '%{http_code}' --max-time 30 \
			-H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
			-H "Idempotency-Key: $ref$w-$k" \
			--data-binary "$(app_body "$tmpl" "$ref$w-$k" $((w * 100000 + k)))" \
			"$LB/v1/applications")
		t1=$(date +%s%3N)
		body=$(cat "$dir/body.$w" 2>/dev/null)
		id=- state=-
		[[ $body =~ \"id\":\"([^\"]+)\" ]] && id=${BASH_REMATCH[1]}
		[[ $body =~ \"state\":\"([^\"]+)\" ]] && state=${BASH_REMATCH[1]}
		echo "$t0 $t1 $code $ref$w-$k $id $state" >>"$dir/answers.$w"
	done
}

rush_start() {
	local dir=$1 w
	rm -f "$dir/stop" "$dir"/answers*
	for w in $(seq 1 "$2"); do
		rush_worker "$dir" "$w" "${3:-W}" 3>&- &
		echo $! >>"$dir/rush.pids"
	done
}

rush_stop() {
	local dir=$1 p
	touch "$dir/stop"
	for p in $(cat "$dir/rush.pids"); do
		wait "$p" 2>/dev/null || true
	done
	rm -f "$dir/rush.pids"
	sort -n "$dir"/answers.* >"$dir/answers"
}

# rush_check DIR: every 201 (and every 200, a replay of one committed
# before its answer was lost) is in the store under the number answered,
# in the state answered; prints how many were checked. Fails naming the
# first that is not.
rush_check() {
	local dir=$1
	awk '$3 == 201 || $3 == 200 { print $5 "|" $6 }' "$dir/answers" | sort -u >"$dir/acked"
	psql -X -q -At "$HA_DB" -c "select id || '|' || state from applications" |
		sort >"$dir/stored"
	if [ -n "$(comm -23 "$dir/acked" "$dir/stored")" ]; then
		echo "acknowledged but not in the store (or in another state):" >&2
		comm -23 "$dir/acked" "$dir/stored" | head >&2
		return 1
	fi
	wc -l <"$dir/acked"
}

# statuses DIR: "CODE COUNT" lines of the answers.
statuses() {
	awk '{ print $3 }' "$1/answers" | sort | uniq -c | awk '{ print $2, $1 }'
}
