"""``specauth demo --patterns``: diffraction patterns, the pattern network
recipe, detectors against the unknown kind and the template ranking."""

from __future__ import annotations

import re

import numpy as np
import pytest

from specauth.cli.main import main


def test_demo_patterns_reports_network_detectors_and_ranking(capsys):
    assert main(["demo", "--patterns", "--epochs", "2", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "450 training / 150 test patterns of 64 x 64 pixels" in out
    assert "unknown classes held out: 1 (300 patterns)" in out
    assert "network: resnet2d with LogActivation and augmentation" in out
    table = out.split("detectors on the same network")[1].split("confusion")[0]
    assert "unknown patterns" in table
    for name in ("mahalanobis", "knn", "energy"):
        assert f"  {name} " in table
    matrix = out.split("confusion matrix with knn")[1].split("template")[0]
    assert "non-spherical" in matrix and "unknown" in matrix.splitlines()[1]
    ranking = out.split("template pre-ranking")[1]
    assert "100 training singles x 36 rotations = 3600 templates" in ranking
    auroc = float(re.search(r"AUROC single vs the rest ([0-9.]+)", ranking)[1])
    precision = float(re.search(r"test patterns, ([0-9.]+)% are singles", ranking)[1])
    # rings of single spheres match rotated singles far better than the
    # fringes of clusters or the ellipses of elongated particles
    assert auroc > 0.9 and precision > 70.0
    assert "predict" in out.split("timings:")[1]


def test_template_ranking_against_sklearn(monkeypatch):
    from sklearn.metrics import roc_auc_score

    from specauth.cli import _demo_patterns
    from specauth.ood import TemplateMatcher

    rng = np.random.default_rng(0)
    counts = tuple(rng.poisson(3.0, size=(n, 16, 16)).astype(float) for n in (8, 6, 4))
    y_train = np.array(["single", "multiple"] * 4)
    y_test = np.array(["single", "multiple", "single", "multiple", "single", "x"])
    y_unknown = np.array(["non-spherical"] * 4)
    result = _demo_patterns.template_ranking(counts, y_train, y_test, y_unknown)
    matcher = TemplateMatcher(region="disk").fit(np.log1p(counts[0][::2]))
    scores = matcher.score_samples(np.log1p(np.concatenate(counts[1:])))
    truth = np.r_[y_test, y_unknown] == "single"
    assert result["auroc"] == pytest.approx(roc_auc_score(truth, scores))
    top = np.argsort(-scores)[:3]
    assert result["precision_at_k"] == pytest.approx(truth[top].mean())
    assert result["templates"] == 4 * 36


def test_demo_patterns_bad_options(capsys):
    assert main(["demo", "--patterns", "--photons", "0"]) == 2
    assert "argument --photons: must be a number > 0" in capsys.readouterr().err
    assert main(["demo", "--patterns", "--pgaa", "x.npz", "--epochs", "1"]) != 0
    assert "--patterns and --pgaa" in capsys.readouterr().err


def test_augment_on_spectra_takes_a_preset(tmp_path, capsys):
    from specauth.hub import load_pretrained

    X = tmp_path / "X.npy"
    np.save(X, np.random.default_rng(0).random((12, 32)) + 0.1)
    (tmp_path / "y.csv").write_text("\n".join(["a", "b"] * 6) + "\n")
    args = ["train", "--x", str(X), "--y", str(tmp_path / "y.csv"), "--quiet"]
    quick = ["--epochs", "1", "--detector", "none"]
    assert main([*args, "--out", str(tmp_path / "m"), "--augment", *quick]) == 0
    bare = load_pretrained(tmp_path / "m")[-1]
    assert bare.augmentation == "spectra" and not bare.get_params().get(
        "model__augment"
    )
    assert (
        main([*args, "--out", str(tmp_path / "n"), "--augment", "counts", *quick]) == 0
    )
    assert load_pretrained(tmp_path / "n")[-1].augmentation == "counts"
    assert main([*args, "--out", str(tmp_path / "o"), "--augment", "blur"]) == 2
    assert "invalid choice: 'blur'" in capsys.readouterr().err
