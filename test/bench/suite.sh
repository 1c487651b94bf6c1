#!/usr/bin/env bash
# test/bench/suite.sh: automl.train vs the peer baselines on every bundled
# data set, one fixed 80/20 split each, side by side in one run.
#   test/bench/suite.sh                  all data sets, 60 s budget each
#   BENCH_BUDGET=20 test/bench/suite.sh iris spam   a quicker look
#   BENCH_SPLITS=0,1,2 BENCH_BUDGET=15 test/bench/suite.sh pima_diabetes wine
#                                        three seeded splits each, to judge a
#                                        change to the search beyond one holdout
#   BENCH_OPTIONS='{"cv_repeats": 1}' ...  the same with options for every
#                                        automl.train() call
#   BENCH_MAX_TRIALS=100 ...            searches of 100 trials, no time
#                                        budget: the same trials on any machine
#   BENCH_ALGORITHMS=linear,gbm ...     searches restricted to those families
. "$(dirname "$0")/lib.sh"
bench_start suite
export PGDATABASE=postgres
psql -X -q -c "SET client_min_messages = warning" -c "CREATE EXTENSION IF NOT EXISTS automl"
/usr/bin/python3 test/bench/suite.py "$@"
