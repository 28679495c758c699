#!/usr/bin/env python3
"""Baselines for lwnet's kernel primitives: the same computations done with numpy+sklearn,
torch (CPU, and CUDA when torch sees a GPU) and pykeops (when importable), on the data shapes of
lwnet's micro-benchmarks (bench/micro/bench_primitives.cpp), written to one JSON file.

What is measured (Gaussian kernel k(x, z) = exp(-||x - z||^2 / (2 sigma^2)), sigma = sqrt(d),
X ~ N(0, 1) float32 of shape (n, d), seeded):

  kernel_matmul  out = K(X, X) @ B, B ~ N(0, 1) float32 (n, c).        entries = n^2
  hsic_labels    normalised HSIC ("code" normalisation, as `lwnet hsic --normalized code`)
                 between K(X, X) and L = Y Y' for labels y_i = i % c:
                     tr(K H L H) / (||H K||_F ||H L||_F),  H = I - 11'/n,
                     ||H K||_F^2 = sum(K^2) - ||K 1||^2 / n (same for L),
                 computed from M = K [Y 1] and the row sums of K^2.     entries = 2 n^2
  knn            for every row of X, the indices of its k = 5 nearest rows of X (Euclidean,
                 the row itself included).                             entries = n^2

Per library (each its own class below):
  numpy+sklearn  rbf_kernel materialises K (n x n float32), then BLAS products; knn with
                 NearestNeighbors(algorithm="brute") (sklearn chunks the distances itself).
  torch          cdist + in-place exp materialises K, then matmul; knn with cdist + topk over
                 blocks of query rows (about 512 MB of distances per block). float32.
  pykeops        LazyTensor Gaussian sum reductions (nothing n x n stored); knn with argKmin.

Timings are wall-clock seconds of one call on data already in place (on the GPU for cuda), after
untimed warm-up calls on the first 256 rows (torch/cuBLAS start-up, KeOps compilation) and, when
that predicts a full call under 2 s, one untimed full-size call.
`--repeats` runs (default 3, a single one when a run takes over 10 s) give seconds_min and
seconds_median; entries_per_second = entries / seconds_median.

Correctness is measured, not assumed: after timing, a float64 numpy oracle recomputes the first
64 rows of the output and max_rel_error is recorded:
  kernel_matmul  max over those rows of max_j |out_ij - ref_ij| / max_j |ref_ij|   (row-normwise)
  hsic_labels    the same for the rows of M = K [Y 1] and the row sums of K^2 (the per-row parts
                 of the value); for n <= 4000 also |value - ref| / |ref| of the HSIC value itself
  knn            max |dist(x_i, x_idx) - ref_dist| / ref_dist over the 5 neighbour distances,
                 sorted (robust to ties); index_agreement gives the fraction of equal index sets.

Each (library, device, primitive, shape) case runs in a child process (this script with the hidden
option --one-case), on the CPU under an address-space limit (RLIMIT_AS, --memory-limit-gb, default
80% of MemAvailable), so that a baseline needing more memory than there is (materialising K takes
4 n^2 bytes: 40 GB at n = 100000) is recorded as status "OOM ..." instead of taking the machine
down; a child killed by a signal is recorded as "OOM: ... (killed by SIG...)". CUDA cases get no RLIMIT_AS
(it breaks CUDA contexts): torch.cuda.OutOfMemoryError is caught instead.

`--time-limit S` skips a case whose time, extrapolated as n^2 from the same case at the largest
smaller n already run (or estimated), exceeds S seconds.

Run (started by another python, the script re-executes itself with one that has numpy, sklearn and
torch, e.g. Debian's /usr/bin/python3):

  /usr/bin/python3 bench/baselines/baselines.py                       # full grid, CPU
  /usr/bin/python3 bench/baselines/baselines.py --n 1000 2000 --d 2 16 --c 2 --out /tmp/b.json
  /usr/bin/python3 bench/baselines/baselines.py --device all --libraries torch pykeops
  /usr/bin/python3 bench/baselines/baselines.py --extra-path /tmp/pk    # a pip --target with pykeops

pykeops (optional): `pip install --no-deps --target /tmp/pk pykeops keopscore pybind11` (pure
python); it compiles each formula with g++ on first use (needs the python3-dev headers; the
builds are cached under ~/.cache/keops*), which the untimed warm-up absorbs. Without it, its cases
are recorded as "unavailable: <import error>".

The HSIC formula was checked against lwnet's CLI (`lwnet hsic --x X.csv --labels y.csv --sigma S
--standardize off --normalized code --json --device cpu`, sigma = sqrt(d); note --standardize off)
on (n, d, c) = (300, 5, 3), (1000, 16, 2) and (2000, 2, 10): lwnet's value agrees with the float64
oracle of hsic_from_sums() to <= 6e-7 relative (and that with tr(K H L H) on a dense float64 K to
1e-9), and the numpy+sklearn, torch and pykeops (CPU) values agree with lwnet's to <= 3e-6
relative, i.e. well within ~1e-5.
"""

