-- bad_input: the table-driven matrix of hostile and degenerate inputs across
-- train, predict, explain, deploy and import.  Each case runs in its own
-- subtransaction; the outcome is "ok" or the SQLSTATE and message.  None may
-- crash the backend, and the failures leave nothing in the catalog.
SET automl.progress = off;
SET client_min_messages = warning;

-- data for the cases
CREATE TABLE bad_base AS
SELECT i, (i % 10)::float8 + (i % 7) / 10.0 AS x, CASE i % 3 WHEN 0 THEN 'red' WHEN 1 THEN 'green' ELSE 'blue' END AS c,
       CASE WHEN i % 10 < 5 THEN 'a' ELSE 'b' END AS y
  FROM generate_series(1, 200) i;
CREATE TABLE bad_empty (x float8, y text);
CREATE TABLE bad_huge_cat AS
SELECT i, 'v' || (i % 5000) AS c, (i % 11)::float8 AS x, CASE WHEN i % 4 = 0 THEN 'a' ELSE 'b' END AS y
  FROM generate_series(1, 20000) i;
DO $$
BEGIN
    EXECUTE (SELECT 'CREATE TABLE bad_wide AS SELECT i, ' ||
                    string_agg(format('((i * %s) %% 97)::float8 AS f%s', k, k), ', ') ||
                    ', CASE WHEN i % 2 = 0 THEN ''a'' ELSE ''b'' END AS y FROM generate_series(1, 300) i'
               FROM generate_series(1, 1000) k);
END
$$;
CREATE TABLE "données" ("größe" float8, "Weird ""Name"" col" text, "étiquette" text);
INSERT INTO "données"
SELECT (i % 13)::float8, CASE WHEN i % 2 = 0 THEN 'ü' ELSE '"q' END, CASE WHEN i % 3 = 0 THEN 'oui' ELSE 'non' END
  FROM generate_series(1, 150) i;
-- the models the scoring cases use
SELECT name FROM automl.train('bad_m', 'SELECT x, c, y FROM bad_base', 'y', algorithms => '{linear}', max_trials => 1);
SELECT name FROM automl.train('bad_r', 'SELECT x, c, i::float8 AS t FROM bad_base', 't', algorithms => '{linear}',
                              max_trials => 1);

