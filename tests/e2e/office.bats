#!/usr/bin/env bats
# End-to-end: the life of applications in a program office database,
# through the real `quan` binary, on SQLite or (QUAN_TEST_DB) PostgreSQL.

load db

bats_require_minimum_version 1.5.0

setup() {
	QUAN=${QUAN:-$BATS_TEST_DIRNAME/../../build/quan}
	# The office's clock: inside Shanghai 2025's window (2025-07-28 to
	# 2025-12-31), after every example's contract was signed. The office
	# stamps what it receives with it; applications carry no time.
	export QUAN_NOW=2025-11-20T10:00:00+08:00
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

# A copy of example $1 with client_ref $2 and contract value $3.
variant() {
	sed -E -e "s/\"client_ref\": *\"[^\"]*\"/\"client_ref\": \"$2\"/" \
		-e "s/\"value\": *\"[0-9.]+\"/\"value\": \"$3\"/" \
		"$EX/$1" >"$TMP/$2.json"
}

# Shanghai with the corpus pool cut to $1 yuan (the policy itself asks two
# approvers above 1 M yuan). The duplicate-claim screen is off: the tests
# that use it submit many copies of one contract (same parties, value and
# day, only the number differs), which the screen would rightly block.
small_policy() {
	sed -E -e "/^  - id: corpus$/,/^  - id:/ s/2025: \"100000000.00\"/2025: \"$1\"/" \
		-e "/^  duplicate-claim:$/,/action:/ s/action: block/action: off/" \
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
	id=$(numbers "$output")
	[ "$id" = SH-2025-000001 ] # the first Shanghai application received in 2025
	[[ "$(line_of "$output" "$id")" == *"reserved"*"360000.00"* ]]
	run "$QUAN" report --db "$DB" --json
	[[ "$output" == *'"reserved": "360000.00"'* ]]
	[[ "$output" == *'"available": "599640000.00"'* ]]

	run "$QUAN" review --db "$DB" "$id" --approve --by reviewer
	[ "$status" -eq 0 ]
	[[ "$output" == *"awarded 360000.00"* ]]
	through_notice "$DB" shanghai-2025 >/dev/null # its 5-working-day notice (公示)
	# separation of duties: the approver may not pay it
	run "$QUAN" disburse --db "$DB" "$id" 1.00 --by reviewer
	[ "$status" -eq 1 ]
	[[ "$output" == *"cannot disburse"* ]]
	run "$QUAN" disburse --db "$DB" "$id" 360000.01 --by finance
	[ "$status" -eq 1 ]
	[[ "$output" == *"only 360000.00"* ]]
	run "$QUAN" disburse --db "$DB" "$id" 200000.00 --by finance
	[ "$status" -eq 0 ]
	run "$QUAN" disburse --db "$DB" "$id" 160000.00 --by finance
	[ "$status" -eq 0 ]
	run "$QUAN" disburse --db "$DB" "$id" 0.01 --by finance
	[ "$status" -eq 1 ]
	run "$QUAN" clawback --db "$DB" "$id" 360000.01 --why "audit" --by finance
	[ "$status" -eq 1 ]
	run "$QUAN" clawback --db "$DB" "$id" 60000.00 --why "price above the catalog" --by finance
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

@test "--ref: a retried disbursement pays once, another request under the ref is refused, and migrate keeps the refs" {
	"$QUAN" init --db "$DB" --policy "$SH" --by admin
	run "$QUAN" apply --db "$DB" --by applicant "$EX/sh-compute-rent.json"
	id=$(numbers "$output")
	run "$QUAN" review --db "$DB" "$id" --approve --by reviewer --ref approve-1
	[ "$status" -eq 0 ]
	[[ "$output" == *"$id awarded 360000.00 (paid 0.00 of 360000.00 awarded, 360000.00 left to pay"* ]]
	through_notice "$DB" shanghai-2025 >/dev/null # its 5-working-day notice (公示)
	run "$QUAN" disburse --db "$DB" "$id" 100000.00 --by finance --ref pay-1
	[ "$status" -eq 0 ]
	[[ "$output" == *"$id paid 100000.00 (paid 100000.00 of 360000.00 awarded, 260000.00 left to pay"* ]]
	# The run is retried (its answer was lost): the same answer, nothing paid.
	run "$QUAN" disburse --db "$DB" "$id" 100000.00 --by finance --ref pay-1
	[ "$status" -eq 0 ]
	[[ "$output" == *"$id paid 100000.00 (paid 100000.00 of 360000.00 awarded, 260000.00 left to pay"* ]]
	[[ "$output" == *"--ref pay-1 was used before with the same request: its answer again, nothing moved"* ]]
	# Another amount, or another person, under the same ref: refused.
	run "$QUAN" disburse --db "$DB" "$id" 100000.01 --by finance --ref pay-1
	[ "$status" -ne 0 ]
	[[ "$output" == *"idempotency key 'pay-1' was used for another disburse of '$id'"* ]]
	run "$QUAN" disburse --db "$DB" "$id" 100000.00 --by finance2 --ref pay-1
	[ "$status" -ne 0 ]
	[ "$(sql "$DB" "SELECT paid FROM applications WHERE id = '$id'")" -eq 10000000 ]
	# The ref is a clawback's own: the same text there is another key.
	run "$QUAN" clawback --db "$DB" "$id" 1000.00 --why audit --by finance --ref pay-1
	[ "$status" -eq 0 ]
	[[ "$output" == *"recovered 1000.00"*"1000.00 recovered)"* ]]
	# A verb that moves no money takes no --ref.
	run "$QUAN" withdraw --db "$DB" "$id" --by applicant --ref w-1
	[ "$status" -ne 0 ]
	[[ "$output" == *"withdraw takes no --ref"* ]]
	run "$QUAN" ledger check --db "$DB"
	[ "$status" -eq 0 ]
	# A copy of the office answers the retry as the original would.
	TO=$(new_db "$TMP/copy.db")
	run "$QUAN" migrate --from "$DB" --to "$TO"
	[ "$status" -eq 0 ]
	[[ "$output" == *"3 idempotency keys"* ]]
	run "$QUAN" disburse --db "$TO" "$id" 100000.00 --by finance --ref pay-1
	[ "$status" -eq 0 ]
	[[ "$output" == *"nothing moved"* ]]
	[ "$(sql "$TO" "SELECT paid FROM applications WHERE id = '$id'")" -eq 10000000 ]
	drop_db "$TO"
}

@test "re-submitting the same application is harmless; other contents under the same client_ref are refused" {
	"$QUAN" init --db "$DB" --policy "$SH" --by admin
	run "$QUAN" apply --db "$DB" --by a "$EX/sh-compute-rent.json"
	id=$(numbers "$output")
	[ -n "$id" ]
	run "$QUAN" apply --db "$DB" --by a "$EX/sh-compute-rent.json"
	[ "$status" -eq 0 ]
	[ "$(numbers "$output")" = "$id" ]
	[[ "$(line_of "$output" "$id")" == *"submitted before"* ]]
	variant sh-compute-rent.json sh-compute-rent-1 1300000.00
	run "$QUAN" apply --db "$DB" --by a "$TMP/sh-compute-rent-1.json"
	[ "$status" -eq 1 ]
	[[ "$output" == *"client_ref: 'sh-compute-rent-1' was used by this firm for another application"* ]]
	[ -z "$(numbers "$output")" ]
	run "$QUAN" report --db "$DB" --json
	[[ "$output" == *'"reserved": "360000.00"'* ]]
	[ "$(sql "$DB" 'select count(*) from applications')" -eq 1 ]
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
	read -r c1 c2 c3 rest <<<"$(numbers "$output" | xargs)"
	[ -n "$c3" ] && [ -z "$rest" ]
	[[ "$(line_of "$output" "$c1")" == *"reserved"* ]]
	[[ "$(line_of "$output" "$c2")" == *"waitlisted"* ]]
	[[ "$(line_of "$output" "$c3")" == *"waitlisted"* ]]
	# one line per file, in order: the numbers are those of C1, C2, C3
	[ "$(sqlx "$DB" "select group_concat(client_ref || '=' || id, ' ') from (select * from applications order by seq)" \
		"select string_agg(client_ref || '=' || id, ' ' order by seq) from applications")" = "C1=$c1 C2=$c2 C3=$c3" ]
	run "$QUAN" review --db "$DB" "$c1" --reject --why "incomplete" --by reviewer
	[ "$status" -eq 0 ]
	run "$QUAN" report --db "$DB" --json
	[[ "$output" == *'"reserved": "630000.00"'* ]]
	[[ "$output" == *'"waitlisted": 0'* ]]
	run "$QUAN" ledger check --db "$DB"
	[ "$status" -eq 0 ]
}

@test "an approval at a lower rate returns the rest to the pool" {
	"$QUAN" init --db "$DB" --policy "$SH" --by admin
	run "$QUAN" apply --db "$DB" --by a "$EX/sh-compute-rent.json"
	id=$(numbers "$output")
	[ -n "$id" ]
	run "$QUAN" review --db "$DB" "$id" --approve --rate 2000 --by reviewer
	[ "$status" -eq 0 ]
	[[ "$output" == *"awarded 240000.00"* ]]
	run "$QUAN" report --db "$DB" --json
	[[ "$output" == *'"awarded": "240000.00"'* ]]
	[[ "$output" == *'"available": "599760000.00"'* ]]
	run "$QUAN" review --db "$DB" "$id" --approve --rate 2000 --by reviewer
	[ "$status" -eq 1 ]
}

@test "review --rate takes a percentage or basis points, as the API does" {
	"$QUAN" init --db "$DB" --policy "$SH" --by admin
	variant sh-compute-rent.json P1 1200000.00
	variant sh-compute-rent.json P2 1100000.00
	run "$QUAN" apply --db "$DB" --by a "$TMP/P1.json" "$TMP/P2.json"
	one=$(numbers "$output" | sed -n 1p)
	two=$(numbers "$output" | sed -n 2p)
	[ -n "$one" ] && [ -n "$two" ]
	run "$QUAN" review --db "$DB" "$one" --approve --rate 20% --by reviewer
	[ "$status" -eq 0 ]
	[[ "$output" == *"awarded 240000.00"* ]]
	for bad in 101% 10001 20.5 abc; do
		run "$QUAN" review --db "$DB" "$two" --approve --rate "$bad" --by reviewer
		[ "$status" -eq 1 ]
		[[ "$output" == *"--rate: '$bad' is "* ]]
	done
	run "$QUAN" review --db "$DB" "$two" --approve --rate 12.5% --by reviewer
	[ "$status" -eq 0 ]
	[[ "$output" == *"awarded 137500.00"* ]]
}

@test "an award above the threshold needs two different approvers" {
	small_policy 100000000.00
	"$QUAN" init --db "$DB" --policy "$TMP/small.yaml" --by admin
	run "$QUAN" apply --db "$DB" --by a "$EX/sh-model.json"
	id=$(numbers "$output")
	[ -n "$id" ]
	run "$QUAN" review --db "$DB" "$id" --approve --by alice
	[ "$status" -eq 0 ]
	[[ "$output" == *"reserved"* ]]
	run "$QUAN" review --db "$DB" "$id" --approve --by alice
	[ "$status" -eq 1 ]
	[[ "$output" == *"second, different approver"* ]]
	run "$QUAN" review --db "$DB" "$id" --approve --by bob
	[ "$status" -eq 0 ]
	[[ "$output" == *"awarded 5000000.00"* ]]
}

@test "withdrawal releases the reservation" {
	"$QUAN" init --db "$DB" --policy "$SH" --by admin
	run "$QUAN" apply --db "$DB" --by a "$EX/sh-compute-rent.json"
	id=$(numbers "$output")
	[ -n "$id" ]
	run "$QUAN" withdraw --db "$DB" "$id" --by applicant
	[ "$status" -eq 0 ]
	run "$QUAN" report --db "$DB" --json
	[[ "$output" == *'"available": "600000000.00"'* ]]
	[[ "$output" == *'"withdrawn": 1'* ]]
	run "$QUAN" withdraw --db "$DB" "$id" --by applicant
	[ "$status" -eq 1 ]
}

@test "bad input changes nothing: unknown ids, negative and zero amounts, no --by" {
	"$QUAN" init --db "$DB" --policy "$SH" --by admin
	run "$QUAN" apply --db "$DB" --by a "$EX/sh-compute-rent.json"
	id=$(numbers "$output")
	[ -n "$id" ]
	before=$(sql "$DB" "select (select count(*) from events) || ' ' || (select count(*) from transfers)")
	run "$QUAN" review --db "$DB" NOPE --approve --by r
	[ "$status" -eq 1 ]
	[[ "$output" == *"no application 'NOPE'"* ]]
	run "$QUAN" disburse --db "$DB" "$id" -5.00 --by f
	[ "$status" -eq 1 ]
	run "$QUAN" disburse --db "$DB" "$id" 0.00 --by f
	[ "$status" -eq 1 ]
	run "$QUAN" disburse --db "$DB" "$id" 10.00 --by f
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

# Applications C<i> (client_ref) for corpus: 300 000.00 each, so 90 000.00
# reserved each.
many() {
	for i in $(seq "$1" "$2"); do
		sed -E -e "s/\"client_ref\": *\"[^\"]*\"/\"client_ref\": \"C$i\"/" \
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
	run "$QUAN" apply --db "$DB" --by applicant "$EX/sh-model.json"
	id=$(numbers "$output")
	[ -n "$id" ]
	"$QUAN" review --db "$DB" "$id" --approve --by reviewer
	"$QUAN" review --db "$DB" "$id" --approve --by reviewer2 # 5 M: above 1 M, two approvers
	run "$QUAN" show --db "$DB" "$id"
	[ "$status" -eq 0 ]
	[[ "$output" == *"state      awarded"* ]]
	[[ "$output" == *"model.cap.per-contract"*"applied"* ]]
	[[ "$output" == *"reserve/$id"*"pending"*"5000000.00"* ]]
	[[ "$output" == *"award/$id"*"post"* ]]
	[[ "$output" == *"apply"*"applicant"* ]]
	[[ "$output" == *"approve"*"reviewer"* ]]
	run "$QUAN" show --db "$DB" "$id" --json
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
	read -r b1 b3 rest <<<"$(numbers "$output" | xargs)"
	[ -n "$b3" ] && [ -z "$rest" ]
	[[ "$(line_of "$output" "$b1")" == *"reserved"* ]]
	[[ "$output" == *"B2.json"*"more than two decimals"* ]]
	[[ "$(line_of "$output" "$b3")" == *"reserved"* ]]
	[ "$(sqlx "$DB" "select group_concat(client_ref || '=' || id) from (select * from applications order by seq)" \
		"select string_agg(client_ref || '=' || id, ',' order by seq) from applications")" = "B1=$b1,B3=$b3" ]
	run "$QUAN" ledger check --db "$DB"
	[ "$status" -eq 0 ]
	run "$QUAN" audit verify --db "$DB"
	[ "$status" -eq 0 ]
}

@test "a reservation not approved within reservation_days expires and frees its money" {
	sed -E "s/^    pool: compute$/    pool: compute\n    reservation_days: 30/" "$SH" >"$TMP/expiring.yaml"
	"$QUAN" init --db "$DB" --policy "$TMP/expiring.yaml" --by admin
	run "$QUAN" apply --db "$DB" --by a "$EX/sh-compute-rent.json"
	id=$(numbers "$output")
	[ -n "$id" ]
	# reserved at the office's clock, 2025-11-20T10:00+08:00: 29 and 31 days on
	run "$QUAN" expire --db "$DB" --by clerk --at 2025-12-19T10:00:00+08:00
	[ "$status" -eq 0 ]
	[[ "$output" == *"expired 0 reservations"* ]]
	# and expiry by the office's clock itself, 29 days on
	run env QUAN_NOW=2025-12-19T10:00:00+08:00 "$QUAN" expire --db "$DB" --by clerk
	[ "$status" -eq 0 ]
	[[ "$output" == *"expired 0 reservations"* ]]
	run "$QUAN" expire --db "$DB" --by clerk --at 2025-12-21T10:00:00+08:00
	[ "$status" -eq 0 ]
	[[ "$output" == *"expired 1 reservations"* ]]
	run "$QUAN" report --db "$DB" --json
	[[ "$output" == *'"expired": 1'* ]]
	[[ "$output" == *'"available": "600000000.00"'* ]]
	run "$QUAN" review --db "$DB" "$id" --approve --by reviewer
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
	r2=$(numbers "$output" | sed -n 2p)
	[ -n "$r2" ]
	run "$QUAN" round close --db "$DB" shanghai-2025 corpus 2025 --by admin
	[ "$status" -eq 0 ]
	[[ "$output" == *"asked 1530000.00, the pool had 1000000.00, reserved 1000000.00 (scaled pro rata)"* ]]
	# 90 000 000 x 100 000 000 / 153 000 000 fen = 58 823 529.41 -> 58 823 529, +1 fen
	# for the largest remainder (.41 > .31 > .27); 39 215 686.27; 1 960 784.31.
	[ "$(sqlx "$DB" "select group_concat(client_ref || '=' || requested, ' ') from (select * from applications order by seq)" \
		"select string_agg(client_ref || '=' || requested, ' ' order by seq) from applications")" = "R1=58823530 R2=39215686 R3=1960784" ]
	run "$QUAN" report --db "$DB" --json
	[[ "$output" == *'"available": "0.00"'* ]]
	[[ "$output" == *'"reserved": "1000000.00"'* ]]
	run "$QUAN" review --db "$DB" "$r2" --approve --by reviewer
	[ "$status" -eq 0 ]
	[[ "$output" == *"awarded 392156.86"* ]]
	run "$QUAN" ledger check --db "$DB"
	[ "$status" -eq 0 ]
	run "$QUAN" round close --db "$DB" shanghai-2025 compute-rent 2025 --by admin
	[ "$status" -eq 1 ]
}

@test "audit replay re-decides every application and names one whose record was altered" {
	"$QUAN" init --db "$DB" --policy "$SH" --by admin
	run --separate-stderr "$QUAN" apply --db "$DB" --by a --json "$EX"/sh-*.json
	[ "$status" -eq 0 ]
	model=$(jq -r 'select(.client_ref == "sh-model-1") | .application' <<<"$output")
	[[ "$model" == SH-2025-* ]]
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
	m2=$(numbers "$output")
	[ -n "$m2" ]
	[[ "$(line_of "$output" "$m2")" == *"reserved"*"800000.00"* ]]
	run "$QUAN" audit replay --db "$DB"
	[ "$status" -eq 0 ]
	[[ "$output" == *"8 applications re-decided, 0 differ"* ]]
	# The recorded amount, 5 000 000.00, becomes 6 000 000.00: in a decision
	# stored as JSON, or in the office's record of one (amounts in fen).
	recorded=$(sql "$DB" "select decision from applications where id = '$model'")
	sql "$DB" "update applications set decision = replace(replace(decision, '\"amount\":\"5000000.00\"', '\"amount\":\"6000000.00\"'), ' a500000000 ', ' a600000000 ') where id = '$model'"
	[ "$(sql "$DB" "select decision from applications where id = '$model'")" != "$recorded" ]
	run "$QUAN" audit replay --db "$DB"
	[ "$status" -eq 1 ]
	[[ "$output" == *"$model: the decision comes out differently"* ]]
	[[ "$output" == *"recorded: eligible yes, amount 6000000.00; now: eligible yes, amount 5000000.00"* ]]
}

@test "an institute grant of 500 M over 36 months is held in full from the commitment and paid as milestones post its tranches" {
	"$QUAN" init --db "$DB" --policy "$SH" --by admin
	# The institute pool is 500 M committed for 2025-2029: one row.
	inst() { "$QUAN" report --db "$DB" --json | jq -r ".pools[] | select(.pool == \"institute\") | $1"; }
	[ "$(inst '"\(.year) \(.commitment.from)-\(.commitment.until) \(.budget) \(.available)"')" = "2025 2025-2029 500000000.00 500000000.00" ]
	sed -E -e 's/"term_months": *60/"term_months": 36/' "$EX/sh-institute.json" >"$TMP/INST-36.json"
	run "$QUAN" apply --db "$DB" --by institute "$TMP/INST-36.json"
	[ "$status" -eq 0 ]
	id=$(numbers "$output")
	[ -n "$id" ]
	# 500 M over 3 years is reserved whole (not waitlisted): tranches of
	# 166 666 666.67, 166 666 666.67 and 166 666 666.66, the odd fen to
	# the earliest years, all from the one commitment.
	[[ "$(line_of "$output" "$id")" == *"reserved"*"500000000.00"* ]]
	[ "$(inst '"\(.reserved) \(.available)"')" = "500000000.00 0.00" ]
	[ "$(sql "$DB" "select id || ' ' || amount from transfers where id like 'reserve/$id/%' order by id" | tr '\n' ,)" = "reserve/$id/2025 16666666667,reserve/$id/2026 16666666667,reserve/$id/2027 16666666666," ]
	# A second grant finds the commitment ring-fenced: waitlisted.
	variant sh-institute.json INST-2 300000000.00
	run "$QUAN" apply --db "$DB" --by other "$TMP/INST-2.json"
	inst2=$(numbers "$output")
	[ -n "$inst2" ] && [ "$inst2" != "$id" ]
	[[ "$(line_of "$output" "$inst2")" == *"waitlisted"* ]]

	run "$QUAN" review --db "$DB" "$id" --approve --by reviewer
	[ "$status" -eq 0 ]
	run "$QUAN" disburse --db "$DB" "$id" 1.00 --by finance
	[ "$status" -eq 1 ]
	run "$QUAN" review --db "$DB" "$id" --approve --by reviewer2 # above 1 M: two approvers
	[ "$status" -eq 0 ]
	run "$QUAN" disburse --db "$DB" "$id" 1.00 --by finance
	[ "$status" -eq 1 ]
	[[ "$output" == *"only 0.00 of the award"*"left to pay"* ]]
	run "$QUAN" milestone --db "$DB" "$id" 2025 --why "institute registered, 120 researchers hired" --by reviewer
	[ "$status" -eq 0 ]
	[[ "$output" == *"tranche posted 166666666.67"* ]]
	run "$QUAN" milestone --db "$DB" "$id" 2025 --why "again" --by reviewer
	[ "$status" -eq 1 ]
	run "$QUAN" disburse --db "$DB" "$id" 166666666.68 --by finance
	[ "$status" -eq 1 ]
	run "$QUAN" disburse --db "$DB" "$id" 166666666.67 --by finance
	[ "$status" -eq 0 ]
	[ "$(inst '"\(.budget) \(.available) \(.reserved) \(.awarded) \(.paid) \(.applications.awarded) \(.applications.waitlisted)"')" = "500000000.00 0.00 333333333.33 0.00 166666666.67 1 1" ]
	run "$QUAN" ledger check --db "$DB"
	[ "$status" -eq 0 ]
	run "$QUAN" milestone --db "$DB" "$id" 2026 --why "first models released" --by reviewer
	[ "$status" -eq 0 ]
	[[ "$output" == *"tranche posted 166666666.67"* ]]
	run "$QUAN" clawback --db "$DB" "$id" 10000000.00 --why "equipment not bought" --by finance
	[ "$status" -eq 0 ]
	# The institute stops after two years: the tranche of 2027 still
	# ring-fenced returns to the commitment; 176 666 666.66 is free, too
	# little for the second grant's 300 M, which keeps waiting.
	run "$QUAN" withdraw --db "$DB" "$id" --by institute
	[ "$status" -eq 0 ]
	[ "$(inst '"\(.budget) \(.available) \(.reserved) \(.awarded) \(.paid) \(.recovered) \(.applications.waitlisted)"')" = "500000000.00 176666666.66 0.00 166666666.67 156666666.67 0.00 1" ]
	run "$QUAN" report --db "$DB"
	[[ "$output" == *"institute  2025     500000000.00     176666666.66             0.00     166666666.67     156666666.67"*"committed:2025-2029"* ]]
	run "$QUAN" ledger check --db "$DB"
	[ "$status" -eq 0 ]
	run "$QUAN" audit verify --db "$DB"
	[ "$status" -eq 0 ]
}

@test "an office that held the institute pool year by year keeps its grants when the commitment is loaded, and never holds more than 500 M" {
	# The earlier reading: 100 M in each fiscal year 2025-2029.
	awk '/^    commitment:$/ { print "    budgets:"; for (y = 2025; y <= 2029; y++) printf "      %d: \"100000000.00\"\n", y; skip = 3; next }
		skip > 0 { skip--; next } { print }' "$SH" >"$TMP/yearly.yaml"
	grep -q '2029: "100000000.00"' "$TMP/yearly.yaml"
	"$QUAN" init --db "$DB" --policy "$TMP/yearly.yaml" --by admin
	run "$QUAN" apply --db "$DB" --by institute "$EX/sh-institute.json"
	id=$(numbers "$output")
	[[ "$(line_of "$output" "$id")" == *"reserved"*"500000000.00"* ]]
	run "$QUAN" init --db "$DB" --policy "$SH" --by admin
	[ "$status" -eq 0 ]
	# One row of 500 M, all of it held by the grant (its tranches stay in
	# the accounts they were reserved in): a new grant waits.
	run --separate-stderr "$QUAN" report --db "$DB" --json
	[ "$(jq -r '.pools[] | select(.pool == "institute") | "\(.year) \(.budget) \(.available) \(.reserved)"' <<<"$output")" = "2025 500000000.00 0.00 500000000.00" ]
	run "$QUAN" ledger check --db "$DB"
	[ "$status" -eq 0 ]
	variant sh-institute.json INST-2 100000000.00
	run "$QUAN" apply --db "$DB" --by other "$TMP/INST-2.json"
	[[ "$(line_of "$output" "$(numbers "$output")")" == *"waitlisted"* ]]
	# The old grant is paid from its own year's accounts.
	"$QUAN" review --db "$DB" "$id" --approve --by reviewer
	"$QUAN" review --db "$DB" "$id" --approve --by reviewer2
	"$QUAN" milestone --db "$DB" "$id" 2027 --why "year three" --by reviewer
	run "$QUAN" disburse --db "$DB" "$id" 100000000.00 --by finance
	[ "$status" -eq 0 ]
	run "$QUAN" ledger check --db "$DB"
	[ "$status" -eq 0 ]
}

@test "each measure has its own yearly cap: a Chengdu compute voucher does not use up the model voucher's 1 M" {
	"$QUAN" init --db "$DB" --policy "$ROOT/policies/chengdu-2025.yaml" --by admin
	run "$QUAN" apply --db "$DB" --by applicant "$EX/cd-compute.json" "$EX/cd-model.json"
	[ "$status" -eq 0 ]
	# compute: 60 % of 2 000 000.00; model: 30 % of 12 months of 4 800 000.00
	# over a 24-month term = 30 % of 2 400 000.00, under the 1 M yearly cap
	read -r compute model rest <<<"$(numbers "$output" | xargs)"
	[ -z "$rest" ]
	# Chengdu numbers its own applications, from 1 in the fiscal year
	[ "$compute" = CD-2025-000001 ] && [ "$model" = CD-2025-000002 ]
	[[ "$(line_of "$output" "$compute")" == *"reserved"*"1200000.00"* ]]
	[[ "$(line_of "$output" "$model")" == *"reserved"*"720000.00"* ]]
}

# --- the office's clock and numbers ---------------------------------------------

@test "the office numbers and stamps what it receives: PREFIX-YEAR-NNNNNN first on each line, received_at from its own clock" {
	"$QUAN" init --db "$DB" --policy "$SH" --by admin
	run --separate-stderr env QUAN_NOW=2025-09-01T10:00:00+08:00 \
		"$QUAN" apply --db "$DB" --by applicant "$EX/sh-compute-rent.json"
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^SH-2025-000001\ +reserved\ +360000.00$ ]]
	# the CLI says on stderr whose clock it is
	[[ "$stderr" == *"the office's clock is set by QUAN_NOW to 2025-09-01T10:00:00+08:00"* ]]

	run --separate-stderr "$QUAN" apply --db "$DB" --by applicant --json "$EX/sh-model.json" "$EX/sh-corpus.json"
	[ "$status" -eq 0 ]
	[ "$(wc -l <<<"$output")" -eq 2 ]
	[ "$(head -1 <<<"$output" | jq -c '{application, client_ref, received_at, state, existed}')" = \
		'{"application":"SH-2025-000002","client_ref":"sh-model-1","received_at":"2025-11-20T10:00:00+08:00","state":"reserved","existed":false}' ]
	[ "$(head -1 <<<"$output" | jq -r 'keys_unsorted[0:4] | join(",")')" = application,client_ref,received_at,state ]
	[ "$(tail -1 <<<"$output" | jq -r '.application + " " + .client_ref')" = "SH-2025-000003 sh-corpus-1" ]

	run --separate-stderr "$QUAN" show --db "$DB" SH-2025-000001 --json
	[ "$status" -eq 0 ]
	[ "$(jq -r '.client_ref + " " + .received_at + " " + (.fiscal_year | tostring)' <<<"$output")" = \
		"sh-compute-rent-1 2025-09-01T10:00:00+08:00 2025" ]
	[ "$(jq -r '.decision.application + " " + .decision.received_at' <<<"$output")" = \
		"SH-2025-000001 2025-09-01T10:00:00+08:00" ]
	[ "$(jq '[.. | objects | select(has("submitted_at"))] | length' <<<"$output")" -eq 0 ]
	[ "$(jq -r '.application | has("id")' <<<"$output")" = false ]
	run "$QUAN" show --db "$DB" SH-2025-000001
	[[ "$output" == *"SH-2025-000001"* ]]

	# Every event written on a clock set by QUAN_NOW says so; the apply
	# event records when the application was received.
	[ "$(sql "$DB" "select count(*) from events where detail not like '%\"clock\":\"QUAN_NOW\"%'")" -eq 0 ]
	[ "$(sql "$DB" "select detail from events where action = 'apply' and subject = 'SH-2025-000001'")" = \
		"$(sql "$DB" "select detail from events where subject = 'SH-2025-000001'")" ]
	[[ "$(sql "$DB" "select detail from events where subject = 'SH-2025-000001'")" == \
		*'"client_ref":"sh-compute-rent-1"'*'"received_at":"2025-09-01T10:00:00+08:00"'* ]]
	[ "$(sql "$DB" "select at from events where subject = 'SH-2025-000001'")" -eq "$(date -d 2025-09-01T10:00:00+08:00 +%s)" ]
	run "$QUAN" audit verify --db "$DB"
	[ "$status" -eq 0 ]
}

@test "the number restarts each fiscal year, and the fiscal year and pool follow the time of receipt" {
	"$QUAN" init --db "$DB" --policy "$ROOT/policies/shenzhen-2024.yaml" --by admin
	# Shenzhen's window runs into 2026, with a budget for each year.
	run env QUAN_NOW=2025-12-31T23:59:59+08:00 "$QUAN" apply --db "$DB" --by a "$EX/sz-training.json"
	[ "$status" -eq 0 ]
	late=$(numbers "$output")
	[ "$late" = SZ-2025-000001 ]
	[[ "$(line_of "$output" "$late")" == *"reserved"*"1800000.00"* ]]
	sed -E -e 's/"client_ref": "[^"]*"/"client_ref": "sz-training-2"/' \
		-e 's/"number": "[^"]*"/"number": "SZ-HT-2"/' "$EX/sz-training.json" >"$TMP/sz2.json"
	# one second later, in the office's calendar (UTC+8), it is 2026
	run env QUAN_NOW=2025-12-31T16:00:00Z "$QUAN" apply --db "$DB" --by a --json "$TMP/sz2.json"
	[ "$status" -eq 0 ]
	[ "$(json_lines "$output" | jq -r '.application + " " + .received_at + " " + .state')" = \
		"SZ-2026-000001 2026-01-01T00:00:00+08:00 reserved" ]
	[ "$(sql "$DB" "select fiscal_year from applications where id = 'SZ-2026-000001'")" -eq 2026 ]
	run --separate-stderr "$QUAN" report --db "$DB" --json
	[ "$(jq -r '[.pools[] | select(.pool == "training") | "\(.year)=\(.reserved)"] | join(" ")' <<<"$output")" = \
		"2025=1800000.00 2026=1800000.00" ]
	run "$QUAN" ledger check --db "$DB"
	[ "$status" -eq 0 ]
}

@test "submitted_at or id in an application is an unknown field, and never moves the window or the fiscal year" {
	"$QUAN" init --db "$DB" --policy "$SH" --by admin
	late=2026-03-02T10:00:00+08:00 # Shanghai's window closed on 2025-12-31
	events=$(sql "$DB" 'select count(*) from events')
	# An application that claims to have been submitted inside the window
	sed 's/"program":/"submitted_at": "2025-08-01T10:00:00+08:00", "program":/' \
		"$EX/sh-compute-rent.json" >"$TMP/claims.json"
	run env QUAN_NOW=$late "$QUAN" apply --db "$DB" --by a "$TMP/claims.json"
	[ "$status" -eq 1 ]
	[[ "$output" == *"claims.json: unknown field 'submitted_at'"* ]]
	[ -z "$(numbers "$output")" ]
	# nor chooses its number, nor says when it was received
	sed 's/"program":/"id": "SH-2025-000001", "program":/' "$EX/sh-compute-rent.json" >"$TMP/id.json"
	sed 's/"program":/"received_at": "2025-08-01T10:00:00+08:00", "program":/' \
		"$EX/sh-compute-rent.json" >"$TMP/received.json"
	run env QUAN_NOW=$late "$QUAN" apply --db "$DB" --by a "$TMP/id.json" "$TMP/received.json"
	[ "$status" -eq 1 ]
	[[ "$output" == *"id.json: unknown field 'id'"* ]]
	[[ "$output" == *"received.json: unknown field 'received_at'"* ]]
	[ "$(sql "$DB" 'select count(*) from applications')" -eq 0 ]
	[ "$(sql "$DB" 'select count(*) from events')" -eq "$events" ]
	run "$QUAN" estimate --policy "$SH" --at 2025-09-01T10:00:00+08:00 "$TMP/claims.json"
	[ "$status" -eq 1 ]
	[[ "$output" == *"submitted_at"* ]]

	# The same application without it, received late: recorded, ineligible
	# on the window, in fiscal year 2026, nothing reserved.
	run env QUAN_NOW=$late "$QUAN" apply --db "$DB" --by a "$EX/sh-compute-rent.json"
	[ "$status" -eq 0 ]
	id=$(numbers "$output")
	[ "$id" = SH-2026-000001 ]
	[[ "$(line_of "$output" "$id")" == *"ineligible"* ]]
	run --separate-stderr "$QUAN" show --db "$DB" "$id" --json
	[ "$(jq -r '.received_at + " " + (.fiscal_year | tostring)' <<<"$output")" = "$late 2026" ]
	[ "$(jq -r '[.decision.reasons[].rule] | join(",")' <<<"$output")" = compute-rent.window ]
	run "$QUAN" report --db "$DB" --json
	[[ "$output" == *'"available": "600000000.00"'* ]]
	[[ "$output" != *'"reserved": "360000.00"'* ]]
}

@test "client_ref is the applicant firm's idempotency key: a retry answers the same number and writes nothing; other bytes are refused; another firm's ref is its own" {
	"$QUAN" init --db "$DB" --policy "$SH" --by admin
	run "$QUAN" apply --db "$DB" --by a "$EX/sh-compute-rent.json"
	[ "$status" -eq 0 ]
	a1=$(numbers "$output")
	[ -n "$a1" ]
	state() { sql "$DB" "select (select count(*) from applications) || ' ' || (select count(*) from events) || ' ' || (select count(*) from transfers)"; }
	before=$(state)

	# the same firm, ref and bytes: the recorded answer, nothing new
	run --separate-stderr "$QUAN" apply --db "$DB" --by a --json "$EX/sh-compute-rent.json"
	[ "$status" -eq 0 ]
	[ "$(jq -c '{application, client_ref, received_at, state, amount, existed}' <<<"$output")" = \
		"{\"application\":\"$a1\",\"client_ref\":\"sh-compute-rent-1\",\"received_at\":\"$QUAN_NOW\",\"state\":\"reserved\",\"amount\":\"360000.00\",\"existed\":true}" ]
	# received later, the retry keeps the time of the first receipt
	run --separate-stderr env QUAN_NOW=2025-11-21T10:00:00+08:00 "$QUAN" apply --db "$DB" --by a --json "$EX/sh-compute-rent.json"
	[ "$(jq -r '.application + " " + .received_at + " " + (.existed | tostring)' <<<"$output")" = "$a1 $QUAN_NOW true" ]
	[ "$(state)" = "$before" ]

	# the same firm and ref, other bytes (even one more space): refused
	sed 's/"value": "1200000.00"/"value":  "1200000.00"/' "$EX/sh-compute-rent.json" >"$TMP/spaced.json"
	run "$QUAN" apply --db "$DB" --by a "$TMP/spaced.json"
	[ "$status" -eq 1 ]
	[[ "$output" == *"client_ref"*"was used by this firm for another application"* ]]
	[ "$(state)" = "$before" ]

	# another firm, the same ref: another key, its own new number
	sed -E 's/"client_ref": "[^"]*"/"client_ref": "sh-compute-rent-1"/' "$EX/sh-corpus.json" >"$TMP/b.json"
	run "$QUAN" apply --db "$DB" --by b "$TMP/b.json"
	[ "$status" -eq 0 ]
	b1=$(numbers "$output")
	[ -n "$b1" ] && [ "$b1" != "$a1" ]
	[[ "$(line_of "$output" "$b1")" == *"reserved"*"900000.00"* ]]
	[[ "$(line_of "$output" "$b1")" != *"submitted before"* ]]
	run "$QUAN" apply --db "$DB" --by b "$TMP/b.json"
	[ "$(numbers "$output")" = "$b1" ]
	[[ "$output" == *"submitted before"* ]]
	[ "$(sql "$DB" "select id || ' ' || uscc from applications where client_ref = 'sh-compute-rent-1' order by seq" | tr '\n' ,)" = \
		"$a1 91310115MA1K4ABCDD,$b1 91310000MA1FL8WR2F," ]

	# without a client_ref there is no key: each submission is a new
	# application (the second claim of the contract is blocked)
	sed '/"client_ref"/d' "$EX/sh-model.json" >"$TMP/noref.json"
	run "$QUAN" apply --db "$DB" --by c "$TMP/noref.json" "$TMP/noref.json"
	read -r n1 n2 rest <<<"$(numbers "$output" | xargs)"
	[ -n "$n2" ] && [ "$n1" != "$n2" ] && [ -z "$rest" ]
	[[ "$(line_of "$output" "$n1")" == *"reserved"* ]]
	[[ "$(line_of "$output" "$n2")" == *"ineligible"*"duplicate_claim (blocked)"* ]]

	# the reference's alphabet and length
	ref64=$(printf 'r%.0s' $(seq 64))
	for bad in "has space" "ref/slash" "" "${ref64}x"; do
		sed -E "s|\"client_ref\": \"[^\"]*\"|\"client_ref\": \"$bad\"|" "$EX/sh-model.json" >"$TMP/bad.json"
		run "$QUAN" apply --db "$DB" --by c "$TMP/bad.json"
		[ "$status" -eq 1 ]
		[[ "$output" == *"client_ref"* ]]
	done
	sed -E "s|\"client_ref\": \"[^\"]*\"|\"client_ref\": \"A-z_0.9${ref64:7}\"|" \
		"$EX/sh-compute-build.json" >"$TMP/ok.json"
	run "$QUAN" apply --db "$DB" --by c "$TMP/ok.json"
	[ "$status" -eq 0 ]
	[[ "$output" == *"reserved"* ]]
	[ "$(sql "$DB" "select length(client_ref) from applications where client_ref like 'A-z_0.9%'")" -eq 64 ]
}

@test "quan apply --received-at imports historical applications into their window, audited as imports" {
	"$QUAN" init --db "$DB" --policy "$SH" --by admin
	late=2026-03-02T10:00:00+08:00
	run --separate-stderr env QUAN_NOW=$late "$QUAN" apply --db "$DB" --by ada \
		--received-at 2025-09-01T10:00:00+08:00 --json "$EX/sh-compute-rent.json" "$EX/sh-model.json"
	[ "$status" -eq 0 ]
	[ "$(jq -r '.application + " " + .received_at + " " + .state' <<<"$output" | tr '\n' ,)" = \
		"SH-2025-000001 2025-09-01T10:00:00+08:00 reserved,SH-2025-000002 2025-09-01T10:00:00+08:00 reserved," ]
	# The chain says who imported what, when it was received, and when the
	# office recorded it.
	[ "$(sql "$DB" "select who || ':' || action || ':' || subject from events where subject like 'SH-%' order by seq" | tr '\n' ,)" = \
		"ada:import:SH-2025-000001,ada:import:SH-2025-000002," ]
	[[ "$(sql "$DB" "select detail from events where subject = 'SH-2025-000001'")" == \
		*'"clock":"QUAN_NOW"'*'"imported":true'*'"received_at":"2025-09-01T10:00:00+08:00"'* ]]
	[ "$(sql "$DB" "select at from events where subject = 'SH-2025-000001'")" -eq "$(date -d "$late" +%s)" ]
	run "$QUAN" show --db "$DB" SH-2025-000001
	[[ "$output" == *"import"*"ada"* ]]
	# The same clock without --received-at: received now, after the window.
	run env QUAN_NOW=$late "$QUAN" apply --db "$DB" --by ada "$EX/sh-corpus.json"
	[ "$status" -eq 0 ]
	[ "$(numbers "$output")" = SH-2026-000001 ]
	[[ "$(line_of "$output" SH-2026-000001)" == *"ineligible"* ]]
	[ "$(sql "$DB" "select action from events where subject = 'SH-2026-000001'")" = apply ]
	# An import is of the past: received after the office's now is refused.
	run env QUAN_NOW=2025-11-20T10:00:00+08:00 "$QUAN" apply --db "$DB" --by ada \
		--received-at 2025-11-21T10:00:00+08:00 "$EX/sh-compute-early.json"
	[ "$status" -eq 1 ]
	[[ "$output" == *"received_at"*"after the office's now"* ]]
	# An import is checked like any application.
	run env QUAN_NOW=$late "$QUAN" apply --db "$DB" --by ada --received-at 2025-10-14T10:00:00+08:00 "$EX/sh-institute.json"
	[ "$status" -eq 1 ]
	[[ "$output" == *"contract.signed_on"*"2025-10-15"*"received on 2025-10-14"* ]]
	run "$QUAN" apply --db "$DB" --by ada --received-at 2025-09-31T10:00:00+08:00 "$EX/sh-compute-early.json"
	[ "$status" -eq 1 ]
	[[ "$output" == *"--received-at"* ]]
	run "$QUAN" apply --db "$DB" --by ada --received-at "$EX/sh-compute-early.json"
	[ "$status" -eq 1 ]
	[ "$(sql "$DB" 'select count(*) from applications')" -eq 3 ]
	run "$QUAN" audit replay --db "$DB"
	[ "$status" -eq 0 ]
	[[ "$output" == *"3 applications re-decided, 0 differ"* ]]
	run "$QUAN" audit verify --db "$DB"
	[ "$status" -eq 0 ]
	run "$QUAN" ledger check --db "$DB"
	[ "$status" -eq 0 ]
}

@test "a contract signed after the day the office received the application is refused; on that day it is not" {
	"$QUAN" init --db "$DB" --policy "$SH" --by admin
	# sh-compute-rent.json is signed on 2025-08-15; the office's calendar is UTC+8
	run env QUAN_NOW=2025-08-14T15:59:59Z "$QUAN" apply --db "$DB" --by a "$EX/sh-compute-rent.json"
	[ "$status" -eq 1 ]
	[[ "$output" == *"contract.signed_on"*"2025-08-15"*"received on 2025-08-14"* ]]
	[ -z "$(numbers "$output")" ]
	[ "$(sql "$DB" 'select count(*) from applications')" -eq 0 ]
	run --separate-stderr env QUAN_NOW=2025-08-14T16:00:00Z "$QUAN" apply --db "$DB" --by a --json "$EX/sh-compute-rent.json"
	[ "$status" -eq 0 ]
	[ "$(jq -r '.received_at + " " + .state' <<<"$output")" = "2025-08-15T00:00:00+08:00 reserved" ]
}

@test "settle: the award is decided again on the settled value and the difference returns to the pool" {
	"$QUAN" init --db "$DB" --policy "$SH" --by admin
	# The corpus voucher: 30% of 3 000 000.00 = 900 000.00, one approver.
	run "$QUAN" apply --db "$DB" --by a "$EX/sh-corpus.json"
	id=$(numbers "$output")
	[[ "$(line_of "$output" "$id")" == *"reserved"*"900000.00"* ]]
	# Reserved: the approval is where an approved value is decided.
	run "$QUAN" settle --db "$DB" "$id" --value 2000000.00 --by reviewer
	[ "$status" -eq 1 ]
	[[ "$output" == *"is reserved, not yet awarded: approve it at the approved value instead"* ]]
	run "$QUAN" review --db "$DB" "$id" --approve --by reviewer
	[[ "$output" == *"awarded 900000.00"* ]]
	through_notice "$DB" shanghai-2025 >/dev/null # its 5-working-day notice (公示)
	events=$(sql "$DB" 'select count(*) from events')
	# Above the face value: a new application, nothing written.
	run "$QUAN" settle --db "$DB" "$id" --value 3000000.01 --by reviewer
	[ "$status" -eq 1 ]
	[[ "$output" == *"the settled value 3000000.01 is above the contract's face value 3000000.00: a larger incurred amount needs a new application"* ]]
	run "$QUAN" settle --db "$DB" "$id" --by reviewer
	[ "$status" -eq 1 ]
	run "$QUAN" settle --db "$DB" "$id" --value 2000000.00
	[ "$status" -eq 1 ]
	[ "$(sql "$DB" 'select count(*) from events')" -eq "$events" ]
	run "$QUAN" disburse --db "$DB" "$id" 500000.00 --by finance
	[ "$status" -eq 0 ]
	# 30% of 1 000 000.00 is 300 000.00, below the 500 000.00 paid.
	run "$QUAN" settle --db "$DB" "$id" --value 1000000.00 --by reviewer
	[ "$status" -eq 1 ]
	[[ "$output" == *"would be awarded 300000.00, less than the 500000.00 already paid: a clawback recovers money paid"* ]]
	# 30% of 2 345 678.91 = 703 703.673, rounded down: 703 703.67;
	# 900 000.00 - 703 703.67 = 196 296.33 back to the pool.
	run "$QUAN" settle --db "$DB" "$id" --value 2345678.91 --by reviewer --invoice FP-2025-001 --invoice FP-2025-002
	[ "$status" -eq 0 ]
	[[ "$output" == *"$id awarded 703703.67 released 196296.33 (was 900000.00)"* ]]
	corpus=$("$QUAN" report --db "$DB" --json 2>/dev/null | jq -c '.pools[] | select(.pool == "corpus")')
	[ "$(jq -r .available <<<"$corpus")" = 99296296.33 ] # 100 M - 900 000.00 + 196 296.33
	[ "$(jq -r .awarded <<<"$corpus")" = 203703.67 ]     # 703 703.67 - 500 000.00 paid
	[ "$(jq -r .paid <<<"$corpus")" = 500000.00 ]
	run --separate-stderr "$QUAN" show --db "$DB" "$id" --json
	[ "$(jq -r .state <<<"$output")" = awarded ]
	[ "$(jq -r .awarded <<<"$output")" = 703703.67 ]
	# The decision made at application stays; the settled one is beside it.
	[ "$(jq -r .decision.amount <<<"$output")" = 900000.00 ]
	[ "$(jq -r .settlement.decision.amount <<<"$output")" = 703703.67 ]
	[ "$(jq -r .settlement.decision.base <<<"$output")" = 2345678.91 ]
	[ "$(jq -r '.settlement.invoices | join(",")' <<<"$output")" = FP-2025-001,FP-2025-002 ]
	[ "$(jq -r .settlement.released <<<"$output")" = 196296.33 ]
	[ "$(jq -r '[.history[] | .action] | join(",")' <<<"$output")" = apply,approve,disburse,settle ]
	[ "$(jq -r '[.transfers[] | select(.id | startswith("settle/")) | .amount] | join(",")' <<<"$output")" = 196296.33 ]
	run "$QUAN" show --db "$DB" "$id"
	[[ "$output" == *"settlement value 2345678.91 of 3000000.00: awarded 703703.67 (was 900000.00), released 196296.33"* ]]
	[[ "$output" == *"settled    eligible, rate 30%, amount 703703.67"* ]]
	# A larger value at or below the face value never raises the award.
	run "$QUAN" settle --db "$DB" "$id" --value 3000000.00 --by reviewer
	[ "$status" -eq 0 ]
	[[ "$output" == *"awarded 703703.67 released 0.00 (was 703703.67)"* ]]
	run "$QUAN" ledger check --db "$DB"
	[ "$status" -eq 0 ]
	run "$QUAN" audit verify --db "$DB"
	[ "$status" -eq 0 ]
	run "$QUAN" audit replay --db "$DB"
	[ "$status" -eq 0 ]
	[[ "$output" == *"0 differ"* ]]
}

@test "settle: money a settlement releases serves the waitlist; a grant is not settled" {
	small_policy 1000000.00
	"$QUAN" init --db "$DB" --policy "$TMP/small.yaml" --by admin
	run "$QUAN" apply --db "$DB" --by a "$EX/sh-corpus.json"
	first=$(numbers "$output") # 900 000.00 of the pool's 1 M
	variant sh-corpus.json CORP-2 1000000.00
	run "$QUAN" apply --db "$DB" --by a "$TMP/CORP-2.json"
	second=$(numbers "$output") # 300 000.00: only 100 000.00 left
	[[ "$(line_of "$output" "$second")" == *"waitlisted"* ]]
	"$QUAN" review --db "$DB" "$first" --approve --by reviewer
	# 30% of 2 000 000.00 = 600 000.00: 300 000.00 back, and the
	# waitlisted application fits now.
	run "$QUAN" settle --db "$DB" "$first" --value 2000000.00 --by reviewer
	[ "$status" -eq 0 ]
	[[ "$output" == *"awarded 600000.00 released 300000.00"* ]]
	run --separate-stderr "$QUAN" show --db "$DB" "$second" --json
	[ "$(jq -r .state <<<"$output")" = reserved ]
	corpus=$("$QUAN" report --db "$DB" --json 2>/dev/null | jq -c '.pools[] | select(.pool == "corpus")')
	[ "$(jq -r .available <<<"$corpus")" = 100000.00 ]
	[ "$(jq -r .reserved <<<"$corpus")" = 300000.00 ]
	[ "$(jq -r .awarded <<<"$corpus")" = 600000.00 ]

	run "$QUAN" apply --db "$DB" --by institute "$EX/sh-institute.json"
	inst=$(numbers "$output")
	run "$QUAN" settle --db "$DB" "$inst" --value 100.00 --by reviewer
	[ "$status" -eq 1 ]
	[[ "$output" == *"is a grant: its tranches follow its milestones"* ]]
	run "$QUAN" ledger check --db "$DB"
	[ "$status" -eq 0 ]
}

@test "a user name taken already is refused in words, not as a database error" {
	"$QUAN" init --db "$DB" --policy "$SH" --by admin
	run "$QUAN" user add --db "$DB" rita --role reviewer
	[ "$status" -eq 0 ]
	run "$QUAN" user add --db "$DB" rita --role finance
	[ "$status" -eq 1 ]
	[[ "$output" == *"quan: a user 'rita' exists already" ]]
	[[ "$output" != *"SQLITE"* && "$output" != *"UNIQUE"* ]]
	run "$QUAN" user remove --db "$DB" nobody
	[ "$status" -eq 1 ]
	[[ "$output" == *"quan: no user 'nobody'" ]]
}

@test "the report reads running totals kept by triggers; ledger check holds them equal to the accounts and applications" {
	"$QUAN" init --db "$DB" --policy "$SH" --by admin
	"$QUAN" apply --db "$DB" --by applicant "$EX"/sh-*.json >/dev/null
	"$QUAN" review --db "$DB" SH-2025-000003 --approve --by reviewer >/dev/null
	through_notice "$DB" shanghai-2025 >/dev/null # its 5-working-day notice (公示)
	"$QUAN" disburse --db "$DB" SH-2025-000003 1000.00 --by finance >/dev/null
	report=$("$QUAN" report --db "$DB" --json 2>/dev/null)
	[ "$(jq -r '[.pools[] | .paid] | map(select(. != "0.00")) | join(",")' <<<"$report")" = 1000.00 ]
	[ "$(jq -r '[.pools[] | .applications.awarded] | add' <<<"$report")" -eq 1 ]
	run "$QUAN" ledger check --db "$DB"
	[ "$status" -eq 0 ]
	# A running total edited behind the office's back is caught.
	sql "$DB" "UPDATE app_tallies SET n = n + 1 WHERE state = 'awarded'"
	sql "$DB" "UPDATE account_tallies SET credits_posted = credits_posted + 1 WHERE prefix LIKE '%/paid'"
	run "$QUAN" ledger check --db "$DB"
	[ "$status" -eq 1 ]
	[[ "$output" == *"the running totals count 2 awarded applications, the store holds 1"* ]]
	[[ "$output" == *"the running totals say awarded"*"paid 1000.01; the accounts"*"1000.00"* ]]
}
