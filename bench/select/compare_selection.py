#!/usr/bin/env python3
"""Compare the closed-form network's two layer-selection rules: `--select hsic` (the paper's: each
layer's kernel width by the training normalised HSIC) and `--select validation` (by the k-NN accuracy on
a seeded, stratified held-out part of the training set, then a refit on the whole of it).

For each dataset and rule it runs
  digits         lwnet cv --folds build/digits-folds/digits --device D --seed S --json [--select R]
                 (scikit-learn's digits as 10 stratified folds, make_digits_folds.py; product defaults)
  paper sets     lwnet cv --folds DATA/NAME/NAME --preset NAME --device D --seed S --json [--select R]
                 (the reference protocol; the preset leaves the rule alone, so only the rule differs)
  fashion-mnist  lwnet train --data/--labels/--test/--test-labels <IDX files> --device D --seed S --json
                 [--select R]  (the full 60000 / 10000 split; product defaults)
records per fold the test and training accuracy, the layers and the fit seconds, and per dataset the
mean ± population std over the folds (a non-zero exit, a timeout or unreadable output is recorded, not
fatal). Context rows, computed here with scikit-learn: 5-NN on standardised features on the same digits
folds and on Fashion-MNIST. Reference means and stds of the paper sets: spec REFERENCE_RESULTS.md (as
embedded in bench/nik/reproduce_paper.py).

It writes the JSON (after every run, so an interrupted comparison keeps what it finished) and prints a
Markdown section for docs/RESULTS.md: one table and the verdict on the default rule: `validation` may
become the default iff on no paper set its mean test accuracy is below `hsic`'s by more than that set's
reference std.

  /usr/bin/python3 bench/select/compare_selection.py [--datasets digits wine ...] [--rules hsic validation]
      [--lwnet build/release/bin/lwnet] [--device cpu] [--seeds 0 ...] [--validation-fraction F]
      [--timeout SECONDS] [--out bench/results/select-cpu.json] [--markdown FILE] [--merge]
      [--results-md docs/RESULTS.md]

An lwnet without `--select` runs the hsic rows with its default rule (the paper's) and records the
validation rows as missing. `--merge` keeps the entries of an earlier --out file that this run does not
redo (e.g. Fashion-MNIST run on its own). Needs numpy and scikit-learn (Debian python3-sklearn) for the
digits folds and the context rows.
"""
import argparse
import datetime
import gzip
import json
import os
import struct
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # the imports below would leave __pycache__ folders in bench/

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "bench", "nik"))
from reproduce_paper import REFERENCE, cell, git_commit, machine_description  # noqa: E402

sys.path.insert(0, HERE)
import make_digits_folds  # noqa: E402

PAPER_SETS = list(REFERENCE)  # adversarial random spiral wine cancer car divorce cifar10
DATASETS = ["digits", "fashion-mnist"] + PAPER_SETS  # table order
RUN_ORDER = ["digits"] + PAPER_SETS + ["fashion-mnist"]  # the long one last
RULES = ["hsic", "validation"]
KNN_K = 5
FASHION_FILES = dict(data="train-images-idx3-ubyte.gz", labels="train-labels-idx1-ubyte.gz",
                     test="t10k-images-idx3-ubyte.gz", test_labels="t10k-labels-idx1-ubyte.gz")
# lwnet's per-fold JSON is kept whole (held-out accuracies, widths, ...) but for these.
DROPPED_FOLD_FIELDS = ("classes", "device")


# ---------------------------------------------------------------- statistics


def mean_std(values):
    """Mean and population std (the reference summaries' convention)."""
    mean = sum(values) / len(values)
    return mean, (sum((v - mean) ** 2 for v in values) / len(values)) ** 0.5


def summarise(folds):
    summary = {"folds": len(folds)}
    for key in ("test_accuracy", "train_accuracy", "layers", "fit_seconds"):
        values = [fold[key] for fold in folds if fold.get(key) is not None]
        if len(values) == len(folds):
            summary[key + "_mean"], summary[key + "_std"] = mean_std(values)
    return summary


