"""save_pretrained / load_pretrained: identical predictions, no pickle, safety."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings

import numpy as np
import pytest
from sklearn.pipeline import make_pipeline

from specauth import imaging, ood
from specauth.datasets import make_spectra
from specauth.estimators import CNNClassifier
from specauth.hub import load_pretrained, save_pretrained
from specauth.openset import OpenSetClassifier
from specauth.preprocessing import Crop, LogTransform, SpectrumNormalizer
from tests.conftest import PROJECT_ROOT

DETECTORS = ["DIME", "Energy", "MaxSoftmax", "MaxLogit", "Mahalanobis", "KNNDetector"]
DETECTORS += ["ViM"]


@pytest.fixture(scope="module")
def data():
    d = make_spectra(n_classes=3, n_samples_per_class=10, length=64, random_state=2)
    return d.X, d.y


@pytest.fixture(scope="module")
def osc_pipeline(data):
    """Preprocessing (specauth and scikit-learn) + an open-set classifier."""
    from sklearn.preprocessing import StandardScaler

    X, y = data
    clf = CNNClassifier("cnn1d_small", epochs=2, random_state=0, model__dropout=0.1)
    osc = OpenSetClassifier(clf, ood.DIME(alpha=0.2))
    return make_pipeline(
        Crop(2, 62),
        SpectrumNormalizer("max"),
        LogTransform(1e-6),
        StandardScaler(),
        osc,
    ).fit(X, y)


@pytest.fixture(scope="module")
def pipeline(osc_pipeline):
    """The same fitted preprocessing, ending in the fitted CNNClassifier."""
    return make_pipeline(*osc_pipeline[:-1], osc_pipeline[-1].classifier_)


@pytest.fixture(scope="module")
def clf(data):
    X, y = data
    return CNNClassifier("cnn1d_small", epochs=1, random_state=0).fit(X, y)


def _round_trip(estimator, folder):
    return load_pretrained(save_pretrained(estimator, folder))


# ------------------------------------------------------------- round trips
def test_pipeline_round_trip_gives_identical_predictions(pipeline, data, tmp_path):
    X, _ = data
    folder = save_pretrained(pipeline, tmp_path / "m")
    assert {p.name for p in folder.iterdir()} == {
        "config.json",
        "arrays.npz",
        "network.keras",
        "README.md",
    }
    loaded = load_pretrained(folder)
    np.testing.assert_array_equal(loaded.predict_proba(X), pipeline.predict_proba(X))
    np.testing.assert_array_equal(loaded.predict(X), pipeline.predict(X))
    np.testing.assert_array_equal(loaded.transform(X), pipeline.transform(X))
    clf = loaded[-1]
    assert clf.get_params()["model__dropout"] == 0.1
    assert clf.input_shape_ == pipeline[-1].input_shape_
    assert clf.history_ == pipeline[-1].history_
    assert [type(s) for s in loaded] == [type(s) for s in pipeline]


def test_config_records_data_shape_classes_and_versions(pipeline, data, tmp_path):
    X, _ = data
    clf = pipeline[-1]
    Xt = pipeline[:-1].transform(X)
    folder = save_pretrained(clf, tmp_path / "clf")
    np.testing.assert_array_equal(load_pretrained(folder).logits(Xt), clf.logits(Xt))
    config = json.loads((folder / "config.json").read_text())
    assert config["format_version"] == 2
    assert config["root"]["class"] == "specauth.estimators.CNNClassifier"
    assert config["versions"]["keras"] and config["versions"]["scikit-learn"]
    assert config["versions"]["python"].count(".") == 2
    assert config["data"]["input_shape"] == [60, 1]
    assert config["data"]["classes"] == clf.classes_.tolist()
    assert config["data"]["network"]["parameters"] == clf.network_.count_params()
    whole = json.loads(
        (save_pretrained(pipeline, tmp_path / "p") / "config.json").read_text()
    )
    assert whole["data"]["n_features_in"] == X.shape[1] == 64
    assert [s["class"] for s in whole["data"]["preprocessing"]] == [
        "Crop",
        "SpectrumNormalizer",
        "LogTransform",
        "StandardScaler",
    ]


@pytest.mark.parametrize("name", DETECTORS)
def test_detector_round_trip_on_precomputed_inputs(name, clf, data, tmp_path):
    X, y = data
    cls = getattr(ood, name)
    Z = clf.logits(X) if cls.input_kind == "logits" else clf.transform(X)
    extra = {}
    if name == "ViM":
        weight, bias = clf.network_.layers[-1].get_weights()
        extra = {"weight": weight, "bias": bias}
    det = cls(alpha=0.1, **extra).fit(Z, y)
    loaded = _round_trip(det, tmp_path / name)
    assert type(loaded) is cls and loaded.threshold_ == det.threshold_
    np.testing.assert_array_equal(loaded.score_samples(Z), det.score_samples(Z))
    np.testing.assert_array_equal(loaded.predict(Z), det.predict(Z))
    np.testing.assert_array_equal(loaded.calibration_scores_, det.calibration_scores_)


@pytest.mark.parametrize("name", DETECTORS)
def test_detector_with_model_round_trip(name, clf, data, tmp_path):
    X, y = data
    det = getattr(ood, name)(model=clf).fit(X, y)
    folder = save_pretrained(det, tmp_path / name)
    assert (folder / "network.keras").is_file()
    loaded = load_pretrained(folder)
    assert isinstance(loaded.model, CNNClassifier) and loaded.model is not clf
    np.testing.assert_allclose(
        loaded.score_samples(X), det.score_samples(X), rtol=1e-6, atol=1e-6
    )
    np.testing.assert_array_equal(loaded.predict(X), det.predict(X))


@pytest.mark.parametrize("name", DETECTORS)
def test_open_set_classifier_round_trip(name, data, tmp_path):
    X, y = data
    # Same classifier and data each time: the classifier cache trains it once.
    osc = OpenSetClassifier(
        CNNClassifier("cnn1d_small", epochs=1, random_state=0),
        getattr(ood, name)(alpha=0.2),
        unknown_label="?",
    ).fit(X, y)
    loaded = _round_trip(osc, tmp_path / name)
    assert type(loaded.detector_) is type(osc.detector_)
    np.testing.assert_array_equal(loaded.score_samples(X), osc.score_samples(X))
    np.testing.assert_array_equal(loaded.predict(X), osc.predict(X))
    assert loaded.detector_.threshold_ == osc.detector_.threshold_
    np.testing.assert_array_equal(loaded.predict_proba(X), osc.predict_proba(X))


def test_model_saved_before_the_renames_loads(osc_pipeline, data, tmp_path):
    """specauth 0.1 saved ``refit_detector_on`` and ``train_scores_``."""
    X, _ = data
    folder = save_pretrained(osc_pipeline, tmp_path / "old")

    def as_saved_by_0_1(config):
        osc = config["root"]["steps"][-1][1]
        del osc["params"]["calibrate_on"]
        osc["params"]["refit_detector_on"] = "holdout"
        detector = osc["state"]["detector_"]["__estimator__"]["state"]
        detector["train_scores_"] = detector.pop("calibration_scores_")

    _tamper(folder, as_saved_by_0_1)
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)  # loading does not warn
        loaded = load_pretrained(folder)
    osc, detector = loaded[-1], loaded[-1].detector_
    assert osc.get_params()["refit_detector_on"] == "holdout"
    np.testing.assert_array_equal(
        detector.calibration_scores_, osc_pipeline[-1].detector_.calibration_scores_
    )
    np.testing.assert_array_equal(loaded.predict(X), osc_pipeline.predict(X))
    np.testing.assert_array_equal(
        loaded.score_samples(X), osc_pipeline.score_samples(X)
    )


@pytest.mark.slow
def test_open_set_classifier_with_2d_network_round_trip(data, tmp_path):
    X, y = data
    clf = CNNClassifier(
        "mobilenetv2",
        epochs=1,
        random_state=0,
        model__imaging="gasf",
        model__image_size=32,
        model__weights=None,
        model__base_options={"alpha": 0.35},
    )
    osc = OpenSetClassifier(clf, ood.Energy(alpha=0.2)).fit(X, y)
    loaded = _round_trip(osc, tmp_path / "m2d")
    assert loaded.classifier_.get_params()["model__base_options"] == {"alpha": 0.35}
    np.testing.assert_allclose(
        loaded.score_samples(X), osc.score_samples(X), rtol=1e-6, atol=1e-6
    )
    np.testing.assert_array_equal(loaded.predict(X), osc.predict(X))


@pytest.mark.parametrize(
    "transformer",
    [
        imaging.GramianAngularField(image_size=16, method="difference"),
        imaging.MarkovTransitionField(image_size=16, n_bins=4),
        imaging.RecurrencePlot(image_size=16, percentage=20),
        imaging.StackedFields(("gasf", "mtf"), image_size=16),
        Crop(energies=np.linspace(0.0, 1.0, 64), start=0.2, stop=0.8),
        SpectrumNormalizer("sum"),
        LogTransform(floor=1e-3, base=10),
    ],
    ids=lambda t: type(t).__name__,
)
def test_transformer_round_trip(transformer, data, tmp_path):
    X, _ = data
    fitted = transformer.fit(X)
    loaded = _round_trip(fitted, tmp_path / "t")
    assert loaded.get_params().keys() == fitted.get_params().keys()
    np.testing.assert_array_equal(loaded.transform(X), fitted.transform(X))


def test_allowed_sklearn_steps_round_trip(data, tmp_path):
    import pandas as pd
    from sklearn.decomposition import PCA
    from sklearn.preprocessing import (
        LabelEncoder,
        MaxAbsScaler,
        MinMaxScaler,
        Normalizer,
        RobustScaler,
        StandardScaler,
    )

    X, y = data
    frame = pd.DataFrame(X, columns=[f"e{i}" for i in range(X.shape[1])])
    pipe = make_pipeline(
        StandardScaler(),
        MinMaxScaler((-1, 2)),
        MaxAbsScaler(),
        RobustScaler(quantile_range=(10.0, 90.0)),
        Normalizer("l1"),
        PCA(n_components=5, whiten=True),
    ).fit(frame)
    loaded = _round_trip(pipe, tmp_path / "sk")
    np.testing.assert_array_equal(loaded.transform(frame), pipe.transform(frame))
    assert loaded[0].feature_names_in_.dtype == object
    np.testing.assert_array_equal(loaded[0].feature_names_in_, frame.columns)
    assert loaded[1].feature_range == (-1, 2)
    encoder = _round_trip(LabelEncoder().fit(y), tmp_path / "le")
    np.testing.assert_array_equal(encoder.transform(y), LabelEncoder().fit_transform(y))


def test_two_networks_and_a_shared_one(clf, pipeline, tmp_path):
    from sklearn.pipeline import Pipeline

    holder = Pipeline([("a", clf), ("b", clf), ("c", pipeline[-1])])
    folder = save_pretrained(holder, tmp_path / "n")
    assert sorted(p.name for p in folder.glob("*.keras")) == [
        "network.keras",
        "network_1.keras",
    ]
    loaded = load_pretrained(folder)
    assert loaded[0].network_ is loaded[1].network_
    for got, want in zip(
        loaded[2].network_.weights, pipeline[-1].network_.weights, strict=True
    ):
        np.testing.assert_array_equal(np.asarray(got), np.asarray(want))


# ------------------------------------------------------------ fresh process
_FRESH_CODE = """
import sys, numpy as np, keras
folder, X = sys.argv[1], np.load(sys.argv[1] + "/X.npy")
out = {name: keras.saving.load_model(folder + f"/{name}/network.keras")
       .predict(X[:, :, None], verbose=0) for name in ("plain", "default")}
