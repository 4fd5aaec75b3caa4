"""What every model class shares: scikit-learn style hyperparameter access, repr and save."""

from __future__ import annotations

import inspect


def _same(a, b) -> bool:
    try:
        return bool(a is b or a == b)
    except (TypeError, ValueError):  # arrays and the like
        return False


class Estimator:
    """Hyperparameters are the arguments of ``__init__``, stored under their own names."""

    def get_params(self, deep=True):  # noqa: ARG002 (scikit-learn signature)
        """Hyperparameters as a dict (scikit-learn convention)."""
        names = [p for p in inspect.signature(type(self).__init__).parameters if p != "self"]
        return {name: getattr(self, name) for name in names}

    def set_params(self, **params):
        """Set hyperparameters by name; returns self."""
        valid = self.get_params()
        for name, value in params.items():
            if name not in valid:
                raise ValueError(f"unknown parameter {name!r} for {type(self).__name__}; valid: {sorted(valid)}")
            setattr(self, name, value)
        return self

    def __repr__(self):
        defaults = {p.name: p.default for p in inspect.signature(type(self).__init__).parameters.values()}
        changed = [f"{k}={v!r}" for k, v in self.get_params().items() if not _same(v, defaults[k])]
        return f"{type(self).__name__}({', '.join(changed)})"

    def save(self, path, columns=None):
        """Save the fitted model to one ``.npz`` file; :func:`condgen.load` reads it back.

        ``columns``: optional names of the visible columns, kept in the file's metadata.
        See :func:`condgen.persist.save`.
        """
        from .persist import save

        return save(self, path, columns=columns)
