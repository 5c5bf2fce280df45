#!/usr/bin/env bats
# End-to-end: finance after the awards. What remains to pay on every award,
# the report's cumulative totals beside its balances, payment batches with
# voucher numbers paid once however often they are sent, bank statements
# reconciled by reference and amount (everything unmatched listed), and
# the exports for the treasury system (CSV and XLSX), through the real
# binary and server, on SQLite or (QUAN_TEST_DB) PostgreSQL.

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
	"$QUAN" init --db "$DB" --policy "$SH" --by admin >/dev/null 2>&1
}

teardown() {
	[ -f "$TMP/serve.pid" ] && kill "$(cat "$TMP/serve.pid")" 2>/dev/null || true
	db_forget "$DB" clean
	drop_db "$DB"
	rm -rf "$TMP"
}

# An awarded application of example $2 (sh-compute-rent: 360 000.00), with
# the bank account $1 (none when empty), through its public notice: its
# number on stdout.
awarded() {
	local out id ex=$EX/${2:-sh-compute-rent}.json
	if [ -n "$1" ]; then
		jq --arg a "$1" '.applicant.bank_account = $a' "$ex" >"$TMP/app.json"
	else
		cp "$ex" "$TMP/app.json"
	fi
	out=$("$QUAN" apply --db "$DB" --by applicant "$TMP/app.json" 2>/dev/null)
	id=$(numbers "$out")
	"$QUAN" review --db "$DB" "$id" --approve --by reviewer >/dev/null 2>&1
	# a measure that asks two approvers gets its second
	"$QUAN" review --db "$DB" "$id" --approve --by reviewer2 >/dev/null 2>&1 || true
	# posted for its 5 working days (公示) and closed: payable
	through_notice "$DB" shanghai-2025 "$id" >/dev/null
	echo "$id"
}

checks_pass() {
	run "$QUAN" ledger check --db "$DB"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	run "$QUAN" audit verify --db "$DB"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[[ "$output" == *"chain intact"* ]]
}

@test "the issue's case: awarded 360 000.00, paid 200 000.00, clawed back 50 000.00 are the report's totals, beside the balances" {
	id=$(awarded)
	"$QUAN" disburse --db "$DB" "$id" 200000.00 --by finance >/dev/null 2>&1
	"$QUAN" clawback --db "$DB" "$id" 50000.00 --why "price above the catalog" --by finance >/dev/null 2>&1
	run --separate-stderr "$QUAN" report --db "$DB" --json
	[ "$status" -eq 0 ]
	pool=$(jq -c '.pools[] | select(.pool == "compute")' <<<"$output")
	# the totals
	[ "$(jq -r '.totals | "\(.awarded) \(.paid) \(.recovered)"' <<<"$pool")" = "360000.00 200000.00 50000.00" ]
	[ "$(jq -r '.total.totals | "\(.awarded) \(.paid) \(.recovered)"' <<<"$output")" = "360000.00 200000.00 50000.00" ]
	# the balances, as before: still awarded, paid net of the clawback,
	# and nothing left in recovered (it went back to the pool)
	[ "$(jq -r '"\(.awarded) \(.paid) \(.recovered)"' <<<"$pool")" = "160000.00 150000.00 0.00" ]
	run --separate-stderr "$QUAN" report --db "$DB"
	[[ "$output" == *"balances (what each account holds now)"* ]]
	[[ "$output" == *"cumulative totals"* ]]
	[[ "$(grep -E '^shanghai-2025 +compute +2025 +360000.00 +200000.00 +50000.00$' <<<"$output")" ]]
	# what remains to pay: on the application, in the list, in show
	run --separate-stderr "$QUAN" show --db "$DB" "$id" --json
	[ "$(jq -r '"\(.awarded) \(.paid) \(.recovered) \(.remaining)"' <<<"$output")" = "360000.00 200000.00 50000.00 160000.00" ]
	run --separate-stderr "$QUAN" show --db "$DB" "$id"
	[[ "$output" == *"remaining  160000.00 left to pay"* ]]
	checks_pass
}

