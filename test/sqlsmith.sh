#!/usr/bin/env bash
# test/sqlsmith.sh: random SQL (Debian's sqlsmith) against a server with
# trained and deployed automl models; fails if any backend crashed.
#
# Builds the extension into a private copy of the system's PostgreSQL 15
# (test/lib/pgcopy.sh; nothing is installed into the system's directories),
# starts a throwaway cluster, loads a few bundled data sets, trains small
# models as an ordinary role "smith" (classification and regression; gbm,
# forest, extra_trees, tree, linear, knn, naive_bayes, mlp, kernel and a default
# search that may keep an ensemble; a second version deployed, then rolled
# back), and runs sqlsmith as that role in two passes with fixed seeds:
#
#   general  sqlsmith as it is: every function of pg_catalog and automl
#   focus    sqlsmith sees only automl's functions (its catalog query reads
#            "pg_proc" through the search path, which here finds a view of
#            the automl rows first), so every call it makes is an automl
#            call (operators and aggregates stay those of PostgreSQL)
#
# The model names are in a table, public.model_names_for_smith, so a text
# argument is sometimes a real name.  Every statement is logged
# (log_statement = all for smith) and the log is parsed for the number of
# statements, how many called automl.* and how many of those failed, and
# the most frequent errors.
#
#   test/sqlsmith.sh [SECONDS [SEED]]   each pass SECONDS (default 60,
#                                       or $SQLSMITH_SECONDS), seed 42
#   SQLSMITH_PASSES="general" test/sqlsmith.sh   one pass only
#   KEEP=1 test/sqlsmith.sh             keep the logs (server log, queries)
#
# Exits non-zero when the server log shows a crashed backend (the query it
# was running is printed) or when sqlsmith could not run.
cd "$(dirname "$0")/.."
. test/lib/common.sh
. test/lib/pgcopy.sh
. test/lib/data.sh

seconds=${1:-${SQLSMITH_SECONDS:-60}}
seed=${2:-${SQLSMITH_SEED:-42}}
passes=${SQLSMITH_PASSES:-general focus}

test/setup-deps.sh
need_packages sqlsmith python3

t0=$(date +%s)
pgcopy_workdir sqlsmith

echo "== building into a private PostgreSQL copy in $work"
pgcopy_create "$work/pg"
pgcopy_source "$work/src"
pgcopy_install "$work/src"

export PG_BIN=$PGCOPY_BIN
. test/lib/cluster.sh
cluster_start "$work/cluster" "max_connections = 30" "automl.max_jobs = 1" \
	"log_min_messages = warning" "log_min_error_statement = error"
psql -X -q -d postgres -c "CREATE DATABASE smith" >/dev/null
export PGDATABASE=smith

echo "== data, role and models"
psql -X -q -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION automl;
CREATE ROLE smith LOGIN;
GRANT USAGE ON SCHEMA automl TO smith;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA automl TO smith;
SQL
load_csv iris
load_csv diabetes
load_csv breast_cancer
load_csv penguins
load_csv house_votes84
psql -X -q -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
GRANT SELECT ON iris, diabetes, breast_cancer, penguins, house_votes84 TO smith;
CREATE TABLE model_names_for_smith (name text, version integer, source text);
GRANT SELECT ON model_names_for_smith TO smith;
SQL

