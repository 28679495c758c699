#!/usr/bin/env python3
"""Reads lwnet model files with Python to prove their layout (safetensors + lwnet's metadata).

Two ways to run it:

  read_model.py --lwnet EXE --data DATA_NIK_DIR --work DIR
      the ctest driver: trains a few models with `lwnet train --json --out`, checks each file
      against the JSON the command printed, then damages a model many ways and checks that
      `lwnet predict` refuses each damaged file cleanly (exit 2, one line naming it, no output).
  read_model.py --model MODEL --json TRAIN_JSON
      checks one model against the JSON `lwnet train --json` printed for it.

Standard library only; when the `safetensors` package is importable its reader parses the file too
and must agree. Exits 0 when every check passed, 1 otherwise (with the reason).
"""

import argparse
import json
import math
import os
import random
import shutil
import struct
import subprocess
import sys

DTYPES = {"F32": ("f", 4), "F64": ("d", 8), "I32": ("i", 4), "I64": ("q", 8)}
FORMAT_VERSION = "1"


class CheckFailed(Exception):
    pass


def check(condition, message):
    if not condition:
        raise CheckFailed(message)


# ---- the safetensors layout, with the standard library -------------------------------------------


def _no_duplicates(pairs):
    keys = [k for k, _ in pairs]
    check(len(keys) == len(set(keys)), "duplicate keys in the header: %s" % keys)
    return dict(pairs)


def read_safetensors(path):
    """Returns (metadata dict, {name: (dtype, shape, values list, raw bytes)}, header length)."""
    with open(path, "rb") as f:
        raw = f.read()
    check(len(raw) >= 8, "%s: %d bytes, fewer than the 8-byte header length" % (path, len(raw)))
    (header_length,) = struct.unpack("<Q", raw[:8])
    check(0 < header_length <= len(raw) - 8, "%s: header length %d, file %d bytes" % (path, header_length, len(raw)))
    header_bytes = raw[8 : 8 + header_length]
    text = header_bytes.decode("utf-8")
    check(text.startswith("{"), "the header does not start with '{'")
    check(text.rstrip(" ") == text.strip(), "the header is padded with something other than spaces")
    check((8 + header_length) % 8 == 0, "the data do not start 8-byte aligned (header length %d)" % header_length)
    header = json.loads(text, object_pairs_hook=_no_duplicates)
    check(isinstance(header, dict), "the header is not a JSON object")

    metadata = header.pop("__metadata__", None)
    check(isinstance(metadata, dict), "__metadata__ is missing or not an object")
    for key, value in metadata.items():
        check(isinstance(key, str) and isinstance(value, str), "metadata %r: %r is not a string" % (key, value))

    data = raw[8 + header_length :]
    tensors = {}
    ranges = []
    for name, entry in header.items():
        check(isinstance(entry, dict) and set(entry) == {"dtype", "shape", "data_offsets"},
              "tensor %r: entry %r is not {dtype, shape, data_offsets}" % (name, entry))
        dtype, shape, offsets = entry["dtype"], entry["shape"], entry["data_offsets"]
        check(dtype in DTYPES, "tensor %r: dtype %r is not one of %s" % (name, dtype, sorted(DTYPES)))
        check(isinstance(shape, list) and all(isinstance(d, int) and d >= 0 for d in shape),
              "tensor %r: bad shape %r" % (name, shape))
        check(isinstance(offsets, list) and len(offsets) == 2 and all(isinstance(o, int) for o in offsets),
              "tensor %r: bad data_offsets %r" % (name, offsets))
        begin, end = offsets
        check(0 <= begin <= end <= len(data), "tensor %r: offsets %r outside the %d data bytes" % (name, offsets, len(data)))
        count = math.prod(shape)
        code, size = DTYPES[dtype]
        check(end - begin == count * size, "tensor %r: %d bytes for shape %r of %s" % (name, end - begin, shape, dtype))
        values = list(struct.unpack("<%d%s" % (count, code), data[begin:end]))
        tensors[name] = (dtype, shape, values, data[begin:end])
        ranges.append((begin, end, name))
    ranges.sort()
    position = 0
    for begin, end, name in ranges:
        check(begin == position, "tensor %r starts at %d, expected %d (gap or overlap)" % (name, begin, position))
        position = end
    check(position == len(data), "the tensors cover %d of the %d data bytes" % (position, len(data)))
    return metadata, tensors, header_length


