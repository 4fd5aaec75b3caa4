"""Benchmark: the seed's CGAN run (2500 epochs, batch 32, the seed's data) in condgen against a plain
numpy implementation (benchmarks/cgan_numpy.py) and PyTorch eager on the CPU with one thread (when
installed), all in this run, same architecture and training step.

Prints seconds per run, the ratios, and GFLOP/s of the necessary products next to a numpy float32
GEMM measured here. Everything runs on one thread. Usage:

    python benchmarks/cgan_seed.py [--quick] [--repeats 3] [--json out.json]

numpy and PyTorch run a tenth of the epochs (every epoch costs the same), their times scaled by 10.
``measure_all`` returns the rows that ``run.py`` prints.
"""

from __future__ import annotations

import os

# One thread everywhere: condgen's training kernel is sequential, and so must the peers be
# (run.py limits the threads with _harness.threads instead, as its other benchmarks use two).
if __name__ == "__main__":
    for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(_var, "1")

import argparse
import json
import sys
from pathlib import Path

import numpy as np

import condgen

sys.path.insert(0, str(Path(__file__).resolve().parent))
import cgan_numpy  # noqa: E402
from _harness import Row, format_table, gemm, machine_info, measure, optional, threads  # noqa: E402


def seed_data():
    rng = np.random.default_rng(1)
    snps, genes = condgen.simulate_snp_gep(seed=rng)
    test_snps, test_genes = condgen.simulate_snp_gep(200, n_random_samples=100, seed=rng)
    return snps, genes, test_snps, test_genes


def flops_per_epoch(n_rows, batch_size, n_x=50, n_y=10, n_noise=10):
    """2 x multiply-adds of the products one epoch needs (seed architecture).

    Per batch of b rows: generator forward; discriminator forward on 2b rows (real and fake), its
    weight gradients and input gradients of layers 2-4; forward of the updated discriminator on b
    rows and backward to its data inputs; generator weight gradients and hidden-layer gradient.
    """
    g = [(n_noise + n_y, n_noise + n_y), (n_noise + n_y, n_x)]
    d = [(n_x + n_y, n_x + n_y), (n_x + n_y, 40), (40, 20), (20, 1)]
    fwd_g = sum(i * o for i, o in g)
    fwd_d = sum(i * o for i, o in d)
    back_d_inner = sum(i * o for i, o in d[1:])
    per_row = (fwd_g  # G forward
               + 2 * (2 * fwd_d + back_d_inner)  # D step on 2b rows: forward, weight grads, input grads
               + fwd_d + back_d_inner + n_x * d[0][1]  # G step: D forward, backward to the data columns
               + fwd_g + g[1][0] * g[1][1])  # G weight grads and hidden gradient
    return 2.0 * per_row * n_rows  # every row is in exactly one batch


def torch_train(torch, x, y, epochs, batch_size, n_noise=10, noise_sd=2.0, seed=0):
    """The same training in idiomatic PyTorch eager mode (float32, autograd, torch.optim.Adam)."""
    nn, F = torch.nn, torch.nn.functional
    torch.manual_seed(seed)
    x = torch.as_tensor(x, dtype=torch.float32)
    y = torch.as_tensor(y, dtype=torch.float32)
    n, n_x = x.shape
    n_y = y.shape[1]
    g_in, d_in = n_noise + n_y, n_x + n_y

    def dense(i, o):
        layer = nn.Linear(i, o)
        nn.init.xavier_uniform_(layer.weight)
        nn.init.zeros_(layer.bias)
        return layer

    G = nn.Sequential(dense(g_in, g_in), nn.LeakyReLU(0.01), dense(g_in, n_x), nn.Sigmoid())
    D = nn.Sequential(dense(d_in, d_in), nn.LeakyReLU(0.01), dense(d_in, 40), dense(40, 20), nn.LeakyReLU(0.01),
                      dense(20, 1))  # logits; the losses use log-sigmoid
    opt_g = torch.optim.Adam(G.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8)
    opt_d = torch.optim.Adam(D.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8)
    order = torch.randperm(n)
    batches = [order[i:i + batch_size] for i in range(0, n, batch_size)]
    history = np.zeros((epochs, 2))
    for epoch in range(epochs):
        for rows in batches:
            b = rows.numel()
            xb, yb = x[rows], y[rows]
            zy = torch.cat([torch.randn(b, n_noise), yb], dim=1)
            noise = noise_sd * torch.randn(b, d_in)
            with torch.no_grad():
                fake = G(zy)
            logits = D(torch.cat([torch.cat([xb, yb], 1), torch.cat([fake, yb], 1)]) + noise.repeat(2, 1))
            loss_d = 0.5 * (F.softplus(-logits[:b]).mean() + F.softplus(logits[b:]).mean())
            opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            opt_d.step()
            for p in D.parameters():
                p.requires_grad_(False)
            loss_g = F.softplus(-D(torch.cat([G(zy), yb], 1))).mean()
            opt_g.zero_grad(set_to_none=True)
            loss_g.backward()
            opt_g.step()
            for p in D.parameters():
                p.requires_grad_(True)
            history[epoch, 0] += loss_d.item() / b
            history[epoch, 1] += loss_g.item() / b
    return history


