"""Mean-field inference of the 1000-500-100 DBM on 10,000 rows against the numpy reference
(``dbm_numpy.mean_field``) timed in the same run.

    python benchmarks/inference.py [--quick]
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import dbm_numpy  # noqa: E402
from _harness import Row, dbm_layers, format_table, gemm, measure, random_dbm  # noqa: E402

import condgen  # noqa: E402


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
    return [mean_field(quick)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller work, for a smoke run")
    args = parser.parse_args()
    print(format_table(measure_all(args.quick)))


if __name__ == "__main__":
    main()
