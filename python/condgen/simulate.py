"""The seed example's simulator of linked binary SNP and gene-expression data."""

from __future__ import annotations

import numpy as np

from ._random import as_generator
from ._validation import check_int, check_probability

__all__ = ["simulate_snp_gep"]


def simulate_snp_gep(n_samples=300, n_snps=10, n_genes=50, snp_noise=0.05, noise=0.15,
                     activation_prob=0.7, n_random_samples=150, seed=None):
    """Simulate linked binary SNP and gene-expression data (the seed example's simulator).

    With ``q = n_samples // 4``, ``h = n_samples // 2`` and ``k = n_samples - n_random_samples``:

    * SNPs of rows ``[0, q)`` are 1 with probability ``snp_noise``, of rows ``[q, h)`` with
      ``1 - snp_noise`` and of rows ``[h, n)`` with ``noise``.
    * Every gene is 1 with probability ``noise``; then, in rows ``[0, k)``, gene ``j < n_snps``
      is redrawn: 1 with probability ``activation_prob`` where SNP ``j`` is 1 and with
      ``1 - activation_prob`` where it is 0.

    Parameters
    ----------
    n_samples, n_snps, n_genes : int
        Rows and the numbers of SNP and gene columns (``n_snps <= n_genes``).
    snp_noise, noise, activation_prob : float in [0, 1]
        The probabilities above.
    n_random_samples : int
        Number of trailing rows whose genes are not linked to the SNPs (``<= n_samples``).
    seed : None, int or numpy.random.Generator
        Passing one Generator to two calls draws both data sets from one stream, as the seed
        example does for its training and test sets.

    Returns
    -------
    snps : ndarray of shape (n_samples, n_snps), float64 with values 0.0 / 1.0
    genes : ndarray of shape (n_samples, n_genes), float64 with values 0.0 / 1.0

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> snps, genes = simulate_snp_gep(seed=rng)
    >>> test_snps, test_genes = simulate_snp_gep(200, n_random_samples=100, seed=rng)
    """
    (n_samples, n_snps, n_genes, snp_noise, noise, activation_prob,
     n_random_samples) = check_simulator_args(n_samples, n_snps, n_genes, snp_noise, noise,
                                              activation_prob, n_random_samples)
    rng = as_generator(seed)

    quarter, half = n_samples // 4, n_samples // 2
    linked_rows = n_samples - n_random_samples
    snps = np.empty((n_samples, n_snps))
    snps[:quarter] = rng.random((quarter, n_snps)) < snp_noise
    snps[quarter:half] = rng.random((half - quarter, n_snps)) < 1.0 - snp_noise
    snps[half:] = rng.random((n_samples - half, n_snps)) < noise

    genes = (rng.random((n_samples, n_genes)) < noise).astype(np.float64)
    p_linked = np.where(snps[:linked_rows] == 1.0, activation_prob, 1.0 - activation_prob)
    genes[:linked_rows, :n_snps] = rng.random((linked_rows, n_snps)) < p_linked
    return snps, genes


def check_simulator_args(n_samples, n_snps, n_genes, snp_noise, noise, activation_prob, n_random_samples):
    """Validate the simulator's arguments (also used by :mod:`condgen.metrics`); returns them typed."""
    n_samples = check_int(n_samples, "n_samples", minimum=1)
    n_snps = check_int(n_snps, "n_snps", minimum=1)
    n_genes = check_int(n_genes, "n_genes", minimum=1)
    n_random_samples = check_int(n_random_samples, "n_random_samples", minimum=0)
    snp_noise = check_probability(snp_noise, "snp_noise")
    noise = check_probability(noise, "noise")
    activation_prob = check_probability(activation_prob, "activation_prob")
    if n_random_samples > n_samples:
        raise ValueError(f"n_random_samples ({n_random_samples}) must not exceed n_samples ({n_samples})")
    if n_snps > n_genes:
        raise ValueError(f"n_snps ({n_snps}) must not exceed n_genes ({n_genes}): gene j is linked to SNP j")
    return n_samples, n_snps, n_genes, snp_noise, noise, activation_prob, n_random_samples
