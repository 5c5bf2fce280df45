#!/usr/bin/env bats
# End-to-end: the public notice (公示). Awards are posted for the working
# days the policy says, counted with the State Council's calendar
# (data/holidays.yaml); they are not paid while the notice runs or while an
# objection is open; an upheld objection returns the award to the pool,
# which serves its waitlist. QUAN_NOW moves the office's clock.

load db

bats_require_minimum_version 1.5.0

setup() {
	QUAN=${QUAN:-$BATS_TEST_DIRNAME/../../build/quan}
	# Friday 26 September 2025: a five-working-day notice opened today
	# runs over 国庆 and its 调休 Sunday (28 September) to 9 October.
	export QUAN_NOW=2025-09-26T10:00:00+08:00
	ROOT=$BATS_TEST_DIRNAME/../..
	SH=$ROOT/policies/shanghai-2025.yaml
	EX=$ROOT/examples/applications
	TMP=$(mktemp -d)
	DB=$(new_db "$TMP/office.db")
	# Shanghai with the corpus pool cut to 1 000 000.00, the duplicate
	# screen off (the tests file copies of one contract), its notice of
	# five working days before an award is paid (the bundled policy's
	# assumption), and compute-rent without one, a measure paid at once:
	# the program's notice moved onto each other measure but the grant.
	sed -E -e "/^  - id: corpus$/,/^  - id:/ s/2025: \"100000000.00\"/2025: \"1000000.00\"/" \
		-e "/^  duplicate-claim:$/,/action:/ s/action: block/action: off/" \
		"$SH" | python3 "$BATS_TEST_DIRNAME/tools/notice_per_measure.py" compute-rent institute \
		>"$TMP/notice.yaml"
	"$QUAN" init --db "$DB" --policy "$TMP/notice.yaml" --by admin >/dev/null
}

teardown() {
	# a server a failed test left running
	[ -f "$TMP/serve.pid" ] && kill "$(cat "$TMP/serve.pid")" 2>/dev/null || true
	db_forget "$DB" clean
	drop_db "$DB"
	rm -rf "$TMP"
}

# A copy of the corpus example with client_ref $1 and contract value $2.
variant() {
	sed -E -e "s/\"client_ref\": *\"[^\"]*\"/\"client_ref\": \"$1\"/" \
		-e "s/\"value\": *\"[0-9.]+\"/\"value\": \"$2\"/" \
		"$EX/sh-corpus.json" >"$TMP/$1.json"
}

# An awarded corpus application of 900 000.00 (contract 3 000 000.00): its
# number on stdout.
awarded() {
	variant C1 3000000.00
	local out id
	out=$("$QUAN" apply --db "$DB" --by a "$TMP/C1.json" 2>/dev/null)
	id=$(numbers "$out")
	"$QUAN" review --db "$DB" "$id" --approve --by reviewer >/dev/null
	echo "$id"
}

checks_pass() {
	run "$QUAN" ledger check --db "$DB"
	[ "$status" -eq 0 ]
	run "$QUAN" audit verify --db "$DB"
	[ "$status" -eq 0 ]
}

