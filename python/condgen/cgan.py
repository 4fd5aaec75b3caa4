"""The conditional GAN of the seed example, trained by the C++ core (dense layers, manual backprop, Adam)."""

from __future__ import annotations

import numpy as np

from . import _core
from ._progress import progress_bar, show_monitor
from ._random import seed_to_uint64
from ._validation import as_matrix, check_bool, check_choice, check_int, check_real

__all__ = ["CGAN"]

ACTIVATIONS = ("identity", "leaky_relu", "relu", "sigmoid", "tanh")
KINDS = ("rounded", "probabilities", "bernoulli")

# The training recipes: "seed" is the seed example's fitcgan; "condgen" the recipe measured to
# reproduce the simulator's Bayes-optimal conditional best (../shared/spec/cgan-quality.md): instance
# noise on the data columns only (noising the condition hides it from the discriminator), sd 1, an
# exponential moving average of the generator, 30 noise variables, and Adam at 2e-3 (at 1e-3 the
# generator of 100 genes has not left its early near-deterministic phase after 25000 steps in
# some runs; benchmarks/cgan_defaults_study.py).
PRESETS = {
    "condgen": {"n_noise": 30, "discriminator_noise_sd": 1.0, "discriminator_noise_on": "data",
                "ema_decay": 0.999, "learning_rate": 2e-3},
    "seed": {"n_noise": 10, "discriminator_noise_sd": 2.0, "discriminator_noise_on": "all",
             "ema_decay": None, "learning_rate": 1e-3},
}


def _is_auto(value) -> bool:
    return isinstance(value, str) and value == "auto"


def _check_hidden(hidden, name):
    """Validate a list of (units, activation) pairs; None stays None (the seed's architecture)."""
    if hidden is None:
        return None
    if isinstance(hidden, (str, bytes)) or not hasattr(hidden, "__iter__"):
        raise ValueError(f"{name} must be None or a list of (units, activation) pairs, got {hidden!r}")
    layers = []
    for i, layer in enumerate(hidden):
        if not isinstance(layer, (tuple, list)) or len(layer) != 2:
            raise ValueError(f"{name}[{i}] must be a (units, activation) pair, got {layer!r}")
        units = check_int(layer[0], f"{name}[{i}] units", minimum=1)
        activation = check_choice(layer[1], f"{name}[{i}] activation", ACTIVATIONS)
        layers.append((units, activation))
    return layers


