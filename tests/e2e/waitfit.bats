#!/usr/bin/env bats
# `waitlist: strict|fit` through the CLI and the HTTP API, on SQLite or,
# with QUAN_TEST_DB set (scripts/pg run), PostgreSQL; and the simulation
# agreeing with the office to the fen on a population under fit.
#
# Issue 14's case on Shanghai 2025's corpus voucher (30 %, at most 5 M a
# contract) with its pool cut to 10 000 000.00: A (5 M), B1 (60 000.00) and
# B2 (40 000.00) reserved leave 4 900 000.00; the head H asks 5 000 000.00
# and waits; C asks 2 487.00; D asks 4 950 000.00.

load db

bats_require_minimum_version 1.5.0

setup() {
	QUAN=${QUAN:-$BATS_TEST_DIRNAME/../../build/quan}
	ROOT=$BATS_TEST_DIRNAME/../..
	SH=$ROOT/policies/shanghai-2025.yaml
	TMP=$(mktemp -d)
	DB=$(new_db "$TMP/office.db")
	export QUAN_NOW=2025-11-20T10:00:00+08:00
	# The corpus pool (between its id and the next pool's) cut to 10 M;
	# under fit, the corpus measure (between its id and the next
	# measure's) gets `waitlist: fit`.
	STRICT=$TMP/strict.yaml
	FIT=$TMP/fit.yaml
	sed -e '/^  - id: corpus$/,/^  - id: institute$/ s/2025: "100000000.00"/2025: "10000000.00"/' \
		"$SH" >"$STRICT"
	sed -e '/^  - id: corpus$/,/^  - id: rnd$/ s/^    allocation: first-come-first-served.*/&\n    waitlist: fit/' \
		"$STRICT" >"$FIT"
	[ "$(grep -c '^    waitlist: fit$' "$FIT")" -eq 1 ]
}

teardown() {
	if [ -f "$TMP/serve.pid" ]; then
		kill "$(cat "$TMP/serve.pid")" 2>/dev/null || true
		wait 2>/dev/null || true
	fi
	drop_db "$DB"
	rm -rf "$TMP"
}

# uscc N: a valid USCC of the N-th test firm.
uscc() {
	python3 - "$1" <<'EOF'
import sys
C = "0123456789ABCDEFGHJKLMNPQRTUWXY"
W = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
b = "91310000M%07dX" % int(sys.argv[1])
print(b + C[(31 - sum(C.index(c) * w for c, w in zip(b, W)) % 31) % 31])
EOF
}

# corpus N VALUE: apply a corpus application of firm N (one firm each) for
# a contract of VALUE yuan; prints quan apply's line (the number first).
corpus() {
	local N=$1
	shift
	jq --arg v "$1" --arg n "$N" --arg u "$(uscc "$N")" \
		'.client_ref = "wf-" + $n | .applicant.uscc = $u
		 | .contract.number = "HT-WF-" + $n | .contract.value = $v' \
		"$ROOT/examples/applications/sh-corpus.json" >"$TMP/app-$N.json"
	"$QUAN" apply --db "$DB" --by applicant "$TMP/app-$N.json"
}

# state ID: the application's state in the office.
state() {
	sql "$DB" "SELECT state FROM applications WHERE id = '$1'"
}

# available: the corpus pool's available amount, as `report --json` says.
available() {
	"$QUAN" report --db "$DB" --json |
		jq -r '[.. | objects | select(.pool? == "corpus" and .year? == 2025) | .available][0]'
}

# head_waits POLICY: an office on POLICY; A, B1, B2 reserved, H waiting.
head_waits() {
	"$QUAN" init --db "$DB" --policy "$1" --by admin >/dev/null 2>&1
	A=$(numbers "$(corpus 1 20000000.00)")
	B1=$(numbers "$(corpus 2 200000.00)")
	corpus 3 133333.34 >/dev/null
	[ "$(available)" = 4900000.00 ]
	H=$(numbers "$(corpus 4 20000000.00)")
	[ "$(state "$H")" = waitlisted ]
}

