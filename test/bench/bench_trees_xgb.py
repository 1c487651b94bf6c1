#!/usr/bin/python3
"""XGBoost peer of bench_trees.c: same CSV, same test rows, same parameters.

Run bench_trees first: it writes DATA.csv.split (the test-row indices of its
seeded 80/20 split); this script trains XGBoost (tree_method "hist") on the
other rows and prints train seconds (DMatrix + train, median of --runs),
holdout scores and predict time per row.  Uses Debian's python3-xgboost:

    /usr/bin/python3 test/bench/bench_trees_xgb.py DATA.csv TARGET --threads 2

Class labels are sorted as text, as the extension and bench_trees do.
"""
import argparse
import statistics
import time

import numpy as np
import pandas as pd
import xgboost as xgb
from sklearn.metrics import accuracy_score, log_loss, mean_squared_error, r2_score, roc_auc_score


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("csv")
    ap.add_argument("target")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--trees", type=int, default=200)
    ap.add_argument("--depth", type=int, default=6)
    ap.add_argument("--lr", type=float, default=0.1)
    ap.add_argument("--bins", type=int, default=255, help="value bins (XGBoost max_bin = bins + 1)")
    ap.add_argument("--task", default="auto", choices=["auto", "regression", "binary", "multiclass"])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--split", default=None)
    args = ap.parse_args()

    df = pd.read_csv(args.csv, dtype={args.target: str}, keep_default_na=False,
                     na_values={c: [""] for c in pd.read_csv(args.csv, nrows=0).columns if c != args.target})
    test_idx = np.loadtxt(args.split or args.csv + ".split", dtype=np.int64)
    mask = np.ones(len(df), dtype=bool)
    mask[test_idx] = False
    train_idx = np.nonzero(mask)[0]

    X = df.drop(columns=[args.target]).apply(pd.to_numeric, errors="coerce").to_numpy(dtype=np.float64)
    raw = df[args.target].to_numpy()
    if args.task == "regression":
        y = raw.astype(np.float64)
        objective, n_classes = "reg:squarederror", 0
    else:
        labels = sorted(set(raw), key=lambda s: s.encode())
        index = {s: i for i, s in enumerate(labels)}
        y = np.array([index[s] for s in raw], dtype=np.float64)
        n_classes = len(labels)
        objective = "binary:logistic" if n_classes == 2 else "multi:softprob"

    params = {
        "tree_method": "hist",
        "max_depth": args.depth,
        "eta": args.lr,
        "max_bin": args.bins + 1,
        "lambda": 1.0,
        "min_child_weight": 1.0,
        "nthread": args.threads,
        "objective": objective,
        "verbosity": 0,
    }
    if n_classes > 2:
        params["num_class"] = n_classes

    Xtr, ytr, Xte, yte = X[train_idx], y[train_idx], X[test_idx], y[test_idx]
    times = []
    booster = None
    for _ in range(args.runs):
        t0 = time.perf_counter()
        dtrain = xgb.DMatrix(Xtr, label=ytr, nthread=args.threads)
        booster = xgb.train(params, dtrain, num_boost_round=args.trees)
        times.append(time.perf_counter() - t0)

    pred = booster.inplace_predict(Xte)

    def batch_time():
        # the best of 5 timings of at least 0.2 s each (the machine is shared)
        best = float("inf")
        for _ in range(5):
            reps, t0 = 0, time.perf_counter()
            while time.perf_counter() - t0 < 0.2:
                booster.inplace_predict(Xte)
                reps += 1
            best = min(best, (time.perf_counter() - t0) / reps / len(Xte) * 1e6)
        return best

    batch_us = batch_time()
    booster.set_param({"nthread": 1})
    batch1_us = batch_time()
    k = min(len(Xte), 2000)
    t0 = time.perf_counter()
    for i in range(k):
        booster.inplace_predict(Xte[i:i + 1])
    row_us = (time.perf_counter() - t0) / k * 1e6

    print(f"xgboost {xgb.__version__}  rows {len(df)} (train {len(train_idx)}, test {len(test_idx)})  "
          f"features {X.shape[1]}  classes {n_classes}  threads {args.threads}")
    print(f"train seconds (median of {args.runs}): {statistics.median(times):.3f}   "
          f"[{' '.join(f'{t:.3f}' for t in times)}]")
    if objective.startswith("reg"):
        print(f"holdout rmse {mean_squared_error(yte, pred) ** 0.5:.5f}  r2 {r2_score(yte, pred):.5f}")
    elif n_classes == 2:
        prob = np.clip(pred, 1e-15, 1 - 1e-15)
        print(f"holdout accuracy {accuracy_score(yte, prob >= 0.5):.5f}  "
              f"logloss {log_loss(yte, prob, labels=[0, 1]):.6f}  auc {roc_auc_score(yte, prob):.5f}")
    else:
        prob = pred.reshape(len(Xte), n_classes)
        print(f"holdout accuracy {accuracy_score(yte, prob.argmax(axis=1)):.5f}  "
              f"logloss {log_loss(yte, prob, labels=list(range(n_classes))):.6f}")
    print(f"predict us/row: batch {batch_us:.3f} ({args.threads} threads), {batch1_us:.3f} (1 thread)  "
          f"single row (python call) {row_us:.3f}")


if __name__ == "__main__":
    main()
