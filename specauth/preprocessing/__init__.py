"""Preprocessing of spectra as scikit-learn transformers.

- :class:`Crop` -- keep a range of columns, by index or by energy,
- :class:`SpectrumNormalizer` -- scale each spectrum (sum, max, area, SNV, L2),
- :class:`LogTransform` -- floor then take the logarithm,
- :class:`BaselineCorrector` -- subtract a baseline found by any method of
  pybaselines (:func:`list_baseline_methods`),
- :class:`AxisResampler` -- interpolate spectra onto the training axis,
- :class:`AugmentingOverSampler` -- an imbalanced-learn sampler that
  oversamples minority classes with perturbed copies of their spectra
  (:func:`perturb_spectra`: shift, scaling, baseline drift, noise; strengths
  from :func:`augmentation_preset`; needs ``pip install imbalanced-learn``
  and is imported on first use).

The chemometric transformers of chemotools (SNV, MSC, Savitzky-Golay
derivatives, AsLS/airPLS baselines, range cuts ...) work in the same
pipelines and are saved with them by :mod:`specauth.hub`.

The first four accept float32 or float64 spectra (one per row), return the same
float dtype (other input becomes float64) and never modify their input.
"""

from __future__ import annotations

from specauth._lazy import lazy_exports
from specauth.preprocessing.baseline import BaselineCorrector, list_baseline_methods
from specauth.preprocessing.crop import Crop
from specauth.preprocessing.log import LogTransform
from specauth.preprocessing.normalize import SpectrumNormalizer
from specauth.preprocessing.perturbations import (
    augmentation_preset,
    perturb_spectra,
    shift_spectra,
)
from specauth.preprocessing.resample import AxisResampler

__all__ = [
    "AugmentingOverSampler",
    "AxisResampler",
    "BaselineCorrector",
    "Crop",
    "LogTransform",
    "SpectrumNormalizer",
    "augmentation_preset",
    "list_baseline_methods",
    "perturb_spectra",
    "shift_spectra",
]

# Needs imbalanced-learn, an optional dependency: imported on first use.
__getattr__, __dir__ = lazy_exports(
    __name__, {"AugmentingOverSampler": "oversampling"}, globals()
)
