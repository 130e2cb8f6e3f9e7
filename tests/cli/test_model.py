"""The check that a loaded folder holds a classifier the CLI can predict with."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.pipeline import Pipeline

from specauth.cli._model import check_classifier, load_classifier
from specauth.estimators import CNNClassifier
from specauth.hub import save_pretrained
from specauth.ood import KNNDetector, Mahalanobis
from specauth.openset import OpenSetClassifier
from specauth.preprocessing import LogTransform, SpectrumNormalizer


def _looks_fitted(estimator):
    estimator.classes_ = np.array(["a", "b"])  # only the check's view matters
    return estimator


def test_classifiers_pass_alone_or_after_preprocessing():
    clf = _looks_fitted(CNNClassifier())
    assert check_classifier(clf, "m") is clf
    pipe = Pipeline([("log", LogTransform()), ("clf", clf)])
    assert check_classifier(pipe, "m") is pipe
    osc = _looks_fitted(OpenSetClassifier(CNNClassifier(), KNNDetector()))
    assert check_classifier(osc, "m") is osc


@pytest.mark.parametrize(
    ("model", "holds"),
    [
        (SpectrumNormalizer(), "a SpectrumNormalizer"),
        (
            Pipeline([("n", SpectrumNormalizer()), ("log", LogTransform())]),
            "a Pipeline of SpectrumNormalizer, LogTransform",
        ),
        (Pipeline([("d", KNNDetector())]), "a Pipeline of KNNDetector"),
        (KNNDetector(), "a KNNDetector"),
        # Has classes_ (fitted with labels) but is a detector, not a classifier.
        (_looks_fitted(Mahalanobis()), "a Mahalanobis"),
        (CNNClassifier(), "a CNNClassifier"),  # not fitted: no classes_
    ],
)
def test_other_models_are_refused_naming_the_folder(model, holds):
    with pytest.raises(ValueError, match=f"^saved/m holds {holds}, not a classifier"):
        check_classifier(model, "saved/m")


def test_load_classifier_refuses_a_saved_preprocessing_pipeline(tmp_path):
    pipe = Pipeline([("n", SpectrumNormalizer())]).fit(np.ones((2, 4)))
    folder = save_pretrained(pipe, tmp_path / "prep")
    with pytest.raises(ValueError, match="prep holds a Pipeline of SpectrumNormalizer"):
        load_classifier(folder)
