#!/bin/bash
# run.sh: build the libFuzzer targets over the pure C sources, generate the
# seed corpus from real models, replay the saved regressions and fuzz each
# target.  See test/fuzz/README.md.
#
#   test/fuzz/run.sh                  short run for CI (fixed runs per target)
#   test/fuzz/run.sh --long SECONDS   each target for SECONDS, corpus kept
#   test/fuzz/run.sh --known          also replay regressions/known/ (open bugs)
#   test/fuzz/run.sh --build          build and generate seeds only
#   test/fuzz/run.sh --only TARGET    fuzz one target (with any of the above)
#
# Exits non-zero on any crash, leak, timeout, out-of-memory or sanitizer
# report.  Reproducers land in test/fuzz/crashes-tmp/<target>/; replay one
# with test/fuzz/bin/fuzz_<target> FILE.  Runs unattended (no stdin): on
# Debian it installs clang-14, its runtime libraries (libFuzzer, sanitizers)
# and the BLAS/LAPACK headers when they are missing, with sudo unless root.
set -u

FUZZ=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$FUZZ/../.." && pwd)
BIN=$FUZZ/bin
OBJ=$BIN/obj
JOBS=$(nproc 2>/dev/null || echo 2)

TARGETS="model model_crc options json"
FUZZ_TARGETS=$TARGETS
# executions per target in the short run (about 90 s in all, build included)
short_runs() {
	case "$1" in
		model) echo 40000 ;;
		model_crc) echo 30000 ;;
		options) echo 200000 ;;
		json) echo 250000 ;;
	esac
}

mode=short
seconds=0
replay_known=no
while [ $# -gt 0 ]; do
	case "$1" in
		--long) mode=long; seconds=${2:?--long needs SECONDS}; shift ;;
		--known) replay_known=yes ;;
		--build) mode=build ;;
		--only)
			case " $TARGETS " in
				*" ${2:-} "*) FUZZ_TARGETS=$2; shift ;;
				*) echo "--only needs one of: $TARGETS" >&2; exit 2 ;;
			esac ;;
		*) echo "usage: $0 [--long SECONDS] [--known] [--build] [--only TARGET]" >&2; exit 2 ;;
	esac
	shift
done

# ---------- dependencies (as test/setup-deps.sh: only what is missing) ----------

packages=(make libopenblas-dev liblapacke-dev)
# libclang-rt-14-dev holds libFuzzer and the sanitizer runtimes: clang-14
# only recommends it
[ -n "${CC_FUZZ:-}" ] || packages+=(clang-14 libclang-rt-14-dev)
if command -v dpkg-query >/dev/null; then
	missing=()
	for p in "${packages[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
			missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		sudo=""
		[ "$(id -u)" = 0 ] || sudo="sudo"
		echo "== installing: ${missing[*]}"
		export DEBIAN_FRONTEND=noninteractive
		if ! { $sudo apt-get update -qq &&
			$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; } </dev/null; then
			echo "cannot install ${missing[*]}" >&2
			exit 1
		fi
	fi
fi
CC=${CC_FUZZ:-clang-14}
command -v "$CC" >/dev/null || CC=clang
command -v "$CC" >/dev/null || { echo "no clang: set CC_FUZZ" >&2; exit 1; }

export OPENBLAS_NUM_THREADS=1
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

SAN="-fsanitize=address,undefined -fno-sanitize-recover=all"
CFLAGS="-std=gnu11 -g -O1 -fno-omit-frame-pointer $SAN -Wall -Wno-unused-parameter
	-Wno-sign-compare -Wno-missing-field-initializers -I$ROOT/src -I$FUZZ"
# Pure code never frees what a memory context would: fuzz_arena.c records
# every block of test/unit/core_std.c's allocator and frees them per input.
WRAP="-Wl,--wrap=am_alloc,--wrap=am_alloc0,--wrap=am_realloc,--wrap=am_free"
LIBS="-llapacke -lopenblas -lm -lpthread"

