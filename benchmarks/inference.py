"""Inference benchmarks: AIS log Z of a medium DBM and mean-field on 10,000 rows, against the
numpy references (``ais_numpy.py``, ``dbm_numpy.mean_field``) timed in the same run.

    python benchmarks/inference.py [--quick]
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import ais_numpy  # noqa: E402
import dbm_numpy  # noqa: E402
from _harness import Row, dbm_layers, format_table, gemm, measure, random_dbm  # noqa: E402

import condgen  # noqa: E402


def ais(quick=False, repeat=3):
    """AIS on a medium DBM (200-100-50; 1000 temperatures, 100 particles, 1 transition each)."""
    sizes = (200, 100, 50)
    n_temperatures, n_particles, burn_in = (200 if quick else 1000), 100, 1
    dbm = random_dbm(sizes, seed=1)
    layers = dbm_layers(dbm)
    estimate = {}

    def run_condgen():
        estimate["condgen"] = condgen.likelihood.log_partition(
            dbm, n_temperatures=n_temperatures, n_particles=n_particles, burn_in=burn_in, seed=0).value

    peer_temperatures = n_temperatures // 10  # every temperature costs the same

    def run_numpy():
        estimate["numpy"] = ais_numpy.ais_log_partition(layers, peer_temperatures, n_particles, burn_in,
                                                        np.random.default_rng(0))

    ours = measure(run_condgen, repeat=repeat)
    peer = measure(run_numpy, repeat=repeat, scale=n_temperatures / peer_temperatures)
    # per temperature and transition: the inputs of group A, then of group B (each weight once)
    macs = sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
    flop = 2.0 * 2 * macs * n_particles * n_temperatures * burn_in
    return Row("inference", f"AIS log Z, DBM {'-'.join(map(str, sizes))}, {n_temperatures} temps x "
               f"{n_particles} particles", ours, {"numpy": peer}, flop=flop,
               gemm=gemm(n_particles, sizes[0], sizes[1], repeat=repeat, calls=20),
               note=f"numpy on {peer_temperatures} temperatures, x10; log Z: condgen {estimate['condgen']:.2f}, "
                    f"numpy ({peer_temperatures} temperatures) {estimate['numpy']:.2f}",
               extra={"log_z": estimate})


def mean_field(quick=False, repeat=3):
    """Mean-field of the 1000-500-100 DBM on 10,000 rows (tolerance 1e-3)."""
    sizes = (1000, 500, 100)
    n_rows = 2000 if quick else 10_000
    dbm = random_dbm(sizes, seed=2)
    dbm.mean_field_tol = 1e-3
    layers = dbm_layers(dbm)
    X = (np.random.default_rng(3).random((n_rows, sizes[0])) < 0.3).astype(np.float64)
    result = {}

    def run_numpy():
        result["numpy"] = dbm_numpy.mean_field(layers, X, tol=1e-3)[-1]

    ours = measure(lambda: dbm.mean_field(X), repeat=repeat)
    peer = measure(run_numpy, repeat=repeat)
    difference = float(np.max(np.abs(dbm.mean_field(X)[-1] - result["numpy"])))
    # the largest iteration count of a chunk of rows (the private kernel reports it)
    weights, visible, hidden = dbm._param_lists()
    n_iter = int(condgen._core.dbm_mean_field(weights, visible, hidden, X, 1e-3, 1000)[1])
    # one iteration: every weight matrix twice (up and down) except the top one, once
    macs = n_rows * (2 * sizes[0] * sizes[1] + sizes[1] * sizes[2])
    return Row("inference", f"mean-field, DBM {'-'.join(map(str, sizes))}, {n_rows} rows", ours,
               {"numpy": peer}, flop=2.0 * macs * n_iter,
               gemm=gemm(n_rows, sizes[0], sizes[1], repeat=repeat),
               note=f"flop for {n_iter} iterations on every row (an upper bound: chunks stop early); "
                    f"max |condgen - numpy| = {difference:.1e}",
               extra={"iterations": n_iter, "max_abs_difference": difference})


def measure_all(quick=False):
    return [ais(quick), mean_field(quick)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller work, for a smoke run")
    args = parser.parse_args()
    print(format_table(measure_all(args.quick)))


if __name__ == "__main__":
    main()
