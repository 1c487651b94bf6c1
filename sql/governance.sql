-- governance: who may train, deploy and score; approvals, audit, versions,
-- rollback, retrain, export/import and drop.
SET automl.progress = off;
SET automl.audit_log_level = off;
\set VERBOSITY default

CREATE ROLE gov_alice LOGIN;     -- analyst: trains
CREATE ROLE gov_bob LOGIN;       -- reviewer: approves and deploys
CREATE ROLE gov_carol;           -- BI tool: scores
CREATE ROLE gov_mallory;         -- no rights on any model
-- sessions of their own (\c) keep these settings
ALTER ROLE gov_alice SET automl.progress = off;
ALTER ROLE gov_bob SET automl.progress = off;
ALTER ROLE gov_alice SET automl.audit_log_level = off;
ALTER ROLE gov_bob SET automl.audit_log_level = off;
CREATE TABLE gov_data AS SELECT * FROM breast_cancer;
GRANT SELECT ON gov_data TO gov_alice, gov_carol, gov_mallory;

-- after CREATE EXTENSION an ordinary role can do nothing
SET ROLE gov_mallory;
SELECT count(*) FROM automl.models;
SELECT automl.train('gov', 'gov_data', 'diagnosis');
RESET ROLE;

-- what a DBA runs (README, "Privileges")
GRANT USAGE ON SCHEMA automl TO gov_alice, gov_bob, gov_carol, gov_mallory;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA automl TO gov_alice, gov_bob, gov_carol, gov_mallory;
REVOKE EXECUTE ON FUNCTION automl.train(text, text, text, text, text, interval, integer, text[], text[], jsonb),
    automl.import(jsonb, text) FROM gov_bob, gov_carol, gov_mallory;

-- alice trains on what she may read, and nothing else
SET ROLE gov_alice;
SET automl.progress = off;
SELECT name, version, algorithm FROM automl.train('gov', 'gov_data', 'diagnosis', exclude => '{id}',
                                                  max_trials => 2, options => '{"seed": 3}');
SELECT automl.train('gov_churn', 'mlc_churn', 'churn');
SELECT automl.train('gov_churn', 'SELECT * FROM mlc_churn', 'churn');
SELECT name, owner FROM automl.model_names;
SELECT count(*) AS alice_sees_her_trials FROM automl.trials WHERE name = 'gov';

-- without a right on "gov", others are refused with a clear error
SET ROLE gov_carol;
SELECT automl.predict_label('gov', d) FROM gov_data d LIMIT 1;
SELECT automl.predict('gov', ARRAY[1, 2]::float8[]);
SELECT automl.classes('gov');
SELECT count(*) AS carol_sees_models FROM automl.models;
SELECT count(*) AS carol_sees_trials FROM automl.trials WHERE name = 'gov';
SELECT automl.train('gov', 'gov_data', 'diagnosis');
SET ROLE gov_mallory;
SELECT automl.deploy('gov', 1);
SELECT automl.approve('gov', 1);
SELECT automl.rollback('gov');
SELECT automl.grant('gov', 'score', 'gov_mallory');
SELECT automl.drop('gov');
SELECT automl.export('gov');
SELECT automl.retrain('gov');
-- ... and cannot touch the catalog directly
INSERT INTO automl.model_names (name, owner) VALUES ('x', 'gov_mallory');
UPDATE automl.models SET score = 1;
DELETE FROM automl.deployments;
INSERT INTO automl.audit (action, name, session_user_name, current_user_name, backend_pid)
    VALUES ('deploy', 'gov', 'x', 'x', 0);
SELECT data FROM automl.model_data;
SET automl.require_approval = off;
SET automl.memory_limit = '100GB';
RESET ROLE;

-- the owner hands out rights
SET ROLE gov_alice;
SELECT automl.grant('gov', 'score', 'gov_carol');
SELECT automl.grant('gov', 'deploy', 'gov_bob');
RESET ROLE;
SET automl.audit_log_level = notice;   -- the audit line also goes to the log (here: the client)
SET ROLE gov_alice;
SELECT automl.revoke('gov', 'deploy', 'gov_bob');
SELECT automl.grant('gov', 'deploy', 'gov_bob');
RESET ROLE;
SET automl.audit_log_level = off;
SET ROLE gov_alice;
SELECT automl.grant('gov', 'fly', 'gov_bob');
SELECT automl.grant('gov', 'score', 'no_such_role');
SELECT name, grantee, privilege, granted_by FROM automl.model_privileges ORDER BY grantee;
SET ROLE gov_carol;
SELECT avg((automl.predict_label('gov', d) = diagnosis)::int) > 0.95 AS carol_scores
  FROM gov_data d;
SELECT name, version, status FROM automl.models;
SELECT count(*) > 0 AS carol_sees_trials FROM automl.trials WHERE name = 'gov';
SELECT automl.deploy('gov', 1);

