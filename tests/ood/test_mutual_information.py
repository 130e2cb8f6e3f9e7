"""MutualInformation against a hand-written entropy computation."""

from __future__ import annotations

import numpy as np
import pytest

from specauth.ood import MutualInformation
from specauth.ood.mutual_information import mutual_information_score


def _reference(member_proba):
    scores = []
    for sample in member_proba:
        mean = sample.mean(axis=0)
        total = -sum(p * np.log(p) for p in mean if p > 0)
        each = [-sum(p * np.log(p) for p in member if p > 0) for member in sample]
        scores.append(-(total - np.mean(each)))
    return np.array(scores)


def _members(rng, n, n_members=4, n_classes=3, spread=0.0):
    """Confident members around one class; ``spread`` moves each elsewhere."""
    base = rng.dirichlet([20.0, 1.0, 1.0], size=(n, 1))
    noise = rng.dirichlet(np.ones(n_classes), size=(n, n_members))
    return (1 - spread) * np.repeat(base, n_members, axis=1) + spread * noise


def test_score_matches_the_entropies():
    rng = np.random.default_rng(0)
    proba = rng.dirichlet(np.ones(3), size=(20, 5))
    assert mutual_information_score(proba) == pytest.approx(_reference(proba))


def test_hand_worked_values():
    agree = [[[0.5, 0.5], [0.5, 0.5]]]  # uncertain but unanimous: no MI
    split = [[[1.0, 0.0], [0.0, 1.0]]]  # certain and opposed: MI = log 2
    assert mutual_information_score(agree + split) == pytest.approx([0.0, -np.log(2.0)])


def test_disagreement_is_rejected_and_alpha_holds():
    rng = np.random.default_rng(1)
    train = _members(rng, 1000, spread=0.2)
    det = MutualInformation(n_members=4, alpha=0.05).fit(train.reshape(1000, -1))
    fresh = _members(rng, 4000, spread=0.2).reshape(4000, -1)
    rejected = np.mean(det.predict(fresh) == -1)
    assert 0.025 <= rejected <= 0.1
    odd = _members(rng, 200, spread=0.9).reshape(200, -1)
    assert np.mean(det.predict(odd) == -1) > 0.9
    assert det.n_members_ == 4 and det.n_features_in_ == 12


def test_model_mode_reads_member_proba():
    rng = np.random.default_rng(2)
    table = _members(rng, 50)

    class Ensemble:
        n_estimators = 4

        def member_proba(self, X):
            return table[np.asarray(X, dtype=int).ravel()]

    det = MutualInformation(model=Ensemble()).fit(np.arange(50)[:, None])
    assert det.score_samples(np.arange(5)[:, None]) == pytest.approx(
        _reference(table[:5])
    )


def test_n_members_is_needed_and_must_divide_the_width():
    X = np.full((10, 6), 1 / 3)
    with pytest.raises(ValueError, match="needs `n_members`"):
        MutualInformation().fit(X)
    with pytest.raises(ValueError, match="not `n_members=4` blocks"):
        MutualInformation(n_members=4).fit(X)
    with pytest.raises(ValueError, match="`n_members`"):
        MutualInformation(n_members=0).fit(X)


def test_score_needs_three_dimensions():
    with pytest.raises(ValueError, match=r"\(n_samples, n_members, n_classes\)"):
        mutual_information_score(np.ones((3, 4)))
