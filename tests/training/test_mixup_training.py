"""Training with mixup: MixupBatches, fit_network(mixup=...) and the estimators."""

import keras
import numpy as np
import pytest
from sklearn.base import clone

from specauth.datasets import make_spectra
from specauth.estimators import CNNClassifier, CNNRegressor
from specauth.training import MixupBatches
from specauth.training.loop import fit_network


def _identifiable(n=10):
    """Sample i is 2 * e_i (with a channel axis), its target the one-hot e_i.

    A mixed row then shows its two samples and its weights: where ``y`` is
    ``lam`` and ``1 - lam``, ``x`` is twice that.
    """
    y = np.eye(n, dtype="float32")
    return 2.0 * y[:, :, np.newaxis], y


def _epoch(batches):
    return [batches[i] for i in range(len(batches))]


def test_batches_mix_inputs_and_targets_alike_with_partners_of_the_batch():
    x, y = _identifiable(10)
    batches = MixupBatches(x, y, batch_size=4, alpha=0.4, seed=0)
    assert len(batches) == 3
    seen = []
    for x_mixed, y_mixed in _epoch(batches):
        assert x_mixed.shape == (len(y_mixed), 10, 1)
        np.testing.assert_allclose(x_mixed[:, :, 0], 2.0 * y_mixed, atol=1e-6)
        np.testing.assert_allclose(y_mixed.sum(axis=1), 1.0, rtol=1e-6)
        support = [np.flatnonzero(row) for row in y_mixed]
        assert all(1 <= len(s) <= 2 for s in support)
        members = set(np.concatenate(support).tolist())
        assert len(members) == len(y_mixed)  # partners come from the batch itself
        seen.append(members)
    assert sorted(i for batch in seen for i in batch) == list(range(10))


def test_sample_weights_are_mixed_with_the_same_weights_as_the_targets():
    x, y = _identifiable(6)
    weights = np.arange(1.0, 7.0)
    batches = MixupBatches(x, y, batch_size=6, alpha=1.0, seed=3, sample_weight=weights)
    _, y_mixed, w_mixed = batches[0]
    np.testing.assert_allclose(w_mixed, y_mixed @ weights, rtol=1e-6)


def test_same_seed_gives_the_same_batches_and_epochs_reshuffle():
    x, y = _identifiable(12)
    a = MixupBatches(x, y, batch_size=4, alpha=0.4, seed=5)
    b = MixupBatches(x, y, batch_size=4, alpha=0.4, seed=5)
    first = _epoch(a)
    for got, expected in zip(first, _epoch(b), strict=True):
        np.testing.assert_array_equal(got[0], expected[0])
        np.testing.assert_array_equal(got[1], expected[1])
    a.on_epoch_end()
    assert a.epoch == 1
    members = [set(np.flatnonzero(batch[1].sum(axis=0)).tolist()) for batch in first]
    again = [set(np.flatnonzero(batch[1].sum(axis=0)).tolist()) for batch in _epoch(a)]
    assert members != again


def test_without_shuffle_batches_keep_the_sample_order():
    x, y = _identifiable(8)
    batches = MixupBatches(x, y, batch_size=4, alpha=0.4, seed=0, shuffle=False)
    batches.on_epoch_end()
    assert set(np.flatnonzero(batches[0][1].sum(axis=0)).tolist()) == {0, 1, 2, 3}


def test_integer_class_labels_are_refused():
    x, _ = _identifiable(4)
    with pytest.raises(ValueError, match="integer class labels"):
        MixupBatches(x, np.arange(4), batch_size=2, alpha=0.4, seed=0)


def _toy_problem(seed=0, n=96):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 8)).astype("float32")
    y = np.eye(2, dtype="float32")[(x[:, 0] + x[:, 1] > 0).astype(int)]
    return x, y


def _dense(seed):
    keras.utils.set_random_seed(seed)
    return keras.Sequential([keras.Input((8,)), keras.layers.Dense(2)])


def test_fit_network_trains_on_mixed_batches_with_its_schedule():
    x, y = _toy_problem()
    keras.utils.set_random_seed(0)
    history = fit_network(
        _dense(0),
        x,
        y,
        epochs=6,
        batch_size=16,
        learning_rate=0.05,
        mixup=0.4,
        validation_data=(x, y),
    )
    assert np.all(np.isfinite(history["loss"]))
    assert history["loss"][-1] < history["loss"][0]
    assert history["val_loss"][-1] < history["val_loss"][0]
    assert len(history["lr_per_batch"]) == 6 * 6  # ceil(96 / 16) steps per epoch


