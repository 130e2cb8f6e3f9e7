"""The ``specauth`` command line on the 2D path: pretrained base + imaging."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from specauth.cli.main import main
from specauth.datasets import make_spectra
from specauth.hub import load_pretrained
from tests.conftest import SHARED

WEIGHTS = SHARED / "weights" / "mobilenet_v2_imagenet_notop.weights.h5"


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli2d")
    data = make_spectra(n_classes=2, n_samples_per_class=8, length=64, random_state=3)
    np.save(folder / "X.npy", data.X)
    (folder / "y.csv").write_text("\n".join(data.y) + "\n")
    return folder, data


@pytest.mark.skipif(not WEIGHTS.is_file(), reason=f"needs {WEIGHTS}")
@pytest.mark.slow
def test_train_and_predict_with_a_pretrained_base(files, tmp_path, capsys):
    folder, data = files
    model_dir = tmp_path / "m2d"
    args = ["train", "--x", str(folder / "X.npy"), "--y", str(folder / "y.csv")]
    args += ["--out", str(model_dir), "--quiet", "--epochs", "2"]
    args += ["--model", "mobilenetv2", "--imaging", "gasf", "--image-size", "32"]
    args += ["--weights", str(WEIGHTS), "--pixels", "torch", "--detector", "none"]
    assert main(args) == 0, capsys.readouterr().err
    model = load_pretrained(model_dir)
    clf = model.steps[-1][1]
    assert clf.model == "mobilenetv2"
    assert clf.get_params()["model__imaging"] == "gasf"
    assert clf.get_params()["model__preprocessing"] == "torch"
    assert clf.network_.get_layer("imaging").image_size == 32
    out_csv = tmp_path / "pred.csv"
    predict = ["predict", str(model_dir), "--x", str(folder / "X.npy")]
    assert main([*predict, "--out", str(out_csv)]) == 0
    body = list(csv.reader(out_csv.open()))[1:]
    assert [r[1] for r in body] == list(model.predict(data.X))


@pytest.mark.parametrize(
    ("extra", "code", "message"),
    [
        # Options that do not fit together: usage errors, before any file is read.
        (["--model", "cnn1d_small", "--imaging", "gasf"], 2, "only applies to pre"),
        (["--model", "cnn1d_small", "--fine-tune", "2"], 2, "--fine-tune only app"),
        (["--model", "mobilenetv2"], 2, "add --imaging gasf"),
        # A weights file that is not there: a data error.
        (
            ["--model", "mobilenetv2", "--imaging", "gasf", "--weights", "no.h5"],
            1,
            "does not exist",
        ),
    ],
)
def test_misused_2d_options_fail_with_one_line(
    files, tmp_path, capsys, extra, code, message
):
    folder, _ = files
    args = ["train", "--x", str(folder / "X.npy"), "--y", str(folder / "y.csv")]
    args += ["--out", str(tmp_path / "m"), "--quiet", "--epochs", "1", *extra]
    assert main(args) == code
    err = capsys.readouterr().err.strip()
    assert message in err.splitlines()[-1] and "Traceback" not in err
    if code == 1:
        assert len(err.splitlines()) == 1