-- approvals: with automl.require_approval on, a version needs the approval
-- of another person: alice and bob each log in
RESET ROLE;
ALTER ROLE gov_alice SET automl.require_approval = on;
ALTER ROLE gov_bob SET automl.require_approval = on;
\c - gov_alice
SELECT name, version FROM automl.train('gov', 'gov_data', 'diagnosis', exclude => '{id}',
                                       max_trials => 3, options => '{"seed": 4}');
SELECT automl.deploy('gov', 2);
SELECT automl.approve('gov', 2);
\c - gov_bob
SELECT automl.approve('gov', 2, 'reviewed the metrics');
SELECT automl.approve('gov', 2);
SELECT name, version, status, created_by, approved_by FROM automl.models WHERE name = 'gov' ORDER BY version;
SELECT automl.deploy('gov', 2, reason => 'better recall');
SELECT automl.deploy('gov', 2);
SELECT version FROM automl.deployed WHERE name = 'gov';
-- rollback: back to the version live before; version 1 went live before
-- approvals were required and was never approved, so that is refused now
SELECT automl.rollback('gov', 'incident 42');
SELECT version FROM automl.deployed WHERE name = 'gov';
-- strategies
SELECT automl.deploy('gov', 1);
SELECT automl.deploy('gov', strategy => 'latest');
SELECT automl.deploy('gov', strategy => 'best');
SELECT automl.deploy('gov', 1, strategy => 'best');
SELECT automl.deploy('gov', strategy => 'newest');
SELECT automl.deploy('gov');
\c - postgres
ALTER ROLE gov_alice RESET automl.require_approval;
ALTER ROLE gov_bob RESET automl.require_approval;
SET automl.progress = off;
SET automl.audit_log_level = off;
\set VERBOSITY default
-- without require_approval a rollback may go back to any version live before
SET ROLE gov_bob;
SELECT automl.rollback('gov', 'incident 42');
SELECT version FROM automl.deployed WHERE name = 'gov';
SELECT automl.rollback('gov');
SELECT automl.deploy('gov', strategy => 'latest');
SELECT automl.deploy('gov', strategy => 'best') IN (1, 2) AS best_is_a_version;
SET client_min_messages = warning;
SELECT automl.deploy('gov', 2) AS live;
RESET client_min_messages;
RESET ROLE;

-- retrain: same settings, same data, same model; changed data is reported
SET ROLE gov_alice;
SELECT name, version, based_on, algorithm, rows, data_changed, same_model
  FROM automl.retrain('gov', 1);
RESET ROLE;
DELETE FROM gov_data WHERE id % 10 = 0;
SET ROLE gov_alice;
SELECT name, version, based_on, rows, data_changed, same_model FROM automl.retrain('gov', 1);
SELECT version, n_rows, data_fingerprint = (SELECT data_fingerprint FROM automl.models
                                            WHERE name = 'gov' AND version = 1) AS same_data
  FROM automl.models WHERE name = 'gov' ORDER BY version;

-- drop: a deployed version cannot go; others take their trials with them
SELECT version FROM automl.deployed WHERE name = 'gov';
SELECT automl.drop('gov', 2);
SELECT count(*) AS runs_before FROM automl.runs WHERE name = 'gov';
SELECT automl.drop('gov', 3);
SELECT count(*) AS runs_after FROM automl.runs WHERE name = 'gov';
SELECT version, status FROM automl.models WHERE name = 'gov' ORDER BY version;
SELECT automl.drop('gov', 99);

-- the audit trail: every action, who did it, from which version to which
RESET ROLE;
SELECT action, version, from_version, to_version, reason, current_user_name,
       details ? 'run_id' AS has_run, details->>'privilege' AS privilege
  FROM automl.audit WHERE name = 'gov' ORDER BY audit_id;
SET ROLE gov_carol;
SELECT count(*) > 0 AS carol_sees_audit FROM automl.audit WHERE name = 'gov';
SET ROLE gov_mallory;
SELECT count(*) AS mallory_sees_audit FROM automl.audit;
RESET ROLE;
-- append-only even for a role that was (wrongly) granted UPDATE
GRANT UPDATE, DELETE ON automl.audit TO gov_bob;
SET ROLE gov_bob;
UPDATE automl.audit SET reason = 'nothing happened';
DELETE FROM automl.audit;
RESET ROLE;
REVOKE UPDATE, DELETE ON automl.audit FROM gov_bob;

-- export -> import into a second database gives identical predictions
SELECT automl.export('gov', 1) AS doc \gset
SELECT string_agg(p::text, ',' ORDER BY id) AS preds
  FROM (SELECT id, automl.predict_proba('gov', 1, d) AS p FROM breast_cancer d) s \gset
SELECT :'doc'::jsonb ->> 'format' AS format, :'doc'::jsonb ->> 'format_version' AS format_version,
       :'doc'::jsonb ->> 'name' AS name, (:'doc'::jsonb ->> 'version')::int AS version;