def measure_all(quick=False, repeat=3):
    """Rows of run.py, one thread, CPU time: the seed run in condgen (seed preset and condgen
    defaults) and its peers. numpy and PyTorch run a tenth of the epochs (every epoch costs the
    same), their times scaled by 10; ``quick`` runs a tenth of the epochs everywhere."""
    snps, genes, _, _ = seed_data()
    epochs, batch = (250 if quick else 2500), 32
    peer_epochs = epochs // 10
    flop = flops_per_epoch(genes.shape[0], batch) * epochs
    monitors = {}
    with threads(1):
        reference = gemm(512, 512, 512, np.float32, repeat=repeat, calls=4, clock="cpu")

        def fit(preset):
            def run():
                model = condgen.CGAN(preset=preset, epochs=epochs, batch_size=batch, seed=0).fit(genes, snps)
                monitors[f"condgen {preset}"] = float(model.history_["discriminator_seed"][-100:].mean())
            return run

        seed_fit = measure(fit("seed"), repeat=repeat, clock="cpu")
        default_fit = measure(fit("condgen"), repeat=repeat, clock="cpu")

        peers = {"numpy": measure(lambda: cgan_numpy.train(genes, snps, epochs=peer_epochs, batch_size=batch),
                                  repeat=repeat, scale=10.0, clock="cpu")}
        torch, reason = optional("torch")
        if torch is None:
            peers["PyTorch eager"] = reason
        else:
            previous = torch.get_num_threads()
            torch.set_num_threads(1)
            peers["PyTorch eager"] = measure(lambda: torch_train(torch, genes, snps, peer_epochs, batch),
                                             repeat=repeat, scale=10.0, clock="cpu")
            torch.set_num_threads(previous)
    row = Row("seed CGAN", f"CGAN seed run, {epochs} epochs, batch {batch}, 1 thread (CPU time)", seed_fit,
              peers, flop=flop, gemm=reference, target="<= 2 s, >= 15x PyTorch, >= 4x numpy",
              note=f"peers on {peer_epochs} epochs, x10; late discriminator monitor (chance 0.2523): "
                   + ", ".join(f"{k} {v:.4f}" for k, v in monitors.items()), extra={"monitors": monitors})
    if not quick:
        torch_ratio = row.ratio("PyTorch eager")
        row.met = (seed_fit.median <= 2.0 and row.ratio("numpy") >= 4
                   and (torch_ratio is None or torch_ratio >= 15))
    default_row = Row("seed CGAN", f"CGAN {epochs} epochs, preset condgen (defaults)", default_fit,
                      {"seed preset": seed_fit}, flop=flop, gemm=reference)
    return [row, default_row]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the epochs, for a smoke run")
    parser.add_argument("--repeats", type=int, default=3, help="timings per measurement (after a warm-up)")
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args(argv)
    rows = measure_all(args.quick, args.repeats)
    print(f"seed CGAN run, 1 thread, CPU time; {rows[0].flop / 1e9:.1f} GFLOP of products; GEMM: numpy "
          f"float32 512^3, 1 thread; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(format_table(rows))
    if args.json:
        args.json.write_text(json.dumps({"machine": machine_info(), "rows": [row.to_dict() for row in rows]},
                                        indent=2))


if __name__ == "__main__":
    main()
