/* automl--0.2.0.sql: install script of the automl extension */

\echo Use "CREATE EXTENSION automl" to load this file. \quit

-- ---------------------------------------------------------------------------
-- The schema must be ours alone.  CREATE EXTENSION installs into an existing
-- schema named automl; if another role owns it or may create objects in it,
-- that role could put functions there that every user of the extension,
-- superusers included, would then call.
-- ---------------------------------------------------------------------------
DO $$
DECLARE
    nsp pg_catalog.oid;
    owner_oid pg_catalog.oid;
    created_now boolean;
    culprit pg_catalog.text;
BEGIN
    SELECT n.oid, n.nspowner, n.xmin = pg_catalog.xid(pg_catalog.pg_current_xact_id())
      INTO nsp, owner_oid, created_now
      FROM pg_catalog.pg_namespace n WHERE n.nspname = 'automl';
    IF created_now THEN
        RETURN;     -- CREATE EXTENSION made it (its privileges are settled at the end)
    END IF;
    IF owner_oid <> (SELECT r.oid FROM pg_catalog.pg_roles r WHERE r.rolname = current_user)
       AND NOT (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.oid = owner_oid) THEN
        RAISE EXCEPTION 'schema "automl" already exists and is owned by role "%"',
                        pg_catalog.pg_get_userbyid(owner_oid)
            USING ERRCODE = 'duplicate_schema',
                  DETAIL = 'Its owner could add functions to it that every user of the extension would call.',
                  HINT = 'Drop or rename that schema, then run CREATE EXTENSION automl again.';
    END IF;
    SELECT pg_catalog.string_agg(DISTINCT CASE WHEN a.grantee = 0 THEN 'PUBLIC'
                                 ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(a.grantee)) END, ', ')
      INTO culprit
      FROM pg_catalog.pg_namespace n, pg_catalog.aclexplode(n.nspacl) a
     WHERE n.oid = nsp AND a.privilege_type = 'CREATE' AND a.grantee <> n.nspowner;
    IF culprit IS NOT NULL THEN
        RAISE EXCEPTION 'schema "automl" already exists and other roles may create objects in it (%)', culprit
            USING ERRCODE = 'duplicate_schema',
                  HINT = 'REVOKE CREATE ON SCHEMA automl from them, or drop the schema, then run CREATE EXTENSION automl again.';
    END IF;
    -- every object in a schema depends on it
    SELECT pg_catalog.string_agg(o, ', ') INTO culprit FROM (
        SELECT pg_catalog.pg_describe_object(d.classid, d.objid, d.objsubid) AS o
          FROM pg_catalog.pg_depend d
         WHERE d.refclassid = 'pg_catalog.pg_namespace'::pg_catalog.regclass AND d.refobjid = nsp
           AND d.classid <> 'pg_catalog.pg_extension'::pg_catalog.regclass
         ORDER BY 1 LIMIT 5) found;
    IF culprit IS NOT NULL THEN
        RAISE EXCEPTION 'schema "automl" already exists and is not empty (%)', culprit
            USING ERRCODE = 'duplicate_schema',
                  HINT = 'Drop or rename that schema, then run CREATE EXTENSION automl again.';
    END IF;
END
$$;

-- ---------------------------------------------------------------------------
-- Catalog.  Written only by the extension's functions (as the extension
-- owner, with search_path pinned); read by ordinary roles through row-level
-- security, which shows each role the models it owns or holds a right on.
-- Roles are stored by OID (regrole): a role renamed keeps its models and
-- rights, a new role that takes a dropped role's name gets none of them, and
-- pg_dump writes them by name.
-- ---------------------------------------------------------------------------

-- One row per model name: its owner and the last version handed out.  A name
-- dropped and trained again is a new model: name_id tells the two apart (the
-- audit rows of the old one stay with it).
CREATE TABLE automl.model_names (
    name            text COLLATE "C" PRIMARY KEY CHECK (name <> '' AND length(name) < 64),
    owner           regrole NOT NULL CHECK (owner::oid <> 0),
    last_version    integer NOT NULL DEFAULT 1,
    created_at      timestamptz NOT NULL DEFAULT now(),
    name_id         bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    rights_changed_at timestamptz     -- set by grant and revoke
);

