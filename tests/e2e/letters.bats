#!/usr/bin/env bats
# End-to-end: the letters to an applicant (decision, rejection, award,
# clawback) as printable A4 pages in Chinese, from the stored figures, over
# the CLI and HTTP.

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

# The text a reader sees of letter $1, without the style, the tags, the
# reasons the engine still renders in English (they are listed in
# ol.reasons), and what may stay in Latin letters: ids, USCCs, rule ids,
# numbers and dates.
visible() {
	sed -e '/<style>/,/<\/style>/d' -e '/<ol class="reasons">/,/<\/ol>/d' "$1" |
		sed -E -e 's/<[^>]*>//g' -e 's/SH-2025-[0-9]{6}//g' -e 's/[0-9A-Z]{18}//g'
}

# A letter carries the program's document number, its issuing office, its
# A4 print CSS, and no English outside the reasons.
is_letter() {
	grep -q '@page { size: A4' "$1"
	grep -q '沪经信智〔2025〕489号' "$1"
	grep -q '上海市经济和信息化委员会' "$1"
	grep -q '上海市进一步扩大人工智能应用的若干措施' "$1"
	! visible "$1" | grep -E '[A-Za-z]{2,}'
}

@test "award and clawback letters carry the stored amounts; a kind that does not fit is refused" {
	run "$QUAN" apply --db "$DB" --by applicant "$EX/sh-compute-rent.json"
	id=$(numbers "$output")
	run "$QUAN" letter --db "$DB" "$id" --kind award --out "$TMP/a.html"
	[ "$status" -eq 1 ]
	[[ "$output" == *"is reserved: an award letter is for an awarded application"* ]]
	[ ! -e "$TMP/a.html" ]
	"$QUAN" review --db "$DB" "$id" --approve --by reviewer >/dev/null 2>&1
	run --separate-stderr "$QUAN" letter --db "$DB" "$id" --kind award --out "$TMP/a.html"
	[ "$status" -eq 0 ]
	[ "$output" = "$id award letter written to $TMP/a.html" ]
	is_letter "$TMP/a.html"
	grep -q '<h1>资助决定通知书</h1>' "$TMP/a.html"
	grep -q '核定资助金额为人民币<b>360000.00</b>元' "$TMP/a.html"
	grep -q "申请编号：$id" "$TMP/a.html"

	run "$QUAN" letter --db "$DB" "$id" --kind clawback --out "$TMP/c.html"
	[ "$status" -eq 1 ]
	[[ "$output" == *"nothing clawed back"* ]]
	through_notice "$DB" shanghai-2025 "$id" >/dev/null # its 5-working-day notice (公示)
	"$QUAN" disburse --db "$DB" "$id" 360000.00 --by finance >/dev/null 2>&1
	"$QUAN" clawback --db "$DB" "$id" 60000.00 --why "价格高于目录价" --by finance >/dev/null 2>&1
	run "$QUAN" letter --db "$DB" "$id" --kind clawback --out "$TMP/c.html"
	[ "$status" -eq 0 ]
	is_letter "$TMP/c.html"
	grep -q '<h1>追回资助资金通知书</h1>' "$TMP/c.html"
	grep -q '人民币<b>60000.00</b>元' "$TMP/c.html"
	grep -q '追回理由：价格高于目录价' "$TMP/c.html"
	grep -q '<th>已拨付金额（元）</th><td>360000.00</td>' "$TMP/c.html"
	grep -q '<th>已追回金额（元）</th><td>60000.00</td>' "$TMP/c.html"

	run "$QUAN" letter --db "$DB" "$id" --kind rejection --out "$TMP/r.html"
	[ "$status" -eq 1 ]
	run "$QUAN" letter --db "$DB" "$id" --kind thanks --out "$TMP/r.html"
	[ "$status" -eq 1 ]
	[[ "$output" == *"'thanks' is not decision, rejection, award or clawback"* ]]
	run "$QUAN" letter --db "$DB" SH-2025-999999 --kind award --out "$TMP/r.html"
	[ "$status" -eq 1 ]
	[[ "$output" == *"no application 'SH-2025-999999'"* ]]
	run "$QUAN" letter --db "$DB" "$id" --kind award
	[ "$status" -eq 1 ]
	run "$QUAN" letter --help
	[ "$status" -eq 0 ]
	[[ "$output" == "usage: quan letter"* ]]
}

@test "rejection and decision letters give the reasons in words" {
	run "$QUAN" apply --db "$DB" --by applicant "$EX/sh-corpus-related.json"
	id=$(numbers "$output")
	run "$QUAN" letter --db "$DB" "$id" --kind rejection --out "$TMP/r.html"
	[ "$status" -eq 0 ]
	is_letter "$TMP/r.html"
	grep -q '<h1>不予资助通知书</h1>' "$TMP/r.html"
	grep -q '（规则 corpus.screen.related-party）' "$TMP/r.html"
	run "$QUAN" letter --db "$DB" "$id" --kind decision --out "$TMP/d.html"
	[ "$status" -eq 0 ]
	is_letter "$TMP/d.html"
	grep -q '结果为：<b>不符合申报条件</b>' "$TMP/d.html"

	# a reviewer's rejection gives the reviewer's words first
	run "$QUAN" apply --db "$DB" --by applicant "$EX/sh-model.json"
	m=$(numbers "$output")
	"$QUAN" review --db "$DB" "$m" --reject --why "合同金额与发票不符" --by reviewer >/dev/null 2>&1
	run "$QUAN" letter --db "$DB" "$m" --kind rejection --out "$TMP/m.html"
	[ "$status" -eq 0 ]
	is_letter "$TMP/m.html"
	grep -q '<li>审核意见：合同金额与发票不符</li>' "$TMP/m.html"
}
