#!/usr/bin/env python3
"""lwnet's trained networks (`lwnet train --method backprop`) against PyTorch, on the CPU or on CUDA.

Trains the same architecture, parameterisation, initial distribution, batch size, optimiser,
learning rate and thread count in both, on the same Fashion-MNIST images, and records per epoch
the training seconds (the epoch alone: permutation, forward, loss, backward, update; no
evaluation) and the test accuracy. Writes one JSON file and prints a Markdown table.

  /usr/bin/python3 bench/net/compare_torch.py                       # full run: 60k/10k, CPU
  /usr/bin/python3 bench/net/compare_torch.py --train-limit 10000 --epochs 2 \\
      --out bench/results/net-cpu-quick.json                       # quick speed check
  python3 bench/net/compare_torch.py --device cuda --lwnet build/gpu/bin/lwnet \\
      --arch dense:256x2=3 --arch conv:64:1,2,2=2                   # on a GPU machine (scripts/gpu-run.sh)

Without --lr both get lwnet's default for the optimiser and parameterisation
(lwnet::net::default_learning_rate, include/lwnet/net.hpp), passed to both explicitly; the run
stops if lwnet reports another rate than the one it was given.

The PyTorch side mirrors lwnet's definitions (include/lwnet/net.hpp, include/lwnet/nn_ops.hpp):
  * dense layer  Y = X W / sqrt(fan_in) + b, W ~ N(0, 1), b = 0 (--init ntk), or W ~ N(0, 1/fan_in)
    and no scale (--init standard); ReLU; a linear readout parameterised the same way;
  * conv layer   3x3, TensorFlow SAME padding (out = ceil(H / s), total pad max((out-1) s + 3 - H, 0),
    the smaller half top/left), bias, ReLU; after the last one global average pooling over the
    pixels and the readout (fan_in = channels);
  * ":bn"        batch normalisation without affine parameters, batch statistics per feature
    position (per column of the N x (H*W*C) matrix, not per channel), biased variance, eps 1e-6,
    in training and at test time alike;
  * softmax cross-entropy (batch mean); SGD with momentum as torch.optim.SGD (v = m v + g), or Adam
    as torch.optim.Adam;
  * inputs standardised per feature with the training statistics (population std; constant
    features -> 0), done once before training by both;
  * every epoch the training set is permuted (one gather), then visited in batches; the training
    loss and correct count are accumulated per batch (lwnet reports them per epoch).
The random numbers differ (lwnet draws from its own counter-based generator): the initial weights
and the batch order are from the same distributions, not the same draws.

Thread count (--device cpu): lwnet's CPU backend uses omp_get_max_threads() threads, so each lwnet
run gets OMP_NUM_THREADS=T; PyTorch runs in a child process with OMP_NUM_THREADS=T and
torch.set_num_threads(T) (its GEMMs go to Debian's OpenMP OpenBLAS, its convolutions to oneDNN;
lwnet's GEMM tiles are Eigen's kernels, built for this CPU). No two runs overlap; for each
architecture they go in the --frameworks order, rotated by one at each of --repeats, so that the
machine's load falls on all alike. The load average is recorded before and after every run.

--device cuda: lwnet runs with --device cuda, PyTorch with the model and the data on the GPU
(cuDNN with its defaults), and each epoch's clock is read after torch.cuda.synchronize(); the
thread options change nothing there that is measured.
"""

import argparse
import datetime
import gzip
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT / "bench"))
import machine  # noqa: E402  (bench/machine.py)
sys.path.insert(0, str(Path(__file__).resolve().parent))
import net_tables  # noqa: E402

