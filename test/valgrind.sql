-- test/valgrind.sql: the train and score paths of every algorithm family on
-- small data, for test/valgrind.sh (a server under memcheck is 20-50x
-- slower: trainings are one trial with few folds and few trees).  The
-- tables iris, diabetes, penguins, house_votes84, breast_cancer and digits
-- (its first 600 rows) exist (test/lib/data.sh).
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
SET automl.progress = off;
SET automl.audit_log_level = off;

-- one model per family and task (classification: iris, 3 classes; binary:
-- house_votes84, categoricals with NULLs; regression: diabetes)
CREATE TEMP TABLE plan (name text, source text, target text, algorithm text, options jsonb);
INSERT INTO plan VALUES
 ('c_linear', 'iris', 'species', 'linear', '{"cv_folds": 2}'),
 ('r_linear', 'diabetes', 'progression', 'linear', '{"cv_folds": 2}'),
 ('b_linear', 'house_votes84', 'party', 'linear', '{"cv_folds": 2}'),
 ('c_knn', 'iris', 'species', 'knn', '{"cv_folds": 2}'),
 ('r_knn', 'diabetes', 'progression', 'knn', '{"cv_folds": 2}'),
 ('c_nb', 'penguins', 'species', 'naive_bayes', '{"cv_folds": 2}'),
 ('c_mlp', 'iris', 'species', 'mlp',
  '{"cv_folds": 2, "hyperparameters": {"mlp": {"hidden_units": 8, "max_iter": 20}}}'),
 ('r_mlp', 'diabetes', 'progression', 'mlp',
  '{"cv_folds": 2, "hyperparameters": {"mlp": {"hidden_units": 8, "max_iter": 20}}}'),
 ('c_kernel', 'penguins', 'species', 'kernel',
  '{"cv_folds": 2, "hyperparameters": {"kernel": {"n_components": 40}}}'),
 ('r_kernel', 'diabetes', 'progression', 'kernel',
  '{"cv_folds": 2, "hyperparameters": {"kernel": {"n_components": 40}}}'),
 ('c_tree', 'penguins', 'species', 'tree', '{"cv_folds": 2}'),
 ('r_tree', 'diabetes', 'progression', 'tree', '{"cv_folds": 2, "hyperparameters": {"tree": {"max_depth": 6}}}'),
 ('c_forest', 'penguins', 'species', 'forest',
  '{"cv_folds": 2, "hyperparameters": {"forest": {"n_estimators": 8}}}'),
 ('r_forest', 'diabetes', 'progression', 'forest',
  '{"cv_folds": 2, "hyperparameters": {"forest": {"n_estimators": 8, "max_depth": 8}}}'),
 ('b_extra', 'house_votes84', 'party', 'extra_trees',
  '{"cv_folds": 2, "hyperparameters": {"extra_trees": {"n_estimators": 8}}}'),
 ('c_gbm', 'iris', 'species', 'gbm',
  '{"cv_folds": 2, "hyperparameters": {"gbm": {"n_estimators": 10, "max_depth": 3}}}'),
 ('b_gbm', 'house_votes84', 'party', 'gbm',
  '{"cv_folds": 2, "hyperparameters": {"gbm": {"n_estimators": 10, "max_depth": 3}}}'),
 ('r_gbm', 'diabetes', 'progression', 'gbm',
  '{"cv_folds": 2, "hyperparameters": {"gbm": {"n_estimators": 10, "max_depth": 3, "subsample": 0.8, "colsample": 0.8}}}'),
 -- wider tables: per-column and per-row arrays above 8 kB get blocks of
 -- their own, whose ends memcheck sees (smaller palloc chunks share blocks)
 ('bc_linear', 'breast_cancer', 'diagnosis', 'linear', '{"cv_folds": 2}'),
 ('bc_knn', 'breast_cancer', 'diagnosis', 'knn', '{"cv_folds": 2}'),
 ('bc_nb', 'breast_cancer', 'diagnosis', 'naive_bayes', '{"cv_folds": 2}'),
 ('bc_mlp', 'breast_cancer', 'diagnosis', 'mlp',
  '{"cv_folds": 2, "hyperparameters": {"mlp": {"hidden_units": 16, "max_iter": 10}}}'),
 ('bc_gbm', 'breast_cancer', 'diagnosis', 'gbm',
  '{"cv_folds": 2, "hyperparameters": {"gbm": {"n_estimators": 10, "max_depth": 4}}}'),
 ('bc_extra', 'breast_cancer', 'diagnosis', 'extra_trees',
  '{"cv_folds": 2, "hyperparameters": {"extra_trees": {"n_estimators": 8}}}'),
 ('d_gbm', 'digits', 'digit', 'gbm',
  '{"cv_folds": 2, "hyperparameters": {"gbm": {"n_estimators": 4, "max_depth": 3}}}'),
 ('d_forest', 'digits', 'digit', 'forest',
  '{"cv_folds": 2, "hyperparameters": {"forest": {"n_estimators": 4}}}'),
 ('d_linear', 'digits', 'digit', 'linear', '{"cv_folds": 2}');

