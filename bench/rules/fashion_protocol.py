#!/usr/bin/env python3
"""The Align paper's KMNIST protocol (spec 2.1-2.2, train_kmnist.py) on Fashion-MNIST, with lwnet.

Data as setup_kmnist.py splits KMNIST: the first 5,000 training images are the evaluation set
(the code's printed "test accuracy"), the other 55,000 the training set; lwnet also scores the
official 10,000 test images. The network: conv:WIDTH:1,2,2:bn (3x3 SAME convolutions, batch norm
without affine per position, ReLU, global average pooling, readout), NTK parameterisation, MSE to
one-hot - 0.1, SGD without momentum, batch 100, learning rates {5, 2, 1}.

Inputs: the code feeds pixel/255; lwnet reads the IDX bytes with --standardize none (0..255). The
first convolution is followed by batch normalisation, which removes the scale: the two differ only
through BN's eps (1e-6 against variances 255^2 times larger), i.e. not measurably.

  sweep width:   every --methods x --widths x --lrs, --epochs epochs on the 55k images (or the
                 first --train-n of them, evaluation set unchanged)
  sweep lowdata: width --width, n in --n training images (the first n of the 55k), evaluation set
                 cut to n (of the 5k), batch n if n < 100 else gcd(100, n)
  summarise:     Markdown tables of the runs in --out (final-epoch accuracies, best lr in bold)

Each run is one JSON file in OUT/runs (resumable: finished runs are kept).
  /usr/bin/python3 bench/rules/fashion_protocol.py --lwnet build/release/bin/lwnet --out DIR sweep width
  /usr/bin/python3 bench/rules/fashion_protocol.py --out DIR summarise
"""

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "net"))
from compare_torch import read_idx, write_idx  # noqa: E402

FASHION = Path("/usr/share/datasets/fashion-mnist")
METHODS = ["backprop", "align-ada", "align-zero", "align-prop", "fa", "dfa", "last-layer"]
EVAL_SIZE = 5000


def prepare(work, n=None, cut_eval=True):
    """IDX files: training (the first n of images 5000..59999, or all), evaluation (the first
    5000 images, or min(n, 5000) when cut_eval), official test. Returns their paths."""
    work.mkdir(parents=True, exist_ok=True)
    dims, pixels = read_idx(FASHION / "train-images-idx3-ubyte.gz")
    _, labels = read_idx(FASHION / "train-labels-idx1-ubyte.gz")
    per = dims[1] * dims[2]
    tag = (f"n{n}" if cut_eval else f"train{n}") if n else "full"
    train_n = n if n else dims[0] - EVAL_SIZE
    eval_n = min(n, EVAL_SIZE) if n and cut_eval else EVAL_SIZE
    files = {
        "train": work / f"train-{tag}-images-idx3-ubyte", "train_labels": work / f"train-{tag}-labels-idx1-ubyte",
        "eval": work / f"eval-{tag}-images-idx3-ubyte", "eval_labels": work / f"eval-{tag}-labels-idx1-ubyte",
        "test": FASHION / "t10k-images-idx3-ubyte.gz", "test_labels": FASHION / "t10k-labels-idx1-ubyte.gz",
    }
    if not files["train"].exists():
        write_idx(files["train"], [train_n] + dims[1:], pixels[EVAL_SIZE * per:(EVAL_SIZE + train_n) * per])
        write_idx(files["train_labels"], [train_n], labels[EVAL_SIZE:EVAL_SIZE + train_n])
        write_idx(files["eval"], [eval_n] + dims[1:], pixels[:eval_n * per])
        write_idx(files["eval_labels"], [eval_n], labels[:eval_n])
    return files


