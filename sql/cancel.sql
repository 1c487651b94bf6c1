-- cancel: statement_timeout stops a training within a second, in every phase,
-- and leaves the session and the catalog as they were.
SET automl.progress = off;
\set VERBOSITY terse

-- 600,000 rows x 21 columns: reading them takes a few seconds here
CREATE TABLE big AS
SELECT i,
       random() AS f1, random() AS f2, random() AS f3, random() AS f4, random() AS f5,
       random() AS f6, random() AS f7, random() AS f8, random() AS f9, random() AS f10,
       random() AS f11, random() AS f12, random() AS f13, random() AS f14, random() AS f15,
       (i % 13)::text AS c1, (i % 7)::text AS c2, random() AS f16, random() AS f17,
       random() AS f18,
       CASE WHEN random() < 0.3 THEN 'yes' ELSE 'no' END AS y
  FROM generate_series(1, 600000) i;

-- cancelled while loading
SET statement_timeout = '300ms';
SELECT clock_timestamp() AS t0 \gset
SELECT * FROM automl.train('big', 'big', 'y', exclude => '{i}');
RESET statement_timeout;
SELECT clock_timestamp() - :'t0'::timestamptz < interval '1.3 s' AS stopped_within_a_second;

-- cancelled while searching (loading a 60,000-row sample takes well under 2 s)
CREATE TABLE big_sample AS SELECT * FROM big WHERE i % 10 = 0;
SET statement_timeout = '2s';
SELECT clock_timestamp() AS t0 \gset
SELECT * FROM automl.train('big', 'big_sample', 'y', exclude => '{i}',
                           options => '{"hyperparameters": {"linear": {"alpha": [0, 1e-9, 1e-8, 1e-7, 1e-6], "tol": 1e-12, "max_iter": 100000}}}');
RESET statement_timeout;
SELECT clock_timestamp() - :'t0'::timestamptz < interval '3 s' AS stopped_within_a_second;

-- nothing was stored, and the session works
SELECT count(*) AS models FROM automl.models WHERE name = 'big';
SELECT count(*) AS runs FROM automl.runs WHERE name = 'big';
SELECT name, version FROM automl.train('big', 'SELECT * FROM big_sample LIMIT 2000', 'y',
                                       exclude => '{i}', max_trials => 1);
