"""AIS, likelihoods and the DBM lower bound against brute-force enumeration on tiny models."""

import itertools
import math
from types import SimpleNamespace

import condgen
import numpy as np
import pytest
from condgen import likelihood
from condgen.likelihood import (
    LogEstimate,
    ais_log_weights,
    ais_standard_deviation,
    log_likelihood,
    log_likelihood_difference,
    log_mean_exp,
    log_partition,
    log_partition_ratio,
    log_partition_zero_weights,
    log_prob_lower_bound,
)


def _states(n):
    return np.array(list(itertools.product([0.0, 1.0], repeat=n)))


def _rbm(nv, nh, rng, scale=1.0):
    return SimpleNamespace(weights_=rng.normal(0, scale, (nv, nh)), visible_bias_=rng.normal(0, 1, nv),
                           hidden_bias_=rng.normal(0, 1, nh))


def _dbm(sizes, rng, scale=1.0):
    return SimpleNamespace(layers_=[_rbm(a, b, rng, scale) for a, b in zip(sizes[:-1], sizes[1:])])


def _params(model):
    layers = model.layers_ if hasattr(model, "layers_") else [model]
    return [(r.weights_, r.visible_bias_, r.hidden_bias_) for r in layers]


def _log_unnormalised(model, V):
    """Brute force: log sum over all hidden states of exp(-E(v, h...)) for each row of V."""
    layers = _params(model)
    biases = [layers[0][1]] + [c + (layers[k + 1][1] if k + 1 < len(layers) else 0.0)
                               for k, (_, _, c) in enumerate(layers)]
    hidden = [_states(W.shape[1]) for W, _, _ in layers]
    result = []
    for v in V:
        terms = []
        for hs in itertools.product(*hidden):
            x = [v, *hs]
            terms.append(sum(a @ s for a, s in zip(biases, x))
                         + sum(x[k] @ W @ x[k + 1] for k, (W, _, _) in enumerate(layers)))
        result.append(np.logaddexp.reduce(terms))
    return np.array(result)


def _exact_log_z(model):
    nv = _params(model)[0][0].shape[0]
    return float(np.logaddexp.reduce(_log_unnormalised(model, _states(nv))))


def _close(estimate, exact, max_error=0.1):
    """Within 3 reported standard deviations and within max_error nats."""
    error = abs(estimate.value - exact)
    assert error <= 3 * estimate.sd, (estimate, exact)
    assert error <= max_error, (estimate, exact)


# The statistical checks are consistency checks of an estimator whose sd is reported: an estimate
# within 3 sds fails with probability 0.3% for a correct estimator (fixed seeds make it repeatable).


def test_rbm_ais_matches_exact_log_partition():
    rbm = _rbm(8, 6, np.random.default_rng(0))
    exact = _exact_log_z(rbm)
    _close(log_partition(rbm, n_temperatures=1000, seed=1), exact)
    # the default 100 temperatures too (wider error; within 3 sds)
    estimate = log_partition(rbm, seed=2)
    assert abs(estimate.value - exact) <= 3 * estimate.sd


def test_rbm_ais_with_more_visible_than_hidden_and_large_weights():
    rbm = _rbm(5, 9, np.random.default_rng(1), scale=2.0)
    _close(log_partition(rbm, n_temperatures=1000, n_particles=200, seed=3), _exact_log_z(rbm))


def test_dbm_ais_matches_exact_log_partition():
    dbm = _dbm([4, 3, 3, 2], np.random.default_rng(2))
    _close(log_partition(dbm, n_temperatures=1000, seed=4), _exact_log_z(dbm))


def test_two_layer_dbm_ais_matches_exact():
    dbm = _dbm([5, 4, 3], np.random.default_rng(3), scale=1.5)
    _close(log_partition(dbm, n_temperatures=1000, seed=5), _exact_log_z(dbm))


def test_julia_dbm_ais_is_biased_where_the_fixed_one_is_not():
    # Three hidden layers with a strong visible bias of the top RBM: Julia's start state draws h2
    # from s(c_2) instead of s(c_2 + b_3), and its synchronous sweeps are not valid AIS transitions.
    # With 20 temperatures and 3000 particles the fixed variant is within 3 sds of the exact value
    # while Julia's is more than 5 sds away (its bias is about 0.02 nats here).
    rng = np.random.default_rng(1)
    dbm = _dbm([4, 3, 3, 2], rng)
    dbm.layers_[2].visible_bias_ += 2.0
    exact = _exact_log_z(dbm)
    settings = {"n_temperatures": 20, "n_particles": 3000, "seed": 1}
    fixed = log_partition(dbm, **settings)
    julia = log_partition(dbm, variant="boltzmannmachines.jl", **settings)
    assert abs(fixed.value - exact) < 3 * fixed.sd
    assert abs(julia.value - exact) > 5 * julia.sd


