#!/usr/bin/env bash
# test/jobs.sh: background training seen from several sessions, and the
# memory budget.
#
#  - a running job's progress is visible from another session and grows;
#  - cancel stops it within a second and the finished trials stay recorded;
#  - cancel with keep_best ends the search and stores the best model so far;
#  - a worker killed with SIGTERM, and every worker lost in a server restart,
#    show as failed on the next look at automl.jobs;
#  - with automl.max_jobs = 1 a second and a third job wait, queued, for the
#    first, without a worker process, and run one after the other; jobs
#    committed by two sessions at the same moment never run more than one
#    at a time; a job reads the configuration again (require_approval turned
#    on while it trains holds its version back); a job queued by a member of
#    a group role does not run once the member has left the group;
#  - training on a table far larger than automl.memory_limit succeeds on a
#    sample while the backend's private memory stays within the limit plus
#    a stated overhead (sampled from /proc/<pid>/status, RssAnon).
# Run by test/check.sh.
cd "$(dirname "$0")/.."
. test/lib/common.sh
. test/lib/cluster.sh
. test/lib/assert.sh

dir=$(cluster_dir jobs)
trap 'cluster_stop; rm -rf "$dir"' EXIT
trap 'exit 130' INT TERM
cluster_start "$dir" "max_worker_processes = 16"
q -d postgres -c "CREATE DATABASE jobs" >/dev/null
export PGDATABASE=jobs
q >/dev/null <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION automl;
SELECT setseed(0.1);
CREATE TABLE wide AS
SELECT i AS id, (random() * 10) AS f1, (random() * 10) AS f2, (random() * 10) AS f3,
       (random() * 10) AS f4, (random() * 10) AS f5, (random() * 10) AS f6,
       (random() * 10) AS f7, (random() * 10) AS f8, (random() * 10) AS f9,
       (random() * 10) AS f10, (i % 17)::text AS c1
  FROM generate_series(1, 150000) i;
ALTER TABLE wide ADD COLUMN y text;
UPDATE wide SET y = CASE WHEN f1 + f2 * random() > 8 THEN 'yes' ELSE 'no' END;
SQL

job_state() { q -c "SELECT state FROM automl.jobs WHERE job_id = $1"; }
wait_for() {	# wait_for SECONDS QUERY: until the query returns true
	local deadline=$((SECONDS + $1))
	while [ $SECONDS -lt $deadline ]; do
		[ "$(q -c "$2" 2>/dev/null)" = t ] && return 0
		sleep 0.1
	done
	return 1
}
now_ms() { date +%s%3N; }
start_job() {	# start_job NAME -> job id (a linear search of several seconds)
	q -c "SET automl.progress = off; SELECT automl.train_async('$1', 'wide', 'y', exclude => '{id}',
	      algorithms => '{linear}', time_budget => '60 s',
	      options => '{\"hyperparameters\": {\"linear\": {\"tol\": 1e-9}}}')" | tail -1
}

# --- progress from another session, then cancel
job=$(start_job progress)
check "the job runs" wait_for 30 "SELECT state = 'running' AND trials_done >= 1 FROM automl.jobs WHERE job_id = $job"
first=$(q -c "SELECT trials_done FROM automl.jobs WHERE job_id = $job")
check "another session sees trials accumulate" wait_for 30 "SELECT trials_done > $first FROM automl.jobs WHERE job_id = $job"
check_eq "committed trials are readable while it runs" \
	"$(q -c "SELECT count(*) >= $first FROM automl.trials t JOIN automl.job_table j USING (run_id) WHERE j.job_id = $job")" t
t0=$(now_ms)
q -c "SELECT automl.cancel($job)" >/dev/null
check_eq "wait returns cancelled" "$(q -c "SELECT automl.wait($job, '10 s')")" cancelled
elapsed=$(($(now_ms) - t0))
check "cancel took under a second (${elapsed} ms)" [ $elapsed -lt 1000 ]
check_eq "finished trials stay recorded" \
	"$(q -c "SELECT count(*) >= $first FROM automl.trials t JOIN automl.job_table j USING (run_id) WHERE j.job_id = $job")" t
check_eq "no model stored" "$(q -c "SELECT count(*) FROM automl.models WHERE name = 'progress'")" 0

