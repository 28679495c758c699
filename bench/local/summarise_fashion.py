#!/usr/bin/env python3
"""bench/local/fashion_local.sh's runs as markdown: per run the final and best test accuracy, the
mean seconds per epoch of each stage and the whole fit; then the test accuracy after every epoch.

Usage: python3 bench/local/summarise_fashion.py RESULTS_DIR"""
import json
import math
import os
import sys

ORDER = ["dgl-dense", "backprop-dense", "dgl-conv", "backprop-conv", "hsic-format", "backprop-hsic",
         "hsic-unformatted", "backprop-1024"]


def fmt(v, digits=4):
    return "—" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.{digits}f}"


def main():
    folder = sys.argv[1]
    runs = [(name, json.load(open(os.path.join(folder, f"{name}.json"))))
            for name in ORDER if os.path.exists(os.path.join(folder, f"{name}.json"))]
    print("| run | method | arch | epochs | test acc (final) | test acc (best epoch) | s/epoch by stage | fit s |")
    print("|---|---|---|---|---|---|---|---|")
    for name, r in runs:
        epochs = r["epochs"]
        stages = {}
        for e in epochs:
            stages.setdefault(e.get("stage") or "all", []).append(e["seconds"])
        per_stage = ", ".join(f"{s} {sum(v) / len(v):.1f}" for s, v in stages.items())
        tests = [e["test_accuracy"] for e in epochs if e["test_accuracy"] is not None]
        print(f"| {name} | {r['method']} | `{r['arch']}` | {len(epochs)} | {fmt(r.get('test_accuracy'))} | "
              f"{fmt(max(tests) if tests else None)} | {per_stage} | {r['fit_seconds']:.0f} |")
    print()
    for name, r in runs:
        cells = " ".join(fmt(e["test_accuracy"], 3) if e["test_accuracy"] is not None else "·" for e in r["epochs"])
        print(f"- {name}: {cells}")


if __name__ == "__main__":
    main()
