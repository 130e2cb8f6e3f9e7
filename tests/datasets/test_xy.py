"""Round trips of x-y column text files, checked against numpy's own parsing."""

from __future__ import annotations

import numpy as np
import pytest

from specauth.datasets.instrument import INSTRUMENT_SUFFIXES, read_instrument_file
from specauth.datasets.xy import read_xy


@pytest.mark.parametrize(
    ("name", "sep", "header", "expected"),
    [
        ("a.xy", " ", "wavenumber (cm-1) absorbance", ("wavenumber", "cm⁻¹")),
        ("b.csv", ",", "Energy [keV],counts", ("energy", "keV")),
        ("c.dat", "\t", "2theta\tintensity", ("two_theta", "°")),
        ("d.txt", "  ", "Wavelength / nm  T", ("wavelength", "nm")),
        ("e.xy", " ", None, (None, None)),
        ("f.xy", ",", "x,y", (None, None)),
    ],
)
def test_round_trip_matches_numpy(tmp_path, name, sep, header, expected):
    x = np.linspace(400.0, 410.0, 11)
    y = np.cos(x)
    lines = ["# written by a test", *([header] if header else [])]
    lines += [f"{float(a)!r}{sep}{float(b)!r}" for a, b in zip(x, y, strict=True)]
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    X, axis = read_xy(path)
    reference = np.loadtxt(
        path, delimiter=sep.strip() or None, skiprows=2 if header else 1
    )
    np.testing.assert_array_equal(axis.values, reference[:, 0])
    np.testing.assert_array_equal(X, reference[:, 1:].T.astype(np.float32))
    assert (axis.quantity, axis.unit) == expected


def test_several_spectra_and_decreasing_axis(tmp_path):
    table = np.column_stack([np.arange(4000.0, 3990.0, -1.0), np.eye(10)[:, :3]])
    path = tmp_path / "ir.dat"
    np.savetxt(
        path, table, delimiter=",", header="wavenumber (cm-1),a,b,c", comments=""
    )
    X, axis = read_xy(path)
    assert X.shape == (3, 10) and X.dtype == np.float32
    np.testing.assert_array_equal(X, table[:, 1:].T)
    assert not axis.increasing and axis.quantity == "wavenumber"


def test_dispatch_by_suffix(tmp_path):
    path = tmp_path / "s.XY"
    path.write_text("1 2\n2 3\n")
    X, axis = read_instrument_file(path)
    np.testing.assert_array_equal(X, [[2, 3]])
    assert set(INSTRUMENT_SUFFIXES) >= {
        ".jdx",
        ".spe",
        ".chn",
        ".cnf",
        ".spc",
        ".xy",
        ".dat",
    }
    with pytest.raises(ValueError, match=r"unsupported extension '.mca'"):
        read_instrument_file(tmp_path / "s.mca")


def test_errors_name_file_and_line(tmp_path):
    one = tmp_path / "one.xy"
    one.write_text("1\n2\n")
    with pytest.raises(ValueError, match=r"one.xy, line 1: expected at least two"):
        read_xy(one)
    ragged = tmp_path / "ragged.xy"
    ragged.write_text("1 2\n2 3 4\n")
    with pytest.raises(ValueError, match=r"ragged.xy, line 2"):
        read_xy(ragged)
    word = tmp_path / "word.xy"
    word.write_text("1 2\n2 oops\n")
    with pytest.raises(ValueError, match=r"word.xy, line 2, column 2: 'oops'"):
        read_xy(word)
    unsorted = tmp_path / "unsorted.xy"
    unsorted.write_text("x y\n1 2\n2 3\n2 4\n3 5\n")
    with pytest.raises(ValueError, match=r"unsorted.xy, line 4: the x values"):
        read_xy(unsorted)
    with pytest.raises(FileNotFoundError, match="nope.xy"):
        read_xy(tmp_path / "nope.xy")