def combine_seeds(runs):
    """Mean over the seeds of each seed's fold mean and fold std (as docs/RESULTS.md reports seeds)."""
    keys = set(runs[0]["summary"]).intersection(*(run["summary"] for run in runs[1:]))
    return {key: sum(run["summary"][key] for run in runs) / len(runs) for key in sorted(keys)}


# ---------------------------------------------------------------- running lwnet


def supports_option(lwnet, command, option):
    done = subprocess.run([lwnet, command, "--help"], capture_output=True, text=True)
    return done.returncode == 0 and option in done.stdout


def dataset_command(args, name):
    """(lwnet arguments before the rule, None) or (None, why the dataset cannot run)."""
    common = ["--device", args.device, "--json"]
    if name == "digits":
        stem = args.digits_folds
        if not os.path.exists(stem + "_1.csv"):
            try:
                make_digits_folds.write_folds(stem)
            except (ImportError, OSError) as e:
                return None, f"cannot write the digits folds {stem}: {e}"
        return ["cv", "--folds", stem, *common], None
    if name == "fashion-mnist":
        paths = {key: os.path.join(args.fashion_dir, file) for key, file in FASHION_FILES.items()}
        absent = [path for path in paths.values() if not os.path.exists(path)]
        if absent:
            return None, f"{absent[0]} not found (apt-get install dataset-fashion-mnist, or --fashion-dir)"
        return ["train", "--data", paths["data"], "--labels", paths["labels"], "--test", paths["test"],
                "--test-labels", paths["test_labels"], *common], None
    stem = os.path.join(args.data, name, name)
    if not os.path.exists(stem + "_1.csv"):
        return None, f"{stem}_1.csv not found"
    return ["cv", "--folds", stem, "--preset", name, *common], None


def rule_arguments(args, rule, select_supported):
    """The rule's options, or None when this lwnet cannot run the rule."""
    if not select_supported:
        return [] if rule == "hsic" else None  # the paper's rule is the default of an lwnet without --select
    extra = ["--select", rule]
    if rule == "validation" and args.validation_fraction is not None:
        extra += ["--validation-fraction", str(args.validation_fraction)]
    return extra


def shown(path):
    """A path for the report: relative to the repository when inside it."""
    relative = os.path.relpath(os.path.abspath(path), ROOT)
    return path if relative.startswith("..") else relative


def tail(text, lines=3):
    return " / ".join(line for line in text.strip().splitlines()[-lines:])


def run_once(command, timeout, rule):
    """(folds, None) from one lwnet run, or (None, what went wrong)."""
    print("running:", " ".join(command), flush=True)
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, f"timeout: no result after {timeout:g} s"
    except OSError as e:
        return None, f"cannot run {command[0]}: {e}"
    if done.returncode != 0:
        return None, f"exit {done.returncode}: {tail(done.stderr) or 'no message'}"
    try:
        result = json.loads(done.stdout)
    except json.JSONDecodeError as e:
        return None, f"unreadable JSON on stdout ({e})"
    folds = result.get("folds", [result]) if isinstance(result, dict) else None  # cv: per fold; train: one fit
    needed = ("test_accuracy", "train_accuracy", "layers", "fit_seconds")
    if not folds or any(not isinstance(fold, dict) or any(fold.get(key) is None for key in needed) for fold in folds):
        return None, "lwnet's JSON lacks " + ", ".join(needed) + " per fold"
    reported = {fold.get("selection", rule) for fold in folds}  # an lwnet without --select reports none
    if reported != {rule}:
        return None, f"lwnet reports selection {', '.join(sorted(map(str, reported)))}, not {rule}"
    return [{key: value for key, value in fold.items() if key not in DROPPED_FOLD_FIELDS} for fold in folds], None