@test "policy check: waitlist fit is accepted, another value refused at file:line:column" {
	run "$QUAN" policy check "$FIT"
	[ "$status" -eq 0 ]
	sed 's/^    waitlist: fit$/    waitlist: loose/' "$FIT" >"$TMP/bad.yaml"
	line=$(grep -n '^    waitlist: loose$' "$TMP/bad.yaml" | cut -d: -f1)
	run "$QUAN" policy check "$TMP/bad.yaml"
	[ "$status" -ne 0 ]
	[[ "$output" == *"bad.yaml:$line:15: 'waitlist' must be strict or fit, not 'loose'"* ]]
	# A pro-rata measure has no waitlist.
	run "$QUAN" policy check "$ROOT/examples/policies/example-prorata.yaml"
	[ "$status" -eq 0 ]
	sed 's/^\(  *\)allocation: pro-rata.*/&\n\1waitlist: fit/' \
		"$ROOT/examples/policies/example-prorata.yaml" >"$TMP/pr.yaml"
	run "$QUAN" policy check "$TMP/pr.yaml"
	[ "$status" -ne 0 ]
	[[ "$output" == *"'waitlist' on pro-rata measure"* ]]
}

@test "strict (the default): 2 487.00 waits behind the 5 M head, and show says why" {
	head_waits "$STRICT"
	C=$(numbers "$(corpus 5 8290.00)")
	[ "$(state "$C")" = waitlisted ]
	run --separate-stderr "$QUAN" show --db "$DB" "$C" --json
	[ "$status" -eq 0 ]
	jq -e --arg h "$H" '.waiting | .order == "strict" and .head == $h and .ahead == 1
		and .available == "4900000.00"' <<<"$output"
	run --separate-stderr "$QUAN" show --db "$DB" "$C"
	[[ "$output" == *"waiting    strict: waits behind 1 application(s) asking 5000000.00 yuan in all; the first in line, $H,"* ]]
	D=$(numbers "$(corpus 6 16500000.00)")
	# B1's 60 000.00 back would cover D, but nobody overtakes H.
	"$QUAN" review --db "$DB" "$B1" --reject --why "test" --by reviewer >/dev/null
	[ "$(available)" = 4960000.00 ]
	[ "$(state "$H")" = waitlisted ]
	[ "$(state "$C")" = waitlisted ]
	[ "$(state "$D")" = waitlisted ]
	# A's 5 M back: everyone, in order.
	"$QUAN" review --db "$DB" "$A" --reject --why "test" --by reviewer >/dev/null
	for id in "$H" "$C" "$D"; do [ "$(state "$id")" = reserved ]; done
	[ "$(available)" = 7513.00 ]
	"$QUAN" ledger check --db "$DB" >/dev/null
}

