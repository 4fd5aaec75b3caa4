"""A plug-in Bayes predictor of genes given SNPs: the finite-sample floor of the quality benchmark.

It knows the structure of :func:`condgen.simulate_snp_gep` (which rows form the groups A, B, C
and which of them are linked, gene ``j`` follows SNP ``j``) but not its parameters: it estimates
them from the training rows and plugs them into the Bayes-optimal formula of experiment.md §3.

* the SNP probability of each group of rows (A, B, C): the mean of its SNPs;
* the activation probability: the share of (SNP ``j``, gene ``j``) pairs of the linked rows,
  ``j < n_snps``, where the gene agrees with the SNP (a gene is 1 with probability ``a`` where its
  SNP is 1 and 0 with probability ``a`` where it is 0, so agreement has probability ``a``);
* the noise: the mean of every gene that is not redrawn (genes ``j >= n_snps``, and genes
  ``j < n_snps`` of the unlinked rows);
* the priors: each group's share of the training rows (A, B, C, with C split at
  ``k = n - n_random_samples`` into linked and unlinked rows where ``k`` is not ``n / 2``).

A model trained on the same rows cannot be expected to beat this predictor by more than chance:
its error measures what the training sample itself leaves open. It is a benchmark reference, not
part of the package.
"""

from __future__ import annotations

import numpy as np


def _row_groups(n_samples, n_random_samples):
    """(rows, SNP block, linked) per group, as the simulator lays the rows out."""
    quarter, half, linked_rows = n_samples // 4, n_samples // 2, n_samples - n_random_samples
    groups = []
    for block, (begin, end) in enumerate(((0, quarter), (quarter, half), (half, n_samples))):
        for lo, hi, linked in ((begin, min(end, linked_rows), True), (max(begin, linked_rows), end, False)):
            if hi > lo:
                groups.append((np.arange(lo, hi), block, linked))
    return groups


class PluginBayes:
    """Bayes predictor of ``P(gene_j = 1 | SNP row)`` with parameters estimated from training rows.

    Parameters
    ----------
    n_random_samples : int
        Trailing training rows whose genes are not linked (the simulator's argument).

    Attributes
    ----------
    snp_prob_ : ndarray of shape (3,)
        Estimated SNP probability of the row blocks A, B, C.
    activation_prob_, noise_ : float
    log_prior_ : ndarray of shape (n_groups,)
    group_block_, group_linked_ : ndarray of shape (n_groups,)
    """

    def __init__(self, n_random_samples):
        self.n_random_samples = n_random_samples

    def fit(self, snps, genes):
        n, n_snps = snps.shape
        if genes.shape[0] != n or genes.shape[1] < n_snps:
            raise ValueError("genes must have the rows of snps and at least as many columns")
        groups = _row_groups(n, self.n_random_samples)
        self.snp_prob_ = np.array([snps[np.concatenate([r for r, b, _ in groups if b == block])].mean()
                                   for block in range(3)])
        linked = np.zeros(n, dtype=bool)
        linked[: n - self.n_random_samples] = True
        agree = genes[linked, :n_snps] == snps[linked, :n_snps]
        self.activation_prob_ = float(agree.mean()) if agree.size else 0.5
        free = np.concatenate([genes[:, n_snps:].ravel(), genes[~linked, :n_snps].ravel()])
        self.noise_ = float(free.mean())
        self.log_prior_ = np.log(np.array([rows.size for rows, _, _ in groups]) / n)
        self.group_block_ = np.array([block for _, block, _ in groups])
        self.group_linked_ = np.array([linked_ for _, _, linked_ in groups])
        self.n_genes_ = genes.shape[1]
        return self

    def predict_proba(self, snps):
        """``P(gene_j = 1 | s)`` for each SNP row, shape (n_rows, n_genes)."""
        # clip so that a probability estimated as exactly 0 or 1 cannot exclude every group
        p = np.clip(self.snp_prob_[self.group_block_], 1e-6, 1 - 1e-6)
        n_ones = snps.sum(axis=1, keepdims=True)
        log_post = self.log_prior_ + n_ones * np.log(p) + (snps.shape[1] - n_ones) * np.log1p(-p)
        post = np.exp(log_post - log_post.max(axis=1, keepdims=True))
        post /= post.sum(axis=1, keepdims=True)
        linked_share = post[:, self.group_linked_].sum(axis=1, keepdims=True)
        a = self.activation_prob_
        genes = np.full((snps.shape[0], self.n_genes_), self.noise_)
        genes[:, : snps.shape[1]] = linked_share * np.where(snps == 1, a, 1 - a) + (1 - linked_share) * self.noise_
        return genes
