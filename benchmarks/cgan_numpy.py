"""Plain numpy implementation of the seed's CGAN training (manual backprop, Adam), the peer that
``cgan_seed.py`` times condgen against.

The same algorithm as condgen.CGAN(preset="seed") (../shared/spec/cgan.md): float32, Glorot
initialisation, one shuffle before the first epoch, per batch one discriminator step (real and
fake rows in one product, one N(0, sd^2) noise matrix shared by both halves) and one generator
step with the same z against the updated discriminator, Adam with bias correction. Written the way
a careful numpy user would: preallocation aside, every product is one BLAS call. Its random
numbers come from numpy, so its weights differ from condgen's; its loss monitors match in
distribution.
"""

from __future__ import annotations

import numpy as np

SLOPE = np.float32(0.01)


def _leaky(z):
    return np.maximum(z, SLOPE * z)


def _leaky_grad(a, d):
    return np.where(a > 0, d, SLOPE * d)


def _sigmoid(z):
    with np.errstate(over="ignore"):  # exp(-z) = inf for very negative z gives the right 0
        return 1.0 / (1.0 + np.exp(-z))


def _softplus(z):
    return np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))


class _Adam:
    def __init__(self, params, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        self.params = params
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]
        self.lr, self.beta1, self.beta2, self.eps, self.t = lr, beta1, beta2, eps, 0

    def step(self, grads):
        self.t += 1
        step = np.float32(self.lr / (1 - self.beta1**self.t))
        inv_bc2 = np.float32(1 / (1 - self.beta2**self.t))
        b1, b2, eps = np.float32(self.beta1), np.float32(self.beta2), np.float32(self.eps)
        for p, g, m, v in zip(self.params, grads, self.m, self.v):
            m *= b1
            m += (1 - b1) * g
            v *= b2
            v += (1 - b2) * g * g
            p -= step * m / (np.sqrt(v * inv_bc2) + eps)


def _glorot(rng, n_in, n_out):
    limit = np.sqrt(6.0 / (n_in + n_out))
    return rng.uniform(-limit, limit, (n_in, n_out)).astype(np.float32), np.zeros(n_out, np.float32)


def train(x, y, epochs=2500, batch_size=32, n_noise=10, noise_sd=2.0, seed=0):
    """Train the seed's CGAN; returns (generator params, discriminator params, history).

    Architecture: generator [z, y] -> n_noise + n_y (leaky ReLU) -> n_x (sigmoid); discriminator
    [x, y] -> n_x + n_y (leaky ReLU) -> 40 (identity) -> 20 (leaky ReLU) -> 1 (sigmoid).
    """
    rng = np.random.default_rng(seed)
    x = np.ascontiguousarray(x, np.float32)
    y = np.ascontiguousarray(y, np.float32)
    n, n_x = x.shape
    n_y = y.shape[1]
    g_in, d_in = n_noise + n_y, n_x + n_y
    G = [*_glorot(rng, g_in, g_in), *_glorot(rng, g_in, n_x)]
    D = [*_glorot(rng, d_in, d_in), *_glorot(rng, d_in, 40), *_glorot(rng, 40, 20), *_glorot(rng, 20, 1)]
    opt_g, opt_d = _Adam(G), _Adam(D)
    order = rng.permutation(n)
    batches = [order[i:i + batch_size] for i in range(0, n, batch_size)]
    history = np.zeros((epochs, 2))
    half = np.float32(0.5)
    for epoch in range(epochs):
        for rows in batches:
            b = rows.size
            xb, yb = x[rows], y[rows]
            zy = np.hstack([rng.standard_normal((b, n_noise), dtype=np.float32), yb])
            noise = noise_sd * rng.standard_normal((b, d_in), dtype=np.float32)
            # generator forward (shared by both steps)
            gW1, gb1, gW2, gb2 = G
            h = _leaky(zy @ gW1 + gb1)
            fake = _sigmoid(h @ gW2 + gb2)
            # discriminator step: real rows, then fake rows, one product per layer
            W1, b1, W2, b2, W3, b3, W4, b4 = D
            a0 = np.vstack([np.hstack([xb, yb]), np.hstack([fake, yb])]) + np.vstack([noise, noise])
            a1 = _leaky(a0 @ W1 + b1)
            a2 = a1 @ W2 + b2
            a3 = _leaky(a2 @ W3 + b3)
            logit = (a3 @ W4 + b4)[:, 0]
            loss_d = half * (_softplus(-logit[:b]).mean() + _softplus(logit[b:]).mean())
            dl = np.concatenate([_sigmoid(logit[:b]) - 1, _sigmoid(logit[b:])]) * (half / b)
            dl = dl[:, None].astype(np.float32)
            d3 = _leaky_grad(a3, dl @ W4.T)
            d2 = d3 @ W3.T
            d1 = _leaky_grad(a1, d2 @ W2.T)
            grads = [a0.T @ d1, d1.sum(0), a1.T @ d2, d2.sum(0), a2.T @ d3, d3.sum(0), a3.T @ dl, dl.sum(0)]
            opt_d.step(grads)
            # generator step against the updated discriminator, no noise
            a0 = np.hstack([fake, yb])
            a1 = _leaky(a0 @ W1 + b1)
            a2 = a1 @ W2 + b2
            a3 = _leaky(a2 @ W3 + b3)
            logit = (a3 @ W4 + b4)[:, 0]
            loss_g = _softplus(-logit).mean()
            dl = ((_sigmoid(logit) - 1) / b)[:, None].astype(np.float32)
            d3 = _leaky_grad(a3, dl @ W4.T)
            d2 = d3 @ W3.T
            d1 = _leaky_grad(a1, d2 @ W2.T)
            d_fake = (d1 @ W1[:n_x].T) * fake * (1 - fake)
            d_h = _leaky_grad(h, d_fake @ gW2.T)
            opt_g.step([zy.T @ d_h, d_h.sum(0), h.T @ d_fake, d_fake.sum(0)])
            history[epoch, 0] += loss_d / b
            history[epoch, 1] += loss_g / b
    return G, D, history


def generate(G, y, n_noise=10, seed=0):
    """round(G([z, y])) for every row of y."""
    rng = np.random.default_rng(seed)
    y = np.asarray(y, np.float32)
    zy = np.hstack([rng.standard_normal((y.shape[0], n_noise), dtype=np.float32), y])
    gW1, gb1, gW2, gb2 = G
    return np.round(_sigmoid(_leaky(zy @ gW1 + gb1) @ gW2 + gb2))
