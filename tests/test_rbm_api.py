"""BernoulliRBM: estimator conventions, continued training and input validation."""

import numpy as np
import pytest

from condgen import BernoulliRBM


@pytest.fixture(scope="module")
def data():
    return (np.random.default_rng(0).random((40, 6)) < 0.4).astype(float)


@pytest.fixture(scope="module")
def fitted(data):
    return BernoulliRBM(n_hidden=3, epochs=2, seed=1).fit(data)


def test_fit_sets_state_and_keeps_the_callers_data(data):
    X = data.copy()
    rbm = BernoulliRBM(epochs=2, seed=1)
    assert rbm.fit(X) is rbm
    np.testing.assert_array_equal(X, data)
    assert rbm.weights_.shape == (6, 6)  # n_hidden=None: as many hidden units as columns
    assert rbm.visible_bias_.shape == (6,) and rbm.hidden_bias_.shape == (6,)
    assert rbm.n_epochs_ == 2
    assert not hasattr(rbm, "visible_offset_")


def test_other_layouts_and_dtypes_give_the_same_model(data):
    reference = BernoulliRBM(n_hidden=3, epochs=2, seed=1).fit(data).weights_
    for X in (np.asfortranarray(data), data.astype(np.float32), data.astype(bool), data.tolist(),
              np.hstack([data, data])[:, :6]):
        np.testing.assert_array_equal(BernoulliRBM(n_hidden=3, epochs=2, seed=1).fit(X).weights_, reference)


def test_initial_visible_bias_is_the_clipped_logit_of_the_means():
    X = np.array([[0, 1, 1], [0, 1, 0], [0, 1, 1], [0, 1, 0]], dtype=float)
    rbm = BernoulliRBM(n_hidden=2, epochs=0, seed=0).fit(X)
    eps = 1e-6
    np.testing.assert_allclose(rbm.visible_bias_, [np.log(eps / (1 - eps)), np.log((1 - eps) / eps), 0.0])
    np.testing.assert_array_equal(rbm.hidden_bias_, 0.0)
    # W = randn(nv, nh) / sqrt(nv), the first draws of the seed's generator
    np.testing.assert_array_equal(rbm.weights_, np.random.default_rng(0).standard_normal((3, 2)) / np.sqrt(3))


def test_learning_rates_per_epoch(data):
    same = BernoulliRBM(n_hidden=3, epochs=3, learning_rates=[0.1, 0.1, 0.1, 9.0], seed=2).fit(data)
    single = BernoulliRBM(n_hidden=3, epochs=3, learning_rate=0.1, seed=2).fit(data)
    np.testing.assert_array_equal(same.weights_, single.weights_)
    frozen = BernoulliRBM(n_hidden=3, epochs=2, learning_rates=[0.0, 0.0], seed=2).fit(data)
    np.testing.assert_array_equal(frozen.weights_, BernoulliRBM(n_hidden=3, epochs=0, seed=2).fit(data).weights_)


def test_monitor_and_progress(data):
    calls = []
    rbm = BernoulliRBM(n_hidden=3, epochs=3, seed=1, progress=True,
                       monitor=lambda model, epoch: calls.append((epoch, model.n_epochs_,
                                                                  model.reconstruction_error(data))))
    rbm.fit(data)
    assert [c[:2] for c in calls] == [(1, 1), (2, 2), (3, 3)]
    assert all(np.isfinite(c[2]) for c in calls)


def test_fit_with_init_continues_from_a_copy(data, fitted):
    before = fitted.weights_.copy()
    continued = BernoulliRBM(n_hidden=99, epochs=0, seed=3).fit(data, init=fitted)
    np.testing.assert_array_equal(continued.weights_, before)
    assert continued.weights_ is not fitted.weights_
    assert continued.n_epochs_ == fitted.n_epochs_
    more = BernoulliRBM(epochs=2, seed=3).fit(data, init=fitted)
    assert more.weights_.shape == (6, 3) and more.n_epochs_ == fitted.n_epochs_ + 2
    np.testing.assert_array_equal(fitted.weights_, before)
    with pytest.raises(ValueError, match="visible units"):
        BernoulliRBM(epochs=1).fit(data[:, :5], init=fitted)
    with pytest.raises(TypeError, match="init must be a BernoulliRBM"):
        BernoulliRBM(epochs=1).fit(data, init=fitted.weights_)


