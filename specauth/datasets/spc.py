"""Read Thermo/Galactic ``.spc`` files (GRAMS; the "new" little-endian format).

specauth's own parser of the published layout (Galactic's ``SPC.H`` and
"SPC file format" guide): a 512-byte header, optional float32 x values,
then sub-files of a 32-byte header and y values (float32, or integers
scaled by ``2 ** (exponent - 32)``, ``- 16`` for 16-bit data). The old
(``0x4D``) and big-endian (``0x4C``) variants are refused with a message.
"""

from __future__ import annotations

import datetime as dt
import os
import struct
from typing import TYPE_CHECKING, Any, Literal, overload

import numpy as np

from ..axis import SpectralAxis
from ._filecheck import check_file, read_binary

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["SPC_SUFFIXES", "read_spc"]

SPC_SUFFIXES = (".spc",)
_HEADER = struct.Struct("<BBBbIddIBBBBI9s9sH32s130s30sIIBBHf48sfIfB187s")
_SUB = struct.Struct("<BbHfffIIf4s")
_TSPREC, _TMULTI, _TXYXYS, _TXVALS = 0x01, 0x04, 0x40, 0x80
_FLOAT_Y = -128  # the exponent byte 0x80 marks float32 y values
# fxtype -> (quantity, unit)
_XTYPES: dict[int, tuple[str | None, str | None]] = {
    0: (None, None),
    1: ("wavenumber", "cm-1"),
    2: ("wavelength", "um"),
    3: ("wavelength", "nm"),
    4: ("time", "s"),
    5: ("time", "min"),
    6: ("frequency", "Hz"),
    7: ("frequency", "kHz"),
    8: ("frequency", "MHz"),
    9: ("m/z", None),
    10: ("chemical_shift", "ppm"),
    13: ("raman_shift", "cm-1"),
    14: ("energy", "eV"),
    17: ("channel", None),
    18: ("two_theta", "deg"),
    22: ("channel", None),
    23: ("time", "ms"),
    24: ("time", "µs"),
    25: ("time", "ns"),
    26: ("frequency", "GHz"),
}
_YTYPES = {
    0: "arbitrary intensity",
    1: "interferogram",
    2: "absorbance",
    3: "Kubelka-Munk",
    4: "counts",
    11: "percent",
    12: "intensity",
    128: "transmission",
    129: "reflectance",
    131: "emission",
}


def _header(file: Path, data: bytes) -> dict[str, Any]:
    if data[1] != 0x4B:
        kind = {0x4C: "big-endian", 0x4D: "old (pre-1996)"}.get(data[1])
        what = (
            f"the {kind} .spc format, which specauth does not read"
            if kind
            else ("no Thermo/Galactic .spc file (its version byte should be 0x4B)")
        )
        raise ValueError(f"{file} is {what}; export it as JCAMP-DX or text instead.")
    names = (
        "flags version experiment exp npts first last nsub xtype ytype ztype "
        "post date res source peakpt spare comment catxt logoff mods procs "
        "level sampin factor method zinc wplanes winc wtype reserved"
    ).split()
    return dict(zip(names, _HEADER.unpack_from(data, 0), strict=True))


def _floats(
    file: Path, data: bytes, at: int, n: int, what: str, code: str
) -> np.ndarray:
    size = np.dtype(code).itemsize
    if n < 1 or at + size * n > len(data):
        raise ValueError(
            f"{file}: {what} ({n} values from byte {at}) run past the end of "
            f"the file ({len(data)} bytes); the file is truncated or not .spc."
        )
    return np.frombuffer(data, dtype=code, count=n, offset=at).astype(np.float64)


def _y_values(
    file: Path, data: bytes, at: int, n: int, exponent: int, short: bool, index: int
) -> np.ndarray:
    what = f"the y values of sub-file {index}"
    if exponent == _FLOAT_Y:
        return _floats(file, data, at, n, what, "<f4")
    if short:
        return _floats(file, data, at, n, what, "<i2") * 2.0 ** (exponent - 16)
    return _floats(file, data, at, n, what, "<i4") * 2.0 ** (exponent - 32)


def _layout(file: Path, data: bytes, head: dict[str, Any]) -> tuple[Any, list[int]]:
    """The shared x values (None for XYXY files) and where sub-files start."""
    flags, n = head["flags"], head["npts"]
    count = head["nsub"] if flags & _TMULTI else 1
    if not flags & _TXYXYS:
        if not flags & _TXVALS:
            return np.linspace(head["first"], head["last"], n), [_HEADER.size]
        x = _floats(file, data, _HEADER.size, n, "the x values", "<f4")
        return x, [_HEADER.size + 4 * n]
    if n == 0:  # sub-files follow one another
        return None, [_HEADER.size]
    if n + 12 * count > len(data):  # npts is the offset of a sub-file directory
        raise ValueError(
            f"{file}: the sub-file directory lies past the end of the file."
        )
    return None, [struct.unpack_from("<i", data, n + 12 * i)[0] for i in range(count)]


