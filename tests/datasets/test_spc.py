"""Round trips of Thermo/Galactic .spc files written here by the published layout."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from specauth.datasets.spc import read_spc

TSPREC, TMULTI, TXYXYS, TXVALS = 0x01, 0x04, 0x40, 0x80
FLOAT = -128


def header(
    flags=0,
    exp=FLOAT,
    npts=0,
    first=0.0,
    last=0.0,
    nsub=1,
    xtype=1,
    ytype=2,
    date=0,
    comment=b"",
):
    out = bytearray(512)
    struct.pack_into(
        "<BBBbIddIBBBBI",
        out,
        0,
        flags,
        0x4B,
        0,
        exp,
        npts,
        first,
        last,
        nsub,
        xtype,
        ytype,
        0,
        0,
        date,
    )
    out[88 : 88 + len(comment)] = comment
    return bytes(out)


def subheader(exp=0, npts=0):
    return struct.pack("<BbHfffIIf4s", 0, exp, 0, 0.0, 0.0, 0.0, npts, 0, 0.0, b"")


def test_evenly_spaced_float_spectrum(tmp_path):
    y = np.array([0.5, 1.25, -3.0, 7.75], dtype=np.float32)
    date = 2023 << 20 | 11 << 16 | 5 << 11 | 14 << 6 | 30
    raw = header(npts=4, first=4000.0, last=3994.0, date=date, comment=b"KBr pellet")
    path = tmp_path / "ir.SPC"
    path.write_bytes(raw + subheader() + y.tobytes())
    X, axis, info = read_spc(path, metadata=True)
    np.testing.assert_array_equal(X, [y])
    np.testing.assert_array_equal(axis.values, [4000.0, 3998.0, 3996.0, 3994.0])
    assert (axis.quantity, axis.unit) == ("wavenumber", "cm⁻¹")
    assert info["y_units"] == "absorbance" and info["comment"] == "KBr pellet"
    assert info["date"] == "2023-11-05T14:30:00"


@pytest.mark.parametrize(
    ("flags", "code", "shift"), [(0, "<i4", 32), (TSPREC, "<i2", 16)]
)
def test_integer_y_values_are_scaled_by_the_exponent(tmp_path, flags, code, shift):
    exp = 5
    ints = np.array([-7, 0, 12, 1000], dtype=code)
    path = tmp_path / "int.spc"
    raw = header(flags=flags, exp=exp, npts=4, first=1.0, last=4.0, xtype=13)
    path.write_bytes(raw + subheader() + ints.tobytes())
    X, axis = read_spc(path)
    np.testing.assert_allclose(X[0], ints * 2.0 ** (exp - shift))
    assert axis.quantity == "raman_shift"


def test_multifile_with_stored_x_values(tmp_path):
    x = np.array([200.0, 210.5, 230.0], dtype=np.float32)
    ys = np.arange(6, dtype=np.float32).reshape(2, 3)
    raw = header(flags=TMULTI | TXVALS, npts=3, nsub=2, xtype=3) + x.tobytes()
    raw += b"".join(subheader(FLOAT) + row.tobytes() for row in ys)
    path = tmp_path / "multi.spc"
    path.write_bytes(raw)
    X, axis = read_spc(path)
    np.testing.assert_array_equal(X, ys)
    np.testing.assert_array_equal(axis.values, x)
    assert (axis.quantity, axis.unit) == ("wavelength", "nm")


def xyxy_subfile(x, y):
    x, y = np.asarray(x, np.float32), np.asarray(y, np.float32)
    return subheader(FLOAT, x.size) + x.tobytes() + y.tobytes()


def test_xyxy_subfiles_in_sequence_and_through_a_directory(tmp_path):
    x = [10.0, 20.0, 25.0]
    subs = [xyxy_subfile(x, [1, 2, 3]), xyxy_subfile(x, [4, 5, 6])]
    path = tmp_path / "seq.spc"
    path.write_bytes(
        header(flags=TMULTI | TXYXYS, npts=0, nsub=2, xtype=18) + b"".join(subs)
    )
    X, axis = read_spc(path)
    np.testing.assert_array_equal(X, [[1, 2, 3], [4, 5, 6]])
    assert axis.quantity == "two_theta"
    # a directory of (offset, size, time) entries, sub-files stored in reverse order
    directory_at, first_at = 512, 512 + 24
    second_at = first_at + len(subs[1])
    entries = struct.pack("<iif", second_at, len(subs[0]), 0.0)
    entries += struct.pack("<iif", first_at, len(subs[1]), 0.0)
    raw = header(flags=TMULTI | TXYXYS, npts=directory_at, nsub=2) + entries
    path.write_bytes(raw + subs[1] + subs[0])
    X, _ = read_spc(path)
    np.testing.assert_array_equal(X, [[1, 2, 3], [4, 5, 6]])


def test_errors_name_the_file(tmp_path):
    old = tmp_path / "old.spc"
    old.write_bytes(bytes([0, 0x4D]) + bytes(600))
    with pytest.raises(
        ValueError, match=r"old.spc is the old \(pre-1996\) .spc format"
    ):
        read_spc(old)
    other = tmp_path / "gamma.spc"
    other.write_bytes(bytes([1, 2]) + bytes(600))
    with pytest.raises(ValueError, match=r"gamma.spc is no Thermo/Galactic .spc file"):
        read_spc(other)
    cut = tmp_path / "cut.spc"
    cut.write_bytes(header(npts=100, first=1.0, last=2.0) + subheader() + bytes(40))
    with pytest.raises(
        ValueError, match=r"cut.spc: the y values of sub-file 0 \(100 values"
    ):
        read_spc(cut)
    tiny = tmp_path / "tiny.spc"
    tiny.write_bytes(bytes(10))
    with pytest.raises(ValueError, match=r"tiny.spc is not a valid .*10 bytes"):
        read_spc(tiny)
    mixed = tmp_path / "mixed.spc"
    subs = xyxy_subfile([1, 2], [1, 1]) + xyxy_subfile([1, 3], [1, 1])
    mixed.write_bytes(header(flags=TMULTI | TXYXYS, nsub=2) + subs)
    with pytest.raises(ValueError, match=r"mixed.spc: sub-file 1 has other x values"):
        read_spc(mixed)
