-- errors: bad input gets a clear error (or a documented notice) and loses nothing.
SET automl.progress = off;
\set VERBOSITY default

CREATE TABLE t_ok AS
SELECT i, (i % 10)::float8 AS x, (i % 3)::float8 AS z, CASE WHEN i % 10 < 5 THEN 'a' ELSE 'b' END AS y
  FROM generate_series(1, 100) i;

-- empty source
CREATE TABLE t_empty (x float8, y text);
SELECT automl.train('e', 't_empty', 'y');
-- unknown target column
SELECT automl.train('e', 't_ok', 'nope');
-- unknown table
SELECT automl.train('e', 'no_such_table', 'y');
-- target NULL in every row
CREATE TABLE t_null_target AS SELECT x, NULL::text AS y FROM t_ok;
SELECT automl.train('e', 't_null_target', 'y');
-- some NULL targets are skipped with a notice
SELECT rows FROM automl.train('e_skip', 'SELECT x, z, CASE WHEN i > 90 THEN NULL ELSE y END AS y FROM t_ok', 'y',
                              max_trials => 1);
-- a single class
SELECT automl.train('e', 'SELECT x, ''a''::text AS y FROM t_ok', 'y');
-- binary requested for three classes
SELECT automl.train('e', 'SELECT x, (i % 3)::text AS y FROM t_ok', 'y', task => 'binary');
-- regression on a text target
SELECT automl.train('e', 't_ok', 'y', task => 'regression');
-- all-NULL and constant features are dropped with a notice; training goes on
SELECT features FROM automl.train('e_drop', 'SELECT x, NULL::float8 AS empty, 1.5::float8 AS const, ''k''::text AS label, y FROM t_ok',
                                  'y', exclude => '{}', max_trials => 1);
-- nothing usable left
SELECT automl.train('e', 'SELECT NULL::float8 AS empty, 1 AS const, y FROM t_ok', 'y');
SELECT automl.train('e', 'SELECT y FROM t_ok', 'y');
-- NaN and infinity
SELECT automl.train('e', 'SELECT CASE WHEN i = 7 THEN ''NaN''::float8 ELSE x END AS x, y FROM t_ok', 'y');
SELECT automl.train('e', 'SELECT CASE WHEN i = 7 THEN ''-Infinity''::numeric ELSE x::numeric END AS x, y FROM t_ok', 'y');
SELECT automl.train('e', 'SELECT x, CASE WHEN i = 7 THEN ''Infinity''::float8 ELSE z END AS y FROM t_ok', 'y',
                    task => 'regression');
-- unsupported column types are ignored with a notice; unsupported targets are errors
SELECT features FROM automl.train('e_json', 'SELECT x, ''{}''::jsonb AS j, y FROM t_ok', 'y', max_trials => 1);
SELECT automl.train('e', 'SELECT x, ''{}''::jsonb AS y FROM t_ok', 'y');
-- duplicate column names in a query
SELECT automl.train('e', 'SELECT x, x, y FROM t_ok', 'y');
-- only single SELECT queries, and nothing that writes
SELECT automl.train('e', 'SELECT x, y FROM t_ok; SELECT 1', 'y');
SELECT automl.train('e', 'WITH d AS (DELETE FROM t_ok RETURNING *) SELECT * FROM d', 'y');
SELECT automl.train('e', 'SELECT x, y FROM t_ok FOR UPDATE', 'y');
SELECT automl.train('e', 'SELECT x, y INTO t_copy FROM t_ok', 'y');
SELECT automl.train('e', 'SELECT x, y FROM', 'y');
SELECT count(*) FROM t_ok;
-- arguments
SELECT automl.train(NULL, 't_ok', 'y');
SELECT automl.train('', 't_ok', 'y');
SELECT automl.train(repeat('n', 64), 't_ok', 'y');
SELECT automl.train('e', 't_ok', 'y', task => 'clustering');
SELECT automl.train('e', 't_ok', 'y', metric => 'auc');
SELECT automl.train('e', 't_ok', 'y', metric => 'rmse');
SELECT automl.train('e', 't_ok', 'y', time_budget => '0 s');
SELECT automl.train('e', 't_ok', 'y', max_trials => 0);
SELECT automl.train('e', 't_ok', 'y', algorithms => '{linear,magic}');
SELECT automl.train('e', 't_ok', 'y', algorithms => '{}');
SELECT automl.train('e', 't_ok', 'y', exclude => '{nope}');
SELECT automl.train('e', 't_ok', 'y', options => '{"sede": 1}');
SELECT automl.train('e', 't_ok', 'y', options => '{"cv_folds": 50}');
SELECT automl.train('e', 't_ok', 'y', options => '[1, 2]');
SELECT automl.train('e', 't_ok', 'y', options => '{"hyperparameters": {"linear": {"alpha": -1}}}');
SELECT automl.train('e', 't_ok', 'y', options => '{"hyperparameters": {"linear": {"gamma": 1}}}');
SELECT automl.train('e', 'SELECT x, y FROM t_ok LIMIT 3', 'y');
SELECT automl.train('e', 'SELECT x, y FROM t_ok WHERE i IN (1, 6)', 'y');
SELECT automl.train('e', 'SELECT 1.0 AS x, ''a'' AS y', 'y');
-- read-only transactions cannot train or deploy
BEGIN READ ONLY;
SELECT automl.train('e', 't_ok', 'y');
ROLLBACK;
-- none of the failures above left anything behind
SELECT count(*) AS models FROM automl.models WHERE name = 'e';
SELECT name FROM automl.models WHERE name LIKE 'e%' ORDER BY model_id;

