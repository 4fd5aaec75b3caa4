"""Partition functions and likelihoods of binary RBMs and DBMs: AIS estimates, exact values, bounds.

Spec: boltzmann.md §6.4-§6.7. The models' methods (``log_partition``, ``log_likelihood``,
``DBM.log_prob_lower_bound``) delegate here; the functions also take any object with the fitted
attributes of a :class:`~condgen.BernoulliRBM` (``weights_``, ``visible_bias_``, ``hidden_bias_``)
or of a :class:`~condgen.DBM` (``layers_``, a list of such RBMs). AIS between two RBMs
(:func:`log_partition_ratio`, :func:`log_likelihood_difference`) takes RBMs of every unit type
(``condgen.rbm_types``) and PartitionedRBMs too.

Every estimate is a :class:`LogEstimate` ``(value, sd)``: the estimate and its standard deviation.
For AIS, ``sd`` is the standard deviation of ``log Z`` by the delta method,
``sqrt((mean(w^2) / mean(w)^2 - 1) / n)`` over the importance weights ``w``, computed in log space
(Julia's ``aisstandarddeviation`` is the same quantity on the scale of ``Z`` and overflows).

Differences from BoltzmannMachines.jl, all on by default (``variant="boltzmannmachines.jl"``
restores Julia's DBM AIS for comparisons):

* DBM AIS draws its start particles from the base model (combined biases ``c_k + b_{k+1}``; Julia
  uses ``c_k``, spec §6.6 and §12.2), and its transitions update the summed-out layers given the
  kept ones, then the kept ones (a valid Gibbs kernel; Julia's synchronous sweeps are not, §5.2).
  Julia's variant is biased for DBMs with three or more hidden layers.
* Log ratios use a stable softplus; standard deviations are computed in log space (§12.6).
* The particles are processed in parallel chunks with their own random streams, so an estimate
  depends on the seed only, never on the number of threads.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from . import _core
from ._progress import progress_bar
from ._random import as_generator, seed_to_uint64
from ._validation import as_matrix, check_binary, check_choice, check_int, check_real, check_unit_interval

__all__ = [
    "LogEstimate",
    "ais_log_weights",
    "ais_standard_deviation",
    "empirical_log_likelihood",
    "log_likelihood",
    "log_likelihood_difference",
    "log_mean_exp",
    "log_partition",
    "log_partition_ratio",
    "log_partition_zero_weights",
    "log_prob_lower_bound",
]

# Temperatures per C++ call: the granularity of the progress bar. Results do not depend on it.
_STEPS_PER_CALL = 50
# Data rows per C++ call of the per-row DBM likelihood AIS (progress granularity only).
_ROWS_PER_CALL = 32
_VARIANTS = ("fixed", "boltzmannmachines.jl")


class LogEstimate(NamedTuple):
    """An estimate on the log scale and its standard deviation (0 for exact values)."""

    value: float
    sd: float


def log_mean_exp(x, axis=None):
    """``log(mean(exp(x)))`` without overflow."""
    x = np.asarray(x, dtype=np.float64)
    if x.size == 0:
        raise ValueError("log_mean_exp needs at least one value")
    top = np.max(x, axis=axis, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    result = np.log(np.mean(np.exp(x - top), axis=axis, keepdims=True)) + top
    return result.item() if axis is None else np.squeeze(result, axis=axis)


def ais_standard_deviation(log_weights) -> float:
    """Standard deviation of ``log_mean_exp(log_weights)`` as an estimate of ``log r``.

    Delta method: ``sd(log r_hat) = sd(r_hat) / r_hat = sqrt(expm1(lme(2w) - 2 lme(w)) / n)``
    with ``lme`` = :func:`log_mean_exp`, stable for any size of the log weights.
    """
    log_weights = np.asarray(log_weights, dtype=np.float64).ravel()
    relative_variance = math.expm1(log_mean_exp(2.0 * log_weights) - 2.0 * log_mean_exp(log_weights))
    return math.sqrt(max(relative_variance, 0.0) / log_weights.size)


def _estimate(log_weights, offset=0.0) -> LogEstimate:
    return LogEstimate(float(log_mean_exp(log_weights) + offset), ais_standard_deviation(log_weights))


# ------------------------------------------------------------------------------------------------
# Model access


def _softplus(x):
    return np.logaddexp(0.0, x)


def _rbm_params(rbm, name="model"):
    if getattr(rbm, "_visible_code", 0) or getattr(rbm, "_hidden_code", 0):  # condgen.rbm_types
        raise ValueError(f"{name} is a {type(rbm).__name__}: these functions handle binary RBMs and DBMs; use its "
                         "own log_partition / log_likelihood methods")
    try:
        W, b, c = rbm.weights_, rbm.visible_bias_, rbm.hidden_bias_
    except AttributeError:
        raise ValueError(f"{name} is not a fitted BernoulliRBM (weights_, visible_bias_, hidden_bias_ "
                         "missing); call fit first or assign the parameters") from None
    W = np.ascontiguousarray(W, dtype=np.float64)
    b = np.ascontiguousarray(b, dtype=np.float64).ravel()
    c = np.ascontiguousarray(c, dtype=np.float64).ravel()
    if W.ndim != 2 or W.shape != (b.size, c.size):
        raise ValueError(f"{name}: weights_ of shape {W.shape} do not match the biases ({b.size}, {c.size})")
    if not (np.all(np.isfinite(W)) and np.all(np.isfinite(b)) and np.all(np.isfinite(c))):
        raise ValueError(f"{name} has NaN or infinite parameters")
    return W, b, c


def _layers(model, name="model"):
    """[(W, b, c), ...] bottom to top: one entry for an RBM, one per RBM of a DBM."""
    if hasattr(model, "layers_"):
        layers = [_rbm_params(rbm, f"{name}.layers_[{i}]") for i, rbm in enumerate(model.layers_)]
        if not layers:
            raise ValueError(f"{name} has no layers")
        for i in range(1, len(layers)):
            if layers[i][0].shape[0] != layers[i - 1][0].shape[1]:
                raise ValueError(f"{name}: layer {i} has {layers[i][0].shape[0]} visible units, the layer "
                                 f"below has {layers[i - 1][0].shape[1]} hidden units")
        return layers
    return [_rbm_params(model, name)]


def _combined_biases(layers):
    """a_0 = b_1, a_k = c_k + b_{k+1}, a_L = c_L (spec §1.8)."""
    biases = [layers[0][1]]
    for k in range(len(layers)):
        biases.append(layers[k][2] + (layers[k + 1][1] if k + 1 < len(layers) else 0.0))
    return biases


def log_partition_zero_weights(model) -> float:
    """log Z of the model with all weights set to 0 (spec §6.2): sum of softplus(combined biases)."""
    return float(sum(_softplus(a).sum() for a in _combined_biases(_layers(model))))


def _rbm_free_energy(W, b, c, X):
    return -(X @ b) - _softplus(X @ W + c).sum(axis=1)


def _check_data(X, n_visible, name="X"):
    return check_binary(as_matrix(X, name, n_columns=n_visible), name)


def _temperatures(n_temperatures, temperatures):
    if temperatures is None:
        n_temperatures = check_int(n_temperatures, "n_temperatures", minimum=1)
        return np.linspace(0.0, 1.0, n_temperatures + 1)
    try:
        betas = np.asarray(temperatures, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"temperatures must be a sequence of numbers, got {temperatures!r}") from None
    if (betas.ndim != 1 or betas.size < 2 or not np.all(np.isfinite(betas)) or betas[0] != 0.0
            or betas[-1] != 1.0 or np.any(np.diff(betas) < 0)):
        raise ValueError("temperatures must be a non-decreasing 1-D sequence from 0.0 to 1.0")
    return np.ascontiguousarray(betas)


# ------------------------------------------------------------------------------------------------
# AIS


def _chain(layers):
    """The layer chain of the C++ kernel: weights and combined biases.

    A single RBM becomes the chain (hidden, visible) with W^T, so that its visible layer is summed
    out and the hidden layer is the AIS state (spec §6.4).
    """
    if len(layers) == 1:
        W, b, c = layers[0]
        return [np.ascontiguousarray(W.T)], [c, b]
    return [W for W, _, _ in layers], _combined_biases(layers)


def ais_log_weights(model, n_temperatures=100, temperatures=None, n_particles=100, burn_in=5,
                    variant="fixed", seed=None, progress=None) -> np.ndarray:
    """Log importance weights of AIS from the zero-weight model to ``model`` (spec §6.4, §6.6).

    ``log_mean_exp(log_weights) + log_partition_zero_weights(model)`` estimates log Z.

    Parameters
    ----------
    model : BernoulliRBM or DBM (fitted)
    n_temperatures : int
        Number of annealing steps; temperatures ``linspace(0, 1, n_temperatures + 1)``.
    temperatures : array-like, optional
        Custom temperatures from 0 to 1 (overrides ``n_temperatures``).
    n_particles : int
        Independent AIS runs.
    burn_in : int
        Gibbs transitions per temperature.
    variant : {"fixed", "boltzmannmachines.jl"}
        DBMs only: ``"fixed"`` starts from exact draws of the base model and uses valid
        (alternating) transitions; ``"boltzmannmachines.jl"`` reproduces Julia's start state
        (hidden bias instead of combined bias) and synchronous sweeps, which bias the estimate.
    seed : None, int or numpy.random.Generator
    progress : bool or None
        Progress bar over the temperatures (None: only in an interactive terminal).

    Returns
    -------
    ndarray of shape (n_particles,)
    """
    layers = _layers(model)
    betas = _temperatures(n_temperatures, temperatures)
    n_particles = check_int(n_particles, "n_particles", minimum=1)
    burn_in = check_int(burn_in, "burn_in", minimum=0)
    check_choice(variant, "variant", _VARIANTS)
    rng = as_generator(seed)
    init_seed, chain_seed = seed_to_uint64(rng), seed_to_uint64(rng)

    weights, biases = _chain(layers)
    julia = variant == "boltzmannmachines.jl" and len(layers) > 1
    start_logits = biases
    if julia:  # Julia's initparticles(biased=true): hidden layer k from its RBM's hidden bias only
        start_logits = [layers[0][1]] + [c for _, _, c in layers]
    states = [np.zeros((n_particles, a.size)) for a in biases]
    _core.ais_init_states(start_logits, states, init_seed)
    log_weights = np.zeros(n_particles)
    n_steps = betas.size - 1
    with progress_bar(n_steps, progress, "AIS") as bar:
        for first in range(1, n_steps + 1, _STEPS_PER_CALL):
            last = min(first + _STEPS_PER_CALL - 1, n_steps)
            _core.ais_chain(weights, biases, betas[first - 1:last + 1], first, burn_in, julia, states,
                            log_weights, chain_seed)
            bar.update(last - first + 1)
    return log_weights


def _ais_kwargs(n_temperatures, temperatures, n_particles, burn_in, variant, seed, progress):
    return {"n_temperatures": n_temperatures, "temperatures": temperatures, "n_particles": n_particles,
            "burn_in": burn_in, "variant": variant, "seed": seed, "progress": progress}


def log_partition(model, method="ais", n_temperatures=100, temperatures=None, n_particles=100, burn_in=5,
                  variant="fixed", seed=None, progress=None) -> LogEstimate:
    """log Z of an RBM or DBM: ``method="ais"`` (spec §6.7) or ``"exact"`` (enumeration, sd 0).

    The AIS arguments are those of :func:`ais_log_weights`.

    Returns
    -------
    LogEstimate
        ``(value, sd)``.
    """
    check_choice(method, "method", ("ais", "exact"))
    if method == "exact":
        return LogEstimate(float(model.exact_log_partition()), 0.0)
    log_weights = ais_log_weights(model, **_ais_kwargs(n_temperatures, temperatures, n_particles, burn_in,
                                                       variant, seed, progress))
    return _estimate(log_weights, log_partition_zero_weights(model))


_log_partition = log_partition  # for functions whose `log_partition` argument shadows the name


def _as_log_estimate(value, name) -> LogEstimate:
    if isinstance(value, LogEstimate):
        return value
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{name} must be a LogEstimate, a pair (value, sd) or a number, got {value!r}")
        return LogEstimate(check_real(value[0], name), check_real(value[1], f"the sd of {name}", minimum=0.0))
    return LogEstimate(check_real(value, name), 0.0)


def _hidden_log_partitions(weights, biases, bottom, betas, n_particles, burn_in, seed, progress):
    """Per row of ``bottom`` (the whole input of unit layer 1 given the row's visible units, biases
    included): AIS estimate of the log-sum over the hidden layers of exp(-energy) and its sd (spec
    §6.7). ``biases`` are the combined biases of unit layers 1..L; the first is part of ``bottom``."""
    row_seed = seed_to_uint64(as_generator(seed))
    log_weights = np.empty((bottom.shape[0], n_particles))
    with progress_bar(bottom.shape[0], progress, "AIS per sample") as bar:
        for first in range(0, bottom.shape[0], _ROWS_PER_CALL):
            rows = slice(first, first + _ROWS_PER_CALL)
            log_weights[rows] = _core.ais_chain_rows(weights, biases, bottom[rows], betas, n_particles, burn_in,
                                                     first, row_seed)
            bar.update(bottom[rows].shape[0])
    log_z_hidden = log_mean_exp(log_weights, axis=1) + sum(_softplus(a).sum() for a in biases[1:])
    log_z_hidden += _softplus(bottom).sum(axis=1)
    return log_z_hidden, np.array([ais_standard_deviation(w) for w in log_weights])


def _dbm_row_log_unnormalised(layers, X, betas, n_particles, burn_in, seed, progress):
    """Per row: AIS estimate of log p*(v) = b_1.v + log Z_hid(v) (spec §6.7) and its sd."""
    W1, b1, _ = layers[0]
    weights = [W for W, _, _ in layers[1:]]
    biases = _combined_biases(layers)[1:]  # the bottom one (a_1) is replaced per row
    bottom = np.ascontiguousarray(X @ W1 + biases[0])
    log_z_hidden, sds = _hidden_log_partitions(weights, biases, bottom, betas, n_particles, burn_in, seed, progress)
    return X @ b1 + log_z_hidden, sds


def log_likelihood(model, X, method="ais", log_partition=None, n_temperatures=100, temperatures=None,
                   n_particles=100, burn_in=5, variant="fixed", seed=None, progress=None) -> LogEstimate:
    """Mean log-likelihood of the rows of ``X`` (spec §6.3, §6.7).

    RBM: ``-mean(F(X)) - log Z``. DBM with ``method="ais"``: for each row the unnormalised
    ``log p*(v) = b_1.v + log Z_hid(v)`` is estimated by a separate AIS run over the hidden layers
    (the DBM above the visible layer, bottom bias ``c_1 + b_2 + v W_1``); the mean over rows minus
    log Z.

    Parameters
    ----------
    model : BernoulliRBM or DBM (fitted)
    X : array-like of shape (n_samples, n_visible), binary
    method : {"ais", "exact"}
        ``"exact"`` enumerates (small models only; see the models' ``exact_log_partition``).
    log_partition : LogEstimate, (value, sd) or float, optional
        A log Z computed before (e.g. once for several data sets); estimated otherwise.
    n_temperatures, temperatures, n_particles, burn_in, variant, seed, progress
        AIS settings as in :func:`ais_log_weights`, used for log Z and the per-row runs
        (``variant`` concerns log Z only: the per-row runs always start from exact draws and use
        valid transitions).

    Returns
    -------
    LogEstimate
        The mean log-likelihood and its standard deviation (from log Z and, for DBMs, the
        per-row estimates).
    """
    check_choice(method, "method", ("ais", "exact"))
    layers = _layers(model)
    X = _check_data(X, layers[0][0].shape[0])
    rng = as_generator(seed)
    if method == "exact" and len(layers) > 1:
        return LogEstimate(float(model.exact_log_likelihood(X)), 0.0)
    if log_partition is None:
        log_z = _log_partition(model, method, **_ais_kwargs(n_temperatures, temperatures, n_particles,
                                                            burn_in, variant, rng, progress))
    else:
        log_z = _as_log_estimate(log_partition, "log_partition")
    if len(layers) == 1:
        W, b, c = layers[0]
        return LogEstimate(float(-_rbm_free_energy(W, b, c, X).mean() - log_z.value), log_z.sd)
    betas = _temperatures(n_temperatures, temperatures)
    n_particles = check_int(n_particles, "n_particles", minimum=1)
    burn_in = check_int(burn_in, "burn_in", minimum=0)
    values, sds = _dbm_row_log_unnormalised(layers, X, betas, n_particles, burn_in, rng, progress)
    sd = math.sqrt(float(np.sum(sds**2)) / X.shape[0] ** 2 + log_z.sd**2)
    return LogEstimate(float(values.mean() - log_z.value), sd)


def _binary_entropy(p):
    inside = (p > 0) & (p < 1)
    q = np.where(inside, p, 0.5)
    return -np.where(inside, q * np.log(q) + (1 - q) * np.log1p(-q), 0.0).sum(axis=1)


def log_prob_lower_bound(dbm, X, log_partition=None, mean_field=None, **ais_kwargs) -> LogEstimate:
    """Variational lower bound of the DBM's mean log-likelihood (spec §6.7, Salakhutdinov 2015 eq. 38).

    Per row ``sum_l -E_{R_l}(mu_{l-1}, mu_l) + sum_{hidden l} H_bin(mu_l)`` with the mean-field
    activations ``mu`` (``mu_0`` = the data row); mean over rows minus log Z.

    Parameters
    ----------
    dbm : DBM (fitted)
    X : array-like of shape (n_samples, n_visible), binary
    log_partition : LogEstimate, (value, sd) or float, optional
        Estimated by AIS (``ais_kwargs`` as for :func:`log_partition`) when not given.
    mean_field : list of arrays, optional
        The hidden layers' mean-field activations for ``X``; ``dbm.mean_field(X)`` otherwise.

    Returns
    -------
    LogEstimate
        The bound and the standard deviation of its log Z.
    """
    layers = _layers(dbm)
    X = _check_data(X, layers[0][0].shape[0])
    mu = list(dbm.mean_field(X) if mean_field is None else mean_field)
    if len(mu) == len(layers) + 1:  # the visible layer included
        mu = mu[1:]
    if len(mu) != len(layers):
        raise ValueError(f"mean_field must hold one array per hidden layer ({len(layers)}), got {len(mu)}")
    mu = [X] + [check_unit_interval(as_matrix(m, f"mean_field[{l}]", n_columns=W.shape[1]), f"mean_field[{l}]")
                for l, (m, (W, _, _)) in enumerate(zip(mu, layers))]
    for l, m in enumerate(mu[1:]):
        if m.shape[0] != X.shape[0]:
            raise ValueError(f"mean_field[{l}] has {m.shape[0]} rows, X has {X.shape[0]}")
    bound = np.zeros(X.shape[0])
    for l, (W, b, c) in enumerate(layers, start=1):
        bound += np.einsum("ni,ij,nj->n", mu[l - 1], W, mu[l]) + mu[l - 1] @ b + mu[l] @ c
        bound += _binary_entropy(mu[l])
    if log_partition is None:
        log_z = _log_partition(dbm, "ais", **ais_kwargs)
    else:
        log_z = _as_log_estimate(log_partition, "log_partition")
    return LogEstimate(float(bound.mean() - log_z.value), log_z.sd)


# ------------------------------------------------------------------------------------------------
# Two RBMs


def _pair_kind(rbm):
    """What AIS between two RBMs needs to match: the class of a typed or partitioned RBM, or
    "bernoulli" for a BernoulliRBM (or any object with its fitted attributes)."""
    from .multimodal import PartitionedRBM
    from .rbm_types import _TypedRBM

    return type(rbm) if isinstance(rbm, (_TypedRBM, PartitionedRBM)) else "bernoulli"


def _is_partitioned(rbm):
    from .multimodal import PartitionedRBM

    return isinstance(rbm, PartitionedRBM)


def _check_partitioned_fitted(rbm, name):
    if not hasattr(rbm, "parts_"):
        raise ValueError(f"{name} is not fitted: call fit(X) or build it with PartitionedRBM.from_rbms")


def _pair_model(rbm, name):
    """The float64 kernel arguments (visible code, hidden code, W, b, c, sigma, groups) of an RBM."""
    if _pair_kind(rbm) == "bernoulli":
        return (0, 0, *_rbm_params(rbm, name), np.empty(0), [])
    try:
        return rbm._model(np.float64)
    except ValueError as error:
        raise ValueError(f"{name}: {error}") from None


def _check_same_kind(rbm1, rbm2, name1, name2):
    if _pair_kind(rbm1) != _pair_kind(rbm2):
        raise ValueError(f"{name1} and {name2} must be RBMs of the same type, got a {type(rbm1).__name__} and a "
                         f"{type(rbm2).__name__}")


def _partitioned_parts(rbm1, rbm2, name1, name2):
    """The pairs of parts of two PartitionedRBMs with the same visible blocks."""
    _check_partitioned_fitted(rbm1, name1)
    _check_partitioned_fitted(rbm2, name2)
    if rbm1.visible_ranges_ != rbm2.visible_ranges_:
        raise ValueError(f"{name1} and {name2} must have the same visible blocks, got "
                         f"{[(r.start, r.stop) for r in rbm1.visible_ranges_]} and "
                         f"{[(r.start, r.stop) for r in rbm2.visible_ranges_]}")
    for i, (part1, part2) in enumerate(zip(rbm1.parts_, rbm2.parts_)):
        yield part1, part2, f"{name1}.parts_[{i}]", f"{name2}.parts_[{i}]"


def _pair_log_weights(model1, model2, name1, name2, betas, n_particles, burn_in, init_burn_in, rng, progress):
    """AIS log weights from model 1 to model 2 (kernel arguments) and the offset of log(Z2/Z1)."""
    (code1, hidden1, W1, _, _, _, groups1), (_, _, W2, _, _, _, groups2) = model1, model2
    if W1.shape[0] != W2.shape[0]:
        raise ValueError(f"{name1} and {name2} must have the same number of visible units, got {W1.shape[0]} "
                         f"and {W2.shape[0]}")
    if list(groups1) != list(groups2):
        raise ValueError(f"{name1} and {name2} must have the same categorical groups (columns per variable), "
                         f"got {list(groups1)} and {list(groups2)}")
    V = _core.typed_ais_pair_init(*model1, n_particles, init_burn_in, seed_to_uint64(rng))
    chain_seed = seed_to_uint64(rng)
    log_weights = np.zeros(n_particles)
    n_steps = betas.size - 1
    with progress_bar(n_steps, progress, "AIS") as bar:
        for first in range(1, n_steps + 1, _STEPS_PER_CALL):
            last = min(first + _STEPS_PER_CALL - 1, n_steps)
            _core.typed_ais_pair(code1, hidden1, *model1[2:6], *model2[2:6], list(groups1),
                                 betas[first - 1:last + 1], first, burn_in, V, log_weights, chain_seed)
            bar.update(last - first + 1)
    # The mixed model at beta = 0 is model 1 with model 2's hidden units free (zero weights and
    # biases: a factor 2, or sqrt(2 pi) for Gaussian hidden units, each), at beta = 1 the reverse.
    log_free_unit = 0.5 * math.log(2.0 * math.pi) if hidden1 == 1 else math.log(2.0)
    return log_weights, log_free_unit * (W2.shape[1] - W1.shape[1])


def _pair_ratio(rbm1, rbm2, name1, name2, settings, rng) -> LogEstimate:
    _check_same_kind(rbm1, rbm2, name1, name2)
    if _is_partitioned(rbm1):  # independent blocks
        estimates = [_pair_ratio(*pair, settings, rng) for pair in _partitioned_parts(rbm1, rbm2, name1, name2)]
        return LogEstimate(float(sum(e.value for e in estimates)), math.sqrt(sum(e.sd**2 for e in estimates)))
    log_weights, offset = _pair_log_weights(_pair_model(rbm1, name1), _pair_model(rbm2, name2), name1, name2,
                                            rng=rng, **settings)
    return _estimate(log_weights, offset)


def log_partition_ratio(rbm1, rbm2, n_temperatures=100, temperatures=None, n_particles=100, burn_in=5,
                        init_burn_in=30, seed=None, progress=None) -> LogEstimate:
    """AIS estimate of ``log(Z2 / Z1)`` between two RBMs of the same type and visible layout (spec §6.5).

    Every unit type is supported: :class:`~condgen.BernoulliRBM`, :class:`~condgen.Binomial2BernoulliRBM`,
    :class:`~condgen.GaussianBernoulliRBM`, :class:`~condgen.GaussianBernoulliRBM2`,
    :class:`~condgen.BernoulliGaussianRBM`, :class:`~condgen.Softmax0BernoulliRBM` (same categories),
    and :class:`~condgen.PartitionedRBM` (same visible blocks and part types; the blocks are
    independent, so the estimate is the sum of the parts' estimates, their sds added in quadrature).
    The hidden layers may differ in size.

    The annealing path runs through mixed RBMs of the same type holding the hidden units of both
    models, with the particles' visible states as the AIS state; they start from ``init_burn_in``
    Gibbs steps of ``rbm1``. With binary hidden units the mixed energy is
    ``(1 - beta) E_1(v, h1) + beta E_2(v, h2)``: visible bias ``(1-beta) b1 + beta b2``, weights and
    hidden biases scaled by ``1-beta`` and ``beta``. For Gaussian visible units this is again a
    Gaussian RBM whose precision ``1/sigma^2 = (1-beta)/sigma1^2 + beta/sigma2^2`` interpolates
    the two models' precisions, with mean ``sigma^2 ((1-beta) b1/sigma1^2 + beta b2/sigma2^2)`` and
    weights rescaled row by row so that the interaction terms keep their values (``sigma/sigma_k``;
    ``(sigma/sigma_k)^2`` for :class:`~condgen.GaussianBernoulliRBM2`), so the Gibbs transitions
    are those of that Gaussian RBM. For Gaussian hidden units
    (:class:`~condgen.BernoulliGaussianRBM`) the path is the geometric mean
    ``p1*(v)^(1-beta) p2*(v)^beta`` of the visible marginals, the RBM with weights and hidden
    biases scaled by ``sqrt(1-beta)`` and ``sqrt(beta)``. Details: ``cpp/include/condgen/ais_pair.hpp``.

    Parameters
    ----------
    rbm1, rbm2 : fitted RBMs of one type
    n_temperatures, temperatures, n_particles, burn_in, seed, progress
        As :func:`ais_log_weights`.
    init_burn_in : int
        Gibbs steps of ``rbm1`` from random states that produce the start particles.

    Returns
    -------
    LogEstimate

    Raises
    ------
    ValueError
        If the models are of different types, have different visible layouts (units, categories,
        blocks) or are not fitted.
    """
    settings = {
        "betas": _temperatures(n_temperatures, temperatures),
        "n_particles": check_int(n_particles, "n_particles", minimum=1),
        "burn_in": check_int(burn_in, "burn_in", minimum=0),
        "init_burn_in": check_int(init_burn_in, "init_burn_in", minimum=0),
        "progress": progress,
    }
    return _pair_ratio(rbm1, rbm2, "rbm1", "rbm2", settings, as_generator(seed))


_log_partition_ratio = log_partition_ratio


def _pair_free_energy(rbm, X, name):
    """Free energies in float64 of the rows of ``X``, checked against the model's unit types."""
    if _pair_kind(rbm) == "bernoulli":
        W, b, c = _rbm_params(rbm, name)
        return _rbm_free_energy(W, b, c, _check_data(X, W.shape[0]))
    if _is_partitioned(rbm):
        _check_partitioned_fitted(rbm, name)
        X = as_matrix(X, "X", n_columns=rbm.n_visible_)
        return sum(_pair_free_energy(part, X[:, r], f"{name}.parts_[{i}]")
                   for i, (part, r) in enumerate(zip(rbm.parts_, rbm.visible_ranges_)))
    model = _pair_model(rbm, name)
    X = rbm._check_visible(as_matrix(X, "X", n_columns=model[2].shape[0]), "X")
    return _core.typed_free_energy(*model, X)


def log_likelihood_difference(rbm1, rbm2, X, log_partition_ratio=None, **ais_kwargs) -> LogEstimate:
    """Mean log-likelihood of ``X`` under ``rbm1`` minus under ``rbm2`` (positive: rbm1 is better).

    ``mean(F2(X) - F1(X)) + log(Z2 / Z1)``, with the ratio estimated by
    :func:`log_partition_ratio` (``ais_kwargs``) unless given. The models are of one type, as
    for :func:`log_partition_ratio` (log densities for Gaussian visible units).
    """
    _check_same_kind(rbm1, rbm2, "rbm1", "rbm2")
    free_energy1 = _pair_free_energy(rbm1, X, "rbm1")
    difference = float(np.mean(_pair_free_energy(rbm2, X, "rbm2") - free_energy1))
    if log_partition_ratio is None:
        ratio = _log_partition_ratio(rbm1, rbm2, **ais_kwargs)
    else:
        ratio = _as_log_estimate(log_partition_ratio, "log_partition_ratio")
    return LogEstimate(difference + ratio.value, ratio.sd)


def empirical_log_likelihood(X, generated) -> float:
    """Mean log relative frequency of the rows of ``X`` among the rows of ``generated`` (spec §6.7).

    A model-free likelihood estimate for any generator: e.g.
    ``empirical_log_likelihood(X, dbm.sample(100_000))``. Rows match exactly; a row of ``X``
    that never occurs in ``generated`` raises ValueError (more samples are needed).
    """
    X = _check_data(X, None)
    generated = _check_data(generated, X.shape[1], "generated")
    rows, counts = np.unique(generated, axis=0, return_counts=True)
    frequency = {row.tobytes(): count / generated.shape[0] for row, count in zip(rows, counts)}
    found = np.array([frequency.get(row.tobytes(), 0.0) for row in X])
    if np.any(found == 0.0):
        missing = int(np.argmax(found == 0.0))
        raise ValueError(f"not enough generated samples: row {missing} of X does not occur among the "
                         f"{generated.shape[0]} generated rows")
    return float(np.mean(np.log(found)))
