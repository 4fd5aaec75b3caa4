"""Saving and loading fitted models: one ``.npz`` file with the arrays and a JSON metadata entry.

The file is an ordinary numpy ``.npz`` archive. The entry ``__condgen_metadata__`` holds UTF-8
JSON with the format name and version, the model class, its hyperparameters, the condgen version,
optional column names, the shape and dtype of every array and a SHA-256 digest of the arrays.
:func:`load` reads it with ``allow_pickle=False`` (a model file can never run code), checks the
metadata, shapes and digest, and raises :class:`ModelFileError` for a corrupt, truncated,
tampered or foreign file.
"""

from __future__ import annotations

import dataclasses
import hashlib
import inspect
import io
import json
import os
from pathlib import Path

import numpy as np

__all__ = ["FORMAT", "FORMAT_VERSION", "ModelFileError", "load", "read_metadata", "save"]

FORMAT = "condgen-model"
FORMAT_VERSION = 1
_METADATA = "__condgen_metadata__"


class ModelFileError(ValueError):
    """A model file that cannot be loaded; the message names the file and the problem."""

    def __init__(self, path, problem):
        self.path = str(path)
        super().__init__(f"{self.path}: {problem}")


# ---------------------------------------------------------------------------------------------
# Hyperparameters <-> JSON


def _hyperparameters(model) -> dict:
    if hasattr(model, "get_params"):
        return dict(model.get_params())
    names = [name for name in inspect.signature(type(model).__init__).parameters if name != "self"]
    return {name: getattr(model, name) for name in names}