import argparse
import datetime
import json
import math
import os
import platform
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # bench/machine.py
import machine  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[2]
PRIMITIVES = ("kernel_matmul", "hsic_labels", "knn")
LIBRARIES = ("numpy+sklearn", "torch", "pykeops")
DEFAULT_N = (1000, 10000, 100000)
DEFAULT_D = (2, 10, 16, 64, 784)
DEFAULT_C = (2, 10)
KNN_K = 5
CHECK_ROWS = 64            # rows of the output the float64 oracle recomputes
HSIC_FULL_CHECK_MAX_N = 4000  # up to this n the HSIC value itself is checked against float64
WARMUP_ROWS = 256
FULL_WARMUP_SECONDS = 2.0  # below this estimated time, one untimed full-size call precedes the timed ones
SINGLE_REPEAT_SECONDS = 10.0
BLOCK_BYTES = 512 << 20    # distance block of the chunked torch knn
RESULT_PREFIX = "BASELINE_RESULT_JSON:"
REEXEC_GUARD = "LWNET_BASELINES_REEXEC"


# ----------------------------------------------------------------------------------------------
# Finding a python with the packages
# ----------------------------------------------------------------------------------------------

def count_packages(python, packages):
    code = ("import importlib.util as u; "
            f"print(sum(u.find_spec(m) is not None for m in {list(packages)!r}))")
    try:
        r = subprocess.run([python, "-c", code], capture_output=True, text=True, timeout=60)
        return int(r.stdout.strip() or 0) if r.returncode == 0 else -1
    except (OSError, ValueError, subprocess.TimeoutExpired):
        return -1


def reexec_with_best_python(packages):
    """The shebang may find a python without the packages (e.g. a pyenv one without sklearn or
    torch): re-run this script with the python that has the most of them (e.g. /usr/bin/python3)."""
    if os.environ.get(REEXEC_GUARD):
        return
    have = count_packages(sys.executable, packages)
    if have == len(packages):
        return
    best, best_count = None, have
    for candidate in ("/usr/bin/python3", "/usr/local/bin/python3"):
        if not os.path.exists(candidate) or os.path.realpath(candidate) == os.path.realpath(sys.executable):
            continue
        count = count_packages(candidate, packages)
        if count > best_count:
            best, best_count = candidate, count
    if best:
        print(f"{os.path.basename(__file__)}: {sys.executable} lacks some of {', '.join(packages)}; "
              f"re-running with {best}", file=sys.stderr)
        os.environ[REEXEC_GUARD] = "1"
        os.execv(best, [best, os.path.abspath(__file__)] + sys.argv[1:])


# ----------------------------------------------------------------------------------------------
# Shared maths (float64 host side)
# ----------------------------------------------------------------------------------------------

def gamma_of(d):
    sigma = math.sqrt(d)
    return 1.0 / (2.0 * sigma * sigma)


def make_data(n, d, c, seed):
    import numpy as np
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d), dtype=np.float32)
    B = rng.standard_normal((n, c), dtype=np.float32) if c > 0 else None
    y = (np.arange(n) % c) if c > 0 else None
    return X, B, y


def labels_matrix(y, c):
    """[Y 1]: one-hot labels and a column of ones, float32 (n, c + 1)."""
    import numpy as np
    n = y.shape[0]
    YB = np.zeros((n, c + 1), dtype=np.float32)
    YB[np.arange(n), y] = 1.0
    YB[:, c] = 1.0
    return YB


def hsic_from_sums(M, sq_total, y, c):
    """Normalised HSIC ("code") from M = K [Y 1] (n x (c+1)) and sum(K^2), all float64.

    tr(K H L H) = sum_j b_j' K b_j with b_j = y_j - (n_j/n) 1
                = sum_j s_j - 2 p_j t_j + p_j^2 T,  s_j = y_j' K y_j, t_j = 1' K y_j, T = 1' K 1.
    """
    import numpy as np
    M = np.asarray(M, dtype=np.float64)
    n = M.shape[0]
    counts = np.bincount(y, minlength=c).astype(np.float64)
    p = counts / n
    s = np.array([M[y == j, j].sum() for j in range(c)])
    t = M[:, :c].sum(axis=0)
    k1 = M[:, c]
    T = k1.sum()
    hsic = float(np.sum(s - 2.0 * p * t + p * p * T))
    norm_k_sq = max(float(sq_total) - float(k1 @ k1) / n, 0.0)
    norm_l_sq = max(float(np.sum(counts ** 2)) - float(np.sum(counts ** 3)) / n, 0.0)
    return hsic / (math.sqrt(norm_k_sq) * math.sqrt(norm_l_sq))


