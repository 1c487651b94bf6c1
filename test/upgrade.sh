#!/usr/bin/env bash
# test/upgrade.sh: ALTER EXTENSION automl UPDATE from the previous release.
#
# Builds the previous release (the newest commit whose automl.control names
# the version of the oldest upgrade script, taken from git) into a private
# copy of the system's PostgreSQL (test/lib/pgcopy.sh), creates the extension
# at that version, trains several models as ordinary roles (grants, a second
# version, deployment history, a background job, an approval), records every
# model's predictions, then installs this tree's build into the same copy,
# restarts (a package upgrade), and checks:
#   - before the update the new library refuses the old catalog with a hint;
#   - after it: the version, every model, version, deployment, right, run,
#     trial and audit row is kept, with owners and grantees as the same roles;
#   - every version scores its rows identically (labels and probabilities);
#   - the new rules hold on the old rows: retrain reads as the recorder, the
#     predefined roles exist, a DBA's grant on the jobs view survives, the
#     models view hides training data from score grantees.
# Run by test/check.sh; about a minute (two builds on 2 cores).
cd "$(dirname "$0")/.."
. test/lib/common.sh
. test/lib/pgcopy.sh
. test/lib/assert.sh

test/setup-deps.sh
current=$(sed -n "s/^default_version = '\(.*\)'/\1/p" automl.control)
script=$(ls sql/automl--*--"$current".sql | head -1)
previous=$(basename "$script" .sql | sed 's/^automl--\(.*\)--.*$/\1/')
release=""
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	# the newest commit at that version (the one before the version changed)
	for c in $(git rev-list --first-parent HEAD); do
		if git show "$c:automl.control" 2>/dev/null | grep -q "^default_version = '$previous'"; then
			release=$c
			break
		fi
	done
fi
if [ -z "$release" ]; then
	echo "upgrade: the sources of release $previous are not in this clone's history" >&2
	exit 1
fi
echo "== upgrade from $previous (commit ${release:0:10}) to $current"

pgcopy_workdir upgrade
pgcopy_create "$work/pg"
mkdir -p "$work/old"
git archive "$release" | tar -xf - -C "$work/old"
chmod -R a+rX "$work/old"
pgcopy_install "$work/old"

export PG_BIN=$PGCOPY_BIN
. test/lib/cluster.sh
dir="$work/cluster"
mkdir -p "$dir"
cluster_start "$dir" "max_worker_processes = 16"
q -d postgres -c "CREATE DATABASE up" >/dev/null
export PGDATABASE=up
q >/dev/null <<SQL
SET client_min_messages = warning;
CREATE EXTENSION automl VERSION '$previous';
SQL
q -f sql/setup.sql >/dev/null
q >/dev/null <<'SQL'
LOAD 'automl';
SET client_min_messages = warning;
SET automl.progress = off;
SET automl.audit_log_level = off;
CREATE ROLE up_alice;                 -- owns models
CREATE ROLE up_bob;                   -- approves, deploys
CREATE ROLE up_carol;                 -- scores
GRANT USAGE ON SCHEMA automl TO up_alice, up_bob, up_carol;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA automl TO up_alice, up_bob, up_carol;
GRANT SELECT ON iris, penguins, diabetes, breast_cancer TO up_alice, up_carol;
SET ROLE up_alice;
SELECT automl.train('up_iris', 'iris', 'species', exclude => '{id}', max_trials => 6);
SELECT automl.train('up_iris', 'iris', 'species', exclude => '{id}', algorithms => '{knn}', max_trials => 2);
SELECT automl.train('up_penguins', 'penguins', 'species', exclude => '{id}', max_trials => 8);
SELECT automl.train('up_diabetes', 'SELECT * FROM diabetes WHERE id > 10', 'progression',
                    exclude => '{id}', algorithms => '{gbm, linear}', max_trials => 4);
