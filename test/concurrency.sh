#!/usr/bin/env bash
# test/concurrency.sh: scoring while models are deployed and rolled back.
#
# Four pgbench clients score all rows of a table, continuously, while this
# script deploys and rolls back a model 40 times and rolls back a deploy
# transaction as many times.  After every commit a long-lived session (its
# backend caches the model) must score with the version just made live; a
# rolled-back deploy must change nothing.  pgbench must finish with no failed
# transaction and the server log must show no error.  Run by test/check.sh.
cd "$(dirname "$0")/.."
. test/lib/common.sh
. test/lib/cluster.sh
. test/lib/assert.sh

dir=$(cluster_dir concurrency)
trap 'cluster_stop; rm -rf "$dir"' EXIT
trap 'exit 130' INT TERM
cluster_start "$dir" "max_connections = 50"

q -d postgres -c "CREATE DATABASE conc" >/dev/null
export PGDATABASE=conc
q >/dev/null <<SQL
SET client_min_messages = warning;
CREATE EXTENSION automl;
CREATE TABLE diabetes (id integer GENERATED ALWAYS AS IDENTITY, age float8, sex float8, bmi float8,
    bp float8, s1 float8, s2 float8, s3 float8, s4 float8, s5 float8, s6 float8, progression float8);
\copy diabetes (age, sex, bmi, bp, s1, s2, s3, s4, s5, s6, progression) FROM 'test/data/diabetes.csv' WITH (FORMAT csv, HEADER true)
SET automl.progress = off;
SELECT version FROM automl.train('m', 'diabetes', 'progression', exclude => '{id}', max_trials => 1);
SELECT version FROM automl.train('m', 'SELECT * FROM diabetes WHERE sex = 2', 'progression',
                                 exclude => '{id}', max_trials => 1);
SQL

probe="SELECT round(automl.predict('m', d)::numeric, 9) FROM diabetes d WHERE id = 7"
v1=$(q -c "SELECT round(automl.predict('m', 1, d)::numeric, 9) FROM diabetes d WHERE id = 7")
v2=$(q -c "SELECT round(automl.predict('m', 2, d)::numeric, 9) FROM diabetes d WHERE id = 7")
check "the two versions predict differently" [ "$v1" != "$v2" ]

cat >"$dir/score.sql" <<'SQL'
SELECT count(automl.predict('m', d)) FROM diabetes d;
SELECT sum(contribution) FROM diabetes d, automl.explain('m', d) WHERE d.id = 1 + (random() * 400)::int;
SELECT count(*) FROM automl.predict_table('m', 'diabetes', 'id');
SQL
pgbench -n -c 4 -j 2 -T 12 -f "$dir/score.sql" >"$dir/pgbench.log" 2>&1 &
bench=$!

session_open watcher
stale=0
phantom=0
for i in $(seq 1 20); do
	q -c "SET automl.audit_log_level = off; SELECT automl.deploy('m', 2)" >/dev/null
	[ "$(session_query watcher "$probe;")" = "$v2" ] || stale=$((stale + 1))
	q -c "SET automl.audit_log_level = off; BEGIN; SELECT automl.deploy('m', 1); ROLLBACK;" >/dev/null
	[ "$(session_query watcher "$probe;")" = "$v2" ] || phantom=$((phantom + 1))
	q -c "SET automl.audit_log_level = off; SELECT automl.rollback('m')" >/dev/null
	[ "$(session_query watcher "$probe;")" = "$v1" ] || stale=$((stale + 1))
	q -c "SET automl.audit_log_level = off; BEGIN; SELECT automl.rollback('m'); ROLLBACK;" >/dev/null
	[ "$(session_query watcher "$probe;")" = "$v1" ] || phantom=$((phantom + 1))
done
session_close watcher
bench_rc=0
wait $bench || bench_rc=$?

check_eq "no stale version after a committed deploy or rollback (40 checks)" "$stale" 0
check_eq "no effect of a rolled-back deploy or rollback (40 checks)" "$phantom" 0
check_eq "pgbench exit status" "$bench_rc" 0
check "pgbench ran transactions" grep -qE "number of transactions actually processed: [1-9]" "$dir/pgbench.log"
check "pgbench: no failed transaction" grep -q "number of failed transactions: 0 " "$dir/pgbench.log"
check "pgbench: no aborted client" bash -c "! grep -q 'aborted' '$dir/pgbench.log'"
check_eq "deployments recorded" "$(q -c "SELECT count(*) FROM automl.deployments WHERE name = 'm'")" 41
check "no errors in the server log" bash -c "! grep -E 'ERROR|FATAL|PANIC' '$dir/server.log'"
check "no crash" bash -c "! grep -q 'terminated by signal' '$dir/server.log'"
grep -E "transactions actually processed|tps =" "$dir/pgbench.log" | sed 's/^/     /' || true
[ "$bench_rc" = 0 ] || tail -20 "$dir/pgbench.log"
assert_summary "concurrency"
