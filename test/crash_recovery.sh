#!/usr/bin/env bash
# test/crash_recovery.sh: the catalog after a backend or the server dies
# in the middle of a training, a deploy or a background job.
#
# On a throwaway cluster, kill -9 server processes (each time the postmaster
# terminates every backend, runs crash recovery and restarts):
#   1. a backend while automl.train() is searching (its run and trials are
#      uncommitted), and a backend whose training finished its search and
#      waits for the name's lock to store its version;
#   2. a backend inside automl.rollback(), queued behind another session's
#      uncommitted automl.deploy(); then a deploy that committed just before
#      an immediate shutdown (pg_ctl -m immediate) must survive it;
#   3. the background worker of an automl.train_async() job that has
#      committed some trials; then the postmaster (pg_ctl -m immediate)
#      while a second job runs.
# After every restart the catalog must be consistent: every models row has
# its model_data and its train audit row and vice versa, the versions of a
# name are 1..n (no version is dropped here, so no gap is allowed) and
# model_names holds the last one, exactly one version per name has status
# 'deployed' and it is the newest deployments row, no run is left
# 'running', no job is left queued or running (a killed job reads 'failed'
# with a reason and keeps its committed trials), the automl indexes pass
# amcheck, and every deployed model scores its training rows.  Then new
# trainings, deploys and jobs of the same names work.  The server log must
# show no crash but the kills made here.  Exits non-zero on any failure;
# takes about 30 s.
set -euo pipefail
cd "$(dirname "$0")/.."
. test/lib/common.sh
. test/lib/cluster.sh
. test/lib/assert.sh

started=$SECONDS
dir=$(cluster_dir crash)
bg_pids=()
cleanup() {
	for p in "${bg_pids[@]}"; do kill "$p" 2>/dev/null || true; done
	cluster_stop
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
cluster_start "$dir" "max_worker_processes = 16" "restart_after_crash = on"
q -d postgres -c "CREATE DATABASE crash" >/dev/null
export PGDATABASE=crash

q >/dev/null <<'SQL'
SET client_min_messages = warning;
SET automl.audit_log_level = off;
SET automl.progress = off;
CREATE EXTENSION automl;
CREATE EXTENSION amcheck;
CREATE TABLE pts AS
SELECT i, (i * 0.37)::float8 AS x, (2 * i * 0.37 + (i % 3) * 0.01)::float8 AS y
  FROM generate_series(1, 40) i;
CREATE TABLE pts3 AS SELECT i, x, 3 * x AS y FROM pts;
-- a classification whose L-BFGS trials take ~0.3 s each: a search that runs
-- until it is killed
SELECT setseed(0.1);
CREATE TABLE wide AS
SELECT i AS id, (random() * 10) AS f1, (random() * 10) AS f2, (random() * 10) AS f3,
       (random() * 10) AS f4, (random() * 10) AS f5, (random() * 10) AS f6,
       (i % 17)::text AS c1
  FROM generate_series(1, 30000) i;
ALTER TABLE wide ADD COLUMN y text;
UPDATE wide SET y = CASE WHEN f1 + f2 * random() > 8 THEN 'yes' ELSE 'no' END;
-- m: version 1 (deployed, y = 2x) and 2 (candidate, y = 3x)
SELECT version FROM automl.train('m', 'pts', 'y', exclude => '{i}', algorithms => '{linear}', max_trials => 1);
SELECT version FROM automl.train('m', 'pts3', 'y', exclude => '{i}', algorithms => '{linear}', max_trials => 1);
SQL

long_train="SELECT automl.train('m', 'wide', 'y', exclude => '{id}', algorithms => '{linear}',
	time_budget => '60 s', options => '{\"hyperparameters\": {\"linear\": {\"tol\": 1e-9}}}')"
long_job="SELECT automl.train_async('%s', 'wide', 'y', exclude => '{id}', algorithms => '{linear}',
	time_budget => '60 s', options => '{\"hyperparameters\": {\"linear\": {\"tol\": 1e-9}}}')"

# --- helpers ---------------------------------------------------------------

wait_for() {	# wait_for SECONDS QUERY: until the query returns true
	local deadline=$((SECONDS + $1))
	while [ $SECONDS -lt $deadline ]; do
		[ "$(q -c "$2" 2>/dev/null)" = t ] && return 0
		sleep 0.1
	done
	return 1
}

