#!/usr/bin/env python3
"""Renders lwnet's performance report: docs/PERFORMANCE.md and a throughput plot.

Inputs (all optional; a missing or unreadable file is a one-line message and the report renders
with what exists):
  --micro FILE      Google Benchmark JSON of build/release/bench/lwnet_bench
                    (--benchmark_out=FILE --benchmark_out_format=json); repeatable, e.g. one file
                    from a CPU-only machine and one from a GPU machine.
                    Default: bench/results/micro-cpu.json.
  --baselines FILE  JSON of bench/baselines/baselines.py; repeatable.
                    Default: bench/results/baselines-cpu.json.
  --template FILE   Markdown with the placeholders {{machine}}, {{micro_tables}},
                    {{baseline_table}}, {{ceilings}}, {{commands}}, {{plot}}, {{fashion}},
                    {{fold_profile}}, {{load}} and {{net_cpu}}.
                    Default: bench/report/PERFORMANCE.in.md.
Outputs: --out-md (default docs/PERFORMANCE.md) and --plot (default docs/performance.png): kernel
entries per second against n for kernel_matmul at the --plot-shapes (default d:c = 16:2 and
784:10), one line per (library, device), the device's per-shape ceiling as a horizontal line,
OOM baselines as an 'x' at the bottom of the axis.

Default paths are relative to the repository root; paths given on the command line are relative
to the current directory.

  /usr/bin/python3 bench/report/report.py
  /usr/bin/python3 bench/report/report.py --micro bench/results/micro-cpu.json \\
      --micro bench/results/micro-cuda.json --baselines bench/results/baselines-cpu.json \\
      --baselines bench/results/baselines-cuda.json

Needs only the standard library, plus matplotlib for the plot (without it the Markdown is still
written, with a note in place of the plot).
"""

import argparse
import json
import math
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_MICRO = "bench/results/micro-cpu.json"
DEFAULT_BASELINES = "bench/results/baselines-cpu.json"
DEFAULT_TEMPLATE = "bench/report/PERFORMANCE.in.md"
DEFAULT_OUT_MD = "docs/PERFORMANCE.md"
DEFAULT_PLOT = "docs/performance.png"
DEFAULT_PLOT_SHAPES = ("16:2", "784:10")
PRIMITIVE_ORDER = ("kernel_matmul", "layer_sums", "hsic_labels", "knn", "gram")
PRIMITIVE_NOTES = {
    "kernel_matmul": "out = K(X, X) B with a dense B, entries = n^2",
    "layer_sums": "K(X, X) W with W the one-hot classes (a layer's training pass), entries = n^2; the CPU "
                  "evaluates each pair of rows once (K is symmetric), so of_ceiling can exceed 1",
    "hsic_labels": "normalised HSIC against c classes, one fused pass (K [Y 1] and sum K^2), entries = n^2; "
                   "symmetric on the CPU as layer_sums",
    "knn": "5 nearest rows of X for every row, entries = n^2",
    "gram": "the materialised n x n Gaussian Gram matrix, entries = n^2",
}
BACKEND_ORDER = ("cpu", "cuda")
LIBRARY_ORDER = ("numpy+sklearn", "torch", "pykeops")
TIME_UNITS = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}
REEXEC_GUARD = "LWNET_REPORT_REEXEC"
PROG = "report.py"


def say(msg):
    print(f"{PROG}: {msg}", file=sys.stderr)


def reexec_for_matplotlib():
    """The shebang may find a python without matplotlib: re-run with one that has it."""
    try:
        import matplotlib  # noqa: F401
        return
    except ImportError:
        pass
    if os.environ.get(REEXEC_GUARD):
        return
    for candidate in ("/usr/bin/python3", "/usr/local/bin/python3"):
        if not os.path.exists(candidate) or os.path.realpath(candidate) == os.path.realpath(sys.executable):
            continue
        if subprocess.run([candidate, "-c", "import matplotlib"], stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL).returncode == 0:
            say(f"{sys.executable} has no matplotlib; re-running with {candidate}")
            os.environ[REEXEC_GUARD] = "1"
            os.execv(candidate, [candidate, os.path.abspath(__file__)] + sys.argv[1:])


# ----------------------------------------------------------------------------------------------
# Formatting
# ----------------------------------------------------------------------------------------------

def fmt_rate(v):
    if v is None or not isinstance(v, (int, float)) or not math.isfinite(v) or v <= 0:
        return "–"
    e = int(math.floor(math.log10(v)))
    m = v / 10 ** e
    if round(m, 2) >= 10:
        m, e = m / 10, e + 1
    return f"{m:.2f}e{e}"


def fmt_ms(v):
    if v is None:
        return "–"
    if v >= 100:
        return f"{v:.0f}"
    if v >= 1:
        return f"{v:.3g}" if v < 10 else f"{v:.1f}"
    return f"{v:.3g}"


def fmt_ratio(v):
    if v is None or not math.isfinite(v):
        return "–"
    return f"{v:.0f}×" if v >= 100 else f"{v:.3g}×"