PROG = "compare_torch.py"
DEFAULT_DATA_DIR = "/usr/share/datasets/fashion-mnist"
DEFAULT_LWNET = "build/release/bin/lwnet"
DEFAULT_OUT = {"cpu": "bench/results/net-cpu.json", "cuda": "bench/results/net-gpu.json"}
DEFAULT_FRAMEWORKS = {"cpu": ["lwnet", "torch", "torch_passive"], "cuda": ["lwnet", "torch"]}
DEFAULT_ARCHS = ("dense:256x2", "conv:64:1,2,2")
# The runs (--frameworks): (program, label, environment changes; None removes the variable).
# PyTorch with libgomp's default wait policy (its threads spin at every barrier, which on a busy
# machine costs a descheduled thread's whole time slice) and with OMP_WAIT_POLICY=passive (waiting
# threads sleep), the setting a user would pick on such a machine; and passive with OpenBLAS left
# to pick its kernels for the processor (some machines of this kind set OPENBLAS_CORETYPE=Haswell,
# which keeps PyTorch's GEMMs on AVX2 kernels on AVX-512 machines: ../shared/TOOLCHAIN.md; lwnet's
# GEMMs are Eigen's, compiled for the machine, which that variable does not reach).
FRAMEWORKS = {
    "lwnet": ("lwnet", "lwnet", {}),
    "torch": ("torch", "PyTorch", {}),
    "torch_passive": ("torch", "PyTorch, OMP_WAIT_POLICY=passive", {"OMP_WAIT_POLICY": "passive"}),
    "torch_passive_blas_auto": ("torch", "PyTorch, OMP_WAIT_POLICY=passive, OpenBLAS kernels for this CPU",
                                {"OMP_WAIT_POLICY": "passive", "OPENBLAS_CORETYPE": None, "OPENBLAS_L2_SIZE": None}),
}
FILES = {"train": "train-images-idx3-ubyte.gz", "train_labels": "train-labels-idx1-ubyte.gz",
         "test": "t10k-images-idx3-ubyte.gz", "test_labels": "t10k-labels-idx1-ubyte.gz"}


# lwnet::net::default_learning_rate (include/lwnet/net.hpp): (optimizer, init) -> the step size
# lwnet takes when --lr is not given. Mirrored here so that PyTorch gets the same one.
LWNET_DEFAULT_LR = {("sgd", "ntk"): 1.0, ("sgd", "standard"): 0.05, ("adam", "ntk"): 0.01, ("adam", "standard"): 0.001}


def say(msg):
    print(f"{PROG}: {msg}", file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------------------------
# Architecture strings (lwnet's syntax)
# ----------------------------------------------------------------------------------------------

def parse_arch(text):
    """'dense:256x2[:bn]' or 'conv:64:1,2,2[:bn]' -> dict; ValueError otherwise."""
    parts = text.split(":")
    bn = parts[-1] == "bn"
    if bn:
        parts = parts[:-1]
    if parts[0] == "dense" and len(parts) == 2 and "x" in parts[1]:
        width, depth = parts[1].split("x")
        return {"kind": "dense", "width": int(width), "depth": int(depth), "bn": bn}
    if parts[0] == "conv" and len(parts) == 3:
        return {"kind": "conv", "width": int(parts[1]), "strides": [int(s) for s in parts[2].split(",")], "bn": bn}
    raise ValueError(f"architecture {text!r}: expected dense:WIDTHxDEPTH or conv:WIDTH:S1,S2,... [:bn]")


def arch_with_epochs(text):
    """'conv:64:1,2,2=5' -> ('conv:64:1,2,2', 5); without '=N' the epochs are None (--epochs)."""
    arch, _, epochs = text.partition("=")
    try:
        parse_arch(arch)
        return arch, (int(epochs) if epochs else None)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e))


# ----------------------------------------------------------------------------------------------
# Data
# ----------------------------------------------------------------------------------------------

