"""Gibbs sweeps per fine-tuning update of the DBM's "condgen" preset: quality against fit cost.

The condgen preset makes 10 fine-tuning updates per epoch (the BoltzmannMachines.jl preset one),
so with the same ``gibbs_steps`` it does 10x the preset's sweeps. The persistent particles carry
over between updates, so fewer sweeps per update may suffice. For each setting of
``quality.py`` (seed, wide, weak; 300 training rows), each ``gibbs_steps`` and seeds 1..N this
trains ``DBM(seed=s, gibbs_steps=g)`` with quality.py's network settings and reports the worst
cell (40 samples per test row) as mean +- sd over seeds and the fit CPU time, with the
BoltzmannMachines.jl preset's fit time (``learning_rate=0.003`` as quality.py) for the ratio.

    python benchmarks/fine_tune_sweeps.py [--seeds 5] [--steps 1 2 3 5] [--settings seed wide weak]
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from quality import DBM_SETTINGS, N_PER_ROW, simulate, timed  # noqa: E402

import condgen  # noqa: E402
from condgen.metrics import conditional_marginal_error  # noqa: E402


def fit_and_score(family, seed, **params):
    snps, genes, test_snps, truth = simulate(family, 300, seed)
    n_snps, n_genes = snps.shape[1], genes.shape[1]
    X = np.hstack([genes, snps])
    model, cpu, _ = timed(lambda: condgen.DBM(seed=seed, **DBM_SETTINGS, **params).fit(X))
    samples = model.sample_conditional(test_snps, list(range(n_genes, n_genes + n_snps)), steps=50,
                                       n_per_row=N_PER_ROW, seed=100 + seed)
    return conditional_marginal_error(samples[:, :n_genes], truth, n_linked=n_snps).worst_cell.error, cpu


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--steps", type=int, nargs="+", default=[1, 2, 3, 5])
    parser.add_argument("--settings", nargs="+", default=["seed", "wide", "weak"])
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    condgen.set_num_threads(args.threads)
    seeds = range(1, args.seeds + 1)
    print(f"{'setting':<8}{'gibbs_steps':>12}{'worst cell':>18}{'fit cpu s':>11}{'/ jl':>7}", flush=True)
    for family in args.settings:
        jl_cpu = np.mean([fit_and_score(family, s, preset="boltzmannmachines.jl", learning_rate=0.003)[1]
                          for s in seeds])
        print(f"{family:<8}{'jl preset':>12}{'':>18}{jl_cpu:>11.3f}{1.0:>7.2f}", flush=True)
        for steps in args.steps:
            runs = np.array([fit_and_score(family, s, gibbs_steps=steps) for s in seeds])
            worst, cpu = runs[:, 0], runs[:, 1].mean()
            print(f"{family:<8}{steps:>12}{worst.mean():>10.3f} +- {worst.std(ddof=1):.3f}"
                  f"{cpu:>11.3f}{cpu / jl_cpu:>7.2f}", flush=True)


if __name__ == "__main__":
    main()
