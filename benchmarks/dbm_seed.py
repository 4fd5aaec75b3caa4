"""The seed's DBM procedure: condgen against a plain numpy implementation of the same algorithm.

Fit: 60 visible units (50 genes + 10 SNPs, 300 rows) -> [30, 10, 2], pre-training 300 epochs at
batch 1 with learning rate 0.002, fine-tuning 100 epochs at 0.003 (BoltzmannMachines.jl's
procedure: ``preset="boltzmannmachines.jl"``), then conditional sampling of 200 test rows for 50
Gibbs steps. Also times condgen's default training (centered pre-training, 10 minibatch updates
per fine-tuning epoch) on the same data.

Targets (issue 4 / 10): the preset fit in <= 0.2 s and >= 30x faster than numpy; the default fit
within 1.5x of the preset's time.

numpy runs a tenth of the epochs, its time scaled by 10 (every epoch costs the same).

    python benchmarks/dbm_seed.py [--quick] [--repeats 3] [--json out.json]
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import dbm_numpy  # noqa: E402
from _harness import Row, format_table, gemm, measure, threads, write_rows_json  # noqa: E402

import condgen  # noqa: E402

SNP_COLUMNS = list(range(50, 60))
SEED_SETTINGS = dict(n_hiddens=[30, 10, 2], pretrain_epochs=300, pretrain_learning_rate=0.002, epochs=100)


def frequencies(samples):
    """Mean generated frequency of genes 0-9 on test rows 0-49, 50-99, 100-199 and of genes 10-49."""
    linked = samples[:, :10].mean(axis=1)
    return {"rows 0-49": float(linked[:50].mean()), "rows 50-99": float(linked[50:100].mean()),
            "rows 100-199": float(linked[100:].mean()), "genes 10-49": float(samples[:, 10:50].mean())}


def seed_data():
    rng = np.random.default_rng(1)
    snps, genes = condgen.simulate_snp_gep(seed=rng)
    test_snps, _ = condgen.simulate_snp_gep(200, n_random_samples=100, seed=rng)
    return np.hstack([genes, snps]), test_snps


def measure_all(quick=False, repeat=3):
    """Rows of run.py: the seed fit (preset and condgen defaults) and conditional sampling, on one
    thread (the seed-sized work is serial; numpy's BLAS too), timed by the thread's CPU time.

    numpy runs a tenth of the epochs (30 pre-training, 10 fine-tuning: every epoch costs the same)
    and its time is scaled by 10; ``quick`` does the same to condgen's fits."""
    with threads(1):
        return _rows(quick, repeat)


def _rows(quick, repeat):
    X, test_snps = seed_data()
    settings = dict(SEED_SETTINGS)
    if quick:
        settings.update(pretrain_epochs=30, epochs=10)
    preset = dict(preset="boltzmannmachines.jl", learning_rate=0.003, **settings)
    fitted = {}

    def fit(name, **params):
        fitted[name] = condgen.DBM(seed=1, **params).fit(X)

    def fit_numpy():
        fitted["numpy"] = dbm_numpy.fit_dbm(X, [30, 10, 2], 30, 0.002, 10, 0.003, np.random.default_rng(1))

    fit_preset = measure(lambda: fit("preset", **preset), repeat=repeat, clock="thread")
    fit_default = measure(lambda: fit("defaults", **settings), repeat=repeat, clock="thread")
    fit_np = measure(fit_numpy, repeat=repeat, scale=1.0 if quick else 10.0, clock="thread")
    samples = {}

    def sample(name):
        samples[name] = fitted[name].sample_conditional(test_snps, SNP_COLUMNS, steps=50, seed=2)

    def sample_numpy():
        samples["numpy"] = dbm_numpy.sample_conditional(fitted["numpy"], test_snps, SNP_COLUMNS, 50,
                                                        np.random.default_rng(2))

    sample_cg = measure(lambda: sample("preset"), repeat=repeat, clock="thread")
    sample_np = measure(sample_numpy, repeat=repeat, clock="thread")
    sample("defaults")
    freq = {name: frequencies(samples[name]) for name in ("preset", "defaults", "numpy")}
    epochs = f"{settings['pretrain_epochs']}+{settings['epochs']} epochs"
    fit_row = Row("seed DBM", f"DBM fit 60-30-10-2, {epochs}, preset boltzmannmachines.jl, 1 thread", fit_preset,
                  {"numpy": fit_np}, target="<= 0.2 s, >= 30x numpy",
                  note=f"numpy on 30+10 epochs, x{1 if quick else 10}; generated frequency of genes "
                       f"0-9 on test rows 50-99 (truth 0.68): condgen {freq['preset']['rows 50-99']:.2f}, "
                       f"numpy {freq['numpy']['rows 50-99']:.2f}",
                  extra={"frequencies": freq})
    if not quick:
        fit_row.met = fit_preset.median <= 0.2 and fit_row.ratio("numpy") >= 30
    default_row = Row("seed DBM", f"DBM fit 60-30-10-2, {epochs}, condgen defaults", fit_default,
                      {"preset boltzmannmachines.jl": fit_preset}, target="<= 1.5x the preset's time",
                      note=f"frequency on test rows 50-99: {freq['defaults']['rows 50-99']:.2f}")
    default_row.met = fit_default.median <= 1.5 * fit_preset.median
    # every weight matrix twice per sweep (up and down)
    sweep_macs = 2 * (60 * 30 + 30 * 10 + 10 * 2)
    sample_row = Row("seed DBM", "conditional sampling, 200 rows x 50 steps, 1 thread", sample_cg, {"numpy": sample_np},
                     flop=2.0 * 200 * sweep_macs * 50,
                     gemm=gemm(200, 60, 30, repeat=repeat, calls=100, clock="thread"))
    return [fit_row, default_row, sample_row]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="timings per measurement (after a warm-up)")
    parser.add_argument("--quick", action="store_true", help="a tenth of the epochs, for a smoke run")
    parser.add_argument("--json", help="write the results to this file")
    args = parser.parse_args()
    rows = measure_all(args.quick, args.repeats)
    print("seed DBM procedure, 1 thread, thread CPU time")
    print(format_table(rows))
    print("generated frequencies (truth: 0.23, 0.68, 0.20; 0.15), one run each:")
    for name, freq in rows[0].extra["frequencies"].items():
        print(f"  {name:10s} " + ", ".join(f"{k} {v:.3f}" for k, v in freq.items()))
    if args.json:
        write_rows_json(args.json, rows)


if __name__ == "__main__":
    main()
