-- insight: profiling sources, drift against the training distributions,
-- and per-group fairness metrics.
SET automl.progress = off;

-- profile: kinds, NULL counts, extremes and the role each column would play
SELECT column_name, type, kind, rows, nulls, round(null_share::numeric, 3) AS null_share,
       distinct_values, min, max, round(mean::numeric, 2) AS mean,
       quantiles[3] AS median, top_values, role
  FROM automl.profile('penguins', 'species');

CREATE TABLE odd_columns AS
SELECT i AS id, (i % 3)::text AS label, 7 AS always_seven, NULL::float8 AS nothing,
       '{}'::jsonb AS doc, (i % 3) * 2 AS leaked, sin(i) AS signal
  FROM generate_series(1, 300) i;
SELECT column_name, kind, nulls, distinct_values, role
  FROM automl.profile('odd_columns', 'label');
-- without a target there is no leak check, and a query works as well as a table
SELECT column_name, role FROM automl.profile('SELECT label, leaked FROM odd_columns');
SELECT * FROM automl.profile(NULL);
SELECT * FROM automl.profile('no_such_table');

-- drift: a model trained on breast_cancer, checked against samples of it
SELECT name, algorithm FROM automl.train('cancer_lin', 'breast_cancer', 'diagnosis',
                                         algorithms => '{linear}', exclude => '{id}');
-- the training rows themselves: nothing moves
SELECT count(*) AS features, max(psi) < 1e-9 AS psi_zero, max(ks) < 1e-9 AS ks_zero,
       bool_or(drifted) AS any_drifted
  FROM automl.drift('cancer_lin', 'breast_cancer') WHERE kind = 'numeric';
-- half of them: sampling noise stays under the thresholds
SELECT count(*) FILTER (WHERE drifted) AS drifted, max(psi) < 0.2 AS psi_small
  FROM automl.drift('cancer_lin', 'SELECT * FROM breast_cancer WHERE id % 2 = 0')
 WHERE kind = 'numeric';
-- two features changed: exactly those are flagged (a shift, and NULLs)
CREATE TEMP TABLE shifted AS SELECT * FROM breast_cancer;
UPDATE shifted SET mean_radius = mean_radius * 1.5, worst_area = NULL WHERE id % 2 = 0;
SELECT feature, kind, psi > 0.2 AS psi_high, ks > 0.2 AS ks_high,
       round(missing_current::numeric, 2) AS missing_current, drifted
  FROM automl.drift('cancer_lin', 'shifted') WHERE drifted ORDER BY feature;
SELECT feature, ks > 0.3 AS ks_high, drifted
  FROM automl.drift('cancer_lin', 'shifted', psi_threshold => 100, ks_threshold => 0.3)
 WHERE drifted ORDER BY feature;
-- errors
SELECT * FROM automl.drift('cancer_lin', 'SELECT * FROM breast_cancer WHERE false');
SELECT * FROM automl.drift('cancer_lin', 'SELECT id, mean_radius FROM breast_cancer');
SELECT * FROM automl.drift('cancer_lin', 'breast_cancer', version => 9);
SELECT * FROM automl.drift('no_model', 'breast_cancer');

-- fairness: a perfectly separable problem where group b is selected more often
CREATE TABLE loans AS
SELECT i AS id, CASE WHEN i <= 100 THEN 'a' ELSE 'b' END AS grp,
       CASE WHEN (i <= 100 AND i % 5 = 0) OR (i > 100 AND i % 2 = 0) THEN 'yes' ELSE 'no' END AS approved,
       CASE WHEN (i <= 100 AND i % 5 = 0) OR (i > 100 AND i % 2 = 0) THEN 2.0 ELSE -2.0 END
         + (i % 7) / 10.0 AS score
  FROM generate_series(1, 200) i;
SELECT name, score = 1 AS perfect
  FROM automl.train('loans', 'SELECT approved, score FROM loans', 'approved',
                    algorithms => '{linear}', metric => 'accuracy');
SELECT group_value, rows, selection_rate, true_positive_rate, false_positive_rate,
       precision, accuracy, selection_rate_ratio, true_positive_rate_ratio, accuracy_ratio
  FROM automl.fairness('loans', 'loans', 'grp');
-- the other class as the positive one
SELECT group_value, selection_rate, selection_rate_ratio
  FROM automl.fairness('loans', 'loans', 'grp', positive_class => 'no');
SELECT * FROM automl.fairness('loans', 'loans', 'grp', positive_class => 'maybe');
-- multiclass needs the positive class named
SELECT name FROM automl.train('iris_lin', 'iris', 'species', algorithms => '{linear}',
                              exclude => '{id}');
SELECT * FROM automl.fairness('iris_lin', 'iris', 'species');
SELECT group_value, rows, round(selection_rate::numeric, 2) AS selection_rate
  FROM automl.fairness('iris_lin', 'iris', 'species', positive_class => 'setosa');
-- regression: errors per group, and the ratio to the lowest error
SELECT name FROM automl.train('progress_lin', 'diabetes', 'progression',
                              algorithms => '{linear}', exclude => '{id}');
SELECT group_value, rows, mean_absolute_error > 30 AND mean_absolute_error < 60 AS mae_plausible,
       rmse >= mean_absolute_error AS rmse_ge_mae, selection_rate IS NULL AS no_rates
  FROM automl.fairness('progress_lin', 'diabetes', 'sex');
SELECT min(error_ratio) = 1 AS best_is_one, max(error_ratio) >= 1 AS ratio_ge_one
  FROM automl.fairness('progress_lin', 'diabetes', 'sex');

-- scoring rights are needed for drift and fairness
CREATE ROLE insight_outsider;
GRANT USAGE ON SCHEMA automl TO insight_outsider;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA automl TO insight_outsider;
GRANT SELECT ON loans TO insight_outsider;
SET ROLE insight_outsider;
SELECT * FROM automl.fairness('loans', 'loans', 'grp');
SELECT * FROM automl.drift('loans', 'loans');
-- profiling reads only what the caller may read
SELECT count(*) FROM automl.profile('loans');
SELECT count(*) FROM automl.profile('breast_cancer');
RESET ROLE;

SELECT automl.drop('cancer_lin');
SELECT automl.drop('loans');
SELECT automl.drop('iris_lin');
SELECT automl.drop('progress_lin');
DROP TABLE odd_columns, loans;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA automl FROM insight_outsider;
REVOKE ALL ON SCHEMA automl FROM insight_outsider;
DROP ROLE insight_outsider;
