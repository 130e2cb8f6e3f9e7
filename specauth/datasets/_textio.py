"""Parsing of delimited text files of numbers and of labels (no pandas).

Every error names the file and, where it applies, the line number, so that a
user can open the file and fix it.
"""

from __future__ import annotations

import csv
import os
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Literal

__all__ = [
    "parse_numeric_rows",
    "read_numeric_table",
    "read_text_rows",
    "sniff_delimiter",
]


def read_text_rows(path: str | os.PathLike[str]) -> list[tuple[int, str]]:
    """Return ``(line_number, text)`` pairs of the non-blank lines of ``path``.

    Lines starting with ``#`` are comments and are skipped; line numbers
    start at 1 and count every line of the file.
    """
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            text = handle.read()
    except UnicodeDecodeError as err:
        raise ValueError(
            f"{os.fspath(path)!s} is not a UTF-8 text file ({err}); "
            "save it as UTF-8 text or as a .npy file."
        ) from err
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            rows.append((number, stripped))
    return rows


def sniff_delimiter(rows: Sequence[tuple[int, str]]) -> str | None:
    """Return ``","``, ``"\\t"`` or ``None`` (whitespace) for the given rows.

    The last row decides (the first may be a header written differently).
    """
    if not rows:
        return None
    sample = rows[-1][1]
    if "," in sample:
        return ","
    if "\t" in sample:
        return "\t"
    return None


def _split(rows, delimiter):
    if delimiter is None:
        return [(number, text.split()) for number, text in rows]
    reader = csv.reader((text for _, text in rows), delimiter=delimiter)
    return [
        (number, [field.strip() for field in fields])
        for (number, _), fields in zip(rows, reader, strict=True)
    ]


def _to_floats(fields):
    """Return the fields as floats, or the index of the first bad field."""
    try:
        return np.asarray(fields, dtype=np.float64), None
    except ValueError:
        for index, field in enumerate(fields):
            try:
                float(field)
            except ValueError:
                return None, index
    return None, 0  # pragma: no cover - numpy and float() disagree


def read_numeric_table(
    path: str | os.PathLike[str], *, header: Literal["infer", False] = "infer"
) -> tuple[np.ndarray, list[str] | None, np.ndarray]:
    """Read a table of numbers, one row per line, from a text file.

    Parameters
    ----------
    path : path-like
        The file (comma-, tab- or whitespace-separated; detected).
    header : {"infer", False}, default="infer"
        With ``"infer"`` a first line holding any non-numeric field is a
        header and is skipped; with ``False`` it is an error.

    Returns
    -------
    table : ndarray of shape (n_rows, n_columns), float64
    header : list of str or None
        The fields of the skipped header line.
    line_numbers : ndarray of shape (n_rows,), int
        The line of the file each row came from.
    """
    name = os.fspath(path)
    rows = read_text_rows(path)
    if not rows:
        raise ValueError(f"{name} holds no data (it is empty or only comments).")
    fields = _split(rows, sniff_delimiter(rows))
    header_fields = None
    first_values, _ = _to_floats(fields[0][1])
    if first_values is None and header == "infer":
        header_fields, fields = fields[0][1], fields[1:]
        if not fields:
            raise ValueError(f"{name} holds a header line but no data rows.")
    values, line_numbers = parse_numeric_rows(name, fields)
    return values, header_fields, line_numbers


def parse_numeric_rows(
    name: str,
    fields: Sequence[tuple[int, Sequence[str]]],
    *,
    skip_columns: int = 0,
    reference: tuple[int, int] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Parse split rows ``(line_number, fields)`` into a finite float64 table.

    ``skip_columns`` leading fields of every row are left out (sample names).
    Every row must have as many fields as the reference row: ``reference``
    ``(line_number, n_fields)`` (an earlier chunk's first row, when a file
    is read in chunks), else the first of ``fields``. Errors name the file
    ``name``, the line and the column (counted in the file, from 1).

    Returns
    -------
    table : ndarray of shape (n_rows, n_columns), float64
    line_numbers : ndarray of shape (n_rows,), int
    """
    first, width = reference or (fields[0][0], len(fields[0][1]))
    values = np.empty((len(fields), width - skip_columns), dtype=np.float64)
    for row, (number, items) in enumerate(fields):
        if len(items) != width:
            raise ValueError(
                f"{name}, line {number}: expected {width} values (as on line "
                f"{first}); got {len(items)}. Every row must have the "
                "same number of values."
            )
        parsed, bad = _to_floats(items[skip_columns:])
        if parsed is None:
            column = bad + skip_columns
            raise ValueError(
                f"{name}, line {number}, column {column + 1}: {items[column]!r} "
                "is not a number."
            )
        values[row] = parsed
    line_numbers = np.array([number for number, _ in fields])
    finite = np.isfinite(values)
    if not finite.all():
        row, column = np.argwhere(~finite)[0]
        raise ValueError(
            f"{name}, line {line_numbers[row]}, column {column + skip_columns + 1}: "
            f"{values[row, column]} is not a finite number; NaN and infinity "
            "are not allowed."
        )
    return values, line_numbers
