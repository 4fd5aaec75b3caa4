"""Speed of BernoulliRBM training against scikit-learn, numpy by hand and numpy's GEMM.

Run: python benchmarks/rbm.py [--quick] [--repeats 3] [--json results.json]

1. The seed's first DBM layer (60 visible -> 30 hidden, the 300 x 60 seed data, 300 epochs) at
   batch size 1 and 32: microseconds per update for condgen (BoltzmannMachines.jl's PCD),
   scikit-learn's BernoulliRBM (PCD, same batch size and epochs) and, at batch size 1, the same
   update written with numpy by hand. Target: <= 1 us per update at batch size 1.
2. A large RBM (1000 -> 500, batch 100, float32): GFLOP/s of training next to numpy's GEMM of
   one (100 x 1000) @ (1000 x 500) product. One update does five such products (positive hidden,
   negative visible, negative hidden and the two halves of the weight gradient). Target: >= 70%.

Every peer is measured in the same run: a warm-up, then --repeats timings (median, min-max);
scikit-learn and numpy by hand run fewer epochs (time per update). ``measure_all`` gives the rows
of ``run.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _harness import Row, format_table, gemm, machine_info, measure, optional  # noqa: E402

import condgen  # noqa: E402
from condgen import BernoulliRBM  # noqa: E402


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


def seed_layer(X, batch_size, repeat=3, quick=False):
    """Row: microseconds per update of the seed layer for condgen, scikit-learn and numpy by hand.

    The peers run fewer epochs (the time per update does not depend on the epoch)."""
    n, nv = X.shape
    epochs, nh, lr = (30 if quick else 300), 30, 0.002
    updates_per_epoch = -(-n // batch_size)
    rbm = BernoulliRBM(n_hidden=nh, epochs=epochs, learning_rate=lr, batch_size=batch_size, seed=1)
    ours = measure(lambda: rbm.fit(X), repeat=repeat, per=epochs * updates_per_epoch)
    peers = {}
    sklearn, reason = optional("sklearn.neural_network")
    if sklearn is None:
        peers["scikit-learn"] = reason
    else:
        sk_epochs = 3 if quick else 30
        sk = sklearn.BernoulliRBM(n_components=nh, learning_rate=lr, batch_size=batch_size, n_iter=sk_epochs,
                                  random_state=1)
        peers["scikit-learn"] = measure(lambda: sk.fit(X), repeat=repeat, per=sk_epochs * updates_per_epoch)
    if batch_size == 1:
        rng = np.random.default_rng(1)
        W, b, c, chain = rng.standard_normal((nv, nh)) / np.sqrt(nv), np.zeros(nv), np.zeros(nh), rng.random(nh)
        hand_epochs = 2 if quick else 10
        peers["numpy by hand"] = measure(
            lambda: [numpy_update_epoch(X, W, b, c, chain, lr, rng) for _ in range(hand_epochs)], repeat=repeat,
            per=hand_epochs * n)
    row = Row("RBM", f"CD update, seed layer {nv}->{nh}, batch {batch_size} (time per update)", ours, peers,
              flop=2.0 * 5 * batch_size * nv * nh,
              note=f"{epochs} epochs; peers on fewer epochs, per update")
    if batch_size == 1:
        ratio = row.ratio("scikit-learn")
        row.target = "<= 1 us, >= 30x scikit-learn"
        row.met = ours.median <= 1e-6 and (ratio is None or ratio >= 30)
    return row


def large_rbm(repeat=3, quick=False):
    """Row: GFLOP/s of a large RBM (one update = five products) next to numpy's GEMM of one product."""
    nv, nh, batch, n, epochs = 1000, 500, 100, 2000, (1 if quick else 2)
    rng = np.random.default_rng(2)
    X = (rng.random((n, nv)) < 0.3).astype(np.float32)
    rbm = BernoulliRBM(n_hidden=nh, epochs=epochs, batch_size=batch, learning_rate=0.001, dtype=np.float32, seed=3)
    updates = epochs * (n // batch)
    ours = measure(lambda: rbm.fit(X), repeat=repeat, per=updates)
    peers = {}
    sklearn, reason = optional("sklearn.neural_network")
    if sklearn is None:
        peers["scikit-learn"] = reason
    else:
        sk = sklearn.BernoulliRBM(n_components=nh, learning_rate=0.001, batch_size=batch, n_iter=1, random_state=1)
        peers["scikit-learn"] = measure(lambda: sk.fit(X), repeat=repeat, per=n // batch)
    row = Row("RBM", f"CD update, {nv}->{nh}, batch {batch}, float32 (time per update)", ours, peers,
              flop=5 * 2.0 * batch * nv * nh, gemm=gemm(batch, nv, nh, np.float32, repeat=repeat, calls=50),
              target=">= 70% of GEMM")
    row.met = row.gflops >= 0.7 * row.gemm["gflops"]
    return row


def measure_all(quick=False, repeat=3):
    snps, genes = condgen.simulate_snp_gep(300, seed=1)
    X = np.hstack([snps, genes])
    return [seed_layer(X, 1, repeat, quick), seed_layer(X, 32, repeat, quick), large_rbm(repeat, quick)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="fewer epochs, for a smoke run")
    parser.add_argument("--json", help="also write the numbers to this file")
    args = parser.parse_args()
    print(f"condgen {condgen.__version__}, {condgen.get_num_threads()} threads", flush=True)
    rows = measure_all(args.quick, args.repeats)
    print(format_table(rows))
    if args.json:
        with open(args.json, "w") as handle:
            json.dump({"machine": machine_info(), "rows": [row.to_dict() for row in rows]}, handle, indent=2)


if __name__ == "__main__":
    main()
