"""The estimators' ``augmentation`` parameter (training-only layers before
the network) and test-time augmentation (``tta``)."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from specauth.datasets import make_spectra
from specauth.estimators import CNNClassifier, CNNRegressor, tta
from specauth.models.layers import SpectrumAugmentation

FAST = dict(epochs=2, batch_size=16, random_state=0)


@keras.saving.register_keras_serializable(package="specauth_tests")
class AddInTraining(keras.layers.Layer):
    """Adds ``value`` in training, identity at inference: a deterministic
    stand-in for an augmentation, so TTA can be computed by hand."""

    def __init__(self, value=1.0, **kwargs):
        super().__init__(**kwargs)
        self.value = float(value)

    def call(self, x, training=None):
        return x + self.value if training else x

    def get_config(self):
        return {**super().get_config(), "value": self.value}


@pytest.fixture(scope="module")
def data():
    return make_spectra(n_classes=3, n_samples_per_class=12, length=64, random_state=0)


def test_augmentation_layers_sit_before_an_unchanged_network(data):
    plain = CNNClassifier("cnn1d_small", **FAST)
    network, X, _ = plain.build_network(data.X, data.y)
    augmented = CNNClassifier("cnn1d_small", augmentation="spectra", **FAST)
    aug_network, _, _ = augmented.build_network(data.X, data.y)
    names = [layer.name for layer in aug_network.layers]
    assert isinstance(aug_network.layers[1], SpectrumAugmentation)
    assert names[2:] == [layer.name for layer in network.layers][1:]
    # same initial weights, same inference; training mode perturbs the input
    np.testing.assert_allclose(
        aug_network.predict(X, verbose=0), network.predict(X, verbose=0), atol=1e-6
    )
    layer = aug_network.layers[1]
    assert not np.allclose(np.asarray(layer(X, training=True)), X)


def test_presets_layers_and_lists(data):
    given = AddInTraining(2.0)
    clf = CNNClassifier("cnn1d_small", augmentation=["nir", given], **FAST).fit(
        data.X, data.y
    )
    kinds = [type(layer).__name__ for layer in clf.network_.layers[1:3]]
    assert kinds == ["SpectrumAugmentation", "AddInTraining"]
    assert clf.network_.layers[2] is not given  # a copy goes into the network
    assert clf.get_params()["augmentation"][1] is given


def test_routed_strengths_adjust_the_preset(data):
    clf = CNNClassifier(
        "cnn1d_small",
        augmentation="nir",
        augmentation__shift=2.0,
        augmentation__noise=0.0,
        **FAST,
    )
    network, _, _ = clf.build_network(data.X, data.y)
    config = network.layers[1].get_config()
    assert config["shift"] == 2.0 and config["noise"] == 0.0
    assert config["offset"] == 0.1  # the rest of the "nir" preset
    with pytest.raises(ValueError, match="`augmentation__rotation` adjusts no preset"):
        CNNClassifier(
            "cnn1d_small", augmentation="nir", augmentation__rotation=10, **FAST
        ).fit(data.X, data.y)
    with pytest.raises(ValueError, match="adjusts no preset"):
        CNNClassifier("cnn1d_small", augmentation__noise=0.1, **FAST).fit(
            data.X, data.y
        )


def test_augmented_model_round_trip(data, tmp_path):
    from specauth.hub import load_pretrained, save_pretrained

    reg = CNNRegressor("cnn1d_small", augmentation="counts", **FAST)
    reg.fit(data.X, np.arange(len(data.X), dtype=float))
    save_pretrained(reg, tmp_path / "m")
    loaded = load_pretrained(tmp_path / "m")
    assert loaded.augmentation == "counts"
    np.testing.assert_array_equal(loaded.predict(data.X), reg.predict(data.X))


def test_bad_augmentation_refused_before_training(data):
    with pytest.raises(ValueError, match="preset 'blur' is unknown"):
        CNNClassifier("cnn1d_small", augmentation="blur", **FAST).fit(data.X, data.y)
    with pytest.raises(TypeError, match="a Keras layer or a list"):
        CNNClassifier("cnn1d_small", augmentation=[3], **FAST).fit(data.X, data.y)


def test_tta_against_a_hand_computation(data):
    clf = CNNClassifier("cnn1d_small", **FAST).fit(data.X, data.y)
    X = data.X
    shifted = clf.predict_proba(X + 0.5)
    plain = clf.predict_proba(X)
    got = tta(clf, X, n=3, beta=0.25, augmentation=AddInTraining(0.5))
    np.testing.assert_allclose(got, 0.25 * plain + 0.75 * shifted, rtol=1e-5)
    only_augmented = tta(clf, X, n=2, beta=None, augmentation=AddInTraining(0.5))
    np.testing.assert_allclose(only_augmented, shifted, rtol=1e-5)
    np.testing.assert_array_equal(tta(clf, X, beta=1), plain)


def test_tta_regressor_pipeline_and_seeds(data):
    y = np.linspace(0, 10, len(data.X))
    pipe = make_pipeline(
        FunctionTransformer(lambda X: X * 2.0),
        CNNRegressor("cnn1d_small", **FAST),
    ).fit(data.X, y)
    reg = pipe[-1]
    hand = 0.5 * reg.predict(data.X * 2.0) + 0.5 * reg.predict(data.X * 2.0 + 1.0)
    np.testing.assert_allclose(
        tta(pipe, data.X, n=1, beta=0.5, augmentation=AddInTraining(1.0)),
        hand,
        rtol=1e-5,
    )
    first = tta(pipe, data.X, n=3, random_state=1)  # "spectra": random
    np.testing.assert_array_equal(first, tta(pipe, data.X, n=3, random_state=1))
    assert not np.array_equal(first, tta(pipe, data.X, n=3, random_state=2))
    assert first.shape == (len(data.X),)


def test_tta_bad_input(data):
    clf = CNNClassifier("cnn1d_small", **FAST).fit(data.X, data.y)
    with pytest.raises(ValueError, match=r"`n` must be an int in \[1, inf\); got 0"):
        tta(clf, data.X, n=0)
    with pytest.raises(ValueError, match="`beta`"):
        tta(clf, data.X, beta=1.5)
    with pytest.raises(TypeError, match="CNNClassifier or CNNRegressor"):
        tta(object(), data.X)
    with pytest.raises(ValueError, match="preset 'x' is unknown"):
        tta(clf, data.X, augmentation="x")


def test_tta_skips_a_sampler_of_an_imblearn_pipeline(data):
    pytest.importorskip("imblearn")
    from imblearn.pipeline import Pipeline

    from specauth.preprocessing import AugmentingOverSampler

    pipe = Pipeline(
        [
            ("oversample", AugmentingOverSampler(preset="counts", random_state=0)),
            ("cnn", CNNClassifier("cnn1d_small", **FAST)),
        ]
    ).fit(data.X, data.y)
    got = tta(pipe, data.X, n=1, beta=0.5, augmentation=AddInTraining(0.5))
    cnn = pipe[-1]
    hand = 0.5 * cnn.predict_proba(data.X) + 0.5 * cnn.predict_proba(data.X + 0.5)
    np.testing.assert_allclose(got, hand, rtol=1e-5)
