#!/usr/bin/env python3
"""Write scikit-learn's digits (1797 x 64, 10 classes) as 10 stratified folds in the reference layout.

`lwnet cv --folds DIR/NAME` reads, for K = 1..10, NAME_K.csv and NAME_K_label.csv (training fold K)
and NAME_K_test.csv and NAME_K_label_test.csv (test fold K): no header, comma-separated features
printed with six decimals, one integer label per line, as in ../shared/data/nik/wine/.

  /usr/bin/python3 bench/select/make_digits_folds.py [DIR/NAME]      (default build/digits-folds/digits)

The folds are StratifiedKFold(10, shuffle=True, random_state=0) over load_digits(), rows in ascending
index order inside each fold, so every run writes the same bytes. Each file is written to a temporary
name beside it and renamed into place, so an interrupted run leaves no half-written fold.
Needs numpy and scikit-learn (Debian python3-sklearn).
"""
import argparse
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
DEFAULT_STEM = os.path.join(ROOT, "build", "digits-folds", "digits")
FOLDS = 10
RANDOM_STATE = 0


def digits_folds():
    """[(X_train, y_train, X_test, y_test)] for folds 1..10, the reference layout's order."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import StratifiedKFold

    digits = load_digits()
    X, y = digits.data, digits.target
    splitter = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=RANDOM_STATE)
    return [(X[train], y[train], X[test], y[test]) for train, test in splitter.split(X, y)]


def write_atomically(path, text):
    folder = os.path.dirname(path) or "."
    fd, temporary = tempfile.mkstemp(dir=folder, prefix="." + os.path.basename(path) + ".")
    try:
        with os.fdopen(fd, "w", newline="\n") as f:
            f.write(text)
        os.chmod(temporary, 0o644)  # mkstemp's 0600 would make the folds private to this user
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def features_text(X):
    return "".join(",".join("%.6f" % value for value in row) + "\n" for row in X)


def labels_text(y):
    return "".join("%d\n" % label for label in y)


def write_folds(stem):
    """Write the 40 files of stem_K{,_label,_test,_label_test}.csv; returns the paths written."""
    folds = digits_folds()  # before any folder is made: without scikit-learn, nothing is written
    os.makedirs(os.path.dirname(os.path.abspath(stem)), exist_ok=True)
    written = []
    for k, (X_train, y_train, X_test, y_test) in enumerate(folds, start=1):
        base = f"{stem}_{k}"
        for path, text in ((base + ".csv", features_text(X_train)), (base + "_label.csv", labels_text(y_train)),
                           (base + "_test.csv", features_text(X_test)),
                           (base + "_label_test.csv", labels_text(y_test))):
            write_atomically(path, text)
            written.append(path)
    return written


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("stem", nargs="?", default=DEFAULT_STEM, help="DIR/NAME of the folds (default: %(default)s)")
    args = parser.parse_args()
    try:
        written = write_folds(args.stem)
    except ImportError as e:
        sys.exit(f"make_digits_folds: {e}: needs numpy and scikit-learn (apt-get install python3-sklearn)")
    except OSError as e:
        sys.exit(f"make_digits_folds: cannot write the folds: {e}")
    print(f"wrote {len(written)} files: {args.stem}_K{{,_label,_test,_label_test}}.csv, K = 1..{FOLDS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
