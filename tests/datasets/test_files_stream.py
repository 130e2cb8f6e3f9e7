"""``iter_spectra`` streams Fortran-ordered ``.npy`` and ``.npz`` members too.

Neither layout may be loaded whole (``np.load`` is refused) nor memory-mapped:
values must equal the array written, chunk by chunk, and the reads must stay
within one block of rows.
"""

from __future__ import annotations

import zipfile

import numpy as np
import pytest

from specauth.datasets.files import iter_spectra, read_spectra


@pytest.fixture
def X():
    rng = np.random.default_rng(3)
    return rng.random((13, 7)).astype(np.float32)


def _refuse_np_load(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("np.load called: the array was loaded whole or mapped")

    monkeypatch.setattr(np, "load", refuse)


@pytest.mark.parametrize("batch_size", [1, 4, 13, 50])
def test_fortran_npy_streams_without_a_map(tmp_path, X, batch_size, monkeypatch):
    path = tmp_path / "f.npy"
    np.save(path, np.asfortranarray(X))
    assert np.load(path).flags.f_contiguous  # the file really is Fortran-ordered
    _refuse_np_load(monkeypatch)
    chunks = list(iter_spectra(path, batch_size=batch_size))
    assert [len(c) for c in chunks] == [
        min(batch_size, 13 - s) for s in range(0, 13, batch_size)
    ]
    assert all(c.dtype == np.float32 and c.flags.c_contiguous for c in chunks)
    np.testing.assert_array_equal(np.concatenate(chunks), X)


@pytest.mark.parametrize("dtype", [np.float64, ">f4", np.int16])
def test_fortran_npy_multichannel_and_dtypes(tmp_path, dtype, monkeypatch):
    values = (np.arange(5 * 4 * 3).reshape(5, 4, 3) * 1.5).astype(dtype)
    np.save(tmp_path / "f.npy", np.asfortranarray(values))
    _refuse_np_load(monkeypatch)
    chunks = list(iter_spectra(tmp_path / "f.npy", batch_size=2, allow_nd=True))
    assert [c.shape for c in chunks] == [(2, 4, 3), (2, 4, 3), (1, 4, 3)]
    np.testing.assert_array_equal(np.concatenate(chunks), values.astype(np.float32))


def test_truncated_fortran_npy(tmp_path, X):
    path = tmp_path / "f.npy"
    np.save(path, np.asfortranarray(X))
    data = path.read_bytes()
    path.write_bytes(data[:-8])  # the last column loses its last two values
    stream = iter_spectra(path, batch_size=5)
    np.testing.assert_array_equal(next(stream), X[:5])
    next(stream)
    with pytest.raises(ValueError, match=r"is truncated.*before row 10"):
        next(stream)


def _reads_of_member(monkeypatch):
    sizes = []
    original = zipfile.ZipExtFile.read

    def spy(self, n=-1):
        sizes.append(n)
        return original(self, n)

    monkeypatch.setattr(zipfile.ZipExtFile, "read", spy)
    return sizes


@pytest.mark.parametrize("save", [np.savez, np.savez_compressed])
def test_npz_member_streams_by_blocks(tmp_path, X, save, monkeypatch):
    path = tmp_path / "x.npz"
    save(path, X=X, other=np.zeros(3))
    _refuse_np_load(monkeypatch)
    sizes = _reads_of_member(monkeypatch)
    chunks = list(iter_spectra(path, batch_size=4))
    assert [len(c) for c in chunks] == [4, 4, 4, 1]
    np.testing.assert_array_equal(np.concatenate(chunks), X)
    block_bytes = 4 * X.shape[1] * X.itemsize  # 112 bytes; the array has 364
    assert sizes.count(block_bytes) == 3  # the three full blocks, one read each
    assert -1 not in sizes and max(sizes) <= block_bytes + 128  # at most a header


def test_npz_named_and_only_member(tmp_path, X, monkeypatch):
    np.savez(tmp_path / "two.npz", X=X, Y=2 * X)
    np.savez(tmp_path / "one.npz", spectra=X)
    expected_y = read_spectra(f"{tmp_path / 'two.npz'}:Y")
    _refuse_np_load(monkeypatch)
    named = list(iter_spectra(f"{tmp_path / 'two.npz'}:Y", batch_size=5))
    np.testing.assert_array_equal(np.concatenate(named), expected_y)
    np.testing.assert_array_equal(np.concatenate(named), 2 * X)
    only = list(iter_spectra(tmp_path / "one.npz", batch_size=5))
    np.testing.assert_array_equal(np.concatenate(only), X)


def test_fortran_npz_member_is_still_read(tmp_path, X):
    np.savez(tmp_path / "f.npz", X=np.asfortranarray(X))
    chunks = list(iter_spectra(tmp_path / "f.npz", batch_size=6))
    assert [len(c) for c in chunks] == [6, 6, 1]
    np.testing.assert_array_equal(np.concatenate(chunks), X)


def test_npz_errors(tmp_path, X):
    np.savez(tmp_path / "x.npz", X=X, Y=X)
    with pytest.raises(ValueError, match="has no array 'Z'"):
        next(iter_spectra(f"{tmp_path / 'x.npz'}:Z"))
    np.savez(tmp_path / "text.npz", X=np.array(["a", "b"]))
    with pytest.raises(ValueError, match="must hold numbers"):
        next(iter_spectra(tmp_path / "text.npz"))
    bad = X.copy()
    bad[9, 1] = np.inf
    np.savez(tmp_path / "inf.npz", X=bad)
    stream = iter_spectra(tmp_path / "inf.npz", batch_size=5)
    next(stream)
    with pytest.raises(ValueError, match=r"rows 5\.\.9.*infinity"):
        next(stream)


def test_corrupt_npz_member_names_the_array(tmp_path, X):
    path = tmp_path / "x.npz"
    np.savez(path, X=X)  # stored, not compressed: the bytes of X are in the file
    data = bytearray(path.read_bytes())
    where = bytes(data).index(X[6].tobytes())
    data[where] ^= 1  # lowest mantissa bit of X[6, 0]: still a finite number
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="Cannot read array 'X' of .*CRC"):
        list(iter_spectra(path, batch_size=4))