def read_idx(path):
    """(dims, raw bytes of the unsigned-byte payload) of a (gzipped) IDX file."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    if data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return dims, data[4 + 4 * ndim:]


def write_idx(path, dims, payload):
    with open(path, "wb") as f:
        f.write(bytes([0, 0, 0x08, len(dims)]))
        for d in dims:
            f.write(int(d).to_bytes(4, "big"))
        f.write(payload)


def data_files(data_dir, train_limit, workdir):
    """The four files both frameworks read: the originals, or the first train_limit training
    images and labels written uncompressed to workdir."""
    files = {k: str(Path(data_dir) / v) for k, v in FILES.items()}
    if train_limit:
        dims, pixels = read_idx(files["train"])
        ldims, labels = read_idx(files["train_labels"])
        if train_limit > dims[0]:
            raise SystemExit(f"{PROG}: --train-limit {train_limit} exceeds the {dims[0]} training images")
        per_image = dims[1] * dims[2]
        files["train"] = str(Path(workdir) / f"train-{train_limit}-images-idx3-ubyte")
        files["train_labels"] = str(Path(workdir) / f"train-{train_limit}-labels-idx1-ubyte")
        write_idx(files["train"], [train_limit] + dims[1:], pixels[:train_limit * per_image])
        write_idx(files["train_labels"], [train_limit], labels[:train_limit])
    return files


# ----------------------------------------------------------------------------------------------
# The PyTorch side (runs in a child process so that OMP_NUM_THREADS is set before torch loads)
# ----------------------------------------------------------------------------------------------

def torch_worker(cfg):
    import math
    import numpy as np
    import torch
    import torch.nn.functional as F

    threads = cfg["threads"]
    torch.set_num_threads(threads)
    torch.manual_seed(cfg["seed"])
    gen = torch.Generator().manual_seed(cfg["seed"])  # on the CPU: weights and orders are drawn there
    cuda = cfg["device"] == "cuda"
    if cuda and not torch.cuda.is_available():
        raise SystemExit(f"{PROG}: --device cuda, but this PyTorch ({torch.__version__}) sees no CUDA device")
    device = torch.device(cfg["device"])

    def sync():
        """Waits for the GPU's queued work, so that the clock read next counts it."""
        if cuda:
            torch.cuda.synchronize()

    print(json.dumps({"info": {"torch": torch.__version__,
                               "device_name": torch.cuda.get_device_name(0) if cuda else None}}), flush=True)

    def load(images, labels):
        dims, pixels = read_idx(images)
        _, y = read_idx(labels)
        X = np.frombuffer(pixels, dtype=np.uint8).reshape(dims[0], -1).astype(np.float32)
        return X, np.frombuffer(y, dtype=np.uint8).astype(np.int64), dims[1:]

    X, y, image_dims = load(cfg["files"]["train"], cfg["files"]["train_labels"])
    X_test, y_test, _ = load(cfg["files"]["test"], cfg["files"]["test_labels"])
    # lwnet's Standardizer: float64 mean and population std per column; z = (x - mean) / std in
    # float32, 0 where std == 0.
    mean = X.astype(np.float64).mean(axis=0)
    std = X.astype(np.float64).std(axis=0)
    safe = np.where(std > 0, std, 1.0)

    def standardise(A):
        Z = ((A.astype(np.float64) - mean) / safe).astype(np.float32)
        Z[:, std == 0] = 0.0
        return Z

    X, X_test = standardise(X), standardise(X_test)
    arch = parse_arch(cfg["arch"])
    ntk = cfg["init"] == "ntk"
    eps = cfg["bn_epsilon"]

    def draw_weight(shape, fan_in):
        w = torch.randn(*shape, generator=gen)
        return w if ntk else w / math.sqrt(fan_in)

    class Dense(torch.nn.Module):
        """Y = X W * scale + b with W fan_in x fan_out (lwnet's layout), one addmm."""

        def __init__(self, fan_in, fan_out):
            super().__init__()
            self.weight = torch.nn.Parameter(draw_weight((fan_in, fan_out), fan_in))
            self.bias = torch.nn.Parameter(torch.zeros(fan_out))
            self.scale = 1.0 / math.sqrt(fan_in) if ntk else 1.0

        def forward(self, x):
            return torch.addmm(self.bias, x, self.weight, alpha=self.scale)

    class SameConv3x3(torch.nn.Module):
        """3x3 convolution with TensorFlow's SAME padding, on NCHW tensors."""

        def __init__(self, height, width, cin, cout, stride):
            super().__init__()
            fan_in = 9 * cin
            self.weight = torch.nn.Parameter(draw_weight((cout, cin, 3, 3), fan_in))
            self.bias = torch.nn.Parameter(torch.zeros(cout))
            self.scale = 1.0 / math.sqrt(fan_in) if ntk else 1.0
            self.stride = stride
            self.out_h, self.out_w = -(-height // stride), -(-width // stride)
            pad_h = max((self.out_h - 1) * stride + 3 - height, 0)
            pad_w = max((self.out_w - 1) * stride + 3 - width, 0)
            top, left = pad_h // 2, pad_w // 2
            self.pad = (left, pad_w - left, top, pad_h - top)  # F.pad order: left, right, top, bottom
            # Symmetric padding is conv2d's own argument (the same numbers, no copy of the input).
            self.symmetric = left == pad_w - left and top == pad_h - top

        def forward(self, x):
            w = self.weight * self.scale if self.scale != 1.0 else self.weight
            if self.symmetric:
                return F.conv2d(x, w, self.bias, self.stride, padding=(self.pad[2], self.pad[0]))
            return F.conv2d(F.pad(x, self.pad), w, self.bias, self.stride)

    def batch_norm(x):
        """Per feature position over the batch (every column of the N x features matrix)."""
        return F.batch_norm(x.reshape(x.shape[0], -1), None, None, training=True, eps=eps).reshape(x.shape)

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.hidden = torch.nn.ModuleList()
            if arch["kind"] == "dense":
                features = X.shape[1]
                for _ in range(arch["depth"]):
                    self.hidden.append(Dense(features, arch["width"]))
                    features = arch["width"]
            else:
                h, w = image_dims[0], image_dims[1]
                c = image_dims[2] if len(image_dims) > 2 else 1
                self.image = (h, w, c)
                for s in arch["strides"]:
                    conv = SameConv3x3(h, w, c, arch["width"], s)
                    self.hidden.append(conv)
                    h, w, c = conv.out_h, conv.out_w, arch["width"]
                features = arch["width"]
            self.readout = Dense(features, 10)

        def forward(self, x):
            if arch["kind"] == "conv":
                h, w, c = self.image
                x = x.view(x.shape[0], h, w, c).permute(0, 3, 1, 2)  # HWC rows -> NCHW (a view for c = 1)
                if c > 1:
                    x = x.contiguous()
            for layer in self.hidden:
                x = layer(x)
                if arch["bn"]:
                    x = batch_norm(x)
                x = F.relu(x)
            if arch["kind"] == "conv":
                x = x.mean(dim=(2, 3))
            return self.readout(x)

    model = Net().to(device)
    if cfg["optimizer"] == "sgd":
        opt = torch.optim.SGD(model.parameters(), lr=cfg["lr"], momentum=cfg["momentum"],
                              weight_decay=cfg["weight_decay"])
    else:
        opt = torch.optim.Adam(model.parameters(), lr=cfg["lr"], weight_decay=cfg["weight_decay"])

    Xt, yt = torch.from_numpy(X).to(device), torch.from_numpy(y).to(device)
    Xs, ys = torch.from_numpy(X_test).to(device), torch.from_numpy(y_test).to(device)
    n, bs = Xt.shape[0], cfg["batch_size"]
    batches = -(-n // bs)
    for epoch in range(1, cfg["epochs"] + 1):
        model.train()
        sync()
        start = time.perf_counter()
        order = torch.randperm(n, generator=gen).to(device)
        X_epoch, y_epoch = Xt.index_select(0, order), yt.index_select(0, order)
        loss_sum = torch.zeros((), dtype=torch.float64, device=device)
        correct = torch.zeros((), dtype=torch.int64, device=device)
        for b in range(0, n, bs):
            xb, yb = X_epoch[b:b + bs], y_epoch[b:b + bs]
            out = model(xb)
            loss = F.cross_entropy(out, yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            with torch.no_grad():
                loss_sum += loss.detach()
                correct += (out.argmax(dim=1) == yb).sum()
        sync()
        loss_mean = loss_sum.item() / batches
        train_acc = correct.item() / n
        seconds = time.perf_counter() - start
        model.eval()
        with torch.no_grad():
            hits = sum(int((model(Xs[b:b + bs]).argmax(dim=1) == ys[b:b + bs]).sum())
                       for b in range(0, Xs.shape[0], bs))
        print(json.dumps({"epoch": epoch, "loss": loss_mean, "train_accuracy": train_acc,
                          "test_accuracy": hits / Xs.shape[0], "seconds": seconds,
                          "samples_per_second": n / seconds}), flush=True)


# ----------------------------------------------------------------------------------------------
# Running both
# ----------------------------------------------------------------------------------------------

def load_average():
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except OSError:
        return None


def framework_env(threads, changes):
    """(the environment, its changes as a shell prefix)."""
    env = dict(os.environ)
    prefix = []
    for key, value in changes.items():
        if value is None:
            env.pop(key, None)
            prefix.append(f"-u {key}")
        else:
            env[key] = value
            prefix.append(f"{key}={value}")
    env["OMP_NUM_THREADS"] = str(threads)
    prefix.append(f"OMP_NUM_THREADS={threads}")
    if any(p.startswith("-u ") for p in prefix):
        prefix.insert(0, "env")
    return env, " ".join(prefix) + " "


def lwnet_command(args, arch, epochs, files):
    cmd = [args.lwnet, "train", "--method", "backprop", "--device", args.device, "--arch", arch,
           "--data", files["train"], "--labels", files["train_labels"],
           "--test", files["test"], "--test-labels", files["test_labels"],
           "--epochs", str(epochs), "--batch-size", str(args.batch_size), "--optimizer", args.optimizer,
           "--lr", repr(args.lr)]
    if args.optimizer == "sgd":  # lwnet refuses --momentum with another optimiser
        cmd += ["--momentum", repr(args.momentum)]
    return cmd + ["--init", args.init, "--seed", str(args.seed), "--json"]


def epoch_records(result):
    """The per-epoch list in lwnet's --json output (the key is looked up, not assumed)."""
    for key in ("epochs", "history"):
        v = result.get(key)
        if isinstance(v, list):
            return v
    raise ValueError(f"no per-epoch list (epochs/history) in lwnet's JSON; keys: {sorted(result)}")


def keep(record):
    keys = ("epoch", "loss", "train_accuracy", "test_accuracy", "seconds", "samples_per_second")
    return {k: record.get(k) for k in keys if k in record}


def run_lwnet(args, arch, epochs, files, changes):
    cmd = lwnet_command(args, arch, epochs, files)
    env, prefix = framework_env(args.threads, changes)
    shown = prefix + shlex.join(cmd)
    say(f"lwnet {arch}: {shown}")
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"{PROG}: lwnet exited {proc.returncode}: {proc.stderr.strip()[-2000:]}")
    result = json.loads(proc.stdout)
    if result.get("learning_rate") is not None and abs(result["learning_rate"] - args.lr) > 1e-12 * args.lr:
        raise SystemExit(f"{PROG}: lwnet trained with learning rate {result['learning_rate']}, not the {args.lr} "
                         "given to both")
    return {"command": shown, "epochs": [keep(r) for r in epoch_records(result)],
            "device": result.get("device"), "fit_seconds": result.get("fit_seconds")}


def run_torch(args, arch, epochs, files, changes):
    cfg = {"arch": arch, "epochs": epochs, "threads": args.threads, "seed": args.seed, "init": args.init,
           "batch_size": args.batch_size, "lr": args.lr, "momentum": args.momentum, "weight_decay": 0.0,
           "optimizer": args.optimizer, "bn_epsilon": 1e-6, "device": args.device, "files": files}
    cmd = [sys.executable, str(Path(__file__).resolve()), "--torch-worker", json.dumps(cfg)]
    env, prefix = framework_env(args.threads, changes)
    shown = prefix + shlex.join([cmd[0], "bench/net/compare_torch.py"] + cmd[2:])
    say(f"torch {arch}: {epochs} epoch(s), {prefix}")
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, text=True)
    records, info = [], {}
    for line in proc.stdout:
        r = json.loads(line)
        if "info" in r:  # the worker's first line: its PyTorch version and device
            info = r["info"]
            continue
        records.append(r)
        say(f"  torch epoch {r['epoch']}: {r['seconds']:.3f} s, test accuracy {r['test_accuracy']:.4f}")
    if proc.wait() != 0:
        raise SystemExit(f"{PROG}: the PyTorch worker exited {proc.returncode}")
    return {"command": shown, "epochs": records, "info": info}


def median_seconds(runs, skip_first):
    """Median epoch seconds over all runs, leaving out each run's first epoch when it has more
    (one-time set-up: allocation, oneDNN primitive creation)."""
    times = []
    for run in runs:
        eps = run["epochs"][1:] if skip_first and len(run["epochs"]) > 1 else run["epochs"]
        times += [e["seconds"] for e in eps]
    return statistics.median(times) if times else None


def lwnet_version(path):
    out = subprocess.run([path, "--version"], capture_output=True, text=True)
    return out.stdout.strip() or out.stderr.strip()


def parse_args(argv):
    p = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--arch", action="append", type=arch_with_epochs, metavar="ARCH[=EPOCHS]",
                   help=f"repeatable (default: {' '.join(DEFAULT_ARCHS)}); '=N' sets that architecture's epochs")
    p.add_argument("--device", choices=("cpu", "cuda"), default="cpu",
                   help="where both train (default cpu; cuda: lwnet --device cuda, PyTorch on the GPU)")
    p.add_argument("--epochs", type=int, default=10, help="epochs per run where the arch gives none (default 10)")
    p.add_argument("--threads", type=int, default=2,
                   help="threads for both frameworks (default 2; OMP_NUM_THREADS, host-side only with cuda)")
    p.add_argument("--train-limit", type=int, default=0, metavar="N", help="use the first N training images")
    p.add_argument("--repeats", type=int, default=1,
                   help="runs per framework and architecture, alternating lwnet/torch (default 1)")
    p.add_argument("--frameworks", nargs="+", choices=tuple(FRAMEWORKS),
                   help="the runs per architecture, in this order (default: "
                        + "; ".join(f"{' '.join(v)} with --device {k}" for k, v in DEFAULT_FRAMEWORKS.items()) + "): "
                        + "; ".join(f"{k}: {v[1]}" for k, v in FRAMEWORKS.items()))
    p.add_argument("--batch-size", type=int, default=100)
    p.add_argument("--optimizer", choices=("sgd", "adam"), default="sgd")
    p.add_argument("--lr", type=float,
                   help="learning rate of both (default: lwnet's for the optimiser and --init: "
                        + ", ".join(f"{o} {i} {lr:g}" for (o, i), lr in LWNET_DEFAULT_LR.items()) + ")")
    p.add_argument("--momentum", type=float, default=0.9, help="SGD's (default 0.9)")
    p.add_argument("--init", choices=("ntk", "standard"), default="ntk")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--lwnet", default=str(REPO_ROOT / DEFAULT_LWNET), help=f"the CLI (default {DEFAULT_LWNET})")
    p.add_argument("--data-dir", default=os.environ.get("FASHION_MNIST_DIR", DEFAULT_DATA_DIR))
    p.add_argument("--out", help="JSON written (default: " + ", ".join(f"{v} with --device {k}"
                                                                     for k, v in DEFAULT_OUT.items()) + ")")
    p.add_argument("--results-md", metavar="FILE",
                   help="also write the accuracy section into this report (docs/RESULTS.md), between its markers")
    p.add_argument("--from-json", metavar="FILE", action="append",
                   help="run nothing: print the tables of this JSON (and write --results-md from it); "
                        "repeatable, the first is the main run, the others follow as subsections")
    args = p.parse_args(argv)
    if args.lr is None:
        args.lr = LWNET_DEFAULT_LR[(args.optimizer, args.init)]
    elif not args.lr > 0:
        p.error(f"--lr {args.lr}: must be positive")
    args.out = args.out or str(REPO_ROOT / DEFAULT_OUT[args.device])
    args.frameworks = args.frameworks or DEFAULT_FRAMEWORKS[args.device]
    return args


