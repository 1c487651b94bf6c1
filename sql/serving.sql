-- serving: fixed-version scoring, explanations, batch scoring, parallel plans.
SET automl.progress = off;
SET automl.audit_log_level = off;

-- a fixed version scores like the deployed one, and can score any version
SELECT bool_and(automl.predict('progress', 1, d) = automl.predict('progress', d)) AS same
  FROM diabetes d;
SELECT automl.predict_label('iris', 1, i) AS v1, automl.predict_label('iris', 2, i) AS v2, species
  FROM iris i WHERE id = 1;
SELECT automl.predict_proba('iris', 1, i) = automl.predict_proba('iris', 1, i) AS stable
  FROM iris i WHERE id = 1;
SELECT automl.predict('progress', 7, d) FROM diabetes d LIMIT 1;
SELECT automl.predict('progress', -1, d) FROM diabetes d LIMIT 1;
-- the fixed-version form is IMMUTABLE, the by-name form STABLE
SELECT p.proname, pg_get_function_identity_arguments(p.oid) AS args, p.provolatile, p.proparallel
  FROM pg_proc p WHERE p.pronamespace = 'automl'::regnamespace
   AND p.proname IN ('predict', 'predict_label', 'predict_proba', 'explain', 'explain_json')
 ORDER BY 1, 2;

-- on a table's whole row the planner passes only the model's columns
EXPLAIN (VERBOSE, COSTS OFF) SELECT automl.predict('progress', d) FROM diabetes d;
EXPLAIN (VERBOSE, COSTS OFF) SELECT automl.predict_label('penguins', p) FROM penguins p;
-- ... which gives the same values as the generic path (a subquery row)
SELECT bool_and(automl.predict_proba('penguins', p) = automl.predict_proba('penguins', s))
       AS same_as_generic
  FROM penguins p JOIN (SELECT * FROM penguins) s USING (id);
-- the rewritten call names the version planned with; a hand-written call
-- that passes other columns is refused
SELECT automl._predict_cols('progress', 1, '{age}', d.ctid, d.age) FROM diabetes d LIMIT 1;
-- a NULL row (outer join) still gives NULL
SELECT v.k, automl.predict('progress', d) IS NOT NULL AS scored FROM (VALUES (1), (-5)) v(k)
  LEFT JOIN diabetes d ON d.id = v.k ORDER BY v.k;
-- a prepared statement follows deploys, even to a version reading other columns
SELECT name, version FROM automl.train('serve_v', 'SELECT id, age, bmi, progression FROM diabetes',
                                       'progression', exclude => '{id}', max_trials => 1);
SELECT name, version FROM automl.train('serve_v', 'SELECT id, s1, s5, progression FROM diabetes',
                                       'progression', exclude => '{id}', max_trials => 1);
PREPARE scored AS SELECT round(automl.predict('serve_v', d)::numeric, 6) FROM diabetes d WHERE id = 1;
EXECUTE scored;
SELECT round(automl.predict('serve_v', 1, d)::numeric, 6) AS v1,
       round(automl.predict('serve_v', 2, d)::numeric, 6) AS v2 FROM diabetes d WHERE id = 1;
SELECT automl.deploy('serve_v', 2);
EXECUTE scored;
SELECT automl.rollback('serve_v');
EXECUTE scored;
DEALLOCATE scored;

-- explanations sum exactly to the prediction's margin, whatever the search
-- chose (exact contributions, or sampled Shapley values for kNN and MLPs)
-- regression: the value itself
SELECT count(*) AS rows,
       max(abs(e.total - automl.predict('progress', d)) / abs(automl.predict('progress', d))) < 1e-9
       AS sums_to_prediction
  FROM (SELECT * FROM diabetes WHERE id <= 100) d,
       LATERAL (SELECT sum(contribution) AS total FROM automl.explain('progress', d)) e;
-- binary: the log-odds of the second class
SELECT max(abs(1 / (1 + exp(-e.total)) - p[2])) < 1e-12 AS sums_to_log_odds
  FROM (SELECT b, automl.predict_proba('cancer', b) AS p FROM breast_cancer b WHERE id <= 100) s,
       LATERAL (SELECT sum(contribution) AS total FROM automl.explain('cancer', s.b)) e;
-- multiclass: per-class margins whose softmax is predict_proba
SELECT max(abs(soft.p - (automl.predict_proba('penguins', pg))[soft.k])) < 1e-12 AS softmax_of_margins
  FROM (SELECT * FROM penguins WHERE id <= 60) pg,
       LATERAL (SELECT k, exp(m - mx) / sum(exp(m - mx)) OVER () AS p
                  FROM (SELECT k, m, max(m) OVER () AS mx
                          FROM (SELECT k, (SELECT sum(contribution)
                                             FROM automl.explain('penguins', pg, class => c)) AS m
                                  FROM unnest(automl.classes('penguins')) WITH ORDINALITY AS u(c, k)) a
                       ) b) soft;
-- the sampled explanations of single families, on their own
SELECT name FROM automl.train('penguins_mlp', 'penguins', 'species', exclude => '{id}',
                              algorithms => '{mlp}', max_trials => 1);
SELECT name FROM automl.train('progress_knn', 'diabetes', 'progression', exclude => '{id}',
                              algorithms => '{knn}', max_trials => 1);
