"""Several imaging fields stacked as the channels of one image."""

from __future__ import annotations

from numbers import Integral
from typing import TYPE_CHECKING

from specauth._validation import Interval, Options
from specauth.imaging._base import BaseImager, check_image_size
from specauth.imaging.gramian import GramianAngularField
from specauth.imaging.markov import MarkovTransitionField
from specauth.imaging.recurrence import RecurrencePlot

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["StackedFields"]

_FIELDS = ("gasf", "gadf", "mtf", "rp")


class StackedFields(BaseImager):
    """Stack different fields of each spectrum as the channels of one image.

    A pretrained RGB network sees three *different* views of the spectrum
    (by default GASF, GADF and MTF) instead of one field copied three times,
    at the same input size and cost.

    Parameters
    ----------
    fields : tuple of str, default=("gasf", "gadf", "mtf")
        One channel per entry, in order: ``"gasf"`` / ``"gadf"``
        (:class:`GramianAngularField` summation / difference), ``"mtf"``
        (:class:`MarkovTransitionField`) and ``"rp"`` (:class:`RecurrencePlot`
        of the spectrum min-max scaled to ``[0, 1]``, so all channels share a
        comparable range).
    image_size : int, default=None
        Side of the output images; None keeps every point.
    sample_range : tuple of (float, float), default=(-1, 1)
        Scaling range of the Gramian fields.
    n_bins : int, default=8
        Amplitude bins of the Markov field.
    strategy : {"quantile", "uniform"}, default="quantile"
        Binning strategy of the Markov field.
    batch_size : int, default=256
        Spectra imaged at a time by ``transform``.
    dtype : {"float32", "float64"}, default="float32"
        Output dtype.

    Attributes
    ----------
    n_features_in_ : int
        Number of points per spectrum seen in ``fit``.

    See Also
    --------
    GramianAngularField, MarkovTransitionField, RecurrencePlot

    Examples
    --------
    >>> import numpy as np
    >>> from specauth.imaging import StackedFields
    >>> X = np.random.default_rng(0).normal(size=(2, 50))
    >>> StackedFields(image_size=16).fit_transform(X).shape
    (2, 16, 16, 3)
    """

    _parameter_constraints = {
        "fields": [tuple, list],
        "image_size": [Interval(Integral, 1, None, closed="left"), None],
        "sample_range": [tuple, list],
        "n_bins": [Interval(Integral, 2, None, closed="left")],
        "strategy": [Options(str, {"quantile", "uniform"})],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "dtype": [Options(str, {"float32", "float64"})],
    }

    def __init__(
        self,
        fields: Sequence[str] = ("gasf", "gadf", "mtf"),
        *,
        image_size: int | None = None,
        sample_range: Sequence[float] = (-1, 1),
        n_bins: int = 8,
        strategy: str = "quantile",
        batch_size: int = 256,
        dtype: str = "float32",
    ) -> None:
        self.fields = fields
        self.image_size = image_size
        self.sample_range = sample_range
        self.n_bins = n_bins
        self.strategy = strategy
        self.batch_size = batch_size
        self.dtype = dtype

    def _imagers(self):
        if len(self.fields) == 0 or any(f not in _FIELDS for f in self.fields):
            raise ValueError(
                f"`fields` must be a non-empty sequence of {', '.join(_FIELDS)}; "
                f"got {self.fields!r}."
            )
        common = {"image_size": self.image_size, "dtype": self.dtype}
        makers = {
            "gasf": lambda: GramianAngularField(
                method="summation", sample_range=self.sample_range, **common
            ),
            "gadf": lambda: GramianAngularField(
                method="difference", sample_range=self.sample_range, **common
            ),
            "mtf": lambda: MarkovTransitionField(
                n_bins=self.n_bins, strategy=self.strategy, **common
            ),
            "rp": lambda: RecurrencePlot(**common),
        }
        return [makers[name]() for name in self.fields]

    def _channels(self):
        return len(self.fields)

    def _size(self, n_points):
        for imager in self._imagers():
            imager._size(n_points)
        return check_image_size(self.image_size, n_points)

    def _write(self, X, out):
        for channel, (name, imager) in enumerate(
            zip(self.fields, self._imagers(), strict=True)
        ):
            if name == "rp":
                span = X.max(axis=1, keepdims=True) - X.min(axis=1, keepdims=True)
                span[span == 0] = 1.0
                imager._field(X / span, out[..., channel])
            else:
                imager._field(X, out[..., channel])
