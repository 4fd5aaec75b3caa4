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

Ready-made evaluations (names usable as strings): ``"reconstruction_error"``, ``"free_energy"``,
``"exact_log_likelihood"``, ``"log_likelihood"`` (AIS), ``"lower_bound"`` (DBMs),
``"mean_difference"``, ``"correlation_difference"`` (Julia's ``monitorcordiff``). An evaluation is
any callable ``(model, data) -> iterable of (metric, dataset, value, sd)``, so custom ones are a
small function.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._progress import progress_bar
from ._random import as_generator
from ._validation import as_matrix, check_int

__all__ = [
    "AISLogLikelihood",
    "CorrelationDifference",
    "ExactLogLikelihood",
    "FreeEnergy",
    "LowerBound",
    "MeanDifference",
    "Monitor",
    "MonitorRecord",
    "ReconstructionError",
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
    ``"exact"`` enumerates (tiny models).
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
            value = float(model.log_prob_lower_bound(X, log_partition=log_z))
            records.append((self.name, key, value, float(log_z.sd)))
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


_NAMED = {
    "reconstruction_error": ReconstructionError,
    "free_energy": FreeEnergy,
    "exact_log_likelihood": ExactLogLikelihood,
    "log_likelihood": AISLogLikelihood,
    "lower_bound": LowerBound,
    "mean_difference": MeanDifference,
    "correlation_difference": CorrelationDifference,
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


def monitored_fit(model, X, evaluations=("reconstruction_error",), data=None, every=1, progress=None):
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
        A progress bar over the epochs showing the latest monitored values; None = only in an
        interactive terminal.

    Returns
    -------
    monitor : Monitor
    model : the fitted model (the same object)
    """
    if not hasattr(model, "monitor"):
        raise TypeError(f"{type(model).__name__} has no monitor hook")
    monitor = Monitor(evaluations, X if data is None else data, every=every)
    saved = {name: getattr(model, name) for name in ("monitor", "progress") if hasattr(model, name)}
    total = getattr(model, "epochs", None)
    with progress_bar(total if isinstance(total, int) else None, progress,
                      f"fitting {type(model).__name__}") as bar:
        monitor._bar = bar
        try:
            model.monitor = monitor
            if "progress" in saved:
                model.progress = False  # one bar, ours, with the monitored values
            model.fit(X)
        finally:
            monitor._bar = None
            for name, value in saved.items():
                setattr(model, name, value)
    return monitor, model

