"""lwnet from Python: read a labelled CSV data set (by default the UCI Wine data committed in
data/wine), print the normalised HSIC between its features and its labels, then fit the
closed-form network (kme) and a small trained network (backprop) on three quarters of it, print
their accuracy on the remaining quarter, save both models and check that the loaded files predict
the same.

    python fit_and_predict.py [FEATURES.csv LABELS.csv]

FEATURES.csv: one sample per line, comma-separated numbers. LABELS.csv: one integer label per line.
The `result` lines are for machines: examples/c and examples/cpp print the same figures for the
same data and seeds (cmake/RunExamplesTest.cmake compares them, and the lwnet tool's).
"""
import os
import sys

import numpy as np

import lwnet


def main(argv):
    if len(argv) not in (1, 3):
        print("usage: fit_and_predict.py [FEATURES.csv LABELS.csv]", file=sys.stderr)
        return 2
    wine = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "data", "wine")
    features, labels = argv[1:] if len(argv) == 3 else (os.path.join(wine, "wine.csv"),
                                                          os.path.join(wine, "wine_label.csv"))
    # lwnet computes in float32: a float32 C-ordered array reaches it without a copy.
    X = np.loadtxt(features, delimiter=",", dtype=np.float32, ndmin=2)
    y = np.loadtxt(labels, dtype=np.int64, ndmin=1)

    device = lwnet.backend("auto")  # GPU 0 when one is usable, else the CPU; .reason says why
    print(f"lwnet {lwnet.version()} on {device.description} ({device.reason})")
    # The median heuristic's width on 200 rows drawn with seed 0, as the C and C++ examples ask.
    hsic = lwnet.hsic(X, y, seed=0, details=True)
    print(f"data    {X.shape[0]} samples x {X.shape[1]} features, {len(np.unique(y))} classes")
    print(f"HSIC    normalised {hsic.normalized:.4f} (Gaussian kernel, median width {hsic.sigma:.4g}, raw features)")
    print(f"result hsic={hsic.normalized:.17g} sigma={hsic.sigma:.17g}")

    held_out = np.arange(len(y)) % 4 == 3  # every fourth sample
    X_train, y_train, X_test, y_test = X[~held_out], y[~held_out], X[held_out], y[held_out]
    models = {
        "kme": lwnet.KMENetworkClassifier(random_state=1),
        "backprop": lwnet.LayerwiseClassifier(method="backprop", arch="dense:64x1", epochs=30, batch_size=16,
                                              random_state=1),
    }
    same = True
    for method, model in models.items():
        predicted = model.fit(X_train, y_train).predict(X_test)
        accuracy = float(np.mean(predicted == y_test))
        print(f"{method:<9} test accuracy {accuracy:.4f} on {len(y_test)} samples")
        print(f"result {method} accuracy={accuracy:.17g} predictions={','.join(str(p) for p in predicted)}")
        # The model file (written atomically) that `lwnet predict` and the C and C++ APIs read too.
        path = f"fit_and_predict_{method}.safetensors"
        model.save(path)
        same = same and np.array_equal(lwnet.load(path).predict(X_test), predicted)
    print(f"saved   fit_and_predict_{{kme,backprop}}.safetensors: the loaded models predict "
          f"{'the same' if same else 'DIFFERENTLY'}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
