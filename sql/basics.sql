-- basics: train on real data sets, score them in SQL, versions and deploys.
-- Score floors come from the peer baselines (scikit-learn defaults, 5-fold CV).
SET automl.progress = off;

-- binary, text target; "id" is recognised as an identifier and left out
SELECT name, version, task, metric, score >= 0.98 AS roc_auc_ok, trials >= 6 AS searched,
       rows, features
  FROM automl.train('cancer', 'breast_cancer', 'diagnosis', time_budget => '6 s');

-- multiclass
SELECT name, version, task, metric, score >= 0.93 AS accuracy_ok, rows, features
  FROM automl.train('iris', 'iris', 'species', exclude => '{id}', time_budget => '4 s');

-- regression from a query
SELECT name, version, task, metric, score >= 0.45 AS r2_ok, rows, features
  FROM automl.train('progress', 'SELECT * FROM diabetes WHERE age > 20', 'progression',
                    exclude => '{id}', time_budget => '6 s');

-- NULLs and categoricals (island, sex)
SELECT name, task, metric, score >= 0.98 AS accuracy_ok, rows, features
  FROM automl.train('penguins', 'penguins', 'species', exclude => '{id}', time_budget => '4 s');

-- text target, categoricals, imbalance (14% churn); a trial count rather than a
-- time budget, so a slow build (ASan, valgrind) searches as far
SELECT name, task, metric, score >= 0.80 AS roc_auc_ok, rows, features
  FROM automl.train('churn', 'mlc_churn', 'churn', exclude => '{id}', max_trials => 8,
                    time_budget => '120 s', options => '{"seed": 7, "exclude_algorithms": ["mlp"]}');

-- scoring inside queries
SELECT id, automl.predict_label('cancer', b) AS predicted, diagnosis
  FROM breast_cancer b ORDER BY id LIMIT 5;
SELECT avg((automl.predict_label('cancer', b) = diagnosis)::int) > 0.97 AS accuracy_ok
  FROM breast_cancer b;
SELECT bool_and(abs(p[1] + p[2] - 1) < 1e-12 AND p[1] >= 0 AND p[2] >= 0) AS proba_ok,
       min(array_length(p, 1)) AS classes
  FROM (SELECT automl.predict_proba('cancer', b) AS p FROM breast_cancer b) s;
SELECT automl.classes('cancer'), automl.classes('iris'), automl.classes('progress');
SELECT automl.feature_names('penguins');
SELECT species, automl.predict_label('penguins', p) AS predicted, sex
  FROM penguins p WHERE sex IS NULL ORDER BY id LIMIT 3;

-- SQL predictions equal the kernel's: the training metrics stored with the
-- model were computed by the kernel on the same rows
SELECT avg((automl.predict_label('churn', c) = churn)::int)
       = (metrics->'training'->>'accuracy')::float8 AS churn_same,
       count(*) = (metrics->>'training_rows')::int AS all_rows_scored,
       (SELECT avg((automl.predict_label('iris', i) = species)::int) FROM iris i)
       = (SELECT (metrics->'training'->>'accuracy')::float8 FROM automl.models WHERE name = 'iris')
       AS iris_same
  FROM mlc_churn c, automl.models m WHERE m.name = 'churn'
 GROUP BY m.metrics;
SELECT abs(1 - sum((progression - p)^2) / sum((progression - avg_y)^2)
           - (m.metrics->'training'->>'r2')::float8) < 1e-9 AS r2_same
  FROM (SELECT progression, automl.predict('progress', d) AS p,
               avg(progression) OVER () AS avg_y
          FROM diabetes d WHERE age > 20) s, automl.models m
 WHERE m.name = 'progress'
 GROUP BY m.metrics;

-- the array form takes the features in feature_names() order
SELECT automl.feature_names('progress');
SELECT bool_and(automl.predict('progress', d)
                = automl.predict('progress', ARRAY[age, sex, bmi, bp, s1, s2, s3, s4, s5, s6]))
       AS array_same
  FROM diabetes d;
