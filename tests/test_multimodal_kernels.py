"""MultimodalDBM C++ kernels (cpp/src/multimodal.cpp): fine-tuning, mean-field and Gibbs sampling
against NumPy references and exact distributions; per-layer pre-training settings; AIS and
likelihoods against exact enumeration (boltzmann.md §2.4-§2.5, §3.2, §4, §5, §6.6-§6.7)."""

import itertools

import condgen
import numpy as np
import pytest
from condgen import (
    BernoulliRBM,
    Binomial2BernoulliRBM,
    GaussianBernoulliRBM,
    GaussianBernoulliRBM2,
    MultimodalDBM,
    PartitionedRBM,
    Softmax0BernoulliRBM,
    TrainLayer,
)
from condgen.multimodal import _hidden_input

LOG2 = np.log(2.0)


def with_params(rbm, nv, nh, rng, scale=0.7):
    rbm.weights_ = scale * rng.standard_normal((nv, nh))
    rbm.visible_bias_ = 0.5 * rng.standard_normal(nv)
    rbm.hidden_bias_ = 0.5 * rng.standard_normal(nh)
    if isinstance(rbm, (GaussianBernoulliRBM, GaussianBernoulliRBM2)):
        rbm.visible_sd_ = rng.uniform(0.6, 1.4, nv)
    return rbm


def build(parts, upper_sizes, seed, scale=0.7):
    """A fitted MultimodalDBM from (rbm, nv, nh) parts and the sizes of the Bernoulli layers above."""
    rng = np.random.default_rng(seed)
    rbms = [with_params(rbm, nv, nh, rng, scale) for rbm, nv, nh in parts]
    sizes = [sum(nh for _, _, nh in parts), *upper_sizes]
    model = MultimodalDBM(PartitionedRBM([type(r)() for r in rbms]), n_hiddens=upper_sizes)
    model.layers_ = [PartitionedRBM.from_rbms(rbms),
                     *[with_params(BernoulliRBM(), a, b, rng, scale) for a, b in zip(sizes, sizes[1:])]]
    model.n_features_in_ = sum(nv for _, nv, _ in parts)
    return model


def gaussian_model(seed=0, upper=(3, 2)):
    return build([(Binomial2BernoulliRBM(), 3, 2), (GaussianBernoulliRBM(), 2, 3), (GaussianBernoulliRBM2(), 2, 2)],
                 list(upper), seed)


def data_for(model, n, seed):
    """Rows with valid values for every block of the first layer."""
    rng = np.random.default_rng(seed)
    columns = []
    for part in model.layers_[0].parts_:
        nv = part.weights_.shape[0]
        if isinstance(part, Binomial2BernoulliRBM):
            columns.append(rng.integers(0, 3, (n, nv)).astype(float))
        elif isinstance(part, Softmax0BernoulliRBM):
            columns.append(condgen.data.one_or_none_encode(rng.integers(0, nv + 1, (n, 1)), nv + 1))
        elif isinstance(part, BernoulliRBM):
            columns.append(rng.integers(0, 2, (n, nv)).astype(float))
        else:
            columns.append(rng.normal(size=(n, nv)))
    return np.hstack(columns)


# ------------------------------------------------------------------------------------------------
# NumPy references: the Python implementation the kernels replaced (per-layer loops).

def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def reference_mean_field(model, X, tol, max_iter):
    """Mean-field of the whole batch (boltzmann.md §4.4), as the former Python loop."""
    layers = model.layers_
    L = len(layers)
    mu = [X]
    for k in range(1, L + 1):
        mu.append(sigmoid((2.0 if k < L else 1.0) * _hidden_input(layers[k - 1], mu[k - 1])))
    for _ in range(max_iter):
        delta = 0.0
        for k in range(1, L + 1):
            total = _hidden_input(layers[k - 1], mu[k - 1])
            if k < L:
                total = total + mu[k + 1] @ layers[k].weights_.T + layers[k].visible_bias_
            new = sigmoid(total)
            delta = max(delta, np.max(np.abs(new - mu[k])))
            mu[k] = new
        if delta <= tol:
            break
    return mu


