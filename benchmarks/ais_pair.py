"""AIS between two RBMs (log Z2 / Z1) of three unit types: condgen against the same algorithm in numpy.

Pairs of random RBMs with 200 visible units and 100 / 120 hidden units: Binomial(2) visible units,
Gaussian visible units with different standard deviations, and Bernoulli visible with Gaussian
hidden units; 100 particles, 100 temperatures, 5 Gibbs steps per temperature (the defaults),
with 1 and 2 threads. numpy runs the identical path (the mixed RBMs of
``cpp/include/condgen/ais_pair.hpp``) on a fifth of the temperatures, its time scaled by 5 (every
temperature costs the same). The two estimates are printed side by side.

    python benchmarks/ais_pair.py [--quick] [--repeats 3] [--json out.json]
"""

from __future__ import annotations

import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _harness import Row, gemm, measure, module_main, threads  # noqa: E402

import condgen  # noqa: E402
from condgen.likelihood import log_mean_exp, log_partition_ratio  # noqa: E402

N_VISIBLE, N_HIDDEN = 200, (100, 120)


def random_pair(cls, rng):
    pair = []
    for n_hidden in N_HIDDEN:
        model = cls()
        scale = 0.02 if cls is condgen.BernoulliGaussianRBM else 0.05
        model.weights_ = rng.normal(0, scale, (N_VISIBLE, n_hidden))
        model.visible_bias_ = rng.normal(0, 0.5, N_VISIBLE)
        model.hidden_bias_ = rng.normal(0, 0.5, n_hidden)
        if cls is condgen.GaussianBernoulliRBM:
            model.visible_sd_ = rng.uniform(0.5, 1.5, N_VISIBLE)
        pair.append(model)
    return pair


def _mixed(pair, beta):
    """(W, b, c, sigma) of the mixed RBM at beta (ais_pair.hpp)."""
    (m1, m2), gaussian_hidden = pair, isinstance(pair[0], condgen.BernoulliGaussianRBM)
    a1, a2 = (math.sqrt(1 - beta), math.sqrt(beta)) if gaussian_hidden else (1 - beta, beta)
    if hasattr(m1, "visible_sd_"):
        p1, p2 = (1 - beta) / m1.visible_sd_**2, beta / m2.visible_sd_**2
        sigma = np.sqrt(1 / (p1 + p2))
        b = sigma**2 * (p1 * m1.visible_bias_ + p2 * m2.visible_bias_)
        s1, s2 = a1 * sigma / m1.visible_sd_, a2 * sigma / m2.visible_sd_
    else:
        sigma, b = None, (1 - beta) * m1.visible_bias_ + beta * m2.visible_bias_
        s1, s2 = np.full(N_VISIBLE, a1), np.full(N_VISIBLE, a2)
    W = np.hstack([m1.weights_ * s1[:, None], m2.weights_ * s2[:, None]])
    return W, b, np.concatenate([a1 * m1.hidden_bias_, a2 * m2.hidden_bias_]), sigma


