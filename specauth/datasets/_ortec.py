"""Parsers of Ortec gamma spectrum files: ASCII ``.Spe`` and binary ``.Chn``.

Both follow Ortec's published layouts ("ORTEC Software File Structure
Manual"). Each parser returns a :class:`GammaRecord`; turning it into spectra
and an energy axis is :func:`specauth.datasets.read_gamma`'s job.
"""

from __future__ import annotations

import datetime as dt
import struct
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ._filecheck import read_binary

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["GammaRecord", "parse_chn", "parse_spe"]

_CHN_HEADER = struct.Struct("<hHH2sII8s4sHH")  # 32 bytes
_CHN_TICK = 0.02  # real and live times are counted in 20 ms ticks


@dataclass
class GammaRecord:
    """What a gamma spectrum file holds, before any axis is made.

    ``calibration`` holds the polynomial coefficients (constant term first)
    of energy against the channel number ``first_channel + i``.
    """

    counts: np.ndarray
    source_format: str
    first_channel: int = 0
    live_time: float | None = None
    real_time: float | None = None
    start_time: str | None = None
    calibration: tuple[float, ...] | None = None
    unit: str = "keV"
    extra: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------- .Spe
def _spe_sections(file: Path) -> dict[str, list[tuple[int, str]]]:
    try:
        text = file.read_text(encoding="latin-1")
    except OSError as err:  # pragma: no cover - unreadable file
        raise ValueError(f"Cannot read {file}: {err}") from err
    sections: dict[str, list[tuple[int, str]]] = {}
    current: list[tuple[int, str]] | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("$"):
            current = sections.setdefault(stripped[1:].rstrip(":").upper(), [])
        elif stripped and current is not None:
            current.append((number, stripped))
    if "DATA" not in sections:
        raise ValueError(
            f"{file} is not an Ortec .Spe file: it has no $DATA: section "
            "(an .Spe file is text with $SPEC_ID:, $MEAS_TIM:, $DATA: ... sections)."
        )
    return sections


def _numbers(file: Path, number: int, text: str, what: str) -> list[float]:
    try:
        return [float(item) for item in text.split()]
    except ValueError as err:
        raise ValueError(
            f"{file}, line {number}: expected {what} (numbers); got {text!r}."
        ) from err


def _spe_counts(file: Path, rows: list[tuple[int, str]]) -> tuple[np.ndarray, int]:
    if not rows:
        raise ValueError(f"{file}: the $DATA: section is empty.")
    number, text = rows[0]
    bounds = _numbers(file, number, text, "the first and last channel")
    if len(bounds) != 2 or bounds[1] < bounds[0]:
        raise ValueError(
            f"{file}, line {number}: $DATA: must start with the first and last "
            f"channel numbers (e.g. '0 1023'); got {text!r}."
        )
    first, last = int(bounds[0]), int(bounds[1])
    counts: list[float] = []
    for number, text in rows[1:]:
        counts.extend(_numbers(file, number, text, "channel counts"))
    expected = last - first + 1
    if len(counts) != expected:
        raise ValueError(
            f"{file}: $DATA: announces channels {first}..{last} ({expected} "
            f"counts) but holds {len(counts)} counts."
        )
    return np.asarray(counts, dtype=np.float64), first


def _spe_calibration(
    file: Path, sections: dict[str, list[tuple[int, str]]]
) -> tuple[tuple[float, ...] | None, str]:
    """``$MCA_CAL:`` (term count, then terms and unit), else ``$ENER_FIT:``."""
    rows = sections.get("MCA_CAL", [])
    if len(rows) >= 2:
        n_terms = int(_numbers(file, *rows[0], "the number of terms")[0])
        fields = rows[1][1].split()
        terms = _numbers(file, rows[1][0], " ".join(fields[:n_terms]), "terms")
        if any(terms[1:]):
            unit = fields[n_terms] if len(fields) > n_terms else "keV"
            return tuple(terms), unit
    rows = sections.get("ENER_FIT", [])
    if rows:
        return tuple(_numbers(file, *rows[0], "offset and slope")), "keV"
    return None, "keV"


def parse_spe(file: Path) -> GammaRecord:
    """Read an Ortec ASCII ``.Spe`` file."""
    sections = _spe_sections(file)
    counts, first = _spe_counts(file, sections["DATA"])
    record = GammaRecord(counts, "ortec_spe", first_channel=first)
    times = sections.get("MEAS_TIM", [])
    if times:
        values = _numbers(file, *times[0], "live and real times")
        if len(values) == 2:
            record.live_time, record.real_time = values
    date = sections.get("DATE_MEA", [])
    if date:
        record.start_time = _iso(date[0][1], "%m/%d/%Y %H:%M:%S")
    record.calibration, record.unit = _spe_calibration(file, sections)
    spec_id = sections.get("SPEC_ID", [])
    if spec_id:
        record.extra["description"] = spec_id[0][1]
    return record


def _iso(text: str, layout: str) -> str | None:
    try:
        return dt.datetime.strptime(text.strip(), layout).isoformat()
    except ValueError:
        return None


# --------------------------------------------------------------------- .Chn
def parse_chn(file: Path) -> GammaRecord:
    """Read an Ortec binary ``.Chn`` file (integer counts, times, calibration)."""
    data = read_binary(file, _CHN_HEADER.size, "Ortec .Chn")
    (signature, mca, segment, seconds, real, live, date, clock, first, n) = (
        _CHN_HEADER.unpack_from(data, 0)
    )
    if signature != -1:
        raise ValueError(
            f"{file} is not an Ortec .Chn file: its first two bytes give "
            f"{signature}, not the -1 signature of the format."
        )
    end = _CHN_HEADER.size + 4 * n
    if n < 1 or len(data) < end:
        raise ValueError(
            f"{file}: the header announces {n} channels ({4 * n} bytes of "
            f"counts) but the file holds {len(data) - _CHN_HEADER.size} bytes "
            "after the header (truncated?)."
        )
    counts = np.frombuffer(data, dtype="<i4", count=n, offset=_CHN_HEADER.size)
    record = GammaRecord(counts.astype(np.float64), "ortec_chn", first_channel=first)
    record.real_time, record.live_time = real * _CHN_TICK, live * _CHN_TICK
    record.start_time = _chn_start(date, clock, seconds)
    record.calibration = _chn_calibration(data, end)
    record.extra.update(mca_number=mca, segment=segment)
    return record


def _chn_start(date: bytes, clock: bytes, seconds: bytes) -> str | None:
    text = date.decode("latin-1")  # "DDMMMYY" then "1" for the 21st century
    century = "20" if text[7:8] == "1" else "19"
    stamp = f"{text[:5]}{century}{text[5:7]} {clock.decode('latin-1')}"
    return _iso(stamp + seconds.decode("latin-1"), "%d%b%Y %H%M%S")


def _chn_calibration(data: bytes, offset: int) -> tuple[float, ...] | None:
    """The trailer: -101 (offset, slope) or -102 (offset, slope, quadratic)."""
    if len(data) < offset + 16:
        return None
    kind = struct.unpack_from("<h", data, offset)[0]
    terms = {-101: 2, -102: 3}.get(kind)
    if terms is None:
        return None
    return struct.unpack_from(f"<{terms}f", data, offset + 4)