@test "fit over HTTP: 2 487.00 reserved past the head, the head says it does not fit, then is served" {
	head_waits "$FIT"
	C=$(numbers "$(corpus 7 8290.00)")
	[ "$(state "$C")" = reserved ]
	[ "$(available)" = 4897513.00 ]
	D=$(numbers "$(corpus 8 16500000.00)")
	[ "$(state "$D")" = waitlisted ]
	run --separate-stderr "$QUAN" show --db "$DB" "$H"
	[[ "$output" == *"waiting    fit: it does not fit: it asks 5000000.00 yuan and pool 'corpus' has 4897513.00 available"* ]]
	run --separate-stderr "$QUAN" show --lang zh --db "$DB" "$H"
	[ "$status" -eq 0 ]
	[[ "$output" == *"候补      按额度安排："* ]]
	[[ "$output" == *"4897513.00"* ]]
	[[ "$output" != *"does not fit"* ]]
	T=$("$QUAN" user add --db "$DB" rita --role reviewer 2>/dev/null)
	serve_bg "$TMP/serve" "$DB"
	run curl -sf -H "Authorization: Bearer $T" "$URL/v1/applications/$H"
	[ "$status" -eq 0 ]
	jq -e '.waiting | .order == "fit" and .fits == false and .requested == "5000000.00"
		and .available == "4897513.00"' <<<"$output"
	jq -e '.waiting.why | contains("does not fit") and contains("5000000.00") and contains("4897513.00")' <<<"$output"
	jq -e '.waiting.why_zh | contains("超过")' <<<"$output"
	# B1's 60 000.00 back (4 957 513.00): H is skipped, D fits and is served.
	code=$(curl -s -o "$TMP/body" -w '%{http_code}' -X POST -H "Authorization: Bearer $T" \
		-H 'Content-Type: application/json' --data '{"why": "test"}' \
		"$URL/v1/applications/$B1/reject")
	[ "$code" -eq 200 ]
	[ "$(state "$H")" = waitlisted ]
	[ "$(state "$D")" = reserved ]
	[ "$(available)" = 7513.00 ]
	# A's 5 M back: H is served once it fits.
	code=$(curl -s -o "$TMP/body" -w '%{http_code}' -X POST -H "Authorization: Bearer $T" \
		-H 'Content-Type: application/json' --data '{"why": "test"}' \
		"$URL/v1/applications/$A/reject")
	[ "$code" -eq 200 ]
	[ "$(state "$H")" = reserved ]
	[ "$(available)" = 7513.00 ]
	run curl -sf -H "Authorization: Bearer $T" "$URL/v1/applications/$H"
	jq -e '.waiting == null' <<<"$output"
	"$QUAN" ledger check --db "$DB" >/dev/null
	"$QUAN" audit verify --db "$DB" >/dev/null
}

@test "simulate agrees with the office to the fen on a population under fit" {
	# Every first-come-first-served measure of a Shanghai with small pools
	# under fit: the office and the simulation, both ways.
	SMALL=$TMP/small-fit.yaml
	sed -e 's/"600000000.00"/"60000000.00"/' -e 's/"300000000.00"/"20000000.00"/' \
		-e 's/^    allocation: first-come-first-served.*/&\n    waitlist: fit/' "$SH" >"$SMALL"
	[ "$(grep -c '^    waitlist: fit$' "$SMALL")" -gt 3 ]
	"$QUAN" simulate --policy "$SMALL" --synthetic 2000 --seed 7 \
		--write-population "$TMP/pop.csv" --csv "$TMP/synthetic.csv" >/dev/null
	"$QUAN" init --db "$DB" --policy "$SMALL" --by admin >/dev/null
	QUAN_NOW=2026-01-01T00:00:00+08:00 run "$QUAN" apply --db "$DB" --by admin --csv "$TMP/pop.csv"
	[ "$status" -eq 0 ]
	sql "$DB" "SELECT id || ',' || state || ',' || requested FROM applications ORDER BY seq" >"$TMP/office"
	[ "$(wc -l <"$TMP/office")" -eq 2000 ]
	"$QUAN" simulate --policy "$SMALL" --from-db "$DB" --csv "$TMP/db.csv" --json >"$TMP/db.json"
	tail -n +2 "$TMP/db.csv" | awk -F, '{gsub(/"/, "", $1); a = $6; gsub(/\./, "", a); sub(/^0+/, "", a); if (a == "") a = "0"; print $1 "," $7 "," a}' >"$TMP/fromdb"
	diff "$TMP/office" "$TMP/fromdb"
	"$QUAN" simulate --policy "$SMALL" --population "$TMP/pop.csv" --csv "$TMP/pop-sim.csv" >/dev/null
	diff <(cut -d, -f2- "$TMP/synthetic.csv") <(cut -d, -f2- "$TMP/pop-sim.csv")
	diff <(cut -d, -f2- "$TMP/office") <(tail -n +2 "$TMP/pop-sim.csv" |
		awk -F, '{a = $6; gsub(/\./, "", a); sub(/^0+/, "", a); if (a == "") a = "0"; print $7 "," a}')
	reserved=$(sql "$DB" "SELECT COALESCE(SUM(requested), 0) FROM applications WHERE state = 'reserved'")
	awarded=$(jq -r '[.pools[].awarded | sub("\\."; "") | tonumber] | add' "$TMP/db.json")
	[ "$reserved" -eq "$awarded" ]
	# Fit made a difference: some were reserved after one of their pool
	# was waitlisted, which strict never does.
	jq -e '[.pools[] | select(.waitlisted > 0)] | length > 0' "$TMP/db.json"
	"$QUAN" simulate --policy "$SMALL" --population "$TMP/pop.csv" --json >"$TMP/fit.json"
	sed -e 's/"600000000.00"/"60000000.00"/' -e 's/"300000000.00"/"20000000.00"/' "$SH" >"$TMP/small-strict.yaml"
	"$QUAN" simulate --policy "$TMP/small-strict.yaml" --population "$TMP/pop.csv" --json >"$TMP/strict.json"
	fit=$(jq '[.pools[].served] | add' "$TMP/fit.json")
	strict=$(jq '[.pools[].served] | add' "$TMP/strict.json")
	[ "$fit" -gt "$strict" ]
}

