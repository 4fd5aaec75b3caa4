"""Deep Boltzmann machines: layer-wise pre-training, mean-field fine-tuning, (conditional) Gibbs
sampling and exact likelihoods of small models (``boltzmann.md`` §1.8, §3-§6)."""

from __future__ import annotations

import copy
import dataclasses
import math
import warnings

import numpy as np

from . import _core
from ._estimator import Estimator
from ._progress import progress_bar, show_monitor
from ._random import as_generator, seed_to_uint64
from ._validation import (as_matrix, check_binary, check_choice, check_int, check_real, check_unit_interval,
                          learning_rate_schedule, visible_columns)
from .rbm import BernoulliRBM

__all__ = ["DBM", "TrainLayer"]

_PRESETS = ("condgen", "boltzmannmachines.jl")
_SAMPLERS = {"alternating": 0, "synchronous": 1}
# Enumeration cost is 2**units model evaluations: about a second at 22 units on one core.
_MAX_ENUMERATED_UNITS = 24
# condgen's fine-tuning default: this many minibatch updates per epoch, whatever the data size.
_UPDATES_PER_EPOCH = 10
# condgen's pre-training default: at most this many updates per epoch (the seed's 300 rows with
# batch 1), so the number of updates does not grow with the data (see ``pretrain_batch_size``).
_PRETRAIN_UPDATES_PER_EPOCH = 300


@dataclasses.dataclass
class TrainLayer:
    """Pre-training settings of one layer (BoltzmannMachines.jl's ``TrainLayer``).

    ``None`` fields take the value of the corresponding ``pretrain_*`` setting of the DBM.

    Parameters
    ----------
    n_hidden : int
        Hidden units of this layer.
    epochs, learning_rate, batch_size, pcd, cd_steps, centering : optional
        As ``pretrain_epochs``, ``pretrain_learning_rate``, ``pretrain_batch_size``,
        ``pretrain_pcd``, ``pretrain_cd_steps`` and ``pretrain_centering`` of :class:`DBM`.
    """

    n_hidden: int
    epochs: int | None = None
    learning_rate: float | None = None
    batch_size: int | None = None
    pcd: bool | str | None = None
    cd_steps: int | None = None
    centering: bool | None = None


def _train_layers(pretrain_layers, n_hiddens, default_n_hiddens):
    """The per-layer pre-training settings of a DBM: ``pretrain_layers`` (TrainLayers or dicts of
    their fields), or plain TrainLayers of ``n_hiddens`` (``default_n_hiddens`` when None), with
    clear errors for anything else or for both disagreeing."""
    if pretrain_layers is None:
        n_hiddens = default_n_hiddens if n_hiddens is None else n_hiddens
        if isinstance(n_hiddens, (str, bytes)) or not hasattr(n_hiddens, "__iter__"):
            raise ValueError(f"n_hiddens must be a sequence of ints, got {n_hiddens!r}")
        layers = [TrainLayer(n_hidden=n) for n in n_hiddens]
        if not layers:
            raise ValueError("n_hiddens must not be empty: name at least one hidden layer")
        return layers
    if isinstance(pretrain_layers, (TrainLayer, dict, str, bytes)) or not hasattr(pretrain_layers, "__iter__"):
        raise ValueError("pretrain_layers must be a sequence of TrainLayer or dict, one per layer")
    layers = []
    for i, layer in enumerate(pretrain_layers):
        if isinstance(layer, dict):
            try:
                layer = TrainLayer(**layer)
            except TypeError as error:
                raise ValueError(f"pretrain_layers[{i}]: {error}") from None
        elif not isinstance(layer, TrainLayer):
            raise ValueError(f"pretrain_layers[{i}] must be a TrainLayer or a dict, got {layer!r}")
        layers.append(layer)
    if not layers:
        raise ValueError("pretrain_layers must not be empty: name at least one hidden layer")
    if n_hiddens is not None and list(n_hiddens) != [layer.n_hidden for layer in layers]:
        raise ValueError(f"n_hiddens {list(n_hiddens)} disagrees with the n_hidden of pretrain_layers "
                         f"{[layer.n_hidden for layer in layers]}")
    return layers


