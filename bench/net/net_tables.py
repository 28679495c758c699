"""Markdown tables of bench/net/compare_torch.py's JSON (bench/results/net-cpu*.json), for its own
output, docs/PERFORMANCE.md (bench/report/report.py) and docs/RESULTS.md. Standard library only."""

# Short column labels (compare_torch.py's FRAMEWORKS says what each run is).
LABELS = {"lwnet": "lwnet", "torch": "PyTorch",
          "torch_passive": "PyTorch (passive)", "torch_passive_blas_auto": "PyTorch (passive, BLAS auto)"}


def frameworks(doc):
    """Run kind -> column label, in the order they ran (files without the list have two)."""
    return {k: LABELS.get(k, v) for k, v in (doc.get("frameworks") or {"lwnet": "", "torch": ""}).items()}


def _seconds(v):
    return f"{v:.3f}" if isinstance(v, (int, float)) else "–"


def _load_range(entry, keys):
    loads = [run[k][0] for who in keys for run in entry.get(who, {}).get("runs", [])
             for k in ("load_average_before", "load_average_after") if run.get(k)]
    return f"{min(loads):.1f}–{max(loads):.1f}" if loads else "–"


def optimiser(settings):
    """'SGD lr 1 momentum 0.9 (lwnet's default lr)' and the like."""
    text = f"{settings.get('optimizer', 'sgd').replace('sgd', 'SGD').replace('adam', 'Adam')} lr {settings['lr']:g}"
    if settings.get("momentum") is not None:
        text += f" momentum {settings['momentum']:g}"
    if settings.get("lr_is_lwnet_default"):
        text += " (lwnet's default lr)"
    return text


def describe(doc):
    s, m = doc["settings"], doc.get("machine", {})
    where = (f"on CUDA ({m.get('gpu', '?')}; host {m.get('cpu', '?')})" if doc.get("device") == "cuda" else
             f"{doc['threads']} thread(s) in every framework; {m.get('cpu', '?')}, {m.get('cores', '?')} logical "
             "cores")
    return (f"Fashion-MNIST, {doc['n_train']} training / {doc['n_test']} test images; batch {s['batch_size']}, "
            f"{optimiser(s)}, init {s['init']}, seed {s['seed']}; {where}; "
            f"lwnet {doc['versions'].get('lwnet', '?')}, PyTorch {doc['versions'].get('torch', '?')}; "
            f"run {doc.get('date', '?')} (`{doc.get('command', '')}`).")


def speed_table(doc):
    """One row per architecture: median seconds per epoch of each run kind, then each lwnet run's
    median over each PyTorch run's."""
    fw = frameworks(doc)
    ours = [k for k in fw if k.startswith("lwnet")]
    theirs = [k for k in fw if not k.startswith("lwnet")]
    header = ["architecture", "epochs per run", "runs"] + [f"{fw[k]}: s/epoch" for k in fw]
    header += [f"{fw[a]} / {fw[b]}" for a in ours for b in theirs]
    header.append("1-min load average")
    rows = []
    for a in doc["archs"]:
        median = {k: a.get(k, {}).get("median_epoch_seconds") for k in fw}
        cells = [f"`{a['arch']}`", str(a["epochs"]), str(len(a["lwnet"]["runs"]))]
        cells += [_seconds(median[k]) for k in fw]
        cells += [f"**{median[x] / median[y]:.2f}**" if median[x] and median[y] else "–" for x in ours for y in theirs]
        cells.append(_load_range(a, fw))
        rows.append(cells)
    return _table(header, rows)


def accuracy_table(doc):
    """Test accuracy after each epoch, one column per (architecture, framework): each framework's first run."""
    fw = frameworks(doc)
    columns = [(a, k) for a in doc["archs"] for k in fw if a.get(k, {}).get("runs")]
    header = ["epoch"] + [f"`{a['arch']}` {fw[k]}" for a, k in columns]
    most = max((len(a[k]["runs"][0]["epochs"]) for a, k in columns), default=0)
    rows = []
    for e in range(most):
        cells = [str(e + 1)]
        for a, k in columns:
            eps = a[k]["runs"][0]["epochs"]
            cells.append(f"{eps[e]['test_accuracy']:.4f}" if e < len(eps) else "")
        rows.append(cells)
    return _table(header, rows)


# Issue 11's goals: lwnet at least as fast as PyTorch per epoch, and these test accuracies.
ACCURACY_GOALS = {"dense": 0.88, "conv": 0.90}
FULL_TRAINING_SET = 60000  # Fashion-MNIST's; the accuracy goals are judged on it alone


