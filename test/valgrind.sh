#!/usr/bin/env bash
# test/valgrind.sh: the train and score paths of every algorithm family
# under valgrind memcheck, inside a real server.
#
# Builds the extension (-g, the production -O2) into a private copy of the
# system's PostgreSQL 15 (test/lib/pgcopy.sh; nothing is installed into the
# system's directories), loads small data sets into a throwaway cluster,
# restarts the postmaster under memcheck (every backend and background
# worker it forks is checked too, one log per process) and runs
# test/valgrind.sql through psql: one small training per family and task,
# a short search with an ensemble, scoring, explanations, batch scoring,
# importance, profile, drift, fairness, reports, versions, export/import,
# retrain and a background job; the wider tables (breast_cancer, digits)
# make arrays big enough for memcheck to see their ends.  A probe module
# (test/lib/san_probe.c) then reads past a palloc'd block and hands the
# server uninitialised bytes, to prove that both kinds of errors in an
# extension's code are caught and attributed.
#
# Debian's postgres is stripped and built without valgrind client requests:
# memcheck sees malloc'd blocks only, i.e. palloc chunks above 8 kB (which
# hold most of the extension's arrays) and the ends of memory-context
# blocks; small overruns inside a block stay invisible (test/asan.sh and the
# ASan unit tests cover those).  Likewise uninitialised bytes are seen only
# until a context's block is first written, and --track-origins can name
# the extension as their creator only for chunks above 8 kB (smaller ones
# show the block's creation).  The server's own noise is suppressed by
# test/valgrind.supp (stripped frames) or, for its uninitialised padding
# written to WAL and data files, classified by origin (below).
#
#   test/valgrind.sh                  about 70 s on 2 cores (the script: 50 s under memcheck)
#   test/valgrind.sh --suite          also the pg_regress suite under memcheck (about 30 min)
#   VALGRIND_TRACK_ORIGINS=no ...     faster, but writes of uninitialised bytes are
#                                     then blamed on any extension frame in their stack
#   VALGRIND_SQL=FILE ...             another script instead of test/valgrind.sql
#   KEEP=1 ...                        keep the logs
#
# Exits non-zero on any memcheck error with a frame in the extension (its
# sources or automl.so), on a failing statement of the script, on any
# other error the suppressions do not cover (listed, with a suppression to
# add if it is the server's noise), on a crashed backend, or when the probe
# goes unreported.
cd "$(dirname "$0")/.."
. test/lib/common.sh
. test/lib/pgcopy.sh
. test/lib/data.sh

suite=0
[ "${1:-}" = --suite ] && suite=1
sql=${VALGRIND_SQL:-test/valgrind.sql}
[ -f "$sql" ] || { echo "no SQL script $sql" >&2; exit 2; }
sql=$(cd "$(dirname "$sql")" && pwd)/$(basename "$sql")
supp=$(pwd)/test/valgrind.supp

test/setup-deps.sh
need_packages valgrind python3

t0=$(date +%s)
vg_pid=
# the postmaster under valgrind was started by this script
kill_valgrind() { [ -z "$vg_pid" ] || kill -KILL "$vg_pid" 2>/dev/null || true; }
PGCOPY_AFTER_STOP=kill_valgrind
pgcopy_workdir valgrind

echo "== building into a private PostgreSQL copy in $work"
pgcopy_create "$work/pg"
pgcopy_source "$work/src"
pgcopy_install "$work/src" with_llvm=no
pgcopy_install_probe "$work/probe" with_llvm=no

export PG_BIN=$PGCOPY_BIN
. test/lib/cluster.sh
dir="$work/cluster"
cluster_start "$dir" "jit = off" "max_worker_processes = 16" "autovacuum = off" \
	"log_min_messages = warning"
psql -X -q -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION automl;
CREATE FUNCTION san_probe_heap_overflow(int) RETURNS int AS 'san_probe' LANGUAGE C STRICT;
CREATE FUNCTION san_probe_uninit_bytea(int) RETURNS bytea AS 'san_probe' LANGUAGE C STRICT;
SQL
load_csv iris
load_csv diabetes
load_csv penguins
load_csv house_votes84
load_csv breast_cancer
load_csv digits test/data/digits.csv 600
psql -X -q -c CHECKPOINT
cluster_run "$PG_BIN/pg_ctl" -D "$dir/data" -w -m fast stop >/dev/null

echo "== the server under memcheck"
vg="$dir/vg"
mkdir -p "$vg"
chown postgres: "$vg"
vg_cmd=(valgrind --tool=memcheck --log-file="$vg/%p.log" --error-limit=no --num-callers=40
	--read-var-info=no --leak-check=no --track-origins="${VALGRIND_TRACK_ORIGINS:-yes}"
	--fullpath-after=
	--suppressions="$supp" --gen-suppressions=all)
