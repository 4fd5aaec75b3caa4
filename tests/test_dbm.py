"""condgen.DBM: exact likelihoods, mean-field, samplers, fine-tuning, determinism and input checks."""

import itertools

import numpy as np
import pytest

import condgen
from condgen import DBM, BernoulliRBM, TrainLayer


def random_dbm(sizes, seed, scale=1.0, dtype=np.float64, **params):
    """A DBM with N(0, scale) weights and N(0, 0.5) biases, built with DBM.from_rbms."""
    rng = np.random.default_rng(seed)
    rbms = []
    for n_visible, n_hidden in zip(sizes[:-1], sizes[1:]):
        rbm = BernoulliRBM(n_hidden=n_hidden, dtype=dtype)
        rbm.weights_ = rng.normal(0.0, scale, (n_visible, n_hidden)).astype(dtype)
        rbm.visible_bias_ = rng.normal(0.0, 0.5, n_visible).astype(dtype)
        rbm.hidden_bias_ = rng.normal(0.0, 0.5, n_hidden).astype(dtype)
        rbms.append(rbm)
    return DBM.from_rbms(rbms, **params)


def all_states(n):
    return np.array(list(itertools.product([0.0, 1.0], repeat=n)))


def joint_log_weights(dbm):
    """Brute force over every unit of every layer: states per layer and log p*(x_0, ..., x_L)."""
    states = [all_states(size) for size in dbm.layer_sizes_]
    grids = np.meshgrid(*[np.arange(len(s)) for s in states], indexing="ij")
    index = [g.ravel() for g in grids]
    log_w = np.zeros(index[0].size)
    for r, layer in enumerate(dbm.layers_):
        below, above = states[r][index[r]], states[r + 1][index[r + 1]]
        log_w += np.einsum("ni,ij,nj->n", below, layer.weights_, above)
        log_w += below @ layer.visible_bias_ + above @ layer.hidden_bias_
    return index, log_w


def exact_visible_distribution(dbm):
    index, log_w = joint_log_weights(dbm)
    p = np.exp(log_w - log_w.max())
    marginal = np.bincount(index[0], weights=p, minlength=2 ** dbm.n_features_in_)
    return marginal / marginal.sum()


def state_index(X):
    """Row of all_states(n) that each binary row of X is."""
    return (X @ (2 ** np.arange(X.shape[1])[::-1])).astype(int)


def tv_bound(p, n):
    """4 standard errors per state: P(|p_hat_k - p_k| > 4 sd_k) < 1e-4 for every k, and the total
    variation 0.5 * sum_k |p_hat_k - p_k| is then below 0.5 * sum_k 4 sd_k."""
    return 0.5 * np.sum(4.0 * np.sqrt(p * (1.0 - p) / n))


# ------------------------------------------------------------------------------------------------
# exact log partition function and likelihood


@pytest.mark.parametrize("sizes", [(4, 3, 2), (3, 3, 3, 2), (2, 3, 2, 3, 2), (5, 4), (3, 6, 2)])
def test_exact_log_partition_matches_brute_force(sizes):
    dbm = random_dbm(sizes, seed=sum(sizes))
    _, log_w = joint_log_weights(dbm)
    brute = np.logaddexp.reduce(log_w)
    assert abs(dbm.exact_log_partition() - brute) < 1e-10


@pytest.mark.parametrize("sizes", [(4, 3, 2), (3, 3, 3, 2), (2, 3, 2, 3, 2)])
def test_exact_log_likelihood_matches_brute_force(sizes):
    dbm = random_dbm(sizes, seed=10 + sum(sizes))
    index, log_w = joint_log_weights(dbm)
    log_z = np.logaddexp.reduce(log_w)
    visible = all_states(sizes[0])
    log_p = np.array([np.logaddexp.reduce(log_w[index[0] == i]) for i in range(len(visible))]) - log_z
    X = visible[[0, 3, len(visible) - 1, 3]]
    assert abs(dbm.exact_log_likelihood(X) - log_p[[0, 3, len(visible) - 1, 3]].mean()) < 1e-10


def test_exact_computation_refuses_large_models():
    dbm = random_dbm((30, 26, 30), seed=0)
    with pytest.raises(ValueError, match="enumerate"):
        dbm.exact_log_partition()


# ------------------------------------------------------------------------------------------------
# mean-field