def numpy_ratio(pair, n_temperatures=100, n_particles=100, burn_in=5, init_burn_in=30, seed=0):
    """log(Z2 / Z1) by the same AIS as condgen's, in numpy."""
    rng = np.random.default_rng(seed)
    kind = type(pair[0])
    gaussian_hidden = kind is condgen.BernoulliGaussianRBM

    def free_energy(params, V):
        W, b, c, sigma = params
        X = (V / sigma if sigma is not None else V) @ W
        if gaussian_hidden:
            return -V @ b - X @ c - 0.5 * (X**2).sum(axis=1)  # constants cancel in the ratios
        visible = ((V - b) ** 2 / (2 * sigma**2)).sum(axis=1) if sigma is not None else -V @ b
        return visible - np.logaddexp(0, X + c).sum(axis=1)

    def step(params, V):
        W, b, c, sigma = params
        X = (V / sigma if sigma is not None else V) @ W + c
        H = X + rng.standard_normal(X.shape) if gaussian_hidden else (rng.random(X.shape) < 1 / (1 + np.exp(-X)))
        A = H @ W.T
        if sigma is not None:
            return b + sigma * A + sigma * rng.standard_normal(A.shape)
        p = 1 / (1 + np.exp(-(A + b)))
        if kind is condgen.Binomial2BernoulliRBM:
            return (rng.random(p.shape) < p).astype(float) + (rng.random(p.shape) < p)
        return (rng.random(p.shape) < p).astype(float)

    params = _mixed(pair, 0.0)
    V = np.zeros((n_particles, N_VISIBLE))
    for _ in range(init_burn_in):
        V = step(params, V)
    log_weights = np.zeros(n_particles)
    betas = np.linspace(0.0, 1.0, n_temperatures + 1)
    for i in range(1, n_temperatures + 1):
        current = _mixed(pair, betas[i])
        log_weights += free_energy(params, V) - free_energy(current, V)
        params = current
        for _ in range(burn_in):
            V = step(params, V)
    log_free_unit = 0.5 * math.log(2 * math.pi) if gaussian_hidden else math.log(2)
    return log_mean_exp(log_weights) + log_free_unit * (N_HIDDEN[1] - N_HIDDEN[0])


def measure_all(quick=False, repeat=3):
    """Rows of run.py: the three pairs at 1 and 2 threads against numpy."""
    n_temperatures, n_particles, burn_in = (20 if quick else 100), 100, 5
    peer_temperatures = max(n_temperatures // 5, 1)
    rng = np.random.default_rng(0)
    # one Gibbs step: the mixed weight matrix twice
    flop = 2.0 * 2 * N_VISIBLE * sum(N_HIDDEN) * n_particles * n_temperatures * burn_in
    rows = []
    for cls in (condgen.Binomial2BernoulliRBM, condgen.GaussianBernoulliRBM, condgen.BernoulliGaussianRBM):
        pair = random_pair(cls, rng)
        estimates = {}
        for n_threads in (1, 2):
            with threads(n_threads):
                numpy_time = measure(lambda pair=pair, estimates=estimates: estimates.__setitem__(
                    "numpy", numpy_ratio(pair, n_temperatures=peer_temperatures, n_particles=n_particles,
                                         burn_in=burn_in)),
                    repeat=repeat, scale=n_temperatures / peer_temperatures)
                ours = measure(lambda pair=pair, estimates=estimates: estimates.__setitem__(
                    "condgen", log_partition_ratio(*pair, n_temperatures=n_temperatures, n_particles=n_particles,
                                                   burn_in=burn_in, seed=0)),
                    repeat=repeat)
                reference = gemm(n_particles, N_VISIBLE, sum(N_HIDDEN), repeat=repeat, calls=20)
            estimate = estimates["condgen"]
            rows.append(Row("AIS pair", f"log Z2/Z1, two {cls.__name__}s {N_VISIBLE}x{N_HIDDEN[0]} / "
                            f"{N_VISIBLE}x{N_HIDDEN[1]}, {n_temperatures} temps x {n_particles} particles x "
                            f"{burn_in} steps, {n_threads} thread{'s' * (n_threads > 1)}", ours,
                            {"numpy": numpy_time}, flop=flop, gemm=reference,
                            note=f"numpy on {peer_temperatures} temperatures, x{n_temperatures // peer_temperatures}; "
                                 f"condgen {estimate.value:.3f} +- {estimate.sd:.3f}, numpy ({peer_temperatures} "
                                 f"temperatures) {estimates['numpy']:.3f}",
                            extra={"log_ratio": estimate.value, "sd": estimate.sd,
                                   "numpy_log_ratio": estimates["numpy"]}))
    return rows


def main():
    module_main(__doc__, measure_all, quick_help="fewer temperatures, for a smoke run")


if __name__ == "__main__":
    main()