SELECT automl.grant('up_iris', 'deploy', 'up_bob');
SELECT automl.grant('up_iris', 'score', 'up_carol');
SELECT automl.grant('up_penguins', 'score', 'public');
SELECT automl.train_async('up_cancer', 'breast_cancer', 'diagnosis', exclude => '{id}', max_trials => 3) AS job \gset
SELECT automl.wait(:job, '2 minutes');
SET ROLE up_bob;
SELECT automl.approve('up_iris', 2);
SELECT automl.deploy('up_iris', 2);
SELECT automl.rollback('up_iris');
RESET ROLE;
-- every version's predictions on its rows
CREATE TABLE up_before AS
SELECT m.name, m.version, s.id,
       CASE WHEN m.task = 'regression' THEN automl.predict(m.name, m.version, s)::text
            ELSE automl.predict_label(m.name, m.version, s) || ' ' || automl.predict_proba(m.name, m.version, s)::text END AS p
  FROM automl.models m, LATERAL (SELECT * FROM iris t WHERE m.name = 'up_iris') s
UNION ALL
SELECT m.name, m.version, s.id, automl.predict_label(m.name, m.version, s) || ' ' || automl.predict_proba(m.name, m.version, s)::text
  FROM automl.models m, penguins s WHERE m.name = 'up_penguins'
UNION ALL
SELECT m.name, m.version, s.id, automl.predict(m.name, m.version, s)::text
  FROM automl.models m, diabetes s WHERE m.name = 'up_diabetes'
UNION ALL
SELECT m.name, m.version, s.id, automl.predict_label(m.name, m.version, s) || ' ' || automl.predict_proba(m.name, m.version, s)::text
  FROM automl.models m, breast_cancer s WHERE m.name = 'up_cancer';
CREATE TABLE up_catalog AS
SELECT (SELECT string_agg(name || ':' || owner || ':' || last_version, ',' ORDER BY name) FROM automl.model_names) AS names,
       (SELECT string_agg(name || ':' || version || ':' || status || ':' || created_by || ':' || coalesce(approved_by::text, '') || ':' || algorithm || ':' || score, ',' ORDER BY name, version) FROM automl.models) AS models,
       (SELECT string_agg(name || ':' || grantee || ':' || privilege, ',' ORDER BY name, grantee, privilege) FROM automl.model_privileges) AS rights,
       (SELECT string_agg(name || ':' || version || ':' || strategy, ',' ORDER BY deployment_id) FROM automl.deployments) AS deployments,
       (SELECT string_agg(name || ':' || version, ',') FROM automl.deployed) AS live,
       (SELECT count(*) FROM automl.runs) AS runs,
       (SELECT count(*) FROM automl.trials) AS trials,
       (SELECT string_agg(action || ':' || name || ':' || coalesce(version, 0), ',' ORDER BY audit_id) FROM automl.audit) AS audit,
       (SELECT string_agg(name || ':' || state, ',' ORDER BY job_id) FROM automl.job_table) AS jobs;
SQL
check_eq "release $previous installed" "$(q -c "SELECT extversion FROM pg_extension WHERE extname = 'automl'")" "$previous"
rows=$(q -c "SELECT count(*) FROM up_before")
check "models trained and scored on $previous ($rows predictions)" [ "$rows" -gt 1000 ]

# the package upgrade: the new library, a restart
cluster_run "$PG_BIN/pg_ctl" -D "$dir/data" -w -m fast stop >/dev/null
pgcopy_source "$work/new"
pgcopy_install "$work/new"
OPENBLAS_NUM_THREADS=1 cluster_run "$PG_BIN/pg_ctl" -D "$dir/data" -w -t 60 -o "-p $PGPORT" \
	-l "$dir/server.log" start >/dev/null

out=$(q -c "SELECT automl.classes('up_iris')" 2>&1 || true)
check "before the update the library asks for it" grep -q "Run ALTER EXTENSION automl UPDATE" <<<"$out"

