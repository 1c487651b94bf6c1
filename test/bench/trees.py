#!/usr/bin/python3
"""Tree training benchmark: our gbm through SQL against XGBoost, side by side.

Run by test/bench/trees.sh (which builds, installs and starts a cluster with
automl.max_threads = 2 and sets PGHOST/PGPORT/PGUSER/PGDATABASE).  For each
data set (shuttle, 58,000 rows, 7 classes, from test/data; a generated
1,000,000-row, 10-feature binary table) and the same rows on both sides:

  ours     COPY of the CSV into a table + automl.train(algorithms => '{gbm}',
           cv_folds 0, 200 trees, depth 6, learning rate 0.1, 255 bins) on the
           rows with id % 5 <> 0, i.e. data load and everything train() does
  xgboost  pandas.read_csv + DMatrix + xgboost.train (tree_method "hist",
           the same parameters, nthread 2) on the same rows

and prints the median times of REPS runs of each (alternating) and their
ratios ours / xgboost, twice: load + train as above, and training alone
(train() on the loaded table; DMatrix + xgboost.train on the data frame),
then holdout scores of both on the rows with id % 5 = 0, and
for the 1M-row table the extra microseconds per row of
SELECT sum(automl.predict('m', t)) FROM t over SELECT count(t) FROM t.
"""
import io
import json
import os
import statistics
import sys
import tempfile
import time

import numpy as np
import pandas as pd
import psycopg2
import xgboost as xgb
from sklearn.metrics import accuracy_score, log_loss, roc_auc_score

REPS = int(os.environ.get("BENCH_REPS", "3"))
ROWS = int(os.environ.get("BENCH_ROWS", "1000000"))
THREADS = 2
PARAMS = {"n_estimators": 200, "max_depth": 6, "learning_rate": 0.1, "max_bins": 255}

conn = psycopg2.connect("")
conn.autocommit = True
cur = conn.cursor()


def sql(q, *args):
    cur.execute(q, args if args else None)
    return cur.fetchall() if cur.description else None


def generate(path, n):
    """A deterministic binary table with interactions and a little noise."""
    rng = np.random.default_rng(42)
    x = rng.random((n, 10)) * 10
    logit = 0.6 * x[:, 0] - 0.5 * x[:, 1] + 0.04 * x[:, 2] * x[:, 3] + np.where(x[:, 4] > 5, 1.5, -1.5) - 1.0
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    df = pd.DataFrame(x, columns=[f"x{i}" for i in range(1, 11)])
    df["y"] = y
    df.to_csv(path, index=False, float_format="%.6f")


def ours_once(csv, target, columns, types):
    """Load the CSV and train; seconds of the whole of it and of train() alone."""
    sql("DROP TABLE IF EXISTS bt")
    if sql("SELECT 1 FROM automl.models WHERE name = 'bench_gbm'"):
        sql("SELECT automl.drop('bench_gbm')")
    t0 = time.perf_counter()
    # the row number comes with the load, as numpy's arange on the other side
    # (adding the column afterwards would rewrite the whole table)
    sql("CREATE TABLE bt (id bigint GENERATED ALWAYS AS IDENTITY (CACHE 1000), "
        + ", ".join(f"{c} {t}" for c, t in zip(columns, types)) + ")")
    with open(csv) as f:
        cur.copy_expert("COPY bt (" + ", ".join(columns) + ") FROM STDIN WITH (FORMAT csv, HEADER true)", f)
    t1 = time.perf_counter()
    opts = json.dumps({"cv_folds": 0, "hyperparameters": {"gbm": PARAMS}})
    sql("SELECT automl.train('bench_gbm', 'SELECT * FROM bt WHERE id %% 5 <> 0', %s,"
        " algorithms => '{gbm}', exclude => '{id}', options => %s::jsonb)", target, opts)
    t2 = time.perf_counter()
    return t2 - t0, t2 - t1


def ours_scores(target):
    rows = sql("SELECT " + target + "::text, automl.predict_proba('bench_gbm', b) FROM bt b"
               " WHERE id % 5 = 0 ORDER BY id")
    classes = [c for c in sql("SELECT automl.classes('bench_gbm')")[0][0]]
    y = np.array([classes.index(r[0]) for r in rows])
    p = np.array([r[1] for r in rows])
    return y, p