-- scoring errors
SELECT name, version FROM automl.train('m', 't_ok', 'y', max_trials => 1);
SELECT automl.predict_label('nope', t) FROM t_ok t LIMIT 1;
SELECT automl.predict_label('m', t) FROM (SELECT i, z, y FROM t_ok) t LIMIT 1;
SELECT automl.predict_label('m', t) FROM (SELECT i, 'ten'::text AS x, z, y FROM t_ok) t LIMIT 1;
SELECT automl.predict_label('m', 42);
SELECT automl.predict('m', t) FROM t_ok t LIMIT 1;
SELECT automl.predict_label('m', t) FROM (SELECT 'NaN'::float8 AS x, z FROM t_ok) t LIMIT 1;
SELECT automl.predict('m', ARRAY[1, 2, 3]::float8[]);
SELECT automl.predict('m', ARRAY[[1], [2]]::float8[]);
-- NULL features are missing values, not errors; extra columns are ignored
SELECT automl.predict_label('m', t) IS NOT NULL AS scored
  FROM (SELECT NULL::float8 AS x, NULL::float8 AS z, 'extra' AS w) t;
SELECT automl.predict_label('m', NULL::t_ok);
-- an integer column where a float8 was trained is fine
SELECT automl.predict_label('m', t) IS NOT NULL AS scored FROM (SELECT 3 AS x, 1 AS z) t;
SELECT name, version FROM automl.train('r', 't_ok', 'x', task => 'regression', exclude => '{i}', max_trials => 1);
SELECT automl.predict_label('r', t) FROM t_ok t LIMIT 1;
SELECT automl.predict_proba('r', t) FROM t_ok t LIMIT 1;
SELECT automl.classes('r') IS NULL AS no_classes;
SELECT automl.classes('nope');
-- deploy errors
SELECT automl.deploy('nope', 1);
SELECT automl.deploy('m', 9);
SELECT automl.deploy('m', NULL);
SELECT automl.deploy(NULL, 1);
BEGIN READ ONLY;
SELECT automl.deploy('m', 1);
ROLLBACK;

-- a model whose bytes were damaged is refused, never trusted
UPDATE automl.model_data SET data = overlay(data PLACING '\xff'::bytea FROM 40 FOR 1)
 WHERE model_id = (SELECT model_id FROM automl.models WHERE name = 'm');
SELECT automl.predict_label('m', t) FROM t_ok t LIMIT 1;
UPDATE automl.model_data SET data = substr(data, 1, 30)
 WHERE model_id = (SELECT model_id FROM automl.models WHERE name = 'm');
SELECT automl.predict_label('m', t) FROM t_ok t LIMIT 1;
UPDATE automl.model_data SET data = '\x00'::bytea
 WHERE model_id = (SELECT model_id FROM automl.models WHERE name = 'm');
SELECT automl.predict_label('m', t) FROM t_ok t LIMIT 1;

-- over automl.memory_limit the search trains on a stratified sample that fits
SET automl.memory_limit = '1MB';
\set VERBOSITY terse
SELECT rows < 5000 AS sampled, rows >= 500 AS enough FROM automl.train('e_sample', 'mlc_churn', 'churn', exclude => '{id}',
                                                                        max_trials => 2);
SELECT rows_read, rows_used < rows_read AS sampled, peak_memory_kb <= 1024 + 64 AS within_limit
  FROM automl.runs WHERE name = 'e_sample';
-- ... unless not even a small sample fits: 300 columns, 2.4 kB a row
DO $$ BEGIN
  EXECUTE 'CREATE TABLE t_wide AS SELECT ' ||
          (SELECT string_agg(format('random() AS c%s', i), ', ') FROM generate_series(1, 300) i) ||
          ', (i % 2)::text AS y FROM generate_series(1, 50) i';
END $$;
\set VERBOSITY default
SELECT automl.train('e', 't_wide', 'y');
RESET automl.memory_limit;
