"""Plain numpy AIS for a DBM (boltzmann.md §6.4-§6.7, condgen's "fixed" variant), the peer that
``inference.py`` times ``condgen.likelihood.log_partition`` against.

The layers alternate between group A (even: the AIS state) and group B (odd: summed out
analytically). Per temperature: add the log ratio of the annealed marginals of A, then ``burn_in``
transitions at the new temperature (B given A, then A given B). One numpy call per formula.
"""

from __future__ import annotations

import numpy as np


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _softplus(x):
    return np.logaddexp(0.0, x)


def combined_biases(layers):
    """a_0 = b_1, a_k = c_k + b_{k+1}, a_L = c_L (spec §1.8); layers = [(W, b, c), ...]."""
    biases = [layers[0][1]]
    for k in range(len(layers)):
        biases.append(layers[k][2] + (layers[k + 1][1] if k + 1 < len(layers) else 0.0))
    return biases


def _inputs(W, x, k):
    """x[k-1] W_k + x[k+1] W_{k+1}^T (weights only)."""
    total = 0.0
    if k > 0:
        total = x[k - 1] @ W[k - 1]
    if k < len(x) - 1:
        total = total + x[k + 1] @ W[k].T
    return total


def ais_log_partition(layers, n_temperatures, n_particles, burn_in, rng):
    """log Z estimate of the DBM ``layers`` by AIS from the zero-weight model."""
    W = [w for w, _, _ in layers]
    a = combined_biases(layers)
    L = len(a)
    odd, even = range(1, L, 2), range(0, L, 2)
    betas = np.linspace(0.0, 1.0, n_temperatures + 1)
    x = [(rng.random((n_particles, ak.size)) < _sigmoid(ak)).astype(np.float64) for ak in a]
    log_w = np.zeros(n_particles)
    inputs = {k: _inputs(W, x, k) for k in odd}
    for previous, beta in zip(betas[:-1], betas[1:]):
        for k in odd:
            log_w += (_softplus(beta * inputs[k] + a[k]) - _softplus(previous * inputs[k] + a[k])).sum(axis=1)
        for _ in range(burn_in):
            for k in odd:
                x[k] = (rng.random(inputs[k].shape) < _sigmoid(beta * inputs[k] + a[k])).astype(np.float64)
            for k in even:
                p = _sigmoid(beta * _inputs(W, x, k) + a[k])
                x[k] = (rng.random(p.shape) < p).astype(np.float64)
            inputs = {k: _inputs(W, x, k) for k in odd}
    log_z0 = sum(_softplus(ak).sum() for ak in a)
    return log_z0 + np.log(np.mean(np.exp(log_w - log_w.max()))) + log_w.max()
