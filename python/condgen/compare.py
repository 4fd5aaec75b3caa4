"""The main job: the seed's DBM-vs-CGAN experiment, measured against the Bayes-optimal truth.

:func:`run_compare` simulates the seed's training and test data, trains every model variant,
conditions each on the 200 test SNP rows (the seed's procedure for the pictures, many samples per
row for the numbers), samples SNPs given genes with the DBMs (which only a joint model can do), and
writes figures, ``metrics.json`` and a self-contained ``report.html``. ``condgen compare`` is its
command line.

The model variants are data (:class:`ModelVariant`, :func:`default_variants`): a new preset is one
more entry.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

__all__ = ["CompareSettings", "ModelVariant", "default_variants", "format_summary_table",
           "render_report", "run_compare"]

N_TEST = 200  # the seed's test set: 200 rows, the last 100 with unlinked genes
N_TEST_RANDOM = 100
_NOISE, _ACTIVATION_PROB = 0.15, 0.7  # simulate_snp_gep's defaults, the seed's values
_SNP_BLOCKS = {"snps": slice(None)}  # the reverse direction has one block: all SNPs


@dataclass(frozen=True)
class CompareSettings:
    """Settings of one ``condgen compare`` run.

    Attributes
    ----------
    seed : int
        Seed of the first repeat; repeat ``r`` uses ``seed + r`` for the data and the models.
    repeats : int
        Number of independent repeats (new data and new training each time).
    n_train : int
        Training rows; as in the seed, the last half of them have genes unlinked to the SNPs.
        The test set is always the seed's (200 rows, the last 100 unlinked).
    quick : bool
        Cut epochs and samples for a smoke run (the numbers are then not meaningful).
    samples_per_row : int
        Conditional samples per test row for the numbers (the pictures use the seed's one).
    gibbs_steps : int
        Gibbs steps of the DBMs' conditional sampling (the seed's 50).
    """

    seed: int = 1
    repeats: int = 1
    n_train: int = 300
    quick: bool = False
    samples_per_row: int = 40
    gibbs_steps: int = 50

    def __post_init__(self):
        from ._validation import check_int

        check_int(self.seed, "seed", minimum=0)
        check_int(self.repeats, "repeats", minimum=1)
        check_int(self.n_train, "n_train", minimum=8)
        check_int(self.samples_per_row, "samples_per_row", minimum=1)
        check_int(self.gibbs_steps, "gibbs_steps", minimum=1)


@dataclass(frozen=True)
class ModelVariant:
    """One model of the comparison.

    Attributes
    ----------
    key : str
        Short identifier, used in file names and ``metrics.json``.
    label : str
        Name in tables and figures.
    family : {"cgan", "dbm"}
        A CGAN generates genes given SNPs; a DBM models genes and SNPs jointly (genes in columns
        0..n_genes-1, SNPs after them, as in the seed).
    build : callable
        ``build(quick, seed)`` returns the unfitted model (``seed``: the run's int seed).
    description : str
        One sentence for the report.
    cost : float
        Rough CPU seconds of training and sampling; when models train concurrently the costliest
        start first, so that the cores finish together.
    conditional : bool
        A DBM fine-tuned for genes given SNPs (``fit(..., condition_on=SNP columns)``); its
        reverse direction (SNPs given genes) is not measured, as for a CGAN.
    """

    key: str
    label: str
    family: str
    build: Callable = field(repr=False)
    description: str = ""
    cost: float = 1.0
    conditional: bool = False


def _cgan_seed(quick, seed):
    from .cgan import CGAN

    return CGAN(preset="seed", epochs=100 if quick else 2500, batch_size=32, learning_rate=1e-3,
                seed=seed)


def _cgan_default(quick, seed):
    from .cgan import CGAN

    return CGAN(epochs=100 if quick else 2500, batch_size=32, seed=seed)


def _dbm_bmjl(quick, seed):
    from .dbm import DBM

    return DBM(preset="boltzmannmachines.jl", n_hiddens=[30, 10, 2],
               pretrain_epochs=20 if quick else 300, pretrain_learning_rate=0.002,
               epochs=10 if quick else 100, learning_rate=0.003, seed=seed)


def _dbm_default(quick, seed):
    from .dbm import DBM

    return DBM(n_hiddens=[30, 10, 2], pretrain_epochs=20 if quick else 300,
               epochs=10 if quick else 100, seed=seed)


def default_variants():
    """The models of ``condgen compare``: both CGANs and both DBMs of the seed experiment, and
    condgen's DBM fine-tuned for genes given SNPs."""
    return [
        ModelVariant("cgan-seed", "CGAN (seed recipe)", "cgan", _cgan_seed,
                     "The seed's fitcgan: 2500 epochs, batch 32, Adam 0.001, 10 noise variables, "
                     "instance noise sd 2 on every discriminator input.", cost=1.8),
        ModelVariant("cgan-condgen", "CGAN (condgen defaults)", "cgan", _cgan_default,
                     "condgen's CGAN defaults with the seed's epochs and batch: instance noise "
                     "on the gene columns only, EMA generator, 30 noise variables, Adam 0.002.",
                     cost=2.3),
        ModelVariant("dbm-bmjl", "DBM (BoltzmannMachines.jl)", "dbm", _dbm_bmjl,
                     "The seed's fitdbm: [30, 10, 2], pre-training 300 epochs at 0.002, fine-tuning "
                     "100 epochs at 0.003, full batch, synchronous sampler, no centering.", cost=0.9),
        ModelVariant("dbm-condgen", "DBM (condgen defaults)", "dbm", _dbm_default,
                     "condgen's DBM defaults with the seed's layers and epochs: centered "
                     "pre-training, alternating sampler, 10 minibatch updates per fine-tuning epoch "
                     "from learning rate 0.03.", cost=1.2),
        ModelVariant("dbm-conditional", "DBM (condgen, conditional)", "dbm", _dbm_default,
                     "The same DBM fine-tuned for the conditional likelihood of the genes given the "
                     "SNPs (fit(..., condition_on=SNP columns)): pre-training with true Gibbs "
                     "chains, one persistent chain per training row with its SNPs clamped.",
                     cost=1.0, conditional=True),
    ]


# ---------------------------------------------------------------------------------------------
# The experiment


def _simulate(seed, n_train):
    from .simulate import simulate_snp_gep

    rng = np.random.default_rng(seed)
    snps, genes = simulate_snp_gep(n_train, n_random_samples=n_train // 2, seed=rng)
    test_snps, test_genes = simulate_snp_gep(N_TEST, n_random_samples=N_TEST_RANDOM, seed=rng)
    return snps, genes, test_snps, test_genes


def _quality(samples, truth, blocks=None, n_linked=10):
    """One model's numbers in one direction, from :func:`condgen.metrics.conditional_marginal_error`.

    Cells are group of test rows (A, B, C) x block of columns, keyed ``"A/linked"``; standard
    errors only where there are several samples per row.
    """
    from .metrics import conditional_marginal_error

    result = conditional_marginal_error(samples, truth, blocks=blocks, n_linked=n_linked)
    cells = {f"{group}/{block}": cell for (group, block), cell in result.cells.items()}
    numbers = {
        "cells": {key: cell.frequency for key, cell in cells.items()},
        "cell_errors": {key: abs(cell.bias) for key, cell in cells.items()},
        "worst_cell_error": result.worst_cell.error,
        "worst_cell": f"{result.worst_cell.group}/{result.worst_cell.block}",
        "mean_abs_error": result.mae,
    }
    if result.n_per_row > 1:
        numbers["cell_frequency_se"] = {key: cell.frequency_se for key, cell in cells.items()}
        numbers["mean_abs_error_se"] = result.mae_se
    return numbers, {key: cell.truth for key, cell in cells.items()}


def _sample_bayes_genes(snps, truth, noise, activation_prob, n_snps, rng):
    """Gene rows drawn from the Bayes-optimal conditional distribution (a mixture over groups).

    Every unlinked group gives each gene probability ``noise``, so the mixture is one over
    "linked" and "unlinked"; the posterior share of the linked groups follows from the marginal
    of gene 0: ``truth = L q + (1 - L) noise`` with ``q`` = ``activation_prob`` or its complement.
    """
    q = np.where(snps[:, 0] == 1.0, activation_prob, 1.0 - activation_prob)
    linked_share = np.clip((truth[:, 0] - noise) / (q - noise), 0.0, 1.0)
    linked = rng.random(len(snps)) < linked_share
    probabilities = np.full(truth.shape, noise)
    probabilities[linked, :n_snps] = np.where(snps[linked] == 1.0, activation_prob, 1.0 - activation_prob)
    return (rng.random(truth.shape) < probabilities).astype(np.float64)


def _run_variant(variant, index, seed, settings, progress, data):
    """Train one model, condition it on the test rows and measure it; returns (numbers, artifacts)."""
    from .metrics import log_odds_ratio_rmse

    snps, genes, test_snps, test_genes = data["snps"], data["genes"], data["test_snps"], data["test_genes"]
    n_snps, n_genes = snps.shape[1], genes.shape[1]
    per_row, steps = _samples_per_row(settings), settings.gibbs_steps
    # The model trains with the run's seed itself, so `DBM(..., seed=1).fit(x)` reproduces it; the
    # monitor and the sampling draw from streams of their own and never change the training.
    model = variant.build(settings.quick, seed)
    rng = np.random.default_rng([seed, index, 2])
    model.progress = progress
    training = np.hstack([genes, snps])  # the seed's layout for the DBM: genes, then SNPs
    snp_columns = list(range(n_genes, n_genes + n_snps))
    monitor = _TimedMonitor(_monitor(variant.family, training, data, settings.quick,
                                     np.random.default_rng([seed, index, 1])))
    model.monitor = monitor
    start = time.perf_counter()
    if variant.family == "cgan":
        model.fit(genes, snps)
    else:
        model.fit(training, condition_on=snp_columns if variant.conditional else None)
    fit_seconds = time.perf_counter() - start - monitor.seconds

    start = time.perf_counter()
    if variant.family == "cgan":
        picture = model.generate(test_snps, seed=rng)
        many = model.generate(np.repeat(test_snps, per_row, axis=0), seed=rng)
        visible = None
    else:
        visible = model.sample_conditional(test_snps, snp_columns, steps=steps, seed=rng)
        picture = visible[:, :n_genes]
        many = model.sample_conditional(test_snps, snp_columns, steps=steps, n_per_row=per_row,
                                        seed=rng)[:, :n_genes]
    sample_seconds = time.perf_counter() - start

    numbers, _ = _quality(many, data["truth_genes"], n_linked=n_snps)
    numbers["log_odds_ratio_rmse"] = log_odds_ratio_rmse(np.hstack([picture, test_snps]),
                                                         data["reference"])
    numbers["fit_seconds"] = fit_seconds
    numbers["monitor_seconds"] = monitor.seconds
    numbers["sample_seconds"] = sample_seconds
    artifacts = {"model": model, "genes": picture, "visible": visible,
                 "monitor": monitor.monitor}
    if variant.family == "dbm" and not variant.conditional:
        start = time.perf_counter()
        # Random chains: given the genes the SNPs are bimodal (all 0 or all 1), and the
        # mean-field start sits in one of the two modes (DBM.sample_conditional).
        reverse = model.sample_conditional(test_genes, list(range(n_genes)), steps=steps,
                                           n_per_row=per_row, seed=rng, start="random")[:, n_genes:]
        numbers["reverse_sample_seconds"] = time.perf_counter() - start
        numbers["reverse"], _ = _quality(reverse, data["truth_snps"], blocks=_SNP_BLOCKS)
        artifacts["reverse_snps"] = reverse[::per_row]
    return numbers, artifacts


def _monitor(family, training, data, quick, rng):
    """The training monitor of one model.

    Both families: the worst cell of the conditional gene frequencies against the Bayes-optimal
    ones on the test SNPs (a few samples per row), to show how the conditional distribution
    converges (monitoring only; training never sees the test rows). DBMs also: the mean and
    correlation differences between 500 model samples after 5 sweeps and the training data
    (Julia's ``monitorcordiff``). Every 10th fine-tuning epoch of a DBM (2 samples per row, 50
    Gibbs steps each), every 100th epoch of a CGAN (4 samples per row); its time is recorded
    apart from the fit time.
    """
    from .monitor import ConditionalMarginalError, CorrelationDifference, MeanDifference, Monitor

    n_snps, n_genes = data["snps"].shape[1], data["genes"].shape[1]
    columns = list(range(n_genes, n_genes + n_snps)) if family == "dbm" else None
    evaluations = [ConditionalMarginalError(data["test_snps"], data["truth_genes"],
                                            n_per_row=2 if family == "dbm" else 4,
                                            condition_columns=columns, n_linked=n_snps, seed=rng)]
    if family == "dbm":
        evaluations += [MeanDifference(n_samples=500, burn_in=5, seed=rng),
                        CorrelationDifference(n_samples=500, burn_in=5, seed=rng)]
        every = 2 if quick else 10
    else:
        every = 10 if quick else 100
    return Monitor(evaluations, data={"training data": training}, every=every)


class _TimedMonitor:
    """Delegates to a monitor and adds up the time it takes, so that fit times exclude it."""

    def __init__(self, monitor):
        self.monitor, self.seconds = monitor, 0.0

    def __call__(self, model, epoch):
        start = time.perf_counter()
        self.monitor(model, epoch)
        self.seconds += time.perf_counter() - start

    def latest(self):
        """The monitor's latest values, which the models' progress bars show."""
        return self.monitor.latest()


def _run_once(settings, variants, seed, progress, jobs):
    """One repeat: simulate, then train and measure every variant (``jobs`` at a time)."""
    from concurrent.futures import ThreadPoolExecutor

    from . import get_num_threads, set_num_threads
    from .metrics import (
        bayes_conditional_genes,
        bayes_conditional_snps,
        expected_marginal_error,
        log_odds_ratio_rmse,
    )

    snps, genes, test_snps, test_genes = _simulate(seed, settings.n_train)
    n_snps = snps.shape[1]
    test_params = {"n_samples": N_TEST, "n_random_samples": N_TEST_RANDOM}
    data = {"snps": snps, "genes": genes, "test_snps": test_snps, "test_genes": test_genes,
            "truth_genes": bayes_conditional_genes(test_snps, **test_params),
            "truth_snps": bayes_conditional_snps(test_genes, **test_params),
            "reference": np.hstack([test_genes, test_snps])}

    observed, truth_cells = _quality(test_genes, data["truth_genes"], n_linked=n_snps)
    observed["reverse"], truth_reverse_cells = _quality(test_snps, data["truth_snps"], blocks=_SNP_BLOCKS)
    # a perfect sampler of the true conditional distribution: the floors of the models' numbers
    rng = np.random.default_rng([seed, len(variants)])
    per_row = _samples_per_row(settings)
    bayes_sample = _sample_bayes_genes(test_snps, data["truth_genes"], _NOISE, _ACTIVATION_PROB, n_snps, rng)
    bayes_many = _sample_bayes_genes(np.repeat(test_snps, per_row, axis=0),
                                     np.repeat(data["truth_genes"], per_row, axis=0), _NOISE,
                                     _ACTIVATION_PROB, n_snps, rng)
    result = {
        "seed": seed,
        "truth": {"cells": truth_cells, "reverse_cells": truth_reverse_cells,
                  "worst_cell_error": _quality(bayes_many, data["truth_genes"], n_linked=n_snps)[0][
                      "worst_cell_error"],
                  "mean_abs_error": expected_marginal_error(data["truth_genes"], per_row),
                  "log_odds_ratio_rmse": log_odds_ratio_rmse(np.hstack([bayes_sample, test_snps]),
                                                             data["reference"])},
        "test_data": observed,
        "models": {},
    }
    artifacts = {key: data[key] for key in ("test_snps", "test_genes", "truth_genes", "truth_snps")}

    # Models train concurrently, one thread each: most of their kernels (a CGAN batch of 32 rows,
    # a batch-1 pre-training step) are too small to split, so this uses the cores far better than
    # running them one after another; the results do not depend on the number of threads.
    threads = get_num_threads()
    if jobs > 1:
        set_num_threads(1)
    try:
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            order = sorted(range(len(variants)), key=lambda index: -variants[index].cost)
            futures = {index: pool.submit(_run_variant, variants[index], index, seed, settings, progress,
                                          data) for index in order}
            outcomes = [futures[index].result() for index in range(len(variants))]
    finally:
        set_num_threads(threads)
    for variant, (numbers, model_artifacts) in zip(variants, outcomes):
        result["models"][variant.key] = numbers
        artifacts.setdefault("models", {})[variant.key] = model_artifacts
    return result, artifacts


def _samples_per_row(settings):
    return min(settings.samples_per_row, 4) if settings.quick else settings.samples_per_row


# ---------------------------------------------------------------------------------------------
# Summaries over repeats


def _flatten(tree, prefix=""):
    flat = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, name + "."))
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            flat[name] = float(value)
    return flat


