"""Fixtures shared by the open-set tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def fit_calls(monkeypatch):
    """A list that grows by one at every ``CNNClassifier.fit``."""
    from specauth.estimators import CNNClassifier

    calls = []
    original = CNNClassifier.fit
    monkeypatch.setattr(
        CNNClassifier, "fit", lambda self, X, y: calls.append(1) or original(self, X, y)
    )
    return calls