CREATE DATABASE automl_regress_copy;
\c automl_regress_copy
SET client_min_messages = warning;
CREATE EXTENSION automl;
RESET client_min_messages;
CREATE TABLE bc (
    id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    mean_radius float8, mean_texture float8, mean_perimeter float8, mean_area float8,
    mean_smoothness float8, mean_compactness float8, mean_concavity float8,
    mean_concave_points float8, mean_symmetry float8, mean_fractal_dimension float8,
    radius_error float8, texture_error float8, perimeter_error float8, area_error float8,
    smoothness_error float8, compactness_error float8, concavity_error float8,
    concave_points_error float8, symmetry_error float8, fractal_dimension_error float8,
    worst_radius float8, worst_texture float8, worst_perimeter float8, worst_area float8,
    worst_smoothness float8, worst_compactness float8, worst_concavity float8,
    worst_concave_points float8, worst_symmetry float8, worst_fractal_dimension float8,
    diagnosis text);
\copy bc (mean_radius, mean_texture, mean_perimeter, mean_area, mean_smoothness, mean_compactness, mean_concavity, mean_concave_points, mean_symmetry, mean_fractal_dimension, radius_error, texture_error, perimeter_error, area_error, smoothness_error, compactness_error, concavity_error, concave_points_error, symmetry_error, fractal_dimension_error, worst_radius, worst_texture, worst_perimeter, worst_area, worst_smoothness, worst_compactness, worst_concavity, worst_concave_points, worst_symmetry, worst_fractal_dimension, diagnosis) FROM 'test/data/breast_cancer.csv' WITH (FORMAT csv, HEADER true)
SET automl.audit_log_level = off;
SELECT name, version, task, algorithm, metric, trials, rows, features
  FROM automl.import(:'doc', 'gov_copy');
SELECT string_agg(p::text, ',' ORDER BY id) = :'preds' AS identical_predictions
  FROM (SELECT id, automl.predict_proba('gov_copy', d) AS p FROM bc d) s;
-- what the document says of the model's history is kept as its claims, apart
-- from what this server measured (nothing: no score, trials, rows or source)
SELECT lineage->'imported_from'->>'name' AS from_name,
       lineage->'imported_from'->>'version' AS from_version,
       lineage->'imported_from'->>'database' AS from_database,
       lineage->'imported_from'->>'created_by' AS trained_by,
       created_by, score, trials, n_rows, source,
       lineage->'claims'->>'data_fingerprint' = (:'doc'::jsonb ->> 'data_fingerprint') AS claimed_fingerprint,
       (lineage->'claims'->>'score')::float8 = (:'doc'::jsonb ->> 'score')::float8 AS claimed_score,
       (lineage->'claims'->>'n_rows')::int AS claimed_rows
  FROM automl.models WHERE name = 'gov_copy';
SELECT action, name, version FROM automl.audit ORDER BY audit_id;
-- bad documents are refused before anything is stored
SELECT automl.import('{"format": "something"}');
SELECT automl.import('[1]');
SELECT automl.import(jsonb_set(:'doc', '{format_version}', '99'));
SELECT automl.import(:'doc'::jsonb - 'target');
SELECT automl.import(jsonb_set(:'doc', '{seed}', '"seven"'));
SELECT automl.import(jsonb_set(:'doc', '{task}', '"regression"'));
SELECT automl.import(jsonb_set(:'doc', '{model}',
                               to_jsonb(encode(overlay(decode(:'doc'::jsonb ->> 'model', 'base64')
                                                       PLACING '\x00'::bytea FROM 100 FOR 1),
                                               'base64'))));
SELECT automl.import(jsonb_set(:'doc', '{model}', '"not base64!"'));
SELECT count(*) AS models FROM automl.models;
\c contrib_regression
DROP DATABASE automl_regress_copy;

-- dropping a whole model removes its versions, runs, trials, rights and deployments
SET automl.audit_log_level = off;
SET ROLE gov_alice;
SELECT automl.drop('gov');
SELECT automl.predict_label('gov', d) FROM gov_data d LIMIT 1;
RESET ROLE;
SELECT (SELECT count(*) FROM automl.models WHERE name = 'gov') AS models,
       (SELECT count(*) FROM automl.runs WHERE name = 'gov') AS runs,
       (SELECT count(*) FROM automl.trials WHERE name = 'gov') AS trials,
       (SELECT count(*) FROM automl.model_privileges WHERE name = 'gov') AS rights,
       (SELECT count(*) FROM automl.deployments WHERE name = 'gov') AS deployments,
       (SELECT count(*) FROM automl.audit WHERE name = 'gov') > 0 AS audit_kept;

REVOKE ALL ON SCHEMA automl FROM gov_alice, gov_bob, gov_carol, gov_mallory;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA automl FROM gov_alice, gov_bob, gov_carol, gov_mallory;
DROP TABLE gov_data;
DROP ROLE gov_alice, gov_bob, gov_carol, gov_mallory;
