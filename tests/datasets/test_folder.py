"""Folders labelled by sub-folder: labels, order, and the common axis."""

from __future__ import annotations

import numpy as np
import pytest

from specauth.axis import SpectralAxis
from specauth.datasets.folder import common_axis, read_folder


def write_xy(path, x, *columns, label="Energy (keV)"):
    rows = [label + " " + " ".join(f"s{i}" for i in range(len(columns)))]
    rows += [
        " ".join(repr(float(v)) for v in row) for row in zip(x, *columns, strict=True)
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(rows) + "\n")


def write_spe(path, counts, offset=1.0, slope=1.0):
    path.parent.mkdir(parents=True, exist_ok=True)
    body = "\n".join(str(int(c)) for c in counts)
    path.write_text(
        f"$DATA:\n0 {len(counts) - 1}\n{body}\n$ENER_FIT:\n{offset} {slope}\n"
    )


@pytest.fixture
def two_axes(tmp_path):
    """Class A: x-y files on 0..20 keV step 0.5; class B: .Spe on 1..16 keV step 1."""
    xa = np.arange(0.0, 20.5, 0.5)
    a1, a2 = np.sin(xa), xa**2
    write_xy(tmp_path / "A" / "1.xy", xa, a1)
    write_xy(tmp_path / "A" / "2.dat", xa, a2)
    b = np.arange(16) * 3 + 1
    write_spe(tmp_path / "B" / "b.Spe", b)
    return tmp_path, xa, [a1, a2], b


def test_two_axes_are_interpolated_like_np_interp(two_axes):
    root, xa, (a1, a2), b = two_axes
    X, y, axis, files = read_folder(root)
    grid = np.arange(1.0, 17.0)  # overlap 1..16 at the coarser step 1
    np.testing.assert_allclose(axis.values, grid)
    assert (axis.quantity, axis.unit) == ("energy", "keV")
    expected = [np.interp(grid, xa, a1), np.interp(grid, xa, a2), b]
    np.testing.assert_allclose(X, np.array(expected, dtype=np.float32), rtol=1e-6)
    assert X.dtype == np.float32
    assert y.tolist() == ["A", "A", "B"]
    assert [f.name for f in files] == ["1.xy", "2.dat", "b.Spe"]


def test_given_axis_is_used(two_axes):
    root, xa, (a1, a2), b = two_axes
    grid = np.array([2.5, 3.0, 7.25])
    X, _, axis, _ = read_folder(root, axis=grid)
    np.testing.assert_allclose(axis.values, grid)
    np.testing.assert_allclose(X[0], np.interp(grid, xa, a1), rtol=1e-6)
    np.testing.assert_allclose(
        X[2], np.interp(grid, np.arange(1.0, 17.0), b), rtol=1e-6
    )
    with pytest.raises(ValueError, match=r"Cannot put .*b.Spe on the requested axis"):
        read_folder(root, axis=SpectralAxis([0.0, 18.0], "energy", "keV"))
    with pytest.raises(ValueError, match="`axis` has quantity 'wavenumber'"):
        read_folder(root, axis=SpectralAxis([2.0, 3.0], "wavenumber"))
    with pytest.raises(ValueError, match="`axis` must be one of 'common'"):
        read_folder(root, axis="overlap")


def test_same_axis_is_kept_and_several_spectra_per_file(tmp_path):
    x = np.linspace(100.0, 200.0, 6)
    write_xy(tmp_path / "k" / "m.xy", x, x, 2 * x, label="wavenumber (cm-1)")
    write_xy(tmp_path / "j" / "s.xy", x, -x, label="wavenumber (cm-1)")
    X, y, axis, files = read_folder(tmp_path, pattern="*.xy")
    np.testing.assert_array_equal(X, np.array([-x, x, 2 * x], dtype=np.float32))
    assert y.tolist() == ["j", "k", "k"]
    assert [f.name for f in files] == ["s.xy", "m.xy", "m.xy"]
    np.testing.assert_array_equal(axis.values, x)


def test_files_without_axis_are_on_channels(tmp_path):
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        np.save(tmp_path / name / "x.npy", np.ones((2, 5)))
    X, y, axis, _ = read_folder(tmp_path)
    assert X.shape == (4, 5) and axis.quantity == "channel"


def test_channels_of_different_lengths_are_refused(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    np.save(tmp_path / "a" / "x.npy", np.ones((1, 5)))
    np.save(tmp_path / "b" / "y.npy", np.ones((1, 6)))
    with pytest.raises(ValueError, match=r"x.npy and .*y.npy have no calibrated axis"):
        read_folder(tmp_path)
    X, _, axis, _ = read_folder(tmp_path, axis=SpectralAxis.channels(4))
    assert X.shape == (2, 4)


def test_hidden_and_unknown_files(two_axes):
    root, *_ = two_axes
    (root / "A" / ".hidden.xy").write_text("junk")
    (root / ".git").mkdir()
    (root / ".git" / "x.xy").write_text("junk")
    (root / "README.md").write_text("top-level files are ignored")
    (root / "B" / "notes.doc").write_text("?")
    with pytest.warns(UserWarning, match=r"skipped 1 file.*notes.doc"):
        X, y, _, _ = read_folder(root)
    assert y.tolist() == ["A", "A", "B"]


def test_mixed_quantities_name_two_files(two_axes):
    root, xa, (a1, _), _ = two_axes
    write_xy(root / "C" / "ir.xy", xa, a1, label="wavenumber (cm-1)")
    with pytest.raises(
        ValueError, match=r"1.xy is on energy \(keV\) but .*ir.xy is on"
    ):
        read_folder(root)


def test_folder_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="No such folder"):
        read_folder(tmp_path / "missing")
    with pytest.raises(TypeError, match="`folder` must be a str"):
        read_folder(3)  # type: ignore[arg-type]
    (tmp_path / "loose.xy").write_text("1 2\n")
    with pytest.raises(ValueError, match="holds no sub-folders"):
        read_folder(tmp_path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match=r"sub-folder .*empty holds no spectrum file"):
        read_folder(tmp_path)
    with pytest.raises(ValueError, match="`method` must be one of"):
        read_folder(tmp_path, method="spline")


def test_disjoint_axes_are_refused(tmp_path):
    write_xy(tmp_path / "A" / "a.xy", [0.0, 1.0, 2.0], [1, 2, 3])
    write_xy(tmp_path / "B" / "b.xy", [5.0, 6.0, 7.0], [1, 2, 3])
    with pytest.raises(ValueError, match=r"barely overlap: .*b.xy starts at 5"):
        read_folder(tmp_path)


def test_common_axis_keeps_direction_and_coarsest_step():
    a = SpectralAxis(np.arange(4000.0, 399.0, -2.0), "wavenumber")
    b = SpectralAxis(np.arange(3000.0, 999.0, -4.0), "wavenumber")
    common = common_axis([a, b])
    assert not common.increasing
    np.testing.assert_allclose(common.values, np.arange(3000.0, 999.0, -4.0))
    assert common_axis([a, a]) is a


def test_verbose_prints_progress(two_axes, capsys):
    root, *_ = two_axes
    read_folder(root, verbose=2)
    out = capsys.readouterr().out
    assert (
        out.count("read_folder: ") == 4 and "3 spectra from 3 files in 2 classes" in out
    )
