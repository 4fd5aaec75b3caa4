import math

import numpy as np
import pytest

import condgen
from condgen import _core
from condgen._random import seed_to_uint64

N = 10**6


def test_uniform_moments():
    u = _core.random_uniform(seed_to_uint64(3), N)
    assert u.min() >= 0.0
    assert u.max() < 1.0
    # mean 1/2 with variance 1/12; the sample variance has sd sqrt((1/80 - 1/144) / N)
    assert abs(u.mean() - 0.5) < 5 * np.sqrt(1 / 12 / N)
    assert abs(u.var() - 1 / 12) < 5 * np.sqrt((1 / 80 - 1 / 144) / N)


def test_normal_moments():
    z = _core.random_normal(seed_to_uint64(4), N)
    # mean 0 with sd 1/sqrt(N); the sample variance has sd sqrt(2 / N)
    assert abs(z.mean()) < 5 / np.sqrt(N)
    assert abs(z.var() - 1.0) < 5 * np.sqrt(2.0 / N)
    # tails: P(|z| > 2) = 0.0455
    p = 0.04550026389635842
    assert abs(np.mean(np.abs(z) > 2) - p) < 5 * np.sqrt(p * (1 - p) / N)
    # beyond 3.6541528853610088, the ziggurat's tail algorithm: P = 2.5822e-4 (2 Phi(-r))
    p = math.erfc(3.6541528853610088 / math.sqrt(2))
    assert abs(np.mean(np.abs(z) > 3.6541528853610088) - p) < 5 * np.sqrt(p * (1 - p) / N)


def test_normal_distribution_function():
    # Phi(z) of standard normals is uniform: chi-square over 200 equiprobable bins (199 degrees of
    # freedom: mean 199, sd sqrt(2 * 199) = 20) catches a wrong layer or wedge of the ziggurat.
    z = _core.random_normal(seed_to_uint64(5), N)
    u = 0.5 * np.vectorize(math.erfc)(-z / math.sqrt(2))
    counts = np.bincount(np.minimum((u * 200).astype(int), 199), minlength=200)
    chi2 = np.sum((counts - N / 200) ** 2 / (N / 200))
    assert chi2 < 199 + 5 * math.sqrt(2 * 199)


def test_independent_of_thread_count(restore_threads):
    seed = seed_to_uint64(7)
    condgen.set_num_threads(1)
    one = _core.random_normal(seed, 100_003), _core.random_uniform(seed, 100_003)
    condgen.set_num_threads(2)
    two = _core.random_normal(seed, 100_003), _core.random_uniform(seed, 100_003)
    np.testing.assert_array_equal(one[0], two[0])
    np.testing.assert_array_equal(one[1], two[1])


def test_seeds_differ_and_repeat():
    a = _core.random_uniform(seed_to_uint64(1), 1000)
    b = _core.random_uniform(seed_to_uint64(2), 1000)
    assert not np.array_equal(a, b)
    np.testing.assert_array_equal(a, _core.random_uniform(seed_to_uint64(1), 1000))


def test_chunks_are_uncorrelated():
    # neighbouring chunks come from streams (seed, stream, c) and (seed, stream, c + 1)
    u = _core.random_uniform(seed_to_uint64(11), 4096 * 200).reshape(200, 4096)
    r = np.corrcoef(u[:-1].ravel(), u[1:].ravel())[0, 1]
    assert abs(r) < 5 / np.sqrt(u[1:].size)


def test_seed_argument_forms():
    rng = np.random.default_rng(0)
    assert seed_to_uint64(rng) != seed_to_uint64(rng)  # a generator advances
    assert seed_to_uint64(5) == seed_to_uint64(np.int64(5))
    with pytest.raises(ValueError, match="seed"):
        seed_to_uint64(-1)
    with pytest.raises(TypeError, match="seed"):
        seed_to_uint64("1")


def test_set_num_threads_validates(restore_threads):
    with pytest.raises(ValueError, match="at least 1"):
        condgen.set_num_threads(0)
    condgen.set_num_threads(1)
    assert condgen.get_num_threads() == 1
