"""scikit-learn estimators over lwnet's trainers: KMENetworkClassifier (the closed-form network,
lwnet::kme) and LayerwiseClassifier (trained networks, lwnet::net).

Both follow scikit-learn's conventions: __init__ stores its parameters unchanged (get_params /
set_params / clone work, so Pipeline, cross_val_score and GridSearchCV do), fit checks them, and
the fitted state ends in "_" (model_, classes_, n_features_in_, seed_, device_). random_state:
None draws a fresh seed from numpy's global generator at each fit, an int is the seed (the lwnet
tool's --seed: the same seed gives the same model and predictions as `lwnet train --seed`), a
numpy RandomState draws the seed from it. Estimators pickle (the model travels as lwnet's model
file bytes) and save(path) writes the lwnet model file that `lwnet predict` and lwnet.load read.
"""

import os
import sys
import tempfile

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted

from . import _lwnet
from ._arrays import _is_device_array, as_matrix, encode_labels
from ._functions import backend

try:  # scikit-learn >= 1.6
    from sklearn.utils.validation import validate_data as _sk_validate_data
except ImportError:  # older: the estimator's own method
    def _sk_validate_data(estimator, *args, **kwargs):
        return estimator._validate_data(*args, **kwargs)

_MAX_SEED = 2**64 - 1


def _seed(random_state):
    """The uint64 seed of a fit: random_state itself when it is an int, else one drawn from it."""
    if isinstance(random_state, (int, np.integer)) and not isinstance(random_state, bool):
        seed = int(random_state)
        if not 0 <= seed <= _MAX_SEED:
            raise ValueError(f"random_state must be in [0, 2**64 - 1] (lwnet's --seed), got {seed}")
        return seed
    rng = check_random_state(random_state)  # None: numpy's global RandomState
    return int(rng.randint(0, np.iinfo(np.int64).max, dtype=np.int64))


def _class_array(names):
    """Class names read from a model file: integers when every name is one, else strings."""
    try:
        values = [int(n) for n in names]
        if all(str(v) == n for v, n in zip(values, names)):
            return np.array(values)
    except ValueError:
        pass
    return np.array(names)


def _write_progress(event):
    kind = event["event"]
    if kind == "layer":
        print(f"layer {event['layer']:2d}  sigma {event['sigma']:.4g}  HSIC {event['hsic']:.4f}  "
              f"widths tried {event['widths_tried']}  {event['seconds']:.2f} s", file=sys.stderr)
    elif kind == "stopped":
        print(f"stopped after {event['layers']} layers: {event['reason']}", file=sys.stderr)
    elif kind == "epoch":
        print(f"epoch {event['epoch']}/{event['epochs']}  loss {event['loss']:.4f}  "
              f"train {event['train_accuracy']:.4f}  {event['seconds']:.3f} s", file=sys.stderr)


