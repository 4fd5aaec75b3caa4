"""Command-line interface: ``condgen <command> [options]`` (also ``python -m condgen``)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

__all__ = ["main"]


def _demo(args) -> int:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from . import plot
    from .simulate import simulate_snp_gep

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(args.seed)
    simulate_snp_gep(300, n_random_samples=150, seed=rng)  # the training set, as in the seed
    test_snps, test_genes = simulate_snp_gep(200, n_random_samples=100, seed=rng)
    for name, matrix in (("test-snps", test_snps), ("test-genes", test_genes)):
        ax = plot.binary_matrix(matrix, title=name.replace("-", " "))
        path = out / f"{name}.png"
        ax.figure.savefig(path, dpi=100, bbox_inches="tight")
        plt.close(ax.figure)
        print(f"wrote {path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="condgen",
        description="Conditional sampling with DBMs and CGANs on binary omics data.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    demo = commands.add_parser(
        "demo",
        help="simulate the seed's test data and draw it",
        description="Simulate the seed example's training and test data and draw the test SNPs "
        "and genes as binary-matrix figures.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    demo.add_argument("--out", default="condgen-results", help="output folder")
    demo.add_argument("--seed", type=int, default=1, help="random seed of the simulation")
    demo.set_defaults(run=_demo)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
