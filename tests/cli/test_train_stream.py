"""``specauth train`` on an HDF5 dataset of 2D patterns: streamed, then
``predict --out FILE.h5``; bad input named."""

from __future__ import annotations

import numpy as np
import pytest

from specauth.cli.main import main
from specauth.datasets import make_diffraction_patterns
from specauth.hub import load_pretrained

h5py = pytest.importorskip("h5py")

QUICK = ["--epochs", "2", "--batch-size", "16", "--quiet", "--seed", "0"]


@pytest.fixture(scope="module")
def patterns(tmp_path_factory):
    folder = tmp_path_factory.mktemp("stream_cli")
    data = make_diffraction_patterns(48, shape=(32, 32), random_state=0)
    path = folder / "run.h5"
    with h5py.File(path, "w") as f:
        f.create_dataset("patterns", data=np.log1p(data.X * 1e4), chunks=(8, 32, 32))
        f["labels"] = data.y.astype("S")
    (folder / "labels.csv").write_text("\n".join(data.y) + "\n")
    return folder, path, data


def test_train_streams_patterns_and_predict_writes_hdf5(patterns, capsys):
    folder, path, data = patterns
    model = folder / "m"
    args = ["train", "--x", f"{path}:patterns", "--y", f"{path}:labels"]
    assert main([*args, "--out", str(model), "--detector", "none", *QUICK]) == 0
    out = capsys.readouterr().out
    assert "streamed from" in out and "resnet2d" in out
    clf = load_pretrained(model)
    assert clf.model == "resnet2d" and clf.input_shape_ == (32, 32, 1)
    pred = folder / "p.h5"
    assert (
        main(["predict", str(model), "--x", f"{path}:patterns", "--out", str(pred)])
        == 0
    )
    with h5py.File(pred) as f:
        labels = f["predictions/label"][()].astype(str)
        proba = f["predictions/proba"][()]
    with h5py.File(path) as f:
        X = f["patterns"][()]
    np.testing.assert_array_equal(labels, clf.predict(X))
    np.testing.assert_allclose(proba, clf.predict_proba(X), rtol=1e-5, atol=1e-6)
    # labels from a text file work the same
    args = ["train", "--x", f"{path}:patterns", "--y", str(folder / "labels.csv")]
    assert main([*args, "--out", str(folder / "m2"), "--detector", "none", *QUICK]) == 0


def test_stream_bad_labels_are_named(patterns, capsys):
    folder, path, data = patterns
    short = folder / "short.csv"
    short.write_text("\n".join(data.y[:10]) + "\n")
    args = [
        "train",
        "--x",
        f"{path}:patterns",
        "--y",
        str(short),
        "--out",
        str(folder / "x"),
    ]
    assert main([*args, *QUICK]) != 0
    assert "holds 10 labels but 48 were expected" in capsys.readouterr().err
    args = ["train", "--x", f"{path}:patterns", "--out", str(folder / "y")]
    assert main([*args, *QUICK]) != 0
    assert "--y is required" in capsys.readouterr().err


def test_train_stream_open_set_writes_detector_scores(patterns, capsys):
    folder, path, data = patterns
    model = folder / "open"
    args = ["train", "--x", f"{path}:patterns", "--y", f"{path}:labels"]
    recipe = ["--log-activation", "--augment"]
    assert main([*args, "--out", str(model), "--alpha", "0.1", *recipe, *QUICK]) == 0
    out = capsys.readouterr().out
    assert "KNNDetector rejecting alpha=0.1" in out
    osc = load_pretrained(model)
    assert type(osc).__name__ == "OpenSetClassifier"
    params = osc.classifier_.get_params()
    assert params["model__log_activation"] and params["model__augment"]
    layers = [type(layer).__name__ for layer in osc.classifier_.network_.layers]
    assert "LogActivation" in layers and "PatternAugmentation" in layers
    with h5py.File(path) as f:
        X = f["patterns"][()]
    # the detector saw the network's embedding of every training pattern
    assert osc.detector_.calibration_scores_.size == len(X)
    pred = folder / "open.h5"
    assert (
        main(["predict", str(model), "--x", f"{path}:patterns", "--out", str(pred)])
        == 0
    )
    with h5py.File(pred) as f:
        labels = f["predictions/label"][()].astype(str)
        scores = f["predictions/score"][()]
    np.testing.assert_array_equal(labels, osc.predict(X))
    np.testing.assert_allclose(scores, osc.score_samples(X), rtol=1e-4, atol=1e-5)
    calibration = osc.detector_.calibration_scores_
    rejected = np.mean(calibration < osc.detector_.threshold_)
    assert rejected == pytest.approx(0.1, abs=1 / len(X))
