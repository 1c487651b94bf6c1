-- security: one check per rule of SECURITY.md, each written against a hole
-- an ordinary role could use before 0.2.0 (numbers as in SECURITY.md,
-- "Holes closed").  Roles log in where a rule is about who is behind a
-- session; the privilege matrix is in privileges.sql.
SET automl.progress = off;
SET automl.audit_log_level = off;
\set VERBOSITY default

CREATE ROLE sec_alice LOGIN IN ROLE automl_analyst;      -- analyst
CREATE ROLE sec_bob LOGIN IN ROLE automl_analyst;        -- reviewer with the train right on some models
CREATE ROLE sec_carol IN ROLE automl_scorer;             -- BI tool
CREATE ROLE sec_mallory LOGIN IN ROLE automl_analyst;    -- an analyst who attacks
CREATE ROLE sec_team IN ROLE automl_analyst;             -- a group role analysts act as
CREATE ROLE sec_dave LOGIN IN ROLE sec_team;             -- member of the team
CREATE ROLE sec_erin LOGIN IN ROLE sec_team;             -- another member
GRANT automl_reviewer TO sec_dave, sec_erin;
ALTER ROLE sec_alice SET automl.progress = off;
ALTER ROLE sec_bob SET automl.progress = off;
ALTER ROLE sec_mallory SET automl.progress = off;
ALTER ROLE sec_dave SET automl.progress = off;
ALTER ROLE sec_erin SET automl.progress = off;
CREATE TABLE sec_data AS SELECT * FROM iris;
GRANT SELECT ON sec_data TO sec_alice, sec_carol, sec_mallory, sec_team, sec_dave, sec_erin;
GRANT SELECT ON penguins, diabetes TO sec_alice, sec_carol;
CREATE ROLE "sec.jd" LOGIN IN ROLE automl_analyst;      -- a name that needs quoting
ALTER ROLE "sec.jd" SET automl.progress = off;
GRANT SELECT ON sec_data TO "sec.jd";

-- ---------------------------------------------------------------------------
-- 1. A background job runs with exactly the rights of the role that asked.
-- ---------------------------------------------------------------------------
-- (a) never from a SECURITY DEFINER function: the job would run as its owner
CREATE FUNCTION sec_start_job() RETURNS bigint LANGUAGE sql SECURITY DEFINER
    RETURN automl.train_async('sec_definer', 'sec_data', 'species');
GRANT EXECUTE ON FUNCTION sec_start_job() TO sec_mallory;
SET ROLE sec_mallory;
SELECT sec_start_job();
RESET ROLE;
SELECT sec_start_job();
DROP FUNCTION sec_start_job();
-- (b) never from an expression another role evaluates: a superuser's ANALYZE
-- runs mallory's index expression as mallory, with the superuser logged in
CREATE SCHEMA sec_m AUTHORIZATION sec_mallory;
\c - sec_mallory
CREATE FUNCTION sec_m.trap(x float8) RETURNS float8 LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF session_user <> current_user THEN
        PERFORM automl.train_async('sec_trap', 'SELECT 1 AS y, 2 AS x', 'y');
    END IF;
    RETURN x;
END $$;
CREATE TABLE sec_m.bait (x float8);
INSERT INTO sec_m.bait SELECT g FROM generate_series(1, 10) g;
CREATE INDEX ON sec_m.bait (sec_m.trap(x));
\c - postgres
SET automl.progress = off;
SET automl.audit_log_level = off;
\set VERBOSITY default
ANALYZE sec_m.bait;
SELECT count(*) AS trap_jobs FROM automl.job_table WHERE name = 'sec_trap';
-- (c) in a SET ROLE session, the job cannot go back to the session's role:
-- the worker runs it in a security-restricted operation
CREATE FUNCTION sec_m.escalate() RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('role', 'none', false);      -- RESET ROLE
    RETURN current_user;