def cross_check_with_safetensors_package(path, metadata, tensors):
    """Parses the file again with the `safetensors` package, when importable; returns what it did."""
    try:
        import safetensors
    except ImportError:
        return "the safetensors package is not importable: standard-library reader only"
    with open(path, "rb") as f:
        raw = f.read()
    parsed = dict(safetensors.deserialize(raw))  # needs no numpy / torch
    check(set(parsed) == set(tensors), "safetensors sees tensors %s, the reader %s" % (sorted(parsed), sorted(tensors)))
    for name, entry in parsed.items():
        dtype, shape, _, data = tensors[name]
        check(entry["dtype"] == dtype and list(entry["shape"]) == shape and bytes(entry["data"]) == data,
              "safetensors disagrees about tensor %r" % name)
    what = "safetensors %s agrees on every tensor" % safetensors.__version__
    try:
        from safetensors import safe_open

        with safe_open(path, framework="numpy") as f:
            check(f.metadata() == metadata, "safetensors reads other metadata")
        what += " and the metadata"
    except ImportError:
        pass
    return what


# ---- lwnet's model on top of it ------------------------------------------------------------------


def close(a, b, rel=1e-12):
    return abs(a - b) <= rel * max(abs(a), abs(b))


def check_model(path, train_json, expected_options=None, labels=None, features=None, version=None):
    """Checks the model file at `path` against the `lwnet train --json` object `train_json`.

    expected_options: hyperparameters the command line asked for (name -> value);
    labels: the training labels as text, in row order (to check the re-indexing);
    features: the training features (rows of floats), to check the stored preprocessing;
    version: what `lwnet --version` printed."""
    metadata, tensors, _ = read_safetensors(path)
    j = train_json
    check(metadata.get("format") == "lwnet.kme", "metadata format is %r" % metadata.get("format"))
    check(metadata.get("format_version") == FORMAT_VERSION, "metadata format_version is %r" % metadata.get("format_version"))
    check(metadata.get("lwnet_version"), "no lwnet_version in the metadata")
    if version is not None:
        check(metadata["lwnet_version"] == version, "lwnet_version %r, lwnet --version %r" % (metadata["lwnet_version"], version))
    classes = json.loads(metadata["classes"])
    check(isinstance(classes, list) and all(isinstance(c, str) for c in classes), "classes %r" % classes)
    check(classes == j["classes"], "classes %r, train printed %r" % (classes, j["classes"]))
    c = len(classes)
    check(c >= 2, "fewer than two classes")
    d = int(metadata["input_dim"])
    check(d == j["d"], "input_dim %d, train printed d = %d" % (d, j["d"]))
    L = int(metadata["layers"])
    check(L == j["layers"], "metadata layers %d, train printed %d" % (L, j["layers"]))
    check(abs(float(metadata["fit_seconds"]) - j["fit_seconds"]) <= 1e-5 + 1e-6 * j["fit_seconds"],
          "fit_seconds %s, train printed %r" % (metadata["fit_seconds"], j["fit_seconds"]))

    hyper = json.loads(metadata["hyperparameters"])
    check(isinstance(hyper, dict), "hyperparameters is not a JSON object")
    for key in ("max_layers", "sigma_smallest", "sigma_count", "hsic_threshold", "rho", "extra_columns", "predictor",
                "knn_k", "seed", "standardize", "noise"):
        check(key in hyper, "hyperparameters lack %r: %s" % (key, hyper))
    for key, value in (expected_options or {}).items():
        check(hyper[key] == value, "hyperparameter %s = %r, the command line asked for %r" % (key, hyper[key], value))

    # Exactly the tensors the layout names, with their dtypes.
    n = j["n_train"]
    extras = j["extra_columns"]
    check(len(extras) == L, "train printed %d extra_columns entries for %d layers" % (len(extras), L))
    expected = {"train.labels": "I32", "train.outputs": "F32", "layers.sigma": "F64", "layers.sigma_beta": "F64",
                "layers.hsic": "F64", "layers.seconds": "F64", "layers.candidates": "I32"}
    if hyper["standardize"] == "train":
        expected.update({"preprocess.mean": "F64", "preprocess.std": "F64"})
    for l in range(1, L + 1):
        expected.update({"layer.%d.input" % l: "F32", "layer.%d.rho" % l: "F64", "layer.%d.extra_classes" % l: "I32",
                         "layer.%d.extra_offsets" % l: "I64", "layer.%d.extra_rows" % l: "I64"})
    check(set(tensors) == set(expected), "tensors %s, expected %s" % (sorted(tensors), sorted(expected)))
    for name, dtype in expected.items():
        check(tensors[name][0] == dtype, "tensor %s is %s, expected %s" % (name, tensors[name][0], dtype))

    def values(name, shape):
        check(tensors[name][1] == shape, "tensor %s has shape %s, expected %s" % (name, tensors[name][1], shape))
        return tensors[name][2]

    y = values("train.labels", [n])
    check(all(0 <= v < c for v in y), "train.labels outside [0, %d)" % c)
    check(len(set(y)) == c, "train.labels do not use every class")
    if labels is not None:
        check(len(labels) == n, "%d labels for n = %d" % (len(labels), n))
        check([classes[v] for v in y] == [str(t) for t in labels], "train.labels do not map back to the labels")

    for key, json_key in (("layers.sigma", "sigmas"), ("layers.sigma_beta", "sigmas_beta"), ("layers.hsic", "layer_hsic")):
        stored = values(key, [L])
        check(len(j[json_key]) == L and all(close(a, b) for a, b in zip(stored, j[json_key])),
              "%s = %s, train printed %s = %s" % (key, stored, json_key, j[json_key]))
    check(all(s > 0 for s in values("layers.sigma", [L])), "a layer width is not positive")
    check(all(v >= 1 for v in values("layers.candidates", [L])), "a layer tried no width")
    check(all(v >= 0 for v in values("layers.seconds", [L])), "a layer took negative time")

    if hyper["standardize"] == "train":
        mean = values("preprocess.mean", [d])
        std = values("preprocess.std", [d])
        check(all(math.isfinite(m) for m in mean) and all(s >= 0 for s in std), "preprocessing statistics")
        if features is not None and hyper["noise"] == 0:
            # The training statistics (population std) of the training features as float32.
            cols = list(zip(*features))
            for k, col in enumerate(cols):
                col = [struct.unpack("<f", struct.pack("<f", v))[0] for v in col]
                mu = sum(col) / len(col)
                sd = math.sqrt(sum((v - mu) ** 2 for v in col) / len(col))
                check(abs(mean[k] - mu) <= 1e-6 * max(1.0, abs(mu)) and abs(std[k] - sd) <= 1e-6 * max(1.0, sd),
                      "preprocess column %d: mean %r std %r, the data have %r %r" % (k, mean[k], std[k], mu, sd))

    width = d
    for l in range(1, L + 1):
        inputs = values("layer.%d.input" % l, [n, width])
        check(all(math.isfinite(v) for v in inputs), "layer %d input holds non-finite values" % l)
        if l == 1 and features is not None and hyper["standardize"] == "train" and hyper["noise"] == 0:
            for i in (0, n // 2, n - 1):
                for k in range(d):
                    z = (struct.unpack("<f", struct.pack("<f", features[i][k]))[0] - mean[k]) / std[k]
                    check(abs(inputs[i * d + k] - z) <= 1e-5 * max(1.0, abs(z)),
                          "layer 1 input [%d, %d] = %r, the standardised feature is %r" % (i, k, inputs[i * d + k], z))
        rho = values("layer.%d.rho" % l, [c])
        check(all(r > 0 and math.isfinite(r) for r in rho), "layer %d rho %s" % (l, rho))
        e = extras[l - 1]
        check(l > 1 or e == 0, "layer 1 has extra columns")
        extra_classes = values("layer.%d.extra_classes" % l, [e])
        check(all(0 <= k < c for k in extra_classes) and extra_classes == sorted(set(extra_classes)),
              "layer %d extra_classes %s" % (l, extra_classes))
        offsets = values("layer.%d.extra_offsets" % l, [e + 1])
        rows = tensors["layer.%d.extra_rows" % l][2]
        check(len(tensors["layer.%d.extra_rows" % l][1]) == 1, "layer %d extra_rows is not a vector" % l)
        check(offsets[0] == 0 and offsets[-1] == len(rows) and offsets == sorted(offsets),
              "layer %d extra_offsets %s for %d rows" % (l, offsets, len(rows)))
        for k in range(e):
            members = rows[offsets[k] : offsets[k + 1]]
            check(members and all(0 <= i < n and y[i] == extra_classes[k] for i in members),
                  "layer %d extra set %d holds rows outside class %d" % (l, k, extra_classes[k]))
        width = c + e
    outputs = values("train.outputs", [n, width])
    check(all(math.isfinite(v) for v in outputs), "train.outputs holds non-finite values")

    if hyper["predictor"] == "knn" and L > 0:
        # The training accuracy train printed, recomputed from train.outputs: k nearest neighbours
        # (each point its own), ties by lower index, tied votes to the smaller class.
        k = hyper["knn_k"]
        rowsv = [outputs[i * width : (i + 1) * width] for i in range(n)]
        correct = 0
        for i in range(n):
            dist = sorted((sum((a - b) ** 2 for a, b in zip(rowsv[i], rowsv[t])), t) for t in range(n))
            votes = [0] * c
            for _, t in dist[:k]:
                votes[y[t]] += 1
            correct += votes.index(max(votes)) == y[i]
        check(abs(correct / n - j["train_accuracy"]) <= 1.5 / n,
              "knn on train.outputs scores %d/%d, train printed train_accuracy %r" % (correct, n, j["train_accuracy"]))
    return cross_check_with_safetensors_package(path, metadata, tensors)


# ---- the ctest driver ----------------------------------------------------------------------------


def run(cmd, expect=0):
    p = subprocess.run(cmd, capture_output=True, text=True)
    check(p.returncode == expect, "%s\nexit %d, expected %d\nstdout:\n%s\nstderr:\n%s"
          % (" ".join(cmd), p.returncode, expect, p.stdout, p.stderr))
    return p


def read_rows(path):
    with open(path) as f:
        return [line.strip() for line in f if line.strip()]


def train(lwnet, work, name, args, labels=None, features=None, expected_options=None, version=None):
    model = os.path.join(work, name + ".safetensors")
    p = run([lwnet, "train"] + args + ["--out", model, "--json", "--device", "cpu"])
    j = json.loads(p.stdout)
    with open(os.path.join(work, name + ".json"), "w") as f:
        f.write(p.stdout)
    check(j.get("model") == model, "train --json model = %r" % j.get("model"))
    what = check_model(model, j, expected_options, labels, features, version)
    print("ok  %-12s %d layers, classes %s; %s" % (name, j["layers"], j["classes"], what))
    return model, j


def damage(lwnet, work, model, data):
    """Truncated and byte-flipped copies of `model`: predict must exit 2 naming the file (or, for a
    flip that changes nothing that matters, 0) and never crash or leave output behind."""
    with open(model, "rb") as f:
        raw = f.read()
    (header_length,) = struct.unpack("<Q", raw[:8])
    rng = random.Random(20240607)
    variants = []
    for length in sorted(set([0, 1, 7, 8, 9, 8 + header_length // 2, 8 + header_length - 1, 8 + header_length,
                              8 + header_length + 1, len(raw) - 1] +
                             [rng.randrange(len(raw)) for _ in range(4)])):
        variants.append(("truncated to %d bytes" % length, raw[:length], True))
    printable = b"0123456789abcdefxyz{}[]\":, ."
    for _ in range(12):
        at = rng.randrange(8, 8 + header_length)
        flipped = bytearray(raw)
        flipped[at] = rng.choice([ch for ch in printable if ch != raw[at]])
        variants.append(("header byte %d set to %r" % (at, chr(flipped[at])), bytes(flipped), False))
    for _ in range(4):
        at = rng.randrange(8 + header_length, len(raw))
        flipped = bytearray(raw)
        flipped[at] ^= 0xFF
        variants.append(("data byte %d inverted" % at, bytes(flipped), False))
    variants.append(("header length + 8", struct.pack("<Q", header_length + 8) + raw[8:], True))
    variants.append(("header length 2^63", struct.pack("<Q", 1 << 63) + raw[8:], True))

    refused = 0
    for i, (what, content, must_fail) in enumerate(variants):
        path = os.path.join(work, "damaged_%02d.safetensors" % i)
        out_dir = os.path.join(work, "damaged_%02d_out" % i)
        os.makedirs(out_dir)
        out = os.path.join(out_dir, "preds.csv")
        with open(path, "wb") as f:
            f.write(content)
        p = subprocess.run([lwnet, "predict", "--model", path, "--data", data, "--out", out, "--device", "cpu"],
                           capture_output=True, text=True)
        context = "%s (%s): exit %d\nstdout:\n%s\nstderr:\n%s" % (path, what, p.returncode, p.stdout, p.stderr)
        check(p.returncode in ((2,) if must_fail else (0, 2)), "predict on a damaged model: " + context)
        if p.returncode == 2:
            refused += 1
            lines = p.stderr.splitlines()
            check(len(lines) == 1 and lines[0].startswith("lwnet: error: " + path + ": "),
                  "expected one error line naming the model: " + context)
            check(p.stdout == "" and os.listdir(out_dir) == [], "a refused model left output: " + context)
        else:
            check(os.listdir(out_dir) == ["preds.csv"], "predict exited 0 without its output: " + context)
    print("ok  damaged     %d damaged copies: %d refused with one line naming the file, %d harmless, no crash"
          % (len(variants), refused, len(variants) - refused))


def driver(lwnet, data_dir, work):
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    version = run([lwnet, "--version"]).stdout.strip()
    wine = os.path.join(data_dir, "wine", "wine_1")
    wine_x = [[float(v) for v in row.split(",")] for row in read_rows(wine + ".csv")]
    wine_y = read_rows(wine + "_label.csv")

    # 1. wine fold 1, standardised with the training statistics, non-default options (with these,
    #    two layers, the second with an extra column, when this was written).
    options = ["--max-layers", "7", "--sigma-smallest", "0.07", "--sigma-count", "15", "--hsic-threshold", "0.97",
               "--knn-k", "3", "--seed", "2", "--rho", "rff", "--extra-columns", "on", "--predict", "knn",
               "--standardize", "train"]
    expected = {"max_layers": 7, "sigma_smallest": 0.07, "sigma_count": 15, "hsic_threshold": 0.97, "knn_k": 3,
                "seed": 2, "rho": "rff", "extra_columns": True, "predictor": "knn", "standardize": "train", "noise": 0.0}
    model, j = train(lwnet, work, "wine", ["--data", wine + ".csv", "--labels", wine + "_label.csv", "--test",
                                           wine + "_test.csv", "--test-labels", wine + "_label_test.csv"] + options,
                     labels=wine_y, features=wine_x, expected_options=expected, version=version)
    if j["layers"] < 2 or not any(j["extra_columns"]):
        print("note: the wine model has %d layer(s), extra columns %s: the multi-layer checks ran on less"
              % (j["layers"], j["extra_columns"]))

    # 2. string labels in the last column (sorted: blue, green, red), other options.
    rng = random.Random(7)
    names = ["red", "green", "blue"]
    rows, labels = [], []
    for i in range(90):
        cls = i % 3
        rows.append([cls * 2.0 + rng.gauss(0, 0.6) for _ in range(4)])
        labels.append(names[cls])
    path = os.path.join(work, "colours.csv")
    with open(path, "w") as f:
        f.write("a,b,c,d,colour\n")
        for row, label in zip(rows, labels):
            f.write(",".join("%.5f" % v for v in row) + "," + label + "\n")
    train(lwnet, work, "colours",
          ["--data", path, "--label-column", "last", "--standardize", "separate", "--predict", "mean", "--rho", "rff",
           "--extra-columns", "off", "--noise", "0.01", "--seed", "3"],
          labels=labels, expected_options={"standardize": "separate", "predictor": "mean", "rho": "rff",
                                           "extra_columns": False, "noise": 0.01, "seed": 3})

    # 3. integer labels 10 / -7 / 9 (numeric order -7, 9, 10), and a model with no layer.
    mapping = {"1": "10", "2": "-7", "3": "9"}
    path = os.path.join(work, "int_labels.csv")
    with open(path, "w") as f:
        f.write("".join(mapping[t] + "\n" for t in wine_y))
    _, j = train(lwnet, work, "no_layers", ["--data", wine + ".csv", "--labels", path, "--max-layers", "0"],
                 labels=[mapping[t] for t in wine_y], features=wine_x, expected_options={"max_layers": 0})
    check(j["classes"] == ["-7", "9", "10"], "integer classes %s are not in numeric order" % j["classes"])
    check(j["layers"] == 0 and "warning" in j, "a model with no layer: %s" % j)

    damage(lwnet, work, model, wine + "_test.csv")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lwnet", help="the lwnet executable (driver mode)")
    parser.add_argument("--data", help="data/nik: the reference folds (driver mode)")
    parser.add_argument("--work", help="an empty folder to work in (driver mode)")
    parser.add_argument("--model", help="a model file to check against --json")
    parser.add_argument("--json", help="a file holding what `lwnet train --json` printed for --model")
    args = parser.parse_args()
    try:
        if args.model and args.json:
            with open(args.json) as f:
                print("ok  " + check_model(args.model, json.load(f)))
        elif args.lwnet and args.data and args.work:
            driver(args.lwnet, args.data, args.work)
        else:
            parser.error("give --lwnet, --data and --work, or --model and --json")
    except CheckFailed as e:
        print("FAILED: %s" % e, file=sys.stderr)
        return 1
    print("all model checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
