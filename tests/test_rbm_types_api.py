"""Training, sampling API, determinism and input validation of the RBMs of other unit types."""

import condgen
import numpy as np
import pytest
from condgen import (
    BernoulliGaussianRBM,
    Binomial2BernoulliRBM,
    GaussianBernoulliRBM,
    GaussianBernoulliRBM2,
    Softmax0BernoulliRBM,
    data,
)

N = 500


@pytest.fixture(scope="module")
def datasets():
    """Small data sets with structure an RBM can learn: two latent groups behind every column."""
    rng = np.random.default_rng(0)
    z = rng.random(N) < 0.5
    genotypes = rng.binomial(2, np.where(z[:, None], 0.8, 0.2), size=(N, 6)).astype(float)
    codes = np.column_stack([np.where(z, rng.choice(3, N, p=[0.8, 0.1, 0.1]), rng.choice(3, N, p=[0.1, 0.1, 0.8]))
                             for _ in range(4)])
    return {
        "binomial2": genotypes,
        "gaussian": data.curve_bundles(3, 200, 6, noise_sd=0.1, seed=2),
        "bernoulli_gaussian": data.bars_and_stripes(N, 9, seed=3),
        "softmax0": data.one_or_none_encode(codes, 3),
    }


def baseline(model):
    """The fitted model's independent-units counterpart: same biases (and sigma), zero weights."""
    model.weights_ = np.zeros_like(model.weights_)
    return model


CASES = [
    ("binomial2", Binomial2BernoulliRBM, {}),
    ("gaussian", GaussianBernoulliRBM, {"pcd": "tieleman", "learning_rate": 0.005}),
    ("gaussian", GaussianBernoulliRBM2, {"pcd": "tieleman", "learning_rate": 0.005}),
    ("bernoulli_gaussian", BernoulliGaussianRBM, {}),
    ("softmax0", Softmax0BernoulliRBM, {"categories": 3}),
]


@pytest.mark.parametrize(("kind", "cls", "extra"), CASES)
def test_training_beats_the_independent_model(datasets, kind, cls, extra):
    X = datasets[kind]
    settings = {"n_hidden": 4 if kind != "gaussian" else 6, "epochs": 30, "learning_rate": 0.01,
                "batch_size": 10, "pcd": False, "seed": 1, **extra}
    model = cls(**settings).fit(X)
    independent = baseline(cls(**{**settings, "epochs": 0}).fit(X))
    # The initial biases (and standard deviations) are the best model of independent units, so
    # its exact log-likelihood is the floor any structure must beat; the latent groups are worth
    # several tenths of a nat per row here.
    assert model.exact_log_likelihood(X) > independent.exact_log_likelihood(X) + 0.1


def test_learning_the_standard_deviations_helps_with_sampled_negative_phases(datasets):
    X = datasets["gaussian"]
    settings = {"n_hidden": 6, "epochs": 30, "batch_size": 10, "pcd": "tieleman", "seed": 1}
    fixed = GaussianBernoulliRBM(**settings).fit(X)
    learned = GaussianBernoulliRBM(**settings, sd_learning_rate=1e-3).fit(X)
    assert not np.allclose(learned.visible_sd_, fixed.visible_sd_)
    assert learned.exact_log_likelihood(X) > fixed.exact_log_likelihood(X)


@pytest.mark.parametrize("pcd", [True, "tieleman"])
def test_large_sd_learning_rates_keep_sigma_positive(datasets, pcd):
    X = datasets["gaussian"]
    model = GaussianBernoulliRBM(n_hidden=6, epochs=5, batch_size=10, pcd=pcd, seed=1, sd_learning_rate=5.0).fit(X)
    assert np.all(model.visible_sd_ > 0)
    assert np.all(np.isfinite(model.weights_))