def run_rule(args, name, rule, select_supported):
    base, why = dataset_command(args, name)
    extra = rule_arguments(args, rule, select_supported)
    if base is None:
        return {"status": "missing", "error": why}
    if extra is None:
        return {"status": "missing", "error": f"{shown(args.lwnet)} has no --select option"}
    entry = {"status": "ok", "runs": []}
    started = time.monotonic()
    for seed in args.seeds:
        command = [args.lwnet, *base, "--seed", str(seed), *extra]
        run_started = time.monotonic()
        folds, error = run_once(command, args.timeout, rule)
        run = {"seed": seed, "command": " ".join(command), "wall_seconds": time.monotonic() - run_started}
        if error:
            entry.update(status="timeout" if error.startswith("timeout") else "failed", error=error)
            entry["runs"].append(run)
            break
        run.update(folds=folds, summary=summarise(folds))
        entry["runs"].append(run)
    entry["wall_seconds"] = time.monotonic() - started
    if entry["status"] == "ok":
        entry["summary"] = combine_seeds(entry["runs"])
    return entry


# ---------------------------------------------------------------- 5-NN context rows


def read_idx(path):
    """An IDX file (MNIST layout, gzip or not) as a numpy array of its dimensions."""
    import numpy as np

    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    zero, kind, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or kind != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    shape = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def knn_accuracy(X_train, y_train, X_test, y_test):
    """5-NN test accuracy on features standardised with the training statistics (lwnet's default)."""
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(X_train)
    model = KNeighborsClassifier(n_neighbors=KNN_K, algorithm="brute").fit(scaler.transform(X_train), y_train)
    return float((model.predict(scaler.transform(X_test)) == y_test).mean())


def knn_context(args, name):
    """The 5-NN row for digits (the same folds lwnet reads) or Fashion-MNIST (the full split)."""
    started = time.monotonic()
    try:
        import numpy as np

        folds = []
        if name == "digits":
            stem = args.digits_folds
            if not os.path.exists(stem + "_1.csv"):
                make_digits_folds.write_folds(stem)
            for k in range(1, 11):
                base = f"{stem}_{k}"
                accuracy = knn_accuracy(np.loadtxt(base + ".csv", delimiter=",", ndmin=2),
                                        np.loadtxt(base + "_label.csv"),
                                        np.loadtxt(base + "_test.csv", delimiter=",", ndmin=2),
                                        np.loadtxt(base + "_label_test.csv"))
                folds.append({"fold": k, "test_accuracy": accuracy})
        else:
            paths = {key: os.path.join(args.fashion_dir, file) for key, file in FASHION_FILES.items()}
            X, Xt = (read_idx(paths[key]).astype(np.float32) for key in ("data", "test"))
            X, Xt = X.reshape(len(X), -1), Xt.reshape(len(Xt), -1)  # (n, 28, 28) images -> (n, 784)
            accuracy = knn_accuracy(X, read_idx(paths["labels"]), Xt, read_idx(paths["test_labels"]))
            folds.append({"test_accuracy": accuracy})
    except (ImportError, OSError, ValueError) as e:
        return {"status": "missing", "error": f"5-NN not computed: {e}"}
    return {"status": "ok", "folds": folds, "summary": summarise(folds), "wall_seconds": time.monotonic() - started,
            "method": f"scikit-learn KNeighborsClassifier(n_neighbors={KNN_K}) on StandardScaler features "
                      "(training statistics)"}


# ---------------------------------------------------------------- report


def accuracy_text(summary):
    if summary["folds"] == 1:
        return f"{summary['test_accuracy_mean']:.3f}"
    return f"{summary['test_accuracy_mean']:.3f} ± {summary['test_accuracy_std']:.3f}"


def layers_text(summary):
    if summary["folds"] == 1:
        return f"{summary['layers_mean']:.0f}"
    return f"{summary['layers_mean']:.2f} ± {summary['layers_std']:.2f}"


