"""Arrays on their way into lwnet: which are taken as they are and which are copied.

The rule (docs/EMBEDDING.md, "Python"): a float32 2-D array whose rows are evenly spaced and whose
values in a row are adjacent -- C order, or a slice of rows or leading columns of one -- reaches
lwnet without a copy: numpy arrays, and CUDA arrays (CuPy, PyTorch, anything with __dlpack__)
when the call runs on their GPU. Anything else (float64 or integer data, Fortran order, a column
step, lists, pandas frames) is copied once to a C-ordered float32 numpy array. Labels are
re-indexed to 0..c-1 in sorted order (numpy.unique), as the lwnet tool does.
"""

import numpy as np


def _is_device_array(a):
    """A non-numpy array that speaks DLPack (CuPy, PyTorch, JAX): handed to lwnet as it is."""
    return not isinstance(a, np.ndarray) and hasattr(a, "__dlpack__")


def _float32_view_ok(a):
    if a.dtype != np.float32 or a.ndim != 2:
        return False
    rows, cols = a.shape
    row_stride, col_stride = a.strides
    return (cols <= 1 or col_stride == 4) and (rows <= 1 or (row_stride % 4 == 0 and row_stride >= 4 * cols))


def as_matrix(a, name="X"):
    """`a` as something lwnet's binding reads in place: the array itself when the rule above allows,
    else a C-ordered float32 copy. A device array is passed on unchanged (the binding checks it)."""
    if _is_device_array(a):
        return a
    if isinstance(a, np.ndarray) and _float32_view_ok(a):
        return a
    out = np.asarray(a)
    if out.ndim != 2:
        raise ValueError(f"{name} must be 2-D (samples x features), got an array of shape {out.shape}")
    if out.dtype.kind not in "fiub":
        raise ValueError(f"{name} must hold numbers, got dtype {out.dtype}")
    return np.ascontiguousarray(out, dtype=np.float32)


def encode_labels(y, name="y"):
    """(classes, int32 indices): the sorted distinct labels and each sample's index among them."""
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"{name} must be 1-D (one label per sample), got shape {y.shape}")
    classes, indices = np.unique(y, return_inverse=True)
    return classes, np.ascontiguousarray(indices, dtype=np.int32)
