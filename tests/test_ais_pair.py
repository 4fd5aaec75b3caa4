"""AIS between two RBMs of every unit type (boltzmann.md §6.5) against exact log partition functions."""

import condgen
import numpy as np
import pytest
from condgen import (
    BernoulliGaussianRBM,
    BernoulliRBM,
    Binomial2BernoulliRBM,
    GaussianBernoulliRBM,
    GaussianBernoulliRBM2,
    PartitionedRBM,
    Softmax0BernoulliRBM,
    likelihood,
)
from condgen.likelihood import log_likelihood_difference, log_partition_ratio

# AIS settings of the accuracy tests: tiny models, so 100 Gibbs steps of rbm1 give start particles
# whose distribution is exact to far below the tolerance, and the estimate's error is the AIS noise.
AIS = {"n_temperatures": 200, "n_particles": 200, "init_burn_in": 100}
# |estimate - exact| < 3 sd + ABS_TOL: sd is the delta-method sd of the estimate; ABS_TOL covers
# the estimator's bias (log of a mean: about -sd^2 / 2 < 1e-3 here) and the noise of sd itself
# (over 20 seeds per type the mean error was within 2 se of 0 and max |error / sd| was 2.6).
ABS_TOL = 0.01

# class, constructor arguments, visible units; Gaussian visible types get their own sds.
TYPES = {
    "Bernoulli": (BernoulliRBM, {}, 6),
    "Binomial2": (Binomial2BernoulliRBM, {}, 5),
    "Gaussian": (GaussianBernoulliRBM, {}, 4),
    "Gaussian2": (GaussianBernoulliRBM2, {}, 4),
    "BernoulliGaussian": (BernoulliGaussianRBM, {}, 5),
    "Softmax0": (Softmax0BernoulliRBM, {"categories": [3, 4, 2]}, 6),
}


def _model(cls, kwargs, n_visible, n_hidden, rng, scale=1.0):
    """An RBM with random parameters (and sds between 0.5 and 1.5 for Gaussian visible units)."""
    model = cls(**kwargs)
    model.weights_ = scale * rng.standard_normal((n_visible, n_hidden))
    model.visible_bias_ = 0.5 * rng.standard_normal(n_visible)
    model.hidden_bias_ = 0.5 * rng.standard_normal(n_hidden)
    if cls in (GaussianBernoulliRBM, GaussianBernoulliRBM2):
        model.visible_sd_ = rng.uniform(0.5, 1.5, n_visible)
    return model


def _data(model, n, seed):
    return model.sample(n, burn_in=20, seed=seed)


@pytest.mark.parametrize("name", list(TYPES))
def test_ratio_matches_exact_log_partitions(name):
    cls, kwargs, n_visible = TYPES[name]
    rng = np.random.default_rng(list(TYPES).index(name))
    # different hidden layer sizes: the log 2 (sqrt(2 pi) for Gaussian hidden units) per unit
    rbm1, rbm2 = _model(cls, kwargs, n_visible, 4, rng), _model(cls, kwargs, n_visible, 6, rng)
    exact = rbm2.exact_log_partition() - rbm1.exact_log_partition()
    estimate = log_partition_ratio(rbm1, rbm2, seed=1, **AIS)
    assert abs(estimate.value - exact) < 3 * estimate.sd + ABS_TOL
    assert 0 < estimate.sd < 0.05
    # the likelihood difference: exact given the exact ratio, and with the AIS ratio within its sd
    X = _data(rbm1, 30, seed=2)
    exact_difference = rbm1.exact_log_likelihood(X) - rbm2.exact_log_likelihood(X)
    given = log_likelihood_difference(rbm1, rbm2, X, log_partition_ratio=exact)
    assert given.value == pytest.approx(exact_difference, abs=1e-9)
    assert given.sd == 0.0
    estimated = log_likelihood_difference(rbm1, rbm2, X, seed=1, **AIS)
    assert estimated.value - exact_difference == pytest.approx(estimate.value - exact, abs=1e-9)


