#!/usr/bin/env python3
"""The eight paper datasets with every method side by side (bench/local/paper_datasets.sh's JSON):
mean +- std over the 10 folds of the test accuracy (seed 0), the mean fit seconds per fold, and,
where other seeds ran (NAME-METHOD-seedS.json), each method's 10-fold mean per seed, as markdown
tables on stdout.

Usage: python3 bench/local/summarise_paper.py RESULTS_DIR"""
import json
import os
import sys

DATASETS = ["adversarial", "random", "spiral", "wine", "cancer", "car", "divorce", "cifar10"]
METHODS = [("kme", "closed form (kme)"), ("dgl", "DGL"), ("hsic-bottleneck", "HSIC bottleneck"),
           ("backprop", "backprop")]


def summary(folder, name, method, seed=0):
    path = os.path.join(folder, f"{name}-{method}.json" if seed == 0 else f"{name}-{method}-seed{seed}.json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)["summary"]


def main():
    folder = sys.argv[1]
    print("| data | " + " | ".join(label for _, label in METHODS) + " |")
    print("|---|" + "---|" * len(METHODS))
    for name in DATASETS:
        cells = []
        for method, _ in METHODS:
            s = summary(folder, name, method)
            cells.append("—" if s is None else f"{s['test_accuracy_mean']:.3f} ± {s['test_accuracy_std']:.3f}")
        print(f"| {name} | " + " | ".join(cells) + " |")
    print()
    print("| data | " + " | ".join(f"{label} s/fold" for _, label in METHODS) + " |")
    print("|---|" + "---|" * len(METHODS))
    for name in DATASETS:
        cells = []
        for method, _ in METHODS:
            s = summary(folder, name, method)
            cells.append("—" if s is None else f"{s['fit_seconds_mean']:.2f}")
        print(f"| {name} | " + " | ".join(cells) + " |")
    seeds = [s for s in range(1, 10) if any(summary(folder, n, m, s) for n in DATASETS for m, _ in METHODS)]
    if not seeds:
        return
    print()
    print(f"10-fold mean test accuracy per seed (0, {', '.join(map(str, seeds))}) and their mean:")
    print()
    print("| data | " + " | ".join(label for m, label in METHODS if m != "kme") + " |")
    print("|---|" + "---|" * (len(METHODS) - 1))
    for name in DATASETS:
        cells = []
        for method, _ in METHODS:
            if method == "kme":
                continue
            means = [s["test_accuracy_mean"] for s in (summary(folder, name, method, seed) for seed in [0] + seeds) if s]
            cells.append(" / ".join(f"{v:.3f}" for v in means) + f" (mean {sum(means) / len(means):.3f})")
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
