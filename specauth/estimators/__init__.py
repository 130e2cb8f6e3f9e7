"""scikit-learn estimators around Keras networks.

- :class:`CNNClassifier` -- classify spectra (any label type).

A regressor (``CNNRegressor`` in DESIGN.md) is not written yet: the network
builders need an ``n_outputs`` path first.
"""

from specauth.estimators.classifier import CNNClassifier

__all__ = ["CNNClassifier"]
