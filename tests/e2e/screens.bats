#!/usr/bin/env bats
# End-to-end: the screens through the real `quan` binary (apply, registry
# import, lists import) on an office holding Shanghai 2025 and Hangzhou 2024.

load db

setup() {
	QUAN=${QUAN:-$BATS_TEST_DIRNAME/../../build/quan}
	ROOT=$BATS_TEST_DIRNAME/../..
	SH=$ROOT/policies/shanghai-2025.yaml
	HZ=$ROOT/policies/hangzhou-2024.yaml
	EX=$ROOT/examples/applications
	TMP=$(mktemp -d)
	DB=$TMP/office.db
	# The office's clock: inside both programs' windows, after every
	# contract here was signed.
	export QUAN_NOW=2025-11-20T10:00:00+08:00
	"$QUAN" init --db "$DB" --policy "$SH" --by admin >/dev/null
	"$QUAN" init --db "$DB" --policy "$HZ" --by admin >/dev/null
	hz_lists "$DB" 91310104MA1FR5T2K1
}

teardown() {
	rm -rf "$TMP"
}

# The Shanghai rent example with client_ref $1 (and file $1.json), sed
# expressions $2... applied.
sh_app() {
	local id=$1
	shift
	sed -E -e "s/\"client_ref\": *\"[^\"]*\"/\"client_ref\": \"$id\"/" "$@" \
		"$EX/sh-compute-rent.json" >"$TMP/$id.json"
}

# The same contract as a Hangzhou application.
hz_app() {
	local id=$1
	shift
	sh_app "$id" -e 's/"shanghai-2025"/"hangzhou-2024"/' \
		-e 's/"compute-rent"/"compute"/' \
		-e 's/"registered_city": "shanghai"/"registered_city": "hangzhou"/' \
		-e 's/"location": "shanghai"/"location": "hangzhou"/' "$@"
}

@test "the same contract in Shanghai then Hangzhou: the second is blocked, naming the first" {
	run "$QUAN" apply --db "$DB" --by a "$EX/sh-compute-rent.json"
	[ "$status" -eq 0 ]
	sh=$(numbers "$output")
	[ -n "$sh" ]
	[[ "$(line_of "$output" "$sh")" == *"reserved"* ]]
	[[ "$output" != *"flags"* ]]
	hz_app HZ-1
	run "$QUAN" apply --db "$DB" --by a "$TMP/HZ-1.json"
	[ "$status" -eq 0 ]
	hz=$(numbers "$output")
	[[ "$hz" == HZ-2025-* ]]
	[[ "$(line_of "$output" "$hz")" == *"ineligible"*"flags: duplicate_claim (blocked)"* ]]
	run "$QUAN" show --db "$DB" "$hz" --json
	[[ "$output" == *'"flag": "duplicate_claim"'* ]]
	# the evidence names the first claim by the office's number
	[[ "$output" == *"\"application\": \"$sh\""* ]]
	[[ "$output" == *'"program": "shanghai-2025"'* ]]
	[[ "$output" == *'"rule": "screen.duplicate-claim"'* ]]
	[[ "$output" == *'"at": "'*'hangzhou-2024.yaml:'* ]]
	run "$QUAN" audit replay --db "$DB"
	[ "$status" -eq 0 ]
	[[ "$output" == *"0 differ"* ]]
	run "$QUAN" ledger check --db "$DB"
	[ "$status" -eq 0 ]
}

