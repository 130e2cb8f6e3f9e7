"""OpenSetClassifier around any classifier with TemplateMatcher: the detector
reads the raw patterns, as it would on its own."""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from specauth.datasets import make_diffraction_patterns
from specauth.ood import TemplateMatcher
from specauth.openset import OpenSetClassifier


def _flatten(X):
    return np.asarray(X).reshape(len(X), -1)


def test_template_matcher_inside_open_set_classifier():
    data = make_diffraction_patterns(
        90,
        shape=(32, 32),
        classes=("single", "multiple", "non-spherical"),
        random_state=0,
    )
    X = np.log1p(data.X * 1e4)
    known = data.y != "non-spherical"
    classifier = make_pipeline(
        FunctionTransformer(_flatten), LogisticRegression(max_iter=500)
    )
    matcher = TemplateMatcher(n_rotations=6, step=30.0, alpha=0.1)
    osc = OpenSetClassifier(classifier, matcher, cache=False).fit(
        X[known], data.y[known]
    )
    alone = TemplateMatcher(n_rotations=6, step=30.0, alpha=0.1).fit(X[known])
    np.testing.assert_allclose(osc.score_samples(X), alone.score_samples(X))
    details = osc.predict_details(X)
    np.testing.assert_allclose(details.scores, alone.score_samples(X))
    assert set(details.labels.tolist()) <= {"single", "multiple", "unknown"}
    np.testing.assert_array_equal(osc.predict(X), details.labels)
    # the unknown class lies further from the known references
    scores = osc.score_samples(X)
    assert scores[~known].mean() < scores[known].mean()
