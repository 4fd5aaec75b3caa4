import numpy as np
import pytest
from condgen.io import DataFileError, read_table, select_columns, write_table


@pytest.fixture
def binary_data():
    return (np.random.default_rng(0).random((7, 4)) < 0.5).astype(float)


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".npy"])
@pytest.mark.parametrize("columns", [None, ["a", "b c", "snp,3", "d"]])
def test_round_trip(tmp_path, binary_data, suffix, columns):
    path = write_table(tmp_path / f"data{suffix}", binary_data, columns)
    table = read_table(path, binary=True)
    np.testing.assert_array_equal(table.values, binary_data)
    assert table.columns == (columns if suffix != ".npy" else None)


def test_real_values_round_trip_exactly(tmp_path):
    values = np.random.default_rng(1).random((5, 3))
    table = read_table(write_table(tmp_path / "p.csv", values, ["x", "y", "z"]))
    np.testing.assert_array_equal(table.values, values)


def test_binary_written_as_integers(tmp_path):
    path = write_table(tmp_path / "b.tsv", np.eye(2), ["g1", "g2"])
    assert path.read_text() == "g1\tg2\n1\t0\n0\t1\n"


def test_header_detection_and_override(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("1,0\n0,1\n")
    assert read_table(path).columns is None
    table = read_table(path, header=True)
    assert table.columns == ["1", "0"]
    assert table.values.shape == (1, 2)


def test_blank_lines_skipped_and_lines_counted(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("a,b\n\n1,0\n\n0,2\n")
    with pytest.raises(DataFileError, match=r"d\.csv, line 5, column 2 \('b'\): value 2 is not binary"):
        read_table(path, binary=True)


@pytest.mark.parametrize(("text", "message"), [
    ("a,b\n1,0\n0\n", r"line 3: ragged row: 1 fields where the header row has 2"),
    ("1,0\n0,1,1\n", r"line 2: ragged row: 3 fields where line 1 has 2"),
    ("a,b\n1,0\n0,NA\n", r"line 3, column 2 \('b'\): missing value 'NA'"),
    ("a,b\n1,\n", r"line 2, column 2 \('b'\): missing value ''"),
    ("1,0\nnan,1\n", r"line 2, column 1: missing value 'nan'"),
    ("a,b\n1,x\n", r"line 2, column 2 \('b'\): not a number: 'x'"),
    ("a,b\n1,inf\n", r"line 2, column 2 \('b'\): missing or infinite value 'inf'"),
    ("a,a\n1,0\n", r"line 1, column 2: duplicate column name 'a'"),
    ("a,\n1,0\n", r"line 1, column 2: empty column name"),
    ("a,b\n", r"a header row but no data"),
    ("\n\n", r"no data"),
])
def test_malformed_text(tmp_path, text, message):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(DataFileError, match=message) as error:
        read_table(path)
    assert str(error.value).startswith(str(path))


def test_npy_problems(tmp_path):
    nan = np.zeros((3, 2))
    nan[2, 1] = np.nan
    np.save(tmp_path / "nan.npy", nan)
    with pytest.raises(DataFileError, match=r"row 3, column 2"):
        read_table(tmp_path / "nan.npy")
    np.save(tmp_path / "flat.npy", np.zeros(3))
    with pytest.raises(DataFileError, match=r"2-D"):
        read_table(tmp_path / "flat.npy")
    np.save(tmp_path / "half.npy", np.full((2, 2), 0.5))
    with pytest.raises(DataFileError, match=r"value 0.5 at row 1, column 1 is not binary"):
        read_table(tmp_path / "half.npy", binary=True)
    np.save(tmp_path / "text.npy", np.array([["a"]]))
    with pytest.raises(DataFileError, match=r"numeric"):
        read_table(tmp_path / "text.npy")
    (tmp_path / "junk.npy").write_bytes(b"not numpy")
    with pytest.raises(DataFileError, match=r"junk\.npy: not a readable \.npy file"):
        read_table(tmp_path / "junk.npy")


def test_missing_file_and_unknown_type(tmp_path):
    with pytest.raises(DataFileError, match=r"nothere\.csv: No such file"):
        read_table(tmp_path / "nothere.csv")
    with pytest.raises(DataFileError, match=r"unknown file type '\.xlsx'"):
        read_table(tmp_path / "data.xlsx")


def test_select_columns():
    names = ["g1", "g2", "s1", "s2"]
    assert select_columns("s1,s2", names, 4) == [2, 3]
    assert select_columns("2:4", None, 4) == [2, 3]
    assert select_columns(["0", "s2"], names, 4) == [0, 3]
    with pytest.raises(ValueError, match=r"unknown column name 'snp9'; the columns are g1, g2"):
        select_columns("snp9", names, 4)
    with pytest.raises(ValueError, match=r"no header row"):
        select_columns("snp9", None, 4)
    with pytest.raises(ValueError, match=r"outside 0..3"):
        select_columns("4", None, 4)
    with pytest.raises(ValueError, match=r"selected twice"):
        select_columns("1,0:2", None, 4)
