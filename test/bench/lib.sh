# test/bench/lib.sh: set-up shared by the benchmark scripts: dependencies
# (with the Python peers), build + install, and a cluster tuned for timing.
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
. test/lib/common.sh
. test/lib/cluster.sh

bench_start() {
	local name=$1
	build_and_install bench
	BENCH_DIR=$(cluster_dir "bench-$name")
	trap 'cluster_stop; rm -rf "$BENCH_DIR"' EXIT
	trap 'exit 130' INT TERM
	cluster_start "$BENCH_DIR" "shared_buffers = 2GB" "work_mem = 64MB" "max_wal_size = 4GB" \
		"checkpoint_timeout = 30min" "synchronous_commit = off" "automl.max_threads = 2" \
		${BENCH_PRELOAD:+"shared_preload_libraries = 'automl'"}
	q_bench="psql -X -At -d postgres"
	echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
	echo "openblas core: $(OPENBLAS_VERBOSE=2 /usr/bin/python3 -c 'import numpy' 2>&1 | grep -io 'core: *[a-z0-9]*' | head -1 || echo unknown)"
	echo "postgresql: $($q_bench -c 'SHOW server_version')"
}
