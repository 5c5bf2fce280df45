#!/usr/bin/env bats
# End-to-end: the life of applications in a program office database,
# through the real `quan` binary, on SQLite or (QUAN_TEST_DB) PostgreSQL.

load db

setup() {
	QUAN=${QUAN:-$BATS_TEST_DIRNAME/../../build/quan}
	ROOT=$BATS_TEST_DIRNAME/../..
	SH=$ROOT/policies/shanghai-2025.yaml
	EX=$ROOT/examples/applications
	TMP=$(mktemp -d)
	DB=$(new_db "$TMP/office.db")
}

teardown() {
	db_forget "$DB" clean
	drop_db "$DB"
	rm -rf "$TMP"
}

# A copy of example $1 with id $2 and contract value $3.
variant() {
	sed -E -e "s/\"id\": *\"[^\"]*\"/\"id\": \"$2\"/" \
		-e "s/\"value\": *\"[0-9.]+\"/\"value\": \"$3\"/" \
		"$EX/$1" >"$TMP/$2.json"
}

# Shanghai with the corpus pool cut to $1 yuan, and two approvers above
# 1 M yuan for the model voucher. The duplicate-claim screen is off: the tests
# that use it submit many copies of one contract (same parties, value and
# day, only the number differs), which the screen would rightly block.
small_policy() {
	sed -E -e "/^  - id: corpus$/,/^  - id:/ s/2025: \"100000000.00\"/2025: \"$1\"/" \
		-e "/^  duplicate-claim:$/,/action:/ s/action: block/action: off/" \
		-e "s/^    pool: model$/    pool: model\n    second_approver_above: \"1000000.00\"/" \
		"$SH" >"$TMP/small.yaml"
}

@test "init loads the policy and funds every pool; loading it again changes nothing" {
	run "$QUAN" init --db "$DB" --policy "$SH" --by admin
	[ "$status" -eq 0 ]
	[[ "$output" == *"loaded as a new version"* ]]
	run "$QUAN" init --db "$DB" --policy "$SH" --by admin
	[ "$status" -eq 0 ]
	[[ "$output" == *"already loaded"* ]]
	run "$QUAN" report --db "$DB" --json
	[ "$status" -eq 0 ]
	[[ "$output" == *'"budget": "600000000.00"'* ]]
	[[ "$output" == *'"available": "600000000.00"'* ]]
	run "$QUAN" ledger check --db "$DB"
	[ "$status" -eq 0 ]
}

@test "the whole life of an application: apply, approve, disburse, claw back" {
	"$QUAN" init --db "$DB" --policy "$SH" --by admin
	run "$QUAN" apply --db "$DB" --by applicant "$EX/sh-compute-rent.json"
	[ "$status" -eq 0 ]
	[[ "$output" == *"SH-2025-000123"*"reserved"*"360000.00"* ]]
	run "$QUAN" report --db "$DB" --json
	[[ "$output" == *'"reserved": "360000.00"'* ]]
	[[ "$output" == *'"available": "599640000.00"'* ]]

	run "$QUAN" review --db "$DB" SH-2025-000123 --approve --by reviewer
	[ "$status" -eq 0 ]
	[[ "$output" == *"awarded 360000.00"* ]]
	# separation of duties: the approver may not pay it
	run "$QUAN" disburse --db "$DB" SH-2025-000123 1.00 --by reviewer
	[ "$status" -eq 1 ]
	[[ "$output" == *"cannot disburse"* ]]
	run "$QUAN" disburse --db "$DB" SH-2025-000123 360000.01 --by finance
	[ "$status" -eq 1 ]
	[[ "$output" == *"only 360000.00"* ]]
	run "$QUAN" disburse --db "$DB" SH-2025-000123 200000.00 --by finance
	[ "$status" -eq 0 ]
	run "$QUAN" disburse --db "$DB" SH-2025-000123 160000.00 --by finance
	[ "$status" -eq 0 ]
	run "$QUAN" disburse --db "$DB" SH-2025-000123 0.01 --by finance
	[ "$status" -eq 1 ]
	run "$QUAN" clawback --db "$DB" SH-2025-000123 360000.01 --why "audit" --by finance
	[ "$status" -eq 1 ]
	run "$QUAN" clawback --db "$DB" SH-2025-000123 60000.00 --why "price above the catalog" --by finance
	[ "$status" -eq 0 ]
	run "$QUAN" report --db "$DB" --json
	# paid is net of clawbacks; the recovered money returned to the pool
	[[ "$output" == *'"paid": "300000.00"'* ]]
	[[ "$output" == *'"available": "599700000.00"'* ]]
	run "$QUAN" ledger check --db "$DB"
	[ "$status" -eq 0 ]
	run "$QUAN" audit verify --db "$DB"
	[ "$status" -eq 0 ]
	[[ "$output" == *"chain intact"* ]]
}

