"""Largest |weight| of each DBM pre-training layer every 50 epochs, with and without the drift.

    python benchmarks/centering_drift.py [family] [seed] [offset_rate ...]

Trains the three layers of ``DBM(n_hiddens=[30, 10, 2])``'s pre-training (batch 1, PCD with the
probability chain, 300 epochs at 0.002, DBM factors) on a setting of ``quality.py`` (default:
"wide", seed 2), uncentered and centered with each offset rate (default 0.01 and 0). With rate
0.01 the first two layers' weights grow linearly (14 and 22 after 300 epochs on wide/2) while
the first layer's hidden offsets reach 0.08-0.93; uncentered or with the offsets fixed at 0.5 they stay
about 2-3.
"""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from quality import simulate  # noqa: E402

import condgen  # noqa: E402


def pretrain(X, seed, centering, offset_rate):
    rng = np.random.default_rng(seed)
    Y = X
    for layer, n_hidden in enumerate([30, 10, 2]):
        history = []
        rbm = condgen.BernoulliRBM(
            n_hidden=n_hidden, epochs=300, learning_rate=0.002, batch_size=1, pcd=True,
            up_factor=2.0 if layer < 2 else 1.0, down_factor=1.0 if layer == 0 else 2.0,
            centering=centering, offset_rate=offset_rate, seed=int(rng.integers(2**63)),
            monitor=lambda m, e: history.append(np.abs(m.weights_).max()) if e % 50 == 0 else None,
        )._fit_array(np.ascontiguousarray(Y))
        offsets = getattr(rbm, "hidden_offset_", None)
        print(f"  layer {layer}: max |W| {np.round(history, 1)}"
              + (f", hidden offsets in [{offsets.min():.2f}, {offsets.max():.2f}]" if centering else ""))
        with np.errstate(over="ignore"):
            Y = 1.0 / (1.0 + np.exp(-2.0 * (Y @ rbm.weights_ + rbm.hidden_bias_)))


def main():
    family = sys.argv[1] if len(sys.argv) > 1 else "wide"
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    rates = [float(r) for r in sys.argv[3:]] or [0.01, 0.0]
    condgen.set_num_threads(1)
    snps, genes, _, _ = simulate(family, 300, seed)
    X = np.hstack([genes, snps])
    print(f"{family}, seed {seed}: uncentered")
    pretrain(X, seed, False, 0.0)
    for rate in rates:
        print(f"centered, offset rate {rate}")
        pretrain(X, seed, True, rate)


if __name__ == "__main__":
    main()
