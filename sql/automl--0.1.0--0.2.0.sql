/* automl--0.1.0--0.2.0.sql: upgrade from 0.1.0 to 0.2.0 */

\echo Use "ALTER EXTENSION automl UPDATE TO '0.2.0'" to load this file. \quit

-- ---------------------------------------------------------------------------
-- 0.2.0 closes privilege holes (SECURITY.md): roles are stored by OID, the
-- right to train is checked again when a version is stored, a version keeps
-- the session user that trained it (four eyes count people), a run records
-- the query it read, on which search_path and as which role (retrain reads
-- it so), jobs record the role they connect as and queue without a worker,
-- audit rows belong to one model of a name, what a version holds of its
-- training data is shown only to roles that may train the name, and
-- predefined roles open the functions.
--
-- No C function of the extension is called here: the library checks that
-- the catalog it reads is of its own version, and until this script ends
-- the installed version is still 0.1.0.
-- ---------------------------------------------------------------------------

-- Another role must not be able to create objects in the schema.
DO $$
DECLARE
    culprit pg_catalog.text;
BEGIN
    SELECT pg_catalog.string_agg(DISTINCT CASE WHEN a.grantee = 0 THEN 'PUBLIC'
                                 ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(a.grantee)) END, ', ')
      INTO culprit
      FROM pg_catalog.pg_namespace n, pg_catalog.aclexplode(n.nspacl) a
     WHERE n.nspname = 'automl' AND a.privilege_type = 'CREATE' AND a.grantee <> n.nspowner;
    IF culprit IS NOT NULL THEN
        RAISE EXCEPTION 'other roles may create objects in schema "automl" (%)', culprit
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'REVOKE CREATE ON SCHEMA automl from them, then update the extension again.';
    END IF;
END
$$;

-- A role name of 0.1.0 as the role's OID; a role that no longer exists
-- becomes the bootstrap superuser (its models are then managed by
-- superusers only), never a role that took its name since.
CREATE FUNCTION automl._role_of(role_name name) RETURNS regrole
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
RETURN coalesce((SELECT r.oid::regrole FROM pg_catalog.pg_roles r WHERE r.rolname = role_name),
                10::oid::regrole);

-- Objects that depend on columns whose type changes.  automl._jobs() is
-- recreated with the rights a DBA granted on it (automl.jobs calls it).
SELECT pg_catalog.set_config('automl_upgrade.jobs_grantees',
       coalesce(pg_catalog.string_agg(a.grantee::pg_catalog.text, ','), ''), true)
  FROM pg_catalog.pg_proc p, pg_catalog.aclexplode(p.proacl) a
 WHERE p.oid = 'automl._jobs()'::pg_catalog.regprocedure AND a.privilege_type = 'EXECUTE'
   AND a.grantee <> p.proowner;
DROP VIEW automl.deployed;
DROP VIEW automl.jobs;
DROP FUNCTION automl._jobs();
DROP POLICY visible ON automl.job_table;
DROP FUNCTION automl.can_see_job(name, text);
DROP POLICY visible ON automl.audit;
DROP POLICY visible ON automl.runs;
DROP POLICY visible ON automl.trials;
DROP POLICY visible ON automl.models;

-- model_names: owner by OID; name_id tells a dropped and re-created name apart
ALTER TABLE automl.model_names
    ALTER COLUMN owner TYPE regrole USING automl._role_of(owner),
    ADD CONSTRAINT model_names_owner_check CHECK (owner::oid <> 0),
    ADD COLUMN name_id bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    ADD COLUMN rights_changed_at timestamptz;

-- model_privileges: grantees by OID, 0 for PUBLIC; grants to dropped roles go
DELETE FROM automl.model_privileges p
 WHERE p.grantee <> 'public' AND NOT EXISTS (SELECT FROM pg_catalog.pg_roles r WHERE r.rolname = p.grantee);
ALTER TABLE automl.model_privileges
    ALTER COLUMN grantee TYPE regrole
        USING CASE WHEN grantee = 'public' THEN 0::oid::regrole ELSE automl._role_of(grantee) END,
    ALTER COLUMN granted_by TYPE regrole USING automl._role_of(granted_by);

-- runs: what was read, on which search_path, as which role
ALTER TABLE automl.runs
    ALTER COLUMN started_by TYPE regrole USING automl._role_of(started_by),
    ADD COLUMN source_query text,
    ADD COLUMN search_path text,
    ADD COLUMN source_role regrole,
    ADD COLUMN source_relation regclass,
    ADD COLUMN name_id bigint;