@test "re-submitting the same application is harmless; other contents under the same id are refused" {
	"$QUAN" init --db "$DB" --policy "$SH" --by admin
	"$QUAN" apply --db "$DB" --by a "$EX/sh-compute-rent.json"
	run "$QUAN" apply --db "$DB" --by a "$EX/sh-compute-rent.json"
	[ "$status" -eq 0 ]
	[[ "$output" == *"submitted before"* ]]
	variant sh-compute-rent.json SH-2025-000123 1300000.00
	run "$QUAN" apply --db "$DB" --by a "$TMP/SH-2025-000123.json"
	[ "$status" -eq 1 ]
	[[ "$output" == *"other contents"* ]]
	run "$QUAN" report --db "$DB" --json
	[[ "$output" == *'"reserved": "360000.00"'* ]]
}

@test "an ineligible application is recorded and reserves nothing" {
	"$QUAN" init --db "$DB" --policy "$SH" --by admin
	run "$QUAN" apply --db "$DB" --by a "$EX/sh-corpus-related.json"
	[ "$status" -eq 0 ]
	[[ "$output" == *"ineligible"* ]]
	run "$QUAN" report --db "$DB" --json
	[[ "$output" == *'"ineligible": 1'* ]]
	[[ "$output" == *'"available": "100000000.00"'* ]]
}

@test "a pool that cannot cover an application waitlists it, and serves it when money is released" {
	small_policy 1000000.00
	"$QUAN" init --db "$DB" --policy "$TMP/small.yaml" --by admin
	variant sh-corpus.json C1 3000000.00 # 900 000.00
	variant sh-corpus.json C2 2000000.00 # 600 000.00
	variant sh-corpus.json C3 100000.00  #  30 000.00, must not overtake C2
	run "$QUAN" apply --db "$DB" --by a "$TMP/C1.json" "$TMP/C2.json" "$TMP/C3.json"
	[ "$status" -eq 0 ]
	[[ "$output" == *"C1"*"reserved"* ]]
	[[ "$output" == *"C2"*"waitlisted"* ]]
	[[ "$output" == *"C3"*"waitlisted"* ]]
	run "$QUAN" review --db "$DB" C1 --reject --why "incomplete" --by reviewer
	[ "$status" -eq 0 ]
	run "$QUAN" report --db "$DB" --json
	[[ "$output" == *'"reserved": "630000.00"'* ]]
	[[ "$output" == *'"waitlisted": 0'* ]]
	run "$QUAN" ledger check --db "$DB"
	[ "$status" -eq 0 ]
}

@test "an approval at a lower rate returns the rest to the pool" {
	"$QUAN" init --db "$DB" --policy "$SH" --by admin
	"$QUAN" apply --db "$DB" --by a "$EX/sh-compute-rent.json"
	run "$QUAN" review --db "$DB" SH-2025-000123 --approve --rate 2000 --by reviewer
	[ "$status" -eq 0 ]
	[[ "$output" == *"awarded 240000.00"* ]]
	run "$QUAN" report --db "$DB" --json
	[[ "$output" == *'"awarded": "240000.00"'* ]]
	[[ "$output" == *'"available": "599760000.00"'* ]]
	run "$QUAN" review --db "$DB" SH-2025-000123 --approve --rate 2000 --by reviewer
	[ "$status" -eq 1 ]
}

