#!/usr/bin/env bats
# End-to-end: the bundled Shanghai 2025 policy, as shipped, posts its awards
# in a public notice (公示) of 5 working days before any is paid (an
# assumption: publishing awards before payment is the common practice of
# the city's programs). Without a notice, or before it is closed, payment
# is refused on the CLI (exit 1) and over HTTP (409), naming the notice;
# after it is opened and closed the award is paid. SQLite, or PostgreSQL
# with QUAN_TEST_DB.

load db

bats_require_minimum_version 1.5.0

setup() {
	QUAN=${QUAN:-$BATS_TEST_DIRNAME/../../build/quan}
	# Thursday 20 November 2025: a notice opened today runs to Wednesday
	# the 26th, and can be closed from the 27th.
	export QUAN_NOW=2025-11-20T10:00:00+08:00
	ROOT=$BATS_TEST_DIRNAME/../..
	SH=$ROOT/policies/shanghai-2025.yaml
	EX=$ROOT/examples/applications
	TMP=$(mktemp -d)
	DB=$(new_db "$TMP/office.db")
	"$QUAN" init --db "$DB" --policy "$SH" --by admin >/dev/null 2>&1
}

teardown() {
	[ -f "$TMP/serve.pid" ] && kill "$(cat "$TMP/serve.pid")" 2>/dev/null || true
	drop_db "$DB"
	rm -rf "$TMP"
}

# An awarded application of example $1: its number on stdout.
awarded() {
	local id
	id=$(numbers "$("$QUAN" apply --db "$DB" --by applicant "$EX/$1.json" 2>/dev/null)")
	"$QUAN" review --db "$DB" "$id" --approve --by reviewer >/dev/null 2>&1
	echo "$id"
}

paid() {
	sql "$DB" "select paid from applications where id = '$1'"
}

@test "the bundled policy requires a notice of 5 working days on every measure but the grant, as an assumption in both languages" {
	run "$QUAN" policy check "$SH"
	[ "$status" -eq 0 ]
	# one notice for the program, taken by every measure but the
	# institute grant; the says and the assumption in Chinese are the
	# office's own words
	[ "$(grep -c '^ *public_notice:' "$SH")" -eq 1 ]
	[ "$(grep -A6 '^public_notice:' "$SH" | grep -c '^  working_days: 5$')" -eq 1 ]
	[ "$(grep -A6 '^public_notice:' "$SH" | grep -c 'says_zh_source: office')" -eq 1 ]
	[ "$(grep -A6 '^public_notice:' "$SH" | grep -c "assumption: \"no text read here sets a public notice; publishing the proposed awards before payment is the common practice of the city's programs")" -eq 1 ]
	[ "$(grep -A6 '^public_notice:' "$SH" | grep -c 'assumption_zh: "此处读过的文本未规定公示；拨付前公布拟资助名单是本市各项目的通行做法')" -eq 1 ]
	[ "$(grep -c 'notice of 5 working days$' <<<"$output")" -eq 6 ]
	[[ "$(grep '^  measure   institute ' <<<"$output")" != *notice* ]]
}

@test "CLI: a Shanghai award with no notice, or in one not closed, is refused (exit 1, naming it); opened and closed, it is paid" {
	id=$(awarded sh-compute-rent) # 360 000.00
	events=$(sql "$DB" "select count(*) from events")
	run "$QUAN" disburse --db "$DB" "$id" 100000.00 --by finance
	[ "$status" -eq 1 ]
	[[ "$output" == *"measure 'compute-rent' requires a public notice of 5 working days before payment: application '$id' has been in none (quan notice open)"* ]]
	# a payment batch is refused too, and lists it
	run --separate-stderr "$QUAN" batch new --db "$DB" "$id" --account "$id=6222 1" --by fay
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"public notice"* ]]
	[ "$(sql "$DB" "select count(*) from events")" -eq "$events" ]
	[ "$(paid "$id")" -eq 0 ]

	run "$QUAN" notice open --db "$DB" shanghai-2025 --by admin
	[ "$status" -eq 0 ]
	[[ "$output" == *"shanghai-2025-notice-1 shanghai-2025 posts 1 award(s) from 2025-11-20 to 2025-11-26 (5 working days)"* ]]
	run "$QUAN" disburse --db "$DB" "$id" 100000.00 --by finance
	[ "$status" -eq 1 ]
	[[ "$output" == *"is in public notice 'shanghai-2025-notice-1' until 2025-11-26"* ]]
	QUAN_NOW=2025-11-26T17:00:00+08:00 run "$QUAN" notice close --db "$DB" shanghai-2025-notice-1 --by admin
	[ "$status" -eq 1 ]
	QUAN_NOW=2025-11-27T09:00:00+08:00 run "$QUAN" disburse --db "$DB" "$id" 100000.00 --by finance
	[ "$status" -eq 1 ]
	[[ "$output" == *"ended on 2025-11-26 but is not closed"* ]]
	[ "$(paid "$id")" -eq 0 ]

	QUAN_NOW=2025-11-27T09:00:00+08:00 run --separate-stderr "$QUAN" notice close --db "$DB" shanghai-2025-notice-1 --by admin
	[ "$status" -eq 0 ]
	[ "$output" = "shanghai-2025-notice-1 closed: it ran to 2025-11-26; 1 award(s) may be paid" ]
	QUAN_NOW=2025-11-27T09:10:00+08:00 run "$QUAN" disburse --db "$DB" "$id" 100000.00 --by finance
	[ "$status" -eq 0 ]
	[ "$(paid "$id")" -eq 10000000 ]
	run "$QUAN" ledger check --db "$DB"
	[ "$status" -eq 0 ]
	run "$QUAN" audit verify --db "$DB"
	[ "$status" -eq 0 ]
}