def test_gaussian_path_with_very_different_sds():
    # sds a factor 4 apart: the mixed model's sd moves from sigma1 to sigma2 along the path
    rng = np.random.default_rng(10)
    rbm1, rbm2 = _model(GaussianBernoulliRBM, {}, 3, 3, rng), _model(GaussianBernoulliRBM, {}, 3, 5, rng)
    rbm1.visible_sd_, rbm2.visible_sd_ = np.full(3, 0.4), np.full(3, 1.6)
    exact = rbm2.exact_log_partition() - rbm1.exact_log_partition()
    estimate = log_partition_ratio(rbm1, rbm2, seed=11, **AIS)
    assert abs(estimate.value - exact) < 3 * estimate.sd + ABS_TOL


def test_partitioned_ratio_is_the_sum_over_blocks():
    rng = np.random.default_rng(12)

    def partitioned(n_hidden):
        return PartitionedRBM.from_rbms([_model(Binomial2BernoulliRBM, {}, 3, n_hidden, rng),
                                         _model(GaussianBernoulliRBM, {}, 2, n_hidden + 1, rng)])

    rbm1, rbm2 = partitioned(3), partitioned(4)
    exact = rbm2.exact_log_partition() - rbm1.exact_log_partition()
    estimate = log_partition_ratio(rbm1, rbm2, seed=13, **AIS)
    assert abs(estimate.value - exact) < 3 * estimate.sd + ABS_TOL
    X = np.hstack([rng.integers(0, 3, (10, 3)), rng.normal(size=(10, 2))])
    exact_difference = rbm1.exact_log_likelihood(X) - rbm2.exact_log_likelihood(X)
    assert log_likelihood_difference(rbm1, rbm2, X, log_partition_ratio=exact).value == pytest.approx(
        exact_difference, abs=1e-9)


def test_fitted_models_compared_on_their_data():
    # The model trained longer is the better one by the exact difference and by the AIS estimate.
    rng = np.random.default_rng(14)
    X = rng.binomial(2, np.where(rng.random((300, 1)) < 0.5, 0.8, 0.2), size=(300, 5)).astype(float)
    settings = {"n_hidden": 4, "batch_size": 10, "learning_rate": 0.02, "seed": 15}
    good = Binomial2BernoulliRBM(epochs=30, **settings).fit(X)
    poor = Binomial2BernoulliRBM(epochs=1, **settings).fit(X)
    exact = good.exact_log_likelihood(X) - poor.exact_log_likelihood(X)
    estimate = log_likelihood_difference(good, poor, X, seed=16, **AIS)
    assert exact > 0.2
    assert abs(estimate.value - exact) < 3 * estimate.sd + ABS_TOL


@pytest.mark.usefixtures("restore_threads")
def test_same_bits_for_any_thread_count_and_call_granularity(monkeypatch):
    rng = np.random.default_rng(17)
    rbm1, rbm2 = _model(GaussianBernoulliRBM2, {}, 5, 3, rng), _model(GaussianBernoulliRBM2, {}, 5, 4, rng)

    def run(seed=18):
        # 70 particles: three chunks, the last one partial
        return likelihood.log_partition_ratio(rbm1, rbm2, n_temperatures=30, n_particles=70, seed=seed)

    condgen.set_num_threads(1)
    one = run()
    condgen.set_num_threads(2)
    monkeypatch.setattr(likelihood, "_STEPS_PER_CALL", 7)
    assert run() == one
    assert run(seed=19) != one