END $$;
ALTER FUNCTION sec_m.escalate() OWNER TO sec_mallory;
GRANT USAGE ON SCHEMA sec_m TO sec_team;
SET ROLE sec_team;           -- cannot log in: the worker logs in as the session user
SELECT automl.train_async('sec_escalate', 'SELECT s.*, sec_m.escalate() AS who FROM sec_data s',
                          'species', max_trials => 1) AS job \gset
RESET ROLE;
SELECT automl.wait(:job, '1 minute');
SELECT state, error, role, login_role FROM automl.job_table WHERE job_id = :job;
-- a role that can log in is what its job logs in as
SET ROLE sec_alice;
SELECT automl.train_async('sec_alice_job', 'sec_data', 'species', max_trials => 1) AS job \gset
RESET ROLE;
SELECT automl.wait(:job, '1 minute');
SELECT state, role, login_role, session_role FROM automl.job_table WHERE job_id = :job;
-- a job's dispatcher starts when the transaction that queued it commits, not
-- before: rolled-back calls leave no worker process waiting on an open
-- transaction
BEGIN;
DO $$
BEGIN
    FOR i IN 1..5 LOOP
        BEGIN
            PERFORM automl.train_async('sec_hog', 'sec_data', 'species');
            RAISE EXCEPTION 'undo';
        EXCEPTION WHEN raise_exception THEN
            NULL;
        END;
    END LOOP;
END $$;
SELECT pg_sleep(0.5);
SELECT count(*) AS dispatchers_waiting FROM pg_stat_activity WHERE backend_type = 'automl job dispatcher';
ROLLBACK;
-- the rights of cancel() are checked on the job it changes, whatever
-- operators the caller's search_path holds
SET ROLE sec_alice;
SELECT automl.train_async('sec_victim', 'sec_data', 'species', max_trials => 1) AS victim \gset
SET ROLE sec_mallory;
SELECT automl.train_async('sec_own', 'sec_data', 'species', max_trials => 1) AS own \gset
CREATE FUNCTION sec_m.pick(a bigint, b bigint) RETURNS boolean LANGUAGE sql IMMUTABLE
    RETURN a = :own;
CREATE OPERATOR sec_m.= (LEFTARG = bigint, RIGHTARG = bigint, FUNCTION = sec_m.pick);
SET search_path = sec_m, pg_catalog, public;
\set VERBOSITY sqlstate
SELECT automl.cancel(:victim);    -- undefined_object: the job does not exist for mallory
SELECT automl.wait(:victim);
\set VERBOSITY default
RESET search_path;
RESET ROLE;
SELECT automl.wait(:victim) AS victim_state, cancel_requested FROM automl.job_table WHERE job_id = :victim;
SELECT automl.wait(:own) IS NOT NULL AS own_ended;
-- a job reads a temporary table of its creator's session never (it would
-- read the permanent table of that name instead)
CREATE TEMPORARY TABLE sec_data (species text, x float8);
SELECT automl.train_async('sec_temp', 'sec_data', 'species');
SELECT automl.train_async('sec_temp', 'SELECT * FROM public.sec_data JOIN pg_temp.sec_data USING (species)', 'species');
DROP TABLE pg_temp.sec_data;

-- ---------------------------------------------------------------------------
-- 2. The right to train a name is checked again when the version is stored
--    (specs/train-rights.spec races it: a name created meanwhile, a revoke).
-- ---------------------------------------------------------------------------

