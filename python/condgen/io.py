"""Reading and writing data files: CSV, TSV (with or without a header row) and ``.npy``.

Samples are in rows. Column names from a header row are kept so that they can be written back
and used to select columns. Every problem with a file is raised as :class:`DataFileError`, which
names the file and, for text files, the line and column; the command-line interface turns it into
exit status 2 with a one-line message.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["DataFileError", "Table", "read_table", "select_columns", "write_table"]

_MISSING = {"", "na", "nan", "null", "none", "n/a", "?"}


class DataFileError(ValueError):
    """A data file that cannot be used: the message names the file, line and column.

    Attributes
    ----------
    path : str
    line : int or None
        1-based line of the file (counting the header row), for text files.
    column : int or None
        1-based column.
    """

    def __init__(self, path, problem, line=None, column=None, column_name=None):
        self.path = str(path)
        self.line = line
        self.column = column
        where = [self.path]
        if line is not None:
            where.append(f"line {line}")
        if column is not None:
            where.append(f"column {column}" + (f" ({column_name!r})" if column_name else ""))
        super().__init__(", ".join(where) + ": " + problem)


@dataclass
class Table:
    """A data matrix with its optional column names.

    Attributes
    ----------
    values : ndarray of shape (n_rows, n_columns), float64
    columns : list of str or None
        Column names from the header row, None when the file had none.
    """

    values: np.ndarray
    columns: list | None = None


def _format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix == ".npy":
        return "npy"
    if suffix in (".tsv", ".tab"):
        return "tsv"
    if suffix == ".csv":
        return "csv"
    raise DataFileError(path, f"unknown file type {suffix or '(no extension)'!r}; "
                              "use .csv, .tsv (or .tab) or .npy")


def _is_number(field: str) -> bool:
    try:
        float(field)
    except ValueError:
        return False
    return True


def _parse_field(path, field, line, column, name):
    text = field.strip()
    if text.lower() in _MISSING:
        raise DataFileError(path, f"missing value {field!r}", line, column, name)
    try:
        value = float(text)
    except ValueError:
        raise DataFileError(path, f"not a number: {field!r}", line, column, name) from None
    if not np.isfinite(value):
        raise DataFileError(path, f"missing or infinite value {field!r}", line, column, name)
    return value


def _read_text(path: Path, delimiter: str, header):
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle, delimiter=delimiter)
            rows = [(reader.line_num, row) for row in reader if any(field.strip() for field in row)]
    except OSError as error:
        raise DataFileError(path, error.strerror or str(error)) from None
    except (csv.Error, UnicodeDecodeError) as error:
        raise DataFileError(path, f"cannot parse: {error}") from None
    if not rows:
        raise DataFileError(path, "the file holds no data")
    first_line, first = rows[0]
    if header is None:  # a header row is one with any field that is not a number
        header = not all(_is_number(field) or field.strip().lower() in _MISSING for field in first)
    columns = None
    if header:
        columns = [field.strip() for field in first]
        for index, name in enumerate(columns, 1):
            if not name:
                raise DataFileError(path, "empty column name in the header row", first_line, index)
        seen = set()
        for index, name in enumerate(columns, 1):
            if name in seen:
                raise DataFileError(path, f"duplicate column name {name!r}", first_line, index)
            seen.add(name)
        rows = rows[1:]
        if not rows:
            raise DataFileError(path, "the file holds a header row but no data")
    width = len(columns) if columns else len(rows[0][1])
    values = np.empty((len(rows), width))
    for i, (line, row) in enumerate(rows):
        if len(row) != width:
            expected = "the header row" if columns else f"line {rows[0][0]}"
            raise DataFileError(path, f"ragged row: {len(row)} fields where {expected} has {width}", line)
        try:  # the fast path: numpy parses the whole row in C
            values[i] = np.asarray(row, dtype=np.float64)
            if np.all(np.isfinite(values[i])):
                continue
        except ValueError:
            pass
        for j, field in enumerate(row):  # find the offending field for the message
            values[i, j] = _parse_field(path, field, line, j + 1, columns[j] if columns else None)
    return values, columns, [line for line, _ in rows]


def _read_npy(path: Path):
    try:
        array = np.load(path, allow_pickle=False)
    except OSError as error:
        raise DataFileError(path, error.strerror or str(error)) from None
    except (ValueError, EOFError) as error:
        raise DataFileError(path, f"not a readable .npy file ({error or 'empty file'})") from None
    if isinstance(array, np.lib.npyio.NpzFile) or not isinstance(array, np.ndarray):
        raise DataFileError(path, "not a .npy array file")
    if array.ndim != 2:
        raise DataFileError(path, f"expected a 2-D array with samples in rows, got shape {array.shape}")
    if array.size == 0:
        raise DataFileError(path, f"the array is empty (shape {array.shape})")
    if array.dtype.kind not in "biuf":  # not complex, timedelta, strings or objects
        raise DataFileError(path, f"expected a numeric array, got dtype {array.dtype}")
    values = np.ascontiguousarray(array, dtype=np.float64)
    bad = ~np.isfinite(values)
    if bad.any():
        row, col = np.argwhere(bad)[0]
        raise DataFileError(path, f"missing or infinite value at row {row + 1}, column {col + 1}")
    return values, None, None


def read_table(path, binary=False, header=None) -> Table:
    """Read a data matrix from a CSV, TSV or ``.npy`` file.

    Parameters
    ----------
    path : str or path-like
        ``.csv`` (comma-separated), ``.tsv`` or ``.tab`` (tab-separated) or ``.npy``. Blank lines
        are skipped; fields may be quoted.
    binary : bool
        Require every value to be 0 or 1.
    header : bool or None
        Whether a text file starts with a header row of column names; None (the default) decides
        from the first row: it is a header when any of its fields is not a number.

    Returns
    -------
    Table
        ``values`` (float64, samples in rows) and ``columns`` (names or None).

    Raises
    ------
    DataFileError
        For a missing, unreadable or malformed file: the message names the file, the line and
        column (1-based, lines counted in the file including the header) and the problem: a value
        that is not a number, missing (empty, ``NA``, ``NaN``) or not 0/1 where binary data is
        required, a ragged row.
    """
    path = Path(os.fspath(path))
    kind = _format(path)
    if kind == "npy":
        values, columns, lines = _read_npy(path)
    else:
        values, columns, lines = _read_text(path, "," if kind == "csv" else "\t", header)
    if binary:
        bad = (values != 0) & (values != 1)
        if bad.any():
            row, col = np.argwhere(bad)[0]
            value = values[row, col]
            text = f"{value:g}"
            if lines is None:
                raise DataFileError(path, f"value {text} at row {row + 1}, column {col + 1} is not "
                                          "binary (0 or 1)")
            raise DataFileError(path, f"value {text} is not binary (0 or 1)", lines[row], col + 1,
                                columns[col] if columns else None)
    return Table(values, columns)


def write_table(path, values, columns=None) -> Path:
    """Write a data matrix to a CSV, TSV or ``.npy`` file (chosen by the extension).

    Integral values are written without a decimal point (``0``/``1`` for binary data), others in
    the shortest form that reads back to the same float64. ``columns`` become the header row of a
    text file; a ``.npy`` file cannot hold names, so they are dropped there.

    Returns
    -------
    pathlib.Path
    """
    path = Path(os.fspath(path))
    kind = _format(path)
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 2:
        raise ValueError(f"values must be a 2-D array, got shape {values.shape}")
    if columns is not None and (isinstance(columns, (str, bytes)) or not hasattr(columns, "__len__")):
        raise ValueError(f"columns must be a sequence of column names, got {columns!r}")
    if columns is not None and len(columns) != values.shape[1]:
        raise ValueError(f"columns has {len(columns)} names for {values.shape[1]} columns")
    if path.parent != Path():
        path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "npy":
        np.save(path, values, allow_pickle=False)
        return path
    integral = np.all(np.isfinite(values)) and np.all(values == np.round(values))
    text = values.astype(np.int64).astype(str) if integral else values.astype(str)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter="," if kind == "csv" else "\t", lineterminator="\n")
        if columns is not None:
            writer.writerow([str(name) for name in columns])
        writer.writerows(text.tolist())
    return path


def select_columns(spec, columns, n_columns, what="--columns"):
    """Turn a column selection into 0-based indices.

    Parameters
    ----------
    spec : str or sequence
        Comma-separated column names (when the data has a header) or 0-based indices and
        half-open ranges ``start:stop`` (``50:60`` is columns 50 to 59), e.g. ``"snp1,snp2"`` or
        ``"50:60"``; or a sequence of such items.
    columns : list of str or None
        The data's column names.
    n_columns : int

    Returns
    -------
    list of int
    """
    items = spec.split(",") if isinstance(spec, str) else list(spec)
    names = {name: i for i, name in enumerate(columns)} if columns else {}
    indices = []
    for item in items:
        item = str(item).strip()
        if not item:
            continue
        if item in names:
            indices.append(names[item])
        elif ":" in item:
            start, _, stop = item.partition(":")
            try:
                first = int(start) if start.strip() else 0
                end = int(stop) if stop.strip() else n_columns
            except ValueError:
                raise ValueError(f"{what}: bad range {item!r} (expected START:STOP)") from None
            if not 0 <= first < end <= n_columns:
                raise ValueError(f"{what}: range {item!r} is outside columns 0..{n_columns - 1}")
            indices.extend(range(first, end))
        else:
            try:
                index = int(item)
            except ValueError:
                known = f"; the columns are {', '.join(columns[:8])}" + (", ..." if len(columns) > 8 else "") \
                    if columns else " (the data has no header row; use 0-based indices)"
                raise ValueError(f"{what}: unknown column name {item!r}{known}") from None
            if not 0 <= index < n_columns:
                raise ValueError(f"{what}: column index {index} is outside 0..{n_columns - 1}")
            indices.append(index)
    if not indices:
        raise ValueError(f"{what}: no columns selected")
    if len(set(indices)) != len(indices):
        raise ValueError(f"{what}: a column is selected twice")
    return indices
