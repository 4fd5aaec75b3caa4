"""Speed of BernoulliRBM training against scikit-learn, numpy by hand and numpy's GEMM.

Run: python benchmarks/rbm.py [--repeats 5] [--json results.json]

1. The seed's first DBM layer (60 visible -> 30 hidden, the 300 x 60 seed data, 300 epochs) at
   batch size 1 and 32: microseconds per update for condgen (BoltzmannMachines.jl's PCD),
   scikit-learn's BernoulliRBM (PCD, same batch size) and, at batch size 1, the same update
   written with numpy by hand. Target: <= 1 us per update at batch size 1.
2. A large RBM (1000 -> 500, batch 100, float32): GFLOP/s of training next to numpy's GEMM of
   one (100 x 1000) @ (1000 x 500) product, both with one thread and with the default number of
   threads. One update does five such products (positive hidden, negative visible, negative
   hidden and the two halves of the weight gradient). Target: >= 70%.

Timings are the best over short pieces of work (one epoch, one fit of one epoch, one product),
so that a machine shared with other jobs still gives the speed of an undisturbed run; condgen's
mean over the whole 300-epoch run is printed as well. Single-threaded work is timed by the CPU
time of the calling thread, which other jobs on the machine do not inflate by preempting it;
multi-threaded work by wall-clock time.
"""

from __future__ import annotations

import argparse
import json
import platform
import time

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

import condgen
from condgen import BernoulliRBM


def best_time(function, repeats, clock=time.thread_time):
    """Shortest of `repeats` runs of function(), in seconds."""
    times = []
    for _ in range(repeats):
        start = clock()
        function()
        times.append(clock() - start)
    return min(times)


def epoch_times(model, X, clock=time.thread_time):
    """Fit `model` on X and return the duration of every epoch (stamped by the monitor hook)."""
    stamps = []
    model.set_params(monitor=lambda _model, _epoch: stamps.append(clock()))
    start = clock()
    model.fit(X)
    return np.diff([start, *stamps]), clock() - start


def numpy_update_epoch(X, W, b, c, chain, lr, rng):
    """BoltzmannMachines.jl's PCD update (boltzmann.md §2.3) at batch size 1, in numpy."""
    for row in rng.permutation(len(X)):
        v = X[row]
        h = 1 / (1 + np.exp(-(v @ W + c)))
        s = (rng.random(chain.shape) < chain).astype(float)
        vm = 1 / (1 + np.exp(-(W @ s + b)))
        hm = 1 / (1 + np.exp(-(vm @ W + c)))
        chain[:] = hm
        W += lr * (np.outer(v, h) - np.outer(vm, hm))
        b += lr * (v - vm)
        c += lr * (h - hm)


def seed_layer(X, batch_size, repeats, results):
    # condgen runs single-threaded here (one chunk of rows), so its thread's CPU time is its cost;
    # scikit-learn and numpy are limited to one BLAS thread for the same reason.
    n, nv = X.shape
    epochs, nh, lr = 300, 30, 0.002
    per_epoch = -(-n // batch_size)
    rbm = BernoulliRBM(n_hidden=nh, epochs=epochs, learning_rate=lr, batch_size=batch_size, seed=1)
    times, total = epoch_times(rbm, X)
    ours, ours_mean = times.min() / per_epoch * 1e6, total / (epochs * per_epoch) * 1e6
    row = {"batch_size": batch_size, "condgen_us_per_update": ours, "condgen_us_per_update_whole_run": ours_mean}
    line = f"seed layer {nv}->{nh}, batch {batch_size:>2}: condgen {ours:7.3f} us/update (whole run {ours_mean:.3f})"
    try:
        from sklearn.neural_network import BernoulliRBM as SklearnRBM
    except ImportError:
        line += " | scikit-learn not installed"
    else:
        sk = SklearnRBM(n_components=nh, learning_rate=lr, batch_size=batch_size, n_iter=1, random_state=1)
        theirs = best_time(lambda: sk.fit(X), repeats) / per_epoch * 1e6
        row["sklearn_us_per_update"] = theirs
        line += f" | scikit-learn {theirs:7.2f} ({theirs / ours:5.1f}x)"
    if batch_size == 1:
        rng = np.random.default_rng(1)
        W, b, c, chain = rng.standard_normal((nv, nh)) / np.sqrt(nv), np.zeros(nv), np.zeros(nh), rng.random(nh)
        hand = best_time(lambda: numpy_update_epoch(X, W, b, c, chain, lr, rng), repeats) / n * 1e6
        row["numpy_us_per_update"] = hand
        line += f" | numpy by hand {hand:6.2f} ({hand / ours:5.1f}x)"
    print(line, flush=True)
    results.append(row)


def large_rbm(repeats, threads, results):
    nv, nh, batch, n = 1000, 500, 100, 200
    rng = np.random.default_rng(2)
    X = (rng.random((n, nv)) < 0.3).astype(np.float32)
    A = rng.random((batch, nv), dtype=np.float32)
    B = rng.random((nv, nh), dtype=np.float32)
    flops_per_update = 5 * 2 * batch * nv * nh
    clock = time.thread_time if threads == 1 else time.perf_counter
    with threadpool_limits(threads):
        condgen.set_num_threads(threads)
        rbm = BernoulliRBM(n_hidden=nh, epochs=10 * repeats, batch_size=batch, learning_rate=0.001,
                           dtype=np.float32, seed=3)
        times, _ = epoch_times(rbm, X, clock)
        ours = flops_per_update * (n // batch) / times.min() / 1e9
        # As many products per timed piece as one epoch of training does, so both pieces of work
        # are equally exposed to other jobs on the machine.
        products = 5 * (n // batch)
        gemm = 2 * batch * nv * nh * products / best_time(lambda: [A @ B for _ in range(products)], 10 * repeats,
                                                            clock) / 1e9
    print(f"large RBM {nv}->{nh}, batch {batch}, float32, {threads} thread(s): condgen {ours:6.1f} GFLOP/s | "
          f"numpy GEMM {gemm:6.1f} GFLOP/s | ratio {ours / gemm:.0%}", flush=True)
    results.append({"threads": threads, "large_condgen_gflops": ours, "large_numpy_gemm_gflops": gemm,
                    "ratio": ours / gemm})


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", help="also write the numbers to this file")
    args = parser.parse_args()

    blas = ", ".join(f"{i['internal_api']} {i['num_threads']} threads" for i in threadpool_info())
    default_threads = condgen.get_num_threads()
    print(f"condgen {condgen.__version__}, {condgen.get_num_threads()} threads | numpy {np.__version__} ({blas}) | "
          f"{platform.processor() or platform.machine()}", flush=True)
    snps, genes = condgen.simulate_snp_gep(300, seed=1)
    X = np.hstack([snps, genes])
    results = []
    with threadpool_limits(1):
        for batch_size in (1, 32):
            seed_layer(X, batch_size, args.repeats, results)
    for threads in sorted({1, default_threads}):
        large_rbm(args.repeats, threads, results)
    condgen.set_num_threads(default_threads)
    if args.json:
        with open(args.json, "w") as handle:
            json.dump({"threads": default_threads, "results": results}, handle, indent=2)


if __name__ == "__main__":
    main()
