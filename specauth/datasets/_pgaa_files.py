"""Readers for the two PGAA layouts: ``pgaa.npz`` and the authors' CSV files."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ._textio import read_numeric_table
from .files import read_labels

if TYPE_CHECKING:
    import os
    from pathlib import Path

__all__ = ["CSV_NAMES", "NPZ_NAME", "has_csvs", "read_csv_dir", "read_npz"]

NPZ_NAME = "pgaa.npz"
CSV_NAMES = ("X.csv", "y.csv", "centers.csv")


def _npz_array(archive, key, file):
    if key not in archive.files:
        raise ValueError(
            f"{file} is missing the array {key!r}; a PGAA .npz must hold 'X', 'y' "
            f"and 'centers' (and optionally 'files'); it holds {archive.files}."
        )
    try:
        return archive[key]
    except ValueError as err:  # object arrays would need pickle
        raise ValueError(f"Cannot read array {key!r} of {file}: {err}") from err


def read_npz(file: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    try:
        archive = np.load(file, allow_pickle=False)
    except ValueError as err:
        raise ValueError(f"Cannot read {file} as an .npz archive: {err}") from err
    with archive:
        data = {key: _npz_array(archive, key, file) for key in ("X", "y", "centers")}
        if "files" in archive.files:
            data["files"] = _npz_array(archive, "files", file).astype(str)
    X, y, centers = data["X"], data["y"], data["centers"]
    if X.ndim != 2 or X.dtype.kind not in "iuf":
        raise ValueError(
            f"{file}: 'X' must be a 2D numeric array; got {X.dtype} of shape {X.shape}."
        )
    if not np.isfinite(X).all():
        raise ValueError(f"{file}: 'X' holds NaN or infinite values.")
    _check_lengths(file, X, y, centers, data.get("files"))
    data["y"] = y.astype(str)
    return data


def _check_lengths(where, X, y, centers, files=None):
    if y.ndim != 1 or y.shape[0] != X.shape[0]:
        raise ValueError(
            f"{where}: 'y' must hold one label per spectrum ({X.shape[0]}); got "
            f"shape {y.shape}."
        )
    if centers.ndim != 1 or centers.shape[0] != X.shape[1]:
        raise ValueError(
            f"{where}: 'centers' must hold one energy per bin ({X.shape[1]}); got "
            f"shape {centers.shape}."
        )
    if files is not None and files.shape != y.shape:
        raise ValueError(
            f"{where}: 'files' must hold one name per spectrum ({X.shape[0]}); "
            f"got shape {files.shape}."
        )


def _read_centers(file, n_bins):
    table, _, _ = read_numeric_table(file)
    if 1 not in table.shape:
        raise ValueError(
            f"{file} must hold one energy per line; got a {table.shape} table."
        )
    centers = table.ravel()
    if centers.size == n_bins + 1 and centers[0] == 0:
        centers = centers[1:]  # pandas writes its column name "0" first
    if centers.size != n_bins:
        raise ValueError(
            f"{file} holds {centers.size} bin energies but X.csv has {n_bins} "
            "columns; the files do not match."
        )
    return centers


def read_csv_dir(folder: Path) -> dict[str, np.ndarray]:
    X_file, y_file, centers_file = (folder / name for name in CSV_NAMES)
    X, _, _ = read_numeric_table(X_file)
    centers = _read_centers(centers_file, X.shape[1])
    # A header of column names written by pandas (0, 1, ... or the energies).
    first = X[0]
    if X.shape[0] > 1 and (
        np.array_equal(first, np.arange(X.shape[1]))
        or np.allclose(first, centers, rtol=1e-6, atol=0)
    ):
        X = X[1:]
    y = read_labels(y_file, n_expected=X.shape[0])
    return {"X": X, "y": y, "centers": centers}


def has_csvs(folder: Path) -> bool:
    return all((folder / name).is_file() for name in CSV_NAMES)