CREATE TABLE cases (id serial PRIMARY KEY, area text, label text, stmt text, expect text);
INSERT INTO cases (area, label, stmt, expect) VALUES
-- train: sources
('train', 'empty table', $$SELECT automl.train('bad_x', 'bad_empty', 'y')$$, 'error'),
('train', 'one row', $$SELECT automl.train('bad_x', 'SELECT 1.0::float8 AS x, ''a'' AS y', 'y')$$, 'error'),
('train', 'two rows of two classes', $$SELECT automl.train('bad_x', 'SELECT x, y FROM bad_base WHERE i IN (1, 6)', 'y')$$, 'error'),
('train', 'target NULL in every row', $$SELECT automl.train('bad_x', 'SELECT x, NULL::text AS y FROM bad_base', 'y')$$, 'error'),
('train', 'missing target column', $$SELECT automl.train('bad_x', 'bad_base', 'nope')$$, 'error'),
('train', 'missing table', $$SELECT automl.train('bad_x', 'no_such_table', 'y')$$, 'error'),
('train', 'syntax error in the query', $$SELECT automl.train('bad_x', 'SELECT x, y FROM', 'y')$$, 'error'),
('train', 'query that deletes', $$SELECT automl.train('bad_x', 'WITH d AS (DELETE FROM bad_base RETURNING *) SELECT * FROM d', 'y')$$, 'error'),
('train', 'two statements', $$SELECT automl.train('bad_x', 'SELECT x, y FROM bad_base; DROP TABLE bad_base', 'y')$$, 'error'),
('train', 'SELECT INTO', $$SELECT automl.train('bad_x', 'SELECT x, y INTO bad_copy FROM bad_base', 'y')$$, 'error'),
('train', 'query calling a volatile writer', $$SELECT automl.train('bad_x', 'SELECT x, y, nextval(''cases_id_seq'') AS n FROM bad_base', 'y')$$, 'error'),
('train', 'duplicate column names', $$SELECT automl.train('bad_x', 'SELECT x, x, y FROM bad_base', 'y')$$, 'error'),
-- train: columns and values
('train', 'all features NULL', $$SELECT automl.train('bad_x', 'SELECT NULL::float8 AS x, y FROM bad_base', 'y')$$, 'error'),
('train', 'all features constant', $$SELECT automl.train('bad_x', 'SELECT 1.0::float8 AS x, ''k'' AS c, y FROM bad_base', 'y')$$, 'error'),
('train', 'a single class', $$SELECT automl.train('bad_x', 'SELECT x, ''a'' AS y FROM bad_base', 'y')$$, 'error'),
('train', 'a class with one row', $$SELECT automl.train('bad_one', 'SELECT x, c, CASE WHEN i = 1 THEN ''z'' ELSE y END AS y FROM bad_base', 'y', algorithms => '{linear}', max_trials => 1)$$, 'ok'),
('train', 'NaN feature', $$SELECT automl.train('bad_x', 'SELECT CASE WHEN i = 7 THEN ''NaN''::float8 ELSE x END AS x, y FROM bad_base', 'y')$$, 'error'),
('train', '+Infinity feature', $$SELECT automl.train('bad_x', 'SELECT CASE WHEN i = 7 THEN ''Infinity''::float8 ELSE x END AS x, y FROM bad_base', 'y')$$, 'error'),
('train', '-Infinity numeric feature', $$SELECT automl.train('bad_x', 'SELECT CASE WHEN i = 7 THEN ''-Infinity''::numeric ELSE x::numeric END AS x, y FROM bad_base', 'y')$$, 'error'),
('train', 'numeric beyond float8', $$SELECT automl.train('bad_x', 'SELECT CASE WHEN i = 7 THEN 1e400::numeric ELSE x::numeric END AS x, y FROM bad_base', 'y')$$, 'error'),
('train', 'NaN regression target', $$SELECT automl.train('bad_x', 'SELECT c, CASE WHEN i = 7 THEN ''NaN''::float8 ELSE x END AS t FROM bad_base', 't')$$, 'error'),
('train', 'jsonb target', $$SELECT automl.train('bad_x', 'SELECT x, ''{}''::jsonb AS y FROM bad_base', 'y')$$, 'error'),
('train', '5000-level categorical', $$SELECT automl.train('bad_cat', 'bad_huge_cat', 'y', exclude => '{i}', algorithms => '{linear}', max_trials => 1)$$, 'ok'),
('train', '1000 columns', $$SELECT automl.train('bad_wide', 'bad_wide', 'y', exclude => '{i}', algorithms => '{linear}', max_trials => 1)$$, 'ok'),
('train', 'non-ASCII and quoted identifiers', $$SELECT automl.train('bad_ü', '"données"', 'étiquette', algorithms => '{linear}', max_trials => 1)$$, 'ok'),
-- train: arguments and options
('train', 'NULL name', $$SELECT automl.train(NULL, 'bad_base', 'y')$$, 'error'),
('train', 'name too long', $$SELECT automl.train(repeat('n', 64), 'bad_base', 'y')$$, 'error'),
('train', 'negative time budget', $$SELECT automl.train('bad_x', 'bad_base', 'y', time_budget => '-5 s')$$, 'error'),
('train', 'negative max_trials', $$SELECT automl.train('bad_x', 'bad_base', 'y', max_trials => -1)$$, 'error'),
('train', 'unknown task', $$SELECT automl.train('bad_x', 'bad_base', 'y', task => 'clustering')$$, 'error'),
('train', 'metric of another task', $$SELECT automl.train('bad_x', 'bad_base', 'y', metric => 'rmse')$$, 'error'),
('train', 'unknown algorithm', $$SELECT automl.train('bad_x', 'bad_base', 'y', algorithms => '{linear,magic}')$$, 'error'),
('train', 'options not an object', $$SELECT automl.train('bad_x', 'bad_base', 'y', options => '[1, 2]')$$, 'error'),
('train', 'unknown option', $$SELECT automl.train('bad_x', 'bad_base', 'y', options => '{"sede": 1}')$$, 'error'),
('train', 'cv_folds 1', $$SELECT automl.train('bad_x', 'bad_base', 'y', options => '{"cv_folds": 1}')$$, 'error'),
('train', 'more folds than rows', $$SELECT automl.train('bad_x', 'SELECT x, y FROM bad_base WHERE i <= 8', 'y', options => '{"cv_folds": 10}')$$, 'error'),
('train', 'absurd seed', $$SELECT automl.train('bad_x', 'bad_base', 'y', options => '{"seed": -1e300}')$$, 'error'),
('train', 'negative regularisation', $$SELECT automl.train('bad_x', 'bad_base', 'y', options => '{"hyperparameters": {"linear": {"alpha": -1}}}')$$, 'error'),
('train', 'exclude the target', $$SELECT automl.train('bad_x', 'bad_base', 'y', exclude => '{y}')$$, 'error'),
-- predict
('predict', 'unknown model', $$SELECT automl.predict_label('bad_nope', b) FROM bad_base b LIMIT 1$$, 'error'),
('predict', 'row without a column', $$SELECT automl.predict_label('bad_m', t) FROM (SELECT x FROM bad_base) t LIMIT 1$$, 'error'),
('predict', 'row with extra columns', $$SELECT automl.predict_label('bad_m', b) FROM bad_base b LIMIT 1$$, 'ok'),
('predict', 'text where a number was trained', $$SELECT automl.predict_label('bad_m', t) FROM (SELECT 'ten'::text AS x, c FROM bad_base) t LIMIT 1$$, 'error'),
('predict', 'number where a category was trained', $$SELECT automl.predict_label('bad_m', t) FROM (SELECT x, 42 AS c FROM bad_base) t LIMIT 1$$, 'ok'),
('predict', 'unknown category', $$SELECT automl.predict_label('bad_m', t) FROM (SELECT 1.0::float8 AS x, 'purple' AS c) t$$, 'ok'),
('predict', 'NaN feature', $$SELECT automl.predict_label('bad_m', t) FROM (SELECT 'NaN'::float8 AS x, 'red' AS c) t$$, 'error'),
('predict', 'Infinity feature', $$SELECT automl.predict('bad_r', t) FROM (SELECT 'Infinity'::float8 AS x, 'red' AS c) t$$, 'error'),
('predict', 'NULL row', $$SELECT automl.predict_label('bad_m', NULL::bad_base)$$, 'ok'),
('predict', 'scalar instead of a row', $$SELECT automl.predict_label('bad_m', 42)$$, 'error'),
('predict', 'array of the wrong length', $$SELECT automl.predict('bad_r', ARRAY[1, 2, 3]::float8[])$$, 'error'),
('predict', 'two-dimensional array', $$SELECT automl.predict('bad_r', ARRAY[[1], [2]]::float8[])$$, 'error'),
('predict', 'probabilities of a regressor', $$SELECT automl.predict_proba('bad_r', b) FROM bad_base b LIMIT 1$$, 'error'),
('predict', 'version that does not exist', $$SELECT automl.predict('bad_r', 99, b) FROM bad_base b LIMIT 1$$, 'error'),
('predict', 'batch scoring of a missing source', $$SELECT * FROM automl.predict_table('bad_m', 'no_such_table')$$, 'error'),
-- explain
('explain', 'unknown model', $$SELECT automl.explain_json('bad_nope', b) FROM bad_base b LIMIT 1$$, 'error'),
('explain', 'negative top_k', $$SELECT automl.explain_json('bad_m', b, top_k => -1) FROM bad_base b LIMIT 1$$, 'error'),
('explain', 'row without a column', $$SELECT automl.explain_json('bad_m', t) FROM (SELECT c FROM bad_base) t LIMIT 1$$, 'error'),
-- deploy
('deploy', 'version that does not exist', $$SELECT automl.deploy('bad_m', 9)$$, 'error'),
('deploy', 'NULL name', $$SELECT automl.deploy(NULL, 1)$$, 'error'),
('deploy', 'rollback with nothing before', $$SELECT automl.rollback('bad_m')$$, 'error'),
('deploy', 'drop of an unknown model', $$SELECT automl.drop('bad_nope')$$, 'error'),
-- import
('import', 'empty document', $$SELECT automl.import('{}')$$, 'error'),
('import', 'not a model document', $$SELECT automl.import('{"format": "other"}')$$, 'error'),
('import', 'bytes that are not base64', $$SELECT automl.import(jsonb_set(automl.export('bad_m'), '{model}', '"%%%"'), 'bad_imp')$$, 'error'),
('import', 'bytes cut short', $$SELECT automl.import(jsonb_set(automl.export('bad_m'), '{model}', to_jsonb(left(automl.export('bad_m')->>'model', 40))), 'bad_imp')$$, 'error'),
('import', 'one byte flipped', $$SELECT automl.import(jsonb_set(automl.export('bad_m'), '{model}', to_jsonb(encode(overlay(decode(automl.export('bad_m')->>'model', 'base64') PLACING '\xff'::bytea FROM 60 FOR 1), 'base64'))), 'bad_imp')$$, 'error'),
('import', 'future format version', $$SELECT automl.import(jsonb_set(automl.export('bad_m'), '{format_version}', '999'), 'bad_imp')$$, 'error'),
('import', 'metadata of another model', $$SELECT automl.import(jsonb_set(automl.export('bad_m'), '{classes}', '["x", "y"]'), 'bad_imp')$$, 'error');