def run_one(args, files, method, width, lr, epochs, batch, n_tag):
    name = f"{n_tag}-conv{width}-{method}-lr{lr:g}"
    out = Path(args.out) / "runs" / f"{name}.json"
    if out.exists():
        return json.loads(out.read_text())
    model = Path(args.out) / "models" / f"{name}.safetensors"
    model.parent.mkdir(parents=True, exist_ok=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))
    train = [args.lwnet, "train", "--method", method, "--arch", f"conv:{width}:1,2,2:bn", "--init", "ntk",
             "--loss", "mse", "--optimizer", "sgd", "--momentum", "0", "--lr", f"{lr:g}", "--batch-size", str(batch),
             "--epochs", str(epochs), "--standardize", "none", "--seed", "0", "--device", "cpu",
             "--data", str(files["train"]), "--labels", str(files["train_labels"]),
             "--test", str(files["eval"]), "--test-labels", str(files["eval_labels"]), "--out", str(model), "--json"]
    started = time.time()
    p = subprocess.run(train, env=env, capture_output=True, text=True)
    record = {"name": name, "method": method, "width": width, "lr": lr, "epochs": epochs, "batch_size": batch,
              "n": n_tag, "command": " ".join(train), "wall_seconds": time.time() - started}
    if p.returncode != 0:
        record["error"] = p.stderr.strip().splitlines()[-1] if p.stderr.strip() else f"exit {p.returncode}"
    else:
        fit = json.loads(p.stdout)
        record["eval_accuracy_per_epoch"] = [e.get("test_accuracy") for e in fit["epochs"]]
        record["train_loss_per_epoch"] = [e.get("loss") for e in fit["epochs"]]
        record["seconds_per_epoch"] = [e.get("seconds") for e in fit["epochs"]]
        record["eval_accuracy"] = fit.get("test_accuracy")
        ev = subprocess.run([args.lwnet, "eval", "--model", str(model), "--data", str(files["test"]), "--labels",
                             str(files["test_labels"]), "--device", "cpu", "--json"],
                            env=env, capture_output=True, text=True, check=True)
        record["test_accuracy"] = json.loads(ev.stdout)["accuracy"]
    model.unlink(missing_ok=True)
    out.write_text(json.dumps(record, indent=1))
    print(f"{name}: eval {record.get('eval_accuracy')} test {record.get('test_accuracy')} "
          f"{record.get('error', '')}", flush=True)
    return record


def sweep(args):
    if args.sweep == "width":
        limited = args.train_n and args.train_n < 55000
        files = prepare(Path(args.out) / "data", args.train_n if limited else None, cut_eval=False)
        for width in args.widths:
            for lr in args.lrs:
                for method in args.methods:
                    run_one(args, files, method, width, lr, args.epochs, 100,
                            f"train{args.train_n}" if limited else "full")
    else:
        for n in args.n:
            files = prepare(Path(args.out) / "data", n)
            batch = n if n < 100 else math.gcd(100, n)
            for lr in args.lrs:
                for method in args.methods:
                    run_one(args, files, method, args.width, lr, args.epochs, batch, f"n{n}")


def summarise(args):
    runs = [json.loads(p.read_text()) for p in sorted((Path(args.out) / "runs").glob("*.json"))]
    groups = {}
    for r in runs:
        groups.setdefault((r["n"], r["width"]), []).append(r)

    def cell(rs, key):
        ok = [r for r in rs if r.get(key) is not None]
        if not ok:
            return "diverged" if rs else ""
        best = max(ok, key=lambda r: r["eval_accuracy"] if r.get("eval_accuracy") is not None else -1)
        shown = " / ".join(f"{r[key]:.3f}" if r.get(key) is not None else "div" for r in sorted(rs, key=lambda r: -r["lr"]))
        return f"**{best[key]:.3f}** ({shown})"

    for (n, width), rs in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1])):
        epochs = rs[0]["epochs"]
        print(f"\n{n}, conv:{width}:1,2,2:bn, {epochs} epochs, batch {rs[0]['batch_size']}: final-epoch accuracy, "
              f"best lr (by the evaluation set) in bold, then lr 5 / 2 / 1\n")
        print("| method | evaluation set (the code's metric) | official test set | s/epoch (median) |")
        print("|---|---|---|---|")
        for method in METHODS:
            mine = [r for r in rs if r["method"] == method]
            if not mine:
                continue
            secs = [s for r in mine for s in (r.get("seconds_per_epoch") or [])[1:]]
            median = f"{statistics.median(secs):.2f}" if secs else ""
            print(f"| {method} | {cell(mine, 'eval_accuracy')} | {cell(mine, 'test_accuracy')} | {median} |")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lwnet", default="build/release/bin/lwnet")
    ap.add_argument("--out", required=True)
    ap.add_argument("--threads", type=int, default=2)
    sub = ap.add_subparsers(dest="command", required=True)
    sw = sub.add_parser("sweep")
    sw.add_argument("sweep", choices=["width", "lowdata"])
    sw.add_argument("--methods", nargs="+", default=METHODS, choices=METHODS)
    sw.add_argument("--widths", nargs="+", type=int, default=[8, 16, 32, 64])
    sw.add_argument("--width", type=int, default=64)
    sw.add_argument("--n", nargs="+", type=int, default=[45, 450, 4500, 45000])
    sw.add_argument("--lrs", nargs="+", type=float, default=[5.0, 2.0, 1.0])
    sw.add_argument("--epochs", type=int, default=10)
    sw.add_argument("--train-n", type=int, default=0, help="width sweep: train on the first N of the 55k")
    sub.add_parser("summarise")
    args = ap.parse_args()
    sweep(args) if args.command == "sweep" else summarise(args)


if __name__ == "__main__":
    main()