def mean_field_reference(dbm, X, tol):
    """boltzmann.md §4.4 in numpy (the kernel iterates per chunk of 64 rows; X has fewer rows)."""
    layers = dbm.layers_
    L = len(layers)
    sig = lambda x: 1.0 / (1.0 + np.exp(-x))  # noqa: E731
    mu = [X]
    for k in range(1, L + 1):
        mu.append(sig((2.0 if k < L else 1.0) * (mu[k - 1] @ layers[k - 1].weights_ + layers[k - 1].hidden_bias_)))
    while True:
        delta = 0.0
        for k in range(1, L + 1):
            a = mu[k - 1] @ layers[k - 1].weights_ + layers[k - 1].hidden_bias_
            if k < L:
                a += mu[k + 1] @ layers[k].weights_.T + layers[k].visible_bias_
            new = sig(a)
            delta = max(delta, np.abs(new - mu[k]).max())
            mu[k] = new
        if delta <= tol:
            return mu


def test_mean_field_matches_numpy_reference():
    dbm = random_dbm((6, 5, 4, 3), seed=3, scale=0.7)
    X = (np.random.default_rng(1).random((40, 6)) < 0.5).astype(float)
    mu = dbm.mean_field(X)
    expected = mean_field_reference(dbm, X, dbm.mean_field_tol)
    assert len(mu) == 4
    for got, want in zip(mu, expected):
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)


def test_mean_field_solves_its_fixed_point_equations():
    dbm = random_dbm((6, 5, 4, 3), seed=4, scale=0.7, mean_field_tol=1e-12)
    X = (np.random.default_rng(2).random((150, 6)) < 0.5).astype(float)
    mu = dbm.mean_field(X)
    sig = lambda x: 1.0 / (1.0 + np.exp(-x))  # noqa: E731
    L = len(dbm.layers_)
    for k in range(1, L + 1):
        a = mu[k - 1] @ dbm.layers_[k - 1].weights_ + dbm.layers_[k - 1].hidden_bias_
        if k < L:
            a += mu[k + 1] @ dbm.layers_[k].weights_.T + dbm.layers_[k].visible_bias_
        # The last sweep changed nothing by more than 1e-12; with contraction the residual of
        # the equations is of that order.
        assert np.abs(sig(a) - mu[k]).max() < 1e-10
    np.testing.assert_allclose(dbm.transform(X), mu[-1])


def test_mean_field_iteration_cap_warns():
    dbm = random_dbm((6, 5, 4), seed=5, scale=3.0, mean_field_tol=0.0, mean_field_max_iter=2)
    with pytest.warns(RuntimeWarning, match="mean_field_max_iter"):
        dbm.mean_field(np.ones((3, 6)))


# ------------------------------------------------------------------------------------------------
# samplers


@pytest.mark.parametrize("sampler", ["alternating", "synchronous"])
def test_visible_distribution_of_chains_matches_exact_marginal(sampler):
    dbm = random_dbm((3, 2, 2), seed=6, sampler=sampler)
    n = 20000
    # 30 sweeps from random states: the chain of this 7-unit model forgets its start long before.
    V = dbm.sample(n, burn_in=30, seed=1)
    p = exact_visible_distribution(dbm)
    freq = np.bincount(state_index(V), minlength=len(p)) / n
    assert 0.5 * np.abs(freq - p).sum() < tv_bound(p, n)


def test_alternating_sampler_draws_the_joint_distribution():
    dbm = random_dbm((3, 2, 2), seed=7)
    n = 20000
    particles = dbm.init_particles(n, seed=2)
    dbm.gibbs_sample(particles, steps=30, seed=3)
    index, log_w = joint_log_weights(dbm)
    p = np.exp(log_w - np.logaddexp.reduce(log_w))
    sizes = dbm.layer_sizes_
    # flat index of the joint state, in the order of joint_log_weights (first layer slowest)
    flat = np.zeros(n, dtype=int)
    for layer, size in zip(particles, sizes):
        flat = flat * 2 ** size + state_index(layer)
    freq = np.bincount(flat, minlength=len(p)) / n
    assert 0.5 * np.abs(freq - p).sum() < tv_bound(p, n)


