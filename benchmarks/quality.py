"""Quality benchmark: how close each model's conditional gene frequencies come to the simulator's truth.

For several simulator settings (families of numbers of SNPs and genes, activation probability and
noise, each at training sizes from 300 to 3000 rows with the seed's proportions: half of the rows
unlinked), every model variant is trained on the simulated training rows and asked for 40
conditional samples per test row (200 test rows drawn after the training rows from the same stream,
as in the seed). The metric is experiment.md §3's worst cell: the largest
``|mean generated frequency - mean Bayes-optimal probability|`` over the groups of test rows
(A, B, C) x gene blocks (linked, noise), from ``condgen.metrics.conditional_marginal_error``.

Variants (the seed's network settings: CGAN 2500 epochs, batch 32; DBM hidden layers [30, 10, 2],
pre-training 300 epochs at 0.002, fine-tuning 100 epochs):

* ``cgan_seed``: ``CGAN(preset="seed")``, the seed's recipe;
* ``cgan_defaults``: condgen's CGAN defaults (data-only instance noise, EMA generator, 30 noise
  variables, Adam at 2e-3);
* ``dbm_jl``: ``DBM(preset="boltzmannmachines.jl", learning_rate=0.003)``, the seed's procedure;
* ``dbm_defaults``: condgen's DBM defaults (centered pre-training with at most 300 updates per
  epoch, 10 minibatch updates per fine-tuning epoch at 0.03, alternating sampler, conditional
  chains started from the clamped mean-field state);
* ``dbm_conditional``: condgen's DBM fitted for genes given SNPs
  (``fit(X, condition_on=snp_columns)``: pre-training with true Gibbs chains, then the
  conditional likelihood with one clamped persistent chain per training row), condgen's recipe
  for this task;
* ``floor``: the plug-in Bayes predictor of ``plugin_bayes.py`` (the simulator's structure with
  parameters estimated from the training rows), 40 Bernoulli draws per test row: what the
  training sample itself leaves open, Monte Carlo noise of 40 draws included.

Seed ``s`` (1, 2, ...) draws the data from ``numpy.random.default_rng(s)`` (so seed 1 of the seed
setting is the seed's data) and trains every model with seed ``s``. Fit times are CPU seconds of
the process (the C++ kernels run on ``--threads`` threads, 1 by default, so CPU time is robust to
other load on the machine) and wall seconds.

    python benchmarks/quality.py [--seeds 5] [--quick] [--threads 1] [--out DIR]

Writes ``DIR/quality.json`` and ``DIR/quality.png`` (worst cell against training rows, one panel
per family) and prints the table (mean +- sd over seeds). Targets: issue 10 (``dbm_defaults``
and ``dbm_conditional`` <= 0.03 on average on every setting, fit within 1.5x ``dbm_jl``) and
issue 11 (``cgan_defaults`` <= 0.04, fit within 1.2x ``cgan_seed``).

Full run of 2026-12-07 (5 seeds, 1 thread, other jobs on the second core), after conditional fits
started pre-training with true Gibbs chains (``DBM``'s ``pretrain_pcd``; ``dbm_defaults_study.py``),
worst cell mean +- sd, fit CPU seconds in brackets:

=========  ==============  ==============  ==============  ==============  ===============  =====
setting    cgan_seed       cgan_defaults   dbm_jl          dbm_defaults    dbm_conditional  floor
=========  ==============  ==============  ==============  ==============  ===============  =====
seed-300   .078+-.023 3.7  .031+-.008 3.8  .073+-.029 .32  .023+-.005 .62  .020+-.005 .40   .013
seed-1000  .052+-.016 12   .031+-.018 13   .096+-.067 1.3  .022+-.016 1.5  .015+-.004 1.6   .008
seed-3000  .062+-.011 35   .019+-.005 38   .204+-.123 3.4  .017+-.010 3.4  .012+-.004 3.7   .005
wide-300   .096+-.034 7.2  .039+-.016 7.8  .115+-.053 .48  .032+-.012 .71  .016+-.008 .51   .007
weak-300   .105+-.029 3.3  .028+-.025 3.4  .105+-.018 .31  .057+-.015 .46  .028+-.007 .35   .011
=========  ==============  ==============  ==============  ==============  ===============  =====

Fit time ratios dbm_conditional / dbm_jl: 1.27, 1.23, 1.08, 1.06, 1.11 (dbm_defaults / dbm_jl:
1.94, 1.16, 0.98, 1.49, 1.47; the 1.94 is noise of the loaded machine: seeds 1-5 of seed-300 again
on their own, 1.02x). Issue 10's 0.03 is met by ``dbm_conditional`` on every setting, weak-300
included (the previous full run, 2026-12-06, pre-trained with BoltzmannMachines.jl's chain of
probabilities: .055 +- .014 there, seed-300 .022, seed-1000 .014, seed-3000 .013, wide-300 .018;
over seeds 1-20 weak-300 .034 +- .016 against .051 +- .019). ``dbm_defaults`` (the joint
fine-tuning, whose pre-training keeps that chain) misses it on weak-300 and, narrowly, wide-300.

Full run of 2026-11-25 (5 seeds, 1 thread, load average 1.3-3.1 on 2 cores from other jobs;
branch ``dbmq`` after merging main at 46d2de8: CGAN defaults with Adam at 2e-3, DBM defaults with
the clamped mean-field start of the conditional chains and at most 300 pre-training updates per
epoch), worst cell mean +- sd, fit CPU seconds in brackets:

=========  ==============  ===============  ==============  ===============  ===============  =====
setting    cgan_seed       cgan_defaults    dbm_jl          dbm_defaults     dbm_ensemble3    floor
=========  ==============  ===============  ==============  ===============  ===============  =====
seed-300   .064+-.032 1.3  .025+-.011 1.4   .078+-.029 .20  .021+-.004 .27   .021+-.004 .83   .013
seed-1000  .084+-.035 4.2  .035+-.026 4.5   .109+-.049 .75  .021+-.007 .90   .017+-.005 2.7   .008
seed-3000  .050+-.014 12   .017+-.007 14    .168+-.094 2.1  .021+-.010 2.1   .016+-.008 6.2   .005
wide-300   .084+-.049 2.9  .031+-.012 3.1   .074+-.059 .35  .046+-.023 .47   .018+-.011 1.4   .007
weak-300   .101+-.018 1.2  .031+-.020 1.4   .113+-.052 .20  .054+-.014 .28   .056+-.010 .83   .011
=========  ==============  ===============  ==============  ===============  ===============  =====

Fit time ratios dbm_defaults / dbm_jl: 1.38, 1.20, 0.99, 1.34, 1.38; cgan_defaults / cgan_seed:
1.13, 1.09, 1.11, 1.08, 1.09. Over more seeds (``dbm_defaults_study.py``, same code): seed-300
.028 +- .011, wide-300 .041 +- .029, weak-300 .049 +- .020 (seeds 1-20), seed-1000 .023 +- .005,
seed-3000 .018 +- .010 (seeds 1-10). Issue 10 is met on seed-300/1000/3000, not on wide-300
(fine-tuning noise: another random stream for the same pre-trained stack moves group B's
linked genes by +-.07; the ensemble of three averages it out, .018, at 3x the cost) nor on
weak-300 (a bias, A/linked -.04 and C/linked +.03 in 19 of 20 seeds, that no fine-tuning,
pre-training or sampling setting tried moves; see that script's docstring).

History: the first full run (DBM of branch ``dbm`` at 9b19dac) had seed-300 .020, seed-1000 .028,
seed-3000 .028, wide-300 .515 +- .404, weak-300 .053 for ``dbm_defaults``. On ``wide`` the
centered pre-training's hidden offsets, tracking the hidden means (rate 0.01), let saturated
units drift and 10 of 15 fits collapsed (every linked gene on); ``DBM()`` keeps the hidden offsets
at 0.5 since (``pretrain_offset_rate=0``, ``centering_drift.py``), and fine-tunes with 2 Gibbs
sweeps per update instead of 5 (``fine_tune_sweeps.py``). Fixed offsets and batch-1 pre-training
then let the weights grow with the number of updates on 3000 rows (.104 +- .029 over seeds 1-5),
hence at most 300 pre-training updates per epoch; the mean-field start of the conditional chains
took wide-300 from .043 +- .025 (max .108) to .032 +- .017 (max .062) over seeds 1-20 (after the
merge of main's vectorised logistic, another draw of the fine-tuning noise: .065 +- .067, max
.269, to .041 +- .029, max .087).

``cgan_defaults`` missed issue 11 on ``wide`` (the generator of 100 genes had often not left its
early near-deterministic phase by epoch 2500), so the defaults now train with Adam at 2e-3
instead of 1e-3 (``cgan_defaults_study.py``, which runs this protocol for CGAN variants only).
Targeted runs of 2026-11-25 (seeds 1-5, 1 thread, CPU time, under load from other jobs), worst
cell mean +- sd, fit CPU seconds and ``cgan_defaults / cgan_seed`` (mean of the per-seed ratios):

=========  ==============  =====================  ==================  =====
setting    cgan_seed       cgan_defaults (2e-3)   previous (1e-3)     ratio
=========  ==============  =====================  ==================  =====
seed-300   .064+-.032 1.3  .025+-.011 1.5         .035+-.020 1.5      1.15
seed-1000  .084+-.035 4.3  .035+-.026 4.8         .021+-.013 4.8      1.10
seed-3000  .050+-.014 14   .017+-.007 15          .026+-.010 15       1.11
wide-300   .084+-.049 3.1  .031+-.012 3.4         .068+-.033 3.4      1.08
weak-300   .101+-.018 1.3  .031+-.020 1.5         .034+-.017 1.5      1.11
=========  ==============  =====================  ==================  =====

Over more seeds: wide .031+-.016 (seeds 1-20, at most .060) against .064+-.044 (up to .21);
seed-300 .026+-.010 against .032+-.015 (seeds 1-10); seed-1000 .028+-.020 against .018+-.010
(seeds 1-10: the one setting where 2e-3 is not better, within the targets). The previous
defaults' numbers differ a little from the first full run (seed-300 .035 against .030, wide
.068 against .074); not investigated (the first full run may have used earlier kernels).
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

from plugin_bayes import PluginBayes  # noqa: E402

import condgen  # noqa: E402
from condgen.metrics import bayes_conditional_genes, conditional_marginal_error  # noqa: E402

N_PER_ROW = 40
N_TEST = 200
CGAN_SETTINGS = dict(epochs=2500, batch_size=32)
DBM_SETTINGS = dict(n_hiddens=[30, 10, 2], pretrain_epochs=300, pretrain_learning_rate=0.002, epochs=100)

# family -> simulator parameters (besides n_samples and n_random_samples = n_samples // 2)
FAMILIES = {
    "seed": dict(n_snps=10, n_genes=50, snp_noise=0.05, noise=0.15, activation_prob=0.7),
    "wide": dict(n_snps=20, n_genes=100, snp_noise=0.05, noise=0.1, activation_prob=0.8),
    "weak": dict(n_snps=10, n_genes=50, snp_noise=0.05, noise=0.25, activation_prob=0.6),
}
FULL_SETTINGS = [("seed", 300), ("seed", 1000), ("seed", 3000), ("wide", 300), ("weak", 300)]
QUICK_SETTINGS = [("seed", 300), ("wide", 300)]
VARIANTS = ["cgan_seed", "cgan_defaults", "dbm_jl", "dbm_defaults", "dbm_conditional", "floor"]


def simulate(family, n_train, seed):
    """Training and test rows from one stream, as the seed does."""
    params = FAMILIES[family]
    rng = np.random.default_rng(seed)
    snps, genes = condgen.simulate_snp_gep(n_train, n_random_samples=n_train // 2, seed=rng, **params)
    test_snps, _ = condgen.simulate_snp_gep(N_TEST, n_random_samples=N_TEST // 2, seed=rng, **params)
    truth = bayes_conditional_genes(test_snps, n_samples=N_TEST, n_random_samples=N_TEST // 2, **params)
    return snps, genes, test_snps, truth


def timed(function):
    cpu, wall = time.process_time(), time.perf_counter()
    result = function()
    return result, time.process_time() - cpu, time.perf_counter() - wall


def run_setting(family, n_train, seed):
    """One setting and seed: {variant: (samples as (rows, k, genes), fit cpu s, fit wall s)}."""
    snps, genes, test_snps, truth = simulate(family, n_train, seed)
    n_snps, n_genes = snps.shape[1], genes.shape[1]
    snp_columns = list(range(n_genes, n_genes + n_snps))
    repeated = np.repeat(test_snps, N_PER_ROW, axis=0)
    out = {}

    def cgan(**params):
        model, cpu, wall = timed(lambda: condgen.CGAN(seed=seed, **CGAN_SETTINGS, **params).fit(genes, snps))
        return model.generate(repeated, seed=100 + seed), cpu, wall

    def dbm(condition_on=None, **params):
        X = np.hstack([genes, snps])
        model, cpu, wall = timed(lambda: condgen.DBM(seed=seed, **DBM_SETTINGS, **params).fit(
            X, condition_on=condition_on))
        samples = model.sample_conditional(test_snps, snp_columns, steps=50, n_per_row=N_PER_ROW,
                                           seed=100 + seed)
        return samples[:, :n_genes], cpu, wall

    out["cgan_seed"] = cgan(preset="seed")
    out["cgan_defaults"] = cgan()
    out["dbm_jl"] = dbm(preset="boltzmannmachines.jl", learning_rate=0.003)
    out["dbm_defaults"] = dbm()
    out["dbm_conditional"] = dbm(condition_on=snp_columns)
    plugin, cpu, wall = timed(lambda: PluginBayes(n_random_samples=n_train // 2).fit(snps, genes))
    probabilities = np.repeat(plugin.predict_proba(test_snps), N_PER_ROW, axis=0)
    draws = (np.random.default_rng(100 + seed).random(probabilities.shape) < probabilities).astype(float)
    out["floor"] = (draws, cpu, wall)

    records = []
    for variant, (samples, cpu, wall) in out.items():
        error = conditional_marginal_error(samples, truth, n_linked=n_snps)
        b_linked = error.cells[("B", "linked")]
        records.append({
            "family": family, "n_train": n_train, "seed": seed, "variant": variant,
            "worst_cell": error.worst_cell.error, "worst_cell_where": f"{error.worst_cell.group}/{error.worst_cell.block}",
            "b_linked": b_linked.frequency, "b_linked_truth": b_linked.truth, "mae": error.mae,
            "fit_cpu_s": cpu, "fit_wall_s": wall,
        })
    return records


def summarise(records, settings):
    summary = []
    for family, n_train in settings:
        for variant in VARIANTS:
            rows = [r for r in records if r["family"] == family and r["n_train"] == n_train and r["variant"] == variant]
            worst = np.array([r["worst_cell"] for r in rows])
            summary.append({
                "family": family, "n_train": n_train, "variant": variant, "n_seeds": len(rows),
                "worst_cell_mean": float(worst.mean()),
                "worst_cell_sd": float(worst.std(ddof=1)) if len(rows) > 1 else float("nan"),
                "b_linked_mean": float(np.mean([r["b_linked"] for r in rows])),
                "b_linked_truth": rows[0]["b_linked_truth"],
                "fit_cpu_s": float(np.mean([r["fit_cpu_s"] for r in rows])),
                "fit_wall_s": float(np.mean([r["fit_wall_s"] for r in rows])),
            })
    return summary


def print_table(summary, settings):
    by_key = {(s["family"], s["n_train"], s["variant"]): s for s in summary}
    header = f"{'setting':<11}" + "".join(f"{v:>20}" for v in VARIANTS)
    print("\nworst cell, mean +- sd over seeds")
    print(header)
    for family, n_train in settings:
        cells = []
        for variant in VARIANTS:
            s = by_key[(family, n_train, variant)]
            cells.append(f"{s['worst_cell_mean']:.3f} +- {s['worst_cell_sd']:.3f}")
        print(f"{family + '-' + str(n_train):<11}" + "".join(f"{c:>20}" for c in cells))
    print("\nfit time, CPU seconds (mean over seeds); ratios: cgan_defaults / cgan_seed, dbm_defaults / dbm_jl,"
          " dbm_conditional / dbm_jl")
    print(f"{'setting':<11}" + "".join(f"{v:>16}" for v in VARIANTS[:-1])
          + f"{'cgan ratio':>12}{'dbm ratio':>11}{'cond ratio':>12}")
    for family, n_train in settings:
        times = [by_key[(family, n_train, v)]["fit_cpu_s"] for v in VARIANTS[:-1]]
        print(f"{family + '-' + str(n_train):<11}" + "".join(f"{t:>16.2f}" for t in times)
              + f"{times[1] / times[0]:>12.2f}{times[3] / times[2]:>11.2f}{times[4] / times[2]:>12.2f}")


def targets(summary):
    """The issues' targets, evaluated on this run: worst cells and fit-time ratios per setting."""
    by_key = {(f"{s['family']}-{s['n_train']}", s["variant"]): s for s in summary}
    names = list(dict.fromkeys(name for name, _ in by_key))

    def worst(variant):
        return {name: by_key[(name, variant)]["worst_cell_mean"] for name in names}

    def ratio(new, old):
        return {name: by_key[(name, new)]["fit_cpu_s"] / by_key[(name, old)]["fit_cpu_s"] for name in names}

    dbm, conditional, cgan = worst("dbm_defaults"), worst("dbm_conditional"), worst("cgan_defaults")
    dbm_ratio, cgan_ratio = ratio("dbm_defaults", "dbm_jl"), ratio("cgan_defaults", "cgan_seed")
    conditional_ratio = ratio("dbm_conditional", "dbm_jl")
    return {
        "issue10_dbm_defaults_worst_cell_le_0.03": all(v <= 0.03 for v in dbm.values()),
        "issue10_dbm_fit_time_ratio": dbm_ratio,
        "issue10_dbm_fit_time_le_1.5x": all(v <= 1.5 for v in dbm_ratio.values()),
        "issue10_dbm_conditional_worst_cell_le_0.03": all(v <= 0.03 for v in conditional.values()),
        "issue10_dbm_conditional_fit_time_ratio": conditional_ratio,
        "issue10_dbm_conditional_fit_time_le_1.5x": all(v <= 1.5 for v in conditional_ratio.values()),
        "issue11_cgan_defaults_worst_cell_le_0.04": all(v <= 0.04 for v in cgan.values()),
        "issue11_cgan_fit_time_ratio": cgan_ratio,
        "issue11_cgan_fit_time_le_1.2x": all(v <= 1.2 for v in cgan_ratio.values()),
    }


