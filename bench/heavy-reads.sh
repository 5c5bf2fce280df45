#!/bin/sh
# bench/heavy-reads.sh - how long GET /v1/report and GET /v1/ledger/check
# take on an office of N applications (25 000 by default), and how long
# GET /v1/me waits while clients keep asking for reports and ledger checks
# (the outside probe's Found 7: heavy reads on the request threads starved
# everyone else).
#
#   bench/heavy-reads.sh [QUAN [N]]     (QUAN defaults to build/quan)
#
# Makes N synthetic Shanghai 2025 applications (quan simulate
# --write-population), imports them into a fresh SQLite office under a
# temporary directory (quan apply --csv), starts `quan serve` and measures
# with curl: each heavy read alone (5 times, the median), then /v1/me 40
# times while 4 clients loop on /v1/report and 2 on /v1/ledger/check
# (median and max), and the status codes the heavy clients got.
set -eu
QUAN=${1:-build/quan}
N=${2:-25000}
case $QUAN in /*) ;; *) QUAN=$PWD/$QUAN ;; esac
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=$(mktemp -d)
PID=
trap 'kill $PID 2>/dev/null || true; rm -rf "$DIR"' EXIT
export QUAN_NOW=2025-12-30T10:00:00+08:00
cd "$DIR"
"$QUAN" simulate --policy "$ROOT/policies/shanghai-2025.yaml" --synthetic "$N" \
	--seed 1 --write-population pop.csv >/dev/null 2>&1
"$QUAN" init --db office.db --policy "$ROOT/policies/shanghai-2025.yaml" --by admin >/dev/null 2>&1
"$QUAN" apply --db office.db --by admin --csv pop.csv >/dev/null 2>&1
T=$("$QUAN" user add --db office.db ada --role administrator 2>/dev/null)
"$QUAN" serve --db office.db --listen 127.0.0.1:0 >serve.out 2>serve.err &
PID=$!
for _ in $(seq 100); do
	grep -q listening serve.out 2>/dev/null && break
	sleep 0.05
done
URL=$(sed -n 's|^listening \(http://[^ ]*\)/$|\1|p' serve.out)

get() { # get PATH: seconds, then the status code
	curl -s -o /dev/null -w '%{time_total} %{http_code}\n' \
		-H "Authorization: Bearer $T" "$URL$1"
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "applications: $N"
for p in /v1/report /v1/ledger/check /v1/me; do
	t=$(for _ in 1 2 3 4 5; do get "$p"; done | cut -d' ' -f1 | median)
	echo "$p alone: median ${t}s"
done
: >heavy.codes
LOOPS=
for i in 1 2 3 4 5 6; do
	p=/v1/report
	[ "$i" -gt 4 ] && p=/v1/ledger/check
	(while [ ! -e stop ]; do get "$p" | cut -d' ' -f2 >>heavy.codes; done) &
	LOOPS="$LOOPS $!"
done
sleep 1
for _ in $(seq 40); do get /v1/me; done | cut -d' ' -f1 >me.times
touch stop
for l in $LOOPS; do wait "$l" || true; done
echo "/v1/me under 4 report and 2 ledger-check clients: median $(median <me.times)s, max $(sort -n me.times | tail -1)s"
echo "heavy clients' answers: $(sort heavy.codes | uniq -c | awk '{printf "%s x%s ", $2, $1}')"