-- ---------------------------------------------------------------------------
-- 3. retrain reads a recorded source as the role that recorded it, on the
--    recorded search_path, only for that role or one that can act as it,
--    and only while that role may train the name.
-- ---------------------------------------------------------------------------
CREATE SCHEMA sec_a;
CREATE SCHEMA sec_b;
CREATE TABLE sec_a.rows AS SELECT * FROM iris;                   -- 150 rows
CREATE TABLE sec_b.rows AS SELECT * FROM iris WHERE id <= 100;   -- another table, same name
GRANT USAGE ON SCHEMA sec_a, sec_b TO sec_alice, sec_bob;
GRANT SELECT ON sec_a.rows TO sec_alice;                         -- bob may not read it
GRANT SELECT ON sec_b.rows TO sec_alice, sec_bob;
CREATE FUNCTION sec_a.reader_is_alice() RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    IF current_user <> 'sec_alice' THEN
        RAISE EXCEPTION 'the source ran as %', current_user;
    END IF;
    -- settings a source changes must not stay in the session that read it
    PERFORM set_config('search_path', 'pg_catalog', false);
    PERFORM set_config('sec.leak', 'set by ' || current_user, false);
    -- nor a cursor, whose query the reader's session could fetch from later
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_cursors WHERE name = 'sec_cursor') THEN
        DECLARE c refcursor := 'sec_cursor';
        BEGIN
            OPEN c FOR SELECT current_user;
        END;
    END IF;
    RETURN true;
END $$;
GRANT EXECUTE ON FUNCTION sec_a.reader_is_alice() TO PUBLIC;
\c - sec_alice
SET search_path = sec_a, public;
SELECT version, rows FROM automl.train('sec_table', 'rows', 'species', exclude => '{id}', max_trials => 1);
SELECT version, rows FROM automl.train('sec_query', 'SELECT * FROM rows WHERE sec_a.reader_is_alice()',
                                      'species', exclude => '{id}', max_trials => 1);
SHOW search_path;
SELECT current_setting('sec.leak', true) AS leaked_setting;
SELECT automl.grant('sec_table', 'train', 'sec_bob');
SELECT automl.grant('sec_query', 'train', 'sec_bob');
SELECT source, source_query, search_path, source_role FROM automl.runs
 WHERE name IN ('sec_table', 'sec_query') ORDER BY run_id;
