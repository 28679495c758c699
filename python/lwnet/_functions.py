"""lwnet's kernel functions for Python: hsic, gram, kme (class mean embeddings), median_sigma,
and the devices (backend, probe, devices).

Every function takes device="auto" (a GPU when one is usable, else the CPU), "cpu", "cuda" or
"cuda:N". Each thread keeps one backend per device, so repeated calls do not set a device up
again; calls run without the GIL (other Python threads go on), and calls on one device from
several threads take turns.
"""

import threading

import numpy as np

from . import _lwnet
from ._arrays import as_matrix, encode_labels

_local = threading.local()


def backend(device="auto"):
    """The backend (an lwnet.Backend) this thread uses for `device`; .reason says why for 'auto'.
    An lwnet.Backend given as `device` (cuda_backend's, on your stream) is used as it is."""
    if isinstance(device, _lwnet.Backend):
        return device
    if not isinstance(device, str):
        raise TypeError(f"device must be a string ('auto', 'cpu', 'cuda' or 'cuda:N') or an lwnet.Backend, "
                        f"got {device!r}")
    cache = getattr(_local, "backends", None)
    if cache is None:
        cache = _local.backends = {}
    if device not in cache:
        cache[device] = _lwnet.select_backend(device)
    return cache[device]


def cuda_backend(device=0, stream=None):
    """An lwnet.Backend on CUDA device `device` that queues all its work on your CUDA stream: a
    cupy.cuda.Stream, a torch.cuda.Stream, or a cudaStream_t as an int. lwnet's work then follows
    what you queued on that stream before, and your later work on it follows lwnet's. The stream
    must have been created on that device (not the legacy default stream, 0) and must outlive the
    backend. Pass the backend as `device=` to lwnet.hsic, gram and kme. Unavailable without a
    usable GPU, with the reason."""
    if stream is None:
        raise TypeError("cuda_backend: give the CUDA stream to queue on (cupy/torch stream or int)")
    return _lwnet.cuda_backend_on_stream(int(device), _stream_pointer(stream))


def _stream_pointer(stream):
    """cudaStream_t of a CuPy stream (.ptr), a PyTorch stream (.cuda_stream) or an int."""
    if isinstance(stream, int) and not isinstance(stream, bool):
        return stream
    for attribute in ("ptr", "cuda_stream"):
        value = getattr(stream, attribute, None)
        if isinstance(value, int):
            return value
    raise TypeError(f"stream must be a cupy.cuda.Stream, a torch.cuda.Stream or an int, got {stream!r}")


def probe():
    """What the CUDA runtime says here: a dict with compiled, usable, device_count, names,
    runtime_version and reason (why CUDA is not usable; empty when it is)."""
    return _lwnet.probe_cuda()


def devices():
    """The devices lwnet can run on here: ['cpu'] and 'cuda:N' for each usable GPU."""
    p = probe()
    return ["cpu"] + [f"cuda:{i}" for i in range(p["device_count"] if p["usable"] else 0)]


def _kernel(kind, sigma, gamma, coef0, degree, X, b, seed, what):
    """An lwnet.Kernel; sigma="median" takes the median heuristic on X (lwnet's, seeded)."""
    has_width = kind in ("gaussian", "laplacian")
    if isinstance(sigma, str):
        if sigma != "median":
            raise ValueError(f"{what}sigma must be a number or 'median', got {sigma!r}")
        sigma = _lwnet.median_sigma(b, X, int(seed), 200) if has_width else 1.0
    return _lwnet.Kernel(kind, float(sigma), float(gamma), float(coef0), int(degree))


def median_sigma(X, *, seed=0, sample_size=200, device="auto"):
    """The median heuristic: the median pairwise distance of a seeded subsample of min(n, sample_size)
    rows of X (as `lwnet hsic --sigma median --seed SEED` computes it)."""
    b = backend(device)
    return _lwnet.median_sigma(b, as_matrix(X, "X"), int(seed), int(sample_size))


def standardize(X):
    """X standardised per feature with lwnet's statistics (float64, population std; constant
    features become 0): what `lwnet hsic --standardize on` and the estimators apply. A new float32 array."""
    return _lwnet.standardize(as_matrix(X, "X"))


def hsic(X, Y, *, kernel="gaussian", sigma="median", gamma=1.0, coef0=1.0, degree=2,
         y_kernel="gaussian", y_sigma="median", normalized="code", seed=0, device="auto",
         details=False):
    """HSIC between a kernel on X (n x d) and the labels y (1-D: the linear kernel on one-hot labels,
    as `lwnet hsic` computes it) or a second kernel on features Y (2-D, n x dy; y_kernel, y_sigma).

    normalized: "code" (||HK||_F ||HL||_F, the reference implementation's; default), "textbook"
    (||HKH||_F ||HLH||_F) or "none" (the plain tr(KHLH)). sigma="median": the median heuristic on
    200 rows drawn with `seed`. Returns the figure as a float, or with details=True an
    lwnet.HsicResult (hsic, normalized, norm_k, norm_l, constant_kernel) with .sigma added.
    """
    b = backend(device)
    X = as_matrix(X, "X")
    k = _kernel(kernel, sigma, gamma, coef0, degree, X, b, seed, "")
    Y_is_labels = (not hasattr(Y, "__dlpack__") or isinstance(Y, np.ndarray)) and np.ndim(Y) == 1
    if Y_is_labels:
        classes, y = encode_labels(Y, "y")
        result = _lwnet.hsic_labels(b, X, y, len(classes), k, normalized)
    else:
        Ym = as_matrix(Y, "Y")
        ky = _kernel(y_kernel, y_sigma, 1.0, 1.0, 2, Ym, b, seed, "y_")
        result = _lwnet.hsic(b, X, k, Ym, ky, normalized)
    if details:
        return _Details(result, k.sigma)
    return result.normalized if normalized != "none" else result.hsic


