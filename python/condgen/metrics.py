"""Quality metrics against the simulator's truth (experiment.md §3) and for synthetic data.

* The Bayes-optimal conditionals of :func:`condgen.simulate_snp_gep`'s generative model in both
  directions (genes given SNPs, SNPs given genes) and the exact conditional log-likelihood: the
  ceiling any conditional generator can reach.
* :func:`conditional_marginal_error`: how far a model's conditional gene frequencies are from a
  given truth, overall and per group of rows x block of columns, with Monte Carlo standard errors.
* :func:`log_odds_ratio_rmse` and :func:`membership_precision`: utility and privacy of synthetic
  data (pairwise associations; the Hamming-distance membership attack).

Everything here is plain numpy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from ._validation import as_matrix, check_binary, check_int, check_real
from .simulate import check_simulator_args

__all__ = [
    "CellError",
    "MarginalError",
    "bayes_conditional_genes",
    "bayes_conditional_log_likelihood",
    "bayes_conditional_snps",
    "conditional_marginal_error",
    "expected_marginal_error",
    "experiment_groups",
    "log_odds_ratio_rmse",
    "membership_precision",
]


# ------------------------------------------------------------------------------------------------
# The simulator's mixture model


class _Mixture(NamedTuple):
    log_prior: np.ndarray  # (G,)
    snp_prob: np.ndarray  # (G,)  P(SNP_j = 1 | group), the same for every j
    linked: np.ndarray  # (G,)  bool: genes 0..n_snps-1 follow the SNPs in this group
    n_snps: int
    n_genes: int
    noise: float
    activation_prob: float


def _mixture(n_samples=300, n_snps=10, n_genes=50, snp_noise=0.05, noise=0.15, activation_prob=0.7,
             n_random_samples=150) -> _Mixture:
    """The groups of rows of :func:`condgen.simulate_snp_gep` with their shares as priors.

    Rows ``[0, q)``, ``[q, h)``, ``[h, n)`` have SNP probabilities ``snp_noise``,
    ``1 - snp_noise``, ``noise``; rows below ``k = n - n_random_samples`` are linked. Cutting
    these ranges at ``k`` gives up to four groups (group C splits where ``k`` is not ``h``).
    """
    (n_samples, n_snps, n_genes, snp_noise, noise, activation_prob,
     n_random_samples) = check_simulator_args(n_samples, n_snps, n_genes, snp_noise, noise,
                                              activation_prob, n_random_samples)
    quarter, half, linked_rows = n_samples // 4, n_samples // 2, n_samples - n_random_samples
    blocks = [(0, quarter, snp_noise), (quarter, half, 1.0 - snp_noise), (half, n_samples, noise)]
    sizes, probs, linked = [], [], []
    for begin, end, prob in blocks:
        for lo, hi, is_linked in ((begin, min(end, linked_rows), True), (max(begin, linked_rows), end, False)):
            if hi > lo:
                sizes.append(hi - lo)
                probs.append(prob)
                linked.append(is_linked)
    sizes = np.array(sizes, dtype=np.float64)
    return _Mixture(np.log(sizes / n_samples), np.array(probs), np.array(linked), n_snps, n_genes,
                    noise, activation_prob)


def _log_bernoulli(x: np.ndarray, p) -> np.ndarray:
    """Elementwise log P(x | Bernoulli(p)) for binary x, exact at p = 0 or 1 (-inf, never NaN)."""
    p = np.asarray(p, dtype=np.float64)
    with np.errstate(divide="ignore"):
        return np.where(x == 1.0, np.log(p), np.log1p(-p))


def _normalise_log(log_weights: np.ndarray, name: str) -> np.ndarray:
    """Rows of log weights -> probabilities; a row with no possible group is a ValueError."""
    top = log_weights.max(axis=1, keepdims=True)
    impossible = ~np.isfinite(top[:, 0])
    if np.any(impossible):
        row = int(np.argmax(impossible))
        raise ValueError(f"{name} row {row} has probability zero under the simulator's model")
    weights = np.exp(log_weights - top)
    return weights / weights.sum(axis=1, keepdims=True)


def _check_simulator_params(params: dict) -> dict:
    allowed = {"n_samples", "n_snps", "n_genes", "snp_noise", "noise", "activation_prob",
               "n_random_samples"}
    unknown = sorted(set(params) - allowed)
    if unknown:
        raise TypeError(f"unknown simulator parameter(s) {', '.join(unknown)}; expected some of "
                        f"{', '.join(sorted(allowed))} (as for condgen.simulate_snp_gep)")
    return params


def _binary(X, name, n_columns=None):
    return check_binary(as_matrix(X, name, n_columns=n_columns), name)


def _group_posterior_given_snps(snps: np.ndarray, mix: _Mixture) -> np.ndarray:
    n_ones = snps.sum(axis=1, keepdims=True)
    n_zeros = snps.shape[1] - n_ones
    with np.errstate(divide="ignore", invalid="ignore"):
        log_p1, log_p0 = np.log(mix.snp_prob), np.log1p(-mix.snp_prob)
        # 0 * log(0) counts as 0: a count of zero never excludes a group
        log_lik = np.where(n_ones > 0, n_ones * log_p1, 0.0) + np.where(n_zeros > 0, n_zeros * log_p0, 0.0)
    return _normalise_log(mix.log_prior + log_lik, "snps")


def _linked_gene_prob(snps: np.ndarray, activation_prob: float) -> np.ndarray:
    return np.where(snps == 1.0, activation_prob, 1.0 - activation_prob)


def bayes_conditional_genes(snps, **simulator_params) -> np.ndarray:
    """The Bayes-optimal ``P(gene_j = 1 | SNP row)`` under the simulator's model.

    A row belongs to one of the simulator's groups of rows (experiment.md §3) with prior equal to
    the group's share of the rows; given the group, SNPs are independent with the group's SNP
    probability. So ``P(g | s)`` is proportional to ``prior_g prod_j p_g^s_j (1 - p_g)^(1 - s_j)``
    and ``P(gene_j = 1 | s) = sum_g P(g | s) q_gj(s)`` with ``q_gj(s)`` = ``activation_prob`` if
    ``s_j = 1`` else ``1 - activation_prob`` for linked groups and ``j < n_snps``, ``noise``
    otherwise.

    Parameters
    ----------
    snps : array-like of shape (n_rows, n_snps), binary
        SNP rows to condition on.
    **simulator_params
        Keyword arguments of :func:`condgen.simulate_snp_gep` that generated the data
        (``n_samples``, ``n_snps``, ``n_genes``, ``snp_noise``, ``noise``, ``activation_prob``,
        ``n_random_samples``; its defaults otherwise). ``n_snps`` defaults to the number of
        columns of ``snps``.

    Returns
    -------
    ndarray of shape (n_rows, n_genes)

    Examples
    --------
    >>> bayes_conditional_genes(np.zeros((1, 10)))[0, [0, 1, 10]].round(3)
    array([0.24, 0.24, 0.15])
    """
    params = _check_simulator_params(simulator_params)
    snps = _binary(snps, "snps", n_columns=params.get("n_snps"))
    mix = _mixture(**{**params, "n_snps": snps.shape[1]})
    posterior = _group_posterior_given_snps(snps, mix)
    linked_share = posterior[:, mix.linked].sum(axis=1, keepdims=True)
    genes = np.full((snps.shape[0], mix.n_genes), mix.noise)
    genes[:, : mix.n_snps] = (linked_share * _linked_gene_prob(snps, mix.activation_prob)
                              + (1.0 - linked_share) * mix.noise)
    return genes


def bayes_conditional_snps(genes, **simulator_params) -> np.ndarray:
    """The Bayes-optimal ``P(SNP_j = 1 | gene row)`` under the simulator's model (reverse direction).

    Given the group ``g``, the pairs ``(SNP_j, gene_j)`` are independent across ``j``, so the
    posterior factorises: ``P(g | x)`` is proportional to ``prior_g prod_j P(x_j | g)`` with
    ``P(x_j = 1 | g) = p_g a + (1 - p_g)(1 - a)`` for linked genes of linked groups (``a`` =
    ``activation_prob``) and ``noise`` otherwise, and ``P(SNP_j = 1 | x, g)`` is
    ``p_g P(x_j | SNP_j = 1) / P(x_j | g)`` in linked groups and ``p_g`` otherwise.

    Parameters
    ----------
    genes : array-like of shape (n_rows, n_genes), binary
        Gene rows to condition on.
    **simulator_params
        As for :func:`bayes_conditional_genes`; ``n_genes`` defaults to the number of columns of
        ``genes`` and ``n_snps`` to the simulator's default (10).

    Returns
    -------
    ndarray of shape (n_rows, n_snps)
    """
    params = _check_simulator_params(simulator_params)
    genes = _binary(genes, "genes", n_columns=params.get("n_genes"))
    mix = _mixture(**{**params, "n_genes": genes.shape[1]})
    linked_genes = genes[:, : mix.n_snps]
    a, p = mix.activation_prob, mix.snp_prob  # p: (G,)
    gene_prob_linked = p * a + (1.0 - p) * (1.0 - a)  # P(gene_j = 1 | linked group)
    per_group_prob = np.where(mix.linked, gene_prob_linked, mix.noise)
    n_on = linked_genes.sum(axis=1, keepdims=True)
    n_off = mix.n_snps - n_on
    with np.errstate(divide="ignore", invalid="ignore"):
        log_lik = (np.where(n_on > 0, n_on * np.log(per_group_prob), 0.0)
                   + np.where(n_off > 0, n_off * np.log1p(-per_group_prob), 0.0))
    # the unlinked genes have probability `noise` in every group: they cancel in the posterior
    posterior = _normalise_log(mix.log_prior + log_lik, "genes")  # (n, G)

    on = linked_genes[:, :, None] == 1.0  # (n, n_snps, 1)
    likelihood_given_one = np.where(on, a, 1.0 - a)  # P(x_j | SNP_j = 1)
    marginal = np.where(on, per_group_prob, 1.0 - per_group_prob)  # P(x_j | g), (n, n_snps, G)
    with np.errstate(divide="ignore", invalid="ignore"):
        linked_post = np.where(marginal > 0, p * likelihood_given_one / marginal, p)
    snp_given_group = np.where(mix.linked, linked_post, p)
    return np.einsum("ng,njg->nj", posterior, snp_given_group)


def bayes_conditional_log_likelihood(snps, genes, **simulator_params) -> np.ndarray:
    """Exact ``log P(gene row | SNP row)`` under the simulator's model, one value per row.

    The conditional distribution of a gene row is the mixture over groups
    ``sum_g P(g | s) prod_j q_gj(s)^x_j (1 - q_gj(s))^(1 - x_j)`` (see
    :func:`bayes_conditional_genes`). Its mean over test rows is the ceiling of any model's
    conditional log-likelihood of those rows.

    Parameters
    ----------
    snps : array-like of shape (n_rows, n_snps), binary
    genes : array-like of shape (n_rows, n_genes), binary
    **simulator_params
        As for :func:`bayes_conditional_genes`.

    Returns
    -------
    ndarray of shape (n_rows,)
        Natural-log conditional likelihoods (``-inf`` for a gene row the model cannot produce).
    """
    params = _check_simulator_params(simulator_params)
    snps = _binary(snps, "snps", n_columns=params.get("n_snps"))
    genes = _binary(genes, "genes", n_columns=params.get("n_genes"))
    if genes.shape[0] != snps.shape[0]:
        raise ValueError(f"snps and genes must have the same number of rows, got {snps.shape[0]} "
                         f"and {genes.shape[0]}")
    mix = _mixture(**{**params, "n_snps": snps.shape[1], "n_genes": genes.shape[1]})
    posterior = _group_posterior_given_snps(snps, mix)
    log_noise = _log_bernoulli(genes, mix.noise)
    log_linked = _log_bernoulli(genes[:, : mix.n_snps], _linked_gene_prob(snps, mix.activation_prob))
    unlinked_part = log_noise.sum(axis=1)
    linked_part = log_linked.sum(axis=1) + log_noise[:, mix.n_snps:].sum(axis=1)
    log_given_group = np.where(mix.linked, linked_part[:, None], unlinked_part[:, None])
    with np.errstate(divide="ignore"):
        terms = np.log(posterior) + log_given_group
    top = terms.max(axis=1)
    finite = np.isfinite(top)
    result = np.full(top.shape, -np.inf)
    result[finite] = top[finite] + np.log(np.exp(terms[finite] - top[finite, None]).sum(axis=1))
    return result


# ------------------------------------------------------------------------------------------------
# Conditional marginal error


def experiment_groups(n_rows: int) -> dict:
    """The groups of test rows of experiment.md §3: A = first quarter, B = second, C = second half.

    Integer division as in the simulator; empty groups are left out.
    """
    n_rows = check_int(n_rows, "n_rows", minimum=1)
    quarter, half = n_rows // 4, n_rows // 2
    groups = {"A": np.arange(0, quarter), "B": np.arange(quarter, half), "C": np.arange(half, n_rows)}
    return {name: rows for name, rows in groups.items() if rows.size}


class CellError(NamedTuple):
    """The error of one group of rows x block of columns.

    ``frequency`` and ``truth`` are means over the cell; ``bias = frequency - truth``;
    ``mae`` is the mean over the cell of ``|generated frequency - truth|`` per entry. The ``*_se``
    fields are Monte Carlo standard errors (NaN with one sample per row).
    """

    frequency: float
    frequency_se: float
    truth: float
    bias: float
    mae: float
    mae_se: float


class WorstCell(NamedTuple):
    """The cell with the largest ``|bias|`` (the 'worst cell' of spec/dbm-quality.md)."""

    group: str
    block: str
    error: float
    se: float


@dataclass(frozen=True)
class MarginalError:
    """Result of :func:`conditional_marginal_error`.

    Attributes
    ----------
    mae, mae_se : float
        Mean absolute error over all entries and its Monte Carlo standard error.
    cells : dict
        ``(group, block) -> CellError``, in the order of the groups and blocks.
    worst_cell : WorstCell
        The cell whose mean frequency is furthest from its mean truth.
    n_per_row : int
        Samples per condition row.
    """

    mae: float
    mae_se: float
    cells: dict
    worst_cell: WorstCell
    n_per_row: int

    def to_dict(self) -> dict:
        """Plain JSON-ready dict (cells keyed ``"group/block"``)."""
        return {
            "mae": self.mae,
            "mae_se": self.mae_se,
            "n_per_row": self.n_per_row,
            "worst_cell": self.worst_cell._asdict(),
            "cells": {f"{g}/{b}": cell._asdict() for (g, b), cell in self.cells.items()},
        }


def _as_index(selection, size: int, name: str) -> np.ndarray:
    """Row/column selection (slice, boolean mask or integer indices) -> integer indices."""
    if isinstance(selection, slice):
        return np.arange(size)[selection]
    selection = np.asarray(selection)
    if selection.size == 0:
        return np.empty(0, dtype=np.intp)
    if selection.dtype == np.bool_:
        if selection.shape != (size,):
            raise ValueError(f"{name}: boolean mask of length {selection.size}, expected {size}")
        return np.flatnonzero(selection)
    if selection.ndim != 1 or not np.issubdtype(selection.dtype, np.integer):
        raise ValueError(f"{name} must be a slice, a boolean mask or 1-D integer indices")
    if selection.size and (selection.min() < -size or selection.max() >= size):
        raise ValueError(f"{name} has indices outside [0, {size})")
    return np.arange(size)[selection]


def _mc_se(per_sample: np.ndarray, n_rows_total: int) -> float:
    """Standard error of ``mean over rows of (mean over samples)`` from (rows, samples) values.

    Rows are independent and samples within a row are i.i.d., so the variance is
    ``sum_r var_k / n_per_row / n_rows^2``; undefined (NaN) with one sample per row.
    """
    n_per_row = per_sample.shape[1]
    if n_per_row < 2:
        return float("nan")
    variance = per_sample.var(axis=1, ddof=1).sum() / n_per_row
    return float(np.sqrt(variance) / n_rows_total)


def conditional_marginal_error(samples, truth, groups=None, blocks=None, n_linked=10) -> MarginalError:
    """Mean absolute error of a model's conditional frequencies against the true probabilities.

    Parameters
    ----------
    samples : array-like of shape (n_rows, n_per_row, n_columns) or (n_rows * n_per_row, n_columns)
        Generated values in [0, 1] (binary samples, or probabilities), several per condition row.
        A 2-D array holds the ``n_per_row`` samples of condition row ``i`` in rows
        ``i * n_per_row, ..., (i + 1) * n_per_row - 1`` (the layout of
        ``DBM.sample_conditional(..., n_per_row=...)``, and of generating for
        ``np.repeat(conditions, n_per_row, axis=0)``).
    truth : array-like of shape (n_rows, n_columns)
        The true ``P(column = 1 | condition row)``, e.g. from :func:`bayes_conditional_genes`.
    groups : dict, optional
        Name -> rows (slice, boolean mask or indices). Default: :func:`experiment_groups`
        (A = first quarter, B = second quarter, C = second half of the rows).
    blocks : dict, optional
        Name -> columns. Default: ``"linked"`` = columns ``0 .. n_linked - 1`` and ``"noise"`` =
        the rest (the simulator's genes linked to SNPs and its noise genes).
    n_linked : int
        Size of the default linked block (the simulator's ``n_snps``).

    Returns
    -------
    MarginalError
        Overall MAE with its Monte Carlo standard error, one :class:`CellError` per group x block
        (mean frequency, mean truth, their difference, MAE) and the worst cell (largest
        ``|mean frequency - mean truth|``, the metric of spec/dbm-quality.md).

    Notes
    -----
    Standard errors are Monte Carlo errors given the condition rows: the cell means are averages
    over independent rows of per-row averages over i.i.d. samples, so their standard errors are
    exact estimates. For the MAE the delta method linearises ``|f - t|`` as
    ``sign(f - t) (f - t)`` (correlations between columns within a sample are taken into
    account); this is accurate where frequencies are clearly off the truth and conservative where
    they are close to it, because ``Var|f - t| <= Var f``. With one sample per row the standard
    errors are NaN. The MAE of a finite sample is biased upwards (``E|f - t| >= |E f - t|``);
    compare models at the same ``n_per_row``.
    """
    truth = as_matrix(truth, "truth")
    if np.any((truth < 0) | (truth > 1)):
        raise ValueError("truth must hold probabilities in [0, 1]")
    n_rows, n_columns = truth.shape
    try:
        values = np.asarray(samples, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError("samples must be a numeric array of generated values") from None
    if values.ndim == 2:
        if values.shape[0] % n_rows:
            raise ValueError(f"samples has {values.shape[0]} rows, not a multiple of truth's {n_rows} rows")
        values = values.reshape(n_rows, values.shape[0] // n_rows, values.shape[1])
    if values.ndim != 3 or values.shape[0] != n_rows or values.shape[2] != n_columns or values.shape[1] < 1:
        raise ValueError(f"samples must have shape (n_rows, n_per_row, n_columns) = ({n_rows}, k, {n_columns}) "
                         f"or ({n_rows} * k, {n_columns}), got {np.shape(samples)}")
    if not np.all(np.isfinite(values)) or np.any((values < 0) | (values > 1)):
        raise ValueError("samples must hold finite values in [0, 1]")
    n_per_row = values.shape[1]
    groups = experiment_groups(n_rows) if groups is None else groups
    if blocks is None:
        n_linked = check_int(n_linked, "n_linked", minimum=0)
        blocks = {"linked": np.arange(min(n_linked, n_columns)), "noise": np.arange(min(n_linked, n_columns), n_columns)}
        blocks = {name: cols for name, cols in blocks.items() if cols.size}
    if not isinstance(groups, dict) or not groups:
        raise ValueError("groups must be a non-empty dict name -> rows")
    if not isinstance(blocks, dict) or not blocks:
        raise ValueError("blocks must be a non-empty dict name -> columns")
    group_rows = {name: _as_index(rows, n_rows, f"groups[{name!r}]") for name, rows in groups.items()}
    block_cols = {name: _as_index(cols, n_columns, f"blocks[{name!r}]") for name, cols in blocks.items()}
    for kind, selections in (("group", group_rows), ("block", block_cols)):
        empty = [name for name, sel in selections.items() if sel.size == 0]
        if empty:
            raise ValueError(f"{kind} {empty[0]!r} selects nothing")

    frequency = values.mean(axis=1)  # (rows, columns)
    sign = np.sign(frequency - truth)
    abs_error = np.abs(frequency - truth)

    def mae_and_se(rows, cols):
        # per row and sample: the linearised contribution sum_j sign_j x_kj / n_cols
        linear = np.einsum("rkj,rj->rk", values[np.ix_(rows, np.arange(n_per_row), cols)],
                           sign[np.ix_(rows, cols)]) / cols.size
        return float(abs_error[np.ix_(rows, cols)].mean()), _mc_se(linear, rows.size)

    all_rows, all_cols = np.arange(n_rows), np.arange(n_columns)
    mae, mae_se = mae_and_se(all_rows, all_cols)
    cells = {}
    for group, rows in group_rows.items():
        for block, cols in block_cols.items():
            cell_freq = values[np.ix_(rows, np.arange(n_per_row), cols)].mean(axis=2)  # (rows, k)
            frequency_mean = float(cell_freq.mean())
            truth_mean = float(truth[np.ix_(rows, cols)].mean())
            cell_mae, cell_mae_se = mae_and_se(rows, cols)
            cells[(group, block)] = CellError(frequency_mean, _mc_se(cell_freq, rows.size), truth_mean,
                                              frequency_mean - truth_mean, cell_mae, cell_mae_se)
    (group, block), worst = max(cells.items(), key=lambda item: abs(item[1].bias))
    return MarginalError(mae, mae_se, cells, WorstCell(group, block, abs(worst.bias), worst.frequency_se),
                         n_per_row)


def expected_marginal_error(truth, n_per_row) -> float:
    """The MAE of :func:`conditional_marginal_error` that a perfect sampler has on average.

    A sampler of the true distribution draws ``n_per_row`` Bernoulli values per entry, so its
    frequency is ``Binomial(n_per_row, t) / n_per_row`` and its expected MAE is the mean over the
    entries of ``E|Binomial(n, t) / n - t|`` (computed exactly, by de Moivre's formula). This is
    the floor that a model's MAE at the same ``n_per_row`` can be compared with; with
    ``n_per_row = 1`` it is the mean of ``2 t (1 - t)``, the error of observed data.

    Parameters
    ----------
    truth : array-like of probabilities
    n_per_row : int

    Returns
    -------
    float
    """
    truth = np.asarray(truth, dtype=np.float64).ravel()
    if truth.size == 0 or not np.all(np.isfinite(truth)) or np.any((truth < 0) | (truth > 1)):
        raise ValueError("truth must be a non-empty array of probabilities in [0, 1]")
    n = check_int(n_per_row, "n_per_row", minimum=1)
    # de Moivre's mean absolute deviation of Binomial(n, t): E|X - n t| = 2 m C(n, m) t^m (1 - t)^(n - m + 1)
    # with m = floor(n t) + 1; zero at t = 0 and t = 1.
    inner = truth[(truth > 0) & (truth < 1)]
    m = np.floor(n * inner) + 1
    distinct, index = np.unique(m, return_inverse=True)
    log_choose = np.array([math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1) for k in distinct])
    log_deviation = (math.log(2.0) + np.log(m) + log_choose[index] + m * np.log(inner)
                     + (n - m + 1) * np.log1p(-inner))
    return float(np.exp(log_deviation).sum() / n / truth.size)


# ------------------------------------------------------------------------------------------------
# Synthetic-data utility and privacy


def _log_odds_ratios(X: np.ndarray) -> np.ndarray:
    ones = X.T @ X
    n1 = np.diag(ones)
    n11 = ones
    n10 = n1[:, None] - ones
    n01 = n1[None, :] - ones
    n00 = X.shape[0] - n1[:, None] - n1[None, :] + ones
    cells = [np.maximum(c, 0.5) for c in (n11, n00, n10, n01)]
    return np.log(cells[0]) + np.log(cells[1]) - np.log(cells[2]) - np.log(cells[3])


def log_odds_ratio_rmse(synthetic, reference) -> float:
    """Root mean squared difference of pairwise log odds ratios between two binary data sets.

    For every pair of columns ``(i, j)`` with ``i > j`` (the strict lower triangle) the log odds
    ratio is ``log(n11 n00 / (n10 n01))`` from the pair's 2x2 table of counts, each count floored
    at 0.5 (so empty cells give finite values). The result is
    ``sqrt(mean over pairs of (lor_synthetic - lor_reference)^2)``.

    Parameters
    ----------
    synthetic, reference : array-like of shape (n_rows, n_columns), binary
        The two data sets (their numbers of rows may differ; the columns must match).

    Returns
    -------
    float
    """
    synthetic = _binary(synthetic, "synthetic")
    reference = _binary(reference, "reference", n_columns=synthetic.shape[1])
    if synthetic.shape[1] < 2:
        raise ValueError("log odds ratios need at least 2 columns")
    lower = np.tril_indices(synthetic.shape[1], k=-1)
    diff = _log_odds_ratios(synthetic)[lower] - _log_odds_ratios(reference)[lower]
    return float(np.sqrt(np.mean(diff**2)))


def _min_hamming(records: np.ndarray, synthetic: np.ndarray, chunk_rows: int = 4096) -> np.ndarray:
    """For each record, the smallest Hamming distance to any synthetic row (binary data)."""
    synthetic_ones = synthetic.sum(axis=1)
    best = np.empty(records.shape[0])
    for begin in range(0, records.shape[0], chunk_rows):
        block = records[begin:begin + chunk_rows]
        distances = block.sum(axis=1)[:, None] + synthetic_ones[None, :] - 2.0 * (block @ synthetic.T)
        best[begin:begin + chunk_rows] = distances.min(axis=1)
    return best


def membership_precision(synthetic, train, holdout, threshold) -> float:
    """Precision of the Hamming-distance membership attack on synthetic data.

    The attacker claims a record as a member of the training data if some synthetic row lies
    within Hamming distance ``threshold`` of it (``distance <= threshold``). Applied to every
    record of ``train`` (true members) and ``holdout`` (non-members), the precision is
    ``claimed train records / all claimed records``. With as many train as holdout records, a
    value near 0.5 means the synthetic data leak no membership; near 1 means they copy training rows.

    Parameters
    ----------
    synthetic, train, holdout : array-like, binary, with the same number of columns
    threshold : float >= 0
        Largest Hamming distance (number of differing columns) that counts as a match.

    Returns
    -------
    float
        The precision; NaN when no record is claimed (precision undefined).
    """
    synthetic = _binary(synthetic, "synthetic")
    train = _binary(train, "train", n_columns=synthetic.shape[1])
    holdout = _binary(holdout, "holdout", n_columns=synthetic.shape[1])
    threshold = check_real(threshold, "threshold", minimum=0.0)
    claimed_members = int(np.count_nonzero(_min_hamming(train, synthetic) <= threshold))
    claimed_others = int(np.count_nonzero(_min_hamming(holdout, synthetic) <= threshold))
    claimed = claimed_members + claimed_others
    return claimed_members / claimed if claimed else float("nan")