def reference_text(name):
    if name not in REFERENCE:
        return "–"
    test, layers = REFERENCE[name]["test"], REFERENCE[name]["layers"]
    return f"{test[0]:.2f} ± {test[1]:.2f} (L {layers[0]:.2f} ± {layers[1]:.2f})"


def verdict(report):
    """(may_become_default or None when undecided, the verdict line)."""
    deltas, worse, missing = [], [], []
    for name in PAPER_SETS:
        rows = report["results"].get(name, {})
        if any(rows.get(rule, {}).get("status") != "ok" for rule in RULES):
            missing.append(name)
            continue
        delta = rows["validation"]["summary"]["test_accuracy_mean"] - rows["hsic"]["summary"]["test_accuracy_mean"]
        std = REFERENCE[name]["test"][1]
        is_worse = -delta > std + 1e-12
        deltas.append(f"{name} {delta:+.3f} (std {std:.2f}{', WORSE' if is_worse else ''})")
        if is_worse:
            worse.append(name)
    detail = "validation − hsic mean test accuracy: " + ("; ".join(deltas) if deltas else "none measured")
    if worse:
        return False, (f"**Verdict: keep `hsic` as the default**: `validation` is worse than `hsic` by more than the "
                       f"reference std on {', '.join(worse)}. {detail}.")
    if missing:
        return None, (f"**Verdict: undecided**: `hsic` or `validation` has no result for {', '.join(missing)}. "
                      f"{detail}.")
    return True, (f"**Verdict: `validation` may become the default**: on no paper set is it worse than `hsic` by "
                  f"more than the reference std. {detail}.")


def markdown(report):
    lines = []
    add = lines.append
    fraction = report["validation_fraction"]
    add("## Layer selection: `--select hsic` vs `--select validation`")
    add("")
    add(f"Generated by `{report['command_line']}` (JSON: `{report['json_path']}`).")
    add("")
    add(f"- lwnet {report['lwnet_version']} (commit {report['commit']}), {report['date']}; device `{report['device']}`; "
        f"machine: {report['machine']}; seeds {', '.join(str(s) for s in report['seeds'])}"
        + (" (mean over the seeds of each seed's fold mean and fold std)" if len(report["seeds"]) > 1 else "") + ".")
    add("- `hsic`: each layer's width by the training normalised HSIC (the paper's rule). `validation`: each layer's "
        "width, and whether to add the layer, by the predictor's (5-NN) accuracy on a seeded stratified held-out "
        f"{'fraction ' + str(fraction) if fraction is not None else 'part (lwnet default fraction)'} of the training "
        "set, ties broken by the held-out normalised HSIC, then refitted on the whole training set.")
    add("- digits: scikit-learn's digits (1797 × 64) in 10 stratified folds "
        f"(`bench/select/make_digits_folds.py`: StratifiedKFold, shuffle, random_state "
        f"{make_digits_folds.RANDOM_STATE}), product defaults. Paper sets: `lwnet cv --preset NAME` (the reference "
        "protocol) on the published folds. Fashion-MNIST: the full 60000 / 10000 split, product defaults, one fit.")
    add("- test accuracy and layers: mean ± population std over the 10 folds (one value for Fashion-MNIST); fit s: "
        "seconds of fit per fold. Reference: spec REFERENCE_RESULTS.md (the released 10-fold summaries of "
        "`endsley/NIK_Thm1_Release_V2`). 5-NN rows: scikit-learn `KNeighborsClassifier(5)` on features "
        "standardised with the training statistics, same folds.")
    add("")
    add("| data | rule | test acc | layers | fit s/fold | reference test acc (layers) |")
    add("|---|---|---|---|---|---|")
    for name in DATASETS:
        rows = report["results"].get(name)
        if rows is None:
            continue
        for rule in RULES:
            entry = rows.get(rule)
            if entry is None:
                continue
            if entry["status"] != "ok":
                status = "not run" if entry["status"] == "missing" else entry["status"]
                add(f"| {name} | {rule} | {status}: {cell(entry['error'])} | – | – | {reference_text(name)} |")
                continue
            s = entry["summary"]
            add(f"| {name} | {rule} | {accuracy_text(s)} | {layers_text(s)} | {s['fit_seconds_mean']:.3f} | "
                f"{reference_text(name)} |")
        context = report["context"].get(name)
        if context is not None:
            text = accuracy_text(context["summary"]) if context["status"] == "ok" else cell(context["error"])
            add(f"| {name} | 5-NN, standardised features | {text} | – | – | – |")
    add("")
    add(verdict(report)[1])
    add("")
    add("Reading the table: where `validation` keeps no layer the model is 5-NN on the standardised input, so its "
        "row equals the 5-NN row; that happens when no width of the first layer scores as well on held-out rows "
        "as the input itself. The paper's rule adds layers there that fit the training set (training accuracy "
        "near 1) and lose on the test set. The rule applied to choose the default is the issue's: `validation` "
        "becomes the default only if on no paper set it is worse than `hsic` by more than that set's reference "
        "std (a std of 0 tolerates no loss at all). `--preset` keeps the paper's rule whatever the default.")
    add("")
    return "\n".join(lines)


