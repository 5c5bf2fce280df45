#!/usr/bin/env bats
# End-to-end: the real `quan` binary on the real policy files.

setup() {
	QUAN=${QUAN:-$BATS_TEST_DIRNAME/../../build/quan}
	ROOT=$BATS_TEST_DIRNAME/../..
	SH=$ROOT/policies/shanghai-2025.yaml
	HZ=$ROOT/policies/hangzhou-2024.yaml
	EX=$ROOT/examples/applications
	TMP=$(mktemp -d)
	# An estimate takes the application as received now: the office's clock
	# (QUAN_NOW here, inside Shanghai 2025's window) or --at. Never the
	# application's own say.
	export QUAN_NOW=2025-09-01T10:00:00+08:00
}

teardown() {
	rm -rf "$TMP"
}

# Write the Shanghai compute-rent example with one field replaced (jq-free:
# a python one-liner would do too, but sed on a known line keeps it simple).
app_with() { # field-regex replacement
	sed -E "s/$1/$2/" "$EX/sh-compute-rent.json" >"$TMP/app.json"
}

@test "policy check accepts both bundled programs and prints their hashes" {
	run "$QUAN" policy check "$SH" "$HZ"
	[ "$status" -eq 0 ]
	[[ "$output" == *"program   shanghai-2025"* ]]
	[[ "$output" == *"program   hangzhou-2024"* ]]
	[ "$(grep -c 'hash      sha256:[0-9a-f]\{64\}' <<<"$output")" -eq 2 ]
}

@test "policy check hash is the sha256 of the file" {
	run "$QUAN" policy check "$SH"
	[ "$status" -eq 0 ]
	want=$(sha256sum "$SH" | cut -d' ' -f1)
	[[ "$output" == *"sha256:$want"* ]]
}

@test "policy check reports every problem with file:line:column and exits 2" {
	cat >"$TMP/bad.yaml" <<'YAML'
program: bad
name: "a bad policy"
issuer: "nobody"
currency: CNY
sources:
  - id: s
    title: "t"
    url: "u"
pools:
  - id: p
    name: "p"
    budgets: { 2025: "100.00" }
    source: s
measures:
  - id: m
    name: "m"
    pool: nopool
    kinds: [rent]
    allocation: first-come-first-served
    eligibility:
      - id: e
        when: applicant.sme_flag
        source: s
    rates:
      hit: first
      rows:
        - id: r
          rate: "30"
          source: s
YAML
	run "$QUAN" policy check "$TMP/bad.yaml"
	[ "$status" -eq 2 ]
	[[ "$output" == *"bad.yaml:17:"*"nopool"* ]]
	[[ "$output" == *"bad.yaml:22:"*"applicant.sme_flag"* ]]
	[[ "$output" == *"bad.yaml:28:"* ]]
}

@test "policy check on a missing file exits 2 and names it" {
	run "$QUAN" policy check "$TMP/none.yaml"
	[ "$status" -eq 2 ]
	[[ "$output" == *"none.yaml"* ]]
}

@test "estimate explains a Shanghai compute-rent decision" {
	run "$QUAN" estimate --policy "$SH" "$EX/sh-compute-rent.json"
	[ "$status" -eq 0 ]
	[[ "$output" == "sh-compute-rent-1 — shanghai-2025 / compute-rent"* ]]
	[[ "$output" == *"received   2025-09-01T10:00:00+08:00"* ]]
	[[ "$output" == *"eligible   yes"* ]]
	[[ "$output" == *"rate       30%"* ]]
	[[ "$output" == *"amount     360000.00 yuan"* ]]
	# Every rule of the trace, and the rate's, with its file:line:column.
	[[ "$output" =~ "rate       30%  by compute-rent.rate.ceiling".*"  ($SH:"[0-9]+:[0-9]+")" ]]
	trace=$(sed -n '/^  trace$/,/^  [a-z]/p' <<<"$output" | grep '^    ')
	[ "$(wc -l <<<"$trace")" -ge 5 ]
	[ "$(grep -cE "  \($SH:[0-9]+:[0-9]+\)$" <<<"$trace")" -eq "$(wc -l <<<"$trace")" ]
}

@test "estimate --json has the decision format of DESIGN.md" {
	run "$QUAN" estimate --policy "$SH" --json "$EX/sh-compute-rent.json"
	[ "$status" -eq 0 ]
	for k in application client_ref received_at policy eligible measure rate_bp gross amount caps reasons flags trace; do
		[[ "$output" == *"\"$k\":"* ]] || { echo "missing $k"; false; }
	done
	# no office numbered it
	[ "$(jq -r '.application' <<<"$output")" = null ]
	[ "$(jq -r '.client_ref + " " + .received_at' <<<"$output")" = "sh-compute-rent-1 2025-09-01T10:00:00+08:00" ]
	[[ "$output" == *'"rate_bp": 3000'* ]]
	[[ "$output" == *'"amount": "360000.00"'* ]]
	[[ "$output" == *'"at": "'*'shanghai-2025.yaml:'* ]]
}