-- job_table: the roles a job connects and runs as, its resolved source
ALTER TABLE automl.job_table
    ALTER COLUMN role TYPE regrole USING automl._role_of(role),
    ADD COLUMN login_role regrole,
    ADD COLUMN session_role regrole,
    ADD COLUMN source_query text,
    ADD COLUMN search_path text,
    ADD COLUMN source_relation regclass,
    ADD COLUMN name_id bigint,
    ADD COLUMN dispatched_at timestamptz;
UPDATE automl.job_table
   SET login_role = role, session_role = role, source_query = source,
       search_path = '"$user", public', dispatched_at = created_at;
ALTER TABLE automl.job_table
    ALTER COLUMN login_role SET NOT NULL,
    ALTER COLUMN session_role SET NOT NULL,
    ALTER COLUMN source_query SET NOT NULL,
    ALTER COLUMN search_path SET NOT NULL;

-- models becomes model_table, read through the view automl.models
ALTER TABLE automl.models RENAME TO model_table;
ALTER TABLE automl.model_table
    ALTER COLUMN created_by TYPE regrole USING automl._role_of(created_by),
    ALTER COLUMN approved_by TYPE regrole USING CASE WHEN approved_by IS NOT NULL
                                                     THEN automl._role_of(approved_by) END,
    ADD COLUMN created_session regrole;
UPDATE automl.model_table SET created_session = created_by;
ALTER TABLE automl.model_table ALTER COLUMN created_session SET NOT NULL;

ALTER TABLE automl.deployments
    ALTER COLUMN deployed_by TYPE regrole USING automl._role_of(deployed_by);

-- audit rows of the name's current model (the earlier ones stay unassigned);
-- runs and jobs of the names' current models (a drop took the earlier runs)
ALTER TABLE automl.audit ADD COLUMN name_id bigint;
UPDATE automl.audit a SET name_id = n.name_id
  FROM automl.model_names n WHERE n.name = a.name AND a.at >= n.created_at;
UPDATE automl.runs r SET source_role = r.started_by,
       name_id = (SELECT n.name_id FROM automl.model_names n WHERE n.name = r.name);
UPDATE automl.job_table j SET name_id = n.name_id
  FROM automl.model_names n WHERE n.name = j.name AND j.created_at >= n.created_at;

DROP FUNCTION automl._role_of(name);

-- ---------------------------------------------------------------------------
-- Row-level security and the functions it calls
-- ---------------------------------------------------------------------------

CREATE FUNCTION automl.can_read_data(name text) RETURNS boolean
AS 'MODULE_PATHNAME', 'automl_can_read_data'
LANGUAGE C STABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION automl.can_read_data(text) IS
'true when the current role owns the model or holds the train right on it';

-- A job is seen by the role it runs as (and its members), and by the owner
-- of the model it trains, as long as that is the model of the name the job
-- was created for (name_id; NULL: the job creates the name).
CREATE FUNCTION automl.can_see_job(role regrole, name text, name_id bigint) RETURNS boolean
AS 'MODULE_PATHNAME', 'automl_can_see_job'
LANGUAGE C STABLE PARALLEL SAFE;

ALTER TABLE automl.job_table ENABLE ROW LEVEL SECURITY;
CREATE POLICY visible ON automl.job_table FOR SELECT USING (automl.can_see_job(role, name, name_id));


-- The tables read only through the view automl.models, and the model bytes:
-- closed to every role but the owner; should a DBA grant SELECT on them by
-- mistake, rows stay hidden (model_data has no policy at all).
ALTER TABLE automl.model_table ENABLE ROW LEVEL SECURITY;
CREATE POLICY visible ON automl.model_table FOR SELECT USING (automl.can_read_data(name));
ALTER TABLE automl.model_data ENABLE ROW LEVEL SECURITY;

-- Runs and their trials belong to the model they trained: those of a name's
-- current model, and a run of a new name that stored nothing (another role
-- may have created the name meanwhile) only to the role that started it.
ALTER TABLE automl.runs ENABLE ROW LEVEL SECURITY;
CREATE POLICY visible ON automl.runs FOR SELECT
    USING ((automl.can_see(name) AND
            name_id = (SELECT n.name_id FROM automl.model_names n WHERE n.name = runs.name))
           OR (name_id IS NULL AND pg_catalog.pg_has_role(started_by, 'USAGE')));
ALTER TABLE automl.trials ENABLE ROW LEVEL SECURITY;
CREATE POLICY visible ON automl.trials FOR SELECT
    USING (EXISTS (SELECT FROM automl.runs r WHERE r.run_id = trials.run_id));

CREATE POLICY visible ON automl.audit FOR SELECT
    USING (automl.can_see(name) AND
           name_id = (SELECT n.name_id FROM automl.model_names n WHERE n.name = audit.name));

-- ---------------------------------------------------------------------------
-- Views
-- ---------------------------------------------------------------------------

