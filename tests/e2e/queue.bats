#!/usr/bin/env bats
# The review queue's search (GET /v1/applications with q, uscc_prefix,
# filters, sort and after; `quan list`) over real HTTP on loopback, on
# SQLite or, with QUAN_TEST_DB set, PostgreSQL. 300 applications of
# Shanghai 2025 compute rent, each from its own firm, imported with
# `quan apply --csv` (tests/e2e/tools/queue_csv.py).

load db

setup_file() {
	export QUAN=${QUAN:-$BATS_TEST_DIRNAME/../../build/quan}
	export ROOT=$BATS_TEST_DIRNAME/../..
	export DIR=$(mktemp -d)
	export DB=$(new_db "$DIR/office.db")
	export QUAN_NOW=2025-12-01T10:00:00+08:00
	python3 "$ROOT/tests/e2e/tools/queue_csv.py" 300 >"$DIR/apps.csv"
	"$QUAN" init --db "$DB" --policy "$ROOT/policies/shanghai-2025.yaml" --by admin >/dev/null 2>&1
	"$QUAN" apply --db "$DB" --csv "$DIR/apps.csv" --by admin >/dev/null 2>&1
	export T_REVIEWER=$("$QUAN" user add --db "$DB" rita --role reviewer 2>/dev/null)
	export T_REVIEWER2=$("$QUAN" user add --db "$DB" rob --role reviewer 2>/dev/null)
	# One award above Shanghai's 1 M yuan: it needs two reviewers.
	sed -E -e 's/"client_ref": *"[^"]*"/"client_ref": "BIG-1"/' \
		-e 's/"number": *"[^"]*"/"number": "HT-BIG-1"/' \
		-e 's/"value": *"[0-9.]+"/"value": "9000000.00"/' \
		"$ROOT/examples/applications/sh-compute-rent.json" >"$DIR/big.json"
	"$QUAN" apply --db "$DB" "$DIR/big.json" --by admin >/dev/null 2>&1
	export T_APPLICANT=$("$QUAN" user add --db "$DB" hw --role applicant --uscc 91310115M000000194 2>/dev/null)
	serve_bg "$DIR/serve" "$DB"
	export URL
}

teardown_file() {
	kill "$(cat "$DIR/serve.pid")" 2>/dev/null || true
	wait 2>/dev/null || true
	drop_db "$DB"
	rm -rf "$DIR"
}

# get QUERY [TOKEN]: GET /v1/applications?QUERY; sets $code and $body.
get() {
	code=$(curl -s -o "$DIR/body" -w '%{http_code}' \
		-H "Authorization: Bearer ${2:-$T_REVIEWER}" "$URL/v1/applications?$1")
	body=$(cat "$DIR/body")
}

@test "every application was imported" {
	[ "$(sql "$DB" 'SELECT COUNT(*) FROM applications')" -eq 301 ]
}

# approve TOKEN KEY BODY: POST /v1/applications/approve; sets $code, $body.
approve() {
	code=$(curl -s -o "$DIR/body" -w '%{http_code}' -X POST \
		-H "Authorization: Bearer $1" -H "Idempotency-Key: $2" \
		-H 'Content-Type: application/json' --data-binary "$3" \
		"$URL/v1/applications/approve")
	body=$(cat "$DIR/body")
}

@test "search by a two-character Chinese name finds it, and every name that holds it" {
	get "q=%E5%8D%8E%E4%B8%BA&limit=1000"
	[ "$code" -eq 200 ]
	[ "$(jq -r '.applications[0].name' <<<"$body")" = 华为 ]
	# Every answer holds 华为, and every firm whose name holds it is answered.
	[ "$(jq '[.applications[] | select(.name | contains("华为") | not)] | length' <<<"$body")" -eq 0 ]
	want=$(grep -c '^[^,]*,[^,]*,[^,]*,[^,]*,[^,]*,[^,]*华为' "$DIR/apps.csv")
	[ "$(jq '.applications | length' <<<"$body")" -eq "$want" ]
	# A longer name, and one character (read row by row, no index).
	get "q=%E7%94%B2%E4%B9%99%E7%A7%91%E6%8A%80"
	[ "$(jq -r '[.applications[].name] | join(",")' <<<"$body")" = 上海甲乙科技有限公司 ]
	get "q=%E7%94%B2&limit=1000"
	[ "$code" -eq 200 ]
	[ "$(jq '.applications | length' <<<"$body")" -ge 1 ]
	[ "$(jq '[.applications[] | select(.name | contains("甲") | not)] | length' <<<"$body")" -eq 0 ]
	# No such firm: an empty page.
	get "q=%E6%97%A0%E6%AD%A4"
	[ "$code" -eq 200 ]
	[ "$(jq '.applications | length' <<<"$body")" -eq 0 ]
}