@test "an award above the threshold needs two different approvers" {
	small_policy 100000000.00
	"$QUAN" init --db "$DB" --policy "$TMP/small.yaml" --by admin
	"$QUAN" apply --db "$DB" --by a "$EX/sh-model.json"
	run "$QUAN" review --db "$DB" SH-2025-000412 --approve --by alice
	[ "$status" -eq 0 ]
	[[ "$output" == *"reserved"* ]]
	run "$QUAN" review --db "$DB" SH-2025-000412 --approve --by alice
	[ "$status" -eq 1 ]
	[[ "$output" == *"second, different approver"* ]]
	run "$QUAN" review --db "$DB" SH-2025-000412 --approve --by bob
	[ "$status" -eq 0 ]
	[[ "$output" == *"awarded 5000000.00"* ]]
}

@test "withdrawal releases the reservation" {
	"$QUAN" init --db "$DB" --policy "$SH" --by admin
	"$QUAN" apply --db "$DB" --by a "$EX/sh-compute-rent.json"
	run "$QUAN" withdraw --db "$DB" SH-2025-000123 --by applicant
	[ "$status" -eq 0 ]
	run "$QUAN" report --db "$DB" --json
	[[ "$output" == *'"available": "600000000.00"'* ]]
	[[ "$output" == *'"withdrawn": 1'* ]]
	run "$QUAN" withdraw --db "$DB" SH-2025-000123 --by applicant
	[ "$status" -eq 1 ]
}

@test "bad input changes nothing: unknown ids, negative and zero amounts, no --by" {
	"$QUAN" init --db "$DB" --policy "$SH" --by admin
	"$QUAN" apply --db "$DB" --by a "$EX/sh-compute-rent.json"
	before=$(sql "$DB" "select (select count(*) from events) || ' ' || (select count(*) from transfers)")
	run "$QUAN" review --db "$DB" NOPE --approve --by r
	[ "$status" -eq 1 ]
	[[ "$output" == *"no application 'NOPE'"* ]]
	run "$QUAN" disburse --db "$DB" SH-2025-000123 -5.00 --by f
	[ "$status" -eq 1 ]
	run "$QUAN" disburse --db "$DB" SH-2025-000123 0.00 --by f
	[ "$status" -eq 1 ]
	run "$QUAN" disburse --db "$DB" SH-2025-000123 10.00 --by f
	[ "$status" -eq 1 ]
	[[ "$output" == *"only an awarded application"* ]]
	run "$QUAN" apply --db "$DB" "$EX/sh-model.json"
	[ "$status" -eq 1 ]
	[[ "$output" == *"--by"* ]]
	after=$(sql "$DB" "select (select count(*) from events) || ' ' || (select count(*) from transfers)")
	[ "$before" = "$after" ]
}

@test "the schema refuses to change or delete an audit event" {
	"$QUAN" init --db "$DB" --policy "$SH" --by admin
	run sql "$DB" "update events set who = 'mallory' where seq = 1"
	[ "$status" -ne 0 ]
	run sql "$DB" "delete from events where seq = 1"
	[ "$status" -ne 0 ]
	run sql "$DB" "delete from transfers"
	[ "$status" -ne 0 ]
	run "$QUAN" audit verify --db "$DB"
	[ "$status" -eq 0 ]
}

