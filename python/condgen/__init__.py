"""condgen: conditional sampling with deep Boltzmann machines and conditional GANs on binary omics data.

The numerical work runs in a C++ core (Eigen + OpenMP); this package holds the public API.
"""

from __future__ import annotations

from . import likelihood, metrics, monitor, plot
from ._core import __version__, get_num_threads
from ._core import set_num_threads as _set_num_threads
from .cgan import CGAN
from .dbm import DBM, TrainLayer
from .monitor import Monitor, monitored_fit
from .persist import load
from .rbm import BernoulliRBM
from .simulate import simulate_snp_gep

__all__ = [
    "BernoulliRBM",
    "CGAN",
    "DBM",
    "TrainLayer",
    "__version__",
    "get_num_threads",
    "likelihood",
    "load",
    "metrics",
    "monitor",
    "Monitor",
    "monitored_fit",
    "plot",
    "set_num_threads",
    "simulate_snp_gep",
]


def set_num_threads(n: int) -> None:
    """Set the number of threads of the C++ kernels (default: OpenMP's, i.e. ``OMP_NUM_THREADS``).

    Results do not depend on this number: work is split into fixed chunks with their own
    random streams.
    """
    from ._validation import check_int

    _set_num_threads(check_int(n, "n", minimum=1))
