#!/usr/bin/env bats
# End-to-end: the README's command blocks, as written, in order, in a fresh
# directory that looks like the repository after a build (build/quan,
# policies/, examples/, tests/, data/). Every block runs except those the
# README marks `<!-- illustrative ... -->` just above it (a long-running
# server, a PostgreSQL server). Each command must exit 0.

setup() {
	QUAN=${QUAN:-$BATS_TEST_DIRNAME/../../build/quan}
	ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	W=$(mktemp -d)
	mkdir -p "$W/build"
	ln -s "$QUAN" "$W/build/quan"
	for d in policies examples tests data docs; do
		ln -s "$ROOT/$d" "$W/$d"
	done
}

teardown() {
	rm -rf "$W"
}

# The ```sh blocks of README.md, each preceded by "# block N (line L)", with
# the illustrative ones left out; SKIPPED lists those on stderr.
blocks() {
	awk '
		/^<!-- illustrative/ { ill = 1; next }
		/^```sh$/ { n++; if (ill) { print "SKIPPED block " n " (line " NR ")" > "/dev/stderr"; skip = 1 }
			    else { print "# block " n " (line " NR ")"; on = 1 } ill = 0; next }
		/^```$/ { on = 0; skip = 0; next }
		on { print; next }
		/[^ ]/ { ill = 0 }
	' "$ROOT/README.md"
}

@test "the README marks only a few blocks illustrative, and says why" {
	run grep -c '^<!-- illustrative: ' "$ROOT/README.md"
	[ "$output" -ge 1 ] && [ "$output" -le 4 ]
	[ "$(grep -c '^<!-- illustrative' "$ROOT/README.md")" = "$output" ]
}

@test "every README command block runs as written, in order, each command exiting 0" {
	blocks >"$W/readme.sh" 2>"$W/skipped"
	grep -q 'quan init --db office.db' "$W/readme.sh"
	grep -q 'round close' "$W/readme.sh"
	cd "$W"
	# -e: the first command that fails stops the run; -x: the log names it.
	run bash -e -u -o pipefail -x readme.sh
	if [ "$status" -ne 0 ]; then
		echo "$output" | tail -30
		false
	fi
	# A few outputs that say the quick tour did what the README says.
	[[ "$output" == *"SH-2025-000004       ineligible"*"related_party (blocked)"* ]]
	[[ "$output" == *"SH-2025-000005 rejected 0.00"* ]]
	[[ "$output" == *"SH-2025-000003 awarded 300000.00 released 60000.00 (was 360000.00)"* ]]
	[[ "$output" == *"SH-2025-000006 awarded 500000000.00"* ]]
	[[ "$output" == *"SH-2025-000006 2025 tranche posted"* ]]
	[[ "$output" == *"ledger check: every pool balances to the fen"* ]]
	[[ "$output" == *"audit verify: "*"chain intact"* ]]
	[[ "$output" == *"0 differ"* ]]
	[[ "$output" == *"asked 1530000.00, the pool had 1000000.00, reserved 1000000.00 (scaled pro rata)"* ]]
	[[ "$output" == *"EX-2025-000002 awarded 392156.86"* ]]
	[[ "$output" == *"1 listed firms imported to list hz-planned"* ]]
	[[ "$output" == *"1 controllers imported"* ]]
	[[ "$output" == *"from 2025-09-26 to 2025-10-09 (5 working days)"* ]]
	[[ "$output" == *"in public notice 'shanghai-2025-notice-1' until 2025-10-09"* ]]
	[[ "$output" == *"shanghai-2025-notice-1 closed: it ran to 2025-10-09; 1 award(s) may be paid"* ]]
	# Only the blocks marked illustrative were left out.
	[ "$(wc -l <"$W/skipped")" -eq "$(grep -c '^<!-- illustrative' "$ROOT/README.md")" ]
}