# VALGRIND_OFF=1: the same run without memcheck (to try a new script quickly)
[ "${VALGRIND_OFF:-0}" = 1 ] && vg_cmd=()
runuser -u postgres -- env OPENBLAS_NUM_THREADS=1 "${vg_cmd[@]}" \
	"$PG_BIN/postgres" -D "$dir/data" -p "$PGPORT" </dev/null >>"$dir/server.log" 2>&1 &
vg_pid=$!
for _ in $(seq 1 240); do
	pg_isready -q -h "$PGHOST" -p "$PGPORT" && break
	kill -0 "$vg_pid" 2>/dev/null || { tail -30 "$dir/server.log"; exit 1; }
	sleep 0.5
done
pg_isready -q -h "$PGHOST" -p "$PGPORT" || { echo "the server did not start under valgrind" >&2; exit 1; }
echo "started in $(($(date +%s) - t0)) s"

t1=$(date +%s)
sql_ok=1
( cd "$work/src" && psql -X -v ON_ERROR_STOP=1 -f "$sql" ) >"$work/sql.out" 2>&1 || sql_ok=0
sql_s=$(($(date +%s) - t1))
echo "$(basename "$sql") ran in $sql_s s under memcheck"
if [ $sql_ok = 0 ]; then
	echo "the script failed:" >&2
	tail -30 "$work/sql.out" >&2
fi

# --suite: the pg_regress suite (the Makefile's REGRESS list) too, against
# the same server; its expected output differs where timing matters (time
# budgets under memcheck fit far fewer trials), so only memcheck's findings
# and crashes count
suite_note=
if [ "$suite" = 1 ]; then
	t2=$(date +%s)
	( cd "$work/src" && make -s installcheck PG_CONFIG="$PGCOPY_PG_CONFIG" ) >"$work/suite.out" 2>&1 || true
	grep -E "^(test|ok|not ok) " "$work/suite.out" || true
	suite_note="; suite $(($(date +%s) - t2)) s ($(grep -c "FAILED" "$work/suite.out" || true) tests with other output)"
	echo "regression suite ran under memcheck$suite_note"
fi

# the probe: a read past a palloc'd block of 16000 bytes, and uninitialised
# bytes it creates, used by the server (hex encoding indexes a table with them)
psql -X -q -At -c "SELECT san_probe_heap_overflow(16000)" >/dev/null 2>&1 || true
psql -X -q -At -c "SELECT length(encode(san_probe_uninit_bytea(16000), 'hex'))" >/dev/null 2>&1 || true

# stop the server and let every process write its summary
cluster_run "$PG_BIN/pg_ctl" -D "$dir/data" -w -t 300 -m fast stop >/dev/null || true
wait "$vg_pid" 2>/dev/null || true
vg_pid=

# Classify memcheck's reports.  A frame belongs to the extension when its
# source file is under the build's src/ (memcheck prints full paths) or its
# object is automl.so.  An error is the extension's when such a frame is in
# any of its stacks (where it happened; where the block was allocated or
# freed; where an uninitialised value was created) -- except that a system
# call writing uninitialised bytes (WAL, data pages, the relcache init
# file) is judged by who created those bytes alone (the first frame of the
# origin stack that is not an allocator): the commit that writes them runs
# under the extension's frames in a background job, and a jsonb the
# extension builds with jsonb_in carries numeric_in's padding, but only
# bytes created by the extension's code are the extension's.  Such
# writes of the server's own padding are counted as noise, not failures (a
# suppression could not tell them from an extension's uninitialised model
# bytes on their way to disk).  The probe's error must be found in
# san_probe.c.
python3 - "$vg" "$work/report.txt" "$work/src/src/" <<'PY'
import collections, glob, os, re, sys
vg, out, srcdir = sys.argv[1:4]
head = re.compile(r'^==(\d+)== (\S.*)$')
kinds = re.compile(r'^(Invalid (read|write|free)|Conditional jump|Use of uninitialised|Syscall param|'
                   r'Mismatched free|Source and destination overlap|Argument .* fishy|Invalid alignment|'
                   r'.*uninitialised byte|.*unaddressable byte|Jump to the invalid address|'
                   r'Process terminating)')
def is_ext(line):
    return srcdir in line or 'automl.so' in line
allocators = re.compile(r': (malloc|calloc|realloc|palloc|palloc0|palloc_extended|repalloc|repalloc_huge|'
                        r'MemoryContextAlloc\w*|AllocSetAlloc|AllocSetRealloc|\?\?\?) ')
