"""Partitioned RBMs and multimodal DBMs: several data types side by side in one model.

Spec: boltzmann.md §1.7 (PartitionedRBM), §1.8 (MultimodalDBM), §3.2-§3.3 (per-block and
per-layer pre-training, Julia's ``TrainPartitionedLayer`` / ``TrainLayer``), §4 (fine-tuning),
§5.2-§5.3 (Gibbs sampling, clamping), §6.6-§6.7 (AIS, likelihood).

A :class:`PartitionedRBM` places independent RBMs (any unit types) side by side: visible and
hidden units are consecutive blocks, with no weights between blocks. A :class:`MultimodalDBM`
puts Bernoulli layers on top of such a first layer, so that e.g. SNP genotypes (Binomial(2)
units) and gene expression (Gaussian units) are connected through shared hidden layers, and
one modality can be sampled given the other.
"""

from __future__ import annotations

import copy
import itertools
import math

import numpy as np

from . import _core
from ._estimator import Estimator
from ._progress import progress_bar
from ._random import as_generator, seed_to_uint64
from ._validation import (as_matrix, check_binary, check_choice, check_int, check_real, check_unit_interval,
                          visible_columns)
from .dbm import _train_layers
from .likelihood import (
    LogEstimate,
    _as_log_estimate,
    _combined_biases,
    _estimate,
    _hidden_log_partitions,
    _temperatures,
    log_mean_exp,
    log_partition_zero_weights,
)
from .rbm import BernoulliRBM
from .rbm_types import _TypedRBM

__all__ = ["MultimodalDBM", "PartitionedRBM", "join_dbms", "join_rbms"]

# MultimodalDBM.exact_log_partition loops in Python over 2^n configurations of the even hidden
# layers, each summing the first layer exactly (its own enumeration of h1): tiny models only.
MAX_EXACT_EVEN_UNITS = 12


def _zero_weight_log_partition(rbm):
    if isinstance(rbm, BernoulliRBM):
        return log_partition_zero_weights(rbm)
    return rbm.log_partition_zero_weights()


_RBM_CLASSES = (BernoulliRBM, _TypedRBM)  # the parts a PartitionedRBM can hold


def _n_hidden(rbm):
    return rbm.n_hidden_ if isinstance(rbm, PartitionedRBM) else np.shape(rbm.weights_)[1]


def _n_visible(rbm):
    return rbm.n_visible_ if isinstance(rbm, PartitionedRBM) else np.shape(rbm.weights_)[0]


def _shifted_log_partition(rbm, shift):
    """Exact log Z of a fitted RBM (or PartitionedRBM) with ``shift`` added to its hidden biases."""
    if isinstance(rbm, PartitionedRBM):
        return sum(_shifted_log_partition(part, shift[r]) for part, r in zip(rbm.parts_, rbm.hidden_ranges_))
    shifted = copy.copy(rbm)
    shifted.hidden_bias_ = np.asarray(rbm.hidden_bias_, dtype=np.float64) + shift
    return shifted.exact_log_partition()


def _check_visible_values(rbm, V, name, expectations=False):
    """Raise ValueError unless V holds visible states of the (partitioned) RBM's unit types, or with
    ``expectations`` values in their ranges (Bernoulli blocks in [0, 1])."""
    if isinstance(rbm, PartitionedRBM):
        for part, r in zip(rbm.parts_, rbm.visible_ranges_):
            _check_visible_values(part, V[:, r], f"{name} (columns {r.start}..{r.stop - 1})", expectations)
    elif isinstance(rbm, BernoulliRBM):
        (check_unit_interval if expectations else check_binary)(V, name)
    elif expectations:
        rbm._check_range(V, name)
    else:
        rbm._check_visible(V, name)


def _hidden_input(rbm, V):
    """Pre-activation of the hidden units of a fitted RBM of any unit type, or of a PartitionedRBM."""
    if isinstance(rbm, PartitionedRBM):
        return np.hstack([_hidden_input(part, V[:, r]) for part, r in zip(rbm.parts_, rbm.visible_ranges_)])
    W = np.asarray(rbm.weights_, dtype=np.float64)
    c = np.asarray(rbm.hidden_bias_, dtype=np.float64)
    code = getattr(rbm, "_visible_code", 0)
    if code in (2, 3):  # Gaussian visible units enter as v / sigma or v / sigma^2
        sigma = np.asarray(rbm.visible_sd_, dtype=np.float64)
        V = V / (sigma if code == 2 else sigma**2)
    return V @ W + c


