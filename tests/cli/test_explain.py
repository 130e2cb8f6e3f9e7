"""``specauth explain --method shap / hirescam``, and its one-line errors.

The other methods are covered in test_cli_explain_report.py; here a small
model is trained in this process (cheaper than ``specauth train``), the
installed ``specauth`` program explains it with SHAP in a subprocess, and
HiResCAM runs through ``main`` in this process.
"""

from __future__ import annotations

import subprocess

import numpy as np
import pytest

from specauth.cli.main import main
from specauth.datasets import make_spectra
from tests.conftest import PROJECT_ROOT, specauth_command

pytest.importorskip("shap")


def specauth(*args):
    result = subprocess.run(
        [*specauth_command(), *map(str, args)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    from specauth.estimators import CNNClassifier
    from specauth.hub import save_pretrained

    folder = tmp_path_factory.mktemp("cli_explain")
    data = make_spectra(3, 8, length=64, random_state=0)
    clf = CNNClassifier("cnn1d_small", epochs=2, random_state=0).fit(data.X, data.y)
    np.save(folder / "X.npy", data.X)
    return save_pretrained(clf, folder / "model"), folder / "X.npy", clf


def _check_files(out, rows, fmt, label):
    assert sorted(p.name for p in out.iterdir()) == [f"sample_{i}.{fmt}" for i in rows]
    for path in out.iterdir():
        if fmt == "png":
            import matplotlib.image

            pixels = matplotlib.image.imread(path)
            assert path.stat().st_size > 10_000 and pixels[..., :3].std() > 0.05
        else:
            text = path.read_text(encoding="utf-8")
            assert "Bokeh" in text and f"importance for {label}" in text


@pytest.mark.slow
def test_shap_in_a_subprocess(saved, tmp_path):
    model_dir, x_file, clf = saved
    out = tmp_path / "shap"
    label = clf.classes_[1]
    result = specauth(
        "explain", model_dir, "--x", x_file, "--index", 1, "--out", out,
        "--method", "shap", "--class", label,
    )  # fmt: skip
    assert "wrote 1 PNG explanation(s) (shap)" in result.stderr
    _check_files(out, [1], "png", label)


def test_hirescam_html(saved, tmp_path, capsys):
    """In this process (a subprocess costs a TensorFlow start)."""
    model_dir, x_file, clf = saved
    out = tmp_path / "hirescam"
    label = clf.classes_[2]
    args = ["explain", model_dir, "--x", x_file, "--index", 0, 2, "--out", out]
    args += ["--method", "hirescam", "--format", "html", "--class", label]
    assert main([str(a) for a in args]) == 0
    assert "wrote 2 HTML explanation(s) (hirescam)" in capsys.readouterr().err
    _check_files(out, [0, 2], "html", label)


def test_backend_without_gradients_exits_1_with_one_line(
    saved, tmp_path, monkeypatch, capsys
):
    import keras

    model_dir, x_file, _ = saved
    monkeypatch.setattr(keras.backend, "backend", lambda: "numpy")
    code = main(
        ["explain", str(model_dir), "--x", str(x_file), "--out", str(tmp_path)]
        + ["--method", "gradcam"]
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1
    assert len(err) == 1 and err[0].startswith("specauth explain: error:")
    assert "method='gradcam' needs gradients" in err[0] and "'numpy'" in err[0]
    assert not list(tmp_path.iterdir())  # nothing written
