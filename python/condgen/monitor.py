"""Training monitors: evaluations run after each epoch, collected as tidy records.

Every model's ``fit`` calls its ``monitor`` hook as ``monitor(model, epoch)`` after each epoch
(BoltzmannMachines.jl's ``monitoring`` callback). A :class:`Monitor` is such a hook: it runs a list
of evaluations on one or several named data sets (Julia's ``DataDict``) and stores records
``(epoch, metric, dataset, value, sd)``::

    monitor = Monitor(["reconstruction_error", AISLogLikelihood(n_temperatures=200)],
                      data={"train": X, "test": X_test})
    rbm = BernoulliRBM(epochs=30, monitor=monitor).fit(X)
    monitor.plot("log_likelihood")
    monitor.to_dataframe()          # with pandas installed

or in one step, ``monitor, rbm = monitored_fit(BernoulliRBM(epochs=30), X, [...], data=...)``.
A DBM's pre-training is monitored layer by layer with :class:`PretrainMonitor` (its
``pretrain_monitor=`` hook), or with ``monitored_fit(..., pretrain_evaluations=[...])``.

Ready-made evaluations (names usable as strings): ``"reconstruction_error"``, ``"free_energy"``
(RBMs), ``"exact_log_likelihood"``, ``"log_likelihood"`` (AIS), ``"lower_bound"`` (DBMs),
``"mean_difference"``, ``"correlation_difference"`` (Julia's ``monitorcordiff``),
``"weights_norm"``, and :class:`ConditionalMarginalError` (conditional generation against a known
truth, for DBMs and CGANs). An evaluation is any callable
``(model, data) -> iterable of (metric, dataset, value, sd)``, so custom ones are a small function.
When the model's own progress bar is on, it shows the monitor's latest values.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._progress import progress_bar
from ._random import as_generator
from ._validation import as_matrix, check_int

__all__ = [
    "AISLogLikelihood",
    "ConditionalMarginalError",
    "CorrelationDifference",
    "ExactLogLikelihood",
    "FreeEnergy",
    "LowerBound",
    "MeanDifference",
    "Monitor",
    "MonitorRecord",
    "PretrainMonitor",
    "ReconstructionError",
    "WeightsNorm",
    "monitored_fit",
]

NAN = float("nan")


class MonitorRecord(NamedTuple):
    """One monitored value: ``sd`` is its standard deviation (NaN where none applies)."""

    epoch: int
    metric: str
    dataset: str
    value: float
    sd: float


# ------------------------------------------------------------------------------------------------
# Evaluations


class ReconstructionError:
    """Mean L1 reconstruction error per data set (``model.reconstruction_error``, spec §6.1)."""

    name = "reconstruction_error"

    def __call__(self, model, data):
        return [(self.name, key, float(np.mean(model.reconstruction_error(X))), NAN)
                for key, X in data.items()]


class FreeEnergy:
    """Mean free energy per data set (``model.free_energy``)."""

    name = "free_energy"

    def __call__(self, model, data):
        return [(self.name, key, float(np.mean(model.free_energy(X))), NAN) for key, X in data.items()]


class ExactLogLikelihood:
    """Exact mean log-likelihood per data set (small models; ``model.exact_log_likelihood``)."""

    name = "exact_log_likelihood"

    def __call__(self, model, data):
        return [(self.name, key, float(model.exact_log_likelihood(X)), NAN) for key, X in data.items()]


class WeightsNorm:
    """Norms of the parameters (Julia's ``monitorweightsnorm!``); needs no data.

    Records ``weights_norm`` with data sets ``"weights"`` (Frobenius norm), ``"visible_bias"``
    and ``"hidden_bias"``; for a DBM prefixed by the layer, ``"layer 1/weights"`` and so on.
    """

    name = "weights_norm"

    def __call__(self, model, data):  # noqa: ARG002 - no data needed
        is_dbm = hasattr(model, "layers_")
        records = []
        for number, rbm in enumerate(model.layers_ if is_dbm else [model], start=1):
            prefix = f"layer {number}/" if is_dbm else ""
            for part in ("weights", "visible_bias", "hidden_bias"):
                value = float(np.linalg.norm(np.asarray(getattr(rbm, part + "_"), dtype=np.float64)))
                records.append((self.name, prefix + part, value, NAN))
        return records


class _AISEvaluation:
    """Shared AIS settings; one log Z estimate per call, reused for every data set."""

    def __init__(self, n_temperatures=100, n_particles=100, burn_in=5, seed=None):
        self.n_temperatures = check_int(n_temperatures, "n_temperatures", minimum=1)
        self.n_particles = check_int(n_particles, "n_particles", minimum=2)
        self.burn_in = check_int(burn_in, "burn_in", minimum=0)
        # one generator for the whole training run: successive epochs use fresh, reproducible streams
        self._rng = as_generator(seed)

    def _ais_kwargs(self):
        return {"n_temperatures": self.n_temperatures, "n_particles": self.n_particles,
                "burn_in": self.burn_in, "seed": self._rng}

    def _log_partition(self, model):
        return model.log_partition(method="ais", **self._ais_kwargs())


class AISLogLikelihood(_AISEvaluation):
    """Mean log-likelihood per data set with log Z estimated by AIS (Julia's ``monitorloglikelihood!``).

    Records ``log_likelihood`` per data set (sd: the AIS standard deviation, for DBMs combined with
    that of the per-sample estimates) and ``log_partition`` with data set ``""`` (Julia's
    ``aislogr``, here the log Z estimate itself).

    Parameters
    ----------
    n_temperatures, n_particles, burn_in
        AIS settings (see :func:`condgen.likelihood.ais_log_weights`).
    seed : None, int or numpy.random.Generator
        One stream for the whole fit: every epoch draws fresh, reproducible AIS runs.
    """

    name = "log_likelihood"

    def __call__(self, model, data):
        log_z = self._log_partition(model)
        records = [("log_partition", "", float(log_z.value), float(log_z.sd))]
        for key, X in data.items():
            estimate = model.log_likelihood(X, method="ais", log_partition=log_z, **self._ais_kwargs())
            records.append((self.name, key, float(estimate.value), float(estimate.sd)))
        return records


class LowerBound(_AISEvaluation):
    """The DBM's variational lower bound of the mean log-likelihood (spec §6.7) per data set.

    ``method="ais"`` estimates log Z by AIS once per call (recorded as ``log_partition``);
    ``"exact"`` enumerates (tiny models). The other parameters are those of
    :class:`AISLogLikelihood`.
    """

    name = "lower_bound"

    def __init__(self, method="ais", n_temperatures=100, n_particles=100, burn_in=5, seed=None):
        if method not in ("ais", "exact"):
            raise ValueError(f"method must be 'ais' or 'exact', got {method!r}")
        super().__init__(n_temperatures, n_particles, burn_in, seed)
        self.method = method

    def __call__(self, model, data):
        if self.method == "ais":
            log_z = self._log_partition(model)
        else:
            log_z = model.log_partition(method="exact")
        records = [("log_partition", "", float(log_z.value), float(log_z.sd))]
        for key, X in data.items():
            bound = model.log_prob_lower_bound(X, log_partition=log_z)
            records.append((self.name, key, float(bound.value), float(bound.sd)))
        return records


def _default_sampler(model, n_samples, burn_in, rng):
    return model.sample(n_samples, burn_in=burn_in, seed=rng)


def _correlations(X):
    """Pearson correlations of the columns; a constant column correlates 0 with every other one."""
    centred = X - X.mean(axis=0)
    norms = np.sqrt((centred**2).sum(axis=0))
    scaled = np.divide(centred, norms, out=np.zeros_like(centred), where=norms > 0)
    corr = scaled.T @ scaled
    np.fill_diagonal(corr, 1.0)
    return corr


class _SampleComparison:
    def __init__(self, n_samples=3000, burn_in=10, seed=None, sampler=None):
        self.n_samples = check_int(n_samples, "n_samples", minimum=2)
        self.burn_in = check_int(burn_in, "burn_in", minimum=0)
        self.sampler = _default_sampler if sampler is None else sampler
        self._rng = as_generator(seed)

    def __call__(self, model, data):
        generated = np.asarray(self.sampler(model, self.n_samples, self.burn_in, self._rng), dtype=np.float64)
        summary = self._summary(generated)
        return [(self.name, key, float(np.linalg.norm(summary - self._summary(X))), NAN)
                for key, X in data.items()]


class MeanDifference(_SampleComparison):
    """Euclidean norm of (column means of generated samples - column means of each data set).

    Samples come from ``model.sample(n_samples, burn_in=burn_in, seed=...)``, or from
    ``sampler(model, n_samples, burn_in, rng)`` when given (e.g. a CGAN's ``generate``).
    """

    name = "mean_difference"

    @staticmethod
    def _summary(X):
        return X.mean(axis=0)


class CorrelationDifference(_SampleComparison):
    """Frobenius norm of (correlations of generated samples - correlations of each data set).

    Julia's ``monitorcordiff!`` (3000 particles, burn-in 10 by default). Constant columns count
    as uncorrelated. Sampling as for :class:`MeanDifference`.
    """

    name = "correlation_difference"

    @staticmethod
    def _summary(X):
        return _correlations(X)


def _default_conditional_sampler(model, conditions, n_per_row, rng, columns):
    if hasattr(model, "generate"):  # a CGAN: one generated row per condition row
        return model.generate(np.repeat(conditions, n_per_row, axis=0), seed=rng)
    if columns is None:
        raise ValueError("conditional sampling from a Boltzmann machine needs condition_columns")
    samples = model.sample_conditional(conditions, columns, n_per_row=n_per_row, seed=rng)
    return np.delete(samples, columns, axis=1)


class ConditionalMarginalError:
    """Conditional generation against the true conditional probabilities (experiment.md §3).

    Every call draws ``n_per_row`` samples per condition row and records, with data set ``""``:
    ``marginal_error`` (the MAE of :func:`condgen.metrics.conditional_marginal_error`, with its
    Monte Carlo standard error as sd) and ``worst_cell`` (the largest ``|mean frequency - truth|``
    of a group x block cell), plus ``cell_frequency`` per cell (data set ``"group/block"``).

    Parameters
    ----------
    conditions : array-like of shape (n_rows, n_conditions)
        The condition rows (e.g. the test SNPs).
    truth : array-like of shape (n_rows, n_targets)
        True ``P(target = 1 | condition row)``, e.g. :func:`condgen.metrics.bayes_conditional_genes`.
    n_per_row : int
        Samples per condition row.
    condition_columns : sequence of int, optional
        For Boltzmann machines: the visible columns clamped to the conditions
        (``model.sample_conditional``); the other columns are the targets, in order. A model with
        ``generate`` (a CGAN) is given the repeated condition rows instead.
    groups, blocks, n_linked
        As for :func:`condgen.metrics.conditional_marginal_error`.
    sampler : callable, optional
        ``sampler(model, conditions, n_per_row, rng)`` -> samples in the layout of
        :func:`condgen.metrics.conditional_marginal_error`, replacing the default.
    seed : None, int or numpy.random.Generator
    """

    name = "marginal_error"

    def __init__(self, conditions, truth, n_per_row=40, condition_columns=None, groups=None, blocks=None,
                 n_linked=10, sampler=None, seed=None):
        self.conditions = as_matrix(conditions, "conditions")
        self.truth = as_matrix(truth, "truth")
        if self.truth.shape[0] != self.conditions.shape[0]:
            raise ValueError(f"truth has {self.truth.shape[0]} rows, conditions {self.conditions.shape[0]}")
        self.n_per_row = check_int(n_per_row, "n_per_row", minimum=1)
        self.condition_columns = None if condition_columns is None else list(condition_columns)
        self.groups, self.blocks, self.n_linked = groups, blocks, n_linked
        self.sampler = sampler
        self._rng = as_generator(seed)

    def __call__(self, model, data):  # noqa: ARG002 - the data sets are not used
        from .metrics import conditional_marginal_error

        if self.sampler is None:
            samples = _default_conditional_sampler(model, self.conditions, self.n_per_row, self._rng,
                                                   self.condition_columns)
        else:
            samples = self.sampler(model, self.conditions, self.n_per_row, self._rng)
        result = conditional_marginal_error(samples, self.truth, groups=self.groups, blocks=self.blocks,
                                            n_linked=self.n_linked)
        records = [(self.name, "", result.mae, result.mae_se),
                   ("worst_cell", "", result.worst_cell.error, result.worst_cell.se)]
        records += [("cell_frequency", f"{group}/{block}", cell.frequency, cell.frequency_se)
                    for (group, block), cell in result.cells.items()]
        return records


_NAMED = {
    "reconstruction_error": ReconstructionError,
    "free_energy": FreeEnergy,
    "exact_log_likelihood": ExactLogLikelihood,
    "log_likelihood": AISLogLikelihood,
    "lower_bound": LowerBound,
    "mean_difference": MeanDifference,
    "correlation_difference": CorrelationDifference,
    "weights_norm": WeightsNorm,
}


def _as_evaluation(item):
    if isinstance(item, str):
        if item not in _NAMED:
            raise ValueError(f"unknown evaluation {item!r}; expected a callable or one of "
                             f"{', '.join(repr(k) for k in _NAMED)}")
        return _NAMED[item]()
    if not callable(item):
        raise TypeError(f"an evaluation must be a name or a callable (model, data), got {type(item).__name__}")
    return item


def _as_datadict(data):
    if data is None:
        return {}
    if not isinstance(data, dict):
        data = {"training data": data}
    return {str(key): as_matrix(X, f"data[{key!r}]") for key, X in data.items()}


# ------------------------------------------------------------------------------------------------
# The monitor


class Monitor:
    """A ``monitor=`` hook that evaluates the model after every ``every``-th epoch.

    Parameters
    ----------
    evaluations : str, callable or list of them
        Names of ready-made evaluations (see the module docstring) or callables
        ``(model, data) -> iterable of (metric, dataset, value, sd)``.
    data : array-like or dict of str -> array-like, optional
        Named data sets to evaluate on; a single array is named ``"training data"``.
    every : int
        Evaluate at epochs ``every, 2 * every, ...`` only.

    Attributes
    ----------
    records : list of MonitorRecord
        Everything recorded so far, in order.
    pretraining : list of Monitor
        The monitors of a DBM's pre-trained layers, bottom first, when :func:`monitored_fit`
        was asked for them (empty otherwise).

    Examples
    --------
    >>> monitor = Monitor("reconstruction_error", data={"train": X, "test": X_test})  # doctest: +SKIP
    >>> BernoulliRBM(monitor=monitor).fit(X)                                         # doctest: +SKIP
    >>> monitor.plot("reconstruction_error")                                         # doctest: +SKIP
    """

    def __init__(self, evaluations=(), data=None, every=1):
        if isinstance(evaluations, str) or callable(evaluations):
            evaluations = [evaluations]
        self.evaluations = [_as_evaluation(item) for item in evaluations]
        self.data = _as_datadict(data)
        self.every = check_int(every, "every", minimum=1)
        self.records = []
        self.pretraining = []
        self._bar = None

    def __call__(self, model, epoch):
        """Run every evaluation for ``epoch`` (the hook's signature) and record the results."""
        epoch = int(epoch)
        if epoch % self.every == 0:
            for evaluation in self.evaluations:
                for metric, dataset, value, sd in evaluation(model, self.data):
                    self.record(epoch, metric, dataset, value, sd)
        if self._bar is not None:
            self._bar.set_postfix(self.latest(), refresh=False)
            self._bar.update(1)

    def record(self, epoch, metric, dataset, value, sd=NAN):
        """Append one record (for custom evaluations written outside the hook)."""
        self.records.append(MonitorRecord(int(epoch), str(metric), str(dataset), float(value), float(sd)))

    def __len__(self):
        return len(self.records)

    def __iter__(self):
        return iter(self.records)

    @property
    def metrics(self):
        """The metric names recorded so far, in order of appearance."""
        return list(dict.fromkeys(r.metric for r in self.records))

    def to_records(self):
        """The records as a list of dicts with keys epoch, metric, dataset, value, sd."""
        return [r._asdict() for r in self.records]

    def to_dataframe(self):
        """The records as a pandas DataFrame (tidy: one row per record). Requires pandas."""
        try:
            import pandas as pd
        except ImportError:  # pandas is optional
            raise ImportError("Monitor.to_dataframe needs pandas (pip install pandas); "
                              "Monitor.to_records() gives the same data as a list of dicts") from None
        return pd.DataFrame.from_records(self.to_records(), columns=list(MonitorRecord._fields))

    def series(self, metric, dataset=None):
        """Epochs, values and sds of one metric (and data set) as arrays."""
        rows = [r for r in self.records if r.metric == metric and (dataset is None or r.dataset == dataset)]
        return (np.array([r.epoch for r in rows], dtype=int), np.array([r.value for r in rows]),
                np.array([r.sd for r in rows]))

    def latest(self):
        """The last value of every (metric, dataset), keyed ``"metric[dataset]"`` (progress bars)."""
        latest = {}
        for r in self.records:
            latest[f"{r.metric}[{r.dataset}]" if r.dataset else r.metric] = round(r.value, 4)
        return latest

    def plot(self, metric, ax=None):
        """Draw ``metric`` against the epoch, one line per data set, +-1 sd band where recorded.

        Returns
        -------
        matplotlib.axes.Axes
        """
        from .plot import _axes

        rows = [r for r in self.records if r.metric == metric]
        if not rows:
            known = ", ".join(repr(m) for m in self.metrics) or "none yet"
            raise ValueError(f"no records of metric {metric!r} (recorded: {known})")
        ax = _axes(ax)
        for dataset in dict.fromkeys(r.dataset for r in rows):
            epochs, values, sds = self.series(metric, dataset)
            line, = ax.plot(epochs, values, marker="." if len(epochs) < 30 else None,
                            label=dataset or metric)
            if np.any(np.isfinite(sds) & (sds > 0)):
                ax.fill_between(epochs, values - sds, values + sds, color=line.get_color(), alpha=0.2,
                                linewidth=0)
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric.replace("_", " "))
        ax.legend(frameon=False)
        return ax

    def __repr__(self):
        return f"Monitor({len(self.records)} records, metrics={self.metrics})"


class PretrainMonitor:
    """A DBM's ``pretrain_monitor=`` hook: one :class:`Monitor` per pre-trained layer.

    The DBM calls it as ``(rbm, epoch)`` for every epoch of every layer. The first layer is
    evaluated on ``data``; each next layer on the data propagated through the layer below,
    ``rbm.hidden_probs(X, factor=rbm.up_factor)`` (what the layer is trained on; Julia's
    ``propagateforward``). Use a fresh instance for every fit.

    Parameters
    ----------
    evaluations, data, every
        As for :class:`Monitor` (evaluations that need binary data, such as the exact
        log-likelihood, only suit the first layer).

    Attributes
    ----------
    layers : list of Monitor
        One per layer, bottom first.
    """

    def __init__(self, evaluations=(), data=None, every=1):
        if isinstance(evaluations, str) or callable(evaluations):
            evaluations = [evaluations]
        self.evaluations = [_as_evaluation(item) for item in evaluations]
        self.data = _as_datadict(data)
        self.every = check_int(every, "every", minimum=1)
        self.layers = []
        self._rbm = None

    def __call__(self, rbm, epoch):
        if rbm is not self._rbm:
            data = self.data
            if self._rbm is not None:
                below = self._rbm
                data = {key: below.hidden_probs(X, factor=below.up_factor) for key, X in self.layers[-1].data.items()}
            self.layers.append(Monitor(self.evaluations, data, self.every))
            self._rbm = rbm
        self.layers[-1](rbm, epoch)


def monitored_fit(model, X, evaluations=("reconstruction_error",), data=None, every=1, progress=None,
                  pretrain_evaluations=None, pretrain_data=None, y=None):
    """Fit ``model`` on ``X`` with a :class:`Monitor` attached; returns ``(monitor, model)``.

    Julia's ``monitored_fitrbm`` / ``monitored_fitdbm``. The model's ``monitor`` (and ``progress``)
    attributes are set for this fit only and restored afterwards; the fit is otherwise exactly
    ``model.fit(X)``, so the fitted model equals an unmonitored fit with the same seed.

    Parameters
    ----------
    model : estimator with a ``monitor`` hyperparameter (BernoulliRBM, DBM, CGAN, ...)
    X : array-like
        Training data.
    evaluations, every
        As for :class:`Monitor`.
    data : array-like or dict, optional
        Data sets to evaluate on; default ``{"training data": X}``.
    progress : bool or None
        A progress bar over the epochs (for a DBM, the fine-tuning epochs) showing the latest
        monitored values; None = only in an interactive terminal.
    pretrain_evaluations : optional
        DBMs: evaluations of every pre-trained layer (a :class:`PretrainMonitor`), on
        ``pretrain_data`` (default: the data of the fine-tuning monitor).
    y : array-like, optional
        Second argument of ``fit`` (a CGAN's conditions: ``model.fit(X, y)``).

    Returns
    -------
    monitor : Monitor
        With ``monitor.pretraining`` holding the layers' monitors when asked for.
    model : the fitted model (the same object)
    """
    if not hasattr(model, "monitor"):
        raise TypeError(f"{type(model).__name__} has no monitor hook")
    monitor = Monitor(evaluations, X if data is None else data, every=every)
    hooks = ("monitor", "progress")
    pretrain = None
    if pretrain_evaluations is not None:
        if not hasattr(model, "pretrain_monitor"):
            raise TypeError(f"{type(model).__name__} has no pretrain_monitor hook")
        pretrain = PretrainMonitor(pretrain_evaluations, monitor.data if pretrain_data is None else pretrain_data,
                                   every=every)
        hooks += ("pretrain_monitor",)
    saved = {name: getattr(model, name) for name in hooks if hasattr(model, name)}
    total = getattr(model, "epochs", None)
    with progress_bar(total if isinstance(total, int) else None, progress,
                      f"fitting {type(model).__name__}") as bar:
        monitor._bar = bar
        try:
            model.monitor = monitor
            if pretrain is not None:
                model.pretrain_monitor = pretrain
            if "progress" in saved:
                model.progress = False  # one bar, ours, with the monitored values
            if y is None:
                model.fit(X)
            else:
                model.fit(X, y)
        finally:
            monitor._bar = None
            for name, value in saved.items():
                setattr(model, name, value)
    if pretrain is not None:
        monitor.pretraining = pretrain.layers
    return monitor, model

