"""``specauth train`` on numeric targets trains a CNNRegressor; ``predict``
writes values (CSV and HDF5); ``report`` shows RMSE/R²/bias with parity and
residual plots."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from specauth.cli._regression import regression_metrics, resolve_task
from specauth.cli.main import main
from specauth.hub import load_pretrained

QUICK = ["--epochs", "3", "--batch-size", "16", "--quiet", "--seed", "0"]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("regression_cli")
    rng = np.random.default_rng(0)
    X = rng.random((60, 40)) + 0.5
    y = 10.0 + 5.0 * X[:, 5:10].sum(axis=1)
    np.save(folder / "X.npy", X)
    np.savetxt(folder / "y.csv", y, fmt="%.6f")
    np.savetxt(folder / "classes.csv", (np.arange(60) % 3), fmt="%d")
    (folder / "words.csv").write_text("\n".join(["high", "low"] * 30) + "\n")
    return folder, X, y


@pytest.fixture(scope="module")
def model(files):
    folder, _, _ = files
    out = folder / "reg"
    args = ["train", "--x", str(folder / "X.npy"), "--y", str(folder / "y.csv")]
    assert main([*args, "--out", str(out), "--validation-fraction", "0.2", *QUICK]) == 0
    return out


def test_resolve_task_rules(capsys):
    assert resolve_task("auto", np.array(["1", "2", "1"]))[0] == "classification"
    task, values = resolve_task("auto", np.array(["1.5", "2", "3"]))
    assert task == "regression" and values.dtype == np.float64
    assert "fractional values" in capsys.readouterr().out
    many = np.arange(30).astype(str)
    assert resolve_task("auto", many)[0] == "regression"
    assert resolve_task("classification", np.array(["1.5", "2"]))[0] == "classification"
    assert resolve_task("regression", np.array(["1", "2"]))[0] == "regression"
    with pytest.raises(ValueError, match="needs numbers in --y.*'fat'"):
        resolve_task("regression", np.array(["1", "fat"]))


def test_metrics_by_hand():
    m = regression_metrics([1.0, 2.0, 3.0, 4.0], [2.0, 2.0, 3.0, 3.0])
    assert m["RMSE"] == pytest.approx(np.sqrt(0.5))
    assert m["bias"] == 0.0 and m["R2"] == pytest.approx(1 - 2 / 5)


def test_train_detects_regression_and_predict_writes_values(files, model, capsys):
    folder, X, y = files
    pipe = load_pretrained(model)
    assert type(pipe[-1]).__name__ == "CNNRegressor"
    assert (model / "README.md").read_text().count("RMSE") >= 1
    out = folder / "values.csv"
    assert (
        main(["predict", str(model), "--x", str(folder / "X.npy"), "--out", str(out)])
        == 0
    )
    with open(out) as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["index", "value"]
    written = np.array([float(r[1]) for r in rows[1:]])
    np.testing.assert_allclose(written, pipe.predict(X), rtol=1e-5)


def test_predict_regression_into_hdf5(files, model):
    h5py = pytest.importorskip("h5py")
    folder, X, _ = files
    with h5py.File(folder / "X.h5", "w") as f:
        f["spectra"] = X
    out = folder / "values.h5"
    args = ["predict", str(model), "--x", f"{folder}/X.h5:spectra", "--out", str(out)]
    assert main(args) == 0
    with h5py.File(out) as f:
        values = f["predictions/value"][()]
        assert int(f["predictions"].attrs["rows_done"]) == 60
    np.testing.assert_allclose(values, load_pretrained(model).predict(X), rtol=1e-5)


def test_report_shows_parity_residuals_and_metrics(files, model, capsys):
    folder, X, y = files
    out = folder / "report.html"
    args = ["report", str(model), "--x", str(folder / "X.npy"), "--y"]
    assert main([*args, str(folder / "y.csv"), "--out", str(out)]) == 0
    page = out.read_text()
    for fig_id in ("parity", "residuals", "training-history"):
        assert f'id="{fig_id}"' in page
    expected = regression_metrics(y, load_pretrained(model).predict(X))
    assert f"{expected['RMSE']:.4g}" in page and f"{expected['R2']:.4f}" in page
    bad = ["--y", str(folder / "words.csv"), "--out", str(folder / "r2.html")]
    assert main([*args[:-1], *bad]) != 0
    assert "must hold one number per spectrum" in capsys.readouterr().err


def test_task_choices_and_recipe_options(files, capsys):
    folder, _, _ = files
    args = ["train", "--x", str(folder / "X.npy")]
    classes = [*args, "--y", str(folder / "classes.csv"), "--detector", "none"]
    assert main([*classes, "--out", str(folder / "c"), *QUICK]) == 0
    assert type(load_pretrained(folder / "c")[-1]).__name__ == "CNNClassifier"
    words = [*args, "--y", str(folder / "words.csv"), "--task", "regression"]
    assert main([*words, "--out", str(folder / "w"), *QUICK]) != 0
    assert "--task regression needs numbers" in capsys.readouterr().err
    recipe = [
        *args,
        "--y",
        str(folder / "y.csv"),
        "--task",
        "regression",
        "--optimizer",
        "ranger",
        "--augment",
        "nir",
        "--model",
        "lite_small",
        "--mixup",
        "0.3",
    ]
    assert main([*recipe, "--out", str(folder / "r"), *QUICK]) == 0
    reg = load_pretrained(folder / "r")[-1]
    assert reg.optimizer == "ranger" and reg.augmentation == "nir"
    assert reg.model == "lite_small" and reg.mixup == 0.3