SELECT t.name, t.algorithm, t.task
  FROM plan p, LATERAL automl.train(p.name, p.source, p.target, exclude => '{id}',
                                    algorithms => ARRAY[p.algorithm], max_trials => 1,
                                    options => p.options) t
 ORDER BY 1;

-- the search itself: several families, pruning, an ensemble of the trials
SELECT name, trials > 1 AS searched FROM automl.train('search', 'penguins', 'species', exclude => '{id}',
    algorithms => '{linear,naive_bayes,tree,knn}', max_trials => 6,
    options => '{"cv_folds": 3, "ensemble_size": 5}');
-- a holdout validation, balanced class weights, no CV at all
SELECT name FROM automl.train('holdout', 'house_votes84', 'party', exclude => '{id}',
    algorithms => '{linear}', max_trials => 1,
    options => '{"validation": "holdout", "class_weight": "balanced"}');
SELECT name FROM automl.train('nocv', 'diabetes', 'progression', exclude => '{id}',
    algorithms => '{gbm}', options => '{"cv_folds": 0, "hyperparameters": {"gbm": {"n_estimators": 5}}}');

-- scoring every model: row and array forms, labels, probabilities, versions
SELECT m.name,
       count(automl.predict(m.name, d)) FILTER (WHERE m.task = 'regression') AS predictions
  FROM automl.models m, diabetes d
 WHERE m.source LIKE 'diabetes%' AND d.id <= 40 GROUP BY 1 ORDER BY 1;
SELECT m.name, count(automl.predict_label(m.name, i)), count(automl.predict_proba(m.name, i)),
       count(automl.predict_label(m.name, 1, i))
  FROM automl.models m, iris i WHERE m.source = 'iris' AND i.id % 4 = 0 GROUP BY 1 ORDER BY 1;
SELECT m.name, count(automl.predict_label(m.name, p)), count(automl.predict_proba(m.name, 1, p))
  FROM automl.models m, penguins p WHERE m.source = 'penguins' AND p.id % 5 = 0 GROUP BY 1 ORDER BY 1;
SELECT m.name, count(automl.predict_label(m.name, h)), count(automl.predict_proba(m.name, h))
  FROM automl.models m, house_votes84 h WHERE m.source = 'house_votes84' AND h.id % 5 = 0
 GROUP BY 1 ORDER BY 1;
SELECT round(automl.predict('r_linear', ARRAY[50, 1, 25, 90, 180, 100, 50, 4, 4.5, 90]::float8[])::numeric, 3)
       IS NOT NULL AS array_form,
       automl.predict('r_gbm', ARRAY[50, NULL, 25, 90, 180, 100, 50, 4, 4.5, NULL]::float8[]) IS NOT NULL
       AS with_nulls;
SELECT automl.classes('c_gbm'), automl.feature_names('b_gbm');

-- explanations: exact (linear, trees), sampled Shapley (knn, mlp), ensembles
SELECT m.name, count(*) AS rows
  FROM automl.models m, LATERAL (SELECT * FROM iris WHERE id IN (1, 77, 150)) i,
       LATERAL automl.explain(m.name, i) e
 WHERE m.source = 'iris' GROUP BY 1 ORDER BY 1;
