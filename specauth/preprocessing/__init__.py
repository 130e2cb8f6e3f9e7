"""Preprocessing of spectra as scikit-learn transformers.

- :class:`Crop` -- keep a range of columns, by index or by energy,
- :class:`SpectrumNormalizer` -- scale each spectrum (sum, max, area, SNV, L2),
- :class:`LogTransform` -- floor then take the logarithm,
- :class:`BaselineCorrector` -- subtract a baseline found by any method of
  pybaselines (:func:`list_baseline_methods`),
- :class:`AxisResampler` -- interpolate spectra onto the training axis.

The chemometric transformers of chemotools (SNV, MSC, Savitzky-Golay
derivatives, AsLS/airPLS baselines, range cuts ...) work in the same
pipelines and are saved with them by :mod:`specauth.hub`.

The first four accept float32 or float64 spectra (one per row), return the same
float dtype (other input becomes float64) and never modify their input.
"""

from __future__ import annotations

from specauth.preprocessing.baseline import BaselineCorrector, list_baseline_methods
from specauth.preprocessing.crop import Crop
from specauth.preprocessing.log import LogTransform
from specauth.preprocessing.normalize import SpectrumNormalizer
from specauth.preprocessing.resample import AxisResampler

__all__ = [
    "AxisResampler",
    "BaselineCorrector",
    "Crop",
    "LogTransform",
    "SpectrumNormalizer",
    "list_baseline_methods",
]