class _Details:
    """An lwnet.HsicResult with the kernel width used."""

    def __init__(self, result, sigma):
        self.hsic = result.hsic
        self.normalized = result.normalized
        self.norm_k = result.norm_k
        self.norm_l = result.norm_l
        self.constant_kernel = result.constant_kernel
        self.normalization = result.normalization
        self.sigma = sigma

    def __repr__(self):
        return (f"HsicResult(hsic={self.hsic!r}, normalized={self.normalized!r}, norm_k={self.norm_k!r}, "
                f"norm_l={self.norm_l!r}, constant_kernel={self.constant_kernel}, sigma={self.sigma!r})")


def gram(X, Z=None, *, kernel="gaussian", sigma=1.0, gamma=1.0, coef0=1.0, degree=2, seed=0, device="auto"):
    """The Gram matrix K(Z, X) (m x n; Z defaults to X, whose diagonal is then exactly k(x, x)).
    Host inputs give a numpy array; CUDA inputs on the CUDA device give a CUDA array (DLPack:
    torch.from_dlpack / cupy.from_dlpack take it without a copy)."""
    b = backend(device)
    X = as_matrix(X, "X")
    Zm = X if Z is None else as_matrix(Z, "Z")
    k = _kernel(kernel, sigma, gamma, coef0, degree, X, b, seed, "")
    return _lwnet.gram(b, Zm, X, k)


def kme(X, y, Z=None, *, kernel="gaussian", sigma="median", gamma=1.0, coef0=1.0, degree=2, seed=0,
        device="auto"):
    """Class-wise kernel mean embeddings mu_j(z) = mean over class j's rows x_i of k(x_i, z), at the
    rows of Z (default X): returns (classes, embeddings), embeddings m x c in the order of classes
    (the sorted distinct labels)."""
    b = backend(device)
    X = as_matrix(X, "X")
    Zm = X if Z is None else as_matrix(Z, "Z")
    classes, labels = encode_labels(y, "y")
    k = _kernel(kernel, sigma, gamma, coef0, degree, X, b, seed, "")
    return classes, _lwnet.class_mean_embeddings(b, Zm, X, labels, len(classes), k)


def add_task(method="backprop", *, width=64, epochs=200, batch_size=50, lr=0.001, optimizer="sgd", momentum=0.0,
             init="ntk", seed=0, align_ada_variant="code", data_seed=99, device="auto", progress=None):
    """The recurrent Add task of spec 2.3 (as `lwnet train --arch rnn:WIDTH`): 300 training and 100
    test sequences of 100 coin flips drawn from data_seed, targets 0.5 + 0.5 x_{t-2} - 0.25 x_{t-5},
    learnt by an Elman ReLU network with a per-step readout, trained by method "backprop" (through
    time), "align-zero", "align-ada" (align_ada_variant "code", the reference's, or "full") or
    "last-layer" (the readout and h_0). Returns a dict: history (per epoch: train_loss, test_loss,
    seconds), min_test_loss and best_epoch (the spec's metric), diverged_epoch (None unless the loss
    stopped being finite: training stops there), initial_test_loss, mean_prediction_test_loss
    (each step's training mean), half_prediction_test_loss (the reference's constant 0.5),
    fit_seconds. progress(event) is called after each epoch."""
    options = {"method": method, "width": int(width), "epochs": int(epochs), "batch_size": int(batch_size),
               "lr": float(lr), "optimizer": optimizer, "momentum": float(momentum), "init": init, "seed": int(seed),
               "align_ada_variant": align_ada_variant}
    return _lwnet.add_task(backend(device), options, int(data_seed), progress)


def alignment_scores(X, y, *, arch="dense:256x2", epochs=10, batch_size=100, lr=None, init="ntk", loss="mse",
                     image=None, standardize="train", seed=0, draws=100, noise_batch=100, device="auto",
                     progress=None):
    """The alignment score of spec 2.4 (as `lwnet align-score`): trains a backprop network on X, y
    (plain SGD) while accumulating the Align-zero update driven by its error, then compares the two
    weight changes of every hidden layer through Gaussian noise. Returns one dict per hidden layer:
    layer, score, shuffled_score (the control: trained weights shuffled), draws, shuffled_draws."""
    X = as_matrix(X, "X")
    classes, labels = encode_labels(y)
    if labels.shape[0] != X.shape[0]:
        raise ValueError(f"y has {labels.shape[0]} labels for {X.shape[0]} rows of X")
    options = {"method": "backprop", "arch": arch, "epochs": int(epochs), "batch_size": int(batch_size),
               "lr": None if lr is None else float(lr), "optimizer": "sgd", "momentum": 0.0, "init": init,
               "loss": loss, "image": image, "standardize": standardize, "seed": int(seed)}
    return _lwnet.alignment_scores(backend(device), X, labels, [str(c) for c in classes], options, int(draws),
                                   int(noise_batch), progress)
