#!/usr/bin/env bash
# bench/rush-pg.sh - the voucher rush on PostgreSQL, against what a
# hand-written implementation gets from the same server.
#
# 1. A throw-away cluster (scripts/pg) on the real disk under build/, with
#    PostgreSQL's durable defaults: fsync on, synchronous_commit on, so a
#    COMMIT answered is on disk.
# 2. bench/rush --db-url: `quan serve` on a fresh database of that cluster,
#    N distinct generated Shanghai 2025 applications from C connections;
#    every 201 is checked against the store afterwards (bench/rush.c).
# 3. pgbench, C clients, on a second database: the plain SQL of one
#    reservation, one transaction each - read the pool (FOR UPDATE),
#    check it covers the amount, insert the transfer, update the balance
#    (bench/reserve.pgbench) - for the same number of seconds the rush
#    took (at least 10).
# Prints both rates and their ratio.
#
# The office's clock is set for every quan command of the run, `quan init`
# and the `quan serve` that bench/rush starts: QUAN_NOW (default
# 2025-12-30T10:00:00+08:00), inside the Shanghai 2025 window and after the
# last day the generator's contracts can be signed (2025-12-29; bench/rush
# refuses an earlier one), so every application is eligible and reserved.
#
# usage: bench/rush-pg.sh [--smoke] [-n N] [-c C]     (QUAN names quan)
set -euo pipefail
cd "$(dirname "$0")/.."

n=20000
c=64
while [ $# -gt 0 ]; do
	case "$1" in
	--smoke) n=2000 ;;
	-n) n=$2; shift ;;
	-c) c=$2; shift ;;
	*) sed -n '2,24p' "$0" >&2; exit 2 ;;
	esac
	shift
done
QUAN=${QUAN:-$PWD/build/quan}
export QUAN_NOW=${QUAN_NOW:-2025-12-30T10:00:00+08:00}
RUSH=${RUSH:-$(dirname "$QUAN")/bench/rush}
[ -x "$RUSH" ] || RUSH=build/bench/rush

mkdir -p build
dir=$(mktemp -d "$PWD/build/bench-pg.XXXXXX")
# As root the cluster runs as "postgres", which may not reach build/ (a
# clone under /root): then /var/tmp, also on disk.
if [ "$(id -u)" -eq 0 ] && ! runuser -u postgres -- test -x "$dir"; then
	rmdir "$dir"
	dir=$(mktemp -d /var/tmp/quan-bench-pg.XXXXXX)
fi
trap 'scripts/pg stop "$dir"' EXIT
out=$(PG_FSYNC=on scripts/pg start "$dir")
uri=$(sed -n 2p <<<"$out")
psql -X -q "$uri/postgres" -c "CREATE DATABASE rush" -c "CREATE DATABASE plain"
echo "bench/rush-pg: cluster $uri ($dir): fsync $(psql -X -At "$uri/postgres" -c 'show fsync'), synchronous_commit $(psql -X -At "$uri/postgres" -c 'show synchronous_commit'); the office's clock QUAN_NOW=$QUAN_NOW"

"$QUAN" init --db "$uri/rush" --policy policies/shanghai-2025.yaml --by admin >/dev/null
QUAN=$QUAN "$RUSH" --db-url "$uri/rush" -n "$n" -c "$c" --base "$((n < 5000 ? n : 5000))" | tee "$dir/rush.out"
quan_rate=$(sed -n 's/^  HTTP POST .*: *\([0-9]*\) applications\/s.*/\1/p' "$dir/rush.out")
secs=$(sed -n 's/^  HTTP POST .*(\([0-9]*\) in \([0-9.]*\) s).*/\2/p' "$dir/rush.out")
secs=${secs%.*}
[ "${secs:-0}" -ge 10 ] || secs=10

# The hand-written reservation: nine pools (the Shanghai pools and years),
# each with more money than the run can spend.
psql -X -q "$uri/plain" <<-'SQL'
	CREATE TABLE pools (id INTEGER PRIMARY KEY, available BIGINT NOT NULL CHECK (available >= 0));
	CREATE TABLE transfers (id BIGINT PRIMARY KEY, pool INTEGER NOT NULL REFERENCES pools (id),
		amount BIGINT NOT NULL, at TIMESTAMPTZ NOT NULL DEFAULT now());
	CREATE SEQUENCE transfer_ids;
	INSERT INTO pools SELECT g, 100000000000000 FROM generate_series(1, 9) g;
SQL
pgbench -n -M prepared -c "$c" -j 2 -T "$secs" -f bench/reserve.pgbench "$uri/plain" >"$dir/pgbench.out" 2>&1 ||
	{ cat "$dir/pgbench.out"; exit 1; }
base_rate=$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "$dir/pgbench.out" | head -1)
base_rate=${base_rate%.*}
done_tx=$(psql -X -At "$uri/plain" -c 'SELECT count(*) FROM transfers')
grep -E '^(number of clients|number of transactions actually processed|latency average|tps)' "$dir/pgbench.out" | sed 's/^/  pgbench: /'
echo "bench/rush-pg: $c clients, durable commits on both sides, every application eligible and answered 201 (bench/rush checks)"
echo "  quan serve on PostgreSQL (group commit):           $quan_rate applications/s"
echo "  pgbench, plain SQL, one transaction per reservation: $base_rate reservations/s ($done_tx transfers in ${secs} s)"
echo "  ratio quan / plain SQL: $(awk -v a="$quan_rate" -v b="$base_rate" 'BEGIN { printf "%.2f", a / b }')"