def goals(doc):
    """A bullet per architecture: lwnet's speed against the fastest PyTorch run kind, and the test
    accuracy its (first) run reached against the issue's goal."""
    fw = frameworks(doc)
    lines = []
    for a in doc["archs"]:
        ours = a.get("lwnet", {})
        theirs = {k: a[k]["median_epoch_seconds"] for k in fw
                  if not k.startswith("lwnet") and a.get(k, {}).get("median_epoch_seconds")}
        parts = []
        if ours.get("median_epoch_seconds") and theirs:
            best = min(theirs, key=theirs.get)
            ratio = ours["median_epoch_seconds"] / theirs[best]
            parts.append(f"lwnet's epoch took {ratio:.2f} of the fastest PyTorch's ({fw[best]}, "
                         f"{_seconds(ours['median_epoch_seconds'])} s against {_seconds(theirs[best])} s): "
                         + ("at least as fast, met" if ratio <= 1.0 else "slower, not met"))
        goal = ACCURACY_GOALS.get(a["arch"].split(":")[0])
        if ours.get("runs") and goal:
            eps = ours["runs"][0]["epochs"]
            last = eps[-1]["test_accuracy"]
            peak = max(eps, key=lambda e: e["test_accuracy"])
            text = f"test accuracy {last:.4f} after {len(eps)} epoch(s)"
            if peak["test_accuracy"] > last:
                text += f" (best {peak['test_accuracy']:.4f}, epoch {peak['epoch']})"
            torch_runs = [(k, a[k]["runs"][0]["epochs"]) for k in theirs if a[k].get("runs")]
            if torch_runs:
                k, t = torch_runs[0]
                text += f", {fw[k]} {t[-1]['test_accuracy']:.4f}"
            if doc.get("n_train", 0) < FULL_TRAINING_SET:
                parts.append(text + f" (on {doc.get('n_train')} images: the accuracy goal is for the full set)")
            else:
                reached = max(e["test_accuracy"] for e in eps) >= goal
                parts.append(text + f"; goal ~{goal:.2f}: " + ("reached" if reached else "not reached"))
        if parts:
            lines.append(f"- `{a['arch']}`: " + "; ".join(parts) + ".")
    return "\n".join(lines)


def commands(doc):
    """The command of every run, in the order they ran within each architecture."""
    lines = []
    for a in doc["archs"]:
        for k in frameworks(doc):
            for run in a.get(k, {}).get("runs", []):
                lines.append(run["command"])
    return "```\n" + "\n".join(lines) + "\n```"


def _table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out)


# docs/RESULTS.md: bench/nik/reproduce_paper.py writes its head, bench/select/compare_selection.py
# the part after its marker; this section sits between these markers at the end and is rewritten
# in place (compare_selection.py keeps it).
RESULTS_BEGIN = "<!-- Backprop on Fashion-MNIST: generated by bench/net/compare_torch.py --results-md -->"
RESULTS_END = "<!-- end of the backprop section -->"


def results_section(docs):
    """The docs/RESULTS.md section of one or more runs: [(doc, its JSON path)], the main run first."""
    (doc, json_path), more = docs[0], docs[1:]
    lines = [
        RESULTS_BEGIN, "", "## Backprop on Fashion-MNIST (issue 11)", "",
        "Generated by `/usr/bin/python3 bench/net/compare_torch.py --from-json "
        + " --from-json ".join(p for _, p in docs) + " --results-md docs/RESULTS.md` from the runs below.", "",
        "Networks trained by backprop (`lwnet train --method backprop`) with the defaults (NTK "
        "parameterisation, SGD with momentum 0.9 at lwnet's default learning rate for it, 1, batches of 100, "
        "softmax cross-entropy, inputs standardised with the training statistics), "
        "next to PyTorch running the same definitions (`bench/net/compare_torch.py`); the two draw different "
        "random numbers (initial weights, batch order) from the same distributions. The thread count is "
        "OMP_NUM_THREADS, from which lwnet's CPU backend and PyTorch both take theirs.", ""]
    for k, (d, path) in enumerate(docs):
        if k:
            on = ", on CUDA" if d.get("device") == "cuda" else ""
            lines += [f"### {d['n_train']} training images, {optimiser(d['settings'])}{on}, run {d.get('date', '?')}", ""]
        lines += [f"`{path}`: {describe(d)}", "", f"Test accuracy on the {d['n_test']} test images after each epoch:",
                  "", accuracy_table(d), "",
                  "Median training seconds per epoch (each run's first epoch left out; docs/PERFORMANCE.md, "
                  "\"Trained networks (backprop) on the CPU\"):", "", speed_table(d), "",
                  "Against the issue's goals (lwnet at least as fast as PyTorch; test accuracy ~0.88 for the "
                  "dense net, ~0.90 for the conv net):", "", goals(d), "",
                  "The command of every run:", "", commands(d), ""]
    lines += [RESULTS_END, ""]
    return "\n".join(lines)


def write_results_md(path, section):
    """Replaces the section between the markers, or appends it; an atomic rewrite."""
    import os
    import tempfile
    try:
        with open(path) as f:
            text = f.read()
    except FileNotFoundError:
        text = ""
    if RESULTS_BEGIN in text and RESULTS_END in text:
        head, rest = text.split(RESULTS_BEGIN, 1)
        tail = rest.split(RESULTS_END, 1)[1].lstrip("\n")
        text = head + section + tail
    else:
        text = text.rstrip("\n") + "\n\n" + section
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix="." + os.path.basename(path) + ".")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)
