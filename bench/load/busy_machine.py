#!/usr/bin/env python3
"""lwnet on a busy machine: the paper's folds fitted while other processes compete for the cores.

For each load (idle, one busy process, one per core) and each dataset (wine, cancer, cifar10;
fold 1, the reference protocol), `lwnet cv --preset NAME --fold 1 --device cpu --json` runs with
lwnet's default threads and with OMP_NUM_THREADS=1, alternating, `--repeats` times each; the
table reports the median fit seconds and the ratio default / one thread (the goal: <= 1.5 under
load, and no slower than one thread when idle). A busy process is a pure-Python spin loop.
Results: bench/results/load-cpu.json and a Markdown table on stdout (docs/PERFORMANCE.md).

  python3 bench/load/busy_machine.py [--lwnet build/release/bin/lwnet] [--folds ../shared/data/nik]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # bench/machine.py
import machine  # noqa: E402

DATASETS = ("wine", "cancer", "cifar10")
SPIN = "while True: pass"


def fit_seconds(lwnet, folds, name, threads):
    env = dict(os.environ)
    if threads is None:
        env.pop("OMP_NUM_THREADS", None)
    else:
        env["OMP_NUM_THREADS"] = str(threads)
    start = time.monotonic()
    run = subprocess.run([lwnet, "cv", "--folds", os.path.join(folds, name, name), "--preset", name, "--fold", "1",
                          "--device", "cpu", "--json"], env=env, capture_output=True, text=True, check=True)
    wall = time.monotonic() - start
    result = json.loads(run.stdout)
    return result["folds"][0]["fit_seconds"], wall


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lwnet", default="build/release/bin/lwnet")
    parser.add_argument("--folds", default="../shared/data/nik")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", default="bench/results/load-cpu.json")
    parser.add_argument("--baseline", help="another lwnet (say, the previous release), timed at each load with its default threads")
    parser.add_argument("--baseline-label", default="baseline", help="its name in the table")
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    loads = [("idle", 0), ("1 busy", 1), (f"{cores} busy", cores)]
    rows = []
    for load_name, busy in loads:
        spinners = [subprocess.Popen([sys.executable, "-c", SPIN]) for _ in range(busy)]
        try:
            time.sleep(0.5 if busy else 0.0)
            for name in DATASETS:
                times = {"default": [], "1 thread": []}
                for _ in range(args.repeats):
                    for label, threads in (("default", None), ("1 thread", 1)):
                        times[label].append(fit_seconds(args.lwnet, args.folds, name, threads)[0])
                if args.baseline:
                    times["baseline"] = [fit_seconds(args.baseline, args.folds, name, None)[0] for _ in range(args.repeats)]
                median = {label: statistics.median(values) for label, values in times.items()}
                rows.append({"load": load_name, "busy_processes": busy, "dataset": name,
                             "default_s": median["default"], "one_thread_s": median["1 thread"],
                             "ratio": median["default"] / median["1 thread"],
                             "baseline_s": median.get("baseline"), "runs": times})
                print(f"{load_name:8s} {name:8s} default {median['default']:.3f} s, 1 thread "
                      f"{median['1 thread']:.3f} s", file=sys.stderr)
        finally:
            for p in spinners:
                p.kill()
                p.wait()
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump({"command": " ".join(sys.argv), "machine": machine.cpu_model(), "baseline": args.baseline,
                   "baseline_label": args.baseline_label,
                   "cores": cores, "repeats": args.repeats, "rows": rows}, f, indent=1)
    print("| load | dataset | default threads (s) | 1 thread (s) | default / 1 thread | baseline, default threads (s) |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        baseline = f"{r['baseline_s']:.3f}" if r.get("baseline_s") is not None else ""
        print(f"| {r['load']} | {r['dataset']} | {r['default_s']:.3f} | {r['one_thread_s']:.3f} | {r['ratio']:.2f} | {baseline} |")


if __name__ == "__main__":
    main()