@test "HTTP: disburse is 409 naming the notice until it is closed; the server's earlier clock pays once a later close has run" {
	id=$(awarded sh-corpus) # 900 000.00
	fin=$("$QUAN" user add --db "$DB" fay --role finance 2>/dev/null)
	serve_bg "$TMP/serve" "$DB"
	url=$URL
	disburse() { # the status, then the body
		curl -s -o "$TMP/body" -w '%{http_code}\n' -X POST "$url/v1/applications/$id/disburse" \
			-H "Authorization: Bearer $fin" -H 'Content-Type: application/json' \
			--data-binary '{"amount":"900000.00"}'
		cat "$TMP/body"
	}
	out=$(disburse)
	[ "$(head -1 <<<"$out")" = 409 ]
	[ "$(tail -n +2 <<<"$out" | jq -r .error.code)" = conflict ]
	[[ "$(tail -n +2 <<<"$out" | jq -r .error.message)" == *"measure 'corpus' requires a public notice of 5 working days before payment: application '$id' has been in none"* ]]

	nid=$("$QUAN" notice open --db "$DB" shanghai-2025 "$id" --by admin 2>/dev/null | awk '{ print $1; exit }')
	[ "$nid" = shanghai-2025-notice-1 ]
	out=$(disburse)
	[ "$(head -1 <<<"$out")" = 409 ]
	[[ "$(tail -n +2 <<<"$out" | jq -r .error.message)" == *"in public notice 'shanghai-2025-notice-1' until 2025-11-26"* ]]
	[ "$(paid "$id")" -eq 0 ]

	# closed on the CLI a week on; the server's clock still reads the 20th
	QUAN_NOW=2025-11-27T09:00:00+08:00 "$QUAN" notice close --db "$DB" "$nid" --by admin >/dev/null 2>&1
	out=$(disburse)
	[ "$(head -1 <<<"$out")" = 200 ]
	[ "$(tail -n +2 <<<"$out" | jq -r .paid)" = 900000.00 ]
	[ "$(paid "$id")" -eq 90000000 ]
	kill "$(cat "$TMP/serve.pid")"
	wait "$(cat "$TMP/serve.pid")" 2>/dev/null || true
	rm "$TMP/serve.pid"
	run "$QUAN" audit verify --db "$DB"
	[ "$status" -eq 0 ]
}

@test "the through_notice helper posts and closes, so the tests that pay keep their meaning" {
	id=$(awarded sh-compute-rent)
	run "$QUAN" disburse --db "$DB" "$id" 1.00 --by finance
	[ "$status" -eq 1 ]
	run --separate-stderr through_notice "$DB" shanghai-2025 "$id"
	[ "$status" -eq 0 ]
	[ "$output" = shanghai-2025-notice-1 ]
	[ "$(sql "$DB" "select count(*) from events where action in ('notice-open', 'notice-close')")" -eq 2 ]
	run "$QUAN" disburse --db "$DB" "$id" 1.00 --by finance
	[ "$status" -eq 0 ]
}

@test "quan demo opens its notices after the approvals and closes them before its payments; one still runs at its clock" {
	drop_db "$DB"
	DB=$(new_db "$TMP/demo.db")
	run --separate-stderr "$QUAN" demo --db "$DB" --count 300 --seed 2025 --policy "$SH"
	[ "$status" -eq 0 ]
	[[ "$output" == *"public notices ("*" closed, "* ]]
	# paid awards, every one of them (but a grant's) in a notice closed
	# before its first payment
	[ "$(sql "$DB" "select count(*) from applications where paid > 0")" -ge 10 ]
	[ "$(sql "$DB" "select count(*) from applications a where a.paid > 0 and a.measure <> 'institute' and not exists (select 1 from notice_awards w join notices n on n.id = w.notice_id where w.app_id = a.id and n.closed_at > 0)")" -eq 0 ]
	# closed before (or as) the award's first payment
	[ "$(sql "$DB" "select count(*) from events where action = 'disburse'")" -gt 0 ]
	[ "$(sql "$DB" "select count(*) from applications a join notice_awards w on w.app_id = a.id join notices n on n.id = w.notice_id where a.paid > 0 and n.closed_at > (select min(t.at) from events t where t.action = 'disburse' and t.subject = a.id)")" -eq 0 ]
	[ "$(sql "$DB" "select count(*) from notices where closed_at > 0")" -ge 5 ]
	[ "$(sql "$DB" "select count(*) from notices where closed_at = 0")" -eq 1 ]
	[ "$(sql "$DB" "select count(*) from events where action = 'notice-close'")" -eq "$(sql "$DB" "select count(*) from notices where closed_at > 0")" ]
	# run again with the same seed: every application was submitted
	# before, and no notice is opened or closed either
	events=$(sql "$DB" "select count(*) from events")
	run --separate-stderr "$QUAN" demo --db "$DB" --count 300 --seed 2025
	[ "$status" -eq 0 ]
	[[ "$output" == *"300 submitted before"* ]]
	[ "$(sql "$DB" "select count(*) from events")" -eq "$events" ]
	run "$QUAN" ledger check --db "$DB"
	[ "$status" -eq 0 ]
	run "$QUAN" audit verify --db "$DB"
	[ "$status" -eq 0 ]
}