@test "audit verify names the event that was changed, removed or reordered" {
	"$QUAN" init --db "$DB" --policy "$SH" --by admin
	"$QUAN" apply --db "$DB" --by a "$EX/sh-compute-rent.json" "$EX/sh-model.json" "$EX/sh-corpus.json"
	n=$(sql "$DB" 'select max(seq) from events')
	# The schema refuses updates and deletes of events; someone with the
	# file (or the database's owner) can drop those triggers, and the
	# chain must still tell.
	sqlx "$DB" 'drop trigger events_immutable; drop trigger events_kept' \
		'drop trigger events_immutable on events; drop trigger events_kept on events'
	db_save "$DB" clean

	sql "$DB" "update events set who = 'mallory' where seq = $((n - 1))"
	run "$QUAN" audit verify --db "$DB"
	[ "$status" -eq 1 ]
	[[ "$output" == *"event $((n - 1))"* ]]

	db_restore "$DB" clean
	sql "$DB" "delete from events where seq = $((n - 1))"
	run "$QUAN" audit verify --db "$DB"
	[ "$status" -eq 1 ]
	[[ "$output" == *"event $((n - 1))"* ]]

	db_restore "$DB" clean
	sql "$DB" "update events set seq = -1 where seq = $n; update events set seq = $n where seq = $((n - 1)); update events set seq = $((n - 1)) where seq = -1"
	run "$QUAN" audit verify --db "$DB"
	[ "$status" -eq 1 ]
	[[ "$output" == *"event $((n - 1))"* ]]
}

@test "ledger check names an account whose balance was forged" {
	"$QUAN" init --db "$DB" --policy "$SH" --by admin
	"$QUAN" apply --db "$DB" --by a "$EX/sh-compute-rent.json"
	sql "$DB" "update accounts set credits_posted = credits_posted + 1 where code = 'shanghai-2025/compute/2025/available'"
	run "$QUAN" ledger check --db "$DB"
	[ "$status" -eq 1 ]
	[[ "$output" == *"shanghai-2025/compute/2025"* ]]
}

# Applications C<i> for corpus: 300 000.00 each, so 90 000.00 reserved each.
many() {
	for i in $(seq "$1" "$2"); do
		sed -E -e "s/\"id\": *\"[^\"]*\"/\"id\": \"C$i\"/" \
			-e "s/\"number\": *\"[^\"]*\"/\"number\": \"HT-C$i\"/" \
			-e "s/\"value\": *\"[0-9.]+\"/\"value\": \"300000.00\"/" \
			"$EX/sh-corpus.json" >"$TMP/C$i.json"
	done
}

@test "four processes racing for the last yuan never overspend the pool" {
	small_policy 1000000.00
	"$QUAN" init --db "$DB" --policy "$TMP/small.yaml" --by admin
	many 1 40
	for p in 0 1 2 3; do
		files=()
		for i in $(seq $((p * 10 + 1)) $((p * 10 + 10))); do files+=("$TMP/C$i.json"); done
		"$QUAN" apply --db "$DB" --by "racer$p" "${files[@]}" >"$TMP/out$p" 2>&1 &
	done
	wait
	cat "$TMP"/out*
	# 11 x 90 000.00 = 990 000.00 fits in 1 000 000.00; the 12th does not.
	[ "$(cat "$TMP"/out* | grep -c reserved)" -eq 11 ]
	[ "$(cat "$TMP"/out* | grep -c waitlisted)" -eq 29 ]
	[ "$(sql "$DB" 'select count(*) from applications')" -eq 40 ]
	run "$QUAN" report --db "$DB" --json
	[[ "$output" == *'"reserved": "990000.00"'* ]]
	[[ "$output" == *'"available": "10000.00"'* ]]
	run "$QUAN" ledger check --db "$DB"
	[ "$status" -eq 0 ]
	run "$QUAN" audit verify --db "$DB"
	[ "$status" -eq 0 ]
}

@test "killed mid-stream (SIGKILL), nothing acknowledged is lost and the ledger balances" {
	"$QUAN" init --db "$DB" --policy "$SH" --by admin
	many 1 300
	files=()
	for i in $(seq 1 300); do files+=("$TMP/C$i.json"); done
	for round in 1 2 3; do
		stdbuf -oL "$QUAN" apply --db "$DB" --by crash "${files[@]}" >"$TMP/acked$round" 2>/dev/null &
		pid=$!
		sleep 0.$((RANDOM % 5 + 1))
		kill -9 $pid 2>/dev/null || true
		wait $pid 2>/dev/null || true
		# Every application whose apply was acknowledged is in the database.
		for id in $(awk '{print $1}' "$TMP/acked$round"); do
			[ "$(sql "$DB" "select count(*) from applications where id = '$id'")" -eq 1 ]
		done
		run "$QUAN" ledger check --db "$DB"
		[ "$status" -eq 0 ]
		run "$QUAN" audit verify --db "$DB"
		[ "$status" -eq 0 ]
	done
}

