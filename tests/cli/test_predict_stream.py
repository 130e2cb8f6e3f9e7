"""``specauth predict`` chunk by chunk: compiled network calls, CSV rows, formats.

The chunk outputs must equal what the fitted estimators' own public methods
give, the network must run in ``predict_on_batch`` calls no larger than the
estimator's inference batch (never ``Model.predict``, which builds a data
pipeline per call), and every streamed file layout must give the same CSV.
"""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest
from sklearn.pipeline import make_pipeline

from specauth.cli._model import predict_outputs, split_model
from specauth.cli.main import main
from specauth.cli.predict import _write_chunk
from specauth.datasets import make_spectra
from specauth.estimators import CNNClassifier
from specauth.hub import load_pretrained, save_pretrained
from specauth.ood import Energy
from specauth.openset import OpenSetClassifier
from specauth.preprocessing import SpectrumNormalizer

LENGTH = 96


def _classifier():
    return CNNClassifier("cnn1d_small", epochs=1, random_state=0)


@pytest.fixture(scope="module")
def data():
    return make_spectra(
        n_classes=3, n_samples_per_class=10, length=LENGTH, random_state=2
    )


@pytest.fixture(scope="module")
def many(data):
    """300 spectra: one full inference batch of 256 and a shorter one of 44."""
    rng = np.random.default_rng(0)
    rows = data.X[rng.integers(0, len(data.X), 300)]
    return (rows * rng.uniform(0.5, 2.0, (300, 1))).astype(np.float32)


@pytest.fixture(scope="module")
def open_set(data):
    osc = OpenSetClassifier(_classifier(), Energy())
    return make_pipeline(SpectrumNormalizer(), osc).fit(data.X, data.y)


@pytest.fixture(scope="module")
def closed_set(data):
    return make_pipeline(SpectrumNormalizer(), _classifier()).fit(data.X, data.y)


def test_open_set_outputs_equal_the_estimators_own(open_set, many):
    outputs = predict_outputs(open_set, many)
    osc = split_model(open_set)[1]
    Xt = open_set[0].transform(many)
    np.testing.assert_array_equal(outputs["labels"], open_set.predict(many))
    np.testing.assert_allclose(outputs["scores"], osc.score_samples(Xt), rtol=1e-6)
    np.testing.assert_allclose(outputs["proba"], osc.predict_proba(Xt), rtol=1e-6)
    np.testing.assert_allclose(outputs["Xt"], Xt)
    assert outputs["proba"].shape == (300, 3)


def test_closed_set_outputs_equal_predict_proba(closed_set, many):
    outputs = predict_outputs(closed_set, many)
    proba = closed_set.predict_proba(many)
    np.testing.assert_allclose(outputs["proba"], proba, rtol=1e-6)
    np.testing.assert_allclose(outputs["proba"].sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_array_equal(outputs["labels"], closed_set.predict(many))
    assert outputs["scores"] is None


def test_network_runs_in_compiled_batches_not_model_predict(
    open_set, many, monkeypatch
):
    classifier = split_model(open_set)[1].classifier_
    network = classifier._embedding_network
    expected = classifier.transform(open_set[0].transform(many))
    sizes = []
    original = network.predict_on_batch

    def spy(x):
        sizes.append(len(x))
        return original(x)

    def refuse(*args, **kwargs):
        raise AssertionError("Model.predict called")

    monkeypatch.setattr(network, "predict_on_batch", spy)
    monkeypatch.setattr(network, "predict", refuse)
    outputs = predict_outputs(open_set, many)
    assert classifier._inference_batch == 256
    # 300 spectra: a full chunk, then 44 padded to the same compiled shape.
    assert sizes == [256, 256]
    assert len(outputs["labels"]) == len(many) == 300
    features = classifier.transform(open_set[0].transform(many))
    np.testing.assert_allclose(features, expected, rtol=1e-6)
    assert features.dtype == np.float64 and outputs["proba"].dtype == np.float64


class _NotACNN:
    """A fitted classifier that is not a specauth CNN (public methods only)."""

    classes_ = np.array(["a", "b"])

    def transform(self, X):
        return np.asarray(X)[:, :2] * 2

    def predict_proba(self, X):
        return np.full((len(X), 2), 0.5)


def test_other_classifiers_use_their_public_methods():
    X = np.arange(12.0).reshape(4, 3)
    outputs = predict_outputs(_NotACNN(), X)
    np.testing.assert_array_equal(outputs["proba"], np.full((4, 2), 0.5))
    assert outputs["proba"].dtype == np.float64
    np.testing.assert_array_equal(outputs["labels"], ["a"] * 4)


def test_wrong_spectrum_length_is_a_clear_error(open_set, closed_set):
    with pytest.raises(ValueError, match="has 97 features"):
        predict_outputs(open_set, np.ones((2, LENGTH + 1), dtype=np.float32))
    classifier = split_model(closed_set)[1]
    with pytest.raises(ValueError, match="expecting 96 features"):
        predict_outputs(classifier, np.ones((2, LENGTH + 1), dtype=np.float32))


def _csv_rows(outputs, start):
    handle = io.StringIO()
    _write_chunk(csv.writer(handle), start, outputs)
    return handle.getvalue().splitlines()


def test_write_chunk_rows_are_hand_checked():
    outputs = {
        "labels": np.array(["a", "unknown"]),
        "proba": np.array([[0.5, 0.25], [1 / 3, 2 / 3]]),
        "scores": np.array([1.23456789, -2e-7], dtype=np.float32),
    }
    assert _csv_rows(outputs, 7) == [
        "7,a,1.23457,0.5,0.25",
        "8,unknown,-2e-07,0.333333,0.666667",
    ]
    outputs["scores"] = None
    outputs["labels"] = np.array([3, 4])
    assert _csv_rows(outputs, 0) == ["0,3,0.5,0.25", "1,4,0.333333,0.666667"]


@pytest.fixture(scope="module")
def saved(open_set, many, tmp_path_factory):
    folder = tmp_path_factory.mktemp("predict_stream")
    save_pretrained(open_set, folder / "model")
    np.save(folder / "c.npy", many)
    np.save(folder / "f.npy", np.asfortranarray(many))
    np.savez_compressed(folder / "z.npz", X=many)
    return folder


def _predict_csv(folder, name, batch_size):
    out = folder / f"{name}.{batch_size}.csv"
    code = main(
        [
            "predict",
            str(folder / "model"),
            "--x",
            str(folder / name),
            "--out",
            str(out),
            "--batch-size",
            str(batch_size),
        ]
    )
    assert code == 0
    with open(out, newline="") as handle:
        return list(csv.reader(handle))


def test_every_layout_and_batch_size_gives_the_same_csv(saved, open_set, many):
    reference = _predict_csv(saved, "c.npy", 1024)
    model = load_pretrained(saved / "model")
    probabilities = [f"p_{c}" for c in model.classes_]
    assert reference[0] == ["index", "label", "ood_score", *probabilities]
    body = reference[1:]
    assert [int(row[0]) for row in body] == list(range(300))
    assert [row[1] for row in body] == list(open_set.predict(many))
    numbers = np.array([row[2:] for row in body], dtype=float)
    for name in ("f.npy", "z.npz"):
        assert _predict_csv(saved, name, 1024) == reference
    for name in ("c.npy", "f.npy", "z.npz"):
        rows = _predict_csv(saved, name, 70)  # chunks of 70: batch shapes differ
        assert [row[:2] for row in rows] == [row[:2] for row in reference]
        other = np.array([row[2:] for row in rows[1:]], dtype=float)
        np.testing.assert_allclose(other, numbers, rtol=1e-4, atol=1e-6)