@test "the README's figures: strict leaves the corpus pool idle behind its head, fit serves whoever fits" {
	sed -e '/^  - id: corpus$/,/^  - id: rnd$/ s/^    allocation: first-come-first-served.*/&\n    waitlist: fit/' \
		"$STRICT" >"$TMP/readme-fit.yaml"
	cmp "$FIT" "$TMP/readme-fit.yaml"
	run --separate-stderr "$QUAN" simulate --policy "$STRICT" --synthetic 3000 --seed 7
	[ "$status" -eq 0 ]
	grep -A2 'corpus/2025' <<<"$output" | grep -q 'left 4820678.50'
	grep -A2 'corpus/2025' <<<"$output" | grep -q 'served 120  waitlisted 725'
	run --separate-stderr "$QUAN" simulate --policy "$FIT" --synthetic 3000 --seed 7
	[ "$status" -eq 0 ]
	grep -A2 'corpus/2025' <<<"$output" | grep -q 'served 833  waitlisted 12'
	grep -q '4 820 678.50 yuan idle' "$ROOT/README.md"
	grep -q '(120 served, 725 waitlisted) and serve 833 under fit (12 waitlisted)' "$ROOT/README.md"
}

@test "forecast: under strict a waiting head is dry; under fit it is the first refusal, and dry waits until less than the smallest ask is left" {
	head_waits "$STRICT"
	run --separate-stderr "$QUAN" forecast --db "$DB" --json
	[ "$status" -eq 0 ]
	pool='.pools[] | select(.pool == "corpus" and .year == 2025)'
	[ "$(jq -r "$pool | \"\(.waitlist) \(.status) \(.dry_since) \(.first_refusal.p50)\"" <<<"$output")" = "strict dry 2025-11-20 2025-11-20" ]
	drop_db "$DB"
	DB=$(new_db "$TMP/fit.db")
	head_waits "$FIT"
	run --separate-stderr "$QUAN" forecast --db "$DB" --json
	[ "$status" -eq 0 ]
	# 4 900 000.00 left covers the smallest ask seen (40 000.00): not dry;
	# the head's refusal is the first, already behind us
	[ "$(jq -r "$pool | \"\(.waitlist) \(.left) \(.dry_since) \(.first_refusal | [.p10, .p50, .p90] | join(\",\"))\"" <<<"$output")" = "fit 4900000.00 null 2025-11-20,2025-11-20,2025-11-20" ]
	[ "$(jq -r "$pool | .status" <<<"$output")" != dry ]
	# the runs go on serving what fits: every run that runs dry does so
	# on or after the first refusal
	p10=$(jq -r "$pool | .dry_on.p10 // \"9999-12-31\"" <<<"$output")
	[[ ! "$p10" < 2025-11-20 ]]
	run --separate-stderr "$QUAN" forecast --db "$DB"
	[ "$status" -eq 0 ]
	[[ "$output" == *"waitlist fit: first refusal 2025-11-20"* ]]
}