def xgb_once(csv, target):
    t0 = time.perf_counter()
    df = pd.read_csv(csv)
    ids = np.arange(1, len(df) + 1)
    labels = sorted(df[target].astype(str).unique())
    y = df[target].astype(str).map({c: i for i, c in enumerate(labels)}).to_numpy()
    x = df.drop(columns=[target]).to_numpy(dtype=np.float64)
    train = ids % 5 != 0
    t1 = time.perf_counter()
    d = xgb.DMatrix(x[train], label=y[train], nthread=THREADS)
    params = {"tree_method": "hist", "max_depth": PARAMS["max_depth"], "eta": PARAMS["learning_rate"],
              "max_bin": PARAMS["max_bins"] + 1, "nthread": THREADS, "lambda": 1.0, "min_child_weight": 1.0}
    if len(labels) == 2:
        params["objective"] = "binary:logistic"
    else:
        params.update(objective="multi:softprob", num_class=len(labels))
    booster = xgb.train(params, d, num_boost_round=PARAMS["n_estimators"])
    t2 = time.perf_counter()
    p = booster.predict(xgb.DMatrix(x[~train], nthread=THREADS))
    if len(labels) == 2:
        p = np.column_stack([1 - p, p])
    return (t2 - t0, t2 - t1), y[~train], p


def scores(y, p):
    out = {"accuracy": accuracy_score(y, p.argmax(axis=1)),
           "log_loss": log_loss(y, np.clip(p, 1e-15, 1), labels=list(range(p.shape[1])))}
    if p.shape[1] == 2:
        out["roc_auc"] = roc_auc_score(y, p[:, 1])
    return out


def bench(name, csv, target, columns, types):
    """Medians of REPS runs: load + train, and train alone (DMatrix included)."""
    ours, theirs = [], []
    xgb_once(csv, target)       # warm-up: imports, page cache
    for _ in range(REPS):
        ours.append(ours_once(csv, target, columns, types))
        s, yx, px = xgb_once(csv, target)
        theirs.append(s)
    yo, po = ours_scores(target)
    mo, mx = statistics.median(r[0] for r in ours), statistics.median(r[0] for r in theirs)
    to, tx = statistics.median(r[1] for r in ours), statistics.median(r[1] for r in theirs)
    so, sx = scores(yo, po), scores(yx, px)
    print(f"{name}: load + train ours {mo:.2f} s, xgboost {mx:.2f} s, ratio {mo / mx:.2f}")
    print(f"{name}: train alone  ours {to:.2f} s, xgboost {tx:.2f} s, ratio {to / tx:.2f}")
    print(f"{name}: holdout ours " + ", ".join(f"{k} {v:.4f}" for k, v in so.items()))
    print(f"{name}: holdout xgb  " + ", ".join(f"{k} {v:.4f}" for k, v in sx.items()))
    return {"ours_s": mo, "xgboost_s": mx, "ratio": mo / mx,
            "ours_train_s": to, "xgboost_train_s": tx, "train_ratio": to / tx,
            "ours": so, "xgboost": sx, "ours_runs": ours, "xgboost_runs": theirs}


def predict_cost():
    """Extra microseconds per row of scoring the whole table in a query."""
    def timed(q):
        t0 = time.perf_counter()
        sql(q)
        return time.perf_counter() - t0
    scan_q = "SELECT count(b) FROM bt b"
    pred_q = "SELECT sum(automl.predict('bench_gbm', b)) FROM bt b"
    timed(scan_q), timed(pred_q)
    scan, pred = [], []
    for _ in range(5):
        scan.append(timed(scan_q))
        pred.append(timed(pred_q))
    n = sql("SELECT count(*) FROM bt")[0][0]
    s, p = statistics.median(scan), statistics.median(pred)
    extra = (p - s) / n * 1e6
    print(f"predict: {n} rows, count(t) {s:.3f} s, sum(predict) {p:.3f} s, extra {extra:.2f} us/row")
    return {"rows": n, "count_s": s, "predict_s": p, "extra_us_per_row": extra}


def main():
    sql("SET client_min_messages = warning")
    sql("CREATE EXTENSION IF NOT EXISTS automl")
    sql("SET automl.progress = off")
    results = {}
    shuttle = "test/data/shuttle.csv"
    cols = pd.read_csv(shuttle, nrows=1).columns.tolist()
    types = ["text" if c == "class" else "float8" for c in cols]
    results["shuttle"] = bench("shuttle", shuttle, "class", cols, types)
    with tempfile.TemporaryDirectory() as tmp:
        gen = os.path.join(tmp, "generated.csv")
        generate(gen, ROWS)
        cols = [f"x{i}" for i in range(1, 11)] + ["y"]
        types = ["float8"] * 10 + ["int"]
        results["generated"] = bench(f"generated {ROWS}", gen, "y", cols, types)
        results["generated"]["predict"] = predict_cost()
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    sys.exit(main())