@test "search by USCC prefix: exactly the firms whose USCC begins so" {
	get "uscc_prefix=91310115&limit=1000"
	[ "$code" -eq 200 ]
	want=$(($(cut -d, -f5 "$DIR/apps.csv" | grep -c '^91310115') + 1)) # and BIG-1's
	[ "$(jq '.applications | length' <<<"$body")" -eq "$want" ]
	[ "$(jq '[.applications[] | select(.uscc | startswith("91310115") | not)] | length' <<<"$body")" -eq 0 ]
	get "uscc_prefix=91310115M000000194"
	[ "$(jq -r '.applications[0].name' <<<"$body")" = 华为 ]
	get "uscc_prefix=9131-"
	[ "$code" -eq 400 ]
	[ "$(jq -r .error.field <<<"$body")" = uscc_prefix ]
}

@test "filters: amount range in yuan, days received, state, measure, flag" {
	get "amount_min=100000.00&amount_max=200000.00&limit=1000"
	[ "$code" -eq 200 ]
	n=$(jq '.applications | length' <<<"$body")
	[ "$n" -gt 0 ]
	[ "$(jq '[.applications[] | (.requested | tonumber) | select(. < 100000 or . > 200000)] | length' <<<"$body")" -eq 0 ]
	[ "$(sql "$DB" 'SELECT COUNT(*) FROM applications WHERE requested BETWEEN 10000000 AND 20000000')" -eq "$n" ]
	get "received_from=2025-10-05&received_to=2025-10-06&limit=1000"
	[ "$code" -eq 200 ]
	[ "$(jq '[.applications[] | .received_at[0:10] | select(. < "2025-10-05" or . > "2025-10-06")] | length' <<<"$body")" -eq 0 ]
	[ "$(jq '.applications | length' <<<"$body")" -gt 0 ]
	get "measure=compute-rent&state=reserved&limit=5"
	[ "$(jq '.applications | length' <<<"$body")" -eq 5 ]
	get "measure=no-such-measure"
	[ "$(jq '.applications | length' <<<"$body")" -eq 0 ]
	# flagged and unflagged split the office
	get "flag=yes&limit=1000"
	yes=$(jq '.applications | length' <<<"$body")
	[ "$(jq '[.applications[] | select(.flags | length == 0)] | length' <<<"$body")" -eq 0 ]
	get "flag=no&limit=1000"
	no=$(jq '.applications | length' <<<"$body")
	[ "$(jq '[.applications[] | select(.flags | length > 0)] | length' <<<"$body")" -eq 0 ]
	[ $((yes + no)) -eq 301 ]
	get "amount_min=-5"
	[ "$code" -eq 400 ]
	get "received_to=2025-13-01"
	[ "$code" -eq 400 ]
	get "flag=maybe"
	[ "$code" -eq 400 ]
}

@test "sort: oldest received first by default, and each of the four orders" {
	get "q=%E6%9C%89%E9%99%90&limit=1000"
	[ "$(jq '[.applications[].received_at] == ([.applications[].received_at] | sort)' <<<"$body")" = true ]
	get "sort=-received&measure=compute-rent&limit=1000"
	[ "$(jq '[.applications[].received_at] == ([.applications[].received_at] | sort | reverse)' <<<"$body")" = true ]
	get "sort=amount&measure=compute-rent&limit=1000"
	[ "$(jq '[.applications[].requested | tonumber] == ([.applications[].requested | tonumber] | sort)' <<<"$body")" = true ]
	get "sort=-amount&measure=compute-rent&limit=1000"
	[ "$(jq '[.applications[].requested | tonumber] == ([.applications[].requested | tonumber] | sort | reverse)' <<<"$body")" = true ]
	get "sort=newest"
	[ "$code" -eq 400 ]
}

