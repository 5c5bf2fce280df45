#!/usr/bin/env bats
# End-to-end: the office key, signed anchors of the audit chain, and what
# they catch that the chain alone does not (the newest events deleted, the
# head rewritten and re-hashed), on SQLite or (QUAN_TEST_DB) PostgreSQL;
# and the anchors `quan serve` writes on a schedule.

load db

bats_require_minimum_version 1.5.0

setup() {
	QUAN=${QUAN:-$BATS_TEST_DIRNAME/../../build/quan}
	export QUAN_NOW=2025-11-20T10:00:00+08:00
	ROOT=$BATS_TEST_DIRNAME/../..
	SH=$ROOT/policies/shanghai-2025.yaml
	EX=$ROOT/examples/applications
	TMP=$(mktemp -d)
	DB=$(new_db "$TMP/office.db")
	PIDS=()
}

teardown() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	drop_db "$DB"
	rm -rf "$TMP"
}

# An office with a few events: Shanghai, three applications, a user.
office() {
	"$QUAN" init --db "$DB" --policy "$SH" --by admin >/dev/null 2>&1
	"$QUAN" apply --db "$DB" --by ada "$EX/sh-corpus.json" "$EX/sh-compute-rent.json" \
		"$EX/sh-compute-early.json" >/dev/null 2>&1
	"$QUAN" user add --db "$DB" rita --role reviewer >/dev/null 2>&1
}

@test "key new: a secret file of mode 0600, its public half beside, never overwritten" {
	run "$QUAN" key new --out "$TMP/office.key"
	[ "$status" -eq 0 ]
	[ "$(stat -c %a "$TMP/office.key")" = 600 ]
	grep -qE '^secret: [0-9a-f]{128}$' "$TMP/office.key"
	grep -qE '^public: [0-9a-f]{64}$' "$TMP/office.key.pub"
	! grep -q secret: "$TMP/office.key.pub"
	# The public halves agree.
	[ "$(grep public: "$TMP/office.key")" = "$(grep public: "$TMP/office.key.pub")" ]
	sum=$(sha256sum "$TMP/office.key" "$TMP/office.key.pub")
	run "$QUAN" key new --out "$TMP/office.key"
	[ "$status" -eq 1 ]
	[[ "$output" == *"exists already, not overwritten"* ]]
	[ "$(sha256sum "$TMP/office.key" "$TMP/office.key.pub")" = "$sum" ]
	# A leftover public half alone is not overwritten either.
	rm "$TMP/office.key"
	run "$QUAN" key new --out "$TMP/office.key"
	[ "$status" -eq 1 ]
	[ ! -e "$TMP/office.key" ]
}

@test "an anchor names the head, verifies, and goes to stdout or a new file only" {
	office
	"$QUAN" key new --out "$TMP/k" >/dev/null
	head=$(sql "$DB" 'select seq, hash from events order by seq desc limit 1')
	hash=${head##*|}
	first=$(sql "$DB" 'select hash from events where seq = 1')
	# To stdout, nothing else there (the notice of QUAN_NOW goes to stderr).
	run --separate-stderr "$QUAN" audit anchor --db "$DB" --key "$TMP/k"
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"the anchor's time is the office's clock as QUAN_NOW sets it"* ]]
	[ "${#lines[@]}" -eq 8 ]
	[ "${lines[0]}" = "quan audit anchor 1" ]
	[ "${lines[1]}" = "seq: ${head%%|*}" ]
	[ "${lines[2]}" = "hash: ${head##*|}" ]
	[ "${lines[3]}" = "first: $first" ]
	[ "${lines[4]}" = "at: 2025-11-20T10:00:00+08:00" ]
	[ "${lines[6]}" = "key: $(sed -n 's/^public: //p' "$TMP/k.pub")" ]
	[[ "${lines[7]}" =~ ^signature:\ [0-9a-f]{128}$ ]]
	printf '%s\n' "${lines[@]}" >"$TMP/stdout.anchor"
	run "$QUAN" audit verify --db "$DB" --anchor "$TMP/stdout.anchor" --pub "$TMP/k.pub"
	[ "$status" -eq 0 ]
	[[ "$output" == *"anchored head #${head%%|*} hash ${hash:0:16}... held"* ]]
	[[ "$output" == *"chain intact"* ]]

	run "$QUAN" audit anchor --db "$DB" --key "$TMP/k" --out "$TMP/a"
	[ "$status" -eq 0 ]
	[[ "$output" == *"anchored head #${head%%|*}"* ]]
	sum=$(sha256sum "$TMP/a")
	run "$QUAN" audit anchor --db "$DB" --key "$TMP/k" --out "$TMP/a"
	[ "$status" -eq 1 ]
	[[ "$output" == *"exists already"* ]]
	[ "$(sha256sum "$TMP/a")" = "$sum" ]
	# The public key is not a signing key.
	run "$QUAN" audit anchor --db "$DB" --key "$TMP/k.pub"
	[ "$status" -eq 1 ]
	[[ "$output" == *"no 'secret:' line"* ]]
}

