"""chemotools steps and BaselineCorrector are saved and loaded without pickle."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.pipeline import Pipeline

from specauth import ood
from specauth.datasets import make_spectra
from specauth.estimators import CNNClassifier
from specauth.hub import load_pretrained, make_model_card, save_pretrained
from specauth.hub.pretrained import CHEMOTOOLS_CLASSES
from specauth.openset import OpenSetClassifier
from specauth.preprocessing import BaselineCorrector
from tests.conftest import PROJECT_ROOT

chemotools = pytest.importorskip("chemotools")
pytest.importorskip("pybaselines")

from chemotools.baseline import AirPls  # noqa: E402
from chemotools.derivative import SavitzkyGolay  # noqa: E402
from chemotools.feature_selection import RangeCut  # noqa: E402
from chemotools.scatter import (  # noqa: E402
    MultiplicativeScatterCorrection,
    StandardNormalVariate,
)
from chemotools.smooth import SavitzkyGolayFilter  # noqa: E402

# Parameters other than the defaults, where the class has some worth setting.
PARAMS = {
    "chemotools.scatter.ExtendedMultiplicativeScatterCorrection": {"order": 3},
    "chemotools.scatter.RobustNormalVariate": {"percentile": 20},
    "chemotools.derivative.SavitzkyGolay": {"window_length": 9, "polyorder": 3},
    "chemotools.derivative.NorrisWilliams": {"window_length": 7, "deriv": 2},
    "chemotools.smooth.SavitzkyGolayFilter": {"window_length": 7, "polyorder": 2},
    "chemotools.smooth.WhittakerSmooth": {"lam": 100.0},
    "chemotools.smooth.MeanFilter": {"window_length": 5},
    "chemotools.baseline.AirPls": {"lam": 1e3, "nr_iterations": 5},
    "chemotools.baseline.ArPls": {"lam": 1e3, "ratio": 0.05},
    "chemotools.baseline.AsLs": {"lam": 1e3, "penalty": 0.05},
    "chemotools.baseline.PolynomialCorrection": {"order": 2},
    "chemotools.baseline.ConstantBaselineCorrection": {"start": 3, "end": 9},
    "chemotools.feature_selection.RangeCut": {
        "start": 10.0,
        "end": 40.0,
        "x_axis": np.linspace(0.0, 63.0, 64),
    },
    "chemotools.scale.PointScaler": {"point": 5},
}


@pytest.fixture(scope="module")
def data():
    d = make_spectra(n_classes=3, n_samples_per_class=10, length=64, random_state=2)
    return d.X + np.linspace(0.0, 0.5, 64), d.y  # a sloped baseline


@pytest.fixture(scope="module")
def closed_set(data):
    """chemotools SNV + SG derivative + BaselineCorrector + a tiny CNN."""
    X, y = data
    return Pipeline(
        [
            ("snv", StandardNormalVariate()),
            ("derivative", SavitzkyGolay(window_length=7, polyorder=2, deriv=1)),
            ("baseline", BaselineCorrector("asls", params={"lam": 1e4, "p": 0.05})),
            ("cnn", CNNClassifier("cnn1d_small", epochs=2, random_state=0)),
        ]
    ).fit(X, y)


@pytest.fixture(scope="module")
def open_set(data):
    """Steps with learned arrays (MSC, airPLS) + a range cut + OpenSetClassifier."""
    X, y = data
    clf = CNNClassifier("cnn1d_small", epochs=2, random_state=0)
    return Pipeline(
        [
            ("msc", MultiplicativeScatterCorrection()),
            ("smooth", SavitzkyGolayFilter(window_length=5, polyorder=2)),
            ("baseline", AirPls(lam=1e3, nr_iterations=5)),
            ("cut", RangeCut(start=2, end=62)),
            ("osc", OpenSetClassifier(clf, ood.KNNDetector(alpha=0.2))),
        ]
    ).fit(X, y)


def _class(path):
    module, _, name = path.rpartition(".")
    return getattr(__import__(module, fromlist=[name]), name)


@pytest.mark.parametrize("path", sorted(CHEMOTOOLS_CLASSES))
def test_every_allowed_chemotools_class_round_trips_exactly(path, data, tmp_path):
    X, _ = data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # deprecated aliases
        step = _class(path)(**PARAMS.get(path, {})).fit(X)
        loaded = load_pretrained(save_pretrained(step, tmp_path / "m"))
        expected = step.transform(X)
        np.testing.assert_array_equal(loaded.transform(X), expected)
    assert type(loaded) is type(step)
    assert loaded.get_params().keys() == step.get_params().keys()
    config = json.loads((tmp_path / "m" / "config.json").read_text())
    assert config["root"]["class"] == path
    saved = set(config["root"]["state"])
    assert saved == {"n_features_in_", *CHEMOTOOLS_CLASSES[path]}


def test_learned_arrays_are_the_fitted_ones_not_the_probe(data, tmp_path):
    X, _ = data
    msc = MultiplicativeScatterCorrection().fit(X)
    loaded = load_pretrained(save_pretrained(msc, tmp_path / "m"))
    np.testing.assert_array_equal(loaded.reference_, X.mean(axis=0))
    airpls = AirPls(lam=1e3).fit(X)
    loaded = load_pretrained(save_pretrained(airpls, tmp_path / "a"))
    np.testing.assert_array_equal(loaded.w_init_, airpls.w_init_)


_FRESH = """
import sys
import numpy as np
from specauth.hub import load_pretrained
folder = sys.argv[1]
X = np.load(folder + "/X.npy")
closed = load_pretrained(folder + "/closed")
open_set = load_pretrained(folder + "/open")
np.save(folder + "/closed_proba.npy", closed.predict_proba(X))
np.save(folder + "/closed_labels.npy", closed.predict(X))
np.save(folder + "/open_labels.npy", open_set.predict(X))
np.save(folder + "/open_scores.npy", open_set.score_samples(X))
"""


def test_pipelines_load_in_a_fresh_process_with_identical_predictions(
    closed_set, open_set, data, tmp_path
):
    X, _ = data
    save_pretrained(closed_set, tmp_path / "closed")
    save_pretrained(open_set, tmp_path / "open")
    np.save(tmp_path / "X.npy", X)
    result = subprocess.run(
        [sys.executable, "-c", _FRESH, str(tmp_path)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]

    def out(name):
        return np.load(tmp_path / f"{name}.npy", allow_pickle=False)

    np.testing.assert_array_equal(out("closed_proba"), closed_set.predict_proba(X))
    np.testing.assert_array_equal(out("closed_labels"), closed_set.predict(X))
    np.testing.assert_array_equal(out("open_labels"), open_set.predict(X))
    np.testing.assert_array_equal(out("open_scores"), open_set.score_samples(X))


def test_the_model_card_lists_the_chemometric_steps(closed_set):
    card = make_model_card(closed_set)
    steps = "StandardNormalVariate -> SavitzkyGolay -> BaselineCorrector"
    assert f"**Preprocessing:** {steps}." in card


def _tamper(folder, change):
    config_file = folder / "config.json"
    config = json.loads(config_file.read_text())
    change(config)
    config_file.write_text(json.dumps(config))


@pytest.fixture()
def saved_steps(data, tmp_path):
    """A saved Pipeline of chemotools steps only: SNV then MSC."""
    X, _ = data
    steps = Pipeline(
        [("snv", StandardNormalVariate()), ("msc", MultiplicativeScatterCorrection())]
    )
    return save_pretrained(steps.fit(X), tmp_path / "steps")


def _step(config, i):
    return config["root"]["steps"][i][1]


@pytest.mark.parametrize(
    "path",
    [
        "os.system",
        "builtins.eval",
        "chemotools.something_not_allowed",
        "chemotools.adaptation.MetadataFunctionTransformer",  # holds a callable
        "chemotools.scatter.__builtins__",
    ],
)
def test_a_tampered_class_path_is_refused(saved_steps, path):
    _tamper(saved_steps, lambda c: _step(c, 0).update({"class": path}))
    with pytest.raises(ValueError, match=f"Refusing to load class '{path}'"):
        load_pretrained(saved_steps)


def test_tampered_chemotools_state_is_refused(saved_steps):
    config = json.loads((saved_steps / "config.json").read_text())
    msc_state = _step(config, 1)["state"]

    def swap_arrays(c):  # A_ (n, 2) now names reference_'s array (n,)
        _step(c, 1)["state"]["A_"] = msc_state["reference_"]

    cases = [
        (swap_arrays, r"`A_` of .*MultiplicativeScatterCorrection .* shape \(64, 2\)"),
        (lambda c: _step(c, 1)["state"].pop("pinv_A_"), "must hold n_features_in_"),
        (lambda c: _step(c, 0)["state"].update({"x_": 1}), "must hold n_features_in_"),
        (lambda c: _step(c, 0)["state"].update({"n_features_in_": 2**40}), "an int in"),
        (lambda c: _step(c, 0)["params"].update({"bogus": 1}), "does not accept"),
    ]
    original = (saved_steps / "config.json").read_text()
    for change, message in cases:
        (saved_steps / "config.json").write_text(original)
        _tamper(saved_steps, change)
        with pytest.raises(ValueError, match=message):
            load_pretrained(saved_steps)


def test_chemotools_classes_outside_the_list_are_not_saved(data, tmp_path):
    from chemotools.scale import ParetoScaler

    X, _ = data
    with pytest.raises(TypeError, match="Cannot save chemotools.scale.ParetoScaler"):
        save_pretrained(ParetoScaler().fit(X), tmp_path / "m")


def test_a_missing_chemotools_names_the_package(saved_steps, monkeypatch):
    for name in list(sys.modules):
        if name == "chemotools" or name.startswith("chemotools."):
            monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(ImportError, match="pip install chemotools"):
        load_pretrained(saved_steps)


def test_a_clone_of_a_loaded_pipeline_refits(closed_set, data, tmp_path):
    X, y = data
    loaded = load_pretrained(save_pretrained(closed_set, tmp_path / "m"))
    refit = clone(loaded[:-1]).fit(X, y)
    np.testing.assert_array_equal(refit.transform(X), closed_set[:-1].transform(X))