@pytest.mark.parametrize("start", ["random", "mean_field"])
@pytest.mark.parametrize("sampler", ["alternating", "synchronous"])
def test_conditional_distribution_of_free_visibles_matches_exact(sampler, start):
    dbm = random_dbm((4, 3, 2), seed=8, sampler=sampler)
    n_per_row = 20000
    values = np.array([[1.0, 0.0]])  # visible columns 3 and 1
    V = dbm.sample_conditional(values, [3, 1], steps=30, n_per_row=n_per_row, seed=4, start=start)
    assert np.all(V[:, 3] == 1) and np.all(V[:, 1] == 0)
    joint = exact_visible_distribution(dbm)
    states = all_states(4)
    keep = (states[:, 3] == 1) & (states[:, 1] == 0)
    conditional = joint[keep] / joint[keep].sum()
    # free columns (0, 2) of the kept states, in all_states order
    free_index = state_index(V[:, [0, 2]])
    freq = np.bincount(free_index, minlength=4) / n_per_row
    assert 0.5 * np.abs(freq - conditional).sum() < tv_bound(conditional, n_per_row)


@pytest.mark.parametrize("sampler", ["alternating", "synchronous"])
def test_clamped_columns_never_change(sampler):
    dbm = random_dbm((8, 5, 3), seed=9, scale=2.0, sampler=sampler)
    particles = dbm.init_particles(300, seed=5)
    mask = np.zeros(8, dtype=bool)
    mask[[0, 5, 7]] = True
    before = particles[0][:, mask].copy()
    dbm.gibbs_sample(particles, steps=7, clamp=mask, seed=6)
    np.testing.assert_array_equal(particles[0][:, mask], before)
    assert not np.array_equal(particles[0][:, ~mask], dbm.init_particles(300, seed=5)[0][:, ~mask])
    V = dbm.sample(200, burn_in=5, conditions={2: 1, 4: 0}, seed=7)
    assert np.all(V[:, 2] == 1) and np.all(V[:, 4] == 0)


def test_mean_field_start_draws_from_the_clamped_mean_field_fixed_point():
    dbm = random_dbm((7, 5, 3, 2), seed=11, scale=1.5)
    columns = np.array([5, 1, 2])
    values = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]])
    mu = dbm._clamped_mean_field(values, columns)
    W = [layer.weights_ for layer in dbm.layers_]
    b = [layer.visible_bias_ for layer in dbm.layers_]
    c = [layer.hidden_bias_ for layer in dbm.layers_]
    sigmoid = lambda x: 1.0 / (1.0 + np.exp(-x))  # noqa: E731
    np.testing.assert_array_equal(mu[0][:, columns], values)
    free = [0, 3, 4, 6]
    # the mean-field equations hold to the iteration's tolerance (1e-3 per sweep; the last sweep's
    # change bounds the distance to the fixed point up to the contraction factor)
    np.testing.assert_allclose(mu[0][:, free], sigmoid(b[0] + mu[1] @ W[0].T)[:, free], atol=5e-3)
    np.testing.assert_allclose(mu[1], sigmoid(c[0] + b[1] + mu[0] @ W[0] + mu[2] @ W[1].T), atol=5e-3)
    np.testing.assert_allclose(mu[2], sigmoid(c[1] + b[2] + mu[1] @ W[1] + mu[3] @ W[2].T), atol=5e-3)
    np.testing.assert_allclose(mu[3], sigmoid(c[2] + mu[2] @ W[2]), atol=5e-3)
    # with no sweep the visible samples are independent draws from those probabilities:
    # 4 standard errors of a frequency of 20000 draws
    n_per_row = 20000
    V = dbm.sample_conditional(values, columns, steps=0, n_per_row=n_per_row, seed=3, start="mean_field")
    frequency = V.reshape(2, n_per_row, 7).mean(axis=1)
    np.testing.assert_array_less(np.abs(frequency - mu[0]), 4.0 * np.sqrt(mu[0] * (1 - mu[0]) / n_per_row) + 1e-12)


def test_sample_conditional_start_follows_the_preset():
    values = np.array([[0.0, 1.0], [1.0, 1.0]])
    for preset, default in (("condgen", "mean_field"), ("boltzmannmachines.jl", "random")):
        dbm = random_dbm((6, 4, 2), seed=12, preset=preset)
        np.testing.assert_array_equal(dbm.sample_conditional(values, [4, 5], steps=2, n_per_row=3, seed=1),
                                      dbm.sample_conditional(values, [4, 5], steps=2, n_per_row=3, seed=1,
                                                             start=default))
    expected = dbm.init_particles(6, seed=1)[0]  # the seed's initparticles, then the clamped values
    expected[:, [4, 5]] = np.repeat(values, 3, axis=0)
    np.testing.assert_array_equal(dbm.sample_conditional(values, [4, 5], steps=0, n_per_row=3, seed=1,
                                                         start="random"), expected)
    with pytest.raises(ValueError, match="start"):
        dbm.sample_conditional(values, [4, 5], start="data")


