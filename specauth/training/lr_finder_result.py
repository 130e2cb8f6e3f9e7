"""Result of a learning-rate range test: the curve, suggestions and a plot."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from specauth._lazy import import_optional
from specauth._validation import check_choice
from specauth.training._suggestions import (
    suggest_minimum,
    suggest_slide,
    suggest_steep,
    suggest_valley,
)

if TYPE_CHECKING:
    import matplotlib.axes
    from numpy.typing import ArrayLike

__all__ = ["LRFinderResult"]

_SUGGESTERS = {
    "valley": suggest_valley,
    "slide": suggest_slide,
    "minimum": suggest_minimum,
    "steep": suggest_steep,
}
_MARKERS = {"valley": "o", "slide": "s", "minimum": "v", "steep": "^"}


class LRFinderResult:
    """Loss versus learning rate from :func:`lr_find`, with suggested rates.

    Parameters
    ----------
    lrs : array-like of shape (n_points,)
        Learning rates tried, increasing, > 0.
    losses : array-like of shape (n_points,)
        Smoothed training loss at each rate.
    raw_losses : array-like of shape (n_points,), default=None
        Unsmoothed loss of each mini-batch (``losses`` when None).
    stop_reason : str, default="completed"
        Why the sweep ended: ``"completed"``, ``"diverged"`` (the smoothed loss
        exceeded the divergence threshold) or ``"non-finite"`` (NaN or
        infinite loss; the point is not kept).

    Attributes
    ----------
    lrs, losses, raw_losses : ndarray of shape (n_points,)
        Copies of the inputs as float arrays.
    stop_reason : str
        As given.
    suggestions : dict of str to float
        ``valley``, ``slide``, ``minimum`` and ``steep`` suggestions (NaN for
        an empty curve):

        - ``valley``: two thirds of the way down the longest valley of
          decreasing loss (fastai's valley algorithm; fastai's default),
        - ``slide``: searching back from the minimum, the first rate where
          the loss still falls at least half as steeply as it does at its
          steepest,
        - ``minimum``: the rate at the lowest loss, divided by 10,
        - ``steep``: the rate of steepest descent of the loss versus
          ``log10(lr)``, before the minimum.
    valley, slide, minimum, steep : float
        The same values as attributes.

    See Also
    --------
    lr_find : runs the sweep and returns this object.

    Examples
    --------
    >>> import numpy as np
    >>> lrs = np.logspace(-5, 0, 6)
    >>> result = LRFinderResult(lrs, [2.0, 1.9, 1.2, 0.6, 0.5, 9.0])
    >>> result.suggestion("valley")
    0.01
    >>> result
    LRFinderResult(n_points=6, stop_reason='completed', valley=1.0e-02, \
slide=1.0e-02, minimum=1.0e-02, steep=1.0e-03)
    """

    def __init__(
        self,
        lrs: ArrayLike,
        losses: ArrayLike,
        raw_losses: ArrayLike | None = None,
        *,
        stop_reason: str = "completed",
    ) -> None:
        self.lrs = np.array(lrs, dtype=float).reshape(-1)
        self.losses = np.array(losses, dtype=float).reshape(-1)
        raw = self.losses if raw_losses is None else raw_losses
        self.raw_losses = np.array(raw, dtype=float).reshape(-1)
        if not self.lrs.size == self.losses.size == self.raw_losses.size:
            raise ValueError(
                "`lrs`, `losses` and `raw_losses` must have the same length; got "
                f"{self.lrs.size}, {self.losses.size} and {self.raw_losses.size}."
            )
        if np.any(~(self.lrs > 0)) or np.any(np.diff(self.lrs) <= 0):
            raise ValueError("`lrs` must be positive and strictly increasing.")
        self.stop_reason = stop_reason
        self.suggestions = {
            name: suggest(self.lrs, self.losses)
            for name, suggest in _SUGGESTERS.items()
        }

    @property
    def valley(self) -> float:
        """Valley suggestion (fastai's default)."""
        return self.suggestions["valley"]

    @property
    def slide(self) -> float:
        """Slide-rule suggestion."""
        return self.suggestions["slide"]

    @property
    def minimum(self) -> float:
        """Rate at the minimum loss, divided by 10."""
        return self.suggestions["minimum"]

    @property
    def steep(self) -> float:
        """Rate of steepest descent."""
        return self.suggestions["steep"]

    def suggestion(self, name: str = "valley") -> float:
        """Return the suggested learning rate called ``name``.

        Parameters
        ----------
        name : {"valley", "slide", "minimum", "steep"}, default="valley"
            Which suggestion.

        Returns
        -------
        lr : float
        """
        check_choice("name", name, tuple(_SUGGESTERS))
        return self.suggestions[name]

    def plot(
        self, ax: matplotlib.axes.Axes | None = None, suggestions: bool = True
    ) -> matplotlib.axes.Axes:
        """Plot loss versus learning rate (log scale) with the suggestions.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, default=None
            Axes to draw on; a new figure when None.
        suggestions : bool, default=True
            Mark the suggested rates on the smoothed curve.

        Returns
        -------
        ax : matplotlib.axes.Axes
        """
        if ax is None:
            plt = import_optional(
                "matplotlib.pyplot", package="matplotlib", purpose="plot"
            )
            _, ax = plt.subplots()
        if self.lrs.size:
            ax.plot(self.lrs, self.raw_losses, color="0.7", lw=0.8, label="loss")
            ax.plot(self.lrs, self.losses, color="C0", label="smoothed loss")
            self._set_ylim(ax)
        if suggestions:
            self._mark_suggestions(ax)
        ax.set_xscale("log")
        ax.set_xlabel("learning rate")
        ax.set_ylabel("loss")
        if ax.lines:
            ax.legend()
        return ax

    def _set_ylim(self, ax):
        # Show the descent; the divergent tail may go off the top.
        lowest = int(np.argmin(self.losses))
        top = self.losses[: lowest + 1].max()
        bottom = self.losses[lowest]
        margin = 0.1 * (top - bottom)
        if margin > 0:
            ax.set_ylim(bottom - margin, top + 2 * margin)

    def _mark_suggestions(self, ax):
        log_lrs = np.log10(self.lrs)
        for name, lr in self.suggestions.items():
            if not np.isfinite(lr):
                continue
            loss = np.interp(np.log10(lr), log_lrs, self.losses)
            ax.plot([lr], [loss], _MARKERS[name], ls="none", label=f"{name}: {lr:.2e}")

    def __repr__(self):
        parts = ", ".join(f"{k}={v:.1e}" for k, v in self.suggestions.items())
        return (
            f"{type(self).__name__}(n_points={self.lrs.size}, "
            f"stop_reason={self.stop_reason!r}, {parts})"
        )