def reference_gradient_step(rbm, vp, hp, vn, hn, lr, sd_lr):
    """One gradient-ascent step of one RBM of any unit type (boltzmann.md §2.4-§2.5) in place.

    Standard deviations move as sigma * exp(clip(sd_lr * g / sigma, -1, 1)) (condgen's positive
    variant of Julia's sigma + sd_lr * g, see condgen.rbm_types).
    """
    code = getattr(rbm, "_visible_code", 0)
    W, b, c = rbm.weights_, rbm.visible_bias_, rbm.hidden_bias_
    gW = vp.T @ hp / len(vp) - vn.T @ hn / len(vn)
    gb = vp.mean(axis=0) - vn.mean(axis=0)
    gc = hp.mean(axis=0) - hn.mean(axis=0)
    gaussian = code in (2, 3)
    if gaussian:
        sigma = rbm.visible_sd_
        cross = (W * gW).sum(axis=1)  # mean over rows of (h W^T)_i v_i, data minus model
        squares = ((vp - b) ** 2).mean(axis=0) - ((vn - b) ** 2).mean(axis=0)
        g_sigma = squares / sigma**3 - cross / sigma**2 if code == 2 else (squares - 2 * cross) / sigma**3
        gW = gW / (sigma if code == 2 else sigma**2)[:, None]
        gb = gb / sigma**2
    visible_lr = lr / 2 if code == 1 else lr  # Binomial2: two Bernoulli copies
    rbm.weights_ = W + visible_lr * gW
    rbm.visible_bias_ = b + visible_lr * gb
    rbm.hidden_bias_ = c + lr * gc
    if gaussian and sd_lr > 0:
        rbm.visible_sd_ = sigma * np.exp(np.clip(sd_lr * g_sigma / sigma, -1.0, 1.0))


def reference_update(model, batch, particles, lr, sd_lr, tol, max_iter):
    mu = reference_mean_field(model, batch, tol, max_iter)
    first = model.layers_[0]
    for part, vr, hr in zip(first.parts_, first.visible_ranges_, first.hidden_ranges_):
        reference_gradient_step(part, mu[0][:, vr], mu[1][:, hr], particles[0][:, vr], particles[1][:, hr], lr, sd_lr)
    for l, layer in enumerate(model.layers_[1:], start=1):
        reference_gradient_step(layer, mu[l], mu[l + 1], particles[l], particles[l + 1], lr, sd_lr)


def all_arrays(model):
    parts = [*model.layers_[0].parts_, *model.layers_[1:]]
    return [a for p in parts for a in (p.weights_, p.visible_bias_, p.hidden_bias_,
                                       *([p.visible_sd_] if hasattr(p, "visible_sd_") else []))]


# ------------------------------------------------------------------------------------------------
# Part 1: kernels against the references


def test_mean_field_kernel_matches_numpy_reference():
    model = gaussian_model(seed=1)
    X = data_for(model, 50, seed=2)  # one chunk of rows: the kernel iterates exactly as the reference
    expected = reference_mean_field(model, X, 1e-3, 100)
    model.set_params(mean_field_tol=1e-3, mean_field_max_iter=100)
    for got, want in zip(model.mean_field(X), expected):
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)


@pytest.mark.parametrize("sd_rate", [0.0, 0.05])
def test_fine_tune_epoch_kernel_matches_the_python_loop(sd_rate):
    # Without Gibbs sweeps the particles stay fixed, so one epoch of the kernel (two minibatches in a
    # given order) must make exactly the updates of the former per-layer Python loop.
    kernel, reference = gaussian_model(seed=3), gaussian_model(seed=3)
    X = data_for(kernel, 40, seed=4)
    particles = kernel.init_particles(30, seed=5)
    kept = [p.copy() for p in particles]
    order = np.random.default_rng(6).permutation(40)
    model, write_back = kernel._kernel_model()
    iterations = condgen._core.multimodal_fine_tune_epoch(*model, particles, X, order.tolist(), 20, 0.3, sd_rate, 0,
                                                          1e-3, 100, 7)
    write_back()
    assert 1 <= iterations <= 100
    for batch in (order[:20], order[20:]):
        reference_update(reference, X[batch], kept, 0.3, sd_rate, 1e-3, 100)
    for p, q in zip(particles, kept):
        np.testing.assert_array_equal(p, q)
    for got, want in zip(all_arrays(kernel), all_arrays(reference)):
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)
    sd = kernel.layers_[0].parts_[1].visible_sd_
    assert (sd_rate > 0) == (not np.array_equal(sd, gaussian_model(seed=3).layers_[0].parts_[1].visible_sd_))


