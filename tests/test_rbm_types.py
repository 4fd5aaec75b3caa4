"""RBMs of other unit types against brute-force enumeration, numerical integration and numpy references.

Spec: boltzmann.md §1.2-§1.6, §2.4-§2.5, §6.2-§6.4.
"""

import itertools

import condgen
import numpy as np
import pytest
from condgen import (
    BernoulliGaussianRBM,
    BernoulliRBM,
    Binomial2BernoulliRBM,
    GaussianBernoulliRBM,
    GaussianBernoulliRBM2,
    Softmax0BernoulliRBM,
)
from condgen.data import one_or_none_encode

KINDS = ["binomial2", "gaussian", "gaussian2", "bernoulli_gaussian", "softmax0"]
CATEGORIES = [3, 2, 4]  # softmax0 test models: 2 + 1 + 3 = 6 visible columns
LOG2 = np.log(2.0)


def logsumexp(x, axis=None):
    top = np.max(x, axis=axis, keepdims=True)
    return np.squeeze(top + np.log(np.exp(x - top).sum(axis=axis, keepdims=True)), axis=axis)


def make(kind, nv, nh, seed, scale=1.0):
    """A model of the given kind with random parameters assigned (no training)."""
    rng = np.random.default_rng(seed)
    if kind == "softmax0":
        model = Softmax0BernoulliRBM(categories=CATEGORIES)
        nv = sum(k - 1 for k in CATEGORIES)
    else:
        model = {"binomial2": Binomial2BernoulliRBM, "gaussian": GaussianBernoulliRBM,
                 "gaussian2": GaussianBernoulliRBM2, "bernoulli_gaussian": BernoulliGaussianRBM}[kind]()
    model.weights_ = scale * rng.standard_normal((nv, nh))
    model.visible_bias_ = 0.5 * rng.standard_normal(nv)
    model.hidden_bias_ = 0.5 * rng.standard_normal(nh)
    if kind.startswith("gaussian"):
        model.visible_sd_ = rng.uniform(0.5, 1.5, nv)
    return model


def energy(kind, model, v, h):
    """E(v, h) of boltzmann.md §1 written out for one configuration."""
    W, b, c = model.weights_, model.visible_bias_, model.hidden_bias_
    if kind == "bernoulli_gaussian":
        return 0.5 * np.sum((h - c) ** 2) - b @ v - v @ W @ h
    if kind.startswith("gaussian"):
        s = model.visible_sd_
        scaled = v / s if kind == "gaussian" else v / s**2
        return np.sum((v - b) ** 2 / (2 * s**2)) - scaled @ W @ h - c @ h
    e = -(v @ W @ h) - b @ v - c @ h
    if kind == "binomial2":
        e -= LOG2 * np.sum(v == 1)
    return e


def hidden_states(nh):
    return np.array(list(itertools.product([0.0, 1.0], repeat=nh)))


def brute_free_energy(kind, model, v):
    """-log of the sum (binary hidden) or integral (Gaussian hidden) of exp(-E(v, h)) over h."""
    nh = model.weights_.shape[1]
    if kind != "bernoulli_gaussian":
        return -logsumexp(np.array([-energy(kind, model, v, h) for h in hidden_states(nh)]))
    # exp(-E) factorises over the hidden units: one trapezoid integral per unit.
    grid = np.linspace(-40, 40, 40001)
    x = v @ model.weights_
    log_f = model.visible_bias_ @ v
    for j in range(nh):
        integrand = np.exp(-0.5 * (grid - model.hidden_bias_[j]) ** 2 + x[j] * grid)
        log_f += np.log(np.trapezoid(integrand, grid))
    return -log_f


def visible_configurations(kind, nv):
    if kind == "binomial2":
        return np.array(list(itertools.product([0.0, 1.0, 2.0], repeat=nv)))
    if kind == "softmax0":
        codes = np.array(list(itertools.product(*[range(k) for k in CATEGORIES])))
        return one_or_none_encode(codes, CATEGORIES)
    return np.array(list(itertools.product([0.0, 1.0], repeat=nv)))


def brute_log_partition(kind, model):
    nv = model.weights_.shape[0]
    if not kind.startswith("gaussian"):
        V = visible_configurations(kind, nv)
        return logsumexp(np.array([-brute_free_energy(kind, model, v) for v in V]))
    # Gaussian visible units: 2-D trapezoid integral of exp(-F(v)) over a wide grid (nv = 2).
    assert nv == 2
    s, b = model.visible_sd_, model.visible_bias_
    axes = [np.linspace(b[i] - 14 * s[i] - 8, b[i] + 14 * s[i] + 8, 801) for i in range(2)]
    V = np.array(list(itertools.product(*axes)))
    log_values = -model.free_energy(V).reshape(801, 801)
    top = log_values.max()
    inner = np.trapezoid(np.exp(log_values - top), axes[1], axis=1)
    return top + np.log(np.trapezoid(inner, axes[0]))


