"""Plain numpy implementation of BoltzmannMachines.jl's DBM procedure (the seed's `fitdbm` and
conditional sampling), the peer that `dbm_seed.py` times condgen against.

Written straight from the spec (`boltzmann.md` §2.3, §3, §4, §5.2-§5.4) with one numpy call per
formula and no tricks: the way a careful numpy user would write it.
"""

from __future__ import annotations

import numpy as np


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def fit_rbm(X, n_hidden, epochs, learning_rate, rng, batch_size=1, up_factor=1.0, down_factor=1.0):
    """BoltzmannMachines.jl's `fitrbm`: PCD whose chain stores hidden probabilities (§2.3)."""
    n, nv = X.shape
    W = rng.standard_normal((nv, n_hidden)) / np.sqrt(nv)
    means = X.mean(axis=0)
    clipped = np.clip(means, 1e-12, 1 - 1e-12)
    b = np.where(means > 0, np.log(clipped / (1 - clipped)), 0.0)
    c = np.zeros(n_hidden)
    chain = rng.random((batch_size, n_hidden))
    for _ in range(epochs):
        order = rng.permutation(n)
        for start in range(0, n, batch_size):
            V = X[order[start:start + batch_size]]
            rows = V.shape[0]
            H = _sigmoid(up_factor * (V @ W + c))
            S = (rng.random(chain.shape) < chain).astype(np.float64)
            Vm = _sigmoid(down_factor * (S @ W.T + b))
            Hm = _sigmoid(up_factor * (Vm @ W + c))
            chain = Hm
            Vm, Hm = Vm[:rows], Hm[:rows]
            W += learning_rate * (V.T @ H / rows - Vm.T @ Hm / rows)
            b += learning_rate * (V.mean(axis=0) - Vm.mean(axis=0))
            c += learning_rate * (H.mean(axis=0) - Hm.mean(axis=0))
    return W, b, c


def pretrain(X, n_hiddens, epochs, learning_rate, rng, batch_size=1):
    """`stackrbms(...; predbm=true)`: factors 2/1, 2/2, 1/2 and propagation with s(2(YW + c))."""
    layers = []
    Y = X
    L = len(n_hiddens)
    for l, n_hidden in enumerate(n_hiddens):
        up = 2.0 if (l < L - 1 or L == 1) else 1.0
        down = 1.0 if l == 0 else 2.0
        W, b, c = fit_rbm(Y, n_hidden, epochs, learning_rate, rng, batch_size, up, down)
        layers.append([W, b, c])
        Y = _sigmoid(2.0 * (Y @ W + c))
    return layers


def combined_biases(layers):
    L = len(layers)
    biases = [layers[0][1]]
    biases += [layers[k - 1][2] + layers[k][1] for k in range(1, L)]
    biases.append(layers[L - 1][2])
    return biases


def gibbs_synchronous(layers, particles, steps, rng, clamp=None):
    """§5.2 / §5.3: every layer from the previous state; clamped visible columns reset."""
    L = len(layers)
    bias = combined_biases(layers)
    fixed = None if clamp is None else particles[0][:, clamp].copy()
    for _ in range(steps):
        inputs = []
        for k in range(L + 1):
            a = np.zeros_like(particles[k]) + bias[k]
            if k > 0:
                a += particles[k - 1] @ layers[k - 1][0]
            if k < L:
                a += particles[k + 1] @ layers[k][0].T
            inputs.append(a)
        for k, a in enumerate(inputs):
            particles[k] = (rng.random(a.shape) < _sigmoid(a)).astype(np.float64)
        if fixed is not None:
            particles[0][:, clamp] = fixed
    return particles


def mean_field(layers, X, tol=1e-3):
    """§4.4, without an iteration cap as in Julia."""
    L = len(layers)
    bias = combined_biases(layers)
    mu = [X]
    for k in range(1, L + 1):
        W, _, c = layers[k - 1]
        mu.append(_sigmoid((2.0 if k < L else 1.0) * (mu[k - 1] @ W + c)))
    while True:
        delta = 0.0
        for k in range(1, L + 1):
            a = mu[k - 1] @ layers[k - 1][0] + bias[k]
            if k < L:
                a += mu[k + 1] @ layers[k][0].T
            new = _sigmoid(a)
            delta = max(delta, np.max(np.abs(new - mu[k])))
            mu[k] = new
        if delta <= tol:
            return mu


def fine_tune(layers, X, epochs, learning_rate, rng, n_particles=100, steps=5):
    """`traindbm!` with full-batch updates and the 11 / (10 + epoch) decay (§4.2-§4.3)."""
    particles = init_particles(layers, n_particles, rng)
    L = len(layers)
    for epoch in range(1, epochs + 1):
        lr = learning_rate * 11.0 / (10.0 + epoch)
        gibbs_synchronous(layers, particles, steps, rng)
        mu = mean_field(layers, X)
        for l in range(L):
            W, b, c = layers[l]
            W += lr * (mu[l].T @ mu[l + 1] / len(X) - particles[l].T @ particles[l + 1] / n_particles)
            b += lr * (mu[l].mean(axis=0) - particles[l].mean(axis=0))
            c += lr * (mu[l + 1].mean(axis=0) - particles[l + 1].mean(axis=0))
    return layers


def init_particles(layers, n, rng):
    sizes = [layers[0][0].shape[0]] + [W.shape[1] for W, _, _ in layers]
    return [(rng.random((n, size)) < 0.5).astype(np.float64) for size in sizes]


def fit_dbm(X, n_hiddens, pretrain_epochs, pretrain_learning_rate, epochs, learning_rate, rng):
    """The seed's `fitdbm` call."""
    layers = pretrain(X, n_hiddens, pretrain_epochs, pretrain_learning_rate, rng)
    return fine_tune(layers, X, epochs, learning_rate, rng)


def sample_conditional(layers, values, columns, steps, rng):
    """`initparticles` + clamped columns + `gibbssamplecond!` (§5.3); returns the visible layer."""
    particles = init_particles(layers, len(values), rng)
    particles[0][:, columns] = values
    gibbs_synchronous(layers, particles, steps, rng, clamp=columns)
    return particles[0]