# docs/RESULTS.md holds the paper reproduction (bench/nik/reproduce_paper.py) and, after this
# marker, this script's section; each script rewrites its own part only.
SECTION_MARKER = "<!-- Layer selection: generated by bench/select/compare_selection.py --results-md -->"
BACKPROP_MARKER = "<!-- Backprop on Fashion-MNIST: generated by bench/net/compare_torch.py --results-md -->"


def write_atomically(path, text):
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=folder, prefix="." + os.path.basename(path) + ".")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


# ---------------------------------------------------------------- main


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", nargs="+", choices=DATASETS, default=DATASETS, metavar="NAME",
                        help="some of: " + " ".join(DATASETS))
    parser.add_argument("--rules", nargs="+", choices=RULES, default=RULES)
    parser.add_argument("--lwnet", default=os.path.join(ROOT, "build", "release", "bin", "lwnet"))
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--validation-fraction", type=float, default=None,
                        help="passed to the validation rows (default: lwnet's own)")
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds per lwnet run (default %(default)g)")
    parser.add_argument("--out", default=None, help="JSON results (default bench/results/select-<device>.json)")
    parser.add_argument("--markdown", default=None, help="also write the Markdown section to this file")
    parser.add_argument("--results-md", default=None,
                        help="put the section at the end of this report (docs/RESULTS.md), after the marker "
                             "line it keeps there, replacing what followed the marker")
    parser.add_argument("--merge", action="store_true", help="keep the entries of --out that this run does not redo")
    parser.add_argument("--no-context", action="store_true", help="skip the scikit-learn 5-NN rows")
    parser.add_argument("--data", default=os.path.normpath(os.path.join(ROOT, "..", "shared", "data", "nik")),
                        help="folder of the paper's folds (default %(default)s)")
    parser.add_argument("--digits-folds", default=make_digits_folds.DEFAULT_STEM,
                        help="DIR/NAME of the digits folds, written when absent (default %(default)s)")
    parser.add_argument("--fashion-dir", default=os.environ.get("FASHION_MNIST_DIR",
                                                                "/usr/share/datasets/fashion-mnist"))
    args = parser.parse_args()
    if args.timeout <= 0:
        parser.error("--timeout must be positive")
    if args.validation_fraction is not None and not 0 < args.validation_fraction < 1:
        parser.error("--validation-fraction must be in (0, 1)")
    return args


