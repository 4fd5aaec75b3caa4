"""Turning the user's ``seed`` argument into the 64-bit seed of the C++ random streams."""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["as_generator", "seed_to_uint64"]


def seed_to_uint64(seed) -> int:
    """Return a 64-bit seed for the C++ streams from ``None``, an int or a numpy Generator.

    ``None`` draws fresh entropy from the operating system; an int gives the same streams on
    every call; a :class:`numpy.random.Generator` is advanced by one draw, so successive calls
    with the same generator give different (but reproducible) streams.
    """
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(0, 2**64, dtype=np.uint64))
    if seed is None:
        return int(np.random.SeedSequence().generate_state(1, np.uint64)[0])
    if isinstance(seed, numbers.Integral) and not isinstance(seed, (bool, np.bool_)):
        if seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {seed}")
        return int(np.random.SeedSequence(int(seed)).generate_state(1, np.uint64)[0])
    raise TypeError(
        f"seed must be None, a non-negative int or a numpy.random.Generator, not {type(seed).__name__}"
    )


def as_generator(seed) -> np.random.Generator:
    """A numpy Generator for Python-side randomness: the given one, or a new one from the seed."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None or (isinstance(seed, numbers.Integral) and not isinstance(seed, (bool, np.bool_))):
        if seed is not None and seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {seed}")
        return np.random.default_rng(seed)
    raise TypeError(
        f"seed must be None, a non-negative int or a numpy.random.Generator, not {type(seed).__name__}"
    )
