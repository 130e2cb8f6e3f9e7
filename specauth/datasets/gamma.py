"""Read gamma-ray spectra written by multichannel analysers.

Formats: Ortec ASCII ``.Spe``, Ortec binary ``.Chn`` and Canberra
``.cnf`` (Genie 2000), read by specauth's own parsers of their documented
layouts (no third-party package).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Literal, overload

import numpy as np

from ..axis import SpectralAxis
from ._cnf import parse_cnf
from ._filecheck import check_file
from ._ortec import parse_chn, parse_spe

if TYPE_CHECKING:
    from ._ortec import GammaRecord

__all__ = ["GAMMA_SUFFIXES", "read_gamma"]

_PARSERS = {".spe": parse_spe, ".chn": parse_chn, ".cnf": parse_cnf}
GAMMA_SUFFIXES = tuple(_PARSERS)


def energy_axis(record: GammaRecord) -> tuple[SpectralAxis, str | None]:
    """The energy axis of a record, or its channels and the reason why."""
    n = record.counts.shape[0]
    channels = record.first_channel + np.arange(n, dtype=np.float64)
    coefficients = record.calibration
    if not coefficients or not any(coefficients[1:]):
        return SpectralAxis(channels, "channel"), "the file holds no energy calibration"
    energy = np.polynomial.polynomial.polyval(channels, coefficients)
    steps = np.diff(energy)
    if not np.isfinite(energy).all() or (steps.size and not np.all(steps > 0)):
        return SpectralAxis(channels, "channel"), (
            f"the energy calibration {list(coefficients)} does not increase "
            "strictly over the channels; the axis is the channel numbers"
        )
    return SpectralAxis(energy, "energy", record.unit), None


@overload
def read_gamma(
    path: str | os.PathLike[str], *, metadata: Literal[False] = ...
) -> tuple[np.ndarray, SpectralAxis]: ...
@overload
def read_gamma(
    path: str | os.PathLike[str], *, metadata: Literal[True]
) -> tuple[np.ndarray, SpectralAxis, dict[str, Any]]: ...
def read_gamma(
    path: str | os.PathLike[str], *, metadata: bool = False
) -> tuple[np.ndarray, SpectralAxis] | tuple[np.ndarray, SpectralAxis, dict[str, Any]]:
    """Read a gamma spectrum from an Ortec ``.Spe``/``.Chn`` or Canberra ``.cnf`` file.

    Parameters
    ----------
    path : str or path-like
        The file; its suffix (any case) names the format.
    metadata : bool, default=False
        Also return what the file says about the measurement.

    Returns
    -------
    X : ndarray of shape (1, n_channels), float32
        The counts.
    axis : SpectralAxis
        Energy (keV, unless the file names another unit) from the file's
        calibration polynomial when it has one that increases strictly over
        the channels; otherwise the channel numbers (quantity ``"channel"``).
    info : dict
        Only with ``metadata=True``: ``source_format`` (``"ortec_spe"``,
        ``"ortec_chn"`` or ``"canberra_cnf"``), ``live_time`` and
        ``real_time`` (seconds), ``start_time`` (ISO 8601 string or None),
        ``calibration`` (polynomial coefficients of energy against channel
        number, constant first, or None), ``first_channel``, ``axis_note``
        (why the axis is channels, or None) and format-specific entries.

    Raises
    ------
    ValueError
        If the file is not of the format its suffix names, or is truncated;
        the message names the file (and the line, in ``.Spe`` files).

    See Also
    --------
    specauth.datasets.read_instrument_file : Any instrument file, by suffix.

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "sample.Spe")
    >>> with open(path, "w") as f:
    ...     _ = f.write("$MEAS_TIM:\\n90 100\\n$DATA:\\n0 3\\n5\\n7\\n9\\n4\\n"
    ...                 "$ENER_FIT:\\n1.0 0.5\\n")
    >>> X, axis, info = read_gamma(path, metadata=True)
    >>> X
    array([[5., 7., 9., 4.]], dtype=float32)
    >>> axis
    SpectralAxis(1..2.5, 4 points, quantity='energy', unit='keV')
    >>> info["live_time"], info["real_time"]
    (90.0, 100.0)
    """
    file = check_file(path, GAMMA_SUFFIXES, "gamma spectrum")
    record = _PARSERS[file.suffix.lower()](file)
    axis, note = energy_axis(record)
    X = record.counts.astype(np.float32)[np.newaxis, :]
    if not metadata:
        return X, axis
    info: dict[str, Any] = {
        "source_format": record.source_format,
        "live_time": record.live_time,
        "real_time": record.real_time,
        "start_time": record.start_time,
        "calibration": list(record.calibration) if record.calibration else None,
        "first_channel": record.first_channel,
        "axis_note": note,
        **record.extra,
    }
    return X, axis, info
