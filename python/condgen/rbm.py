"""Bernoulli restricted Boltzmann machines trained by contrastive divergence on the C++ core."""

from __future__ import annotations

import math

import numpy as np

from . import _core
from ._estimator import Estimator
from ._progress import progress_bar, show_monitor
from ._random import as_generator, seed_to_uint64
from ._validation import (as_matrix, check_binary, check_bool, check_int, check_particle_pair, check_real,
                          check_unit_interval, per_epoch_rates)

__all__ = ["BernoulliRBM"]

#: Largest smaller layer for which the exact partition function is computed (2^25 states).
MAX_EXACT_UNITS = 25
#: Column means are clipped to [eps, 1 - eps] before the logit of the initial visible bias.
_MEAN_CLIP = 1e-6


class BernoulliRBM(Estimator):
    """Restricted Boltzmann machine with binary visible and hidden units.

    Energy ``E(v, h) = -v^T W h - b^T v - c^T h``. Training is plain gradient ascent on the
    contrastive-divergence estimate of the log-likelihood gradient, one C++ call per epoch
    (BoltzmannMachines.jl's ``fitrbm``, boltzmann.md §2).

    Parameters
    ----------
    n_hidden : int or None, default None
        Number of hidden units; ``None`` means as many as the data has columns.
    epochs : int, default 10
        Passes over the data.
    learning_rate : float, default 0.005
        Step size of every update.
    learning_rates : sequence of float or None, default None
        One step size per epoch (at least ``epochs`` values); overrides ``learning_rate``.
    batch_size : int, default 1
        Rows per minibatch. Each epoch shuffles the rows; a shorter last batch is kept.
    cd_steps : int, default 1
        Gibbs steps in the negative phase.
    pcd : {True, False, "tieleman"}, default True
        Negative phase. ``True`` is BoltzmannMachines.jl's persistent chain: it keeps the hidden
        *probabilities* computed from mean visible units, one chain per batch row, so it is not
        a Gibbs chain of the model. It is the default for parity, but with batch size 1 it
        diverges for learning rates of about 0.01 and above (the exact likelihood on
        bars-and-stripes ends below that of independent pixels); keep its learning rate small
        (0.001-0.005). ``"tieleman"`` keeps sampled states in ``n_chains`` true persistent Gibbs
        chains (statistics from sampled visible states and hidden probabilities): with a few
        dozen chains and moderate learning rates it fits the data distribution best. ``False``
        is plain CD-k: robust to the learning rate, a good choice for short training.
    n_chains : int or None, default None
        Number of persistent chains for ``pcd="tieleman"`` (default: ``batch_size``).
    up_factor, down_factor : float, default 1.0
        Factors multiplying the whole input (bias included) of the hidden and visible units
        during training (DBM pre-training, boltzmann.md §3.3).
    dtype : numpy float dtype, default numpy.float64
        ``numpy.float64`` or ``numpy.float32`` for the parameters and all computations.
    seed : None, int or numpy.random.Generator
        Seed of the initial weights, the persistent chains and every epoch's random streams.
        The same seed gives the same model whatever the number of threads.
    monitor : callable or None
        Called as ``monitor(model, epoch)`` after each epoch (``epoch`` counts from 1).
    progress : bool or None, default False
        Show a progress bar over the epochs (``None``: only in an interactive terminal).
    centering : bool, default False
        Centered gradient (Melchior, Fischer and Wiskott 2016): visible offsets are the column
        means of the training data, hidden offsets a moving average of the positive-phase hidden
        probabilities (starting at 0.5). The model stays an ordinary RBM.
    offset_rate : float, default 0.01
        Rate of the moving average of the hidden offsets.

    Attributes
    ----------
    weights_ : ndarray of shape (n_visible, n_hidden)
    visible_bias_ : ndarray of shape (n_visible,)
    hidden_bias_ : ndarray of shape (n_hidden,)
    n_epochs_ : int
        Epochs trained so far (including those of ``init`` when fitted with one).
    visible_offset_, hidden_offset_ : ndarray
        Centering offsets after the last epoch (only when fitted with ``centering=True``).

    Notes
    -----
    Any model whose three parameter arrays are assigned (e.g. weights trained elsewhere) can use
    every method; the arrays are converted to ``dtype`` when they do not match it.

    Examples
    --------
    >>> import numpy as np
    >>> from condgen import BernoulliRBM
    >>> X = (np.random.default_rng(0).random((100, 6)) < 0.3).astype(float)
    >>> rbm = BernoulliRBM(n_hidden=4, epochs=5, seed=1).fit(X)
    >>> rbm.transform(X).shape
    (100, 4)
    """

    def __init__(self, n_hidden=None, epochs=10, learning_rate=0.005, learning_rates=None, batch_size=1,
                 cd_steps=1, pcd=True, n_chains=None, up_factor=1.0, down_factor=1.0, dtype=np.float64,
                 seed=None, monitor=None, progress=False, centering=False, offset_rate=0.01):
        self.n_hidden = n_hidden
        self.epochs = epochs
        self.learning_rate = learning_rate
        self.learning_rates = learning_rates
        self.batch_size = batch_size
        self.cd_steps = cd_steps
        self.pcd = pcd
        self.n_chains = n_chains
        self.up_factor = up_factor
        self.down_factor = down_factor
        self.dtype = dtype
        self.seed = seed
        self.monitor = monitor
        self.progress = progress
        self.centering = centering
        self.offset_rate = offset_rate

    # -- training ------------------------------------------------------------------------------
    def fit(self, X, init=None):
        """Train on binary data ``X`` (samples in rows); returns self.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_visible)
            Binary (0/1) data. It is never modified.
        init : BernoulliRBM or None
            Continue training from a copy of this model's parameters (BoltzmannMachines.jl's
            ``startrbm``); ``n_hidden`` is then taken from it, and with ``centering`` its hidden
            offsets too. The persistent chains start afresh.

        Returns
        -------
        self : BernoulliRBM
        """
        dtype = self._dtype()
        X = check_binary(as_matrix(X, "X", dtype=dtype))
        return self._fit_array(X, init)

    def _fit_array(self, X, init=None):
        """Train on a validated C-contiguous array of ``dtype`` with values in [0, 1]."""
        dtype = self._dtype()
        n_samples, n_visible = X.shape
        epochs = check_int(self.epochs, "epochs", minimum=0)
        batch_size = check_int(self.batch_size, "batch_size", minimum=1)
        if batch_size > n_samples:
            raise ValueError(f"batch_size ({batch_size}) is larger than the number of samples ({n_samples})")
        cd_steps = check_int(self.cd_steps, "cd_steps", minimum=1)
        pcd = self._pcd_mode()
        up = check_real(self.up_factor, "up_factor")
        down = check_real(self.down_factor, "down_factor")
        centering = check_bool(self.centering, "centering")
        offset_rate = check_real(self.offset_rate, "offset_rate", 0.0, 1.0)
        rates = self._learning_rates(epochs)
        if self.monitor is not None and not callable(self.monitor):
            raise ValueError(f"monitor must be callable as monitor(model, epoch), got {self.monitor!r}")
        rng = as_generator(self.seed)

        if init is not None:
            if not isinstance(init, BernoulliRBM):
                raise TypeError(f"init must be a BernoulliRBM, not {type(init).__name__}")
            W, b, c = init._parameters(dtype)
            if W.shape[0] != n_visible:
                raise ValueError(f"X has {n_visible} columns but init has {W.shape[0]} visible units")
            W, b, c = W.copy(), b.copy(), c.copy()
            n_hidden = W.shape[1]
            epochs_before = int(getattr(init, "n_epochs_", 0))
        else:
            n_hidden = n_visible if self.n_hidden is None else check_int(self.n_hidden, "n_hidden", minimum=1)
            W = (rng.standard_normal((n_visible, n_hidden)) / math.sqrt(n_visible)).astype(dtype)
            means = np.clip(X.mean(axis=0, dtype=np.float64), _MEAN_CLIP, 1 - _MEAN_CLIP)
            b = np.log(means / (1 - means)).astype(dtype)
            c = np.zeros(n_hidden, dtype=dtype)
            epochs_before = 0
        self.weights_, self.visible_bias_, self.hidden_bias_ = W, b, c
        self.n_epochs_ = epochs_before

        if pcd == "mean_field":  # probabilities, as BoltzmannMachines.jl (boltzmann.md §2.1)
            chain = rng.random((batch_size, n_hidden)).astype(dtype)
        elif pcd == "tieleman":
            n_chains = batch_size if self.n_chains is None else check_int(self.n_chains, "n_chains", minimum=1)
            chain = (rng.random((n_chains, n_hidden)) < 0.5).astype(dtype)
        else:
            chain = np.empty((0, n_hidden), dtype=dtype)
        if centering:
            visible_offset = X.mean(axis=0).astype(dtype)
            previous = getattr(init, "hidden_offset_", None) if init is not None else None
            hidden_offset = (np.full(n_hidden, 0.5, dtype=dtype) if previous is None or len(previous) != n_hidden
                             else np.array(previous, dtype=dtype))
            self.visible_offset_, self.hidden_offset_ = visible_offset, hidden_offset
        else:
            visible_offset = np.empty(0, dtype=dtype)
            hidden_offset = np.empty(0, dtype=dtype)

        with progress_bar(epochs, self.progress, "BernoulliRBM") as bar:
            for epoch in range(epochs):
                _core.rbm_train_epoch(W, b, c, X, chain, visible_offset, hidden_offset, batch_size, cd_steps,
                                      pcd, rates[epoch], up, down, centering, offset_rate, seed_to_uint64(rng))
                self.n_epochs_ += 1
                if self.monitor is not None:
                    self.monitor(self, epoch + 1)
                    show_monitor(bar, self.monitor)
                bar.update()
        return self

    # -- conditional distributions and sampling -----------------------------------------------
    def hidden_probs(self, V, factor=1.0):
        """``P(h_j = 1 | v) = sigmoid(factor * (v W + c)_j)`` for every row of ``V``."""
        W, _, c = self._parameters()
        V = check_unit_interval(as_matrix(V, "V", dtype=W.dtype, n_columns=W.shape[0]), "V")
        return _core.rbm_hidden_probs(W, c, V, check_real(factor, "factor"))

    def visible_probs(self, H, factor=1.0):
        """``P(v_i = 1 | h) = sigmoid(factor * (h W^T + b)_i)`` for every row of ``H``."""
        W, b, _ = self._parameters()
        H = check_unit_interval(as_matrix(H, "H", dtype=W.dtype, n_columns=W.shape[1]), "H")
        return _core.rbm_visible_probs(W, b, H, check_real(factor, "factor"))

    def transform(self, V):
        """Hidden probabilities of ``V`` (the features of scikit-learn's ``transform``)."""
        return self.hidden_probs(V)

    def sample_hidden(self, V, seed=None):
        """Binary hidden states drawn from ``P(h | v)`` for every row of ``V``."""
        W, _, c = self._parameters()
        V = check_unit_interval(as_matrix(V, "V", dtype=W.dtype, n_columns=W.shape[0]), "V")
        return _core.rbm_sample_hidden(W, c, V, 1.0, seed_to_uint64(seed))

    def sample_visible(self, H, seed=None):
        """Binary visible states drawn from ``P(v | h)`` for every row of ``H``."""
        W, b, _ = self._parameters()
        H = check_unit_interval(as_matrix(H, "H", dtype=W.dtype, n_columns=W.shape[1]), "H")
        return _core.rbm_sample_visible(W, b, H, 1.0, seed_to_uint64(seed))

    def init_particles(self, n, biased=False, seed=None):
        """Starting states ``(V, H)`` of ``n`` Gibbs chains (boltzmann.md §5.4).

        Unbiased: every unit is 1 with probability 1/2. Biased: visible units with
        ``sigmoid(b)``, hidden units with ``sigmoid(c)``.
        """
        W, b, c = self._parameters()
        n = check_int(n, "n", minimum=1)
        rng = as_generator(seed)
        if biased:
            pv, ph = _sigmoid(b.astype(np.float64)), _sigmoid(c.astype(np.float64))
        else:
            pv, ph = np.full(W.shape[0], 0.5), np.full(W.shape[1], 0.5)
        V = (rng.random((n, W.shape[0])) < pv).astype(W.dtype)
        H = (rng.random((n, W.shape[1])) < ph).astype(W.dtype)
        return V, H

    def gibbs(self, particles, steps=1, seed=None):
        """Run ``steps`` alternating Gibbs steps on ``particles = (V, H)`` in place.

        Each step draws ``V`` from ``P(v | H)`` and then ``H`` from ``P(h | V)`` (boltzmann.md
        §5.1). ``V`` and ``H`` must be C-contiguous, writable arrays of the model's dtype with
        the same number of rows, e.g. from :meth:`init_particles`. Returns ``particles``.
        """
        W, b, c = self._parameters()
        V, H = self._check_particles(particles, W)
        steps = check_int(steps, "steps", minimum=0)
        _core.rbm_gibbs(W, b, c, V, H, steps, 1.0, 1.0, seed_to_uint64(seed))
        return particles

    def sample(self, n, burn_in=50, seed=None):
        """``n`` binary visible samples after ``burn_in`` Gibbs steps from unbiased random states."""
        rng = as_generator(seed)
        particles = self.init_particles(n, seed=rng)
        self.gibbs(particles, steps=check_int(burn_in, "burn_in", minimum=0), seed=rng)
        return particles[0]

    # -- evaluation ----------------------------------------------------------------------------
    def free_energy(self, V):
        """Free energy ``F(v) = -b^T v - sum_j softplus((v W + c)_j)`` of every row of ``V``."""
        W, b, c = self._parameters()
        V = check_unit_interval(as_matrix(V, "V", dtype=W.dtype, n_columns=W.shape[0]), "V")
        return _core.rbm_free_energy(W, b, c, V)

    def reconstruction_error(self, V):
        """Mean over rows of the L1 distance between ``v`` and its mean-field reconstruction.

        The reconstruction is ``visible_probs(hidden_probs(v))``, without sampling
        (boltzmann.md §6.1).
        """
        W, b, c = self._parameters()
        V = check_unit_interval(as_matrix(V, "V", dtype=W.dtype, n_columns=W.shape[0]), "V")
        reconstruction = _core.rbm_visible_probs(W, b, _core.rbm_hidden_probs(W, c, V, 1.0), 1.0)
        return float(np.abs(V - reconstruction).sum(axis=1).mean())

    def exact_log_partition(self):
        """log Z by enumerating the smaller layer (at most 25 units), in float64.

        Raises
        ------
        ValueError
            For larger models; estimate log Z by annealed importance sampling instead.
        """
        W, b, c = (np.ascontiguousarray(a, dtype=np.float64) for a in self._parameters())
        smaller = min(W.shape)
        if smaller > MAX_EXACT_UNITS:
            raise ValueError(
                f"exact log partition function needs 2^{smaller} terms (smaller layer has {smaller} units, "
                f"at most {MAX_EXACT_UNITS} supported); estimate it with annealed importance sampling (AIS)"
            )
        return float(_core.rbm_exact_log_partition(W, b, c))

    def exact_log_likelihood(self, V):
        """Mean over the rows of ``V`` of the exact log-likelihood ``-F(v) - log Z`` (binary ``V``)."""
        W = self._parameters()[0]
        V = check_binary(as_matrix(V, "V", dtype=np.float64, n_columns=W.shape[0]), "V")
        log_z = self.exact_log_partition()
        W, b, c = (np.ascontiguousarray(a, dtype=np.float64) for a in self._parameters())
        return float(-_core.rbm_free_energy(W, b, c, V).mean() - log_z)

    # -- helpers -------------------------------------------------------------------------------
    def _dtype(self):
        dtype = np.dtype(self.dtype)
        if dtype not in (np.float64, np.float32):
            raise ValueError(f"dtype must be numpy.float64 or numpy.float32, got {self.dtype!r}")
        return dtype

    def _pcd_mode(self):
        if isinstance(self.pcd, (bool, np.bool_)):
            return "mean_field" if self.pcd else "none"
        if isinstance(self.pcd, str) and self.pcd == "tieleman":
            return "tieleman"
        raise ValueError(f"pcd must be True, False or 'tieleman', got {self.pcd!r}")

    def _learning_rates(self, epochs):
        return per_epoch_rates(self.learning_rate, self.learning_rates, epochs, "learning_rate")

    def _parameters(self, dtype=None):
        """(W, b, c) as C-contiguous arrays of ``dtype`` (default: the model's), checked for shape."""
        if not all(hasattr(self, name) for name in ("weights_", "visible_bias_", "hidden_bias_")):
            raise ValueError(
                "this BernoulliRBM is not fitted: call fit(X) or assign weights_, visible_bias_ and hidden_bias_"
            )
        dtype = self._dtype() if dtype is None else dtype
        W = as_matrix(self.weights_, "weights_", dtype=dtype)
        b = np.ascontiguousarray(self.visible_bias_, dtype=dtype)
        c = np.ascontiguousarray(self.hidden_bias_, dtype=dtype)
        if b.shape != (W.shape[0],) or c.shape != (W.shape[1],):
            raise ValueError(
                f"parameters do not fit: weights_ has shape {W.shape}, visible_bias_ {b.shape}, "
                f"hidden_bias_ {c.shape}"
            )
        if not (np.all(np.isfinite(b)) and np.all(np.isfinite(c))):
            raise ValueError("visible_bias_ or hidden_bias_ contains NaN or infinite values")
        return W, b, c

    @staticmethod
    def _check_particles(particles, W):
        V, H = check_particle_pair(particles, W)
        return check_unit_interval(V, "visible particles"), check_unit_interval(H, "hidden particles")

    # -- likelihood estimates (condgen.likelihood) ----------------------------------------------
    def log_partition(self, method="ais", n_temperatures=100, n_particles=100, burn_in=5, temperatures=None,
                      seed=None, progress=None):
        """log Z as ``LogEstimate(value, sd)``: AIS (boltzmann.md §6.4) or ``method="exact"`` (sd 0).

        AIS anneals from the model with zero weights through ``n_temperatures`` equally spaced
        temperatures (or the given ``temperatures`` from 0 to 1) with ``n_particles`` runs and
        ``burn_in`` Gibbs steps per temperature; see :func:`condgen.likelihood.ais_log_weights`.
        """
        from .likelihood import log_partition

        return log_partition(self, method, n_temperatures=n_temperatures, temperatures=temperatures,
                             n_particles=n_particles, burn_in=burn_in, seed=seed, progress=progress)

    def log_likelihood(self, X, method="ais", log_partition=None, n_temperatures=100, n_particles=100, burn_in=5,
                       temperatures=None, seed=None, progress=None):
        """Mean log-likelihood ``-mean(F(X)) - log Z`` as ``LogEstimate(value, sd)``.

        log Z by AIS (or ``method="exact"``) unless ``log_partition`` (a LogEstimate or a
        float) is given; see :func:`condgen.likelihood.log_likelihood`.
        """
        from .likelihood import log_likelihood

        return log_likelihood(self, X, method, log_partition=log_partition, n_temperatures=n_temperatures,
                              temperatures=temperatures, n_particles=n_particles, burn_in=burn_in, seed=seed,
                              progress=progress)


def _sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))