q -c "ALTER EXTENSION automl UPDATE" >/dev/null
check_eq "updated to $current" "$(q -c "SELECT extversion FROM pg_extension WHERE extname = 'automl'")" "$current"
check_eq "the catalog is kept, roles included" "$(q -c "
SELECT (SELECT string_agg(name || ':' || owner || ':' || last_version, ',' ORDER BY name) FROM automl.model_names) = names,
       (SELECT string_agg(name || ':' || version || ':' || status || ':' || created_by || ':' || coalesce(approved_by::text, '') || ':' || algorithm || ':' || score, ',' ORDER BY name, version) FROM automl.models) = models,
       (SELECT string_agg(name || ':' || grantee || ':' || privilege, ',' ORDER BY name, grantee, privilege) FROM automl.model_privileges) = replace(rights, ':public:', ':-:'),
       (SELECT string_agg(name || ':' || version || ':' || strategy, ',' ORDER BY deployment_id) FROM automl.deployments) = deployments,
       (SELECT string_agg(name || ':' || version, ',') FROM automl.deployed) = live,
       (SELECT count(*) FROM automl.runs) = runs,
       (SELECT count(*) FROM automl.trials) = trials,
       (SELECT string_agg(action || ':' || name || ':' || coalesce(version, 0), ',' ORDER BY audit_id) FROM automl.audit) = audit,
       (SELECT string_agg(name || ':' || state, ',' ORDER BY job_id) FROM automl.job_table) = jobs
  FROM up_catalog")" "t|t|t|t|t|t|t|t|t"
SQL_SCORES="
SELECT b.name, b.version, b.id, b.p,
       CASE b.name
         WHEN 'up_iris' THEN (SELECT automl.predict_label(b.name, b.version, t) || ' ' || automl.predict_proba(b.name, b.version, t)::text FROM iris t WHERE t.id = b.id)
         WHEN 'up_penguins' THEN (SELECT automl.predict_label(b.name, b.version, t) || ' ' || automl.predict_proba(b.name, b.version, t)::text FROM penguins t WHERE t.id = b.id)
         WHEN 'up_diabetes' THEN (SELECT automl.predict(b.name, b.version, t)::text FROM diabetes t WHERE t.id = b.id)
         ELSE (SELECT automl.predict_label(b.name, b.version, t) || ' ' || automl.predict_proba(b.name, b.version, t)::text FROM breast_cancer t WHERE t.id = b.id)
       END AS after
  FROM up_before b"
check_eq "every version scores its rows identically (labels and probabilities)" \
	"$(q -c "SELECT count(*) FILTER (WHERE p IS DISTINCT FROM after), count(*) FROM ($SQL_SCORES) s")" "0|$rows"
check_eq "the live version scores as before" \
	"$(q -c "SELECT count(*) FILTER (WHERE automl.predict_label('up_iris', t) IS DISTINCT FROM
	                                   (SELECT split_part(p, ' ', 1) FROM up_before b WHERE b.name = 'up_iris' AND b.version = 1 AND b.id = t.id))
	           FROM iris t")" 0
check_eq "the predefined roles exist" \
	"$(q -c "SELECT count(*) FROM pg_roles WHERE rolname IN ('automl_scorer', 'automl_reviewer', 'automl_analyst')")" 3
check_eq "a DBA's grant on the jobs view survives" \
	"$(q -c "SET ROLE up_alice; SELECT count(*) FROM automl.jobs" | tail -1)" 1
check_eq "a score grantee no longer sees the training data" \
	"$(q -c "SET ROLE up_carol; SELECT bool_and(profile IS NULL) FROM automl.models WHERE name = 'up_iris'" | tail -1)" t
check_eq "an old run is read again as its recorder" \
	"$(q -c "SET automl.progress = off; SET client_min_messages = warning;
	         SELECT rows, data_changed, same_model FROM automl.retrain('up_diabetes', 1)" | tail -1)" "432|f|t"
check_eq "the owner trains on" \
	"$(q -c "SET automl.progress = off; SET client_min_messages = warning; SET ROLE up_alice;
	         SELECT version FROM automl.train('up_iris', 'iris', 'species', exclude => '{id}', max_trials => 1)" | tail -1)" 3
check "no crash" bash -c "! grep -q 'terminated by signal' '$dir/server.log'"
assert_summary "upgrade"
