"""CNNClassifier on pretrained 2D bases: frozen head training, fine-tuning, API."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV, train_test_split

from specauth.datasets import make_spectra
from specauth.estimators import CNNClassifier
from specauth.hub import load_pretrained, save_pretrained
from specauth.imaging import GramianAngularField
from specauth.models import CNNFactory
from specauth.ood import KNNDetector
from specauth.openset import OpenSetClassifier

WEIGHTS = (
    Path(__file__).resolve().parents[2]
    / ".."
    / "shared"
    / "weights"
    / "mobilenet_v2_imagenet_notop.weights.h5"
)
EPOCHS, FINE_TUNE_EPOCHS, UNFREEZE = 3, 1, 4
#: A slim random-weight base (MobileNet v1, alpha 0.25: the fastest to build
#: and trace), for the API checks that need no learning.
SLIM_BASE = "mobilenet"
SLIM = dict(
    epochs=1,
    batch_size=16,
    random_state=0,
    model__weights=None,
    model__freeze_base=True,
    model__base_options={"alpha": 0.25},
)


@pytest.fixture(scope="module")
def keras():
    from specauth._lazy import import_keras

    return import_keras()


@pytest.fixture(scope="module")
def data():
    d = make_spectra(
        n_classes=3,
        n_samples_per_class=20,
        length=128,
        n_unknown_classes=1,
        random_state=0,
    )
    X_train, X_test, y_train, y_test = train_test_split(
        d.X, d.y, test_size=0.3, stratify=d.y, random_state=0
    )
    return X_train, X_test, y_train, y_test, d.X_unknown


@pytest.fixture(scope="module")
def tuned(data, keras):
    """Pretrained MobileNetV2 on in-network GASF images, head then fine-tune.

    Returns the fitted classifier and the weights recorded at the start and end
    of each training phase (head, fine_tune).
    """
    if not WEIGHTS.is_file():
        pytest.skip(f"pretrained weights not found at {WEIGHTS}")
    snapshots = []

    class Snapshots(keras.callbacks.Callback):
        def _record(self):
            snapshots.append(
                {
                    v.path: keras.ops.convert_to_numpy(v).copy()
                    for v in self.model.weights
                }
            )

        def on_train_begin(self, logs=None):
            self._record()

        def on_train_end(self, logs=None):
            self._record()

    X_train, _, y_train, *_ = data
    clf = CNNClassifier(
        "mobilenetv2",
        epochs=EPOCHS,
        fine_tune_epochs=FINE_TUNE_EPOCHS,
        batch_size=16,
        learning_rate=1e-2,
        random_state=0,
        model__imaging="gasf",
        model__image_size=32,
        model__weights=str(WEIGHTS),
        fine_tune__unfreeze=UNFREEZE,
        fine_tune__learning_rate=1e-3,
        fit__callbacks=[Snapshots()],
    ).fit(X_train, y_train)
    clf.set_params(fit__callbacks=[])  # keep the callback out of pickles
    return clf, snapshots


def _is_bn(keras, layer):
    return isinstance(layer, keras.layers.BatchNormalization)


# ----------------------------------------------------------------- learning
def test_learns_synthetic_spectra(data, tuned):
    _, X_test, _, y_test, _ = data
    clf, _ = tuned
    assert clf.score(X_test, y_test) >= 0.7  # chance is 1/3
    assert clf.input_shape_ == (128, 1)
    assert clf.network_.get_layer("imaging") is not None


def test_history_has_head_then_fine_tune_phases(data, tuned):
    clf, snapshots = tuned
    n_epochs = EPOCHS + FINE_TUNE_EPOCHS
    assert clf.history_["phase"] == ["head"] * EPOCHS + ["fine_tune"]
    assert len(clf.history_["loss"]) == len(clf.history_["accuracy"]) == n_epochs
    steps = int(np.ceil(len(data[0]) / 16))
    assert len(clf.history_["lr_per_batch"]) == steps * n_epochs
    # fine_tune__learning_rate is the peak of the second one-cycle schedule
    assert max(clf.history_["lr_per_batch"][steps * EPOCHS :]) <= 1e-3 * (1 + 1e-6)
    assert len(snapshots) == 4


def test_head_training_leaves_the_pretrained_base_untouched(tuned, keras):
    clf, snapshots = tuned
    before, after = snapshots[0], snapshots[1]
    base = clf.network_.get_layer("base")
    reference = keras.applications.MobileNetV2(
        include_top=False, weights=None, input_shape=(32, 32, 3)
    )
    reference.load_weights(WEIGHTS)
    assert len(base.weights) == len(reference.weights)
    for mine, loaded in zip(base.weights, reference.weights, strict=True):
        # the base starts as the weights file and does not change (BN moving
        # mean and variance included)
        np.testing.assert_array_equal(before[mine.path], loaded.numpy(), mine.path)
        np.testing.assert_array_equal(after[mine.path], before[mine.path], mine.path)
    for path in ("logits/kernel", "logits/bias"):
        assert not np.allclose(after[path], before[path]), path
    np.testing.assert_array_equal(snapshots[2]["logits/kernel"], after["logits/kernel"])


def test_fine_tuning_moves_only_the_unfrozen_top_layers(tuned, keras):
    clf, snapshots = tuned
    before, after = snapshots[2], snapshots[3]
    base = clf.network_.get_layer("base")
    weighted = [
        layer for layer in base.layers if layer.weights and not _is_bn(keras, layer)
    ]
    top = weighted[-UNFREEZE:]
    n_checked = 0
    for layer in base.layers:
        for v in layer.weights:
            changed = not np.array_equal(after[v.path], before[v.path])
            # unfrozen convolutions move; earlier layers and every BatchNorm
            # weight (gamma, beta, moving mean and variance) stay
            assert changed == (layer in top), v.path
            n_checked += 1
    assert n_checked == len(base.weights)
    assert any(_is_bn(keras, layer) for layer in base.layers)
    assert not np.array_equal(after["logits/kernel"], before["logits/kernel"])


# ---------------------------------------------------------------- inference
def test_predict_proba_and_transform(data, tuned):
    X_test = data[1]
    clf, _ = tuned
    proba = clf.predict_proba(X_test)
    assert proba.shape == (len(X_test), 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_array_equal(
        clf.predict(X_test), clf.classes_[np.argmax(proba, axis=1)]
    )
    embedding = clf.transform(X_test)
    channels = clf.network_.get_layer("base").output.shape[-1]
    assert embedding.shape == (len(X_test), channels) == (len(X_test), 1280)
    kernel, bias = clf.network_.get_layer("logits").get_weights()
    np.testing.assert_allclose(
        embedding @ kernel + bias, clf.logits(X_test), rtol=1e-4, atol=1e-4
    )


def test_pickle_round_trip_gives_identical_predictions(data, tuned):
    X_test = data[1]
    clf, _ = tuned
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_allclose(
        restored.predict_proba(X_test), clf.predict_proba(X_test), rtol=1e-6
    )
    np.testing.assert_array_equal(restored.predict(X_test), clf.predict(X_test))
    assert restored.history_["phase"] == clf.history_["phase"]


def test_clone_keeps_every_routed_parameter(tuned):
    clf, _ = tuned
    copy = clone(clf)
    params = copy.get_params()
    assert params["fine_tune_epochs"] == FINE_TUNE_EPOCHS
    assert params["fine_tune__unfreeze"] == UNFREEZE
    assert params["fine_tune__learning_rate"] == 1e-3
    assert params["model__imaging"] == "gasf"
    assert params["model__weights"] == str(WEIGHTS)
    assert not hasattr(copy, "network_")


def test_save_pretrained_round_trip_gives_identical_predictions(data, tuned, tmp_path):
    X_test = data[1]
    clf, _ = tuned
    loaded = load_pretrained(save_pretrained(clf, tmp_path / "model"))
    assert isinstance(loaded, CNNClassifier)
    np.testing.assert_allclose(
        loaded.predict_proba(X_test), clf.predict_proba(X_test), rtol=1e-6
    )
    assert loaded.get_params()["fine_tune__unfreeze"] == UNFREEZE


# ----------------------------------------------------- images, clone, nesting
@pytest.fixture(scope="module")
def images(data):
    X_train, _, y_train, *_ = data
    return GramianAngularField(image_size=32).fit_transform(X_train), y_train


@pytest.fixture(scope="module")
def image_clf(images):
    X, y = images
    return CNNClassifier(SLIM_BASE, model__input_range=(-1, 1), **SLIM).fit(X, y)


def test_single_channel_images(images, image_clf):
    X, _ = images
    assert X.shape[1:] == (32, 32, 1)
    assert image_clf.input_shape_ == (32, 32, 1)
    adapter = image_clf.network_.get_layer("channel_adapter")
    assert adapter.output.shape[-1] == 3
    # The fixed adapter (a built-in layer) still copies the channel after fit.
    assert type(adapter).__name__ == "EinsumDense" and adapter.trainable_weights == []
    np.testing.assert_array_equal(np.asarray(adapter.kernel), [[1.0, 1.0, 1.0]])
    pred = image_clf.predict(X)
    assert pred.shape == (len(X),) and set(pred) <= set(image_clf.classes_)
    channels = image_clf.network_.get_layer("base").output.shape[-1]
    assert image_clf.transform(X).shape == (len(X), channels) == (len(X), 256)
    with pytest.raises(ValueError, match=r"fitted on samples of shape \(32, 32, 1\)"):
        image_clf.predict(np.repeat(X[:2], 3, axis=-1))


def test_clone_refit_gives_identical_predictions(images, image_clf):
    X, y = images
    refit = clone(image_clf).fit(X, y)
    np.testing.assert_array_equal(refit.predict_proba(X), image_clf.predict_proba(X))


def test_inside_open_set_classifier(data):
    X_train, X_test, y_train, _, X_unknown = data
    factory = CNNFactory(
        SLIM_BASE,
        weights=None,
        imaging="gasf",
        image_size=32,
        freeze_base=True,
        base_options={"alpha": 0.25},
    )
    classifier = CNNClassifier(factory, epochs=1, batch_size=16, random_state=0)
    osc = OpenSetClassifier(classifier, KNNDetector()).fit(X_train, y_train)
    assert classifier.get_params()["model"] is factory  # the user's is untouched
    assert not hasattr(classifier, "network_")
    allowed = set(osc.classes_) | {"unknown"}
    for X in (X_test, X_unknown):
        pred = osc.predict(X)
        assert pred.shape == (len(X),) and set(pred) <= allowed
        scores = osc.score_samples(X)
        assert scores.shape == (len(X),) and np.all(np.isfinite(scores))
    assert set(osc.classes_) == set(y_train)


@pytest.mark.slow
def test_grid_search_over_image_size(data):
    X_train, _, y_train, *_ = data
    clf = CNNClassifier(SLIM_BASE, model__imaging="gasf", **SLIM)
    search = GridSearchCV(
        clf,
        {"model__image_size": [32, 40]},
        cv=2,
        refit=False,
        error_score="raise",
    ).fit(X_train[:24], y_train[:24])
    assert [p["model__image_size"] for p in search.cv_results_["params"]] == [32, 40]
    scores = search.cv_results_["mean_test_score"]
    assert scores.shape == (2,) and np.all((scores >= 0) & (scores <= 1))
    assert "model__image_size" not in clf.get_params()  # the original is untouched


# ---------------------------------------------------------------- bad input
def test_fine_tune_epochs_with_a_1d_model(data):
    X_train, _, y_train, *_ = data
    clf = CNNClassifier("cnn1d_small", epochs=1, fine_tune_epochs=1, random_state=0)
    with pytest.raises(
        ValueError,
        match=r"`fine_tune_epochs=1` needs a network on a pretrained base: .*no layer",
    ):
        clf.fit(X_train, y_train)


def test_unknown_fine_tune_option(data):
    X_train, _, y_train, *_ = data
    clf = CNNClassifier(
        "cnn1d_small", epochs=1, fine_tune_epochs=1, random_state=0, fine_tune__foo=1
    )
    with pytest.raises(
        ValueError, match=r"Unknown `fine_tune__...` option\(s\) \['foo'"
    ):
        clf.fit(X_train, y_train)


def test_negative_fine_tune_epochs(data):
    X_train, _, y_train, *_ = data
    clf = CNNClassifier("mobilenetv2", fine_tune_epochs=-1)
    with pytest.raises(ValueError, match="fine_tune_epochs"):
        clf.fit(X_train, y_train)


def test_images_given_to_a_1d_model(images):
    X, y = images
    with pytest.raises(ValueError, match="is a 1D network but `X` holds images"):
        CNNClassifier("cnn1d_small", epochs=1).fit(X, y)


def test_spectra_given_to_a_2d_base_without_imaging(data):
    X_train, _, y_train, *_ = data
    clf = CNNClassifier("mobilenetv2", epochs=1, model__weights=None)
    with pytest.raises(ValueError, match="imaging='gasf'"):
        clf.fit(X_train, y_train)


def test_multichannel_spectra_with_imaging(data):
    X_train, _, y_train, *_ = data
    X = np.stack([X_train, X_train], axis=-1)
    clf = CNNClassifier(SLIM_BASE, model__imaging="gasf", **SLIM)
    with pytest.raises(ValueError, match=r"single-channel spectra \(length, 1\)"):
        clf.fit(X, y_train)


def test_nan_in_X(data):
    X_train, _, y_train, *_ = data
    X = X_train.copy()
    X[3, 7] = np.nan
    clf = CNNClassifier(SLIM_BASE, model__imaging="gasf", **SLIM)
    with pytest.raises(ValueError, match="NaN"):
        clf.fit(X, y_train)
    assert np.isnan(X[3, 7])  # the caller's array is not modified


def test_not_fitted():
    clf = CNNClassifier(SLIM_BASE, model__imaging="gasf", **SLIM)
    with pytest.raises(NotFittedError):
        clf.transform(np.zeros((2, 128)))