def test_bad_pairs_are_rejected():
    rng = np.random.default_rng(20)
    binomial = _model(Binomial2BernoulliRBM, {}, 4, 3, rng)
    gaussian = _model(GaussianBernoulliRBM, {}, 4, 3, rng)
    with pytest.raises(ValueError, match="same type, got a Binomial2BernoulliRBM and a GaussianBernoulliRBM"):
        log_partition_ratio(binomial, gaussian)
    with pytest.raises(ValueError, match="same type, got a BernoulliRBM and a Softmax0BernoulliRBM"):
        log_partition_ratio(_model(BernoulliRBM, {}, 4, 3, rng), _model(Softmax0BernoulliRBM, {"categories": 3}, 4, 3, rng))
    with pytest.raises(ValueError, match="same number of visible units, got 4 and 5"):
        log_partition_ratio(binomial, _model(Binomial2BernoulliRBM, {}, 5, 3, rng))
    with pytest.raises(ValueError, match=r"same categorical groups .* got \[2, 2\] and \[1, 3\]"):
        log_partition_ratio(_model(Softmax0BernoulliRBM, {"categories": 3}, 4, 3, rng),
                            _model(Softmax0BernoulliRBM, {"categories": [2, 4]}, 4, 3, rng))
    with pytest.raises(ValueError, match="rbm2: this GaussianBernoulliRBM is not fitted"):
        log_partition_ratio(gaussian, GaussianBernoulliRBM())
    unfinished = _model(GaussianBernoulliRBM, {}, 4, 3, rng)
    del unfinished.visible_sd_
    with pytest.raises(ValueError, match="rbm1: this GaussianBernoulliRBM has no visible_sd_"):
        log_partition_ratio(unfinished, gaussian)
    with pytest.raises(ValueError, match="rbm1 is not a fitted BernoulliRBM"):
        log_partition_ratio(BernoulliRBM(), _model(BernoulliRBM, {}, 4, 3, rng))
    blocks = [_model(BernoulliRBM, {}, 2, 2, rng), _model(BernoulliRBM, {}, 2, 2, rng)]
    with pytest.raises(ValueError, match="same visible blocks"):
        log_partition_ratio(PartitionedRBM.from_rbms(blocks), PartitionedRBM.from_rbms([*blocks[::-1], blocks[0]]))
    with pytest.raises(ValueError, match="rbm2 is not fitted"):
        log_partition_ratio(PartitionedRBM.from_rbms(blocks), PartitionedRBM([BernoulliRBM()]))
    with pytest.raises(ValueError, match=r"same type, got a BernoulliRBM and a Binomial2BernoulliRBM"):
        log_partition_ratio(PartitionedRBM.from_rbms(blocks),
                            PartitionedRBM.from_rbms([blocks[0], _model(Binomial2BernoulliRBM, {}, 2, 2, rng)]))
    with pytest.raises(ValueError, match=r"X must hold values in \{0, 1, 2\}"):
        log_likelihood_difference(binomial, binomial, np.full((3, 4), 3.0), log_partition_ratio=0.0)
    with pytest.raises(ValueError, match="init_burn_in"):
        log_partition_ratio(binomial, binomial, init_burn_in=-1)


def _shifted(a, k):
    """Copy of ``a`` whose data lies ``k`` float64 items after a 64-byte boundary."""
    buf = np.empty(a.size + 16)
    start = (-buf.ctypes.data % 64) // 8 + k
    view = buf[start:start + a.size].reshape(a.shape)
    view[...] = a
    return view


def test_same_bits_wherever_the_parameters_lie_in_memory():
    # Vectorised loops peel unaligned heads with scalar code (fused multiply-adds with
    # -march=native): the kernel works on copies of its own, so the caller's alignment cannot matter.
    rng = np.random.default_rng(21)
    pair = [_model(GaussianBernoulliRBM, {}, 5, 3, rng), _model(GaussianBernoulliRBM, {}, 5, 4, rng)]
    results = []
    for k in range(8):
        for model in pair:
            for name in ("weights_", "visible_bias_", "hidden_bias_", "visible_sd_"):
                setattr(model, name, _shifted(getattr(model, name), k))
        results.append(log_partition_ratio(*pair, n_temperatures=20, n_particles=40, seed=22))
    assert all(result == results[0] for result in results)