def _to_json(value, name):
    """JSON form of a hyperparameter; callables (monitors) and Generators are not stored."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    if isinstance(value, list):
        return [_to_json(item, name) for item in value]
    if isinstance(value, tuple):
        return {"__tuple__": [_to_json(item, name) for item in value]}
    if isinstance(value, dict):
        return {str(key): _to_json(item, name) for key, item in value.items()}
    if isinstance(value, (type, np.dtype)) and np.dtype(value).kind in "fiub":
        return {"__dtype__": np.dtype(value).name}
    if isinstance(value, np.ndarray):
        return _to_json(value.tolist(), name)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {field.name: _to_json(getattr(value, field.name), name)
                  for field in dataclasses.fields(value)}
        return {"__dataclass__": type(value).__name__, "fields": fields}
    if type(value).__name__ in _CLASSES:  # an estimator as a setting: the parts of a PartitionedRBM
        return {"__estimator__": type(value).__name__, "params": _hyperparameters_json(value)}
    if isinstance(value, np.random.Generator) or callable(value):
        return None  # a monitor or a random generator is run-time state, not a setting
    raise TypeError(f"cannot store hyperparameter {name}={value!r} in a model file")


def _hyperparameters_json(model):
    return {key: _to_json(value, key) for key, value in _hyperparameters(model).items()}


def _from_json(value):
    if isinstance(value, list):
        return [_from_json(item) for item in value]
    if isinstance(value, dict):
        if set(value) == {"__tuple__"}:
            return tuple(_from_json(item) for item in value["__tuple__"])
        if set(value) == {"__dtype__"}:
            return np.dtype(value["__dtype__"]).type
        if set(value) == {"__estimator__", "params"}:
            return _model_class(value["__estimator__"])(**_from_json(value["params"]))
        if set(value) == {"__dataclass__", "fields"}:
            from . import dbm

            cls = getattr(dbm, value["__dataclass__"], None)  # the settings classes (TrainLayer)
            if cls is None or not dataclasses.is_dataclass(cls):
                raise ValueError(f"unknown settings class {value['__dataclass__']!r}")
            return cls(**{key: _from_json(item) for key, item in value["fields"].items()})
        return {key: _from_json(item) for key, item in value.items()}
    return value


# ---------------------------------------------------------------------------------------------
# Fitted state: every attribute with a trailing underscore (scikit-learn's convention), encoded
# as arrays (entries "fitted/NAME...") plus a JSON description of its structure


def _encode(value, key, arrays):
    """JSON description of a fitted value; its arrays go into ``arrays`` under ``key``."""
    if isinstance(value, np.ndarray):
        arrays[key] = value
        return {"array": key}
    if value is None or isinstance(value, (bool, str)):
        return {"value": value}
    if isinstance(value, (int, np.integer)):
        return {"value": int(value)}
    if isinstance(value, (float, np.floating)):
        return {"value": float(value)}
    if isinstance(value, slice):  # the blocks of a PartitionedRBM
        return {"slice": [value.start, value.stop]}
    if isinstance(value, (list, tuple)):
        return {"tuple" if isinstance(value, tuple) else "list":
                [_encode(item, f"{key}/{i}", arrays) for i, item in enumerate(value)]}
    if isinstance(value, dict) and all(isinstance(name, str) for name in value):
        return {"dict": {name: _encode(item, f"{key}/{name}", arrays) for name, item in value.items()}}
    if type(value).__name__ in _CLASSES:  # a model inside a model: the layers of a DBM
        return {"model": type(value).__name__, "state": _fitted_state(value, f"{key}/", arrays),
                "hyperparameters": _hyperparameters_json(value)}
    raise TypeError(f"cannot store fitted attribute {key!r} of type {type(value).__name__}")


def _decode(description, arrays):
    if "model" in description:
        model = _model_class(description["model"])(**_from_json(description["hyperparameters"]))
        return _restore(model, description["state"], arrays)
    (kind, content), = description.items()
    if kind == "array":
        return arrays[content]
    if kind == "value":
        return content
    if kind == "slice":
        start, stop = content
        return slice(int(start), int(stop))
    if kind in ("list", "tuple"):
        items = [_decode(item, arrays) for item in content]
        return tuple(items) if kind == "tuple" else items
    if kind == "dict":
        return {name: _decode(item, arrays) for name, item in content.items()}
    raise ValueError(f"unknown entry {kind!r} in the fitted state")


def _fitted_state(model, prefix, arrays):
    state = {}
    for name, value in vars(model).items():
        if name.endswith("_") and not name.startswith("_"):
            state[name] = _encode(value, f"{prefix}{name}", arrays)
    return state


def _restore(model, state, arrays):
    for name, description in state.items():
        if not (name.endswith("_") and name.isidentifier()):
            raise ValueError(f"bad fitted attribute name {name!r}")
        setattr(model, name, _decode(description, arrays))
    return model


def _check_fitted(model):
    """Shape checks of the restored state, through the models' own parameter checks."""
    if hasattr(model, "_parameters"):
        model._parameters()
    if type(model).__name__ == "CGAN":  # the weights through set_weights' checks; sizes must match them
        stored = (model.n_x_, model.n_y_, model.n_noise_)
        model.set_weights(model.generator_weights_, model.discriminator_weights_, model.generator_average_weights_)
        if stored != (model.n_x_, model.n_y_, model.n_noise_):
            raise ValueError(f"n_x_, n_y_, n_noise_ = {stored} do not match the weights' "
                             f"{(model.n_x_, model.n_y_, model.n_noise_)}")
    if hasattr(model, "parts_"):  # a PartitionedRBM: its parts, and blocks that match them
        for part in model.parts_:
            _check_fitted(part)
        model._check_layout()
    layers = getattr(model, "layers_", None)
    if layers is not None:
        from .multimodal import _n_hidden, _n_visible

        for layer in layers:
            _check_fitted(layer)
        for lower, upper in zip(layers, layers[1:]):
            if _n_hidden(lower) != _n_visible(upper):
                raise ValueError("the layers' sizes do not chain")
        if type(model).__name__ == "DBM" and len({np.asarray(layer.weights_).dtype for layer in layers}) > 1:
            raise ValueError("the layers' weights have different dtypes")
        if hasattr(model, "n_features_in_") and model.n_features_in_ != _n_visible(layers[0]):
            raise ValueError("n_features_in_ differs from the first layer's visible units")


_CLASSES = {"BernoulliRBM": "condgen.rbm", "DBM": "condgen.dbm", "CGAN": "condgen.cgan",
            **dict.fromkeys(["Binomial2BernoulliRBM", "GaussianBernoulliRBM", "GaussianBernoulliRBM2",
                             "BernoulliGaussianRBM", "Softmax0BernoulliRBM"], "condgen.rbm_types"),
            **dict.fromkeys(["PartitionedRBM", "MultimodalDBM"], "condgen.multimodal")}


