"""Read two-column (x, y) text files, and x-plus-several-spectra columns."""

from __future__ import annotations

import os

import numpy as np

from ..axis import SpectralAxis, parse_axis_label
from ._filecheck import check_file
from ._textio import read_numeric_table

__all__ = ["XY_SUFFIXES", "read_xy"]

XY_SUFFIXES = (".xy", ".dat", ".txt", ".csv", ".tsv")


def _axis_label(fields: list[str], n_columns: int) -> str:
    """The first column's name; whitespace-split headers are glued back.

    ``"wavenumber (cm-1)"`` split at spaces gives two fields: a field that
    starts with a bracket or a slash (or follows a slash) joins the previous.
    """
    if len(fields) <= n_columns:
        return fields[0]
    names: list[str] = []
    for item in fields:
        if names and (item[:1] in "([/" or names[-1].endswith("/")):
            names[-1] = f"{names[-1]} {item}"
        else:
            names.append(item)
    return names[0]


def read_xy(path: str | os.PathLike[str]) -> tuple[np.ndarray, SpectralAxis]:
    """Read spectra stored as columns: x first, then one column per spectrum.

    Parameters
    ----------
    path : str or path-like
        A text file (``.xy``, ``.dat``, ``.txt``, ``.csv``, ``.tsv``) with
        comma-, tab- or whitespace-separated columns (detected); lines
        starting with ``#`` are comments. An optional first line of names is
        a header; its first field names the axis, such as
        ``"wavenumber (cm-1)"``, ``"Energy [keV]"`` or ``"2theta"``
        (see :func:`specauth.axis.parse_axis_label`).

    Returns
    -------
    X : ndarray of shape (n_spectra, n_points), float32
        One spectrum per column after the first (usually one).
    axis : SpectralAxis
        The first column, in the order of the file (it must increase or
        decrease strictly). Without a header the quantity and unit are None.

    Raises
    ------
    ValueError
        If the file has fewer than two columns, a row of another width, a
        field that is not a number, or x values that are not strictly
        monotonic; messages name the file and the line.

    See Also
    --------
    specauth.datasets.read_instrument_file : Any instrument file, by suffix.

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "pattern.xy")
    >>> with open(path, "w") as f:
    ...     _ = f.write("# Cu K-alpha\\n2theta intensity\\n10.0 5\\n10.5 8\\n11.0 3\\n")
    >>> X, axis = read_xy(path)
    >>> X
    array([[5., 8., 3.]], dtype=float32)
    >>> axis
    SpectralAxis(10..11, 3 points, quantity='two_theta', unit='°')
    """
    file = check_file(path, XY_SUFFIXES, "x-y text")
    table, header, lines = read_numeric_table(file)
    if table.shape[1] < 2:
        raise ValueError(
            f"{file}, line {lines[0]}: expected at least two columns (x, then "
            f"one column per spectrum); got {table.shape[1]}."
        )
    label = _axis_label(header, table.shape[1]) if header else None
    if label is not None and label.strip().lower() == "x":  # names no quantity
        label = None
    quantity, unit = parse_axis_label(label) if label else (None, None)
    try:
        axis = SpectralAxis(table[:, 0], quantity, unit)
    except ValueError as err:
        steps = np.diff(table[:, 0]) * np.sign(table[-1, 0] - table[0, 0])
        bad = int(np.argmax(steps <= 0)) + 1 if steps.size else 0
        raise ValueError(
            f"{file}, line {lines[bad]}: the x values (first column) must "
            f"increase or decrease strictly; {err}"
        ) from err
    return table[:, 1:].T.astype(np.float32), axis