def test_sample_conditional_row_layout():
    dbm = random_dbm((6, 4, 2), seed=10)
    values = np.array([[0.0, 1.0], [1.0, 1.0], [0.0, 0.0]])
    V = dbm.sample_conditional(values, [4, 5], steps=3, n_per_row=5, seed=1)
    assert V.shape == (15, 6)
    np.testing.assert_array_equal(V[:, 4:], np.repeat(values, 5, axis=0))


def test_init_particles():
    dbm = random_dbm((5, 4, 3), seed=11)
    unbiased = dbm.init_particles(4000, seed=1)
    assert [p.shape for p in unbiased] == [(4000, 5), (4000, 4), (4000, 3)]
    # mean of 4000 fair bits: sd 0.008, 5 sd
    assert all(abs(p.mean(axis=0) - 0.5).max() < 0.04 for p in unbiased)
    biased = dbm.init_particles(4000, biased=True, seed=1)
    biases = [dbm.layers_[0].visible_bias_] + [layer.hidden_bias_ for layer in dbm.layers_]
    for p, bias in zip(biased, biases):
        assert np.abs(p.mean(axis=0) - 1 / (1 + np.exp(-bias))).max() < 0.04


# ------------------------------------------------------------------------------------------------
# training


def bars_and_stripes_3x3():
    rows = []
    for bits in itertools.product([0.0, 1.0], repeat=3):
        image = np.repeat(np.array(bits)[:, None], 3, axis=1)
        rows += [image.ravel(), image.T.ravel()]
    return np.unique(np.array(rows), axis=0)


def test_fine_tuning_raises_exact_likelihood():
    X = np.tile(bars_and_stripes_3x3(), (10, 1))  # 14 patterns x 10
    gains = []
    for seed in (1, 2, 3):
        params = dict(n_hiddens=[6, 4], pretrain_epochs=30, seed=seed)
        pretrained = DBM(epochs=0, **params).fit(X)
        fine_tuned = DBM(epochs=200, **params).fit(X)
        gains.append(fine_tuned.exact_log_likelihood(X) - pretrained.exact_log_likelihood(X))
    # Pre-trained stacks reach -5.3 to -5.0 nats (the data's entropy bound is -log 14 = -2.64);
    # fine-tuning adds 0.25 to 0.29 nats for these seeds. A 0.1-nat margin for every seed rules
    # out a gain that is only seed-to-seed noise.
    assert min(gains) > 0.1, gains


def test_fit_defaults_and_presets():
    X = (np.random.default_rng(0).random((45, 7)) < 0.4).astype(float)
    dbm = DBM(epochs=1, pretrain_epochs=1, seed=0).fit(X)
    assert [layer.weights_.shape for layer in dbm.layers_] == [(7, 7), (7, 7)]
    assert dbm._fine_tune_settings(45)["batch_size"] == 5  # ceil(45 / 10): 10 updates per epoch
    assert dbm._fine_tune_settings(45)["learning_rate"] == 0.03
    assert dbm._fine_tune_settings(45)["gibbs_steps"] == 2
    assert dbm._sampler_code() == 0
    jl = DBM(preset="boltzmannmachines.jl")
    assert jl._fine_tune_settings(45)["batch_size"] == 45
    assert jl._fine_tune_settings(45)["gibbs_steps"] == 5
    assert jl._sampler_code() == 1
    assert jl._layer_specs(7, 45)[0]["centering"] is False and jl._layer_specs(7, 45)[0]["learning_rate"] == 0.005
    assert DBM(preset="boltzmannmachines.jl", learning_rate=0.1)._layer_specs(7, 45)[0]["learning_rate"] == 0.1
    assert DBM()._layer_specs(7, 45)[0]["learning_rate"] == 0.005
    assert DBM(learning_rate=0.1)._layer_specs(7, 45)[0]["learning_rate"] == 0.1
    assert DBM()._layer_specs(7, 45)[1]["centering"] is True
    # pre-training: batch 1 up to 300 rows, then at most 300 updates per epoch (Julia: always 1)
    assert [DBM()._layer_specs(7, n)[0]["batch_size"] for n in (45, 300, 301, 1000, 3000)] == [1, 1, 2, 4, 10]
    assert jl._layer_specs(7, 3000)[0]["batch_size"] == 1
    # pre-training chains: true Gibbs chains for a conditional fit, else Julia's chain of hidden probabilities
    assert DBM()._layer_specs(7, 45, conditional=True)[0]["pcd"] == "tieleman"
    assert DBM()._layer_specs(7, 45)[0]["pcd"] is True and jl._layer_specs(7, 45, conditional=True)[0]["pcd"] is True
    assert DBM(pretrain_pcd=False)._layer_specs(7, 45)[1]["pcd"] is False
    with pytest.raises(ValueError, match="pretrain_pcd"):
        DBM(pretrain_pcd="gibbs")._layer_specs(7, 45)
    assert DBM(pretrain_batch_size=7)._layer_specs(7, 3000)[0]["batch_size"] == 7
    rates = DBM(epochs=3, learning_rate=0.003)._fine_tune_settings(45)["rates"]
    np.testing.assert_allclose(rates, [0.003, 0.003 * 11 / 12, 0.003 * 11 / 13])