def main():
    args = parse_arguments()
    if not os.path.exists(args.lwnet):
        sys.exit(f"compare_selection: {args.lwnet} not found: build first (cmake --preset release && "
                 "cmake --build --preset release) or give --lwnet")
    out = args.out or os.path.join(ROOT, "bench", "results", f"select-{args.device.split(':')[0]}.json")
    select_supported = all(supports_option(args.lwnet, command, "--select") for command in ("cv", "train"))
    if args.validation_fraction is not None and select_supported and not supports_option(
            args.lwnet, "cv", "--validation-fraction"):
        sys.exit(f"compare_selection: {args.lwnet} has --select but no --validation-fraction")
    if not select_supported:
        print(f"compare_selection: {shown(args.lwnet)} has no --select option: hsic rows use its default rule, validation "
              "rows are recorded as missing", flush=True)

    version = subprocess.run([args.lwnet, "--version"], capture_output=True, text=True)
    report = {"results": {}, "context": {}}
    if args.merge and os.path.exists(out):
        with open(out) as f:
            earlier = json.load(f)
        for key, value in (("seeds", args.seeds), ("device", args.device),
                           ("validation_fraction", args.validation_fraction)):
            if earlier.get(key) != value:
                sys.exit(f"compare_selection: --merge: {out} was run with {key} {earlier.get(key)}, this run with "
                         f"{value}; give the same, or another --out")
        report["results"], report["context"] = earlier.get("results", {}), earlier.get("context", {})
    report.update(
        date=datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), commit=git_commit(),
        machine=machine_description(), lwnet=args.lwnet, device=args.device, seeds=args.seeds,
        lwnet_version=version.stdout.strip().split()[-1] if version.returncode == 0 and version.stdout.strip()
        else "unknown", select_supported=select_supported, validation_fraction=args.validation_fraction,
        json_path=shown(out), reference="spec REFERENCE_RESULTS.md (endsley/NIK_Thm1_Release_V2)",
        command_line=" ".join(["python3", shown(sys.argv[0]), *sys.argv[1:]]))

    def save():
        write_atomically(out, json.dumps(report, indent=1) + "\n")

    for name in (n for n in RUN_ORDER if n in args.datasets):
        for rule in args.rules:
            entry = run_rule(args, name, rule, select_supported)
            entry.update(date=report["date"], commit=report["commit"])  # --merge may mix runs of several builds
            report["results"].setdefault(name, {})[rule] = entry
            if entry["status"] == "ok":
                s = entry["summary"]
                print(f"  {name} {rule}: test {s['test_accuracy_mean']:.3f} ± {s['test_accuracy_std']:.3f}, layers "
                      f"{s['layers_mean']:.2f}, fit {s['fit_seconds_mean']:.3f} s/fold", flush=True)
            else:
                print(f"  {name} {rule}: {entry['status']}: {entry['error']}", flush=True)
            save()
        if name in ("digits", "fashion-mnist") and not args.no_context:
            print(f"5-NN on standardised features: {name}", flush=True)
            report["context"][name] = knn_context(args, name)
            context = report["context"][name]
            print(f"  {name} 5-NN: " + (f"test {context['summary']['test_accuracy_mean']:.3f}"
                                        if context["status"] == "ok" else context["error"]), flush=True)
            save()

    text = markdown(report)
    if args.markdown:
        write_atomically(args.markdown, text)
    if args.results_md:
        try:
            with open(args.results_md) as f:
                head = f.read()
        except FileNotFoundError:
            head = ""
        # A section that bench/net/compare_torch.py keeps after this one (from its marker on) stays.
        after = head.split(SECTION_MARKER, 1)[1] if SECTION_MARKER in head else ""
        kept = BACKPROP_MARKER + after.split(BACKPROP_MARKER, 1)[1] if BACKPROP_MARKER in after else ""
        head = head.split(SECTION_MARKER)[0].rstrip("\n")
        write_atomically(args.results_md, (head + "\n\n" if head else "") + SECTION_MARKER + "\n\n" + text +
                         ("\n" + kept if kept else ""))
    print()
    print(text)
    print(f"wrote {out}" + (f" and {args.markdown}" if args.markdown else ""))
    failed = [f"{name} {rule}" for name, rows in report["results"].items() for rule, entry in rows.items()
              if entry["status"] in ("failed", "timeout")]
    if failed:
        print("failed: " + ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
