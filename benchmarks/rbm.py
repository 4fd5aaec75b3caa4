"""Speed of BernoulliRBM training against scikit-learn, numpy by hand and numpy's GEMM.

Run: python benchmarks/rbm.py [--quick] [--repeats 5] [--json results.json]

1. The seed's first DBM layer (60 visible -> 30 hidden, the 300 x 60 seed data, 300 epochs) at
   batch size 1 and 32: microseconds per update for condgen (BoltzmannMachines.jl's PCD),
   scikit-learn's BernoulliRBM (PCD, same batch size) and, at batch size 1, the same update
   written with numpy by hand. Target: <= 1 us per update at batch size 1.
2. A large RBM (1000 -> 500, batch 100, float32): GFLOP/s of training next to numpy's GEMM of
   one (100 x 1000) @ (1000 x 500) product, both with one thread and with the default number of
   threads. One update does five such products (positive hidden, negative visible, negative
   hidden and the two halves of the weight gradient). Target: >= 70%.

Timings are taken over short pieces of work (one epoch, one fit of one epoch, one product): the
median, minimum and maximum over them, after a warm-up, so that a machine shared with other jobs
still shows the speed of an undisturbed run (the minimum); condgen's mean over the whole run is
kept as well. Single-threaded work is timed by the CPU time of the calling thread, which other
jobs on the machine do not inflate by preempting it; multi-threaded work by wall-clock time.

``measure_all`` returns the rows that ``run.py`` prints.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np
from threadpoolctl import threadpool_limits

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _harness import Row, Timing, format_table, gemm, measure, optional, threads, write_rows_json  # noqa: E402

import condgen  # noqa: E402
from condgen import BernoulliRBM  # noqa: E402


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


def seed_layer(X, batch_size, repeat=5, quick=False):
    """Row: time per update of the seed layer for condgen, scikit-learn and numpy by hand.

    condgen runs single-threaded here (one chunk of rows), so its thread's CPU time is its cost;
    scikit-learn and numpy are limited to one BLAS thread for the same reason. condgen's timings
    are its epochs (the first one is the warm-up); the peers' are fits of one epoch."""
    n, nv = X.shape
    epochs, nh, lr = (30 if quick else 300), 30, 0.002
    per_epoch = -(-n // batch_size)
    rbm = BernoulliRBM(n_hidden=nh, epochs=epochs, learning_rate=lr, batch_size=batch_size, seed=1)
    times, total = epoch_times(rbm, X)
    ours = Timing(list(times[1:] / per_epoch), clock="thread")
    peers = {}
    with threadpool_limits(1):
        sklearn, reason = optional("sklearn.neural_network")
        if sklearn is None:
            peers["scikit-learn"] = reason
        else:
            sk = sklearn.BernoulliRBM(n_components=nh, learning_rate=lr, batch_size=batch_size, n_iter=1,
                                      random_state=1)
            peers["scikit-learn"] = measure(lambda: sk.fit(X), repeat=repeat, per=per_epoch, clock="thread")
        if batch_size == 1:
            rng = np.random.default_rng(1)
            W, b, c, chain = rng.standard_normal((nv, nh)) / np.sqrt(nv), np.zeros(nv), np.zeros(nh), rng.random(nh)
            peers["numpy by hand"] = measure(lambda: numpy_update_epoch(X, W, b, c, chain, lr, rng), repeat=repeat,
                                             per=n, clock="thread")
    whole_run = total / (epochs * per_epoch)
    row = Row("RBM", f"CD update, seed layer {nv}->{nh}, batch {batch_size} (time per update, 1 thread)", ours,
              peers, flop=2.0 * 5 * batch_size * nv * nh,
              note=f"{epochs} epochs, per epoch; whole run {whole_run * 1e6:.3f} us/update; thread CPU time",
              extra={"whole_run_s_per_update": whole_run})
    if batch_size == 1:
        ratio = row.ratio("scikit-learn")
        row.target = "<= 1 us, >= 30x scikit-learn"
        row.met = ours.median <= 1e-6 and (ratio is None or ratio >= 30)
    return row


def large_rbm(n_threads, repeat=5, quick=False):
    """Row: GFLOP/s of a large RBM (one update = five products) next to numpy's GEMM of one product;
    timings are epochs of 2 updates (the first is the warm-up)."""
    nv, nh, batch, n = 1000, 500, 100, 200
    rng = np.random.default_rng(2)
    X = (rng.random((n, nv)) < 0.3).astype(np.float32)
    clock = "thread" if n_threads == 1 else "wall"
    with threads(n_threads):
        rbm = BernoulliRBM(n_hidden=nh, epochs=(2 if quick else 10) * repeat, batch_size=batch, learning_rate=0.001,
                           dtype=np.float32, seed=3)
        times, _ = epoch_times(rbm, X, {"thread": time.thread_time, "wall": time.perf_counter}[clock])
        ours = Timing(list(times[1:] / (n // batch)), clock=clock)
        peers = {}
        sklearn, reason = optional("sklearn.neural_network")
        if sklearn is None:
            peers["scikit-learn"] = reason
        else:
            sk = sklearn.BernoulliRBM(n_components=nh, learning_rate=0.001, batch_size=batch, n_iter=1,
                                      random_state=1)
            peers["scikit-learn"] = measure(lambda: sk.fit(X), repeat=repeat, per=n // batch, clock=clock)
        reference = gemm(batch, nv, nh, np.float32, repeat=4 * repeat, calls=5, clock=clock)
    row = Row("RBM", f"CD update, {nv}->{nh}, batch {batch}, float32, {n_threads} thread{'s' * (n_threads > 1)}",
              ours, peers, flop=5 * 2.0 * batch * nv * nh, gemm=reference, target=">= 70% of GEMM",
              note="one update = five products of the GEMM's shape")
    row.met = row.gflops >= 0.7 * row.gemm["gflops"]
    return row


def measure_all(quick=False, repeat=5):
    snps, genes = condgen.simulate_snp_gep(300, seed=1)
    X = np.hstack([snps, genes])
    rows = [seed_layer(X, 1, repeat, quick), seed_layer(X, 32, repeat, quick)]
    rows += [large_rbm(n_threads, repeat, quick) for n_threads in sorted({1, condgen.get_num_threads()})]
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="fewer epochs, for a smoke run")
    parser.add_argument("--json", help="also write the numbers to this file")
    args = parser.parse_args()
    print(f"condgen {condgen.__version__}, {condgen.get_num_threads()} threads", flush=True)
    rows = measure_all(args.quick, args.repeats)
    print(format_table(rows))
    if args.json:
        write_rows_json(args.json, rows)


if __name__ == "__main__":
    main()
