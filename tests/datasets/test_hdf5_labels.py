"""read_labels reads a 1D label dataset of an HDF5 file."""

from __future__ import annotations

import numpy as np
import pytest

from specauth.datasets import read_labels

h5py = pytest.importorskip("h5py")


def test_labels_from_hdf5_datasets(tmp_path):
    path = tmp_path / "run.h5"
    with h5py.File(path, "w") as f:
        f["labels"] = np.array([b"single", b"multiple", b"single"])
        f.create_dataset("group/names", data=["a", "b", "c"], dtype=h5py.string_dtype())
        f["codes"] = np.array([3, 1, 2])
        f["grid"] = np.zeros((3, 2))
    np.testing.assert_array_equal(
        read_labels(path, n_expected=3), ["single", "multiple", "single"]
    )
    np.testing.assert_array_equal(read_labels(f"{path}:/group/names"), ["a", "b", "c"])
    np.testing.assert_array_equal(read_labels(f"{path}:codes"), [3, 1, 2])
    with pytest.raises(ValueError, match=r"one label per sample \(1D\)"):
        read_labels(f"{path}:grid")
    with pytest.raises(ValueError, match=r"no dataset 'nope'.*'/labels'"):
        read_labels(f"{path}:nope")
    with pytest.raises(ValueError, match="holds 3 labels but 4 were expected"):
        read_labels(path, n_expected=4)