def test_fine_tuning_keeps_float32_parts_float32():
    X = np.hstack([np.random.default_rng(8).integers(0, 3, (30, 3)), np.random.default_rng(9).normal(size=(30, 2))])
    first = PartitionedRBM([Binomial2BernoulliRBM(n_hidden=2, epochs=2, dtype=np.float32),
                            GaussianBernoulliRBM(n_hidden=2, epochs=2)], n_visibles=[3, None])
    model = MultimodalDBM(first, n_hiddens=[2], epochs=2, fine_tune_epochs=2, sd_fine_tune_learning_rate=0.01,
                          seed=1).fit(X)
    assert model.layers_[0].parts_[0].weights_.dtype == np.float32
    assert len(model.mean_field_iterations_) == 2


def joint_states(model):
    """Every joint binary state (v, h1, h2) of a model with Bernoulli and Softmax0 visible blocks and
    one Bernoulli layer above, with its unnormalised log-probability -E."""
    first, top = model.layers_
    choices = []
    for part in first.parts_:
        nv = part.weights_.shape[0]
        if isinstance(part, Softmax0BernoulliRBM):
            choices.append([tuple(np.eye(nv + 1)[k, 1:]) for k in range(nv + 1)])  # one or none
        else:
            choices.append(list(itertools.product([0.0, 1.0], repeat=nv)))
    visible = np.array([sum(combo, ()) for combo in itertools.product(*choices)])
    n1, n2 = top.weights_.shape
    hidden = np.array(list(itertools.product([0.0, 1.0], repeat=n1 + n2)))
    v = np.repeat(visible, len(hidden), axis=0)
    h1, h2 = np.tile(hidden[:, :n1], (len(visible), 1)), np.tile(hidden[:, n1:], (len(visible), 1))
    log_p = h1 @ top.visible_bias_ + h2 @ top.hidden_bias_ + np.einsum("ni,ij,nj->n", h1, top.weights_, h2)
    for part, vr, hr in zip(first.parts_, first.visible_ranges_, first.hidden_ranges_):
        log_p += (v[:, vr] @ part.visible_bias_ + h1[:, hr] @ part.hidden_bias_
                  + np.einsum("ni,ij,nj->n", v[:, vr], part.weights_, h1[:, hr]))
    return np.hstack([v, h1, h2]), log_p


def codes(states):
    return (states @ (2 ** np.arange(states.shape[1]))).astype(int)


def total_variation(samples, states, p):
    counts = np.bincount(codes(samples), minlength=2 ** states.shape[1])
    exact = np.zeros(2 ** states.shape[1])
    np.add.at(exact, codes(states), p)
    return 0.5 * np.abs(counts / len(samples) - exact).sum()


def tv_bound(p, n, delta=1e-6):
    """TV between n exact draws and p exceeds this with probability < delta: E[TV] <= 0.5 sum
    sqrt(p (1 - p) / n) (Jensen), and McDiarmid's bound for a 1/n-Lipschitz statistic."""
    return 0.5 * np.sqrt(p * (1 - p) / n).sum() + np.sqrt(np.log(1 / delta) / (2 * n))


def discrete_model(seed):
    return build([(BernoulliRBM(), 2, 2), (Softmax0BernoulliRBM(categories=3), 2, 1)], [2], seed, scale=1.0)