class DBM(Estimator):
    """Deep Boltzmann machine with binary units: a stack of :class:`BernoulliRBM` layers.

    ``fit`` runs BoltzmannMachines.jl's ``fitdbm``: greedy layer-wise pre-training of the RBMs
    with the DBM factors (up 2 / down 1 for the first layer, 2 / 2 in the middle, 1 / 2 for the
    top; the next layer is trained on ``s(2 (Y W + c))``), then fine-tuning of all layers
    together: per update, ``gibbs_steps`` sweeps on ``n_particles`` persistent chains (negative
    phase), mean-field inference on the minibatch (positive phase) and one gradient-ascent step
    with learning rate ``learning_rate * 11 / (10 + epoch)``.

    Two presets choose the defaults of the settings left at ``None``:

    ============================ ======================== ==================================
    setting                      ``"condgen"`` (default)  ``"boltzmannmachines.jl"``
    ============================ ======================== ==================================
    ``learning_rate``            0.03                     0.005
    ``batch_size``               ``ceil(n_rows / 10)``    ``n_rows`` (one update per epoch)
    ``gibbs_steps``              2                        5
    ``sampler``                  ``"alternating"``        ``"synchronous"``
    ``pretrain_centering``       True                     False
    ``pretrain_batch_size``      ``ceil(n_rows / 300)``   1
    ``pretrain_pcd``             ``"tieleman"`` for a     True
                                 conditional fit, else
                                 True
    ``sample_conditional`` start ``"mean_field"``         ``"random"`` (``initparticles``)
    ============================ ======================== ==================================

    The condgen defaults come from ``dbm-quality.md``: BoltzmannMachines.jl's fine-tuning makes
    only one full-batch update per epoch and barely moves the weights, and its synchronous
    sampler biases stronger fine-tuning; centered pre-training, 10 minibatch updates per epoch
    (whatever the number of rows, so the number of updates does not grow with the data) at 0.03
    and the alternating sampler reproduce the simulator's conditional distribution far better.
    Conditional sampling starts its chains from the mean-field state given the clamped values,
    because random chains can stay in a wrong mode of the upper layers (``sample_conditional``),
    pre-training makes at most 300 updates per epoch (``pretrain_batch_size``), and for a
    conditional fit it keeps true persistent Gibbs chains (``pretrain_pcd``, see below).
    ``preset="boltzmannmachines.jl"`` reproduces the seed's procedure. With either preset,
    ``pretrain_learning_rate=None`` means ``learning_rate`` when that is given (as Julia) and
    0.005 otherwise.

    On ``benchmarks/quality.py``'s settings (hidden layers [30, 10, 2], 300 pre-training epochs
    at 0.002, 100 fine-tuning epochs, 40 conditional samples per test row after 50 sweeps, seeds
    1-20, 300 rows) the condgen defaults' worst cell is .027 +- .012 (seed setting), .043 +- .040
    (20 SNPs x 100 genes, "wide") and .050 +- .020 (activation 0.6, noise 0.25, "weak"), against
    .087-.098 for the BoltzmannMachines.jl preset at learning rate 0.003. On wide data the joint
    fine-tuning's random stream alone moves group B's linked genes by +-0.07; fine-tuning for the
    conditional (``fit(X, condition_on=snp_columns)``) removes that: seed .023 +- .010, wide .016
    +- .006, weak .034 +- .016 (``benchmarks/dbm_defaults_study.py``). On weak data the DBM
    pre-trained with BoltzmannMachines.jl's chain hardly tells the first quarter's rows (few
    SNPs, linked genes raised) from the unlinked half, and no fine-tuning setting repaired that
    (conditional fine-tuning .051 +- .019); true Gibbs chains in pre-training learn the split
    (``benchmarks/exact_gradient_rbm.py``: a 10-hidden-unit RBM pre-trained on weak data has
    worst cell .036 at 300 rows and .027 at 3000 with them, .089 and .065 with the chain of
    probabilities; conditional DBM fits .019 at 1000 rows and .017 at 3000, seeds 1-5, against
    .045 and .041). For the joint fine-tuning the
    Gibbs chains measured worse on the other settings (seed .035 +- .021, wide .056 +- .033),
    hence the preset's ``pretrain_pcd`` depends on ``condition_on``.

    Parameters
    ----------
    n_hiddens : sequence of int, optional
        Hidden units per layer; ``None`` means two hidden layers as wide as the input.
    epochs : int
        Fine-tuning epochs.
    pretrain_epochs : int, optional
        Pre-training epochs per layer (``None``: ``epochs``, as Julia).
    learning_rate : float, optional
        Initial fine-tuning learning rate (preset default, see above).
    pretrain_learning_rate : float, optional
        Pre-training learning rate (``None``: see above).
    fine_tune_learning_rates : sequence of float, optional
        One learning rate per fine-tuning epoch, replacing the decaying schedule.
    pretrain_batch_size : int, optional
        Minibatch size of pre-training (preset default, see above; Julia: 1). The condgen preset
        keeps batch 1 up to 300 rows and makes at most 300 updates per epoch above, because the
        centered PCD pre-training's weights grow with the number of updates: largest first-layer
        weight after 300 epochs 3.3 at 300 rows, 6.2 at 1000, 13.7 at 3000 rows of the seed
        setting, where the fitted DBM then turns the linked genes on in every group (worst cell
        .085 +- .033 over seeds 1-5; 1000 rows: .029 +- .009). With ``ceil(n_rows / 300)``:
        .023 +- .005 at 1000 rows (batch 4) and .018 +- .010 at 3000 rows (batch 10) over seeds
        1-10, fit 1.18x and 1.03x the BoltzmannMachines.jl preset
        (``benchmarks/dbm_defaults_study.py``).
    batch_size : int, optional
        Fine-tuning minibatch size (preset default, see above).
    n_particles : int
        Persistent Gibbs chains of fine-tuning.
    gibbs_steps : int, optional
        Gibbs sweeps on the chains before every fine-tuning update (preset default, see above).
        The condgen preset makes 10 updates per epoch where BoltzmannMachines.jl makes one, and
        its persistent chains carry over between updates, so 2 sweeps per update (20 per epoch)
        suffice: worst cell over seeds 1-20 at 300 rows (``benchmarks/fine_tune_sweeps.py``),
        2 against 5 sweeps: seed .026 +- .013 / .023 +- .010, wide .043 +- .025 / .050 +- .048,
        weak .049 +- .019 / .051 +- .019; fit CPU time 1.34-1.51x the BoltzmannMachines.jl preset
        instead of 1.83-2.11x. One sweep is worse on wide (.134 +- .080 over seeds 1-5). (These
        numbers predate the mean-field start of ``sample_conditional``.)
    mean_field_tol, mean_field_max_iter : float, int
        Mean-field iteration stops when the largest change is at most ``mean_field_tol`` or after
        ``mean_field_max_iter`` iterations (Julia has no cap).
    pretrain_pcd : {True, False, "tieleman"}, optional
        Negative phase of pre-training, as :class:`BernoulliRBM`'s ``pcd`` with one chain per
        batch row: ``"tieleman"`` keeps sampled states in true persistent Gibbs chains, True is
        BoltzmannMachines.jl's persistent chain of hidden probabilities computed from mean
        visible units (not a Gibbs chain of the model, ``boltzmann.md`` §2.3), False plain CD.
        ``None``: the preset's (table above). A single Gibbs chain is noisier than the chain of
        probabilities: on a toy of 3 noisy copies of 3 fair columns (120 rows, layers [6, 3]) it
        pre-trains to a lower exact conditional likelihood (-1.05 against -1.00 nats per row
        after fine-tuning, 300 pre-training epochs at 0.002; -1.66 against -1.33 after 20 epochs
        at 0.005): compare both on held-out rows where the data are small or pre-training short.
    pretrain_cd_steps : int
        Gibbs steps of the pre-training negative phase.
    pretrain_centering : bool, optional
        Centered pre-training (Melchior et al. 2016): visible offsets are the layer input's
        column means, hidden offsets a moving average of the hidden probabilities with rate
        ``pretrain_offset_rate``; the fitted layers are ordinary RBMs.
    pretrain_offset_rate : float
        Rate of the hidden offsets' moving average. The default 0 keeps the hidden offsets at
        0.5 (only the visible offsets follow the data): with the DBM factors and the PCD chain
        of probabilities, offsets that track the hidden means let saturated hidden units drift
        (weights growing linearly, 14-27 after 300 epochs on 20 SNPs x 100 genes, and the
        fitted DBM generating every linked gene as on in 10 of 15 fits); with fixed offsets no
        fit collapsed (20 seeds) and the seed setting keeps its error (``benchmarks/quality.py``).
    pretrain_layers : sequence of TrainLayer or dict, optional
        Per-layer pre-training settings (Julia's ``TrainLayer``); they define the hidden layers,
        so ``n_hiddens`` must then be ``None`` or agree.
    sampler : {"alternating", "synchronous"}, optional
        Gibbs sweep of fine-tuning and sampling. ``"alternating"`` updates the odd layers given
        the even ones, then the even layers given the new odd ones: a valid Gibbs sampler whose
        chains are joint samples of the model. ``"synchronous"`` updates every layer from the
        previous state at once, as BoltzmannMachines.jl: since the layers form two groups
        connected only to each other, the chains split into two independent chains, each layer's
        marginal is right but adjacent layers come from different chains, so the negative
        statistics of fine-tuning are biased (``boltzmann.md`` §5.2).
    preset : {"condgen", "boltzmannmachines.jl"}
        Defaults of the settings left at ``None`` (table above).
    dtype : numpy float dtype
        ``float64`` or ``float32`` for parameters and the C++ kernels.
    seed : None, int or numpy.random.Generator
        Seed of all randomness of ``fit``.
    monitor : callable, optional
        ``monitor(dbm, epoch)`` after every fine-tuning epoch (epochs counted from 1).
    pretrain_monitor : callable, optional
        ``pretrain_monitor(rbm, epoch)`` after every pre-training epoch of every layer.
    progress : bool or None
        Progress bars; ``None``: only in an interactive terminal.

    Attributes
    ----------
    layers_ : list of BernoulliRBM
        The RBMs of the stack; layer ``l`` connects unit layers ``l`` and ``l + 1``.
    n_features_in_ : int
        Visible units.
    fine_tune_particles_ : list of ndarray
        The persistent chains at the end of fine-tuning.
    mean_field_iterations_ : list of int
        Largest number of mean-field iterations of a chunk of rows, per fine-tuning epoch.

    Examples
    --------
    >>> import numpy as np
    >>> from condgen import DBM, simulate_snp_gep
    >>> rng = np.random.default_rng(1)
    >>> snps, genes = simulate_snp_gep(seed=rng)
    >>> test_snps, _ = simulate_snp_gep(200, n_random_samples=100, seed=rng)
    >>> dbm = DBM(n_hiddens=[30, 10, 2], pretrain_epochs=300, pretrain_learning_rate=0.002,
    ...           epochs=100, seed=1).fit(np.hstack([genes, snps]))
    >>> samples = dbm.sample_conditional(test_snps, columns=range(50, 60), steps=50, n_per_row=40)
    >>> samples.shape
    (8000, 60)

    Notes
    -----
    The intermediate biases are kept twice (hidden bias of the RBM below and visible bias of the
    RBM above) and both are trained, as in Julia, so the combined bias moves at twice the rate.
    Results do not depend on the number of threads: the C++ kernels split the work into fixed
    chunks with their own random streams.
    """

    def __init__(self, n_hiddens=None, epochs=10, pretrain_epochs=None, learning_rate=None,
                 pretrain_learning_rate=None, fine_tune_learning_rates=None, pretrain_batch_size=None,
                 batch_size=None, n_particles=100, gibbs_steps=None, mean_field_tol=1e-3,
                 mean_field_max_iter=1000, pretrain_pcd=None, pretrain_cd_steps=1,
                 pretrain_centering=None, pretrain_offset_rate=0.0, pretrain_layers=None,
                 sampler=None, preset="condgen", dtype=np.float64, seed=None, monitor=None,
                 pretrain_monitor=None, progress=False):
        self.n_hiddens = n_hiddens
        self.epochs = epochs
        self.pretrain_epochs = pretrain_epochs
        self.learning_rate = learning_rate
        self.pretrain_learning_rate = pretrain_learning_rate
        self.fine_tune_learning_rates = fine_tune_learning_rates
        self.pretrain_batch_size = pretrain_batch_size
        self.batch_size = batch_size
        self.n_particles = n_particles
        self.gibbs_steps = gibbs_steps
        self.mean_field_tol = mean_field_tol
        self.mean_field_max_iter = mean_field_max_iter
        self.pretrain_pcd = pretrain_pcd
        self.pretrain_cd_steps = pretrain_cd_steps
        self.pretrain_centering = pretrain_centering
        self.pretrain_offset_rate = pretrain_offset_rate
        self.pretrain_layers = pretrain_layers
        self.sampler = sampler
        self.preset = preset
        self.dtype = dtype
        self.seed = seed
        self.monitor = monitor
        self.pretrain_monitor = pretrain_monitor
        self.progress = progress

    # ------------------------------------------------------------------------------------------
    # construction

    @classmethod
    def from_rbms(cls, rbms, **params):
        """A usable DBM whose layers are copies of the given fitted :class:`BernoulliRBM`\\ s.

        Parameters
        ----------
        rbms : sequence of BernoulliRBM
            Bottom to top; the hidden units of each must match the visible units of the next.
        **params
            Constructor arguments of the DBM (e.g. ``sampler``, ``preset``, ``seed``).
        """
        rbms = list(rbms)
        if not rbms:
            raise ValueError("rbms must contain at least one BernoulliRBM")
        layers = []
        for i, rbm in enumerate(rbms):
            if not isinstance(rbm, BernoulliRBM):
                raise TypeError(f"rbms[{i}] must be a BernoulliRBM, not {type(rbm).__name__}")
            if not hasattr(rbm, "weights_"):
                raise ValueError(f"rbms[{i}] is not fitted (no weights_)")
            layers.append(copy.deepcopy(rbm))
        dbm = cls(n_hiddens=[layer.weights_.shape[1] for layer in layers], **params)
        dtype = np.dtype(params.get("dtype", layers[0].weights_.dtype))
        dbm.dtype = dtype
        dbm._set_layers(layers)
        return dbm

    def _set_layers(self, layers):
        """Adopt `layers` as layers_, with C-contiguous parameters of self.dtype; checks shapes."""
        dtype = self._check_dtype()
        for i, layer in enumerate(layers):
            W = np.ascontiguousarray(layer.weights_, dtype=dtype)
            b = np.ascontiguousarray(layer.visible_bias_, dtype=dtype)
            c = np.ascontiguousarray(layer.hidden_bias_, dtype=dtype)
            if W.ndim != 2 or b.shape != (W.shape[0],) or c.shape != (W.shape[1],):
                raise ValueError(f"layer {i}: weights {W.shape}, visible bias {b.shape} and hidden bias "
                                 f"{c.shape} do not fit together")
            if i > 0 and W.shape[0] != layers[i - 1].weights_.shape[1]:
                raise ValueError(f"layer {i} has {W.shape[0]} visible units but layer {i - 1} has "
                                 f"{layers[i - 1].weights_.shape[1]} hidden units")
            for name, value in (("weights", W), ("visible bias", b), ("hidden bias", c)):
                if not np.all(np.isfinite(value)):
                    raise ValueError(f"layer {i}: {name} contains NaN or infinite values")
            layer.weights_, layer.visible_bias_, layer.hidden_bias_ = W, b, c
            layer.set_params(dtype=dtype)
        self.layers_ = list(layers)
        self.n_features_in_ = self.layers_[0].weights_.shape[0]

    # ------------------------------------------------------------------------------------------
    # settings

    def _check_dtype(self):
        dtype = np.dtype(self.dtype)
        if dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
            raise ValueError(f"dtype must be float32 or float64, got {dtype}")
        return dtype

    def _sampler_code(self):
        preset = check_choice(self.preset, "preset", _PRESETS)
        sampler = self.sampler
        if sampler is None:
            sampler = "alternating" if preset == "condgen" else "synchronous"
        return _SAMPLERS[check_choice(sampler, "sampler", tuple(_SAMPLERS))]

    def _fine_tune_settings(self, n_rows):
        """Resolved fine-tuning settings for data with n_rows rows."""
        preset = check_choice(self.preset, "preset", _PRESETS)
        jl = preset == "boltzmannmachines.jl"
        epochs = check_int(self.epochs, "epochs", minimum=0)
        if self.learning_rate is None:
            learning_rate = 0.005 if jl else 0.03
        else:
            learning_rate = check_real(self.learning_rate, "learning_rate", minimum=0.0)
        if self.fine_tune_learning_rates is None:
            rates = [learning_rate * 11.0 / (10.0 + epoch) for epoch in range(1, epochs + 1)]
        else:
            rates = learning_rate_schedule(self.fine_tune_learning_rates, epochs, "fine_tune_learning_rates")
        if self.batch_size is None:
            batch_size = n_rows if jl else max(1, math.ceil(n_rows / _UPDATES_PER_EPOCH))
        else:
            batch_size = check_int(self.batch_size, "batch_size", minimum=1)
            if batch_size > n_rows:
                raise ValueError(f"batch_size ({batch_size}) must not exceed the number of rows ({n_rows})")
        return {
            "epochs": epochs,
            "rates": rates,
            "batch_size": batch_size,
            "n_particles": check_int(self.n_particles, "n_particles", minimum=1),
            "gibbs_steps": (5 if jl else 2) if self.gibbs_steps is None
            else check_int(self.gibbs_steps, "gibbs_steps", minimum=0),
            "tol": check_real(self.mean_field_tol, "mean_field_tol", minimum=0.0),
            "max_iter": check_int(self.mean_field_max_iter, "mean_field_max_iter", minimum=1),
            "sampler": self._sampler_code(),
            "learning_rate": learning_rate,
        }

    def _layer_specs(self, n_visible, n_rows, conditional=False):
        """Per-layer pre-training settings with the DBM defaults filled in (``conditional``: for
        a fit with ``condition_on``)."""
        preset = check_choice(self.preset, "preset", _PRESETS)
        jl = preset == "boltzmannmachines.jl"
        if self.pretrain_learning_rate is not None:
            default_rate = self.pretrain_learning_rate
        elif self.learning_rate is not None:  # Julia: pre-training follows the given rate
            default_rate = self.learning_rate
        else:
            default_rate = 0.005
        defaults = {
            "epochs": self.epochs if self.pretrain_epochs is None else self.pretrain_epochs,
            "learning_rate": default_rate,
            "batch_size": ((1 if jl else max(1, math.ceil(n_rows / _PRETRAIN_UPDATES_PER_EPOCH)))
                           if self.pretrain_batch_size is None else self.pretrain_batch_size),
            "pcd": ("tieleman" if conditional and not jl else True) if self.pretrain_pcd is None else self.pretrain_pcd,
            "cd_steps": self.pretrain_cd_steps,
            "centering": (not jl) if self.pretrain_centering is None else self.pretrain_centering,
        }
        layers = _train_layers(self.pretrain_layers, self.n_hiddens, default_n_hiddens=[n_visible, n_visible])
        specs = []
        for i, layer in enumerate(layers):
            spec = {"n_hidden": check_int(layer.n_hidden, f"hidden units of layer {i}", minimum=1)}
            for field, default in defaults.items():
                value = getattr(layer, field)
                spec[field] = default if value is None else value
            spec["learning_rate"] = check_real(spec["learning_rate"], f"pre-training learning rate of layer {i}",
                                               minimum=0.0)
            if not (isinstance(spec["pcd"], (bool, np.bool_)) or spec["pcd"] == "tieleman"):
                raise ValueError(f"pre-training pcd of layer {i} (pretrain_pcd) must be True, False or 'tieleman', "
                                 f"got {spec['pcd']!r}")
            specs.append(spec)
        return specs

    # ------------------------------------------------------------------------------------------
    # fitting

    def fit(self, X, y=None, condition_on=None):  # noqa: ARG002 - scikit-learn signature
        """Pre-train the layers and fine-tune the DBM on binary data ``X`` (samples in rows).

        Parameters
        ----------
        X : array-like of shape (n_rows, n_visible)
            Binary training rows.
        y : ignored
        condition_on : sequence of int or boolean mask, optional
            Visible columns the model will be conditioned on (e.g. the SNP columns, to sample
            genes given SNPs). Pre-training then keeps true Gibbs chains (``pretrain_pcd``'s
            preset default); fine-tuning follows the
            gradient of the conditional log-likelihood ``log p(other columns | these columns)``
            instead of the joint one: its negative phase runs one persistent chain per training
            row with these columns clamped to the row's values (started from the row and a draw
            of its mean-field hiddens), and the minibatch rows' chains give the negative
            statistics, so ``n_particles`` is not used. The fitted DBM then models the other
            columns given these; samples of these columns (the reverse direction, or
            unconditional ones) come from a marginal that fine-tuning no longer fits. On
            ``benchmarks/quality.py``'s "wide" setting (20 SNPs x 100 genes, 300 rows) this
            removes most of the run-to-run spread of the joint fine-tuning, and on its "weak"
            setting the Gibbs chains take the worst cell from .051 to .034 (see the notes of
            ``benchmarks/dbm_defaults_study.py``).

        Returns
        -------
        self : DBM
        """
        dtype = self._check_dtype()
        X = check_binary(as_matrix(X, "X"), "X")
        n, n_visible = X.shape
        clamped = visible_columns(condition_on, n_visible, "condition_on")
        if condition_on is not None and not clamped:
            raise ValueError("condition_on names no column: pass None to fine-tune the joint likelihood")
        if len(clamped) == n_visible:
            raise ValueError("condition_on must leave at least one visible column free")
        specs = self._layer_specs(n_visible, n, conditional=bool(clamped))
        settings = self._fine_tune_settings(n)
        offset_rate = check_real(self.pretrain_offset_rate, "pretrain_offset_rate", 0.0, 1.0)
        if self.monitor is not None and not callable(self.monitor):
            raise ValueError("monitor must be callable")
        rng = as_generator(self.seed)

        L = len(specs)
        layers = []
        Y = X.astype(dtype)
        for l, spec in enumerate(specs):
            up = 2.0 if (l < L - 1 or L == 1) else 1.0
            down = 1.0 if l == 0 else 2.0
            rbm = BernoulliRBM(
                n_hidden=spec["n_hidden"], epochs=spec["epochs"], learning_rate=spec["learning_rate"],
                batch_size=spec["batch_size"], pcd=spec["pcd"], cd_steps=spec["cd_steps"],
                up_factor=up, down_factor=down, centering=spec["centering"], offset_rate=offset_rate,
                dtype=dtype, seed=int(rng.integers(2**63)), monitor=self.pretrain_monitor,
                progress=self.progress,
            )
            rbm._fit_array(Y)
            layers.append(rbm)
            if l < L - 1:  # next layer's input: s(2 (Y W + c)), the doubled bottom-up input
                Y = _sigmoid(2.0 * (Y @ rbm.weights_ + rbm.hidden_bias_)).astype(dtype)
        self._set_layers(layers)
        self._fine_tune(X.astype(dtype), settings, rng, clamped)
        return self

    def _fine_tune(self, X, settings, rng, clamped=()):
        if clamped:  # one chain per row: the row itself and a draw of its mean-field hiddens
            particles = [X.copy()] + [(rng.random(mu.shape) < mu).astype(X.dtype) for mu in self.mean_field(X)[1:]]
        else:
            particles = self.init_particles(settings["n_particles"], seed=rng)
        self.mean_field_iterations_ = []
        weights, visible, hidden = self._param_lists()
        with progress_bar(settings["epochs"], self.progress, "DBM fine-tuning") as bar:
            for epoch in range(1, settings["epochs"] + 1):
                iterations = _core.dbm_fine_tune_epoch(
                    weights, visible, hidden, particles, X, settings["batch_size"],
                    settings["rates"][epoch - 1], settings["gibbs_steps"], settings["sampler"],
                    settings["tol"], settings["max_iter"], seed_to_uint64(rng), list(clamped))
                self.mean_field_iterations_.append(iterations)
                bar.update()
                if self.monitor is not None:
                    self.monitor(self, epoch)
                    show_monitor(bar, self.monitor)
        self.fine_tune_particles_ = particles

    def _param_lists(self, dtype=None):
        """The layers' parameter arrays (the arrays themselves when dtype is the model's)."""
        self._check_fitted()
        convert = (lambda a: a) if dtype is None else (lambda a: np.ascontiguousarray(a, dtype=dtype))
        return ([convert(layer.weights_) for layer in self.layers_],
                [convert(layer.visible_bias_) for layer in self.layers_],
                [convert(layer.hidden_bias_) for layer in self.layers_])

    def _check_fitted(self):
        if not hasattr(self, "layers_"):
            raise ValueError("this DBM is not fitted yet: call fit or build it with DBM.from_rbms")

    # ------------------------------------------------------------------------------------------
    # sampling

    @property
    def layer_sizes_(self):
        """Units per unit layer, visible first."""
        self._check_fitted()
        return [self.layers_[0].weights_.shape[0]] + [layer.weights_.shape[1] for layer in self.layers_]

    def init_particles(self, n, biased=False, seed=None):
        """Initial Gibbs chains: one ``(n, units)`` array per unit layer (``boltzmann.md`` §5.4).

        Parameters
        ----------
        n : int
            Number of chains.
        biased : bool
            False: every unit 0 or 1 with probability 1/2. True: visible units ``Bernoulli(s(b))``
            with the first RBM's visible bias, hidden layer ``k`` ``Bernoulli(s(c_k))`` with the
            hidden bias of the RBM below it only (as Julia, not the combined bias).
        seed : None, int or numpy.random.Generator
        """
        self._check_fitted()
        n = check_int(n, "n", minimum=1)
        rng = as_generator(seed)
        dtype = self.layers_[0].weights_.dtype
        sizes = self.layer_sizes_
        if not biased:
            return [(rng.random((n, size)) < 0.5).astype(dtype) for size in sizes]
        biases = [self.layers_[0].visible_bias_] + [layer.hidden_bias_ for layer in self.layers_]
        return [(rng.random((n, size)) < _sigmoid(bias.astype(np.float64))).astype(dtype)
                for size, bias in zip(sizes, biases)]

    def _check_particles(self, particles):
        sizes = self.layer_sizes_
        if not isinstance(particles, (list, tuple)) or len(particles) != len(sizes):
            raise ValueError(f"particles must be a list of {len(sizes)} arrays (one per unit layer)")
        n = None
        for k, (array, size) in enumerate(zip(particles, sizes)):
            if not isinstance(array, np.ndarray) or array.ndim != 2 or array.shape[1] != size:
                raise ValueError(f"particles[{k}] must be a 2-D array with {size} columns")
            if n is None:
                n = array.shape[0]
            elif array.shape[0] != n:
                raise ValueError(f"particles[{k}] has {array.shape[0]} rows, particles[0] has {n}")
            check_binary(array, f"particles[{k}]")

    def _clamp_columns(self, clamp):
        return visible_columns(clamp, self.n_features_in_, "clamp")

    def gibbs_sample(self, particles, steps=1, clamp=None, seed=None):
        """Run ``steps`` Gibbs sweeps on ``particles`` in place and return them.

        Parameters
        ----------
        particles : list of ndarray
            One binary ``(n, units)`` array per unit layer, e.g. from :meth:`init_particles`.
        steps : int
            Sweeps (the sampler is the one of this model, see ``sampler``).
        clamp : sequence of int or boolean mask, optional
            Visible columns that keep the values the particles hold (conditional sampling).
        seed : None, int or numpy.random.Generator
        """
        self._check_fitted()
        self._check_particles(particles)
        steps = check_int(steps, "steps", minimum=0)
        columns = self._clamp_columns(clamp)
        dtype = self.layers_[0].weights_.dtype
        work = [p if (p.dtype == dtype and p.flags.c_contiguous and p.flags.writeable)
                else np.ascontiguousarray(p, dtype=dtype) for p in particles]
        weights, visible, hidden = self._param_lists()
        _core.dbm_gibbs(weights, visible, hidden, work, steps, self._sampler_code(), columns,
                        seed_to_uint64(seed))
        for target, result in zip(particles, work):
            if target is not result:
                target[...] = result
        return particles

    def sample(self, n, burn_in=50, conditions=None, seed=None):
        """``n`` visible samples after ``burn_in`` sweeps from random chains.

        Parameters
        ----------
        n : int
            Number of samples (independent chains).
        burn_in : int
            Gibbs sweeps.
        conditions : dict, optional
            Visible column index -> value (0 or 1) clamped in every chain (Julia's
            ``samples(...; conditions=...)``).
        seed : None, int or numpy.random.Generator

        Returns
        -------
        ndarray of shape (n, n_visible)
        """
        self._check_fitted()
        burn_in = check_int(burn_in, "burn_in", minimum=0)
        rng = as_generator(seed)
        particles = self.init_particles(n, seed=rng)
        columns = []
        if conditions:
            if not isinstance(conditions, dict):
                raise ValueError("conditions must be a dict mapping visible column index -> 0 or 1")
            for column, value in conditions.items():
                column = check_int(column, "conditions column", minimum=0, maximum=self.n_features_in_ - 1)
                if value not in (0, 1):
                    raise ValueError(f"conditions[{column}] must be 0 or 1, got {value!r}")
                particles[0][:, column] = value
                columns.append(column)
        self.gibbs_sample(particles, burn_in, clamp=columns, seed=rng)
        return particles[0]

    def sample_conditional(self, values, columns, steps=50, n_per_row=1, seed=None, start=None):
        """Sample the free visible units given the values of ``columns``, row by row.

        With ``start="random"`` this is the seed's ``initparticles`` + clamping +
        ``gibbssamplecond!``: random initial chains, the given columns set and kept clamped,
        ``steps`` Gibbs sweeps. ``start="mean_field"`` starts each row's chains instead from a
        draw of the mean-field state of the free units given the clamped columns (free visible
        units included; iterated as :meth:`mean_field`, from the free visible units at
        ``s(visible bias)`` and the doubled upward pass), then runs the same sweeps.

        Parameters
        ----------
        values : array-like of shape (m, len(columns))
            Binary values of the conditioning columns, one row per condition.
        columns : sequence of int
            Visible columns the values belong to.
        steps : int
            Gibbs sweeps.
        n_per_row : int
            Samples per row of ``values``.
        seed : None, int or numpy.random.Generator
        start : {None, "random", "mean_field"}
            Initial state of the chains; ``None``: ``"mean_field"`` with the condgen preset,
            ``"random"`` with the BoltzmannMachines.jl preset. Fitted DBMs can have modes of
            the upper layers that Gibbs chains hardly leave even with the visible units
            clamped: on 20 SNPs x 100 genes (``benchmarks/quality.py``'s "wide" setting, 300
            rows) random chains of condgen's defaults stay in the wrong mode for up to a third
            of group B's rows (B's linked genes at 0.51 against 0.77 in the data, unchanged after
            3000 sweeps), while the mean-field start, which follows the clamped values, gives
            a worst cell of .041 +- .029 (max .087) over seeds 1-20 instead of .065 +- .067
            (max .269); seed .028 / .028 and weak .049 / .050 are unchanged
            (``benchmarks/dbm_defaults_study.py``). Where the clamped values leave the free units
            with several modes, the mean-field state sits in one of them: sampling the seed's
            SNPs given its genes (seed 1, condgen defaults, 50 sweeps), where group B's SNPs are
            all 0 or all 1, the mean-field start gives B's SNPs 0.34 (Bayes-optimal 0.82, worst
            cell .48), the random start 0.68 (.15; .05 after 500 sweeps); ``condgen compare``
            samples that direction from random chains.

        Returns
        -------
        ndarray of shape (m * n_per_row, n_visible)
            Rows ``i * n_per_row`` to ``(i + 1) * n_per_row - 1`` belong to row ``i`` of ``values``.
        """
        self._check_fitted()
        columns_array = np.asarray(columns)
        if columns_array.ndim != 1 or columns_array.size == 0 or not np.issubdtype(columns_array.dtype, np.integer):
            raise ValueError("columns must be a non-empty sequence of visible column indices")
        if np.any((columns_array < 0) | (columns_array >= self.n_features_in_)):
            raise ValueError(f"columns must be in [0, {self.n_features_in_}), got {columns_array.tolist()}")
        if len(set(columns_array.tolist())) != columns_array.size:
            raise ValueError("columns must not repeat")
        values = check_binary(as_matrix(values, "values"), "values")
        if values.shape[1] != columns_array.size:
            raise ValueError(f"values has {values.shape[1]} columns but {columns_array.size} columns are given")
        steps = check_int(steps, "steps", minimum=0)
        n_per_row = check_int(n_per_row, "n_per_row", minimum=1)
        if start is None:
            start = "mean_field" if check_choice(self.preset, "preset", _PRESETS) == "condgen" else "random"
        start = check_choice(start, "start", ("random", "mean_field"))
        rng = as_generator(seed)
        if start == "random":
            particles = self.init_particles(values.shape[0] * n_per_row, seed=rng)
        else:
            dtype = self.layers_[0].weights_.dtype
            particles = [(rng.random((values.shape[0] * n_per_row, mu.shape[1])) < np.repeat(mu, n_per_row, axis=0))
                         .astype(dtype) for mu in self._clamped_mean_field(values, columns_array)]
        particles[0][:, columns_array] = np.repeat(values, n_per_row, axis=0)
        self.gibbs_sample(particles, steps, clamp=columns_array, seed=rng)
        return particles[0]

    def _clamped_mean_field(self, values, columns):
        """Mean-field probabilities of every unit layer with the visible ``columns`` fixed to
        ``values`` (float64; the free visible units are mean-field variables too)."""
        W = [layer.weights_.astype(np.float64) for layer in self.layers_]
        c = [layer.hidden_bias_.astype(np.float64) for layer in self.layers_]
        b = [layer.visible_bias_.astype(np.float64) for layer in self.layers_]
        L = len(W)
        bias = [b[0]] + [c[k - 1] + b[k] for k in range(1, L)] + [c[L - 1]]
        free = np.setdiff1d(np.arange(self.n_features_in_), columns)
        tol = check_real(self.mean_field_tol, "mean_field_tol", minimum=0.0)
        max_iter = check_int(self.mean_field_max_iter, "mean_field_max_iter", minimum=1)
        with np.errstate(over="ignore"):  # exp overflow is a sigmoid of 0, as wanted
            mu = [np.repeat(_sigmoid(b[0])[None, :], values.shape[0], axis=0)]
            mu[0][:, columns] = values
            for k in range(1, L + 1):  # doubled upward pass below the top, as mean_field
                mu.append(_sigmoid((2.0 if k < L else 1.0) * (mu[k - 1] @ W[k - 1] + c[k - 1])))
            for _ in range(max_iter):
                new = _sigmoid(bias[0][free] + mu[1] @ W[0][free].T)
                change = np.max(np.abs(new - mu[0][:, free]), initial=0.0)
                mu[0][:, free] = new
                for k in range(1, L + 1):
                    a = bias[k] + mu[k - 1] @ W[k - 1]
                    new = _sigmoid(a + mu[k + 1] @ W[k].T if k < L else a)
                    change = max(change, np.max(np.abs(new - mu[k])))
                    mu[k] = new
                if change <= tol:
                    break
        return mu

    # ------------------------------------------------------------------------------------------
    # inference and likelihood

    def mean_field(self, X):
        """Mean-field activations ``[X, mu_1, ..., mu_L]`` of the hidden layers given ``X``.

        Iterates the fixed-point equations (``boltzmann.md`` §4.4) until the largest change within
        a chunk of 64 rows is at most ``mean_field_tol``, at most ``mean_field_max_iter`` times
        (a RuntimeWarning says when the cap was reached).
        """
        self._check_fitted()
        dtype = self.layers_[0].weights_.dtype
        X = check_unit_interval(as_matrix(X, "X", n_columns=self.n_features_in_), "X")
        X = np.ascontiguousarray(X, dtype=dtype)
        tol = check_real(self.mean_field_tol, "mean_field_tol", minimum=0.0)
        max_iter = check_int(self.mean_field_max_iter, "mean_field_max_iter", minimum=1)
        weights, visible, hidden = self._param_lists()
        mu, iterations = _core.dbm_mean_field(weights, visible, hidden, X, tol, max_iter)
        if iterations >= max_iter:
            warnings.warn(f"mean-field iteration stopped at mean_field_max_iter={max_iter} before "
                          f"reaching mean_field_tol={tol}", RuntimeWarning, stacklevel=2)
        return [X, *mu]

    def transform(self, X):
        """Top-layer mean-field activations, shape ``(n, n_hiddens[-1])``."""
        return self.mean_field(X)[-1]

    def _enumerated_units(self, visible_fixed):
        sizes = self.layer_sizes_
        even = sum(size for k, size in enumerate(sizes) if k % 2 == 0 and not (k == 0 and visible_fixed))
        odd = sum(size for k, size in enumerate(sizes) if k % 2 == 1)
        units = min(even, odd)
        if units > _MAX_ENUMERATED_UNITS:
            raise ValueError(f"exact computation would enumerate 2**{units} states; it is limited to "
                             f"DBMs where one parity of layers has at most {_MAX_ENUMERATED_UNITS} units")

    def exact_log_partition(self):
        """Exact log partition function (small DBMs: one parity of layers enumerated)."""
        self._check_fitted()
        self._enumerated_units(visible_fixed=False)
        return float(_core.dbm_exact_log_partition(*self._param_lists(np.float64)))

    def exact_log_likelihood(self, X):
        """Mean exact log-likelihood of the binary rows of ``X`` (small DBMs only)."""
        self._check_fitted()
        X = check_binary(as_matrix(X, "X", n_columns=self.n_features_in_), "X")
        self._enumerated_units(visible_fixed=True)
        self._enumerated_units(visible_fixed=False)
        params = self._param_lists(np.float64)
        log_unnormalized = _core.dbm_exact_log_unnormalized(*params, X)
        return float(np.mean(log_unnormalized) - _core.dbm_exact_log_partition(*params))

    # ------------------------------------------------------------------------------------------
    # likelihood estimates (condgen.likelihood)

    def log_partition(self, method="ais", n_temperatures=100, n_particles=100, burn_in=5, temperatures=None,
                      variant="fixed", seed=None, progress=None):
        """log Z as ``LogEstimate(value, sd)``: AIS (boltzmann.md §6.6) or ``method="exact"`` (sd 0).

        AIS keeps the even layers (visible, h2, ...) as its state and sums out the odd ones. By
        default it starts from exact draws of the zero-weight model and uses valid alternating
        transitions; ``variant="boltzmannmachines.jl"`` reproduces Julia's biased version (start
        state from the hidden biases only, synchronous sweeps). See
        :func:`condgen.likelihood.ais_log_weights` for the other arguments.
        """
        from .likelihood import log_partition

        return log_partition(self, method, n_temperatures=n_temperatures, temperatures=temperatures,
                             n_particles=n_particles, burn_in=burn_in, variant=variant, seed=seed,
                             progress=progress)

    def log_likelihood(self, X, method="ais", log_partition=None, n_temperatures=100, n_particles=100, burn_in=5,
                       temperatures=None, variant="fixed", seed=None, progress=None):
        """Mean log-likelihood of the rows of ``X`` as ``LogEstimate(value, sd)`` (boltzmann.md §6.7).

        With AIS, every row's unnormalised probability is estimated by its own AIS run over the
        hidden layers (in parallel over rows), and log Z by :meth:`log_partition` unless given.
        """
        from .likelihood import log_likelihood

        return log_likelihood(self, X, method, log_partition=log_partition, n_temperatures=n_temperatures,
                              temperatures=temperatures, n_particles=n_particles, burn_in=burn_in,
                              variant=variant, seed=seed, progress=progress)

    def log_prob_lower_bound(self, X, log_partition=None, method="ais", n_temperatures=100, n_particles=100,
                             burn_in=5, temperatures=None, seed=None, progress=None):
        """Variational lower bound of the mean log-likelihood from the mean-field activations.

        ``LogEstimate(value, sd)`` (boltzmann.md §6.7); log Z from :meth:`log_partition` with
        ``method`` and the AIS settings unless ``log_partition`` is given.
        """
        from .likelihood import log_prob_lower_bound

        if log_partition is None:
            log_partition = self.log_partition(method, n_temperatures=n_temperatures, n_particles=n_particles,
                                               burn_in=burn_in, temperatures=temperatures, seed=seed,
                                               progress=progress)
        return log_prob_lower_bound(self, X, log_partition=log_partition)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))
