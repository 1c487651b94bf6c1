#!/usr/bin/python3
"""
make_fixtures.py
    Regenerates test/report/fixtures/{binary,multiclass,regression}.json, the
    sample report documents of the model report renderer (src/report.c).

    Usage: /usr/bin/python3 test/report/make_fixtures.py   (from the repository root)

    Standard library only.  The profiles, curves, confusion matrices,
    calibration bins and regression points are computed from real bundled
    data sets (test/data/mlc_churn.csv, penguins.csv, concrete.csv) with
    out-of-fold predictions of small models fitted here (logistic
    regression by Newton's method, ridge regression); the trial histories
    are simulated with a fixed seed in the shape the search records.  The
    output is deterministic.
"""
import csv
import json
import math
import os
import random

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join(ROOT, "test", "data")
OUT = os.path.join(ROOT, "test", "report", "fixtures")


def read_csv(name):
    with open(os.path.join(DATA, name), newline="") as f:
        r = csv.reader(f)
        header = next(r)
        rows = []
        for rec in r:
            rows.append([None if v == "" or v == "NA" else v for v in rec])
    return header, rows


def as_float(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def r6(v):
    return float("%.6g" % v)


# ---------------------------------------------------------------- profile

def histogram(values, bins=20):
    lo, hi = min(values), max(values)
    if hi == lo:
        return {"edges": [r6(lo), r6(lo)], "counts": [len(values)]}
    edges = [lo + (hi - lo) * i / bins for i in range(bins + 1)]
    counts = [0] * bins
    for v in values:
        k = min(int((v - lo) / (hi - lo) * bins), bins - 1)
        counts[k] += 1
    return {"edges": [r6(e) for e in edges], "counts": counts}


def profile(header, rows, target, roles=None):
    roles = roles or {}
    n = len(rows)
    out = []
    for j, name in enumerate(header):
        col = [r[j] for r in rows]
        present = [v for v in col if v is not None]
        nums = [as_float(v) for v in present]
        numeric = all(v is not None for v in nums) and present
        distinct = len(set(present))
        entry = {"column": name}
        if numeric:
            ints = all(float(v).is_integer() for v in nums)
            entry["type"] = "integer" if ints else "double precision"
            entry["kind"] = "numeric"
        else:
            entry["type"] = "text"
            entry["kind"] = "categorical"
        entry["missing_share"] = r6((n - len(present)) / n)
        entry["distinct"] = distinct
        if name == target:
            role = "target"
        elif distinct <= 1:
            role = "constant"
        else:
            role = roles.get(name, "feature")
        entry["role"] = role
        if numeric:
            entry["histogram"] = histogram(nums)
        else:
            counts = {}
            for v in present:
                counts[v] = counts.get(v, 0) + 1
            top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
            entry["top"] = [{"value": k, "count": c} for k, c in top]
        out.append(entry)
    return out


# ---------------------------------------------------------------- linear algebra

def solve(a, b):
    """Gaussian elimination with partial pivoting; a is n x n, b length n."""
    n = len(b)
    m = [row[:] + [b[i]] for i, row in enumerate(a)]
    for c in range(n):
        p = max(range(c, n), key=lambda r: abs(m[r][c]))
        m[c], m[p] = m[p], m[c]
        piv = m[c][c]
        for r in range(c + 1, n):
            f = m[r][c] / piv
            if f:
                for k in range(c, n + 1):
                    m[r][k] -= f * m[c][k]
    x = [0.0] * n
    for r in range(n - 1, -1, -1):
        s = m[r][n] - sum(m[r][k] * x[k] for k in range(r + 1, n))
        x[r] = s / m[r][r]
    return x


def standardize(X):
    d = len(X[0])
    mean = [sum(r[k] for r in X) / len(X) for k in range(d)]
    sd = [math.sqrt(sum((r[k] - mean[k]) ** 2 for r in X) / len(X)) or 1.0 for k in range(d)]
    return [[(r[k] - mean[k]) / sd[k] for k in range(d)] + [1.0] for r in X]


def logistic_fit(X, y, l2=1.0, iters=12):
    d = len(X[0])
    w = [0.0] * d
    for _ in range(iters):
        g = [0.0] * d
        h = [[0.0] * d for _ in range(d)]
        for xi, yi in zip(X, y):
            z = sum(a * b for a, b in zip(w, xi))
            p = 1.0 / (1.0 + math.exp(-max(min(z, 35), -35)))
            s = p * (1 - p)
            for a in range(d):
                g[a] += (p - yi) * xi[a]
                ha = h[a]
                sa = s * xi[a]
                for b in range(a, d):
                    ha[b] += sa * xi[b]
        for a in range(d):
            g[a] += l2 * w[a]
            h[a][a] += l2
            for b in range(a):
                h[a][b] = h[b][a]
        step = solve(h, g)
        w = [wi - si for wi, si in zip(w, step)]
    return w


def logistic_predict(w, X):
    out = []
    for xi in X:
        z = sum(a * b for a, b in zip(w, xi))
        out.append(1.0 / (1.0 + math.exp(-max(min(z, 35), -35))))
    return out


def ridge_fit(X, y, l2=1e-3):
    d = len(X[0])
    a = [[sum(r[i] * r[j] for r in X) + (l2 if i == j else 0.0) for j in range(d)] for i in range(d)]
    b = [sum(r[i] * t for r, t in zip(X, y)) for i in range(d)]
    return solve(a, b)


def folds(n, k, seed):
    idx = list(range(n))
    random.Random(seed).shuffle(idx)
    return [idx[f::k] for f in range(k)]


def out_of_fold(X, y, k, fit, predict, seed=42):
    pred = [0.0] * len(y)
    for fold in folds(len(y), k, seed):
        held = set(fold)
        tr = [i for i in range(len(y)) if i not in held]
        w = fit([X[i] for i in tr], [y[i] for i in tr])
        for i, p in zip(fold, predict(w, [X[i] for i in fold])):
            pred[i] = p
    return pred


# ---------------------------------------------------------------- metrics and curves

def roc_auc(y, p):
    pairs = sorted(zip(p, y))
    ranks = [0.0] * len(pairs)
    i = 0
    while i < len(pairs):
        j = i
        while j + 1 < len(pairs) and pairs[j + 1][0] == pairs[i][0]:
            j += 1
        for k in range(i, j + 1):
            ranks[k] = (i + j) / 2.0 + 1
        i = j + 1
    npos = sum(y)
    nneg = len(y) - npos
    s = sum(r for r, (_, t) in zip(ranks, pairs) if t == 1)
    return (s - npos * (npos + 1) / 2) / (npos * nneg)


def roc_curve(y, p):
    order = sorted(range(len(y)), key=lambda i: -p[i])
    npos = sum(y)
    nneg = len(y) - npos
    tp = fp = 0
    fpr, tpr = [0.0], [0.0]
    for k, i in enumerate(order):
        if y[i]:
            tp += 1
        else:
            fp += 1
        if k + 1 == len(order) or p[order[k + 1]] != p[i]:
            fpr.append(r6(fp / nneg))
            tpr.append(r6(tp / npos))
    return fpr, tpr


def pr_curve(y, p):
    order = sorted(range(len(y)), key=lambda i: -p[i])
    npos = sum(y)
    tp = fp = 0
    rec, prec = [], []
    ap = 0.0
    last_r = 0.0
    for k, i in enumerate(order):
        if y[i]:
            tp += 1
        else:
            fp += 1
        if k + 1 == len(order) or p[order[k + 1]] != p[i]:
            r = tp / npos
            pr = tp / (tp + fp)
            ap += (r - last_r) * pr
            last_r = r
            rec.append(r6(r))
            prec.append(r6(pr))
    return rec, prec, ap


def log_loss(y, p):
    eps = 1e-15
    return -sum(math.log(max(pi, eps)) if yi else math.log(max(1 - pi, eps)) for yi, pi in zip(y, p)) / len(y)


def f1_macro(actual, predicted, k):
    f = 0.0
    for c in range(k):
        tp = sum(1 for a, b in zip(actual, predicted) if a == c and b == c)
        fp = sum(1 for a, b in zip(actual, predicted) if a != c and b == c)
        fn = sum(1 for a, b in zip(actual, predicted) if a == c and b != c)
        f += 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    return f / k


def calibration(conf, correct, bins=10):
    out = []
    for b in range(bins):
        sel = [i for i, c in enumerate(conf) if min(int(c * bins), bins - 1) == b]
        if not sel:
            continue
        out.append({"predicted": r6(sum(conf[i] for i in sel) / len(sel)),
                    "observed": r6(sum(correct[i] for i in sel) / len(sel)),
                    "count": len(sel)})
    return out


# ---------------------------------------------------------------- trial history

HYPER = {
    "linear": lambda r: {"alpha": r6(10 ** r.uniform(-5, 0)), "max_iter": 500, "tol": 1e-06},
    "gbm": lambda r: {"learning_rate": r6(10 ** r.uniform(-1.5, -0.5)), "n_estimators": r.choice([100, 200, 300, 500, 800]),
                      "max_depth": r.randint(3, 10), "min_child_weight": r6(r.uniform(0, 10)),
                      "subsample": r6(r.uniform(0.5, 1)), "colsample": r6(r.uniform(0.5, 1))},
    "forest": lambda r: {"n_estimators": r.choice([100, 200, 300, 500]), "max_depth": r.choice([0, 8, 12, 16]),
                         "min_samples_leaf": r.randint(1, 20), "colsample": r6(r.uniform(0.2, 1)), "bootstrap": 1},
    "extra_trees": lambda r: {"n_estimators": r.choice([100, 200, 300]), "max_depth": 0,
                              "min_samples_leaf": r.randint(1, 20), "colsample": r6(r.uniform(0.2, 1)), "bootstrap": 0},
    "knn": lambda r: {"n_neighbors": r.randint(3, 50), "weights": r.choice(["uniform", "distance"])},
    "naive_bayes": lambda r: {"var_smoothing": r6(10 ** r.uniform(-6, 0.5)), "alpha": r6(10 ** r.uniform(-2, 1.5))},
    "mlp": lambda r: {"hidden_units": r.choice([16, 32, 64, 128, 256]), "hidden_layers": r.randint(1, 2),
                      "alpha": r6(10 ** r.uniform(-5, 0.5)), "learning_rate": r6(10 ** r.uniform(-3.5, -2)),
                      "batch_size": r.choice([32, 64, 128, 256]), "max_iter": 200},
    "tree": lambda r: {"max_depth": r.choice([0, 4, 6, 8]), "min_samples_leaf": r.randint(1, 50)},
}


def simulate_trials(seed, n, means, spread, cost, greater, fail_algo=None, bound=None):
    """A search history: a round of defaults per algorithm, then local search
    around the best algorithms (scores drawn around each algorithm's mean).
    Trials clearly behind the best so far after their first folds are
    pruned; fail_algo fails now and then.  No score is better than bound
    (the final model's validation score)."""
    r = random.Random(seed)
    algos = list(means)
    trials = []
    elapsed = 0.0
    best = None
    seen = 0
    for t in range(1, n + 1):
        if t <= len(algos):
            a = algos[t - 1]
        else:
            ranked = sorted(algos, key=lambda x: -means[x] if greater else means[x])
            a = r.choice(ranked[:3] + ranked[:2] + [r.choice(algos)])
        fit = r6(cost[a] * r.uniform(0.6, 1.8))
        elapsed += fit * 5 + r.uniform(0.05, 0.3)
        score = means[a] + r.gauss(0, spread)
        if bound is not None:
            score = min(score, bound) if greater else max(score, bound)
        tr = {"trial": t, "algorithm": a}
        status = "ok"
        if fail_algo and a == fail_algo:
            seen += 1
        if fail_algo and a == fail_algo and seen % 2 == 1:
            status = "failed"
        elif best is not None and t > len(algos) and r.random() < 0.5 and \
                ((greater and score < best - 4 * spread) or (not greater and score > best + 4 * spread)):
            status = "pruned"
            elapsed -= fit * 3
        if status == "failed":
            tr.update({"score": None, "score_std": None})
        else:
            tr.update({"score": r6(score), "score_std": r6(abs(r.gauss(spread, spread / 3)))})
            if status == "ok" and (best is None or (score > best if greater else score < best)):
                best = score
        tr.update({"fit_seconds": fit, "elapsed_seconds": r6(elapsed), "status": status,
                   "hyperparameters": HYPER[a](r)})
        if status == "failed":
            tr["error"] = "solver did not converge within max_iter iterations"
        trials.append(tr)
    return trials


def best_trials(trials, greater, k):
    ok = [t for t in trials if t["status"] == "ok"]
    ok.sort(key=lambda t: -t["score"] if greater else t["score"])
    return ok[:k]


def importance_from(weights, names, others, seed):
    r = random.Random(seed)
    raw = {}
    for nm, w in zip(names, weights):
        col = nm.split("=")[0]
        raw[col] = raw.get(col, 0.0) + abs(w)
    for o in others:
        raw.setdefault(o, r.uniform(0.002, 0.02) * max(raw.values()))
    tot = sum(raw.values())
    return [{"feature": k, "importance": r6(v / tot)} for k, v in sorted(raw.items(), key=lambda kv: -kv[1])]


def write(name, doc):
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, name), "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")


