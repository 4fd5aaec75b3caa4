"""Encoders, splitting and synthetic data sets (condgen.data, boltzmann.md §8)."""

import numpy as np
import pytest
from condgen import data


def test_intensities_quantiles_clipping_and_round_trip():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3)) * [1.0, 5.0, 0.1] + [0.0, 10.0, -3.0]
    X_before = X.copy()
    Xt, transforms = data.intensities_encode(X, 0.05)
    np.testing.assert_array_equal(X, X_before)
    np.testing.assert_allclose(transforms[:, 0], np.quantile(X, 0.05, axis=0))
    np.testing.assert_allclose(transforms[:, 1], np.quantile(X, 0.95, axis=0))
    assert Xt.min() == 0.0
    assert Xt.max() == 1.0
    # Values inside the quantile range come back exactly, clipped ones as the bounds.
    back = data.intensities_decode(Xt, transforms)
    np.testing.assert_allclose(back, np.clip(X, transforms[:, 0], transforms[:, 1]), atol=1e-12)
    np.testing.assert_array_equal(data.intensities(X, 0.05), Xt)
    # Default quantiles 0 and 1: min -> 0, max -> 1, no clipping, exact round trip.
    Xt, transforms = data.intensities_encode(X)
    np.testing.assert_allclose(Xt.min(axis=0), 0.0)
    np.testing.assert_allclose(Xt.max(axis=0), 1.0)
    np.testing.assert_allclose(data.intensities_decode(Xt, transforms), X, atol=1e-12)


def test_intensities_constant_column_gives_zeros_not_nan():
    X = np.column_stack([np.full(5, 3.0), np.arange(5.0)])
    Xt, transforms = data.intensities_encode(X)
    np.testing.assert_array_equal(Xt[:, 0], 0.0)
    np.testing.assert_allclose(Xt[:, 1], np.arange(5) / 4)
    np.testing.assert_allclose(data.intensities_decode(Xt, transforms), X)


def test_intensities_errors():
    with pytest.raises(ValueError, match="q1 must be smaller than q2"):
        data.intensities_encode(np.ones((3, 2)), 0.6)
    with pytest.raises(ValueError, match="q2 must be at most 1"):
        data.intensities_encode(np.ones((3, 2)), 0.1, 1.5)
    with pytest.raises(ValueError, match="transforms must have shape"):
        data.intensities_decode(np.ones((3, 2)), np.ones(2))
    with pytest.raises(ValueError, match="Xt has 3 columns, expected 2"):
        data.intensities_decode(np.ones((3, 3)), np.ones((2, 2)))


def test_one_or_none_coding_and_round_trip():
    X = np.array([[0, 2, 1], [1, 0, 3], [2, 1, 0]])
    coded = data.one_or_none_encode(X, [3, 3, 4])
    expected = np.array([
        [0, 0, 0, 1, 1, 0, 0],
        [1, 0, 0, 0, 0, 0, 1],
        [0, 1, 1, 0, 0, 0, 0],
    ], dtype=float)
    np.testing.assert_array_equal(coded, expected)
    np.testing.assert_array_equal(data.one_or_none_decode(coded, [3, 3, 4]), X)
    # One K for all variables.
    Y = np.random.default_rng(1).integers(0, 4, size=(50, 5))
    np.testing.assert_array_equal(data.one_or_none_decode(data.one_or_none_encode(Y, 4), 4), Y)
    # K = 2 is the identity on binary data.
    B = (np.random.default_rng(2).random((10, 4)) < 0.5).astype(float)
    np.testing.assert_array_equal(data.one_or_none_encode(B, 2), B)


def test_one_or_none_errors():
    with pytest.raises(ValueError, match=r"integer codes in \[0, 3\) in column 1, found 3"):
        data.one_or_none_encode([[0, 3]], 3)
    with pytest.raises(ValueError, match="integer codes"):
        data.one_or_none_encode([[0.5, 1]], 3)
    with pytest.raises(ValueError, match="has 3 entries but there are 2 variables"):
        data.one_or_none_encode([[0, 1]], [2, 2, 2])
    with pytest.raises(ValueError, match="categories must be at least 2"):
        data.one_or_none_encode([[0, 1]], 1)
    with pytest.raises(ValueError, match="not a multiple of categories - 1 = 2"):
        data.one_or_none_decode(np.zeros((2, 3)), 3)
    with pytest.raises(ValueError, match="the categories need 3"):
        data.one_or_none_decode(np.zeros((2, 4)), [2, 3])