@test "paging with after: every application once, no repeats, no gaps, in each sort" {
	for sort in received -received amount -amount; do
		: >"$DIR/ids"
		q="sort=$sort&measure=compute-rent&limit=20"
		get "$q"
		pages=0
		while :; do
			[ "$code" -eq 200 ]
			jq -r '.applications[].id' <<<"$body" >>"$DIR/ids"
			next=$(jq -r '.next_after // empty' <<<"$body")
			[ -n "$next" ] || break
			get "$q&after=$next"
			pages=$((pages + 1))
		done
		[ "$(wc -l <"$DIR/ids")" -eq 301 ]
		[ "$(sort -u "$DIR/ids" | wc -l)" -eq 301 ]
		[ "$pages" -ge 15 ]
	done
	# A cursor of another sort is refused, not misread.
	get "sort=received&limit=1"
	next=$(jq -r .next_after <<<"$body")
	get "sort=amount&after=$next"
	[ "$code" -eq 400 ]
	[ "$(jq -r .error.field <<<"$body")" = after ]
	# before is the newest-first listing's cursor, not the search's.
	get "q=%E5%8D%8E%E4%B8%BA&before=5"
	[ "$code" -eq 400 ]
}

# page_all QUERY KEY: every page of QUERY (limit 20) after the one before;
# the ids into $DIR/ids, the sort key (KEY: received_at or requested)
# and id of each row, in order, into $DIR/keys.
page_all() {
	: >"$DIR/ids"
	: >"$DIR/keys"
	get "$1&limit=20"
	while :; do
		[ "$code" -eq 200 ]
		jq -r '.applications[].id' <<<"$body" >>"$DIR/ids"
		jq -r ".applications[] | \"\(.$2) \(.id)\"" <<<"$body" >>"$DIR/keys"
		next=$(jq -r '.next_after // empty' <<<"$body")
		[ -n "$next" ] || break
		get "$1&limit=20&after=$next"
	done
}

# With 301 applications both prefixes are read by their index; the walk
# in the sort's order that a prefix of 2 000 rows or more takes first is
# checked against it, page by page, in tests/unit/test_search.c.
@test "uscc_prefix across pages: a selective and a broad prefix, each sort, every firm once" {
	for prefix in 91310115 9131; do
		want=$(sql "$DB" "SELECT COUNT(*) FROM applications WHERE uscc LIKE '$prefix%'")
		[ "$want" -ge 50 ]
		for sort in received -received amount -amount; do
			key=received_at
			[[ $sort == *amount ]] && key=requested
			page_all "uscc_prefix=$prefix&sort=$sort" $key
			[ "$(wc -l <"$DIR/ids")" -eq "$want" ]
			[ "$(sort -u "$DIR/ids" | wc -l)" -eq "$want" ]
			# In the sort's order (amounts as numbers, then by id).
			if [[ $sort == -* ]]; then r=-r; else r=; fi
			if [ $key = requested ]; then
				cut -d' ' -f1 "$DIR/keys" | sort -c -g $r
			else
				cut -d' ' -f1 "$DIR/keys" | sort -c $r
			fi
		done
		# The ids are exactly the prefix's.
		sql "$DB" "SELECT id FROM applications WHERE uscc LIKE '$prefix%' ORDER BY id" >"$DIR/want"
		sort "$DIR/ids" | diff - "$DIR/want"
	done
}

@test "an applicant's search sees only its own applications" {
	get "uscc_prefix=9131&limit=1000" "$T_APPLICANT"
	[ "$code" -eq 200 ]
	[ "$(jq -r '[.applications[].uscc] | unique | join(",")' <<<"$body")" = 91310115M000000194 ]
}