@test "duplicate claim near misses: another value, a date outside the window" {
	"$QUAN" apply --db "$DB" --by a "$EX/sh-compute-rent.json"
	hz_app HZ-2 -e 's/"value": "1200000.00"/"value": "1200000.01"/'
	hz_app HZ-3 -e 's/"number": "HT-2025-0456"/"number": "HT-OTHER"/' \
		-e 's/"signed_on": "2025-08-15"/"signed_on": "2025-08-23"/'
	hz_app HZ-4 -e 's/"number": "HT-2025-0456"/"number": "HT-OTHER-2"/' \
		-e 's/"signed_on": "2025-08-15"/"signed_on": "2025-08-22"/'
	run "$QUAN" apply --db "$DB" --by a --json "$TMP/HZ-2.json" "$TMP/HZ-3.json"
	[ "$status" -eq 0 ]
	[ "$(json_lines "$output" | jq -r '.client_ref + ":" + .state' | xargs)" = "HZ-2:reserved HZ-3:reserved" ]
	[[ "$output" != *duplicate_claim* ]]
	# 7 days after the first (and within a day of HZ-3): the same contract
	run "$QUAN" apply --db "$DB" --by a --json "$TMP/HZ-4.json"
	[[ "$output" == *'"flags":"duplicate_claim"'*'"blocked":true'* ]]
}

@test "related party through the imported registry blocks a Shanghai corpus claim" {
	sed -e 's/"client_ref": "[^"]*"/"client_ref": "SH-C1"/' "$EX/sh-corpus.json" >"$TMP/c1.json"
	app=$(grep -A1 '"applicant"' "$EX/sh-corpus.json" | grep -o '9[0-9A-Z]\{17\}')
	sup=$(grep -A1 '"supplier"' "$EX/sh-corpus.json" | grep -o '9[0-9A-Z]\{17\}')
	printf 'uscc,controller_id,name,source\n%s,110101197001010011,Li Wei,SAMR\n%s,110101197001010011,Li Wei,SAMR\n' \
		"$app" "$sup" >"$TMP/controllers.csv"
	run "$QUAN" registry import --db "$DB" --by admin "$TMP/controllers.csv"
	[ "$status" -eq 0 ]
	[[ "$output" == *"2 controllers imported"* ]]
	run "$QUAN" apply --db "$DB" --by a "$TMP/c1.json"
	c1=$(numbers "$output")
	[ -n "$c1" ]
	[[ "$(line_of "$output" "$c1")" == *"ineligible"*"related_party (blocked)"* ]]
	run "$QUAN" show --db "$DB" "$c1" --json
	[[ "$output" == *'"client_ref": "SH-C1"'* ]]
	[[ "$output" == *'"applicant_from": "registry: SAMR"'* ]]
	[[ "$output" == *'"rule": "corpus.screen.related-party"'* ]]
	# The same firms in a compute rent: review only, still reserved.
	sh_app SH-R1 -e "s/91310115MA1K4ABCDD/$app/" -e "s/91310104MA1FR5T2K1/$sup/"
	run "$QUAN" apply --db "$DB" --by a "$TMP/SH-R1.json"
	r1=$(numbers "$output")
	[ -n "$r1" ]
	[[ "$(line_of "$output" "$r1")" == *"reserved"*"flags: related_party"* ]]
	[[ "$output" != *"(blocked)"* ]]
}

@test "registry import refuses a bad file whole, naming the line" {
	printf 'uscc,controller_id\n91310115MA1K4ABCDD,X\n91310115MA1K4ABCDE,Y\n' >"$TMP/bad.csv"
	run "$QUAN" registry import --db "$DB" "$TMP/bad.csv"
	[ "$status" -eq 1 ]
	[[ "$output" == *"line 3"* ]]
	run sqlite3 "$DB" "select count(*) from controllers"
	[ "$output" -eq 0 ]
}

@test "a supplier on the dishonest list is blocked; another firm is not" {
	printf 'uscc,name,reason,source\n91310104MA1FR5T2K1,Supplier,court ruling,credit china\n' >"$TMP/d.csv"
	run "$QUAN" lists import --db "$DB" --list dishonest --by admin "$TMP/d.csv"
	[ "$status" -eq 0 ]
	[[ "$output" == *"1 listed firms imported to list dishonest"* ]]
	run "$QUAN" lists import --db "$DB" --list grey --by admin "$TMP/d.csv"
	[ "$status" -eq 1 ]
	run "$QUAN" apply --db "$DB" --by a "$EX/sh-compute-rent.json"
	[[ "$output" == *"ineligible"*"restricted_list (blocked)"* ]]
	run "$QUAN" apply --db "$DB" --by a "$EX/hz-compute-sme.json"
	[[ "$(line_of "$output" "$(numbers "$output")")" == *"reserved"* ]]
	[[ "$output" != *restricted_list* ]]
}

