#!/usr/bin/python3
"""Serving benchmark: scoring inside queries versus plain SQL, side by side.

Run by test/bench/serving.sh (which builds, installs and starts a cluster and
sets PGHOST/PGPORT/PGUSER/PGDATABASE).  Prints, for a 1M-row, 10-feature table:

  P1  sum(automl.predict(linear model)) / the same model as a SQL expression
  P2  extra microseconds per row of a 100-tree depth-6 gbm over count(t)
  P3  pgbench TPS of single-row predict / single-row fetch (2 clients, prepared)
  P7  speed-up of a predict query with 2 parallel workers versus none
  PB  batch scoring: automl.predict_table() of the whole table with the gbm,
      automl.max_threads 1 against 2 (a tree model shares a batch out)
  PY  psycopg2 fetch + numpy + xgboost predict (same gbm parameters) / our query

Each timing is the median of REPS runs, the two sides alternating.
"""
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import psycopg2

ROWS = int(os.environ.get("BENCH_ROWS", "1000000"))
REPS = int(os.environ.get("BENCH_REPS", "5"))
PGBENCH_SECONDS = int(os.environ.get("BENCH_PGBENCH_SECONDS", "10"))
FEATURES = [f"x{i}" for i in range(1, 11)]

conn = psycopg2.connect("")
conn.autocommit = True
cur = conn.cursor()


def sql(q, *args):
    cur.execute(q, args if args else None)
    return cur.fetchall() if cur.description else None


def timed(q):
    t0 = time.perf_counter()
    cur.execute(q)
    cur.fetchall()
    return time.perf_counter() - t0


def medians(*queries, reps=REPS):
    """Median time of each query, alternating them, after one warm-up run."""
    for q in queries:
        timed(q)
    runs = [[] for _ in queries]
    for _ in range(reps):
        for i, q in enumerate(queries):
            runs[i].append(timed(q))
    return [statistics.median(r) for r in runs]


def setup():
    sql("SET client_min_messages = warning")
    sql("CREATE EXTENSION IF NOT EXISTS automl")
    sql("DROP TABLE IF EXISTS t")
    cols = ", ".join(f"(random() * 10)::float8 AS {f}" for f in FEATURES)
    sql(f"SELECT setseed(0.42)")
    sql(f"CREATE TABLE t AS SELECT i AS id, {cols} FROM generate_series(1, {ROWS}) i")
    # a target with interactions, so trees have something to learn
    sql("ALTER TABLE t ADD COLUMN y float8")
    sql("UPDATE t SET y = 3 * x1 - 2 * x2 + x3 * x4 / 5 + CASE WHEN x5 > 5 THEN 4 ELSE 0 END"
        " + (random() - 0.5) * 2")
    sql("ALTER TABLE t ADD PRIMARY KEY (id)")
    sql("VACUUM ANALYZE t")
    sql("SET automl.progress = off")
    sql("SET automl.audit_log_level = off")


def linear_as_sql():
    """The linear model as one SQL expression, from its exact explanations:
    each contribution is linear in its feature, so two rows give the slope."""
    r1, r2 = 1, 2
    expl = {}
    for r in (r1, r2):
        rows = sql("SELECT feature, contribution FROM t, automl.explain('lin', t) WHERE id = %s", r)
        expl[r] = dict(rows)
    x = {r: dict(zip(FEATURES, sql(f"SELECT {', '.join(FEATURES)} FROM t WHERE id = %s", r)[0]))
         for r in (r1, r2)}
    slope = {f: (expl[r1][f] - expl[r2][f]) / (x[r1][f] - x[r2][f]) for f in FEATURES}
    pred1 = sql("SELECT automl.predict('lin', t) FROM t WHERE id = %s", r1)[0][0]
    a = pred1 - sum(slope[f] * x[r1][f] for f in FEATURES)
    expr = repr(a) + "".join(f" + ({slope[f]!r}) * {f}" for f in FEATURES)
    # the expression must be the model
    diff = sql(f"SELECT max(abs(({expr}) - automl.predict('lin', t))) FROM t WHERE id <= 1000")[0][0]
    assert diff < 1e-9, f"SQL expression differs from the model by {diff}"
    return expr


def pgbench_tps(script):
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as f:
        f.write(script)
        path = f.name
    os.chmod(path, 0o644)
    out = subprocess.run(["pgbench", "-n", "-M", "prepared", "-c", "2", "-j", "2",
                          "-T", str(PGBENCH_SECONDS), "-f", path],
                         capture_output=True, text=True, check=True).stdout
    os.unlink(path)
    return float(re.search(r"tps = ([0-9.]+) \(without initial connection time\)", out).group(1))


