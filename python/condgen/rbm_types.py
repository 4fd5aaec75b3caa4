"""RBMs with other unit types: Binomial(2), Gaussian and categorical visible units, Gaussian hidden units.

Spec: boltzmann.md §1.2-§1.6 (models), §1.9 (initialisation), §2.4-§2.5 (gradients and updates),
§5.4 (initial particles), §6.2-§6.4 (log Z). Every class has the API of
:class:`~condgen.BernoulliRBM` (``fit``, conditionals, sampling, free energy, exact log Z, AIS);
the kernels are in C++ (``cpp/src/rbm_types.cpp``), sharing the Bernoulli code paths.

Differences from BoltzmannMachines.jl:

* Standard deviations of Gaussian units are learned as ``sigma <- sigma * exp(lr_sd * g / sigma)``:
  to first order Julia's ``sigma + lr_sd * g``, but sigma stays positive.
* Constant columns are rejected for Gaussian types (Julia divides by the zero standard deviation);
  column means of 0 or 1 are clipped before the logit of the initial bias (Julia gives 0 / inf).
* ``init_particles(biased=True)`` draws GaussianBernoulliRBM2 visible units as ``b + sigma N(0,1)``,
  the zero-weight model (Julia leaves out sigma for this type).
* ``BernoulliGaussianRBM`` has AIS (through the equivalent GaussianBernoulliRBM with the layers
  swapped); Julia has none for it.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from . import _core
from ._estimator import Estimator
from ._progress import progress_bar
from ._random import as_generator, seed_to_uint64
from ._validation import (as_matrix, check_binary, check_choice, check_int, check_particle_pair, check_real,
                          per_epoch_rates, visible_columns)
from .likelihood import LogEstimate, _temperatures, ais_standard_deviation, log_mean_exp

__all__ = [
    "BernoulliGaussianRBM",
    "Binomial2BernoulliRBM",
    "GaussianBernoulliRBM",
    "GaussianBernoulliRBM2",
    "Softmax0BernoulliRBM",
]

#: Largest hidden layer for which the exact partition function is computed (2^25 states).
MAX_EXACT_UNITS = 25
_MEAN_CLIP = 1e-6
# Unit type codes of the C++ kernels (condgen::VisibleUnits / HiddenUnits).
_BERNOULLI, _BINOMIAL2, _GAUSSIAN, _GAUSSIAN2, _SOFTMAX0 = range(5)
_HIDDEN_BERNOULLI, _HIDDEN_GAUSSIAN = 0, 1


def _logit_of_means(X):
    means = np.clip(X.mean(axis=0, dtype=np.float64), _MEAN_CLIP, 1 - _MEAN_CLIP)
    return np.log(means / (1 - means))


def _sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))


class _TypedRBM(Estimator):
    """Shared implementation; subclasses set the unit types, data checks and initialisation."""

    _visible_code = _BERNOULLI
    _hidden_code = _HIDDEN_BERNOULLI

    def __init__(self, n_hidden=None, epochs=10, learning_rate=0.005, learning_rates=None, batch_size=1,
                 cd_steps=1, pcd=True, n_chains=None, up_factor=1.0, down_factor=1.0, dtype=np.float64,
                 seed=None, monitor=None, progress=False):
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

    # -- type-specific hooks ---------------------------------------------------------------------
    @property
    def _gaussian_visible(self):
        return self._visible_code in (_GAUSSIAN, _GAUSSIAN2)

    def _check_visible(self, V, name):
        """Raise ValueError unless V holds valid visible states of this type; returns V."""
        return check_binary(V, name)

    #: Range of visible values accepted where expectations may stand for states (conditionals,
    #: free energy); None: any finite value.
    _value_range = (0.0, 1.0)

    def _check_range(self, V, name):
        if self._value_range is not None:
            low, high = self._value_range
            if np.any((low > V) | (high < V)):
                raise ValueError(f"{name} must hold values in [{low:g}, {high:g}] for a {type(self).__name__}")
        return V

    def _init_parameters(self, X, n_hidden, rng):
        """Initial (W, b, c, sigma) from the data (boltzmann.md §1.9)."""
        W = rng.standard_normal((X.shape[1], n_hidden)) / math.sqrt(X.shape[1])
        return W, _logit_of_means(X), np.zeros(n_hidden), np.empty(0)

    def _groups(self):
        """Softmax0 group sizes (empty for the other types)."""
        return []

    def _sd_learning_rates(self, epochs):
        return [0.0] * epochs

    # -- training ------------------------------------------------------------------------------
    def fit(self, X, init=None):
        """Train on ``X`` (samples in rows); returns self.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_visible)
            Data with values of the visible unit type. It is never modified.
        init : model of the same type or None
            Continue training from a copy of this model's parameters (Julia's ``startrbm``);
            ``n_hidden`` is then taken from it.
        """
        X = self._check_visible(as_matrix(X, "X", dtype=self._dtype()), "X")
        return self._fit_array(X, init)

    def _fit_array(self, X, init=None):
        """Train on a validated C-contiguous array of ``dtype``."""
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
        rates = self._learning_rates(epochs)
        sd_rates = self._sd_learning_rates(epochs)
        if self.monitor is not None and not callable(self.monitor):
            raise ValueError(f"monitor must be callable as monitor(model, epoch), got {self.monitor!r}")
        self._prepare_fit(n_visible)
        rng = as_generator(self.seed)

        if init is not None:
            if type(init) is not type(self):
                raise ValueError(f"init must be a {type(self).__name__}, got {type(init).__name__}")
            W, b, c, sigma = (a.copy() for a in init._parameters(dtype))
            if W.shape[0] != n_visible:
                raise ValueError(f"X has {n_visible} columns but init has {W.shape[0]} visible units")
            epochs_before = int(getattr(init, "n_epochs_", 0))
        else:
            n_hidden = n_visible if self.n_hidden is None else check_int(self.n_hidden, "n_hidden", minimum=1)
            W, b, c, sigma = (np.ascontiguousarray(a, dtype=dtype)
                              for a in self._init_parameters(X, n_hidden, rng))
            epochs_before = 0
        self._set_parameters(W, b, c, sigma)
        self.n_epochs_ = epochs_before
        n_hidden = W.shape[1]

        if pcd == "mean_field":  # probabilities (means), as BoltzmannMachines.jl (boltzmann.md §2.1)
            chain = rng.random((batch_size, n_hidden)).astype(dtype)
        elif pcd == "tieleman":
            n_chains = batch_size if self.n_chains is None else check_int(self.n_chains, "n_chains", minimum=1)
            chain = self._hidden_start((n_chains, n_hidden), rng).astype(dtype)
        else:
            chain = np.empty((0, n_hidden), dtype=dtype)
        groups = self._groups()
        with progress_bar(epochs, self.progress, type(self).__name__) as bar:
            for epoch in range(epochs):
                _core.typed_train_epoch(self._visible_code, self._hidden_code, W, b, c, sigma, groups, X, chain,
                                        batch_size, cd_steps, pcd, rates[epoch], sd_rates[epoch], up, down,
                                        seed_to_uint64(rng))
                self.n_epochs_ += 1
                if self.monitor is not None:
                    self.monitor(self, epoch + 1)
                bar.update()
        return self

    def _prepare_fit(self, n_visible):
        """Resolve data-shape dependent settings before training (Softmax0 categories)."""

    def _set_parameters(self, W, b, c, sigma):  # noqa: ARG002 (sigma: Gaussian types)
        self.weights_, self.visible_bias_, self.hidden_bias_ = W, b, c

    def _hidden_start(self, shape, rng):
        """Unbiased random hidden states (§5.4): fair bits, or N(0, 1) for Gaussian hidden units."""
        if self._hidden_code == _HIDDEN_GAUSSIAN:
            return rng.standard_normal(shape)
        return (rng.random(shape) < 0.5).astype(np.float64)

    # -- conditional distributions and sampling -----------------------------------------------
    def _model(self, dtype=None):
        W, b, c, sigma = self._parameters(dtype)
        return (self._visible_code, self._hidden_code, W, b, c, sigma, self._groups())

    def hidden_probs(self, V, factor=1.0):
        """``E[h | v]`` for every row of ``V``: probabilities, or means of Gaussian hidden units.

        ``factor`` multiplies the whole input, bias included (DBM pre-training, §3.3).
        """
        model = self._model()
        V = self._check_range(as_matrix(V, "V", dtype=model[2].dtype, n_columns=model[2].shape[0]), "V")
        return _core.typed_hidden_potential(*model, V, check_real(factor, "factor"))

    def visible_probs(self, H, factor=1.0):
        """``E[v | h]`` for every row of ``H`` (boltzmann.md §1): probabilities, ``2p`` for
        Binomial(2) units, means of Gaussian units (which ignore ``factor``), or the softmax0
        probabilities of the categorical groups."""
        model = self._model()
        H = as_matrix(H, "H", dtype=model[2].dtype, n_columns=model[2].shape[1])
        return _core.typed_visible_potential(*model, H, check_real(factor, "factor"))

    def transform(self, V):
        """Hidden potentials of ``V`` (the features, as scikit-learn's ``transform``)."""
        return self.hidden_probs(V)

    def sample_hidden(self, V, seed=None):
        """Hidden states drawn from ``P(h | v)`` for every row of ``V``."""
        model = self._model()
        V = self._check_range(as_matrix(V, "V", dtype=model[2].dtype, n_columns=model[2].shape[0]), "V")
        return _core.typed_sample_hidden(*model, V, seed_to_uint64(seed))

    def sample_visible(self, H, seed=None):
        """Visible states drawn from ``P(v | h)`` for every row of ``H``."""
        model = self._model()
        H = as_matrix(H, "H", dtype=model[2].dtype, n_columns=model[2].shape[1])
        return _core.typed_sample_visible(*model, H, seed_to_uint64(seed))

    def _visible_start(self, n, biased, rng):
        """Initial visible states (§5.4) for the Bernoulli-coded types; overridden by the others."""
        b = self.visible_bias_
        p = _sigmoid(np.asarray(b, dtype=np.float64)) if biased else np.full(len(b), 0.5)
        return (rng.random((n, len(b))) < p).astype(np.float64)

    def init_particles(self, n, biased=False, seed=None):
        """Starting states ``(V, H)`` of ``n`` Gibbs chains (boltzmann.md §5.4).

        Unbiased: uniform over each unit's values (fair bits, Binomial(2, 1/2), uniform over the
        categories) or N(0, 1) for Gaussian units. Biased: each layer from the model with zero
        weights (Bernoulli ``sigmoid(bias)``, Gaussian ``bias + sigma N(0, 1)``, ...).
        """
        W, _, c, _ = self._parameters()
        n = check_int(n, "n", minimum=1)
        rng = as_generator(seed)
        V = self._visible_start(n, biased, rng)
        if not biased:
            H = self._hidden_start((n, W.shape[1]), rng)
        elif self._hidden_code == _HIDDEN_GAUSSIAN:
            H = c + rng.standard_normal((n, W.shape[1]))
        else:
            H = (rng.random((n, W.shape[1])) < _sigmoid(c.astype(np.float64))).astype(np.float64)
        return np.ascontiguousarray(V, dtype=W.dtype), np.ascontiguousarray(H, dtype=W.dtype)

    def gibbs(self, particles, steps=1, clamp=None, seed=None):
        """Run ``steps`` alternating Gibbs steps on ``particles = (V, H)`` in place.

        Each step draws ``V`` from ``P(v | H)`` and then ``H`` from ``P(h | V)``. Visible columns
        listed in ``clamp`` (indices or a boolean mask) keep their values (conditional sampling).
        ``V`` and ``H`` must be writable C-contiguous arrays of the model's dtype, e.g. from
        :meth:`init_particles`. Returns ``particles``.
        """
        model = self._model()
        W = model[2]
        V, H = check_particle_pair(particles, W)
        steps = check_int(steps, "steps", minimum=0)
        _core.typed_gibbs(*model, V, H, steps, visible_columns(clamp, W.shape[0], "clamp"), seed_to_uint64(seed))
        return particles

    def sample(self, n, burn_in=50, seed=None):
        """``n`` visible samples after ``burn_in`` Gibbs steps from unbiased random states."""
        rng = as_generator(seed)
        particles = self.init_particles(n, seed=rng)
        self.gibbs(particles, steps=check_int(burn_in, "burn_in", minimum=0), seed=rng)
        return particles[0]

    # -- evaluation ----------------------------------------------------------------------------
    def free_energy(self, V):
        """Free energy ``F(v) = -log sum_h exp(-E(v, h))`` of every row of ``V`` (boltzmann.md §1)."""
        model = self._model()
        V = self._check_range(as_matrix(V, "V", dtype=model[2].dtype, n_columns=model[2].shape[0]), "V")
        return _core.typed_free_energy(*model, V)

    def reconstruction_error(self, V):
        """Mean over rows of the L1 distance between ``v`` and ``visible_probs(hidden_probs(v))``."""
        model = self._model()
        V = self._check_range(as_matrix(V, "V", dtype=model[2].dtype, n_columns=model[2].shape[0]), "V")
        reconstruction = _core.typed_visible_potential(*model, _core.typed_hidden_potential(*model, V, 1.0), 1.0)
        return float(np.abs(V - reconstruction).sum(axis=1).mean())

    def _log_partition_model(self):
        """The float64 model whose hidden layer is enumerated / annealed for log Z."""
        return self._model(np.float64)

    def exact_log_partition(self):
        """log Z by enumerating the hidden layer (at most 25 units) and summing out the visible
        layer analytically (boltzmann.md §6.3), in float64.

        Raises
        ------
        ValueError
            For larger models; estimate log Z with :meth:`log_partition` (AIS) instead.
        """
        model = self._log_partition_model()
        n_enumerated = model[2].shape[1]
        if n_enumerated > MAX_EXACT_UNITS:
            raise ValueError(
                f"exact log partition function needs 2^{n_enumerated} terms ({n_enumerated} enumerated units, at "
                f"most {MAX_EXACT_UNITS} supported); estimate it with log_partition(method='ais')"
            )
        return float(_core.typed_exact_log_partition(*model))

    def log_partition_zero_weights(self):
        """log Z of the same model with all weights set to zero (boltzmann.md §6.2)."""
        return float(_core.typed_log_partition_zero_weights(*self._model(np.float64)))

    def ais_log_weights(self, n_temperatures=100, temperatures=None, n_particles=100, burn_in=5, seed=None):
        """Log importance weights of AIS from the zero-weight model (boltzmann.md §6.4).

        ``log_mean_exp(weights) + log_partition_zero_weights()`` estimates log Z. The visible
        layer is summed out analytically; the hidden states anneal through the models with
        weights ``beta W`` (Gaussian types: weights and visible bias times ``sqrt(beta)``).
        """
        betas = _temperatures(n_temperatures, temperatures)
        n_particles = check_int(n_particles, "n_particles", minimum=1)
        burn_in = check_int(burn_in, "burn_in", minimum=0)
        return _core.typed_ais_log_weights(*self._log_partition_model(), betas, n_particles, burn_in,
                                           seed_to_uint64(seed))

    def log_partition(self, method="ais", n_temperatures=100, temperatures=None, n_particles=100, burn_in=5,
                      seed=None):
        """log Z as ``LogEstimate(value, sd)``: AIS (sd by the delta method) or ``method="exact"`` (sd 0)."""
        check_choice(method, "method", ("ais", "exact"))
        if method == "exact":
            return LogEstimate(self.exact_log_partition(), 0.0)
        log_weights = self.ais_log_weights(n_temperatures, temperatures, n_particles, burn_in, seed)
        return LogEstimate(float(log_mean_exp(log_weights) + self.log_partition_zero_weights()),
                           ais_standard_deviation(log_weights))

    def log_likelihood(self, X, method="ais", log_partition=None, n_temperatures=100, temperatures=None,
                       n_particles=100, burn_in=5, seed=None):
        """Mean log-likelihood (log density for Gaussian units) ``-mean(F(X)) - log Z``.

        log Z from :meth:`log_partition` unless ``log_partition`` (a LogEstimate or float) is given.
        """
        W = self._parameters()[0]
        free_energy = self.free_energy(self._check_visible(as_matrix(X, "X", dtype=W.dtype, n_columns=W.shape[0]),
                                                           "X"))
        if log_partition is None:
            log_z = self.log_partition(method, n_temperatures, temperatures, n_particles, burn_in, seed)
        elif isinstance(log_partition, tuple):
            log_z = LogEstimate(float(log_partition[0]), float(log_partition[1]))
        else:
            log_z = LogEstimate(check_real(log_partition, "log_partition"), 0.0)
        return LogEstimate(float(-np.mean(free_energy, dtype=np.float64) - log_z.value), log_z.sd)

    def exact_log_likelihood(self, V):
        """Mean over the rows of ``V`` of the exact ``-F(v) - log Z`` (in float64)."""
        model = self._model(np.float64)
        V = self._check_visible(as_matrix(V, "V", n_columns=model[2].shape[0]), "V")
        return float(-_core.typed_free_energy(*model, V).mean() - self.exact_log_partition())

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
        """(W, b, c, sigma) as C-contiguous arrays of ``dtype`` (default: the model's), checked."""
        name = type(self).__name__
        if not all(hasattr(self, a) for a in ("weights_", "visible_bias_", "hidden_bias_")):
            raise ValueError(f"this {name} is not fitted: call fit(X) or assign weights_, visible_bias_ and "
                             "hidden_bias_")
        dtype = self._dtype() if dtype is None else dtype
        W = as_matrix(self.weights_, "weights_", dtype=dtype)
        b = np.ascontiguousarray(self.visible_bias_, dtype=dtype)
        c = np.ascontiguousarray(self.hidden_bias_, dtype=dtype)
        if b.shape != (W.shape[0],) or c.shape != (W.shape[1],):
            raise ValueError(f"parameters do not fit: weights_ has shape {W.shape}, visible_bias_ {b.shape}, "
                             f"hidden_bias_ {c.shape}")
        if not (np.all(np.isfinite(b)) and np.all(np.isfinite(c))):
            raise ValueError("visible_bias_ or hidden_bias_ contains NaN or infinite values")
        return W, b, c, self._sigma(W.shape[0], dtype)

    def _sigma(self, n_visible, dtype):  # noqa: ARG002 (overridden by the Gaussian types)
        return np.empty(0, dtype=dtype)


_COMMON_PARAMETERS = """
    Parameters
    ----------
    n_hidden : int or None, default None
        Hidden units; ``None``: as many as the data has columns.
    epochs : int, default 10
    learning_rate : float, default 0.005
    learning_rates : sequence of float or None
        One step size per epoch (at least ``epochs`` values); overrides ``learning_rate``.
    batch_size : int, default 1
    cd_steps : int, default 1
    pcd : {True, False, "tieleman"}, default True
        Negative phase, as :class:`~condgen.BernoulliRBM`.
    n_chains : int or None
        Persistent chains for ``pcd="tieleman"`` (default ``batch_size``).
    up_factor, down_factor : float, default 1.0
        Factors on the whole input of the hidden / visible units (DBM pre-training).
    dtype : numpy.float64 or numpy.float32
    seed : None, int or numpy.random.Generator
    monitor : callable or None
        ``monitor(model, epoch)`` after every epoch.
    progress : bool or None
"""

_GAUSSIAN_PARAMETERS = """    sd_learning_rate : float, default 0.0
        Step size of the standard deviations (0: kept at their initial values).
    sd_learning_rates : sequence of float or None
        One per epoch; overrides ``sd_learning_rate``.
    sd_init_factor : float, default 0.0
        If positive, the initial standard deviations (the columns' sample standard deviations)
        are multiplied by it.
"""

_ATTRIBUTES = """
    Attributes
    ----------
    weights_ : ndarray of shape (n_visible, n_hidden)
    visible_bias_ : ndarray of shape (n_visible,)
    hidden_bias_ : ndarray of shape (n_hidden,)
    n_epochs_ : int
"""


class Binomial2BernoulliRBM(_TypedRBM):
    __doc__ = """RBM with visible units in {0, 1, 2} (e.g. genotypes) and binary hidden units.

    Equivalent to a :class:`~condgen.BernoulliRBM` in which every visible variable is two binary
    units sharing weights and bias, the value being the number of active copies
    (boltzmann.md §1.2): ``E(v, h) = -v^T W h - b^T v - c^T h - log(2) #{i : v_i = 1}``,
    ``E[v_i | h] = 2 sigmoid((h W^T + b)_i)``. Updates of ``W`` and ``b`` use half the learning
    rate (the duplicated units' gradient).
""" + _COMMON_PARAMETERS + _ATTRIBUTES

    _visible_code = _BINOMIAL2
    _value_range = (0.0, 2.0)

    def _check_visible(self, V, name):
        bad = (V != 0) & (V != 1) & (V != 2)
        if np.any(bad):
            row, col = np.argwhere(bad)[0]
            raise ValueError(f"{name} must hold values in {{0, 1, 2}}, found {V[row, col]:g} at row {row}, "
                             f"column {col}")
        return V

    def _init_parameters(self, X, n_hidden, rng):
        W = rng.standard_normal((X.shape[1], n_hidden)) / math.sqrt(X.shape[1])
        return W, _logit_of_means(X / 2), np.zeros(n_hidden), np.empty(0)

    def _visible_start(self, n, biased, rng):
        b = np.asarray(self.visible_bias_, dtype=np.float64)
        p = _sigmoid(b) if biased else np.full(len(b), 0.5)
        return ((rng.random((n, len(b))) < p).astype(np.float64) + (rng.random((n, len(b))) < p))


class _GaussianVisibleRBM(_TypedRBM):
    """Gaussian visible units with learnable standard deviations ``visible_sd_``."""

    _visible_code = _GAUSSIAN
    _value_range = None

    def __init__(self, n_hidden=None, epochs=10, learning_rate=0.005, learning_rates=None, batch_size=1,
                 cd_steps=1, pcd=True, n_chains=None, up_factor=1.0, down_factor=1.0, dtype=np.float64,
                 seed=None, monitor=None, progress=False, sd_learning_rate=0.0, sd_learning_rates=None,
                 sd_init_factor=0.0):
        super().__init__(n_hidden=n_hidden, epochs=epochs, learning_rate=learning_rate,
                         learning_rates=learning_rates, batch_size=batch_size, cd_steps=cd_steps, pcd=pcd,
                         n_chains=n_chains, up_factor=up_factor, down_factor=down_factor, dtype=dtype,
                         seed=seed, monitor=monitor, progress=progress)
        self.sd_learning_rate = sd_learning_rate
        self.sd_learning_rates = sd_learning_rates
        self.sd_init_factor = sd_init_factor

    def _check_visible(self, V, name):  # noqa: ARG002 (any finite value; as_matrix checked that)
        return V

    def _sd_learning_rates(self, epochs):
        return per_epoch_rates(self.sd_learning_rate, self.sd_learning_rates, epochs, "sd_learning_rate")

    def _init_parameters(self, X, n_hidden, rng):
        if X.shape[0] < 2:
            raise ValueError("X needs at least 2 rows to initialise the standard deviations")
        sigma = X.std(axis=0, ddof=1, dtype=np.float64)
        constant = np.flatnonzero(~(sigma > 0))
        if constant.size:
            raise ValueError(f"X has constant columns {constant.tolist()[:10]}: Gaussian units need a positive "
                             "standard deviation (drop the columns or add noise)")
        W = rng.standard_normal((X.shape[1], n_hidden)) / math.sqrt(X.shape[1])
        if self._visible_code == _GAUSSIAN2:
            W = W * sigma[:, None]
        factor = check_real(self.sd_init_factor, "sd_init_factor", minimum=0.0)
        if factor > 0:  # after the weights, as Julia's fitrbm
            sigma = sigma * factor
        return W, X.mean(axis=0, dtype=np.float64), np.zeros(n_hidden), sigma

    def _set_parameters(self, W, b, c, sigma):
        super()._set_parameters(W, b, c, sigma)
        self.visible_sd_ = sigma

    def _sigma(self, n_visible, dtype):
        if not hasattr(self, "visible_sd_"):
            raise ValueError(f"this {type(self).__name__} has no visible_sd_: call fit(X) or assign it")
        sigma = np.ascontiguousarray(self.visible_sd_, dtype=dtype)
        if sigma.shape != (n_visible,):
            raise ValueError(f"visible_sd_ has shape {sigma.shape}, expected ({n_visible},)")
        if not np.all(np.isfinite(sigma) & (sigma > 0)):
            raise ValueError("visible_sd_ must hold positive finite values")
        return sigma

    def _visible_start(self, n, biased, rng):
        b = np.asarray(self.visible_bias_, dtype=np.float64)
        noise = rng.standard_normal((n, len(b)))
        if not biased:
            return noise
        return b + np.asarray(self.visible_sd_, dtype=np.float64) * noise


class GaussianBernoulliRBM(_GaussianVisibleRBM):
    __doc__ = """RBM with Gaussian visible and binary hidden units (Krizhevsky / Hinton parametrisation).

    ``E(v, h) = sum_i (v_i - b_i)^2 / (2 sigma_i^2) - (v / sigma)^T W h - c^T h`` (boltzmann.md
    §1.3): ``P(h_j = 1 | v) = sigmoid(((v / sigma) W + c)_j)``, ``v | h ~ N(b + sigma (h W^T), sigma^2)``.
    Initialisation: ``b`` = column means, ``sigma`` = column standard deviations; constant columns
    are rejected.
""" + _COMMON_PARAMETERS + _GAUSSIAN_PARAMETERS + _ATTRIBUTES + """    visible_sd_ : ndarray of shape (n_visible,)
        Standard deviations ``sigma`` (always positive).
"""


class GaussianBernoulliRBM2(_GaussianVisibleRBM):
    __doc__ = """RBM with Gaussian visible and binary hidden units (Cho et al. 2011 parametrisation).

    ``E(v, h) = sum_i (v_i - b_i)^2 / (2 sigma_i^2) - (v / sigma^2)^T W h - c^T h`` (boltzmann.md
    §1.4): ``P(h_j = 1 | v) = sigmoid(((v / sigma^2) W + c)_j)``, ``v | h ~ N(b + h W^T, sigma^2)``.
    Initialisation as :class:`GaussianBernoulliRBM`, with the rows of ``W`` multiplied by ``sigma``.
""" + _COMMON_PARAMETERS + _GAUSSIAN_PARAMETERS + _ATTRIBUTES + """    visible_sd_ : ndarray of shape (n_visible,)
        Standard deviations ``sigma`` (always positive).
"""

    _visible_code = _GAUSSIAN2


class BernoulliGaussianRBM(_TypedRBM):
    __doc__ = """RBM with binary visible units and Gaussian hidden units of unit variance.

    ``E(v, h) = sum_j (h_j - c_j)^2 / 2 - b^T v - v^T W h`` (boltzmann.md §1.5):
    ``h | v ~ N(v W + c, 1)``, ``P(v_i = 1 | h) = sigmoid((h W^T + b)_i)``. The model is a
    :class:`GaussianBernoulliRBM` with the layers swapped (weights ``W^T``, visible bias ``c``,
    hidden bias ``b``, ``sigma = 1``); its log Z (exact: enumerating the visible layer, or AIS)
    is computed that way.
""" + _COMMON_PARAMETERS + _ATTRIBUTES

    _hidden_code = _HIDDEN_GAUSSIAN

    def _log_partition_model(self):
        W, b, c, _ = self._parameters(np.float64)
        return (_GAUSSIAN, _HIDDEN_BERNOULLI, np.ascontiguousarray(W.T), c, b, np.ones(c.size), [])


class Softmax0BernoulliRBM(_TypedRBM):
    __doc__ = """RBM with categorical visible units in the one-or-none coding and binary hidden units.

    A variable with ``K`` categories occupies ``K - 1`` consecutive visible columns: category 0
    is all zeros, category ``k >= 1`` a single 1 in column ``k`` of its group (see
    :func:`condgen.data.one_or_none_encode`). The energy is the Bernoulli one on valid vectors;
    given ``h``, each group is categorical with ``P(k) = exp(a_k) / (1 + sum_l exp(a_l))``,
    ``a = h W^T + b`` (boltzmann.md §1.6). With ``K = 2`` it is a :class:`~condgen.BernoulliRBM`.
""" + _COMMON_PARAMETERS + """    categories : int or sequence of int
        ``K`` for every variable, or one ``K`` per variable (each at least 2). Required.
""" + _ATTRIBUTES + """    categories_ : list of int
        Categories per variable.
"""

    _visible_code = _SOFTMAX0

    def __init__(self, categories=None, n_hidden=None, epochs=10, learning_rate=0.005, learning_rates=None,
                 batch_size=1, cd_steps=1, pcd=True, n_chains=None, up_factor=1.0, down_factor=1.0,
                 dtype=np.float64, seed=None, monitor=None, progress=False):
        super().__init__(n_hidden=n_hidden, epochs=epochs, learning_rate=learning_rate,
                         learning_rates=learning_rates, batch_size=batch_size, cd_steps=cd_steps, pcd=pcd,
                         n_chains=n_chains, up_factor=up_factor, down_factor=down_factor, dtype=dtype,
                         seed=seed, monitor=monitor, progress=progress)
        self.categories = categories

    def _resolve_categories(self, n_visible):
        categories = self.categories
        if categories is None:
            raise ValueError("categories is required for Softmax0BernoulliRBM (an int or one int per variable)")
        if isinstance(categories, numbers.Integral) and not isinstance(categories, (bool, np.bool_)):
            k = check_int(categories, "categories", minimum=2)
            if n_visible % (k - 1):
                raise ValueError(f"{n_visible} visible columns are not a multiple of categories - 1 = {k - 1}")
            return [k] * (n_visible // (k - 1))
        try:
            ks = [check_int(k, f"categories[{i}]", minimum=2) for i, k in enumerate(categories)]
        except TypeError:
            raise ValueError(f"categories must be an int or a sequence of ints, got {categories!r}") from None
        if sum(k - 1 for k in ks) != n_visible:
            raise ValueError(f"categories {ks} need {sum(k - 1 for k in ks)} visible columns, got {n_visible}")
        return ks

    def _prepare_fit(self, n_visible):
        self.categories_ = self._resolve_categories(n_visible)

    def _groups(self):
        if not hasattr(self, "categories_"):
            if not hasattr(self, "weights_"):
                raise ValueError("this Softmax0BernoulliRBM is not fitted: call fit(X)")
            self.categories_ = self._resolve_categories(np.shape(self.weights_)[0])
        return [k - 1 for k in self.categories_]

    def _check_visible(self, V, name):
        check_binary(V, name)
        start = 0
        for size in self._groups_for(V.shape[1]):
            counts = V[:, start:start + size].sum(axis=1)
            if np.any(counts > 1):
                row = int(np.argmax(counts > 1))
                raise ValueError(f"{name} row {row} has several ones in the one-or-none group of columns "
                                 f"{start}..{start + size - 1}")
            start += size
        return V

    def _groups_for(self, n_visible):
        if hasattr(self, "categories_") and sum(k - 1 for k in self.categories_) == n_visible:
            return [k - 1 for k in self.categories_]
        return [k - 1 for k in self._resolve_categories(n_visible)]

    def _visible_start(self, n, biased, rng):
        b = np.asarray(self.visible_bias_, dtype=np.float64)
        V = np.zeros((n, b.size))
        start = 0
        for size in self._groups():
            if biased:  # softmax0 of the bias: weights exp(b_k) against 1 for the reference
                weights = np.concatenate([[1.0], np.exp(b[start:start + size] - max(0.0, b[start:start + size].max()))
                                          / np.exp(-max(0.0, b[start:start + size].max()))])
                p = weights / weights.sum()
            else:
                p = np.full(size + 1, 1.0 / (size + 1))
            category = rng.choice(size + 1, size=n, p=p)
            rows = np.flatnonzero(category > 0)
            V[rows, start + category[rows] - 1] = 1.0
            start += size
        return V
