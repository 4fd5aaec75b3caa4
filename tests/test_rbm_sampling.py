"""BernoulliRBM sampling: conditional draws and Gibbs chains against exact distributions."""

import itertools

import numpy as np
import pytest

from condgen import BernoulliRBM


def tiny_rbm(nv=4, nh=3, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    rbm = BernoulliRBM(dtype=dtype)
    rbm.weights_ = rng.standard_normal((nv, nh)).astype(dtype)
    rbm.visible_bias_ = (0.5 * rng.standard_normal(nv)).astype(dtype)
    rbm.hidden_bias_ = (0.5 * rng.standard_normal(nh)).astype(dtype)
    return rbm


def exact_visible_distribution(rbm):
    states = np.array(list(itertools.product([0.0, 1.0], repeat=rbm.weights_.shape[0])))
    log_p = -rbm.free_energy(states).astype(np.float64) - rbm.exact_log_partition()
    return states, np.exp(log_p)


def total_variation(samples, states, p):
    # itertools.product order: the first unit is the most significant bit of the state index.
    powers = 2 ** np.arange(states.shape[1])[::-1]
    counts = np.bincount((samples @ powers).astype(int), minlength=len(states))
    return 0.5 * np.abs(counts / len(samples) - p).sum()


def tv_bound(p, n, delta=1e-6):
    """Upper bound on the total variation between n exact draws and p, failing with prob. < delta.

    E[TV] <= 0.5 * sum_k sqrt(p_k (1 - p_k) / n) (Jensen on each |p_hat_k - p_k|), and one draw
    changes TV by at most 1/n, so McDiarmid gives P(TV > E[TV] + t) <= exp(-2 n t^2).
    """
    return 0.5 * np.sqrt(p * (1 - p) / n).sum() + np.sqrt(np.log(1 / delta) / (2 * n))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sampled_units_match_their_probabilities(dtype):
    # 5 standard errors per unit: a false alarm among these 2 x 8 units has probability < 1e-5.
    rbm = tiny_rbm(8, 8, seed=1, dtype=dtype)
    n = 20000
    rows = np.repeat((np.random.default_rng(2).random((2, 8)) < 0.5).astype(float), n // 2, axis=0)
    for sample, probs in ((rbm.sample_hidden(rows, seed=3), rbm.hidden_probs(rows)),
                          (rbm.sample_visible(rows, seed=4), rbm.visible_probs(rows))):
        assert set(np.unique(sample)) <= {0.0, 1.0}
        assert sample.dtype == dtype
        for half in (slice(0, n // 2), slice(n // 2, n)):
            p = probs[half][0].astype(np.float64)
            se = np.sqrt(p * (1 - p) / (n // 2))
            assert np.all(np.abs(sample[half].mean(axis=0) - p) <= 5 * se + 1e-12)


def test_gibbs_samples_follow_the_exact_distribution():
    rbm = tiny_rbm(seed=5)
    states, p = exact_visible_distribution(rbm)
    n = 100000
    samples = rbm.sample(n, burn_in=20, seed=6)
    # From random states the distance shrinks about 5-fold per step for this model (measured:
    # 0.44, 0.08, 0.017, then the floor of 0.004 at 3 steps), so after 20 steps the bias is far
    # below the Monte-Carlo bound.
    assert total_variation(samples, states, p) < tv_bound(p, n)


def test_gibbs_leaves_the_exact_distribution_invariant():
    # RestrictedBoltzmannMachines.jl's stationarity check: start from exact draws of (v, h), run
    # a few sweeps; any drift above the Monte-Carlo floor means a wrong transition kernel.
    rbm = tiny_rbm(seed=7)
    states, p = exact_visible_distribution(rbm)
    n = 100000
    rng = np.random.default_rng(8)
    V = np.ascontiguousarray(states[rng.choice(len(states), size=n, p=p)])
    H = rbm.sample_hidden(V, seed=9)
    rbm.gibbs((V, H), steps=3, seed=10)
    assert total_variation(V, states, p) < tv_bound(p, n)


def test_gibbs_runs_in_place_and_is_reproducible():
    rbm = tiny_rbm(6, 5, seed=11)
    first = rbm.init_particles(300, seed=12)
    second = tuple(a.copy() for a in first)
    assert rbm.gibbs(first, steps=4, seed=13) is first
    rbm.gibbs(second, steps=4, seed=13)
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])
    third = rbm.init_particles(300, seed=12)
    rbm.gibbs(third, steps=4, seed=14)
    assert not np.array_equal(first[0], third[0])


def test_init_particles_biased_and_unbiased():
    rbm = tiny_rbm(3, 2, seed=15)
    rbm.visible_bias_ = np.array([-3.0, 0.0, 3.0])
    n = 20000
    V, H = rbm.init_particles(n, seed=16)
    assert V.shape == (n, 3) and H.shape == (n, 2)
    se_half = np.sqrt(0.25 / n)
    assert np.all(np.abs(V.mean(axis=0) - 0.5) < 5 * se_half)
    Vb, _ = rbm.init_particles(n, biased=True, seed=16)
    p = 1 / (1 + np.exp(-rbm.visible_bias_))
    assert np.all(np.abs(Vb.mean(axis=0) - p) < 5 * np.sqrt(p * (1 - p) / n))


def test_gibbs_rejects_particles_it_cannot_update_in_place():
    rbm = tiny_rbm(3, 2, seed=17)
    V, H = rbm.init_particles(10, seed=18)
    with pytest.raises(ValueError, match="C-contiguous"):
        rbm.gibbs((V.astype(np.float32), H))
    with pytest.raises(ValueError, match="C-contiguous"):
        rbm.gibbs((np.asfortranarray(np.hstack([V, V]))[:, :3], H))
    with pytest.raises(ValueError, match="columns"):
        rbm.gibbs((V, V))
    with pytest.raises(ValueError, match="different numbers of rows"):
        rbm.gibbs((V, H[:5]))
    with pytest.raises(ValueError, match="pair"):
        rbm.gibbs(V)
