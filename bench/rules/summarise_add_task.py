#!/usr/bin/env python3
"""Markdown table of an Add-task sweep (bench/rules/add_task.sh OUT_DIR): the minimum test loss over
epochs per width and method, the epoch it was reached, the baselines, seconds per epoch.

  /usr/bin/python3 bench/rules/summarise_add_task.py bench/results/add-task-cpu-2026-12-02
"""
import json
import statistics
import sys
from pathlib import Path

RUNS = [("backprop", "backprop (BPTT)"), ("align-ada", "Align-ada (code)"), ("align-ada-full", "Align-ada (full)"),
        ("align-zero", "Align-zero"), ("last-layer", "readout only")]


def main():
    out = Path(sys.argv[1])
    results = {}
    for f in out.glob("rnn*-*.json"):
        width, run = f.stem[3:].split("-", 1)
        results[(int(width), run)] = json.loads(f.read_text())
    widths = sorted({w for w, _ in results})
    print("| width | " + " | ".join(label for _, label in RUNS) + " | predict each step's mean | the code's 0.5 |")
    print("|---|" + "---|" * (len(RUNS) + 2))
    for w in widths:
        cells = []
        for run, _ in RUNS:
            r = results.get((w, run))
            if r is None:
                cells.append("")
                continue
            loss = r.get("min_test_loss")
            text = "diverged" if loss is None else f"{loss:.3f}"
            if r.get("diverged_epoch"):
                text += f" (diverged in epoch {r['diverged_epoch']})"
            cells.append(text)
        any_run = next(r for (ww, _), r in results.items() if ww == w)
        print(f"| {w} | " + " | ".join(cells) +
              f" | {any_run['mean_prediction_test_loss']:.3f} | {any_run['half_prediction_test_loss']:.3f} |")
    print("\nMedian seconds per epoch (training only):\n")
    print("| width | " + " | ".join(label for _, label in RUNS) + " |")
    print("|---|" + "---|" * len(RUNS))
    for w in widths:
        cells = []
        for run, _ in RUNS:
            r = results.get((w, run))
            secs = [e["seconds"] for e in r["epochs"][1:]] if r else []
            cells.append(f"{statistics.median(secs):.3f}" if secs else "")
        print(f"| {w} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