@test "an unknown query parameter is 400, naming it" {
	get "q=x&colour=red"
	[ "$code" -eq 400 ]
	[ "$(jq -r .error.field <<<"$body")" = colour ]
}

@test "quan list: the same search from the command line" {
	out=$("$QUAN" list --db "$DB" --q 华为 --sort received 2>/dev/null)
	[[ "$(head -1 <<<"$out")" == *" 华为" ]]
	[ "$(wc -l <<<"$out")" -eq "$(grep -c '^[^,]*,[^,]*,[^,]*,[^,]*,[^,]*,[^,]*华为' "$DIR/apps.csv")" ]
	output=$("$QUAN" list --db "$DB" shanghai-2025 --uscc-prefix 91310115 --amount-min 100000 --limit 2 --json 2>/dev/null)
	[ "$(jq '.applications | length' <<<"$output")" -eq 2 ]
	next=$(jq -r .next_after <<<"$output")
	output=$("$QUAN" list --db "$DB" shanghai-2025 --uscc-prefix 91310115 --amount-min 100000 --limit 2 --json --after "$next" 2>/dev/null)
	[ "$(jq '.applications | length' <<<"$output")" -eq 2 ]
	[ "$(jq '[.applications[] | (.requested | tonumber) | select(. < 100000)] | length' <<<"$output")" -eq 0 ]
	run "$QUAN" list --db "$DB" --sort sideways
	[ "$status" -eq 1 ]
	[[ "$output" == *"sort: one of"* ]]
}

@test "bulk approval: each id answered, the two-person rule held inside, keyed per batch and id" {
	# Run last among the searches: it changes states.
	approve "$T_REVIEWER" bulk-1 '{"ids": ["SH-2025-000010", "SH-2025-000301", "SH-2025-000011", "SH-2025-999999"]}'
	[ "$code" -eq 200 ]
	[ "$(jq -r '[.results[] | .id + "=" + .outcome] | join(" ")' <<<"$body")" = \
		"SH-2025-000010=approved SH-2025-000301=waiting_second_approver SH-2025-000011=approved SH-2025-999999=refused" ]
	[ "$(jq -c '[.approved, .waiting, .refused]' <<<"$body")" = "[2,1,1]" ]
	[ "$(jq -r '.results[3].error.code' <<<"$body")" = not_found ]
	[ "$(sql "$DB" "SELECT state FROM applications WHERE id = 'SH-2025-000010'")" = awarded ]
	[ "$(sql "$DB" "SELECT state FROM applications WHERE id = 'SH-2025-000301'")" = reserved ]
	# The same batch again: the same answers, replayed; nothing moves twice.
	events=$(sql "$DB" 'SELECT COUNT(*) FROM events')
	approve "$T_REVIEWER" bulk-1 '{"ids": ["SH-2025-000010", "SH-2025-000301", "SH-2025-000011"]}'
	[ "$code" -eq 200 ]
	[ "$(jq -r '[.results[].replayed] | unique | join(",")' <<<"$body")" = true ]
	[ "$(sql "$DB" 'SELECT COUNT(*) FROM events')" -eq "$events" ]
	# Four eyes: the first approver cannot finish the award alone ...
	approve "$T_REVIEWER" bulk-2 '{"ids": ["SH-2025-000301", "SH-2025-000012"]}'
	[ "$(jq -r '.results[0].outcome' <<<"$body")" = refused ]
	[[ "$(jq -r '.results[0].error.message' <<<"$body")" == *"second, different approver"* ]]
	[ "$(jq -r '.results[1].outcome' <<<"$body")" = approved ]
	[ "$(sql "$DB" "SELECT state FROM applications WHERE id = 'SH-2025-000301'")" = reserved ]
	# ... a second reviewer does.
	approve "$T_REVIEWER2" bulk-3 '{"ids": ["SH-2025-000301"]}'
	[ "$(jq -r '.results[0].outcome' <<<"$body")" = approved ]
	[ "$(sql "$DB" "SELECT state FROM applications WHERE id = 'SH-2025-000301'")" = awarded ]
	# Refused as a whole: no ids, an id twice, another role.
	approve "$T_REVIEWER" bulk-4 '{"ids": []}'
	[ "$code" -eq 400 ]
	approve "$T_REVIEWER" bulk-5 '{"ids": ["SH-2025-000020", "SH-2025-000020"]}'
	[ "$code" -eq 400 ]
	[ "$(sql "$DB" "SELECT state FROM applications WHERE id = 'SH-2025-000020'")" = reserved ]
	approve "$T_APPLICANT" bulk-6 '{"ids": ["SH-2025-000020"]}'
	[ "$code" -eq 403 ]
}

