# test/lib/assert.sh: assertions and persistent psql sessions for the
# multi-session shell tests under test/.

ASSERT_FAILURES=0
ASSERT_CHECKS=0

# check "description" command...: passes when the command succeeds
check() {
	local what=$1
	shift
	ASSERT_CHECKS=$((ASSERT_CHECKS + 1))
	if "$@"; then
		echo "ok   - $what"
	else
		echo "FAIL - $what"
		ASSERT_FAILURES=$((ASSERT_FAILURES + 1))
	fi
}

# check_eq "description" actual expected
check_eq() {
	local what=$1 actual=$2 expected=$3
	ASSERT_CHECKS=$((ASSERT_CHECKS + 1))
	if [ "$actual" = "$expected" ]; then
		echo "ok   - $what"
	else
		echo "FAIL - $what: got '$actual', expected '$expected'"
		ASSERT_FAILURES=$((ASSERT_FAILURES + 1))
	fi
}

assert_summary() {
	echo "$1: $ASSERT_CHECKS checks, $ASSERT_FAILURES failures"
	[ "$ASSERT_FAILURES" -eq 0 ]
}

# q [psql options...] -c SQL: one query, unaligned, tuples only, stop on error
q() {
	psql -X -At -v ON_ERROR_STOP=1 "$@"
}

# A long-lived session (one backend, so its caches persist between queries):
#   session_open NAME [psql options...]; session_query NAME "SQL"; session_close NAME
declare -A SESSION_IN SESSION_OUT SESSION_PID
session_open() {
	local name=$1
	shift
	local in out
	in=$(mktemp -u) out=$(mktemp -u)
	mkfifo "$in" "$out"
	psql -X -At "$@" <"$in" >"$out" 2>&1 &
	SESSION_PID[$name]=$!
	exec {fd_in}>"$in"
	exec {fd_out}<"$out"
	SESSION_IN[$name]=$fd_in
	SESSION_OUT[$name]=$fd_out
	rm -f "$in" "$out"
}

# One statement returning exactly one line (errors come back as that line).
session_query() {
	local name=$1 sql=$2 line
	[[ "$sql" == *";" ]] || sql="$sql;"	# psql runs nothing until the statement ends
	echo "$sql" >&"${SESSION_IN[$name]}"
	if ! read -t 30 -r line <&"${SESSION_OUT[$name]}"; then
		line="(no answer within 30 s)"
	fi
	echo "$line"
}

session_close() {
	local name=$1
	echo '\q' >&"${SESSION_IN[$name]}"
	wait "${SESSION_PID[$name]}" 2>/dev/null || true
}