@test "a batch pays each voucher once: retried with its key, paid again with another, made again with its key" {
	id=$(awarded "6222 0210 0111 2222 333")
	run --separate-stderr "$QUAN" batch new --db "$DB" --program shanghai-2025 --by fay --ref batch-1
	[ "$status" -eq 0 ]
	[[ "$output" == "PB-2025-0001 1 payments, 360000.00"* ]]
	[[ "$output" == *"PZ-2025-000001   $id        360000.00  planned   6222 0210 0111 2222 333"* ]]
	# made again under its key: the same batch, nothing new
	run --separate-stderr "$QUAN" batch new --db "$DB" --program shanghai-2025 --by fay --ref batch-1
	[ "$status" -eq 0 ]
	[[ "$output" == "PB-2025-0001 1 payments, 360000.00 (--ref was used before"* ]]
	# the award is in a planned payment: a second batch cannot take it
	run --separate-stderr "$QUAN" batch new --db "$DB" "$id" --by fay
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"is in payment 'PZ-2025-000001' already"* ]]

	run --separate-stderr "$QUAN" batch pay --db "$DB" PB-2025-0001 --by fay --ref pay-1
	[ "$status" -eq 0 ]
	[[ "$output" == "PB-2025-0001 paid 360000.00 now"* ]]
	# the answer was lost; the run is sent again
	run --separate-stderr "$QUAN" batch pay --db "$DB" PB-2025-0001 --by fay --ref pay-1
	[ "$status" -eq 0 ]
	[[ "$output" == *"its answer again, nothing moved"* ]]
	# another key: each voucher is paid already
	run --separate-stderr "$QUAN" batch pay --db "$DB" PB-2025-0001 --by fay --ref pay-2
	[ "$status" -eq 0 ]
	[[ "$output" == "PB-2025-0001 paid 0.00 now"* ]]
	[[ "$output" == *"PZ-2025-000001   paid before (paid)"* ]]
	# the same key with another request
	run --separate-stderr "$QUAN" batch pay --db "$DB" PB-2025-0001 --by fay --ref pay-1 --bank-ref PZ-2025-000001=B1
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"idempotency key 'pay-1' was used for another batch-pay"* ]]
	[ "$(sql "$DB" "SELECT paid FROM applications WHERE id = '$id'")" -eq 36000000 ]
	[ "$(sql "$DB" "SELECT count(*) FROM transfers WHERE id LIKE 'disburse/%'")" -eq 1 ]
	run --separate-stderr "$QUAN" batch list --db "$DB" --json
	[ "$(jq -r '.batches[0] | "\(.count) \(.planned) \(.paid)"' <<<"$output")" = "1 0 360000.00" ]
	# the next batch of the year takes the next numbers
	id2=$(awarded "6222 0210 0111 2222 444" sh-compute-early)
	run --separate-stderr "$QUAN" batch new --db "$DB" "$id2" --by fay
	[[ "$output" == "PB-2025-0002 1 payments"* ]]
	[[ "$output" == *"PZ-2025-000002"* ]]
	checks_pass
}

@test "a batch refuses an award without an account, and a payment held by the approver stays planned and is listed" {
	id=$(awarded)
	run --separate-stderr "$QUAN" batch new --db "$DB" "$id" --by fay
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"has no bank account to pay"* ]]
	run --separate-stderr "$QUAN" batch new --db "$DB" "$id" --account "$id=not/valid" --by fay
	[ "$status" -eq 1 ]
	run --separate-stderr "$QUAN" batch new --db "$DB" "$id" --account "$id=31050161393600000123" --by fay
	[ "$status" -eq 0 ]
	# the approver may not pay it: refused, listed, still planned
	run --separate-stderr "$QUAN" batch pay --db "$DB" PB-2025-0001 --by reviewer --ref p1
	[ "$status" -eq 1 ]
	[[ "$output" == *"PZ-2025-000001   refused: 'reviewer' approved"* ]]
	[ "$(sql "$DB" "SELECT state FROM pay_items WHERE voucher = 'PZ-2025-000001'")" = planned ]
	run --separate-stderr "$QUAN" batch pay --db "$DB" PB-2025-0001 --by fay --ref p1
	[ "$status" -eq 0 ]
	[[ "$output" == *"paid 360000.00 now"* ]]
	checks_pass
}