def test_initialisation_follows_the_data():
    rng = np.random.default_rng(4)
    X = rng.normal(3.0, 2.0, size=(200, 5))
    gauss = GaussianBernoulliRBM(n_hidden=3, epochs=0, seed=0).fit(X)
    np.testing.assert_allclose(gauss.visible_bias_, X.mean(axis=0))
    np.testing.assert_allclose(gauss.visible_sd_, X.std(axis=0, ddof=1))
    np.testing.assert_array_equal(gauss.hidden_bias_, 0.0)
    gauss2 = GaussianBernoulliRBM2(n_hidden=3, epochs=0, seed=0, sd_init_factor=0.5).fit(X)
    np.testing.assert_allclose(gauss2.visible_sd_, 0.5 * X.std(axis=0, ddof=1))
    # GBRBM2 rows of W are those of GBRBM (same seed) times sigma (before sd_init_factor).
    np.testing.assert_allclose(gauss2.weights_, gauss.weights_ * X.std(axis=0, ddof=1)[:, None])
    genotypes = np.array([[0, 2, 1], [2, 2, 0], [1, 2, 0]], dtype=float)
    binomial = Binomial2BernoulliRBM(n_hidden=2, epochs=0, seed=0).fit(genotypes)
    means = np.clip(genotypes.mean(axis=0) / 2, 1e-6, 1 - 1e-6)
    np.testing.assert_allclose(binomial.visible_bias_, np.log(means / (1 - means)))


@pytest.mark.parametrize(("kind", "cls", "extra"), CASES)
def test_same_seed_same_model_and_callers_data_untouched(datasets, kind, cls, extra):
    X = datasets[kind][:100]
    before = X.copy()
    settings = {"n_hidden": 3, "epochs": 2, "batch_size": 7, "seed": 5, **extra}
    a, b = cls(**settings).fit(X), cls(**settings).fit(X)
    np.testing.assert_array_equal(X, before)
    np.testing.assert_array_equal(a.weights_, b.weights_)
    np.testing.assert_array_equal(a.hidden_bias_, b.hidden_bias_)
    assert not np.array_equal(a.weights_, cls(**{**settings, "seed": 6}).fit(X).weights_)
    np.testing.assert_array_equal(a.sample(20, burn_in=3, seed=1), b.sample(20, burn_in=3, seed=1))


@pytest.mark.parametrize(("cls", "extra"), [(GaussianBernoulliRBM, {"sd_learning_rate": 1e-3}),
                                            (Softmax0BernoulliRBM, {"categories": 4}),
                                            (BernoulliGaussianRBM, {"pcd": "tieleman", "n_chains": 300})])
@pytest.mark.usefixtures("restore_threads")
def test_thread_count_does_not_change_the_model(cls, extra):
    # Batches of 300 rows x 30 x 15 units run the products and sampling in parallel row chunks.
    rng = np.random.default_rng(7)
    if cls is GaussianBernoulliRBM:
        X = rng.normal(size=(600, 30))
    elif cls is Softmax0BernoulliRBM:
        X = data.one_or_none_encode(rng.integers(0, 4, (600, 10)), 4)
    else:
        X = (rng.random((600, 30)) < 0.3).astype(float)
    settings = {"n_hidden": 15, "epochs": 2, "batch_size": 300, "cd_steps": 2, "seed": 8, **extra}
    models = []
    for threads in (1, 2):
        condgen.set_num_threads(threads)
        model = cls(**settings).fit(X)
        models.append((model.weights_, model.hidden_bias_, model.sample(200, burn_in=2, seed=3)))
    for first, second in zip(*models):
        np.testing.assert_array_equal(first, second)


def test_float32_models_agree_with_float64(datasets):
    X = datasets["binomial2"]
    m64 = Binomial2BernoulliRBM(n_hidden=4, epochs=0, seed=1).fit(X)
    m32 = Binomial2BernoulliRBM(n_hidden=4, epochs=0, seed=1, dtype=np.float32).fit(X)
    assert m32.weights_.dtype == np.float32
    np.testing.assert_allclose(m32.hidden_probs(X), m64.hidden_probs(X), rtol=0, atol=1e-5)
    trained = Binomial2BernoulliRBM(n_hidden=4, epochs=5, seed=1, dtype=np.float32, batch_size=10).fit(X)
    assert trained.weights_.dtype == np.float32
    assert np.all(np.isfinite(trained.weights_))
    # Exact quantities are computed in float64 from the float32 parameters.
    assert np.isfinite(trained.exact_log_likelihood(X))


