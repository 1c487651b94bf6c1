#!/usr/bin/python3
"""The public suite: automl.train against the peer baselines, side by side.

Run by test/bench/suite.sh (cluster set up, PG* variables set).  For every
data set in test/data/manifest.tsv (or the names given as arguments):

  * one fixed 80/20 split (seed 0, stratified for classification),
  * ours: automl.train(...) on the 80% through SQL with the data set's
    primary metric and a time budget (BENCH_BUDGET seconds, default 60), then
    the 20% scored through automl.predict_table() in SQL,
  * the peers of test/data's shared baseline protocol, trained on the same
    80% and scored on the same 20% in the same run: LogisticRegression/Ridge,
    RandomForest(100), HistGradientBoosting and XGBoost (hist) defaults after
    median imputation + scaling and most-frequent imputation + one-hot,
  * one row per data set: our score, the best peer's, the difference
    (positive = ours is better), our wall time.

BENCH_OPTIONS='{"cv_repeats": 1}' passes options to every automl.train()
call, to compare a setting with the default in one session.
BENCH_ALGORITHMS=linear,gbm restricts every search to those families.
BENCH_MAX_TRIALS=100 runs searches of that many trials without a time
budget: the same trials on any machine.
BENCH_SPLITS=0,1,2 repeats it on more seeded splits (one row per data set
and split, then each data set's mean difference): a holdout of a small
data set moves by a row, so a change to the search is judged on several.

Scores: ROC AUC (binary), accuracy (multiclass), RMSE (regression).
"""
import csv
import json
import os
import sys
import time
import warnings

import numpy as np
import pandas as pd
import psycopg2
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (HistGradientBoostingClassifier, HistGradientBoostingRegressor,
                              RandomForestClassifier, RandomForestRegressor)
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import accuracy_score, mean_squared_error, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from xgboost import XGBClassifier, XGBRegressor

warnings.filterwarnings("ignore")
DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data")
BUDGET = int(os.environ.get("BENCH_BUDGET", "60"))
# seeds of the 80/20 split: "0" is the suite's fixed split; "0,1,2" averages out one holdout's luck
SPLITS = [int(v) for v in os.environ.get("BENCH_SPLITS", "0").split(",")]
# options of automl.train() for every data set, e.g. '{"cv_repeats": 1}' to compare a setting
OPTIONS = os.environ.get("BENCH_OPTIONS", "{}")
# a trial count instead of the time budget: the same searches whatever the
# machine's speed, so two settings of how a search ends compare on the very
# same trials
# families the searches may use (automl.train's algorithms), all when unset
ALGORITHMS = os.environ["BENCH_ALGORITHMS"].split(",") if os.environ.get("BENCH_ALGORITHMS") else None
MAX_TRIALS = int(os.environ["BENCH_MAX_TRIALS"]) if os.environ.get("BENCH_MAX_TRIALS") else None
METRIC = {"binary": "roc_auc", "multiclass": "accuracy", "regression": "rmse"}


def load(entry, schema):
    sc = [r for r in schema if r["dataset"] == entry["name"]]
    num = [r["column"] for r in sc if r["role"] == "numeric"]
    cat = [r["column"] for r in sc if r["role"] == "categorical"]
    target = entry["target"]
    dtypes = {c: str for c in cat}
    dtypes.update({c: float for c in num})
    dtypes[target] = str if entry["task"] != "regression" else float
    df = pd.read_csv(os.path.join(DATA, entry["name"] + ".csv"), dtype=dtypes,
                     keep_default_na=False, na_values=[""])
    return df, num, cat, target


def split(df, entry, seed=0):
    y = df[entry["target"]]
    strat = None
    if entry["task"] != "regression" and y.value_counts().min() >= 2:
        strat = y
    idx_train, idx_test = train_test_split(np.arange(len(df)), test_size=0.2, random_state=seed,
                                           stratify=strat)
    return np.sort(idx_train), np.sort(idx_test)