@test "show gives the decision with its trace, the transfers and the history" {
	"$QUAN" init --db "$DB" --policy "$SH" --by admin
	"$QUAN" apply --db "$DB" --by applicant "$EX/sh-model.json"
	"$QUAN" review --db "$DB" SH-2025-000412 --approve --by reviewer
	run "$QUAN" show --db "$DB" SH-2025-000412
	[ "$status" -eq 0 ]
	[[ "$output" == *"state      awarded"* ]]
	[[ "$output" == *"model.cap.per-contract"*"applied"* ]]
	[[ "$output" == *"reserve/SH-2025-000412"*"pending"*"5000000.00"* ]]
	[[ "$output" == *"award/SH-2025-000412"*"post"* ]]
	[[ "$output" == *"apply"*"applicant"* ]]
	[[ "$output" == *"approve"*"reviewer"* ]]
	run "$QUAN" show --db "$DB" SH-2025-000412 --json
	[ "$status" -eq 0 ]
	[[ "$output" == *'"rate_bp": 5000'* ]]
	run "$QUAN" show --db "$DB" NOPE
	[ "$status" -eq 1 ]
}

@test "a bad application in a batch is refused alone; the others are recorded" {
	"$QUAN" init --db "$DB" --policy "$SH" --by admin
	variant sh-corpus.json B1 100000.00
	variant sh-corpus.json B2 12.345
	variant sh-corpus.json B3 200000.00
	run "$QUAN" apply --db "$DB" --by a "$TMP/B1.json" "$TMP/B2.json" "$TMP/B3.json"
	[ "$status" -eq 1 ]
	[[ "$output" == *"B1"*"reserved"* ]]
	[[ "$output" == *"B2.json"*"more than two decimals"* ]]
	[[ "$output" == *"B3"*"reserved"* ]]
	[ "$(sqlx "$DB" 'select group_concat(id) from applications order by seq' \
		"select string_agg(id, ',' order by seq) from applications")" = "B1,B3" ]
	run "$QUAN" ledger check --db "$DB"
	[ "$status" -eq 0 ]
	run "$QUAN" audit verify --db "$DB"
	[ "$status" -eq 0 ]
}

@test "a reservation not approved within reservation_days expires and frees its money" {
	sed -E "s/^    pool: compute$/    pool: compute\n    reservation_days: 30/" "$SH" >"$TMP/expiring.yaml"
	"$QUAN" init --db "$DB" --policy "$TMP/expiring.yaml" --by admin
	"$QUAN" apply --db "$DB" --by a "$EX/sh-compute-rent.json"
	run "$QUAN" expire --db "$DB" --by clerk --at "$(date -u -d '+29 days' +%Y-%m-%dT%H:%M:%SZ)"
	[ "$status" -eq 0 ]
	[[ "$output" == *"expired 0 reservations"* ]]
	run "$QUAN" expire --db "$DB" --by clerk --at "$(date -u -d '+31 days' +%Y-%m-%dT%H:%M:%SZ)"
	[ "$status" -eq 0 ]
	[[ "$output" == *"expired 1 reservations"* ]]
	run "$QUAN" report --db "$DB" --json
	[[ "$output" == *'"expired": 1'* ]]
	[[ "$output" == *'"available": "600000000.00"'* ]]
	run "$QUAN" review --db "$DB" SH-2025-000123 --approve --by reviewer
	[ "$status" -eq 1 ]
	run "$QUAN" ledger check --db "$DB"
	[ "$status" -eq 0 ]
	run "$QUAN" expire --db "$DB"
	[ "$status" -eq 1 ]
}