@test "payment is refused without a notice, while it runs and until it is closed" {
	id=$(awarded)
	run "$QUAN" disburse --db "$DB" "$id" 900000.00 --by finance
	[ "$status" -eq 1 ]
	[[ "$output" == *"requires a public notice of 5 working days"* ]]

	run "$QUAN" notice open --db "$DB" shanghai-2025 "$id" --by admin
	[ "$status" -eq 0 ]
	[[ "$output" == *"shanghai-2025-notice-1 shanghai-2025 posts 1 award(s) from 2025-09-26 to 2025-10-09 (5 working days)"* ]]
	run "$QUAN" disburse --db "$DB" "$id" 900000.00 --by finance
	[ "$status" -eq 1 ]
	[[ "$output" == *"in public notice 'shanghai-2025-notice-1' until 2025-10-09"* ]]
	# its last day is still inside it
	QUAN_NOW=2025-10-09T17:00:00+08:00 run "$QUAN" disburse --db "$DB" "$id" 900000.00 --by finance
	[ "$status" -eq 1 ]
	# posted once only
	run "$QUAN" notice open --db "$DB" shanghai-2025 "$id" --by admin
	[ "$status" -eq 1 ]
	[[ "$output" == *"has been in notice 'shanghai-2025-notice-1' already"* ]]

	# closing it before its days have run is refused
	QUAN_NOW=2025-10-09T17:00:00+08:00 run "$QUAN" notice close --db "$DB" shanghai-2025-notice-1 --by admin
	[ "$status" -eq 1 ]
	[[ "$output" == *"runs until 2025-10-09 (5 working days): it can be closed from the day after"* ]]

	export QUAN_NOW=2025-10-10T09:00:00+08:00
	# ended, but not closed: still held
	run "$QUAN" disburse --db "$DB" "$id" 900000.00 --by finance
	[ "$status" -eq 1 ]
	[[ "$output" == *"ended on 2025-10-09 but is not closed"* ]]
	run --separate-stderr "$QUAN" notice close --db "$DB" shanghai-2025-notice-1 --by admin
	[ "$status" -eq 0 ]
	[[ "$output" == "shanghai-2025-notice-1 closed: it ran to 2025-10-09; 1 award(s) may be paid" ]]
	run "$QUAN" notice close --db "$DB" shanghai-2025-notice-1 --by admin
	[ "$status" -eq 1 ]
	[[ "$output" == *"was closed already by admin"* ]]
	run "$QUAN" notice close --db "$DB" shanghai-2025-notice-9 --by admin
	[ "$status" -eq 1 ]
	[[ "$output" == *"no public notice 'shanghai-2025-notice-9'"* ]]
	run "$QUAN" disburse --db "$DB" "$id" 900000.00 --by finance
	[ "$status" -eq 0 ]
	[ "$(sql "$DB" "select count(*) from events where action = 'notice-close' and subject = 'shanghai-2025-notice-1'")" -eq 1 ]
	# an objection after the end is too late
	run "$QUAN" notice object --db "$DB" "$id" --why "late" --by citizen
	[ "$status" -eq 1 ]
	[[ "$output" == *"ended on 2025-10-09"* ]]
	[ "$(sql "$DB" "select count(*) from events where action = 'notice-open'")" -eq 1 ]
	checks_pass
}

@test "an upheld objection returns the award to the pool to the fen and serves the waitlist" {
	id=$(awarded)
	variant C2 2000000.00 # 600 000.00: waits, 100 000.00 is left
	run "$QUAN" apply --db "$DB" --by a "$TMP/C2.json"
	c2=$(numbers "$output")
	[[ "$(line_of "$output" "$c2")" == *"waitlisted"* ]]
	"$QUAN" notice open --db "$DB" shanghai-2025 "$id" --by admin

	export QUAN_NOW=2025-09-29T11:00:00+08:00
	run "$QUAN" notice object --db "$DB" "$id" --why "the corpus was bought from a related party" --by citizen
	[ "$status" -eq 0 ]
	run "$QUAN" notice object --db "$DB" "$id" --why "again" --by citizen
	[ "$status" -eq 1 ]
	[[ "$output" == *"open objection (1) already"* ]]
	run "$QUAN" notice uphold --db "$DB" "$id" --why "related party confirmed" --by reviewer
	[ "$status" -eq 0 ]
	[[ "$output" == *"$id rejected 900000.00 returned to the pool"* ]]
	corpus=$("$QUAN" report --db "$DB" --json 2>/dev/null | jq -c '.pools[] | select(.pool == "corpus")')
	[[ "$corpus" == *'"available":"400000.00"'* ]]
	[[ "$corpus" == *'"reserved":"600000.00"'* ]]
	[[ "$corpus" == *'"awarded":"0.00"'* ]]
	run "$QUAN" show --db "$DB" "$c2"
	[[ "$output" == *"reserved"* ]]
	# the reversal is one transfer back to the pool
	[ "$(sql "$DB" "select count(*) from events where action in ('object', 'uphold')")" -eq 2 ]
	run "$QUAN" disburse --db "$DB" "$id" 1.00 --by finance
	[ "$status" -eq 1 ]
	checks_pass
}

