"""Imaging of 1D spectra into 2D fields, and of 2D patterns into polar maps.

- :class:`GramianAngularField` -- Gramian angular summation / difference field,
- :class:`MarkovTransitionField` -- transition probabilities between bins,
- :class:`RecurrencePlot` -- pairwise distances, optionally thresholded,
- :class:`StackedFields` -- several fields as the channels of one image,
- :class:`PolarTransform` -- 2D diffraction patterns resampled onto a polar
  grid ``(radius, angle)`` about their centre (:func:`polar_sampling`,
  :func:`friedel_center`),
- :class:`CrossCorrelationMap` -- angular cross-correlation maps
  ``C(q, dphi)`` of patterns or polar images (:func:`angular_correlation`),
- :class:`ImageSequence` -- a ``keras.utils.PyDataset`` that images spectra
  batch by batch for ``model.fit`` (imports Keras on first access only).

The spectrum imagers return float32 ``(n_samples, size, size, channels)``
arrays and the pattern transformers float32 ``(n_samples, n_radii, n_angles)``
arrays; every transformer works ``batch_size`` spectra at a time and offers
``iter_transform`` for streaming into one reused buffer.
"""

from __future__ import annotations

from typing import Any

from specauth.imaging.correlation import CrossCorrelationMap, angular_correlation
from specauth.imaging.gramian import GramianAngularField
from specauth.imaging.markov import MarkovTransitionField
from specauth.imaging.polar import PolarTransform, friedel_center, polar_sampling
from specauth.imaging.recurrence import RecurrencePlot
from specauth.imaging.stacked import StackedFields

__all__ = [
    "CrossCorrelationMap",
    "GramianAngularField",
    "ImageSequence",
    "MarkovTransitionField",
    "PolarTransform",
    "RecurrencePlot",
    "StackedFields",
    "angular_correlation",
    "friedel_center",
    "polar_sampling",
]


def __getattr__(name: str) -> Any:
    if name == "ImageSequence":
        from specauth.imaging.sequence import ImageSequence

        return ImageSequence
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