@test "reconcile: a matching line settles its payment; a line with no payment, and the right reference with a wrong amount, are listed" {
	id=$(awarded "6222 0210 0111 2222 333")
	id2=$(awarded "6222 0210 0111 2222 444" sh-compute-early)
	"$QUAN" batch new --db "$DB" "$id" "$id2" --by fay >/dev/null 2>&1
	"$QUAN" batch pay --db "$DB" PB-2025-0001 --by fay --ref p1 --bank-ref PZ-2025-000002=ICBC20251121-77 >/dev/null 2>&1
	cat >"$TMP/statement.csv" <<-'EOF'
		date,amount,payee_account,payee_name,reference
		2025-11-21,360000.00,6222 0210 0111 2222 333,示例智能科技（上海）有限公司,PZ-2025-000001
		2025-11-21,360000.01,6222 0210 0111 2222 444,示例智能科技（上海）有限公司,ICBC20251121-77
		2025-11-21,1200.00,6222 9999,某公司,NO-SUCH-REF
	EOF
	run --separate-stderr "$QUAN" reconcile --db "$DB" --statement "$TMP/statement.csv" --by fay --json
	[ "$status" -eq 0 ]
	[ "$(jq -r '.matched | map(.voucher) | join(",")' <<<"$output")" = PZ-2025-000001 ]
	[ "$(jq -r '.unmatched_lines | map("\(.line):\(.reference)") | join(",")' <<<"$output")" = "3:ICBC20251121-77,4:NO-SUCH-REF" ]
	[[ "$(jq -r '.unmatched_lines[0].why' <<<"$output")" == *"another amount: not matched"* ]]
	[ "$(jq -r '.unmatched_lines[1].why' <<<"$output")" = "no payment has this reference" ]
	# the payment whose line had the wrong amount is paid, not settled
	[ "$(jq -r '.unmatched_payments | map(.voucher) | join(",")' <<<"$output")" = PZ-2025-000002 ]
	[ "$(sql "$DB" "SELECT state FROM pay_items ORDER BY voucher" | tr '\n' ' ')" = "settled paid " ]
	# the same statement again settles nothing new
	run --separate-stderr "$QUAN" reconcile --db "$DB" --statement "$TMP/statement.csv" --by fay
	[[ "$output" == "reconcile: 0 matched and settled, 3 lines unmatched, 1 paid payments unmatched"* ]]
	[[ "$output" == *"settled already"* ]]
	# a statement without the documented header is refused whole
	printf 'when,amount\n2025-11-21,1.00\n' >"$TMP/bad.csv"
	run --separate-stderr "$QUAN" reconcile --db "$DB" --statement "$TMP/bad.csv" --by fay
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"unknown column 'when'"* ]]
	printf 'date,amount,payee_account,payee_name,reference\n2025-11-21,12.345,a,b,c\n' >"$TMP/bad.csv"
	run --separate-stderr "$QUAN" reconcile --db "$DB" --statement "$TMP/bad.csv" --by fay
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"statement line 2"* ]]
	run "$QUAN" audit verify --db "$DB"
	[ "$status" -eq 0 ]
	checks_pass
}

