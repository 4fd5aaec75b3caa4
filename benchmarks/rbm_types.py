"""Speed of the unit-type RBMs' training epochs against BernoulliRBM and numpy by hand.

Run: python benchmarks/rbm_types.py [--repeats 5] [--json results.json]

Microseconds per CD-1 update (one minibatch) of Binomial2BernoulliRBM and GaussianBernoulliRBM
(with standard-deviation learning) next to condgen's BernoulliRBM of the same shape (the cost of
the unit types over the shared Bernoulli path) and the Gaussian update written in numpy by hand
(the peer). Two shapes: the seed's first layer (60 -> 30, 300 rows) at batch size 1 and 32, and a
large layer (1000 -> 500, 2000 rows, batch 100). Times are the best of `repeats` epochs, by the
CPU time of the calling thread with one thread (other jobs on a shared machine do not inflate it).
"""

from __future__ import annotations

import argparse
import json
import platform
import time

import numpy as np
from threadpoolctl import threadpool_limits

import condgen
from condgen import BernoulliRBM, Binomial2BernoulliRBM, GaussianBernoulliRBM


def best_time(function, repeats):
    times = []
    for _ in range(repeats):
        start = time.thread_time()
        function()
        times.append(time.thread_time() - start)
    return min(times)


def numpy_gaussian_epoch(W, b, c, sigma, X, batch_size, lr, sd_lr, rng):
    """The same epoch as GaussianBernoulliRBM(pcd=False, cd_steps=1): CD-1 with mean
    reconstructions, the gradients of boltzmann.md §2.4 and the multiplicative sigma step."""
    order = rng.permutation(len(X))
    for start in range(0, len(X), batch_size):
        V = X[order[start:start + batch_size]]
        H = 1 / (1 + np.exp(-((V / sigma) @ W + c)))
        S = (rng.random(H.shape) < H).astype(float)
        Vm = b + sigma * (S @ W.T)
        Hm = 1 / (1 + np.exp(-((Vm / sigma) @ W + c)))
        n = len(V)
        gs = (((V - b) ** 2 / sigma**3 - (H @ W.T) * V / sigma**2).mean(0)
              - ((Vm - b) ** 2 / sigma**3 - (Hm @ W.T) * Vm / sigma**2).mean(0))
        W += lr * ((V / sigma).T @ H - (Vm / sigma).T @ Hm) / n
        b += lr * (V.mean(0) - Vm.mean(0)) / sigma**2
        c += lr * (H.mean(0) - Hm.mean(0))
        sigma *= np.exp(np.clip(sd_lr * gs / sigma, -1, 1))


def run(nv, nh, n, batch, repeats):
    rng = np.random.default_rng(0)
    latent = rng.random((n, 5)) < 0.5
    loadings = rng.normal(size=(5, nv))
    gaussian = latent @ loadings + rng.normal(size=(n, nv))
    binary = (gaussian > 0).astype(float)
    genotypes = binary + (gaussian > 1)
    updates = -(-n // batch)
    common = {"n_hidden": nh, "epochs": 1, "batch_size": batch, "pcd": False, "learning_rate": 0.001, "seed": 1}
    results = {}
    for name, model, X in (("BernoulliRBM", BernoulliRBM(**common), binary),
                           ("Binomial2BernoulliRBM", Binomial2BernoulliRBM(**common), genotypes),
                           ("GaussianBernoulliRBM", GaussianBernoulliRBM(**common, sd_learning_rate=1e-4), gaussian)):
        results[name] = best_time(lambda m=model, X=X: m.fit(X), repeats) / updates * 1e6
    W = rng.normal(size=(nv, nh)) / np.sqrt(nv)
    b, c, sigma = gaussian.mean(0), np.zeros(nh), gaussian.std(0, ddof=1)
    with threadpool_limits(1):
        results["numpy Gaussian"] = best_time(
            lambda: numpy_gaussian_epoch(W.copy(), b.copy(), c.copy(), sigma.copy(), gaussian, batch, 0.001, 1e-4,
                                         np.random.default_rng(2)), repeats) / updates * 1e6
    ratio = results["numpy Gaussian"] / results["GaussianBernoulliRBM"]
    line = " | ".join(f"{k} {v:8.1f} us" for k, v in results.items())
    print(f"{nv}->{nh}, {n} rows, batch {batch}: {line} | numpy / condgen Gaussian = {ratio:.1f}x", flush=True)
    return {"shape": [nv, nh], "rows": n, "batch": batch, "us_per_update": results, "speedup_vs_numpy": ratio}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", help="also write the numbers to this file")
    args = parser.parse_args()
    condgen.set_num_threads(1)
    print(f"condgen {condgen.__version__}, 1 thread | numpy {np.__version__} | {platform.processor() or platform.machine()}")
    results = [run(60, 30, 300, 1, args.repeats), run(60, 30, 300, 32, args.repeats),
               run(1000, 500, 2000, 100, max(1, args.repeats // 2))]
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(results, handle, indent=2)


if __name__ == "__main__":
    main()
