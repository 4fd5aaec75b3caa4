"""Monitor mechanics on stand-in models, and the evaluations on real RBMs and DBMs."""

from typing import ClassVar

import numpy as np
import pytest
from condgen.monitor import (
    CorrelationDifference,
    MeanDifference,
    Monitor,
    MonitorRecord,
    monitored_fit,
)


class _Model:
    """Minimal model with the monitor hook: epochs change a parameter the evaluations can see."""

    def __init__(self, epochs=5, monitor=None, progress=False):
        self.epochs = epochs
        self.monitor = monitor
        self.progress = progress

    def fit(self, X):  # noqa: ARG002 - the estimator signature
        self.shift_ = 0.0
        self.seen_progress_ = self.progress
        for epoch in range(1, self.epochs + 1):
            self.shift_ = 0.1 * epoch
            if self.monitor is not None:
                self.monitor(self, epoch)
        return self

    def reconstruction_error(self, X):
        return np.abs(X - self.shift_).sum(axis=1)

    def free_energy(self, X):
        return -X.sum(axis=1) * self.shift_

    def sample(self, n, burn_in=50, seed=None):  # noqa: ARG002 - the model signature
        rng = np.random.default_rng(seed)
        return (rng.random((n, 3)) < [0.2, 0.5, 0.9]).astype(float)


X = np.array([[0, 1, 1], [1, 1, 0], [0, 0, 1], [1, 0, 1.0]])


def test_records_every_epoch_and_dataset():
    X_test = X[:2]
    monitor = Monitor(["reconstruction_error", "free_energy"], data={"train": X, "test": X_test})
    model = _Model(epochs=3, monitor=monitor).fit(X)
    assert model.monitor is monitor
    assert len(monitor) == 3 * 2 * 2
    first = monitor.records[0]
    assert first == MonitorRecord(1, "reconstruction_error", "train",
                                  np.abs(X - 0.1).sum(axis=1).mean(), first.sd)
    assert np.isnan(first.sd)
    epochs, values, _ = monitor.series("free_energy", "test")
    np.testing.assert_array_equal(epochs, [1, 2, 3])
    np.testing.assert_allclose(values, [-X_test.sum(axis=1).mean() * 0.1 * e for e in (1, 2, 3)])
    assert monitor.metrics == ["reconstruction_error", "free_energy"]
    assert monitor.latest()["free_energy[test]"] == round(values[-1], 4)


def test_every_and_single_array_data():
    monitor = Monitor("reconstruction_error", data=X, every=2)
    _Model(epochs=5, monitor=monitor).fit(X)
    assert [r.epoch for r in monitor] == [2, 4]
    assert {r.dataset for r in monitor} == {"training data"}


def test_custom_evaluation_and_tidy_exports():
    def weight(model, data):  # noqa: ARG001 - the evaluation signature
        return [("shift", "", model.shift_, 0.01)]

    monitor = Monitor([weight])
    _Model(epochs=2, monitor=monitor).fit(X)
    assert monitor.to_records() == [
        {"epoch": 1, "metric": "shift", "dataset": "", "value": 0.1, "sd": 0.01},
        {"epoch": 2, "metric": "shift", "dataset": "", "value": 0.2, "sd": 0.01},
    ]
    frame = monitor.to_dataframe()
    assert list(frame.columns) == ["epoch", "metric", "dataset", "value", "sd"]
    assert frame["value"].tolist() == [0.1, 0.2]


def test_to_dataframe_without_pandas(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_pandas(name, *args, **kwargs):
        if name == "pandas":
            raise ImportError("no pandas here")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pandas)
    with pytest.raises(ImportError, match="to_records"):
        Monitor().to_dataframe()


def test_mean_and_correlation_difference_by_hand():
    generated = np.array([[1, 0, 1], [0, 0, 1], [1, 1, 0], [0, 1, 0.0]])
    sampler = lambda *_: generated
    [(metric, dataset, value, sd)] = MeanDifference(n_samples=4, sampler=sampler)(None, {"d": X})
    assert (metric, dataset) == ("mean_difference", "d")
    assert np.isnan(sd)
    assert value == pytest.approx(np.linalg.norm(generated.mean(0) - X.mean(0)), rel=1e-12)
    # correlations by hand: np.corrcoef (no constant columns here)
    cor_diff = CorrelationDifference(n_samples=4, sampler=sampler)(None, {"d": X})
    expected = np.linalg.norm(np.corrcoef(generated.T) - np.corrcoef(X.T))
    assert cor_diff[0][2] == pytest.approx(expected, rel=1e-12)
    # a constant column counts as uncorrelated instead of giving NaN
    constant = X.copy()
    constant[:, 0] = 1.0
    value = CorrelationDifference(n_samples=4, sampler=sampler)(None, {"d": constant})[0][2]
    assert np.isfinite(value)