t1=$(date +%s)
psql -X -q -v ON_ERROR_STOP=1 -U smith >"$work/train.log" <<'SQL'
SET client_min_messages = warning;
SET automl.progress = off;
SELECT name, version, algorithm, round(score::numeric, 3) AS score, round(seconds::numeric, 2) AS s FROM (
  SELECT * FROM automl.train('iris_gbm', 'iris', 'species', exclude => '{id}', algorithms => '{gbm}',
                             max_trials => 2, options => '{"cv_folds": 3}')
  UNION ALL
  SELECT * FROM automl.train('cancer_forest', 'breast_cancer', 'diagnosis', exclude => '{id}',
                             algorithms => '{forest}', max_trials => 1, options => '{"cv_folds": 3}')
  UNION ALL
  SELECT * FROM automl.train('cancer_et', 'breast_cancer', 'diagnosis', exclude => '{id}',
                             algorithms => '{extra_trees}', max_trials => 1, options => '{"cv_folds": 3}')
  UNION ALL
  SELECT * FROM automl.train('votes_tree', 'house_votes84', 'party', exclude => '{id}',
                             algorithms => '{tree}', max_trials => 2, options => '{"cv_folds": 3}')
  UNION ALL
  SELECT * FROM automl.train('diabetes_linear', 'diabetes', 'progression', exclude => '{id}',
                             algorithms => '{linear}', max_trials => 3)
  UNION ALL
  SELECT * FROM automl.train('diabetes_gbm', 'diabetes', 'progression', exclude => '{id}',
                             algorithms => '{gbm}', max_trials => 1, options => '{"cv_folds": 3}')
  UNION ALL
  SELECT * FROM automl.train('iris_knn', 'iris', 'species', exclude => '{id}', algorithms => '{knn}',
                             max_trials => 2)
  UNION ALL
  SELECT * FROM automl.train('penguins_nb', 'penguins', 'species', exclude => '{id}',
                             algorithms => '{naive_bayes}', max_trials => 2)
  UNION ALL
  SELECT * FROM automl.train('diabetes_mlp', 'diabetes', 'progression', exclude => '{id}',
                             algorithms => '{mlp}', max_trials => 1, options => '{"cv_folds": 2}')
  UNION ALL
  SELECT * FROM automl.train('penguins_kernel', 'penguins', 'species', exclude => '{id}',
                             algorithms => '{kernel}', max_trials => 1, options => '{"cv_folds": 2}')
  UNION ALL
  -- the default search (every family) on categoricals with NULLs: may keep an ensemble
  SELECT * FROM automl.train('penguins_auto', 'penguins', 'species', exclude => '{id}',
                             max_trials => 12, time_budget => '8 s', options => '{"cv_folds": 3}')
  UNION ALL
  -- a second version, deployed; a third one, deployed and rolled back
  SELECT * FROM automl.train('iris_gbm', 'SELECT * FROM iris WHERE id % 5 <> 0', 'species',
                             exclude => '{id}', algorithms => '{gbm}', max_trials => 1,
                             options => '{"cv_folds": 3}')
  UNION ALL
  SELECT * FROM automl.train('diabetes_linear', 'diabetes', 'progression', exclude => '{id,sex}',
                             algorithms => '{linear}', max_trials => 1)
) t;
SELECT automl.deploy('iris_gbm', 2);
SELECT automl.deploy('diabetes_linear', 2);
SELECT automl.rollback('diabetes_linear', 'sqlsmith set-up');
SQL
psql -X -q -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
INSERT INTO model_names_for_smith
SELECT name, version, split_part(source, ' ', 1) FROM automl.models;
SQL
echo "trained $(psql -X -At -c "SELECT count(*) FROM automl.models") model versions in $(($(date +%s) - t1)) s:"
psql -X -c "SELECT name, version, task, algorithm, status FROM automl.models ORDER BY name, version"

# The focus pass: a view named pg_proc, found before pg_catalog's through
# smith's search_path, shows sqlsmith only automl's functions.
psql -X -q -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
CREATE SCHEMA smith_focus;
CREATE VIEW smith_focus.pg_proc AS
  SELECT * FROM pg_catalog.pg_proc WHERE pronamespace = 'automl'::regnamespace;
GRANT USAGE ON SCHEMA smith_focus TO smith;
GRANT SELECT ON smith_focus.pg_proc TO smith;
ALTER ROLE smith SET log_statement = 'all';
SQL
n_focus=$(psql -X -At -c "SELECT count(*) FROM pg_proc WHERE pronamespace = 'automl'::regnamespace
                                AND NOT proretset AND prokind = 'f'
                                AND prorettype::regtype::text NOT IN ('trigger', 'internal')")

conn="host=$PGHOST port=$PGPORT user=smith dbname=smith"
failed=0
summary=()
for pass in $passes; do
	case $pass in
		general) target=$conn ;;
		focus) target="$conn options='-c search_path=smith_focus,pg_catalog,public'" ;;
		*) echo "unknown pass $pass" >&2; exit 2 ;;
	esac
	echo "== sqlsmith, $pass pass: $seconds s, seed $seed"
	log_from=$(wc -c <"$work/cluster/server.log")
	rc=0
	# sqlsmith reads nothing from stdin; it stops on SIGINT and prints its report
	timeout -s INT -k 20 "$seconds" sqlsmith --target="$target" --seed="$seed" --verbose \
		</dev/null >"$work/sqlsmith-$pass.out" 2>"$work/sqlsmith-$pass.err" || rc=$?
	tail -c +$((log_from + 1)) "$work/cluster/server.log" >"$work/server-$pass.log"
	# 124: stopped by the timeout (the normal end); anything else: it died
	if [ $rc -ne 124 ] && [ $rc -ne 0 ]; then
		echo "sqlsmith exited with $rc:" >&2
		tail -20 "$work/sqlsmith-$pass.err" >&2
		failed=1
	fi
	python3 - "$work/server-$pass.log" "$work/sqlsmith-$pass.err" "$pass" \
		>"$work/stats-$pass.txt" <<'PY'