def data_for(kind, model, n, seed):
    rng = np.random.default_rng(seed)
    nv = model.weights_.shape[0]
    if kind == "binomial2":
        return rng.integers(0, 3, (n, nv)).astype(float)
    if kind == "softmax0":
        return one_or_none_encode(np.column_stack([rng.integers(0, k, n) for k in CATEGORIES]), CATEGORIES)
    if kind.startswith("gaussian"):
        return rng.normal(size=(n, nv)) * 1.5
    return (rng.random((n, nv)) < 0.5).astype(float)


@pytest.mark.parametrize("kind", KINDS)
def test_free_energy_matches_enumeration(kind):
    model = make(kind, 4, 3, seed=1)
    V = data_for(kind, model, 6, seed=2)
    expected = np.array([brute_free_energy(kind, model, v) for v in V])
    # Trapezoid integration (Gaussian hidden) is accurate to ~1e-9 on this grid; sums are exact.
    np.testing.assert_allclose(model.free_energy(V), expected, rtol=0, atol=1e-8)


@pytest.mark.parametrize("kind", KINDS)
def test_exact_log_partition_matches_brute_force(kind):
    nv = 2 if kind.startswith("gaussian") else 4
    model = make(kind, nv, 3, seed=3)
    # Discrete visible units: a sum over every (v, h); Gaussian ones: a numerical 2-D integral of
    # exp(-F(v)) whose error on a 801 x 801 grid over +-14 sd is far below 1e-7.
    np.testing.assert_allclose(model.exact_log_partition(), brute_log_partition(kind, model), rtol=0, atol=1e-7)
    # Zero weights: the closed form of §6.2 equals the exact value.
    model.weights_ = np.zeros_like(model.weights_)
    np.testing.assert_allclose(model.log_partition_zero_weights(), model.exact_log_partition(), rtol=0, atol=1e-10)


@pytest.mark.parametrize("kind", KINDS)
def test_ais_matches_exact_log_partition(kind):
    model = make(kind, 8, 10, seed=4, scale=0.5)
    exact = model.exact_log_partition()
    estimate = model.log_partition(n_temperatures=200, n_particles=256, burn_in=2, seed=5)
    # The sd is the delta-method standard deviation of log Z-hat; the estimator's bias is about
    # -sd^2/2, negligible at sd < 0.05. A 5 sd band holds unless the implementation is wrong.
    assert 0 < estimate.sd < 0.05
    assert abs(estimate.value - exact) < 5 * estimate.sd, (estimate, exact)
    # log_likelihood with the exact log Z is -mean F - log Z.
    V = data_for(kind, model, 20, seed=6)
    ll = model.log_likelihood(V, method="exact")
    np.testing.assert_allclose(ll.value, -model.free_energy(V).mean() - exact, rtol=0, atol=1e-10)
    np.testing.assert_allclose(model.exact_log_likelihood(V), ll.value, rtol=0, atol=1e-10)


