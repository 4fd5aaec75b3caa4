"""DBM Gibbs sweeps at scale: a 1000-500-100 DBM with 10,000 particles, float32 and float64, on
1 and 2 threads, next to the time of the sweep's matrix products alone done by numpy (BLAS with
the same number of threads) in the same run.

A sweep (alternating sampler) computes h1 from (v, h2), then v and h2 from h1: the products
v W1, h2 W2^T, h1 W1^T and h1 W2, plus the logistic function and one uniform per unit.

Targets (issue 4): sweep <= 1.15x the GEMM-only time with 2 threads; 1 -> 2 threads >= 1.7x.

    python benchmarks/gibbs_large.py [--sweeps 5] [--particles 10000] [--json out.json]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _harness import Row, Timing, format_table, gemm, threads, write_rows_json  # noqa: E402

import condgen  # noqa: E402

SIZES = (1000, 500, 100)
# multiply-adds per particle and sweep: v W1 and h2 W2^T (for h1), h1 W1^T (for v), h1 W2 (for h2)
SWEEP_MACS = 2 * SIZES[0] * SIZES[1] + 2 * SIZES[1] * SIZES[2]


def random_dbm(dtype, seed=0):
    rng = np.random.default_rng(seed)
    rbms = []
    for n_visible, n_hidden in zip(SIZES[:-1], SIZES[1:]):
        rbm = condgen.BernoulliRBM(n_hidden=n_hidden, dtype=dtype)
        rbm.weights_ = rng.normal(0.0, 0.05, (n_visible, n_hidden)).astype(dtype)
        rbm.visible_bias_ = rng.normal(0.0, 0.5, n_visible).astype(dtype)
        rbm.hidden_bias_ = rng.normal(0.0, 0.5, n_hidden).astype(dtype)
        rbms.append(rbm)
    return condgen.DBM.from_rbms(rbms, sampler="alternating")


def time_sweeps(dbm, particles, sweeps, clock):
    start = clock()
    dbm.gibbs_sample(particles, steps=sweeps, seed=1)
    return (clock() - start) / sweeps


def time_gemm(dbm, particles, sweeps, clock):
    W1, W2 = dbm.layers_[0].weights_, dbm.layers_[1].weights_
    v, h1, h2 = particles
    a1, a0, a2 = np.empty_like(h1), np.empty_like(v), np.empty_like(h2)

    def products():
        np.matmul(v, W1, out=a1)
        np.add(a1, h2 @ W2.T, out=a1)
        np.matmul(h1, W1.T, out=a0)
        np.matmul(h1, W2, out=a2)

    start = clock()
    for _ in range(sweeps):
        products()
    return (clock() - start) / sweeps


def measure_all(quick=False, repeat=3, sweeps=2, n_particles=None):
    """Rows of run.py: per dtype and thread count, the sweep against its numpy GEMMs, timed
    interleaved (a warm-up sweep, then `repeat` pairs of timings of `sweeps` sweeps each)."""
    n_particles = n_particles or (2000 if quick else 10_000)
    rows = []
    for dtype in (np.float32, np.float64):
        dbm = random_dbm(dtype)
        particles = dbm.init_particles(n_particles, seed=1)
        per_thread = {}
        for n_threads in (1, 2):
            # one thread: CPU time of this thread (other jobs on the machine do not inflate it)
            clock = "thread" if n_threads == 1 else "wall"
            tick = time.thread_time if n_threads == 1 else time.perf_counter
            gemm_s, sweep_s = [], []
            with threads(n_threads):
                dbm.gibbs_sample(particles, steps=1, seed=0)  # warm-up
                time_gemm(dbm, particles, 1, tick)
                for _ in range(repeat):  # interleaved: both see the same background load
                    gemm_s.append(time_gemm(dbm, particles, sweeps, tick))
                    sweep_s.append(time_sweeps(dbm, particles, sweeps, tick))
            sweep, gemm_only = Timing(sweep_s, clock=clock), Timing(gemm_s, clock=clock)
            per_thread[n_threads] = sweep
            name = np.dtype(dtype).name
            row = Row("large Gibbs sweep", f"Gibbs sweep {'-'.join(map(str, SIZES))}, {n_particles} particles, "
                      f"{name}, {n_threads} thread{'s' if n_threads > 1 else ''}", sweep,
                      {"numpy GEMMs of the sweep": gemm_only}, flop=2.0 * n_particles * SWEEP_MACS,
                      gemm=gemm(n_particles, SIZES[0], SIZES[1], dtype, repeat=repeat, n_threads=n_threads,
                                clock=clock),
                      extra={"sweep_over_gemm": sweep.median / gemm_only.median})
            row.note = f"sweep / GEMM-only time = {sweep.median / gemm_only.median:.2f}"
            if n_threads == 2:
                scaling = per_thread[1].median / sweep.median
                row.note += f"; 1 -> 2 threads {scaling:.2f}x"
                row.extra["thread_scaling"] = scaling
                row.target = "<= 1.15x GEMM-only, >= 1.7x 1->2 threads"
                row.met = sweep.median <= 1.15 * gemm_only.median and scaling >= 1.7
            rows.append(row)
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sweeps", type=int, default=3, help="sweeps per timing")
    parser.add_argument("--repeats", type=int, default=5,
                        help="timings per measurement, interleaved with the peer's (median, min-max)")
    parser.add_argument("--particles", type=int, default=10_000)
    parser.add_argument("--json", help="write the results to this file")
    args = parser.parse_args()
    rows = measure_all(repeat=args.repeats, sweeps=args.sweeps, n_particles=args.particles)
    print(format_table(rows))
    if args.json:
        write_rows_json(args.json, rows)


if __name__ == "__main__":
    main()