def test_default_sampler_uses_model_sample_with_reproducible_streams():
    a = Monitor(MeanDifference(n_samples=50, seed=3), data=X)
    b = Monitor(MeanDifference(n_samples=50, seed=3), data=X)
    _Model(epochs=3, monitor=a).fit(X)
    _Model(epochs=3, monitor=b).fit(X)
    values = [r.value for r in a]
    assert values == [r.value for r in b]
    assert len(set(values)) == 3  # fresh samples every epoch


def test_plot(tmp_path):
    monitor = Monitor("reconstruction_error", data={"train": X, "test": X[:2]})
    _Model(epochs=4, monitor=monitor).fit(X)
    monitor.record(4, "log_likelihood", "train", -3.0, 0.2)
    ax = monitor.plot("reconstruction_error")
    assert [line.get_label() for line in ax.get_lines()] == ["train", "test"]
    np.testing.assert_array_equal(ax.get_lines()[0].get_xdata(), [1, 2, 3, 4])
    ax = monitor.plot("log_likelihood")
    assert len(ax.collections) == 1  # the sd band
    ax.figure.savefig(tmp_path / "monitor.png")
    with pytest.raises(ValueError, match="no records of metric 'nope'"):
        monitor.plot("nope")


def test_monitored_fit_restores_hook_and_progress():
    model = _Model(epochs=3, monitor="sentinel", progress="sentinel")
    monitor, fitted = monitored_fit(model, X, ["reconstruction_error"], data={"train": X})
    assert fitted is model
    assert model.monitor == "sentinel"
    assert model.progress == "sentinel"
    assert model.seen_progress_ is False
    assert [r.epoch for r in monitor] == [1, 2, 3]
    monitor, _ = monitored_fit(_Model(epochs=2), X)
    assert {r.dataset for r in monitor} == {"training data"}
    with pytest.raises(TypeError, match="no monitor hook"):
        monitored_fit(object(), X)


def test_progress_quiet_by_default_and_shown_on_request(capfd, monkeypatch):
    monitored_fit(_Model(epochs=2), X, progress=None)
    assert capfd.readouterr().err == ""
    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    monitored_fit(_Model(epochs=2), X, progress=True)
    assert "fitting _Model" in capfd.readouterr().err


class _RecordingBar:
    shown: ClassVar[list] = []

    def __init__(self, total, progress, desc):  # noqa: ARG002 - progress_bar's signature
        self.total = total

    def set_postfix(self, values, refresh):  # noqa: ARG002 - tqdm's signature
        self.shown.append(dict(values))

    def update(self, n=1):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        pass


def test_progress_bar_shows_latest_values(monkeypatch):
    _RecordingBar.shown = []
    monkeypatch.setattr("condgen.monitor.progress_bar", _RecordingBar)
    monitor, _ = monitored_fit(_Model(epochs=3), X, "free_energy", progress=True)
    assert _RecordingBar.shown[-1] == {"free_energy[training data]": round(monitor.records[-1].value, 4)}
    assert len(_RecordingBar.shown) == 3


def test_model_progress_bars_show_the_monitor(monkeypatch):
    from condgen import DBM, BernoulliRBM

    _RecordingBar.shown = []
    monkeypatch.setattr("condgen.rbm.progress_bar", _RecordingBar)
    monkeypatch.setattr("condgen.dbm.progress_bar", _RecordingBar)
    monitor = Monitor("reconstruction_error", data=X)
    BernoulliRBM(n_hidden=2, epochs=2, monitor=monitor, seed=0).fit(X)
    assert _RecordingBar.shown == [{"reconstruction_error[training data]": round(r.value, 4)} for r in monitor]
    _RecordingBar.shown = []
    monitor = Monitor("exact_log_likelihood", data=X)
    DBM(n_hiddens=[2], epochs=2, pretrain_epochs=1, monitor=monitor, batch_size=2, seed=0).fit(X)
    assert _RecordingBar.shown[-1] == {"exact_log_likelihood[training data]": round(monitor.records[-1].value, 4)}


