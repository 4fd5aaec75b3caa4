"""The seed's DBM procedure: condgen against a plain numpy implementation of the same algorithm.

Fit: 60 visible units (50 genes + 10 SNPs, 300 rows) -> [30, 10, 2], pre-training 300 epochs at
batch 1 with learning rate 0.002, fine-tuning 100 epochs at 0.003 (BoltzmannMachines.jl's
procedure: ``preset="boltzmannmachines.jl"``), then conditional sampling of 200 test rows for 50
Gibbs steps. Also times condgen's default training (centered pre-training, 10 minibatch updates
per fine-tuning epoch) on the same data.

Targets (issue 4 / 10): the preset fit in <= 0.2 s and >= 30x faster than numpy; the default fit
within 1.5x of the preset's time.

    python benchmarks/dbm_seed.py [--repeats 5] [--threads 2] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import dbm_numpy  # noqa: E402

import condgen  # noqa: E402

SNP_COLUMNS = list(range(50, 60))
SEED_SETTINGS = dict(n_hiddens=[30, 10, 2], pretrain_epochs=300, pretrain_learning_rate=0.002, epochs=100)


def frequencies(samples):
    """Mean generated frequency of genes 0-9 on test rows 0-49, 50-99, 100-199 and of genes 10-49."""
    linked = samples[:, :10].mean(axis=1)
    return {"rows 0-49": float(linked[:50].mean()), "rows 50-99": float(linked[50:100].mean()),
            "rows 100-199": float(linked[100:].mean()), "genes 10-49": float(samples[:, 10:50].mean())}


def best_time(function, repeats):
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return min(times), result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="condgen runs per measurement (best is kept)")
    parser.add_argument("--threads", type=int, default=condgen.get_num_threads())
    parser.add_argument("--json", help="write the results to this file")
    args = parser.parse_args()
    condgen.set_num_threads(args.threads)

    rng = np.random.default_rng(1)
    snps, genes = condgen.simulate_snp_gep(seed=rng)
    test_snps, _ = condgen.simulate_snp_gep(200, n_random_samples=100, seed=rng)
    X = np.hstack([genes, snps])

    preset = dict(preset="boltzmannmachines.jl", learning_rate=0.003, **SEED_SETTINGS)
    fit_preset, dbm = best_time(lambda: condgen.DBM(seed=1, **preset).fit(X), args.repeats)
    sample_cg, samples = best_time(
        lambda: dbm.sample_conditional(test_snps, SNP_COLUMNS, steps=50, seed=2), args.repeats)
    fit_default, default_dbm = best_time(lambda: condgen.DBM(seed=1, **SEED_SETTINGS).fit(X), args.repeats)
    default_samples = default_dbm.sample_conditional(test_snps, SNP_COLUMNS, steps=50, seed=2)

    np_rng = np.random.default_rng(1)
    start = time.perf_counter()
    layers = dbm_numpy.fit_dbm(X, [30, 10, 2], 300, 0.002, 100, 0.003, np_rng)
    fit_numpy = time.perf_counter() - start
    start = time.perf_counter()
    numpy_samples = dbm_numpy.sample_conditional(layers, test_snps, SNP_COLUMNS, 50, np_rng)
    sample_numpy = time.perf_counter() - start

    result = {
        "machine": platform.processor() or platform.machine(),
        "threads": args.threads,
        "fit_s": {"condgen preset": fit_preset, "condgen defaults": fit_default, "numpy": fit_numpy},
        "sample_s": {"condgen": sample_cg, "numpy": sample_numpy},
        "fit_speedup_vs_numpy": fit_numpy / fit_preset,
        "sample_speedup_vs_numpy": sample_numpy / sample_cg,
        "defaults_over_preset": fit_default / fit_preset,
        "frequencies": {"condgen preset": frequencies(samples), "condgen defaults": frequencies(default_samples),
                        "numpy": frequencies(numpy_samples)},
    }
    print(f"seed DBM fit ({args.threads} threads): condgen preset {fit_preset:.3f} s (target <= 0.2 s), "
          f"numpy {fit_numpy:.2f} s -> {result['fit_speedup_vs_numpy']:.1f}x (target >= 30x)")
    print(f"condgen defaults fit {fit_default:.3f} s = {result['defaults_over_preset']:.2f}x the preset "
          f"(target <= 1.5x)")
    print(f"conditional sampling, 200 rows x 50 steps: condgen {sample_cg * 1e3:.1f} ms, numpy "
          f"{sample_numpy * 1e3:.1f} ms -> {result['sample_speedup_vs_numpy']:.1f}x")
    print("generated frequencies (truth: 0.23, 0.68, 0.20; 0.15), one run each:")
    for name, freq in result["frequencies"].items():
        print(f"  {name:17s} " + ", ".join(f"{k} {v:.3f}" for k, v in freq.items()))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
