"""The axis through the command line: train on a wavenumber CSV, crop in axis
units, refuse or resample spectra on another axis, train on a labelled folder."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from specauth.axis import estimator_axis
from specauth.cli.main import main
from specauth.datasets import make_spectra
from specauth.hub import load_pretrained

QUICK = ["--model", "cnn1d_small", "--epochs", "3", "--quiet", "--seed", "0"]
DATA = make_spectra(n_classes=3, n_samples_per_class=12, length=120, random_state=2)
WAVENUMBERS = np.linspace(1900.0, 900.0, 120)  # decreasing, as IR files run


def _write(path, X, axis, name="wavenumber (cm-1)"):
    lines = [",".join([name, *(f"{w:.10g}" for w in axis)])]
    lines += [f"s{i}," + ",".join(f"{v:.7g}" for v in row) for i, row in enumerate(X)]
    path.write_text("\n".join(lines) + "\n")
    return path


def _probabilities(path):
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    keys = [k for k in rows[0] if k.startswith("p_")]
    return np.array([[float(r[k]) for k in keys] for r in rows])


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    folder = tmp_path_factory.mktemp("axis_cli")
    x = _write(folder / "ir.csv", DATA.X, WAVENUMBERS)
    (folder / "y.csv").write_text("\n".join(DATA.y) + "\n")
    model = folder / "model"
    code = main(
        [
            "train",
            *("--x", str(x), "--y", str(folder / "y.csv"), "--out", str(model)),
            *("--crop", "1700:1100", "--normalize", "snv", "--no-log"),
            *QUICK,
        ]
    )
    assert code == 0
    return folder, model


def test_train_keeps_the_axis_and_crops_in_its_units(trained, capsys):
    _, model = trained
    pipe = load_pretrained(model)
    axis = estimator_axis(pipe)
    assert axis.label == "wavenumber (cm⁻¹)" and len(axis) == 120
    np.testing.assert_allclose(axis.values, WAVENUMBERS, rtol=1e-6)
    final = estimator_axis(pipe, where="final")
    kept = (WAVENUMBERS >= 1100) & (WAVENUMBERS <= 1700)
    np.testing.assert_allclose(final.values, WAVENUMBERS[kept], rtol=1e-6)
    assert pipe[-1].n_features_in_ == kept.sum()
    card = (model / "README.md").read_text(encoding="utf-8")
    assert "wavenumber (cm⁻¹)" in card


def test_predict_refuses_another_axis_and_resamples_when_asked(trained, capsys):
    folder, model = trained
    same = folder / "ir.csv"
    assert (
        main(["predict", str(model), "--x", str(same), "--out", str(folder / "a.csv")])
        == 0
    )
    # the same spectra on another instrument's grid: finer and increasing
    grid = np.linspace(880.0, 1920.0, 300)
    order = np.argsort(WAVENUMBERS)
    moved = np.stack([np.interp(grid, WAVENUMBERS[order], r[order]) for r in DATA.X])
    other = _write(folder / "other.csv", moved, grid)
    code = main(
        ["predict", str(model), "--x", str(other), "--out", str(folder / "b.csv")]
    )
    assert code != 0
    err = capsys.readouterr().err
    assert "another axis" in err and "--resample" in err
    assert not (folder / "b.csv").exists()
    out = folder / "c.csv"
    assert (
        main(
            ["predict", str(model), "--x", str(other), "--out", str(out), "--resample"]
        )
        == 0
    )
    # by hand: interpolate the moved spectra back onto the training axis
    by_hand = np.stack([np.interp(WAVENUMBERS, grid, row) for row in moved])
    hand = _write(folder / "hand.csv", by_hand, WAVENUMBERS)
    assert (
        main(["predict", str(model), "--x", str(hand), "--out", str(folder / "d.csv")])
        == 0
    )
    np.testing.assert_allclose(
        _probabilities(out), _probabilities(folder / "d.csv"), atol=2e-6
    )


def test_crop_values_without_an_axis_are_refused(tmp_path, capsys):
    np.save(tmp_path / "X.npy", DATA.X)
    (tmp_path / "y.csv").write_text("\n".join(DATA.y) + "\n")
    code = main(
        [
            "train",
            *("--x", str(tmp_path / "X.npy"), "--y", str(tmp_path / "y.csv")),
            *("--out", str(tmp_path / "m"), "--crop", "1100.5:1700"),
            *QUICK,
        ]
    )
    assert code != 0
    assert "--x has no axis" in capsys.readouterr().err


def test_train_on_a_labelled_folder(tmp_path, capsys):
    root = tmp_path / "archive"
    energies = np.linspace(10.0, 1000.0, 120)
    for i, (row, label) in enumerate(zip(DATA.X, DATA.y, strict=True)):
        (root / label).mkdir(parents=True, exist_ok=True)
        lines = ["energy (keV) counts"] + [
            f"{e:.4f} {v:.6g}" for e, v in zip(energies, row, strict=True)
        ]
        (root / label / f"spectrum_{i}.xy").write_text("\n".join(lines) + "\n")
    model = tmp_path / "m"
    assert main(["train", "--x", str(root), "--out", str(model), *QUICK]) == 0
    pipe = load_pretrained(model)
    assert sorted(map(str, pipe.classes_)) == sorted(set(DATA.y))
    assert estimator_axis(pipe).label == "energy (keV)"
    code = main(
        [
            "train",
            "--x",
            str(root),
            "--y",
            str(tmp_path / "y.csv"),
            "--out",
            str(tmp_path / "n"),
            *QUICK,
        ]
    )
    assert code != 0 and "--y must be left out" in capsys.readouterr().err


def test_report_and_explain_use_the_axis(trained, tmp_path):
    folder, model = trained
    page = tmp_path / "report.html"
    assert (
        main(
            [
                "report",
                str(model),
                "--x",
                str(folder / "ir.csv"),
                "--y",
                str(folder / "y.csv"),
                "--out",
                str(page),
                "--examples",
                "1",
            ]
        )
        == 0
    )
    text = page.read_text(encoding="utf-8")
    assert "wavenumber 1900..900 cm⁻¹ (120 points)" in text
    assert "network sees" in text
    out = tmp_path / "ex"
    assert (
        main(
            [
                "explain",
                str(model),
                "--x",
                str(folder / "ir.csv"),
                "--format",
                "html",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    html = (out / "sample_0.html").read_text(encoding="utf-8")
    assert "wavenumber" in html and "cm" in html