class _LwnetClassifier(ClassifierMixin, TransformerMixin, BaseEstimator):
    """What both estimators share: data checks, labels, fit/predict plumbing, pickling, save."""

    _format = None  # "lwnet.kme" or "lwnet.net"

    # ---- data ------------------------------------------------------------------------------------
    def _check_X(self, X, reset):
        """X as lwnet takes it: validated by scikit-learn (finite, 2-D, numeric; n_features_in_),
        float32 and float64 kept as they are, other types converted; a device array is passed on."""
        if _is_device_array(X):
            if len(X.shape) != 2:
                raise ValueError(f"X must be 2-D, got shape {tuple(X.shape)}")
            if not reset and X.shape[1] != self.n_features_in_:
                raise ValueError(f"X has {X.shape[1]} features, but {type(self).__name__} is expecting "
                                 f"{self.n_features_in_} features as input")
            return X
        X = _sk_validate_data(self, X, reset=reset, dtype=[np.float32, np.float64])
        return as_matrix(X, "X")

    def _check_X_y(self, X, y):
        X, y = _sk_validate_data(self, X, y, dtype=[np.float32, np.float64], y_numeric=False)
        check_classification_targets(y)
        classes, labels = encode_labels(y)
        if len(classes) < 2:
            raise ValueError(f"{type(self).__name__} needs samples of at least 2 classes; y has 1 class "
                             f"({classes[0]!r})")
        return as_matrix(X, "X"), classes, labels

    # ---- fit and predict -------------------------------------------------------------------------
    def fit(self, X, y):
        """Fits the model on X (n x d) and labels y (any sortable values); returns self."""
        X, classes, labels = self._check_X_y(X, y)
        seed = _seed(self.random_state)
        options = self._options(seed)
        if self.verbose is not None and not isinstance(self.verbose, (int, np.integer)):
            raise ValueError(f"verbose must be an int, got {self.verbose!r}")
        b = backend(self.device)
        progress = _write_progress if self.verbose else None
        self.model_ = self._train(b, X, labels, [str(c) for c in classes], options, progress)
        self.classes_ = classes
        self.seed_ = seed
        self.device_ = b.device
        return self

    def predict(self, X):
        """The predicted class of each row of X (values of classes_)."""
        check_is_fitted(self)
        X = self._check_X(X, reset=False)
        return self.classes_[self._predict(backend(self.device), X)]

    def save(self, path):
        """Writes the fitted model as an lwnet model file (safetensors layout; atomic): `lwnet predict
        --model PATH` and lwnet.load(PATH) read it."""
        check_is_fitted(self)
        self._save(self.model_, os.fspath(path))

    # ---- pickling: the model as its file's bytes ----------------------------------------------------
    def __getstate__(self):
        state = self.__dict__.copy()
        if "model_" in state:
            with tempfile.TemporaryDirectory(prefix="lwnet-pickle-") as folder:
                path = os.path.join(folder, "model.safetensors")
                self._save(state["model_"], path)
                with open(path, "rb") as f:
                    state["model_"] = f.read()
        return state

    def __setstate__(self, state):
        if isinstance(state.get("model_"), bytes):
            with tempfile.TemporaryDirectory(prefix="lwnet-pickle-") as folder:
                path = os.path.join(folder, "model.safetensors")
                with open(path, "wb") as f:
                    f.write(state["model_"])
                state["model_"] = self._load(path)
        self.__dict__.update(state)

    def _more_tags(self):
        return {"non_deterministic": False, "preserves_dtype": [np.float32]}


class KMENetworkClassifier(_LwnetClassifier):
    """The closed-form layer-wise network of Wu, Masoomi, Gretton and Dy (AISTATS 2022), lwnet::kme.

    Parameters are the lwnet tool's `train` options (README): max_layers, sigma_smallest,
    sigma_count, hsic_threshold, rho ("exact" | "rff"), extra_columns, predictor ("knn" | "mean" |
    "argmax"; the tool's --predict), knn_k, select ("hsic" | "validation"), validation_fraction,
    standardize ("train" | "separate" | "none"), noise, random_state (the seed), device ("auto" |
    "cpu" | "cuda[:N]") and verbose (progress lines on stderr). transform(X) gives the last layer's
    outputs. There is no predict_proba: k-NN on the layer outputs gives no calibrated scores.
    """

    _format = "lwnet.kme"

    def __init__(self, *, max_layers=29, sigma_smallest=0.05, sigma_count=20, hsic_threshold=0.95, rho="exact",
                 extra_columns=True, predictor="knn", knn_k=5, select="hsic", validation_fraction=0.2,
                 standardize="train", noise=0.0, random_state=None, device="auto", verbose=0):
        self.max_layers = max_layers
        self.sigma_smallest = sigma_smallest
        self.sigma_count = sigma_count
        self.hsic_threshold = hsic_threshold
        self.rho = rho
        self.extra_columns = extra_columns
        self.predictor = predictor
        self.knn_k = knn_k
        self.select = select
        self.validation_fraction = validation_fraction
        self.standardize = standardize
        self.noise = noise
        self.random_state = random_state
        self.device = device
        self.verbose = verbose

    def _options(self, seed):
        return {"max_layers": self.max_layers, "sigma_smallest": self.sigma_smallest, "sigma_count": self.sigma_count,
                "hsic_threshold": self.hsic_threshold, "rho": self.rho, "extra_columns": self.extra_columns,
                "predict": self.predictor, "knn_k": self.knn_k, "select": self.select,
                "validation_fraction": self.validation_fraction, "standardize": self.standardize,
                "noise": self.noise, "seed": seed}

    @staticmethod
    def _params_of(model):
        p = model.params()
        p["predictor"] = p.pop("predict")
        p["random_state"] = p.pop("seed")
        return p

    def _train(self, b, X, labels, classes, options, progress):
        return _lwnet.kme_train(b, X, labels, classes, options, progress)

    def _predict(self, b, X):
        return _lwnet.kme_predict(b, self.model_, X)

    def transform(self, X):
        """The last layer's outputs (m x width, float32; the standardised input when the network
        kept no layer)."""
        check_is_fitted(self)
        X = self._check_X(X, reset=False)
        return _lwnet.kme_transform(backend(self.device), self.model_, X)

    @staticmethod
    def _save(model, path):
        _lwnet.kme_save(model, path)

    @staticmethod
    def _load(path):
        return _lwnet.kme_load(path)

    @property
    def layers_(self):
        """One dict per accepted layer: sigma, sigma_beta, hsic, extra_columns, widths_tried, seconds."""
        check_is_fitted(self)
        return self.model_.layers