def _model_class(name):
    import importlib

    if name not in _CLASSES:
        raise ValueError(f"unknown model class {name!r}")
    return getattr(importlib.import_module(_CLASSES[name]), name)


def _digest(arrays: dict) -> str:
    hasher = hashlib.sha256()
    for name in sorted(arrays):
        array = np.ascontiguousarray(arrays[name])
        hasher.update(f"{name}|{array.dtype.str}|{array.shape}|".encode())
        hasher.update(array.tobytes())
    return hasher.hexdigest()


# ---------------------------------------------------------------------------------------------


def save(model, path, columns=None) -> Path:
    """Save a fitted model to one ``.npz`` file.

    Parameters
    ----------
    model : BernoulliRBM (or another RBM type), PartitionedRBM, DBM, MultimodalDBM or CGAN
        A fitted model.
    path : str or path-like
        Written as given (``.npz`` is the natural extension but is not added).
    columns : list of str or dict, optional
        Column names to keep with the model: the visible columns of an RBM or DBM, or
        ``{"x": [...], "y": [...]}`` for a CGAN. :func:`read_metadata` returns them.

    Returns
    -------
    pathlib.Path
    """
    from . import __version__

    name = type(model).__name__
    if name not in _CLASSES:
        raise TypeError(f"cannot save a {name}; models that can be saved: {', '.join(_CLASSES)}")
    arrays = {}
    fitted = _fitted_state(model, "fitted/", arrays)
    if not fitted:
        raise ValueError(f"this {name} is not fitted yet; call fit before save")
    metadata = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "class": name,
        "condgen_version": __version__,
        "hyperparameters": _hyperparameters_json(model),
        "columns": _to_json(_checked_columns(model, columns), "columns"),
        "fitted": fitted,
        "arrays": {key: {"dtype": value.dtype.str, "shape": list(value.shape)}
                   for key, value in arrays.items()},
        "sha256": _digest(arrays),
    }
    encoded = np.frombuffer(json.dumps(metadata, indent=1).encode(), dtype=np.uint8)
    path = Path(os.fspath(path))
    if path.is_dir():
        raise ValueError(f"{path} is a directory: give a file name such as {path / 'model.npz'}")
    temporary = path.with_name(path.name + ".partial")
    try:  # write beside the target and rename: never a half-written model under the real name
        with open(temporary, "wb") as handle:
            np.savez_compressed(handle, **{_METADATA: encoded}, **arrays)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path


def _checked_columns(model, columns):
    """``columns`` of save: names of the model's visible columns, or {"x": ..., "y": ...} of a CGAN."""
    if columns is None:
        return None
    if type(model).__name__ == "CGAN":
        if not isinstance(columns, dict) or not set(columns) <= {"x", "y"}:
            raise ValueError(f"columns of a CGAN must be a dict {{'x': names, 'y': names}}, got {columns!r}")
        return {key: _column_names(columns.get(key), n, f"columns[{key!r}]")
                for key, n in (("x", model.n_x_), ("y", model.n_y_))}
    from .multimodal import _n_visible

    n_visible = model.n_features_in_ if hasattr(model, "n_features_in_") else _n_visible(model)
    return _column_names(columns, n_visible, "columns")


def _column_names(names, n_columns, what):
    if names is None:
        return None
    if isinstance(names, (str, bytes)) or not hasattr(names, "__iter__"):
        raise ValueError(f"{what} must be a sequence of {n_columns} column names, got {names!r}")
    names = list(names)
    if not all(isinstance(name, str) for name in names):
        raise ValueError(f"{what} must hold strings (column names)")
    if len(names) != n_columns:
        raise ValueError(f"{what} has {len(names)} names, the model has {n_columns} columns")
    return names


