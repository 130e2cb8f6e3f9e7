"""EnsembleClassifier: members from their own seeds, averaged probabilities."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from specauth.datasets import make_spectra
from specauth.estimators import EnsembleClassifier


@pytest.fixture(scope="module")
def data():
    d = make_spectra(n_classes=3, n_samples_per_class=20, length=128, random_state=0)
    return np.log1p(d.X), d.y


def _member():
    return make_pipeline(StandardScaler(), MLPClassifier((8,), max_iter=200))


def test_members_have_their_own_seeds_and_are_averaged(data):
    X, y = data
    ensemble = EnsembleClassifier(_member(), n_estimators=3, random_state=0).fit(X, y)
    expected_seeds = np.random.default_rng(0).integers(0, 2**31 - 1, size=3)
    assert ensemble.seeds_ == expected_seeds.tolist()
    probas = []
    for seed, member in zip(expected_seeds, ensemble.estimators_, strict=True):
        assert member[-1].random_state == seed
        reference = clone(_member()).set_params(mlpclassifier__random_state=int(seed))
        probas.append(reference.fit(X, y).predict_proba(X))
    assert ensemble.member_proba(X) == pytest.approx(np.stack(probas, axis=1))
    assert ensemble.predict_proba(X) == pytest.approx(np.mean(probas, axis=0))
    assert np.array_equal(
        ensemble.predict(X), ensemble.classes_[np.mean(probas, axis=0).argmax(1)]
    )
    assert len({p.tobytes() for p in probas}) == 3  # the members differ


def test_same_seed_same_ensemble(data):
    X, y = data
    first = EnsembleClassifier(_member(), n_estimators=2, random_state=5).fit(X, y)
    second = EnsembleClassifier(_member(), n_estimators=2, random_state=5).fit(X, y)
    assert np.array_equal(first.predict_proba(X), second.predict_proba(X))


def test_deterministic_members_without_a_seed(data):
    X, y = data
    member = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))
    ensemble = EnsembleClassifier(member, n_estimators=2, random_state=0).fit(X, y)
    assert len(ensemble.seeds_) == 2  # given, and without effect (lbfgs)
    assert ensemble.predict_proba(X) == pytest.approx(
        clone(member).fit(X, y).predict_proba(X)
    )
    # the mean of the members' decision functions
    assert ensemble.decision_function(X) == pytest.approx(
        clone(member).fit(X, y).decision_function(X)
    )


def test_methods_follow_the_members(data):
    assert not hasattr(EnsembleClassifier(_member()), "transform")
    assert not hasattr(EnsembleClassifier(_member()), "decision_function")
    assert hasattr(EnsembleClassifier(), "transform")  # CNNClassifier members


def test_bad_parameters(data):
    X, y = data
    with pytest.raises(ValueError, match="`n_estimators`"):
        EnsembleClassifier(_member(), n_estimators=0).fit(X, y)
    with pytest.raises(TypeError, match="with fit and predict_proba"):
        EnsembleClassifier(StandardScaler()).fit(X, y)


@parametrize_with_checks(
    [
        EnsembleClassifier(
            MLPClassifier((16,), max_iter=300), n_estimators=2, random_state=0
        )
    ]
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.mark.slow  # three CNN fits
def test_cnn_ensemble_saves_and_loads(tmp_path):
    from specauth.estimators import CNNClassifier
    from specauth.hub import load_pretrained, save_pretrained

    d = make_spectra(
        n_classes=3, n_samples_per_class=10, length=64, n_peaks=(2, 4), random_state=0
    )
    member = CNNClassifier("cnn1d_small", epochs=3, random_state=0)
    ensemble = EnsembleClassifier(member, n_estimators=3, random_state=1)
    ensemble.fit(d.X, d.y)
    assert len({m.random_state for m in ensemble.estimators_}) == 3
    assert ensemble.transform(d.X).shape[1] == sum(
        m.transform(d.X).shape[1] for m in ensemble.estimators_
    )
    loaded = load_pretrained(save_pretrained(ensemble, tmp_path / "ensemble"))
    assert np.array_equal(loaded.predict_proba(d.X), ensemble.predict_proba(d.X))
    assert sorted(p.name for p in (tmp_path / "ensemble").glob("*.keras")) == [
        "network.keras",
        "network_1.keras",
        "network_2.keras",
    ]
