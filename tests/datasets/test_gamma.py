"""Round trips of gamma spectrum files written here with known content."""

from __future__ import annotations

import datetime as dt
import struct

import numpy as np
import pytest

from specauth.datasets._cnf import pdp11_floats
from specauth.datasets.gamma import read_gamma

COUNTS = np.array([3, 0, 17, 250, 1024, 99, 5, 0], dtype=np.int64)


def write_spe(path, counts, *, first=0, calibration="$MCA_CAL:\n3\n1.5 0.25 0.0 keV\n"):
    lines = ["$SPEC_ID:", "Cs-137 check source", "$DATE_MEA:", "03/14/2024 09:26:53"]
    lines += ["$MEAS_TIM:", "290 300", "$DATA:", f"{first} {first + len(counts) - 1}"]
    lines += [f"{c:8d}" for c in counts]
    lines += ["$ROI:", "0"]
    path.write_text("\n".join(lines) + "\n" + calibration)
    return path


def write_chn(path, counts, *, first=0, trailer=(-102, 1.5, 0.25, 0.001)):
    header = struct.pack(
        "<hHH2sII8s4sHH",
        -1,
        1,
        1,
        b"53",
        15000,
        14500,
        b"14MAR241",
        b"0926",
        first,
        len(counts),
    )
    body = np.asarray(counts, dtype="<i4").tobytes()
    tail = b""
    if trailer is not None:
        kind, *coefficients = trailer
        tail = struct.pack("<hh3f3f", kind, 0, *coefficients, 0, 0, 0) + bytes(228)
    path.write_bytes(header + body + tail)
    return path


def to_pdp11(values):
    out = bytearray()
    for value in values:
        if value == 0:
            out += bytes(4)
            continue
        mantissa, exponent = np.frexp(abs(value))  # value = m * 2**e, 0.5 <= m < 1
        fraction = int(round((mantissa - 0.5) * 2**24))
        biased = int(exponent) + 128
        out += bytes(
            [
                ((biased & 1) << 7) | (fraction >> 16),
                (0x80 if value < 0 else 0) | (biased >> 1),
                fraction & 0xFF,
                (fraction >> 8) & 0xFF,
            ]
        )
    return bytes(out)