-- Rights on a model name granted by its owner: train (new versions, retrain,
-- export), deploy (approve, deploy, roll back), score (predict, explain).
CREATE TABLE automl.model_privileges (
    name            text COLLATE "C" NOT NULL REFERENCES automl.model_names (name) ON DELETE CASCADE,
    grantee         regrole NOT NULL,   -- a role, or 0 ('-') for PUBLIC
    privilege       text NOT NULL CHECK (privilege IN ('train', 'deploy', 'score')),
    granted_by      regrole NOT NULL,
    granted_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (name, grantee, privilege)
);

-- One row per training run (a call of automl.train or automl.retrain),
-- with the arguments needed to run it again.
CREATE TABLE automl.runs (
    run_id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name            text COLLATE "C" NOT NULL,
    version         integer,            -- set when the run stores a model
    status          text NOT NULL DEFAULT 'running'
                    CHECK (status IN ('running', 'finished', 'failed')),
    source          text NOT NULL,
    target          text NOT NULL,
    task            text NOT NULL,      -- as requested (auto, ...)
    metric          text,               -- as requested (NULL: the task's default)
    time_budget     interval,
    max_trials      integer,
    algorithms      text[],
    exclude         text[],
    options         jsonb NOT NULL DEFAULT '{}',
    started_by      regrole NOT NULL,
    started_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    source_query    text,               -- the query run: a table source as its resolved relation
    search_path     text,               -- in effect when the source was recorded
    source_role     regrole,            -- the role the source was read as (retrain reads it so)
    source_relation regclass,           -- a table source: the relation it named (retrain reads it)
    name_id         bigint,             -- the model it trained for (NULL: a new name, until stored)
    finished_at     timestamptz,
    rows_read       bigint,             -- source rows with a target
    rows_used       bigint,             -- fewer when memory forced a sample
    peak_memory_kb  bigint,             -- largest tracked memory of the training
    warnings        text[]              -- notices and warnings raised while training
);

-- Background trainings (automl.train_async): arguments, state, progress.
CREATE TABLE automl.job_table (
    job_id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name            text COLLATE "C" NOT NULL,
    role            regrole NOT NULL,   -- runs with this role's rights
    login_role      regrole NOT NULL,   -- the worker connects as: role, or the session user when role cannot log in
    session_role    regrole NOT NULL,   -- the session user of the caller (who trained, for approvals)
    state           text NOT NULL DEFAULT 'queued'
                    CHECK (state IN ('queued', 'running', 'finished', 'failed', 'cancelled')),
    phase           text,               -- loading, preparing, searching, ensembling, ...
    source          text NOT NULL,
    target          text NOT NULL,
    task            text NOT NULL,
    metric          text,
    time_budget     interval,
    max_trials      integer,
    algorithms      text[],
    exclude         text[],
    options         jsonb NOT NULL DEFAULT '{}',
    source_query    text NOT NULL,      -- resolved when the job was created
    search_path     text NOT NULL,
    source_relation regclass,           -- a table source: the relation it named
    name_id         bigint,             -- the model of that name when it was created (NULL: none)
    dispatched_at   timestamptz,        -- a worker was started for it (NULL: queued without one)
    run_id          bigint,
    version         integer,            -- the model version it stored
    trials_done     integer NOT NULL DEFAULT 0,
    best_score      float8,
    best_algorithm  text,
    stop_requested  boolean NOT NULL DEFAULT false,   -- stop and keep the best so far
    cancel_requested boolean NOT NULL DEFAULT false,
    pid             integer,
    backend_start   timestamptz,
    error           text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    started_at      timestamptz,
    finished_at     timestamptz
);

-- One row per model version, with everything needed to reproduce it.  Read
-- through the view automl.models, which hides what the version holds of its
-- training data from roles that may not train the name.
CREATE TABLE automl.model_table (
    model_id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name            text COLLATE "C" NOT NULL REFERENCES automl.model_names (name),
    version         integer NOT NULL CHECK (version > 0),
    status          text NOT NULL DEFAULT 'candidate'
                    CHECK (status IN ('candidate', 'approved', 'deployed', 'retired')),
    task            text NOT NULL CHECK (task IN ('regression', 'binary', 'multiclass')),
    algorithm       text NOT NULL,
    hyperparameters jsonb NOT NULL,
    metric          text NOT NULL,
    score           float8,             -- cross-validated, of "metric"
    score_std       float8,
    metrics         jsonb NOT NULL DEFAULT '{}',
    target          text NOT NULL,
    target_type     text NOT NULL,
    classes         text[],             -- predict_proba order
    features        jsonb NOT NULL,     -- source columns, features, preprocessing
    source          text NOT NULL,
    options         jsonb NOT NULL DEFAULT '{}',
    seed            bigint NOT NULL,
    n_rows          bigint NOT NULL,
    n_features      integer NOT NULL,
    data_fingerprint text NOT NULL,
    run_id          bigint REFERENCES automl.runs (run_id) ON DELETE SET NULL,
    trials          integer NOT NULL,
    train_seconds   float8 NOT NULL,
    model_bytes     integer NOT NULL,
    lineage         jsonb NOT NULL DEFAULT '{}',   -- where an imported model came from
    diagnostics     jsonb NOT NULL DEFAULT '{}',   -- validation curves, confusion, calibration
    profile         jsonb NOT NULL DEFAULT '[]',   -- the training data, column by column
    drift_reference jsonb NOT NULL DEFAULT '{}',   -- feature and prediction distributions
    created_by      regrole NOT NULL,   -- the role that trained (or imported) it
    created_session regrole NOT NULL,   -- the session user it did so from
    created_at      timestamptz NOT NULL DEFAULT now(),
    approved_by     regrole,
    approved_at     timestamptz,
    extension_version text NOT NULL,
    CONSTRAINT models_name_version_key UNIQUE (name, version)
);

-- The serialized models, apart so SELECT * FROM automl.models stays readable.
CREATE TABLE automl.model_data (
    model_id        bigint PRIMARY KEY REFERENCES automl.model_table (model_id) ON DELETE CASCADE,
    format_version  integer NOT NULL,
    data            bytea NOT NULL
);
ALTER TABLE automl.model_data ALTER COLUMN data SET STORAGE EXTERNAL;

-- Every trial of every run: what was tried, how it scored, how long it took.
CREATE TABLE automl.trials (
    run_id          bigint NOT NULL REFERENCES automl.runs (run_id) ON DELETE CASCADE,
    trial           integer NOT NULL,
    name            text COLLATE "C" NOT NULL,
    algorithm       text NOT NULL,
    hyperparameters jsonb NOT NULL,
    metric          text NOT NULL,
    score           float8,             -- mean over folds
    score_std       float8,
    fold_scores     float8[],
    fit_seconds     float8,
    predict_seconds float8,
    elapsed_seconds float8,             -- since the run started
    status          text NOT NULL CHECK (status IN ('ok', 'failed', 'stopped', 'pruned')),
    error           text,
    resumed         boolean NOT NULL DEFAULT false,   -- taken over from an earlier run
    finished_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (run_id, trial)
);

-- Deployment history; the newest row of a name is its live version.
CREATE TABLE automl.deployments (
    deployment_id   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name            text COLLATE "C" NOT NULL REFERENCES automl.model_names (name),
    version         integer NOT NULL,
    previous_version integer,
    strategy        text NOT NULL,
    reason          text,
    deployed_by     regrole NOT NULL,
    deployed_at     timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (name, version) REFERENCES automl.model_table (name, version) ON DELETE CASCADE
);
CREATE INDEX deployments_name_idx ON automl.deployments (name, deployment_id);

-- Who did what to which model: append-only for everyone but superusers.
CREATE TABLE automl.audit (
    audit_id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at              timestamptz NOT NULL DEFAULT clock_timestamp(),
    action          text NOT NULL CHECK (action IN ('train', 'retrain', 'approve', 'deploy',
                    'rollback', 'grant', 'revoke', 'drop', 'export', 'import')),
    name            text COLLATE "C" NOT NULL,
    version         integer,            -- the version acted on
    from_version    integer,            -- deploy/rollback: live before
    to_version      integer,            -- deploy/rollback: live after
    reason          text,
    details         jsonb NOT NULL DEFAULT '{}',
    name_id         bigint,             -- which model of that name (model_names.name_id)
    session_user_name name NOT NULL,
    current_user_name name NOT NULL,
    backend_pid     integer NOT NULL,
    application_name text
);
CREATE INDEX audit_name_idx ON automl.audit (name, audit_id);

-- Scores lower-is-better metrics the other way round.
CREATE FUNCTION automl.metric_greater_is_better(metric text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    RETURN metric NOT IN ('rmse', 'mae', 'log_loss');

-- ---------------------------------------------------------------------------
-- Row-level security: a role sees the catalog rows of the models it owns
-- or holds a right on (superusers and the extension owner see everything).
-- ---------------------------------------------------------------------------

CREATE FUNCTION automl.can_see(name text) RETURNS boolean
AS 'MODULE_PATHNAME', 'automl_can_see'
LANGUAGE C STABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION automl.can_see(text) IS
'true when the current role owns the model or holds a right on it';

-- What a version holds of its training data (the data profile, the drift
-- reference, category levels and preprocessing statistics) is for the roles
-- that may train the name: its owner and train grantees.
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

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['model_names', 'model_privileges', 'deployments']
    LOOP
        EXECUTE format('ALTER TABLE automl.%I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY visible ON automl.%I FOR SELECT USING (automl.can_see(name))', t);
    END LOOP;
END
$$;

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

-- Audit rows belong to the model they were written for: once a name is
-- dropped and trained again, the new owner does not see the old model's rows.
ALTER TABLE automl.audit ENABLE ROW LEVEL SECURITY;
CREATE POLICY visible ON automl.audit FOR SELECT
    USING (automl.can_see(name) AND
           name_id = (SELECT n.name_id FROM automl.model_names n WHERE n.name = audit.name));

-- The audit trail cannot be changed, except by superusers.
CREATE FUNCTION automl._audit_append_only() RETURNS trigger
AS 'MODULE_PATHNAME', 'automl_audit_append_only' LANGUAGE C;
CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON automl.audit
    FOR EACH STATEMENT EXECUTE FUNCTION automl._audit_append_only();

-- Catalog changes invalidate the per-backend model and deployment caches of
-- every backend (and of hot standbys) when they commit.
CREATE FUNCTION automl._invalidate_cache() RETURNS trigger
    AS 'MODULE_PATHNAME', 'automl_invalidate_cache' LANGUAGE C;

CREATE TRIGGER deployments_invalidate AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON automl.deployments FOR EACH STATEMENT EXECUTE FUNCTION automl._invalidate_cache();
CREATE TRIGGER models_invalidate AFTER DELETE OR TRUNCATE
    ON automl.model_table FOR EACH STATEMENT EXECUTE FUNCTION automl._invalidate_cache();
CREATE TRIGGER model_data_invalidate AFTER UPDATE OR DELETE OR TRUNCATE
    ON automl.model_data FOR EACH STATEMENT EXECUTE FUNCTION automl._invalidate_cache();
CREATE TRIGGER model_privileges_invalidate AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON automl.model_privileges FOR EACH STATEMENT EXECUTE FUNCTION automl._invalidate_cache();
CREATE TRIGGER model_names_invalidate AFTER UPDATE OR DELETE OR TRUNCATE
    ON automl.model_names FOR EACH STATEMENT EXECUTE FUNCTION automl._invalidate_cache();

-- A job that ends without a model (failed, cancelled, or marked failed because
-- its worker died: killed, server restart) ends its run too, so no run stays
-- 'running' with nobody running it.  (Job rows are written as the extension
-- owner only.)
CREATE FUNCTION automl._job_ended() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    UPDATE automl.runs SET status = 'failed', finished_at = coalesce(NEW.finished_at, now())
     WHERE run_id = NEW.run_id AND status = 'running';
    RETURN NULL;
END
$$;
CREATE TRIGGER job_table_run_ended AFTER UPDATE OF state ON automl.job_table
    FOR EACH ROW WHEN (NEW.state IN ('failed', 'cancelled') AND NEW.run_id IS NOT NULL)
    EXECUTE FUNCTION automl._job_ended();

-- ---------------------------------------------------------------------------
-- Views (security_invoker: they show what the querying role may see)
-- ---------------------------------------------------------------------------

-- The model versions a role may see.  What a version holds of its training
-- data is shown only to the roles that may train the name (can_read_data):
-- to the others, features lists the columns and feature names without
-- category levels or preprocessing statistics, and profile and
-- drift_reference are NULL, and diagnostics lack the regression's actual
-- and predicted values (a sample of the target).  The view runs as its owner (the table itself is
-- closed); security_barrier keeps a caller's functions from seeing hidden
-- rows before the filter.
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

-- Rank 1 is the kept model: ties go to the earlier trial, as in the search.
CREATE VIEW automl.leaderboard WITH (security_invoker = true) AS
SELECT r.name,
       r.version,
       r.run_id,
       row_number() OVER (PARTITION BY t.run_id
                          ORDER BY (t.status = 'ok') DESC,
                                   CASE WHEN automl.metric_greater_is_better(t.metric)
                                        THEN -t.score ELSE t.score END,
                                   t.trial) AS rank,
       t.trial,
       t.algorithm,
       t.hyperparameters,
       t.metric,
       t.score,
       t.score_std,
       t.fit_seconds,
       t.status
  FROM automl.trials t
  JOIN automl.runs r USING (run_id);

CREATE VIEW automl.deployed WITH (security_invoker = true) AS
SELECT DISTINCT ON (d.name)
       d.name, d.version, m.algorithm, m.metric, m.score, d.deployed_by, d.deployed_at
  FROM automl.deployments d
  JOIN automl.models m USING (name, version)
 ORDER BY d.name, d.deployment_id DESC;

-- ---------------------------------------------------------------------------
-- Training
-- ---------------------------------------------------------------------------

CREATE TYPE automl.train_result AS (
    name        text,
    version     integer,
    task        text,
    algorithm   text,
    metric      text,
    score       float8,
    trials      integer,
    rows        bigint,
    features    integer,
    seconds     float8
);

CREATE FUNCTION automl.train(
    name        text,
    source      text,
    target      text,
    task        text DEFAULT 'auto',
    metric      text DEFAULT NULL,
    time_budget interval DEFAULT '1 minute',
    max_trials  integer DEFAULT NULL,
    algorithms  text[] DEFAULT NULL,
    exclude     text[] DEFAULT NULL,
    options     jsonb DEFAULT '{}')
RETURNS automl.train_result
AS 'MODULE_PATHNAME', 'automl_train'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION automl.train(text, text, text, text, text, interval, integer, text[], text[], jsonb) IS
'train models on a table, view or query, keep the best as a new version of "name"';

-- The same training in a background worker; returns the job id at once.
CREATE FUNCTION automl.train_async(
    name        text,
    source      text,
    target      text,
    task        text DEFAULT 'auto',
    metric      text DEFAULT NULL,
    time_budget interval DEFAULT '1 minute',
    max_trials  integer DEFAULT NULL,
    algorithms  text[] DEFAULT NULL,
    exclude     text[] DEFAULT NULL,
    options     jsonb DEFAULT '{}')
RETURNS bigint
AS 'MODULE_PATHNAME', 'automl_train_async'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

-- Stop a job now (keep_best: end the search and store the best model so far).
CREATE FUNCTION automl.cancel(job bigint, keep_best boolean DEFAULT false) RETURNS text
AS 'MODULE_PATHNAME', 'automl_cancel'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;

-- Wait for a job to end (or the timeout); returns its state.
CREATE FUNCTION automl.wait(job bigint, timeout interval DEFAULT '1 hour') RETURNS text
AS 'MODULE_PATHNAME', 'automl_wait'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

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

CREATE FUNCTION automl.retrain(name text, version integer DEFAULT NULL,
    OUT name text, OUT version integer, OUT based_on integer, OUT algorithm text,
    OUT metric text, OUT score float8, OUT rows bigint, OUT data_changed boolean,
    OUT same_model boolean)
AS 'MODULE_PATHNAME', 'automl_retrain'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION automl.retrain(text, integer) IS
're-run the training of a version (default: the deployed one) with its recorded settings';

-- ---------------------------------------------------------------------------
-- Lifecycle: approve, deploy, roll back, drop; rights; export and import
-- ---------------------------------------------------------------------------

CREATE FUNCTION automl.approve(name text, version integer, reason text DEFAULT NULL)
RETURNS void
AS 'MODULE_PATHNAME', 'automl_approve'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

-- strategy: 'specific' (the version given), 'best' (best CV score), 'latest'
CREATE FUNCTION automl.deploy(name text, version integer DEFAULT NULL,
                              strategy text DEFAULT 'specific', reason text DEFAULT NULL)
RETURNS integer
AS 'MODULE_PATHNAME', 'automl_deploy'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION automl.rollback(name text, reason text DEFAULT NULL) RETURNS integer
AS 'MODULE_PATHNAME', 'automl_rollback'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION automl.drop(name text, version integer DEFAULT NULL) RETURNS void
AS 'MODULE_PATHNAME', 'automl_drop'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION automl.grant(name text, privilege text, grantee name) RETURNS void
AS 'MODULE_PATHNAME', 'automl_grant'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION automl.revoke(name text, privilege text, grantee name) RETURNS void
AS 'MODULE_PATHNAME', 'automl_revoke'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION automl.export(name text, version integer DEFAULT NULL) RETURNS jsonb
AS 'MODULE_PATHNAME', 'automl_export'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION automl.import(document jsonb, name text DEFAULT NULL)
RETURNS automl.train_result
AS 'MODULE_PATHNAME', 'automl_import'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

-- ---------------------------------------------------------------------------
-- Scoring: the deployed version of a name is resolved once per statement.
-- ---------------------------------------------------------------------------

-- The planner rewrites predict(name, t) on a table's whole row into a call
-- of the matching _predict*_cols function with just the model's columns
-- (plan_support.c), so no whole-row value is built per row.  The version
-- deployed when the statement was planned is passed along, so a deploy that
-- commits between planning and execution cannot change the model under it;
-- the plan depends on the catalog, so the next statement sees the deploy.
CREATE FUNCTION automl._predict_support(internal) RETURNS internal
AS 'MODULE_PATHNAME', 'automl_predict_support' LANGUAGE C STRICT;

CREATE FUNCTION automl._predict_cols(name text, version int, columns text[], rowid tid, VARIADIC "any")
RETURNS float8
AS 'MODULE_PATHNAME', 'automl_predict_cols'
LANGUAGE C STABLE PARALLEL SAFE;

CREATE FUNCTION automl._predict_label_cols(name text, version int, columns text[], rowid tid, VARIADIC "any")
RETURNS text
AS 'MODULE_PATHNAME', 'automl_predict_label_cols'
LANGUAGE C STABLE PARALLEL SAFE;

CREATE FUNCTION automl._predict_proba_cols(name text, version int, columns text[], rowid tid, VARIADIC "any")
RETURNS float8[]
AS 'MODULE_PATHNAME', 'automl_predict_proba_cols'
LANGUAGE C STABLE PARALLEL SAFE;

CREATE FUNCTION automl.predict(name text, "row" anyelement) RETURNS float8
AS 'MODULE_PATHNAME', 'automl_predict_row'
LANGUAGE C STABLE STRICT PARALLEL SAFE SUPPORT automl._predict_support;

CREATE FUNCTION automl.predict(name text, features float8[]) RETURNS float8
AS 'MODULE_PATHNAME', 'automl_predict_array'
LANGUAGE C STABLE STRICT PARALLEL SAFE;

CREATE FUNCTION automl.predict_label(name text, "row" anyelement) RETURNS text
AS 'MODULE_PATHNAME', 'automl_predict_label'
LANGUAGE C STABLE STRICT PARALLEL SAFE SUPPORT automl._predict_support;

CREATE FUNCTION automl.predict_proba(name text, "row" anyelement) RETURNS float8[]
AS 'MODULE_PATHNAME', 'automl_predict_proba'
LANGUAGE C STABLE STRICT PARALLEL SAFE SUPPORT automl._predict_support;

-- A fixed version: the result depends only on the arguments (versions never
-- change once stored), so the planner may fold it and it can back an index.
CREATE FUNCTION automl.predict(name text, version integer, "row" anyelement) RETURNS float8
AS 'MODULE_PATHNAME', 'automl_predict_row'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION automl.predict_label(name text, version integer, "row" anyelement) RETURNS text
AS 'MODULE_PATHNAME', 'automl_predict_label'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION automl.predict_proba(name text, version integer, "row" anyelement) RETURNS float8[]
AS 'MODULE_PATHNAME', 'automl_predict_proba'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- Per-feature contributions of one prediction, in the model's margin space
-- (the value, the log-odds of the class, or its softmax margin); with the
-- "(base)" row they sum exactly to that margin.
CREATE FUNCTION automl.explain(name text, "row" anyelement, top_k integer DEFAULT NULL,
                               class text DEFAULT NULL)
RETURNS TABLE (feature text, value text, contribution float8)
AS 'MODULE_PATHNAME', 'automl_explain'
LANGUAGE C STABLE PARALLEL SAFE ROWS 10;

CREATE FUNCTION automl.explain_json(name text, "row" anyelement, top_k integer DEFAULT NULL,
                                    class text DEFAULT NULL)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'automl_explain_json'
LANGUAGE C STABLE PARALLEL SAFE;

-- Score a whole table or query in blocks (for jobs that store predictions).
CREATE FUNCTION automl.predict_table(name text, source text, key text DEFAULT NULL,
                                     version integer DEFAULT NULL)
RETURNS TABLE (key text, prediction float8, label text, probabilities float8[])
AS 'MODULE_PATHNAME', 'automl_predict_table'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 1000;

CREATE FUNCTION automl.classes(name text) RETURNS text[]
AS 'MODULE_PATHNAME', 'automl_classes'
LANGUAGE C STABLE STRICT PARALLEL SAFE;

CREATE FUNCTION automl.feature_names(name text) RETURNS text[]
AS 'MODULE_PATHNAME', 'automl_feature_names'
LANGUAGE C STABLE STRICT PARALLEL SAFE;

CREATE FUNCTION automl.feature_importance(name text,
    OUT feature text, OUT importance float8, OUT splits float8)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'automl_feature_importance'
LANGUAGE C STABLE STRICT PARALLEL SAFE;

-- ---------------------------------------------------------------------------
-- Looking at data and models: drift, fairness, profile (api_insight.c)
-- ---------------------------------------------------------------------------

-- Compare a source with the distributions recorded at training: PSI and a
-- two-sample KS statistic per feature, the prediction distribution, and a
-- summary row.  ks_threshold defaults to the 1% critical value (at least 0.1).
CREATE FUNCTION automl.drift(name text, source text,
    psi_threshold float8 DEFAULT 0.2, ks_threshold float8 DEFAULT NULL,
    version integer DEFAULT NULL)
RETURNS TABLE (feature text, kind text, psi float8, ks float8,
               missing_reference float8, missing_current float8, drifted boolean)
AS 'MODULE_PATHNAME', 'automl_drift'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 20;

-- Per-group rates and errors of a model on a labelled source, with each
-- group's ratio to the best-off group (for error and false positive rates:
-- to the lowest).
CREATE FUNCTION automl.fairness(name text, source text, group_column text,
    positive_class text DEFAULT NULL, version integer DEFAULT NULL)
RETURNS TABLE (group_value text, rows bigint, selection_rate float8,
               true_positive_rate float8, false_positive_rate float8, "precision" float8,
               accuracy float8, mean_absolute_error float8, rmse float8,
               selection_rate_ratio float8, true_positive_rate_ratio float8,
               false_positive_rate_ratio float8, precision_ratio float8,
               accuracy_ratio float8, error_ratio float8)
AS 'MODULE_PATHNAME', 'automl_fairness'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 10;

-- A table or query, column by column, and the role each column would play
-- in training on target.
CREATE FUNCTION automl.profile(source text, target text DEFAULT NULL)
RETURNS TABLE (column_name text, type text, kind text, rows bigint, nulls bigint,
               null_share float8, distinct_values bigint, min text, max text,
               mean float8, quantiles float8[], top_values text[], role text)
AS 'MODULE_PATHNAME', 'automl_profile'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 20;

-- ---------------------------------------------------------------------------
-- The report: one self-contained HTML page (inline SVG, no script) per
-- version.  The document is gathered here, through the catalog's row-level
-- security, so a report shows only what its reader may see.
-- ---------------------------------------------------------------------------

CREATE FUNCTION automl.report_document(name text, version integer DEFAULT NULL) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp
AS $$
SELECT jsonb_build_object(
    'model', jsonb_build_object(
        'name', m.name, 'version', m.version, 'task', m.task, 'algorithm', m.algorithm,
        'metric', m.metric, 'score', m.score, 'score_std', m.score_std, 'status', m.status,
        'created_by', m.created_by, 'created_at', m.created_at, 'n_rows', m.n_rows,
        'n_features', m.n_features, 'source', m.source, 'target', m.target,
        'classes', m.classes, 'hyperparameters', m.hyperparameters, 'lineage', m.lineage,
        'extension_version', m.extension_version, 'data_fingerprint', m.data_fingerprint,
        'train_seconds', m.train_seconds, 'trials', m.trials, 'metrics', m.metrics),
    'trials', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                   'trial', t.trial, 'algorithm', t.algorithm, 'score', t.score,
                   'score_std', t.score_std, 'fit_seconds', t.fit_seconds,
                   'elapsed_seconds', t.elapsed_seconds, 'status', t.status,
                   'hyperparameters', t.hyperparameters, 'error', t.error) ORDER BY t.trial), '[]')
                 FROM automl.trials t WHERE t.run_id = m.run_id),
    'diagnostics', m.diagnostics - 'importance' - 'importance_kind',
    'importance', coalesce(m.diagnostics->'importance', '[]'),
    'importance_kind', m.diagnostics->'importance_kind',
    'profile', m.profile,
    'warnings', (SELECT coalesce(to_jsonb(r.warnings), '[]') FROM automl.runs r
                  WHERE r.run_id = m.run_id))
  FROM automl.models m
 WHERE m.name = report_document.name
   AND m.version = coalesce(report_document.version,
                            (SELECT d.version FROM automl.deployed d
                              WHERE d.name = report_document.name))