@test "exports: awards and payments as CSV and as XLSX, money as exact text in the cells" {
	id=$(awarded "6222 0210 0111 2222 333")
	"$QUAN" batch new --db "$DB" "$id" --by fay >/dev/null 2>&1
	"$QUAN" batch pay --db "$DB" PB-2025-0001 --by fay --ref p1 >/dev/null 2>&1
	"$QUAN" clawback --db "$DB" "$id" 0.10 --why "rounding" --by fay >/dev/null 2>&1
	run "$QUAN" export awards --db "$DB" --format csv --out "$TMP/awards.csv"
	[ "$status" -eq 0 ]
	[ "$(head -1 "$TMP/awards.csv" | tr -d '\r')" = "id,program,measure,fiscal_year,uscc,name,state,awarded,paid,recovered,remaining" ]
	grep -q "^$id,shanghai-2025,compute-rent,2025,91310115MA1K4ABCDD,示例智能科技（上海）有限公司,awarded,360000.00,360000.00,0.10,0.00" "$TMP/awards.csv"
	run "$QUAN" export payments --db "$DB" --format csv --out "$TMP/pay.csv"
	[ "$status" -eq 0 ]
	grep -q "^PZ-2025-000001,PB-2025-0001,$id,shanghai-2025,compute-rent,91310115MA1K4ABCDD,示例智能科技（上海）有限公司,6222 0210 0111 2222 333,360000.00,paid," "$TMP/pay.csv"
	run "$QUAN" export awards --db "$DB" --format xlsx --out "$TMP/awards.xlsx"
	[ "$status" -eq 0 ]
	# a real workbook; the money cells are strings ("0.10", exact), never
	# numbers
	unzip -p "$TMP/awards.xlsx" '\[Content_Types\].xml' | grep -q spreadsheetml
	strings=$(unzip -p "$TMP/awards.xlsx" xl/sharedStrings.xml)
	[[ "$strings" == *"<t>360000.00</t>"* ]]
	[[ "$strings" == *"<t>0.10</t>"* ]]
	[[ "$strings" == *"<t>remaining</t>"* ]]
	sheet=$(unzip -p "$TMP/awards.xlsx" xl/worksheets/sheet1.xml)
	[[ "$sheet" != *"<v>360000"* ]]
	[[ "$sheet" == *'t="s"'* ]]
	run "$QUAN" export payments --db "$DB" --format xlsx --out "$TMP/pay.xlsx"
	[ "$status" -eq 0 ]
	[[ "$(unzip -p "$TMP/pay.xlsx" xl/sharedStrings.xml)" == *"<t>PZ-2025-000001</t>"* ]]
	run "$QUAN" export ledgers --db "$DB" --format csv --out "$TMP/x.csv"
	[ "$status" -eq 1 ]
	run "$QUAN" export awards --db "$DB" --format pdf --out "$TMP/x.pdf"
	[ "$status" -eq 1 ]
	checks_pass
}

