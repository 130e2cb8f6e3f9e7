"""The axis of spectra read from files: header rows, columns, npz keys, HDF5."""

from __future__ import annotations

import numpy as np
import pytest

from specauth.axis import SpectralAxis
from specauth.datasets import iter_spectra, read_labels, read_spectra
from specauth.datasets.files import read_spectra_axis

RNG = np.random.default_rng(0)
WAVENUMBERS = np.linspace(4000.0, 400.0, 61)  # decreasing, as IR files run
SPECTRA = RNG.uniform(0.0, 1.5, size=(60, 61)).round(4)


def _csv(path, rows, header=None):
    lines = [] if header is None else [",".join(header)]
    lines += [",".join(f"{v:g}" for v in row) for row in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_numeric_header_is_the_axis_not_a_spectrum(tmp_path):
    """The reported bug: 60 spectra under a wavenumber header were read as 61
    spectra, and 60 labels were refused ("holds 60 labels but 61 were
    expected")."""
    x = _csv(tmp_path / "X.csv", SPECTRA, header=[f"{w:g}" for w in WAVENUMBERS])
    y = tmp_path / "y.csv"
    y.write_text("\n".join(["arabica", "robusta"] * 30) + "\n")
    X = read_spectra(x)
    assert X.shape == (60, 61)
    np.testing.assert_allclose(X, SPECTRA, rtol=1e-6)
    assert read_labels(y, n_expected=len(X)).shape == (60,)
    X2, axis = read_spectra_axis(x)
    np.testing.assert_array_equal(X2, X)
    np.testing.assert_allclose(axis.values, WAVENUMBERS)
    streamed = np.concatenate(list(iter_spectra(x, batch_size=7)))
    np.testing.assert_array_equal(streamed, X)


def test_named_header_and_sample_column(tmp_path):
    header = ["wavenumber (cm-1)", *[f"{w:g}" for w in WAVENUMBERS]]
    lines = [",".join(header)]
    lines += [
        f"s{i}," + ",".join(f"{v:g}" for v in row) for i, row in enumerate(SPECTRA)
    ]
    path = tmp_path / "ir.csv"
    path.write_text("\n".join(lines) + "\n")
    X, axis = read_spectra_axis(path)
    np.testing.assert_allclose(X, SPECTRA, rtol=1e-6)
    assert axis.quantity == "wavenumber" and axis.unit == "cm⁻¹"
    assert axis.label == "wavenumber (cm⁻¹)" and axis.decreasing_display
    streamed = np.concatenate(list(iter_spectra(path, batch_size=16)))
    np.testing.assert_array_equal(streamed, X)


def test_pandas_csv_with_index_column(tmp_path):
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(SPECTRA, columns=WAVENUMBERS)
    path = tmp_path / "frame.csv"
    frame.to_csv(path)  # header ",4000.0,3940.0,..." and an index column
    X, axis = read_spectra_axis(path)
    np.testing.assert_allclose(X, SPECTRA, rtol=1e-6)
    np.testing.assert_allclose(axis.values, WAVENUMBERS)


def test_spectra_in_columns(tmp_path):
    path = tmp_path / "columns.txt"
    lines = ["2theta\tA\tB\tC"]
    two_theta = np.linspace(10.0, 80.0, 40)
    data = RNG.uniform(0, 100, size=(40, 3)).round(2)
    lines += [
        "\t".join(f"{v:g}" for v in (t, *row))
        for t, row in zip(two_theta, data, strict=True)
    ]
    path.write_text("\n".join(lines) + "\n")
    X, axis = read_spectra_axis(path)
    assert X.shape == (3, 40)
    np.testing.assert_allclose(X, data.T, rtol=1e-6)
    assert axis.quantity == "two_theta" and axis.label == "2θ (°)"
    np.testing.assert_allclose(axis.values, two_theta, rtol=1e-5)
    # streaming reads a column file whole, with the same result
    np.testing.assert_array_equal(np.concatenate(list(iter_spectra(path))), X)


def test_headerless_columns_inferred_and_forced(tmp_path):
    x = np.linspace(100.0, 200.0, 30)
    y = np.sin(x / 7.0)
    path = tmp_path / "xy.csv"
    path.write_text("\n".join(f"{a:g},{b:g}" for a, b in zip(x, y, strict=True)) + "\n")
    X, axis = read_spectra_axis(path)
    assert X.shape == (1, 30)
    np.testing.assert_allclose(axis.values, x, rtol=1e-5)
    assert read_spectra(path, orientation="rows").shape == (30, 2)
    with pytest.raises(ValueError, match="orientation"):
        read_spectra(path, orientation="sideways")


def test_monotonic_rows_everywhere_stay_data(tmp_path):
    path = tmp_path / "ramp.csv"
    path.write_text("1,2.5,3\n4,5,6.25\n")
    X, axis = read_spectra_axis(path)
    assert X.shape == (2, 3) and axis is None


def test_text_header_still_skipped_without_axis(tmp_path):
    path = tmp_path / "named.csv"
    path.write_text("a,b,c\n1,5,3\n4,2,6\n")
    X, axis = read_spectra_axis(path)
    assert X.shape == (2, 3) and axis is None


def test_header_length_mismatch_is_named(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("wavenumber,1,2,3\ns,0.5,0.1\n")
    with pytest.raises(ValueError, match="bad.csv"):
        read_spectra_axis(path)


def test_npz_axis_key_and_label(tmp_path):
    energies = np.linspace(30.0, 3000.0, 61)
    path = tmp_path / "gamma.npz"
    np.savez(
        path, spectra=SPECTRA, energy=energies, axis_label=np.array("energy (keV)")
    )
    X, axis = read_spectra_axis(path)
    np.testing.assert_array_equal(X, SPECTRA.astype(np.float32))
    assert axis.quantity == "energy" and axis.unit == "keV"
    np.testing.assert_allclose(axis.values, energies)
    np.testing.assert_array_equal(read_spectra(path), X)  # axis not read as X
    # an array of another length is not this spectra's axis
    np.savez(tmp_path / "other.npz", X=SPECTRA, energy=energies[:-1])
    assert read_spectra_axis(tmp_path / "other.npz")[1] is None


def test_hdf5_dimension_scale_attribute_and_sibling(tmp_path):
    h5py = pytest.importorskip("h5py")
    wavelengths = np.linspace(900.0, 1700.0, 61)
    path = tmp_path / "scale.h5"
    with h5py.File(path, "w") as f:
        f["spectra"] = SPECTRA
        f["wl"] = wavelengths
        f["wl"].attrs["units"] = "nm"
        f["wl"].make_scale("wavelength")
        f["spectra"].dims[1].attach_scale(f["wl"])
    X, axis = read_spectra_axis(f"{path}:/spectra")
    np.testing.assert_allclose(X, SPECTRA, rtol=1e-6)
    assert axis.quantity == "wavelength" and axis.unit == "nm"
    np.testing.assert_allclose(axis.values, wavelengths)

    path2 = tmp_path / "sibling.h5"
    with h5py.File(path2, "w") as f:
        f["group/X"] = SPECTRA
        f["group/wavenumber"] = WAVENUMBERS
    X, axis = read_spectra_axis(path2)  # the axis dataset is not taken as spectra
    assert X.shape == (60, 61) and axis.quantity == "wavenumber"

    path3 = tmp_path / "attr.h5"
    with h5py.File(path3, "w") as f:
        f["X"] = SPECTRA
        f["X"].attrs["two_theta"] = np.linspace(5.0, 65.0, 61)
    _, axis = read_spectra_axis(path3)
    assert axis.label == "2θ (°)"


def test_npy_has_no_axis(tmp_path):
    np.save(tmp_path / "X.npy", SPECTRA)
    X, axis = read_spectra_axis(tmp_path / "X.npy")
    assert axis is None and X.shape == SPECTRA.shape


def test_verbose_says_how_the_file_was_read(tmp_path, capsys):
    x = _csv(tmp_path / "X.csv", SPECTRA, header=[f"{w:g}" for w in WAVENUMBERS])
    read_spectra_axis(x, verbose=1)
    out = capsys.readouterr().out
    assert "spectra in rows" in out and "header row" in out and "61 points" in out


def test_axis_object_round_trip():
    axis = SpectralAxis(WAVENUMBERS, "wavenumber", "cm-1")
    again = SpectralAxis.from_dict(axis.to_dict())
    assert again.same_as(axis) and again.label == axis.label
    assert axis.mismatch(again) is None
    shifted = axis.with_values(WAVENUMBERS + 10.0)
    assert "instead of" in axis.mismatch(shifted)


def test_read_axis_alone_matches_read_spectra_axis(tmp_path):
    from specauth.datasets.files import read_axis

    h5py = pytest.importorskip("h5py")
    header = ["wavenumber (cm-1)", *[f"{w:g}" for w in WAVENUMBERS]]
    lines = [",".join(header)]
    lines += [
        f"s{i}," + ",".join(f"{v:g}" for v in row) for i, row in enumerate(SPECTRA)
    ]
    (tmp_path / "a.csv").write_text("\n".join(lines) + "\n")
    np.savez(tmp_path / "b.npz", X=SPECTRA, energy=np.linspace(1.0, 9.0, 61))
    with h5py.File(tmp_path / "c.h5", "w") as f:
        f["X"] = SPECTRA
        f["wavelength"] = np.linspace(900.0, 1700.0, 61)
    for name in ("a.csv", "b.npz", "c.h5"):
        alone = read_axis(tmp_path / name)
        assert alone.same_as(read_spectra_axis(tmp_path / name)[1]), name
    np.save(tmp_path / "d.npy", SPECTRA)
    assert read_axis(tmp_path / "d.npy") is None
