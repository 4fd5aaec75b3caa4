import base64
import json
import re
from html.parser import HTMLParser

import numpy as np
import pytest
from condgen import compare
from condgen.cli import main
from condgen.metrics import bayes_conditional_genes, bayes_conditional_snps


class _Page(HTMLParser):
    """Collects table cells, image sources and checks that every opened tag is closed."""

    def __init__(self):
        super().__init__()
        self.cells, self.images, self.stack, self._cell = [], [], [], None

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.images.append(dict(attrs)["src"])
            return
        if tag not in ("meta",):
            self.stack.append(tag)
        if tag == "td":
            self._cell = ""

    def handle_endtag(self, tag):
        assert self.stack[-1:] == [tag], f"</{tag}> closes {self.stack[-1:]}"
        self.stack.pop()
        if tag == "td":
            self.cells.append(self._cell)
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data


def _parse(html):
    page = _Page()
    page.feed(html)
    page.close()
    assert page.stack == []
    return page


def _all_numbers(tree):
    if isinstance(tree, dict):
        return [x for value in tree.values() for x in _all_numbers(value)]
    if isinstance(tree, list):
        return [x for value in tree for x in _all_numbers(value)]
    if isinstance(tree, (int, float)) and not isinstance(tree, bool):
        return [float(tree)]
    return []


def assert_report_numbers_in_metrics(html, metrics):
    """Every number shown in a table cell of the report is a number of metrics.json, rounded."""
    known = np.array(_all_numbers(metrics))
    page = _parse(html)
    checked = 0
    for cell in page.cells:
        for text in re.findall(r"-?\d+\.\d+", cell):
            digits = len(text.split(".")[1])
            assert np.any(np.abs(known - float(text)) <= 0.5 * 10.0**-digits + 1e-12), \
                f"{text} (cell {cell!r}) is not in metrics.json"
            checked += 1
    assert checked > 50
    return page


def _synthetic_runs(seeds):
    """Results shaped as _run_once makes them, from the real metrics on made-up samples."""
    runs = []
    for seed in seeds:
        rng = np.random.default_rng(seed)
        snps = (rng.random((200, 10)) < 0.3).astype(float)
        genes = (rng.random((200, 50)) < 0.2).astype(float)
        truth = bayes_conditional_genes(snps, n_samples=200, n_random_samples=100)
        truth_snps = bayes_conditional_snps(genes, n_samples=200, n_random_samples=100)
        test_data, cells = compare._quality(genes, truth)
        test_data["reverse"], reverse_cells = compare._quality(snps, truth_snps, blocks={"snps": slice(None)})
        models = {}
        for key, family in (("cgan-a", "cgan"), ("dbm-a", "dbm")):
            samples = (rng.random((200 * 5, 50)) < np.repeat(truth, 5, axis=0)).astype(float)
            numbers, _ = compare._quality(samples, truth)
            numbers.update(log_odds_ratio_rmse=rng.random(), fit_seconds=rng.random(),
                           sample_seconds=rng.random())
            if family == "dbm":
                reverse = (rng.random((200 * 5, 10)) < np.repeat(truth_snps, 5, axis=0)).astype(float)
                numbers["reverse"], _ = compare._quality(reverse, truth_snps, blocks={"snps": slice(None)})
                numbers["reverse_sample_seconds"] = rng.random()
            models[key] = numbers
        runs.append({"seed": seed, "truth": {"cells": cells, "reverse_cells": reverse_cells,
                                             "log_odds_ratio_rmse": rng.random()},
                     "test_data": test_data, "models": models})
    return runs


def test_report_and_table_from_synthetic_results():
    runs = _synthetic_runs([3, 4])
    metrics = {
        "condgen_version": "0", "threads": 2, "jobs": 2, "seeds": [3, 4], "total_seconds": 1.5,
        "settings": {"quick": False, "samples_per_row_used": 5},
        "models": {"cgan-a": {"label": "CGAN a", "family": "cgan", "description": "d",
                              "hyperparameters": {"epochs": 3}},
                   "dbm-a": {"label": "DBM a", "family": "dbm", "description": "d",
                             "hyperparameters": {"epochs": 4}}},
        "runs": runs, "summary": compare._summarise(runs),
    }
    worst = metrics["summary"]["models"]["dbm-a"]["worst_cell_error"]
    assert worst["values"] == [run["models"]["dbm-a"]["worst_cell_error"] for run in runs]
    assert worst["sd"] == pytest.approx(np.std(worst["values"], ddof=1))

    table = compare.format_summary_table(metrics)
    lines = table.splitlines()
    assert [line.split("  ")[0].strip() for line in lines[2:]] == [
        "Bayes-optimal truth", "Observed test data", "CGAN a", "DBM a"]
    assert f"{worst['mean']:.3f} ± {worst['sd']:.3f}" in table
    markdown = compare.format_summary_table(metrics, markdown=True).splitlines()
    assert markdown[0].startswith("| model | worst cell |")
    assert len(markdown) == len(lines)

    png = b"\x89PNG fake"
    html = compare.render_report(metrics, {"panel.png": "the panel", "x.png": "x"},
                                 {"panel.png": png, "x.png": png})
    page = assert_report_numbers_in_metrics(html, json.loads(json.dumps(metrics)))
    assert len(page.images) == 2
    assert all(base64.b64decode(src.split(",", 1)[1]) == png for src in page.images)
    assert "2 repeats (seeds 3, 4)" in html