@pytest.mark.parametrize("kind", KINDS)
def test_conditional_samples_match_their_moments(kind):
    model = make(kind, 6, 4, seed=7)
    n = 20000
    H = np.repeat(model.sample_hidden(data_for(kind, model, 2, seed=9), seed=1), n // 2, axis=0)
    mean = model.visible_probs(H)
    samples = model.sample_visible(H, seed=10)
    if kind.startswith("gaussian"):
        sd = np.broadcast_to(model.visible_sd_, samples.shape)
    elif kind == "binomial2":
        sd = np.sqrt(mean * (1 - mean / 2))  # Binomial(2, p): variance 2 p (1 - p), mean 2p
    else:
        sd = np.sqrt(mean * (1 - mean))
    # Residuals over the standard deviation per entry have mean 0, sd 1: the column means of 20000
    # such values lie within 5 / sqrt(20000) of 0 (5 standard errors).
    z = (samples - mean) / np.where(sd > 0, sd, 1.0)
    assert np.all(np.abs(z.mean(axis=0)) < 5 / np.sqrt(n))
    if kind.startswith("gaussian"):  # and the variance is sigma^2: sd of a sample variance ~ sqrt(2/n)
        assert np.all(np.abs((z**2).mean(axis=0) - 1) < 5 * np.sqrt(2 / n))
    if kind == "softmax0":  # one-or-none: at most one 1 per group
        starts = np.cumsum([0] + [k - 1 for k in CATEGORIES])
        for a, e in zip(starts[:-1], starts[1:]):
            assert samples[:, a:e].sum(axis=1).max() <= 1
    V = np.repeat(data_for(kind, model, 1, seed=11), n, axis=0)
    hidden_mean = model.hidden_probs(V)
    hidden = model.sample_hidden(V, seed=12)
    hidden_sd = np.ones_like(hidden_mean) if kind == "bernoulli_gaussian" else np.sqrt(hidden_mean * (1 - hidden_mean))
    z = (hidden - hidden_mean) / hidden_sd
    assert np.all(np.abs(z.mean(axis=0)) < 5 / np.sqrt(n))


def test_softmax0_with_two_categories_is_a_bernoulli_rbm():
    rng = np.random.default_rng(13)
    W, b, c = rng.standard_normal((5, 4)), rng.standard_normal(5), rng.standard_normal(4)
    softmax = Softmax0BernoulliRBM(categories=2)
    bernoulli = BernoulliRBM()
    for model in (softmax, bernoulli):
        model.weights_, model.visible_bias_, model.hidden_bias_ = W, b, c
    V = (rng.random((30, 5)) < 0.5).astype(float)
    H = (rng.random((30, 4)) < 0.5).astype(float)
    np.testing.assert_allclose(softmax.hidden_probs(V), bernoulli.hidden_probs(V), rtol=0, atol=1e-14)
    np.testing.assert_allclose(softmax.visible_probs(H), bernoulli.visible_probs(H), rtol=0, atol=1e-14)
    np.testing.assert_allclose(softmax.free_energy(V), bernoulli.free_energy(V), rtol=0, atol=1e-12)
    np.testing.assert_allclose(softmax.exact_log_partition(), bernoulli.exact_log_partition(), rtol=0, atol=1e-10)


def test_binomial2_is_a_bernoulli_rbm_on_duplicated_columns():
    rng = np.random.default_rng(14)
    W, b, c = rng.standard_normal((4, 3)), rng.standard_normal(4), rng.standard_normal(3)
    binomial = Binomial2BernoulliRBM()
    binomial.weights_, binomial.visible_bias_, binomial.hidden_bias_ = W, b, c
    duplicated = BernoulliRBM()
    duplicated.weights_, duplicated.visible_bias_, duplicated.hidden_bias_ = np.vstack([W, W]), np.tile(b, 2), c
    V = rng.integers(0, 3, (40, 4)).astype(float)
    # One binary configuration per value: 0 -> (0, 0), 1 -> (1, 0), 2 -> (1, 1).
    D = np.hstack([(V >= 1).astype(float), (V == 2).astype(float)])
    np.testing.assert_allclose(binomial.hidden_probs(V), duplicated.hidden_probs(D), rtol=0, atol=1e-14)
    H = (rng.random((10, 3)) < 0.5).astype(float)
    dup_probs = duplicated.visible_probs(H)
    np.testing.assert_allclose(binomial.visible_probs(H), dup_probs[:, :4] + dup_probs[:, 4:], rtol=0, atol=1e-14)
    np.testing.assert_allclose(binomial.exact_log_partition(), duplicated.exact_log_partition(), rtol=0, atol=1e-10)
    # p(v) sums the 2^#{v_i = 1} binary configurations with the same counts.
    np.testing.assert_allclose(-binomial.free_energy(V),
                               -duplicated.free_energy(D) + LOG2 * (V == 1).sum(axis=1), rtol=0, atol=1e-12)


def numerical_gradient(f, theta, step=1e-6):
    g = np.zeros_like(theta)
    for index in np.ndindex(theta.shape):
        saved = theta[index]
        theta[index] = saved + step
        up = f()
        theta[index] = saved - step
        down = f()
        theta[index] = saved
        g[index] = (up - down) / (2 * step)
    return g


@pytest.mark.parametrize("kind", ["binomial2", "gaussian", "gaussian2", "softmax0"])
def test_one_update_is_the_free_energy_gradient(kind):
    """One CD-1 update (§2.3) on a batch of 3 rows with a binary persistent chain (so sampling
    it is deterministic): the change of every parameter is the learning rate times the
    finite-difference gradient of mean(-F(data)) - mean(-F(reconstruction)), half on W and b for
    Binomial2 (§2.5), and sigma moves by sigma * exp(lr_sd * g / sigma)."""
    model = make(kind, 4, 3, seed=15)
    X = data_for(kind, model, 3, seed=16)
    chain = (np.random.default_rng(17).random((3, 3)) < 0.5).astype(float)
    reconstruction = model.visible_probs(chain)
    params = [model.weights_, model.visible_bias_, model.hidden_bias_]
    if kind.startswith("gaussian"):
        params.append(model.visible_sd_)

    def objective():
        return -model.free_energy(X).mean() + model.free_energy(reconstruction).mean()

    gradients = [numerical_gradient(objective, p) for p in params]
    before = [p.copy() for p in params]
    lr, sd_lr = 0.1, 0.05
    groups = model._groups()
    sigma = model.visible_sd_.copy() if kind.startswith("gaussian") else np.empty(0)
    W, b, c = (p.copy() for p in before[:3])
    condgen._core.typed_train_epoch(model._visible_code, model._hidden_code, W, b, c, sigma, groups, X,
                                    chain.copy(), 3, 1, "mean_field", lr, sd_lr, 1.0, 1.0, 99)
    visible_lr = lr / 2 if kind == "binomial2" else lr
    # Finite differences in float64 with step 1e-6 are accurate to ~1e-9 here.
    np.testing.assert_allclose(W, before[0] + visible_lr * gradients[0], rtol=0, atol=1e-8)
    np.testing.assert_allclose(b, before[1] + visible_lr * gradients[1], rtol=0, atol=1e-8)
    np.testing.assert_allclose(c, before[2] + lr * gradients[2], rtol=0, atol=1e-8)
    if kind.startswith("gaussian"):
        expected = before[3] * np.exp(sd_lr * gradients[3] / before[3])
        np.testing.assert_allclose(sigma, expected, rtol=0, atol=1e-8)