# --- stop early and keep the best so far
job=$(start_job keep)
check "the second job runs" wait_for 30 "SELECT trials_done >= 2 FROM automl.jobs WHERE job_id = $job"
check_eq "cancel with keep_best" "$(q -c "SELECT automl.cancel($job, keep_best => true)")" stopping
check_eq "it finishes" "$(q -c "SELECT automl.wait($job, '60 s')")" finished
check_eq "with a stored model" "$(q -c "SELECT count(*) FROM automl.models WHERE name = 'keep'")" 1
check "well before its budget" wait_for 1 "SELECT elapsed < interval '50 s' FROM automl.jobs WHERE job_id = $job"

# --- a killed worker is marked failed
job=$(start_job killed)
check "job running" wait_for 30 "SELECT state = 'running' FROM automl.jobs WHERE job_id = $job"
pid=$(q -c "SELECT pid FROM automl.job_table WHERE job_id = $job")
kill -TERM "$pid"
check "a killed worker shows as failed" wait_for 30 "SELECT state = 'failed' FROM automl.jobs WHERE job_id = $job"
check "with a message saying why" wait_for 1 "SELECT error LIKE '%stopped unexpectedly%' FROM automl.jobs WHERE job_id = $job"

# --- a server restart loses the worker; the job does not stay running
job=$(start_job restarted)
check "job running before the restart" wait_for 30 "SELECT state = 'running' FROM automl.jobs WHERE job_id = $job"
cluster_run pg_ctl -D "$dir/data" -m immediate -w restart -o "-p $PGPORT" >/dev/null 2>&1
check "a job lost in a restart shows as failed" wait_for 30 "SELECT state = 'failed' FROM automl.jobs WHERE job_id = $job"

# --- one job at a time: the second waits, queued
q -c "LOAD 'automl'" -c "ALTER SYSTEM SET automl.max_jobs = 1" -c "SELECT pg_reload_conf()" >/dev/null
sleep 0.5
a=$(q -c "SET automl.progress = off; SELECT automl.train_async('qa', 'wide', 'y', exclude => '{id}', algorithms => '{linear}', max_trials => 6)" | tail -1)
check "the first job runs" wait_for 30 "SELECT state = 'running' FROM automl.jobs WHERE job_id = $a"
b=$(q -c "SET automl.progress = off; SELECT automl.train_async('qb', 'wide', 'y', exclude => '{id}', algorithms => '{linear}', max_trials => 2)" | tail -1)
c=$(q -c "SET automl.progress = off; SELECT automl.train_async('qc', 'wide', 'y', exclude => '{id}', algorithms => '{linear}', max_trials => 2)" | tail -1)
check "the second waits for a slot" wait_for 10 "SELECT state = 'queued' AND phase = 'waiting for a free slot' FROM automl.jobs WHERE job_id = $b"
check_eq "queued jobs hold no worker process" \
	"$(q -c "SELECT (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'automl training'),
	               (SELECT count(*) FROM automl.job_table WHERE job_id IN ($b, $c) AND dispatched_at IS NULL AND pid IS NULL)")" "1|2"
check_eq "the first finishes" "$(q -c "SELECT automl.wait($a, '120 s')")" finished
check_eq "then the second runs and finishes" "$(q -c "SELECT automl.wait($b, '120 s')")" finished
check_eq "then the third" "$(q -c "SELECT automl.wait($c, '120 s')")" finished
check "never more than one worker: each started after the one before ended" \
	wait_for 1 "SELECT (SELECT started_at FROM automl.jobs WHERE job_id = $c) >= (SELECT finished_at FROM automl.jobs WHERE job_id = $b) - interval '1 s'"
check_eq "one after the other" "$(q -c "SELECT (SELECT started_at FROM automl.jobs WHERE job_id = $b) >= (SELECT finished_at FROM automl.jobs WHERE job_id = $a) - interval '1 s'")" t
# --- two sessions queueing jobs that commit at the same moment: the
# dispatches count each other's starts, so never more than max_jobs run
t=$(q -c "SELECT now() + interval '1.5 s'")
for s in 1 2; do
	q -c "SET automl.progress = off" -c "BEGIN" \
	  -c "SELECT automl.train_async('race$s' || i, 'wide', 'y', exclude => '{id}', algorithms => '{linear}', max_trials => 2) FROM generate_series(1, 2) i" \
	  -c "SELECT pg_sleep_until('$t')" -c "COMMIT" >/dev/null &
