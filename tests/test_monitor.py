"""Monitor mechanics on a stand-in model; the evaluations on real models are in test_likelihood.py."""

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

    def fit(self, X):
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

    def sample(self, n, burn_in=50, seed=None):
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
    def weight(model, data):
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
    sampler = lambda model, n, burn_in, rng: generated  # noqa: E731
    [(metric, dataset, value, sd)] = MeanDifference(n_samples=4, sampler=sampler)(None, {"d": X})
    assert (metric, dataset) == ("mean_difference", "d") and np.isnan(sd)
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
    assert model.monitor == "sentinel" and model.progress == "sentinel"
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


def test_progress_bar_shows_latest_values(monkeypatch):
    shown = []

    class Bar:
        def __init__(self, total, progress, desc):
            assert (total, progress) == (3, True)

        def set_postfix(self, values, refresh):
            shown.append(dict(values))

        def update(self, n):
            pass

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            pass

    monkeypatch.setattr("condgen.monitor.progress_bar", Bar)
    monitor, _ = monitored_fit(_Model(epochs=3), X, "free_energy", progress=True)
    assert shown[-1] == {"free_energy[training data]": round(monitor.records[-1].value, 4)}
    assert len(shown) == 3


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
    monitor = Monitor("free_energy", data={name: X for name in ("z", "a", "m")})
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
