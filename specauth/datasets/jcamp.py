"""Read JCAMP-DX spectra (``.jdx``, ``.dx``, ``.jcamp``) with the ``jcamp`` package.

The parsing is the maintained ``jcamp`` package's (``pip install jcamp``);
this module checks what it returns and turns ``##XUNITS`` into a
:class:`~specauth.axis.SpectralAxis`.
"""

from __future__ import annotations

import contextlib
import io
import os
import warnings
from typing import TYPE_CHECKING, Any, Literal, overload

import numpy as np

from .._lazy import import_optional
from ..axis import SpectralAxis, parse_axis_label
from ._filecheck import check_file

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["JCAMP_SUFFIXES", "read_jcamp"]

JCAMP_SUFFIXES = (".jdx", ".dx", ".jcamp")
# ##XUNITS spelling (upper case, spaces removed) -> (quantity, unit)
_XUNITS = {
    "1/CM": ("wavenumber", "cm-1"),
    "CM-1": ("wavenumber", "cm-1"),
    "CM^-1": ("wavenumber", "cm-1"),
    "NANOMETERS": ("wavelength", "nm"),
    "NM": ("wavelength", "nm"),
    "MICROMETERS": ("wavelength", "um"),
    "MICRONS": ("wavelength", "um"),
    "UM": ("wavelength", "um"),
    "2THETA": ("two_theta", "deg"),
    "DEGREES": ("two_theta", "deg"),
    "KEV": ("energy", "keV"),
    "EV": ("energy", "eV"),
    "MEV": ("energy", "MeV"),
    "HZ": ("frequency", "Hz"),
    "PPM": ("chemical_shift", "ppm"),
    "SECONDS": ("time", "s"),
}
_PARSE_ERRORS = (ValueError, KeyError, IndexError, TypeError, ZeroDivisionError)


def _x_axis(x: np.ndarray, block: dict[str, Any], file: Path) -> SpectralAxis:
    text = str(block.get("xunits", "")).strip()
    quantity, unit = _XUNITS.get(text.upper().replace(" ", ""), (None, None))
    if quantity is None and text:
        quantity, unit = parse_axis_label(text)
    kind = str(block.get("data type", block.get("datatype", ""))).upper()
    if quantity == "wavenumber" and "RAMAN" in kind:
        quantity = "raman_shift"
    try:
        return SpectralAxis(x, quantity, unit)
    except ValueError as err:
        raise ValueError(
            f"{file}: the x values are not a spectral axis: {err}"
        ) from err


def _blocks(file: Path) -> list[dict[str, Any]]:
    jcamp = import_optional("jcamp", purpose="read JCAMP-DX files")
    chatter = io.StringIO()  # jcamp prints its consistency checks
    try:
        with contextlib.redirect_stdout(chatter):
            parsed = jcamp.readfile(os.fspath(file))
    except _PARSE_ERRORS as err:
        raise ValueError(
            f"{file} is not a readable JCAMP-DX file ({type(err).__name__}: "
            f"{err}); expected ##TITLE=, ##XUNITS=, ##FIRSTX=, ##LASTX=, "
            "##NPOINTS= and an ##XYDATA= or ##XYPOINTS= table."
        ) from err
    for line in chatter.getvalue().splitlines():
        if "check failed" in line.lower():
            warnings.warn(f"{file}: {line}", UserWarning, stacklevel=4)
    return parsed.get("children") or [parsed]


def _spectrum(file: Path, index: int, block: dict[str, Any]) -> tuple[Any, ...]:
    where = f"{file}" if index < 0 else f"{file}, block {index}"
    x, y = np.asarray(block.get("x", [])), np.asarray(block.get("y", []))
    if x.size == 0 or y.size == 0:
        raise ValueError(
            f"{where} holds no ##XYDATA=, ##XYPOINTS= or ##PEAK TABLE= data "
            "that the jcamp package reads (NTUPLES, e.g. NMR, are not supported)."
        )
    if x.shape != y.shape:
        raise ValueError(
            f"{where}: {x.size} x values (from ##FIRSTX, ##LASTX, ##NPOINTS) "
            f"but {y.size} y values; the file is inconsistent or truncated."
        )
    if not np.isfinite(y).all():
        raise ValueError(f"{where}: the y values hold NaN or infinity.")
    return y.astype(np.float32), _x_axis(x.astype(np.float64), block, file)