def md_cell(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


def md_table(header, rows):
    out = ["| " + " | ".join(md_cell(h) for h in header) + " |",
           "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(md_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


def short_status(status):
    """A status for a table cell: 'OOM: needs ~40.0 GB, limit ... (MemoryError)' -> 'OOM (needs ~40.0 GB)'."""
    s = str(status)
    m = re.match(r"OOM: needs ~([\d.]+ [GM]B)", s)
    if m:
        return f"OOM (needs ~{m.group(1)})"
    if s.startswith("OOM"):
        return "OOM"
    if s.startswith("skipped"):
        m = re.match(r"skipped: estimated ([\d.e+]+)s", s)
        return f"skipped (est. {m.group(1)} s)" if m else "skipped"
    if s.startswith("unavailable"):
        return "unavailable"
    if s.startswith("error"):
        return "error"
    return s[:40]


def order_key(value, order):
    return (order.index(value), "") if value in order else (len(order), str(value))


# ----------------------------------------------------------------------------------------------
# Loading
# ----------------------------------------------------------------------------------------------

def salvage_benchmark_json(text):
    """A Google Benchmark file cut short (the run was stopped) ends inside its "benchmarks" list:
    keep the context and every complete entry. Returns None when nothing can be kept."""
    dec = json.JSONDecoder()
    m = re.search(r'"context"\s*:\s*', text)
    b = re.search(r'"benchmarks"\s*:\s*\[', text)
    if not b:
        return None
    ctx = {}
    if m:
        try:
            ctx = dec.raw_decode(text, m.end())[0]
        except ValueError:
            ctx = {}
    entries, pos = [], b.end()
    while True:
        while pos < len(text) and text[pos] in " \t\r\n,":
            pos += 1
        if pos >= len(text) or text[pos] != "{":
            break
        try:
            obj, pos = dec.raw_decode(text, pos)
        except ValueError:
            break
        entries.append(obj)
    return {"context": ctx, "benchmarks": entries} if entries else None


def load_json(path, what, salvage=False):
    try:
        with open(path) as f:
            text = f.read()
    except FileNotFoundError:
        say(f"{what} {path} not found; the report leaves it out")
        return None
    except OSError as e:
        say(f"{what} {path} could not be read ({e.strerror or e}); the report leaves it out")
        return None
    try:
        return json.loads(text)
    except ValueError as e:
        doc = salvage_benchmark_json(text) if salvage else None
        if doc is not None:
            say(f"{what} {path} is cut short ({e}); using its {len(doc['benchmarks'])} complete entries")
            return doc
        say(f"{what} {path} is not valid JSON ({e}); the report leaves it out")
    return None


def parse_micro_name(name):
    """'kernel_matmul/cpu/n:1000/d:2/c:2/real_time' -> (['kernel_matmul', 'cpu'], {'n': 1000, ...})."""
    parts, args = [], {}
    for comp in name.split("/"):
        if ":" in comp:
            k, _, v = comp.partition(":")
            try:
                args[k] = int(v)
            except ValueError:
                args[k] = v
        elif comp not in ("real_time", "process_time", "manual_time") and not comp.startswith("real_time_"):
            parts.append(comp)
    return parts, args


def number(b, *keys):
    for k in keys:
        v = b.get(k)
        if isinstance(v, (int, float)) and math.isfinite(v):
            return float(v)
    return None


def load_micro(path):
    """Returns {"path", "context", "records": [...], "ceilings": {backend: {"exp": r, "fma": r}}}."""
    doc = load_json(path, "micro-benchmark results", salvage=True)
    if doc is None:
        return None
    if not isinstance(doc, dict) or not isinstance(doc.get("benchmarks"), list):
        say(f"micro-benchmark results {path} have no 'benchmarks' list; the report leaves them out")
        return None
    ctx = doc.get("context") or {}
    host = str(ctx.get("host_name") or Path(path).stem)
    groups = {}  # run name -> {"iterations": [...], "median": b}
    order = []
    for b in doc["benchmarks"]:
        if not isinstance(b, dict) or "name" not in b:
            continue
        run = b.get("run_name") or b["name"]
        if run not in groups:
            groups[run] = {"iterations": [], "median": None}
            order.append(run)
        if b.get("run_type", "iteration") == "aggregate":
            if b.get("aggregate_name") == "median":
                groups[run]["median"] = b
        else:
            groups[run]["iterations"].append(b)
    records = []
    ceilings = {}
    for run in order:
        g = groups[run]
        if g["median"] is not None:
            b = g["median"]
        elif g["iterations"]:
            its = sorted(g["iterations"], key=lambda x: number(x, "real_time") or 0.0)
            b = its[(len(its) - 1) // 2]
        else:
            continue
        parts, args = parse_micro_name(run)
        if len(parts) < 2:
            continue
        if parts[0] == "ceiling":
            if len(parts) >= 3 and number(b, "per_second") is not None:
                ceilings.setdefault(parts[1], {})[parts[2]] = number(b, "per_second")
            continue
        rec = {"primitive": parts[0], "backend": parts[1], "host": host, "n": args.get("n"), "d": args.get("d"),
               "c": args.get("c", 0), "status": "ok", "time_ms": None,
               "entries_per_second": number(b, "entries_per_second", "entries/s"),
               "ceiling": number(b, "ceiling_entries_per_second"), "of_ceiling": number(b, "of_ceiling"),
               "gflops": number(b, "GFLOP_per_second")}
        if b.get("error_occurred"):
            msg = str(b.get("error_message") or "error")
            rec["status"] = msg if msg.startswith("skipped") else f"error: {msg}"
            rec["entries_per_second"] = rec["of_ceiling"] = None
        else:
            t = number(b, "real_time")
            unit = TIME_UNITS.get(b.get("time_unit", "ns"), 1e-6)
            rec["time_ms"] = t * unit if t is not None else None
        records.append(rec)
    for key, name in (("cpu_ceiling_exp_per_s", "exp"), ("cpu_ceiling_fma_per_s", "fma")):
        if name not in ceilings.get("cpu", {}):
            try:
                v = float(ctx.get(key))
                if math.isfinite(v) and v > 0:
                    ceilings.setdefault("cpu", {})[name] = v
            except (TypeError, ValueError):
                pass
    return {"path": path, "context": ctx, "records": records, "ceilings": ceilings}


def load_baselines(path):
    doc = load_json(path, "baseline results")
    if doc is None:
        return None
    if not isinstance(doc, dict) or not isinstance(doc.get("results"), list):
        say(f"baseline results {path} have no 'results' list; the report leaves them out")
        return None
    doc["path"] = path
    doc["host"] = (doc.get("machine") or {}).get("host")  # None in files without it
    return doc


# ----------------------------------------------------------------------------------------------
# Sections
# ----------------------------------------------------------------------------------------------

def display_path(path):
    p = Path(path).resolve()
    try:
        return str(p.relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


def section_machine(micros, baselines):
    lines = []
    for m in micros:
        ctx = m["context"]
        bits = []
        if ctx.get("host_name"):
            bits.append(f"host `{ctx['host_name']}`")
        if ctx.get("num_cpus"):
            mhz = f" @ {ctx['mhz_per_cpu']} MHz" if ctx.get("mhz_per_cpu") else ""
            bits.append(f"{ctx['num_cpus']} CPUs{mhz}")
        caches = ctx.get("caches")
        if isinstance(caches, list) and caches:
            cs = []
            for c in caches:
                try:
                    size = int(c.get("size", 0))
                    label = f"L{c.get('level')}{'d' if c.get('type') == 'Data' else 'i' if c.get('type') == 'Instruction' else ''}"
                    cs.append(f"{label} {size // 1024} KiB" + (f" ×{c['num_sharing']}" if c.get("num_sharing", 0) > 1 else ""))
                except (TypeError, ValueError, AttributeError):
                    pass
            if cs:
                bits.append("caches " + ", ".join(cs))
        if ctx.get("cpu_backend"):
            bits.append(f"CPU backend: {ctx['cpu_backend']}")
        if ctx.get("cuda"):
            bits.append(f"CUDA: {ctx['cuda']}")
        if ctx.get("library_build_type"):
            bits.append(f"benchmark library build: {ctx['library_build_type']}")
        if ctx.get("date"):
            bits.append(f"run {ctx['date']}")
        lines.append(f"- lwnet micro-benchmarks (`{display_path(m['path'])}`): " + "; ".join(bits))
    for b in baselines:
        mach = b.get("machine") or {}
        ver = b.get("versions") or {}
        bits = []
        if mach.get("cpu"):
            bits.append(f"{mach['cpu']}, {mach.get('cores', '?')} cores, {mach.get('memory_gb', '?')} GB")
        bits.append(f"GPU: {mach.get('gpu') or 'none'}")
        vs = ", ".join(f"{k} {v}" if not str(v).startswith("unavailable") else f"{k} unavailable"
                       for k, v in ver.items() if v is not None)
        if vs:
            bits.append(vs)
        if b.get("date"):
            bits.append(f"run {b['date']}")
        for note in b.get("notes") or []:
            bits.append(str(note))
        lines.append(f"- baselines (`{display_path(b['path'])}`): " + "; ".join(bits))
    return "\n".join(lines) if lines else "_No result files were found._"


def merged_micro_records(micros):
    """(primitive, backend, host, n, d, c) -> record; a later file wins."""
    out = {}
    for m in micros:
        for r in m["records"]:
            out[(r["primitive"], r["backend"], r["host"], r["n"], r["d"], r["c"])] = r
    return out


def micro_hosts(micros):
    """backend -> sorted hosts that measured it (one machine per host name)."""
    hosts = {}
    for m in micros:
        for r in m["records"]:
            hosts.setdefault(r["backend"], set()).add(r["host"])
    return {k: sorted(v) for k, v in hosts.items()}


def device_label(backend, host, hosts):
    """'cpu', or 'cpu (host)' when results of several machines have that backend."""
    return backend if len(hosts.get(backend, [])) <= 1 else f"{backend} ({host})"


def section_micro_tables(micros):
    recs = merged_micro_records(micros)
    if not recs:
        return "_No micro-benchmark results._"
    hosts = micro_hosts(micros)
    groups = {}
    for r in recs.values():
        groups.setdefault((r["primitive"], r["backend"], r["host"]), []).append(r)
    blocks = []
    for prim, backend, host in sorted(groups, key=lambda k: (order_key(k[0], PRIMITIVE_ORDER),
                                                             order_key(k[1], BACKEND_ORDER), k[2])):
        rows = []
        for r in sorted(groups[(prim, backend, host)], key=lambda r: (r["n"] or 0, r["d"] or 0, r["c"] or 0)):
            if r["status"] != "ok":
                rows.append([r["n"], r["d"], r["c"], r["status"], "–", "–"])
                continue
            pct = f"{100 * r['of_ceiling']:.1f}%" if r["of_ceiling"] is not None else "–"
            rows.append([r["n"], r["d"], r["c"], fmt_ms(r["time_ms"]), fmt_rate(r["entries_per_second"]), pct])
        note = PRIMITIVE_NOTES.get(prim)
        title = f"#### {prim} on {device_label(backend, host, hosts)}" + (f" ({note})" if note else "")
        blocks.append(title + "\n\n" + md_table(["n", "d", "c", "time (ms)", "entries/s", "of ceiling"], rows))
    return "\n\n".join(blocks)


def baseline_results(baselines):
    """(library, device, host, primitive, n, d, c) -> result; a later file wins."""
    out = {}
    for b in baselines:
        for r in b["results"]:
            try:
                out[(r["library"], r["device"], b["host"], r["primitive"], r["n"], r["d"], r.get("c") or 0)] = r
            except KeyError:
                continue
    return out


def pair_hosts(micros, baselines):
    """[(device, baseline host, lwnet host or None)]: the lwnet results each baseline group is set
    against, those of the same machine (host name) where there are, else the only ones there are."""
    hosts = micro_hosts(micros)
    pairs = []
    for device, bhost in sorted({(k[1], k[2]) for k in baseline_results(baselines)},
                                key=lambda p: (order_key(p[0], BACKEND_ORDER), str(p[1]))):
        lw = hosts.get(device, [])
        if bhost in lw:
            pairs.append((device, bhost, bhost))
        elif len(lw) == 1:
            pairs.append((device, bhost, lw[0]))
        else:
            pairs.append((device, bhost, None))
    return pairs


def section_baseline_table(micros, baselines):
    recs = merged_micro_records(micros)
    base = baseline_results(baselines)
    if not recs or not base:
        missing = "micro-benchmark" if not recs else "baseline"
        return f"_No comparison: no {missing} results were found._"
    blocks = []
    several = len({p[1] for p in pair_hosts(micros, baselines)}) > 1
    for device, bhost, lhost in pair_hosts(micros, baselines):
        title = f"#### {device}" + (f", baselines on {bhost}" if several and bhost else "")
        if lhost is None:
            why = f"from the same machine ({bhost})" if bhost else "to pair with: the baselines file names no host"
            blocks.append(f"{title}\n\n_No lwnet {device} results {why}; lwnet {device} ran on "
                          f"{', '.join(micro_hosts(micros).get(device, [])) or 'no machine'}._")
            continue
        if bhost and bhost != lhost:
            title += f" (lwnet measured on {lhost}, the baselines on {bhost}: different machines)"
        keys = [k for k in base if k[1] == device and k[2] == bhost]
        libs = sorted({k[0] for k in keys}, key=lambda l: order_key(l, LIBRARY_ORDER))
        shapes = sorted({k[3:] for k in keys if (k[3], device, lhost) + k[4:] in recs},
                        key=lambda s: (order_key(s[0], PRIMITIVE_ORDER), s[1], s[2], s[3]))
        if not shapes:
            blocks.append(f"{title}\n\n_No shape was measured both by lwnet and by a baseline._")
            continue
        header = ["primitive", "n", "d", "c", "lwnet entries/s"]
        for lib in libs:
            header += [f"{lib} entries/s", f"lwnet / {lib}"]
        rows = []
        for prim, n, d, c in shapes:
            r = recs[(prim, device, lhost, n, d, c)]
            lw = r["entries_per_second"] if r["status"] == "ok" else None
            row = [prim, n, d, c, fmt_rate(lw) if lw else short_status(r["status"])]
            for lib in libs:
                b = base.get((lib, device, bhost, prim, n, d, c))
                if b is None:
                    row += ["–", "–"]
                elif b.get("status") == "ok" and b.get("entries_per_second"):
                    bl = b["entries_per_second"]
                    row += [fmt_rate(bl), fmt_ratio(lw / bl) if lw else "–"]
                else:
                    row += [short_status(b.get("status")), "–"]
            rows.append(row)
        blocks.append(title + "\n\n" + md_table(header, rows))
    errs = [r.get("max_rel_error") for r in base.values() if r.get("status") == "ok" and r.get("max_rel_error") is not None]
    if errs:
        blocks.append(f"Every baseline result was checked against a float64 oracle: the largest relative error "
                      f"over all cases is {max(errs):.1e} (the `max_rel_error` field of the JSON).")
    return "\n\n".join(blocks)


def section_ceilings(micros):
    lines = []
    for m in micros:
        cpu = m["ceilings"].get("cpu", {})
        exp_rate, fma_rate = cpu.get("exp"), cpu.get("fma")
        src = display_path(m["path"])
        if exp_rate and fma_rate:
            lines.append(f"CPU (`{src}`): exponentials {fmt_rate(exp_rate)}/s and float32 FMAs "
                         f"{fmt_rate(fma_rate)}/s on all threads, measured at start-up. A kernel entry "
                         f"costs one exponential and about d + c + 2 FMAs, which share the vector pipes, so")
            lines.append("")
            lines.append("    ceiling(d, c) = 1 / (1/exp_rate + (d + c + 2)/fma_rate)  entries/s")
            lines.append("")
            rows = []
            for d in (2, 16, 64, 784):
                row = [d]
                for c in (2, 10):
                    row.append(fmt_rate(1.0 / (1.0 / exp_rate + (d + c + 2) / fma_rate)))
                rows.append(row)
            lines.append(md_table(["d", "c = 2", "c = 10"], rows))
            lines.append("")
        else:
            lines.append(f"CPU (`{src}`): no exp/FMA rates in this file.")
            lines.append("")
        gpu = {}
        for r in m["records"]:
            if r["backend"] != "cpu" and r["ceiling"] and r["primitive"] == "kernel_matmul":
                gpu.setdefault(r["backend"], {})[(r["d"], r["c"])] = r["ceiling"]
        for backend, shapes in sorted(gpu.items()):
            ex = ", ".join(f"d = {d}, c = {c}: {fmt_rate(v)}" for (d, c), v in sorted(shapes.items())[:4])
            lines.append(f"{backend} (`{src}`): the per-shape ceiling reported by the benchmark "
                         f"(ceiling_entries_per_second of kernel_matmul; e.g. {ex} entries/s).")
            lines.append("")
    return "\n".join(lines).strip() if lines else "_No ceilings: no micro-benchmark results._"


def section_commands(micros, baselines):
    lines = []
    for m in micros:
        ctx = m["context"]
        cmd = ctx.get("command") or ctx.get("executable")
        lines.append(f"# {display_path(m['path'])}" + (f" (run {ctx['date']})" if ctx.get("date") else ""))
        if cmd:
            lines.append(cmd if ctx.get("command") else
                         f"{cmd} --benchmark_out={display_path(m['path'])} --benchmark_out_format=json"
                         "   # the JSON names the executable only, not its other arguments")
        else:
            lines.append("(no command recorded)")
    for b in baselines:
        cmd = b.get("command")
        lines.append(f"# {display_path(b['path'])}" + (f" (run {b['date']})" if b.get("date") else ""))
        if isinstance(cmd, list):
            lines.append("python3 " + shlex.join(str(c) for c in cmd))
        elif cmd:
            lines.append(str(cmd))
        else:
            lines.append("(no command recorded)")
    if not lines:
        return "_No result files were found._"
    return "```\n" + "\n".join(lines) + "\n```"


# ----------------------------------------------------------------------------------------------
# Plot
# ----------------------------------------------------------------------------------------------

def parse_shape(text):
    m = re.fullmatch(r"\s*(\d+)\s*[:x,]\s*(\d+)\s*", text)
    if not m:
        raise argparse.ArgumentTypeError(f"a shape is d:c, e.g. 16:2 (got {text!r})")
    return int(m.group(1)), int(m.group(2))


def series_for_shape(micros, baselines, d, c, primitive="kernel_matmul"):
    """{label: {"points": [(n, rate)], "oom": [n]}}, {device label: ceiling}."""
    series, ceilings = {}, {}
    hosts = micro_hosts(micros)
    for key, r in merged_micro_records(micros).items():
        prim, backend, host, n, rd, rc = key
        if prim != primitive or rd != d or rc != c:
            continue
        label = device_label(backend, host, hosts)
        s = series.setdefault(f"lwnet {label}", {"points": [], "oom": []})
        if r["status"] == "ok" and r["entries_per_second"]:
            s["points"].append((n, r["entries_per_second"]))
        if r["ceiling"]:
            ceilings[label] = r["ceiling"]
    base = baseline_results(baselines)
    bhosts = {}
    for k in base:
        bhosts.setdefault(k[1], set()).add(k[2])
    for key, r in base.items():
        lib, dev, host, prim, n, rd, rc = key
        if prim != primitive or rd != d or rc != c:
            continue
        status = str(r.get("status"))
        if status.startswith("unavailable"):
            continue
        label = f"{lib} {dev}" + (f" ({host or 'unknown host'})" if len(bhosts[dev]) > 1 else "")
        s = series.setdefault(label, {"points": [], "oom": []})
        if status == "ok" and r.get("entries_per_second"):
            s["points"].append((n, r["entries_per_second"]))
        elif status.startswith("OOM"):
            s["oom"].append(n)
    return {k: v for k, v in series.items() if v["points"] or v["oom"]}, ceilings


def make_plot(micros, baselines, shapes, path):
    """Writes the PNG; returns None or the reason it was not written."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except Exception as e:  # noqa: BLE001
        return f"matplotlib unavailable ({type(e).__name__}: {e})"
    data = [(d, c) + series_for_shape(micros, baselines, d, c) for d, c in shapes]
    if not any(s for _, _, s, _ in data):
        return f"no kernel_matmul results at the plotted shapes ({', '.join(f'd={d}, c={c}' for d, c in shapes)})"
    labels = sorted({k for _, _, s, _ in data for k in s},
                    key=lambda l: (0, "", l) if l.startswith("lwnet") else (1, order_key(l.split()[0], LIBRARY_ORDER), l))
    cmap = plt.get_cmap("tab10")
    colours = {l: cmap(i % 10) for i, l in enumerate(labels)}
    markers = {"numpy+sklearn": "s", "torch": "^", "pykeops": "D"}
    fig, axes = plt.subplots(1, len(data), figsize=(6.2 * len(data), 4.8), squeeze=False)
    for ax, (d, c, series, ceilings) in zip(axes[0], data):
        values = [v for s in series.values() for _, v in s["points"]] + list(ceilings.values())
        ns = [n for s in series.values() for n, _ in s["points"]] + [n for s in series.values() for n in s["oom"]]
        if not values:
            ax.text(0.5, 0.5, "no results", ha="center", va="center", transform=ax.transAxes)
        lo = min(values) / 40 if values else 1.0
        hi = max(values) * 3 if values else 10.0
        oom_level = lo * 1.5
        for label in labels:
            s = series.get(label)
            if not s:
                continue
            pts = sorted(s["points"])
            ours = label.startswith("lwnet")
            marker = "o" if ours else markers.get(label.split()[0], "v")
            if pts:
                ax.plot([p[0] for p in pts], [p[1] for p in pts], marker=marker, ms=5, lw=2.6 if ours else 1.4,
                        color=colours[label], label=label)
            if s["oom"]:  # an x at the bottom, each series a step higher so that they do not hide each other
                ax.plot(s["oom"], [oom_level] * len(s["oom"]), linestyle="none", marker="x", ms=8, mew=2,
                        color=colours[label], label=None if pts else f"{label} (OOM only)")
                for n in s["oom"]:
                    ax.annotate(f"OOM {label}", (n, oom_level), textcoords="offset points", xytext=(-6, 0),
                                ha="right", va="center", fontsize=6.5, color=colours[label])
                oom_level *= 1.9
        for dev, ceil in sorted(ceilings.items()):
            colour = colours.get(f"lwnet {dev}", "black")
            ax.axhline(ceil, color=colour, lw=1.2, ls=":", alpha=0.9)
            ax.annotate(f"{dev} ceiling", (1, ceil), xycoords=("axes fraction", "data"), ha="right", va="bottom",
                        fontsize=8, color=colour, xytext=(-4, 2), textcoords="offset points")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_ylim(lo, hi)
        if ns:
            ax.set_xlim(min(ns) / 1.6, max(ns) * 1.6)
        ax.set_xlabel("n (rows of X)")
        ax.set_ylabel("kernel entries per second")
        ax.set_title(f"kernel_matmul, d = {d}, c = {c}")
        ax.grid(True, which="major", alpha=0.3)
    # One legend for all subplots, below them.
    handles = {}
    for ax in axes[0]:
        for h, l in zip(*ax.get_legend_handles_labels()):
            handles.setdefault(l, h)
    ncol = min(len(handles), 4) or 1
    rows = math.ceil(len(handles) / ncol) if handles else 0
    if handles:
        fig.legend(list(handles.values()), list(handles.keys()), loc="lower center", ncol=ncol, fontsize=9,
                   frameon=False)
    fig.tight_layout(rect=(0, 0.05 * rows + 0.02, 1, 1))
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return None


# ----------------------------------------------------------------------------------------------
# Main
# ----------------------------------------------------------------------------------------------

def parse_args(argv):
    p = argparse.ArgumentParser(
        prog=PROG,
        description="Render docs/PERFORMANCE.md (tables) and docs/performance.png (throughput plot) from\n"
                    "lwnet's micro-benchmark JSON (Google Benchmark) and the baselines' JSON\n"
                    "(bench/baselines/baselines.py). Missing inputs are reported in one line and left out.",
        epilog="Default paths are relative to the repository root, given ones to the current directory.\n"
               "example:\n"
               "  /usr/bin/python3 bench/report/report.py --micro bench/results/micro-cpu.json \\\n"
               "      --micro bench/results/micro-cuda.json --baselines bench/results/baselines-cpu.json",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--micro", action="append", metavar="FILE",
                   help=f"Google Benchmark JSON of lwnet_bench; repeatable (default: {DEFAULT_MICRO})")
    p.add_argument("--baselines", action="append", metavar="FILE",
                   help=f"JSON of baselines.py; repeatable (default: {DEFAULT_BASELINES})")
    p.add_argument("--template", metavar="FILE", help=f"Markdown template (default: {DEFAULT_TEMPLATE})")
    p.add_argument("--out-md", metavar="FILE", help=f"Markdown written (default: {DEFAULT_OUT_MD})")
    p.add_argument("--plot", metavar="FILE", help=f"PNG written (default: {DEFAULT_PLOT})")
    p.add_argument("--plot-shapes", nargs="+", type=parse_shape, metavar="D:C",
                   help=f"kernel_matmul shapes plotted, one subplot each (default: {' '.join(DEFAULT_PLOT_SHAPES)})")
    return p.parse_args(argv)


def section_fashion(results_dir):
    """Full Fashion-MNIST fits (bench/fashion/run_fashion.sh writes fashion-<device>.json)."""
    rows = []
    for path in sorted(Path(results_dir).glob("fashion-*.json")):
        try:
            r = json.loads(path.read_text())
        except (OSError, ValueError) as e:
            say(f"{path}: unreadable ({e}); left out")
            continue
        def num(key, fmt):
            v = r.get(key)
            return fmt.format(v) if isinstance(v, (int, float)) else "—"
        rows.append(f"| {r.get('device', '?')} | {r.get('n_train', '?')} × {r.get('d', '?')} | "
                    f"{r.get('n_test', '?')} | {r.get('layers', '?')} | {num('hsic', '{:.3f}')} | "
                    f"{num('train_accuracy', '{:.4f}')} | {num('test_accuracy', '{:.4f}')} | "
                    f"{num('fit_seconds', '{:.0f}')} | {num('peak_host_memory_gb', '{:.2f}')} | "
                    f"`{r.get('command', '')}` |")
    if not rows:
        return "_Fashion-MNIST not run yet: `bash bench/fashion/run_fashion.sh`._"
    head = ("The closed-form network on the full Fashion-MNIST training set (exact kernels, product "
            "defaults), tested on the 10 000 test images:\n\n"
            "| device | train | test | layers | HSIC | train acc | test acc | fit s | peak host memory GB | command |\n"
            "|---|---|---|---|---|---|---|---|---|---|")
    return head + "\n" + "\n".join(rows)


def read_result(path):
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError) as e:
        say(f"{path}: unreadable ({e}); left out")
        return None


def section_fold_profile(results_dir):
    """Where a fold's time goes (bench/nik/fold_profile.py writes fold-profile-cpu.json)."""
    r = read_result(Path(results_dir) / "fold-profile-cpu.json")
    if not r:
        return "_Not measured yet: `python3 bench/nik/fold_profile.py` (see its --help)._"
    runs = r.get("runs", [])
    names = [run.get("label", run["lwnet"]) for run in runs]
    header = ["layer"] + [f"{n}: widths, s, s/width" for n in names]
    layer_count = max((len(run["layers"]) for run in runs), default=0)
    rows = []
    for l in range(layer_count):
        cells = [str(l + 1)]
        for run in runs:
            if l < len(run["layers"]):
                x = run["layers"][l]
                cells.append(f"{x['widths_tried']}, {x['seconds']:.2f}, {x['seconds'] / x['widths_tried']:.3f}")
            else:
                cells.append("—")
        rows.append(cells)
    cells = [f"{layer_count + 1} (rejected)"]
    for run in runs:
        w = run.get("last_layer_widths")
        t = run.get("last_layer_seconds", 0.0)
        cells.append(f"{w}, {t:.2f}, {t / w:.3f}" if w else f"—, {t:.2f}, —")
    rows.append(cells)
    rows.append(["fit"] + [f"{run['fit_seconds']:.2f} s, test {run['test_accuracy']:.4f}" for run in runs])
    return (f"{r.get('dataset')} fold {r.get('fold')}, threads: {r.get('threads')}; the fastest of the runs of "
            f"each binary (commands in bench/results/fold-profile-cpu.json).\n\n" + md_table(header, rows))


def section_load(results_dir):
    """The busy-machine table (bench/load/busy_machine.py writes load-cpu.json)."""
    r = read_result(Path(results_dir) / "load-cpu.json")
    if not r:
        return "_Not measured yet: `python3 bench/load/busy_machine.py`._"
    header = ["load", "dataset", "default threads (s)", "1 thread (s)", "default / 1 thread"]
    with_baseline = any(row.get("baseline_s") is not None for row in r["rows"])
    if with_baseline:
        header.append(f"{r.get('baseline_label') or 'baseline'}, default threads (s)")
    rows = []
    for row in r["rows"]:
        cells = [row["load"], row["dataset"], f"{row['default_s']:.3f}", f"{row['one_thread_s']:.3f}", f"{row['ratio']:.2f}"]
        if with_baseline:
            cells.append(f"{row['baseline_s']:.3f}" if row.get("baseline_s") is not None else "")
        rows.append(cells)
    return (f"{r.get('machine')}, {r.get('cores')} cores; median fit seconds of {r.get('repeats')} runs each, "
            f"fold 1 of each dataset with its preset (`{r.get('command')}`).\n\n" + md_table(header, rows))


def section_net_cpu(results_dir):
    """Trained networks against PyTorch: every bench/results/net-cpu*.json that
    bench/net/compare_torch.py wrote (the full set first); tables from bench/net/net_tables.py."""
    sys.path.insert(0, str(REPO_ROOT / "bench" / "net"))
    import net_tables
    parts = []
    docs = [(path, read_result(path)) for path in sorted(Path(results_dir).glob("net-cpu*.json"))]
    docs = [(path, r) for path, r in docs if r and r.get("archs")]
    for path, r in sorted(docs, key=lambda pr: (-pr[1].get("n_train", 0), pr[1].get("date", ""))):
        title = "Full training set" if r.get("n_train") == 60000 else f"First {r.get('n_train')} training images"
        title += f", run {r.get('date', '?')}"
        parts.append(f"**{title}** (`bench/results/{path.name}`). {net_tables.describe(r)}\n\n"
                     f"{net_tables.speed_table(r)}\n\nTest accuracy after each epoch:\n\n"
                     f"{net_tables.accuracy_table(r)}\n\nAgainst the issue's goals:\n\n{net_tables.goals(r)}")
    return "\n\n".join(parts) or "_Not measured yet: `/usr/bin/python3 bench/net/compare_torch.py`._"


def main(argv):
    args = parse_args(argv)
    reexec_for_matplotlib()
    micro_paths = args.micro or [str(REPO_ROOT / DEFAULT_MICRO)]
    base_paths = args.baselines or [str(REPO_ROOT / DEFAULT_BASELINES)]
    template_path = Path(args.template) if args.template else REPO_ROOT / DEFAULT_TEMPLATE
    out_md = Path(args.out_md) if args.out_md else REPO_ROOT / DEFAULT_OUT_MD
    plot_path = Path(args.plot) if args.plot else REPO_ROOT / DEFAULT_PLOT
    shapes = args.plot_shapes or [parse_shape(s) for s in DEFAULT_PLOT_SHAPES]

    micros = [m for m in (load_micro(p) for p in micro_paths) if m is not None]
    baselines = [b for b in (load_baselines(p) for p in base_paths) if b is not None]

    try:
        template = template_path.read_text()
    except OSError as e:
        say(f"template {template_path} could not be read ({e.strerror or e}); using a bare template")
        template = ("# Performance\n\n{{machine}}\n\n## Plot\n\n{{plot}}\n\n## lwnet micro-benchmarks\n\n"
                    "{{micro_tables}}\n\n## Baselines\n\n{{baseline_table}}\n\n## Ceilings\n\n{{ceilings}}\n\n"
                    "## Commands\n\n{{commands}}\n")

    why_no_plot = make_plot(micros, baselines, shapes, plot_path)
    if why_no_plot:
        say(f"no plot written: {why_no_plot}")
        plot_md = f"_(No plot: {why_no_plot}.)_"
    else:
        rel = os.path.relpath(plot_path.resolve(), out_md.resolve().parent)
        plot_md = f"![kernel_matmul throughput against n]({Path(rel).as_posix()})"

    sections = {
        "machine": section_machine(micros, baselines),
        "micro_tables": section_micro_tables(micros),
        "baseline_table": section_baseline_table(micros, baselines),
        "ceilings": section_ceilings(micros),
        "commands": section_commands(micros, baselines),
        "plot": plot_md,
        "fashion": section_fashion(REPO_ROOT / "bench" / "results"),
        "fold_profile": section_fold_profile(REPO_ROOT / "bench" / "results"),
        "load": section_load(REPO_ROOT / "bench" / "results"),
        "net_cpu": section_net_cpu(REPO_ROOT / "bench" / "results"),
    }
    text = template
    for key, value in sections.items():
        text = text.replace("{{" + key + "}}", value)
    for left in sorted(set(re.findall(r"\{\{(\w+)\}\}", text))):
        say(f"template placeholder {{{{{left}}}}} is unknown; left as it is")
    out_md.parent.mkdir(parents=True, exist_ok=True)
    out_md.write_text(text)
    say(f"wrote {out_md}" + ("" if why_no_plot else f" and {plot_path}"))


if __name__ == "__main__":
    main(sys.argv[1:])