CREATE VIEW automl.models WITH (security_barrier = true) AS
SELECT m.model_id, m.name, m.version, m.status, m.task, m.algorithm, m.hyperparameters,
       m.metric, m.score, m.score_std, m.metrics, m.target, m.target_type, m.classes,
       CASE WHEN automl.can_read_data(m.name) THEN m.features
            ELSE pg_catalog.jsonb_build_object(
                     'columns', m.features -> 'columns',
                     'features', (SELECT coalesce(pg_catalog.jsonb_agg(
                                      f - 'levels' - 'impute' - 'mean' - 'scale'), '[]')
                                    FROM pg_catalog.jsonb_array_elements(m.features -> 'features') f))
       END AS features,
       m.source, m.options, m.seed, m.n_rows, m.n_features, m.data_fingerprint, m.run_id,
       m.trials, m.train_seconds, m.model_bytes, m.lineage,
       CASE WHEN automl.can_read_data(m.name) THEN m.diagnostics
            ELSE m.diagnostics #- '{regression,actual}' #- '{regression,predicted}' END AS diagnostics,
       CASE WHEN automl.can_read_data(m.name) THEN m.profile END AS profile,
       CASE WHEN automl.can_read_data(m.name) THEN m.drift_reference END AS drift_reference,
       m.created_by, m.created_session, m.created_at, m.approved_by, m.approved_at,
       m.extension_version
  FROM automl.model_table m
 WHERE automl.can_see(m.name);

CREATE VIEW automl.deployed WITH (security_invoker = true) AS
SELECT DISTINCT ON (d.name)
       d.name, d.version, m.algorithm, m.metric, m.score, d.deployed_by, d.deployed_at
  FROM automl.deployments d
  JOIN automl.models m USING (name, version)
 ORDER BY d.name, d.deployment_id DESC;

CREATE FUNCTION automl._jobs(
    OUT job_id bigint, OUT name text, OUT role regrole, OUT state text, OUT phase text,
    OUT trials_done integer, OUT best_score float8, OUT best_algorithm text,
    OUT elapsed interval, OUT time_budget_left interval, OUT version integer,
    OUT run_id bigint, OUT error text, OUT created_at timestamptz,
    OUT started_at timestamptz, OUT finished_at timestamptz)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'automl_jobs'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

-- Jobs the current role may see; a job whose worker died shows (and is
-- recorded) as failed.
CREATE VIEW automl.jobs AS SELECT * FROM automl._jobs();

-- The report's SQL functions resolve names on a pinned search_path.
ALTER FUNCTION automl.report_document(text, integer) SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION automl.report(text, integer) SET search_path = pg_catalog, pg_temp;

-- ---------------------------------------------------------------------------
-- Privileges: as a fresh 0.2.0 install has them
-- ---------------------------------------------------------------------------

REVOKE ALL ON FUNCTION automl._jobs(), automl.can_read_data(text),
    automl.can_see_job(regrole, text, bigint) FROM PUBLIC;

-- the table is read through the view only: no role keeps a grant on it
DO $$
DECLARE
    g pg_catalog.oid;
    o record;
BEGIN
    -- tables, views and sequences: only the SELECTs granted below stay
    FOR o IN SELECT DISTINCT c.oid::pg_catalog.regclass::pg_catalog.text AS object, a.grantee
               FROM pg_catalog.pg_class c, pg_catalog.aclexplode(c.relacl) a
              WHERE c.relnamespace = 'automl'::pg_catalog.regnamespace AND a.grantee <> c.relowner
    LOOP
        EXECUTE pg_catalog.format('REVOKE ALL ON TABLE %s FROM %s', o.object,
                                  CASE WHEN o.grantee = 0 THEN 'PUBLIC'
                                       ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(o.grantee)) END);
    END LOOP;
    FOR g IN SELECT pg_catalog.unnest(pg_catalog.string_to_array(
                 pg_catalog.current_setting('automl_upgrade.jobs_grantees'), ','))::pg_catalog.oid
    LOOP
        IF g = 0 THEN
            GRANT EXECUTE ON FUNCTION automl._jobs() TO PUBLIC;
        ELSE
            EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION automl._jobs() TO %I', pg_catalog.pg_get_userbyid(g));
        END IF;
    END LOOP;
END
$$;
GRANT SELECT ON automl.model_names, automl.model_privileges, automl.runs, automl.models,
    automl.trials, automl.deployments, automl.audit, automl.leaderboard, automl.deployed,
    automl.job_table, automl.jobs TO PUBLIC;
GRANT EXECUTE ON FUNCTION automl.can_read_data(text), automl.can_see_job(regrole, text, bigint) TO PUBLIC;