DO $$
DECLARE
    c record;
    state text;
    msg text;
BEGIN
    FOR c IN SELECT * FROM cases ORDER BY id LOOP
        BEGIN
            EXECUTE c.stmt;
            state := 'ok';
            msg := NULL;
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
        END;
        UPDATE cases SET stmt = NULL, label = label, expect = expect || '|' || state || '|' || coalesce(msg, '')
         WHERE id = c.id;
    END LOOP;
END
$$;

SELECT id, area, label, split_part(expect, '|', 2) AS sqlstate, left(split_part(expect, '|', 3), 110) AS message
  FROM cases ORDER BY id;
-- every case behaved as expected: errors are errors (never an internal error,
-- XX000) and the handled cases succeeded
SELECT count(*) AS cases,
       count(*) FILTER (WHERE split_part(expect, '|', 1) = 'error') AS errors,
       bool_and(CASE split_part(expect, '|', 1)
                  WHEN 'ok' THEN split_part(expect, '|', 2) = 'ok'
                  ELSE split_part(expect, '|', 2) NOT IN ('ok', 'XX000') END) AS all_as_expected
  FROM cases;
-- what the handled cases produced
SELECT m.n_features, r.warnings
  FROM automl.models m JOIN automl.runs r USING (run_id) WHERE m.name = 'bad_cat';
SELECT name, n_features FROM automl.models WHERE name IN ('bad_wide', 'bad_ü', 'bad_one') ORDER BY name;
SELECT automl.predict_label('bad_ü', d) FROM "données" d LIMIT 1;
SELECT automl.classes('bad_one');
-- the failures left no models, runs or versions behind, and the data is intact
SELECT count(*) AS stray_models FROM automl.models WHERE name IN ('bad_x', 'bad_imp');
SELECT count(*) AS stray_names FROM automl.model_names WHERE name IN ('bad_x', 'bad_imp');
SELECT count(*) AS base_rows FROM bad_base;
SELECT version FROM automl.deployed WHERE name = 'bad_m';

SELECT automl.drop(name) FROM automl.model_names WHERE name LIKE 'bad\_%' ORDER BY name;
DROP TABLE bad_base, bad_empty, bad_huge_cat, bad_wide, "données", cases;
