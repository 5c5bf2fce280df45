#!/usr/bin/env bats
# End-to-end: the database edited behind quan's back, with the triggers that
# keep history immutable dropped, as someone holding the file (or the
# database's owner) can. Each edit an outside probe found passing every
# check (issue 15) must now fail `ledger check` or `audit verify` with
# exit 1, naming what differs. On SQLite, or PostgreSQL with QUAN_TEST_DB
# (scripts/pg run).

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
	# An office with an award paid in part (SH-2025-000003), reservations
	# (SH-2025-000005 among them) and a reviewer.
	"$QUAN" init --db "$DB" --policy "$SH" --by admin 2>/dev/null
	"$QUAN" apply --db "$DB" --by applicant "$EX"/sh-*.json >/dev/null 2>&1
	"$QUAN" review --db "$DB" SH-2025-000003 --approve --by reviewer >/dev/null 2>&1
	through_notice "$DB" shanghai-2025 SH-2025-000003 >/dev/null 2>&1 # 公示
	"$QUAN" disburse --db "$DB" SH-2025-000003 200000.00 --by finance >/dev/null 2>&1
	"$QUAN" user add --db "$DB" rita --role reviewer >/dev/null 2>&1
	checks_pass
	sqlx "$DB" 'drop trigger transfers_immutable; drop trigger transfers_kept;
		drop trigger events_immutable; drop trigger events_kept' \
		'drop trigger transfers_immutable on transfers; drop trigger transfers_kept on transfers;
		drop trigger events_immutable on events; drop trigger events_kept on events'
}

teardown() {
	drop_db "$DB"
	rm -rf "$TMP"
}

checks_pass() {
	run "$QUAN" ledger check --db "$DB"
	[ "$status" -eq 0 ]
	run "$QUAN" audit verify --db "$DB"
	[ "$status" -eq 0 ]
}

# ledger_fails TEXT / verify_fails TEXT: the check exits 1 saying TEXT.
ledger_fails() {
	run "$QUAN" ledger check --db "$DB"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"$1"* ]]
}
verify_fails() {
	run "$QUAN" audit verify --db "$DB"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"$1"* ]]
}

# The account code of the firm of SH-2025-000003: $1 its name (paid ...).
firm_account() {
	local uscc
	uscc=$(sql "$DB" "select uscc from applications where id = 'SH-2025-000003'")
	echo "shanghai-2025/compute/2025/$1/$uscc"
}

# Re-hash the chain from event $1 on, as an attacker's script would: each
# event's hash is SHA-256 of the previous hash and its fields, each as
# "<byte length>:<bytes>" (src/store/audit.h).
rehash_from() {
	local LC_ALL=C seq=$1 last prev row s at who action subject ph detail h
	last=$(sql "$DB" "select max(seq) from events")
	prev=$(sql "$DB" "select hash from events where seq = $((seq - 1))")
	[ "$seq" -gt 1 ] || prev=$(printf '%064d' 0)
	for ((; seq <= last; seq++)); do
		row=$(sql "$DB" "select at || char(31) || who || char(31) || action || char(31) || subject || char(31) || policy_hash || char(31) || detail from events where seq = $seq" 2>/dev/null ||
			sql "$DB" "select at || chr(31) || who || chr(31) || action || chr(31) || subject || chr(31) || policy_hash || chr(31) || detail from events where seq = $seq")
		IFS=$'\x1f' read -r at who action subject ph detail <<<"$row"
		h=$(printf '%s' "$prev" "${#seq}:$seq" "${#at}:$at" "${#who}:$who" \
			"${#action}:$action" "${#subject}:$subject" "${#ph}:$ph" \
			"${#detail}:$detail" | sha256sum | cut -c1-64)
		sql "$DB" "update events set prev_hash = '$prev', hash = '$h' where seq = $seq"
		prev=$h
	done
}

@test "a balanced move of 1 000 000.00 from available into a firm's paid account" {
	paid=$(firm_account paid)
	sql "$DB" "update accounts set debits_posted = debits_posted + 100000000 where code = 'shanghai-2025/compute/2025/available'"
	sql "$DB" "update accounts set credits_posted = credits_posted + 100000000 where code = '$paid'"
	ledger_fails "account 'shanghai-2025/compute/2025/available': debits posted stored as"
	ledger_fails "account '$paid': credits posted stored as 1200000.00, the transfers make 200000.00"

	# With a transfer forged to match, the balances follow the transfers;
	# no event caused it.
	ts=$(sql "$DB" "select max(timestamp) + 1 from transfers")
	sql "$DB" "insert into transfers (id, debit, credit, amount, flags, pending_id, expires_at, code, ref, timestamp)
		select 'disburse/SH-2025-000003/x', a.id, p.id, 100000000, 0, '', 0, 5, 'SH-2025-000003', $ts
		from accounts a, accounts p where a.code = 'shanghai-2025/compute/2025/available' and p.code = '$paid'"
	run "$QUAN" ledger check --db "$DB"
	[ "$status" -eq 0 ]
	verify_fails "transfer 'disburse/SH-2025-000003/x' (1000000.00) is claimed by no event"
}

