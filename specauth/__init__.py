"""specauth: open-set classification of spectra with convolutional networks.

Subpackages (imported on demand, so ``import specauth`` stays fast and does not
load TensorFlow):

- :mod:`specauth.datasets` -- the PGAA gamma-ray spectra and a synthetic
  spectrum generator,
- :mod:`specauth.preprocessing` -- cropping, normalisation, log transform,
- :mod:`specauth.models` -- 1D CNN and 1D ResNet builders and their registry,
- :mod:`specauth.training` -- learning-rate finder and cyclical / one-cycle
  schedules,
- :mod:`specauth.estimators` -- :class:`~specauth.estimators.CNNClassifier`,
  a scikit-learn classifier around a Keras network,
- :mod:`specauth.cli` -- the ``specauth`` command line.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
