"""The per-process cache of fitted classifiers: what is a hit, what never is."""

from __future__ import annotations

import functools
import sys
import textwrap
import types

import numpy as np
import pytest
from sklearn.base import BaseEstimator, clone

from specauth.openset._cache import cached_fit, clear_classifier_cache


class Recorder(BaseEstimator):
    """A fast stand-in for a network classifier: counts its fits."""

    fits = 0

    def __init__(self, model=None, *, random_state=0, options=None, inner=None):
        self.model = model
        self.random_state = random_state
        self.options = options
        self.inner = inner

    def fit(self, X, y):
        type(self).fits += 1
        self.classes_ = np.unique(y)
        self.built_ = None if self.model is None else self.model()
        return self

    def transform(self, X):
        return np.array(X, dtype=float)[:, :2]


def _embed(classifier, X):
    return classifier.transform(X)


@pytest.fixture
def data():
    X = np.arange(24, dtype=float).reshape(6, 4)
    return X, np.array(list("ababab"))


@pytest.fixture(autouse=True)
def empty_cache():
    clear_classifier_cache()
    Recorder.fits = 0
    yield
    clear_classifier_cache()


@pytest.fixture
def notebook(monkeypatch):
    """Run cells in an importable module, as a notebook's ``__main__`` is."""
    module = types.ModuleType("notebook_cells")
    monkeypatch.setitem(sys.modules, module.__name__, module)

    def run(source):
        exec(textwrap.dedent(source), module.__dict__)
        return module

    return run


def _fit(classifier, data):
    fitted, features, hit = cached_fit(clone(classifier), *data, featurize=_embed)
    return fitted, hit


def test_identical_parameters_and_data_are_a_hit(data):
    def build():
        return "net"

    first, hit1 = _fit(Recorder(build), data)
    second, hit2 = _fit(Recorder(build), data)
    assert (hit1, hit2) == (False, True)
    assert Recorder.fits == 1
    assert second.built_ == "net"
    other_data = (data[0] + 1.0, data[1])
    assert _fit(Recorder(build), other_data)[1] is False


def test_a_builder_redefined_with_the_same_name_is_a_miss(data):
    def build():
        return "old network"

    _fit(Recorder(build), data)

    def build():  # noqa: F811 - a notebook cell run again with a new body
        return "new network"

    fitted, hit = _fit(Recorder(build), data)
    assert not hit and fitted.built_ == "new network"
    assert Recorder.fits == 2


def test_a_notebook_builder_redefined_with_the_same_name_is_a_miss(data, notebook):
    build = notebook("def build():\n    return 'old network'").build
    assert _fit(Recorder(build), data)[1] is False
    assert _fit(Recorder(build), data)[1] is True  # the same function object
    build = notebook("def build():\n    return 'new network'").build
    fitted, hit = _fit(Recorder(build), data)
    assert not hit and fitted.built_ == "new network"
    # a cell run again unchanged defines a new function: a miss too (identity)
    build = notebook("def build():\n    return 'new network'").build
    assert _fit(Recorder(build), data)[1] is False
    assert Recorder.fits == 3


def test_a_builder_changed_in_place_is_a_miss(data):
    units = 4

    def build():
        return units

    _fit(Recorder(build), data)
    units = 8  # the closure cell changes: same function object
    fitted, hit = _fit(Recorder(build), data)
    assert not hit and fitted.built_ == 8

    def with_default(width=1):
        return width

    _fit(Recorder(with_default), data)
    with_default.__defaults__ = (2,)
    fitted, hit = _fit(Recorder(with_default), data)
    assert not hit and fitted.built_ == 2
    with_default.__code__ = (lambda width=1: width * 10).__code__
    fitted, hit = _fit(Recorder(with_default), data)
    assert not hit and fitted.built_ == 20


def test_callables_inside_options_and_partials_are_keyed_too(data):
    def scale():
        return 1

    _fit(Recorder(options={"activation": [scale]}), data)

    def scale():  # noqa: F811
        return 2

    assert _fit(Recorder(options={"activation": [scale]}), data)[1] is False

    def build(width):
        return width

    assert _fit(Recorder(functools.partial(build, 3)), data)[1] is False
    fitted, hit = _fit(Recorder(functools.partial(build, 3)), data)
    assert hit and fitted.built_ == 3  # an equal partial (clone copies it) hits
    assert _fit(Recorder(functools.partial(build, 4)), data)[1] is False


def test_a_classifier_class_redefined_with_the_same_name_is_a_miss(data):
    _fit(Recorder(), data)
    Redefined = type("Recorder", (Recorder,), {"__qualname__": Recorder.__qualname__})
    fitted, hit = _fit(Redefined(), data)
    assert not hit and type(fitted) is Redefined


