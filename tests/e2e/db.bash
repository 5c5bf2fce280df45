# db.bash - the database an end-to-end test runs on, on either back end.
#
# With QUAN_TEST_DB unset, a SQLite file; with QUAN_TEST_DB a PostgreSQL
# server's URI without a database (scripts/pg run exports one), a fresh
# database on it. sql and sqlx reach the database behind quan's back.

is_pg() {
	case "$1" in postgres://* | postgresql://*) return 0 ;; esac
	return 1
}

# new_db FILE: prints the --db of a fresh database (FILE on SQLite).
new_db() {
	if [ -z "${QUAN_TEST_DB:-}" ]; then
		echo "$1"
		return
	fi
	local name="quan_e2e_$$_${RANDOM}${RANDOM}"
	psql -X -q "$QUAN_TEST_DB/postgres" -c "CREATE DATABASE $name" >/dev/null
	echo "$QUAN_TEST_DB/$name"
}

# drop_db DB: remove a PostgreSQL database (a SQLite file goes with its
# directory).
drop_db() {
	if is_pg "$1"; then
		psql -X -q "${1%/*}/postgres" -c "DROP DATABASE IF EXISTS ${1##*/} WITH (FORCE)" \
			>/dev/null 2>&1 || true
	fi
}

# sql DB QUERY: rows of QUERY, columns separated by '|'.
sql() {
	if is_pg "$1"; then
		psql -X -q -At -v ON_ERROR_STOP=1 "$1" -c "$2"
	else
		# A server stopping checkpoints its WAL under an exclusive lock
		# for a moment: wait for it rather than fail "database is locked".
		sqlite3 -cmd '.timeout 10000' "$1" "$2"
	fi
}

# sqlx DB SQLITE_QUERY PG_QUERY: the query spelt for the back end.
sqlx() {
	if is_pg "$1"; then sql "$1" "$3"; else sql "$1" "$2"; fi
}

# db_save DB NAME / db_restore DB NAME: a copy of the whole database, and
# the database put back as it was.
db_save() {
	if is_pg "$1"; then
		psql -X -q "${1%/*}/postgres" -c "CREATE DATABASE ${1##*/}_$2 TEMPLATE ${1##*/}" >/dev/null
	else
		sqlite3 "$1" "pragma wal_checkpoint(TRUNCATE)" >/dev/null
		cp "$1" "$1.$2"
	fi
}
db_restore() {
	if is_pg "$1"; then
		psql -X -q "${1%/*}/postgres" -c "DROP DATABASE ${1##*/} WITH (FORCE)" \
			-c "CREATE DATABASE ${1##*/} TEMPLATE ${1##*/}_$2" >/dev/null
	else
		rm -f "$1-wal" "$1-shm"
		cp "$1.$2" "$1"
	fi
}
db_forget() {
	if is_pg "$1"; then
		psql -X -q "${1%/*}/postgres" -c "DROP DATABASE IF EXISTS ${1##*/}_$2" >/dev/null 2>&1 || true
	fi
}

# --- what the office answered ---------------------------------------------------
#
# The office numbers each application it receives (PREFIX-YEAR-NNNNNN) and
# `quan apply` begins each line with that number; the tests take the numbers
# from there, never from the application.

# numbers TEXT: the office's numbers at the start of TEXT's lines, in order
# (one a line; a refused application prints none).
numbers() {
	grep -oE '^[A-Z][A-Z0-9]*-[0-9]{4}-[0-9]{6}\b' <<<"$1" || true
}

# line_of TEXT NUMBER: the line of TEXT that begins with NUMBER.
line_of() {
	grep -E "^$2( |\$)" <<<"$1" || true
}

# json_lines TEXT: the lines of TEXT that are JSON objects (what `apply
# --json` prints on stdout), without the notices on stderr.
json_lines() {
	grep '^{' <<<"$1" || true
}

