#!/usr/bin/env bats
# End-to-end on PostgreSQL only (skipped unless QUAN_TEST_DB is set, as
# `scripts/pg run` sets it): the point-in-time recovery of docs/backup.md,
# step by step, on a cluster of its own with a WAL archive; the recovered
# office passes ledger check and holds an anchor taken before the target.

load db

setup() {
	[ -n "${QUAN_TEST_DB:-}" ] || skip "QUAN_TEST_DB is not set (scripts/pg run)"
	QUAN=${QUAN:-$BATS_TEST_DIRNAME/../../build/quan}
	ROOT=$BATS_TEST_DIRNAME/../..
	export QUAN_NOW=2025-11-20T10:00:00+08:00
	BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
	[ -x "$BIN/pg_ctl" ] || BIN=$(dirname "$(command -v pg_ctl)")
	# The server runs as postgres when we are root: its directories must
	# be reachable by it (scripts/pg makes the cluster the same way).
	PGD=$(mktemp -d /tmp/quan-pitr-XXXXXX)
	chmod 755 "$PGD"
	TMP=$(mktemp -d)
}

teardown() {
	[ -n "${QUAN_TEST_DB:-}" ] || return 0
	# The cluster is in $PGD/c; a recovery that failed leaves the old data
	# directory's server stopped already.
	"$ROOT/scripts/pg" stop "$PGD/c" 3>&- || true
	rm -rf "$TMP" "$PGD"
}

as_pg() {
	if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

@test "point-in-time recovery from a base backup and the WAL archive, checked against an anchor" {
	out=$(PG_FSYNC=off "$ROOT/scripts/pg" start "$PGD/c" 3>&-)
	dir=$(sed -n 1p <<<"$out")
	url=$(sed -n 2p <<<"$out")
	as_pg mkdir "$dir/wal"
	# Step 1: archive every WAL segment.
	cat >>"$dir/data/postgresql.conf" <<-CONF
		wal_level = replica
		archive_mode = on
		archive_command = 'test ! -f $dir/wal/%f && cp %p $dir/wal/%f'
	CONF
	"$ROOT/scripts/pg" halt "$dir" 3>&-
	"$ROOT/scripts/pg" resume "$dir" 3>&-
	psql -X -q "$url/postgres" -c 'CREATE DATABASE office'
	DB=$url/office
	"$QUAN" init --db "$DB" --policy "$ROOT/policies/shanghai-2025.yaml" --by admin >/dev/null 2>&1
	# Step 2: a base backup, online.
	as_pg "$BIN/pg_basebackup" -d "$url/postgres" -D "$dir/base" -Ft -z -X stream -c fast
	"$QUAN" apply --db "$DB" --by ada "$ROOT/examples/applications/sh-corpus.json" >/dev/null 2>&1
	"$QUAN" key new --out "$TMP/k" >/dev/null
	"$QUAN" audit anchor --db "$DB" --key "$TMP/k" --out "$TMP/a" >/dev/null
	kept=$(sql "$DB" 'select count(*) from events')
	sleep 1
	target=$(sql "$DB" 'select now()')
	sleep 1
	# The mistake after the target: a new administrator.
	"$QUAN" user add --db "$DB" mallory --role administrator >/dev/null 2>&1
	[ "$(sql "$DB" 'select count(*) from events')" -eq $((kept + 1)) ]
	sql "$DB" 'select pg_switch_wal()' >/dev/null
	for _ in $(seq 100); do
		[ "$(sql "$DB" 'select archived_count from pg_stat_archiver')" -ge 2 ] && break
		sleep 0.1
	done
	# Step 3: recover to the target.
	"$ROOT/scripts/pg" halt "$dir" 3>&-
	as_pg mv "$dir/data" "$dir/data.broken"
	as_pg mkdir -m 700 "$dir/data"
	as_pg tar -xzf "$dir/base/base.tar.gz" -C "$dir/data"
	as_pg cp "$dir/data.broken/postgresql.conf" "$dir/data/"
	as_pg sh -c "cat >>'$dir/data/postgresql.conf'" <<-CONF
		restore_command = 'cp $dir/wal/%f %p'
		recovery_target_time = '$target'
		recovery_target_action = 'promote'
	CONF
	as_pg touch "$dir/data/recovery.signal"
	"$ROOT/scripts/pg" resume "$dir" 3>&-
	for _ in $(seq 100); do
		[ "$(sql "$DB" 'select pg_is_in_recovery()' 2>/dev/null)" = f ] && break
		sleep 0.1
	done
	# Step 4: the office as it stood at the target.
	[ "$(sql "$DB" 'select count(*) from events')" -eq "$kept" ]
	[ "$(sql "$DB" "select count(*) from users where name = 'mallory'")" -eq 0 ]
	run "$QUAN" ledger check --db "$DB"
	[ "$status" -eq 0 ]
	run "$QUAN" audit verify --db "$DB" --anchor "$TMP/a" --pub "$TMP/k.pub"
	[ "$status" -eq 0 ]
	[[ "$output" == *"anchored head #$kept hash "*"held; chain ends at #$kept"* ]]
	# Writable again, on a new timeline.
	run "$QUAN" user add --db "$DB" rita --role reviewer
	[ "$status" -eq 0 ]
}