def creator_is_ext(origin):
    """Who created the bytes: the first named frame that is not an allocator
    (palloc's own frames are stripped to ??? in Debian's postgres)."""
    for f in origin:
        if is_ext(f):
            return True
        if not allocators.search(f):
            return False
    return False
errors = []
processes = 0
for path in sorted(glob.glob(os.path.join(vg, '*.log'))):
    lines = open(path, errors='replace').read().splitlines()
    if any('Memcheck, a memory error detector' in l for l in lines[:3]):
        processes += 1
    cur = supp = None
    for l in lines:
        if supp is not None:
            supp.append(l)
            if l == '}':
                errors[-1]['supp'] = '\n'.join(supp)
                supp = None
            continue
        if l == '{' and errors:
            supp = [l]
            cur = None
            continue
        m = head.match(l)
        if m and kinds.match(m.group(2)):
            cur = {'pid': m.group(1), 'kind': m.group(2), 'text': [l], 'stacks': [[]], 'supp': ''}
            errors.append(cur)
        elif cur is not None:
            body = l.split('== ', 1)[-1] if l.startswith('==') else l
            if not body.strip():
                cur = None
                continue
            cur['text'].append(l)
            if re.match(r'^\s+(at|by) 0x', body):
                cur['stacks'][-1].append(body)
            else:
                cur['stacks'].append([body])     # " Address ... alloc'd", " Uninitialised value was created ..."
ext, probe, noise, other = [], [], [], []
for e in errors:
    frames = [f for st in e['stacks'] for f in st]
    if any('san_probe' in f for f in frames):
        probe.append(e)
        continue
    if e['kind'].startswith('Syscall param') and 'write' in e['kind']:
        origin = [f for st in e['stacks'] if st and 'Uninitialised value was created' in st[0] for f in st[1:]]
        if origin:
            (ext if creator_is_ext(origin) else noise).append(e)
        else:   # no origin tracking: the conservative call
            (ext if any(is_ext(f) for f in frames) else noise).append(e)
        continue
    (ext if any(is_ext(f) for f in frames) else other).append(e)
with open(out, 'w') as f:
    probe_kinds = {('read' if e['kind'].startswith('Invalid read') else
                    'uninit' if 'uninitialised' in e['kind'] else 'other') for e in probe}
    f.write(f"processes {processes} errors {len(errors)} extension {len(ext)} "
            f"probe {'+'.join(sorted(probe_kinds)) or 'none'} "
            f"other {len(other)} noise {len(noise)}\n")
    groups = (('IN THE EXTENSION', ext, False), ('NOT SUPPRESSED, OUTSIDE THE EXTENSION', other, True))
    for title, group, show_supp in groups:
        if not group:
            continue
        f.write(f"== {len(group)} memcheck errors {title}\n")
        seen = collections.Counter()
        for e in group:
            key = '\n'.join(re.sub(r'0x[0-9A-F]+', '', l.split('==', 2)[-1]) for l in e['text'][:8])
            seen[key] += 1
            if seen[key] > 1:
                continue
            f.write('\n'.join(e['text'][:40]) + '\n')
            if show_supp and e['supp']:
                f.write('a suppression, if this is the server\'s own noise:\n' + e['supp'] + '\n')
            f.write('\n')
    if noise:
        f.write(f"({len(noise)} writes of the server's own uninitialised padding (WAL, pages), "
                f"origins outside the extension: not counted)\n")
PY
read -r _ processes _ n_errors _ n_ext _ n_probe _ n_other _ n_noise < <(head -1 "$work/report.txt")
tail -n +2 "$work/report.txt" | head -400

failed=0
[ $sql_ok = 1 ] || failed=1
[ "$n_ext" -eq 0 ] || failed=1
[ "$n_other" -eq 0 ] || failed=1
# the probe's backend must not count as a crash: it reads one byte too far
# and goes on; anything killed by a signal is a finding
cluster_check_crashes || failed=1
case "+$n_probe+" in
*+read+*uninit+*)
	echo "memcheck reported both of the probe's errors, in san_probe.c (a read past a palloc'd" \
		"block; the origin of uninitialised bytes the server used)" ;;
*)
	echo "memcheck did not report both of the probe's errors (got: $n_probe)" >&2
	failed=1 ;;
esac
echo "== summary: $processes processes under memcheck; script $sql_s s$suite_note, total $(($(date +%s) - t0)) s;" \
	"$n_errors reports: $n_ext in the extension, $n_other unsuppressed elsewhere, $n_noise writes of server padding"
if [ $failed = 1 ]; then
	KEEP=1
	echo "valgrind: FAILED"
	exit 1
fi
echo "valgrind: no memcheck error in the extension"