@test "export payments lists every payment that moved money: batch vouchers and direct disbursements, each once" {
	id=$(awarded "6222 0210 0111 2222 333")
	# paid directly, with a key, then again without one; a retry under the
	# key moves nothing and is not listed twice
	"$QUAN" disburse --db "$DB" "$id" 100000.00 --by fay --ref direct-1 >/dev/null 2>&1
	"$QUAN" disburse --db "$DB" "$id" 100000.00 --by fay --ref direct-1 >/dev/null 2>&1
	"$QUAN" disburse --db "$DB" "$id" 60000.00 --by fay >/dev/null 2>&1
	# the rest (200 000.00) through a batch
	"$QUAN" batch new --db "$DB" "$id" --by fay >/dev/null 2>&1
	run --separate-stderr "$QUAN" batch pay --db "$DB" PB-2025-0001 --by fay --ref p1 --bank-ref PZ-2025-000001=B1
	[ "$status" -eq 0 ]
	[ "$(sql "$DB" "SELECT paid FROM applications WHERE id = '$id'")" -eq 36000000 ]
	run "$QUAN" export payments --db "$DB" --format csv --out "$TMP/pay.csv"
	[ "$status" -eq 0 ]
	tr -d '\r' <"$TMP/pay.csv" >"$TMP/p.csv"
	[ "$(head -1 "$TMP/p.csv")" = "voucher,batch,id,program,measure,uscc,payee_name,payee_account,amount,state,bank_ref,paid_at,settled_on,kind,ref" ]
	# three payments, each once: the voucher, then the direct ones in order
	[ "$(wc -l <"$TMP/p.csv")" -eq 4 ]
	grep -q "^PZ-2025-000001,PB-2025-0001,$id,shanghai-2025,compute-rent,91310115MA1K4ABCDD,示例智能科技（上海）有限公司,6222 0210 0111 2222 333,200000.00,paid,B1,2025-11-20T10:00:00+08:00,,voucher,PZ-2025-000001$" "$TMP/p.csv"
	[ "$(sed -n 3p "$TMP/p.csv")" = ",,$id,shanghai-2025,compute-rent,91310115MA1K4ABCDD,示例智能科技（上海）有限公司,,100000.00,paid,,2025-11-20T10:00:00+08:00,,direct,direct-1" ]
	[ "$(sed -n 4p "$TMP/p.csv")" = ",,$id,shanghai-2025,compute-rent,91310115MA1K4ABCDD,示例智能科技（上海）有限公司,,60000.00,paid,,2025-11-20T10:00:00+08:00,,direct," ]
	# the amounts add up to what was paid, and nothing more
	[ "$(awk -F, 'NR > 1 { s += $9 } END { printf "%.2f", s }' "$TMP/p.csv")" = 360000.00 ]
	# one batch's export is that batch's vouchers only
	run "$QUAN" export payments --db "$DB" --format csv --out "$TMP/one.csv" --batch PB-2025-0001
	[ "$status" -eq 0 ]
	[ "$(tr -d '\r' <"$TMP/one.csv" | wc -l)" -eq 2 ]
	# and as XLSX
	run "$QUAN" export payments --db "$DB" --format xlsx --out "$TMP/pay.xlsx"
	[ "$status" -eq 0 ]
	[[ "$(unzip -p "$TMP/pay.xlsx" xl/sharedStrings.xml)" == *"<t>direct-1</t>"* ]]
	checks_pass
}