def main(argv):
    if len(argv) == 2 and argv[0] == "--torch-worker":
        torch_worker(json.loads(argv[1]))
        return
    args = parse_args(argv)
    if args.from_json:
        render([(json.loads(Path(p).read_text()), p) for p in args.from_json], args.results_md)
        return
    frameworks = list(dict.fromkeys(args.frameworks))
    if "lwnet" not in frameworks:
        raise SystemExit(f"{PROG}: --frameworks must include lwnet (the ratios are lwnet's)")
    archs = args.arch or [(a, None) for a in DEFAULT_ARCHS]
    if not Path(args.lwnet).exists():
        raise SystemExit(f"{PROG}: no lwnet at {args.lwnet} (build it, or pass --lwnet)")
    if not (Path(args.data_dir) / FILES["train"]).exists():
        raise SystemExit(f"{PROG}: no Fashion-MNIST in {args.data_dir}: apt-get install dataset-fashion-mnist")
    doc = {"benchmark": f"trained networks (backprop) on {'CUDA' if args.device == 'cuda' else 'the CPU'}: "
                        "lwnet against PyTorch",
           "device": args.device,
           "date": datetime.datetime.now().isoformat(timespec="seconds"),
           "command": shlex.join([Path(sys.executable).as_posix(), "bench/net/compare_torch.py"] + argv),
           "machine": {"cpu": machine.cpu_model(), "cores": machine.logical_cores(), "os": machine.os_description(),
                       "host": platform.node(), "load_average_at_start": load_average()},
           "versions": {"lwnet": lwnet_version(args.lwnet), "torch": "not run", "python": platform.python_version()},
           "threads": args.threads,
           "frameworks": {who: FRAMEWORKS[who][1] for who in frameworks},
           "settings": {"batch_size": args.batch_size, "optimizer": args.optimizer, "lr": args.lr,
                        "lr_is_lwnet_default": args.lr == LWNET_DEFAULT_LR[(args.optimizer, args.init)],
                        "momentum": args.momentum if args.optimizer == "sgd" else None,
                        "init": args.init, "seed": args.seed, "loss": "cross-entropy", "standardize": "train"},
           "seconds_note": "training time of each epoch alone (no evaluation); the median leaves out each run's "
                           "first epoch when the run has more than one",
           "archs": []}
    with tempfile.TemporaryDirectory(prefix="lwnet-net-bench-") as workdir:
        files = data_files(args.data_dir, args.train_limit, workdir)
        doc["n_train"] = read_idx(files["train_labels"])[0][0]
        doc["n_test"] = read_idx(files["test_labels"])[0][0]
        for arch, arch_epochs in archs:
            epochs = arch_epochs or args.epochs
            runs = {who: [] for who in frameworks}
            for r in range(args.repeats):
                # Rotate the order each repeat so that no framework always runs first.
                for who in frameworks[r % len(frameworks):] + frameworks[:r % len(frameworks)]:
                    before = load_average()
                    program, _, changes = FRAMEWORKS[who]
                    run = (run_lwnet if program == "lwnet" else run_torch)(args, arch, epochs, files, changes)
                    run["load_average_before"], run["load_average_after"] = before, load_average()
                    info = run.pop("info", None)
                    if info:
                        doc["versions"]["torch"] = info.get("torch") or doc["versions"]["torch"]
                        if info.get("device_name"):
                            doc["machine"]["gpu"] = info["device_name"]
                    runs[who].append(run)
                    secs = ", ".join(f"{e['seconds']:.3f}" for e in run["epochs"])
                    say(f"{who} {arch}: epoch seconds {secs}; load {before} -> {run['load_average_after']}")
            entry = {"arch": arch, "epochs": epochs}
            for who in frameworks:
                entry[who] = {"median_epoch_seconds": median_seconds(runs[who], skip_first=True), "runs": runs[who]}
            entry["ratios"] = {f"{a}/{b}": entry[a]["median_epoch_seconds"] / entry[b]["median_epoch_seconds"]
                               for a in frameworks if FRAMEWORKS[a][0] == "lwnet"
                               for b in frameworks if FRAMEWORKS[b][0] == "torch"}
            doc["archs"].append(entry)
            # Written after every architecture, so an interrupted run keeps what it measured.
            doc["machine"]["load_average_at_end"] = load_average()
            out = Path(args.out)
            out.parent.mkdir(parents=True, exist_ok=True)
            tmp = out.with_suffix(out.suffix + ".tmp")
            tmp.write_text(json.dumps(doc, indent=1) + "\n")
            tmp.replace(out)
    say(f"wrote {args.out}")
    render([(doc, args.out)], args.results_md)


def render(docs, results_md):
    """Prints the tables of [(doc, JSON path)]; writes the docs/RESULTS.md section of them all."""
    for doc, _ in docs:
        print(net_tables.speed_table(doc))
        print()
        print(net_tables.accuracy_table(doc))
    if results_md:
        def shown(path):
            p = Path(path).resolve()
            return (p.relative_to(REPO_ROOT) if REPO_ROOT in p.parents else p).as_posix()
        net_tables.write_results_md(results_md, net_tables.results_section([(d, shown(p)) for d, p in docs]))
        say(f"wrote its section of {results_md}")


if __name__ == "__main__":
    main(sys.argv[1:])
