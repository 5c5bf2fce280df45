#!/usr/bin/env bats
# End-to-end: evidence. Documents are filed under applications (quan
# attach, POST /v1/applications/{id}/documents), typed by their bytes
# (PDF, JPEG, PNG, OFD), kept once by SHA-256 with the hash in the audit
# chain, capped in size, required by a measure's `evidence:` before
# approval and payment, and shown only to those entitled to them. A
# refused upload writes nothing.

load db

bats_require_minimum_version 1.5.0

setup() {
	QUAN=${QUAN:-$BATS_TEST_DIRNAME/../../build/quan}
	export QUAN_NOW=2025-09-26T10:00:00+08:00
	ROOT=$BATS_TEST_DIRNAME/../..
	SH=$ROOT/policies/shanghai-2025.yaml
	EX=$ROOT/examples/applications
	TMP=$(mktemp -d)
	DB=$(new_db "$TMP/office.db")
	# Shanghai with corpus awards requiring a contract and an invoice
	# before approval, and a receipt before each payment.
	sed -e '/^    pool: corpus$/a\    evidence: {approve: [contract, invoice], pay: [receipt]}' \
		"$SH" >"$TMP/evidence.yaml"
	"$QUAN" init --db "$DB" --policy "$TMP/evidence.yaml" --by admin >/dev/null
	printf '%%PDF-1.7\n%%quan test contract\n%%%%EOF\n' >"$TMP/contract.pdf"
	printf '\x89PNG\r\n\x1a\n\0\0\0\rIHDR' >"$TMP/invoice.png"
	printf '\xff\xd8\xff\xe0\0\x10JFIF\0' >"$TMP/receipt.jpg"
	python3 - "$TMP" <<'PY'
import sys, zipfile
d = sys.argv[1]
with zipfile.ZipFile(d + "/invoice.ofd", "w") as z:
    z.writestr("OFD.xml", '<?xml version="1.0"?><ofd:OFD xmlns:ofd="http://www.ofdspec.org/2016"/>')
    z.writestr("Doc_0/Document.xml", "<ofd:Document/>")
with zipfile.ZipFile(d + "/nested.ofd", "w") as z:
    z.writestr("Doc_0/OFD.xml", "<ofd:OFD/>")
PY
	echo "just text" >"$TMP/notes.txt"
}

teardown() {
	[ -f "$TMP/serve.pid" ] && kill "$(cat "$TMP/serve.pid")" 2>/dev/null || true
	db_forget "$DB" clean
	drop_db "$DB"
	rm -rf "$TMP"
}

# A reserved corpus application of 900 000.00: its number on stdout.
reserved() {
	local out
	out=$("$QUAN" apply --db "$DB" --by a "$EX/sh-corpus.json" 2>/dev/null)
	numbers "$out"
}

counts() {
	echo "$(sql "$DB" "select count(*) from documents") $(sql "$DB" "select count(*) from app_documents") $(sql "$DB" "select count(*) from events")"
}

checks_pass() {
	run "$QUAN" ledger check --db "$DB"
	[ "$status" -eq 0 ]
	run "$QUAN" audit verify --db "$DB"
	[ "$status" -eq 0 ]
}

@test "attach files each type, keeps a file once by its hash, and records the hash in the audit chain" {
	id=$(reserved)
	run --separate-stderr "$QUAN" attach --db "$DB" "$id" "$TMP/contract.pdf" --kind contract --by clerk
	[ "$status" -eq 0 ]
	sha=$(sha256sum "$TMP/contract.pdf" | cut -d' ' -f1)
	[ "${output%% *}" = "$sha" ]
	[[ "$output" == *"pdf contract.pdf"* ]]
	"$QUAN" attach --db "$DB" "$id" "$TMP/invoice.png" --kind invoice --by clerk 2>/dev/null
	"$QUAN" attach --db "$DB" "$id" "$TMP/invoice.ofd" --kind invoice --by clerk 2>/dev/null
	"$QUAN" attach --db "$DB" "$id" "$TMP/receipt.jpg" --kind receipt --payment 1 --by clerk 2>/dev/null
	# the same file filed again is one stored file, two filings
	"$QUAN" attach --db "$DB" "$id" "$TMP/contract.pdf" --kind contract --name signed.pdf --by clerk 2>/dev/null
	[ "$(counts)" = "4 5 $(sql "$DB" "select count(*) from events")" ]
	run --separate-stderr "$QUAN" documents --db "$DB" "$id" --json
	[ "$status" -eq 0 ]
	[ "$(jq -r 'map(.type) | join(" ")' <<<"$output")" = "pdf png ofd jpeg pdf" ]
	[ "$(jq -r '.[3].payment' <<<"$output")" = 1 ]
	[ "$(sql "$DB" "select count(*) from events where action = 'attach' and detail like '%\"sha256\":\"$sha\"%'")" -eq 2 ]
	checks_pass
}

