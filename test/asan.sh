#!/usr/bin/env bash
# test/asan.sh: the pg_regress suite against an AddressSanitizer +
# UndefinedBehaviorSanitizer build of the extension.
#
# Builds a private copy of the sources with
#   -fsanitize=address,undefined,float-cast-overflow -fno-omit-frame-pointer
# (gcc; ASan aborts the backend on its first report, UBSan logs every report
# and the run fails afterwards), installs it into a private copy of the
# system's PostgreSQL 15 (test/lib/pgcopy.sh: nothing is installed into the
# system's directories), starts a throwaway cluster from that copy with the
# ASan runtime preloaded (PostgreSQL itself is not instrumented: leak
# detection is off, and only memory the server malloc()s for the extension
# has redzones — palloc chunks above 8 kB, which are most of the numeric
# arrays; smaller palloc chunks share blocks and are not checked) and runs
# the REGRESS list of the Makefile.  Finally a probe module with a
# deliberate overrun and a deliberate bad shift checks that both
# sanitizers really report from inside a backend.
#
#   test/asan.sh            about 3 minutes on 2 cores (build included)
#   KEEP=1 test/asan.sh     keep the work directory (logs, diffs; kept anyway on failure)
#
# Exits non-zero on any sanitizer report (ASan's go to log files, UBSan's to
# the server log: both are read), any crashed backend, or when the positive
# control stays silent.  Differences from expected/ are printed but do not
# fail the run unless ASAN_FAIL_ON_DIFFS=1: the instrumented build is 2-4x
# slower, so the tests whose models depend on how many trials fit in a time
# budget train other models (test/check.sh checks the outputs on the normal
# build).
cd "$(dirname "$0")/.."
. test/lib/common.sh
. test/lib/pgcopy.sh

test/setup-deps.sh
need_packages gcc libasan8 libubsan1

t0=$(date +%s)
pgcopy_workdir asan

echo "== private PostgreSQL copy and an ASan+UBSan build of the extension in $work"
pgcopy_create "$work/pg"
pgcopy_source "$work/src"
SAN_FLAGS="-O1 -g -fsanitize=address,undefined,float-cast-overflow -fno-omit-frame-pointer"
# with_llvm=no: no JIT bitcode for the instrumented build
pgcopy_install "$work/src" with_llvm=no COPT="$SAN_FLAGS"
pgcopy_install_probe "$work/probe" with_llvm=no COPT="$SAN_FLAGS"
so=$("$PGCOPY_PG_CONFIG" --pkglibdir)/automl.so
libasan=$(ldd "$so" | awk '/libasan/ {print $3}')
if [ -z "$libasan" ] || [ ! -f "$libasan" ]; then echo "automl.so is not linked with libasan" >&2; exit 1; fi
# see test/lib/asan_preload.c: without it postgres hangs before main()
gcc -shared -fPIC -O2 -o "$work/asan_preload.so" test/lib/asan_preload.c
chmod 755 "$work/asan_preload.so"
# (no "| grep -q" under pipefail: an early exit of grep fails the pipe)
grep -q __ubsan_handle <<<"$(nm -D "$so")" || { echo "automl.so has no UBSan checks" >&2; exit 1; }
echo "built in $(($(date +%s) - t0)) s; ASan runtime: $libasan"

export PG_BIN=$PGCOPY_BIN
. test/lib/cluster.sh
dir="$work/cluster"
mkdir -p "$dir"
cluster_start "$dir" "max_worker_processes = 16"
san="$dir/san"
mkdir -p "$san"
chown postgres: "$san"
# restart the server with the sanitizer runtime preloaded (only the server:
# initdb, pg_ctl, psql and pg_regress run as usual)
cluster_run "$PG_BIN/pg_ctl" -D "$dir/data" -w -m fast stop >/dev/null
ASAN_OPTS="detect_leaks=0:abort_on_error=1:disable_coredump=1:detect_odr_violation=0"
ASAN_OPTS+=":allocator_may_return_null=1:print_summary=1:log_path=$san/asan"
UBSAN_OPTS="print_stacktrace=1:halt_on_error=0:report_error_type=1:log_path=$san/ubsan"
LD_PRELOAD="$libasan $work/asan_preload.so" ASAN_OPTIONS=$ASAN_OPTS UBSAN_OPTIONS=$UBSAN_OPTS OPENBLAS_NUM_THREADS=1 \
	cluster_run "$PG_BIN/pg_ctl" -D "$dir/data" -w -t 120 -o "-p $PGPORT" \
	-l "$dir/server.log" start >/dev/null || { cat "$dir/server.log"; exit 1; }

# the backends really carry the runtime and the instrumented module
maps=$(psql -X -At -v ON_ERROR_STOP=1 -c "LOAD 'automl'" \
	-c "SELECT pg_read_file('/proc/self/maps')")