@test "the newest events deleted with the triggers dropped: verify --anchor names the gap" {
	office
	"$QUAN" key new --out "$TMP/k" >/dev/null
	"$QUAN" audit anchor --db "$DB" --key "$TMP/k" --out "$TMP/a" >/dev/null
	n=$(sql "$DB" 'select max(seq) from events')
	hash=$(sql "$DB" "select hash from events where seq = $n")
	sqlx "$DB" "drop trigger events_kept; delete from events where seq > $((n - 3))" \
		"drop trigger events_kept on events; delete from events where seq > $((n - 3))"
	# What is left is a sound chain, event to event: the walk alone cannot
	# tell (whatever else the plain verify checks, it is not asserted
	# here); the anchor can.
	[ "$(sql "$DB" 'select count(*) from events')" -eq $((n - 3)) ]
	run "$QUAN" audit verify --db "$DB" --anchor "$TMP/a" --pub "$TMP/k.pub"
	[ "$status" -eq 1 ]
	[[ "$output" == *"anchored head #$n hash ${hash:0:16}... missing: chain ends at #$((n - 3))"* ]]
	# All of them: "0 events" is no longer "intact" against the anchor.
	sql "$DB" 'delete from events' >/dev/null
	run "$QUAN" audit verify --db "$DB" --anchor "$TMP/a"
	[ "$status" -eq 1 ]
	[[ "$output" == *"anchored head #$n hash ${hash:0:16}... missing: chain ends at #0"* ]]
}

# The hash of an event as audit.h defines it, from its fields.
rehash() { # prev seq at who action subject policy_hash detail
	local prev=$1
	shift
	{
		printf '%s' "$prev"
		for f in "$@"; do printf '%s:%s' "$(printf '%s' "$f" | wc -c)" "$f"; done
	} | sha256sum | cut -d' ' -f1
}

@test "the head rewritten and re-hashed: the chain links, the anchor does not hold" {
	office
	"$QUAN" key new --out "$TMP/k" >/dev/null
	"$QUAN" audit anchor --db "$DB" --key "$TMP/k" --out "$TMP/a" >/dev/null
	n=$(sql "$DB" 'select max(seq) from events')
	IFS='|' read -r prev at who action subject ph < <(sql "$DB" \
		"select prev_hash, at, who, action, subject, policy_hash from events where seq = $n")
	detail='{"role":"administrator"}'
	new=$(rehash "$prev" "$n" "$at" "$who" "$action" "$subject" "$ph" "$detail")
	sqlx "$DB" "drop trigger events_immutable; update events set detail = '$detail', hash = '$new' where seq = $n" \
		"drop trigger events_immutable on events; update events set detail = '$detail', hash = '$new' where seq = $n"
	run "$QUAN" audit verify --db "$DB" --anchor "$TMP/a"
	[ "$status" -eq 1 ]
	[[ "$output" == *"anchored head #$n hash "*"... differs: the chain holds ${new:0:16}..."* ]]
}

@test "a tampered anchor, or one signed by another key, fails its signature" {
	office
	"$QUAN" key new --out "$TMP/k" >/dev/null
	"$QUAN" key new --out "$TMP/other" >/dev/null
	"$QUAN" audit anchor --db "$DB" --key "$TMP/k" --out "$TMP/a" >/dev/null
	n=$(sql "$DB" 'select max(seq) from events')
	# A lower head, to hide deletions: the signature no longer verifies.
	sed "s/^seq: $n\$/seq: $((n - 2))/" "$TMP/a" >"$TMP/lower"
	! cmp -s "$TMP/a" "$TMP/lower"
	run "$QUAN" audit verify --db "$DB" --anchor "$TMP/lower"
	[ "$status" -eq 1 ]
	[[ "$output" == *"signature does not verify"* ]]
	# A changed time, a flipped signature digit: the same.
	sed 's/^at: 2025-11-20/at: 2025-11-21/' "$TMP/a" >"$TMP/later"
	run "$QUAN" audit verify --db "$DB" --anchor "$TMP/later"
	[ "$status" -eq 1 ]
	[[ "$output" == *"signature does not verify"* ]]
	# Not canonical (a trailing space), or not an anchor at all.
	sed 's/^seq: .*/& /' "$TMP/a" >"$TMP/spaced"
	run "$QUAN" audit verify --db "$DB" --anchor "$TMP/spaced"
	[ "$status" -eq 1 ]
	[[ "$output" == *"not a quan anchor"* ]]
	# Re-signed by someone else's key: pinned to the office's, refused.
	"$QUAN" audit anchor --db "$DB" --key "$TMP/other" --out "$TMP/forged" >/dev/null
	run "$QUAN" audit verify --db "$DB" --anchor "$TMP/forged" --pub "$TMP/k.pub"
	[ "$status" -eq 1 ]
	[[ "$output" == *"signed by another key than"* ]]
	run "$QUAN" audit verify --db "$DB" --anchor "$TMP/a" --pub "$TMP/k.pub"
	[ "$status" -eq 0 ]
}