# ---------------------------------------------------------------- binary: churn

def binary():
    header, rows = read_csv("mlc_churn.csv")
    col = {h: i for i, h in enumerate(header)}
    y = [1 if r[col["churn"]] == "yes" else 0 for r in rows]

    def feats(r):
        day = float(r[col["total_day_minutes"]])
        eve = float(r[col["total_eve_minutes"]])
        cs = float(r[col["number_customer_service_calls"]])
        return [day, eve, float(r[col["total_night_minutes"]]), float(r[col["total_intl_minutes"]]),
                float(r[col["total_intl_calls"]]), cs, 1.0 if cs >= 4 else 0.0,
                1.0 if r[col["international_plan"]] == "yes" else 0.0,
                1.0 if r[col["voice_mail_plan"]] == "yes" else 0.0,
                max(day - 245.0, 0.0), max(day + eve - 420.0, 0.0),
                (1.0 if cs >= 4 else 0.0) * max(180.0 - day, 0.0),
                (1.0 if r[col["international_plan"]] == "yes" else 0.0) * (1.0 if float(r[col["total_intl_minutes"]]) > 13 else 0.0)]
    names = ["total_day_minutes", "total_eve_minutes", "total_night_minutes", "total_intl_minutes",
             "total_intl_calls", "number_customer_service_calls", "number_customer_service_calls=4+",
             "international_plan", "voice_mail_plan", "total_day_minutes=hi", "total_day_minutes=sum",
             "number_customer_service_calls=x", "international_plan=x"]
    X = standardize([feats(r) for r in rows])
    p = out_of_fold(X, y, 5, lambda a, b: logistic_fit(a, b, 1.0), logistic_predict)
    w = logistic_fit(X, y, 1.0)
    ptrain = logistic_predict(w, X)
    auc = roc_auc(y, p)
    fpr, tpr = roc_curve(y, p)
    rec, prec, ap = pr_curve(y, p)
    pred = [1 if v >= 0.5 else 0 for v in p]
    cm = [[sum(1 for a, b in zip(y, pred) if a == i and b == j) for j in range(2)] for i in range(2)]
    acc = sum(1 for a, b in zip(y, pred) if a == b) / len(y)
    ll = log_loss(y, p)
    f1 = f1_macro(y, pred, 2)
    pred_tr = [1 if v >= 0.5 else 0 for v in ptrain]
    training = {"roc_auc": r6(roc_auc(y, ptrain)), "log_loss": r6(log_loss(y, ptrain)),
                "accuracy": r6(sum(1 for a, b in zip(y, pred_tr) if a == b) / len(y)),
                "f1_macro": r6(f1_macro(y, pred_tr, 2))}

    greater = True
    means = {"linear": auc - 0.09, "gbm": auc - 0.008, "forest": auc - 0.012, "extra_trees": auc - 0.025,
             "knn": auc - 0.17, "naive_bayes": auc - 0.075, "mlp": auc - 0.05, "tree": auc - 0.065}
    cost = {"linear": 0.08, "gbm": 0.9, "forest": 0.7, "extra_trees": 0.5, "knn": 0.35,
            "naive_bayes": 0.02, "mlp": 2.4, "tree": 0.06}
    trials = simulate_trials(7, 40, means, 0.008, cost, greater, fail_algo="mlp", bound=auc - 0.002)
    top = best_trials(trials, greater, 2)
    ens_std = 0.0087
    members = [{"trial": t["trial"], "algorithm": t["algorithm"], "weight": wgt,
                "hyperparameters": t["hyperparameters"]} for t, wgt in zip(top, [0.62, 0.38])]
    profile_ = profile(header, rows, "churn")
    imp = importance_from(w[:-1], names, [h for h in header if h != "churn"], 11)
    warnings = ['column "state": 12 of its 51 levels are grouped as "other"',
                'the rarest class of "churn" has %.1f%% of the rows' % (100.0 * sum(y) / len(y)),
                'trial 7 (mlp) failed: solver did not converge within max_iter iterations']
    doc = {
        "model": {
            "name": "churn", "version": 3, "task": "binary", "algorithm": "ensemble",
            "metric": "roc_auc", "score": r6(auc), "score_std": ens_std, "status": "deployed",
            "created_by": "alice", "created_at": "2026-11-22 05:00:00+00", "n_rows": len(rows),
            "n_features": len(header) - 1,
            "source": "SELECT *\n  FROM customers\n WHERE signup_date < DATE '2026-10-01'\n   AND region <> 'test'",
            "target": "churn", "classes": ["no", "yes"],
            "hyperparameters": {"members": members},
            "lineage": {"retrained_from": {"name": "churn", "version": 2},
                        "resumed_trials": 12, "reason": "monthly refresh"},
            "extension_version": "0.1.0", "data_fingerprint": "39ac070cd73d88e3",
            "train_seconds": r6(trials[-1]["elapsed_seconds"] + 2.1), "trials": len(trials),
            "metrics": {"validation": {"method": "cv", "folds": 5, "rows": len(rows), "metric": "roc_auc",
                                       "score": r6(auc), "std": ens_std,
                                       "best_single": top[0]["score"], "ensemble": r6(auc),
                                       "ensemble_unseen": r6(auc - 0.0021), "single_unseen": r6(top[0]["score"] - 0.0035),
                                       "metrics": {"roc_auc": r6(auc), "log_loss": r6(ll), "accuracy": r6(acc),
                                                   "f1_macro": r6(f1)}},
                        "training": training}},
        "trials": trials,
        "diagnostics": {
            "roc": {"fpr": fpr, "tpr": tpr, "auc": r6(auc)},
            "pr": {"recall": rec, "precision": prec, "average_precision": r6(ap)},
            "confusion": {"labels": ["no", "yes"], "matrix": cm},
            "calibration": calibration(p, y),
        },
        "importance": imp,
        "profile": profile_,
        "warnings": warnings,
    }
    write("binary.json", doc)


