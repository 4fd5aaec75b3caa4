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


def _compare(args) -> int:
    from .compare import CompareSettings, format_summary_table, run_compare

    settings = CompareSettings(seed=args.seed, repeats=args.repeats, n_train=args.n_train,
                               quick=args.quick, samples_per_row=args.samples_per_row)
    progress = False if args.no_progress else None
    metrics = run_compare(args.out, settings, progress=progress, jobs=args.jobs,
                          log=(lambda _: None) if args.quiet else print)
    print()
    print(format_summary_table(metrics))
    print()
    print(f"report: {Path(args.out) / 'report.html'}  (total {metrics['total_seconds']:.1f} s)")
    return 0


def _add_compare(commands):
    parser = commands.add_parser(
        "compare", formatter_class=_HelpFormatter,
        help="the main job: the seed's DBM-vs-CGAN experiment with pictures, numbers and a report",
        description="Simulate the seed example's data, train the CGANs and DBMs (the seed's recipes "
        "and condgen's defaults), condition them on the 200 test SNP rows, sample SNPs given genes "
        "with the DBMs, and compare everything with the simulator's Bayes-optimal conditional "
        "distribution. Writes PNG figures, metrics.json and a self-contained report.html to --out "
        "and prints a summary table.")
    parser.add_argument("--out", default="condgen-results", metavar="DIR", help="output folder")
    parser.add_argument("--seed", type=int, default=1, metavar="INT",
                        help="seed of the first repeat (data and models); repeat r uses seed + r")
    parser.add_argument("--repeats", type=_positive_int, default=1, metavar="N",
                        help="independent repeats; the report gives mean and sd of every number")
    parser.add_argument("--n-train", type=_positive_int, default=300, metavar="N",
                        help="training rows (the last half unlinked, as in the seed); the test set "
                        "stays the seed's 200 rows")
    parser.add_argument("--samples-per-row", type=_positive_int, default=40, metavar="N",
                        help="conditional samples per test row for the numbers")
    parser.add_argument("--quick", action="store_true",
                        help="cut epochs and samples for a smoke run (numbers not meaningful)")
    parser.add_argument("--jobs", type=_positive_int, metavar="N",
                        help="models trained at the same time, one thread each (default: the number "
                        "of threads, OMP_NUM_THREADS); the results do not depend on it")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    parser.add_argument("--quiet", action="store_true", help="print only the summary table")
    parser.set_defaults(run=_compare)


def _class_default(cls, name):
    import inspect

    return inspect.signature(cls).parameters[name].default


def _default_text(cls, name):
    """' (default: VALUE)' from the model class's own signature, so the help never goes stale."""
    value = _class_default(cls, name)
    if name == "pretrain_epochs" and value is None:
        return " (default: as --epochs)"
    if value is None or value == "auto":
        return f" (default: chosen by --preset, see condgen.{cls.__name__})"
    return f" (default: {value})"


def _check_names(table, expected, path, what):
    """A header row must name the columns the model was trained on, in the same order."""
    from .io import DataFileError

    if table.columns is not None and expected is not None and list(table.columns) != list(expected):
        differ = next(i for i, (a, b) in enumerate(zip(table.columns, expected)) if a != b) \
            if len(table.columns) == len(expected) else None
        detail = (f"column {differ + 1} is {table.columns[differ]!r}, the model's {what} column is "
                  f"{expected[differ]!r}") if differ is not None else \
            f"{len(table.columns)} columns, the model has {len(expected)} {what} columns"
        raise DataFileError(path, f"the header does not match the model: {detail}", line=1)


def _check_width(table, n_columns, path, what):
    from .io import DataFileError

    if table.values.shape[1] != n_columns:
        raise DataFileError(path, f"{table.values.shape[1]} columns, the model has {n_columns} {what} columns")


def _save_model(model, path, columns):
    from .persist import save

    save(model, path, columns=columns)
    print(f"wrote {path}")


