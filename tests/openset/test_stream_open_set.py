"""OpenSetClassifier.fit on a stream (HDF5Dataset): the network trains on the
stream, the detector is fitted on its embedding of the stream's rows -- the
same detector as one fitted on the embedding of the patterns in memory."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone

from specauth.datasets import make_diffraction_patterns
from specauth.estimators import CNNClassifier, PLSDAClassifier
from specauth.ood import Energy, KNNDetector, TemplateMatcher
from specauth.openset import OpenSetClassifier

h5py = pytest.importorskip("h5py")

CLASSES = ("single", "multiple", "non-spherical")


@pytest.fixture(scope="module")
def pattern_file(tmp_path_factory):
    data = make_diffraction_patterns(
        60, shape=(24, 24), classes=CLASSES, random_state=3
    )
    X = np.log1p(data.X * 1e4).astype(np.float32)
    path = tmp_path_factory.mktemp("osc") / "patterns.h5"
    with h5py.File(path, "w") as f:
        f.create_dataset("patterns", data=X, chunks=(8, 24, 24))
        f["labels"] = data.y.astype("S")
    return path, X, data.y


def _network():
    return CNNClassifier(
        "vgg2d", epochs=2, batch_size=8, random_state=0, model__filters=(4, 8)
    )


def _stream(path, **options):
    from specauth.datasets import HDF5Dataset

    options.setdefault("batch_size", 8)
    return HDF5Dataset(path, "patterns", labels="labels", **options)


def test_detector_equals_one_fitted_on_the_embedding_in_memory(pattern_file):
    path, X, y = pattern_file
    known = ["single", "multiple"]
    stream = _stream(path, shuffle=True, random_state=0, block_bytes=4096)
    osc = OpenSetClassifier(
        _network(), KNNDetector(alpha=0.1), known_classes=known, cache=False
    ).fit(stream)
    assert osc.classes_.tolist() == sorted(known)
    # independently: the fitted network's embedding of the known patterns,
    # loaded whole, and a fresh detector on it
    mask = np.isin(y, known)
    reference = KNNDetector(alpha=0.1).fit(osc.classifier_.transform(X[mask]), y[mask])
    np.testing.assert_allclose(
        osc.detector_.threshold_, reference.threshold_, rtol=1e-5
    )
    ordered = _stream(path)  # unshuffled: batches follow the file's rows
    np.testing.assert_allclose(
        osc.score_samples(ordered),
        reference.score_samples(osc.classifier_.transform(X)),
        rtol=1e-4,
        atol=1e-5,
    )
    np.testing.assert_array_equal(osc.predict(ordered), osc.predict(X))
    details = osc.predict_details(ordered)
    np.testing.assert_array_equal(details.labels, osc.predict(X))
    # the stream was read a block at a time, never whole
    assert max(stop - start for start, stop in stream.reads) < len(X)


def test_holdout_calibration_and_labels_given_as_y(pattern_file):
    path, X, y = pattern_file
    from specauth.datasets import HDF5Dataset

    stream = HDF5Dataset(path, "patterns", batch_size=8)  # no labels in it
    osc = OpenSetClassifier(
        _network(),
        Energy(alpha=0.2),
        calibrate_on="holdout",
        holdout_fraction=0.25,
        cache=False,
    ).fit(stream, y)
    assert osc.classes_.tolist() == sorted(CLASSES)
    held_out = osc.detector_.calibration_scores_.size
    assert held_out == 15  # a quarter of the 60 rows, stratified
    # the threshold rejects alpha of the held-out scores
    rejected = np.mean(osc.detector_.calibration_scores_ < osc.detector_.threshold_)
    assert rejected == pytest.approx(0.2, abs=1 / held_out)


def test_stream_inputs_refused_with_reasons(pattern_file):
    path, X, y = pattern_file
    from specauth.datasets import HDF5Dataset

    unlabelled = HDF5Dataset(path, "patterns", batch_size=8)
    with pytest.raises(ValueError, match="has no labels"):
        OpenSetClassifier(_network(), cache=False).fit(unlabelled)
    with pytest.raises(TypeError, match="keeps every training pattern"):
        OpenSetClassifier(_network(), TemplateMatcher(), cache=False).fit(_stream(path))
    with pytest.raises(TypeError, match="only with a specauth network"):
        OpenSetClassifier(PLSDAClassifier(), Energy(), cache=False).fit(_stream(path))


def test_template_matcher_scores_a_stream_as_the_array(pattern_file):
    path, X, y = pattern_file
    matcher = TemplateMatcher(n_rotations=4, step=90.0).fit(X[y == "single"][:8])
    np.testing.assert_allclose(
        matcher.score_samples(_stream(path)), matcher.score_samples(X), rtol=1e-6
    )
    assert clone(matcher).get_params() == matcher.get_params()