grep -q libasan <<<"$maps" || { echo "the backend has no ASan runtime loaded" >&2; exit 1; }
grep -q "$so" <<<"$maps" || { echo "the backend did not load $so" >&2; exit 1; }

echo "== regression suite: $(make -s -C "$work/src" PG_CONFIG="$PGCOPY_PG_CONFIG" print-REGRESS)"
t1=$(date +%s)
suite_ok=1
# the isolation specs run even when a budget-dependent regression output differs
( cd "$work/src" && make -s installcheck ISOLATION= PG_CONFIG="$PGCOPY_PG_CONFIG" ) || suite_ok=0
[ -f "$work/src/regression.diffs" ] && cp "$work/src/regression.diffs" "$work/regress.diffs"
( cd "$work/src" && make -s installcheck REGRESS= PG_CONFIG="$PGCOPY_PG_CONFIG" ) || suite_ok=0
suite_s=$(($(date +%s) - t1))
echo "suite ran in $suite_s s"

failed=0
mapfile -t reports < <(find "$san" -type f -size +0 | sort)
if [ ${#reports[@]} -gt 0 ]; then
	failed=1
	echo "== SANITIZER REPORTS"
	for f in "${reports[@]}"; do
		echo "--- $f"
		head -80 "$f"
	done
fi
# UBSan (gcc's separate runtime) writes to the backend's stderr: the server log
if grep -qE "AddressSanitizer|UndefinedBehaviorSanitizer|runtime error:" "$dir/server.log"; then
	echo "== SANITIZER OUTPUT IN THE SERVER LOG"
	grep -E -A3 "AddressSanitizer|UndefinedBehaviorSanitizer|runtime error:" "$dir/server.log" | head -80
	failed=1
fi
n_asan=$(cat "${reports[@]}" /dev/null | grep -c "ERROR: AddressSanitizer" || true)
n_ubsan=$(cat "${reports[@]}" /dev/null "$dir/server.log" | grep -c "runtime error:" || true)
n_ext=$(cat "${reports[@]}" /dev/null | grep -c "automl.so" || true)
cluster_check_crashes || failed=1
if grep -E "server process .* exited with exit code [1-9]" "$dir/server.log"; then
	echo "a backend exited abnormally" >&2
	failed=1
fi
if [ $suite_ok = 0 ]; then
	echo "== the suite's output differs from expected/ (first 150 lines of the diffs):"
	cat "$work/regress.diffs" "$work/src/output_iso/regression.diffs" 2>/dev/null | head -150 || true
	grep -hE "FAILED" "$work/src/regression.out" "$work/src/output_iso/regression.out" 2>/dev/null |
		sort -u || true
	if [ "${ASAN_FAIL_ON_DIFFS:-0}" = 1 ]; then failed=1; fi
fi

# Positive control: each sanitizer must report the probe's mistakes.
# (Run last: the heap overflow aborts a backend and the server restarts.)
echo "== positive control (test/lib/san_probe.c)"
psql -X -q -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
CREATE FUNCTION san_probe_heap_overflow(int) RETURNS int AS 'san_probe' LANGUAGE C STRICT;
CREATE FUNCTION san_probe_shift(int) RETURNS int AS 'san_probe' LANGUAGE C STRICT;
SQL
psql -X -q -At -c "SELECT san_probe_shift(40)" >/dev/null 2>&1 || true
psql -X -q -At -c "SELECT san_probe_heap_overflow(16000)" >/dev/null 2>&1 || true
sleep 1
mapfile -t probe_reports < <(find "$san" -type f -size +0 | sort)
control=ok
probe_text=$(cat "${probe_reports[@]}" /dev/null "$dir/server.log")
grep -A12 "heap-buffer-overflow" <<<"$probe_text" | grep -q "in san_probe_heap_overflow .*san_probe.c" ||
	{ control=failed; echo "ASan did not report the probe's heap overflow" >&2; }
grep -q "san_probe.c:.*shift exponent 40" <<<"$probe_text" ||
	{ control=failed; echo "UBSan did not report the probe's shift" >&2; }
[ $control = ok ] && echo "ASan and UBSan both reported the probe's deliberate errors" || failed=1

echo "== summary: suite $suite_s s, total $(($(date +%s) - t0)) s;" \
	"ASan reports $n_asan, UBSan reports $n_ubsan ($n_ext stack lines in automl.so);" \
	"suite output $([ $suite_ok = 1 ] && echo as expected || echo DIFFERENT)"
if [ $failed = 1 ]; then
	KEEP=1
	echo "asan: FAILED"
	exit 1
fi
echo "asan: no sanitizer report from the extension"