SELECT automl.predict('progress', ARRAY[50, 1, NULL, 90, 190, 120, 50, 4, 4.6, 90]::float8[])
       BETWEEN 25 AND 346 AS missing_bmi_ok;

-- a second backend loads the stored model and predicts the same values
CREATE TABLE first_backend AS
SELECT id, automl.predict('progress', d) AS p, automl.predict_proba('penguins', pg) AS pp
  FROM diabetes d JOIN penguins pg USING (id);
\c
SET automl.progress = off;
SELECT count(*) AS rows, count(*) FILTER (WHERE automl.predict('progress', d) <> f.p
                                          OR automl.predict_proba('penguins', pg) <> f.pp) AS different
  FROM first_backend f JOIN diabetes d USING (id) JOIN penguins pg USING (id);

-- what was tried and kept
SELECT name, version, status, task, metric, target, classes, n_rows, n_features,
       length(data_fingerprint) AS fingerprint_len, trials >= 6 AS searched, created_by,
       extension_version
  FROM automl.models ORDER BY model_id;
SELECT r.name, count(*) = m.trials AS all_recorded,
       count(*) >= 6 AND count(*) FILTER (WHERE t.status = 'ok') >= 3 AS searched,
       bool_and(array_length(t.fold_scores, 1) = 5) FILTER (WHERE t.status = 'ok') AS five_folds,
       bool_and(t.status IN ('ok', 'pruned', 'stopped')) AS ok_pruned_or_stopped
  FROM automl.trials t JOIN automl.runs r USING (run_id) JOIN automl.models m USING (run_id)
 GROUP BY r.name, m.trials ORDER BY r.name;
-- rank 1 is the kept model, or the kept ensemble scores better than it
SELECT l.name, l.rank,
       CASE WHEN m.algorithm = 'ensemble'
            THEN m.score > l.score      -- kept only when it beats the best trial over the folds
            ELSE l.hyperparameters = m.hyperparameters END AS is_kept_or_beaten
  FROM automl.leaderboard l JOIN automl.models m USING (name, version)
 WHERE l.rank = 1 ORDER BY l.name;
SELECT jsonb_path_query_array(features, '$.columns[*].kind') AS kinds,
       jsonb_path_query_array(features, '$.features[*] ? (@.levels != null).levels')
  FROM automl.models WHERE name = 'penguins';
SELECT count(*) FILTER (WHERE c.relkind = 'r') AS tables
  FROM pg_class c WHERE c.relnamespace = 'automl'::regnamespace;

-- versions: a new training is stored, not deployed, until automl.deploy()
SELECT name, version FROM automl.train('iris', 'SELECT * FROM iris WHERE species <> ''setosa''',
                                      'species', exclude => '{id}', time_budget => '2 s');
SELECT name, version FROM automl.deployed ORDER BY name;
SELECT automl.classes('iris');
SELECT automl.deploy('iris', 2);
SELECT automl.classes('iris');
-- a rolled-back deploy changes nothing
BEGIN;
SELECT automl.deploy('iris', 1);
SELECT automl.classes('iris');
ROLLBACK;
SELECT automl.classes('iris');
SELECT name, version, previous_version, strategy FROM automl.deployments ORDER BY deployment_id;
SELECT name, version, status FROM automl.models WHERE name = 'iris' ORDER BY version;

-- fixed hyperparameters and no cross-validation
SELECT name, version, algorithm, score IS NULL AS no_cv_score, trials
  FROM automl.train('iris_fixed', 'iris', 'species', exclude => '{id}', algorithms => '{linear}',
                    options => '{"cv_folds": 0, "hyperparameters": {"linear": {"alpha": 0.01}}}');
SELECT hyperparameters FROM automl.models WHERE name = 'iris_fixed';
-- max_trials caps the search; the same seed gives the same leaderboard
SELECT trials FROM automl.train('cancer_a', 'breast_cancer', 'diagnosis', exclude => '{id}',
                                max_trials => 3, options => '{"seed": 11}');
SELECT trials FROM automl.train('cancer_b', 'breast_cancer', 'diagnosis', exclude => '{id}',
                                max_trials => 3, options => '{"seed": 11}');
