#!/usr/bin/env bash
# test/check.sh: the whole test suite on a fresh Debian 12 machine.
#
# Installs missing packages, builds and installs the extension, runs the
# kernel unit tests, starts a throwaway cluster and runs the pg_regress
# suite and the isolation specs (specs/) against it, then the multi-session
# tests under test/ (concurrent scoring and deploys, crash recovery, jobs,
# cancel, a hot standby, reports, progress messages, the upgrade from the
# previous release), each on clusters of their own, then sqlsmith, the suite against an ASan + UBSan build and
# valgrind over the train and score paths, on private copies of the server.
# Exits non-zero on any failure.  This is what CI (.ci/run) runs.
cd "$(dirname "$0")/.."
. test/lib/common.sh
. test/lib/cluster.sh

build_and_install
echo "== kernel unit tests"
make -s unit
echo "== fuzzing (short run: seeds, saved regressions, fixed executions per target)"
test/fuzz/run.sh

dir=$(cluster_dir check)
trap 'cluster_stop; rm -rf "$dir"' EXIT
trap 'exit 130' INT TERM
cluster_start "$dir"

echo "== regression and isolation tests"
if ! make -s installcheck; then
	[ -f regression.diffs ] && head -200 regression.diffs
	[ -f output_iso/regression.diffs ] && head -200 output_iso/regression.diffs
	exit 1
fi
cluster_check_crashes
cluster_stop

echo "== multi-session tests"
test/concurrency.sh
test/crash_recovery.sh
test/jobs.sh
test/cancel_phases.sh
test/replica.sh
test/report.sh
test/progress.sh
test/upgrade.sh
echo "== sqlsmith (two 30-second passes of random SQL; no backend may crash)"
test/sqlsmith.sh 30
echo "== the pg_regress suite against an AddressSanitizer + UBSan build"
test/asan.sh
echo "== valgrind memcheck over the train and score paths of every family"
test/valgrind.sh
echo "all tests passed"