class PartitionedRBM(Estimator):
    """Independent RBMs side by side (boltzmann.md §1.7, Julia's ``PartitionedRBM``).

    Each part sees its own consecutive block of visible columns and has its own consecutive
    block of hidden units; every operation works block by block, and free energies and log
    partition functions add up.

    Parameters
    ----------
    parts : sequence of RBM estimators
        E.g. ``[Binomial2BernoulliRBM(n_hidden=10, ...), GaussianBernoulliRBM(n_hidden=5, ...)]``;
        each carries its own training settings (Julia's ``TrainPartitionedLayer``). ``fit``
        trains copies; the given objects are never modified.
    n_visibles : sequence of int or None
        Visible columns per part; at most one entry may be None (it gets the remaining columns).
        Default: all None for a single part.

    Attributes
    ----------
    parts_ : list of fitted RBMs
    visible_ranges_, hidden_ranges_ : list of slice
        The columns of each part in the visible and hidden layers.
    """

    def __init__(self, parts, n_visibles=None):
        self.parts = parts
        self.n_visibles = n_visibles

    @classmethod
    def from_rbms(cls, rbms):
        """A fitted PartitionedRBM made of copies of fitted RBMs, in order."""
        rbms = [copy.deepcopy(rbm) for rbm in rbms]
        if not rbms:
            raise ValueError("rbms must contain at least one fitted RBM")
        for i, rbm in enumerate(rbms):
            if not hasattr(rbm, "weights_"):
                raise ValueError(f"rbms[{i}] is not fitted (no weights_)")
        model = cls(parts=rbms, n_visibles=[_n_visible(rbm) for rbm in rbms])
        model._adopt(rbms)
        return model

    def _adopt(self, fitted):
        self.parts_ = fitted
        self.visible_ranges_, self.hidden_ranges_ = [], []
        v = h = 0
        for rbm in fitted:
            self.visible_ranges_.append(slice(v, v + _n_visible(rbm)))
            self.hidden_ranges_.append(slice(h, h + _n_hidden(rbm)))
            v += _n_visible(rbm)
            h += _n_hidden(rbm)
        self.n_visible_, self.n_hidden_ = v, h

    def _check_layout(self):
        """The stored blocks must be the parts' sizes side by side (checked on loading a file)."""
        layout = copy.copy(self)
        layout._adopt(self.parts_)
        for name in ("visible_ranges_", "hidden_ranges_", "n_visible_", "n_hidden_"):
            if getattr(layout, name) != getattr(self, name):
                raise ValueError(f"{name} does not match the parts' sizes")

    def _block_sizes(self, n_columns):
        if isinstance(self.parts, (str, bytes)) or not hasattr(self.parts, "__iter__"):
            raise ValueError(f"parts must be a sequence of RBM estimators, got {self.parts!r}")
        parts = list(self.parts)
        if not parts:
            raise ValueError("parts must contain at least one RBM")
        for i, part in enumerate(parts):
            if not isinstance(part, _RBM_CLASSES):
                raise ValueError(f"parts[{i}] must be an RBM (BernoulliRBM or one of condgen's typed RBMs), got "
                                 f"a {type(part).__name__}")
        if self.n_visibles is not None and (isinstance(self.n_visibles, (str, bytes))
                                            or not hasattr(self.n_visibles, "__iter__")):
            raise ValueError(f"n_visibles must be a sequence of ints (or None entries), got {self.n_visibles!r}")
        sizes = [None] * len(parts) if self.n_visibles is None else list(self.n_visibles)
        if len(sizes) != len(parts):
            raise ValueError(f"n_visibles has {len(sizes)} entries but there are {len(parts)} parts")
        if sum(size is None for size in sizes) > 1:
            raise ValueError("at most one entry of n_visibles may be None")
        known = [check_int(size, f"n_visibles[{i}]", minimum=1) for i, size in enumerate(sizes) if size is not None]
        if None in sizes:
            rest = n_columns - sum(known)
            if rest < 1:
                raise ValueError(f"the parts with given n_visibles use {sum(known)} of the {n_columns} columns, "
                                 "none are left for the part without")
            sizes[sizes.index(None)] = rest
        if sum(sizes) != n_columns:
            raise ValueError(f"n_visibles add up to {sum(sizes)} but X has {n_columns} columns")
        return sizes

    def fit(self, X, up_factor=None, down_factor=None):
        """Fit every part on its block of columns of ``X``; returns self.

        ``up_factor`` / ``down_factor`` override the parts' own factors (DBM pre-training).
        """
        X = as_matrix(X, "X")
        return self._fit_blocks(X, up_factor, down_factor)

    def _fit_blocks(self, X, up_factor=None, down_factor=None, seed=None):
        sizes = self._block_sizes(X.shape[1])
        rng = None if seed is None else as_generator(seed)
        fitted, start = [], 0
        for i, (part, size) in enumerate(zip(self.parts, sizes)):
            part = copy.deepcopy(part)
            if up_factor is not None:
                part.up_factor = up_factor
            if down_factor is not None:
                part.down_factor = down_factor
            if rng is not None:
                part.seed = rng
            block = X[:, start:start + size]
            try:
                part.fit(block)
            except ValueError as error:
                raise ValueError(f"parts[{i}] (columns {start}..{start + size - 1}): {error}") from None
            fitted.append(part)
            start += size
        self._adopt(fitted)
        return self

    def _check_fitted(self):
        if not hasattr(self, "parts_"):
            raise ValueError("this PartitionedRBM is not fitted: call fit(X) or build it with from_rbms")

    def _split(self, A, ranges, units, name):
        A = as_matrix(A, name, n_columns=units)
        return [A[:, r] for r in ranges]

    def hidden_probs(self, V, factor=1.0):
        """``E[h | v]`` of every part, side by side."""
        self._check_fitted()
        blocks = self._split(V, self.visible_ranges_, self.n_visible_, "V")
        return np.hstack([np.asarray(p.hidden_probs(b, factor), dtype=np.float64)
                          for p, b in zip(self.parts_, blocks)])

    def visible_probs(self, H, factor=1.0):
        """``E[v | h]`` of every part, side by side (the factor reaches every part; Julia drops it)."""
        self._check_fitted()
        blocks = self._split(H, self.hidden_ranges_, self.n_hidden_, "H")
        return np.hstack([np.asarray(p.visible_probs(b, factor), dtype=np.float64)
                          for p, b in zip(self.parts_, blocks)])

    def transform(self, V):
        """Hidden potentials of ``V``."""
        return self.hidden_probs(V)

    def sample_hidden(self, V, seed=None):
        """Hidden states drawn from ``P(h | v)``."""
        self._check_fitted()
        rng = as_generator(seed)
        blocks = self._split(V, self.visible_ranges_, self.n_visible_, "V")
        return np.hstack([np.asarray(p.sample_hidden(b, seed=rng), dtype=np.float64)
                          for p, b in zip(self.parts_, blocks)])

    def sample_visible(self, H, seed=None):
        """Visible states drawn from ``P(v | h)``."""
        self._check_fitted()
        rng = as_generator(seed)
        blocks = self._split(H, self.hidden_ranges_, self.n_hidden_, "H")
        return np.hstack([np.asarray(p.sample_visible(b, seed=rng), dtype=np.float64)
                          for p, b in zip(self.parts_, blocks)])

    def free_energy(self, V):
        """Free energy of every row: the sum of the parts' free energies."""
        self._check_fitted()
        blocks = self._split(V, self.visible_ranges_, self.n_visible_, "V")
        return sum(np.asarray(p.free_energy(b), dtype=np.float64) for p, b in zip(self.parts_, blocks))

    def exact_log_partition(self):
        """Sum of the parts' exact log partition functions."""
        self._check_fitted()
        return float(sum(p.exact_log_partition() for p in self.parts_))

    def log_partition_zero_weights(self):
        """Sum of the parts' zero-weight log partition functions (boltzmann.md §6.2)."""
        self._check_fitted()
        return float(sum(_zero_weight_log_partition(p) for p in self.parts_))

    def log_partition(self, method="ais", seed=None, **ais_kwargs):
        """Sum of the parts' log Z estimates (AIS per part or exact); sds added in quadrature."""
        self._check_fitted()
        rng = as_generator(seed)
        estimates = [p.log_partition(method, seed=rng, **ais_kwargs) for p in self.parts_]
        return LogEstimate(float(sum(e.value for e in estimates)), math.sqrt(sum(e.sd**2 for e in estimates)))

    def exact_log_likelihood(self, V):
        """Mean exact log-likelihood: the sum of the parts' (the blocks are independent)."""
        self._check_fitted()
        blocks = self._split(V, self.visible_ranges_, self.n_visible_, "V")
        return float(sum(p.exact_log_likelihood(b) for p, b in zip(self.parts_, blocks)))

    def init_particles(self, n, biased=False, seed=None):
        """Starting states ``(V, H)`` of ``n`` chains, part by part (boltzmann.md §5.4)."""
        self._check_fitted()
        rng = as_generator(seed)
        pairs = [p.init_particles(n, biased=biased, seed=rng) for p in self.parts_]
        return (np.hstack([v.astype(np.float64) for v, _ in pairs]),
                np.hstack([h.astype(np.float64) for _, h in pairs]))

    def gibbs(self, particles, steps=1, seed=None):
        """Alternating Gibbs steps on ``(V, H)`` in place, each part on its own blocks."""
        self._check_fitted()
        try:
            V, H = particles
        except (TypeError, ValueError):
            raise ValueError("particles must be a pair (V, H) of arrays, e.g. from init_particles") from None
        for name, array, units in (("visible", V, self.n_visible_), ("hidden", H, self.n_hidden_)):
            if not isinstance(array, np.ndarray) or array.ndim != 2 or array.shape[1] != units:
                raise ValueError(f"{name} particles must be a 2-D array with {units} columns")
        if V.shape[0] != H.shape[0]:
            raise ValueError(f"visible and hidden particles have different numbers of rows: {len(V)} and {len(H)}")
        rng = as_generator(seed)
        for part, vr, hr in zip(self.parts_, self.visible_ranges_, self.hidden_ranges_):
            dtype = np.asarray(part.weights_).dtype
            v, h = np.ascontiguousarray(V[:, vr], dtype=dtype), np.ascontiguousarray(H[:, hr], dtype=dtype)
            part.gibbs((v, h), steps=steps, seed=rng)
            V[:, vr], H[:, hr] = v, h
        return particles

    def sample(self, n, burn_in=50, seed=None):
        """``n`` visible samples after ``burn_in`` Gibbs steps (the parts are independent)."""
        rng = as_generator(seed)
        particles = self.init_particles(n, seed=rng)
        self.gibbs(particles, steps=check_int(burn_in, "burn_in", minimum=0), seed=rng)
        return particles[0]


