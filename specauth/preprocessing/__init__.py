"""Preprocessing of spectra as scikit-learn transformers.

- :class:`Crop` -- keep a range of columns, by index or by energy,
- :class:`SpectrumNormalizer` -- scale each spectrum (sum, max, area, SNV, L2),
- :class:`LogTransform` -- floor then take the logarithm.

All three accept float32 or float64 spectra (one per row), return the same
float dtype (other input becomes float64) and never modify their input.
"""

from __future__ import annotations

from specauth.preprocessing.crop import Crop
from specauth.preprocessing.log import LogTransform
from specauth.preprocessing.normalize import SpectrumNormalizer

__all__ = ["Crop", "LogTransform", "SpectrumNormalizer"]
