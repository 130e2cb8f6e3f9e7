"""Parser of Canberra ``.cnf`` (Genie 2000 / CAM) gamma spectrum files.

Canberra does not publish the CAM layout; this follows its description by
the open readers (xylib's ``canberra_cnf.cpp``, becquerel's
``parsers/cnf.py``):

- from byte 112, a directory of 48-byte entries: byte 0 is the block kind
  (0: acquisition parameters, a second 0: energy calibration, 1: sample,
  5: channel data), bytes 10-13 the block's offset (little-endian);
- the sample block holds the sample name (64 characters) at +48;
- the acquisition block holds two offsets (16-bit at +34 and +36), and at
  +176 the ``PHA`` record whose 16-bit word at +10 is the number of channels
  divided by 256; the start date (100 ns ticks since 17 November 1858) and
  real and live times (bitwise complement of 100 ns ticks) follow at
  +48 + second offset + 1;
- the calibration coefficients are four DEC PDP-11 floats at
  +48 + 32 + first offset + 36 of the calibration block;
- the counts are 32-bit integers from +512 of the channel block (its first
  two words may hold the real and live times instead of counts).
"""

from __future__ import annotations

import datetime as dt
import struct
from typing import TYPE_CHECKING

import numpy as np

from ._filecheck import read_binary
from ._ortec import GammaRecord

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["parse_cnf", "pdp11_floats"]

_DIRECTORY_START, _ENTRY, _DIRECTORY_END = 112, 48, 128 * 1024
_MJD_TO_UNIX = 3506716800  # seconds from 1858-11-17 to 1970-01-01
_TICK = 1e-7  # 100 ns


def pdp11_floats(raw: bytes) -> np.ndarray:
    """Decode DEC PDP-11 (VAX F) 32-bit floats, 4 bytes each, to float64.

    >>> pdp11_floats(bytes([0x80, 0x40, 0, 0]))  # 1.0
    array([1.])
    """
    b = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 4).astype(np.int64)
    exponent = ((b[:, 1] & 0x7F) << 1) | (b[:, 0] >> 7)
    fraction = ((b[:, 0] & 0x7F) << 16) | (b[:, 3] << 8) | b[:, 2]
    sign = np.where(b[:, 1] & 0x80, -1.0, 1.0)
    value = sign * (0.5 + fraction / 2.0**24) * np.exp2(exponent - 128.0)
    return np.where(exponent == 0, 0.0, value)


def _directory(data: bytes) -> dict[str, int]:
    """Block offsets from the directory (which ends before the first block)."""
    found: dict[str, int] = {}
    kinds = {1: "sample", 2: "efficiency", 5: "channels"}
    end = min(len(data) - _ENTRY, _DIRECTORY_END)
    start = _DIRECTORY_START
    while start <= end:
        kind, flag1, flag2 = data[start], data[start + 1], data[start + 2]
        offset = struct.unpack_from("<I", data, start + 10)[0]
        start += _ENTRY
        if offset == 0 or not (
            (flag1, flag2) == (0x20, 0x01) or flag1 == 0 or flag2 == 0
        ):
            continue
        if kind == 0:  # the first is the acquisition block, a second the calibration
            name = "calibration" if "acquisition" in found else "acquisition"
            found.setdefault(name, offset)
        elif kind in kinds:
            found.setdefault(kinds[kind], offset)
        end = min(end, offset - _ENTRY)
    return found


def _block(file: Path, data: bytes, blocks: dict[str, int], name: str) -> int:
    kind = {"acquisition": 0, "channels": 5}[name]
    offset = blocks.get(name, 0)
    if offset == 0 or offset + 512 > len(data) or data[offset] != kind:
        raise ValueError(
            f"{file} is not a readable Canberra .cnf file: its {name} block "
            "was not found (the directory from byte 112 names none, or it "
            "points outside the file)."
        )
    return offset


def _times(data: bytes, at: int) -> tuple[str | None, float, float]:
    start, real, live = struct.unpack_from("<QQQ", data, at)
    mask = 2**64 - 1
    real_s, live_s = (~real & mask) * _TICK, (~live & mask) * _TICK
    try:
        stamp = dt.datetime.fromtimestamp(start * _TICK - _MJD_TO_UNIX, dt.timezone.utc)
        iso: str | None = stamp.replace(tzinfo=None).isoformat()
    except (OverflowError, OSError, ValueError):
        iso = None
    return iso, real_s, live_s


def _calibration(data: bytes, at: int, fallback: int) -> tuple[float, ...] | None:
    for offset in (at, fallback):
        if 0 < offset and offset + 52 <= len(data):
            coefficients = pdp11_floats(data[offset + 36 : offset + 52])
            if coefficients[1] != 0.0:
                return tuple(float(c) for c in coefficients)
    return None


def parse_cnf(file: Path) -> GammaRecord:
    """Read a Canberra ``.cnf`` file."""
    data = read_binary(file, _DIRECTORY_START + _ENTRY, "Canberra .cnf")
    blocks = _directory(data)
    acq = _block(file, data, blocks, "acquisition")
    first_offset, second_offset = struct.unpack_from("<HH", data, acq + 34)
    pha = acq + 48 + 128
    if data[pha : pha + 3] != b"PHA":
        raise ValueError(
            f"{file} is not a readable Canberra .cnf file: no 'PHA' record at "
            f"byte {pha} of its acquisition block."
        )
    n = 256 * struct.unpack_from("<H", data, pha + 10)[0]
    chan = _block(file, data, blocks, "channels")
    if not 256 <= n <= 65536 or chan + 512 + 4 * n > len(data):
        raise ValueError(
            f"{file}: the acquisition block announces {n} channels, which the "
            "channel block does not hold (truncated or unsupported file)."
        )
    times_at = acq + 48 + second_offset + 1
    if times_at + 24 > len(data):
        raise ValueError(
            f"{file}: the acquisition block points to times at byte {times_at}, "
            "beyond the end of the file (truncated or unsupported file)."
        )
    start, real, live = _times(data, times_at)
    counts = np.frombuffer(data, dtype="<u4", count=n, offset=chan + 512)
    counts = counts.astype(np.float64)
    for i in (0, 1):  # these words hold the times in some files
        if counts[i] in (int(real), int(live)):
            counts[i] = 0.0
    cal = blocks.get("calibration", acq) + 48 + 32
    record = GammaRecord(counts, "canberra_cnf", live_time=live, real_time=real)
    record.start_time = start
    sample = blocks.get("sample", 0)
    if 0 < sample and sample + 112 <= len(data) and data[sample] == 1:
        name = data[sample + 48 : sample + 112].decode("latin-1")
        record.extra["sample_name"] = name.replace("\x00", " ").strip()
    record.calibration = _calibration(data, cal + first_offset, cal)
    return record
