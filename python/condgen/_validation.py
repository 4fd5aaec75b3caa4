"""Input checks shared by every public function: clear exceptions before C++ is reached."""

from __future__ import annotations

import numbers

import numpy as np

__all__ = [
    "as_matrix",
    "check_binary",
    "check_bool",
    "check_particle_pair",
    "check_choice",
    "check_int",
    "check_probability",
    "check_real",
    "check_unit_interval",
    "learning_rate_schedule",
    "per_epoch_rates",
    "visible_columns",
]


#: Largest count the C++ core takes (its sizes, steps and epochs are 32-bit ints).
MAX_INT = 2**31 - 1


def check_int(value, name: str, minimum: int | None = None, maximum: int | None = None) -> int:
    """Return ``value`` as an int, or raise ValueError naming ``name``; at most ``MAX_INT`` unless
    ``maximum`` says otherwise."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    value = int(value)
    if maximum is None:
        maximum = MAX_INT
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be at most {maximum}, got {value}")
    return value


def check_real(value, name: str, minimum: float | None = None, maximum: float | None = None,
               strict_minimum: bool = False) -> float:
    """Return ``value`` as a finite float within the bounds, or raise ValueError naming ``name``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a real number, got {value!r}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    if minimum is not None and (value < minimum or (strict_minimum and value == minimum)):
        relation = "greater than" if strict_minimum else "at least"
        raise ValueError(f"{name} must be {relation} {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be at most {maximum}, got {value}")
    return value