def _subfiles(file: Path, data: bytes, head: dict[str, Any]) -> tuple[list, list]:
    flags = head["flags"]
    shared, starts = _layout(file, data, head)
    short = bool(flags & _TSPREC)
    xs, ys = [], []
    at = starts[0]
    for index in range(head["nsub"] if flags & _TMULTI else 1):
        at = starts[index] if len(starts) > 1 else at
        if at + _SUB.size > len(data):
            raise ValueError(
                f"{file}: sub-file {index} starts past the end of the file."
            )
        sub = _SUB.unpack_from(data, at)
        exponent = sub[1] if flags & _TMULTI else head["exp"]
        at += _SUB.size
        x = shared
        if x is None:  # XYXY: each sub-file has its own float32 x values
            x = _floats(file, data, at, sub[6], f"the x of sub-file {index}", "<f4")
            at += 4 * x.size
        y = _y_values(file, data, at, x.size, exponent, short, index)
        at += y.size * (2 if short and exponent != _FLOAT_Y else 4)
        xs.append(x)
        ys.append(y)
    return xs, ys


def _date(packed: int) -> str | None:
    """``fdate``: year << 20 | month << 16 | day << 11 | hour << 6 | minute."""
    try:
        stamp = dt.datetime(
            packed >> 20,
            (packed >> 16) & 0xF,
            (packed >> 11) & 0x1F,
            (packed >> 6) & 0x1F,
            packed & 0x3F,
        )
    except ValueError:
        return None
    return stamp.isoformat()


def _text(raw: bytes) -> str:
    return raw.split(b"\x00", 1)[0].decode("latin-1").strip()


@overload
def read_spc(
    path: str | os.PathLike[str], *, metadata: Literal[False] = ...
) -> tuple[np.ndarray, SpectralAxis]: ...
@overload
def read_spc(
    path: str | os.PathLike[str], *, metadata: Literal[True]
) -> tuple[np.ndarray, SpectralAxis, dict[str, Any]]: ...
def read_spc(
    path: str | os.PathLike[str], *, metadata: bool = False
) -> tuple[np.ndarray, SpectralAxis] | tuple[np.ndarray, SpectralAxis, dict[str, Any]]:
    """Read the spectra of a Thermo/Galactic (GRAMS) ``.spc`` file.

    Parameters
    ----------
    path : str or path-like
        A ``.spc`` file in the "new" little-endian format (version byte
        ``0x4B``), the one GRAMS and most instruments write.
    metadata : bool, default=False
        Also return what the header says.

    Returns
    -------
    X : ndarray of shape (n_subfiles, n_points), float32
        One spectrum per sub-file (a single spectrum unless the file is a
        multi-file); integer y values are scaled by their exponent.
    axis : SpectralAxis
        Evenly spaced from the header's first to last x, or the stored x
        values; the header's x type gives the quantity and unit
        (wavenumber cm⁻¹, Raman shift, nm, µm, eV, 2θ ...).
    info : dict
        Only with ``metadata=True``: ``x_type`` and ``y_type`` (codes),
        ``y_units`` (name of the y type or None), ``comment``, ``date`` (ISO
        string or None), ``source_format`` (``"galactic_spc"``).

    Raises
    ------
    ValueError
        If the file is not a new-format ``.spc`` file, is truncated, or its
        sub-files have different x values.

    Examples
    --------
    >>> import pathlib, struct, tempfile
    >>> header = bytearray(512)
    >>> header[:4] = bytes([0, 0x4B, 0, 0x80])          # float y values
    >>> struct.pack_into("<IddI", header, 4, 3, 400.0, 404.0, 1)
    >>> header[28] = 3                                  # x in nanometres
    >>> body = bytes(32) + struct.pack("<3f", 0.5, 0.25, 0.125)
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "uv.spc"
    >>> _ = path.write_bytes(bytes(header) + body)
    >>> X, axis = read_spc(path)
    >>> X
    array([[0.5  , 0.25 , 0.125]], dtype=float32)
    >>> axis
    SpectralAxis(400..404, 3 points, quantity='wavelength', unit='nm')
    """
    file = check_file(path, SPC_SUFFIXES, "Thermo/Galactic .spc")
    data = read_binary(file, _HEADER.size, "Thermo/Galactic .spc")
    head = _header(file, data)
    xs, ys = _subfiles(file, data, head)
    for index, x in enumerate(xs[1:], start=1):
        if x.shape != xs[0].shape or not np.array_equal(x, xs[0]):
            raise ValueError(
                f"{file}: sub-file {index} has other x values than sub-file 0; "
                "specauth reads .spc files whose spectra share one axis."
            )
    quantity, unit = _XTYPES.get(head["xtype"], (None, None))
    try:
        axis = SpectralAxis(xs[0], quantity, unit)
    except ValueError as err:
        raise ValueError(
            f"{file}: the x values are not a spectral axis: {err}"
        ) from err
    X = np.stack(ys).astype(np.float32)
    if not metadata:
        return X, axis
    info = {
        "source_format": "galactic_spc",
        "x_type": head["xtype"],
        "y_type": head["ytype"],
        "y_units": _YTYPES.get(head["ytype"]),
        "comment": _text(head["comment"]),
        "date": _date(head["date"]),
    }
    return X, axis, info