class MultimodalDBM(Estimator):
    """A DBM whose first layer is a :class:`PartitionedRBM` (or any RBM type), with Bernoulli
    layers above (boltzmann.md §1.8, Julia's ``MultimodalDBM``).

    ``fit`` is Julia's ``fitdbm`` (§3-§4): greedy layer-wise pre-training
    (``stackrbms(predbm=true)``), the first layer trained block by block with its parts' own
    settings and factors up 2 / down 1, each higher layer as a :class:`~condgen.BernoulliRBM` on
    the doubled-input hidden probabilities ``s(2 (Y W + c))`` of the layer below (factors 2 / 2,
    top layer 1 / 2); then fine-tuning of all layers together: per minibatch, ``gibbs_steps``
    sweeps on persistent chains (negative phase), mean-field inference on the data (positive
    phase) and one gradient step per RBM with its unit types' gradient (§2.4, §4.3). Gibbs sweeps
    are alternating (odd unit layers given the even ones, then the even ones), a valid Gibbs
    sampler (§5.2). One C++ call runs a whole fine-tuning epoch or sampling run
    (``cpp/src/multimodal.cpp``), with the per-type kernels of the RBM types on the first layer's
    blocks.

    Parameters
    ----------
    first_layer : PartitionedRBM or RBM estimator
        Unfitted; its (parts') hyperparameters are the per-block training settings, e.g.
        ``PartitionedRBM([Binomial2BernoulliRBM(n_hidden=8, ...), GaussianBernoulliRBM(n_hidden=8, ...)],
        n_visibles=[n_snps, None])``.
    n_hiddens : sequence of int, optional
        Hidden units of the Bernoulli layers above the first layer (at least one); default
        ``[10]``, or the ``n_hidden`` of ``pretrain_layers`` when given.
    epochs, learning_rate, batch_size, pcd, cd_steps
        Pre-training settings of the Bernoulli layers (as :class:`~condgen.BernoulliRBM`).
    pretrain_layers : sequence of TrainLayer or dict, optional
        Per-layer pre-training settings of the Bernoulli layers, bottom up (Julia's
        ``TrainLayer``): ``n_hidden`` and optionally ``epochs``, ``learning_rate``,
        ``batch_size``, ``pcd``, ``cd_steps`` and ``centering``; a field left at ``None`` takes
        the setting above (``centering``: the BernoulliRBM default). They define the layers
        above the first one.
    fine_tune_epochs : int
        Epochs of fine-tuning all layers together (0: pre-training only).
    fine_tune_learning_rate : float
        Initial fine-tuning step, decaying as ``lr * 11 / (10 + epoch)`` (as Julia's ``fitdbm``).
    fine_tune_batch_size : int, optional
        Rows per fine-tuning update; default ``ceil(n_rows / 10)`` (ten updates per epoch, as the
        condgen preset of :class:`~condgen.DBM`).
    sd_fine_tune_learning_rate : float
        Fine-tuning step of the standard deviations of Gaussian units (0: kept).
    n_particles, gibbs_steps : int
        Persistent chains of the negative phase and Gibbs sweeps on them before every update.
    mean_field_tol, mean_field_max_iter : float, int
        Stopping rule of the mean-field positive phase.
    seed : None, int or numpy.random.Generator
    progress : bool or None

    Attributes
    ----------
    layers_ : list
        The fitted first layer, then the BernoulliRBMs; layer ``l`` connects unit layers ``l`` and
        ``l + 1``.
    n_features_in_ : int
    fine_tune_particles_ : list of ndarray
        The persistent chains after fine-tuning (one array per unit layer).
    mean_field_iterations_ : list of int
        Per fine-tuning epoch, the largest number of mean-field iterations of a row chunk.
    """

    def __init__(self, first_layer, n_hiddens=None, epochs=10, learning_rate=0.005, batch_size=1, pcd=True,
                 cd_steps=1, pretrain_layers=None, fine_tune_epochs=10, fine_tune_learning_rate=0.01,
                 fine_tune_batch_size=None, sd_fine_tune_learning_rate=0.0, n_particles=100, gibbs_steps=5,
                 mean_field_tol=1e-3, mean_field_max_iter=100, seed=None, progress=False):
        self.first_layer = first_layer
        self.n_hiddens = n_hiddens
        self.epochs = epochs
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.pcd = pcd
        self.cd_steps = cd_steps
        self.pretrain_layers = pretrain_layers
        self.fine_tune_epochs = fine_tune_epochs
        self.fine_tune_learning_rate = fine_tune_learning_rate
        self.fine_tune_batch_size = fine_tune_batch_size
        self.sd_fine_tune_learning_rate = sd_fine_tune_learning_rate
        self.n_particles = n_particles
        self.gibbs_steps = gibbs_steps
        self.mean_field_tol = mean_field_tol
        self.mean_field_max_iter = mean_field_max_iter
        self.seed = seed
        self.progress = progress

    def _layer_specs(self):
        """Pre-training settings of the Bernoulli layers (BernoulliRBM keyword arguments), bottom up."""
        defaults = {"epochs": self.epochs, "learning_rate": self.learning_rate, "batch_size": self.batch_size,
                    "pcd": self.pcd, "cd_steps": self.cd_steps}
        layers = _train_layers(self.pretrain_layers, self.n_hiddens, default_n_hiddens=[10])
        specs = []
        for i, layer in enumerate(layers):
            name = f"pretrain_layers[{i}]" if self.pretrain_layers is not None else f"n_hiddens[{i}]"
            spec = {"n_hidden": check_int(layer.n_hidden, name if self.pretrain_layers is None else f"{name}.n_hidden",
                                          minimum=1)}
            for field, default in defaults.items():
                value = getattr(layer, field)
                spec[field] = default if value is None else value
            if layer.centering is not None:
                spec["centering"] = layer.centering
            specs.append(spec)
        return specs

    def fit(self, X, y=None):  # noqa: ARG002 - scikit-learn signature
        """Pre-train all layers on ``X`` (samples in rows, visible values of the first layer's types)."""
        X = as_matrix(X, "X")
        specs = self._layer_specs()
        rng = as_generator(self.seed)
        first = copy.deepcopy(self.first_layer)
        parts = first.parts if isinstance(first, PartitionedRBM) else [first]
        for i, part in enumerate(parts):
            if getattr(part, "_hidden_code", 0) != 0:
                where = "first_layer" if part is first else f"first_layer.parts[{i}]"
                raise ValueError(f"{where} is a {type(part).__name__}: the first layer of a MultimodalDBM needs "
                                 "Bernoulli hidden units")
        if isinstance(first, PartitionedRBM):
            first._fit_blocks(X, up_factor=2.0, down_factor=1.0, seed=rng)
        elif hasattr(first, "fit") and hasattr(first, "up_factor"):
            first.set_params(up_factor=2.0, down_factor=1.0, seed=rng)
            first.fit(X)
        else:
            raise ValueError(f"first_layer must be a PartitionedRBM or an RBM estimator, got {self.first_layer!r}")
        layers = [first]
        Y = np.asarray(first.hidden_probs(X, factor=2.0), dtype=np.float64)
        L = 1 + len(specs)
        with progress_bar(len(specs), self.progress, "MultimodalDBM layers") as bar:
            for l, spec in enumerate(specs, start=1):
                rbm = BernoulliRBM(**spec, up_factor=2.0 if l < L - 1 else 1.0, down_factor=2.0, seed=rng)
                try:
                    rbm._fit_array(np.ascontiguousarray(Y))
                except ValueError as error:
                    raise ValueError(f"Bernoulli layer {l} (pretrain_layers[{l - 1}]): {error}") from None
                layers.append(rbm)
                Y = _sigmoid(2.0 * (Y @ rbm.weights_ + rbm.hidden_bias_))
                bar.update()
        self.layers_ = layers
        self.n_features_in_ = X.shape[1]
        self._fine_tune(X, rng)
        return self

    def _fine_tune(self, X, rng):
        epochs = check_int(self.fine_tune_epochs, "fine_tune_epochs", minimum=0)
        rate = check_real(self.fine_tune_learning_rate, "fine_tune_learning_rate", minimum=0.0)
        sd_rate = check_real(self.sd_fine_tune_learning_rate, "sd_fine_tune_learning_rate", minimum=0.0)
        n = X.shape[0]
        if self.fine_tune_batch_size is None:
            batch_size = max(1, math.ceil(n / 10))
        else:
            batch_size = check_int(self.fine_tune_batch_size, "fine_tune_batch_size", minimum=1, maximum=n)
        gibbs_steps = check_int(self.gibbs_steps, "gibbs_steps", minimum=0)
        tol = check_real(self.mean_field_tol, "mean_field_tol", minimum=0.0)
        max_iter = check_int(self.mean_field_max_iter, "mean_field_max_iter", minimum=1)
        particles = self.init_particles(check_int(self.n_particles, "n_particles", minimum=1), seed=rng)
        X = np.ascontiguousarray(X, dtype=np.float64)
        model, write_back = self._kernel_model()
        self.mean_field_iterations_ = []
        with progress_bar(epochs, self.progress, "MultimodalDBM fine-tuning") as bar:
            for epoch in range(1, epochs + 1):
                lr = rate * 11.0 / (10.0 + epoch)
                order = rng.permutation(n).tolist()
                self.mean_field_iterations_.append(_core.multimodal_fine_tune_epoch(
                    *model, particles, X, order, batch_size, lr, sd_rate, gibbs_steps, tol, max_iter,
                    seed_to_uint64(rng)))
                bar.update()
        write_back()
        self.fine_tune_particles_ = particles

    def _kernel_model(self):
        """The model as the C++ kernels take it, and a function that stores updated copies back.

        Returns ``((blocks, weights, visible_biases, hidden_biases), write_back)``: the first layer
        as blocks ``(visible code, hidden code, W, b, c, sigma, groups)`` and the Bernoulli layers
        above, all float64 and C-contiguous: the fitted arrays themselves where they are already,
        else copies, which ``write_back()`` stores into the model in their original dtypes.
        """
        self._check_fitted()
        copies = []

        def array(owner, name):
            value = getattr(owner, name)
            converted = np.ascontiguousarray(value, dtype=np.float64)
            if converted is not value:
                copies.append((owner, name, np.asarray(value).dtype, converted))
            return converted

        first = self.layers_[0]
        blocks = []
        for part in first.parts_ if isinstance(first, PartitionedRBM) else [first]:
            W, b, c = array(part, "weights_"), array(part, "visible_bias_"), array(part, "hidden_bias_")
            if isinstance(part, BernoulliRBM):
                blocks.append((0, 0, W, b, c, np.empty(0), []))
            else:
                sigma = array(part, "visible_sd_") if part._gaussian_visible else np.empty(0)
                blocks.append((part._visible_code, part._hidden_code, W, b, c, sigma, part._groups()))
        upper = self.layers_[1:]
        model = (blocks, [array(layer, "weights_") for layer in upper],
                 [array(layer, "visible_bias_") for layer in upper], [array(layer, "hidden_bias_") for layer in upper])

        def write_back():
            for owner, name, dtype, converted in copies:
                setattr(owner, name, converted.astype(dtype))

        return model, write_back

    def exact_log_partition(self):
        """Exact log Z (tiny models): the even hidden layers enumerated, the rest summed out.

        Given the even hidden layers (``h2``, ``h4``, ...), the odd hidden layers above ``h1`` are
        independent Bernoulli units (summed analytically) and ``(v, h1)`` is the first layer with
        its hidden biases shifted by the input from ``h2``, whose log Z each part computes with
        its own exact code (enumerating its hidden units, summing or integrating its visible
        units). At most ``MAX_EXACT_EVEN_UNITS`` even hidden units, and the first layer's parts
        within their own exact limits.
        """
        self._check_fitted()
        L = len(self.layers_)
        even = list(range(2, L + 1, 2))
        sizes = self.layer_sizes_
        n_even = sum(sizes[k] for k in even)
        if n_even > MAX_EXACT_EVEN_UNITS:
            raise ValueError(f"exact log partition function needs 2^{n_even} configurations of the even hidden "
                             f"layers (at most 2^{MAX_EXACT_EVEN_UNITS} supported)")
        upper = [(np.asarray(layer.weights_, dtype=np.float64), np.asarray(layer.visible_bias_, dtype=np.float64),
                  np.asarray(layer.hidden_bias_, dtype=np.float64)) for layer in self.layers_[1:]]
        states = np.array(list(itertools.product([0.0, 1.0], repeat=n_even))).reshape(-1, n_even)
        x = dict(zip(even, np.split(states, np.cumsum([sizes[k] for k in even])[:-1], axis=1)))
        # Unit layer k >= 2 sits between upper[k - 2] (below) and upper[k - 1] (above, if k < L).
        terms = np.zeros(len(states))
        for k in even:
            _, _, c = upper[k - 2]
            terms += x[k] @ (c + (upper[k - 1][1] if k < L else 0.0))
        for k in range(3, L + 1, 2):
            W, _, c = upper[k - 2]
            total = x[k - 1] @ W + c
            if k < L:
                total = total + x[k + 1] @ upper[k - 1][0].T + upper[k - 1][1]
            terms += np.logaddexp(0.0, total).sum(axis=1)
        W2, b2, _ = upper[0]
        shifts = x[2] @ W2.T + b2
        terms += [_shifted_log_partition(self.layers_[0], shift) for shift in shifts]
        return float(log_mean_exp(terms) + n_even * math.log(2.0))  # log of the sum over 2^n_even terms

    def log_partition_zero_weights(self):
        """log Z of the model with all weights zero (boltzmann.md §6.2)."""
        model, _ = self._kernel_model()
        return float(_core.multimodal_log_partition_zero_weights(*model))

    def ais_log_weights(self, n_temperatures=100, temperatures=None, n_particles=100, burn_in=5, seed=None):
        """Log importance weights of AIS from the zero-weight model (boltzmann.md §6.6, "sum out A").

        The state is the odd hidden layers (``h1``, ``h3``, ...); the visible layer (block by
        block, with its unit types) and the even hidden layers are summed out analytically. The
        annealed model at ``beta`` has its weights scaled by ``beta`` (Gaussian blocks: weights and
        visible bias by ``sqrt(beta)``). The particles start as exact draws of the base model, with
        the effective biases ``c_k + b_{k+1}`` (Julia draws them with ``c_k``, which biases the
        estimate), and each temperature makes ``burn_in`` sweeps "even layers given the odd ones,
        then odd given even". ``log_mean_exp(weights) + log_partition_zero_weights()`` estimates
        log Z.

        Returns
        -------
        ndarray of shape (n_particles,)
        """
        betas = _temperatures(n_temperatures, temperatures)
        n_particles = check_int(n_particles, "n_particles", minimum=1)
        burn_in = check_int(burn_in, "burn_in", minimum=0)
        model, _ = self._kernel_model()
        return _core.multimodal_ais_log_weights(*model, betas, n_particles, burn_in,
                                                seed_to_uint64(as_generator(seed)))

    def log_partition(self, method="ais", n_temperatures=100, temperatures=None, n_particles=100, burn_in=5,
                      seed=None):
        """log Z by AIS (:meth:`ais_log_weights`) or ``method="exact"`` (:meth:`exact_log_partition`).

        Returns
        -------
        LogEstimate
            ``(value, sd)``; sd 0 for the exact value.
        """
        check_choice(method, "method", ("ais", "exact"))
        if method == "exact":
            return LogEstimate(self.exact_log_partition(), 0.0)
        log_weights = self.ais_log_weights(n_temperatures, temperatures, n_particles, burn_in, seed)
        return _estimate(log_weights, self.log_partition_zero_weights())

    def log_likelihood(self, X, log_partition=None, n_temperatures=100, temperatures=None, n_particles=100,
                       burn_in=5, seed=None, progress=None):
        """Mean log-likelihood of the rows of ``X`` (boltzmann.md §6.7).

        For each row ``log p*(v) = -E_1(v, h1 = 0) + log Z_hid(v)``, where ``Z_hid(v)`` is the
        partition function of the Bernoulli DBM above the first layer with the bottom bias
        ``c_1 + b_2 + (input from v)``, estimated by a separate AIS run per row (exact start draws,
        alternating transitions); the mean over rows minus log Z.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_visible)
            Visible values of the first layer's unit types.
        log_partition : LogEstimate, (value, sd) or float, optional
            A log Z computed before (e.g. ``log_partition(method="exact")``); AIS otherwise.
        n_temperatures, temperatures, n_particles, burn_in
            AIS settings, as in :meth:`ais_log_weights`, for log Z and the per-row runs.
        seed : None, int or numpy.random.Generator
        progress : bool or None
            Progress bar over the rows (None: only in an interactive terminal).

        Returns
        -------
        LogEstimate
            The mean log-likelihood and its standard deviation (log Z and per-row estimates).
        """
        self._check_fitted()
        X = as_matrix(X, "X", n_columns=self.n_features_in_)
        first = self.layers_[0]
        _check_visible_values(first, X, "X")
        betas = _temperatures(n_temperatures, temperatures)
        n_particles = check_int(n_particles, "n_particles", minimum=1)
        burn_in = check_int(burn_in, "burn_in", minimum=0)
        rng = as_generator(seed)
        if log_partition is None:
            log_z = self.log_partition("ais", n_temperatures, temperatures, n_particles, burn_in, seed=rng)
        else:
            log_z = _as_log_estimate(log_partition, "log_partition")
        inputs = _hidden_input(first, X)  # c_1 + (input from v), block by block
        # -E_1(v, h1 = 0) = -F_1(v) - sum softplus(inputs): the free energy sums h1 out.
        visible_term = -np.asarray(first.free_energy(X), dtype=np.float64) - np.logaddexp(0.0, inputs).sum(axis=1)
        upper = [tuple(np.ascontiguousarray(a, dtype=np.float64) for a in (layer.weights_, layer.visible_bias_,
                                                                           layer.hidden_bias_))
                 for layer in self.layers_[1:]]
        weights = [W for W, _, _ in upper]
        biases = _combined_biases(upper)  # unit layers 1..L, the first without c_1 (it is in inputs)
        bottom = np.ascontiguousarray(inputs + biases[0])
        log_z_hidden, sds = _hidden_log_partitions(weights, biases, bottom, betas, n_particles, burn_in, rng, progress)
        sd = math.sqrt(float(np.sum(sds**2)) / X.shape[0] ** 2 + log_z.sd**2)
        return LogEstimate(float((visible_term + log_z_hidden).mean() - log_z.value), sd)

    def mean_field(self, X):
        """Mean-field activations ``[X, mu_1, ..., mu_L]`` of the hidden layers given ``X`` (§4.4).

        Starts from one upward pass with doubled inputs below the top layer, then updates the
        layers in ascending order until the largest change is at most ``mean_field_tol`` or after
        ``mean_field_max_iter`` iterations (each chunk of 64 rows on its own).
        """
        self._check_fitted()
        X = as_matrix(X, "X", n_columns=self.n_features_in_)
        _check_visible_values(self.layers_[0], X, "X", expectations=True)
        tol = check_real(self.mean_field_tol, "mean_field_tol", minimum=0.0)
        max_iter = check_int(self.mean_field_max_iter, "mean_field_max_iter", minimum=1)
        model, _ = self._kernel_model()
        mu, _ = _core.multimodal_mean_field(*model, np.ascontiguousarray(X, dtype=np.float64), tol, max_iter)
        return [X, *mu]

    def _check_fitted(self):
        if not hasattr(self, "layers_"):
            raise ValueError("this MultimodalDBM is not fitted: call fit(X)")

    @property
    def layer_sizes_(self):
        """Units per unit layer, visible first."""
        self._check_fitted()
        return [self.n_features_in_] + [_n_hidden(layer) for layer in self.layers_]

    def init_particles(self, n, seed=None):
        """Unbiased random chains: the first layer's (§5.4), fair bits above."""
        self._check_fitted()
        n = check_int(n, "n", minimum=1)
        rng = as_generator(seed)
        V, H = self.layers_[0].init_particles(n, seed=rng)
        upper = [(rng.random((n, size)) < 0.5).astype(np.float64) for size in self.layer_sizes_[2:]]
        return [np.asarray(V, dtype=np.float64), np.asarray(H, dtype=np.float64), *upper]

    def gibbs_sample(self, particles, steps=1, clamp=None, seed=None):
        """Alternating Gibbs sweeps on ``particles`` (one array per unit layer) in place.

        Visible columns in ``clamp`` (indices or a boolean mask) keep the values the particles
        hold (conditional sampling). The arrays must be float64 and C-contiguous (as
        :meth:`init_particles` makes them), the hidden ones binary; the visible one may hold
        expectations as a start. One C++ call runs all sweeps.
        """
        self._check_fitted()
        sizes = self.layer_sizes_
        if not isinstance(particles, (list, tuple)) or len(particles) != len(sizes):
            raise ValueError(f"particles must be a list of {len(sizes)} arrays (one per unit layer)")
        for k, (array, size) in enumerate(zip(particles, sizes)):
            if not isinstance(array, np.ndarray) or array.ndim != 2 or array.shape != (len(particles[0]), size):
                raise ValueError(f"particles[{k}] must be an array of shape ({len(particles[0])}, {size})")
            if array.dtype != np.float64 or not array.flags.c_contiguous or not array.flags.writeable:
                raise ValueError(f"particles[{k}] must be a writeable C-contiguous float64 array (updated in place)")
            if not np.all(np.isfinite(array)):
                raise ValueError(f"particles[{k}] contains NaN or infinite values")
            if k > 0:
                check_binary(array, f"particles[{k}]")
        _check_visible_values(self.layers_[0], particles[0], "particles[0]", expectations=True)
        steps = check_int(steps, "steps", minimum=0)
        columns = visible_columns(clamp, sizes[0], "clamp")
        model, _ = self._kernel_model()
        _core.multimodal_gibbs(*model, list(particles), steps, columns, seed_to_uint64(as_generator(seed)))
        return particles

    def sample(self, n, burn_in=50, seed=None):
        """``n`` visible samples after ``burn_in`` sweeps from random chains."""
        rng = as_generator(seed)
        particles = self.init_particles(n, seed=rng)
        self.gibbs_sample(particles, check_int(burn_in, "burn_in", minimum=0), seed=rng)
        return particles[0]

    def sample_conditional(self, values, columns, steps=50, n_per_row=1, seed=None):
        """Sample the free visible units given the values of ``columns``, row by row.

        Parameters
        ----------
        values : array-like of shape (m, len(columns))
            Values of the conditioning columns (e.g. the genotypes of one modality).
        columns : sequence of int
        steps : int
            Gibbs sweeps from random chains. Fifty suffice for Bernoulli and Binomial blocks of the
            seed's size, but chains with Gaussian blocks can mix slowly (Gaussian units and their
            hidden units hold each other in place): in ``tests/test_multimodal.py`` the conditional
            gene means were still 0.07-0.48 off after 100 sweeps, about 0.1 after 1000 and within
            0.03-0.09 after 2000 on rows whose SNPs leave no doubt about the group, but on rows
            that leave it open (a conditional with two modes, which chains rarely cross) the
            means of 200 chains were 0.36-0.90 off the exact ones even after 2000 sweeps. Check by
            comparing runs with different ``steps`` and seeds.
        n_per_row : int
            Samples per row of ``values``; rows ``i * n_per_row .. (i + 1) * n_per_row - 1`` of
            the result belong to row ``i``.
        seed : None, int or numpy.random.Generator

        Returns
        -------
        ndarray of shape (m * n_per_row, n_visible)
        """
        self._check_fitted()
        columns = np.asarray(columns)
        if columns.ndim != 1 or columns.size == 0 or not np.issubdtype(columns.dtype, np.integer):
            raise ValueError("columns must be a non-empty sequence of visible column indices")
        if np.any((columns < 0) | (columns >= self.n_features_in_)) or len(set(columns.tolist())) != columns.size:
            raise ValueError(f"columns must be distinct indices in [0, {self.n_features_in_})")
        values = as_matrix(values, "values", n_columns=columns.size)
        visible = np.zeros((values.shape[0], self.n_features_in_))  # zeros are states of every unit type
        visible[:, columns] = values
        _check_visible_values(self.layers_[0], visible, "values (placed in their visible columns)")
        n_per_row = check_int(n_per_row, "n_per_row", minimum=1)
        rng = as_generator(seed)
        particles = self.init_particles(values.shape[0] * n_per_row, seed=rng)
        # The free visible units start at their means given all-zero hidden units (b, sigmoid(b), ...):
        # a neutral start, so the first sweep's hidden states follow the clamped units instead of
        # random visible values that strongly coupled blocks (e.g. Gaussian) would hold on to.
        first = self.layers_[0]
        particles[0][...] = first.visible_probs(np.zeros((1, self.layer_sizes_[1])))
        particles[0][:, columns] = np.repeat(values, n_per_row, axis=0)
        # Hidden layers from one upward pass (inputs doubled below the top for the missing top-down
        # input, as the DBM's mean-field start), so the clamped units inform every layer at once.
        for k in range(1, len(particles)):
            factor = 2.0 if k < len(particles) - 1 else 1.0
            total = factor * _hidden_input(self.layers_[k - 1], particles[k - 1])
            particles[k][...] = rng.random(particles[k].shape) < _sigmoid(total)
        self.gibbs_sample(particles, check_int(steps, "steps", minimum=0), clamp=columns, seed=rng)
        return particles[0]