@test "an objection holds the award past the notice's end until it is dismissed" {
	id=$(awarded)
	"$QUAN" notice open --db "$DB" shanghai-2025 "$id" --by admin
	run "$QUAN" notice object --db "$DB" "$id" --why "the invoice looks altered" --by citizen
	[ "$status" -eq 0 ]
	export QUAN_NOW=2025-10-10T09:00:00+08:00
	run "$QUAN" disburse --db "$DB" "$id" 900000.00 --by finance
	[ "$status" -eq 1 ]
	[[ "$output" == *"holds an open objection (1)"* ]]
	run "$QUAN" notice dismiss --db "$DB" "$id" --why "the original was produced" --by reviewer
	[ "$status" -eq 0 ]
	[[ "$output" == *"$id awarded: objection dismissed, the award stands"* ]]
	run "$QUAN" notice dismiss --db "$DB" "$id" --by reviewer
	[ "$status" -eq 1 ]
	[[ "$output" == *"holds no open objection"* ]]
	"$QUAN" notice close --db "$DB" shanghai-2025-notice-1 --by admin
	run "$QUAN" disburse --db "$DB" "$id" 900000.00 --by finance
	[ "$status" -eq 0 ]
	checks_pass
}

@test "a notice that would reach a year the calendar does not hold is refused" {
	id=$(awarded)
	# Monday 28 December 2026: five working days reach into 2027, which
	# the State Council has not published.
	QUAN_NOW=2026-12-28T10:00:00+08:00 run "$QUAN" notice open --db "$DB" shanghai-2025 "$id" --by admin
	[ "$status" -eq 1 ]
	[[ "$output" == *"does not hold the year 2027"* ]]
	[ "$(sql "$DB" "select count(*) from notices")" -eq 0 ]
	# Friday 26 December 2025: into 2026, whose 元旦 (1 to 3 January) is
	# off and whose Sunday 4 January is worked: 26, 29, 30, 31, 4.
	QUAN_NOW=2025-12-26T10:00:00+08:00 run "$QUAN" notice open --db "$DB" shanghai-2025 "$id" --by admin
	[ "$status" -eq 0 ]
	[[ "$output" == *"to 2026-01-04"* ]]
}

@test "a notice posts only awards of its program, and refuses a measure without public_notice" {
	id=$(awarded)
	run "$QUAN" notice open --db "$DB" other-program "$id" --by admin
	[ "$status" -eq 1 ]
	[[ "$output" == *"unknown program"* ]]
	run "$QUAN" apply --db "$DB" --by a "$EX/sh-compute-rent.json"
	rent=$(numbers "$output")
	run "$QUAN" notice open --db "$DB" shanghai-2025 "$rent" --by admin
	[ "$status" -eq 1 ]
	[[ "$output" == *"is reserved: only an awarded application"* ]]
	"$QUAN" review --db "$DB" "$rent" --approve --by reviewer
	run "$QUAN" notice open --db "$DB" shanghai-2025 "$rent" --by admin
	[ "$status" -eq 1 ]
	[[ "$output" == *"no measure of these applications requires a public notice"* ]]
	# a measure without public_notice is paid as before
	run "$QUAN" disburse --db "$DB" "$rent" 1.00 --by finance
	[ "$status" -eq 0 ]
	run "$QUAN" notice --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"quan notice open"* ]]
}

