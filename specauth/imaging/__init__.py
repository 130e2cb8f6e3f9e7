"""Imaging of 1D spectra into 2D fields for image networks.

- :class:`GramianAngularField` -- Gramian angular summation / difference field,
- :class:`MarkovTransitionField` -- transition probabilities between bins,
- :class:`RecurrencePlot` -- pairwise distances, optionally thresholded,
- :class:`StackedFields` -- several fields as the channels of one image,
- :class:`ImageSequence` -- a ``keras.utils.PyDataset`` that images spectra
  batch by batch for ``model.fit`` (imports Keras on first access only).

Every transformer returns float32 ``(n_samples, size, size, channels)``
arrays, works ``batch_size`` spectra at a time and offers
``iter_transform`` for streaming into one reused buffer.
"""

from __future__ import annotations

from typing import Any

from specauth.imaging.gramian import GramianAngularField
from specauth.imaging.markov import MarkovTransitionField
from specauth.imaging.recurrence import RecurrencePlot
from specauth.imaging.stacked import StackedFields

__all__ = [
    "GramianAngularField",
    "ImageSequence",
    "MarkovTransitionField",
    "RecurrencePlot",
    "StackedFields",
]


def __getattr__(name: str) -> Any:
    if name == "ImageSequence":
        from specauth.imaging.sequence import ImageSequence

        return ImageSequence
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