def score(task, y_true, pred, classes, positive):
    if task == "binary":
        return roc_auc_score((y_true == positive).astype(int), pred[:, list(classes).index(positive)])
    if task == "multiclass":
        return accuracy_score(y_true, np.asarray(classes)[pred.argmax(axis=1)])
    return mean_squared_error(y_true, pred, squared=False)


def better(task, a, b):
    return a - b if task != "regression" else b - a


def peers(entry, df, num, cat, tr, te):
    task, target = entry["task"], entry["target"]
    steps = []
    if num:
        steps.append(("num", Pipeline([("impute", SimpleImputer(strategy="median")),
                                       ("scale", StandardScaler())]), num))
    if cat:
        steps.append(("cat", Pipeline([("impute", SimpleImputer(strategy="most_frequent")),
                                       ("onehot", OneHotEncoder(handle_unknown="ignore",
                                                                sparse_output=False))]), cat))
    X, y = df[num + cat], df[target]
    results = {}
    if task == "regression":
        models = {"linear": Ridge(), "random_forest": RandomForestRegressor(100, n_jobs=2, random_state=0),
                  "hist_gb": HistGradientBoostingRegressor(random_state=0),
                  "xgboost": XGBRegressor(tree_method="hist", n_jobs=2, random_state=0)}
    else:
        models = {"linear": LogisticRegression(max_iter=1000),
                  "random_forest": RandomForestClassifier(100, n_jobs=2, random_state=0),
                  "hist_gb": HistGradientBoostingClassifier(random_state=0),
                  "xgboost": XGBClassifier(tree_method="hist", n_jobs=2, random_state=0)}
    classes = sorted(y.unique()) if task != "regression" else None
    for name, model in models.items():
        t0 = time.perf_counter()
        pipe = Pipeline([("prep", ColumnTransformer(steps)), ("model", model)])
        y_fit = y.iloc[tr]
        if task != "regression":
            y_fit = y_fit.map({c: i for i, c in enumerate(classes)})
        pipe.fit(X.iloc[tr], y_fit)
        if task == "regression":
            pred = pipe.predict(X.iloc[te])
        else:
            pred = np.zeros((len(te), len(classes)))
            pred[:, pipe.classes_] = pipe.predict_proba(X.iloc[te])
        results[name] = (score(task, y.iloc[te].to_numpy(), pred, classes, entry["positive_class"]),
                         time.perf_counter() - t0)
    return results


def ours(conn, entry, df, num, cat, tr, te):
    task, target, name = entry["task"], entry["target"], entry["name"]
    cur = conn.cursor()
    cols = ", ".join(f'"{c}" {"float8" if c in num or (c == target and task == "regression") else "text"}'
                     for c in df.columns)
    for part, idx in (("train", tr), ("test", te)):
        table = f'"{name}_{part}"'
        cur.execute(f"DROP TABLE IF EXISTS {table}")
        cur.execute(f"CREATE TABLE {table} (id integer PRIMARY KEY, {cols})")
        sub = df.iloc[idx].copy()
        sub.insert(0, "id", idx)
        buf = sub.to_csv(index=False, header=False, na_rep="")
        import io
        cur.copy_expert(f"COPY {table} FROM STDIN WITH (FORMAT csv)", io.StringIO(buf))
    conn.commit()
    t0 = time.perf_counter()
    cur.execute("SET automl.progress = off")
    # a model of an earlier split goes first, or it would stay the deployed version
    cur.execute("SELECT automl.drop(name) FROM (SELECT DISTINCT name FROM automl.models "
                "WHERE name = %s) m", (name,))
    cur.execute("SET automl.audit_log_level = off")
    cur.execute("SELECT algorithm, trials, score FROM automl.train(%s, %s, %s, task => %s, metric => %s, "
                "time_budget => make_interval(secs => %s), max_trials => %s, exclude => '{id}', "
                "options => %s, algorithms => %s)",
                (name, f'"{name}_train"', target, task, METRIC[task], None if MAX_TRIALS else BUDGET,
                 MAX_TRIALS, OPTIONS, ALGORITHMS))
    algorithm, trials, cv = cur.fetchone()
    conn.commit()
    wall = time.perf_counter() - t0
    cur.execute("SELECT key::int, prediction, probabilities FROM automl.predict_table(%s, %s, 'id') "
                "ORDER BY key::int", (name, f'"{name}_test"'))
    rows = cur.fetchall()
    y = df[target].iloc[te].to_numpy()
    if task == "regression":
        pred = np.array([r[1] for r in rows])
        classes = None
    else:
        cur.execute("SELECT automl.classes(%s)", (name,))
        classes = cur.fetchone()[0]
        pred = np.array([r[2] for r in rows])
    return score(task, y, pred, classes, entry["positive_class"]), wall, algorithm, trials, cv


