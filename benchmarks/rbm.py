"""Speed of BernoulliRBM training against scikit-learn, numpy by hand and numpy's GEMM.

Run: python benchmarks/rbm.py [--repeats 3] [--json results.json]

1. The seed's first DBM layer (60 visible -> 30 hidden, the 300 x 60 seed data, 300 epochs) at
   batch size 1 and 32: microseconds per update for condgen (BoltzmannMachines.jl's PCD),
   scikit-learn's BernoulliRBM (PCD, same batch size and epochs) and, at batch size 1, the same
   update written with numpy by hand. Target: <= 1 us per update at batch size 1.
2. A large RBM (1000 -> 500, batch 100, float32): GFLOP/s of training next to numpy's GEMM of
   one (100 x 1000) @ (1000 x 500) product. One update does five such products (positive hidden,
   negative visible, negative hidden and the two halves of the weight gradient). Target: >= 70%.

Every peer is measured in the same run; each time is the best of --repeats runs.
"""

from __future__ import annotations

import argparse
import json
import platform
import time

import numpy as np

import condgen
from condgen import BernoulliRBM


def best_time(function, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


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
    n, nv = X.shape
    epochs, nh, lr = 300, 30, 0.002
    updates = epochs * -(-n // batch_size)
    rbm = BernoulliRBM(n_hidden=nh, epochs=epochs, learning_rate=lr, batch_size=batch_size, seed=1)
    ours = best_time(lambda: rbm.fit(X), repeats) / updates * 1e6
    row = {"batch_size": batch_size, "condgen_us_per_update": ours}
    line = f"seed layer {nv}->{nh}, batch {batch_size:>2}: condgen {ours:8.3f} us/update"
    try:
        from sklearn.neural_network import BernoulliRBM as SklearnRBM
    except ImportError:
        line += " | scikit-learn not installed"
    else:
        sk = SklearnRBM(n_components=nh, learning_rate=lr, batch_size=batch_size, n_iter=epochs, random_state=1)
        theirs = best_time(lambda: sk.fit(X), 1) / updates * 1e6
        row["sklearn_us_per_update"] = theirs
        line += f" | scikit-learn {theirs:8.2f} us/update ({theirs / ours:6.1f}x)"
    if batch_size == 1:
        rng = np.random.default_rng(1)
        W, b, c, chain = rng.standard_normal((nv, nh)) / np.sqrt(nv), np.zeros(nv), np.zeros(nh), rng.random(nh)
        hand_epochs = 10
        hand = best_time(lambda: [numpy_update_epoch(X, W, b, c, chain, lr, rng) for _ in range(hand_epochs)],
                         1) / (hand_epochs * n) * 1e6
        row["numpy_us_per_update"] = hand
        line += f" | numpy by hand {hand:6.2f} us/update ({hand / ours:5.1f}x)"
    print(line, flush=True)
    results.append(row)


def large_rbm(repeats, results):
    nv, nh, batch, n, epochs = 1000, 500, 100, 2000, 2
    rng = np.random.default_rng(2)
    X = (rng.random((n, nv)) < 0.3).astype(np.float32)
    rbm = BernoulliRBM(n_hidden=nh, epochs=epochs, batch_size=batch, learning_rate=0.001, dtype=np.float32, seed=3)
    rbm.fit(X)  # warm-up: page in the buffers
    updates = epochs * (n // batch)
    seconds = best_time(lambda: rbm.fit(X), repeats)
    ours = 5 * 2 * batch * nv * nh * updates / seconds / 1e9
    A = rng.random((batch, nv), dtype=np.float32)
    B = rng.random((nv, nh), dtype=np.float32)
    A @ B
    gemm_runs = 200
    gemm_seconds = best_time(lambda: [A @ B for _ in range(gemm_runs)], repeats)
    gemm = 2 * batch * nv * nh * gemm_runs / gemm_seconds / 1e9
    print(f"large RBM {nv}->{nh}, batch {batch}, float32: condgen {ours:6.1f} GFLOP/s "
          f"({seconds / updates * 1e3:.2f} ms/update) | numpy GEMM {gemm:6.1f} GFLOP/s | "
          f"ratio {ours / gemm:.0%}", flush=True)
    results.append({"large_condgen_gflops": ours, "large_numpy_gemm_gflops": gemm, "ratio": ours / gemm})


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", help="also write the numbers to this file")
    args = parser.parse_args()

    blas = ""
    try:
        from threadpoolctl import threadpool_info

        blas = ", ".join(f"{i['internal_api']} {i['num_threads']} threads" for i in threadpool_info())
    except ImportError:
        pass
    print(f"condgen {condgen.__version__}, {condgen.get_num_threads()} threads | numpy {np.__version__} ({blas}) | "
          f"{platform.processor() or platform.machine()}", flush=True)
    snps, genes = condgen.simulate_snp_gep(300, seed=1)
    X = np.hstack([snps, genes])
    results = []
    for batch_size in (1, 32):
        seed_layer(X, batch_size, args.repeats, results)
    large_rbm(args.repeats, results)
    if args.json:
        with open(args.json, "w") as handle:
            json.dump({"threads": condgen.get_num_threads(), "results": results}, handle, indent=2)


if __name__ == "__main__":
    main()
