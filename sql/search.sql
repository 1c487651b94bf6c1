-- search: the budget is kept, failures stay inside their trial, resume goes on
SET client_min_messages = warning;

-- a candidate that does not fit automl.memory_limit fails alone: it is
-- recorded with its reason and the search goes on
CREATE TABLE wide_enough AS
SELECT i AS id, (i % 97)::float8 AS a, (i % 89)::float8 / 7 AS b, (i * 7 % 83)::float8 AS c,
       (i % 97) + (i % 89) / 7.0 + (i % 5) AS y
  FROM generate_series(1, 1000) i;
SET automl.memory_limit = '4MB';
SELECT name, trials FROM automl.train('one_fails', 'wide_enough', 'y', exclude => '{id}',
    algorithms => '{linear,gbm}', max_trials => 4,
    options => '{"hyperparameters": {"gbm": {"n_estimators": 100000, "max_depth": 20}}}');
RESET automl.memory_limit;
SELECT algorithm, status, count(*) AS trials,
       bool_and(error LIKE 'training needs more memory than automl.memory_limit allows%') AS memory_error
  FROM automl.trials WHERE name = 'one_fails' GROUP BY 1, 2 ORDER BY 1, 2;

-- a 5-second budget on 50,000 rows returns within 7 seconds, with a model
CREATE TABLE fifty_k AS
SELECT i AS id, (i % 1000) / 10.0 AS x1, (i * 7919 % 1000) / 10.0 AS x2, (i % 7)::text AS g,
       CASE WHEN (i % 1000) / 10.0 + (i * 7919 % 1000) / 20.0 + (i % 7) * 3 > 90 THEN 'yes' ELSE 'no' END AS y
  FROM generate_series(1, 50000) i;
SELECT clock_timestamp() AS t0 \gset
SELECT name, score > 0.9 AS good FROM automl.train('fifty_k', 'fifty_k', 'y', exclude => '{id}',
                                                   time_budget => '5 s');
SELECT clock_timestamp() - :'t0'::timestamptz < interval '7 s' AS within_budget;
SELECT count(*) > 1 AS several_trials, bool_and(t.finished_at <= r.started_at + interval '6 s') AS in_time
  FROM automl.trials t JOIN automl.runs r USING (run_id) WHERE r.name = 'fifty_k';
SELECT metrics->'validation'->>'ended_by' AS ended_by FROM automl.models WHERE name = 'fifty_k';

-- resume: the second run takes the first run's trials as done and adds its own
SELECT name, version, trials FROM automl.train('resumed', 'wide_enough', 'y', exclude => '{id}',
    max_trials => 4, options => '{"seed": 3}');
SELECT name, version, trials FROM automl.train('resumed', 'wide_enough', 'y', exclude => '{id}',
    max_trials => 4, options => '{"seed": 3, "resume": true}');
SELECT r.version, count(*) AS trials, count(*) FILTER (WHERE t.resumed) AS resumed
  FROM automl.trials t JOIN automl.runs r USING (run_id)
 WHERE r.name = 'resumed' GROUP BY r.version ORDER BY r.version;
-- the resumed trials are the first run's, configuration for configuration
SELECT bool_and(a.hyperparameters = b.hyperparameters AND a.score = b.score) AS same_trials
  FROM automl.trials a JOIN automl.runs ra USING (run_id),
       automl.trials b JOIN automl.runs rb ON rb.run_id = b.run_id
 WHERE ra.name = 'resumed' AND ra.version = 1 AND rb.name = 'resumed' AND rb.version = 2
   AND b.resumed AND a.trial = b.trial;
-- resuming on changed data starts afresh, and says so
UPDATE wide_enough SET y = y + 1 WHERE id = 1;
SET client_min_messages = notice;
SET automl.progress = off;
SELECT name, version FROM automl.train('resumed', 'wide_enough', 'y', exclude => '{id}',
    max_trials => 1, options => '{"seed": 3, "resume": true, "ensemble": false}');