def test_assigned_parameters_give_a_usable_model(data, fitted):
    rbm = BernoulliRBM()
    rbm.weights_ = fitted.weights_.tolist()
    rbm.visible_bias_ = list(fitted.visible_bias_)
    rbm.hidden_bias_ = fitted.hidden_bias_.astype(np.float32)
    np.testing.assert_allclose(rbm.transform(data), fitted.transform(data), rtol=1e-6)
    assert rbm.sample(4, burn_in=2, seed=1).shape == (4, 6)
    assert np.isfinite(rbm.exact_log_likelihood(data))
    assert np.isfinite(rbm.free_energy(data)).all()


def test_params_and_repr():
    rbm = BernoulliRBM(n_hidden=4, pcd="tieleman")
    assert rbm.get_params()["n_hidden"] == 4
    assert rbm.set_params(epochs=7) is rbm and rbm.epochs == 7
    assert "n_hidden=4" in repr(rbm) and "epochs=7" in repr(rbm) and "batch_size" not in repr(rbm)
    with pytest.raises(ValueError, match="unknown parameter"):
        rbm.set_params(hidden=3)


@pytest.mark.parametrize(
    ("X", "message"),
    [
        (np.array([[0.0, 0.5], [1.0, 0.0]]), "binary"),
        (np.array([[0.0, np.nan], [1.0, 0.0]]), "NaN"),
        (np.array([[0.0, np.inf], [1.0, 0.0]]), "NaN or infinite"),
        (np.array([0.0, 1.0]), "2-D"),
        (np.zeros((0, 3)), "empty"),
        (np.array([["a", "b"]]), "numeric"),
    ],
)
def test_bad_training_data(X, message):
    with pytest.raises(ValueError, match=message):
        BernoulliRBM(epochs=1, seed=0).fit(X)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"batch_size": 41}, "larger than the number of samples"),
        ({"batch_size": 0}, "batch_size must be at least 1"),
        ({"n_hidden": 0}, "n_hidden must be at least 1"),
        ({"n_hidden": 2.5}, "n_hidden must be an integer"),
        ({"epochs": 3, "learning_rates": [0.1, 0.1]}, "at least epochs=3"),
        ({"learning_rates": [0.1, np.nan]}, "NaN"),
        ({"epochs": -1}, "epochs must be at least 0"),
        ({"cd_steps": 0}, "cd_steps"),
        ({"pcd": "yes"}, "pcd must be"),
        ({"pcd": 1}, "pcd must be"),
        ({"pcd": "tieleman", "n_chains": 0}, "n_chains"),
        ({"dtype": np.int32}, "dtype"),
        ({"learning_rate": float("nan")}, "learning_rate"),
        ({"up_factor": "2"}, "up_factor"),
        ({"centering": "yes"}, "centering must be True or False"),
        ({"offset_rate": 1.5}, "offset_rate"),
        ({"monitor": 3}, "monitor must be callable"),
        ({"seed": -1}, "seed"),
    ],
)
def test_bad_hyperparameters(data, kwargs, message):
    with pytest.raises(ValueError, match=message):
        BernoulliRBM(**{"epochs": 1, **kwargs}).fit(data)


def test_bad_input_to_a_fitted_model(data, fitted):
    for method in (fitted.hidden_probs, fitted.transform, fitted.free_energy, fitted.sample_hidden,
                   fitted.reconstruction_error, fitted.exact_log_likelihood):
        with pytest.raises(ValueError, match="has 5 columns, expected 6"):
            method(data[:, :5])
    with pytest.raises(ValueError, match="has 6 columns, expected 3"):
        fitted.visible_probs(data)
    with pytest.raises(ValueError, match="binary"):
        fitted.exact_log_likelihood(data * 0.5)
    with pytest.raises(ValueError, match="n must be at least 1"):
        fitted.sample(0)
    with pytest.raises(ValueError, match="burn_in"):
        fitted.sample(3, burn_in=-1)
    with pytest.raises(ValueError, match="factor"):
        fitted.hidden_probs(data, factor=np.nan)
    with pytest.raises(ValueError, match="not fitted"):
        BernoulliRBM().transform(data)
    broken = BernoulliRBM()
    broken.weights_, broken.visible_bias_, broken.hidden_bias_ = np.zeros((6, 3)), np.zeros(5), np.zeros(3)
    with pytest.raises(ValueError, match="parameters do not fit"):
        broken.transform(data)


def test_exact_likelihood_of_large_models_points_to_ais():
    rbm = BernoulliRBM()
    rbm.weights_, rbm.visible_bias_, rbm.hidden_bias_ = np.zeros((30, 26)), np.zeros(30), np.zeros(26)
    with pytest.raises(ValueError, match="annealed importance sampling"):
        rbm.exact_log_partition()