@test "estimate of the model voucher names the 5 M cap and its cut" {
	run "$QUAN" estimate --policy "$SH" --json --at 2025-09-20T11:15:00+08:00 "$EX/sh-model.json"
	[ "$status" -eq 0 ]
	[[ "$output" == *'"amount": "5000000.00"'* ]]
	[[ "$output" == *'"cut": "5000000.00"'* ]]
}

@test "estimate of a related-party corpus purchase is not eligible, exit 0" {
	run "$QUAN" estimate --policy "$SH" --at 2025-10-10T10:20:00+08:00 "$EX/sh-corpus-related.json"
	[ "$status" -eq 0 ]
	[[ "$output" == *"eligible   no"* ]]
	[[ "$output" == *"not met"* ]]
}

@test "estimate without a database says yearly caps count this contract alone" {
	run "$QUAN" estimate --policy "$HZ" --at 2025-03-10T09:30:00+08:00 "$EX/hz-compute-domestic.json"
	[ "$status" -eq 0 ]
	[[ "$output" == *"count this contract alone"* ]]
}

@test "estimate of several applications prints a table" {
	local policies=()
	for p in "$ROOT"/policies/*.yaml; do
		policies+=(--policy "$p")
	done
	# one moment inside every bundled window, after every contract was signed
	run "$QUAN" estimate "${policies[@]}" --at 2025-11-20T10:00:00+08:00 "$EX"/*.json
	[ "$status" -eq 0 ]
	[[ "$output" == *"application"*"measure"*"amount"* ]]
	# a row per application, named by its client_ref (no office numbered it)
	for f in "$EX"/*.json; do
		stem=$(basename "$f" .json)
		[ "$(grep -c "^$stem-1 " <<<"$output")" -eq 1 ] || { echo "no row for $stem"; false; }
	done
	[ "$(grep -c '^[a-z0-9]*-[a-z0-9-]*-1 ' <<<"$output")" -eq "$(ls "$EX"/*.json | wc -l)" ]
	[ "$(grep -c '^\(SH\|HZ\|SZ\|BJ\|CD\|HA\|ZZ\)-' <<<"$output")" -eq 0 ]
}

@test "bad money '12.345' exits 1 naming contract.value" {
	app_with '"value": *"[0-9.]+"' '"value": "12.345"'
	run "$QUAN" estimate --policy "$SH" "$TMP/app.json"
	[ "$status" -eq 1 ]
	[[ "$output" == *"contract.value"*"more than two decimals"* ]]
}

@test "negative money exits 1" {
	app_with '"value": *"[0-9.]+"' '"value": "-5.00"'
	run "$QUAN" estimate --policy "$SH" "$TMP/app.json"
	[ "$status" -eq 1 ]
	[[ "$output" == *"contract.value"*"negative"* ]]
}

@test "money as a JSON number exits 1" {
	app_with '"value": *"[0-9.]+"' '"value": 1200000.00'
	run "$QUAN" estimate --policy "$SH" "$TMP/app.json"
	[ "$status" -eq 1 ]
	[[ "$output" == *"contract.value"* ]]
}

@test "exponent money '1e9' exits 1" {
	app_with '"value": *"[0-9.]+"' '"value": "1e9"'
	run "$QUAN" estimate --policy "$SH" "$TMP/app.json"
	[ "$status" -eq 1 ]
	[[ "$output" == *"contract.value"* ]]
}

@test "a 19-character USCC exits 1 naming applicant.uscc" {
	app_with '"uscc": *"([0-9A-Z]{18})"' '"uscc": "\10"'
	run "$QUAN" estimate --policy "$SH" "$TMP/app.json"
	[ "$status" -eq 1 ]
	[[ "$output" == *"applicant.uscc"*"19 characters"* ]]
}

@test "a wrong USCC check character names character 18" {
	uscc=$(grep -o '"uscc": *"[0-9A-Z]*"' "$EX/sh-compute-rent.json" | head -1 | grep -o '[0-9A-Z]\{18\}')
	last=${uscc:17:1}
	if [ "$last" = "0" ]; then new=1; else new=0; fi
	app_with "\"uscc\": *\"${uscc}\"" "\"uscc\": \"${uscc:0:17}${new}\""
	run "$QUAN" estimate --policy "$SH" "$TMP/app.json"
	[ "$status" -eq 1 ]
	[[ "$output" == *"character 18"*"check character should be '$last'"* ]]
}

@test "an impossible date 2025-02-30 exits 1 naming contract.signed_on" {
	app_with '"signed_on": *"[0-9-]+"' '"signed_on": "2025-02-30"'
	run "$QUAN" estimate --policy "$SH" "$TMP/app.json"
	[ "$status" -eq 1 ]
	[[ "$output" == *"contract.signed_on"*"day 30"* ]]
}

@test "an unknown field exits 1 naming its path" {
	app_with '"sme":' '"sme_flag": true, "sme":'
	run "$QUAN" estimate --policy "$SH" "$TMP/app.json"
	[ "$status" -eq 1 ]
	[[ "$output" == *"applicant.sme_flag"* ]]
}

@test "an unknown measure exits 1 and lists the measures" {
	app_with '"measure": *"[a-z-]+"' '"measure": "compute-lease"'
	run "$QUAN" estimate --policy "$SH" "$TMP/app.json"
	[ "$status" -eq 1 ]
	[[ "$output" == *"compute-lease"*"compute-rent"* ]]
}

@test "an unknown chip exits 1" {
	app_with '"chip": *"[a-z0-9-]+"' '"chip": "abacus-9000"'
	run "$QUAN" estimate --policy "$SH" "$TMP/app.json"
	[ "$status" -eq 1 ]
	[[ "$output" == *"contract.compute.chip"*"abacus-9000"* ]]
}

@test "a 100 MB application is refused without reading it, exit 1" {
	head -c 100000000 /dev/zero | tr '\0' ' ' >"$TMP/big.json"
	run "$QUAN" estimate --policy "$SH" "$TMP/big.json"
	[ "$status" -eq 1 ]
	[[ "$output" == *"big.json"* ]]
}

@test "broken JSON exits 1 with a line and column" {
	printf '{"client_ref": "x",\n  "program": }' >"$TMP/broken.json"
	run "$QUAN" estimate --policy "$SH" "$TMP/broken.json"
	[ "$status" -eq 1 ]
	[[ "$output" == *"line 2"* ]]
}

@test "policy test runs the bundled cases and they all pass" {
	run "$QUAN" policy test "$ROOT"/tests/policy/*.yaml
	[ "$status" -eq 0 ]
	[[ "$output" == *" 0 failed"* ]]
	n=$(grep -o '^[0-9]* passed' <<<"$output" | cut -d' ' -f1)
	[ "$n" -ge 40 ]
}

@test "policy test fails and exits 1 when an expectation is wrong" {
	cat >"$TMP/wrong.yaml" <<YAML
policy: $SH
base: $EX/sh-compute-rent.json
at: "2025-09-01T10:00:00+08:00"
cases:
  - name: "deliberately wrong amount"
    expect:
      amount: "360000.01"
YAML
	run "$QUAN" policy test "$TMP/wrong.yaml"
	[ "$status" -eq 1 ]
	[[ "$output" == *"0 passed, 1 failed"* ]]
	[[ "$output" == *"expected 360000.01, got 360000.00"* ]]
}

@test "usage errors exit 1 and help exits 0" {
	run "$QUAN"
	[ "$status" -eq 1 ]
	run "$QUAN" frobnicate
	[ "$status" -eq 1 ]
	run "$QUAN" --help
	[ "$status" -eq 0 ]
	run "$QUAN" estimate --help
	[ "$status" -eq 0 ]
}

@test "estimate takes its options after the application too" {
	run "$QUAN" estimate "$EX/sh-compute-rent.json" --json --policy "$SH"
	[ "$status" -eq 0 ]
	[[ "$output" == *'"amount": "360000.00"'* ]]
	run "$QUAN" estimate --policy "$SH" "$EX/sh-compute-rent.json" --jsn
	[ "$status" -eq 1 ]
	[[ "$output" == *"unknown option '--jsn'"* ]]
}

@test "estimate --at decides as if received then: the window and the signing date follow it; default is the office's clock" {
	# the last second of the window, and the first after it
	run "$QUAN" estimate --policy "$SH" --at 2025-12-31T23:59:59+08:00 "$EX/sh-compute-rent.json"
	[ "$status" -eq 0 ]
	[[ "$output" == *"received   2025-12-31T23:59:59+08:00"* ]]
	[[ "$output" == *"eligible   yes"* ]]
	run "$QUAN" estimate --policy "$SH" --json --at 2025-12-31T16:00:00Z "$EX/sh-compute-rent.json"
	[ "$status" -eq 0 ]
	[ "$(jq -r '.received_at + " " + (.eligible | tostring) + " " + ([.reasons[].rule] | join(","))' <<<"$output")" = \
		"2026-01-01T00:00:00+08:00 false compute-rent.window" ]
	[ "$(jq -r .amount <<<"$output")" = 0.00 ]
	# without --at: the office's clock, QUAN_NOW when set
	run env QUAN_NOW=2026-01-01T00:00:00+08:00 "$QUAN" estimate --policy "$SH" "$EX/sh-compute-rent.json"
	[ "$status" -eq 0 ]
	[[ "$output" == *"eligible   no"* ]]
	[[ "$output" == *"compute-rent.window"* ]]
	# --at wins over the clock
	run env QUAN_NOW=2026-01-01T00:00:00+08:00 "$QUAN" estimate --policy "$SH" --at 2025-09-01T10:00:00+08:00 "$EX/sh-compute-rent.json"
	[[ "$output" == *"eligible   yes"* ]]
	# received before the contract was signed (2025-08-15): refused
	run "$QUAN" estimate --policy "$SH" --at 2025-08-14T23:59:59+08:00 "$EX/sh-compute-rent.json"
	[ "$status" -eq 1 ]
	[[ "$output" == *"contract.signed_on"*"2025-08-15"*"2025-08-14"* ]]
	run "$QUAN" estimate --policy "$SH" --at 2025-08-15T00:00:00+08:00 "$EX/sh-compute-rent.json"
	[ "$status" -eq 0 ]
	run "$QUAN" estimate --policy "$SH" --at 2025-09-01 "$EX/sh-compute-rent.json"
	[ "$status" -eq 1 ]
	[[ "$output" == *"--at"* ]]
	run env QUAN_NOW=yesterday "$QUAN" estimate --policy "$SH" "$EX/sh-compute-rent.json"
	[ "$status" -eq 1 ]
	[[ "$output" == *"QUAN_NOW"* ]]
}

@test "an application's id, submitted_at or received_at is refused as an unknown field, by estimate too" {
	for kv in id=SH-2025-000001 submitted_at=2025-09-01T10:00:00+08:00 received_at=2025-09-01T10:00:00+08:00; do
		sed "s/\"program\":/\"${kv%%=*}\": \"${kv#*=}\", \"program\":/" "$EX/sh-compute-rent.json" >"$TMP/app.json"
		grep -q "\"${kv%%=*}\": \"${kv#*=}\"" "$TMP/app.json"
		run "$QUAN" estimate --policy "$SH" "$TMP/app.json"
		[ "$status" -eq 1 ]
		[[ "$output" == *"unknown field '${kv%%=*}'"* ]]
	done
}

@test "policy check prints each program's numbers and refuses two programs with one number_prefix" {
	run "$QUAN" policy check "$ROOT"/policies/*.yaml
	[ "$status" -eq 0 ]
	for n in SH HZ HZ25 SZ BJ CD HA ZZ; do
		[ "$(grep -c "^  numbers   $n-YEAR-NNNNNN$" <<<"$output")" -eq 1 ] || { echo "no $n"; false; }
	done
	sed -E 's/^number_prefix: HZ25 /number_prefix: HZ /' "$ROOT/policies/hangzhou-2025.yaml" >"$TMP/hz-clash.yaml"
	grep -q '^number_prefix: HZ ' "$TMP/hz-clash.yaml"
	run "$QUAN" policy check "$HZ" "$TMP/hz-clash.yaml"
	[ "$status" -eq 2 ]
	[[ "$output" == *"hz-clash.yaml: number_prefix 'HZ' is also the prefix of program 'hangzhou-2024'"* ]]
	# each alone is a good policy
	run "$QUAN" policy check "$TMP/hz-clash.yaml"
	[ "$status" -eq 0 ]
}

@test "estimate: Hangzhou's supplier lists are none without a database, --on-list says otherwise, a typo is refused" {
	run --separate-stderr "$QUAN" estimate --policy "$HZ" --at 2025-03-10T09:30:00+08:00 "$EX/hz-compute-domestic.json"
	[ "$status" -eq 0 ]
	[[ "$output" == *"eligible   no"* ]]
	[[ "$output" == *"compute.eligibility.listed-supplier"* ]]
	[[ "$output" == *"on none of the policy's supplier lists"* ]]
	run --separate-stderr "$QUAN" estimate --policy "$HZ" --on-list hz-partners --at 2025-03-10T09:30:00+08:00 "$EX/hz-compute-domestic.json"
	[ "$status" -eq 0 ]
	[[ "$output" == *"eligible   yes"* ]]
	[[ "$output" == *"on list hz-partners, as --on-list says"* ]]
	run "$QUAN" estimate --policy "$HZ" --on-list hz-plan "$EX/hz-compute-domestic.json"
	[ "$status" -eq 1 ]
	[[ "$output" == *"--on-list 'hz-plan' is not a supplier list of the policies given"* ]]
}
