# test/lib/pgcopy.sh: a private copy of the system's PostgreSQL 15 to install
# an instrumented build of the extension into, without touching the system's
# directories (someone else may be running `make install` there).
#
# Source it from the repository root, then:
#   pgcopy_create ROOT        copy /usr/lib/postgresql/15 and /usr/share/postgresql/15
#                             under ROOT with their relative layout (the binaries
#                             are relocatable: they find share/ and lib/ relative
#                             to their own path); sets PGCOPY_BIN and PGCOPY_PG_CONFIG
#   pgcopy_source DIR         copy the working tree (sources, tests, data; what
#                             git does not ignore) to DIR: no object files, the
#                             copy builds from scratch
#   pgcopy_install DIR [make variables...]
#                             build DIR and install it into the copy
#   pgcopy_install_probe DIR [make variables...]
#                             the same for test/lib/san_probe.c (the checkers'
#                             positive control)
#   need_packages PKG...      apt-get install what is missing
#   pgcopy_workdir NAME       make $work (/tmp/automl-NAME.XXXXXX) and remove it at
#                             exit after stopping the script's cluster, unless KEEP=1;
#                             a function named by PGCOPY_AFTER_STOP runs after the stop
#
# Start servers from the copy with PG_BIN=$PGCOPY_BIN before sourcing
# test/lib/cluster.sh.
# shellcheck shell=bash

PGCOPY_SYS_BIN=${PGCOPY_SYS_BIN:-/usr/lib/postgresql/15/bin}

pgcopy_workdir() {
	work=$(mktemp -d "/tmp/automl-$1.XXXXXX")
	chmod 755 "$work"
	trap pgcopy_cleanup EXIT
	trap 'exit 130' INT TERM
}

pgcopy_cleanup() {
	if [ -n "${CLUSTER_DIR:-}" ]; then
		cluster_stop
		if [ -n "${PGCOPY_AFTER_STOP:-}" ]; then "$PGCOPY_AFTER_STOP"; fi
	fi
	if [ "${KEEP:-0}" = 1 ]; then echo "work directory kept: $work"; else rm -rf "$work"; fi
}

pgcopy_create() {
	local root=$1 sysbin sysroot sysshare
	sysbin=$PGCOPY_SYS_BIN
	# the compiled-in layout: bin, pkglib and share under one prefix (/usr)
	sysshare=$("$sysbin/pg_config" --sharedir)
	sysroot=$(dirname "$sysbin")        # /usr/lib/postgresql/15
	[ -x "$sysbin/postgres" ] || { echo "no PostgreSQL server in $sysbin" >&2; return 1; }
	mkdir -p "$root$(dirname "$sysroot")" "$root$(dirname "$sysshare")" "$root/usr/include"
	cp -a "$sysroot" "$root$(dirname "$sysroot")/"
	cp -a "$sysshare" "$root$(dirname "$sysshare")/"
	# headers are only read: a link will do
	ln -sfn "$("$sysbin/pg_config" --includedir)" "$root$("$sysbin/pg_config" --includedir)"
	# never pick up the system's install of the extension by accident
	rm -rf "$root$sysroot/lib/automl.so" "$root$sysroot/lib/bitcode/automl" \
		"$root$sysroot/lib/bitcode/automl.index.bc" "$root$sysshare/extension/automl"*
	chmod 755 "$root"
	# the server runs as postgres: every directory on the way must be searchable
	find "$root" -type d -exec chmod a+rx {} +
	PGCOPY_BIN=$root$sysbin
	PGCOPY_PG_CONFIG=$PGCOPY_BIN/pg_config
	# check that the copy really resolves to itself
	local share
	share=$("$PGCOPY_PG_CONFIG" --sharedir)
	if [ "$share" != "$root$sysshare" ]; then
		echo "pgcopy: the copied pg_config reports sharedir $share, not $root$sysshare" >&2
		return 1
	fi
	export PGCOPY_BIN PGCOPY_PG_CONFIG
}

pgcopy_source() {
	local dest=$1 f
	mkdir -p "$dest"
	if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		# the working tree as it is (tracked and new files, not ignored ones:
		# no objects, no results of earlier runs)
		git ls-files -z -co --exclude-standard |
			while IFS= read -r -d '' f; do [ -f "$f" ] && printf '%s\0' "$f"; done |
			tar --null -T - -cf - | tar -xf - -C "$dest"
	else
		mkdir -p "$dest/src" "$dest/test"
		cp -a Makefile automl.control sql expected "$dest/"
		for f in META.json specs spec; do [ -e "$f" ] && cp -a "$f" "$dest/"; done
		for f in src/*.c src/*.h; do [ -e "$f" ] && cp -a "$f" "$dest/src/"; done
		cp -a test/data "$dest/test/"
	fi
	rm -f "$dest"/src/*.o "$dest"/src/*.bc "$dest"/*.so
	chmod -R a+rX "$dest"
}

pgcopy_install() {
	local dir=$1 log
	shift
	log=$(make -C "$dir" -s -j2 PG_CONFIG="$PGCOPY_PG_CONFIG" "$@" 2>&1) ||
		{ echo "$log" >&2; echo "pgcopy: the build failed" >&2; return 1; }
	log=$(make -C "$dir" -s PG_CONFIG="$PGCOPY_PG_CONFIG" "$@" install 2>&1) ||
		{ echo "$log" >&2; echo "pgcopy: make install failed" >&2; return 1; }
	[ -f "$("$PGCOPY_PG_CONFIG" --pkglibdir)/automl.so" ] ||
		{ echo "pgcopy: automl.so did not land in the copy" >&2; return 1; }
}

# pgcopy_install_probe DIR [make variables...]: build test/lib/san_probe.c (a
# module with deliberate memory and UB errors, the checkers' positive
# control) in DIR and install it into the copy.
pgcopy_install_probe() {
	local dir=$1 log
	shift
	mkdir -p "$dir"
	cp test/lib/san_probe.c "$dir/"
	cat >"$dir/Makefile" <<'MK'
MODULES = san_probe
PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)
MK
	log=$( { make -C "$dir" -s PG_CONFIG="$PGCOPY_PG_CONFIG" "$@" &&
		make -C "$dir" -s PG_CONFIG="$PGCOPY_PG_CONFIG" "$@" install; } 2>&1) ||
		{ echo "$log" >&2; echo "pgcopy: building the probe failed" >&2; return 1; }
}

# need_packages PKG...: apt-get install the Debian packages that are missing
# (guarded like test/setup-deps.sh; no prompt, no stdin needed).
need_packages() {
	local p missing=()
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	local sudo=""
	[ "$(id -u)" = 0 ] || sudo="sudo"
	echo "installing: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -qq </dev/null
	$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null >/dev/null
}