@test "a chain that does not hold is not anchored" {
	office
	"$QUAN" key new --out "$TMP/k" >/dev/null
	sqlx "$DB" "drop trigger events_immutable; update events set who = 'mallory' where seq = 2" \
		"drop trigger events_immutable on events; update events set who = 'mallory' where seq = 2"
	run "$QUAN" audit anchor --db "$DB" --key "$TMP/k" --out "$TMP/a"
	[ "$status" -eq 1 ]
	[[ "$output" == *"does not hold at #2"* ]]
	[ ! -e "$TMP/a" ]
}

# serve_anchors ARGS...: start quan serve on DB with ARGS; waits for it.
serve_anchors() {
	serve_bg "$TMP/serve" "$DB" "$@" || return 1
	PIDS+=("$SERVE_PID")
}

@test "quan serve writes anchors into its directory: at start, on schedule, at shutdown" {
	office
	"$QUAN" key new --out "$TMP/k" >/dev/null
	mkdir "$TMP/anchors"
	serve_anchors --anchor-dir "$TMP/anchors" --anchor-key "$TMP/k" --anchor-every 1
	n=$(sql "$DB" 'select max(seq) from events')
	# The first, written before the server listens.
	first=$(ls "$TMP/anchors")
	[ "$(echo "$first" | wc -l)" -eq 1 ]
	[[ "$first" =~ ^anchor-0*${n}-20251120T1000[0-9][0-9]\.txt$ ]]
	# The chain grows; within a few seconds a new anchor holds the new head.
	"$QUAN" user add --db "$DB" bob --role finance >/dev/null 2>&1
	for _ in $(seq 100); do
		[ "$(ls "$TMP/anchors" | wc -l)" -ge 2 ] && break
		sleep 0.1
	done
	[ "$(ls "$TMP/anchors" | wc -l)" -eq 2 ]
	last=$(ls "$TMP/anchors" | tail -1)
	[[ "$last" == anchor-*$((n + 1))-* ]]
	run "$QUAN" audit verify --db "$DB" --anchor "$TMP/anchors/$last" --pub "$TMP/k.pub"
	[ "$status" -eq 0 ]
	# No new anchor while nothing changes; one more at shutdown after a
	# change, holding the chain as the server left it.
	sleep 1.5
	[ "$(ls "$TMP/anchors" | wc -l)" -eq 2 ]
	"$QUAN" user add --db "$DB" carl --role auditor >/dev/null 2>&1
	kill -TERM "${PIDS[0]}"
	wait "${PIDS[0]}"
	PIDS=()
	last=$(ls "$TMP/anchors" | tail -1)
	[[ "$last" == anchor-*$((n + 2))-* ]]
	grep -q "anchor: wrote $TMP/anchors/$last" "$TMP/serve.err"
	# No temporary file is left behind.
	[ -z "$(ls -A "$TMP/anchors" | grep -v '^anchor-')" ]
}

@test "quan serve refuses an anchor directory that is not there, or a key without a secret" {
	office
	"$QUAN" key new --out "$TMP/k" >/dev/null
	run "$QUAN" serve --db "$DB" --listen 127.0.0.1:0 --anchor-dir "$TMP/nowhere" --anchor-key "$TMP/k"
	[ "$status" -eq 1 ]
	[[ "$output" == *"--anchor-dir '$TMP/nowhere'"* ]]
	[[ "$output" != *listening* ]]
	mkdir "$TMP/anchors"
	run "$QUAN" serve --db "$DB" --listen 127.0.0.1:0 --anchor-dir "$TMP/anchors" --anchor-key "$TMP/k.pub"
	[ "$status" -eq 1 ]
	[[ "$output" == *"no 'secret:' line"* ]]
	run "$QUAN" serve --db "$DB" --anchor-dir "$TMP/anchors"
	[ "$status" -eq 1 ]
	[[ "$output" == *"go together"* ]]
	run "$QUAN" serve --db "$DB" --anchor-every 0
	[ "$status" -eq 1 ]
}