def _unflatten(flat):
    tree = {}
    for name, value in flat.items():
        node = tree
        *parents, leaf = name.split(".")
        for parent in parents:
            node = node.setdefault(parent, {})
        node[leaf] = value
    return tree


def _summarise(runs):
    """Mean, standard deviation (ddof 1, 0 for one run) and values of every number over the runs."""
    flats = [_flatten({k: v for k, v in run.items() if k != "seed"}) for run in runs]
    summary = {}
    for name in flats[0]:
        values = np.array([flat[name] for flat in flats])
        summary[name] = {"mean": float(values.mean()),
                         "sd": float(values.std(ddof=1)) if len(values) > 1 else 0.0,
                         "values": values.tolist()}
    return _unflatten(summary)


# ---------------------------------------------------------------------------------------------
# Figures


def _save(figure, path):
    import matplotlib.pyplot as plt

    figure.savefig(path, dpi=90, bbox_inches="tight")
    plt.close(figure)
    return path


def _write_figures(out, variants, artifacts):
    """The seed's pictures, the reverse direction and the panel; returns {file name: caption}."""
    import matplotlib.pyplot as plt

    from . import plot

    figures = {"panel.png": "Genes given the test SNPs: the Bayes-optimal probabilities, the test "
                            "data and each model (one sample per row, as the seed draws them)."}

    def matrix(name, values, title, caption):
        ax = plot.binary_matrix(values, title=title)
        _save(ax.figure, out / name)
        figures[name] = caption

    matrix("test-snps.png", artifacts["test_snps"], "test SNPs",
           "Test SNPs (200 rows; rows 51-100 carry most SNPs).")
    matrix("test-genes.png", artifacts["test_genes"], "test genes", "Test gene expression.")
    matrix("truth-genes.png", artifacts["truth_genes"], "Bayes-optimal P(gene | SNPs)",
           "The Bayes-optimal probability of each test gene given the test SNPs (grey from 0 to 1).")
    for variant in variants:
        model_artifacts = artifacts["models"][variant.key]
        model = model_artifacts["model"]
        if variant.family == "cgan":
            matrix(f"{variant.key}-genes.png", model_artifacts["genes"], f"{variant.label}: genes",
                   f"{variant.label}: genes generated for the test SNPs (one per row, rounded, as the "
                   "seed does).")
            _monitor_figure(model_artifacts["monitor"], variant.label, out / f"{variant.key}-monitor.png",
                            history=model)
            figures[f"{variant.key}-monitor.png"] = (
                f"{variant.label}: the seed's loss monitor per epoch, and the worst cell of the "
                "conditional gene frequencies (4 samples per test row) every 100 epochs.")
        else:
            matrix(f"{variant.key}-visible.png", model_artifacts["visible"],
                   f"{variant.label}: visible layer",
                   f"{variant.label}: the visible layer after 50 Gibbs steps with the SNP columns (the "
                   "last 10) clamped to the test SNPs, as the seed does.")
            _monitor_figure(model_artifacts["monitor"], variant.label, out / f"{variant.key}-monitor.png")
            figures[f"{variant.key}-monitor.png"] = (
                f"{variant.label}: every 10 fine-tuning epochs, the worst cell of the conditional gene "
                "frequencies (2 samples per test row) and the distance between 500 model samples "
                "and the training data: norm of the difference of the column means and of the "
                "correlation matrices (BoltzmannMachines.jl's monitorcordiff).")
    matrix("truth-snps.png", artifacts["truth_snps"], "Bayes-optimal P(SNP | genes)",
           "The reverse direction: the Bayes-optimal probability of each test SNP given the test genes.")
    for variant in variants:
        if "reverse_snps" in artifacts["models"][variant.key]:
            matrix(f"{variant.key}-snps-given-genes.png", artifacts["models"][variant.key]["reverse_snps"],
                   f"{variant.label}: SNPs given genes",
                   f"{variant.label}: SNPs sampled with the gene columns clamped to the test genes "
                   "(the reverse direction, which a CGAN trained for genes given SNPs cannot do).")

    panels = [("Bayes-optimal P(gene | SNPs)", artifacts["truth_genes"]),
              ("test genes", artifacts["test_genes"])]
    panels += [(variant.label, artifacts["models"][variant.key]["genes"]) for variant in variants]
    figure, axes = plt.subplots(1, len(panels), figsize=(1.9 * len(panels), 6.2))
    for ax, (title, values) in zip(np.atleast_1d(axes), panels):
        plot.binary_matrix(values, ax=ax, title=title.replace(" (", "\n("))
        ax.title.set_fontsize(9)
    figure.suptitle("Genes given the 200 test SNP rows", fontsize=11)
    _save(figure, out / "panel.png")
    return figures


