from condgen.cli import main


def test_demo_writes_figures(tmp_path):
    assert main(["demo", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "test-snps.png").stat().st_size > 0
    assert (tmp_path / "test-genes.png").stat().st_size > 0