def test_split_data_sizes_order_and_seed():
    X = np.arange(20.0).reshape(10, 2)
    train, test = data.split_data(X, 0.3, seed=5)
    assert train.shape == (7, 2)
    assert test.shape == (3, 2)
    # Every row exactly once; training rows keep their original order.
    np.testing.assert_array_equal(np.sort(np.vstack([train, test])[:, 0]), X[:, 0])
    assert np.all(np.diff(train[:, 0]) > 0)
    order = np.random.default_rng(5).permutation(10)
    np.testing.assert_array_equal(test, X[order[:3]])
    # round(n * ratio) rounds halves to even: 5 * 0.5 = 2.5 -> 2 test rows.
    assert data.split_data(np.arange(5), 0.5, seed=0)[1].shape == (2,)
    with pytest.raises(ValueError, match="test_ratio must be at most 1"):
        data.split_data(X, 1.5)


def test_bars_and_stripes_patterns():
    X = data.bars_and_stripes(400, 16, seed=3)
    assert X.shape == (400, 16)
    images = X.reshape(400, 4, 4)  # images[n, j, r]: flat index j * 4 + r
    # Every image is constant along one axis (bars or stripes; all-0/all-1 images are both).
    along_r = np.all(images == images[:, :, :1], axis=(1, 2))
    along_j = np.all(images == images[:, :1, :], axis=(1, 2))
    assert np.all(along_r | along_j)
    # Each pixel is a fair bit: the mean over 400 * 16 entries is within 4 standard errors of 1/2
    # (sd of a mean of 4 fair bits per image <= 0.5, 400 independent images -> se <= 0.025).
    assert abs(X.mean() - 0.5) < 4 * 0.025
    np.testing.assert_array_equal(X, data.bars_and_stripes(400, 16, seed=3))
    with pytest.raises(ValueError, match="perfect square"):
        data.bars_and_stripes(10, 15)


def test_blocks_in_noise_labels_and_blocks():
    X, labels = data.blocks_in_noise(100, 30, noise=0.0, block_length=4, n_blocks=3, seed=1)
    m = 100 // 6
    assert X.shape == (100, 30)
    np.testing.assert_array_equal(np.bincount(labels), [100 - 3 * m, m, m, m])
    for b in range(1, 4):
        expected = np.zeros(30)
        expected[(b - 1) * 4:b * 4] = 1
        np.testing.assert_array_equal(X[labels == b], np.tile(expected, (m, 1)))
    assert np.all(X[labels == 0] == 0)
    X, _ = data.blocks_in_noise(2000, 50, noise=0.2, seed=2)
    # Columns beyond the blocks are pure noise: mean of 2000 * 25 Bernoulli(0.2), se = 0.0018.
    assert abs(X[:, 25:].mean() - 0.2) < 4 * np.sqrt(0.2 * 0.8 / 50000)
    with pytest.raises(ValueError, match="exceeds n_variables"):
        data.blocks_in_noise(10, 20, block_length=5, n_blocks=5)


def test_curve_bundles_structure():
    X = data.curve_bundles(n_bundles=4, n_per_bundle=30, n_variables=8, noise_sd=0.0, add_labels=True, seed=0)
    assert X.shape == (120, 10)
    labels = X[:, 0] + 2 * X[:, 1]
    # Without noise, the rows of a bundle are identical copies of one prototype in [0, 1).
    for bundle in range(4):
        rows = X[labels == bundle, 2:]
        assert rows.shape[0] == 30
        np.testing.assert_array_equal(rows, np.tile(rows[:1], (30, 1)))
        assert rows.min() >= 0
        assert rows.max() < 1
    noisy = data.curve_bundles(n_bundles=2, n_per_bundle=500, n_variables=5, noise_sd=0.1, seed=1)
    assert noisy.shape == (1000, 5)
