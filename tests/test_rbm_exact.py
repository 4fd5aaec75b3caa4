"""BernoulliRBM: exact quantities and single updates against brute-force numpy references."""

import itertools

import numpy as np
import pytest

from condgen import BernoulliRBM, _core


def random_rbm(nv, nh, scale=1.0, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    rbm = BernoulliRBM(dtype=dtype)
    rbm.weights_ = (scale * rng.standard_normal((nv, nh))).astype(dtype)
    rbm.visible_bias_ = rng.standard_normal(nv).astype(dtype)
    rbm.hidden_bias_ = rng.standard_normal(nh).astype(dtype)
    return rbm


def all_states(n):
    return np.array(list(itertools.product([0.0, 1.0], repeat=n)))


def log_sum_exp(x, axis=None):
    shift = np.max(x, axis=axis, keepdims=True)
    return np.squeeze(shift, axis=axis) + np.log(np.sum(np.exp(x - shift), axis=axis))


def brute_force(rbm):
    """-E(v, h) for every pair of states: rows = visible states, columns = hidden states."""
    W, b, c = rbm.weights_, rbm.visible_bias_, rbm.hidden_bias_
    V, H = all_states(W.shape[0]), all_states(W.shape[1])
    return V, V @ W @ H.T + (V @ b)[:, None] + (H @ c)[None, :]


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


@pytest.mark.parametrize(("nv", "nh", "scale"), [(4, 6, 1.0), (6, 3, 1.0), (5, 5, 8.0), (1, 2, 0.5)])
def test_free_energy_and_log_partition_match_enumeration(nv, nh, scale):
    rbm = random_rbm(nv, nh, scale, seed=nv * 10 + nh)
    V, neg_energy = brute_force(rbm)
    free_energy = -log_sum_exp(neg_energy, axis=1)
    log_z = log_sum_exp(neg_energy.ravel())
    np.testing.assert_allclose(rbm.free_energy(V), free_energy, rtol=0, atol=1e-10)
    assert rbm.exact_log_partition() == pytest.approx(log_z, abs=1e-10)
    data = V[[0, 3 % len(V), len(V) - 1]]
    expected = np.mean(-free_energy[[0, 3 % len(V), len(V) - 1]]) - log_z
    assert rbm.exact_log_likelihood(data) == pytest.approx(expected, abs=1e-10)


def test_exact_log_partition_of_larger_layers_uses_gray_code_chunks():
    # 14 hidden units give 4 chunks of 4096 enumerated states; the reference sums over the 2^3
    # visible states instead, where the hidden layer is summed out analytically.
    rbm = random_rbm(3, 14, 0.7, seed=3)
    V = all_states(3)
    W, b, c = rbm.weights_, rbm.visible_bias_, rbm.hidden_bias_
    log_z = log_sum_exp(V @ b + np.logaddexp(0, V @ W + c).sum(axis=1))
    transposed = BernoulliRBM()
    transposed.weights_, transposed.visible_bias_, transposed.hidden_bias_ = W.T.copy(), c, b
    assert transposed.exact_log_partition() == pytest.approx(log_z, abs=1e-10)
    assert rbm.exact_log_partition() == pytest.approx(log_z, abs=1e-10)


def test_zero_weight_model_has_independent_likelihood():
    # boltzmann.md §10: b = logit(column means) and W = 0 give the independent-Bernoulli likelihood.
    X = (np.random.default_rng(4).random((50, 5)) < [0.1, 0.3, 0.5, 0.7, 0.9]).astype(float)
    m = X.mean(axis=0)
    rbm = BernoulliRBM()
    rbm.weights_ = np.zeros((5, 3))
    rbm.visible_bias_ = np.log(m / (1 - m))
    rbm.hidden_bias_ = np.array([0.3, -1.0, 2.0])
    expected = np.mean((X * np.log(m) + (1 - X) * np.log(1 - m)).sum(axis=1))
    assert rbm.exact_log_likelihood(X) == pytest.approx(expected, abs=1e-10)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_conditional_probabilities_and_reconstruction_error(dtype):
    rbm = random_rbm(5, 4, seed=5, dtype=dtype)
    W, b, c = (np.asarray(a, dtype=np.float64) for a in (rbm.weights_, rbm.visible_bias_, rbm.hidden_bias_))
    V = all_states(5)
    H = all_states(4)
    tol = 1e-12 if dtype == np.float64 else 1e-6
    for factor in (1.0, 2.0):
        np.testing.assert_allclose(rbm.hidden_probs(V, factor), sigmoid(factor * (V @ W + c)), atol=tol)
        np.testing.assert_allclose(rbm.visible_probs(H, factor), sigmoid(factor * (H @ W.T + b)), atol=tol)
    assert rbm.hidden_probs(V).dtype == dtype
    np.testing.assert_array_equal(rbm.transform(V), rbm.hidden_probs(V))
    reconstruction = sigmoid(sigmoid(V @ W + c) @ W.T + b)
    assert rbm.reconstruction_error(V) == pytest.approx(np.abs(V - reconstruction).sum(axis=1).mean(), abs=tol * 10)


def reference_update(W, b, c, V, chain, lr, up, down, offsets=None):
    """One update of boltzmann.md §2.3-2.5 with a binary persistent chain (so sampling it is
    deterministic), written out in numpy; with offsets = (mu_v, mu_h, rate) the centered
    gradient of dbm-quality.md."""
    H = sigmoid(up * (V @ W + c))
    Vm = sigmoid(down * (chain @ W.T + b))
    Hm = sigmoid(up * (Vm @ W + c))
    B = len(V)
    Vm_used, Hm_used = Vm[:B], Hm[:B]
    if offsets is None:
        gW = V.T @ H / B - Vm_used.T @ Hm_used / B
        gb = V.mean(0) - Vm_used.mean(0)
        gc = H.mean(0) - Hm_used.mean(0)
        mu_h = None
    else:
        mu_v, mu_h, rate = offsets
        mu_h = (1 - rate) * mu_h + rate * H.mean(0)
        gW = (V - mu_v).T @ (H - mu_h) / B - (Vm_used - mu_v).T @ (Hm_used - mu_h) / B
        gb = V.mean(0) - Vm_used.mean(0) - gW @ mu_h
        gc = H.mean(0) - Hm_used.mean(0) - mu_v @ gW
    return W + lr * gW, b + lr * gb, c + lr * gc, Hm, mu_h


def run_epoch(rbm_arrays, X, chain, batch_size, lr, up, down, centering=False, offsets=(None, None), rate=0.0):
    W, b, c = (a.copy() for a in rbm_arrays)
    chain = chain.copy()
    mu_v = np.empty(0) if offsets[0] is None else offsets[0].copy()
    mu_h = np.empty(0) if offsets[1] is None else offsets[1].copy()
    _core.rbm_train_epoch(W, b, c, X, chain, mu_v, mu_h, batch_size, 1, "mean_field", lr, up, down, centering,
                          rate, 123)
    return W, b, c, chain, mu_h


@pytest.mark.parametrize("n_rows", [1, 4])  # the matrix-vector path (batch 1) and the batch path
@pytest.mark.parametrize("centering", [False, True])
def test_one_update_with_fixed_chain_matches_numpy(n_rows, centering):
    rng = np.random.default_rng(6 + n_rows)
    nv, nh = 7, 5
    params = (rng.standard_normal((nv, nh)), rng.standard_normal(nv), rng.standard_normal(nh))
    X = (rng.random((n_rows, nv)) < 0.5).astype(float)
    chain = (rng.random((n_rows, nh)) < 0.5).astype(float)  # binary: Bernoulli(chain) == chain
    mu_v, mu_h = rng.random(nv), rng.random(nh)
    offsets = (mu_v, mu_h, 0.3) if centering else None
    W, b, c, new_chain, new_mu_h = run_epoch(params, X, chain, n_rows, 0.1, 2.0, 1.5, centering,
                                             (mu_v, mu_h) if centering else (None, None), 0.3)
    eW, eb, ec, e_chain, e_mu_h = reference_update(*params, X, chain, 0.1, 2.0, 1.5, offsets)
    for got, expected in ((W, eW), (b, eb), (c, ec), (new_chain, e_chain)):
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)
    if centering:
        np.testing.assert_allclose(new_mu_h, e_mu_h, rtol=0, atol=1e-12)


