"""Read the files spectrometers and multichannel analysers write, by suffix."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from ._filecheck import check_file
from .gamma import read_gamma
from .jcamp import read_jcamp
from .spc import read_spc
from .xy import read_xy

if TYPE_CHECKING:
    from collections.abc import Callable

    import numpy as np

    from ..axis import SpectralAxis

__all__ = ["INSTRUMENT_SUFFIXES", "read_instrument_file"]


INSTRUMENT_SUFFIXES: dict[
    str, Callable[[str | os.PathLike[str]], tuple[np.ndarray, SpectralAxis]]
] = {
    ".jdx": read_jcamp,
    ".dx": read_jcamp,
    ".jcamp": read_jcamp,
    ".spe": read_gamma,
    ".chn": read_gamma,
    ".cnf": read_gamma,
    ".spc": read_spc,
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
        ``.Spe``/``.Chn`` or Canberra ``.cnf`` (:func:`read_gamma`),
        Thermo/Galactic ``.spc`` (:func:`read_spc`), or x-y
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