def test_dbm_log_likelihood_per_sample_ais_matches_exact():
    rng = np.random.default_rng(6)
    dbm = _dbm([5, 4, 3, 2], rng)
    X = (rng.random((6, 5)) < 0.5).astype(float)
    exact_log_z = _exact_log_z(dbm)
    exact = float(np.mean(_log_unnormalised(dbm, X)) - exact_log_z)
    estimate = log_likelihood(dbm, X, n_temperatures=300, n_particles=100, seed=7)
    _close(estimate, exact)
    # with log Z given exactly the sd comes from the per-row estimates alone
    given = log_likelihood(dbm, X, log_partition=exact_log_z, n_temperatures=300, seed=7)
    assert given.sd < estimate.sd
    _close(given, exact)


def test_rbm_log_likelihood_is_minus_free_energy_minus_log_z():
    rng = np.random.default_rng(8)
    rbm = _rbm(6, 4, rng)
    X = (rng.random((10, 6)) < 0.5).astype(float)
    exact = float(np.mean(_log_unnormalised(rbm, X)) - _exact_log_z(rbm))
    assert log_likelihood(rbm, X, log_partition=_exact_log_z(rbm)) == pytest.approx((exact, 0.0), abs=1e-10)
    _close(log_likelihood(rbm, X, n_temperatures=1000, seed=9), exact)


def test_lower_bound_exact_for_independent_units_and_below_likelihood():
    rng = np.random.default_rng(10)
    X = (rng.random((8, 4)) < 0.5).astype(float)
    # zero weights: the mean-field posterior is exact, so the bound equals the log-likelihood
    dbm = _dbm([4, 3, 2], rng)
    for layer in dbm.layers_:
        layer.weights_[:] = 0.0
    biases = likelihood._combined_biases(likelihood._layers(dbm))
    mu = [np.tile(1 / (1 + np.exp(-a)), (len(X), 1)) for a in biases[1:]]
    exact_log_z = _exact_log_z(dbm)
    assert exact_log_z == pytest.approx(log_partition_zero_weights(dbm), abs=1e-12)
    exact_ll = float(np.mean(_log_unnormalised(dbm, X)) - exact_log_z)
    bound = log_prob_lower_bound(dbm, X, log_partition=exact_log_z, mean_field=mu)
    assert bound == pytest.approx((exact_ll, 0.0), abs=1e-12)
    # with weights: any mean-field values give a bound below the exact log-likelihood; the
    # mean-field fixed point (iterated here in numpy) gives a tighter one than the prior means
    dbm = _dbm([4, 3, 2], rng)
    (W1, _b1, c1), (W2, b2, c2) = _params(dbm)
    exact_log_z = _exact_log_z(dbm)
    exact_ll = float(np.mean(_log_unnormalised(dbm, X)) - exact_log_z)
    mu1, mu2 = np.full((len(X), 3), 0.5), np.full((len(X), 2), 0.5)
    for _ in range(200):
        mu1 = 1 / (1 + np.exp(-(X @ W1 + c1 + mu2 @ W2.T + b2)))
        mu2 = 1 / (1 + np.exp(-(mu1 @ W2 + c2)))
    fixed_point = log_prob_lower_bound(dbm, X, log_partition=exact_log_z, mean_field=[mu1, mu2])
    prior = log_prob_lower_bound(dbm, X, log_partition=exact_log_z, mean_field=mu)
    assert prior.value < fixed_point.value <= exact_ll
    # the visible layer may be included in mean_field, as DBM.mean_field may return it
    with_visible = log_prob_lower_bound(dbm, X, log_partition=exact_log_z, mean_field=[X, mu1, mu2])
    assert with_visible == fixed_point


def test_log_partition_ratio_between_rbms():
    rng = np.random.default_rng(11)
    rbm1, rbm2 = _rbm(6, 4, rng), _rbm(6, 7, rng)
    exact = _exact_log_z(rbm2) - _exact_log_z(rbm1)
    _close(log_partition_ratio(rbm1, rbm2, n_temperatures=1000, seed=12), exact)
    X = (rng.random((10, 6)) < 0.5).astype(float)
    exact_diff = (np.mean(_log_unnormalised(rbm1, X)) - _exact_log_z(rbm1)
                  - np.mean(_log_unnormalised(rbm2, X)) + _exact_log_z(rbm2))
    assert log_likelihood_difference(rbm1, rbm2, X, log_partition_ratio=exact) == pytest.approx(
        (exact_diff, 0.0), abs=1e-10)
    _close(log_likelihood_difference(rbm1, rbm2, X, n_temperatures=1000, seed=13), exact_diff)