@pytest.mark.parametrize(
    "random_state",
    [None, np.random.RandomState(0), np.random.default_rng(0)],
    ids=["None", "RandomState", "Generator"],
)
def test_unseeded_classifiers_are_never_cached(data, random_state):
    first, hit1 = _fit(Recorder(random_state=random_state), data)
    second, hit2 = _fit(Recorder(random_state=random_state), data)
    assert not hit1 and not hit2 and first is not second
    assert Recorder.fits == 2
    nested = Recorder(inner=Recorder(random_state=random_state))
    assert _fit(nested, data)[1] is False
    assert _fit(nested, data)[1] is False


def test_a_hit_hands_out_an_independent_copy(data):
    first, _ = _fit(Recorder(), data)
    second, hit = _fit(Recorder(), data)
    assert hit and first is not second
    np.testing.assert_array_equal(second.classes_, first.classes_)
    assert second.classes_ is not first.classes_
    first.classes_[0] = "z"  # mutate what the first caller got
    first.set_params(random_state=5).fit(data[0][:2], np.array(["p", "q"]))
    third, hit = _fit(Recorder(), data)
    assert hit and list(third.classes_) == ["a", "b"]
    assert list(second.classes_) == ["a", "b"]


def test_features_are_copies_too(data):
    expected = data[0][:, :2].copy()
    _, features, _ = cached_fit(clone(Recorder()), *data, featurize=_embed)
    features[:] = -1.0
    _, again, hit = cached_fit(clone(Recorder()), *data, featurize=_embed)
    assert hit
    np.testing.assert_array_equal(again, expected)
    again[:] = -2.0
    np.testing.assert_array_equal(
        cached_fit(clone(Recorder()), *data, featurize=_embed)[1], expected
    )


def test_a_classifier_that_cannot_be_copied_is_not_cached(data):
    import threading

    class Locked(Recorder):
        def fit(self, X, y):
            super().fit(X, y)
            self.lock_ = threading.Lock()  # neither copyable nor picklable
            return self

    first, hit1 = _fit(Locked(), data)
    second, hit2 = _fit(Locked(), data)
    assert not hit1 and not hit2 and first is not second


def test_disabled_cache_always_fits(data):
    for _ in range(2):
        cached_fit(clone(Recorder()), *data, featurize=_embed, enabled=False)
    assert Recorder.fits == 2
    assert _fit(Recorder(), data)[1] is False  # nothing was stored


NOTEBOOK_BUILDER = """
import keras

def build(input_shape, n_outputs, *, seed=None):
    inputs = keras.Input(input_shape)
    hidden = keras.layers.Dense({units})(keras.layers.Flatten()(inputs))
    return keras.Model(inputs, keras.layers.Dense(n_outputs)(hidden))
"""


def test_a_notebook_builder_redefined_gets_a_new_network(notebook):
    from specauth.estimators import CNNClassifier

    X = np.random.default_rng(0).normal(size=(8, 16)).astype(np.float32)
    y = np.array(list("abababab"))
    shapes = []
    build = notebook(NOTEBOOK_BUILDER.format(units=3)).build
    for units in (3, 3, 5):
        if units != 3:  # the cell edited and run again
            build = notebook(NOTEBOOK_BUILDER.format(units=units)).build
        clf = CNNClassifier(build, epochs=1, batch_size=8, random_state=0)
        fitted, features, hit = cached_fit(clone(clf), X, y, featurize=_embed)
        shapes.append((features.shape[1], fitted.transform(X).shape[1], hit))
    # the same builder again is a hit; the edited cell gets its own network
    assert shapes == [(3, 3, False), (3, 3, True), (5, 5, False)]


def test_a_cached_network_keeps_its_input_standardisation():
    # Issue 15: a cache hit cloned the network and set its weights, but a
    # Keras Normalization layer only uses its statistics after
    # finalize_state(): the copy standardised with mean 0, variance 1
    # (accuracy 0.08 on PGAA) while the detector had been fitted on the
    # original's embeddings; feature detectors fell below chance.
    from specauth.datasets import make_spectra
    from specauth.estimators import CNNClassifier
    from specauth.ood import KNNDetector
    from specauth.openset import OpenSetClassifier
    from specauth.openset._cache import _copy_fitted

    data = make_spectra(n_classes=3, n_samples_per_class=10, length=64, random_state=0)
    X = data.X + 50.0  # far from mean 0: an unset standardisation shows
    clf = CNNClassifier(
        "cnn1d_small",
        epochs=2,
        random_state=0,
        model__input_norm="standard",
        model__derivative=True,
    )
    fitted = clf.fit(X, data.y)
    copy = _copy_fitted(fitted)
    np.testing.assert_allclose(copy.transform(X), fitted.transform(X), atol=1e-5)
    clear_classifier_cache()
    first = OpenSetClassifier(clf, KNNDetector()).fit(X, data.y)
    second = OpenSetClassifier(clf, KNNDetector()).fit(X, data.y)  # a cache hit
    np.testing.assert_allclose(
        second.classifier_.transform(X), first.classifier_.transform(X), atol=1e-5
    )
    np.testing.assert_allclose(
        second.score_samples(X), first.score_samples(X), rtol=1e-4, atol=1e-6
    )
    clear_classifier_cache()