def test_gibbs_kernel_leaves_the_exact_joint_distribution_invariant():
    # Stationarity (RestrictedBoltzmannMachines.jl): chains started from exact draws of the joint
    # (v, h1, h2) must stay at the exact distribution after sweeps; a wrong kernel, e.g. the
    # synchronous sweep that decouples adjacent layers, drifts above the Monte-Carlo floor.
    model = discrete_model(seed=10)
    states, log_p = joint_states(model)
    p = np.exp(log_p - np.logaddexp.reduce(log_p))
    n = 60000
    draws = states[np.random.default_rng(11).choice(len(states), size=n, p=p)]
    sizes = np.cumsum(model.layer_sizes_)[:-1]
    particles = [np.ascontiguousarray(a) for a in np.split(draws, sizes, axis=1)]
    model.gibbs_sample(particles, steps=2, seed=12)
    assert total_variation(np.hstack(particles), states, p) < tv_bound(p, n)


def test_conditional_sampling_kernel_matches_the_exact_conditional():
    model = discrete_model(seed=13)
    states, log_p = joint_states(model)
    clamped = (states[:, 0] == 1) & (states[:, 1] == 0)
    # Exact conditional of the softmax0 group (columns 2, 3) given v0 = 1, v1 = 0.
    free = states[clamped][:, 2:4]
    weights = np.exp(log_p[clamped] - np.logaddexp.reduce(log_p[clamped]))
    categories = free @ np.array([1, 2])
    p = np.array([weights[categories == k].sum() for k in range(3)])
    n = 20000
    samples = model.sample_conditional(np.array([[1.0, 0.0]]), [0, 1], steps=30, n_per_row=n, seed=14)
    np.testing.assert_array_equal(samples[:, :2], np.tile([1.0, 0.0], (n, 1)))
    counts = np.bincount((samples[:, 2:4] @ np.array([1, 2])).astype(int), minlength=3)
    # Mixing of this tiny model is fast (every weight <~ 2): after 30 sweeps the bias is far below
    # the Monte-Carlo bound.
    assert 0.5 * np.abs(counts / n - p).sum() < tv_bound(p, n)


def test_kernels_give_the_same_bits_for_any_thread_count(restore_threads):
    # Large enough that the chunk loops run in parallel (work above the kernels' threshold).
    model = build([(Binomial2BernoulliRBM(), 20, 16), (GaussianBernoulliRBM(), 100, 16)], [10], seed=15, scale=0.1)
    X = data_for(model, 200, seed=16)
    results = []
    for threads in (1, 2):
        condgen.set_num_threads(threads)
        trial = build([(Binomial2BernoulliRBM(), 20, 16), (GaussianBernoulliRBM(), 100, 16)], [10], seed=15,
                      scale=0.1)
        particles = trial.init_particles(1000, seed=17)
        arrays, write_back = trial._kernel_model()
        condgen._core.multimodal_fine_tune_epoch(*arrays, particles, X, list(range(200)), 200, 0.01, 0.001, 5,
                                                 1e-3, 100, 18)
        write_back()
        trial.gibbs_sample(particles, steps=5, seed=19)
        results.append([*all_arrays(trial), *particles, trial.ais_log_weights(n_temperatures=10, n_particles=64,
                                                                              seed=20)])
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(results[0][0], all_arrays(model)[0])  # the epoch did update


def test_input_errors():
    model = discrete_model(seed=0)
    particles = model.init_particles(4, seed=1)
    with pytest.raises(ValueError, match="C-contiguous float64"):
        model.gibbs_sample([particles[0].astype(np.float32), *particles[1:]])
    with pytest.raises(ValueError, match=r"clamp indices must be in \[0, 4\)"):
        model.gibbs_sample(particles, clamp=[4])
    with pytest.raises(ValueError, match=r"X \(columns 0..1\) must be binary"):
        model.log_likelihood(np.full((2, 4), 0.5), log_partition=0.0)
    with pytest.raises(ValueError, match="X has 3 columns, expected 4"):
        model.log_likelihood(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="method must be one of"):
        model.log_partition(method="exactly")
    with pytest.raises(ValueError, match="Bernoulli hidden units"):
        MultimodalDBM(PartitionedRBM([condgen.BernoulliGaussianRBM(n_hidden=1)])).fit(np.zeros((4, 2)))