SELECT m.name, count(*) AS rows
  FROM automl.models m, LATERAL (SELECT * FROM diabetes WHERE id IN (3, 300)) d,
       LATERAL automl.explain(m.name, d, top_k => 3) e
 WHERE m.source LIKE 'diabetes%' GROUP BY 1 ORDER BY 1;
SELECT m.name, jsonb_typeof(automl.explain_json(m.name, p, top_k => 2)) AS doc
  FROM automl.models m, penguins p WHERE m.source = 'penguins' AND p.id = 4 ORDER BY 1;
SELECT count(*) FROM house_votes84 h, automl.explain('b_gbm', h, class => 'republican') e WHERE h.id < 5;
SELECT m.name, count(automl.predict_label(m.name, b)), sum(array_length(automl.predict_proba(m.name, b), 1))
  FROM automl.models m, breast_cancer b WHERE m.source = 'breast_cancer' GROUP BY 1 ORDER BY 1;
SELECT m.name, count(*) FROM automl.models m, breast_cancer b, LATERAL automl.explain(m.name, b, top_k => 5) e
 WHERE m.source = 'breast_cancer' AND b.id IN (1, 200) GROUP BY 1 ORDER BY 1;
SELECT m.name, count(automl.predict_label(m.name, d)) FROM automl.models m, digits d
 WHERE m.source = 'digits' GROUP BY 1 ORDER BY 1;
SELECT count(*) FROM digits d, automl.explain('d_gbm', d, class => '3') e WHERE d.id IN (4, 5);
SELECT count(*) FROM automl.predict_table('d_forest', 'digits', 'id');

-- batch scoring, importance, insight
SELECT count(*) FROM automl.predict_table('c_forest', 'penguins', 'id');
SELECT count(*) FROM automl.predict_table('r_knn', 'SELECT * FROM diabetes WHERE id < 100');
SELECT m.name, count(*) FROM automl.models m, LATERAL automl.feature_importance(m.name) f
 GROUP BY 1 ORDER BY 1;
SELECT count(*) FROM automl.profile('penguins', 'species');
SELECT count(*) FROM automl.drift('r_gbm', 'SELECT * FROM diabetes WHERE age > 50');
SELECT count(*) FROM automl.fairness('b_extra', 'house_votes84', 'crime', positive_class => 'republican');
SELECT count(*) FROM automl.fairness('r_forest', 'diabetes', 'sex');
SELECT length(automl.report('search')) > 1000 AS report, length(automl.report('r_gbm')) > 1000,
       jsonb_typeof(automl.report_document('b_linear'));

-- lifecycle: versions, deploy, rollback, export/import, retrain
SELECT name, version FROM automl.train('c_gbm', 'SELECT * FROM iris WHERE id % 3 <> 0', 'species',
    exclude => '{id}', algorithms => '{gbm}', max_trials => 1,
    options => '{"cv_folds": 2, "hyperparameters": {"gbm": {"n_estimators": 5}}}');
SELECT automl.deploy('c_gbm', 2);
SELECT count(automl.predict_label('c_gbm', i)) FROM iris i;
SELECT automl.rollback('c_gbm');
SELECT (automl.import(automl.export('b_gbm'), 'b_gbm_copy')).version;
SELECT count(*) FROM house_votes84 h WHERE automl.predict_label('b_gbm', h) <> automl.predict_label('b_gbm_copy', h);
SELECT data_changed, same_model FROM automl.retrain('r_tree');
SELECT automl.drop('c_gbm', 2);

-- a background job (a worker forked by the postmaster, also under memcheck);
-- it starts when the transaction that created it commits
SELECT automl.train_async('async', 'iris', 'species', exclude => '{id}', algorithms => '{naive_bayes}',
                          max_trials => 1, options => '{"cv_folds": 2}') AS job \gset
SELECT automl.wait(:job, timeout => '10 minutes');
SELECT count(automl.predict_label('async', i)) FROM iris i;
