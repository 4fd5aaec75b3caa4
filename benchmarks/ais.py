"""AIS for a medium DBM: condgen against a plain numpy implementation of the same algorithm.

A 500-250-100 DBM with random weights (sd 0.05); log Z by AIS with 100 particles, 100
temperatures and 5 Gibbs transitions per temperature (the defaults), once with 1 thread and once
with 2; numpy runs the identical algorithm (alternating transitions, even layers kept, odd layers
summed out). Also the per-sample AIS likelihood of 100 rows of the seed's 60-30-10-2 shape.
Both estimates of log Z are printed: they must agree within their standard deviations.

numpy runs a fifth of the temperatures (every temperature costs the same), its time scaled by 5.
``measure_all`` returns the rows that ``run.py`` prints.

    python benchmarks/ais.py [--quick] [--repeats 3] [--json out.json]
"""

from __future__ import annotations

import os
import sys
from types import SimpleNamespace

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _harness import Row, gemm, measure, module_main, threads  # noqa: E402

import condgen  # noqa: E402
from condgen.likelihood import (  # noqa: E402
    _combined_biases,
    _layers,
    log_mean_exp,
    log_partition,
    log_partition_zero_weights,
)


def random_dbm(sizes, scale, rng):
    return SimpleNamespace(layers_=[
        SimpleNamespace(weights_=rng.normal(0, scale, (a, b)), visible_bias_=rng.normal(0, 0.5, a),
                        hidden_bias_=rng.normal(0, 0.5, b))
        for a, b in zip(sizes[:-1], sizes[1:])])


def numpy_ais(dbm, n_temperatures=100, n_particles=100, burn_in=5, seed=0):
    """log Z by the same AIS as condgen's, in numpy."""
    rng = np.random.default_rng(seed)
    layers = _layers(dbm)
    weights, biases = [W for W, _, _ in layers], _combined_biases(layers)
    n_layers = len(biases)

    def sigmoid(z):
        return 1.0 / (1.0 + np.exp(-z))

    x = [(rng.random((n_particles, a.size)) < sigmoid(a)).astype(float) for a in biases]

    def layer_input(k):
        total = np.zeros((n_particles, biases[k].size))
        if k > 0:
            total += x[k - 1] @ weights[k - 1]
        if k < n_layers - 1:
            total += x[k + 1] @ weights[k].T
        return total

    log_weights = np.zeros(n_particles)
    betas = np.linspace(0.0, 1.0, n_temperatures + 1)
    for i in range(1, n_temperatures + 1):
        for k in range(1, n_layers, 2):
            I = layer_input(k)
            log_weights += (np.logaddexp(0, betas[i] * I + biases[k])
                            - np.logaddexp(0, betas[i - 1] * I + biases[k])).sum(axis=1)
        for _ in range(burn_in):
            for start in (1, 0):
                for k in range(start, n_layers, 2):
                    p = sigmoid(betas[i] * layer_input(k) + biases[k])
                    x[k] = (rng.random(p.shape) < p).astype(float)
    return log_mean_exp(log_weights) + log_partition_zero_weights(dbm)


def measure_all(quick=False, repeat=3):
    """Rows of run.py: log Z of the 500-250-100 DBM at 1 and 2 threads against numpy, and the
    per-sample likelihood of 100 rows of the seed's shape."""
    sizes, n_temperatures, n_particles, burn_in = [500, 250, 100], (20 if quick else 100), 100, 5
    rng = np.random.default_rng(0)
    dbm = random_dbm(sizes, 0.05, rng)
    peer_temperatures = n_temperatures // 5
    estimates = {}

    def run_numpy():
        estimates["numpy"] = float(numpy_ais(dbm, n_temperatures=peer_temperatures, n_particles=n_particles,
                                             burn_in=burn_in))

    # one transition: every weight matrix twice (odd layers from even, even from odd)
    macs = sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
    flop = 2.0 * 2 * macs * n_particles * n_temperatures * burn_in
    rows = []
    for n_threads in (1, 2):
        with threads(n_threads):
            numpy_time = measure(run_numpy, repeat=repeat, scale=n_temperatures / peer_temperatures)
            ours = measure(lambda: estimates.__setitem__("condgen", log_partition(
                dbm, n_temperatures=n_temperatures, n_particles=n_particles, burn_in=burn_in, seed=0)),
                repeat=repeat)
            reference = gemm(n_particles, sizes[0], sizes[1], repeat=repeat, calls=20)
        estimate = estimates["condgen"]
        rows.append(Row("AIS", f"AIS log Z, DBM 500-250-100, {n_temperatures} temps x {n_particles} particles "
                        f"x {burn_in} steps, {n_threads} thread{'s' * (n_threads > 1)}", ours,
                        {"numpy": numpy_time}, flop=flop, gemm=reference,
                        note=f"numpy on {peer_temperatures} temperatures, x{n_temperatures // peer_temperatures}; "
                             f"log Z: condgen {estimate.value:.2f} +- {estimate.sd:.2f}, numpy "
                             f"({peer_temperatures} temperatures) {estimates['numpy']:.2f}",
                        extra={"log_z": estimate.value, "sd": estimate.sd, "numpy_log_z": estimates["numpy"]}))
    seed_shape = random_dbm([60, 30, 10, 2], 0.3, rng)
    n_rows = 20 if quick else 100
    X = (rng.random((n_rows, 60)) < 0.3).astype(float)
    for n_threads in (1, 2):
        with threads(n_threads):
            ours = measure(lambda: condgen.likelihood.log_likelihood(seed_shape, X, log_partition=0.0, seed=0),
                           repeat=repeat)
        rows.append(Row("AIS", f"per-sample AIS likelihood, {n_rows} rows, DBM 60-30-10-2, {n_threads} "
                        f"thread{'s' * (n_threads > 1)}", ours))
    return rows


def main():
    module_main(__doc__, measure_all, quick_help="fewer temperatures, for a smoke run")


if __name__ == "__main__":
    main()
