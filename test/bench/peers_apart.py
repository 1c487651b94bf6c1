#!/usr/bin/python3
"""The suite's rows against each peer apart, not only the best of four.

    test/bench/suite.py ... > suite.out            # BENCH_SPLITS with several splits
    test/bench/peers_apart.py suite.out

suite.py compares ours with the best of the four peers on each holdout: a
best chosen on the very rows it is scored on.  This script refits the four
peers on the same splits (the same seeds, so the same scores as suite.py)
and prints, per data set:

  * the fixed peer: the one with the best mean over the splits,
  * our mean difference to it and to the best of four, and the runs where
    ours is at least the fixed peer,

then how often each peer is itself the best of four on a holdout, and on
how many data sets it is so on every split: what the best of four asks of
any single model.  Needs no database: our scores are read from suite.py's
output.
"""
import csv
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import suite  # noqa: E402

ROW = re.compile(r"^(\S+)/(\d+)\s+(\S+)\s+(\S+)\s")


def our_scores(path):
    rows = {}
    with open(path) as f:
        for line in f:
            m = ROW.match(line)
            if m:
                rows.setdefault(m.group(1), {})[int(m.group(2))] = (m.group(3), float(m.group(4)))
    return rows


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: peers_apart.py SUITE_OUTPUT")
    ours = our_scores(sys.argv[1])
    manifest = {m["name"]: m for m in csv.DictReader(open(os.path.join(suite.DATA, "manifest.tsv")),
                                                      delimiter="\t")}
    schema = list(csv.DictReader(open(os.path.join(suite.DATA, "schema.tsv")), delimiter="\t"))
    best_of_four, every_split, runs = {}, {}, 0
    cls_fixed, cls_best, cls_ge = [], [], 0
    print(f"{'data set':15} {'fixed peer':14} {'vs fixed':>9} {'vs best4':>9} {'>= fixed':>9}")
    for name, by_split in ours.items():
        entry = manifest[name]
        task = entry["task"]
        df, num, cat, _ = suite.load(entry, schema)
        peer = {}
        for seed in by_split:
            tr, te = suite.split(df, entry, seed)
            # rounded as suite.py prints them, so that a tie there is a tie here
            peer[seed] = {k: round(v[0], 4) for k, v in suite.peers(entry, df, num, cat, tr, te).items()}
        names = list(next(iter(peer.values())))
        fixed = max(names, key=lambda p: sum(suite.better(task, peer[s][p], 0) for s in peer))
        d_fixed = [suite.better(task, by_split[s][1], peer[s][fixed]) for s in peer]
        d_best = [min(suite.better(task, by_split[s][1], peer[s][p]) for p in names) for s in peer]
        ge = sum(d >= -1e-9 for d in d_fixed)
        print(f"{name:15} {fixed:14} {sum(d_fixed) / len(peer):+9.4f} {sum(d_best) / len(peer):+9.4f} "
              f"{ge:>6}/{len(peer)}", flush=True)
        for p in names:
            best = [all(suite.better(task, peer[s][p], peer[s][q]) >= -1e-12 for q in names) for s in peer]
            best_of_four[p] = best_of_four.get(p, 0) + sum(best)
            every_split[p] = every_split.get(p, 0) + all(best)
        runs += len(peer)
        if task != "regression":
            cls_fixed += d_fixed
            cls_best += d_best
            cls_ge += ge
    if cls_fixed:
        print(f"classification mean diff: to the fixed peer {sum(cls_fixed) / len(cls_fixed):+.4f}, "
              f"to the best of four {sum(cls_best) / len(cls_best):+.4f}; "
              f"ours >= the fixed peer in {cls_ge} of {len(cls_fixed)} runs")
    print("runs where the peer is the best of four (ties count): "
          + ", ".join(f"{p} {n}/{runs}" for p, n in best_of_four.items()))
    print("data sets where it is so on every split: "
          + ", ".join(f"{p} {n}/{len(ours)}" for p, n in every_split.items()))


if __name__ == "__main__":
    main()