-- ---------------------------------------------------------------------------
-- Predefined roles, in the style of pg_monitor: a DBA grants one of them
-- instead of a list of functions.  Each holds the one below it:
--   automl_scorer    score, explain, check drift and fairness, read reports
--   automl_reviewer  + approve, deploy and roll back versions
--   automl_analyst   + train, retrain, run jobs, import and export, profile
--                      data, grant and revoke rights on own models, drop
-- They open the functions only; what a role may do with each model is still
-- decided by the model's owner (automl.grant).  Roles are shared by all the
-- databases of a cluster: an existing role of that name is used (it must not
-- be able to log in or hold special attributes), and DROP EXTENSION leaves
-- them.
-- ---------------------------------------------------------------------------
DO $$
DECLARE
    r pg_catalog.text;
BEGIN
    FOREACH r IN ARRAY ARRAY['automl_scorer', 'automl_reviewer', 'automl_analyst']
    LOOP
        IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = r) THEN
            EXECUTE pg_catalog.format('CREATE ROLE %I NOLOGIN', r);
            EXECUTE pg_catalog.format('COMMENT ON ROLE %I IS %L', r,
                                      'predefined role of the automl extension');
        ELSIF EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = r AND
                      (rolcanlogin OR rolsuper OR rolcreaterole OR rolcreatedb OR
                       rolreplication OR rolbypassrls)) THEN
            RAISE EXCEPTION 'role "%" already exists and can log in or holds special attributes', r
                USING ERRCODE = 'duplicate_object',
                      DETAIL = 'automl grants its functions to the predefined roles automl_scorer, automl_reviewer and automl_analyst.',
                      HINT = 'Make it NOLOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB NOREPLICATION NOBYPASSRLS, or rename it.';
        ELSIF EXISTS (SELECT FROM pg_catalog.pg_auth_members m
                        JOIN pg_catalog.pg_roles g ON g.oid = m.roleid
                        JOIN pg_catalog.pg_roles x ON x.oid = m.member
                       WHERE x.rolname = r AND NOT (r = 'automl_reviewer' AND g.rolname = 'automl_scorer')
                         AND NOT (r = 'automl_analyst' AND g.rolname = 'automl_reviewer')) THEN
            RAISE EXCEPTION 'role "%" already exists and is a member of other roles', r
                USING ERRCODE = 'duplicate_object',
                      DETAIL = 'Every role granted it would hold their rights too.',
                      HINT = 'Revoke those memberships from it, or rename it.';
        END IF;
    END LOOP;
    IF NOT pg_catalog.pg_has_role('automl_reviewer', 'automl_scorer', 'MEMBER') THEN
        GRANT automl_scorer TO automl_reviewer;
    END IF;
    IF NOT pg_catalog.pg_has_role('automl_analyst', 'automl_reviewer', 'MEMBER') THEN
        GRANT automl_reviewer TO automl_analyst;
    END IF;
END
$$;

GRANT USAGE ON SCHEMA automl TO automl_scorer, automl_reviewer, automl_analyst;

GRANT EXECUTE ON FUNCTION
    automl.predict(text, anyelement), automl.predict(text, float8[]),
    automl.predict(text, integer, anyelement),
    automl.predict_label(text, anyelement), automl.predict_label(text, integer, anyelement),
    automl.predict_proba(text, anyelement), automl.predict_proba(text, integer, anyelement),
    automl._predict_cols(text, integer, text[], tid, "any"),
    automl._predict_label_cols(text, integer, text[], tid, "any"),
    automl._predict_proba_cols(text, integer, text[], tid, "any"),
    automl.explain(text, anyelement, integer, text),
    automl.explain_json(text, anyelement, integer, text),
    automl.predict_table(text, text, text, integer),
    automl.classes(text), automl.feature_names(text), automl.feature_importance(text),
    automl.drift(text, text, float8, float8, integer),
    automl.fairness(text, text, text, text, integer),
    automl.report(text, integer), automl.report_document(text, integer),
    automl._render_report(text)
  TO automl_scorer;

GRANT EXECUTE ON FUNCTION
    automl.approve(text, integer, text),
    automl.deploy(text, integer, text, text),
    automl.rollback(text, text)
  TO automl_reviewer;

GRANT EXECUTE ON FUNCTION
    automl.train(text, text, text, text, text, interval, integer, text[], text[], jsonb),
    automl.train_async(text, text, text, text, text, interval, integer, text[], text[], jsonb),
    automl.retrain(text, integer),
    automl.cancel(bigint, boolean), automl.wait(bigint, interval), automl._jobs(),
    automl.import(jsonb, text), automl.export(text, integer),
    automl.grant(text, text, name), automl.revoke(text, text, name),
    automl.drop(text, integer),
    automl.profile(text, text)
  TO automl_analyst;
