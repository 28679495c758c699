#!/usr/bin/env python3
"""Ctrl-C during `lwnet train` stops the fit cleanly: exit code 130, one line on stderr saying so,
and no model file (nor a temporary one) in the output folder. The signal goes out as soon as the
first layer is reported; with random labels the fit then still has layers to grow and a last
layer that tries every width, so the signal always arrives mid-fit."""
import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import time


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--lwnet", required=True)
    parser.add_argument("--work", required=True)
    args = parser.parse_args()
    shutil.rmtree(args.work, ignore_errors=True)
    os.makedirs(args.work)
    rng = random.Random(7)
    n = 16000
    data = os.path.join(args.work, "x.csv")
    labels = os.path.join(args.work, "y.csv")
    with open(data, "w") as f:
        for _ in range(n):
            f.write(",".join(f"{rng.gauss(0, 1):.4f}" for _ in range(24)) + "\n")
    with open(labels, "w") as f:
        f.write("".join(f"{rng.randrange(2)}\n" for _ in range(n)))
    out_dir = os.path.join(args.work, "out")
    os.makedirs(out_dir)
    model = os.path.join(out_dir, "model.safetensors")

    proc = subprocess.Popen([args.lwnet, "train", "--device", "cpu", "--data", data, "--labels", labels,
                             "--out", model], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen = []
    for line in proc.stdout:  # "data ...", "device ...", then "layer  1 ..." once layer 1 is accepted
        seen.append(line)
        if line.startswith("layer"):
            break
    if not seen or not seen[-1].startswith("layer") or proc.poll() is not None:
        sys.exit(f"FAIL: the fit ended before the signal (exit {proc.returncode}): {''.join(seen)}")
    start = time.time()
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=300)
    waited = time.time() - start
    print(f"exit {proc.returncode} {waited:.1f} s after SIGINT; stderr: {stderr.strip()}")
    if proc.returncode != 130:
        sys.exit(f"FAIL: exit code {proc.returncode}, expected 130\nstdout:\n{''.join(seen)}{stdout}")
    if "interrupted (Ctrl-C)" not in stderr or "no model was written" not in stderr:
        sys.exit("FAIL: stderr does not say that the fit was interrupted and nothing was written")
    if len(stderr.strip().splitlines()) != 1:
        sys.exit("FAIL: expected one line on stderr")
    left = os.listdir(out_dir)
    if left:
        sys.exit(f"FAIL: files left in the output folder: {left}")
    print("PASS")


if __name__ == "__main__":
    main()