@test "a transfer's amount multiplied by ten" {
	sql "$DB" "update transfers set amount = amount * 10 where id like 'disburse/SH-2025-000003%'"
	ledger_fails "account '$(firm_account paid)': credits posted stored as 200000.00, the transfers make 2000000.00"
	verify_fails "transfer 'disburse/SH-2025-000003/0' moves 2000000.00, event 17 says 200000.00"
}

@test "a transfer deleted" {
	sql "$DB" "delete from transfers where id like 'disburse/SH-2025-000003%'"
	ledger_fails "account '$(firm_account paid)': credits posted stored as 200000.00, the transfers make 0.00"
	verify_fails "event 17 claims transfer 'disburse/SH-2025-000003/0', which is not in the ledger"
}

@test "an event changed and the rest of the chain re-hashed" {
	db_save "$DB" clean
	# The payment's event made to say 20 000.00, the chain re-hashed from
	# it: the walk alone would pass, the transfer it claims does not.
	sql "$DB" "update events set detail = replace(detail, '200000.00', '20000.00') where seq = 17"
	verify_fails "event 17 was changed"
	rehash_from 17
	verify_fails "transfer 'disburse/SH-2025-000003/0' moves 200000.00, event 17 says 20000.00"

	# An application's figures in its last event, re-hashed: the row
	# does not say them.
	sql "$DB" "update events set detail = replace(detail, '\"paid\":\"20000.00\"', '\"paid\":\"0.00\"') where seq = 17"
	sql "$DB" "update events set detail = replace(detail, '20000.00', '200000.00') where seq = 17"
	rehash_from 17
	verify_fails "application 'SH-2025-000003': paid is 200000.00, its events say 0.00 (event 17)"

	# The row and its event forged alike, re-hashed: the transfers of the
	# application do not make that figure.
	db_restore "$DB" clean
	sql "$DB" "update events set detail = replace(detail, '\"paid\":\"200000.00\"', '\"paid\":\"2000000.00\"') where seq = 17"
	sql "$DB" "update applications set paid = 200000000 where id = 'SH-2025-000003'"
	rehash_from 17
	verify_fails "application 'SH-2025-000003': paid is 2000000.00, its transfers make 200000.00"
	db_forget "$DB" clean
}

@test "the newest event deleted" {
	sql "$DB" "delete from events where seq = (select max(seq) from events)"
	sql "$DB" "delete from events where seq = (select max(seq) from events)"
	verify_fails "transfer 'disburse/SH-2025-000003/0' (200000.00) is claimed by no event"
}

@test "a user's role raised to administrator" {
	sql "$DB" "update users set role = 'administrator' where name = 'rita'"
	verify_fails "user 'rita' is administrator, its events say reviewer"
}

@test "a token or a password swapped for one no event gave" {
	db_save "$DB" clean
	# A token whose hash the attacker knows, put on a reviewer.
	sql "$DB" "update users set token_hash = '$(printf '%064d' 7)' where name = 'rita'"
	verify_fails "user 'rita' holds a token no event gave it"

	db_restore "$DB" clean
	echo 'Rita-pass-2025' | "$QUAN" user password --db "$DB" rita >/dev/null 2>&1
	checks_pass
	sql "$DB" "update users set password_hash = '\$argon2id\$v=19\$m=65536,t=2,p=1\$bWFsbG9yeQ\$bWFsbG9yeQ' where name = 'rita'"
	verify_fails "user 'rita' holds a password no event set"
	db_forget "$DB" clean
}

@test "a user added behind quan's back" {
	sql "$DB" "insert into users (name, role, uscc, token_hash, created_at, password_hash, token_expires_at, disabled)
		values ('mallory', 'administrator', '', 'x', 0, '', 0, 0)"
	verify_fails "user 'mallory' (administrator) was added by no event"
}