def plot(summary, settings, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    families = list(dict.fromkeys(f for f, _ in settings))
    sizes = sorted({n for _, n in settings})
    fig, axes = plt.subplots(1, len(families), figsize=(4.5 * len(families), 4), sharey=True, squeeze=False)
    for ax, family in zip(axes[0], families):
        for variant in VARIANTS:
            rows = sorted((s for s in summary if s["family"] == family and s["variant"] == variant),
                          key=lambda s: s["n_train"])
            ax.errorbar([s["n_train"] for s in rows], [s["worst_cell_mean"] for s in rows],
                        yerr=[0.0 if np.isnan(s["worst_cell_sd"]) else s["worst_cell_sd"] for s in rows],
                        marker="o", capsize=3, label=variant, linestyle="--" if variant == "floor" else "-")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlim(0.7 * min(sizes), 1.4 * max(sizes))  # the same range in every panel
        ax.set_xticks(sizes, [str(n) for n in sizes])
        ax.minorticks_off()
        ax.set_xlabel("training rows")
        ax.set_title(f"{family}: {FAMILIES[family]['n_snps']} SNPs, {FAMILIES[family]['n_genes']} genes, "
                     f"a={FAMILIES[family]['activation_prob']}, noise={FAMILIES[family]['noise']}", fontsize=8)
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("worst cell |frequency - Bayes|")
    axes[0][-1].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5, help="seeds per setting (data and training)")
    parser.add_argument("--quick", action="store_true",
                        help=f"one seed (unless --seeds is given) and the settings {QUICK_SETTINGS}")
    parser.add_argument("--threads", type=int, default=1, help="threads of the C++ kernels")
    parser.add_argument("--out", default="quality-results", help="directory for quality.json and quality.png")
    args = parser.parse_args()
    n_seeds = 1 if args.quick and "--seeds" not in sys.argv else args.seeds
    if n_seeds < 1:
        parser.error("--seeds must be at least 1")
    settings = QUICK_SETTINGS if args.quick else FULL_SETTINGS
    condgen.set_num_threads(args.threads)
    os.makedirs(args.out, exist_ok=True)

    records = []
    start = time.perf_counter()
    for family, n_train in settings:
        for seed in range(1, n_seeds + 1):
            records += run_setting(family, n_train, seed)
            done = {r["variant"]: r["worst_cell"] for r in records[-len(VARIANTS):]}
            print(f"[{time.perf_counter() - start:7.1f} s] {family}-{n_train} seed {seed}: "
                  + ", ".join(f"{v} {e:.3f}" for v, e in done.items()), flush=True)

    summary = summarise(records, settings)
    print_table(summary, settings)
    result = {
        "settings": {f"{f}-{n}": {**FAMILIES[f], "n_samples": n, "n_random_samples": n // 2} for f, n in settings},
        "cgan": CGAN_SETTINGS, "dbm": DBM_SETTINGS, "n_per_row": N_PER_ROW, "n_test": N_TEST,
        "seeds": n_seeds, "threads": args.threads, "machine": platform.platform(),
        "load_average": os.getloadavg(), "summary": summary, "targets": targets(summary), "records": records,
    }
    print("\ntargets:", json.dumps(result["targets"], indent=1))
    with open(os.path.join(args.out, "quality.json"), "w") as f:
        json.dump(result, f, indent=1)
    plot(summary, settings, os.path.join(args.out, "quality.png"))
    print(f"wrote {args.out}/quality.json and {args.out}/quality.png ({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