# ---------------------------------------------------------------- multiclass: penguins

def multiclass():
    header, rows = read_csv("penguins.csv")
    col = {h: i for i, h in enumerate(header)}
    classes = ["Adelie", "Chinstrap", "Gentoo"]
    y = [classes.index(r[col["species"]]) for r in rows]
    numc = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]
    means = {c: sum(float(r[col[c]]) for r in rows if r[col[c]] is not None) /
             sum(1 for r in rows if r[col[c]] is not None) for c in numc}

    def feats(r):
        v = [float(r[col[c]]) if r[col[c]] is not None else means[c] for c in numc]
        return v + [1.0 if r[col["island"]] == "Dream" else 0.0, 1.0 if r[col["island"]] == "Biscoe" else 0.0,
                    1.0 if r[col["sex"]] == "male" else 0.0]
    X = standardize([feats(r) for r in rows])

    def fit(Xs, ys):
        return [logistic_fit(Xs, [1 if t == k else 0 for t in ys], 3.0) for k in range(3)]

    def predict(ws, Xs):
        cols = [logistic_predict(w, Xs) for w in ws]
        out = []
        for i in range(len(Xs)):
            s = [cols[k][i] ** 3 for k in range(3)]
            t = sum(s)
            out.append([v / t for v in s])
        return out
    P = out_of_fold(X, y, 5, fit, predict, seed=3)
    pred = [max(range(3), key=lambda k: pr[k]) for pr in P]
    cm = [[sum(1 for a, b in zip(y, pred) if a == i and b == j) for j in range(3)] for i in range(3)]
    acc = sum(1 for a, b in zip(y, pred) if a == b) / len(y)
    ll = -sum(math.log(max(pr[t], 1e-15)) for pr, t in zip(P, y)) / len(y)
    f1 = f1_macro(y, pred, 3)
    conf = [max(pr) for pr in P]
    correct = [1 if a == b else 0 for a, b in zip(y, pred)]
    ws = fit(X, y)
    Pt = predict(ws, X)
    pt = [max(range(3), key=lambda k: pr[k]) for pr in Pt]
    training = {"accuracy": r6(sum(1 for a, b in zip(y, pt) if a == b) / len(y)),
                "log_loss": r6(-sum(math.log(max(pr[t], 1e-15)) for pr, t in zip(Pt, y)) / len(y)),
                "f1_macro": r6(f1_macro(y, pt, 3))}
    greater = True
    means_ = {"linear": acc - 0.008, "gbm": acc - 0.012, "forest": acc - 0.006, "extra_trees": acc - 0.009,
              "knn": acc - 0.018, "naive_bayes": acc - 0.035, "mlp": acc - 0.014, "tree": acc - 0.06}
    cost = {"linear": 0.01, "gbm": 0.12, "forest": 0.09, "extra_trees": 0.07, "knn": 0.01,
            "naive_bayes": 0.004, "mlp": 0.5, "tree": 0.01}
    trials = simulate_trials(21, 24, means_, 0.006, cost, greater, bound=acc - 0.0015)
    top = best_trials(trials, greater, 1)[0]
    top["score"] = r6(acc)
    imp_w = [sum(abs(w[k]) for w in ws) for k in range(7)]
    names = numc + ["island=Dream", "island=Biscoe", "sex"]
    doc = {
        "model": {
            "name": "penguin_species", "version": 1, "task": "multiclass", "algorithm": top["algorithm"],
            "metric": "accuracy", "score": top["score"], "score_std": top["score_std"], "status": "candidate",
            "created_by": "bob", "created_at": "2026-11-20 14:31:07+00", "n_rows": len(rows),
            "n_features": len(header) - 1, "source": "penguins", "target": "species", "classes": classes,
            "hyperparameters": top["hyperparameters"],
            "extension_version": "0.1.0", "data_fingerprint": "c2f1b09e5a7d4410",
            "train_seconds": r6(trials[-1]["elapsed_seconds"] + 0.4), "trials": len(trials),
            "metrics": {"validation": {"method": "cv", "folds": 5, "rows": len(rows), "metric": "accuracy",
                                       "score": top["score"], "std": top["score_std"],
                                       "best_single": top["score"], "ensemble": None,
                                       "metrics": {"accuracy": r6(acc), "log_loss": r6(ll), "f1_macro": r6(f1)}},
                        "training": training}},
        "trials": trials,
        "diagnostics": {
            "confusion": {"labels": classes, "matrix": cm},
            "calibration": calibration(conf, correct),
        },
        "importance": importance_from(imp_w, names, [], 5),
        "profile": profile(header, rows, "species"),
        "warnings": ['column "sex": 11 rows are NULL and are imputed as a separate level',
                     'only 344 rows to learn from; scores will be noisy'],
    }
    write("multiclass.json", doc)