t0=$(date +%s.%N)
elapsed() { echo "$(date +%s.%N) $1" | awk '{printf "%.1f", $1 - $2}'; }

# ---------- build ----------

# PG_CONFIG=true: the list needs no PostgreSQL (PGXS is then not included)
pure=$(make -s -C "$ROOT" PG_CONFIG=true print-PURE_OBJS) || pure=""
[ -n "$pure" ] || { echo "cannot read PURE_OBJS from the Makefile" >&2; exit 1; }
mkdir -p "$OBJ"
# libFuzzer writes crash-* files to the working directory unless told
# otherwise: every run below has an -artifact_prefix, and runs from here
cd "$BIN" || exit 1
newest_header=$(find "$ROOT/src" "$FUZZ" -maxdepth 1 -name '*.h' -printf '%T@ %p\n' |
	sort -n | tail -1 | cut -d' ' -f2-)

# compile SRC OBJ EXTRA-FLAGS: when missing or older than SRC or any header
compile_list=$BIN/compile.list
: >"$compile_list"
queue() {
	if [ ! -e "$2" ] || [ "$1" -nt "$2" ] || [ "$newest_header" -nt "$2" ] || [ "$0" -nt "$2" ]; then
		printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$compile_list"
	fi
}
objs=""
for o in $pure; do
	src=$ROOT/${o%.o}.c
	queue "$src" "$OBJ/$(basename "${o%.o}").o" "-fsanitize=fuzzer-no-link"
	objs="$objs $OBJ/$(basename "${o%.o}").o"
done
queue "$ROOT/test/unit/core_std.c" "$OBJ/core_std.o" ""
queue "$FUZZ/fuzz_arena.c" "$OBJ/fuzz_arena.o" ""
objs="$objs $OBJ/core_std.o $OBJ/fuzz_arena.o"
queue "$FUZZ/fuzz_model.c" "$OBJ/fuzz_model.o" "-fsanitize=fuzzer-no-link"
queue "$FUZZ/fuzz_model.c" "$OBJ/fuzz_model_crc.o" "-fsanitize=fuzzer-no-link -DFUZZ_FIX_CRC"
queue "$FUZZ/fuzz_options.c" "$OBJ/fuzz_options.o" "-fsanitize=fuzzer-no-link"
queue "$FUZZ/fuzz_json.c" "$OBJ/fuzz_json.o" "-fsanitize=fuzzer-no-link"
queue "$FUZZ/make_seeds.c" "$OBJ/make_seeds.o" ""

n_compile=$(wc -l <"$compile_list")
if [ "$n_compile" -gt 0 ]; then
	echo "== compiling $n_compile files with $CC ($JOBS jobs)"
	# Objects get the time their compile started: a source edited while it
	# compiles stays newer than its object, so the next run compiles it again.
	BUILD_START=$(date +%s.%N)
	export CC CFLAGS BUILD_START
	# shellcheck disable=SC2016
	if ! tr '\t' '\n' <"$compile_list" | xargs -d '\n' -n 3 -P "$JOBS" \
		sh -c '$CC $CFLAGS $2 -c "$0" -o "$1" && touch -d "@$BUILD_START" "$1"'; then
		echo "compilation failed" >&2
		exit 1
	fi
fi
# link OUT FLAG MAIN-OBJECT: when missing or older than an object (so a
# second run.sh, e.g. --only another target, leaves running binaries alone)
link() {
	local o
	for o in "$3" $objs; do
		if [ ! -e "$1" ] || [ "$o" -nt "$1" ]; then
			# shellcheck disable=SC2086
			$CC $SAN "$2" -o "$1.tmp" "$3" $objs $WRAP $LIBS && mv -f "$1.tmp" "$1"
			return
		fi
	done
}
for t in $TARGETS; do
	link "$BIN/fuzz_$t" -fsanitize=fuzzer "$OBJ/fuzz_$t.o" || exit 1
done
link "$BIN/make_seeds" -fsanitize=fuzzer-no-link "$OBJ/make_seeds.o" || exit 1
echo "== built in $(elapsed "$t0") s"

