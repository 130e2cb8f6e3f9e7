"""ImageSequence feeds Keras one batch of images at a time."""

import numpy as np
import pytest

from specauth.imaging import GramianAngularField, StackedFields

X = np.random.default_rng(0).normal(size=(7, 30))
y = np.arange(7)


def test_batches_match_transform_and_fit_runs():
    from specauth.imaging import ImageSequence

    imager = GramianAngularField(8)
    seq = ImageSequence(imager, X, y, batch_size=3)
    assert len(seq) == 3
    assert not hasattr(imager, "n_features_in_")  # caller's object left unfitted
    expected = GramianAngularField(8).fit_transform(X)
    images = np.concatenate([seq[i][0] for i in range(len(seq))])
    np.testing.assert_array_equal(images, expected)
    np.testing.assert_array_equal(np.concatenate([seq[i][1] for i in range(3)]), y)

    keras = pytest.importorskip("keras")
    model = keras.Sequential(
        [keras.Input((8, 8, 1)), keras.layers.Flatten(), keras.layers.Dense(7)]
    )
    model.compile("sgd", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    history = model.fit(seq, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert model.predict(ImageSequence(imager, X), verbose=0).shape == (7, 7)


def test_shuffle_keeps_pairs_together():
    from specauth.imaging import ImageSequence

    seq = ImageSequence(
        StackedFields(image_size=6), X, y, 4, shuffle=True, random_state=0
    )
    seq.on_epoch_end()
    full = StackedFields(image_size=6).fit_transform(X)
    images, labels = seq[0]
    np.testing.assert_array_equal(images, full[labels])


def test_bad_arguments():
    from specauth.imaging import ImageSequence

    with pytest.raises(ValueError, match="`y` must have one entry"):
        ImageSequence(GramianAngularField(), X, y[:3])
    with pytest.raises(ValueError, match="`batch_size` must be >= 1"):
        ImageSequence(GramianAngularField(), X, batch_size=0)
    with pytest.raises(TypeError, match="`transformer` must be"):
        ImageSequence(object(), X)
