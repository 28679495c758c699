#!/usr/bin/env python3
"""The HSIC bottleneck of spec section 4 written directly in PyTorch (CPU), as its authors' code
computes it (float32, R from torch.linalg.inv, gradients by autograd through the inverse): the
baseline bench/local's lwnet runs are timed against, and a second implementation of the same
algorithm to compare accuracies with. Written for lwnet from the spec; not the authors' code.

Network: Linear -> BatchNorm1d(affine=False, eps 1e-5) -> ReLU blocks (784 -> W, then W -> W),
a Linear readout; PyTorch's default initialisation. Per batch, every block in turn: a fresh
forward pass, loss nHSIC(Z_i, X) - beta nHSIC(Z_i, Y), one SGD step on that block's Linear
(lr, weight decay, no momentum). Then the format readout: cross-entropy on the frozen network
(its batch norm in training mode, as lwnet's batch statistics), SGD. Rows in a fresh seeded order
every epoch, as lwnet. Prints one JSON object (per-epoch seconds and test accuracy).

Usage: python3 bench/local/hsic_torch.py --data-dir /usr/share/datasets/fashion-mnist [--epochs 1]
       [--readout-epochs 2] [--threads 2]"""
import argparse
import gzip
import json
import os
import time

import numpy as np
import torch


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def standardise(train, test):
    mean, std = train.mean(0), train.std(0)
    std[std == 0] = 1.0
    return (train - mean) / std, (test - mean) / std


def residual(v, sigma, eps):
    """R = K H (K H + eps m I)^{-1} for the Gaussian kernel of v's rows (dimension-scaled)."""
    m, d = v.shape
    k = torch.exp(-torch.cdist(v, v).pow(2) / (2.0 * sigma * sigma * d))
    kh = k - k.mean(dim=1, keepdim=True)
    return kh @ torch.linalg.inv(kh + eps * m * torch.eye(m))


def nhsic(r_a, r_b):
    return (r_a * r_b.t()).sum()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data-dir", required=True)
    p.add_argument("--width", type=int, default=128)
    p.add_argument("--blocks", type=int, default=7)
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--batch-size", type=int, default=512)
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--weight-decay", type=float, default=1e-3)
    p.add_argument("--sigma", type=float, default=5.0)
    p.add_argument("--beta", type=float, default=50.0)
    p.add_argument("--eps", type=float, default=1e-5)
    p.add_argument("--readout-epochs", type=int, default=2)
    p.add_argument("--readout-lr", type=float, default=0.005)
    p.add_argument("--readout-batch-size", type=int, default=256)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--train-rows", type=int, default=60000, help="the first N training images (a quick check)")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    d = a.data_dir
    x_train = read_idx(os.path.join(d, "train-images-idx3-ubyte.gz")).reshape(60000, -1).astype(np.float32)
    y_train = read_idx(os.path.join(d, "train-labels-idx1-ubyte.gz")).astype(np.int64)
    x_test = read_idx(os.path.join(d, "t10k-images-idx3-ubyte.gz")).reshape(10000, -1).astype(np.float32)
    y_test = read_idx(os.path.join(d, "t10k-labels-idx1-ubyte.gz")).astype(np.int64)
    x_train, y_train = x_train[:a.train_rows], y_train[:a.train_rows]
    x_train, x_test = standardise(x_train, x_test)  # lwnet's --standardize train
    x_train, x_test = torch.from_numpy(x_train), torch.from_numpy(x_test)
    y_train, y_test = torch.from_numpy(y_train), torch.from_numpy(y_test)
    one_hot = torch.nn.functional.one_hot(y_train, 10).float()

    widths = [x_train.shape[1]] + [a.width] * a.blocks
    blocks = [torch.nn.Sequential(torch.nn.Linear(widths[i], widths[i + 1]),
                                  torch.nn.BatchNorm1d(widths[i + 1], eps=1e-5, affine=False), torch.nn.ReLU())
              for i in range(a.blocks)]
    readout = torch.nn.Linear(a.width, 10)
    rng = np.random.default_rng(a.seed)
    epochs = []

    def forward(x, upto):
        for b in blocks[:upto]:
            x = b(x)
        return x

    def test_accuracy():
        with torch.no_grad():
            correct = 0
            for s in range(0, len(x_test), a.batch_size):
                correct += (readout(forward(x_test[s:s + a.batch_size], a.blocks)).argmax(1)
                            == y_test[s:s + a.batch_size]).sum().item()
        return correct / len(x_test)

    optimisers = [torch.optim.SGD(b.parameters(), lr=a.lr, weight_decay=a.weight_decay) for b in blocks]
    for epoch in range(a.epochs):
        start = time.perf_counter()
        order = torch.from_numpy(rng.permutation(len(x_train)))
        losses = np.zeros(a.blocks)
        batches = 0
        for s in range(0, len(order), a.batch_size):
            idx = order[s:s + a.batch_size]
            xb, yb = x_train[idx], one_hot[idx]
            with torch.no_grad():
                r_x, r_y = residual(xb, a.sigma, a.eps), residual(yb, a.sigma, a.eps)
            for i in range(a.blocks):
                with torch.no_grad():
                    below = forward(xb, i)
                z = blocks[i](below)
                r_z = residual(z, a.sigma, a.eps)
                loss = nhsic(r_z, r_x) - a.beta * nhsic(r_z, r_y)
                optimisers[i].zero_grad()
                loss.backward()
                optimisers[i].step()
                losses[i] += loss.item()
            batches += 1
        epochs.append({"epoch": epoch + 1, "stage": "hidden layers", "seconds": time.perf_counter() - start,
                       "layer_losses": list(losses / batches), "test_accuracy": None})
        print(json.dumps(epochs[-1]), flush=True)
    readout_optimiser = torch.optim.SGD(readout.parameters(), lr=a.readout_lr, weight_decay=a.weight_decay)
    for epoch in range(a.readout_epochs):
        start = time.perf_counter()
        order = torch.from_numpy(rng.permutation(len(x_train)))
        for s in range(0, len(order), a.readout_batch_size):
            idx = order[s:s + a.readout_batch_size]
            with torch.no_grad():
                features = forward(x_train[idx], a.blocks)
            loss = torch.nn.functional.cross_entropy(readout(features), y_train[idx])
            readout_optimiser.zero_grad()
            loss.backward()
            readout_optimiser.step()
        seconds = time.perf_counter() - start
        epochs.append({"epoch": a.epochs + epoch + 1, "stage": "readout", "seconds": seconds,
                       "test_accuracy": test_accuracy()})
        print(json.dumps(epochs[-1]), flush=True)
    print(json.dumps({"framework": "torch " + torch.__version__, "threads": a.threads, "args": vars(a),
                      "epochs": epochs}))


if __name__ == "__main__":
    main()
