#!/usr/bin/env bash
# test/replica.sh: scoring on a hot standby (streaming replication).
#
# A primary and a standby made with pg_basebackup run on private sockets.
# The standby scores with the models trained on the primary, gives the same
# predictions, sees a deploy on the primary in its next statement (also in a
# session whose backend already cached the old version), explains and batch
# scores, refuses to train, and logs no errors.  The standby preloads the
# library (shared_preload_libraries), the primary loads it on first use.
# Run by test/check.sh.
cd "$(dirname "$0")/.."
. test/lib/common.sh
. test/lib/cluster.sh
. test/lib/assert.sh

base=$(cluster_dir replica)
trap 'PGPORT=$standby_port CLUSTER_DIR=$base/standby cluster_stop; PGPORT=$primary_port CLUSTER_DIR=$base/primary cluster_stop; rm -rf "$base"' EXIT
trap 'exit 130' INT TERM

primary_port=$((20000 + RANDOM % 20000))
standby_port=$((primary_port + 1))
PGPORT=$primary_port cluster_start "$base/primary" "wal_level = replica" "max_wal_senders = 4" \
	"hot_standby = on"
primary="-h $base/primary -p $primary_port -U postgres"

q $primary -d postgres -c "CREATE DATABASE rep" >/dev/null
q $primary -d rep >/dev/null <<SQL
SET client_min_messages = warning;
CREATE EXTENSION automl;
CREATE TABLE diabetes (id integer GENERATED ALWAYS AS IDENTITY, age float8, sex float8, bmi float8,
    bp float8, s1 float8, s2 float8, s3 float8, s4 float8, s5 float8, s6 float8, progression float8);
\copy diabetes (age, sex, bmi, bp, s1, s2, s3, s4, s5, s6, progression) FROM 'test/data/diabetes.csv' WITH (FORMAT csv, HEADER true)
SET automl.progress = off;
SET automl.audit_log_level = off;
SELECT version FROM automl.train('prog', 'diabetes', 'progression', exclude => '{id}', max_trials => 2);
SELECT version FROM automl.train('prog', 'SELECT * FROM diabetes WHERE sex = 1', 'progression',
                                 exclude => '{id}', max_trials => 2);
SQL

# the standby
mkdir -p "$base/standby"
[ "$(id -u)" = 0 ] && chown postgres: "$base/standby"
cluster_run pg_basebackup -h "$base/primary" -p $primary_port -U postgres -D "$base/standby/data" -R -X stream -c fast
sed -i "s|unix_socket_directories = .*|unix_socket_directories = '$base/standby'|" "$base/standby/data/postgresql.conf"
# the standby loads the library at start (README: every backend and parallel
# worker then starts with it), so the preloaded path is tested here too
echo "shared_preload_libraries = 'automl'" >>"$base/standby/data/postgresql.conf"
OPENBLAS_NUM_THREADS=1 cluster_run pg_ctl -D "$base/standby/data" -w -t 60 -o "-p $standby_port" \
	-l "$base/standby/server.log" start >/dev/null
standby="-h $base/standby -p $standby_port -U postgres"

wait_for_replay() {
	local lsn
	lsn=$(q $primary -d rep -c "SELECT pg_current_wal_lsn()")
	for _ in $(seq 1 100); do
		[ "$(q $standby -d rep -c "SELECT pg_last_wal_replay_lsn() >= '$lsn'")" = t ] && return 0
		sleep 0.1
	done
	return 1
}
check "standby caught up" wait_for_replay
check_eq "standby is in recovery" "$(q $standby -d rep -c 'SELECT pg_is_in_recovery()')" t
check_eq "standby preloads the library" "$(q $standby -d rep -c 'SHOW shared_preload_libraries')" automl