-- bob holds the train right, but a recorded source is read only by its
-- recorder or a role that can act as it: bob could otherwise read through
-- it what alice may read, or put objects where it looks
\c - sec_bob
SELECT version FROM automl.retrain('sec_table', 1);
SELECT version FROM automl.retrain('sec_query', 1);
-- a superuser can act as alice: the recorded query runs as alice, on her
-- recorded search_path (the table as the relation it named, even renamed and
-- with a view of another's in its place), and leaves the superuser's
-- settings and transaction as they were
\c - postgres
SET automl.progress = off;
SET automl.audit_log_level = off;
\set VERBOSITY default
SET search_path = sec_b, public;
ALTER TABLE sec_a.rows RENAME TO rows_renamed;
CREATE VIEW sec_a.rows AS SELECT * FROM sec_b.rows;
SELECT version, based_on, rows FROM automl.retrain('sec_table', 1);
DROP VIEW sec_a.rows;
ALTER TABLE sec_a.rows_renamed RENAME TO rows;
BEGIN;
SELECT version, based_on, rows FROM automl.retrain('sec_query', 1);
SELECT count(*) AS cursors_left FROM pg_cursors WHERE name = 'sec_cursor';
COMMIT;
SHOW search_path;
SELECT current_setting('sec.leak', true) AS leaked_setting;
SELECT version, created_by, (SELECT source_role FROM automl.runs r WHERE r.run_id = m.run_id)
  FROM automl.models m WHERE name = 'sec_query' ORDER BY version;
-- nothing of the retrainer's session can stand in for what alice's query
-- names (a temporary view of the same name), and her query cannot fetch from
-- the retrainer's cursors
CREATE FUNCTION pg_temp.as_alice() RETURNS boolean LANGUAGE sql RETURN current_user = 'sec_alice';
CREATE TEMPORARY VIEW rows AS SELECT * FROM sec_b.rows WHERE pg_temp.as_alice();
SELECT version FROM automl.retrain('sec_query', 1);
DISCARD TEMP;
BEGIN;
DECLARE secret CURSOR FOR SELECT * FROM sec_b.rows;
SELECT version FROM automl.retrain('sec_query', 1);
ROLLBACK;
RESET search_path;
-- a version bob recorded is read as bob; once he may no longer train the
-- name, his source is not read again (by anyone)
\c - sec_bob
SELECT version FROM automl.train('sec_query', 'sec_b.rows', 'species', exclude => '{id}', max_trials => 1);
\c - sec_alice
SELECT automl.retrain('sec_query', 3);
SELECT automl.revoke('sec_query', 'train', 'sec_bob');
\c - postgres
SET automl.progress = off;
SET automl.audit_log_level = off;
\set VERBOSITY default
SELECT version FROM automl.retrain('sec_query', 3);
-- the other way round: alice, who may train a model of the DBA's, cannot
-- have the DBA's source read again with the DBA's rights
CREATE TABLE sec_dba_only AS SELECT * FROM iris;
SELECT version FROM automl.train('sec_dba', 'sec_dba_only', 'species', exclude => '{id}', max_trials => 1);
SELECT automl.grant('sec_dba', 'train', 'sec_alice');
SET ROLE sec_alice;
SELECT version FROM automl.retrain('sec_dba', 1);
RESET ROLE;
-- a recorded source runs in a security-restricted operation also when the
-- caller acts as its recorder: a superuser's SET ROLE to alice does not let
-- alice's query reset the role to the superuser
CREATE FUNCTION sec_a.take_session_role() RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    IF session_user <> current_user THEN
        PERFORM set_config('role', 'none', false);
    END IF;
    RETURN true;
END $$;
GRANT EXECUTE ON FUNCTION sec_a.take_session_role() TO PUBLIC;
\c - sec_alice
SELECT version FROM automl.train('sec_trap', 'SELECT * FROM sec_a.rows WHERE sec_a.take_session_role()',
                                 'species', exclude => '{id}', max_trials => 1);
\c - postgres
SET automl.progress = off;
SET automl.audit_log_level = off;
\set VERBOSITY default
SET ROLE sec_alice;
SELECT version FROM automl.retrain('sec_trap', 1);
RESET ROLE;

-- ---------------------------------------------------------------------------
-- 4. Four eyes count people.
-- ---------------------------------------------------------------------------
-- (a) dave trains acting as the team; neither dave himself nor erin, another
-- member of the team, may approve it; bob may
\c - sec_dave
SET ROLE sec_team;
SELECT version FROM automl.train('sec_team_model', 'public.sec_data', 'species', exclude => '{id}', max_trials => 1);
SELECT automl.grant('sec_team_model', 'deploy', 'sec_dave');
SELECT automl.grant('sec_team_model', 'deploy', 'sec_erin');
SELECT automl.grant('sec_team_model', 'deploy', 'sec_bob');
SELECT version FROM automl.train('sec_team_model', 'public.sec_data', 'species', exclude => '{id}', max_trials => 1);
RESET ROLE;
SELECT automl.approve('sec_team_model', 2);
\c - sec_erin
SELECT automl.approve('sec_team_model', 2);
\c - sec_bob
SELECT automl.approve('sec_team_model', 2);
-- erin, a member, retrains the team's source (read as the team): dave, a
-- member of the team whose source decided the data, may not approve that
\c - sec_erin
SELECT version FROM automl.retrain('sec_team_model', 1);
\c - sec_dave
SELECT automl.approve('sec_team_model', 3);
\c - postgres
SET automl.progress = off;
SET automl.audit_log_level = off;
\set VERBOSITY default
SELECT version, created_by, created_session, approved_by FROM automl.models
 WHERE name = 'sec_team_model' ORDER BY version;
-- (b) under require_approval a first version is not deployed, and a
-- rollback goes only to an approved version (governance.sql)
SET automl.require_approval = on;
SET ROLE sec_alice;
SELECT version FROM automl.train('sec_first', 'public.sec_data', 'species', exclude => '{id}', max_trials => 1);
SELECT count(*) AS deployed FROM automl.deployed WHERE name = 'sec_first';
RESET ROLE;
RESET automl.require_approval;
-- (c) an exported version imported by another role keeps its trainer:
-- alice cannot approve the copy mallory imported of her version
\c - sec_alice
SELECT automl.export('sec_first', 1) AS doc \gset
\c - sec_mallory
SELECT name, version, score FROM automl.import(:'doc', 'sec_copy');
SELECT automl.grant('sec_copy', 'deploy', 'sec_alice');
SELECT automl.approve('sec_copy', 1);
\c - sec_alice
SELECT automl.approve('sec_copy', 1);
-- also for a trainer whose name needs quoting
\c - sec.jd
SELECT version FROM automl.train('sec_jd', 'public.sec_data', 'species', exclude => '{id}', max_trials => 1);
SELECT automl.export('sec_jd', 1) AS jd_doc \gset
\c - sec_mallory
SELECT version FROM automl.import(:'jd_doc', 'sec_jd_copy');
SELECT automl.grant('sec_jd_copy', 'deploy', 'sec.jd');
\c - sec.jd
SELECT automl.approve('sec_jd_copy', 1);
\c - postgres
SET automl.progress = off;
SET automl.audit_log_level = off;
\set VERBOSITY default

-- ---------------------------------------------------------------------------
-- 5. An import's claims are not measurements: strategy 'best' never picks a
--    version by the score its document claims.
-- ---------------------------------------------------------------------------
SET ROLE sec_alice;
SELECT version FROM automl.import(jsonb_set(jsonb_set(:'doc', '{score}', '1.0'), '{created_by}', '"nobody"'),
                                  'sec_first');
SELECT version, score IS NOT NULL AS measured, (lineage->'claims'->>'score')::float8 AS claimed_score,
       lineage->'imported_from'->>'created_by' AS trained_by
  FROM automl.models WHERE name = 'sec_first' ORDER BY version;
SELECT automl.deploy('sec_first', strategy => 'best');
RESET ROLE;

-- ---------------------------------------------------------------------------
-- 6. Jobs are limited per role and in all, and a queued job holds no worker
--    (test/jobs.sh counts the workers).
-- ---------------------------------------------------------------------------
ALTER SYSTEM SET automl.max_jobs_per_role = 1;
SELECT pg_reload_conf();
SELECT pg_sleep(0.2);
SET ROLE sec_alice;
BEGIN;
SELECT automl.train_async('sec_limit', 'sec_data', 'species') > 0 AS queued;
SELECT automl.train_async('sec_limit', 'sec_data', 'species');
ROLLBACK;
RESET ROLE;
ALTER SYSTEM RESET automl.max_jobs_per_role;
ALTER SYSTEM SET automl.max_queued_jobs = 1;
SELECT pg_reload_conf();
SELECT pg_sleep(0.2);
BEGIN;
SELECT automl.train_async('sec_limit', 'sec_data', 'species') > 0 AS queued;
SET ROLE sec_alice;
SELECT automl.train_async('sec_limit', 'sec_data', 'species');
ROLLBACK;
ALTER SYSTEM RESET automl.max_queued_jobs;
SELECT pg_reload_conf();

-- ---------------------------------------------------------------------------
-- 8. What a version holds of its training data is for the roles that may
--    train the name: a score or deploy grantee sees no category levels,
--    preprocessing statistics, data profile or drift reference, and cannot
--    export the model's bytes (knn keeps training rows in them).
-- ---------------------------------------------------------------------------
SET ROLE sec_alice;
SELECT version FROM automl.train('sec_knn', 'penguins', 'species', exclude => '{id}',
                                 algorithms => '{knn}', max_trials => 1);
SELECT automl.grant('sec_knn', 'score', 'sec_carol');
SELECT automl.grant('sec_knn', 'deploy', 'sec_bob');
SELECT jsonb_array_length(profile) > 0 AS profile, drift_reference <> '{}' AS reference,
       jsonb_path_query_array(features, '$.features[*].levels[*]') AS levels
  FROM automl.models WHERE name = 'sec_knn';
SET ROLE sec_carol;
SELECT profile, drift_reference,
       jsonb_path_query_array(features, '$.features[*].levels[*]') AS levels,
       jsonb_path_query_array(features, '$.features[*].name') AS feature_names,
       automl.predict_label('sec_knn', p) AS scores
  FROM automl.models, penguins p WHERE name = 'sec_knn' AND p.id = 1;
SET ROLE sec_bob;
SELECT profile IS NULL AS no_profile FROM automl.models WHERE name = 'sec_knn';
SELECT automl.export('sec_knn');
SELECT count(*) AS bob_sees_reports_without_profile
  FROM automl.report_document('sec_knn') d WHERE d->'profile' = 'null';
SELECT * FROM automl.model_table;
SELECT * FROM automl.model_data;
-- a regression's diagnostics hold a sample of the target: not for scorers
SET ROLE sec_alice;
SELECT version FROM automl.train('sec_diab', 'diabetes', 'progression', exclude => '{id}',
                                 algorithms => '{linear}', max_trials => 1);
SELECT automl.grant('sec_diab', 'score', 'sec_carol');
SELECT diagnostics->'regression' ? 'actual' AS actual, diagnostics->'regression' ? 'residuals' AS residuals
  FROM automl.models WHERE name = 'sec_diab';
SET ROLE sec_carol;
SELECT diagnostics->'regression' ? 'actual' AS actual, diagnostics->'regression' ? 'residuals' AS residuals,
       automl.report_document('sec_diab')->'diagnostics'->'regression' ? 'actual' AS in_report
  FROM automl.models WHERE name = 'sec_diab';
RESET ROLE;
-- the report's functions resolve names on a pinned search_path: a function a
-- role could create in a schema on the caller's path is never called
GRANT CREATE ON SCHEMA public TO sec_mallory;
SET ROLE sec_mallory;
CREATE FUNCTION public.to_jsonb(t text[]) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the report called a function of mallory as %', current_user;
END $$;
RESET ROLE;
SELECT length(automl.report('sec_knn')) > 1000 AS report_rendered;
DROP FUNCTION public.to_jsonb(text[]);
REVOKE CREATE ON SCHEMA public FROM sec_mallory;

-- ---------------------------------------------------------------------------
-- 9. Roles by OID: a new role under a dropped role's name owns nothing;
--    audit rows stay with the model they were written for; an export is on
--    record even when its transaction rolls back.
-- ---------------------------------------------------------------------------
CREATE ROLE sec_temp IN ROLE automl_analyst;
GRANT SELECT ON sec_data TO sec_temp;
SET ROLE sec_temp;
SELECT version FROM automl.train('sec_orphan', 'public.sec_data', 'species', exclude => '{id}', max_trials => 1);
RESET ROLE;
REVOKE SELECT ON sec_data FROM sec_temp;
DROP ROLE sec_temp;
CREATE ROLE sec_temp IN ROLE automl_analyst;
SET ROLE sec_temp;
SELECT automl.drop('sec_orphan');
SELECT count(*) AS sees_orphan FROM automl.models WHERE name = 'sec_orphan';
RESET ROLE;
SELECT owner::oid <> (SELECT oid FROM pg_roles WHERE rolname = 'sec_temp') AS not_the_new_role
  FROM automl.model_names WHERE name = 'sec_orphan';
DROP ROLE sec_temp;
-- alice's model "sec_era" is dropped; mallory trains a new "sec_era"
SET ROLE sec_alice;
SELECT version FROM automl.train('sec_era', 'public.sec_data', 'species', exclude => '{id}', max_trials => 1);
SELECT automl.grant('sec_era', 'score', 'sec_carol');
SELECT automl.drop('sec_era');
SET ROLE sec_mallory;
SELECT version FROM automl.train('sec_era', 'public.sec_data', 'species', exclude => '{id}', max_trials => 1);
SELECT action, current_user_name FROM automl.audit WHERE name = 'sec_era' ORDER BY audit_id;
RESET ROLE;
SELECT action, current_user_name, name_id IS NOT DISTINCT FROM
       (SELECT name_id FROM automl.model_names WHERE name = 'sec_era') AS current_model
  FROM automl.audit WHERE name = 'sec_era' ORDER BY audit_id;
-- the export of a model trained in the same transaction is its model's row
SET ROLE sec_alice;
BEGIN;
SELECT version FROM automl.train('sec_fresh', 'public.sec_data', 'species', exclude => '{id}', max_trials => 1);
SELECT automl.export('sec_fresh', 1) ? 'model' AS exported;
COMMIT;
SELECT action FROM automl.audit WHERE name = 'sec_fresh' ORDER BY audit_id;
RESET ROLE;
-- a job that lost a new name to another role (it stores nothing) does not
-- show its run or source to the name's owner, and ended jobs go with a
-- dropped model
SET ROLE sec_mallory;
SELECT automl.train_async('sec_race', 'SELECT s.*, pg_sleep(0.05) IS NULL AS slow FROM public.sec_data s',
                          'species', exclude => '{id}', max_trials => 1) AS race_job \gset
RESET ROLE;
DO $$
BEGIN
    FOR i IN 1..300 LOOP    -- until mallory's job has begun (its run is recorded)
        EXIT WHEN EXISTS (SELECT FROM automl.job_table WHERE name = 'sec_race' AND run_id IS NOT NULL);
        PERFORM pg_sleep(0.1);
    END LOOP;
END $$;
SET ROLE sec_alice;
SELECT version FROM automl.train('sec_race', 'public.sec_data', 'species', exclude => '{id}', max_trials => 1);
RESET ROLE;
SELECT automl.wait(:race_job, '1 minute');
SET ROLE sec_alice;
SELECT count(*) AS runs_alice_sees, bool_and(started_by = 'sec_alice'::regrole) AS all_hers
  FROM automl.runs WHERE name = 'sec_race';
SELECT count(*) AS jobs_alice_sees FROM automl.jobs WHERE name = 'sec_race';
SET ROLE sec_mallory;
SELECT state, error FROM automl.jobs WHERE job_id = :race_job;
SELECT count(*) AS runs_mallory_sees FROM automl.runs WHERE name = 'sec_race';
SET ROLE sec_alice;
SELECT automl.drop('sec_race');
RESET ROLE;
SELECT count(*) AS jobs_left FROM automl.job_table WHERE name = 'sec_race';
-- an export whose transaction rolls back is still on record
SELECT count(*) AS exports_before FROM automl.audit WHERE action = 'export' AND name = 'sec_knn' \gset
BEGIN;
SET ROLE sec_alice;
SELECT automl.export('sec_knn') ? 'model' AS exported;
ROLLBACK;
SELECT count(*) - :exports_before AS new_export_rows, max(current_user_name) AS exported_by
  FROM automl.audit WHERE action = 'export' AND name = 'sec_knn';

-- ---------------------------------------------------------------------------
-- 10. Names are quoted where a hint suggests a command.
-- ---------------------------------------------------------------------------
SET ROLE sec_alice;
SELECT version FROM automl.train('x''); DROP TABLE sec_data; --', 'public.sec_data', 'species',
                                 exclude => '{id}', max_trials => 1);
SELECT version FROM automl.train('x''); DROP TABLE sec_data; --', 'public.sec_data', 'species',
                                 exclude => '{id}', max_trials => 1);
SET ROLE sec_carol;
SELECT automl.classes('x''); DROP TABLE sec_data; --');
RESET ROLE;

-- ---------------------------------------------------------------------------
-- 11. CREATE EXTENSION refuses a schema "automl" that another role could
--     fill with functions.
-- ---------------------------------------------------------------------------
CREATE DATABASE automl_regress_schema;
\c automl_regress_schema
SET client_min_messages = warning;
-- a default privilege of the installing role reaches none of its objects
ALTER DEFAULT PRIVILEGES GRANT ALL ON TABLES TO sec_mallory;
ALTER DEFAULT PRIVILEGES GRANT ALL ON SEQUENCES TO sec_mallory;
ALTER DEFAULT PRIVILEGES GRANT ALL ON FUNCTIONS TO sec_mallory;
ALTER DEFAULT PRIVILEGES GRANT ALL ON SCHEMAS TO sec_mallory;
CREATE EXTENSION automl;
SELECT count(*) AS mallory_privileges
  FROM (SELECT relacl AS acl FROM pg_class WHERE relnamespace = 'automl'::regnamespace
        UNION ALL SELECT proacl FROM pg_proc WHERE pronamespace = 'automl'::regnamespace
        UNION ALL SELECT nspacl FROM pg_namespace WHERE nspname = 'automl') o, aclexplode(o.acl) a
 WHERE a.grantee = 'sec_mallory'::regrole;
DROP EXTENSION automl;
DROP SCHEMA automl;
ALTER DEFAULT PRIVILEGES REVOKE ALL ON TABLES FROM sec_mallory;
ALTER DEFAULT PRIVILEGES REVOKE ALL ON SEQUENCES FROM sec_mallory;
ALTER DEFAULT PRIVILEGES REVOKE ALL ON FUNCTIONS FROM sec_mallory;
ALTER DEFAULT PRIVILEGES REVOKE ALL ON SCHEMAS FROM sec_mallory;
CREATE SCHEMA automl AUTHORIZATION sec_mallory;
CREATE EXTENSION automl;
ALTER SCHEMA automl OWNER TO postgres;
GRANT CREATE ON SCHEMA automl TO sec_mallory;
CREATE EXTENSION automl;
REVOKE CREATE ON SCHEMA automl FROM sec_mallory;
CREATE FUNCTION automl.predict(text, float8[]) RETURNS float8 LANGUAGE sql RETURN 0;
CREATE EXTENSION automl;
DROP FUNCTION automl.predict(text, float8[]);
CREATE EXTENSION automl;
SELECT extname FROM pg_extension WHERE extname = 'automl';
\c contrib_regression
DROP DATABASE automl_regress_schema;

-- ---------------------------------------------------------------------------
-- 15. A session that set a superuser-only setting before the library loaded
--     (here: a client startup option) fails closed: PostgreSQL rejects the
--     value, and the configured one is lost in that session.  (psql's \c
--     keeps the options from here on: this comes last.)
-- ---------------------------------------------------------------------------
\c "dbname=contrib_regression user=sec_mallory options=-cautoml.require_approval=off"
SELECT automl.grant('sec_era', 'score', 'sec_carol');
SELECT count(*) > 0 AS still_reads FROM automl.models;
\c - postgres

-- clean up
SET client_min_messages = warning;
SELECT automl.drop(name) FROM automl.model_names WHERE name LIKE 'sec%' OR name LIKE 'x%';
DROP SCHEMA sec_m, sec_a, sec_b CASCADE;
DROP TABLE sec_data, sec_dba_only;
DROP OWNED BY sec_alice, sec_bob, sec_carol, sec_mallory, sec_team, sec_dave, sec_erin, "sec.jd";
DROP ROLE sec_alice, sec_bob, sec_carol, sec_mallory, sec_team, sec_dave, sec_erin, "sec.jd";
