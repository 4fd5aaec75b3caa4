"""Bad input across the public API gets a clear ValueError naming the problem (found by a
systematic audit of every public call with one bad argument at a time)."""

import json

import numpy as np
import pytest

import condgen
from condgen import (
    CGAN,
    DBM,
    BernoulliRBM,
    Binomial2BernoulliRBM,
    MultimodalDBM,
    PartitionedRBM,
    likelihood,
    metrics,
)
from condgen.io import DataFileError, read_table, write_table
from condgen.persist import ModelFileError, load

rng = np.random.default_rng(0)
X = (rng.random((20, 6)) < 0.4).astype(float)
BIG = 2**31


@pytest.fixture(scope="module")
def rbm():
    return BernoulliRBM(n_hidden=3, epochs=2, seed=1).fit(X)


@pytest.fixture(scope="module")
def dbm():
    return DBM(n_hiddens=[3, 2], epochs=2, pretrain_epochs=2, seed=1).fit(X)


@pytest.fixture(scope="module")
def cgan():
    return CGAN(epochs=2, n_noise=3, seed=1).fit(X[:, :4], X[:, 4:])


@pytest.fixture(scope="module")
def multimodal():
    parts = [BernoulliRBM(n_hidden=2, epochs=2, seed=1), BernoulliRBM(n_hidden=2, epochs=2, seed=2)]
    return MultimodalDBM(PartitionedRBM(parts, n_visibles=[3, None]), n_hiddens=[2], epochs=2, fine_tune_epochs=2,
                         n_particles=5, seed=1).fit(X)


def test_multimodal_clamp_mask_means_the_masked_columns(multimodal):
    """A boolean mask clamps the columns it marks, as the same indices do (it was read as [0, 1])."""
    mask = np.zeros(6, dtype=bool)
    mask[5] = True
    by_mask, by_index = multimodal.init_particles(50, seed=2), multimodal.init_particles(50, seed=2)
    before = by_mask[0].copy()
    multimodal.gibbs_sample(by_mask, steps=5, clamp=mask, seed=3)
    multimodal.gibbs_sample(by_index, steps=5, clamp=[5], seed=3)
    for a, b in zip(by_mask, by_index):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(by_mask[0][:, 5], before[:, 5])
    assert not np.array_equal(by_mask[0][:, :2], before[:, :2])


@pytest.mark.parametrize("call, message", [
    (lambda m: m.gibbs_sample(m.init_particles(2), clamp=[0.7]), "clamp must be a sequence"),
    (lambda m: m.gibbs_sample(m.init_particles(2), clamp=[99]), r"clamp indices must be in \[0, 6\)"),
    (lambda m: m.sample_conditional(np.array([[0.5, 7.0]]), columns=[0, 1]), "must be binary"),
    (lambda m: m.mean_field(X * 9), r"must hold values in \[0, 1\]"),
    (lambda m: m.gibbs_sample([p if k != 1 else p * 5 for k, p in enumerate(m.init_particles(2))]),
     r"particles\[1\] must be binary"),
    (lambda m: m.gibbs_sample([p * np.nan if k == 0 else p for k, p in enumerate(m.init_particles(2))]),
     "NaN"),
    (lambda m: m.log_likelihood(X, log_partition=(float("nan"), 0.0)), "log_partition must be finite"),
])
def test_multimodal_bad_input(multimodal, call, message):
    with pytest.raises(ValueError, match=message):
        call(multimodal)


@pytest.mark.parametrize("call, message", [
    (lambda r: r.transform(X * 5), r"V must hold values in \[0, 1\]"),
    (lambda r: r.free_energy(X * 3), r"V must hold values in \[0, 1\]"),
    (lambda r: r.visible_probs(np.full((1, 3), 2.0)), r"H must hold values in \[0, 1\]"),
    (lambda r: r.gibbs((r.init_particles(2)[0], np.full((2, 3), np.nan))), "hidden particles contain NaN"),
    (lambda r: r.gibbs(r.init_particles(2), steps=BIG), "steps must be at most 2147483647"),
    (lambda r: r.sample(2, burn_in=BIG), "burn_in must be at most"),
    (lambda r: r.log_likelihood(X, log_partition=(float("nan"), 0.0)), "log_partition must be finite"),
    (lambda r: r.log_likelihood(X, log_partition=(1, 2, 3)), "a pair"),
    (lambda r: r.log_likelihood(X, log_partition="abc"), "log_partition must be a real number"),
    (lambda r: r.log_partition(temperatures="abc"), "temperatures must be a sequence of numbers"),
])
def test_rbm_bad_input(rbm, call, message):
    with pytest.raises(ValueError, match=message):
        call(rbm)