def _monitor_figure(monitor, label, path, history=None):
    """One panel per monitored metric (the worst cell and, for DBMs, Julia's sample distances),
    after the CGAN's loss monitor when ``history`` is given."""
    import matplotlib.pyplot as plt

    metrics = ["worst_cell"] + [m for m in ("mean_difference", "correlation_difference") if m in monitor.metrics]
    n_panels = len(metrics) + (history is not None)
    figure, axes = plt.subplots(1, n_panels, figsize=(4.2 * n_panels, 3.2))
    axes = list(np.atleast_1d(axes))
    if history is not None:
        history.plot_history(ax=axes.pop(0))
    for ax, metric in zip(axes, metrics):
        monitor.plot(metric, ax=ax)
    figure.suptitle(f"{label}: training monitor", fontsize=10)
    figure.tight_layout()
    return _save(figure, path)


# ---------------------------------------------------------------------------------------------
# Report and table


def _fmt(entry, digits=3):
    """'mean' or 'mean ± sd' of a summary entry."""
    if entry["sd"] and len(entry["values"]) > 1:
        return f"{entry['mean']:.{digits}f} ± {entry['sd']:.{digits}f}"
    return f"{entry['mean']:.{digits}f}"


def _fmt_or_dash(numbers, dotted, digits=3):
    entry = _lookup(numbers, dotted)
    return _fmt(entry, digits) if entry else "-"


