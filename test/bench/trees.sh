#!/usr/bin/env bash
# test/bench/trees.sh: our gbm trained through SQL (data load included)
# against Debian's python3-xgboost on the same rows and the same 2 cores:
# shuttle (58,000 rows) and a generated 1M-row table; time ratio, holdout
# scores, and predict cost per row inside a query.  See test/bench/trees.py.
#   test/bench/trees.sh                          medians of 3 runs
#   BENCH_ROWS=200000 BENCH_REPS=1 test/bench/trees.sh   a quicker look
. "$(dirname "$0")/lib.sh"
bench_start trees
export PGDATABASE=postgres
/usr/bin/python3 test/bench/trees.py