@pytest.mark.parametrize(("evaluations", "error", "match"), [
    (["nope"], ValueError, "unknown evaluation 'nope'"),
    ([3], TypeError, "name or a callable"),
])
def test_bad_evaluations(evaluations, error, match):
    with pytest.raises(error, match=match):
        Monitor(evaluations)


def test_bad_data_and_settings():
    with pytest.raises(ValueError, match="every"):
        Monitor(every=0)
    with pytest.raises(ValueError, match="data\\['x'\\]"):
        Monitor(data={"x": np.array([1.0, np.nan])[None, :]})
    with pytest.raises(ValueError, match="n_samples"):
        MeanDifference(n_samples=1)


def test_datasets_in_insertion_order():
    # Julia's Dict order is hash order; ours is the order the user gave
    monitor = Monitor("free_energy", data=dict.fromkeys(("z", "a", "m"), X))
    _Model(epochs=1, monitor=monitor).fit(X)
    assert [r.dataset for r in monitor] == ["z", "a", "m"]


def test_monitored_rbm_fit_records_the_models_own_numbers():
    from condgen import BernoulliRBM
    from condgen.monitor import AISLogLikelihood

    rng = np.random.default_rng(0)
    train, test = (rng.random((60, 6)) < 0.3).astype(float), (rng.random((20, 6)) < 0.3).astype(float)
    settings = {"n_hidden": 4, "epochs": 4, "learning_rate": 0.05, "seed": 1}
    evaluations = ["reconstruction_error", "free_energy", "exact_log_likelihood",
                   AISLogLikelihood(n_temperatures=300, seed=2)]
    monitor, rbm = monitored_fit(BernoulliRBM(**settings), train, evaluations,
                                 data={"train": train, "test": test})
    # monitoring does not change the fit
    plain = BernoulliRBM(**settings).fit(train)
    np.testing.assert_array_equal(rbm.weights_, plain.weights_)
    assert rbm.monitor is None
    assert sorted({r.epoch for r in monitor}) == [1, 2, 3, 4]
    last = {(r.metric, r.dataset): r for r in monitor if r.epoch == 4}
    assert last[("reconstruction_error", "test")].value == pytest.approx(rbm.reconstruction_error(test), rel=1e-12)
    assert last[("free_energy", "train")].value == pytest.approx(rbm.free_energy(train).mean(), rel=1e-12)
    exact = rbm.exact_log_likelihood(test)
    assert last[("exact_log_likelihood", "test")].value == pytest.approx(exact, rel=1e-12)
    ais = last[("log_likelihood", "test")]
    assert abs(ais.value - exact) <= 3 * ais.sd  # an AIS estimate with its reported sd
    assert last[("log_partition", "")].sd == ais.sd
    assert "log_likelihood" in monitor.metrics


def test_monitored_dbm_fit_with_pretraining_layers():
    from condgen import DBM
    from condgen.monitor import LowerBound

    rng = np.random.default_rng(1)
    X = (rng.random((40, 6)) < 0.4).astype(float)
    settings = {"n_hiddens": [4, 3], "epochs": 3, "pretrain_epochs": 2, "seed": 2}
    layer_states = []

    def snapshot(rbm, data):  # noqa: ARG001 - a custom evaluation: copies the layer after each epoch
        layer_states.append((rbm.weights_.copy(), rbm.hidden_bias_.copy(), rbm.up_factor))
        return []

    monitor, dbm = monitored_fit(DBM(**settings), X, [LowerBound(method="exact"), "exact_log_likelihood"],
                                 pretrain_evaluations=["reconstruction_error", snapshot])
    np.testing.assert_array_equal(dbm.layers_[1].weights_, DBM(**settings).fit(X).layers_[1].weights_)
    assert dbm.pretrain_monitor is None
    assert dbm.monitor is None
    assert [r.epoch for r in monitor if r.metric == "lower_bound"] == [1, 2, 3]
    last = {r.metric: r.value for r in monitor if r.epoch == 3}
    assert last["lower_bound"] < last["exact_log_likelihood"] == pytest.approx(dbm.exact_log_likelihood(X))
    assert last["log_partition"] == pytest.approx(dbm.exact_log_partition())
    # one monitor per pre-trained layer; the second one sees the data through the trained first layer
    assert len(monitor.pretraining) == 2
    first, second = monitor.pretraining
    assert [r.epoch for r in first] == [1, 2]
    assert [r.epoch for r in second] == [1, 2]
    W, c, up = layer_states[1]  # the first layer after its last epoch
    np.testing.assert_allclose(second.data["training data"], 1 / (1 + np.exp(-up * (X @ W + c))), rtol=1e-12)
    assert up == 2.0