@pytest.mark.parametrize("n_rows", [1, 4])
def test_centering_with_zero_offsets_equals_uncentered_update(n_rows):
    rng = np.random.default_rng(8)
    params = (rng.standard_normal((6, 3)), rng.standard_normal(6), rng.standard_normal(3))
    X = (rng.random((5 * n_rows, 6)) < 0.5).astype(float)
    chain = rng.random((n_rows, 3))  # probabilities: several random updates per epoch
    plain = run_epoch(params, X, chain, n_rows, 0.05, 1.0, 1.0)
    centered = run_epoch(params, X, chain, n_rows, 0.05, 1.0, 1.0, True, (np.zeros(6), np.zeros(3)), 0.0)
    for got, expected in zip(centered[:4], plain[:4]):
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)


def test_logistic_is_accurate_over_the_whole_double_range():
    # The C++ core computes the logistic function with its own vectorised exp: compare with a
    # float64 reference to a few ulp over inputs from -800 to 800, beyond exp's overflow.
    x = np.concatenate([np.linspace(-800.0, 800.0, 4001), np.linspace(-40.0, 40.0, 4003), [0.0, 1e-300, -1e-300]])
    rbm = BernoulliRBM()
    rbm.weights_, rbm.visible_bias_, rbm.hidden_bias_ = x[None, :], np.zeros(1), np.zeros(x.size)
    got = rbm.hidden_probs(np.ones((1, 1)))[0]
    with np.errstate(over="ignore", under="ignore"):
        reference = np.where(x >= 0, 1.0 / (1.0 + np.exp(-np.abs(x))), np.exp(-np.abs(x)) / (1.0 + np.exp(-np.abs(x))))
    normal = reference > 1e-300  # below, the core's exp is clamped at -708 (exp(-708) = 3.3e-308)
    np.testing.assert_allclose(got[normal], reference[normal], rtol=4 * np.finfo(float).eps, atol=0)
    assert np.all((got[~normal] >= 0) & (got[~normal] <= 1.0001e-300))
    assert np.all((got[x < -708] > 0) & (got[x < -708] <= 3.4e-308))
    assert np.all(got[x > 37] == 1.0)


def test_softplus_is_accurate_over_the_whole_double_range():
    # Free energies sum softplus(x) = log(1 + e^x) over the hidden units; the core has its own
    # vectorised log1p and exp. One hidden unit and one-hot rows give softplus of each weight.
    x = np.concatenate([np.linspace(-800.0, 800.0, 801), np.linspace(-40.0, 40.0, 1001), [0.0, 1e-300, 1e-8]])
    rbm = BernoulliRBM()
    rbm.weights_, rbm.visible_bias_, rbm.hidden_bias_ = x[:, None], np.zeros(x.size), np.zeros(1)
    got = -rbm.free_energy(np.eye(x.size))
    reference = np.logaddexp(0.0, x)
    normal = reference > 1e-300  # below, exp(-|x|) is clamped at exp(-708) = 3.3e-308
    np.testing.assert_allclose(got[normal], reference[normal], rtol=4 * np.finfo(float).eps, atol=0)
    assert np.all((got[~normal] >= 0) & (got[~normal] <= 1.0001e-300))
