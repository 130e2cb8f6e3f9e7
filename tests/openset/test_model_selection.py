"""LeaveClassesOut, and its scorers in a search: leave-class-out tuning."""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.dummy import DummyClassifier
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from specauth.openset import LeaveClassesOut, make_openset_scorer

# Uneven classes: 2, 3, 5, 8, 10 and 13 samples, shuffled.
SIZES = {"a": 2, "b": 3, "c": 5, "d": 8, "e": 10, "f": 13}
# round(0.3 * n), at least 1, at most n - 1: worked by hand for test_size=0.3.
TEST_COUNTS = {"a": 1, "b": 1, "c": 2, "d": 2, "e": 3, "f": 4}


def _labels(seed=0):
    y = np.concatenate([[c] * n for c, n in SIZES.items()])
    return np.random.default_rng(seed).permutation(y)


class CentroidOpenSet(ClassifierMixin, BaseEstimator):
    """Nearest class mean; ``unknown_label`` farther than ``radius`` from all."""

    def __init__(self, radius=1.0, unknown_label="unknown"):
        self.radius = radius
        self.unknown_label = unknown_label

    def fit(self, X, y):
        y = np.asarray(y)
        self.classes_ = np.unique(y)
        self.means_ = np.stack([X[y == c].mean(axis=0) for c in self.classes_])
        return self

    def _distances(self, X):
        return np.linalg.norm(X[:, None, :] - self.means_[None], axis=2)

    def score_samples(self, X):
        return -self._distances(X).min(axis=1)

    def predict(self, X):
        d = self._distances(X)
        labels = self.classes_[d.argmin(axis=1)].astype(object)
        labels[d.min(axis=1) > self.radius] = self.unknown_label
        return labels


def _blobs(n_classes=5, n_per_class=12, seed=0):
    # means 8 apart on a circle; unit-variance clusters around them
    rng = np.random.default_rng(seed)
    angles = 2 * np.pi * np.arange(n_classes) / n_classes
    centres = 8.0 * np.column_stack([np.cos(angles), np.sin(angles)])
    X = np.concatenate([c + rng.normal(size=(n_per_class, 2)) for c in centres])
    y = np.repeat([f"class{i}" for i in range(n_classes)], n_per_class)
    return X, y


# ---------------------------------------------------------------- splitter
@pytest.mark.parametrize("n_unknown", [1, 2, 3, 4])
def test_held_out_classes_are_never_trained_on_and_wholly_tested(n_unknown):
    y = _labels()
    X = np.zeros((len(y), 3))
    cv = LeaveClassesOut(n_unknown, test_size=0.3, random_state=0)
    splits = list(cv.split(X, y))
    combos = list(itertools.combinations(sorted(SIZES), n_unknown))
    assert len(splits) == len(combos) == cv.get_n_splits(X, y)
    for (train, test), held_out in zip(splits, combos, strict=True):
        assert not np.isin(y[train], held_out).any()
        held_idx = np.flatnonzero(np.isin(y, held_out))
        assert np.isin(held_idx, test).all()
        assert np.intersect1d(train, test).size == 0
        assert np.array_equal(np.union1d(train, test), np.arange(len(y)))
        assert set(y[train]) == set(SIZES) - set(held_out)


@pytest.mark.parametrize("n_unknown", [1, 2])
def test_remaining_classes_are_stratified(n_unknown):
    y = _labels(seed=1)
    cv = LeaveClassesOut(n_unknown, test_size=0.3, random_state=0)
    for train, test in cv.split(np.zeros((len(y), 1)), y):
        for label in set(y[train]):
            assert np.sum(y[train] == label) == SIZES[label] - TEST_COUNTS[label]
            assert np.sum(y[test] == label) == TEST_COUNTS[label]


def test_random_splits_are_distinct_combinations_and_reproducible():
    y = _labels()
    X = np.zeros((len(y), 1))
    cv = LeaveClassesOut(2, n_splits=6, random_state=3)
    splits = list(cv.split(X, y))
    held = [frozenset(np.setdiff1d(y[test], y[train])) for train, test in splits]
    assert len(held) == len(set(held)) == 6 == cv.get_n_splits()
    assert all(len(h) == 2 for h in held)
    again = list(LeaveClassesOut(2, n_splits=6, random_state=3).split(X, y))
    for (tr1, te1), (tr2, te2) in zip(splits, again, strict=True):
        assert np.array_equal(tr1, tr2) and np.array_equal(te1, te2)
    # the same seed gives the same splits at every call of split()
    assert all(
        np.array_equal(a[0], b[0]) for a, b in zip(splits, cv.split(X, y), strict=True)
    )
    other = list(LeaveClassesOut(2, n_splits=6, random_state=4).split(X, y))
    assert any(
        not np.array_equal(a[0], b[0]) for a, b in zip(splits, other, strict=True)
    )


