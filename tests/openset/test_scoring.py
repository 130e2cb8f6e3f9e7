"""make_openset_scorer: open-set figures of merit as GridSearchCV scorers."""

from __future__ import annotations

import math
import pickle

import numpy as np
import pytest
from sklearn.dummy import DummyClassifier
from sklearn.metrics import roc_auc_score

from specauth.openset import figures_of_merit, make_openset_scorer


class Fitted:
    """A fitted open-set classifier's interface, with fixed answers."""

    def __init__(self, classes, pred, scores, unknown_label="unknown"):
        self.classes_ = np.asarray(classes)
        self.unknown_label = unknown_label
        self._pred, self._scores = np.asarray(pred, dtype=object), scores

    def predict(self, X):
        return self._pred

    def score_samples(self, X):
        return self._scores


@pytest.fixture
def fitted():
    rng = np.random.default_rng(0)
    y = np.array(list("aabbbcxxyy"))
    pred = rng.choice(["a", "b", "c", "unknown"], size=len(y))
    scores = rng.integers(0, 4, size=len(y)).astype(float)  # ties on purpose
    return Fitted(["a", "b", "c"], pred, scores), y


@pytest.mark.parametrize("metric", ["TEFF", "TSNS", "TSPS", "ACC"])
def test_figure_scorers_match_figures_of_merit(fitted, metric):
    estimator, y = fitted
    expected = figures_of_merit(estimator._pred, y, ["a", "b", "c"])[metric]
    assert make_openset_scorer(metric)(estimator, None, y) == pytest.approx(expected)


def test_figure_scorers_by_hand():
    # a, a, b known; x, x never trained: one a mistaken for b, one x accepted
    estimator = Fitted(["a", "b"], ["a", "b", "b", "unknown", "a"], None)
    y = ["a", "a", "b", "x", "x"]
    score = {m: make_openset_scorer(m)(estimator, None, y) for m in ("TSNS", "TSPS")}
    assert score == {"TSNS": 2 / 3, "TSPS": 1 / 2}
    assert make_openset_scorer("TEFF")(estimator, None, y) == pytest.approx(
        math.sqrt(1 / 3)
    )
    assert make_openset_scorer("ACC")(estimator, None, y) == pytest.approx(3 / 5)


def test_auroc_scorer_matches_roc_auc_score(fitted):
    estimator, y = fitted
    expected = roc_auc_score(np.isin(y, ["a", "b", "c"]), estimator._scores)
    assert make_openset_scorer("AUROC")(estimator, None, y) == pytest.approx(expected)


def test_default_metric_is_teff_and_scorers_pickle():
    scorer = make_openset_scorer()
    assert repr(scorer) == "make_openset_scorer('TEFF')"
    assert repr(pickle.loads(pickle.dumps(scorer))) == repr(scorer)


@pytest.mark.parametrize("metric", ["TEFF", "TSPS", "AUROC"])
def test_scorers_that_need_unknowns_refuse_a_fold_without_them(metric):
    estimator = Fitted(["a", "b"], ["a", "b", "b"], np.array([1.0, 2.0, 3.0]))
    with pytest.raises(ValueError, match="not trained on; every test label"):
        make_openset_scorer(metric)(estimator, None, ["a", "b", "b"])


@pytest.mark.parametrize("metric", ["TEFF", "TSNS", "AUROC"])
def test_scorers_that_need_knowns_refuse_a_fold_without_them(metric):
    estimator = Fitted(["a", "b"], ["unknown", "b"], np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match=r"the test labels are only \['x', 'y'\]"):
        make_openset_scorer(metric)(estimator, None, ["x", "y"])


def test_one_sided_folds_keep_the_defined_figures():
    estimator = Fitted(["a", "b"], ["a", "unknown"], None)
    assert make_openset_scorer("TSNS")(estimator, None, ["a", "b"]) == 0.5
    assert make_openset_scorer("ACC")(estimator, None, ["a", "b"]) == 0.5
    assert make_openset_scorer("TSPS")(estimator, None, ["x", "y"]) == 0.5


def test_bad_metric_estimator_and_labels_are_refused():
    with pytest.raises(ValueError, match="`metric` must be one of 'TEFF'"):
        make_openset_scorer("AUPR")
    with pytest.raises(TypeError, match="`metric` must be one of"):
        make_openset_scorer(None)
    with pytest.raises(TypeError, match="needs a fitted open-set classifier"):
        make_openset_scorer()(DummyClassifier().fit([[0], [1]], [0, 1]), [[0]], [0])
    with pytest.raises(ValueError, match="needs the true labels `y`"):
        make_openset_scorer()(Fitted(["a", "b"], ["a"], None), None, None)


def test_scorers_are_importable_from_model_selection_too():
    from specauth.openset import model_selection, scoring

    assert model_selection.make_openset_scorer is scoring.make_openset_scorer
    assert model_selection.make_openset_scorer is make_openset_scorer
    assert model_selection.SCORER_METRICS == ("TEFF", "TSNS", "TSPS", "ACC", "AUROC")


def test_scorers_pickled_under_the_old_module_path_load():
    # Before scoring.py the scorer class lived in model_selection.py.
    data = pickle.dumps(make_openset_scorer("AUROC"), protocol=0)
    data = data.replace(
        b"specauth.openset.scoring", b"specauth.openset.model_selection"
    )
    assert b"specauth.openset.model_selection" in data
    assert repr(pickle.loads(data)) == "make_openset_scorer('AUROC')"