import collections, datetime, re, sys
log, err, name = sys.argv[1:4]
entry = re.compile(r'^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+) \w+ \[(\d+)\] (\w+):  (.*)$')
entries = []
for line in open(log, errors='replace'):
    m = entry.match(line)
    if m:
        entries.append([m.group(1), m.group(2), m.group(3), m.group(4) + '\n'])
    elif entries:
        entries[-1][3] += line
# the backends running generated queries announce themselves (sqlsmith's
# schema loader is another backend); each query runs as BEGIN; query; ROLLBACK;
dut = set()
plumbing = re.compile(r"^(BEGIN|ROLLBACK|set |SET )", re.I)
calls = re.compile(r'\bautoml\.(\w+)\s*\(')
queries = automl = automl_failed = errors = 0
first = last = None
last_stmt = {}
automl_errors = collections.Counter()
funcs = collections.Counter()
for ts, pid, level, text in entries:
    if level == 'LOG' and text.startswith('statement: '):
        sql = text[len('statement: '):]
        if "sqlsmith::dut" in sql:
            dut.add(pid)
        if pid not in dut or plumbing.match(sql):
            continue
        queries += 1
        first = first or ts
        last = ts
        last_stmt[pid] = sql
        fs = set(calls.findall(sql))
        if fs:
            automl += 1
            funcs.update(fs)
    elif level in ('ERROR', 'FATAL', 'PANIC') and pid in dut:
        errors += 1
        if calls.search(last_stmt.get(pid, '')):
            automl_failed += 1
            msg = re.sub(r'"[^"]*"', '"…"', text.splitlines()[0])[:90]
            automl_errors[msg] += 1
def t(s):
    return datetime.datetime.strptime(s, '%Y-%m-%d %H:%M:%S.%f')
minutes = max((t(last) - t(first)).total_seconds(), 1) / 60 if first else 1
# sqlsmith's progress line: . ok, e error, t timeout, S syntax error, C broken connection
marks = collections.Counter()
for l in open(err, errors='replace'):
    l = l.strip()
    if l and re.fullmatch(r'[.etSC]+', l):
        marks.update(l)
rate = re.findall(r'error rate: ([0-9.]+)', open(err, errors='replace').read())
print(f"{name}: {queries} queries ({queries / minutes:.0f}/min), {errors} errors; "
      f"{automl} called automl functions: {automl - automl_failed} without error, {automl_failed} with")
print(f"  sqlsmith's count: {sum(marks.values())} queries, {marks['.']} ok, {marks['e']} errors, "
      f"{marks['t']} timeouts, {marks['S']} syntax errors, {marks['C']} broken connections"
      + (f"; error rate {float(rate[-1]):.2f}" if rate else ""))
print("  automl functions called (statements): " +
      ", ".join(f"{f} {n}" for f, n in funcs.most_common()))
print("  most frequent errors of the automl calls:")
for m, n in automl_errors.most_common(8):
    print(f"    {n:6d}  {m}")
PY
	cat "$work/stats-$pass.txt"
	summary+=("$(head -1 "$work/stats-$pass.txt")")
	if ! cluster_check_crashes >/dev/null 2>&1 || grep -qE "terminated by signal|was terminated" "$work/server-$pass.log"; then
		echo "== CRASH during the $pass pass:" >&2
		grep -E -A12 "terminated by signal|was terminated" "$work/server-$pass.log" | head -60 >&2
		failed=1
	fi
	if ! grep -q " 0 broken connections" "$work/stats-$pass.txt"; then
		echo "sqlsmith lost its connection during the $pass pass (a crash?)" >&2
		failed=1
	fi
	# every statement is logged: keep the log small between passes
	[ "${KEEP:-0}" = 1 ] || rm -f "$work/server-$pass.log"
	: >"$work/cluster/server.log"
	# a server that died or restarted cannot serve the next pass
	pg_isready -q -h "$PGHOST" -p "$PGPORT" || { echo "the server is down" >&2; failed=1; break; }
done

echo "== summary ($(($(date +%s) - t0)) s in all; automl functions visible to the focus pass: $n_focus)"
for s in "${summary[@]}"; do echo "  $s"; done
cluster_check_crashes || failed=1
if [ $failed = 1 ]; then
	KEEP=1
	echo "sqlsmith: FAILED"
	exit 1
fi
echo "sqlsmith: no crash"