def test_compare_quick_writes_every_file(tmp_path, capsys):
    out = tmp_path / "results"
    assert main(["compare", "--quick", "--out", str(out), "--no-progress"]) == 0
    printed = capsys.readouterr().out
    metrics = json.loads((out / "metrics.json").read_text())
    keys = [variant.key for variant in compare.default_variants()]
    assert list(metrics["models"]) == keys
    expected = {"metrics.json", "report.html", "panel.png", "test-snps.png", "test-genes.png",
                "truth-genes.png", "truth-snps.png"}
    for key, model in metrics["models"].items():
        expected |= {f"{key}-monitor.png"}
        if model["family"] == "cgan":
            expected |= {f"{key}-genes.png"}
        else:  # a DBM fine-tuned for genes given SNPs is not asked for the reverse direction
            expected |= {f"{key}-visible.png"} | (set() if model["conditional"] else {f"{key}-snps-given-genes.png"})
    assert {path.name for path in out.iterdir()} == expected
    assert set(metrics["files"]) == expected
    for name in expected - {"metrics.json", "report.html"}:
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    html = (out / "report.html").read_text()
    page = assert_report_numbers_in_metrics(html, metrics)
    embedded = {base64.b64decode(src.split(",", 1)[1]) for src in page.images}
    assert all(src.startswith("data:image/png;base64,") for src in page.images)
    assert embedded == {(out / name).read_bytes() for name in expected if name.endswith(".png")}
    assert "Quick run" in html

    # the printed table: every model with the numbers of metrics.json
    summary = metrics["summary"]["models"]
    for key, model in metrics["models"].items():
        line = next(line for line in printed.splitlines() if line.startswith(model["label"]))
        assert f"{summary[key]['worst_cell_error']['mean']:.3f}" in line
    assert f"report: {out / 'report.html'}" in printed
    # the truth's cells are the Bayes-optimal ones of the seed's test set
    truth = metrics["runs"][0]["truth"]["cells"]
    assert truth["B/linked"] == pytest.approx(0.683, abs=0.005)  # experiment.md §3: about 0.68
    assert truth["A/noise"] == pytest.approx(0.15)

    # the same numbers when the models are trained one after another
    serial = compare.run_compare(tmp_path / "serial", compare.CompareSettings(quick=True), progress=False,
                                 log=lambda _: None, jobs=1)

    def without_times(tree):
        if isinstance(tree, dict):
            return {k: without_times(v) for k, v in tree.items() if "seconds" not in k}
        if isinstance(tree, list):
            return [without_times(v) for v in tree]
        return tree

    assert without_times(serial["runs"]) == without_times(metrics["runs"])


def test_settings_are_checked():
    with pytest.raises(ValueError, match="repeats must be at least 1"):
        compare.CompareSettings(repeats=0)
    with pytest.raises(ValueError, match="n_train must be at least 8"):
        compare.CompareSettings(n_train=3)


def test_models_train_as_a_plain_fit_with_the_runs_seed():
    """The monitor and the sampling never touch the training stream: `DBM(..., seed=s).fit(x)`
    reproduces the compared model."""
    variant = next(v for v in compare.default_variants() if v.key == "dbm-condgen")
    _, artifacts = compare._run_once(compare.CompareSettings(quick=True, seed=4), [variant], 4,
                                     progress=False, jobs=1)
    snps, genes, _, _ = compare._simulate(4, 300)
    plain = variant.build(True, 4).fit(np.hstack([genes, snps]))
    trained = artifacts["models"][variant.key]["model"]
    for a, b in zip(plain.layers_, trained.layers_):
        np.testing.assert_array_equal(a.weights_, b.weights_)