-- repeated cross-validation: every trial scored on 2 rounds of 3 folds, the
-- first round the single round's folds; the model's validation says so
SET client_min_messages = warning;
SELECT name, trials FROM automl.train('repeated', 'wide_enough', 'y', exclude => '{id}',
    algorithms => '{linear}', max_trials => 2,
    options => '{"cv_folds": 3, "cv_repeats": 2, "ensemble": false, "early_stopping": false}');
SELECT name, trials FROM automl.train('one_round', 'wide_enough', 'y', exclude => '{id}',
    algorithms => '{linear}', max_trials => 2, options => '{"cv_folds": 3, "ensemble": false, "early_stopping": false}');
SELECT r.trial, array_length(r.fold_scores, 1) AS folds,
       r.fold_scores[1:3] = o.fold_scores AS first_round_same,
       abs(r.score - (SELECT avg(s) FROM unnest(r.fold_scores) s)) < 1e-9 AS mean_of_six
  FROM automl.trials r JOIN automl.trials o USING (trial)
 WHERE r.name = 'repeated' AND o.name = 'one_round' ORDER BY 1;
SELECT metrics->'validation'->>'folds' AS folds, metrics->'validation'->>'repeats' AS repeats
  FROM automl.models WHERE name = 'repeated';
-- 10 folds in 3 rounds would be 30: the rounds are capped at 20 folds in all
SELECT name FROM automl.train('capped', 'wide_enough', 'y', exclude => '{id}',
    algorithms => '{linear}', max_trials => 1, options => '{"cv_folds": 10, "cv_repeats": 3}');
SELECT array_length(fold_scores, 1) AS folds FROM automl.trials WHERE name = 'capped';
SELECT automl.train('bad', 'wide_enough', 'y', options => '{"cv_repeats": 11}');

-- "prefer_simpler": the best trial of the simplest algorithm within one
-- standard error of the winner (a trial or an ensemble) is kept in its
-- place, from the same trials.  A step in a plus a band of b, both noisy:
-- trees and their ensemble score a little better than a linear model, by
-- less than the folds' noise
CREATE TABLE step_and_band AS
SELECT i AS id, a, b,
       CASE WHEN abs(hashint4(i + 200000)) % 100 <
                 CASE WHEN a > 500 THEN 75 ELSE 25 END + CASE WHEN abs(b - 500) < 150 THEN 15 ELSE 0 END
            THEN 'heads' ELSE 'tails' END AS y
  FROM (SELECT i, (abs(hashint4(i)) % 1000)::float8 AS a, (abs(hashint4(i + 100000)) % 1000)::float8 AS b
          FROM generate_series(1, 400) i) g;
SELECT name, algorithm FROM automl.train('plain', 'step_and_band', 'y', exclude => '{id}',
    algorithms => '{gbm,forest,linear}', max_trials => 16);
SELECT name, algorithm FROM automl.train('simpler', 'step_and_band', 'y', exclude => '{id}',
    algorithms => '{gbm,forest,linear}', max_trials => 16, options => '{"prefer_simpler": true}');
SELECT p.metrics->'validation' ? 'simpler_than' AS plain_passed_over,
       s.metrics->'validation'->>'simpler_than' AS passed_over,
       s.score < p.score AND s.score >= p.score - p.score_std / sqrt(5) AS within_one_se,
       s.score = (SELECT max(score) FROM automl.trials t
                   WHERE t.run_id = s.run_id AND t.algorithm = s.algorithm AND status = 'ok') AS its_best,
       (SELECT array_agg(t.score ORDER BY trial) FROM automl.trials t WHERE t.run_id = p.run_id) =
       (SELECT array_agg(t.score ORDER BY trial) FROM automl.trials t WHERE t.run_id = s.run_id) AS same_trials
  FROM automl.models p, automl.models s WHERE p.name = 'plain' AND s.name = 'simpler';
SELECT automl.train('bad', 'step_and_band', 'y', options => '{"prefer_simpler": 1}');

-- "patience" (default 100): the search ends once that many trials passed
-- without the best gaining one standard error over the best of its last
-- gain; the trials it ran are the first ones of the same search without it
SELECT name, trials < 60 AS ended_early FROM automl.train('patient', 'wide_enough', 'y', exclude => '{id}',
    algorithms => '{linear,knn}', max_trials => 60, options => '{"patience": 5}');
