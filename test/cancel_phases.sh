#!/usr/bin/env bash
# test/cancel_phases.sh: cancel latency of a background training on a
# 1M-row table, in every phase of the run.
#
# For each phase (loading, preparing, searching, ensembling, refitting) a
# job is started, watched from a second session until it reports that
# phase, and cancelled; the time from automl.cancel() until the job reads
# "cancelled" must stay under a second.  A phase that ends between being
# seen and being cancelled is tried again with a new job.  Jobs run with two
# threads, so the pool's slices (binning, scoring, the stored profile) are
# what a cancel has to wait for.  Prints the latency per phase.  Run by
# test/check.sh.
cd "$(dirname "$0")/.."
. test/lib/common.sh
. test/lib/cluster.sh
. test/lib/assert.sh

ROWS=${CANCEL_ROWS:-1000000}
dir=$(cluster_dir cancel)
trap 'cluster_stop; rm -rf "$dir"' EXIT
trap 'exit 130' INT TERM
cluster_start "$dir" "max_worker_processes = 16" "automl.max_threads = 2"
q -d postgres -c "CREATE DATABASE cancel" >/dev/null
export PGDATABASE=cancel
q >/dev/null <<SQL
SET client_min_messages = warning;
CREATE EXTENSION automl;
SELECT setseed(0.3);
CREATE TABLE big AS
SELECT i AS id, random() AS f1, random() AS f2, random() AS f3, random() AS f4, random() AS f5,
       random() AS f6, random() AS f7, random() AS f8, (i % 13)::text AS c1
  FROM generate_series(1, $ROWS) i;
ALTER TABLE big ADD COLUMN y text;
UPDATE big SET y = CASE WHEN f1 + f2 * f3 + random() * 0.5 > 1.1 THEN 'yes' ELSE 'no' END;
VACUUM ANALYZE big;
SQL

now_ms() { date +%s%3N; }
session_open watch

# start_job: a search that passes through every phase within its budget
start_job() {
	q -c "SET automl.progress = off; SELECT automl.train_async('cancel_' || (random() * 1e9)::bigint,
	      'big', 'y', exclude => '{id}', time_budget => '25 s')" | tail -1
}

# cancel_in PHASE: latency in ms of a cancel issued while the job is in PHASE,
# or "missed" when the phase could not be caught
cancel_in() {
	local phase=$1 job seen state t0 deadline
	job=$(start_job)
	deadline=$((SECONDS + 120))
	while :; do
		seen=$(session_query watch "SELECT coalesce(phase, '') || '|' || state FROM automl.jobs WHERE job_id = $job")
		[ "${seen%%|*}" = "$phase" ] && break
		case "${seen#*|}" in finished|failed|cancelled) echo missed; return ;; esac
		[ $SECONDS -ge $deadline ] && { q -c "SELECT automl.cancel($job)" >/dev/null; echo missed; return; }
	done
	t0=$(now_ms)
	seen=$(session_query watch "SELECT automl.cancel($job) || '|' || (SELECT coalesce(phase, '') FROM automl.jobs WHERE job_id = $job)")
	if [ "${seen#*|}" != "$phase" ]; then	# the phase ended before the cancel landed
		q -c "SELECT automl.wait($job, '60 s')" >/dev/null
		echo missed
		return
	fi
	while :; do
		state=$(session_query watch "SELECT state FROM automl.jobs WHERE job_id = $job")
		case "$state" in cancelled|failed|finished) break ;; esac
		[ $(($(now_ms) - t0)) -gt 10000 ] && break
	done
	echo "$(($(now_ms) - t0)) $state"
}

for phase in loading preparing searching ensembling refitting; do
	result=missed
	for attempt in 1 2 3; do
		result=$(cancel_in $phase)
		[ "$result" != missed ] && break
	done
	if [ "$result" = missed ]; then
		check "cancel while $phase: the phase could not be caught in 3 jobs" false
		continue
	fi
	ms=${result% *}
	check_eq "cancel while $phase ends the job as cancelled" "${result#* }" cancelled
	check "cancel while $phase took under a second ($ms ms, $ROWS rows)" [ "$ms" -lt 1000 ]
done
session_close watch
check_eq "no job left running" "$(q -c "SELECT count(*) FROM automl.jobs WHERE state IN ('queued', 'running')")" 0
check_eq "no model stored by a cancelled job" \
	"$(q -c "SELECT count(*) FROM automl.job_table WHERE state = 'cancelled' AND version IS NOT NULL")" 0
check "no crash" bash -c "! grep -q 'terminated by signal' '$dir/server.log'"
assert_summary "cancel_phases"
