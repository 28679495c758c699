#!/usr/bin/env python3
"""The eight paper datasets with every method side by side (bench/local/paper_datasets.sh's JSON):
mean +- std over the 10 folds of the test accuracy, and the mean fit seconds per fold, as a
markdown table on stdout.

Usage: python3 bench/local/summarise_paper.py RESULTS_DIR"""
import json
import os
import sys

DATASETS = ["adversarial", "random", "spiral", "wine", "cancer", "car", "divorce", "cifar10"]
METHODS = [("kme", "closed form (kme)"), ("dgl", "DGL"), ("hsic-bottleneck", "HSIC bottleneck"),
           ("backprop", "backprop")]


def summary(folder, name, method):
    path = os.path.join(folder, f"{name}-{method}.json")
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


if __name__ == "__main__":
    main()
