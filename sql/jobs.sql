-- jobs: background training with automl.train_async(), wait, cancel, the jobs view.
SET automl.progress = off;
SET automl.audit_log_level = off;

-- a job trains exactly like automl.train(), committing each trial
SELECT automl.train_async('async_cancer', 'breast_cancer', 'diagnosis', exclude => '{id}',
                          max_trials => 4) AS job \gset
SELECT automl.wait(:job, '2 minutes');
SELECT name, role, state, phase, trials_done, best_algorithm IS NOT NULL AS has_best,
       best_score > 0.98 AS good, version, error, elapsed > interval '0' AS timed,
       time_budget_left IS NULL AS ended
  FROM automl.jobs WHERE job_id = :job;
SELECT count(*) AS trials FROM automl.trials t JOIN automl.runs r USING (run_id)
 WHERE r.name = 'async_cancer';
SELECT r.status, r.rows_read, j.run_id = r.run_id AS linked
  FROM automl.runs r JOIN automl.job_table j USING (run_id) WHERE j.job_id = :job;
SELECT avg((automl.predict_label('async_cancer', b) = diagnosis)::int) > 0.95 AS scores
  FROM breast_cancer b;
SELECT automl.wait(:job);
SELECT automl.cancel(:job);

-- a source that does not exist is an error at once; one that fails while
-- the job reads it fails the job, which keeps the error
SELECT automl.train_async('async_bad', 'no_such_table', 'y');
SELECT automl.train_async('async_bad', 'SELECT b.*, 1 / (b.id - b.id) AS bad FROM breast_cancer b',
                          'diagnosis') AS bad \gset
SELECT automl.wait(:bad, '1 minute');
SELECT state, error FROM automl.jobs WHERE job_id = :bad;

-- cancel: reading a slow source stops within a second
SELECT automl.train_async('async_slow', 'SELECT b.*, pg_sleep(0.01) AS pause FROM breast_cancer b',
                          'diagnosis') AS slow \gset
SELECT pg_sleep(0.5);
SELECT clock_timestamp() AS t0 \gset
SELECT automl.cancel(:slow);
SELECT automl.wait(:slow, '30 seconds');
SELECT clock_timestamp() - :'t0'::timestamptz < interval '1.5 s' AS within_a_second;
SELECT state, error, version FROM automl.jobs WHERE job_id = :slow;
SELECT count(*) AS models FROM automl.models WHERE name = 'async_slow';

-- errors
SELECT automl.wait(123456);
SELECT automl.cancel(123456);
SELECT automl.train_async(NULL, 'breast_cancer', 'diagnosis');
SELECT automl.train_async('x', 'breast_cancer', 'diagnosis', options => '{"nope": 1}');
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT automl.wait(:job);
ROLLBACK;
BEGIN READ ONLY;
SELECT automl.train_async('x', 'breast_cancer', 'diagnosis');
ROLLBACK;
-- a job starts when its transaction commits: waiting for it in that
-- transaction is refused at once (not a wait until the timeout)
BEGIN;
SELECT automl.train_async('never', 'breast_cancer', 'diagnosis') AS njob \gset
SELECT automl.wait(:njob, '1 hour');
ROLLBACK;
SELECT count(*) AS rolled_back_job FROM automl.jobs WHERE name = 'never';

-- a job runs with its role's rights, and only that role sees and cancels it
CREATE ROLE job_alice;
CREATE ROLE job_bob;
GRANT USAGE ON SCHEMA automl TO job_alice, job_bob;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA automl TO job_alice, job_bob;
GRANT SELECT ON iris TO job_alice;
SET ROLE job_alice;
SELECT automl.train_async('alice_iris', 'iris', 'species', exclude => '{id}', max_trials => 2) AS ajob \gset
SELECT automl.train_async('alice_secret', 'mlc_churn', 'churn') AS sjob \gset
SELECT automl.wait(:ajob, '1 minute'), automl.wait(:sjob, '1 minute');
SELECT name, role, state, error FROM automl.jobs ORDER BY job_id;
SET ROLE job_bob;
SELECT count(*) AS bob_sees FROM automl.jobs;
SELECT automl.cancel(:ajob);
RESET ROLE;
SELECT name, created_by FROM automl.models WHERE name LIKE 'alice%';
SELECT automl.drop('alice_iris');
REVOKE ALL ON SCHEMA automl FROM job_alice, job_bob;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA automl FROM job_alice, job_bob;
REVOKE SELECT ON iris FROM job_alice;
DROP ROLE job_alice, job_bob;
