"""scikit-learn estimators around Keras networks.

- :class:`CNNClassifier` -- classify spectra (any label type).
- :class:`CNNRegressor` -- predict continuous targets from spectra.
"""

from specauth.estimators.classifier import CNNClassifier

__all__ = ["CNNClassifier"]
