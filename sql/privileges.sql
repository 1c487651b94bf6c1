-- privileges: who may call what, generated from the catalog.
--
-- 1. Every function, view and table of the extension against every
--    predefined role and a role granted nothing: the list of objects comes
--    from the catalog, so a new function or table appears here (and in the
--    expected output) as soon as it exists, with the rights it was given.
-- 2. Every call on a model against every level of right on it (owner, train,
--    deploy, score, none), each in a session of the role (approval counts
--    people), each call rolled back; a function taking a model name that no
--    call covers is listed at the end.
SET automl.progress = off;
SET automl.audit_log_level = off;
SET client_min_messages = warning;

CREATE ROLE priv_nobody;
CREATE TEMPORARY VIEW priv_roles (ord, role) AS
VALUES (1, 'automl_scorer'), (2, 'automl_reviewer'), (3, 'automl_analyst'), (4, 'priv_nobody');

-- 1a. functions: x = may execute (EXECUTE on it and USAGE on the schema)
SELECT p.oid::regprocedure AS function,
       string_agg(CASE WHEN has_schema_privilege(r.role, 'automl', 'USAGE') AND
                            has_function_privilege(r.role, p.oid, 'EXECUTE')
                       THEN 'x' ELSE '-' END, ' ' ORDER BY r.ord) AS "scorer reviewer analyst nobody"
  FROM pg_proc p CROSS JOIN priv_roles r
 WHERE p.pronamespace = 'automl'::regnamespace
 GROUP BY p.oid ORDER BY p.oid::regprocedure::text;

-- 1b. relations: the privileges each role holds (r = SELECT, a = INSERT,
-- w = UPDATE, d = DELETE, D = TRUNCATE), with USAGE on the schema
SELECT c.relname AS relation, c.relkind AS kind,
       string_agg(CASE WHEN NOT has_schema_privilege(r.role, 'automl', 'USAGE') THEN '-----'
                       ELSE concat(CASE WHEN has_table_privilege(r.role, c.oid, 'SELECT') THEN 'r' ELSE '-' END,
                                   CASE WHEN has_table_privilege(r.role, c.oid, 'INSERT') THEN 'a' ELSE '-' END,
                                   CASE WHEN has_table_privilege(r.role, c.oid, 'UPDATE') THEN 'w' ELSE '-' END,
                                   CASE WHEN has_table_privilege(r.role, c.oid, 'DELETE') THEN 'd' ELSE '-' END,
                                   CASE WHEN has_table_privilege(r.role, c.oid, 'TRUNCATE') THEN 'D' ELSE '-' END)
                  END, ' ' ORDER BY r.ord) AS "scorer reviewer analyst nobody"
  FROM pg_class c CROSS JOIN priv_roles r
 WHERE c.relnamespace = 'automl'::regnamespace AND c.relkind IN ('r', 'v', 'm', 'p', 'f')
 GROUP BY c.oid, c.relname, c.relkind ORDER BY c.relname;

-- the predefined roles, and that nothing is granted to PUBLIC but the
-- functions row-level security calls
SELECT rolname, rolcanlogin, rolsuper, rolinherit,
       ARRAY(SELECT b.rolname FROM pg_auth_members m JOIN pg_roles b ON b.oid = m.roleid
              WHERE m.member = r.oid ORDER BY 1) AS member_of
  FROM pg_roles r WHERE rolname LIKE 'automl\_%' ORDER BY rolname;
SELECT p.oid::regprocedure AS public_may_execute
  FROM pg_proc p WHERE p.pronamespace = 'automl'::regnamespace
   AND has_function_privilege('public', p.oid, 'EXECUTE') ORDER BY p.oid::regprocedure::text;
SELECT has_schema_privilege('public', 'automl', 'USAGE') AS public_usage;

-- ---------------------------------------------------------------------------
-- 2. Rights on one model, pm, owned by priv_owner: version 1 and 2 (trained
--    by priv_train), 1 live and 2 live before it.
-- ---------------------------------------------------------------------------
CREATE ROLE priv_owner LOGIN IN ROLE automl_analyst;
CREATE ROLE priv_train LOGIN IN ROLE automl_analyst;
CREATE ROLE priv_deploy LOGIN IN ROLE automl_analyst;
CREATE ROLE priv_score LOGIN IN ROLE automl_analyst;
CREATE ROLE priv_none LOGIN IN ROLE automl_analyst;
DO $$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['priv_owner', 'priv_train', 'priv_deploy', 'priv_score', 'priv_none']
    LOOP
        EXECUTE format('ALTER ROLE %I SET automl.progress = off', r);
        EXECUTE format('ALTER ROLE %I SET automl.audit_log_level = off', r);
        EXECUTE format('ALTER ROLE %I SET client_min_messages = warning', r);
    END LOOP;