def test_fit_options_init_monitor_and_learning_rates(datasets):
    X = datasets["softmax0"]
    epochs = []
    first = Softmax0BernoulliRBM(categories=3, n_hidden=3, epochs=2, seed=1,
                                 monitor=lambda _model, epoch: epochs.append(epoch)).fit(X)
    assert epochs == [1, 2]
    assert first.n_epochs_ == 2
    assert first.categories_ == [3, 3, 3, 3]
    weights = first.weights_.copy()
    more = Softmax0BernoulliRBM(categories=3, epochs=1, seed=2).fit(X, init=first)
    np.testing.assert_array_equal(first.weights_, weights)  # init is copied, not changed
    assert more.n_epochs_ == 3
    assert more.weights_.shape == (8, 3)
    zero = Softmax0BernoulliRBM(categories=3, n_hidden=3, epochs=2, seed=1, learning_rates=[0.0, 0.0]).fit(X)
    untrained = Softmax0BernoulliRBM(categories=3, n_hidden=3, epochs=0, seed=1).fit(X)
    np.testing.assert_array_equal(zero.weights_, untrained.weights_)
    assert "categories=3" in repr(first)
    assert first.get_params()["n_hidden"] == 3
    assert first.set_params(epochs=4).epochs == 4


def test_gibbs_clamps_and_init_particles():
    rng = np.random.default_rng(9)
    model = GaussianBernoulliRBM()
    model.weights_ = rng.standard_normal((4, 3))
    model.visible_bias_ = np.array([5.0, -5.0, 0.0, 1.0])
    model.hidden_bias_ = np.zeros(3)
    model.visible_sd_ = np.array([0.1, 0.2, 1.0, 2.0])
    V, H = model.init_particles(4000, biased=True, seed=1)
    # Biased start = the zero-weight model: N(b, sigma^2); 5-standard-error bands on the means.
    assert np.all(np.abs(V.mean(axis=0) - model.visible_bias_) < 5 * model.visible_sd_ / np.sqrt(4000))
    assert set(np.unique(H)) <= {0.0, 1.0}
    V[:, 1] = 7.0
    model.gibbs((V, H), steps=3, clamp=[1], seed=2)
    np.testing.assert_array_equal(V[:, 1], 7.0)
    softmax = Softmax0BernoulliRBM(categories=[3, 2])
    softmax.weights_, softmax.visible_bias_, softmax.hidden_bias_ = np.zeros((3, 2)), np.zeros(3), np.zeros(2)
    V, _ = softmax.init_particles(6000, seed=3)
    # Unbiased: each category of a variable with K values has probability 1/K (se <= 0.0065).
    np.testing.assert_allclose(V.mean(axis=0), [1 / 3, 1 / 3, 1 / 2], atol=5 * 0.0065)
    binomial = Binomial2BernoulliRBM()
    binomial.weights_, binomial.visible_bias_, binomial.hidden_bias_ = np.zeros((2, 2)), np.zeros(2), np.zeros(2)
    V, _ = binomial.init_particles(6000, seed=4)
    assert set(np.unique(V)) == {0.0, 1.0, 2.0}
    np.testing.assert_allclose((V == 1).mean(axis=0), 0.5, atol=5 * np.sqrt(0.25 / 6000))