def test_n_splits_equal_to_the_number_of_combinations_draws_them_all():
    y = _labels()
    cv = LeaveClassesOut(2, n_splits=15, random_state=0)  # comb(6, 2) = 15
    held = {
        tuple(sorted(np.setdiff1d(y[test], y[train]).tolist()))
        for train, test in cv.split(np.zeros((len(y), 1)), y)
    }
    assert held == set(itertools.combinations(sorted(SIZES), 2))


def test_few_random_splits_among_many_combinations():
    y = np.repeat(np.arange(12), 3)  # comb(12, 3) = 220 combinations
    cv = LeaveClassesOut(3, n_splits=5, random_state=0)
    held = [
        frozenset(np.setdiff1d(y[test], y[train]).tolist())
        for train, test in cv.split(np.zeros((len(y), 1)), y)
    ]
    assert len(set(held)) == 5 and all(len(h) == 3 for h in held)
    assert cv.get_n_splits(y=y) == 5
    assert LeaveClassesOut(3).get_n_splits(y=y) == math.comb(12, 3)


def test_unseeded_splitter_still_holds_classes_out():
    y = _labels()
    for train, test in LeaveClassesOut(1, n_splits=3).split(y, y):
        assert np.setdiff1d(y[test], y[train]).size == 1


def test_works_in_cross_val_score():
    X, y = _blobs()
    cv = LeaveClassesOut(1, random_state=0)
    scores = cross_val_score(DummyClassifier(), X, y, cv=cv)
    assert scores.shape == (5,)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"n_unknown": 0}, ValueError, "`n_unknown` must be an int in"),
        ({"n_unknown": 1.0}, TypeError, "`n_unknown` must be an int"),
        ({"n_splits": 0}, ValueError, "`n_splits` must be an int in"),
        ({"test_size": 0.0}, ValueError, r"`test_size` must be a number in \(0, 1\)"),
        ({"test_size": 1.0}, ValueError, r"`test_size` must be a number in \(0, 1\)"),
        ({"test_size": "0.2"}, TypeError, "`test_size` must be a number"),
        ({"random_state": -1}, ValueError, "`random_state` must be"),
    ],
)
def test_bad_parameters_are_refused(kwargs, error, match):
    with pytest.raises(error, match=match):
        LeaveClassesOut(**kwargs)


def test_bad_labels_are_refused_with_clear_messages():
    y = _labels()
    X = np.zeros((len(y), 1))
    with pytest.raises(ValueError, match=r"at least n_unknown \+ 2 = 6 classes"):
        list(LeaveClassesOut(4).split(X, y[np.isin(y, ["a", "b", "c", "d"])]))
    with pytest.raises(ValueError, match="needs at least n_unknown"):
        LeaveClassesOut(5).get_n_splits(y=y)
    with pytest.raises(ValueError, match="`n_splits` must be at most .* 15; got"):
        LeaveClassesOut(2, n_splits=16).split(X, y)
    with pytest.raises(ValueError, match="`n_splits` must be at most"):
        LeaveClassesOut(2, n_splits=16).get_n_splits(y=y)
    with pytest.raises(ValueError, match="needs the class labels `y`"):
        LeaveClassesOut().split(X)
    with pytest.raises(ValueError, match="needs the class labels `y` when"):
        LeaveClassesOut().get_n_splits()
    with pytest.raises(ValueError, match=r"classes \['g'\] have 1"):
        LeaveClassesOut().split(np.zeros((len(y) + 1, 1)), np.append(y, "g"))
    with pytest.raises(ValueError, match="`y` must be 1D"):
        LeaveClassesOut().split(X, y.reshape(-1, 1))
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        LeaveClassesOut().split(X[:-1], y)
    with pytest.raises(ValueError, match="mixes label types"):
        LeaveClassesOut().split(np.zeros((4, 1)), np.array(["a", 1, "b", 2], object))


def test_groups_are_ignored_with_a_warning():
    y = _labels()
    with pytest.warns(UserWarning, match="`groups` parameter is ignored"):
        with_groups = list(LeaveClassesOut(random_state=0).split(y, y, groups=y))
    without = list(LeaveClassesOut(random_state=0).split(y, y))
    assert all(
        np.array_equal(a[1], b[1]) for a, b in zip(with_groups, without, strict=True)
    )


def test_repr_shows_the_parameters():
    assert repr(LeaveClassesOut(2, n_splits=3)) == (
        "LeaveClassesOut(n_splits=3, n_unknown=2, random_state=None, test_size=0.25)"
    )


# ----------------------------------------------------------------- scorers
def test_scorer_reads_the_unknown_label_of_a_pipelines_last_step():
    X, y = _blobs()
    pipe = make_pipeline(FunctionTransformer(), CentroidOpenSet(3.0, unknown_label=-1))
    pipe.fit(X[y != "class4"], y[y != "class4"])
    pred = pipe.predict(X)
    expected = np.mean(pred[y == "class4"] == -1)
    assert make_openset_scorer("TSPS")(pipe, X, y) == pytest.approx(expected)
    known = y != "class4"
    expected_auroc = roc_auc_score(known, pipe.score_samples(X))
    assert make_openset_scorer("AUROC")(pipe, X, y) == pytest.approx(expected_auroc)


