"""``specauth`` explain and report, and streaming predict, run as a real program.

train (CSV and HDF5 inputs) -> predict -> report -> explain in subprocesses of
the installed ``specauth`` command, with the outputs checked against the same
model loaded in this process.
"""

from __future__ import annotations

import csv
import re
import shutil
import subprocess

import numpy as np
import pytest

from specauth.cli._html import figure_html, markdown_html, table_html
from specauth.cli.main import main
from specauth.datasets import make_spectra
from tests.conftest import PROJECT_ROOT, specauth_command

h5py = pytest.importorskip("h5py")

QUICK = ["--model", "cnn1d_small", "--epochs", "3", "--quiet", "--lr", "0.01"]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def specauth(*args, check=True):
    result = subprocess.run(
        [*specauth_command(), *map(str, args)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    if check:
        assert result.returncode == 0, result.stderr[-2000:]
    return result


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli_er")
    data = make_spectra(
        n_classes=3,
        n_samples_per_class=12,
        length=96,
        n_unknown_classes=1,
        random_state=1,
    )
    header = ",".join(f"c{i}" for i in range(96))
    np.savetxt(folder / "X.csv", data.X, delimiter=",", fmt="%.7g", header=header)
    (folder / "y.csv").write_text("label\n" + "\n".join(data.y) + "\n")
    with h5py.File(folder / "X.h5", "w") as handle:
        handle.create_dataset("spectra", data=data.X)
    # Test labels: one known class renamed, so those count as never-trained.
    y_test = np.where(data.y == "phase_0", "mystery", data.y)
    (folder / "y_test.txt").write_text("\n".join(y_test) + "\n")
    np.save(folder / "Xu.npy", data.X_unknown)
    (folder / "short.txt").write_text("\n".join(data.y[:12]) + "\n")
    return folder, data, y_test


@pytest.fixture(scope="module")
def model_csv(files):
    folder, _, _ = files
    out = folder / "model_csv"
    specauth(
        "train", "--x", folder / "X.csv", "--y", folder / "y.csv", "--out", out, *QUICK
    )
    return out


@pytest.fixture(scope="module")
def model_h5(files):
    folder, _, _ = files
    out = folder / "model_h5"
    specauth(
        "train",
        "--x",
        f"{folder / 'X.h5'}:/spectra",
        "--y",
        folder / "y.csv",
        "--out",
        out,
        "--detector",
        "energy",
        *QUICK,
    )
    return out


def main_ok(*args):
    """Run the command line in this process (faster); assert it succeeds."""
    code = main([str(a) for a in args])
    assert code == 0


def _read_csv(path):
    rows = list(csv.reader(path.open()))
    return rows[0], rows[1:]


def _load(folder):
    from specauth.hub import load_pretrained

    return load_pretrained(folder)


def _check_predictions(path, model_dir, X):
    header, body = _read_csv(path)
    model = _load(model_dir)
    classes = [str(c) for c in model.classes_]
    assert header == ["index", "label", "ood_score", *[f"p_{c}" for c in classes]]
    assert [int(r[0]) for r in body] == list(range(len(X)))
    assert [r[1] for r in body] == [str(v) for v in model.predict(X)]
    np.testing.assert_allclose(
        [float(r[2]) for r in body], model.score_samples(X), rtol=1e-4, atol=1e-5
    )
    proba = np.array([[float(v) for v in r[3:]] for r in body])
    np.testing.assert_allclose(proba, model.predict_proba(X), atol=1e-5)


def test_predict_streams_hdf5(files, model_csv, tmp_path):
    folder, data, _ = files
    out = tmp_path / "pred.csv"
    result = specauth(
        "predict", model_csv, "--x", folder / "X.h5", "--out", out, "--batch-size", 5
    )
    assert re.search(r"wrote 36 predictions to .* spectra/s\)", result.stderr)
    _check_predictions(out, model_csv, data.X)


def test_predict_streams_csv_to_stdout(files, model_h5, tmp_path, capsys):
    folder, data, _ = files
    code = main(
        ["predict", str(model_h5), "--x", str(folder / "X.csv"), "--batch-size", "4"]
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    (tmp_path / "stdout.csv").write_text(captured.out)
    _check_predictions(tmp_path / "stdout.csv", model_h5, data.X)


@pytest.fixture(scope="module")
def report_html(files, model_csv):
    folder, _, _ = files
    (model_csv / "README.md").write_text(
        '---\nlicense: "mit"\n---\n# Test model\nTrained on <synthetic> data.\n'
    )
    out = folder / "report.html"
    specauth(
        "report",
        model_csv,
        "--x",
        folder / "X.h5",
        "--y",
        folder / "y_test.txt",
        "--x-unknown",
        folder / "Xu.npy",
        "--out",
        out,
        "--examples",
        2,
    )
    return out


def test_report_holds_every_figure_inline(report_html):
    page = report_html.read_text(encoding="utf-8")
    for fig_id in ("confusion-matrix", "score-histograms", "training-history"):
        assert re.search(
            rf'<figure id="{fig_id}"><img [^>]*src="data:image/png;'
            r'base64,[A-Za-z0-9+/=]{2000,}"',
            page,
        ), fig_id
    assert '<section id="explanations">' in page
    for group in ("correct", "wrong", "rejected"):
        assert f"<h3>{group} (" in page
        assert len(re.findall(rf'<figure id="explanation-{group}-\d+"', page)) <= 2
    n_examples = len(re.findall(r'<figure id="explanation-', page))
    assert n_examples >= 2
    assert "<script" not in page and "http://" not in page and "https://" not in page
    assert '<div class="card" id="model-card"><h3>Test model</h3>' in page
    assert "&lt;synthetic&gt;" in page and "license" not in page


def test_report_figures_of_merit_match_an_independent_computation(
    files, model_csv, report_html
):
    folder, data, y_test = files
    model = _load(model_csv)
    X = np.concatenate([data.X, data.X_unknown])
    pred = np.asarray(model.predict(X)).astype(str)
    truth = np.concatenate([y_test, np.full(len(data.X_unknown), "never-trained")])
    known = np.isin(truth, model.classes_.astype(str))
    # Hand-computed: ACC = (known accepted as their class + never-trained rejected) / N
    acc = np.sum(pred[known] == truth[known]) + np.sum(pred[~known] == "unknown")
    acc /= len(X)
    tsps = np.mean(pred[~known] == "unknown")
    top = model.classes_.astype(str)[np.argmax(model.predict_proba(X), axis=1)]
    closed = np.mean(top[known] == truth[known])
    page = report_html.read_text(encoding="utf-8")

    def value(name):
        match = re.search(rf"<td>{re.escape(name)}[^<]*</td><td>([^<]+)</td>", page)
        assert match, name
        return float(match.group(1))

    assert value("ACC") == pytest.approx(acc, abs=6e-4)
    assert value("TSPS") == pytest.approx(tsps, abs=6e-4)
    assert value("closed-set accuracy") == pytest.approx(closed, abs=6e-4)
    assert "never-trained" in page and "mystery" in page  # never-trained rows


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
def test_report_renders_in_headless_chromium(report_html, tmp_path):
    import matplotlib.image

    shot = tmp_path / "shot.png"
    subprocess.run(
        [
            CHROMIUM,
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--screenshot={shot}",
            "--window-size=1200,2000",
            report_html.resolve().as_uri(),
        ],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert shot.is_file() and shot.stat().st_size > 20_000
    pixels = matplotlib.image.imread(shot)
    assert pixels.shape[:2] == (2000, 1200)
    assert pixels[..., :3].std() > 0.05  # tables and figures, not a blank page


def test_explain_writes_png_per_sample(files, model_csv, tmp_path):
    import matplotlib.image

    folder, _, _ = files
    out = tmp_path / "png"
    result = specauth(
        "explain",
        model_csv,
        "--x",
        folder / "X.csv",
        "--index",
        0,
        7,
        "--out",
        out,
        "--method",
        "gradcam",
    )
    assert "wrote 2 PNG explanation(s) (gradcam)" in result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["sample_0.png", "sample_7.png"]
    for path in out.iterdir():
        pixels = matplotlib.image.imread(path)
        assert path.stat().st_size > 10_000 and pixels[..., :3].std() > 0.05


def test_explain_writes_html_per_sample(files, model_h5, tmp_path, capsys):
    folder, _, _ = files
    out = tmp_path / "html"
    main_ok(
        "explain",
        model_h5,
        "--x",
        folder / "X.h5",
        "--first",
        2,
        "--out",
        out,
        "--format",
        "html",
        "--class",
        "phase_1",
    )
    pages = sorted(out.iterdir())
    assert [p.name for p in pages] == ["sample_0.html", "sample_1.html"]
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert "<html" in text and "Bokeh" in text and "importance for phase_1" in text


@pytest.mark.filterwarnings("ignore:The structure of `inputs`:UserWarning")
def test_importance_maps_are_the_cam_of_the_preprocessed_spectra(files, model_csv):
    from specauth.cli._importance import importance_maps
    from specauth.cli._model import predict_outputs, split_model
    from specauth.explain import CAM1D

    _, data, _ = files
    model = _load(model_csv)
    transformers, final = split_model(model)
    Xt = data.X[:4]
    for step in transformers:
        Xt = step.transform(Xt)
    outputs = predict_outputs(model, data.X[:4])
    np.testing.assert_allclose(outputs["Xt"], Xt)
    cam = CAM1D(final.classifier_)
    expected = cam.explain(Xt, "phase_2")
    np.testing.assert_allclose(importance_maps(final, Xt, "phase_2"), expected)
    # Independent check of what was explained: with a GAP -> Dense head the
    # CAM averaged over positions plus the bias is the class logit.
    bias = final.classifier_.network_.layers[-1].get_weights()[1]
    logits = final.classifier_.logits(Xt)
    np.testing.assert_allclose(
        cam.low_resolution_maps_.mean(axis=1) + bias[2], logits[:, 2], atol=1e-4
    )
    np.testing.assert_allclose(
        outputs["proba"],
        np.exp(logits) / np.exp(logits).sum(1, keepdims=True),
        atol=1e-5,
    )


def test_usage_errors_exit_with_2(capsys):
    assert main(["explain", "m", "--x", "a.npy"]) == 2  # --out missing
    assert "--out" in capsys.readouterr().err
    assert (
        main(["explain", "m", "--x", "a", "--out", "o", "--index", "1", "--first", "2"])
        == 2
    )
    assert "not allowed with argument" in capsys.readouterr().err
    assert main(["explain", "m", "--x", "a", "--out", "o", "--method", "lime"]) == 2
    assert "invalid choice: 'lime'" in capsys.readouterr().err
    assert main(["report", "m", "--x", "a.npy", "--out", "r.html"]) == 2
    assert "--y" in capsys.readouterr().err
    for command in ("explain", "report"):
        assert main([command, "--help"]) == 0
        assert "examples:" in capsys.readouterr().out


def test_bad_argument_in_a_subprocess_exits_2():
    result = specauth(
        "explain", "model", "--x", "a.npy", "--out", "o", "--index", "two", check=False
    )
    assert result.returncode == 2
    assert "argument --index: must be an integer; got 'two'." in result.stderr


def test_data_error_in_a_subprocess_exits_1_with_one_line(files, model_csv):
    folder, _, _ = files
    result = specauth(
        "explain",
        model_csv,
        "--x",
        folder / "X.csv",
        "--index",
        36,
        "--out",
        folder / "never",
        check=False,
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        f"specauth explain: error: --index 36 is out of range: {folder / 'X.csv'} "
        "holds 36 spectra (indices 0..35)."
    )
    assert not (folder / "never").exists()


@pytest.fixture(scope="module")
def no_network_model(tmp_path_factory):
    from sklearn.pipeline import Pipeline

    from specauth.hub import save_pretrained
    from specauth.preprocessing import SpectrumNormalizer

    pipe = Pipeline([("normalize", SpectrumNormalizer())]).fit(np.ones((2, 4)))
    return save_pretrained(pipe, tmp_path_factory.mktemp("nonet") / "m")


@pytest.mark.parametrize(
    ("make_args", "message"),
    [
        (
            lambda f, m, n: [
                "explain",
                m,
                "--x",
                f / "X.csv",
                "--class",
                "steel",
                "--out",
                f / "o",
            ],
            "--class 'steel' is not a class",
        ),
        (
            lambda f, m, n: ["explain", n, "--x", f / "X.csv", "--out", f / "o"],
            "without a neural network",
        ),
        (
            lambda f, m, n: [
                "report",
                m,
                "--x",
                f / "X.csv",
                "--y",
                f / "short.txt",
                "--out",
                f / "r.html",
            ],
            "holds 12 labels but 36",
        ),
        (
            lambda f, m, n: ["predict", m, "--x", f / "missing.npy"],
            "No such spectra file",
        ),
    ],
)
def test_data_errors_exit_with_1_and_one_line(
    files, model_csv, no_network_model, capsys, make_args, message
):
    folder, _, _ = files
    args = [str(a) for a in make_args(folder, model_csv, no_network_model)]
    assert main(args) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert message in err


@pytest.fixture(scope="module")
def detector_model(tmp_path_factory):
    from specauth.hub import save_pretrained
    from specauth.ood import KNNDetector

    features = np.random.default_rng(0).normal(size=(20, 4))
    return save_pretrained(KNNDetector().fit(features), tmp_path_factory.mktemp("d"))


@pytest.mark.parametrize(
    ("fixture", "holds"),
    [
        ("no_network_model", "a Pipeline of SpectrumNormalizer"),
        ("detector_model", "a KNNDetector"),
    ],
)
def test_report_on_a_folder_without_a_classifier_is_one_line(
    files, request, capsys, fixture, holds
):
    folder, _, _ = files
    model = request.getfixturevalue(fixture)
    args = ["report", str(model), "--x", str(folder / "X.csv")]
    args += ["--y", str(folder / "y.csv"), "--out", str(folder / "never.html")]
    assert main(args) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert err.startswith(f"specauth report: error: {model} holds {holds}, not a")
    assert not (folder / "never.html").exists()
    # predict refuses it the same way, before writing anything.
    args = ["predict", str(model), "--x", str(folder / "X.csv")]
    assert main([*args, "--out", str(folder / "never.csv")]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert err.startswith(f"specauth predict: error: {model} holds {holds}, not a")
    assert not (folder / "never.csv").exists()


def _recording_importance_maps(monkeypatch):
    """Wrap ``importance_maps`` (which ``specauth explain`` imports when it runs);
    return the list of its calls."""
    from specauth.cli import _importance

    calls = []
    real = _importance.importance_maps

    def record(final, Xt, classes=None, **kwargs):
        maps = real(final, Xt, classes, **kwargs)
        calls.append({"final": final, "Xt": Xt, "maps": maps, **kwargs})
        return maps

    monkeypatch.setattr(_importance, "importance_maps", record)
    return calls


@pytest.mark.filterwarnings("ignore:The structure of `inputs`:UserWarning")
def test_explain_shap_uses_the_mean_of_the_background_file(
    files, model_csv, tmp_path, monkeypatch, capsys
):
    pytest.importorskip("shap")
    folder, data, _ = files
    calls = _recording_importance_maps(monkeypatch)
    out = tmp_path / "shap"
    main_ok(
        "explain", model_csv, "--x", folder / "X.csv", "--index", 4, "--out", out,
        "--method", "shap", "--background", folder / "X.h5",
    )  # fmt: skip
    assert "note:" not in capsys.readouterr().err
    assert (out / "sample_4.png").stat().st_size > 10_000
    (call,) = calls
    model = _load(model_csv)
    expected = model[:-1].transform(data.X).mean(axis=0)  # training spectra
    np.testing.assert_allclose(call["background"], expected, rtol=1e-5, atol=1e-6)
    # SHAP efficiency: the map sums to f(x) - f(reference), so the reference
    # really was that mean spectrum.
    classifier = call["final"].classifier_
    logits = classifier.logits(np.vstack([call["Xt"], expected[np.newaxis]]))
    c = int(np.argmax(logits[0]))
    assert call["maps"].sum() == pytest.approx(
        logits[0, c] - logits[1, c], rel=1e-3, abs=1e-3
    )


def test_explain_shap_without_background_notes_the_blur(
    files, model_csv, tmp_path, monkeypatch, capsys
):
    pytest.importorskip("shap")
    folder, _, _ = files
    calls = _recording_importance_maps(monkeypatch)
    main_ok(
        "explain", model_csv, "--x", folder / "X.csv", "--out", tmp_path / "b",
        "--method", "shap",
    )  # fmt: skip
    err = capsys.readouterr().err.splitlines()
    assert calls[0]["background"] == "blur"
    assert err[0].startswith("specauth explain: note: the model holds no training")
    assert "pass --background TRAINING_SPECTRA" in err[0]


def test_explain_background_with_other_points_is_one_line(
    files, model_csv, tmp_path, capsys
):
    folder, data, _ = files
    np.save(tmp_path / "short.npy", data.X[:, :50])
    args = ["explain", str(model_csv), "--x", str(folder / "X.csv")]
    args += ["--out", str(tmp_path / "o"), "--method", "shap"]
    assert main([*args, "--background", str(tmp_path / "short.npy")]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "--background spectra have 50 points but --x spectra have 96" in err


def test_background_mean_streams_through_the_preprocessing(tmp_path):
    import argparse

    from sklearn.preprocessing import StandardScaler

    from specauth.cli.explain import _shap_background, background_mean
    from specauth.preprocessing import LogTransform, SpectrumNormalizer

    X = np.random.default_rng(1).uniform(0.5, 2.0, size=(1500, 12))  # 2 chunks
    np.save(tmp_path / "bg.npy", X)
    steps = [SpectrumNormalizer("max").fit(X), LogTransform().fit(X)]
    by_hand = np.log(X / X.max(axis=1, keepdims=True)).mean(axis=0)
    np.testing.assert_allclose(background_mean(tmp_path / "bg.npy", steps), by_hand)
    # A model whose last step standardises: its training mean is 0 everywhere.
    args = argparse.Namespace(method="shap", background=None)
    scaled = [*steps, StandardScaler().fit(X)]
    assert _shap_background(args, scaled, X) == "zeros"
    assert _shap_background(argparse.Namespace(method="cam"), steps, X) == "blur"


def test_html_helpers_escape_and_validate():
    assert "&lt;b&gt;" in table_html([["<b>", 1]])
    assert markdown_html("# A & B\ntext") == "<h3>A &amp; B</h3><pre>text</pre>"
    with pytest.raises(ValueError, match="`fig_id` must be lower-case"):
        figure_html("Bad Id", b"")


@pytest.mark.filterwarnings("ignore:The structure of `inputs`:UserWarning")
def test_closed_set_model_report_and_explain(files, tmp_path):
    from specauth.estimators import CNNClassifier
    from specauth.hub import save_pretrained

    folder, data, _ = files
    clf = CNNClassifier("cnn1d_small", epochs=1, random_state=0).fit(data.X, data.y)
    model_dir = save_pretrained(clf, tmp_path / "closed")
    out = tmp_path / "closed.html"
    main_ok(
        "report",
        model_dir,
        "--x",
        folder / "X.csv",
        "--y",
        folder / "y.csv",
        "--out",
        out,
        "--examples",
        "1",
    )
    page = out.read_text(encoding="utf-8")
    assert "Closed-set model: no detector scores." in page
    assert '<figure id="confusion-matrix">' in page
    assert '<figure id="training-history">' in page
    closed = np.mean(clf.predict(data.X) == data.y)
    assert f"<td>{closed:.3f}</td>" in page
    main_ok("explain", model_dir, "--x", folder / "X.csv", "--out", tmp_path / "e")
    assert (tmp_path / "e" / "sample_0.png").stat().st_size > 10_000


@pytest.mark.slow  # about 20 s: trains a small MobileNetV2 on imaged spectra
@pytest.mark.filterwarnings("ignore:The structure of `inputs`:UserWarning")
def test_imaged_spectra_model_uses_cam2d_spectrum_importance():
    from specauth.cli._importance import importance_maps
    from specauth.estimators import CNNClassifier
    from specauth.explain import CAM2D

    data = make_spectra(2, 6, length=64, random_state=0)
    clf = CNNClassifier(
        "mobilenetv2",
        epochs=1,
        random_state=0,
        model__imaging="gasf",
        model__image_size=32,
        model__weights=None,
        model__base_options={"alpha": 0.35},
    ).fit(data.X, data.y)
    maps = importance_maps(clf, data.X[:2], method="gradcam")
    expected = CAM2D(clf, method="gradcam").spectrum_importance(data.X[:2])
    assert maps.shape == (2, 64)
    np.testing.assert_allclose(maps, expected, rtol=1e-5, atol=1e-6)