@pytest.mark.parametrize(("cls", "kwargs", "X", "message"), [
    (Binomial2BernoulliRBM, {}, [[0, 1, 3], [1, 2, 0]], r"values in \{0, 1, 2\}, found 3 at row 0, column 2"),
    (Binomial2BernoulliRBM, {}, [[0, 1, 0.5], [1, 2, 0]], r"found 0.5"),
    (GaussianBernoulliRBM, {}, [[1.0, 2.0], [1.0, 3.0], [1.0, 4.0]], r"constant columns \[0\]"),
    (GaussianBernoulliRBM2, {}, [[1.0, 2.0]], "at least 2 rows"),
    (GaussianBernoulliRBM, {}, [[1.0, np.nan], [2.0, 3.0]], "NaN"),
    (BernoulliGaussianRBM, {}, [[0, 2], [1, 0]], "binary"),
    (Softmax0BernoulliRBM, {"categories": 3}, [[1, 1, 0, 0], [0, 0, 0, 1]], "several ones in the one-or-none group"),
    (Softmax0BernoulliRBM, {"categories": 3}, [[1, 0, 0], [0, 0, 1]], "not a multiple of categories - 1 = 2"),
    (Softmax0BernoulliRBM, {"categories": [3, 3]}, [[1, 0, 0], [0, 0, 1]], "need 4 visible columns, got 3"),
    (Softmax0BernoulliRBM, {}, [[1, 0], [0, 0]], "categories is required"),
    (GaussianBernoulliRBM, {"sd_learning_rate": -1.0}, [[1.0, 2.0], [2.0, 3.0]], "sd_learning_rate must be at least"),
    (Binomial2BernoulliRBM, {"batch_size": 5}, [[0, 1], [1, 2]], "batch_size"),
])
def test_bad_training_input(cls, kwargs, X, message):
    with pytest.raises(ValueError, match=message):
        cls(epochs=1, **kwargs).fit(np.array(X, dtype=float))


def test_bad_input_to_fitted_models(datasets):
    model = Binomial2BernoulliRBM(n_hidden=2, epochs=0, seed=0).fit(datasets["binomial2"])
    with pytest.raises(ValueError, match=r"values in \[0, 2\]"):
        model.free_energy(np.full((1, 6), 3.0))
    with pytest.raises(ValueError, match="V has 5 columns, expected 6"):
        model.hidden_probs(np.zeros((1, 5)))
    with pytest.raises(ValueError, match=r"values in \{0, 1, 2\}"):
        model.exact_log_likelihood(np.full((1, 6), 0.5))
    with pytest.raises(ValueError, match="init must be a Binomial2BernoulliRBM"):
        Binomial2BernoulliRBM().fit(datasets["binomial2"], init=GaussianBernoulliRBM())
    with pytest.raises(ValueError, match="not fitted"):
        GaussianBernoulliRBM().free_energy(np.zeros((1, 2)))
    gauss = GaussianBernoulliRBM()
    gauss.weights_, gauss.visible_bias_, gauss.hidden_bias_ = np.zeros((2, 2)), np.zeros(2), np.zeros(2)
    with pytest.raises(ValueError, match="no visible_sd_"):
        gauss.free_energy(np.zeros((1, 2)))
    gauss.visible_sd_ = np.array([1.0, 0.0])
    with pytest.raises(ValueError, match="visible_sd_ must hold positive"):
        gauss.sample(2)
    big = Binomial2BernoulliRBM()
    big.weights_, big.visible_bias_, big.hidden_bias_ = np.zeros((2, 30)), np.zeros(2), np.zeros(30)
    with pytest.raises(ValueError, match="log_partition\\(method='ais'\\)"):
        big.exact_log_partition()
    with pytest.raises(ValueError, match="clamp indices"):
        model.gibbs(model.init_particles(2), clamp=[7])
    with pytest.raises(ValueError, match="temperatures must be"):
        model.log_partition(temperatures=[0.0, 0.5])


def test_binary_likelihood_functions_refuse_other_unit_types(datasets):
    model = Binomial2BernoulliRBM(n_hidden=2, epochs=0, seed=0).fit(datasets["binomial2"])
    with pytest.raises(ValueError, match="Binomial2BernoulliRBM: these functions handle binary RBMs"):
        condgen.likelihood.log_partition(model)


@pytest.mark.parametrize(("kind", "cls", "extra"), CASES)
def test_save_and_load_round_trip(datasets, tmp_path, kind, cls, extra):
    X = datasets[kind][:50]
    model = cls(n_hidden=3, epochs=1, seed=1, **extra).fit(X)
    path = model.save(tmp_path / "model.npz")
    loaded = condgen.load(path)
    assert type(loaded) is cls
    assert loaded.get_params().keys() == model.get_params().keys()
    np.testing.assert_array_equal(loaded.free_energy(X), model.free_energy(X))
    np.testing.assert_array_equal(loaded.sample(5, burn_in=2, seed=3), model.sample(5, burn_in=2, seed=3))