# --------------------------------------------------------------- in search
def _teff_by_hand(pred, y_test, known):
    is_known = np.isin(y_test, known)
    tsns = np.mean(pred[is_known] == y_test[is_known])
    tsps = np.mean(pred[~is_known] == "unknown")
    return math.sqrt(tsns * tsps)


def test_grid_search_scores_every_candidate_on_held_out_classes():
    X, y = _blobs()
    cv = LeaveClassesOut(1, random_state=0)
    scoring = {m: make_openset_scorer(m) for m in ("TEFF", "AUROC")}
    radii = [0.5, 2.5, 100.0]
    search = GridSearchCV(
        CentroidOpenSet(), {"radius": radii}, cv=cv, scoring=scoring, refit="TEFF"
    ).fit(X, y)
    for i, (train, test) in enumerate(cv.split(X, y)):
        for j, radius in enumerate(radii):
            model = CentroidOpenSet(radius).fit(X[train], y[train])
            expected = _teff_by_hand(model.predict(X[test]), y[test], y[train])
            assert search.cv_results_[f"split{i}_test_TEFF"][j] == pytest.approx(
                expected
            )
    # radius 100 accepts every spectrum: TSPS = 0, so TEFF = 0
    assert np.all(search.cv_results_["mean_test_TEFF"][2] == 0.0)
    assert search.best_params_ == {"radius": 2.5}
    assert np.all(np.isfinite(search.cv_results_["mean_test_AUROC"]))
    assert set(search.best_estimator_.classes_) == set(y)


@pytest.mark.filterwarnings("ignore:One or more of the test scores are non-finite")
def test_grid_search_turns_a_fold_without_unknowns_into_error_score():
    X, y = _blobs()
    cv = StratifiedKFold(2)
    search = GridSearchCV(
        CentroidOpenSet(), {"radius": [1.0]}, cv=cv, scoring=make_openset_scorer()
    )
    with pytest.warns(UserWarning, match="Scoring failed"):
        search.fit(X, y)
    assert np.isnan(search.cv_results_["mean_test_score"][0])
    search.set_params(error_score="raise")
    with warnings.catch_warnings(), pytest.raises(ValueError, match="not trained on"):
        warnings.simplefilter("ignore")
        search.fit(X, y)


def test_a_many_split_search_fits_one_classifier_per_split(monkeypatch):
    # Issue 15: with room for 4 fitted classifiers, a 5-split search over
    # detectors missed the cache at every fit (GridSearchCV runs all splits
    # of a candidate before the next one).
    from specauth.estimators import PLSDAClassifier
    from specauth.ood import KNNDetector, Mahalanobis
    from specauth.openset import OpenSetClassifier, clear_classifier_cache

    calls = []
    original = PLSDAClassifier.fit
    monkeypatch.setattr(
        PLSDAClassifier,
        "fit",
        lambda self, X, y: calls.append(1) or original(self, X, y),
    )
    X, y = _blobs(n_classes=12, n_per_class=8)
    clear_classifier_cache()
    cv = LeaveClassesOut(1, n_splits=12, random_state=0)
    GridSearchCV(
        OpenSetClassifier(PLSDAClassifier(n_components=2)),
        {"detector": [KNNDetector(), Mahalanobis()]},
        cv=cv,
        scoring=make_openset_scorer("AUROC"),
    ).fit(X, y)
    assert len(calls) == cv.get_n_splits() + 1
    clear_classifier_cache()


# ------------------------------------------------------ with a real network
@pytest.mark.slow
def test_detector_search_trains_one_network_per_split(fit_calls):
    from specauth.datasets import make_spectra
    from specauth.estimators import CNNClassifier
    from specauth.ood import Energy, KNNDetector
    from specauth.openset import OpenSetClassifier, clear_classifier_cache

    data = make_spectra(
        n_classes=4, n_samples_per_class=16, length=64, n_peaks=(2, 4), random_state=0
    )
    clear_classifier_cache()
    cv = LeaveClassesOut(1, n_splits=2, random_state=0)
    scoring = {m: make_openset_scorer(m) for m in ("TEFF", "AUROC")}
    search = GridSearchCV(
        OpenSetClassifier(CNNClassifier("cnn1d_small", epochs=2, random_state=0)),
        {"detector": [Energy(), KNNDetector()]},
        cv=cv,
        scoring=scoring,
        refit="TEFF",
    ).fit(data.X, data.y)
    results = search.cv_results_
    for name in ("TEFF", "AUROC"):
        values = results[f"mean_test_{name}"]
        assert values.shape == (2,) and np.all((values >= 0) & (values <= 1))
    # one network per split (both detectors share it), plus the refit on all
    assert len(fit_calls) == cv.get_n_splits() + 1
    assert set(search.best_estimator_.classes_) == set(data.y)