class CGAN:
    """Conditional generative adversarial network for data ``x`` given a condition ``y``.

    The generator maps ``[z, y]`` (noise ``z ~ N(0, 1)`` first, then the condition) through dense
    layers to a sigmoid output of the width of ``x``; the discriminator maps ``[x, y]`` to the
    probability that the row is real. Per minibatch, the discriminator takes one Adam step on
    ``L_D = -(mean log D(real + n) + mean log(1 - D(fake + n))) / 2``, with one draw of Gaussian
    instance noise ``n`` shared by real and fake rows, then the generator one Adam step on
    ``L_G = -mean log D([G(z, y), y])`` with the same ``z``, the updated discriminator and no
    noise. Both losses are computed from the discriminator's logit with a stable log-sigmoid;
    the seed adds ``eps(Float32)`` inside its logarithms, which shifts its values by at most
    about 1e-7 per term. Training runs in float32 in C++, one call per epoch.

    Parameters
    ----------
    n_noise : int or "auto"
        Number of noise variables of the generator ("auto": the preset's, 30 or the seed's 10).
    generator_hidden, discriminator_hidden : list of (units, activation) or None
        Hidden layers; the output layers ``(n_x, "sigmoid")`` and ``(1, "sigmoid")`` are added.
        None gives the seed's architecture, whose sizes depend on the data:
        generator ``[(n_noise + n_y, "leaky_relu")]``, discriminator
        ``[(n_x + n_y, "leaky_relu"), (40, "identity"), (20, "leaky_relu")]``. Activations:
        ``"identity"``, ``"leaky_relu"`` (slope 0.01), ``"relu"``, ``"sigmoid"``, ``"tanh"``.
    epochs : int
        Passes over the data.
    batch_size : int
        Rows per minibatch (the last batch of an epoch may be smaller); at most the number of rows.
    learning_rate : float or "auto"
        Adam's step size ("auto": the preset's, 2e-3 or the seed's 1e-3).
    betas : (float, float)
        Adam's decay rates of the first and second moment estimates.
    adam_eps : float
        Adam's epsilon.
    discriminator_noise_sd : float or "auto"
        Standard deviation of the instance noise in the discriminator step ("auto": the preset's,
        1 or the seed's 2).
    discriminator_noise_on : {"data", "all"} or "auto"
        Add the instance noise to the data columns only or to all discriminator inputs, the
        condition included (the seed). "auto": the preset's.
    ema_decay : float in [0, 1), None or "auto"
        Decay per step of an exponential moving average of the generator's parameters, which
        :meth:`generate` uses by default; None disables it. "auto": the preset's (0.999 or None).
    reshuffle : bool
        Draw new batches every epoch. The seed shuffles once and then visits the same batches in
        the same order every epoch (False).
    preset : {"condgen", "seed"}
        Where the "auto" values come from. ``"seed"`` is the seed example exactly: 10 noise
        variables, noise with sd 2 on every discriminator input, no averaging. ``"condgen"``
        (default) is the recipe that comes closest to the Bayes-optimal conditional of the
        seed's simulator: 30 noise variables, noise with sd 1 on the data columns only (noise on
        the condition hides it from the discriminator and biases the generator), a moving
        average with decay 0.999 and Adam at 2e-3 (see Notes).
    seed : None, int or numpy.random.Generator
        Initial weights, batches and training noise.
    monitor : callable or None
        Called as ``monitor(cgan, epoch)`` after every epoch (epochs counted from 1), with the
        current weights in the model's attributes.
    progress : bool or None
        Show a progress bar (None: only in an interactive terminal).
    warm_start : bool
        Continue from the current weights (set by :meth:`fit` or :meth:`set_weights`) instead of
        new ones; Adam's moment estimates and the moving average start afresh.

    Attributes
    ----------
    generator_weights_, discriminator_weights_ : list of (W, b)
        Per layer the weights ``W`` of shape ``(n_in, n_out)`` and the biases ``b`` of shape
        ``(n_out,)``: a layer maps ``A`` to ``act(A @ W + b)``.
    generator_average_weights_ : list of (W, b) or None
        The moving average of the generator's parameters (None without averaging).
    history_ : dict of str -> ndarray of shape (epochs,)
        ``"discriminator_seed"``, ``"generator_seed"``: the seed's monitor, the sum over the
        epoch's batches of loss / batch size; ``"discriminator_mean"``, ``"generator_mean"``:
        the mean batch loss.
    n_x_, n_y_, n_noise_ : int
        Widths of the data, the condition and the noise.
    steps_ : int
        Training steps (minibatches) taken by the last fit.

    Notes
    -----
    The "condgen" learning rate, 2e-3 (the seed's is 1e-3), comes from
    ``benchmarks/cgan_defaults_study.py`` (quality.py's protocol: 300-3000 training rows,
    2500 epochs, batch 32, the worst of 6 group x gene-block cells of 40 generated rows per test
    row against the Bayes-optimal conditional). At 1e-3 the recipe reached 0.02-0.035 on the
    seed's simulator (10 SNPs, 50 genes) but 0.064 +- 0.044 over 20 seeds (up to 0.21) with 20
    SNPs and 100 genes. There the generator starts near-deterministic (the averaged generator's
    worst cell stays at 0.21-0.23, worse than the rounded Bayes mode's 0.18, until epoch 1250-1750
    in most runs; on the seed's simulator it is below 0.1 by epoch 750) and has often not left
    that phase by epoch 2500: the failed runs carry the mode's sign pattern (B-linked frequency
    too high by 0.06-0.11, every other cell too low) and a discriminator still winning (late loss
    0.61-0.64 against 0.65-0.66 in the good runs; log 2 = 0.69). At 2e-3 the phase ends at epoch
    750-1000: worst cell 0.031 +- 0.016 over the same 20 seeds (at most 0.060), and
    0.026 +- 0.010 against 0.032 +- 0.015 on the seed setting (10 seeds), at the same cost per
    step. One change at a time from 1e-3 on the wide setting, seeds 1-10 (1e-3: 0.059, 2e-3:
    0.025), none as good as 2e-3: instance-noise sd 0.7
    or 1.4 (0.092, 0.074), 60 or 100 noise variables (0.078, 0.058), a 100-unit generator
    (0.057), reshuffling (0.101), decay 0.998 (0.052), learning rate 1.5e-3 or 3e-3 (0.040,
    0.048), a discriminator whose first layer keeps the seed's 60 units (0.039, 0.7x the cost;
    with 2e-3 0.044 over 20 seeds). On 1000 rows (three times the steps) 2e-3 is not better:
    0.028 +- 0.020 against 0.018 +- 0.010 over 10 seeds.

    Examples
    --------
    >>> import numpy as np, condgen
    >>> rng = np.random.default_rng(1)
    >>> snps, genes = condgen.simulate_snp_gep(seed=rng)
    >>> test_snps, test_genes = condgen.simulate_snp_gep(200, n_random_samples=100, seed=rng)
    >>> cgan = condgen.CGAN(epochs=2500, batch_size=32, seed=1).fit(genes, snps)
    >>> generated = cgan.generate(test_snps, seed=2)
    """

    def __init__(self, n_noise="auto", generator_hidden=None, discriminator_hidden=None, epochs=100,
                 batch_size=5, learning_rate="auto", betas=(0.9, 0.999), adam_eps=1e-8,
                 discriminator_noise_sd="auto", discriminator_noise_on="auto", ema_decay="auto",
                 reshuffle=False, preset="condgen", seed=None, monitor=None, progress=False,
                 warm_start=False):
        self.n_noise = n_noise
        self.generator_hidden = generator_hidden
        self.discriminator_hidden = discriminator_hidden
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.betas = betas
        self.adam_eps = adam_eps
        self.discriminator_noise_sd = discriminator_noise_sd
        self.discriminator_noise_on = discriminator_noise_on
        self.ema_decay = ema_decay
        self.reshuffle = reshuffle
        self.preset = preset
        self.seed = seed
        self.monitor = monitor
        self.progress = progress
        self.warm_start = warm_start

    def save(self, path, columns=None):
        """Save the fitted model to one ``.npz`` file; :func:`condgen.load` reads it back.

        ``columns``: optional column names (``{"x": [...], "y": [...]}``), kept in the file's metadata.
        See :func:`condgen.persist.save`.
        """
        from .persist import save

        return save(self, path, columns=columns)

    # -------------------------------------------------------------------------------------------
    # Hyperparameters

    def _recipe(self) -> dict:
        """The validated recipe: the preset's values where the parameters say "auto"."""
        preset = PRESETS[check_choice(self.preset, "preset", tuple(PRESETS))]
        n_noise = preset["n_noise"] if _is_auto(self.n_noise) else check_int(self.n_noise, "n_noise", minimum=1)
        noise_sd = (preset["discriminator_noise_sd"] if _is_auto(self.discriminator_noise_sd)
                    else check_real(self.discriminator_noise_sd, "discriminator_noise_sd", minimum=0.0))
        noise_on = (preset["discriminator_noise_on"] if _is_auto(self.discriminator_noise_on)
                    else check_choice(self.discriminator_noise_on, "discriminator_noise_on", ("data", "all")))
        if _is_auto(self.ema_decay):
            ema_decay = preset["ema_decay"]
        elif self.ema_decay is None:
            ema_decay = None
        else:
            ema_decay = check_real(self.ema_decay, "ema_decay", minimum=0.0)
            if ema_decay >= 1.0:
                raise ValueError(f"ema_decay must be below 1 (or None to disable), got {ema_decay}")
        return {"n_noise": n_noise, "noise_sd": noise_sd, "noise_on": noise_on, "ema_decay": ema_decay}

    def _optimizer(self) -> dict:
        preset = PRESETS[check_choice(self.preset, "preset", tuple(PRESETS))]
        learning_rate = (preset["learning_rate"] if _is_auto(self.learning_rate)
                         else check_real(self.learning_rate, "learning_rate", minimum=0.0, strict_minimum=True))
        if not isinstance(self.betas, (tuple, list)) or len(self.betas) != 2:
            raise ValueError(f"betas must be a pair (beta1, beta2), got {self.betas!r}")
        beta1 = check_real(self.betas[0], "betas[0]", minimum=0.0)
        beta2 = check_real(self.betas[1], "betas[1]", minimum=0.0)
        if beta1 >= 1.0 or beta2 >= 1.0:
            raise ValueError(f"betas must lie in [0, 1), got {tuple(self.betas)}")
        adam_eps = check_real(self.adam_eps, "adam_eps", minimum=0.0, strict_minimum=True)
        return {"learning_rate": learning_rate, "beta1": beta1, "beta2": beta2, "adam_eps": adam_eps}

    def _architecture(self, n_x: int, n_y: int, n_noise: int):
        """(units, activation) of every layer of both networks, output layers included."""
        generator = _check_hidden(self.generator_hidden, "generator_hidden")
        discriminator = _check_hidden(self.discriminator_hidden, "discriminator_hidden")
        if generator is None:
            generator = [(n_noise + n_y, "leaky_relu")]
        if discriminator is None:
            discriminator = [(n_x + n_y, "leaky_relu"), (40, "identity"), (20, "leaky_relu")]
        return generator + [(n_x, "sigmoid")], discriminator + [(1, "sigmoid")]

    # -------------------------------------------------------------------------------------------
    # Weights

    def _is_fitted(self) -> bool:
        return hasattr(self, "generator_weights_")

    def _check_fitted(self):
        if not self._is_fitted():
            raise ValueError("this CGAN has no weights yet: call fit or set_weights first")

    @staticmethod
    def _glorot(rng, layers, n_in):
        """Flux's Dense initialisation: W ~ U(-a, a), a = sqrt(6 / (fan_in + fan_out)); b = 0."""
        weights = []
        for units, _ in layers:
            limit = np.sqrt(6.0 / (n_in + units))
            W = rng.uniform(-limit, limit, size=(n_in, units)).astype(np.float32)
            weights.append((W, np.zeros(units, dtype=np.float32)))
            n_in = units
        return weights

    def get_weights(self) -> dict:
        """Copies of the weights: a dict with ``"generator"``, ``"discriminator"`` (lists of
        ``(W, b)``, ``W`` of shape ``(n_in, n_out)``) and ``"generator_average"`` (such a list,
        or None without averaging). ``set_weights(**get_weights())`` restores them."""
        self._check_fitted()

        def copy(layers):
            return None if layers is None else [(W.copy(), b.copy()) for W, b in layers]

        return {"generator": copy(self.generator_weights_),
                "discriminator": copy(self.discriminator_weights_),
                "generator_average": copy(self.generator_average_weights_)}

    def set_weights(self, generator, discriminator, generator_average=None):
        """Set the weights of both networks (and optionally the generator's moving average).

        The shapes define ``n_x`` (generator outputs) and ``n_y`` (generator inputs minus
        ``n_noise``) and must match the architecture given by the hyperparameters. Arrays are
        copied, as float64 if any of them is float64 and as float32 otherwise; :meth:`generate`
        and :meth:`losses_and_gradients` compute in that precision.

        Parameters
        ----------
        generator, discriminator : list of (W, b)
            Per layer ``W`` of shape ``(n_in, n_out)`` and ``b`` of shape ``(n_out,)``.
        generator_average : list of (W, b) or None
            Shaped as ``generator``.

        Returns
        -------
        self
        """
        n_noise = self._recipe()["n_noise"]
        layers = {"generator": generator, "discriminator": discriminator}
        if generator_average is not None:
            layers["generator_average"] = generator_average
        arrays = {name: self._as_layers(value, name) for name, value in layers.items()}
        all_arrays = [a for net in arrays.values() for pair in net for a in pair]
        dtype = np.float64 if any(a.dtype == np.float64 for a in all_arrays) else np.float32
        gen = arrays["generator"]
        n_x = gen[-1][0].shape[1]
        n_y = gen[0][0].shape[0] - n_noise
        if n_y < 1:
            raise ValueError(f"generator's first layer takes {gen[0][0].shape[0]} inputs, fewer than "
                             f"n_noise + 1 = {n_noise + 1}")
        gen_layers, disc_layers = self._architecture(n_x, n_y, n_noise)
        expected = {"generator": (gen_layers, n_noise + n_y), "discriminator": (disc_layers, n_x + n_y),
                    "generator_average": (gen_layers, n_noise + n_y)}
        for name, net in arrays.items():
            spec, n_in = expected[name]
            shapes = [W.shape for W, _ in net]
            wanted = []
            for units, _ in spec:
                wanted.append((n_in, units))
                n_in = units
            if shapes != wanted:
                raise ValueError(f"{name} has layer shapes {shapes}, but the architecture needs {wanted}")
        converted = {name: [(np.array(W, dtype=dtype), np.array(b, dtype=dtype)) for W, b in net]
                     for name, net in arrays.items()}
        self.generator_weights_ = converted["generator"]
        self.discriminator_weights_ = converted["discriminator"]
        self.generator_average_weights_ = converted.get("generator_average")
        self.n_x_, self.n_y_, self.n_noise_ = n_x, n_y, n_noise
        return self

    @staticmethod
    def _as_layers(value, name):
        if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
            raise ValueError(f"{name} must be a list of (W, b) pairs")
        layers = []
        for i, pair in enumerate(value):
            if not isinstance(pair, (tuple, list)) or len(pair) != 2:
                raise ValueError(f"{name}[{i}] must be a (W, b) pair")
            W = as_matrix(pair[0], f"{name}[{i}] W", dtype=None)
            b = np.asarray(pair[1])
            if b.ndim != 1 or b.shape[0] != W.shape[1]:
                raise ValueError(f"{name}[{i}] b must have shape ({W.shape[1]},), got {b.shape}")
            if not (np.issubdtype(b.dtype, np.number) and np.all(np.isfinite(b))):
                raise ValueError(f"{name}[{i}] b must be finite numbers")
            layers.append((W, b))
        if not layers:
            raise ValueError(f"{name} has no layers")
        return layers

    def _activations(self):
        gen_layers, disc_layers = self._architecture(self.n_x_, self.n_y_, self.n_noise_)
        return ([getattr(_core.Activation, a) for _, a in gen_layers],
                [getattr(_core.Activation, a) for _, a in disc_layers])

    def _trainer(self, max_batch: int, seed: int):
        """A C++ training state in the precision of the stored weights."""
        recipe, optimizer = self._recipe(), self._optimizer()
        gen_act, disc_act = self._activations()
        dtype = self.generator_weights_[0][0].dtype
        cls = _core.CganTrainerF64 if dtype == np.float64 else _core.CganTrainerF32
        return cls([W for W, _ in self.generator_weights_], [b for _, b in self.generator_weights_], gen_act,
                   [W for W, _ in self.discriminator_weights_], [b for _, b in self.discriminator_weights_],
                   disc_act, n_noise=self.n_noise_, noise_sd=recipe["noise_sd"],
                   noise_on_condition=recipe["noise_on"] == "all",
                   ema_decay=0.0 if recipe["ema_decay"] is None else recipe["ema_decay"], seed=seed,
                   max_batch=max_batch, **optimizer)

    def _store(self, trainer, averaging: bool):
        def pairs(arrays):
            return list(zip(*arrays))

        self.generator_weights_ = pairs(trainer.generator())
        self.discriminator_weights_ = pairs(trainer.discriminator())
        self.generator_average_weights_ = pairs(trainer.generator_average()) if averaging else None
        self.steps_ = trainer.steps

    # -------------------------------------------------------------------------------------------
    # Training

    def fit(self, X, y):
        """Train on data ``X`` (what to generate, values in [0, 1]) given the condition ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_x)
        y : array-like of shape (n_samples, n_y)

        Returns
        -------
        self
        """
        recipe = self._recipe()
        self._optimizer()  # validate every hyperparameter before any work
        epochs = check_int(self.epochs, "epochs", minimum=1)
        X = as_matrix(X, "X", dtype=np.float32)
        y = as_matrix(y, "y", dtype=np.float32)
        if X.shape[0] != y.shape[0]:
            raise ValueError(f"X and y must have the same number of rows, got {X.shape[0]} and {y.shape[0]}")
        if X.min() < 0.0 or X.max() > 1.0:
            raise ValueError("X must have values in [0, 1]: the generator's outputs are probabilities")
        n_samples = X.shape[0]
        batch_size = check_int(self.batch_size, "batch_size", minimum=1, maximum=n_samples)
        check_bool(self.reshuffle, "reshuffle")
        check_bool(self.warm_start, "warm_start")
        if self.monitor is not None and not callable(self.monitor):
            raise ValueError("monitor must be None or a callable monitor(cgan, epoch)")
        seed = seed_to_uint64(self.seed)
        rng = np.random.default_rng(seed)
        n_noise = recipe["n_noise"]
        if self.warm_start and self._is_fitted():
            if (X.shape[1], y.shape[1], n_noise) != (self.n_x_, self.n_y_, self.n_noise_):
                raise ValueError("warm_start: X, y or n_noise do not match the current weights")
            generator = [(W.astype(np.float32), b.astype(np.float32)) for W, b in self.generator_weights_]
            discriminator = [(W.astype(np.float32), b.astype(np.float32)) for W, b in self.discriminator_weights_]
        else:
            gen_layers, disc_layers = self._architecture(X.shape[1], y.shape[1], n_noise)
            generator = self._glorot(rng, gen_layers, n_noise + y.shape[1])
            discriminator = self._glorot(rng, disc_layers, X.shape[1] + y.shape[1])
        self.set_weights(generator, discriminator)
        trainer = self._trainer(batch_size, seed)
        averaging = recipe["ema_decay"] is not None

        # The seed shuffles once and keeps the batches; reshuffle draws new ones every epoch.
        order = rng.permutation(n_samples).astype(np.int64)
        history = np.empty((epochs, 4))
        with progress_bar(epochs, self.progress, "CGAN") as bar:
            for epoch in range(epochs):
                if self.reshuffle and epoch > 0:
                    order = rng.permutation(n_samples).astype(np.int64)
                history[epoch] = trainer.run_epoch(X, y, order, batch_size)
                bar.update()
                if self.monitor is not None:
                    self._store(trainer, averaging)
                    self.monitor(self, epoch + 1)
                    show_monitor(bar, self.monitor)
        self._store(trainer, averaging)
        names = ("discriminator_seed", "generator_seed", "discriminator_mean", "generator_mean")
        self.history_ = {name: history[:, i].copy() for i, name in enumerate(names)}
        return self

    # -------------------------------------------------------------------------------------------
    # Use

    def generate(self, y, kind="rounded", seed=None, average=True):
        """One generated row of ``x`` per row of the condition ``y``.

        Parameters
        ----------
        y : array-like of shape (n_rows, n_y)
        kind : {"rounded", "probabilities", "bernoulli"}
            ``"rounded"``: the seed's ``round(G(z, y))`` (outputs above 0.5 give 1);
            ``"probabilities"``: the generator's sigmoid outputs; ``"bernoulli"``: 0/1 draws with
            those probabilities.
        seed : None, int or numpy.random.Generator
            The noise ``z`` (and the Bernoulli draws).
        average : bool
            Use the moving average of the generator's parameters when there is one (default);
            False uses the raw weights.

        Returns
        -------
        ndarray of shape (n_rows, n_x), float64
        """
        self._check_fitted()
        kind = check_choice(kind, "kind", KINDS)
        layers = self.generator_weights_
        if check_bool(average, "average") and self.generator_average_weights_ is not None:
            layers = self.generator_average_weights_
        dtype = layers[0][0].dtype
        y = as_matrix(y, "y", dtype=dtype, n_columns=self.n_y_)
        gen_act, _ = self._activations()
        generate = _core.cgan_generate_f64 if dtype == np.float64 else _core.cgan_generate_f32
        out = generate([W for W, _ in layers], [b for _, b in layers], gen_act, y, self.n_noise_,
                       seed_to_uint64(seed), KINDS.index(kind))
        return np.asarray(out, dtype=np.float64)

    def losses_and_gradients(self, x_batch, y_batch, z, discriminator_noise):
        """Both losses and their gradients at the current weights, for given inputs and noise.

        The discriminator's loss ``L_D`` (with ``discriminator_noise`` added to real and fake
        inputs, as configured by ``discriminator_noise_on``) and its gradients w.r.t. the
        discriminator's parameters; the generator's loss ``L_G`` (no input noise) and its
        gradients w.r.t. the generator's parameters. Unlike a training step, both are taken at
        the same weights (no update in between). Computed in the precision of the stored weights.

        Parameters
        ----------
        x_batch : array-like of shape (n, n_x)
        y_batch : array-like of shape (n, n_y)
        z : array-like of shape (n, n_noise)
        discriminator_noise : array-like of shape (n, n_x + n_y), or (n, n_x) with noise on the
            data columns only

        Returns
        -------
        dict with ``"discriminator_loss"``, ``"generator_loss"`` (floats) and
        ``"discriminator_gradients"``, ``"generator_gradients"`` (lists of ``(dW, db)`` shaped
        as the weights).
        """
        self._check_fitted()
        dtype = self.generator_weights_[0][0].dtype
        x_batch = as_matrix(x_batch, "x_batch", dtype=dtype, n_columns=self.n_x_)
        n = x_batch.shape[0]
        y_batch = as_matrix(y_batch, "y_batch", dtype=dtype, n_columns=self.n_y_)
        z = as_matrix(z, "z", dtype=dtype, n_columns=self.n_noise_)
        noise_columns = self.n_x_ + (self.n_y_ if self._recipe()["noise_on"] == "all" else 0)
        noise = as_matrix(discriminator_noise, "discriminator_noise", dtype=dtype, n_columns=noise_columns)
        for name, array in (("y_batch", y_batch), ("z", z), ("discriminator_noise", noise)):
            if array.shape[0] != n:
                raise ValueError(f"{name} has {array.shape[0]} rows, x_batch has {n}")
        trainer = self._trainer(n, 0)
        loss_d, loss_g = trainer.losses_and_gradients(x_batch, y_batch, z, noise)
        return {"discriminator_loss": loss_d, "generator_loss": loss_g,
                "discriminator_gradients": list(zip(*trainer.discriminator_gradient())),
                "generator_gradients": list(zip(*trainer.generator_gradient()))}

    def plot_history(self, ax=None):
        """Draw the per-epoch losses of :attr:`history_` (:func:`condgen.plot.loss_curves`)."""
        if not hasattr(self, "history_"):
            raise ValueError("this CGAN has no training history: call fit first")
        from .plot import loss_curves

        return loss_curves(self.history_, ax=ax)