END $$;
CREATE TABLE priv_data AS
SELECT id, sepal_length, sepal_width, petal_length, petal_width, species,
       CASE species WHEN 'setosa' THEN 0 WHEN 'versicolor' THEN 1 ELSE 2 END AS code
  FROM iris;
GRANT SELECT ON priv_data TO priv_owner, priv_train, priv_deploy, priv_score, priv_none;
CREATE TABLE priv_results (role text, ord int, call text, result text);
GRANT INSERT ON priv_results TO priv_owner, priv_train, priv_deploy, priv_score, priv_none;
CREATE TABLE priv_doc (doc jsonb);
GRANT SELECT ON priv_doc TO priv_owner, priv_train, priv_deploy, priv_score, priv_none;

-- the calls; each must succeed for the owner, except approving a version
-- the owner did not train... which it may (priv_train trained version 2)
CREATE TABLE priv_calls (ord int, call text);
INSERT INTO priv_calls VALUES
 (1,  'SELECT automl.predict(''pm'', d) FROM priv_data d LIMIT 1'),
 (2,  'SELECT automl.predict(''pm'', 1, d) FROM priv_data d LIMIT 1'),
 (3,  'SELECT automl.predict(''pm'', ARRAY[5.1, 3.5, 1.4, 0.2]::float8[])'),
 (4,  'SELECT automl.predict_label(''pm'', d) FROM priv_data d LIMIT 1'),
 (5,  'SELECT automl.predict_label(''pm'', 1, d) FROM priv_data d LIMIT 1'),
 (6,  'SELECT automl.predict_proba(''pm'', d) FROM priv_data d LIMIT 1'),
 (7,  'SELECT automl.predict_proba(''pm'', 1, d) FROM priv_data d LIMIT 1'),
 (8,  'SELECT automl.classes(''pm'')'),
 (9,  'SELECT automl.feature_names(''pm'')'),
 (10, 'SELECT count(*) FROM automl.feature_importance(''pm'')'),
 (11, 'SELECT count(*) FROM priv_data d, automl.explain(''pm'', d) WHERE d.id = 1'),
 (12, 'SELECT automl.explain_json(''pm'', d) FROM priv_data d WHERE d.id = 1'),
 (13, 'SELECT count(*) FROM automl.predict_table(''pm'', ''priv_data'')'),
 (14, 'SELECT count(*) FROM automl.drift(''pm'', ''priv_data'')'),
 (15, 'SELECT count(*) FROM automl.fairness(''pm'', ''priv_data'', ''species'', positive_class => ''1'')'),
 (16, 'SELECT length(automl.report(''pm''))'),
 (17, 'SELECT priv_visible(automl.report_document(''pm'') IS NOT NULL)'),
 (18, 'SELECT priv_visible(count(*) = 2) FROM automl.models WHERE name = ''pm'''),
 (19, 'SELECT priv_visible(bool_and(profile IS NOT NULL AND drift_reference IS NOT NULL)) FROM automl.models WHERE name = ''pm'''),
 (20, 'SELECT priv_visible(count(*) > 0) FROM automl.trials WHERE name = ''pm'''),
 (21, 'SELECT priv_visible(count(*) > 0) FROM automl.audit WHERE name = ''pm'''),
 (22, 'SELECT priv_visible(count(*) > 0) FROM automl.model_privileges WHERE name = ''pm'''),
 (23, 'SELECT automl.train(''pm'', ''priv_data'', ''code'', exclude => ''{id,species}'', algorithms => ''{tree}'', max_trials => 1)'),
 (24, 'SELECT automl.train_async(''pm'', ''priv_data'', ''code'', exclude => ''{id,species}'', algorithms => ''{tree}'', max_trials => 1)'),
 (25, 'SELECT automl.retrain(''pm'', 1)'),
 (26, 'SELECT automl.import(doc, ''pm'') FROM priv_doc'),
 (27, 'SELECT automl.export(''pm'', 1)'),
 (28, 'SELECT automl.approve(''pm'', 2)'),
 (29, 'SELECT automl.deploy(''pm'', 2)'),
 (30, 'SELECT automl.deploy(''pm'', strategy => ''latest'')'),
 (31, 'SELECT automl.rollback(''pm'')'),
 (32, 'SELECT automl.grant(''pm'', ''score'', ''priv_none'')'),
 (33, 'SELECT automl.revoke(''pm'', ''score'', ''priv_score'')'),
 (34, 'SELECT automl.drop(''pm'', 2)'),
 (35, 'SELECT automl.drop(''pm'')');
