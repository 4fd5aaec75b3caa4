"""The README's Python example runs as written (it must stay in step with the API)."""

import re
from pathlib import Path

import matplotlib.pyplot as plt

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_example_runs(tmp_path, monkeypatch, capsys):
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)
    assert blocks, "the README has no Python example"
    monkeypatch.chdir(tmp_path)  # it saves dbm.npz
    namespace = {}
    for block in blocks:
        exec(compile(block, str(README), "exec"), namespace)  # noqa: S102 - the project's own README
    plt.close("all")
    assert "WorstCell(group=" in capsys.readouterr().out
    assert (tmp_path / "dbm.npz").exists()
    same, dbm = namespace["same"], namespace["dbm"]
    assert same.layer_sizes_ == dbm.layer_sizes_
