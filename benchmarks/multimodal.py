"""MultimodalDBM: one C++ call per fine-tuning epoch / sampling run against the former Python loop.

Run: python benchmarks/multimodal.py [--repeats 5] [--json results.json]

Model: a PartitionedRBM first layer of Binomial(2) units for 20 SNPs and Gaussian units for 100
genes (16 hidden units each), one Bernoulli layer of 10 above; 1000 rows. Work:

* one fine-tuning epoch (10 minibatches of 100 rows, 100 persistent particles, 5 Gibbs sweeps
  before every update, mean-field with tolerance 1e-3, sd learning on);
* one sampling run: 50 sweeps of conditional Gibbs sampling of the genes given the SNPs on 1000
  chains (``MultimodalDBM.gibbs_sample`` with the SNP columns clamped).

The peer is the implementation the kernels replaced, kept here verbatim in spirit: a Python loop
over minibatches and sweeps calling the per-part C++ kernels of the RBM types (visible sampling,
gradient step) and numpy for the Bernoulli layers. Times are the median CPU time of the process
over ``repeats`` runs (after one warm-up), with one thread for condgen and numpy's BLAS.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import time

import numpy as np
from threadpoolctl import threadpool_limits

import condgen
from condgen import _core
from condgen import Binomial2BernoulliRBM, BernoulliRBM, GaussianBernoulliRBM, MultimodalDBM, PartitionedRBM
from condgen._random import seed_to_uint64
from condgen.multimodal import _hidden_input


# ------------------------------------------------------------------------------------------------
# The former Python implementation (condgen before the multimodal kernels)

def _sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def _layer_probability(model, particles, k):
    total = _hidden_input(model.layers_[k - 1], particles[k - 1])
    if k < len(model.layers_):
        above = model.layers_[k]
        total = total + particles[k + 1] @ above.weights_.T + above.visible_bias_
    return _sigmoid(total)


def old_gibbs_sample(model, particles, steps, columns, rng):
    sizes = model.layer_sizes_
    kept = particles[0][:, columns].copy()
    for _ in range(steps):
        for k in range(1, len(sizes), 2):
            particles[k][...] = rng.random(particles[k].shape) < _layer_probability(model, particles, k)
        particles[0][...] = model.layers_[0].sample_visible(particles[1], seed=rng)
        particles[0][:, columns] = kept
        for k in range(2, len(sizes), 2):
            particles[k][...] = rng.random(particles[k].shape) < _layer_probability(model, particles, k)


def old_mean_field(model, X, tol, max_iter):
    L = len(model.layers_)
    mu = [X]
    for k in range(1, L + 1):
        mu.append(_sigmoid((2.0 if k < L else 1.0) * _hidden_input(model.layers_[k - 1], mu[k - 1])))
    for _ in range(max_iter):
        delta = 0.0
        for k in range(1, L + 1):
            new = _layer_probability(model, mu, k)
            delta = max(delta, float(np.max(np.abs(new - mu[k]))))
            mu[k] = new
        if delta <= tol:
            break
    return mu


def old_gradient_step(layer, vp, hp, vn, hn, lr, sd_lr):
    if isinstance(layer, PartitionedRBM):
        for part, vr, hr in zip(layer.parts_, layer.visible_ranges_, layer.hidden_ranges_):
            old_gradient_step(part, vp[:, vr], hp[:, hr], vn[:, vr], hn[:, hr], lr, sd_lr)
        return
    if isinstance(layer, BernoulliRBM):
        W, b, c = layer._parameters()
        model = (0, 0, W, b, c, np.empty(0, dtype=W.dtype), [])
    else:
        model = layer._model()
    dtype = model[2].dtype
    _core.typed_gradient_step(*model, *(np.ascontiguousarray(a, dtype=dtype) for a in (vp, hp, vn, hn)), lr, sd_lr)


def old_fine_tune_epoch(model, X, particles, batch_size, lr, sd_lr, gibbs_steps, rng):
    order = rng.permutation(len(X))
    for start in range(0, len(X), batch_size):
        old_gibbs_sample(model, particles, gibbs_steps, [], rng)
        mu = old_mean_field(model, X[order[start:start + batch_size]], 1e-3, 100)
        for l, layer in enumerate(model.layers_):
            old_gradient_step(layer, mu[l], mu[l + 1], particles[l], particles[l + 1], lr, sd_lr)


# ------------------------------------------------------------------------------------------------

def simulate(n, n_snps, n_genes, seed):
    """Linked modalities: a latent group drives the SNP allele frequencies and the gene means."""
    rng = np.random.default_rng(seed)
    z = rng.random(n) < 0.5
    snps = rng.binomial(2, np.where(z[:, None], 0.7, 0.3), size=(n, n_snps)).astype(float)
    genes = rng.normal(np.where(z[:, None], 1.0, -1.0), 0.7, size=(n, n_genes))
    return np.hstack([snps, genes])


def median_cpu(function, repeats):
    function()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.process_time()
        function()
        times.append(time.process_time() - start)
    return float(np.median(times))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", help="also write the numbers to this file")
    args = parser.parse_args()
    condgen.set_num_threads(1)
    n, n_snps, n_genes = 1000, 20, 100
    X = simulate(n, n_snps, n_genes, seed=0)
    first = PartitionedRBM([Binomial2BernoulliRBM(n_hidden=16, epochs=5, batch_size=10),
                            GaussianBernoulliRBM(n_hidden=16, epochs=5, batch_size=10)], n_visibles=[n_snps, None])
    model = MultimodalDBM(first, n_hiddens=[10], epochs=5, batch_size=10, fine_tune_epochs=0, seed=1).fit(X)
    batch_size, lr, sd_lr, gibbs_steps = math.ceil(n / 10), 0.01, 1e-3, 5
    columns = list(range(n_snps))
    rng = np.random.default_rng(2)
    particles = model.init_particles(100, seed=3)
    chains = model.init_particles(n, seed=4)
    chains[0][:, :n_snps] = X[:, :n_snps]
    arrays, _ = model._kernel_model()

    def new_epoch():
        _core.multimodal_fine_tune_epoch(*arrays, particles, X, rng.permutation(n).tolist(), batch_size, lr, sd_lr,
                                         gibbs_steps, 1e-3, 100, seed_to_uint64(rng))

    results = {}
    with threadpool_limits(1):
        results["fine-tuning epoch"] = (
            median_cpu(lambda: old_fine_tune_epoch(model, X, particles, batch_size, lr, sd_lr, gibbs_steps, rng),
                       args.repeats),
            median_cpu(new_epoch, args.repeats))
        results["sampling run (50 sweeps, 1000 chains)"] = (
            median_cpu(lambda: old_gibbs_sample(model, chains, 50, columns, rng), args.repeats),
            median_cpu(lambda: model.gibbs_sample(chains, steps=50, clamp=columns, seed=rng), args.repeats))
    print(f"condgen {condgen.__version__}, 1 thread | numpy {np.__version__} | "
          f"{platform.processor() or platform.machine()} | {n} rows, {n_snps} SNPs + {n_genes} genes, "
          "hidden [16, 16] partitioned, [10] above")
    for name, (old, new) in results.items():
        print(f"{name:40s} Python loop {old * 1e3:9.1f} ms | C++ kernel {new * 1e3:8.1f} ms | "
              f"loop / kernel = {old / new:5.1f}x")
    if args.json:
        with open(args.json, "w") as handle:
            json.dump({name: {"python_loop_s": old, "kernel_s": new, "ratio": old / new}
                       for name, (old, new) in results.items()}, handle, indent=2)


if __name__ == "__main__":
    main()
