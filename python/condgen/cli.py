"""Command-line interface: ``condgen <command> [options]`` (also ``python -m condgen``).

Every command reports a problem with its input (a malformed data file, an unreadable model
file, an invalid option value) as one line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

__all__ = ["build_parser", "main"]


class _HelpFormatter(argparse.HelpFormatter):
    """Show each option's default after its help (required options and None defaults say theirs in words)."""

    def _get_help_string(self, action):
        text = action.help or ""
        if (action.option_strings and not action.required and action.default is not None
                and action.default is not argparse.SUPPRESS and "%(default)" not in text
                and not isinstance(action, argparse._HelpAction)):
            text += " (default: %(default)s)"
        return text


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def _int_list(text):
    try:
        values = [int(item) for item in text.split(",") if item.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"expected comma-separated positive integers, got {text!r}")
    return values


def _simulate(args) -> int:
    from .io import write_table
    from .simulate import simulate_snp_gep

    snps, genes = simulate_snp_gep(
        args.n_samples, n_snps=args.n_snps, n_genes=args.n_genes, snp_noise=args.snp_noise,
        noise=args.noise, activation_prob=args.activation_prob,
        n_random_samples=args.n_random_samples, seed=args.seed)
    header = not args.no_header
    for path, values, prefix in ((args.out_snps, snps, "snp"), (args.out_genes, genes, "gene")):
        names = [f"{prefix}{j + 1}" for j in range(values.shape[1])] if header else None
        print(f"wrote {write_table(path, values, names)} ({values.shape[0]} x {values.shape[1]})")
    return 0


def _add_simulate(commands):
    parser = commands.add_parser(
        "simulate", formatter_class=_HelpFormatter,
        help="simulate linked binary SNP and gene-expression data (the seed's simulator)",
        description="Simulate linked binary SNP and gene-expression data with the seed example's "
        "simulator and write them as two files (samples in rows). Gene j is linked to SNP j; see "
        "condgen.simulate_snp_gep for the model. File types follow the extensions: .csv, .tsv, .npy.")
    parser.add_argument("--out-snps", required=True, metavar="FILE", help="SNP file to write")
    parser.add_argument("--out-genes", required=True, metavar="FILE", help="gene file to write")
    parser.add_argument("--n-samples", type=int, metavar="N", default=300, help="number of rows")
    parser.add_argument("--n-snps", type=int, metavar="N", default=10, help="number of SNP columns")
    parser.add_argument("--n-genes", type=int, metavar="N", default=50, help="number of gene columns")
    parser.add_argument("--snp-noise", type=float, metavar="P", default=0.05,
                        help="SNP probability in the first quarter of the rows (1 minus it in the second)")
    parser.add_argument("--noise", type=float, metavar="P", default=0.15, help="background probability")
    parser.add_argument("--activation-prob", type=float, metavar="P", default=0.7,
                        help="probability that a linked gene follows its SNP")
    parser.add_argument("--n-random-samples", type=int, metavar="N", default=150,
                        help="trailing rows whose genes are not linked to the SNPs")
    parser.add_argument("--seed", type=int, default=1, metavar="INT", help="random seed")
    parser.add_argument("--no-header", action="store_true",
                        help="write text files without the header row of column names snp1..., gene1...")
    parser.set_defaults(run=_simulate)


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


def _add_demo(commands):
    parser = commands.add_parser(
        "demo", formatter_class=_HelpFormatter,
        help="simulate the seed's test data and draw it",
        description="Simulate the seed example's training and test data and draw the test SNPs "
        "and genes as binary-matrix figures.")
    parser.add_argument("--out", default="condgen-results", help="output folder")
    parser.add_argument("--seed", type=int, default=1, help="random seed of the simulation")
    parser.set_defaults(run=_demo)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    from . import __version__

    parser = argparse.ArgumentParser(
        prog="condgen", formatter_class=_HelpFormatter,
        description="Conditional sampling with deep Boltzmann machines and conditional GANs on "
        "binary omics data. Data files: .csv or .tsv (with or without a header row of column "
        "names) or .npy, samples in rows. 'condgen COMMAND --help' lists a command's options.")
    parser.add_argument("--version", action="version", version=f"condgen {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _add_simulate(commands)
    _add_demo(commands)
    return parser


def main(argv=None) -> int:
    """Run the command line ``argv`` (default ``sys.argv[1:]``); returns the exit status."""
    from .io import DataFileError
    from .persist import ModelFileError

    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (DataFileError, ModelFileError, ValueError, OSError) as error:
        print(f"condgen {args.command}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"condgen {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