@test "over HTTP: an administrator opens a notice, an objection is lodged and upheld" {
	id=$(awarded)
	admin=$("$QUAN" user add --db "$DB" ada --role administrator 2>/dev/null)
	rev=$("$QUAN" user add --db "$DB" rita --role reviewer 2>/dev/null)
	fin=$("$QUAN" user add --db "$DB" fay --role finance 2>/dev/null)
	serve_bg "$TMP/serve" "$DB"
	pid=$SERVE_PID url=$URL
	post() { # post PATH TOKEN BODY: the status, then the body
		curl -s -o "$TMP/body" -w '%{http_code}' -X POST "$url$1" \
			-H "Authorization: Bearer $2" -H 'Content-Type: application/json' \
			--data-binary "$3"
		echo
		cat "$TMP/body"
	}
	# a reviewer may not open a notice
	[ "$(post /v1/notices "$rev" "{\"program\":\"shanghai-2025\",\"ids\":[\"$id\"]}" | head -1)" = 403 ]
	out=$(post /v1/notices "$admin" "{\"program\":\"shanghai-2025\",\"ids\":[\"$id\"]}")
	[ "$(head -1 <<<"$out")" = 201 ]
	[ "$(tail -n +2 <<<"$out" | jq -r '.ends_on')" = 2025-10-09 ]
	out=$(post "/v1/applications/$id/disburse" "$fin" '{"amount":"1.00"}')
	[ "$(head -1 <<<"$out")" = 409 ]
	[[ "$out" == *"until 2025-10-09"* ]]
	open_flag() { # whether the notice shows an objection open against $id
		curl -s "$url/v1/notices/shanghai-2025-notice-1" -H "Authorization: Bearer $rev" |
			jq -r --arg id "$id" '.awards[] | select(.id == $id) | .objection_open'
	}
	[ "$(open_flag)" = false ]
	[ "$(post "/v1/applications/$id/objections" "$admin" '{"why":"related party"}' | head -1)" = 201 ]
	[ "$(open_flag)" = true ]
	[ "$(post "/v1/applications/$id/objections/decision" "$rev" '{"outcome":"maybe"}' | head -1)" = 400 ]
	out=$(post "/v1/applications/$id/objections/decision" "$rev" '{"outcome":"upheld","why":"confirmed"}')
	[ "$(head -1 <<<"$out")" = 200 ]
	[ "$(tail -n +2 <<<"$out" | jq -r '.state + " " + .returned')" = "rejected 900000.00" ]
	[ "$(post "/v1/applications/$id/objections/decision" "$rev" '{"outcome":"dismissed"}' | head -1)" = 409 ]
	[ "$(open_flag)" = false ]
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	rm "$TMP/serve.pid"
	checks_pass
}

@test "policy check refuses public_notice on a grant, which is never posted in a notice" {
	sed -e '/^    pool: institute$/a\    public_notice: {working_days: 5, says: "公示", assumption: "a test"}' \
		"$SH" >"$TMP/grant.yaml"
	run "$QUAN" policy check "$TMP/grant.yaml"
	[ "$status" -eq 2 ]
	[[ "$output" == *"'public_notice' on grant measure 'institute'"* ]]
	run "$QUAN" policy check "$TMP/notice.yaml"
	[ "$status" -eq 0 ]
}

@test "migrate copies notices and objections, decided and open, and the hold with them" {
	id=$(awarded)
	"$QUAN" notice open --db "$DB" shanghai-2025 "$id" --by admin
	"$QUAN" notice object --db "$DB" "$id" --why "first" --by citizen
	"$QUAN" notice dismiss --db "$DB" "$id" --by reviewer
	"$QUAN" notice object --db "$DB" "$id" --why "second" --by citizen
	to=$(new_db "$TMP/copy.db")
	run "$QUAN" migrate --from "$DB" --to "$to"
	[ "$status" -eq 0 ]
	[[ "$output" == *"1 notices, 2 objections"* ]]
	export QUAN_NOW=2025-10-10T09:00:00+08:00
	run "$QUAN" disburse --db "$to" "$id" 1.00 --by finance
	[ "$status" -eq 1 ]
	[[ "$output" == *"holds an open objection (2)"* ]]
	run "$QUAN" audit verify --db "$to"
	[ "$status" -eq 0 ]
	db_forget "$to" clean
	drop_db "$to"
}

@test "notice open over a program or a measure posts every award waiting for one, id first" {
	id=$(awarded)
	run "$QUAN" notice open --db "$DB" shanghai-2025 --measure nosuch --by admin
	[ "$status" -eq 1 ]
	[[ "$output" == *"has no measure 'nosuch'"* ]]
	run "$QUAN" notice open --db "$DB" shanghai-2025 --measure corpus "$id" --by admin
	[ "$status" -eq 1 ]
	[[ "$output" == *"--measure or IDs, not both"* ]]
	run --separate-stderr "$QUAN" notice open --db "$DB" shanghai-2025 --measure corpus --by admin
	[ "$status" -eq 0 ]
	[ "${output%% *}" = shanghai-2025-notice-1 ]
	[[ "$output" == *"posts 1 award(s)"* ]]
	# nothing left to post
	run "$QUAN" notice open --db "$DB" shanghai-2025 --by admin
	[ "$status" -eq 1 ]
	[[ "$output" == *"no awarded application of 'shanghai-2025' waits for a public notice"* ]]
	[ "$(sql "$DB" "select notice_id from notice_awards where app_id = '$id'")" = shanghai-2025-notice-1 ]
}

@test "objection add and decide: the contract's names, with their refusals" {
	id=$(awarded)
	run "$QUAN" objection add --db "$DB" "$id" --why "too early" --by citizen
	[ "$status" -eq 1 ]
	[[ "$output" == *"is in no public notice"* ]]
	"$QUAN" notice open --db "$DB" shanghai-2025 --by admin
	run "$QUAN" objection add --db "$DB" "$id" --by citizen
	[ "$status" -eq 1 ]
	[[ "$output" == *"an objection says why"* ]]
	run "$QUAN" objection add --db "$DB" "$id" --why "related party" --by citizen
	[ "$status" -eq 0 ]
	[[ "$output" == *"objection lodged"* ]]
	run "$QUAN" objection decide --db "$DB" "$id" --by reviewer
	[ "$status" -eq 1 ]
	[[ "$output" == *"--uphold or --dismiss"* ]]
	run "$QUAN" objection decide --db "$DB" "$id" --uphold --dismiss --by reviewer
	[ "$status" -eq 1 ]
	# the notice cannot close over an open objection
	export QUAN_NOW=2025-10-10T09:00:00+08:00
	run "$QUAN" notice close --db "$DB" shanghai-2025-notice-1 --by admin
	[ "$status" -eq 1 ]
	[[ "$output" == *"holds an open objection: a reviewer decides it before the notice is closed"* ]]
	run "$QUAN" objection decide --db "$DB" "$id" --uphold --by reviewer --ref obj-1
	[ "$status" -eq 0 ]
	[[ "$output" == *"$id rejected 900000.00 returned to the pool"* ]]
	# the same key answers the same, and moves nothing more
	run "$QUAN" objection decide --db "$DB" "$id" --uphold --by reviewer --ref obj-1
	[ "$status" -eq 0 ]
	[[ "$output" == *"$id rejected 900000.00 returned to the pool"* ]]
	[ "$(sql "$DB" "select count(*) from events where action = 'uphold'")" -eq 1 ]
	run "$QUAN" objection decide --db "$DB" "$id" --dismiss --by reviewer
	[ "$status" -eq 1 ]
	[[ "$output" == *"holds no open objection"* ]]
	run "$QUAN" notice close --db "$DB" shanghai-2025-notice-1 --by admin
	[ "$status" -eq 0 ]
	[[ "$output" == *"0 award(s) may be paid"* ]]
	[ "$(sql "$DB" "select detail from events where action = 'notice-close'" | jq -c .rejected)" = "[\"$id\"]" ]
	run "$QUAN" objection --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"quan objection decide"* ]]
	checks_pass
}