def _rows(metrics):
    """(label, summary numbers) for the truth, the test data and every model, in report order."""
    summary = metrics["summary"]
    rows = [("Bayes-optimal truth", summary["truth"]),
            ("Observed test data", summary["test_data"])]
    rows += [(metrics["models"][key]["label"], summary["models"][key]) for key in metrics["models"]]
    return rows


_SUMMARY_COLUMNS = [("worst_cell_error", "worst cell", 3), ("mean_abs_error", "mean abs err", 3),
                    ("cells.B/linked", "B linked", 3), ("log_odds_ratio_rmse", "LOR RMSE", 3),
                    ("fit_seconds", "fit s", 2), ("sample_seconds", "sample s", 2)]


def _lookup(numbers, dotted):
    node = numbers
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def format_summary_table(metrics, markdown=False) -> str:
    """The models x numbers table printed at the end of ``condgen compare`` (or as Markdown)."""
    header = ["model"] + [title for _, title, _ in _SUMMARY_COLUMNS]
    table = [header] + [[label] + [_fmt_or_dash(numbers, key, digits) for key, _, digits in _SUMMARY_COLUMNS]
                        for label, numbers in _rows(metrics)]
    if markdown:
        lines = ["| " + " | ".join(row) + " |" for row in table]
        lines.insert(1, "| --- |" + " ---: |" * (len(header) - 1))
        return "\n".join(lines)
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in
                       enumerate(zip(row, widths))) for row in table]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _finding(metrics):
    """One sentence: which model comes closest to the truth, against the others."""
    models = metrics["models"]
    summary = metrics["summary"]["models"]
    ranked = sorted(models, key=lambda key: summary[key]["worst_cell_error"]["mean"])
    best = ranked[0]
    others = ", ".join(f"{models[key]['label']} {summary[key]['worst_cell_error']['mean']:.3f}"
                       for key in ranked[1:])
    floor = metrics["summary"]["test_data"]["worst_cell_error"]["mean"]
    return (f"{models[best]['label']} comes closest to the Bayes-optimal conditional distribution: "
            f"worst group x gene-block error {summary[best]['worst_cell_error']['mean']:.3f} "
            f"(against {others}; the observed test data themselves differ from the truth by "
            f"{floor:.3f}).")