# ---------- seeds ----------

rm -rf "$BIN/seeds.$$"
"$BIN/make_seeds" "$ROOT/test/data" "$BIN/seeds.$$" </dev/null || exit 1
rm -rf "$BIN/seeds" && mv "$BIN/seeds.$$" "$BIN/seeds" || exit 1
# the CRC-fixing target starts from the same real models
seed_dir() { case "$1" in model_crc) echo "$BIN/seeds/model" ;; *) echo "$BIN/seeds/$1" ;; esac; }
dict_for() { case "$1" in options|json) echo "-dict=$FUZZ/options.dict" ;; esac; }
[ "$mode" = build ] && exit 0

# ---------- regressions ----------

# the lines of a libFuzzer log that say what went wrong, and our stack frames
report() {
	grep -E "ERROR|SUMMARY|runtime error|fuzz finding|Test unit written|#[0-9]+ 0x[0-9a-f]+ in [^ ]+ [^ ]+\.c:[0-9]+" "$1" | head -16
}

failed=0
replay() {
	local file=$1 name target
	name=$(basename "$file")
	target=${name%%-*}
	if [ ! -x "$BIN/fuzz_$target" ]; then
		echo "regression $name: no target \"$target\"" >&2
		return 1
	fi
	mkdir -p "$BIN/replay-artifacts"
	if "$BIN/fuzz_$target" -rss_limit_mb=2048 -timeout=10 \
		-artifact_prefix="$BIN/replay-artifacts/" "$file" >"$BIN/replay.log" 2>&1 </dev/null; then
		echo "   ok    $name"
	else
		echo "   FAIL  $name (see below)"
		report "$BIN/replay.log" | sed 's/^/         /'
		return 1
	fi
}
echo "== replaying regressions"
for f in "$FUZZ"/regressions/*-*; do
	[ -f "$f" ] || continue
	replay "$f" || failed=1
done
if [ "$replay_known" = yes ]; then
	echo "== replaying known open bugs (regressions/known/; failures expected until fixed)"
	for f in "$FUZZ"/regressions/known/*-*; do
		[ -f "$f" ] || continue
		replay "$f" || true
	done
fi

# ---------- fuzzing ----------

summary=""
for t in $FUZZ_TARGETS; do
	art=$FUZZ/crashes-tmp/$t
	mkdir -p "$art"
	if [ "$mode" = long ]; then
		work=$FUZZ/corpus/$t
		limit="-max_total_time=$seconds"
	else
		work=$BIN/work/$t
		rm -rf "$work"
		limit="-runs=$(short_runs "$t") -seed=1"
	fi
	mkdir -p "$work"
	log=$BIN/fuzz_$t.log
	before=$(find "$art" -type f | wc -l)
	echo "== fuzz_$t ($mode)"
	ts=$(date +%s.%N)
	# shellcheck disable=SC2046,SC2086
	"$BIN/fuzz_$t" $limit -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
		-artifact_prefix="$art/" $(dict_for "$t") "$work" "$(seed_dir "$t")" >"$log" 2>&1 </dev/null
	rc=$?
	secs=$(elapsed "$ts")
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	[ -n "$execs" ] || execs=$(grep -oE '^#[0-9]+' "$log" | tail -1 | tr -d '#')
	cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
	findings=$(( $(find "$art" -type f | wc -l) - before ))
	[ "$rc" -ne 0 ] && [ "$findings" -eq 0 ] && findings=1
	if [ "$findings" -gt 0 ]; then
		failed=1
		echo "   FINDING: exit $rc; log $log"
		report "$log" | sed 's/^/   /'
	fi
	summary="$summary$(printf '%-10s %10s %8s %6s %8s' "$t" "${execs:-?}" "$secs" "${cov:-?}" "$findings")
"
done

echo "== summary ($mode; total $(elapsed "$t0") s)"
printf '%-10s %10s %8s %6s %8s\n' target executions seconds cov findings
printf '%s' "$summary"
exit $failed