@test "notice export writes CSV, XLSX and a printable Chinese A4 page" {
	id=$(awarded)
	"$QUAN" notice open --db "$DB" shanghai-2025 --by admin
	n=shanghai-2025-notice-1
	run "$QUAN" notice export --db "$DB" "$n" --format pdf --out "$TMP/x"
	[ "$status" -eq 1 ]
	[[ "$output" == *"'pdf' is not csv, xlsx or html"* ]]
	run "$QUAN" notice export --db "$DB" shanghai-2025-notice-7 --format csv --out "$TMP/x"
	[ "$status" -eq 1 ]
	[[ "$output" == *"no public notice"* ]]
	run "$QUAN" notice export --db "$DB" "$n" --format csv
	[ "$status" -eq 1 ]

	run "$QUAN" notice export --db "$DB" "$n" --format csv --out "$TMP/n.csv"
	[ "$status" -eq 0 ]
	[ "$(head -1 "$TMP/n.csv" | tr -d '\r')" = "序号,申请编号,申请单位,统一社会信用代码,支持措施,拟资助金额（元）,状态" ]
	[ "$(sed -n 2p "$TMP/n.csv" | tr -d '\r')" = "1,$id,海上语言智能科技有限公司,91310000MA1FL8WR2F,语料券：向非关联方采购语料,900000.00,公示中" ]

	run "$QUAN" notice export --db "$DB" "$n" --format xlsx --out "$TMP/n.xlsx"
	[ "$status" -eq 0 ]
	unzip -t "$TMP/n.xlsx" >/dev/null
	strings=$(unzip -p "$TMP/n.xlsx" xl/sharedStrings.xml)
	[[ "$strings" == *"<t>$id</t>"* ]]
	[[ "$strings" == *"<t>海上语言智能科技有限公司</t>"* ]]
	[[ "$strings" == *"<t>900000.00</t>"* ]]
	[[ "$strings" == *"<t>拟资助金额（元）</t>"* ]]
	[[ "$(unzip -p "$TMP/n.xlsx" xl/workbook.xml)" == *'name="公示名单"'* ]]

	run "$QUAN" notice export --db "$DB" "$n" --format html --out "$TMP/n.html"
	[ "$status" -eq 0 ]
	html=$(cat "$TMP/n.html")
	[[ "$html" == *"@page { size: A4"* ]]
	[[ "$html" == *"<h1>上海市进一步扩大人工智能应用的若干措施拟资助名单公示</h1>"* ]]
	[[ "$html" == *"沪经信智〔2025〕489号"* ]]
	[[ "$html" == *"上海市经济和信息化委员会"* ]]
	[[ "$html" == *"2025年9月26日至2025年10月9日（5个工作日）"* ]]
	[[ "$html" == *">900000.00<"* ]]
	# no English left in the text a reader sees: strip the tags and the
	# style, then the allowed ids, USCCs, numbers and dates
	text=$(sed -e '/<style>/,/<\/style>/d' -e 's/<[^>]*>//g' "$TMP/n.html" |
		sed -E -e "s/$id//g" -e "s/$n//g" -e 's/[0-9A-Z]{18}//g')
	! grep -E '[A-Za-z]{2,}' <<<"$text"

	# closed, after an upheld objection elsewhere the outcome follows
	export QUAN_NOW=2025-10-10T09:00:00+08:00
	"$QUAN" notice close --db "$DB" "$n" --by admin
	"$QUAN" notice export --db "$DB" "$n" --format csv --out "$TMP/n2.csv"
	[[ "$(sed -n 2p "$TMP/n2.csv")" == *",公示期满，准予拨付"* ]]
}

