"""What the Python suites share: the data (LWNET_TEST_DATA), the lwnet tool (LWNET_TEST_CLI) and
the UCI Wine folds as numpy arrays, read the way the lwnet tool reads them (float32)."""
import json
import os
import subprocess
import unittest

import numpy as np

DATA = os.environ.get("LWNET_TEST_DATA", os.path.join(os.path.dirname(__file__), "..", "..", "data"))
CLI = os.environ.get("LWNET_TEST_CLI", "")


def wine_path(name):
    """data/wine/NAME (the whole data set), or data/nik/wine/NAME for a fold's file (wine_K...)."""
    fold = name.startswith("wine_") and name[5].isdigit()
    return os.path.join(DATA, "nik", "wine", name) if fold else os.path.join(DATA, "wine", name)


def read_features(path):
    """float32, each value the nearest float to its decimal text (as lwnet's from_chars reads it)."""
    with open(path) as f:
        return np.array([[np.float32(cell) for cell in line.split(",")] for line in f if line.strip()],
                        dtype=np.float32)


def read_labels(path):
    with open(path) as f:
        return np.array([int(line) for line in f if line.strip()])


def wine():
    return read_features(wine_path("wine.csv")), read_labels(wine_path("wine_label.csv"))


def wine_fold(k=1):
    return (read_features(wine_path(f"wine_{k}.csv")), read_labels(wine_path(f"wine_{k}_label.csv")),
            read_features(wine_path(f"wine_{k}_test.csv")), read_labels(wine_path(f"wine_{k}_label_test.csv")))


def needs_cli(test):
    return unittest.skipUnless(CLI and os.path.exists(CLI), "the lwnet tool (LWNET_TEST_CLI) is not built")(test)


def cli_json(*args):
    """Runs `lwnet ARGS --json` and returns its JSON."""
    out = subprocess.run([CLI, *args, "--json"], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def cli(*args):
    subprocess.run([CLI, *args], check=True, capture_output=True, text=True)
