#!/usr/bin/env bats
# End-to-end: every command answers --help, `quan help COMMAND`, --version,
# and the manual page lists every command and renders without a warning.

setup() {
	QUAN=${QUAN:-$BATS_TEST_DIRNAME/../../build/quan}
	ROOT=$BATS_TEST_DIRNAME/../..
	MAN=$ROOT/doc/quan.1
}

# The commands of the general help: the first word of each indented line.
commands() {
	"$QUAN" help | awk '/^commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^$/ { exit }' | sort -u
}

@test "the general help lists the verbs and goes to stdout with exit 0" {
	for form in help --help -h; do
		run "$QUAN" $form
		[ "$status" -eq 0 ]
		[[ "$output" == "usage: quan <command>"* ]]
	done
	[ "$(commands | wc -l)" -ge 20 ]
}

@test "every command answers --help, -h and quan help COMMAND with its own usage" {
	for c in $(commands); do
		for form in "$c --help" "$c -h" "help $c"; do
			run "$QUAN" $form
			[ "$status" -eq 0 ] || { echo "$form: exit $status: $output"; false; }
			[[ "$output" == "usage: quan $c"* ]] || { echo "$form: $output"; false; }
		done
	done
}

@test "--help after a subcommand or among options is help, never a file" {
	for form in "policy check --help" "policy test --help" "policy fields -h" \
		"ledger check --help" "audit verify --help" "audit replay --help" \
		"round close --help" "lists import --help" "registry import --help" \
		"user add --help" "user remove -h" "program add --help" \
		"apply --db nowhere.db --by x --help" "estimate --policy x.yaml --help"; do
		run "$QUAN" $form
		[ "$status" -eq 0 ] || { echo "$form: exit $status: $output"; false; }
		[[ "$output" == "usage: quan ${form%% *}"* ]] || { echo "$form: $output"; false; }
		[[ "$output" != *"cannot read"* ]]
	done
	[ ! -e nowhere.db ]
}

@test "quan help of an unknown command is an error" {
	run "$QUAN" help nosuch
	[ "$status" -eq 1 ]
	[[ "$output" == *"unknown command 'nosuch'"* ]]
}

@test "--version prints the VERSION file's version" {
	run "$QUAN" --version
	[ "$status" -eq 0 ]
	[ "$output" = "quan $(cat "$ROOT/VERSION")" ]
}

@test "the manual renders without warnings and names every command" {
	run man -l "$MAN"
	[ "$status" -eq 0 ]
	run groff -man -Tutf8 -ww -z "$MAN"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	for c in $(commands); do
		grep -q "^\.B $c\b" "$MAN" || { echo "quan.1 lacks '$c'"; false; }
	done
}

@test "the manual is generated from the help texts: doc/quan.1 is what scripts/mkman makes" {
	run bash -c '"$0/scripts/mkman" "$1" "$0/doc/quan.1.in" | diff - "$0/doc/quan.1"' "$ROOT" "$QUAN"
	[ "$status" -eq 0 ] || { echo "doc/quan.1 is stale: run make man"; echo "$output" | head -20; false; }
	# word for word: each command's --help, and the Chinese in it, renders
	# in the page as the command prints it
	page=$(MANWIDTH=200 man -l "$MAN" 2>/dev/null)
	for c in withdraw notice show; do
		first=$("$QUAN" "$c" --help | head -1)
		[[ "$page" == *"$first"* ]] || { echo "$c: $first"; false; }
	done
	[[ "$page" == *"Public notice (公示)"* ]]
	[[ "$page" == *"prints"*"errors and states in Chinese (zh) or English (en)."* ]]
}

@test "make install puts the binary and a manual made from its own help" {
	rel=$(realpath --relative-to="$ROOT" "$(dirname "$QUAN")")
	case $rel in ..*|/*) skip "QUAN is not built in this tree" ;; esac
	make -s -C "$ROOT" -q "$rel/quan" || skip "$rel/quan is older than its sources"
	dest=$(mktemp -d)
	run make -s -C "$ROOT" install BUILD="$rel" DESTDIR="$dest" PREFIX=/usr
	[ "$status" -eq 0 ] || { echo "$output"; rm -rf "$dest"; false; }
	[ -x "$dest/usr/bin/quan" ]
	diff "$dest/usr/share/man/man1/quan.1" "$MAN"
	run man -l "$dest/usr/share/man/man1/quan.1"
	rm -rf "$dest"
	[ "$status" -eq 0 ]
	[[ "$output" == *"usage: quan settle"* ]]
}

@test "no help line is wider than 71 columns, so the manual fits an 80-column terminal" {
	for c in $(commands); do
		wide=$("$QUAN" "$c" --help | while IFS= read -r l; do
			[ "$(printf '%s' "$l" | LC_ALL=C.UTF-8 wc -L)" -le 71 ] || echo "$l"
		done)
		[ -z "$wide" ] || { echo "$c: $wide"; false; }
	done
	wide=$(MANWIDTH=80 man -l "$MAN" 2>/dev/null | col -b | while IFS= read -r l; do
		[ "$(printf '%s' "$l" | LC_ALL=C.UTF-8 wc -L)" -le 80 ] || echo "$l"
	done)
	[ -z "$wide" ] || { echo "wider than 80: $wide"; false; }
}