SELECT max(abs(soft.p - (automl.predict_proba('penguins_mlp', pg))[soft.k])) < 1e-12 AS mlp_softmax_of_margins
  FROM (SELECT * FROM penguins WHERE id <= 30) pg,
       LATERAL (SELECT k, exp(m - mx) / sum(exp(m - mx)) OVER () AS p
                  FROM (SELECT k, m, max(m) OVER () AS mx
                          FROM (SELECT k, (SELECT sum(contribution)
                                             FROM automl.explain('penguins_mlp', pg, class => c)) AS m
                                  FROM unnest(automl.classes('penguins_mlp')) WITH ORDINALITY AS u(c, k)) a
                       ) b) soft;
SELECT max(abs(e.total - automl.predict('progress_knn', d))) < 1e-9 AS knn_sums_to_prediction,
       -- the same row gets the same explanation every time
       bool_and(e.total = (SELECT sum(contribution) FROM automl.explain('progress_knn', d)))
       AS repeatable
  FROM (SELECT * FROM diabetes WHERE id <= 30) d,
       LATERAL (SELECT sum(contribution) AS total FROM automl.explain('progress_knn', d)) e;
-- the two features that drive a kNN model most are credited most on average
SELECT array_agg(feature ORDER BY feature) AS top_two
  FROM (SELECT e.feature
          FROM diabetes d, LATERAL automl.explain('progress_knn', d) e
         WHERE d.id <= 100 AND e.feature <> '(base)'
         GROUP BY e.feature ORDER BY avg(abs(e.contribution)) DESC LIMIT 2) top;

-- what it looks like; top_k keeps the sum with an "(other features)" row
SELECT name FROM automl.train('penguins_lin', 'penguins', 'species', exclude => '{id}',
                              algorithms => '{linear}', max_trials => 3);
-- an ensemble of its linear trials was tried and is reported; one trial is kept
SELECT algorithm, jsonb_typeof(v->'ensemble') AS ensemble, jsonb_typeof(v->'best_single') AS best_single
  FROM automl.models, LATERAL (SELECT metrics->'validation' AS v) m WHERE name = 'penguins_lin';
SELECT feature, value, round(contribution::numeric, 3) AS contribution
  FROM automl.explain('penguins_lin', (SELECT p FROM penguins p WHERE id = 1), top_k => 3);
SELECT round(sum(contribution)::numeric, 9) = round((SELECT sum(contribution)
         FROM automl.explain('penguins_lin', (SELECT p FROM penguins p WHERE id = 1)))::numeric, 9)
       AS top_k_keeps_sum
  FROM automl.explain('penguins_lin', (SELECT p FROM penguins p WHERE id = 1), top_k => 3);
SELECT e->>'class' AS class, jsonb_array_length(e->'contributions') AS entries,
       abs((e->>'margin')::float8 - (e->>'base')::float8
           - (SELECT sum((c->>'contribution')::float8) FROM jsonb_array_elements(e->'contributions') c))
       < 1e-9 AS consistent
  FROM (SELECT automl.explain_json('cancer', b, 5) AS e FROM breast_cancer b WHERE id = 3) s;
SELECT feature, value FROM automl.explain('penguins_lin', (SELECT p FROM penguins p WHERE sex IS NULL LIMIT 1))
 WHERE feature IN ('sex', 'island');
SELECT * FROM automl.explain('cancer', (SELECT b FROM breast_cancer b LIMIT 1), top_k => 0);
SELECT * FROM automl.explain('cancer', (SELECT b FROM breast_cancer b LIMIT 1), class => 'unknown');
SELECT * FROM automl.explain('progress', (SELECT d FROM diabetes d LIMIT 1), class => 'x');

-- batch scoring of a whole table gives the row-by-row predictions
SELECT count(*) AS rows,
       count(*) FILTER (WHERE t.label = automl.predict_label('churn', c)) AS same_label,
       count(*) FILTER (WHERE t.probabilities = automl.predict_proba('churn', c)) AS same_proba
  FROM automl.predict_table('churn', 'mlc_churn', key => 'id') t
  JOIN mlc_churn c ON c.id = t.key::int;
SELECT count(*) AS rows, bool_and(t.prediction = automl.predict('progress', d)) AS same
  FROM automl.predict_table('progress', 'SELECT * FROM diabetes WHERE age > 30', 'id') t
  JOIN diabetes d ON d.id = t.key::int;
SELECT key, prediction, label, array_length(probabilities, 1) AS classes
  FROM automl.predict_table('small_int', 'SELECT i, x FROM small_int WHERE i <= 3', 'i');
CREATE TABLE churn_scores AS
SELECT key::int AS id, label, probabilities[2] AS p_yes
  FROM automl.predict_table('churn', 'mlc_churn', 'id');
SELECT count(*), count(DISTINCT id) FROM churn_scores;
SELECT * FROM automl.predict_table('churn', 'mlc_churn', 'nope');
SELECT * FROM automl.predict_table('churn', 'SELECT 1 AS x', 'x');
SELECT * FROM automl.predict_table('churn', 'DELETE FROM mlc_churn', 'id');

-- scoring in a parallel plan
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT sum(automl.predict('progress', d)) FROM diabetes d;
SELECT sum(automl.predict('progress', d)) AS parallel_sum INTO TEMP parallel_result FROM diabetes d;
SET max_parallel_workers_per_gather = 0;
SELECT abs(parallel_sum - (SELECT sum(automl.predict('progress', d)) FROM diabetes d)) < 1e-6
       AS same_as_serial
  FROM parallel_result;
