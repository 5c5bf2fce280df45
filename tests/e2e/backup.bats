#!/usr/bin/env bats
# End-to-end: `quan backup` while applications stream in, `quan restore`
# elsewhere, and what a restore refuses; on SQLite or (QUAN_TEST_DB)
# PostgreSQL, where backup and restore are pg_dump and pg_restore.

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
	TO=$(new_db "$TMP/restored.db")
	REF=$(new_db "$TMP/reference.db")
	PIDS=()
	# The duplicate-claim screen is off: the load is copies of one contract.
	sed -E "/^  duplicate-claim:$/,/action:/ s/action: block/action: off/" "$SH" >"$TMP/sh.yaml"
}

teardown() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	drop_db "$DB"
	drop_db "$TO"
	drop_db "$REF"
	rm -rf "$TMP"
}

# Corpus applications C$1..C$2, each its own client_ref and contract number.
many() {
	for i in $(seq "$1" "$2"); do
		sed -E -e "s/\"client_ref\": *\"[^\"]*\"/\"client_ref\": \"C$i\"/" \
			-e "s/\"number\": *\"[^\"]*\"/\"number\": \"HT-C$i\"/" \
			"$EX/sh-corpus.json" >"$TMP/C$i.json"
	done
}

# feed DB FROM TO: apply C$FROM..C$TO one at a time, one transaction each.
feed() {
	for i in $(seq "$2" "$3"); do
		"$QUAN" apply --db "$1" --by ada "$TMP/C$i.json" >/dev/null 2>&1 || return 1
	done
}

# apps DB: how many applications DB holds (SQLite: waiting out a writer).
apps() {
	if is_pg "$1"; then
		sql "$1" 'select count(*) from applications'
	else
		sqlite3 -cmd '.timeout 10000' "$1" 'select count(*) from applications'
	fi
}

@test "a backup under load restores elsewhere to the office as it stood at one moment" {
	many 1 120
	"$QUAN" init --db "$DB" --policy "$TMP/sh.yaml" --by admin >/dev/null 2>&1
	feed "$DB" 1 10
	feed "$DB" 11 120 &
	PIDS+=($!)
	# Applications stream in while the backup is taken.
	for _ in $(seq 100); do [ "$(apps "$DB")" -ge 30 ] && break; sleep 0.05; done
	before=$(apps "$DB")
	run "$QUAN" backup --db "$DB" --to "$TMP/office.backup"
	[ "$status" -eq 0 ]
	after=$(apps "$DB")
	[ ! -e "$TMP/office.backup.partial" ]
	wait "${PIDS[0]}"
	PIDS=()
	[ "$(apps "$DB")" -eq 120 ]

	run "$QUAN" restore --from "$TMP/office.backup" --db "$TO"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"ledger check: balanced"* ]]
	[[ "$output" == *"chain intact"* ]]
	# One moment: between the counts seen before and after, and the
	# restored chain is the source's up to its head.
	k=$(apps "$TO")
	echo "before $before, restored $k, after $after"
	[ "$k" -ge "$before" ] && [ "$k" -le "$after" ]
	[ "$k" -lt 120 ]
	head=$(sql "$TO" 'select seq, hash from events order by seq desc limit 1')
	[ "$(sql "$DB" "select seq, hash from events where seq = ${head%%|*}")" = "$head" ]
	# The report is the office's after exactly those k applications: an
	# office fed the same k in the same order reports the same.
	"$QUAN" init --db "$REF" --policy "$TMP/sh.yaml" --by admin >/dev/null 2>&1
	feed "$REF" 1 "$k"
	[ "$("$QUAN" report --db "$TO" --json 2>/dev/null)" = "$("$QUAN" report --db "$REF" --json 2>/dev/null)" ]
	[ "$("$QUAN" report --db "$TO" --json 2>/dev/null)" != "$("$QUAN" report --db "$DB" --json 2>/dev/null)" ]
	# The restored office works: it takes the next application, numbered on.
	run "$QUAN" apply --db "$TO" --by ada "$TMP/C120.json"
	[ "$status" -eq 0 ]
	[[ "$output" == *"SH-2025-$(printf %06d $((k + 1)))"* ]]
}