@test "a pro-rata round shares an oversubscribed pool to the fen" {
	sed -E -e "/^  - id: corpus$/,/^  - id:/ s/2025: \"100000000.00\"/2025: \"1000000.00\"/" \
		-e "/^  - id: corpus$/,/^  - id:/ s/^    allocation: first-come-first-served.*/    allocation: pro-rata/" \
		"$SH" >"$TMP/round.yaml"
	"$QUAN" init --db "$DB" --policy "$TMP/round.yaml" --by admin
	variant sh-corpus.json R1 3000000.00 # asks 900 000.00
	variant sh-corpus.json R2 2000000.00 # asks 600 000.00
	variant sh-corpus.json R3 100000.00  # asks  30 000.00
	run "$QUAN" apply --db "$DB" --by a "$TMP/R1.json" "$TMP/R2.json" "$TMP/R3.json"
	[ "$status" -eq 0 ]
	[ "$(grep -c queued <<<"$output")" -eq 3 ]
	run "$QUAN" round close --db "$DB" shanghai-2025 corpus 2025 --by admin
	[ "$status" -eq 0 ]
	[[ "$output" == *"asked 1530000.00, the pool had 1000000.00, reserved 1000000.00 (scaled pro rata)"* ]]
	# 90 000 000 x 100 000 000 / 153 000 000 fen = 58 823 529.41 -> 58 823 529, +1 fen
	# for the largest remainder (.41 > .31 > .27); 39 215 686.27; 1 960 784.31.
	[ "$(sqlx "$DB" "select group_concat(id || '=' || requested, ' ') from (select * from applications order by seq)" \
		"select string_agg(id || '=' || requested, ' ' order by seq) from applications")" = "R1=58823530 R2=39215686 R3=1960784" ]
	run "$QUAN" report --db "$DB" --json
	[[ "$output" == *'"available": "0.00"'* ]]
	[[ "$output" == *'"reserved": "1000000.00"'* ]]
	run "$QUAN" review --db "$DB" R2 --approve --by reviewer
	[ "$status" -eq 0 ]
	[[ "$output" == *"awarded 392156.86"* ]]
	run "$QUAN" ledger check --db "$DB"
	[ "$status" -eq 0 ]
	run "$QUAN" round close --db "$DB" shanghai-2025 compute-rent 2025 --by admin
	[ "$status" -eq 1 ]
}

@test "audit replay re-decides every application and names one whose record was altered" {
	"$QUAN" init --db "$DB" --policy "$SH" --by admin
	"$QUAN" apply --db "$DB" --by a "$EX"/sh-*.json
	run "$QUAN" audit replay --db "$DB"
	[ "$status" -eq 0 ]
	[[ "$output" == *"7 applications re-decided, 0 differ"* ]]
	# A new version of the policy (the model voucher at 40 %) decides new
	# applications; old ones replay under the version they were decided with.
	sed -E 's/^          rate: 50%$/          rate: 40%/' "$SH" >"$TMP/v2.yaml"
	run "$QUAN" init --db "$DB" --policy "$TMP/v2.yaml" --by admin
	[[ "$output" == *"new version"* ]]
	variant sh-model.json M2 2000000.00
	run "$QUAN" apply --db "$DB" --by a "$TMP/M2.json"
	[[ "$output" == *"M2"*"reserved"*"800000.00"* ]]
	run "$QUAN" audit replay --db "$DB"
	[ "$status" -eq 0 ]
	[[ "$output" == *"8 applications re-decided, 0 differ"* ]]
	sql "$DB" "update applications set decision = replace(decision, '\"amount\":\"5000000.00\"', '\"amount\":\"6000000.00\"') where id = 'SH-2025-000412'"
	run "$QUAN" audit replay --db "$DB"
	[ "$status" -eq 1 ]
	[[ "$output" == *"SH-2025-000412: the decision comes out differently"* ]]
	[[ "$output" == *"recorded: eligible yes, amount 6000000.00; now: eligible yes, amount 5000000.00"* ]]
}