GRANT SELECT ON priv_calls TO PUBLIC;

-- raises undefined_object ("hidden") when the condition is false
CREATE FUNCTION priv_visible(ok boolean) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    IF NOT coalesce(ok, false) THEN
        RAISE EXCEPTION 'not visible' USING ERRCODE = 'undefined_object';
    END IF;
    RETURN true;
END $$;

-- one call as the session's role, its effects rolled back
CREATE FUNCTION priv_try(call text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    BEGIN
        EXECUTE call;
        RAISE EXCEPTION 'priv: allowed';
    EXCEPTION
        WHEN insufficient_privilege THEN
            RETURN CASE WHEN SQLERRM LIKE '%cannot approve%' THEN 'four-eyes' ELSE 'denied' END;
        WHEN undefined_object THEN
            RETURN 'hidden';
        WHEN raise_exception THEN
            IF SQLERRM = 'priv: allowed' THEN
                RETURN 'allowed';
            END IF;
            RETURN 'error: ' || SQLERRM;
        WHEN OTHERS THEN
            RETURN 'error ' || SQLSTATE || ': ' || SQLERRM;
    END;
END $$;

\c - priv_owner
SELECT version FROM automl.train('pm', 'priv_data', 'code', exclude => '{id,species}',
                                 algorithms => '{tree}', max_trials => 1);
SELECT automl.grant('pm', 'train', 'priv_train');
SELECT automl.grant('pm', 'deploy', 'priv_deploy');
SELECT automl.grant('pm', 'score', 'priv_score');
\c - priv_train
SELECT version FROM automl.train('pm', 'priv_data', 'code', exclude => '{id,species}',
                                 algorithms => '{tree}', max_trials => 1);
\c - priv_owner
SELECT automl.deploy('pm', 2), automl.deploy('pm', 1);
\c - postgres
SET automl.audit_log_level = off;
SET client_min_messages = warning;
INSERT INTO priv_doc SELECT automl.export('pm', 1);

\c - priv_owner
INSERT INTO priv_results SELECT 'owner', ord, call, priv_try(call) FROM priv_calls ORDER BY ord;
\c - priv_train
INSERT INTO priv_results SELECT 'train', ord, call, priv_try(call) FROM priv_calls ORDER BY ord;
\c - priv_deploy
INSERT INTO priv_results SELECT 'deploy', ord, call, priv_try(call) FROM priv_calls ORDER BY ord;
\c - priv_score
INSERT INTO priv_results SELECT 'score', ord, call, priv_try(call) FROM priv_calls ORDER BY ord;
\c - priv_none
INSERT INTO priv_results SELECT 'none', ord, call, priv_try(call) FROM priv_calls ORDER BY ord;
\c - postgres
SET automl.audit_log_level = off;
SET client_min_messages = warning;

SELECT c.ord, substring(c.call from 'automl\.[a-z_]+') AS function,
       max(result) FILTER (WHERE role = 'owner') AS owner,
       max(result) FILTER (WHERE role = 'train') AS train,
       max(result) FILTER (WHERE role = 'deploy') AS deploy,
       max(result) FILTER (WHERE role = 'score') AS score,
       max(result) FILTER (WHERE role = 'none') AS "none"
  FROM priv_calls c JOIN priv_results r USING (ord)
 GROUP BY c.ord, c.call ORDER BY c.ord;

-- every function that takes a model name is called above (or is internal)
SELECT p.oid::regprocedure AS not_covered
  FROM pg_proc p
 WHERE p.pronamespace = 'automl'::regnamespace AND 'name' = ANY (p.proargnames)
   AND p.proname NOT IN ('can_see', 'can_read_data', 'can_see_job')
   AND p.proname NOT LIKE '\_%'
   AND NOT EXISTS (SELECT FROM priv_calls c WHERE c.call LIKE '%automl.' || p.proname || '(%')
 ORDER BY p.oid::regprocedure::text;

-- clean up
SELECT automl.drop('pm');
SELECT automl.cancel(job_id) FROM automl.job_table WHERE name = 'pm' AND state IN ('queued', 'running');
DROP TABLE priv_data, priv_results, priv_doc, priv_calls;
DROP FUNCTION priv_visible(boolean), priv_try(text);
DROP ROLE priv_nobody, priv_owner, priv_train, priv_deploy, priv_score, priv_none;