def test_scikit_learn_parameter_access():
    dbm = DBM(n_hiddens=[4, 2], epochs=3)
    assert dbm.get_params()["n_hiddens"] == [4, 2] and dbm.get_params()["preset"] == "condgen"
    assert dbm.set_params(epochs=5) is dbm and dbm.epochs == 5
    assert repr(dbm) == "DBM(n_hiddens=[4, 2], epochs=5)"
    with pytest.raises(ValueError, match="unknown parameter"):
        dbm.set_params(n_hidden=3)


def test_preset_equals_its_explicit_settings():
    X = (np.random.default_rng(1).random((40, 6)) < 0.4).astype(float)
    common = dict(n_hiddens=[5, 3], epochs=4, pretrain_epochs=3, pretrain_learning_rate=0.01, seed=3)
    preset = DBM(preset="boltzmannmachines.jl", learning_rate=0.004, **common).fit(X)
    explicit = DBM(learning_rate=0.004, batch_size=40, gibbs_steps=5, sampler="synchronous",
                   pretrain_centering=False, pretrain_pcd=True, **common).fit(X)
    for a, b in zip(preset.layers_, explicit.layers_):
        np.testing.assert_array_equal(a.weights_, b.weights_)
        np.testing.assert_array_equal(a.hidden_bias_, b.hidden_bias_)


def test_per_layer_pretraining_settings():
    X = (np.random.default_rng(2).random((30, 6)) < 0.5).astype(float)
    layers = [TrainLayer(n_hidden=4, epochs=2, learning_rate=0.01), {"n_hidden": 3, "batch_size": 5}]
    dbm = DBM(pretrain_layers=layers, epochs=1, seed=1).fit(X)
    assert dbm.layer_sizes_ == [6, 4, 3]
    specs = dbm._layer_specs(6, 30)
    assert specs[0]["epochs"] == 2 and specs[1]["epochs"] == 1 and specs[1]["batch_size"] == 5
    with pytest.raises(ValueError, match="disagrees"):
        DBM(n_hiddens=[4, 4], pretrain_layers=layers).fit(X)
    with pytest.raises(ValueError, match="pretrain_layers"):
        DBM(pretrain_layers=[{"n_hiden": 3}]).fit(X)


def test_monitors_are_called():
    X = (np.random.default_rng(3).random((20, 5)) < 0.5).astype(float)
    seen, pre = [], []
    DBM(n_hiddens=[3, 2], epochs=3, pretrain_epochs=2, seed=0,
        monitor=lambda dbm, epoch: seen.append(epoch),
        pretrain_monitor=lambda rbm, epoch: pre.append(epoch)).fit(X)
    assert seen == [1, 2, 3] and pre == [1, 2, 1, 2]


def test_float32_model():
    X = (np.random.default_rng(4).random((64, 8)) < 0.3).astype(float)
    dbm = DBM(n_hiddens=[6, 4], epochs=5, pretrain_epochs=5, dtype=np.float32, seed=2).fit(X)
    assert all(layer.weights_.dtype == np.float32 for layer in dbm.layers_)
    assert dbm.sample(10, burn_in=3, seed=1).dtype == np.float32
    assert dbm.transform(X).dtype == np.float32
    assert np.isfinite(dbm.exact_log_likelihood(X))


# ------------------------------------------------------------------------------------------------
# determinism