def write_cnf(
    path,
    counts,
    *,
    calibration=(1.5, 0.25, 0.0, 0.0),
    real=300.0,
    live=290.0,
    calibration_block=False,
):
    """A minimal CAM file: directory at 112, acquisition block at 2048, sample
    at 3072, channels at 4096, and optionally a calibration block at 3584."""
    n = len(counts)
    data = bytearray(4096 + 512 + 4 * n)
    entries = [(0, 2048), (1, 3072), (5, 4096)]
    if calibration_block:
        entries.insert(1, (0, 3584))
    for slot, (kind, offset) in enumerate(entries):
        entry = 112 + 48 * slot
        data[entry : entry + 3] = bytes([kind, 0x20, 0x01])
        struct.pack_into("<I", data, entry + 10, offset)
    data[3072:3074] = bytes([1, 0x20])
    data[3072 + 48 : 3072 + 48 + 9] = b"Soil 42-A"
    acq, first_offset, second_offset = 2048, 0x300, 0x100
    data[acq : acq + 2] = bytes([0, 0x20])
    struct.pack_into("<HH", data, acq + 34, first_offset, second_offset)
    data[acq + 176 : acq + 179] = b"PHA"
    struct.pack_into("<H", data, acq + 186, n // 256)
    start = dt.datetime(2024, 3, 14, 9, 26, 53, tzinfo=dt.timezone.utc).timestamp()
    mask = 2**64 - 1
    ticks = [int((start + 3506716800) * 1e7), ~int(real * 1e7) & mask]
    ticks.append(~int(live * 1e7) & mask)
    struct.pack_into("<QQQ", data, acq + 48 + second_offset + 1, *ticks)
    block = 3584 if calibration_block else acq
    at = block + 48 + 32 + first_offset + 36
    data[at : at + 16] = to_pdp11(calibration)
    data[4096:4098] = bytes([5, 0x20])
    data[4096 + 512 :] = np.asarray(counts, dtype="<u4").tobytes()
    path.write_bytes(bytes(data))
    return path


def test_spe_round_trip_counts_times_and_mca_calibration(tmp_path):
    path = write_spe(tmp_path / "a.Spe", COUNTS)
    X, axis, info = read_gamma(path, metadata=True)
    assert X.dtype == np.float32 and X.shape == (1, COUNTS.size)
    np.testing.assert_array_equal(X[0], COUNTS)
    np.testing.assert_allclose(axis.values, 1.5 + 0.25 * np.arange(COUNTS.size))
    assert (axis.quantity, axis.unit) == ("energy", "keV")
    assert info["live_time"] == 290 and info["real_time"] == 300
    assert info["start_time"] == "2024-03-14T09:26:53"
    assert info["calibration"] == [1.5, 0.25, 0.0]
    assert info["source_format"] == "ortec_spe" and info["axis_note"] is None
    assert info["description"] == "Cs-137 check source"


def test_spe_ener_fit_and_first_channel(tmp_path):
    path = write_spe(
        tmp_path / "b.spe", COUNTS, first=10, calibration="$ENER_FIT:\n2.0 0.5\n"
    )
    X, axis = read_gamma(path)
    np.testing.assert_allclose(axis.values, 2.0 + 0.5 * (10 + np.arange(COUNTS.size)))


def test_spe_without_calibration_gives_channels(tmp_path):
    path = write_spe(tmp_path / "c.spe", COUNTS, calibration="")
    _, axis, info = read_gamma(path, metadata=True)
    assert axis.quantity == "channel"
    np.testing.assert_array_equal(axis.values, np.arange(COUNTS.size))
    assert "no energy calibration" in info["axis_note"]


def test_spe_zero_mca_cal_falls_back_to_ener_fit(tmp_path):
    calibration = "$ENER_FIT:\n2.0 0.5\n$MCA_CAL:\n2\n0.0 0.0 keV\n"
    path = write_spe(tmp_path / "z.spe", COUNTS, calibration=calibration)
    _, axis = read_gamma(path)
    np.testing.assert_allclose(axis.values, 2.0 + 0.5 * np.arange(COUNTS.size))


def test_decreasing_calibration_falls_back_to_channels(tmp_path):
    path = write_spe(tmp_path / "d.spe", COUNTS, calibration="$ENER_FIT:\n5.0 -0.5\n")
    _, axis, info = read_gamma(path, metadata=True)
    assert axis.quantity == "channel"
    assert "does not increase" in info["axis_note"]


def test_spe_errors_name_file_and_line(tmp_path):
    bad = tmp_path / "bad.spe"
    bad.write_text("$DATA:\n0 2\n1\nx\n3\n")
    with pytest.raises(ValueError, match=r"bad.spe, line 4"):
        read_gamma(bad)
    short = tmp_path / "short.spe"
    short.write_text("$DATA:\n0 5\n1\n2\n")
    with pytest.raises(ValueError, match=r"short.spe.*6 counts.*holds 2"):
        read_gamma(short)
    none = tmp_path / "none.spe"
    none.write_text("hello\n")
    with pytest.raises(ValueError, match=r"none.spe is not an Ortec .Spe"):
        read_gamma(none)


def test_chn_round_trip(tmp_path):
    path = write_chn(tmp_path / "a.Chn", COUNTS, first=4)
    X, axis, info = read_gamma(path, metadata=True)
    np.testing.assert_array_equal(X[0], COUNTS)
    ch = 4 + np.arange(COUNTS.size)
    expected = np.float32(1.5) + np.float32(0.25) * ch + np.float32(0.001) * ch**2
    np.testing.assert_allclose(axis.values, expected, rtol=1e-6)
    assert info["real_time"] == pytest.approx(300.0)
    assert info["live_time"] == pytest.approx(290.0)
    assert info["start_time"] == "2024-03-14T09:26:53"
    assert info["source_format"] == "ortec_chn" and info["first_channel"] == 4


def test_chn_without_trailer_gives_channels(tmp_path):
    path = write_chn(tmp_path / "a.chn", COUNTS, trailer=None)
    _, axis = read_gamma(path)
    assert axis.quantity == "channel"


def test_chn_errors(tmp_path):
    path = write_chn(tmp_path / "a.chn", COUNTS)
    raw = bytearray(path.read_bytes())
    raw[0:2] = struct.pack("<h", 7)
    wrong = tmp_path / "wrong.chn"
    wrong.write_bytes(bytes(raw))
    with pytest.raises(ValueError, match=r"wrong.chn is not an Ortec .Chn.*-1"):
        read_gamma(wrong)
    cut = tmp_path / "cut.chn"
    cut.write_bytes(path.read_bytes()[:40])
    with pytest.raises(ValueError, match=r"cut.chn.*8 channels"):
        read_gamma(cut)
    tiny = tmp_path / "tiny.chn"
    tiny.write_bytes(b"\xff\xff")
    with pytest.raises(ValueError, match=r"tiny.chn.*2 bytes"):
        read_gamma(tiny)


def test_pdp11_floats_round_trip():
    values = [1.0, -2.5, 0.25, 661.657, 0.0, -1e-4]
    np.testing.assert_allclose(pdp11_floats(to_pdp11(values)), values, rtol=1e-7)


@pytest.mark.parametrize("calibration_block", [False, True])
def test_cnf_round_trip(tmp_path, calibration_block):
    rng = np.random.default_rng(0)
    counts = rng.integers(0, 5000, size=512)
    counts[:2] = [11, 12]
    path = write_cnf(
        tmp_path / "a.CNF",
        counts,
        calibration=(-0.5, 0.75, 1e-5, 0.0),
        calibration_block=calibration_block,
    )
    X, axis, info = read_gamma(path, metadata=True)
    np.testing.assert_array_equal(X[0], counts)
    ch = np.arange(512)
    np.testing.assert_allclose(axis.values, -0.5 + 0.75 * ch + 1e-5 * ch**2, rtol=1e-6)
    assert info["real_time"] == pytest.approx(300.0)
    assert info["live_time"] == pytest.approx(290.0)
    assert info["start_time"].startswith("2024-03-14T09:26:5")
    assert info["calibration"] == pytest.approx([-0.5, 0.75, 1e-5, 0.0])
    assert info["sample_name"] == "Soil 42-A"
    assert info["source_format"] == "canberra_cnf"


def test_cnf_times_in_first_channels_are_not_counts(tmp_path):
    counts = np.full(256, 7)
    counts[:2] = [300, 290]  # some files keep the real and live times there
    X, _ = read_gamma(write_cnf(tmp_path / "t.cnf", counts))
    np.testing.assert_array_equal(X[0, :3], [0, 0, 7])


def test_cnf_without_calibration_gives_channels(tmp_path):
    path = write_cnf(tmp_path / "a.cnf", np.ones(256), calibration=(0, 0, 0, 0))
    _, axis, info = read_gamma(path, metadata=True)
    assert axis.quantity == "channel" and info["calibration"] is None


def test_cnf_errors(tmp_path):
    junk = tmp_path / "junk.cnf"
    junk.write_bytes(bytes(1000))
    with pytest.raises(ValueError, match=r"junk.cnf is not a readable Canberra"):
        read_gamma(junk)
    path = write_cnf(tmp_path / "a.cnf", np.ones(512))
    cut = tmp_path / "cut.cnf"
    cut.write_bytes(path.read_bytes()[:5000])
    with pytest.raises(ValueError, match=r"cut.cnf.*512 channels"):
        read_gamma(cut)


def test_bad_paths(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing.spe"):
        read_gamma(tmp_path / "missing.spe")
    with pytest.raises(ValueError, match=r"unsupported extension '.mca'"):
        read_gamma(tmp_path / "x.mca")
    with pytest.raises(TypeError, match="`path` must be a str"):
        read_gamma(3)  # type: ignore[arg-type]