# ------------------------------------------------------------------------------------------------
# Part 2: per-layer pre-training settings of the Bernoulli layers (Julia's TrainLayer)


def test_pretrain_layers_reach_the_bernoulli_layers():
    X = np.hstack([np.random.default_rng(21).integers(0, 3, (40, 3)), np.random.default_rng(22).normal(size=(40, 2))])
    first = PartitionedRBM([Binomial2BernoulliRBM(n_hidden=2, epochs=1), GaussianBernoulliRBM(n_hidden=2, epochs=1)],
                           n_visibles=[3, None])
    layers = [TrainLayer(n_hidden=4, epochs=3, learning_rate=0.02, batch_size=5, pcd=False, cd_steps=2),
              {"n_hidden": 3, "centering": True}]
    model = MultimodalDBM(first, pretrain_layers=layers, epochs=2, learning_rate=0.01, batch_size=4,
                          fine_tune_epochs=1, seed=3).fit(X)
    assert model.layer_sizes_ == [5, 4, 4, 3]
    lower, upper = model.layers_[1:]
    assert (lower.epochs, lower.learning_rate, lower.batch_size, lower.pcd, lower.cd_steps, lower.n_epochs_) == \
        (3, 0.02, 5, False, 2, 3)
    assert not lower.centering
    # Unset fields take the model's settings.
    assert (upper.epochs, upper.learning_rate, upper.batch_size, upper.pcd, upper.cd_steps, upper.n_epochs_) == \
        (2, 0.01, 4, True, 1, 2)
    assert upper.centering and hasattr(upper, "hidden_offset_")
    # DBM pre-training factors: up 2 / down 2 in the middle, 1 / 2 at the top.
    assert (lower.up_factor, lower.down_factor, upper.up_factor, upper.down_factor) == (2.0, 2.0, 1.0, 2.0)
    assert layers[1] == {"n_hidden": 3, "centering": True}  # the caller's settings are not modified


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"pretrain_layers": []}, "pretrain_layers must not be empty"),
    ({"pretrain_layers": [TrainLayer(n_hidden=2)], "n_hiddens": [3]}, r"n_hiddens \[3\] disagrees"),
    ({"pretrain_layers": [{"n_hidden": 2, "momentum": 0.5}]}, r"pretrain_layers\[0\]: .*momentum"),
    ({"pretrain_layers": [TrainLayer(n_hidden=0)]}, r"pretrain_layers\[0\]\.n_hidden must be"),
    ({"pretrain_layers": ["wide"]}, r"pretrain_layers\[0\] must be a TrainLayer or a dict"),
    ({"pretrain_layers": TrainLayer(n_hidden=2)}, "must be a sequence of TrainLayer"),
    ({"pretrain_layers": [TrainLayer(n_hidden=2, batch_size=50)]}, r"Bernoulli layer 1 .*batch_size"),
    ({"n_hiddens": 3}, "n_hiddens must be a sequence of ints"),
])
def test_pretrain_layers_are_validated(kwargs, message):
    with pytest.raises(ValueError, match=message):
        MultimodalDBM(BernoulliRBM(n_hidden=2, epochs=1), fine_tune_epochs=0, **kwargs).fit(np.zeros((6, 3)))


# ------------------------------------------------------------------------------------------------
# Part 3: AIS and likelihood against exact enumeration


def log_unnormalised(model, X):
    """log p*(v) = log sum_h exp(-E(v, h)) of every row by brute force over all hidden states."""
    first, *upper = model.layers_
    sizes = model.layer_sizes_[1:]
    hidden = np.array(list(itertools.product([0.0, 1.0], repeat=sum(sizes))))
    layers = np.split(hidden, np.cumsum(sizes)[:-1], axis=1)
    result = []
    for v in X:
        log_p = np.zeros(len(hidden))
        for part, vr, hr in zip(first.parts_, first.visible_ranges_, first.hidden_ranges_):
            x, b, code = v[vr], part.visible_bias_, getattr(part, "_visible_code", 0)
            if code in (2, 3):
                sigma = part.visible_sd_
                log_p -= np.sum((x - b) ** 2 / (2 * sigma**2))
                x = x / (sigma if code == 2 else sigma**2)
            else:
                log_p += x @ b + (LOG2 * np.sum(x == 1) if code == 1 else 0.0)
            log_p += layers[0][:, hr] @ (x @ part.weights_ + part.hidden_bias_)
        for rbm, lower, higher in zip(upper, layers, layers[1:]):
            log_p += (np.einsum("ni,ij,nj->n", lower, rbm.weights_, higher) + lower @ rbm.visible_bias_
                      + higher @ rbm.hidden_bias_)
        result.append(np.logaddexp.reduce(log_p))
    return np.array(result)


