"""Recurrence plots of spectra."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np

from specauth._validation import Interval, Options
from specauth.imaging._base import BaseImager, check_image_size
from specauth.imaging._paa import paa

__all__ = ["RecurrencePlot"]


class RecurrencePlot(BaseImager):
    """Recurrence plot: distances between the points of each spectrum.

    With ``dimension=1`` the field is ``R[i, j] = |x_i - x_j|``. With
    ``dimension = m > 1`` it is the Euclidean distance between the
    trajectories ``(x_i, x_{i+d}, ..., x_{i+(m-1)d})`` (``d = time_delay``),
    as in pyts. A ``threshold`` turns distances into a binary plot
    (``1`` where the distance is below the threshold).

    Parameters
    ----------
    image_size : int, default=None
        Side of the output images. The spectrum is first downsampled by PAA
        to ``image_size + (dimension - 1) * time_delay`` points, so there are
        ``image_size`` trajectories. None keeps every point (side
        ``n_points - (dimension - 1) * time_delay``).
    dimension : int, default=1
        Embedding dimension of the trajectories.
    time_delay : int, default=1
        Gap between the points of a trajectory.
    threshold : float, "point", "distance" or None, default=None
        None: raw distances. A float > 0: ``R < threshold``. ``"point"``: the
        ``percentage`` percentile of each image's distances is the threshold.
        ``"distance"``: ``percentage`` percent of each image's largest
        distance is the threshold.
    percentage : float, default=10
        Used by ``threshold="point"`` and ``"distance"``; in ``[0, 100]``.
    n_channels : int, default=1
        Copies of the field along the last axis.
    batch_size : int, default=256
        Spectra imaged at a time by ``transform``.
    dtype : {"float32", "float64"}, default="float32"
        Output dtype; distances are computed in this precision.

    Attributes
    ----------
    n_features_in_ : int
        Number of points per spectrum seen in ``fit``.

    See Also
    --------
    GramianAngularField : Angular sums / differences of the scaled spectrum.
    StackedFields : Several fields as the channels of one image.

    References
    ----------
    J.-P. Eckmann, S. O. Kamphorst and D. Ruelle, "Recurrence plots of
    dynamical systems", Europhysics Letters 4 (1987).

    Examples
    --------
    >>> import numpy as np
    >>> from specauth.imaging import RecurrencePlot
    >>> X = np.array([[0.0, 1.0, 3.0]])
    >>> RecurrencePlot().fit_transform(X)[0, :, :, 0]
    array([[0., 1., 3.],
           [1., 0., 2.],
           [3., 2., 0.]], dtype=float32)
    >>> RecurrencePlot(threshold=1.5).fit_transform(X)[0, :, :, 0]
    array([[1., 1., 0.],
           [1., 1., 0.],
           [0., 0., 1.]], dtype=float32)
    """

    _parameter_constraints = {
        **BaseImager._parameter_constraints,
        "dimension": [Interval(Integral, 1, None, closed="left")],
        "time_delay": [Interval(Integral, 1, None, closed="left")],
        "threshold": [
            None,
            Interval(Real, 0, None, closed="neither"),
            Options(str, {"point", "distance"}),
        ],
        "percentage": [Interval(Real, 0, 100, closed="both")],
    }

    def __init__(
        self,
        image_size: int | None = None,
        *,
        dimension: int = 1,
        time_delay: int = 1,
        threshold: float | str | None = None,
        percentage: float = 10,
        n_channels: int = 1,
        batch_size: int = 256,
        dtype: str = "float32",
    ) -> None:
        self.image_size = image_size
        self.dimension = dimension
        self.time_delay = time_delay
        self.threshold = threshold
        self.percentage = percentage
        self.n_channels = n_channels
        self.batch_size = batch_size
        self.dtype = dtype

    def _size(self, n_points):
        span = (self.dimension - 1) * self.time_delay
        if n_points - span < 1:
            raise ValueError(
                f"`dimension` and `time_delay` span {span + 1} points, more than "
                f"the {n_points} points per spectrum; got dimension="
                f"{self.dimension}, time_delay={self.time_delay}."
            )
        return check_image_size(
            self.image_size, n_points - span, "the number of trajectories"
        )

    def _field(self, X, out):
        size = out.shape[1]
        span = (self.dimension - 1) * self.time_delay
        x = paa(X, size + span).astype(self.dtype)
        if self.dimension == 1:
            np.subtract(x[:, :, None], x[:, None, :], out=out)
            np.abs(out, out=out)
        else:
            self._trajectory_distances(x, out, size)
        if self.threshold is not None:
            limit = self._limits(out)
            np.less(out, limit, out=out)

    def _trajectory_distances(self, x, out, size):
        out[...] = 0
        diff = np.empty(out.shape, dtype=self.dtype)
        for k in range(self.dimension):
            part = x[:, k * self.time_delay : k * self.time_delay + size]
            np.subtract(part[:, :, None], part[:, None, :], out=diff)
            np.multiply(diff, diff, out=diff)
            out += diff
        np.sqrt(out, out=out)

    def _limits(self, out):
        if self.threshold == "point":
            flat = out.reshape(len(out), -1)
            return np.percentile(flat, self.percentage, axis=1)[:, None, None]
        if self.threshold == "distance":
            peak = out.max(axis=(1, 2))
            return (self.percentage / 100.0 * peak)[:, None, None]
        return self.threshold
