"""CNNClassifier: clear errors for bad labels, sparse input and class weights."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from specauth.estimators import CNNClassifier
from specauth.estimators.classifier import check_class_labels, check_class_weight

TINY = dict(model="cnn1d_small", epochs=1, batch_size=8, random_state=0)


@pytest.fixture(scope="module")
def X():
    return np.random.default_rng(0).normal(size=(8, 16)).astype(np.float32)


@pytest.fixture(scope="module")
def y():
    return np.array(list("abababab"))


def _never_trains(monkeypatch):
    """Make any training attempt fail, to prove an error comes before it."""
    import specauth.training.loop

    def refuse(*args, **kwargs):
        raise AssertionError("the network was trained before the error")

    monkeypatch.setattr(specauth.training.loop, "fit_network", refuse)


# ------------------------------------------------------------------ labels
@pytest.mark.parametrize(
    "labels",
    [
        np.array(["a", None, "b", "a", "b", "a", "b", "a"], dtype=object),
        ["a", None, "b", "a", "b", "a", "b", "a"],
        [None] * 8,
        np.array([0.0, np.nan, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0]),
        np.array(["a", np.nan, "b", "a", "b", "a", "b", "a"], dtype=object),
    ],
    ids=["object-None", "list-None", "all-None", "float-NaN", "object-NaN"],
)
def test_missing_labels_are_named_at_fit(X, labels, monkeypatch):
    _never_trains(monkeypatch)
    match = r"`y` has missing labels \(None or NaN\) at \[(0, )?1\b"
    with pytest.raises(ValueError, match=match):
        CNNClassifier(**TINY).fit(X, labels)


@pytest.mark.parametrize(
    "labels",
    [
        np.array(["a", 1, "b", 1, "a", 1, "b", "a"], dtype=object),
        ["a", 1, "b", 1, "a", 1, "b", "a"],  # numpy would turn 1 into "1"
        np.array([b"a", "b", b"a", "b", b"a", "b", b"a", "b"], dtype=object),
    ],
    ids=["object", "list", "bytes-and-str"],
)
def test_mixed_label_types_get_one_clear_message(X, labels, monkeypatch):
    _never_trains(monkeypatch)
    with pytest.raises(ValueError, match=r"`y` mixes label types"):
        CNNClassifier(**TINY).fit(X, labels)


def test_one_label_type_is_accepted():
    check_class_labels(["a", "b"])
    check_class_labels(np.array(["a", "b"], dtype=object))
    check_class_labels([1, 2.0, np.int64(3), True])  # all numbers
    check_class_labels(np.array([0, 1, 1]))
    with pytest.raises(ValueError, match="strings \\(e.g. 'a'\\) and numbers"):
        check_class_labels(["a", 1])
    with pytest.raises(ValueError, match="`known_classes` has missing labels"):
        check_class_labels([None, "a"], name="known_classes")


@pytest.mark.parametrize("kind", [sp.csr_matrix, sp.csr_array, sp.coo_array])
def test_sparse_input_is_refused_by_name(X, y, kind):
    with pytest.raises(TypeError, match="CNNClassifier does not support sparse"):
        CNNClassifier(**TINY).fit(kind(X), y)


def test_sparse_input_is_refused_after_fit(X, y):
    clf = CNNClassifier(**TINY).fit(X, y)
    with pytest.raises(TypeError, match="does not support sparse .*toarray"):
        clf.predict(sp.csr_matrix(X))


# ----------------------------------------------------------- class weights
@pytest.mark.parametrize(
    "weight, error, match",
    [
        (np.nan, ValueError, r"`class_weight\['a'\]` must be .* got nan"),
        (np.inf, ValueError, r"`class_weight\['a'\]` must be .* got inf"),
        (0.0, ValueError, r"`class_weight\['a'\]` must be .* got 0.0"),
        (-1.0, ValueError, r"`class_weight\['a'\]` must be .* got -1.0"),
        ("2", TypeError, r"`class_weight\['a'\]` must be"),
        (True, TypeError, r"`class_weight\['a'\]` must be"),
    ],
)
def test_bad_class_weights_are_refused_before_training(
    X, y, weight, error, match, monkeypatch
):
    _never_trains(monkeypatch)
    with pytest.raises(error, match=match):
        CNNClassifier(**TINY, class_weight={"a": weight}).fit(X, y)


def test_class_weight_keys_not_in_y_are_named(X, y, monkeypatch):
    _never_trains(monkeypatch)
    with pytest.raises(ValueError, match=r"`class_weight` has keys \['z', 'q'\]"):
        CNNClassifier(**TINY, class_weight={"z": 1.0, "a": 2.0, "q": 1.0}).fit(X, y)


@pytest.mark.parametrize(
    "weights, match",
    [
        ({0: np.nan}, r"`fit__class_weight\[0\]` must be .* got nan"),
        ({1: -1.0}, r"`fit__class_weight\[1\]` must be .* got -1.0"),
        ({0: 0}, r"`fit__class_weight\[0\]` must be .* got 0"),
        ({"a": 2.0}, r"`fit__class_weight` has keys \['a'\] .* \[0, 1\]"),
        ({5: 1.0}, r"`fit__class_weight` has keys \[5\]"),
    ],
)
def test_fit_class_weight_is_checked_too(X, y, weights, match, monkeypatch):
    _never_trains(monkeypatch)
    with pytest.raises(ValueError, match=match):
        CNNClassifier(**TINY, fit__class_weight=weights).fit(X, y)


def test_check_class_weight_maps_labels_to_output_indices():
    classes = np.array(["a", "b", "c"])
    weights = check_class_weight({"c": 3, "a": np.float32(0.5)}, classes)
    assert weights == {0: 0.5, 1: 1.0, 2: 3.0}
    assert all(type(v) is float for v in weights.values())
    by_index = check_class_weight({1: 2.0}, np.arange(2), name="fit__class_weight")
    assert by_index == {0: 1.0, 1: 2.0}
    with pytest.raises(TypeError, match="`class_weight` must be a dict"):
        check_class_weight([1.0, 2.0], classes)


@pytest.mark.slow  # >= 10 s on 2 cores
def test_valid_class_weights_train(X, y):
    clf = CNNClassifier(**TINY, class_weight={"b": 2.5}).fit(X, y)
    assert clf._keras_class_weight(None) == {0: 1.0, 1: 2.5}
    clf = CNNClassifier(**TINY, fit__class_weight={1: 2.5}).fit(X, y)
    # one training epoch (a settling epoch may follow: see _fitting.py)
    assert clf.history_.get("phase", ["train"]).count("train") == 1