wait_for_file() {	# wait_for_file SECONDS FILE PATTERN
	local deadline=$((SECONDS + $1))
	while [ $SECONDS -lt $deadline ]; do
		grep -q "$3" "$2" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# background NAME SQL: a psql client running SQL, application_name NAME
background() {
	PGAPPNAME=$1 psql -X -v ON_ERROR_STOP=1 -c "$2" >"$dir/$1.out" 2>"$dir/$1.err" &
	bg_pids+=($!)
}

backend_of() {	# the pid of the backend of application NAME
	q -c "SELECT pid FROM pg_stat_activity WHERE application_name = '$1'"
}

killed=()	# pids this test killed on purpose
crashes() { grep -c "all server processes terminated; reinitializing" "$dir/server.log" || true; }

kill9() {	# kill9 PID: SIGKILL a server process, then wait for the restart
	local before
	before=$(crashes)
	killed+=("$1")
	kill -9 "$1"
	local deadline=$((SECONDS + 60))
	until [ "$(crashes)" -gt "$before" ]; do
		[ $SECONDS -lt $deadline ] || { echo "the postmaster did not restart" >&2; exit 1; }
		sleep 0.1
	done
	wait_restarted
}

# After a crash the postmaster terminates everyone, recovers and accepts
# connections again; the clients of the lost backends exit with an error.
wait_restarted() {
	local deadline=$((SECONDS + 60))
	until q -c "SELECT 1" >/dev/null 2>&1; do
		[ $SECONDS -lt $deadline ] || { echo "the server did not come back" >&2; tail -20 "$dir/server.log"; exit 1; }
		sleep 0.2
	done
	for p in "${bg_pids[@]}"; do wait "$p" 2>/dev/null || true; done
	bg_pids=()
}

immediate_restart() {
	cluster_run "$PG_BIN/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1
	OPENBLAS_NUM_THREADS=1 cluster_run "$PG_BIN/pg_ctl" -D "$dir/data" -w -t 60 -o "-p $PGPORT" \
		-l "$dir/server.log" start >/dev/null
	wait_restarted
}

# Every inconsistency as one line; nothing when the catalog is sound.
catalog_problems() {
	q <<'SQL'
SELECT 'model without bytes: ' || name || ' v' || version
  FROM automl.models m WHERE NOT EXISTS (SELECT FROM automl.model_data d WHERE d.model_id = m.model_id)
UNION ALL
SELECT 'bytes without model: ' || model_id
  FROM automl.model_data d WHERE NOT EXISTS (SELECT FROM automl.models m WHERE m.model_id = d.model_id)
UNION ALL
SELECT 'model without its train audit row: ' || name || ' v' || version
  FROM automl.models m
 WHERE NOT EXISTS (SELECT FROM automl.audit a WHERE a.name = m.name AND a.version = m.version
                      AND a.action IN ('train', 'retrain', 'import'))
UNION ALL
SELECT 'audited training without model: ' || name || ' v' || version
  FROM automl.audit a
 WHERE action IN ('train', 'retrain', 'import')
   AND NOT EXISTS (SELECT FROM automl.models m WHERE m.name = a.name AND m.version = a.version)
UNION ALL
SELECT 'versions of ' || name || ' are not 1..n: ' || string_agg(version::text, ',' ORDER BY version)
  FROM automl.models GROUP BY name HAVING count(*) <> max(version) OR min(version) <> 1
UNION ALL
SELECT 'model_names.last_version of ' || n.name || ' is ' || n.last_version || ', newest model '
       || coalesce(max(m.version)::text, 'none')
  FROM automl.model_names n LEFT JOIN automl.models m USING (name)
 GROUP BY n.name, n.last_version HAVING max(m.version) IS DISTINCT FROM n.last_version
UNION ALL
SELECT 'models of ' || name || ' without a model_names row'
  FROM automl.models m WHERE NOT EXISTS (SELECT FROM automl.model_names n WHERE n.name = m.name)
UNION ALL
SELECT 'deployed versions of ' || name || ': ' || count(*) FILTER (WHERE status = 'deployed')
  FROM automl.models GROUP BY name HAVING count(*) FILTER (WHERE status = 'deployed') <> 1
UNION ALL
SELECT 'status deployed of ' || m.name || ' v' || m.version || ' but the newest deployment is v'
       || coalesce(d.version::text, 'none')
  FROM automl.models m LEFT JOIN automl.deployed d USING (name)
 WHERE m.status = 'deployed' AND m.version IS DISTINCT FROM d.version
UNION ALL
SELECT 'finished run ' || run_id || ' without its model'
  FROM automl.runs r
 WHERE status = 'finished'
   AND NOT EXISTS (SELECT FROM automl.models m WHERE m.name = r.name AND m.version = r.version)
UNION ALL
SELECT 'run ' || run_id || ' of ' || name || ' still ''running'''
  FROM automl.runs WHERE status = 'running'
UNION ALL
SELECT 'job ' || job_id || ' of ' || name || ' still ' || state
  FROM automl.jobs WHERE state IN ('queued', 'running')
;
SQL
}

check_catalog() {	# check_catalog WHEN
	local problems
	problems=$(catalog_problems 2>&1) || true
	check_eq "$1: the catalog is consistent" "$problems" ""
	# every deployed model loads and scores the rows it was trained on
	problems=$(q -c "
		SELECT string_agg(d.name, ', ' ORDER BY d.name)
		  FROM automl.deployed d JOIN automl.models m USING (name, version)
		 WHERE NOT (SELECT count(*) > 0 AND bool_and(p.prediction IS NOT NULL OR p.label IS NOT NULL)
		              FROM automl.predict_table(d.name, m.source) p)" 2>&1) || true
	check_eq "$1: every deployed model scores" "$problems" ""
	# amcheck raises an error on a corrupt index (heapallindexed: every row found)
	check "$1: the automl indexes pass amcheck" q -o /dev/null -c "
		SELECT bt_index_check(i.indexrelid, true)
		  FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
		  JOIN pg_am am ON am.oid = c.relam
		 WHERE c.relnamespace = 'automl'::regnamespace AND am.amname = 'btree'"
}

probe() {	# probe NAME: the deployed version's prediction for row 10 (x = 3.7)
	q -c "SELECT round(automl.predict('$1', p)::numeric, 1) FROM pts p WHERE i = 10" 2>&1
}

count() { q -c "SELECT count(*) FROM $1"; }

# --- 1. a training killed while searching ---------------------------------

runs_before=$(count automl.runs)
background train_search "$long_train"
check "the training searches" wait_for_file 30 "$dir/train_search.err" "trial 2:"
kill9 "$(backend_of train_search)"
check "its client saw the connection end" grep -q "server closed the connection\|terminating connection" "$dir/train_search.err"
check_catalog "killed while searching"
check_eq "no version was stored" "$(q -c "SELECT string_agg(version || ':' || status, ' ' ORDER BY version) FROM automl.models WHERE name = 'm'")" "1:deployed 2:candidate"
check_eq "its run and trials rolled back with it" "$(count automl.runs)" "$runs_before"
check_eq "the deployed version still scores" "$(probe m)" 7.4

# --- 1b. a training killed while it waits to store its version -------------

background holder "SET automl.audit_log_level = off; BEGIN; SELECT automl.deploy('m', 2); SELECT pg_sleep(300)"
check "a session holds the name's lock (uncommitted deploy of v2)" \
	wait_for 30 "SELECT wait_event = 'PgSleep' FROM pg_stat_activity WHERE application_name = 'holder'"
background train_store "SET automl.progress = off; SELECT version FROM automl.train('m', 'pts3', 'y', exclude => '{i}', algorithms => '{linear}', max_trials => 1)"
check "a training finished its search and waits for the lock to store its version" \
	wait_for 30 "SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE application_name = 'train_store'"
kill9 "$(backend_of train_store)"
check_catalog "killed while storing"
check_eq "neither the version nor the uncommitted deploy survived" \
	"$(q -c "SELECT string_agg(version || ':' || status, ' ' ORDER BY version) FROM automl.models WHERE name = 'm'")" "1:deployed 2:candidate"
check_eq "last_version unchanged" "$(q -c "SELECT last_version FROM automl.model_names WHERE name = 'm'")" 2
check_eq "the deployed version still scores" "$(probe m)" 7.4

# --- 2. a deploy killed before it commits, another queued behind it --------

deploys_before=$(count automl.deployments)
audit_before=$(count automl.audit)
background holder "SET automl.audit_log_level = off; BEGIN; SELECT automl.deploy('m', 2); SELECT pg_sleep(300)"
check "a deploy of v2, not committed" \
	wait_for 30 "SELECT wait_event = 'PgSleep' FROM pg_stat_activity WHERE application_name = 'holder'"
background deployer "SET automl.audit_log_level = off; SELECT automl.rollback('m')"
check "a rollback waits behind it, inside automl.rollback()" \
	wait_for 30 "SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE application_name = 'deployer'"
kill9 "$(backend_of deployer)"
check "the uncommitted deploy's client lost its connection too" grep -q "server closed the connection\|terminating connection" "$dir/holder.err"
check_catalog "killed during a deploy"
check_eq "v1 is still the deployed version" "$(q -c "SELECT version FROM automl.deployed WHERE name = 'm'")" 1
check_eq "no deployment row was added" "$(count automl.deployments)" "$deploys_before"
check_eq "no audit row was added" "$(count automl.audit)" "$audit_before"
check_eq "the deployed version scores" "$(probe m)" 7.4

# --- 2b. a committed deploy survives an immediate shutdown -----------------

check_eq "deploy v2" "$(q -c "SET automl.audit_log_level = off; SELECT automl.deploy('m', 2)" | tail -1)" 2
immediate_restart
check_catalog "after an immediate shutdown"
check_eq "the committed deploy survived" "$(q -c "SELECT version FROM automl.deployed WHERE name = 'm'")" 2
check_eq "with its audit row" "$(q -c "SELECT count(*) FROM automl.audit WHERE action = 'deploy' AND name = 'm' AND to_version = 2")" 1
check_eq "and it scores" "$(probe m)" 11.1

# --- 3. a background job's worker killed after committing trials -----------

job=$(q -c "SET automl.progress = off; $(printf "$long_job" j)" | tail -1)
check "the job commits trials" wait_for 60 "SELECT trials_done >= 2 FROM automl.jobs WHERE job_id = $job"
run=$(q -c "SELECT run_id FROM automl.job_table WHERE job_id = $job")
worker=$(q -c "SELECT pid FROM automl.job_table WHERE job_id = $job")
trials_before=$(q -c "SELECT count(*) FROM automl.trials WHERE run_id = $run")
kill9 "$worker"
check "the killed job reads failed" wait_for 30 "SELECT state = 'failed' FROM automl.jobs WHERE job_id = $job"
check_eq "saying why" "$(q -c "SELECT error LIKE '%stopped unexpectedly%' FROM automl.jobs WHERE job_id = $job")" t
check_eq "its committed trials are kept" \
	"$(q -c "SELECT count(*) >= $trials_before AND count(*) >= 2 FROM automl.trials WHERE run_id = $run")" t
check_eq "its run is not left 'running'" "$(q -c "SELECT status FROM automl.runs WHERE run_id = $run")" failed
check_eq "no model was stored" "$(q -c "SELECT count(*) FROM automl.models WHERE name = 'j'")" 0
check_catalog "worker killed"

# --- 3b. the postmaster stopped (immediate) while a job runs ---------------

job2=$(q -c "SET automl.progress = off; $(printf "$long_job" j2)" | tail -1)
check "the second job runs" wait_for 60 "SELECT trials_done >= 1 FROM automl.jobs WHERE job_id = $job2"
run2=$(q -c "SELECT run_id FROM automl.job_table WHERE job_id = $job2")
immediate_restart
check "the job lost in the shutdown reads failed" wait_for 30 "SELECT state = 'failed' FROM automl.jobs WHERE job_id = $job2"
check_eq "its run is not left 'running'" "$(q -c "SELECT status FROM automl.runs WHERE run_id = $run2")" failed
check_catalog "server stopped during a job"

# --- 4. the same names train and deploy again ------------------------------

check_eq "m trains a new version, numbered on" \
	"$(q -c "SET automl.progress = off; SET automl.audit_log_level = off; SELECT version FROM automl.train('m', 'pts', 'y', exclude => '{i}', algorithms => '{linear}', max_trials => 1)" 2>&1 | tail -1)" 3
check_eq "and deploys it" "$(q -c "SET automl.audit_log_level = off; SELECT automl.deploy('m', 3)" | tail -1)" 3
check_eq "which scores" "$(probe m)" 7.4
check_eq "the killed job's name trains (its first version)" \
	"$(q -c "SET automl.progress = off; SET automl.audit_log_level = off; SELECT version FROM automl.train('j', 'pts3', 'y', exclude => '{i}', algorithms => '{linear}', max_trials => 1)" 2>&1 | tail -1)" 1
check_eq "and is deployed at once" "$(probe j)" 11.1
job3=$(q -c "SET automl.progress = off; SELECT automl.train_async('j2', 'pts', 'y', exclude => '{i}', algorithms => '{linear}', max_trials => 1)" | tail -1)
check_eq "the lost job's name trains again in a job" "$(q -c "SELECT automl.wait($job3, '60 s')")" finished
check_eq "its first version" "$(q -c "SELECT version FROM automl.jobs WHERE job_id = $job3")" 1
check_catalog "at the end"

# --- the server log: only the kills made here ------------------------------

others=$(grep -E "terminated by signal|PANIC" "$dir/server.log" |
	grep -vE "PID ($(IFS='|'; echo "${killed[*]}"))\) was terminated by signal 9" || true)
check_eq "no other crash in the server log" "$others" ""
check_eq "every kill was followed by a restart, and only those" "$(crashes)" "${#killed[@]}"
echo "     $(( SECONDS - started )) s"
assert_summary "crash_recovery"