@test "a file of another type, an OFD without OFD.xml at its root, an empty or oversized file is refused and nothing is written" {
	id=$(reserved)
	before=$(counts)
	run "$QUAN" attach --db "$DB" "$id" "$TMP/notes.txt" --kind contract --by clerk
	[ "$status" -eq 1 ]
	[[ "$output" == *"not a PDF, JPEG, PNG or OFD document"* ]]
	run "$QUAN" attach --db "$DB" "$id" "$TMP/nested.ofd" --kind invoice --by clerk
	[ "$status" -eq 1 ]
	[[ "$output" == *"no OFD.xml at its root"* ]]
	: >"$TMP/empty.pdf"
	run "$QUAN" attach --db "$DB" "$id" "$TMP/empty.pdf" --kind invoice --by clerk
	[ "$status" -eq 1 ]
	run "$QUAN" attach --db "$DB" "$id" "$TMP/contract.pdf" --kind contract --max-bytes 10 --by clerk
	[ "$status" -eq 1 ]
	run "$QUAN" attach --db "$DB" "$id" "$TMP/contract.pdf" --kind photo --by clerk
	[ "$status" -eq 1 ]
	[[ "$output" == *"not a kind of document"* ]]
	run "$QUAN" attach --db "$DB" SH-2025-999999 "$TMP/contract.pdf" --kind contract --by clerk
	[ "$status" -eq 1 ]
	[ "$(counts)" = "$before" ]
	checks_pass
}

@test "approval waits for the measure's required kinds, and a payment for its receipt" {
	id=$(reserved)
	run "$QUAN" review --db "$DB" "$id" --approve --by reviewer
	[ "$status" -eq 1 ]
	[[ "$output" == *"requires documents before approval of '$id': missing contract, invoice"* ]]
	"$QUAN" attach --db "$DB" "$id" "$TMP/contract.pdf" --kind contract --by clerk 2>/dev/null
	run "$QUAN" review --db "$DB" "$id" --approve --by reviewer
	[ "$status" -eq 1 ]
	[[ "$output" == *"missing invoice"* ]]
	"$QUAN" attach --db "$DB" "$id" "$TMP/invoice.ofd" --kind invoice --by clerk 2>/dev/null
	run "$QUAN" review --db "$DB" "$id" --approve --by reviewer
	[ "$status" -eq 0 ]
	through_notice "$DB" shanghai-2025 "$id" >/dev/null # its 5-working-day notice (公示)
	run "$QUAN" disburse --db "$DB" "$id" 400000.00 --by finance
	[ "$status" -eq 1 ]
	[[ "$output" == *"before payment 1 of '$id': missing receipt"* ]]
	"$QUAN" attach --db "$DB" "$id" "$TMP/receipt.jpg" --kind receipt --payment 1 --by clerk 2>/dev/null
	run "$QUAN" disburse --db "$DB" "$id" 400000.00 --by finance
	[ "$status" -eq 0 ]
	# the second tranche needs its own receipt
	run "$QUAN" disburse --db "$DB" "$id" 500000.00 --by finance
	[ "$status" -eq 1 ]
	[[ "$output" == *"before payment 2"* ]]
	checks_pass
}