@test "an institute grant is ring-fenced year by year and paid as milestones post its tranches" {
	"$QUAN" init --db "$DB" --policy "$SH" --by admin
	run "$QUAN" apply --db "$DB" --by institute "$EX/sh-institute.json"
	[ "$status" -eq 0 ]
	[[ "$output" == *"SH-2025-000901"*"reserved"*"500000000.00"* ]]
	# 500 M over 60 months: five tranches of 100 M, one in each year's pool.
	run "$QUAN" report --db "$DB" --json
	[ "$(grep -c '"reserved": "100000000.00"' <<<"$output")" -eq 5 ]
	# A second grant finds every year's pool ring-fenced: waitlisted.
	variant sh-institute.json INST-2 300000000.00
	run "$QUAN" apply --db "$DB" --by other "$TMP/INST-2.json"
	[[ "$output" == *"INST-2"*"waitlisted"* ]]

	run "$QUAN" review --db "$DB" SH-2025-000901 --approve --by reviewer
	[ "$status" -eq 0 ]
	run "$QUAN" disburse --db "$DB" SH-2025-000901 1.00 --by finance
	[ "$status" -eq 1 ]
	[[ "$output" == *"only 0.00 of the award"*"left to pay"* ]]
	run "$QUAN" milestone --db "$DB" SH-2025-000901 2025 --why "institute registered, 120 researchers hired" --by reviewer
	[ "$status" -eq 0 ]
	[[ "$output" == *"tranche posted 100000000.00"* ]]
	run "$QUAN" milestone --db "$DB" SH-2025-000901 2025 --why "again" --by reviewer
	[ "$status" -eq 1 ]
	run "$QUAN" disburse --db "$DB" SH-2025-000901 100000000.01 --by finance
	[ "$status" -eq 1 ]
	run "$QUAN" disburse --db "$DB" SH-2025-000901 100000000.00 --by finance
	[ "$status" -eq 0 ]
	run "$QUAN" milestone --db "$DB" SH-2025-000901 2026 --why "first models released" --by reviewer
	[ "$status" -eq 0 ]
	run "$QUAN" clawback --db "$DB" SH-2025-000901 10000000.00 --why "equipment not bought" --by finance
	[ "$status" -eq 0 ]
	# The institute stops after two years: the three tranches still
	# ring-fenced return to their pools.
	run "$QUAN" withdraw --db "$DB" SH-2025-000901 --by institute
	[ "$status" -eq 0 ]
	run "$QUAN" report --db "$DB"
	[ "$(grep -cE 'institute +202[789] +100000000.00 +100000000.00 +0.00 ' <<<"$output")" -eq 3 ]
	# 2025: 100 M paid, 10 M of it recovered back to the pool; 2026: the
	# posted tranche stays awarded to the institute.
	[[ "$output" == *"institute  2025     100000000.00      10000000.00             0.00             0.00      90000000.00"* ]]
	[[ "$output" == *"institute  2026     100000000.00             0.00             0.00     100000000.00"* ]]
	run "$QUAN" ledger check --db "$DB"
	[ "$status" -eq 0 ]
	run "$QUAN" audit verify --db "$DB"
	[ "$status" -eq 0 ]
}

@test "each measure has its own yearly cap: a Chengdu compute voucher does not use up the model voucher's 1 M" {
	"$QUAN" init --db "$DB" --policy "$ROOT/policies/chengdu-2025.yaml" --by admin
	run "$QUAN" apply --db "$DB" --by applicant "$EX/cd-compute.json" "$EX/cd-model.json"
	[ "$status" -eq 0 ]
	# compute: 60 % of 2 000 000.00; model: 30 % of 12 months of 4 800 000.00
	# over a 24-month term = 30 % of 2 400 000.00, under the 1 M yearly cap
	[[ "$output" == *"CD-2025-000455"*"reserved"*"1200000.00"* ]]
	[[ "$output" == *"CD-2025-000512"*"reserved"*"720000.00"* ]]
}
