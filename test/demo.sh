#!/usr/bin/env bash
# test/demo.sh: the main job end to end on a fresh Debian 12 machine.
#
# Builds and installs the extension, starts a throwaway cluster under build/,
# loads a bundled real data set (default: mlc_churn, customer churn), trains
# with one SQL call, scores a few rows and prints the leaderboard.
#
#   test/demo.sh [data set [target [time budget]]]   e.g. test/demo.sh iris species
# Data sets: the CSV files in test/data/.  KEEP=1 leaves the cluster running.
cd "$(dirname "$0")/.."
. test/lib/common.sh
. test/lib/cluster.sh

dataset=${1:-mlc_churn}
target=${2:-churn}
budget=${3:-30 seconds}
csv=test/data/$dataset.csv
[ -f "$csv" ] || { echo "no data set $csv" >&2; exit 2; }

build_and_install
dir=$(cluster_dir demo)
[ "${KEEP:-0}" = 1 ] || trap 'cluster_stop; rm -rf "$dir"' EXIT
trap 'exit 130' INT TERM
cluster_start "$dir"

# A table with the CSV's columns: numbers as float8, everything else as text.
columns=$(head -1 "$csv" | tr -d '"\r')
types=$(python3 - "$csv" <<'PY'
import csv, sys
rows = csv.reader(open(sys.argv[1]))
header = next(rows)
numeric = [True] * len(header)
for r in rows:
    for i, v in enumerate(r):
        if v != "":
            try:
                float(v)
            except ValueError:
                numeric[i] = False
print(", ".join(f'"{h}" {"float8" if n else "text"}' for h, n in zip(header, numeric)))
PY
)

psql -v ON_ERROR_STOP=1 -q <<SQL
CREATE EXTENSION automl;
CREATE TABLE $dataset (id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY, $types);
\copy $dataset ($columns) FROM '$csv' WITH (FORMAT csv, HEADER true)
\echo
\echo '== SELECT * FROM automl.train(...)'
SELECT * FROM automl.train('demo', '$dataset', '$target', time_budget => '$budget',
                           exclude => '{id}');
\echo '== scoring rows inside a query'
SELECT id, "$target" AS actual,
       CASE WHEN (SELECT task FROM automl.models WHERE name = 'demo') = 'regression'
            THEN round(automl.predict('demo', t)::numeric, 3)::text
            ELSE automl.predict_label('demo', t) END AS predicted,
       CASE WHEN (SELECT task FROM automl.models WHERE name = 'demo') <> 'regression'
            THEN (SELECT array_agg(round(p::numeric, 3)) FROM unnest(automl.predict_proba('demo', t)) p)
       END AS probabilities
  FROM $dataset t ORDER BY id LIMIT 5;
\echo '== leaderboard'
SELECT rank, algorithm, hyperparameters, metric, round(score::numeric, 4) AS score,
       round(score_std::numeric, 4) AS std, round(fit_seconds::numeric, 3) AS fit_s, status
  FROM automl.leaderboard WHERE name = 'demo' ORDER BY rank LIMIT 10;
\echo '== most important features'
SELECT feature, round(importance::numeric, 3) AS importance
  FROM automl.feature_importance('demo') ORDER BY importance DESC LIMIT 5;
SQL
if [ "${KEEP:-0}" = 1 ]; then
	echo "cluster left running: PGHOST=$PGHOST PGPORT=$PGPORT psql -U postgres"
fi
