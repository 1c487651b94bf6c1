#!/usr/bin/env bash
# test/progress.sh: the NOTICEs a training prints while it runs.
#
# A NOTICE per finished trial and, when the time budget ended the search, one
# that says so with a hint to resume; none of them with automl.progress off
# or client_min_messages above NOTICE.  Their text carries timings, so they
# are checked here with grep rather than in the pg_regress suite, which runs
# with automl.progress off.  Run by test/check.sh.
cd "$(dirname "$0")/.."
. test/lib/common.sh
. test/lib/cluster.sh
. test/lib/assert.sh

dir=$(cluster_dir progress)
trap 'cluster_stop; rm -rf "$dir"' EXIT
trap 'exit 130' INT TERM
cluster_start "$dir"
q -d postgres -c "CREATE DATABASE progress" >/dev/null
export PGDATABASE=progress
q >/dev/null <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION automl;
CREATE TABLE pts AS
SELECT i, (i % 97) / 9.7 AS x1, (i * 7919 % 101) / 10.1 AS x2,
       CASE WHEN (i % 97) / 9.7 + (i * 7919 % 101) / 20.2 > 6 THEN 'yes' ELSE 'no' END AS y
  FROM generate_series(1, 2000) i;
SQL

train() {	# train NAME SETTINGS ARGS: the session's messages (stderr)
	q -c "$2 SELECT version FROM automl.train('$1', 'pts', 'y', exclude => '{i}', $3)" 2>&1 >/dev/null
}

out=$(train budget "" "algorithms => '{linear}', time_budget => '1 ms'")
check "a NOTICE per finished trial" grep -q "^NOTICE:  trial 1: linear {.*} roc_auc=[0-9.]* (best [0-9.]*, [0-9.]* s)$" <<<"$out"
check "a NOTICE when the time budget ended the search" grep -qx "NOTICE:  time_budget ended the search after 1 trial" <<<"$out"
check "with the way to search on" grep -qxF "HINT:  Train again with options => '{\"resume\": true}' to search on from where it stopped." <<<"$out"
check_eq "the model's validation says so" \
	"$(q -c "SELECT metrics->'validation'->>'ended_by' FROM automl.models WHERE name = 'budget'")" time_budget

out=$(train trials "" "algorithms => '{linear,knn}', max_trials => 4")
check_eq "four trials, four NOTICEs" "$(grep -c "^NOTICE:  trial [1-4]: " <<<"$out")" 4
check_eq "no time budget NOTICE when max_trials ended it" "$(grep -c time_budget <<<"$out")" 0

out=$(train quiet "SET automl.progress = off;" "algorithms => '{linear}', time_budget => '1 ms'")
check_eq "automl.progress = off: no NOTICE" "$out" ""
out=$(train quieter "SET client_min_messages = warning;" "algorithms => '{linear}', time_budget => '1 ms'")
check_eq "client_min_messages = warning: no NOTICE" "$out" ""

cluster_check_crashes
assert_summary progress