probe="SELECT round(automl.predict('prog', d)::numeric, 9) FROM diabetes d WHERE id = 7"
v1=$(q $primary -d rep -c "$probe")
v2=$(q $primary -d rep -c "SELECT round(automl.predict('prog', 2, d)::numeric, 9) FROM diabetes d WHERE id = 7")
check "versions 1 and 2 predict differently" [ "$v1" != "$v2" ]
check_eq "standby scores like the primary" "$(q $standby -d rep -c "$probe")" "$v1"
check_eq "all rows agree" "$(q $standby -d rep -c "SELECT md5(string_agg(automl.predict('prog', d)::text, ',' ORDER BY id)) FROM diabetes d")" \
	"$(q $primary -d rep -c "SELECT md5(string_agg(automl.predict('prog', d)::text, ',' ORDER BY id)) FROM diabetes d")"

# parallel workers on the standby score with the preloaded library: the same sum as one process
parallel="-c parallel_setup_cost=0 -c parallel_tuple_cost=0 -c min_parallel_table_scan_size=0"
sum_probe="SELECT round(sum(automl.predict('prog', d))::numeric, 6) FROM diabetes d"
check_eq "parallel plan on the standby" "$(PGOPTIONS="$parallel -c max_parallel_workers_per_gather=2" \
	q $standby -d rep -c "EXPLAIN $sum_probe" | grep -c Gather)" 1
check_eq "parallel workers score like one process" \
	"$(PGOPTIONS="$parallel -c max_parallel_workers_per_gather=2" q $standby -d rep -c "$sum_probe")" \
	"$(PGOPTIONS="-c max_parallel_workers_per_gather=0" q $standby -d rep -c "$sum_probe")"

# a standby session that has the deployed version cached
session_open cached $standby -d rep
check_eq "cached session scores version 1" "$(session_query cached "$probe;")" "$v1"

q $primary -d rep -c "SET automl.audit_log_level = off; SELECT automl.deploy('prog', 2)" >/dev/null
check "deploy replayed" wait_for_replay
check_eq "the cached session's next statement uses version 2" "$(session_query cached "$probe;")" "$v2"
check_eq "a new standby session uses version 2" "$(q $standby -d rep -c "$probe")" "$v2"

# a deploy rolled back on the primary changes nothing on the standby
q $primary -d rep -c "SET automl.audit_log_level = off; BEGIN; SELECT automl.deploy('prog', 1); ROLLBACK;" >/dev/null
check "rollback replayed" wait_for_replay
check_eq "rolled-back deploy: still version 2" "$(session_query cached "$probe;")" "$v2"
q $primary -d rep -c "SET automl.audit_log_level = off; SELECT automl.rollback('prog')" >/dev/null
check "rollback replayed" wait_for_replay
check_eq "automl.rollback() reaches the standby" "$(session_query cached "$probe;")" "$v1"
session_close cached

# explain, batch scoring and metadata work read-only; training does not
check_eq "explain on the standby" \
	"$(q $standby -d rep -c "SELECT abs(sum(e.contribution) - automl.predict('prog', d)) < 1e-9 FROM diabetes d, automl.explain('prog', d) e WHERE d.id = 7 GROUP BY d.*")" t
check_eq "batch scoring on the standby" \
	"$(q $standby -d rep -c "SELECT count(*) FROM automl.predict_table('prog', 'diabetes', 'id')")" 442
check_eq "catalog readable on the standby" "$(q $standby -d rep -c "SELECT count(*) FROM automl.models")" 2
check_eq "training refused on the standby" \
	"$(q $standby -d rep -c "SELECT automl.train('x', 'diabetes', 'progression')" 2>&1 | grep -o 'read-only transaction')" \
	"read-only transaction"
check_eq "deploy refused on the standby" \
	"$(q $standby -d rep -c "SELECT automl.deploy('prog', 1)" 2>&1 | grep -o 'read-only transaction')" \
	"read-only transaction"

check "no errors on the standby except the refused writes" \
	bash -c "! grep -E 'ERROR|FATAL|PANIC' '$base/standby/server.log' | grep -v 'read-only transaction' | grep -v 'STATEMENT'"
check "no crash on the standby" bash -c "! grep -q 'terminated by signal' '$base/standby/server.log'"
assert_summary "replica"