def check_bool(value, name: str) -> bool:
    """``value`` must be True or False (numpy's bools included)."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def check_probability(value, name: str) -> float:
    """A float in [0, 1]."""
    return check_real(value, name, 0.0, 1.0)


def check_choice(value, name: str, choices):
    """``value`` must be one of ``choices``."""
    if value not in choices:
        options = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {options}; got {value!r}")
    return value


def as_matrix(X, name: str = "X", dtype=np.float64, n_columns: int | None = None,
              allow_empty: bool = False) -> np.ndarray:
    """Return ``X`` as a C-contiguous 2-D array of ``dtype`` with finite values.

    The result is a new array whenever a conversion is needed and ``X`` itself otherwise, so
    callers that modify the result in place must copy it first. Raises ValueError for 1-D or
    higher-dimensional input, empty arrays, NaN or infinite values and a wrong number of columns.
    """
    try:
        array = np.asarray(X)
    except Exception as error:  # ragged lists and the like
        raise ValueError(f"{name} must be a 2-D numeric array: {error}") from None
    if array.dtype.kind not in "biuf":  # bool, integers, floats: not complex, timedelta, strings, objects
        raise ValueError(f"{name} must be a real numeric array, got dtype {array.dtype}")
    if array.ndim != 2:
        raise ValueError(
            f"{name} must be a 2-D array with samples in rows, got {array.ndim} dimension(s) "
            f"(shape {array.shape}); use X.reshape(1, -1) for a single sample"
        )
    if not allow_empty and array.size == 0:
        raise ValueError(f"{name} is empty (shape {array.shape})")
    if n_columns is not None and array.shape[1] != n_columns:
        raise ValueError(f"{name} has {array.shape[1]} columns, expected {n_columns}")
    with np.errstate(over="ignore"):  # reported below, naming the value
        converted = np.ascontiguousarray(array, dtype=dtype)
    if not np.all(np.isfinite(converted)):
        row, col = np.argwhere(~np.isfinite(converted))[0]
        if np.isfinite(array[row, col]):  # finite before the conversion: too large for the dtype
            raise ValueError(f"{name} holds {float(array[row, col]):g} at row {row}, column {col}, too large for "
                             f"{converted.dtype}")
        raise ValueError(f"{name} contains NaN or infinite values (first at row {row}, column {col})")
    return converted


def check_unit_interval(X: np.ndarray, name: str = "X") -> np.ndarray:
    """Raise ValueError unless every entry of ``X`` is in [0, 1] (binary states or their
    probabilities); returns ``X``."""
    bad = ~((X >= 0) & (X <= 1))  # NaN is bad too
    if np.any(bad):
        row, col = np.argwhere(bad)[0]
        raise ValueError(f"{name} must hold values in [0, 1], found {X[row, col]!r} at row {row}, column {col}")
    return X


def check_binary(X: np.ndarray, name: str = "X") -> np.ndarray:
    """Raise ValueError unless every entry of ``X`` is 0 or 1; returns ``X``."""
    bad = (X != 0) & (X != 1)
    if np.any(bad):
        row, col = np.argwhere(bad)[0]
        raise ValueError(
            f"{name} must be binary (0/1), found {X[row, col]!r} at row {row}, column {col}"
        )
    return X


def visible_columns(columns, n_visible, name):
    """Sorted distinct visible column indices from a sequence of indices or a boolean mask of
    length ``n_visible``; None or an empty sequence gives ``[]``. ``name`` is used in errors."""
    if columns is None:
        return []
    columns = np.asarray(columns)
    if columns.dtype == np.bool_:
        if columns.shape != (n_visible,):
            raise ValueError(f"a boolean {name} mask must have length {n_visible}, got shape {columns.shape}")
        return [int(i) for i in np.flatnonzero(columns)]
    if columns.size == 0:
        return []
    if columns.ndim != 1 or not np.issubdtype(columns.dtype, np.integer):
        raise ValueError(f"{name} must be a sequence of visible column indices or a boolean mask")
    if np.any((columns < 0) | (columns >= n_visible)):
        raise ValueError(f"{name} indices must be in [0, {n_visible}), got {columns.tolist()}")
    return sorted({int(i) for i in columns})


def learning_rate_schedule(rates, epochs: int, name: str) -> list:
    """The first ``epochs`` values of a per-epoch sequence of non-negative finite rates."""
    try:
        array = np.asarray(rates, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a sequence of numbers, got {rates!r}") from None
    if array.ndim != 1 or len(array) < epochs:
        raise ValueError(f"{name} must be a sequence of at least epochs={epochs} values, got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or infinite values")
    if np.any(array < 0):
        raise ValueError(f"{name} must not be negative, got {float(array.min())}")
    return [float(r) for r in array[:epochs]]


def check_particle_pair(particles, W) -> tuple:
    """``(V, H)`` chains of an RBM with weights ``W``: 2-D, finite, writable C-contiguous arrays of
    W's dtype with matching rows and widths (the C++ kernels update them in place)."""
    try:
        V, H = particles
    except (TypeError, ValueError):
        raise ValueError("particles must be a pair (V, H) of arrays, e.g. from init_particles") from None
    for name, array, units in (("visible", V, W.shape[0]), ("hidden", H, W.shape[1])):
        if not isinstance(array, np.ndarray) or array.ndim != 2 or array.shape[1] != units:
            raise ValueError(f"{name} particles must be a 2-D array with {units} columns")
        if array.dtype != W.dtype or not array.flags.c_contiguous or not array.flags.writeable:
            raise ValueError(f"{name} particles must be a writable C-contiguous {W.dtype} array (updated in place)")
        if not np.all(np.isfinite(array)):
            raise ValueError(f"{name} particles contain NaN or infinite values")
    if V.shape[0] != H.shape[0]:
        raise ValueError(f"visible and hidden particles have different numbers of rows: {len(V)} and {len(H)}")
    return V, H


def per_epoch_rates(rate, rates, epochs: int, name: str) -> list:
    """One rate per epoch: the sequence ``rates`` (named ``name + "s"``) if given, else ``rate``."""
    if rates is None:
        return [check_real(rate, name, minimum=0.0)] * epochs
    return learning_rate_schedule(rates, epochs, f"{name}s")