@pytest.mark.usefixtures("restore_threads")
def test_same_bits_for_any_thread_count_and_call_granularity(monkeypatch):
    rng = np.random.default_rng(14)
    dbm, rbm1, rbm2 = _dbm([5, 4, 3], rng), _rbm(6, 5, rng), _rbm(6, 3, rng)
    X = (rng.random((40, 5)) < 0.5).astype(float)

    def run():
        return (ais_log_weights(dbm, n_temperatures=30, n_particles=70, seed=15),
                ais_log_weights(dbm, n_temperatures=30, n_particles=70, seed=15, variant="boltzmannmachines.jl"),
                log_likelihood(dbm, X, n_temperatures=10, n_particles=20, seed=16),
                log_partition_ratio(rbm1, rbm2, n_temperatures=30, n_particles=70, seed=17))

    condgen.set_num_threads(1)
    one = run()
    # two threads, and the temperatures and rows cut into other pieces per C++ call
    condgen.set_num_threads(2)
    monkeypatch.setattr(likelihood, "_STEPS_PER_CALL", 7)
    monkeypatch.setattr(likelihood, "_ROWS_PER_CALL", 3)
    for a, b in zip(one, run()):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(one[0], ais_log_weights(dbm, n_temperatures=30, n_particles=70, seed=18))


def test_log_mean_exp_and_sd_are_stable():
    w = np.array([0.1, -0.3, 0.7, 0.2])
    assert log_mean_exp(w) == pytest.approx(math.log(np.mean(np.exp(w))), rel=1e-14)
    r = np.exp(w)
    direct = math.sqrt((np.mean(r**2) - np.mean(r) ** 2) / len(r)) / np.mean(r)
    assert ais_standard_deviation(w) == pytest.approx(direct, rel=1e-12)
    # shifting the log weights changes neither the sd nor anything but the offset of the mean
    assert ais_standard_deviation(w + 5000.0) == pytest.approx(direct, rel=1e-9)
    assert log_mean_exp(w + 5000.0) == pytest.approx(5000.0 + log_mean_exp(w), rel=1e-14)
    np.testing.assert_allclose(log_mean_exp(np.vstack([w, w + 1]), axis=1), [log_mean_exp(w), log_mean_exp(w) + 1])
    assert ais_standard_deviation(np.zeros(5)) == 0.0


def test_progress_bar_quiet_under_pytest(capfd):
    log_partition(_rbm(4, 3, np.random.default_rng(0)), n_temperatures=10, seed=0)
    assert capfd.readouterr().err == ""


def test_bad_input():
    rng = np.random.default_rng(19)
    rbm = _rbm(4, 3, rng)
    with pytest.raises(ValueError, match="temperatures"):
        log_partition(rbm, temperatures=[0.0, 0.5, 0.9])
    with pytest.raises(ValueError, match="temperatures"):
        log_partition(rbm, temperatures=[0.0, 0.6, 0.5, 1.0])
    with pytest.raises(ValueError, match="n_particles"):
        log_partition(rbm, n_particles=0)
    with pytest.raises(ValueError, match="variant"):
        log_partition(rbm, variant="julia")
    with pytest.raises(ValueError, match="method"):
        log_partition(rbm, method="sampling")
    with pytest.raises(ValueError, match="not a fitted BernoulliRBM"):
        log_partition(SimpleNamespace())
    with pytest.raises(ValueError, match="columns"):
        log_likelihood(rbm, np.zeros((2, 5)), log_partition=0.0)
    with pytest.raises(ValueError, match="binary"):
        log_likelihood(rbm, np.full((2, 4), 0.5), log_partition=0.0)
    with pytest.raises(ValueError, match="same number of visible units"):
        log_partition_ratio(rbm, _rbm(5, 3, rng))
    broken = SimpleNamespace(layers_=[_rbm(4, 3, rng), _rbm(2, 2, rng)])
    with pytest.raises(ValueError, match="layer 1 has 2 visible units"):
        log_partition(broken)
    assert isinstance(log_partition(rbm, n_temperatures=5, seed=0), LogEstimate)


# -- the models' methods ------------------------------------------------------------------------


def _bars_and_stripes(n, size, seed):
    rng = np.random.default_rng(seed)
    z = (rng.random((n, size)) < 0.5).astype(float)
    columns = rng.random(n) < 0.5
    return np.where(columns[:, None, None], z[:, None, :], z[:, :, None]).reshape(n, size * size)


@pytest.fixture(scope="module")
def trained_rbm():
    X = _bars_and_stripes(200, 3, seed=0)
    rbm = condgen.BernoulliRBM(n_hidden=8, epochs=100, learning_rate=0.05, pcd="tieleman", batch_size=10,
                               seed=0).fit(X)
    return rbm, X


