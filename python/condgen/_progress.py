"""Progress bars for long fits: on in an interactive terminal, quiet otherwise."""

from __future__ import annotations

import sys

import numpy as np


def progress_enabled(progress) -> bool:
    """Resolve a ``progress`` argument: True/False as given, None = only in an interactive terminal."""
    if progress is None:
        return bool(getattr(sys.stderr, "isatty", lambda: False)())
    if not isinstance(progress, (bool, np.bool_)):
        raise ValueError(f"progress must be True, False or None, got {progress!r}")
    return bool(progress)


def progress_bar(total: int, progress, desc: str):
    """A tqdm bar over ``total`` steps, or a do-nothing bar when progress is off."""
    if not progress_enabled(progress):
        return _NoBar()
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, leave=False, dynamic_ncols=True)


def show_monitor(bar, monitor) -> None:
    """Show the latest values of a monitor that keeps them (``condgen.Monitor``) next to the bar."""
    latest = getattr(monitor, "latest", None)
    if callable(latest):
        bar.set_postfix(latest(), refresh=False)


class _NoBar:
    def update(self, n=1):
        pass

    def set_postfix(self, *args, **kwargs):
        pass

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