@pytest.mark.parametrize("model, message", [
    (lambda: BernoulliRBM(learning_rate=-1), "learning_rate must be at least 0"),
    (lambda: BernoulliRBM(epochs=2, learning_rates=[-0.1, -0.1]), "learning_rates must not be negative"),
    (lambda: BernoulliRBM(epochs=2, learning_rates=["a", "b"]), "learning_rates must be a sequence of numbers"),
    (lambda: BernoulliRBM(cd_steps=BIG), "cd_steps must be at most 2147483647"),
    (lambda: BernoulliRBM(progress="no"), "progress must be True, False or None"),
    (lambda: DBM(n_hiddens=[3], pretrain_learning_rate=-1), "pre-training learning rate of layer 0"),
    (lambda: DBM(n_hiddens=[3], fine_tune_learning_rates=0.1), "fine_tune_learning_rates must be a sequence"),
    (lambda: DBM(pretrain_layers=5), "pretrain_layers must be a sequence"),
    (lambda: DBM(n_hiddens=[3], gibbs_steps=BIG), "gibbs_steps must be at most"),
    (lambda: PartitionedRBM(5), "parts must be a sequence of RBM estimators"),
    (lambda: PartitionedRBM([DBM(n_hiddens=[2])]), r"parts\[0\] must be an RBM"),
    (lambda: PartitionedRBM([BernoulliRBM()], n_visibles=6), "n_visibles must be a sequence"),
])
def test_bad_hyperparameters_at_fit(model, message):
    with pytest.raises(ValueError, match=message):
        model().fit(X)


@pytest.mark.parametrize("values, message", [
    (X + 1j, "X must be a real numeric array, got dtype complex128"),
    (X.astype("m8[s]"), "got dtype timedelta64"),
])
def test_non_real_arrays(values, message):
    with pytest.raises(ValueError, match=message):
        BernoulliRBM(epochs=1).fit(values)


def test_cgan_bad_input(cgan):
    with pytest.raises(ValueError, match="warm_start must be True or False"):
        CGAN(epochs=1, warm_start="no").fit(X[:, :4], X[:, 4:])
    with pytest.raises(ValueError, match="average must be True or False"):
        cgan.generate(X[:, 4:], average="no")
    with pytest.raises(ValueError, match="too large for float32"):
        cgan.generate(np.full((1, 2), 1e300))
    weights = cgan.get_weights()
    weights["generator"][0] = (weights["generator"][0][0] + 1j, weights["generator"][0][1])
    with pytest.raises(ValueError, match="real numeric array"):
        CGAN(n_noise=3).set_weights(weights["generator"], weights["discriminator"])


def test_likelihood_and_metrics_bad_input(dbm):
    with pytest.raises(ValueError, match="at least one value"):
        likelihood.log_mean_exp([])
    with pytest.raises(ValueError, match="log_partition_ratio must be finite"):
        likelihood.log_likelihood_difference(BernoulliRBM(n_hidden=2, epochs=1, seed=1).fit(X),
                                             BernoulliRBM(n_hidden=2, epochs=1, seed=2).fit(X), X,
                                             log_partition_ratio=(float("nan"), 0.0))
    with pytest.raises(ValueError, match=r"mean_field\[0\] has 1 columns, expected 3"):
        likelihood.log_prob_lower_bound(dbm, X, log_partition=0.0, mean_field=[np.zeros((20, 1))] * 2)
    with pytest.raises(ValueError, match="samples must be a numeric array"):
        metrics.conditional_marginal_error([["a"]], [[0.5]])
    with pytest.raises(ValueError, match="must be at most 2147483647"):
        condgen.set_num_threads(2**40)
    coded = np.array([[1.0, 0.0, 0.0, 1.0]])  # categories 1 and 2 of two 3-category variables
    decoded = condgen.data.one_or_none_decode(coded, (k for k in [3, 3]))  # an iterator is read once
    np.testing.assert_array_equal(decoded, condgen.data.one_or_none_decode(coded, [3, 3]))


