"""Streaming reader ``iter_spectra``: same values as ``read_spectra``, by chunks."""

from __future__ import annotations

import numpy as np
import pytest

from specauth.datasets.files import iter_spectra, read_spectra

h5py = pytest.importorskip("h5py")


@pytest.fixture
def X():
    rng = np.random.default_rng(0)
    return rng.random((11, 6)).astype(np.float32)


def _write(folder, X, suffix):
    path = folder / f"X{suffix}"
    if suffix == ".npy":
        np.save(path, X)
    elif suffix == ".npz":
        np.savez(path, X=X)
    elif suffix == ".h5":
        with h5py.File(path, "w") as handle:
            handle.create_dataset("group/spectra", data=X)
    else:
        delimiter = "\t" if suffix == ".tsv" else ","
        header = delimiter.join(f"c{i}" for i in range(X.shape[1]))
        np.savetxt(path, X, delimiter=delimiter, header=header, comments="")
    return path


@pytest.mark.parametrize("suffix", [".npy", ".npz", ".h5", ".csv", ".tsv"])
@pytest.mark.parametrize("batch_size", [1, 4, 11, 50])
def test_chunks_concatenate_to_read_spectra(tmp_path, X, suffix, batch_size):
    path = _write(tmp_path, X, suffix)
    chunks = list(iter_spectra(path, batch_size=batch_size))
    expected_sizes = [min(batch_size, 11 - s) for s in range(0, 11, batch_size)]
    if suffix in (".csv", ".tsv"):  # the header line sits in the first block
        assert sum(len(c) for c in chunks) == 11
    else:
        assert [len(c) for c in chunks] == expected_sizes
    assert all(c.dtype == np.float32 and c.ndim == 2 for c in chunks)
    np.testing.assert_allclose(np.concatenate(chunks), X, rtol=1e-6)
    np.testing.assert_array_equal(np.concatenate(chunks), read_spectra(path))


def test_whitespace_text_and_comments(tmp_path):
    path = tmp_path / "x.txt"
    path.write_text("# comment\n1 2 3\n\n4 5 6\n# end\n7 8 9\n")
    chunks = list(iter_spectra(path, batch_size=2))
    assert [c.tolist() for c in chunks] == [[[1, 2, 3], [4, 5, 6]], [[7, 8, 9]]]


def test_npy_is_read_by_blocks_not_loaded_whole(tmp_path, X, monkeypatch):
    path = _write(tmp_path, X, ".npy")
    counts = []
    original = np.fromfile

    def spy(*args, **kwargs):
        counts.append(kwargs["count"])
        return original(*args, **kwargs)

    monkeypatch.setattr(np, "fromfile", spy)
    chunks = list(iter_spectra(path, batch_size=4))
    assert counts == [4 * 6, 4 * 6, 3 * 6]  # never more than one block of rows
    np.testing.assert_array_equal(np.concatenate(chunks), X)


@pytest.mark.parametrize("dtype", [np.float64, np.int16, ">f4"])
def test_npy_dtypes_and_fortran_order(tmp_path, X, dtype):
    values = (X * 100).astype(dtype)
    np.save(tmp_path / "c.npy", values)
    np.save(tmp_path / "f.npy", np.asfortranarray(values))
    for name in ("c.npy", "f.npy"):
        chunks = list(iter_spectra(tmp_path / name, batch_size=3))
        assert all(c.dtype == np.float32 for c in chunks)
        np.testing.assert_array_equal(np.concatenate(chunks), values.astype(np.float32))


def test_truncated_npy(tmp_path, X):
    path = _write(tmp_path, X, ".npy")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 30])
    with pytest.raises(ValueError, match="is truncated"):
        list(iter_spectra(path, batch_size=4))
    (tmp_path / "junk.npy").write_bytes(b"not a numpy file at all")
    with pytest.raises(ValueError, match="Cannot read .* as a .npy file"):
        next(iter_spectra(tmp_path / "junk.npy"))


def test_hdf5_named_dataset(tmp_path, X):
    path = _write(tmp_path, X, ".h5")
    chunks = list(iter_spectra(f"{path}:/group/spectra", batch_size=5))
    np.testing.assert_array_equal(np.concatenate(chunks), X)


def test_bad_value_in_a_later_csv_chunk_names_the_line(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("a,b\n1,2\n3,4\n5,oops\n")
    stream = iter_spectra(path, batch_size=2)
    assert next(stream).tolist() == [[1, 2]]
    with pytest.raises(ValueError, match=r"line 4, column 2: 'oops' is not a number"):
        next(stream)


def test_ragged_and_nonfinite_csv_rows(tmp_path):
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("1,2\n3,4,5\n")
    with pytest.raises(ValueError, match="line 2: expected 2 values"):
        list(iter_spectra(ragged, batch_size=1))
    nan = tmp_path / "nan.csv"
    nan.write_text("1,2\n3,nan\n")
    with pytest.raises(ValueError, match="line 2, column 2: nan is not a finite"):
        list(iter_spectra(nan))


def test_nan_in_npy_chunk(tmp_path, X):
    X = X.copy()
    X[7, 2] = np.nan
    path = _write(tmp_path, X, ".npy")
    stream = iter_spectra(path, batch_size=5)
    next(stream)
    with pytest.raises(ValueError, match=r"rows 5\.\.9.*NaN"):
        next(stream)


@pytest.mark.parametrize(
    ("content", "message"),
    [("", "no data rows"), ("# only\n", "no data rows"), ("a,b\n", "no data rows")],
)
def test_empty_text_files(tmp_path, content, message):
    path = tmp_path / "e.csv"
    path.write_text(content)
    with pytest.raises(ValueError, match=message):
        list(iter_spectra(path))


def test_bad_arguments(tmp_path, X):
    path = _write(tmp_path, X, ".npy")
    with pytest.raises(
        ValueError, match=r"`batch_size` must be an int in \[1, inf\); got 0"
    ):
        next(iter_spectra(path, batch_size=0))
    with pytest.raises(TypeError, match="`batch_size` must be an int"):
        next(iter_spectra(path, batch_size=2.5))
    with pytest.raises(FileNotFoundError, match="No such spectra file"):
        next(iter_spectra(tmp_path / "missing.npy"))
    with pytest.raises(ValueError, match="unsupported extension '.xls'"):
        next(iter_spectra(tmp_path / "x.xls"))
    np.save(tmp_path / "three.npy", np.zeros((2, 3, 4)))
    with pytest.raises(ValueError, match="dimensions"):
        next(iter_spectra(tmp_path / "three.npy"))
    assert next(iter_spectra(tmp_path / "three.npy", allow_nd=True)).shape == (2, 3, 4)
    np.save(tmp_path / "text.npy", np.array(["a", "b"]))
    with pytest.raises(ValueError, match="must hold numbers"):
        next(iter_spectra(tmp_path / "text.npy"))


def test_one_dimensional_array_is_one_spectrum(tmp_path):
    np.save(tmp_path / "one.npy", np.arange(4.0))
    assert [c.shape for c in iter_spectra(tmp_path / "one.npy")] == [(1, 4)]