assert "specauth" not in sys.modules, "specauth was imported"
try:
    keras.saving.load_model(folder + "/custom/network.keras")
    print("CUSTOM-LOADED-WITHOUT-SPECAUTH")
except TypeError as err:
    print("REFUSED:", "Could not locate class 'PositionChannel'" in str(err))
import specauth.models.layers
out["custom"] = keras.saving.load_model(folder + "/custom/network.keras").predict(
    X[:, :, None], verbose=0)
from specauth.hub import load_pretrained
model = load_pretrained(folder + "/osc")
out["labels"], out["scores"] = model.predict(X), model.score_samples(X)
np.savez(folder + "/out.npz", **out)
"""


@pytest.fixture(scope="module")
def fresh(clf, osc_pipeline, data, tmp_path_factory):
    """One fresh Python process loads three saved folders (see _FRESH_CODE)."""
    X, y = data
    folder = tmp_path_factory.mktemp("fresh")
    plain = CNNClassifier(
        "cnn1d_small", epochs=1, random_state=0, model__position_channel=False
    )
    models = {"osc": osc_pipeline, "plain": plain.fit(X, y), "default": clf}
    for name, model in models.items():
        save_pretrained(model, folder / name)
    # A network with a specauth custom layer (the default builders have none).
    import keras

    from specauth.models.layers import PositionChannel

    inputs = keras.Input(X.shape[1:] + (1,))
    x = keras.layers.GlobalAveragePooling1D()(PositionChannel()(inputs))
    models["custom"] = keras.Model(inputs, keras.layers.Dense(2)(x))
    (folder / "custom").mkdir()
    models["custom"].save(folder / "custom" / "network.keras")
    np.save(folder / "X.npy", X)
    result = subprocess.run(
        [sys.executable, "-c", _FRESH_CODE, str(folder)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    with np.load(folder / "out.npz", allow_pickle=False) as out:
        return models, dict(out), result.stdout, folder


def test_open_set_pipeline_loads_in_a_fresh_process(fresh, data):
    X, _ = data
    models, out, _, folder = fresh
    model = models["osc"]
    np.testing.assert_array_equal(out["labels"], model.predict(X))
    np.testing.assert_allclose(
        out["scores"], model.score_samples(X), rtol=1e-6, atol=1e-6
    )
    loaded = load_pretrained(folder / "osc")  # and in this process, exactly
    np.testing.assert_array_equal(loaded.score_samples(X), model.score_samples(X))
    assert [type(s).__name__ for s in loaded] == [
        "Crop",
        "SpectrumNormalizer",
        "LogTransform",
        "StandardScaler",
        "OpenSetClassifier",
    ]
    # The fresh process rejects exactly where the loaded threshold does (an
    # out-of-fold threshold may accept every training spectrum).
    rejected = ~loaded[-1].detector_.accepts(out["scores"])
    np.testing.assert_array_equal(out["labels"] == "unknown", rejected)


def test_network_file_alone_with_plain_keras(fresh, data):
    """Keras alone loads the 1D networks (built-in layers only, the position
    ramp included); specauth's custom layers need ``import
    specauth.models.layers`` (Keras auto-imports only keras*)."""
    X, _ = data
    models, out, stdout, _ = fresh
    for name in ("plain", "default"):
        np.testing.assert_allclose(
            out[name], models[name].logits(X), rtol=1e-5, atol=1e-6
        )
    assert "REFUSED: True" in stdout
    np.testing.assert_allclose(
        out["custom"],
        models["custom"].predict(X[:, :, None], verbose=0),
        rtol=1e-5,
        atol=1e-6,
    )


# ------------------------------------------------------------------ safety
def _tamper(folder, edit):
    path = folder / "config.json"
    config = json.loads(path.read_text())
    edit(config)
    path.write_text(json.dumps(config))


def _record_sha256(folder):
    import hashlib

    def edit(config):
        for name, entry in config["files"].items():
            content = (folder / name).read_bytes()
            entry["sha256"] = hashlib.sha256(content).hexdigest()
            entry["size"] = len(content)

    _tamper(folder, edit)


@pytest.fixture()
def saved_pipeline(pipeline, tmp_path):
    return save_pretrained(pipeline, tmp_path / "t")


def _set_step_class(path):
    return lambda c: c["root"]["steps"][0][1].update({"class": path})


@pytest.mark.parametrize(
    "path, message",
    [
        ("os.system", "Refusing to load class 'os.system'"),
        ("builtins.eval", "Refusing to load class 'builtins.eval'"),
        ("sklearn.preprocessing.FunctionTransformer", "Refusing to load class"),
        ("specauth.preprocessing.NoSuchThing", "Unknown class"),
        ("specauth.__main__.main", "Refusing to load class"),
        ("specauth.hub.pretrained.save_pretrained", "not a class defined by specauth"),
        ("specauth.hub.pretrained.os", "not a class defined by specauth"),
        ("specauth.models.CNNFactory", "as an estimator: it is not one"),
    ],
)
def test_tampered_class_path_is_refused(saved_pipeline, path, message):
    _tamper(saved_pipeline, _set_step_class(path))
    with pytest.raises(ValueError, match=message):
        load_pretrained(saved_pipeline)


def test_tampered_object_and_attributes_are_refused(data, tmp_path):
    from specauth.models import CNNFactory

    X, y = data
    clf = CNNClassifier(CNNFactory("mobilenetv2", weights=None), epochs=1)
    clf.n_features_in_ = 64  # looks fitted; only the config matters here
    clf.classes_ = np.array(["a", "b"])
    folder = save_pretrained(clf, tmp_path / "o")
    loaded = load_pretrained(folder)  # the factory is rebuilt from its config
    assert loaded.model == clf.model and loaded.model is not clf.model
    model = lambda c: c["root"]["params"]["model"]["__object__"]  # noqa: E731
    _tamper(folder, lambda c: model(c).update({"class": "subprocess.Popen"}))
    with pytest.raises(ValueError, match="Refusing to load class 'subprocess.Popen'"):
        load_pretrained(folder)
    _tamper(folder, lambda c: model(c).update({"class": "specauth.ood.DIME"}))
    with pytest.raises(ValueError, match="as an object: only specauth objects"):
        load_pretrained(folder)
    _tamper(folder, lambda c: c["root"].update({"params": {"_network": 1}}))
    with pytest.raises(ValueError, match="'_network' is not a parameter name"):
        load_pretrained(folder)
    _tamper(folder, lambda c: c["root"].update({"params": {}, "state": {"_x": 1}}))
    with pytest.raises(ValueError, match="not a fitted attribute name"):
        load_pretrained(folder)


def test_tampered_fitted_sub_estimators_are_refused(osc_pipeline, tmp_path):
    folder = save_pretrained(osc_pipeline, tmp_path / "osc")

    def osc_state(config):
        return config["root"]["steps"][-1][1]["state"]

    _tamper(folder, lambda c: osc_state(c).update({"classifier_": "hello"}))
    with pytest.raises(
        ValueError,
        match="Malformed config: fitted attribute 'classifier_' of "
        "OpenSetClassifier must be a CNNClassifier; got str.",
    ):
        load_pretrained(folder)
    folder = save_pretrained(osc_pipeline, tmp_path / "osc2")
    config = json.loads((folder / "config.json").read_text())
    crop = config["root"]["steps"][0][1]  # a saved Crop node, in the wrong place
    _tamper(
        folder, lambda c: osc_state(c).update({"detector_": {"__estimator__": crop}})
    )
    with pytest.raises(ValueError, match="'detector_' of .* must be a DIME; got Crop"):
        load_pretrained(folder)
    _tamper(folder, lambda c: c["root"].update({"steps": []}))
    with pytest.raises(ValueError, match="Pipeline 'steps' is empty"):
        load_pretrained(folder)


def test_network_in_an_estimator_without_one_is_refused(saved_pipeline):
    def edit(config):
        config["root"]["steps"][0][1]["state"]["network_"] = {
            "__network__": "network.keras"
        }

    _tamper(saved_pipeline, edit)
    with pytest.raises(
        ValueError, match="Malformed config: Crop cannot hold a network"
    ):
        load_pretrained(saved_pipeline)


def test_unknown_parameter_is_refused(saved_pipeline):
    _tamper(saved_pipeline, lambda c: c["root"]["steps"][0][1]["params"].update(bad=1))
    with pytest.raises(ValueError, match="Crop does not accept the saved param"):
        load_pretrained(saved_pipeline)


def test_network_path_outside_the_folder_is_refused(saved_pipeline):
    def edit(config):
        config["root"]["steps"][-1][1]["state"]["network_"] = {
            "__network__": "../network.keras"
        }

    _tamper(saved_pipeline, edit)
    with pytest.raises(ValueError, match="must be named like 'network.keras'"):
        load_pretrained(saved_pipeline)


def test_network_with_a_lambda_layer_is_refused(saved_pipeline):
    import keras

    inputs = keras.Input((60, 1))
    outputs = keras.layers.Lambda(lambda t: t * 2.0)(inputs)
    keras.Model(inputs, outputs).save(saved_pipeline / "network.keras")
    with pytest.raises(ValueError, match="network.keras does not match the sha256"):
        load_pretrained(saved_pipeline)
    _record_sha256(saved_pipeline)  # the safe mode refuses it all the same
    with pytest.raises(ValueError, match="in Keras safe mode.*Lambda"):
        load_pretrained(saved_pipeline)


def test_newer_format_and_missing_files_are_clear_errors(saved_pipeline, tmp_path):
    _tamper(saved_pipeline, lambda c: c.update({"format_version": 99}))
    with pytest.raises(ValueError, match="format version 99.*Upgrade"):
        load_pretrained(saved_pipeline)
    _tamper(saved_pipeline, lambda c: c.pop("format_version"))
    with pytest.raises(ValueError, match="no valid format version"):
        load_pretrained(saved_pipeline)
    with pytest.raises(FileNotFoundError, match="No saved model folder"):
        load_pretrained(tmp_path / "absent")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="config.json is missing"):
        load_pretrained(tmp_path / "empty")


def test_unsaveable_estimators_are_refused(data, tmp_path):
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.exceptions import NotFittedError
    from sklearn.preprocessing import FunctionTransformer

    X, y = data
    with pytest.raises(NotFittedError):
        save_pretrained(CNNClassifier(), tmp_path / "a")
    with pytest.raises(TypeError, match="Cannot save .*FunctionTransformer"):
        save_pretrained(
            make_pipeline(FunctionTransformer(np.log1p), Crop()).fit(X), tmp_path / "b"
        )
    with pytest.raises(TypeError, match="Cannot save .*RandomForestClassifier"):
        save_pretrained(RandomForestClassifier(3).fit(X, y), tmp_path / "c")
    with pytest.raises(TypeError, match="`metrics` must be a dict"):
        save_pretrained(Crop().fit(X), tmp_path / "d", metrics=[0.9])
    assert not (tmp_path / "d").exists()


def test_logistic_regression_round_trips(data, tmp_path):
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    X, y = data
    pipe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)).fit(X, y)
    loaded = load_pretrained(save_pretrained(pipe, tmp_path / "lr"))
    assert np.array_equal(loaded.predict_proba(X), pipe.predict_proba(X))
    assert loaded[-1].get_params() == pipe[-1].get_params()


def test_user_dict_shaped_like_a_marker_round_trips(data, tmp_path):
    X, y = data
    det = ood.MaxLogit().fit(X[:, :3])
    det.extra_ = {"__array__": "a0", "n": np.int64(3)}
    loaded = _round_trip(det, tmp_path / "d")
    assert loaded.extra_ == {"__array__": "a0", "n": 3}


# ------------------------------------------------ saving into existing folders
def _contents(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_a_folder_that_is_not_a_model_is_refused_unless_overwrite(data, tmp_path):
    X, _ = data
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "README.md").write_text("my notes")
    (folder / "network_2.keras").write_bytes(b"my network")
    before = _contents(folder)
    with pytest.raises(ValueError, match=r"not empty and holds no specauth model.*"):
        save_pretrained(Crop().fit(X), folder)
    assert _contents(folder) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine"]  # no leftovers
    save_pretrained(Crop().fit(X), folder, overwrite=True)
    after = _contents(folder)
    assert after["network_2.keras"] == b"my network"  # not written: kept
    assert after["README.md"] != b"my notes"  # written by save_pretrained
    assert isinstance(load_pretrained(folder), Crop)
    with pytest.raises(TypeError, match="`overwrite` must be True or False"):
        save_pretrained(Crop().fit(X), folder, overwrite="yes")


def test_resaving_a_model_removes_only_its_own_stale_parts(clf, pipeline, tmp_path):
    from sklearn.pipeline import Pipeline

    holder = Pipeline([("a", clf), ("c", pipeline[-1])])
    folder = save_pretrained(holder, tmp_path / "m")
    assert (folder / "network_1.keras").is_file()
    (folder / "network_5.keras").write_bytes(b"not recorded by the model")
    (folder / "notes.txt").write_text("kept")
    save_pretrained(clf, folder)  # one network now: network_1 was the model's
    assert sorted(p.name for p in folder.iterdir()) == [
        "README.md",
        "arrays.npz",
        "config.json",
        "network.keras",
        "network_5.keras",
        "notes.txt",
    ]
    assert (folder / "network_5.keras").read_bytes() == b"not recorded by the model"
    assert load_pretrained(folder).classes_.tolist() == clf.classes_.tolist()


def test_a_failed_save_leaves_the_previous_model_intact(clf, pipeline, data, tmp_path):
    from sklearn.pipeline import Pipeline

    X, _ = data
    holder = Pipeline([("a", clf), ("c", pipeline[-1])])
    folder = save_pretrained(holder, tmp_path / "m")  # two networks
    before = _contents(folder)
    det = ood.MaxLogit().fit(X[:, :3])
    det.extra_ = object()  # has no JSON form: fails while writing
    with pytest.raises(TypeError, match="Cannot save attribute `extra_`"):
        save_pretrained(det, folder)
    assert _contents(folder) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]  # no temporary folder


def test_saving_into_a_file_path_is_refused(data, tmp_path):
    X, _ = data
    (tmp_path / "file").write_text("x")
    with pytest.raises(ValueError, match="`directory` .* is a file"):
        save_pretrained(Crop().fit(X), tmp_path / "file")


def test_manifest_records_the_sha256_of_each_part(clf, tmp_path):
    import hashlib

    folder = save_pretrained(clf, tmp_path / "m")
    files = json.loads((folder / "config.json").read_text())["files"]
    assert sorted(files) == ["arrays.npz", "network.keras"]
    for name, entry in files.items():
        content = (folder / name).read_bytes()
        assert entry == {
            "sha256": hashlib.sha256(content).hexdigest(),
            "size": len(content),
        }
