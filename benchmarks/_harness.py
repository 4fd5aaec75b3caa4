"""Shared timing harness of the benchmarks: repeated timings, the numpy GEMM reference, thread
control, machine information, peak resident memory in a fresh process, and the result rows that
``run.py`` prints and saves.

Every timing runs the work once untimed (warm-up: page faults, caches, lazy initialisation), then
``repeat`` times, and reports the median with the minimum and maximum. A peer that takes much
longer than condgen may be timed on a fraction of the work (``scale``); the row says so and the
reported time is the measured one multiplied by ``scale``, which is exact for work made of
identical epochs or sweeps.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass, field

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


@dataclass
class Timing:
    """Seconds of each repetition (warm-up excluded), already multiplied by ``scale``."""

    seconds: list
    scale: float = 1.0
    clock: str = "wall"
    cpu_seconds: list | None = None  # the process's CPU time (all threads) of each repetition

    @property
    def median(self) -> float:
        return float(np.median(self.seconds))

    @property
    def min(self) -> float:
        return float(np.min(self.seconds))

    @property
    def max(self) -> float:
        return float(np.max(self.seconds))

    def to_dict(self) -> dict:
        return {"median_s": self.median, "min_s": self.min, "max_s": self.max,
                "repetitions": len(self.seconds), "scale": self.scale, "clock": self.clock,
                "seconds": list(self.seconds), "cpu_seconds": self.cpu_seconds}

    def __str__(self) -> str:
        return f"{format_seconds(self.median)} [{format_seconds(self.min)}-{format_seconds(self.max)}]"


def format_seconds(s: float) -> str:
    if s >= 1.0:
        return f"{s:.2f} s"
    if s >= 1e-3:
        return f"{s * 1e3:.1f} ms"
    if s >= 1e-6:
        return f"{s * 1e6:.2f} us"
    return f"{s * 1e9:.0f} ns"


CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time, "thread": time.thread_time}


def measure(fn, repeat=5, warmup=1, setup=None, scale=1.0, per=1, clock="wall") -> Timing:
    """Time ``fn()``: ``warmup`` untimed calls, then ``repeat`` timed ones.

    ``setup()`` (untimed) runs before every call, e.g. to reset persistent chains. The times are
    multiplied by ``scale`` (peer timed on a fraction of the work) and divided by ``per`` (time
    per update, per sweep). ``clock``: "wall", "cpu" (the process's CPU time, all threads) or
    "thread" (the calling thread's CPU time): other jobs preempting single-threaded work do not
    inflate the CPU clocks, so they are the steadier measure of it on a shared machine. The
    process's CPU time is recorded with every timing.
    """
    tick = CLOCKS[clock]
    seconds, cpu = [], []
    for i in range(warmup + repeat):
        if setup is not None:
            setup()
        start, start_cpu = tick(), time.process_time()
        fn()
        elapsed, elapsed_cpu = tick() - start, time.process_time() - start_cpu
        if i >= warmup:
            seconds.append(elapsed * scale / per)
            cpu.append(elapsed_cpu * scale / per)
    return Timing(seconds, scale, clock, cpu)


@contextlib.contextmanager
def threads(n):
    """Run condgen's kernels and numpy's BLAS with ``n`` threads (None: leave as they are)."""
    import condgen

    if n is None:
        yield
        return
    previous = condgen.get_num_threads()
    condgen.set_num_threads(n)
    try:
        with _blas_limits(n):
            yield
    finally:
        condgen.set_num_threads(previous)


def _blas_limits(n):
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # scikit-learn brings threadpoolctl; without it BLAS keeps its threads
        return contextlib.nullcontext()
    return threadpool_limits(limits=n, user_api="blas")


def gemm(m, k, n, dtype=np.float64, repeat=5, n_threads=None, calls=1, clock="wall") -> dict:
    """numpy GEMM ``(m, k) @ (k, n)`` timed like the work: the practical hardware limit.

    ``calls`` products of that shape are timed together (for tiny shapes whose single product is
    too short to time). Returns the timing and the GFLOP/s (2 m k n flops per product).
    """
    rng = np.random.default_rng(0)
    A = rng.random((m, k)).astype(dtype)
    B = rng.random((k, n)).astype(dtype)
    C = np.empty((m, n), dtype=dtype)

    def run():
        for _ in range(calls):
            np.matmul(A, B, out=C)

    with threads(n_threads):
        timing = measure(run, repeat=repeat, clock=clock)
    flop = 2.0 * m * k * n * calls
    return {"shape": [m, k, n], "dtype": np.dtype(dtype).name, "calls": calls, "timing": timing,
            "gflops": flop / timing.median / 1e9}


def optional(name):
    """``(module, None)`` or ``(None, "not installed")`` for an optional peer."""
    try:
        return importlib.import_module(name), None
    except ImportError as exc:
        return None, f"{name} not installed ({exc.__class__.__name__})"


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _version(name):
    module, _ = optional(name)
    return getattr(module, "__version__", None) if module is not None else None


def machine_info() -> dict:
    """CPU, cores, thread settings, load and library versions, for results.json."""
    import condgen

    info = {
        "cpu": _cpu_model(),
        "logical_cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "condgen_threads": condgen.get_num_threads(),
        # how OpenMP threads wait: with the default (active spinning) a loaded machine makes two
        # threads slower than one
        **{name: os.environ.get(name) for name in ("OMP_NUM_THREADS", "OMP_WAIT_POLICY", "GOMP_SPINCOUNT")},
        "load_average": list(os.getloadavg()),
        "versions": {name: _version(name) for name in
                     ("condgen", "numpy", "sklearn", "torch", "threadpoolctl", "matplotlib")},
    }
    with contextlib.suppress(ImportError):
        from threadpoolctl import threadpool_info

        info["blas"] = [{key: pool.get(key) for key in ("internal_api", "version", "num_threads",
                                                           "architecture")}
                        for pool in threadpool_info() if pool.get("user_api") == "blas"]
    return info


# ---- peak resident memory ----------------------------------------------------------------------

_RSS_SCRIPT = """
import json, sys
sys.path.insert(0, {here!r})
def status():
    with open("/proc/self/status") as f:
        fields = dict(line.split(":", 1) for line in f)
    return {{key: int(fields[key].split()[0]) * 1024 for key in ("VmRSS", "VmHWM")}}
{setup}
before = status()["VmRSS"]
with open("/proc/self/clear_refs", "w") as f:  # reset the peak (VmHWM) to the current RSS
    f.write("5")
{run}
print(json.dumps({{"rss_before": before, "peak": status()["VmHWM"]}}))
"""


def peak_rss(setup: str, run: str, n_threads=None, timeout=600) -> dict:
    """Peak resident memory of ``run`` in a fresh Python process, after ``setup``.

    ``setup`` builds the model and data (its memory is the baseline ``rss_before``); the peak is
    reset before ``run`` so ``peak - rss_before`` is what ``run`` itself allocated on top.
    """
    env = dict(os.environ)
    if n_threads is not None:
        env["OMP_NUM_THREADS"] = str(n_threads)
    script = _RSS_SCRIPT.format(here=HERE, setup=setup, run=run)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env,
                         timeout=timeout, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"memory measurement failed:\n{out.stderr[-2000:]}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["increase"] = result["peak"] - result["rss_before"]
    return result


# ---- result rows -------------------------------------------------------------------------------

@dataclass
class Row:
    """One line of the table: a piece of work timed in condgen and its peers.

    ``peers`` maps a peer's name to its Timing, or to a string saying why it was skipped.
    ``flop`` (per timed unit) and ``gemm`` (from :func:`gemm`) give the achieved GFLOP/s next to
    the hardware limit. ``target`` is the issue's target in words and ``met`` whether this run
    met it (None when the row has no target).
    """

    group: str
    work: str
    condgen: Timing
    peers: dict = field(default_factory=dict)
    flop: float | None = None
    gemm: dict | None = None
    target: str = ""
    met: bool | None = None
    note: str = ""
    extra: dict = field(default_factory=dict)

    def ratio(self, peer) -> float | None:
        timing = self.peers.get(peer)
        return timing.median / self.condgen.median if isinstance(timing, Timing) else None

    @property
    def gflops(self) -> float | None:
        return self.flop / self.condgen.median / 1e9 if self.flop else None

    def to_dict(self) -> dict:
        return {
            "group": self.group, "work": self.work, "condgen": self.condgen.to_dict(),
            "peers": {name: (t.to_dict() if isinstance(t, Timing) else {"skipped": t})
                      for name, t in self.peers.items()},
            "ratios": {name: self.ratio(name) for name in self.peers},
            "flop": self.flop, "gflops": self.gflops,
            "gemm": None if self.gemm is None else {**self.gemm, "timing": self.gemm["timing"].to_dict()},
            "target": self.target, "met": self.met, "note": self.note, "extra": self.extra,
        }


def write_rows_json(path, rows):
    """results of a module run alone: the machine and every row, as run.py stores them."""
    with open(path, "w") as handle:
        json.dump({"machine": machine_info(), "rows": [row.to_dict() for row in rows]}, handle, indent=2)


def module_main(doc, measure_all, quick_help, repeats=3, argv=None):
    """The command line of a module that runs on its own: ``[--quick] [--repeats N] [--json FILE]``,
    prints the table of ``measure_all(quick, repeats)``."""
    import argparse

    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=repeats, help="timings per measurement (after a warm-up)")
    parser.add_argument("--quick", action="store_true", help=quick_help)
    parser.add_argument("--json", help="write the results to this file")
    args = parser.parse_args(argv)
    rows = measure_all(args.quick, args.repeats)
    print(format_table(rows))
    if args.json:
        write_rows_json(args.json, rows)
    return rows


def format_table(rows) -> str:
    """The one table of run.py: work, condgen time, peers with ratios, GFLOP/s vs GEMM, target."""
    lines = []
    header = f"{'work':<60} {'condgen median [min-max]':<28} {'peers (time, condgen speed-up)':<46} " \
             f"{'GFLOP/s (GEMM)':<18} target"
    lines.append(header)
    lines.append("-" * len(header))
    group = None
    for row in rows:
        if row.group != group:
            group = row.group
            lines.append(f"[{group}]")
        peers = []
        for name, t in row.peers.items():
            if isinstance(t, Timing):
                peers.append(f"{name} {format_seconds(t.median)} ({row.ratio(name):.1f}x)")
            else:
                peers.append(f"{name} skipped: {t}"[:46])
        gf = ""
        if row.gflops is not None:
            gf = f"{row.gflops:.1f}"
            if row.gemm is not None:
                gf += f" ({row.gemm['gflops']:.0f}, {100 * row.gflops / row.gemm['gflops']:.0f}%)"
        status = {True: "met", False: "MISSED", None: ""}[row.met]
        target = f"{row.target} {status}".strip()
        peer_lines = peers or [""]
        lines.append(f"  {row.work:<58} {row.condgen!s:<28} {peer_lines[0]:<46} {gf:<18} {target}")
        lines.extend(f"  {'':<58} {'':<28} {p:<46}" for p in peer_lines[1:])
        if row.note:
            lines.append(f"  {'':<58} note: {row.note}")
    return "\n".join(lines)


def random_dbm(sizes, seed=0, dtype=np.float64, weight_sd=None):
    """A condgen.DBM with random weights N(0, weight_sd^2) (default 1 / sqrt(fan-in)) and biases
    N(0, 0.1^2): large models are benchmarked without the cost of training them first."""
    import condgen

    rng = np.random.default_rng(seed)
    rbms = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        rbm = condgen.BernoulliRBM(n_hidden=n_out, dtype=dtype)
        sd = 1.0 / np.sqrt(n_in) if weight_sd is None else weight_sd
        rbm.weights_ = rng.normal(0.0, sd, (n_in, n_out)).astype(dtype)
        rbm.visible_bias_ = rng.normal(0.0, 0.1, n_in).astype(dtype)
        rbm.hidden_bias_ = rng.normal(0.0, 0.1, n_out).astype(dtype)
        rbms.append(rbm)
    return condgen.DBM.from_rbms(rbms, dtype=dtype)


def dbm_layers(dbm):
    """[(W, b, c), ...] of a condgen.DBM, for the numpy references."""
    return [(r.weights_.copy(), r.visible_bias_.copy(), r.hidden_bias_.copy()) for r in dbm.layers_]