@test "a quiet office restores to the same report, anchor and all" {
	many 1 5
	"$QUAN" init --db "$DB" --policy "$TMP/sh.yaml" --by admin >/dev/null 2>&1
	feed "$DB" 1 5
	"$QUAN" key new --out "$TMP/k" >/dev/null
	"$QUAN" audit anchor --db "$DB" --key "$TMP/k" --out "$TMP/a" >/dev/null
	"$QUAN" backup --db "$DB" --to "$TMP/b" >/dev/null
	run "$QUAN" restore --from "$TMP/b" --db "$TO"
	[ "$status" -eq 0 ]
	[ "$("$QUAN" report --db "$TO" --json 2>/dev/null)" = "$("$QUAN" report --db "$DB" --json 2>/dev/null)" ]
	run "$QUAN" audit verify --db "$TO" --anchor "$TMP/a" --pub "$TMP/k.pub"
	[ "$status" -eq 0 ]
	[[ "$output" == *"held"* ]]
}

@test "restore into a non-empty database is refused with nothing written" {
	many 1 3
	"$QUAN" init --db "$DB" --policy "$TMP/sh.yaml" --by admin >/dev/null 2>&1
	feed "$DB" 1 2
	"$QUAN" backup --db "$DB" --to "$TMP/b" >/dev/null
	# The target: another office, with one application of its own.
	"$QUAN" init --db "$TO" --policy "$TMP/sh.yaml" --by admin >/dev/null 2>&1
	feed "$TO" 3 3
	is_pg "$TO" || sqlite3 "$TO" 'pragma wal_checkpoint(TRUNCATE)' >/dev/null
	report=$("$QUAN" report --db "$TO" --json 2>/dev/null)
	chain=$(sql "$TO" 'select count(*), max(hash) from events')
	is_pg "$TO" || sum=$(sha256sum <"$TO")
	run "$QUAN" restore --from "$TMP/b" --db "$TO"
	[ "$status" -eq 1 ]
	[[ "$output" == *"is not empty: a restore goes only into an empty database; nothing was written"* ]]
	[ "$("$QUAN" report --db "$TO" --json 2>/dev/null)" = "$report" ]
	[ "$(sql "$TO" 'select count(*), max(hash) from events')" = "$chain" ]
	[ "$(sql "$TO" "select client_ref from applications")" = C3 ]
	is_pg "$TO" || [ "$(sha256sum <"$TO")" = "$sum" ]
	# A user alone makes a database not empty too.
	drop_db "$REF"
	REF=$(new_db "$TMP/users.db")
	"$QUAN" user add --db "$REF" ada --role administrator >/dev/null 2>&1
	run "$QUAN" restore --from "$TMP/b" --db "$REF"
	[ "$status" -eq 1 ]
	[[ "$output" == *"is not empty"* ]]
}

@test "backup never overwrites; restore refuses a file that is no backup, or of the other kind" {
	"$QUAN" init --db "$DB" --policy "$TMP/sh.yaml" --by admin >/dev/null 2>&1
	echo keep >"$TMP/b"
	run "$QUAN" backup --db "$DB" --to "$TMP/b"
	[ "$status" -eq 1 ]
	[[ "$output" == *"exists already, not overwritten"* ]]
	[ "$(cat "$TMP/b")" = keep ]
	run "$QUAN" restore --from "$TMP/b" --db "$TO"
	[ "$status" -eq 1 ]
	[[ "$output" == *"neither a SQLite backup nor a pg_dump file"* ]]
	run "$QUAN" backup --db "$DB" --to "$TMP/b2"
	[ "$status" -eq 0 ]
	if is_pg "$DB"; then other="$TMP/other.db"; else other="postgres://nobody@127.0.0.1:1/none"; fi
	run "$QUAN" restore --from "$TMP/b2" --db "$other"
	[ "$status" -eq 1 ]
	[[ "$output" == *"restore into the same kind, then \`quan migrate\`"* ]]
	[ ! -e "$TMP/other.db" ]
}

@test "a backup changed behind quan's back does not restore as good" {
	many 1 3
	"$QUAN" init --db "$DB" --policy "$TMP/sh.yaml" --by admin >/dev/null 2>&1
	feed "$DB" 1 3
	"$QUAN" backup --db "$DB" --to "$TMP/b" >/dev/null
	if is_pg "$DB"; then
		# A dump is edited by restoring it elsewhere, editing, dumping.
		pg_restore --no-owner -d "$REF" "$TMP/b"
		sql "$REF" "drop trigger events_immutable on events; update events set who = 'mallory' where seq = 3"
		rm "$TMP/b"
		pg_dump --format=custom --no-owner --file "$TMP/b" "$REF"
	else
		sqlite3 "$TMP/b" "drop trigger events_immutable; update events set who = 'mallory' where seq = 3"
	fi
	run "$QUAN" restore --from "$TMP/b" --db "$TO"
	[ "$status" -eq 1 ]
	[[ "$output" == *"audit verify: event 3 was changed"* ]]
	[[ "$output" == *"fails its checks: do not use it"* ]]
}
