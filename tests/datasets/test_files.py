"""Tests of specauth.datasets.files: read_spectra and read_labels."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from specauth.datasets import read_labels, read_spectra

SPECTRA = np.array([[1.0, 2.5, 3.0], [4.0, 5.0, 6.25]])


# -- read_spectra: binary formats -------------------------------------------


def test_npy_round_trip_and_float32(tmp_path):
    np.save(tmp_path / "x.npy", SPECTRA)  # float64 on disk
    X = read_spectra(tmp_path / "x.npy")
    assert X.dtype == np.float32
    np.testing.assert_array_equal(X, SPECTRA)


def test_npy_single_spectrum_becomes_one_row(tmp_path):
    np.save(tmp_path / "x.npy", np.arange(5))
    np.testing.assert_array_equal(read_spectra(str(tmp_path / "x.npy")), [np.arange(5)])


def test_npy_3d_needs_allow_nd(tmp_path):
    np.save(tmp_path / "x.npy", np.zeros((2, 4, 3)))
    with pytest.raises(ValueError, match="must be a 2D array"):
        read_spectra(tmp_path / "x.npy")
    assert read_spectra(tmp_path / "x.npy", allow_nd=True).shape == (2, 4, 3)


def test_npy_object_array_is_refused(tmp_path):
    np.save(tmp_path / "x.npy", np.array([[1, "a"]], dtype=object))
    with pytest.raises(ValueError, match=r"x.npy.*pickled object arrays"):
        read_spectra(tmp_path / "x.npy")


def test_npy_with_nan_names_the_file(tmp_path):
    np.save(tmp_path / "bad.npy", np.array([[1.0, np.nan]]))
    with pytest.raises(ValueError, match=r"bad.npy` contains NaN"):
        read_spectra(tmp_path / "bad.npy")


def test_npz_key_selection(tmp_path):
    np.savez(tmp_path / "a.npz", X=SPECTRA, y=np.array([0, 1]))
    np.testing.assert_array_equal(read_spectra(tmp_path / "a.npz"), SPECTRA)
    np.savez(tmp_path / "b.npz", spectra=SPECTRA)  # the only array
    np.testing.assert_array_equal(read_spectra(tmp_path / "b.npz"), SPECTRA)
    np.savez(tmp_path / "c.npz", train=SPECTRA, test=2 * SPECTRA)
    np.testing.assert_array_equal(
        read_spectra(f"{tmp_path / 'c.npz'}:test"), 2 * SPECTRA
    )
    with pytest.raises(ValueError, match=r"no array 'X'.*\['train', 'test'\]"):
        read_spectra(tmp_path / "c.npz")


def test_hdf5_single_and_named_datasets(tmp_path):
    h5py = pytest.importorskip("h5py")
    with h5py.File(tmp_path / "one.h5", "w") as handle:
        handle.create_dataset("group/spectra", data=SPECTRA)
    np.testing.assert_array_equal(read_spectra(tmp_path / "one.h5"), SPECTRA)
    with h5py.File(tmp_path / "two.hdf5", "w") as handle:
        handle.create_dataset("a", data=SPECTRA)
        handle.create_dataset("b/c", data=3 * SPECTRA)
    named = read_spectra(f"{tmp_path / 'two.hdf5'}:/b/c")
    np.testing.assert_array_equal(named, 3 * SPECTRA)
    with pytest.raises(ValueError, match=r"holds 2 datasets \['/a', '/b/c'\]"):
        read_spectra(tmp_path / "two.hdf5")
    with pytest.raises(ValueError, match="has no dataset '/missing'"):
        read_spectra(f"{tmp_path / 'two.hdf5'}:/missing")


def test_hdf5_without_h5py_names_the_package(tmp_path, monkeypatch):
    (tmp_path / "x.h5").write_bytes(b"not really hdf5")
    monkeypatch.setitem(sys.modules, "h5py", None)  # makes `import h5py` fail
    with pytest.raises(ImportError, match=r"pip install h5py"):
        read_spectra(tmp_path / "x.h5")


# -- read_spectra: text formats ----------------------------------------------


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("x.csv", "1,2.5,3\n4,5,6.25\n"),
        ("x.csv", "e1, e2, e3\n1, 2.5, 3\n4, 5, 6.25\n"),  # header, spaces
        ("x.tsv", "a\tb\tc\n1\t2.5\t3\n4\t5\t6.25\n"),
        ("x.txt", "# comment\n1 2.5   3\n\n4 5 6.25\n"),
        ("x.csv", '"1","2.5","3"\r\n4,5,6.25\r\n'),  # quoted, Windows ends
    ],
)
def test_text_formats(tmp_path, name, text):
    (tmp_path / name).write_text(text, newline="")
    X = read_spectra(tmp_path / name)
    assert X.dtype == np.float32
    np.testing.assert_array_equal(X, SPECTRA)


def test_ragged_csv_gives_the_line(tmp_path):
    (tmp_path / "x.csv").write_text("1,2,3\n4,5,6\n7,8\n")
    with pytest.raises(ValueError, match=r"x.csv, line 3: expected 3 values.*got 2"):
        read_spectra(tmp_path / "x.csv")


def test_non_numeric_value_gives_line_and_column(tmp_path):
    (tmp_path / "x.csv").write_text("a,b,c\n1,2,3\n4,oops,6\n")
    with pytest.raises(ValueError, match=r"x.csv, line 3, column 2: 'oops'"):
        read_spectra(tmp_path / "x.csv")


def test_nan_in_text_is_refused(tmp_path):
    (tmp_path / "x.csv").write_text("1,2,3\n4,nan,6\n")
    with pytest.raises(ValueError, match=r"x.csv, line 2, column 2.*not a finite"):
        read_spectra(tmp_path / "x.csv")


def test_empty_file_is_refused(tmp_path):
    (tmp_path / "x.csv").write_text("\n# nothing\n")
    with pytest.raises(ValueError, match="holds no data"):
        read_spectra(tmp_path / "x.csv")


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.npy"):
        read_spectra(tmp_path / "nope.npy")


def test_unknown_extension_lists_the_supported_ones(tmp_path):
    (tmp_path / "x.xlsx").write_text("1,2\n")
    with pytest.raises(ValueError, match=r"'\.xlsx'; supported: \.npy, \.npz, \.csv"):
        read_spectra(tmp_path / "x.xlsx")


def test_path_of_wrong_type():
    with pytest.raises(TypeError, match="`path` must be a str or path-like"):
        read_spectra(3)


# -- read_labels ------------------------------------------------------------


def test_labels_without_header(tmp_path):
    (tmp_path / "y.txt").write_text("Steel\nCoal and Coke\nSteel\n")
    labels = read_labels(tmp_path / "y.txt", n_expected=3)
    assert labels.tolist() == ["Steel", "Coal and Coke", "Steel"]
    assert labels.dtype.kind == "U"


def test_labels_header_word_is_skipped(tmp_path):
    (tmp_path / "y.csv").write_text("Label\n1\n2\n")
    assert read_labels(tmp_path / "y.csv").tolist() == ["1", "2"]  # kept as str


def test_labels_header_word_that_is_also_a_label_is_kept(tmp_path):
    (tmp_path / "y.csv").write_text("class\nclass\nother\n")
    assert read_labels(tmp_path / "y.csv").tolist() == ["class", "class", "other"]


def test_labels_header_inferred_from_n_expected(tmp_path):
    (tmp_path / "y.csv").write_text("0\nSteel\nGlass\n")  # as pandas writes it
    assert read_labels(tmp_path / "y.csv", n_expected=2).tolist() == ["Steel", "Glass"]


def test_labels_header_false_keeps_the_first_line(tmp_path):
    (tmp_path / "y.csv").write_text("label\nSteel\n")
    assert read_labels(tmp_path / "y.csv", header=False).tolist() == ["label", "Steel"]


def test_quoted_labels_with_commas(tmp_path):
    (tmp_path / "y.csv").write_text('"Coal, coke"\nSteel\n')
    assert read_labels(tmp_path / "y.csv").tolist() == ["Coal, coke", "Steel"]


def test_labels_with_two_fields_are_refused(tmp_path):
    (tmp_path / "y.csv").write_text("Steel\nCoal,Coke\n")
    with pytest.raises(ValueError, match=r"y.csv, line 2: expected one label per line"):
        read_labels(tmp_path / "y.csv")


def test_labels_length_mismatch_says_both_lengths(tmp_path):
    (tmp_path / "y.txt").write_text("a\nb\nc\nd\n")
    with pytest.raises(ValueError, match="holds 4 labels but 2 were expected"):
        read_labels(tmp_path / "y.txt", n_expected=2)


def test_npy_labels(tmp_path):
    np.save(tmp_path / "y.npy", np.array([3, 1, 3]))
    np.testing.assert_array_equal(
        read_labels(tmp_path / "y.npy", n_expected=3), [3, 1, 3]
    )
    np.save(tmp_path / "col.npy", np.array([["a"], ["b"]]))
    assert read_labels(tmp_path / "col.npy").tolist() == ["a", "b"]
    np.save(tmp_path / "bad.npy", np.zeros((2, 2)))
    with pytest.raises(ValueError, match=r"1D array of labels; got shape \(2, 2\)"):
        read_labels(tmp_path / "bad.npy")


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (
            {"n_expected": -1},
            ValueError,
            r"`n_expected` must be an int in \[0, inf\) or None; got -1",
        ),
        (
            {"n_expected": 2.0},
            TypeError,
            r"`n_expected` must be an int in \[0, inf\) or None",
        ),
        ({"header": "yes"}, ValueError, "`header` must be 'infer', True or False"),
    ],
)
def test_bad_label_arguments(tmp_path, kwargs, error, match):
    (tmp_path / "y.txt").write_text("a\nb\n")
    with pytest.raises(error, match=match):
        read_labels(tmp_path / "y.txt", **kwargs)


def test_labels_unsupported_extension(tmp_path):
    (tmp_path / "y.json").write_text("[]")
    with pytest.raises(ValueError, match=r"supported: \.csv, \.tsv, \.txt, \.npy"):
        read_labels(tmp_path / "y.json")