done
wait
max_seen=0
for _ in $(seq 1 60); do
	n=$(q -c "SELECT count(*) FROM automl.job_table WHERE state = 'running'")
	[ "$n" -gt "$max_seen" ] && max_seen=$n
	sleep 0.1
done
check "racing commits never run more than automl.max_jobs = 1 job (at most $max_seen seen)" [ "$max_seen" -le 1 ]
check_eq "and all four run in turn" \
	"$(q -c "SELECT count(*) FILTER (WHERE automl.wait(job_id, '2 min') = 'finished') FROM automl.job_table WHERE name LIKE 'race%'")" 4

# --- a job reads the configuration again: require_approval turned on while
# it trains holds its first version back
job=$(start_job approval_reload)
check "the job trains" wait_for 30 "SELECT state = 'running' AND trials_done >= 1 FROM automl.jobs WHERE job_id = $job"
q -c "LOAD 'automl'" -c "ALTER SYSTEM SET automl.require_approval = on" -c "SELECT pg_reload_conf()" >/dev/null
sleep 0.5
q -c "SELECT automl.cancel($job, keep_best => true)" >/dev/null
check_eq "it stores its version" "$(q -c "SELECT automl.wait($job, '60 s')")" finished
check_eq "which is not deployed, as the reloaded configuration requires" \
	"$(q -c "SELECT count(*) FROM automl.deployments WHERE name = 'approval_reload'")" 0
q -c "LOAD 'automl'" -c "ALTER SYSTEM RESET automl.require_approval" -c "SELECT pg_reload_conf()" >/dev/null

# --- a job queued by a member of a group role, acting as the group, does not
# run once the member has left the group
q >/dev/null <<'SQL'
CREATE ROLE jobs_team IN ROLE automl_analyst;
CREATE ROLE jobs_dave LOGIN IN ROLE jobs_team;
GRANT SELECT ON wide TO jobs_team;
SQL
blocker=$(start_job blocker)
check "a job holds the only slot" wait_for 30 "SELECT state = 'running' FROM automl.jobs WHERE job_id = $blocker"
queued=$(PGUSER=jobs_dave q -c "SET automl.progress = off" -c "SET ROLE jobs_team" \
	-c "SELECT automl.train_async('member_job', 'wide', 'y', exclude => '{id}', algorithms => '{linear}', max_trials => 1)" | tail -1)
q -c "REVOKE jobs_team FROM jobs_dave" >/dev/null
q -c "SELECT automl.cancel($blocker)" >/dev/null
check_eq "the job of a member who left the group fails" "$(q -c "SELECT automl.wait($queued, '60 s')")" failed
check "saying why" wait_for 1 "SELECT error LIKE '%is no longer a member of role%' FROM automl.job_table WHERE job_id = $queued"
check_eq "and stores nothing" "$(q -c "SELECT count(*) FROM automl.models WHERE name = 'member_job'")" 0
# ... also when the role acted as can log in (the worker logs in as that role)
q >/dev/null <<'SQL'
CREATE ROLE jobs_svc LOGIN IN ROLE automl_analyst;
GRANT jobs_svc TO jobs_dave;
GRANT SELECT ON wide TO jobs_svc;
SQL
blocker=$(start_job blocker2)
check "a job holds the only slot again" wait_for 30 "SELECT state = 'running' FROM automl.jobs WHERE job_id = $blocker"
queued=$(PGUSER=jobs_dave q -c "SET automl.progress = off" -c "SET ROLE jobs_svc" \
	-c "SELECT automl.train_async('member_job2', 'wide', 'y', exclude => '{id}', algorithms => '{linear}', max_trials => 1)" | tail -1)
q -c "REVOKE jobs_svc FROM jobs_dave" >/dev/null
q -c "SELECT automl.cancel($blocker)" >/dev/null
check_eq "the job of a member who left a role that can log in fails" "$(q -c "SELECT automl.wait($queued, '60 s')")" failed
check "saying why" wait_for 1 "SELECT error LIKE '%is no longer a member of role%' FROM automl.job_table WHERE job_id = $queued"

