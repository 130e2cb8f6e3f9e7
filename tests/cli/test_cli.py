"""The ``specauth`` command line: help, demo, train -> predict, exit codes."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import numpy as np
import pytest

from specauth.cli.main import main
from specauth.datasets import make_spectra
from specauth.hub import load_pretrained
from tests.conftest import PROJECT_ROOT

QUICK = ["--model", "cnn1d_small", "--epochs", "3", "--quiet"]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli")
    data = make_spectra(n_classes=3, n_samples_per_class=12, length=96, random_state=1)
    np.save(folder / "X.npy", data.X)
    np.savetxt(
        folder / "X.csv",
        data.X,
        delimiter=",",
        fmt="%.6g",
        header=",".join(f"c{i}" for i in range(96)),
        comments="",
    )
    (folder / "y.csv").write_text("label\n" + "\n".join(data.y) + "\n")
    return folder, data


def test_help_lists_commands_and_examples(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for word in ("demo", "train", "predict", "examples"):
        assert word in out
    commands = ("demo", "train", "predict", "explain", "report", "push", "pull")
    for command in commands:
        assert main([command, "--help"]) == 0
        help_text = capsys.readouterr().out
        assert "examples:" in help_text
        examples = help_text.split("examples:")[1]
        assert f"  specauth {command} " in examples, command


def test_push_and_pull_help_show_their_examples(capsys):
    assert main(["push", "--help"]) == 0
    examples = capsys.readouterr().out.split("examples:")[1]
    assert "specauth push my_model/ my-lab/pgaa-openset --private --token" in examples
    assert "--metrics accuracy=0.97 auroc=0.99" in examples
    assert "$HF_ENDPOINT" in examples
    assert main(["pull", "--help"]) == 0
    examples = capsys.readouterr().out.split("examples:")[1]
    assert "specauth pull my-lab/pgaa-openset --revision 3f2a9c1" in examples


def test_usage_errors_exit_with_2(capsys):
    assert main([]) == 2
    assert main(["train", "--x", "a.npy"]) == 2  # --y and --out missing
    assert main(["demo", "--lr", "fast"]) == 2
    assert "error" in capsys.readouterr().err


def test_demo_reports_open_set_results(capsys):
    assert main(["demo", *QUICK, "--detector", "energy", "--alpha", "0.1"]) == 0
    out = capsys.readouterr().out
    assert "closed-set test accuracy" in out
    table = out.split("detectors on the same network")[1].split("confusion")[0]
    for name in ("dime", "energy", "softmax", "maxlogit", "mahalanobis", "knn", "vim"):
        assert f"  {name} " in table
    assert "energy" in table.split("*")[0].splitlines()[-1]  # chosen one marked
    assert "alpha=0.1" in out
    matrix = out.split("confusion matrix with energy")[1]
    header = matrix.splitlines()[1]
    assert "true \\ pred" in header and header.rstrip().endswith("unknown")
    assert "phase_6" in matrix and "phase_7" in matrix  # never-trained rows
    assert "timings:" in out


def test_demo_on_real_pgaa(pgaa_npz, capsys):
    assert main(["demo", "--pgaa", str(pgaa_npz), *QUICK]) == 0
    out = capsys.readouterr().out
    assert "PGAA" in out and "243 training / 61 test" in out
    assert "unknown classes held out: 3 (21 spectra)" in out


def test_train_then_predict_round_trip(files, tmp_path, capsys):
    folder, data = files
    model_dir = tmp_path / "model"
    code = main(
        [
            "train",
            "--x",
            str(folder / "X.csv"),
            "--y",
            str(folder / "y.csv"),
            "--out",
            str(model_dir),
            *QUICK,
        ]
    )
    assert code == 0, capsys.readouterr().err
    assert (model_dir / "network.keras").is_file()
    # No held-out data: the card records no figure of merit.
    assert json.loads((model_dir / "config.json").read_text())["metrics"] == {}
    assert (
        "No evaluation metrics were recorded" in (model_dir / "README.md").read_text()
    )
    out_csv = tmp_path / "pred.csv"
    assert (
        main(
            [
                "predict",
                str(model_dir),
                "--x",
                str(folder / "X.npy"),
                "--out",
                str(out_csv),
                "--batch-size",
                "7",
            ]
        )
        == 0
    )
    rows = list(csv.reader(out_csv.open()))
    header, body = rows[0], rows[1:]
    classes = sorted(set(data.y))
    assert header == ["index", "label", "ood_score", *[f"p_{c}" for c in classes]]
    assert [int(r[0]) for r in body] == list(range(len(data.X)))
    proba = np.array([[float(v) for v in r[3:]] for r in body])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-4)
    model = load_pretrained(model_dir)
    assert [r[1] for r in body] == list(model.predict(data.X))
    np.testing.assert_allclose(
        [float(r[2]) for r in body], model.score_samples(data.X), rtol=1e-4, atol=1e-6
    )


def test_validation_fraction_records_held_out_accuracy(files, tmp_path, capsys):
    from sklearn.model_selection import train_test_split

    folder, data = files
    model_dir = tmp_path / "validated"
    args = ["train", "--x", str(folder / "X.npy"), "--y", str(folder / "y.csv")]
    args += ["--out", str(model_dir), *QUICK, "--lr", "0.01", "--seed", "3"]
    assert main([*args, "--validation-fraction", "0.25"]) == 0
    assert "trained on 27 spectra" in capsys.readouterr().out
    # The same stratified split, done here: 9 held-out spectra, 3 per class.
    _, X_valid, _, y_valid = train_test_split(
        data.X, data.y, test_size=0.25, stratify=data.y, random_state=3
    )
    model = load_pretrained(model_dir)
    top = model.classes_[np.argmax(model.predict_proba(X_valid), axis=1)]
    metrics = json.loads((model_dir / "config.json").read_text())["metrics"]
    assert metrics["accuracy"] == pytest.approx(np.mean(top == y_valid))
    assert metrics["TSNS"] == pytest.approx(np.mean(model.predict(X_valid) == y_valid))
    card = (model_dir / "README.md").read_text()
    assert f"| Closed-set accuracy | {metrics['accuracy']:.4g} |" in card
    assert 'metrics: ["accuracy", "tsns"]' in card  # Hub front matter


def test_validation_fraction_too_large_for_the_classes(files, tmp_path, capsys):
    folder, _ = files
    args = ["train", "--x", str(folder / "X.npy"), "--y", str(folder / "y.csv")]
    args += ["--out", str(tmp_path / "m"), *QUICK, "--validation-fraction", "0.95"]
    assert main(args) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "--validation-fraction 0.95 cannot hold out a stratified set" in err
    assert not (tmp_path / "m").exists()


def test_predict_writes_unknown_rows_for_unseen_classes(files, tmp_path):
    folder, _ = files
    data = make_spectra(
        n_classes=3,
        n_samples_per_class=12,
        length=96,
        n_unknown_classes=2,
        random_state=1,
    )
    np.save(tmp_path / "unknown.npy", data.X_unknown)
    model_dir = tmp_path / "m"
    assert (
        main(
            [
                "train",
                "--x",
                str(folder / "X.npy"),
                "--y",
                str(folder / "y.csv"),
                "--out",
                str(model_dir),
                "--detector",
                "energy",
                "--alpha",
                "0.5",
                # a network trained long enough for its energies to mean
                # something (3 epochs left them to the BatchNorm statistics)
                "--model",
                "cnn1d_small",
                "--epochs",
                "30",
                "--quiet",
            ]
        )
        == 0
    )
    out_csv = tmp_path / "u.csv"
    assert (
        main(
            [
                "predict",
                str(model_dir),
                "--x",
                str(tmp_path / "unknown.npy"),
                "--out",
                str(out_csv),
            ]
        )
        == 0
    )
    labels = [r[1] for r in list(csv.reader(out_csv.open()))[1:]]
    assert "unknown" in labels


def test_closed_set_training_has_no_score_column(files, tmp_path):
    folder, _ = files
    model_dir = tmp_path / "closed"
    assert (
        main(
            [
                "train",
                "--x",
                str(folder / "X.npy"),
                "--y",
                str(folder / "y.csv"),
                "--out",
                str(model_dir),
                "--detector",
                "none",
                *QUICK,
            ]
        )
        == 0
    )
    out_csv = tmp_path / "c.csv"
    assert (
        main(
            [
                "predict",
                str(model_dir),
                "--x",
                str(folder / "X.npy"),
                "--out",
                str(out_csv),
            ]
        )
        == 0
    )
    header = next(csv.reader(out_csv.open()))
    assert "ood_score" not in header and header[:2] == ["index", "label"]


@pytest.mark.parametrize(
    "make_args, message",
    [
        (
            lambda f, t: [
                "train",
                "--x",
                str(f / "missing.npy"),
                "--y",
                str(f / "y.csv"),
                "--out",
                str(t),
            ],
            "missing.npy",
        ),
        (
            lambda f, t: [
                "train",
                "--x",
                str(f / "X.npy"),
                "--y",
                str(f / "short.csv"),
                "--out",
                str(t),
            ],
            "labels",
        ),
        (
            lambda f, t: [
                "train",
                "--x",
                str(f / "nan.npy"),
                "--y",
                str(f / "y.csv"),
                "--out",
                str(t),
            ],
            "NaN",
        ),
        (
            lambda f, t: ["predict", str(t / "nowhere"), "--x", str(f / "X.npy")],
            "nowhere",
        ),
    ],
)
def test_data_errors_exit_with_1_and_one_line(
    files, tmp_path, capsys, make_args, message
):
    # Bad option values (--alpha 1.5, --crop a:b) are usage errors, exit 2:
    # tests/cli/test_options.py.
    folder, data = files
    (folder / "short.csv").write_text("\n".join(data.y[:5]) + "\n")
    bad = data.X.copy()
    bad[2, 5] = np.nan
    np.save(folder / "nan.npy", bad)
    assert main(make_args(folder, tmp_path)) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert message in err


def test_debug_flag_shows_the_traceback(files):
    folder, _ = files
    with pytest.raises(FileNotFoundError):
        main(["--debug", "predict", str(folder / "nowhere"), "--x", "X.npy"])


def test_python_dash_m_entry_point():
    result = subprocess.run(
        [sys.executable, "-m", "specauth", "--version"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0
    assert result.stdout.strip()[0].isdigit()