def softmax_model(seed):
    return build([(BernoulliRBM(), 3, 2), (Softmax0BernoulliRBM(categories=[3, 2]), 3, 2)], [3, 2], seed)


@pytest.mark.parametrize(("make", "seed"), [(gaussian_model, 30), (softmax_model, 31), (discrete_model, 34)])
def test_ais_log_partition_and_likelihood_match_exact(make, seed):
    model = make(seed=seed)
    exact = model.exact_log_partition()
    estimate = model.log_partition(n_temperatures=300, n_particles=300, seed=seed)
    # AIS error: 3 sds (two-sided 0.3%) for the Monte-Carlo error, 0.01 for the downward bias of
    # log-mean-exp (about sd^2 / 2 for the small sds asserted here).
    assert 0 < estimate.sd < 0.05
    assert abs(estimate.value - exact) <= 3 * estimate.sd + 0.01
    X = data_for(model, 6, seed=seed + 1)
    expected = log_unnormalised(model, X).mean() - exact
    # Per-row AIS with the exact log Z: only the per-row estimates' error, same bounds.
    with_exact = model.log_likelihood(X, log_partition=model.log_partition("exact"), n_temperatures=100,
                                      n_particles=100, seed=seed + 2)
    assert 0 < with_exact.sd < 0.05
    assert abs(with_exact.value - expected) <= 3 * with_exact.sd + 0.01
    both = model.log_likelihood(X, n_temperatures=300, n_particles=300, seed=seed + 3)
    assert both.sd > with_exact.sd
    assert abs(both.value - expected) <= 3 * both.sd + 0.02


def test_zero_weight_log_partition_is_exact_and_ais_weights_vanish():
    model = gaussian_model(seed=32)
    for layer in [*model.layers_[0].parts_, *model.layers_[1:]]:
        layer.weights_ = np.zeros_like(layer.weights_)
    assert model.log_partition_zero_weights() == pytest.approx(model.exact_log_partition(), abs=1e-10)
    np.testing.assert_array_equal(model.ais_log_weights(n_temperatures=5, n_particles=10, seed=1), 0.0)


@pytest.mark.parametrize("cls", [GaussianBernoulliRBM, GaussianBernoulliRBM2])
def test_exact_log_partition_integrates_gaussian_visible_units(cls):
    # v (1 Gaussian unit) - h1 (1) - h2 (1): integrate v numerically on a grid for each of the 4
    # hidden states. The integrand is a Gaussian bump (sd <= 1.4, mean within 6 of 0), so the
    # trapezoid rule on [-40, 40] with step 1e-3 is exact to far below 1e-9.
    model = build([(cls(), 1, 1)], [1], seed=33, scale=1.5)
    part, top = model.layers_[0].parts_[0], model.layers_[1]
    b, sigma, w, c = part.visible_bias_[0], part.visible_sd_[0], part.weights_[0, 0], part.hidden_bias_[0]
    scale = sigma if cls is GaussianBernoulliRBM else sigma**2
    v = np.linspace(-40, 40, 80001)
    total = 0.0
    for h1, h2 in itertools.product([0.0, 1.0], repeat=2):
        upper = top.weights_[0, 0] * h1 * h2 + top.visible_bias_[0] * h1 + top.hidden_bias_[0] * h2
        integrand = np.exp(-(v - b) ** 2 / (2 * sigma**2) + v / scale * w * h1 + c * h1 + upper)
        total += np.trapezoid(integrand, v)
    assert model.exact_log_partition() == pytest.approx(np.log(total), abs=1e-9)
