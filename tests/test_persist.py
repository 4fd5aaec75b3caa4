import io
import json
import pickle
import zipfile

import condgen
import numpy as np
import pytest
from condgen.persist import ModelFileError, _hyperparameters, read_metadata, save

_METADATA = "__condgen_metadata__"


@pytest.fixture(scope="module")
def data():
    snps, genes = condgen.simulate_snp_gep(40, n_random_samples=20, seed=3)
    return snps, genes


@pytest.fixture(scope="module")
def models(data):
    snps, genes = data
    x = np.hstack([genes, snps])
    rbm = condgen.BernoulliRBM(n_hidden=6, epochs=2, seed=1).fit(x)
    dbm = condgen.DBM(n_hiddens=[8, 3], pretrain_epochs=2, epochs=2, seed=1).fit(x)
    cgan = condgen.CGAN(epochs=3, batch_size=8, seed=1).fit(genes, snps)
    return {"rbm": rbm, "dbm": dbm, "cgan": cgan}


def _arrays(model):
    if isinstance(model, condgen.DBM):
        return [a for layer in model.layers_ for a in (layer.weights_, layer.visible_bias_, layer.hidden_bias_)]
    if isinstance(model, condgen.CGAN):
        return [a for layers in model.get_weights().values() for pair in layers for a in pair]
    return [model.weights_, model.visible_bias_, model.hidden_bias_]


def _draw(model, data):
    snps, _ = data
    if isinstance(model, condgen.CGAN):
        return model.generate(snps, kind="probabilities", seed=5)
    if isinstance(model, condgen.DBM):
        return model.sample_conditional(snps, list(range(50, 60)), steps=3, seed=5)
    return model.sample(7, burn_in=3, seed=5)


@pytest.mark.parametrize("name", ["rbm", "dbm", "cgan"])
def test_save_load_identical(tmp_path, models, data, name):
    model = models[name]
    path = model.save(tmp_path / f"{name}.npz")
    loaded = condgen.load(path)
    assert type(loaded) is type(model)
    assert len(_arrays(model)) == len(_arrays(loaded))
    for a, b in zip(_arrays(model), _arrays(loaded)):
        np.testing.assert_array_equal(a, b)
        assert a.dtype == b.dtype
    np.testing.assert_array_equal(_draw(model, data), _draw(loaded, data))
    params = {k: v for k, v in _hyperparameters(model).items() if k not in ("seed", "monitor")}
    assert {k: _hyperparameters(loaded)[k] for k in params} == params
    metadata = read_metadata(path)
    assert metadata["class"] == type(model).__name__
    assert metadata["condgen_version"] == condgen.__version__
    # models pickle cleanly too
    unpickled = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(_draw(model, data), _draw(unpickled, data))


def test_columns_kept(tmp_path, models):
    names = [f"c{i}" for i in range(60)]
    path = save(models["dbm"], tmp_path / "m.npz", columns=names)
    assert read_metadata(path)["columns"] == names


def test_unfitted_model_not_saved(tmp_path):
    with pytest.raises(ValueError, match="not fitted"):
        condgen.CGAN().save(tmp_path / "m.npz")


def _rewrite(path, change):
    """Rewrite the archive with ``change(entries)`` applied to its dict of arrays."""
    with np.load(path, allow_pickle=False) as archive:
        entries = {name: archive[name] for name in archive.files}
    change(entries)
    with open(path, "wb") as handle:
        np.savez(handle, **entries)


def _set_metadata(entries, **fields):
    metadata = json.loads(entries[_METADATA].tobytes())
    metadata.update(fields)
    entries[_METADATA] = np.frombuffer(json.dumps(metadata).encode(), dtype=np.uint8)


@pytest.mark.parametrize(("damage", "message"), [
    (lambda e: e.__setitem__("fitted/layers_/0/weights_", e["fitted/layers_/0/weights_"] + 1e-9), "SHA-256 does not match"),
    (lambda e: e.__setitem__("fitted/layers_/0/weights_", e["fitted/layers_/0/weights_"][:, :2]), "shape"),
    (lambda e: e.pop("fitted/layers_/1/hidden_bias_"), "arrays differ from the metadata"),
    (lambda e: e.pop(_METADATA), "without condgen metadata"),
    (lambda e: _set_metadata(e, format="something-else"), "foreign metadata"),
    (lambda e: _set_metadata(e, format_version=99), "format 99"),
    (lambda e: _set_metadata(e, **{"class": "Perceptron"}), "unknown model class 'Perceptron'"),
    (lambda e: e.__setitem__(_METADATA, np.frombuffer(b"{not json", dtype=np.uint8)), "corrupt"),
])
def test_tampered_or_foreign_file_rejected(tmp_path, models, damage, message):
    path = models["dbm"].save(tmp_path / "m.npz")
    _rewrite(path, damage)
    with pytest.raises(ModelFileError, match=message) as error:
        condgen.load(path)
    assert str(error.value).startswith(str(path))


def test_corrupt_truncated_and_foreign_bytes(tmp_path, models):
    path = models["cgan"].save(tmp_path / "m.npz")
    content = path.read_bytes()
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(content[: len(content) // 2])
    flipped = tmp_path / "flipped.npz"
    middle = len(content) // 2
    flipped.write_bytes(content[:middle] + bytes([content[middle] ^ 0xFF]) + content[middle + 1:])
    text = tmp_path / "text.npz"
    text.write_text("hello")
    npy = tmp_path / "array.npz"
    with open(npy, "wb") as handle:
        np.save(handle, np.zeros(3))
    for bad in (truncated, flipped, text, npy):
        with pytest.raises(ModelFileError, match=r"not a condgen model file|corrupt|tampered"):
            condgen.load(bad)
    with pytest.raises(ModelFileError, match="No such file"):
        condgen.load(tmp_path / "missing.npz")


def test_pickled_object_never_loaded(tmp_path):
    """An .npz entry holding a pickled object is refused (allow_pickle=False), not executed."""
    path = tmp_path / "evil.npz"
    buffer = io.BytesIO()
    np.save(buffer, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"{_METADATA}.npy", buffer.getvalue())
    with pytest.raises(ModelFileError):
        condgen.load(path)
