# test/lib/common.sh: shared set-up for the demo, the test suite and the
# benchmarks: dependencies, build + install, and a place for a throwaway
# cluster.  Source it from the repository root.

set -euo pipefail
export PATH="$(pg_config --bindir 2>/dev/null || echo /usr/lib/postgresql/15/bin):$PATH"

as_root() {
	if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

build_and_install() {
	test/setup-deps.sh "$@"
	export PATH="$(pg_config --bindir):$PATH"
	local log
	log=$(make -s -j2 2>&1) || { echo "$log"; return 1; }
	# the build must stay free of compiler warnings
	if echo "$log" | grep -E "warning:"; then
		echo "the build printed compiler warnings" >&2
		return 1
	fi
	as_root make -s install >/dev/null
}

# A directory for a throwaway cluster: under build/ when the server's user
# can reach it and the socket path stays short, else a fresh temporary one.
cluster_dir() {
	local name=$1 dir
	mkdir -p build
	dir="$(pwd)/build/$name"
	rm -rf "$dir"
	mkdir -p "$dir"
	if [ "$(id -u)" = 0 ]; then
		chown postgres: "$dir"
		if [ ${#dir} -gt 80 ] || ! runuser -u postgres -- test -w "$dir"; then
			rm -rf "$dir"
			dir=$(mktemp -d /tmp/automl-$name.XXXXXX)
		fi
	elif [ ${#dir} -gt 80 ]; then
		rm -rf "$dir"
		dir=$(mktemp -d /tmp/automl-$name.XXXXXX)
	fi
	echo "$dir"
}
