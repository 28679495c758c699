"""lwnet: layer-wise neural networks on GPU (CUDA) and CPU, from Python.

    import lwnet
    clf = lwnet.KMENetworkClassifier(random_state=0).fit(X_train, y_train)
    clf.score(X_test, y_test)
    lwnet.hsic(X, y)                  # normalised HSIC between a Gaussian kernel on X and the labels

Functions: hsic, gram, kme (class mean embeddings), median_sigma, standardize, load (a fitted
estimator from a model file), add_task (the recurrent Add task), alignment_scores (spec 2.4),
backend / cuda_backend (on your CUDA stream) / devices / probe, version. Estimators (scikit-learn):
KMENetworkClassifier, LayerwiseClassifier. Errors: lwnet.Error and its subclasses; Ctrl-C during
a fit raises KeyboardInterrupt. docs/EMBEDDING.md ("Python") says which arrays are used without
a copy, where memory lives, and how threads and the GIL behave.
"""

# numpy first: Debian's numpy links the OpenMP build of OpenBLAS and the extension the serial one,
# both libopenblas.so.0; whichever loads first serves both, and the serial one lacks symbols the
# OpenMP one's libblas.so.3 needs ("undefined symbol: sgemv_thread_n" on `import lwnet` alone).
import numpy as _numpy  # noqa: F401

from . import _lwnet
from ._estimators import KMENetworkClassifier, LayerwiseClassifier, load
from ._functions import (add_task, alignment_scores, backend, cuda_backend, devices, gram, hsic, kme, median_sigma, probe,
                         standardize)

Error = _lwnet.Error
InvalidArgument = _lwnet.InvalidArgument
IoError = _lwnet.IoError
OutOfMemory = _lwnet.OutOfMemory
Unavailable = _lwnet.Unavailable
NumericalError = _lwnet.NumericalError
CudaError = _lwnet.CudaError
Backend = _lwnet.Backend
Kernel = _lwnet.Kernel


def version():
    """The version of the lwnet library in this package, e.g. "0.1.0"."""
    return _lwnet.version()


__version__ = _lwnet.version()

__all__ = [
    "KMENetworkClassifier", "LayerwiseClassifier", "load", "add_task", "alignment_scores", "hsic", "gram", "kme",
    "median_sigma", "standardize",
    "backend", "cuda_backend", "devices", "probe", "version", "Error", "InvalidArgument", "IoError", "OutOfMemory", "Unavailable",
    "NumericalError", "CudaError", "Backend", "Kernel",
]
