"""Peak resident memory of the large cases, each in a fresh process, against the size of the
parameters, the particles / data and the outputs the call must return.

    python benchmarks/memory.py [--quick]

"increase" is the peak resident memory during the call minus the resident memory just before it
(model, data and particles already allocated); a hidden copy of the particles or the data would
show up as an increase of at least their size.
"""

from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _harness import peak_rss  # noqa: E402

MB = 1024.0 ** 2

_DBM = """
import numpy as np, condgen, _harness
dtype = np.{dtype}
dbm = _harness.random_dbm({sizes}, dtype=dtype)
params = sum(r.weights_.nbytes + r.visible_bias_.nbytes + r.hidden_bias_.nbytes for r in dbm.layers_)
"""

_FIT = """
import numpy as np, condgen, growth
X = growth.data({n}, {nv})
model = condgen.DBM(n_hiddens=growth.hidden_layers({nv}), pretrain_epochs=1, epochs=1,
                    pretrain_batch_size={batch}, preset="boltzmannmachines.jl", seed=1)
model.fit(X[:64])  # warm-up: lazy imports and first-call allocations are not the call's cost
"""


def _n_param(sizes):
    """Weights and both biases of every RBM layer, as condgen stores them."""
    return sum(a * b + a + b for a, b in zip(sizes[:-1], sizes[1:]))


def cases(quick=False):
    """(name, setup, run, sizes in bytes) of each large case."""
    n_particles = 2000 if quick else 10_000
    n_rows = 3000 if quick else 30_000
    large = (1000, 500, 100)
    n_param = _n_param(large)
    out = []
    for dtype, size in (("float64", 8), ("float32", 4)):
        out.append((f"Gibbs sweep 1000-500-100, {n_particles} particles, {dtype}",
                    _DBM.format(dtype=dtype, sizes=large) + f"P = dbm.init_particles({n_particles}, seed=1)\n"
                    + "dbm.gibbs_sample(dbm.init_particles(64, seed=0), steps=1, seed=0)\n",
                    "dbm.gibbs_sample(P, steps=2, seed=1)\n",
                    {"parameters": n_param * size, "particles": n_particles * sum(large) * size, "outputs": 0}))
    out.append((f"mean-field 1000-500-100, {n_particles} rows, float64",
                _DBM.format(dtype="float64", sizes=large)
                + f"X = (np.random.default_rng(0).random(({n_particles}, 1000)) < 0.3).astype(np.float64)\n"
                + "dbm.mean_field(X[:64])\n",
                "mu = dbm.mean_field(X)\n",
                {"parameters": n_param * 8, "data": n_particles * 1000 * 8,
                 "outputs": n_particles * 600 * 8}))
    out.append((f"DBM fit 1+1 epochs, {n_rows} samples x 60",
                _FIT.format(n=n_rows, nv=60, batch=1), "model.fit(X)\n",
                {"parameters": _n_param((60, 30, 10, 2)) * 8,
                 "data": n_rows * 60 * 8, "outputs": 0}))
    nv = 600 if quick else 2000
    hidden = (nv // 2, nv // 6, nv // 30)
    sizes = (nv, *hidden)
    out.append((f"DBM fit 1+1 epochs, 300 samples x {nv}",
                _FIT.format(n=300, nv=nv, batch=32), "model.fit(X)\n",
                {"parameters": _n_param(sizes) * 8,
                 "data": 300 * nv * 8, "outputs": 0}))
    out.append((f"conditional sampling, {n_rows} rows x 60, 50 steps",
                _FIT.format(n=n_rows, nv=60, batch=1)
                + "columns = np.arange(50, 60)\nvalues = X[:, columns].copy()\n"
                + "model.sample_conditional(values[:64], columns, steps=1, seed=0)\n",
                "S = model.sample_conditional(values, columns, steps=50, seed=2)\n",
                {"parameters": _n_param((60, 30, 10, 2)) * 8, "data": n_rows * 10 * 8, "outputs": n_rows * 60 * 8,
                 "particles": n_rows * (60 + 30 + 10 + 2) * 8}))
    return out


def measure_all(quick=False):
    results = []
    for name, setup, run, sizes in cases(quick):
        rss = peak_rss(setup, run)
        results.append({"case": name, **rss, "sizes": sizes})
    return results


def format_memory(results) -> str:
    lines = [f"{'case':<52} {'RSS before':>11} {'peak':>9} {'increase':>9} {'params':>8} "
             f"{'particles/data':>15} {'outputs':>8}"]
    for r in results:
        s = r["sizes"]
        moved = s.get("particles", 0) + s.get("data", 0)
        lines.append(f"  {r['case']:<50} {r['rss_before'] / MB:>8.1f} MB {r['peak'] / MB:>6.1f} MB "
                     f"{r['increase'] / MB:>6.1f} MB {s['parameters'] / MB:>5.1f} MB {moved / MB:>12.1f} MB "
                     f"{s['outputs'] / MB:>5.1f} MB")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller cases, for a smoke run")
    args = parser.parse_args()
    print(format_memory(measure_all(args.quick)))


if __name__ == "__main__":
    main()
