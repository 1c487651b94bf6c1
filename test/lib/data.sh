# test/lib/data.sh: load the bundled data sets (test/data/*.csv) into tables.
#
#   load_csv TABLE [CSV [LIMIT]]   CREATE TABLE TABLE (id identity, the CSV's
#                                  columns: numbers as float8, the rest text)
#                                  and \copy the file in (its first LIMIT rows)
# Run from the repository root; psql connects with the PG* environment.
# shellcheck shell=bash

load_csv() {
	local table=$1 csv=${2:-test/data/$1.csv} limit=${3:-} columns types src
	[ -f "$csv" ] || { echo "no data set $csv" >&2; return 1; }
	columns=$(head -1 "$csv" | tr -d '"\r')
	types=$(python3 - "$csv" <<'PY'
import csv, sys
rows = csv.reader(open(sys.argv[1]))
header = next(rows)
numeric = [True] * len(header)
for r in rows:
    for i, v in enumerate(r):
        if v != "":
            try:
                float(v)
            except ValueError:
                numeric[i] = False
print(", ".join(f'"{h}" {"float8" if n else "text"}' for h, n in zip(header, numeric)))
PY
)
	src=$csv
	if [ -n "$limit" ]; then
		src=$(mktemp)
		head -$((limit + 1)) "$csv" >"$src"
	fi
	psql -X -q -v ON_ERROR_STOP=1 <<SQL
CREATE TABLE $table (id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY, $types);
\\copy $table ($columns) FROM '$src' WITH (FORMAT csv, HEADER true)
SQL
	[ "$src" = "$csv" ] || rm -f "$src"
}