@test "over HTTP: notices listed and shown, closed, exported in three formats, and a letter" {
	id=$(awarded)
	admin=$("$QUAN" user add --db "$DB" ada --role administrator 2>/dev/null)
	rev=$("$QUAN" user add --db "$DB" rita --role reviewer 2>/dev/null)
	serve_bg "$TMP/serve" "$DB"
	pid=$SERVE_PID url=$URL
	req() { # req METHOD PATH TOKEN [BODY]: the status; the body in $TMP/body
		curl -s -o "$TMP/body" -D "$TMP/headers" -w '%{http_code}' -X "$1" "$url$2" \
			-H "Authorization: Bearer $3" -H 'Content-Type: application/json' \
			${4:+--data-binary "$4"}
	}
	# without ids: every award of the program waiting for a notice
	[ "$(req POST /v1/notices "$admin" '{"program":"shanghai-2025","measure":"corpus"}')" = 201 ]
	[ "$(jq -r .id "$TMP/body")" = shanghai-2025-notice-1 ]
	[ "$(req POST /v1/notices "$admin" '{"program":"shanghai-2025"}')" = 409 ]
	[ "$(req GET /v1/notices "$rev")" = 200 ]
	[ "$(jq -r '.[0].id + " " + .[0].ends_on + " " + (.[0].closed | tostring)' "$TMP/body")" = "shanghai-2025-notice-1 2025-10-09 false" ]
	[ "$(req GET /v1/notices/shanghai-2025-notice-1 "$rev")" = 200 ]
	[ "$(jq -r '.awards[0].id + " " + .awards[0].amount + " " + .awards[0].outcome' "$TMP/body")" = "$id 900000.00 公示中" ]
	[ "$(req GET /v1/notices/shanghai-2025-notice-9 "$rev")" = 404 ]
	[ "$(req GET "/v1/notices/$id" "$rev")" = 400 ]

	[ "$(req GET '/v1/notices/shanghai-2025-notice-1/export?format=csv' "$rev")" = 200 ]
	grep -qi '^content-type: text/csv' "$TMP/headers"
	grep -q "^1,$id,海上语言智能科技有限公司," "$TMP/body"
	[ "$(req GET '/v1/notices/shanghai-2025-notice-1/export?format=xlsx' "$rev")" = 200 ]
	grep -qi '^content-type: application/vnd.openxmlformats' "$TMP/headers"
	cp "$TMP/body" "$TMP/n.xlsx"
	[[ "$(unzip -p "$TMP/n.xlsx" xl/sharedStrings.xml)" == *"<t>900000.00</t>"* ]]
	[ "$(req GET '/v1/notices/shanghai-2025-notice-1/export?format=html' "$rev")" = 200 ]
	grep -q '沪经信智〔2025〕489号' "$TMP/body"
	[ "$(req GET '/v1/notices/shanghai-2025-notice-1/export?format=pdf' "$rev")" = 400 ]
	[ "$(req GET '/v1/notices/shanghai-2025-notice-1/export?color=red' "$rev")" = 400 ]

	# closing: only an administrator, only after its end
	[ "$(req POST /v1/notices/shanghai-2025-notice-1/close "$rev")" = 403 ]
	[ "$(req POST /v1/notices/shanghai-2025-notice-1/close "$admin")" = 409 ]
	[[ "$(cat "$TMP/body")" == *"can be closed from the day after"* ]]

	[ "$(req GET "/v1/applications/$id/letter?kind=award" "$rev")" = 200 ]
	grep -qi '^content-type: text/html' "$TMP/headers"
	grep -q '核定资助金额为人民币<b>900000.00</b>元' "$TMP/body"
	[ "$(req GET "/v1/applications/$id/letter?kind=rejection" "$rev")" = 409 ]
	[ "$(req GET "/v1/applications/$id/letter?kind=thanks" "$rev")" = 400 ]
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	rm "$TMP/serve.pid"

	# the day after its end, over HTTP again
	export QUAN_NOW=2025-10-10T09:00:00+08:00
	serve_bg "$TMP/serve" "$DB"
	pid=$SERVE_PID url=$URL
	[ "$(req POST /v1/notices/shanghai-2025-notice-1/close "$admin")" = 200 ]
	[ "$(jq -r '.payable' "$TMP/body")" = 1 ]
	[ "$(req GET /v1/notices/shanghai-2025-notice-1 "$rev")" = 200 ]
	[ "$(jq -r '.closed_by + " " + .awards[0].outcome' "$TMP/body")" = "ada 公示期满，准予拨付" ]
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	rm "$TMP/serve.pid"
	checks_pass
}