def _open(path):
    path = Path(os.fspath(path))
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ModelFileError(path, error.strerror or str(error)) from None
    try:
        archive = np.load(io.BytesIO(data), allow_pickle=False)
    except Exception as error:  # noqa: BLE001 - any damage to the bytes must become a clear error
        raise ModelFileError(path, f"not a condgen model file (not a readable .npz archive: {error})") from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise ModelFileError(path, "not a condgen model file (a .npy array, not an .npz archive)")
    return path, archive


def _read(path):
    path, archive = _open(path)
    with archive:
        if _METADATA not in archive.files:
            raise ModelFileError(path, "not a condgen model file (an .npz archive without condgen metadata)")
        try:
            metadata = json.loads(archive[_METADATA].tobytes().decode())
            arrays = {name: archive[name] for name in archive.files if name != _METADATA}
        except Exception as error:  # noqa: BLE001 - zlib, zip, numpy header or JSON errors of damage
            raise ModelFileError(path, f"corrupt or truncated model file ({error})") from None
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT:
        raise ModelFileError(path, "not a condgen model file (foreign metadata)")
    version = metadata.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise ModelFileError(path, f"written in model format {version!r} by condgen "
                                   f"{metadata.get('condgen_version')}; this condgen reads format "
                                   f"{FORMAT_VERSION} and older: upgrade condgen")
    declared = metadata.get("arrays")
    if not isinstance(declared, dict) or set(declared) != set(arrays):
        raise ModelFileError(path, "tampered or corrupt model file (the arrays differ from the metadata)")
    for name, array in arrays.items():
        if not isinstance(declared[name], dict):
            raise ModelFileError(path, f"tampered or corrupt model file (the metadata of array {name!r} is not a "
                                       "dict)")
        if list(array.shape) != declared[name].get("shape") or array.dtype.str != declared[name].get("dtype"):
            raise ModelFileError(path, f"tampered or corrupt model file (array {name!r} has shape "
                                       f"{array.shape} and dtype {array.dtype}, the metadata says "
                                       f"{declared[name]})")
        if array.dtype.kind not in "fiub" or (array.dtype.kind == "f" and not np.all(np.isfinite(array))):
            raise ModelFileError(path, f"corrupt model file (array {name!r} is not finite numbers)")
    if _digest(arrays) != metadata.get("sha256"):
        raise ModelFileError(path, "tampered or corrupt model file (the arrays' SHA-256 does not match)")
    if metadata.get("class") not in _CLASSES:
        raise ModelFileError(path, f"unknown model class {metadata.get('class')!r}")
    if not _stored_columns_valid(metadata.get("columns"), metadata["class"] == "CGAN"):
        raise ModelFileError(path, f"bad column names in the metadata ({metadata.get('columns')!r})")
    return path, metadata, arrays


def _stored_columns_valid(columns, cgan):
    """The shapes save writes: None, a list of names, or for a CGAN {"x": names or None, "y": ...}."""
    def names(value):
        return value is None or (isinstance(value, list) and all(isinstance(name, str) for name in value))

    if cgan and columns is not None:
        return isinstance(columns, dict) and set(columns) <= {"x", "y"} and all(map(names, columns.values()))
    return names(columns)


def read_metadata(path) -> dict:
    """The checked JSON metadata of a model file (class, hyperparameters, columns, versions)."""
    return _read(path)[1]


def load(path):
    """Load a model saved with ``model.save(path)`` (or :func:`save`).

    The file is read with ``allow_pickle=False``; its metadata, array shapes and SHA-256 digest are
    checked before the model is built.

    Returns
    -------
    BernoulliRBM (or another RBM type), PartitionedRBM, DBM, MultimodalDBM or CGAN
        The fitted model, ready to sample or generate.

    Raises
    ------
    ModelFileError
        For a missing, corrupt, truncated, tampered or foreign file, or one written by a newer
        condgen.
    """
    path, metadata, arrays = _read(path)
    name = metadata["class"]
    try:
        model = _model_class(name)(**_from_json(metadata.get("hyperparameters", {})))
        _restore(model, metadata["fitted"], arrays)
        _check_fitted(model)
    except (TypeError, ValueError, KeyError, AttributeError, RecursionError) as error:
        raise ModelFileError(path, f"cannot rebuild the {name} ({error})") from None
    return model