def _fit_dbm(args) -> int:
    from .dbm import DBM
    from .io import read_table, select_columns

    data = read_table(args.data, binary=True)
    condition_on = None
    if args.condition_on is not None:
        condition_on = select_columns(args.condition_on, data.columns, data.values.shape[1], what="--condition-on")
    params = {"n_hiddens": args.hidden, "epochs": args.epochs, "pretrain_epochs": args.pretrain_epochs,
              "learning_rate": args.learning_rate, "pretrain_learning_rate": args.pretrain_learning_rate,
              "batch_size": args.batch_size, "preset": args.preset}
    params = {key: value for key, value in params.items() if value is not None}
    model = DBM(**params, seed=args.seed, progress=False if args.no_progress else None)
    model.fit(data.values, condition_on=condition_on)
    _save_model(model, args.out, data.columns)
    return 0


def _add_fit_dbm(commands):
    from .dbm import _PRESETS, DBM

    parser = commands.add_parser(
        "fit-dbm", formatter_class=_HelpFormatter,
        help="train a deep Boltzmann machine on a binary data file",
        description="Train a DBM (layer-wise pre-training, then fine-tuning) on DATA (binary, samples "
        "in rows) and save it to MODEL (.npz). Unset options take condgen.DBM's defaults.")
    parser.add_argument("data", metavar="DATA", help="binary data file (.csv, .tsv or .npy)")
    parser.add_argument("--out", required=True, metavar="MODEL", help="model file to write (.npz)")
    parser.add_argument("--hidden", type=_int_list, metavar="N,N,...",
                        help="hidden layer sizes, e.g. 30,10,2" + " (default: two layers as wide as the data)")
    for option, name, kind, text in (
            ("--epochs", "epochs", _positive_int, "fine-tuning epochs"),
            ("--pretrain-epochs", "pretrain_epochs", _positive_int, "pre-training epochs per layer"),
            ("--learning-rate", "learning_rate", float, "fine-tuning learning rate"),
            ("--pretrain-learning-rate", "pretrain_learning_rate", float, "pre-training learning rate"),
            ("--batch-size", "batch_size", _positive_int, "fine-tuning batch size")):
        parser.add_argument(option, type=kind, metavar="N" if kind is _positive_int else "RATE",
                            help=text + _default_text(DBM, name))
    parser.add_argument("--preset", choices=_PRESETS, default=_class_default(DBM, "preset"),
                        help="defaults of the unset options: condgen's, or the seed's "
                        "BoltzmannMachines.jl procedure")
    parser.add_argument("--condition-on", metavar="NAMES_OR_INDICES",
                        help="columns the model will be sampled given (e.g. the SNPs, 50:60): fine-tune "
                        "the conditional likelihood of the other columns given these (default: the "
                        "joint likelihood of all columns)")
    parser.add_argument("--seed", type=int, metavar="INT", help="random seed (default: fresh entropy)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(run=_fit_dbm)


def _fit_cgan(args) -> int:
    from .cgan import CGAN
    from .io import DataFileError, read_table

    x = read_table(args.x, binary=True)
    y = read_table(args.y, binary=True)
    if x.values.shape[0] != y.values.shape[0]:
        raise DataFileError(args.y, f"{y.values.shape[0]} rows, but {args.x} has {x.values.shape[0]}")
    params = {"n_noise": args.n_noise, "epochs": args.epochs, "batch_size": args.batch_size,
              "learning_rate": args.learning_rate, "preset": args.preset}
    params = {key: value for key, value in params.items() if value is not None}
    model = CGAN(**params, seed=args.seed, progress=False if args.no_progress else None)
    model.fit(x.values, y.values)
    _save_model(model, args.out, {"x": x.columns, "y": y.columns})
    return 0


def _add_fit_cgan(commands):
    from .cgan import CGAN, PRESETS

    parser = commands.add_parser(
        "fit-cgan", formatter_class=_HelpFormatter,
        help="train a conditional GAN that generates X given Y",
        description="Train a conditional GAN on X (the data to generate, e.g. genes) given Y (the "
        "condition, e.g. SNPs); both binary, samples in rows, the same number of rows. Saves it to "
        "MODEL (.npz). Unset options take condgen.CGAN's defaults.")
    parser.add_argument("x", metavar="X", help="data file to generate (.csv, .tsv or .npy)")
    parser.add_argument("y", metavar="Y", help="condition file with the same rows")
    parser.add_argument("--out", required=True, metavar="MODEL", help="model file to write (.npz)")
    for option, name, kind, text in (
            ("--n-noise", "n_noise", _positive_int, "noise variables of the generator"),
            ("--epochs", "epochs", _positive_int, "training epochs"),
            ("--batch-size", "batch_size", _positive_int, "batch size"),
            ("--learning-rate", "learning_rate", float, "Adam learning rate")):
        parser.add_argument(option, type=kind, metavar="N" if kind is _positive_int else "RATE",
                            help=text + _default_text(CGAN, name))
    parser.add_argument("--preset", choices=list(PRESETS), default=_class_default(CGAN, "preset"),
                        help="defaults of the unset options: condgen's recipe, or the seed's exact one")
    parser.add_argument("--seed", type=int, metavar="INT", help="random seed (default: fresh entropy)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(run=_fit_cgan)


def _load(path, family):
    from .persist import ModelFileError, load, read_metadata

    metadata = read_metadata(path)  # checks the class too
    if family == "cgan" and metadata["class"] != "CGAN":
        raise ModelFileError(path, f"a {metadata['class']}, but this command needs a CGAN")
    if family == "bm" and metadata["class"] not in ("DBM", "BernoulliRBM"):
        raise ModelFileError(path, f"a {metadata['class']}, but this command needs a DBM or an RBM")
    return load(path), metadata.get("columns")


def _sample(args) -> int:
    import numpy as np

    from .io import DataFileError, read_table, select_columns, write_table

    model, names = _load(args.model, "bm")
    n_visible = model.layers_[0].weights_.shape[0] if hasattr(model, "layers_") else model.weights_.shape[0]
    if args.given is None:
        if args.columns is not None:
            raise ValueError("--columns needs --given FILE with the values to condition on")
        samples = model.sample(args.n, burn_in=args.steps, seed=args.seed)
    else:
        if not hasattr(model, "sample_conditional"):
            raise ValueError(f"{args.model} holds a {type(model).__name__}; conditional sampling "
                             "(--given) needs a DBM (fit-dbm; one hidden layer gives an RBM-like DBM)")
        given = read_table(args.given, binary=True)
        if args.columns is None:
            if given.columns is None or names is None:
                raise ValueError("--columns is required unless both the model and --given have "
                                 "column names")
            columns = select_columns(given.columns, names, n_visible, what=f"{args.given} header")
            values = given.values
        else:
            columns = select_columns(args.columns, names, n_visible)
            if given.values.shape[1] == len(columns):
                values = given.values
            elif given.columns is not None and names is not None:
                wanted = [names[i] for i in columns]
                values = given.values[:, select_columns(wanted, given.columns, given.values.shape[1],
                                                        what=str(args.given))]
            elif given.values.shape[1] == n_visible:
                values = given.values[:, columns]
            else:
                raise DataFileError(args.given, f"{given.values.shape[1]} columns for the "
                                                f"{len(columns)} selected by --columns")
        samples = model.sample_conditional(np.ascontiguousarray(values), columns, steps=args.steps,
                                           n_per_row=args.n_per_row, seed=args.seed)
    print(f"wrote {write_table(args.out, samples, names)} ({samples.shape[0]} x {samples.shape[1]})")
    return 0


def _add_sample(commands):
    parser = commands.add_parser(
        "sample", formatter_class=_HelpFormatter,
        help="sample from a DBM or RBM, optionally conditioned on given columns",
        description="Draw visible samples from a saved DBM or RBM. Without --given: N samples after "
        "--steps Gibbs sweeps from random particles. With --given FILE: for each row of FILE, "
        "--n-per-row samples with the --columns clamped to that row's values (gibbssamplecond!; the "
        "chains start from the mean-field state given those values, or from random particles as the "
        "seed's initparticles for a DBM of the boltzmannmachines.jl preset); rows i*k ... (i+1)*k-1 "
        "of the output belong to row i. "
        "--columns takes column names (when the model has them) or 0-based indices and ranges "
        "START:STOP, e.g. 50:60; it may be left out when FILE's header names the columns.")
    parser.add_argument("model", metavar="MODEL", help="model file (.npz) from fit-dbm")
    parser.add_argument("--out", required=True, metavar="FILE", help="samples file to write")
    parser.add_argument("--n", type=_positive_int, default=100, metavar="N",
                        help="number of samples without --given")
    parser.add_argument("--given", metavar="FILE",
                        help="values to condition on, one row per condition (default: none, "
                        "unconditional samples)")
    parser.add_argument("--columns", metavar="NAMES_OR_INDICES",
                        help="the model columns that --given holds (default: the names in FILE's header)")
    parser.add_argument("--steps", type=_positive_int, default=50, metavar="N", help="Gibbs steps")
    parser.add_argument("--n-per-row", type=_positive_int, default=1, metavar="N",
                        help="samples per row of --given")
    parser.add_argument("--seed", type=int, metavar="INT", help="random seed (default: fresh entropy)")
    parser.set_defaults(run=_sample)


def _generate(args) -> int:
    import numpy as np

    from .io import read_table, write_table

    model, names = _load(args.model, "cgan")
    names = names or {}
    y = read_table(args.y, binary=True)
    _check_names(y, names.get("y"), args.y, "condition")
    conditions = np.repeat(y.values, args.n_per_row, axis=0)
    generated = model.generate(conditions, kind=args.kind, seed=args.seed)
    print(f"wrote {write_table(args.out, generated, names.get('x'))} "
          f"({generated.shape[0]} x {generated.shape[1]})")
    return 0


def _add_generate(commands):
    parser = commands.add_parser(
        "generate", formatter_class=_HelpFormatter,
        help="generate data with a CGAN for the conditions in a file",
        description="Generate, with a saved CGAN, --n-per-row rows for every condition row of Y; "
        "rows i*k ... (i+1)*k-1 of the output belong to row i.")
    parser.add_argument("model", metavar="MODEL", help="model file (.npz) from fit-cgan")
    parser.add_argument("y", metavar="Y", help="condition file (.csv, .tsv or .npy)")
    parser.add_argument("--out", required=True, metavar="FILE", help="file to write")
    parser.add_argument("--kind", choices=["rounded", "probabilities", "bernoulli"], default="rounded",
                        help="rounded generator outputs (the seed's), the probabilities, or Bernoulli "
                        "samples from them")
    parser.add_argument("--n-per-row", type=_positive_int, default=1, metavar="N",
                        help="rows generated per condition row")
    parser.add_argument("--seed", type=int, metavar="INT", help="random seed (default: fresh entropy)")
    parser.set_defaults(run=_generate)


def _evaluate(args) -> int:
    from .io import read_table
    from .likelihood import log_likelihood

    model, names = _load(args.model, "bm")
    data = read_table(args.data, binary=True)
    _check_names(data, names, args.data, "visible")
    method = args.method
    if method == "auto":  # exact where the enumeration is small enough, AIS otherwise
        try:
            model.exact_log_partition()
            method = "exact"
        except ValueError:
            method = "ais"
    estimate = log_likelihood(model, data.values, method=method, n_temperatures=args.n_temperatures,
                              n_particles=args.n_particles, seed=args.seed)
    detail = f" +- {estimate.sd:.4f} (sd of the AIS estimate)" if method == "ais" else ""
    print(f"mean log-likelihood ({method}) of {data.values.shape[0]} rows: {estimate.value:.4f}{detail}")
    return 0


def _add_evaluate(commands):
    parser = commands.add_parser(
        "evaluate", formatter_class=_HelpFormatter,
        help="log-likelihood of a data file under a DBM or RBM",
        description="Print the mean log-likelihood of the rows of DATA under a saved DBM or RBM: "
        "exact by enumeration for small models, or estimated with annealed importance sampling "
        "(AIS) with its standard deviation.")
    parser.add_argument("model", metavar="MODEL", help="model file (.npz)")
    parser.add_argument("data", metavar="DATA", help="binary data file")
    parser.add_argument("--method", choices=["auto", "exact", "ais"], default="auto",
                        help="exact enumeration (small models only), AIS, or exact where possible")
    parser.add_argument("--n-temperatures", type=_positive_int, default=100, metavar="N",
                        help="AIS temperatures")
    parser.add_argument("--n-particles", type=_positive_int, default=100, metavar="N",
                        help="AIS particles")
    parser.add_argument("--seed", type=int, metavar="INT", help="random seed of AIS (default: fresh entropy)")
    parser.set_defaults(run=_evaluate)


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
    _add_compare(commands)
    _add_fit_dbm(commands)
    _add_fit_cgan(commands)
    _add_sample(commands)
    _add_generate(commands)
    _add_evaluate(commands)
    _add_simulate(commands)
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