def test_trained_rbm_ais_matches_exact(trained_rbm):
    rbm, X = trained_rbm
    exact = rbm.exact_log_partition()
    estimate = rbm.log_partition(n_temperatures=1000, seed=0)
    _close(estimate, exact)
    assert rbm.log_partition(method="exact") == (exact, 0.0)
    ll = rbm.log_likelihood(X, log_partition=estimate)
    assert ll == pytest.approx((rbm.exact_log_likelihood(X) + exact - estimate.value, estimate.sd), rel=1e-12)
    assert rbm.log_likelihood(X, method="exact").value == pytest.approx(rbm.exact_log_likelihood(X), abs=1e-12)


def test_float32_rbm_is_estimated_in_float64(trained_rbm):
    rbm, _ = trained_rbm
    single = condgen.BernoulliRBM(dtype=np.float32)
    single.weights_, single.visible_bias_, single.hidden_bias_ = (
        a.astype(np.float32) for a in (rbm.weights_, rbm.visible_bias_, rbm.hidden_bias_))
    as_double = SimpleNamespace(**{k: getattr(single, k).astype(np.float64)
                                   for k in ("weights_", "visible_bias_", "hidden_bias_")})
    assert single.log_partition(n_temperatures=50, seed=1) == log_partition(as_double, n_temperatures=50, seed=1)


@pytest.fixture(scope="module")
def trained_dbm():
    X = _bars_and_stripes(200, 3, seed=1)
    return condgen.DBM(n_hiddens=[6, 4], epochs=30, pretrain_epochs=30, seed=0).fit(X), X


def test_trained_dbm_ais_matches_exact(trained_dbm):
    dbm, X = trained_dbm
    exact = dbm.exact_log_partition()
    estimate = dbm.log_partition(n_temperatures=1000, seed=0)
    _close(estimate, exact)
    assert dbm.log_partition(method="exact") == (exact, 0.0)
    # per-sample AIS of the likelihood, log Z exact so that the per-row estimates are tested alone
    rows = X[:20]
    _close(dbm.log_likelihood(rows, log_partition=exact, n_temperatures=300, seed=1),
           dbm.exact_log_likelihood(rows))
    assert dbm.log_likelihood(rows, method="exact").value == dbm.exact_log_likelihood(rows)


def test_trained_dbm_lower_bound_is_below_the_likelihood(trained_dbm):
    dbm, X = trained_dbm
    bound = dbm.log_prob_lower_bound(X, method="exact")
    assert bound.sd == 0.0
    # the mean-field bound of a trained model is below, but not far below, the exact value
    assert dbm.exact_log_likelihood(X) - 0.5 < bound.value < dbm.exact_log_likelihood(X)
    with_ais = dbm.log_prob_lower_bound(X, n_temperatures=1000, seed=2)
    assert abs(with_ais.value - bound.value) <= 3 * with_ais.sd


def test_deep_dbm_from_rbms_ais_matches_exact():
    rng = np.random.default_rng(20)
    rbms = []
    for nv, nh in ((6, 4), (4, 4), (4, 3)):
        rbm = condgen.BernoulliRBM()
        rbm.weights_, rbm.visible_bias_, rbm.hidden_bias_ = (rng.normal(0, 1, (nv, nh)), rng.normal(0, 1, nv),
                                                             rng.normal(0, 1, nh))
        rbms.append(rbm)
    dbm = condgen.DBM.from_rbms(rbms)
    _close(dbm.log_partition(n_temperatures=1000, seed=3), dbm.exact_log_partition())


def test_empirical_log_likelihood():
    from condgen.likelihood import empirical_log_likelihood

    generated = np.array([[0, 1], [0, 1], [1, 1], [0, 0.0]])
    assert empirical_log_likelihood([[0, 1], [1, 1.0]], generated) == pytest.approx(
        (math.log(0.5) + math.log(0.25)) / 2)
    with pytest.raises(ValueError, match="row 1 of X does not occur"):
        empirical_log_likelihood([[0, 1], [1, 0.0]], generated)
    # a tiny RBM: with many exact-enough samples the estimate approaches the exact likelihood
    rbm = condgen.BernoulliRBM()
    rng = np.random.default_rng(21)
    rbm.weights_, rbm.visible_bias_, rbm.hidden_bias_ = rng.normal(0, 1, (3, 2)), rng.normal(0, 1, 3), np.zeros(2)
    X = _states(3)
    exact = rbm.exact_log_likelihood(X)
    samples = rbm.sample(20_000, burn_in=20, seed=22)
    # independent chains: per state, log(frequency) has sd about sqrt((1 - p) / (n p)), at most
    # 0.033 here (the least likely state has p = 0.043), so 0.1 is over 3 sds for their mean
    assert empirical_log_likelihood(X, samples) == pytest.approx(exact, abs=0.1)