SELECT name, trials FROM automl.train('impatient', 'wide_enough', 'y', exclude => '{id}',
    algorithms => '{linear,knn}', max_trials => 60, options => '{"patience": 0}');
SELECT p.metrics->'validation'->'converged' AS converged, i.metrics->'validation' ? 'converged' AS other_converged,
       p.metrics->'validation'->>'ended_by' AS ended_by, i.metrics->'validation'->>'ended_by' AS other_ended_by,
       (SELECT array_agg(t.score ORDER BY trial) FROM automl.trials t WHERE t.run_id = p.run_id) =
       (SELECT array_agg(t.score ORDER BY trial) FROM automl.trials t
         WHERE t.run_id = i.run_id AND t.trial <= p.trials) AS same_first_trials
  FROM automl.models p, automl.models i WHERE p.name = 'patient' AND i.name = 'impatient';
SELECT automl.train('bad', 'wide_enough', 'y', options => '{"patience": -1}');

-- the final model: on small data a family whose fits move with their rows
-- (trees, neighbours, networks) is kept as its k fold models, averaged;
-- "refit" asks for one model on all rows, or fold models of any family
SELECT name, algorithm FROM automl.train('bag_auto', 'penguins', 'species',
    algorithms => '{knn}', max_trials => 1);
SELECT name, algorithm FROM automl.train('bag_rows', 'penguins', 'species',
    algorithms => '{knn}', max_trials => 1, options => '{"refit": "all_rows"}');
SELECT name, algorithm FROM automl.train('bag_linear', 'penguins', 'species',
    algorithms => '{linear}', max_trials => 1);
SELECT name, algorithm FROM automl.train('bag_folds', 'penguins', 'species',
    algorithms => '{linear}', max_trials => 1, options => '{"refit": "folds", "cv_folds": 3}');
SELECT name, metrics->>'refit' AS refit, metrics->'fold_models' AS fold_models,
       hyperparameters ?| '{n_neighbors,alpha}' AS own_hyperparameters
  FROM automl.models WHERE name LIKE 'bag\_%' ORDER BY name;
-- the same search either way; five kNN fold models hold four fifths of the rows each
SELECT a.score = r.score AS same_score,
       round(a.model_bytes::numeric / r.model_bytes, 1) AS bytes_ratio
  FROM automl.models a, automl.models r WHERE a.name = 'bag_auto' AND r.name = 'bag_rows';
-- averaged fold models give other probabilities than one refit, which add up to 1,
-- are explained exactly, and survive export and import
SELECT count(*) FILTER (WHERE a.p <> r.p) > 0 AS differ,
       bool_and(abs((SELECT sum(x) FROM unnest(a.p) x) - 1) < 1e-12) AS sum_to_one
  FROM (SELECT id, automl.predict_proba('bag_auto', p) AS p FROM penguins p) a
  JOIN (SELECT id, automl.predict_proba('bag_rows', p) AS p FROM penguins p) r USING (id);
SELECT max(abs(soft.p - (automl.predict_proba('bag_auto', g))[soft.k])) < 1e-9 AS explained
  FROM (SELECT * FROM penguins WHERE id <= 20) g,
       LATERAL (SELECT k, exp(m - mx) / sum(exp(m - mx)) OVER () AS p
                  FROM (SELECT k, m, max(m) OVER () AS mx
                          FROM (SELECT k, (SELECT sum(contribution)
                                             FROM automl.explain('bag_auto', g, class => c)) AS m
                                  FROM unnest(automl.classes('bag_auto')) WITH ORDINALITY AS u(c, k)) a
                       ) b) soft;
SELECT name, algorithm FROM automl.import(automl.export('bag_auto'), 'bag_copy');
SELECT bool_and(automl.predict_proba('bag_copy', p) = automl.predict_proba('bag_auto', p))
       AS same_predictions FROM penguins p;
SELECT automl.train('bad', 'penguins', 'species', options => '{"refit": "bagged"}');
