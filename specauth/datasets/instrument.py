"""Read the files spectrometers and multichannel analysers write, by suffix."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from ._filecheck import check_file
from .gamma import read_gamma
from .jcamp import read_jcamp
from .xy import read_xy

if TYPE_CHECKING:
    from collections.abc import Callable

    import numpy as np

    from ..axis import SpectralAxis

__all__ = ["INSTRUMENT_SUFFIXES", "read_instrument_file"]


def _read_gamma(path: str | os.PathLike[str]) -> tuple[np.ndarray, SpectralAxis]:
    return read_gamma(path)


def _read_jcamp(path: str | os.PathLike[str]) -> tuple[np.ndarray, SpectralAxis]:
    return read_jcamp(path)


INSTRUMENT_SUFFIXES: dict[
    str, Callable[[str | os.PathLike[str]], tuple[np.ndarray, SpectralAxis]]
] = {
    ".jdx": _read_jcamp,
    ".dx": _read_jcamp,
    ".jcamp": _read_jcamp,
    ".spe": _read_gamma,
    ".chn": _read_gamma,
    ".cnf": _read_gamma,
    ".xy": read_xy,
    ".dat": read_xy,
}
"""Lower-case suffix -> reader returning ``(X, axis)``."""


def read_instrument_file(
    path: str | os.PathLike[str],
) -> tuple[np.ndarray, SpectralAxis]:
    """Read an instrument file, choosing the reader by its (lower-case) suffix.

    Parameters
    ----------
    path : str or path-like
        JCAMP-DX (``.jdx``, ``.dx``, ``.jcamp``; :func:`read_jcamp`), Ortec
        ``.Spe``/``.Chn`` or Canberra ``.cnf`` (:func:`read_gamma`), or x-y
        columns (``.xy``, ``.dat``; :func:`read_xy`).

    Returns
    -------
    X : ndarray of shape (n_spectra, n_points), float32
    axis : SpectralAxis

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "peak.dat")
    >>> with open(path, "w") as f:
    ...     _ = f.write("Energy (keV)\\tcounts\\n1.0\\t4\\n2.0\\t9\\n")
    >>> X, axis = read_instrument_file(path)
    >>> X, axis.label
    (array([[4., 9.]], dtype=float32), 'energy (keV)')
    """
    file = check_file(path, INSTRUMENT_SUFFIXES, "spectrum")
    return INSTRUMENT_SUFFIXES[file.suffix.lower()](file)