class LayerwiseClassifier(_LwnetClassifier):
    """Networks trained on mini-batches (lwnet::net): method "backprop", one of the learning rules
    "align-zero", "align-ada", "align-prop", "fa", "dfa", "last-layer" (spec section 2.2), or a
    network trained layer by layer on a local kernel loss, "dgl" (spec 3, docs/DGL.md) or
    "hsic-bottleneck" (spec 4).

    arch "dense:WIDTHxDEPTH" or "conv:WIDTH:S1,S2,..." (":bn" for batch normalisation), epochs,
    batch_size, lr, optimizer ("sgd" | "adam"), momentum (SGD only), weight_decay, init ("ntk" |
    "standard" | "torch"): None takes the method's default, as `lwnet train` does — backprop and the
    rules: dense:256x2, 10 epochs of 100, sgd (lr 1 under ntk, 0.05 under standard; momentum 0.9),
    weight decay 0, init ntk; dgl: 30 epochs per layer of 64, adam lr 1e-3, init torch;
    hsic-bottleneck: dense:128x7:bn, 5 epochs of 512, sgd lr 1e-4 momentum 0, weight decay 1e-3,
    init torch. loss ("cross-entropy" | "mse"; end-to-end methods), image ("HxWxC" or (H, W, C):
    each row as an image, needed by conv nets), standardize ("train" | "none"), random_state,
    device, verbose (one line per epoch on stderr).

    dgl: dgl_sw2, dgl_sb2, dgl_noise, dgl_targets ("centred" | "one-hot"); dgl_monitor=True with
    method "backprop" reports DGL_l of every layer per epoch in history_. hsic-bottleneck:
    hsic_sigma, hsic_beta, hsic_output ("format" | "unformatted"), readout_epochs, readout_lr,
    readout_weight_decay, readout_batch_size.

    transform(X) gives the network's outputs (logits, m x c). predict_proba(X), with
    loss="cross-entropy" only, is the softmax of the logits (float64): the probabilities the loss
    trained; with loss="mse" the outputs are no probabilities, and the method is absent.
    """

    _format = "lwnet.net"

    def __init__(self, method="backprop", *, arch=None, epochs=None, batch_size=None, lr=None, optimizer=None,
                 momentum=None, weight_decay=None, init=None, loss="cross-entropy", image=None, standardize="train",
                 dgl_sw2=2.0, dgl_sb2=0.0, dgl_noise=0.1, dgl_targets="centred", dgl_monitor=False, hsic_sigma=5.0,
                 hsic_beta=50.0, hsic_output="format", readout_epochs=5, readout_lr=0.005, readout_weight_decay=1e-3,
                 readout_batch_size=256, random_state=None, device="auto", verbose=0):
        self.method = method
        self.arch = arch
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.optimizer = optimizer
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.init = init
        self.loss = loss
        self.image = image
        self.standardize = standardize
        self.dgl_sw2 = dgl_sw2
        self.dgl_sb2 = dgl_sb2
        self.dgl_noise = dgl_noise
        self.dgl_targets = dgl_targets
        self.dgl_monitor = dgl_monitor
        self.hsic_sigma = hsic_sigma
        self.hsic_beta = hsic_beta
        self.hsic_output = hsic_output
        self.readout_epochs = readout_epochs
        self.readout_lr = readout_lr
        self.readout_weight_decay = readout_weight_decay
        self.readout_batch_size = readout_batch_size
        self.random_state = random_state
        self.device = device
        self.verbose = verbose

    def _options(self, seed):
        image = self.image
        if image is not None and not isinstance(image, str):
            image = "x".join(str(int(v)) for v in image)

        def real(v):
            return None if v is None else float(v)

        return {"method": self.method, "arch": self.arch, "epochs": self.epochs, "batch_size": self.batch_size,
                "lr": real(self.lr), "optimizer": self.optimizer, "momentum": real(self.momentum),
                "weight_decay": real(self.weight_decay), "init": self.init, "loss": self.loss, "image": image,
                "standardize": self.standardize, "seed": seed, "dgl_sw2": real(self.dgl_sw2),
                "dgl_sb2": real(self.dgl_sb2), "dgl_noise": real(self.dgl_noise), "dgl_targets": self.dgl_targets,
                "dgl_monitor": bool(self.dgl_monitor), "hsic_sigma": real(self.hsic_sigma),
                "hsic_beta": real(self.hsic_beta), "hsic_output": self.hsic_output,
                "readout_epochs": self.readout_epochs, "readout_lr": real(self.readout_lr),
                "readout_weight_decay": real(self.readout_weight_decay),
                "readout_batch_size": self.readout_batch_size}

    @staticmethod
    def _params_of(model):
        p = model.params()
        p["random_state"] = p.pop("seed")
        return p

    def _train(self, b, X, labels, classes, options, progress):
        return _lwnet.net_train(b, X, labels, classes, options, progress)

    def _predict(self, b, X):
        return _lwnet.net_predict(b, self.model_, X)

    def transform(self, X):
        """The network's outputs (logits, m x c, float32)."""
        check_is_fitted(self)
        X = self._check_X(X, reset=False)
        return _lwnet.net_outputs(backend(self.device), self.model_, X)

    def _has_probabilities(self):
        return self.loss == "cross-entropy"

    @available_if(_has_probabilities)
    def predict_proba(self, X):
        """Softmax of the logits (m x c, float64, rows sum to 1; columns in the order of classes_)."""
        logits = np.asarray(self.transform(X), dtype=np.float64)
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        p /= p.sum(axis=1, keepdims=True)
        return p

    @staticmethod
    def _save(model, path):
        _lwnet.net_save(model, path)

    @staticmethod
    def _load(path):
        return _lwnet.net_load(path)

    @property
    def history_(self):
        """One dict per epoch: epoch, loss, train_accuracy, test_accuracy (NaN: no test set here),
        seconds, samples_per_second, stage ("layer 2" of dgl, "hidden layers" / "readout" of
        hsic-bottleneck; "" otherwise), layer_losses (each hidden layer's local loss; dgl_monitor's
        DGL_l), jitter."""
        check_is_fitted(self)
        return self.model_.history


def load(path):
    """A fitted estimator from an lwnet model file (written by save, the lwnet tool or the C API):
    a KMENetworkClassifier for "lwnet.kme" files, a LayerwiseClassifier for "lwnet.net" ones, with
    the parameters the model was trained with (random_state: its seed). classes_ are integers when
    every class name in the file is one, else strings."""
    path = os.fspath(path)
    fmt = _lwnet.model_format(path)
    cls = KMENetworkClassifier if fmt == KMENetworkClassifier._format else LayerwiseClassifier
    model = cls._load(path)
    estimator = cls(**cls._params_of(model))
    estimator.model_ = model
    estimator.classes_ = _class_array(list(model.classes))
    estimator.n_features_in_ = int(model.input_dim)
    estimator.seed_ = estimator.random_state
    estimator.device_ = None
    return estimator