def oracle_rows(X, rows, g, B=None, YB=None, want_sq=False, want_dist=False):
    """float64 oracle on X[rows] against all of X, in column blocks: K[rows] @ B, K[rows] @ YB,
    row sums of K[rows]^2 and/or the full distance rows (squared)."""
    import numpy as np
    Xq = X[rows].astype(np.float64)
    qn = np.einsum("ij,ij->i", Xq, Xq)
    n = X.shape[0]
    m = Xq.shape[0]
    out_b = np.zeros((m, B.shape[1])) if B is not None else None
    out_yb = np.zeros((m, YB.shape[1])) if YB is not None else None
    out_sq = np.zeros(m) if want_sq else None
    out_d = np.empty((m, n)) if want_dist else None
    block = max(1, min(n, (64 << 20) // (8 * max(m, 1) * 4)))
    for a in range(0, n, block):
        b = min(n, a + block)
        Xz = X[a:b].astype(np.float64)
        zn = np.einsum("ij,ij->i", Xz, Xz)
        D = np.maximum(qn[:, None] + zn[None, :] - 2.0 * (Xq @ Xz.T), 0.0)
        if want_dist:
            out_d[:, a:b] = D
        if B is not None or YB is not None or want_sq:
            K = np.exp(-g * D)
            if B is not None:
                out_b += K @ B[a:b].astype(np.float64)
            if YB is not None:
                out_yb += K @ YB[a:b].astype(np.float64)
            if want_sq:
                out_sq += np.einsum("ij,ij->i", K, K)
    return out_b, out_yb, out_sq, out_d


def rowwise_rel_error(out, ref):
    import numpy as np
    out = np.asarray(out, dtype=np.float64).reshape(ref.shape[0], -1)
    ref = np.asarray(ref, dtype=np.float64).reshape(ref.shape[0], -1)
    scale = np.maximum(np.abs(ref).max(axis=1), np.finfo(np.float64).tiny)
    return float((np.abs(out - ref).max(axis=1) / scale).max())


# ----------------------------------------------------------------------------------------------
# Libraries. Each: prepare(X, B, YB) -> state (data where the library computes), then one method
# per primitive on that state, sync() after a timed call, and host() to bring a result back.
# hsic_labels returns (value, M = K [Y 1] (n x (c+1)), row sums of K^2 (n)).
# ----------------------------------------------------------------------------------------------

class NumpySklearn:
    name = "numpy+sklearn"

    def __init__(self, device):
        if device != "cpu":
            raise RuntimeError("numpy+sklearn runs on the CPU only")
        import numpy as np
        import sklearn
        from sklearn.metrics.pairwise import rbf_kernel
        from sklearn.neighbors import NearestNeighbors
        self.np, self.sklearn = np, sklearn
        self.rbf_kernel, self.NearestNeighbors = rbf_kernel, NearestNeighbors

    def prepare(self, X, B, YB):
        return {"X": X, "B": B, "YB": YB}

    def kernel(self, X, g):
        return self.rbf_kernel(X, gamma=g)  # float32 n x n (float32 in -> float32 out)

    def kernel_matmul(self, st, g):
        return self.kernel(st["X"], g) @ st["B"]

    def hsic_labels(self, st, g, y, c):
        np = self.np
        K = self.kernel(st["X"], g)
        M = (K @ st["YB"]).astype(np.float64)
        n = K.shape[0]
        sq = np.empty(n)
        rows = max(1, (64 << 20) // (8 * n))
        for a in range(0, n, rows):  # sum K^2 per row, accumulated in float64, in row blocks
            Kc = K[a:a + rows].astype(np.float64)
            sq[a:a + rows] = np.einsum("ij,ij->i", Kc, Kc)
        del K
        return hsic_from_sums(M, sq.sum(), y, c), M, sq

    def knn(self, st, k):
        nn = self.NearestNeighbors(n_neighbors=k, algorithm="brute", n_jobs=-1).fit(st["X"])
        return nn.kneighbors(st["X"], return_distance=False)

    def sync(self):
        pass

    def host(self, a):
        return a


class Torch:
    name = "torch"

    def __init__(self, device):
        import torch
        self.torch = torch
        torch.set_num_threads(os.cpu_count() or 1)
        if device == "cuda":
            if not torch.cuda.is_available():
                raise ImportError("torch.cuda.is_available() is False")
            self.dev = torch.device("cuda")
        else:
            self.dev = torch.device("cpu")

    def prepare(self, X, B, YB):
        t = self.torch
        st = {"X": t.from_numpy(X).to(self.dev)}
        st["B"] = t.from_numpy(B).to(self.dev) if B is not None else None
        st["YB"] = t.from_numpy(YB).to(self.dev) if YB is not None else None
        return st

    def kernel(self, X, g):
        K = self.torch.cdist(X, X)  # n x n float32, the only n x n buffer
        return K.square_().mul_(-g).exp_()

    def kernel_matmul(self, st, g):
        return self.kernel(st["X"], g) @ st["B"]

    def hsic_labels(self, st, g, y, c):
        t = self.torch
        K = self.kernel(st["X"], g)
        M = (K @ st["YB"]).double()
        n = K.shape[0]
        rows = max(1, (64 << 20) // (8 * n))
        sq = t.cat([K[a:a + rows].double().square_().sum(dim=1) for a in range(0, n, rows)])
        del K
        Mh = M.cpu().numpy()
        sqh = sq.cpu().numpy()
        return hsic_from_sums(Mh, float(sqh.sum()), y, c), Mh, sqh

    def knn(self, st, k):
        t = self.torch
        X = st["X"]
        n = X.shape[0]
        rows = max(1, min(n, BLOCK_BYTES // (4 * n)))
        return t.cat([t.cdist(X[a:a + rows], X).topk(k, dim=1, largest=False).indices
                      for a in range(0, n, rows)])

    def sync(self):
        if self.dev.type == "cuda":
            self.torch.cuda.synchronize()

    def host(self, a):
        if isinstance(a, self.torch.Tensor):
            return a.cpu().numpy()
        return a


class PyKeOps:
    name = "pykeops"

    def __init__(self, device):
        import pykeops
        import pykeops.config
        self.pykeops = pykeops
        self.device = device
        if device == "cuda":
            import torch
            from pykeops.torch import LazyTensor
            if not torch.cuda.is_available():
                raise ImportError("torch.cuda.is_available() is False")
            if not pykeops.config.gpu_available:
                raise ImportError("KeOps found no usable CUDA (pykeops.config.gpu_available is False)")
            self.torch = torch
            self.backend = "GPU"
        else:
            from pykeops.numpy import LazyTensor
            self.backend = "CPU"
        self.LazyTensor = LazyTensor

    def prepare(self, X, B, YB):
        if self.device == "cuda":
            t = self.torch
            cv = (lambda a: t.from_numpy(a).cuda() if a is not None else None)
            return {"X": cv(X), "B": cv(B), "YB": cv(YB)}
        return {"X": X, "B": B, "YB": YB}

    def sqdist(self, X):
        LT = self.LazyTensor
        return LT(X[:, None, :]).sqdist(LT(X[None, :, :]))

    def reduce(self, K, V):
        return (K * self.LazyTensor(V[None, :, :])).sum(dim=1, backend=self.backend)

    def kernel_matmul(self, st, g):
        K = (-g * self.sqdist(st["X"])).exp()
        return self.reduce(K, st["B"])

    def hsic_labels(self, st, g, y, c):
        D = self.sqdist(st["X"])
        M = self.host(self.reduce((-g * D).exp(), st["YB"])).astype("float64")
        sq = self.host((-2.0 * g * D).exp().sum(dim=1, backend=self.backend)).astype("float64").ravel()
        return hsic_from_sums(M, float(sq.sum()), y, c), M, sq

    def knn(self, st, k):
        return self.sqdist(st["X"]).argKmin(K=k, dim=1, backend=self.backend)

    def sync(self):
        if self.device == "cuda":
            self.torch.cuda.synchronize()

    def host(self, a):
        if self.device == "cuda" and isinstance(a, self.torch.Tensor):
            return a.cpu().numpy()
        return a


LIBRARY_CLASSES = {"numpy+sklearn": NumpySklearn, "torch": Torch, "pykeops": PyKeOps}
LIBRARY_DEVICES = {"numpy+sklearn": ("cpu",), "torch": ("cpu", "cuda"), "pykeops": ("cpu", "cuda")}


# ----------------------------------------------------------------------------------------------
# One case (in the child)
# ----------------------------------------------------------------------------------------------

def entries_of(primitive, n):
    return (2 if primitive == "hsic_labels" else 1) * n * n


def bytes_needed(library, primitive, n, d, c):
    """A rough peak of the memory a case needs (for the OOM message and the no-limit guard)."""
    data = 4 * n * (d + c + 1) * 2
    if primitive == "knn":
        if library == "numpy+sklearn":
            return data + (1 << 30)  # sklearn's default working_memory of 1 GiB
        if library == "torch":
            return data + 2 * min(BLOCK_BYTES, 4 * n * n)
        return data
    if library in ("numpy+sklearn", "torch"):
        return data + 4 * n * n  # the materialised float32 kernel
    return data


def is_oom(exc):
    if isinstance(exc, MemoryError):
        return True
    name = type(exc).__name__
    msg = str(exc).lower()
    return name == "OutOfMemoryError" or any(s in msg for s in (
        "out of memory", "can't allocate memory", "cannot allocate memory", "unable to allocate",
        "defaultcpuallocator", "std::bad_alloc", "cudaerrormemoryallocation"))


def run_case(spec):
    """Runs one case; returns the result dict (without the identifying fields)."""
    import numpy as np
    library, device, primitive = spec["library"], spec["device"], spec["primitive"]
    n, d, c, repeats = spec["n"], spec["d"], spec["c"], spec["repeats"]
    res = {"seconds_min": None, "seconds_median": None, "entries": entries_of(primitive, n),
           "entries_per_second": None, "max_rel_error": None}
    try:
        lib = LIBRARY_CLASSES[library](device)
    except ImportError as e:
        res["status"] = f"unavailable: {type(e).__name__}: {e}"
        return res
    g = gamma_of(d)
    X, B, y = make_data(n, d, c, spec["seed"])
    YB = labels_matrix(y, c) if primitive == "hsic_labels" else None

    def call(st, yy):
        if primitive == "kernel_matmul":
            return lib.kernel_matmul(st, g)
        if primitive == "hsic_labels":
            return lib.hsic_labels(st, g, yy, c)
        return lib.knn(st, KNN_K)

    # Warm-up on the first rows: start-up costs (threads, cuBLAS, KeOps compilation) untimed; the
    # second small call estimates a full one, and a full call expected under FULL_WARMUP_SECONDS is
    # made once untimed too (first touch of the buffers, allocator growth).
    w = min(n, WARMUP_ROWS)
    st = lib.prepare(X[:w], B[:w] if B is not None else None, YB[:w] if YB is not None else None)
    small = []
    for _ in range(2):
        t0 = time.perf_counter()
        call(st, y[:w] if y is not None else None)
        lib.sync()
        small.append(time.perf_counter() - t0)
    del st

    st = lib.prepare(X, B, YB)
    lib.sync()
    if small[-1] * (n / w) ** 2 < FULL_WARMUP_SECONDS:
        call(st, y)
        lib.sync()
    times = []
    out = None
    for _ in range(repeats):
        out = None  # free the previous result before the next run
        t0 = time.perf_counter()
        out = call(st, y)
        lib.sync()
        times.append(time.perf_counter() - t0)
        if times[-1] > SINGLE_REPEAT_SECONDS:
            break
    res["seconds_min"] = min(times)
    res["seconds_median"] = float(np.median(times))
    res["repeats_done"] = len(times)
    res["entries_per_second"] = res["entries"] / res["seconds_median"]
    del st

    # Correctness against the float64 oracle on the first CHECK_ROWS rows.
    rows = np.arange(min(n, CHECK_ROWS))
    if primitive == "kernel_matmul":
        ref, _, _, _ = oracle_rows(X, rows, g, B=B)
        res["max_rel_error"] = rowwise_rel_error(lib.host(out)[rows], ref)
        res["check"] = f"first {len(rows)} rows of K@B, row-normwise vs float64"
    elif primitive == "hsic_labels":
        value, M, sq = out
        _, ref_m, ref_sq, _ = oracle_rows(X, rows, g, YB=YB, want_sq=True)
        err = max(rowwise_rel_error(M[rows], ref_m),
                  float(np.max(np.abs(sq[rows] - ref_sq) / ref_sq)))
        res["hsic"] = value
        res["check"] = f"first {len(rows)} rows of K[Y 1] and of rowsum(K^2) vs float64"
        if n <= HSIC_FULL_CHECK_MAX_N:
            _, full_m, full_sq, _ = oracle_rows(X, np.arange(n), g, YB=YB, want_sq=True)
            ref_value = hsic_from_sums(full_m, full_sq.sum(), y, c)
            res["hsic_reference"] = ref_value
            err = max(err, abs(value - ref_value) / abs(ref_value))
            res["check"] += "; the HSIC value vs float64"
        res["max_rel_error"] = err
    else:
        idx = np.asarray(lib.host(out))[rows].astype(np.int64)
        _, _, _, D = oracle_rows(X, rows, g, want_dist=True)
        got = np.sort(np.sqrt(np.take_along_axis(D, idx, axis=1)), axis=1)
        ref_idx = np.argsort(D, axis=1)[:, :KNN_K]
        want = np.sqrt(np.take_along_axis(D, ref_idx, axis=1))
        floor = np.maximum(1e-6 * want[:, -1:], np.finfo(np.float64).tiny)
        res["max_rel_error"] = float((np.abs(got - want) / np.maximum(want, floor)).max())
        same = [set(a) == set(b) for a, b in zip(idx.tolist(), ref_idx.tolist())]
        res["index_agreement"] = float(np.mean(same))
        res["check"] = f"first {len(rows)} rows: sorted neighbour distances vs float64"
    res["status"] = "ok"
    return res


def child_main(spec_json):
    spec = json.loads(spec_json)
    for p in reversed(spec.get("extra_path", [])):
        sys.path.insert(0, p)
    limit = spec.get("memory_limit_bytes")
    if limit and spec["device"] == "cpu":  # never for CUDA: RLIMIT_AS breaks CUDA contexts
        try:
            hard = resource.getrlimit(resource.RLIMIT_AS)[1]
            if hard != resource.RLIM_INFINITY:
                limit = min(limit, hard)
            resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
        except (ValueError, OSError) as e:
            print(f"baselines: no address-space limit ({e})", file=sys.stderr)
    try:
        res = run_case(spec)
    except Exception as e:  # noqa: BLE001 - every failure becomes a status
        first = str(e).splitlines()[0][:300] if str(e) else ""
        if is_oom(e):
            res = {"status": f"OOM ({type(e).__name__})", "message": first}
        elif spec["library"] == "pykeops" and "pykeops_cpp" in first:
            res = {"status": "unavailable: KeOps could not build its module (it needs g++, the python3-dev "
                             "headers and pybind11 importable by `python3 -m pybind11`)", "message": first}
        else:
            res = {"status": f"error: {type(e).__name__}: {first}"}
    sys.stdout.write(RESULT_PREFIX + json.dumps(res) + "\n")
    sys.stdout.flush()
    os._exit(0)  # skip interpreter teardown (CUDA/KeOps destructors)


# ----------------------------------------------------------------------------------------------
# Machine and versions (probe in a child, so the parent imports nothing heavy)
# ----------------------------------------------------------------------------------------------

def probe_main(extra_path):
    for p in reversed(extra_path):
        sys.path.insert(0, p)
    info = {"python": platform.python_version()}
    for mod, key in (("numpy", "numpy"), ("sklearn", "sklearn"), ("torch", "torch"), ("pykeops", "pykeops")):
        try:
            m = __import__(mod)
            info[key] = getattr(m, "__version__", "unknown")
        except Exception as e:  # noqa: BLE001
            info[key] = f"unavailable: {type(e).__name__}: {e}"
    info["cuda_available"] = False
    info["gpu"] = None
    try:
        import torch
        if torch.cuda.is_available():
            info["cuda_available"] = True
            info["gpu"] = torch.cuda.get_device_name(0)
        else:
            info["cuda_reason"] = "torch.cuda.is_available() is False"
    except Exception as e:  # noqa: BLE001
        info["cuda_reason"] = f"torch unavailable: {e}"
    sys.stdout.write(RESULT_PREFIX + json.dumps(info) + "\n")
    sys.stdout.flush()
    os._exit(0)


def meminfo_kb(key):
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def machine_info(gpu):
    total = meminfo_kb("MemTotal")
    return {"host": platform.node(), "cpu": machine.cpu_model(), "cores": machine.logical_cores(),
            "memory_gb": round(total / 2**20, 1) if total else None, "gpu": gpu, "os": machine.os_description()}


def run_child(args_list, timeout, extra_env=None):
    """Runs this script with args_list; returns (parsed result or None, returncode, stderr tail)."""
    cmd = [sys.executable, os.path.abspath(__file__)] + args_list
    env = dict(os.environ)
    env.update(extra_env or {})
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, env=env)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        return None, "timeout", err[-2000:]
    result = None
    for line in out.splitlines():
        if line.startswith(RESULT_PREFIX):
            result = json.loads(line[len(RESULT_PREFIX):])
    return result, proc.returncode, err[-2000:]


# ----------------------------------------------------------------------------------------------
# The parent: the grid, the limits, the JSON
# ----------------------------------------------------------------------------------------------

def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="baselines.py",
        description="Time numpy+sklearn, torch and pykeops on lwnet's kernel primitives\n"
                    "(kernel_matmul, hsic_labels, knn; Gaussian kernel, sigma = sqrt(d)) over a grid\n"
                    "of shapes, check each result against a float64 oracle, and write one JSON file.",
        epilog="Every case runs in its own child process under a memory limit: a case that runs out\n"
               "of memory is recorded as 'OOM ...' and never crashes the run; --out is rewritten after\n"
               "every case, one progress line per case goes to stderr.\n\n"
               "examples:\n"
               "  /usr/bin/python3 bench/baselines/baselines.py                  # full grid on the CPU\n"
               "  /usr/bin/python3 bench/baselines/baselines.py --n 1000 2000 --d 2 16 --c 2 --out /tmp/b.json\n"
               "  /usr/bin/python3 bench/baselines/baselines.py --device all --libraries torch pykeops\n\n"
               "What is measured and how correctness is checked: pydoc3 bench/baselines/baselines.py",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, nargs="+", default=list(DEFAULT_N), help="numbers of samples (default: %(default)s)")
    p.add_argument("--d", type=int, nargs="+", default=list(DEFAULT_D), help="feature dimensions, sigma = sqrt(d) (default: %(default)s)")
    p.add_argument("--c", type=int, nargs="+", default=list(DEFAULT_C),
                   help="columns of B / classes (knn ignores c: it runs once per (n, d), recorded as c = 0) (default: %(default)s)")
    p.add_argument("--libraries", nargs="+", default=list(LIBRARIES), choices=LIBRARIES, metavar="LIB",
                   help="of: %(choices)s (default: all)")
    p.add_argument("--primitives", nargs="+", default=list(PRIMITIVES), choices=PRIMITIVES, metavar="PRIM",
                   help="of: %(choices)s (default: all)")
    p.add_argument("--device", choices=("cpu", "cuda", "all"), default="cpu",
                   help="cpu; cuda (torch and pykeops only); all = cpu plus cuda when torch sees a GPU (default: %(default)s)")
    p.add_argument("--out", default=None,
                   help="output JSON (default: <repo>/bench/results/baselines-<device>.json)")
    p.add_argument("--repeats", type=int, default=3,
                   help=f"timed runs per case (a single one when a run exceeds {SINGLE_REPEAT_SECONDS:g} s; default: %(default)s)")
    p.add_argument("--time-limit", type=float, default=300.0,
                   help="skip a case whose time extrapolated (as n^2) from a smaller n exceeds this many seconds (default: %(default)s)")
    p.add_argument("--case-timeout", type=float, default=None,
                   help="kill a case's child after this many seconds (default: max(120, 3 x --time-limit))")
    p.add_argument("--memory-limit-gb", type=float, default=None,
                   help="address-space limit of each CPU case's child (default: 80%% of MemAvailable; 0 = none)")
    p.add_argument("--seed", type=int, default=1, help="seed of the data (default: %(default)s)")
    p.add_argument("--extra-path", action="append", default=[],
                   help="directory prepended to the children's sys.path (e.g. a pip --target holding pykeops); repeatable")
    p.add_argument("--one-case", help=argparse.SUPPRESS)
    p.add_argument("--probe", action="store_true", help=argparse.SUPPRESS)
    return p.parse_args(argv)


def fmt_gb(b):
    return f"{b / 1e9:.1f} GB" if b >= 1e8 else f"{b / 1e6:.1f} MB"


def main(argv):
    args = parse_args(argv)
    if args.one_case:
        child_main(args.one_case)
    if args.probe:
        probe_main(args.extra_path)
    reexec_with_best_python(("numpy", "sklearn", "torch"))
    if args.extra_path:  # in PYTHONPATH too: KeOps runs `python -m pybind11` when it compiles
        old = os.environ.get("PYTHONPATH")
        os.environ["PYTHONPATH"] = os.pathsep.join([os.path.abspath(p) for p in args.extra_path] + ([old] if old else []))

    out_path = Path(args.out) if args.out else REPO_ROOT / "bench" / "results" / f"baselines-{args.device}.json"
    if args.memory_limit_gb is None:
        avail = meminfo_kb("MemAvailable")
        mem_limit = int(0.8 * avail * 1024) if avail else None
    else:
        mem_limit = int(args.memory_limit_gb * 1e9) if args.memory_limit_gb > 0 else None
    case_timeout = args.case_timeout or max(120.0, 3.0 * args.time_limit)

    probe, rc, err = run_child(["--probe"] + sum((["--extra-path", p] for p in args.extra_path), []), 300)
    if probe is None:
        sys.exit(f"baselines: probing the python packages failed (exit {rc}): {err.strip()[-500:]}")
    versions = {k: probe.get(k) for k in ("python", "numpy", "sklearn", "torch", "pykeops")}
    if str(versions["numpy"]).startswith("unavailable"):
        sys.exit(f"baselines: numpy is {versions['numpy']} for {sys.executable}")
    cuda_ok = probe.get("cuda_available", False)

    devices = ["cpu"] if args.device == "cpu" else ["cuda"] if args.device == "cuda" else ["cpu", "cuda"]
    notes = []
    if args.device == "all" and not cuda_ok:
        devices = ["cpu"]
        notes.append(f"cuda cases not run: {probe.get('cuda_reason', 'no CUDA')}")
        print(f"baselines: {notes[-1]}", file=sys.stderr)

    doc = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine_info(probe.get("gpu")),
        "versions": versions,
        "command": [os.path.relpath(os.path.abspath(__file__), REPO_ROOT)] + list(argv),
        "settings": {"repeats": args.repeats, "time_limit_s": args.time_limit, "case_timeout_s": case_timeout,
                     "memory_limit_bytes": mem_limit, "seed": args.seed, "knn_k": KNN_K,
                     "check_rows": CHECK_ROWS, "sigma": "sqrt(d)"},
        "notes": notes,
        "results": [],
    }

    def write():
        out_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = out_path.with_suffix(out_path.suffix + ".tmp")
        tmp.write_text(json.dumps(doc, indent=1) + "\n")
        tmp.replace(out_path)

    # Cases, n ascending so that the time estimates of larger n exist.
    cases = []
    for n in sorted(set(args.n)):
        for d in dict.fromkeys(args.d):
            for ci, c in enumerate(dict.fromkeys(args.c)):
                for primitive in args.primitives:
                    if primitive == "knn" and ci > 0:
                        continue
                    for library in args.libraries:
                        for device in devices:
                            if device not in LIBRARY_DEVICES[library]:
                                continue
                            cases.append((library, device, primitive, n, d, 0 if primitive == "knn" else c))

    timings = {}  # (library, device, primitive, d, c) -> [(n, seconds)] measured or estimated
    total = len(cases)
    for i, (library, device, primitive, n, d, c) in enumerate(cases, 1):
        entry = {"library": library, "device": device, "primitive": primitive, "n": n, "d": d, "c": c}
        key = (library, device, primitive, d, c)
        need = bytes_needed(library, primitive, n, d, c)
        res = None
        lib_version = str(versions.get("sklearn" if library == "numpy+sklearn" else library))
        if lib_version.startswith("unavailable"):
            res = {"status": lib_version}
        elif device == "cuda" and not cuda_ok:
            res = {"status": f"unavailable: {probe.get('cuda_reason', 'no CUDA')}"}
        elif device == "cpu" and mem_limit is None and need > (meminfo_kb("MemAvailable") or 0) * 1024:
            res = {"status": f"OOM: needs ~{fmt_gb(need)} (not run: more than the memory available, and no limit set)"}
        else:
            smaller = [(n0, t0) for n0, t0 in timings.get(key, []) if n0 < n]
            fits = device == "cuda" or mem_limit is None or need <= mem_limit
            if smaller and fits:  # a case expected to OOM runs anyway: it fails at once
                n0, t0 = max(smaller)
                est = t0 * (n / n0) ** 2
                if est > args.time_limit:
                    res = {"status": f"skipped: estimated {est:.3g}s > limit {args.time_limit:g}s",
                           "estimated_seconds": est}
                    timings.setdefault(key, []).append((n, est))
        if res is None:
            spec = dict(entry, repeats=args.repeats, seed=args.seed, memory_limit_bytes=mem_limit,
                        extra_path=args.extra_path)
            t_start = time.perf_counter()
            result, rc, err = run_child(["--one-case", json.dumps(spec)], case_timeout)
            wall = time.perf_counter() - t_start
            if rc == "timeout":
                res = {"status": f"skipped: timed out after {case_timeout:g}s"}
                timings.setdefault(key, []).append((n, case_timeout))
            elif result is not None:
                res = result
                if res["status"].startswith("OOM"):
                    limit_txt = f", limit {fmt_gb(mem_limit)}" if (mem_limit and device == "cpu") else ""
                    res["status"] = f"OOM: needs ~{fmt_gb(need)}{limit_txt} {res['status'][4:]}"
                if res.get("seconds_median") is not None:
                    timings.setdefault(key, []).append((n, res["seconds_median"]))
            elif isinstance(rc, int) and rc < 0:
                try:
                    sig = signal.Signals(-rc).name
                except ValueError:
                    sig = f"signal {-rc}"
                res = {"status": f"OOM: needs ~{fmt_gb(need)} (killed by {sig})", "message": err.strip()[-300:]}
            else:
                tail = " | ".join(err.strip().splitlines()[-3:])[-400:]
                low = err.lower()
                if "memory" in low and ("alloc" in low or "out of" in low):
                    res = {"status": f"OOM: needs ~{fmt_gb(need)} (child exited {rc})", "message": tail}
                else:
                    res = {"status": f"error: child exited {rc}: {tail}"}
            res["case_wall_seconds"] = round(wall, 3)
        row = dict(entry)
        row.update({"status": res.pop("status"), "seconds_min": res.pop("seconds_min", None),
                    "seconds_median": res.pop("seconds_median", None),
                    "entries": res.pop("entries", entries_of(primitive, n)),
                    "entries_per_second": res.pop("entries_per_second", None),
                    "max_rel_error": res.pop("max_rel_error", None), "bytes_needed": need})
        row.update(res)
        doc["results"].append(row)
        write()
        if row["status"] == "ok":
            what = (f"{row['seconds_median'] * 1e3:10.2f} ms  {row['entries_per_second']:.3e} entries/s  "
                    f"rel.err {row['max_rel_error']:.1e}")
        else:
            what = row["status"]
        print(f"[{i}/{total}] {library:<13} {device:<4} {primitive:<13} n={n:<6} d={d:<3} c={c:<2} {what}",
              file=sys.stderr, flush=True)
    print(f"baselines: wrote {out_path}", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1:])