@test "quan review --approve with several ids: each answered, exit 1 when one is refused" {
	run "$QUAN" review --db "$DB" SH-2025-000030 SH-2025-000031 --approve --by rita --ref cli-1 --json
	[ "$status" -eq 0 ]
	[ "$(sed -n '/^{/,$p' <<<"$output" | jq -r '[.results[].outcome] | join(",")')" = approved,approved ]
	run "$QUAN" review --db "$DB" SH-2025-000032 SH-2025-999998 --approve --by rita --ref cli-2
	[ "$status" -eq 1 ]
	[[ "$output" == *"SH-2025-000032   approved"* ]]
	[[ "$output" == *"SH-2025-999998   refused"* ]]
	[ "$(sql "$DB" "SELECT state FROM applications WHERE id = 'SH-2025-000032'")" = awarded ]
}

@test "waiting explains itself: 2 487.00 of corpus behind a 5 M head while 4.9 M is available (strict order)" {
	# The issue's case: the corpus pool cut to 9.9 M, 5 M reserved, a 5 M
	# head waitlisted, then a small application waitlisted behind it.
	local W=$DIR/wait
	mkdir -p "$W"
	sed -E -e "/^  - id: corpus$/,/^  - id:/ s/2025: \"100000000.00\"/2025: \"9900000.00\"/" \
		"$ROOT/policies/shanghai-2025.yaml" >"$W/p.yaml"
	local db
	db=$(new_db "$W/office.db")
	QUAN_NOW=2025-11-20T10:00:00+08:00 "$QUAN" init --db "$db" --policy "$W/p.yaml" --by admin >/dev/null 2>&1
	local u=91310000MA1FL8WR2F
	v() {
		sed -E -e "s/\"client_ref\": *\"[^\"]*\"/\"client_ref\": \"$1\"/" \
			-e "s/\"number\": *\"[^\"]*\"/\"number\": \"HT-$1\"/" \
			-e "s/\"value\": *\"[0-9.]+\"/\"value\": \"$2\"/" -e "s/$u/$3/" \
			"$ROOT/examples/applications/sh-corpus.json" >"$W/$1.json"
		QUAN_NOW=2025-11-20T10:00:00+08:00 "$QUAN" apply --db "$db" "$W/$1.json" --by admin 2>/dev/null
	}
	[[ "$(v w1 30000000.00 $u)" == *reserved*5000000.00* ]]
	[[ "$(v w2 30000000.00 91310104M000000271)" == *waitlisted*5000000.00* ]]
	[[ "$(v w3 8290.00 91310115M000000194)" == *waitlisted*2487.00* ]]
	w=$("$QUAN" show --db "$db" SH-2025-000003 --json 2>/dev/null | jq -c .waiting)
	[ "$(jq -c '[.position, .ahead, .ahead_amount, .head, .head_requested, .pool, .available, .order]' <<<"$w")" = \
		'[2,1,"5000000.00","SH-2025-000002","5000000.00","corpus","4900000.00","strict"]' ]
	[[ "$(jq -r .why <<<"$w")" == *"served in the order received"* ]]
	[[ "$(jq -r .why_zh <<<"$w")" == *"前面有 1 件申请"*"可用 4900000.00 元"* ]]
	# The head itself is first in line; an application that does not wait has no such part.
	[[ "$("$QUAN" show --db "$db" SH-2025-000002 --json 2>/dev/null | jq -r .waiting.why_zh)" == 排在首位* ]]
	[ "$("$QUAN" show --db "$db" SH-2025-000001 --json 2>/dev/null | jq -c .waiting)" = null ]
	drop_db "$db"
}