# ---------------------------------------------------------------- regression: concrete

def regression():
    header, rows = read_csv("concrete.csv")
    col = {h: i for i, h in enumerate(header)}
    target = "compressive_strength"
    y = [float(r[col[target]]) for r in rows]
    base = [h for h in header if h != target]

    def feats(r):
        v = [float(r[col[c]]) for c in base]
        age = float(r[col["age"]])
        wc = float(r[col["water"]]) / (float(r[col["cement"]]) + 1e-9)
        return v + [math.log(age), math.log(age) ** 2, wc, math.log(wc)]
    names = base + ["age=log", "age=log2", "water=ratio", "cement=ratio"]
    X = standardize([feats(r) for r in rows])
    pred = out_of_fold(X, y, 5, lambda a, b: ridge_fit(a, b, 1.0), lambda w, Xs: [sum(a * b for a, b in zip(w, xi)) for xi in Xs])
    res = [a - p for a, p in zip(y, pred)]
    n = len(y)
    rmse = math.sqrt(sum(e * e for e in res) / n)
    mae = sum(abs(e) for e in res) / n
    mean = sum(y) / n
    r2 = 1 - sum(e * e for e in res) / sum((t - mean) ** 2 for t in y)
    w = ridge_fit(X, y, 1.0)
    pt = [sum(a * b for a, b in zip(w, xi)) for xi in X]
    rt = [a - p for a, p in zip(y, pt)]
    training = {"rmse": r6(math.sqrt(sum(e * e for e in rt) / n)), "mae": r6(sum(abs(e) for e in rt) / n),
                "r2": r6(1 - sum(e * e for e in rt) / sum((t - mean) ** 2 for t in y))}
    idx = sorted(random.Random(5).sample(range(n), 500))
    hist = histogram(res, 30)
    greater = False
    means = {"linear": rmse * 1.55, "gbm": rmse * 1.06, "forest": rmse * 1.12, "extra_trees": rmse * 1.15,
             "knn": rmse * 1.45, "mlp": rmse * 1.2, "tree": rmse * 1.3}
    cost = {"linear": 0.01, "gbm": 0.3, "forest": 0.25, "extra_trees": 0.2, "knn": 0.03, "mlp": 1.1, "tree": 0.02}
    trials = simulate_trials(99, 60, means, 0.25, cost, greater, fail_algo="mlp", bound=rmse * 1.003)
    top = best_trials(trials, greater, 1)[0]
    top["score"] = r6(rmse)
    doc = {
        "model": {
            "name": "concrete_strength", "version": 7, "task": "regression", "algorithm": top["algorithm"],
            "metric": "rmse", "score": top["score"], "score_std": top["score_std"], "status": "deployed",
            "created_by": "carol", "created_at": "2026-11-21 22:10:45+00", "n_rows": n,
            "n_features": len(base),
            "source": "SELECT cement, blast_furnace_slag, fly_ash, water, superplasticizer,\n"
                      "       coarse_aggregate, fine_aggregate, age, compressive_strength\n"
                      "  FROM lab.concrete_tests",
            "target": target, "classes": None,
            "hyperparameters": top["hyperparameters"],
            "lineage": {"imported_from": {"name": "concrete_strength", "version": 4, "database": "lab_dev",
                                          "created_by": "dave", "created_at": "2026-10-02 09:12:00+00"}},
            "extension_version": "0.1.0", "data_fingerprint": "7d0e55b1a9c2f3e4",
            "train_seconds": r6(trials[-1]["elapsed_seconds"] + 0.8), "trials": len(trials),
            "metrics": {"validation": {"method": "cv", "folds": 5, "rows": n, "metric": "rmse",
                                       "score": top["score"], "std": top["score_std"],
                                       "best_single": top["score"], "ensemble": None,
                                       "metrics": {"rmse": r6(rmse), "mae": r6(mae), "r2": r6(r2)}},
                        "training": training}},
        "trials": trials,
        "diagnostics": {
            "regression": {"actual": [r6(y[i]) for i in idx], "predicted": [r6(pred[i]) for i in idx],
                           "residuals": hist},
        },
        "importance": importance_from(w[:-1], names, [], 9),
        "profile": profile(header, rows, target),
        "warnings": [],
    }
    write("regression.json", doc)


if __name__ == "__main__":
    binary()
    multiclass()
    regression()