# --- an open transaction that cancels a queued job holds up no other job:
# the dispatch passes over the row it holds (two roles' jobs queued)
a=$(start_job hold_a)
check "a job holds the only slot once more" wait_for 30 "SELECT state = 'running' FROM automl.jobs WHERE job_id = $a"
b=$(PGUSER=jobs_svc q -c "SET automl.progress = off" \
	-c "SELECT automl.train_async('hold_b', 'wide', 'y', exclude => '{id}', algorithms => '{linear}', max_trials => 1)" | tail -1)
c=$(q -c "SET automl.progress = off; SELECT automl.train_async('hold_c', 'wide', 'y', exclude => '{id}', algorithms => '{linear}', max_trials => 1)" | tail -1)
q -c "BEGIN" -c "SELECT automl.cancel($c)" -c "SELECT pg_sleep(20)" -c "COMMIT" >/dev/null &
holder=$!
sleep 1
q -c "SELECT automl.cancel($a)" >/dev/null
check_eq "another role's queued job runs while a cancel is uncommitted" \
	"$(PGUSER=jobs_svc q -c "SELECT automl.wait($b, '15 s')")" finished
check_eq "the worker processes are free meanwhile" \
	"$(q -c "SELECT count(*) FROM pg_stat_activity WHERE backend_type LIKE 'automl%'")" 0
wait $holder
check_eq "and the cancelled one is cancelled" "$(q -c "SELECT automl.wait($c, '10 s')")" cancelled

q -c "LOAD 'automl'" -c "ALTER SYSTEM RESET automl.max_jobs" -c "SELECT pg_reload_conf()" >/dev/null

# --- memory: a table 4x the limit trains on a sample, memory stays bounded
q >/dev/null <<'SQL'
SET client_min_messages = warning;
CREATE TABLE huge AS
SELECT (random() * 10) AS a, (random() * 10) AS b, (random() * 10) AS c, (random() * 10) AS d,
       (random() * 10) AS e, (random() * 10) AS f, (random() * 10) AS g, (random() * 10) AS h,
       (random() * 10) AS k
  FROM generate_series(1, 2000000) i;
ALTER TABLE huge ADD COLUMN y float8;
UPDATE huge SET y = a * 2 + b - c + random();
SQL
limit_kb=65536
session_open mem
backend=$(session_query mem "SELECT pg_backend_pid();")
base_kb=$(awk '/RssAnon/ {print $2}' /proc/$backend/status)
( peak=0; while kill -0 "$backend" 2>/dev/null; do
	v=$(awk '/RssAnon/ {print $2}' /proc/$backend/status 2>/dev/null || echo 0)
	[ "${v:-0}" -gt "$peak" ] && peak=$v && echo "$peak" >"$dir/peak"
	sleep 0.05
  done ) &
sampler=$!
result=$(session_query mem "SET automl.progress = off; SET automl.memory_limit = '${limit_kb}kB'; SELECT rows FROM automl.train('huge', 'huge', 'y', algorithms => '{linear}', max_trials => 3);")
sleep 0.2
session_close mem
wait $sampler 2>/dev/null || true
peak_kb=$(cat "$dir/peak")
growth_kb=$((peak_kb - base_kb))
tracked_kb=$(q -c "SELECT peak_memory_kb FROM automl.runs WHERE name = 'huge'")
rows=$(q -c "SELECT rows_used FROM automl.runs WHERE name = 'huge'")
echo "     2,000,000 rows x 10 columns (~176 MB as doubles), automl.memory_limit ${limit_kb} kB:"
echo "     trained on $rows rows; tracked peak ${tracked_kb} kB; backend private memory grew ${growth_kb} kB"
check "trained on a sample" [ "${rows:-0}" -gt 0 ] && [ "${rows:-0}" -lt 2000000 ]
check "tracked peak within the limit" [ "${tracked_kb:-999999999}" -le "$limit_kb" ]
# stated overhead: 32 MB for the executor, SPI fetch batches and untracked scratch
check "private memory within the limit + 32 MB" [ "$growth_kb" -le $((limit_kb + 32768)) ]

check "no crash" bash -c "! grep -q 'terminated by signal' '$dir/server.log'"
assert_summary "jobs"
