-- report: one self-contained HTML page per version, gathered through the
-- catalog's row-level security and rendered without scripts or links.
SET automl.progress = off;

CREATE TABLE rep_churn AS
SELECT c.*, '<script>alert("x")</script>'::text AS note FROM mlc_churn c;
SELECT name FROM automl.train('rep_churn',
                              'SELECT * FROM rep_churn WHERE state <> ''<b>XX</b>''',
                              'churn', exclude => '{id}', algorithms => '{linear,naive_bayes}',
                              max_trials => 4);
SELECT name FROM automl.train('rep_diab', 'diabetes', 'progression', exclude => '{id}', algorithms => '{linear}',
                              max_trials => 2);
SELECT name FROM automl.train('rep_iris', 'iris', 'species', exclude => '{id}',
                              algorithms => '{linear}', max_trials => 2);

-- the document: what the page is made of
SELECT jsonb_object_keys(automl.report_document('rep_churn')) AS part ORDER BY 1;
SELECT d->'model'->>'name' AS name, d->'model'->>'task' AS task,
       jsonb_array_length(d->'trials') AS trials,
       d->'diagnostics' ? 'roc' AS has_roc, d->'diagnostics' ? 'confusion' AS has_confusion,
       jsonb_array_length(d->'importance') > 0 AS has_importance,
       jsonb_array_length(d->'warnings') AS warnings
  FROM automl.report_document('rep_churn') d;
SELECT d->'diagnostics' ? 'regression' AS has_scatter FROM automl.report_document('rep_diab') d;
-- permutation importance finds the known drivers: churn follows the day's
-- minutes, service calls and the international plan; diabetes progression
-- follows bmi and s5
SELECT d->>'importance_kind' AS kind,
       (SELECT array_agg(i->>'feature' ORDER BY ord) FROM jsonb_array_elements(d->'importance')
          WITH ORDINALITY AS e(i, ord) WHERE ord <= 4)
       && ARRAY['total_day_minutes', 'total_day_charge', 'number_customer_service_calls',
                'international_plan'] AS drivers_on_top
  FROM automl.report_document('rep_churn') d;
SELECT (SELECT array_agg(i->>'feature' ORDER BY ord) FROM jsonb_array_elements(d->'importance')
          WITH ORDINALITY AS e(i, ord) WHERE ord <= 3) @> ARRAY['bmi', 's5'] AS drivers_on_top,
       abs((SELECT sum((i->>'importance')::float8) FROM jsonb_array_elements(d->'importance') i) - 1)
       < 1e-9 AS shares_sum_to_one
  FROM automl.report_document('rep_diab') d;

-- the page: well-formed, every section, user text escaped, nothing external
CREATE TEMP TABLE pages AS
SELECT n AS name, automl.report(n) AS html FROM unnest(ARRAY['rep_churn', 'rep_diab', 'rep_iris']) n;
SELECT name,
       html LIKE '<!DOCTYPE html>%' AS doctype,
       xml_is_well_formed_document(regexp_replace(html, '^<!DOCTYPE html>', '')) AS well_formed,
       (SELECT bool_and(strpos(html, format('<section id="%s">', s)) > 0)
          FROM unnest(ARRAY['summary', 'leaderboard', 'progress', 'performance', 'importance',
                            'profile', 'warnings']) s) AS all_sections,
       strpos(html, '<svg') > 0 AS has_charts,
       strpos(lower(html), '<script') = 0 AS no_script,
       html !~* '(https?|javascript)\s*:' AS no_links,
       strpos(html, 'url(') = 0 AS no_css_urls
  FROM pages ORDER BY name;
-- the source text and the dropped column's name are shown, escaped
SELECT strpos(html, '&lt;b&gt;XX&lt;/b&gt;') > 0 AS source_escaped,
       strpos(html, '<b>XX') = 0 AS source_not_raw
  FROM pages WHERE name = 'rep_churn';
-- a given version; and the same page every time
SELECT automl.report('rep_iris', 1) = (SELECT html FROM pages WHERE name = 'rep_iris') AS same_page;

-- errors, and what another role may see
SELECT automl.report('no_such_model');
SELECT automl.report('rep_iris', 7);
SELECT automl._render_report('[1, 2]');
SELECT automl._render_report('{"model": ');
CREATE ROLE report_reader;
GRANT USAGE ON SCHEMA automl TO report_reader;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA automl TO report_reader;
SET ROLE report_reader;
SELECT automl.report('rep_iris');
RESET ROLE;
SELECT automl.grant('rep_iris', 'score', 'report_reader');
SET ROLE report_reader;
SELECT length(automl.report('rep_iris')) > 1000 AS readable_with_a_right;
RESET ROLE;

SELECT automl.drop(n) FROM unnest(ARRAY['rep_churn', 'rep_diab', 'rep_iris']) n;
DROP TABLE rep_churn;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA automl FROM report_reader;
REVOKE ALL ON SCHEMA automl FROM report_reader;
DROP ROLE report_reader;