$$;

CREATE FUNCTION automl._render_report(document text) RETURNS text
AS 'MODULE_PATHNAME', 'automl_render_report'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION automl.report(name text, version integer DEFAULT NULL) RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    doc jsonb := automl.report_document(name, version);
BEGIN
    IF doc IS NULL THEN
        IF version IS NULL THEN
            RAISE EXCEPTION 'model "%" does not exist or has no deployed version', name
                USING ERRCODE = 'undefined_object',
                      HINT = 'Pass a version, or check automl.models for the names you can see.';
        END IF;
        RAISE EXCEPTION 'model "%" version % does not exist', name, version
            USING ERRCODE = 'undefined_object';
    END IF;
    RETURN automl._render_report(doc::text);
END
$$;

-- ---------------------------------------------------------------------------
-- Safe defaults: nothing is usable until a DBA grants it (see README,
-- "Privileges" and SECURITY.md).  The metadata tables are readable through
-- RLS by roles with USAGE on the schema.
-- ---------------------------------------------------------------------------

-- Only what is granted below: not even a default privilege (ALTER DEFAULT
-- PRIVILEGES) of the installing role reaches the extension's objects.
REVOKE ALL ON ALL TABLES IN SCHEMA automl FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA automl FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA automl FROM PUBLIC;
DO $$
DECLARE
    o record;