@test "over HTTP: a batch made and paid with Idempotency-Key, a statement reconciled, an export downloaded" {
	id=$(awarded "6222 0210 0111 2222 333")
	fin=$("$QUAN" user add --db "$DB" fay --role finance 2>/dev/null)
	aud=$("$QUAN" user add --db "$DB" otto --role auditor 2>/dev/null)
	rev=$("$QUAN" user add --db "$DB" rita --role reviewer 2>/dev/null)
	serve_bg "$TMP/serve" "$DB"
	pid=$SERVE_PID url=$URL
	post() { # post PATH TOKEN BODY [KEY]: the status, then the body
		curl -s -o "$TMP/body" -w '%{http_code}' -X POST "$url$1" \
			-H "Authorization: Bearer $2" -H 'Content-Type: application/json' \
			${4:+-H "Idempotency-Key: $4"} --data-binary "$3"
		echo
		cat "$TMP/body"
	}
	# the remaining on the application and in the list
	[ "$(curl -s "$url/v1/applications/$id" -H "Authorization: Bearer $fin" | jq -r .remaining)" = 360000.00 ]
	[ "$(curl -s "$url/v1/applications" -H "Authorization: Bearer $fin" | jq -r '.applications[0].remaining')" = 360000.00 ]
	# a reviewer makes no batch
	[ "$(post /v1/batches "$rev" "{\"ids\":[\"$id\"]}" | head -1)" = 403 ]
	out=$(post /v1/batches "$fin" "{\"ids\":[\"$id\"]}" b-1)
	[ "$(head -1 <<<"$out")" = 201 ]
	batch=$(tail -n +2 <<<"$out" | jq -r .batch)
	[ "$batch" = PB-2025-0001 ]
	[ "$(post /v1/batches "$fin" "{\"ids\":[\"$id\"]}" b-1 | tail -n +2 | jq -r '.batch + " " + (.replayed | tostring)')" = "PB-2025-0001 true" ]
	# paying takes a key
	[ "$(post "/v1/batches/$batch/pay" "$fin" '{}' | head -1)" = 400 ]
	out=$(post "/v1/batches/$batch/pay" "$fin" '{"bank_refs":{"PZ-2025-000001":"CCB-1"}}' pay-1)
	[ "$(head -1 <<<"$out")" = 200 ]
	[ "$(tail -n +2 <<<"$out" | jq -r '.total_paid + " " + .paid[0].bank_ref')" = "360000.00 CCB-1" ]
	out=$(post "/v1/batches/$batch/pay" "$fin" '{"bank_refs":{"PZ-2025-000001":"CCB-1"}}' pay-1)
	[ "$(tail -n +2 <<<"$out" | jq -r '.replayed')" = true ]
	[ "$(sql "$DB" "SELECT count(*) FROM transfers WHERE id LIKE 'disburse/%'")" -eq 1 ]
	[ "$(curl -s -o /dev/null -w '%{http_code}' "$url/v1/batches/SH-2025-000001" -H "Authorization: Bearer $fin")" = 400 ]
	[ "$(curl -s -o /dev/null -w '%{http_code}' "$url/v1/batches/PB-2025-0099" -H "Authorization: Bearer $fin")" = 404 ]
	[ "$(curl -s "$url/v1/batches/$batch" -H "Authorization: Bearer $aud" | jq -r '.payments[0].state')" = paid ]
	# the statement names the bank's reference
	st=$(jq -Rs '{statement: .}' <<<"date,amount,payee_account,payee_name,reference
2025-11-21,360000.00,6222 0210 0111 2222 333,示例,CCB-1
2025-11-22,5.00,1,x,CCB-2")
	out=$(post /v1/reconcile "$fin" "$st")
	[ "$(head -1 <<<"$out")" = 200 ]
	[ "$(tail -n +2 <<<"$out" | jq -r '"\(.matched | length) \(.unmatched_lines[0].reference) \(.unmatched_payments | length)"')" = "1 CCB-2 0" ]
	# the exports, as files
	curl -s -D "$TMP/h" -o "$TMP/p.csv" "$url/v1/exports/payments?format=csv&batch=$batch" -H "Authorization: Bearer $aud"
	grep -qi '^content-type: text/csv' "$TMP/h"
	grep -qi 'content-disposition: attachment; filename="payments.csv"' "$TMP/h"
	grep -q "^PZ-2025-000001,$batch,$id,.*,360000.00,settled,CCB-1,.*,2025-11-21" "$TMP/p.csv"
	curl -s -o "$TMP/a.xlsx" "$url/v1/exports/awards?format=xlsx" -H "Authorization: Bearer $fin"
	[[ "$(unzip -p "$TMP/a.xlsx" xl/sharedStrings.xml)" == *"<t>$id</t>"* ]]
	[ "$(curl -s -o /dev/null -w '%{http_code}' "$url/v1/exports/awards?format=pdf" -H "Authorization: Bearer $fin")" = 400 ]
	[ "$(curl -s -o /dev/null -w '%{http_code}' "$url/v1/exports/awards?format=csv&x=1" -H "Authorization: Bearer $fin")" = 400 ]
	[ "$(curl -s -o /dev/null -w '%{http_code}' "$url/v1/exports/awards?format=csv" -H "Authorization: Bearer $rev")" = 403 ]
	# the report's totals over HTTP
	[ "$(curl -s "$url/v1/report" -H "Authorization: Bearer $fin" | jq -r '.total.totals.paid')" = 360000.00 ]
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	rm "$TMP/serve.pid"
	checks_pass
}

@test "a public notice keeps an award out of batches until it is closed; then the batch is made and paid" {
	# the bundled policy: every measure but the grant posts its awards
	# for 5 working days
	cp "$SH" "$TMP/notice.yaml"
	DB2=$(new_db "$TMP/notice.db")
	"$QUAN" init --db "$DB2" --policy "$TMP/notice.yaml" --by admin >/dev/null 2>&1
	jq '.applicant.bank_account = "6222 1"' "$EX/sh-compute-rent.json" >"$TMP/a.json"
	id=$(numbers "$("$QUAN" apply --db "$DB2" --by a "$TMP/a.json" 2>/dev/null)")
	"$QUAN" review --db "$DB2" "$id" --approve --by reviewer >/dev/null 2>&1
	# no notice yet: a batch by filters skips it and says why
	run --separate-stderr "$QUAN" batch new --db "$DB2" --program shanghai-2025 --by fay
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"nothing to pay"* ]]
	nid=$("$QUAN" notice open --db "$DB2" shanghai-2025 "$id" --by admin 2>/dev/null | awk '{ print $1; exit }')
	# named, it is refused while the notice runs
	run --separate-stderr "$QUAN" batch new --db "$DB2" "$id" --by fay
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"in public notice"* ]]
	# after the notice has run and been closed
	QUAN_NOW=2025-12-01T10:00:00+08:00 "$QUAN" notice close --db "$DB2" "$nid" --by admin >/dev/null
	QUAN_NOW=2025-12-01T10:00:00+08:00 run "$QUAN" batch new --db "$DB2" "$id" --by fay
	[ "$status" -eq 0 ]
	QUAN_NOW=2025-12-01T10:00:00+08:00 run "$QUAN" batch pay --db "$DB2" PB-2025-0001 --by fay --ref p1
	[ "$status" -eq 0 ]
	run "$QUAN" ledger check --db "$DB2"
	[ "$status" -eq 0 ]
	run "$QUAN" audit verify --db "$DB2"
	[ "$status" -eq 0 ]
	db_forget "$DB2" clean
	drop_db "$DB2"
}