def test_fit_network_mixup_applies_class_weights_per_sample():
    x, y = _toy_problem()

    def first_loss(class_weight):
        keras.utils.set_random_seed(1)
        history = fit_network(
            _dense(1),
            x,
            y,
            epochs=1,
            batch_size=96,
            learning_rate=1e-6,
            schedule="constant",
            mixup=0.4,
            class_weight=class_weight,
        )
        return history["loss"][0]

    plain, weighted = first_loss(None), first_loss({0: 3.0, 1: 3.0})
    assert weighted == pytest.approx(3.0 * plain, rel=1e-4)


def test_fit_network_mixup_refuses_integer_labels_and_negative_alpha():
    x, y = _toy_problem()
    with pytest.raises(ValueError, match="integer class labels"):
        fit_network(_dense(0), x, y.argmax(1), epochs=1, learning_rate=1e-3, mixup=0.4)
    with pytest.raises(ValueError, match="mixup"):
        fit_network(_dense(0), x, y, epochs=1, learning_rate=1e-3, mixup=-1.0)


@pytest.fixture(scope="module")
def spectra():
    return make_spectra(n_classes=3, n_samples_per_class=12, length=64, random_state=0)


def _check_classifier(clf, data):
    predicted = clf.predict(data.X)
    assert set(predicted.tolist()) <= set(np.unique(data.y).tolist())
    np.testing.assert_allclose(clf.predict_proba(data.X).sum(axis=1), 1.0, rtol=1e-5)
    assert np.all(np.isfinite(clf.history_["loss"]))


def test_classifier_with_mixup_validation_and_balanced_class_weight(spectra):
    clf = CNNClassifier(
        "cnn1d_small",
        mixup=0.4,
        epochs=3,
        validation_fraction=0.25,
        class_weight="balanced",
        random_state=0,
    ).fit(spectra.X, spectra.y)
    _check_classifier(clf, spectra)
    assert len(clf.history_["val_accuracy"]) == 3
    assert clf.network_.loss.name == "categorical_crossentropy"


def test_classifier_with_mixup_finds_its_learning_rate(spectra):
    clf = CNNClassifier(
        "cnn1d_small",
        mixup=0.4,
        epochs=2,
        learning_rate="find",
        random_state=0,
        lr_find__num_it=20,
    ).fit(spectra.X, spectra.y)
    _check_classifier(clf, spectra)
    assert np.isfinite(clf.learning_rate_) and clf.learning_rate_ > 0
    assert clf.lr_finder_.valley == pytest.approx(clf.learning_rate_)


def test_regressor_with_mixup_fits(spectra):
    y = np.linspace(0.0, 10.0, len(spectra.X))
    reg = CNNRegressor("cnn1d_small", mixup=0.4, epochs=3, random_state=0)
    predicted = reg.fit(spectra.X, y).predict(spectra.X)
    assert predicted.shape == y.shape and np.all(np.isfinite(predicted))
    assert np.all(np.isfinite(reg.history_["loss"]))


@pytest.mark.parametrize("estimator", [CNNClassifier, CNNRegressor])
def test_negative_mixup_is_refused_naming_it(estimator, spectra):
    with pytest.raises(ValueError, match="mixup"):
        estimator("cnn1d_small", mixup=-1, epochs=1).fit(spectra.X, spectra.y)


def test_mixup_is_a_parameter_kept_by_clone_and_save_pretrained(spectra, tmp_path):
    from specauth.hub import load_pretrained, save_pretrained

    assert CNNClassifier().get_params()["mixup"] == 0.0
    assert CNNRegressor(mixup=0.3).get_params()["mixup"] == 0.3
    clf = CNNClassifier("cnn1d_small", mixup=0.2, epochs=1, random_state=0)
    assert clone(clf).mixup == 0.2
    save_pretrained(clf.fit(spectra.X, spectra.y), tmp_path / "m")
    loaded = load_pretrained(tmp_path / "m")
    assert loaded.mixup == 0.2
    np.testing.assert_allclose(
        loaded.predict_proba(spectra.X), clf.predict_proba(spectra.X), atol=1e-5
    )


def test_streams_are_refused_with_mixup(spectra, tmp_path):
    h5py = pytest.importorskip("h5py")
    from specauth.datasets import HDF5Dataset

    with h5py.File(tmp_path / "s.h5", "w") as f:
        f["spectra"] = spectra.X.astype("float32")
        f["labels"] = np.unique(spectra.y, return_inverse=True)[1]
    stream = HDF5Dataset(tmp_path / "s.h5", "spectra", labels="labels", batch_size=8)
    with pytest.raises(ValueError, match="mixup=0.4.*stream"):
        CNNClassifier("cnn1d_small", mixup=0.4, epochs=1).fit(stream)
    with pytest.raises(ValueError, match="mixup=0.4.*stream"):
        fit_network(_dense(0), stream, None, epochs=1, learning_rate=1e-3, mixup=0.4)
