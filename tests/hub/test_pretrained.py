"""save_pretrained / load_pretrained: identical predictions, no pickle, safety."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from sklearn.pipeline import make_pipeline

from specauth.datasets import make_spectra
from specauth.estimators import CNNClassifier
from specauth.hub import load_pretrained, save_pretrained
from specauth.preprocessing import Crop, LogTransform, SpectrumNormalizer
from tests.conftest import PROJECT_ROOT


@pytest.fixture(scope="module")
def data():
    d = make_spectra(n_classes=3, n_samples_per_class=10, length=64, random_state=2)
    return d.X, d.y


@pytest.fixture(scope="module")
def pipeline(data):
    X, y = data
    clf = CNNClassifier("cnn1d_small", epochs=2, random_state=0, model__dropout=0.1)
    return make_pipeline(
        Crop(2, 62), SpectrumNormalizer("max"), LogTransform(1e-6), clf
    ).fit(X, y)


def test_pipeline_round_trip_gives_identical_predictions(pipeline, data, tmp_path):
    X, _ = data
    folder = save_pretrained(pipeline, tmp_path / "m")
    assert {p.name for p in folder.iterdir()} == {
        "config.json",
        "arrays.npz",
        "network.keras",
    }
    loaded = load_pretrained(folder)
    np.testing.assert_array_equal(loaded.predict_proba(X), pipeline.predict_proba(X))
    np.testing.assert_array_equal(loaded.predict(X), pipeline.predict(X))
    np.testing.assert_array_equal(loaded.transform(X), pipeline.transform(X))
    clf = loaded[-1]
    assert clf.get_params()["model__dropout"] == 0.1
    assert clf.input_shape_ == pipeline[-1].input_shape_
    assert clf.history_ == pipeline[-1].history_


def test_single_estimator_round_trip_and_config(pipeline, data, tmp_path):
    X, _ = data
    clf = pipeline[-1]
    Xt = pipeline[:-1].transform(X)
    folder = save_pretrained(clf, tmp_path / "clf")
    config = json.loads((folder / "config.json").read_text())
    assert config["root"]["class"] == "specauth.estimators.CNNClassifier"
    assert config["versions"]["keras"]
    np.testing.assert_array_equal(load_pretrained(folder).logits(Xt), clf.logits(Xt))


def test_loads_in_a_fresh_process(pipeline, data, tmp_path):
    X, _ = data
    folder = save_pretrained(pipeline, tmp_path / "fresh")
    np.save(tmp_path / "X.npy", X)
    code = (
        "import numpy as np, sys; from specauth.hub import load_pretrained; "
        f"m = load_pretrained({str(folder)!r}); "
        f"np.save({str(tmp_path / 'p.npy')!r}, "
        f"m.predict_proba(np.load({str(tmp_path / 'X.npy')!r})))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    np.testing.assert_allclose(
        np.load(tmp_path / "p.npy"), pipeline.predict_proba(X), rtol=1e-6
    )


def _tamper(folder, edit):
    path = folder / "config.json"
    config = json.loads(path.read_text())
    edit(config)
    path.write_text(json.dumps(config))


def test_tampered_config_is_refused(pipeline, tmp_path):
    folder = save_pretrained(pipeline, tmp_path / "t")
    _tamper(folder, lambda c: c["root"]["steps"][0][1].update({"class": "os.system"}))
    with pytest.raises(ValueError, match="Refusing to load class 'os.system'"):
        load_pretrained(folder)
    _tamper(
        folder,
        lambda c: c["root"]["steps"][0][1].update(
            {"class": "specauth.preprocessing.NoSuchThing"}
        ),
    )
    with pytest.raises(ValueError, match="Unknown class"):
        load_pretrained(folder)


def test_newer_format_and_missing_files_are_clear_errors(pipeline, tmp_path):
    folder = save_pretrained(pipeline, tmp_path / "v")
    _tamper(folder, lambda c: c.update({"format_version": 99}))
    with pytest.raises(ValueError, match="format version 99.*Upgrade"):
        load_pretrained(folder)
    with pytest.raises(FileNotFoundError, match="No saved model folder"):
        load_pretrained(tmp_path / "absent")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="config.json is missing"):
        load_pretrained(tmp_path / "empty")


def test_unsaveable_estimators_are_refused(data, tmp_path):
    from sklearn.exceptions import NotFittedError
    from sklearn.preprocessing import StandardScaler

    X, y = data
    with pytest.raises(NotFittedError):
        save_pretrained(CNNClassifier(), tmp_path / "a")
    with pytest.raises(TypeError, match="Only specauth estimators"):
        save_pretrained(StandardScaler().fit(X), tmp_path / "b")


def test_factory_model_round_trip_restores_the_factory(data, tmp_path):
    from specauth.models import CNNFactory

    X, y = data
    factory = CNNFactory(
        "mobilenetv2",
        weights=None,
        imaging="gadf",
        image_size=32,
        base_options={"alpha": 0.35},
    )
    clf = CNNClassifier(factory, epochs=1, random_state=0).fit(X, y)
    save_pretrained(clf, tmp_path / "m")
    loaded = load_pretrained(tmp_path / "m")
    assert loaded.model == factory and loaded.model is not factory
    assert loaded.model.base_options == {"alpha": 0.35}
    np.testing.assert_allclose(loaded.logits(X), clf.logits(X), rtol=1e-5, atol=1e-5)