BEGIN
    FOR o IN
        SELECT 'TABLE' AS kind, c.oid::pg_catalog.regclass::pg_catalog.text AS object, a.grantee
          FROM pg_catalog.pg_class c, pg_catalog.aclexplode(c.relacl) a
         WHERE c.relnamespace = 'automl'::pg_catalog.regnamespace AND a.grantee <> c.relowner
        UNION
        SELECT 'FUNCTION', p.oid::pg_catalog.regprocedure::pg_catalog.text, a.grantee
          FROM pg_catalog.pg_proc p, pg_catalog.aclexplode(p.proacl) a
         WHERE p.pronamespace = 'automl'::pg_catalog.regnamespace AND a.grantee <> p.proowner
        UNION
        SELECT 'TYPE', t.oid::pg_catalog.regtype::pg_catalog.text, a.grantee
          FROM pg_catalog.pg_type t, pg_catalog.aclexplode(t.typacl) a
         WHERE t.typnamespace = 'automl'::pg_catalog.regnamespace AND a.grantee <> t.typowner AND a.grantee <> 0
        UNION
        SELECT 'SCHEMA', 'automl', a.grantee
          FROM pg_catalog.pg_namespace n, pg_catalog.aclexplode(n.nspacl) a
         WHERE n.nspname = 'automl' AND a.grantee <> n.nspowner
    LOOP
        EXECUTE pg_catalog.format('REVOKE ALL ON %s %s FROM %s', o.kind, o.object,
                                  CASE WHEN o.grantee = 0 THEN 'PUBLIC'
                                       ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(o.grantee)) END);
    END LOOP;
END
$$;
GRANT SELECT ON automl.model_names, automl.model_privileges, automl.runs, automl.models,
    automl.trials, automl.deployments, automl.audit, automl.leaderboard, automl.deployed,
    automl.job_table, automl.jobs TO PUBLIC;
GRANT EXECUTE ON FUNCTION automl.can_see(text), automl.can_read_data(text),
    automl.can_see_job(regrole, text, bigint), automl.metric_greater_is_better(text) TO PUBLIC;

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