def _info(block: dict[str, Any]) -> dict[str, Any]:
    keys = ("title", "data type", "xunits", "yunits", "origin", "owner")
    return {key.replace(" ", "_"): block[key] for key in keys if key in block}


@overload
def read_jcamp(
    path: str | os.PathLike[str],
    *,
    block: int | None = ...,
    metadata: Literal[False] = ...,
) -> tuple[np.ndarray, SpectralAxis]: ...
@overload
def read_jcamp(
    path: str | os.PathLike[str], *, block: int | None = ..., metadata: Literal[True]
) -> tuple[np.ndarray, SpectralAxis, dict[str, Any]]: ...
def read_jcamp(
    path: str | os.PathLike[str], *, block: int | None = None, metadata: bool = False
) -> tuple[np.ndarray, SpectralAxis] | tuple[np.ndarray, SpectralAxis, dict[str, Any]]:
    """Read the spectrum (or spectra) of a JCAMP-DX file.

    Parameters
    ----------
    path : str or path-like
        A ``.jdx``, ``.dx`` or ``.jcamp`` file; needs the ``jcamp`` package.
    block : int, default=None
        For compound files (``##DATA TYPE=LINK``): the block to read (from
        0). By default every block is read, which needs them all on the same
        axis.
    metadata : bool, default=False
        Also return the header entries of the (first) block read.

    Returns
    -------
    X : ndarray of shape (n_blocks, n_points), float32
        The y values, ``##YFACTOR`` applied, in the order of the file.
    axis : SpectralAxis
        The x values, ``##XFACTOR`` applied, in the order of the file (IR
        spectra often run from 4000 down to 400 cm⁻¹). ``##XUNITS`` gives the
        quantity and unit: ``1/CM`` wavenumber (Raman shift for Raman data
        types), ``NANOMETERS`` and ``MICROMETERS`` wavelength, ``DEGREES``
        or ``2THETA`` 2θ, ``KEV`` energy; other units are kept as written.
        The values are not converted.
    info : dict
        Only with ``metadata=True``: ``title``, ``data_type``, ``xunits``,
        ``yunits`` (the unit of ``X``), ``origin`` and ``owner`` when
        present, and ``n_blocks``.

    Raises
    ------
    ImportError
        If the ``jcamp`` package is not installed.
    ValueError
        If the file cannot be parsed, holds no XY data, has inconsistent
        lengths, or its blocks are on different axes (pass ``block``).

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "film.jdx")
    >>> with open(path, "w") as f:
    ...     _ = f.write("##TITLE=film\\n##JCAMP-DX=4.24\\n##DATA TYPE=INFRARED "
    ...                 "SPECTRUM\\n##XUNITS=1/CM\\n##YUNITS=ABSORBANCE\\n"
    ...                 "##FIRSTX=4000\\n##LASTX=3997\\n##NPOINTS=4\\n"
    ...                 "##XYDATA=(X++(Y..Y))\\n4000 0.1 0.2 0.4 0.3\\n##END=\\n")
    >>> X, axis = read_jcamp(path)
    >>> X
    array([[0.1, 0.2, 0.4, 0.3]], dtype=float32)
    >>> axis
    SpectralAxis(4000..3997, 4 points, quantity='wavenumber', unit='cm⁻¹')
    """
    file = check_file(path, JCAMP_SUFFIXES, "JCAMP-DX")
    blocks = _blocks(file)
    if block is not None:
        if isinstance(block, bool) or not isinstance(block, (int, np.integer)):
            raise TypeError(f"`block` must be an int or None; got {block!r}.")
        if not -len(blocks) <= block < len(blocks):
            raise ValueError(
                f"`block` must be in [0, {len(blocks)}) for {file}, which holds "
                f"{len(blocks)} block(s); got {block}."
            )
        blocks = [blocks[block]]
    index = -1 if len(blocks) == 1 else 0
    spectra = [_spectrum(file, index + i, b) for i, b in enumerate(blocks)]
    axis = spectra[0][1]
    for i, (_, other) in enumerate(spectra[1:], start=1):
        if (why := axis.mismatch(other)) is not None:
            raise ValueError(
                f"{file}: block {i} is not on the axis of block 0 ({why}); read "
                "one block at a time with `block=`."
            )
    X = np.stack([y for y, _ in spectra])
    if not metadata:
        return X, axis
    return X, axis, {**_info(blocks[0]), "n_blocks": len(blocks)}