def _sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def join_rbms(rbms, visible_indices=None):
    """One RBM made of independent RBMs of the same type (boltzmann.md §9, Julia's ``joinrbms``).

    The weight matrix is block-structured (no weights between the parts), hidden units are
    concatenated in order. Visible units are concatenated too, or placed at the given indices.

    Parameters
    ----------
    rbms : sequence of fitted RBMs of one class
        BernoulliRBM, Binomial2BernoulliRBM, GaussianBernoulliRBM(2) or BernoulliGaussianRBM
        (Softmax0BernoulliRBM is not supported: its groups would have to stay consecutive).
    visible_indices : sequence of sequences of int, optional
        For each RBM, the visible columns of the joined model that its visible units occupy;
        together they must cover every column exactly once.

    Returns
    -------
    A fitted RBM of the same class (default hyperparameters, the parts' dtype).
    """
    rbms = list(rbms)
    if not rbms:
        raise ValueError("rbms must contain at least one fitted RBM")
    cls = type(rbms[0])
    for i, rbm in enumerate(rbms):
        if type(rbm) is not cls:
            raise ValueError(f"rbms must all be of one type: rbms[0] is a {cls.__name__}, rbms[{i}] a "
                             f"{type(rbm).__name__}")
        if not hasattr(rbm, "weights_"):
            raise ValueError(f"rbms[{i}] is not fitted (no weights_)")
    if getattr(cls, "_visible_code", 0) == 4:
        raise ValueError("join_rbms does not support Softmax0BernoulliRBM (its one-or-none groups must stay "
                         "consecutive); use a PartitionedRBM")
    sizes = [_n_visible(rbm) for rbm in rbms]
    n_visible, n_hidden = sum(sizes), sum(_n_hidden(rbm) for rbm in rbms)
    if visible_indices is None:
        starts = np.cumsum([0, *sizes])
        indices = [np.arange(starts[i], starts[i + 1]) for i in range(len(rbms))]
    else:
        indices = [np.asarray(ix) for ix in visible_indices]
        if len(indices) != len(rbms):
            raise ValueError(f"visible_indices has {len(indices)} lists but there are {len(rbms)} RBMs")
        for i, (ix, size) in enumerate(zip(indices, sizes)):
            if ix.shape != (size,) or not np.issubdtype(ix.dtype, np.integer):
                raise ValueError(f"visible_indices[{i}] must hold {size} integer indices (the visible units of "
                                 f"rbms[{i}])")
        if not np.array_equal(np.sort(np.concatenate(indices)), np.arange(n_visible)):
            raise ValueError(f"visible_indices must cover the columns 0..{n_visible - 1} exactly once")
    dtype = np.asarray(rbms[0].weights_).dtype
    W = np.zeros((n_visible, n_hidden), dtype=dtype)
    b = np.zeros(n_visible, dtype=dtype)
    sigma = np.ones(n_visible, dtype=dtype)
    hidden = []
    h = 0
    for rbm, ix in zip(rbms, indices):
        nh = _n_hidden(rbm)
        W[ix, h:h + nh] = rbm.weights_
        b[ix] = rbm.visible_bias_
        if hasattr(rbm, "visible_sd_"):
            sigma[ix] = rbm.visible_sd_
        hidden.append(np.asarray(rbm.hidden_bias_, dtype=dtype))
        h += nh
    joined = cls(dtype=dtype)
    joined.weights_, joined.visible_bias_, joined.hidden_bias_ = W, b, np.concatenate(hidden)
    if hasattr(rbms[0], "visible_sd_"):
        joined.visible_sd_ = sigma
    return joined


def join_dbms(dbms, visible_indices=None):
    """One DBM made of independent DBMs with the same number of layers (Julia's ``joindbms``).

    Layer by layer :func:`join_rbms`; ``visible_indices`` places the visible units (first layer
    only). The log partition function of the result is the sum of the parts'.

    Parameters
    ----------
    dbms : sequence of fitted :class:`~condgen.DBM`
    visible_indices : sequence of sequences of int, optional

    Returns
    -------
    DBM
    """
    from .dbm import DBM

    dbms = list(dbms)
    if not dbms:
        raise ValueError("dbms must contain at least one fitted DBM")
    for i, dbm in enumerate(dbms):
        if not hasattr(dbm, "layers_"):
            raise ValueError(f"dbms[{i}] is not fitted (no layers_)")
    depth = len(dbms[0].layers_)
    if any(len(dbm.layers_) != depth for dbm in dbms):
        raise ValueError(f"dbms must have the same number of layers, got {[len(d.layers_) for d in dbms]}")
    layers = [join_rbms([dbm.layers_[l] for dbm in dbms], visible_indices if l == 0 else None)
              for l in range(depth)]
    return DBM.from_rbms(layers, dtype=layers[0].weights_.dtype)
