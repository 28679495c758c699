#!/usr/bin/env python3
"""Ctrl-C while a network trains (lwnet train --method backprop): the fit stops before the next
batch (or after the epoch just reported), with exit 130, one error line (the last on stderr) saying
where, and no model file nor temporary left. The signal goes out once the first epoch has been reported on stderr; the
fit has a million epochs planned, so the signal always arrives mid-fit."""
import argparse
import os
import re
import shutil
import signal
import subprocess
import sys


def fail(message):
    sys.exit(f"FAIL: {message}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--lwnet", required=True)
    parser.add_argument("--work", required=True)
    args = parser.parse_args()
    shutil.rmtree(args.work, ignore_errors=True)
    os.makedirs(args.work)
    model = os.path.join(args.work, "model.safetensors")
    proc = subprocess.Popen([args.lwnet, "train", "--method", "backprop", "--arch", "dense:8x1", "--epochs", "1000000",
                             "--batch-size", "16", "--device", "cpu", "--out", model],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen = []
    for line in proc.stderr:
        seen.append(line)
        if line.startswith("epoch "):
            proc.send_signal(signal.SIGINT)
            break
    rest_err = proc.stderr.read()
    proc.stdout.read()
    code = proc.wait()
    stderr = "".join(seen) + rest_err
    if code != 130:
        fail(f"exit code {code}, expected 130; stderr:\n{stderr[-2000:]}")
    lines = stderr.rstrip("\n").splitlines()
    errors = [line for line in lines if line.startswith("lwnet: error: ")]
    if len(errors) != 1 or lines[-1] != errors[0]:
        fail(f"expected one 'lwnet: error:' line, the last on stderr:\n{stderr[-2000:]}")
    if not re.fullmatch(r"lwnet: error: interrupted \(Ctrl-C\) (after epoch [0-9]+ of 1000000|during epoch [0-9]+ of "
                        r"1000000 \(before batch [0-9]+ of 12\)): training stopped, no model was written", errors[0]):
        fail(f"unexpected error line: {errors[0]}")
    left = os.listdir(args.work)
    if left:
        fail(f"files left in the output folder: {left}")
    print(f"ok: {errors[0]}")


if __name__ == "__main__":
    main()