def main():
    manifest = list(csv.DictReader(open(os.path.join(DATA, "manifest.tsv")), delimiter="\t"))
    schema = list(csv.DictReader(open(os.path.join(DATA, "schema.tsv")), delimiter="\t"))
    names = sys.argv[1:] or [e["name"] for e in manifest]
    conn = psycopg2.connect("")
    rows = []
    budget = f"{MAX_TRIALS} trials" if MAX_TRIALS else f"{BUDGET} s"
    print(f"budget {budget} per data set; scores on the same 20% holdout; diff > 0: ours better")
    if SPLITS != [0]:
        print(f"splits (seeds of the 80/20 split): {SPLITS}")
    print(f"{'data set':15} {'metric':9} {'ours':>9} {'best peer':>9} {'peer':>14} {'diff':>8} "
          f"{'wall s':>7}  kept")
    for entry in manifest:
        if entry["name"] not in names:
            continue
        df, num, cat, target = load(entry, schema)
        for seed in SPLITS:
            tr, te = split(df, entry, seed)
            peer = peers(entry, df, num, cat, tr, te)
            our, wall, algorithm, trials, cv = ours(conn, entry, df, num, cat, tr, te)
            best_name = max(peer, key=lambda k: better(entry["task"], peer[k][0], 0)
                            if entry["task"] != "regression" else -peer[k][0])
            best = peer[best_name][0]
            diff = better(entry["task"], our, best)
            rows.append({"dataset": entry["name"], "split": seed, "task": entry["task"],
                         "metric": METRIC[entry["task"]], "ours": our, "best_peer": best,
                         "peer": best_name, "diff": diff, "wall_s": wall, "algorithm": algorithm,
                         "trials": trials, "cv_score": cv, "peers": {k: v[0] for k, v in peer.items()}})
            label = entry["name"] if len(SPLITS) == 1 else f"{entry['name']}/{seed}"
            print(f"{label:15} {METRIC[entry['task']]:9} {our:9.4f} {best:9.4f} {best_name:>14} "
                  f"{diff:+8.4f} {wall:7.1f}  {algorithm} ({trials} trials)", flush=True)
    diffs = [r["diff"] for r in rows if r["task"] != "regression"]
    wins = sum(1 for r in rows if r["diff"] >= 0)
    print(f"classification mean diff {np.mean(diffs):+.4f}; ours >= best peer on {wins} of {len(rows)}")
    if len(SPLITS) > 1:
        for name in dict.fromkeys(r["dataset"] for r in rows):
            mine = [r["diff"] for r in rows if r["dataset"] == name]
            print(f"  {name:15} mean diff over {len(mine)} splits {np.mean(mine):+.4f}")
    os.makedirs(os.path.join(os.path.dirname(os.path.abspath(__file__)), "out"), exist_ok=True)
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "out", "suite.json"), "w") as f:
        json.dump(rows, f, indent=2)


if __name__ == "__main__":
    main()