@test "migrate carries the batches over: vouchers, states, bank references, and the next numbers" {
	id=$(awarded "6222 0210 0111 2222 333")
	"$QUAN" batch new --db "$DB" "$id" --by fay >/dev/null 2>&1
	"$QUAN" batch pay --db "$DB" PB-2025-0001 --by fay --ref p1 --bank-ref PZ-2025-000001=BOC-9 >/dev/null 2>&1
	printf 'date,amount,payee_account,payee_name,reference\n2025-11-21,360000.00,x,y,BOC-9\n' >"$TMP/st.csv"
	"$QUAN" reconcile --db "$DB" --statement "$TMP/st.csv" --by fay >/dev/null 2>&1
	TO=$(new_db "$TMP/copy.db")
	run "$QUAN" migrate --from "$DB" --to "$TO"
	[ "$status" -eq 0 ]
	run --separate-stderr "$QUAN" batch show --db "$TO" PB-2025-0001 --json
	[ "$(jq -r '.payments[0] | "\(.voucher) \(.state) \(.bank_ref) \(.settled_on)"' <<<"$output")" = "PZ-2025-000001 settled BOC-9 2025-11-21" ]
	id2=$(DB=$TO awarded "6222 0210 0111 2222 444" sh-compute-early)
	run --separate-stderr "$QUAN" batch new --db "$TO" "$id2" --by fay
	[[ "$output" == "PB-2025-0002 1 payments"* ]]
	[[ "$output" == *"PZ-2025-000002"* ]]
	run "$QUAN" audit verify --db "$TO"
	[ "$status" -eq 0 ]
	db_forget "$TO" clean
	drop_db "$TO"
}
