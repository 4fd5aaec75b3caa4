"""Bitwise results independent of where the caller's arrays lie in memory.

Eigen's vectorised loops peel an unaligned head and tail with scalar code, and the scalar and
packet versions of exp / logistic can differ in the last bit, so a kernel writing into (or
reducing over) a caller's array could give results that depend on the array's address modulo 64
bytes. Every entry point below is called with its inputs, in-place particles and model
parameters moved to each 8-byte (float64) or 4-byte (float32) offset within 64 bytes, and the
results must agree bit for bit.
"""
import copy

import numpy as np
import pytest

import condgen
from condgen import likelihood

SEED = 7


def shifted(a, k):
    """Copy of ``a`` (C-contiguous) whose data pointer lies ``k`` items after a 64-byte boundary."""
    a = np.asarray(a)
    buf = np.empty(a.size + 64, dtype=a.dtype)
    start = (-buf.ctypes.data % 64) // a.itemsize + k
    view = buf[start:start + a.size].reshape(a.shape)
    view[...] = a
    assert view.ctypes.data % 64 == k * a.itemsize and view.flags.c_contiguous
    return view


def offsets(dtype):
    return range(64 // np.dtype(dtype).itemsize)


def assert_all_same(results):
    """Every result (array, float or nested tuple/list of them) equals the first bit for bit."""
    first = results[0]
    for k, other in enumerate(results[1:], start=1):
        _assert_same(first, other, f"offset {k}")


def _assert_same(a, b, where):
    if isinstance(a, dict):
        assert a.keys() == b.keys()
        a, b = list(a.values()), list(b.values())
    if isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _assert_same(x, y, where)
    else:
        a, b = np.asarray(a), np.asarray(b)
        assert a.dtype != object and a.dtype == b.dtype and a.shape == b.shape, where
        assert a.tobytes() == b.tobytes(), f"results differ at {where}"


def shift_rbm(model, k):
    """Copy of a fitted RBM (any unit type) with its parameter arrays at offset ``k``."""
    model = copy.deepcopy(model)
    for name in ("weights_", "visible_bias_", "hidden_bias_", "visible_sd_"):
        if hasattr(model, name):
            setattr(model, name, shifted(getattr(model, name), k))
    return model


def shift_dbm(dbm, k):
    dbm = copy.deepcopy(dbm)
    dbm.layers_ = [shift_rbm(layer, k) for layer in dbm.layers_]
    return dbm


def patch_init_particles(model, k):
    """Make ``model.init_particles`` return its particles at offset ``k`` (for sample())."""
    original = model.init_particles

    def init_particles(*args, **kwargs):
        return type(original(*args, **kwargs))(shifted(p, k) for p in original(*args, **kwargs))

    model.init_particles = init_particles
    return model


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(SEED)
    # 67 rows, 13 columns: odd sizes, so rows start at every alignment as well.
    return (rng.random((67, 13)) < 0.4).astype(np.float64)


@pytest.fixture(scope="module", params=[np.float64, np.float32], ids=["f64", "f32"])
def rbm(request, data):
    return condgen.BernoulliRBM(n_hidden=7, epochs=2, batch_size=5, learning_rate=0.05,
                                dtype=request.param, seed=SEED).fit(data)


@pytest.mark.parametrize("fit_kwargs", [
    dict(pcd=True, batch_size=1),
    dict(pcd=False, batch_size=5, cd_steps=2),
    dict(pcd="tieleman", batch_size=5, n_chains=9),
    dict(pcd=True, batch_size=5, up_factor=2.0, down_factor=0.5),
    dict(pcd="tieleman", batch_size=5, centering=True),
], ids=["pcd", "cd2", "tieleman", "factors", "centering"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
def test_rbm_fit(data, fit_kwargs, dtype):
    results = []
    for k in offsets(dtype):
        model = condgen.BernoulliRBM(n_hidden=7, epochs=2, learning_rate=0.05, dtype=dtype, seed=SEED,
                                     **fit_kwargs).fit(shifted(data.astype(dtype), k))
        results.append((model.weights_, model.visible_bias_, model.hidden_bias_))
    assert_all_same(results)


def test_rbm_fit_init(rbm, data):
    dtype = rbm.weights_.dtype
    results = []
    for k in offsets(dtype):
        model = condgen.BernoulliRBM(epochs=1, learning_rate=0.05, dtype=dtype, seed=SEED)
        model.fit(shifted(data.astype(dtype), k), init=shift_rbm(rbm, k))
        results.append((model.weights_, model.visible_bias_, model.hidden_bias_))
    assert_all_same(results)


def test_rbm_conditionals(rbm, data):
    dtype = rbm.weights_.dtype
    V = data.astype(dtype)
    H = rbm.sample_hidden(V, seed=SEED)
    results = []
    for k in offsets(dtype):
        m = shift_rbm(rbm, k)
        Vk, Hk = shifted(V, k), shifted(H, k)
        results.append((m.hidden_probs(Vk), m.hidden_probs(Vk, factor=2.0), m.visible_probs(Hk),
                        m.visible_probs(Hk, factor=0.5), m.sample_hidden(Vk, seed=SEED),
                        m.sample_visible(Hk, seed=SEED), m.free_energy(Vk)))
    assert_all_same(results)


def test_rbm_gibbs_and_sample(rbm):
    dtype = rbm.weights_.dtype
    V, H = rbm.init_particles(70, seed=SEED)
    results = []
    for k in offsets(dtype):
        m = shift_rbm(rbm, k)
        particles = (shifted(V, k), shifted(H, k))
        m.gibbs(particles, steps=3, seed=SEED)
        sample = patch_init_particles(m, k).sample(70, burn_in=3, seed=SEED)
        results.append((particles, sample))
    assert_all_same(results)


@pytest.mark.parametrize("variant", ["fixed", "boltzmannmachines.jl"])
def test_rbm_ais(rbm, data, variant):
    dtype = rbm.weights_.dtype
    results = []
    for k in offsets(dtype):
        m = shift_rbm(rbm, k)
        kw = dict(n_temperatures=10, n_particles=20, seed=SEED)
        results.append((likelihood.ais_log_weights(m, **kw),
                        likelihood.log_likelihood(m, shifted(data.astype(dtype), k), **kw)))
    assert_all_same(results)


def test_rbm_ais_ratio(rbm, data):
    dtype = rbm.weights_.dtype
    other = condgen.BernoulliRBM(n_hidden=5, epochs=1, learning_rate=0.05, dtype=dtype, seed=SEED + 1).fit(data)
    results = []
    for k in offsets(dtype):
        m1, m2 = shift_rbm(rbm, k), shift_rbm(other, k)
        kw = dict(n_temperatures=10, n_particles=20, seed=SEED)
        results.append((likelihood.log_partition_ratio(m1, m2, **kw),
                        likelihood.log_likelihood_difference(m1, m2, shifted(data.astype(dtype), k), **kw)))
    assert_all_same(results)


DBM_CONFIG = dict(n_hiddens=[6, 4], epochs=2, pretrain_epochs=2, learning_rate=0.05, pretrain_learning_rate=0.05,
                  batch_size=10, n_particles=12, gibbs_steps=2, seed=SEED)


@pytest.fixture(scope="module", params=[np.float64, np.float32], ids=["f64", "f32"])
def dbm(request, data):
    return condgen.DBM(dtype=request.param, **DBM_CONFIG).fit(data)


@pytest.mark.parametrize("centering", [None, True], ids=["plain", "centering"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
def test_dbm_fit(data, dtype, centering):
    results = []
    for k in offsets(dtype):
        model = condgen.DBM(dtype=dtype, pretrain_centering=centering, **DBM_CONFIG).fit(shifted(data.astype(dtype), k))
        results.append([(layer.weights_, layer.visible_bias_, layer.hidden_bias_) for layer in model.layers_])
    assert_all_same(results)


def test_dbm_sampling(dbm, data):
    dtype = dbm.layers_[0].weights_.dtype
    start = dbm.init_particles(70, seed=SEED)
    values = data[:9, [0, 3]].astype(dtype)
    results = []
    for k in offsets(dtype):
        m = shift_dbm(dbm, k)
        particles = [shifted(p, k) for p in start]
        clamped = [shifted(p, k) for p in start]
        m.gibbs_sample(particles, steps=3, seed=SEED)
        m.gibbs_sample(clamped, steps=3, clamp=[0, 3], seed=SEED)
        patch_init_particles(m, k)
        results.append((particles, clamped, m.sample(30, burn_in=3, seed=SEED),
                        m.sample_conditional(shifted(values, k), [0, 3], steps=3, n_per_row=2, seed=SEED),
                        m.mean_field(shifted(data.astype(dtype), k))))
    assert_all_same(results)


def test_dbm_likelihood(dbm, data):
    dtype = dbm.layers_[0].weights_.dtype
    kw = dict(n_temperatures=10, n_particles=12, seed=SEED)
    results = []
    for k in offsets(dtype):
        m = shift_dbm(dbm, k)
        X = shifted(data[:10].astype(dtype), k)
        results.append((likelihood.ais_log_weights(m, **kw),
                        likelihood.ais_log_weights(m, variant="boltzmannmachines.jl", **kw),
                        likelihood.log_likelihood(m, X, **kw),
                        likelihood.log_prob_lower_bound(m, X, **kw)))
    assert_all_same(results)


@pytest.mark.parametrize("hidden", [
    dict(),
    dict(generator_hidden=[(11, "sigmoid"), (6, "tanh")], discriminator_hidden=[(9, "tanh"), (5, "sigmoid")]),
], ids=["default", "sigmoid-tanh"])
def test_cgan_fit_and_generate(data, hidden):
    X, y = data[:, 4:].astype(np.float32), data[:, :4].astype(np.float32)
    results = []
    for k in offsets(np.float32):
        model = condgen.CGAN(epochs=3, batch_size=6, seed=SEED, **hidden)
        model.fit(shifted(X, k), shifted(y, k))
        yk = shifted(y[:20], k)
        results.append((model.get_weights(), model.generate(yk, seed=SEED),
                        model.generate(yk, kind="probabilities", seed=SEED, average=False)))
    assert_all_same(results)


def _typed_models():
    return [condgen.Binomial2BernoulliRBM, condgen.GaussianBernoulliRBM, condgen.GaussianBernoulliRBM2,
            condgen.BernoulliGaussianRBM, condgen.Softmax0BernoulliRBM]


def _typed_data(cls, data):
    if cls is condgen.Binomial2BernoulliRBM:
        return data[:, :12] + data[:, 1:]
    if cls in (condgen.GaussianBernoulliRBM, condgen.GaussianBernoulliRBM2):
        return data + 0.3 * np.random.default_rng(SEED).standard_normal(data.shape)
    if cls is condgen.Softmax0BernoulliRBM:  # categories=3: pairs of columns, at most one 1 each
        X = data[:, :12].copy()
        X[:, 1::2] *= 1 - X[:, 0::2]
        return X
    return data


@pytest.mark.parametrize("cls", _typed_models(), ids=lambda c: c.__name__)
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
def test_unit_types(cls, dtype, data):
    X = _typed_data(cls, data).astype(dtype)
    kwargs = dict(categories=3) if cls is condgen.Softmax0BernoulliRBM else {}
    if cls in (condgen.GaussianBernoulliRBM, condgen.GaussianBernoulliRBM2):
        kwargs["sd_learning_rate"] = 0.01
    base = cls(n_hidden=5, epochs=1, batch_size=5, learning_rate=0.02, dtype=dtype, seed=SEED, **kwargs).fit(X)
    start = base.init_particles(70, seed=SEED)
    results = []
    for k in offsets(dtype):
        model = cls(n_hidden=5, epochs=2, batch_size=5, learning_rate=0.02, pcd="tieleman", n_chains=7, dtype=dtype,
                    seed=SEED, **kwargs)
        model.fit(shifted(X, k), init=shift_rbm(base, k))
        m = shift_rbm(base, k)
        particles = tuple(shifted(p, k) for p in start)
        m.gibbs(particles, steps=3, seed=SEED)
        Xk = shifted(X, k)
        H = m.sample_hidden(Xk, seed=SEED)
        results.append(([getattr(model, a) for a in ("weights_", "visible_bias_", "hidden_bias_")], particles,
                        m.hidden_probs(Xk), m.visible_probs(shifted(H, k)), H,
                        m.sample_visible(shifted(H, k), seed=SEED), m.free_energy(Xk),
                        patch_init_particles(m, k).sample(20, burn_in=2, seed=SEED)))
    assert_all_same(results)
