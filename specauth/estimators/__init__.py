"""scikit-learn estimators around Keras networks.

- :class:`CNNClassifier` -- classify spectra (any label type).
- :class:`CNNRegressor` -- predict quantities (one or several per spectrum)
  with the same networks and training loop.
- :func:`tta` -- test-time augmentation of either.
- :class:`EnsembleClassifier` -- a deep ensemble of any classifier (mean of
  the members' probabilities; their disagreement feeds
  :class:`~specauth.ood.MutualInformation`).
- :class:`PLSDAClassifier` -- PLS-DA, the chemometrics reference for small
  spectral sets, with the same embedding/head contract as the networks.
- :class:`BaseCNNEstimator` -- their shared base and the public contract other
  packages use: :meth:`~BaseCNNEstimator.validate_input`,
  :meth:`~BaseCNNEstimator.head_weights`, ``transform`` (the embedding) and
  :meth:`~BaseCNNEstimator.build_network`.

"""

from __future__ import annotations

from specauth.estimators._base import BaseCNNEstimator
from specauth.estimators.classifier import CNNClassifier
from specauth.estimators.ensemble import EnsembleClassifier
from specauth.estimators.pls_da import PLSDAClassifier
from specauth.estimators.regressor import CNNRegressor
from specauth.estimators.tta import tta

__all__ = [
    "BaseCNNEstimator",
    "CNNClassifier",
    "CNNRegressor",
    "EnsembleClassifier",
    "PLSDAClassifier",
    "tta",
]