SIMULATOR = {"n_samples": 40, "n_snps": 3, "n_genes": 5, "n_random_samples": 20}


class _Generator:
    """CGAN stand-in: generate(y) draws genes from the true conditional probabilities of y's rows."""

    def __init__(self, epochs=2, monitor=None):
        self.epochs, self.monitor = epochs, monitor

    def fit(self, X, y):
        self.fitted_on_ = (X.shape, y.shape)
        for epoch in range(1, self.epochs + 1):
            self.monitor(self, epoch)
        return self

    def generate(self, y, seed=None):
        from condgen.metrics import bayes_conditional_genes

        p = bayes_conditional_genes(y, **SIMULATOR)
        return (np.random.default_rng(seed).random(p.shape) < p).astype(float)


def test_conditional_marginal_error_monitor_for_generators_and_dbms():
    from condgen import DBM, simulate_snp_gep
    from condgen.metrics import bayes_conditional_genes, conditional_marginal_error
    from condgen.monitor import ConditionalMarginalError

    snps, genes = simulate_snp_gep(**SIMULATOR, seed=0)
    truth = bayes_conditional_genes(snps, **SIMULATOR)
    # a generator (CGAN-like): fit(X, y) through monitored_fit, conditions repeated n_per_row times
    evaluation = ConditionalMarginalError(snps, truth, n_per_row=5, n_linked=3, seed=4)
    monitor, model = monitored_fit(_Generator(), genes, evaluation, y=snps)
    assert model.fitted_on_ == ((40, 5), (40, 3))
    rng = np.random.default_rng(4)  # the evaluation's stream, continued from epoch to epoch
    repeated = np.repeat(snps, 5, axis=0)
    _Generator().generate(repeated, seed=rng)
    expected = conditional_marginal_error(_Generator().generate(repeated, seed=rng), truth, n_linked=3)
    second = {(r.metric, r.dataset): r for r in monitor if r.epoch == 2}
    assert second[("marginal_error", "")][3:] == (expected.mae, expected.mae_se)
    assert second[("worst_cell", "")].value == expected.worst_cell.error
    assert second[("cell_frequency", "B/linked")].value == expected.cells[("B", "linked")].frequency
    # a DBM: SNP columns clamped, the gene columns compared
    X = np.hstack([genes, snps])
    dbm = DBM(n_hiddens=[4], epochs=2, pretrain_epochs=2, seed=1).fit(X)
    evaluation = ConditionalMarginalError(snps, truth, n_per_row=3, condition_columns=[5, 6, 7], n_linked=3,
                                          seed=5)
    records = evaluation(dbm, {})
    samples = dbm.sample_conditional(snps, [5, 6, 7], n_per_row=3, seed=np.random.default_rng(5))
    assert records[0][2] == conditional_marginal_error(samples[:, :5], truth, n_linked=3).mae
    with pytest.raises(ValueError, match="condition_columns"):
        ConditionalMarginalError(snps, truth)(dbm, {})


def test_weights_norm_for_rbms_and_dbms():
    from types import SimpleNamespace

    rbm = SimpleNamespace(weights_=np.array([[3.0, 4.0]]), visible_bias_=np.array([1.0]),
                          hidden_bias_=np.array([0.0, 2.0]))
    monitor = Monitor("weights_norm")
    monitor(rbm, 1)
    assert [(r.dataset, r.value) for r in monitor] == [("weights", 5.0), ("visible_bias", 1.0), ("hidden_bias", 2.0)]
    monitor = Monitor("weights_norm")
    monitor(SimpleNamespace(layers_=[rbm, rbm]), 7)
    assert [r.dataset for r in monitor][3:] == ["layer 2/weights", "layer 2/visible_bias", "layer 2/hidden_bias"]
    assert {r.epoch for r in monitor} == {7}