@test "the export shows the amount as posted, also after an upheld objection reversed it" {
	variant C1 3000000.00
	out=$("$QUAN" apply --db "$DB" --by a "$TMP/C1.json" 2>/dev/null)
	id=$(numbers "$out")
	# approved at a lower rate: 20% of 3 000 000.00, not the 900 000.00 asked
	"$QUAN" review --db "$DB" "$id" --approve --rate 20% --by reviewer >/dev/null 2>&1
	"$QUAN" notice open --db "$DB" shanghai-2025 --by admin >/dev/null 2>&1
	"$QUAN" objection add --db "$DB" "$id" --why "related party" --by citizen >/dev/null 2>&1
	run "$QUAN" objection decide --db "$DB" "$id" --uphold --by reviewer
	[ "$status" -eq 0 ]
	[[ "$output" == *"$id rejected 600000.00 returned to the pool"* ]]
	"$QUAN" notice export --db "$DB" shanghai-2025-notice-1 --format csv --out "$TMP/n.csv" >/dev/null 2>&1
	[ "$(sed -n 2p "$TMP/n.csv" | tr -d '\r')" = "1,$id,海上语言智能科技有限公司,91310000MA1FL8WR2F,语料券：向非关联方采购语料,600000.00,异议成立，不予资助" ]
	[ "$(sql "$DB" "select amount from notice_awards where app_id = '$id'")" -eq 60000000 ]
	# and migrate carries it
	to=$(new_db "$TMP/copy.db")
	"$QUAN" migrate --from "$DB" --to "$to" >/dev/null 2>&1
	[ "$(sql "$to" "select amount from notice_awards where app_id = '$id'")" -eq 60000000 ]
	db_forget "$to" clean
	drop_db "$to"
}
