import argparse
import subprocess
import sys

import condgen
import numpy as np
import pytest
from condgen import likelihood
from condgen.cli import build_parser, main
from condgen.io import read_table, write_table


def _subparsers(parser):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action.choices
    raise AssertionError("no subcommands")


def test_help_lists_every_option_with_its_default(capsys):
    commands = _subparsers(build_parser())
    assert {"compare", "simulate", "fit-dbm", "fit-cgan", "sample", "generate", "evaluate"} <= set(commands)
    for name, parser in commands.items():
        with pytest.raises(SystemExit) as stop:
            main([name, "--help"])
        assert stop.value.code == 0
        text = " ".join(capsys.readouterr().out.split())
        for action in parser._actions:
            if not action.option_strings or isinstance(action, argparse._HelpAction):
                continue
            assert action.option_strings[-1] in text
            if not action.required:  # every optional option says what happens when it is left out
                help_text = " ".join(parser.formatter_class("x")._get_help_string(action).split())
                assert "default" in help_text, f"{name} {action.option_strings[-1]}: {help_text}"


def test_python_dash_m(tmp_path):
    result = subprocess.run([sys.executable, "-m", "condgen", "simulate", "--out-snps",
                             str(tmp_path / "s.npy"), "--out-genes", str(tmp_path / "g.npy"),
                             "--n-samples", "8", "--n-random-samples", "4"],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert np.load(tmp_path / "s.npy").shape == (8, 10)


@pytest.mark.parametrize(("suffix", "header"), [(".csv", True), (".tsv", True), (".csv", False),
                                                (".tsv", False), (".npy", False)])
def test_simulate_round_trip(tmp_path, suffix, header):
    snps_path, genes_path = tmp_path / f"s{suffix}", tmp_path / f"g{suffix}"
    argv = ["simulate", "--out-snps", str(snps_path), "--out-genes", str(genes_path), "--seed", "7",
            "--n-samples", "20", "--n-random-samples", "10"]
    assert main(argv + ([] if header else ["--no-header"])) == 0
    snps, genes = condgen.simulate_snp_gep(20, n_random_samples=10, seed=7)
    for path, expected, prefix in ((snps_path, snps, "snp"), (genes_path, genes, "gene")):
        table = read_table(path, binary=True)
        np.testing.assert_array_equal(table.values, expected)
        names = [f"{prefix}{j + 1}" for j in range(expected.shape[1])]
        assert table.columns == (names if header and suffix != ".npy" else None)


@pytest.fixture(scope="module")
def seed_like(tmp_path_factory):
    """Small seed-like training files: genes and SNPs with a header, and both side by side."""
    folder = tmp_path_factory.mktemp("data")
    snps, genes = condgen.simulate_snp_gep(60, n_random_samples=30, seed=2)
    gene_names = [f"gene{j + 1}" for j in range(50)]
    snp_names = [f"snp{j + 1}" for j in range(10)]
    write_table(folder / "genes.csv", genes, gene_names)
    write_table(folder / "snps.csv", snps, snp_names)
    write_table(folder / "data.tsv", np.hstack([genes, snps]), gene_names + snp_names)
    np.save(folder / "data.npy", np.hstack([genes, snps]))
    write_table(folder / "test-snps.csv", snps[:6], snp_names)
    write_table(folder / "test-snps-plain.csv", snps[:6])
    return folder


def test_fit_dbm_sample_evaluate(tmp_path, seed_like, capsys):
    model = tmp_path / "dbm.npz"
    assert main(["fit-dbm", str(seed_like / "data.tsv"), "--hidden", "8,3", "--epochs", "2",
                 "--pretrain-epochs", "2", "--seed", "1", "--out", str(model)]) == 0
    out = tmp_path / "given.csv"
    # columns named by the --given file's header
    assert main(["sample", str(model), "--given", str(seed_like / "test-snps.csv"), "--steps", "3",
                 "--n-per-row", "2", "--seed", "4", "--out", str(out)]) == 0
    samples = read_table(out, binary=True)
    assert samples.values.shape == (12, 60)
    assert samples.columns[-1] == "snp10"
    given = read_table(seed_like / "test-snps.csv").values
    np.testing.assert_array_equal(samples.values[:, 50:], np.repeat(given, 2, axis=0))
    # the same by 0-based range on a file without a header: identical for the same seed
    out2 = tmp_path / "given2.npy"
    assert main(["sample", str(model), "--given", str(seed_like / "test-snps-plain.csv"), "--columns",
                 "50:60", "--steps", "3", "--n-per-row", "2", "--seed", "4", "--out", str(out2)]) == 0
    np.testing.assert_array_equal(np.load(out2), samples.values)
    # unconditional
    assert main(["sample", str(model), "--n", "5", "--steps", "2", "--out", str(tmp_path / "u.csv")]) == 0
    assert read_table(tmp_path / "u.csv").values.shape == (5, 60)
    capsys.readouterr()
    assert main(["evaluate", str(model), str(seed_like / "data.tsv")]) == 0
    exact = condgen.load(model).exact_log_likelihood(read_table(seed_like / "data.tsv").values)
    assert f"mean log-likelihood (exact) of 60 rows: {exact:.4f}" in capsys.readouterr().out
    assert main(["evaluate", str(model), str(seed_like / "data.tsv"), "--method", "ais", "--seed", "1",
                 "--n-temperatures", "20", "--n-particles", "10"]) == 0
    expected = likelihood.log_likelihood(condgen.load(model), read_table(seed_like / "data.tsv").values,
                                         method="ais", n_temperatures=20, n_particles=10, seed=1)
    assert f"rows: {expected.value:.4f} +- {expected.sd:.4f}" in capsys.readouterr().out


def test_fit_dbm_condition_on_is_the_python_fit(tmp_path, seed_like):
    model = tmp_path / "conditional.npz"
    assert main(["fit-dbm", str(seed_like / "data.tsv"), "--hidden", "8,3", "--epochs", "2", "--pretrain-epochs",
                 "2", "--condition-on", "snp1,snp2,snp3,snp4,snp5,snp6,snp7,snp8,snp9,snp10", "--seed", "1",
                 "--out", str(model)]) == 0
    expected = condgen.DBM(n_hiddens=[8, 3], epochs=2, pretrain_epochs=2, seed=1).fit(
        read_table(seed_like / "data.tsv").values, condition_on=range(50, 60))
    for a, b in zip(condgen.load(model).layers_, expected.layers_):
        np.testing.assert_array_equal(a.weights_, b.weights_)


def test_fit_cgan_generate(tmp_path, seed_like):
    model = tmp_path / "cgan.npz"
    assert main(["fit-cgan", str(seed_like / "genes.csv"), str(seed_like / "snps.csv"), "--epochs", "2",
                 "--batch-size", "8", "--seed", "1", "--out", str(model)]) == 0
    for kind in ("rounded", "probabilities"):
        out = tmp_path / f"generated-{kind}.tsv"
        assert main(["generate", str(model), str(seed_like / "test-snps.csv"), "--kind", kind,
                     "--n-per-row", "3", "--seed", "2", "--out", str(out)]) == 0
        table = read_table(out, binary=kind == "rounded")
        assert table.values.shape == (18, 50)
        assert table.columns[0] == "gene1"
    # same seed, same numbers through the Python API
    expected = condgen.load(model).generate(np.repeat(read_table(seed_like / "test-snps.csv").values, 3, axis=0),
                                            kind="probabilities", seed=2)
    np.testing.assert_allclose(read_table(out).values, expected, rtol=0, atol=0)


@pytest.mark.parametrize(("content", "line"), [
    ("a,b\n1,0\n0,2\n", 3),          # not binary
    ("a,b\n1,0\n0,1\n1\n", 4),       # ragged
    ("a,b\n1,0\nNA,1\n", 3),          # missing
    ("a,b\n1,0\n0,1\n1,x\n", 4),      # not a number
])
def test_malformed_data_exits_2_naming_the_line(tmp_path, capsys, content, line):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    code = main(["fit-dbm", str(path), "--out", str(tmp_path / "m.npz")])
    error = capsys.readouterr().err
    assert code == 2
    assert error.count("\n") == 1
    assert "Traceback" not in error
    assert f"bad.csv, line {line}" in error
    assert not (tmp_path / "m.npz").exists()


def test_user_errors_exit_2(tmp_path, seed_like, capsys):
    model = tmp_path / "dbm.npz"
    main(["fit-dbm", str(seed_like / "data.npy"), "--hidden", "4", "--epochs", "1", "--pretrain-epochs", "1",
          "--out", str(model)])
    cases = [
        (["sample", str(model), "--given", str(seed_like / "test-snps.csv"), "--columns", "snp99",
          "--out", str(tmp_path / "x.csv")], "unknown column name 'snp99'"),  # the model has no names
        (["generate", str(model), str(seed_like / "test-snps.csv"), "--out", str(tmp_path / "x.csv")],
         "needs a CGAN"),
        (["sample", str(seed_like / "data.tsv"), "--out", str(tmp_path / "x.csv")], "not a condgen model file"),
        (["fit-dbm", str(seed_like / "data.npy"), "--condition-on", "0:60", "--out", str(tmp_path / "d.npz")],
         "at least one visible column free"),
        (["fit-cgan", str(seed_like / "genes.csv"), str(seed_like / "test-snps.csv"), "--out",
          str(tmp_path / "c.npz")], "6 rows"),
    ]
    for argv, message in cases:
        assert main(argv) == 2
        error = capsys.readouterr().err
        assert message in error
        assert error.count("\n") == 1, error
