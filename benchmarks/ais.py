"""AIS for a medium DBM: condgen against a plain numpy implementation of the same algorithm.

A 500-250-100 DBM with random weights (sd 0.05); log Z by AIS with 100 particles, 100
temperatures and 5 Gibbs transitions per temperature (the defaults), once with 1 thread and once
with 2; numpy runs the identical algorithm (alternating transitions, even layers kept, odd layers
summed out). Also the per-sample AIS likelihood of 100 rows of the seed's 60-30-10-2 shape.
Both estimates of log Z are printed: they must agree within their standard deviations.

    python benchmarks/ais.py [--repeats 3] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from types import SimpleNamespace

import condgen
import numpy as np
from condgen.likelihood import (
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


def best_time(function, repeats):
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return min(times), result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="runs per measurement (best is kept)")
    parser.add_argument("--json", help="write the results to this file")
    args = parser.parse_args()
    threads_before = condgen.get_num_threads()
    rng = np.random.default_rng(0)
    dbm = random_dbm([500, 250, 100], 0.05, rng)
    results = {"machine": platform.processor() or platform.machine(), "numpy": np.__version__}

    numpy_time, numpy_estimate = best_time(lambda: numpy_ais(dbm), 1)
    results["numpy_log_z"] = {"seconds": numpy_time, "value": float(numpy_estimate)}
    for threads in (1, 2):
        condgen.set_num_threads(threads)
        seconds, estimate = best_time(lambda: log_partition(dbm, seed=0), args.repeats)
        results[f"condgen_log_z_{threads}_threads"] = {"seconds": seconds, "value": estimate.value,
                                                       "sd": estimate.sd, "speedup_vs_numpy": numpy_time / seconds}
        print(f"log Z, 500-250-100 DBM, {threads} thread(s): condgen {seconds:.3f} s "
              f"({estimate.value:.2f} +- {estimate.sd:.2f}), numpy {numpy_time:.3f} s "
              f"({numpy_estimate:.2f}): {numpy_time / seconds:.1f}x")

    seed_shape = random_dbm([60, 30, 10, 2], 0.3, rng)
    X = (rng.random((100, 60)) < 0.3).astype(float)
    for threads in (1, 2):
        condgen.set_num_threads(threads)
        seconds, _ = best_time(lambda: condgen.likelihood.log_likelihood(seed_shape, X, log_partition=0.0, seed=0),
                               args.repeats)
        results[f"condgen_rows_likelihood_{threads}_threads"] = {"seconds": seconds}
        print(f"per-sample AIS likelihood, 100 rows of a 60-30-10-2 DBM, {threads} thread(s): {seconds:.3f} s")
    condgen.set_num_threads(threads_before)
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(results, handle, indent=2)


if __name__ == "__main__":
    main()
