#!/usr/bin/env bash
# test/bench/serving.sh: scoring cost inside queries (issue P1, P2, P3, P7 and
# the Python path), measured side by side in one run on a throwaway cluster.
#   test/bench/serving.sh            1M rows, medians of 5 runs
#   BENCH_ROWS=200000 BENCH_REPS=3 test/bench/serving.sh   a quicker look
#   BENCH_PRELOAD=1 test/bench/serving.sh    the server preloads the library
. "$(dirname "$0")/lib.sh"
bench_start serving
export PGDATABASE=postgres
/usr/bin/python3 test/bench/serving.py
