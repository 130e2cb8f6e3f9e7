"""Patterns where spectra are expected and spectra where patterns are: one
clear message each; labels may come from any HDF5 file."""

from __future__ import annotations

import numpy as np
import pytest

from specauth.cli.main import main
from specauth.datasets import make_diffraction_patterns
from specauth.estimators import CNNClassifier

h5py = pytest.importorskip("h5py")

QUICK = ["--epochs", "1", "--batch-size", "8", "--quiet", "--detector", "none"]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pattern_inputs")
    rng = np.random.default_rng(0)
    with h5py.File(folder / "spectra.h5", "w") as f:
        f["spectra"] = rng.random((16, 40)).astype(np.float32) + 0.1
        f["labels"] = np.array([b"a", b"b"] * 8)
    data = make_diffraction_patterns(16, shape=(24, 24), random_state=0)
    with h5py.File(folder / "patterns.h5", "w") as f:
        f["patterns"] = np.log1p(data.X * 1e4)
    with h5py.File(folder / "labels.h5", "w") as f:
        f["kind"] = data.y.astype("S")
    return folder


def test_a_pattern_network_refuses_spectra_with_the_shapes():
    X = np.random.default_rng(0).random((10, 64))
    with pytest.raises(ValueError, match=r"'resnet2d'` takes 2D patterns.*\(64,\)"):
        CNNClassifier("resnet2d", epochs=1).fit(X, ["a", "b"] * 5)


def test_cli_spectra_with_hdf5_labels_and_a_pattern_model(files, capsys):
    spectra = files / "spectra.h5"
    args = ["train", "--x", f"{spectra}:spectra", "--y", f"{spectra}:labels"]
    assert main([*args, "--out", str(files / "m1"), *QUICK]) == 0
    assert "trained on 16 spectra of 40 points" in capsys.readouterr().out
    code = main([*args, "--out", str(files / "m2"), "--model", "resnet2d", *QUICK])
    assert code != 0
    err = capsys.readouterr().err
    assert "takes 2D patterns" in err and "(40,)" in err
    assert not (files / "m2").exists()


def test_cli_stream_labels_from_another_hdf5_file(files, capsys):
    patterns = files / "patterns.h5"
    args = ["train", "--x", f"{patterns}:patterns", "--y", f"{files}/labels.h5:kind"]
    assert main([*args, "--out", str(files / "m3"), *QUICK]) == 0
    assert "trained on 16 patterns of shape (24, 24, 1)" in capsys.readouterr().out