def test_same_seed_same_model_and_samples_for_any_thread_count(restore_threads):
    X = (np.random.default_rng(5).random((150, 10)) < 0.4).astype(float)
    results = []
    for threads in (1, 2):
        condgen.set_num_threads(threads)
        dbm = DBM(n_hiddens=[8, 4], epochs=4, pretrain_epochs=2, n_particles=150, seed=11).fit(X)
        results.append((dbm, dbm.sample(300, burn_in=4, seed=5), dbm.mean_field(X)[1]))
    (a, sa, ma), (b, sb, mb) = results
    for la, lb in zip(a.layers_, b.layers_):
        np.testing.assert_array_equal(la.weights_, lb.weights_)
    np.testing.assert_array_equal(sa, sb)
    np.testing.assert_array_equal(ma, mb)
    other = DBM(n_hiddens=[8, 4], epochs=4, pretrain_epochs=2, n_particles=150, seed=12).fit(X)
    assert not np.array_equal(other.layers_[0].weights_, a.layers_[0].weights_)
    assert not np.array_equal(a.sample(300, burn_in=4, seed=6), sa)


def test_parallel_fine_tuning_is_thread_independent(restore_threads):
    # 300 particles x 5 sweeps of a 100-80-40 model: enough work per update for the fine-tuning
    # kernel to run its Gibbs and mean-field chunks in parallel.
    X = (np.random.default_rng(8).random((200, 100)) < 0.3).astype(float)
    models, mean_fields = [], []
    for threads in (1, 2):
        condgen.set_num_threads(threads)
        models.append(DBM(n_hiddens=[80, 40], epochs=2, pretrain_epochs=1, n_particles=300, seed=4).fit(X))
        mean_fields.append(models[0].mean_field(X))  # parallel too: 200 rows of this model
    for a, b in zip(*mean_fields):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(models[0].layers_, models[1].layers_):
        np.testing.assert_array_equal(a.weights_, b.weights_)
        np.testing.assert_array_equal(a.visible_bias_, b.visible_bias_)
    for a, b in zip(models[0].fine_tune_particles_, models[1].fine_tune_particles_):
        np.testing.assert_array_equal(a, b)


def test_large_gibbs_run_is_thread_independent(restore_threads):
    # Enough work for the kernel to run its chunks in parallel, and a weight matrix large enough
    # (>= 65536 entries) for its larger chunks of chains.
    dbm = random_dbm((300, 220, 50), seed=12, scale=0.1)
    runs = []
    for threads in (1, 2):
        condgen.set_num_threads(threads)
        particles = dbm.init_particles(1000, seed=1)
        runs.append(dbm.gibbs_sample(particles, steps=2, clamp=[0, 1], seed=2))
    for a, b in zip(*runs):
        np.testing.assert_array_equal(a, b)


# ------------------------------------------------------------------------------------------------
# conditional fine-tuning (fit(..., condition_on=...))


def _fine_tune_epoch(dbm, particles, X, batch_size, learning_rate, gibbs_steps, clamped, seed):
    weights, visible, hidden = dbm._param_lists()
    return condgen._core.dbm_fine_tune_epoch(weights, visible, hidden, particles, X, batch_size, learning_rate,
                                             gibbs_steps, 0, 1e-10, 1000, seed, clamped)


def test_conditional_fine_tuning_update_matches_numpy():
    # No sweeps and one full batch: the update is the mean-field statistics of the rows minus the
    # statistics of the rows' chains as they are.
    dbm = random_dbm((6, 4, 3), seed=21, scale=0.5)
    rng = np.random.default_rng(3)
    X = (rng.random((40, 6)) < 0.5).astype(float)
    particles = [X.copy()] + [(rng.random((40, n)) < 0.5).astype(float) for n in (4, 3)]
    chains = [p.copy() for p in particles]
    dbm.mean_field_tol = 1e-10
    mu = dbm.mean_field(X)
    before = [(layer.weights_.copy(), layer.visible_bias_.copy(), layer.hidden_bias_.copy()) for layer in dbm.layers_]
    _fine_tune_epoch(dbm, particles, X, 40, 0.1, 0, [4, 1], seed=1)
    for r, (layer, (W, b, c)) in enumerate(zip(dbm.layers_, before)):
        np.testing.assert_allclose(layer.weights_, W + 0.1 * (mu[r].T @ mu[r + 1] - chains[r].T @ chains[r + 1]) / 40,
                                   rtol=0, atol=1e-12)
        np.testing.assert_allclose(layer.visible_bias_, b + 0.1 * (mu[r] - chains[r]).mean(axis=0), rtol=0, atol=1e-12)
        np.testing.assert_allclose(layer.hidden_bias_, c + 0.1 * (mu[r + 1] - chains[r + 1]).mean(axis=0),
                                   rtol=0, atol=1e-12)
    for a, b in zip(particles, chains):
        np.testing.assert_array_equal(a, b)


