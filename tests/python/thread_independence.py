#!/usr/bin/env python3
"""A model does not depend on the number of threads that trained it.

`lwnet train --device cpu` on 600 x 48 data (3 classes, seed 3: d > 32, where the tile dot
products once went through a BLAS GEMM whose split, and so whose rounding, followed the thread
count) with OMP_NUM_THREADS = 1, 2 and 3 must write byte-identical model tensors; likewise with
--rho rff (random Fourier features, once a BLAS GEMM too). Only timings may differ: the
metadata's fit time and the per-layer seconds tensor. Run it with OPENBLAS_CORETYPE=Haswell set and unset (.ci/run does)."""
import argparse
import json
import os
import random
import struct
import subprocess
import sys


def fail(message):
    sys.exit(f"FAIL: {message}")


def write_data(folder, n=600, d=48, classes=3, seed=3):
    rng = random.Random(seed)
    centres = [[rng.gauss(0.0, 1.0) for _ in range(d)] for _ in range(classes)]
    data = os.path.join(folder, "x.csv")
    labels = os.path.join(folder, "y.csv")
    with open(data, "w") as x_file, open(labels, "w") as y_file:
        for i in range(n):
            label = i % classes
            row = [centres[label][f] + rng.gauss(0.0, 1.5) for f in range(d)]
            x_file.write(",".join(f"{v:.6f}" for v in row) + "\n")
            y_file.write(f"{label}\n")
    return data, labels


def tensors(path):
    """The safetensors file's tensor bytes by name (the header's metadata left out)."""
    with open(path, "rb") as f:
        blob = f.read()
    (header_length,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + header_length])
    body = blob[8 + header_length:]
    out = {}
    for name, entry in header.items():
        if name == "__metadata__" or name.endswith("seconds"):  # timings, not results
            continue
        begin, end = entry["data_offsets"]
        out[name] = (entry["dtype"], tuple(entry["shape"]), body[begin:end])
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--lwnet", required=True)
    parser.add_argument("--work", required=True)
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    data, labels = write_data(args.work)
    for extra in ([], ["--rho", "rff"]):
        models = {}
        for threads in (1, 2, 3):
            out = os.path.join(args.work, f"model_{threads}{'_rff' if extra else ''}.safetensors")
            env = dict(os.environ, OMP_NUM_THREADS=str(threads))
            run = subprocess.run([args.lwnet, "train", "--device", "cpu", "--data", data, "--labels", labels,
                                  "--seed", "3", "--out", out] + extra,
                                 env=env, capture_output=True, text=True, timeout=300)
            if run.returncode != 0:
                fail(f"train with {threads} thread(s) {extra} failed ({run.returncode}):\n{run.stderr}")
            models[threads] = tensors(out)
        reference = models[1]
        if not reference:
            fail("the model holds no tensors")
        for threads in (2, 3):
            if models[threads].keys() != reference.keys():
                fail(f"{threads} threads {extra}: tensors {sorted(models[threads])} vs {sorted(reference)}")
            for name, value in reference.items():
                if models[threads][name] != value:
                    fail(f"{threads} threads {extra}: tensor '{name}' differs from the 1-thread model's")
        print(f"{len(reference)} tensors identical with 1, 2 and 3 threads {extra}")
    print("PASS")


if __name__ == "__main__":
    main()