@test "price above 1.5 x the reference goes to a reviewer; just under does not" {
	# 64 Ascend 910C x 4000 h = 166 400 H100 hours; 1.5 x 14.00 = 21.00;
	# the price per hour is rounded down to the fen
	sh_app SH-P1 -e 's/"value": "1200000.00"/"value": "3494400.00"/' -e 's/HT-2025-0456/HT-P1/'
	sh_app SH-P2 -e 's/"value": "1200000.00"/"value": "3496064.00"/' -e 's/HT-2025-0456/HT-P2/'
	run "$QUAN" apply --db "$DB" --by a "$TMP/SH-P1.json"
	p1=$(numbers "$output")
	[ -n "$p1" ]
	[[ "$(line_of "$output" "$p1")" == *"reserved"* ]]
	[[ "$output" != *price_above_reference* ]]
	run "$QUAN" apply --db "$DB" --by a "$TMP/SH-P2.json"
	p2=$(numbers "$output")
	[ -n "$p2" ] && [ "$p2" != "$p1" ]
	[[ "$(line_of "$output" "$p2")" == *"reserved"*"flags: price_above_reference"* ]]
	run "$QUAN" show --db "$DB" "$p2" --json
	[[ "$output" == *'"price_per_h100_hour": "21.01"'* ]]
	[[ "$output" == *'"reference_per_h100_hour": "14.00"'* ]]
}

@test "compute outside Hangzhou goes to a Hangzhou reviewer; inside does not" {
	run "$QUAN" apply --db "$DB" --by a "$EX/hz-compute-sme.json"
	[[ "$(line_of "$output" "$(numbers "$output")")" == *"reserved"* ]]
	[[ "$output" != *compute_outside_region* ]]
	hz_app HZ-R1 -e 's/HT-2025-0456/HT-R1/'
	sed -i 's/"location": "hangzhou"/"location": "ningbo"/' "$TMP/HZ-R1.json"
	run "$QUAN" apply --db "$DB" --by a "$TMP/HZ-R1.json"
	[[ "$(line_of "$output" "$(numbers "$output")")" == *"compute_outside_region"* ]]
	[[ "$output" != *"(blocked)"* ]]
}

@test "contract splitting: two contracts just under 5 M within 30 days go to a reviewer" {
	sh_app SH-S1 -e 's/"value": "1200000.00"/"value": "4600000.00"/' -e 's/HT-2025-0456/HT-S1/' \
		-e 's/"hours": 4000/"hours": 40000/'
	sh_app SH-S2 -e 's/"value": "1200000.00"/"value": "4700000.00"/' -e 's/HT-2025-0456/HT-S2/' \
		-e 's/"hours": 4000/"hours": 40000/' -e 's/"signed_on": "2025-08-15"/"signed_on": "2025-09-10"/'
	sh_app SH-S3 -e 's/"value": "1200000.00"/"value": "4499999.99"/' -e 's/HT-2025-0456/HT-S3/' \
		-e 's/"hours": 4000/"hours": 40000/' -e 's/"signed_on": "2025-08-15"/"signed_on": "2025-09-11"/'
	run "$QUAN" apply --db "$DB" --by a "$TMP/SH-S1.json"
	[[ "$(line_of "$output" "$(numbers "$output")")" == *"reserved"* ]]
	[[ "$output" != *contract_splitting* ]]
	run "$QUAN" apply --db "$DB" --by a "$TMP/SH-S2.json"
	s2=$(numbers "$output")
	[ -n "$s2" ]
	[[ "$(line_of "$output" "$s2")" == *"reserved"*"contract_splitting"* ]]
	# just below the band (4.5 M): not "just under"
	run "$QUAN" apply --db "$DB" --by a "$TMP/SH-S3.json"
	[[ "$(line_of "$output" "$(numbers "$output")")" == *"reserved"* ]]
	[[ "$output" != *contract_splitting* ]]
}
