"""Data preprocessing and synthetic data sets (boltzmann.md §8).

Encoders turn real data into the unit types of the RBMs: continuous columns into intensities in
[0, 1] (``intensities_encode``), categorical columns into the one-or-none binary coding of
:class:`~condgen.Softmax0BernoulliRBM` (``one_or_none_encode``). The generators make the small
benchmark data sets of BoltzmannMachines.jl (bars and stripes, blocks in noise, curve bundles).
Every function is pure numpy and takes a ``seed`` (None, int or numpy Generator) where it draws.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ._random import as_generator
from ._validation import as_matrix, check_bool, check_int, check_probability, check_real

__all__ = [
    "bars_and_stripes",
    "blocks_in_noise",
    "curve_bundles",
    "intensities",
    "intensities_decode",
    "intensities_encode",
    "one_or_none_decode",
    "one_or_none_encode",
    "split_data",
]


# ------------------------------------------------------------------------------------------------
# intensities


def intensities_encode(X, q1=0.0, q2=None):
    """Scale every column to [0, 1] between two of its quantiles.

    Per column, ``lo = quantile(x, q1)`` and ``hi = quantile(x, q2)`` (linear interpolation,
    numpy's default); values are clipped to ``[lo, hi]`` and mapped to ``(x - lo) / (hi - lo)``.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    q1 : float, default 0.0
        Lower quantile in [0, 1).
    q2 : float, optional
        Upper quantile in (q1, 1]; default ``1 - q1``.

    Returns
    -------
    Xt : ndarray of shape (n_samples, n_features)
        Values in [0, 1]. A constant column (``hi == lo``) becomes all zeros instead of NaN
        (BoltzmannMachines.jl divides by zero).
    transforms : ndarray of shape (n_features, 2)
        ``(lo, hi)`` per column, for :func:`intensities_decode`.
    """
    X = as_matrix(X, "X")
    q1 = check_real(q1, "q1", 0.0, 1.0)
    q2 = 1.0 - q1 if q2 is None else check_real(q2, "q2", 0.0, 1.0)
    if not q1 < q2:
        raise ValueError(f"q1 must be smaller than q2, got q1={q1}, q2={q2}")
    lo = np.quantile(X, q1, axis=0)
    hi = np.quantile(X, q2, axis=0)
    span = hi - lo
    scale = np.divide(1.0, span, out=np.zeros_like(span), where=span > 0)
    Xt = (np.clip(X, lo, hi) - lo) * scale
    return Xt, np.column_stack([lo, hi])


def intensities(X, q1=0.0, q2=None):
    """The scaled data of :func:`intensities_encode` alone."""
    return intensities_encode(X, q1, q2)[0]


def intensities_decode(Xt, transforms):
    """Map intensities back to the original scale: ``x * (hi - lo) + lo`` per column.

    Clipped values come back as the clipping bounds.
    """
    transforms = np.asarray(transforms, dtype=np.float64)
    if transforms.ndim != 2 or transforms.shape[1] != 2:
        raise ValueError(f"transforms must have shape (n_features, 2) as returned by intensities_encode, "
                         f"got {transforms.shape}")
    Xt = as_matrix(Xt, "Xt", n_columns=transforms.shape[0])
    lo, hi = transforms[:, 0], transforms[:, 1]
    return Xt * (hi - lo) + lo


# ------------------------------------------------------------------------------------------------
# one-or-none coding


def _categories(categories, n_variables, name="categories"):
    """Number of categories per variable as a list of ints >= 2."""
    if isinstance(categories, numbers.Integral) and not isinstance(categories, (bool, np.bool_)):
        return [check_int(categories, name, minimum=2)] * n_variables
    try:
        values = list(categories)
    except TypeError:
        raise ValueError(f"{name} must be an int or a sequence of ints, got {categories!r}") from None
    if len(values) != n_variables:
        raise ValueError(f"{name} has {len(values)} entries but there are {n_variables} variables")
    return [check_int(k, f"{name}[{i}]", minimum=2) for i, k in enumerate(values)]


def one_or_none_encode(X, categories):
    """Code categorical columns with values ``0 .. K-1`` as ``K - 1`` binary columns each.

    Value 0 (the reference category) becomes all zeros, value ``k >= 1`` a single 1 in column ``k``
    of the variable's group (counted from 1), the coding of :class:`~condgen.Softmax0BernoulliRBM`.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_variables)
        Integer values in ``[0, K)``.
    categories : int or sequence of int
        ``K`` for every variable, or one ``K`` per variable (each at least 2).

    Returns
    -------
    ndarray of shape (n_samples, sum(K - 1)) with values 0.0 / 1.0
    """
    X = as_matrix(X, "X")
    ks = _categories(categories, X.shape[1])
    bad = (np.round(X) != X) | (X < 0) | (np.asarray(ks) <= X)
    if np.any(bad):
        row, col = np.argwhere(bad)[0]
        raise ValueError(f"X must hold integer codes in [0, {ks[col]}) in column {col}, found {X[row, col]:g} "
                         f"at row {row}")
    out = np.zeros((X.shape[0], sum(k - 1 for k in ks)))
    start = 0
    for j, k in enumerate(ks):
        codes = X[:, j].astype(np.int64)
        rows = np.flatnonzero(codes > 0)
        out[rows, start + codes[rows] - 1] = 1.0
        start += k - 1
    return out


def one_or_none_decode(Xb, categories):
    """Inverse of :func:`one_or_none_encode`: the category of every variable (0 if its group is empty).

    A group with several ones decodes to the first of them.
    """
    Xb = as_matrix(Xb, "Xb")
    if isinstance(categories, numbers.Integral) and not isinstance(categories, (bool, np.bool_)):
        k = check_int(categories, "categories", minimum=2)
        if Xb.shape[1] % (k - 1):
            raise ValueError(f"Xb has {Xb.shape[1]} columns, not a multiple of categories - 1 = {k - 1}")
        ks = [k] * (Xb.shape[1] // (k - 1))
    else:
        if not hasattr(categories, "__iter__"):
            raise ValueError(f"categories must be an int or a sequence of ints, got {categories!r}")
        categories = list(categories)  # an iterator is read once
        ks = _categories(categories, len(categories))
        if sum(k - 1 for k in ks) != Xb.shape[1]:
            raise ValueError(f"Xb has {Xb.shape[1]} columns but the categories need {sum(k - 1 for k in ks)}")
    out = np.zeros((Xb.shape[0], len(ks)))
    start = 0
    for j, k in enumerate(ks):
        group = Xb[:, start:start + k - 1] != 0
        out[:, j] = np.where(group.any(axis=1), group.argmax(axis=1) + 1, 0)
        start += k - 1
    return out


# ------------------------------------------------------------------------------------------------
# splitting


def split_data(X, test_ratio, seed=None):
    """Random split into training and test rows.

    ``n_test = round(n * test_ratio)`` (halves to even, as Julia); the test rows are the first
    ``n_test`` of a random permutation, in that random order; the training rows are the others in
    their original order.

    Returns
    -------
    train, test : ndarray
    """
    X = np.asarray(X)
    if X.ndim < 1 or X.shape[0] == 0:
        raise ValueError(f"X must have at least one row, got shape {X.shape}")
    ratio = check_probability(test_ratio, "test_ratio")
    n = X.shape[0]
    n_test = round(n * ratio)
    order = as_generator(seed).permutation(n)
    test_rows = order[:n_test]
    train_mask = np.ones(n, dtype=bool)
    train_mask[test_rows] = False
    return X[train_mask], X[test_rows]


# ------------------------------------------------------------------------------------------------
# generators


def bars_and_stripes(n_samples, n_variables, seed=None):
    """Bars-and-stripes images, one flattened ``s x s`` image per row.

    Each image draws ``s`` fair bits ``z``; with probability 1/2 column ``j`` of the image is
    filled with ``z[j]`` (bars), otherwise row ``r`` with ``z[r]`` (stripes). Flat index
    ``j * s + r`` holds pixel (row ``r``, column ``j``), as Julia's column-major layout.

    Parameters
    ----------
    n_samples : int
    n_variables : int
        A perfect square ``s * s``.
    seed : None, int or numpy.random.Generator

    Returns
    -------
    ndarray of shape (n_samples, n_variables) with values 0.0 / 1.0
    """
    n_samples = check_int(n_samples, "n_samples", minimum=1)
    n_variables = check_int(n_variables, "n_variables", minimum=1)
    side = math.isqrt(n_variables)
    if side * side != n_variables:
        raise ValueError(f"n_variables must be a perfect square, got {n_variables}")
    rng = as_generator(seed)
    z = (rng.random((n_samples, side)) < 0.5).astype(np.float64)
    bars = rng.random(n_samples) < 0.5
    j, r = np.divmod(np.arange(n_variables), side)  # flat index j * side + r
    return np.where(bars[:, None], z[:, j], z[:, r])


def blocks_in_noise(n_samples, n_variables, noise=0.1, block_length=5, n_blocks=5, seed=None):
    """Binary noise with blocks of ones: a labelled clustering benchmark.

    Every entry is 1 with probability ``noise``. After a random permutation of the rows,
    ``m = n_samples // (2 * n_blocks)`` rows per block ``b = 1 .. n_blocks`` get columns
    ``(b-1) * block_length .. b * block_length - 1`` set to 1 and label ``b``; the remaining rows
    (about half) have label 0.

    Returns
    -------
    X : ndarray of shape (n_samples, n_variables)
    labels : ndarray of int of shape (n_samples,)
    """
    n_samples = check_int(n_samples, "n_samples", minimum=1)
    n_variables = check_int(n_variables, "n_variables", minimum=1)
    noise = check_probability(noise, "noise")
    block_length = check_int(block_length, "block_length", minimum=1)
    n_blocks = check_int(n_blocks, "n_blocks", minimum=1)
    if n_blocks * block_length > n_variables:
        raise ValueError(f"n_blocks * block_length = {n_blocks * block_length} exceeds n_variables = {n_variables}")
    rng = as_generator(seed)
    X = (rng.random((n_samples, n_variables)) < noise).astype(np.float64)
    labels = np.zeros(n_samples, dtype=np.int64)
    order = rng.permutation(n_samples)
    m = n_samples // (2 * n_blocks)
    for b in range(n_blocks):
        rows = order[b * m:(b + 1) * m]
        X[np.ix_(rows, np.arange(b * block_length, (b + 1) * block_length))] = 1.0
        labels[rows] = b + 1
    return X, labels


def curve_bundles(n_bundles=3, n_per_bundle=50, n_variables=10, noise_sd=0.05, add_labels=False,
                  p_break=0.2, seed=None):
    """Noisy copies of random piecewise-linear curves: a continuous benchmark for Gaussian RBMs.

    Each of ``n_bundles`` prototype curves has break points at the first and last variable and at
    each inner variable with probability ``p_break``, values ``U[0, 1)`` at the break points and
    linear interpolation in between. The prototypes are repeated ``n_per_bundle`` times, Gaussian
    noise with sd ``noise_sd`` is added and the rows are shuffled.

    Parameters
    ----------
    add_labels : bool
        Prepend ``ceil(log2(n_bundles))`` binary columns coding the bundle (bundle 0 all zeros,
        then binary counting with the first column as the least significant bit).

    Returns
    -------
    ndarray of shape (n_bundles * n_per_bundle, n_label_columns + n_variables)
    """
    n_bundles = check_int(n_bundles, "n_bundles", minimum=1)
    n_per_bundle = check_int(n_per_bundle, "n_per_bundle", minimum=1)
    n_variables = check_int(n_variables, "n_variables", minimum=2)
    noise_sd = check_real(noise_sd, "noise_sd", minimum=0.0)
    p_break = check_probability(p_break, "p_break")
    check_bool(add_labels, "add_labels")
    rng = as_generator(seed)
    grid = np.arange(n_variables)
    prototypes = np.empty((n_bundles, n_variables))
    for i in range(n_bundles):
        breaks = rng.random(n_variables) < p_break
        breaks[0] = breaks[-1] = True
        points = grid[breaks]
        prototypes[i] = np.interp(grid, points, rng.random(points.size))
    X = np.tile(prototypes, (n_per_bundle, 1)) + noise_sd * rng.standard_normal((n_bundles * n_per_bundle, n_variables))
    if add_labels:
        n_label_columns = math.ceil(math.log2(n_bundles)) if n_bundles > 1 else 0
        bundle = np.tile(np.arange(n_bundles), n_per_bundle)
        bits = (bundle[:, None] >> np.arange(n_label_columns)) & 1
        X = np.hstack([bits.astype(np.float64), X])
    return X[rng.permutation(X.shape[0])]
