# test/lib/cluster.sh: start and stop a throwaway PostgreSQL cluster.
#
# Source it, then:  cluster_start DIR [extra postgres -c settings...]
# It sets PGHOST, PGPORT, PGUSER, PGDATABASE for psql and pg_regress.  The
# server listens on a private socket directory only (no TCP), so concurrent
# runs never collide.  initdb and the server refuse to run as root; as root
# the cluster belongs to the "postgres" user.

PG_BIN=${PG_BIN:-$(pg_config --bindir)}

cluster_run() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

cluster_start() {
	CLUSTER_DIR=$1
	shift
	mkdir -p "$CLUSTER_DIR"
	if [ "$(id -u)" = 0 ]; then
		chown postgres: "$CLUSTER_DIR"
	fi
	cluster_run "$PG_BIN/initdb" -D "$CLUSTER_DIR/data" -A trust -U postgres \
		--no-sync -E UTF8 --locale=C.UTF-8 >"$CLUSTER_DIR/initdb.log" 2>&1 ||
		{ cat "$CLUSTER_DIR/initdb.log"; return 1; }
	{
		echo "listen_addresses = ''"
		echo "unix_socket_directories = '$CLUSTER_DIR'"
		echo "fsync = off"
		echo "max_worker_processes = 16"
		for setting in "$@"; do echo "$setting"; done
	} >>"$CLUSTER_DIR/data/postgresql.conf"
	PGPORT=${PGPORT:-$((20000 + RANDOM % 20000))}
	OPENBLAS_NUM_THREADS=1 cluster_run "$PG_BIN/pg_ctl" -D "$CLUSTER_DIR/data" -w -t 60 \
		-o "-p $PGPORT" -l "$CLUSTER_DIR/server.log" start >/dev/null ||
		{ cat "$CLUSTER_DIR/server.log"; return 1; }
	export PGHOST=$CLUSTER_DIR PGPORT PGUSER=postgres PGDATABASE=postgres
}

cluster_stop() {
	[ -n "${CLUSTER_DIR:-}" ] && [ -f "$CLUSTER_DIR/data/postmaster.pid" ] &&
		cluster_run "$PG_BIN/pg_ctl" -D "$CLUSTER_DIR/data" -m immediate stop >/dev/null 2>&1
	return 0
}

# Did any backend crash?  (exits non-zero if the log says so)
cluster_check_crashes() {
	if grep -E "terminated by signal|server process .* was terminated" "$CLUSTER_DIR/server.log"; then
		echo "server log shows a crashed backend" >&2
		return 1
	fi
	return 0
}
