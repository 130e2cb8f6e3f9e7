"""ShapExplainer: efficiency, known attributions, classes, images, budget, errors."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view
from scipy.cluster.hierarchy import is_valid_linkage
from scipy.ndimage import gaussian_filter1d
from scipy.special import softmax

from specauth.datasets import make_spectra
from specauth.estimators import CNNClassifier
from specauth.explain.shap_explainer import (
    ShapExplainer,
    contiguous_linkage,
    segment_edges,
)

keras = pytest.importorskip("keras")
pytest.importorskip("shap")

LENGTH = 40


def conv_net(seed=0, length=64, n_classes=3):
    """A small, untrained, non-linear 1D network outputting logits."""
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((length, 1))
    x = keras.layers.Conv1D(4, 5, activation="tanh")(inputs)
    x = keras.layers.GlobalAveragePooling1D()(x)
    return keras.Model(inputs, keras.layers.Dense(n_classes)(x))


def window_net():
    """Logit 0 = sum of x[10:20]; logit 1 = 0 (a fixed Dense layer)."""
    inputs = keras.Input((LENGTH, 1))
    dense = keras.layers.Dense(2)
    outputs = dense(keras.layers.Flatten()(inputs))
    kernel = np.zeros((LENGTH, 2), dtype=np.float32)
    kernel[10:20, 0] = 1.0
    dense.set_weights([kernel, np.zeros(2, dtype=np.float32)])
    return keras.Model(inputs, outputs)


def image_net(seed=0):
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((12, 12, 3))
    x = keras.layers.Conv2D(4, 3, activation="tanh")(inputs)
    x = keras.layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, keras.layers.Dense(2)(x))


def count_rows(monkeypatch, network):
    """Count the samples the network is evaluated on."""
    counted = [0]
    original = network.predict_on_batch

    def counting(batch):
        counted[0] += len(batch)
        return original(batch)

    monkeypatch.setattr(network, "predict_on_batch", counting)
    return counted


@pytest.fixture(scope="module")
def spectra():
    return np.random.default_rng(0).normal(size=(3, 64)).astype(np.float32)


@pytest.fixture(scope="module")
def fitted():
    data = make_spectra(3, 8, length=64, random_state=0)
    clf = CNNClassifier("cnn1d_small", epochs=1, random_state=0)
    return clf.fit(data.X, data.y), data.X[:3]


# ------------------------------------------------------------------ helpers
def test_segments_cover_the_spectrum_in_near_equal_parts():
    edges = segment_edges(10, 3)
    assert edges.tolist() == [0, 3, 6, 10]
    lengths = np.diff(segment_edges(2631, 64))
    assert lengths.sum() == 2631 and lengths.min() >= 41 and lengths.max() <= 42


@pytest.mark.parametrize("n", [1, 2, 5, 64])
def test_linkage_merges_only_adjacent_ranges(n):
    tree = contiguous_linkage(n)
    assert tree.shape == (n - 1, 4)
    if n > 1:
        assert is_valid_linkage(tree)
    members = {i: [i] for i in range(n)}
    for row, (left, right, _, size) in enumerate(tree):
        merged = members[int(left)] + members[int(right)]
        assert sorted(merged) == list(range(min(merged), max(merged) + 1))
        assert len(merged) == size
        members[n + row] = merged


# --------------------------------------------------------------- efficiency
@pytest.mark.parametrize("algorithm", ["partition", "permutation"])
def test_maps_sum_to_score_minus_blurred_reference_score(spectra, algorithm):
    net = conv_net()
    explainer = ShapExplainer(
        net, algorithm, n_segments=16, blur_width=3.0, max_evals=120, random_state=0
    )
    maps = explainer.explain(spectra)
    logits_x = net.predict(spectra[..., None], verbose=0)
    reference = gaussian_filter1d(spectra, 3.0, axis=1, mode="nearest")
    logits_ref = net.predict(reference[..., None], verbose=0)
    chosen = np.argmax(logits_x, axis=1)
    expected = (logits_x - logits_ref)[np.arange(3), chosen]
    assert maps.shape == spectra.shape
    np.testing.assert_array_equal(explainer.class_indices_, chosen)
    np.testing.assert_allclose(maps.sum(axis=1), expected, atol=1e-5)
    np.testing.assert_allclose(
        explainer.segment_values_.sum(axis=1), expected, atol=1e-5
    )


def test_probability_output_sums_to_probability_difference(spectra):
    net = conv_net()
    explainer = ShapExplainer(net, background="zeros", output="probability")
    maps = explainer.explain(spectra, classes=1)
    proba_x = softmax(net.predict(spectra[..., None], verbose=0), axis=1)[:, 1]
    proba_0 = softmax(net.predict(np.zeros((1, 64, 1)), verbose=0), axis=1)[0, 1]
    np.testing.assert_allclose(maps.sum(axis=1), proba_x - proba_0, atol=1e-6)
    np.testing.assert_allclose(explainer.output_values_, proba_x, atol=1e-6)


# ----------------------------------------------------- known attributions
@pytest.mark.parametrize("algorithm", ["partition", "permutation"])
def test_all_credit_goes_to_the_segment_the_logit_reads(algorithm):
    X = np.random.default_rng(1).uniform(1, 2, size=(2, LENGTH)).astype(np.float32)
    explainer = ShapExplainer(
        window_net(), algorithm, n_segments=4, background="zeros", random_state=0
    )
    maps = explainer.explain(X, classes=0)
    window = X[:, 10:20].sum(axis=1)
    expected_segments = np.zeros((2, 4))
    expected_segments[:, 1] = window
    np.testing.assert_allclose(explainer.segment_values_, expected_segments, atol=1e-5)
    expected_maps = np.zeros((2, LENGTH))
    expected_maps[:, 10:20] = window[:, None] / 10
    np.testing.assert_allclose(maps, expected_maps, atol=1e-6)


def test_background_set_is_replaced_by_its_mean():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(1, LENGTH)).astype(np.float32)
    background = rng.normal(size=(5, LENGTH)).astype(np.float32)
    explainer = ShapExplainer(window_net(), n_segments=8, background=background)
    explainer.explain(X, classes=0)
    delta = X[0] - background.mean(axis=0)
    expected = [0, 0, delta[10:15].sum(), delta[15:20].sum(), 0, 0, 0, 0]
    np.testing.assert_allclose(explainer.segment_values_[0], expected, atol=1e-5)


def test_mean_background_uses_the_explained_samples():
    X = np.random.default_rng(3).normal(size=(3, LENGTH)).astype(np.float32)
    explainer = ShapExplainer(window_net(), n_segments=4, background="mean")
    maps = explainer.explain(X, classes=0)
    delta = X[:, 10:20].sum(axis=1) - X[:, 10:20].sum(axis=1).mean()
    np.testing.assert_allclose(maps.sum(axis=1), delta, atol=1e-5)


def test_inputs_and_global_random_state_are_left_unchanged(spectra):
    X = spectra.copy()
    network = conv_net()  # seeds numpy's generator itself: build it first
    state = np.random.get_state()
    ShapExplainer(network, "permutation", n_segments=8, random_state=3).explain(X)
    np.testing.assert_array_equal(X, spectra)
    after = np.random.get_state()
    assert state[0] == after[0] and np.array_equal(state[1], after[1])


# ---------------------------------------------------------------- classes
def test_predicted_class_by_default_and_chosen_labels(fitted):
    clf, X = fitted
    logits = clf.logits(X)
    explainer = ShapExplainer(clf, n_segments=8, max_evals=60)
    default = explainer.explain(X)
    np.testing.assert_array_equal(explainer.class_indices_, np.argmax(logits, axis=1))
    np.testing.assert_array_equal(
        explainer.predicted_indices_, explainer.class_indices_
    )
    np.testing.assert_allclose(
        explainer.output_values_, logits.max(axis=1), rtol=1e-5, atol=1e-5
    )
    other = [clf.classes_[(i + 1) % 3] for i in np.argmax(logits, axis=1)]
    chosen = explainer.explain(X, classes=other)
    lookup = {c: i for i, c in enumerate(clf.classes_)}
    np.testing.assert_array_equal(explainer.class_indices_, [lookup[c] for c in other])
    np.testing.assert_allclose(
        explainer.output_values_,
        logits[np.arange(3), explainer.class_indices_],
        rtol=1e-5,
        atol=1e-5,
    )
    assert not np.allclose(default, chosen)


# ----------------------------------------------------------------- images
def test_image_maps_have_image_shape_and_sum_to_score_difference():
    net = image_net()
    images = np.random.default_rng(4).normal(size=(2, 12, 12, 3)).astype(np.float32)
    explainer = ShapExplainer(net, background="zeros", max_evals=64)
    maps = explainer.explain(images)
    logits = net.predict(images, verbose=0)
    base = net.predict(np.zeros((1, 12, 12, 3)), verbose=0)[0]
    chosen = np.argmax(logits, axis=1)
    assert maps.shape == (2, 12, 12)
    assert explainer.segment_values_ is None
    np.testing.assert_allclose(
        maps.sum(axis=(1, 2)), logits[np.arange(2), chosen] - base[chosen], atol=1e-5
    )


def test_image_blur_reference_is_a_mirrored_box_mean():
    net = image_net()
    image = np.random.default_rng(5).normal(size=(1, 12, 12, 3)).astype(np.float32)
    explainer = ShapExplainer(net, blur_width=3, max_evals=32)
    explainer.explain(image, classes=1)
    padded = np.pad(image[0], ((1, 1), (1, 1), (0, 0)), mode="reflect")
    blurred = sliding_window_view(padded, (3, 3), axis=(0, 1)).mean(axis=(-2, -1))
    expected = net.predict(blurred[None], verbose=0)[0, 1]
    np.testing.assert_allclose(explainer.base_values_, [expected], atol=1e-5)


# ----------------------------------------------------------------- budget
@pytest.mark.parametrize(
    ("algorithm", "max_evals"),
    [("partition", 41), ("partition", 40), ("permutation", 50)],
)
def test_max_evals_caps_network_evaluations(monkeypatch, spectra, algorithm, max_evals):
    net = conv_net()
    counted = count_rows(monkeypatch, net)
    explainer = ShapExplainer(
        net, algorithm, n_segments=8, max_evals=max_evals, batch_size=7
    )
    explainer.explain(spectra[:1])
    evaluations = counted[0] - 1  # minus the forward pass that picks the class
    assert 0 < evaluations <= max_evals
    assert explainer.n_evals_.tolist() == [evaluations]


def test_max_evals_caps_image_evaluations(monkeypatch):
    net = image_net()
    counted = count_rows(monkeypatch, net)
    image = np.ones((1, 12, 12, 3), dtype=np.float32)
    ShapExplainer(net, max_evals=25, batch_size=4).explain(image)
    assert 0 < counted[0] - 1 <= 25


# -------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"algorithm": "exact"}, ValueError, "`algorithm` must be one of"),
        ({"background": "median"}, ValueError, "`background` must be one of"),
        ({"background": None}, TypeError, "`background` must be one of"),
        ({"background": np.zeros(39)}, ValueError, "`background`"),
        ({"output": "odds"}, ValueError, "`output` must be one of"),
        (
            {"n_segments": 0},
            ValueError,
            r"`n_segments` must be an int in \[1, inf\) or None",
        ),
        ({"n_segments": 2.5}, TypeError, "`n_segments` must be an int"),
        ({"n_segments": 41}, ValueError, r"`n_segments` must be in \[1, n_points=40\]"),
        (
            {"max_evals": 1},
            ValueError,
            r"`max_evals` must be an int in \[2, inf\); got 1",
        ),
        (
            {"batch_size": 0},
            ValueError,
            r"`batch_size` must be an int in \[1, inf\); got 0",
        ),
        (
            {"blur_width": -1.0},
            ValueError,
            r"`blur_width` must be a finite number in \(0, inf\)",
        ),
        (
            {"blur_width": "wide"},
            TypeError,
            r"`blur_width` must be a finite number in \(0, inf\)",
        ),
        (
            {"blur_width": float("inf")},
            ValueError,
            "`blur_width` must be a finite number",
        ),
        (
            {"random_state": 2**40},
            ValueError,
            r"`random_state` must be an int in \[0, 4294967295\] or None",
        ),
        ({"random_state": 1.5}, TypeError, "`random_state` must be an int"),
        (
            {"algorithm": "permutation", "n_segments": 10, "max_evals": 20},
            ValueError,
            r"`max_evals` must be >= 2 \* n_features \+ 1 = 21",
        ),
    ],
)
def test_bad_parameters(kwargs, error, match):
    with pytest.raises(error, match=match):
        ShapExplainer(window_net(), **kwargs)


def test_bad_samples_and_classes():
    explainer = ShapExplainer(window_net(), n_segments=4)
    with pytest.raises(ValueError, match=r"`X` must hold samples of shape \(40, 1\)"):
        explainer.explain(np.zeros((2, 39)))
    with pytest.raises(ValueError, match="`X` must be a 2D array"):
        explainer.explain(np.zeros((2, 40, 1, 1)))
    bad = np.zeros((2, LENGTH))
    bad[1, 3] = np.nan
    with pytest.raises(ValueError, match="`X` contains NaN"):
        explainer.explain(bad)
    with pytest.raises(ValueError, match=r"class indices in \[0, 2\)"):
        explainer.explain(np.zeros((2, LENGTH)), classes=2)
    for classes, got in (
        ([0, 1, 0], "3 values"),
        ([0], "1 value"),
        ([[0, 1]], "shape"),
    ):
        with pytest.raises(
            ValueError,
            match=rf"one class or one per sample of `X` \(2 values\); got {got}",
        ):
            explainer.explain(np.zeros((2, LENGTH)), classes=classes)


def test_estimator_errors(fitted):
    clf, X = fitted
    with pytest.raises(ValueError, match="does not know"):
        ShapExplainer(clf, n_segments=4).explain(X, classes="no_such_phase")
    with pytest.raises(ValueError, match="expecting 64 features"):
        ShapExplainer(clf, n_segments=4).explain(np.zeros((1, 50)))
    with pytest.raises(ValueError, match="not fitted yet"):
        ShapExplainer(CNNClassifier())
    with pytest.raises(TypeError, match="`model` must be a fitted CNNClassifier"):
        ShapExplainer(object())


def test_missing_shap_gives_install_hint(monkeypatch):
    monkeypatch.setitem(sys.modules, "shap", None)
    with pytest.raises(ImportError, match=r"pip install specauth\[explain\]"):
        ShapExplainer(window_net())
