#!/usr/bin/env python3
"""Signals and limits while lwnet runs: never exit 0 after SIGINT/SIGTERM, never a partial or
temporary file, always one error line on stderr.

1. Ctrl-C mid-fit: exit 130, one error line saying so, no model file (nor a temporary one). The
   signal goes out as soon as the first layer is reported (on stderr, where progress goes); with
   random labels the fit then still has layers to grow and a last layer that tries every width, so
   the signal always arrives mid-fit.
2. SIGTERM at start-up (train, predict): the signal is made pending before lwnet's main() runs
   (sent to the child between fork and exec with SIGTERM blocked; lwnet unblocks it once its
   handler is installed), so it is handled deterministically: exit 130 and one line, not the
   default action's silent 143, and nothing written.
3. The file-size limit (ulimit -f) hit while the model is written: exit 2 and one line naming the
   file and the limit (SIGXFSZ would otherwise kill the process without a word), no file left."""
import argparse
import os
import random
import resource
import shutil
import signal
import subprocess
import sys


def fail(message):
    sys.exit(f"FAIL: {message}")


def expect_one_error_line(stderr, must_contain, what):
    errors = [line for line in stderr.splitlines() if line.startswith("lwnet: error: ")]
    if len(errors) != 1 or not stderr.rstrip("\n").endswith(errors[-1]):
        fail(f"{what}: expected one 'lwnet: error:' line, the last on stderr:\n{stderr}")
    for text in must_contain:
        if text not in errors[0]:
            fail(f"{what}: the error line lacks '{text}': {errors[0]}")


def expect_empty(folder, what):
    left = os.listdir(folder)
    if left:
        fail(f"{what}: files left in the output folder: {left}")


def sigint_mid_fit(lwnet, work):
    rng = random.Random(7)
    n = 16000
    data = os.path.join(work, "x.csv")
    labels = os.path.join(work, "y.csv")
    with open(data, "w") as f:
        for _ in range(n):
            f.write(",".join(f"{rng.gauss(0, 1):.4f}" for _ in range(24)) + "\n")
    with open(labels, "w") as f:
        f.write("".join(f"{rng.randrange(2)}\n" for _ in range(n)))
    out_dir = os.path.join(work, "out_sigint")
    os.makedirs(out_dir)
    model = os.path.join(out_dir, "model.safetensors")
    proc = subprocess.Popen([lwnet, "train", "--device", "cpu", "--data", data, "--labels", labels, "--out", model],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen = []
    for line in proc.stderr:  # per-layer progress: "layer  1 ..." once layer 1 is accepted
        seen.append(line)
        if line.startswith("layer"):
            break
    if not seen or not seen[-1].startswith("layer") or proc.poll() is not None:
        fail(f"the fit ended before the signal (exit {proc.returncode}): {''.join(seen)}")
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=300)
    print(f"SIGINT mid-fit: exit {proc.returncode}; stderr after the signal: {stderr.strip()}")
    if proc.returncode != 130:
        fail(f"exit code {proc.returncode}, expected 130\nstdout:\n{stdout}\nstderr:\n{''.join(seen)}{stderr}")
    expect_one_error_line(stderr, ["interrupted (Ctrl-C)", "no model was written"], "SIGINT mid-fit")
    expect_empty(out_dir, "SIGINT mid-fit")


def pending_sigterm():
    """preexec_fn: block SIGTERM and send it to ourselves; exec keeps it blocked and pending."""
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    os.kill(os.getpid(), signal.SIGTERM)


def sigterm_at_start(lwnet, data_dir, work):
    wine = os.path.join(data_dir, "wine", "wine")
    out_dir = os.path.join(work, "out_sigterm")
    os.makedirs(out_dir)
    model = os.path.join(out_dir, "model.safetensors")
    train = [lwnet, "train", "--device", "cpu", "--data", wine + "_1.csv", "--labels", wine + "_1_label.csv",
             "--out", model]
    cases = [("train", train, ["terminated (SIGTERM) before training", "no model was written"])]
    # predict needs a model: train one first (no signal), in another folder.
    model_dir = os.path.join(work, "model")
    os.makedirs(model_dir)
    saved = os.path.join(model_dir, "model.safetensors")
    subprocess.run(train[:-1] + [saved], check=True, capture_output=True)
    predict = [lwnet, "predict", "--device", "cpu", "--model", saved, "--data", wine + "_1_test.csv",
               "--out", os.path.join(out_dir, "preds.csv")]
    cases.append(("predict", predict, ["terminated (SIGTERM) before the predictions were written", "nothing was written"]))
    for name, command, expected in cases:
        proc = subprocess.run(command, capture_output=True, text=True, preexec_fn=pending_sigterm, timeout=300)
        print(f"SIGTERM at start-up of {name}: exit {proc.returncode}; stderr: {proc.stderr.strip()}")
        if proc.returncode != 130:
            fail(f"{name}: exit code {proc.returncode}, expected 130 (143: the signal killed lwnet before its handler)\n"
                 f"stderr:\n{proc.stderr}")
        if proc.stderr.count("\n") != 1:
            fail(f"{name}: expected exactly one line on stderr:\n{proc.stderr}")
        expect_one_error_line(proc.stderr, expected, f"SIGTERM at start-up of {name}")
        expect_empty(out_dir, f"SIGTERM at start-up of {name}")


def file_size_limit(lwnet, data_dir, work):
    wine = os.path.join(data_dir, "wine", "wine")
    out_dir = os.path.join(work, "out_fsize")
    os.makedirs(out_dir)
    model = os.path.join(out_dir, "model.safetensors")
    limit = 4096  # bytes; the wine model is about 13 KB

    def limit_file_size():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    proc = subprocess.run([lwnet, "train", "--device", "cpu", "--data", wine + "_1.csv", "--labels",
                           wine + "_1_label.csv", "--out", model, "--json"],
                          capture_output=True, text=True, preexec_fn=limit_file_size, timeout=300)
    print(f"file-size limit: exit {proc.returncode}; stderr: {proc.stderr.strip()}")
    if proc.returncode != 2:
        fail(f"exit code {proc.returncode}, expected 2 (-{signal.SIGXFSZ}: killed by SIGXFSZ)\nstderr:\n{proc.stderr}")
    if proc.stdout:
        fail(f"a failed command printed on stdout:\n{proc.stdout}")
    if proc.stderr.count("\n") != 1:
        fail(f"expected exactly one line on stderr:\n{proc.stderr}")
    expect_one_error_line(proc.stderr, ["model.safetensors: cannot write: File too large", "ulimit -f"],
                          "file-size limit")
    expect_empty(out_dir, "file-size limit")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--lwnet", required=True)
    parser.add_argument("--data", required=True, help="the repository's data/nik folder")
    parser.add_argument("--work", required=True)
    args = parser.parse_args()
    shutil.rmtree(args.work, ignore_errors=True)
    os.makedirs(args.work)
    sigterm_at_start(args.lwnet, args.data, args.work)
    file_size_limit(args.lwnet, args.data, args.work)
    sigint_mid_fit(args.lwnet, args.work)
    print("PASS")


if __name__ == "__main__":
    main()
