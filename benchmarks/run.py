"""Run every condgen benchmark and print one table: condgen's time, each peer's time measured in
the same run and the ratios, the achieved GFLOP/s next to a numpy GEMM of comparable shape, cost
growth and peak memory. Writes DIR/results.json (with the machine, threads and library versions)
and plots to DIR.

    python benchmarks/run.py [--quick] [--out DIR] [--only NAME ...]

``--quick`` (about a minute) runs smaller work for a smoke test; the full run takes about ten
minutes on a 2-core machine. Peers that are not installed (scikit-learn, PyTorch: ``pip install
.[bench]``) are reported as skipped. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import json
import os
import sys
import textwrap
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from _harness import Row, Timing, format_table, machine_info  # noqa: E402

# (module in benchmarks/, what it measures); each module has measure_all(quick) returning a list of
# Rows, or (rows, data for results.json)
BENCHMARKS = [
    ("cgan_seed", "the seed CGAN run (2500 epochs, batch 32) vs numpy and PyTorch"),
    ("dbm_seed", "the seed DBM fit and conditional sampling vs numpy"),
    ("rbm", "RBM CD updates at batch 1 and 32, large RBM GFLOP/s, vs scikit-learn and numpy"),
    ("gibbs_large", "Gibbs sweep of a 1000-500-100 DBM on 10,000 particles vs its GEMMs"),
    ("ais", "AIS log Z of a medium DBM (500-250-100) vs numpy, per-sample AIS likelihood"),
    ("ais_pair", "AIS between two RBMs (Binomial2, Gaussian, Gaussian hidden; 200 x 100/120) vs numpy"),
    ("inference", "mean-field of the 1000-500-100 DBM on 10,000 rows vs numpy"),
    ("growth", "cost growth with samples and variables, threads, float32 vs float64"),
]


def run_benchmark(name, quick):
    """(rows, data, status) of one module; a missing or failing module is reported, not dropped."""
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name != name:
            raise
        return [], None, f"skipped: benchmarks/{name}.py not found"
    try:
        result = module.measure_all(quick=quick)
    except Exception:  # one broken benchmark must not hide the others
        return [], None, "failed:\n" + traceback.format_exc()
    rows, data = result if isinstance(result, tuple) else (result, None)
    return rows, data, "ok"


def plot_growth(growth, path):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for ax, key, xlabel in ((axes[0], "samples", "samples (60 variables)"),
                            (axes[1], "variables", "variables (hidden layers scaled alike, 300 samples)")):
        series = growth[key]
        for what, label in (("fit", "DBM fit"), ("sampling", "conditional sampling")):
            ax.loglog(series["sizes"], series[f"{what}_s"], "o-",
                      label=f"{label} (exponent {series[f'{what}_exponent']:.2f})")
        ax.set_xlabel(xlabel)
        ax.set_ylabel("seconds" if key == "samples" else "seconds (fit: 1+1 epochs; sampling: per sweep)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
    fig.suptitle("condgen DBM: cost growth (log-log, least-squares exponent)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_speedups(rows, path):
    import matplotlib.pyplot as plt

    labels, ratios = [], []
    for row in rows:
        if row.group.startswith("threads"):
            continue
        for peer in row.peers:
            ratio = row.ratio(peer)
            if ratio is not None:
                labels.append(textwrap.fill(f"{row.work} vs {peer}", 70))
                ratios.append(ratio)
    if not labels:
        return False
    fig, ax = plt.subplots(figsize=(11, 0.5 * len(labels) + 1.2))
    ax.barh(range(len(labels)), ratios, color="tab:blue")
    ax.set_yticks(range(len(labels)), labels, fontsize=7)
    ax.set_xscale("log")
    ax.axvline(1.0, color="black", lw=0.8)
    ax.set_xlabel("condgen speed-up (peer time / condgen time, log scale)")
    ax.invert_yaxis()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return True


def plot_gflops(rows, path):
    import matplotlib.pyplot as plt

    chosen = [row for row in rows if row.gflops is not None and row.gemm is not None]
    if not chosen:
        return False
    fig, ax = plt.subplots(figsize=(11, 0.5 * len(chosen) + 1.2))
    y = range(len(chosen))
    ax.barh([i - 0.2 for i in y], [row.gflops for row in chosen], height=0.4, label="condgen")
    ax.barh([i + 0.2 for i in y], [row.gemm["gflops"] for row in chosen], height=0.4,
            label="numpy GEMM of comparable shape")
    ax.set_yticks(list(y), [textwrap.fill(row.work, 60) for row in chosen], fontsize=7)
    ax.set_xlabel("GFLOP/s")
    ax.invert_yaxis()
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return True


def plot_memory(memory, path):
    import matplotlib.pyplot as plt

    mb = 1024.0 ** 2
    fig, ax = plt.subplots(figsize=(9, 0.6 * len(memory) + 1.2))
    y = list(range(len(memory)))
    parts = (("increase", "peak RSS increase during the call", lambda r: r["increase"]),
             ("parameters", "parameters", lambda r: r["sizes"]["parameters"]),
             ("particles", "particles / data", lambda r: r["sizes"].get("particles", 0) + r["sizes"].get("data", 0)),
             ("outputs", "outputs returned", lambda r: r["sizes"]["outputs"]))
    for i, (_, label, value) in enumerate(parts):
        ax.barh([k + (i - 1.5) * 0.2 for k in y], [value(r) / mb for r in memory], height=0.2, label=label)
    ax.set_yticks(y, [r["case"] for r in memory], fontsize=8)
    ax.set_xlabel("MiB")
    ax.invert_yaxis()
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller work: about a minute")
    parser.add_argument("--out", default="benchmark-results", help="folder for results.json and the plots")
    parser.add_argument("--only", nargs="+", metavar="NAME",
                        choices=[name for name, _ in BENCHMARKS] + ["memory"],
                        help="run only these benchmarks (module names; 'memory' for peak RSS)")
    args = parser.parse_args(argv)

    import matplotlib

    matplotlib.use("Agg")
    os.makedirs(args.out, exist_ok=True)
    started = time.time()
    machine = machine_info()
    print(f"condgen benchmarks ({'quick' if args.quick else 'full'}) on {machine['cpu']}, "
          f"{machine['logical_cpus']} logical CPUs, condgen threads {machine['condgen_threads']}, "
          f"load average {machine['load_average'][0]:.2f}", flush=True)

    rows, data, status = [], {}, {}
    for name, what in BENCHMARKS:
        if args.only and name not in args.only:
            continue
        print(f"... {name}: {what}", flush=True)
        t0 = time.time()
        new_rows, new_data, status[name] = run_benchmark(name, args.quick)
        rows += new_rows
        if new_data is not None:
            data[name] = new_data
        print(f"    {status[name].splitlines()[0]} ({time.time() - t0:.0f} s)", flush=True)

    memory = None
    if not args.only or "memory" in args.only:
        import memory as memory_benchmark

        print("... memory: peak resident memory of the large cases", flush=True)
        memory = memory_benchmark.measure_all(args.quick)

    print()
    print(format_table(rows))
    if memory is not None:
        import memory as memory_benchmark

        print("\n[peak resident memory, each case in a fresh process]")
        print(memory_benchmark.format_memory(memory))
    problems = {name: s for name, s in status.items() if s != "ok"}
    for name, s in problems.items():
        print(f"\n{name}: {s}")
    missed = [row.work for row in rows if row.met is False]
    if missed:
        print("\ntargets missed: " + "; ".join(missed))

    plots = []
    if "growth" in data:
        plot_growth(data["growth"], os.path.join(args.out, "growth.png"))
        plots.append("growth.png")
    if plot_speedups(rows, os.path.join(args.out, "speedups.png")):
        plots.append("speedups.png")
    if plot_gflops(rows, os.path.join(args.out, "gflops.png")):
        plots.append("gflops.png")
    if memory:
        plot_memory(memory, os.path.join(args.out, "memory.png"))
        plots.append("memory.png")

    machine["load_average_end"] = list(os.getloadavg())
    results = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "mode": "quick" if args.quick else "full", "wall_seconds": time.time() - started,
        "machine": machine, "status": status, "rows": [row.to_dict() for row in rows],
        "data": data, "memory": memory, "plots": plots,
    }
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(results, f, indent=1, default=_json_default)
    print(f"\nwrote {args.out}/results.json and {', '.join(plots) or 'no plots'} "
          f"({time.time() - started:.0f} s, load average now {machine['load_average_end'][0]:.2f})")
    return 1 if any(s.startswith("failed") for s in status.values()) else 0


def _json_default(value):
    if isinstance(value, Timing):
        return value.to_dict()
    if isinstance(value, Row):
        return value.to_dict()
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"cannot serialise {type(value).__name__}")


if __name__ == "__main__":
    sys.exit(main())