SELECT a.trial, a.hyperparameters = b.hyperparameters AS same_candidate,
       a.fold_scores = b.fold_scores AS same_fold_scores
  FROM automl.trials a JOIN automl.trials b USING (trial)
 WHERE a.name = 'cancer_a' AND b.name = 'cancer_b' ORDER BY a.trial;
-- bounded by its trial count alone (no time budget), a longer search is the
-- same too: which algorithm goes next follows nominal costs, not timings
SELECT trials FROM automl.train('cancer_c', 'breast_cancer', 'diagnosis', exclude => '{id}',
                                time_budget => NULL, max_trials => 24, options => '{"seed": 5}');
SELECT trials FROM automl.train('cancer_d', 'breast_cancer', 'diagnosis', exclude => '{id}',
                                time_budget => NULL, max_trials => 24, options => '{"seed": 5}');
SELECT count(*) AS trials, count(DISTINCT a.algorithm) > 4 AS several_algorithms,
       bool_and(a.algorithm = b.algorithm AND a.hyperparameters = b.hyperparameters
                AND a.status = b.status
                AND a.fold_scores IS NOT DISTINCT FROM b.fold_scores) AS same_trials
  FROM automl.trials a JOIN automl.trials b USING (trial)
 WHERE a.name = 'cancer_c' AND b.name = 'cancer_d';
-- the metric can be chosen
SELECT metric, score > 0.9 AS ok FROM automl.train('cancer_acc', 'breast_cancer', 'diagnosis',
                                                  metric => 'accuracy', exclude => '{id}',
                                                  max_trials => 1);
-- a numeric target with few integer values is a classification; task overrides it
CREATE TABLE small_int AS
SELECT i, (i % 7)::float8 AS x, CASE WHEN i % 7 < 3 THEN 0 ELSE 1 END AS y
  FROM generate_series(1, 200) i;
SELECT task, metric FROM automl.train('small_int', 'SELECT x, y FROM small_int', 'y', max_trials => 1);
SELECT automl.predict('small_int', s) AS predicted, y FROM small_int s WHERE i IN (1, 5);
SELECT task, metric FROM automl.train('small_int_r', 'SELECT x, y FROM small_int', 'y',
                                      task => 'regression', max_trials => 1);

-- dates, timestamps, enums, booleans, char(n) and varchar columns
CREATE TYPE plan AS ENUM ('basic', 'plus', 'pro');
CREATE TABLE visits AS
SELECT i,
       date '2024-01-01' + (i % 365) AS day,
       timestamptz '2024-01-01 00:00+00' + (i % 97) * interval '37 minutes' AS seen_at,
       (ARRAY['basic', 'plus', 'pro'])[1 + i % 3]::plan AS plan,
       (i % 4 = 0) AS promo,
       (CASE WHEN i % 5 = 0 THEN 'web' ELSE 'app' END)::char(5) AS channel,
       (CASE WHEN i % 2 = 0 THEN 'north' ELSE 'south' END)::varchar(10) AS region,
       CASE WHEN (i % 365) > 180 OR (i % 3 = 2 AND i % 4 = 0) THEN 'late' ELSE 'early' END AS label
  FROM generate_series(1, 600) i;
SELECT task, features, score > 0.9 AS good
  FROM automl.train('visits', 'visits', 'label', exclude => '{i}', max_trials => 2);
SELECT jsonb_path_query_array(features, '$.columns[*].kind') AS kinds,
       automl.feature_names('visits')
  FROM automl.models WHERE name = 'visits';
SELECT avg((automl.predict_label('visits', v) = label)::int) > 0.9 AS accurate FROM visits v;
-- a date where a timestamp was trained, text where an enum was: read the same way
SELECT automl.predict_label('visits', r) = automl.predict_label('visits', v) AS same
  FROM visits v,
       LATERAL (SELECT v.day::timestamp AS day, v.seen_at, v.plan::text AS plan, v.promo,
                       v.channel::text AS channel, v.region) r
 WHERE v.i = 400;