def test_save_checks_column_names(rbm, cgan, tmp_path):
    with pytest.raises(ValueError, match="columns has 1 names, the model has 6 columns"):
        rbm.save(tmp_path / "a.npz", columns=["a"])
    with pytest.raises(ValueError, match="columns must be a sequence of 6 column names"):
        rbm.save(tmp_path / "a.npz", columns="abcdef")
    with pytest.raises(ValueError, match="columns of a CGAN must be a dict"):
        cgan.save(tmp_path / "c.npz", columns=["x1", "x2"])
    with pytest.raises(ValueError, match="is a directory"):
        rbm.save(tmp_path, columns=None)
    cgan.save(tmp_path / "c.npz", columns={"x": list("abcd"), "y": None})
    assert condgen.persist.read_metadata(tmp_path / "c.npz")["columns"] == {"x": list("abcd"), "y": None}


def _rewrite_metadata(path, edit):
    """Change a model file's metadata (its SHA-256 covers the arrays only, so it stays valid)."""
    key = condgen.persist._METADATA
    with np.load(path, allow_pickle=False) as archive:
        entries = {name: archive[name] for name in archive.files}
    metadata = json.loads(entries[key].tobytes().decode())
    edit(metadata)
    entries[key] = np.frombuffer(json.dumps(metadata).encode(), dtype=np.uint8)
    with open(path, "wb") as handle:
        np.savez_compressed(handle, **entries)


@pytest.mark.parametrize("edit, message", [
    (lambda m: m.pop("class"), "unknown model class None"),
    (lambda m: m["arrays"].update({next(iter(m["arrays"])): 5}), "is not a dict"),
    (lambda m: m.update(columns="abcdef"), "bad column names"),
    (lambda m: m["fitted"]["n_x_"].update(value=99), r"n_x_, n_y_, n_noise_ = \(99"),
])
def test_load_rejects_tampered_metadata(cgan, tmp_path, edit, message):
    path = tmp_path / "c.npz"
    cgan.save(path)
    _rewrite_metadata(path, edit)
    with pytest.raises(ModelFileError, match=message):
        load(path)


def test_data_files(tmp_path):
    (tmp_path / "empty.npy").write_bytes(b"")
    with pytest.raises(DataFileError, match="not a readable .npy file"):
        read_table(tmp_path / "empty.npy")
    np.save(tmp_path / "complex.npy", X + 1j)
    with pytest.raises(DataFileError, match="expected a numeric array, got dtype complex128"):
        read_table(tmp_path / "complex.npy")
    with pytest.raises(ValueError, match="columns must be a sequence of column names"):
        write_table(tmp_path / "x.csv", X, columns=5)


def test_typed_rbm_rejects_nan_particles():
    model = Binomial2BernoulliRBM(n_hidden=3, epochs=1, seed=1).fit(np.clip(X * 2 - X[:, ::-1], 0, 2))
    V, H = model.init_particles(2)
    V[:] = np.nan
    with pytest.raises(ValueError, match="visible particles contain NaN"):
        model.gibbs((V, H))


def test_cli_reports_bad_files_without_a_traceback(cgan, tmp_path, capsys):
    from condgen.cli import main

    (tmp_path / "empty.npy").write_bytes(b"")
    assert main(["fit-dbm", str(tmp_path / "empty.npy"), "--out", str(tmp_path / "m.npz")]) == 2
    assert "not a readable .npy file" in capsys.readouterr().err
    model = tmp_path / "c.npz"
    cgan.save(model)
    _rewrite_metadata(model, lambda m: m.update(columns=["x1", "x2"]))  # as an unchecked save once wrote
    np.savetxt(tmp_path / "y.csv", X[:3, 4:], delimiter=",")
    assert main(["generate", str(model), str(tmp_path / "y.csv"), "--out", str(tmp_path / "g.csv")]) == 2
    assert "bad column names in the metadata" in capsys.readouterr().err
    assert main(["fit-dbm", str(tmp_path / "y.csv"), "--out", str(tmp_path / "m.npz"),
                 "--pretrain-learning-rate", "-5"]) == 2
    assert "learning rate" in capsys.readouterr().err
