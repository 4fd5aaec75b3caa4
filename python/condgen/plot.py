"""Figures: binary matrices (the seed's ``binspy``) and training curves.

matplotlib is imported inside the functions, so ``import condgen`` stays fast.
"""

from __future__ import annotations

import numpy as np

__all__ = ["binary_matrix", "loss_curves"]


def _axes(ax, figsize=None):
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=figsize)
    return ax


def binary_matrix(M, ax=None, title=None):
    """Draw a binary matrix: each 1 a black cell, each 0 white, row 0 at the top, square cells.

    Parameters
    ----------
    M : array-like of shape (n_rows, n_columns)
        Values are drawn on a grey scale from 0 (white) to 1 (black), so probabilities show as
        shades of grey.
    ax : matplotlib Axes, optional
        Where to draw; a new figure sized to the matrix otherwise.
    title : str, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    M = np.asarray(M, dtype=float)
    if M.ndim != 2:
        raise ValueError(f"M must be a 2-D array, got shape {M.shape}")
    n_rows, n_cols = M.shape
    if ax is None:
        height = 6.0
        width = float(np.clip(height * n_cols / max(n_rows, 1), 1.5, 12.0))
        ax = _axes(None, figsize=(width + 0.5, height + 0.5))
    ax.imshow(M, cmap="gray_r", vmin=0.0, vmax=1.0, interpolation="nearest", aspect="equal",
              origin="upper")
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_linewidth(0.5)
    if title is not None:
        ax.set_title(title)
    return ax


def loss_curves(curves, ax=None, xlabel="epoch"):
    """Draw one line per named series of per-epoch values (a training monitor).

    Parameters
    ----------
    curves : dict of str -> 1-D array-like
    ax : matplotlib Axes, optional
    xlabel : str

    Returns
    -------
    matplotlib.axes.Axes
    """
    if not isinstance(curves, dict) or not curves:
        raise ValueError("curves must be a non-empty dict of name -> per-epoch values")
    ax = _axes(ax)
    for name, values in curves.items():
        values = np.asarray(values, dtype=float).ravel()
        ax.plot(np.arange(1, len(values) + 1), values, label=str(name))
    ax.set_xlabel(xlabel)
    ax.legend(frameon=False)
    return ax