def _html_table(header, rows):
    from html import escape

    head = "".join(f"<th>{escape(cell)}</th>" for cell in header)
    body = "".join("<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render_report(metrics, figures, image_data) -> str:
    """The self-contained HTML report; every number in it comes from ``metrics``.

    Parameters
    ----------
    metrics : dict
        What ``metrics.json`` holds.
    figures : dict of str -> str
        PNG file name -> caption, in display order.
    image_data : dict of str -> bytes
        PNG file name -> its bytes, embedded as base64.
    """
    import base64
    from html import escape

    summary = metrics["summary"]
    cell_keys = list(summary["truth"]["cells"])
    parts = ["<h1>condgen compare: DBM vs CGAN conditional sampling</h1>",
             f"<p class='finding'>{escape(_finding(metrics))}</p>"]
    if metrics["settings"]["quick"]:
        parts.append("<p class='warning'>Quick run (--quick): epochs and samples were cut for a "
                     "smoke test; the numbers are not meaningful.</p>")
    repeats = len(metrics["seeds"])
    if repeats > 1:
        parts.append(f"<p>{repeats} repeats (seeds {', '.join(map(str, metrics['seeds']))}); every "
                     "number is the mean ± standard deviation over them.</p>")

    def image(name):
        encoded = base64.b64encode(image_data[name]).decode("ascii")
        return (f"<figure><img alt='{escape(name)}' src='data:image/png;base64,{encoded}'>"
                f"<figcaption>{escape(figures[name])}</figcaption></figure>")

    parts.append(image("panel.png"))

    parts.append("<h2>Summary</h2>")
    header = ["model"] + [title for _, title, _ in _SUMMARY_COLUMNS]
    rows = [[label] + [_fmt_or_dash(numbers, key, digits) for key, _, digits in _SUMMARY_COLUMNS]
            for label, numbers in _rows(metrics)]
    parts.append(_html_table(header, rows))
    parts.append("<p>worst cell: the largest absolute difference between a model's mean generated "
                 "frequency and the Bayes-optimal one over the 6 cells of test-row group (A = rows "
                 "1-50, B = 51-100, C = 101-200) x gene block (linked genes 1-10, noise genes 11-50); "
                 f"{metrics['settings']['samples_per_row_used']} samples per test row. mean abs err: "
                 "mean absolute error of the per-row, per-gene frequencies against the Bayes-optimal "
                 "probabilities. B linked: mean frequency of genes 1-10 in group B. LOR RMSE: root "
                 "mean squared difference of all pairwise log odds ratios (genes and SNPs, one sample "
                 "per row) from the test data's. The truth's row is a perfect sampler of the Bayes-optimal "
                 "conditional distribution, the floor of every number: its worst cell from the same "
                 "number of samples per row, its mean abs err the exact expectation "
                 "(condgen.metrics.expected_marginal_error), its LOR RMSE from one sample per test "
                 "row. The observed test data have one "
                 "row per condition: their worst cell is the noise of a finite sample, and their mean "
                 "abs err, of single 0/1 values, is not comparable with the models' frequencies. fit s "
                 "and sample s: seconds of training (without the training monitor, whose seconds "
                 "metrics.json holds as monitor_seconds) and of conditional "
                 f"sampling, with {metrics['jobs']} model(s) trained at a time.</p>")

    parts.append("<h2>Generated gene frequencies per group of test rows and gene block</h2>")
    header = ["model", *cell_keys]
    rows = [[label] + [_fmt(numbers["cells"][key]) for key in cell_keys]
            for label, numbers in _rows(metrics)]
    parts.append(_html_table(header, rows))

    parts.append("<h2>Errors against the Bayes-optimal truth</h2>")
    header = ["model", "mean abs err", "standard error"] + [f"|{key}|" for key in cell_keys]
    rows = [[label, _fmt(numbers["mean_abs_error"]), _fmt_or_dash(numbers, "mean_abs_error_se", 4)]
            + [_fmt(numbers["cell_errors"][key]) for key in cell_keys]
            for label, numbers in _rows(metrics)[1:]]
    parts.append(_html_table(header, rows))

    parts.append("<h2>The reverse direction: SNPs given genes (DBMs only)</h2>")
    parts.append("<p>The same trained DBMs, now with the gene columns clamped to the test genes, "
                 "sample the SNP columns; compared with the Bayes-optimal P(SNP | genes). A CGAN "
                 "trained to generate genes given SNPs cannot do this without a second model.</p>")
    reverse_keys = list(summary["truth"]["reverse_cells"])
    header = ["model"] + [f"SNP freq {key}" for key in reverse_keys] + ["worst cell", "mean abs err",
                                                                        "sample s"]
    rows = [["Bayes-optimal truth"] + [_fmt(summary["truth"]["reverse_cells"][key]) for key in reverse_keys]
            + ["-", "-", "-"]]
    test_reverse = summary["test_data"]["reverse"]
    rows.append(["Observed test data"] + [_fmt(test_reverse["cells"][key]) for key in reverse_keys]
                + [_fmt(test_reverse["worst_cell_error"]), _fmt(test_reverse["mean_abs_error"]), "-"])
    for key, model in metrics["models"].items():
        numbers = summary["models"][key]
        if "reverse" in numbers:
            reverse = numbers["reverse"]
            rows.append([model["label"]] + [_fmt(reverse["cells"][k]) for k in reverse_keys]
                        + [_fmt(reverse["worst_cell_error"]), _fmt(reverse["mean_abs_error"]),
                           _fmt(numbers["reverse_sample_seconds"], 2)])
    parts.append(_html_table(header, rows))

    parts.append("<h2>Pictures</h2>")
    parts.extend(image(name) for name in figures if name != "panel.png")

    parts.append("<h2>Models and settings</h2><ul>")
    for key, model in metrics["models"].items():
        parts.append(f"<li><b>{escape(model['label'])}</b> ({escape(key)}): "
                     f"{escape(model['description'])}<pre>"
                     f"{escape(json.dumps(model['hyperparameters'], indent=1))}</pre></li>")
    parts.append("</ul><pre>" + escape(json.dumps(metrics["settings"], indent=1)) + "</pre>")
    parts.append(f"<p>condgen {escape(metrics['condgen_version'])}, {metrics['threads']} threads, "
                 f"total time {metrics['total_seconds']:.1f} s.</p>")

    style = ("body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}"
             "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;"
             "padding:3px 8px;text-align:right}td:first-child,th:first-child{text-align:left}"
             "figure{display:inline-block;margin:0.5em;vertical-align:top;max-width:100%}"
             "img{max-width:100%;max-height:600px}figcaption{font-size:0.85em;max-width:420px}"
             ".finding{font-size:1.1em;background:#eef;padding:0.6em}.warning{color:#a00}"
             "pre{font-size:0.8em;background:#f6f6f6;padding:0.5em}")
    return ("<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
            "<title>condgen compare report</title>"
            f"<style>{style}</style></head><body>\n" + "\n".join(parts) + "\n</body></html>\n")


# ---------------------------------------------------------------------------------------------


def run_compare(out="condgen-results", settings=None, variants=None, progress=None, log=print,
                jobs=None):
    """Run the comparison experiment and write its report.

    Parameters
    ----------
    out : str or path-like
        Output folder (created if needed).
    settings : CompareSettings, optional
    variants : list of ModelVariant, optional
        Default: :func:`default_variants`.
    progress : bool or None
        Progress bars while training (None: only in an interactive terminal).
    log : callable
        Receives one-line status messages (``print`` by default).
    jobs : int, optional
        Models trained at the same time, each on one thread (default: the number of threads,
        :func:`condgen.get_num_threads`). The results do not depend on it.

    Returns
    -------
    dict
        What ``metrics.json`` holds: settings, models, per-run results and the summary (mean, sd
        and values of every number over the repeats).
    """
    import matplotlib

    matplotlib.use("Agg")
    from . import __version__, get_num_threads
    from ._validation import check_int
    from .persist import _hyperparameters, _to_json

    settings = settings or CompareSettings()
    variants = list(variants or default_variants())
    jobs = get_num_threads() if jobs is None else check_int(jobs, "jobs", minimum=1)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    runs, first_artifacts = [], None
    for repeat in range(settings.repeats):
        seed = settings.seed + repeat
        log(f"repeat {repeat + 1}/{settings.repeats} (seed {seed}): training "
            f"{', '.join(v.label for v in variants)}")
        result, artifacts = _run_once(settings, variants, seed, progress, jobs)
        runs.append(result)
        if first_artifacts is None:
            first_artifacts = artifacts
    models = {}
    for variant in variants:
        model = first_artifacts["models"][variant.key]["model"]
        models[variant.key] = {
            "label": variant.label, "family": variant.family, "conditional": variant.conditional,
            "description": variant.description,
            "hyperparameters": {k: _to_json(v, k) for k, v in _hyperparameters(model).items()
                                if k not in ("seed", "monitor", "progress")},
        }
    settings_dict = asdict(settings)
    settings_dict["samples_per_row_used"] = _samples_per_row(settings)
    settings_dict["n_test"] = N_TEST
    metrics = {
        "condgen_version": __version__,
        "threads": get_num_threads(),
        "jobs": jobs,
        "settings": settings_dict,
        "seeds": [run["seed"] for run in runs],
        "models": models,
        "runs": runs,
        "summary": _summarise(runs),
        # the training monitors of the first repeat (the curves of the monitor figures)
        "monitors": {key: [{k: (None if isinstance(v, float) and not np.isfinite(v) else v)
                            for k, v in record.items()}  # strict JSON has no NaN
                           for record in model["monitor"].to_records()]
                     for key, model in first_artifacts["models"].items()},
        "total_seconds": 0.0,
    }
    log("writing figures")
    figures = _write_figures(out, variants, first_artifacts)
    metrics["files"] = ["metrics.json", "report.html", *figures]
    metrics["total_seconds"] = time.perf_counter() - started
    (out / "metrics.json").write_text(json.dumps(metrics, indent=1, allow_nan=False) + "\n")
    images = {name: (out / name).read_bytes() for name in figures}
    (out / "report.html").write_text(render_report(metrics, figures, images), encoding="utf-8")
    return metrics