def test_conditional_fine_tuning_chains_sample_their_rows_conditional():
    # Learning rate 0: the kernel only runs each minibatch's chains (30 sweeps) with columns 3 and
    # 1 clamped and writes them back to their rows. Rows alternate between two clamped values;
    # each row's chain must end up drawn from the exact conditional given its own row's values.
    dbm = random_dbm((4, 3, 2), seed=8)
    n = 40000
    rng = np.random.default_rng(5)
    X = (rng.random((n, 4)) < 0.5).astype(float)
    values = np.array([[1.0, 0.0], [0.0, 1.0]])
    X[:, [3, 1]] = values[np.arange(n) % 2]
    particles = [X.copy()] + [(rng.random((n, k)) < 0.5).astype(float) for k in (3, 2)]
    _fine_tune_epoch(dbm, particles, X, n // 4, 0.0, 30, [1, 3], seed=2)
    np.testing.assert_array_equal(particles[0][:, [3, 1]], X[:, [3, 1]])
    joint = exact_visible_distribution(dbm)
    states = all_states(4)
    for parity, (v3, v1) in enumerate(values):
        keep = (states[:, 3] == v3) & (states[:, 1] == v1)
        conditional = joint[keep] / joint[keep].sum()
        free = particles[0][parity::2][:, [0, 2]]
        freq = np.bincount(state_index(free), minlength=4) / len(free)
        assert 0.5 * np.abs(freq - conditional).sum() < tv_bound(conditional, len(free))


def exact_conditional_log_likelihood(dbm, X, free):
    """Mean of log p(X[free] | X[not free]) by enumerating the free columns."""
    completions = all_states(len(free))
    weights, visible, hidden = dbm._param_lists()
    total = 0.0
    for row in X:
        filled = np.repeat(row[None, :], len(completions), axis=0)
        filled[:, free] = completions
        log_p = condgen._core.dbm_exact_log_unnormalized(weights, visible, hidden, np.vstack([row, filled]))
        total += log_p[0] - np.logaddexp.reduce(log_p[1:])  # log Z cancels
    return total / len(X)


def test_conditional_fine_tuning_raises_exact_conditional_likelihood():
    # Columns 0-2 are noisy copies (90%) of the independent fair columns 3-5.
    rng = np.random.default_rng(11)
    given = (rng.random((120, 3)) < 0.5).astype(float)
    X = np.hstack([np.where(rng.random((120, 3)) < 0.9, given, 1.0 - given), given])
    free = [0, 1, 2]
    gains = []
    for seed in (1, 2, 3):
        # the same pre-training in both (a conditional fit's default is another chain, pretrain_pcd)
        params = dict(n_hiddens=[6, 3], pretrain_epochs=20, pretrain_pcd=True, seed=seed)
        pretrained = DBM(epochs=0, **params).fit(X)
        tuned = DBM(epochs=300, **params).fit(X, condition_on=[3, 4, 5])
        np.testing.assert_array_equal(tuned.fine_tune_particles_[0][:, 3:], X[:, 3:])
        gains.append(exact_conditional_log_likelihood(tuned, X, free)
                     - exact_conditional_log_likelihood(pretrained, X, free))
    # Pre-trained stacks reach -1.49 to -1.64 nats per row (the simulator's conditional: -3 H(0.1)
    # = -0.98); conditional fine-tuning adds 0.14 to 0.20 for these seeds. A 0.1-nat margin for
    # every seed rules out a gain that is only seed-to-seed noise.
    assert min(gains) > 0.1, gains


def test_conditional_fine_tuning_is_thread_independent(restore_threads):
    X = (np.random.default_rng(8).random((200, 100)) < 0.3).astype(float)
    models = []
    for threads in (1, 2):
        condgen.set_num_threads(threads)
        models.append(DBM(n_hiddens=[80, 40], epochs=2, pretrain_epochs=1, gibbs_steps=5, batch_size=200,
                          seed=4).fit(X, condition_on=range(80, 100)))
    for a, b in zip(models[0].layers_, models[1].layers_):
        np.testing.assert_array_equal(a.weights_, b.weights_)
    for a, b in zip(models[0].fine_tune_particles_, models[1].fine_tune_particles_):
        np.testing.assert_array_equal(a, b)


def test_condition_on_bad_input():
    X = (np.random.default_rng(7).random((20, 5)) < 0.5).astype(float)
    dbm = DBM(n_hiddens=[3, 2], epochs=1, pretrain_epochs=1, seed=0)
    with pytest.raises(ValueError, match="condition_on indices must be in"):
        dbm.fit(X, condition_on=[5])
    with pytest.raises(ValueError, match="condition_on mask must have length 5"):
        dbm.fit(X, condition_on=np.ones(4, dtype=bool))
    with pytest.raises(ValueError, match="at least one visible column free"):
        dbm.fit(X, condition_on=range(5))
    with pytest.raises(ValueError, match="names no column"):
        dbm.fit(X, condition_on=[])
    with pytest.raises(ValueError, match="condition_on must be a sequence"):
        dbm.fit(X, condition_on="snps")


# ------------------------------------------------------------------------------------------------
# input checks


def test_fit_does_not_modify_input_and_accepts_any_layout():
    X = (np.random.default_rng(6).random((30, 6)) < 0.5).astype(np.float32)
    copy = X.copy()
    a = DBM(n_hiddens=[4, 2], epochs=2, pretrain_epochs=2, seed=1).fit(np.asfortranarray(X))
    b = DBM(n_hiddens=[4, 2], epochs=2, pretrain_epochs=2, seed=1).fit(X.astype(int).tolist())
    np.testing.assert_array_equal(X, copy)
    np.testing.assert_array_equal(a.layers_[1].weights_, b.layers_[1].weights_)


def test_bad_input_raises_clear_errors():
    X = (np.random.default_rng(7).random((20, 5)) < 0.5).astype(float)
    with pytest.raises(ValueError, match="binary"):
        DBM().fit(X * 0.5)
    with pytest.raises(ValueError, match="n_hiddens must not be empty"):
        DBM(n_hiddens=[]).fit(X)
    with pytest.raises(ValueError, match="preset"):
        DBM(preset="julia").fit(X)
    with pytest.raises(ValueError, match="sampler"):
        DBM(sampler="gibbs").fit(X)
    with pytest.raises(ValueError, match="batch_size"):
        DBM(batch_size=21).fit(X)
    with pytest.raises(ValueError, match="fine_tune_learning_rates"):
        DBM(epochs=3, fine_tune_learning_rates=[0.1]).fit(X)
    with pytest.raises(ValueError, match="dtype"):
        DBM(dtype=np.int32).fit(X)
    with pytest.raises(ValueError, match="not fitted"):
        DBM().sample(3)

    dbm = DBM(n_hiddens=[3, 2], epochs=1, pretrain_epochs=1, seed=0).fit(X)
    with pytest.raises(ValueError, match="columns"):
        dbm.mean_field(X[:, :4])
    with pytest.raises(ValueError, match="clamp"):
        dbm.gibbs_sample(dbm.init_particles(2), clamp=[5])
    with pytest.raises(ValueError, match="clamp"):
        dbm.gibbs_sample(dbm.init_particles(2), clamp=np.ones(4, dtype=bool))
    with pytest.raises(ValueError, match="3 arrays"):
        dbm.gibbs_sample(dbm.init_particles(2)[:2])
    with pytest.raises(ValueError, match="binary"):
        dbm.gibbs_sample([p * 0.5 for p in dbm.init_particles(2)])
    with pytest.raises(ValueError, match="columns are given"):
        dbm.sample_conditional(np.ones((4, 2)), [1, 2, 3])
    with pytest.raises(ValueError, match="columns must be in"):
        dbm.sample_conditional(np.ones((4, 2)), [1, 5])
    with pytest.raises(ValueError, match="binary"):
        dbm.sample_conditional(np.full((4, 2), 0.5), [1, 2])
    with pytest.raises(ValueError, match="conditions"):
        dbm.sample(3, conditions={1: 2})

    with pytest.raises(ValueError, match="hidden units"):
        DBM.from_rbms([dbm.layers_[1], dbm.layers_[0]])
    with pytest.raises(TypeError, match="BernoulliRBM"):
        DBM.from_rbms([dbm])
