#!/usr/bin/env python3
"""Where one fold's fit time goes: per layer, the widths tried and the seconds they took.

Runs `lwnet train` on fold K of a paper dataset with the reference protocol (what `lwnet cv --preset
NAME --fold K` does) for one or more lwnet binaries (say, this build and the previous release),
reads the per-layer lines lwnet prints on stderr ("layer  l ... widths tried W  S s") and the fit
time, and reports per layer: widths tried, seconds, seconds per width; the last, rejected layer
(every width of its grid tried, none kept) is what the fit time leaves over. Each binary runs
`--repeats` times; the fastest run is kept (the machine is shared).

  python3 bench/nik/fold_profile.py --lwnet build/release/bin/lwnet [--label now] [--lwnet OLD --label before]
      [--name cifar10]
      [--fold 1] [--data ../shared/data/nik] [--out bench/results/fold-profile-cpu.json]
"""
import argparse
import json
import os
import re
import subprocess
import sys

SIGMA_COUNT = 20  # widths per grid in the paper's protocol (all sets but divorce and adversarial)
LAYER_LINE = re.compile(r"^layer\s+(\d+)\s+sigma\s+(\S+).*widths tried\s+(\d+)\s+([0-9.]+) s$")


def run_once(lwnet, stem, threads):
    env = dict(os.environ)
    if threads:
        env["OMP_NUM_THREADS"] = str(threads)
    command = [lwnet, "train", "--data", stem + ".csv", "--labels", stem + "_label.csv", "--test", stem + "_test.csv",
               "--test-labels", stem + "_label_test.csv", "--noise", "0.02", "--standardize", "separate", "--rho", "rff",
               "--device", "cpu"]
    run = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    # Older lwnet printed progress on stdout, newer on stderr: read both.
    layers, fit, test, last_widths = [], None, None, None
    for line in (run.stdout + "\n" + run.stderr).splitlines():
        line = line.strip()
        match = LAYER_LINE.match(line)
        if match:
            layers.append({"layer": int(match.group(1)), "sigma": float(match.group(2)),
                           "widths_tried": int(match.group(3)), "seconds": float(match.group(4))})
        match = re.match(r"^layers (\d+), normalised HSIC \S+, fit ([0-9.]+) s", line)
        if match:
            fit = float(match.group(2))
        match = re.match(r"^test accuracy\s+([0-9.]+)", line)
        if match:
            test = float(match.group(1))
        if "stopped after" in line and "no width improved" in line:
            last_widths = SIGMA_COUNT  # the whole grid was tried and rejected
    accounted = sum(l["seconds"] for l in layers)
    return {"command": " ".join(command), "fit_seconds": fit, "layers": layers,
            "last_layer_seconds": fit - accounted, "last_layer_widths": last_widths, "test_accuracy": test,
            "n_layers": len(layers)}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lwnet", action="append", required=True)
    parser.add_argument("--label", action="append", default=[], help="a name for each --lwnet, in order")
    parser.add_argument("--name", default="cifar10")
    parser.add_argument("--fold", type=int, default=1)
    parser.add_argument("--data", default="../shared/data/nik")
    parser.add_argument("--threads", type=int, default=0, help="OMP_NUM_THREADS (0: lwnet's default)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", default="bench/results/fold-profile-cpu.json")
    args = parser.parse_args()
    stem = os.path.join(args.data, args.name, f"{args.name}_{args.fold}")
    runs = []
    for i, lwnet in enumerate(args.lwnet):
        best = min((run_once(lwnet, stem, args.threads) for _ in range(args.repeats)), key=lambda r: r["fit_seconds"])
        best["lwnet"] = lwnet
        best["label"] = args.label[i] if i < len(args.label) else lwnet
        runs.append(best)
        print(f"{lwnet}: fit {best['fit_seconds']:.3f} s, {best['n_layers']} layers", file=sys.stderr)
    with open(args.out, "w") as f:
        json.dump({"dataset": args.name, "fold": args.fold, "threads": args.threads or "default", "runs": runs}, f,
                  indent=1)
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