# hz_lists DB [USCC...]: put the suppliers of the Hangzhou examples (and the
# firms given) on Hangzhou's list of planned computing centres, which its
# programs ask of a compute supplier.
hz_lists() {
	local db=$1 f
	shift
	f=$(mktemp)
	{
		echo "uscc,name,reason,source"
		for u in 91330108MA27WN5T3N 91330110MA2HK5002H 91330110MA2J8RTY5B "$@"; do
			echo "$u,,规划布局的智算中心,tests"
		done
	} >"$f"
	"$QUAN" lists import --db "$db" --list hz-planned --by admin "$f" >/dev/null
	rm -f "$f"
}

# --- the public notice (公示) -----------------------------------------------------
#
# The bundled Shanghai policy posts its awards for 5 working days before any
# is paid (public_notice: in policies/shanghai-2025.yaml).

# through_notice DB PROGRAM [ID...]: open a public notice over PROGRAM's
# awards that wait for one (or over IDs) at the office's clock (QUAN_NOW),
# and close it the morning after its last working day, QUAN_NOW moved there
# for the close alone: the awards become payable, at the test's own clock as
# well (payment reads the notice's state). Prints the notice's id.
through_notice() {
	local db=$1 program=$2 out nid end
	shift 2
	out=$("$QUAN" notice open --db "$db" "$program" "$@" --by notice-admin) || return 1
	nid=${out%% *}
	end=$(grep -oE 'to [0-9]{4}-[0-9]{2}-[0-9]{2} \(' <<<"$out" | grep -oE '[0-9-]{10}')
	[ -n "$end" ] || return 1
	QUAN_NOW="$(date -d "$end + 1 day" +%F)T09:00:00+08:00" \
		"$QUAN" notice close --db "$db" "$nid" --by notice-admin >/dev/null || return 1
	echo "$nid"
}

# --- a server in the background -------------------------------------------------

# serve_bg OUT DB [ARGS...]: `quan serve --db DB --listen 127.0.0.1:0 ARGS`
# in the background (with the environment's QUAN_NOW; fd 3, bats' own, closed
# so that bats does not wait for the server), its stdout in OUT.out, stderr
# in OUT.err, pid in OUT.pid and $SERVE_PID. Waits up to a minute (a start
# on a loaded machine once took over 20 s) for its "listening" line, then
# sets URL (http[s]://127.0.0.1:PORT) and PORT. Fails, printing the server's
# stderr, if it exits first or never says it listens (then it is killed).
serve_bg() {
	local out=$1 db=$2 deadline=$((SECONDS + 60))
	shift 2
	URL='' PORT=''
	# Emptied here, before the server starts: the redirection below runs
	# in the background, and until it has, a file left by an earlier
	# server would still say where that one listened.
	: >"$out.out"
	: >"$out.err"
	"$QUAN" serve --db "$db" --listen 127.0.0.1:0 "$@" >"$out.out" 2>"$out.err" 3>&- &
	SERVE_PID=$!
	echo "$SERVE_PID" >"$out.pid"
	while [ "$SECONDS" -le "$deadline" ]; do
		URL=$(sed -n 's|^listening \(https*://[^ ]*\)/$|\1|p' "$out.out" 2>/dev/null)
		[ -n "$URL" ] && break
		if ! kill -0 "$SERVE_PID" 2>/dev/null; then
			URL=$(sed -n 's|^listening \(https*://[^ ]*\)/$|\1|p' "$out.out")
			[ -n "$URL" ] && break
			echo "quan serve exited before it was listening; its stderr:" >&2
			cat "$out.err" >&2
			return 1
		fi
		sleep 0.05
	done
	if [ -z "$URL" ]; then
		kill "$SERVE_PID" 2>/dev/null || true
		echo "quan serve did not say it was listening in 60 s; its stderr:" >&2
		cat "$out.err" >&2
		return 1
	fi
	PORT=${URL##*:}
}