@test "policy check refuses an unknown kind of document with its place" {
	sed -e '/^    pool: corpus$/a\    evidence: {approve: [contract, photo]}' "$SH" >"$TMP/bad.yaml"
	run "$QUAN" policy check "$TMP/bad.yaml"
	[ "$status" -eq 2 ]
	[[ "$output" =~ bad.yaml:[0-9]+:[0-9]+:\ unknown\ kind\ of\ document\ \'photo\' ]]
}

@test "over HTTP: upload, list and fetch the same bytes; forbidden type, over the cap; another firm sees nothing" {
	id=$(reserved)
	admin=$("$QUAN" user add --db "$DB" ada --role administrator 2>/dev/null)
	aud=$("$QUAN" user add --db "$DB" otto --role auditor 2>/dev/null)
	rev=$("$QUAN" user add --db "$DB" rita --role reviewer 2>/dev/null)
	own=$("$QUAN" user add --db "$DB" firm --role applicant --uscc 91310000MA1FL8WR2F 2>/dev/null)
	other=$("$QUAN" user add --db "$DB" rival --role applicant --uscc 91310104MA1FR9KP6K 2>/dev/null)
	serve_bg "$TMP/serve" "$DB" --body-max 4096
	pid=$SERVE_PID url=$URL
	upload() { # upload TOKEN FILE QUERY: the status
		curl -s -o "$TMP/body" -w '%{http_code}' -X POST "$url/v1/applications/$id/documents?$3" \
			-H "Authorization: Bearer $1" -H 'Content-Type: application/octet-stream' \
			--data-binary "@$2"
	}
	# approval waits for the measure's documents: 409, naming them
	code=$(curl -s -o "$TMP/body" -w '%{http_code}' -X POST "$url/v1/applications/$id/approve" \
		-H "Authorization: Bearer $rev" -H 'Content-Type: application/json' --data-binary '{}')
	[ "$code" = 409 ]
	[[ "$(jq -r .error.message "$TMP/body")" == *"missing contract, invoice"* ]]
	[ "$(upload "$admin" "$TMP/contract.pdf" 'kind=contract&name=%E5%90%88%E5%90%8C.pdf')" = 201 ]
	sha=$(jq -r .sha256 "$TMP/body")
	[ "$sha" = "$(sha256sum "$TMP/contract.pdf" | cut -d' ' -f1)" ]
	[ "$(jq -r .name "$TMP/body")" = "合同.pdf" ]
	# the applicant files under its own firm's application
	[ "$(upload "$own" "$TMP/invoice.ofd" 'kind=invoice&name=invoice.ofd')" = 201 ]
	[ "$(jq -r .type "$TMP/body")" = ofd ]
	# an auditor reads but does not file
	[ "$(upload "$aud" "$TMP/invoice.png" 'kind=invoice&name=i.png')" = 403 ]

	before=$(counts)
	[ "$(upload "$admin" "$TMP/notes.txt" 'kind=contract&name=notes.txt')" = 415 ]
	[[ "$(cat "$TMP/body")" == *"not a PDF, JPEG, PNG or OFD document"* ]]
	[ "$(upload "$admin" "$TMP/nested.ofd" 'kind=invoice&name=n.ofd')" = 415 ]
	head -c 5000 /dev/zero | sed 's/^/%PDF-/' >"$TMP/big.pdf"
	[ "$(upload "$admin" "$TMP/big.pdf" 'kind=contract&name=big.pdf')" = 413 ]
	[ "$(upload "$admin" "$TMP/contract.pdf" 'kind=contract')" = 400 ]
	[ "$(upload "$admin" "$TMP/contract.pdf" 'kind=contract&name=a.pdf&color=red')" = 400 ]
	[ "$(upload "$other" "$TMP/contract.pdf" 'kind=contract&name=a.pdf')" = 404 ]
	[ "$(counts)" = "$before" ]

	code=$(curl -s -o "$TMP/list" -w '%{http_code}' "$url/v1/applications/$id/documents" -H "Authorization: Bearer $own")
	[ "$code" = 200 ]
	[ "$(jq -r '.documents | map(.kind + ":" + .type) | join(" ")' "$TMP/list")" = "contract:pdf invoice:ofd" ]
	code=$(curl -s -o "$TMP/body" -w '%{http_code}' -X POST "$url/v1/applications/$id/approve" \
		-H "Authorization: Bearer $rev" -H 'Content-Type: application/json' --data-binary '{}')
	[ "$code" = 200 ]
	code=$(curl -s -D "$TMP/headers" -o "$TMP/got.pdf" -w '%{http_code}' "$url/v1/documents/$sha" -H "Authorization: Bearer $own")
	[ "$code" = 200 ]
	cmp "$TMP/got.pdf" "$TMP/contract.pdf"
	grep -qi '^content-type: application/pdf' "$TMP/headers"
	grep -qi '^x-content-type-options: nosniff' "$TMP/headers"
	grep -qi "^content-disposition: attachment; filename=\"$sha.pdf\"" "$TMP/headers"
	# another firm: not found, for its list and for the bytes
	code=$(curl -s -o /dev/null -w '%{http_code}' "$url/v1/applications/$id/documents" -H "Authorization: Bearer $other")
	[ "$code" = 404 ]
	code=$(curl -s -o "$TMP/b1" -w '%{http_code}' "$url/v1/documents/$sha" -H "Authorization: Bearer $other")
	[ "$code" = 404 ]
	code=$(curl -s -o /dev/null -w '%{http_code}' "$url/v1/documents/$sha" -H "Authorization: Bearer $aud")
	[ "$code" = 200 ]
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	rm "$TMP/serve.pid"
	checks_pass
}

@test "documents survive quan backup and restore" {
	[ -z "${QUAN_TEST_DB:-}" ] || skip "SQLite's backup file; backup.bats covers pg_dump"
	id=$(reserved)
	"$QUAN" attach --db "$DB" "$id" "$TMP/invoice.ofd" --kind invoice --by clerk 2>/dev/null
	"$QUAN" backup --db "$DB" --to "$TMP/b.db" 2>/dev/null
	"$QUAN" restore --from "$TMP/b.db" --db "$TMP/r.db" 2>/dev/null
	run "$QUAN" documents --db "$TMP/r.db" "$id"
	[ "$status" -eq 0 ]
	[[ "$output" == *"$(sha256sum "$TMP/invoice.ofd" | cut -d' ' -f1)"* ]]
}

@test "audit verify holds the documents to their attach events and their bytes to their hash" {
	id=$(reserved)
	"$QUAN" attach --db "$DB" "$id" "$TMP/contract.pdf" --kind contract --by clerk 2>/dev/null
	"$QUAN" attach --db "$DB" "$id" "$TMP/invoice.png" --kind invoice --by clerk 2>/dev/null
	checks_pass
	png=$(sha256sum "$TMP/invoice.png" | cut -d' ' -f1)
	pdf=$(sha256sum "$TMP/contract.pdf" | cut -d' ' -f1)
	# a filing pointed at another stored file
	sql "$DB" "update app_documents set sha256 = '$png' where seq = 1" >/dev/null
	run "$QUAN" audit verify --db "$DB"
	[ "$status" -ne 0 ]
	[[ "$output" == *"filed document $id#1 as $pdf"* ]]
	sql "$DB" "update app_documents set sha256 = '$pdf' where seq = 1" >/dev/null
	checks_pass
	# the bytes changed under their hash
	[ "$(wc -c <"$TMP/contract.pdf")" -eq 35 ]
	forged=$(printf '%%PDF-%030d' 0 | base64 -w0)
	sql "$DB" "update documents set content = '$forged' where sha256 = '$pdf'" >/dev/null
	run "$QUAN" audit verify --db "$DB"
	[ "$status" -ne 0 ]
	[[ "$output" == *"document $pdf: its stored bytes hash to"* ]]
}

@test "quan migrate carries the documents, their filings and bytes" {
	id=$(reserved)
	"$QUAN" attach --db "$DB" "$id" "$TMP/invoice.ofd" --kind invoice --by clerk 2>/dev/null
	"$QUAN" attach --db "$DB" "$id" "$TMP/receipt.jpg" --kind receipt --payment 1 --by clerk 2>/dev/null
	TO=$(new_db "$TMP/copy.db")
	run "$QUAN" migrate --from "$DB" --to "$TO"
	[ "$status" -eq 0 ]
	[[ "$output" == *"2 documents"* ]]
	[ "$("$QUAN" documents --db "$TO" "$id" --json 2>/dev/null)" = "$("$QUAN" documents --db "$DB" "$id" --json 2>/dev/null)" ]
	run "$QUAN" audit verify --db "$TO"
	[ "$status" -eq 0 ]
	db_forget "$TO" clean
	drop_db "$TO"
}