@test "an application's paid, awarded or state changed" {
	db_save "$DB" clean
	sql "$DB" "update applications set paid = paid * 10 where id = 'SH-2025-000003'"
	verify_fails "application 'SH-2025-000003': paid is 2000000.00, its events say 200000.00"

	db_restore "$DB" clean
	sql "$DB" "update applications set awarded = awarded * 10 where id = 'SH-2025-000003'"
	verify_fails "application 'SH-2025-000003': awarded is 3600000.00, its events say 360000.00"

	db_restore "$DB" clean
	sql "$DB" "update applications set state = 'awarded', awarded = requested where id = 'SH-2025-000005'"
	verify_fails "application 'SH-2025-000005': state is awarded, its events say reserved"
	db_forget "$DB" clean
}

@test "a chain written before events carried transfers and rows still verifies, and is held to its transfers" {
	# What an older quan wrote: the same events without "transfers",
	# "app" and the users' marks, chained as they were.
	sqlx "$DB" "update events set detail = json_remove(detail, '\$.transfers', '\$.app', '\$.token', '\$.password_mark')" \
		"update events set detail = (detail::jsonb - 'transfers' - 'app' - 'token' - 'password_mark')::text"
	rehash_from 1
	[ "$(sql "$DB" "select count(*) from events where detail like '%\"transfers\"%' or detail like '%\"app\"%'")" -eq 0 ]
	checks_pass
	# Written since by this quan: held in full.
	"$QUAN" review --db "$DB" SH-2025-000005 --approve --by reviewer >/dev/null 2>&1
	checks_pass
	db_save "$DB" clean
	sql "$DB" "update applications set state = 'rejected' where id = 'SH-2025-000005'"
	verify_fails "application 'SH-2025-000005': state is rejected, its events say awarded"

	# Older applications are held to their transfers.
	db_restore "$DB" clean
	sql "$DB" "update applications set paid = paid + 1 where id = 'SH-2025-000003'"
	verify_fails "application 'SH-2025-000003': paid is 200000.01, its transfers make 200000.00"
	db_forget "$DB" clean
}

@test "an office of a few hundred applications, untouched, passes both checks" {
	"$QUAN" demo --db "$DB" --count 300 >/dev/null 2>&1
	"$QUAN" withdraw --db "$DB" SH-2025-000002 --by applicant >/dev/null 2>&1
	"$QUAN" clawback --db "$DB" SH-2025-000003 50000.00 --why "overstated" --by finance >/dev/null 2>&1
	"$QUAN" settle --db "$DB" SH-2025-000003 --value 1000000.00 --ref FP-001 --by reviewer >/dev/null 2>&1
	"$QUAN" review --db "$DB" SH-2025-000006 --approve --by reviewer >/dev/null 2>&1
	"$QUAN" review --db "$DB" SH-2025-000006 --approve --by rob >/dev/null 2>&1
	"$QUAN" milestone --db "$DB" SH-2025-000006 2025 --why "lab opened" --by reviewer >/dev/null 2>&1
	"$QUAN" expire --db "$DB" --by clerk >/dev/null 2>&1
	[ "$(sql "$DB" "select count(*) from applications")" -ge 300 ]
	[ "$(sql "$DB" "select count(*) from applications where state = 'awarded' and paid > 0")" -ge 10 ]
	[ "$(sql "$DB" "select count(*) from applications where recovered > 0")" -eq 1 ]
	[ "$(sql "$DB" "select count(*) from events where action in ('settle', 'milestone')")" -eq 2 ]
	checks_pass

	# A public notice, an objection upheld: the award goes back to the
	# pool (the bundled policy's awards need a notice).
	drop_db "$DB"
	DB=$(new_db "$TMP/notice.db")
	"$QUAN" init --db "$DB" --policy "$SH" --by admin >/dev/null 2>&1
	"$QUAN" apply --db "$DB" --by applicant "$EX"/sh-*.json >/dev/null 2>&1
	"$QUAN" review --db "$DB" SH-2025-000005 --approve --by reviewer >/dev/null 2>&1
	"$QUAN" notice open --db "$DB" shanghai-2025 SH-2025-000005 --by admin >/dev/null 2>&1
	"$QUAN" notice object --db "$DB" SH-2025-000005 --why "related party" --by citizen >/dev/null 2>&1
	"$QUAN" notice uphold --db "$DB" SH-2025-000005 --why "confirmed" --by reviewer >/dev/null 2>&1
	[ "$(sql "$DB" "select count(*) from events where action in ('notice-open', 'object', 'uphold')")" -eq 3 ]
	checks_pass
}