def main():
    results = {"rows": ROWS, "reps": REPS}
    setup()
    sample = "SELECT * FROM t WHERE id % 20 = 0"
    sql("SELECT automl.train('lin', %s, 'y', algorithms => '{linear}', exclude => '{id}',"
        " options => '{\"cv_folds\": 0}')", sample)
    try:
        sql("SELECT automl.train('gbm', %s, 'y', algorithms => '{gbm}', exclude => '{id}',"
            " options => '{\"cv_folds\": 0, \"hyperparameters\": {\"gbm\": {\"n_estimators\": 100,"
            " \"max_depth\": 6, \"learning_rate\": 0.1, \"early_stopping_rounds\": 0}}}')", sample)
        have_gbm = True
    except psycopg2.Error as e:
        print(f"(no gbm model: {e.pgerror.strip().splitlines()[0]})")
        have_gbm = False

    sql("SET max_parallel_workers_per_gather = 0")
    sql("SET jit = off")
    expr = linear_as_sql()
    scan, model, plain = medians("SELECT count(t) FROM t",
                                 "SELECT sum(automl.predict('lin', t)) FROM t",
                                 f"SELECT sum({expr}) FROM t")
    results["P1"] = {"predict_s": model, "sql_expression_s": plain, "count_t_s": scan,
                     "ratio": model / plain}
    print(f"P1  linear predict {model:.3f} s, same model as SQL {plain:.3f} s, "
          f"ratio {model / plain:.2f} (target <= 1.2); count(t) {scan:.3f} s")

    if have_gbm:
        scan, gbm = medians("SELECT count(t) FROM t", "SELECT sum(automl.predict('gbm', t)) FROM t")
        extra = (gbm - scan) / ROWS * 1e6
        results["P2"] = {"predict_s": gbm, "count_t_s": scan, "extra_us_per_row": extra}
        print(f"P2  gbm 100 trees depth 6: {gbm:.3f} s vs count(t) {scan:.3f} s: "
              f"{extra:.3f} us per row extra (target <= 1.0)")

    fetch = "\\set id random(1, %d)\nSELECT t FROM t WHERE id = :id;\n" % ROWS
    score = "\\set id random(1, %d)\nSELECT automl.predict('lin', t) FROM t WHERE id = :id;\n" % ROWS
    tps_fetch, tps_score = [], []
    for _ in range(3):
        tps_fetch.append(pgbench_tps(fetch))
        tps_score.append(pgbench_tps(score))
    f, s = statistics.median(tps_fetch), statistics.median(tps_score)
    results["P3"] = {"tps_fetch": f, "tps_predict": s, "ratio": s / f}
    print(f"P3  pgbench single row: predict {s:.0f} tps, fetch {f:.0f} tps, ratio {s / f:.2f} "
          f"(target >= 0.9)")

    model_name = "gbm" if have_gbm else "lin"
    q = f"SELECT sum(automl.predict('{model_name}', t)) FROM t"
    sql("SET parallel_setup_cost = 0")
    sql("SET parallel_tuple_cost = 0")
    sql("SET max_parallel_workers_per_gather = 0")
    serial = medians(q)[0]
    sql("SET max_parallel_workers_per_gather = 2")
    plan = "\n".join(r[0] for r in sql("EXPLAIN " + q))
    assert "Gather" in plan, plan
    parallel = medians(q)[0]
    # on two cores the leader's own share makes three processes: the same
    # plan with the leader only gathering, for comparison
    sql("SET parallel_leader_participation = off")
    workers_only = medians(q)[0]
    sql("RESET parallel_leader_participation")
    sql("SET max_parallel_workers_per_gather = 0")
    results["P7"] = {"model": model_name, "serial_s": serial, "parallel_s": parallel,
                     "speedup": serial / parallel, "workers_only_s": workers_only,
                     "workers_only_speedup": serial / workers_only}
    print(f"P7  {model_name} predict, 2 workers {parallel:.3f} s vs none {serial:.3f} s: "
          f"speed-up {serial / parallel:.2f} (target >= 1.8); leader not scanning "
          f"{workers_only:.3f} s: {serial / workers_only:.2f}")

    if have_gbm:
        qb = "SELECT count(*) FROM automl.predict_table('gbm', 't', 'id')"
        runs = {1: [], 2: []}
        timed(qb)
        for _ in range(REPS):
            for threads in (1, 2):
                sql(f"SET automl.max_threads = {threads}")
                runs[threads].append(timed(qb))
        sql("RESET automl.max_threads")
        one, two = statistics.median(runs[1]), statistics.median(runs[2])
        results["PB"] = {"one_thread_s": one, "two_threads_s": two, "speedup": one / two}
        print(f"PB  predict_table of {ROWS} rows (gbm): 1 thread {one:.3f} s, 2 threads {two:.3f} s: "
              f"speed-up {one / two:.2f}")

    if have_gbm:
        import xgboost as xgb
        data = np.array(sql(f"SELECT {', '.join(FEATURES)}, y FROM t WHERE id % 20 = 0"))
        booster = xgb.XGBRegressor(n_estimators=100, max_depth=6, learning_rate=0.1,
                                   tree_method="hist", max_bin=255, n_jobs=2)
        booster.fit(data[:, :-1], data[:, -1])
        ours = medians(q)[0]
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            c2 = conn.cursor()
            c2.execute(f"SELECT {', '.join(FEATURES)} FROM t")
            x = np.array(c2.fetchall(), dtype=np.float64)
            booster.predict(x).sum()
            times.append(time.perf_counter() - t0)
        py = statistics.median(times)
        results["PY"] = {"python_s": py, "ours_s": ours, "ratio": py / ours}
        print(f"PY  psycopg2 fetch + numpy + xgboost predict {py:.3f} s vs our query {ours:.3f} s: "
              f"{py / ours:.1f} x slower")

    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
